"""Interactive widgets of the course, one module per notebook, and the helper that shows them.

``course_pkg.widgets.chain_rule`` (notebook 01), ``course_pkg.widgets.activations`` (02),
``course_pkg.widgets.scalar_network`` (03), and one module per later notebook, each reachable as
an attribute of this package (``widgets.layers``) and imported on first use. Every widget subclasses the one base
:class:`course_pkg.widgets._common.Widget` (controls → state → draw; the figure is built once and
each change redraws only what moved; see that module for the idiom and a complete example). Its
state lives in plain attributes computed from the controls' values, so a test sets a slider's
``.value`` and reads what was computed, without a kernel.

Importing this package is instant: ipywidgets, matplotlib and IPython are imported only when a
widget module (or :func:`show`) is first used. A notebook shows a widget with::

    from course_pkg import widgets
    widgets.show(widgets.chain_rule.NudgeExplorer, f, f_prime)

and :func:`show` does nothing while nbgrader grades the notebook (it sets the environment variable
``NBGRADER_EXECUTION``), so grading never waits on a plot.
"""

import importlib
import os
import pkgutil

#: Every widget module of this package (found on disk, not imported until first used).
_SUBMODULES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")))

__all__ = ["grading", "show", *_SUBMODULES]


def grading(environ=None):
    """Whether nbgrader is executing the notebook (``NBGRADER_EXECUTION`` is set and not empty).

    Parameters
    ----------
    environ : mapping, optional
        The environment to look in; ``os.environ`` by default.

    Returns
    -------
    bool

    Examples
    --------
    >>> grading({"NBGRADER_EXECUTION": "autograde"})
    True
    >>> grading({})
    False
    """
    env = os.environ if environ is None else environ
    return bool(env.get("NBGRADER_EXECUTION", ""))


def show(build, *args, **kwargs):
    """Build a widget with ``build(*args, **kwargs)`` and display it, unless nbgrader is grading.

    Parameters
    ----------
    build : callable
        Usually a widget class such as :class:`course_pkg.widgets.chain_rule.NudgeExplorer`.
        If what it returns has a ``view`` attribute (an ipywidgets container), that is displayed.
    *args, **kwargs
        Passed on to ``build``.

    Returns
    -------
    None
        Always, so a notebook cell that ends on ``show(...)`` displays the widget once. While
        ``NBGRADER_EXECUTION`` is set, ``build`` is not even called.

    Raises
    ------
    TypeError
        If ``build`` is not callable.

    Examples
    --------
    Outside a kernel, ``display`` falls back to printing:

    >>> show(lambda name: f"a widget for {name}", "θ")
    a widget for θ
    """
    if not callable(build):
        raise TypeError(
            f"build should be a callable that makes the widget (such as a widget class), "
            f"but it is a {type(build).__name__}."
        )
    if grading():
        return None
    from IPython.display import display

    built = build(*args, **kwargs)
    display(getattr(built, "view", built))
    return None


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
