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
# dC/db1 of the scalar network (ReLU hidden layers): Heaviside factors make it 0 wherever a ReLU
# is off, which must neither hide the diagnosis of a mistake nor let a forgotten g' through.
PATH = "2*(a3 - y)*sigmoid(z3)*(1 - sigmoid(z3))*theta3*Heaviside(z2)*theta2*Heaviside(z1)"
PATH_NO_SIG_PRIME = "2*(a3 - y)*theta3*Heaviside(z2)*theta2*Heaviside(z1)"
# dC/dθ2 of a two-layer network: the ReLU output Max(0, z1) is a factor.
THETA2 = "2*(sigmoid(z2) - y)*sigmoid(z2)*(1 - sigmoid(z2))*Max(0, z1)"
# Seven ReLUs on a path: 128 region patterns, more than are visited one by one.
SEVEN = "t*" + "*".join(f"Heaviside(z{i})" for i in range(1, 8))


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
    _eq("σ′(z)", SIG_PRIME),
    _eq("2*(a3 - y)*σ'(z3)*θ3*H(z2)*theta2*relu_prime(z1)", PATH, ["a3", "y", "z1", "z2", "z3", "theta2", "theta3"]),
    _eq("tanh′(z)", "1/cosh(z)^2"),
    _eq("2*(a3 - y)*σ(z3)*(1 - σ(z3))*theta3 Heaviside(z2) theta2 Heaviside(z1)", PATH),
    _eq("2*(a3 - y)*sigmoid(z3)*sigmoid(-z3)*theta2*theta3*H(z1)^2*H(z2)", PATH),
    _eq("2*(sigmoid(z2) - y)*sigmoid(z2)*(1 - sigmoid(z2))*z1*Heaviside(z1)", THETA2),
    _eq("t*Heaviside(z7)*" + "*".join(f"Heaviside(z{i})" for i in range(1, 7)), SEVEN),
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
    _no("sigmoid(z)", SIG_PRIME, "function_for_derivative"),  # σ where σ′ belongs (also a missing factor)
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
    _no(PATH_NO_SIG_PRIME, PATH, "missing_factor"),
    _no("4*(a3 - y)*sigmoid(z3)*(1 - sigmoid(z3))*theta3*Heaviside(z2)*theta2*Heaviside(z1)", PATH, "constant_factor"),
    _no("2*(y - a3)*sigmoid(z3)*(1 - sigmoid(z3))*theta3*Heaviside(z2)*theta2*Heaviside(z1)", PATH, "sign"),
    _no(PATH + " + 1", PATH, "additive_constant"),
    _no("2*(a3 - y)*sigmoid(z3)*(1 - sigmoid(z3))*theta3*Heaviside(z2)*Heaviside(z1)", PATH, "missing_factor"),
    _no("2*(a3 - y)*sigmoid(z3)*(1 - sigmoid(z3))*theta3*Heaviside(z2)*theta2", PATH, "missing_factor"),
    _no("2*(a3 - y)*sigmoid(z3)*(1 - sigmoid(z3))*theta3*theta2", PATH, "missing_factor"),
    _no("2*(a3 - y)*sigmoid(z3)*(1 - sigmoid(z3))*theta3*Heaviside(z2)*theta2*Heaviside(-z1)", PATH, "wrong"),
    _no("2*(sigmoid(z2) - y)*Max(0, z1)", THETA2, "missing_factor"),
    _no("(sigmoid(z2) - y)*sigmoid(z2)*(1 - sigmoid(z2))*relu(z1)", THETA2, "constant_factor"),
    _no("2*(sigmoid(z2) - y)*sigmoid(z2)*(1 - sigmoid(z2))*z1", THETA2, "wrong"),
    _no("z", "relu(z)", "wrong"),
    _no("x*z*Heaviside(z)", "x*z", "extra_factor"),
    # Constants of any size are named as constants (not as an extra factor x/10^400).
    _no("10**-400*x", "x", "constant_factor"),
    _no("10^400*sigmoid(z)", SIG, "constant_factor"),
    _no("x + 10**-400", "x", "additive_constant"),
    _no("10**-400", "1", "constant_factor"),
    _no("1e-30*x^2", "x", "wrong"),
    _no("t*" + "*".join(f"Heaviside(z{i})" for i in range(1, 7)), SEVEN, "missing_factor"),
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
    # Primes, powers on a function's name and unknown functions get advice, and stay refused.
    _bad("σ'(__import__('os').system('touch SENTINEL'))"),
    _bad("g'(open('SENTINEL', 'w'))"),
    _bad("tanh^2(__import__('os'))"),
    _bad("xcos(().__class__)"),
    _bad("sech(exec('1'))"),
    _bad("g′(z)"),
    _bad("σ″(z)"),
    _bad("tanh^2(z)"),
    _bad("2xcos(z^2)"),
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


# ------------------------------------------------------------------------------------------------
# The typed exercises of notebooks 01-03, for the leak rule: each expected answer is held as a
# builder (computed from the question when it is called), never as a module-level string.

Exercise = namedtuple("Exercise", "name question wrt variables build_expected links")


def _diff_builder(question, wrt, variables):
    def build():
        from course_pkg.symbolic import parse_answer

        expr = parse_answer(question, variables=list(variables))
        return sympy.diff(expr, sympy.Symbol(wrt))

    return build


def _chain(question, wrt, variables):
    def build():
        from course_pkg.symbolic import chain_links

        return chain_links(question, wrt, variables=list(variables))

    return build


def _db1_links():
    from course_pkg.symbolic import parse_answer

    names = list(DC_DB1_VARIABLES)
    pieces = [
        ("∂C/∂ŷ, the derivative of the cost", "2*(sigmoid(z3) - y)"),
        ("σ′(z3), the output layer's activation derivative", "sigmoid(z3)*(1 - sigmoid(z3))"),
        ("∂z3/∂a2", "theta3"),
        ("g′(z2), the second ReLU's derivative", "Heaviside(z2)"),
        ("∂z2/∂a1", "theta2"),
        ("g′(z1), the first ReLU's derivative", "Heaviside(z1)"),
    ]
    return [(name, parse_answer(text, variables=names)) for name, text in pieces]


def _db1_expected():
    return sympy.Mul(*(expr for _, expr in _db1_links()))


def _tanh_expected():
    from course_pkg.symbolic import parse_answer

    definition = parse_answer("(exp(z) - exp(-z))/(exp(z) + exp(-z))", variables=["z"])
    return sympy.diff(definition, sympy.Symbol("z"))


DC_DB1_VARIABLES = ("x", "y", "y_hat", "z1", "z2", "z3", "a1", "a2",
                    "theta1", "theta2", "theta3", "b1", "b2", "b3")

EXERCISES = [
    Exercise("sin_square", "sin(x^2)", "x", ("x",), _diff_builder("sin(x^2)", "x", ("x",)), _chain("sin(x^2)", "x", ("x",))),
    Exercise("softplus", "log(1 + exp(x))", "x", ("x",), _diff_builder("log(1 + exp(x))", "x", ("x",)),
             _chain("log(1 + exp(x))", "x", ("x",))),
    Exercise("neuron_cost", "(tanh(theta*x) - y)^2/2", "theta", ("theta", "x", "y"),
             _diff_builder("(tanh(theta*x) - y)^2/2", "theta", ("theta", "x", "y")),
             _chain("(tanh(theta*x) - y)^2/2", "theta", ("theta", "x", "y"))),
    Exercise("tanh_derivation", "(exp(z) - exp(-z))/(exp(z) + exp(-z))", "z", ("z",), _tanh_expected, None),
    Exercise("dC_db1", None, "b1", DC_DB1_VARIABLES, _db1_expected, _db1_links),
]


def wrong_answers(exercise):
    """Wrong answers a learner could type for an exercise: constants, single links, each link
    dropped, pairs of links dropped, a factor or a sign off, the question itself."""
    from itertools import combinations as _combinations

    from course_pkg.symbolic import to_text

    expected = exercise.build_expected()
    links = exercise.links() if exercise.links else [(str(f), f) for f in sympy.Mul.make_args(expected)]
    factors = [expr for _, expr in links]
    out = ["1", "0", "2", "-1"]
    out += [to_text(f) for f in factors]
    for k in (1, 2):
        for dropped in _combinations(range(len(factors)), k):
            kept = [f for i, f in enumerate(factors) if i not in dropped]
            if kept:
                out.append(to_text(sympy.Mul(*kept)))
    out += [to_text(2 * expected), to_text(expected / 2), to_text(-expected), to_text(expected + 1)]
    if exercise.question:
        out.append(exercise.question)
    symbols = sorted(expected.free_symbols, key=lambda s: s.name)
    out += [to_text(expected.subs(symbols[0], 2 * symbols[0]))]
    out += [to_text(sympy.Mul(*factors[:-1]) * factors[-1] ** 2)]
    seen, unique = set(), []
    for text in out:
        if text not in seen and _differs(text, expected, exercise.variables):
            seen.add(text)
            unique.append(text)
    return unique


def _differs(text, expected, variables):
    """Whether a generated answer really differs from the expected one (SymPy's evalf at 3 points)."""
    from course_pkg.symbolic import parse_answer

    answer = parse_answer(text, variables=list(variables))
    symbols = sorted(expected.free_symbols | answer.free_symbols, key=lambda s: s.name)
    for k, base in enumerate((0.37, 1.21, 2.03)):
        point = {s: sympy.Float(base * (1 + i / 5) * (-1) ** (i + k), 30) for i, s in enumerate(symbols)}
        if abs(sympy.N((answer - expected).xreplace(point), 30)) > 1e-15:
            return True
    return False
