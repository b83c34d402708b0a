"""The sandbox, the worker and the wire protocol, on their own: real bubblewrap, real limits."""

import dataclasses
import io
import json
import os
import pathlib
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

from course_pkg.checks.learner import (CallInfo, InProcessLearner, LearnerMissing, LearnerRaised,
                                       LearnerTimeout, Named, Opaque)
from course_pkg.grading import protocol, sandbox, seed_for
from course_pkg.grading.learner import NotebookRun, SandboxLearner

ROOT = pathlib.Path(__file__).resolve().parents[2]
FAST = sandbox.Limits(cell_seconds=5, call_seconds=3, notebook_seconds=60)


def run_cells(*sources, limits=FAST):
    run = NotebookRun(list(enumerate(sources)), limits)
    run.run_all()
    return run


def result(run, index):
    return run.results[index]


@pytest.fixture(scope="module")
def probe():
    """One worker for the read-only checks: what the learner's code can see and do."""
    run = NotebookRun([], FAST)
    yield SandboxLearner(run), run
    run.close()


def ask(run, source):
    reply, _ = run.request({"op": "exec", "source": source, "name": "<cell probe>", "timeout": 5}, timeout=10)
    return reply


def test_the_sandbox_is_bubblewrap_here():
    """CI installs bubblewrap; this host allows user namespaces, so nothing falls back."""
    assert os.path.exists(sandbox.BWRAP), "bubblewrap is not installed (apt-get install bubblewrap)"
    assert sandbox.MODE == "bubblewrap", sandbox.mode_reason()


def test_the_learner_sees_neither_the_course_nor_the_host(probe):
    _, run = probe
    reply = ask(run, f"""
import os, glob
seen = {{p: os.path.exists(p) for p in [{str(ROOT)!r}, {str(ROOT / 'source')!r}, "/work", "/root/.ssh", "/home", "/var"]}}
print(sorted(k for k, v in seen.items() if v), os.getcwd(), os.environ.get("HOME"), os.getuid() != 0)
print(sorted(os.listdir("/")))
found = []
for top in sorted(set(os.listdir("/")) - set(["usr", "proc", "dev", "sys"])):
    if os.path.islink("/" + top):
        continue
    for folder, _, files in os.walk("/" + top):
        found += [os.path.join(folder, f) for f in files if f.endswith((".ipynb", ".db", ".sqlite"))]
print(found)
""")
    assert reply["ok"], reply
    lines = reply["stdout"].splitlines()
    assert lines[0] == "[] /sandbox /sandbox True", lines[0]
    assert "work" not in lines[1] and "home" not in lines[1]
    assert lines[2] == "[]", f"notebooks or a gradebook are visible in the sandbox: {lines[2]}"


def test_the_system_is_read_only_and_the_home_is_not(probe):
    _, run = probe
    reply = ask(run, """
import errno, os
import course_pkg
errors = []
for path in [os.path.join(os.path.dirname(course_pkg.__file__), "checks", "engine.py"), "/usr/bin/x", "/etc/passwd", os.__file__]:
    try:
        open(path, "a").close()
        errors.append("wrote " + path)
    except OSError as exc:
        errors.append(exc.errno in (errno.EROFS, errno.EACCES, errno.ENOENT))
open("/sandbox/mine.txt", "w").write("fine")
print(errors, open("/sandbox/mine.txt").read())
""")
    assert reply["stdout"].strip() == "[True, True, True, True] fine", reply


def test_no_network(probe):
    _, run = probe
    reply = ask(run, """
import socket
for host in [("1.1.1.1", 53), ("127.0.0.1", 22)]:
    try:
        socket.create_connection(host, timeout=2)
        print("connected", host)
    except OSError as exc:
        print("refused")
""")
    assert reply["stdout"].split() == ["refused", "refused"], reply


def test_files_beside_the_notebook_are_not_importable(probe):
    _, run = probe
    reply = ask(run, "import sys\nsys.path.insert(0, '.')\ntry:\n    import helpers\nexcept ImportError:\n    print('no')")
    assert reply["stdout"].strip() == "no"


def test_memory_limit_raises_memory_error():
    run = run_cells("x = bytearray(8 * 2**30)", "y = 1\nprint('after')")
    assert result(run, 0).error["ename"] == "MemoryError"
    assert result(run, 1).stdout == "after\n"
    run.close()


def test_process_limit_bounds_a_fork_loop_and_everything_dies_with_the_worker():
    limits = dataclasses.replace(FAST, processes=16)
    run = run_cells("""
import os, time
n = 0
for _ in range(200):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    n += 1
print(n)
""", limits=limits)
    children = int(result(run, 0).stdout)
    assert 0 < children < 16, children
    uid = run._worker._slot.uid if run._worker._slot else None
    run.close()
    if uid is not None:  # root: the slot's uid has no process left
        assert sandbox._uid_procs(uid) == []


def test_open_files_and_file_size_are_limited():
    run = run_cells("""
fhs = []
try:
    for i in range(5000):
        fhs.append(open(f"/sandbox/f{i}", "w"))
except OSError as exc:
    print("files", len(fhs) < 5000, exc.errno)
for fh in fhs:
    fh.close()
try:
    with open("/sandbox/big", "wb") as fh:
        fh.write(b"x" * (40 * 2**20))
    print("wrote")
except OSError as exc:
    print("big", exc.errno)
""")
    out = result(run, 0).stdout.split()
    assert out[:2] == ["files", "True"] and out[3] == "big", out
    run.close()


def test_cpu_limit_ends_a_busy_worker():
    limits = dataclasses.replace(FAST, cpu_seconds=2, cell_seconds=30)
    run = run_cells("x = 0\nwhile True:\n    x += 1", "print('next')", limits=limits)
    assert result(run, 0).error["ename"] in ("ProcessEnded", "CellTimeoutError"), result(run, 0)
    assert result(run, 1).stdout == "next\n", "the cell after the broken one runs in a new worker"
    run.close()


def test_wall_clock_budget_of_the_notebook():
    limits = dataclasses.replace(FAST, notebook_seconds=8, cell_seconds=30)
    started = time.monotonic()
    run = run_cells("import time\ntime.sleep(600)", "print('never')", limits=limits)
    assert time.monotonic() - started < 300, "the notebook's budget did not stop a 600 s cell"
    assert result(run, 0).error["ename"] in ("CellTimeoutError", "ProcessEnded"), result(run, 0)
    assert not result(run, 1).ok
    run.close()


def test_a_cell_that_kills_the_worker_costs_only_itself():
    run = run_cells("def f(x):\n    return 2 * x", "import os\nos._exit(3)", "print(f(21))")
    assert result(run, 1).error["ename"] == "ProcessEnded" and "exit status 3" in result(run, 1).error["evalue"]
    assert result(run, 2).stdout == "42\n"
    assert run.restarts == 1
    run.close()


def test_output_is_captured_and_capped():
    run = run_cells("import sys\nprint('x' * 10**7)\nsys.stderr.write('warned\\n')\nimport os\nos.write(1, b'raw' * 10**6)")
    out = result(run, 0)
    assert len(out.stdout) < 2 * FAST.output_bytes and "dropped" in out.stdout
    assert out.stderr == "warned\n"
    run.close()


def test_ipython_syntax_and_display_need_no_kernel():
    from course_pkg.grading.nbgrader import to_python

    run = run_cells(to_python("%matplotlib inline\nimport matplotlib.pyplot as plt\nfig, ax = plt.subplots()\n"
                              "ax.plot([1, 2])\nplt.show()\ndisplay(fig)\n!ls\nprint('drawn')"),
                    to_python("%%time\nz = 3\nprint(z)"))
    assert result(run, 0).ok and result(run, 0).stdout.endswith("drawn\n"), result(run, 0)
    assert result(run, 1).stdout == "3\n"
    run.close()


# ------------------------------------------------------------------------------------------
# the Learner protocol, against the in-process learner


LEARNER_CODE = '''
import warnings
import numpy as np


def double(x):
    return 2 * np.asarray(x, dtype=float)


def noisy(x):
    warnings.warn("careful", RuntimeWarning)
    return x


def mutates(x):
    x[0] = 99.0
    return x


def forward(x):
    return {"y": float(x) + 1.0}


def backward(x):
    return forward(x)["y"] + forward(x)["y"]


def apply(f, x):
    return f(x)


def stub(x):
    raise NotImplementedError()


def weird(x):
    class Cheat:
        def __eq__(self, other):
            return True
    return Cheat()


def forever(x):
    while True:
        pass


answer = "2*x"
'''


@pytest.fixture(scope="module")
def learners():
    run = NotebookRun([(0, LEARNER_CODE)], FAST)
    run.run_all()
    namespace = {}
    exec(compile(LEARNER_CODE, "<cell 0>", "exec"), namespace)
    yield SandboxLearner(run), InProcessLearner(namespace)
    run.close()


@pytest.mark.parametrize("name, args", [
    ("double", (np.arange(6.0).reshape(2, 3),)), ("double", (1.5,)), ("forward", (2.0,)),
    ("apply", (Named("cube"), np.array([1.0, 2.0]))), ("noisy", (np.ones(2),)), ("mutates", (np.zeros(3),)),
    ("weird", (1.0,)),
])
def test_sandbox_learner_answers_like_the_in_process_one(learners, name, args):
    remote, local = learners
    got, want = remote.call(name, *args), local.call(name, *args)
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray) and got.dtype == want.dtype and np.array_equal(got, want)
    else:
        assert got == want
    assert remote.last_call() == local.last_call()


def test_sandbox_learner_counts_calls_like_the_in_process_one(learners):
    remote, local = learners
    for learner in learners:
        before = learner.calls("forward")
        learner.call("backward", 1.0)
        assert learner.calls("forward") - before == 2


def test_sandbox_learner_errors(learners):
    remote, _ = learners
    assert remote.has("double") and not remote.has("nothing")
    assert remote.value("answer") == "2*x"
    with pytest.raises(LearnerMissing):
        remote.call("nothing", 1.0)
    with pytest.raises(LearnerRaised) as raised:
        remote.call("stub", 1.0)
    assert raised.value.exc_type == "NotImplementedError"
    assert remote.call("weird", 1.0) == Opaque("Cheat")
    with pytest.raises(LearnerTimeout):
        remote.call("forever", 1.0)
    assert remote.call("double", 2.0) == 4.0, "after a timeout the notebook is replayed in a new worker"


# ------------------------------------------------------------------------------------------
# the wire format


def test_protocol_round_trip_of_plain_data():
    value = {"a": [1, 2.5, None, True, "s"], "b": (np.arange(4, dtype=np.int32), np.eye(2)),
             "c": Named("sin"), "d": Opaque("Thing"), "e": float("nan")}
    header, arrays = protocol.encode(value)
    data = protocol.pack(header, arrays)
    stream = io.BytesIO(data)
    back_header, back_arrays = protocol.read_frame(stream.read)
    back = protocol.decode(back_header, back_arrays)
    assert back["a"] == value["a"] and back["c"] == Named("sin") and back["d"] == Opaque("Thing")
    assert np.array_equal(back["b"][0], value["b"][0]) and back["b"][0].dtype == np.int32
    assert np.isnan(back["e"])


@pytest.mark.parametrize("value", [object(), np.array([object()]), {1: 2}, np.array([1j]),
                                   type("F", (float,), {})(1.0)])
def test_protocol_refuses_what_is_not_plain_data(value):
    with pytest.raises(protocol.Unsupported):
        protocol.encode(value)


def test_protocol_never_unpickles_and_checks_sizes_first():
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    blob = pickled.getvalue()
    frame = struct.pack(">II", 2, 1) + b"{}" + struct.pack(">Q", len(blob)) + blob
    with pytest.raises(protocol.ProtocolError):
        protocol.read_frame(io.BytesIO(frame).read)
    huge = struct.pack(">II", protocol.MAX_JSON_BYTES + 1, 0)
    with pytest.raises(protocol.ProtocolError):
        protocol.read_frame(io.BytesIO(huge).read)
    with pytest.raises(protocol.ProtocolError):
        protocol.decode({"x": 1}, [])


# ------------------------------------------------------------------------------------------
# the secret and the fallback


def test_hidden_seeds_depend_on_the_secret(monkeypatch):
    monkeypatch.setenv("COURSE_GRADING_SECRET", "one")
    a = seed_for("02-activations", "test_sigmoid")
    monkeypatch.setenv("COURSE_GRADING_SECRET", "two")
    b = seed_for("02-activations", "test_sigmoid")
    assert a != b and a == seed_for("02-activations", "test_sigmoid", secret="one")
    assert seed_for("02-activations", "test_relu", secret="one") != a


def test_the_fallback_says_what_it_is():
    code = ("import logging; logging.basicConfig(); from course_pkg.grading import sandbox, learner; "
            "print(sandbox.MODE); r = learner.NotebookRun([(0, 'import os; print(os.path.exists(\"/work\"))')]); "
            "r.run_all(); print(r.results[0].stdout.strip()); r.close()")
    env = dict(os.environ, COURSE_GRADING_SANDBOX="rlimits-only")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.stdout.split() == ["rlimits-only", "True"], proc.stdout + proc.stderr
    assert "WITHOUT A SANDBOX" in proc.stderr
