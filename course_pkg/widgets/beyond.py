r"""Notebook 07's widget: a program's computation graph with every node's value and gradient.

:class:`GraphExplorer` draws a program of :mod:`course_pkg.autodiff` (a list of steps
``[name, op, [argument names]]`` over named inputs; the last step is the output :math:`y`) as a
graph: one box per input and per step, placed in columns by depth (the inputs on the left, the
output on the right), one arrow from each argument to the step that uses it. Each box shows the
node's name and operation, its value (``data``) and its gradient :math:`\partial y/\partial
\text{node}` (``grad``), computed by reverse mode with :class:`course_pkg.autodiff.Value`. One
slider per input recomputes everything.

A node whose value is used more than once (**fan-out**) has its outgoing arrows drawn in orange,
each labelled with the gradient that flows back along it, :math:`\frac{\partial s}{\partial u}
\frac{\partial y}{\partial s}` for the step :math:`s` that uses :math:`u`; the caption adds them
up: :math:`\partial y/\partial u` is their SUM (notebook 04), which is why
:meth:`course_pkg.autodiff.Value.backward` accumulates with ``+=``.

Built on :class:`course_pkg.widgets._common.Widget`: the boxes, names and arrows are drawn once;
a slider move redraws only the numbers. The state is in plain attributes (``values``,
``grads``, ``value``, ``fanout``), so a test moves ``controls[name].value`` and reads them.
A notebook shows it with ``widgets.show(widgets.beyond.GraphExplorer)``.
"""

import html
import math

import ipywidgets as ipw
from matplotlib.patches import FancyBboxPatch

from course_pkg import autodiff
from course_pkg.widgets._common import Widget, fmt

__all__ = ["GraphExplorer", "DEFAULT_PROGRAM", "DEFAULT_INPUTS", "INPUT_RANGE", "MAX_STEPS", "MAX_INPUTS"]

#: One neuron, :math:`y = \tanh(w_1 x_1 + w_2 x_2 + b)`, as a program.
DEFAULT_PROGRAM = (
    ("p1", "mul", ("w1", "x1")),
    ("p2", "mul", ("w2", "x2")),
    ("s", "add", ("p1", "p2")),
    ("z", "add", ("s", "b")),
    ("y", "tanh", ("z",)),
)
#: Its inputs.
DEFAULT_INPUTS = {"x1": 1.0, "x2": -0.5, "w1": 0.8, "w2": -1.2, "b": 0.1}
#: Range of every input's slider (and of the inputs a widget accepts); its step.
INPUT_RANGE = (-2.0, 2.0)
INPUT_STEP = 0.05
#: Largest program drawn (steps) and most sliders (inputs): beyond, the boxes get unreadable.
MAX_STEPS = 30
MAX_INPUTS = 10

_BOX_W, _BOX_H = 0.8, 0.74  # in data units: columns and rows are 1 apart
_FAN = "#e07a1f"
_EDGE = "0.6"
_OUTPUT = "#2a6fb0"


def _local(op, args, values, k):
    """∂step/∂(its k-th argument), from the arguments' values (the rule of each op's _backward)."""
    if op == "add":  # ∂(a + b)/∂a = 1
        return 1.0
    if op == "mul":  # ∂(ab)/∂a = b
        return values[args[1 - k]]
    z = values[args[0]]
    if op == "tanh":  # tanh′(z) = 1 − tanh²(z)
        return 1.0 - math.tanh(z) ** 2
    if op == "exp":  # exp′ = exp
        return math.exp(z)
    assert op == "relu", f"unknown op {op!r}"
    return 1.0 if z > 0 else 0.0  # the course's convention g′(0) = 0


def _tex(name):
    """A name as matplotlib text (a ``$`` would start mathtext)."""
    return name.replace("$", r"\$")


class GraphExplorer(Widget):
    r"""A program's computation graph, each node with its value and its gradient ∂y/∂node.

    Parameters
    ----------
    program : list of [name, op, arguments], optional
        Steps over ``inputs`` (see :mod:`course_pkg.autodiff`), at most :data:`MAX_STEPS`; the
        last one is the output. Default :data:`DEFAULT_PROGRAM`, one tanh neuron.
    inputs : dict of str to float, optional
        Start value of each input, within :data:`INPUT_RANGE`, at most :data:`MAX_INPUTS`;
        required with a program (default :data:`DEFAULT_INPUTS` with the default program).
    draw : bool, default True
        Whether to render the graph (``False``: only the state and the caption).

    Attributes
    ----------
    controls : dict of str to ipywidgets.FloatSlider
        One slider per input, named after it.
    program : tuple of (str, str, tuple of str)
    output : str
        The last step's name, :math:`y`.
    depth : dict of str to int
        Each node's column: 0 for an input, one more than its deepest argument for a step (the
        output is moved to the last column).
    uses : dict of str to list of (str, int)
        For each node, the steps that use it and at which argument position, in program order.
    values, grads : dict of str to float
        Every node's ``data`` and ``grad`` (:math:`\partial y/\partial \text{node}`); ``nan``
        when the forward pass overflowed (then ``error`` says so).
    value : float
        The output's value.
    fanout : dict of str to list of (str, int, float)
        For each node used more than once: ``(step, position, contribution)`` per use, the
        contribution :math:`\frac{\partial s}{\partial u}\frac{\partial y}{\partial s}` being the
        gradient flowing back along that edge; they sum to ``grads[u]``.
    error : str or None

    Raises
    ------
    ValueError
        A malformed program (the step is named), missing inputs, an input out of range, too big
        a program.

    Examples
    --------
    >>> g = GraphExplorer(draw=False)
    >>> round(g.value, 6), round(g.grads["w1"], 6)
    (0.905148, 0.180707)
    >>> g.controls["x1"].value = 0.0          # what the front end does when the slider moves
    >>> g.grads["w1"]
    0.0
    >>> shared = GraphExplorer([["u", "mul", ["x", "w"]], ["y", "add", ["u", "u"]]], {"x": 1.5, "w": 2.0},
    ...                        draw=False)
    >>> shared.fanout["u"], shared.grads["u"]
    ([('y', 0, 1.0), ('y', 1, 1.0)], 2.0)
    """

    def __init__(self, program=None, inputs=None, *, draw=True):
        if program is None and inputs is None:
            program, inputs = DEFAULT_PROGRAM, DEFAULT_INPUTS
        elif inputs is None:
            raise ValueError("inputs must be a dict from the program's input names to numbers; got None.")
        elif program is None:
            raise ValueError(f"program must be given with inputs (a list of steps [name, op, arguments]); "
                             f"got None with inputs {inputs!r}.")
        try:
            autodiff.check_program(program, inputs)
        except TypeError as exc:  # e.g. a list where a name should be: unhashable
            raise ValueError(f"program must be a list of steps [name, op, arguments] with string names; "
                             f"got {program!r}.") from exc
        if len(program) > MAX_STEPS:
            raise ValueError(f"program must have at most {MAX_STEPS} steps to be drawn; got {len(program)}.")
        if len(inputs) > MAX_INPUTS:
            raise ValueError(f"inputs must be at most {MAX_INPUTS} (one slider each); got {len(inputs)}.")
        lo, hi = INPUT_RANGE
        for name, v in inputs.items():
            if not (math.isfinite(v) and lo <= v <= hi):
                raise ValueError(f"inputs[{name!r}] must lie in [{fmt(lo)}, {fmt(hi)}] (its slider's range); "
                                 f"got {v!r}.")
        self.program = tuple((name, op, tuple(args)) for name, op, args in program)
        self.inputs0 = {name: float(v) for name, v in inputs.items()}
        self.output = self.program[-1][0]
        self.depth = dict.fromkeys(self.inputs0, 0)
        self.uses = {name: [] for name in self.inputs0}
        for name, _, args in self.program:
            self.depth[name] = 1 + max(self.depth[a] for a in args)
            self.uses[name] = []
            for k, a in enumerate(args):
                self.uses[a].append((name, k))
        self.depth[self.output] = max(self.depth.values())  # the output in the last column
        self._layout()
        super().__init__(draw=draw)

    def _layout(self):
        """Each node's (x, y): its column, then rows centred, the inputs in the order the program
        first uses them (fewer crossings), the steps in program order."""
        first_use = {}
        for _, _, args in self.program:
            for a in args:
                first_use.setdefault(a, len(first_use))
        order = sorted(self.inputs0, key=lambda x: first_use.get(x, len(first_use)))
        columns = {}
        for name in order + [name for name, _, _ in self.program]:
            columns.setdefault(self.depth[name], []).append(name)
        self._rows = max(len(c) for c in columns.values())
        self._cols = max(columns) + 1
        self.position = {}
        for col, names in columns.items():
            for i, name in enumerate(names):
                self.position[name] = (float(col), (len(names) - 1) / 2 - i)
        self.figsize = (max(4.0, 1.75 * self._cols), max(2.0, 0.9 * self._rows + 0.35))

    # controls → state
    def make_controls(self):
        return {
            name: ipw.FloatSlider(value=v, min=INPUT_RANGE[0], max=INPUT_RANGE[1], step=INPUT_STEP,
                                  description=name, continuous_update=True)
            for name, v in self.inputs0.items()
        }

    def update(self, /, **inputs):  # positional-only self: an input may be called "self"
        self.inputs = {name: float(v) for name, v in inputs.items()}
        nodes = {name: autodiff.Value(v, name) for name, v in self.inputs.items()}
        self.error = None
        try:
            for name, op, args in self.program:
                a = [nodes[arg] for arg in args]
                out = a[0] + a[1] if op == "add" else a[0] * a[1] if op == "mul" else getattr(a[0], op)()
                out.label = name
                nodes[name] = out
        except OverflowError:
            self.error = f"{name} = {op}(…) overflowed: its value is too large for a float"
            self.values = dict.fromkeys(self.depth, math.nan)
            self.grads = dict.fromkeys(self.depth, math.nan)
        else:
            out.backward()
            self.values = {name: node.data for name, node in nodes.items()}
            self.grads = {name: node.grad + 0.0 for name, node in nodes.items()}  # + 0.0: no −0
        self.value = self.values[self.output]
        steps = {name: (op, args) for name, op, args in self.program}
        self.fanout = {}
        for u, used in self.uses.items():
            if len(used) > 1:
                self.fanout[u] = [
                    (s, k, _local(*steps[s], self.values, k) * self.grads[s] + 0.0) if self.error is None
                    else (s, k, math.nan)
                    for s, k in used
                ]

    def _edge_name(self, u, s, k):
        twice = sum(1 for step, _ in self.uses[u] if step == s) > 1
        return f"{u} → {s}" + (f" (argument {k + 1})" if twice else "")

    def caption(self):
        y = html.escape(self.output)
        if self.error is not None:
            return f"<b>{html.escape(self.error)}</b>: move a slider back."
        grads = ", ".join(f"∂{y}/∂{html.escape(x)} = {fmt(self.grads[x])}" for x in self.inputs)
        lines = [f"output <b>{y} = {fmt(self.value)}</b>; the inputs' gradients: {grads}"]
        for u, flows in self.fanout.items():
            e = html.escape(u)
            terms = " + ".join(f"[{html.escape(self._edge_name(u, s, k))}] {fmt(c)}" for s, k, c in flows)
            lines.append(
                f"<span style='color:{_FAN}'>fan-out</span>: <b>{e}</b> is used {len(flows)} times, so "
                f"∂{y}/∂{e} is the SUM of the gradients along its paths: {terms} = <b>{fmt(self.grads[u])}</b>")
        return "<br>".join(lines)

    # state → draw
    def build(self, fig):
        """Boxes, names and arrows once (static); each node's value and gradient and each fan-out
        arrow's flow (dynamic)."""
        ax = fig.subplots()
        ax.set_xlim(-0.5, self._cols - 0.5)
        ax.set_ylim(-self._rows / 2, self._rows / 2)
        ax.axis("off")
        self._flow_text = {}
        for s, _, args in self.program:
            x1, y1 = self.position[s]
            for k, u in enumerate(args):
                x0, y0 = self.position[u]
                fan = u in self.fanout
                rad = 0.25 * (1 - 2 * k) if args.count(u) > 1 else 0.0  # u used twice by s: two arcs
                ax.annotate("", xy=(x1 - _BOX_W / 2, y1), xytext=(x0 + _BOX_W / 2, y0),
                            arrowprops=dict(arrowstyle="-|>", lw=1.8 if fan else 1.0, color=_FAN if fan else _EDGE,
                                            shrinkA=0, shrinkB=1, connectionstyle=f"arc3,rad={rad}"))
                if fan:  # the flow back along this edge, near its tail
                    t = 0.3
                    px, py = x0 + _BOX_W / 2, y0
                    qx, qy = x1 - _BOX_W / 2, y1
                    self._flow_text[(u, s, k)] = ax.text(
                        px + t * (qx - px), py + t * (qy - py) + rad * 0.35, "", ha="center", va="center",
                        fontsize=7, color=_FAN, bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none"))
        self._node_text = {}
        for name, (px, py) in self.position.items():
            op = "input" if name in self.inputs0 else next(o for n, o, _ in self.program if n == name)
            edge = _OUTPUT if name == self.output else _FAN if name in self.fanout else "0.35"
            ax.add_patch(FancyBboxPatch((px - _BOX_W / 2, py - _BOX_H / 2), _BOX_W, _BOX_H,
                                        boxstyle="round,pad=0,rounding_size=0.08", fc="white", ec=edge,
                                        lw=1.8 if name == self.output else 1.0))
            ax.text(px, py + _BOX_H / 2 - 0.06, f"{_tex(name)}  [{op}]", ha="center", va="top", fontsize=8.5,
                    weight="bold")
            self._node_text[name] = ax.text(px, py - 0.06, "", ha="center", va="center", fontsize=7.5,
                                            color="0.2", linespacing=1.3)
        return [*self._node_text.values(), *self._flow_text.values()]

    def render(self):
        y = _tex(self.output)
        for name, text in self._node_text.items():
            text.set_text(f"data {fmt(self.values[name], 3)}\n∂{y}/∂{_tex(name)} {fmt(self.grads[name], 3)}")
        for u, flows in self.fanout.items():
            for s, k, c in flows:
                self._flow_text[(u, s, k)].set_text(fmt(c, 3))
