"""The sandboxed worker: runs the learner's notebook code and answers the grader's questions.

Started by :mod:`course_pkg.grading.sandbox` as ``python -I -S -B worker.py`` inside bubblewrap.
Everything here runs in the learner's process, so nothing here is trusted: the grader treats
every answer as untrusted plain data (see :mod:`course_pkg.grading.protocol`) and checks it
itself. This file only has to be *correct for honest code*.

Protocol: the first line on stdin is a JSON object ``{"sys_path": [...], "seed": int,
"output_cap": int}``; then frames (protocol.pack) in both directions, one reply per request:

=========================================  ==============================================
request header                             reply header
=========================================  ==============================================
``{"op": "exec", "source", "timeout"}``    ``{"ok": bool, "stdout", "stderr", "error"}``
``{"op": "has", "name"}``                  ``{"value": bool}``
``{"op": "value", "name"}``                ``{"value": data}`` or ``{"missing"}`` ...
``{"op": "call", "name", "args",           ``{"value": data, "mutated": [..]}``, or
``"kwargs", "timeout"}``                   ``{"raised": [type, message]}``, ``{"missing"}``,
                                           ``{"timeout": true}``, ``{"unsupported": type}``
``{"op": "calls", "name"}``                ``{"value": int}``
``{"op": "bye"}``                          (exits)
=========================================  ==============================================

The learner's cells run with ``exec`` in one namespace (IPython syntax was already turned into
plain Python by the grader); ``display`` is a no-op, ``get_ipython()`` a stub whose magics do
nothing (cell magics ``%%time``/``%%capture`` run their body), matplotlib draws with Agg. Output
is captured per cell and capped; the real file descriptors 0 and 1 carry only the protocol and
are replaced by ``/dev/null`` before any learner code runs.
"""

import builtins
import json
import os
import signal
import sys
import time
import traceback
import types


class _Timeout(BaseException):
    """Raised by the soft timer inside a cell or call that runs too long."""


class _Capped:
    """A text stream that keeps at most ``cap`` characters and counts the rest."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, cap):
        self.cap = cap
        self.parts = []
        self.size = 0
        self.dropped = 0

    def write(self, text):
        text = str(text)
        room = self.cap - self.size
        if room > 0:
            self.parts.append(text[:room])
            self.size += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def flush(self):
        pass

    def isatty(self):
        return False

    def writable(self):
        return True

    def fileno(self):
        raise OSError("no file descriptor while grading")

    def text(self):
        out = "".join(self.parts)
        if self.dropped:
            out += f"\n... {self.dropped} more characters of output were dropped while grading ...\n"
        return out


class _Shell:
    """What ``get_ipython()`` returns while grading: magics do nothing, cell magics that only
    observe (``%%time``, ``%%capture``, ``%%timeit``) run their body once."""

    def __init__(self, namespace):
        self.user_ns = namespace

    def run_line_magic(self, name, line, *args, **kwargs):
        return None

    def run_cell_magic(self, name, line, body, *args, **kwargs):
        if name in ("time", "capture", "timeit", "prun"):
            exec(compile(body, "<cell magic>", "exec"), self.user_ns)
        return None

    def system(self, *args, **kwargs):
        return None

    getoutput = system

    def __getattr__(self, name):
        raise AttributeError(f"get_ipython().{name} is not available while the notebook is graded")


def _display(*objects, **kwargs):
    return None


def main():
    # The protocol owns the original stdin/stdout; learner output can never reach them.
    proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
    proto_out = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.set_inheritable(proto_in.fileno(), False)
    os.set_inheritable(proto_out.fileno(), False)

    line = b""
    while not line.endswith(b"\n"):
        chunk = proto_in.read(1)
        if not chunk:
            return 2
        line += chunk
        if len(line) > 1 << 16:
            return 2
    hello = json.loads(line)
    sys.path[:] = [p for p in sys.path if p] + list(hello["sys_path"])
    output_cap = int(hello.get("output_cap", 65536))

    import random

    import numpy as np

    from course_pkg.checks import learner
    from course_pkg.grading import protocol

    random.seed(hello.get("seed", 0))
    np.random.seed(hello.get("seed", 0))

    namespace = {"__name__": "__main__", "__builtins__": builtins, "display": _display}
    namespace["get_ipython"] = lambda: _Shell(namespace)
    counts = {}

    def read_exact(n):
        data = b""
        while len(data) < n:
            chunk = proto_in.read(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def reply(header, arrays=()):
        try:
            data = protocol.pack(header, arrays)
        except protocol.Unsupported as exc:
            data = protocol.pack({"unsupported": str(exc)})
        proto_out.write(data)

    def on_alarm(signum, frame):
        raise _Timeout()

    signal.signal(signal.SIGALRM, on_alarm)

    def timed(seconds, func):
        signal.setitimer(signal.ITIMER_REAL, max(float(seconds), 0.001))
        try:
            return func()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def install_counters():
        # While a check calls the learner, every top-level function the learner defined is
        # wrapped, so that calls(name) counts the calls its own code makes (backward -> forward).
        installed = []
        for name, value in list(namespace.items()):
            if (isinstance(value, types.FunctionType) and not name.startswith("_")
                    and value.__code__.co_filename.startswith("<cell")):
                installed.append((name, value))
                namespace[name] = _counting(value, name, counts)
        return installed

    def remove_counters(installed):
        for name, value in reversed(installed):
            if getattr(namespace.get(name), "__wrapped__", None) is value:
                namespace[name] = value

    while True:
        try:
            header, arrays = protocol.read_frame(read_exact)
        except EOFError:
            return 0
        op = header.get("op")
        if op == "bye":
            return 0
        if op == "exec":
            reply(_exec_cell(header["source"], header.get("name", "<cell>"), namespace,
                             float(header.get("timeout", 30)), output_cap, timed))
        elif op == "has":
            reply({"value": header["name"] in namespace})
        elif op == "calls":
            reply({"value": int(counts.get(header["name"], 0))})
        elif op == "value":
            name = header["name"]
            if name not in namespace:
                reply({"missing": name})
                continue
            try:
                value, out = protocol.encode(learner.to_plain(namespace[name]))
            except protocol.Unsupported as exc:
                reply({"unsupported": str(exc)})
                continue
            reply({"value": value}, out)
        elif op == "call":
            name = header["name"]
            if name not in namespace:
                reply({"missing": name})
                continue
            args = protocol.decode(header["args"], arrays)
            kwargs = protocol.decode(header["kwargs"], arrays)
            installed = install_counters()
            try:
                reply(*_call(namespace[name], name, args, kwargs, float(header.get("timeout", 10)),
                             output_cap, timed, learner, protocol))
            finally:
                remove_counters(installed)
        else:
            reply({"error": f"unknown op {op!r}"})


def _counting(func, name, counts):
    def counted(*args, **kwargs):
        counts[name] = counts.get(name, 0) + 1
        return func(*args, **kwargs)

    for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
        setattr(counted, attr, getattr(func, attr, None))
    counted.__wrapped__ = func
    counted.__course_counted__ = True
    return counted


def _error_of(exc):
    tb = exc.__traceback__
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<cell"):
        tb = tb.tb_next  # the worker's own frames are not the learner's business
    lines = traceback.format_exception(type(exc), exc, tb)
    return {"ename": type(exc).__name__, "evalue": str(exc)[:2000],
            "traceback": [line[:2000] for line in lines[-20:]]}


def _capture(output_cap):
    out, err = _Capped(output_cap), _Capped(output_cap)
    saved = sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__
    sys.stdout = sys.__stdout__ = out
    sys.stderr = sys.__stderr__ = err
    return out, err, saved


def _restore(saved):
    sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__ = saved


def _exec_cell(source, name, namespace, timeout, output_cap, timed):
    out, err, saved = _capture(output_cap)
    started = time.monotonic()
    error = None
    try:
        code = compile(source, name, "exec")
        timed(timeout, lambda: exec(code, namespace))
    except _Timeout:
        error = {"ename": "CellTimeoutError", "evalue": f"the cell ran for more than {timeout:g} s",
                 "traceback": [f"CellTimeoutError: the cell ran for more than {timeout:g} s and was stopped"]}
    except BaseException as exc:  # SystemExit, KeyboardInterrupt and the learner's own errors
        error = _error_of(exc)
    finally:
        _restore(saved)
    return {"ok": error is None, "stdout": out.text(), "stderr": err.text(), "error": error,
            "seconds": time.monotonic() - started}


def _call(func, name, args, kwargs, timeout, output_cap, timed, learner, protocol):
    # learner.call_plain is the one way every learner is called (the same as in the notebook):
    # arguments resolved (Named -> NAMED) and copied, warnings recorded, modified arguments noted.
    out, err, saved = _capture(output_cap)
    try:
        result, info = timed(timeout, lambda: learner.call_plain(func, args, kwargs, name=name))
    except _Timeout:
        return ({"timeout": True},)
    except learner.LearnerRaised as exc:
        return ({"raised": [exc.exc_type, exc.message[:2000]]},)
    except BaseException as exc:  # SystemExit, KeyboardInterrupt: the learner's code ended the call
        return ({"raised": [type(exc).__name__, str(exc)[:2000]]},)
    finally:
        _restore(saved)
    calls = {"warnings": [list(w) for w in info.warnings[:50]], "mutated": list(info.mutated)}
    try:
        value, arrays = protocol.encode(result)
    except protocol.Unsupported as exc:
        return ({"unsupported": str(exc), "info": calls},)
    return {"value": value, "info": calls}, arrays


if __name__ == "__main__":
    sys.exit(main())
