r"""Specs of notebook 06 (training), assignment ``06-training``.

The three graded functions the learner writes (one example per row, parameters as lists, as in
:mod:`course_pkg.network`):

=========================================================  =====================================
learner's function                                         returns
=========================================================  =====================================
``sgd_update(weights, biases, dweights, dbiases, lr)``     ``(new_weights, new_biases)``: every
                                                           ``W - lr * dW`` and ``b - lr * db``,
                                                           new arrays, the inputs untouched
``minibatch_indices(m, batch_size, seed)``                 a list of integer arrays: the rows
                                                           ``0..m-1`` shuffled by
                                                           ``np.random.default_rng(seed)``, cut
                                                           into batches of ``batch_size``
``train(X, Y, sizes, lr, epochs, batch_size, seed)``       ``(weights, biases, history)``: a
                                                           network started from
                                                           ``network.init_network(sizes, seed,
                                                           hidden="tanh")``, trained with the two
                                                           above, ``history`` the cost before
                                                           training and after every epoch
=========================================================  =====================================

``train`` uses ``tanh`` hidden layers, a sigmoid output and the half squared error (the course's
``network.gradients(..., hidden="tanh", output="sigmoid", loss="half_squared_error")``); epoch
``e`` takes its batches from ``minibatch_indices(m, batch_size, seed + e)``.

The kinds of check, each a ``judge(learner, rng) -> Outcome`` run by
:func:`course_pkg.checks.engine.run` on plain data only (so the trusted grader runs them on a
sandboxed learner): the update reuses notebook 05's :class:`~course_pkg.checks.layers.Outputs`;
:class:`Batches` checks the properties that define an epoch's mini-batches (every row once, the
sizes, shuffled, the same for the same seed, new for a new seed) rather than one particular
order; :class:`Trains` trains on a data set drawn from the checker's generator and measures the
test accuracy itself, against what the course's reference reaches on the same data.

Examples
--------
>>> import numpy as np
>>> from course_pkg.checks.learner import InProcessLearner
>>> def minibatch_indices(m, batch_size, seed):
...     order = np.random.default_rng(seed).permutation(m)
...     return [order[i:i + batch_size] for i in range(0, m, batch_size)]
>>> run(SPECS[1], InProcessLearner({"minibatch_indices": minibatch_indices}), hidden=False).passed
True
>>> def in_order(m, batch_size, seed):
...     return [np.arange(m)[i:i + batch_size] for i in range(0, m, batch_size)]
>>> run(SPECS[1], InProcessLearner({"minibatch_indices": in_order}), hidden=False).kind
'not_shuffled'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from course_pkg import datasets as _datasets
from course_pkg import network as _network
from course_pkg import training as _training
from course_pkg.checks import _core, engine
from course_pkg.checks._core import assert_untampered
from course_pkg.checks.engine import Case, Outcome, Probe, Tolerance
from course_pkg.checks.layers import Outputs
from course_pkg.checks.learner import LearnerMissing, LearnerRaised, LearnerTimeout, Opaque

__all__ = ["ASSIGNMENT", "SPECS", "TRAIN_SETUP", "Batches", "Trains", "run", "check", "assert_untampered"]

ASSIGNMENT = "06-training"
run = engine.run

_asarray = np.asarray
_array = np.array
_all = np.all
_isfinite = np.isfinite
_float64 = np.float64

#: The learner writes the update, the batches and the loop without the course's own.
FORBID = ("course_pkg.training", "course_pkg.checks.training")
#: float64 agreement with the reference update (the same arithmetic).
VALUES = Tolerance("float64 agreement with the course's reference", rtol=1e-9, atol=1e-12)
#: What ``train`` is asked to do, as the notebook states it: the network, the optimiser, the data.
TRAIN_SETUP = {
    "sizes": [2, 8, 8, 1], "lr": 1.0, "epochs": 100, "batch_size": 16,
    "n": 240, "test_fraction": 0.25, "target_accuracy": 0.9,
}
#: The data sets of train's cases, with their noise: (case class, generator, noise).
TRAIN_DATA = (("moons", "moons", 0.1), ("circles", "circles", 0.05))
#: A correct loop may end a little below the reference's test accuracy (rounding, another but
#: equivalent order of operations); it must reach min(target, reference − this).
ACCURACY_SLACK = 0.05
#: history[0] must be the initial network's cost to this relative tolerance.
HISTORY_RTOL = 1e-6


def _fail(kind, message, case=None):
    return Outcome(False, kind, message, case)


# ---------------------------------------------------------------------------------------------
# sgd_update


def reference_update(weights, biases, dweights, dbiases, lr):
    """The course's step (course_pkg.training.sgd_step), as the learner's signature returns it."""
    return _training.sgd_step(weights, biases, dweights, dbiases, lr)


def _update_cases(rng):
    cases = []
    for cls, sizes in (("one layer", [3, 2]), ("three layers", [2, 4, 3, 1])):
        weights, biases = _network.init_network(sizes, seed=int(rng.integers(2**31)))
        biases = [rng.normal(0.0, 0.5, b.shape) for b in biases]
        dweights = [rng.normal(0.0, 1.0, W.shape) for W in weights]
        dbiases = [rng.normal(0.0, 1.0, b.shape) for b in biases]
        lr = float(rng.choice([0.05, 0.3, 2.5]))
        where = f"sgd_update on a {'-'.join(map(str, sizes))} network with lr = {lr}"
        cases.append(Case(cls, (weights, biases, dweights, dbiases, lr), where=where))
    return cases


def _unpack_update(result, case):
    L = len(case.args[0])
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return ("it should return a pair (new_weights, new_biases); it returned "
                + (f"a {type(result).__name__} of length {len(result)}" if isinstance(result, (tuple, list))
                   else ("None: did it forget to `return`?" if result is None else
                         f"a {getattr(result, 'type_name', type(result).__name__)}")))
    new_weights, new_biases = result
    for label, part in (("new_weights", new_weights), ("new_biases", new_biases)):
        if not isinstance(part, (list, tuple)) or len(part) != L:
            return f"{label} should be a list of {L} arrays, one per layer, like weights."
    return ([(f"new_weights[{l}]", new_weights[l]) for l in range(L)]
            + [(f"new_biases[{l}]", new_biases[l]) for l in range(L)])


def _update_shape_hint(label, got, want, case):
    return (f"but it must have the shape of the parameter it replaces, {tuple(int(s) for s in want)}: "
            "W - lr * dW keeps W's shape (check that nothing was transposed or summed).")


def wrong_update_ascent(weights, biases, dweights, dbiases, lr):
    return ([W + lr * dW for W, dW in zip(weights, dweights)],
            [b + lr * db for b, db in zip(biases, dbiases)])


def wrong_update_no_lr(weights, biases, dweights, dbiases, lr):
    return ([W - dW for W, dW in zip(weights, dweights)], [b - db for b, db in zip(biases, dbiases)])


def wrong_update_weights_only(weights, biases, dweights, dbiases, lr):
    return ([W - lr * dW for W, dW in zip(weights, dweights)], [np.array(b, dtype=float) for b in biases])


def wrong_update_swapped_rates(weights, biases, dweights, dbiases, lr):
    return ([W - dW / lr for W, dW in zip(weights, dweights)], [b - db / lr for b, db in zip(biases, dbiases)])


_UPDATE_PROBES = (
    Probe("ascent", wrong=wrong_update_ascent,
          message="The parameters moved along the gradient, which makes the cost grow: gradient DEscent "
                  "subtracts it, W − η ∂C/∂W."),
    Probe("missing_learning_rate", wrong=wrong_update_no_lr,
          message="The learning rate is missing: the step is η times the gradient, not the gradient itself."),
    Probe("not_updated", wrong=wrong_update_weights_only,
          message="The biases did not change: every parameter takes a step, b − η ∂C/∂b as well as W − η ∂C/∂W."),
    Probe("missing_learning_rate", wrong=wrong_update_swapped_rates,
          message="The gradient is divided by the learning rate: the step is η times the gradient."),
)


# ---------------------------------------------------------------------------------------------
# minibatch_indices


@dataclass(frozen=True)
class Batches:
    """The learner's ``minibatch_indices(m, batch_size, seed)``: the properties of one epoch."""

    id: str
    name: str
    cases: Callable
    forbid: tuple = ()
    title: str = ""

    @property
    def names(self):
        return (self.name,)

    def _read(self, learner, m, batch_size, seed, where, cls):
        try:
            got = learner.call(self.name, m, batch_size, seed)
        except LearnerRaised as exc:
            return engine.learner_error(self.name, exc, where, cls)
        if not isinstance(got, (list, tuple)):
            return _fail("type", f"{where} should return a list of arrays of row indices; it returned "
                         f"{'None' if got is None else getattr(got, 'type_name', type(got).__name__)}.", cls)
        batches = []
        for i, batch in enumerate(got):
            if isinstance(batch, (Opaque, str, dict)) or batch is None:
                return _fail("type", f"{where}: batch {i} should be an array of row indices.", cls)
            arr = _array(batch)
            if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
                if arr.ndim == 1 and arr.dtype.kind == "f" and _all(arr == np.round(arr)):
                    arr = arr.astype(np.int64)
                else:
                    return _fail("type", f"{where}: batch {i} should be a 1-D array of integer row indices; "
                                 f"it has shape {arr.shape} and dtype {arr.dtype}.", cls)
            batches.append(arr)
        return batches

    def judge(self, learner, rng):
        if not learner.has(self.name):
            raise LearnerMissing(self.name)
        cases = list(self.cases(rng))
        for case in cases:
            m, batch_size, seed = case.args
            where = f"{self.name}({m}, {batch_size}, {seed})"
            batches = self._read(learner, m, batch_size, seed, where, case.cls)
            if isinstance(batches, Outcome):
                return batches
            flat = np.concatenate(batches) if batches else np.zeros(0, dtype=np.int64)
            counts = np.bincount(flat[(flat >= 0) & (flat < m)], minlength=m) if flat.size else np.zeros(m, int)
            outside = flat[(flat < 0) | (flat >= m)]
            if outside.size:
                return _fail("wrong", f"{where} ({case.cls}): index {int(outside[0])} is not a row: the rows "
                             f"are 0 … {m - 1}.", case.cls)
            if (counts > 1).any():
                return _fail("wrong", f"{where} ({case.cls}): row {int(np.argmax(counts > 1))} comes "
                             f"{int(counts.max())} times in one epoch; every example comes exactly once.", case.cls)
            if (counts == 0).any():
                missing = int((counts == 0).sum())
                return _fail("dropped_rows", f"{where} ({case.cls}): {missing} of the {m} rows never come: "
                             "the last batch takes the rows that are left, even when there are fewer than "
                             "batch_size of them.", case.cls)
            sizes = [len(b) for b in batches]
            expected = [batch_size] * (m // batch_size) + ([m % batch_size] if m % batch_size else [])
            if sizes != expected:
                return _fail("wrong", f"{where} ({case.cls}): the batches have {len(sizes)} different sizes "
                             f"from what batch_size = {batch_size} gives: each batch takes the next "
                             "batch_size rows of the shuffled order, and only the last may be smaller.", case.cls)
            if m >= 10 and np.array_equal(flat, np.arange(m)):
                return _fail("not_shuffled", f"{where} ({case.cls}): the rows come in their original order: "
                             "shuffle them first (a new order every epoch keeps the steps from repeating one "
                             "pattern).", case.cls)
            again = self._read(learner, m, batch_size, seed, where, case.cls)
            if isinstance(again, Outcome):
                return again
            if len(again) != len(batches) or not all(np.array_equal(a, b) for a, b in zip(again, batches)):
                return _fail("not_reproducible", f"{where} ({case.cls}): two calls with the same seed gave "
                             "different batches: draw the order from np.random.default_rng(seed), not from "
                             "numpy's global generator, so that a run can be repeated.", case.cls)
            if m >= 10:
                other = self._read(learner, m, batch_size, seed + 1, where, case.cls)
                if isinstance(other, Outcome):
                    return other
                if np.array_equal(np.concatenate(other), flat):
                    return _fail("not_shuffled", f"{where} ({case.cls}): seed {seed + 1} gives the same order "
                                 f"as seed {seed}: the order must come from the seed it is given.", case.cls)
        classes = list(dict.fromkeys(c.cls for c in cases))
        return Outcome(True, "ok", f"{self.title or self.name}: every row exactly once per epoch, shuffled by the "
                       f"seed, on {len(cases)} cases ({'; '.join(classes)}).")


def _batch_cases(rng):
    def seed():
        return int(rng.integers(0, 2**31 - 1))

    k = int(rng.integers(3, 7))
    size = int(rng.integers(4, 9))
    return [
        Case("batch_size divides m", (k * size, size, seed())),
        Case("the last batch smaller", (k * size + int(rng.integers(1, size)), size, seed())),
        Case("one batch of everything", (int(rng.integers(10, 20)), int(rng.integers(20, 40)), seed())),
        Case("batches of one", (int(rng.integers(10, 16)), 1, seed())),
    ]


def wrong_batches_in_order(m, batch_size, seed):
    return [np.arange(m)[i:i + batch_size] for i in range(0, m, batch_size)]


def wrong_batches_drop_last(m, batch_size, seed):
    order = np.random.default_rng(seed).permutation(m)
    return [order[i:i + batch_size] for i in range(0, m - batch_size + 1, batch_size)]


def wrong_batches_global_state(m, batch_size, seed):
    order = np.random.permutation(m)
    return [order[i:i + batch_size] for i in range(0, m, batch_size)]


#: The slips each name (kept beside the spec for the tests; Batches names them by property).
BATCH_PROBES = (
    Probe("not_shuffled", wrong=wrong_batches_in_order, message="the rows come in their original order"),
    Probe("dropped_rows", wrong=wrong_batches_drop_last, message="rows never come"),
    Probe("not_reproducible", wrong=wrong_batches_global_state, message="two calls with the same seed"),
)


# ---------------------------------------------------------------------------------------------
# train


def _train_data(generator, noise, seed):
    X, y = getattr(_datasets, generator)(n=TRAIN_SETUP["n"], noise=noise, seed=seed)
    X_train, y_train, X_test, y_test = _datasets.train_test_split(
        X, y, test_fraction=TRAIN_SETUP["test_fraction"], seed=seed)
    return X_train, y_train.reshape(-1, 1).astype(float), X_test, y_test


def reference_train(X, Y, sizes, lr, epochs, batch_size, seed):
    """The course's loop on the learner's signature: (weights, biases, history)."""
    weights, biases = _network.init_network(sizes, seed=seed, hidden="tanh")
    result = _training.train(weights, biases, X, Y, lr=lr, epochs=epochs, batch_size=batch_size, seed=seed,
                             hidden="tanh", output="sigmoid", loss="half_squared_error")
    return result.weights, result.biases, result.history


@dataclass(frozen=True)
class Trains:
    """The learner's ``train``: a network it trains on the checker's data reaches the stated accuracy."""

    id: str
    name: str
    cases: Callable
    reference: Callable
    uses: tuple = ("sgd_update", "minibatch_indices")
    forbid: tuple = ()
    title: str = ""

    @property
    def names(self):
        return (self.name,)

    def judge(self, learner, rng):
        if not learner.has(self.name):
            raise LearnerMissing(self.name)
        setup = TRAIN_SETUP
        cases = list(self.cases(rng))
        reached = []
        for case in cases:
            X, Y, X_test, y_test = case.args
            seed = case.kwargs["seed"]
            where = (f"train on {case.cls} (seed {seed}): sizes {setup['sizes']}, lr {setup['lr']}, "
                     f"{setup['epochs']} epochs, batches of {setup['batch_size']}")
            before = {n: learner.calls(n) for n in self.uses}
            try:
                got = learner.call(self.name, X, Y, list(setup["sizes"]), setup["lr"], setup["epochs"],
                                   setup["batch_size"], seed)
            except LearnerRaised as exc:
                return engine.learner_error(self.name, exc, where, case.cls)
            if learner.last_call().mutated:
                return _fail("mutated", f"{where}: train modified X or Y; leave the data as it is.", case.cls)
            read = self._read(got, where, case.cls)
            if isinstance(read, Outcome):
                return read
            weights, biases, history = read
            L = len(setup["sizes"]) - 1
            batches = -(-X.shape[0] // setup["batch_size"])
            for name, want in (("sgd_update", setup["epochs"] * batches),
                               ("minibatch_indices", setup["epochs"])):
                if name in self.uses and learner.has(name):
                    used = learner.calls(name) - before[name]
                    if used != want:
                        return _fail("budget", f"{where}: train called your {name} {used} times; "
                                     f"{setup['epochs']} epochs of {batches} batches call it {want} times "
                                     f"({'once per batch' if name == 'sgd_update' else 'once per epoch'}). Build "
                                     "the loop from your own parts.", case.cls)
            shapes = [(n, p) for n, p in zip(setup["sizes"][1:], setup["sizes"][:-1])]
            if [W.shape for W in weights] != shapes or [b.shape for b in biases] != [(n,) for n, _ in shapes]:
                return _fail("shape", f"{where}: the trained weights have shapes "
                             f"{[W.shape for W in weights]} and biases {[b.shape for b in biases]}; a "
                             f"{'-'.join(map(str, setup['sizes']))} network has weights[l] of shape "
                             "(n_{l+1}, n_l) and biases[l] of shape (n_{l+1},).", case.cls)
            if history.shape != (setup["epochs"] + 1,):
                return _fail("shape", f"{where}: history has shape {history.shape}; it holds the cost before "
                             f"training and after each of the {setup['epochs']} epochs, "
                             f"({setup['epochs'] + 1},).", case.cls)
            w0, b0 = _network.init_network(list(setup["sizes"]), seed=seed, hidden="tanh")
            c0 = _network.network_cost(w0, b0, X, Y, "tanh", "sigmoid", "half_squared_error")
            if not abs(history[0] - c0) <= HISTORY_RTOL * abs(c0):
                return _fail("wrong", f"{where}: history[0] is not the cost of the network you start from: "
                             "start from network.init_network(sizes, seed=seed, hidden=\"tanh\") and record "
                             "the half squared error on all of (X, Y) before the first step.", case.cls)
            final = _network.network_cost(weights, biases, X, Y, "tanh", "sigmoid", "half_squared_error")
            if not abs(history[-1] - final) <= 1e-6 * max(abs(final), 1e-12):
                return _fail("wrong", f"{where}: history[-1] is not the cost of the weights train returned: "
                             "record the cost on all of (X, Y) after each epoch, with the current "
                             "parameters.", case.cls)
            if not history[-1] < history[0]:
                return _fail("not_learning", f"{where}: the cost did not go down (it ended at "
                             f"{history[-1] / history[0]:.2f} times where it began): is every step taken "
                             "against the gradient, on the batch's rows of both X and Y?", case.cls)
            accuracy = _network.accuracy(weights, biases, X_test, y_test, hidden="tanh")
            bar = setup["target_accuracy"]
            if accuracy < bar:  # an unusually hard draw? the bar is never above what the course's loop reaches
                ref_w, ref_b, _ = self.reference(X, Y, list(setup["sizes"]), setup["lr"], setup["epochs"],
                                                 setup["batch_size"], seed)
                bar = min(bar, _network.accuracy(ref_w, ref_b, X_test, y_test, hidden="tanh") - ACCURACY_SLACK)
            if accuracy < bar:
                return _fail("not_learning", f"{where}: the trained network classifies {accuracy:.0%} of the "
                             f"held-out test points right; it should reach {bar:.0%}. Look at the loss curve: "
                             "does the cost fall steadily, and is each batch's gradient computed on that "
                             "batch's rows?", case.cls)
            reached.append(f"{case.cls} {accuracy:.0%}")
        return Outcome(True, "ok", f"{self.title or self.name}: test accuracy {', '.join(reached)} "
                       f"(target {setup['target_accuracy']:.0%}), built from your sgd_update and "
                       "minibatch_indices.")

    def _read(self, got, where, cls):
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            return _fail("type", f"{where}: train should return (weights, biases, history); it returned "
                         + ("None: did it forget to `return`?" if got is None
                            else f"{getattr(got, 'type_name', type(got).__name__)}") + ".", cls)
        weights, biases, history = got
        parts = []
        for label, value in (("weights", weights), ("biases", biases)):
            if not isinstance(value, (list, tuple)):
                return _fail("type", f"{where}: {label} should be a list of arrays, one per layer.", cls)
            try:
                arrays = [_array(v, dtype=_float64) for v in value]
            except (TypeError, ValueError):
                return _fail("type", f"{where}: {label} should hold arrays of numbers.", cls)
            if not all(bool(_all(_isfinite(a))) for a in arrays):
                return _fail("not_finite", f"{where}: the trained {label} hold NaN or infinity: the steps grew "
                             "without bound (is the learning rate applied once, and the step subtracted?).", cls)
            parts.append(arrays)
        try:
            history = _array(history, dtype=_float64)
        except (TypeError, ValueError):
            return _fail("type", f"{where}: history should be an array of costs, one per epoch and one before.", cls)
        if history.ndim != 1 or not bool(_all(_isfinite(history))):
            return _fail("type" if history.ndim != 1 else "not_finite",
                         f"{where}: history should be a 1-D array of finite costs.", cls)
        return parts[0], parts[1], history


def _train_cases(rng):
    cases = []
    for cls, generator, noise in TRAIN_DATA:
        seed = int(rng.integers(0, 2**31 - 1))
        cases.append(Case(cls, _train_data(generator, noise, seed), kwargs={"seed": seed}))
    return cases


# ---------------------------------------------------------------------------------------------
# the specs

SPECS = (
    Outputs(id="test_sgd_update", name="sgd_update", cases=_update_cases, reference=reference_update,
            unpack=_unpack_update, shape_hint=_update_shape_hint, tolerance=VALUES, probes=_UPDATE_PROBES,
            forbid=FORBID, title="sgd_update"),
    Batches(id="test_minibatch_indices", name="minibatch_indices", cases=_batch_cases, forbid=FORBID,
            title="minibatch_indices"),
    Trains(id="test_train", name="train", cases=_train_cases, reference=reference_train, forbid=FORBID,
           title="train"),
)

#: The notebook's check: ``check(grade_id, *objects, hidden=False)`` prints ✔ or raises CheckFailed.
check = engine.notebook_check({spec.id: spec for spec in SPECS})

_core.seal(__name__, references=("course_pkg.training", "course_pkg.network", "course_pkg.datasets"))
