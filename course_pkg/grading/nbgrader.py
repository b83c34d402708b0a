"""nbgrader plumbing: the preprocessor that grades every test cell with the trusted engine.

Wired in ``nbgrader_config.py`` in place of nbgrader's ``Execute``::

    c.Autograde.autograde_preprocessors = [
        "course_pkg.grading.nbgrader.TrustedGrade",   # instead of nbgrader's Execute
        "nbgrader.preprocessors.IgnorePattern",
        "nbconvert.preprocessors.ClearMetadataPreprocessor",
        "nbgrader.preprocessors.LimitOutput",
        "nbgrader.preprocessors.SaveAutoGrades",
        "nbgrader.preprocessors.AssignLatePenalties",
        "nbgrader.preprocessors.CheckCellMetadata",
    ]

so the learner's code never runs in a kernel of the grading machine. :class:`TrustedGrade`:

1. reads the notebook's grade cells from the gradebook (their ``grade_id`` and points): a cell
   that claims to be a grade cell but is not one of them loses the claim, and one of them whose
   ``grade`` flag was removed gets it back (nbgrader has already restored their sources);
2. sends every other code cell, in order, to a sandboxed worker (:class:`~course_pkg.grading.
   learner.NotebookRun`; IPython syntax such as ``%matplotlib inline`` is turned into plain
   Python first), and records each cell's output and error in the notebook;
3. at each grade cell, once the cells above it have run, looks up its spec
   (:func:`course_pkg.checks.spec_for`) and runs it against a :class:`~course_pkg.grading.
   learner.SandboxLearner`: the visible cases, then the hidden ones seeded by
   :func:`course_pkg.grading.seed_for`. The cell's outputs become a stream line ``✔ ...`` on
   success or an error output (``CheckFailed``, the message only) on failure, so nbgrader's own
   ``determine_grade`` gives full marks or 0; ``cell.metadata["course_pkg"]`` holds
   ``{"outcome": outcome.to_dict(), "sandbox": MODE}``.

:func:`grade_notebook` does the same without nbgrader (nbgrader's Python API, tests, benchmarks).
"""

import logging
import time

from nbformat.notebooknode import NotebookNode, from_dict
from traitlets import Float, Integer

from nbgrader.preprocessors import NbGraderPreprocessor

from course_pkg.grading import sandbox
from course_pkg.grading.learner import NotebookRun, SandboxLearner

log = logging.getLogger(__name__)


def _nbgrader_meta(cell):
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def is_autograded(cell):
    """A code grade cell that is not also a solution (nbgrader scores it by its outputs)."""
    meta = _nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def to_python(source):
    """A cell's source as plain Python: IPython's own transformer turns ``%magic`` and ``!cmd``
    into ``get_ipython()`` calls (which do nothing while grading)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # IPython comes with ipywidgets; without it, send the source as it is
        return source
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - a syntax error is reported by the worker's compile
        return source


#: Names whose use makes a cell's dependencies unknowable: every cell is then run.
_DYNAMIC = {"exec", "eval", "globals", "locals", "vars", "get_ipython", "__import__", "__main__",
            "importlib", "compile", "runpy", "dir"}
#: Methods that change an object in place (a locked cell that calls one on a needed name runs).
_MUTATORS = {"append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault", "sort",
             "reverse", "fill", "put", "resize", "itemset", "add", "discard", "seed", "__setitem__"}
#: Calls that change global state (a locked cell that makes one runs).
_STATEFUL = ("seterr", "filterwarnings", "simplefilter", "set_printoptions", "random.seed", "rcParams",
             "setrecursionlimit", "setup_kernel")


def _names(source):
    """(names a cell binds at top level, names it reads anywhere, names it mutates) or None."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    binds, reads, mutates = set(), set(), set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            binds.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    return None
                binds.add((alias.asname or alias.name).split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (binds if isinstance(node.ctx, ast.Store) and node in _top_targets(tree) else reads).add(node.id)
            if isinstance(node.ctx, ast.Del):
                mutates.add(node.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            binds.update(node.names)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                base = target
                while isinstance(base, (ast.Attribute, ast.Subscript)):
                    base = base.value
                if isinstance(base, ast.Name) and base is not target:
                    mutates.add(base.id)
                if isinstance(node, ast.AugAssign) and isinstance(target, ast.Name):
                    mutates.add(target.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _MUTATORS:
            base = node.func.value
            while isinstance(base, (ast.Attribute, ast.Subscript)):
                base = base.value
            if isinstance(base, ast.Name):
                mutates.add(base.id)
    # Names bound anywhere at module level (also inside for/with/if at top level).
    return binds, reads, mutates


def _top_targets(tree):
    import ast

    cache = getattr(tree, "_course_top", None)
    if cache is None:
        cache = set()
        stack = list(tree.body)
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                    cache.add(child)
                elif not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                    stack.append(child)
        tree._course_top = cache
    return cache


def cells_to_run(cells, wanted=()):
    """The learner cells the sandbox must run: every cell the learner can edit, and each locked
    (instructor) cell that binds or changes a name a later kept cell reads, or changes global
    state. A demonstration cell whose results nothing of the learner's reads is not run (its
    outputs are not shown for locked cells anyway). ``cells`` is a list of
    ``(index, source, locked)``; ``wanted`` names the specs read. Conservative: if any cell
    uses ``exec``, ``globals()``, ``get_ipython()`` and the like, or a star import, or does not
    parse, every cell runs.
    """
    analysed = [(index, source, locked, _names(source)) for index, source, locked in cells]
    if any(names is None or names[1] & _DYNAMIC for _, _, locked, names in analysed if not locked) or any(
            names is None for _, _, _, names in analysed):
        return [(index, source) for index, source, _, _ in analysed]
    needed = set(wanted)
    keep = []
    for index, source, locked, (binds, reads, mutates) in reversed(analysed):
        if (not locked or (binds | mutates) & needed or any(marker in source for marker in _STATEFUL)):
            keep.append((index, source))
            needed |= reads | mutates
    return keep[::-1]


def sanitize_grade_cells(nb, grade_cells):
    """Make the notebook's grade flags agree with the gradebook's grade cells.

    ``grade_cells`` maps grade_id -> points. A cell that claims ``grade`` with another id loses
    the claim (it is then an ordinary cell); a cell with a known id whose ``grade`` flag was
    removed gets it (and its points) back.
    """
    for cell in nb.cells:
        meta = _nbgrader_meta(cell)
        if not meta:
            continue
        grade_id = meta.get("grade_id")
        if meta.get("grade") and grade_id not in grade_cells:
            log.warning("cell %r claims to be a grade cell but is none of the assignment's: "
                        "graded as an ordinary cell", grade_id)
            meta["grade"] = False
        elif grade_id in grade_cells and not meta.get("grade"):
            log.warning("grade cell %r lost its grade flag: restored", grade_id)
            meta["grade"] = True
            meta["points"] = grade_cells[grade_id]


def restore_missing_grade_cells(nb, source_cells):
    """Put back every grade cell the learner deleted, from the gradebook's copy.

    ``source_cells`` is a list of dicts ``{"grade_id", "source", "cell_type", "points"}`` in
    source order (grade cells only, or all locked cells: those without ``points`` are skipped).
    A restored cell goes after the nearest earlier source cell still present (nbgrader's own
    ``OverwriteCells.add_missing_cells`` cannot be used: it fails on cells without an id).
    """
    present = {_nbgrader_meta(c).get("grade_id"): i for i, c in enumerate(nb.cells)}
    order = [c["grade_id"] for c in source_cells]
    for k, cell in enumerate(source_cells):
        if cell.get("points") is None or cell["grade_id"] in present:
            continue
        log.warning("grade cell %r is missing: restored from the gradebook", cell["grade_id"])
        node = from_dict({
            "cell_type": "code", "execution_count": None, "outputs": [], "source": cell["source"],
            "metadata": {"deletable": False, "editable": False, "nbgrader": {
                "grade": True, "grade_id": cell["grade_id"], "locked": True, "solution": False,
                "points": cell["points"], "schema_version": 3}},
        })
        before = [present[g] for g in order[:k] if g in present]
        where = max(before) + 1 if before else len(nb.cells)
        nb.cells.insert(where, node)
        present = {_nbgrader_meta(c).get("grade_id"): i for i, c in enumerate(nb.cells)}


def _outputs_of(result):
    outputs = []
    if result.stdout:
        outputs.append(from_dict({"output_type": "stream", "name": "stdout", "text": result.stdout}))
    if result.stderr:
        outputs.append(from_dict({"output_type": "stream", "name": "stderr", "text": result.stderr}))
    if result.error:
        outputs.append(from_dict({"output_type": "error", **result.error}))
    return outputs


def _graded_outputs(outcome):
    if outcome.passed:
        return [from_dict({"output_type": "stream", "name": "stdout", "text": f"✔ {outcome.message}\n"})]
    lines = outcome.message.splitlines() or [outcome.kind]
    return [from_dict({"output_type": "error", "ename": "CheckFailed", "evalue": outcome.message,
                       "traceback": ["✘ " + lines[0], *lines[1:]]})]


def grade_cell(spec, learner, assignment, grade_id):
    """The trusted outcome of one grade cell: the visible cases, then the hidden ones."""
    from course_pkg.checks import engine
    from course_pkg.grading import seed_for

    from course_pkg.checks.learner import LearnerRaised, LearnerTimeout

    try:
        outcome = engine.run(spec, learner, hidden=False)
        if outcome.passed:
            outcome = engine.run(spec, learner, hidden=True, seed=seed_for(assignment, grade_id))
    except LearnerTimeout:  # raised where the engine does not expect it (e.g. by has())
        return engine.Outcome(False, "timeout", "Your notebook did not answer in time: is there an endless loop?")
    except LearnerRaised as exc:
        return engine.Outcome(False, "error", f"Your notebook could not be checked: {exc.message}")
    return outcome


def _grader_failed(message):
    from course_pkg.checks.engine import Outcome

    return Outcome(False, "error", message)


def grade_notebook(nb, assignment, *, grade_cells=None, limits=None, seed=0):
    """Grade ``nb`` (a NotebookNode) in place with the trusted engine; return a summary dict.

    Parameters
    ----------
    nb : NotebookNode
        The notebook (nbgrader has restored its locked cells when called from autograde).
    assignment : str
        The assignment folder name, e.g. ``"02-activations"``.
    grade_cells : dict, optional
        grade_id -> points of the assignment's grade cells (from the gradebook); by default the
        notebook's own grade cells are believed.
    limits : sandbox.Limits, optional
    seed : int
        Seed of ``random``/``numpy.random`` in the worker.

    Returns
    -------
    dict
        ``{"mode", "seconds", "restarts", "cells": {grade_id: outcome dict}}``.
    """
    from course_pkg import checks

    started = time.monotonic()
    limits = limits or sandbox.Limits()
    if grade_cells is not None:
        sanitize_grade_cells(nb, grade_cells)
    try:
        table = checks.specs(assignment)
    except ValueError as exc:
        log.error("no trusted checks for assignment %r: %s", assignment, exc)
        table = {}
    learner_cells = cells_to_run(
        [(i, to_python(c.source), bool(_nbgrader_meta(c).get("locked"))) for i, c in enumerate(nb.cells)
         if c.cell_type == "code" and not _nbgrader_meta(c).get("grade")],
        wanted={name for spec in table.values() for name in getattr(spec, "names", ())})
    mode = sandbox.mode()
    summary = {"mode": mode, "cells": {}}
    from course_pkg.grading.references import sandbox_course

    with NotebookRun(learner_cells, limits, seed=seed, course=sandbox_course(assignment)) as run:
        learner = SandboxLearner(run)
        for index, cell in enumerate(nb.cells):
            if not is_autograded(cell):
                continue
            run.run_until(index)
            grade_id = _nbgrader_meta(cell).get("grade_id")
            spec = table.get(grade_id)
            if spec is None:
                log.error("%s: grade cell %r has no spec in course_pkg.checks: it scores 0",
                          assignment, grade_id)
                outcome = _grader_failed(
                    f"The grader has no check for the cell {grade_id!r} of {assignment}; "
                    "tell your instructor (this cell scores 0 until it has one).")
            else:
                try:
                    outcome = grade_cell(spec, learner, assignment, grade_id)
                except Exception as exc:  # noqa: BLE001 - a grader bug must not stop the batch
                    log.exception("%s: the check of %r failed", assignment, grade_id)
                    outcome = _grader_failed(f"The grader could not run this check ({type(exc).__name__}); "
                                             "tell your instructor.")
            cell.outputs = _graded_outputs(outcome)
            cell.execution_count = None
            cell.metadata["course_pkg"] = {"outcome": outcome.to_dict(), "sandbox": mode}
            summary["cells"][grade_id] = outcome.to_dict()
        run.run_all()
        count = 0
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or _nbgrader_meta(cell).get("grade"):
                continue
            result = run.results.get(index)
            count += 1
            # The instructor's locked cells show nothing: in the sandbox the references an
            # exercise forbids are missing, so a demonstration cell may fail there, and its
            # output says nothing about the learner's work.
            locked = bool(_nbgrader_meta(cell).get("locked"))
            cell.outputs = _outputs_of(result) if result and not locked else []
            cell.execution_count = count if result else None
        summary["restarts"] = run.restarts
        summary["events"] = list(run.events)
    summary["seconds"] = time.monotonic() - started
    if mode != "bubblewrap":
        log.warning("%s graded in %s mode (%s)", assignment, mode, sandbox.mode_reason())
    return summary


class TrustedGrade(NbGraderPreprocessor):
    """nbgrader preprocessor: every test cell graded by the trusted engine, learner code sandboxed.

    Replaces nbgrader's ``Execute`` in ``Autograde.autograde_preprocessors``. Its limits are
    configurable, e.g. ``c.TrustedGrade.notebook_seconds = 300``.
    """

    cpu_seconds = Integer(sandbox.Limits.cpu_seconds, help="CPU seconds of a notebook's worker").tag(config=True)
    memory_bytes = Integer(sandbox.Limits.memory_bytes, help="Address-space limit of a notebook's worker").tag(config=True)
    processes = Integer(sandbox.Limits.processes, help="Processes and threads of a notebook's worker").tag(config=True)
    notebook_seconds = Float(sandbox.Limits.notebook_seconds, help="Wall-clock budget of a notebook").tag(config=True)
    cell_seconds = Float(sandbox.Limits.cell_seconds, help="Wall-clock budget of one learner cell").tag(config=True)
    call_seconds = Float(sandbox.Limits.call_seconds, help="Wall-clock budget of one call of a learner's function").tag(config=True)

    def limits(self):
        return sandbox.Limits(cpu_seconds=self.cpu_seconds, memory_bytes=self.memory_bytes,
                              processes=self.processes, notebook_seconds=self.notebook_seconds,
                              cell_seconds=self.cell_seconds, call_seconds=self.call_seconds)

    def preprocess(self, nb: NotebookNode, resources):
        info = resources.get("nbgrader", {})
        assignment = info.get("assignment")
        grade_cells = None
        if info.get("db_url") and info.get("notebook"):
            grade_cells, sources = self._grade_cells(info["db_url"], info["notebook"], assignment)
            restore_missing_grade_cells(nb, sources)
        summary = grade_notebook(nb, assignment, grade_cells=grade_cells, limits=self.limits())
        self.log.info("trusted grading of %s/%s (%s): %s in %.1f s, %d restart(s)",
                      info.get("student"), assignment, summary["mode"],
                      {k: v["kind"] for k, v in summary["cells"].items()}, summary["seconds"],
                      summary["restarts"])
        return nb, resources

    def _grade_cells(self, db_url, notebook, assignment):
        from nbgrader.api import Gradebook

        with Gradebook(db_url) as gb:
            nb = gb.find_notebook(notebook, assignment)
            points = {cell.name: float(cell.max_score) for cell in nb.grade_cells}
            sources = [{"grade_id": c.name, "source": c.source, "cell_type": c.cell_type,
                        "points": points.get(c.name) if c.cell_type == "code" else None}
                       for c in nb.source_cells]
            return points, sources


class CheckClaims(NbGraderPreprocessor):
    """Sanitize preprocessor: a cell's nbgrader metadata is the gradebook's, not the learner's.

    Placed first among ``Autograde.sanitize_preprocessors`` and again after ``DeduplicateIds``.
    A cell whose id is not one of the notebook's source cells loses its nbgrader metadata (it is
    an ordinary cell); a source cell gets back exactly its own ``grade``, ``solution``,
    ``locked``, ``points`` and ``schema_version``. Left to itself, nbgrader stops the *whole
    batch* on one cell whose metadata is empty or of another schema version (a copied test cell
    leaves one behind ``DeduplicateIds``), and reports an error for a solution cell that claims
    to be a grade cell or a test cell whose grade flag was removed.
    """

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook

        info = resources.get("nbgrader", {})
        with Gradebook(info["db_url"]) as gb:
            source = gb.find_notebook(info["notebook"], info["assignment"])
            locked = {c.name: bool(c.locked) for c in source.source_cells}
            grades = {c.name: float(c.max_score) for c in source.grade_cells}
            solutions = {c.name for c in source.solution_cells}
            tasks = {c.name: float(c.max_score) for c in getattr(source, "task_cells", ())}
        for cell in nb.cells:
            if "nbgrader" not in cell.get("metadata", {}):
                continue
            meta = cell.metadata["nbgrader"]
            grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
            if grade_id not in locked:
                if isinstance(meta, dict) and (meta.get("grade") or meta.get("solution") or meta.get("locked")):
                    self.log.warning("cell %r is none of the notebook's: an ordinary cell now", grade_id)
                del cell.metadata["nbgrader"]
                continue
            claims = {"grade_id": grade_id, "grade": grade_id in grades, "solution": grade_id in solutions,
                      "locked": locked[grade_id], "schema_version": 3}
            if grade_id in grades:
                claims["points"] = grades[grade_id]
            if grade_id in tasks:
                claims.update(task=True, points=tasks[grade_id])
            if {k: meta.get(k) for k in claims} != claims or set(meta) - set(claims) - {"checksum", "cell_type"}:
                self.log.warning("cell %r: its nbgrader metadata restored from the gradebook", grade_id)
            cell.metadata["nbgrader"] = from_dict(
                {**claims, **{k: meta[k] for k in ("checksum", "cell_type") if k in meta}})
        return nb, resources


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback preprocessor: the hidden part of every test cell removed, whatever the learner typed.

    nbgrader's ``ClearHiddenTests`` is meant for release; on a learner's notebook it stops with
    an error when the learner's own cell holds an unmatched or misplaced marker. This one
    removes the hidden regions of grade cells (the only cells that have real ones) and leaves a
    learner's own text alone.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        from nbgrader.preprocessors import ClearHiddenTests

        if _nbgrader_meta(cell).get("grade"):
            clear = ClearHiddenTests(enforce_metadata=False)
            try:
                clear._remove_hidden_test_region(cell)
            except RuntimeError:  # an unmatched marker: hide the whole cell rather than leak
                cell.source = "# (the hidden tests of this cell are not shown)"
        return cell, resources
