r"""A killable worker process, so that no answer can make the checker hang.

Every check runs in one persistent child process, started lazily on first use and reused (a
check then costs a round trip through a pipe, not a process start). When a check takes longer
than its time limit the child is killed and the caller gets :class:`WorkerTimeout`; the next
check starts a fresh child. The child

* is forked on Linux (it inherits the already imported SymPy, so it starts in milliseconds) and
  spawned elsewhere;
* ignores Ctrl-C / kernel interrupts (the parent decides), and writes nothing to the terminal:
  its ``stdout`` and ``stderr`` go to ``os.devnull``;
* is killed when the parent exits (``atexit``) and is a daemon process.

It works inside a Jupyter kernel and under nbgrader, which run cells in an ordinary Python
process.
"""

from __future__ import annotations

import atexit
import importlib
import multiprocessing
import os
import signal
import sys
import threading

__all__ = ["WorkerTimeout", "WorkerError", "run", "shutdown", "TIME_LIMIT"]

#: Hard bound, in seconds, on one check.
TIME_LIMIT = 2.0


class WorkerTimeout(TimeoutError):
    """The check did not finish within its time limit; the worker was killed."""


class WorkerError(RuntimeError):
    """The worker died or failed in a way that is not the caller's fault."""


def _serve(conn):
    """The child's loop: receive (module, function, args), send back ('ok', result) or ('raise', exc)."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (ValueError, OSError):  # pragma: no cover - not the main thread of the child
        pass
    devnull = open(os.devnull, "w")
    sys.stdout = sys.stderr = devnull
    try:
        os.dup2(devnull.fileno(), 1)
        os.dup2(devnull.fileno(), 2)
    except OSError:  # pragma: no cover - no file descriptors to redirect
        pass
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            break
        if request is None:
            break
        module_name, func_name, args = request
        try:
            func = getattr(importlib.import_module(module_name), func_name)
            reply = ("ok", func(*args))
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
            reply = ("raise", exc)
        try:
            conn.send(reply)
        except Exception as exc:  # an unpicklable result or exception
            conn.send(("raise", WorkerError(f"could not send the result back: {exc!r}")))
    conn.close()


class _Worker:
    def __init__(self):
        self.lock = threading.Lock()
        self.process = None
        self.conn = None

    def _context(self):
        method = "fork" if sys.platform.startswith("linux") else "spawn"
        return multiprocessing.get_context(method)

    def start(self):
        ctx = self._context()
        parent_conn, child_conn = ctx.Pipe(duplex=True)
        process = ctx.Process(target=_serve, args=(child_conn,), name="course_pkg-symbolic-worker", daemon=True)
        process.start()
        child_conn.close()
        self.process, self.conn = process, parent_conn

    def stop(self):
        process, conn = self.process, self.conn
        self.process = self.conn = None
        if conn is not None:
            try:
                conn.close()
            except OSError:  # pragma: no cover - already closed
                pass
        if process is not None:
            if process.is_alive():
                process.kill()
            process.join(timeout=5)
            try:
                process.close()
            except ValueError:  # pragma: no cover - still running after kill + join
                pass

    def alive(self):
        return self.process is not None and self.process.is_alive()

    def run(self, module_name, func_name, args, timeout):
        with self.lock:
            if not self.alive():
                self.stop()
                self.start()
            try:
                self.conn.send((module_name, func_name, args))
                ready = self.conn.poll(timeout)
            except (OSError, EOFError, BrokenPipeError) as exc:
                self.stop()
                raise WorkerError(f"the checking process stopped unexpectedly ({exc!r})") from None
            if not ready:
                self.stop()
                raise WorkerTimeout(f"the check took longer than {timeout:g} s")
            try:
                status, payload = self.conn.recv()
            except (OSError, EOFError) as exc:
                self.stop()
                raise WorkerError(f"the checking process stopped unexpectedly ({exc!r})") from None
        if status == "raise":
            raise payload
        return payload


_WORKER = _Worker()


def run(module_name, func_name, args, timeout=TIME_LIMIT):
    """Run ``module_name.func_name(*args)`` in the worker process, within ``timeout`` seconds.

    Parameters
    ----------
    module_name : str
        An importable module (the child imports it by name).
    func_name : str
        A function of that module.
    args : tuple
        Picklable arguments.
    timeout : float, default TIME_LIMIT
        Seconds to wait for the result before killing the worker.

    Returns
    -------
    object
        What the function returned.

    Raises
    ------
    WorkerTimeout
        The function did not return in time (the worker was killed; the next call starts a new one).
    WorkerError
        The worker died.
    Exception
        Whatever the function raised, re-raised in the caller.

    Examples
    --------
    >>> run("math", "factorial", (5,))
    120
    """
    if not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return _WORKER.run(module_name, func_name, tuple(args), float(timeout))


def shutdown():
    """Stop the worker process (it restarts on the next check).

    Examples
    --------
    >>> shutdown()
    >>> run("math", "sqrt", (4.0,))
    2.0
    """
    with _WORKER.lock:
        _WORKER.stop()


def worker_pid():
    """The process id of the running worker, or None (for tests and diagnostics).

    Examples
    --------
    >>> isinstance(worker_pid(), (int, type(None)))
    True
    """
    process = _WORKER.process
    return process.pid if process is not None and process.is_alive() else None


atexit.register(shutdown)
