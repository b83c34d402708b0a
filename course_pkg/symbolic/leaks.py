r"""The leak rule: does a message give away the expected answer, or most of it?

Feedback may say *what kind* of mistake an answer has ("off by a factor of 2", "the inner
derivative is missing", "right where z > 0 but not where z < 0") but never print the expected
expression, nor a piece of it that carries most of it. This module states that rule as a function,
:func:`leaks`, used in two places:

* :func:`course_pkg.symbolic.equivalent` and :func:`course_pkg.symbolic.check_derivation` pass
  every message they build through it before returning, and replace a message that leaks by
  one in words only (so no engine message leaks, whatever the diagnosis found);
* the tests run it over a corpus of wrong answers to every typed exercise of notebooks 01–03.

What counts as a leak
---------------------
The *protected parts* of an expected answer :math:`E` (:func:`protected_parts`) are :math:`E`
itself and every sub-expression, or product or sum of some of the terms or factors of one node,
that is not a single name or number and whose size (nodes of its SymPy tree) is at least
:data:`LEAK_FRACTION` of the size of :math:`E`. A message leaks when it contains a protected part

* in a printed form: SymPy's ``str``, the course's text (``σ(z)``, ``^``), SymPy's LaTeX or the
  course's LaTeX, compared with blanks, ``\left``/``\right`` and ``**`` versus ``^`` ignored; or
* as any other way of writing it: every run of the message that reads as a formula in the
  answer's own variables (``2x·cos(x²)``, ``cos(x^2)*x*2``) is parsed (safely) and compared with
  the protected parts by evaluation at random points.

When the expected answer is a number, no message may tell how the learner's number relates
to it ("2 times", "plus 1/2", "minus it"): :func:`course_pkg.symbolic.equivalent` says only
"Not the right value." (that rule is about arithmetic, not printing, so it lives there).

A part that the learner typed themselves (given as ``typed``) is not protected: advice such as
"write `x*cos(x^2)` for x times cos(x^2)" quotes the learner, and reveals nothing. Small numbers
("a factor of 2") and single names (``x``, ``theta3``) are never protected.

Examples
--------
>>> leaks("A factor is missing: your answer times 2*x*cos(x^2) would be right.", "2*x*cos(x^2)")
'2*x*cos(x^2)'
>>> leaks("A factor is missing: your answer times 2x·cos(x²) would be right.", "2*x*cos(x^2)")
'2x·cos(x²)'
>>> leaks("Two links are missing: the outer and the inner derivative.", "2*x*cos(x^2)") is None
True
>>> leaks("Off by a factor of 2.", "2*x*cos(x^2)") is None
True
"""

from __future__ import annotations

import functools
import re
from itertools import combinations

import mpmath
import sympy

from .parsing import AnswerFormatError, _FUNCTIONS, _canonical, _parse, _variable_map

__all__ = ["leaks", "protected_parts", "LEAK_FRACTION", "exported_answers"]

#: A sub-expression at least this fraction of the expected answer's size is protected.
LEAK_FRACTION = 0.5
#: Most terms or factors of one node whose sub-sums and sub-products are enumerated.
MAX_SUBSET_ARGS = 8
#: Longest run of words tried as one formula.
MAX_SPAN_WORDS = 14
#: Points at which a formula in a message is compared with the protected parts.
N_LEAK_POINTS = 8
#: Relative tolerance of that comparison.
LEAK_RTOL = mpmath.mpf(10) ** -12

_SEED_POINTS = (0.7318, -1.2931, 1.8807, -0.4413, 2.3171, -2.0713, 0.9127, 1.4471)


def size(expr):
    """Number of nodes of an expression's tree (its size for the leak rule).

    Examples
    --------
    >>> size(sympy.sympify("2*x*cos(x**2)"))
    7
    """
    return _size(expr)


@functools.lru_cache(maxsize=4096)
def _size(expr):
    # bottom-up with a cache: a large expression's nodes are sized once, not once per ancestor
    return 1 + sum(_size(a) for a in expr.args)


def _atomic(expr):
    return expr.is_Atom or (expr.is_Number) or (isinstance(expr, sympy.Mul) and len(expr.args) == 2 and expr.args[0] == -1 and expr.args[1].is_Atom)


def protected_parts(expected):
    """The parts of ``expected`` that no message may show (see the module notes).

    Parameters
    ----------
    expected : sympy.Expr
        The expected answer.

    Returns
    -------
    list of sympy.Expr
        Largest first; empty when ``expected`` is a single name or number.

    Examples
    --------
    >>> x = sympy.Symbol("x")
    >>> protected_parts(2 * x * sympy.cos(x**2))
    [2*x*cos(x**2), x*cos(x**2), 2*cos(x**2), cos(x**2)]
    """
    total = size(expected)
    threshold = LEAK_FRACTION * total
    found = {}
    for node in sympy.preorder_traversal(expected):
        if _atomic(node):
            continue
        weight = size(node)
        if weight >= threshold:
            found.setdefault(node, weight)
        if isinstance(node, (sympy.Mul, sympy.Add)) and 2 < len(node.args) <= MAX_SUBSET_ARGS:
            for k in range(2, len(node.args)):
                for subset in combinations(node.args, k):
                    part = node.func(*subset)
                    if not _atomic(part) and size(part) >= threshold:
                        found.setdefault(part, size(part))
    return sorted(found, key=lambda e: (-found[e], sympy.default_sort_key(e)))


def _normal(text):
    text = text.replace(r"\left", "").replace(r"\right", "").replace("**", "^")
    for old, new in (("\u2212", "-"), ("\u00b7", "*"), ("\u22c5", "*"), ("\u00d7", "*"), (r"\cdot", "*")):
        text = text.replace(old, new)
    return "".join(text.split())


def _printed_forms(expr):
    from .verdict import to_latex, to_text

    forms = {str(expr), to_text(expr), sympy.latex(expr), to_latex(expr)}
    return {_normal(f) for f in forms if f}


# A word of a formula: a name, a number, operators, brackets, the course's symbols.
_FORMULA_CHARS = re.compile(r"^[\w().+\-*/^²³·⋅×−σθπ′'’]+$")
_NAME = re.compile(r"[^\W\d²³][^\W²³]*")
_TRIM = " \t.,;:!?`\"'"


def _candidate_spans(message, names):
    """Runs of words in the message that may be a formula in the given names."""
    words = message.split()
    allowed = {_canonical(n) for n in set(names) | set(_FUNCTIONS) | {"e", "pi", "π"}}
    out = []
    for i in range(len(words)):
        for j in range(i + 1, min(len(words), i + MAX_SPAN_WORDS) + 1):
            last = words[j - 1].strip(_TRIM)
            if last and not _FORMULA_CHARS.match(last):
                break  # a word that cannot be part of a formula ends every span through it
            span = " ".join(words[i:j]).strip(_TRIM)
            if not span:
                continue
            if any(_canonical(n) not in allowed for n in _NAME.findall(span)):
                continue
            out.append(span)
    return out


def _values(expr, symbols, point_index):
    from .numeric import BadPoint, evaluate

    point = {}
    for k, s in enumerate(symbols):
        magnitude = abs(_SEED_POINTS[(point_index + 3 * k) % len(_SEED_POINTS)]) * (1 + k / 7)
        # the first two points have every value positive (every ReLU on), the others mixed signs
        negative = point_index >= 2 and (point_index * 5 + k * 3) % 4 == 0
        point[s] = mpmath.mpf(-magnitude if negative else magnitude)
    try:
        value, _ = evaluate(expr, point)
    except BadPoint:
        return None
    return value


def _typed_parts(typed, mapping):
    """Sub-expressions of what the learner typed (for the exemption), and its normalised text."""
    if typed is None:
        return set(), ""
    texts = [typed] if isinstance(typed, str) else [t for t in typed if isinstance(t, str)]
    parts = set()
    for text in texts:
        try:
            expr, _ = _parse(text, mapping, allow_unknown=True)
        except (AnswerFormatError, TypeError):
            continue
        parts |= set(sympy.preorder_traversal(expr))
    return parts, "\n".join(_normal(t) for t in texts)


def leaks(message, expected, *, typed=None, variables=None):
    r"""The part of ``message`` that gives away ``expected`` (or most of it), or None.

    Parameters
    ----------
    message : str
        What the learner would read.
    expected : str or sympy.Expr
        The expected answer (a string is read by :func:`~.parsing.parse_answer`'s parser).
    typed : str or sequence of str, optional
        What the learner typed (an answer, or the lines of a derivation): parts of the expected
        answer that occur in it are not protected.
    variables : list of str or sympy.Symbol, optional
        The names of the question (default: the free symbols of ``expected``).

    Returns
    -------
    str or None
        The offending piece of the message as it appears there, or None when nothing leaks.

    Raises
    ------
    TypeError
        ``message`` is not a string.

    Examples
    --------
    >>> leaks("your answer times (1 - σ(z)) would be right", "sigmoid(z)*(1 - sigmoid(z))")
    '1 - σ(z)'
    >>> leaks("write `x*cos(x^2)` for x times cos(x^2)", "2*x*cos(x^2)", typed="2xcos(x^2)") is None
    True
    """
    if not isinstance(message, str):
        raise TypeError(f"message must be a string, got {type(message).__name__}")
    mapping = _variable_map(variables)
    if isinstance(expected, str):
        expected, _ = _parse(expected, mapping, allow_unknown=True)
    if mapping is None:
        mapping = {s.name: s for s in expected.free_symbols if isinstance(s, sympy.Symbol)}
    protection = _protection(expected)
    if not protection.nodes and not protection.vectors:
        return None
    typed_parts, typed_text = _typed_parts(typed, mapping)
    bare = typed_text.replace("*", "")
    normal = _normal(message)
    for part, forms in protection.nodes:
        if part in typed_parts or any(f.replace("*", "") in bare for f in forms):
            continue
        for form in forms:
            if form and form in normal:
                return _locate(message, form) or form  # the piece as it appears in the message
    symbols = protection.symbols
    for span in _candidate_spans(message, {s.name for s in symbols}):
        try:
            candidate, _ = _parse(span, mapping, allow_unknown=False)
        except (AnswerFormatError, TypeError, ValueError):
            continue
        if _atomic(candidate) or candidate.free_symbols - set(symbols):
            continue
        if candidate in typed_parts or _normal(span).replace("*", "") in bare:
            continue
        vector = _vector(candidate, symbols)
        if any(_same_vector(vector, v) for v in protection.vectors):
            return span
    return None


class _Protection:
    """The protected parts of one expected answer: printed forms of its large sub-expressions,
    and the values at the leak points of every protected part (sub-sums and sub-products too)."""

    def __init__(self, expected):
        self.symbols = sorted(expected.free_symbols, key=lambda s: s.name)
        threshold = LEAK_FRACTION * size(expected)
        self.nodes, self.vectors = [], []
        seen = set()
        for node in sympy.preorder_traversal(expected):
            if node in seen:
                continue
            seen.add(node)
            if not _atomic(node) and size(node) >= threshold:
                self.nodes.append((node, _printed_forms(node)))
                self.vectors.append(_vector(node, self.symbols))
            if isinstance(node, (sympy.Mul, sympy.Add)) and 2 < len(node.args) <= MAX_SUBSET_ARGS:
                sizes = [size(a) for a in node.args]
                arg_vectors = [_vector(a, self.symbols) for a in node.args]
                for k in range(2, len(node.args)):
                    for subset in combinations(range(len(node.args)), k):
                        if 1 + sum(sizes[i] for i in subset) < threshold:
                            continue
                        self.vectors.append(_combine(node.func, [arg_vectors[i] for i in subset]))


@functools.lru_cache(maxsize=64)
def _protection(expected):
    return _Protection(expected)


def _vector(expr, symbols):
    """Values at the leak points (None where undefined)."""
    return tuple(_values(expr, symbols, index) for index in range(N_LEAK_POINTS))


def _combine(func, vectors):
    out = []
    for values in zip(*vectors):
        if any(v is None for v in values):
            out.append(None)
            continue
        total = mpmath.mpf(1) if func is sympy.Mul else mpmath.mpf(0)
        for v in values:
            total = total * v if func is sympy.Mul else total + v
        out.append(total)
    return tuple(out)


def _same_vector(va, vb):
    """Whether two value vectors agree (up to sign) wherever both are defined, at two non-zero points at least."""
    signs = {1, -1}
    nonzero = 0
    tiny = mpmath.mpf(10) ** -30
    for a, b in zip(va, vb):
        if a is None or b is None:
            continue
        scale = max(abs(a), abs(b))
        if scale < tiny:
            continue
        signs = {s for s in signs if abs(a - s * b) <= LEAK_RTOL * scale}
        if not signs:
            return False
        nonzero += 1
    return nonzero >= 2


def _locate(message, form):
    """The shortest stretch of ``message`` whose normal form contains ``form``."""
    for length in range(len(form), len(message) + 1):
        for start in range(0, len(message) - length + 1):
            if form in _normal(message[start : start + length]):
                return message[start : start + length].strip()
    return None  # pragma: no cover - the caller checked that the form occurs


def exported_answers(module, answers, variables=None):
    """Names of a module's globals that hold one of ``answers`` (a string or an expression).

    For tests that check that no checker module exports an expected answer: every module-level
    string, SymPy expression, and every string or expression inside a module-level tuple, list or
    dict, is compared with each answer by :func:`leaks` (so any printed or equivalent form counts).

    Parameters
    ----------
    module : module
        The module to scan.
    answers : sequence of (str or sympy.Expr)
        The expected answers it must not hold.
    variables : list of str, optional
        Names for reading the answers.

    Returns
    -------
    list of str
        The offending global names (empty when the module exports none).

    Examples
    --------
    >>> import types
    >>> m = types.ModuleType("m"); m.ANSWER = "2*x*cos(x**2)"; m.N = 3
    >>> exported_answers(m, ["2*x*cos(x^2)"])
    ['ANSWER']
    """
    found = []

    def values(obj, depth=0):
        if isinstance(obj, (str, sympy.Basic)):
            yield obj
        elif depth < 3 and isinstance(obj, (tuple, list, set, frozenset)):
            for item in obj:
                yield from values(item, depth + 1)
        elif depth < 3 and isinstance(obj, dict):
            for key, item in obj.items():
                yield from values(key, depth + 1)
                yield from values(item, depth + 1)

    for name, obj in sorted(vars(module).items()):
        if name.startswith("__"):
            continue
        for value in values(obj):
            text = value if isinstance(value, str) else str(value)
            if len(text) > 2000:
                continue
            if any(leaks(" " + text + " ", answer, variables=variables) for answer in answers):
                found.append(name)
                break
    return found


class _CallableModule(type(functools)):
    """This module, callable as :func:`leaks`.

    The package binds the function :func:`leaks` over this module's name
    (``course_pkg.symbolic.leaks``), and a tool that imports the file by path (pytest's doctest
    collection in importlib mode) binds the module back; either way ``symbolic.leaks(...)``
    must check a message.
    """

    def __call__(self, *args, **kwargs):
        return leaks(*args, **kwargs)


import sys as _sys  # noqa: E402 - only for the line below

if _sys.modules.get(__name__) is not None:
    _sys.modules[__name__].__class__ = _CallableModule
