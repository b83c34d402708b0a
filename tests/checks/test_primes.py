"""A question that asks for a derivative refuses the derivative's primed name as the answer.

The symbolic checker accepts the notebooks' spellings σ′(z), tanh′(z), sigmoid_prime(z) by
default; an exercise whose answer IS that derivative (the tanh derivation, d/dx sin(x²), ...)
passes ``derivatives=()`` so that typing the prime is refused, with a message that says why.
"""

import pytest

from course_pkg.checks import engine, spec_for
from course_pkg.checks.learner import InProcessLearner

H, G = "(exp(z) + exp(-z))", "(exp(z) - exp(-z))"
TANH_LINES = [f"({H}*{H} - {G}*{G})/{H}^2", f"{H}^2/{H}^2 - {G}^2/{H}^2", f"1 - ({G}/{H})^2"]


@pytest.mark.parametrize("last", ["tanh′(z)", "tanh'(z)", "tanh_prime(z)"])
def test_the_tanh_derivation_cannot_end_at_the_primed_name(last):
    spec = spec_for("02-activations", "test_tanh_derivation")
    outcome = engine.run(spec, InProcessLearner({"tanh_steps": TANH_LINES + [last]}), hidden=False)
    assert not outcome.passed and "asks you to work out" in outcome.message
    right = engine.run(spec, InProcessLearner({"tanh_steps": TANH_LINES + ["1 - tanh(z)^2"]}), hidden=False)
    assert right.passed


@pytest.mark.parametrize("assignment, grade_id, name, answer", [
    ("01-chain-rule", "test_derivative_sin_square", "answer_sin_square", "sin'(x^2)*2*x"),
    ("01-chain-rule", "test_derivative_neuron_cost", "answer_neuron_cost", "(tanh(theta*x) - y)*tanh'(theta*x)*x"),
])
def test_a_typed_derivative_cannot_use_the_prime_of_the_function_it_differentiates(assignment, grade_id, name, answer):
    outcome = engine.run(spec_for(assignment, grade_id), InProcessLearner({name: answer}), hidden=False)
    assert not outcome.passed and outcome.kind == "format", outcome.message


def test_the_scalar_network_still_accepts_the_notebooks_own_spellings():
    """03 writes sigmoid_prime(z3) and relu_prime(z): its typed answer accepts them (issue 7)."""
    answer = "2*(y_hat - y)*sigmoid_prime(z3)*theta3*relu_prime(z2)*theta2*relu_prime(z1)"
    outcome = engine.run(spec_for("03-scalar-network", "test_dC_db1"), InProcessLearner({"dC_db1": answer}),
                         hidden=False)
    assert outcome.passed, outcome.message
