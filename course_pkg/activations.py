r"""Activation functions and their derivatives, each pair side by side.

Every function takes a scalar or an array of any shape and returns the same shape, computed in
float64. A scalar in (a Python number, a NumPy scalar or a 0-d array) gives a Python ``float``
out; an array in gives a new float64 ndarray of the same shape. :func:`softmax` works along the last axis (one example per row).

All of them are stable for inputs up to :math:`|z| = 10^4` and beyond: finite results, no
overflow warning. Inputs must be finite; NaN and infinity raise a ValueError naming ``z``.

The private ``_name`` versions skip validation; :mod:`course_pkg.network` calls them on arrays it
has already checked.
"""

import numpy as np

from course_pkg._validation import as_float_array

__all__ = [
    "sigmoid",
    "sigmoid_prime",
    "relu",
    "relu_prime",
    "tanh",
    "tanh_prime",
    "softmax",
]


def _scalar_or_array(result):
    """A 0-d result becomes a Python float; arrays pass through."""
    return float(result) if result.ndim == 0 else result


# ---------------------------------------------------------------------------------------------
# sigmoid


def _sigmoid(z):
    # With e = exp(-|z|) in (0, 1] nothing can overflow:
    #   z >= 0: 1 / (1 + exp(-z)) = 1 / (1 + e)
    #   z <  0: exp(z) / (1 + exp(z)) = e / (1 + e)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def sigmoid(z):
    r"""The logistic sigmoid, computed without overflow.

    .. math:: \sigma(z) = \frac{1}{1 + e^{-z}}

    For :math:`z < 0` the equivalent form :math:`e^{z} / (1 + e^{z})` is used, so :math:`e^{-z}`
    is never formed for large negative :math:`z` (a naive ``1 / (1 + np.exp(-z))`` overflows at
    :math:`z = -710` and warns).

    Parameters
    ----------
    z : float or array_like of any shape
        Weighted inputs; finite.

    Returns
    -------
    float or ndarray of the shape of z
        Values in [0, 1]; ``sigmoid(0) == 0.5``.

    Examples
    --------
    >>> sigmoid(0.0)
    0.5
    >>> sigmoid([-10000.0, 0.0, 10000.0])
    array([0. , 0.5, 1. ])
    """
    return _scalar_or_array(_sigmoid(as_float_array(z, "z")))


def _sigmoid_prime(z):
    # sigma'(z) = sigma(z) sigma(-z) = e / (1 + e)^2 with e = exp(-|z|): symmetric, and accurate
    # in the tails where 1 - sigma(z) would round to 0.
    e = np.exp(-np.abs(z))
    return e / (1.0 + e) ** 2


def sigmoid_prime(z):
    r"""Derivative of the sigmoid.

    .. math:: \sigma'(z) = \sigma(z)\,\bigl(1 - \sigma(z)\bigr) = \frac{e^{-|z|}}{(1 + e^{-|z|})^2}

    The right-hand form is used: it is the same function (the derivative is even in :math:`z`),
    and it stays accurate in the tails, where :math:`1 - \sigma(z)` would round to 0.

    Parameters
    ----------
    z : float or array_like of any shape

    Returns
    -------
    float or ndarray of the shape of z
        Values in (0, 0.25]; the maximum 0.25 is at z = 0.

    Examples
    --------
    >>> sigmoid_prime(0.0)
    0.25
    >>> sigmoid_prime([[-1.0, 1.0]])
    array([[0.19661193, 0.19661193]])
    """
    return _scalar_or_array(_sigmoid_prime(as_float_array(z, "z")))


# ---------------------------------------------------------------------------------------------
# ReLU


def _relu(z):
    return np.maximum(z, 0.0)


def relu(z):
    r"""The rectified linear unit.

    .. math:: g(z) = \max(0, z)

    Parameters
    ----------
    z : float or array_like of any shape

    Returns
    -------
    float or ndarray of the shape of z

    Examples
    --------
    >>> relu([-2.0, 0.0, 3.0])
    array([0., 0., 3.])
    """
    return _scalar_or_array(_relu(as_float_array(z, "z")))


def _relu_prime(z):
    return (z > 0).astype(np.float64)


def relu_prime(z):
    r"""Derivative of ReLU, with the convention :math:`g'(0) = 0`.

    .. math:: g'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}

    ReLU has a kink at 0: the slope is 0 on the left and 1 on the right, and no derivative exists
    at 0 itself. Any value in [0, 1] is a valid subgradient there; this course, like most
    libraries, uses 0. A finite-difference check that straddles the kink sees the average 0.5
    instead (see :mod:`course_pkg.gradcheck`).

    Parameters
    ----------
    z : float or array_like of any shape

    Returns
    -------
    float or ndarray of the shape of z
        1.0 where z > 0, else 0.0.

    Examples
    --------
    >>> relu_prime([-2.0, 0.0, 3.0])
    array([0., 0., 1.])
    """
    return _scalar_or_array(_relu_prime(as_float_array(z, "z")))


# ---------------------------------------------------------------------------------------------
# tanh


def _tanh(z):
    return np.tanh(z)


def tanh(z):
    r"""The hyperbolic tangent.

    .. math:: \tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}} = 2\sigma(2z) - 1

    Parameters
    ----------
    z : float or array_like of any shape

    Returns
    -------
    float or ndarray of the shape of z
        Values in [-1, 1].

    Examples
    --------
    >>> tanh(0.0)
    0.0
    >>> tanh([-10000.0, 10000.0])
    array([-1.,  1.])
    """
    return _scalar_or_array(_tanh(as_float_array(z, "z")))


def _tanh_prime(z):
    # 1 - tanh(z)^2 = sech(z)^2 = 4 e / (1 + e)^2 with e = exp(-2|z|): accurate in the tails.
    e = np.exp(-2.0 * np.abs(z))
    return 4.0 * e / (1.0 + e) ** 2


def tanh_prime(z):
    r"""Derivative of tanh.

    .. math:: \tanh'(z) = 1 - \tanh^2(z) = \frac{4 e^{-2|z|}}{(1 + e^{-2|z|})^2}

    The right-hand form is used because it stays accurate in the tails, where
    :math:`1 - \tanh^2(z)` rounds to 0.

    Parameters
    ----------
    z : float or array_like of any shape

    Returns
    -------
    float or ndarray of the shape of z
        Values in (0, 1]; the maximum 1 is at z = 0.

    Examples
    --------
    >>> tanh_prime(0.0)
    1.0
    >>> tanh_prime([1.0])
    array([0.41997434])
    """
    return _scalar_or_array(_tanh_prime(as_float_array(z, "z")))


# ---------------------------------------------------------------------------------------------
# softmax


def _softmax(z):
    # softmax is unchanged by subtracting a constant from every entry of a row; subtracting the
    # row maximum makes every exponent <= 0, so exp cannot overflow and the largest term is 1.
    shifted = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    e /= np.sum(e, axis=-1, keepdims=True)
    return e


def softmax(z):
    r"""Softmax over the last axis: each row of ``z`` becomes a probability vector.

    .. math:: \operatorname{softmax}(z)_j = \frac{e^{z_j}}{\sum_k e^{z_k}}
              = \frac{e^{z_j - \max_k z_k}}{\sum_k e^{z_k - \max_k z_k}}

    The shifted form on the right is what is computed (no overflow). Its derivative is a matrix,
    :math:`\partial a_j / \partial z_k = a_j(\delta_{jk} - a_k)`; :mod:`course_pkg.network` uses
    it through the product with a vector, and with cross-entropy it collapses to :math:`a - y`.

    Parameters
    ----------
    z : float or array_like of shape (..., n)
        Logits; for a batch, shape (m, n) with one example per row. A scalar is a vector of one
        logit and gives 1.0.

    Returns
    -------
    float or ndarray of the shape of z
        Non-negative entries; every slice along the last axis sums to 1.

    Examples
    --------
    >>> softmax([[0.0, 0.0], [10000.0, 0.0]])
    array([[0.5, 0.5],
           [1. , 0. ]])
    """
    z = as_float_array(z, "z")
    if z.ndim == 0:
        return float(_softmax(z.reshape(1))[0])
    if z.shape[-1] == 0:
        raise ValueError(f"z has shape {z.shape}; softmax needs at least one entry along the last axis")
    return _softmax(z)


# name -> (function, derivative), both unvalidated; used by course_pkg.network.
_ACTIVATIONS = {
    "sigmoid": (_sigmoid, _sigmoid_prime),
    "relu": (_relu, _relu_prime),
    "tanh": (_tanh, _tanh_prime),
    "identity": (lambda z: z, lambda z: np.ones_like(z)),
}
