r"""Gradient checking: compare an analytic gradient with finite differences.

* :func:`numerical_gradient` estimates :math:`\nabla f` of any scalar function of an array by
  central differences, entry by entry.
* :func:`relative_error` compares two gradients entry by entry, safely at zero.
* :func:`check_gradients` checks a whole network's gradient function (with the signature of
  :func:`course_pkg.network.gradients`) against finite differences of the reference cost, over
  every entry of every weight matrix and bias vector, and reports the worst entry.

Kinks. ReLU is not differentiable at 0. When a finite-difference step moves some hidden
weighted input :math:`z` across 0, the difference quotient mixes the two slopes and disagrees
with any analytic gradient, though nothing is wrong. :func:`check_gradients` therefore records,
for every point of the stencil, which hidden ReLU inputs are positive; an entry whose stencil
changes that pattern *crosses a kink* (a weighted input exactly at 0 counts: the stencil is
symmetric, so one of its sides makes it positive): it is skipped, counted and
listed in the report instead of being compared. This test is exact (no threshold to tune): a
stencil that does not change the pattern stays on one linear piece of every ReLU, where the cost
is smooth.
"""

from dataclasses import dataclass, field

import numpy as np

from course_pkg._validation import as_float_array, check_layers, check_X, check_Y
from course_pkg.network import (
    _check_names,
    _check_predictions,
    _check_targets,
    _cost,
    _forward,
)

__all__ = [
    "DEFAULT_EPS",
    "DEFAULT_TOL",
    "DEFAULT_FLOOR",
    "COST_TOL",
    "numerical_gradient",
    "relative_error",
    "WorstEntry",
    "GradCheckReport",
    "check_gradients",
]

#: Default steps of :func:`numerical_gradient` by order: the step that balances truncation error
#: (:math:`O(h^2)` or :math:`O(h^4)`) against rounding error (:math:`O(\epsilon_{mach}/h)`).
DEFAULT_EPS = {2: 1e-6, 4: 3e-4}
#: Largest relative error :func:`check_gradients` accepts.
DEFAULT_TOL = 1e-7
#: Gradient entries smaller than ``DEFAULT_FLOOR * max(1, |C|)`` (in both gradients) are compared
#: on that absolute scale: finite differences carry a rounding error of about
#: 1e-12 * max(1, |C|), which would swamp the relative error of an entry that is itself tiny.
DEFAULT_FLOOR = 1e-4
#: Largest relative difference accepted between the cost returned and the reference cost.
COST_TOL = 1e-9

_STENCILS = {
    # order: (offsets in units of h, weights, denominator in units of h)
    2: ((1.0, -1.0), (1.0, -1.0), 2.0),
    4: ((2.0, 1.0, -1.0, -2.0), (-1.0, 8.0, -8.0, 1.0), 12.0),
}


def _check_order_eps(order, eps):
    if order not in _STENCILS:
        raise ValueError(f"order={order!r} is not one of 2, 4 (the accuracy order of the stencil)")
    if eps is None:
        return DEFAULT_EPS[order]
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating)):
        raise TypeError(f"eps must be a positive number (the finite-difference step); got {eps!r}")
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a positive finite number (the finite-difference step); got {eps!r}")
    return float(eps)


def _scalar(value, what):
    try:
        out = float(np.asarray(value, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        raise TypeError(f"{what} must return one number (a scalar cost); got {value!r}") from None
    return out


def numerical_gradient(f, x, eps=None, order=2):
    r"""Estimate the gradient of a scalar function ``f`` at ``x`` by central differences.

    Order 2 (the classic central difference):

    .. math:: \frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}
              \qquad (\text{error } O(h^2))

    Order 4 (five-point stencil):

    .. math:: \frac{\partial f}{\partial x_i} \approx
              \frac{-f(x + 2h e_i) + 8 f(x + h e_i) - 8 f(x - h e_i) + f(x - 2h e_i)}{12h}
              \qquad (\text{error } O(h^4))

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a number; it receives an array of the shape of ``x``.
    x : array_like of any shape
        The point; finite. Not modified (``f`` is called on a copy).
    eps : float, optional
        The step :math:`h`; by default :data:`DEFAULT_EPS` for the order (1e-6 or 3e-4).
    order : {2, 4}, default 2

    Returns
    -------
    ndarray of the shape of x (a float for a scalar x)

    Examples
    --------
    >>> import numpy as np
    >>> g = numerical_gradient(lambda v: np.sum(v ** 3), np.array([1.0, 2.0]))
    >>> np.round(g, 6)
    array([ 3., 12.])
    >>> round(numerical_gradient(np.sin, 0.0, order=4), 12)
    1.0
    """
    if not callable(f):
        raise TypeError(f"f must be a function of x returning a number; got {type(f).__name__}")
    h = _check_order_eps(order, eps)
    x = as_float_array(x, "x")
    offsets, weights, denominator = _STENCILS[order]
    point = x.copy()
    flat = point.reshape(-1)  # a view: writing into it moves the point f sees
    grad = np.empty(x.size)
    for i in range(x.size):
        original = flat[i]
        total = 0.0
        for offset, weight in zip(offsets, weights):
            flat[i] = original + offset * h
            total += weight * _scalar(f(point), "f")
        flat[i] = original
        grad[i] = total / (denominator * h)
    grad = grad.reshape(x.shape)
    return float(grad) if grad.ndim == 0 else grad


def relative_error(a, b, floor=0.0):
    r"""Entry-wise relative error of two gradients, safe at zero.

    .. math:: r = \frac{|a - b|}{\max(|a|, |b|, \text{floor})}, \qquad r = 0 \text{ where } a = b

    So :math:`r \le 1` whenever ``a`` and ``b`` have the same sign, :math:`r = 0` when both are
    0, and with ``floor > 0`` entries smaller than ``floor`` are compared on that absolute scale.

    Parameters
    ----------
    a, b : float or array_like of the same shape
    floor : float, default 0.0
        Non-negative lower bound of the denominator.

    Returns
    -------
    float or ndarray of the shape of a

    Examples
    --------
    >>> relative_error(1.0, 1.1)
    0.09090909090909098
    >>> relative_error([0.0, 0.0, 1e-12], [0.0, 1.0, 2e-12], floor=1e-6)
    array([0.e+00, 1.e+00, 1.e-06])
    """
    a = as_float_array(a, "a")
    b = as_float_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a has shape {a.shape} but b has shape {b.shape}; expected the same shape")
    floor = float(as_float_array(floor, "floor", ndim=0))
    if floor < 0:
        raise ValueError(f"floor must be >= 0; got {floor!r}")
    diff = np.abs(a - b)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    out = np.divide(diff, scale, out=np.zeros(diff.shape), where=diff > 0)
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class WorstEntry:
    """The entry of the gradient that disagrees most with finite differences.

    Attributes
    ----------
    parameter : str
        E.g. ``'weights[1]'`` or ``'biases[0]'``.
    index : tuple of int
        The entry's index in that array.
    analytic : float
        What the gradient function returned.
    numeric : float
        The finite-difference estimate.
    relative_error : float
        As in :func:`relative_error`.
    """

    parameter: str
    index: tuple
    analytic: float
    numeric: float
    relative_error: float

    def __str__(self):
        return (
            f"{self.parameter}[{', '.join(map(str, self.index))}]: analytic {self.analytic:.10g}, "
            f"numeric {self.numeric:.10g}, relative error {self.relative_error:.3g}"
        )


@dataclass(frozen=True)
class GradCheckReport:
    """The outcome of :func:`check_gradients`.

    Attributes
    ----------
    passed : bool
        True when every compared entry's relative error is at most ``tol`` and the returned cost
        matches the reference cost.
    worst : WorstEntry or None
        The compared entry with the largest relative error (None if no entry was compared).
    tol : float
    n_checked : int
        Entries compared.
    skipped : tuple of (str, tuple)
        Entries not compared because their finite-difference stencil crosses a ReLU kink.
    cost : float
        The cost the gradient function returned.
    reference_cost : float
        The cost computed by :mod:`course_pkg.network`.
    errors : dict
        Parameter name -> array of relative errors (NaN for skipped entries).
    """

    passed: bool
    worst: object
    tol: float
    n_checked: int
    skipped: tuple
    cost: float
    reference_cost: float
    errors: dict = field(repr=False)

    @property
    def cost_ok(self):
        """Whether the returned cost matches the reference cost (relative :data:`COST_TOL`)."""
        return _cost_ok(self.cost, self.reference_cost)

    def __str__(self):
        verdict = "PASSED" if self.passed else "FAILED"
        lines = [f"Gradient check {verdict} (tolerance {self.tol:.0e} on the relative error)"]
        if self.worst is None:
            lines.append("  no entry compared")
        else:
            lines.append(f"  worst entry: {self.worst}")
        lines.append(f"  entries compared: {self.n_checked}")
        if self.skipped:
            shown = ", ".join(f"{p}[{', '.join(map(str, i))}]" for p, i in self.skipped[:5])
            more = f" and {len(self.skipped) - 5} more" if len(self.skipped) > 5 else ""
            lines.append(
                f"  skipped {len(self.skipped)} entries whose finite-difference step crosses a "
                f"ReLU kink: {shown}{more}"
            )
        if not self.cost_ok:
            lines.append(
                f"  cost: returned {self.cost!r} but the reference cost is {self.reference_cost!r}"
            )
        return "\n".join(lines)


def _cost_ok(cost, reference_cost):
    return abs(cost - reference_cost) <= COST_TOL * max(1.0, abs(reference_cost))


def _copy_params(arrays):
    return [a.copy() for a in arrays]


def _check_returned(result, Ws, bs):
    """Validate what a gradient function returned: (cost, dweights, dbiases) of the right shapes."""
    if not isinstance(result, tuple) or len(result) != 3:
        raise TypeError(
            "grad_fn must return a tuple (cost, dweights, dbiases); got "
            f"{type(result).__name__}{'' if not isinstance(result, tuple) else f' of length {len(result)}'}"
        )
    cost, dWs, dbs = result
    cost = _scalar(cost, "grad_fn")
    for name, grads, params in (("dweights", dWs, Ws), ("dbiases", dbs, bs)):
        if not isinstance(grads, (list, tuple)) or len(grads) != len(params):
            raise TypeError(
                f"grad_fn returned {name} as {type(grads).__name__}; expected a list of "
                f"{len(params)} arrays, one per layer"
            )
    dWs = [as_float_array(d, f"dweights[{l}]") for l, d in enumerate(dWs)]
    dbs = [as_float_array(d, f"dbiases[{l}]") for l, d in enumerate(dbs)]
    for kind, grads, params in (("weights", dWs, Ws), ("biases", dbs, bs)):
        for l, (g, p) in enumerate(zip(grads, params)):
            if g.shape != p.shape:
                hint = " (transposed?)" if g.shape == p.shape[::-1] else ""
                raise ValueError(
                    f"grad_fn returned d{kind}[{l}] of shape {g.shape} but {kind}[{l}] has shape "
                    f"{p.shape}{hint}; a gradient has the shape of its parameter"
                )
    return cost, dWs, dbs


def check_gradients(
    grad_fn,
    weights,
    biases,
    X,
    Y,
    hidden="relu",
    output="sigmoid",
    loss="half_squared_error",
    *,
    eps=None,
    tol=DEFAULT_TOL,
    floor=DEFAULT_FLOOR,
):
    r"""Check a network gradient function against finite differences, over every parameter.

    ``grad_fn(weights, biases, X, Y, hidden=..., output=..., loss=...)`` must return
    ``(cost, dweights, dbiases)`` as :func:`course_pkg.network.gradients` does. Every entry of
    every ``dweights[l]`` and ``dbiases[l]`` is compared with the five-point central difference
    (:func:`numerical_gradient` with ``order=4``) of the reference cost
    :math:`C = \frac1m \sum_x c_x` computed by :mod:`course_pkg.network`:

    .. math:: r = \frac{|g_{\text{analytic}} - g_{\text{numeric}}|}
                       {\max(|g_{\text{analytic}}|, |g_{\text{numeric}}|,
                              \text{floor} \cdot \max(1, |C|))} \le \text{tol}

    The floor scales with the cost because the rounding error of a difference quotient does:
    it keeps tiny entries, which finite differences cannot resolve relatively, from failing.

    Entries whose stencil crosses a ReLU kink are skipped and listed (see the module notes).
    ``grad_fn`` receives copies, so a function that writes into its inputs cannot spoil the check.

    Parameters
    ----------
    grad_fn : callable
        The gradient function under test.
    weights, biases, X, Y, hidden, output, loss
        The network and batch, as in :func:`course_pkg.network.gradients`.
    eps : float, optional
        Finite-difference step; default ``DEFAULT_EPS[4]`` (3e-4).
    tol : float, default DEFAULT_TOL (1e-7)
    floor : float, default DEFAULT_FLOOR (1e-4)
        Multiplied by max(1, |C|), the floor of :func:`relative_error`.

    Returns
    -------
    GradCheckReport
        ``passed``, the ``worst`` entry, the counts; ``print(report)`` explains it.

    Examples
    --------
    >>> import numpy as np
    >>> from course_pkg.network import gradients, init_network
    >>> weights, biases = init_network([2, 3, 1], seed=0, hidden="tanh")
    >>> X = np.array([[0.5, -1.0], [1.5, 0.25]]); Y = np.array([[1.0], [0.0]])
    >>> check_gradients(gradients, weights, biases, X, Y, hidden="tanh").passed
    True
    >>> def forgot_one_over_m(*args, **kwargs):
    ...     cost, dW, db = gradients(*args, **kwargs)
    ...     return cost, [2 * d for d in dW], [2 * d for d in db]
    >>> report = check_gradients(forgot_one_over_m, weights, biases, X, Y, hidden="tanh")
    >>> report.passed, round(report.worst.relative_error, 3)
    (False, 0.5)
    """
    if not callable(grad_fn):
        raise TypeError(f"grad_fn must be a function like course_pkg.network.gradients; got {type(grad_fn).__name__}")
    _check_names(hidden, output, loss)
    h = _check_order_eps(4, eps)
    tol = float(as_float_array(tol, "tol", ndim=0))
    if tol <= 0:
        raise ValueError(f"tol must be positive; got {tol!r}")
    Ws, bs = check_layers(weights, biases)
    X = check_X(X, Ws)
    Y = check_Y(Y, X, Ws)
    _check_targets(Y, output, loss)
    base = _forward(Ws, bs, X, hidden, output)
    _check_predictions(base.As[-1], output, loss)
    reference_cost = _cost(base, Y, output, loss)
    floor = float(as_float_array(floor, "floor", ndim=0)) * max(1.0, abs(reference_cost))

    result = grad_fn(
        _copy_params(Ws), _copy_params(bs), X.copy(), Y.copy(), hidden=hidden, output=output, loss=loss
    )
    cost, dWs, dbs = _check_returned(result, Ws, bs)

    watch_kinks = hidden == "relu" and len(Ws) > 1

    def pattern(cache):
        return [Z > 0 for Z in cache.Zs[:-1]]

    base_pattern = pattern(base) if watch_kinks else None
    offsets, stencil_weights, denominator = _STENCILS[4]

    params = [(f"weights[{l}]", Ws, l, dWs[l]) for l in range(len(Ws))]
    params += [(f"biases[{l}]", bs, l, dbs[l]) for l in range(len(bs))]
    worst, n_checked, skipped, errors = None, 0, [], {}
    for name, group, l, analytic in params:
        perturbed = list(group)
        point = group[l].copy()
        perturbed[l] = point
        flat = point.reshape(-1)
        rel = np.full(point.shape, np.nan)
        for i in range(point.size):
            original = flat[i]
            total, crosses = 0.0, False
            for offset, weight in zip(offsets, stencil_weights):
                flat[i] = original + offset * h
                args = (perturbed, bs) if group is Ws else (Ws, perturbed)
                cache = _forward(*args, X, hidden, output)
                if watch_kinks and not crosses:
                    crosses = any(
                        not np.array_equal(p, q) for p, q in zip(pattern(cache), base_pattern)
                    )
                with np.errstate(all="ignore"):  # an undefined cost gives NaN: a failed entry
                    total += weight * _cost(cache, Y, output, loss)
            flat[i] = original
            index = np.unravel_index(i, point.shape)
            index = tuple(int(k) for k in index)
            if crosses:
                skipped.append((name, index))
                continue
            numeric = total / (denominator * h)
            a = float(analytic[index])
            # relative_error(a, numeric, floor) without its validation: a NaN estimate (a cost
            # that is undefined at a stencil point) must fail the check, not raise
            scale = max(abs(a), abs(numeric), floor)
            r = abs(a - numeric) / scale if a != numeric else 0.0
            rel[index] = r
            n_checked += 1
            if worst is None or (worst.relative_error == worst.relative_error and not r <= worst.relative_error):  # NaN stays worst
                worst = WorstEntry(name, index, a, numeric, r)
        errors[name] = rel

    passed = _cost_ok(cost, reference_cost) and (worst is None or worst.relative_error <= tol)
    return GradCheckReport(
        passed=bool(passed),
        worst=worst,
        tol=tol,
        n_checked=n_checked,
        skipped=tuple(skipped),
        cost=cost,
        reference_cost=reference_cost,
        errors=errors,
    )
