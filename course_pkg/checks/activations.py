r"""Specs of notebook 02 (activation functions and their derivatives): data for the engine.

* ``test_sigmoid``, ``test_sigmoid_prime``: right values for numbers and arrays of any shape,
  :math:`\sigma(0) = 1/2`, finite and silent (no overflow warning) for :math:`|z|` up to 1e4;
* ``test_relu``, ``test_relu_prime``: :math:`\max(0, z)` and its derivative, in floats, with the
  course's convention :math:`g'(0) = 0` tested at the kink itself (first, so that ``z >= 0`` is
  named);
* ``test_tanh_derivation``: :math:`\tanh'(z)` derived line by line from the quotient rule.

While the learner's function runs, :mod:`course_pkg.activations` is off limits.
"""

import numpy as np

from course_pkg import activations as _activations
from course_pkg import symbolic

from . import _core, engine
from ._core import assert_untampered
from .engine import Case, Derivation, Function, Probe, Tolerance

__all__ = ["ASSIGNMENT", "SPECS", "check", "assert_untampered"]

ASSIGNMENT = "02-activations"
_FORBID = ("course_pkg.activations",)
_VALUES = Tolerance("float64 values (relative 1e-6)", rtol=1e-6, atol=1e-9)
#: Inputs where a naive implementation overflows (np.exp(710) is inf) or loses everything.
LARGE_Z = (-1e4, -1000.0, -745.0, -710.0, -100.0, 100.0, 710.0, 745.0, 1000.0, 1e4)
_sigmoid, _sigmoid_prime = _activations.sigmoid, _activations.sigmoid_prime
_relu, _relu_prime = _activations.relu, _activations.relu_prime


def _f(z):
    return np.asarray(z, dtype=float)


def _shapes(rng, scale=4.0):
    """The case classes every activation is checked on: a vector, a number, arrays of any shape."""
    return [
        Case("a vector of weighted inputs", (np.sort(rng.uniform(-6.0, 6.0, 25)),)),
        Case("a number", (float(rng.uniform(0.2, 2.0) * rng.choice([-1.0, 1.0])),)),
        Case("a matrix of shape (4, 3)", (rng.normal(0.0, scale, (4, 3)),)),
        Case("an array of shape (2, 3, 4)", (rng.normal(0.0, scale, (2, 3, 4)),)),
        Case("large |z|, up to 1e4", (np.array(LARGE_Z) * rng.choice([1.0, 1.0 + 1e-9]),)),
    ]


_OVERFLOW = ("np.exp overflowed. For z < 0 use the equivalent form e^z / (1 + e^z), where the exponent "
             "is never positive. Note that np.where(cond, a, b) computes both a and b for every entry, "
             "so an overflowing branch warns even when it is not selected; compute each branch only on "
             "the entries that need it (a boolean mask), or use np.exp(-np.abs(z)).")


def _sigmoid_cases(rng):
    return _shapes(rng) + [Case("z = 0", (0.0,)), Case("tiny |z|", (np.array([-0.0, 1e-12, -1e-12]),))]


SIGMOID = Function(
    id="test_sigmoid", name="sigmoid", cases=_sigmoid_cases, reference=_sigmoid, tolerance=_VALUES,
    silent=_OVERFLOW, forbid=_FORBID, title="sigmoid, stable for |z| up to 1e4",
    probes=(
        Probe("sign", wrong=lambda z: _sigmoid(-_f(z)),
              message="It equals 1 − σ(z) = σ(−z): check the sign in the exponent, σ(z) = 1/(1 + e^(−z))."),
        Probe("wrong_function", wrong=lambda z: np.tanh(_f(z)),
              message="That is tanh(z); the sigmoid is 1/(1 + e^(−z)) and lies between 0 and 1."),
    ),
)

SIGMOID_PRIME = Function(
    id="test_sigmoid_prime", name="sigmoid_prime", cases=_sigmoid_cases, reference=_sigmoid_prime,
    tolerance=_VALUES, forbid=_FORBID, title="sigmoid_prime = σ(z)(1 − σ(z)), stable for |z| up to 1e4",
    silent=("Write it as σ(z)(1 − σ(z)) with a stable σ: the form e^(−z)/(1 + e^(−z))² overflows, "
            "then becomes inf/inf = NaN, for large negative z."),
    probes=(
        Probe("missing_factor", wrong=lambda z: _sigmoid(_f(z)),
              message="That is σ(z) itself: the derivative is σ(z)(1 − σ(z)), the factor (1 − σ(z)) is missing."),
        Probe("missing_factor", wrong=lambda z: 1.0 - _sigmoid(_f(z)),
              message="That is 1 − σ(z) alone: the derivative is σ(z)(1 − σ(z)), the factor σ(z) is missing."),
        Probe("wrong_derivative", wrong=lambda z: _sigmoid(_f(z)) * (1.0 + _sigmoid(_f(z))),
              message="That looks like σ(z)(1 + σ(z)): the second factor is (1 − σ(z))."),
        Probe("wrong_argument", wrong=lambda z: _f(z) * (1.0 - _f(z)),
              message="That is z(1 − z): the formula σ(z)(1 − σ(z)) applies σ first; call your sigmoid "
                      "on z, then combine."),
    ),
)

_NO_EXP = "ReLU needs no exponential at all: max(0, z), and its derivative is 1 where z > 0."


def _relu_cases(rng):
    return _shapes(rng) + [Case("both sides of the kink", (np.array([-1.0, 0.0, 1.0]) * rng.uniform(1, 4),))]


RELU = Function(
    id="test_relu", name="relu", cases=_relu_cases, reference=_relu, tolerance=_VALUES, floats=True,
    silent=_NO_EXP, forbid=_FORBID, title="relu = max(0, z), in floats",
    probes=(
        Probe("wrong_function", wrong=lambda z: (_f(z) > 0) * 1.0,
              message="That is ReLU's derivative (0 or 1); ReLU itself is max(0, z)."),
        Probe("wrong_function", wrong=lambda z: np.abs(_f(z)),
              message="That is |z|: ReLU sets negative inputs to 0 instead of flipping their sign."),
        Probe("wrong_function", wrong=lambda z: np.minimum(_f(z), 0.0),
              message="That is min(z, 0): ReLU keeps the positive part, max(0, z)."),
    ),
)


def _relu_prime_cases(rng):
    # the kink first: the convention g'(0) = 0 is what this exercise teaches
    kink = [Case("z = 0, the kink", (np.array([0.0]),)), Case("z = 0, the kink", (0.0,)),
            Case("z = 0, the kink", (np.array([[-0.0, 0.0]]),))]
    tiny = [Case("the smallest |z| either side of 0", (np.array([-5e-324, 5e-324, -1e-300, 1e-300]),))]
    return kink + _shapes(rng) + tiny


RELU_PRIME = Function(
    id="test_relu_prime", name="relu_prime", cases=_relu_prime_cases, reference=_relu_prime,
    tolerance=_VALUES, floats=True, silent=_NO_EXP, forbid=_FORBID,
    title="relu_prime: 1 where z > 0, 0 elsewhere and at z = 0, in floats",
    probes=(
        Probe("kink_convention", wrong=lambda z: (_f(z) >= 0) * 1.0,
              message="ReLU has a kink at 0 (slope 0 on the left, 1 on the right) and the course's "
                      "convention is g′(0) = 0. Did you write z >= 0? Use z > 0."),
        Probe("kink_convention", wrong=lambda z: np.where(_f(z) == 0, 0.5, (_f(z) > 0) * 1.0),
              message="0.5 is the average of the two one-sided slopes (what a central difference sees "
                      "at the kink), but the course's convention is g′(0) = 0."),
        Probe("comparison_reversed", wrong=lambda z: (_f(z) < 0) * 1.0,
              message="The comparison points the wrong way: the slope is 1 where z > 0."),
        Probe("function_for_derivative", wrong=lambda z: np.maximum(_f(z), 0.0),
              message="That is ReLU itself; its derivative is 1 where z > 0 and 0 elsewhere."),
    ),
)


# ------------------------------------------------------------------------ the tanh derivation

def _tanh_lines():
    """Example derivations for the probes, each a right one with one slip (a function: see engine.Formula)."""
    h, g = "(exp(z) + exp(-z))", "(exp(z) - exp(-z))"
    right = [f"({h}*{h} - {g}*{g})/{h}^2", f"{h}^2/{h}^2 - {g}^2/{h}^2", f"1 - ({g}/{h})^2", "1 - tanh(z)^2"]
    return {
        "one line": right[:1],
        "final form first": ["1 - tanh(z)^2", "1 - tanh(z)*tanh(z)", "1/cosh(z)^2"],
        "wrong sign": [f"({h}^2 + {g}^2)/{h}^2"] + right[1:],
        "not the rule's form": ["4*exp(2*z)/(exp(2*z) + 1)^2", "1/cosh(z)^2", "1 - tanh(z)^2"],
        "a + 0 line": [right[0], right[0] + " + 0", right[3]],
        "square lost": right[:2] + [f"1 - {g}/{h}", "1 - tanh(z)"],
        "unfinished": right[:3] + ["1 - ((exp(2*z) - 1)/(exp(2*z) + 1))^2"],
        "unreadable": right[:3] + ["__import__('os').getcwd()"],
    }


def _tanh_cases(rng):
    return [Case("z < 0", kwargs={"z": float(rng.uniform(-3.0, -0.2))}),
            Case("z > 0", kwargs={"z": float(rng.uniform(0.2, 3.0))}),
            Case("|z| > 3", kwargs={"z": float(rng.choice([-1, 1]) * rng.uniform(3.0, 6.0))})]


def _tanh_slope(z):
    return (np.tanh(z + 1e-5) - np.tanh(z - 1e-5)) / 2e-5


TANH_DERIVATION = Derivation(
    id="test_tanh_derivation", name="tanh_steps", variables=("z",), display="the tanh derivation",
    first=symbolic.quotient_rule("exp(z) - exp(-z)", "exp(z) + exp(-z)"),
    first_text="the quotient rule applied to tanh(z) = (e^z − e^(−z))/(e^z + e^(−z))",
    cases=_tanh_cases, numeric=_tanh_slope, forbid=_FORBID + (__name__,), min_steps=2,
    reference=_tanh_lines, derivatives=(),  # tanh′(z) as a line would be the answer it asks for
    probes=(
        Probe("too_few_steps", wrong="one line", message="one line is not a derivation"),
        Probe("first_step", wrong="final form first", message="step 0 is already the final form"),
        Probe("first_step", wrong="wrong sign", message="the quotient rule with the wrong sign"),
        Probe("first_step", wrong="not the rule's form", message="right, but not the quotient rule's form"),
        Probe("too_few_steps", wrong="a + 0 line", message="a `+ 0` line is not a step"),
        Probe("step", wrong="square lost", message="an algebra slip: the square is lost"),
        Probe("unfinished", wrong="unfinished", message="the last line still has exp"),
        Probe("format", wrong="unreadable", message="a line the parser refuses"),
    ),
)

SPECS = (SIGMOID, SIGMOID_PRIME, RELU, RELU_PRIME, TANH_DERIVATION)
check = engine.notebook_check({spec.id: spec for spec in SPECS})

_core.seal(__name__, references=("course_pkg.symbolic",))
