r"""The checker's answer, :class:`Verdict`, and how it renders in Jupyter.

A verdict shows, first, the learner's expression echoed back as the checker understood it (in
LaTeX, as STACK does), then the verdict itself. Everything the learner typed is HTML-escaped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any, Optional

import mpmath
import sympy
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

__all__ = [
    "Verdict",
    "KINDS",
    "STEP_STATUSES",
    "to_text",
    "to_latex",
    "escape_latex_text",
    "justification_parts",
    "justification_latex",
    "justification_html",
    "compact_number",
    "MAX_NUMBER_DIGITS",
]

#: Numbers with more digits than this print in scientific form in messages (``1e-400``, ``≈3.142e+57``).
MAX_NUMBER_DIGITS = 12

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
    "first_step",
    "not_a_step",
    "too_few_steps",
    "too_many_steps",
    "function_for_derivative",
)


class _CoursePrinter(StrPrinter):
    """Plain-text printing in the course's notation: σ(z) for the sigmoid, ^ for powers."""

    def _print_sigmoid(self, expr):
        return "σ(%s)" % self._print(expr.args[0])

    def _print_Heaviside(self, expr):
        return "Heaviside(%s)" % self._print(expr.args[0])

    def _print_Pow(self, expr, rational=False):
        return super()._print_Pow(expr, rational).replace("**", "^")

    def _print_Integer(self, expr):
        return compact_number(expr)

    def _print_Rational(self, expr):
        if len(str(abs(expr.p))) + len(str(expr.q)) > MAX_NUMBER_DIGITS:
            return compact_number(expr)
        return super()._print_Rational(expr)

    def _print_Float(self, expr):
        return compact_number(expr)


def compact_number(value, digits=4):
    """A number as short text: exact when short, else scientific with ``digits`` significant digits.

    Parameters
    ----------
    value : sympy.Number, int, float or mpmath.mpf
        The number (real).
    digits : int, default 4
        Significant digits of the scientific form.

    Returns
    -------
    str
        ``'2'``, ``'1/2'``, ``'0.25'``; ``'1e-400'`` for :math:`10^{-400}`; ``'≈1.235e+57'`` when
        the scientific form rounds the value.

    Raises
    ------
    TypeError
        ``value`` is not a finite real number.

    Examples
    --------
    >>> compact_number(sympy.Integer(10) ** -400)
    '1e-400'
    >>> compact_number(sympy.Rational(1, 3) * 10**40)
    '≈3.333e+39'
    >>> compact_number(sympy.Rational(-3, 4)), compact_number(sympy.Float(0.25))
    ('-3/4', '0.25')
    """
    if isinstance(value, bool) or not isinstance(value, (sympy.Number, int, float, mpmath.mpf)) or value != value:
        raise TypeError(f"value must be a real number (SymPy, int, float or mpmath.mpf), got {value!r}")
    if isinstance(value, sympy.Number) and not value.is_finite:
        raise TypeError(f"value must be a finite real number, got {value!r}")
    if isinstance(value, (sympy.Integer, int)) and len(str(abs(int(value)))) <= MAX_NUMBER_DIGITS:
        return str(int(value))
    if isinstance(value, sympy.Rational) and len(str(abs(value.p))) + len(str(value.q)) <= MAX_NUMBER_DIGITS:
        return str(value)
    # A float is only known to its own precision: rounding it there is not an approximation.
    known_digits = 25
    if isinstance(value, float):
        value, known_digits = sympy.Float(value), 15
    elif isinstance(value, sympy.Float):
        known_digits = min(25, mpmath.libmp.prec_to_dps(value._prec))
    with mpmath.workdps(max(30, digits + 10)):
        if isinstance(value, sympy.Rational):
            mp = mpmath.mpf(value.p) / value.q
        elif isinstance(value, sympy.Float):
            mp = mpmath.mpf(value._mpf_)
        else:
            mp = mpmath.mpf(value)
        if mp == 0:
            return "0"
        short = mpmath.nstr(mp, digits, min_fixed=-4, max_fixed=MAX_NUMBER_DIGITS)
        tolerance = mpmath.mpf(10) ** -(known_digits - 1)
        exact = mpmath.almosteq(mpmath.mpf(short), mp, rel_eps=tolerance, abs_eps=0)
    mantissa, _, exponent = short.partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    if exponent:
        sign = "-" if exponent.startswith("-") else "+"
        short = f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"
        if sign == "-" or exact:
            short = short.replace("e+", "e")
    else:
        short = mantissa
    return short if exact else "≈" + short


class _CourseLatexPrinter(LatexPrinter):
    """LaTeX in the course's notation: :math:`f'(u)` for the derivative of a one-argument function.

    The Heaviside step prints as :math:`H(z)` (SymPy's default, :math:`\theta(z)`, would read as a
    weight).

    ``Derivative(f(u), u)`` and ``Subs(Derivative(f(t), t), t, u)``, for an undefined function
    ``f`` of one argument (``sympy.Function('f')``), print as :math:`f'(u)`: the chain rule's local
    derivatives, each evaluated at its own input.
    """

    def _print_Heaviside(self, expr, exp=None):
        # H, as in the course's notes (SymPy's default, theta, would clash with the weights)
        tex = r"H\left(%s\right)" % self._print(expr.args[0])
        return tex if exp is None else r"H^{%s}\left(%s\right)" % (exp, self._print(expr.args[0]))

    def _prime(self, func, arg):
        name = self._print(sympy.Symbol(func.__name__))
        return r"%s'\left(%s\right)" % (name, self._print(arg))

    def _print_Derivative(self, expr):
        inner = expr.expr
        if (
            isinstance(inner, AppliedUndef)
            and len(inner.args) == 1
            and len(expr.variable_count) == 1
            and expr.variable_count[0] == (inner.args[0], 1)
        ):
            return self._prime(inner.func, inner.args[0])
        return super()._print_Derivative(expr)

    def _print_Subs(self, subs):
        expr, old, new = subs.args
        if (
            isinstance(expr, sympy.Derivative)
            and len(old) == 1
            and isinstance(expr.expr, AppliedUndef)
            and expr.expr.args == (old[0],)
            and expr.variable_count == ((old[0], 1),)
        ):
            return self._prime(expr.expr.func, new[0])
        return super()._print_Subs(subs)


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


def to_latex(expr, product=False):
    r"""LaTeX of an expression (the sigmoid prints as :math:`\sigma`, ReLU as a max).

    The derivative of an unknown one-argument function prints with a prime, :math:`a'(u)` (for
    ``Derivative(a(u), u)`` and ``Subs(Derivative(a(t), t), t, u)``).

    Parameters
    ----------
    expr : sympy.Expr
        The expression.
    product : bool, default False
        If ``expr`` is a product, show it factor by factor in the order stored (build it with
        ``sympy.Mul(..., evaluate=False)``), with :math:`\cdot` between the factors, as a chain
        rule's product of local derivatives is written.

    Returns
    -------
    str
        LaTeX without surrounding dollars.

    Examples
    --------
    >>> from course_pkg.symbolic import sigmoid
    >>> to_latex(sigmoid(sympy.Symbol("z")))
    '\\sigma\\left(z\\right)'
    >>> x, a, b = sympy.Symbol("x"), sympy.Function("a"), sympy.Function("b")
    >>> to_latex(sympy.Mul(sympy.Derivative(a(b(x)), b(x)), sympy.Derivative(b(x), x), evaluate=False), product=True)
    "a'\\left(b{\\left(x \\right)}\\right) \\cdot b'\\left(x\\right)"
    """
    printer = _CourseLatexPrinter()
    if product and isinstance(expr, sympy.Mul):
        return r" \cdot ".join(printer.parenthesize(f, PRECEDENCE["Mul"], strict=True) for f in expr.args)
    return printer.doprint(expr)


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


# Characters that must not appear raw inside \text{...} (LaTeX and MathJax read them differently);
# they are written in math mode between text runs instead.
_MATH_MODE_SPECIALS = {
    "\\": r"\backslash ",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "%": r"\%",
    "^": r"\hat{}",
    "~": r"\sim ",
}
_SPECIALS_RE = re.compile("([" + re.escape("".join(_MATH_MODE_SPECIALS)) + "])")
_MATH_RE = re.compile(r"\\\$|\$([^$]*)\$|\\\((.*?)\\\)|\$|\\\(|\\\)", re.DOTALL)


def justification_parts(text):
    r"""Split a step's justification into text and inline maths.

    A justification is text with inline maths between ``$...$`` or ``\(...\)``, e.g.
    ``"$a'(u_3)\,b'(u_2)$, by hand"``; ``\$`` is a literal dollar sign. Everything outside the
    delimiters is plain text (shown as typed, never interpreted as LaTeX).

    Parameters
    ----------
    text : str
        The justification.

    Returns
    -------
    list of (str, str)
        ``("text", ...)`` and ``("math", ...)`` pieces, in order (empty pieces left out).

    Raises
    ------
    TypeError
        ``text`` is not a string.
    ValueError
        A ``$`` or ``\(`` is not closed (or a ``\)`` not opened); the message shows where.

    Examples
    --------
    >>> justification_parts(r"$a'(u)\,b'(x)$, by hand")
    [('math', "a'(u)\\,b'(x)"), ('text', ', by hand')]
    >>> justification_parts(r"costs \$5, see \(x^2\)")
    [('text', 'costs $5, see '), ('math', 'x^2')]
    """
    if not isinstance(text, str):
        raise TypeError(f"a justification must be a string, got {type(text).__name__}")
    parts, plain, pos = [], [], 0
    for match in _MATH_RE.finditer(text):
        plain.append(text[pos : match.start()])
        pos = match.end()
        token = match.group(0)
        if token == r"\$":
            plain.append("$")
            continue
        if match.group(1) is None and match.group(2) is None:
            where = text[max(0, match.start() - 15) : match.start() + 15]
            raise ValueError(
                f"justification {text[:60]!r} has an unmatched {token!r} near {where!r}; write maths "
                r"between $...$ or \(...\) and text outside them (\$ for a dollar sign)"
            )
        if "".join(plain):
            parts.append(("text", "".join(plain)))
        plain = []
        math = match.group(1) if match.group(1) is not None else match.group(2)
        if math.strip():
            parts.append(("math", math.strip()))
    plain.append(text[pos:])
    if "".join(plain):
        parts.append(("text", "".join(plain)))
    return parts


def _text_latex(text):
    """Plain text as LaTeX for math mode: ``\\text{...}`` runs, special characters in math mode."""
    out = []
    for piece in _SPECIALS_RE.split(text):
        if not piece:
            continue
        if piece in _MATH_MODE_SPECIALS:
            out.append(_MATH_MODE_SPECIALS[piece])
        else:
            out.append(r"\text{" + piece + "}")
    return "".join(out)


def justification_latex(text):
    r"""A justification as LaTeX to place inside maths (text in ``\text{}``, maths as written).

    Parameters
    ----------
    text : str
        The justification (see :func:`justification_parts`).

    Returns
    -------
    str
        LaTeX that works in MathJax and in LaTeX, whatever the text contains.

    Raises
    ------
    ValueError
        Unbalanced maths delimiters (see :func:`justification_parts`).

    Examples
    --------
    >>> justification_latex(r"$a'(u)$, by hand")
    "{a'(u)}\\text{, by hand}"
    >>> justification_latex("50% off")
    '\\text{50}\\%\\text{ off}'
    """
    return "".join(_text_latex(p) if kind == "text" else "{" + p + "}" for kind, p in justification_parts(text))


def justification_html(text):
    r"""A justification as HTML: text escaped, maths between MathJax's ``\(...\)`` delimiters.

    Parameters
    ----------
    text : str
        The justification (see :func:`justification_parts`).

    Returns
    -------
    str
        HTML.

    Raises
    ------
    ValueError
        Unbalanced maths delimiters (see :func:`justification_parts`).

    Examples
    --------
    >>> justification_html(r"$x<1$, <b>so</b>")
    '\\(x&lt;1\\), &lt;b&gt;so&lt;/b&gt;'
    """
    return "".join(
        html.escape(p) if kind == "text" else html.escape(r"\(" + p + r"\)") for kind, p in justification_parts(text)
    )


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
        everywhere it was tried), ``'wrong'``, ``'timeout'``, ``'function_for_derivative'`` (σ(z)
        or g(z) where σ′(z) or g′(z) belongs); for derivations also ``'first_step'``,
        ``'not_a_step'``, ``'too_few_steps'``, ``'too_many_steps'``.
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
    answer_text : str or None
        The answer exactly as typed (echoed before the verdict).
    typed_latex : str or None
        LaTeX of the answer read as written, unevaluated (``x + 0`` stays ``x + 0``), when
        given; :attr:`echo_latex` works it out from :attr:`answer_text` otherwise.
    functions : dict or None
        The question's own function names the answer was read with (for the echo).
    steps_text, steps_latex : tuple or None
        For derivations: each line as typed, and its unevaluated LaTeX (None where a line
        cannot be read).
    step_status : tuple of str or None
        For derivations, one of :data:`STEP_STATUSES` per line: ``"start"``, ``"follows"``,
        ``"failed"``, ``"not_a_step"`` (equal to the line before up to formatting),
        ``"not_checked"`` (after a failed line) or ``"unreadable"``.
    step_count : int or None
        For derivations: how many lines count as steps (lines after the first that change
        the expression).

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
    typed_latex: Optional[str] = field(default=None, repr=False)
    functions: Optional[dict] = field(default=None, repr=False)
    steps_text: Optional[tuple] = field(default=None, repr=False)
    steps_latex: Optional[tuple] = field(default=None, repr=False)
    step_status: Optional[tuple] = field(default=None, repr=False)
    step_count: Optional[int] = field(default=None, repr=False)

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
    @property
    def echo(self):
        """What the learner typed, as typed, in one line of plain text ('' when not known).

        Examples
        --------
        >>> Verdict(ok=False, message="m", kind="wrong", answer_text="x +  0").echo
        'You typed: x +  0'
        """
        if self.steps_text is not None:
            shown = []
            for i, t in enumerate(self.steps_text):
                if t is None:  # a step given as a SymPy expression (the course's own)
                    step = self.steps[i] if self.steps is not None and i < len(self.steps) else None
                    t = to_text(step) if step is not None else "?"
                shown.append(" ".join(str(t).split()))
            return "You typed: " + " | ".join(shown)
        if self.answer_text is None:
            return ""
        text = self.answer_text if len(self.answer_text) <= 200 else self.answer_text[:199] + "…"
        return "You typed: " + text

    @property
    def echo_latex(self):
        """LaTeX of the answer as typed, read without evaluation (None if it cannot be read).

        Worked out when first asked for (rendering), not during the check, so a check never
        pays for it.

        Examples
        --------
        >>> Verdict(ok=False, message="m", kind="wrong", answer_text="x*1 + 0").echo_latex
        'x 1 + 0'
        """
        if self.typed_latex is not None or self.answer_text is None:
            return self.typed_latex
        from .parsing import _function_map, _parse

        try:
            expr, _ = _parse(self.answer_text, None, allow_unknown=True, functions=_function_map(self.functions),
                             evaluate=False)
            tex = to_latex(expr)
        except Exception:  # noqa: BLE001 - an echo is best effort; the message says why it cannot be read
            return None
        object.__setattr__(self, "typed_latex", tex)
        return tex

    def _step_rows(self):
        rows = []
        count = len(self.steps or self.steps_text or ())
        for i in range(count):
            status = self.step_status[i] if self.step_status is not None else self._legacy_status(i)
            step = self.steps[i] if self.steps is not None and i < len(self.steps) else None
            text = self.steps_text[i] if self.steps_text is not None else None
            tex = self.steps_latex[i] if self.steps_latex is not None else None
            if tex is None and step is not None:
                tex = to_latex(step)
            title = None
            if self.step_titles is not None and i < len(self.step_titles):
                title = self.step_titles[i]
            rows.append((i, _STATUS_MARKS[status], status, text, tex, title))
        return rows

    def _legacy_status(self, i):
        if i == self.failed_step:
            return "failed"
        if self.failed_step is not None and i > self.failed_step:
            return "not_checked"
        return "start" if i == 0 else "follows"

    def _repr_html_(self):
        colour = "#1a7f37" if self.ok else "#b42318"
        symbol = "✓" if self.ok else "✗"
        parts = ['<div class="course-verdict" style="font-family: sans-serif; line-height: 1.5">']
        if self.steps is not None or self.steps_text is not None:
            parts.append("<div>Your derivation, as you typed it:</div><ol start=\"0\" style=\"margin: 0.2em 0\">")
            for i, mark, status, text, tex, title in self._step_rows():
                pieces = []
                if text is not None:
                    pieces.append("<code>" + html.escape(str(text)[:200]) + "</code>")
                if tex is not None:
                    pieces.append(html.escape(r"\(\displaystyle " + tex + r"\)"))
                note = _STATUS_NOTES.get(status)
                if note:
                    pieces.append("<small><em>" + html.escape(note) + "</em></small>")
                if title:
                    try:
                        pieces.append("<small>" + justification_html(title) + "</small>")
                    except ValueError:  # not a well-formed justification: show it as text
                        pieces.append("<small>" + html.escape(title) + "</small>")
                parts.append(f"<li>{html.escape(mark)} " + " &nbsp; ".join(pieces) + "</li>")
            parts.append("</ol>")
        elif self.answer_text is not None:
            parts.append("<div>You typed: <code>" + html.escape(self.answer_text[:200]) + "</code>")
            if self.echo_latex is not None:
                parts.append(" &nbsp; read as " + html.escape(r"\(\displaystyle " + self.echo_latex + r"\)"))
            parts.append("</div>")
        elif self.parsed is not None:
            parts.append(
                "<div>Your answer, as understood: "
                + html.escape(r"\(\displaystyle " + to_latex(self.parsed) + r"\)")
                + "</div>"
            )
        parts.append(
            f'<div style="color: {colour}"><strong>{symbol}</strong> {html.escape(self.message)}</div>'
        )
        parts.append("</div>")
        return "".join(parts)

    def _repr_latex_(self):
        lines = []
        if self.steps is not None or self.steps_text is not None:
            for i, mark, status, text, tex, title in self._step_rows():
                body = tex if tex is not None else _text_latex(str(text) if text is not None else "")
                note = _STATUS_NOTES.get(status)
                if note:
                    body += r"\quad " + _text_latex("(" + note + ")")
                mark_tex = {"✓": r"\checkmark", "✗": r"\times", "·": r"\cdot", "•": r"\bullet", "=": "=", "?": "?"}[mark]
                lines.append(rf"{mark_tex}\quad & {body}")
            echo = r"\begin{aligned}" + r"\\ ".join(lines) + r"\end{aligned}"
        elif self.echo_latex is not None:
            echo = self.echo_latex
        elif self.parsed is not None:
            echo = to_latex(self.parsed)
        elif self.answer_text is not None:
            echo = _text_latex(self.answer_text[:200])
        else:
            echo = r"\text{(not read)}"
        verdict = (r"\checkmark\ " if self.ok else r"\times\ ") + _text_latex(self.message)
        return r"$\displaystyle \begin{gathered}" + echo + r" \\ " + verdict + r"\end{gathered}$"


#: What a line of a derivation can be (see :attr:`Verdict.step_status`).
STEP_STATUSES = ("start", "follows", "failed", "not_a_step", "not_checked", "unreadable")
_STATUS_MARKS = {"start": "•", "follows": "✓", "failed": "✗", "not_a_step": "=", "not_checked": "·", "unreadable": "?"}
_STATUS_NOTES = {
    "not_checked": "not checked yet",
    "not_a_step": "the line before, rewritten: not a step",
    "unreadable": "could not be read",
}
