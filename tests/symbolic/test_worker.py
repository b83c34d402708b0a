"""The worker process: results come back, errors are re-raised, a hung call is killed."""

import os

import pytest

from course_pkg.symbolic import worker


def test_result_and_exception_round_trip():
    assert worker.run("math", "factorial", (6,)) == 720
    with pytest.raises(ValueError):
        worker.run("math", "sqrt", (-1.0,))


def test_the_worker_is_reused():
    worker.run("math", "sqrt", (4.0,))
    pid = worker.worker_pid()
    worker.run("math", "sqrt", (9.0,))
    assert pid is not None and worker.worker_pid() == pid and pid != os.getpid()


def test_timeout_kills_and_the_next_call_gets_a_new_worker():
    worker.run("math", "sqrt", (4.0,))
    old = worker.worker_pid()
    with pytest.raises(worker.WorkerTimeout):
        worker.run("time", "sleep", (30,), timeout=0.3)
    assert worker.worker_pid() is None
    assert worker.run("math", "sqrt", (16.0,)) == 4.0
    assert worker.worker_pid() not in (None, old)


def test_timeout_must_be_positive():
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        worker.run("math", "sqrt", (4.0,), timeout=0)


def test_worker_writes_nothing_to_the_terminal(capfd):
    """The child's stdout and stderr go to devnull."""
    worker.shutdown()
    worker.run("builtins", "print", ("should not appear",))
    out, err = capfd.readouterr()
    assert "should not appear" not in out and err == ""


import subprocess
import sys
import textwrap

#: Seconds allowed for a child interpreter that imports SymPy and runs a few checks.
CHILD_GUARD = 120


def _run_python(code, tmp_path, name="script.py"):
    """Run ``code`` as a script in a fresh interpreter; return (returncode, stdout, stderr)."""
    script = tmp_path / name
    script.write_text(textwrap.dedent(code), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning:multiprocessing", str(script)],
        capture_output=True, text=True, timeout=CHILD_GUARD, cwd=tmp_path,
    )
    return done.returncode, done.stdout, done.stderr


@pytest.mark.skipif(worker.start_method() != "zygote", reason="the fork server needs os.fork (Linux, macOS)")
def test_workers_come_from_the_checkers_own_silent_fork_server():
    """Workers are forked by one long-lived server (not by this, possibly threaded, process)."""
    worker.run("math", "sqrt", (4.0,))
    server = worker._WORKER.zygote
    assert server is not None and server.poll() is None
    pid = worker.worker_pid()
    with open(f"/proc/{pid}/stat") as stat:
        parent = int(stat.read().rsplit(")", 1)[1].split()[1])
    assert parent == server.pid != os.getpid()
    if os.path.exists(f"/proc/{server.pid}/fd/2"):
        assert os.readlink(f"/proc/{server.pid}/fd/2") == os.devnull


@pytest.mark.skipif(worker.start_method() != "zygote", reason="the fork server needs os.fork (Linux, macOS)")
def test_after_a_timeout_the_old_worker_is_gone_and_the_server_is_reused():
    worker.run("math", "sqrt", (4.0,))
    server, old = worker._WORKER.zygote.pid, worker.worker_pid()
    with pytest.raises(worker.WorkerTimeout):
        worker.run("time", "sleep", (30,), timeout=0.3)
    with pytest.raises(ProcessLookupError):
        os.kill(old, 0)  # killed and reaped by the server
    assert worker.run("math", "sqrt", (9.0,)) == 3.0
    assert worker._WORKER.zygote.pid == server and worker.worker_pid() != old


def test_shutdown_stops_the_worker_and_the_server():
    worker.run("math", "sqrt", (4.0,))
    server = worker._WORKER.zygote
    worker.shutdown()
    assert worker.worker_pid() is None
    if server is not None:
        assert server.poll() is not None
    assert worker.run("math", "sqrt", (4.0,)) == 2.0


def test_the_spawn_fallback_works():
    """Where there is no fork (Windows) the worker is a multiprocessing spawn process."""
    spare = worker._Worker(method="spawn")
    try:
        assert spare.run("math", "sqrt", (16.0,), 30.0) == 4.0
        assert spare.pid not in (None, os.getpid())
    finally:
        spare.shutdown()


def test_a_threaded_process_checks_with_nothing_on_stderr(tmp_path):
    """As in a Jupyter kernel (threads running): checks, a timeout, a respawn, a print in the
    worker; no warning about forking a threaded process, nothing at all on stderr."""
    code = """
        import threading
        from course_pkg.symbolic import equivalent, worker

        stop = threading.Event()
        for _ in range(3):
            threading.Thread(target=stop.wait, daemon=True).start()
        print(equivalent("σ(z)(1 − σ(z))", "exp(-z)/(1 + exp(-z))^2").ok)
        try:
            worker.run("time", "sleep", (30,), timeout=0.3)
        except worker.WorkerTimeout:
            print("timeout")
        worker.run("builtins", "print", ("from the worker",))
        print(equivalent("2*sigmoid(z)", "sigmoid(z)").kind)
        stop.set()
    """
    code_rc, out, err = _run_python(code, tmp_path)
    assert code_rc == 0, err
    assert out.split() == ["True", "timeout", "constant_factor"]
    assert err == ""


def test_a_script_without_a_main_guard_can_check(tmp_path):
    """The worker never re-imports the caller's __main__ (as multiprocessing's spawn/forkserver do)."""
    code = """
        from course_pkg.symbolic import equivalent
        print("ran once")
        print(equivalent("tanh(z/2)/2 + 1/2", "sigmoid(z)").ok)
    """
    code_rc, out, err = _run_python(code, tmp_path)
    assert (code_rc, out.split(), err) == (0, ["ran", "once", "True"], "")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_of_the_caller_gets_its_own_worker(tmp_path):
    code = """
        import os
        from course_pkg.symbolic import equivalent

        assert equivalent("z", "z").ok
        pid = os.fork()
        if pid == 0:
            os._exit(0 if equivalent("2*z", "z").kind == "constant_factor" else 1)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), equivalent("z + 1", "z").kind)
    """
    code_rc, out, err = _run_python(code, tmp_path)
    assert (code_rc, out.split(), err) == (0, ["0", "additive_constant"], "")


@pytest.mark.skipif(worker.start_method() != "zygote", reason="the fork server needs os.fork (Linux, macOS)")
def test_a_dead_fork_server_is_replaced():
    import signal

    worker.run("math", "sqrt", (4.0,))
    server = worker._WORKER.zygote
    os.kill(server.pid, signal.SIGKILL)
    server.wait()
    worker.shutdown()  # forget the worker too: its server is gone
    assert worker.run("math", "sqrt", (25.0,)) == 5.0
    assert worker._WORKER.zygote.pid != server.pid


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the fallback forks")
def test_where_the_fork_server_cannot_start_the_worker_is_forked(monkeypatch):
    spare = worker._Worker(method="zygote")
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    try:
        assert spare.run("math", "sqrt", (36.0,), 30.0) == 6.0
        assert spare.method == "fork" and spare.zygote is None
    finally:
        spare.shutdown()


def test_an_interrupt_while_waiting_does_not_leave_a_late_reply_for_the_next_check(monkeypatch):
    """Ctrl-C during a check: the worker is dropped, so its late answer cannot answer the next call."""
    worker.run("math", "sqrt", (4.0,))
    real_poll = type(worker._WORKER.conn).poll

    def interrupted(self, timeout=0.0):
        if timeout and timeout > 0:
            raise KeyboardInterrupt
        return real_poll(self, timeout)

    monkeypatch.setattr(type(worker._WORKER.conn), "poll", interrupted)
    with pytest.raises(KeyboardInterrupt):
        worker.run("math", "factorial", (5,))
    monkeypatch.undo()
    assert worker.worker_pid() is None
    assert worker.run("math", "sqrt", (49.0,)) == 7.0
