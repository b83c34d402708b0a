r"""Notebook 04's widget: a 2-3-2 network where BP2's sum for one hidden neuron lights up.

The network has two inputs, three hidden ReLU neurons and two sigmoid outputs, with the cost
:math:`c = \tfrac12 \sum_k (a_k^{[2]} - y_k)^2` of one example. Pick a hidden neuron :math:`j`:
the edges :math:`w_{kj}^{[2]}` that carry the next layer's errors back to it light up, each
labelled with its term :math:`w_{kj}^{[2]} e_k^{[2]}`, and the caption adds them up and
multiplies by :math:`g'(z_j^{[1]})` (BP2). Every edge is coloured and labelled by its gradient
:math:`\partial c / \partial w_{jk}^{[l]} = a_k^{[l-1]} e_j^{[l]}` (BP4); every node shows its
forward values and its error. Move an input until a ReLU switches off and its error, and the
gradients of every weight into it, become 0.

The numbers come from pure functions that need no kernel and no figure:

* :func:`forward_and_errors` — the forward pass and BP1–BP4 for one example;
* :func:`bp2_terms` — BP2's terms for one hidden neuron;
* :func:`layout` — where each node is drawn;
* :func:`draw_notation` — the static picture of the notation (notebook 04, section 1).

Examples
--------
>>> numbers = forward_and_errors(*DEFAULT_NETWORK)
>>> [round(float(v), 4) for v in numbers.zs[0]]
[0.9, -0.95, 0.3]
>>> terms = bp2_terms(DEFAULT_NETWORK[0], numbers, 1)   # neuron 2 of layer 1 is off
>>> terms.g_prime, terms.error
(0.0, 0.0)
"""

from typing import NamedTuple

import ipywidgets as ipw
import numpy as np

from course_pkg._validation import as_float_array, check_layers
from course_pkg.activations import sigmoid
from course_pkg.widgets._common import Widget, fmt

__all__ = [
    "DEFAULT_NETWORK",
    "SIZES",
    "Numbers",
    "BP2Terms",
    "forward_and_errors",
    "bp2_terms",
    "layout",
    "draw_notation",
    "ErrorFlow",
]

#: Neurons per layer, inputs first.
SIZES = (2, 3, 2)
#: weights, biases, x, y of the notebook's example: hidden neurons 1 and 3 on, neuron 2 off.
DEFAULT_NETWORK = (
    [np.array([[0.6, -0.4], [-0.7, 0.9], [0.3, 0.8]]), np.array([[0.5, -0.3, 0.8], [-0.6, 0.4, 0.7]])],
    [np.array([0.1, 0.2, 0.4]), np.array([0.0, -0.2])],
    np.array([1.0, -0.5]),
    np.array([1.0, 0.0]),
)
#: Range of the two input sliders.
X_RANGE = (-2.0, 2.0)
#: Colours: the lit BP2 edges and nodes; positive and negative gradients.
LIT = "#f4a259"
POSITIVE, NEGATIVE = "#2a6fbb", "#d1495b"


class Numbers(NamedTuple):
    """The forward values and the four equations' results for one example (layer l at index l-1).

    Attributes
    ----------
    zs : list of ndarray
        ``zs[l-1]`` is :math:`z^{[l]}`, shape ``(n_l,)``.
    activations : list of ndarray
        ``activations[l]`` is :math:`a^{[l]}`, shape ``(n_l,)``; ``activations[0]`` is :math:`x`.
    errors : list of ndarray
        ``errors[l-1]`` is :math:`e^{[l]} = \\partial c / \\partial z^{[l]}`, shape ``(n_l,)``.
    dweights : list of ndarray
        ``dweights[l-1][j, k]`` is :math:`\\partial c / \\partial w^{[l]}_{jk}`, shape ``(n_l, n_{l-1})``.
    dbiases : list of ndarray
        ``dbiases[l-1]`` is :math:`\\partial c / \\partial b^{[l]}`, shape ``(n_l,)``.
    cost : float
        :math:`c = \\tfrac12 \\sum_k (a_k^{[2]} - y_k)^2`.
    """

    zs: list
    activations: list
    errors: list
    dweights: list
    dbiases: list
    cost: float


class BP2Terms(NamedTuple):
    """BP2 for one hidden neuron j: :math:`e_j^{[1]} = (\\sum_k w_{kj}^{[2]} e_k^{[2]})\\, g'(z_j^{[1]})`.

    Attributes
    ----------
    j : int
        The neuron, counted from 0.
    terms : tuple of (int, float, float, float)
        ``(k, w_kj, e_k, w_kj * e_k)`` for each neuron k of layer 2.
    total : float
        The sum of the terms.
    g_prime : float
        :math:`g'(z_j^{[1]})`: 1 if :math:`z_j^{[1]} > 0`, else 0 (the convention :math:`g'(0) = 0`).
    error : float
        ``total * g_prime``.
    """

    j: int
    terms: tuple
    total: float
    g_prime: float
    error: float


def _check_network(weights, biases, x, y):
    Ws, bs = check_layers(weights, biases)
    shapes = [W.shape for W in Ws]
    expected = [(SIZES[l + 1], SIZES[l]) for l in range(len(SIZES) - 1)]
    if shapes != expected:
        raise ValueError(f"weights must have the shapes {expected} of the 2-3-2 network; got {shapes}")
    x = as_float_array(x, "x", ndim=1)
    y = as_float_array(y, "y", ndim=1)
    if x.shape != (SIZES[0],):
        raise ValueError(f"x must hold {SIZES[0]} numbers (one per input); got shape {x.shape}")
    if y.shape != (SIZES[-1],):
        raise ValueError(f"y must hold {SIZES[-1]} numbers (one per output); got shape {y.shape}")
    return Ws, bs, x, y


def forward_and_errors(weights, biases, x, y):
    r"""Forward pass and the four equations for one example of the 2-3-2 network.

    .. math::
        z^{[l]} = W^{[l]} a^{[l-1]} + b^{[l]}, \quad a^{[1]} = \operatorname{relu}(z^{[1]}),
        \quad a^{[2]} = \sigma(z^{[2]}), \quad c = \tfrac12 \textstyle\sum_k (a^{[2]}_k - y_k)^2

        e^{[2]} = (a^{[2]} - y) \odot \sigma'(z^{[2]}) \;\text{(BP1)}, \quad
        e^{[1]} = (W^{[2]\top} e^{[2]}) \odot g'(z^{[1]}) \;\text{(BP2)}, \quad
        \frac{\partial c}{\partial b^{[l]}} = e^{[l]} \;\text{(BP3)}, \quad
        \frac{\partial c}{\partial W^{[l]}} = e^{[l]} a^{[l-1]\top} \;\text{(BP4)}

    Parameters
    ----------
    weights : list of 2 array_like, shapes (3, 2) and (2, 3)
        ``weights[l-1][j, k]`` is :math:`w^{[l]}_{jk}`.
    biases : list of 2 array_like, shapes (3,) and (2,)
    x : array_like of shape (2,)
    y : array_like of shape (2,)

    Returns
    -------
    Numbers

    Raises
    ------
    ValueError, TypeError
        Shapes other than the 2-3-2 network's, NaN or non-numeric input.

    Examples
    --------
    >>> n = forward_and_errors(*DEFAULT_NETWORK)
    >>> n.dweights[1].shape, n.dweights[0].shape
    ((2, 3), (3, 2))
    >>> bool(np.allclose(n.dweights[1], np.outer(n.errors[1], n.activations[1])))
    True
    """
    Ws, bs, x, y = _check_network(weights, biases, x, y)
    z1 = Ws[0] @ x + bs[0]  # (3,)
    a1 = np.maximum(z1, 0.0)  # (3,)
    z2 = Ws[1] @ a1 + bs[1]  # (2,)
    a2 = sigmoid(z2)  # (2,)
    e2 = (a2 - y) * a2 * (1.0 - a2)  # BP1 (2,)
    e1 = (Ws[1].T @ e2) * (z1 > 0)  # BP2 (3,): g'(0) = 0
    e1 = e1 + 0.0  # -0.0 from a switched-off neuron shows as 0
    dW = [np.outer(e1, x) + 0.0, np.outer(e2, a1) + 0.0]  # BP4 (3, 2), (2, 3); + 0.0: no −0
    db = [e1.copy(), e2.copy()]  # BP3
    cost = float(0.5 * np.sum((a2 - y) ** 2))
    return Numbers([z1, z2], [x, a1, a2], [e1, e2], dW, db, cost)


def bp2_terms(weights, numbers, j):
    r"""BP2's terms for hidden neuron ``j``: :math:`w_{kj}^{[2]} e_k^{[2]}` for each k, then :math:`g'(z_j^{[1]})`.

    Parameters
    ----------
    weights : list of 2 array_like
        As in :func:`forward_and_errors`.
    numbers : Numbers
        From :func:`forward_and_errors` on the same network.
    j : int
        The hidden neuron, 0, 1 or 2 (neuron j + 1 in the notebook's notation).

    Returns
    -------
    BP2Terms

    Examples
    --------
    >>> n = forward_and_errors(*DEFAULT_NETWORK)
    >>> t = bp2_terms(DEFAULT_NETWORK[0], n, 0)
    >>> len(t.terms), t.g_prime
    (2, 1.0)
    >>> bool(np.isclose(t.error, n.errors[0][0]))
    True
    """
    if isinstance(j, bool) or not isinstance(j, (int, np.integer)) or not 0 <= j < SIZES[1]:
        raise ValueError(f"j must be a hidden neuron, an int from 0 to {SIZES[1] - 1}; got {j!r}")
    W2 = as_float_array(weights[1], "weights[1]", ndim=2)
    e2 = numbers.errors[1]
    terms = tuple((k, float(W2[k, j]), float(e2[k]), float(W2[k, j] * e2[k])) for k in range(SIZES[2]))
    total = float(sum(t[3] for t in terms))
    g_prime = 1.0 if numbers.zs[0][j] > 0 else 0.0
    return BP2Terms(int(j), terms, total, g_prime, total * g_prime + 0.0)


def layout(sizes=SIZES):
    """Where each node is drawn: ``{(l, j): (x, y)}``, layer l at x = l, each layer centred on y = 0.

    Examples
    --------
    >>> pos = layout((2, 3, 2))
    >>> pos[(1, 0)], pos[(1, 2)]
    ((1.0, 1.0), (1.0, -1.0))
    """
    return {
        (l, j): (float(l), (n - 1) / 2.0 - j)
        for l, n in enumerate(sizes)
        for j in range(n)
    }


def _factor(value):
    """A number as a factor of a product: negative ones in parentheses, ``(−0.074)``."""
    return f"({fmt(value, 2)})" if value < 0 else fmt(value, 2)


def _edges(sizes=SIZES):
    """Every weight as ``(l, j, k)``: from neuron k of layer l-1 to neuron j of layer l."""
    return [(l, j, k) for l in range(1, len(sizes)) for j in range(sizes[l]) for k in range(sizes[l - 1])]


def _label_point(pos, l, j, k, t=0.3):
    """A point on edge (l, j, k), a fraction t of the way from the target neuron back to the source."""
    (x0, y0), (x1, y1) = pos[(l - 1, k)], pos[(l, j)]
    return x1 + t * (x0 - x1), y1 + t * (y0 - y1)


def draw_notation(ax):
    """Draw the 2-3-2 network with the course's notation on ``ax`` (the picture of section 1).

    Nodes are labelled :math:`a_k^{[0]}`, :math:`z_j^{[l]} \\to a_j^{[l]}`; two weights are
    labelled, :math:`w_{21}^{[1]}` (from input 1 to hidden neuron 2) and :math:`w_{13}^{[2]}`
    (from hidden neuron 3 to output 1), with the array entry that stores each.

    Parameters
    ----------
    ax : matplotlib.axes.Axes

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> draw_notation(ax)
    >>> sum(1 for t in ax.texts if "w" in t.get_text())
    2
    """
    pos = layout()
    named = {(1, 1, 0): (r"$w^{[1]}_{21}$ = weights[0][1, 0]", (0.3, 1.3)),
             (2, 0, 2): (r"$w^{[2]}_{13}$ = weights[1][0, 2]", (1.75, -1.45))}
    for l, j, k in _edges():
        (x0, y0), (x1, y1) = pos[(l - 1, k)], pos[(l, j)]
        on = (l, j, k) in named
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="-|>", lw=2.2 if on else 0.8, color=LIT if on else "0.7",
                                    shrinkA=18, shrinkB=18))
        if on:
            text, where = named[(l, j, k)]
            ax.annotate(text, xy=_label_point(pos, l, j, k, 0.35), xytext=where, ha="center", va="center",
                        fontsize=9, bbox=dict(boxstyle="round,pad=0.2", fc="white", ec=LIT),
                        arrowprops=dict(arrowstyle="-", color=LIT, lw=0.8))
    for (l, j), (px, py) in pos.items():
        text = rf"$a^{{[0]}}_{j + 1}$" if l == 0 else rf"$z^{{[{l}]}}_{j + 1}\to a^{{[{l}]}}_{j + 1}$"
        ax.text(px, py, text, ha="center", va="center", fontsize=9,
                bbox=dict(boxstyle="round,pad=0.35", fc="white", ec="0.3"))
        if l > 0:
            ax.text(px, py - 0.32, rf"bias $b^{{[{l}]}}_{j + 1}$", ha="center", va="top", fontsize=7, color="0.4")
    for l, name in enumerate(("inputs $x = a^{[0]}$", "layer 1 (ReLU)", "layer 2 (sigmoid), $a^{[2]} = \\hat y$")):
        ax.text(l, 1.65, name, ha="center", va="bottom", fontsize=9)
    ax.set_xlim(-0.45, 2.45)
    ax.set_ylim(-1.6, 2.0)
    ax.axis("off")


class ErrorFlow(Widget):
    """The 2-3-2 network as a graph: BP2's sum for one hidden neuron lit up, every edge's BP4 gradient.

    Parameters
    ----------
    weights, biases, x, y
        As in :func:`forward_and_errors`; the default is :data:`DEFAULT_NETWORK`. ``x`` must lie
        in :data:`X_RANGE` (the sliders' range).
    draw : bool, default True
        As in :class:`~course_pkg.widgets._common.Widget`.

    Attributes
    ----------
    controls : dict
        ``"neuron"`` (ToggleButtons, the hidden neuron j, from 0), ``"x1"``, ``"x2"`` (sliders).
    numbers : Numbers
        The forward values, errors and gradients at the current inputs.
    bp2 : BP2Terms
        BP2 for the chosen neuron.
    lit : list of (int, int, int)
        The lit edges ``(l, j, k)``: the weights :math:`w_{kj}^{[2]}` out of the chosen neuron.

    Examples
    --------
    >>> flow = ErrorFlow(draw=False)
    >>> flow.controls["neuron"].value = 2
    >>> flow.lit
    [(2, 0, 2), (2, 1, 2)]
    >>> "g′(z" in flow.caption()
    True
    """

    figsize = (8.6, 4.6)

    def __init__(self, weights=None, biases=None, x=None, y=None, *, draw=True):
        d_weights, d_biases, d_x, d_y = DEFAULT_NETWORK
        weights = d_weights if weights is None else weights
        biases = d_biases if biases is None else biases
        x = d_x if x is None else x
        y = d_y if y is None else y
        Ws, bs, x, y = _check_network(weights, biases, x, y)
        if not np.all((X_RANGE[0] <= x) & (x <= X_RANGE[1])):
            raise ValueError(f"x must lie in {X_RANGE} (the sliders' range); got {x.tolist()}")
        self.weights, self.biases, self.x0, self.y = Ws, bs, x, y
        self.pos = layout()
        super().__init__(draw=draw)

    def make_controls(self):
        return {
            "neuron": ipw.ToggleButtons(options=[(f"hidden neuron {j + 1}", j) for j in range(SIZES[1])],
                                        value=0, description="BP2 for"),
            "x1": ipw.FloatSlider(value=float(self.x0[0]), min=X_RANGE[0], max=X_RANGE[1], step=0.05,
                                  description="x₁", continuous_update=False),
            "x2": ipw.FloatSlider(value=float(self.x0[1]), min=X_RANGE[0], max=X_RANGE[1], step=0.05,
                                  description="x₂", continuous_update=False),
        }

    def make_view(self):
        c = self.controls
        return ipw.VBox([c["neuron"], ipw.HBox([c["x1"], c["x2"]]), self.label, self.image])

    def update(self, neuron, x1, x2):
        self.neuron = int(neuron)
        self.x = np.array([float(x1), float(x2)])
        self.numbers = forward_and_errors(self.weights, self.biases, self.x, self.y)
        self.bp2 = bp2_terms(self.weights, self.numbers, self.neuron)
        self.lit = [(2, k, self.neuron) for k in range(SIZES[2])]

    def caption(self):
        j = self.neuron + 1
        t = self.bp2
        symbols = " + ".join(f"w<sub>{k + 1}{j}</sub><sup>[2]</sup> e<sub>{k + 1}</sub><sup>[2]</sup>" for k, *_ in t.terms)
        numbers = " + ".join(f"({fmt(w, 3)})({fmt(e, 3)})" for _, w, e, _ in t.terms)
        z = self.numbers.zs[0][self.neuron]
        state = "on" if t.g_prime else "off: g′ = 0 silences every path through it"
        return (
            f"<b>BP2</b> for hidden neuron {j}: e<sub>{j}</sub><sup>[1]</sup> = ({symbols}) · g′(z<sub>{j}</sub><sup>[1]</sup>)"
            f"<br>= ({numbers}) · g′({fmt(z, 3)}) = {fmt(t.total, 4)} × {fmt(t.g_prime)} = <b>{fmt(t.error, 4)}</b>"
            f" &nbsp; (the ReLU is {state})"
            f"<br>Edges: colour and label ∂c/∂w<sub>jk</sub> = a<sub>k</sub><sup>[l−1]</sup> e<sub>j</sub><sup>[l]</sup> (BP4),"
            f" blue positive, red negative; cost c = {fmt(self.numbers.cost, 4)}"
        )

    def build(self, fig):
        ax = fig.subplots()
        ax.set_xlim(-0.5, 2.6)
        ax.set_ylim(-1.75, 1.75)
        ax.axis("off")
        for l, name in enumerate(("inputs", "layer 1 (ReLU)", "layer 2 (sigmoid)")):
            ax.text(l, 1.6, name, ha="center", va="bottom", fontsize=9, color="0.3")
        dynamic = []
        self._halo, self._line, self._edge_text, self._term_text = {}, {}, {}, {}
        for edge in _edges():
            l, j, k = edge
            (x0, y0), (x1, y1) = self.pos[(l - 1, k)], self.pos[(l, j)]
            (self._halo[edge],) = ax.plot([x0, x1], [y0, y1], color=LIT, lw=9, alpha=0.55, solid_capstyle="round", zorder=1)
            (self._line[edge],) = ax.plot([x0, x1], [y0, y1], lw=1.5, zorder=2)
            px, py = _label_point(self.pos, l, j, k)
            self._edge_text[edge] = ax.text(px, py, "", ha="center", va="center", fontsize=7, zorder=4,
                                            bbox=dict(boxstyle="round,pad=0.12", fc="white", ec="none", alpha=0.85))
            tx, ty = _label_point(self.pos, l, j, k, 0.56)
            self._term_text[edge] = ax.text(tx, ty + 0.1, "", ha="center", va="bottom", fontsize=7, zorder=6,
                                            color="#8a4b08", bbox=dict(boxstyle="round,pad=0.12", fc="#fff4e8",
                                                                       ec=LIT, alpha=0.95))
            dynamic += [self._halo[edge], self._line[edge], self._edge_text[edge], self._term_text[edge]]
        self._node, self._node_text = {}, {}
        for (l, j), (px, py) in self.pos.items():
            self._node[(l, j)] = ax.text(px, py, "", ha="center", va="center", fontsize=8, zorder=5,
                                         bbox=dict(boxstyle="round,pad=0.35", fc="white", ec="0.3"))
            dynamic.append(self._node[(l, j)])
        # BP2's formula (mathtext, parsed once per neuron: matplotlib caches a parse by its string)
        # and, on its own line below, the numbers that change with every move (plain text, no parse).
        self._bp2_text = ax.text(1.0, -1.62, "", ha="center", va="bottom", fontsize=9, zorder=6, color="#8a4b08")
        self._bp2_numbers = ax.text(1.0, -1.64, "", ha="center", va="top", fontsize=9, zorder=6, color="#8a4b08")
        dynamic += [self._bp2_text, self._bp2_numbers]
        return dynamic

    def render(self):
        n = self.numbers
        scale = max(max(float(np.max(np.abs(dW))) for dW in n.dweights), 1e-12)
        lit = set(self.lit)
        for edge, line in self._line.items():
            l, j, k = edge
            grad = float(n.dweights[l - 1][j, k])
            line.set_color(POSITIVE if grad > 0 else NEGATIVE if grad < 0 else "0.75")
            line.set_linewidth(0.8 + 3.2 * abs(grad) / scale)
            self._halo[edge].set_visible(edge in lit)
            self._edge_text[edge].set_text(f"∂c/∂w = {fmt(grad, 2)}")
            term_text = self._term_text[edge]
            term_text.set_visible(edge in lit)
            if edge in lit:  # edge (2, k, j) carries the term w_kj e_k of BP2
                _, w, e, term = self.bp2.terms[j]
                term_text.set_text(f"w{j + 1}{k + 1}·e{j + 1} = {_factor(w)}·{_factor(e)} = {fmt(term, 2)}")
        for (l, j), node in self._node.items():
            if l == 0:
                node.set_text(f"x{j + 1} = {fmt(n.activations[0][j], 3)}")
            else:
                node.set_text(f"z = {fmt(n.zs[l - 1][j], 3)}\na = {fmt(n.activations[l][j], 3)}\n"
                              f"e = {fmt(n.errors[l - 1][j], 3)}")
            chosen = (l, j) == (1, self.neuron)
            off = l == 1 and n.zs[0][j] <= 0
            node.get_bbox_patch().set_facecolor("#fde7cf" if chosen else "0.9" if off else "white")
            node.get_bbox_patch().set_edgecolor(LIT if chosen else "0.3")
        t = self.bp2
        self._bp2_text.set_text(
            rf"$e^{{[1]}}_{t.j + 1} = \left(\sum_k w^{{[2]}}_{{k{t.j + 1}}} e^{{[2]}}_k\right) g'(z^{{[1]}}_{t.j + 1})$")
        self._bp2_numbers.set_text(f"= ({fmt(t.total, 3)}) × {fmt(t.g_prime)} = {fmt(t.error, 3)}")
