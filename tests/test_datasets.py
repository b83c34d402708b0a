"""Tests for course_pkg.datasets: shapes, labels, determinism, geometry, bad input."""

import numpy as np
import pytest

from course_pkg import datasets as ds

GENERATORS = [ds.xor, ds.moons, ds.circles, ds.spirals]
#: Geometry checks on noiseless data are exact up to rounding.
GEOMETRY_ATOL = 1e-12


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("n", [1, 7, 200])
def test_shapes_dtypes_and_balance(make, n):
    X, y = make(n, seed=3)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert counts.max() - counts[counts > 0].min() <= 1 or n == 1
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("make", GENERATORS)
def test_deterministic_from_the_seed(make):
    X1, y1 = make(50, seed=11)
    X2, y2 = make(50, seed=11)
    X3, _ = make(50, seed=12)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_rows_are_shuffled():
    _, y = ds.moons(100, seed=0)
    assert not np.all(np.diff(y) >= 0)  # not all of class 0 first
    assert len(np.flatnonzero(np.diff(y))) > 10  # the classes alternate often


def test_xor_labels_are_the_xor_of_the_corner():
    X, y = ds.xor(40, noise=0.0, seed=1)
    np.testing.assert_array_equal(y, np.logical_xor(X[:, 0] > 0.5, X[:, 1] > 0.5).astype(int))
    assert set(map(tuple, X)) == {(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)}


def test_moons_lie_on_their_half_circles():
    X, y = ds.moons(60, noise=0.0)
    r0 = np.hypot(X[y == 0, 0], X[y == 0, 1])
    r1 = np.hypot(X[y == 1, 0] - 1.0, X[y == 1, 1] - 0.5)
    np.testing.assert_allclose(r0, 1.0, atol=GEOMETRY_ATOL)
    np.testing.assert_allclose(r1, 1.0, atol=GEOMETRY_ATOL)
    assert np.all(X[y == 0, 1] >= -GEOMETRY_ATOL) and np.all(X[y == 1, 1] <= 0.5 + GEOMETRY_ATOL)


def test_circles_radii():
    X, y = ds.circles(50, noise=0.0, factor=0.3)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0, atol=GEOMETRY_ATOL)
    np.testing.assert_allclose(r[y == 1], 0.3, atol=GEOMETRY_ATOL)


def test_spirals_arms_wind_and_stay_in_the_unit_disc():
    X, y = ds.spirals(300, noise=0.0, n_classes=3, turns=1.5)
    assert set(y.tolist()) == {0, 1, 2}
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.all(r <= 1.0 + GEOMETRY_ATOL) and r.max() == pytest.approx(1.0)


def test_noise_is_the_standard_deviation():
    X, _ = ds.xor(20000, noise=0.2, seed=4)
    residual = X - np.round(X)  # distance to the nearest corner (noise 0.2 rarely passes 0.5)
    assert np.std(residual) == pytest.approx(0.2, rel=0.05)


def test_one_hot():
    np.testing.assert_array_equal(ds.one_hot([1, 0, 2]), np.eye(3)[[1, 0, 2]])
    assert ds.one_hot(np.array([0, 1]), n_classes=4).shape == (2, 4)
    assert ds.one_hot(np.array([1.0, 0.0])).tolist() == [[0.0, 1.0], [1.0, 0.0]]
    with pytest.raises(ValueError, match=r"^y contains the label 3 but n_classes=2"):
        ds.one_hot([0, 3], n_classes=2)
    with pytest.raises(ValueError, match=r"^y contains the label -1"):
        ds.one_hot([0, -1])
    with pytest.raises(TypeError, match=r"^y must contain integer labels"):
        ds.one_hot([0.5, 1.0])
    with pytest.raises(ValueError, match=r"^y has shape \(1, 2\)"):
        ds.one_hot(np.array([[0, 1]]))


@pytest.mark.parametrize("make", GENERATORS)
def test_bad_arguments_are_named(make):
    with pytest.raises(ValueError, match=r"^n must be an integer >= 1; got 0"):
        make(0)
    with pytest.raises(TypeError, match=r"^n must be an integer"):
        make(10.5)
    with pytest.raises(ValueError, match=r"^noise must be >= 0"):
        make(10, noise=-0.1)
    with pytest.raises(ValueError, match=r"^noise contains NaN"):
        make(10, noise=float("nan"))
    with pytest.raises(ValueError, match=r"^seed must be an integer >= 0"):
        make(10, seed=-3)


def test_generator_specific_arguments():
    with pytest.raises(ValueError, match=r"^factor must lie in \(0, 1\)"):
        ds.circles(10, factor=1.5)
    with pytest.raises(ValueError, match=r"^n_classes must be an integer >= 2; got 1"):
        ds.spirals(10, n_classes=1)
    with pytest.raises(ValueError, match=r"^turns must be > 0"):
        ds.spirals(10, turns=0.0)


def test_train_test_split_partitions_the_rows_at_random_and_checks_its_arguments():
    """Every row in exactly one part, the test part the stated fraction, the same for the same seed."""
    from course_pkg.datasets import moons, train_test_split

    X, y = moons(n=40, seed=3)
    X_train, y_train, X_test, y_test = train_test_split(X, y, test_fraction=0.25, seed=5)
    assert X_train.shape == (30, 2) and X_test.shape == (10, 2)
    rows = {tuple(r) for r in np.concatenate([X_train, X_test])}
    assert rows == {tuple(r) for r in X}
    for part_X, part_y in ((X_train, y_train), (X_test, y_test)):
        for row, label in zip(part_X, part_y):
            assert label == y[np.flatnonzero((X == row).all(axis=1))[0]]
    again = train_test_split(X, y, test_fraction=0.25, seed=5)
    assert np.array_equal(again[2], X_test)
    assert not np.array_equal(train_test_split(X, y, test_fraction=0.25, seed=6)[2], X_test)
    with pytest.raises(ValueError, match=r"^test_fraction must be strictly between 0 and 1"):
        train_test_split(X, y, test_fraction=1.0)
    with pytest.raises(ValueError, match=r"^y has shape \(39,\) but X has 40 rows"):
        train_test_split(X, y[:-1])
