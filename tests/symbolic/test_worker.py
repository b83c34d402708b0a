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
