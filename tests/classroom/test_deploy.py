"""docs/deploy.md: every command it gives runs, and every configuration file it gives is right.

The page's fenced blocks are read in order:

* ``bash`` blocks run one after another in one temporary course (a copy of ``nbgrader_config.py``
  and ``source/01-chain-rule``), each in a fresh ``bash -euo pipefail`` that inherits the exports
  of the blocks before it, with a temporary ``HOME``; the example database host
  ``db.internal:5432`` becomes the session's throwaway PostgreSQL server, ``/srv/nbgrader`` and
  ``/etc/jupyter`` temporary folders (``JUPYTER_CONFIG_PATH`` points nbgrader at the latter);
* ``python`` blocks are configuration files, named by their first line: written to
  ``/etc/jupyter/...`` or appended to the course's ``nbgrader_config.py``;
* ``yaml`` blocks are TLJH's and Zero to JupyterHub's configuration: parsed and checked.

Between the blocks the test plays the class: after the release, learner ``ada`` fetches the
assignment from the exchange, solves it and submits; then ``ben`` submits under ada's name with
``--student ada`` (the identity limit the page warns about: the exchange accepts it). Before the
LMS collect, it writes the LMS's zip (``cyd``'s solved notebook and ``dan``'s late, partial one,
named as Canvas names them) to ``~/Downloads/submissions.zip``. At the end the gradebook, the
feedback, the report and the exported grades must all be there.
"""

import csv
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys
import zipfile

import nbformat
import pytest
import yaml

from classroom import ROOT, first_exercise_unsolved, tail

DOC = ROOT / "docs" / "deploy.md"
ASSIGNMENT = "01-chain-rule"
NOTEBOOK = "chain_rule.ipynb"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)


def _blocks():
    return [(lang, body) for lang, body in BLOCK.findall(DOC.read_text())]


def _memory_mib(text):
    match = re.fullmatch(r"(\d+)([MG])", str(text))
    assert match, f"a memory size such as 512M; got {text!r}"
    return int(match.group(1)) * (1024 if match.group(2) == "G" else 1)


def test_the_page_is_linked_from_the_readme():
    assert "docs/deploy.md" in (ROOT / "README.md").read_text()


def test_yaml_blocks_are_valid_hub_configuration():
    """TLJH's and Z2JH's files parse; both give a 512M-class limit; Z2JH mounts the exchange."""
    found = {}
    for lang, body in _blocks():
        if lang == "yaml":
            found[body.splitlines()[0]] = yaml.safe_load(body)
    tljh = found.pop("# /opt/tljh/config/config.yaml")
    z2jh = found.pop("# config.yaml (Zero to JupyterHub)")
    assert not found, f"yaml blocks without a known first line: {list(found)}"
    assert _memory_mib(tljh["limits"]["memory"]) >= 400
    assert tljh["user_environment"]["default_app"] == "jupyterlab"
    memory = z2jh["singleuser"]["memory"]
    assert _memory_mib(memory["guarantee"]) <= _memory_mib(memory["limit"]) == _memory_mib(tljh["limits"]["memory"])
    storage = z2jh["singleuser"]["storage"]
    (volume,) = storage["extraVolumes"]
    (mount,) = storage["extraVolumeMounts"]
    assert mount["name"] == volume["name"] and volume["persistentVolumeClaim"]["claimName"]
    config_blocks = [body for lang, body in _blocks() if lang == "python" and "Exchange.root" in body]
    assert f'"{mount["mountPath"]}"' in config_blocks[0], "every pod must see the exchange where nbgrader looks"


def test_the_identity_limit_is_stated():
    text = DOC.read_text()
    for needed in ("JUPYTERHUB_USER", "nbgrader zip_collect", "authenticates", "COURSE_GRADING_SECRET",
                   "COURSE_GRADEBOOK_URL", "150 MB", "--student ada"):
        assert needed in text, needed


class Session:
    """The instructor's shell: blocks run in the course with the exports of the blocks before."""

    def __init__(self, root, tmp, postgres):
        self.root, self.tmp = root, tmp
        self.state = tmp / "exports.sh"
        self.state.write_text("")
        self.substitutions = {
            "--host db.internal --port 5432": f"--host 127.0.0.1 --port {postgres.port}",
            "db.internal:5432": f"127.0.0.1:{postgres.port}",
            "/srv/nbgrader": str(tmp / "srv" / "nbgrader"),
            "/etc/jupyter": str(tmp / "etc" / "jupyter"),
        }
        self.home = tmp / "home"
        self.home.mkdir()
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("COURSE_GRADEBOOK_URL", "COURSE_GRADING_SECRET", "NBGRADER_EXECUTION")}
        self.env.update(
            HOME=str(self.home),
            JUPYTER_CONFIG_PATH=str(tmp / "etc" / "jupyter"),
            PATH=os.pathsep.join([str(pathlib.Path(sys.executable).parent), os.environ.get("PATH", "")]),
        )
        self.log = []

    def localise(self, text):
        for old, new in self.substitutions.items():
            text = text.replace(old, new)
        return text

    def bash(self, body):
        script = f"source {shlex.quote(str(self.state))}\n{self.localise(body)}\nexport -p > {shlex.quote(str(self.state))}\n"
        proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=self.root, env=self.env,
                              capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
        self.log.append((body, proc))
        assert proc.returncode == 0, f"docs/deploy.md block failed:\n{body}\n{tail(proc)}"
        return proc

    def exported(self, name):
        proc = subprocess.run(["bash", "-c", f"source {shlex.quote(str(self.state))}; printf %s \"${name}\""],
                              capture_output=True, text=True, env=self.env)
        return proc.stdout

    def as_learner(self, learner, *args):
        """An nbgrader command run from a learner's home (the exchange found via JUPYTER_CONFIG_PATH)."""
        home = self.tmp / f"home-{learner}"
        home.mkdir(exist_ok=True)
        env = {**self.env, "HOME": str(home)}
        proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=home, env=env,
                              capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, f"{learner}: nbgrader {' '.join(args)}: {tail(proc)}"
        return home


def _lms_zip(path, source, release):
    """A Canvas-style bulk download: <login>_[late_]<user id>_<submission id>_<file name>."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"cyd_1001_2001_{NOTEBOOK}", nbformat.writes(source))
        archive.writestr(f"dan_late_1002_2002_{NOTEBOOK}", nbformat.writes(first_exercise_unsolved(source, release)))


@pytest.fixture(scope="module")
def session(postgres, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("deploy")
    root = tmp / "course"
    (root / "source").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(ROOT / "source" / ASSIGNMENT, root / "source" / ASSIGNMENT,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    shell = Session(root, tmp, postgres)
    blocks = _blocks()
    for lang, body in blocks:  # configuration files first: they are in place before any command
        if lang != "python":
            continue
        first = body.splitlines()[0]
        if first.startswith("# /etc/jupyter/"):
            dest = pathlib.Path(shell.localise(first[2:].strip()))
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(shell.localise(body))
        elif first.startswith("# nbgrader_config.py (the course's"):
            with open(root / "nbgrader_config.py", "a") as fh:
                fh.write("\n" + body)
        else:
            pytest.fail(f"docs/deploy.md: a python block must start with the file it belongs to; got {first!r}")

    source = nbformat.read(ROOT / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    for lang, body in blocks:
        if lang != "bash":
            continue
        if "nbgrader collect" in body:  # the class worked: ada submits, then ben claims to be ada
            home = shell.as_learner("ada", "fetch_assignment", ASSIGNMENT)
            nbformat.write(source, home / ASSIGNMENT / NOTEBOOK)
            shell.as_learner("ada", "submit", ASSIGNMENT, "--student", "ada")
            home = shell.as_learner("ben", "fetch_assignment", ASSIGNMENT)
            shell.as_learner("ben", "submit", ASSIGNMENT, "--student", "ada")
        if "zip_collect" in body:
            release = nbformat.read(root / "notebooks" / ASSIGNMENT / NOTEBOOK, as_version=4)
            _lms_zip(shell.home / "Downloads" / "submissions.zip",
                     nbformat.read(ROOT / "source" / ASSIGNMENT / NOTEBOOK, as_version=4), release)
        shell.bash(body)
    return shell


def test_every_command_runs(session):
    assert any("autograde" in body for body, _ in session.log)
    assert any("zip_collect" in body for body, _ in session.log)


def test_the_session_exports_the_secret_and_the_gradebook(session):
    assert re.fullmatch(r"[0-9a-f]{64}", session.exported("COURSE_GRADING_SECRET"))
    assert session.exported("COURSE_GRADEBOOK_URL").startswith("postgresql+psycopg://grader@127.0.0.1:")
    assert oct((session.home / ".course-grading-secret").stat().st_mode & 0o777) == "0o600"


def test_the_exchange_accepts_a_submission_under_another_name(session):
    """The limit the page states: ben's `--student ada` lands in the exchange as ada's."""
    inbound = session.tmp / "srv" / "nbgrader" / "exchange" / "backprop-course" / "inbound"
    names = sorted(p.name.split("+")[0] for p in inbound.iterdir())
    assert names == ["ada", "ada"], names


def test_both_collects_fill_submitted(session):
    submitted = session.root / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["ada", "cyd", "dan"]
    for learner in ("ada", "cyd", "dan"):
        assert (submitted / learner / ASSIGNMENT / NOTEBOOK).exists(), learner


def test_grades_feedback_and_report_are_written(session):
    from nbgrader.api import Gradebook

    with Gradebook(session.exported("COURSE_GRADEBOOK_URL")) as gb:
        scores = {s.student.id: s.score for s in gb.assignment_submissions(ASSIGNMENT)}
        max_score = gb.find_assignment(ASSIGNMENT).max_score
    assert scores["cyd"] == max_score, scores
    assert 0 < scores["dan"] < max_score, scores
    with open(session.root / "grades.csv", newline="") as fh:
        rows = {r["student_id"]: float(r["raw_score"]) for r in csv.DictReader(fh)}
    assert rows == scores
    for learner in scores:
        assert list((session.root / "feedback" / learner / ASSIGNMENT).glob("*.html")), learner
    feedback = session.tmp / "srv" / "nbgrader" / "exchange" / "backprop-course" / "feedback"
    assert feedback.is_dir() and any(feedback.iterdir()), "release_feedback put nothing in the exchange"
    for ext in ("csv", "html"):
        assert (session.root / "reports" / f"{ASSIGNMENT}.{ext}").stat().st_size > 0
