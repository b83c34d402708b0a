"""What a learner sees: the real JupyterLab of README command 1, driven in headless Chromium.

One server (the ``lab`` fixture of tests/conftest.py, started as the README's lab command does),
one Debian ``/usr/bin/chromium`` driven by playwright (its own browser download is never used).
For every learner's notebook (``notebooks/*/*.ipynb``, by glob, so a new one is covered at once):

* the learner's version, Run All: it stops at the first exercise, with the one clear line of
  ``course_pkg.notebook`` and nothing else in error, and the cells after it do not run;
* a solved copy (the source notebook, copied under ``build/`` so nothing of the repository is
  written), Run All: no error and no stderr output; every widget renders with its sliders visible;
  dragging a slider changes the widget's plot; a wrong answer typed into the first exercise makes
  its self-check show the checker's own message;
* on every page: no nbgrader UI (Nbgrader menu, Create Assignment sidebar, Validate button) and
  no news popup. One more test walks the file browser to every notebook.

Both versions of a notebook run at the same time (two pages, two kernels). A screenshot of each
page is saved in the test's temporary folder. The learner's (temporary) user settings turn
autosave off (the learner's files are checked unchanged afterwards) and put every cell in the page
(``windowingMode: none``), so that a cell can be found by its index.
"""

import json
import os
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from playwright import sync_api

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LEARNER = sorted(ROOT.glob("notebooks/*/*.ipynb"))
IDS = [p.parent.name for p in LEARNER]
#: Where the solved copies go: under the server root (so the server can open them), ignored by git.
SOLVED_DIR = ROOT / "build" / "browser-test"
#: Milliseconds: opening JupyterLab, a whole notebook run, a redraw after a slider moved.
APP_TIMEOUT, RUN_TIMEOUT, REDRAW_TIMEOUT = 60_000, 180_000, 15_000
#: The notebook on show (other tabs stay in the page, hidden).
NB = ".jp-NotebookPanel:not(.lm-mod-hidden)"
IDLE = f'{NB} .jp-Notebook-ExecutionIndicator[data-status="idle"]'
#: What JupyterLab renders error tracebacks and stderr streams as.
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
WIDGET = ".jp-OutputArea-output > .jupyter-widgets"  # the root view of a displayed widget
ONE_LINE = re.compile(r"^✘ `(\w+)` is not written yet: replace `raise NotImplementedError\(\)` with your code$")
NEWS = "Would you like to get notified about official Jupyter news?"


#: benchmarks/bench_browser.py sets this to a file: each phase's wall time is appended to it.
TIMINGS = os.environ.get("COURSE_BROWSER_TIMINGS")


class _Laps:
    """Wall time of each phase of a notebook's test, for the benchmark (nothing is asserted on it)."""

    def __init__(self, notebook):
        self.notebook, self.last = notebook, time.perf_counter()

    def lap(self, phase):
        now = time.perf_counter()
        if TIMINGS:
            with open(TIMINGS, "a") as out:
                out.write(json.dumps({"notebook": self.notebook, "phase": phase, "seconds": now - self.last}) + "\n")
        self.last = now


def _nbgrader(cell, key):
    return cell.metadata.get("nbgrader", {}).get(key)


@pytest.fixture(scope="module")
def context(lab):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does)")
    settings = {
        "docmanager-extension/plugin": {"autosave": False},  # the test never writes a notebook
        "notebook-extension/tracker": {"windowingMode": "none"},  # every cell in the page, to find it
    }
    for name, values in settings.items():
        path = lab.settings_dir / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(APP_TIMEOUT)
        yield context
        browser.close()


@pytest.fixture(scope="module")
def solved_dir():
    SOLVED_DIR.mkdir(parents=True, exist_ok=True)
    yield SOLVED_DIR
    shutil.rmtree(SOLVED_DIR, ignore_errors=True)


@pytest.fixture(scope="module")
def pages(lab, context):
    """Two JupyterLab pages, loaded once for every notebook: one for learners' versions, opened at
    the page README command 1 opens (its notebook), one for solved copies. Each has a workspace of
    its own (``/lab/workspaces/<name>``, reset), so neither restores the other's tabs."""
    readme_notebook = lab.argv[2]  # jupyter lab <notebook>
    pages = []
    for workspace, tree in (("learner", f"/tree/{readme_notebook}"), ("solved", "")):
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(lab.url(f"/lab/workspaces/{workspace}{tree}?reset"), wait_until="commit")
        pages.append(page)
    for page in pages:
        page.wait_for_selector(".jp-FileBrowser .jp-DirListing-content")
    pages[0].wait_for_selector(IDLE)  # the README's notebook is open, its kernel started
    yield pages
    for page in pages:
        page.close()


def _open(page, path):
    """Open notebook ``path`` (relative to the root) with File > Open from Path; wait for its kernel."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^File$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Open from Path")).click()
    page.locator(".jp-Dialog input").fill(path)
    page.keyboard.press("Enter")
    cells = len(nbformat.read(ROOT / path, as_version=4).cells)
    page.wait_for_function(
        "([nb, n]) => document.querySelectorAll(nb + ' .jp-Notebook-cell').length >= n", arg=[NB, cells])
    page.wait_for_selector(IDLE)


def _close(page):
    """Close the notebook on show without saving it."""
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabCloseIcon").click()
    discard = page.locator(".jp-Dialog button", has_text=re.compile(r"^(Discard|Don't Save)$"))
    try:
        discard.click(timeout=5_000)
    except sync_api.TimeoutError:
        pass  # nothing to discard


def _run_all(page):
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def _cells(page):
    return page.locator(f"{NB} .jp-Notebook-cell")


def _prompts(page):
    """The input prompt of every cell ('[3]:', '[ ]:', '[*]:', '' for markdown), in order."""
    return _cells(page).evaluate_all(
        "cells => cells.map(c => { const p = c.querySelector('.jp-InputPrompt'); "
        "return c.classList.contains('jp-CodeCell') && p ? p.textContent.trim() : ''; })"
    )


def _wait_idle(page):
    page.wait_for_selector(IDLE, timeout=RUN_TIMEOUT)


def _assert_no_instructor_tools_and_no_news(page):
    menus = page.locator(".lm-MenuBar-itemLabel").all_text_contents()
    assert "Run" in menus and not [m for m in menus if "nbgrader" in m.lower()], menus
    assert page.get_by_text("Create Assignment").count() == 0, "nbgrader's Create Assignment sidebar is there"
    tabs = [t.lower() for t in page.locator(".lm-TabBar-tab").evaluate_all("ts => ts.map(t => t.title)")]
    assert not [t for t in tabs if "nbgrader" in t], tabs
    assert page.locator(".jp-Toolbar").get_by_text("Validate").count() == 0, "nbgrader's Validate button is there"
    assert page.get_by_text(NEWS).count() == 0, "the news popup is shown"


def _shutdown_kernels(lab):
    status, body = lab.get("/api/sessions")
    for session in json.loads(body):
        lab.get(f"/api/sessions/{session['id']}", method="DELETE")


def _wrong_answer(cell_source):
    """One line a learner might type for the exercise, wrong: a function returning 0, or a wrong text."""
    match = re.search(r"^def (\w+)\((.*)\):", cell_source, re.M)
    if match:
        return match.group(1), f"def {match.group(1)}({match.group(2)}): return 0.0"
    name = re.search(r"^#\s*(?:Set\s+)?(\w+)\s*=", cell_source, re.M).group(1)
    return name, f'{name} = "0"'


def _checker_message(source_nb, learner_nb, first_solution, wrong):
    """What the first self-check says of the wrong answer: run here, outside the browser."""
    namespace = {}
    setup = next(c for c in source_nb.cells if _nbgrader(c, "grade_id") == "setup")
    exec(compile(setup.source, "setup", "exec"), namespace)  # noqa: S102 (the course's own code)
    exec(compile(wrong, "wrong", "exec"), namespace)  # noqa: S102
    test = next(c for i, c in enumerate(learner_nb.cells) if i > first_solution and _nbgrader(c, "grade"))
    try:
        exec(compile(test.source, "self-check", "exec"), namespace)  # noqa: S102
    except AssertionError as err:
        return str(err)
    pytest.fail(f"the self-check accepted the wrong answer {wrong!r}")


def _image_of(locator):
    return locator.screenshot(animations="disabled")


@pytest.mark.parametrize("learner_path", LEARNER, ids=IDS)
def test_notebook_in_the_browser(lab, pages, solved_dir, learner_path, tmp_path):
    rel = learner_path.relative_to(ROOT).as_posix()
    source_path = ROOT / "source" / learner_path.relative_to(ROOT / "notebooks")
    copy = solved_dir / learner_path.parent.name
    shutil.copytree(source_path.parent, copy, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    copy_rel = (copy / learner_path.name).relative_to(ROOT).as_posix()
    learner_nb = nbformat.read(learner_path, as_version=4)
    source_nb = nbformat.read(source_path, as_version=4)
    before = learner_path.read_bytes()

    laps = _Laps(learner_path.parent.name)
    learner, solved = pages
    try:
        _open(learner, rel)
        _open(solved, copy_rel)
        laps.lap("open both notebooks")
        _run_all(learner)
        _run_all(solved)  # both kernels run at once

        # --- the learner's version stops at its first exercise with one line ------------------
        learner.wait_for_selector(f"{NB} {STDERR}", timeout=RUN_TIMEOUT)
        _wait_idle(learner)
        errors = learner.locator(f"{NB} {STDERR}")
        assert errors.count() == 1, errors.all_text_contents()
        message = errors.first.text_content().strip()
        match = ONE_LINE.match(message)
        assert match, f"{rel}: Run All stopped with {message!r}, not the one clear line"
        cells = _cells(learner)
        assert cells.count() == len(learner_nb.cells), "JupyterLab did not render every cell"
        stopped = next(i for i in range(cells.count()) if cells.nth(i).locator(STDERR).count())
        first_solution = next(i for i, c in enumerate(learner_nb.cells) if _nbgrader(c, "solution"))
        first_test = next(i for i, c in enumerate(learner_nb.cells) if i > first_solution and _nbgrader(c, "grade"))
        assert first_solution <= stopped <= first_test, f"{rel}: stopped at cell {stopped}, not the first exercise"
        assert match.group(1) in learner_nb.cells[first_solution].source
        prompts = _prompts(learner)
        ran_after = [i for i, p in enumerate(prompts) if i > stopped and re.match(r"\[\d+\]", p)]
        assert not ran_after, f"{rel}: cells {ran_after} ran after the error"
        _assert_no_instructor_tools_and_no_news(learner)
        learner.screenshot(path=str(tmp_path / f"{learner_path.parent.name}-learner.png"))

        laps.lap("learner's version: run all until the first exercise")

        # --- the solved copy runs clean ---------------------------------------------------------
        code = [i for i, c in enumerate(source_nb.cells) if c.cell_type == "code"]
        solved.wait_for_function(  # every code cell ran, or the run stopped at an error
            "([nb, n, stderr, idle]) => [...document.querySelectorAll(nb + ' .jp-CodeCell .jp-InputPrompt')]"
            ".filter(p => /^\\[\\d+\\]/.test(p.textContent.trim())).length >= n"
            " || (document.querySelector(nb + ' ' + stderr) !== null && document.querySelector(idle) !== null)",
            arg=[NB, len(code), STDERR, IDLE], timeout=RUN_TIMEOUT)
        _wait_idle(solved)
        problems = solved.locator(f"{NB} {STDERR}").all_text_contents()
        assert not problems, f"{copy_rel}: error or stderr output:\n" + "\n---\n".join(problems)

        laps.lap("solved copy: run all")

        # --- every widget renders; moving a slider changes its plot -----------------------------
        shown = sum(c.source.count("widgets.show(") for c in source_nb.cells if c.cell_type == "code")
        views = solved.locator(f"{NB} {WIDGET}")
        assert views.count() == shown, f"{copy_rel}: {views.count()} widget views for {shown} widgets.show calls"
        for k in range(views.count()):
            view = views.nth(k)
            view.scroll_into_view_if_needed()
            assert "Error displaying widget" not in view.text_content(), view.text_content()
            sliders = view.locator(".widget-slider")
            assert sliders.count() >= 1, f"{copy_rel}: widget {k} shows no slider"
            for s in range(sliders.count()):
                assert sliders.nth(s).is_visible(), f"{copy_rel}: slider {s} of widget {k} is not visible"
            plot = view.locator("img, canvas").first
            assert plot.is_visible(), f"{copy_rel}: widget {k} shows no plot"
            old = _image_of(plot)
            handle = sliders.first.locator(".noUi-handle").first
            box, track = handle.bounding_box(), sliders.first.locator(".noUi-base").first.bounding_box()
            target = track["x"] + (0.2 if box["x"] > track["x"] + track["width"] / 2 else 0.8) * track["width"]
            solved.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            solved.mouse.down()
            solved.mouse.move(target, box["y"] + box["height"] / 2, steps=5)
            solved.mouse.up()
            deadline = REDRAW_TIMEOUT
            while _image_of(plot) == old and deadline > 0:
                solved.wait_for_timeout(250)
                deadline -= 250
            assert _image_of(plot) != old, f"{copy_rel}: moving the first slider of widget {k} left its plot unchanged"

        laps.lap("widgets: render, drag a slider, plot redrawn")

        # --- a wrong answer: the self-check shows the checker's message -------------------------
        name, wrong = _wrong_answer(source_nb.cells[first_solution].source)
        expected = _checker_message(source_nb, learner_nb, first_solution, wrong)
        solved_cells = _cells(solved)
        editor = solved_cells.nth(first_solution).locator(".cm-content")
        editor.click()
        solved.keyboard.press("Control+a")
        solved.keyboard.insert_text(wrong)
        solved.keyboard.press("Control+Enter")
        _wait_idle(solved)
        solved_cells.nth(first_test).locator(".jp-InputArea").click()
        solved.keyboard.press("Control+Enter")
        shown_error = solved_cells.nth(first_test).locator(STDERR)
        shown_error.wait_for(timeout=RUN_TIMEOUT)
        _wait_idle(solved)
        text = shown_error.text_content()
        first_line = expected.strip().splitlines()[0]
        assert first_line in text, f"{copy_rel}: the self-check of {name} showed {text!r}, not the checker's {first_line!r}"
        _assert_no_instructor_tools_and_no_news(solved)
        solved.screenshot(path=str(tmp_path / f"{learner_path.parent.name}-solved.png"))
        laps.lap("wrong answer: checker's message shown")
    finally:
        for page in pages:
            if page.locator(NB).count():
                _close(page)
        _shutdown_kernels(lab)
    assert learner_path.read_bytes() == before, f"{rel} was written by the browser session"


def _listed(page, name):
    """The file browser's item called exactly ``name`` (waited for: listings load asynchronously)."""
    item = page.locator(".jp-FileBrowser .jp-DirListing-content .jp-DirListing-item",
                        has=page.locator(".jp-DirListing-itemText", has_text=re.compile(f"^{re.escape(name)}$")))
    try:
        item.wait_for(timeout=APP_TIMEOUT)
    except sync_api.TimeoutError:
        shown = page.locator(".jp-FileBrowser .jp-DirListing-itemText").all_text_contents()
        pytest.fail(f"the file browser does not list {name!r}; it shows {shown}")
    return item


def test_file_browser_lists_every_notebook(lab, pages):
    """In the page README command 1 opens, the file browser reaches every learner's notebook."""
    page = pages[0]
    home = page.locator(".jp-FileBrowser .jp-BreadCrumbs-home")
    for path in LEARNER:
        home.click()
        *folders, notebook = path.relative_to(ROOT).parts
        for folder in folders:
            _listed(page, folder).dblclick()
        _listed(page, notebook)
    _assert_no_instructor_tools_and_no_news(page)
