"""The checkers of notebook 01 accept the reference and reject planted mistakes with the right message."""

import sys

import numpy as np
import pytest
import sympy

import course_pkg.gradcheck
from course_pkg.checks import chain_rule as checks
from course_pkg.gradcheck import numerical_gradient as aliased_reference


# --- exercise 1: central_difference ---------------------------------------------------------------
def reference(f, x, h=1e-5):
    x = np.asarray(x, dtype=float)
    return (f(x + h) - f(x - h)) / (2 * h)


def forward(f, x, h=1e-5):
    return (f(x + h) - f(x)) / h


def backward(f, x, h=1e-5):
    return (f(x) - f(x - h)) / h


def not_halved(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / h


def precedence(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / 2 * h


def sign_flipped(f, x, h=1e-5):
    return (f(x - h) - f(x + h)) / (2 * h)


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


def ignores_h(f, x, h=1e-5):
    return (f(x + 1e-7) - f(x - 1e-7)) / 2e-7


def extra_axis(f, x, h=1e-5):
    return np.atleast_1d(reference(f, x, h))  # a number comes back as shape (1,)


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


def test_reference_passes_visible_and_hidden(capsys):
    checks.check_central_difference(reference)
    checks.check_central_difference_hidden(reference)
    out = capsys.readouterr()
    assert out.out.count("✔") == 2 and out.err == ""


@pytest.mark.parametrize(
    "wrong, message",
    [
        (forward, "forward difference"),
        (backward, "backward difference"),
        (not_halved, "divide by 2h, not by h"),
        (precedence, "MULTIPLIES by h"),
        (sign_flipped, "sign is flipped"),
        (returns_none, "returned None"),
        (mutates, "modified its input"),
        (claims_equality, "cannot be read as one"),
        (ignores_h, "use the h it is given"),
        (extra_axis, "extra axis of length 1"),
        (uses_module_reference, "reference implementation numerical_gradient"),
        (uses_aliased_reference, "reference implementation numerical_gradient"),
        (swallows_the_tripwire, "reference implementation numerical_gradient"),
        (uses_the_checkers_own_formula, "reference implementation _central"),
        (raises, "not written yet"),
        ("not a function", "should be a function"),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_visible_check_names_the_mistake(wrong, message):
    with pytest.raises(AssertionError) as info:
        checks.check_central_difference(wrong)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (coarse_default, "Is the default h = 1e-05?"),
        (forward, "forward difference"),
        (uses_aliased_reference, "reference implementation"),
        (lambda f, x, h=1e-5: float(reference(f, x, h)), "raised TypeError"),  # numbers only
    ],
    ids=["coarse_default", "forward", "reference", "scalar_only"],
)
def test_hidden_check_catches_what_the_visible_one_cannot(wrong, message):
    with pytest.raises(AssertionError) as info:
        checks.check_central_difference_hidden(wrong)
    assert message in str(info.value)


def test_a_named_mistake_on_a_2d_array_still_shows_what_came(capsys):
    """The message keeps the expected and the learner's values even when they span several lines."""
    with pytest.raises(AssertionError) as info:
        checks.check_central_difference_hidden(forward)
    message = str(info.value)
    assert "expected:" in message and "got:" in message and "forward difference" in message
    assert "off by" not in message  # the named mistake replaces the generic pattern


def test_coarse_default_passes_the_visible_check_but_not_the_hidden_one(capsys):
    """The hidden tests add something: a wrong default h is only caught there."""
    checks.check_central_difference(coarse_default)
    with pytest.raises(AssertionError):
        checks.check_central_difference_hidden(coarse_default)


def test_patching_numpy_later_changes_nothing(monkeypatch):
    """A learner who patches np.allclose or np.isclose cannot make a wrong answer pass."""
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "isclose", lambda *a, **k: np.ones(np.shape(a[0]), dtype=bool))
    with pytest.raises(AssertionError):
        checks.check_central_difference(forward)


def test_the_reference_works_again_after_a_check():
    """The tripwire is lifted after the check, whether the check passed or failed."""
    with pytest.raises(AssertionError, match="reference implementation numerical_gradient"):
        checks.check_central_difference(uses_aliased_reference)
    checks.check_central_difference(reference)
    assert np.allclose(aliased_reference(lambda v: float((v**2).sum()), np.ones(2)), [2.0, 2.0])


def test_checker_never_touches_the_learners_input():
    seen = []

    def recording(f, x, h=1e-5):
        seen.append(x)
        return reference(f, x, h)

    checks.check_central_difference(recording)
    arrays = [x for x in seen if isinstance(x, np.ndarray)]
    assert arrays and all(np.array_equal(a, [-1.0, 0.5, 2.0]) for a in arrays)


# --- exercise 2: typed derivatives ----------------------------------------------------------------
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
def test_every_correct_form_passes_both_checks(exercise, answer, capsys):
    checks.check_derivative(exercise, answer)
    checks.check_derivative_numerically(exercise, answer)
    assert capsys.readouterr().out.count("✔") == 2


@pytest.mark.parametrize(
    "exercise, answer, message",
    [
        ("sin_square", "cos(x**2)", "the chain rule needs both links"),
        ("sin_square", "2*x*cos(2*x)", "not at its derivative 2x"),
        ("sin_square", "-2*x*cos(x^2)", "derivative of sin is +cos"),
        ("softplus", "1/(1 + exp(x))", "Multiply by the inner link"),
        ("softplus", "exp(x)", "Multiply by the outer link"),
        ("neuron_cost", "(tanh(theta*x) - y)*(1 - tanh(theta*x)**2)", "innermost link is missing"),
        ("neuron_cost", "x*(tanh(theta*x) - y)", "middle link is missing"),
        ("neuron_cost", "2*x*(tanh(theta*x) - y)*(1 - tanh(theta*x)**2)", "cancels the 2"),
        ("neuron_cost", "x*(tanh(theta*x) - y)*(1 - tanh(theta*x))", "the tanh is squared"),
        ("sin_square", "2*x*cos(x)^2", "cos(x)^2 means (cos x)²"),
        ("sin_square", "sin(x^2)", "the function itself"),
        ("softplus", "exp(x)/(1 + x)", "not at 1 + x"),
        ("neuron_cost", "x*(y - tanh(theta*x))*(1 - tanh(theta*x)^2)", "not y − a"),
        ("neuron_cost", "x*(tanh(theta*x) - y)*(1 - tanh(x)^2)", "not at x"),
        ("softplus", "-exp(x)/(1 + exp(x))", "Check the sign of each local derivative"),
        ("sin_square", None, "No answer yet"),
        ("sin_square", sympy.Symbol("x"), "Type the derivative as a string"),
        ("sin_square", 2.0, "Type the derivative as a string"),
    ],
)
def test_wrong_answers_get_targeted_feedback(exercise, answer, message):
    with pytest.raises(AssertionError) as info:
        checks.check_derivative(exercise, answer)
    assert message in str(info.value)


#: Answers the parser cannot read: the one piece of advice the learner should get (the parser's own,
#: or for intermediate names the exercise's), and the checker's former copy of it (None: never had one).
UNREADABLE = [
    ("neuron_cost", "x*(tanh(theta*x) - y)*(1 - tanh^2(theta*x))",
     "write `tanh(theta*x)^2` for the square of tanh(theta*x)", "tanh(z)^2, not tanh^2(z)"),
    ("neuron_cost", "x*(tanh(theta*x) - y)*sech(theta*x)^2",
     "write `1/cosh(theta*x)` for sech(theta*x)", "sech is not available"),
    ("sin_square", "2xcos(x^2)",
     "write `x*cos(x^2)` for x times cos(x^2)", "Separate a factor"),
    ("sin_square", "cos'(x^2)*2x",
     "write cos′(x^2) out: `-sin(x^2)`", None),
    ("neuron_cost", "x*(a - y)*(1 - a^2)",
     "Write theta*x for z and tanh(theta*x) for a", "Write the answer with theta, x and y only"),
]


def _messages(exercise, answer, capsys):
    """What the learner reads from each of the three entry points for an unreadable answer."""
    with pytest.raises(AssertionError) as visible:
        checks.check_derivative(exercise, answer)
    with pytest.raises(AssertionError) as hidden:
        checks.check_derivative_numerically(exercise, answer)
    capsys.readouterr()
    assert checks.read_answer(exercise, answer) is None
    return {"check_derivative": str(visible.value), "check_derivative_numerically": str(hidden.value),
            "read_answer": capsys.readouterr().out}


@pytest.mark.parametrize("exercise, answer, advice, former", UNREADABLE, ids=[u[1] for u in UNREADABLE])
def test_an_unreadable_answer_gets_its_advice_exactly_once(exercise, answer, advice, former, capsys):
    """The parser's advice (or the exercise's, for intermediate names) is given once, never twice."""
    for where, message in _messages(exercise, answer, capsys).items():
        assert message.count(advice) == 1, f"{where}: {message!r}"
        assert message.lower().count("write") == 1, f"{where} gives more than one piece of advice: {message!r}"
        assert message.count("the variables are") <= 1 and message.count("primes") <= 1, message
        if former is not None:
            assert former not in message, f"{where} still adds the checker's copy of the advice: {message!r}"


def test_the_visible_check_of_an_unreadable_answer_is_a_header_and_one_reason():
    """check_derivative: the header line, then the parser's reason with its advice, nothing else."""
    for exercise, answer, advice, _ in UNREADABLE[:4]:
        with pytest.raises(AssertionError) as info:
            checks.check_derivative(exercise, answer)
        lines = str(info.value).splitlines()
        assert len(lines) == 2 and "is not right" in lines[0] and advice in lines[1], lines


def test_intermediate_names_get_the_exercises_own_hint_after_the_parsers_reason():
    """`a` and `z` are not variables of the question: the parser says so once, the exercise says what to write."""
    for answer, name in (("x*(a - y)*(1 - a^2)", "a"), ("x*(tanh(z) - y)", "z")):
        with pytest.raises(AssertionError) as info:
            checks.check_derivative("neuron_cost", answer)
        lines = str(info.value).splitlines()
        assert len(lines) == 3, lines
        assert f"`{name}` is not a variable" in lines[1] and lines[1].count("theta, x, y") == 1
        assert lines[2] == checks.EXERCISES["neuron_cost"]["format_hint"]


def test_a_named_misconception_replaces_the_engines_generic_hint():
    """A recognised mistake gets its own explanation, not also the engine's unrelated example."""
    with pytest.raises(AssertionError) as info:
        checks.check_derivative("sin_square", "-2*x*cos(x^2)")
    assert "derivative of sin is +cos" in str(info.value) and "e^(−z)" not in str(info.value)


def test_read_answer_shows_what_the_checker_reads(capsys):
    x, theta = sympy.Symbol("x", real=True), sympy.Symbol("theta", real=True)
    assert checks.read_answer("sin_square", "2x cos(x^2)") == 2 * x * sympy.cos(x**2)
    assert checks.read_answer("neuron_cost", "θ^2").equals(theta**2)
    assert checks.read_answer("sin_square", "2x cos x^2") is None
    assert "Cannot read '2x cos x^2'" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="No answer yet"):
        checks.read_answer("softplus", None)


@pytest.mark.parametrize("answer", ["diff(sin(x**2), x)", "Derivative(sin(x**2), x)"])
def test_letting_sympy_differentiate_is_refused(answer):
    with pytest.raises(AssertionError) as info:
        checks.check_derivative("sin_square", answer)
    assert "diff" in str(info.value).lower() or "derivative" in str(info.value).lower()


def test_hostile_text_is_never_run(tmp_path):
    target = tmp_path / "pwned"
    answer = f"__import__('os').system('touch {target}')"
    with pytest.raises(AssertionError):
        checks.check_derivative("sin_square", answer)
    with pytest.raises(AssertionError):
        checks.check_derivative_numerically("sin_square", answer)
    assert not target.exists()


@pytest.mark.parametrize(
    "exercise, answer",
    [("sin_square", "cos(x**2)"), ("softplus", "exp(x)"), ("neuron_cost", "x*(tanh(theta*x) - y)")],
)
def test_numerical_cross_check_rejects_wrong_slopes(exercise, answer):
    with pytest.raises(AssertionError) as info:
        checks.check_derivative_numerically(exercise, answer)
    assert "central difference" in str(info.value)


def test_expected_derivatives_are_the_chain_rules_products():
    x, theta, y = (sympy.Symbol(n, real=True) for n in ("x", "theta", "y"))
    by_hand = {
        "sin_square": sympy.cos(x**2) * 2 * x,
        "softplus": 1 / (1 + sympy.exp(x)) * sympy.exp(x),
        "neuron_cost": (sympy.tanh(theta * x) - y) * (1 - sympy.tanh(theta * x) ** 2) * x,
    }
    for name, expr in by_hand.items():
        difference = sympy.simplify((checks.expected_derivative(name) - expr).rewrite(sympy.exp))
        assert difference == 0, f"{name}: {checks.expected_derivative(name)} != {expr}"


def test_unknown_exercise_is_a_value_error_naming_the_choices():
    with pytest.raises(ValueError, match="sin_square"):
        checks.check_derivative("tan_square", "x")
