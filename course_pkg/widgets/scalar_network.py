r"""Notebook 03's widget: the scalar network as a graph, one parameter's backward path lit up.

:class:`PathExplorer` draws seed 000's network (:math:`x \to z^{[1]} \to a^{[1]} \to z^{[2]} \to
a^{[2]} \to z^{[3]} \to \hat y \to C`, with :math:`\theta_l` and :math:`b_l` feeding each
:math:`z^{[l]}`). Pick a
parameter: the edges of its backward path (:func:`course_pkg.paths.backward_path`) turn red, each
labelled with the value of its local derivative, and the label multiplies them out. Move the
input :math:`x` and watch a ReLU switch off: a factor :math:`g'(z) = 0` appears and the whole
product collapses.

Built on :class:`course_pkg.widgets._common.Widget`. The state is in plain attributes
(``parameter``, ``x``, ``path``, ``factors``, ``gradient``, ``reference``), so a test sets
``parameter_dropdown.value`` or ``x_slider.value`` and reads them. The grey graph is drawn once;
a change redraws only the red path, the numbers and the title over it.
"""

import ipywidgets as ipw
import numpy as np

from course_pkg import network, paths
from course_pkg.widgets._common import Widget, fmt

__all__ = ["PathExplorer", "DEFAULT_NETWORK", "PARAMETER_LABELS"]

#: The network the notebook uses: x, y, thetas, biases (every ReLU on at x = 1.5).
DEFAULT_NETWORK = (1.5, 1.0, (0.8, -1.1, 1.6), (0.1, 1.9, -0.4))
#: Dropdown label -> parameter name.
PARAMETER_LABELS = {"θ1": "theta1", "b1": "b1", "θ2": "theta2", "b2": "b2", "θ3": "theta3", "b3": "b3"}
#: Node labels in the course's notation: the layer as a bracketed superscript, θ_l and b_l as in seed 000.
_NODE_TEXT = {"x": "$x$", "z1": "$z^{[1]}$", "a1": "$a^{[1]}$", "z2": "$z^{[2]}$", "a2": "$a^{[2]}$",
              "z3": "$z^{[3]}$", "y_hat": r"$\hat y$", "C": "$C$", "theta1": r"$\theta_1$", "b1": "$b_1$",
              "theta2": r"$\theta_2$", "b2": "$b_2$", "theta3": r"$\theta_3$", "b3": "$b_3$"}
_CHAIN = ("x", "z1", "a1", "z2", "a2", "z3", "y_hat", "C")
_POS = {name: (float(i), 0.0) for i, name in enumerate(_CHAIN)}
for _l in (1, 2, 3):
    _POS[f"theta{_l}"] = (_POS[f"z{_l}"][0] - 0.55, 1.0)
    _POS[f"b{_l}"] = (_POS[f"z{_l}"][0] - 0.55, -1.0)
#: Forward edges (from, to) of the graph.
EDGES = tuple(zip(_CHAIN, _CHAIN[1:])) + tuple(
    (f"{p}{l}", f"z{l}") for l in (1, 2, 3) for p in ("theta", "b"))
#: The x-range of the slider.
X_RANGE = (-2.0, 2.0)


def _symbol(edge):
    upper, lower = edge
    return f"∂{_plain(upper)}/∂{_plain(lower)}"


def _plain(name):
    return {"y_hat": "ŷ", "theta1": "θ1", "theta2": "θ2", "theta3": "θ3"}.get(name, name)


_LIT = "#d1495b"


def _node(ax, name, lit):
    """One node: its label in a circle, red-rimmed on the lit path."""
    px, py = _POS[name]
    return ax.text(px, py, _NODE_TEXT[name], ha="center", va="center", fontsize=12,
                   bbox=dict(boxstyle="circle,pad=0.3", fc="#fde2e4" if lit else "white",
                             ec=_LIT if lit else "0.4"))


def _arrow(ax, edge, lit):
    (x0, y0), (x1, y1) = _POS[edge[0]], _POS[edge[1]]
    return ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                       arrowprops=dict(arrowstyle="-|>", lw=2.6 if lit else 1.0,
                                       color=_LIT if lit else "0.7", shrinkA=14, shrinkB=14))


class PathExplorer(Widget):
    """The scalar network drawn as a graph; a parameter's backward path lit up with its values.

    Parameters
    ----------
    x, y : float
        Input and target (``x`` within ``X_RANGE``).
    thetas, biases : sequence of 3 floats
    draw : bool, default True
        Whether to render the graph (``False``: only the state and the label).

    Attributes
    ----------
    parameter_dropdown : ipywidgets.Dropdown
    x_slider : ipywidgets.FloatSlider
    image : ipywidgets.Image
    label : ipywidgets.HTML
        The product of the local derivatives, written out, and the reference value.
    view : ipywidgets.VBox
    parameter : str
        ``"theta1"`` … ``"b3"``.
    x : float
        The slider's input.
    values : dict of str to float
        Every node's forward value (:func:`course_pkg.paths.forward_values`).
    path : list of (str, str)
        The lit edges, from the cost down (:func:`course_pkg.paths.backward_path`).
    factors : list of float
        The local derivative of each edge of ``path``.
    gradient : float
        Their product, :math:`\\partial C / \\partial p`.
    reference : float
        The same gradient from :func:`course_pkg.network.gradients` (backprop, vectorised).

    Examples
    --------
    >>> explorer = PathExplorer()
    >>> explorer.parameter_dropdown.value = "b3"
    >>> [e for e in explorer.path]
    [('C', 'y_hat'), ('y_hat', 'z3'), ('z3', 'b3')]
    >>> abs(explorer.gradient - explorer.reference) < 1e-12
    True
    """

    figsize = (9.5, 3.3)

    def __init__(self, x=DEFAULT_NETWORK[0], y=DEFAULT_NETWORK[1], thetas=DEFAULT_NETWORK[2],
                 biases=DEFAULT_NETWORK[3], *, draw=True):
        paths.forward_values(x, y, thetas, biases)  # validates
        if len(list(thetas)) != 3:
            raise ValueError(f"thetas must hold 3 numbers (one per layer); got {len(list(thetas))}.")
        if not X_RANGE[0] <= float(x) <= X_RANGE[1]:
            raise ValueError(f"x must lie in {X_RANGE}; got {x}.")
        self.x0, self.y = float(x), float(y)
        self.thetas = tuple(float(t) for t in thetas)
        self.biases = tuple(float(b) for b in biases)
        super().__init__(draw=draw)

    # controls → state
    def make_controls(self):
        self.parameter_dropdown = ipw.Dropdown(
            options=list(PARAMETER_LABELS.items()), value="theta2", description="parameter"
        )
        self.x_slider = ipw.FloatSlider(
            value=self.x0, min=X_RANGE[0], max=X_RANGE[1], step=0.05, description="x",
            continuous_update=True,
        )
        return {"parameter": self.parameter_dropdown, "x": self.x_slider}

    def update(self, parameter, x):
        self.parameter, self.x = parameter, float(x)
        self.values = paths.forward_values(self.x, self.y, self.thetas, self.biases)
        self.local = paths.local_derivatives(self.x, self.y, self.thetas, self.biases)
        self.path = paths.backward_path(parameter, 3)
        self.factors = [self.local[edge] for edge in self.path]
        self.gradient = float(np.prod(self.factors)) + 0.0  # + 0.0: a product through g′ = 0 shows 0, not −0
        weights = [np.array([[t]]) for t in self.thetas]
        bs = [np.array([b]) for b in self.biases]
        _, dW, db = network.gradients(weights, bs, [[self.x]], [[self.y]], loss="squared_error")
        layer = int(parameter[-1]) - 1
        self.reference = float(dW[layer][0, 0] if parameter.startswith("theta") else db[layer][0])

    def caption(self):
        name = _plain(self.parameter)
        symbols = " · ".join(_symbol(e) for e in self.path)
        numbers = " × ".join(f"({fmt(f)})" if f < 0 else fmt(f) for f in self.factors)
        return (
            f"∂C/∂{name} = {symbols}<br>= {numbers} = <b>{fmt(self.gradient, 6)}</b>"
            f" &nbsp;(backprop in course_pkg.network: {fmt(self.reference, 6)})"
        )

    # state → draw
    def build(self, fig):
        """The graph with one grey and one red arrow per edge and one plain and one red circle per
        node, the red ones shown only on the lit path (static: they change with the parameter
        only); the edge labels and the nodes' values (dynamic: they change with x)."""
        ax = fig.subplots()
        ax.set_xlim(-0.8, 7.6)
        ax.set_ylim(-1.5, 1.5)
        ax.axis("off")
        for edge in EDGES:
            _arrow(ax, edge, lit=False)
        for name in _POS:
            _node(ax, name, lit=False)
        self._lit_arrows, self._edge_labels = {}, {}
        for a, b in EDGES:
            (x0, y0), (x1, y1) = _POS[a], _POS[b]
            self._lit_arrows[(a, b)] = _arrow(ax, (a, b), lit=True)
            # a white box under the label where a slanted arrow would cross it; above a level
            # arrow the label needs none (and is cheaper to draw on every frame without)
            box = dict(boxstyle="round,pad=0.15", fc="white", ec="none") if y0 != y1 else None
            self._edge_labels[(a, b)] = ax.text(
                (x0 + x1) / 2, (y0 + y1) / 2 + 0.18, "", ha="center", va="bottom", fontsize=9,
                color=_LIT, bbox=box)
        self._lit_nodes = {name: _node(ax, name, lit=True) for name in _POS}
        self._node_values = {
            name: ax.text(px, py - 0.42, "", ha="center", va="top", fontsize=8, color="0.35")
            for name, (px, py) in _POS.items() if name in _CHAIN
        }
        self._title = ax.set_title(" ", fontsize=10)
        self._drawn = None  # the parameter whose path the background shows
        return [*self._edge_labels.values(), *self._node_values.values()]

    def _draw_path(self):
        """The static part for the current parameter: which arrows and nodes are red, the title."""
        lit = {(lower, upper) for upper, lower in self.path}  # forward direction
        for edge, arrow in self._lit_arrows.items():
            arrow.set_visible(edge in lit)
        on_path = {n for edge in self.path for n in edge}
        for name, node in self._lit_nodes.items():
            node.set_visible(name in on_path)
        self._title.set_text(
            f"backward path of {_NODE_TEXT[self.parameter]}: local derivatives in red")
        self._drawn = self.parameter
        self.invalidate()

    def render(self):
        if self._drawn != self.parameter:
            self._draw_path()
        lit = {(lower, upper): (upper, lower) for upper, lower in self.path}  # forward -> backward
        for edge, label in self._edge_labels.items():
            label.set_visible(edge in lit)
            if edge in lit:
                label.set_text(fmt(self.local[lit[edge]], 3))
        for name, text in self._node_values.items():
            value = fmt(self.values[name], 3)
            text.set_text(f"C = {value}" if name == "C" else value)
