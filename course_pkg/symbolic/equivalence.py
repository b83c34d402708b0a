r"""Is the learner's answer equivalent to the expected one, and if not, how is it wrong?

:func:`equivalent` decides by high-precision evaluation (mpmath, :data:`~.numeric.DPS` digits) at
:data:`N_POINTS` random points with mixed signs, away from kinks and singularities; SymPy's
automatic simplification confirms the easy cases at once (when ``answer - expected`` is already
``0``). Two expressions that agree to 20 significant digits at ten random points are, for the
expressions of this course, the same function; a wrong answer disagrees almost everywhere.

When the answer is wrong the same numbers tell how: a constant ratio (off by a factor, or the sign
flipped), a constant difference, a variable the expected answer does not have, or a ratio equal to
one of the expected answer's factors (a missing factor, such as :math:`\sigma'(z)` or the inner
derivative of the chain rule).

Every check runs in a worker process with a hard time limit (:data:`~.worker.TIME_LIMIT`), so no
input can hang the caller; a malformed answer is a Verdict, never an exception.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

import mpmath
import sympy
from sympy.core.function import AppliedUndef

from . import worker
from .numeric import DPS, BadPoint, evaluate, instantiate_functions, sample_points
from .parsing import AnswerFormatError, _parse, _variable_map
from .verdict import Verdict, to_text

__all__ = ["equivalent", "check_derivation", "N_POINTS", "REL_TOL"]

#: Valid sample points required for a verdict.
N_POINTS = 10
#: Candidate points tried at most (points on kinks or singularities are dropped).
MAX_TRIES = 60
#: Relative tolerance of a numerical comparison at DPS = 40 digits.
REL_TOL = mpmath.mpf(10) ** -20
#: Two values both smaller than this are equal (guards against cancellation noise near zero).
ABS_TINY = mpmath.mpf(10) ** -25
#: Points closer than this to a kink are dropped.
KINK_MARGIN = mpmath.mpf(10) ** -6
#: Largest denominator when naming a constant factor or an additive constant as a fraction.
MAX_DENOMINATOR = 1000
#: Seed of the sample points.
SEED = 20240611


# ------------------------------------------------------------------------------------------------
# Preparation: from (str | Expr) to comparable expressions with matching symbols
# ------------------------------------------------------------------------------------------------


def _free_symbol_map(expr):
    return {s.name: s for s in expr.free_symbols if isinstance(s, sympy.Symbol)}


def _as_expr(value, mapping, argname, allow_unknown=True):
    """Parse a string, or accept a SymPy expression (renaming symbols to those of `mapping`)."""
    if isinstance(value, str):
        expr, _ = _parse(value, mapping, allow_unknown=allow_unknown, argname=argname)
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


def _prepare_expected(expected, variables):
    mapping = _variable_map(variables)
    try:
        expr = _as_expr(expected, mapping, "expected", allow_unknown=mapping is None)
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


def _values(exprs, symbols):
    """Evaluate every expression at the same random points; return (points, rows of values)."""
    points, rows = [], []
    for point in sample_points(symbols, MAX_TRIES, seed=SEED):
        try:
            row = []
            for e in exprs:
                value, kink = evaluate(e, point)
                if kink < KINK_MARGIN:
                    raise BadPoint("on a kink")
                row.append(value)
        except BadPoint:
            continue
        points.append(point)
        rows.append(row)
        if len(points) >= (N_POINTS if symbols else 1):
            break
    return points, rows


def _constant(values):
    """The common value of a list of mp numbers if they are all equal, else None."""
    first = values[0]
    if all(_close(v, first) for v in values[1:]):
        return first
    return None


def _nice_number(value):
    """A SymPy number for an mp value: a small fraction when it is one, else a 4-digit float."""
    if isinstance(value, mpmath.mpc):
        if abs(value.imag) > REL_TOL * max(1, abs(value.real)):
            return sympy.Float(float(value.real), 4) + sympy.I * sympy.Float(float(value.imag), 4)
        value = value.real
    frac = Fraction(str(mpmath.nstr(value, DPS - 5, strip_zeros=False))).limit_denominator(MAX_DENOMINATOR)
    if _close(mpmath.mpf(frac.numerator) / frac.denominator, value):
        return sympy.Rational(frac.numerator, frac.denominator)
    return sympy.Float(float(value), 4)


def _point_text(point):
    return ", ".join(f"{s.name} = {float(v):.3g}" for s, v in sorted(point.items(), key=lambda kv: kv[0].name))


def _describe_factor(factor):
    if factor.is_Rational and factor.q == 1:
        return f"{factor}"
    return to_text(factor)


# ------------------------------------------------------------------------------------------------
# Feedback: how is it wrong?
# ------------------------------------------------------------------------------------------------


def _factor_candidates(expected, symbols):
    """Factors whose omission is a classic slip: multiplicative factors and inner derivatives."""
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


def _matching_factor(ratios, candidates, points):
    for cand in candidates:
        ok = True
        for point, ratio in zip(points, ratios):
            try:
                value, _ = evaluate(cand, point)
            except BadPoint:
                ok = False
                break
            if not _close(value, ratio):
                ok = False
                break
        if ok:
            return cand
    return None


def _diagnose(answer, expected, points, rows, mapping):
    """Return a Verdict for an answer that disagrees with the expected one."""
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

    if all(abs(e) > ABS_TINY for e in e_vals):
        ratio = _constant([a / e for a, e in zip(a_vals, e_vals)])
        if ratio is not None and abs(ratio) > ABS_TINY:
            factor = _nice_number(ratio)
            if factor == -1:
                return Verdict(
                    ok=False,
                    kind="sign",
                    factor=factor,
                    message=(
                        "The sign is flipped: your answer is exactly minus the expected one. "
                        "Look for a lost minus sign (the derivative of e^(−z) is −e^(−z))."
                    ),
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
                    f"Off by an additive constant: your answer is the expected one plus "
                    f"{_describe_factor(constant)}. The shape is right; check a constant term."
                ),
                **base,
            )
        symbols = sorted(expected.free_symbols, key=lambda s: s.name)
        if all(abs(a) > ABS_TINY for a in a_vals):
            missing = _matching_factor([e / a for a, e in zip(a_vals, e_vals)], _factor_candidates(expected, symbols), points)
            if missing is not None:
                return Verdict(
                    ok=False,
                    kind="missing_factor",
                    factor=missing,
                    message=(
                        f"A factor is missing: your answer times {to_text(missing)} would be right. "
                        "In the chain rule every link contributes a factor; did one get lost?"
                    ),
                    **base,
                )
        if all(abs(e) > ABS_TINY for e in e_vals):
            surplus = _matching_factor([a / e for a, e in zip(a_vals, e_vals)], _factor_candidates(answer, symbols), points)
            if surplus is not None:
                return Verdict(
                    ok=False,
                    kind="extra_factor",
                    factor=surplus,
                    message=(
                        f"One factor too many: your answer divided by {to_text(surplus)} would be right."
                    ),
                    **base,
                )
    point = next(iter(points)) if points else {}
    a0, e0 = a_vals[0], e_vals[0]
    where = f" at {_point_text(point)}" if point else ""
    return Verdict(
        ok=False,
        kind="wrong",
        point={s.name: float(v) for s, v in point.items()},
        message=(
            f"Not equivalent: the two differ{where} (your answer gives {mpmath.nstr(a0, 6)}, "
            f"the expected answer {mpmath.nstr(e0, 6)})."
        ),
        **base,
    )


def _compare(answer, expected, mapping):
    """Compare two prepared expressions; return a Verdict (runs inside the worker)."""
    with mpmath.workdps(DPS):
        return _compare_at_precision(answer, expected, mapping)


def _compare_at_precision(answer, expected, mapping):
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
    points, rows = _values([concrete_answer, concrete_expected], symbols)
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
        return Verdict(ok=True, kind="equivalent", message="Correct: your answer is equivalent to the expected one.", **base)
    return _relabel(_diagnose(concrete_answer, concrete_expected, points, rows, mapping), answer, expected)


def _exact_difference(answer, expected, difference):
    base = dict(parsed=answer, expected=expected)
    if answer.free_symbols or expected.free_symbols:
        return Verdict(
            ok=False,
            kind="additive_constant",
            constant=difference,
            message=(
                f"Off by an additive constant: your answer is the expected one plus "
                f"{_describe_factor(difference)}. The shape is right; check a constant term."
            ),
            **base,
        )
    ratio = answer / expected if expected != 0 else None
    if ratio == -1:
        return Verdict(ok=False, kind="sign", factor=ratio, message="The sign is flipped: your answer is exactly minus the expected one.", **base)
    if ratio is not None and ratio.is_Rational and ratio.q <= MAX_DENOMINATOR and abs(ratio.p) <= 10**6:
        return Verdict(
            ok=False,
            kind="constant_factor",
            factor=ratio,
            message=f"Off by a factor of {_describe_factor(ratio)}: your answer is {_describe_factor(ratio)} times the expected one.",
            **base,
        )
    return Verdict(ok=False, kind="wrong", message=f"Not equivalent: your answer differs from the expected one by {to_text(difference)}.", **base)


def _relabel(verdict, answer, expected):
    """Put the learner's own expressions (not their instantiated copies) back into a verdict."""
    fields = {k: getattr(verdict, k) for k in verdict.__dataclass_fields__}
    fields["parsed"] = answer
    fields["expected"] = expected
    return Verdict(**fields)


def _equivalent_impl(answer, expected, variables):
    """Everything :func:`equivalent` does, run inside the worker process."""
    expected_expr, mapping = _prepare_expected(expected, variables)
    text = answer if isinstance(answer, str) else None
    try:
        answer_expr = _as_expr(answer, mapping, "answer", allow_unknown=variables is None)
    except AnswerFormatError as err:
        return Verdict(ok=False, kind="format", message=f"Could not read your answer: {err}.", answer_text=text, expected=expected_expr)
    try:
        verdict = _compare(answer_expr, expected_expr, mapping)
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
        verdict = Verdict(**fields)
    return verdict


def _check_types(answer, expected):
    for name, value in (("answer", answer), ("expected", expected)):
        if not isinstance(value, (str, sympy.Basic, int, float)) or isinstance(value, bool):
            raise TypeError(f"{name} must be a string or a SymPy expression, got {type(value).__name__}")


def equivalent(answer, expected, variables=None, *, timeout=None):
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
        return worker.run(__name__, "_equivalent_impl", (answer, expected, variables), timeout=limit)
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


def _derivation_step_impl(previous, current, variables):
    """Parse and compare one step of a derivation with the previous one (inside the worker)."""
    mapping = _variable_map(variables)
    parsed = []
    for index, step in enumerate((previous, current)):
        if step is None:
            parsed.append(None)
            continue
        try:
            expr = _as_expr(step, mapping, "steps", allow_unknown=variables is None)
        except AnswerFormatError as err:
            return ("format", index, str(err), parsed)
        if mapping is None:
            mapping = _free_symbol_map(expr)
        else:
            for name, sym in _free_symbol_map(expr).items():
                mapping.setdefault(name, sym)
        parsed.append(expr)
    if parsed[0] is None:
        return ("ok", None, None, parsed)
    try:
        verdict = _compare(parsed[1], parsed[0], mapping)
    except (ArithmeticError, ValueError, TypeError, AttributeError, NotImplementedError, RecursionError) as err:
        verdict = Verdict(
            ok=False,
            kind="undefined",
            parsed=parsed[1],
            expected=parsed[0],
            message=f"The checker could not evaluate this step ({type(err).__name__}: {str(err)[:80]}).",
        )
    return ("compare", None, verdict, parsed)


def check_derivation(steps, variables=None, titles=None, *, timeout=None):
    r"""Check a derivation: every step must be equal to the one before it.

    Parameters
    ----------
    steps : sequence of (str or sympy.Expr)
        The lines of the derivation, first to last (at least one). A SymPy step may contain
        unevaluated ``Derivative`` objects, which are worked out.
    variables : list of str or sympy.Symbol, optional
        The names the steps may use; ``None`` accepts any name.
    titles : sequence of str, optional
        A justification (LaTeX) for each step, shown when the verdict renders.
    timeout : float, optional
        Seconds allowed per step; default :data:`~.worker.TIME_LIMIT` (2 s).

    Returns
    -------
    Verdict
        ``ok`` when every step follows; otherwise ``failed_step`` is the 0-based index of the first
        step that does not follow from the previous one (or cannot be read) and ``message`` says
        why. ``steps`` holds every step as understood. Each step has its own 2 s bound.

    Raises
    ------
    TypeError
        ``steps`` is not a sequence of strings or SymPy expressions.
    ValueError
        ``steps`` is empty, or ``titles`` does not have one entry per step.

    Examples
    --------
    >>> v = check_derivation(["(1 + exp(-z))^(-1)", "exp(z)/(exp(z) + 1)", "sigmoid(z)"])
    >>> v.ok, v.failed_step
    (True, None)
    >>> v = check_derivation(["(z + 1)^2", "z^2 + 1", "z^2 + 1"])
    >>> v.ok, v.failed_step
    (False, 1)
    """
    if isinstance(steps, (str, sympy.Basic)) or not hasattr(steps, "__iter__"):
        raise TypeError(f"steps must be a list of expressions (strings or SymPy), got {type(steps).__name__}")
    steps = list(steps)
    if not steps:
        raise ValueError("steps is empty; a derivation needs at least one expression")
    for i, step in enumerate(steps):
        if not isinstance(step, (str, sympy.Basic, int, float)) or isinstance(step, bool):
            raise TypeError(f"steps[{i}] must be a string or a SymPy expression, got {type(step).__name__}")
    if titles is not None:
        titles = tuple(titles)
        if len(titles) != len(steps):
            raise ValueError(f"titles has {len(titles)} entries but steps has {len(steps)}; one title per step")
    limit = worker.TIME_LIMIT if timeout is None else timeout
    understood = [None] * len(steps)
    common = dict(step_titles=titles)
    for i in range(len(steps)):
        previous = steps[i - 1] if i > 0 else None
        try:
            status, index, detail, parsed = worker.run(
                __name__, "_derivation_step_impl", (previous, steps[i], variables), timeout=limit
            )
        except (worker.WorkerTimeout, worker.WorkerError):
            return Verdict(
                ok=False,
                kind="timeout",
                failed_step=i,
                steps=tuple(understood),
                message=f"Step {i} could not be checked within {limit:g} s; simplify it and try again.",
                **common,
            )
        if status == "format":
            failing = i - 1 if index == 0 else i
            return Verdict(
                ok=False,
                kind="format",
                failed_step=failing,
                steps=tuple(understood),
                message=f"Step {failing} could not be read: {detail}.",
                **common,
            )
        if i > 0 and understood[i - 1] is None:
            understood[i - 1] = parsed[0]
        # Show a SymPy step as the caller built it (pickling re-evaluates unevaluated forms).
        understood[i] = steps[i] if isinstance(steps[i], sympy.Basic) else parsed[-1]
        if status == "compare" and not detail.ok:
            how = detail.message
            if detail.kind == "equivalent":  # pragma: no cover - not reachable: ok is False
                how = ""
            return Verdict(
                ok=False,
                kind=detail.kind,
                failed_step=i,
                steps=tuple(understood),
                parsed=detail.parsed,
                expected=detail.expected,
                factor=detail.factor,
                constant=detail.constant,
                variable=detail.variable,
                point=detail.point,
                message=f"Step {i} does not follow from step {i - 1}. " + _step_reason(detail),
                **common,
            )
    return Verdict(
        ok=True,
        kind="equivalent",
        steps=tuple(understood),
        parsed=understood[-1],
        message=f"Every step follows from the one before ({len(steps)} steps checked).",
        **common,
    )


def _step_reason(detail):
    """Reword an answer-vs-expected message as step-vs-previous-step."""
    message = detail.message
    message = message.replace("the expected answer", "the previous step").replace("the expected one", "the previous step")
    message = message.replace("your answer", "this step").replace("Your answer", "This step")
    return message
