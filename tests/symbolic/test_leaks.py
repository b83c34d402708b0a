"""The leak rule: no message of the checker gives away the expected answer, or most of it."""

import importlib.util
import pathlib

import pytest
import sympy

from course_pkg.symbolic import equivalent, leaks, parse_answer
from course_pkg.symbolic.equivalence import SAFE_MESSAGES
from course_pkg.symbolic.leaks import protected_parts

CORPUS_PATH = pathlib.Path(__file__).resolve().parents[1] / "data" / "symbolic_corpus.py"
_spec = importlib.util.spec_from_file_location("symbolic_corpus", CORPUS_PATH)
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

SIN = "2*x*cos(x^2)"


# the rule itself -------------------------------------------------------------------------------

@pytest.mark.parametrize("message", [
    "A factor is missing: your answer times 2*x*cos(x^2) would be right.",  # the old message for `1`
    "A factor is missing: your answer times 2*x*cos(x**2) would be right.",  # SymPy's str
    "your answer times 2x·cos(x²) would be right",  # the course's Unicode, implicit products
    "times cos(x^2)*x*2 would be right",  # reordered
    "the derivative is 2 x cos(x^2).",  # blanks for products
    r"expected $2 x \cos{\left(x^{2} \right)}$",  # SymPy's LaTeX
    "your answer times cos(x^2) would be right",  # a factor carrying most of it
    "multiply by x*cos(x^2)",
    "it should be -2*x*cos(x^2) with the sign flipped",
])
def test_a_message_that_prints_the_answer_or_most_of_it_leaks(message):
    assert leaks(message, SIN) is not None


@pytest.mark.parametrize("message", [
    "2 factors are missing: the outer derivative (of sin, at its input) and the inner derivative (of the square).",
    "Off by a factor of 2: your answer is 2 times the expected one.",
    "The sign is flipped: your answer is exactly minus the expected one.",
    "Your answer depends on `y`, but the expected answer does not: it involves x.",
    "Not equivalent: the two differ at x = 1.3 (your answer gives 0.25, the expected answer 1.7).",
    "the inner function is x^2",  # a small piece, part of the question
])
def test_a_message_in_words_or_with_small_pieces_does_not_leak(message):
    assert leaks(message, SIN) is None


def test_what_the_learner_typed_may_be_quoted_back():
    advice = "`2xcos` is not a function this checker knows: write `2*x*cos(x^2)` for 2x times cos(x^2)"
    assert leaks(advice, SIN) is not None
    assert leaks(advice, SIN, typed="2xcos(x^2)") is None


def test_protected_parts_are_the_large_pieces_only():
    x = sympy.Symbol("x")
    parts = protected_parts(parse_answer(SIN, variables=["x"]))
    assert 2 * x * sympy.cos(x**2) in parts and sympy.cos(x**2) in parts
    assert x not in parts and x**2 not in parts and 2 * x not in parts
    assert protected_parts(x) == []


def test_leaks_names_its_argument():
    with pytest.raises(TypeError, match="message must be a string"):
        leaks(None, SIN)


# the engine's messages over a corpus of wrong answers to every typed exercise of 01-03 ---------

def _exercise_cases():
    for exercise in corpus.EXERCISES:
        for answer in corpus.wrong_answers(exercise):
            yield pytest.param(exercise, answer, id=f"{exercise.name}:{answer[:40]}")


@pytest.mark.parametrize("exercise, answer", list(_exercise_cases()))
def test_no_message_for_a_wrong_answer_leaks(exercise, answer):
    """With and without named links, the verdict on a wrong answer never gives the answer away."""
    expected = exercise.build_expected()
    variables = list(exercise.variables)
    for links in (None, exercise.links() if exercise.links else None):
        verdict = equivalent(answer, expected, variables=variables, links=links)
        assert not verdict.ok, answer
        assert leaks(verdict.message, expected, typed=answer, variables=variables) is None, verdict.message


def test_typing_1_for_the_chain_rule_names_the_links_in_words():
    """The case of the issue: `1` for d/dx sin(x²) used to print the whole solution."""
    exercise = corpus.EXERCISES[0]
    expected = exercise.build_expected()
    verdict = equivalent("1", expected, variables=["x"], links=exercise.links())
    assert verdict.kind == "missing_factor"
    assert "the outer derivative (of sin, at its input)" in verdict.message
    assert "the inner derivative (of the square)" in verdict.message
    assert "cos" not in verdict.message.replace("(of sin", "")
    bare = equivalent("1", expected, variables=["x"])
    assert bare.kind == "missing_factor" and "cos" not in bare.message and "2*x" not in bare.message


def test_a_dropped_link_is_named_by_its_name():
    exercise = corpus.EXERCISES[2]  # neuron_cost: (tanh(θx) − y)(1 − tanh²(θx))·x
    verdict = equivalent("(tanh(theta*x) - y)*(1 - tanh(theta*x)^2)", exercise.build_expected(),
                         variables=list(exercise.variables), links=exercise.links())
    assert verdict.kind == "missing_factor"
    assert verdict.message.startswith("A factor is missing: the inner derivative (of theta*x)")


def test_specific_messages_survive_the_guard():
    """The guard replaces only what leaks: most wrong answers keep a specific message."""
    kept = total = 0
    for exercise in corpus.EXERCISES:
        expected = exercise.build_expected()
        links = exercise.links() if exercise.links else None
        for answer in corpus.wrong_answers(exercise):
            verdict = equivalent(answer, expected, variables=list(exercise.variables), links=links)
            total += 1
            kept += verdict.message not in SAFE_MESSAGES.values()
    assert kept >= 0.8 * total, (kept, total)


def test_a_sign_error_without_exponentials_gets_no_exponential_hint():
    """03: a sign error in dC/db1 was told "the derivative of e^(−z) is −e^(−z)"; ReLU paths have no e^(−z)."""
    verdict = equivalent("-w*Heaviside(z1)*theta2", "w*Heaviside(z1)*theta2")
    assert verdict.kind == "sign" and "e^(" not in verdict.message
    db1 = corpus.EXERCISES[4]
    expected = db1.build_expected()
    flipped = "2*(y - sigmoid(z3))*sigmoid(z3)*(1 - sigmoid(z3))*theta3*Heaviside(z2)*theta2*Heaviside(z1)"
    verdict = equivalent(flipped, expected, variables=list(db1.variables), links=db1.links())
    assert verdict.kind == "sign" and "e^(" not in verdict.message and "(ŷ − y)" in verdict.message
    assert "e^(−z)" in equivalent("exp(-z)", "-exp(-z)").message


def test_no_symbolic_module_exports_an_expected_answer():
    """The engine holds no answer of 01-03 (its warm-up uses other expressions)."""
    import importlib
    import pkgutil

    import course_pkg.symbolic as symbolic
    from course_pkg.symbolic import exported_answers

    answers = [exercise.build_expected() for exercise in corpus.EXERCISES]
    for info in pkgutil.iter_modules(symbolic.__path__):
        module = importlib.import_module(f"course_pkg.symbolic.{info.name}")
        assert exported_answers(module, answers) == [], info.name


def test_exported_answers_finds_an_answer_in_any_form():
    import types

    module = types.ModuleType("spec")
    module.TABLE = {"sin": ("x", "cos(x**2)*x*2")}
    module.OK = ("sin(x^2)", "x")
    assert exported_answers_of(module) == ["TABLE"]


def exported_answers_of(module):
    from course_pkg.symbolic import exported_answers

    return exported_answers(module, [corpus.EXERCISES[0].build_expected()])


def test_a_leaking_message_is_replaced_by_words():
    from course_pkg.symbolic import Verdict
    from course_pkg.symbolic.equivalence import _guard

    expected = parse_answer(SIN, variables=["x"])
    leaky = Verdict(ok=False, kind="missing_factor", message="your answer times 2*x*cos(x^2) would be right")
    assert _guard(leaky, expected, "1").message == SAFE_MESSAGES["missing_factor"]
    fine = Verdict(ok=False, kind="constant_factor", message="Off by a factor of 2.")
    assert _guard(fine, expected, "4*x*cos(x^2)").message == "Off by a factor of 2."


@pytest.mark.parametrize("answer", ["1/2", "-1/4", "1/4 + 1", "0"])
def test_for_a_number_no_message_says_how_far_off_it_is(answer):
    """σ′(0) = 1/4: "a factor of 2" or "plus 1" would give the number away."""
    verdict = equivalent(answer, "1/4")
    assert not verdict.ok and verdict.message == "Not the right value."


@pytest.mark.parametrize("lines", [
    ["1 - tanh(z)^2", "1/cosh(z)^2"],
    ["((exp(z) - exp(-z))^2 - (exp(z) + exp(-z))^2)/(exp(z) + exp(-z))^2", "1 - tanh(z)^2"],
    ["((exp(z) + exp(-z))^2 - (exp(z) - exp(-z))^2)/(exp(z) + exp(-z))^2", "1 - tanh(z)"],
    ["((exp(z) + exp(-z))^2 - (exp(z) - exp(-z))^2)/(exp(z) + exp(-z))^2", "2 - 2*tanh(z)^2"],
    ["(exp(z) + exp(-z))/(exp(z) + exp(-z))", "1"],
    ["1", "1"],
])
def test_no_derivation_message_leaks_the_start_or_the_end(lines):
    """02's tanh derivation: neither the quotient-rule line nor the final form is given away."""
    from course_pkg.symbolic import check_derivation, quotient_rule

    rule = quotient_rule("exp(z) - exp(-z)", "exp(z) + exp(-z)")
    verdict = check_derivation(lines, variables=["z"], first=rule)
    assert not verdict.ok
    start = "((exp(z) + exp(-z))^2 - (exp(z) - exp(-z))^2)/(exp(z) + exp(-z))^2"
    for secret in (start, corpus.EXERCISES[3].build_expected(), "1 - tanh(z)^2"):
        assert leaks(verdict.message, secret, typed=lines, variables=["z"]) is None, verdict.message


def test_the_notebooks_own_spellings_in_a_message_are_caught_too():
    """θ3 for theta3, σ′ for the sigmoid's derivative: a message written that way still leaks."""
    expected = corpus.EXERCISES[4].build_expected()
    names = list(corpus.DC_DB1_VARIABLES)
    assert leaks("multiply by 2(σ(z3) − y)·σ′(z3)·θ3·H(z2)·θ2", expected, variables=names) is not None
    assert leaks("the factor σ′(z3) is missing", expected, variables=names) is None


def test_the_leak_rule_is_callable_whichever_name_binding_is_seen():
    """`symbolic.leaks` may be the function or (after a by-path import) the module: both check."""
    import importlib

    module = importlib.import_module("course_pkg.symbolic.leaks")
    assert module("your answer times 2*x*cos(x^2)", SIN) == "2*x*cos(x^2)"
    assert module.leaks("in words only", SIN) is None


@pytest.mark.parametrize("answer, what", [
    ("2*(sigmoid(z3) - y)*sigmoid(z3)*(1 - sigmoid(z3))*theta3*Max(0, z2)*theta2*Heaviside(z1)", "g(z2)"),
    ("2*(sigmoid(z3) - y)*sigmoid(z3)*theta3*Heaviside(z2)*theta2*Heaviside(z1)", "σ(z3)"),
])
def test_a_function_where_its_derivative_belongs_is_named(answer, what):
    """03: g where g′ belongs was called "the inputs of layers 2 and 3"; σ for σ′ likewise."""
    db1 = corpus.EXERCISES[4]
    for links in (None, db1.links()):
        verdict = equivalent(answer, db1.build_expected(), variables=list(db1.variables), links=links)
        assert verdict.kind == "function_for_derivative", verdict.message
        assert f"the function {what} where its derivative" in verdict.message


def test_naming_the_derivative_that_is_the_answer_is_a_leak_and_is_worded_away():
    verdict = equivalent("tanh(z)*x", "(1 - tanh(z)^2)*x")
    assert verdict.kind == "function_for_derivative"
    assert verdict.message == SAFE_MESSAGES["function_for_derivative"]
