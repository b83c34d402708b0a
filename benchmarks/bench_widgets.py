"""Benchmark: slider → redraw latency of every course widget (median over many moves).

Each widget is built with the arguments its notebook uses, then its slider is moved ``--moves``
times across its range (a triangle sweep, one slider step or more per move, every move a new
value). Two latencies are measured per widget:

* **in process**: setting the slider's ``value`` traitlet, exactly what ipywidgets does when a
  front-end update arrives; the observers run the widget's update, caption and render, the
  frame is blitted and PNG-encoded and the ``Image`` widget's new state is serialised for the comm;
* **through a kernel** (skipped with ``--no-kernel``): a real ipykernel started with
  jupyter_client, driven the way JupyterLab drives it. The script sends the slider's
  ``comm_msg`` ``{"method": "update", "state": {"value": v}}`` on the shell channel and stops the
  clock when the ``Image``'s ``update`` message carrying the new PNG arrives on iopub.
  That is the whole kernel side of a slider move, wire included; the browser then only swaps
  the ``<img>``'s blob.

``--browser`` adds what a learner feels: JupyterLab in headless Chromium (Debian's
``/usr/bin/chromium``, driven by playwright), one notebook showing the three widgets; for each
move the script presses an arrow key on the slider's handle; in the page, a ``keydown`` listener
stamps the key press and a ``MutationObserver`` the moment the widget's ``<img>`` gets its new
``src`` (``performance.now()`` for both). The latency is the time between the two: the slider's
front end, the websocket, the Jupyter server, the kernel, and back.

``--ipympl DIR`` (with ``--browser``) adds notebook 01's explorer drawn by ipympl, the same
artists moved the same way, then ``draw_idle``; the stamp is ipympl drawing the frame on its
``<canvas>``. ipympl is not a course dependency: ``pip install --no-deps --target DIR ipympl``
puts it aside (its Python package and its JupyterLab extension), and the script points the
server and the kernel at it.

``--compare`` also times two alternatives on the same figures and the same moves: a full Agg
redraw of the figure updated in place (no blitting) encoded as a default-level PNG, and the kernel side
of ipympl, whose canvas is matplotlib's ``FigureCanvasWebAggCore``: a full redraw then
``get_diff_image()`` (ipympl also waits for a round trip, its front end asking for each frame).

``--before REV`` times the same moves on the widgets as they were at a git revision (loaded from
``git show``), e.g. ``97803a1``, the last one that built a new figure and PNG per redraw.

The wall-clock medians count the time the process waits for a core: on a shared machine they
grow with the load. The CPU time of the process per move is printed beside them. On a busy
machine the in-process loop fares worse than the round trip through a kernel (measured: a
refresh woken by a comm message took about its CPU time in wall time, the same refresh in a
loop three times that), most likely because a process woken by a message on its socket gets the
core its sender gives up while a loop that paces itself with ``time.sleep`` queues for one. The
round trip is the path a learner's slider takes.

Target: median < 50 ms per widget. Run from the repository root:

    python benchmarks/bench_widgets.py [--moves 200] [--no-kernel] [--browser [--ipympl DIR]] [--compare] [--before REV]
"""

import argparse
import json
import shlex
import statistics
import sys
import time

PARSER = argparse.ArgumentParser(description=__doc__.splitlines()[0])
PARSER.add_argument("--moves", type=int, default=200, help="slider moves per widget (default 200)")
PARSER.add_argument("--no-kernel", action="store_true", help="skip the real-kernel round trip")
PARSER.add_argument("--browser", action="store_true",
                    help="also time key press on the slider → new <img> in JupyterLab in headless Chromium")
PARSER.add_argument("--ipympl", metavar="DIR",
                    help="with --browser: also notebook 01's explorer on ipympl, installed with "
                         "`pip install --no-deps --target DIR ipympl` (not a course dependency)")
PARSER.add_argument("--chromium", default="/usr/bin/chromium", help="the browser (default /usr/bin/chromium)")
PARSER.add_argument("--before", metavar="REV",
                    help="also time the widgets as they were at git revision REV (e.g. 97803a1)")
PARSER.add_argument("--compare", action="store_true",
                    help="also time a full redraw and ipympl's per-frame work on the same figures")
TARGET_MS = 50.0
WARMUP = 5
#: Seconds between two in-process moves. A drag's events reach the kernel spaced out; a loop that
#: never sleeps is scheduled as a batch job on a busy machine and its wall clock then measures
#: the other processes' share of the cores as much as the widget.
GAP = 0.01

#: Builds the three widgets as notebooks 01-03 do; ``WIDGETS`` maps a name to (widget, slider).
SETUP = """
from course_pkg.activations import sigmoid
from course_pkg.widgets.activations import ActivationExplorer
from course_pkg.widgets.chain_rule import NudgeExplorer
from course_pkg.widgets.scalar_network import PathExplorer

x_in, y_target = 1.5, 0.2


def cost(theta):
    return (sigmoid(theta * x_in) - y_target) ** 2


def cost_prime(theta):
    a = sigmoid(theta * x_in)
    return 2 * (a - y_target) * a * (1 - a) * x_in


_nudge = NudgeExplorer(cost, cost_prime, theta=0.8, theta_range=(-4.0, 4.0), nudge=0.5,
                       name="C", parameter="θ")
_activation = ActivationExplorer("sigmoid", z=2.0)
_path = PathExplorer(1.5, 1.0, (0.8, -1.1, 1.6), (0.1, 1.9, -0.4))
WIDGETS = {
    "NudgeExplorer (θ slider)": (_nudge, _nudge.theta_slider),
    "ActivationExplorer (z slider)": (_activation, _activation.z_slider),
    "PathExplorer (x slider)": (_path, _path.x_slider),
}
"""


#: The widgets of notebooks 04, 05 and 07, each with the slider its notebook shows first (notebook
#: 06's playground is timed per training step by bench_playground.py). Timed in process and through a
#: kernel; the browser run and ``--before`` keep to SETUP's three.
LATER_SETUP = """
from course_pkg.widgets.beyond import GraphExplorer
from course_pkg.widgets.four_equations import ErrorFlow
from course_pkg.widgets.layers import GradCheckHeatmap

_flow = ErrorFlow()
_heatmap = GradCheckHeatmap()
_graph = GraphExplorer()
WIDGETS.update({
    "ErrorFlow (x1 slider)": (_flow, _flow.controls["x1"]),
    "GradCheckHeatmap (m slider)": (_heatmap, _heatmap.controls["m"]),
    "GraphExplorer (x1 slider)": (_graph, _graph.controls["x1"]),
})
"""
FULL_SETUP = SETUP + LATER_SETUP

#: The order in which SETUP's widgets are displayed (and their sliders found in the page).
SETUP_NAMES = ("NudgeExplorer (θ slider)", "ActivationExplorer (z slider)", "PathExplorer (x slider)")


def sweep(slider, moves):
    """``moves`` slider values, a triangle wave across the range, never twice the same in a row."""
    lo, hi, step = float(slider.min), float(slider.max), float(slider.step)
    n = max(2, int(round((hi - lo) / step)))
    stride = max(1, n // 40)  # about 40 moves from one end to the other
    values, k, direction = [], n // 2, 1
    for _ in range(moves):
        if not 0 <= k + direction * stride <= n:
            direction = -direction
        k += direction * stride
        values.append(round(lo + k * step, 10))
    return values


def median_ms(samples):
    return 1000.0 * statistics.median(samples)


def in_process(widgets, moves):
    """Median wall time and median CPU time of the process per slider move."""
    wall, cpu = {}, {}
    for name, (_, slider) in widgets.items():
        values = sweep(slider, moves + WARMUP)
        walls, cpus = [], []
        for v in values:
            time.sleep(GAP)
            started, started_cpu = time.perf_counter(), time.process_time()
            slider.value = v
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - started_cpu)
        wall[name], cpu[name] = median_ms(walls[WARMUP:]), median_ms(cpus[WARMUP:])
    return wall, cpu


def before(revision, moves):
    """The same moves on the widgets as they were at ``revision`` (git), loaded from its files."""
    import importlib
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / "widgets_before"
        package.mkdir()
        for module in ("__init__", "_common", "chain_rule", "activations", "scalar_network"):
            source = subprocess.run(["git", "show", f"{revision}:course_pkg/widgets/{module}.py"],
                                    capture_output=True, text=True, check=True).stdout
            source = source.replace("course_pkg.widgets._common", "widgets_before._common")
            (package / f"{module}.py").write_text(source)
        sys.path.insert(0, tmp)
        try:
            setup = SETUP.replace("course_pkg.widgets.", "widgets_before.")
            namespace = {}
            exec(setup, namespace)
            wall, _ = in_process(namespace["WIDGETS"], moves)
        finally:
            sys.path.remove(tmp)
            for name in [m for m in sys.modules if m.startswith("widgets_before")]:
                del sys.modules[name]
            importlib.invalidate_caches()
    return wall


def alternatives(widgets, moves):
    """Full redraw + default PNG, and ipympl's full redraw + get_diff_image, per move."""
    import io

    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image
    from matplotlib.backends.backend_webagg_core import FigureCanvasWebAggCore

    results = {}
    for name, (widget, slider) in widgets.items():
        fig = widget.figure
        for artist in widget._dynamic:
            artist.set_animated(False)  # a full redraw must draw everything
        widget.drawing = False  # the slider then only updates the state; we draw by hand
        values = sweep(slider, moves + WARMUP)
        full, webagg = [], []
        for v in values:
            slider.value = v
            started = time.perf_counter()
            widget.render()
            fig.canvas.draw()
            rgba = np.asarray(fig.canvas.buffer_rgba())  # (height, width, 4)
            Image.fromarray(rgba).save(io.BytesIO(), format="png")  # default zlib level
            full.append(time.perf_counter() - started)
        canvas = FigureCanvasWebAggCore(fig)
        for v in values:
            slider.value = v
            started = time.perf_counter()
            widget.render()
            # FigureCanvasWebAggCore.draw without its manager: mark the PNG old, render with Agg;
            # then what its manager's refresh_all sends for the frame
            canvas._png_is_old = True
            FigureCanvasAgg.draw(canvas)
            canvas.get_diff_image()
            webagg.append(time.perf_counter() - started)
        results[name] = (median_ms(full[WARMUP:]), median_ms(webagg[WARMUP:]))
    return results


def through_kernel(moves):
    """Drive a real kernel as JupyterLab does; time slider comm_msg → Image update on iopub."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        def execute(code):
            msg_id = kc.execute(code)
            reply = kc.get_shell_msg(timeout=120)
            assert reply["content"]["status"] == "ok", reply["content"]
            out = []
            while True:
                msg = kc.get_iopub_msg(timeout=120)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "stream":
                    out.append(msg["content"]["text"])
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    return "".join(out)

        execute(FULL_SETUP)
        ids = json.loads(execute(
            "import json\n"
            "print(json.dumps({name: [s.model_id, w.image.model_id, s.min, s.max, s.step]\n"
            "                  for name, (w, s) in WIDGETS.items()}))"
        ))
        results = {}
        for name, (slider_id, image_id, lo, hi, step) in ids.items():
            class Slider:  # what sweep() reads
                min, max = lo, hi
            Slider.step = step
            times = []
            for v in sweep(Slider, moves + WARMUP):
                msg = kc.session.msg("comm_msg", {
                    "comm_id": slider_id,
                    "data": {"method": "update", "state": {"value": v}, "buffer_paths": []},
                })
                started = time.perf_counter()
                kc.shell_channel.send(msg)
                arrived = None
                while True:
                    reply = kc.get_iopub_msg(timeout=60)
                    if reply["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
                        continue
                    content = reply["content"]
                    if (reply["msg_type"] == "comm_msg" and content["comm_id"] == image_id
                            and ["value"] in content["data"].get("buffer_paths", [])):
                        arrived = time.perf_counter()
                    if reply["msg_type"] == "status" and content["execution_state"] == "idle":
                        break
                assert arrived is not None, f"{name}: no new image for value {v}"
                times.append(arrived - started)
            results[name] = median_ms(times[WARMUP:])
        return results
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


#: With ``--ipympl DIR``: notebook 01's explorer again, drawn by ipympl instead of the base; the
#: same artists (``build``) moved the same way (``render``), then ``draw_idle`` as ipympl wants.
IPYMPL_TWIN = """
import matplotlib.pyplot as plt
import ipywidgets as ipw

plt.ioff()
_twin = NudgeExplorer(cost, cost_prime, theta=0.8, theta_range=(-4.0, 4.0), nudge=0.5,
                      name="C", parameter="θ", draw=False)
_twin_figure = plt.figure(figsize=_twin.figsize, dpi=_twin.dpi, layout="constrained")
_twin.build(_twin_figure)
_twin.render()
_twin_figure.canvas.header_visible = False


def _twin_redraw(change):
    _twin.render()
    _twin_figure.canvas.draw_idle()


_twin.theta_slider.observe(_twin_redraw, names="value")
display(ipw.VBox([_twin.theta_slider, _twin_figure.canvas]))
"""
IPYMPL_NAME = "NudgeExplorer on ipympl"


def in_browser(moves, chromium, ipympl=None):
    """JupyterLab in headless Chromium: arrow key on each slider → its widget's new <img> src.

    With ``ipympl`` (a folder holding ``pip install --no-deps --target`` of ipympl), the same
    for notebook 01's explorer drawn by ipympl: key press → the frame drawn on its ``<canvas>``.
    """
    import os
    import socket
    import subprocess
    import tempfile
    import urllib.request

    import nbformat
    from playwright.sync_api import sync_playwright

    names = list(SETUP_NAMES)
    with tempfile.TemporaryDirectory() as root:
        nb = nbformat.v4.new_notebook()
        code = (SETUP + "\nfrom IPython.display import display\n"
                "for _w, _ in WIDGETS.values():\n    display(_w.view)\n")
        if ipympl:
            code = "%matplotlib widget\n" + code + IPYMPL_TWIN
        nb.cells = [nbformat.v4.new_code_cell(code)]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, os.path.join(root, "widgets.ipynb"))
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        token = "bench-widgets"
        env = dict(os.environ)
        if ipympl:  # ipympl's Python package for the kernel, its lab extension for the page
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [ipympl, env.get("PYTHONPATH")]))
            env["JUPYTER_PATH"] = os.pathsep.join(
                filter(None, [os.path.join(ipympl, "share", "jupyter"), env.get("JUPYTER_PATH")]))
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
             "--ServerApp.ip=127.0.0.1", "--allow-root"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(120):
                try:
                    urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                    break
                except OSError:
                    time.sleep(0.5)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                # ipympl draws each frame it receives on its canvas with drawImage: stamp those
                page.add_init_script("""
                    window.__canvasFrames = [];
                    const drawImage = CanvasRenderingContext2D.prototype.drawImage;
                    CanvasRenderingContext2D.prototype.drawImage = function (...args) {
                        window.__canvasFrames.push(performance.now());
                        return drawImage.apply(this, args);
                    };
                """)
                page.goto(f"{base}/lab/tree/widgets.ipynb?token={token}")
                page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
                page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)  # kernel up
                page.click(".jp-Notebook .jp-Cell .jp-InputArea-editor")
                page.keyboard.press("Shift+Enter")
                try:
                    page.wait_for_function(
                        "n => document.querySelectorAll('.jp-OutputArea-output img').length >= n",
                        arg=len(names), timeout=120_000)
                except Exception:
                    shot = os.path.join(tempfile.gettempdir(), "bench_widgets_failed.png")
                    page.screenshot(path=shot)
                    raise RuntimeError(f"the widgets did not render in JupyterLab; screenshot: {shot}")
                page.evaluate("""() => {
                    window.__keys = [];
                    document.addEventListener('keydown', () => window.__keys.push(performance.now()),
                                              {capture: true});
                    window.__frames = [];
                    document.querySelectorAll('.jp-OutputArea-output img').forEach((img, i) => {
                        window.__frames.push([]);
                        new MutationObserver(() => window.__frames[i].push(performance.now()))
                            .observe(img, {attributes: true, attributeFilter: ['src']});
                    });
                }""")
                outputs = page.locator(".jp-OutputArea-output:has(img)")
                measured = [(name, outputs.nth(i), f"window.__frames[{i}]") for i, name in enumerate(names)]
                if ipympl:
                    page.wait_for_selector(".jp-OutputArea-output canvas", timeout=120_000)
                    page.wait_for_timeout(2000)  # its first frames
                    measured.append((IPYMPL_NAME, page.locator(".jp-OutputArea-output:has(canvas)").first,
                                     "window.__canvasFrames"))
                results = {}
                for name, output, frames in measured:
                    handle = output.locator(".widget-slider .noUi-handle").first  # its first slider
                    handle.scroll_into_view_if_needed()
                    handle.focus()
                    times, key, run = [], "ArrowLeft", 0
                    for _ in range(moves + WARMUP):
                        if run == 20:  # 20 steps left of the start and back, again and again
                            key, run = ("ArrowLeft" if key == "ArrowRight" else "ArrowRight"), 0
                        run += 1
                        seen = page.evaluate(f"{frames}.length")
                        page.keyboard.press(key)
                        try:
                            page.wait_for_function(f"{frames}.length > {seen}", timeout=30_000)
                        except Exception:
                            raise RuntimeError(f"{name}: {key} on the slider drew no new frame") from None
                        page.wait_for_timeout(5)  # let a late second frame land before the next press
                        pressed, drawn = page.evaluate(f"[window.__keys.at(-1), {frames}[{seen}]]")
                        times.append((drawn - pressed) / 1000.0)
                    results[name] = median_ms(times[WARMUP:])
                browser.close()
            return results
        finally:
            server.terminate()
            server.wait(30)


def main(argv=None):
    args = PARSER.parse_args(argv)
    print("command: python " + " ".join(shlex.quote(a) for a in [sys.argv[0], *(argv or sys.argv[1:])]))
    print(f"median slider → redraw latency over {args.moves} moves per widget; target < {TARGET_MS:.0f} ms")
    namespace = {}
    exec(FULL_SETUP, namespace)
    widgets = namespace["WIDGETS"]
    wall, cpu = in_process(widgets, args.moves)
    columns = {"in process": wall}
    if not args.no_kernel:
        columns["via kernel"] = through_kernel(args.moves)
    if args.browser:
        columns["in browser"] = in_browser(args.moves, args.chromium, args.ipympl)  # SETUP's three
    width = max(map(len, widgets))
    print(f"{'widget':<{width}}" + "".join(f"  {title:>10}" for title in columns))
    ok = True
    for name in widgets:
        worst = max(column[name] for column in columns.values() if name in column)
        ok &= worst < TARGET_MS
        print(f"{name:<{width}}" + "".join(f"  {column[name]:>7.1f} ms" if name in column else f"  {'-':>10}"
                                           for column in columns.values())
              + ("" if worst < TARGET_MS else "   over target"))
    print("(in process, CPU time of the process per move: "
          + ", ".join(f"{name.split()[0]} {cpu[name]:.1f} ms" for name in widgets) + ")")
    if args.browser and args.ipympl:
        print(f"{IPYMPL_NAME:<{width}}  (in browser: {columns['in browser'][IPYMPL_NAME]:.1f} ms, "
              f"the same figure, the same moves)")
    if args.before:
        old = before(args.before, args.moves)
        print(f"\nthe same moves on the widgets of {args.before} (in process):")
        for name in old:
            print(f"{name:<{width}}  {old[name]:>7.1f} ms  ({old[name] / wall[name]:.0f}× slower)")
    if args.compare:
        print("\nalternatives on the same figures (in process, median):")
        print(f"{'widget':<{width}}  {'full redraw + PNG':>17}  {'ipympl (webagg) frame':>21}")
        for name, (full, webagg) in alternatives(widgets, args.moves).items():
            print(f"{name:<{width}}  {full:>14.1f} ms  {webagg:>18.1f} ms")
    print("all under target" if ok else "NOT all under target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
