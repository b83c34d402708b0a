"""What the widgets share: figures drawn without pyplot, rendered to PNG for an ``Image`` widget.

Widgets never touch ``matplotlib.pyplot``: a :class:`matplotlib.figure.Figure` made here is not
registered with any backend, so it is never shown twice, never leaks, and never triggers
"FigureCanvasAgg is non-interactive" warnings. Each redraw renders the figure to PNG bytes
that an ``ipywidgets.Image`` displays; the same bytes are what a test can look at.
"""

import io

from matplotlib.figure import Figure

#: Resolution of the rendered plots (dots per inch).
DPI = 90


def new_figure(width=6.4, height=3.6, ncols=1):
    """A fresh figure with ``ncols`` side-by-side axes, not registered with pyplot.

    Parameters
    ----------
    width, height : float
        Size in inches.
    ncols : int
        Number of axes in one row.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : Axes or ndarray of Axes of shape (ncols,)

    Raises
    ------
    ValueError
        If a size is not positive or ``ncols`` is not a positive integer.

    Examples
    --------
    >>> fig, ax = new_figure(4, 3)
    >>> fig.get_size_inches().tolist()
    [4.0, 3.0]
    """
    if not (width > 0 and height > 0):
        raise ValueError(f"width and height should be positive (inches), got {width} and {height}.")
    if not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols should be a positive integer, got {ncols!r}.")
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    axes = fig.subplots(1, ncols)
    return fig, axes


def to_png(fig):
    """Render ``fig`` to PNG bytes (for ``ipywidgets.Image(format="png")``).

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    bytes
        A PNG file.

    Examples
    --------
    >>> fig, ax = new_figure(2, 2)
    >>> to_png(fig)[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig should be a matplotlib Figure, but it is a {type(fig).__name__}.")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def fmt(x, digits=4):
    """Format a number for a widget label: ``digits`` significant digits, a real minus sign.

    Examples
    --------
    >>> fmt(-0.000123456)
    '−0.0001235'
    >>> fmt(2.0)
    '2'
    """
    return f"{float(x):.{digits}g}".replace("-", "−")
