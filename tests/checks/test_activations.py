"""The notebook-02 checkers accept the reference answers and reject planted wrong ones, each with
the message that names its mistake."""

import math

import numpy as np
import pytest

from course_pkg import activations as ref
from course_pkg.checks import activations as checks


# ------------------------------------------------------------------ answers a learner could write


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
    """Claims to equal everything."""

    def __eq__(self, other):
        return True

    __hash__ = None


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize(
    "check, answer",
    [
        (checks.check_sigmoid, stable_sigmoid),
        (checks.check_sigmoid_prime, stable_sigmoid_prime),
        (checks.check_relu, learner_relu),
        (checks.check_relu_prime, learner_relu_prime),
    ],
)
def test_learner_style_answers_pass(check, answer, hidden, capsys):
    check(answer, hidden=hidden)
    out = capsys.readouterr()
    assert out.out.startswith("✔") and out.out.count("\n") == 1
    assert out.err == ""


@pytest.mark.parametrize(
    "check, bad, message",
    [
        (checks.check_sigmoid, naive_sigmoid, "overflow"),
        (checks.check_sigmoid, where_sigmoid, "np.where(cond, a, b) computes both"),
        (checks.check_sigmoid, lambda z: stable_sigmoid(-np.asarray(z, dtype=float)), "σ(−z)"),
        (checks.check_sigmoid, lambda z: None, "forget to `return`"),
        (checks.check_sigmoid, lambda z: Liar(), "cannot be read"),
        (checks.check_sigmoid, lambda z: float(stable_sigmoid(np.ravel(z))[0]), "shape"),
        (checks.check_sigmoid, lambda z: ref.sigmoid(z), "reference implementation"),
        (checks.check_sigmoid_prime, stable_sigmoid, "the factor (1 − σ(z)) is missing"),
        (checks.check_sigmoid_prime, lambda z: 1 - stable_sigmoid(z), "the factor σ(z) is missing"),
        (
            checks.check_sigmoid_prime,
            lambda z: np.exp(-np.asarray(z, float)) / (1 + np.exp(-np.asarray(z, float))) ** 2,
            "overflow",
        ),
        (checks.check_sigmoid_prime, lambda z: ref.sigmoid_prime(z), "reference implementation"),
        (checks.check_relu, lambda z: np.asarray(z) > 0, "booleans"),
        (checks.check_relu, lambda z: np.maximum(np.asarray(z), 0).astype(int), "integers"),
        (checks.check_relu, lambda z: np.abs(np.asarray(z, float)), "|z|"),
        (checks.check_relu, learner_relu_prime, "That is ReLU's derivative"),
        (checks.check_relu_prime, lambda z: (np.asarray(z, float) >= 0) * 1.0, "Use z > 0"),
        (
            checks.check_relu_prime,
            lambda z: np.where(np.asarray(z, float) == 0, 0.5, (np.asarray(z, float) > 0) * 1.0),
            "average of the two one-sided slopes",
        ),
        (checks.check_relu_prime, lambda z: np.asarray(z, float) > 0, "booleans"),
        (checks.check_relu_prime, learner_relu, "That is ReLU itself"),
        (checks.check_relu_prime, lambda z: ref.relu_prime(z), "reference implementation"),
    ],
)
def test_planted_wrong_answers_fail_with_their_message(check, bad, message, capsys):
    with pytest.raises(AssertionError) as info:
        check(bad)
    assert message in str(info.value)
    assert capsys.readouterr().err == ""


def test_swallowing_the_tripwire_does_not_help():
    def sneaky(z):
        try:
            return ref.sigmoid(z)
        except AssertionError:
            return stable_sigmoid(z)

    with pytest.raises(AssertionError, match="reference implementation"):
        checks.check_sigmoid(sneaky)


def test_reference_is_restored_after_a_check():
    with pytest.raises(AssertionError):
        checks.check_sigmoid(lambda z: ref.sigmoid(z))
    assert ref.sigmoid(0.0) == 0.5
    assert float(ref.relu_prime(2.0)) == 1.0


def test_a_function_that_mutates_its_input_fails():
    def mutating(z):
        z = np.asarray(z)
        if z.ndim:
            z[...] = np.maximum(z, 0.0)
            return z.copy()
        return max(float(z), 0.0)

    with pytest.raises(AssertionError, match="modified its input"):
        checks.check_relu(mutating)


def test_patching_numpy_after_import_does_not_fool_the_checker(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "isfinite", lambda x: np.ones(np.shape(x), dtype=bool))
    with pytest.raises(AssertionError):
        checks.check_sigmoid_prime(stable_sigmoid)


# ------------------------------------------------------------------ the tanh derivation

GOOD_DERIVATION = [
    "((exp(z) + exp(-z))*(exp(z) + exp(-z)) - (exp(z) - exp(-z))*(exp(z) - exp(-z)))"
    " / (exp(z) + exp(-z))^2",
    "(exp(z) + exp(-z))^2/(exp(z) + exp(-z))^2 - (exp(z) - exp(-z))^2/(exp(z) + exp(-z))^2",
    "1 - ((exp(z) - exp(-z))/(exp(z) + exp(-z)))^2",
    "1 - tanh(z)^2",
]


def test_a_correct_derivation_passes(capsys):
    checks.check_tanh_derivation(GOOD_DERIVATION)
    assert capsys.readouterr().out.startswith("✔ the derivation holds")


def test_a_derivation_may_end_at_another_accepted_form(capsys):
    checks.check_tanh_derivation(GOOD_DERIVATION[:3] + ["1/cosh(z)^2"])
    assert capsys.readouterr().out.startswith("✔")


@pytest.mark.parametrize(
    "steps, message",
    [
        (["1 - tanh(z)^2"], "write at least 3"),
        ("1 - tanh(z)^2", "should be a list of strings"),
        (["1 - tanh(z)^2"] * 3, "repeats an earlier step"),
        (["1 - tanh(z)^2", "1 - tanh(z)*tanh(z)", "1/cosh(z)^2"], "Step 0 uses tanh"),
        # a wrong quotient rule (the sign of the second term)
        (["((exp(z) + exp(-z))^2 + (exp(z) - exp(-z))^2)/(exp(z) + exp(-z))^2"] + GOOD_DERIVATION[2:],
         "Step 0 is not the derivative"),
        # an algebra slip in the middle: the square is lost
        (GOOD_DERIVATION[:2] + ["1 - (exp(z) - exp(-z))/(exp(z) + exp(-z))", "1 - tanh(z)"],
         "Step 2 does not follow from step 1"),
        (GOOD_DERIVATION[:3] + ["1 - ((exp(2*z) - 1)/(exp(2*z) + 1))^2"], "not finished"),
        (GOOD_DERIVATION[:3] + ["__import__('os').getcwd()"], "cannot be read"),
        ([1, 2, 3], "should be a string"),
    ],
)
def test_wrong_derivations_fail_with_their_message(steps, message):
    with pytest.raises(AssertionError) as info:
        checks.check_tanh_derivation(steps)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "steps",
    [GOOD_DERIVATION, GOOD_DERIVATION[:3] + ["1/cosh(z)^2"],
     ["((e^z + e^(-z))^2 - (e^z - e^(-z))^2)/(e^z + e^(-z))^2", "4/(e^z + e^(-z))^2", "1/cosh(z)^2"]],
)
def test_hidden_check_accepts_right_derivations(steps, capsys):
    checks.check_tanh_derivation(steps)
    checks.check_tanh_derivation_numerically(steps)
    out = capsys.readouterr()
    assert out.out.count("✔") == 2 and out.err == ""


@pytest.mark.parametrize(
    "steps, message",
    [
        (GOOD_DERIVATION[:3] + ["1 - tanh(z)"], "Step 3, '1 - tanh(z)', gives"),
        (["((exp(z) + exp(-z))^2 + (exp(z) - exp(-z))^2)/(exp(z) + exp(-z))^2"] + GOOD_DERIVATION[1:],
         "Step 0, "),
        (GOOD_DERIVATION[:3] + ["1 - tanh(z)^2 + sqrt(z - 10)"], "Step 3, "),  # complex for z < 10
        (["1 - tanh(z)^2"], "write at least 3"),
    ],
)
def test_hidden_check_compares_every_line_with_the_measured_slope(steps, message):
    with pytest.raises(AssertionError) as info:
        checks.check_tanh_derivation_numerically(steps)
    assert message in str(info.value)
    assert "central difference" in str(info.value) or "write at least" in str(info.value)


@pytest.mark.parametrize(
    "check, scalar_only",
    [
        (checks.check_sigmoid, lambda z: 1.0 / (1.0 + math.exp(-z))),
        (checks.check_relu, lambda z: max(0.0, z)),
        (checks.check_relu_prime, lambda z: 1.0 if z > 0 else 0.0),
    ],
)
def test_scalar_only_code_is_told_to_use_numpy(check, scalar_only):
    with pytest.raises(AssertionError) as info:
        check(scalar_only)
    assert "works on one number but not on an array" in str(info.value)
