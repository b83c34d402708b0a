"""What every checker shares: hard-to-fool comparisons with feedback a learner can act on.

A checker is called from an nbgrader test cell. nbgrader scores a cell that raises as 0 and any
other cell as full marks, so the contract is:

* on failure, raise :class:`AssertionError` whose message says what was expected, what came and
  the likely misconception;
* on success, print one short line (:func:`passed`) and return ``None``;
* never write to stderr.

The numpy functions the comparisons rely on are bound here, when the module is imported, so a
learner who later patches ``np.allclose`` (or ``np.asarray``) changes nothing the checker sees.

The checkers run in the learner's kernel, so a learner could also replace a checker itself
(``checks.check_sigmoid = lambda *a, **k: print("✔")``). Every checker module therefore calls
:func:`seal` when it is imported, and the hidden part of every graded test cell starts with
:func:`assert_untampered`, which fails if anything recorded was replaced since (see its docstring
for what it stops and what it cannot).
"""

import sys as _sys
from importlib import import_module as _import_module
from sys import _getframe
from types import FunctionType as _FunctionType
from types import ModuleType as _ModuleType

import numpy as np

# Bound once at import: later monkey-patching of numpy does not reach the checkers.
_asarray = np.asarray
_array = np.array
_isfinite = np.isfinite
_abs = np.abs
_max = np.max
_all = np.all
_any = np.any
_maximum = np.maximum
_median = np.median
_float64 = np.float64
_ndarray = np.ndarray
_array_equal = np.array_equal
_default_rng = np.random.default_rng
_argmax = np.argmax
_unravel_index = np.unravel_index
_array2string = np.array2string

#: Relative and absolute tolerance for "this is the same number" in float64 comparisons.
RTOL = 1e-6
ATOL = 1e-9
#: How close a ratio must be to a constant to be called "off by a constant factor".
RATIO_TOL = 1e-6


def module_functions(module_names):
    """Every plain function (no closure) defined in the modules ``module_names``, for :class:`forbid_reference`.

    >>> any(f.__name__ == "numerical_gradient" for f in module_functions(("course_pkg.gradcheck",)))
    True
    """
    functions = []
    for name in module_names:
        module = _import_module(name)
        functions += [
            obj for obj in vars(module).values()
            if isinstance(obj, _FunctionType) and obj.__module__ == module.__name__ and not obj.__closure__
        ]
    return tuple(functions)


def passed(message):
    """Print the one short line a checker prints on success.

    >>> passed("sigmoid is stable at z = ±1e4")
    ✔ sigmoid is stable at z = ±1e4
    """
    print(f"✔ {message}")


def rng(seed):
    """The checker's own random generator (never the global numpy state)."""
    return _default_rng(seed)


def as_learner_array(result, name, shape=None):
    """Convert a learner's result to a float64 array, or fail with a message that says why.

    Parameters
    ----------
    result : object
        What the learner's code returned.
    name : str
        How to call it in the message, e.g. ``"sigmoid(z)"``.
    shape : tuple of int, optional
        The exact shape expected; a mismatch fails (no broadcasting, no squeezing).

    Returns
    -------
    ndarray of float64
        A fresh array (the learner's object is never kept or mutated).

    Raises
    ------
    AssertionError
        If ``result`` is ``None``, not numeric, has the wrong shape or holds NaN/inf.

    Examples
    --------
    >>> as_learner_array([1, 2], "f(x)", shape=(2,))
    array([1., 2.])
    >>> as_learner_array(None, "f(x)")
    Traceback (most recent call last):
    ...
    AssertionError: f(x) returned None: did the function forget to `return` its result?
    """
    if result is None:
        raise AssertionError(
            f"{name} returned None: did the function forget to `return` its result?"
        )
    try:
        arr = _array(result, dtype=_float64, copy=True)
    except (TypeError, ValueError, OverflowError) as exc:
        raise AssertionError(
            f"{name} should be a number or an array of numbers, "
            f"but it is a {type(result).__name__} that cannot be read as one ({exc})."
        ) from None
    if shape is not None and arr.shape != tuple(shape):
        raise AssertionError(
            f"{name} has shape {arr.shape}, but shape {tuple(shape)} was expected."
            + _shape_hint(arr.shape, tuple(shape))
        )
    if not _all(_isfinite(arr)):
        raise AssertionError(
            f"{name} contains NaN or infinity; a numerically stable computation stays finite."
        )
    return arr


def _shape_hint(got, expected):
    if len(got) == 2 and got == expected[::-1]:
        return " It looks transposed."
    if sorted(got) == sorted(expected):
        return " The axes are in the wrong order."
    if got == () and expected != ():
        return " A single number came back where an array was expected: did you sum or average too early?"
    if len(got) == len(expected) + 1 and 1 in got:
        return " There is an extra axis of length 1."
    if len(got) + 1 == len(expected):
        return " An axis is missing: did you sum over an axis you should have kept?"
    return ""


def diagnose(got, expected):
    """Name the likely mistake when ``got`` is not ``expected`` (same shapes), or return ``""``.

    Recognises a sign flip, a constant factor, an additive constant and a transposition.

    >>> diagnose(np.array([2.0, -4.0]), np.array([1.0, -2.0]))
    'It is off by a factor of 2: every entry is 2 times the expected value.'
    >>> diagnose(np.array([-1.0, 2.0]), np.array([1.0, -2.0]))
    'The sign is flipped: every entry has the opposite sign.'
    """
    got = _asarray(got, dtype=_float64)
    expected = _asarray(expected, dtype=_float64)
    if got.shape != expected.shape or got.size == 0:
        return ""
    if got.ndim == 2 and got.shape[0] == got.shape[1] and _close(got, expected.T) and not _close(got, expected):
        return "It equals the expected matrix transposed: check the order of rows and columns."
    nonzero = _abs(expected) > ATOL
    if _any(nonzero):
        ratios = got[nonzero] / expected[nonzero]
        ratio = float(_median(ratios))
        if _all(_abs(ratios - ratio) <= RATIO_TOL * max(1.0, abs(ratio))) and _all(
            _abs(got[~nonzero]) <= ATOL
        ):
            if abs(ratio + 1.0) <= RATIO_TOL:
                return "The sign is flipped: every entry has the opposite sign."
            if abs(ratio) <= ATOL:
                return "Every entry is 0: is a factor missing or is the result never computed?"
            return (
                f"It is off by a factor of {_nice(ratio)}: every entry is {_nice(ratio)} times "
                "the expected value."
            )
    diff = got - expected
    shift = float(_median(diff))
    if _all(_abs(diff - shift) <= RATIO_TOL * max(1.0, abs(shift))) and abs(shift) > ATOL:
        return f"It is off by the constant {_nice(shift)} everywhere."
    return ""


def _nice(x):
    for den in (1, 2, 3, 4, 8):
        num = round(x * den)
        if num != 0 and abs(x * den - num) <= 1e-6 * max(1.0, abs(x * den)):
            return f"{num}" if den == 1 else f"{num}/{den}"
    return f"{x:.4g}"


def _close(a, b, rtol=RTOL, atol=ATOL):
    return bool(_all(_abs(a - b) <= atol + rtol * _abs(b)))


def assert_close(got, expected, name, *, rtol=RTOL, atol=ATOL, where=None, hint=None):
    """Fail with a specific message unless ``got`` equals ``expected`` within tolerance.

    Parameters
    ----------
    got : ndarray
        The learner's value, already converted by :func:`as_learner_array`.
    expected : array_like
        The value the checker computed itself.
    name : str
        What is compared, e.g. ``"sigmoid_prime(z)"``.
    where : str, optional
        The input it was evaluated at, for the message (``"at z = [0, 1, 2]"``).
    hint : str, optional
        A misconception to name when no pattern is recognised.

    >>> assert_close(np.array([1.0]), [1.0], "f(x)")
    >>> assert_close(np.array([2.0]), [1.0], "f(x)", where="at x = 0")
    Traceback (most recent call last):
    ...
    AssertionError: f(x) at x = 0 is wrong.
      expected: [1.]
      got:      [2.]
    It is off by a factor of 2: every entry is 2 times the expected value.
    """
    expected = _asarray(expected, dtype=_float64)
    if got.shape != expected.shape:
        raise AssertionError(
            f"{name} has shape {got.shape}, but shape {expected.shape} was expected."
            + _shape_hint(got.shape, expected.shape)
        )
    if _close(got, expected, rtol, atol):
        return
    worst = int(_argmax(_abs(got - expected)))
    lines = [f"{name}{' ' + where if where else ''} is wrong."]
    if got.size <= 8:
        lines += [f"  expected: {_fmt(expected)}", f"  got:      {_fmt(got)}"]
    else:
        idx = _unravel_index(worst, got.shape)
        lines += [
            f"  the largest difference is at index {tuple(int(i) for i in idx)}: "
            f"expected {expected[idx]:.6g}, got {got[idx]:.6g}"
        ]
    why = diagnose(got, expected) or (hint or "")
    if why:
        lines.append(why)
    raise AssertionError("\n".join(lines))


def _fmt(a):
    return _array2string(a, precision=6, separator=", ") if a.ndim else f"{float(a):.6g}"


def call_learner(func, *args, name=None, forbid=(), forbid_label=None):
    """Call the learner's ``func`` on copies of ``args``; turn its exceptions into feedback.

    Returns what ``func`` returned. Fails if ``func`` is not callable, raises, or modifies its
    inputs (the course's functions are pure). While it runs, the functions in ``forbid`` (the
    course's reference implementations) are switched off by :class:`forbid_reference`, whose
    message names the learner's function as ``forbid_label`` (default: ``name``).
    """
    label = name or getattr(func, "__name__", "your function")
    with forbid_reference(*forbid, label=forbid_label or label):
        if not callable(func):
            raise AssertionError(f"{label} should be a function, but it is a {type(func).__name__}.")
        copies = [a.copy() if isinstance(a, _ndarray) else a for a in args]
        try:
            result = func(*copies)
        except NotImplementedError:
            raise AssertionError(
                f"{label} is not written yet: replace `raise NotImplementedError()` with your code."
            ) from None
        except Exception as exc:  # the learner's bug, reported as feedback
            raise AssertionError(f"{label} raised {type(exc).__name__}: {exc}") from None
        for original, passed_in in zip(args, copies):
            if isinstance(original, _ndarray) and not _array_equal(original, passed_in):
                raise AssertionError(
                    f"{label} modified its input array; compute a new array instead of changing the one passed in."
                )
    return result


# ---------------------------------------------------------------------------------------------
# Anti-gaming: the course's reference implementations are off limits while a learner's code runs.

_TRIPWIRE_NAME = "__course_tripwire__"


def _tripwire(*args, **kwargs):
    # This code object is swapped into a reference function while a check runs; the global name
    # is looked up in *that* function's module, where forbid_reference() has put the recorder.
    return __course_tripwire__()  # noqa: F821


class _Recorder:
    """Records calls to a forbidden function and raises the learner-facing message."""

    def __init__(self, label):
        self.label = label
        self.called = []

    def message(self):
        return (
            f"{self.label} called the course's reference implementation {self.called[0]}(); "
            "the exercise is to write the computation yourself, with numpy."
        )

    def __call__(self):
        # The tripwire's code carries the forbidden function's name (see forbid_reference).
        self.called.append(_getframe(1).f_code.co_name)
        raise AssertionError(self.message())


class forbid_reference:
    """Context manager: while active, calling any of ``functions`` fails the check.

    Each function's code is swapped for a tripwire (restored on exit, whatever happens), so the
    reference cannot be used under any alias: ``from course_pkg.activations import sigmoid``,
    a dict that holds it, or another reference function that calls it. A learner's
    ``try``/``except`` that swallows the tripwire's error does not help either: :meth:`verify`
    (called on a clean exit) fails if the tripwire fired at all.

    Parameters
    ----------
    *functions : plain Python functions
        The reference implementations to forbid (no closures, no builtins).
    label : str
        How the message names the learner's function, e.g. ``"your sigmoid"``.

    Examples
    --------
    >>> def reference(z):
    ...     return 2 * z
    >>> with forbid_reference(reference, label="your double"):
    ...     reference(1)
    Traceback (most recent call last):
    ...
    AssertionError: your double called the course's reference implementation reference(); the exercise is to write the computation yourself, with numpy.
    >>> reference(1)
    2
    """

    def __init__(self, *functions, label="your function"):
        for func in functions:
            if not isinstance(func, _FunctionType) or func.__closure__:
                raise TypeError(
                    f"forbid_reference needs plain Python functions without closures, got {func!r}."
                )
        self.functions = functions
        self.recorder = _Recorder(label)
        self._saved = []

    def __enter__(self):
        for func in self.functions:
            module_globals = func.__globals__
            self._saved.append((func, func.__code__, module_globals, module_globals.get(_TRIPWIRE_NAME)))
            module_globals[_TRIPWIRE_NAME] = self.recorder
            func.__code__ = _tripwire.__code__.replace(co_name=func.__name__)
        return self

    def __exit__(self, exc_type, exc, tb):
        for func, code, module_globals, previous in reversed(self._saved):
            func.__code__ = code
            if previous is None:
                module_globals.pop(_TRIPWIRE_NAME, None)
            else:
                module_globals[_TRIPWIRE_NAME] = previous
        self._saved.clear()
        if exc_type is None:
            self.verify()
        return False

    def verify(self):
        """Fail if the tripwire fired, even when the learner's code caught its error."""
        if self.recorder.called:
            raise AssertionError(self.recorder.message())


# ---------------------------------------------------------------------------------------------
# Tamper detection: the hidden part of every graded test cell starts with assert_untampered().

#: The packages whose modules are followed when a checker module is sealed.
_COURSE = "course_pkg"
_CHECKS = "course_pkg.checks"
#: Libraries the reference implementations call through their module (``np.exp``): their
#: top-level functions are recorded too.
_LIBRARIES = ("numpy",)
#: How many changes the message names before it says "and N more".
_NAMED_CHANGES = 3


def _tamper_guard():
    """Build :func:`seal` and :func:`assert_untampered` around a registry only they can see."""
    modules = {}  # module name -> module object, as sealed
    records = []  # (label, namespace, name, value, function, code, defaults, kwdefaults)
    missing = object()

    def function_of(value):
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        return value if isinstance(value, _FunctionType) else None

    def record(label, namespace, name, value):
        func = function_of(value)
        kwdefaults = None
        if func is not None and func.__kwdefaults__ is not None:
            kwdefaults = tuple(func.__kwdefaults__.items())
        records.append((
            f"{label}.{name}", namespace, name, value, func,
            None if func is None else func.__code__,
            None if func is None else func.__defaults__,
            kwdefaults,
        ))

    def record_module(module):
        name = module.__name__
        everything = name == _CHECKS or name.startswith(_CHECKS + ".")
        namespace = vars(module)
        for attr, value in list(namespace.items()):
            if attr.startswith("__") and attr.endswith("__"):
                continue
            # A checker module: every binding (functions, classes, tolerances, bound numpy
            # functions). A reference module or library: what code is called through.
            if not (everything or callable(value) or isinstance(value, _ModuleType)):
                continue
            record(name, namespace, attr, value)
            if isinstance(value, type) and value.__module__ == name:
                for method, member in list(vars(value).items()):
                    if function_of(member) is not None:
                        record(f"{name}.{attr}", vars(value), method, member)

    def course_modules_used_by(module):
        """The course's modules that ``module`` imported or took functions from."""
        used = set()
        for value in list(vars(module).values()):
            if isinstance(value, _ModuleType):
                used.add(value.__name__)
            else:
                owner = getattr(value, "__module__", None) if callable(value) else None
                if isinstance(owner, str):
                    used.add(owner)
        return {n for n in used if (n == _COURSE or n.startswith(_COURSE + ".")) and n in _sys.modules}

    def seal(module_name, references=()):
        """Record a checker module, the course modules it relies on and numpy, once.

        Parameters
        ----------
        module_name : str
            The checker module, sealed at the end of its own code: ``seal(__name__, ...)``.
        references : iterable of str
            Course modules the checker imports only inside its functions (e.g.
            ``"course_pkg.symbolic"``), imported now so that they are recorded as they were
            before any learner's code ran. Modules the checker (or a recorded module) imported
            are followed automatically, and a package brings its loaded submodules.

        A module already recorded is not recorded again: sealing after a patch does not
        launder it.

        Examples
        --------
        >>> from course_pkg.checks import activations
        >>> seal(activations.__name__)  # sealed when it was imported: nothing changes
        >>> activations.assert_untampered()
        """
        pending = [module_name, *_LIBRARIES]
        for reference in references:
            _import_module(reference)
            pending.append(reference)
        while pending:
            name = pending.pop(0)
            module = _sys.modules.get(name)
            if module is None or name in modules:
                continue
            modules[name] = module
            record_module(module)
            if name.startswith(_COURSE):
                pending += sorted(course_modules_used_by(module) - set(modules))
                if hasattr(module, "__path__"):  # a package: its loaded submodules
                    pending += sorted(n for n in list(_sys.modules)
                                      if n.startswith(name + ".") and n not in modules)

    def changes():
        found = []
        for name, module in modules.items():
            if _sys.modules.get(name) is not module:
                found.append(f"sys.modules[{name!r}] was replaced")
                continue
            parent, _, child = name.rpartition(".")
            if parent in _sys.modules and vars(_sys.modules[parent]).get(child, module) is not module:
                found.append(f"{name} was replaced")
        for label, namespace, name, value, func, code, defaults, kwdefaults in records:
            current = namespace.get(name, missing)
            if current is missing:
                found.append(f"{label} was deleted")
            elif current is not value:
                found.append(f"{label} was replaced")
            elif func is not None:
                if func.__code__ is not code:
                    found.append(f"the code of {label} was replaced")
                elif func.__defaults__ is not defaults or kwdefaults_changed(func, kwdefaults):
                    found.append(f"the default arguments of {label} were changed")
        return found

    def kwdefaults_changed(func, kwdefaults):
        now = func.__kwdefaults__
        if now is None or kwdefaults is None:
            return (now is None) != (kwdefaults is None)
        return len(now) != len(kwdefaults) or any(now.get(k, missing) is not v for k, v in kwdefaults)

    def assert_untampered():
        """Fail if the course's checkers or reference implementations were changed in this process.

        The hidden part of every graded test cell calls this first. When a checker module is
        imported it records (:func:`seal`) every binding of the checker modules and of
        :mod:`course_pkg.checks._core` (functions, classes and their methods, tolerances, the
        numpy functions bound at import), the functions, classes and modules of the course
        modules the checkers rely on (:mod:`course_pkg.activations`, :mod:`course_pkg.losses`,
        :mod:`course_pkg.network`, :mod:`course_pkg.gradcheck`, :mod:`course_pkg.paths`,
        :mod:`course_pkg.symbolic` ...) and numpy's top-level functions, each with its code
        object and default arguments, and the module objects in :data:`sys.modules`. This
        function checks that every one is still the same object with the same code.

        Threat model: it stops the trivial patches a learner can type in a solution cell, such
        as ``checks.check_sigmoid = lambda *a, **k: print("✔")``, swapping a function's
        ``__code__``, replacing a reference implementation or a helper of this module, or
        replacing a whole module in :data:`sys.modules`. It is not a sandbox: code running in
        the same process can always defeat an in-process check (by replacing this function
        itself, the notebook's ``checks`` name or ``builtins``, or by patching before the
        checkers are imported); a determined attacker is out of scope, and a grader who needs
        more must run the checks in a separate process. The registry lives in a closure, out of
        reach of an accidental assignment, not out of reach of intent.

        It never fires during a legitimate check: :class:`forbid_reference` swaps code objects
        only while a learner's function runs and restores the very same objects afterwards.

        Raises
        ------
        AssertionError
            Naming what was replaced, e.g. ``course_pkg.checks.activations.check_sigmoid``.

        Examples
        --------
        >>> from course_pkg.checks import activations as checks
        >>> checks.assert_untampered()
        >>> real = checks.check_relu
        >>> checks.check_relu = lambda *args, **kwargs: print("✔")
        >>> checks.assert_untampered()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        AssertionError: The course's checkers or reference implementations were changed in this notebook (course_pkg.checks.activations.check_relu was replaced); ...
        >>> checks.check_relu = real
        >>> checks.assert_untampered()
        """
        found = changes()
        if found:
            named = ", ".join(found[:_NAMED_CHANGES])
            if len(found) > _NAMED_CHANGES:
                named += f" and {len(found) - _NAMED_CHANGES} more"
            raise AssertionError(
                f"The course's checkers or reference implementations were changed in this "
                f"notebook ({named}); the test cannot trust them. Restart the kernel and run "
                "the notebook without changing course_pkg."
            )

    return seal, assert_untampered


seal, assert_untampered = _tamper_guard()
del _tamper_guard
seal(__name__)
