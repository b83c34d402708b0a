r"""The course's derivations as data: every line a SymPy expression, every line checked.

Each derivation is a :class:`Derivation`: a title, the quantity being derived, and a list of
steps ``(expression, justification)``; :meth:`Derivation.verify` runs
:func:`course_pkg.symbolic.check_derivation` on it and returns a
:class:`~course_pkg.symbolic.Verdict`. In Jupyter a derivation renders as aligned LaTeX, one
step per line with its justification. Intermediate quantities (``z^{[1]}``, ``a^{[1]}``, the errors
``e^{[l]}``) appear as symbols for readability; their definitions are stored with the derivation and
substituted before checking, so the check is about the fully composed expressions.

What is here (stable names, used by notebooks 01–04 and verified in ``tests/test_derivations.py``):

``chain_rule(functions=None, variable="x")``
    The chain rule on a composition :math:`f_1(f_2(\dots f_n(x)))`: the derivative of the
    composition equals the product of the local derivatives. Generic functions by default
    (:math:`a(b(c(d(x))))`), or any SymPy functions given.
``SIGMOID_DERIVATIVE``
    :math:`\sigma'(z) = \sigma(z)\,(1 - \sigma(z))`, line by line from the definition.
``RELU_DERIVATIVE``
    :math:`\operatorname{relu}'(z) = H(z)`, with the course's convention :math:`g'(0) = 0`.
``scalar_network_partials()``
    The scalar network of notebook 03 (three layers, one neuron each, weights
    :math:`\theta_1, \theta_2, \theta_3`, biases :math:`b_1, b_2, b_3`, ReLU hidden, sigmoid output,
    :math:`C = (\hat y - y)^2`, with :math:`z^{[1]} = \theta_1 x + b_1`,
    :math:`z^{[2]} = \theta_2 a^{[1]} + b_2`, :math:`z^{[3]} = \theta_3 a^{[2]} + b_3`): a dict of the six
    partials ``"theta1", "b1", "theta2", "b2", "theta3", "b3"``, each checked against SymPy's
    derivative of the fully composed cost.
``backprop_equations(sizes=(2, 2, 2))``
    BP1–BP4 for a network with a generic activation ``g = sympy.Function('g')`` and a generic
    per-example cost ``c`` of the output activations: a dict ``"BP1"`` … ``"BP4"`` of tuples of
    derivations, one per neuron (and weight). BP2–BP4 are derived for any downstream cost (a
    generic function of the next layer's weighted inputs), so each is a proof for that shape.
``backprop_on_network(sizes=(2, 2, 2, 2))``
    The four equations run backwards through a whole symbolic network (generic ``g`` and ``c``)
    and compared, parameter by parameter, with SymPy's derivative of the fully composed cost;
    returns a Verdict.
``fan_out()``
    A value used by two neurons: its derivative is the sum of the two paths' products.
``four_equations(sizes=(2, 3, 2))``
    BP1–BP4 step by step as notebook 04 reads them (intermediate ``z``, ``e`` as symbols with
    stored definitions), each step checked, for a generic ``g`` and a generic cost.
``matrix_forms(sizes=(2, 3, 2))``
    The matrix forms (``⊙ g′``, ``Wᵀ e``, the outer product ``e a_prevᵀ``) as :class:`MatrixForm`
    objects, each checked entry by entry against the index form.

Examples
--------
>>> from course_pkg import derivations
>>> derivations.SIGMOID_DERIVATIVE.verify().ok
True
>>> sorted(derivations.scalar_network_partials())
['b1', 'b2', 'b3', 'theta1', 'theta2', 'theta3']
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace

import sympy

from .symbolic import Verdict, check_derivation, equivalent, relu, sigmoid, to_latex
from .symbolic.verdict import justification_latex, justification_parts

__all__ = [
    "Derivation",
    "chain_rule",
    "SIGMOID_DERIVATIVE",
    "RELU_DERIVATIVE",
    "scalar_network_partials",
    "backprop_equations",
    "backprop_on_network",
    "fan_out",
    "four_equations",
    "MatrixForm",
    "matrix_forms",
]

#: Seconds allowed per check of the course's own derivations (trusted input, may be heavy; a slow
#: CI machine must not turn a true identity into a timeout).
COURSE_TIMEOUT = 60.0


@dataclass(frozen=True)
class Derivation:
    r"""A derivation as data: steps that are SymPy expressions, each equal to the one before.

    Attributes
    ----------
    title : str
        A short name, e.g. ``"The derivative of the sigmoid"``.
    quantity : str
        LaTeX of what is derived, e.g. ``r"\frac{d\sigma}{dz}"``; the rendering writes
        ``quantity = step_0 = step_1 = ...``. Empty: step 0 itself is the left-hand side,
        ``step_0 = step_1 = ...`` (then step 0 has no justification).
    steps : tuple of (sympy.Expr, str)
        Each step and its justification: text with inline maths between ``$...$`` or ``\(...\)``
        (``"$a'(u)$, by hand"``; see :func:`course_pkg.symbolic.verdict.justification_parts`),
        may be empty. Unbalanced delimiters raise ``ValueError`` here, not at display.
    definitions : tuple of (sympy.Symbol, sympy.Expr)
        Intermediate quantities, in the order they are computed (each may use the ones before);
        they are substituted, last first, before the steps are checked.
    note : str
        One sentence shown under the derivation (plain text).
    products : tuple of int
        Indices of steps that are products shown factor by factor, in the order built (with
        ``sympy.Mul(..., evaluate=False)``), with :math:`\cdot` between the factors: a chain
        rule's product of local derivatives.

    Examples
    --------
    >>> x = sympy.Symbol("x")
    >>> d = Derivation("Expanding a square", "(x+1)^2", ((sympy.expand((x + 1) ** 2), ""), ((x + 1) ** 2, "factor")))
    >>> d.verify().ok
    True
    """

    title: str
    quantity: str
    steps: tuple
    definitions: tuple = ()
    note: str = ""
    products: tuple = ()
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        if not isinstance(self.title, str) or not isinstance(self.quantity, str):
            raise TypeError("title and quantity must be strings")
        if len(self.steps) < 1:
            raise ValueError("steps is empty; a derivation needs at least one step")
        for i, step in enumerate(self.steps):
            if not (isinstance(step, tuple) and len(step) == 2 and isinstance(step[0], sympy.Expr) and isinstance(step[1], str)):
                raise TypeError(f"steps[{i}] must be a pair (sympy.Expr, str), got {step!r}")
            try:
                justification_parts(step[1])
            except ValueError as err:
                raise ValueError(f"steps[{i}]: {err}") from None
        if not self.quantity and self.steps[0][1]:
            raise ValueError(
                f"steps[0] has the justification {self.steps[0][1]!r} but quantity is empty, so step 0 is "
                "the left-hand side; give quantity, or justify step 1 instead"
            )
        for index in self.products:
            if not (isinstance(index, int) and 0 <= index < len(self.steps)):
                raise ValueError(f"products contains {index!r}; expected indices of steps, 0 to {len(self.steps) - 1}")
            if not isinstance(self.steps[index][0], sympy.Mul):
                raise ValueError(f"products contains {index}, but step {index} is not a product: {self.steps[index][0]}")

    @property
    def expressions(self):
        """The steps' expressions, as displayed (with intermediate symbols)."""
        return tuple(e for e, _ in self.steps)

    def expand(self, expr):
        """Substitute the definitions into ``expr`` (last definition first)."""
        for symbol, value in reversed(self.definitions):
            expr = expr.xreplace({symbol: value})
        return expr

    def expanded_steps(self):
        """The steps with every intermediate quantity replaced by its definition."""
        return tuple(self.expand(e) for e in self.expressions)

    def verify(self):
        """Check every step against the previous one (definitions substituted).

        Returns
        -------
        Verdict
            ``ok`` when every step follows; ``failed_step`` otherwise. Its ``steps`` are the
            readable steps.
        """
        if "verdict" not in self._cache:
            titles = tuple(j for _, j in self.steps)
            verdict = check_derivation(list(self.expanded_steps()), titles=titles, timeout=COURSE_TIMEOUT)
            self._cache["verdict"] = replace(verdict, steps=self.expressions)
        return self._cache["verdict"]

    def _tex(self, i):
        return to_latex(self.steps[i][0], product=i in self.products)

    def _lines(self):
        lines = []
        first = 0 if self.quantity else 1
        lhs = self.quantity if self.quantity else self._tex(0)
        if first == len(self.steps):  # a single step and no quantity: nothing to equate
            return [lhs]
        for i in range(first, len(self.steps)):
            why = self.steps[i][1]
            tag = r" \quad " + justification_latex(why) if why else ""
            lines.append(rf"{lhs if i == first else ''} &= {self._tex(i)}{tag}")
        return lines

    def _repr_latex_(self):
        return r"$\displaystyle \begin{aligned}" + r" \\ ".join(self._lines()) + r"\end{aligned}$"

    def _repr_html_(self):
        body = html.escape(r"\[\begin{aligned}" + r" \\ ".join(self._lines()) + r"\end{aligned}\]")
        parts = [f'<div class="course-derivation"><strong>{html.escape(self.title)}</strong>', body]
        if self.definitions:
            defs = ", ".join(rf"{to_latex(s)} = {to_latex(v)}" for s, v in self.definitions)
            parts.append("<div><small>where " + html.escape(r"\(" + defs + r"\)") + "</small></div>")
        if self.note:
            parts.append(f"<div><small>{html.escape(self.note)}</small></div>")
        if "verdict" in self._cache:
            v = self._cache["verdict"]
            colour = "#1a7f37" if v.ok else "#b42318"
            parts.append(f'<div style="color: {colour}">{"✓" if v.ok else "✗"} {html.escape(v.message)}</div>')
        parts.append("</div>")
        return "".join(parts)




# ------------------------------------------------------------------------------------------------
# The chain rule on compositions
# ------------------------------------------------------------------------------------------------


def chain_rule(functions=None, variable="x"):
    r"""The chain rule on a composition, as a checked derivation.

    .. math:: \frac{d}{dx} f_1(f_2(\cdots f_n(x))) = f_1'(u_1)\, f_2'(u_2) \cdots f_n'(x),
              \qquad u_i = f_{i+1}(\cdots f_n(x))

    Parameters
    ----------
    functions : sequence of callables, optional
        The functions, outermost first; each maps a SymPy expression to one
        (``sympy.sin``, ``sympy.exp``, ``lambda u: u**2``, ``sigmoid``...). Default: four generic
        functions ``a, b, c, d`` (SymPy undefined functions), i.e. :math:`a(b(c(d(x))))`.
    variable : str or sympy.Symbol, default "x"
        The variable.

    Returns
    -------
    Derivation
        Steps: the derivative of the composition (unevaluated, the left-hand side); the product
        of the local derivatives, outermost first and shown as a product,
        :math:`a'(b(c(d(x)))) \cdot b'(c(d(x))) \cdot c'(d(x)) \cdot d'(x)`; (for concrete
        functions) SymPy's derivative of the composition. Each step is checked by ``verify()``.

    Raises
    ------
    ValueError
        ``functions`` is empty.

    Examples
    --------
    >>> d = chain_rule([sympy.sin, sympy.exp, lambda u: u**2])
    >>> d.expressions[1].args
    (cos(exp(x**2)), exp(x**2), 2*x)
    >>> d.verify().ok
    True
    >>> print(d._lines()[0])
    \frac{d}{d x} \sin{\left(e^{x^{2}} \right)} &= \cos{\left(e^{x^{2}} \right)} \cdot e^{x^{2}} \cdot 2 x \quad \text{chain rule: the product of the local derivatives, outermost first, each at its own input}
    """
    x = sympy.Symbol(variable) if isinstance(variable, str) else variable
    if not isinstance(x, sympy.Symbol):
        raise TypeError(f"variable must be a name or a SymPy symbol, got {type(variable).__name__}")
    if functions is None:
        functions = [sympy.Function(name) for name in "abcd"]
    functions = list(functions)
    if not functions:
        raise ValueError("functions is empty; give at least one function, outermost first")
    inner = [x]  # inner[i] is the argument of functions[-1 - i]
    for f in reversed(functions):
        inner.append(f(inner[-1]))
    composed = inner[-1]
    t = sympy.Dummy("t")
    factors = []  # the local derivatives, innermost first
    for f, u in zip(reversed(functions), inner):
        local = sympy.diff(f(t), t)
        # an unknown function gives Derivative(f(u), u), printed f'(u); a known one its formula at u
        factors.append(local.subs(t, u) if local.has(t) else local)
    product = sympy.Mul(*reversed(factors), evaluate=False) if len(factors) > 1 else factors[0]
    steps = [
        (sympy.Derivative(composed, x), ""),
        (product, "chain rule: the product of the local derivatives, outermost first, each at its own input"),
    ]
    generic = any(isinstance(f, sympy.core.function.UndefinedFunction) for f in functions)
    if not generic:
        steps.append((sympy.diff(composed, x), "SymPy's derivative of the composition"))
    return Derivation(
        title="The chain rule on a composition",
        quantity="",
        steps=tuple(steps),
        note="Each function contributes its own derivative, evaluated at its own input.",
        products=(1,) if isinstance(product, sympy.Mul) else (),
    )


# ------------------------------------------------------------------------------------------------
# Activation derivatives
# ------------------------------------------------------------------------------------------------


def _sigmoid_derivative():
    z = sympy.Symbol("z")
    u = 1 + sympy.exp(-z)  # the denominator of the sigmoid
    one_over_u = sympy.Pow(u, -1)
    steps = (
        (sympy.Derivative(sigmoid(z), z), ""),
        (sympy.Derivative(one_over_u, z), r"definition: \(\sigma(z) = (1 + e^{-z})^{-1}\)"),
        (sympy.Mul(-sympy.Pow(u, -2), sympy.Derivative(u, z), evaluate=False), r"power rule, then the chain rule for the inside"),
        (sympy.Mul(-sympy.Pow(u, -2), -sympy.exp(-z), evaluate=False), r"the inside \(1 + e^{-z}\) has derivative \(-e^{-z}\)"),
        (sympy.exp(-z) / u**2, "the two minus signs cancel"),
        (sympy.Mul(one_over_u, sympy.exp(-z) * one_over_u, evaluate=False), "split the square into two fractions"),
        (
            sympy.Mul(one_over_u, sympy.Add(u, -1, evaluate=False) * one_over_u, evaluate=False),
            r"write \(e^{-z}\) as \((1 + e^{-z}) - 1\)",
        ),
        (sympy.Mul(one_over_u, sympy.Add(1, -one_over_u, evaluate=False), evaluate=False), "divide each term by the denominator"),
        (sigmoid(z) * (1 - sigmoid(z)), r"recognise \(\sigma(z)\) twice"),
    )
    return Derivation(
        title="The derivative of the sigmoid",
        quantity=r"\frac{d\sigma}{dz}",
        steps=steps,
        note="The derivative is expressed through the sigmoid itself: backprop reuses the forward pass's σ(z).",
    )


def _relu_derivative():
    z = sympy.Symbol("z")
    steps = (
        (sympy.Derivative(relu(z), z), ""),
        (sympy.Piecewise((0, z < 0), (1, z > 0)), r"slope of each piece: 0 for \(z < 0\), 1 for \(z > 0\)"),
        (sympy.Heaviside(z, 0), r"the step function, with the convention \(g'(0) = 0\) at the kink"),
    )
    return Derivation(
        title="The derivative of ReLU",
        quantity=r"\frac{d}{dz}\max(0, z)",
        steps=steps,
        note="At z = 0 ReLU has a kink and no derivative; the course uses g'(0) = 0, and the checker samples away from kinks.",
    )


SIGMOID_DERIVATIVE = _sigmoid_derivative()
RELU_DERIVATIVE = _relu_derivative()


# ------------------------------------------------------------------------------------------------
# Seed 000's scalar network
# ------------------------------------------------------------------------------------------------


def scalar_network_partials():
    r"""All six partial derivatives of the scalar network of notebook 03, as checked derivations.

    The network: :math:`z^{[1]} = \theta_1 x + b_1`, :math:`a^{[1]} = \operatorname{relu}(z^{[1]})`,
    :math:`z^{[2]} = \theta_2 a^{[1]} + b_2`, :math:`a^{[2]} = \operatorname{relu}(z^{[2]})`,
    :math:`z^{[3]} = \theta_3 a^{[2]} + b_3`, :math:`\hat y = \sigma(z^{[3]})`,
    :math:`C = (\hat y - y)^2`. The errors :math:`e^{[3]} = 2(\hat y - y)\,\sigma(z^{[3]})(1 - \sigma(z^{[3]}))`,
    :math:`e^{[2]} = e^{[3]} \theta_3 H(z^{[2]})`, :math:`e^{[1]} = e^{[2]} \theta_2 H(z^{[1]})` are
    reused from one partial to the next.

    Returns
    -------
    dict of {str: Derivation}
        Keys ``"theta1", "b1", "theta2", "b2", "theta3", "b3"``. Each derivation starts from
        SymPy's derivative of the fully composed cost, then the chain-rule product along the
        path, then the backprop form (an error times the layer's input).

    Examples
    --------
    >>> partials = scalar_network_partials()
    >>> partials["theta2"].expressions[-1]
    a^{[1]}*e^{[2]}
    >>> partials["theta2"].verify().ok
    True
    """
    x, y = sympy.symbols("x y")
    th = sympy.symbols("theta_1:4")
    b = sympy.symbols("b_1:4")
    z = sympy.symbols("z^{[1]} z^{[2]} z^{[3]}")
    a = sympy.symbols("a^{[1]} a^{[2]}")
    yhat = sympy.Symbol(r"\hat{y}")
    C = sympy.Symbol("C")
    e = sympy.symbols("e^{[1]} e^{[2]} e^{[3]}")
    definitions = (
        (z[0], th[0] * x + b[0]),
        (a[0], relu(z[0])),
        (z[1], th[1] * a[0] + b[1]),
        (a[1], relu(z[1])),
        (z[2], th[2] * a[1] + b[2]),
        (yhat, sigmoid(z[2])),
        (C, (yhat - y) ** 2),
        (e[2], 2 * (yhat - y) * sigmoid(z[2]) * (1 - sigmoid(z[2]))),
        (e[1], e[2] * th[2] * sympy.Heaviside(z[1])),
        (e[0], e[1] * th[1] * sympy.Heaviside(z[0])),
    )
    dC_dyhat = sympy.Mul(2, yhat - y, evaluate=False)  # shown as 2(ŷ − y), not expanded
    dyhat_dz3 = sympy.Mul(sigmoid(z[2]), 1 - sigmoid(z[2]), evaluate=False)
    H = sympy.Heaviside
    # The local derivatives along each path, from the parameter up to the cost.
    paths = {
        "theta3": ([a[1]], e[2] * a[1]),
        "b3": ([sympy.Integer(1)], e[2]),
        "theta2": ([a[0], H(z[1]), th[2]], e[1] * a[0]),
        "b2": ([sympy.Integer(1), H(z[1]), th[2]], e[1]),
        "theta1": ([x, H(z[0]), th[1], H(z[1]), th[2]], e[0] * x),
        "b1": ([sympy.Integer(1), H(z[0]), th[1], H(z[1]), th[2]], e[0]),
    }
    params = {"theta1": th[0], "b1": b[0], "theta2": th[1], "b2": b[1], "theta3": th[2], "b3": b[2]}
    latex_names = {"theta1": r"\theta_1", "b1": "b_1", "theta2": r"\theta_2", "b2": "b_2", "theta3": r"\theta_3", "b3": "b_3"}
    out = {}
    for key in ("theta1", "b1", "theta2", "b2", "theta3", "b3"):
        locals_, backprop_form = paths[key]
        chain = sympy.Mul(*locals_, dyhat_dz3, dC_dyhat, evaluate=False)
        steps = (
            (sympy.Derivative(C, params[key]), "SymPy differentiates the fully composed cost"),
            (chain, "chain rule along the path, from the parameter up to the cost"),
            (backprop_form, "backprop: reuse the error of the layer"),
        )
        out[key] = Derivation(
            title=f"∂C/∂{key.replace('theta', 'θ')} in the scalar network",
            quantity=rf"\frac{{\partial C}}{{\partial {latex_names[key]}}}",
            steps=steps,
            definitions=definitions,
            note="H is the Heaviside step, the derivative of ReLU away from its kink.",
            products=(1,),
        )
    return out


# ------------------------------------------------------------------------------------------------
# The four equations of backpropagation
# ------------------------------------------------------------------------------------------------


def _check_sizes(sizes, minimum_layers):
    if not isinstance(sizes, (tuple, list)) or not all(isinstance(n, int) and not isinstance(n, bool) for n in sizes):
        raise TypeError(f"sizes must be a tuple of ints (neurons per layer, inputs first), got {sizes!r}")
    if len(sizes) < minimum_layers + 1:
        raise ValueError(f"sizes has {len(sizes)} entries; need at least {minimum_layers + 1} (inputs and {minimum_layers} layers)")
    if any(n < 1 for n in sizes):
        raise ValueError(f"sizes must be positive, got {sizes!r}")
    if any(n > 4 for n in sizes):
        raise ValueError(f"sizes is {sizes!r}; at most 4 neurons per layer keep the symbolic check fast")


def _sym(name, l, *idx):
    return sympy.Symbol(rf"{name}^{{[{l}]}}_{{{''.join(str(i) for i in idx)}}}")


def backprop_equations(sizes=(2, 2, 2)):
    r"""BP1–BP4 derived for each neuron of a network with a generic activation :math:`g`.

    .. math::
        e_j^{[L]} = \frac{\partial c}{\partial a_j^{[L]}}\, g'(z_j^{[L]}) \quad\text{(BP1)},\qquad
        e_j^{[l]} = \Big(\sum_k w_{kj}^{[l+1]} e_k^{[l+1]}\Big)\, g'(z_j^{[l]}) \quad\text{(BP2)},

        \frac{\partial c}{\partial b_j^{[l]}} = e_j^{[l]} \quad\text{(BP3)},\qquad
        \frac{\partial c}{\partial w_{jk}^{[l]}} = a_k^{[l-1]}\, e_j^{[l]} \quad\text{(BP4)}.

    The cost :math:`c` is a generic function of the output activations (BP1), and of the next
    layer's weighted inputs :math:`z^{[l+1]}` (BP2) or of this layer's :math:`z^{[l]}` (BP3, BP4),
    so every identity is proved for any cost and any activation on this shape.

    Parameters
    ----------
    sizes : tuple of int, default (2, 2, 2)
        Neurons per layer, inputs first: ``(n_0, n_1, ..., n_L)``; at least two layers, at most 4
        neurons per layer.

    Returns
    -------
    dict of {str: tuple of Derivation}
        ``"BP1"``: one per output neuron j; ``"BP2"``: one per neuron j of layer L-1;
        ``"BP3"``: one per neuron j of layer L; ``"BP4"``: one per weight :math:`w_{jk}^{[L]}`.

    Examples
    --------
    >>> eqs = backprop_equations()
    >>> len(eqs["BP1"]), len(eqs["BP4"])
    (2, 4)
    >>> eqs["BP2"][0].verify().ok
    True
    """
    _check_sizes(sizes, 2)
    L = len(sizes) - 1
    n_L, n_prev = sizes[L], sizes[L - 1]
    g = sympy.Function("g")
    c = sympy.Function("c")
    z_L = [_sym("z", L, j) for j in range(1, n_L + 1)]
    a_L = [_sym("a", L, j) for j in range(1, n_L + 1)]
    out = {}

    # BP1: c as a function of z^[L] through a^[L] = g(z^[L]).
    bp1 = []
    for j in range(n_L):
        cost_of_z = c(*[g(zz) for zz in z_L])
        dc_da = sympy.Subs(sympy.Derivative(c(*a_L), a_L[j]), tuple(a_L), tuple(g(zz) for zz in z_L))
        steps = (
            (sympy.Derivative(cost_of_z, z_L[j]), rf"definition: \(e_{j + 1}^{{[{L}]}} = \partial c / \partial z_{j + 1}^{{[{L}]}}\)"),
            (dc_da * sympy.Derivative(g(z_L[j]), z_L[j]), rf"chain rule through \(a_{j + 1}^{{[{L}]}} = g(z_{j + 1}^{{[{L}]}})\)"),
        )
        bp1.append(Derivation(title=f"BP1 for output neuron {j + 1}", quantity=rf"e_{j + 1}^{{[{L}]}}", steps=steps,
                              note="Only a_j depends on z_j, so a single term survives."))
    out["BP1"] = tuple(bp1)

    # BP2: e^[l] from e^[l+1], l = L - 1; downstream cost C_next is a generic function of z^[l+1].
    l = L - 1
    n_l, n_next = sizes[l], sizes[l + 1]
    z_l = [_sym("z", l, j) for j in range(1, n_l + 1)]
    u = [_sym("u", l + 1, k) for k in range(1, n_next + 1)]  # stand-ins for z^[l+1]
    w_next = [[_sym("w", l + 1, k, j) for j in range(1, n_l + 1)] for k in range(1, n_next + 1)]
    b_next = [_sym("b", l + 1, k) for k in range(1, n_next + 1)]
    c_next = sympy.Function(f"c_{l + 1}")
    z_next_of = [sum(w_next[k][j] * g(z_l[j]) for j in range(n_l)) + b_next[k] for k in range(n_next)]
    e_next = [sympy.Subs(sympy.Derivative(c_next(*u), u[k]), tuple(u), tuple(z_next_of)) for k in range(n_next)]
    bp2 = []
    for j in range(n_l):
        through = sum(
            e_next[k] * sympy.Derivative(z_next_of[k], z_l[j]) for k in range(n_next)
        )
        steps = (
            (sympy.Derivative(c_next(*z_next_of), z_l[j]), rf"definition, with \(c\) seen as a function of \(z^{{[{l + 1}]}}\)"),
            (through, rf"chain rule: \(z_j^{{[{l}]}}\) reaches the cost through every \(z_k^{{[{l + 1}]}}\)"),
            (sum(w_next[k][j] * e_next[k] for k in range(n_next)) * sympy.Derivative(g(z_l[j]), z_l[j]),
             rf"\(\partial z_k^{{[{l + 1}]}} / \partial z_j^{{[{l}]}} = w_{{kj}}^{{[{l + 1}]}} g'(z_j^{{[{l}]}})\)"),
        )
        bp2.append(Derivation(title=f"BP2 for neuron {j + 1} of layer {l}", quantity=rf"e_{j + 1}^{{[{l}]}}", steps=steps,
                              note="The errors of layer l+1 flow back through the transposed weights, scaled by g'."))
    out["BP2"] = tuple(bp2)

    # BP3, BP4 at layer L: c as a generic function of z^[L], with z^[L] = W a^[L-1] + b.
    c_L = sympy.Function(f"c_{L}")
    v = [_sym("u", L, j) for j in range(1, n_L + 1)]
    w_L = [[_sym("w", L, j, k) for k in range(1, n_prev + 1)] for j in range(1, n_L + 1)]
    b_L = [_sym("b", L, j) for j in range(1, n_L + 1)]
    a_prev = [_sym("a", L - 1, k) for k in range(1, n_prev + 1)]
    z_of = [sum(w_L[j][k] * a_prev[k] for k in range(n_prev)) + b_L[j] for j in range(n_L)]
    e_L = [sympy.Subs(sympy.Derivative(c_L(*v), v[j]), tuple(v), tuple(z_of)) for j in range(n_L)]
    bp3, bp4 = [], []
    for j in range(n_L):
        steps = (
            (sympy.Derivative(c_L(*z_of), b_L[j]), rf"the cost through \(z^{{[{L}]}}\)"),
            (e_L[j] * sympy.Derivative(z_of[j], b_L[j]), rf"chain rule: only \(z_{j + 1}^{{[{L}]}}\) contains \(b_{j + 1}^{{[{L}]}}\)"),
            (e_L[j], rf"\(\partial z_j / \partial b_j = 1\), and the rest is \(e_j^{{[{L}]}}\)"),
        )
        bp3.append(Derivation(title=f"BP3 for the bias of neuron {j + 1} of layer {L}",
                              quantity=rf"\frac{{\partial c}}{{\partial b_{j + 1}^{{[{L}]}}}}", steps=steps))
        for k in range(n_prev):
            steps = (
                (sympy.Derivative(c_L(*z_of), w_L[j][k]), rf"the cost through \(z^{{[{L}]}}\)"),
                (e_L[j] * sympy.Derivative(z_of[j], w_L[j][k]), rf"chain rule: only \(z_{j + 1}^{{[{L}]}}\) contains this weight"),
                (a_prev[k] * e_L[j], rf"\(\partial z_j / \partial w_{{jk}} = a_k^{{[{L - 1}]}}\)"),
            )
            bp4.append(Derivation(title=f"BP4 for the weight w_{j + 1}{k + 1} of layer {L}",
                                  quantity=rf"\frac{{\partial c}}{{\partial w_{{{j + 1}{k + 1}}}^{{[{L}]}}}}", steps=steps))
    out["BP3"] = tuple(bp3)
    out["BP4"] = tuple(bp4)
    return out


def backprop_on_network(sizes=(2, 2, 2, 2)):
    r"""Run BP1–BP4 through a whole symbolic network and compare with SymPy's derivatives.

    The network has generic activation ``g = sympy.Function('g')`` in every layer and a generic
    per-example cost ``c(a_1^{[L]}, ..., a_n^{[L]})``. The errors are computed backwards with BP1
    and BP2, the gradients with BP3 and BP4, and each gradient is checked equal to SymPy's
    derivative of the fully composed cost with respect to that parameter.

    Parameters
    ----------
    sizes : tuple of int, default (2, 2, 2, 2)
        Neurons per layer, inputs first (at least one layer, at most 4 neurons per layer).

    Returns
    -------
    Verdict
        ``ok`` when every weight and bias agrees; otherwise the message names the first parameter
        that does not.

    Examples
    --------
    >>> backprop_on_network((2, 2, 2)).ok
    True
    """
    _check_sizes(sizes, 1)
    L = len(sizes) - 1
    g = sympy.Function("g")
    c = sympy.Function("c")
    x = [sympy.Symbol(f"x_{k}") for k in range(1, sizes[0] + 1)]
    W = {l: [[_sym("w", l, j, k) for k in range(1, sizes[l - 1] + 1)] for j in range(1, sizes[l] + 1)] for l in range(1, L + 1)}
    B = {l: [_sym("b", l, j) for j in range(1, sizes[l] + 1)] for l in range(1, L + 1)}
    # Forward pass, fully composed.
    A = {0: x}
    Z = {}
    for l in range(1, L + 1):
        Z[l] = [sum(W[l][j][k] * A[l - 1][k] for k in range(sizes[l - 1])) + B[l][j] for j in range(sizes[l])]
        A[l] = [g(zz) for zz in Z[l]]
    cost = c(*A[L])
    t = sympy.Dummy("t")

    def g_prime(arg):
        return sympy.Subs(sympy.Derivative(g(t), t), t, arg)

    # Backward pass with the four equations.
    E = {}
    outs = [sympy.Dummy(f"o{j}") for j in range(sizes[L])]
    E[L] = [
        sympy.Subs(sympy.Derivative(c(*outs), outs[j]), tuple(outs), tuple(A[L])) * g_prime(Z[L][j])  # BP1
        for j in range(sizes[L])
    ]
    for l in range(L - 1, 0, -1):
        E[l] = [
            sum(W[l + 1][k][j] * E[l + 1][k] for k in range(sizes[l + 1])) * g_prime(Z[l][j])  # BP2
            for j in range(sizes[l])
        ]
    for l in range(1, L + 1):
        for j in range(sizes[l]):
            checks = [(B[l][j], E[l][j])]  # BP3
            checks += [(W[l][j][k], A[l - 1][k] * E[l][j]) for k in range(sizes[l - 1])]  # BP4
            for param, backprop in checks:
                verdict = equivalent(backprop, sympy.diff(cost, param), timeout=COURSE_TIMEOUT)
                if not verdict.ok:
                    return Verdict(
                        ok=False,
                        kind=verdict.kind,
                        parsed=backprop,
                        message=f"Backprop's gradient for {param} disagrees with SymPy's: {verdict.message}",
                    )
    count = sum(sizes[l] * (sizes[l - 1] + 1) for l in range(1, L + 1))
    return Verdict(
        ok=True,
        kind="equivalent",
        message=(
            f"BP1–BP4 give SymPy's derivative of the fully composed cost for all {count} weights and "
            f"biases of a {'-'.join(map(str, sizes))} network with generic activation g and generic cost c."
        ),
    )


# ------------------------------------------------------------------------------------------------
# Notebook 04: the four equations step by step, fan-out, and the matrix forms
# ------------------------------------------------------------------------------------------------


def _vec(name, l, n):
    return [_sym(name, l, j) for j in range(1, n + 1)]


def _plain_sum(terms):
    """A sum shown term by term, in the order given (not re-sorted by SymPy)."""
    return sympy.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]


def _g_prime(g, z):
    return sympy.Derivative(g(z), z)


def fan_out():
    r"""A value used twice: its derivative is the sum over both paths (the multivariate chain rule).

    One activation :math:`a` feeds two neurons, :math:`z_1 = w_1 a + b_1` and
    :math:`z_2 = w_2 a + b_2`, and the cost :math:`c(z_1, z_2)` is a generic function of both, with
    :math:`e_i = \partial c / \partial z_i`:

    .. math:: \frac{\partial c}{\partial a} = e_1 \frac{\partial z_1}{\partial a}
              + e_2 \frac{\partial z_2}{\partial a} = w_1 e_1 + w_2 e_2 .

    Returns
    -------
    Derivation
        Three steps from :math:`\partial c / \partial a` of the composed cost to
        :math:`w_1 e_1 + w_2 e_2`; ``verify()`` proves them for any cost :math:`c`.

    Examples
    --------
    >>> d = fan_out()
    >>> d.verify().ok
    True
    >>> d.expressions[-1]
    e_1*w_1 + e_2*w_2
    """
    a = sympy.Symbol("a")
    w = sympy.symbols("w_1 w_2")
    b = sympy.symbols("b_1 b_2")
    z = sympy.symbols("z_1 z_2")
    e = sympy.symbols("e_1 e_2")
    c = sympy.Function("c")
    u = (sympy.Dummy("u1"), sympy.Dummy("u2"))
    definitions = tuple((z[i], w[i] * a + b[i]) for i in range(2)) + tuple(
        (e[i], sympy.Subs(sympy.Derivative(c(*u), u[i]), u, z)) for i in range(2)
    )
    steps = (
        (sympy.Derivative(c(*z), a), r"\(a\) reaches the cost through \(z_1\) and through \(z_2\)"),
        (_plain_sum([sympy.Mul(e[i], sympy.Derivative(z[i], a), evaluate=False) for i in range(2)]),
         "multivariate chain rule: one product per path, added"),
        (_plain_sum([w[0] * e[0], w[1] * e[1]]), r"\(\partial z_i / \partial a = w_i\)"),
    )
    return Derivation(
        title="Fan-out: a value used twice",
        quantity=r"\frac{\partial c}{\partial a}",
        steps=steps,
        definitions=definitions,
        note="Drop either term and the step no longer follows: gradients add where paths meet.",
    )


def four_equations(sizes=(2, 3, 2)):
    r"""BP1–BP4 derived step by step, the way notebook 04 reads them, on a network of ``sizes``.

    The activation :math:`g` is a generic ``sympy.Function`` and the cost :math:`c` a generic
    function, so each derivation is a proof for this shape. Intermediate quantities are symbols
    whose definitions are stored and substituted before checking
    (:math:`z_k^{[l+1]} = \sum_j w_{kj}^{[l+1]} g(z_j^{[l]}) + b_k^{[l+1]}`, the errors
    :math:`e_k^{[l+1]} = \partial c / \partial z_k^{[l+1]}`, ...).

    * BP1, at the output layer :math:`L` (cost a function of :math:`a^{[L]} = g(z^{[L]})`):
      :math:`e_j^{[L]} = \frac{\partial c}{\partial a_j^{[L]}}\, g'(z_j^{[L]})`.
    * BP2, at layer :math:`l = L - 1` (cost a function of :math:`z^{[l+1]}`):
      :math:`e_j^{[l]} = \bigl(\sum_k w_{kj}^{[l+1]} e_k^{[l+1]}\bigr)\, g'(z_j^{[l]})`.
    * BP3 and BP4, at layer :math:`l = L - 1` (cost a function of :math:`z^{[l]}`, inputs
      :math:`a^{[l-1]}`): :math:`\partial c / \partial b_j^{[l]} = e_j^{[l]}` and
      :math:`\partial c / \partial w_{jk}^{[l]} = a_k^{[l-1]} e_j^{[l]}`.

    Parameters
    ----------
    sizes : tuple of int, default (2, 3, 2)
        Neurons per layer, inputs first; at least two layers, at most 4 neurons per layer.

    Returns
    -------
    dict of {str: tuple of Derivation}
        ``"BP1"``: one per output neuron; ``"BP2"``: one per neuron of layer L-1; ``"BP3"``: one
        per neuron of layer L-1; ``"BP4"``: one per weight of layer L-1.

    Examples
    --------
    >>> eqs = four_equations()
    >>> [len(eqs[k]) for k in ("BP1", "BP2", "BP3", "BP4")]
    [2, 3, 3, 6]
    >>> eqs["BP2"][0].verify().ok
    True
    """
    _check_sizes(sizes, 2)
    L = len(sizes) - 1
    l = L - 1
    g = sympy.Function("g")
    out = {}

    # BP1: c(a^[L]) with a^[L] = g(z^[L]).
    c = sympy.Function("c")
    z_L, a_L = _vec("z", L, sizes[L]), _vec("a", L, sizes[L])
    o = tuple(sympy.Dummy(f"o{j}") for j in range(sizes[L]))
    dc_da = [sympy.Symbol(rf"\frac{{\partial c}}{{\partial a^{{[{L}]}}_{{{j}}}}}") for j in range(1, sizes[L] + 1)]
    definitions = tuple((a_L[j], g(z_L[j])) for j in range(sizes[L])) + tuple(
        (dc_da[j], sympy.Subs(sympy.Derivative(c(*o), o[j]), o, tuple(a_L))) for j in range(sizes[L])
    )
    bp1 = []
    for j in range(sizes[L]):
        steps = (
            (sympy.Derivative(c(*a_L), z_L[j]), rf"definition; \(c\) depends on \(z^{{[{L}]}}\) through \(a^{{[{L}]}}\)"),
            (_plain_sum([sympy.Mul(dc_da[i], sympy.Derivative(a_L[i], z_L[j]), evaluate=False) for i in range(sizes[L])]),
             r"chain rule through every output activation"),
            (sympy.Mul(dc_da[j], sympy.Derivative(a_L[j], z_L[j]), evaluate=False),
             rf"only \(a_{j + 1}^{{[{L}]}} = g(z_{j + 1}^{{[{L}]}})\) depends on \(z_{j + 1}^{{[{L}]}}\)"),
            (sympy.Mul(dc_da[j], _g_prime(g, z_L[j]), evaluate=False), r"\(\partial a_j / \partial z_j = g'(z_j)\)"),
        )
        bp1.append(Derivation(title=f"BP1 for output neuron {j + 1}", quantity=rf"e^{{[{L}]}}_{{{j + 1}}}",
                              steps=steps, definitions=definitions, products=(2, 3),
                              note="The other terms vanish: a neuron's activation depends on its own z only."))
    out["BP1"] = tuple(bp1)

    # BP2: c(z^[l+1]) with z_k^[l+1] = sum_j w_kj g(z_j^[l]) + b_k.
    n_l, n_next = sizes[l], sizes[l + 1]
    c_next = sympy.Function(f"c_{l + 1}")
    z_l, z_next, e_next = _vec("z", l, n_l), _vec("z", l + 1, n_next), _vec("e", l + 1, n_next)
    w_next = [[_sym("w", l + 1, k, j) for j in range(1, n_l + 1)] for k in range(1, n_next + 1)]
    b_next = _vec("b", l + 1, n_next)
    u = tuple(sympy.Dummy(f"u{k}") for k in range(n_next))
    definitions = tuple(
        (z_next[k], sum(w_next[k][j] * g(z_l[j]) for j in range(n_l)) + b_next[k]) for k in range(n_next)
    ) + tuple((e_next[k], sympy.Subs(sympy.Derivative(c_next(*u), u[k]), u, tuple(z_next))) for k in range(n_next))
    bp2 = []
    for j in range(n_l):
        steps = (
            (sympy.Derivative(c_next(*z_next), z_l[j]), rf"definition; \(c\) seen as a function of \(z^{{[{l + 1}]}}\)"),
            (_plain_sum([sympy.Mul(e_next[k], sympy.Derivative(z_next[k], z_l[j]), evaluate=False) for k in range(n_next)]),
             rf"fan-out: \(z_{j + 1}^{{[{l}]}}\) reaches the cost through every \(z_k^{{[{l + 1}]}}\), so the paths add"),
            (_plain_sum([sympy.Mul(e_next[k], w_next[k][j], _g_prime(g, z_l[j]), evaluate=False) for k in range(n_next)]),
             rf"\(\partial z_k^{{[{l + 1}]}} / \partial z_j^{{[{l}]}} = w_{{kj}}^{{[{l + 1}]}}\, g'(z_j^{{[{l}]}})\)"),
            (sympy.Mul(_plain_sum([w_next[k][j] * e_next[k] for k in range(n_next)]), _g_prime(g, z_l[j]), evaluate=False),
             rf"factor out \(g'(z_{j + 1}^{{[{l}]}})\), common to every term"),
        )
        bp2.append(Derivation(title=f"BP2 for neuron {j + 1} of layer {l}", quantity=rf"e^{{[{l}]}}_{{{j + 1}}}",
                              steps=steps, definitions=definitions, products=(3,),
                              note="Column j of W, weighted by the next layer's errors, then scaled by g'."))
    out["BP2"] = tuple(bp2)

    # BP3, BP4 at layer l: c(z^[l]) with z_j^[l] = sum_k w_jk a_k^[l-1] + b_j.
    n_prev = sizes[l - 1]
    c_l = sympy.Function(f"c_{l}")
    e_l, a_prev, b_l = _vec("e", l, n_l), _vec("a", l - 1, n_prev), _vec("b", l, n_l)
    w_l = [[_sym("w", l, j, k) for k in range(1, n_prev + 1)] for j in range(1, n_l + 1)]
    v = tuple(sympy.Dummy(f"v{j}") for j in range(n_l))
    definitions = tuple(
        (z_l[j], sum(w_l[j][k] * a_prev[k] for k in range(n_prev)) + b_l[j]) for j in range(n_l)
    ) + tuple((e_l[j], sympy.Subs(sympy.Derivative(c_l(*v), v[j]), v, tuple(z_l))) for j in range(n_l))
    bp3, bp4 = [], []
    for j in range(n_l):
        for param, last, why, kind in (
            [(b_l[j], e_l[j], r"\(\partial z_j / \partial b_j = 1\)", "bias")]
            + [(w_l[j][k], sympy.Mul(a_prev[k], e_l[j], evaluate=False), rf"\(\partial z_j / \partial w_{{jk}} = a_k^{{[{l - 1}]}}\)", k)
               for k in range(n_prev)]
        ):
            steps = (
                (sympy.Derivative(c_l(*z_l), param), rf"the cost through \(z^{{[{l}]}}\)"),
                (_plain_sum([sympy.Mul(e_l[i], sympy.Derivative(z_l[i], param), evaluate=False) for i in range(n_l)]),
                 rf"chain rule through every \(z_i^{{[{l}]}}\)"),
                (sympy.Mul(e_l[j], sympy.Derivative(z_l[j], param), evaluate=False),
                 rf"only \(z_{j + 1}^{{[{l}]}}\) contains this parameter"),
                (last, why),
            )
            if kind == "bias":
                bp3.append(Derivation(title=f"BP3 for the bias of neuron {j + 1} of layer {l}",
                                      quantity=rf"\frac{{\partial c}}{{\partial b^{{[{l}]}}_{{{j + 1}}}}}",
                                      steps=steps, definitions=definitions, products=(2,)))
            else:
                bp4.append(Derivation(title=f"BP4 for the weight w_{j + 1}{kind + 1} of layer {l}",
                                      quantity=rf"\frac{{\partial c}}{{\partial w^{{[{l}]}}_{{{j + 1}{kind + 1}}}}}",
                                      steps=steps, definitions=definitions, products=(2, 3)))
    out["BP3"] = tuple(bp3)
    out["BP4"] = tuple(bp4)
    return out


@dataclass(frozen=True)
class MatrixForm:
    r"""One of the four equations in matrix form, next to the index form it must equal entry by entry.

    Attributes
    ----------
    name : str
        ``"BP1"`` … ``"BP4"``.
    formula : str
        LaTeX of the matrix formula, e.g. ``r"(W^{[2]})^\top e^{[2]} \odot g'(z^{[1]})"``.
    matrix : sympy.ImmutableMatrix
        The formula computed with SymPy matrices.
    index_form : sympy.ImmutableMatrix
        The same quantity entry by entry, from the index form (the last step of
        :func:`four_equations`), with the same shape.
    definitions : tuple of (sympy.Symbol, sympy.Expr)
        Substituted into both before comparing.

    Examples
    --------
    >>> forms = matrix_forms()
    >>> forms["BP4"].matrix.shape
    (3, 2)
    >>> forms["BP2"].verify().ok
    True
    """

    name: str
    formula: str
    matrix: object
    index_form: object
    definitions: tuple = ()

    def verify(self):
        """Check every entry of ``matrix`` equal to the same entry of ``index_form``.

        Returns
        -------
        Verdict
            ``ok`` with a message giving the number of entries; otherwise names the first entry
            that differs.
        """
        if self.matrix.shape != self.index_form.shape:
            return Verdict(ok=False, kind="wrong", message=(
                f"{self.name}: the matrix form has shape {self.matrix.shape}, the index form {self.index_form.shape}"))
        rows, cols = self.matrix.shape
        for i in range(rows):
            for j in range(cols):
                left, right = self.matrix[i, j], self.index_form[i, j]
                for symbol, value in reversed(self.definitions):
                    left, right = left.xreplace({symbol: value}), right.xreplace({symbol: value})
                verdict = equivalent(left, right, timeout=COURSE_TIMEOUT)
                if not verdict.ok:
                    return Verdict(ok=False, kind=verdict.kind, parsed=left, message=(
                        f"{self.name}: entry ({i + 1}, {j + 1}) of the matrix form differs from the index form: {verdict.message}"))
        return Verdict(ok=True, kind="equivalent", message=(
            f"{self.name}: all {rows * cols} entries of the {rows}×{cols} matrix form equal the index form."))

    def _repr_latex_(self):
        return rf"$\displaystyle {self.name}:\quad {self.formula} = {to_latex(self.matrix)}$"


def matrix_forms(sizes=(2, 3, 2)):
    r"""BP1–BP4 in matrix form, each compared entry by entry with its index form.

    .. math::
        e^{[L]} = \nabla_a c \odot g'(z^{[L]}), \qquad
        e^{[l]} = \bigl(W^{[l+1]\top} e^{[l+1]}\bigr) \odot g'(z^{[l]}), \qquad
        \frac{\partial c}{\partial b^{[l]}} = e^{[l]}, \qquad
        \frac{\partial c}{\partial W^{[l]}} = e^{[l]}\, a^{[l-1]\top}

    (:math:`\odot` multiplies entry by entry; the last is an outer product with the shape of
    :math:`W^{[l]}`, :math:`(n_l, n_{l-1})`). Layers as in :func:`four_equations`.

    Parameters
    ----------
    sizes : tuple of int, default (2, 3, 2)

    Returns
    -------
    dict of {str: MatrixForm}

    Examples
    --------
    >>> forms = matrix_forms((2, 2, 2))
    >>> all(f.verify().ok for f in forms.values())
    True
    """
    _check_sizes(sizes, 2)
    L = len(sizes) - 1
    l = L - 1
    g = sympy.Function("g")
    eqs = four_equations(sizes)
    M = sympy.ImmutableMatrix

    def column(derivations):
        return M([[d.expressions[-1]] for d in derivations])

    def gp(z):
        return M([[_g_prime(g, zz)] for zz in z])

    z_L, z_l = _vec("z", L, sizes[L]), _vec("z", l, sizes[l])
    dc_da = M([[s] for s, _ in eqs["BP1"][0].definitions[sizes[L]:]])
    e_next, e_l = M(_vec("e", l + 1, sizes[l + 1])), M(_vec("e", l, sizes[l]))
    W_next = M([[_sym("w", l + 1, k, j) for j in range(1, sizes[l] + 1)] for k in range(1, sizes[l + 1] + 1)])
    a_prev = M(_vec("a", l - 1, sizes[l - 1]))
    bp4_index = M([[eqs["BP4"][j * sizes[l - 1] + k].expressions[-1] for k in range(sizes[l - 1])] for j in range(sizes[l])])
    return {
        "BP1": MatrixForm("BP1", rf"\nabla_{{a^{{[{L}]}}}} c \odot g'(z^{{[{L}]}})",
                          M(dc_da.multiply_elementwise(gp(z_L))), column(eqs["BP1"]), eqs["BP1"][0].definitions),
        "BP2": MatrixForm("BP2", rf"\left(W^{{[{l + 1}]}}\right)^{{\top}} e^{{[{l + 1}]}} \odot g'(z^{{[{l}]}})",
                          M((W_next.T * e_next).multiply_elementwise(gp(z_l))), column(eqs["BP2"]), eqs["BP2"][0].definitions),
        "BP3": MatrixForm("BP3", rf"e^{{[{l}]}}", e_l, column(eqs["BP3"]), eqs["BP3"][0].definitions),
        "BP4": MatrixForm("BP4", rf"e^{{[{l}]}} \left(a^{{[{l - 1}]}}\right)^{{\top}}",
                          M(e_l * a_prev.T), bp4_index, eqs["BP4"][0].definitions),
    }
