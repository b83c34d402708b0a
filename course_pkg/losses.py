r"""Loss functions, each beside its derivative with respect to the prediction :math:`a`.

Conventions (the same for every loss here):

* Arguments are ``(a, y)``: the prediction :math:`a = a^{[L]} = \hat y` first, the target second,
  of the same shape.
* **Per example, a loss sums over the output neurons**, which lie along the last axis. A batch
  ``(m, n_L)`` (one example per row) gives shape ``(m,)``; one example ``(n_L,)`` gives a float; a
  scalar is one example with one output neuron and gives a float.
* **The cost of a batch is the mean over examples**, :math:`C = \frac{1}{m}\sum_x c_x`:
  :func:`cost` computes it from a loss name.
* A derivative ``*_prime(a, y)`` is :math:`\partial c / \partial a`, element by element, with the
  shape of ``a`` (a scalar gives a float). It is the derivative of the per-example loss, not of
  the mean; divide by :math:`m` for the derivative of the cost.
* The cross-entropies are also offered from logits (``*_from_logits(z, y)``), which is how the
  network computes them: stable for any :math:`z`, where :math:`\log \sigma(z)` computed from a
  rounded :math:`\sigma(z) = 0` would be :math:`-\infty`.

All inputs must be finite; out-of-range probabilities raise a ValueError naming the argument.
"""

import numpy as np

from course_pkg._validation import (
    as_float_array,
    check_choice,
    check_in_range,
    check_same_shape,
)

__all__ = [
    "squared_error",
    "squared_error_prime",
    "half_squared_error",
    "half_squared_error_prime",
    "binary_cross_entropy",
    "binary_cross_entropy_prime",
    "cross_entropy",
    "cross_entropy_prime",
    "binary_cross_entropy_from_logits",
    "cross_entropy_from_logits",
    "cost",
    "LOSSES",
]

#: The loss names accepted by :func:`cost` and :func:`course_pkg.network.gradients`.
LOSSES = ("squared_error", "half_squared_error", "binary_cross_entropy", "cross_entropy")

_PROBABILITY = "predictions of this loss are probabilities"
_LABEL = "targets of this loss are probabilities (0 or 1 for hard labels)"


def _pair(a, y, name_a="a"):
    a = as_float_array(a, name_a)
    y = as_float_array(y, "y")
    check_same_shape(a, y, name_a, "y")
    return a, y


def _per_example(elementwise):
    """Sum an element-wise loss over the last axis (output neurons); scalars become floats."""
    if elementwise.ndim == 0:
        return float(elementwise)
    summed = np.sum(elementwise, axis=-1)
    return float(summed) if summed.ndim == 0 else summed


def _elementwise(result):
    return float(result) if result.ndim == 0 else result


# ---------------------------------------------------------------------------------------------
# element-wise kernels without validation (used by course_pkg.network on checked arrays)


def _weighted(weight, log_value, keep):
    """weight * log_value where keep, else 0 (never evaluating 0 * -inf)."""
    return np.multiply(weight, log_value, out=np.zeros(np.shape(log_value)), where=keep)


def _squared_error(a, y):
    d = a - y
    return d * d


def _squared_error_prime(a, y):
    return 2.0 * (a - y)


def _half_squared_error(a, y):
    d = a - y
    return 0.5 * (d * d)


def _half_squared_error_prime(a, y):
    return a - y


def _binary_cross_entropy(a, y):
    # -[y log a + (1 - y) log(1 - a)], with 0 log 0 = 0: a term is dropped where its weight is 0,
    # so a = 0 with y = 0 costs nothing instead of 0 * (-inf) = NaN. log1p(-a) keeps log(1 - a)
    # accurate for small a. A confident wrong prediction (a = 0, y = 1) costs +inf.
    with np.errstate(divide="ignore"):
        log_a = np.log(a)
        log_1ma = np.log1p(-a)
    return -(_weighted(y, log_a, y > 0) + _weighted(1.0 - y, log_1ma, y < 1))


def _binary_cross_entropy_prime(a, y):
    # d/da of -[y log a + (1 - y) log(1 - a)] = -y / a + (1 - y) / (1 - a), each term dropped
    # where its weight is 0 (so a = 0, y = 0 gives 1, the true one-sided slope).
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        left = np.where(y > 0, -y / a, 0.0)
        right = np.where(y < 1, (1.0 - y) / (1.0 - a), 0.0)
    return left + right


def _cross_entropy(a, y):
    with np.errstate(divide="ignore"):
        log_a = np.log(a)
    return -_weighted(y, log_a, y > 0)


def _cross_entropy_prime(a, y):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(y > 0, -y / a, 0.0)


def _softplus(z):
    # log(1 + e^z) = max(z, 0) + log1p(e^{-|z|}): never overflows.
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _binary_cross_entropy_from_logits(z, y):
    # With a = sigma(z): -log a = softplus(-z) and -log(1 - a) = softplus(z), so
    # c = y softplus(-z) + (1 - y) softplus(z) = softplus(z) - y z.
    return _softplus(z) - y * z


def _cross_entropy_from_logits(z, y):
    # With a = softmax(z): -log a_j = logsumexp(z) - z_j, so per example
    # c = sum_j y_j (logsumexp(z) - z_j) = logsumexp(z) sum_j y_j - sum_j y_j z_j.
    zmax = np.max(z, axis=-1, keepdims=True)
    lse = zmax[..., 0] + np.log(np.sum(np.exp(z - zmax), axis=-1))
    return lse * np.sum(y, axis=-1) - np.sum(y * z, axis=-1)


# ---------------------------------------------------------------------------------------------
# squared error (seed 000's convention)


def squared_error(a, y):
    r"""Squared error per example, summed over output neurons: :math:`c = \sum_j (a_j - y_j)^2`.

    This is the convention :math:`(\hat y - y)^2` of the course's scalar network (notebook 03).

    Parameters
    ----------
    a : float or array_like of shape (n_L,) or (m, n_L)
        Predictions :math:`a^{[L]} = \hat y`.
    y : float or array_like, same shape as a
        Targets.

    Returns
    -------
    float or ndarray of shape (m,)
        One loss per example.

    Examples
    --------
    >>> squared_error(0.5, 1.0)
    0.25
    >>> squared_error([[0.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]])
    array([1., 0.])
    """
    a, y = _pair(a, y)
    return _per_example(_squared_error(a, y))


def squared_error_prime(a, y):
    r"""Derivative of :func:`squared_error` with respect to the prediction.

    .. math:: \frac{\partial c}{\partial a_j} = 2 (a_j - y_j)

    Parameters
    ----------
    a, y : float or array_like of the same shape

    Returns
    -------
    float or ndarray of the shape of a

    Examples
    --------
    >>> squared_error_prime([0.5, 2.0], [1.0, 1.0])
    array([-1.,  2.])
    """
    a, y = _pair(a, y)
    return _elementwise(_squared_error_prime(a, y))


# ---------------------------------------------------------------------------------------------
# half squared error (seed 001's convention)


def half_squared_error(a, y):
    r"""Half squared error per example: :math:`c = \tfrac12 \sum_j (y_j - a_j)^2`.

    The factor one half cancels the 2 of the derivative, so :math:`\partial c/\partial a = a - y`.

    Parameters
    ----------
    a : float or array_like of shape (n_L,) or (m, n_L)
    y : float or array_like, same shape as a

    Returns
    -------
    float or ndarray of shape (m,)

    Examples
    --------
    >>> half_squared_error(0.0, 1.0)
    0.5
    >>> half_squared_error([[0.0, 1.0], [3.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]])
    array([0.5, 2. ])
    """
    a, y = _pair(a, y)
    return _per_example(_half_squared_error(a, y))


def half_squared_error_prime(a, y):
    r"""Derivative of :func:`half_squared_error`: :math:`\partial c/\partial a_j = a_j - y_j`.

    Parameters
    ----------
    a, y : float or array_like of the same shape

    Returns
    -------
    float or ndarray of the shape of a

    Examples
    --------
    >>> half_squared_error_prime([0.5, 2.0], [1.0, 1.0])
    array([-0.5,  1. ])
    """
    a, y = _pair(a, y)
    return _elementwise(_half_squared_error_prime(a, y))


# ---------------------------------------------------------------------------------------------
# binary cross-entropy


def binary_cross_entropy(a, y):
    r"""Binary cross-entropy per example, summed over output neurons.

    .. math:: c = -\sum_j \bigl[ y_j \log a_j + (1 - y_j) \log(1 - a_j) \bigr]

    with :math:`0 \log 0 = 0`. Each output neuron is an independent yes/no probability. A
    prediction of exactly 0 or 1 that is wrong costs ``inf``; when the prediction comes from a
    sigmoid, :func:`binary_cross_entropy_from_logits` avoids that rounding.

    Parameters
    ----------
    a : float or array_like of shape (n_L,) or (m, n_L)
        Predicted probabilities in [0, 1].
    y : float or array_like, same shape as a
        Target probabilities in [0, 1] (usually labels 0 or 1).

    Returns
    -------
    float or ndarray of shape (m,)

    Examples
    --------
    >>> round(binary_cross_entropy(0.5, 1.0), 6)
    0.693147
    >>> binary_cross_entropy([[1.0, 0.0]], [[1.0, 0.0]])
    array([0.])
    """
    a, y = _pair(a, y)
    check_in_range(a, "a", 0.0, 1.0, _PROBABILITY)
    check_in_range(y, "y", 0.0, 1.0, _LABEL)
    return _per_example(_binary_cross_entropy(a, y))


def binary_cross_entropy_prime(a, y):
    r"""Derivative of :func:`binary_cross_entropy` with respect to the prediction.

    .. math:: \frac{\partial c}{\partial a_j} = -\frac{y_j}{a_j} + \frac{1 - y_j}{1 - a_j}
              = \frac{a_j - y_j}{a_j (1 - a_j)}

    A term whose weight (:math:`y_j` or :math:`1 - y_j`) is 0 is dropped, so the result is finite
    at :math:`a \in \{0, 1\}` whenever the loss is. Multiplied by :math:`\sigma'(z) = a(1 - a)` it
    gives the simplified output error :math:`a - y`.

    Parameters
    ----------
    a, y : float or array_like of the same shape, in [0, 1]

    Returns
    -------
    float or ndarray of the shape of a

    Examples
    --------
    >>> binary_cross_entropy_prime([0.5, 0.5], [1.0, 0.0])
    array([-2.,  2.])
    """
    a, y = _pair(a, y)
    check_in_range(a, "a", 0.0, 1.0, _PROBABILITY)
    check_in_range(y, "y", 0.0, 1.0, _LABEL)
    return _elementwise(_binary_cross_entropy_prime(a, y))


def binary_cross_entropy_from_logits(z, y):
    r"""Binary cross-entropy of :math:`a = \sigma(z)`, computed from the logits :math:`z`.

    .. math:: c = \sum_j \bigl[ \log(1 + e^{z_j}) - y_j z_j \bigr]

    which equals :func:`binary_cross_entropy` of ``sigmoid(z)`` but never takes the log of a
    rounded 0 (``log(1 + e^z)`` is computed as ``max(z, 0) + log1p(exp(-|z|))``). Its derivative
    with respect to :math:`z` is :math:`\sigma(z) - y`.

    Parameters
    ----------
    z : float or array_like of shape (n_L,) or (m, n_L)
        Logits (weighted inputs of the sigmoid output layer), any finite values.
    y : float or array_like, same shape as z, in [0, 1]

    Returns
    -------
    float or ndarray of shape (m,)

    Examples
    --------
    >>> binary_cross_entropy_from_logits([[-1000.0], [1000.0]], [[1.0], [1.0]])
    array([1000.,    0.])
    """
    z, y = _pair(z, y, "z")
    check_in_range(y, "y", 0.0, 1.0, _LABEL)
    return _per_example(_binary_cross_entropy_from_logits(z, y))


# ---------------------------------------------------------------------------------------------
# categorical cross-entropy


def cross_entropy(a, y):
    r"""Categorical cross-entropy per example: :math:`c = -\sum_j y_j \log a_j`.

    With :math:`0 \log 0 = 0`. Meant for a probability vector :math:`a` (a softmax output) and a
    one-hot or probability target :math:`y`; a scalar is one output neuron. A zero probability on
    a target class costs ``inf``; :func:`cross_entropy_from_logits` avoids that rounding.

    Parameters
    ----------
    a : float or array_like of shape (n_L,) or (m, n_L)
        Predicted probabilities in [0, 1].
    y : float or array_like, same shape as a
        Non-negative targets, usually one-hot rows.

    Returns
    -------
    float or ndarray of shape (m,)

    Examples
    --------
    >>> round(cross_entropy([0.25, 0.75], [0.0, 1.0]), 6)
    0.287682
    >>> cross_entropy([[0.5, 0.5], [1.0, 0.0]], [[1.0, 0.0], [1.0, 0.0]])
    array([0.69314718, 0.        ])
    """
    a, y = _pair(a, y)
    check_in_range(a, "a", 0.0, 1.0, _PROBABILITY)
    check_in_range(y, "y", 0.0, None, "targets of cross-entropy are non-negative weights")
    return _per_example(_cross_entropy(a, y))


def cross_entropy_prime(a, y):
    r"""Derivative of :func:`cross_entropy`: :math:`\partial c/\partial a_j = -y_j / a_j`.

    Zero where :math:`y_j = 0`. Through softmax's Jacobian it gives the simplified output error
    :math:`a - y` (when each row of :math:`y` sums to 1).

    Parameters
    ----------
    a, y : float or array_like of the same shape

    Returns
    -------
    float or ndarray of the shape of a

    Examples
    --------
    >>> cross_entropy_prime([0.25, 0.5], [0.0, 1.0])
    array([ 0., -2.])
    """
    a, y = _pair(a, y)
    check_in_range(a, "a", 0.0, 1.0, _PROBABILITY)
    check_in_range(y, "y", 0.0, None, "targets of cross-entropy are non-negative weights")
    return _elementwise(_cross_entropy_prime(a, y))


def cross_entropy_from_logits(z, y):
    r"""Categorical cross-entropy of :math:`a = \operatorname{softmax}(z)`, from the logits.

    .. math:: c = \Bigl(\log \sum_k e^{z_k}\Bigr) \sum_j y_j - \sum_j y_j z_j

    (for one-hot rows :math:`\sum_j y_j = 1`), with the log-sum-exp shifted by the row maximum so
    nothing overflows. Its derivative with respect to :math:`z` is
    :math:`\operatorname{softmax}(z) \sum_j y_j - y`, i.e. :math:`a - y` for one-hot targets.

    Parameters
    ----------
    z : array_like of shape (n_L,) or (m, n_L)
        Logits, any finite values; the softmax runs along the last axis.
    y : array_like, same shape as z
        Non-negative targets, usually one-hot rows.

    Returns
    -------
    float or ndarray of shape (m,)

    Examples
    --------
    >>> cross_entropy_from_logits([[10000.0, 0.0], [0.0, 0.0]], [[0.0, 1.0], [1.0, 0.0]])
    array([1.00000000e+04, 6.93147181e-01])
    """
    z, y = _pair(z, y, "z")
    if z.ndim == 0:
        raise ValueError("z is a scalar; softmax needs a vector of logits (shape (n_L,) or (m, n_L))")
    check_in_range(y, "y", 0.0, None, "targets of cross-entropy are non-negative weights")
    out = _cross_entropy_from_logits(z, y)
    return float(out) if out.ndim == 0 else out


# ---------------------------------------------------------------------------------------------
# the cost of a batch

# name -> (per-entry loss, its derivative with respect to a), both unvalidated.
_LOSSES = {
    "squared_error": (_squared_error, _squared_error_prime),
    "half_squared_error": (_half_squared_error, _half_squared_error_prime),
    "binary_cross_entropy": (_binary_cross_entropy, _binary_cross_entropy_prime),
    "cross_entropy": (_cross_entropy, _cross_entropy_prime),
}

_PUBLIC = {
    "squared_error": squared_error,
    "half_squared_error": half_squared_error,
    "binary_cross_entropy": binary_cross_entropy,
    "cross_entropy": cross_entropy,
}


def cost(a, y, loss="half_squared_error"):
    r"""The cost of a batch: the mean over examples of the per-example loss.

    .. math:: C = \frac{1}{m} \sum_{x=1}^{m} c_x

    Parameters
    ----------
    a : array_like of shape (m, n_L)
        Predictions, one example per row.
    y : array_like of shape (m, n_L)
        Targets.
    loss : {'squared_error', 'half_squared_error', 'binary_cross_entropy', 'cross_entropy'}

    Returns
    -------
    float

    Examples
    --------
    >>> cost([[0.0], [2.0]], [[1.0], [1.0]], loss="squared_error")
    1.0
    """
    check_choice(loss, "loss", LOSSES)
    a, y = _pair(a, y)
    if a.ndim != 2:
        raise ValueError(f"a has shape {a.shape} ({a.ndim}-D); expected 2-D (m, n_L), one example per row")
    if a.shape[0] == 0:
        raise ValueError("a has 0 rows; expected at least one example")
    return float(np.mean(_PUBLIC[loss](a, y)))
