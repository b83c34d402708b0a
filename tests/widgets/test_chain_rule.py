"""NudgeExplorer, driven without a kernel: set a slider's value, check what was computed."""

import numpy as np
import pytest

from course_pkg.widgets.chain_rule import NudgeExplorer

#: Float tolerance for quantities computed from a handful of operations.
TOL = 1e-12


def square(t):
    return t**2


def square_prime(t):
    return 2 * t


@pytest.fixture
def explorer():
    return NudgeExplorer(square, square_prime, theta=1.0, theta_range=(-3.0, 3.0), nudge=0.5)


def test_initial_state_is_computed_and_drawn(explorer):
    assert explorer.cost == 1.0 and explorer.slope == 2.0
    assert explorer.change == pytest.approx(1.25, abs=TOL)  # (1.5)² − 1²
    assert explorer.ratio == pytest.approx(2.5, abs=TOL)
    assert explorer.redraws == 1
    assert explorer.image.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_moving_theta_recomputes_cost_slope_and_label(explorer):
    explorer.theta_slider.value = -2.0
    assert explorer.cost == 4.0 and explorer.slope == -4.0
    # for t², the secant slope is exactly 2θ + Δθ
    assert explorer.ratio == pytest.approx(2 * -2.0 + 0.5, abs=TOL)
    assert explorer.predicted == pytest.approx(-4.0 * 0.5, abs=TOL)
    assert "−4" in explorer.label.value and "C(θ)" in explorer.label.value
    assert explorer.redraws == 2


def test_the_ratio_of_changes_converges_to_the_slope(explorer):
    gaps = []
    for nudge in (1.0, 0.1, 0.01, 0.001):
        explorer.nudge_slider.value = nudge
        gaps.append(abs(explorer.ratio - explorer.slope))
    assert gaps == pytest.approx([1.0, 0.1, 0.01, 0.001], rel=1e-6)  # the gap is exactly Δθ for t²


def test_the_plot_has_a_title_and_labelled_axes_that_follow_the_sliders(explorer):
    explorer.theta_slider.value = -2.0
    explorer.nudge_slider.value = 0.1
    ax = explorer.figure.axes[0]
    assert ax.get_xlabel() == "parameter θ" and ax.get_ylabel() == "cost C(θ)"
    assert "θ = −2" in ax.get_title() and "Δθ = 0.1" in ax.get_title()


def test_the_plot_changes_with_the_slider(explorer):
    before = explorer.image.value
    explorer.theta_slider.value = 2.0
    assert explorer.image.value != before


def test_draw_false_computes_without_rendering():
    ex = NudgeExplorer(np.sin, np.cos, theta=0.0, nudge=0.001, draw=False)
    ex.theta_slider.value = 1.0
    assert ex.redraws == 0 and ex.image.value == b"" and ex.figure is None
    assert ex.slope == pytest.approx(np.cos(1.0), abs=TOL)
    assert ex.ratio == pytest.approx(np.cos(1.0), abs=1e-3)


def test_a_function_that_is_not_vectorised_is_plotted_point_by_point():
    import math

    ex = NudgeExplorer(math.sin, math.cos, theta=0.5, theta_range=(-1.0, 1.0))
    assert ex.redraws == 1 and ex.cost == pytest.approx(math.sin(0.5), abs=TOL)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(f=1.0), TypeError, "f must be a function"),
        (dict(f_prime="cos"), TypeError, "f_prime must be a function"),
        (dict(theta_range=(2.0, 1.0)), ValueError, "low < high"),
        (dict(theta_range="wide"), ValueError, "pair of numbers"),
        (dict(theta=9.0), ValueError, "theta must lie inside theta_range"),
        (dict(nudge=5.0), ValueError, "nudge slider's range"),
    ],
)
def test_invalid_arguments_are_named(kwargs, error, message):
    args = dict(f=square, f_prime=square_prime, theta=1.0, theta_range=(-3.0, 3.0), nudge=0.5, draw=False)
    args.update(kwargs)
    with pytest.raises(error, match=message):
        NudgeExplorer(**args)


def _pixels(frame):
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(bytes(frame))))


def test_slider_moves_update_the_one_figure_in_place(explorer):
    figure, lines = explorer.figure, list(explorer.figure.axes[0].lines)
    for theta in (-2.0, 0.0, 2.5):
        explorer.theta_slider.value = theta
    explorer.nudge_slider.value = 0.01
    assert explorer.figure is figure and list(explorer.figure.axes[0].lines) == lines
    assert explorer.redraws == 5 and explorer.full_redraws == 1  # one full render, then blits


def test_a_blitted_frame_is_the_full_render_of_the_same_state(explorer):
    explorer.theta_slider.value = -1.3
    explorer.nudge_slider.value = 0.2
    blitted = _pixels(explorer.image.value)
    explorer.invalidate()
    assert np.array_equal(blitted, _pixels(explorer.redraw()))
