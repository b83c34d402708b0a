r"""Specs of notebook 01 (derivatives and the chain rule): data for :mod:`course_pkg.checks.engine`.

* ``test_central_difference_formula``: ``central_difference(f, x, h)`` is
  :math:`\frac{f(x+h) - f(x-h)}{2h}` on a number and an array (:math:`x^3`, :math:`h = 0.1`, at
  points where :math:`f' \ne f''`, so that every classic stencil gives another number);
* ``test_central_difference_hidden``: other functions, shapes and steps, and the default step;
* ``test_derivative_sin_square``, ``test_derivative_softplus``, ``test_derivative_neuron_cost``:
  derivatives typed as strings, judged by :func:`course_pkg.symbolic.equivalent` and against
  central differences of the composition.

The notebook calls ``checks.check(grade_id, obj)`` (visible) and ``checks.check(grade_id, obj,
hidden=True)`` (hidden tests); ``read_answer`` shows how a typed answer is read.
"""

import numpy as np

from . import _core, engine
from ._core import assert_untampered
from .engine import Case, Formula, Function, Probe, Tolerance
from .learner import Named

__all__ = ["ASSIGNMENT", "SPECS", "check", "read_answer", "assert_untampered"]

ASSIGNMENT = "01-chain-rule"
#: While the learner's function runs, the course's finite differences (and this module) are off limits.
_FORBID = ("course_pkg.gradcheck", __name__)
_VALUES = Tolerance("float64 agreement (relative 1e-6)", rtol=1e-6, atol=1e-9)
_FD = 1e-5


def _central(f, x, h=_FD):
    x = np.asarray(x, dtype=float)
    return (f(x + h) - f(x - h)) / (2 * h)


# --------------------------------------------------------------------------- central_difference

#: The classic wrong stencils, each with the message that names it.
_STENCIL_PROBES = (
    Probe("forward_difference", wrong=lambda f, x, h=_FD: (f(x + h) - f(x)) / h,
          message="This is the forward difference (f(x + h) − f(x)) / h. The central difference looks "
                  "both ways, (f(x + h) − f(x − h)) / (2h), and its error shrinks like h² instead of h."),
    Probe("backward_difference", wrong=lambda f, x, h=_FD: (f(x) - f(x - h)) / h,
          message="This is the backward difference (f(x) − f(x − h)) / h. The central difference uses "
                  "the two points x − h and x + h."),
    Probe("step_not_halved", wrong=lambda f, x, h=_FD: (f(x + h) - f(x - h)) / h,
          message="It is twice the central difference: the points x − h and x + h are 2h apart, so "
                  "divide by 2h, not by h."),
    Probe("precedence", wrong=lambda f, x, h=_FD: (f(x + h) - f(x - h)) / 2 * h,
          message="Mind the precedence: `... / 2 * h` divides by 2 and then MULTIPLIES by h. Write `/ (2 * h)`."),
    Probe("precedence", wrong=lambda f, x, h=_FD: f(x + h) - f(x - h) / (2 * h),
          message="Mind the precedence: only f(x − h) was divided by 2h. Put the difference in "
                  "parentheses: (f(x + h) − f(x − h)) / (2 * h)."),
    Probe("sign", wrong=lambda f, x, h=_FD: (f(x - h) - f(x + h)) / (2 * h),
          message="The sign is flipped: subtract f(x − h) from f(x + h), not the other way round."),
    Probe("missing_division", wrong=lambda f, x, h=_FD: f(x + h) - f(x - h),
          message="The difference f(x + h) − f(x − h) still has to be divided by the distance 2h "
                  "between the two points."),
    Probe("second_difference", wrong=lambda f, x, h=_FD: (f(x + h) - 2 * f(x) + f(x - h)) / h**2,
          message="That is the second difference (f(x + h) − 2f(x) + f(x − h)) / h², which estimates "
                  "f″, the curvature. The first derivative needs (f(x + h) − f(x − h)) / (2h)."),
    Probe("ignores_h", wrong=lambda f, x, h=_FD: _central(f, x, 1e-7),
          message="It is (almost) the exact derivative, which the central difference with this h is "
                  "not: does your function use the h it is given, or a tiny step of its own?"),
)


def _formula_cases(rng):
    # x³ at points where f′ = 3x² and f″ = 6x differ (not x = 0 or 2), h large enough to tell stencils apart
    x = float(rng.uniform(1.2, 1.8))
    xs = np.sort(rng.uniform(-1.5, 1.5, 3))
    xs[np.abs(xs) < 0.3] += 0.6
    return [
        Case("a number", (Named("cube"), x, 0.1)),
        Case("an array of shape (3,)", (Named("cube"), xs, 0.1)),
    ]


def _other_cases(rng):
    return [
        Case("np.sin on shape (2, 3)", (Named("sin"), rng.uniform(-2.0, 2.0, (2, 3)), 1e-3)),
        Case("a larger step, h = 0.25", (Named("cube"), rng.uniform(0.5, 1.5, 4), 0.25)),
        Case("a larger step, h = 0.5", (Named("quartic"), rng.uniform(0.5, 1.5, 4), 0.5)),
        Case("np.exp at a number", (Named("exp"), float(rng.uniform(-1.0, 1.0)), 0.2)),
        Case("the default step", (Named("sin"), rng.uniform(-1.5, 1.5, 4)),
             where="central_difference(np.sin, x) with the default h",
             hint="Is the default h = 1e-5? A large step adds truncation error, a tiny one round-off."),
    ]


CENTRAL_DIFFERENCE = Function(
    id="test_central_difference_formula", name="central_difference", cases=_formula_cases,
    reference=_central, tolerance=_VALUES, probes=_STENCIL_PROBES, forbid=_FORBID,
    title="central_difference(f, x, h) = (f(x + h) − f(x − h)) / (2h)",
)
CENTRAL_DIFFERENCE_OTHERS = Function(
    id="test_central_difference_hidden", name="central_difference", cases=_other_cases,
    reference=_central, tolerance=_VALUES, forbid=_FORBID,
    probes=_STENCIL_PROBES + (
        Probe("ignores_h", wrong=lambda f, x, h=0.1: _central(f, x, 0.1),
              message="The result does not change with h: does your function use the h it is "
                      "given? (With no h given, the default is h = 1e-5.)"),
        Probe("default_step", wrong=lambda f, x, h=1e-2: _central(f, x, h),
              message="The default step is too large: the exercise's default is h = 1e-5 (a large "
                      "step adds truncation error, a tiny one round-off)."),
    ),
    title="central_difference on other functions, shapes and steps, and with the default h",
)


# --------------------------------------------------------------------------- typed derivatives


def _slope(numpy_function, wrt):
    """The central difference of ``numpy_function`` in ``wrt``: the independent numeric reference."""
    def slope(**point):
        up, down = dict(point), dict(point)
        up[wrt] += _FD
        down[wrt] -= _FD
        return (numpy_function(**up) - numpy_function(**down)) / (2 * _FD)
    return slope


def _x_cases(low, high, far):
    def cases(rng):
        return [Case("x < 0", kwargs={"x": float(rng.uniform(-high, -low))}),
                Case("x > 0", kwargs={"x": float(rng.uniform(low, high))}),
                Case("large |x|", kwargs={"x": float(rng.choice([-1, 1]) * rng.uniform(*far))})]
    return cases


def _neuron_cases(rng):
    def point(sign):
        return {"theta": float(sign * rng.uniform(0.3, 1.5)), "x": float(rng.uniform(-2, 2)),
                "y": float(rng.uniform(-1, 1))}
    return [Case("θ < 0", kwargs=point(-1)), Case("θ > 0", kwargs=point(1)),
            Case("a saturated tanh", kwargs={"theta": float(rng.uniform(2, 3)), "x": float(rng.uniform(1.5, 2)),
                                             "y": float(rng.uniform(-1, 1))})]


def _sin_square():
    """The expected answer and the slips of d/dx sin(x²), as typed (a function: see engine.Formula)."""
    return {"expected": "2*x*cos(x**2)", "inner": "cos(x**2)", "outer_at": "2*x*cos(2*x)",
            "argument": "cos(2*x)", "power": "2*x*cos(x)**2", "sign": "-2*x*cos(x**2)",
            "itself": "sin(x**2)"}


def _softplus():
    return {"expected": "exp(x)/(1 + exp(x))", "inner": "1/(1 + exp(x))", "outer": "exp(x)",
            "square": "exp(x)/(1 + exp(x))**2", "argument": "exp(x)/(1 + x)", "itself": "log(1 + exp(x))"}


def _neuron_cost():
    a, da = "(tanh(theta*x) - y)", "(1 - tanh(theta*x)**2)"
    return {"expected": f"x*{a}*{da}", "inner": f"{a}*{da}", "middle": f"x*{a}", "theta": f"theta*{a}*{da}",
            "two": f"2*x*{a}*{da}", "square": f"x*{a}*(1 - tanh(theta*x))", "argument": f"x*{a}*(1 - tanh(x)**2)",
            "sign": f"x*(y - tanh(theta*x))*{da}", "itself": f"{a}**2/2"}


_X = ("x",)
_ITSELF = "That is the function itself; the exercise asks for its derivative."
SIN_SQUARE = Formula(
    id="test_derivative_sin_square", name="answer_sin_square", display="d/dx sin(x²)",
    expected=None, reference=_sin_square, variables=_X, cases=_x_cases(0.3, 2.0, (2.0, 3.0)),
    numeric=_slope(lambda x: np.sin(x * x), "x"), forbid=(__name__,), derivatives=(),
    probes=(
        Probe("missing_inner_derivative", wrong="inner",
              message="You differentiated the outer function but did not multiply by the derivative of "
                      "the inner one: the chain rule needs both links, f′(g(x))·g′(x) with g(x) = x²."),
        Probe("outer_at_derivative", wrong="outer_at",
              message="The outer derivative must be evaluated at the inner function g(x) = x², not at "
                      "its derivative 2x: f′(g(x)), not f′(g′(x))."),
        Probe("wrong_argument", wrong="argument",
              message="That is cos evaluated at g′(x) = 2x. The chain rule evaluates the outer derivative "
                      "at g(x) = x² and then multiplies by g′(x)."),
        Probe("power_of_function", wrong="power",
              message="cos(x)^2 means (cos x)², the square of cos x. The outer derivative is cos evaluated "
                      "at the inner value x², not cos of x, squared."),
        Probe("sign", wrong="sign", message="The derivative of sin is +cos (it is cos whose derivative is −sin)."),
        Probe("function_itself", wrong="itself", message=_ITSELF),
    ),
)
SOFTPLUS = Formula(
    id="test_derivative_softplus", name="answer_softplus", display="d/dx log(1 + eˣ)",
    expected=None, reference=_softplus, variables=_X, cases=_x_cases(0.3, 3.0, (8.0, 20.0)),
    numeric=_slope(lambda x: np.logaddexp(0.0, x), "x"), forbid=(__name__,), derivatives=(),
    probes=(
        Probe("missing_inner_derivative", wrong="inner",
              message="That is only the outer link, 1/u at u = 1 + eˣ. Multiply by the inner link, du/dx."),
        Probe("missing_outer_derivative", wrong="outer",
              message="That is only the inner link, d(1 + eˣ)/dx. Multiply by the outer link, "
                      "d log(u)/du = 1/u at u = 1 + eˣ."),
        Probe("wrong_derivative", wrong="square", message="The derivative of log(u) is 1/u, not 1/u²."),
        Probe("wrong_argument", wrong="argument",
              message="The outer link 1/u must be evaluated at the inner value u = 1 + eˣ, not at 1 + x."),
        Probe("function_itself", wrong="itself", message=_ITSELF),
    ),
)
NEURON_COST = Formula(
    id="test_derivative_neuron_cost", name="answer_neuron_cost", display="dC/dθ for C = ½(tanh(θx) − y)²",
    expected=None, reference=_neuron_cost, variables=("theta", "x", "y"), forbid=(__name__,), derivatives=(),
    aliases=(("θ", "theta"),), cases=_neuron_cases,
    numeric=_slope(lambda theta, x, y: 0.5 * (np.tanh(theta * x) - y) ** 2, "theta"),
    format_hint="Write theta*x for z and tanh(theta*x) for a: the intermediate names are not part of the answer.",
    probes=(
        Probe("missing_inner_derivative", wrong="inner",
              message="The innermost link is missing: z = θx, so dz/dθ multiplies the product."),
        Probe("missing_derivative", wrong="middle",
              message="The middle link is missing: da/dz, the derivative of tanh at z = θx."),
        Probe("wrong_input", wrong="theta",
              message="The innermost link is dz/dθ for z = θx: θ is the variable, x a constant."),
        Probe("factor_two", wrong="two",
              message="The ½ in front of the square cancels the 2 of the power rule: d(½u²)/du = u."),
        Probe("wrong_derivative", wrong="square",
              message="The derivative of tanh(z) is 1 − tanh²(z): the tanh is squared."),
        Probe("wrong_argument", wrong="argument",
              message="The middle link must be evaluated at the neuron's weighted input z = θx, not at x."),
        Probe("sign", wrong="sign",
              message="The sign is flipped: the outer link is dC/da = a − y for C = ½(a − y)², not y − a."),
        Probe("function_itself", wrong="itself", message="That is the cost itself; the exercise asks for its derivative dC/dθ."),
    ),
)

SPECS = (CENTRAL_DIFFERENCE, CENTRAL_DIFFERENCE_OTHERS, SIN_SQUARE, SOFTPLUS, NEURON_COST)
check = engine.notebook_check({spec.id: spec for spec in SPECS})
_BY_EXERCISE = {"sin_square": SIN_SQUARE, "softplus": SOFTPLUS, "neuron_cost": NEURON_COST}


def read_answer(exercise, answer):
    """How the checker reads a typed answer: the SymPy expression (LaTeX in Jupyter), or why not.

    >>> read_answer("neuron_cost", "x (tanh(θx) − y)(1 − tanh(θx)^2)")
    x*(1 - tanh(theta*x)**2)*(-y + tanh(theta*x))
    >>> read_answer("sin_square", "2x cos x^2")
    Cannot read '2x cos x^2': `cos` is a function: call it with an argument, as in `cos(z)`.
    """
    if exercise not in _BY_EXERCISE:
        raise ValueError(f"exercise must be one of {sorted(_BY_EXERCISE)}; got {exercise!r}")
    return engine.read_typed(_BY_EXERCISE[exercise], answer)


_core.seal(__name__, references=("course_pkg.gradcheck", "course_pkg.symbolic"))
