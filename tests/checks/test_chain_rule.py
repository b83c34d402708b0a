"""Notebook 01's specs, run through the notebook's own ``checks.check``: the reference passes, planted
mistakes fail with the message that names them, and the regressions of issue 7 stay fixed."""

import numpy as np
import pytest
import sympy

import course_pkg.gradcheck
from course_pkg.checks import chain_rule as checks
from course_pkg.checks import engine
from course_pkg.checks.engine import CheckFailed, run
from course_pkg.checks.learner import InProcessLearner
from course_pkg.gradcheck import numerical_gradient as aliased_reference

FORMULA = "test_central_difference_formula"
OTHERS = "test_central_difference_hidden"


def reference(f, x, h=1e-5):
    x = np.asarray(x, dtype=float)
    return (f(x + h) - f(x - h)) / (2 * h)


def second_difference(f, x, h=1e-5):
    return (f(x + h) - 2 * f(x) + f(x - h)) / h**2


def returns_none(f, x, h=1e-5):
    (f(x + h) - f(x - h)) / (2 * h)


def mutates(f, x, h=1e-5):
    x = np.asarray(x, dtype=float)
    up = f(x + h)
    if x.ndim:
        x[...] = x - h  # reuses the caller's array
        return (up - f(x)) / (2 * h)
    return (up - f(x - h)) / (2 * h)


class EqualsEverything:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


def claims_equality(f, x, h=1e-5):
    return EqualsEverything()


def extra_axis(f, x, h=1e-5):
    return np.atleast_1d(reference(f, x, h))


def uses_module_reference(f, x, h=1e-5):
    return course_pkg.gradcheck.numerical_gradient(lambda v: float(np.sum(f(v))), np.atleast_1d(x), eps=h)


def uses_aliased_reference(f, x, h=1e-5):
    return aliased_reference(lambda v: float(np.sum(f(v))), np.atleast_1d(x), eps=h)


def uses_the_checkers_own_formula(f, x, h=1e-5):
    return checks._central(f, x, h)


def swallows_the_tripwire(f, x, h=1e-5):
    try:
        return course_pkg.gradcheck.numerical_gradient(lambda v: float(np.sum(f(v))), np.atleast_1d(x), eps=h)
    except Exception:
        return reference(f, x, h)


def coarse_default(f, x, h=1e-2):
    return reference(f, x, h)


def raises(f, x, h=1e-5):
    raise NotImplementedError()


def fails(grade_id, *objects, hidden=False):
    with pytest.raises(CheckFailed) as info:
        checks.check(grade_id, *objects, hidden=hidden)
    return info.value.outcome


# --- central_difference -------------------------------------------------------------------------


def test_reference_passes_visible_and_hidden(capsys):
    for grade_id in (FORMULA, OTHERS):
        checks.check(grade_id, reference)
        checks.check(grade_id, reference, hidden=True)
    out = capsys.readouterr()
    assert out.out.count("✔") == 4 and out.err == ""


@pytest.mark.parametrize(
    "wrong, kind, message",
    [
        (returns_none, "type", "returned None"),
        (mutates, "mutated", "modified its input"),
        (claims_equality, "type", "it returned a EqualsEverything"),
        (extra_axis, "shape", "extra axis of length 1"),
        (uses_module_reference, "reference_used", "reference implementation numerical_gradient"),
        (uses_aliased_reference, "reference_used", "reference implementation numerical_gradient"),
        (swallows_the_tripwire, "reference_used", "reference implementation numerical_gradient"),
        (uses_the_checkers_own_formula, "reference_used", "reference implementation _central"),
        ("not a function", "error", "not a function"),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
@pytest.mark.parametrize("hidden", [False, True])
def test_the_self_check_names_the_mistake(wrong, kind, message, hidden):
    outcome = fails(FORMULA, wrong, hidden=hidden)
    assert outcome.kind == kind and message in outcome.message, outcome


def test_not_written_is_one_line():
    outcome = fails(FORMULA, raises)
    assert outcome.message == (
        "`central_difference` is not written yet: replace `raise NotImplementedError()` with your code")


def test_second_difference_is_named_not_told_to_use_its_h():
    """Regression: at x = 2 f′ = f″ for x³, so the second difference was told to "use the h it is given"."""
    outcome = fails(FORMULA, second_difference)
    assert outcome.kind == "second_difference" and "f″" in outcome.message
    assert "use the h it is given" not in outcome.message


def test_a_wrong_default_step_now_fails_the_self_check_too():
    """The self-check of the second cell covers its hidden case classes, the default step included."""
    checks.check(FORMULA, coarse_default)  # h is always given there
    assert fails(OTHERS, coarse_default).kind == "default_step"
    assert fails(OTHERS, coarse_default, hidden=True).kind == "default_step"


def test_numbers_only_code_fails_on_arrays():
    outcome = fails(FORMULA, lambda f, x, h=1e-5: float(reference(f, x, h)))
    assert outcome.kind in ("scalar_only", "error") and outcome.case == "an array of shape (3,)"


def test_patching_numpy_later_changes_nothing(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "isclose", lambda *a, **k: np.ones(np.shape(a[0]), dtype=bool))
    monkeypatch.setattr(np, "all", lambda *a, **k: True)
    assert fails(FORMULA, lambda f, x, h=1e-5: (f(x + h) - f(x)) / h).kind == "forward_difference"


def test_the_reference_works_again_after_a_check():
    fails(FORMULA, uses_aliased_reference)
    checks.check(FORMULA, reference)
    assert np.allclose(aliased_reference(lambda v: float((v**2).sum()), np.ones(2)), [2.0, 2.0])


def test_the_learners_function_gets_copies_and_the_checkers_arrays_stay_intact():
    seen = []

    def recording(f, x, h=1e-5):
        seen.append(x)
        return reference(f, x, h)

    learner = InProcessLearner({"central_difference": recording})
    assert run(checks.CENTRAL_DIFFERENCE, learner, hidden=False).passed
    seen[1][...] = 0.0  # the learner keeps and changes what it was given: nothing of the checker's
    assert run(checks.CENTRAL_DIFFERENCE, learner, hidden=False).passed


# --- typed derivatives ----------------------------------------------------------------------------

ANSWERS = {"sin_square": "test_derivative_sin_square", "softplus": "test_derivative_softplus",
           "neuron_cost": "test_derivative_neuron_cost"}
NAMES = {"sin_square": "answer_sin_square", "softplus": "answer_softplus", "neuron_cost": "answer_neuron_cost"}


def typed(exercise, answer, hidden=False):
    """The notebook's test cell for a typed answer: ``checks.check(grade_id)`` reads the variable."""
    namespace = {NAMES[exercise]: answer, "checks": checks}
    exec(f"checks.check({ANSWERS[exercise]!r}, hidden={hidden})", namespace)


def typed_fails(exercise, answer, hidden=False):
    with pytest.raises(CheckFailed) as info:
        typed(exercise, answer, hidden)
    return info.value.outcome


@pytest.mark.parametrize(
    "exercise, answer",
    [
        ("sin_square", "2*x*cos(x**2)"),
        ("sin_square", "2x·cos(x²)"),
        ("softplus", "exp(x)/(1 + exp(x))"),
        ("softplus", "sigmoid(x)"),
        ("softplus", "1/(1 + e^(-x))"),
        ("neuron_cost", "x*(tanh(theta*x) - y)*(1 - tanh(theta*x)^2)"),
        ("neuron_cost", "x*(tanh(theta*x) - y)/cosh(theta*x)**2"),
        ("neuron_cost", "x (tanh(θx) − y)(1 − tanh(θx)^2)"),  # θ is read as theta
    ],
)
def test_every_correct_form_passes_visible_and_hidden(exercise, answer, capsys):
    typed(exercise, answer)
    typed(exercise, answer, hidden=True)
    assert capsys.readouterr().out.count("✔") == 2


@pytest.mark.parametrize(
    "exercise, answer, kind",
    [
        ("softplus", "-exp(x)/(1 + exp(x))", "sign"),
        ("sin_square", "x*cos(x**2)", "constant_factor"),
        ("sin_square", None, "not_written"),
        ("sin_square", sympy.Symbol("x"), "type"),
        ("sin_square", 2.0, "type"),
        ("sin_square", "diff(sin(x**2), x)", "format"),
        ("sin_square", "Derivative(sin(x**2), x)", "format"),
        ("neuron_cost", "x*(a - y)*(1 - a^2)", "format"),
    ],
)
def test_wrong_answers_get_the_kind_that_names_them(exercise, answer, kind):
    assert typed_fails(exercise, answer).kind == kind


def test_typing_1_does_not_reveal_the_answer():
    """Regression: "your answer times 2*x*cos(x^2) would be right" gave the whole solution away."""
    for exercise in ANSWERS:
        outcome = typed_fails(exercise, "1")
        assert "would be right" not in outcome.message or "times" not in outcome.message
        assert "cos(x^2)" not in outcome.message.replace("**", "^").replace(" ", "")
        assert "tanh(theta*x)" not in outcome.message.replace(" ", "")


def test_the_answer_is_echoed_as_typed():
    outcome = typed_fails("sin_square", "cos( x^2 )")
    assert "'cos( x^2 )'" in outcome.message


def test_intermediate_names_get_the_exercises_own_hint():
    outcome = typed_fails("neuron_cost", "x*(a - y)*(1 - a^2)")
    assert "`a` is not a variable" in outcome.message
    assert outcome.message.endswith(checks.NEURON_COST.format_hint)


def test_a_missing_answer_variable_is_missing():
    namespace = {"checks": checks}
    with pytest.raises(CheckFailed) as info:
        exec('checks.check("test_derivative_softplus")', namespace)
    assert info.value.outcome.kind == "missing" and "`answer_softplus`" in info.value.outcome.message


def _real(expr):
    """The expression with its symbols as real symbols of the same names (the parser's own assumptions aside)."""
    return expr.xreplace({s: sympy.Symbol(s.name, real=True) for s in expr.free_symbols})


def test_read_answer_shows_what_the_checker_reads(capsys):
    x, theta = sympy.Symbol("x", real=True), sympy.Symbol("theta", real=True)
    assert sympy.simplify(_real(checks.read_answer("sin_square", "2x cos(x^2)")) - 2 * x * sympy.cos(x**2)) == 0
    assert _real(checks.read_answer("neuron_cost", "θ^2")).equals(theta**2)
    assert checks.read_answer("sin_square", "2x cos x^2") is None
    assert "Cannot read '2x cos x^2'" in capsys.readouterr().out
    with pytest.raises(ValueError, match="sin_square"):
        checks.read_answer("tan_square", "x")


def test_hostile_text_is_never_run(tmp_path):
    target = tmp_path / "pwned"
    answer = f"__import__('os').system('touch {target}')"
    for hidden in (False, True):
        assert typed_fails("sin_square", answer, hidden).kind == "format"
    assert not target.exists()


def test_expected_derivatives_are_the_chain_rules_products():
    """The specs' expected answers are SymPy's derivatives of the compositions."""
    x, theta, y = (sympy.Symbol(n, real=True) for n in ("x", "theta", "y"))
    compositions = {
        checks.SIN_SQUARE: (sympy.sin(x**2), x),
        checks.SOFTPLUS: (sympy.log(1 + sympy.exp(x)), x),
        checks.NEURON_COST: ((sympy.tanh(theta * x) - y) ** 2 / 2, theta),
    }
    for spec, (function, wrt) in compositions.items():
        exercise = {v: k for k, v in checks._BY_EXERCISE.items()}[spec]
        expected = _real(checks.read_answer(exercise, engine.expected_text(spec)))
        assert sympy.simplify((expected - sympy.diff(function, wrt)).rewrite(sympy.exp)) == 0, spec.id
