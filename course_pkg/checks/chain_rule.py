r"""Checkers for notebook 01 (derivatives and the chain rule), called from its nbgrader test cells.

Two graded exercises:

* ``central_difference(f, x, h=1e-5)``, the central difference
  :math:`\dfrac{f(x + h) - f(x - h)}{2h}`, elementwise over an array ``x``
  (:func:`check_central_difference`, then :func:`check_central_difference_hidden`);
* derivatives of compositions typed as strings, such as :math:`\frac{d}{dx}\sin(x^2)`
  (:func:`check_derivative`, then :func:`check_derivative_numerically`), read by
  :func:`course_pkg.symbolic.parse_answer` (which never executes the text and refuses ``diff``)
  and judged by :func:`course_pkg.symbolic.equivalent`.

Every check raises :class:`AssertionError` with a specific message (what was expected, what
came, the likely misconception) and prints one line on success. While the learner's function
runs, the course's own finite-difference code (:mod:`course_pkg.gradcheck`) is a tripwire: using
it as the answer fails with a message saying so.
"""

import importlib
import inspect

import numpy as np

from . import _core
from ._core import (
    as_learner_array,
    assert_close,
    assert_untampered,
    call_learner,
    passed,
    rng,
)

# Bound at import, like _core's: later patching of numpy changes nothing here.
_sin = np.sin
_cos = np.cos
_exp = np.exp
_tanh = np.tanh
_logaddexp = np.logaddexp
_abs = np.abs
_linspace = np.linspace
_float64 = np.float64

#: Step the visible self-check uses: large, so every classic mistake gives a clearly different number.
CHECK_STEP = 0.1
#: Default step the exercise asks for.
DEFAULT_STEP = 1e-5
#: With the default step, a central difference of sin must be this close to cos (absolute).
DEFAULT_STEP_TOL = 1e-8
#: Step of the checker's own central difference in the numerical cross-check of a typed derivative.
CROSS_CHECK_STEP = 1e-5
#: Relative tolerance of that cross-check (the difference quotient's error is ~1e-10).
CROSS_CHECK_RTOL = 1e-6
#: Absolute tolerance of that cross-check.
CROSS_CHECK_ATOL = 1e-8


# --------------------------------------------------------------------------------------------
# Anti-gaming: the course's own finite differences may not be the answer.
# --------------------------------------------------------------------------------------------
_REFERENCE_MODULES = ("course_pkg.gradcheck",)


def _reference_functions():
    """Every function defined in the course's finite-difference module(s)."""
    functions = []
    for module_name in _REFERENCE_MODULES:
        module = importlib.import_module(module_name)
        functions += [
            obj
            for _, obj in inspect.getmembers(module, inspect.isfunction)
            if obj.__module__ == module.__name__ and not obj.__closure__
        ]
    return functions


def _call(func, *args, name):
    """:func:`_core.call_learner` with the course's references (and this checker's own) switched off."""
    return call_learner(func, *args, name=name, forbid=(*_reference_functions(), _central))


# --------------------------------------------------------------------------------------------
# Exercise 1: central_difference(f, x, h=1e-5)
# --------------------------------------------------------------------------------------------
def _cube(x):
    return x * x * x


def _central(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


def _mistakes(f, x, h):
    """The values the classic wrong formulas give, each with what it reveals."""
    fp, f0, fm = f(x + h), f(x), f(x - h)
    return [
        ((fp - f0) / h,
         "This is the forward difference (f(x + h) − f(x)) / h. The central difference looks "
         "both ways, (f(x + h) − f(x − h)) / (2h), and its error shrinks like h² instead of h."),
        ((f0 - fm) / h,
         "This is the backward difference (f(x) − f(x − h)) / h. The central difference uses "
         "the two points x − h and x + h: (f(x + h) − f(x − h)) / (2h)."),
        ((fp - fm) / h,
         "It is twice the central difference: the points x − h and x + h are 2h apart, so "
         "divide by 2h, not by h."),
        ((fp - fm) / 2 * h,
         "Mind the precedence: `... / 2 * h` divides by 2 and then MULTIPLIES by h. "
         "Write `/ (2 * h)`."),
        (fp - fm / (2 * h),
         "Mind the precedence: only f(x − h) was divided by 2h. Put the difference in "
         "parentheses: (f(x + h) − f(x − h)) / (2 * h)."),
        ((fm - fp) / (2 * h),
         "The sign is flipped: subtract f(x − h) from f(x + h), not the other way round."),
        (fp - fm,
         "The difference f(x + h) − f(x − h) still has to be divided by the distance 2h "
         "between the two points."),
    ]


def _explain(got, f, x, h, true_derivative=None):
    """The misconception ``got`` reveals, or ``""``."""
    for value, why in _mistakes(f, x, h):
        if _core._close(got, _core._asarray(value, dtype=_float64)):
            return why
    if true_derivative is not None and _core._close(got, true_derivative, rtol=1e-7, atol=1e-9):
        return (
            f"It is (almost) the exact derivative, which the central difference with h = {h} is "
            "not: does your function use the h it is given, or a tiny step of its own?"
        )
    return ""


def _compare(result, f, x, h, label, true_derivative=None):
    expected = _central(f, x, h)
    got = as_learner_array(result, label, shape=_core._asarray(expected).shape)
    try:
        assert_close(got, expected, label, where=f"with h = {h}")
    except AssertionError as exc:
        why = _explain(got, f, x, h, true_derivative)
        if not why:
            raise
        # Keep the header and the expected/got lines; name the mistake instead of the generic
        # pattern (the last line, when assert_close recognised one).
        message = str(exc)
        generic = _core.diagnose(got, expected)
        if generic and message.endswith(generic):
            message = message[: -len(generic)].rstrip("\n")
        raise AssertionError(f"{message}\n{why}") from None


def check_central_difference(central_difference):
    r"""Visible self-check: ``central_difference(f, x, h)`` is :math:`\frac{f(x+h) - f(x-h)}{2h}`.

    Tests :math:`f(x) = x^3` at the scalar :math:`x = 2` and at an array of shape ``(3,)``, with
    :math:`h = 0.1`, large enough that every classic mistake (forward or backward difference,
    dividing by :math:`h` instead of :math:`2h`, precedence, sign) gives a clearly different
    number, which the message names. Also fails if the input array is modified.

    Parameters
    ----------
    central_difference : callable
        The learner's function ``central_difference(f, x, h=1e-5)``.

    Raises
    ------
    AssertionError
        With what was expected, what came and the likely mistake.

    Examples
    --------
    >>> check_central_difference(lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / (2 * h))
    ✔ central_difference(f, x, h) matches (f(x + h) − f(x − h)) / (2h) on a number and an array
    >>> check_central_difference(lambda f, x, h=1e-5: (f(x + h) - f(x)) / h)
    Traceback (most recent call last):
    ...
    AssertionError: central_difference(cube, 2.0, 0.1) with h = 0.1 is wrong.
      expected: 12.01
      got:      12.61
    This is the forward difference (f(x + h) − f(x)) / h. The central difference looks both ways, (f(x + h) − f(x − h)) / (2h), and its error shrinks like h² instead of h.
    """
    h = CHECK_STEP
    x = 2.0
    result = _call(central_difference, _cube, x, h, name="central_difference")
    _compare(result, _cube, x, h, f"central_difference(cube, {x}, {h})", 3 * x**2)

    xs = _core._array([-1.0, 0.5, 2.0])  # (3,)
    result = _call(central_difference, _cube, xs, h, name="central_difference")
    _compare(result, _cube, xs, h, "central_difference(cube, [-1, 0.5, 2], 0.1)", 3 * xs**2)
    passed("central_difference(f, x, h) matches (f(x + h) − f(x − h)) / (2h) on a number and an array")


def check_central_difference_hidden(central_difference):
    r"""Hidden tests: other functions, shapes and steps; the default step; inputs left untouched.

    * :math:`\sin` on a random array of shape ``(2, 3)`` from the checker's own generator, with
      :math:`h = 10^{-3}`;
    * :math:`x^3` with :math:`h = 0.25` and :math:`h = 0.5`, whose central difference is exactly
      :math:`3x^2 + h^2`, so a function that ignores ``h`` fails;
    * :math:`\exp` on a scalar with :math:`h = 0.2`;
    * called without ``h``: the result must be within ``DEFAULT_STEP_TOL`` of :math:`\cos(x)`.

    Examples
    --------
    >>> check_central_difference_hidden(lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / (2 * h))
    ✔ central_difference passes the hidden tests (other functions, shapes and steps)
    """
    gen = rng(20240101)
    X = gen.uniform(-2.0, 2.0, size=(2, 3))  # (2, 3)
    result = _call(central_difference, _sin, X, 1e-3, name="central_difference")
    _compare(result, _sin, X, 1e-3, "central_difference(np.sin, X of shape (2, 3), 1e-3)", _cos(X))

    x = gen.uniform(-1.5, 1.5, size=4)  # (4,)
    for h in (0.25, 0.5):
        result = _call(central_difference, _cube, x, h, name="central_difference")
        _compare(result, _cube, x, h, f"central_difference(cube, x of shape (4,), {h})", 3 * x**2)

    result = _call(central_difference, _exp, 0.7, 0.2, name="central_difference")
    _compare(result, _exp, 0.7, 0.2, "central_difference(np.exp, 0.7, 0.2)")

    result = _call(central_difference, _sin, x, name="central_difference")
    got = as_learner_array(result, "central_difference(np.sin, x) with the default h", shape=x.shape)
    worst = float(_core._max(_abs(got - _cos(x))))
    if not worst <= DEFAULT_STEP_TOL:
        raise AssertionError(
            f"central_difference(np.sin, x) with the default step should be within "
            f"{DEFAULT_STEP_TOL:g} of cos(x), but it is {worst:.3g} away. Is the default "
            f"h = {DEFAULT_STEP:g}? (A large step adds truncation error, a tiny one round-off.)"
        )
    passed("central_difference passes the hidden tests (other functions, shapes and steps)")


# --------------------------------------------------------------------------------------------
# Exercise 2: derivatives of compositions, typed as strings
# --------------------------------------------------------------------------------------------
#: The typed-derivative exercises: the composition, how messages show it, the variable to
#: differentiate by, all variables, a numpy version of the function for the numerical
#: cross-check, the points, and the classic wrong answers with what each reveals.
EXERCISES = {
    "sin_square": {
        "function": "sin(x**2)",
        "display": "d/dx sin(x²)",
        "wrt": "x",
        "variables": ("x",),
        "numeric": lambda x: _sin(x * x),
        "points": {"x": (-2.0, 2.0)},
        "mistakes": (
            ("cos(x**2)",
             "You differentiated the outer function but did not multiply by the derivative of "
             "the inner one: the chain rule needs both links, f'(g(x))·g'(x) with g(x) = x²."),
            ("2*x*cos(2*x)",
             "The outer derivative must be evaluated at the inner function g(x) = x², not at "
             "its derivative 2x: f'(g(x)), not f'(g'(x))."),
            ("cos(2*x)",
             "That is cos evaluated at g'(x) = 2x. The chain rule evaluates the outer derivative "
             "at g(x) = x² and then multiplies by g'(x) = 2x."),
            ("2*x*cos(x)**2",
             "cos(x)^2 means (cos x)², the square of cos x. The outer derivative is cos evaluated "
             "at the inner value x²: type cos(x^2)."),
            ("-2*x*cos(x**2)",
             "The derivative of sin is +cos (it is cos whose derivative is −sin)."),
            ("sin(x**2)",
             "That is the function itself; the exercise asks for its derivative."),
        ),
    },
    "softplus": {
        "function": "log(1 + exp(x))",
        "display": "d/dx log(1 + eˣ)",
        "wrt": "x",
        "variables": ("x",),
        "numeric": lambda x: _logaddexp(0.0, x),
        "points": {"x": (-3.0, 3.0)},
        "mistakes": (
            ("1/(1 + exp(x))",
             "That is only the outer link, 1/u at u = 1 + eˣ. Multiply by the inner link, "
             "du/dx = eˣ."),
            ("exp(x)",
             "That is only the inner link, d(1 + eˣ)/dx. Multiply by the outer link, "
             "d log(u)/du = 1/u at u = 1 + eˣ."),
            ("exp(x)/(1 + exp(x))**2",
             "The derivative of log(u) is 1/u, not 1/u²."),
            ("exp(x)/(1 + x)",
             "The outer link 1/u must be evaluated at the inner value u = 1 + eˣ, not at 1 + x."),
            ("log(1 + exp(x))",
             "That is the function itself; the exercise asks for its derivative."),
        ),
    },
    "neuron_cost": {
        "function": "(tanh(theta*x) - y)**2/2",
        "display": "dC/dθ for C = ½(tanh(θx) − y)²",
        "wrt": "theta",
        "variables": ("theta", "x", "y"),
        "numeric": lambda theta, x, y: 0.5 * (_tanh(theta * x) - y) ** 2,
        "points": {"theta": (-1.5, 1.5), "x": (-2.0, 2.0), "y": (-1.0, 1.0)},
        "mistakes": (
            ("(tanh(theta*x) - y)*(1 - tanh(theta*x)**2)",
             "The innermost link is missing: z = θx, so dz/dθ = x multiplies the product."),
            ("x*(tanh(theta*x) - y)",
             "The middle link is missing: da/dz = 1 − tanh²(z) at z = θx."),
            ("theta*(tanh(theta*x) - y)*(1 - tanh(theta*x)**2)",
             "The innermost link is dz/dθ for z = θx, which is x (θ is the variable, x a "
             "constant)."),
            ("2*x*(tanh(theta*x) - y)*(1 - tanh(theta*x)**2)",
             "The ½ in front of the square cancels the 2 of the power rule: d(½u²)/du = u."),
            ("x*(tanh(theta*x) - y)*(1 - tanh(theta*x))",
             "The derivative of tanh(z) is 1 − tanh²(z): the tanh is squared."),
            ("x*(tanh(theta*x) - y)*(1 - tanh(x)**2)",
             "The middle link 1 − tanh²(z) must be evaluated at the neuron's weighted input "
             "z = θx, not at x."),
            ("x*(y - tanh(theta*x))*(1 - tanh(theta*x)**2)",
             "The sign is flipped: the outer link is dC/da = a − y for C = ½(a − y)², "
             "not y − a."),
            ("(tanh(theta*x) - y)**2/2",
             "That is the cost itself; the exercise asks for its derivative dC/dθ."),
        ),
        "format_hint": (
            "Write theta*x for z and tanh(theta*x) for a: the intermediate names are not part "
            "of the answer."
        ),
    },
}

#: Typed letters the checker reads as a variable name (the notebook writes θ, the code theta).
ALIASES = {"θ": "theta"}


def _exercise(exercise):
    if not isinstance(exercise, str) or exercise not in EXERCISES:
        raise ValueError(
            f"exercise should be one of {sorted(EXERCISES)}, got {exercise!r}."
        )
    return EXERCISES[exercise]


def _symbols(spec):
    import sympy

    return {name: sympy.Symbol(name, real=True) for name in spec["variables"]}


def _normalise(answer, spec):
    """The answer text with the letters of :data:`ALIASES` spelled out (``θx`` reads ``theta*x``)."""
    for letter, name in ALIASES.items():
        if name in spec["variables"]:
            answer = answer.replace(letter, f" {name} ")
    return answer


def _format_hints(spec, message):
    """Advice of this exercise's own for an answer that cannot be read (``message``: the parser's reason).

    The parser already says how to write what it could not read (``tanh(z)^2`` for ``tanh^2(z)``,
    ``1/cosh(z)`` for ``sech(z)``, ``x*cos(...)`` for ``xcos(...)``, a prime written out), so only
    what it cannot know is added here: which intermediate names (``z``, ``a``) to put in.
    """
    if "is not a variable" in message and "format_hint" in spec:
        return [spec["format_hint"]]
    return []


def expected_derivative(exercise):
    r"""The derivative the exercise asks for, computed by SymPy from the composition.

    Parameters
    ----------
    exercise : str
        A key of :data:`EXERCISES`.

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> expected_derivative("sin_square")
    2*x*cos(x**2)
    """
    import sympy

    from course_pkg.symbolic import parse_answer

    spec = _exercise(exercise)
    symbols = _symbols(spec)
    function = parse_answer(spec["function"], variables=list(symbols.values()))
    return sympy.diff(function, symbols[spec["wrt"]])


def _require_string(answer, exercise):
    spec = _exercise(exercise)
    if answer is None or answer is Ellipsis:
        raise AssertionError(
            f"No answer yet for {spec['display']}: set it to a string such as "
            f"\"3*{spec['wrt']}**2\"."
        )
    if not isinstance(answer, str):
        raise AssertionError(
            f"Type the derivative as a string (in quotes), such as \"3*{spec['wrt']}**2\"; "
            f"got a {type(answer).__name__}. The checker reads text, so that it never runs code."
        )


def read_answer(exercise, answer):
    r"""How the checker reads a typed answer: the SymPy expression, shown as LaTeX in Jupyter.

    For the notebook's "see your own answer" cells. Reads the text exactly as
    :func:`check_derivative` does (with :func:`course_pkg.symbolic.parse_answer`, never running it;
    ``θ`` may be typed for ``theta``); a text that cannot be read gives the reason, not a traceback.

    Parameters
    ----------
    exercise : str
        A key of :data:`EXERCISES`.
    answer : str
        The derivative as typed.

    Returns
    -------
    sympy.Expr or None
        The expression, or ``None`` (after printing why) if the text cannot be read.

    Examples
    --------
    >>> read_answer("neuron_cost", "x (tanh(θx) − y)(1 − tanh(θx)^2)")
    x*(1 - tanh(theta*x)**2)*(-y + tanh(theta*x))
    >>> read_answer("sin_square", "2x cos x^2")
    Cannot read '2x cos x^2': `cos` is a function: call it with an argument, as in `cos(z)`.
    """
    from course_pkg.symbolic import AnswerFormatError, parse_answer

    spec = _exercise(exercise)
    _require_string(answer, exercise)
    try:
        return parse_answer(_normalise(answer, spec), variables=list(_symbols(spec).values()))
    except AnswerFormatError as exc:
        print(" ".join([f"Cannot read {answer!r}: {exc}.", *_format_hints(spec, str(exc))]))
        return None


def check_derivative(exercise, answer):
    r"""Visible self-check of a typed derivative: equivalent to the expected one, or why not.

    The answer is read by :func:`course_pkg.symbolic.parse_answer` (no ``eval``; ``diff`` is
    refused; ``θ`` may be typed for ``theta``) and judged by
    :func:`course_pkg.symbolic.equivalent`. On failure the message names the misconception if
    the answer is one of the exercise's classic wrong answers, and gives the engine's feedback
    (a missing factor, a constant factor, where the two differ) otherwise.

    Parameters
    ----------
    exercise : str
        A key of :data:`EXERCISES`: ``"sin_square"``, ``"softplus"`` or ``"neuron_cost"``.
    answer : str
        The derivative as typed.

    Raises
    ------
    AssertionError
        If the answer is missing, not a string, cannot be read or is not the derivative.

    Examples
    --------
    >>> check_derivative("sin_square", "2x·cos(x²)")
    ✔ d/dx sin(x²) = 2x·cos(x²)
    >>> check_derivative("sin_square", "cos(x^2)")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: ...the chain rule needs both links...
    """
    from course_pkg.symbolic import equivalent

    spec = _exercise(exercise)
    _require_string(answer, exercise)
    text = _normalise(answer, spec)
    variables = list(_symbols(spec).values())
    verdict = equivalent(text, expected_derivative(exercise), variables=variables)
    if verdict.ok:
        passed(f"{spec['display']} = {answer}")
        return None
    lines = [f"{spec['display']}: your answer {answer!r} is not right."]
    kind = getattr(verdict, "kind", None)
    if kind == "format":
        lines += [verdict.message, *_format_hints(spec, verdict.message)]
    else:
        why = next(
            (why for wrong, why in spec["mistakes"] if equivalent(text, wrong, variables=variables).ok),
            "",
        )
        if why:
            lines.append(why)
        elif kind == "sign":
            lines.append(
                "The sign is flipped: your answer is exactly minus the expected one. Check the "
                "sign of each local derivative."
            )
        else:
            lines.append(verdict.message)
    raise AssertionError("\n".join(line for line in lines if line))


def check_derivative_numerically(exercise, answer):
    r"""Hidden test of a typed derivative: it matches the slope measured by finite differences.

    Independently of the symbolic engine, the answer is evaluated at points drawn from the
    checker's own generator and compared with a central difference (step ``CROSS_CHECK_STEP``)
    of the composition itself, computed with numpy.

    Parameters
    ----------
    exercise : str
        A key of :data:`EXERCISES`.
    answer : str
        The derivative as typed.

    Raises
    ------
    AssertionError
        If the answer cannot be read or its value differs from the measured slope.

    Examples
    --------
    >>> check_derivative_numerically("softplus", "1/(1 + exp(-x))")
    ✔ d/dx log(1 + eˣ) agrees with finite differences at 5 points
    """
    from course_pkg.symbolic import AnswerFormatError, parse_answer

    spec = _exercise(exercise)
    _require_string(answer, exercise)
    symbols = _symbols(spec)
    try:
        parsed = parse_answer(_normalise(answer, spec), variables=list(symbols.values()))
    except AnswerFormatError as exc:
        hints = _format_hints(spec, str(exc))
        raise AssertionError(" ".join([f"The answer {answer!r} cannot be read: {exc}.", *hints])) from None
    gen = rng(7 + sorted(EXERCISES).index(exercise))
    n_points = 5
    names = spec["variables"]
    samples = {
        name: gen.uniform(*spec["points"][name], size=n_points) for name in names
    }  # each (n_points,)
    h = CROSS_CHECK_STEP
    for i in range(n_points):
        point = {name: float(samples[name][i]) for name in names}
        shifted_up = dict(point, **{spec["wrt"]: point[spec["wrt"]] + h})
        shifted_down = dict(point, **{spec["wrt"]: point[spec["wrt"]] - h})
        slope = (spec["numeric"](**shifted_up) - spec["numeric"](**shifted_down)) / (2 * h)
        try:
            value = complex(parsed.evalf(30, subs={symbols[n]: point[n] for n in names}))
        except (TypeError, ValueError):
            value = complex("nan")
        where = ", ".join(f"{n} = {point[n]:.4g}" for n in names)
        if not (abs(value.imag) <= CROSS_CHECK_ATOL
                and abs(value.real - slope) <= CROSS_CHECK_ATOL + CROSS_CHECK_RTOL * abs(slope)):
            raise AssertionError(
                f"At {where}, your derivative {answer!r} gives {value.real:.8g}, but the slope "
                f"of {spec['function']} measured by a central difference is {slope:.8g}."
            )
    passed(f"{spec['display']} agrees with finite differences at {n_points} points")


# ---------------------------------------------------------------------------------------------
# Tamper detection: record this module and the course modules it relies on as they are now
# (see :func:`course_pkg.checks._core.assert_untampered`, called by every hidden test).
_core.seal(__name__, references=("course_pkg.gradcheck", "course_pkg.symbolic"))
