r"""A tiny reverse-mode automatic differentiator on scalars (notebook 07's reference).

Every :class:`Value` holds a number (``data``), the derivative of the final output with respect
to it (``grad``, filled in by :meth:`Value.backward`), the values it was computed from
(``children``) and a ``_backward`` function that passes its gradient on to them by the chain
rule. Each operation builds its output and defines that output's ``_backward`` right below it;
gradients are *added* (``+=``), because a value used twice (fan-out) receives a gradient along
each path (notebook 04). :meth:`Value.backward` visits the graph in reverse topological order, so
that a node passes its gradient on only once everything above it has been added in.

A **program** is the same computation as plain data (what the checkers send to a learner's code):
a list of steps ``[name, op, arguments]``, each argument the name of an input or of an earlier
step, ``op`` one of :data:`OPS`; the last step is the output. :func:`run_program` evaluates one.

Examples
--------
>>> x, w = Value(2.0, "x"), Value(-3.0, "w")
>>> y = (x * w + x).tanh()
>>> y.backward()
>>> round(y.data, 6), round(x.grad, 6), round(w.grad, 6)
(-0.999329, -0.002682, 0.002682)
>>> run_program([["u", "mul", ["x", "x"]], ["y", "add", ["u", "x"]]], {"x": 3.0})["grads"]["x"]
7.0
"""

import math

__all__ = ["Value", "OPS", "topological_order", "run_program", "check_program"]

#: The operations a program may use, with their number of arguments.
OPS = {"add": 2, "mul": 2, "tanh": 1, "exp": 1, "relu": 1}


class Value:
    """A scalar in a computation graph: its data, its gradient, how it was made.

    Parameters
    ----------
    data : float
    label : str, optional
        A name to show in drawings.
    children : tuple of Value, optional
        The values this one was computed from (set by the operations).
    op : str, optional
        The operation that made it (``""`` for an input).
    """

    def __init__(self, data, label="", children=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self.children = tuple(children)
        self.op = op
        self._backward = lambda: None

    def __repr__(self):
        return f"Value({self.data:.6g}, grad={self.grad:.6g}{', ' + repr(self.label) if self.label else ''})"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, children=(self, other), op="add")

        def _backward():  # ∂(a + b)/∂a = ∂(a + b)/∂b = 1
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, children=(self, other), op="mul")

        def _backward():  # ∂(ab)/∂a = b, ∂(ab)/∂b = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    __radd__ = __add__
    __rmul__ = __mul__

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, children=(self,), op="tanh")

        def _backward():  # tanh′(z) = 1 − tanh²(z)
            self.grad += (1.0 - t * t) * out.grad

        out._backward = _backward
        return out

    def exp(self):
        e = math.exp(self.data)
        out = Value(e, children=(self,), op="exp")

        def _backward():  # exp′ = exp
            self.grad += e * out.grad

        out._backward = _backward
        return out

    def relu(self):
        out = Value(max(self.data, 0.0), children=(self,), op="relu")

        def _backward():  # relu′(z) = 1 for z > 0, else 0 (the course's convention at 0)
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad

        out._backward = _backward
        return out

    def backward(self):
        """Fill in ``grad`` of every value this one depends on: ∂self/∂value."""
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


def topological_order(root):
    """Every value ``root`` depends on (itself included), each once, children before parents.

    Examples
    --------
    >>> a = Value(1.0, "a")
    >>> b = a * a
    >>> [v.op or v.label for v in topological_order(b + a)]
    ['a', 'mul', 'add']
    """
    order, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        for child in node.children:
            visit(child)
        order.append(node)

    visit(root)
    return order


def check_program(program, inputs):
    """Validate a program and its inputs; raise ``ValueError`` naming what is wrong.

    >>> check_program([["y", "sin", ["x"]]], {"x": 1.0})
    Traceback (most recent call last):
    ...
    ValueError: step 0 ('y') has op 'sin'; op must be one of add, mul, tanh, exp, relu
    """
    if not isinstance(inputs, dict) or not inputs:
        raise ValueError(f"inputs must be a non-empty dict from names to numbers; got {inputs!r}")
    for name, value in inputs.items():
        if not isinstance(name, str) or isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"inputs must map names to numbers; got {name!r}: {value!r}")
    if not isinstance(program, (list, tuple)) or not program:
        raise ValueError(f"program must be a non-empty list of steps [name, op, arguments]; got {program!r}")
    known = set(inputs)
    for i, step in enumerate(program):
        if not isinstance(step, (list, tuple)) or len(step) != 3:
            raise ValueError(f"step {i} must be [name, op, arguments]; got {step!r}")
        name, op, args = step
        if not isinstance(name, str) or name in known:
            raise ValueError(f"step {i} must have a new name (a string not used before); got {name!r}")
        if op not in OPS:
            raise ValueError(f"step {i} ({name!r}) has op {op!r}; op must be one of {', '.join(OPS)}")
        if not isinstance(args, (list, tuple)) or len(args) != OPS[op]:
            raise ValueError(f"step {i} ({name!r}): {op} takes {OPS[op]} argument(s); got {args!r}")
        for arg in args:
            if arg not in known:
                raise ValueError(f"step {i} ({name!r}) uses {arg!r}, which is neither an input nor an earlier step")
        known.add(name)


def run_program(program, inputs, value_class=Value):
    """Evaluate a program with ``value_class`` and backpropagate from its last step.

    Parameters
    ----------
    program : list of [name, op, arguments]
    inputs : dict of str to float
    value_class : type, default Value
        A class with this module's interface (a learner's ``Value``).

    Returns
    -------
    dict
        ``{"value": output's data, "grads": {name: ∂output/∂name for every input and step}}``.
    """
    check_program(program, inputs)
    nodes = {name: value_class(float(v), name) for name, v in inputs.items()}
    for name, op, args in program:
        a = [nodes[arg] for arg in args]
        if op == "add":
            out = a[0] + a[1]
        elif op == "mul":
            out = a[0] * a[1]
        else:
            out = getattr(a[0], op)()
        out.label = name
        nodes[name] = out
    out.backward()
    return {"value": float(out.data), "grads": {name: float(node.grad) for name, node in nodes.items()}}
