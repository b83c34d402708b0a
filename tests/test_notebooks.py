"""Every source notebook: committed clean, valid nbgrader metadata, and runs top to bottom.

Picks up ``source/*/*.ipynb`` by glob, so a new assignment is covered as soon as it exists.
The run uses a fresh kernel (nbclient, the notebook's folder as working directory) and fails on
any error and on anything written to stderr (warnings included), naming the cell that broke.
"""

import ast
import os
import pathlib
import re

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(ROOT.glob("source/*/*.ipynb"))
IDS = [str(p.relative_to(ROOT / "source")) for p in NOTEBOOKS]

#: Points a notebook should carry in all (COURSE.md: about 8–12).
MIN_POINTS, MAX_POINTS = 8, 12
#: Seconds a single cell may take before the run is abandoned (whole notebooks take < 20 s).
CELL_TIMEOUT = 120
#: What a grade id may look like.
GRADE_ID = re.compile(r"^[A-Za-z0-9_-]+$")
#: Terminal colour codes in tracebacks, removed from failure messages.
ANSI = re.compile(r"\x1b\[[0-9;]*m")

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"

each_notebook = pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)


def _read(path):
    return nbformat.read(path, as_version=4)


def _where(path, index, cell):
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "no grade_id")
    return f"{path.relative_to(ROOT)} cell {index} ({grade_id})"


def _nbgrader_cells(nb):
    return [(i, c, c.metadata["nbgrader"]) for i, c in enumerate(nb.cells) if "nbgrader" in c.metadata]


_EXECUTED = {}


def _execute(path):
    """Run ``path`` once per test session in a fresh kernel; return (notebook, error or None)."""
    if path not in _EXECUTED:
        nb = _read(path)
        client = NotebookClient(
            nb, timeout=CELL_TIMEOUT, kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        error = None
        saved = os.environ.pop("NBGRADER_EXECUTION", None)  # run as a learner would, widgets included
        try:
            client.execute()
        except CellExecutionError as exc:
            error = exc
        finally:
            if saved is not None:
                os.environ["NBGRADER_EXECUTION"] = saved
        _EXECUTED[path] = (nb, error)
    return _EXECUTED[path]


def test_notebooks_are_found_and_named_after_their_folder():
    """The glob finds notebooks, one per folder, laid out as source/NN-topic/topic.ipynb."""
    assert NOTEBOOKS, f"no notebooks under {ROOT / 'source'}"
    for path in NOTEBOOKS:
        folder = path.parent.name
        match = re.fullmatch(r"(\d\d)-([a-z0-9-]+)", folder)
        assert match, f"{folder!r} should be named NN-topic, e.g. 01-chain-rule"
        assert path.stem == match.group(2).replace("-", "_"), (
            f"{path.relative_to(ROOT)} should be called {match.group(2).replace('-', '_')}.ipynb"
        )
    folders = [p.parent for p in NOTEBOOKS]
    assert len(folders) == len(set(folders)), "each assignment folder should hold exactly one notebook"


# --- committed state ---------------------------------------------------------------------------
@each_notebook
def test_valid_nbformat_without_outputs(path):
    """The notebook validates, names the python3 kernel and carries no outputs or execution counts."""
    nb = _read(path)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", (
        f"{path.relative_to(ROOT)}: kernelspec should be python3, got {nb.metadata.get('kernelspec')}"
    )
    dirty = [
        _where(path, i, c) for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.outputs or c.execution_count is not None)
    ]
    assert not dirty, f"outputs or execution counts committed in: {dirty}"


# --- nbgrader metadata -------------------------------------------------------------------------
@each_notebook
def test_grade_ids_are_unique_and_descriptive(path):
    """Every nbgrader cell has schema version 3 and a unique grade id made of [A-Za-z0-9_-]."""
    nb = _read(path)
    seen = {}
    for i, cell, meta in _nbgrader_cells(nb):
        where = _where(path, i, cell)
        assert meta.get("schema_version") == 3, f"{where}: schema_version should be 3, got {meta.get('schema_version')}"
        grade_id = meta.get("grade_id", "")
        assert GRADE_ID.match(grade_id), f"{where}: grade_id {grade_id!r} should match {GRADE_ID.pattern}"
        assert grade_id not in seen, f"{where}: grade_id {grade_id!r} is also used by cell {seen.get(grade_id)}"
        seen[grade_id] = i
        for key in ("grade", "solution", "locked"):
            assert isinstance(meta.get(key), bool), f"{where}: nbgrader.{key} should be true or false"


@each_notebook
def test_grade_cells_are_locked_tests_with_points(path):
    """Grade cells are locked code cells named test_*, with points, starting with a docstring."""
    nb = _read(path)
    for i, cell, meta in _nbgrader_cells(nb):
        if not meta["grade"]:
            assert "points" not in meta or not meta["points"], f"{_where(path, i, cell)}: points on a cell that is not graded"
            continue
        where = _where(path, i, cell)
        assert cell.cell_type == "code" and not meta["solution"], f"{where}: a grade cell should be a test (code) cell"
        assert meta["locked"], f"{where}: a test cell must be locked, or learners could edit it"
        assert meta["grade_id"].startswith("test_"), f"{where}: a test cell's grade_id should start with test_"
        points = meta.get("points")
        assert isinstance(points, (int, float)) and points > 0, f"{where}: points should be > 0, got {points!r}"
        tree = ast.parse(cell.source)
        first = tree.body[0] if tree.body else None
        assert isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant) \
            and isinstance(first.value.value, str), f"{where}: the first line should be a docstring saying what is tested"
        last = tree.body[-1]
        assert len(tree.body) > 1 and (not isinstance(last, ast.Expr) or isinstance(last.value, ast.Call)), (
            f"{where}: a test cell must end on a call (returning None) or a statement, never on a value"
        )


@each_notebook
def test_solution_and_hidden_regions(path):
    """Solution cells hold a BEGIN/END SOLUTION region; hidden tests sit only in grade cells; 8–12 points."""
    nb = _read(path)
    n_solutions = n_hidden = 0
    total = 0.0
    for i, cell, meta in _nbgrader_cells(nb):
        where = _where(path, i, cell)
        src = cell.source
        for begin, end in ((BEGIN_SOLUTION, END_SOLUTION), (BEGIN_HIDDEN, END_HIDDEN)):
            assert src.count(begin) == src.count(end), f"{where}: {begin!r} and {end!r} are not paired"
            assert src.find(begin) <= src.find(end), f"{where}: {end!r} comes before {begin!r}"
        if meta["solution"]:
            assert not meta["locked"], f"{where}: a solution cell must not be locked"
            if cell.cell_type == "code":
                assert BEGIN_SOLUTION in src, f"{where}: a solution cell has no {BEGIN_SOLUTION!r} region"
                n_solutions += 1
        else:
            assert BEGIN_SOLUTION not in src, f"{where}: a solution region in a cell that is not a solution cell"
        if BEGIN_HIDDEN in src:
            assert meta["grade"], f"{where}: hidden tests outside a grade cell"
            n_hidden += 1
        if meta["grade"]:
            total += float(meta["points"])
    assert n_solutions >= 1, f"{path.relative_to(ROOT)}: no solution cell"
    assert n_hidden >= 1, f"{path.relative_to(ROOT)}: no hidden tests"
    assert MIN_POINTS <= total <= MAX_POINTS, (
        f"{path.relative_to(ROOT)}: {total:g} points in all, expected {MIN_POINTS} to {MAX_POINTS}"
    )


@each_notebook
def test_learning_objectives_and_recap(path):
    """The notebook opens with objectives and ends with a recap (markdown)."""
    nb = _read(path)
    markdown = [c.source.lower() for c in nb.cells if c.cell_type == "markdown"]
    assert markdown, f"{path.relative_to(ROOT)} has no markdown"
    assert any(w in markdown[0] for w in ("objective", "by the end", "you will")), (
        f"{path.relative_to(ROOT)}: the first markdown cell should state the learning objectives"
    )
    assert "recap" in markdown[-1], f"{path.relative_to(ROOT)}: the last markdown cell should be a recap"


# --- execution ---------------------------------------------------------------------------------
@each_notebook
def test_runs_top_to_bottom_without_error(path):
    """A fresh kernel runs every cell, in order, without an exception."""
    nb, error = _execute(path)
    if error is not None:
        failing = [
            _where(path, i, c) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and any(o.output_type == "error" for o in c.get("outputs", []))
        ]
        message = ANSI.sub("", str(error))
        pytest.fail(f"{path.relative_to(ROOT)} stopped with an error in {failing or 'a cell'}:\n{message}")


@each_notebook
def test_nothing_on_stderr(path):
    """No cell writes to stderr (no warnings, no logging): nbgrader scores stderr in a test cell as 0."""
    nb, _ = _execute(path)
    noisy = [
        f"{_where(path, i, c)}: {o.text.strip()[:300]!r}"
        for i, c in enumerate(nb.cells) if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "stream" and o.name == "stderr"
    ]
    assert not noisy, "stderr output:\n" + "\n".join(noisy)


@each_notebook
def test_test_cells_print_and_return_nothing(path):
    """Run with solutions, every test cell passes and leaves no value (no Out[] that could be misgraded)."""
    nb, _ = _execute(path)
    for i, cell, meta in _nbgrader_cells(nb):
        if not meta["grade"]:
            continue
        kinds = [o.output_type for o in cell.get("outputs", [])]
        assert "error" not in kinds, f"{_where(path, i, cell)} fails on the reference solution"
        assert "execute_result" not in kinds, f"{_where(path, i, cell)} ends on a value"
