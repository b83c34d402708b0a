"""Notebook 02's specs through the notebook's ``checks.check``: learner-style answers pass, planted
wrong ones fail with the message that names them, and the tanh derivation is checked from its rule to
its finished form, line by line, with the try-it cell running the very same check."""

import math

import nbformat
import numpy as np
import pytest

from course_pkg import activations as ref
from course_pkg.checks import activations as checks
from course_pkg.checks.engine import CheckFailed

from .test_specs import ROOT


def stable_sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def stable_sigmoid_prime(z):
    s = stable_sigmoid(z)
    return s * (1.0 - s)


def learner_relu(z):
    return np.maximum(np.asarray(z, dtype=float), 0.0)


def learner_relu_prime(z):
    return (np.asarray(z, dtype=float) > 0) * 1.0


def naive_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def where_sigmoid(z):
    z = np.asarray(z, dtype=float)
    return np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), np.exp(z) / (1.0 + np.exp(z)))


class Liar:
    def __eq__(self, other):
        return True

    __hash__ = None


def fails(grade_id, answer, hidden=False):
    with pytest.raises(CheckFailed) as info:
        checks.check(grade_id, answer, hidden=hidden)
    return info.value.outcome


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("grade_id, answer", [
    ("test_sigmoid", stable_sigmoid), ("test_sigmoid_prime", stable_sigmoid_prime),
    ("test_relu", learner_relu), ("test_relu_prime", learner_relu_prime),
])
def test_learner_style_answers_pass(grade_id, answer, hidden, capsys):
    checks.check(grade_id, answer, hidden=hidden)
    out = capsys.readouterr()
    assert out.out.startswith("✔") and out.out.count("\n") == 1 and out.err == ""


@pytest.mark.parametrize("grade_id, bad, kind, message", [
    ("test_sigmoid", naive_sigmoid, "warning", "overflow"),
    ("test_sigmoid", where_sigmoid, "warning", "np.where(cond, a, b) computes both"),
    ("test_sigmoid", lambda z: None, "type", "forget to `return`"),
    ("test_sigmoid", lambda z: Liar(), "type", "a Liar"),
    ("test_sigmoid", lambda z: float(stable_sigmoid(np.ravel(z))[0]), "scalar_only", "one number"),
    ("test_sigmoid", lambda z: ref.sigmoid(z), "reference_used", "reference implementation sigmoid"),
    ("test_sigmoid_prime", lambda z: np.exp(-np.asarray(z, float)) / (1 + np.exp(-np.asarray(z, float))) ** 2,
     "warning", "overflow"),
    ("test_sigmoid_prime", lambda z: ref.sigmoid_prime(z), "reference_used", "reference implementation"),
    ("test_relu", lambda z: np.asarray(z) > 0, "dtype", "booleans"),
    ("test_relu", lambda z: np.maximum(np.asarray(z), 0).astype(int), "dtype", "integers"),
    ("test_relu_prime", lambda z: np.asarray(z, float) > 0, "dtype", "booleans"),
    ("test_relu_prime", lambda z: ref.relu_prime(z), "reference_used", "reference implementation"),
    ("test_relu_prime", lambda z: (np.asarray(z, float) > 1e-300) * 1.0, "wrong", "the smallest |z|"),
])
def test_planted_wrong_answers_fail_with_their_message(grade_id, bad, kind, message, capsys):
    outcome = fails(grade_id, bad)
    assert outcome.kind == kind and message in outcome.message, outcome
    assert capsys.readouterr().err == ""


def test_z_at_least_0_fails_at_the_kink_with_the_convention():
    """Regression: `z >= 0` in relu_prime is caught where the convention is taught, at z = 0."""
    for hidden in (False, True):
        outcome = fails("test_relu_prime", lambda z: (np.asarray(z, float) >= 0) * 1.0, hidden)
        assert outcome.kind == "kink_convention" and outcome.case == "z = 0, the kink"
        assert "z > 0" in outcome.message


@pytest.mark.parametrize("grade_id, scalar_only", [
    ("test_sigmoid", lambda z: 1.0 / (1.0 + math.exp(-z))),
    ("test_relu", lambda z: max(0.0, z)),
    ("test_relu_prime", lambda z: 1.0 if z > 0 else 0.0),
])
def test_scalar_only_code_is_told_to_use_numpy(grade_id, scalar_only):
    outcome = fails(grade_id, scalar_only)
    assert outcome.kind == "scalar_only" and "works on one number but not on an array" in outcome.message


def test_a_function_that_mutates_its_input_fails():
    def in_place(z):
        z = np.asarray(z)
        if z.ndim:
            np.maximum(z, 0.0, out=z)
            return z
        return max(float(z), 0.0)

    assert fails("test_relu", in_place).kind == "mutated"


# ------------------------------------------------------------------------------- the derivation

GOOD = [
    "((exp(z) + exp(-z))*(exp(z) + exp(-z)) - (exp(z) - exp(-z))*(exp(z) - exp(-z))) / (exp(z) + exp(-z))^2",
    "(exp(z) + exp(-z))^2/(exp(z) + exp(-z))^2 - (exp(z) - exp(-z))^2/(exp(z) + exp(-z))^2",
    "1 - ((exp(z) - exp(-z))/(exp(z) + exp(-z)))^2",
    "1 - tanh(z)^2",
]


@pytest.mark.parametrize("steps", [
    GOOD, GOOD[:3] + ["1/cosh(z)^2"],
    ["((e^z + e^(-z))^2 - (e^z - e^(-z))^2)/(e^z + e^(-z))^2", "4/(e^z + e^(-z))^2", "1/cosh(z)^2"],
])
def test_right_derivations_pass_visible_and_hidden(steps, capsys):
    checks.check("test_tanh_derivation", steps)
    checks.check("test_tanh_derivation", steps, hidden=True)
    out = capsys.readouterr()
    assert out.out.count("✔") == 2 and out.err == ""


@pytest.mark.parametrize("steps, kind, message", [
    ("1 - tanh(z)^2", "type", "should be a list of strings"),
    ([1, 2, 3], "type", "should be a string"),
    ([], "too_few_steps", "is empty"),
    (GOOD[:1], "too_few_steps", "it needs at least 2"),
    # the graded test used to accept a "derivation" whose step 0 is already the final form
    (["1 - tanh(z)^2", "1 - tanh(z)*tanh(z)", "1/cosh(z)^2"], "first_step", "quotient rule"),
    (["1 - tanh(z)^2"] * 3, "first_step", "quotient rule"),
    # right value, but not the quotient rule's form (over the squared denominator)
    (["4*exp(2*z)/(exp(2*z) + 1)^2", "1/cosh(z)^2", "1 - tanh(z)^2"], "first_step", "quotient rule"),
    # a `+ 0` line is not a step
    ([GOOD[0], GOOD[0] + " + 0", GOOD[3]], "too_few_steps", "not a step"),
    (GOOD[:3] + ["1 - tanh(z)^2 + sqrt(z - 10)"], "step", "does not follow from step 2"),
    (GOOD + ["1 - tanh(z)^2"] * 12, "too_many_steps", ""),
])
def test_wrong_derivations_fail_with_their_message(steps, kind, message):
    outcome = fails("test_tanh_derivation", steps)
    assert outcome.kind == kind and message in outcome.message, outcome


def test_after_a_failed_step_later_steps_are_not_checked_yet_not_unreadable():
    outcome = fails("test_tanh_derivation", GOOD[:1] + ["1 - tanh(z)", GOOD[2], GOOD[3]])
    assert outcome.kind == "step" and "Step 1, as you typed it: '1 - tanh(z)'" in outcome.message
    assert "Steps 2 and after are not checked yet." in outcome.message
    assert "could not be read" not in outcome.message


def test_the_failed_step_is_echoed_as_typed():
    typed = "1 -  ((exp(z)-exp(-z)) / (exp(z)+exp(-z)))^2"
    outcome = fails("test_tanh_derivation", GOOD[:2] + ["1 - (exp(z) - exp(-z))/(exp(z) + exp(-z))", typed])
    assert "'1 - (exp(z) - exp(-z))/(exp(z) + exp(-z))'" in outcome.message


def test_the_try_it_cell_runs_the_graded_check():
    """Regression: the try-it cell showed ✓ for derivations the graded test then failed."""
    nb = nbformat.read(ROOT / "source" / "02-activations" / "activations.ipynb", as_version=4)
    cells = {c.get("id"): c.source for c in nb.cells}
    assert 'checks.check("test_tanh_derivation", tanh_steps)' in cells["tanh-derivation-try-it"]
    assert 'checks.check("test_tanh_derivation", tanh_steps)' in cells["test-tanh-derivation"]
