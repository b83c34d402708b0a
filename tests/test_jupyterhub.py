"""A class on a real JupyterHub: release, fetch, submit, collect, grade, feedback, end to end.

One module-scoped fixture starts a real JupyterHub (``python -m jupyterhub``) on localhost with
node's ``configurable-http-proxy``, JupyterHub's shared-password (dummy) authenticator and local process spawning
(``SimpleLocalProcessSpawner``: one single-user Jupyter server per user, each in its own home
folder). Three users log in with a password, as they would in the browser: ``instructor``, and two
learners ``ada`` and ``ben``. Everything after that goes through the hub's proxy and the REST
endpoints that JupyterLab's own nbgrader panels call:

1. the instructor generates and releases ``01-chain-rule`` from the formgrader into the exchange
   (a shared folder);
2. each learner fetches it from the Assignments list, solves it (``ada`` fully, ``ben`` only the
   typed-formula exercises) by saving the notebook through the contents API, and submits;
3. the instructor collects, autogrades each submission, generates and releases feedback;
4. each learner fetches their feedback and finds their own scores, and nobody else's.

Roles are configuration, not code: learners' servers run with ``course_pkg``'s learner Jupyter
config (the formgrader, Create Assignment, Validate and course-list extensions switched off; only
the Assignments list, which fetching and submitting need, stays on), the instructor's with nbgrader
in full.
"""

import csv
import json
import os
import pathlib
import shutil
import signal
import socket
import stat
import pwd
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
ASSIGNMENT = "01-chain-rule"
NOTEBOOK = "chain_rule.ipynb"
COURSE_ID = "backprop-course"
PASSWORD = "course-test-password"
#: Hub users and their roles. nbgrader names a submission after the Unix user who made it, so each
#: hub user is a real system user (as on The Littlest JupyterHub); the prefix keeps them apart from
#: the machine's own users.
INSTRUCTOR, ADA, BEN = "bpc-instructor", "bpc-ada", "bpc-ben"
USERS = {INSTRUCTOR: "instructor", ADA: "learner", BEN: "learner"}
#: Seconds the hub (with its proxy) may take to answer, and a single-user server to start.
START_TIMEOUT = 60
#: Seconds one REST call may take (autograding one notebook is the slowest).
REQUEST_TIMEOUT = 240

#: nbgrader extensions a learner's server must not load (JupyterLab plugin ids and server extensions).
LEARNER_DISABLED_LAB = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:validate-assignment",
    "@jupyter/nbgrader:course-list",
)
LEARNER_DISABLED_SERVER = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.validate_assignment",
    "nbgrader.server_extensions.course_list",
)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _role_config(folder, role, exchange):
    """A Jupyter config folder for one role: the exchange for everyone, nbgrader's tools for instructors."""
    folder.mkdir(parents=True)
    # The folder is read-only to the users; jupyter_core's one-off config migration, which writes
    # this marker, has nothing to migrate and must not try.
    (folder / "migrated").write_text("")
    (folder / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
    )
    if role == "learner":
        (folder / "jupyter_server_config.json").write_text(json.dumps(
            {"ServerApp": {"jpserver_extensions": {name: False for name in LEARNER_DISABLED_SERVER}}}
        ))
        (folder / "labconfig").mkdir()
        (folder / "labconfig" / "page_config.json").write_text(json.dumps(
            {"disabledExtensions": {name: True for name in LEARNER_DISABLED_LAB}}
        ))


HUB_CONFIG = '''
import json, os, pathlib
c = get_config()
settings = json.loads(pathlib.Path(__file__).with_name("settings.json").read_text())

c.JupyterHub.bind_url = f"http://127.0.0.1:{settings['port']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{settings['hub_port']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['proxy_api_port']}"
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.db_url = f"sqlite:///{settings['state']}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{settings['state']}/cookie_secret"
c.JupyterHub.pid_file = f"{settings['state']}/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True

c.JupyterHub.authenticator_class = "shared-password"  # the dummy authenticator of JupyterHub >= 5.3
c.SharedPasswordAuthenticator.user_password = settings["password"]
c.Authenticator.allowed_users = set(settings["users"])

c.JupyterHub.spawner_class = "localprocess"  # each server runs as its own Unix user, in its home
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
c.Spawner.env_keep = ["PATH", "PYTHONPATH", "VIRTUAL_ENV", "LANG", "LC_ALL", "COURSE_GRADING_SECRET",
                      "COURSE_GRADEBOOK_URL"]


def role_environment(spawner):
    role = settings["users"][spawner.user.name]
    spawner.environment["JUPYTER_CONFIG_DIR"] = f"{settings['roles']}/{role}"
    spawner.environment["MPLBACKEND"] = "Agg"


c.Spawner.pre_spawn_hook = role_environment
'''


class HubError(Exception):
    """An HTTP error from the hub or a user's server, with its status code and what it said."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class Client:
    """One user's session with the hub: a token from logging in, then REST calls through the proxy."""

    def __init__(self, base, name):
        self.base, self.name = base, name
        self.token = self._post(
            f"/hub/api/users/{name}/tokens",
            {"auth": {"username": name, "password": PASSWORD}, "note": "course e2e test"},
            auth=False,
        )["token"]

    def _request(self, method, path, body=None, auth=True, raw=False):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if auth:
            request.add_header("Authorization", f"token {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            raise HubError(exc.code, f"{self.name}: {method} {path} answered {exc.code}: "
                                     f"{exc.read()[:800].decode(errors='replace')}") from None
        if raw:
            return payload
        return json.loads(payload) if payload.strip() else None

    def _post(self, path, body=None, auth=True):
        return self._request("POST", path, body or {}, auth=auth)

    def get(self, path, raw=False):
        return self._request("GET", path, raw=raw)

    def post(self, path, body=None):
        return self._post(path, body)

    def status(self, path):
        """The HTTP status of a GET on ``path`` (200, 404, ...)."""
        try:
            self._request("GET", path, raw=True)
            return 200
        except HubError as exc:
            return exc.code

    def start_server(self):
        try:
            self.post(f"/hub/api/users/{self.name}/server")
        except HubError as exc:
            if exc.code != 400:  # 400: already running
                raise
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            user = self.get(f"/hub/api/users/{self.name}")
            server = user.get("servers", {}).get("", {})
            if server.get("ready"):
                return
            time.sleep(0.3)
        raise AssertionError(f"{self.name}'s server did not start within {START_TIMEOUT} s")

    # Each user's own server, through the proxy.
    def server(self, path):
        return f"/user/{self.name}{path}"

    def read_notebook(self, path):
        model = self.get(self.server(f"/api/contents/{urllib.parse.quote(path)}?content=1"))
        return nbformat.from_dict(model["content"])

    def write_notebook(self, path, nb):
        self._request("PUT", self.server(f"/api/contents/{urllib.parse.quote(path)}"),
                      {"type": "notebook", "format": "json", "content": nb})

    def list_dir(self, path):
        model = self.get(self.server(f"/api/contents/{urllib.parse.quote(path)}?content=1"))
        return [item["name"] for item in model["content"]]

    def assignments(self):
        return self.get(self.server(f"/assignments?course_id={COURSE_ID}"))

    def assignment_action(self, action):
        return self.post(self.server(f"/assignments/{action}"),
                         {"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})

    def formgrader(self, path):
        return self.post(self.server(f"/formgrader/api{path}"))


def _wait_for_hub(base, process, log):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"JupyterHub exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(base + "/hub/api/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.3)
    raise AssertionError(f"JupyterHub did not answer within {START_TIMEOUT} s:\n{log.read_text()[-3000:]}")


def _system_user(name, home):
    """Create the Unix user ``name`` with ``home`` as its home folder (owned by it); return its uid."""
    try:
        pwd.getpwnam(name)
        subprocess.run(["usermod", "--home", str(home), name], check=True, capture_output=True)
    except KeyError:
        subprocess.run(["useradd", "--home-dir", str(home), "--no-create-home", "--user-group",
                        "--shell", "/bin/bash", name], check=True, capture_output=True)
    entry = pwd.getpwnam(name)
    for path in [home, *home.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return entry.pw_uid


def _make_traversable(paths):
    """Let every user traverse (not list) the folders above ``paths``; return what to restore.

    The learners' servers run as their own Unix users, so they must reach the Python install and the
    course package. Here Python lives under /root (mode 0700, a pyenv install), so the fixture lends
    other users the right to pass through such folders for the length of the test and restores the
    original modes after, as a deployment would install the user environment in a shared place
    (The Littlest JupyterHub uses /opt/tljh/user).
    """
    changed = {}
    for path in paths:
        for folder in [pathlib.Path(path).resolve(), *pathlib.Path(path).resolve().parents]:
            mode = folder.stat().st_mode
            if folder.is_dir() and not mode & stat.S_IXOTH and folder not in changed:
                changed[folder] = mode
                folder.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
    return changed


@pytest.fixture(scope="module")
def hub():
    """A running JupyterHub with an instructor (who has the course folder) and two learners."""
    assert os.geteuid() == 0, (
        "the JupyterHub test creates Unix users for its learners (nbgrader names submissions after "
        "the Unix user) and so runs as root, as CI does"
    )
    # Not pytest's tmp_path: its folders are private to root, and each user must reach its home.
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="course-hub-"))
    tmp.chmod(0o755)
    state, homes, roles, exchange = (tmp / name for name in ("state", "home", "roles", "exchange"))
    for folder in (state, homes, exchange, roles):
        folder.mkdir()
        folder.chmod(0o755)
    exchange.chmod(0o777)  # nbgrader's exchange must be writeable by every user
    for role in set(USERS.values()):
        _role_config(roles / role, role, exchange)
    course = homes / INSTRUCTOR
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(ROOT / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    for name in USERS:
        (homes / name).mkdir(exist_ok=True)
        _system_user(name, homes / name)
    lent = _make_traversable([sys.prefix, os.path.realpath(sys.executable), sys.base_prefix, ROOT])

    port = _free_port()
    settings = {
        "port": port, "hub_port": _free_port(), "proxy_api_port": _free_port(),
        "state": str(state), "roles": str(roles), "users": USERS, "password": PASSWORD,
    }
    (state / "settings.json").write_text(json.dumps(settings))
    (state / "jupyterhub_config.py").write_text(HUB_CONFIG)
    log = state / "jupyterhub.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("JUPYTER_CONFIG_DIR", None)
    env["PATH"] = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(state / "jupyterhub_config.py")],
            cwd=state, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_hub(base, process, log)
        clients = {name: Client(base, name) for name in USERS}
        for client in clients.values():
            client.start_server()
        yield {"clients": clients, "homes": homes, "exchange": exchange, "log": log}
    except BaseException:
        print(f"--- the end of JupyterHub's log ({log}) ---\n{log.read_text()[-6000:]}")
        raise
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the hub stops its proxy and the servers it spawned
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for folder, mode in lent.items():
            folder.chmod(stat.S_IMODE(mode))
        for name in USERS:
            subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
            subprocess.run(["userdel", name], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def _solve(released, source, solve):
    """The released notebook with the solution cells for which ``solve(cell)`` is true filled from the source."""
    answers = {
        cell.metadata["nbgrader"]["grade_id"]: cell.source
        for cell in source.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }
    for cell in released.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and solve(cell):
            cell.source = answers[grade_id]
    return released


def _is_typed_answer(cell):
    return cell.cell_type == "code" and "def " not in cell.source


def _ok(reply, what):
    """The value of a ``{"success": ..., "value": ...}`` reply of nbgrader's REST API, or fail saying why."""
    assert isinstance(reply, dict) and reply.get("success"), f"{what} failed: {reply}"
    return reply.get("value")


@pytest.fixture(scope="module")
def graded_class(hub):
    """Run the whole term on the hub: release, fetch, solve, submit, collect, grade, feedback."""
    clients = hub["clients"]
    instructor = clients[INSTRUCTOR]
    _ok(instructor.formgrader(f"/assignment/{ASSIGNMENT}/assign"), "generating the release")
    _ok(instructor.formgrader(f"/assignment/{ASSIGNMENT}/release"), "releasing to the exchange")

    source = nbformat.read(ROOT / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    plans = {ADA: lambda cell: True, BEN: _is_typed_answer}
    fetched = {}
    for name, solve in plans.items():
        learner = clients[name]
        fetched[name] = _ok(learner.assignment_action("fetch"), f"{name} fetching")
        path = f"{ASSIGNMENT}/{NOTEBOOK}"
        learner.write_notebook(path, _solve(learner.read_notebook(path), source, solve))
        _ok(learner.assignment_action("submit"), f"{name} submitting")

    _ok(instructor.formgrader(f"/assignment/{ASSIGNMENT}/collect"), "collecting")
    for name in plans:
        _ok(instructor.formgrader(f"/submission/{ASSIGNMENT}/{name}/autograde"), f"autograding {name}")
    _ok(instructor.formgrader(f"/assignment/{ASSIGNMENT}/generate_feedback"), "generating feedback")
    _ok(instructor.formgrader(f"/assignment/{ASSIGNMENT}/release_feedback"), "releasing feedback")
    grades = {
        name: instructor.get(instructor.server(f"/formgrader/api/submission/{ASSIGNMENT}/{name}"))
        for name in plans
    }
    feedback = {name: _ok(clients[name].assignment_action("fetch_feedback"), f"{name} fetching feedback")
                for name in plans}
    return {"fetched": fetched, "grades": grades, "feedback": feedback}


def test_learners_have_no_instructor_tools_and_the_instructor_has_them(hub):
    """A learner's server answers 404 for the formgrader; the instructor's serves it."""
    clients = hub["clients"]
    assert clients[INSTRUCTOR].status(clients[INSTRUCTOR].server("/formgrader")) == 200
    for name in (ADA, BEN):
        assert clients[name].status(clients[name].server("/formgrader")) == 404
        assert clients[name].status(clients[name].server("/assignments?course_id=" + COURSE_ID)) == 200


def test_a_learner_cannot_reach_another_learners_server(hub):
    """ada's token opens ada's server and is refused by ben's."""
    ada = hub["clients"][ADA]
    assert ada.status(f"/user/{BEN}/api/contents") in (403, 404)
    assert ada.status(f"/user/{ADA}/api/contents") == 200


def test_each_learner_fetches_the_learners_version(hub, graded_class):
    """The fetched notebook has the exercises to fill in and none of the solutions or hidden tests."""
    for name in (ADA, BEN):
        listed = [a for a in graded_class["fetched"][name] if a["assignment_id"] == ASSIGNMENT]
        assert listed, f"{name}'s Assignments list does not show {ASSIGNMENT}"
    released = (hub["exchange"] / COURSE_ID / "outbound" / ASSIGNMENT / NOTEBOOK).read_text()
    assert "BEGIN SOLUTION" not in released and "BEGIN HIDDEN TESTS" not in released
    assert "YOUR CODE HERE" in released


def test_submissions_are_named_after_each_learner(hub, graded_class):
    """The exchange's inbound folder holds one submission per learner, under the learner's own name."""
    inbound = sorted(p.name.split("+")[0] for p in (hub["exchange"] / COURSE_ID / "inbound").iterdir())
    assert inbound == sorted([ADA, BEN])


def test_scores_are_full_for_the_full_solution_and_partial_for_the_partial_one(graded_class):
    """ada solved everything: full marks; ben solved the typed answers only: some marks, not all."""
    ada, ben = graded_class["grades"][ADA], graded_class["grades"][BEN]
    assert ada["max_score"] > 0
    assert ada["score"] == pytest.approx(ada["max_score"])
    assert 0 < ben["score"] < ben["max_score"], ben


def test_each_learner_gets_their_own_feedback_only(hub, graded_class):
    """Feedback lands in each learner's own folder, shows their own score, and names no one else."""
    for name, other in ((ADA, BEN), (BEN, ADA)):
        grade = graded_class["grades"][name]
        learner = hub["clients"][name]
        feedback_root = f"{ASSIGNMENT}/feedback"
        stamps = learner.list_dir(feedback_root)
        assert len(stamps) == 1, f"{name} should have one feedback folder, has {stamps}"
        html_path = f"{feedback_root}/{stamps[0]}/{NOTEBOOK.replace('.ipynb', '.html')}"
        html = learner.get(learner.server(f"/files/{urllib.parse.quote(html_path)}"), raw=True).decode()
        assert f"Score: {float(grade['score'])} / {float(grade['max_score'])}" in html, (
            f"{name}'s feedback does not show their score {grade['score']} / {grade['max_score']}")
        assert other not in html
        files = [str(p) for p in (hub["homes"] / name).rglob("*")]
        assert not any(other in f for f in files), f"{name}'s home holds files of {other}"


def _grade_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def test_the_scores_come_from_the_trusted_grader(hub, graded_class):
    """Every graded cell of each autograded notebook carries the trusted grader's structured outcome."""
    for name in (ADA, BEN):
        path = hub["homes"] / INSTRUCTOR / "autograded" / name / ASSIGNMENT / NOTEBOOK
        cells = _grade_cells(nbformat.read(path, as_version=4))
        assert cells, f"{path} has no graded cells"
        outcomes = [c.metadata.get("course_pkg", {}).get("outcome") for c in cells]
        assert all(outcomes), f"{name}: graded cells without a trusted outcome: {outcomes}"
        if name == ADA:
            assert all(o["passed"] for o in outcomes)
        else:
            assert any(o["passed"] for o in outcomes) and any(o["kind"] == "not_written" for o in outcomes)


def test_the_misconception_report_counts_the_hub_class(hub, graded_class):
    """The report over the hub's class: ada passes every exercise; ben leaves the functions blank."""
    course = hub["homes"] / INSTRUCTOR
    run = subprocess.run(
        [sys.executable, "-m", "course_pkg.grading", "report", ASSIGNMENT, "--course-dir", str(course)],
        cwd=course, capture_output=True, text=True, timeout=REQUEST_TIMEOUT,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    rows = list(csv.DictReader((course / "reports" / f"{ASSIGNMENT}.csv").open()))
    ben_cells = _grade_cells(nbformat.read(
        course / "autograded" / BEN / ASSIGNMENT / NOTEBOOK, as_version=4))
    for cell in ben_cells:
        exercise = cell.metadata["nbgrader"]["grade_id"]
        counts = {r["category"]: int(r["count"]) for r in rows if r["exercise"] == exercise}
        ben_passed = cell.metadata["course_pkg"]["outcome"]["passed"]
        assert counts.get("passed", 0) == 1 + ben_passed, (exercise, counts)
        if not ben_passed:
            assert counts.get("not_written", 0) == 1, (exercise, counts)
    assert (course / "reports" / f"{ASSIGNMENT}.html").read_text().count("<svg") >= len(ben_cells)
