r"""Notebook 05's gradient functions with one planted bug each, for the gradient-check exercise.

The learner writes ``worst_entry(grad_fn, weights, biases, X, Y, ...)``, a gradient check that
names the entry of ``grad_fn``'s gradient that disagrees most with finite differences. The checker
calls it with the functions below (passed as ``Named("layers.…")`` from
:data:`course_pkg.checks.learner.NAMED`, so they cross into a sandbox by name). Each has the
signature of :func:`course_pkg.network.gradients`, returns gradients of the right shapes, and
differs from it in **one parameter** only, so a correct gradient check has exactly one parameter
to name. Which parameter is known only to the trusted side
(:func:`course_pkg.checks.layers.buggy_parameter`, switched off in the sandbox).

This module imports only numpy (the sandbox imports it at start, and notebook 05's sandbox has
:mod:`course_pkg.network` switched off); :func:`correct` agrees with
:func:`course_pkg.network.gradients` to rounding (``tests/checks/test_layers.py``).

Examples
--------
>>> import numpy as np
>>> from course_pkg import network
>>> weights, biases = network.init_network([2, 3, 3, 1], seed=0)
>>> X, Y = np.array([[0.5, -1.0], [1.0, 2.0]]), np.array([[1.0], [0.0]])
>>> _, dW, db = network.gradients(weights, biases, X, Y)
>>> _, dW_bug, db_bug = PLANTED["layers.grad_q"](weights, biases, X, Y)
>>> bool(np.allclose(db_bug[0], 2 * db[0])), bool(np.allclose(db_bug[1], db[1]))
(True, True)
"""

import numpy as np

__all__ = ["PLANTED", "PLANTED_TEXT"]

# numpy only, no course_pkg.network: the sandbox of notebook 05 has the course's network and
# gradcheck switched off (the exercises forbid them), and these functions run there.
_G = {
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0) * 1.0),
    "sigmoid": (lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)), lambda z: 0.25 * (1.0 - np.tanh(0.5 * z) ** 2)),
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "identity": (lambda z: z, lambda z: np.ones_like(z)),
}
_LOSS = {
    "squared_error": (lambda a, y: (a - y) ** 2, lambda a, y: 2.0 * (a - y)),
    "half_squared_error": (lambda a, y: 0.5 * (y - a) ** 2, lambda a, y: a - y),
}


def _gradients(weights, biases, X, Y, hidden="relu", output="sigmoid", loss="half_squared_error"):
    r"""Cost and gradients by backprop, one example per row (what course_pkg.network.gradients gives).

    Hidden: 'relu', 'sigmoid', 'tanh'; output: those or 'identity'; loss: 'squared_error' or
    'half_squared_error'.
    """
    if hidden not in _G or output not in _G or loss not in _LOSS:
        raise ValueError(f"planted gradient functions take hidden/output in {sorted(_G)} and loss in "
                         f"{sorted(_LOSS)}; got {hidden!r}, {output!r}, {loss!r}")
    Ws = [np.array(W, dtype=float) for W in weights]
    bs = [np.array(b, dtype=float) for b in biases]
    A = np.array(X, dtype=float)
    Y = np.array(Y, dtype=float)
    L = len(Ws)
    acts = [hidden] * (L - 1) + [output]
    As, Zs = [A], []
    for l in range(L):
        Z = As[-1] @ Ws[l].T + bs[l]  # (m, n_l)
        Zs.append(Z)
        As.append(_G[acts[l]][0](Z))
    m = A.shape[0]
    cost = float(np.mean(np.sum(_LOSS[loss][0](As[-1], Y), axis=1)))
    E = _LOSS[loss][1](As[-1], Y) * _G[output][1](Zs[-1])  # BP1 (m, n_L)
    dW, db = [None] * L, [None] * L
    for l in range(L - 1, -1, -1):
        dW[l] = E.T @ As[l] / m  # BP4 (n_l, n_{l-1})
        db[l] = E.mean(axis=0)  # BP3 (n_l,)
        if l > 0:
            E = (E @ Ws[l]) * _G[hidden][1](Zs[l - 1])  # BP2
    return cost, dW, db


def correct(weights, biases, X, Y, hidden="relu", output="sigmoid", loss="half_squared_error"):
    """The right gradients (a gradient check should find nothing)."""
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


#: Name -> gradient function (the entries notebook 05 adds to ``learner.NAMED``). The names say
#: nothing about the bug, and each function's ``__name__`` and ``__doc__`` are made neutral below:
#: the learner's check receives the function itself, and should find the bug by measuring.
PLANTED = {
    "layers.grad_p": correct,
    "layers.grad_q": db1_summed,
    "layers.grad_r": dW_square_transposed,
    "layers.grad_s": dWL_sign,
    "layers.grad_t": dW1_entry,
}
#: How a message shows each.
PLANTED_TEXT = {name: f"gradient function {name[-1].upper()}" for name in PLANTED}

for _func in PLANTED.values():
    _func.__name__ = _func.__qualname__ = "gradients"
    _func.__doc__ = "A gradient function with the signature of course_pkg.network.gradients."
del _func
