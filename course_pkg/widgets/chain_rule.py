"""Notebook 01's widget: nudge a parameter, watch the cost move along its tangent.

:class:`NudgeExplorer` plots a cost :math:`C(\\theta)`, the point :math:`(\\theta, C(\\theta))`, the
tangent of slope :math:`C'(\\theta)` and the secant to :math:`(\\theta + \\Delta\\theta,
C(\\theta + \\Delta\\theta))`. Two sliders set :math:`\\theta` and the nudge :math:`\\Delta\\theta`;
the label shows the ratio of changes :math:`\\Delta C / \\Delta\\theta` beside the derivative, so the
learner sees the ratio approach the slope as the nudge shrinks.

Built on :class:`course_pkg.widgets._common.Widget`: the cost curve and the axes are drawn once;
a slider move redraws the tangent, the secant, the point and the title.
"""

import ipywidgets as ipw
import numpy as np

from ._common import Widget, fmt

__all__ = ["NudgeExplorer", "CURVE_POINTS"]

#: Number of points on which the cost curve is drawn.
CURVE_POINTS = 241


class NudgeExplorer(Widget):
    """Sliders for a parameter :math:`\\theta` and a nudge :math:`\\Delta\\theta`; a plot of the cost.

    After every change of a slider the explorer recomputes

    .. math::

        \\Delta C = C(\\theta + \\Delta\\theta) - C(\\theta), \\qquad
        \\text{ratio} = \\frac{\\Delta C}{\\Delta\\theta}, \\qquad
        \\text{predicted} = C'(\\theta)\\,\\Delta\\theta,

    stores them as attributes, writes them in :attr:`label` and redraws :attr:`image`.

    Parameters
    ----------
    f : callable
        The cost, ``f(theta) -> float``; vectorised over a 1-D array of shape ``(k,)`` if
        possible (it is called point by point otherwise).
    f_prime : callable
        Its derivative, ``f_prime(theta) -> float``.
    theta : float
        Initial value of the parameter, inside ``theta_range``.
    theta_range : tuple of float
        ``(low, high)``, the range of the parameter slider and of the plot.
    nudge : float
        Initial nudge :math:`\\Delta\\theta`, in ``[NUDGE_MIN, NUDGE_MAX]``.
    name, parameter : str
        How the cost and the parameter are called in the label and the plot.
    draw : bool
        Whether to render the plot (tests may switch it off to only check the numbers).

    Attributes
    ----------
    theta_slider : ipywidgets.FloatSlider
    nudge_slider : ipywidgets.FloatLogSlider
    label : ipywidgets.HTML
    image : ipywidgets.Image
    view : ipywidgets.VBox
        What a notebook displays.
    theta, nudge : float
        The sliders' current values.
    cost, slope, change, ratio, predicted : float
        :math:`C(\\theta)`, :math:`C'(\\theta)`, :math:`\\Delta C`, :math:`\\Delta C/\\Delta\\theta`,
        :math:`C'(\\theta)\\Delta\\theta` at the current slider values.
    redraws : int
        How many frames were rendered.
    figure : matplotlib.figure.Figure or None
        The one figure (``None`` while nothing was drawn).

    Examples
    --------
    >>> ex = NudgeExplorer(lambda t: t**2, lambda t: 2 * t, theta=1.0, nudge=0.5, draw=False)
    >>> ex.change, ex.ratio, ex.predicted
    (1.25, 2.5, 1.0)
    >>> ex.nudge_slider.value = 0.001
    >>> round(ex.ratio, 6)
    2.001
    """

    NUDGE_MIN = 1e-3
    NUDGE_MAX = 1.0
    figsize = (7.0, 3.6)

    def __init__(self, f, f_prime, theta=0.5, theta_range=(-4.0, 4.0), nudge=0.5,
                 name="C", parameter="θ", draw=True):
        for arg, value in (("f", f), ("f_prime", f_prime)):
            if not callable(value):
                raise TypeError(f"{arg} must be a function of θ; got {type(value).__name__}.")
        try:
            low, high = (float(v) for v in theta_range)
        except (TypeError, ValueError):
            raise ValueError(
                f"theta_range must be a pair of numbers (low, high); got {theta_range!r}."
            ) from None
        if not low < high:
            raise ValueError(f"theta_range must have low < high; got ({low}, {high}).")
        if not low <= float(theta) <= high:
            raise ValueError(f"theta must lie inside theta_range ({low}, {high}); got {theta}.")
        if not self.NUDGE_MIN <= float(nudge) <= self.NUDGE_MAX:
            raise ValueError(
                f"nudge must lie in [{self.NUDGE_MIN}, {self.NUDGE_MAX}], the nudge slider's range; "
                f"got {nudge}."
            )
        self.f, self.f_prime = f, f_prime
        self.low, self.high = low, high
        self.theta0, self.nudge0 = float(theta), float(nudge)
        self.name, self.parameter = name, parameter
        self._grid = np.linspace(low, high, CURVE_POINTS)  # (CURVE_POINTS,)
        self._curve = self._evaluate(self._grid)  # (CURVE_POINTS,)
        super().__init__(draw=draw)

    def _evaluate(self, grid):
        try:
            values = np.asarray(self.f(grid), dtype=float)
            if values.shape == grid.shape:
                return values
        except (TypeError, ValueError):
            pass
        return np.array([float(self.f(float(t))) for t in grid])

    # controls → state
    def make_controls(self):
        low, high, p = self.low, self.high, self.parameter
        self.theta_slider = ipw.FloatSlider(
            value=self.theta0, min=low, max=high, step=(high - low) / 400,
            description=p, readout_format=".3f", continuous_update=True,
        )
        self.nudge_slider = ipw.FloatLogSlider(
            value=self.nudge0, base=10, min=np.log10(self.NUDGE_MIN), max=np.log10(self.NUDGE_MAX),
            step=0.05, description=f"Δ{p}", readout_format=".3g", continuous_update=True,
        )
        return {"theta": self.theta_slider, "nudge": self.nudge_slider}

    def update(self, theta, nudge):
        self.theta, self.nudge = float(theta), float(nudge)
        self.cost = float(self.f(self.theta))
        self.slope = float(self.f_prime(self.theta))
        self.change = float(self.f(self.theta + self.nudge)) - self.cost
        self.ratio = self.change / self.nudge
        self.predicted = self.slope * self.nudge

    def caption(self):
        p, c = self.parameter, self.name
        return (
            f"<b>{c}({p})</b> = {fmt(self.cost)} &nbsp;·&nbsp; nudge Δ{p} = {fmt(self.nudge)} changes "
            f"{c} by Δ{c} = {fmt(self.change)}<br>"
            f"ratio of changes Δ{c}/Δ{p} = <b>{fmt(self.ratio, 6)}</b> &nbsp;·&nbsp; "
            f"derivative d{c}/d{p} = <b>{fmt(self.slope, 6)}</b> &nbsp;·&nbsp; "
            f"the tangent predicts Δ{c} ≈ d{c}/d{p} · Δ{p} = {fmt(self.predicted)}"
        )

    # state → draw
    def build(self, fig):
        p, c = self.parameter, self.name
        ax = fig.subplots()
        ax.plot(self._grid, self._curve, color="0.2", lw=2, label=f"{c}({p})")
        (self._tangent,) = ax.plot([], [], color="tab:blue", lw=1.5, label=f"tangent: slope d{c}/d{p}")
        (self._secant,) = ax.plot([], [], color="tab:orange", lw=1.5, marker="o",
                                  label=f"secant: slope Δ{c}/Δ{p}")
        (self._point,) = ax.plot([], [], "o", color="tab:blue", ms=7)
        ax.set_xlim(self.low, self.high)
        pad = 0.1 * (float(np.ptp(self._curve)) or 1.0)
        ax.set_ylim(float(self._curve.min()) - pad, float(self._curve.max()) + pad)
        ax.set_xlabel(f"parameter {p}")
        ax.set_ylabel(f"cost {c}({p})")
        ax.legend(loc="best", fontsize=8)
        self._title = ax.set_title(" ")
        return [self._tangent, self._secant, self._point, self._title]

    def render(self):
        theta, nudge, p, c = self.theta, self.nudge, self.parameter, self.name
        span = (self.high - self.low) / 4
        t = np.array([theta - span, theta + span])  # (2,)
        self._tangent.set_data(t, self.cost + self.slope * (t - theta))
        self._secant.set_data([theta, theta + nudge], [self.cost, self.cost + self.change])
        self._point.set_data([theta], [self.cost])
        self._title.set_text(
            f"{c}({p}) near {p} = {fmt(theta)}: tangent and secant for Δ{p} = {fmt(nudge)}"
        )
