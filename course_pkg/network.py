r"""A fully connected network as pure functions: forward and the four equations.

Shapes and names follow the course's notation table (one example per row):

==========================  ===========================  ====================================
math                        code                         shape
==========================  ===========================  ====================================
:math:`W^{[l]}`             ``weights[l-1]``             ``(n_l, n_{l-1})``, entry ``[j, k]``
                                                         is :math:`w_{jk}^{[l]}`
:math:`b^{[l]}`             ``biases[l-1]``              ``(n_l,)``
:math:`a^{[0]} = x`         ``X`` = ``cache.As[0]``      ``(m, n_0)``
:math:`z^{[l]}`             ``cache.Zs[l-1]``            ``(m, n_l)``: ``A_prev @ W.T + b``
:math:`a^{[l]}`             ``cache.As[l]``              ``(m, n_l)``; ``As[-1]`` is
                                                         :math:`\hat y`
:math:`e^{[l]}`             ``errors[l-1]``              ``(m, n_l)``
==========================  ===========================  ====================================

Hidden layers use ``hidden`` (``'relu'``, ``'sigmoid'`` or ``'tanh'``), the output layer
``output`` (``'sigmoid'``, ``'identity'`` or ``'softmax'``); the per-example loss ``loss`` is one
of :data:`course_pkg.losses.LOSSES` and the cost is its mean over the batch. Every combination
is allowed. Two of them have the simplified output error :math:`e^{[L]} = a^{[L]} - y`:
sigmoid with binary cross-entropy, and softmax with cross-entropy (whose target rows must then
sum to 1). With ``output='identity'`` the cross-entropies need predictions in [0, 1], which is
checked.

Nothing here mutates its arguments; every function returns new arrays.
"""

from typing import NamedTuple

import numpy as np

from course_pkg._validation import (
    as_float_array,
    check_choice,
    check_in_range,
    check_layers,
    check_positive_int,
    check_seed,
    check_X,
    check_Y,
)
from course_pkg.activations import _ACTIVATIONS, _sigmoid, _softmax
from course_pkg.losses import (
    LOSSES,
    _LOSSES,
    _binary_cross_entropy_from_logits,
    _cross_entropy_from_logits,
    _softplus,
)

__all__ = [
    "HIDDEN",
    "OUTPUTS",
    "LOSSES",
    "ForwardCache",
    "init_network",
    "forward",
    "predict",
    "network_cost",
    "backward",
    "gradients",
    "accuracy",
]

#: Activations allowed in the hidden layers.
HIDDEN = ("relu", "sigmoid", "tanh")
#: Activations allowed in the output layer.
OUTPUTS = ("sigmoid", "identity", "softmax")

#: How far a target row may sum from 1 with softmax + cross-entropy (whose error is a - y).
ROW_SUM_TOL = 1e-9


class ForwardCache(NamedTuple):
    """What the forward pass keeps for the backward pass.

    Attributes
    ----------
    Zs : list of ndarray
        ``Zs[l-1]`` is :math:`Z^{[l]}` of shape (m, n_l), for l = 1..L (as ``weights[l-1]``).
    As : list of ndarray
        ``As[l]`` is :math:`A^{[l]}` of shape (m, n_l), for l = 0..L: ``As[0]`` is ``X`` (the
        validated array, not a copy) and ``As[-1]`` the prediction :math:`\\hat Y`.
    """

    Zs: list
    As: list


# ---------------------------------------------------------------------------------------------
# validation shared by the public functions


def _check_names(hidden, output, loss=None):
    check_choice(hidden, "hidden", HIDDEN)
    check_choice(output, "output", OUTPUTS)
    if loss is not None:
        check_choice(loss, "loss", LOSSES)


def _check_targets(Y, output, loss):
    """Targets must suit the loss (probabilities for the cross-entropies)."""
    if loss == "binary_cross_entropy":
        check_in_range(Y, "Y", 0.0, 1.0, "binary cross-entropy needs targets in [0, 1]")
    elif loss == "cross_entropy":
        check_in_range(Y, "Y", 0.0, None, "cross-entropy needs non-negative targets")
        if output == "softmax":
            sums = np.sum(Y, axis=1)
            bad = np.abs(sums - 1.0) > ROW_SUM_TOL
            if bad.any():
                i = int(np.argmax(bad))
                raise ValueError(
                    f"Y row {i} sums to {float(sums[i])!r}; with output='softmax' and "
                    "loss='cross_entropy' each row of Y must be a probability distribution "
                    "(one-hot for class labels)"
                )


def _check_predictions(A, output, loss):
    """With an identity output the cross-entropies need the predictions to be probabilities."""
    if output == "identity" and loss in ("binary_cross_entropy", "cross_entropy"):
        check_in_range(
            A,
            "the prediction a^[L]",
            0.0,
            1.0,
            f"with output='identity', loss={loss!r} needs predictions that are probabilities; "
            "use output='sigmoid' or 'softmax' for unconstrained outputs",
        )


# ---------------------------------------------------------------------------------------------
# initialisation


def init_network(sizes, seed, hidden="relu"):
    r"""Random weights and zero biases for a network with layer sizes ``sizes``.

    Weights are drawn from a normal distribution whose variance keeps the scale of the weighted
    inputs roughly constant from layer to layer:

    .. math:: w_{jk}^{[l]} \sim \mathcal N\!\left(0, \frac{2}{n_{l-1}}\right) \text{ (He, for ReLU)}
              \qquad
              w_{jk}^{[l]} \sim \mathcal N\!\left(0, \frac{2}{n_{l-1} + n_l}\right)
              \text{ (Xavier/Glorot, for sigmoid and tanh)}

    Biases start at 0.

    Parameters
    ----------
    sizes : sequence of int
        ``[n_0, n_1, ..., n_L]``: inputs, then the number of neurons in each layer; length >= 2.
    seed : int
        Seed for ``np.random.default_rng``; the same seed gives the same network.
    hidden : {'relu', 'sigmoid', 'tanh'}, default 'relu'
        Chooses the scaling (He for ReLU, Xavier otherwise).

    Returns
    -------
    weights : list of ndarray, weights[l] of shape (sizes[l+1], sizes[l])
    biases : list of ndarray, biases[l] of shape (sizes[l+1],)

    Examples
    --------
    >>> weights, biases = init_network([2, 3, 1], seed=0)
    >>> [W.shape for W in weights], [b.shape for b in biases]
    ([(3, 2), (1, 3)], [(3,), (1,)])
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError(f"sizes must be a list of layer sizes such as [2, 4, 1]; got {sizes!r}")
    if len(sizes) < 2:
        raise ValueError(
            f"sizes has {len(sizes)} entries; expected at least 2 (inputs and outputs), e.g. [2, 4, 1]"
        )
    sizes = [check_positive_int(n, f"sizes[{i}]") for i, n in enumerate(sizes)]
    seed = check_seed(seed)
    check_choice(hidden, "hidden", HIDDEN)
    rng = np.random.default_rng(seed)
    weights, biases = [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        variance = 2.0 / n_in if hidden == "relu" else 2.0 / (n_in + n_out)
        weights.append(rng.normal(0.0, np.sqrt(variance), size=(n_out, n_in)))
        biases.append(np.zeros(n_out))
    return weights, biases


# ---------------------------------------------------------------------------------------------
# forward


def _forward(Ws, bs, X, hidden, output):
    g = _ACTIVATIONS[hidden][0]
    L = len(Ws)
    Zs, As = [], [X]
    A = X
    for l in range(L):
        Z = A @ Ws[l].T  # (m, n_l): row x is W a_x for example x
        Z += bs[l]  # fresh array: adding in place saves a copy
        if l < L - 1:
            A = g(Z)
        elif output == "sigmoid":
            A = _sigmoid(Z)
        elif output == "softmax":
            A = _softmax(Z)
        else:
            A = Z
        Zs.append(Z)
        As.append(A)
    return ForwardCache(Zs, As)


def forward(weights, biases, X, hidden="relu", output="sigmoid"):
    r"""Forward propagation of a batch, keeping every layer's Z and A for the backward pass.

    .. math:: Z^{[l]} = A^{[l-1]} W^{[l]\top} + b^{[l]}, \qquad A^{[l]} = g(Z^{[l]}),
              \qquad A^{[0]} = X

    (one example per row: row x of :math:`Z^{[l]}` is :math:`z^{[l]} = W^{[l]} a^{[l-1]} + b^{[l]}`
    for that example), with ``hidden`` as :math:`g` in layers 1..L-1 and ``output`` in layer L.

    Parameters
    ----------
    weights : list of array_like, weights[l] of shape (n_{l+1}, n_l)
    biases : list of array_like, biases[l] of shape (n_{l+1},)
    X : array_like of shape (m, n_0)
        One example per row.
    hidden : {'relu', 'sigmoid', 'tanh'}, default 'relu'
    output : {'sigmoid', 'identity', 'softmax'}, default 'sigmoid'

    Returns
    -------
    ForwardCache
        ``Zs`` (L arrays) and ``As`` (L + 1 arrays, ``As[0]`` is X and ``As[-1]`` the prediction).

    Examples
    --------
    >>> import numpy as np
    >>> weights = [np.array([[1.0, -1.0]]), np.array([[2.0]])]
    >>> biases = [np.array([0.0]), np.array([-1.0])]
    >>> cache = forward(weights, biases, np.array([[3.0, 1.0]]), output="identity")
    >>> cache.Zs
    [array([[2.]]), array([[3.]])]
    >>> cache.As[-1]
    array([[3.]])
    """
    _check_names(hidden, output)
    Ws, bs = check_layers(weights, biases)
    X = check_X(X, Ws)
    return _forward(Ws, bs, X, hidden, output)


def predict(weights, biases, X, hidden="relu", output="sigmoid"):
    r"""The network's prediction :math:`\hat Y = A^{[L]}` for a batch.

    Parameters
    ----------
    weights, biases, X, hidden, output
        As in :func:`forward`.

    Returns
    -------
    ndarray of shape (m, n_L)

    Examples
    --------
    >>> import numpy as np
    >>> predict([np.zeros((1, 2))], [np.zeros(1)], np.ones((3, 2)))
    array([[0.5],
           [0.5],
           [0.5]])
    """
    return forward(weights, biases, X, hidden, output).As[-1]


def accuracy(weights, biases, X, y, hidden="relu", output="sigmoid"):
    r"""The fraction of examples the network classifies right.

    With one output neuron the predicted class is :math:`[\hat y > 	frac12]`; with several, the
    neuron with the largest output (:math:`rg\max_j \hat y_j`).

    Parameters
    ----------
    weights, biases, X, hidden, output
        As in :func:`forward`.
    y : array_like of int, shape (m,)
        The true class of each example (0 or 1 with one output neuron).

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> accuracy([np.array([[1.0, 0.0]])], [np.zeros(1)], np.array([[2.0, 0.0], [-1.0, 3.0]]), [1, 1])
    0.5
    """
    A = predict(weights, biases, X, hidden, output)  # (m, n_L)
    labels = as_float_array(y, "y", ndim=1)
    if labels.shape[0] != A.shape[0]:
        raise ValueError(f"y has {labels.shape[0]} entries but X has {A.shape[0]} rows; one label per example")
    if not np.all(labels == np.round(labels)) or labels.min(initial=0) < 0:
        raise ValueError("y must hold class numbers 0, 1, ...; got other values")
    predicted = (A[:, 0] > 0.5) if A.shape[1] == 1 else np.argmax(A, axis=1)
    return float(np.mean(predicted == labels))


# ---------------------------------------------------------------------------------------------
# cost


def _checked_inputs(weights, biases, X, Y, hidden, output, loss):
    """Validate the public arguments once; return float64 copies (Ws, bs, X, Y)."""
    _check_names(hidden, output, loss)
    Ws, bs = check_layers(weights, biases)
    X = check_X(X, Ws)
    Y = check_Y(Y, X, Ws)
    _check_targets(Y, output, loss)
    return Ws, bs, X, Y


def _checked_forward(Ws, bs, X, hidden, output, loss):
    """:func:`_forward`, then check the predictions are in the loss's range."""
    cache = _forward(Ws, bs, X, hidden, output)
    _check_predictions(cache.As[-1], output, loss)
    return cache


def _cost(cache, Y, output, loss):
    """Mean over examples of the per-example loss, from logits where that is more stable."""
    Z, A = cache.Zs[-1], cache.As[-1]
    m = Z.shape[0]
    if output == "sigmoid" and loss == "binary_cross_entropy":
        total = np.sum(_binary_cross_entropy_from_logits(Z, Y))
    elif output == "sigmoid" and loss == "cross_entropy":
        total = np.sum(Y * _softplus(-Z))  # -y log sigma(z) = y log(1 + e^{-z})
    elif output == "softmax" and loss == "cross_entropy":
        total = np.sum(_cross_entropy_from_logits(Z, Y))
    else:
        total = np.sum(_LOSSES[loss][0](A, Y))
    return float(total / m)


def network_cost(weights, biases, X, Y, hidden="relu", output="sigmoid", loss="half_squared_error"):
    r"""The cost :math:`C = \frac1m \sum_x c_x` of the network on a batch (no gradients).

    Computed exactly as in :func:`gradients` (from the logits for the cross-entropies with a
    sigmoid or softmax output).

    Parameters
    ----------
    weights, biases, X, Y, hidden, output, loss
        As in :func:`gradients`.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> network_cost([np.zeros((1, 2))], [np.zeros(1)], np.ones((2, 2)), np.ones((2, 1)))
    0.125
    """
    Ws, bs, X, Y = _checked_inputs(weights, biases, X, Y, hidden, output, loss)
    cache = _checked_forward(Ws, bs, X, hidden, output, loss)
    return _cost(cache, Y, output, loss)


# ---------------------------------------------------------------------------------------------
# backward: the four equations


def _output_error(Z, A, Y, output, loss):
    r"""BP1, one row per example: e^[L] = dc/dz^[L] as a new (m, n_L) array."""
    if (output, loss) in (("sigmoid", "binary_cross_entropy"), ("softmax", "cross_entropy")):
        return A - Y  # the derivatives of the loss and of the activation cancel to a - y
    if output == "sigmoid" and loss == "cross_entropy":
        # -y/a * a(1 - a) = -y (1 - a) = -y sigma(-z), without dividing by a rounded 0
        return -Y * _sigmoid(-Z)
    dA = _LOSSES[loss][1](A, Y)  # (m, n_L): dc/da
    if output == "identity":
        return dA  # g'(z) = 1
    if output == "sigmoid":
        dA *= _ACTIVATIONS["sigmoid"][1](Z)
        return dA
    # softmax: da_j/dz_k = a_j (delta_jk - a_k), so dc/dz_k = a_k (dc/da_k - sum_j a_j dc/da_j)
    dA -= np.sum(dA * A, axis=1, keepdims=True)
    dA *= A
    return dA


def _backward_errors(Ws, cache, Y, hidden, output, loss, scale):
    """The errors of every layer, each multiplied by ``scale``; errors[l-1] is E^[l]."""
    g_prime = _ACTIVATIONS[hidden][1]
    E = _output_error(cache.Zs[-1], cache.As[-1], Y, output, loss)
    if scale != 1.0:
        E *= scale
    errors = [E]
    for l in range(len(Ws) - 1, 0, -1):
        E = E @ Ws[l]  # BP2 (m, n_l) = (m, n_{l+1}) @ (n_{l+1}, n_l)
        Z = cache.Zs[l - 1]
        if hidden == "relu":
            E *= Z > 0  # relu'(z) = 1 where z > 0, else 0 (the convention at 0)
        else:
            E *= g_prime(Z)
        errors.append(E)
    errors.reverse()
    return errors


def backward(weights, biases, X, Y, hidden="relu", output="sigmoid", loss="half_squared_error"):
    r"""The error :math:`e^{[l]} = \partial c_x / \partial z^{[l]}` of every layer, every example.

    .. math::
        \text{BP1:}\quad e^{[L]} = \nabla_a c \odot g'(z^{[L]}) \qquad
        \text{BP2:}\quad e^{[l]} = \bigl(W^{[l+1]\top} e^{[l+1]}\bigr) \odot g'(z^{[l]})

    In matrix form, one example per row: :math:`E^{[l]} = (E^{[l+1]} W^{[l+1]}) \odot g'(Z^{[l]})`.
    For sigmoid + binary cross-entropy and softmax + cross-entropy, :math:`E^{[L]} = A^{[L]} - Y`.
    These are the errors of the per-example losses :math:`c_x` (not divided by m).

    Parameters
    ----------
    weights, biases, X, Y, hidden, output, loss
        As in :func:`gradients`.

    Returns
    -------
    list of ndarray
        ``errors[l-1]`` is :math:`E^{[l]}` of shape (m, n_l), for l = 1..L.

    Examples
    --------
    >>> import numpy as np
    >>> weights = [np.array([[1.0]]), np.array([[2.0]])]
    >>> biases = [np.array([0.0]), np.array([0.0])]
    >>> backward(weights, biases, [[1.0]], [[0.0]], output="identity")
    [array([[4.]]), array([[2.]])]
    """
    Ws, bs, X, Y = _checked_inputs(weights, biases, X, Y, hidden, output, loss)
    cache = _checked_forward(Ws, bs, X, hidden, output, loss)
    return _backward_errors(Ws, cache, Y, hidden, output, loss, 1.0)


def gradients(weights, biases, X, Y, hidden="relu", output="sigmoid", loss="half_squared_error"):
    r"""Cost and gradients of a batch by backpropagation: the four equations, vectorised.

    With :math:`C = \frac1m \sum_x c_x` and one example per row:

    .. math::
        \begin{aligned}
        \text{BP1}\quad & E^{[L]} = \nabla_{A} c \odot g'(Z^{[L]})
            \quad (= A^{[L]} - Y \text{ for sigmoid + BCE and softmax + CE}) \\
        \text{BP2}\quad & E^{[l]} = \bigl(E^{[l+1]} W^{[l+1]}\bigr) \odot g'(Z^{[l]}) \\
        \text{BP3}\quad & \frac{\partial C}{\partial b^{[l]}} = \frac1m \sum_x e^{[l]}_x
            \quad\text{(column sums of } E^{[l]} / m) \\
        \text{BP4}\quad & \frac{\partial C}{\partial W^{[l]}} = \frac1m E^{[l]\top} A^{[l-1]}
            \quad\Bigl(\frac{\partial C}{\partial w^{[l]}_{jk}}
            = \frac1m \sum_x e^{[l]}_{x,j}\, a^{[l-1]}_{x,k}\Bigr)
        \end{aligned}

    Parameters
    ----------
    weights : list of array_like, weights[l] of shape (n_{l+1}, n_l)
        ``weights[l-1][j, k]`` is :math:`w^{[l]}_{jk}`, from neuron k of layer l-1 to neuron j.
    biases : list of array_like, biases[l] of shape (n_{l+1},)
    X : array_like of shape (m, n_0)
        One example per row.
    Y : array_like of shape (m, n_L)
        Targets, one row per example.
    hidden : {'relu', 'sigmoid', 'tanh'}, default 'relu'
    output : {'sigmoid', 'identity', 'softmax'}, default 'sigmoid'
    loss : {'squared_error', 'half_squared_error', 'binary_cross_entropy', 'cross_entropy'}, default 'half_squared_error'

    Returns
    -------
    cost : float
        :math:`C`, the mean over the m examples of the per-example loss.
    dweights : list of ndarray
        :math:`\partial C / \partial W^{[l]}`, with the shapes of ``weights``.
    dbiases : list of ndarray
        :math:`\partial C / \partial b^{[l]}`, with the shapes of ``biases``.

    Raises
    ------
    ValueError, TypeError
        For shapes that do not fit, NaN or inf, non-numeric input, unknown names, targets
        outside the loss's range.

    Examples
    --------
    >>> import numpy as np
    >>> weights = [np.array([[1.0]]), np.array([[2.0]])]
    >>> biases = [np.array([0.0]), np.array([0.0])]
    >>> cost, dW, db = gradients(weights, biases, [[1.0]], [[0.0]], output="identity")
    >>> cost
    2.0
    >>> dW, db
    ([array([[4.]]), array([[2.]])], [array([4.]), array([2.])])
    """
    Ws, bs, X, Y = _checked_inputs(weights, biases, X, Y, hidden, output, loss)
    cache = _checked_forward(Ws, bs, X, hidden, output, loss)
    m = X.shape[0]
    cost = _cost(cache, Y, output, loss)

    # Backward. Working with E^[l] / m, the errors of the mean cost C, makes BP3 and BP4 plain
    # sums: dC/db^[l] = sum_x e_x / m and dC/dW^[l] = (E^[l] / m)^T A^[l-1].
    #   BP1  E^[L] = grad_a c * g'(Z^[L])          (a - y for sigmoid+BCE, softmax+CE)
    #   BP2  E^[l] = (E^[l+1] @ W^[l+1]) * g'(Z^[l])
    #   BP3  dC/db^[l] = column sums of E^[l] / m
    #   BP4  dC/dW^[l] = (E^[l] / m).T @ A^[l-1]
    errors = _backward_errors(Ws, cache, Y, hidden, output, loss, 1.0 / m)  # errors[l] is E^[l+1] / m
    dweights = [E.T @ A_prev for E, A_prev in zip(errors, cache.As)]  # BP4 (n_l, n_{l-1})
    dbiases = [E.sum(axis=0) for E in errors]  # BP3 (n_l,)
    return cost, dweights, dbiases


# ---------------------------------------------------------------------------------------------
# training
