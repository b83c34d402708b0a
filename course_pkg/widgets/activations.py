r"""Notebook 02's widget: an activation and its derivative side by side, saturation shaded.

:class:`ActivationExplorer` plots :math:`g(z)` (left) and :math:`g'(z)` (right) for the sigmoid,
tanh or ReLU, with a marker at a chosen :math:`z` and the tangent line there. The regions where
the derivative is (almost) zero are shaded: there a gradient that flows back through the neuron
is multiplied by nearly nothing, the neuron *saturates* (or, for ReLU on the left, is *dead*).

Built on :class:`course_pkg.widgets._common.Widget`. All state lives in plain attributes
(``activation``, ``z``, ``value``, ``slope``, ``saturated``, ``saturation_regions``) computed from
the controls, so a test drives the widget without a kernel::

    explorer = ActivationExplorer()
    explorer.activation_dropdown.value = "tanh"
    explorer.z_slider.value = 3.0
    explorer.saturated    # True

Moving ``z`` redraws only the tangent and the two markers over the cached curves; choosing another
activation redraws the curves, the shading and the axes once.
"""

import functools

import ipywidgets as ipw
import numpy as np

from course_pkg import activations
from course_pkg.widgets._common import Widget, fmt

__all__ = ["ActivationExplorer", "ACTIVATIONS", "SATURATION_FRACTION", "saturation_regions"]

#: name -> (g, g', formula of g in LaTeX-free text for the label)
ACTIVATIONS = {
    "sigmoid": (activations.sigmoid, activations.sigmoid_prime, "σ(z) = 1/(1 + e^(−z))"),
    "tanh": (activations.tanh, activations.tanh_prime, "tanh(z) = (e^z − e^(−z))/(e^z + e^(−z))"),
    "relu": (activations.relu, activations.relu_prime, "g(z) = max(0, z)"),
}

#: A point is saturated where g'(z) is below this fraction of the derivative's maximum.
SATURATION_FRACTION = 0.05
#: The z-range plotted, and the number of grid points (saturation boundaries are refined further).
Z_RANGE = (-8.0, 8.0)
GRID_POINTS = 801
#: Bisection steps that refine each saturation boundary found on the grid.
REFINE_STEPS = 40


def saturation_regions(name, z_range=Z_RANGE, fraction=SATURATION_FRACTION):
    r"""The intervals of ``z_range`` where ``g'(z) < fraction * max g'``.

    .. math:: \{\, z : g'(z) < f \cdot \max_z g'(z) \,\}

    Parameters
    ----------
    name : {"sigmoid", "tanh", "relu"}
    z_range : tuple of float (lo, hi)
    fraction : float in (0, 1)

    Returns
    -------
    list of tuple (lo, hi)
        Disjoint intervals, left to right; each boundary inside the range is refined by bisection.

    Raises
    ------
    ValueError
        If ``name`` is unknown, the range is empty or ``fraction`` is outside (0, 1).

    Examples
    --------
    >>> [(round(lo, 3), round(hi, 3)) for lo, hi in saturation_regions("tanh")]
    [(-8.0, -2.178), (2.178, 8.0)]
    >>> saturation_regions("relu")
    [(-8.0, 0.0)]
    """
    if name not in ACTIVATIONS:
        raise ValueError(f"name must be one of {sorted(ACTIVATIONS)}; got {name!r}.")
    lo, hi = (float(v) for v in z_range)
    if not lo < hi:
        raise ValueError(f"z_range must be (lo, hi) with lo < hi; got {z_range!r}.")
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be between 0 and 1 (exclusive); got {fraction!r}.")
    prime = ACTIVATIONS[name][1]
    grid = np.linspace(lo, hi, GRID_POINTS)
    threshold = fraction * float(np.max(prime(grid)))

    def is_saturated(z):
        return float(prime(z)) < threshold

    inside = prime(grid) < threshold  # (GRID_POINTS,)
    regions = []
    start = lo if inside[0] else None
    for i in range(1, GRID_POINTS):
        if inside[i] != inside[i - 1]:
            a, b = grid[i - 1], grid[i]
            for _ in range(REFINE_STEPS):  # keep is_saturated(a) == inside[i - 1]
                mid = 0.5 * (a + b)
                if is_saturated(mid) == inside[i - 1]:
                    a = mid
                else:
                    b = mid
            edge = float(b) if not inside[i - 1] else float(a)
            if inside[i]:
                start = edge
            else:
                regions.append((start, edge))
                start = None
    if start is not None:
        regions.append((start, hi))
    return regions


@functools.lru_cache(maxsize=None)
def _default_regions(name):
    """:func:`saturation_regions` with the default range and fraction, computed once per name."""
    return tuple(saturation_regions(name))


class ActivationExplorer(Widget):
    """An activation and its derivative side by side, saturation shaded, a movable z marker.

    Parameters
    ----------
    activation : {"sigmoid", "tanh", "relu"}, default "sigmoid"
    z : float, default 1.0
        Where the marker starts.
    draw : bool, default True
        Whether to render the plots (``False``: only the state and the label).

    Attributes
    ----------
    activation_dropdown : ipywidgets.Dropdown
    z_slider : ipywidgets.FloatSlider
    image : ipywidgets.Image
        The two plots, as PNG.
    label : ipywidgets.HTML
        g(z), g'(z) and whether z is in a saturation region.
    view : ipywidgets.VBox
        What the notebook displays.
    activation, z, value, slope : str, float, float, float
        The current state: ``value = g(z)``, ``slope = g'(z)``.
    saturation_regions : list of (float, float)
    saturated : bool
        Whether ``z`` lies in a saturation region.
    redraws : int
        How many frames were rendered (one per change).

    Examples
    --------
    >>> explorer = ActivationExplorer()
    >>> explorer.z_slider.value = 0.0
    >>> explorer.slope
    0.25
    >>> explorer.activation_dropdown.value = "relu"
    >>> explorer.z_slider.value = -2.0
    >>> explorer.slope, explorer.saturated
    (0.0, True)
    """

    figsize = (9.0, 3.4)
    #: Half the width (in z) of the tangent segment drawn at z.
    TANGENT_HALF_WIDTH = 1.5

    def __init__(self, activation="sigmoid", z=1.0, *, draw=True):
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(ACTIVATIONS)}; got {activation!r}."
            )
        z = float(z)
        if not Z_RANGE[0] <= z <= Z_RANGE[1]:
            raise ValueError(f"z must lie in {Z_RANGE}; got {z}.")
        self.activation0, self.z0 = activation, z
        self._grid = np.linspace(Z_RANGE[0], Z_RANGE[1], GRID_POINTS)  # (GRID_POINTS,)
        self._drawn = None  # the activation whose curves the figure shows
        super().__init__(draw=draw)

    # controls → state
    def make_controls(self):
        self.activation_dropdown = ipw.Dropdown(
            options=list(ACTIVATIONS), value=self.activation0, description="activation"
        )
        self.z_slider = ipw.FloatSlider(
            value=self.z0, min=Z_RANGE[0], max=Z_RANGE[1], step=0.1, description="z",
            continuous_update=True,
        )
        return {"activation": self.activation_dropdown, "z": self.z_slider}

    def update(self, activation, z):
        self.activation, self.z = activation, float(z)
        g, g_prime, self.formula = ACTIVATIONS[activation]
        self.value = float(g(self.z))
        self.slope = float(g_prime(self.z))
        self.saturation_regions = list(_default_regions(activation))
        self.saturated = any(lo <= self.z <= hi for lo, hi in self.saturation_regions)

    def caption(self):
        word = "dead (no gradient flows back)" if self.activation == "relu" else "saturated"
        state = (f"<b style='color:#b5452b'>{word}</b>: a gradient passing back through "
                 f"this neuron is multiplied by {fmt(self.slope)}" if self.saturated
                 else "outside the shaded regions: gradients pass back")
        return (
            f"{self.formula} &nbsp;|&nbsp; z = {fmt(self.z)}: g(z) = {fmt(self.value)}, "
            f"g′(z) = {fmt(self.slope)} &nbsp;|&nbsp; {state}"
        )

    # state → draw
    def build(self, fig):
        self._axes = fig.subplots(1, 2)
        self._curves, self._spans = [], []
        for ax in self._axes:
            ax.axhline(0.0, color="0.6", lw=0.8)
            ax.axvline(0.0, color="0.6", lw=0.8)
            (curve,) = ax.plot([], [], color="#1f5f99", lw=2)
            self._curves.append(curve)
            ax.set_xlim(*Z_RANGE)
            ax.set_xlabel("$z$")
        left, right = self._axes
        # the tangent at z on the left, the slope as a point on the right
        (self._tangent,) = left.plot([], [], color="#d1495b", lw=1.5)
        (self._value_point,) = left.plot([], [], "o", color="#d1495b")
        (self._slope_point,) = right.plot([], [], "o", color="#d1495b")
        return [self._tangent, self._value_point, self._slope_point]

    def _draw_activation(self):
        """The static part for the current activation: curves, shading, limits, titles."""
        g, g_prime, _ = ACTIVATIONS[self.activation]
        symbol = {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": "g"}[self.activation]
        for span in self._spans:
            span.remove()
        self._spans = []
        for ax, curve, ys, title, ylabel in (
            (self._axes[0], self._curves[0], g(self._grid), "the function", f"${symbol}(z)$"),
            (self._axes[1], self._curves[1], g_prime(self._grid), "its derivative", f"${symbol}'(z)$"),
        ):
            curve.set_data(self._grid, ys)
            self._spans += [ax.axvspan(lo, hi, color="#f4c7b8", alpha=0.6, lw=0, zorder=0)
                            for lo, hi in self.saturation_regions]
            pad = 0.05 * (float(np.ptp(ys)) or 1.0)
            ax.set_ylim(min(float(ys.min()), 0.0) - pad, float(ys.max()) + pad)
            ax.set_ylabel(ylabel)
            ax.set_title(f"{self.activation}: {title}")
        self._drawn = self.activation
        self.invalidate()

    def render(self):
        if self._drawn != self.activation:
            self._draw_activation()
        zs = np.array([self.z - self.TANGENT_HALF_WIDTH, self.z + self.TANGENT_HALF_WIDTH])  # (2,)
        self._tangent.set_data(zs, self.value + self.slope * (zs - self.z))
        self._value_point.set_data([self.z], [self.value])
        self._slope_point.set_data([self.z], [self.slope])
