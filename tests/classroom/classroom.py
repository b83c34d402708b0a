"""What the classroom tests and benchmarks share: a throwaway PostgreSQL server and nbgrader courses.

``TemporaryPostgres`` runs ``initdb`` into a fresh folder, starts ``postgres`` with ``pg_ctl`` on a
free localhost port (its socket in the same folder, so it never touches a system cluster), creates
one database, and stops the server and deletes the folder on exit, also when the body raised.
PostgreSQL refuses to run as root: as root the server commands run as the ``postgres`` system
user (created by the ``postgresql`` apt package) through ``runuser``.

``Course`` is a temporary nbgrader course (a copy of ``nbgrader_config.py`` and some assignments'
source) whose gradebook is one database on that server (``COURSE_GRADEBOOK_URL``).

Imported by ``tests/classroom/conftest.py`` (which puts this folder on ``sys.path``) and loaded by
path by ``benchmarks/bench_parallel.py``.
"""

import dataclasses
import os
import pathlib
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[2]
#: Seconds any one command of these tests may take.
COMMAND_TIMEOUT = 600
#: Where PostgreSQL's server programs are (Debian's postgresql-15 package).
PG_BIN = pathlib.Path(os.environ.get("COURSE_PG_BIN", "/usr/lib/postgresql/15/bin"))
#: Seconds a server command (initdb, start, stop, createdb) may take.
PG_TIMEOUT = 60


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TemporaryPostgres:
    """A PostgreSQL server in a temporary folder; ``url`` is its SQLAlchemy URL (psycopg 3).

    Use as a context manager: ``with TemporaryPostgres() as pg: ... pg.url ...``.
    """

    def __init__(self, database="gradebook", user="grader"):
        self.database = database
        self.user = user
        self.port = None
        self.folder = None
        self._started = False

    @property
    def url(self):
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *args):
        command = [str(PG_BIN / args[0]), *map(str, args[1:])]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=PG_TIMEOUT,
                              stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            log = self.folder / "server.log"
            server_log = log.read_text()[-2000:] if log.exists() else "(no server log)"
            raise RuntimeError(
                f"{' '.join(command)} failed with exit code {proc.returncode}:\n{proc.stdout}\n{proc.stderr}\n"
                f"--- server log ---\n{server_log}"
            )
        return proc

    def start(self):
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(f"PostgreSQL is not installed: no {PG_BIN / 'initdb'} (apt-get install postgresql)")
        self.folder = pathlib.Path(tempfile.mkdtemp(prefix="course-pg-"))
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        data = self.folder / "data"
        self._run("initdb", "-D", data, "-U", self.user, "--auth=trust", "-E", "UTF8",
                  "--no-instructions", "--no-sync")
        self.port = _free_port()
        options = f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off -c max_connections=100"
        self._run("pg_ctl", "start", "-D", data, "-w", "-t", PG_TIMEOUT, "-l", self.folder / "server.log",
                  "-o", options)
        self._started = True
        self.create_database(self.database)
        return self

    def create_database(self, name):
        """A new, empty database on this server; returns its SQLAlchemy URL."""
        self._run("createdb", "-h", "127.0.0.1", "-p", self.port, "-U", self.user, name)
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{name}"

    def stop(self):
        try:
            if self._started:
                self._run("pg_ctl", "stop", "-D", self.folder / "data", "-m", "immediate", "-w")
                self._started = False
        finally:
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()


@dataclasses.dataclass(repr=False)
class Course:
    """A temporary nbgrader course whose gradebook is one PostgreSQL database."""

    root: pathlib.Path
    db_url: str

    def __repr__(self):
        return f"Course({self.root})"

    @property
    def env(self):
        env = {k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"}
        env["COURSE_GRADEBOOK_URL"] = self.db_url
        # nbgrader runs `alembic` (installed beside this Python) when it creates the gradebook.
        env["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), env.get("PATH", "")])
        return env

    def run(self, *args, timeout=COMMAND_TIMEOUT):
        """Run a command in the course's root with its gradebook URL set (``python`` is this one)."""
        args = [sys.executable if a == "python" else str(a) for a in args]
        return subprocess.run(args, cwd=self.root, env=self.env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def nbgrader(self, *args):
        return self.run("python", "-m", "nbgrader", *args, "--log-level=WARN")

    def notebook_name(self, assignment):
        (path,) = (self.root / "source" / assignment).glob("*.ipynb")
        return path.name

    def source(self, assignment):
        return nbformat.read(self.root / "source" / assignment / self.notebook_name(assignment), as_version=4)

    def release(self, assignment):
        """The learner's version that ``generate_assignment`` wrote (CourseDirectory.release_directory)."""
        from traitlets.config.loader import PyFileConfigLoader

        config = PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()
        folder = config.CourseDirectory.get("release_directory", "release")
        return nbformat.read(self.root / folder / assignment / self.notebook_name(assignment), as_version=4)

    def submit(self, student, assignment, nb):
        """Put a notebook (nbformat node, or raw text for a broken file) where a collect would."""
        dest = self.root / "submitted" / student / assignment / self.notebook_name(assignment)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(nb, str):
            dest.write_text(nb)
        else:
            nbformat.write(nb, dest)
        return dest

    def scores(self, assignment):
        """{student: (score, max_score, {grade_id: score})} read from the PostgreSQL gradebook."""
        from nbgrader.api import Gradebook, MissingEntry

        notebook = pathlib.Path(self.notebook_name(assignment)).stem
        result = {}
        with Gradebook(self.db_url) as gb:
            for student in gb.students:
                try:
                    sub = gb.find_submission_notebook(notebook, assignment, student.id)
                except MissingEntry:
                    continue
                result[student.id] = (sub.score, sub.max_score, {g.name: g.score for g in sub.grades})
        return result


def tail(proc, n=3000):
    """A finished command's exit status and the ends of its output, for assertion messages."""
    return f"exit code {proc.returncode}\n--- stdout ---\n{proc.stdout[-n:]}\n--- stderr ---\n{proc.stderr[-n:]}"


def solution_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]


def grade_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def first_exercise_unsolved(source, release):
    """The solved notebook with its first solution cell as released (the stub)."""
    stubs = {c.metadata.nbgrader.grade_id: c.source for c in solution_cells(release)}
    first = solution_cells(source)[0]
    first.source = stubs[first.metadata.nbgrader.grade_id]
    return source


