"""The path explorer, driven without a kernel: pick a parameter, move x, check what was computed."""

import math

import numpy as np
import pytest

from course_pkg import paths
from course_pkg.widgets._common import fmt as _fmt
from course_pkg.widgets.scalar_network import DEFAULT_NETWORK, PARAMETER_LABELS, PathExplorer

#: The lit path's product against the course's vectorised backprop.
GRAD_TOL = 1e-12
FD_STEP = 1e-6
FD_TOL = 1e-6


def test_every_parameter_lights_its_own_path_and_the_product_is_the_gradient():
    explorer = PathExplorer()
    x, y, thetas, biases = DEFAULT_NETWORK
    for label, name in PARAMETER_LABELS.items():
        explorer.parameter_dropdown.value = name
        assert explorer.parameter == name
        assert explorer.path == paths.backward_path(name, 3)
        assert len(explorer.factors) == len(explorer.path)
        assert explorer.gradient == pytest.approx(np.prod(explorer.factors), abs=GRAD_TOL)
        assert abs(explorer.gradient - explorer.reference) < GRAD_TOL
        assert label in explorer.label.value


def test_the_lit_gradient_matches_a_central_difference():
    explorer = PathExplorer()
    explorer.parameter_dropdown.value = "b1"
    x, y, thetas, biases = DEFAULT_NETWORK
    up = paths.forward_values(x, y, thetas, (biases[0] + FD_STEP, *biases[1:]))["C"]
    down = paths.forward_values(x, y, thetas, (biases[0] - FD_STEP, *biases[1:]))["C"]
    assert explorer.gradient == pytest.approx((up - down) / (2 * FD_STEP), rel=FD_TOL)


def test_moving_x_until_a_relu_switches_off_zeroes_the_long_paths():
    explorer = PathExplorer()
    explorer.parameter_dropdown.value = "theta1"
    assert explorer.gradient != 0.0
    before = explorer.redraws
    explorer.x_slider.value = -1.0  # z1 = 0.8 * (-1) + 0.1 < 0: the first ReLU is off
    assert explorer.redraws == before + 1
    assert explorer.values["z1"] < 0
    assert 0.0 in explorer.factors and explorer.gradient == 0.0 == explorer.reference
    assert math.copysign(1.0, explorer.gradient) == 1.0  # shown as 0, not −0
    assert "<b>0</b>" in explorer.label.value
    explorer.parameter_dropdown.value = "b3"  # the short path does not pass through that ReLU
    assert explorer.gradient != 0.0
    assert explorer.image.value[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"x": 5.0}, ValueError, "x must lie in"),
        ({"thetas": (1.0, 2.0), "biases": (0.0, 0.0)}, ValueError, "thetas must hold 3 numbers"),
        ({"thetas": (1.0, 2.0, 3.0), "biases": (0.0,)}, ValueError, "one of each per layer"),
        ({"y": "1"}, TypeError, "y should be a finite real number"),
    ],
)
def test_constructor_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        PathExplorer(**kwargs)


def _pixels(frame):
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(bytes(frame))))


def test_x_moves_blit_and_a_new_parameter_relights_the_path_once():
    explorer = PathExplorer()
    figure = explorer.figure
    for x in (-1.0, 0.5, 1.0):
        explorer.x_slider.value = x
    assert explorer.full_redraws == 1 and explorer.redraws == 4
    explorer.parameter_dropdown.value = "b3"
    assert explorer.figure is figure and explorer.full_redraws == 2
    shown = {edge for edge, arrow in explorer._lit_arrows.items() if arrow.get_visible()}
    assert shown == {(lower, upper) for upper, lower in explorer.path}
    labels = {edge: text.get_text() for edge, text in explorer._edge_labels.items() if text.get_visible()}
    assert labels[("z3", "y_hat")] == _fmt(explorer.local[("y_hat", "z3")], 3)


def test_a_blitted_frame_is_the_full_render_of_the_same_state():
    explorer = PathExplorer()
    explorer.parameter_dropdown.value = "theta1"
    explorer.x_slider.value = -0.5
    blitted = _pixels(explorer.image.value)
    explorer.invalidate()
    assert np.array_equal(blitted, _pixels(explorer.redraw()))


def test_draw_false_computes_the_state_without_a_figure():
    explorer = PathExplorer(draw=False)
    explorer.x_slider.value = -1.0
    assert explorer.figure is None and explorer.redraws == 0
    assert explorer.gradient == explorer.reference
