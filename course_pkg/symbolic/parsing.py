r"""Reading a learner's answer safely: text in, SymPy expression out, nothing executed.

:func:`parse_answer` never calls ``eval``, ``exec``, ``sympify`` or ``parse_expr``. The text is
tokenised by Python's own parser (``ast.parse(text, mode="eval")``), which only builds a syntax
tree and runs nothing; the tree is then walked node by node against a whitelist and the SymPy
expression is built by hand. Anything outside the whitelist raises :class:`AnswerFormatError`
with a message that points at the offending part.

What a learner may write
------------------------
* numbers (``2``, ``0.5``, ``1e-9``; a decimal is taken at its exact value, ``0.1`` is
  :math:`1/10`), names of variables, ``+ - * / **`` and unary minus;
* ``^`` for power, the Unicode minus ``−``, ``·``, ``×`` and ``⋅`` for multiplication, ``÷`` for
  division, ``²`` and ``³`` as exponents;
* implicit multiplication where it cannot be misread: ``2z``, ``2(z + 1)``,
  ``σ(z)(1 − σ(z))``, ``(a - y)z``, ``z(1 - z)`` when ``z`` is a variable, and a blank between
  two names or after a closing parenthesis (``theta3 Heaviside(z2)``, ``a b``, ``(a - y) z``);
  a blank before a number (``z 2``) is refused with a request for ``*``;
* the functions ``exp log sqrt sin cos tan sinh cosh tanh Abs Max Min Heaviside sigmoid σ relu``
  (``abs``, ``max``, ``min``, ``ln``, ``sigma``, ``ReLU`` and ``H`` are accepted spellings) and the
  constant ``pi`` (``π``).

Common slips get a message that says what to type instead: ``tanh^2(z)`` (write ``tanh(z)^2``),
``2xcos(x^2)`` (write ``x*cos(x^2)``), a prime as in ``σ′(z)`` (write the derivative out,
``σ(z)*(1 - σ(z))``), ``sech(z)`` and the other functions the checker does not have (write
``1/cosh(z)``).

The name ``e``
--------------
In the course's notation :math:`e_j^{[l]}` is the error of a neuron, so ``e`` is ambiguous. The
rule: ``e`` is a variable when it is one of the variables (given in ``variables``, or a free
symbol of the expected answer); otherwise ``e`` is Euler's number, so ``1/(1 + e^(-z))`` reads as
the sigmoid. ``E`` is never Euler's number: it is an ordinary name.

Limits
------
At most :data:`MAX_LENGTH` characters, :data:`MAX_DEPTH` levels of nesting, integer exponents up
to :data:`MAX_INT_EXPONENT` in size, numbers up to :data:`MAX_NUMBER_BITS` bits, and towers of
powers (including ``exp``) at most :data:`MAX_TOWER` high.
"""

from __future__ import annotations

import ast
import contextvars
import keyword
import math
import re
import unicodedata
from fractions import Fraction

import sympy
from sympy.core.parameters import global_parameters as _global_parameters

__all__ = [
    "AnswerFormatError",
    "parse_answer",
    "sigmoid",
    "relu",
    "ALLOWED_FUNCTIONS",
    "MAX_LENGTH",
    "MAX_DEPTH",
    "MAX_INT_EXPONENT",
    "MAX_NUMBER_BITS",
    "MAX_TOWER",
]

#: Longest answer accepted, in characters.
MAX_LENGTH = 2000
#: Deepest nesting of the syntax tree (a flat sum or product counts as one level).
MAX_DEPTH = 60
#: Largest integer exponent accepted in absolute value (``z**1000`` is fine, ``z**10000`` not).
MAX_INT_EXPONENT = 1000
#: Largest exact number, in bits, that a power of numbers may produce (about 3000 digits).
MAX_NUMBER_BITS = 10_000
#: Highest tower of powers: ``z**z**z`` (3) is accepted, ``z**z**z**z`` is not; ``exp`` counts.
MAX_TOWER = 3
#: Largest decimal exponent of a number literal (``1e300`` is fine, ``1e400`` not).
MAX_LITERAL_EXPONENT = 300


class AnswerFormatError(ValueError):
    """The answer is not an expression the checker can read; the message says where and why.

    Examples
    --------
    >>> try:
    ...     parse_answer("open('x')")
    ... except AnswerFormatError as err:
    ...     print(str(err).split(";")[0])
    `open` is not a function this checker knows
    """


class sigmoid(sympy.Function):
    r"""The logistic sigmoid as a SymPy function, :math:`\sigma(z) = \frac{1}{1 + e^{-z}}`.

    It differentiates to :math:`\sigma(z)\,(1 - \sigma(z))`, rewrites to its definition with
    ``.rewrite(sympy.exp)`` and prints as :math:`\sigma(z)` in LaTeX.

    Parameters
    ----------
    z : sympy.Expr
        The argument (a scalar expression).

    Examples
    --------
    >>> z = sympy.Symbol("z")
    >>> sympy.diff(sigmoid(z), z)
    (1 - sigmoid(z))*sigmoid(z)
    >>> sigmoid(z).rewrite(sympy.exp)
    1/(1 + exp(-z))
    >>> sigmoid(0)
    1/2
    """

    nargs = 1

    @classmethod
    def eval(cls, z):
        if z.is_zero:
            return sympy.S.Half
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sympy.ArgumentIndexError(self, argindex)
        s = self.func(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return 1 / (1 + sympy.exp(-z))

    _eval_rewrite_as_tractable = _eval_rewrite_as_exp

    def _eval_rewrite_as_tanh(self, z, **kwargs):
        return (sympy.tanh(z / 2) + 1) / 2

    def _eval_evalf(self, prec):
        return self.rewrite(sympy.exp)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _latex(self, printer, exp=None):
        inner = printer._print(self.args[0])
        tex = r"\sigma\left(%s\right)" % inner
        return tex if exp is None else r"\sigma^{%s}\left(%s\right)" % (exp, inner)


def relu(z):
    r"""ReLU as a SymPy expression, :math:`\operatorname{relu}(z) = \max(0, z)`.

    Parameters
    ----------
    z : sympy.Expr or number
        The argument.

    Returns
    -------
    sympy.Expr
        ``Max(0, z)``.

    Examples
    --------
    >>> z = sympy.Symbol("z")
    >>> relu(z)
    Max(0, z)
    >>> sympy.diff(relu(z), z)
    Heaviside(z)
    """
    # strict: numbers and SymPy objects only; a string is refused, never parsed (or eval-ed)
    return sympy.Max(0, sympy.sympify(z, strict=True))


def _heaviside(z):
    return sympy.Heaviside(z)


# name -> (builder, minimum number of arguments, maximum number of arguments)
_FUNCTIONS = {
    "exp": (sympy.exp, 1, 1),
    "log": (sympy.log, 1, 2),
    "ln": (sympy.log, 1, 1),
    "sqrt": (sympy.sqrt, 1, 1),
    "sin": (sympy.sin, 1, 1),
    "cos": (sympy.cos, 1, 1),
    "tan": (sympy.tan, 1, 1),
    "sinh": (sympy.sinh, 1, 1),
    "cosh": (sympy.cosh, 1, 1),
    "tanh": (sympy.tanh, 1, 1),
    "Abs": (sympy.Abs, 1, 1),
    "abs": (sympy.Abs, 1, 1),
    "Max": (sympy.Max, 2, 20),
    "max": (sympy.Max, 2, 20),
    "Min": (sympy.Min, 2, 20),
    "min": (sympy.Min, 2, 20),
    "Heaviside": (_heaviside, 1, 1),
    "H": (_heaviside, 1, 1),
    "sigmoid": (sigmoid, 1, 1),
    "sigma": (sigmoid, 1, 1),
    "σ": (sigmoid, 1, 1),
    "relu": (relu, 1, 1),
    "ReLU": (relu, 1, 1),
}

# Functions whose derivative may be written with a prime (σ′(z), tanh'(z)) or as name_prime(z).
_DIFFERENTIABLE = ("exp", "log", "ln", "sqrt", "sin", "cos", "tan", "sinh", "cosh", "tanh",
                   "sigmoid", "sigma", "σ", "relu", "ReLU")


class _Prime(sympy.Function):
    """Display only: f′(u) as the learner wrote it (the echo of an unevaluated reading)."""

    nargs = 1

    def _latex(self, printer, exp=None):
        name = self.name_tex
        tex = r"%s'\left(%s\right)" % (name, printer._print(self.args[0]))
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)


def _prime_display(name):
    tex = {"σ": r"\sigma", "sigma": r"\sigma", "sigmoid": r"\sigma", "relu": r"\operatorname{relu}",
           "ReLU": r"\operatorname{relu}"}.get(name, r"\operatorname{%s}" % name)
    return type(f"{name}_prime_display", (_Prime,), {"name_tex": tex})


def _derivative_builder(builder, name):
    """The builder of f′(u) for a one-argument function f (derivative evaluated at u)."""

    def build(u):
        if not _global_parameters.evaluate:  # an unevaluated reading: show f′(u) as written
            return _prime_display(name)(u)
        t = sympy.Dummy("t")
        return sympy.diff(builder(t), t).xreplace({t: u})

    return build


for _name in _DIFFERENTIABLE:
    _FUNCTIONS[_name + "_prime"] = (_derivative_builder(_FUNCTIONS[_name][0], _name), 1, 1)

#: The functions a learner may call (the spellings accepted, in a stable order). ``f_prime`` and
#: ``f′`` (or ``f'``) are the derivative of ``f``, for the one-argument functions.
ALLOWED_FUNCTIONS = tuple(_FUNCTIONS)

# Greek letters a learner may type for a variable spelled out in Latin letters (θ3 for theta3).
_GREEK = {"θ": "theta", "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "η": "eta",
          "μ": "mu", "ε": "epsilon", "ω": "omega", "φ": "phi", "ρ": "rho", "τ": "tau", "σ": "sigma"}
# Letters with a hat, and their spelled-out names (ŷ for y_hat).
_HATS = {"ŷ": "y", "â": "a", "ĉ": "c", "ŵ": "w", "x̂": "x", "ẑ": "z"}


def _canonical(name):
    """A name with Greek letters spelled out and hats written ``_hat``: ``θ3`` → ``theta3``, ``ŷ`` → ``y_hat``."""
    name = _normalise_name(name)
    for hat, letter in _HATS.items():
        hat = _normalise_name(hat)
        if name.startswith(hat):
            name = letter + "_hat" + name[len(hat):]
    if name.endswith("hat") and not name.endswith("_hat") and len(name) > 3:
        name = name[:-3] + "_hat"  # yhat
    out = []
    for ch in name:
        out.append(_GREEK.get(ch, ch))
    return "".join(out)

_ALLOWED_LIST = (
    "exp, log, sqrt, sin, cos, tan, sinh, cosh, tanh, Abs, Max, Min, Heaviside, sigmoid (σ, sigma), relu, "
    "and (where the question allows) their derivatives with a prime or _prime"
)

# Names learners reach for that the checker deliberately refuses, with the reason.
_REFUSED = {
    "diff": "the checker wants the derivative itself, worked out by you, not a call to `diff`",
    "Derivative": "the checker wants the derivative itself, worked out by you, not `Derivative`",
    "integrate": "integrals are not part of these answers",
    "Integral": "integrals are not part of these answers",
    "simplify": "write the expression itself; the checker accepts every equivalent form",
    "factorial": "`factorial` is not needed in these answers",
    "lambda": "lambdas are not allowed",
}
for _name in ("asin", "acos", "atan", "arcsin", "arccos", "arctan", "asinh", "acosh", "atanh", "arsinh", "arcosh", "artanh"):
    _REFUSED[_name] = "inverse trigonometric and hyperbolic functions are not needed in these answers"

# Functions the checker does not have, each with the rewrite a learner can type instead ({u}: the argument).
_REWRITES = {
    "sech": "1/cosh({u})",
    "csch": "1/sinh({u})",
    "coth": "cosh({u})/sinh({u})",
    "sec": "1/cos({u})",
    "csc": "1/sin({u})",
    "cot": "cos({u})/sin({u})",
    "softplus": "log(1 + exp({u}))",
}

# What to write instead of f′(u), for the functions whose derivative the course asks for.
_PRIME_EXAMPLES = {
    "σ": "σ({u})*(1 - σ({u}))",
    "sigmoid": "sigmoid({u})*(1 - sigmoid({u}))",
    "sigma": "σ({u})*(1 - σ({u}))",
    "tanh": "1 - tanh({u})^2",
    "relu": "Heaviside({u})",
    "ReLU": "Heaviside({u})",
    "exp": "exp({u})",
    "log": "1/{u}",
    "ln": "1/{u}",
    "sin": "cos({u})",
    "cos": "-sin({u})",
    "sinh": "cosh({u})",
    "cosh": "sinh({u})",
}
_PRIME_MARKS = "'\u2019\u2032\u2033"  # ' ’ ′ ″
_STRING_PREFIXES = {"f", "r", "b", "u", "rb", "br", "fr", "rf"}

_CONSTANTS = {"pi": sympy.pi, "π": sympy.pi}

_TRANSLATIONS = {
    "\u2212": "-",  # minus sign
    "\u2013": "-",  # en dash, often pasted for minus
    "\u00b7": "*",  # middle dot
    "\u22c5": "*",  # dot operator
    "\u00d7": "*",  # multiplication sign
    "\u2217": "*",  # asterisk operator
    "\u00f7": "/",  # division sign
    "\u00b2": "**2",
    "\u00b3": "**3",
    "^": "**",
}

_NAME_CHAR = r"[^\W\d]"  # a letter (Unicode) or underscore
# A number literal directly followed by a letter or an opening parenthesis: 2z, 2(z+1), 0.5exp(z).
_IMPLICIT_AFTER_NUMBER = re.compile(
    r"(?<![\w.])(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)(?![eE][+-]?\d)(?=\s*(?:"
    + _NAME_CHAR
    + r"|\())"
)
# A closing parenthesis directly followed by a letter, a digit or an opening parenthesis.
_IMPLICIT_AFTER_PAREN = re.compile(r"\)(?=\s*(?:\w|\())")
# Blanks between a name (or a closing parenthesis) and a following name: `theta3 H(z2)`, `a b`.
_IMPLICIT_SPACE = re.compile(r"(?<=[\w)])[ \t]+(?=" + _NAME_CHAR + r")")
_WORD_BEFORE = re.compile(r"(\w+)$")
_WORD_AFTER = re.compile(r"\w+")


# Whether the learner wrote powers with ^ (then snippets in messages use ^ too).
_CARET_STYLE = contextvars.ContextVar("caret_style", default=False)


def _normalise_name(name):
    return unicodedata.normalize("NFKC", name)


def _variable_map(variables):
    """Map a normalised name to the SymPy symbol it stands for."""
    if variables is None:
        return None
    if isinstance(variables, (str, sympy.Basic)):
        variables = [variables]
    try:
        items = list(variables)
    except TypeError:
        raise TypeError(
            f"variables must be a list of names or SymPy symbols, got {type(variables).__name__}"
        ) from None
    mapping = {}
    for item in items:
        if isinstance(item, sympy.Symbol):
            mapping[_normalise_name(item.name)] = item
        elif isinstance(item, str):
            name = _normalise_name(item.strip())
            if not name.isidentifier():
                raise ValueError(
                    f"variables contains {item!r}, which is not a name; expected names such as 'z' or 'theta1'"
                )
            mapping[name] = sympy.Symbol(name)
        else:
            raise TypeError(
                f"variables must contain names (str) or SymPy symbols, got {type(item).__name__} ({item!r})"
            )
    return mapping


def _space_means_times(text):
    """Read a blank between two names (or after a closing parenthesis) as ``*``.

    ``theta3 Heaviside(z2)`` becomes ``theta3*Heaviside(z2)`` and ``a b`` becomes ``a*b``. A blank
    next to a Python keyword (``x if y else z``, ``c for c in ...``, ``lambda x``) is left alone
    so such input is still refused for what it is, and so is any text with quotes. A blank
    between a name and ``(`` keeps its meaning (``sigmoid (z)`` is a call), and a blank before a
    number (``z 2``) is not guessed at: it stays an error that asks for ``*``.
    """
    if "'" in text or '"' in text:
        return text

    def replace(match):
        before = _WORD_BEFORE.search(text, 0, match.start())
        after = _WORD_AFTER.match(text, match.end())
        for word in (before.group(1) if before else None, after.group(0)):
            if word is not None and keyword.iskeyword(word):
                return match.group(0)
        if _follows_division(text, match.start()):
            start = text.rfind("/", 0, match.start())
            shown = " ".join(text[start : match.end() + len(after.group(0))].split())
            raise AnswerFormatError(
                f"`{shown}` is ambiguous: a blank after a division could mean either order; "
                "write `*` and brackets, e.g. `y/x` or `1/(x*y)`"
            )
        return "*"

    return _IMPLICIT_SPACE.sub(replace, text)


def _follows_division(text, position):
    """Whether the factor ending at ``position`` is a divisor in its term (``1/x`` before ``y``)."""
    depth = 0
    for ch in reversed(text[:position]):
        if ch == ")":
            depth += 1
        elif ch == "(":
            if depth == 0:
                return False
            depth -= 1
        elif depth == 0 and ch in "+-,":
            return False
        elif depth == 0 and ch == "/":
            return True
    return False


def _preprocess(text):
    for old, new in _TRANSLATIONS.items():
        text = text.replace(old, new)
    text = _IMPLICIT_AFTER_NUMBER.sub(r"\1*", text)
    text = _IMPLICIT_AFTER_PAREN.sub(")*", text)
    text = _space_means_times(text)
    return text.strip()


def _snippet(source, node, limit=40):
    try:
        seg = ast.get_source_segment(source, node)
        if seg and _CARET_STYLE.get():
            seg = seg.replace("**", "^")
    except Exception:  # pragma: no cover - defensive: positions always exist for parsed nodes
        seg = None
    if not seg:
        seg = type(node).__name__
    seg = " ".join(seg.split())
    return seg if len(seg) <= limit else seg[: limit - 1] + "…"


def _max_paren_depth(text):
    depth = best = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            best = max(best, depth)
        elif ch in ")]}":
            depth -= 1
    return best


def _closing(text, start):
    """The index just past the bracket group opening at ``text[start] == "("``, or None."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def _argument_after(text, pos):
    """The argument written at ``text[pos:]``: ``(...)`` or a name; (inner text, end) or (None, pos)."""
    while pos < len(text) and text[pos] in " \t*":
        pos += 1
    if pos < len(text) and text[pos] == "(":
        end = _closing(text, pos)
        if end is not None:
            return text[pos + 1 : end - 1].strip(), end
    match = re.compile(r"\w+").match(text, pos)
    if match:
        return match.group(0), match.end()
    return None, pos


def _find_prime(text):
    """The first prime after a name or a bracket, outside quoted text: (start, name, end) or None.

    ``'`` and ``’`` open a quoted text when they follow anything but a name, a closing bracket or
    another prime (``open('x')``, ``'a b'``), so quotes are never mistaken for primes.
    """
    quote = None
    for i, ch in enumerate(text):
        if quote is not None:
            if ch == quote:
                quote = None
            continue
        if ch == '"':
            quote = ch
            continue
        if ch not in _PRIME_MARKS:
            continue
        j = i - 1
        while j >= 0 and text[j] in " \t":
            j -= 1
        if j >= 0 and (text[j].isalnum() or text[j] in "_)"):
            if text[j] == ")":
                return j, ")", _prime_end(text, i)
            k = j
            while k >= 0 and (text[k].isalnum() or text[k] == "_"):
                k -= 1
            name, end = text[k + 1 : j + 1], _prime_end(text, i)
            string_prefix = j == i - 1 and name.lower() in _STRING_PREFIXES and ch in "'\u2019"
            if not string_prefix or text[end:].lstrip().startswith("("):  # f'(z) is a prime, f'{x}' a text
                return k + 1, name, end
        if ch in "'\u2019":
            quote = ch
    return None


def _prime_end(text, i):
    while i < len(text) and text[i] in _PRIME_MARKS:
        i += 1
    return i


def _rewrite_primes(text, functions=None, derivatives=None):
    """Read ``f′(u)`` (or ``f'(u)``) as ``f_prime(u)`` for a function that has a derivative here.

    ``functions`` are the question's own function names (such as ``g`` for the ReLU);
    ``derivatives`` limits the functions whose derivative may be written so (None: all). Any
    other prime (a second derivative, a prime on a bracket or on an unknown name) is refused with
    the derivative to write instead.
    """
    known = set(_DIFFERENTIABLE) | set(functions or ())
    if derivatives is not None:
        allowed = set(derivatives)
        for name in sorted(known - allowed):
            if _find_named_prime(text, name):
                raise AnswerFormatError(
                    f"the derivative of {name} is what this question asks you to work out: write it "
                    "out instead of using a prime or _prime"
                )
        known &= allowed
    pos = 0
    while True:
        found = _find_prime(text[pos:])
        if found is None:
            return text
        start, name, after = (found[0] + pos, found[1], found[2] + pos)
        marks = text[start + len(name) : after].strip()
        follows_call = text[after:].lstrip().startswith("(")
        if name != ")" and _normalise_name(name) in known and len(marks) == 1 and marks != "\u2033" and follows_call:
            replacement = _normalise_name(name) + "_prime"
            text = text[:start] + replacement + text[after:]
            pos = start + len(replacement)
            continue
        _refuse_prime(text, start, name, after)


def _find_named_prime(text, name):
    """Whether ``text`` writes the derivative of ``name`` (``name′(``, ``name'(`` or ``name_prime(``)."""
    pattern = r"(?<![\w])" + re.escape(name) + r"\s*(?:[′'’]|_prime)\s*\("
    return re.search(pattern, unicodedata.normalize("NFKC", text)) is not None


def _refuse_prime(text, start, name, after):
    """Refuse a prime (``f′(z)``, ``g''(z)``) with the derivative to write instead."""
    if name == ")":  # show the whole bracket group the prime is on: (σ(z))′
        depth = 0
        for i in range(start, -1, -1):
            depth += {")": 1, "(": -1}.get(text[i], 0)
            if depth == 0:
                start = i
                break
    arg, end = _argument_after(text, after) if name != ")" else (None, after)
    shown = text[start:end].strip() if arg is not None else text[start:after]
    u = arg if arg is not None else "z"
    example = _PRIME_EXAMPLES.get(_normalise_name(name))
    if example is not None:
        advice = f"write {name}′({u}) out: `{example.format(u=u)}`"
    else:
        advice = (
            "write the derivative itself, e.g. `σ(z)*(1 - σ(z))` for σ′(z), `1 - tanh(z)^2` for "
            "tanh′(z), `Heaviside(z)` for relu′(z)"
        )
    raise AnswerFormatError(f"`{shown}`: primes (′ or ') are not understood; {advice}")


def _check_power_of_function(source, variables, caret):
    """Refuse ``tanh^2(z)`` (a power written on the function's name) with ``tanh(z)^2`` instead."""
    names = [n for n in list(_FUNCTIONS) + list(_REWRITES) if variables is None or n not in variables]
    pattern = re.compile(
        r"(?<![\w.])(" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")\s*\*\*\s*"
        r"(\(\s*-?\s*[\w.]+\s*\)|-?[\w.]+)"
    )
    match = pattern.search(source)
    if match is None:
        return
    name, power = match.group(1), match.group(2).replace(" ", "")
    arg, end = _argument_after(source, match.end())
    u = arg if arg is not None else "z"
    star = "^" if caret else "**"
    if arg is None:
        shown = f"{name}{star}{power}"
    elif source[end - 1 : end] == ")":
        shown = f"{name}{star}{power}({u})"
    else:
        shown = f"{name}{star}{power} {u}"
    if name in _REWRITES:
        rewrite = _REWRITES[name].format(u=u)
        raise AnswerFormatError(
            f"`{name}` is not allowed: write `({rewrite}){star}{power}` for {name}({u}){star}{power}"
            if "/" in rewrite else f"`{name}` is not allowed: write `{rewrite}{star}{power}`"
        )
    what = {"2": "the square", "3": "the cube"}.get(power, "a power")
    raise AnswerFormatError(
        f"`{shown}` is not read as {what} of {name}({u}): write `{name}({u}){star}{power}` for {what} of {name}({u})"
    )


def _glued_function(name):
    """``('x', 'cos')`` for a name such as ``xcos`` (a factor glued to a known function), else None."""
    for fname in sorted(_FUNCTIONS, key=len, reverse=True):
        if name.endswith(fname) and len(name) > len(fname):
            prefix = name[: -len(fname)]
            if prefix.isidentifier() and not prefix.startswith("_"):
                return prefix, fname
    return None


def _explain_syntax_error(text, err):
    if re.search(r"(?<![<>=!])=(?!=)", text):
        return "`=` is not allowed: write only the expression, without `... =`"
    if "==" in text or "<" in text or ">" in text or "!=" in text:
        return "comparisons (`==`, `<`, `>`) are not allowed: write only the expression"
    if not text.strip():
        return "the answer is empty: write an expression such as `sigmoid(z)*(1 - sigmoid(z))`"
    col = (err.offset or 1) - 1
    near = text[max(0, col - 10) : col + 10].strip()
    hint = ""
    if text.count("(") != text.count(")"):
        hint = f" (there are {text.count('(')} `(` but {text.count(')')} `)`)"
    elif re.search(r"[\w)]\s+[\w(]", text):
        hint = (
            " (is a `*` missing? Write `*` for a product, as in `z*2` or `theta3*Heaviside(z2)`; "
            "a blank is read as `*` only between two names)"
        )
    return f"could not read the expression near `{near}`{hint}"


class _Builder:
    """Walk a syntax tree against the whitelist, building the SymPy expression."""

    def __init__(self, source, variables, allow_unknown, functions=None, derivatives=None):
        self.derivatives = None if derivatives is None else set(derivatives)
        self.source = source
        self.variables = variables
        self.allow_unknown = allow_unknown
        self.unknown = {}
        # the question's own function names (g for the ReLU): name -> builder
        self.functions = dict(functions or {})
        # θ3 and theta3, ŷ and y_hat name the same variable
        self.canonical = {}
        for key, symbol in (variables or {}).items():
            self.canonical.setdefault(_canonical(key), symbol)

    def variable(self, name):
        """The symbol of a variable of the question named (or spelled) ``name``, or None."""
        if self.variables is None:
            return None
        if name in self.variables:
            return self.variables[name]
        return self.canonical.get(_canonical(name))

    def function(self, name):
        """(builder, min args, max args) of a function name, or None."""
        if name.endswith("_prime") and self.derivatives is not None and name[: -len("_prime")] not in self.derivatives:
            return None
        if name in self.functions:
            return self.functions[name]
        return _FUNCTIONS.get(name)

    def fail(self, node, message):
        raise AnswerFormatError(message)

    # names -----------------------------------------------------------------------------------
    def name(self, node):
        name = _normalise_name(node.id)
        if name.startswith("_"):
            self.fail(node, f"names starting with `_` are not allowed (`{name}`)")
        symbol = self.variable(name)
        if symbol is not None:
            return symbol
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        if name == "e":
            return sympy.E
        if self.function(name) is not None:
            self.fail(node, f"`{name}` is a function: call it with an argument, as in `{name}(z)`")
        if name in _REWRITES:
            self.fail(node, f"`{name}` is not allowed: write `{_REWRITES[name].format(u='z')}` for {name}(z)")
        if name in _REFUSED:
            self.fail(node, f"`{name}` is not allowed: {_REFUSED[name]}")
        if self.variables is not None and not self.allow_unknown:
            known = ", ".join(sorted(self.variables)) or "none"
            self.fail(node, f"`{name}` is not a variable of this question; the variables are: {known}")
        if name not in self.unknown:
            self.unknown[name] = sympy.Symbol(name)
        return self.unknown[name]

    # numbers ---------------------------------------------------------------------------------
    def number(self, node):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = "text" if isinstance(value, (str, bytes)) else type(value).__name__
            self.fail(node, f"only numbers and expressions are allowed, not {kind} (`{_snippet(self.source, node)}`)")
        if isinstance(value, int):
            if value.bit_length() > MAX_NUMBER_BITS:
                self.fail(node, "this number is too large for the checker")
            return sympy.Integer(value)
        literal = ast.get_source_segment(self.source, node) or repr(value)
        literal = literal.replace("_", "")
        match = re.fullmatch(r"[0-9.]+(?:[eE]([+-]?\d+))?", literal)
        if match is None:  # pragma: no cover - Python only produces such float literals
            self.fail(node, f"could not read the number `{literal}`")
        if match.group(1) is not None and abs(int(match.group(1))) > MAX_LITERAL_EXPONENT:
            self.fail(node, f"the number `{literal}` is too large or too small for the checker")
        return sympy.Rational(Fraction(literal))

    # the walk --------------------------------------------------------------------------------
    def build(self, node, depth=0, tower=0):
        if depth > MAX_DEPTH:
            raise AnswerFormatError(
                f"the expression is nested too deeply (more than {MAX_DEPTH} levels); simplify it a little"
            )
        if isinstance(node, ast.Expression):
            return self.build(node.body, depth, tower)
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return -self.build(node.operand, depth + 1, tower)
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand, depth + 1, tower)
            self.fail(node, f"the operator in `{_snippet(self.source, node)}` is not allowed; use + - * / ^")
        if isinstance(node, ast.BinOp):
            return self.binop(node, depth, tower)
        if isinstance(node, ast.Call):
            return self.call(node, depth, tower)
        self.fail(node, self.describe(_innermost(node)))

    def describe(self, node):
        snippet = _snippet(self.source, node)
        if isinstance(node, ast.Attribute):
            return f"attribute access (`.{node.attr}` in `{snippet}`) is not allowed"
        if isinstance(node, ast.Subscript):
            return f"indexing (`{snippet}`) is not allowed; write names such as `a1` instead of `a[1]`"
        if isinstance(node, ast.Lambda):
            return "lambdas are not allowed: write only the expression"
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return f"comprehensions (`{snippet}`) are not allowed"
        if isinstance(node, ast.Compare):
            return f"comparisons (`{snippet}`) are not allowed: write only the expression"
        if isinstance(node, (ast.BoolOp,)):
            return f"`and` / `or` (`{snippet}`) are not allowed"
        if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
            return f"`{snippet}` is a collection, not a single expression (is there a stray comma?)"
        if isinstance(node, ast.IfExp):
            return "`... if ... else ...` is not allowed; use Heaviside or Max for a case split"
        if isinstance(node, ast.NamedExpr):
            return "`:=` is not allowed: write only the expression"
        if isinstance(node, (ast.JoinedStr, ast.FormattedValue)):
            return "text (f-strings) is not allowed"
        if isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom, ast.Starred)):
            return f"`{snippet}` is not allowed"
        return f"`{snippet}` is not allowed in an answer"

    def binop(self, node, depth, tower):
        op = node.op
        if isinstance(op, (ast.Add, ast.Sub)):
            # Flatten a left-leaning chain a + b - c + ... so long sums do not count as depth.
            terms, cur = [], node
            while isinstance(cur, ast.BinOp) and isinstance(cur.op, (ast.Add, ast.Sub)):
                terms.append((cur.op, cur.right))
                cur = cur.left
            out = [self.build(cur, depth + 1, tower)]
            for sub_op, right in reversed(terms):
                term = self.build(right, depth + 1, tower)
                out.append(term if isinstance(sub_op, ast.Add) else -term)
            return sympy.Add(*out)
        if isinstance(op, (ast.Mult, ast.Div)):
            factors, cur = [], node
            while isinstance(cur, ast.BinOp) and isinstance(cur.op, (ast.Mult, ast.Div)):
                factors.append((cur.op, cur.right))
                cur = cur.left
            out = [self.build(cur, depth + 1, tower)]
            for sub_op, right in reversed(factors):
                factor = self.build(right, depth + 1, tower)
                if isinstance(sub_op, ast.Div):
                    if factor.is_Number and factor.is_zero:
                        self.fail(right, f"division by zero in `{_snippet(self.source, node)}`")
                    factor = 1 / factor
                out.append(factor)
            return sympy.Mul(*out)
        if isinstance(op, ast.Pow):
            return self.power(node, depth, tower)
        symbol = {ast.BitXor: "^", ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@"}.get(type(op), "this operator")
        self.fail(node, f"`{symbol}` is not allowed here; use + - * / and ^ (or **) for powers")

    def power(self, node, depth, tower):
        # `tower` counts the exponent positions above this node: a power here is a tower of
        # height tower + 2 (its base, then tower + 1 exponents).
        if tower + 2 > MAX_TOWER:
            self.fail(node, f"this tower of powers is too high (more than {MAX_TOWER} levels): `{_snippet(self.source, node)}`")
        base = self.build(node.left, depth + 1, tower)
        exponent = self.build(node.right, depth + 1, tower + 1)
        if exponent.is_Integer and abs(int(exponent)) > MAX_INT_EXPONENT:
            self.fail(node.right, f"the exponent `{_snippet(self.source, node.right)}` is too large (at most {MAX_INT_EXPONENT} in size)")
        if exponent.is_Rational and exponent.q > MAX_INT_EXPONENT:
            self.fail(node.right, f"the exponent `{_snippet(self.source, node.right)}` has too large a denominator")
        if base.is_Rational and exponent.is_Rational and not base.is_zero:
            bits = max(abs(base.p).bit_length(), abs(base.q).bit_length())
            if bits * abs(exponent.p) > MAX_NUMBER_BITS:
                self.fail(node, f"`{_snippet(self.source, node)}` is too large a number for the checker")
        # (is_zero only on numbers: on a large expression SymPy's assumptions are slow, and an
        # undefined result is caught at the end anyway)
        if base.is_Number and base.is_zero and exponent.is_negative:
            self.fail(node, f"division by zero in `{_snippet(self.source, node)}`")
        return sympy.Pow(base, exponent)

    def call(self, node, depth, tower):
        func = node.func
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            self.fail(node, f"keyword or starred arguments are not allowed (`{_snippet(self.source, node)}`)")
        if isinstance(func, ast.Name):
            name = _normalise_name(func.id)
            # only a variable of exactly this name shadows a function (σ stays the sigmoid when
            # `sigma` is a variable)
            is_variable = self.variables is not None and name in self.variables and name not in self.functions
            if self.function(name) is not None and not is_variable:
                builder, lo, hi = self.function(name)
                if not lo <= len(node.args) <= hi:
                    want = f"{lo}" if lo == hi else f"{lo} to {hi}"
                    self.fail(node, f"`{name}` takes {want} argument(s), got {len(node.args)} in `{_snippet(self.source, node)}`")
                inner_tower = tower + 1 if builder is sympy.exp else tower
                if builder is sympy.exp and tower + 2 > MAX_TOWER:
                    self.fail(node, f"this tower of exponentials is too high (more than {MAX_TOWER} levels): `{_snippet(self.source, node)}`")
                args = [self.build(a, depth + 1, inner_tower) for a in node.args]
                return builder(*args)
            if name.startswith("_"):
                self.fail(func, f"names starting with `_` are not allowed (`{name}`)")
            if name in _REFUSED:
                self.fail(func, f"`{name}` is not allowed: {_REFUSED[name]}")
            arg = _snippet(self.source, node.args[0]) if len(node.args) == 1 else "z"
            if name in _REWRITES and not is_variable:
                self.fail(func, f"`{name}` is not allowed: write `{_REWRITES[name].format(u=arg)}` for {name}({arg})")
            glued = None if is_variable else _glued_function(name)
            if glued is not None:
                prefix, fname = glued
                self.fail(
                    func,
                    f"`{name}` is not a function this checker knows: write `{prefix}*{fname}({arg})` for "
                    f"{prefix} times {fname}({arg}) (a `*` or a blank between the two)",
                )
            if not (is_variable or name in _CONSTANTS or name == "e"):
                self.fail(
                    func,
                    f"`{name}` is not a function this checker knows; allowed: {_ALLOWED_LIST}"
                    + ("" if len(node.args) != 1 else f" (for a product write `{name}*(...)`)"),
                )
        if not isinstance(func, (ast.Name, ast.Constant, ast.Call, ast.BinOp, ast.UnaryOp)):
            self.fail(func, self.describe(_innermost(func)))
        # Implicit multiplication: z(1 - z), σ(z)(1 - σ(z)), 2(z + 1).
        if len(node.args) != 1:
            self.fail(node, f"`{_snippet(self.source, node)}` looks like a call but is not a known function")
        left = self.build(func, depth + 1, tower)
        right = self.build(node.args[0], depth + 1, tower)
        return sympy.Mul(left, right)


def _innermost(node):
    """The first offending link of a chain such as ``().__class__.__bases__[0].__subclasses__``."""
    found = node
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            found = node
        node = node.func if isinstance(node, ast.Call) else node.value
    return found


def _function_map(functions):
    """The question's own function names: ``{"g": "relu"}`` -> builders for g and g_prime."""
    if functions is None:
        return None
    if not isinstance(functions, dict):
        raise TypeError(f"functions must be a dict of names to allowed function names, such as {{'g': 'relu'}}; got {type(functions).__name__}")
    out = {}
    for name, meaning in functions.items():
        if not (isinstance(name, str) and name.isidentifier() and not name.startswith("_")):
            raise ValueError(f"functions has the key {name!r}, which is not a name; expected names such as 'g'")
        if meaning not in _FUNCTIONS:
            raise ValueError(
                f"functions[{name!r}] must name an allowed function ({', '.join(_DIFFERENTIABLE)}, ...); got {meaning!r}"
            )
        name = _normalise_name(name)
        out[name] = _FUNCTIONS[meaning]
        if meaning + "_prime" in _FUNCTIONS:
            builder = _FUNCTIONS[meaning][0]
            out[name + "_prime"] = (_derivative_builder(builder, name), 1, 1)
    return out


def _parse(text, variables=None, allow_unknown=True, argname="text", functions=None, evaluate=True, derivatives=None):
    """Parse with a resolved variable map; return (expr, names of unknown symbols).

    ``functions`` is a resolved map from :func:`_function_map`; ``evaluate=False`` builds the
    expression as written (for the echo; SymPy does not simplify or reorder it).
    """
    if not isinstance(text, str):
        raise TypeError(f"{argname} must be a string (the answer as typed), got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise AnswerFormatError(
            f"the answer is {len(text)} characters long; at most {MAX_LENGTH} are accepted"
        )
    text = _rewrite_primes(text, [n for n in (functions or {}) if not n.endswith("_prime")], derivatives)
    source = _preprocess(text)
    _check_power_of_function(source, variables, caret="^" in text and "**" not in text)
    if not source:
        raise AnswerFormatError("the answer is empty: write an expression such as `sigmoid(z)*(1 - sigmoid(z))`")
    if _max_paren_depth(source) > MAX_DEPTH:
        raise AnswerFormatError(
            f"the expression is nested too deeply (more than {MAX_DEPTH} levels of brackets)"
        )
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as err:
        raise AnswerFormatError(_explain_syntax_error(source, err)) from None
    except (RecursionError, MemoryError, ValueError):
        raise AnswerFormatError("the expression is too complex to read") from None
    builder = _Builder(source, variables, allow_unknown, functions, derivatives)
    token = _CARET_STYLE.set("^" in text and "**" not in text)
    try:
        if evaluate:
            expr = builder.build(tree)
        else:
            with sympy.evaluate(False):
                expr = builder.build(tree)
    except RecursionError:
        raise AnswerFormatError("the expression is nested too deeply") from None
    finally:
        _CARET_STYLE.reset(token)
    if not isinstance(expr, sympy.Expr):  # pragma: no cover - the whitelist only builds Expr
        raise AnswerFormatError("the answer is not a single expression")
    if evaluate and expr.has(sympy.zoo, sympy.nan):
        raise AnswerFormatError("the expression is undefined (it divides by zero)")
    return expr, set(builder.unknown)


def parse_answer(text, variables=None, *, functions=None, evaluate=True, derivatives=None):
    r"""Read a typed answer as a SymPy expression, without executing it.

    Parameters
    ----------
    text : str
        The answer as typed, e.g. ``"σ(z)(1 − σ(z))"`` or ``"2*(a3 - y)*sigmoid(z3)^2"``. At most
        :data:`MAX_LENGTH` characters.
    variables : list of str or sympy.Symbol, optional
        The names the answer may use. A name in the text is matched to a symbol by name, and the
        symbol given here is used (so its assumptions are kept). ``None`` accepts any name
        (each becomes a plain ``sympy.Symbol``). A variable may also be typed with Greek letters
        or a hat where its name spells them out: ``θ3`` for ``theta3``, ``ŷ`` or ``yhat`` for
        ``y_hat`` (and the other way round).
    functions : dict of {str: str}, optional
        The question's own names for allowed functions, e.g. ``{"g": "relu"}``: then ``g(z)`` is
        ``relu(z)`` and ``g′(z)`` (or ``g'(z)``, ``g_prime(z)``) is its derivative.
    evaluate : bool, default True
        False: the expression exactly as written, not simplified or reordered by SymPy (for
        echoing an answer back; ``x + 0`` stays ``x + 0``). Never compare such expressions.
    derivatives : collection of str, optional
        The functions whose derivative may be written with a prime or ``_prime`` (``None``: all
        of them). A question that asks for a derivative excludes it: for "derive tanh′", pass
        ``derivatives=()`` (or the others), so ``tanh′(z)`` is not an answer.

    Returns
    -------
    sympy.Expr
        The expression as understood, e.g. :math:`\sigma(z)\,(1 - \sigma(z))`.

    Raises
    ------
    AnswerFormatError
        The text is empty, too long, not an expression, or uses anything outside the whitelist;
        the message points at the part that could not be accepted.
    TypeError
        ``text`` is not a string, or ``variables`` is not a list of names or symbols.

    Examples
    --------
    >>> parse_answer("σ(z)(1 − σ(z))")
    (1 - sigmoid(z))*sigmoid(z)
    >>> parse_answer("2x^2 + 0.5", variables=["x"])
    2*x**2 + 1/2
    >>> parse_answer("1/(1 + e^(-z))")
    1/(1 + exp(-z))
    >>> parse_answer("σ′(z3)·θ3", variables=["z3", "theta3"])
    theta3*(1 - sigmoid(z3))*sigmoid(z3)
    >>> parse_answer("g′(z2) ŷ", variables=["z2", "y_hat"], functions={"g": "relu"})
    y_hat*Heaviside(z2)
    >>> parse_answer("x*1 + 0", variables=["x"], evaluate=False)
    x*1 + 0
    >>> parse_answer("__import__('os')")
    Traceback (most recent call last):
    ...
    course_pkg.symbolic.parsing.AnswerFormatError: names starting with `_` are not allowed (`__import__`)
    """
    mapping = _variable_map(variables)
    expr, _ = _parse(text, mapping, allow_unknown=False, functions=_function_map(functions), evaluate=evaluate,
                     derivatives=_derivative_names(derivatives))
    return expr


def _derivative_names(derivatives):
    """Validate ``derivatives`` (None, or a collection of function names)."""
    if derivatives is None:
        return None
    if derivatives is False:
        return ()
    if isinstance(derivatives, str) or not hasattr(derivatives, "__iter__"):
        raise TypeError(f"derivatives must be a collection of function names (or None), got {derivatives!r}")
    names = set()
    for n in derivatives:
        if not isinstance(n, str):
            raise TypeError(f"derivatives must contain function names (str), got {n!r}")
        n = _normalise_name(n)
        names |= next((group for group in _SPELLINGS if n in group), {n})
    return tuple(sorted(names))


# Spellings of one function: allowing the derivative of one allows it under every spelling.
_SPELLINGS = ({"σ", "sigma", "sigmoid"}, {"relu", "ReLU"}, {"log", "ln"})
