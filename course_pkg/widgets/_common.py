r"""The one base of every course widget: controls → state → draw, the figure built once.

A widget is a subclass of :class:`Widget` that says four things:

``make_controls()``
    The ipywidgets controls, as a dict ``{name: control}`` (sliders, dropdowns, an
    ``ipywidgets.Play``…). Called once. Every control's ``value`` is observed.
``update(**values)``
    The state: called with one keyword argument per control (its current ``value``) at start and
    after every change; it computes and stores plain attributes (numbers, arrays, strings) and
    draws nothing. This is what tests check, without a kernel and without a figure.
``caption()``
    The HTML shown above the plot, from the state.
``build(fig)`` and ``render()``
    ``build`` is called once, on the first draw: it makes the axes and the artists on ``fig`` (a
    :class:`matplotlib.figure.Figure` not registered with pyplot) and returns the *dynamic*
    artists, the ones ``render`` changes. ``render`` moves them to the current state with
    ``set_data``, ``set_text``, ``set_visible``…; it never makes a new figure.

The base does the rest. The static part of the figure (axes, ticks, curves that do not move) is
rendered once with matplotlib's Agg renderer and kept as a background; a redraw restores that
background, draws only the dynamic artists over it (blitting) and encodes the pixels as a PNG
for an ``ipywidgets.Image``, whose ``<img>`` the browser updates in place. If ``render`` changes
something static (axis limits, a curve that is not in the dynamic list), it calls
:meth:`Widget.invalidate` and that one redraw renders the whole figure again. ``draw=False``
computes the state and the caption and draws nothing. Constrained layout runs once, on the first
full render, and the layout then stays put (no re-layout per frame): text that ``render`` fills
in later needs a placeholder at build time (``ax.set_title(" ")``) so that room is kept for it.

No extra front-end extension is needed (an ``Image`` is a core ipywidget), the notebooks run
headless under nbclient, and a redraw costs a few milliseconds (``benchmarks/bench_widgets.py``).

A complete widget (it runs as is; a notebook shows it with ``widgets.show(Parabola, 2.0)``):

>>> import numpy as np
>>> import ipywidgets as ipw
>>> class Parabola(Widget):
...     '''y = a z², with the point at z = 1 marked.'''
...     figsize = (4.0, 3.0)
...
...     def __init__(self, a=1.0, *, draw=True):
...         self.a0 = float(a)          # validate and store the arguments first ...
...         super().__init__(draw=draw)  # ... then the base builds, observes, updates, draws
...
...     def make_controls(self):
...         return {"a": ipw.FloatSlider(value=self.a0, min=-2.0, max=2.0, description="a")}
...
...     def update(self, a):
...         self.a = a
...         self.z = np.linspace(-1.0, 1.0, 51)  # (51,)
...         self.y = a * self.z**2                # (51,)
...
...     def caption(self):
...         return f"y(1) = {fmt(self.a)}"
...
...     def build(self, fig):
...         ax = fig.subplots()
...         ax.set_xlim(-1.0, 1.0)
...         ax.set_ylim(-2.0, 2.0)
...         (self.curve,) = ax.plot(self.z, self.y)
...         (self.point,) = ax.plot([1.0], [self.a], "o")
...         return [self.curve, self.point]
...
...     def render(self):
...         self.curve.set_ydata(self.y)
...         self.point.set_ydata([self.a])
>>> p = Parabola(0.5)
>>> p.controls["a"].value = -1.5     # what the front end does when the slider moves
>>> p.caption(), p.redraws, p.full_redraws
('y(1) = −1.5', 2, 1)
>>> bytes(p.image.value[:4])
b'\x89PNG'

A widget that advances on its own (a training playground's play/pause) uses :class:`Player`: a
toggle button that calls a function every ``interval`` seconds from an asyncio task on the
kernel's event loop, so the kernel keeps answering the other controls between steps. The state
that evolves (weights, a step count) lives in attributes; ``update`` derives the rest from it
and from the controls; the button goes in the view, not among the controls::

    class Playground(Widget):
        def __init__(self, ...):
            ...                                   # the network, the data
            self.player = Player(self.advance, interval=0.05)
            super().__init__()

        def make_view(self):
            row = ipw.HBox([self.player.button, *self.controls.values()])
            return ipw.VBox([row, self.label, self.image])

        def advance(self):                        # one tick: a training step, then one frame
            self.train_one_step()
            self.refresh()

The alternative with no Python loop at all is an ``ipywidgets.Play`` among the controls: the
browser then increments its ``value`` on a timer and every tick arrives as one ``update``.
Either way one tick must stay well under its interval: time it the way
``benchmarks/bench_widgets.py`` times a slider move.

Why not ipympl (matplotlib's widget backend)? Its canvas re-renders the whole figure for every
frame and waits for the browser to ask for each one; it needs its own JupyterLab extension; and
its ``<canvas>`` shows nothing when a notebook is viewed without a kernel. Blitting into an
``Image`` costs a fraction of its frame time (``bench_widgets.py --compare``) with core ipywidgets
only.
"""

import asyncio
import contextlib
import io
import struct
import time
import zlib

import ipywidgets as ipw
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["DPI", "PNG_COMPRESSION", "Widget", "Player", "encode_png", "fmt", "new_figure", "to_png"]

#: Resolution of the rendered plots (dots per inch).
DPI = 90
#: zlib level of the PNG frames: 1 is several times faster than the default 6 and barely larger
#: for plots.
PNG_COMPRESSION = 1


class Widget:
    """Base of the course widgets: controls → state → draw, the figure built once (see the module).

    Parameters
    ----------
    draw : bool, default True
        Whether to render the figure; with ``False`` only the state and the caption are computed
        (tests of the numbers, and nbgrader never needs a figure).

    Attributes
    ----------
    controls : dict of str to ipywidgets.ValueWidget
        What :meth:`make_controls` returned.
    label : ipywidgets.HTML
        The caption.
    image : ipywidgets.Image
        The latest frame, as PNG bytes (``b""`` while nothing was drawn).
    view : ipywidgets.Box
        What a notebook displays (:meth:`make_view`).
    figure : matplotlib.figure.Figure or None
        The one figure, made on the first draw.
    redraws, full_redraws : int
        Frames rendered so far, and how many of them rendered the whole figure (the others only
        redrew the dynamic artists over the background).

    Subclasses set ``figsize`` (inches) and may set ``dpi``; they implement :meth:`make_controls`,
    :meth:`update`, :meth:`caption`, :meth:`build` and :meth:`render`, and may override
    :meth:`make_view`. The base's own names (``controls``, ``control_values``, ``label``,
    ``image``, ``view``, ``figure``, ``drawing``, ``redraws``, ``full_redraws``, ``refresh``,
    ``redraw``, ``invalidate``, ``batch``) are not for state.
    """

    figsize = (6.4, 3.6)
    dpi = DPI

    def __init__(self, *, draw=True):
        self.drawing = bool(draw)
        self.redraws = 0
        self.full_redraws = 0
        self.figure = None
        self._dynamic = ()
        self._background = None
        self._batching, self._pending = 0, False
        controls = self.make_controls()
        if not isinstance(controls, dict) or not controls:
            raise TypeError(
                f"make_controls must return a non-empty dict {{name: control}}; "
                f"got {type(controls).__name__}."
            )
        for name, control in controls.items():
            if not isinstance(control, ipw.ValueWidget):
                raise TypeError(
                    f"control {name!r} must be an ipywidgets control with a value; "
                    f"got {type(control).__name__}."
                )
        self.controls = controls
        self.label = ipw.HTML()
        # at its own size (a VBox would stretch it to the page's width, blurring the pixels),
        # shrunk only on a page narrower than the plot
        self.image = ipw.Image(format="png", layout=ipw.Layout(align_self="flex-start", max_width="100%"))
        self.view = self.make_view()
        for control in controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()

    # --- what a subclass provides -------------------------------------------------------------
    def make_controls(self):
        """The controls, ``{name: ipywidgets control}``; called once."""
        raise NotImplementedError(f"{type(self).__name__} must define make_controls()")

    def update(self, **values):
        """Compute the state from the controls' values (one keyword per control); draw nothing."""
        raise NotImplementedError(f"{type(self).__name__} must define update(**values)")

    def caption(self):
        """The HTML above the plot, from the state (empty by default)."""
        return ""

    def build(self, fig):
        """Make the axes and artists on ``fig`` once; return the dynamic artists (an iterable)."""
        raise NotImplementedError(f"{type(self).__name__} must define build(fig)")

    def render(self):
        """Move the artists returned by :meth:`build` to the current state (in place)."""
        raise NotImplementedError(f"{type(self).__name__} must define render()")

    def make_view(self):
        """The displayed box: the controls in a row (wrapping on a narrow page), the caption, the plot."""
        row = ipw.HBox(list(self.controls.values()), layout=ipw.Layout(flex_flow="row wrap"))
        return ipw.VBox([row, self.label, self.image])

    # --- what the base does ---------------------------------------------------------------------
    @property
    def control_values(self):
        """The controls' current values, ``{name: value}``."""
        return {name: control.value for name, control in self.controls.items()}

    def _on_change(self, change):
        if self._batching:
            self._pending = True
        else:
            self.refresh()

    @contextlib.contextmanager
    def batch(self):
        """Change several controls at once (a reset, a preset): one refresh at the end, not one each.

        Examples
        --------
        ``with widget.batch(): widget.controls["a"].value = 0.0; widget.controls["b"].value = 1.0``
        """
        self._batching += 1
        try:
            yield self
        finally:
            self._batching -= 1
            if not self._batching and self._pending:
                self._pending = False
                self.refresh()

    def refresh(self):
        """State from the controls, then the caption, then (if drawing) one frame."""
        self.update(**self.control_values)
        self.label.value = self.caption()
        if self.drawing:
            self.redraw()

    def invalidate(self):
        """Mark the static background stale: the next frame renders the whole figure."""
        self._background = None

    def redraw(self):
        """Render one frame into :attr:`image`: blit the dynamic artists over the background.

        Returns
        -------
        bytes
            The PNG now in ``self.image.value``.
        """
        if self.figure is None:
            fig = Figure(figsize=self.figsize, dpi=self.dpi, layout="constrained")
            FigureCanvasAgg(fig)
            dynamic = tuple(self.build(fig) or ())
            for artist in dynamic:
                artist.set_animated(True)  # left out of the background, drawn on each frame
            self.figure, self._dynamic = fig, dynamic
        fig = self.figure
        self.render()
        canvas = fig.canvas
        if self._background is None:
            canvas.draw()  # everything static (animated artists are skipped)
            if fig.get_layout_engine() is not None and self.full_redraws == 0:
                fig.set_layout_engine("none")  # keep the first layout: no re-layout per frame
            self._background = canvas.copy_from_bbox(fig.bbox)
            self.full_redraws += 1
        else:
            canvas.restore_region(self._background)
        for artist in self._dynamic:
            fig.draw_artist(artist)
        frame = encode_png(canvas)
        self.image.value = frame
        self.redraws += 1
        return frame


def encode_png(canvas):
    """The pixels of an Agg canvas as PNG bytes: RGB, no row filter, zlib level :data:`PNG_COMPRESSION`.

    A plot is mostly runs of one colour, which zlib compresses well with no PNG row filter; so
    the file is written here (signature, ``IHDR``, one ``IDAT``, ``IEND``) instead of by Pillow,
    whose adaptive filtering doubles the time for a larger file.

    Parameters
    ----------
    canvas : matplotlib.backends.backend_agg.FigureCanvasAgg
        Drawn at least once.

    Returns
    -------
    bytes
        A PNG file of the canvas's size, 8-bit RGB.

    Examples
    --------
    >>> fig = Figure(figsize=(1, 1), dpi=20)
    >>> canvas = FigureCanvasAgg(fig)
    >>> canvas.draw()
    >>> png = encode_png(canvas)
    >>> png[:8], png[16:24]  # the signature, then IHDR's width and height: 20 × 20
    (b'\\x89PNG\\r\\n\\x1a\\n', b'\\x00\\x00\\x00\\x14\\x00\\x00\\x00\\x14')
    """
    if not isinstance(canvas, FigureCanvasAgg):
        raise TypeError(f"canvas must be a FigureCanvasAgg; got {type(canvas).__name__}.")
    rgba = np.asarray(canvas.buffer_rgba())  # (height, width, 4)
    height, width, _ = rgba.shape
    rows = np.empty((height, 1 + 3 * width), dtype=np.uint8)  # each row: filter byte, then RGB
    rows[:, 0] = 0  # filter type 0: none
    rows[:, 1:].reshape(height, width, 3)[...] = rgba[..., :3]
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"".join((
        b"\x89PNG\r\n\x1a\n",
        _png_chunk(b"IHDR", header),
        _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), PNG_COMPRESSION)),
        _png_chunk(b"IEND", b""),
    ))


def _png_chunk(kind, data):
    """One PNG chunk: length, type, data, CRC-32 of type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


class Player:
    """A play/pause toggle that calls ``step()`` every ``interval`` seconds without blocking.

    While the button is pressed, an asyncio task on the running event loop (a Jupyter kernel's)
    calls ``step()``, then sleeps for what is left of ``interval``: between two steps the kernel
    handles the other controls (and the pause click). A step that raises stops the player and the
    error is kept in :attr:`error` (and shown in the button's tooltip), never lost.

    Parameters
    ----------
    step : callable
        Called with no argument, e.g. a widget's "train one step and redraw".
    interval : float, default 0.1
        Seconds from the start of one step to the start of the next (at least the step's time).
    description : str, default "play"

    Attributes
    ----------
    button : ipywidgets.ToggleButton
        Put it in a widget's view; ``button.value = True`` starts, ``False`` pauses.
    steps : int
        How many times ``step`` was called.
    error : BaseException or None

    Raises
    ------
    RuntimeError
        When started with no running event loop (a kernel always has one).

    Examples
    --------
    >>> import asyncio
    >>> calls = []
    >>> player = Player(lambda: calls.append(1), interval=0.001)
    >>> async def play_a_little():
    ...     player.button.value = True
    ...     while len(calls) < 3:
    ...         await asyncio.sleep(0.001)
    ...     player.button.value = False
    >>> asyncio.run(play_a_little())
    >>> player.steps >= 3, player.playing
    (True, False)
    """

    def __init__(self, step, interval=0.1, description="play"):
        if not callable(step):
            raise TypeError(f"step must be a function of no argument; got {type(step).__name__}.")
        if not (isinstance(interval, (int, float)) and interval > 0):
            raise ValueError(f"interval must be a positive number of seconds; got {interval!r}.")
        self.step, self.interval = step, float(interval)
        self.steps = 0
        self.error = None
        self._task = None
        self.button = ipw.ToggleButton(value=False, description=description, icon="play")
        self.button.observe(self._toggled, names="value")

    @property
    def playing(self):
        """Whether the loop is running."""
        return self._task is not None and not self._task.done()

    def _toggled(self, change):
        if change["new"]:
            self.start()
        else:
            self.stop()

    def start(self):
        """Start the loop (what pressing the button does)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.button.value = False
            raise RuntimeError(
                "Player must be started inside a running event loop (a Jupyter kernel has one); "
                "got none."
            ) from None
        self.button.icon = "pause"
        if not self.playing:
            self.error = None
            self._task = loop.create_task(self._run())

    def stop(self):
        """Pause: the loop ends before its next step."""
        self.button.icon = "play"
        if self.button.value:
            self.button.value = False

    async def _run(self):
        while self.button.value:
            started = time.perf_counter()
            try:
                self.step()
            except Exception as error:  # kept and shown, never raised into the event loop
                self.error = error
                self.button.tooltip = f"stopped: {type(error).__name__}: {error}"
                self.stop()
                return
            self.steps += 1
            await asyncio.sleep(max(0.0, self.interval - (time.perf_counter() - started)))


def new_figure(width=6.4, height=3.6, ncols=1):
    """A fresh figure with ``ncols`` side-by-side axes, not registered with pyplot.

    For one-off figures; a widget lets :class:`Widget` make its figure.

    Parameters
    ----------
    width, height : float
        Size in inches.
    ncols : int
        Number of axes in one row.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : Axes or ndarray of Axes of shape (ncols,)

    Raises
    ------
    ValueError
        If a size is not positive or ``ncols`` is not a positive integer.

    Examples
    --------
    >>> fig, ax = new_figure(4, 3)
    >>> fig.get_size_inches().tolist()
    [4.0, 3.0]
    """
    if not (width > 0 and height > 0):
        raise ValueError(f"width and height must be positive (inches); got {width} and {height}.")
    if not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer; got {ncols!r}.")
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    axes = fig.subplots(1, ncols)
    return fig, axes


def to_png(fig):
    """Render the whole of ``fig`` to PNG bytes (slow path: ``savefig``; widgets use blitting).

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    bytes
        A PNG file.

    Examples
    --------
    >>> fig, ax = new_figure(2, 2)
    >>> to_png(fig)[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure; got {type(fig).__name__}.")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def fmt(x, digits=4):
    """Format a number for a widget label: ``digits`` significant digits, a real minus sign.

    Examples
    --------
    >>> fmt(-0.000123456)
    '−0.0001235'
    >>> fmt(2.0)
    '2'
    """
    return f"{float(x):.{digits}g}".replace("-", "−")
