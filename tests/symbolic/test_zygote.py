"""The fork server: forks workers on request, kills only its own workers, exits with its parent."""

import os
import socket
import struct
import subprocess
import sys
from multiprocessing.connection import Connection

import pytest

from course_pkg.symbolic import _zygote

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the fork server needs os.fork")

#: Seconds allowed for the server to start (imports SymPy) and to answer.
STARTUP_GUARD = 60
PID = struct.Struct("!q")


def _recv(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, "the fork server closed the socket"
        data += chunk
    return data


@pytest.fixture
def server():
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    code = f"from course_pkg.symbolic._zygote import main; main({theirs.fileno()})"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], pass_fds=(theirs.fileno(),),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    theirs.close()
    ours.settimeout(STARTUP_GUARD)
    yield proc, ours
    ours.close()
    out, err = proc.communicate(timeout=STARTUP_GUARD)
    assert (out, err) == (b"", b"")  # silent, from start to exit


def test_a_forked_worker_serves_checks_over_the_socket_it_was_given(server):
    proc, sock = server
    mine, for_worker = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    socket.send_fds(sock, [b"f"], [for_worker.fileno()])
    for_worker.close()
    (pid,) = PID.unpack(_recv(sock, _zygote.PID_BYTES))
    conn = Connection(mine.detach())
    conn.send(("math", "sqrt", (9.0,)))
    assert conn.poll(STARTUP_GUARD) and conn.recv() == ("ok", 3.0)
    conn.send(("course_pkg.symbolic.equivalence", "_equivalent_impl", ("2*z", "z", None)))
    assert conn.poll(STARTUP_GUARD) and conn.recv()[1].kind == "constant_factor"
    sock.sendall(b"k" + PID.pack(pid))
    assert _recv(sock, 1) == b"k"
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped
    conn.close()


def test_a_kill_request_for_a_process_that_is_not_its_worker_is_ignored(server):
    proc, sock = server
    sock.sendall(b"k" + PID.pack(os.getpid()))  # this test process: must survive
    assert _recv(sock, 1) == b"k"
    os.kill(os.getpid(), 0)


def test_the_server_exits_when_its_parent_hangs_up(server):
    proc, sock = server
    sock.close()
    assert proc.wait(timeout=STARTUP_GUARD) == 0


def test_warm_up_runs_the_engine_quietly(capsys):
    assert _zygote.warm_up() is None
    assert capsys.readouterr() == ("", "")
