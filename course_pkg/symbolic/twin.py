r"""The numeric twin of a typed answer: its values at given points, computed in the worker.

A hidden test may check a typed formula independently of the symbolic comparison: evaluate it
where the course knows the true value (a finite difference of the function, a network's
gradient) and compare. :func:`evaluate_answer` does the evaluation the same safe way as every
other check: the text is read by the whitelist parser (never executed) and evaluated with
mpmath in the worker process, within :data:`~.worker.TIME_LIMIT`, so no answer can hang a
hidden test either. ``Heaviside(0)`` is 0 (the course's convention :math:`g'(0) = 0`).

Examples
--------
>>> evaluate_answer("2*x*cos(x^2)", [{"x": 0.5}, {"x": -1.0}], variables=["x"])
(0.9689124217106447, -1.0806046117362795)
>>> evaluate_answer("Heaviside(z)", [{"z": 0.0}])
(0.0,)
"""

from __future__ import annotations

import math

import mpmath
import sympy

from . import worker
from .numeric import DPS, BadPoint, evaluate
from .parsing import _derivative_names, _function_map, _parse, _variable_map

__all__ = ["evaluate_answer", "MAX_TWIN_POINTS"]

#: Most points one call evaluates.
MAX_TWIN_POINTS = 200


def _evaluate_impl(answer, points, variables, functions, substitutions, derivatives=None):
    """Parse and evaluate (inside the worker)."""
    mapping = _variable_map(variables)
    functions = _function_map(functions)
    expr, _ = _parse(answer, mapping, allow_unknown=variables is None, argname="answer", functions=functions,
                     derivatives=_derivative_names(derivatives))
    if substitutions:
        symbols = {s.name: s for s in expr.free_symbols if isinstance(s, sympy.Symbol)}
        swap = {}
        for name, text in substitutions.items():
            if name in symbols:
                swap[symbols[name]], _ = _parse(text, mapping, allow_unknown=True, argname="substitutions", functions=functions)
        expr = expr.xreplace(swap)
    symbols = sorted((s for s in expr.free_symbols if isinstance(s, sympy.Symbol)), key=lambda s: s.name)
    values = []
    with mpmath.workdps(DPS):
        for point in points:
            missing = [s.name for s in symbols if s.name not in point]
            if missing:
                raise ValueError(f"points: a point has no value for {', '.join(missing)}; got names {sorted(point)}")
            env = {s: mpmath.mpf(point[s.name]) for s in symbols}
            try:
                value, _ = evaluate(expr, env)
            except BadPoint:
                values.append(None)
                continue
            if isinstance(value, mpmath.mpc):
                if abs(value.imag) > mpmath.mpf(10) ** (-(DPS - 5)) * max(1, abs(value.real)):
                    values.append(None)
                    continue
                value = value.real
            values.append(float(value))
    return tuple(values)


def evaluate_answer(answer, points, variables=None, *, functions=None, substitutions=None, timeout=None,
                    derivatives=None):
    r"""The values of a typed answer at given points (None where it is undefined or complex).

    Parameters
    ----------
    answer : str
        The answer as typed.
    points : sequence of dict of {str: float}
        Each point gives a value to every name the answer uses (after ``substitutions``); at
        most :data:`MAX_TWIN_POINTS`.
    variables : list of str, optional
        The names the answer may use (``θ3`` and ``ŷ`` are read as ``theta3`` and ``y_hat``).
    functions : dict of {str: str}, optional
        The question's own function names, e.g. ``{"g": "relu"}``.
    substitutions : dict of {str: str}, optional
        Names to replace by formulas before evaluating, e.g. ``{"y_hat": "sigmoid(z3)"}``.
    timeout : float, optional
        Seconds allowed; default :data:`~.worker.TIME_LIMIT`.
    derivatives : collection of str, optional
        The functions whose derivative may be written with a prime (see
        :func:`~.parsing.parse_answer`).

    Returns
    -------
    tuple of (float or None)
        One value per point.

    Raises
    ------
    AnswerFormatError
        The answer cannot be read (the message says why).
    TimeoutError
        The evaluation took longer than ``timeout`` (:class:`~.worker.WorkerTimeout`).
    TypeError, ValueError
        ``answer`` is not a string, ``points`` is not a list of dicts of numbers, a point lacks
        a name, or there are too many points.

    Examples
    --------
    >>> evaluate_answer("ŷ*(1 - ŷ)", [{"z3": 0.0}], variables=["y_hat", "z3"],
    ...                 substitutions={"y_hat": "sigmoid(z3)"})
    (0.25,)
    """
    if not isinstance(answer, str):
        raise TypeError(f"answer must be a string (the answer as typed), got {type(answer).__name__}")
    if isinstance(points, dict) or not hasattr(points, "__iter__"):
        raise TypeError(f"points must be a list of dicts (name -> number), got {type(points).__name__}")
    points = [dict(p) if isinstance(p, dict) else p for p in points]
    if len(points) > MAX_TWIN_POINTS:
        raise ValueError(f"points has {len(points)} entries; at most {MAX_TWIN_POINTS} are evaluated at once")
    for i, point in enumerate(points):
        if not isinstance(point, dict):
            raise TypeError(f"points[{i}] must be a dict (name -> number), got {type(point).__name__}")
        for name, value in point.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"points[{i}][{name!r}] must be a finite number, got {value!r}")
        points[i] = {str(k): float(v) for k, v in point.items()}
    if substitutions is not None and not (
        isinstance(substitutions, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in substitutions.items())
    ):
        raise TypeError(f"substitutions must be a dict of names to formulas (str -> str), got {substitutions!r}")
    limit = worker.TIME_LIMIT if timeout is None else timeout
    return worker.run(__name__, "_evaluate_impl", (answer, points, variables, functions, substitutions, derivatives),
                      timeout=limit)
