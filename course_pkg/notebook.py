"""What a notebook's setup cell switches on in the learner's kernel.

An exercise the learner has not written yet still holds nbgrader's stub,
``raise NotImplementedError()``. Left alone, running a cell that reaches the stub (a try-it cell
calling an unwritten function, or the stub cell of a typed answer) prints a traceback wall.
:func:`setup_kernel` installs an IPython exception handler that shows one line instead, naming the
exercise, worded and marked as the checkers word a failed self-check (``course_pkg.checks.engine``)::

    ✘ `central_difference` is not written yet: replace `raise NotImplementedError()` with your code

The same goes for a cell that uses a name no cell has defined yet (a self-check run before its
exercise's cell, a typed answer whose stub still raises)::

    ✘ `tanh_steps` is not defined: run the cell that defines it (and keep its name).

The cell still fails (the kernel reports an error, so "Run All" stops there, and nbgrader still
scores a cell that raises as 0). Only errors raised by the notebook's own code are shortened: a
``NotImplementedError`` in a function defined in a cell or in a cell itself, a ``NameError`` in a
cell itself. Raised anywhere else (a library, a learner's function that misspells a name) they
keep their full traceback.
"""

import linecache
import re

#: The line a learner reads when an exercise is still nbgrader's stub.
NOT_WRITTEN = "{name} is not written yet: replace `raise NotImplementedError()` with your code"
#: The mark before a failure's line, as the checkers' CheckFailed shows it.
FAILED = "✘ "
#: The line a learner reads when a cell uses a name no cell has defined.
NOT_DEFINED = "`{name}` is not defined: run the cell that defines it (and keep its name)."
#: The name of a typed-answer exercise, from its stub cell's first comment (``# Set answer_x = ...``,
#: ``# dC_db1 = "..."``).
_ANSWER_NAME = re.compile(r"^\s*#\s*(?:Set\s+)?([A-Za-z_]\w*)\s*=")


def not_written_message(name=None):
    """The one line shown for an exercise that is not written yet.

    Parameters
    ----------
    name : str, optional
        The exercise's function or variable name; ``None`` when it cannot be told.

    Returns
    -------
    str

    Examples
    --------
    >>> not_written_message("central_difference")
    '`central_difference` is not written yet: replace `raise NotImplementedError()` with your code'
    >>> not_written_message()
    'This exercise is not written yet: replace `raise NotImplementedError()` with your code'
    """
    return NOT_WRITTEN.format(name=f"`{name}`" if name else "This exercise")


def stub_name(tb, namespace):
    """The exercise whose stub raised, or ``False`` if the error did not come from a notebook's stub.

    Parameters
    ----------
    tb : traceback
        The traceback of a ``NotImplementedError``.
    namespace : dict
        The notebook's global namespace (IPython's ``user_ns``): code whose globals are this dict
        was written in the notebook.

    Returns
    -------
    str, None or False
        The function's name when the raise is inside a function defined in the notebook; the
        variable named by the cell's first ``# name = ...`` comment when the raise is at a cell's
        top level (``None`` if there is no such comment); ``False`` when the innermost frame is not
        the notebook's code.
    """
    while tb.tb_next is not None:
        tb = tb.tb_next
    frame = tb.tb_frame
    if frame.f_globals is not namespace:
        return False
    code = frame.f_code
    if code.co_name != "<module>":
        return getattr(code, "co_qualname", code.co_name)
    for line in linecache.getlines(code.co_filename):
        match = _ANSWER_NAME.match(line)
        if match:
            return match.group(1)
    return None


def _undefined_name(value, tb, namespace):
    """The missing name of a ``NameError`` raised by a cell itself (not a function); else ``None``."""
    while tb.tb_next is not None:
        tb = tb.tb_next
    frame = tb.tb_frame
    if frame.f_globals is namespace and frame.f_code.co_name == "<module>":
        return getattr(value, "name", None)
    return None


def _handler(shell, etype, value, tb, tb_offset=None):
    """IPython custom exception handler: one line for a stub or a missing name, else the usual traceback."""
    try:
        if issubclass(etype, NotImplementedError):
            name = stub_name(tb, shell.user_ns)
            message = None if name is False else not_written_message(name)
        else:
            name = _undefined_name(value, tb, shell.user_ns)
            message = None if name is None else NOT_DEFINED.format(name=name)
    except Exception:  # never let the handler itself fail: IPython would unregister it
        message = None
    if message is None:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    else:
        shell._showtraceback(etype, etype(message), [FAILED + message])
    return None


def setup_kernel(shell=None):
    """Show an unwritten exercise (or a missing name) as one clear line in this kernel; every setup cell calls it.

    Parameters
    ----------
    shell : IPython.core.interactiveshell.InteractiveShell, optional
        The shell to configure; default the running one. Outside IPython (plain Python, a doctest)
        nothing happens.

    Returns
    -------
    bool
        Whether a handler was installed.

    Examples
    --------
    >>> setup_kernel()  # not inside IPython here
    False
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
        if shell is None:
            return False
    shell.set_custom_exc((NotImplementedError, NameError), _handler)
    return True
