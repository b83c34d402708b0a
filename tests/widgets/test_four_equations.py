"""Notebook 04's widget, driven without a kernel: the four equations' numbers, BP2's terms, the drawing."""

import math

import numpy as np
import pytest

from course_pkg import network
from course_pkg.widgets import four_equations as fe
from course_pkg.widgets.four_equations import DEFAULT_NETWORK, ErrorFlow, bp2_terms, forward_and_errors

#: Agreement with the course's vectorised backprop (same arithmetic, different order).
GRAD_TOL = 1e-12
FD_STEP = 1e-6
FD_TOL = 1e-7


def _reference(weights, biases, x, y):
    return network.gradients(weights, biases, np.array([x]), np.array([y]), hidden="relu",
                             output="sigmoid", loss="half_squared_error")


def _cost(weights, biases, x, y):
    return network.network_cost(weights, biases, np.array([x]), np.array([y]), hidden="relu", output="sigmoid")


@pytest.mark.parametrize("seed", range(5))
def test_numbers_agree_with_course_backprop_on_random_networks(seed):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=(3, 2)), rng.normal(size=(2, 3))]
    biases = [rng.normal(size=3), rng.normal(size=2)]
    x, y = rng.uniform(-2, 2, size=2), rng.uniform(0, 1, size=2)
    n = forward_and_errors(weights, biases, x, y)
    cost, dW, db = _reference(weights, biases, x, y)
    assert n.cost == pytest.approx(cost, abs=GRAD_TOL)
    for l in range(2):
        np.testing.assert_allclose(n.dweights[l], dW[l], atol=GRAD_TOL)
        np.testing.assert_allclose(n.dbiases[l], db[l], atol=GRAD_TOL)
        np.testing.assert_allclose(n.errors[l], db[l], atol=GRAD_TOL)  # BP3: dc/db = e


def test_a_weight_gradient_matches_a_central_difference():
    weights, biases, x, y = DEFAULT_NETWORK
    n = forward_and_errors(weights, biases, x, y)
    up = [w.copy() for w in weights]
    down = [w.copy() for w in weights]
    up[0][0, 1] += FD_STEP
    down[0][0, 1] -= FD_STEP
    fd = (_cost(up, biases, x, y) - _cost(down, biases, x, y)) / (2 * FD_STEP)
    assert n.dweights[0][0, 1] == pytest.approx(fd, abs=FD_TOL)


def test_bp2_terms_add_up_to_the_error_and_an_off_relu_gives_zero():
    weights, biases, x, y = DEFAULT_NETWORK
    n = forward_and_errors(weights, biases, x, y)
    for j in range(3):
        t = bp2_terms(weights, n, j)
        assert [k for k, *_ in t.terms] == [0, 1]
        for k, w, e, term in t.terms:
            assert (w, e) == (weights[1][k, j], n.errors[1][k]) and term == pytest.approx(w * e)
        assert t.total == pytest.approx(sum(term for *_, term in t.terms))
        assert t.error == pytest.approx(n.errors[0][j], abs=GRAD_TOL)
    off = bp2_terms(weights, n, 1)
    assert n.zs[0][1] < 0 and off.g_prime == 0.0 and off.error == 0.0 and off.total != 0.0
    assert math.copysign(1.0, off.error) == 1.0  # shown as 0, not −0


def test_the_convention_g_prime_of_zero_is_zero():
    """A hidden neuron with z = 0 exactly gets g′ = 0, so its error and its weights' gradients are 0."""
    weights, biases, x, y = DEFAULT_NETWORK
    biases = [biases[0].copy(), biases[1]]
    biases[0][0] = -(weights[0][0] @ x)  # z_1^[1] = 0 exactly
    n = forward_and_errors(weights, biases, x, y)
    assert n.zs[0][0] == 0.0
    assert bp2_terms(weights, n, 0).g_prime == 0.0
    assert n.errors[0][0] == 0.0 and not np.any(n.dweights[0][0])


def test_bp4_is_an_outer_product_with_the_shape_of_w():
    weights, biases, x, y = DEFAULT_NETWORK
    n = forward_and_errors(weights, biases, x, y)
    for l in range(2):
        assert n.dweights[l].shape == weights[l].shape
        np.testing.assert_array_equal(n.dweights[l], np.outer(n.errors[l], n.activations[l]) + 0.0)


def test_picking_a_neuron_lights_its_outgoing_weights_and_the_caption_adds_the_terms():
    flow = ErrorFlow()
    assert flow.full_redraws == 1 and flow.redraws == 1
    for j in range(3):
        flow.controls["neuron"].value = j
        assert flow.neuron == j and flow.lit == [(2, 0, j), (2, 1, j)]
        assert flow.bp2 == bp2_terms(flow.weights, flow.numbers, j)
        assert f"hidden neuron {j + 1}" in flow.label.value
        for term in flow.bp2.terms:
            assert fe.fmt(term[1], 3) in flow.label.value
        visible = {edge for edge, halo in flow._halo.items() if halo.get_visible()}
        assert visible == set(flow.lit)
        shown = {edge for edge, text in flow._term_text.items() if text.get_visible()}
        assert shown == set(flow.lit)
    assert flow.full_redraws == 1  # the figure is built once; later frames only blit
    assert flow.redraws == 1 + 2  # the value 0 was already selected: two changes, two frames
    assert bytes(flow.image.value[:8]) == b"\x89PNG\r\n\x1a\n"


def test_moving_an_input_until_a_relu_switches_off_silences_its_weights():
    flow = ErrorFlow(draw=False)
    flow.controls["neuron"].value = 0
    assert flow.bp2.g_prime == 1.0
    flow.controls["x1"].value = -1.0  # z_1^[1] = 0.6 * (-1) - 0.4 * (-0.5) + 0.1 = -0.3
    assert flow.numbers.zs[0][0] < 0
    assert flow.bp2.g_prime == 0.0 and flow.bp2.error == 0.0
    assert not np.any(flow.numbers.dweights[0][0])  # BP4: no gradient into a neuron whose error is 0
    assert not np.any(flow.numbers.dweights[1][:, 0])  # a_1^[1] = 0: no gradient out of it either
    assert "off" in flow.caption()
    assert flow.redraws == 0 and flow.image.value == b""


def test_edges_are_coloured_by_the_sign_of_their_gradient_and_nodes_labelled():
    flow = ErrorFlow()
    for (l, j, k), line in flow._line.items():
        grad = flow.numbers.dweights[l - 1][j, k]
        expected = fe.POSITIVE if grad > 0 else fe.NEGATIVE if grad < 0 else "0.75"
        assert line.get_color() == expected
        assert fe.fmt(grad, 2) in flow._edge_text[(l, j, k)].get_text()
    text = flow._node[(2, 1)].get_text()
    assert fe.fmt(flow.numbers.errors[1][1], 3) in text and "z =" in text and "a =" in text


def test_notation_picture_labels_two_weights_with_their_array_entries():
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    fe.draw_notation(ax)
    texts = [t.get_text() for t in ax.texts]
    assert any("weights[0][1, 0]" in t and "w^{[1]}_{21}" in t for t in texts)
    assert any("weights[1][0, 2]" in t and "w^{[2]}_{13}" in t for t in texts)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"x": [5.0, 0.0]}, ValueError, "x must lie in"),
        ({"x": [1.0, 0.0, 2.0]}, ValueError, "x must hold 2 numbers"),
        ({"y": [1.0]}, ValueError, "y must hold 2 numbers"),
        ({"weights": [np.zeros((2, 2)), np.zeros((2, 2))], "biases": [np.zeros(2), np.zeros(2)]},
         ValueError, "2-3-2 network"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        ErrorFlow(draw=False, **kwargs)


def test_bp2_terms_refuses_a_neuron_that_is_not_hidden():
    n = forward_and_errors(*DEFAULT_NETWORK)
    with pytest.raises(ValueError, match="j must be a hidden neuron"):
        bp2_terms(DEFAULT_NETWORK[0], n, 3)


def _pixels(png):
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(bytes(png))).convert("RGB"))


def test_a_blitted_frame_is_the_full_render_of_the_same_state():
    """Every node, edge and label is a dynamic artist: a blitted frame equals a full redraw."""
    flow = ErrorFlow()
    figure = flow.figure
    flow.controls["neuron"].value = 2
    flow.controls["x1"].value = -0.4  # neuron 2 on, neuron 3 off: every colour and label changes
    assert flow.figure is figure and flow.full_redraws == 1
    blitted = _pixels(flow.image.value)
    flow.invalidate()
    assert np.array_equal(blitted, _pixels(flow.redraw()))
    assert flow.full_redraws == 2
