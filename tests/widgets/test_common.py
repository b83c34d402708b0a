"""course_pkg.widgets._common: the widget base (controls → state → draw), the player, helpers."""

import asyncio
import io

import ipywidgets as ipw
import numpy as np
import pytest
from PIL import Image

from course_pkg.widgets import _common
from course_pkg.widgets._common import Player, Widget


class Line(Widget):
    """y = a z on z in [-1, 1]; the slope's value in the title; the y-limits are a control."""

    figsize = (3.0, 2.0)

    def __init__(self, a=1.0, *, draw=True):
        self.a0 = a
        self.updates = []
        super().__init__(draw=draw)

    def make_controls(self):
        self.a_slider = ipw.FloatSlider(value=self.a0, min=-2.0, max=2.0, step=0.1)
        self.zoom = ipw.Dropdown(options=[1.0, 2.0], value=2.0)
        return {"a": self.a_slider, "ylim": self.zoom}

    def update(self, a, ylim):
        self.updates.append((a, ylim))
        self.a, self.ylim = a, ylim
        self.z = np.linspace(-1.0, 1.0, 11)  # (11,)

    def caption(self):
        return f"slope {_common.fmt(self.a)}"

    def build(self, fig):
        self.ax = fig.subplots()
        self.ax.set_xlim(-1.0, 1.0)
        (self.line,) = self.ax.plot(self.z, self.a * self.z)
        self.title = self.ax.set_title("")
        return [self.line, self.title]

    def render(self):
        self.line.set_ydata(self.a * self.z)
        self.title.set_text(f"a = {self.a:.1f}")
        if self.ax.get_ylim() != (-self.ylim, self.ylim):
            self.ax.set_ylim(-self.ylim, self.ylim)  # static: the background must be re-rendered
            self.invalidate()


def pixels(frame):
    return np.asarray(Image.open(io.BytesIO(bytes(frame))))


def test_update_gets_every_control_value_by_name_and_the_caption_follows():
    line = Line(0.5, draw=False)
    line.a_slider.value = -1.0
    line.zoom.value = 1.0
    assert line.updates == [(0.5, 2.0), (-1.0, 2.0), (-1.0, 1.0)]
    assert line.label.value == "slope −1" and line.control_values == {"a": -1.0, "ylim": 1.0}


def test_draw_false_makes_no_figure_and_no_frame():
    line = Line(draw=False)
    line.a_slider.value = 0.3
    assert line.figure is None and line.redraws == 0 and bytes(line.image.value) == b""


def test_the_figure_is_built_once_and_slider_moves_only_blit():
    line = Line()
    figure, first = line.figure, bytes(line.image.value)
    assert first.startswith(b"\x89PNG") and (line.redraws, line.full_redraws) == (1, 1)
    for a in (0.1, 0.2, -1.5):
        line.a_slider.value = a
    assert line.figure is figure and len(figure.axes) == 1 and len(line.ax.lines) == 1
    assert (line.redraws, line.full_redraws) == (4, 1)
    assert bytes(line.image.value) != first and line.title.get_text() == "a = -1.5"


def test_a_blitted_frame_is_pixel_for_pixel_a_full_render_of_the_same_state():
    line = Line(1.0)
    line.a_slider.value = -0.7
    blitted = pixels(line.image.value)
    line.invalidate()
    full = pixels(line.redraw())
    assert line.full_redraws == 2
    assert blitted.shape == full.shape and np.array_equal(blitted, full)


def test_changing_something_static_re_renders_the_background():
    line = Line()
    line.zoom.value = 1.0
    assert line.full_redraws == 2 and line.ax.get_ylim() == (-1.0, 1.0)
    line.a_slider.value = 0.4
    assert line.full_redraws == 2


def test_widget_figures_are_not_registered_with_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    Line()
    assert plt.get_fignums() == before


def test_the_view_holds_the_controls_the_caption_and_the_image():
    line = Line(draw=False)
    row, label, image = line.view.children
    assert list(row.children) == [line.a_slider, line.zoom]
    assert label is line.label and image is line.image


@pytest.mark.parametrize("controls, message", [
    ({}, "non-empty dict"),
    ([ipw.FloatSlider()], "non-empty dict"),
    ({"a": ipw.Button()}, "control 'a' must be an ipywidgets control with a value"),
])
def test_make_controls_is_validated(controls, message):
    class Bad(Widget):
        def make_controls(self):
            return controls

    with pytest.raises(TypeError, match=message):
        Bad()


def test_a_subclass_that_forgets_update_is_told_what_to_define():
    class NoUpdate(Widget):
        def make_controls(self):
            return {"a": ipw.FloatSlider()}

    with pytest.raises(NotImplementedError, match="NoUpdate must define update"):
        NoUpdate()


def test_encode_png_is_the_canvas_pixels_losslessly():
    line = Line(0.3)
    canvas = line.figure.canvas
    expected = np.asarray(canvas.buffer_rgba())[..., :3]  # (height, width, 3)
    decoded = Image.open(io.BytesIO(_common.encode_png(canvas)))
    assert decoded.mode == "RGB" and decoded.size == (expected.shape[1], expected.shape[0])
    assert np.array_equal(np.asarray(decoded), expected)


def test_encode_png_rejects_what_is_not_an_agg_canvas():
    with pytest.raises(TypeError, match="canvas must be a FigureCanvasAgg; got str"):
        _common.encode_png("canvas")


# --- Player --------------------------------------------------------------------------------------

def play(player, until):
    """Press play inside an event loop, wait until ``until()``, press pause, let the task end."""
    async def main():
        player.button.value = True
        for _ in range(2000):
            if until():
                break
            await asyncio.sleep(0.001)
        player.button.value = False
        await asyncio.sleep(2 * player.interval)
    asyncio.run(main())


def test_the_player_steps_until_paused():
    calls = []
    player = Player(lambda: calls.append(1), interval=0.001)
    play(player, until=lambda: len(calls) >= 5)
    assert player.steps == len(calls) >= 5 and not player.playing
    assert player.button.icon == "play"


def test_the_event_loop_runs_other_work_between_steps():
    order = []
    player = Player(lambda: order.append("step"), interval=0.001)

    async def main():
        player.button.value = True
        for _ in range(3):
            await asyncio.sleep(0.002)
            order.append("other")
        player.button.value = False
    asyncio.run(main())
    assert "other" in order[:-1] and order.count("step") >= 2


def test_a_step_that_raises_stops_the_player_and_keeps_the_error():
    def step():
        raise ValueError("diverged")

    player = Player(step, interval=0.001)
    play(player, until=lambda: player.error is not None)
    assert isinstance(player.error, ValueError) and player.steps == 0
    assert player.button.value is False and "diverged" in player.button.tooltip


def test_starting_without_an_event_loop_says_so_and_resets_the_button():
    player = Player(lambda: None)
    with pytest.raises(RuntimeError, match="running event loop"):
        player.start()
    assert player.button.value is False


@pytest.mark.parametrize("kwargs, error, message", [
    ({"step": 3}, TypeError, "step must be a function"),
    ({"step": print, "interval": 0}, ValueError, "interval must be a positive number"),
])
def test_player_arguments_are_validated(kwargs, error, message):
    with pytest.raises(error, match=message):
        Player(**kwargs)


# --- helpers -------------------------------------------------------------------------------------

def test_png_bytes():
    fig, ax = _common.new_figure(2, 2)
    ax.plot([0, 1], [0, 1])
    assert _common.to_png(fig).startswith(b"\x89PNG")


@pytest.mark.parametrize("args, message", [((0, 2), "positive"), ((2, 2, 0), "ncols")])
def test_new_figure_validates(args, message):
    with pytest.raises(ValueError, match=message):
        _common.new_figure(*args)


def test_to_png_rejects_non_figures():
    with pytest.raises(TypeError, match="matplotlib Figure"):
        _common.to_png("figure")


def test_fmt_uses_a_real_minus_sign():
    assert _common.fmt(-1.5) == "−1.5"


def test_a_batch_of_control_changes_refreshes_once_at_the_end():
    line = Line()
    with line.batch():
        line.a_slider.value = -1.0
        line.zoom.value = 1.0
        assert line.updates[-1] == (1.0, 2.0) and line.redraws == 1  # nothing yet
    assert line.updates[-1] == (-1.0, 1.0) and len(line.updates) == 2 and line.redraws == 2


def test_an_empty_batch_does_not_refresh():
    line = Line()
    with line.batch():
        pass
    assert len(line.updates) == 1 and line.redraws == 1


# --- in a real kernel, driven the way JupyterLab drives it -----------------------------------------

KERNEL_WIDGET = '''
import ipywidgets as ipw
from course_pkg.widgets._common import Player, Widget

class Dot(Widget):
    figsize = (2.0, 2.0)

    def make_controls(self):
        return {"x": ipw.FloatSlider(value=0.0, min=-1.0, max=1.0, step=0.1)}

    def update(self, x):
        self.x = x

    def build(self, fig):
        ax = fig.subplots()
        ax.set_xlim(-1.0, 1.0)
        (self.dot,) = ax.plot([0.0], [0.0], "o")
        return [self.dot]

    def render(self):
        self.dot.set_xdata([self.x])

dot = Dot()
ticks = []
player = Player(lambda: ticks.append(1), interval=0.01)
print(dot.controls["x"].model_id, dot.image.model_id, player.button.model_id)
'''


@pytest.fixture(scope="module")
def kernel():
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    yield kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def _messages(kc, msg_id):
    """The iopub messages caused by the request ``msg_id``, until the kernel is idle again."""
    found = []
    while True:
        msg = kc.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return found
        found.append(msg)


def _run(kc, code):
    msgs = _messages(kc, kc.execute(code))
    errors = [m["content"] for m in msgs if m["msg_type"] == "error"]
    assert not errors, errors
    return "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream")


def _front_end_sets(kc, comm_id, value):
    msg = kc.session.msg("comm_msg", {
        "comm_id": comm_id, "data": {"method": "update", "state": {"value": value}, "buffer_paths": []}})
    kc.shell_channel.send(msg)
    return _messages(kc, msg["header"]["msg_id"])


def test_in_a_kernel_a_slider_message_sends_a_new_png_to_the_front_end(kernel):
    slider, image, _ = _run(kernel, KERNEL_WIDGET).split()
    frames = []
    for x in (0.5, -0.5):
        replies = _front_end_sets(kernel, slider, x)
        updates = [m for m in replies if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == image]
        assert len(updates) == 1, f"one image update per move; got {len(updates)}"
        assert updates[0]["content"]["data"]["buffer_paths"] == [["value"]]
        frames.append(bytes(updates[0]["buffers"][0]))
    assert all(f.startswith(b"\x89PNG") for f in frames) and frames[0] != frames[1]
    assert _run(kernel, "print(dot.x, dot.full_redraws, dot.redraws)").split() == ["-0.5", "1", "3"]


def test_in_a_kernel_the_player_steps_between_messages_and_stops_on_pause(kernel):
    _, _, button = _run(kernel, "print(dot.controls['x'].model_id, dot.image.model_id, player.button.model_id)").split()
    import time

    _front_end_sets(kernel, button, True)
    time.sleep(0.5)  # the kernel is idle: nothing but the player's task runs in it
    idle = int(_run(kernel, "print(len(ticks))"))
    assert idle >= 1, "the player never stepped while the kernel was idle"
    assert _run(kernel, "import asyncio\nawait asyncio.sleep(0.3)\nprint(len(ticks) > %d, player.playing)" % idle
                ).split() == ["True", "True"], "the player did not step while a cell awaited"
    _front_end_sets(kernel, button, False)
    stopped = int(_run(kernel, "await asyncio.sleep(0.1)\nprint(len(ticks))"))
    again = int(_run(kernel, "await asyncio.sleep(0.2)\nprint(len(ticks), player.playing)").split()[0])
    assert again == stopped, "the player kept stepping after pause"
