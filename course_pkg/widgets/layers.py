r"""Notebook 05's widget: a gradient check drawn as a heatmap, with a bug you plant yourself.

Pick a planted bug in a network's backward pass (:data:`BUGS`) and see the relative error of
**every entry of every parameter** against central differences, one small heatmap per weight
matrix and bias vector, with the worst entry named. The correct backward gives an all-clear map.
Two controls change the experiment: the batch size ``m`` (with one example a missing ``1/m``
cannot be seen) and the hidden activation (a missing :math:`g'` hides differently behind ReLU
than behind the sigmoid).

The logic is pure functions, testable without a kernel:

* :func:`planted_gradients` ``(bug)`` returns a gradient function with the signature of
  :func:`course_pkg.network.gradients` that makes that one mistake;
* :func:`numeric_gradients` estimates every parameter's gradient by central differences and marks
  the entries whose stencil crosses a ReLU kink;
* :func:`gradient_map` compares the two, entry by entry, and names the worst entry (or the
  parameter whose gradient has the wrong shape).

:class:`GradCheckHeatmap` is the widget on top of them.
"""

from dataclasses import dataclass

import ipywidgets as ipw
import numpy as np
from matplotlib import colormaps
from matplotlib.colors import LogNorm

from course_pkg import network
from course_pkg.activations import _ACTIVATIONS
from course_pkg.widgets._common import Widget

__all__ = [
    "BUGS",
    "GOOD",
    "WRONG",
    "FLOOR",
    "EPS",
    "DEFAULT_SIZES",
    "planted_gradients",
    "numeric_gradients",
    "relative_errors",
    "gradient_map",
    "GradientMap",
    "parameter_label",
    "GradCheckHeatmap",
]

#: The bugs one can plant, name -> what the backward pass then does wrong.
BUGS = {
    "none": "the correct backward pass (BP1–BP4, batch means)",
    "transposed_dW": "dW computed as A_prevᵀ E / m instead of Eᵀ A_prev / m",
    "missing_1_over_m": "dW and db summed over the batch, not averaged (no 1/m)",
    "missing_g_prime": "BP2 without g′: E^[l] = E^[l+1] W^[l+1], no ⊙ g′(Z^[l])",
    "wrong_sign": "output error y − a instead of a − y (every gradient flips sign)",
    "db_wrong_axis": "db averaged over the neurons (axis=1) instead of the examples (axis=0)",
}
#: Relative errors at most this are "good": what float64 finite differences can confirm.
GOOD = 1e-7
#: Relative errors at least this are "wrong": a bug, not rounding.
WRONG = 1e-2
#: Floor of the relative error's denominator, times max(1, |C|) (as in course_pkg.gradcheck):
#: the five-point difference carries a rounding error of about 1e-12 * max(1, |C|), so an exact
#: zero (a ReLU that is off) would otherwise show a relative error of 1.
FLOOR = 1e-5
#: Step of the five-point central difference.
EPS = 1e-4
#: The widget's network: 3 inputs, two hidden layers of 4, 2 outputs (W^[2] is square).
DEFAULT_SIZES = (3, 4, 4, 2)

_STENCIL = ((2.0, -1.0), (1.0, 8.0), (-1.0, -8.0), (-2.0, 1.0))  # (offset in h, weight); / 12h


def parameter_label(name):
    """The course's math name of a code name: ``'weights[1]'`` -> ``'W^[2]'``.

    Examples
    --------
    >>> parameter_label("weights[1]"), parameter_label("biases[0]")
    ('W^[2]', 'b^[1]')
    """
    kind, _, rest = name.partition("[")
    layer = int(rest.rstrip("]")) + 1
    return f"{'W' if kind == 'weights' else 'b'}^[{layer}]"


def planted_gradients(bug):
    r"""A gradient function with one planted bug, shaped like :func:`course_pkg.network.gradients`.

    The correct pass (``bug='none'``), one example per row, :math:`m` examples:

    .. math:: E^{[l]} = (E^{[l+1]} W^{[l+1]}) \odot g'(Z^{[l]}), \qquad
              \frac{\partial C}{\partial W^{[l]}} = \frac1m E^{[l]\top} A^{[l-1]}, \qquad
              \frac{\partial C}{\partial b^{[l]}} = \frac1m \sum_x e^{[l]}_x

    with :math:`E^{[L]}` from :func:`course_pkg.network.backward` (BP1). Each bug changes one thing
    (see :data:`BUGS`); a transposed ``dW`` or a ``db`` on the wrong axis may come back with the
    wrong shape, as it would from a learner's code.

    Parameters
    ----------
    bug : str
        A key of :data:`BUGS`.

    Returns
    -------
    callable
        ``grad_fn(weights, biases, X, Y, hidden='relu', output='sigmoid',
        loss='half_squared_error') -> (cost, dweights, dbiases)``.

    Examples
    --------
    >>> weights, biases = network.init_network([2, 3, 1], seed=0)
    >>> X, Y = np.array([[0.5, -1.0], [1.0, 2.0]]), np.array([[1.0], [0.0]])
    >>> _, dW, db = planted_gradients("none")(weights, biases, X, Y)
    >>> _, dW_ref, db_ref = network.gradients(weights, biases, X, Y)
    >>> all(np.allclose(a, b) for a, b in zip(dW + db, dW_ref + db_ref))
    True
    >>> _, dW, _ = planted_gradients("missing_1_over_m")(weights, biases, X, Y)
    >>> bool(np.allclose(dW[0], 2 * dW_ref[0]))
    True
    """
    if bug not in BUGS:
        raise ValueError(f"bug must be one of {', '.join(map(repr, BUGS))}; got {bug!r}")

    def grad_fn(weights, biases, X, Y, hidden="relu", output="sigmoid", loss="half_squared_error"):
        cost = network.network_cost(weights, biases, X, Y, hidden, output, loss)
        cache = network.forward(weights, biases, X, hidden, output)
        E = network.backward(weights, biases, X, Y, hidden, output, loss)[-1]  # BP1, (m, n_L)
        if bug == "wrong_sign":
            E = -E
        g_prime = _ACTIVATIONS[hidden][1]
        Ws = [np.asarray(W, dtype=float) for W in weights]
        m = E.shape[0]
        L = len(Ws)
        dWs, dbs = [None] * L, [None] * L
        for l in range(L - 1, -1, -1):
            A_prev = cache.As[l]  # (m, n_{l-1})
            scale = 1.0 if bug == "missing_1_over_m" else 1.0 / m
            if bug == "transposed_dW":
                dWs[l] = A_prev.T @ E * scale  # (n_{l-1}, n_l): the transpose of W's shape
            else:
                dWs[l] = E.T @ A_prev * scale  # BP4 (n_l, n_{l-1})
            if bug == "db_wrong_axis":
                dbs[l] = E.mean(axis=1)  # (m,): one number per example
            else:
                dbs[l] = E.sum(axis=0) * scale  # BP3 (n_l,)
            if l > 0:
                E = E @ Ws[l]  # BP2 (m, n_{l-1})
                if bug != "missing_g_prime":
                    E = E * g_prime(cache.Zs[l - 1])
        return cost, dWs, dbs

    grad_fn.__name__ = f"gradients_with_{bug}" if bug != "none" else "gradients"
    grad_fn.__doc__ = f"network.gradients with a planted bug: {BUGS[bug]}."
    return grad_fn


def _params(weights, biases):
    Ws = [np.array(W, dtype=float) for W in weights]
    bs = [np.array(b, dtype=float) for b in biases]
    return Ws, bs


def _names(L):
    return [f"weights[{l}]" for l in range(L)] + [f"biases[{l}]" for l in range(L)]


def numeric_gradients(weights, biases, X, Y, hidden="relu", output="sigmoid",
                      loss="half_squared_error", eps=EPS):
    r"""Every parameter's gradient by the five-point central difference, and where it crosses a kink.

    .. math:: \frac{\partial C}{\partial \theta_i} \approx
              \frac{-C(\theta + 2h e_i) + 8 C(\theta + h e_i) - 8 C(\theta - h e_i)
              + C(\theta - 2h e_i)}{12 h}

    An entry *crosses a kink* when some point of its stencil switches a hidden ReLU on or off
    (with ``hidden='relu'``): its estimate then mixes two slopes and says nothing about a bug.

    Parameters
    ----------
    weights, biases, X, Y, hidden, output, loss
        As in :func:`course_pkg.network.gradients`.
    eps : float, default EPS
        The step :math:`h`.

    Returns
    -------
    numeric : dict of str -> ndarray
        ``'weights[l]'`` and ``'biases[l]'`` -> the estimate, with that parameter's shape.
    kinks : dict of str -> ndarray of bool
        The same keys: True where the stencil crosses a kink.

    Examples
    --------
    >>> weights, biases = network.init_network([2, 2, 1], seed=0, hidden="tanh")
    >>> X, Y = np.array([[0.5, -1.0]]), np.array([[1.0]])
    >>> numeric, kinks = numeric_gradients(weights, biases, X, Y, hidden="tanh")
    >>> _, dW, db = network.gradients(weights, biases, X, Y, hidden="tanh")
    >>> bool(np.allclose(numeric["weights[0]"], dW[0], atol=1e-10)), bool(kinks["biases[1]"].any())
    (True, False)
    """
    Ws, bs = _params(weights, biases)
    base = network.forward(Ws, bs, X, hidden, output)
    watch = hidden == "relu" and len(Ws) > 1

    def pattern(Ws_, bs_):
        return [Z > 0 for Z in network.forward(Ws_, bs_, X, hidden, output).Zs[:-1]]

    base_pattern = [Z > 0 for Z in base.Zs[:-1]]
    numeric, kinks = {}, {}
    for kind, group in (("weights", Ws), ("biases", bs)):
        for l, P in enumerate(group):
            estimate = np.zeros(P.shape)
            crossed = np.zeros(P.shape, dtype=bool)
            flat = P.reshape(-1)  # a view: writing into it moves the network
            for i in range(P.size):
                original = flat[i]
                total = 0.0
                for offset, weight in _STENCIL:
                    flat[i] = original + offset * eps
                    total += weight * network.network_cost(Ws, bs, X, Y, hidden, output, loss)
                    if watch and not crossed.flat[i]:
                        now = pattern(Ws, bs)
                        crossed.flat[i] = any(not np.array_equal(p, q) for p, q in zip(now, base_pattern))
                flat[i] = original
                estimate.flat[i] = total / (12.0 * eps)
            numeric[f"{kind}[{l}]"] = estimate
            kinks[f"{kind}[{l}]"] = crossed
    return numeric, kinks


def relative_errors(analytic, numeric, floor):
    r"""Entry-wise :math:`|a - n| / \max(|a|, |n|, \text{floor})`, 0 where they agree exactly.

    Examples
    --------
    >>> relative_errors(np.array([1.0, 0.0, 2.0]), np.array([1.0, 0.0, -2.0]), 1e-8)
    array([0., 0., 2.])
    """
    diff = np.abs(analytic - numeric)
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor)
    return np.divide(diff, scale, out=np.zeros(diff.shape), where=diff > 0)


@dataclass(frozen=True)
class GradientMap:
    """What :func:`gradient_map` found.

    Attributes
    ----------
    errors : dict of str -> ndarray or None
        ``'weights[l]'``/``'biases[l]'`` -> relative error of every entry (NaN where the stencil
        crosses a kink); None for a gradient whose shape is not the parameter's.
    shapes : dict of str -> (tuple, tuple)
        Parameter name -> (shape returned, shape expected).
    worst : tuple or None
        ``(name, index, analytic, numeric, relative_error)`` of the worst compared entry.
    kinks : int
        Entries skipped because their stencil crosses a ReLU kink.
    cost : float
        The cost the gradient function returned.
    """

    errors: dict
    shapes: dict
    worst: object
    kinks: int
    cost: float = 0.0

    @property
    def shape_errors(self):
        """Names whose gradient came back with the wrong shape, in parameter order."""
        return [n for n, e in self.errors.items() if e is None]

    @property
    def passed(self):
        """No shape error and every compared entry at most :data:`GOOD`."""
        return not self.shape_errors and (self.worst is None or self.worst[4] <= GOOD)

    def summary(self):
        """One or two sentences: all clear, the shape that is off, or the worst entry and its size.

        Examples
        --------
        >>> weights, biases = network.init_network([2, 2, 1], seed=0, hidden="tanh")
        >>> X, Y = np.array([[0.5, -1.0], [1.0, 0.5]]), np.array([[1.0], [0.0]])
        >>> gm = gradient_map(planted_gradients("none"), weights, biases, X, Y, hidden="tanh")
        >>> gm.summary().startswith("All clear")
        True
        """
        lines = []
        for name in self.shape_errors:
            got, want = self.shapes[name]
            lines.append(
                f"d{parameter_label(name)} has shape {got}, but {parameter_label(name)} is {want}: "
                "a gradient has its parameter's shape, so this one fails before any number is compared."
            )
        if self.worst is not None:
            name, index, a, n, r = self.worst
            where = f"d{parameter_label(name)}[{', '.join(map(str, index))}] ({name}[{', '.join(map(str, index))}])"
            if r <= GOOD:
                verdict = "good: agreement to rounding"
            elif r < WRONG:
                verdict = "suspicious: too large for rounding, too small for most bugs"
            else:
                verdict = "wrong: that is a bug"
            head = "All clear." if self.passed else "Worst entry:"
            lines.append(f"{head} {'Largest' if self.passed else ''} relative error {r:.2e} at {where}"
                         f" (backprop {a:.6g}, finite differences {n:.6g}): {verdict}.".replace("  ", " "))
        if self.kinks:
            lines.append(f"{self.kinks} entr{'y' if self.kinks == 1 else 'ies'} skipped: the finite "
                         "difference steps across a ReLU kink there.")
        return " ".join(lines)


def gradient_map(grad_fn, weights, biases, X, Y, hidden="relu", output="sigmoid",
                 loss="half_squared_error", numeric=None):
    """Relative error of every entry of every parameter, ``grad_fn`` against finite differences.

    Parameters
    ----------
    grad_fn : callable
        Like :func:`course_pkg.network.gradients`, e.g. :func:`planted_gradients` ``(bug)``.
    weights, biases, X, Y, hidden, output, loss
        The network and batch.
    numeric : (dict, dict), optional
        What :func:`numeric_gradients` returns for these arguments, to reuse (it does not depend
        on ``grad_fn``).

    Returns
    -------
    GradientMap

    Examples
    --------
    >>> weights, biases = network.init_network([2, 3, 1], seed=0, hidden="tanh")
    >>> X, Y = np.array([[0.5, -1.0], [1.0, 0.5]]), np.array([[1.0], [0.0]])
    >>> gm = gradient_map(planted_gradients("missing_1_over_m"), weights, biases, X, Y, hidden="tanh")
    >>> gm.passed, round(gm.worst[4], 6)
    (False, 0.5)
    """
    Ws, bs = _params(weights, biases)
    if numeric is None:
        numeric = numeric_gradients(Ws, bs, X, Y, hidden, output, loss)
    estimate, kinks = numeric
    cost, dWs, dbs = grad_fn([W.copy() for W in Ws], [b.copy() for b in bs], np.array(X, dtype=float),
                             np.array(Y, dtype=float), hidden=hidden, output=output, loss=loss)
    floor = FLOOR * max(1.0, abs(float(cost)))
    errors, shapes, worst, skipped = {}, {}, None, 0
    analytic = dict(zip(_names(len(Ws)), list(dWs) + list(dbs)))
    params = dict(zip(_names(len(Ws)), Ws + bs))
    for name, P in params.items():
        got = np.asarray(analytic[name], dtype=float)
        shapes[name] = (got.shape, P.shape)
        if got.shape != P.shape:
            errors[name] = None
            continue
        r = relative_errors(got, estimate[name], floor)
        r[kinks[name]] = np.nan
        skipped += int(kinks[name].sum())
        errors[name] = r
        if np.isfinite(r).any():
            i = int(np.nanargmax(r))
            index = tuple(int(k) for k in np.unravel_index(i, r.shape))
            if worst is None or r[index] > worst[4]:
                worst = (name, index, float(got[index]), float(estimate[name][index]), float(r[index]))
    return GradientMap(errors=errors, shapes=shapes, worst=worst, kinks=skipped, cost=float(cost))


def default_problem(m=4, hidden="relu", seed=5, sizes=DEFAULT_SIZES):
    """The widget's network and a batch of ``m`` examples, drawn from ``seed``.

    Returns
    -------
    weights, biases, X, Y
        X of shape (m, sizes[0]) standard normal, Y of shape (m, sizes[-1]) uniform in [0, 1];
        the biases are small random numbers (not zeros), so that db is not trivially symmetric.

    Examples
    --------
    >>> weights, biases, X, Y = default_problem(m=3)
    >>> [W.shape for W in weights], X.shape, Y.shape
    ([(4, 3), (4, 4), (2, 4)], (3, 3), (3, 2))
    """
    weights, biases = network.init_network(list(sizes), seed=seed, hidden=hidden)
    generator = np.random.default_rng(seed + 1)
    biases = [generator.normal(0.0, 0.3, b.shape) for b in biases]
    X = generator.normal(0.0, 1.0, (50, sizes[0]))[:m]
    Y = generator.uniform(0.0, 1.0, (50, sizes[-1]))[:m]
    return weights, biases, X, Y


#: Batch sizes the widget offers.
M_RANGE = (1, 8)
#: Hidden activations the widget offers.
HIDDEN_CHOICES = ("relu", "sigmoid")
#: Colour scale of the heatmaps (relative errors, log scale).
VMIN, VMAX = 1e-12, 1.0


def _check_widget_args(bug, m, hidden):
    if bug not in BUGS:
        raise ValueError(f"bug must be one of {', '.join(map(repr, BUGS))}; got {bug!r}")
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or not M_RANGE[0] <= m <= M_RANGE[1]:
        raise ValueError(f"m must be an integer from {M_RANGE[0]} to {M_RANGE[1]} (the batch size); got {m!r}")
    if hidden not in HIDDEN_CHOICES:
        raise ValueError(f"hidden must be one of {', '.join(map(repr, HIDDEN_CHOICES))}; got {hidden!r}")


class GradCheckHeatmap(Widget):
    r"""A gradient check as heatmaps: plant a bug, see every entry's relative error.

    Parameters
    ----------
    bug : str, default 'none'
        A key of :data:`BUGS`.
    m : int, default 4
        The batch size, within :data:`M_RANGE`.
    hidden : {'relu', 'sigmoid'}, default 'relu'
    draw : bool, default True
        False computes the state and caption only.

    Attributes
    ----------
    controls : dict
        ``'bug'`` (Dropdown), ``'m'`` (IntSlider), ``'hidden'`` (Dropdown).
    result : GradientMap
        The comparison for the current controls.
    worst : tuple or None
        ``result.worst``: (name, index, analytic, numeric, relative error).

    Examples
    --------
    >>> w = GradCheckHeatmap(draw=False)
    >>> w.result.passed
    True
    >>> w.controls["bug"].value = "wrong_sign"
    >>> w.result.passed, round(w.worst[4], 6)
    (False, 2.0)
    """

    figsize = (9.6, 3.0)

    def __init__(self, bug="none", m=4, hidden="relu", *, draw=True):
        _check_widget_args(bug, m, hidden)
        self._initial = (bug, int(m), hidden)
        self._numeric = {}
        super().__init__(draw=draw)

    def make_controls(self):
        bug, m, hidden = self._initial
        return {
            "bug": ipw.Dropdown(options=[(k, k) for k in BUGS], value=bug, description="bug"),
            "m": ipw.IntSlider(value=m, min=M_RANGE[0], max=M_RANGE[1], description="batch m",
                               continuous_update=False),
            "hidden": ipw.Dropdown(options=list(HIDDEN_CHOICES), value=hidden, description="hidden"),
        }

    def update(self, bug, m, hidden):
        self.bug, self.m, self.hidden = bug, int(m), hidden
        self.problem = default_problem(m=self.m, hidden=hidden)
        key = (self.m, hidden)
        if key not in self._numeric:  # finite differences do not depend on the bug
            self._numeric[key] = numeric_gradients(*self.problem, hidden=hidden)
        self.result = gradient_map(planted_gradients(bug), *self.problem, hidden=hidden,
                                   numeric=self._numeric[key])
        self.worst = self.result.worst

    def caption(self):
        colour = "#1a7f37" if self.result.passed else "#b42318"
        return (f"<b>{self.bug}</b>: {BUGS[self.bug]}<br>"
                f"<span style='color: {colour}'>{self.result.summary()}</span>")

    def build(self, fig):
        weights, biases = self.problem[0], self.problem[1]
        L = len(weights)
        ratios = []
        for W in weights:
            ratios += [W.shape[1], 1, 0.6]
        grid = fig.add_gridspec(1, 3 * L + 1, width_ratios=ratios + [0.5])
        norm = LogNorm(vmin=VMIN, vmax=VMAX)
        cmap = colormaps["RdYlGn_r"].with_extremes(bad="0.82")  # grey: skipped or no comparison
        self._images, self._notes, self._marks, self._axes = {}, {}, {}, {}
        dynamic = []
        for l in range(L):
            for offset, kind, P in ((0, "weights", weights[l]), (1, "biases", biases[l])):
                name = f"{kind}[{l}]"
                ax = fig.add_subplot(grid[0, 3 * l + offset])
                shape2d = P.shape if P.ndim == 2 else (P.shape[0], 1)
                image = ax.imshow(np.full(shape2d, np.nan), cmap=cmap, norm=norm,
                                  aspect="equal", interpolation="nearest")
                ax.set_xticks(range(shape2d[1]))
                ax.set_yticks(range(shape2d[0]))
                ax.tick_params(labelsize=7, length=0)
                ax.set_title(f"${parameter_label(name)[0]}^{{[{l + 1}]}}$  {P.shape}", fontsize=9)
                note = ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center",
                               fontsize=8, color="#b42318", rotation=90 if P.ndim == 1 else 0,
                               bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="#b42318"))
                (mark,) = ax.plot([], [], marker="s", ms=11, mfc="none", mec="black", mew=1.8, ls="none")
                self._images[name], self._notes[name], self._marks[name] = image, note, mark
                self._axes[name] = ax
                dynamic += [image, note, mark]
            fig.add_subplot(grid[0, 3 * l + 2]).axis("off")
        cax = fig.add_subplot(grid[0, -1])
        bar = fig.colorbar(self._images["weights[0]"], cax=cax)
        bar.set_ticks([1e-12, 1e-7, 1e-4, 1e-2, 1.0])
        bar.ax.tick_params(labelsize=7)
        for level in (GOOD, WRONG):
            bar.ax.axhline(level, color="black", lw=1.2)
        bar.set_label("relative error", fontsize=8)
        return dynamic

    def render(self):
        for name, image in self._images.items():
            errors = self.result.errors[name]
            shape = image.get_array().shape
            note, mark = self._notes[name], self._marks[name]
            if errors is None:
                got, want = self.result.shapes[name]
                image.set_data(np.full(shape, np.nan))
                one_line = len(want) == 1  # a bias column: the note is turned to fit it
                note.set_text(f"shape {got} ≠ {want}" if one_line else f"shape\n{got}\n≠ {want}")
                note.set_visible(True)
            else:
                shown = np.clip(errors.reshape(shape), VMIN, None)  # 0 shows as the floor colour
                image.set_data(np.where(np.isnan(errors.reshape(shape)), np.nan, shown))
                note.set_visible(False)
            if self.worst is not None and self.worst[0] == name and not self.result.passed:
                index = self.worst[1]
                row, col = (index[0], index[1]) if len(index) == 2 else (index[0], 0)
                mark.set_data([col], [row])
            else:
                mark.set_data([], [])
