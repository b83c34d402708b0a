r"""Exercises as data, one runner: every graded exercise is a spec, :func:`run` checks it.

A spec says *what* an exercise is (the learner's name, how cases are drawn, the reference, the
tolerance, the misconception probes); :func:`run` does the rest, the same way for the visible
self-check, the hidden tests and the trusted grader, and never sees the learner's objects: it
asks a :class:`~course_pkg.checks.learner.Learner` for plain data (``call``, ``value``,
``calls``, ``has``, ``last_call``).

Spec kinds
----------
:class:`Function`
    A function returning a number, an array, or (``keys=``) a dict of numbers. ``cases(rng)``
    returns a list of :class:`Case` (a named case class, the arguments); ``reference`` computes
    the expected value from the same arguments; the result must have the reference's shape,
    lie within the named :class:`Tolerance`, and leave its inputs unchanged. Options: ``floats``
    (the result must be floats), ``silent`` (a warning fails, with this message), ``budget``
    (:class:`Budget`: at most so many calls of a learner's function per call, e.g. ``forward``
    once for "the backprop way"), ``forbid`` (reference modules switched off while it runs).
:class:`Formula`
    A typed answer (a string), read by :func:`course_pkg.symbolic.parse_answer` (never run) in
    the exercise's ``variables``, with ``definitions`` substituted (``y_hat`` is ``σ(z3)``),
    judged by :func:`course_pkg.symbolic.equivalent` over the whole domain, then checked against
    an independent ``numeric`` reference at the case points. The expected text is ``expected``,
    or better ``reference()["expected"]``: a module-level function whose table also holds the
    probes' wrong texts (each probe's ``wrong`` is then its key), so that none of them is data
    of the module: the trusted grader's sandbox replaces the body of every ``reference``,
    ``numeric`` and probe function of a spec module that forbids itself.
:class:`Derivation`
    A list of typed lines, judged by :func:`course_pkg.symbolic.check_derivation`: line 0
    against the rule it claims (``first``), every line equal to the one before, at least
    ``min_steps`` lines that change the expression (a reformatted line is not a step); then the
    last line free of ``unfinished`` functions, and every line equal to the ``numeric`` slope at
    the case points.

Another kind of exercise can live in its notebook's spec module: any object with ``id``,
``name``, ``names`` and ``judge(learner, rng) -> Outcome`` (using the learner protocol only) is
run by :func:`run` too (``course_pkg.checks.layers`` does so for its shape table).

Misconception probes
--------------------
Each spec lists :class:`Probe` ``(kind, wrong=..., message=...)``. ``wrong`` is a runnable wrong
variant: a function with the learner's signature, or for a typed exercise the key of a wrong
formula (or of an example derivation with the slip) in the spec's ``reference()`` table. When a result is wrong, the runner compares it with every probe's output on the
same case and reports the first probe that matches, by its ``kind`` (one word of :data:`KINDS`)
and ``message``. Every probe's ``wrong`` is run by a generated test that asserts the runner names
it (``tests/checks/test_specs.py``).

Feedback rules (enforced here, tested)
--------------------------------------
* The visible and the hidden run draw their cases from the same ``cases(rng)``: only the numbers
  differ (the seed), so ✔ on the self-check covers every case class of the hidden tests.
* No message contains the expected value: the runner prints the inputs, the case class, how
  the result differs (sign, factor, which entries or keys), never the reference's numbers; a
  typed answer's feedback never shows the expected expression.
* A warning inside a correct solution costs nothing (calls run with warnings recorded);
  ``NotImplementedError`` is "not written yet", a missing name is "missing".

Example
-------
A complete spec, run against a learner in this process:

>>> import numpy as np
>>> from course_pkg.checks import engine
>>> from course_pkg.checks.learner import InProcessLearner
>>> def cases(rng):
...     return [engine.Case("negative z", (rng.uniform(-3, -0.1, 4),)),
...             engine.Case("positive z", (rng.uniform(0.1, 3, 4),)),
...             engine.Case("the kink", (np.array([0.0]),))]
>>> spec = engine.Function(
...     id="test_relu", name="relu", cases=cases,
...     reference=lambda z: np.maximum(z, 0.0),
...     tolerance=engine.Tolerance("float64 values", rtol=1e-12, atol=0.0),
...     probes=(engine.Probe("wrong_function", wrong=np.abs,
...                          message="That is |z|: ReLU sets negative inputs to 0."),))
>>> engine.run(spec, InProcessLearner({"relu": lambda z: np.maximum(z, 0)}), hidden=False).passed
True
>>> outcome = engine.run(spec, InProcessLearner({"relu": np.abs}), hidden=True, seed=1)
>>> outcome.kind, outcome.case
('wrong_function', 'negative z')

A typed answer, its expected text and its slip in a module-level ``reference()`` table:

>>> def texts():
...     return {"expected": "2*x", "constant": "2"}
>>> square = engine.Formula(
...     id="test_square", name="answer", expected=None, reference=texts, variables=("x",),
...     cases=lambda rng: [engine.Case("x > 0", kwargs={"x": float(rng.uniform(0.5, 2))})],
...     numeric=lambda x: ((x + 1e-6) ** 2 - (x - 1e-6) ** 2) / 2e-6, display="d/dx x²",
...     probes=(engine.Probe("missing_factor", wrong="constant", message="The factor x is missing."),))
>>> engine.run(square, InProcessLearner({"answer": "x + x"}), hidden=False).passed
True
>>> engine.run(square, InProcessLearner({"answer": "2"}), hidden=False).message
"d/dx x²: your answer '2' is not right.\nThe factor x is missing."
"""

from __future__ import annotations

import re as _re
import zlib
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Optional

import numpy as np

from course_pkg import symbolic as _symbolic

from .learner import (
    LearnerMissing,
    LearnerRaised,
    LearnerTimeout,
    Named,
    Opaque,
    resolve,
    to_plain,
)

__all__ = [
    "KINDS",
    "Outcome",
    "CheckFailed",
    "Tolerance",
    "Case",
    "Probe",
    "Budget",
    "Function",
    "Formula",
    "Derivation",
    "run",
    "expected_text",
    "probe_answer",
    "parse_typed",
    "read_typed",
    "notebook_check",
    "learner_error",
]

_asarray = np.asarray
_array = np.array
_abs = np.abs
_all = np.all
_isfinite = np.isfinite
_median = np.median
_float64 = np.float64
_default_rng = np.random.default_rng

#: What the runner itself reports (besides the symbolic verdict kinds and the misconceptions).
RUNNER_KINDS = (
    "ok", "not_written", "missing", "error", "timeout", "wrong", "shape", "type", "dtype",
    "not_finite", "mutated", "warning", "reference_used", "budget", "scalar_only", "format",
    "unfinished", "step", "off_path",
)
#: Misconceptions the specs name (a probe's kind is one of these or of the runner's).
MISCONCEPTIONS = (
    # finite differences (01)
    "forward_difference", "backward_difference", "step_not_halved", "precedence",
    "missing_division", "second_difference", "ignores_h", "default_step",
    # derivatives and the chain rule (01-03)
    "missing_inner_derivative", "missing_outer_derivative", "outer_at_derivative",
    "wrong_argument", "power_of_function", "wrong_derivative", "function_itself",
    "factor_two", "missing_half",
    # activations (02)
    "wrong_function", "kink_convention", "comparison_reversed",
    # networks (03)
    "wrong_input", "wrong_activation", "missing_activation", "missing_derivative",
    "function_for_derivative", "derivative_at_output", "swapped", "reversed_layers",
    "transposed",
    # training (06)
    "ascent", "missing_learning_rate", "not_updated", "not_shuffled", "dropped_rows",
    "not_reproducible", "not_learning",
    # beyond (07): the tiny autodiff
    "overwritten_gradient", "repeated_node", "wrong_order",
)
#: One vocabulary: the runner's kinds, the symbolic verdict kinds and the misconceptions.
KINDS = tuple(dict.fromkeys(RUNNER_KINDS + tuple(_symbolic.KINDS) + MISCONCEPTIONS))

#: Markers of numpy's complaint when scalar-only code (``if z > 0``, ``math.exp``) meets an array.
_SCALAR_ONLY = ("only 0-dimensional arrays", "only length-1 arrays", "only size-1 arrays",
                "truth value of an array", "can only convert an array of size 1")
#: Seconds allowed to evaluate a typed answer (then its probes) at the case points; with the
#: symbolic check's own 2 s, a typed answer costs at most 4 s whatever it is.
EVALUATION_TIME_LIMIT = 1.0


# ---------------------------------------------------------------------------------------------
# outcome


@dataclass(frozen=True)
class Outcome:
    """What a check concluded: passed or not, one kind word, the message, the failing case class.

    >>> o = Outcome(False, "sign", "The sign is flipped.", case="positive z")
    >>> Outcome.from_dict(o.to_dict()) == o
    True
    """

    passed: bool
    kind: str
    message: str
    case: Optional[str] = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Outcome kind must be one of engine.KINDS; got {self.kind!r}")

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        if not isinstance(data, dict) or set(data) - {"passed", "kind", "message", "case"}:
            raise ValueError(f"Outcome.from_dict needs the keys passed, kind, message, case; got {data!r}")
        return cls(bool(data["passed"]), str(data["kind"]), str(data["message"]), data.get("case"))


class CheckFailed(AssertionError):
    """A failed check: IPython (and nbgrader's error output) shows the message alone, no traceback."""

    def __init__(self, outcome):
        super().__init__(outcome.message)
        self.outcome = outcome

    def _render_traceback_(self):
        return ["✘ " + line if i == 0 else line for i, line in enumerate(self.outcome.message.splitlines())]


def _fail(kind, message, case=None):
    return Outcome(False, kind, message, case)


# ---------------------------------------------------------------------------------------------
# spec parts


@dataclass(frozen=True)
class Tolerance:
    """A named tolerance: ``|got − expected| <= atol + rtol·|expected|``, entry by entry."""

    name: str
    rtol: float = 1e-9
    atol: float = 1e-12

    def close(self, got, expected):
        got = _asarray(got, dtype=_float64)
        expected = _asarray(expected, dtype=_float64)
        return got.shape == expected.shape and bool(
            _all(_abs(got - expected) <= self.atol + self.rtol * _abs(expected)))


@dataclass(frozen=True)
class Case:
    """One case: its class (``"z = 0"``, ``"ReLU 1 off"``), the plain arguments, how to show it.

    ``hint`` is added to the message when the result is wrong and no probe explains it.
    """

    cls: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    where: str = ""
    hint: str = ""


@dataclass(frozen=True)
class Probe:
    """A misconception: its kind (in :data:`KINDS`), a runnable wrong variant, the message naming it."""

    kind: str
    wrong: Any
    message: str

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Probe kind must be one of engine.KINDS; got {self.kind!r}")


@dataclass(frozen=True)
class Budget:
    """At most ``at_most`` calls of the learner's function ``name`` per call of the exercise's."""

    name: str
    at_most: int
    message: str


@dataclass(frozen=True)
class Function:
    """A learner's function whose result is a number, an array or (``keys``) a dict of numbers."""

    id: str
    name: str
    cases: Callable
    reference: Callable
    tolerance: Tolerance = Tolerance("float64 values")
    probes: tuple = ()
    keys: Optional[tuple] = None
    floats: bool = False
    silent: Optional[str] = None
    budget: tuple = ()
    forbid: tuple = ()
    title: str = ""

    @property
    def names(self):
        return (self.name,)


@dataclass(frozen=True)
class Formula:
    """A typed answer: a string in ``variables``, equal to ``expected`` (never shown)."""

    id: str
    name: str
    expected: str
    variables: tuple
    cases: Callable
    numeric: Callable
    display: str = ""
    definitions: tuple = ()
    aliases: tuple = ()
    tolerance: Tolerance = Tolerance("agreement with finite differences", rtol=1e-6, atol=1e-8)
    probes: tuple = ()
    off_path: tuple = ()
    format_hint: str = ""
    hint: str = ""
    forbid: tuple = ()
    reference: Optional[Callable] = None
    #: Functions whose derivative may be typed with a prime (``σ′(z)``, ``tanh′``); None: the
    #: symbolic checker's default (all it knows), ``()``: none, for a question that asks for one.
    derivatives: Optional[tuple] = None

    @property
    def names(self):
        return (self.name,)


@dataclass(frozen=True)
class Derivation:
    """A derivation typed line by line, from the rule line 0 claims (``first``) to a finished form.

    ``first`` is what :func:`course_pkg.symbolic.check_derivation` checks line 0 against (e.g.
    ``symbolic.quotient_rule("exp(z) - exp(-z)", "exp(z) + exp(-z)")``), described for the learner
    by ``first_text``; ``min_steps`` and ``max_steps`` count lines that change the expression (a
    line equal to the one before up to formatting is not a step); the last line may not use the
    ``unfinished`` functions; every line must equal ``numeric`` at the case points.
    """

    id: str
    name: str
    variables: tuple
    first: Any
    first_text: str
    cases: Callable
    numeric: Callable
    unfinished: tuple = ("exp",)
    min_steps: int = 2
    max_steps: int = 12
    display: str = ""
    tolerance: Tolerance = Tolerance("agreement with finite differences", rtol=1e-7, atol=1e-9)
    probes: tuple = ()
    forbid: tuple = ()
    reference: Optional[Callable] = None
    #: As for :class:`Formula`: ``()`` when the derivation is of a function whose primed name
    #: would be the answer itself (``tanh′(z)`` as the last line of the tanh derivation).
    derivatives: Optional[tuple] = None

    @property
    def names(self):
        return (self.name,)


def _texts(spec):
    return spec.reference() if getattr(spec, "reference", None) is not None else {}


def expected_text(spec):
    """A Formula's expected answer as text: ``spec.expected``, or ``spec.reference()["expected"]``."""
    return spec.expected if spec.expected is not None else _texts(spec)["expected"]


def probe_answer(spec, probe):
    """What a probe's learner answers: its ``wrong``, or for a typed exercise with a ``reference``
    table, the text that table holds under the key ``wrong``."""
    texts = _texts(spec) if isinstance(spec, (Formula, Derivation)) else {}
    return texts[probe.wrong] if isinstance(probe.wrong, str) and probe.wrong in texts else probe.wrong


# ---------------------------------------------------------------------------------------------
# the runner


def seed_of(spec, hidden):
    """The seed used when the caller gives none: fixed per spec, another one for hidden runs."""
    return zlib.crc32(spec.id.encode()) + (1 if hidden else 0)


def run(spec, learner, *, hidden, seed=None):
    """Check ``spec`` against ``learner``; return an :class:`Outcome` (never raises for the learner).

    Parameters
    ----------
    spec : Function, Formula or Derivation
    learner : Learner
        Answers in plain data only (:mod:`course_pkg.checks.learner`).
    hidden : bool
        The hidden tests (other numbers, the same case classes) or the visible self-check.
    seed : int, optional
        Seed of the cases; default :func:`seed_of` (fixed per spec and ``hidden``).
    """
    if not isinstance(hidden, bool):
        raise TypeError(f"hidden must be True or False; got {hidden!r}")
    rng = _default_rng(seed_of(spec, hidden) if seed is None else seed)
    try:
        if isinstance(spec, Function):
            outcome = _run_function(spec, learner, rng)
        elif isinstance(spec, Formula):
            outcome = _run_formula(spec, learner, rng)
        elif isinstance(spec, Derivation):
            outcome = _run_derivation(spec, learner, rng)
        elif callable(getattr(spec, "judge", None)):  # a spec kind of a notebook's own module
            outcome = spec.judge(learner, rng)
        else:
            raise TypeError(f"spec must be an engine.Function, Formula or Derivation, or have a "
                            f"judge(learner, rng) method; got {type(spec).__name__}")
    except LearnerMissing as exc:
        return _fail("missing", f"`{exc.name}` is not defined: run the cell that defines it "
                                "(and keep its name).")
    except LearnerTimeout:
        return _fail("timeout", f"`{spec.name}` did not finish in time: is there an endless loop?")
    if outcome.passed and hidden:
        return Outcome(True, "ok", "hidden tests: " + outcome.message)
    return outcome


def learner_error(name, exc, where, case=None, stub=None):
    """The :class:`Outcome` for learner code that raised ``exc`` (a :class:`LearnerRaised`).

    The runner's own wording, for every spec kind (a notebook's spec module uses it for its own
    kinds): an nbgrader stub is "not written yet", named by the learner's function whose stub
    raised (unless it is a private helper such as a ``_backward`` closure), else by ``stub`` (e.g.
    "the backward rule of `tanh`"), else by ``name``; a switched-off
    reference is ``reference_used``; scalar-only code meeting an array is named; anything else
    is an ``error`` that says where and what.
    """
    if exc.exc_type == "NotImplementedError":
        # The learner's function whose stub raised; a private helper (a `_backward` closure) is not
        # an exercise's name, so then the caller's description, or the function it called.
        named = exc.message.isidentifier() and not exc.message.startswith("_")
        which = f"`{exc.message}`" if named else (stub or f"`{name}`")
        return _fail("not_written", f"{which} is not written yet: replace `raise NotImplementedError()` "
                                    "with your code", case)
    if exc.exc_type == "ReferenceUsed":
        return _fail("reference_used", exc.message, case)
    if any(marker in exc.message for marker in _SCALAR_ONLY):
        return _fail("scalar_only", f"{where} raised {exc.exc_type}: {exc.message}\n"
                     f"Your {name} works on one number but not on an array: math.exp, max(0, z) "
                     "and `if z > 0:` handle a single number only. Use numpy, entry by entry: "
                     "np.exp, np.maximum(z, 0.0), np.where(...) or (z > 0).", case)
    return _fail("error", f"{where} raised {exc.exc_type}: {exc.message}", case)


def _show(value):
    if isinstance(value, Named):
        return str(value)
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (int, float)):
        return f"{value:.4g}"
    if isinstance(value, np.ndarray):
        if value.size <= 4:
            return "[" + ", ".join(f"{v:.4g}" for v in value.ravel()) + "]"
        return f"an array of shape {value.shape}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(value)


def _where(spec, case):
    if case.where:
        return case.where
    parts = [_show(a) for a in case.args] + [f"{k}={_show(v)}" for k, v in case.kwargs.items()]
    return f"{spec.name}({', '.join(parts)})"


def _read_result(spec, got, expected, where, case):
    """The learner's result as a float array shaped like ``expected``, or a failing Outcome."""
    cls = case.cls
    if got is None:
        return _fail("type", f"{where} returned None: did the function forget to `return` its result?", cls)
    if spec.keys is not None:
        if not isinstance(got, dict):
            return _fail("type", f"{where} should return a dict with the keys "
                         f"{', '.join(map(repr, spec.keys))}; it returned {_type_name(got)}.", cls)
        missing = [k for k in spec.keys if k not in got]
        if missing:
            return _fail("type", f"{where}: the dict has no {', '.join(map(repr, missing))}; the keys "
                         f"are {', '.join(map(repr, spec.keys))}.", cls)
        values = []
        for k in spec.keys:
            v = got[k]
            if isinstance(v, np.ndarray) and v.size == 1:
                v = v.reshape(()).item()
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                return _fail("type", f"{where}[{k!r}] should be one number; it is {_type_name(v)}.", cls)
            values.append(float(v))
        arr = _array(values, dtype=_float64)
    else:
        if isinstance(got, Opaque) or isinstance(got, (str, dict)):
            return _fail("type", f"{where} should be a number or an array of numbers; it returned "
                         f"{_type_name(got)}.", cls)
        try:
            arr = _array(got, dtype=_float64)
        except (TypeError, ValueError):
            return _fail("type", f"{where} should be a number or an array of numbers; it returned "
                         f"{_type_name(got)}.", cls)
        if spec.floats and _dtype_kind(got) in "biu":
            kind = "booleans" if _dtype_kind(got) == "b" else "integers"
            return _fail("dtype", f"{where} returned {kind}; it should return floats. Convert with "
                         ".astype(float), or compute with floats (np.maximum(z, 0.0), (z > 0) * 1.0).", cls)
        shape = np.shape(expected)
        if arr.shape != shape:
            if arr.shape == () and shape:
                return _fail("scalar_only", f"{where} returned one number for an input of shape {shape}. "
                             f"Your {spec.name} works on one number but not on an array: use numpy, entry "
                             "by entry (np.exp, np.maximum(z, 0.0), np.where(...)).", cls)
            return _fail("shape", f"{where} has shape {arr.shape}; shape {shape} was expected."
                         + _shape_hint(arr.shape, shape), cls)
    if not bool(_all(_isfinite(arr))):
        return _fail("not_finite", f"{where} contains NaN or infinity; a stable computation stays "
                     "finite.", cls)
    return arr


def _dtype_kind(value):
    if isinstance(value, bool):
        return "b"
    if isinstance(value, int):
        return "i"
    if isinstance(value, np.ndarray):
        return value.dtype.kind
    if isinstance(value, (list, tuple)) and value:
        return "".join(sorted({_dtype_kind(v) for v in value}))[:1] if all(
            _dtype_kind(v) == _dtype_kind(value[0]) for v in value) else "f"
    return "f"


def _type_name(value):
    if isinstance(value, Opaque):
        return f"a {value.type_name}"
    return f"a {type(value).__name__}" if value is not None else "None"


def _shape_hint(got, expected):
    if len(got) == 2 and got == expected[::-1]:
        return " It looks transposed."
    if len(got) == len(expected) + 1 and 1 in got:
        return " There is an extra axis of length 1."
    if len(got) + 1 == len(expected):
        return " An axis is missing: did you sum over an axis you should have kept?"
    return ""


def _as_array(spec, value):
    if spec.keys is not None:
        return _array([float(value[k]) for k in spec.keys], dtype=_float64)
    return _array(value, dtype=_float64)


def _nice(x):
    for den in (1, 2, 3, 4):
        num = round(x * den)
        if num != 0 and abs(x * den - num) <= 1e-6 * max(1.0, abs(x * den)):
            return f"{num}" if den == 1 else f"{num}/{den}"
    return f"{x:.3g}"


def _diagnose(spec, got, expected):
    """A kind and a sentence for a wrong result no probe explains (never the expected numbers)."""
    nonzero = _abs(expected) > spec.tolerance.atol + 1e-300
    if bool(np.any(nonzero)):
        ratios = got[nonzero] / expected[nonzero]
        ratio = float(_median(ratios))
        constant = bool(_all(_abs(ratios - ratio) <= 1e-6 * max(1.0, abs(ratio)))) and bool(
            _all(_abs(got[~nonzero]) <= spec.tolerance.atol + 1e-12))
        if constant and abs(ratio + 1.0) <= 1e-6:
            return "sign", "The sign is flipped: every entry has the opposite sign."
        if constant and abs(ratio) <= 1e-12:
            return "wrong", "Every entry is 0: is a factor missing, or is the result never computed?"
        if constant:
            return "constant_factor", f"It is off by a constant factor: every entry is {_nice(ratio)} times the right value."
    bad = ~(_abs(got - expected) <= spec.tolerance.atol + spec.tolerance.rtol * _abs(expected))
    if spec.keys is not None:
        wrong = [k for k, b in zip(spec.keys, bad.ravel()) if b]
        right = [k for k, b in zip(spec.keys, bad.ravel()) if not b]
        text = f"Wrong: {', '.join(wrong)}" + (f"; right: {', '.join(right)}." if right else ".")
        return "wrong", text
    if got.size == 1:
        return "wrong", f"It is not within the tolerance ({spec.tolerance.name})."
    return "wrong", (f"{int(bad.sum())} of {bad.size} entries are wrong (tolerance: "
                     f"{spec.tolerance.name}), the first at index "
                     f"{tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), bad.shape))}.")


def _run_function(spec, learner, rng):
    if not learner.has(spec.name):
        raise LearnerMissing(spec.name)
    cases = list(spec.cases(rng))
    records = []  # (case, the learner's array, the expected array) for every case with a readable result
    first_wrong = None
    for case in cases:
        failure = None
        where = _where(spec, case)
        expected = to_plain(spec.reference(*resolve(case.args), **resolve(case.kwargs)))
        before = {b.name: learner.calls(b.name) for b in spec.budget}
        try:
            got = learner.call(spec.name, *case.args, **case.kwargs)
        except LearnerRaised as exc:
            failure = learner_error(spec.name, exc, where, case.cls)
        else:
            failure = _after_call(spec, learner, before, where, case)
            if failure is None:
                arr = _read_result(spec, got, expected, where, case)
                failure = arr if isinstance(arr, Outcome) else None
        if failure is not None:
            if first_wrong is None:
                return failure
            break  # a wrong value came first: it is the one to explain
        want = _as_array(spec, expected)
        records.append((case, arr, want))
        if first_wrong is None and not spec.tolerance.close(arr, want):
            first_wrong = len(records) - 1
    if first_wrong is None:
        classes = list(dict.fromkeys(c.cls for c in cases))
        title = spec.title or spec.name
        return Outcome(True, "ok", f"{title}: right on {len(cases)} cases ({', '.join(classes)}).")
    case, arr, want = records[first_wrong]
    head = f"{_where(spec, case)} is not right ({case.cls})."
    probe = _matching_probe(spec, records, first_wrong)
    if probe is not None:
        return _fail(probe.kind, f"{head}\n{probe.message}", case.cls)
    kind, why = _diagnose(spec, arr, want)
    why = f"{why} {case.hint}" if case.hint else why
    return _fail(kind, f"{head}\n{why}", case.cls)


def _after_call(spec, learner, before, where, case):
    """What the call did besides returning: modified inputs, too many calls, forbidden warnings."""
    info = learner.last_call()
    if info.mutated:
        return _fail("mutated", f"{where} modified its input array; compute a new array instead "
                     "of changing the one passed in.", case.cls)
    for b in spec.budget:
        used = learner.calls(b.name) - before[b.name] - (1 if b.name == spec.name else 0)
        if used > b.at_most:
            return _fail("budget", f"{where} called {b.name} {used} times. {b.message}", case.cls)
    if spec.silent and any(category == "RuntimeWarning" for category, _ in info.warnings):
        message = next(m for c, m in info.warnings if c == "RuntimeWarning")
        return _fail("warning", f"{where} warned ({message}). {spec.silent}", case.cls)
    return None


def _matching_probe(spec, records, wrong_at):
    """The first probe whose output equals the learner's on every case, and differs from the reference where it failed."""
    for probe in spec.probes:
        try:
            values = [_as_array(spec, to_plain(probe.wrong(*resolve(c.args), **resolve(c.kwargs))))
                      for c, _, _ in records]
        except Exception:  # noqa: BLE001 - a probe that does not apply to these cases
            continue
        if any(v.shape != a.shape for v, (_, a, _) in zip(values, records)):
            continue
        if all(spec.tolerance.close(a, v) for v, (_, a, _) in zip(values, records)) and not spec.tolerance.close(
                values[wrong_at], records[wrong_at][2]):
            return probe
    return None


# ---------------------------------------------------------------------------------------------
# typed answers


def _read_text(spec, learner):
    if not learner.has(spec.name):
        raise LearnerMissing(spec.name)
    text = learner.value(spec.name)
    if text is None or text == "" or (isinstance(text, str) and text.strip() in ("...", "")):
        return _fail("not_written", f"`{spec.name}` is not written yet: set it to your answer, typed as a "
                     "string in quotes")
    if isinstance(text, Opaque) and text.type_name == "ellipsis":
        return _fail("not_written", f"`{spec.name}` is not written yet: set it to your answer, typed as a "
                     "string in quotes")
    return text


def read_typed(spec, answer):
    """How ``spec`` reads a typed answer: the SymPy expression (LaTeX in Jupyter), or ``None`` after
    printing why it cannot be read (never a traceback: for the notebooks' "see your answer" cells).
    """
    if not isinstance(answer, str):
        print(f"Type the answer as a string (in quotes); got {_type_name(answer)}.")
        return None
    try:
        return _parse(answer, spec)
    except _symbolic.AnswerFormatError as exc:
        hint = f" {spec.format_hint}" if getattr(spec, "format_hint", "") else ""
        print(f"Cannot read {answer!r}: {str(exc).rstrip('.')}.{hint}")
        return None


def parse_typed(text, spec):
    """Read a typed answer as ``spec`` does: its aliases, variables and definitions (never run).

    Raises :class:`course_pkg.symbolic.AnswerFormatError` when the text cannot be read.
    """
    return _parse(text, spec)


def _parse(text, spec):
    """Parse one typed expression with the exercise's variables and definitions substituted."""
    import sympy

    for letter, name in sorted(getattr(spec, "aliases", ()), key=lambda a: -len(a[0])):
        text = text.replace(letter, f" {name} ")
    expr = _symbolic.parse_answer(text, variables=list(spec.variables), derivatives=getattr(spec, "derivatives", None))
    if getattr(spec, "definitions", ()):
        symbols = {s.name: s for s in expr.free_symbols}
        defs = {symbols[name]: _symbolic.parse_answer(value, variables=list(spec.variables))
                for name, value in spec.definitions if name in symbols}
        # definitions may refer to symbols with the assumptions of the answer's symbols
        expr = expr.xreplace(defs)
        rename = {s: symbols[s.name] for s in expr.free_symbols if s.name in symbols and s != symbols[s.name]}
        expr = expr.xreplace(rename) if rename else expr
    return sympy.sympify(expr)


def _values_at(exprs, points):
    """Every expression's value at every point (inside the worker): floats, None where undefined.

    Evaluated by :func:`course_pkg.symbolic.numeric.evaluate` (mpmath, no ``eval``), with the
    course's convention :math:`H(0) = 0`.
    """
    import mpmath
    import sympy

    from course_pkg.symbolic.numeric import BadPoint, evaluate

    out = []
    for expr in exprs:
        expr = expr.replace(sympy.Heaviside, lambda arg, *rest: sympy.Heaviside(arg, 0))
        symbols = {s.name: s for s in expr.free_symbols}
        row = []
        for point in points:
            try:
                value, _ = evaluate(expr, {s: mpmath.mpf(point[n]) for n, s in symbols.items()})
                value = complex(value)
            except (BadPoint, KeyError, TypeError, ValueError, ArithmeticError):
                value = complex("nan")
            row.append(value.real if abs(value.imag) <= 1e-12 and value == value else None)
        out.append(row)
    return out


def _evaluate(exprs, points):
    from course_pkg.symbolic import worker

    try:
        return worker.run(__name__, "_values_at", (list(exprs), list(points)), timeout=EVALUATION_TIME_LIMIT)
    except (worker.WorkerTimeout, worker.WorkerError):
        return None


def _matches(tolerance, values, targets):
    return all(v is not None and t is not None and abs(v - t) <= tolerance.atol + tolerance.rtol * abs(t)
               for v, t in zip(values, targets))


def _no_leak(message, expected_texts):
    """Drop any sentence that shows the expected expression (or most of it), and expected values."""
    squeeze = lambda s: "".join(s.split())  # noqa: E731
    message = _re.sub(r"\s*\([^()]*expected[^()]*\)", "", message)
    kept = [s for s in message.split(". ") if not any(t and squeeze(t) in squeeze(s) for t in expected_texts)]
    return ". ".join(kept).strip()


def _run_formula(spec, learner, rng):
    text = _read_text(spec, learner)
    if isinstance(text, Outcome):
        return text
    display = spec.display or spec.name
    if not isinstance(text, str):
        return _fail("type", f"{display}: type the answer as a string (in quotes), such as \"3*x**2\"; "
                     f"got {_type_name(text)}. The checker reads text, so that it never runs code.")
    head = f"{display}: your answer {text!r}"
    try:
        answer = _parse(text, spec)
    except _symbolic.AnswerFormatError as exc:
        hint = f" {spec.format_hint}" if spec.format_hint and "is not a variable" in str(exc) else ""
        return _fail("format", f"{head} cannot be read: {str(exc).rstrip('.')}.{hint}")
    names = {s.name for s in answer.free_symbols}
    for forbidden, message in spec.off_path:
        if names & set(forbidden):
            return _fail("off_path", f"{head} is not right.\n{message}")
    cases = list(spec.cases(rng))
    points = [dict(c.kwargs) for c in cases]
    targets = [float(spec.numeric(**point)) for point in points]
    values = _evaluate([answer], points)
    if values is None:
        return _fail("timeout", f"{head}: the checker could not evaluate it in time; simplify it and try again.")
    numeric_ok = _matches(spec.tolerance, values[0], targets)
    failing = next((c.cls for c, v, t in zip(cases, values[0], targets)
                    if not _matches(spec.tolerance, [v], [t])), None)

    def probe_named():
        probe_values = _evaluate([_parse(probe_answer(spec, probe), spec) for probe in spec.probes], points) or []
        for probe, row in zip(spec.probes, probe_values):
            if _matches(spec.tolerance, values[0], row) and not _matches(spec.tolerance, row, targets):
                return _fail(probe.kind, f"{head} is not right.\n{probe.message}", failing)
        return None

    if not numeric_ok:  # a named misconception needs no symbolic diagnosis
        named = probe_named()
        if named is not None:
            return named
    expected = _parse(expected_text(spec), spec)
    verdict = _symbolic.equivalent(answer, expected, variables=list(spec.variables), derivatives=spec.derivatives)
    if verdict.kind == "timeout":
        return _fail("timeout", f"{head}: {verdict.message}")
    if verdict.ok and numeric_ok:
        classes = list(dict.fromkeys(c.cls for c in cases))
        return Outcome(True, "ok", f"{display} = {text}: right, and it agrees with finite differences "
                       f"on {len(cases)} cases ({', '.join(classes)}).")
    if numeric_ok:  # right at the case points, wrong elsewhere in the domain
        named = probe_named()
        if named is not None:
            return named
    if verdict.ok:  # symbolically right but not at a case point: a convention (g'(0)) or a trap
        return _fail("wrong", f"{head} is not right in the case {failing!r}.", failing)
    expected_texts = [expected_text(spec), _symbolic.to_text(expected), str(expected)]
    if verdict.factor is not None and verdict.kind in ("missing_factor", "extra_factor"):
        factor_text = _symbolic.to_text(verdict.factor)
        if len(factor_text) * 2 >= len(_symbolic.to_text(expected)):
            expected_texts.append(factor_text)
    message = _no_leak(verdict.message, expected_texts)
    kind = verdict.kind if verdict.kind in KINDS and verdict.kind != "equivalent" else "wrong"
    lines = [f"{head} is not right.", message or "It differs from the right answer."]
    if spec.hint and kind not in ("constant_factor", "sign", "additive_constant", "missing_factor", "extra_factor"):
        lines.append(spec.hint)
    return _fail(kind, "\n".join(lines), failing)


# ---------------------------------------------------------------------------------------------
# derivations


def _functions_in(expr):
    import sympy

    names = {type(f).__name__ for f in expr.atoms(sympy.Function)}
    if any(isinstance(p, sympy.Pow) and p.base == sympy.E for p in expr.atoms(sympy.Pow)):
        names.add("exp")
    return names


#: How a failed :func:`course_pkg.symbolic.check_derivation` verdict is reported (other kinds: "step").
_DERIVATION_KINDS = {"first_step": "first_step", "too_few_steps": "too_few_steps",
                     "too_many_steps": "too_many_steps", "format": "format", "timeout": "timeout"}


def _run_derivation(spec, learner, rng):
    steps = _read_text(spec, learner)
    if isinstance(steps, Outcome):
        return steps
    display = spec.display or spec.name
    if isinstance(steps, str) or not isinstance(steps, (list, tuple)):
        return _fail("type", f"{spec.name} should be a list of strings, one line of the derivation "
                     f"each; it is {_type_name(steps)}.")
    for i, step in enumerate(steps):
        if not isinstance(step, str):
            return _fail("type", f"Step {i} should be a string such as \"1 - tanh(z)**2\"; it is "
                         f"{_type_name(step)}.")
    if not steps:
        return _fail("too_few_steps", f"{spec.name} is empty: write the derivation, one line per string.")
    steps = list(steps)
    verdict = _symbolic.check_derivation(steps, variables=list(spec.variables), first=spec.first,
                                         min_steps=spec.min_steps, max_steps=spec.max_steps,
                                         derivatives=spec.derivatives)
    if not verdict.ok:
        kind = _DERIVATION_KINDS.get(verdict.kind, "step")
        i = verdict.failed_step
        named = i is not None and i < len(steps) and kind not in ("too_few_steps", "too_many_steps")
        typed = f"Step {i}, as you typed it: {steps[i]!r}\n" if named else ""
        later = f" Steps {i + 1} and after are not checked yet." if named and i + 1 < len(steps) else ""
        return _fail(kind, f"{typed}{verdict.message}{later}")
    parsed = [_parse(step, spec) for step in steps]
    left = _functions_in(parsed[-1]) & set(spec.unfinished)
    if left:
        return _fail("unfinished", f"The last step, {steps[-1]!r}, is right but not finished: end at a form "
                     f"without {', '.join(sorted(left))}.")
    cases = list(spec.cases(rng))
    points = [dict(c.kwargs) for c in cases]
    values = _evaluate(parsed, points)
    if values is None:
        return _fail("timeout", "The derivation could not be evaluated in time; simplify its lines.")
    targets = [float(spec.numeric(**p)) for p in points]
    for i, row in enumerate(values):
        for case, v, t in zip(cases, row, targets):
            if not _matches(spec.tolerance, [v], [t]):
                return _fail("wrong", f"Step {i}, {steps[i]!r}, is not the slope measured by finite "
                             f"differences in the case {case.cls!r}.", case.cls)
    return Outcome(True, "ok", f"{display}: every line follows from the one before ({len(steps)} lines), "
                   f"from {spec.first_text} to {steps[-1].strip()}, and each agrees with finite "
                   f"differences on {len(cases)} cases.")


# ---------------------------------------------------------------------------------------------
# the notebook side


def notebook_check(specs_by_id):
    """Build a spec module's ``check(grade_id, *objects, hidden=False)`` for its notebook.

    ``objects`` are the learner's objects the spec reads, in the order of ``spec.names``; the
    rest of the notebook's namespace (the caller's globals) comes along, so that calls among the
    learner's functions are counted. Prints ``✔ ...`` on success and raises :class:`CheckFailed`
    on failure.
    """
    from sys import _getframe

    from ._core import module_functions
    from .learner import InProcessLearner

    def check(grade_id, *objects, hidden=False, seed=None):
        if grade_id not in specs_by_id:
            raise ValueError(f"grade_id must be one of {sorted(specs_by_id)}; got {grade_id!r}")
        spec = specs_by_id[grade_id]
        namespace = dict(_getframe(1).f_globals)
        namespace.update(zip(spec.names, objects))
        learner = InProcessLearner(namespace, forbid=module_functions(spec.forbid))
        outcome = run(spec, learner, hidden=hidden, seed=seed)
        if not outcome.passed:
            raise CheckFailed(outcome)
        print(f"✔ {outcome.message}")

    check.__doc__ = (
        "Run the check of the test cell ``grade_id`` on your objects: prints ✔ or fails with what "
        "to fix.\n\n``hidden=True`` runs the hidden tests (the same case classes, other numbers).")
    return check
