r"""The checker's answer, :class:`Verdict`, and how it renders in Jupyter.

A verdict shows, first, the learner's expression echoed back as the checker understood it (in
LaTeX, as STACK does), then the verdict itself. Everything the learner typed is HTML-escaped.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Optional

import sympy
from sympy.printing.str import StrPrinter

__all__ = ["Verdict", "KINDS", "to_text", "to_latex", "escape_latex_text"]

#: Every value that :attr:`Verdict.kind` can take.
KINDS = (
    "equivalent",
    "format",
    "constant_factor",
    "sign",
    "additive_constant",
    "extra_variable",
    "missing_factor",
    "extra_factor",
    "undefined",
    "wrong",
    "timeout",
)


class _CoursePrinter(StrPrinter):
    """Plain-text printing in the course's notation: σ(z) for the sigmoid, ^ for powers."""

    def _print_sigmoid(self, expr):
        return "σ(%s)" % self._print(expr.args[0])

    def _print_Heaviside(self, expr):
        return "Heaviside(%s)" % self._print(expr.args[0])

    def _print_Pow(self, expr, rational=False):
        return super()._print_Pow(expr, rational).replace("**", "^")


def to_text(expr):
    """Print an expression in plain text, the course's way (``σ(z)``, ``^`` for powers).

    Parameters
    ----------
    expr : sympy.Expr
        The expression.

    Returns
    -------
    str
        The text.

    Examples
    --------
    >>> from course_pkg.symbolic import sigmoid
    >>> z = sympy.Symbol("z")
    >>> to_text(sigmoid(z) * (1 - sigmoid(z)) / z**2)
    '(1 - σ(z))*σ(z)/z^2'
    """
    return _CoursePrinter().doprint(expr)


def to_latex(expr):
    r"""LaTeX of an expression (the sigmoid prints as :math:`\sigma`, ReLU as a max).

    Parameters
    ----------
    expr : sympy.Expr
        The expression.

    Returns
    -------
    str
        LaTeX without surrounding dollars.

    Examples
    --------
    >>> from course_pkg.symbolic import sigmoid
    >>> to_latex(sigmoid(sympy.Symbol("z")))
    '\\sigma\\left(z\\right)'
    """
    return sympy.latex(expr)


_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "%": r"\%",
    "^": r"\^{}",
    "~": r"\~{}",
}


def escape_latex_text(text):
    r"""Escape text for use inside ``\text{...}``.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        The text with LaTeX's special characters escaped.

    Examples
    --------
    >>> escape_latex_text("50% of {x}")
    '50\\% of \\{x\\}'
    """
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in text)


@dataclass(frozen=True)
class Verdict:
    r"""What the checker concluded, why, and what it understood.

    A verdict is truthy when the answer is right, so ``assert equivalent(...)`` reads naturally;
    in Jupyter it renders as the expression understood (LaTeX) followed by the message.

    Attributes
    ----------
    ok : bool
        True when the answer is equivalent (for a derivation: when every step follows).
    message : str
        One or two sentences for the learner, specific about the mistake where it can be told.
    kind : str
        One of :data:`KINDS`: ``'equivalent'``, ``'format'`` (the answer could not be read),
        ``'constant_factor'``, ``'sign'``, ``'additive_constant'``, ``'extra_variable'``,
        ``'missing_factor'``, ``'extra_factor'``, ``'undefined'`` (the answer is undefined
        everywhere it was tried), ``'wrong'``, ``'timeout'``.
    parsed : sympy.Expr or None
        The answer as understood (None when it could not be read).
    expected : sympy.Expr or None
        The expected expression as understood.
    factor : sympy.Expr or None
        For ``'constant_factor'`` and ``'sign'``: answer / expected. For ``'missing_factor'``:
        the factor missing (expected / answer); for ``'extra_factor'``: the factor too many.
    constant : sympy.Expr or None
        For ``'additive_constant'``: answer - expected.
    variable : str or None
        For ``'extra_variable'``: the name of the variable the expected answer does not have.
    point : dict or None
        For ``'wrong'``: a point (name -> float) where the two differ.
    failed_step : int or None
        For :func:`check_derivation`: the 0-based index of the first step that does not follow
        from the previous one (or does not parse); None when every step follows.
    steps : tuple of sympy.Expr or None
        For :func:`check_derivation`: every step as understood (None for a step not read).
    step_titles : tuple of str or None
        For derivations: the justification of each step (LaTeX), when known.

    Examples
    --------
    >>> v = Verdict(ok=True, message="Correct.", kind="equivalent")
    >>> bool(v), v.kind
    (True, 'equivalent')
    """

    ok: bool
    message: str
    kind: str
    parsed: Optional[Any] = None
    expected: Optional[Any] = None
    factor: Optional[Any] = None
    constant: Optional[Any] = None
    variable: Optional[str] = None
    point: Optional[dict] = None
    failed_step: Optional[int] = None
    steps: Optional[tuple] = None
    step_titles: Optional[tuple] = field(default=None, repr=False)
    answer_text: Optional[str] = field(default=None, repr=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if not isinstance(self.ok, bool):
            raise TypeError(f"ok must be a bool, got {type(self.ok).__name__}")

    def __bool__(self):
        return self.ok

    def __str__(self):
        return self.message

    # rendering -------------------------------------------------------------------------------
    def _step_rows(self):
        rows = []
        for i, step in enumerate(self.steps or ()):
            if i == self.failed_step:
                mark = "✗"
            elif self.failed_step is not None and i > self.failed_step:
                mark = "·"  # not checked
            elif i == 0:
                mark = "•"  # the starting point
            else:
                mark = "✓"
            title = None
            if self.step_titles is not None and i < len(self.step_titles):
                title = self.step_titles[i]
            rows.append((i, mark, step, title))
        return rows

    def _repr_html_(self):
        colour = "#1a7f37" if self.ok else "#b42318"
        symbol = "✓" if self.ok else "✗"
        parts = ['<div class="course-verdict" style="font-family: sans-serif; line-height: 1.5">']
        if self.steps is not None:
            parts.append("<div>Your derivation, as understood:</div><ol start=\"0\" style=\"margin: 0.2em 0\">")
            for i, mark, step, title in self._step_rows():
                if step is None:
                    body = html.escape("(could not be read)")
                else:
                    body = html.escape(r"\(\displaystyle " + to_latex(step) + r"\)")
                note = "" if title is None else " &nbsp; <small>" + html.escape(r"\(" + title + r"\)") + "</small>"
                parts.append(f"<li>{html.escape(mark)} {body}{note}</li>")
            parts.append("</ol>")
        elif self.parsed is not None:
            parts.append(
                "<div>Your answer, as understood: "
                + html.escape(r"\(\displaystyle " + to_latex(self.parsed) + r"\)")
                + "</div>"
            )
        elif self.answer_text is not None:
            parts.append("<div>Your answer: <code>" + html.escape(self.answer_text[:200]) + "</code></div>")
        parts.append(
            f'<div style="color: {colour}"><strong>{symbol}</strong> {html.escape(self.message)}</div>'
        )
        parts.append("</div>")
        return "".join(parts)

    def _repr_latex_(self):
        lines = []
        if self.steps is not None:
            for i, mark, step, title in self._step_rows():
                body = r"\text{(could not be read)}" if step is None else to_latex(step)
                mark_tex = {"✓": r"\checkmark", "✗": r"\times", "·": r"\cdot", "•": r"\bullet"}[mark]
                lines.append(rf"{mark_tex}\quad & {body}")
            echo = r"\begin{aligned}" + r"\\ ".join(lines) + r"\end{aligned}"
        elif self.parsed is not None:
            echo = to_latex(self.parsed)
        else:
            echo = r"\text{(not read)}"
        verdict = (r"\checkmark\ " if self.ok else r"\times\ ") + r"\text{" + escape_latex_text(self.message) + "}"
        return r"$\displaystyle \begin{gathered}" + echo + r" \\ " + verdict + r"\end{gathered}$"
