r"""The learner's side of a check, seen only through plain data.

The exercise engine (:mod:`course_pkg.checks.engine`) never touches a learner's objects: it asks a
:class:`Learner` for values and calls, and gets *plain data* back. The same specs then run in the
notebook (:class:`InProcessLearner`, the self-checks) and in the trusted grader, whose
``SandboxLearner`` (:mod:`course_pkg.grading`) runs the learner's code in another process.

Plain data
    ``None``, ``bool``, ``int``, ``float``, ``str``, ``list``, ``tuple``, ``dict`` with ``str``
    keys, numpy arrays of bool/int/float, and :class:`Opaque` (what stands for anything else a
    learner's code returned: only its type name crosses). A callable argument (the ``f`` of
    ``central_difference(f, x)``) crosses as :class:`Named`, resolved on both sides from the one
    fixed table :data:`NAMED`.

The protocol (:class:`Learner`)
    ``has(name) -> bool``; ``value(name)`` -> plain data; ``call(name, *args, **kwargs)`` -> plain
    data; ``calls(name) -> int``, how many times the learner's top-level function ``name`` has
    been called so far (by the checker or by the learner's own code: "the backprop way" counts
    the calls of ``forward`` made by ``backward``); ``last_call() -> CallInfo``, what the last
    call did besides returning (the warnings it raised, the arguments it modified).
    Errors: :class:`LearnerRaised` (the learner's code raised; ``exc_type`` and ``message`` as
    strings), :class:`LearnerTimeout`, :class:`LearnerMissing`.

:func:`call_plain` does one call the way every learner must (arguments resolved and copied,
warnings recorded and never raised, modified arguments noted, the result made plain): a
sandbox runs it on its side and ships its :class:`CallInfo` and result back.

Examples
--------
>>> def double(x):
...     return 2 * x
>>> learner = InProcessLearner({"double": double})
>>> learner.call("double", 3.0), learner.calls("double")
(6.0, 1)
>>> learner.call("triple", 1.0)
Traceback (most recent call last):
...
course_pkg.checks.learner.LearnerMissing: triple
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from types import FunctionType
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "Learner",
    "InProcessLearner",
    "Named",
    "NAMED",
    "Opaque",
    "CallInfo",
    "LearnerError",
    "LearnerRaised",
    "LearnerTimeout",
    "LearnerMissing",
    "call_plain",
    "to_plain",
    "resolve",
]

_ndarray = np.ndarray
_array_equal = np.array_equal
_asarray = np.asarray
#: Modules whose functions :class:`InProcessLearner` never wraps to count calls.
_LIBRARIES = ("course_pkg", "numpy", "sympy", "math", "builtins")


# ---------------------------------------------------------------------------------------------
# errors


class LearnerError(Exception):
    """Base of what a learner's call can end with instead of a result."""


class LearnerRaised(LearnerError):
    """The learner's code raised: its exception type name and message, as strings.

    ``exc_type`` ``"ReferenceUsed"`` means the code called a reference implementation the
    exercise forbids (the message names it).

    >>> LearnerRaised("ZeroDivisionError", "division by zero").exc_type
    'ZeroDivisionError'
    """

    def __init__(self, exc_type: str, message: str):
        super().__init__(exc_type, message)
        self.exc_type = str(exc_type)
        self.message = str(message)

    def __str__(self):
        return f"{self.exc_type}: {self.message}" if self.message else self.exc_type


class LearnerTimeout(LearnerError):
    """The learner's code did not return within the time limit."""


class LearnerMissing(LearnerError):
    """The learner's namespace has no ``name`` (the cell defining it did not run, or it is renamed)."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = str(name)

    def __str__(self):
        return self.name


# ---------------------------------------------------------------------------------------------
# plain data


@dataclass(frozen=True)
class Named:
    """A callable argument by name, resolved from :data:`NAMED` on each side.

    >>> resolve(Named("cube"))(2.0)
    8.0
    """

    name: str

    def __post_init__(self):
        if self.name not in NAMED:
            raise ValueError(f"Named(name) must be one of {sorted(NAMED)}; got {self.name!r}")

    def __str__(self):
        return _NAMED_TEXT.get(self.name, self.name)


@dataclass(frozen=True)
class Opaque:
    """Stands for a value that is not plain data (only its type name crosses).

    >>> to_plain(object())
    Opaque(type_name='object')
    """

    type_name: str


def _cube(x):
    return x * x * x


def _quartic(x):
    return x * x * x * x


#: The callables a check may pass to a learner's function, by name (the same on both sides).
NAMED = {
    "cube": _cube,
    "quartic": _quartic,
    "sin": np.sin,
    "cos": np.cos,
    "exp": np.exp,
    "tanh": np.tanh,
}
#: How messages show each named callable.
_NAMED_TEXT = {"cube": "x³", "quartic": "x⁴", "sin": "np.sin", "cos": "np.cos", "exp": "np.exp",
               "tanh": "np.tanh"}


def resolve(value):
    """Replace every :class:`Named` in ``value`` (recursively) by its callable from :data:`NAMED`."""
    if isinstance(value, Named):
        return NAMED[value.name]
    if isinstance(value, _ndarray):
        return value.copy()
    if isinstance(value, list):
        return [resolve(v) for v in value]
    if isinstance(value, tuple):
        return tuple(resolve(v) for v in value)
    if isinstance(value, dict):
        return {k: resolve(v) for k, v in value.items()}
    return value


def to_plain(value, _depth=0):
    """``value`` as plain data: numpy scalars become Python numbers, anything else :class:`Opaque`.

    >>> to_plain({"a": np.float64(1.5), "b": [np.int64(2), (True, None)]})
    {'a': 1.5, 'b': [2, (True, None)]}
    >>> to_plain(np.array([1, 2])).dtype.kind
    'i'
    """
    if _depth > 20:
        return Opaque(type(value).__name__)
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, np.generic):
        if value.dtype.kind == "b":
            return bool(value)
        if value.dtype.kind in "iu":
            return int(value)
        if value.dtype.kind == "f":
            return float(value)
        return Opaque(type(value).__name__)
    if isinstance(value, _ndarray):
        if value.dtype.kind in "biuf":
            return np.array(value, copy=True)
        return Opaque(f"ndarray of dtype {value.dtype}")
    if isinstance(value, list):
        return [to_plain(v, _depth + 1) for v in value]
    if isinstance(value, tuple):
        return tuple(to_plain(v, _depth + 1) for v in value)
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: to_plain(v, _depth + 1) for k, v in value.items()}
        return Opaque("dict with non-string keys")
    return Opaque(type(value).__name__)


@dataclass(frozen=True)
class CallInfo:
    """What a call did besides returning.

    Attributes
    ----------
    warnings : tuple of (str, str)
        ``(category name, message)`` of every warning raised during the call (recorded, never
        raised: a warning never costs points unless a spec asks for silence).
    mutated : tuple of int
        Positions of the array arguments the call modified.
    """

    warnings: tuple = ()
    mutated: tuple = ()


def call_plain(func, args=(), kwargs=None, *, name="the function"):
    """Call ``func`` on resolved copies of plain ``args``; return ``(plain result, CallInfo)``.

    Warnings are recorded (never raised, whatever filters the learner set); numpy floating-point
    problems warn rather than raise; ``NotImplementedError`` and every other exception become
    :class:`LearnerRaised` (for ``NotImplementedError`` the message is the name of the learner's
    function whose stub raised, so that the engine names it).

    >>> call_plain(lambda x: x.sum(), (np.array([1.0, 2.0]),))
    (3.0, CallInfo(warnings=(), mutated=()))
    >>> def mutate(x):
    ...     x[0] = 9.0
    ...     return x
    >>> call_plain(mutate, (np.array([1.0]),))[1].mutated
    (0,)
    >>> def mutate_list(weights):
    ...     weights[1] -= 1.0
    ...     return weights
    >>> call_plain(mutate_list, ([np.zeros(2), np.ones(2)],))[1].mutated
    (0,)
    """
    kwargs = dict(kwargs or {})
    if not callable(func):
        raise LearnerRaised("TypeError", f"{name} is a {type(func).__name__}, not a function")
    copies = [resolve(a) for a in args]
    kw_copies = {k: resolve(v) for k, v in kwargs.items()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(all="warn", under="ignore"):
            try:
                result = func(*copies, **kw_copies)
            except NotImplementedError as exc:
                raise LearnerRaised("NotImplementedError", _stub_name(exc, func) or str(exc)) from None
            except RecursionError:
                raise LearnerRaised("RecursionError", "maximum recursion depth exceeded") from None
            except Exception as exc:  # the learner's bug, reported as data
                raise LearnerRaised(type(exc).__name__, str(exc)[:300]) from None
    mutated = tuple(i for i, (a, c) in enumerate(zip(args, copies)) if not _same(a, c))
    info = CallInfo(
        warnings=tuple((w.category.__name__, str(w.message)[:200]) for w in caught),
        mutated=mutated,
    )
    return to_plain(result), info


def _stub_name(exc, func):
    """The learner's function whose stub raised (``backward`` calling an unwritten ``forward``)."""
    while getattr(func, "__wrapped__", None) is not None:  # a call counter around the learner's function
        func = func.__wrapped__
    namespace = getattr(func, "__globals__", None)
    name, tb = None, exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if tb.tb_frame.f_globals is namespace and code.co_name.isidentifier():
            name = None if code is getattr(func, "__code__", None) else code.co_name
        tb = tb.tb_next
    return name


def _same(original, passed):
    """Whether the learner's copy ``passed`` still equals ``original``: every array in it, at any
    depth (a list of weight matrices too), has its shape and values; anything else counts as same."""
    if isinstance(original, _ndarray):
        return isinstance(passed, _ndarray) and passed.shape == original.shape and bool(
            _array_equal(original, passed, equal_nan=original.dtype.kind == "f"))
    if isinstance(original, (list, tuple)):
        return (isinstance(passed, (list, tuple)) and len(passed) == len(original)
                and all(_same(o, p) for o, p in zip(original, passed)))
    if isinstance(original, dict):
        return isinstance(passed, dict) and all(_same(v, passed.get(k)) for k, v in original.items())
    return True


# ---------------------------------------------------------------------------------------------
# the protocol and the in-process learner


@runtime_checkable
class Learner(Protocol):
    """What the engine may ask of a learner (all answers are plain data)."""

    def has(self, name: str) -> bool: ...

    def value(self, name: str) -> Any: ...

    def call(self, name: str, *args, **kwargs) -> Any: ...

    def calls(self, name: str) -> int: ...

    def last_call(self) -> CallInfo: ...


class InProcessLearner:
    """A learner whose code lives in this process: the notebook's namespace.

    Parameters
    ----------
    namespace : mapping
        Names to objects, usually the notebook's globals (possibly with some names overridden).
    forbid : iterable of plain Python functions, optional
        Reference implementations switched off while the learner's code runs
        (:class:`course_pkg.checks._core.forbid_reference`); calling one ends the call with
        ``LearnerRaised("ReferenceUsed", ...)``.

    While a call runs, every plain function of ``namespace`` that its module's globals also bind
    under that name is wrapped, so that :meth:`calls` counts the calls the learner's code makes
    to it (``backward`` calling ``forward``); the originals are put back afterwards.
    """

    def __init__(self, namespace, *, forbid=()):
        self._namespace = namespace
        self._forbid = tuple(forbid)
        self._counts = {}
        self._last = CallInfo()

    def has(self, name):
        return name in self._namespace

    def value(self, name):
        if name not in self._namespace:
            raise LearnerMissing(name)
        return to_plain(self._namespace[name])

    def calls(self, name):
        return self._counts.get(name, 0)

    def last_call(self):
        return self._last

    def call(self, name, *args, **kwargs):
        if name not in self._namespace:
            raise LearnerMissing(name)
        func = self._namespace[name]
        from ._core import forbid_reference  # noqa: PLC0415 - _core imports nothing from here

        installed = self._install_counters()
        try:
            with forbid_reference(*self._forbid, label=f"your {name}") as guard:
                try:
                    self._count(name)
                    result, self._last = call_plain(func, args, kwargs, name=name)
                except LearnerRaised:
                    if guard.recorder.called:
                        raise LearnerRaised("ReferenceUsed", guard.recorder.message()) from None
                    raise
                if guard.recorder.called:  # the learner's code caught the tripwire's error
                    raise LearnerRaised("ReferenceUsed", guard.recorder.message())
        except AssertionError as exc:  # forbid_reference.verify on exit
            raise LearnerRaised("ReferenceUsed", str(exc)) from None
        finally:
            for globals_, attr, original in reversed(installed):
                globals_[attr] = original
        return result

    def _count(self, name):
        self._counts[name] = self._counts.get(name, 0) + 1

    def _install_counters(self):
        installed = []
        for attr, obj in list(self._namespace.items()):
            if not isinstance(obj, FunctionType) or attr.startswith("_"):
                continue
            if str(getattr(obj, "__module__", "")).startswith(_LIBRARIES):
                continue  # the course's and numpy's functions are counted nowhere, never patched
            globals_ = obj.__globals__
            if globals_.get(attr) is not obj:
                continue
            installed.append((globals_, attr, obj))
            globals_[attr] = _counting(obj, attr, self._count)
        return installed


def _counting(func, attr, count):
    def counted(*args, **kwargs):
        count(attr)
        return func(*args, **kwargs)

    counted.__name__ = func.__name__
    counted.__qualname__ = func.__qualname__
    counted.__doc__ = func.__doc__
    counted.__wrapped__ = func
    return counted


