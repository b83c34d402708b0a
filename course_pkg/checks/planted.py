r"""Notebook 05's gradient functions with one planted bug each, for the gradient-check exercise.

The learner writes ``worst_entry(grad_fn, weights, biases, X, Y, ...)``, a gradient check that
names the entry of ``grad_fn``'s gradient that disagrees most with finite differences. The checker
calls it with the functions below (passed as ``Named("layers.…")`` from
:data:`course_pkg.checks.learner.NAMED`, so they cross into a sandbox by name). Each has the
signature of :func:`course_pkg.network.gradients`, returns gradients of the right shapes, and
differs from it in **one parameter** only, so a correct gradient check has exactly one parameter
to name.

This module imports only numpy and :mod:`course_pkg.network`: the sandbox imports it at start.

Examples
--------
>>> import numpy as np
>>> from course_pkg import network
>>> weights, biases = network.init_network([2, 3, 3, 1], seed=0)
>>> X, Y = np.array([[0.5, -1.0], [1.0, 2.0]]), np.array([[1.0], [0.0]])
>>> _, dW, db = network.gradients(weights, biases, X, Y)
>>> _, dW_bug, db_bug = PLANTED["layers.db1_summed"](weights, biases, X, Y)
>>> bool(np.allclose(db_bug[0], 2 * db[0])), bool(np.allclose(db_bug[1], db[1]))
(True, True)
"""

import numpy as np

from course_pkg import network as _network

__all__ = ["PLANTED", "PLANTED_TEXT", "buggy_parameter"]


def _gradients(weights, biases, X, Y, hidden="relu", output="sigmoid", loss="half_squared_error"):
    return _network.gradients(weights, biases, X, Y, hidden=hidden, output=output, loss=loss)


def correct(weights, biases, X, Y, hidden="relu", output="sigmoid", loss="half_squared_error"):
    """The course's gradients, unchanged (a gradient check should find nothing)."""
    return _gradients(weights, biases, X, Y, hidden, output, loss)


def db1_summed(weights, biases, X, Y, hidden="relu", output="sigmoid", loss="half_squared_error"):
    """db^[1] summed over the batch instead of averaged (m times too large)."""
    cost, dW, db = _gradients(weights, biases, X, Y, hidden, output, loss)
    db[0] = db[0] * np.shape(X)[0]
    return cost, dW, db


def dW_square_transposed(weights, biases, X, Y, hidden="relu", output="sigmoid", loss="half_squared_error"):
    """The first square weight matrix's gradient transposed (A_prevᵀ E instead of Eᵀ A_prev)."""
    cost, dW, db = _gradients(weights, biases, X, Y, hidden, output, loss)
    for l, d in enumerate(dW):
        if d.shape[0] == d.shape[1]:
            dW[l] = d.T.copy()
            break
    return cost, dW, db


def dWL_sign(weights, biases, X, Y, hidden="relu", output="sigmoid", loss="half_squared_error"):
    """The output layer's dW with the wrong sign (y − a for a − y, in that layer only)."""
    cost, dW, db = _gradients(weights, biases, X, Y, hidden, output, loss)
    dW[-1] = -dW[-1]
    return cost, dW, db


def dW1_entry(weights, biases, X, Y, hidden="relu", output="sigmoid", loss="half_squared_error"):
    """One entry of dW^[1] off (the last row's first column): a slip in one index of a hand loop."""
    cost, dW, db = _gradients(weights, biases, X, Y, hidden, output, loss)
    dW[0][-1, 0] += 0.5 * float(np.max(np.abs(dW[0]))) + 1e-3
    return cost, dW, db


#: Name -> gradient function (the entries notebook 05 adds to ``learner.NAMED``).
PLANTED = {
    "layers.correct": correct,
    "layers.db1_summed": db1_summed,
    "layers.dW_square_transposed": dW_square_transposed,
    "layers.dWL_sign": dWL_sign,
    "layers.dW1_entry": dW1_entry,
}
#: How a message shows each (never what is wrong with it: that is for the learner's check to find).
PLANTED_TEXT = {
    "layers.correct": "a correct gradient function",
    "layers.db1_summed": "a gradient function with a planted bug (A)",
    "layers.dW_square_transposed": "a gradient function with a planted bug (B)",
    "layers.dWL_sign": "a gradient function with a planted bug (C)",
    "layers.dW1_entry": "a gradient function with a planted bug (D)",
}


def buggy_parameter(name, n_layers, sizes):
    """The parameter a planted function gets wrong, as a code name (None for the correct one).

    Parameters
    ----------
    name : str
        A key of :data:`PLANTED`.
    n_layers : int
        L, the number of weight matrices.
    sizes : sequence of int
        The layer sizes, for the square matrix of ``dW_square_transposed``.

    Examples
    --------
    >>> buggy_parameter("layers.dWL_sign", 3, [2, 3, 3, 1])
    'weights[2]'
    >>> buggy_parameter("layers.dW_square_transposed", 3, [2, 3, 3, 1])
    'weights[1]'
    """
    if name == "layers.correct":
        return None
    if name == "layers.db1_summed":
        return "biases[0]"
    if name == "layers.dWL_sign":
        return f"weights[{n_layers - 1}]"
    if name == "layers.dW1_entry":
        return "weights[0]"
    if name == "layers.dW_square_transposed":
        square = [l for l in range(n_layers) if sizes[l] == sizes[l + 1]]
        return f"weights[{square[0]}]" if square else None
    raise ValueError(f"name must be one of {', '.join(map(repr, PLANTED))}; got {name!r}")
