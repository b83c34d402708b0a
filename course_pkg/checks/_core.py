"""What every checker shares: reference implementations off limits, and a tamper check.

The exercise engine (:mod:`course_pkg.checks.engine`) runs every check; this module holds the two
guards it relies on when the learner's code runs in the same process (the notebook's
self-checks):

* :class:`forbid_reference` switches the course's reference implementations off while a
  learner's function runs (:class:`~course_pkg.checks.learner.InProcessLearner` uses it);
* :func:`seal` and :func:`assert_untampered`: every spec module seals itself when imported, and
  the hidden part of every graded test cell starts with ``checks.assert_untampered()``, which
  fails if anything recorded was replaced since (see its docstring for what it stops and what
  it cannot). The trusted grader (:mod:`course_pkg.grading`) runs the same specs out of the
  learner's reach.
"""

import sys as _sys
from importlib import import_module as _import_module
from sys import _getframe
from types import FunctionType as _FunctionType
from types import ModuleType as _ModuleType


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
    bindings = {}  # module name -> what its parent package bound to its last name part, as sealed
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
            parent, _, child = name.rpartition(".")
            if parent in _sys.modules:
                bindings[name] = vars(_sys.modules[parent]).get(child, missing)
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
            # (a package may bind a function over its submodule's name: `from .leaks import leaks`)
            # (a module sealed while it is imported is bound to its package just after)
            current = vars(_sys.modules[parent]).get(child, missing) if parent in _sys.modules else missing
            sealed = bindings.get(name, missing)
            if current is not sealed and not (sealed is missing and current is module):
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
            Naming what was replaced, e.g. ``course_pkg.checks.activations.check``.

        Examples
        --------
        >>> from course_pkg.checks import activations as checks
        >>> checks.assert_untampered()
        >>> real = checks.check
        >>> checks.check = lambda *args, **kwargs: print("✔")
        >>> checks.assert_untampered()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        AssertionError: The course's checkers or reference implementations were changed in this notebook (course_pkg.checks.activations.check was replaced); ...
        >>> checks.check = real
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
