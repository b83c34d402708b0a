r"""Notebook 03's widget: the scalar network as a graph, one parameter's backward path lit up.

:class:`PathExplorer` draws seed 000's network (:math:`x \to z^{[1]} \to a^{[1]} \to z^{[2]} \to
a^{[2]} \to z^{[3]} \to \hat y \to C`, with :math:`\theta_l` and :math:`b_l` feeding each
:math:`z^{[l]}`). Pick a
parameter: the edges of its backward path (:func:`course_pkg.paths.backward_path`) turn red, each
labelled with the value of its local derivative, and the label multiplies them out. Move the
input :math:`x` and watch a ReLU switch off: a factor :math:`g'(z) = 0` appears and the whole
product collapses.

The state is in plain attributes (``parameter``, ``x``, ``path``, ``factors``, ``gradient``,
``reference``), so a test sets ``parameter_dropdown.value`` or ``x_slider.value`` and reads them.
"""

import ipywidgets as ipw
import numpy as np

from course_pkg import network, paths
from course_pkg.widgets._common import fmt, new_figure, to_png

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


class PathExplorer:
    """The scalar network drawn as a graph; a parameter's backward path lit up with its values.

    Parameters
    ----------
    x, y : float
        Input and target (``x`` within ``X_RANGE``).
    thetas, biases : sequence of 3 floats

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

    def __init__(self, x=DEFAULT_NETWORK[0], y=DEFAULT_NETWORK[1], thetas=DEFAULT_NETWORK[2],
                 biases=DEFAULT_NETWORK[3]):
        paths.forward_values(x, y, thetas, biases)  # validates
        if len(list(thetas)) != 3:
            raise ValueError(f"thetas should hold 3 numbers (one per layer), got {len(list(thetas))}.")
        if not X_RANGE[0] <= float(x) <= X_RANGE[1]:
            raise ValueError(f"x should lie in {X_RANGE}, got {x}.")
        self.y = float(y)
        self.thetas = tuple(float(t) for t in thetas)
        self.biases = tuple(float(b) for b in biases)
        self.parameter_dropdown = ipw.Dropdown(
            options=list(PARAMETER_LABELS.items()), value="theta2", description="parameter"
        )
        self.x_slider = ipw.FloatSlider(
            value=float(x), min=X_RANGE[0], max=X_RANGE[1], step=0.05, description="x",
            continuous_update=False,
        )
        self.image = ipw.Image(format="png")
        self.label = ipw.HTML()
        self.view = ipw.VBox([ipw.HBox([self.parameter_dropdown, self.x_slider]), self.label, self.image])
        self.redraws = 0
        self.parameter_dropdown.observe(self._on_change, names="value")
        self.x_slider.observe(self._on_change, names="value")
        self._on_change()

    def _on_change(self, change=None):
        self.parameter = self.parameter_dropdown.value
        self.x = float(self.x_slider.value)
        self.values = paths.forward_values(self.x, self.y, self.thetas, self.biases)
        local = paths.local_derivatives(self.x, self.y, self.thetas, self.biases)
        self.path = paths.backward_path(self.parameter, 3)
        self.factors = [local[edge] for edge in self.path]
        self.gradient = float(np.prod(self.factors)) + 0.0  # + 0.0: a product through g′ = 0 shows 0, not −0
        weights = [np.array([[t]]) for t in self.thetas]
        bs = [np.array([b]) for b in self.biases]
        _, dW, db = network.gradients(weights, bs, [[self.x]], [[self.y]], loss="squared_error")
        layer = int(self.parameter[-1]) - 1
        self.reference = float(dW[layer][0, 0] if self.parameter.startswith("theta") else db[layer][0])
        name = _plain(self.parameter)
        symbols = " · ".join(_symbol(e) for e in self.path)
        numbers = " × ".join(f"({fmt(f)})" if f < 0 else fmt(f) for f in self.factors)
        self.label.value = (
            f"∂C/∂{name} = {symbols}<br>= {numbers} = <b>{fmt(self.gradient, 6)}</b>"
            f" &nbsp;(backprop in course_pkg.network: {fmt(self.reference, 6)})"
        )
        self._draw(local)

    def _draw(self, local):
        fig, ax = new_figure(9.5, 3.3)
        lit = {(lower, upper) for upper, lower in self.path}  # forward direction
        for a, b in EDGES:
            (x0, y0), (x1, y1) = _POS[a], _POS[b]
            on = (a, b) in lit
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                        arrowprops=dict(arrowstyle="-|>", lw=2.6 if on else 1.0,
                                        color="#d1495b" if on else "0.7", shrinkA=14, shrinkB=14))
            if on:
                value = local[(b, a)]
                ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.18, fmt(value, 3), ha="center",
                        va="bottom", fontsize=9, color="#d1495b",
                        bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none"))
        for name, (px, py) in _POS.items():
            on = name in {n for edge in self.path for n in edge}
            ax.text(px, py, _NODE_TEXT[name], ha="center", va="center", fontsize=12,
                    bbox=dict(boxstyle="circle,pad=0.3", fc="#fde2e4" if on else "white",
                              ec="#d1495b" if on else "0.4"))
            if name in self.values and name not in ("C",):
                ax.text(px, py - 0.42, fmt(self.values[name], 3), ha="center", va="top", fontsize=8,
                        color="0.35")
        ax.text(_POS["C"][0], -0.42, f"C = {fmt(self.values['C'], 3)}", ha="center", va="top",
                fontsize=8, color="0.35")
        ax.set_xlim(-0.8, 7.6)
        ax.set_ylim(-1.5, 1.5)
        ax.axis("off")
        ax.set_title(f"backward path of {_NODE_TEXT[self.parameter]}: local derivatives in red", fontsize=10)
        self.image.value = to_png(fig)
        self.redraws += 1
