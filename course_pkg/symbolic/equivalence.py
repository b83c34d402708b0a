r"""Is the learner's answer equivalent to the expected one, and if not, how is it wrong?

:func:`equivalent` decides by high-precision evaluation (mpmath, :data:`~.numeric.DPS` digits) at
:data:`N_POINTS` or more random points with mixed signs, away from kinks and singularities; SymPy's
automatic simplification confirms the easy cases at once (when ``answer - expected`` is already
``0``). Two expressions that agree to 20 significant digits at ten random points are, for the
expressions of this course, the same function; a wrong answer disagrees almost everywhere.

Kinks split the space into regions where the formulas differ: ``Heaviside(z1)*Heaviside(z2)`` is
one smooth function where both ReLUs are on and another (0) elsewhere. So the points visit every
region pattern of the kinks (:data:`POINTS_PER_PATTERN` points in each, up to
:data:`MAX_PATTERNS` patterns; beyond, the pattern where every ReLU is on and its neighbours),
and an answer that forgets a ``Heaviside`` factor is caught where that ReLU is off.

When the answer is wrong the same numbers tell how: a constant ratio (off by a factor, or the sign
flipped), a constant difference, a variable the expected answer does not have, or a ratio equal to
one of the expected answer's factors (a missing factor, such as :math:`\sigma'(z)` or the inner
derivative of the chain rule). Each is checked as an identity at every point, with its constant
read off the points where the expected answer is not 0 (more such points are drawn when Heaviside
factors make it 0 at most of them). A missing ``Heaviside`` factor is reported as such ("right
where z1 > 0 but not where z1 < 0"), and an answer right on one side of a kink only is told so.

Every check runs in a worker process with a hard time limit (:data:`~.worker.TIME_LIMIT`), so no
input can hang the caller; a malformed answer is a Verdict, never an exception.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations

import mpmath
import sympy
from sympy.core.function import AppliedUndef

from . import worker
from .numeric import DPS, BadPoint, KinkSampler, evaluate, instantiate_functions, kink_thresholds
from .parsing import AnswerFormatError, _parse, _variable_map, sigmoid
from .parsing import _derivative_names, _function_map
from .verdict import Verdict, compact_number, to_latex, to_text

__all__ = ["equivalent", "check_derivation", "quotient_rule", "QuotientRule", "N_POINTS", "REL_TOL", "MAX_STEPS", "ANSWER_TIME_LIMIT"]

#: Valid sample points required for a verdict (at least; more when there are kinks).
N_POINTS = 10
#: Candidate points tried at most for each point wanted (points on kinks or singularities are dropped).
ATTEMPTS_PER_POINT = 6
#: Points drawn in each region pattern of the kinks, so every side of every kink is tested.
POINTS_PER_PATTERN = 3
#: Most region patterns enumerated one by one; beyond, each point picks its regions at random.
MAX_PATTERNS = 32
#: Points where the expected answer is non-zero wanted before diagnosing a wrong answer.
N_DIAGNOSIS = 8
#: Fewest non-zero values a ratio must be seen at before it is called a constant or a factor.
MIN_SUPPORT = 3
#: Relative tolerance of a numerical comparison at DPS = 40 digits.
REL_TOL = mpmath.mpf(10) ** -20
#: Two values both smaller than this are equal (guards against cancellation noise near zero).
ABS_TINY = mpmath.mpf(10) ** -25
#: Points closer than this to a kink are dropped.
KINK_MARGIN = mpmath.mpf(10) ** -6
#: Largest denominator when naming a constant factor or an additive constant as a fraction.
MAX_DENOMINATOR = 1000
#: A constant beyond 10**±SHIFT_DIGITS is named as a fraction times a power of ten (``1e-400``).
SHIFT_DIGITS = 6
#: Seed of the sample points.
SEED = 20240611


# ------------------------------------------------------------------------------------------------
# Preparation: from (str | Expr) to comparable expressions with matching symbols
# ------------------------------------------------------------------------------------------------


def _free_symbol_map(expr):
    return {s.name: s for s in expr.free_symbols if isinstance(s, sympy.Symbol)}


def _as_expr(value, mapping, argname, allow_unknown=True, functions=None, derivatives=None):
    """Parse a string, or accept a SymPy expression (renaming symbols to those of `mapping`)."""
    if isinstance(value, str):
        expr, _ = _parse(value, mapping, allow_unknown=allow_unknown, argname=argname, functions=functions,
                         derivatives=derivatives)
        return expr
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return sympy.Rational(Fraction(str(value))) if isinstance(value, float) else sympy.Integer(value)
    if isinstance(value, sympy.Basic):
        if not isinstance(value, sympy.Expr):
            raise TypeError(f"{argname} must be a scalar SymPy expression, got {type(value).__name__}")
        if mapping:
            swap = {
                s: mapping[s.name]
                for s in value.free_symbols
                if isinstance(s, sympy.Symbol) and s.name in mapping and mapping[s.name] != s
            }
            if swap:
                value = value.xreplace(swap)
        return value
    raise TypeError(f"{argname} must be a string or a SymPy expression, got {type(value).__name__}")


def _echo_latex(text, mapping, functions=None):
    """LaTeX of the text read as written (unevaluated), or None when it cannot be read."""
    if not isinstance(text, str):
        return None
    try:
        expr, _ = _parse(text, mapping, allow_unknown=True, functions=functions, evaluate=False)
        return to_latex(expr)
    except Exception:  # noqa: BLE001 - an echo is best effort; the verdict says why it cannot be read
        return None


def _prepare_expected(expected, variables, functions=None):
    mapping = _variable_map(variables)
    try:
        expr = _as_expr(expected, mapping, "expected", allow_unknown=mapping is None, functions=functions)
    except AnswerFormatError as err:
        raise ValueError(f"expected could not be read: {err}") from None
    if mapping is None:
        mapping = _free_symbol_map(expr)
    else:
        mapping = dict(mapping)
        for name, sym in _free_symbol_map(expr).items():
            mapping.setdefault(name, sym)
    return expr, mapping


# ------------------------------------------------------------------------------------------------
# Numerical comparison
# ------------------------------------------------------------------------------------------------


def _close(a, b):
    diff = abs(a - b)
    scale = max(abs(a), abs(b))
    if scale < ABS_TINY:
        return True
    return diff <= REL_TOL * scale


def _evaluate_row(exprs, point, dps=None):
    """The values of every expression at a point, or None when the point is bad for one of them."""
    try:
        row = []
        for e in exprs:
            value, kink = evaluate(e, point, dps)
            if kink < KINK_MARGIN:
                return None
            row.append(value)
    except BadPoint:
        return None
    return row


#: Points far from the origin and very close to it, added to every comparison: large |values|
#: (stratified over [WIDE_LARGE[0], WIDE_LARGE[1]], both signs) and tiny ones.
N_WIDE_LARGE = 4
N_WIDE_TINY = 1
WIDE_LARGE = (3.0, 40.0)
WIDE_TINY = (1e-4, 1e-2)
#: Digits of the wide points, and of the stability check of a disagreement there: a point whose
#: values change between the two precisions (cancellation of huge terms) is dropped, never judged.
WIDE_DPS = 80
WIDE_CHECK_DPS = 120


def _wide_points(symbols, seed=SEED):
    """Points where one symbol at a time takes a large or a tiny value (others ordinary)."""
    import numpy as np

    from .numeric import _ordinary_value

    rng = np.random.default_rng(seed + 1)
    free = [s for s in symbols if not s.is_integer]
    points = []
    if not free:
        return points
    lo, hi = mpmath.log(WIDE_LARGE[0]), mpmath.log(WIDE_LARGE[1])
    plan = [("large", j) for j in range(N_WIDE_LARGE)] + [("tiny", j) for j in range(N_WIDE_TINY)]
    for index, (kind, j) in enumerate(plan):
        wide = free[index % len(free)]
        point = {s: _ordinary_value(s, rng) for s in symbols}
        if kind == "large":
            u = (j + float(rng.uniform(0.1, 0.9))) / N_WIDE_LARGE  # one point in each stratum
            magnitude = mpmath.exp(lo + (hi - lo) * u)
        else:
            magnitude = mpmath.mpf(10) ** float(rng.uniform(mpmath.log10(WIDE_TINY[0]), mpmath.log10(WIDE_TINY[1])))
        if wide.is_positive or wide.is_nonnegative:
            sign = 1
        elif wide.is_negative or wide.is_nonpositive:
            sign = -1
        else:
            sign = 1 if j % 2 == 0 else -1
        point[wide] = sign * mpmath.mpf(float(magnitude) * (1 + 1 / 7919))
        points.append(point)
    return points


def _draw_wide(exprs, symbols, points, rows):
    """Add the wide points whose values are stable (the same at two precisions)."""
    for point in _wide_points(symbols):
        row = _evaluate_row(exprs, point, WIDE_DPS)
        if row is None:
            continue
        if not all(_close(v, row[-1]) for v in row[:-1]):
            # A disagreement is only believed if it survives more digits (cancellation of huge
            # terms can fake one); an agreement needs no check (noise never makes values agree).
            check = _evaluate_row(exprs, point, WIDE_CHECK_DPS)
            if check is None or not all(_close(a, b) for a, b in zip(row, check)):
                continue
        points.append(point)
        rows.append(row)


def _draw(exprs, sampler, plan, points, rows):
    """Draw one valid point per entry of ``plan`` (a region pattern, or None for a random one)."""
    for pattern in plan:
        for _ in range(ATTEMPTS_PER_POINT):
            point = sampler.point(pattern)
            row = _evaluate_row(exprs, point)
            if row is not None:
                points.append(point)
                rows.append(row)
                break


def _values(exprs, symbols):
    """Evaluate every expression at the same random points; return (points, rows, sampler).

    The points cover every side of every kink (see :class:`~.numeric.KinkSampler`): a
    ``Heaviside(z1)`` factor is tested where ``z1 < 0`` as well as where ``z1 > 0``. An answer
    that agrees at all of them is then tried at the wide points (:func:`_wide_points`), large
    and tiny values of each symbol, so a formula that agrees only near the origin
    (``x + Max(0, x^2 - 16)`` for ``x``) is refused.
    """
    sampler = KinkSampler(symbols, kink_thresholds(exprs, symbols), seed=SEED)
    if not symbols:
        plan = [None]
    elif sampler.count() == 1:
        plan = [None] * N_POINTS
    elif sampler.count() <= MAX_PATTERNS:
        patterns = sampler.patterns()
        total = max(N_POINTS, POINTS_PER_PATTERN * len(patterns))
        plan = [patterns[i % len(patterns)] for i in range(total)]
    else:
        # Too many patterns to visit each: visit the one where every ReLU is on and each pattern
        # with one ReLU flipped (a forgotten g′ factor shows there), then random ones.
        on = sampler.on_pattern(exprs)
        plan = [pattern for pattern in [on] + sampler.neighbours(on) for _ in range(POINTS_PER_PATTERN)]
        plan += [None] * max(N_POINTS, POINTS_PER_PATTERN * MAX_PATTERNS - len(plan))
    points, rows = [], []
    _draw(exprs, sampler, plan, points, rows)
    return points, rows, sampler


def _enrich(exprs, sampler, points, rows):
    """Add points where the expected answer (the last expression) is non-zero, for the diagnosis.

    Heaviside factors make both answers 0 wherever a ReLU is off; ratios and differences are only
    informative where the expected answer is not 0, so more points are drawn in the region
    patterns where it was seen non-zero, until :data:`N_DIAGNOSIS` such points exist.
    """
    nonzero = [sampler.pattern_of(p) for p, r in zip(points, rows) if abs(r[-1]) > ABS_TINY]
    missing = N_DIAGNOSIS - len(nonzero)
    if missing <= 0 or not nonzero or not sampler.steered:
        return
    patterns = sorted(set(nonzero))
    _draw(exprs, sampler, [patterns[i % len(patterns)] for i in range(missing)], points, rows)


def _constant(values):
    """The common value of a list of mp numbers if they are all equal, else None."""
    first = values[0]
    if all(_close(v, first) for v in values[1:]):
        return first
    return None


def _nice_number(value):
    r"""A SymPy number for an mp value: a small fraction (times a power of ten) when it is one, else a float.

    ``1/2`` stays ``1/2``; :math:`10^{-400}` and :math:`3 \cdot 10^{12}` are found exactly (a
    fraction with a small denominator after moving the decimal point); anything else becomes a
    4-digit ``Float`` (which keeps its exponent, however large or small).
    """
    if isinstance(value, mpmath.mpc):
        if abs(value.imag) > REL_TOL * max(1, abs(value.real)):
            return sympy.Float(value.real, 4) + sympy.I * sympy.Float(value.imag, 4)
        value = value.real
    if value == 0:
        return sympy.Integer(0)
    exponent = int(mpmath.floor(mpmath.log10(abs(value))))
    shift = exponent if abs(exponent) > SHIFT_DIGITS else 0
    scaled = value / mpmath.mpf(10) ** shift
    frac = Fraction(str(mpmath.nstr(scaled, DPS - 5, strip_zeros=False))).limit_denominator(MAX_DENOMINATOR)
    if frac != 0 and _close(mpmath.mpf(frac.numerator) / frac.denominator, scaled):
        return sympy.Rational(frac.numerator, frac.denominator) * sympy.Integer(10) ** shift
    return sympy.Float(value, 4)


def _is_nice_ratio(ratio):
    """Whether an exact ratio reads well as "off by a factor of ...": ``3``, ``1/2``, ``1e-400``."""
    if not (ratio.is_Rational and ratio != 0):
        return False
    p, q = abs(ratio.p), ratio.q
    while p % 10 == 0:
        p //= 10
    while q % 10 == 0:
        q //= 10
    return p <= 10**6 and q <= MAX_DENOMINATOR


def _point_text(point):
    return ", ".join(f"{s.name} = {float(v):.3g}" for s, v in sorted(point.items(), key=lambda kv: kv[0].name))


def _plus(constant):
    """``'plus 1/2'`` or ``'minus 1'``: a constant added to the expected answer, in words."""
    if constant.is_real and constant.is_negative:
        return f"minus {_describe_factor(-constant)}"
    return f"plus {_describe_factor(constant)}"


def _describe_factor(factor):
    """A factor or a constant as short text: ``2``, ``1/2``, ``1e-400``, ``x/2``."""
    if factor.is_Number and factor.is_real:
        return compact_number(factor)
    return to_text(factor)


# ------------------------------------------------------------------------------------------------
# Feedback: how is it wrong?
# ------------------------------------------------------------------------------------------------


def _factor_candidates(expected, symbols):
    """Factors whose omission is a classic slip: multiplicative factors and inner derivatives.

    Remembered per expression in the worker: a learner's next try at the same question reuses them.
    """
    return list(_factor_candidates_cached(expected, tuple(symbols)))


@functools.lru_cache(maxsize=128)
def _factor_candidates_cached(expected, symbols):
    return tuple(_factor_candidates_uncached(expected, symbols))


def _factor_candidates_uncached(expected, symbols):
    candidates = []
    coefficient, rest = expected.as_coeff_Mul()
    factors = [f for f in sympy.Mul.make_args(rest) if not f.is_number]
    for f in factors:
        candidates.append(f)
        if f.is_Pow and f.exp.is_Integer and f.exp > 1:
            candidates.append(f.base)
    for f, g in combinations(factors, 2):
        candidates.append(f * g)
    if coefficient != 1:
        candidates.extend([coefficient * c for c in list(candidates)])
    for node in sympy.preorder_traversal(expected):
        if isinstance(node, sympy.Function) and len(node.args) == 1 and not isinstance(node, AppliedUndef):
            u = node.args[0]
            t = sympy.Dummy("t")
            try:
                outer = sympy.diff(node.func(t), t).subs(t, u)
            except Exception:  # noqa: BLE001 - a function without a derivative: skip it
                outer = None
            if outer is not None and outer != 0:
                candidates.append(outer)
            for s in symbols:
                inner = sympy.diff(u, s)
                if inner.free_symbols and inner != 1:
                    candidates.append(inner)
    seen, unique = set(), []
    for c in candidates:
        if c not in seen:
            seen.add(c)
            unique.append(c)
    return unique[:40]


def _matching_factor(candidates, points, targets, bases):
    """The first candidate F with ``target = base * F`` at every point (None if there is none).

    ``bases`` and ``targets`` must each be non-zero at :data:`MIN_SUPPORT` points at least, or
    nothing is named.
    """
    if sum(1 for b in bases if abs(b) > ABS_TINY) < MIN_SUPPORT:
        return None
    if sum(1 for t in targets if abs(t) > ABS_TINY) < MIN_SUPPORT:
        return None  # values below ABS_TINY count as 0: an identity between them proves nothing
    for cand in candidates:
        ok = True
        for point, target, base in zip(points, targets, bases):
            try:
                value, _ = evaluate(cand, point)
            except BadPoint:
                ok = False
                break
            if not _close(target, base * value):
                ok = False
                break
        if ok:
            return cand
    return None


def _name_derivative(factor):
    """``'That factor is σ′(z3), ... '`` when a factor is the sigmoid's derivative, else ``''``."""
    for node in sympy.preorder_traversal(factor):
        if isinstance(node, sigmoid):
            u = node.args[0]
            if sympy.expand(factor - sigmoid(u) * (1 - sigmoid(u))) == 0:
                return f"That factor is σ′({to_text(u)}) = σ({to_text(u)})(1 − σ({to_text(u)})). "
            break
    return ""


def _sign_hint(expected):
    """Where to look for a lost minus sign; the exponential's sign only when there is one."""
    # (the sigmoid hides an e^(−z), but a sign error next to σ is not about it: see issue 7)
    has_negative_exp = any(
        isinstance(node, sympy.exp) and node.args[0].could_extract_minus_sign()
        for node in sympy.preorder_traversal(expected)
    )
    if has_negative_exp:
        return "Look for a lost minus sign (the derivative of e^(−z) is −e^(−z))."
    return "Check the sign of each local derivative, and the order of a difference such as (ŷ − y)."


#: Most named links whose product is reported as missing (or surplus) at once.
MAX_LINKS_NAMED = 3
#: Points at which a product of links is tried before it is confirmed at every point.
N_LINK_PROBES = 4


def _named_links(links, points, targets, bases):
    """The named links whose product F makes ``target = base * F`` at every point: (F, names) or None."""
    if sum(1 for b in bases if abs(b) > ABS_TINY) < MIN_SUPPORT:
        return None
    if sum(1 for t in targets if abs(t) > ABS_TINY) < MIN_SUPPORT:
        return None
    # Probe at a few informative points first (both sides non-zero), then confirm everywhere.
    informative = [k for k, (t, b) in enumerate(zip(targets, bases)) if abs(t) > ABS_TINY and abs(b) > ABS_TINY]
    probe = informative[:N_LINK_PROBES]
    rest = [k for k in range(len(points)) if k not in probe]

    def values(expr, indices):
        row = {}
        for k in indices:
            try:
                row[k], _ = evaluate(expr, points[k])
            except BadPoint:
                return None
        return row

    table = []
    for name, expr in links:
        row = values(expr, probe)
        if row is not None:
            table.append([name, expr, row, False])

    def holds(subset, indices):
        for k in indices:
            product = bases[k]
            for entry in subset:
                product *= entry[2][k]
            if not _close(targets[k], product):
                return False
        return True

    for size in range(1, min(MAX_LINKS_NAMED, len(table)) + 1):
        for subset in combinations(table, size):
            if not holds(subset, probe):
                continue
            complete = True
            for entry in subset:
                if not entry[3]:
                    more = values(entry[1], rest)
                    if more is None:
                        complete = False
                        break
                    entry[2].update(more)
                    entry[3] = True
            if complete and holds(subset, rest):
                return sympy.Mul(*(entry[1] for entry in subset)), [entry[0] for entry in subset]
    return None


def _antiderivative_of(factor):
    """(what, function, derivative name) when ``factor`` is f′(u) of a course function, else None.

    ``Heaviside(u)`` is g′(u) for the ReLU g; ``σ(u)(1 − σ(u))`` is σ′(u); ``1 − tanh(u)²`` is
    tanh′(u). The function itself, put where its derivative belongs, is a classic slip.
    """
    if isinstance(factor, sympy.Heaviside):
        u = factor.args[0]
        return f"g({to_text(u)})", sympy.Max(0, u), f"g′({to_text(u)})"
    for node in sympy.preorder_traversal(factor):
        if isinstance(node, (sigmoid, sympy.tanh)) and len(node.args) == 1:
            u = node.args[0]
            t = sympy.Dummy("t")
            derivative = sympy.diff(node.func(t), t).xreplace({t: u})
            if sympy.expand(factor - derivative) == 0:
                name = "σ" if isinstance(node, sigmoid) else "tanh"
                return f"{name}({to_text(u)})", node, f"{name}′({to_text(u)})"
            return None
    return None


def _function_for_derivative(expected, links, points, a_vals, e_vals):
    """A message when the answer has a function where its derivative belongs, else None."""
    if sum(1 for e in e_vals if abs(e) > ABS_TINY) < MIN_SUPPORT:
        return None
    plain = [f for f in sympy.Mul.make_args(expected) if not f.is_number]
    factors = [(name, f) for name, f in (links or ())]
    factors += [(None, f) for f in plain]
    factors += [(None, f * g) for f, g in combinations(plain, 2) if f.has(sigmoid) and g.has(sigmoid)]
    seen = set()
    for name, factor in factors:
        if factor in seen:
            continue
        seen.add(factor)
        found = _antiderivative_of(factor)
        if found is None:
            continue
        what, function, derivative = found
        swapped = expected / factor * function
        ok = True
        for point, a in zip(points, a_vals):
            try:
                value, _ = evaluate(swapped, point)
            except BadPoint:
                ok = False
                break
            if not _close(a, value):
                ok = False
                break
        if ok:
            where = f" ({name})" if name else ""
            return (f"Your answer has the function {what} where its derivative {derivative} belongs{where}: "
                    "in the chain rule each link is a derivative, evaluated at its input.")
    return None


def _join_words(names):
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _links_message(names, missing):
    """A missing (or surplus) factor named by the links of the chain, in words."""
    if missing:
        if len(names) == 1:
            return f"A factor is missing: {names[0]}. In the chain rule every link contributes a factor."
        return f"{len(names)} factors are missing: {_join_words(names)}. In the chain rule every link contributes a factor."
    if len(names) == 1:
        return f"One factor too many: {names[0]}, which this derivative does not contain."
    return f"{len(names)} factors too many: {_join_words(names)}, which this derivative does not contain."


def _missing_in_words(missing, answer):
    """A missing factor said in words (its kind and its variables), never printed whole."""
    names = ", ".join(sorted(s.name for s in missing.free_symbols if isinstance(s, sympy.Symbol)))
    if answer.is_number:
        return (
            f"Your answer is a constant, but this derivative depends on {names}: every link of the "
            "chain contributes a factor; work each one out and multiply them."
        )
    sigma = _name_derivative(missing)
    if sigma:
        return "A factor is missing. " + sigma + "In the chain rule every link contributes a factor; did one get lost?"
    if missing.is_Symbol:
        return f"A factor {missing.name} is missing. In the chain rule every link contributes a factor; did one get lost?"
    return (
        f"A factor that depends on {names} is missing: your answer is right up to that factor. In the "
        "chain rule every link contributes a factor; which one did you leave out?"
    )


#: Messages in words only, used in place of a message that would give the expected answer away.
SAFE_MESSAGES = {
    "missing_factor": (
        "A factor is missing: your answer is right up to a factor that is not a constant. In the "
        "chain rule every link contributes a factor; which one did you leave out?"
    ),
    "extra_factor": "One factor too many: your answer is the expected one times a factor that is not a constant.",
    "format": "Could not read your answer; check the brackets, the `*` between factors and the names.",
    "function_for_derivative": (
        "Your answer has a function where its derivative belongs: in the chain rule each link is a "
        "derivative, evaluated at its input."
    ),
}
_SAFE_DEFAULT = "Not equivalent: your answer and the expected one differ."
# Diagnoses that, for an expected number, would let the learner work the number out.
_ARITHMETIC_KINDS = ("constant_factor", "sign", "additive_constant", "wrong", "missing_factor", "extra_factor")


def _guard(verdict, expected, typed):
    """Return ``verdict``, with its message replaced by words if it gives ``expected`` away."""
    from .leaks import leaks

    if verdict.ok:
        return verdict
    if expected.is_number and verdict.kind in _ARITHMETIC_KINDS and verdict.kind != "format":
        # For a number, "2 times", "plus 1/2" or "minus the expected one" is the answer itself.
        fields = {k: getattr(verdict, k) for k in verdict.__dataclass_fields__}
        fields["message"] = "Not the right value."
        return Verdict(**fields)
    try:
        leaked = leaks(verdict.message, expected, typed=typed)
    except (AnswerFormatError, ArithmeticError, ValueError, TypeError, RecursionError):
        leaked = "?"  # a message the rule cannot judge is not shown
    if leaked is None:
        return verdict
    fields = {k: getattr(verdict, k) for k in verdict.__dataclass_fields__}
    fields["message"] = SAFE_MESSAGES.get(verdict.kind, _SAFE_DEFAULT)
    return Verdict(**fields)


def _heaviside_switches(factor):
    """For a factor made only of Heaviside functions, their arguments; else None."""
    if not factor.has(sympy.Heaviside):
        return None
    args = []
    for f in sympy.Mul.make_args(factor):
        base = f.base if f.is_Pow and f.exp.is_Integer and f.exp > 0 else f
        if not isinstance(base, sympy.Heaviside):
            return None
        args.append(base.args[0])
    return args


def _side_text(arg, positive=True):
    """Where ``arg > 0`` (or ``< 0``), as text: ``z1 > 0``, ``z < 1``, ``w*x + b > 0``."""
    free = [s for s in arg.free_symbols if isinstance(s, sympy.Symbol)]
    if len(free) == 1:
        (sym,) = free
        slope = sympy.diff(arg, sym)
        offset = sympy.expand(arg - slope * sym)
        if slope.is_number and not slope.is_zero and offset.is_number and slope.is_real:
            root = sympy.nsimplify(-offset / slope) if offset != 0 else sympy.Integer(0)
            greater = positive == bool(slope > 0)
            return f"{sym.name} {'>' if greater else '<'} {to_text(root)}"
    return f"{to_text(arg)} {'>' if positive else '<'} 0"


def _relu_factor_message(factor, missing):
    """The message for a missing (or surplus) factor made of Heaviside functions only."""
    args = _heaviside_switches(factor)
    on = " and ".join(_side_text(a, True) for a in args)
    if len(args) == 1:
        off = _side_text(args[0], False)
        where = f"right where {on} but not where {off}"
    else:
        where = f"right where {on} but not elsewhere"
    plain = all(a.is_Symbol for a in args)
    if plain:
        names = "·".join(f"g′({a.name})" for a in args)
        what = (
            f"a ReLU derivative factor {names} = {to_text(factor)}" if len(args) == 1
            else f"the ReLU derivative factors {names} = {to_text(factor)}"
        )
    else:
        what = f"the factor {to_text(factor)}"
    if missing:
        verb = "is missing?" if len(args) == 1 else "are missing?"
        tail = " It is 0 where that ReLU is off." if plain and len(args) == 1 else ""
        return f"Your answer is {where}: {what} {verb}{tail}"
    return (
        f"Your answer is {where}: it has {what.replace('a ReLU', 'the ReLU', 1)} that the expected answer "
        "does not have."
    )


def _region_conditions(points, flags, values, sampler):
    """Kink regions that contain every mismatch, each with a matching non-zero point outside.

    Returns a list of ``(symbol, region)`` pairs: the answer is right at every point tried
    outside ``region`` of ``symbol`` (and not merely because both sides are 0 there).
    """
    found = []
    patterns = [sampler.pattern_of(p) for p in points]
    for index, sym in enumerate(sampler.steered):
        bad_regions = {pat[index] for pat, bad in zip(patterns, flags) if bad}
        if len(bad_regions) != 1:
            continue
        (region,) = bad_regions
        outside = [(bad, v) for pat, bad, v in zip(patterns, flags, values) if pat[index] != region]
        if outside and not any(bad for bad, _ in outside) and any(abs(v) > ABS_TINY for _, v in outside):
            found.append((sym, region))
    return found


def _digits_that_differ(a, b):
    """Print two different numbers with enough digits to show that they differ."""
    for digits in (6, 10, 15, 20, 30):
        left, right = mpmath.nstr(a, digits), mpmath.nstr(b, digits)
        if left != right:
            break
    return left, right


def _diagnose(answer, expected, points, rows, sampler, links=None):
    """Return a Verdict for an answer that disagrees with the expected one.

    Every diagnosis is an identity checked at *every* point (``answer = c * expected``,
    ``answer - expected = c``, ``expected = answer * F``), so points where Heaviside factors make
    both sides 0 neither hide a diagnosis nor fake one; the constants are read off the points
    where the values are non-zero.
    """
    extra = sorted(
        (s for s in answer.free_symbols - expected.free_symbols if isinstance(s, sympy.Symbol)),
        key=lambda s: s.name,
    )
    base = dict(parsed=answer, expected=expected)
    if extra:
        name = extra[0].name
        others = ", ".join(sorted(s.name for s in expected.free_symbols)) or "no variable at all"
        return Verdict(
            ok=False,
            kind="extra_variable",
            variable=name,
            message=(
                f"Your answer depends on `{name}`, but the expected answer does not: it involves "
                f"{others}. Check where `{name}` came from."
            ),
            **base,
        )
    a_vals = [r[0] for r in rows]
    e_vals = [r[1] for r in rows]
    has_symbols = bool(expected.free_symbols | answer.free_symbols)

    nonzero = [(a, e) for a, e in zip(a_vals, e_vals) if abs(e) > ABS_TINY]
    if len(nonzero) >= min(MIN_SUPPORT, len(rows)):
        ratio = _constant([a / e for a, e in nonzero])
        # Compared as answer / ratio against the expected answer, so that a constant of any size
        # (10**-400 as well as 2) is recognised: the ratio is scale-free, the expected values are not.
        if (
            ratio is not None
            and ratio != 0
            and all(_close(a / ratio, e) for a, e in zip(a_vals, e_vals))
        ):
            factor = _nice_number(ratio)
            if factor == -1:
                return Verdict(
                    ok=False,
                    kind="sign",
                    factor=factor,
                    message="The sign is flipped: your answer is exactly minus the expected one. " + _sign_hint(expected),
                    **base,
                )
            if factor.is_negative:
                how = f"{_describe_factor(factor)} times the expected one (the sign is flipped too)"
            else:
                how = f"{_describe_factor(factor)} times the expected one"
            return Verdict(
                ok=False,
                kind="constant_factor",
                factor=factor,
                message=(
                    f"Off by a factor of {_describe_factor(factor)}: your answer is {how}. "
                    "Check the constants, e.g. the 2 from differentiating a square."
                ),
                **base,
            )
    if has_symbols:
        difference = _constant([a - e for a, e in zip(a_vals, e_vals)])
        if difference is not None:
            constant = _nice_number(difference)
            return Verdict(
                ok=False,
                kind="additive_constant",
                constant=constant,
                message=(
                    f"Off by an additive constant: your answer is the expected one {_plus(constant)}. "
                    "The shape is right; check a constant term."
                ),
                **base,
            )
        symbols = sorted(expected.free_symbols, key=lambda s: s.name)
        swapped = _function_for_derivative(expected, links, points, a_vals, e_vals)
        if swapped is not None:
            return Verdict(ok=False, kind="function_for_derivative", message=swapped, **base)
        if links:
            named = _named_links(links, points, e_vals, a_vals)
            if named is not None:
                factor, names = named
                return Verdict(ok=False, kind="missing_factor", factor=factor, message=_links_message(names, missing=True), **base)
            named = _named_links(links, points, a_vals, e_vals)
            if named is not None:
                factor, names = named
                return Verdict(ok=False, kind="extra_factor", factor=factor, message=_links_message(names, missing=False), **base)
        missing = _matching_factor(_factor_candidates(expected, symbols), points, e_vals, a_vals)
        if missing is not None:
            if _heaviside_switches(missing) is not None:
                message = _relu_factor_message(missing, missing=True)
            else:
                message = _missing_in_words(missing, answer)
            return Verdict(ok=False, kind="missing_factor", factor=missing, message=message, **base)
        surplus = _matching_factor(_factor_candidates(answer, symbols), points, a_vals, e_vals)
        if surplus is not None:
            if _heaviside_switches(surplus) is not None:
                message = _relu_factor_message(surplus, missing=False)
            else:
                message = f"One factor too many: your answer divided by {to_text(surplus)} would be right."
            return Verdict(ok=False, kind="extra_factor", factor=surplus, message=message, **base)
    flags = [not _close(a, e) for a, e in zip(a_vals, e_vals)]
    # Show a point where the two really differ, preferably one where the expected is not 0.
    differing = [i for i, bad in enumerate(flags) if bad]
    shown = next((i for i in differing if abs(e_vals[i]) > ABS_TINY), differing[0])
    point = points[shown]
    yours, theirs = _digits_that_differ(a_vals[shown], e_vals[shown])
    where = f" at {_point_text(point)}" if point else ""
    values = f"your answer gives {yours}, the expected answer {theirs}"
    regions = _region_conditions(points, flags, e_vals, sampler)
    if regions:
        if len(regions) == 1 and len(sampler.thresholds[regions[0][0]]) == 1:
            sym, region = regions[0]
            split = f"right where {sampler.describe(sym, 1 - region)} but not where {sampler.describe(sym, region)}"
        else:
            split = "right except where " + " and ".join(sampler.describe(sym, r) for sym, r in regions)
        message = (
            f"Not equivalent: your answer is {split} (e.g.{where}: {values}). "
            "Check each side of the kink: a ReLU and its derivative g′ change formula there."
        )
    else:
        message = f"Not equivalent: the two differ{where} ({values})."
    return Verdict(
        ok=False,
        kind="wrong",
        point={s.name: float(v) for s, v in point.items()},
        message=message,
        **base,
    )


def _compare(answer, expected, mapping, links=None):
    """Compare two prepared expressions; return a Verdict (runs inside the worker)."""
    with mpmath.workdps(DPS):
        return _compare_at_precision(answer, expected, mapping, links)


def _compare_at_precision(answer, expected, mapping, links=None):
    base = dict(parsed=answer, expected=expected)
    if answer.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return Verdict(ok=False, kind="undefined", message="Your answer is undefined (it contains a division by zero or an infinity).", **base)
    # SymPy's automatic simplification settles identical forms at once (no expand: it can be slow).
    quick = answer - expected
    if quick == 0:
        return Verdict(ok=True, kind="equivalent", message="Correct: your answer is equivalent to the expected one.", **base)
    if quick.is_Number and quick.is_finite:
        # The difference is an exact non-zero constant: decided without sampling, whatever the scale.
        return _exact_difference(answer, expected, quick)
    concrete_answer, concrete_expected = instantiate_functions([answer, expected], seed=SEED)
    symbols = sorted(concrete_answer.free_symbols | concrete_expected.free_symbols, key=lambda s: (s.name, str(s.assumptions0)))
    points, rows, sampler = _values([concrete_answer, concrete_expected], symbols)
    if not points:
        try:
            answer_ok = _values([concrete_answer], symbols)[0]
        except Exception:  # noqa: BLE001
            answer_ok = []
        if not answer_ok:
            return Verdict(
                ok=False,
                kind="undefined",
                message="Your answer is undefined at every point tried (a division by zero, or a log of 0?).",
                **base,
            )
        return Verdict(
            ok=False,
            kind="wrong",
            message="Not equivalent: the expected answer and yours are never both defined at the points tried.",
            **base,
        )
    if all(_close(a, e) for a, e in rows):
        # Right everywhere near the origin: now far from it and very close to it (a formula
        # right only on a band is wrong out there). A wrong answer is told apart without them.
        _draw_wide([concrete_answer, concrete_expected], symbols, points, rows)
        if all(_close(a, e) for a, e in rows):
            return Verdict(ok=True, kind="equivalent", message="Correct: your answer is equivalent to the expected one.", **base)
    _enrich([concrete_answer, concrete_expected], sampler, points, rows)
    return _relabel(_diagnose(concrete_answer, concrete_expected, points, rows, sampler, links), answer, expected)


def _exact_difference(answer, expected, difference):
    base = dict(parsed=answer, expected=expected)
    if answer.free_symbols or expected.free_symbols:
        return Verdict(
            ok=False,
            kind="additive_constant",
            constant=difference,
            message=(
                f"Off by an additive constant: your answer is the expected one {_plus(difference)}. "
                "The shape is right; check a constant term."
            ),
            **base,
        )
    ratio = answer / expected if expected != 0 else None
    if ratio == -1:
        return Verdict(ok=False, kind="sign", factor=ratio, message="The sign is flipped: your answer is exactly minus the expected one.", **base)
    if ratio is not None and _is_nice_ratio(ratio):
        return Verdict(
            ok=False,
            kind="constant_factor",
            factor=ratio,
            message=f"Off by a factor of {_describe_factor(ratio)}: your answer is {_describe_factor(ratio)} times the expected one.",
            **base,
        )
    return Verdict(ok=False, kind="wrong", message=f"Not equivalent: your answer differs from the expected one by {_describe_factor(difference)}.", **base)


def _relabel(verdict, answer, expected):
    """Put the learner's own expressions (not their instantiated copies) back into a verdict."""
    fields = {k: getattr(verdict, k) for k in verdict.__dataclass_fields__}
    fields["parsed"] = answer
    fields["expected"] = expected
    return Verdict(**fields)


def _prepare_links(links, mapping):
    """The named links as (name, expression) pairs in the question's symbols."""
    if links is None:
        return None
    if isinstance(links, dict):
        links = list(links.items())
    prepared = []
    for item in links:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            raise TypeError(f"links must be (name, expression) pairs, got {item!r}")
        name, expr = item
        try:
            prepared.append((name, _as_expr(expr, mapping, "links", allow_unknown=True)))
        except AnswerFormatError as err:
            raise ValueError(f"links: the link {name!r} could not be read: {err}") from None
    return prepared


def _equivalent_impl(answer, expected, variables, links=None, functions=None, derivatives=None):
    """Everything :func:`equivalent` does, run inside the worker process."""
    functions_given = functions
    functions = _function_map(functions)
    derivatives = _derivative_names(derivatives)
    expected_expr, mapping = _prepare_expected(expected, variables, functions)
    text = answer if isinstance(answer, str) else None
    prepared_links = _prepare_links(links, mapping)
    try:
        answer_expr = _as_expr(answer, mapping, "answer", allow_unknown=variables is None, functions=functions,
                               derivatives=derivatives)
    except AnswerFormatError as err:
        verdict = Verdict(ok=False, kind="format", message=f"Could not read your answer: {err}.", answer_text=text,
                          expected=expected_expr)
        return _guard(verdict, expected_expr, text)
    try:
        verdict = _compare(answer_expr, expected_expr, mapping, prepared_links)
    except (ArithmeticError, ValueError, TypeError, AttributeError, NotImplementedError, RecursionError) as err:
        verdict = Verdict(
            ok=False,
            kind="undefined",
            parsed=answer_expr,
            expected=expected_expr,
            message=f"The checker could not evaluate your answer ({type(err).__name__}); try writing it another way.",
        )
    if text is not None:
        fields = {k: getattr(verdict, k) for k in verdict.__dataclass_fields__}
        fields["answer_text"] = text
        fields["functions"] = functions_given
        verdict = Verdict(**fields)
    return _guard(verdict, expected_expr, text if text is not None else [])


def _check_types(answer, expected):
    for name, value in (("answer", answer), ("expected", expected)):
        if not isinstance(value, (str, sympy.Basic, int, float)) or isinstance(value, bool):
            raise TypeError(f"{name} must be a string or a SymPy expression, got {type(value).__name__}")


def equivalent(answer, expected, variables=None, *, timeout=None, links=None, functions=None, derivatives=None):
    r"""Check a learner's answer against the expected expression, with feedback on the mistake.

    Parameters
    ----------
    answer : str or sympy.Expr
        The learner's answer: text (read by :func:`parse_answer`, never executed) or an
        expression.
    expected : str or sympy.Expr
        The right answer (written by the course; a string is read the same way).
    variables : list of str or sympy.Symbol, optional
        The names the answer may use. ``None``: the free symbols of ``expected`` (other names are
        accepted too, and reported as extra variables if the answer depends on them).
    timeout : float, optional
        Seconds before the check is abandoned; default :data:`~.worker.TIME_LIMIT` (2 s). Raise
        it only for the course's own heavy checks, never for learners' answers.
    links : sequence of (str, str or sympy.Expr), or dict, optional
        The links of the chain whose product is the expected answer, each with its name in
        words (``("the inner derivative of sin's argument", "2*x")``; see :func:`chain_links`).
        A missing or surplus factor that is a product of up to :data:`MAX_LINKS_NAMED` links
        is reported by those names, so the message says which link, never what it is.
    functions : dict of {str: str}, optional
        The question's own names for allowed functions, e.g. ``{"g": "relu"}`` (``g(z)`` and
        ``g′(z)`` are then understood; see :func:`~.parsing.parse_answer`).
    derivatives : collection of str, optional
        The functions whose derivative the answer may write with a prime (``None``: all). A
        question that asks for σ′ passes ``derivatives=()`` so that ``σ′(z)`` is not an answer.

    Returns
    -------
    Verdict
        ``.ok``, ``.message`` and ``.kind`` (see :class:`Verdict`), plus ``.parsed`` (the answer as
        understood), ``.factor``, ``.constant``, ``.variable`` where they apply. A malformed answer
        gives ``kind='format'``; a check that takes longer than 2 s gives ``kind='timeout'``.

    Raises
    ------
    TypeError
        ``answer`` or ``expected`` is neither a string nor a SymPy expression.
    ValueError
        ``expected`` cannot be read (the course's mistake, not the learner's).

    Examples
    --------
    >>> equivalent("tanh(z/2)/2 + 1/2", "sigmoid(z)").ok
    True
    >>> v = equivalent("2*sigmoid(z)", "sigmoid(z)")
    >>> v.kind, v.factor
    ('constant_factor', 2)
    >>> equivalent("open('f')", "z").kind
    'format'
    """
    _check_types(answer, expected)
    limit = worker.TIME_LIMIT if timeout is None else timeout
    try:
        return worker.run(__name__, "_equivalent_impl", (answer, expected, variables, links, functions, derivatives),
                          timeout=limit)
    except (worker.WorkerTimeout, worker.WorkerError):
        return Verdict(
            ok=False,
            kind="timeout",
            message=(
                f"The checker gave up after {limit:g} s on this answer. Simplify it "
                "(no huge powers or deep nesting) and try again."
            ),
            answer_text=answer if isinstance(answer, str) else None,
            parsed=None if isinstance(answer, str) else answer,
        )


# ------------------------------------------------------------------------------------------------
# Derivations
# ------------------------------------------------------------------------------------------------

#: Most lines a derivation may have (a longer one is refused before anything is checked).
MAX_STEPS = 16
#: Seconds allowed for checking one whole answer (a derivation: all its lines together); every
#: worker call within it is also bounded by :data:`~.worker.TIME_LIMIT`.
ANSWER_TIME_LIMIT = worker.TIME_LIMIT


@dataclass(frozen=True)
class QuotientRule:
    r"""The rule a derivation's first line must apply: the quotient rule on :math:`f/h`.

    The first line must be one fraction :math:`\frac{f' h - f h'}{h^2}` (any equivalent numerator
    over :math:`h^2`, up to a common constant), not a later form such as the final answer. Build
    it with :func:`quotient_rule`.

    Attributes
    ----------
    numerator, denominator : str
        :math:`f` and :math:`h`, as text the checker reads (the question's definition).
    wrt : str
        The variable.
    """

    numerator: str
    denominator: str
    wrt: str = "z"

    def expected_form(self, mapping=None, functions=None):
        """:math:`(f' h - f h')/h^2` and (f, h, f′, h′) as SymPy expressions."""
        f, _ = _parse(self.numerator, mapping, allow_unknown=True, argname="numerator", functions=functions)
        h, _ = _parse(self.denominator, mapping, allow_unknown=True, argname="denominator", functions=functions)
        wrt = next((s for s in (f.free_symbols | h.free_symbols) if getattr(s, "name", None) == self.wrt), sympy.Symbol(self.wrt))
        fp, hp = sympy.diff(f, wrt), sympy.diff(h, wrt)
        return (fp * h - f * hp) / h**2, (f, h, fp, hp)


def quotient_rule(numerator, denominator, wrt="z"):
    r"""The first-line rule of a derivation by the quotient rule (for ``check_derivation(first=...)``).

    Parameters
    ----------
    numerator, denominator : str
        :math:`f` and :math:`h` of the definition :math:`f/h` (the question, not its answer).
    wrt : str, default "z"
        The variable.

    Returns
    -------
    QuotientRule

    Raises
    ------
    TypeError
        An argument is not a string.

    Examples
    --------
    >>> rule = quotient_rule("exp(z) - exp(-z)", "exp(z) + exp(-z)")
    >>> check_derivation(["1 - tanh(z)^2", "1/cosh(z)^2"], first=rule).kind
    'first_step'
    """
    for name, value in (("numerator", numerator), ("denominator", denominator), ("wrt", wrt)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string (the definition as text), got {type(value).__name__}")
    return QuotientRule(numerator, denominator, wrt)


def _shape(expr):
    """The written form of an unevaluated expression up to formatting, as text.

    Blanks, brackets, the order of terms and factors, ``+ 0``, ``* 1`` and ``^1`` do not change
    it; anything else (``z*z`` for ``z^2``, ``2*z/2`` for ``z``) does.
    """
    if expr.is_Atom:
        return str(expr)
    if isinstance(expr, (sympy.Add, sympy.Mul)):
        neutral = 0 if isinstance(expr, sympy.Add) else 1
        flat = []
        for arg in expr.args:
            shape = _shape(arg)
            if shape == str(neutral):
                continue
            if isinstance(arg, expr.func) and shape.startswith(expr.func.__name__ + "("):
                flat.extend(_split_shape(shape[len(expr.func.__name__) + 1 : -1]))
            else:
                flat.append(shape)
        if not flat:
            return str(neutral)
        if len(flat) == 1:
            return flat[0]
        return f"{expr.func.__name__}(" + "|".join(sorted(flat)) + ")"
    if isinstance(expr, sympy.Pow) and expr.exp == 1:
        return _shape(expr.base)
    return f"{type(expr).__name__}(" + "|".join(_shape(a) for a in expr.args) + ")"


def _split_shape(inner):
    """The top-level '|'-separated parts of a shape's argument list."""
    parts, depth, current = [], 0, []
    for ch in inner:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "|" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _read_lines_impl(steps, variables, functions, derivatives=None):
    """Parse every line (inside the worker): a list of (expr or None, echo LaTeX or None, error or None, shape or None)."""
    functions = _function_map(functions)
    derivatives = _derivative_names(derivatives)
    mapping = _variable_map(variables)
    out = []
    for step in steps:
        if not isinstance(step, str):
            expr = _as_expr(step, mapping, "steps")
            out.append((expr, None, None, None))
            continue
        try:
            expr = _as_expr(step, mapping, "steps", allow_unknown=variables is None, functions=functions,
                            derivatives=derivatives)
        except AnswerFormatError as err:
            out.append((None, None, str(err), None))
            continue
        if variables is None:
            mapping = dict(mapping or {})
            for name, sym in _free_symbol_map(expr).items():
                mapping.setdefault(name, sym)
        try:
            written, _ = _parse(step, mapping, allow_unknown=True, functions=functions, evaluate=False)
            tex, shape = to_latex(written), _shape(written)
        except Exception:  # noqa: BLE001 - the echo is best effort; the line itself was read
            tex = shape = None
        out.append((expr, tex, None, shape))
    return out


def _compare_lines_impl(previous, current):
    """Compare one line with the one before it (inside the worker)."""
    mapping = _free_symbol_map(previous)
    for name, sym in _free_symbol_map(current).items():
        mapping.setdefault(name, sym)
    try:
        return _compare(current, previous, mapping)
    except (ArithmeticError, ValueError, TypeError, AttributeError, NotImplementedError, RecursionError) as err:
        return Verdict(
            ok=False,
            kind="undefined",
            parsed=current,
            expected=previous,
            message=f"The checker could not evaluate this step ({type(err).__name__}); try writing it another way.",
        )


def _first_line_impl(line, first, variables, functions):
    """Check line 0 against the form it must have (inside the worker): (ok, message, form)."""
    functions = _function_map(functions)
    mapping = _variable_map(variables)
    numer, denom = sympy.fraction(line, exact=True)
    if isinstance(first, QuotientRule):
        form, (f, h, fp, hp) = first.expected_form(mapping, functions)
        names = f"f = {to_text(f)} and h = {to_text(h)}"
        intro = f"Step 0 should be the quotient rule applied to the definition: one fraction (f′·h − f·h′)/h², with {names}. "
        over = _compare(denom, h**2, _free_symbol_map(h))
        if over.kind == "equivalent":
            scale = sympy.Integer(1)
        elif over.kind in ("constant_factor", "sign") and over.factor is not None:
            scale = over.factor
        else:
            return False, intro + "Your step 0 is not one fraction over h² (the denominator squared).", form
        top = _compare(numer, scale * (fp * h - f * hp), _free_symbol_map(form))
        if top.kind == "equivalent":
            return True, "", form
        if top.kind == "sign":
            why = "its numerator has the sign flipped: the quotient rule is f′·h − f·h′, in that order."
        elif top.kind == "constant_factor":
            why = "its numerator is off by a constant factor."
        else:
            why = "the denominator is right, but the numerator is not f′·h − f·h′ (with f′ and h′ the derivatives of f and h)."
        return False, intro + "In your step 0, " + why, form
    form = _as_expr(first, mapping, "first", allow_unknown=True, functions=functions)
    same = _compare(line, form, _free_symbol_map(form))
    if same.kind != "equivalent":
        return False, "Step 0 is not the expression the derivation must start from. " + _step_reason(same).replace("the previous step", "the required start"), form
    _, form_denom = sympy.fraction(form, exact=True)
    if form_denom != 1:
        over = _compare(denom, form_denom, _free_symbol_map(form))
        if over.kind not in ("equivalent", "constant_factor", "sign"):
            return False, (
                "Step 0 has the right value but not the form asked for: write it as the rule gives it "
                "(one fraction with the rule's denominator), and simplify in the next steps."
            ), form
    return True, "", form


def _budget_left(deadline):
    import time

    return deadline - time.monotonic()


def check_derivation(steps, variables=None, titles=None, *, timeout=None, first=None, min_steps=None,
                     functions=None, max_steps=MAX_STEPS, derivatives=None):
    r"""Check a derivation: every step must be equal to the one before it.

    Every line is read first, so the verdict can echo each one as typed (unevaluated) whatever
    happens. Line 0 is then checked against ``first`` (the rule it claims), each later line
    against the line before it; a line equal to the one before up to formatting is not a step:
    it passes, but
    does not count (see :func:`_shape`: ``+ 0``, ``*1``, ``^1``, brackets, the order of terms
    and factors; ``z*z`` for ``z^2`` is a step). After the first line that fails, later lines
    are "not checked yet".

    Parameters
    ----------
    steps : sequence of (str or sympy.Expr)
        The lines of the derivation, first to last (1 to ``max_steps``). A SymPy step may contain
        unevaluated ``Derivative`` objects, which are worked out.
    variables : list of str or sympy.Symbol, optional
        The names the steps may use; ``None`` accepts any name.
    titles : sequence of str, optional
        A justification (LaTeX) for each step, shown when the verdict renders.
    timeout : float, optional
        Seconds for the whole derivation; default :data:`ANSWER_TIME_LIMIT` (2 s). Every
        worker call is also bounded by :data:`~.worker.TIME_LIMIT` unless ``timeout`` is larger.
    first : QuotientRule, str or sympy.Expr, optional
        What line 0 must be: a rule (:func:`quotient_rule`: one fraction
        :math:`(f'h - fh')/h^2`), or an expression line 0 must equal, written over the same
        denominator. ``None``: line 0 is not checked (it is the starting point).
    min_steps : int, optional
        Fewest steps (lines after line 0 that change the expression) the derivation needs.
    functions : dict of {str: str}, optional
        The question's own function names (see :func:`~.parsing.parse_answer`).
    max_steps : int, default MAX_STEPS
        Most lines accepted.
    derivatives : collection of str, optional
        The functions whose derivative a line may write with a prime (``None``: all). Deriving
        tanh′: pass ``derivatives=()``, so no line can be ``tanh′(z)``.

    Returns
    -------
    Verdict
        ``ok`` when every step follows (and line 0 has the form of ``first``, and there are
        ``min_steps`` steps). Otherwise ``failed_step`` is the 0-based index of the first line
        that fails, ``kind`` says how (``'first_step'``, ``'format'``, ``'too_few_steps'``,
        ``'too_many_steps'``, ``'timeout'``, or the kind of the mismatch with the line before),
        and ``message`` says why. ``steps`` holds every readable line as understood,
        ``steps_text`` / ``steps_latex`` each line as typed, ``step_status`` what each line is,
        ``step_count`` how many lines count as steps.

    Raises
    ------
    TypeError
        ``steps`` is not a sequence of strings or SymPy expressions.
    ValueError
        ``steps`` is empty, ``titles`` does not have one entry per step, or ``min_steps`` /
        ``max_steps`` is not a positive integer.

    Examples
    --------
    >>> v = check_derivation(["(1 + exp(-z))^(-1)", "exp(z)/(exp(z) + 1)", "sigmoid(z)"])
    >>> v.ok, v.failed_step, v.step_count
    (True, None, 2)
    >>> v = check_derivation(["(z + 1)^2", "z^2 + 1", "z^2 + 1"])
    >>> v.ok, v.failed_step, v.step_status
    (False, 1, ('start', 'failed', 'not_checked'))
    >>> check_derivation(["z^2", "z^2 + 0", "z*z"], min_steps=2).kind
    'too_few_steps'
    """
    import time

    if isinstance(steps, (str, sympy.Basic)) or not hasattr(steps, "__iter__"):
        raise TypeError(f"steps must be a list of expressions (strings or SymPy), got {type(steps).__name__}")
    steps = list(steps)
    if not steps:
        raise ValueError("steps is empty; a derivation needs at least one expression")
    for i, step in enumerate(steps):
        if not isinstance(step, (str, sympy.Basic, int, float)) or isinstance(step, bool):
            raise TypeError(f"steps[{i}] must be a string or a SymPy expression, got {type(step).__name__}")
    for name, value in (("min_steps", min_steps), ("max_steps", max_steps)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if titles is not None:
        titles = tuple(titles)
        if len(titles) != len(steps):
            raise ValueError(f"titles has {len(titles)} entries but steps has {len(steps)}; one title per step")
    if first is not None and not isinstance(first, (QuotientRule, str, sympy.Basic)):
        raise TypeError(f"first must be a quotient_rule(...), a string or a SymPy expression, got {type(first).__name__}")
    texts = tuple(s if isinstance(s, str) else None for s in steps)
    typed = [t for t in texts if t is not None]
    common = dict(step_titles=titles, steps_text=texts if any(t is not None for t in texts) else None)
    n = len(steps)
    if n > max_steps:
        return Verdict(
            ok=False, kind="too_many_steps", failed_step=max_steps, step_status=("not_checked",) * n,
            message=f"The derivation has {n} lines; at most {max_steps} are checked. Combine some steps.",
            **common,
        )
    limit = ANSWER_TIME_LIMIT if timeout is None else timeout
    per_call = max(worker.TIME_LIMIT, limit) if timeout is not None else worker.TIME_LIMIT
    try:
        worker.ensure_started()  # the one-off start-up is not the learner's time
    except Exception:  # noqa: BLE001 - run() below reports a worker that cannot start
        pass
    deadline = time.monotonic() + limit

    def run(func, args):
        left = min(per_call, deadline - time.monotonic())
        if left <= 0:
            raise worker.WorkerTimeout("the time for this answer is used up")
        return worker.run(__name__, func, args, timeout=left)

    def timed_out(at, status, understood, latex):
        status = list(status)
        for j in range(at, n):
            status[j] = "not_checked" if status[j] != "unreadable" else "unreadable"
        return Verdict(
            ok=False, kind="timeout", failed_step=at, steps=tuple(understood), steps_latex=tuple(latex),
            step_status=tuple(status),
            message=f"Step {at} could not be checked within the {limit:g} s allowed for the whole derivation; simplify it and try again.",
            **common,
        )

    status = ["not_checked"] * n
    try:
        read = run("_read_lines_impl", (steps, variables, functions, derivatives))
    except (worker.WorkerTimeout, worker.WorkerError):
        return timed_out(0, status, [None] * n, [None] * n)
    understood, latex, errors = [], [], []
    shapes = [shape for _, _, _, shape in read]
    for i, (expr, tex, err, _) in enumerate(read):
        # Show a SymPy step as the caller built it (pickling re-evaluates unevaluated forms).
        understood.append(steps[i] if isinstance(steps[i], sympy.Basic) else expr)
        latex.append(tex if tex is not None or not isinstance(steps[i], sympy.Basic) else to_latex(steps[i]))
        errors.append(err)
        if err is not None:
            status[i] = "unreadable"
    parsed = [expr for expr, _, _, _ in read]

    def verdict(ok, kind, message, failed=None, detail=None, form=None):
        extra = {}
        if detail is not None:
            extra = dict(parsed=detail.parsed, expected=detail.expected, factor=detail.factor,
                         constant=detail.constant, variable=detail.variable, point=detail.point)
        v = Verdict(ok=ok, kind=kind, message=message, failed_step=failed, steps=tuple(understood),
                    steps_latex=tuple(latex), step_status=tuple(status),
                    step_count=sum(1 for st in status if st == "follows"), **extra, **common)
        if not ok and form is not None:
            v = _guard(v, form, typed)
        return v

    form = None
    # line 0: the start, checked against the rule it claims
    if errors[0] is not None:
        status[0] = "failed"
        return verdict(False, "format", f"Step 0 could not be read: {errors[0]}.", failed=0)
    if first is not None:
        try:
            fine, why, form = run("_first_line_impl", (parsed[0], first, variables, functions))
        except (worker.WorkerTimeout, worker.WorkerError):
            return timed_out(0, status, understood, latex)
        if not fine:
            status[0] = "failed"
            return verdict(False, "first_step", why, failed=0, form=form)
    status[0] = "start"
    for i in range(1, n):
        if errors[i] is not None:
            status[i] = "failed"
            return verdict(False, "format", f"Step {i} could not be read: {errors[i]}.", failed=i, form=form)
        if texts[i] is not None and shapes[i] is not None and shapes[i] == shapes[i - 1]:
            status[i] = "not_a_step"
            continue
        try:
            detail = run("_compare_lines_impl", (parsed[i - 1], parsed[i]))
        except (worker.WorkerTimeout, worker.WorkerError):
            return timed_out(i, status, understood, latex)
        if not detail.ok:
            status[i] = "failed"
            return verdict(False, detail.kind, f"Step {i} does not follow from step {i - 1}. " + _step_reason(detail),
                           failed=i, detail=detail, form=form)
        status[i] = "follows"
    count = sum(1 for st in status if st == "follows")
    repeats = [i for i, st in enumerate(status) if st == "not_a_step"]
    if min_steps is not None and count < min_steps:
        said = ""
        if repeats:
            lines = ", ".join(str(i) for i in repeats)
            said = (f" Line{'s' if len(repeats) > 1 else ''} {lines} only rewrite{'s' if len(repeats) == 1 else ''} "
                    "the line before (the same expression up to formatting), which is not a step.")
        return verdict(False, "too_few_steps",
                       f"Every line follows, but the derivation has {count} step{'s' if count != 1 else ''}; "
                       f"it needs at least {min_steps}.{said}", failed=n - 1, form=form)
    note = f" (line{'s' if len(repeats) > 1 else ''} {', '.join(map(str, repeats))} only rewrote the line before: not counted)" if repeats else ""
    return verdict(True, "equivalent", f"Every step follows from the one before ({count} step{'s' if count != 1 else ''} checked{note}).")


def _step_reason(detail):
    """Reword an answer-vs-expected message as step-vs-previous-step."""
    message = detail.message
    message = message.replace("the expected answer", "the previous step").replace("the expected one", "the previous step")
    message = message.replace("your answer", "this step").replace("Your answer", "This step")
    return message
