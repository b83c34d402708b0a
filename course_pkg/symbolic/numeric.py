r"""High-precision evaluation of SymPy expressions at sample points, away from kinks.

The equivalence checker decides by evaluating both expressions with mpmath at
:data:`DPS` significant digits at many random points. This module holds the evaluator: a direct
walk over the SymPy tree (no code generation, nothing ``exec``-ed), which

* records how close each point comes to a kink (the argument of ``Heaviside``, ``Abs``, ``sign``,
  the gap between the arguments of ``Max``/``Min``, the two sides of a ``Piecewise`` condition),
  so points on a kink can be dropped;
* refuses to produce astronomically large numbers (an ``exp`` of more than
  :data:`MAX_EXP_ARGUMENT`), so evaluation time stays bounded;
* works in complex arithmetic, so ``log`` and ``sqrt`` of negative numbers are compared too.

It also chooses the points: :func:`sample_points` draws them at random, and :class:`KinkSampler`
steers the symbols that kinks depend on (found by :func:`kink_thresholds`) into every region
between their kinks, so both sides of every ``Heaviside(z)`` are visited.

Undefined functions (``sympy.Function('g')``) are replaced by concrete random smooth functions
before evaluation (see :func:`instantiate_functions`): an identity that holds for generic ``g``
holds for these, and a wrong one fails for them with probability one.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy
from sympy.core.function import AppliedUndef

from .parsing import sigmoid

__all__ = [
    "DPS",
    "BadPoint",
    "evaluate",
    "sample_points",
    "kink_thresholds",
    "KinkSampler",
    "instantiate_functions",
]

#: Significant digits of the evaluation.
DPS = 40
#: Largest argument of ``exp`` (and of ``log|base| * exponent`` in a power) evaluated.
MAX_EXP_ARGUMENT = 1e5
#: Smallest and largest magnitude of a sampled value.
SAMPLE_LOW, SAMPLE_HIGH = 0.2, 2.6


class BadPoint(ArithmeticError):
    """The expression is undefined, infinite or too large at this point."""


_UNARY = {
    sympy.exp: mpmath.exp,
    sympy.sin: mpmath.sin,
    sympy.cos: mpmath.cos,
    sympy.tan: mpmath.tan,
    sympy.sinh: mpmath.sinh,
    sympy.cosh: mpmath.cosh,
    sympy.tanh: mpmath.tanh,
    sympy.sec: mpmath.sec,
    sympy.csc: mpmath.csc,
    sympy.cot: mpmath.cot,
    sympy.sech: mpmath.sech,
    sympy.csch: mpmath.csch,
    sympy.coth: mpmath.coth,
    sympy.asin: mpmath.asin,
    sympy.acos: mpmath.acos,
    sympy.atan: mpmath.atan,
    sympy.asinh: mpmath.asinh,
    sympy.acosh: mpmath.acosh,
    sympy.atanh: mpmath.atanh,
    sympy.erf: mpmath.erf,
}


def _real(value):
    """Return a real mpf, or raise BadPoint when the value is genuinely complex."""
    if isinstance(value, mpmath.mpc):
        if abs(value.imag) > mpmath.mpf(10) ** (-(DPS - 5)) * max(1, abs(value.real)):
            raise BadPoint("a comparison of complex numbers")
        return value.real
    return value


def _check(value):
    if isinstance(value, mpmath.mpc):
        parts = (value.real, value.imag)
    else:
        parts = (value,)
    for part in parts:
        if not mpmath.isfinite(part):
            raise BadPoint("not finite")
        # |log|part|| > MAX_EXP_ARGUMENT, read off the binary exponent (no logarithm computed)
        if part != 0 and abs(mpmath.mag(part)) > _MAX_MAG:
            raise BadPoint("too large")
    return value


_MAX_MAG = int(MAX_EXP_ARGUMENT / 0.6931471805599453) + 1


class _Evaluator:
    def __init__(self, env):
        self.env = env
        self.kink = mpmath.inf  # smallest distance to a kink seen so far
        self.memo = {}

    def near(self, distance):
        distance = abs(distance)
        if distance < self.kink:
            self.kink = distance

    def __call__(self, expr):
        try:
            return self.memo[expr]
        except KeyError:
            pass
        value = _check(self.compute(expr))
        self.memo[expr] = value
        return value

    def compute(self, expr):
        if expr.is_Symbol:
            try:
                return self.env[expr]
            except KeyError:
                raise BadPoint(f"no value for {expr}") from None
        if expr.is_Number:
            if expr.is_Rational:
                return mpmath.mpf(expr.p) / expr.q
            if expr.is_Float:
                return mpmath.mpf(expr._mpf_)
            raise BadPoint("infinite or undefined number")
        if expr is sympy.pi:
            return +mpmath.pi
        if expr is sympy.E:
            return mpmath.e + 0
        if expr is sympy.I:
            return mpmath.mpc(0, 1)
        if expr.is_Add:
            total = mpmath.mpf(0)
            for arg in expr.args:
                total += self(arg)
            return total
        if expr.is_Mul:
            prod = mpmath.mpf(1)
            for arg in expr.args:
                prod *= self(arg)
            return prod
        if expr.is_Pow:
            return self.power(expr)
        func = expr.func
        if func is sympy.exp:
            x = self(expr.args[0])
            if _real(x.real if isinstance(x, mpmath.mpc) else x) > MAX_EXP_ARGUMENT:
                raise BadPoint("exp overflow")
            return mpmath.exp(x)
        if func in _UNARY:
            return _UNARY[func](self(expr.args[0]))
        if func is sympy.log:
            x = self(expr.args[0])
            if x == 0:
                raise BadPoint("log of zero")
            value = mpmath.log(x)
            if len(expr.args) == 2:
                base = self(expr.args[1])
                value = value / mpmath.log(base)
            return value
        if func is sigmoid:
            x = self(expr.args[0])
            if _real(x.real if isinstance(x, mpmath.mpc) else x) < -MAX_EXP_ARGUMENT:
                raise BadPoint("sigmoid underflow")
            return 1 / (1 + mpmath.exp(-x))
        if func is sympy.Abs:
            x = self(expr.args[0])
            self.near(x)
            return abs(x)
        if func is sympy.sign:
            x = _real(self(expr.args[0]))
            self.near(x)
            return mpmath.mpf(1 if x > 0 else -1)
        if func is sympy.Heaviside:
            x = _real(self(expr.args[0]))
            self.near(x)
            return mpmath.mpf(1 if x > 0 else 0)
        if func is sympy.Max or func is sympy.Min:
            values = [_real(self(a)) for a in expr.args]
            ordered = sorted(values)
            for lo, hi in zip(ordered, ordered[1:]):
                self.near(hi - lo)
            return ordered[-1] if func is sympy.Max else ordered[0]
        if func is sympy.Piecewise:
            for piece_value, cond in expr.args:
                if self.condition(cond):
                    return self(piece_value)
            raise BadPoint("outside every piece")
        if isinstance(expr, (sympy.Derivative, sympy.Subs)):
            return self(expr.doit())
        if isinstance(expr, AppliedUndef):
            raise BadPoint(f"undefined function {func}")
        if isinstance(expr, sympy.Function):
            return self.fallback(expr)
        raise BadPoint(f"cannot evaluate {type(expr).__name__}")

    def power(self, expr):
        base, exponent = expr.args
        if exponent.is_Integer:
            b = self(base)
            n = int(exponent)
            if b == 0 and n < 0:
                raise BadPoint("division by zero")
            if b != 0 and abs(n) * abs(mpmath.log(abs(b))) > MAX_EXP_ARGUMENT:
                raise BadPoint("power overflow")
            return b**n
        b = self(base)
        x = self(exponent)
        if b == 0:
            if _real(x.real if isinstance(x, mpmath.mpc) else x) <= 0:
                raise BadPoint("zero to a non-positive power")
            return mpmath.mpf(0)
        if abs(x) * (abs(mpmath.log(abs(b))) + 4) > MAX_EXP_ARGUMENT:
            raise BadPoint("power overflow")
        return mpmath.power(b, x)

    def condition(self, cond):
        if cond is sympy.true:
            return True
        if cond is sympy.false:
            return False
        if isinstance(cond, sympy.And):
            return all(self.condition(c) for c in cond.args)
        if isinstance(cond, sympy.Or):
            return any(self.condition(c) for c in cond.args)
        if isinstance(cond, sympy.Not):
            return not self.condition(cond.args[0])
        if isinstance(cond, sympy.core.relational.Relational):
            gap = _real(self(cond.lhs)) - _real(self(cond.rhs))
            self.near(gap)
            op = cond.rel_op
            if op in (">", ">="):
                return gap > 0
            if op in ("<", "<="):
                return gap < 0
            if op == "==":
                return False
            if op == "!=":
                return True
        raise BadPoint(f"cannot decide the condition {cond}")

    def fallback(self, expr):
        args = []
        for a in expr.args:
            v = self(a)
            if isinstance(v, mpmath.mpc):
                args.append(sympy.Float(v.real, DPS) + sympy.I * sympy.Float(v.imag, DPS))
            else:
                args.append(sympy.Float(v, DPS))
        value = expr.func(*args).evalf(DPS)
        re_part, im_part = value.as_real_imag()
        if not (re_part.is_Number and im_part.is_Number):
            raise BadPoint(f"cannot evaluate {expr.func}")
        if im_part == 0:
            return mpmath.mpf(sympy.Float(re_part, DPS)._mpf_)
        return mpmath.mpc(sympy.Float(re_part, DPS)._mpf_, sympy.Float(im_part, DPS)._mpf_)


def evaluate(expr, env, dps=None):
    r"""Evaluate ``expr`` at the point ``env`` with :data:`DPS` digits.

    Parameters
    ----------
    expr : sympy.Expr
        The expression (undefined functions must have been instantiated first).
    env : dict of {sympy.Symbol: mpmath.mpf}
        A value for every free symbol.
    dps : int, optional
        Significant digits (default :data:`DPS`); the wide-range points use more.

    Returns
    -------
    value : mpmath.mpf or mpmath.mpc
        The value.
    kink : mpmath.mpf
        How close the point came to a kink (``inf`` when the expression has none).

    Raises
    ------
    BadPoint
        The expression is undefined, infinite or too large at this point.

    Examples
    --------
    >>> z = sympy.Symbol("z")
    >>> value, kink = evaluate(sympy.Heaviside(z - 1) * z, {z: mpmath.mpf(3)})
    >>> float(value), float(kink)
    (3.0, 2.0)
    """
    with mpmath.workdps(DPS if dps is None else dps):
        ev = _Evaluator(env)
        try:
            value = ev(expr)
        except (ZeroDivisionError, OverflowError, ValueError, TypeError) as err:
            raise BadPoint(str(err)) from None
        return value, ev.kink


def sample_points(symbols, count, seed=0):
    r"""Random points for a set of symbols: mixed signs, non-integers, magnitudes in [0.2, 2.6].

    Symbols declared positive (negative) get positive (negative) values; integer symbols get
    small non-zero integers.

    Parameters
    ----------
    symbols : sequence of sympy.Symbol
        The symbols, in a fixed order.
    count : int
        How many points.
    seed : int, default 0
        Seed of ``np.random.default_rng``.

    Returns
    -------
    list of dict of {sympy.Symbol: mpmath.mpf}
        ``count`` points.

    Examples
    --------
    >>> x = sympy.Symbol("x", positive=True)
    >>> points = sample_points([x], 5)
    >>> len(points), all(p[x] > 0 for p in points)
    (5, True)
    """
    rng = np.random.default_rng(seed)
    return [{sym: _ordinary_value(sym, rng) for sym in symbols} for _ in range(count)]


def _ordinary_value(sym, rng):
    """One random value for a symbol: its assumed sign, else a random one; never a nice number."""
    if sym.is_integer:
        value = mpmath.mpf(int(rng.integers(1, 5)))
    else:
        # A random float plus a small irrational-looking nudge: never a "nice" number.
        value = mpmath.mpf(float(rng.uniform(SAMPLE_LOW, SAMPLE_HIGH))) + mpmath.mpf(1) / 7919
    if sym.is_positive or sym.is_nonnegative:
        sign = 1
    elif sym.is_negative or sym.is_nonpositive:
        sign = -1
    else:
        sign = 1 if rng.random() < 0.5 else -1
    return sign * value


def _kink_gaps(expr):
    """The expressions whose sign changes at a kink of ``expr`` (zero exactly on the kink)."""
    gaps = []

    def conditions(cond):
        if isinstance(cond, (sympy.And, sympy.Or, sympy.Not)):
            for c in cond.args:
                conditions(c)
        elif isinstance(cond, sympy.core.relational.Relational):
            gaps.append(cond.lhs - cond.rhs)

    for node in sympy.preorder_traversal(expr):
        if isinstance(node, (sympy.Heaviside, sympy.Abs, sympy.sign)):
            gaps.append(node.args[0])
        elif isinstance(node, (sympy.Max, sympy.Min)):
            args = list(node.args)
            for i, first in enumerate(args):
                for second in args[i + 1 :]:
                    gaps.append(first - second)
        elif isinstance(node, sympy.Piecewise):
            for _, cond in node.args:
                conditions(cond)
    return gaps


def kink_thresholds(exprs, symbols):
    r"""Where the kinks of the expressions lie, for kinks that depend on one symbol linearly.

    A ``Heaviside(z)``, ``Abs(z - 1)``, ``Max(0, 2*z)`` or a ``Piecewise`` condition ``z > 0``
    puts a kink at a value :math:`t` of one symbol (the root of :math:`c z + d`); a polynomial
    in one symbol, such as ``Max(0, z**2 - 16)``, puts kinks at its real roots (degree at most
    :data:`MAX_KINK_DEGREE`). Those symbols
    are the ones whose two sides the equivalence checker must both visit; kinks that mix several
    symbols (``Max(0, w*x + b)``) are left to random sampling. Symbols with a sign or integer
    assumption are never steered.

    Parameters
    ----------
    exprs : sequence of sympy.Expr
        The expressions compared.
    symbols : sequence of sympy.Symbol
        The symbols that will be sampled.

    Returns
    -------
    dict of {sympy.Symbol: tuple of float}
        For each steerable symbol, its kink values in increasing order.

    Examples
    --------
    >>> z, w = sympy.symbols("z w")
    >>> kink_thresholds([sympy.Heaviside(z) * w, sympy.Max(0, z - 1) + sympy.Abs(w * z)], [z, w])
    {z: (0.0, 1.0)}
    """
    wanted = {s for s in symbols if _steerable(s)}
    found = {}
    for expr in exprs:
        for gap in _kink_gaps(expr):
            free = gap.free_symbols
            if len(free) != 1:
                continue
            (sym,) = free
            if sym not in wanted:
                continue
            slope = sympy.diff(gap, sym)
            if not slope.is_number:
                for root in _polynomial_roots(gap, sym):
                    found.setdefault(sym, set()).add(root)
                continue
            if slope.is_zero:
                continue
            offset = sympy.expand(gap - slope * sym)
            if not offset.is_number:
                continue
            root = -offset / slope
            if not root.is_real:
                continue
            found.setdefault(sym, set()).add(float(root))
    return {s: tuple(sorted(found[s])) for s in sorted(found, key=lambda s: s.name)}


#: Highest degree of a one-symbol polynomial kink (``Max(0, z**2 - 16)``) whose roots are steered to.
MAX_KINK_DEGREE = 4


def _polynomial_roots(gap, sym):
    """The real roots of a kink ``gap`` that is a polynomial in ``sym`` with number coefficients."""
    try:
        poly = sympy.Poly(gap, sym)
    except (sympy.PolynomialError, sympy.GeneratorsNeeded):
        return []
    if poly.degree() > MAX_KINK_DEGREE or not all(c.is_number and c.is_real for c in poly.all_coeffs()):
        return []
    try:
        roots = poly.nroots(n=15)
    except (sympy.polys.polyerrors.PolynomialError, NotImplementedError, ValueError):  # pragma: no cover
        return []
    return sorted({float(r) for r in roots if r.is_real})


def _steerable(sym):
    return not (
        sym.is_integer
        or sym.is_positive
        or sym.is_negative
        or sym.is_nonnegative
        or sym.is_nonpositive
    )


class KinkSampler:
    r"""Random points that visit every side of every kink: one region pattern at a time.

    Each symbol of ``thresholds`` (see :func:`kink_thresholds`) has ``k + 1`` regions between
    its ``k`` kink values; a *pattern* picks one region per symbol. :meth:`point` draws a point
    inside a given pattern (or, with ``pattern=None``, in a random one); the other symbols are
    drawn as in :func:`sample_points` (mixed signs, magnitudes in [0.2, 2.6], never a nice number).

    Parameters
    ----------
    symbols : sequence of sympy.Symbol
        Every symbol to sample, in a fixed order.
    thresholds : dict of {sympy.Symbol: tuple of float}
        The kink values of the steered symbols.
    seed : int, default 0
        Seed of ``np.random.default_rng``.

    Examples
    --------
    >>> z1, z2, w = sympy.symbols("z1 z2 w")
    >>> sampler = KinkSampler([w, z1, z2], {z1: (0.0,), z2: (0.0,)}, seed=1)
    >>> sampler.patterns()
    [(0, 0), (0, 1), (1, 0), (1, 1)]
    >>> point = sampler.point((0, 1))
    >>> bool(point[z1] < 0 < point[z2])
    True
    >>> sampler.on_pattern([sympy.Heaviside(z1) * sympy.Heaviside(-z2)])
    (1, 0)
    >>> sampler.neighbours((1, 0))
    [(0, 0), (1, 1)]
    """

    def __init__(self, symbols, thresholds, seed=0):
        self.symbols = list(symbols)
        self.steered = [s for s in self.symbols if s in thresholds]
        self.thresholds = {s: tuple(thresholds[s]) for s in self.steered}
        self.rng = np.random.default_rng(seed)

    def patterns(self):
        """Every region pattern, as tuples of region indices (one per steered symbol)."""
        from itertools import product

        return list(product(*(range(len(self.thresholds[s]) + 1) for s in self.steered)))

    def count(self):
        """How many region patterns there are."""
        total = 1
        for s in self.steered:
            total *= len(self.thresholds[s]) + 1
        return total

    def pattern_of(self, point):
        """The region pattern a point lies in."""
        return tuple(sum(1 for t in self.thresholds[s] if point[s] > t) for s in self.steered)

    def describe(self, sym, region):
        """The region as text, e.g. ``'z1 < 0'`` or ``'0 < z < 1'``."""
        ts = self.thresholds[sym]
        fmt = lambda t: f"{t:g}"  # noqa: E731
        if region == 0:
            return f"{sym.name} < {fmt(ts[0])}"
        if region == len(ts):
            return f"{sym.name} > {fmt(ts[-1])}"
        return f"{fmt(ts[region - 1])} < {sym.name} < {fmt(ts[region])}"

    def on_pattern(self, exprs):
        """The pattern where every ``Heaviside(u)`` and ``Max(0, u)`` of ``exprs`` is "on" (u > 0).

        A product of ReLU derivatives is non-zero in this one pattern only; when there are too
        many patterns to visit them all, this pattern and its neighbours are the ones to visit.
        Symbols without such a switch take their top region.
        """
        choice = {}
        for expr in exprs:
            for node in sympy.preorder_traversal(expr):
                if isinstance(node, sympy.Heaviside):
                    switch = node.args[0]
                elif isinstance(node, sympy.Max) and len(node.args) == 2 and sympy.S.Zero in node.args:
                    switch = node.args[0] if node.args[1] == 0 else node.args[1]
                else:
                    continue
                free = switch.free_symbols
                if len(free) != 1 or next(iter(free)) not in self.thresholds:
                    continue
                (sym,) = free
                slope = sympy.diff(switch, sym)
                offset = sympy.expand(switch - slope * sym)
                if not (slope.is_number and offset.is_number) or slope.is_zero:
                    continue
                root = float(-offset / slope)
                below = sum(1 for t in self.thresholds[sym] if t < root)
                choice.setdefault(sym, below + 1 if slope > 0 else below)
        return tuple(choice.get(s, len(self.thresholds[s])) for s in self.steered)

    def neighbours(self, pattern):
        """The patterns that differ from ``pattern`` in the region of exactly one symbol."""
        out = []
        for index, sym in enumerate(self.steered):
            for region in range(len(self.thresholds[sym]) + 1):
                if region != pattern[index]:
                    out.append(pattern[:index] + (region,) + pattern[index + 1 :])
        return out

    def point(self, pattern=None):
        """A random point (dict of symbol to ``mpmath.mpf``) in ``pattern``."""
        nudge = mpmath.mpf(1) / 7919
        point = {}
        regions = dict(zip(self.steered, pattern)) if pattern is not None else {}
        for sym in self.symbols:
            if sym in self.thresholds:
                ts = self.thresholds[sym]
                region = regions.get(sym)
                if region is None:
                    region = int(self.rng.integers(0, len(ts) + 1))
                magnitude = float(self.rng.uniform(SAMPLE_LOW, SAMPLE_HIGH))
                if region == 0:
                    value = mpmath.mpf(ts[0]) - magnitude - nudge
                elif region == len(ts):
                    value = mpmath.mpf(ts[-1]) + magnitude + nudge
                else:
                    lo, hi = ts[region - 1], ts[region]
                    value = mpmath.mpf(lo) + (hi - lo) * (mpmath.mpf(float(self.rng.uniform(0.05, 0.95))) + nudge / 10)
                point[sym] = value
            else:
                point[sym] = _ordinary_value(sym, self.rng)
        return point


def instantiate_functions(exprs, seed=0):
    r"""Replace each undefined function by a concrete random smooth function.

    A function of :math:`k` arguments :math:`u_1, \dots, u_k` becomes
    :math:`\sum_i \left(\alpha_i \sin(\beta_i u_i + \gamma_i) + \delta_i u_i^2\right)
    + \varepsilon\, u_1 u_k` with random coefficients, so it is non-linear, has non-zero derivatives
    and couples its arguments. Derivatives of the function are then worked out (``doit``).

    Parameters
    ----------
    exprs : sequence of sympy.Expr
        Expressions that may contain undefined functions (all get the same instances).
    seed : int, default 0
        Seed of ``np.random.default_rng``.

    Returns
    -------
    list of sympy.Expr
        The expressions with concrete functions and their derivatives evaluated.

    Examples
    --------
    >>> x = sympy.Symbol("x")
    >>> g = sympy.Function("g")
    >>> [e] = instantiate_functions([sympy.diff(g(x) ** 2, x) - 2 * g(x) * sympy.diff(g(x), x)])
    >>> e
    0
    """
    exprs = [_derivatives_to_subs(e) for e in exprs]
    functions = set()
    for e in exprs:
        functions |= {f.func for f in e.atoms(AppliedUndef)}
    if not functions:
        return [e.doit() if e.has(sympy.Derivative, sympy.Subs) else e for e in exprs]
    rng = np.random.default_rng(seed)
    replacements = {}
    for func in sorted(functions, key=lambda f: str(f)):
        nargs = {len(f.args) for e in exprs for f in e.atoms(AppliedUndef) if f.func == func}
        arity = max(nargs)
        us = sympy.symbols(f"u_1:{arity + 1}")
        body = 0
        for u in us:
            alpha, beta, gamma, delta = (sympy.Rational(int(rng.integers(3, 40)), 17) for _ in range(4))
            body += alpha * sympy.sin(beta * u + gamma) + delta * u**2 / 3
        body += sympy.Rational(int(rng.integers(3, 40)), 23) * us[0] * us[-1]
        replacements[func] = sympy.Lambda(us, body)
    out = []
    for e in exprs:
        replaced = e.replace(
            lambda node: isinstance(node, AppliedUndef) and node.func in replacements,
            lambda node: replacements[node.func](*node.args),
        )
        out.append(replaced.doit())
    return out


def _derivatives_to_subs(expr):
    """Rewrite derivatives taken with respect to expressions (``d f(u) / d u`` with ``u = b(x)``)
    as ``Subs(d f(t) / d t, t, u)``, so that ``u`` can later be replaced by a concrete function."""
    if not expr.has(sympy.Derivative):
        return expr

    def convert(node):
        variables = [v for v, _ in node.variable_count]
        if all(isinstance(v, sympy.Symbol) for v in variables):
            return node
        dummies = [sympy.Dummy(f"t{i}") for i in range(len(variables))]
        swap = dict(zip(variables, dummies))
        inner = node.expr.xreplace(swap)
        counts = [(swap[v], n) for v, n in node.variable_count]
        return sympy.Subs(sympy.Derivative(inner, *counts), tuple(dummies), tuple(variables))

    return expr.replace(lambda n: isinstance(n, sympy.Derivative), convert)
