"""course_pkg: the companion package of the backpropagation course.

Reference implementations (:mod:`course_pkg.activations`, :mod:`course_pkg.losses`,
:mod:`course_pkg.network`, :mod:`course_pkg.gradcheck`, :mod:`course_pkg.datasets`), the symbolic
checker (:mod:`course_pkg.symbolic`), the graded-exercise checkers (:mod:`course_pkg.checks`) and
the widgets (:mod:`course_pkg.widgets`).

``import course_pkg`` is instant: it imports numpy only when a numerical submodule is first used,
and never imports sympy, matplotlib or ipywidgets; each submodule is loaded on first attribute
access (``course_pkg.activations.sigmoid`` works without an explicit import).
"""

import importlib

__version__ = "0.1.0"

_SUBMODULES = (
    "activations",
    "losses",
    "network",
    "gradcheck",
    "datasets",
    "paths",
    "symbolic",
    "derivations",
    "checks",
    "widgets",
)

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
