"""Autograde a whole class in parallel: N worker processes share the submitted learners.

nbgrader grades one submission after another (its issue #174). Here the parent process lists the
learners under ``submitted/*/ASSIGNMENT/``, registers every one of them in the gradebook first
(serially, so the workers never race to create the same rows), then hands them out one at a time
to ``jobs`` worker processes. Each worker loads nbgrader and the course's ``nbgrader_config.py``
ONCE and then runs nbgrader's own ``Autograde`` converter (the same code as ``nbgrader autograde
ASSIGNMENT --student S --force``) for every learner it is given, so nbgrader's start-up is paid once
per worker, not once per learner. Whatever preprocessors ``nbgrader_config.py`` configures (the
trusted grader included) run unchanged.

A submission that fails (nbgrader reports an error), crashes its grading process (learner code that
kills it) or hangs (no answer within ``timeout`` seconds: the worker and everything it started are
killed, and a fresh worker takes its place) is reported and never stops the others; its partial
results are removed from ``autograded/`` and from the gradebook, exactly as nbgrader removes a
failed submission (nbgrader itself would leave its gradebook rows). Grading is a pure function of the submissions, the source and the grading
secret, so running the command twice gives identical scores.

Several graders writing at once need a server gradebook: with ``jobs > 1`` the gradebook must be
PostgreSQL (``COURSE_GRADEBOOK_URL``, read by ``nbgrader_config.py``), not SQLite.

The command: ``python -m course_pkg.grading autograde ASSIGNMENT --jobs N`` (see ``__main__.py``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time

#: Seconds one learner's submission may take to grade before its worker is killed.
DEFAULT_TIMEOUT = 600.0
#: Characters of a failure's log kept in the summary.
LOG_TAIL = 4000
#: The code a worker process runs (it reads learners on stdin, answers on its own pipe).
_WORKER_CODE = "from course_pkg.grading.parallel import worker_main; worker_main()"


class GradingError(Exception):
    """The class cannot be graded at all (no such assignment, no submissions, wrong gradebook)."""


@dataclasses.dataclass
class StudentResult:
    """How grading one learner's submission went.

    ``status`` is ``"ok"`` (nbgrader graded it), ``"failed"`` (nbgrader reported an error),
    ``"crashed"`` (the grading process died) or ``"timeout"`` (killed after the time limit).
    """

    student: str
    status: str
    seconds: float
    log: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclasses.dataclass
class GradingRun:
    """The outcome of one parallel autograde: one ``StudentResult`` per learner, in name order."""

    assignment: str
    jobs: int
    results: list
    seconds: float

    @property
    def failures(self) -> list:
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        """A few lines for the instructor: counts, time, and each failure with the end of its log."""
        graded = len(self.results) - len(self.failures)
        lines = [
            f"{self.assignment}: {graded} of {len(self.results)} submissions graded, "
            f"{len(self.failures)} failed, in {self.seconds:.1f} s with {self.jobs} worker(s)."
        ]
        for result in self.failures:
            lines.append(f"  FAILED {result.student} ({result.status}, {result.seconds:.1f} s)")
            tail = result.log.strip()[-LOG_TAIL:]
            lines.extend("      " + line for line in tail.splitlines())
        return "\n".join(lines)


def progress_line(done: int, total: int, failed: int, seconds: float, width: int = 30) -> str:
    """One line of the progress bar: learners done out of total, failures, elapsed time.

    Examples
    --------
    >>> progress_line(4, 16, 1, 12.34, width=8)
    '[##......]  4/16 graded, 1 failed, 12 s'
    >>> progress_line(0, 0, 0, 0.0, width=4)
    '[####] 0/0 graded, 0 failed, 0 s'
    """
    filled = width if total == 0 else width * done // total
    digits = len(str(total))
    return f"[{'#' * filled}{'.' * (width - filled)}] {done:>{digits}}/{total} graded, {failed} failed, {seconds:.0f} s"


# --------------------------------------------------------------------------------------------------
# nbgrader's configuration, read exactly as `nbgrader autograde` reads it


def _nbgrader_app(course_dir):
    """nbgrader's AutogradeApp, initialised from the course's config (cwd must be the course)."""
    from nbgrader.apps.autogradeapp import AutogradeApp

    app = AutogradeApp()
    app.initialize(["--log-level=WARN"])
    if os.path.realpath(app.coursedir.root) != os.path.realpath(course_dir):
        app.coursedir.root = str(course_dir)
    return app


def _submitted_students(coursedir, assignment):
    """The learners with a submission of ``assignment``, in name order."""
    import glob

    pattern = coursedir.format_path(coursedir.submitted_directory, "*", assignment)
    regexp = coursedir.format_path(coursedir.submitted_directory, "(?P<student_id>[^/]+)",
                                   re.escape(assignment), escape=True)
    students = []
    for path in glob.glob(pattern):
        match = re.fullmatch(regexp, path)
        if match and os.path.isdir(path):
            students.append(match.group("student_id"))
    return sorted(students)


def _register(coursedir, assignment, students):
    """Check the assignment exists, and create every learner's row before the workers start."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise GradingError(
                f"assignment must be registered in the gradebook ({coursedir.db_url}); got {assignment!r}, "
                f"which is not: run `nbgrader generate_assignment {assignment}` first"
            ) from None
        for student in students:
            gb.update_or_create_student(student)


def _discard(coursedir, assignment, student):
    """Remove what a killed grading left behind, as nbgrader does for a failed submission."""
    from nbgrader.api import Gradebook, MissingEntry

    dest = coursedir.format_path(coursedir.autograded_directory, student, assignment)
    shutil.rmtree(dest, ignore_errors=True)
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        try:
            gb.remove_submission(assignment, student)
        except MissingEntry:
            pass


# --------------------------------------------------------------------------------------------------
# The worker process


def worker_main():
    """Run in a worker process: grade each learner named on stdin, answer one JSON line each.

    The protocol: the parent writes ``{"assignment": A, "student": S}`` lines; the worker answers
    ``{"student": S, "success": bool, "log": str, "seconds": float}`` on the stdout it was started
    with (file descriptor 1 is then pointed at stderr, so nothing printed by nbgrader or a kernel
    can corrupt the answers).
    """
    answers = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    from nbgrader.converters import Autograde
    from nbgrader.utils import capture_log, temp_attrs

    app = _nbgrader_app(os.getcwd())
    print("ready", file=answers, flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        start = time.monotonic()
        with temp_attrs(app.coursedir, assignment_id=request["assignment"], student_id=request["student"]):
            converter = Autograde(coursedir=app.coursedir, parent=app)
            converter.force = True
            converter.create_student = True
            result = capture_log(converter)
        answer = {
            "student": request["student"],
            "success": bool(result["success"]),
            "log": (result.get("log", "") + result.get("error", ""))[-LOG_TAIL:],
            "seconds": time.monotonic() - start,
        }
        print(json.dumps(answer), file=answers, flush=True)


class _Worker:
    """One worker process in its own session (so a kill reaches its kernels too)."""

    def __init__(self, course_dir, log_dir, number):
        self.log_path = pathlib.Path(log_dir) / f"worker-{number}.log"
        self._log = open(self.log_path, "ab")
        env = dict(os.environ)
        env.pop("NBGRADER_EXECUTION", None)
        # nbgrader runs `alembic` (installed beside this Python) when it creates a gradebook.
        env["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), env.get("PATH", "")])
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _WORKER_CODE], cwd=course_dir, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
            start_new_session=True, text=True, bufsize=1,
        )
        self.ready = False
        self.student = None
        self.started = None

    def send(self, assignment, student):
        self.student, self.started = student, time.monotonic()
        self.proc.stdin.write(json.dumps({"assignment": assignment, "student": student}) + "\n")
        self.proc.stdin.flush()

    def log_tail(self):
        self._log.flush()
        try:
            return self.log_path.read_text(errors="replace")[-LOG_TAIL:]
        except OSError:
            return ""

    def kill(self):
        """Kill the worker, its process group and every process it started (kernels have their own
        sessions, so they are found as descendants)."""
        try:
            import psutil  # ipykernel's dependency, so present wherever nbgrader runs kernels

            family = psutil.Process(self.proc.pid).children(recursive=True)
        except Exception:  # psutil missing, or the worker is already gone
            family = []
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for process in family:
            try:
                process.kill()
            except Exception:  # already gone
                pass
        self.proc.wait()
        self.close()

    def stop(self):
        """Ask an idle worker to finish (end of its input), kill it if it does not."""
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()

    def close(self):
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self._log.close()


class _Progress:
    """The progress bar: redrawn in place on a terminal, one line per learner otherwise."""

    def __init__(self, stream, total):
        self.stream = stream
        self.total = total
        self.done = self.failed = 0
        self.start = time.monotonic()
        self.tty = bool(stream) and hasattr(stream, "isatty") and stream.isatty()

    def update(self, result):
        self.done += 1
        self.failed += not result.ok
        if not self.stream:
            return
        line = progress_line(self.done, self.total, self.failed, time.monotonic() - self.start)
        if self.tty:
            end = "\n" if self.done == self.total else ""
            self.stream.write(f"\r{line}{end}")
        else:
            self.stream.write(f"{line}  {result.student}: {result.status} ({result.seconds:.1f} s)\n")
        self.stream.flush()


def autograde(assignment, *, jobs=1, course_dir=".", students=None, timeout=DEFAULT_TIMEOUT,
              progress=sys.stderr):
    """Autograde every submission of ``assignment`` with ``jobs`` worker processes.

    Parameters
    ----------
    assignment : str
        The assignment's name (its folder under ``source/``), registered in the gradebook by
        ``nbgrader generate_assignment``.
    jobs : int
        Worker processes (at least 1); each grades one submission at a time.
    course_dir : path
        The course's root (the folder holding ``nbgrader_config.py``).
    students : iterable of str, optional
        Grade only these learners (each must have a submission); default: every submitted learner.
    timeout : float
        Seconds one submission may take before it is killed and reported as ``"timeout"``.
    progress : text stream or None
        Where the progress bar goes (None: nowhere).

    Returns
    -------
    GradingRun
        One ``StudentResult`` per learner; ``run.ok`` is False if any submission failed.

    Raises
    ------
    GradingError
        If the assignment is not registered, there is no submission, a named learner has none, or
        ``jobs > 1`` with an SQLite gradebook.
    ValueError
        If ``jobs`` or ``timeout`` is not a positive number.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer; got {jobs!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds; got {timeout!r}")
    course_dir = pathlib.Path(course_dir).resolve()
    if not (course_dir / "nbgrader_config.py").is_file():
        raise GradingError(f"course_dir must hold nbgrader_config.py; got {str(course_dir)!r}, which does not")

    start = time.monotonic()
    here = os.getcwd()
    os.chdir(course_dir)
    try:
        coursedir = _nbgrader_app(course_dir).coursedir
    finally:
        os.chdir(here)
    if jobs > 1 and coursedir.db_url.startswith("sqlite"):
        raise GradingError(
            f"jobs > 1 needs a PostgreSQL gradebook (set COURSE_GRADEBOOK_URL=postgresql+psycopg://...); "
            f"got jobs={jobs} with {coursedir.db_url}, and SQLite is not safe for several graders"
        )
    submitted = _submitted_students(coursedir, assignment)
    if students is None:
        todo = submitted
    else:
        todo = sorted(set(students))
        missing = [s for s in todo if s not in submitted]
        if missing:
            raise GradingError(
                f"students must have a submission of {assignment!r} under {coursedir.submitted_directory}/; "
                f"got {missing}, who have none"
            )
    if not todo:
        raise GradingError(
            f"assignment must have submissions in "
            f"{coursedir.format_path(coursedir.submitted_directory, '<student>', assignment)}; got none"
        )
    _register(coursedir, assignment, todo)

    results = {}
    bar = _Progress(progress, len(todo))
    queue = list(todo)
    with tempfile.TemporaryDirectory(prefix="course-grading-") as log_dir:
        selector = selectors.DefaultSelector()
        workers = []
        count = 0

        def spawn():
            nonlocal count
            count += 1
            worker = _Worker(course_dir, log_dir, count)
            workers.append(worker)
            selector.register(worker.proc.stdout, selectors.EVENT_READ, worker)

        def retire(worker):
            selector.unregister(worker.proc.stdout)
            workers.remove(worker)

        def finish(result):
            results[result.student] = result
            bar.update(result)

        def dispatch(worker):
            if queue:
                worker.send(assignment, queue.pop(0))

        for _ in range(min(jobs, len(todo))):
            spawn()
        try:
            while len(results) < len(todo):
                busy = [w for w in workers if w.student is not None]
                wait = None
                if busy:
                    wait = max(0.0, min(w.started + timeout for w in busy) - time.monotonic())
                for key, _ in selector.select(timeout=5.0 if wait is None else min(wait, 5.0)):
                    worker = key.data
                    line = worker.proc.stdout.readline()
                    if not line:  # the worker died: learner code killed it, or it crashed
                        worker.proc.wait()
                        retire(worker)
                        if worker.student is not None:
                            finish(StudentResult(
                                worker.student, "crashed", time.monotonic() - worker.started,
                                f"the grading process died (exit status {worker.proc.returncode}); "
                                f"its log ends with:\n{worker.log_tail()}",
                            ))
                            _discard(coursedir, assignment, worker.student)
                        elif not worker.ready:
                            raise GradingError(
                                f"a grading worker could not start (exit status {worker.proc.returncode}):\n"
                                f"{worker.log_tail()}"
                            )
                        worker.close()
                        if queue:
                            spawn()
                        continue
                    if not worker.ready:
                        worker.ready = True
                        dispatch(worker)
                        continue
                    answer = json.loads(line)
                    finish(StudentResult(
                        answer["student"], "ok" if answer["success"] else "failed", answer["seconds"],
                        "" if answer["success"] else answer["log"],
                    ))
                    if not answer["success"]:
                        _discard(coursedir, assignment, answer["student"])
                    worker.student = None
                    dispatch(worker)
                now = time.monotonic()
                for worker in [w for w in workers if w.student is not None and now - w.started > timeout]:
                    student = worker.student
                    worker.kill()
                    retire(worker)
                    finish(StudentResult(
                        student, "timeout", now - worker.started,
                        f"no result after {timeout:g} s: killed its grading process and kernel",
                    ))
                    _discard(coursedir, assignment, student)
                    if queue:
                        spawn()
                if not workers and len(results) < len(todo):  # cannot happen, but never spin
                    spawn()
        except BaseException:  # Ctrl-C or a GradingError: nothing half-done keeps running or stays
            for worker in list(workers):
                worker.kill()
                if worker.student is not None:
                    _discard(coursedir, assignment, worker.student)
            raise
        else:
            for worker in list(workers):
                worker.stop()
        finally:
            selector.close()
    ordered = [results[s] for s in todo]
    return GradingRun(assignment, jobs, ordered, time.monotonic() - start)
