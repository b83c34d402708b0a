"""The activation explorer, driven without a kernel: set a control, check what was computed."""

import numpy as np
import pytest

from course_pkg import activations as ref
from course_pkg.widgets.activations import (
    SATURATION_FRACTION,
    ActivationExplorer,
    saturation_regions,
)

#: Saturation boundaries are refined by bisection: this close to the analytic value.
BOUNDARY_TOL = 1e-6


def test_sigmoid_boundary_matches_the_analytic_value():
    # sigma'(z) = 0.25 * fraction  <=>  s(1 - s) = 0.25 f  <=>  s = (1 + sqrt(1 - f)) / 2
    s = (1 + np.sqrt(1 - SATURATION_FRACTION)) / 2
    edge = np.log(s / (1 - s))
    (lo1, hi1), (lo2, hi2) = saturation_regions("sigmoid")
    assert lo1 == -8.0 and hi2 == 8.0
    assert abs(hi1 + edge) < BOUNDARY_TOL and abs(lo2 - edge) < BOUNDARY_TOL


def test_tanh_boundary_matches_the_analytic_value():
    edge = np.arctanh(np.sqrt(1 - SATURATION_FRACTION))
    (_, hi1), (lo2, _) = saturation_regions("tanh")
    assert abs(hi1 + edge) < BOUNDARY_TOL and abs(lo2 - edge) < BOUNDARY_TOL


def test_relu_is_dead_left_of_zero_only():
    assert saturation_regions("relu") == [(-8.0, 0.0)]


@pytest.mark.parametrize(
    "kwargs, message",
    [({"name": "softplus"}, "name must be one of"),
     ({"name": "tanh", "z_range": (1, 1)}, "lo < hi"),
     ({"name": "tanh", "fraction": 1.5}, "fraction")],
)
def test_saturation_regions_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        saturation_regions(**kwargs)


def test_setting_the_controls_recomputes_value_and_slope():
    explorer = ActivationExplorer()
    for name, max_slope in [("sigmoid", 0.25), ("tanh", 1.0), ("relu", 1.0)]:
        explorer.activation_dropdown.value = name
        g = getattr(ref, name)
        g_prime = getattr(ref, f"{name}_prime")
        for z in (-6.0, 0.0, 0.7):
            explorer.z_slider.value = z
            assert explorer.activation == name and explorer.z == z
            assert explorer.value == g(z) and explorer.slope == g_prime(z)
            assert explorer.saturated == (g_prime(z) < SATURATION_FRACTION * max_slope)


def test_label_names_the_state_and_each_change_redraws_once():
    explorer = ActivationExplorer("tanh", z=3.0)
    assert "saturated" in explorer.label.value and explorer.saturated
    before = explorer.redraws
    explorer.activation_dropdown.value = "relu"
    assert explorer.redraws == before + 1
    assert "dead" not in explorer.label.value  # z = 3 is on ReLU's live side
    explorer.z_slider.value = -1.0
    assert "dead" in explorer.label.value
    assert explorer.image.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_constructor_rejects_bad_arguments():
    with pytest.raises(ValueError, match="activation must be one of"):
        ActivationExplorer("swish")
    with pytest.raises(ValueError, match="z must lie in"):
        ActivationExplorer(z=100.0)


def _pixels(frame):
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(bytes(frame))))


def test_z_moves_blit_and_a_new_activation_re_renders_the_curves_once():
    explorer = ActivationExplorer("sigmoid", z=0.0)
    figure = explorer.figure
    left, right = figure.axes
    for z in (-3.0, 1.0, 4.5):
        explorer.z_slider.value = z
    assert explorer.full_redraws == 1 and explorer.redraws == 4
    explorer.activation_dropdown.value = "relu"
    assert explorer.figure is figure and explorer.full_redraws == 2
    curve = left.lines[2]  # after the two axis lines
    assert np.array_equal(curve.get_ydata(), ref.relu(curve.get_xdata()))
    assert left.get_ylim()[1] > 8.0 and right.get_ylim()[1] < 1.1
    assert len(left.patches) == len(right.patches) == 1  # one dead region, the sigmoid's two gone
    assert "relu" in left.get_title()


def test_a_blitted_frame_is_the_full_render_of_the_same_state():
    explorer = ActivationExplorer("tanh", z=0.0)
    explorer.z_slider.value = -2.5
    blitted = _pixels(explorer.image.value)
    explorer.invalidate()
    assert np.array_equal(blitted, _pixels(explorer.redraw()))


def test_draw_false_computes_the_state_without_a_figure():
    explorer = ActivationExplorer("relu", z=-1.0, draw=False)
    assert explorer.saturated and explorer.figure is None and explorer.redraws == 0
