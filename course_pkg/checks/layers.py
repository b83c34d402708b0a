r"""Specs of notebook 05 (layers, batches and gradient checking), assignment ``05-layers``.

The layer API these exercises fix (notebook 06 builds on it; one example per row everywhere):

=====================================================  ===========================================
learner's function                                     returns
=====================================================  ===========================================
``dense_forward(A_prev, W, b, activation)``            ``(A, cache)``: ``A = g(Z)`` of shape
                                                       ``(m, n)``, ``Z = A_prev @ W.T + b``,
                                                       ``cache = (A_prev, W, Z)``
``dense_backward(dA, cache, activation)``              ``(dA_prev, dW, db)``: with
                                                       ``E = dA * g'(Z)``, ``dW = E.T @ A_prev / m``
                                                       ``(n, n_prev)``, ``db = E.mean(axis=0)``
                                                       ``(n,)``, ``dA_prev = E @ W`` ``(m, n_prev)``
``network_gradients(weights, biases, X, Y, hidden,     ``(cost, dweights, dbiases)`` as
output, loss)``                                        :func:`course_pkg.network.gradients`
``worst_entry(grad_fn, weights, biases, X, Y, hidden,  ``(name, index, error)``: the entry of
output, loss, eps)``                                   ``grad_fn``'s gradient that disagrees most
                                                       with central differences
=====================================================  ===========================================

``dA`` and ``dA_prev`` are per example (:math:`\partial c_x / \partial A`, not divided by m);
only ``dW`` and ``db``, the gradients of the mean cost, carry the :math:`\frac1m`. Activations:
``'relu'``, ``'sigmoid'``, ``'tanh'``, ``'identity'``, with :math:`g'(0) = 0` for ReLU.

Spec kinds defined here, on the engine's parts (:class:`~course_pkg.checks.engine.Case`,
:class:`~course_pkg.checks.engine.Probe`, :class:`~course_pkg.checks.engine.Tolerance`,
:class:`~course_pkg.checks.engine.Outcome`) and the :class:`~course_pkg.checks.learner.Learner`
protocol only (plain data in and out, so the trusted grader runs them on a sandboxed learner):

:class:`Outputs`
    A function returning several arrays (a tuple, possibly nested): each part is checked for its
    type, then its **shape** (with feedback in the course's notation: which parameter's shape it
    must have, and the likely slip), then its values; a wrong result is compared with every
    misconception probe; optional call counts ("one ``dense_backward`` per layer").
:class:`Values`
    A value the learner fills in (the shape table): a dict of tuples, wrong keys named.
:class:`WorstEntry`
    The gradient check: the learner's ``worst_entry`` is called with gradient functions the
    checker plants (``Named`` entries of :mod:`course_pkg.checks.planted`); it must name the
    buggy parameter and one of its worst entries, and report a tiny error for a correct one.

Each kind has ``judge(learner, rng) -> Outcome``, which :func:`course_pkg.checks.engine.run` calls
(the same runner for the notebook's self-checks and the trusted grader).

Examples
--------
>>> from course_pkg.checks.learner import InProcessLearner
>>> def dense_forward(A_prev, W, b, activation):
...     Z = A_prev @ W.T + b
...     return ACTIVATIONS[activation][0](Z), (A_prev, W, Z)
>>> run(SPECS[1], InProcessLearner({"dense_forward": dense_forward}), hidden=False).passed
True
>>> def no_activation(A_prev, W, b, activation):
...     Z = A_prev @ W.T + b
...     return Z, (A_prev, W, Z)
>>> run(SPECS[1], InProcessLearner({"dense_forward": no_activation}), hidden=False).kind
'missing_activation'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from course_pkg import network as _network
from course_pkg.activations import relu as _relu
from course_pkg.activations import relu_prime as _relu_prime
from course_pkg.activations import sigmoid as _sigmoid
from course_pkg.activations import sigmoid_prime as _sigmoid_prime
from course_pkg.activations import tanh as _tanh
from course_pkg.activations import tanh_prime as _tanh_prime
from course_pkg.checks import _core, engine
from course_pkg.checks._core import assert_untampered
from course_pkg.checks.engine import Case, Outcome, Probe, Tolerance
from course_pkg.checks.learner import NAMED, LearnerMissing, LearnerRaised, Named, Opaque, resolve
from course_pkg.checks.planted import PLANTED, PLANTED_TEXT

__all__ = [
    "ASSIGNMENT",
    "SPECS",
    "ACTIVATIONS",
    "SHAPE_KEYS",
    "Outputs",
    "Values",
    "WorstEntry",
    "run",
    "check",
    "assert_untampered",
]

ASSIGNMENT = "05-layers"

# Until the engine's NAMED imports notebook 05's planted gradient functions itself (asked for in
# the notes to the engine's author), make them resolvable in this process.
for _name, _func in PLANTED.items():
    NAMED.setdefault(_name, _func)
try:  # the text a message shows for each (private to learner.py; optional)
    from course_pkg.checks import learner as _learner_module

    for _name, _text in PLANTED_TEXT.items():
        _learner_module._NAMED_TEXT.setdefault(_name, _text)
except AttributeError:  # pragma: no cover - the table moved; the names still resolve
    pass

_asarray = np.asarray
_array = np.array
_abs = np.abs
_all = np.all
_isfinite = np.isfinite
_float64 = np.float64

#: Activation name -> (g, g'), as the notebook's ``ACTIVATIONS``.
ACTIVATIONS = {
    "relu": (_relu, _relu_prime),
    "sigmoid": (_sigmoid, _sigmoid_prime),
    "tanh": (_tanh, _tanh_prime),
    "identity": (lambda z: np.asarray(z, dtype=float), lambda z: np.ones_like(np.asarray(z, dtype=float))),
}
#: Keys of the shape table, in the notebook's order.
SHAPE_KEYS = ("X", "W1", "b2", "Z1", "A2", "E3", "E3 @ W3", "dW3", "db3", "dW1")
#: The network and batch of the shape table: n_0..n_3 and m.
TABLE_SIZES, TABLE_M = (4, 5, 3, 2), 6

#: float64 agreement with the reference (same formulas, other rounding).
VALUES = Tolerance("float64 agreement with the course's reference", rtol=1e-7, atol=1e-10)
#: Weighted inputs of the test layers stay this far from ReLU's kink (except the kink case).
KINK_MARGIN = 0.05
#: A correct gradient function must get a worst relative error below this from worst_entry.
CLEAN = 1e-5
#: worst_entry's index must be an entry whose true error is at least this fraction of the worst.
NEAR_WORST = 0.5
#: The reported error of a named entry must be within this relative distance of the true one.
ERROR_RTOL = 0.1

#: Switched off while the learner's code runs, for every exercise (the sandbox switches off the
#: union of an assignment's forbids for the whole notebook, so one list for all is the honest
#: statement): the learner writes layers, backprop and the gradient check without the course's.
#: The planted gradient functions and the notebook's ``batch_cost`` use neither. This module is
#: listed too, so that its references (``reference`` of every spec, the probes) are stubs there.
FORBID = ("course_pkg.network", "course_pkg.gradcheck", "course_pkg.checks.layers")


# ---------------------------------------------------------------------------------------------
# shared helpers


def _fail(kind, message, case=None):
    return Outcome(False, kind, message, case)


def _shape_text(shape):
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _raised(name, exc, where, case, hint=""):
    if exc.exc_type == "NotImplementedError":
        return _fail("not_written", f"`{name}` is not written yet: replace `raise NotImplementedError()` "
                                    "with your code", case)
    if exc.exc_type == "ReferenceUsed":
        return _fail("reference_used", exc.message, case)
    shapes = ("matmul", "not aligned", "could not be broadcast", "shapes", "dimension")
    extra = f"\n{hint}" if hint and any(s in exc.message for s in shapes) else ""
    kind = "shape" if extra else "error"
    return _fail(kind, f"{where} raised {exc.exc_type}: {exc.message}{extra}", case)


def _to_float_array(value):
    if isinstance(value, (Opaque, str, dict)) or value is None:
        return None
    try:
        arr = _array(value, dtype=_float64)
    except (TypeError, ValueError):
        return None
    return arr


def _nice(x):
    for den in (1, 2, 3, 4):
        num = round(x * den)
        if num != 0 and abs(x * den - num) <= 1e-6 * max(1.0, abs(x * den)):
            return f"{num}" if den == 1 else f"{num}/{den}"
    return f"{x:.3g}"


def _how_wrong(label, got, want, tolerance):
    """A sentence on how one part differs (sign, constant factor, which entries): never its values."""
    nonzero = _abs(want) > tolerance.atol + 1e-300
    if nonzero.any():
        ratios = got[nonzero] / want[nonzero]
        ratio = float(np.median(ratios))
        constant = bool(_all(_abs(ratios - ratio) <= 1e-6 * max(1.0, abs(ratio)))) and bool(
            _all(_abs(got[~nonzero]) <= tolerance.atol + 1e-12))
        if constant and abs(ratio + 1.0) <= 1e-6:
            return "sign", f"{label} has the wrong sign in every entry."
        if constant and abs(ratio) > 1e-12:
            return "constant_factor", f"{label} is off by a constant factor: {_nice(ratio)} times the right value."
    bad = ~(_abs(got - want) <= tolerance.atol + tolerance.rtol * _abs(want))
    if got.ndim == 0:
        return "wrong", f"{label} is not right."
    first = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), bad.shape))
    return "wrong", f"{label}: {int(bad.sum())} of {bad.size} entries are wrong, the first at index {first}."


# ---------------------------------------------------------------------------------------------
# spec kinds


@dataclass(frozen=True)
class Outputs:
    """A learner's function returning several arrays: each part checked for shape, then value.

    Attributes
    ----------
    id, name : str
        The grade id and the learner's function.
    cases : callable
        ``cases(rng) -> list of Case``; every case's ``kwargs`` may hold plain data only.
    reference : callable
        The right result, from the resolved arguments (same structure as the learner's).
    unpack : callable
        ``unpack(result, case) -> list of (label, value)`` or a str (what is wrong with the
        structure, for the message).
    shape_hint : callable
        ``shape_hint(label, got, want, case) -> str``: the sentence after "label has shape got".
    tolerance : Tolerance
    probes : tuple of Probe
        ``wrong`` has the learner's signature and returns a result of the same structure.
    per_layer : tuple of str
        Learner functions that must be called exactly once per layer (``case.kwargs`` gives the
        number of layers through ``len(args[0])``).
    raise_hint : str
        Added when the learner's code fails on a shape mismatch inside it.
    forbid : tuple of str
        Modules whose functions are switched off while the learner's code runs.
    """

    id: str
    name: str
    cases: Callable
    reference: Callable
    unpack: Callable
    shape_hint: Callable
    tolerance: Tolerance = VALUES
    probes: tuple = ()
    per_layer: tuple = ()
    raise_hint: str = ""
    forbid: tuple = ()
    title: str = ""

    @property
    def names(self):
        return (self.name,)

    def judge(self, learner, rng):
        if not learner.has(self.name):
            raise LearnerMissing(self.name)
        cases = list(self.cases(rng))
        records, first_wrong = [], None  # records: (case, [(label, got, want)]) of every readable result
        over_budget = None  # the first case whose call counts are off: reported if the values are right
        for case in cases:
            read = self._read(learner, case)
            if isinstance(read, Outcome):
                if first_wrong is None:
                    return read
                break  # a wrong value came first: it is the one to explain
            read, budget = read
            over_budget = over_budget or budget
            records.append((case, read))
            if first_wrong is None and any(not self.tolerance.close(a, w) for _, a, w in read):
                first_wrong = len(records) - 1
        if first_wrong is None and over_budget is not None:
            return over_budget
        if first_wrong is None:
            classes = list(dict.fromkeys(c.cls for c in cases))
            return Outcome(True, "ok", f"{self.title or self.name}: right on {len(cases)} cases "
                           f"({'; '.join(classes)}).")
        case, parts = records[first_wrong]
        where = case.where or self.name
        probe = self._matching_probe(records, first_wrong)
        if probe is not None:
            return _fail(probe.kind, f"{where} is not right ({case.cls}).\n{probe.message}", case.cls)
        bad = [i for i, (_, a, w) in enumerate(parts) if not self.tolerance.close(a, w)]
        label, arr, want = parts[bad[0]]
        kind, why = _how_wrong(label, arr, want, self.tolerance)
        right = [parts[i][0] for i in range(len(parts)) if i not in bad]
        tail = f" Right: {', '.join(right)}." if right else ""
        wrong_labels = ", ".join(parts[i][0] for i in bad)
        return _fail(kind, f"{where} is not right ({case.cls}).\nWrong: {wrong_labels}.{tail}\n{why}", case.cls)

    def _matching_probe(self, records, wrong_at):
        """The first probe equal to the learner's result on every case, and wrong where it failed."""
        for probe in self.probes:
            try:
                values = []
                for case, _ in records:
                    parts = self.unpack(probe.wrong(*resolve(case.args), **resolve(case.kwargs)), case)
                    values.append([_asarray(v, dtype=_float64) for _, v in parts])
            except Exception:  # noqa: BLE001 - a probe that does not apply to these cases
                continue
            same = all(
                len(v) == len(parts) and all(x.shape == a.shape and self.tolerance.close(a, x)
                                             for x, (_, a, _) in zip(v, parts))
                for v, (_, parts) in zip(values, records))
            wrong_there = any(not self.tolerance.close(x, w) for x, (_, _, w) in zip(values[wrong_at], records[wrong_at][1]))
            if same and wrong_there:
                return probe
        return None

    def _shape_probe(self, case, position, arr):
        """The probe whose part ``position`` has the learner's wrong shape and values, if any."""
        for probe in self.probes:
            try:
                parts = self.unpack(probe.wrong(*resolve(case.args), **resolve(case.kwargs)), case)
                value = _asarray(parts[position][1], dtype=_float64)
            except Exception:  # noqa: BLE001 - a probe that does not apply to this case
                continue
            if value.shape == arr.shape and self.tolerance.close(arr, value):
                return probe
        return None

    def _read(self, learner, case):
        """``([(label, array, expected array)], budget Outcome or None)`` for ``case``, or a failing Outcome."""
        where = case.where or self.name
        args, kwargs = resolve(case.args), resolve(case.kwargs)
        want_parts = self.unpack(self.reference(*args, **kwargs), case)
        before = {n: learner.calls(n) for n in self.per_layer}
        try:
            got = learner.call(self.name, *case.args, **case.kwargs)
        except LearnerRaised as exc:
            return _raised(self.name, exc, where, case.cls, self.raise_hint)
        if learner.last_call().mutated:
            return _fail("mutated", f"{where} modified an input array; compute new arrays instead of "
                         "writing into the ones passed in.", case.cls)
        budget = None
        if self.per_layer:
            n_layers = len(case.args[0])
            for n in self.per_layer:
                used = learner.calls(n) - before[n]
                if used != n_layers and budget is None:
                    budget = _fail("budget", f"{where} called {n} {used} time{'s' if used != 1 else ''} for a "
                                   f"network of {n_layers} layer{'s' if n_layers != 1 else ''}: build it from your "
                                   f"layers, one {n} per layer.", case.cls)
        parts = self.unpack(got, case)
        if isinstance(parts, str):
            return _fail("type", f"{where}: {parts}", case.cls)
        read = []
        for (label, value), (_, want) in zip(parts, want_parts):
            arr = _to_float_array(value)
            if arr is None:
                return _fail("type", f"{where}: {label} should be a number or an array of numbers; it is "
                             f"{_type_name(value)}.", case.cls)
            want = _asarray(want, dtype=_float64)
            if arr.shape != want.shape:
                message = (f"{where} ({case.cls}): {label} has shape {_shape_text(arr.shape)}, "
                           + self.shape_hint(label, arr.shape, want.shape, case))
                probe = self._shape_probe(case, len(read), arr)
                if probe is not None:
                    return _fail(probe.kind, f"{message}\n{probe.message}", case.cls)
                return _fail("shape", message, case.cls)
            if not bool(_all(_isfinite(arr))):
                return _fail("not_finite", f"{where} ({case.cls}): {label} contains NaN or infinity.", case.cls)
            read.append((label, arr, want))
        return read, budget


def _type_name(value):
    if isinstance(value, Opaque):
        return f"a {value.type_name}"
    return "None" if value is None else f"a {type(value).__name__}"


@dataclass(frozen=True)
class Values:
    """A value the learner fills in: a dict whose entries are tuples of ints (a shape table)."""

    id: str
    name: str
    reference: Callable  # () -> {key: tuple}, the right table
    explain: Callable  # key -> a sentence on how to find that shape (never the shape)
    title: str = ""
    forbid: tuple = ()

    @property
    def names(self):
        return (self.name,)

    def judge(self, learner, rng):
        if not learner.has(self.name):
            raise LearnerMissing(self.name)
        got = learner.value(self.name)
        expected = self.reference()
        if got is None or (isinstance(got, Opaque) and got.type_name == "ellipsis"):
            return _fail("not_written", f"`{self.name}` is not written yet: replace `raise NotImplementedError()` "
                         "with your table, one shape (a tuple of ints) per row.")
        if not isinstance(got, dict):
            return _fail("type", f"`{self.name}` should be a dict from names to shapes; it is "
                         f"{type(got).__name__ if not isinstance(got, Opaque) else got.type_name}.")
        missing = [k for k in expected if k not in got]
        if missing:
            return _fail("type", f"`{self.name}` has no entr{'y' if len(missing) == 1 else 'ies'} "
                         f"{', '.join(map(repr, missing))}; fill in every row of the table.")
        wrong, malformed = [], []
        for key, want in expected.items():
            value = got[key]
            if isinstance(value, list):
                value = tuple(value)
            if not (isinstance(value, tuple) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
                malformed.append(key)
            elif value != want:
                wrong.append(key)
        if malformed:
            return _fail("type", f"`{self.name}[{malformed[0]!r}]` should be a shape: a tuple of ints such "
                         "as (6, 4), or (5,) for a vector.")
        if wrong:
            hints = "\n".join(f"  {k}: {self.explain(k)}" for k in wrong)
            return _fail("wrong", f"{len(wrong)} of {len(expected)} shapes are not right: "
                         f"{', '.join(wrong)}.\n{hints}")
        return Outcome(True, "ok", f"{self.title or self.name}: all {len(expected)} shapes right.")


@dataclass(frozen=True)
class WorstEntry:
    """The gradient check: named buggy gradient functions in, the buggy parameter's worst entry out.

    ``reference(named, n_layers, sizes)`` names the parameter a planted function gets wrong.
    """

    id: str
    name: str
    cases: Callable
    reference: Callable
    probes: tuple = ()
    forbid: tuple = ()
    title: str = ""

    @property
    def names(self):
        return (self.name,)

    def judge(self, learner, rng):
        if not learner.has(self.name):
            raise LearnerMissing(self.name)
        cases = list(self.cases(rng))
        for case in cases:
            outcome = self._one(learner, case)
            if outcome is not None:
                return outcome
        classes = list(dict.fromkeys(c.cls for c in cases))
        return Outcome(True, "ok", f"{self.title or self.name}: right on {len(cases)} cases "
                       f"({'; '.join(classes)}).")

    def _one(self, learner, case):
        where = case.where or self.name
        try:
            got = learner.call(self.name, *case.args, **case.kwargs)
        except LearnerRaised as exc:
            return _raised(self.name, exc, where, case.cls)
        failure = self._judge_answer(got, case, where)
        if failure is None:
            return None
        for probe in self.probes:  # a slip the probes know: name it (what the learner returned is theirs)
            try:
                wrong = to_plain_result(probe.wrong(*resolve(case.args), **resolve(case.kwargs)))
            except Exception:  # noqa: BLE001 - a probe that does not apply to this case
                continue
            if _same_answer(got, wrong):
                return _fail(probe.kind, f"{failure.message}\n{probe.message}", case.cls)
        return failure

    def _judge_answer(self, got, case, where):
        named, weights, biases, X, Y = case.args
        errors = _true_errors(named.name, weights, biases, X, Y, **case.kwargs)
        read = _read_worst(got, errors)
        if isinstance(read, str):
            return _fail("type", f"{where}: {read}", case.cls)
        name, index, error = read
        sizes = [np.shape(weights[0])[1]] + [np.shape(W)[0] for W in weights]
        buggy = self.reference(named.name, len(weights), sizes)
        if buggy is None:
            if error <= CLEAN:
                return None
            return _fail("wrong", f"{where} ({case.cls}): the gradient function is correct, but your check "
                         f"reports a relative error of {error:.2g} at {name}{list(index)}. Central differences "
                         "with a step of about 1e-5 agree with a correct gradient to about 1e-7 or better: is "
                         "your difference quotient (C(θ + h) − C(θ − h)) / 2h, nudging only that one entry, "
                         "of a copy, and put back before the next?", case.cls)
        true = errors[name][index]
        worst_here = float(np.nanmax(errors[buggy]))
        if name != buggy:
            both = (" Did you compare the biases too?" if buggy.startswith("biases") and name.startswith("weights")
                    else "")
            return _fail("wrong", f"{where} ({case.cls}): your check named {name}{list(index)}, whose relative "
                         f"error is {true:.2g}, but another entry's is much larger. Compare every entry of every "
                         f"weights[l] and biases[l] and keep the largest.{both}", case.cls)
        if not _acceptable(name, index, buggy, errors, worst_here):
            return _fail("wrong", f"{where} ({case.cls}): {name} is the right parameter, but the entry "
                         f"{list(index)} is not among its worst; keep the entry with the largest relative "
                         "error.", case.cls)
        if not abs(error - true) <= ERROR_RTOL * true:
            return _fail("wrong", f"{where} ({case.cls}): the entry is right, but the relative error you report "
                         f"({error:.3g}) is not |analytic − numeric| / max(|analytic|, |numeric|, floor) for it.",
                         case.cls)
        return None


def _same_answer(got, wrong):
    """Whether two (name, index, error) answers agree: the same entry and error, or both all-clear."""
    try:
        (n1, i1, e1), (n2, i2, e2) = got, wrong
        i1 = tuple(int(v) for v in (i1 if isinstance(i1, (tuple, list, np.ndarray)) else (i1,)))
        i2 = tuple(int(v) for v in (i2 if isinstance(i2, (tuple, list, np.ndarray)) else (i2,)))
        e1, e2 = float(e1), float(e2)
    except (TypeError, ValueError):
        return False
    if n1 != n2:
        return False
    return (e1 <= CLEAN and e2 <= CLEAN) or (i1 == i2 and abs(e1 - e2) <= 1e-3 * max(abs(e1), abs(e2)))


def to_plain_result(value):
    from course_pkg.checks.learner import to_plain

    return to_plain(value)


def _acceptable(name, index, buggy, errors, worst_here):
    return name == buggy and errors[name][index] >= NEAR_WORST * worst_here


def _read_worst(got, errors):
    """``(name, index, error)`` from the learner's result, or a sentence on what is wrong with it."""
    if got is None:
        return "it returned None: did the function forget to `return` the worst entry?"
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return ("it should return a tuple (name, index, error) such as (\"weights[1]\", (2, 0), 0.5); "
                f"it returned {type(got).__name__ if not isinstance(got, Opaque) else got.type_name}"
                + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else "") + ".")
    name, index, error = got
    if not isinstance(name, str) or name not in errors:
        return (f"the name {name!r} is not a parameter of this network; names are the code's, "
                f"{', '.join(repr(n) for n in list(errors)[:2])}, …, with the layer index counted from 0 "
                "(W^[1] is weights[0]).")
    if isinstance(index, np.ndarray):
        index = tuple(index.tolist())
    if isinstance(index, int) and not isinstance(index, bool):
        index = (index,)
    if not isinstance(index, (tuple, list)) or not all(isinstance(i, int) and not isinstance(i, bool) for i in index):
        return f"the index should be a tuple of ints such as (2, 0); it is {index!r}."
    index = tuple(index)
    shape = errors[name].shape
    if len(index) != len(shape) or not all(0 <= i < s for i, s in zip(index, shape)):
        return (f"the index {index} is not an entry of {name}, whose shape is {_shape_text(shape)} (names "
                "count the layer index from 0: W^[1] is weights[0]).")
    if isinstance(error, bool) or not isinstance(error, (int, float)) or not np.isfinite(error):
        return f"the error should be a finite float; it is {error!r}."
    return name, index, float(error)


def _true_errors(named, weights, biases, X, Y, hidden="relu", output="sigmoid", loss="half_squared_error"):
    """Every entry's relative error of the planted function, five-point differences (no kink crossed)."""
    from course_pkg.gradcheck import check_gradients

    report = check_gradients(PLANTED[named], weights, biases, X, Y, hidden=hidden, output=output, loss=loss)
    assert not report.skipped, f"a test network crosses a ReLU kink: {report.skipped[:3]}"
    return report.errors


def buggy_parameter(name, n_layers, sizes):
    """The parameter a planted gradient function gets wrong, as a code name (None if it is right).

    Trusted side only: it is the "reference" of the gradient-check exercise, so the sandbox
    has it switched off.

    Parameters
    ----------
    name : str
        A key of :data:`course_pkg.checks.planted.PLANTED`.
    n_layers : int
        L, the number of weight matrices.
    sizes : sequence of int
        The layer sizes ``[n_0, ..., n_L]`` (the transposed one is the first square matrix).

    Examples
    --------
    >>> buggy_parameter("layers.grad_s", 3, [2, 3, 3, 1])
    'weights[2]'
    >>> buggy_parameter("layers.grad_r", 3, [2, 3, 3, 1])
    'weights[1]'
    """
    if name == "layers.grad_p":
        return None
    if name == "layers.grad_q":
        return "biases[0]"
    if name == "layers.grad_s":
        return f"weights[{n_layers - 1}]"
    if name == "layers.grad_t":
        return "weights[0]"
    if name == "layers.grad_r":
        square = [l for l in range(n_layers) if sizes[l] == sizes[l + 1]]
        return f"weights[{square[0]}]" if square else None
    raise ValueError(f"name must be one of {', '.join(map(repr, PLANTED))}; got {name!r}")


# ---------------------------------------------------------------------------------------------
# the run


#: The engine's runner runs these kinds too (it calls their ``judge``); the alias is for the examples.
run = engine.run


# ---------------------------------------------------------------------------------------------
# cases


def _layer(rng, m, n_prev, n, activation, *, mixed=False, kink=False, square=False):
    """A layer's input, weights and bias with every weighted input away from 0 (ReLU's kink).

    ``mixed``: every neuron is on for some examples and off for others (on and off for one
    example when m = 1). ``kink``: some entries of Z are exactly 0 (the convention g'(0) = 0).
    """
    if square:
        n = n_prev
    for _ in range(1000):
        A_prev = rng.normal(0.0, 1.0, (m, n_prev))
        W = rng.normal(0.0, 0.8, (n, n_prev))
        b = rng.normal(0.0, 0.3, n)
        Z = A_prev @ W.T + b
        if np.min(np.abs(Z)) < KINK_MARGIN:
            continue
        if mixed:
            on = Z > 0
            if m == 1 and not (on.any() and (~on).any()):
                continue
            if m > 1 and not (on.any(axis=0).all() and (~on).any(axis=0).all()):
                continue
        break
    else:  # pragma: no cover - the draws above succeed in a few tries
        raise RuntimeError("could not draw a test layer")
    return A_prev, W, b


def _forward_cases(rng):
    cases = []
    for activation, m, mixed in (("relu", 1, True), ("relu", 5, True), ("sigmoid", 1, False),
                                 ("sigmoid", 4, False), ("tanh", 3, False), ("identity", 2, False)):
        n_prev, n = int(rng.integers(2, 5)), int(rng.integers(2, 5))
        while n == n_prev or n == m or n_prev == m:  # sizes differ, so a transpose shows as a shape
            n_prev, n = int(rng.integers(2, 6)), int(rng.integers(2, 6))
        A_prev, W, b = _layer(rng, m, n_prev, n, activation, mixed=mixed)
        on = "some units on, some off" if mixed else ""
        cls = f"{activation}, batch of {m}" + (f" ({on})" if on else "")
        cases.append(Case(cls, (A_prev, W, b, activation),
                          where=f"dense_forward(A_prev, W, b, {activation!r}) with A_prev {_shape_text(A_prev.shape)}, "
                                f"W {_shape_text(W.shape)}"))
    return cases


def _backward_cases(rng):
    cases = []
    table = (("relu", 1, "mixed"), ("relu", 5, "mixed"), ("relu", 4, "kink"), ("sigmoid", 1, ""),
             ("sigmoid", 4, ""), ("tanh", 3, ""), ("identity", 2, ""), ("relu", 3, "square"))
    for activation, m, kind in table:
        n_prev, n = int(rng.integers(2, 5)), int(rng.integers(2, 5))
        while n == n_prev or n == m or n_prev == m:
            n_prev, n = int(rng.integers(2, 6)), int(rng.integers(2, 6))
        if kind == "square":
            n = n_prev
        A_prev, W, b = _layer(rng, m, n_prev, n, activation, mixed=kind in ("mixed", "kink"))
        Z = A_prev @ W.T + b
        if kind == "kink":
            Z[0, 0] = 0.0  # exactly at the kink: the course's g'(0) = 0
            Z[m - 1, n - 1] = 0.0
        dA = rng.normal(0.0, 1.0, (m, n))
        label = {"mixed": " (some units on, some off)", "kink": " (some Z exactly 0: g′(0) = 0)",
                 "square": " (square W)", "": ""}[kind]
        cases.append(Case(f"{activation}, batch of {m}{label}", (dA, (A_prev, W, Z), activation),
                          where=f"dense_backward(dA, cache, {activation!r}) with m = {m}, n_prev = {n_prev}, n = {n}"))
    return cases


def _network_problem(rng, sizes, m, hidden, output, loss, mixed):
    for _ in range(1000):
        weights, _ = _network.init_network(list(sizes), seed=int(rng.integers(2**31)), hidden=hidden)
        biases = [rng.normal(0.0, 0.3, W.shape[0]) for W in weights]
        X = rng.normal(0.0, 1.0, (m, sizes[0]))
        Y = rng.uniform(0.0, 1.0, (m, sizes[-1]))
        cache = _network.forward(weights, biases, X, hidden, output)
        hidden_Z = cache.Zs[:-1]
        if any(np.min(np.abs(Z)) < KINK_MARGIN for Z in hidden_Z):
            continue
        if mixed and hidden == "relu":
            ok = True
            for Z in hidden_Z:
                on = Z > 0
                if m == 1:
                    ok &= bool(on.any() and (~on).any())
                else:
                    ok &= bool(on.any(axis=0).all() and (~on).any(axis=0).all())
            if not ok:
                continue
        return weights, biases, X, Y
    raise RuntimeError("could not draw a test network")  # pragma: no cover


_NETWORK_TABLE = (
    # sizes, m, hidden, output, loss
    ((3, 2), 1, "relu", "sigmoid", "half_squared_error"),
    ((3, 4, 2), 5, "relu", "sigmoid", "squared_error"),
    ((2, 4, 3, 1), 4, "sigmoid", "sigmoid", "half_squared_error"),
    ((3, 5, 2), 1, "relu", "identity", "squared_error"),
    ((2, 3, 4, 2), 6, "relu", "identity", "half_squared_error"),
    ((4, 3, 2), 3, "sigmoid", "sigmoid", "squared_error"),
)


def _network_cases(rng):
    cases = []
    for sizes, m, hidden, output, loss in _NETWORK_TABLE:
        weights, biases, X, Y = _network_problem(rng, sizes, m, hidden, output, loss, mixed=True)
        L = len(sizes) - 1
        units = ", every hidden unit on for some examples and off for others" if hidden == "relu" and L > 1 else ""
        cls = (f"{L} layer{'s' if L > 1 else ''}, {hidden} hidden, {output} output, {loss}, batch of {m}{units}"
               if L > 1 else f"1 layer, {output} output, {loss}, batch of {m}")
        kwargs = {"hidden": hidden, "output": output, "loss": loss}
        cases.append(Case(cls, (weights, biases, X, Y), kwargs,
                          where=f"network_gradients(weights, biases, X, Y, hidden={hidden!r}, output={output!r}, "
                                f"loss={loss!r}) for sizes {list(sizes)}, m = {m}"))
    return cases


_WORST_TABLE = (
    # named, sizes, m, hidden
    ("layers.grad_p", (3, 4, 4, 2), 4, "sigmoid"),
    ("layers.grad_p", (2, 3, 1), 3, "relu"),
    ("layers.grad_q", (3, 4, 4, 2), 5, "relu"),
    ("layers.grad_r", (2, 3, 3, 1), 4, "sigmoid"),
    ("layers.grad_s", (3, 4, 2), 3, "relu"),
    ("layers.grad_t", (3, 4, 4, 2), 4, "sigmoid"),
)


def _worst_cases(rng):
    """One case per row of the table, in an order drawn from ``rng`` (so no answer follows from it)."""
    cases = []
    for named, sizes, m, hidden in _WORST_TABLE:
        weights, biases, X, Y = _network_problem(rng, sizes, m, hidden, "sigmoid", "half_squared_error", mixed=False)
        what = "a correct gradient function" if named == "layers.grad_p" else "a planted bug"
        cases.append(Case(f"{what}, {hidden} hidden", (Named(named), weights, biases, X, Y), {"hidden": hidden},
                          where=f"worst_entry(<a gradient function>, weights, biases, X, Y, hidden={hidden!r}) "
                                f"for sizes {list(sizes)}, m = {m}"))
    return [cases[i] for i in rng.permutation(len(cases))]


# ---------------------------------------------------------------------------------------------
# references and wrong variants


def _ref_forward(A_prev, W, b, activation):
    Z = A_prev @ W.T + b
    return ACTIVATIONS[activation][0](Z), (A_prev, W, Z)


def _ref_backward(dA, cache, activation, *, mean=True, g_prime=True, axis=0, transposed=False,
                  dA_prev_mean=False, kink_one=False, use_g=False):
    A_prev, W, Z = cache
    m = A_prev.shape[0]
    if use_g:
        E = dA * ACTIVATIONS[activation][0](Z)
    elif not g_prime:
        E = dA
    elif kink_one and activation == "relu":
        E = dA * (Z >= 0)
    else:
        E = dA * ACTIVATIONS[activation][1](Z)
    scale = 1.0 / m if mean else 1.0
    dW = (A_prev.T @ E if transposed else E.T @ A_prev) * scale
    db = E.sum(axis=axis) * scale if axis == 0 else E.mean(axis=axis)
    dA_prev = E @ W / (m if dA_prev_mean else 1)
    return dA_prev, dW, db


def _unpack_forward(result, case):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return "it should return a pair (A, cache); " + _what(result)
    A, cache = result
    if not isinstance(cache, (tuple, list)) or len(cache) != 3:
        return "the cache should be the tuple (A_prev, W, Z), three arrays; " + _what(cache, "it is")
    return [("A", A), ("cache[0] (A_prev)", cache[0]), ("cache[1] (W)", cache[1]), ("cache[2] (Z)", cache[2])]


def _what(value, verb="it returned"):
    if isinstance(value, (tuple, list)):
        return f"{verb} a {type(value).__name__} of length {len(value)}."
    if isinstance(value, Opaque):
        return f"{verb} a {value.type_name}."
    return f"{verb} {'None' if value is None else 'a ' + type(value).__name__}."


def _forward_shape_hint(label, got, want, case):
    A_prev, W = case.args[0], case.args[1]
    m, n_prev, n = A_prev.shape[0], A_prev.shape[1], W.shape[0]
    if label in ("A", "cache[2] (Z)"):
        text = f"but it must be (m, n) = {_shape_text(want)}: one row per example, one column per neuron."
        if got == want[::-1]:
            text += " It is transposed: did you compute W A_prevᵀ instead of A_prev Wᵀ?"
        elif got == (m, n_prev):
            text += " That is the input's shape: did you return A_prev?"
        return text
    return f"but it must be {_shape_text(want)}, the array passed in as {label.split('(')[1].rstrip(')')}."


def _unpack_backward(result, case):
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        return "it should return a tuple (dA_prev, dW, db); " + _what(result)
    return [("dA_prev", result[0]), ("dW", result[1]), ("db", result[2])]


def _backward_shape_hint(label, got, want, case):
    A_prev, W, _ = case.args[1]
    m, n_prev, n = A_prev.shape[0], A_prev.shape[1], W.shape[0]
    return _gradient_shape_hint(label, got, want, m, n_prev, n, "W", "b", "(n, n_prev)", "(n,)", "A_prev")


def _gradient_shape_hint(label, got, want, m, n_prev, n, W_name, b_name, W_sizes, b_sizes, A_prev_name):
    if label.startswith("dW") or label.startswith("dweights"):
        text = (f"but {W_name} is {_shape_text(want)} = {W_sizes} and dW has W's shape")
        if got == want[::-1]:
            return text + ": did you compute A_prevᵀ E instead of Eᵀ A_prev?"
        if got == (n, n):
            return text + ": did you multiply by the layer's output instead of its input A_prev?"
        if m in got:
            return text + ": the product must sum over the m examples, Eᵀ (n, m) times A_prev (m, n_prev)."
        return text + "."
    if label.startswith("db") or label.startswith("dbiases"):
        text = f"but {b_name} is {_shape_text(want)} = {b_sizes} and db has b's shape"
        if got == (m,):
            return text + ": did you average over axis=1 (the neurons) instead of axis=0 (the examples)?"
        if got == ():
            return text + ": did you average over both axes? Average over the examples only (axis=0)."
        if got == (1, n):
            return text + ": a vector, not a (1, n) row (drop keepdims=True)."
        return text + "."
    if label == "dA_prev":
        text = f"but A_prev is {_shape_text(want)} = (m, n_prev) and dA_prev has its shape"
        if got == (m, n):
            return text + ": dA_prev = E W, (m, n) times (n, n_prev); did you return E, or multiply by Wᵀ?"
        if got == want[::-1]:
            return text + ": it is transposed; dA_prev = E W keeps one row per example."
        return text + "."
    if label == "cost":
        return "but the cost is one number (a float): the mean over the batch of the per-example loss."
    return f"but {_shape_text(want)} was expected."


def _ref_network(weights, biases, X, Y, hidden="relu", output="sigmoid", loss="half_squared_error"):
    return _network.gradients(weights, biases, X, Y, hidden=hidden, output=output, loss=loss)


def _variant_network(weights, biases, X, Y, hidden="relu", output="sigmoid", loss="half_squared_error", *,
                     mean=True, loss_swap=False, sign=False, output_as_hidden=False, dA_prev_mean=False,
                     no_hidden_g=False, cost_sum=False, output_in_cache=False):
    """The network's backward with one classic slip, built from the reference layers."""
    L = len(weights)
    A, caches = _asarray(X, dtype=float), []
    acts = [hidden] * (L - 1) + [hidden if output_as_hidden else output]
    for l in range(L):
        A, cache = _ref_forward(A, _asarray(weights[l], dtype=float), _asarray(biases[l], dtype=float), acts[l])
        caches.append((A, cache[1], cache[2]) if output_in_cache else cache)
    Y = _asarray(Y, dtype=float)
    per = (A - Y) ** 2 if loss == "squared_error" else 0.5 * (Y - A) ** 2
    cost = float(np.sum(per) if cost_sum else np.mean(np.sum(per, axis=1)))
    used = ("half_squared_error" if loss == "squared_error" else "squared_error") if loss_swap else loss
    dA = 2 * (A - Y) if used == "squared_error" else A - Y
    if sign:
        dA = -dA
    dW, db = [None] * L, [None] * L
    for l in reversed(range(L)):
        act = "identity" if (no_hidden_g and l < L - 1) else acts[l]
        dA, dW[l], db[l] = _ref_backward(dA, caches[l], act, mean=mean, dA_prev_mean=dA_prev_mean)
    return cost, dW, db


def _unpack_network(result, case):
    L = len(case.args[0])
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        return "it should return a tuple (cost, dweights, dbiases), like network.gradients; " + _what(result)
    cost, dW, db = result
    for label, grads in (("dweights", dW), ("dbiases", db)):
        if not isinstance(grads, (list, tuple)) or len(grads) != L:
            return (f"{label} should be a list of {L} arrays, one per layer; "
                    + _what(grads, "it is"))
    return ([("cost", cost)] + [(f"dweights[{l}] (dW^[{l + 1}])", dW[l]) for l in range(L)]
            + [(f"dbiases[{l}] (db^[{l + 1}])", db[l]) for l in range(L)])


def _network_shape_hint(label, got, want, case):
    weights, _, X, _ = case.args
    m = X.shape[0]
    if label == "cost":
        return _gradient_shape_hint(label, got, want, m, 0, 0, "", "", "", "", "")
    l = int(label.split("[")[1].split("]")[0])
    n, n_prev = weights[l].shape
    layer = l + 1
    return _gradient_shape_hint(
        label, got, want, m, n_prev, n, f"W^[{layer}]", f"b^[{layer}]", f"(n_{layer}, n_{layer - 1})",
        f"(n_{layer},)", f"A^[{layer - 1}]")


def _batch_cost(weights, biases, X, Y, hidden="relu", output="sigmoid", loss="half_squared_error"):
    """The notebook's batch_cost (the same arithmetic, so a probe meets a learner's rounding)."""
    A = np.asarray(X, dtype=float)
    for l, (W, b) in enumerate(zip(weights, biases)):
        A = ACTIVATIONS[output if l == len(weights) - 1 else hidden][0](A @ np.asarray(W).T + b)
    per_example = (A - Y) ** 2 if loss == "squared_error" else 0.5 * (Y - A) ** 2
    return float(np.mean(np.sum(per_example, axis=1)))


def _worst_variant(grad_fn, weights, biases, X, Y, hidden="relu", output="sigmoid", loss="half_squared_error",
                   eps=1e-5, *, biases_too=True, absolute=False, one_based=False):
    """worst_entry with one classic slip (weights only; absolute error; layers counted from 1)."""
    _, dW, db = grad_fn(weights, biases, X, Y, hidden=hidden, output=output, loss=loss)
    groups = [("weights", weights, dW)] + ([("biases", biases, db)] if biases_too else [])
    worst = None
    for kind, params, grads in groups:
        for l in range(len(params)):
            for index in np.ndindex(np.shape(params[l])):
                values = []
                for step in (eps, -eps):
                    nudged = [np.array(p, dtype=float) for p in params]
                    nudged[l][index] += step
                    args = (nudged, biases) if kind == "weights" else (weights, nudged)
                    values.append(_batch_cost(*args, X, Y, hidden, output, loss))
                numeric = (values[0] - values[1]) / (2 * eps)
                a = float(np.asarray(grads[l])[index])
                diff = abs(a - numeric)
                error = diff if absolute else (diff / max(abs(a), abs(numeric), 1e-4) if diff else 0.0)
                if worst is None or error > worst[2]:
                    worst = (f"{kind}[{l + 1 if one_based else l}]", tuple(int(i) for i in index), float(error))
    return worst


# ---------------------------------------------------------------------------------------------
# the specs


def _table():
    n0, n1, n2, n3 = TABLE_SIZES
    m = TABLE_M
    shapes = ((m, n0), (n1, n0), (n2,), (m, n1), (m, n2), (m, n3), (m, n2), (n3, n2), (n3,), (n1, n0))
    return dict(zip(SHAPE_KEYS, shapes))  # the right table, from the sizes (never stored as data)


_EXPLAIN = {
    "X": "one example per row, one column per input.",
    "W1": "W^[l] is (n_l, n_{l-1}): a row per neuron of layer l, a column per neuron of layer l-1.",
    "b2": "one bias per neuron of the layer, a vector.",
    "Z1": "every Z^[l] and A^[l] is (m, n_l): a row per example, a column per neuron.",
    "A2": "every Z^[l] and A^[l] is (m, n_l): a row per example, a column per neuron.",
    "E3": "the error has the shape of what it is the derivative with respect to: Z^[3].",
    "E3 @ W3": "(m, n_3) times (n_3, n_2): the product joins the shared axis.",
    "dW3": "a gradient has the shape of its parameter.",
    "db3": "a gradient has the shape of its parameter.",
    "dW1": "a gradient has the shape of its parameter.",
}

def _kind(wanted, fallback):
    """``wanted`` if the shared vocabulary has it (asked of the engine), else ``fallback``."""
    return wanted if wanted in engine.KINDS else fallback


_FORWARD_PROBES = (
    Probe("missing_activation", wrong=lambda A_prev, W, b, activation: (A_prev @ W.T + b, (A_prev, W, A_prev @ W.T + b)),
          message="A is Z itself: the activation g is missing (A = g(Z), with g from ACTIVATIONS[activation])."),
    Probe("wrong_activation", wrong=lambda A_prev, W, b, activation: (_relu(A_prev @ W.T + b), (A_prev, W, A_prev @ W.T + b)),
          message="A uses ReLU whatever the activation: use the activation named by the argument `activation`."),
    Probe("wrong", wrong=lambda A_prev, W, b, activation: _ref_forward(A_prev, W, np.zeros_like(b), activation),
          message="The bias is missing: Z = A_prev Wᵀ + b, with b added to every row (numpy broadcasts it)."),
    Probe("wrong", wrong=lambda A_prev, W, b, activation: (_ref_forward(A_prev, W, b, activation)[0],
                                                          (A_prev, W, _ref_forward(A_prev, W, b, activation)[0])),
          message="The cache's last entry must be Z, the weighted inputs: backward needs g′(Z), and here it got A."),
    Probe("wrong_input", wrong=lambda A_prev, W, b, activation: (
        lambda A, cache: (A, (A, W, cache[2])))(*_ref_forward(A_prev, W, b, activation)),
          message="The cache's first entry must be the layer's input A_prev (dW = Eᵀ A_prev / m needs it), not its "
                  "output A."),
)

_BACKWARD_PROBES = (
    Probe("missing_division", wrong=lambda dA, cache, act: _ref_backward(dA, cache, act, mean=False),
          message="dW and db are m times too large: they are gradients of the mean cost, so the sums over the "
                  "examples are divided by m."),
    Probe("missing_division", wrong=lambda dA, cache, act: (
        lambda r: (r[0], r[1], r[2] * cache[0].shape[0]))(_ref_backward(dA, cache, act)),
          message="db is m times too large: it is the mean of E over the rows (the examples), not their sum."),
    Probe("extra_factor", wrong=lambda dA, cache, act: _ref_backward(dA, cache, act, dA_prev_mean=True),
          message="dA_prev is divided by m: it is per example (∂c_x/∂A_prev), and only dW and db, the gradients of "
                  "the shared parameters, are means. Dividing here makes the layer below divide again."),
    Probe("transposed", wrong=lambda dA, cache, act: _ref_backward(dA, cache, act, transposed=True),
          message="dW is transposed: with a square W the shapes cannot tell, but entry (j, k) is the input k times "
                  "the error j, summed over the examples: Eᵀ A_prev, not A_prevᵀ E."),
    Probe(_kind("wrong_axis", "wrong"), wrong=lambda dA, cache, act: _ref_backward(dA, cache, act, axis=1),
          message="db is averaged over axis=1, the neurons; average over axis=0, the examples."),
    Probe("missing_derivative", wrong=lambda dA, cache, act: _ref_backward(dA, cache, act, g_prime=False),
          message="The factor g′(Z) is missing: the layer's error is E = dA ⊙ g′(Z), and dW, db and dA_prev all "
                  "come from E."),
    Probe("function_for_derivative", wrong=lambda dA, cache, act: _ref_backward(dA, cache, act, use_g=True),
          message="E uses g(Z), the activation itself; it needs its derivative g′(Z)."),
    Probe("kink_convention", wrong=lambda dA, cache, act: _ref_backward(dA, cache, act, kink_one=True),
          message="At Z = 0 the course's convention is g′(0) = 0 for ReLU (relu_prime uses it); your layer used 1 "
                  "there, as with Z >= 0."),
)

_NETWORK_PROBES = (
    Probe("missing_division", wrong=lambda *a, **k: _variant_network(*a, **k, mean=False),
          message="Every gradient is m times too large: each layer's dW and db are means over the batch (divide "
                  "by m in dense_backward)."),
    Probe("missing_division", wrong=lambda *a, **k: _variant_network(*a, **k, cost_sum=True),
          message="The cost is the sum over the batch; it is the mean, C = (1/m) Σ_x c_x."),
    Probe("factor_two", wrong=lambda *a, **k: _variant_network(*a, **k, loss_swap=True),
          message="The gradients are off by a factor of 2: dA^[L] must be the derivative of the loss you compute "
                  "(½(y − a)² gives a − y, (a − y)² gives 2(a − y)); LOSS_PRIMES[loss] has it."),
    Probe("sign", wrong=lambda *a, **k: _variant_network(*a, **k, sign=True),
          message="Every gradient has the wrong sign: dA^[L] = ∂c/∂a, e.g. a − y for ½(y − a)², not y − a."),
    Probe("wrong_activation", wrong=lambda *a, **k: _variant_network(*a, **k, output_as_hidden=True),
          message="The output layer uses the hidden activation: layers 1..L-1 use `hidden`, layer L uses `output`."),
    Probe("extra_factor", wrong=lambda *a, **k: _variant_network(*a, **k, dA_prev_mean=True),
          message="The layers below the output get gradients divided by m again and again: dA_prev must stay per "
                  "example; only dW and db are divided by m."),
    Probe("missing_derivative", wrong=lambda *a, **k: _variant_network(*a, **k, no_hidden_g=True),
          message="The hidden layers' g′ is missing: pass each layer's own activation to dense_backward."),
    Probe("wrong_input", wrong=lambda *a, **k: _variant_network(*a, **k, output_in_cache=True),
          message="dW^[l] multiplies the error by the layer's output A^[l]; BP4 needs its input A^[l-1] "
                  "(the A_prev its cache keeps)."),
)

_WORST_PROBES = (
    Probe("missing", wrong=lambda *a, **k: _worst_variant(*a, **k, biases_too=False),
          message="Did you check the biases too? Every dbiases[l] is compared, like every dweights[l]."),
    Probe("wrong", wrong=lambda *a, **k: _worst_variant(*a, **k, absolute=True),
          message="That is the largest absolute difference; compare relative errors, "
                  "|a − n| / max(|a|, |n|, floor), so that large and small gradients are judged alike."),
    Probe("wrong", wrong=lambda *a, **k: _worst_variant(*a, **k, one_based=True),
          message="The names use the code's layer index, from 0: W^[1] is weights[0]."),
)

SPECS = (
    Values(id="test_shapes", name="shapes", reference=_table, explain=lambda k: _EXPLAIN[k],
           title="shape table", forbid=FORBID),
    Outputs(id="test_dense_forward", name="dense_forward", cases=_forward_cases, reference=_ref_forward,
            unpack=_unpack_forward, shape_hint=_forward_shape_hint, probes=_FORWARD_PROBES,
            raise_hint="A shape mismatch inside dense_forward: A_prev is (m, n_prev) and W is (n, n_prev), so "
                       "the product is A_prev @ W.T, (m, n_prev) times (n_prev, n).",
            forbid=FORBID, title="dense_forward"),
    Outputs(id="test_dense_backward", name="dense_backward", cases=_backward_cases, reference=_ref_backward,
            unpack=_unpack_backward, shape_hint=_backward_shape_hint, probes=_BACKWARD_PROBES,
            raise_hint="A shape mismatch inside dense_backward: write the shapes next to each product; dA and Z "
                       "are (m, n), A_prev is (m, n_prev), W is (n, n_prev).",
            forbid=FORBID, title="dense_backward"),
    Outputs(id="test_network", name="network_gradients", cases=_network_cases, reference=_ref_network,
            unpack=_unpack_network, shape_hint=_network_shape_hint, probes=_NETWORK_PROBES,
            per_layer=("dense_forward", "dense_backward"), forbid=FORBID, title="network_gradients",
            raise_hint="A shape mismatch inside network_gradients: each layer's dA must be (m, n_l), the shape of "
                       "that layer's A."),
    WorstEntry(id="test_worst_entry", name="worst_entry", cases=_worst_cases, reference=buggy_parameter,
               probes=_WORST_PROBES,
               forbid=FORBID, title="worst_entry"),
)

#: The notebook's check: ``check(grade_id, *objects, hidden=False)`` prints ✔ or raises CheckFailed.
check = engine.notebook_check({spec.id: spec for spec in SPECS})

# Record this module, the course modules it relies on and numpy, so that the hidden part of a test
# cell (assert_untampered) notices a notebook that patched them (the official score comes from
# the trusted grader, which never runs the test cell's code).
_core.seal(__name__, references=("course_pkg.network", "course_pkg.gradcheck", "course_pkg.checks.planted"))
