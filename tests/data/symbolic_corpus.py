"""The answer corpus of the symbolic checker, as data: shared by the tests and the benchmark.

Each case is ``Case(answer, expected, ok, kind, variables, group)``: the checker must return
``ok`` and ``kind``. ``group`` is ``"equivalent"``, ``"wrong"`` or ``"hostile"``. ``expected`` is a
string or a SymPy expression (for forms a learner cannot type, such as ``Piecewise``).
Load it by path (``tests/`` is not a package)::

    spec = importlib.util.spec_from_file_location("symbolic_corpus", path); ...
"""

from collections import namedtuple

import sympy

from course_pkg.symbolic import relu

Case = namedtuple("Case", "answer expected ok kind variables group")

z, x = sympy.symbols("z x")

SIG = "sigmoid(z)"
SIG_PRIME = "sigmoid(z)*(1 - sigmoid(z))"


def _eq(answer, expected, variables=None):
    return Case(answer, expected, True, "equivalent", variables, "equivalent")


def _no(answer, expected, kind, variables=None):
    return Case(answer, expected, False, kind, variables, "wrong")


def _bad(answer, expected="z", kind="format"):
    return Case(answer, expected, False, kind, None, "hostile")


EQUIVALENT = [
    _eq("1 - tanh(z)^2", "4/(exp(z) + exp(-z))^2"),
    _eq("1 − tanh(z)²", "1/cosh(z)^2"),
    _eq("tanh(z/2)/2 + 1/2", SIG),
    _eq("σ(z)(1−σ(z))", "exp(-z)/(1 + exp(-z))^2"),
    _eq("exp(-z)/(1+exp(-z))^2", SIG_PRIME),
    _eq("1/(1 + e^(-z))", SIG),
    _eq("exp(z)/(1 + exp(z))", SIG),
    _eq("1 - sigmoid(-z)", SIG),
    _eq("sigmoid(z) - sigmoid(z)^2", SIG_PRIME),
    _eq("sigmoid(z)*sigmoid(-z)", SIG_PRIME),
    _eq("1/(2 + exp(z) + exp(-z))", SIG_PRIME),
    _eq("(tanh(z/2)+1)/2 * (1 - tanh(z/2))/2", SIG_PRIME),
    _eq("2*sigmoid(2*z) - 1", "tanh(z)"),
    _eq("(exp(z) - exp(-z))/(exp(z) + exp(-z))", "tanh(z)"),
    _eq("sinh(z)/cosh(z)", "tanh(z)"),
    _eq("Heaviside(z)", sympy.Piecewise((1, z > 0), (0, True))),
    _eq(sympy.diff(sympy.Max(0, z), z), sympy.Piecewise((1, z > 0), (0, True))),
    _eq("Heaviside(z)", sympy.diff(relu(z), z)),
    _eq("relu(z)", "Max(0, z)"),
    _eq("(z + Abs(z))/2", "relu(z)"),
    _eq("z*Heaviside(z)", "max(z, 0)"),
    _eq("Max(z, 0)*Heaviside(z)", "relu(z)"),
    _eq("-Min(0, -z)", "relu(z)"),
    _eq("2*(a - y)*a*(1 - a)", "2*a*(a - y) - 2*a^2*(a - y)"),
    _eq("2(a − y)·a·(1 − a)", "2*(a - y)*a*(1 - a)"),
    _eq("(x+1)^2", "x^2 + 2x + 1"),
    _eq("0.5*x", "x/2"),
    _eq("x^0.5", "sqrt(x)"),
    _eq("exp(log(2)*x)", "2^x"),
    _eq("log(x^2)", "2*log(Abs(x))"),
    _eq("sin(x)^2 + cos(x)^2", "1"),
    _eq("cosh(x)^2 - sinh(x)^2", "1"),
    _eq("θ3·H(z2)", "θ3*Heaviside(z2)", ["θ3", "z2"]),
    _eq("2*x*cos(x^2)", "cos(x**2)*2*x"),
    _eq("e*x", "x*e", ["x", "e"]),
    _eq("(1 + z)**1000 - (1 + z)**1000 + z", "z"),
    _eq("pi*z", "π*z"),
]

WRONG = [
    _no("2*sigmoid(z)", SIG, "constant_factor"),
    _no("sigmoid(z)*(1 - sigmoid(z))/2", SIG_PRIME, "constant_factor"),
    _no("2*(a - y)", "a - y", "constant_factor"),
    _no("-sigmoid(z)*(1 - sigmoid(z))", SIG_PRIME, "sign"),
    _no("(y - a)*a*(1 - a)", "(a - y)*a*(1 - a)", "sign"),
    _no("-exp(-z)", "exp(-z)", "sign"),
    _no("sigmoid(z) + 1", SIG, "additive_constant"),
    _no("x + 1e-9", "x", "additive_constant"),
    _no("tanh(z) + 1", "tanh(z)", "additive_constant"),
    _no("sigmoid(z)*x", SIG, "extra_variable"),
    _no("2*(a - y)*w", "2*(a - y)", "extra_variable"),
    _no("sigmoid(z)", SIG_PRIME, "missing_factor"),
    _no("2*(a - y)", "2*(a - y)*sigmoid(z)*(1 - sigmoid(z))", "missing_factor"),
    _no("cos(x^2)", "2*x*cos(x^2)", "missing_factor"),
    _no("exp(-z)", "-exp(-z)*cos(exp(-z))", "missing_factor"),
    _no("2*(a - y)*a*(1 - a)*a", "2*(a - y)*a*(1 - a)", "extra_factor"),
    _no("sigmoid(z)*(1 + sigmoid(z))", SIG_PRIME, "wrong"),
    _no("exp(z)", "exp(-z)", "wrong"),
    _no("1 - tanh(z)", "1 - tanh(z)^2", "wrong"),
    _no("sqrt(x^2)", "x", "wrong"),
    _no("Heaviside(-z)", "Heaviside(z)", "wrong"),
    _no("x^2 + 1", "(x + 1)^2", "wrong"),
    _no("2^1000", "2^1000 + 1", "wrong"),
    _no("1/z", "1/(z + 1)", "wrong"),
]

HOSTILE = [
    _bad("__import__('os').system('touch SENTINEL')"),
    _bad("open('SENTINEL', 'w')"),
    _bad("().__class__.__bases__[0].__subclasses__()"),
    _bad("lambda: __import__('os')"),
    _bad("[c for c in ().__class__.__bases__]"),
    _bad("exec('open(\"SENTINEL\", \"w\")')"),
    _bad("eval('1+1')"),
    _bad("9**9**9**9"),
    _bad("9^9^9^9"),
    _bad("2**(10**9)"),
    _bad("factorial(10**9)"),
    _bad("z" * 100_000),
    _bad("(" * 500 + "z" + ")" * 500),
    _bad(""),
    _bad("   "),
    _bad("x ="),
    _bad("x =="),
    _bad("z == z"),
    _bad("z.real"),
    _bad("z[0]"),
    _bad("'text'"),
    _bad("diff(z**2, z)"),
    _bad("z if z else 1"),
    _bad("(z := 1)"),
    _bad("1/0"),
    _bad("z, z"),
    _bad("f'{z}'"),
]

def _scalar_network_case():
    """Backprop's chain-rule product for dC/dθ1 in the three-layer scalar network, against
    SymPy's derivative of the fully composed cost (naive simplify runs for a very long time)."""
    from course_pkg.derivations import scalar_network_partials

    d = scalar_network_partials()["theta1"]
    derivative, chain, _ = d.expanded_steps()
    return _eq(chain, derivative.doit())


EQUIVALENT.append(_scalar_network_case())

CASES = EQUIVALENT + WRONG + HOSTILE
