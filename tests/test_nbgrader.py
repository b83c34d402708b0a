"""nbgrader's real CLI on a copy of the course: release, autograde, and what each submission scores.

One module-scoped fixture copies ``nbgrader_config.py`` and ``source/`` into a temporary
course, runs ``python -m nbgrader generate_assignment "*"`` once, submits five students for
every assignment and grades them all with ONE ``python -m nbgrader autograde "*"`` call:

* ``solved``: the source notebook, solutions included: must get full marks;
* ``untouched``: the release as a learner receives it: must get 0;
* ``tampered``: the release with every test cell replaced by ``pass``: nbgrader restores the
  locked test cells from the gradebook, so it must still get 0;
* ``partial``: the solved notebook with its first solution cell left as released: it must get
  some points but not all, and the feedback nbgrader returns must tell the learner what to do;
* ``patcher``: the release (no solution written) whose first solution cell also replaces every
  function of every ``course_pkg.checks`` module with one that prints "✔": the trusted grader
  (course_pkg.grading) never runs the learner's checkers, so it must still give 0 in every test
  cell, and say why (the exercise is not written). The full cheat catalogue is in tests/grading/.

After autograding, ONE ``python -m nbgrader generate_feedback "*"`` writes the HTML feedback.

Assignments are found by glob (``source/*/*.ipynb``), so new notebooks are covered at once.
"""

import dataclasses
import os
import pathlib
import shutil
import subprocess
import sys

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(ROOT.glob("source/*/*.ipynb"))
ASSIGNMENTS = {p.parent.name: p.name for p in NOTEBOOKS}
STUDENTS = ("solved", "untouched", "tampered", "partial", "patcher")

#: What the patcher appends to its first solution cell: every checker always passes (in the learner's process).
PATCH_EVERY_CHECKER = '''

# Make every test pass: replace each checker of the course with one that prints a tick.
import importlib as _importlib
import pkgutil as _pkgutil

import course_pkg.checks as _course_checks

for _info in _pkgutil.iter_modules(_course_checks.__path__):
    _checker_module = _importlib.import_module(f"course_pkg.checks.{_info.name}")
    for _name in dir(_checker_module):
        if callable(getattr(_checker_module, _name)) and not _name.startswith("__"):
            setattr(_checker_module, _name, lambda *args, **kwargs: print("✔"))
'''

#: Seconds nbgrader may take for one command (all assignments and students together).
NBGRADER_TIMEOUT = 900
#: Solution or hidden-test lines shorter than this are too generic to prove a leak (")", "])").
MIN_SECRET_LINE = 4
#: Score tolerance (nbgrader stores floats).
SCORE_TOL = 1e-9

MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
REGIONS = (("### BEGIN SOLUTION", "### END SOLUTION"), ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"))

each_assignment = pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))


@dataclasses.dataclass(repr=False)
class Course:
    root: pathlib.Path
    generate: subprocess.CompletedProcess
    autograde: subprocess.CompletedProcess
    feedback: subprocess.CompletedProcess
    scores: dict  # (assignment, student) -> (score, max_score, {grade_id: (score, max_score)})

    def __repr__(self):
        return f"Course({self.root})"

    def release(self, assignment):
        return self.root / "notebooks" / assignment / ASSIGNMENTS[assignment]  # the release_directory

    def autograded(self, assignment, student):
        return self.root / "autograded" / student / assignment / ASSIGNMENTS[assignment]

    def feedback_html(self, assignment, student):
        name = pathlib.Path(ASSIGNMENTS[assignment]).stem + ".html"
        return self.root / "feedback" / student / assignment / name


def _nbgrader(root, *args):
    env = {k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"}
    # nbgrader runs `alembic` (installed beside this Python) when it creates the gradebook.
    env["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), env.get("PATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"],
        cwd=root, env=env, capture_output=True, text=True, timeout=NBGRADER_TIMEOUT,
    )


def _tail(proc, n=3000):
    return f"exit code {proc.returncode}\n--- stdout ---\n{proc.stdout[-n:]}\n--- stderr ---\n{proc.stderr[-n:]}"


def _grade_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def _submit(root, student, assignment, nb):
    dest = root / "submitted" / student / assignment / ASSIGNMENTS[assignment]
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)


def _first_exercise_unsolved(source, release):
    """The solved notebook, but with its first solution cell as the release has it (a stub)."""
    stubs = {c.metadata.nbgrader.grade_id: c.source for c in release.cells
             if c.metadata.get("nbgrader", {}).get("solution")}
    first = next(c for c in source.cells if c.metadata.get("nbgrader", {}).get("solution"))
    first.source = stubs[first.metadata.nbgrader.grade_id]
    return source


def _checkers_patched(release):
    """The release, with every checker replaced by a no-op from its first solution cell."""
    first = next(c for c in release.cells if c.metadata.get("nbgrader", {}).get("solution"))
    first.source += PATCH_EVERY_CHECKER
    return release


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Generate, submit every student per assignment, autograde them all, read the gradebook."""
    from nbgrader.api import Gradebook

    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(ROOT / "source", root / "source",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    generate = _nbgrader(root, "generate_assignment", "*")

    for assignment, name in ASSIGNMENTS.items():
        release = root / "notebooks" / assignment / name
        if not release.exists():
            continue
        _submit(root, "solved", assignment, nbformat.read(root / "source" / assignment / name, as_version=4))
        _submit(root, "untouched", assignment, nbformat.read(release, as_version=4))
        tampered = nbformat.read(release, as_version=4)
        for cell in _grade_cells(tampered):
            cell.source = "pass"
        _submit(root, "tampered", assignment, tampered)
        _submit(root, "partial", assignment, _first_exercise_unsolved(
            nbformat.read(root / "source" / assignment / name, as_version=4),
            nbformat.read(release, as_version=4)))
        _submit(root, "patcher", assignment, _checkers_patched(nbformat.read(release, as_version=4)))
    autograde = _nbgrader(root, "autograde", "*")
    feedback = _nbgrader(root, "generate_feedback", "*")

    scores = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for assignment, name in ASSIGNMENTS.items():
            for student in STUDENTS:
                try:
                    submission = gb.find_submission_notebook(pathlib.Path(name).stem, assignment, student)
                except Exception:  # MissingEntry: not generated or not graded
                    continue
                cells = {g.name: (g.score, g.max_score) for g in submission.grades}
                scores[assignment, student] = (submission.score, submission.max_score, cells)
    return Course(root, generate, autograde, feedback, scores)


def _score(course, assignment, student):
    if (assignment, student) not in course.scores:
        pytest.fail(
            f"{assignment}: no grade for student {student!r} in the gradebook.\n"
            f"generate_assignment: {_tail(course.generate)}\nautograde: {_tail(course.autograde)}"
        )
    return course.scores[assignment, student]


def _error_of(course, assignment, student, grade_id):
    """The error (or stderr) a grade cell produced in the autograded notebook, for messages."""
    path = course.autograded(assignment, student)
    if not path.exists():
        return "(no autograded notebook)"
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            for out in cell.get("outputs", []):
                if out.output_type == "error":
                    return f"{out.ename}: {out.evalue}"
                if out.output_type == "stream" and out.name == "stderr":
                    return f"stderr: {out.text.strip()[:500]}"
    return "(no error output)"


def _source_points(assignment):
    nb = nbformat.read(ROOT / "source" / assignment / ASSIGNMENTS[assignment], as_version=4)
    return {c.metadata.nbgrader.grade_id: float(c.metadata.nbgrader.points) for c in _grade_cells(nb)}


def test_assignments_are_found():
    """There is at least one assignment; each is a folder of source/ holding one notebook."""
    assert ASSIGNMENTS, f"no notebooks under {ROOT / 'source'}"
    assert len(ASSIGNMENTS) == len(NOTEBOOKS), "each assignment folder should hold exactly one notebook"


def test_cli_commands_succeed(course):
    """`nbgrader generate_assignment "*"` and `nbgrader autograde "*"` exit with status 0."""
    assert course.generate.returncode == 0, f"generate_assignment failed: {_tail(course.generate)}"
    assert course.autograde.returncode == 0, f"autograde failed: {_tail(course.autograde)}"


@each_assignment
def test_release_is_generated(course, assignment):
    """generate_assignment writes the student version release/<assignment>/<notebook>."""
    assert course.release(assignment).exists(), (
        f"{assignment}: no release notebook.\n{_tail(course.generate)}"
    )


def _secret_lines(nb):
    """Lines inside solution and hidden-test regions that appear nowhere else in the source."""
    secret, public = set(), set()
    for cell in nb.cells:
        inside = None
        for line in cell.source.splitlines():
            text = line.strip()
            begin = next((b for b, e in REGIONS if text.startswith(b)), None)
            if begin:
                inside = begin
                continue
            if inside and text.startswith(dict(REGIONS)[inside]):
                inside = None
                continue
            (secret if inside else public).add(text)
    return {s for s in secret - public if len(s) >= MIN_SECRET_LINE}


@each_assignment
def test_release_holds_no_solution_and_no_hidden_test(course, assignment):
    """The release has no markers and none of the source's solution or hidden-test lines."""
    release = course.release(assignment)
    if not release.exists():
        pytest.fail(f"{assignment}: no release notebook.\n{_tail(course.generate)}")
    source = nbformat.read(ROOT / "source" / assignment / ASSIGNMENTS[assignment], as_version=4)
    secrets = _secret_lines(source)
    assert secrets, f"{assignment}: the source has no solution or hidden-test lines to protect"
    leaks = []
    for index, cell in enumerate(nbformat.read(release, as_version=4).cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {index}")
        for line in cell.source.splitlines():
            if any(m in line for m in MARKERS):
                leaks.append(f"{grade_id}: marker {line.strip()!r}")
            elif line.strip() in secrets:
                leaks.append(f"{grade_id}: {line.strip()!r}")
    assert not leaks, f"{assignment}: the release leaks:\n" + "\n".join(leaks)


@each_assignment
def test_solved_source_gets_full_marks(course, assignment):
    """The source notebook (solutions included), autograded as a submission, earns every point."""
    score, max_score, cells = _score(course, assignment, "solved")
    expected = _source_points(assignment)
    assert abs(max_score - sum(expected.values())) <= SCORE_TOL, (
        f"{assignment}: the gradebook says {max_score} points, the source has {sum(expected.values())}"
    )
    lost = {gid: s for gid, s in cells.items() if s[0] is None or s[0] < s[1] - SCORE_TOL}
    assert not lost, f"{assignment}: the solved notebook lost points in " + "; ".join(
        f"{gid} ({s[0]}/{s[1]}): {_error_of(course, assignment, 'solved', gid)}" for gid, s in lost.items()
    )
    assert abs(score - max_score) <= SCORE_TOL


@each_assignment
def test_untouched_release_gets_zero(course, assignment):
    """The release, submitted as received, scores 0 in every test cell."""
    score, _, cells = _score(course, assignment, "untouched")
    earned = {gid: s for gid, s in cells.items() if s[0]}
    assert not earned and score == 0, f"{assignment}: the untouched release earned points in {earned}"


@each_assignment
def test_edited_test_cells_are_restored_and_still_score_zero(course, assignment):
    """A release whose test cells were replaced by `pass` still scores 0: nbgrader restores them."""
    score, _, cells = _score(course, assignment, "tampered")
    earned = {gid: s for gid, s in cells.items() if s[0]}
    assert not earned and score == 0, f"{assignment}: emptied test cells earned points in {earned}"
    graded = nbformat.read(course.autograded(assignment, "tampered"), as_version=4)
    source = nbformat.read(ROOT / "source" / assignment / ASSIGNMENTS[assignment], as_version=4)
    originals = {c.metadata.nbgrader.grade_id: c.source for c in _grade_cells(source)}
    for cell in _grade_cells(graded):
        grade_id = cell.metadata.nbgrader.grade_id
        assert cell.source == originals[grade_id], f"{assignment}: {grade_id} was not restored from the source"


@each_assignment
def test_partial_submission_gets_partial_marks_and_actionable_feedback(course, assignment):
    """One exercise left undone: some points, not all, and feedback that says what to do."""
    assert course.feedback.returncode == 0, f"generate_feedback failed: {_tail(course.feedback)}"
    score, max_score, cells = _score(course, assignment, "partial")
    assert 0 < score < max_score, f"{assignment}: the partial submission scored {score}/{max_score}: {cells}"
    lost = [gid for gid, s in cells.items() if not s[0]]
    html = course.feedback_html(assignment, "partial")
    assert html.exists(), f"{assignment}: no feedback file {html}"
    text = html.read_text()
    assert "is not written yet" in text, (
        f"{assignment}: the feedback for the unsolved exercise ({lost}) does not say what to do"
    )
    assert "Traceback" not in _error_of(course, assignment, "partial", lost[0])


@each_assignment
def test_feedback_shows_no_hidden_test(course, assignment):
    """The feedback HTML holds the test cells without their hidden part."""
    html = course.feedback_html(assignment, "solved")
    assert html.exists(), f"{assignment}: no feedback file {html}"
    text = html.read_text()
    assert "BEGIN HIDDEN TESTS" not in text and "END HIDDEN TESTS" not in text, (
        f"{assignment}: the feedback shows hidden tests")


@each_assignment
def test_replacing_the_checkers_scores_zero(course, assignment):
    """No solution, every checker replaced by a no-op in the learner's process: still 0, and why."""
    score, _, cells = _score(course, assignment, "patcher")
    earned = {gid: s for gid, s in cells.items() if s[0]}
    assert not earned and score == 0, f"{assignment}: patching the checkers earned points in {earned}"
    graded = nbformat.read(course.autograded(assignment, "patcher"), as_version=4)
    for cell in _grade_cells(graded):
        grade_id = cell.metadata.nbgrader.grade_id
        errors = [out for out in cell.get("outputs", []) if out.output_type == "error"]
        assert errors and errors[0].ename == "CheckFailed", (
            f"{assignment}: {grade_id} did not fail: {_error_of(course, assignment, 'patcher', grade_id)}"
        )
        outcome = cell.metadata["course_pkg"]["outcome"]
        assert outcome["passed"] is False and outcome["message"] == errors[0].evalue, outcome
