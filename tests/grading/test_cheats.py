"""The cheat catalogue (tests/grading/cheats.py) through the real ``nbgrader autograde``.

One module-scoped fixture copies the course (``nbgrader_config.py`` and ``source/``) to a
temporary folder, releases every assignment, submits for every assignment an honest solution
and the untouched release (students ``a-honest``, ``a-untouched``), every cheat of the catalogue
(``c<NN>-<name>``), then again an honest solution and the untouched release (``z-honest``,
``z-untouched``), and grades everything with ONE ``nbgrader autograde "*"`` call: nbgrader
grades student by student in name order, so the ``z-`` submissions are graded after every
hostile one. Then it waits for anything a submission might have left running, and reads the
gradebook twice.

Assignments are found by glob (``source/*/*.ipynb``): new notebooks are attacked at once.
"""

import hashlib
import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys
import time

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(ROOT.glob("source/*/*.ipynb"))
ASSIGNMENTS = {p.parent.name: p.name for p in NOTEBOOKS}

_spec = importlib.util.spec_from_file_location("grading_cheats", pathlib.Path(__file__).with_name("cheats.py"))
cheats = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cheats)

STUDENTS_BEFORE = ("a-honest", "a-untouched")
STUDENTS_AFTER = ("z-honest", "z-untouched")
CHEAT_STUDENTS = {f"c{k:02d}-{cheat.name}": cheat for k, cheat in enumerate(cheats.CATALOGUE)}
#: Limits for the test course: short, so that the hanging cheats cost little time.
TEST_LIMITS = """
c.TrustedGrade.cell_seconds = 10
c.TrustedGrade.call_seconds = 5
c.TrustedGrade.notebook_seconds = 120
"""
#: Seconds a background process of a cheat waits before it strikes (cheats.background_gradebook).
BACKGROUND_DELAY = 4
TOL = 1e-9


def _nbgrader(root, *args, timeout=1800):
    env = {k: v for k, v in os.environ.items() if k not in ("NBGRADER_EXECUTION", "COURSE_GRADEBOOK_URL")}
    env["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), env.get("PATH", "")])
    env["COURSE_GRADING_SECRET"] = "the test course's secret"
    return subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=timeout)


def _tail(proc, n=4000):
    return f"exit {proc.returncode}\n--- stdout ---\n{proc.stdout[-n:]}\n--- stderr ---\n{proc.stderr[-n:]}"


def _tree_hash(root):
    digest = hashlib.sha256()
    for path in sorted(pathlib.Path(root).rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _read_scores(db):
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{db}") as gb:
        for assignment, name in ASSIGNMENTS.items():
            for student in gb.students:
                try:
                    sub = gb.find_submission_notebook(pathlib.Path(name).stem, assignment, student.id)
                except Exception:  # MissingEntry
                    continue
                scores[assignment, student.id] = (
                    sub.score, sub.max_score, {g.name: (g.score, g.max_score) for g in sub.grades})
    return scores


def _submit(root, student, assignment, nb, files=()):
    folder = root / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / ASSIGNMENTS[assignment])
    for relative, text in dict(files).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from course_pkg import checks

    root = tmp_path_factory.mktemp("cheats")
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    with open(root / "nbgrader_config.py", "a") as fh:
        fh.write(TEST_LIMITS)
    shutil.copytree(ROOT / "source", root / "source", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    generate = _nbgrader(root, "generate_assignment", "*")
    assert generate.returncode == 0, _tail(generate)
    db = root / "gradebook.db"
    for assignment, name in ASSIGNMENTS.items():
        source_path, release_path = root / "source" / assignment / name, root / "notebooks" / assignment / name
        read = lambda p: nbformat.read(p, as_version=4)  # noqa: E731
        for student in STUDENTS_BEFORE + STUDENTS_AFTER:
            _submit(root, student, assignment, read(source_path if student.endswith("honest") else release_path))
        for student, cheat in CHEAT_STUDENTS.items():
            ctx = cheats.Context(assignment, read(source_path), read(release_path), checks.specs(assignment),
                                 str(root), str(ROOT), str(db))
            nb, files = cheats.build(cheat, ctx)
            _submit(root, student, assignment, nb, files)
    repo_hash = _tree_hash(ROOT / "course_pkg")
    started = time.monotonic()
    autograde = _nbgrader(root, "autograde", "*")
    seconds = time.monotonic() - started
    scores = _read_scores(db)
    db_hash = hashlib.sha256(db.read_bytes()).hexdigest()
    time.sleep(BACKGROUND_DELAY + 2)  # anything left behind would strike now
    return {
        "root": root, "autograde": autograde, "seconds": seconds, "scores": scores,
        "scores_later": _read_scores(db), "db_hash": db_hash,
        "db_hash_later": hashlib.sha256(db.read_bytes()).hexdigest(),
        "repo_hash": repo_hash, "repo_hash_later": _tree_hash(ROOT / "course_pkg"),
    }


def _score(graded, assignment, student):
    key = (assignment, student)
    assert key in graded["scores"], f"{assignment}: no grade for {student}.\n{_tail(graded['autograde'])}"
    return graded["scores"][key]


def _cells(graded, assignment, student):
    path = graded["root"] / "autograded" / student / assignment / ASSIGNMENTS[assignment]
    nb = nbformat.read(path, as_version=4)
    return {c.metadata.nbgrader.grade_id: c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}


def test_one_autograde_call_grades_the_whole_catalogue(graded):
    """The batch runs to the end (exit 0) whatever the submissions do."""
    print(f"\ncheat catalogue: {len(CHEAT_STUDENTS) + 4} students x {len(ASSIGNMENTS)} assignments "
          f"autograded in {graded['seconds']:.0f} s")
    assert graded["autograde"].returncode == 0, _tail(graded["autograde"])


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
@pytest.mark.parametrize("student", sorted(CHEAT_STUDENTS))
def test_cheat_scores_no_more_than_the_untouched_release(graded, assignment, student):
    """Every cheat scores at most what the untouched release scores, cell by cell."""
    cheat = CHEAT_STUDENTS[student]
    score, max_score, cells = _score(graded, assignment, student)
    if cheat.expect == "full":
        lost = {g: s for g, s in cells.items() if s[0] is None or s[0] < s[1] - TOL}
        assert not lost and abs(score - max_score) <= TOL, (
            f"{assignment}: honest work with {cheat.attack} lost points: {lost}")
        return
    base, _, base_cells = _score(graded, assignment, "a-untouched")
    forged = {g: s for g, s in cells.items() if (s[0] or 0) > (base_cells.get(g, (0, 0))[0] or 0) + TOL}
    assert not forged and score <= base + TOL, (
        f"{assignment}: the cheat {cheat.name!r} ({cheat.attack}) scored {score}/{max_score} "
        f"(the untouched release: {base}); forged cells: {forged}")


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_honest_work_after_the_cheats_scores_as_before(graded, assignment):
    """Graded after every hostile submission, the honest solution and the blank release score as
    the ones graded before them, with the same messages (nothing carried over, re-grading is
    deterministic)."""
    for before, after in zip(STUDENTS_BEFORE, STUDENTS_AFTER):
        assert _score(graded, assignment, before) == _score(graded, assignment, after), (
            f"{assignment}: {after} scored {_score(graded, assignment, after)}, {before} "
            f"{_score(graded, assignment, before)}")
        first, second = _cells(graded, assignment, before), _cells(graded, assignment, after)
        assert {g: c.metadata["course_pkg"]["outcome"] for g, c in first.items()} == {
            g: c.metadata["course_pkg"]["outcome"] for g, c in second.items()}
    score, max_score, _ = _score(graded, assignment, "a-honest")
    assert abs(score - max_score) <= TOL, f"{assignment}: the honest solution scored {score}/{max_score}"


def test_nothing_outlives_grading(graded):
    """No submission's process is left, and the gradebook is not touched after autograde ends."""
    from course_pkg.grading import sandbox

    assert graded["db_hash"] == graded["db_hash_later"], "gradebook.db changed after grading ended"
    assert graded["scores"] == graded["scores_later"]
    left = [(uid, sandbox._uid_procs(uid)) for uid in range(sandbox.HOST_UID_BASE, sandbox.HOST_UID_BASE + sandbox.UID_SLOTS)]
    assert not [x for x in left if x[1]], f"processes of sandbox uids left running: {left}"


def test_the_installed_course_is_unchanged(graded):
    """No submission changed course_pkg on disk (the next learner's checks are the same)."""
    assert graded["repo_hash"] == graded["repo_hash_later"], "course_pkg changed on disk during grading"
    planted = list(ROOT.glob("course_pkg/**/_cheat_was_here.py"))
    assert not planted, f"a submission wrote {planted}"


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_every_grade_cell_carries_its_trusted_outcome(graded, assignment):
    """Every grade cell of every autograded notebook holds the engine's Outcome and the sandbox
    mode, and its outputs agree with it (a ✔ line or a CheckFailed error)."""
    from course_pkg.checks.engine import Outcome
    from course_pkg.grading import sandbox

    for student in (*STUDENTS_BEFORE, *CHEAT_STUDENTS):
        for grade_id, cell in _cells(graded, assignment, student).items():
            meta = cell.metadata.get("course_pkg")
            assert meta and meta["sandbox"] == sandbox.MODE, f"{assignment}/{student}/{grade_id}: {meta}"
            outcome = Outcome.from_dict(meta["outcome"])
            errors = [o for o in cell.outputs if o.output_type == "error"]
            if outcome.passed:
                assert not errors and cell.outputs[0].text.startswith("✔")
            else:
                assert errors and errors[0].ename == "CheckFailed" and errors[0].evalue == outcome.message
