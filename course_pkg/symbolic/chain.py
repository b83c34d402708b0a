r"""The links of the chain rule for a composition, each named in words.

:func:`chain_links` peels a composition such as :math:`\sin(x^2)` or :math:`\log(1 + e^x)` layer
by layer, from the outside in, and returns each layer's local derivative (evaluated at its
input) with a name that says *which link* it is without saying *what* it is: "the outer
derivative (of sin, at its input)", "the inner derivative (of the square)". Their product is the
derivative. :func:`course_pkg.symbolic.equivalent` takes them as ``links=``: a missing factor
that is one of them (or a product of a few) is then named by those words.

Examples
--------
>>> [name for name, _ in chain_links("sin(x^2)", "x")]
['the outer derivative (of sin, at its input)', 'the inner derivative (of the square)']
>>> [str(d) for _, d in chain_links("sin(x^2)", "x")]
['cos(x**2)', '2*x']
"""

from __future__ import annotations

import sympy

from .parsing import _parse, _variable_map, sigmoid

__all__ = ["chain_links", "MAX_LINKS"]

#: Most layers peeled (a longer chain keeps its innermost part as one link).
MAX_LINKS = 8

_POWER_WORDS = {2: "the square", 3: "the cube", -1: "the reciprocal", sympy.Rational(1, 2): "the square root"}


def _layer_name(node):
    if isinstance(node, sigmoid):
        return "σ"
    if isinstance(node, sympy.Pow):
        if node.base is sympy.E:
            return "exp"
        return _POWER_WORDS.get(node.exp, "the power")
    if isinstance(node, sympy.Function):
        return type(node).__name__
    return "the product"  # pragma: no cover - only functions and powers are peeled


def _peel(expr, wrt):
    """(outer layer node, inner argument) of ``expr``'s outermost layer, or None.

    Sums and products with one part that depends on ``wrt`` are part of the layer (``½u²``,
    ``u - y``, ``θ·x``); the layer ends at a function or a power of that part.
    """
    node = expr
    while True:
        if node == wrt:
            return None
        if isinstance(node, (sympy.Add, sympy.Mul)):
            dependent = [a for a in node.args if a.has(wrt)]
            if len(dependent) != 1:
                return None
            (child,) = dependent
            if child == wrt:
                return node, wrt
            node = child
            continue
        if isinstance(node, sympy.Pow) and not node.exp.has(wrt):
            return node, node.base
        if isinstance(node, sympy.Function) and len(node.args) == 1:
            return node, node.args[0]
        return None


def chain_links(function, wrt, variables=None):
    r"""The local derivatives of a composition, outermost first, each named in words.

    Parameters
    ----------
    function : str or sympy.Expr
        The composition being differentiated, e.g. ``"log(1 + exp(x))"`` (the course's
        question, not its answer).
    wrt : str or sympy.Symbol
        The variable of differentiation.
    variables : list of str, optional
        The names of the question.

    Returns
    -------
    list of (str, sympy.Expr)
        ``(name, local derivative)``; the product of the derivatives is
        :math:`\partial\,\text{function} / \partial\,\text{wrt}`.

    Raises
    ------
    TypeError
        ``function`` or ``wrt`` is of the wrong type.

    Examples
    --------
    >>> for name, d in chain_links("(tanh(theta*x) - y)^2/2", "theta"):
    ...     print(name, "|", d)
    the outer derivative (of the square, at its input) | -y + tanh(theta*x)
    the middle derivative (of tanh, at its input) | 1 - tanh(theta*x)**2
    the inner derivative (of theta*x) | x
    """
    mapping = _variable_map(variables)
    if isinstance(function, str):
        function, _ = _parse(function, mapping, allow_unknown=True, argname="function")
    elif not isinstance(function, sympy.Expr):
        raise TypeError(f"function must be a string or a SymPy expression, got {type(function).__name__}")
    if isinstance(wrt, str):
        wrt = next((s for s in function.free_symbols if getattr(s, "name", None) == wrt), sympy.Symbol(wrt))
    elif not isinstance(wrt, sympy.Symbol):
        raise TypeError(f"wrt must be a name or a SymPy symbol, got {type(wrt).__name__}")
    layers = []
    current = function
    while len(layers) < MAX_LINKS - 1:
        peeled = _peel(current, wrt)
        if peeled is None:
            break
        node, inner = peeled
        t = sympy.Dummy("t")
        outer = current.xreplace({inner: t}) if inner != wrt else current.subs(wrt, t)
        local = sympy.diff(outer, t).subs(t, inner)
        named = isinstance(node, (sympy.Function, sympy.Pow))
        layers.append((_layer_name(node) if named else sympy.sstr(node), local, inner == wrt))
        if inner == wrt:
            current = wrt
            break
        current = inner
    if current != wrt:
        layers.append((sympy.sstr(current), sympy.diff(current, wrt), True))
    links = []
    for index, (what, local, last) in enumerate(layers):
        if len(layers) == 1:
            role = "the derivative"
        elif index == 0:
            role = "the outer derivative"
        elif index == len(layers) - 1:
            role = "the inner derivative"
        else:
            role = "the middle derivative"
        at = "" if index == len(layers) - 1 else ", at its input"
        links.append((f"{role} (of {what}{at})", local))
    return links
