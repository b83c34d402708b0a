"""`python -m course_pkg.grading autograde ASSIGNMENT --jobs N` on a real class and a real PostgreSQL.

The module fixture releases 02-activations into a temporary course on the session's PostgreSQL
server and submits six learners: three honest ones (solved; one exercise left undone; the release
untouched) and three whose grading goes wrong, in ways that do not depend on which grading
pipeline ``nbgrader_config.py`` configures (nbgrader's kernel or the trusted sandbox):

* ``a-hang``: its notebook is a named pipe nobody writes to, so reading it blocks forever (it is
  handed out first, so it holds a worker for the whole run unless the time limit kills it);
* ``b-crash``: also a named pipe; as soon as a worker opens it, the test SIGKILLs that worker
  (a grading process that dies, as a segfault or the OOM killer would kill it);
* ``c-broken``: its notebook is not JSON (nbgrader reports an error).

It grades them all with two workers and a 20 s limit per submission, then grades the three honest
ones again with one worker: the scores must be identical.
"""

import os
import pathlib
import signal
import threading
import time

import pytest

from classroom import first_exercise_unsolved, grade_cells, tail

from course_pkg.grading.__main__ import main

ASSIGNMENT = "02-activations"
HONEST = ("partial", "solved", "untouched")
FAILING = {"a-hang": "timeout", "b-crash": "crashed", "c-broken": "failed"}
TIMEOUT = "20"
TOL = 1e-9


def _named_pipe(course, student):
    path = course.submit(student, ASSIGNMENT, "")
    path.unlink()
    os.mkfifo(path)
    return path


def _holders(path):
    """PIDs of the processes (other than this one) that have ``path`` open."""
    me = os.getpid()
    pids = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != me:
            try:
                if any(os.readlink(fd) == str(path) for fd in (entry / "fd").iterdir()):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _kill_whoever_opens(fifo, killed, patience=300.0):
    """Wait until a process opens ``fifo`` for reading, then SIGKILL it (record its pid)."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # ENXIO: no reader yet
            time.sleep(0.05)
            continue
        try:  # the reader's open() returns once a writer exists; its fd then shows in /proc
            while not killed and time.monotonic() < deadline:
                for pid in _holders(fifo):
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                time.sleep(0.05)
        finally:
            os.close(fd)
        return


def _grade(course, *args):
    return course.run("python", "-m", "course_pkg.grading", "autograde", ASSIGNMENT, *args, timeout=300)


def _processes_inside(root):
    """PIDs of processes whose working directory is inside ``root`` (a kernel left behind)."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cwd = os.readlink(entry / "cwd")
            except OSError:
                continue
            if cwd == str(root) or cwd.startswith(str(root) + os.sep):
                found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def graded(make_course):
    course = make_course([ASSIGNMENT])
    release = course.release(ASSIGNMENT)
    course.submit("solved", ASSIGNMENT, course.source(ASSIGNMENT))
    course.submit("partial", ASSIGNMENT, first_exercise_unsolved(course.source(ASSIGNMENT), release))
    course.submit("untouched", ASSIGNMENT, release)
    _named_pipe(course, "a-hang")
    crash = _named_pipe(course, "b-crash")
    course.submit("c-broken", ASSIGNMENT, "{ this is not a notebook")
    killed = []
    killer = threading.Thread(target=_kill_whoever_opens, args=(crash, killed), daemon=True)
    killer.start()
    first = _grade(course, "--jobs", "2", "--timeout", TIMEOUT)
    killer.join(timeout=1)
    assert killed, f"no worker ever opened b-crash's notebook: {tail(first)}"
    leftovers = _processes_inside(course.root)
    first_scores = course.scores(ASSIGNMENT)
    again = _grade(course, "--jobs", "1", *[f"--student={s}" for s in HONEST])
    return course, first, leftovers, first_scores, again


def test_exit_status_says_something_failed(graded):
    _, first, _, _, again = graded
    assert first.returncode == 1, f"three submissions failed, yet: {tail(first)}"
    assert again.returncode == 0, f"the honest learners alone: {tail(again)}"


def test_progress_and_summary(graded):
    """The progress bar reaches 6/6 with 3 failures; the summary names each failure and why."""
    _, first, _, _, _ = graded
    assert "6/6 graded, 3 failed" in first.stderr, tail(first)
    assert "3 of 6 submissions graded, 3 failed" in first.stdout, tail(first)
    for student, status in FAILING.items():
        assert f"FAILED {student} ({status}," in first.stdout, tail(first)
    assert f"no result after {TIMEOUT} s" in first.stdout
    assert "the grading process died (exit status -9)" in first.stdout


def test_honest_learners_are_graded_despite_the_others(graded):
    course, _, _, scores, _ = graded
    points = sum(float(c.metadata.nbgrader.points) for c in grade_cells(course.source(ASSIGNMENT)))
    assert set(HONEST) <= set(scores), scores
    assert abs(scores["solved"][0] - points) <= TOL, scores["solved"]
    assert scores["untouched"][0] == 0, scores["untouched"]
    assert 0 < scores["partial"][0] < points, scores["partial"]
    for student in HONEST:
        assert list((course.root / "autograded" / student / ASSIGNMENT).glob("*.ipynb")), student


def test_failed_submissions_leave_nothing_half_graded(graded):
    """A killed or failed grading leaves no autograded folder and no submission in the gradebook."""
    course, _, _, scores, _ = graded
    for student in FAILING:
        assert student not in scores, f"{student} has a half-graded submission: {scores[student]}"
        assert not (course.root / "autograded" / student / ASSIGNMENT).exists(), student


def test_no_worker_or_kernel_is_left_running(graded):
    """Every process that ran inside the course (workers, their kernels) is gone after the run."""
    _, _, leftovers, _, _ = graded
    assert not leftovers, f"processes still running inside the course after grading: {leftovers}"


def test_grading_twice_gives_identical_scores(graded):
    """Re-grading (one worker instead of two) gives every honest learner the same cell scores."""
    course, _, _, first_scores, _ = graded
    second = course.scores(ASSIGNMENT)
    for student in HONEST:
        assert second[student] == first_scores[student], student


@pytest.mark.parametrize("args, message", [
    (["--jobs", "0"], "--jobs/-j: must be a positive integer; got '0'"),
    (["--jobs", "two"], "--jobs/-j: must be a positive integer; got 'two'"),
    (["--timeout", "-1"], "--timeout: must be a positive number of seconds; got '-1'"),
])
def test_bad_arguments_are_refused_with_a_clear_error(args, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["autograde", ASSIGNMENT, *args])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def _refusal(course, monkeypatch, capsys, *args, gradebook=True):
    if gradebook:
        monkeypatch.setenv("COURSE_GRADEBOOK_URL", course.db_url)
    else:
        monkeypatch.delenv("COURSE_GRADEBOOK_URL", raising=False)
    status = main([*args, "--course-dir", str(course.root)])
    return status, capsys.readouterr().err


def test_a_learner_without_submission_is_refused(graded, monkeypatch, capsys):
    course, *_ = graded
    status, err = _refusal(course, monkeypatch, capsys, "autograde", ASSIGNMENT, "--student", "nobody")
    assert status == 2
    assert "students must have a submission of '02-activations' under submitted/; got ['nobody']" in err


def test_an_unreleased_assignment_is_refused(graded, monkeypatch, capsys):
    course, *_ = graded
    (course.root / "submitted" / "solved" / "99-nothing").mkdir()
    status, err = _refusal(course, monkeypatch, capsys, "autograde", "99-nothing")
    assert status == 2
    assert "got '99-nothing', which is not: run `nbgrader generate_assignment 99-nothing` first" in err


def test_several_workers_refuse_an_sqlite_gradebook(graded, monkeypatch, capsys):
    """SQLite is not safe for several graders: --jobs 2 without COURSE_GRADEBOOK_URL is refused."""
    course, *_ = graded
    status, err = _refusal(course, monkeypatch, capsys, "autograde", ASSIGNMENT, "--jobs", "2", gradebook=False)
    assert status == 2
    assert "jobs > 1 needs a PostgreSQL gradebook" in err and "sqlite:///gradebook.db" in err
    assert not (course.root / "gradebook.db").exists(), "the refused command created an SQLite gradebook"
