"""Input validation shared by the public functions of :mod:`course_pkg`.

Every public function validates at its boundary and raises a :class:`TypeError` (wrong kind of
thing: a string, a ragged list, a complex number, a layer list that is not a list) or a
:class:`ValueError` (right kind, wrong value: a shape that does not fit, a NaN, an unknown name).
Each message names the argument, says what came and what was expected, so that a learner can act
on it without reading a traceback.

The helpers return new float64 arrays only when they must convert; they never write into what
they were given.
"""

import numbers

import numpy as np

__all__ = [
    "as_float_array",
    "check_finite",
    "check_choice",
    "check_layers",
    "check_X",
    "check_Y",
    "check_same_shape",
    "check_in_range",
    "check_positive_int",
    "check_seed",
]


def _describe(value):
    """A short description of ``value`` for an error message."""
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _raw_ndim(value):
    """The number of dimensions of value, or None if it is not array-like (as_float_array says why)."""
    if isinstance(value, (str, bytes)):
        return None
    try:
        return np.ndim(value)
    except ValueError:  # ragged
        return None


def as_float_array(value, name, *, ndim=None, allow_nonfinite=False):
    """Convert ``value`` to a float64 ndarray, or raise an error naming ``name``.

    Parameters
    ----------
    value : array_like
        Numbers: a Python or NumPy scalar, a (nested) list of numbers, or an ndarray of a real
        numeric dtype (bool, integer or float).
    name : str
        The argument's name, used in error messages.
    ndim : int or tuple of int, optional
        Allowed numbers of dimensions.
    allow_nonfinite : bool, default False
        When False, NaN and infinity are rejected.

    Returns
    -------
    ndarray of float64
        ``value`` itself when it already is a float64 ndarray (never copied, never written to),
        otherwise a new array.

    Raises
    ------
    TypeError
        For strings, None, objects, complex numbers and ragged nested lists.
    ValueError
        For a wrong number of dimensions, NaN or infinity.

    Examples
    --------
    >>> as_float_array([[1, 2], [3, 4]], "X").dtype
    dtype('float64')
    >>> as_float_array([1.0, float("nan")], "z")
    Traceback (most recent call last):
    ...
    ValueError: z contains NaN at index (1,); expected finite numbers
    """
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        array = value
    else:
        if isinstance(value, (str, bytes)) or value is None:
            raise TypeError(f"{name} must be numbers (an array, a list or a scalar); got {_describe(value)}")
        try:
            raw = np.asarray(value)
        except ValueError as exc:  # ragged nested sequences
            raise TypeError(
                f"{name} is ragged (its rows have different lengths) or not numeric: {exc}; "
                "expected a rectangular array of numbers"
            ) from None
        if raw.dtype.kind not in "biuf":
            kind = "complex" if raw.dtype.kind == "c" else f"dtype {raw.dtype}"
            hint = " (its rows may have different lengths)" if raw.dtype == object else ""
            raise TypeError(f"{name} must contain real numbers; got {kind}{hint}")
        array = raw.astype(np.float64)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if array.ndim not in allowed:
            expected = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} has shape {array.shape} ({array.ndim}-D); expected {expected}")
    if not allow_nonfinite:
        check_finite(array, name)
    return array


def check_finite(array, name):
    """Raise a ValueError naming ``name`` and the first bad index if ``array`` has NaN or inf.

    A plain sum is the fast path: it is finite exactly when no entry is NaN or inf, unless the
    finite entries overflow, in which case the slower element-wise test decides.

    Examples
    --------
    >>> import numpy as np
    >>> check_finite(np.array([[0.0, np.inf]]), "W")
    Traceback (most recent call last):
    ...
    ValueError: W contains inf at index (0, 1); expected finite numbers
    """
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum(array)
    if np.isfinite(total):
        return
    bad = ~np.isfinite(array)
    if not bad.any():
        return
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    what = "NaN" if np.isnan(array[index]) else "inf"
    raise ValueError(f"{name} contains {what} at index {index}; expected finite numbers")


def check_choice(value, name, allowed):
    """Return ``value`` if it is one of the strings ``allowed``, else raise naming ``name``.

    Examples
    --------
    >>> check_choice("tanh", "hidden", ("relu", "sigmoid", "tanh"))
    'tanh'
    >>> check_choice("sigmod", "hidden", ("relu", "sigmoid", "tanh"))
    Traceback (most recent call last):
    ...
    ValueError: hidden='sigmod' is not one of 'relu', 'sigmoid', 'tanh'
    """
    listed = ", ".join(repr(a) for a in allowed)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {listed}; got {_describe(value)}")
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not one of {listed}")
    return value


def check_layers(weights, biases):
    """Validate a network's parameters and return them as two lists of float64 arrays.

    Parameters
    ----------
    weights : sequence of array_like, weights[l] of shape (n_{l+1}, n_l)
    biases : sequence of array_like, biases[l] of shape (n_{l+1},)

    Returns
    -------
    (list of ndarray, list of ndarray)
        The same arrays when they already are float64 (never copied), otherwise converted copies.

    Examples
    --------
    >>> import numpy as np
    >>> W, b = check_layers([np.ones((4, 2)), np.ones((1, 3))], [np.zeros(4), np.zeros(1)])
    Traceback (most recent call last):
    ...
    ValueError: weights[1] has shape (1, 3) but weights[0] has 4 outputs (shape (4, 2)); layer 2 expects 4 inputs, so weights[1] needs 4 columns
    """
    for name, value in (("weights", weights), ("biases", biases)):
        if isinstance(value, np.ndarray) or not isinstance(value, (list, tuple)):
            raise TypeError(
                f"{name} must be a list with one array per layer; got {_describe(value)}"
            )
    if len(weights) == 0:
        raise ValueError("weights is empty; expected one (n_out, n_in) array per layer")
    if len(weights) != len(biases):
        raise ValueError(
            f"weights has {len(weights)} layers but biases has {len(biases)}; expected one bias "
            "vector per weight matrix"
        )
    Ws, bs = [], []
    for l, (W, b) in enumerate(zip(weights, biases)):
        W = as_float_array(W, f"weights[{l}]", ndim=2)
        b = as_float_array(b, f"biases[{l}]")
        if b.shape != (W.shape[0],):
            raise ValueError(
                f"biases[{l}] has shape {b.shape} but weights[{l}] has shape {W.shape}; "
                f"expected shape ({W.shape[0]},), one bias per neuron (row of weights[{l}])"
            )
        if l > 0 and W.shape[1] != Ws[-1].shape[0]:
            prev = Ws[-1]
            raise ValueError(
                f"weights[{l}] has shape {W.shape} but weights[{l - 1}] has {prev.shape[0]} outputs "
                f"(shape {prev.shape}); layer {l + 1} expects {prev.shape[0]} inputs, so "
                f"weights[{l}] needs {prev.shape[0]} columns"
            )
        Ws.append(W)
        bs.append(b)
    return Ws, bs


def check_X(X, weights):
    """Validate the batch ``X`` of shape (m, n_in) against ``weights[0]`` (already validated).

    Examples
    --------
    >>> import numpy as np
    >>> check_X(np.ones((5, 3)), [np.ones((4, 2))])
    Traceback (most recent call last):
    ...
    ValueError: X has 3 columns but weights[0] expects 2 inputs (shape (4, 2)); one column per input feature
    """
    if _raw_ndim(X) == 1:
        raise ValueError(
            f"X has shape {np.shape(X)} (1-D); expected 2-D (m, n_in) with one example per row; "
            "for a single example use X.reshape(1, -1)"
        )
    X = as_float_array(X, "X", ndim=2)
    n_in = weights[0].shape[1]
    if X.shape[1] != n_in:
        raise ValueError(
            f"X has {X.shape[1]} columns but weights[0] expects {n_in} inputs "
            f"(shape {weights[0].shape}); one column per input feature"
        )
    if X.shape[0] == 0:
        raise ValueError("X has 0 rows; expected at least one example")
    return X


def check_Y(Y, X, weights):
    """Validate the targets ``Y`` of shape (m, n_L) against ``X`` and the last layer.

    Examples
    --------
    >>> import numpy as np
    >>> check_Y(np.ones((5, 1)), np.ones((4, 2)), [np.ones((1, 2))])
    Traceback (most recent call last):
    ...
    ValueError: Y has 5 rows but X has 4; one row per example
    """
    n_out = weights[-1].shape[0]
    if _raw_ndim(Y) == 1:
        raise ValueError(
            f"Y has shape {np.shape(Y)} (1-D); expected 2-D (m, n_L) = (m, {n_out}) with one row "
            "per example; for one output per example use Y.reshape(-1, 1)"
        )
    Y = as_float_array(Y, "Y", ndim=2)
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y has {Y.shape[0]} rows but X has {X.shape[0]}; one row per example")
    if Y.shape[1] != n_out:
        raise ValueError(
            f"Y has {Y.shape[1]} columns but the last layer weights[{len(weights) - 1}] has "
            f"{n_out} outputs (shape {weights[-1].shape}); one column per output neuron"
        )
    return Y


def check_same_shape(a, y, name_a="a", name_y="y"):
    """Raise a ValueError unless the prediction and the target have the same shape.

    Examples
    --------
    >>> import numpy as np
    >>> check_same_shape(np.ones((3, 2)), np.ones((3,)))
    Traceback (most recent call last):
    ...
    ValueError: a has shape (3, 2) but y has shape (3,); expected the same shape, one target per prediction
    """
    if a.shape != y.shape:
        raise ValueError(
            f"{name_a} has shape {a.shape} but {name_y} has shape {y.shape}; expected the same "
            "shape, one target per prediction"
        )


def check_in_range(array, name, low, high, why):
    """Raise a ValueError if an entry of ``array`` lies outside [low, high] (None: unbounded).

    Examples
    --------
    >>> import numpy as np
    >>> check_in_range(np.array([0.5, 1.5]), "y", 0.0, 1.0, "labels are probabilities")
    Traceback (most recent call last):
    ...
    ValueError: y[1] = 1.5 is outside [0.0, 1.0]; labels are probabilities
    """
    bad = np.zeros(array.shape, dtype=bool)
    if low is not None:
        bad |= array < low
    if high is not None:
        bad |= array > high
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f"{name}[{', '.join(map(str, index))}]" if index else name
        interval = f"[{low}, {high}]" if high is not None else f"[{low}, inf)"
        raise ValueError(f"{where} = {float(array[index])!r} is outside {interval}; {why}")


def check_positive_int(value, name, minimum=1):
    """Return ``value`` as an int if it is an integer >= ``minimum``, else raise naming ``name``.

    Examples
    --------
    >>> check_positive_int(0, "n")
    Traceback (most recent call last):
    ...
    ValueError: n must be an integer >= 1; got 0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {_describe(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}")
    return int(value)


def check_seed(seed, name="seed"):
    """Return ``seed`` if it is a non-negative integer (what ``np.random.default_rng`` takes).

    Examples
    --------
    >>> check_seed(3)
    3
    """
    return check_positive_int(seed, name, minimum=0)
