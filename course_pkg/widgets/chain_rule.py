"""Notebook 01's widget: nudge a parameter, watch the cost move along its tangent.

:class:`NudgeExplorer` plots a cost :math:`C(\\theta)`, the point :math:`(\\theta, C(\\theta))`, the
tangent of slope :math:`C'(\\theta)` and the secant to :math:`(\\theta + \\Delta\\theta,
C(\\theta + \\Delta\\theta))`. Two sliders set :math:`\\theta` and the nudge :math:`\\Delta\\theta`;
the label shows the ratio of changes :math:`\\Delta C / \\Delta\\theta` beside the derivative, so the
learner sees the ratio approach the slope as the nudge shrinks.
"""

import numpy as np
import ipywidgets as w

from ._common import fmt, new_figure, to_png

#: Number of points on which the cost curve is drawn.
CURVE_POINTS = 241


class NudgeExplorer:
    """Sliders for a parameter :math:`\\theta` and a nudge :math:`\\Delta\\theta`; a plot of the cost.

    After every change of a slider (wired with ``observe``) the explorer recomputes

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
    cost, slope, change, ratio, predicted : float
        :math:`C(\\theta)`, :math:`C'(\\theta)`, :math:`\\Delta C`, :math:`\\Delta C/\\Delta\\theta`,
        :math:`C'(\\theta)\\Delta\\theta` at the current slider values.
    redraws : int
        How many times the plot was rendered.
    figure : matplotlib.figure.Figure or None
        The figure last rendered into :attr:`image` (``None`` while nothing was drawn).

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

    def __init__(self, f, f_prime, theta=0.5, theta_range=(-4.0, 4.0), nudge=0.5,
                 name="C", parameter="θ", draw=True):
        for arg, value in (("f", f), ("f_prime", f_prime)):
            if not callable(value):
                raise TypeError(f"{arg} should be a function of θ, but it is a {type(value).__name__}.")
        try:
            low, high = (float(v) for v in theta_range)
        except (TypeError, ValueError):
            raise ValueError(
                f"theta_range should be a pair of numbers (low, high), got {theta_range!r}."
            ) from None
        if not low < high:
            raise ValueError(f"theta_range should have low < high, got ({low}, {high}).")
        if not low <= float(theta) <= high:
            raise ValueError(f"theta = {theta} is outside theta_range ({low}, {high}).")
        if not self.NUDGE_MIN <= float(nudge) <= self.NUDGE_MAX:
            raise ValueError(
                f"nudge = {nudge} is outside [{self.NUDGE_MIN}, {self.NUDGE_MAX}], the nudge slider's range."
            )
        self.f, self.f_prime = f, f_prime
        self.low, self.high = low, high
        self.name, self.parameter = name, parameter
        self.draw = bool(draw)
        self.redraws = 0
        self.figure = None

        self.theta_slider = w.FloatSlider(
            value=float(theta), min=low, max=high, step=(high - low) / 400,
            description=parameter, readout_format=".3f", continuous_update=True,
        )
        self.nudge_slider = w.FloatLogSlider(
            value=float(nudge), base=10, min=np.log10(self.NUDGE_MIN), max=np.log10(self.NUDGE_MAX),
            step=0.05, description=f"Δ{parameter}", readout_format=".3g", continuous_update=True,
        )
        self.label = w.HTML()
        self.image = w.Image(format="png")
        self.view = w.VBox([w.HBox([self.theta_slider, self.nudge_slider]), self.label, self.image])

        grid = np.linspace(low, high, CURVE_POINTS)  # (CURVE_POINTS,)
        self._grid, self._curve = grid, self._evaluate(grid)
        self.theta_slider.observe(self._on_change, names="value")
        self.nudge_slider.observe(self._on_change, names="value")
        self.update()

    def _evaluate(self, grid):
        try:
            values = np.asarray(self.f(grid), dtype=float)
            if values.shape == grid.shape:
                return values
        except (TypeError, ValueError):
            pass
        return np.array([float(self.f(float(t))) for t in grid])

    def _on_change(self, change):
        self.update()

    @property
    def theta(self):
        """The parameter's current value (the slider's)."""
        return float(self.theta_slider.value)

    @property
    def nudge(self):
        """The current nudge :math:`\\Delta\\theta` (the slider's)."""
        return float(self.nudge_slider.value)

    def update(self):
        """Recompute the numbers for the current sliders, rewrite the label, redraw the plot."""
        theta, nudge = self.theta, self.nudge
        self.cost = float(self.f(theta))
        self.slope = float(self.f_prime(theta))
        self.change = float(self.f(theta + nudge)) - self.cost
        self.ratio = self.change / nudge
        self.predicted = self.slope * nudge
        p, c = self.parameter, self.name
        self.label.value = (
            f"<b>{c}({p})</b> = {fmt(self.cost)} &nbsp;·&nbsp; nudge Δ{p} = {fmt(nudge)} changes "
            f"{c} by Δ{c} = {fmt(self.change)}<br>"
            f"ratio of changes Δ{c}/Δ{p} = <b>{fmt(self.ratio, 6)}</b> &nbsp;·&nbsp; "
            f"derivative d{c}/d{p} = <b>{fmt(self.slope, 6)}</b> &nbsp;·&nbsp; "
            f"the tangent predicts Δ{c} ≈ d{c}/d{p} · Δ{p} = {fmt(self.predicted)}"
        )
        if self.draw:
            self._redraw()

    def _redraw(self):
        theta, nudge = self.theta, self.nudge
        fig, ax = new_figure(7.0, 3.6)
        ax.plot(self._grid, self._curve, color="0.2", lw=2, label=f"{self.name}({self.parameter})")
        span = (self.high - self.low) / 4
        t = np.array([theta - span, theta + span])  # (2,)
        ax.plot(t, self.cost + self.slope * (t - theta), color="tab:blue", lw=1.5,
                label=f"tangent, slope {fmt(self.slope, 3)}")
        ax.plot([theta, theta + nudge], [self.cost, self.cost + self.change], color="tab:orange",
                lw=1.5, marker="o", label=f"secant, slope {fmt(self.ratio, 3)}")
        ax.plot([theta], [self.cost], "o", color="tab:blue", ms=7)
        ax.set_xlim(self.low, self.high)
        pad = 0.1 * (float(np.ptp(self._curve)) or 1.0)
        ax.set_ylim(float(self._curve.min()) - pad, float(self._curve.max()) + pad)
        ax.set_xlabel(f"parameter {self.parameter}")
        ax.set_ylabel(f"cost {self.name}({self.parameter})")
        ax.set_title(
            f"{self.name}({self.parameter}) near {self.parameter} = {fmt(theta)}: "
            f"tangent and secant for Δ{self.parameter} = {fmt(nudge)}"
        )
        ax.legend(loc="best", fontsize=8)
        self.image.value = to_png(fig)
        self.figure = fig
        self.redraws += 1
