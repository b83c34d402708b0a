r"""A killable worker process, so that no answer can make the checker hang.

Every check runs in one persistent child process, started lazily on first use and reused (a
check then costs a round trip through a socket, not a process start). When a check takes longer
than its time limit the child is killed and the caller gets :class:`WorkerTimeout`; the next
check starts a fresh child. The child ignores Ctrl-C / kernel interrupts (the parent decides),
writes nothing to the terminal (its ``stdout`` and ``stderr`` go to ``os.devnull``), and goes
when the parent exits. It works inside a Jupyter kernel and under nbgrader, which run cells in
an ordinary Python process, and in plain scripts (with or without ``if __name__ == "__main__"``).

How the worker is started (:func:`start_method`)
-------------------------------------------------
``"zygote"`` wherever ``os.fork`` exists (Linux, macOS): the first check starts the checker's own
fork server, :mod:`course_pkg.symbolic._zygote`, with ``subprocess`` (``sys.executable``, the
parent's ``sys.path``; ``stdin``, ``stdout`` and ``stderr`` on ``os.devnull`` from birth). It
imports SymPy and the engine once, runs a few checks to warm SymPy's caches, and from then on
forks each worker on request, handing it one end of a socket pair that the parent made. Windows
has no ``fork``: there the worker is a ``multiprocessing`` ``"spawn"`` process.

Why not the alternatives: measured with ``benchmarks/bench_symbolic.py --start-method M`` (2-core
CI machine, Python 3.11, 3 idle threads running as in a kernel). The checks themselves cost the
same with every method (corpus median 4.0–4.2 ms, worst < 100 ms); what differs is the start:

=========================  ===========  ==============  ===========================================
method                     first check  check after a   what decides against it
                           of a session timeout
=========================  ===========  ==============  ===========================================
multiprocessing fork       ~35 ms       ~33 ms          forks the caller, a multi-threaded kernel:
                                                        a lock held by another thread at the fork
                                                        can deadlock the child, and Python 3.12+
                                                        warns (DeprecationWarning)
multiprocessing            ~500 ms      70–145 ms       re-imports the caller's ``__main__`` in
forkserver + preload                                    every worker (a script without a main
                                                        guard re-runs and every check fails; a
                                                        guarded one pays its imports at each
                                                        respawn); the server inherits the kernel's
                                                        stderr; one server per process, whose
                                                        preload list any other code can replace
multiprocessing spawn      ~500 ms      ~490 ms         imports SymPy again at every respawn, and
                                                        re-imports ``__main__`` as forkserver does
zygote (chosen)            ~500 ms      ~11 ms          none: the one-off start is the only cost;
                                                        forks from a single-threaded process, never
                                                        imports ``__main__``, silent from birth,
                                                        caches warm
=========================  ===========  ==============  ===========================================

The zygote's one-off start (Python + SymPy + the warm-up, :data:`STARTUP_LIMIT` at most) is not
counted in any check's :data:`TIME_LIMIT`: the 2 s bound applies to the check itself, from the
moment it is sent to a running worker. A worker is killed through the fork server (its parent), so
a pid is only ever signalled while it belongs to one of our workers. The server runs in its own
session, so a kernel interrupt (sent to the kernel's process group) reaches neither it nor the
workers; it exits when the caller does (its socket closes) and takes its workers along. If it
dies, the next check starts a new one; if it cannot start at all (no usable ``sys.executable``),
the worker is forked from the caller for the rest of the session, as before. The price is one
more process per session holding SymPy (about 70 MB resident, shared copy-on-write with the
workers).
"""

from __future__ import annotations

import atexit
import importlib
import multiprocessing
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
from multiprocessing.connection import Connection

__all__ = ["WorkerTimeout", "WorkerError", "run", "shutdown", "ensure_started", "TIME_LIMIT"]

#: Hard bound, in seconds, on one check.
TIME_LIMIT = 2.0

#: Seconds allowed for the fork server to start and import the engine (once per session; a cold
#: disk can be slow). Not part of any check's time limit.
STARTUP_LIMIT = 60.0

_PID = struct.Struct("!q")
_INHERITED = []  # the parent's fork server, as seen from a child forked from the parent


def start_method():
    """How the worker is started on this platform (see the module notes).

    Returns
    -------
    str
        ``"zygote"`` (forked by the checker's own single-threaded fork server,
        :mod:`course_pkg.symbolic._zygote`) where the platform has ``fork`` and passing file
        descriptors over sockets, else ``"spawn"`` (Windows).

    Examples
    --------
    >>> start_method() in ("zygote", "spawn")
    True
    """
    if hasattr(os, "fork") and hasattr(socket, "send_fds") and hasattr(socket, "AF_UNIX") and sys.executable:
        return "zygote"
    return "spawn"


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
    """One worker process and (for ``"zygote"``) the fork server it comes from."""

    def __init__(self, method=None):
        self.lock = threading.Lock()
        self.method = method  # None: start_method(); tests and benchmarks may set another
        self.owner = os.getpid()
        self.process = None  # multiprocessing methods: the Process
        self.pid = None  # the worker's pid (both kinds)
        self.conn = None
        self.zygote = None  # "zygote": the fork server's Popen and socket
        self.zygote_sock = None

    # the fork server ---------------------------------------------------------------------------
    def _ensure_zygote(self):
        if self.zygote is not None and self.zygote.poll() is None:
            return
        self._stop_zygote()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        code = (
            f"import sys; sys.path[:] = {list(sys.path)!r}; "
            f"from course_pkg.symbolic._zygote import main; main({theirs.fileno()})"
        )
        try:
            self.zygote = subprocess.Popen(
                [sys.executable, "-c", code],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                close_fds=True,
                start_new_session=True,  # a kernel interrupt (sent to its process group) is not for us
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        ours.settimeout(STARTUP_LIMIT)
        self.zygote_sock = ours

    def _stop_zygote(self):
        sock, proc = self.zygote_sock, self.zygote
        self.zygote_sock = self.zygote = None
        if sock is not None:
            sock.close()  # the server sees EOF, kills its workers and exits
        if proc is not None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover - a server that ignores EOF
                proc.kill()
                proc.wait()

    def _ask_zygote(self, message, fds, reply_size):
        socket.send_fds(self.zygote_sock, [message], fds)
        data = b""
        while len(data) < reply_size:
            chunk = self.zygote_sock.recv(reply_size - len(data))
            if not chunk:
                raise EOFError("the checker's fork server exited")
            data += chunk
        return data

    # the worker ----------------------------------------------------------------------------------
    def _fork_from_zygote(self):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._ensure_zygote()
            reply = self._ask_zygote(b"f", [theirs.fileno()], _PID.size)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        (self.pid,) = _PID.unpack(reply)
        self.conn = Connection(ours.detach())

    def start(self):
        method = self.method or start_method()
        if method == "zygote":
            for _ in range(2):
                fresh = self.zygote is None or self.zygote.poll() is not None
                try:
                    self._fork_from_zygote()
                    return
                except (OSError, EOFError):
                    self._stop_zygote()
                    if fresh:  # a new server could not start here: no point in a second try
                        break
            # The fork server cannot run in this environment (no usable sys.executable, say):
            # fork this process instead, for the rest of the session.
            self.method = method = "fork"
        if method != "zygote":
            ctx = multiprocessing.get_context(method)
            if method == "forkserver":  # for comparisons only: start_method() never picks it
                ctx.set_forkserver_preload(["course_pkg.symbolic.equivalence"])
            parent_conn, child_conn = ctx.Pipe(duplex=True)
            process = ctx.Process(target=_serve, args=(child_conn,), name="course_pkg-symbolic-worker", daemon=True)
            process.start()
            child_conn.close()
            self.process, self.pid, self.conn = process, process.pid, parent_conn

    def stop(self):
        process, conn, pid = self.process, self.conn, self.pid
        self.process = self.conn = self.pid = None
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
        elif pid is not None and self.zygote_sock is not None:
            try:
                self.zygote_sock.sendall(b"k" + _PID.pack(pid))
                if self.zygote_sock.recv(1) != b"k":
                    raise EOFError("the checker's fork server exited")
            except (OSError, EOFError):
                self._stop_zygote()  # a server that cannot kill: replace it (it takes its workers along)

    def alive(self):
        if self.conn is None:
            return False
        if self.process is not None:
            return self.process.is_alive()
        try:
            return not self.conn.poll(0)  # an idle worker has nothing to say; readable means EOF
        except (OSError, EOFError):
            return False

    def forget_if_forked(self):
        """In a child forked from the caller: forget the caller's worker and server (closing only
        this process's copies of their sockets); this process starts its own on its next check."""
        if os.getpid() != self.owner:
            self.owner = os.getpid()
            for inherited in (self.conn, self.zygote_sock):
                if inherited is not None:
                    inherited.close()  # this process's copies only; the parent's stay open
            if self.zygote is not None:
                _INHERITED.append(self.zygote)  # not ours to wait for; kept so that it is not reported
            self.process = self.conn = self.pid = None
            self.zygote = self.zygote_sock = None

    def shutdown(self):
        self.forget_if_forked()
        self.stop()
        self._stop_zygote()

    def run(self, module_name, func_name, args, timeout):
        with self.lock:
            self.forget_if_forked()
            if not self.alive():
                self.stop()
                self.start()
            try:
                self.conn.send((module_name, func_name, args))
                ready = self.conn.poll(timeout)
            except (OSError, EOFError, BrokenPipeError) as exc:
                self.stop()
                raise WorkerError(f"the checking process stopped unexpectedly ({exc!r})") from None
            except BaseException:  # an interrupt (Ctrl-C, a kernel interrupt) while waiting:
                self.stop()  # the late reply must not answer the next check
                raise
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


def ensure_started():
    """Start the worker now if it is not running (its start-up is never part of a time limit).

    Callers that share one time budget between several checks (a derivation) call this first,
    so that the one-off start of the fork server is not charged to the learner's answer.

    Examples
    --------
    >>> ensure_started()
    >>> worker_pid() is not None
    True
    """
    with _WORKER.lock:
        _WORKER.forget_if_forked()
        if not _WORKER.alive():
            _WORKER.stop()
            _WORKER.start()


def shutdown():
    """Stop the worker process (it restarts on the next check).

    Examples
    --------
    >>> shutdown()
    >>> run("math", "sqrt", (4.0,))
    2.0
    """
    with _WORKER.lock:
        _WORKER.shutdown()


def worker_pid():
    """The process id of the running worker, or None (for tests and diagnostics).

    Examples
    --------
    >>> isinstance(worker_pid(), (int, type(None)))
    True
    """
    with _WORKER.lock:
        return _WORKER.pid if _WORKER.alive() else None


atexit.register(shutdown)
