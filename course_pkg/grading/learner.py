"""The trusted side of the sandbox: a notebook run and the ``Learner`` the engine talks to.

:class:`NotebookRun` executes a notebook's learner cells in a sandboxed worker
(:mod:`course_pkg.grading.sandbox`), one at a time, in order. If the learner's code ends the
process (``os._exit``, a crash, a limit) or hangs past its time, the worker is killed and a new
one replays every cell that had completed, skipping the cell (or the call) that broke it: what
broke scores 0, the rest of the notebook is graded as usual. Restarts and the whole notebook
share one wall-clock budget.

:class:`SandboxLearner` implements :class:`course_pkg.checks.learner.Learner` over a
:class:`NotebookRun`, so :func:`course_pkg.checks.engine.run` grades with its references and
its comparisons in this process, and only plain data crosses.
"""

import dataclasses
import logging
import time

from course_pkg.checks.learner import CallInfo, LearnerMissing, LearnerRaised, LearnerTimeout
from course_pkg.grading import protocol, sandbox

log = logging.getLogger(__name__)

#: How many times a notebook's worker may be replaced after its code broke it.
MAX_RESTARTS = 3
#: Seconds the grader waits beyond the worker's own (soft) timer before killing it.
HARD_MARGIN = 2.0


@dataclasses.dataclass
class CellResult:
    """What one learner cell did: its output (capped) and its error, if any."""

    index: int
    ok: bool
    stdout: str = ""
    stderr: str = ""
    error: dict | None = None


class NotebookRun:
    """A notebook's learner cells, executed in a sandbox on demand.

    Parameters
    ----------
    cells : list of (int, str)
        ``(cell index, plain Python source)`` of every learner cell, in notebook order.
    limits : sandbox.Limits
    seed : int
        Seeds ``random`` and ``numpy.random`` in the worker (re-grading gives the same results).
    course : path, optional
        The ``course_pkg`` directory the worker imports (see :mod:`course_pkg.grading.references`).
    """

    def __init__(self, cells, limits=sandbox.Limits(), seed=0, course=None):
        self.cells = list(cells)
        self.course = course
        self.limits = limits
        self.seed = seed
        self.deadline = time.monotonic() + limits.notebook_seconds
        self.results = {}
        self.position = 0  # cells[:position] have run
        self.broken = set()  # cell indices that killed a worker: never replayed
        self.restarts = 0
        self.mode = sandbox.mode()
        self.events = []  # what went wrong, for the log
        self._worker = None
        self._stopped = None  # the reason no more worker may start

    # -- the worker

    def _remaining(self):
        return self.deadline - time.monotonic()

    def _new_worker(self):
        if self._stopped:
            raise sandbox.WorkerError("stopped", self._stopped)
        if self._remaining() <= 1.0:
            self._stopped = f"the notebook used its {self.limits.notebook_seconds:g} s"
            raise sandbox.WorkerTimeout("notebook_timeout", self._stopped)
        limits = dataclasses.replace(self.limits, notebook_seconds=self._remaining())
        worker = sandbox.Worker(limits, seed=self.seed, course=self.course)
        try:
            for index, source in self.cells[:self.position]:
                if index in self.broken:
                    continue
                worker.request(self._exec_header(index, source), timeout=self._cell_budget())
        except sandbox.WorkerError:
            worker.close()
            raise
        return worker

    def worker(self):
        if self._worker is None or not self._worker.alive():
            if self._worker is not None:
                self._worker.close()
                self._worker = None
                if self.restarts >= MAX_RESTARTS:
                    self._stopped = f"the notebook's process was restarted {MAX_RESTARTS} times"
                    raise sandbox.WorkerError("stopped", self._stopped)
                self.restarts += 1
            self._worker = self._new_worker()
        return self._worker

    def _broke(self, exc):
        self.events.append(str(exc))
        if self._worker is not None:
            self._worker.close()

    def _cell_budget(self):
        return min(self.limits.cell_seconds + HARD_MARGIN, max(self._remaining(), 0.1))

    def _exec_header(self, index, source):
        return {"op": "exec", "source": source, "name": f"<cell {index}>",
                "timeout": min(self.limits.cell_seconds, max(self._remaining() - 0.5, 0.1))}

    def request(self, header, arrays=(), timeout=None):
        """One request to the worker (started or replaced as needed)."""
        worker = self.worker()
        try:
            return worker.request(header, arrays, timeout=timeout)
        except sandbox.WorkerError as exc:
            self._broke(exc)
            raise

    # -- cells

    def run_until(self, stop):
        """Run every learner cell whose index is below ``stop`` that has not run yet."""
        while self.position < len(self.cells) and self.cells[self.position][0] < stop:
            index, source = self.cells[self.position]
            self.results[index] = self._run_cell(index, source)
            self.position += 1

    def run_all(self):
        self.run_until(float("inf"))

    def _run_cell(self, index, source):
        if self._stopped or self._remaining() <= 1.0:
            self._stopped = self._stopped or f"the notebook used its {self.limits.notebook_seconds:g} s"
            return CellResult(index, False, error=_error(
                "CellTimeoutError", f"not run: the notebook used its whole time budget "
                                    f"({self.limits.notebook_seconds:g} s)"))
        try:
            reply, _ = self.request(self._exec_header(index, source), timeout=self._cell_budget())
        except sandbox.WorkerTimeout as exc:
            self.broken.add(index)
            return CellResult(index, False, error=_error("CellTimeoutError", _timeout_text(exc, self.limits)))
        except sandbox.WorkerError as exc:
            self.broken.add(index)
            return CellResult(index, False, error=_error("ProcessEnded", _died_text(exc, "this cell")))
        error = reply.get("error")
        if isinstance(error, dict) and error.get("ename") == "CellTimeoutError":
            self.broken.add(index)  # a replay would only lose the same time again
        if error is not None and not isinstance(error, dict):
            error = _error("ProtocolError", "the worker sent an unreadable error")
        return CellResult(index, bool(reply.get("ok")), _text(reply.get("stdout")), _text(reply.get("stderr")),
                          _clean_error(error) if error else None)

    def close(self):
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _text(value, cap=1 << 20):
    return value[:cap] if isinstance(value, str) else ""


def _error(ename, evalue):
    return {"ename": ename, "evalue": evalue, "traceback": [f"{ename}: {evalue}"]}


def _clean_error(error):
    tb = error.get("traceback")
    return {
        "ename": _text(error.get("ename"), 200) or "Error",
        "evalue": _text(error.get("evalue"), 2000),
        "traceback": [_text(line, 2000) for line in tb[:40]] if isinstance(tb, list) else [],
    }


def _timeout_text(exc, limits):
    if exc.reason == "notebook_timeout":
        return f"the notebook used its whole time budget ({limits.notebook_seconds:g} s) and was stopped"
    return f"the cell ran for more than {limits.cell_seconds:g} s and was stopped"


def _died_text(exc, what):
    return (f"the notebook's process ended while {what} ran ({exc.detail or exc.reason}): os._exit, "
            "a crash, or a CPU, memory or process limit")


class SandboxLearner:
    """The engine's ``Learner``, answered by the sandboxed worker of a :class:`NotebookRun`.

    Every answer is plain data decoded by :mod:`course_pkg.grading.protocol`; a reply that is not
    (or a worker that breaks the protocol) ends the call as an error of the learner's code.
    """

    def __init__(self, run):
        self.run = run
        self._last = CallInfo()

    def _ask(self, header, arrays=(), timeout=None, what="it"):
        try:
            reply, out = self.run.request(header, arrays, timeout=timeout)
        except sandbox.WorkerTimeout:
            raise LearnerTimeout() from None
        except sandbox.WorkerError as exc:
            raise LearnerRaised("ProcessEnded", _died_text(exc, what)) from None
        if not isinstance(reply, dict):
            raise LearnerRaised("ProtocolError", "the notebook's process sent an unreadable reply")
        return reply, out

    def has(self, name):
        reply, _ = self._ask({"op": "has", "name": str(name)}, timeout=10)
        return reply.get("value") is True

    def value(self, name):
        reply, out = self._ask({"op": "value", "name": str(name)}, timeout=10, what=f"`{name}` was read")
        return self._result(reply, out, name)

    def calls(self, name):
        reply, _ = self._ask({"op": "calls", "name": str(name)}, timeout=10)
        value = reply.get("value")
        return value if type(value) is int and value >= 0 else 0

    def last_call(self):
        return self._last

    def call(self, name, *args, **kwargs):
        self._last = CallInfo()
        header_args, arrays = protocol.encode(tuple(args))
        header_kwargs, more = protocol.encode(dict(kwargs))
        # kwargs' arrays follow args' arrays in one frame: renumber them
        header_kwargs = _shift(header_kwargs, len(arrays))
        limits = self.run.limits
        reply, out = self._ask(
            {"op": "call", "name": str(name), "args": header_args, "kwargs": header_kwargs,
             "timeout": limits.call_seconds},
            arrays + more, timeout=limits.call_seconds + HARD_MARGIN, what=f"`{name}` was called")
        info = reply.get("info")
        if isinstance(info, dict):
            warns = tuple((str(c)[:100], str(m)[:200]) for c, m in _pairs(info.get("warnings")))
            mutated = tuple(i for i in info.get("mutated", ()) if type(i) is int and 0 <= i < len(args))
            self._last = CallInfo(warnings=warns, mutated=mutated)
        return self._result(reply, out, name)

    def _result(self, reply, out, name):
        if "missing" in reply:
            raise LearnerMissing(name)
        if reply.get("timeout") is True:
            raise LearnerTimeout()
        if "raised" in reply:
            raised = reply["raised"]
            if not (isinstance(raised, list) and len(raised) == 2):
                raise LearnerRaised("ProtocolError", "the notebook's process sent an unreadable error")
            return_type, message = raised
            raise LearnerRaised(_text(return_type, 100), _text(message, 2000))
        if "unsupported" in reply:
            raise LearnerRaised("TypeError", f"`{name}` gave a value the grader cannot read as plain data "
                                f"(numbers, arrays, strings, lists, dicts): {_text(reply['unsupported'], 200)}")
        if "value" not in reply:
            raise LearnerRaised("ProtocolError", "the notebook's process sent an unreadable reply")
        try:
            return protocol.decode(reply["value"], out)
        except protocol.ProtocolError as exc:
            raise LearnerRaised("ProtocolError", str(exc)) from None


def _pairs(value):
    if not isinstance(value, list):
        return []
    return [tuple(v) for v in value[:50] if isinstance(v, list) and len(v) == 2]


def _shift(header, offset):
    if not offset:
        return header
    if isinstance(header, dict) and len(header) == 1:
        (tag, inner), = header.items()
        if tag == "a":
            return {"a": inner + offset}
        if tag in ("l", "t"):
            return {tag: [_shift(v, offset) for v in inner]}
        if tag == "d":
            return {"d": {k: _shift(v, offset) for k, v in inner.items()}}
    return header
