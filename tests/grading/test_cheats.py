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
if os.environ.get("COURSE_CHEAT_ASSIGNMENTS"):  # while developing a cheat: a few assignments only
    ASSIGNMENTS = {a: n for a, n in ASSIGNMENTS.items() if a in os.environ["COURSE_CHEAT_ASSIGNMENTS"].split(",")}

_spec = importlib.util.spec_from_file_location("grading_cheats", pathlib.Path(__file__).with_name("cheats.py"))
cheats = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cheats)

STUDENTS_BEFORE = ("a-honest", "a-untouched")
STUDENTS_AFTER = ("z-honest", "z-untouched")
CHEAT_STUDENTS = {f"c{k:02d}-{cheat.name}": cheat for k, cheat in enumerate(cheats.CATALOGUE)}
#: Limits for the test course: short, so that the hanging cheats cost little time.
TEST_LIMITS = """
c.TrustedGrade.cell_seconds = 4
c.TrustedGrade.call_seconds = 2
c.TrustedGrade.notebook_seconds = 90
"""
#: Courses graded at the same time (the catalogue is dealt between them).
COURSES = 2
SECRET = "the test course's secret"
#: Seconds a background process of a cheat waits before it strikes (cheats.background_gradebook).
BACKGROUND_DELAY = 4
TOL = 1e-9


def _nbgrader(root, *args, timeout=1800):
    env = {k: v for k, v in os.environ.items() if k not in ("NBGRADER_EXECUTION", "COURSE_GRADEBOOK_URL")}
    env["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), env.get("PATH", "")])
    env["COURSE_GRADING_SECRET"] = SECRET
    return subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=timeout)


def _tail(proc, n=4000):
    return f"exit {proc.returncode}\n--- stdout ---\n{proc.stdout[-n:]}\n--- stderr ---\n{proc.stderr[-n:]}"


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


def _course(root, students):
    """Release every assignment into ``root`` and submit ``students`` (name -> Cheat or None)."""
    from course_pkg import checks

    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    with open(root / "nbgrader_config.py", "a") as fh:
        fh.write(TEST_LIMITS)
    shutil.copytree(ROOT / "source", root / "source", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    generate = _nbgrader(root, "generate_assignment", "*")
    assert generate.returncode == 0, _tail(generate)
    for assignment, name in ASSIGNMENTS.items():
        source_path, release_path = root / "source" / assignment / name, root / "notebooks" / assignment / name
        read = lambda p: nbformat.read(p, as_version=4)  # noqa: E731
        for student in STUDENTS_BEFORE + STUDENTS_AFTER:
            _submit(root, student, assignment, read(source_path if student.endswith("honest") else release_path))
        for student, cheat in students.items():
            ctx = cheats.Context(assignment, read(source_path), read(release_path), checks.specs(assignment),
                                 str(root), str(ROOT), str(root / "gradebook.db"))
            nb, files = cheats.build(cheat, ctx)
            _submit(root, student, assignment, nb, files)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """COURSES courses, the catalogue dealt between them, autograded at the same time (one
    ``nbgrader autograde "*"`` call each: the machine has two cores and a notebook's grading
    alternates between the sandbox and the grader)."""
    roots = [tmp_path_factory.mktemp(f"cheats{k}") for k in range(COURSES)]
    dealt = [dict(list(CHEAT_STUDENTS.items())[k::COURSES]) for k in range(COURSES)]
    for root, students in zip(roots, dealt):
        _course(root, students)
    env = {k: v for k, v in os.environ.items() if k not in ("NBGRADER_EXECUTION", "COURSE_GRADEBOOK_URL")}
    env["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), env.get("PATH", "")])
    env["COURSE_GRADING_SECRET"] = SECRET
    started = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "-m", "nbgrader", "autograde", "*", "--log-level=WARN"], cwd=root,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for root in roots]
    outputs = [proc.communicate(timeout=3600) for proc in procs]
    seconds = time.monotonic() - started
    autograde = [subprocess.CompletedProcess(proc.args, proc.returncode, out, err) for proc, (out, err) in zip(procs, outputs)]
    scores = [_read_scores(root / "gradebook.db") for root in roots]
    db_hash = [hashlib.sha256((root / "gradebook.db").read_bytes()).hexdigest() for root in roots]
    time.sleep(BACKGROUND_DELAY + 2)  # anything left behind would strike now
    export = _nbgrader(roots[0], "export")
    course_of = {student: k for k, students in enumerate(dealt) for student in students}
    return {
        "roots": roots, "autograde": autograde, "export": export, "seconds": seconds, "scores": scores, "course_of": course_of,
        "scores_later": [_read_scores(root / "gradebook.db") for root in roots], "db_hash": db_hash,
        "db_hash_later": [hashlib.sha256((root / "gradebook.db").read_bytes()).hexdigest() for root in roots],
    }


def _score(graded, assignment, student, course=None):
    k = graded["course_of"].get(student, 0) if course is None else course
    key = (assignment, student)
    assert key in graded["scores"][k], (
        f"{assignment}: no grade for {student}.\n{_tail(graded['autograde'][k])}")
    return graded["scores"][k][key]


def _cells(graded, assignment, student, course=None):
    k = graded["course_of"].get(student, 0) if course is None else course
    path = graded["roots"][k] / "autograded" / student / assignment / ASSIGNMENTS[assignment]
    nb = nbformat.read(path, as_version=4)
    return {c.metadata.nbgrader.grade_id: c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}


def test_one_autograde_call_grades_the_whole_catalogue(graded):
    """The batch runs to the end (exit 0) whatever the submissions do."""
    print(f"\ncheat catalogue: {len(CHEAT_STUDENTS)} cheats + {4 * COURSES} honest/blank submissions x "
          f"{len(ASSIGNMENTS)} assignments autograded in {graded['seconds']:.0f} s ({COURSES} courses at once)")
    for proc in graded["autograde"]:
        assert proc.returncode == 0, _tail(proc)


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
    base, _, base_cells = _score(graded, assignment, "a-untouched", graded["course_of"][student])
    forged = {g: s for g, s in cells.items() if (s[0] or 0) > (base_cells.get(g, (0, 0))[0] or 0) + TOL}
    assert not forged and score <= base + TOL, (
        f"{assignment}: the cheat {cheat.name!r} ({cheat.attack}) scored {score}/{max_score} "
        f"(the untouched release: {base}); forged cells: {forged}")


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_honest_work_after_the_cheats_scores_as_before(graded, assignment):
    """Graded after every hostile submission, the honest solution and the blank release score as
    the ones graded before them, with the same messages (nothing carried over, re-grading is
    deterministic)."""
    for k in range(COURSES):
        for before, after in zip(STUDENTS_BEFORE, STUDENTS_AFTER):
            first, second = _score(graded, assignment, before, k), _score(graded, assignment, after, k)
            assert first == second, f"{assignment}: {after} scored {second}, {before} {first}"
            first, second = _cells(graded, assignment, before, k), _cells(graded, assignment, after, k)
            assert {g: c.metadata["course_pkg"]["outcome"] for g, c in first.items()} == {
                g: c.metadata["course_pkg"]["outcome"] for g, c in second.items()}
        score, max_score, _ = _score(graded, assignment, "a-honest", k)
        assert abs(score - max_score) <= TOL, f"{assignment}: the honest solution scored {score}/{max_score}"


def test_nothing_outlives_grading(graded):
    """No submission's process is left, and the gradebook is not touched after autograde ends."""
    import fcntl

    from course_pkg.grading import sandbox

    assert graded["db_hash"] == graded["db_hash_later"], "a gradebook.db changed after grading ended"
    assert graded["scores"] == graded["scores_later"]
    leaked = {}
    for n in range(sandbox.UID_SLOTS):
        pids = sandbox._uid_procs(sandbox.HOST_UID_BASE + n)
        if not pids:
            continue
        lock = open(sandbox._slot_dir() / f"{n}.lock", "w")
        try:  # a slot held by a running grader (another test, another course) is not a leak
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue
        finally:
            lock.close()
        leaked[sandbox.HOST_UID_BASE + n] = pids
    assert not leaked, f"processes of free sandbox uids left running: {leaked}"


def _outputs(graded, assignment, student):
    k = graded["course_of"][student]
    nb = nbformat.read(graded["roots"][k] / "autograded" / student / assignment / ASSIGNMENTS[assignment], as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_the_course_on_disk_is_out_of_reach(graded, assignment):
    """The submission that rewrites the installed checkers and the one that runs the source
    notebooks found nothing to write and nothing to run (they print what they managed)."""
    rewrite = next(s for s, c in CHEAT_STUDENTS.items() if c.name == "rewrite-checkers")
    text = _outputs(graded, assignment, rewrite)
    assert "tried" in text and "WROTE" not in text, text[-2000:]
    planted = list(ROOT.glob("course_pkg/**/_cheat_was_here.py"))
    assert not planted, f"a submission wrote {planted}"
    runner = next(s for s, c in CHEAT_STUDENTS.items() if c.name == "run-source-notebooks")
    text = _outputs(graded, assignment, runner)
    assert "notebooks found: 0" in text and "RAN" not in text, text[-2000:]


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


def test_export_shows_the_trusted_scores(graded):
    """`nbgrader export` works unchanged: its CSV holds the gradebook's (trusted) scores."""
    import csv

    assert graded["export"].returncode == 0, _tail(graded["export"])
    rows = list(csv.DictReader(open(graded["roots"][0] / "grades.csv")))
    for assignment in ASSIGNMENTS:
        honest = [r for r in rows if r["assignment"] == assignment and r["student_id"] == "a-honest"]
        cheater = [r for r in rows if r["assignment"] == assignment and r["student_id"].startswith("c00-")]
        assert honest and float(honest[0]["raw_score"]) == float(honest[0]["max_score"]) > 0, honest
        assert cheater and float(cheater[0]["raw_score"]) == 0.0, cheater
