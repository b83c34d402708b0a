"""The graph explorer, driven without a kernel: its numbers against run_program, its fan-out sums,
its refusals, and its frames (blitted in place, equal to a full render)."""

import io
import math

import numpy as np
import pytest

from course_pkg.autodiff import run_program
from course_pkg.widgets._common import fmt
from course_pkg.widgets.beyond import DEFAULT_INPUTS, DEFAULT_PROGRAM, MAX_INPUTS, MAX_STEPS, GraphExplorer

#: Our graph's numbers against run_program's (the same float operations, in the same order).
GRAD_TOL = 1e-12
FD_STEP = 1e-6
FD_TOL = 1e-6

#: Fan-out twice: x feeds three edges (u once, q twice), u feeds two steps (v and y).
FANOUT_PROGRAM = [["u", "mul", ["x", "w"]], ["v", "tanh", ["u"]], ["q", "mul", ["x", "x"]],
                  ["y", "add", ["u", "v"]], ["o", "add", ["y", "q"]]]
FANOUT_INPUTS = {"x": 1.5, "w": 0.5}


def _forward(program, inputs):
    """Every node's value by plain Python arithmetic (independent of autodiff.Value)."""
    values = dict(inputs)
    for name, op, args in program:
        a = [values[x] for x in args]
        values[name] = {"add": lambda: a[0] + a[1], "mul": lambda: a[0] * a[1], "tanh": lambda: math.tanh(a[0]),
                        "exp": lambda: math.exp(a[0]), "relu": lambda: max(a[0], 0.0)}[op]()
    return values


def test_default_is_one_neuron_and_every_value_and_grad_is_run_programs():
    g = GraphExplorer(draw=False)
    assert set(g.controls) == set(DEFAULT_INPUTS)
    reference = run_program([list(step) for step in DEFAULT_PROGRAM], DEFAULT_INPUTS)
    assert g.output == "y"
    assert g.value == pytest.approx(reference["value"], abs=GRAD_TOL)
    assert g.value == pytest.approx(math.tanh(0.8 * 1.0 + (-1.2) * (-0.5) + 0.1), abs=GRAD_TOL)
    assert g.values == pytest.approx(_forward(DEFAULT_PROGRAM, DEFAULT_INPUTS), abs=GRAD_TOL)
    assert set(g.grads) == set(reference["grads"])
    for name, grad in reference["grads"].items():
        assert g.grads[name] == pytest.approx(grad, abs=GRAD_TOL), name
    assert g.fanout == {}  # one neuron: every value is used once
    for x in DEFAULT_INPUTS:  # the caption states every input's gradient
        assert f"∂y/∂{x} = {fmt(g.grads[x])}" in g.label.value
    assert f"y = {fmt(g.value)}" in g.label.value


def test_an_inputs_grad_is_its_central_difference():
    g = GraphExplorer(FANOUT_PROGRAM, FANOUT_INPUTS, draw=False)
    for x in FANOUT_INPUTS:
        up = _forward(FANOUT_PROGRAM, {**FANOUT_INPUTS, x: FANOUT_INPUTS[x] + FD_STEP})["o"]
        down = _forward(FANOUT_PROGRAM, {**FANOUT_INPUTS, x: FANOUT_INPUTS[x] - FD_STEP})["o"]
        assert g.grads[x] == pytest.approx((up - down) / (2 * FD_STEP), rel=FD_TOL)


def test_columns_by_depth_inputs_left_output_right():
    g = GraphExplorer(draw=False)
    assert {g.depth[x] for x in DEFAULT_INPUTS} == {0}
    assert (g.depth["p1"], g.depth["s"], g.depth["z"], g.depth["y"]) == (1, 2, 3, 4)
    assert g.position["y"][0] == max(px for px, _ in g.position.values())
    assert len(set(g.position.values())) == len(g.position)  # no two boxes at one place
    # an output shallower than a dead step still goes to the last column
    dead = GraphExplorer([["a", "exp", ["x"]], ["b", "exp", ["a"]], ["y", "relu", ["x"]]], {"x": 0.5}, draw=False)
    assert dead.depth["y"] == dead.depth["b"] == 2 and dead.grads["b"] == 0.0


def test_moving_a_slider_recomputes_the_grads_and_redraws_in_place():
    g = GraphExplorer()
    figure, before = g.figure, dict(g.grads)
    assert g.redraws == 1 and g.full_redraws == 1
    for k, v in enumerate((-1.5, 0.35, 2.0), start=2):
        g.controls["x1"].value = v
        assert g.redraws == k
    assert g.figure is figure and g.full_redraws == 1
    assert g.grads["w1"] != before["w1"] and g.grads["x1"] != before["x1"]
    inputs = {**DEFAULT_INPUTS, "x1": 2.0}
    for name, grad in run_program([list(s) for s in DEFAULT_PROGRAM], inputs)["grads"].items():
        assert g.grads[name] == pytest.approx(grad, abs=GRAD_TOL)
    assert g._node_text["w1"].get_text() == f"data {fmt(0.8, 3)}\n∂y/∂w1 {fmt(g.grads['w1'], 3)}"
    assert f"∂y/∂w1 = {fmt(g.grads['w1'])}" in g.label.value
    assert g.image.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_fanout_caption_names_each_path_and_their_sum_is_the_nodes_grad():
    g = GraphExplorer(FANOUT_PROGRAM, FANOUT_INPUTS)
    assert set(g.fanout) == {"x", "u"}
    assert [(s, k) for s, k, _ in g.fanout["u"]] == [("v", 0), ("y", 0)]
    assert [(s, k) for s, k, _ in g.fanout["x"]] == [("u", 0), ("q", 0), ("q", 1)]
    x, w = FANOUT_INPUTS["x"], FANOUT_INPUTS["w"]
    flows = dict(((s, k), c) for s, k, c in g.fanout["x"])
    assert flows[("u", 0)] == pytest.approx(w * g.grads["u"], abs=GRAD_TOL)  # ∂u/∂x = w
    assert flows[("q", 0)] == flows[("q", 1)] == pytest.approx(x, abs=GRAD_TOL)  # ∂(x·x)/∂x, one x each
    for node, uses in g.fanout.items():
        assert sum(c for _, _, c in uses) == pytest.approx(g.grads[node], abs=GRAD_TOL)
        assert g.grads[node] == pytest.approx(run_program(FANOUT_PROGRAM, FANOUT_INPUTS)["grads"][node], abs=GRAD_TOL)
    caption = g.label.value
    assert "SUM" in caption
    assert f"[u → v] {fmt(g.fanout['u'][0][2])} + [u → y] {fmt(g.fanout['u'][1][2])} = <b>{fmt(g.grads['u'])}</b>" \
        in caption
    assert "[x → q (argument 1)]" in caption and "[x → q (argument 2)]" in caption
    # the flow along each fan-out edge is drawn, and moves with the slider
    assert g._flow_text[("u", "v", 0)].get_text() == fmt(g.fanout["u"][0][2], 3)
    g.controls["w"].value = -1.0
    assert g._flow_text[("u", "v", 0)].get_text() == fmt(g.fanout["u"][0][2], 3)
    assert sum(c for _, _, c in g.fanout["u"]) == pytest.approx(g.grads["u"], abs=GRAD_TOL)
    assert g.full_redraws == 1


def test_an_overflow_is_reported_not_raised():
    g = GraphExplorer([["a", "exp", ["x"]], ["b", "exp", ["a"]], ["y", "exp", ["b"]]], {"x": 0.0})
    assert g.error is None and g.value == pytest.approx(math.exp(math.e))
    g.controls["x"].value = 2.0  # exp(exp(exp(2))) = exp(1618): no float holds it
    assert g.error is not None and "overflowed" in g.label.value and math.isnan(g.value)
    g.controls["x"].value = 0.5
    assert g.error is None and g.grads["x"] > 0


@pytest.mark.parametrize(
    "args, message",
    [
        (([["y", "sin", ["x"]]], {"x": 1.0}), r"op must be one of"),
        (([["y", "add", ["x", "z"]]], {"x": 1.0}), r"uses 'z', which is neither an input"),
        (([["y", "add", ["x"]]], {"x": 1.0}), r"add takes 2 argument"),
        (([["x", "tanh", ["x"]]], {"x": 1.0}), r"step 0 must have a new name"),
        (([], {"x": 1.0}), r"program must be a non-empty list"),
        (([["y", "tanh", [["x"]]]], {"x": 1.0}), r"program must be a list of steps"),
        (([["y", "tanh", ["x0"]]], {f"x{i}": 0.0 for i in range(MAX_INPUTS + 1)}), rf"at most {MAX_INPUTS}"),
        (([["y", "tanh", ["x"]]], {}), r"inputs must be a non-empty dict"),
        (([["y", "tanh", ["x"]]], {"x": "1"}), r"inputs must map names to numbers"),
        (([["y", "tanh", ["x"]]], {"x": 5.0}), r"inputs\['x'\] must lie in \[−2, 2\].*got 5.0"),
        (([["y", "tanh", ["x"]]], {"x": math.nan}), r"inputs\['x'\] must lie in"),
        (([["y", "tanh", ["x"]]], None), r"inputs must be a dict .*got None"),
        ((None, {"x": 1.0}), r"program must be given with inputs"),
        (([[f"s{i}", "tanh", ["x"]] for i in range(MAX_STEPS + 1)], {"x": 1.0}), rf"at most {MAX_STEPS} steps"),
    ],
)
def test_bad_programs_and_inputs_are_refused_naming_the_argument(args, message):
    with pytest.raises(ValueError, match=message):
        GraphExplorer(*args, draw=False)


def test_an_input_named_self_is_a_slider_like_any_other():
    g = GraphExplorer([["y", "mul", ["self", "self"]]], {"self": 1.5}, draw=False)
    g.controls["self"].value = -2.0
    assert g.value == 4.0 and g.grads["self"] == -4.0


def _pixels(frame):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(bytes(frame))))


@pytest.mark.parametrize("program, inputs", [(None, None), (FANOUT_PROGRAM, FANOUT_INPUTS)])
def test_a_blitted_frame_is_the_full_render_of_the_same_state(program, inputs):
    g = GraphExplorer(program, inputs)
    first = _pixels(g.image.value)
    name = next(iter(g.controls))
    g.controls[name].value = -1.25
    blitted = _pixels(g.image.value)
    assert g.full_redraws == 1 and not np.array_equal(first, blitted)
    g.invalidate()
    assert np.array_equal(blitted, _pixels(g.redraw()))
    assert g.full_redraws == 2


def test_draw_false_computes_the_state_without_a_figure():
    g = GraphExplorer(draw=False)
    g.controls["b"].value = -1.0
    assert g.figure is None and g.redraws == 0
    assert g.grads["b"] == pytest.approx(1 - math.tanh(0.8 + 0.6 - 1.0) ** 2, abs=GRAD_TOL)
