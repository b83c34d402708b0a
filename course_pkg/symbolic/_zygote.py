"""The checker's fork server: a quiet, single-threaded process that forks the workers.

The parent (a notebook's kernel, a test run, a script) starts this module once with
``subprocess`` (``stdin``, ``stdout`` and ``stderr`` on ``os.devnull`` from birth) and talks to it
over a Unix socket. It imports the checking engine (SymPy, mpmath) once, then waits for requests:

``b"f"`` with one file descriptor attached
    Fork a worker that serves checks on that descriptor (a socket whose other end the parent
    holds; see :func:`course_pkg.symbolic.worker._serve`); reply with the worker's pid (8 bytes).
``b"k"`` followed by a pid (8 bytes)
    Kill that worker, if it is one of ours, and reap it; reply ``b"k"``.

Because this process has a single thread, forking it is safe (a multi-threaded process, such as
a Jupyter kernel, can deadlock a forked child and Python 3.12+ warns about it), and because it
already holds the engine a worker starts in a few milliseconds. A pid is only signalled while it
is an unreaped child of this process, so a recycled pid is never hit. The server exits, killing
its workers, when the parent closes the socket (the parent exits, or calls
:func:`course_pkg.symbolic.worker.shutdown`; the next check then starts a new server).

Examples
--------
>>> from course_pkg.symbolic import _zygote
>>> _zygote.PID_BYTES
8
"""

from __future__ import annotations

import os
import signal
import socket
import struct
import sys

__all__ = ["main", "PID_BYTES"]

#: Size of a pid on the wire (a signed 64-bit integer).
PID_BYTES = 8
_PID = struct.Struct("!q")


def _silence():
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        try:
            os.dup2(devnull, fd)
        except OSError:  # pragma: no cover - no such descriptor to redirect
            pass
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process


def _reap(children):
    """Collect the workers that have exited (they stay zombies, their pids reserved, until then)."""
    for pid in list(children):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            children.discard(pid)


def _recv_exactly(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError("the parent closed the socket")
        data += chunk
    return data


#: Checks run once in the fork server, so that every worker starts with SymPy's lazy imports done
#: and its caches warm (a fresh worker's first check then costs about what later ones do).
WARM_UP = (
    ("sigmoid(2*u)*(1 - sigmoid(2*u))", "exp(-2*u)/(1 + exp(-2*u))^2"),
    ("3*sigmoid(u)", "sigmoid(u)"),
    ("w*v*Heaviside(v)", "w*v*Heaviside(v)*Heaviside(u)"),
    ("1 - tanh(3*u)^2", "1/cosh(3*u)^2"),
    ("σ′(u)*w", "cos(u^2)*w*u"),
)
# (none of these is the answer to an exercise: no checker module holds one)


def warm_up():
    """Run :data:`WARM_UP` through the engine (in-process); failures are ignored.

    Examples
    --------
    >>> warm_up()
    """
    from .equivalence import _compare_lines_impl, _equivalent_impl, _read_lines_impl

    for answer, expected in WARM_UP:
        try:
            _equivalent_impl(answer, expected, None)
            read = _read_lines_impl([expected, answer], None, None)
            _compare_lines_impl(read[0][0], read[1][0])  # (expr, echo, error, shape) per line
        except Exception:  # noqa: BLE001 - a warm-up is an optimisation, never an error
            pass


def _worker(sock, fd):
    """In the forked child: serve checks on ``fd`` until the parent hangs up, then exit."""
    from multiprocessing.connection import Connection

    from .worker import _serve

    code = 0
    try:
        sock.close()
        _serve(Connection(fd))
    except BaseException:  # noqa: BLE001 - nothing may escape a forked child
        code = 1
    finally:
        os._exit(code)


def main(fd):  # pragma: no cover - runs in the fork server process (tested through worker.run)
    """Serve fork and kill requests on the Unix socket ``fd`` until it is closed.

    Parameters
    ----------
    fd : int
        This process's end of the socket pair made by the parent.
    """
    _silence()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C / kernel interrupts: the parent decides
    warm_up()  # the preload: SymPy, mpmath and the engine, imported and exercised once

    sock = socket.socket(fileno=fd)
    children = set()
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(sock, 1, 1)
        except (OSError, EOFError):
            break
        if not message:
            break
        _reap(children)
        if message == b"f" and len(fds) == 1:
            pid = os.fork()
            if pid == 0:
                _worker(sock, fds[0])
            os.close(fds[0])
            children.add(pid)
            sock.sendall(_PID.pack(pid))
        elif message == b"k":
            for extra in fds:
                os.close(extra)
            (pid,) = _PID.unpack(_recv_exactly(sock, PID_BYTES))
            if pid in children:
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass
                children.discard(pid)
            sock.sendall(b"k")
        else:
            for extra in fds:
                os.close(extra)
            break
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    os._exit(0)
