r"""Backward paths through a scalar network, and what reusing them saves.

The network of notebook 03 generalised to ``depth`` layers of one neuron each (seed 000 has
``depth = 3``): for :math:`l = 1, \dots, L`

.. math::
    z_l = \theta_l\, a_{l-1} + b_l, \qquad a_l = g(z_l)\ (l < L), \qquad
    \hat y = a_L = \sigma(z_L), \qquad C = (\hat y - y)^2,

with :math:`a_0 = x` and :math:`g` = ReLU. Node names (used by the widget and the checkers):
``"x"``, ``"z1"``, ``"a1"``, …, ``"zL"``, ``"y_hat"``, ``"C"``; parameters ``"theta1"``,
``"b1"``, …

The gradient of :math:`C` with respect to a parameter is the product of the local derivatives on
the path from the cost down to that parameter (:func:`backward_path`). Computing each product on
its own costs :func:`naive_multiplications`; reusing the shared prefix
:math:`\partial C / \partial z_l` (backpropagation) costs :func:`backprop_multiplications`. Both
are counted by walking the paths, not by formula.

Only numpy is imported (and :mod:`course_pkg.activations`).
"""

import numbers

import numpy as np

from course_pkg.activations import relu, relu_prime, sigmoid, sigmoid_prime

__all__ = [
    "parameters",
    "backward_path",
    "naive_multiplications",
    "backprop_multiplications",
    "forward_values",
    "local_derivatives",
    "path_gradients",
]


def _check_depth(depth):
    if isinstance(depth, bool) or not isinstance(depth, numbers.Integral) or depth < 1:
        raise ValueError(f"depth should be a positive integer (the number of layers), got {depth!r}.")
    return int(depth)


def _activation_name(l, depth):
    return "y_hat" if l == depth else f"a{l}"


def parameters(depth=3):
    """The parameter names of a scalar network of ``depth`` layers, input side first.

    Parameters
    ----------
    depth : int, default 3

    Returns
    -------
    list of str
        ``["theta1", "b1", ..., f"theta{depth}", f"b{depth}"]``.

    Examples
    --------
    >>> parameters(2)
    ['theta1', 'b1', 'theta2', 'b2']
    """
    depth = _check_depth(depth)
    return [name for l in range(1, depth + 1) for name in (f"theta{l}", f"b{l}")]


def _layer_of(parameter, depth):
    for prefix in ("theta", "b"):
        if isinstance(parameter, str) and parameter.startswith(prefix) and parameter[len(prefix):].isdigit():
            l = int(parameter[len(prefix):])
            if 1 <= l <= depth:
                return l
    raise ValueError(
        f"parameter should be one of {parameters(depth)} for a network of depth {depth}, "
        f"got {parameter!r}."
    )


def backward_path(parameter, depth=3):
    r"""The local derivatives on the path from the cost down to ``parameter``.

    Each edge ``(upper, lower)`` stands for :math:`\partial\,\text{upper} / \partial\,\text{lower}`;
    the gradient is their product:

    .. math:: \frac{\partial C}{\partial \theta_l} = \frac{\partial C}{\partial \hat y}
              \frac{\partial \hat y}{\partial z_L}
              \prod_{k=L-1}^{l} \Bigl(\frac{\partial z_{k+1}}{\partial a_k}
              \frac{\partial a_k}{\partial z_k}\Bigr) \frac{\partial z_l}{\partial \theta_l}

    Parameters
    ----------
    parameter : str
        ``"theta<l>"`` or ``"b<l>"`` with ``1 <= l <= depth``.
    depth : int, default 3

    Returns
    -------
    list of tuple (str, str)
        ``2 (L - l) + 3`` edges, from ``("C", "y_hat")`` down to ``(f"z{l}", parameter)``.

    Raises
    ------
    ValueError
        For an unknown parameter or a depth that is not a positive integer.

    Examples
    --------
    >>> backward_path("theta2")
    [('C', 'y_hat'), ('y_hat', 'z3'), ('z3', 'a2'), ('a2', 'z2'), ('z2', 'theta2')]
    """
    depth = _check_depth(depth)
    l = _layer_of(parameter, depth)
    edges = [("C", "y_hat"), ("y_hat", f"z{depth}")]
    for k in range(depth - 1, l - 1, -1):
        edges += [(f"z{k + 1}", f"a{k}"), (f"a{k}", f"z{k}")]
    edges.append((f"z{l}", parameter))
    return edges


def naive_multiplications(depth):
    r"""Multiplications to get every gradient when each path's product is computed on its own.

    A path of :math:`n` local derivatives costs :math:`n - 1` multiplications; summed over the
    :math:`2L` parameters this is :math:`2L(L + 1)`, quadratic in the depth.

    Parameters
    ----------
    depth : int
        The number of layers :math:`L`.

    Returns
    -------
    int

    Examples
    --------
    >>> naive_multiplications(3)
    24
    """
    return sum(len(backward_path(p, depth)) - 1 for p in parameters(depth))


def backprop_multiplications(depth):
    r"""Multiplications to get every gradient when shared path prefixes are reused (backprop).

    Walking down from the cost, each product of a prefix of a path is the product of the shorter
    prefix (already known) and one more local derivative: one multiplication per distinct prefix
    of two or more edges. The prefixes up to :math:`z_l` are the errors
    :math:`\partial C / \partial z_l`, shared by every parameter below them. The count is
    :math:`4L - 1`, linear in the depth.

    Parameters
    ----------
    depth : int
        The number of layers :math:`L`.

    Returns
    -------
    int

    Examples
    --------
    >>> backprop_multiplications(3)
    11
    """
    prefixes = set()
    for p in parameters(depth):
        path = backward_path(p, depth)
        for n in range(2, len(path) + 1):
            prefixes.add(tuple(path[:n]))
    return len(prefixes)


def _check_network(x, y, thetas, biases):
    values = {}
    for name, v in (("x", x), ("y", y)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v):
            raise TypeError(f"{name} should be a finite real number, got {v!r}.")
        values[name] = float(v)
    seqs = []
    for name, seq in (("thetas", thetas), ("biases", biases)):
        try:
            seq = [float(v) for v in seq]
        except (TypeError, ValueError):
            raise TypeError(f"{name} should be a sequence of numbers, one per layer, got {seq!r}.") from None
        if not seq or not all(np.isfinite(seq)):
            raise ValueError(f"{name} should hold at least one finite number per layer, got {seq!r}.")
        seqs.append(seq)
    if len(seqs[0]) != len(seqs[1]):
        raise ValueError(
            f"thetas has {len(seqs[0])} entries but biases has {len(seqs[1])}; one of each per layer."
        )
    return values["x"], values["y"], seqs[0], seqs[1]


def forward_values(x, y, thetas, biases):
    r"""Every node's value in a forward pass of the scalar network.

    .. math:: z_l = \theta_l a_{l-1} + b_l,\quad a_l = \operatorname{relu}(z_l),\quad
              \hat y = \sigma(z_L),\quad C = (\hat y - y)^2

    Parameters
    ----------
    x, y : float
        The input and the target.
    thetas, biases : sequence of float, length L
        :math:`\theta_1..\theta_L` and :math:`b_1..b_L`.

    Returns
    -------
    dict of {str: float}
        ``"x"``, ``"z1"``, ``"a1"``, …, ``"zL"``, ``"y_hat"``, ``"C"``.

    Examples
    --------
    >>> v = forward_values(1.0, 1.0, [1.0, 1.0, 0.0], [0.0, 0.0, 0.0])
    >>> v["z2"], v["y_hat"], v["C"]
    (1.0, 0.5, 0.25)
    """
    x, y, thetas, biases = _check_network(x, y, thetas, biases)
    depth = len(thetas)
    values = {"x": x}
    a = x
    for l in range(1, depth + 1):
        z = thetas[l - 1] * a + biases[l - 1]
        a = sigmoid(z) if l == depth else relu(z)
        values[f"z{l}"] = z
        values[_activation_name(l, depth)] = a
    values["C"] = (a - y) ** 2
    return values


def local_derivatives(x, y, thetas, biases):
    r"""The value of every local derivative (every edge of every backward path).

    .. math:: \frac{\partial C}{\partial \hat y} = 2(\hat y - y),\quad
              \frac{\partial \hat y}{\partial z_L} = \sigma'(z_L),\quad
              \frac{\partial z_{l+1}}{\partial a_l} = \theta_{l+1},\quad
              \frac{\partial a_l}{\partial z_l} = g'(z_l),\quad
              \frac{\partial z_l}{\partial \theta_l} = a_{l-1},\quad
              \frac{\partial z_l}{\partial b_l} = 1

    Parameters
    ----------
    x, y, thetas, biases
        As in :func:`forward_values`.

    Returns
    -------
    dict of {(str, str): float}
        Keyed by edge ``(upper, lower)`` as in :func:`backward_path`.

    Examples
    --------
    >>> d = local_derivatives(1.0, 1.0, [1.0, 1.0, 0.0], [0.0, 0.0, 0.0])
    >>> d[("C", "y_hat")], d[("y_hat", "z3")], d[("z3", "a2")], d[("z1", "theta1")]
    (-1.0, 0.25, 0.0, 1.0)
    """
    values = forward_values(x, y, thetas, biases)
    x, y, thetas, biases = _check_network(x, y, thetas, biases)
    depth = len(thetas)
    d = {("C", "y_hat"): 2.0 * (values["y_hat"] - y),
         ("y_hat", f"z{depth}"): float(sigmoid_prime(values[f"z{depth}"]))}
    for l in range(1, depth + 1):
        d[(f"z{l}", f"theta{l}")] = values["x"] if l == 1 else values[f"a{l - 1}"]
        d[(f"z{l}", f"b{l}")] = 1.0
        if l < depth:
            d[(f"z{l + 1}", f"a{l}")] = thetas[l]
            d[(f"a{l}", f"z{l}")] = float(relu_prime(values[f"z{l}"]))
    return d


def path_gradients(x, y, thetas, biases):
    r"""Every gradient as the product of the local derivatives on its path.

    .. math:: \frac{\partial C}{\partial p} = \prod_{(u, v) \in \text{path}(p)} \frac{\partial u}{\partial v}

    Parameters
    ----------
    x, y, thetas, biases
        As in :func:`forward_values`.

    Returns
    -------
    dict of {str: float}
        ``"theta1"``, ``"b1"``, … : :math:`\partial C / \partial p`.

    Examples
    --------
    >>> g = path_gradients(1.0, 1.0, [1.0, 1.0, 1.0], [0.0, 0.0, 0.0])
    >>> round(g["b3"], 6), round(g["theta1"], 6)
    (-0.105754, -0.105754)
    """
    d = local_derivatives(x, y, thetas, biases)
    depth = len(list(thetas))
    out = {}
    for p in parameters(depth):
        product = 1.0
        for edge in backward_path(p, depth):
            product *= d[edge]
        out[p] = product
    return out
