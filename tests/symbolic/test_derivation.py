"""check_derivation: every line echoed as typed, the start checked against its rule, rewrites
that are not steps, "not checked yet" after a failure, and caps on lines and time."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from course_pkg.symbolic import check_derivation, leaks, quotient_rule
from course_pkg.symbolic.equivalence import ANSWER_TIME_LIMIT, MAX_STEPS
from course_pkg.symbolic.verdict import STEP_STATUSES

OUTER_GUARD = 30.0
TANH = quotient_rule("exp(z) - exp(-z)", "exp(z) + exp(-z)", "z")
QUOTIENT = "((exp(z) + exp(-z))*(exp(z) + exp(-z)) - (exp(z) - exp(-z))*(exp(z) - exp(-z))) / (exp(z) + exp(-z))^2"
SOLUTION = [
    QUOTIENT,
    "(exp(z) + exp(-z))^2/(exp(z) + exp(-z))^2 - (exp(z) - exp(-z))^2/(exp(z) + exp(-z))^2",
    "1 - ((exp(z) - exp(-z))/(exp(z) + exp(-z)))^2",
    "1 - tanh(z)^2",
]


def test_the_notebooks_solution_passes_with_its_rule():
    v = check_derivation(SOLUTION, variables=["z"], first=TANH, min_steps=2)
    assert v.ok, v.message
    assert v.step_status == ("start", "follows", "follows", "follows") and v.step_count == 3


def test_a_first_line_that_is_already_the_final_form_is_refused():
    """02: the graded test accepted a derivation whose step 0 was already the final form."""
    v = check_derivation(["1 - tanh(z)^2", "1/cosh(z)^2", "4/(exp(z) + exp(-z))^2"], variables=["z"], first=TANH)
    assert (v.ok, v.kind, v.failed_step) == (False, "first_step", 0)
    assert "quotient rule" in v.message and "not one fraction over h²" in v.message
    assert v.step_status == ("failed", "not_checked", "not_checked")


@pytest.mark.parametrize("first_line, why", [
    ("((exp(z) - exp(-z))^2 - (exp(z) + exp(-z))^2) / (exp(z) + exp(-z))^2", "sign flipped"),
    ("(2*(exp(z) + exp(-z))^2 - 2*(exp(z) - exp(-z))^2) / (exp(z) + exp(-z))^2", "constant factor"),
    ("((exp(z) + exp(-z))^2 + (exp(z) - exp(-z))^2) / (exp(z) + exp(-z))^2", "numerator is not f′·h − f·h′"),
    ("((exp(z) + exp(-z)) - (exp(z) - exp(-z))) / (exp(z) + exp(-z))", "not one fraction over h²"),
])
def test_a_wrong_quotient_rule_line_is_told_what_is_wrong(first_line, why):
    v = check_derivation([first_line, "1 - tanh(z)^2"], variables=["z"], first=TANH)
    assert (v.ok, v.kind) == (False, "first_step")
    assert why in v.message
    assert leaks(v.message, "((exp(z) + exp(-z))^2 - (exp(z) - exp(-z))^2)/(exp(z) + exp(-z))^2",
                 typed=[first_line]) is None


def test_an_equivalent_first_form_must_also_have_its_denominator():
    form = "(1 - z^2)/(1 + z)"
    assert check_derivation(["(1 - z^2)/(1 + z)", "1 - z"], first=form).ok
    v = check_derivation(["1 - z", "1 - z + 0"], first=form)
    assert v.kind == "first_step" and "not the form asked for" in v.message
    v = check_derivation(["1 + z", "1 + z"], first=form)
    assert v.kind == "first_step"


@pytest.mark.parametrize("rewrite", ["1 - tanh(z)^2 + 0", "-tanh(z)^2 + 1", "1*(1 - tanh(z)^2)", "1 - tanh(z)**2*1"])
def test_a_line_equal_to_the_previous_up_to_formatting_is_not_a_step(rewrite):
    steps = SOLUTION + [rewrite]
    v = check_derivation(steps, variables=["z"], first=TANH)
    assert v.ok and v.step_status[-1] == "not_a_step" and v.step_count == 3
    assert "not counted" in v.message
    v = check_derivation([SOLUTION[0], SOLUTION[-1], rewrite], variables=["z"], first=TANH, min_steps=2)
    assert (v.ok, v.kind) == (False, "too_few_steps")
    assert "only rewrites the line before" in v.message


def test_lines_after_a_failed_step_are_not_checked_yet_not_unreadable():
    """02: lines after a failed step said "(could not be read)" though they parse."""
    v = check_derivation(["(z + 1)^2", "z^2 + 1", "z^2 + 2z + 1", "z(z + 2) + 1"])
    assert v.failed_step == 1
    assert v.step_status == ("start", "failed", "not_checked", "not_checked")
    page = v._repr_html_()
    assert page.count("not checked yet") == 2 and "could not be read" not in page
    assert all(s is not None for s in v.steps)


def test_only_a_line_that_does_not_parse_is_called_unreadable():
    v = check_derivation(["z^2", "z*z", "z *", "z^2"])
    assert (v.ok, v.failed_step, v.kind) == (False, 2, "format")
    assert v.step_status == ("start", "follows", "failed", "not_checked")
    v = check_derivation(["z^2", "z + 1", "z *"])
    assert v.step_status == ("start", "failed", "unreadable")
    assert "could not be read" in v._repr_html_()
    assert set(v.step_status) <= set(STEP_STATUSES)


def test_the_echo_shows_every_line_as_typed():
    """02: four different lines displayed as the same (simplified) expression."""
    lines = ["2*z/2 + 0", "z + 0", "1*z", "z"]
    v = check_derivation(lines)
    assert v.ok
    assert v.steps_text == tuple(lines)
    assert len(set(v.steps_latex)) == 4, v.steps_latex
    page = v._repr_html_()
    for line in lines:
        assert f"<code>{line}</code>" in page
    assert v.echo == "You typed: 2*z/2 + 0 | z + 0 | 1*z | z"


def test_primes_and_the_questions_names_work_in_derivations():
    v = check_derivation(["σ′(z)", "σ(z)*(1 - σ(z))", "exp(-z)/(1 + exp(-z))^2"])
    assert v.ok, v.message
    v = check_derivation(["g′(z)*g(z)", "Heaviside(z)*Max(0, z)", "Max(0, z)"], functions={"g": "relu"})
    assert v.ok, v.message


def test_too_many_lines_are_refused_before_checking():
    steps = ["z"] + [f"z + {k} - {k}" for k in range(MAX_STEPS)]
    v = check_derivation(steps)
    assert (v.ok, v.kind) == (False, "too_many_steps")
    assert str(MAX_STEPS) in v.message


def test_the_whole_derivation_shares_one_time_budget():
    heavy = "+".join(f"sin(z*{k})^{k % 7 + 2}" for k in range(1, 60))
    steps = [heavy, heavy + " + 0*z", heavy + " + z", heavy]
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=1) as pool:
        v = pool.submit(check_derivation, steps, None, None, timeout=0.05).result(timeout=OUTER_GUARD)
    assert v.kind == "timeout" and not v.ok
    assert time.monotonic() - start < OUTER_GUARD
    assert "whole derivation" in v.message
    assert ANSWER_TIME_LIMIT <= 2.0


def test_arguments_are_validated():
    with pytest.raises(ValueError, match="min_steps must be a positive integer"):
        check_derivation(["z"], min_steps=0)
    with pytest.raises(TypeError, match="first must be a quotient_rule"):
        check_derivation(["z"], first=3)
    with pytest.raises(TypeError, match="numerator must be a string"):
        quotient_rule(1, "z")


def test_a_derivation_of_tanh_cannot_end_at_tanh_prime():
    steps = SOLUTION[:-1] + ["tanh′(z)"]
    assert check_derivation(steps, variables=["z"], first=TANH).ok  # allowed by default
    v = check_derivation(steps, variables=["z"], first=TANH, derivatives=())
    assert (v.ok, v.kind, v.failed_step) == (False, "format", 3)
    assert "the derivative of tanh is what this question asks you to work out" in v.message
