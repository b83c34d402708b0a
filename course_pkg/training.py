r"""Training: gradient descent, mini-batches and the loop that repeats them (notebook 06).

One step of gradient descent moves every parameter a little against its gradient,

.. math:: W^{[l]} \leftarrow W^{[l]} - \eta \, \frac{\partial C}{\partial W^{[l]}}, \qquad
          b^{[l]} \leftarrow b^{[l]} - \eta \, \frac{\partial C}{\partial b^{[l]}},

where :math:`C` is the mean cost of the current mini-batch and :math:`\eta > 0` the learning rate.
An epoch is one pass over the training set in mini-batches, in an order shuffled anew every epoch
(:func:`minibatch_indices`); :func:`train` runs epochs and records the cost after each.

These are the course's reference implementations of notebook 06's exercises: the trusted grader
switches them off while a learner's code runs (the gradients come from :mod:`course_pkg.network`,
which a learner may use by then). Nothing here mutates its arguments.
"""

from typing import NamedTuple

import numpy as np

from course_pkg._validation import as_float_array, check_layers, check_positive_int, check_seed
from course_pkg.network import _checked_forward, _checked_inputs, _cost, gradients

__all__ = ["TrainResult", "sgd_step", "minibatch_indices", "train"]


class TrainResult(NamedTuple):
    """What :func:`train` returns.

    Attributes
    ----------
    weights, biases : list of ndarray
        The trained parameters (new arrays; the initial ones are untouched).
    history : ndarray of shape (epochs + 1,)
        The cost on the whole training set before training (``history[0]``) and after each epoch.
    """

    weights: list
    biases: list
    history: np.ndarray


def sgd_step(weights, biases, dweights, dbiases, lr):
    r"""One gradient-descent update, returning new parameters.

    .. math:: W^{[l]} \leftarrow W^{[l]} - \eta \frac{\partial C}{\partial W^{[l]}}, \qquad
              b^{[l]} \leftarrow b^{[l]} - \eta \frac{\partial C}{\partial b^{[l]}}

    Parameters
    ----------
    weights, biases : list of array_like
        Current parameters (not modified).
    dweights, dbiases : list of array_like
        Gradients with the same shapes.
    lr : float
        The learning rate :math:`\eta > 0`.

    Returns
    -------
    (list of ndarray, list of ndarray)
        The updated weights and biases.

    Examples
    --------
    >>> import numpy as np
    >>> sgd_step([np.array([[1.0]])], [np.array([0.0])], [np.array([[2.0]])], [np.array([1.0])], lr=0.5)
    ([array([[0.]])], [array([-0.5])])
    """
    lr = _check_lr(lr)
    Ws, bs = check_layers(weights, biases)
    dWs, dbs = _check_grads_like(Ws, bs, dweights, dbiases)
    return [W - lr * dW for W, dW in zip(Ws, dWs)], [b - lr * db for b, db in zip(bs, dbs)]


def _check_lr(lr):
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating, np.integer)):
        raise TypeError(f"lr must be a positive number (the learning rate); got {lr!r}")
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a positive finite number (the learning rate); got {lr!r}")
    return float(lr)


def _check_grads_like(Ws, bs, dweights, dbiases):
    for name, value in (("dweights", dweights), ("dbiases", dbiases)):
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{name} must be a list with one array per layer; got {type(value).__name__}")
    if len(dweights) != len(Ws) or len(dbiases) != len(bs):
        raise ValueError(
            f"dweights has {len(dweights)} and dbiases {len(dbiases)} entries but the network has "
            f"{len(Ws)} layers; expected one gradient per parameter array"
        )
    dWs, dbs = [], []
    for l, (W, b) in enumerate(zip(Ws, bs)):
        dW = as_float_array(dweights[l], f"dweights[{l}]")
        db = as_float_array(dbiases[l], f"dbiases[{l}]")
        if dW.shape != W.shape:
            raise ValueError(f"dweights[{l}] has shape {dW.shape} but weights[{l}] has shape {W.shape}; expected the same shape")
        if db.shape != b.shape:
            raise ValueError(f"dbiases[{l}] has shape {db.shape} but biases[{l}] has shape {b.shape}; expected the same shape")
        dWs.append(dW)
        dbs.append(db)
    return dWs, dbs


def minibatch_indices(m, batch_size, seed):
    r"""The row indices of one epoch's mini-batches: every example exactly once, shuffled.

    The rows :math:`0, \dots, m-1` are put in the order ``np.random.default_rng(seed).permutation(m)``
    and cut into consecutive batches of ``batch_size`` (the last one smaller when ``batch_size``
    does not divide ``m``). The same seed always gives the same batches; a new seed per epoch
    gives a new order.

    Parameters
    ----------
    m : int
        Number of examples (>= 1).
    batch_size : int
        Examples per batch (>= 1); ``batch_size >= m`` gives one batch of all the rows.
    seed : int
        Seed of the shuffle (>= 0).

    Returns
    -------
    list of ndarray of int
        ``ceil(m / batch_size)`` arrays; their concatenation is a permutation of ``range(m)``.

    Examples
    --------
    >>> [b.tolist() for b in minibatch_indices(5, 2, seed=0)]
    [[2, 4], [3, 0], [1]]
    """
    m = check_positive_int(m, "m")
    batch_size = check_positive_int(batch_size, "batch_size")
    seed = check_seed(seed)
    order = np.random.default_rng(seed).permutation(m)  # (m,)
    return [order[start : start + batch_size] for start in range(0, m, batch_size)]


def train(
    weights,
    biases,
    X,
    Y,
    *,
    lr,
    epochs,
    batch_size=None,
    seed=0,
    hidden="relu",
    output="sigmoid",
    loss="half_squared_error",
):
    r"""Mini-batch gradient descent: for each epoch, shuffle, then one :func:`sgd_step` per batch.

    .. math:: \theta \leftarrow \theta - \eta \, \nabla_\theta C_{\text{batch}}

    where :math:`C_{\text{batch}}` is the mean cost of the current mini-batch (computed by
    :func:`gradients`). The examples of epoch ``e`` come in the order of
    ``minibatch_indices(m, batch_size, seed + e)``; the last batch of an epoch may be smaller.

    Parameters
    ----------
    weights, biases : list of array_like
        Initial parameters (not modified), e.g. from :func:`init_network`.
    X : array_like of shape (m, n_0)
    Y : array_like of shape (m, n_L)
    lr : float
        Learning rate :math:`\eta > 0`.
    epochs : int
        Number of passes over the data (>= 0).
    batch_size : int, optional
        Examples per step; None (the default) means the whole batch, plain gradient descent.
    seed : int, default 0
        Seed of the shuffling.
    hidden, output, loss
        As in :func:`gradients`.

    Returns
    -------
    TrainResult
        ``weights``, ``biases`` (trained, new arrays) and ``history`` of shape (epochs + 1,): the
        cost on all of (X, Y) before training and after each epoch.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    >>> from course_pkg.network import init_network, predict
    >>> weights, biases = init_network([2, 8, 1], seed=1)
    >>> result = train(weights, biases, X, Y, lr=1.0, epochs=2000, hidden="tanh",
    ...                loss="binary_cross_entropy")
    >>> bool(result.history[-1] < 0.05 * result.history[0])
    True
    >>> (predict(result.weights, result.biases, X, hidden="tanh") > 0.5).ravel()
    array([False,  True,  True, False])
    """
    Ws, bs, X, Y = _checked_inputs(weights, biases, X, Y, hidden, output, loss)
    lr = _check_lr(lr)
    epochs = check_positive_int(epochs, "epochs", minimum=0)
    seed = check_seed(seed)
    m = X.shape[0]
    batch_size = m if batch_size is None else check_positive_int(batch_size, "batch_size")

    def full_cost(Ws, bs):
        return _cost(_checked_forward(Ws, bs, X, hidden, output, loss), Y, output, loss)

    history = [full_cost(Ws, bs)]  # (epochs + 1,) once filled
    for epoch in range(epochs):
        for rows in minibatch_indices(m, batch_size, seed + epoch):
            _, dWs, dbs = gradients(Ws, bs, X[rows], Y[rows], hidden, output, loss)
            Ws = [W - lr * dW for W, dW in zip(Ws, dWs)]
            bs = [b - lr * db for b, db in zip(bs, dbs)]
        history.append(full_cost(Ws, bs))
    return TrainResult(Ws, bs, np.array(history))
