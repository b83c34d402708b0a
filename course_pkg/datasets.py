r"""Small two-dimensional classification data sets, generated from a seed (nothing downloaded).

Every generator returns ``(X, y)``: ``X`` of shape (n, 2), one point per row, and integer labels
``y`` of shape (n,). The classes are as balanced as n allows (class k gets ``n // K`` points, one
more for the first ``n % K`` classes), the rows come in a random order, and the same arguments
always give the same arrays (``np.random.default_rng(seed)``). ``noise`` is the standard deviation
of Gaussian noise added to both coordinates.

For a network with one output per class, :func:`one_hot` turns labels into target rows; for a
single sigmoid output use ``y.reshape(-1, 1)``.
"""

import numpy as np

from course_pkg._validation import as_float_array, check_positive_int, check_seed

__all__ = ["xor", "moons", "circles", "spirals", "one_hot", "train_test_split"]


def _check_noise(noise):
    noise = float(as_float_array(noise, "noise", ndim=0))
    if noise < 0:
        raise ValueError(f"noise must be >= 0 (a standard deviation); got {noise!r}")
    return noise


def _counts(n, n_classes):
    return [n // n_classes + (k < n % n_classes) for k in range(n_classes)]


def _finish(rng, points, labels, noise):
    """Stack the classes, add noise, shuffle the rows."""
    X = np.concatenate(points, axis=0)
    y = np.concatenate(labels).astype(np.int64)
    X = X + rng.normal(0.0, noise, size=X.shape) if noise > 0 else X
    order = rng.permutation(len(y))
    return X[order], y[order]


def xor(n=200, noise=0.1, seed=0):
    r"""The XOR problem: points near the corners of the unit square, labelled :math:`x_1 \oplus x_2`.

    Each point starts at a corner :math:`(x_1, x_2) \in \{0, 1\}^2` with label
    :math:`x_1 \text{ XOR } x_2`; label 1 lies on one diagonal, label 0 on the other, so no single
    line separates them: a network needs a hidden layer.

    Parameters
    ----------
    n : int, default 200
        Number of points, >= 1; the four corners get n // 4 points each, give or take one.
    noise : float, default 0.1
        Standard deviation of the Gaussian noise.
    seed : int, default 0

    Returns
    -------
    X : ndarray of shape (n, 2)
    y : ndarray of int64, shape (n,)
        0 or 1.

    Examples
    --------
    >>> X, y = xor(4, noise=0.0)
    >>> sorted(zip(X.tolist(), y.tolist()))
    [([0.0, 0.0], 0), ([0.0, 1.0], 1), ([1.0, 0.0], 1), ([1.0, 1.0], 0)]
    """
    n = check_positive_int(n, "n")
    noise = _check_noise(noise)
    rng = np.random.default_rng(check_seed(seed))
    corners = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
    points, labels = [], []
    for (x1, x2), count in zip(corners, _counts(n, 4)):
        points.append(np.tile([x1, x2], (count, 1)))
        labels.append(np.full(count, int(x1) ^ int(x2)))
    return _finish(rng, points, labels, noise)


def moons(n=200, noise=0.1, seed=0):
    r"""Two interleaving half circles.

    Class 0: :math:`(\cos t, \sin t)`; class 1: :math:`(1 - \cos t, \tfrac12 - \sin t)`, with
    :math:`t` evenly spaced in :math:`[0, \pi]`.

    Parameters
    ----------
    n : int, default 200
        Number of points, >= 1.
    noise : float, default 0.1
    seed : int, default 0

    Returns
    -------
    X : ndarray of shape (n, 2)
    y : ndarray of int64, shape (n,)

    Examples
    --------
    >>> X, y = moons(100, seed=1)
    >>> X.shape, int(y.sum())
    ((100, 2), 50)
    """
    n = check_positive_int(n, "n")
    noise = _check_noise(noise)
    rng = np.random.default_rng(check_seed(seed))
    n0, n1 = _counts(n, 2)
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n1)
    points = [
        np.column_stack([np.cos(t0), np.sin(t0)]),
        np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)]),
    ]
    return _finish(rng, points, [np.zeros(n0), np.ones(n1)], noise)


def circles(n=200, noise=0.05, seed=0, factor=0.5):
    r"""Two concentric circles: class 0 on the unit circle, class 1 on radius ``factor``.

    Parameters
    ----------
    n : int, default 200
    noise : float, default 0.05
    seed : int, default 0
    factor : float, default 0.5
        Radius of the inner circle, in (0, 1).

    Returns
    -------
    X : ndarray of shape (n, 2)
    y : ndarray of int64, shape (n,)

    Examples
    --------
    >>> X, y = circles(8, noise=0.0)
    >>> np.round(np.hypot(X[:, 0], X[:, 1]), 3)[np.argsort(y, kind="stable")]
    array([1. , 1. , 1. , 1. , 0.5, 0.5, 0.5, 0.5])
    """
    n = check_positive_int(n, "n")
    noise = _check_noise(noise)
    factor = float(as_float_array(factor, "factor", ndim=0))
    if not 0 < factor < 1:
        raise ValueError(f"factor must lie in (0, 1) (the inner radius); got {factor!r}")
    rng = np.random.default_rng(check_seed(seed))
    n0, n1 = _counts(n, 2)
    t0 = np.linspace(0.0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0.0, 2 * np.pi, n1, endpoint=False)
    points = [
        np.column_stack([np.cos(t0), np.sin(t0)]),
        factor * np.column_stack([np.cos(t1), np.sin(t1)]),
    ]
    return _finish(rng, points, [np.zeros(n0), np.ones(n1)], noise)


def spirals(n=200, noise=0.1, seed=0, n_classes=2, turns=1.0):
    r"""Interleaved spiral arms, one per class.

    Arm k: radius :math:`r = t` and angle :math:`\theta = 2\pi (\text{turns} \cdot t + k / K)` for
    :math:`t` evenly spaced in (0, 1], so each arm winds ``turns`` times around the origin.

    Parameters
    ----------
    n : int, default 200
    noise : float, default 0.1
        Standard deviation of the noise (the arms lie within the unit disc).
    seed : int, default 0
    n_classes : int, default 2
        Number of arms K, >= 2.
    turns : float, default 1.0
        Turns of each arm, > 0.

    Returns
    -------
    X : ndarray of shape (n, 2)
    y : ndarray of int64, shape (n,)
        Labels 0..K-1.

    Examples
    --------
    >>> X, y = spirals(300, n_classes=3, seed=2)
    >>> X.shape, np.bincount(y).tolist()
    ((300, 2), [100, 100, 100])
    """
    n = check_positive_int(n, "n")
    noise = _check_noise(noise)
    K = check_positive_int(n_classes, "n_classes", minimum=2)
    turns = float(as_float_array(turns, "turns", ndim=0))
    if turns <= 0:
        raise ValueError(f"turns must be > 0; got {turns!r}")
    rng = np.random.default_rng(check_seed(seed))
    points, labels = [], []
    for k, count in enumerate(_counts(n, K)):
        t = np.linspace(0.0, 1.0, count + 1)[1:]  # (count,), in (0, 1]
        theta = 2 * np.pi * (turns * t + k / K)
        points.append(np.column_stack([t * np.cos(theta), t * np.sin(theta)]))
        labels.append(np.full(count, k))
    return _finish(rng, points, labels, noise)


def one_hot(y, n_classes=None):
    r"""One-hot target rows from integer labels: :math:`Y_{x,k} = 1` if :math:`y_x = k`, else 0.

    Parameters
    ----------
    y : array_like of int, shape (m,)
        Labels in 0..n_classes-1.
    n_classes : int, optional
        Number of classes K; by default ``max(y) + 1``.

    Returns
    -------
    ndarray of float64, shape (m, K)

    Examples
    --------
    >>> one_hot([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]])
    """
    if isinstance(y, (str, bytes)) or y is None:
        raise TypeError(f"y must be integer labels of shape (m,); got {y!r}")
    raw = np.asarray(y) if not isinstance(y, np.ndarray) else y
    if raw.dtype.kind not in "iu":
        values = as_float_array(y, "y", ndim=1)
        if not np.all(values == np.round(values)):
            raise TypeError("y must contain integer labels 0, 1, ..., K-1; got non-integer values")
        raw = values.astype(np.int64)
    if raw.ndim != 1:
        raise ValueError(f"y has shape {raw.shape}; expected 1-D labels of shape (m,)")
    if raw.size and raw.min() < 0:
        raise ValueError(f"y contains the label {int(raw.min())}; labels must be 0, 1, ..., K-1")
    top = int(raw.max()) + 1 if raw.size else 0
    K = top if n_classes is None else check_positive_int(n_classes, "n_classes")
    if top > K:
        raise ValueError(f"y contains the label {top - 1} but n_classes={K}; labels must be < n_classes")
    Y = np.zeros((raw.size, K))
    Y[np.arange(raw.size), raw] = 1.0
    return Y


def train_test_split(X, y, test_fraction=0.25, seed=0):
    r"""Split a data set into a training part and a held-out test part, at random.

    The rows are shuffled with ``np.random.default_rng(seed)``; the first
    :math:`\lceil m \cdot \text{test\_fraction} \rceil` go to the test part, the rest to training.
    The network never sees the test part while it learns, so its accuracy there estimates how it
    does on new points.

    Parameters
    ----------
    X : array_like of shape (m, n_0)
    y : array_like of shape (m,) or (m, n_L)
        Labels or target rows, one per row of ``X``.
    test_fraction : float, default 0.25
        In (0, 1); both parts keep at least one example.
    seed : int, default 0

    Returns
    -------
    X_train, y_train, X_test, y_test : ndarray
        New arrays (the inputs are not modified).

    Examples
    --------
    >>> X, y = moons(n=8, seed=0)
    >>> X_train, y_train, X_test, y_test = train_test_split(X, y, test_fraction=0.25, seed=1)
    >>> X_train.shape, y_train.shape, X_test.shape, y_test.shape
    ((6, 2), (6,), (2, 2), (2,))
    """
    X = as_float_array(X, "X", ndim=2)
    labels = np.array(y, copy=True)
    if labels.ndim not in (1, 2) or labels.shape[0] != X.shape[0]:
        raise ValueError(
            f"y has shape {labels.shape} but X has {X.shape[0]} rows; one label or target row per example")
    fraction = float(as_float_array(test_fraction, "test_fraction", ndim=0))
    if not 0 < fraction < 1:
        raise ValueError(f"test_fraction must be strictly between 0 and 1; got {test_fraction!r}")
    m = X.shape[0]
    if m < 2:
        raise ValueError(f"X must have at least 2 rows to split into a training and a test part; got {m}")
    n_test = min(max(int(np.ceil(m * fraction)), 1), m - 1)
    order = np.random.default_rng(check_seed(seed)).permutation(m)  # (m,)
    test, train = order[:n_test], order[n_test:]
    return X[train], labels[train], X[test], labels[test]
