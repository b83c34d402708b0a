"""Tests for course_pkg.losses: SymPy derivatives, finite differences, shapes, stability, bad input."""

import warnings

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_pkg import losses as L
from course_pkg.activations import sigmoid, softmax

#: Agreement with SymPy evaluated at 40 digits.
SYMPY_RTOL = 1e-12
#: Agreement with a central difference of step FD_STEP.
FD_RTOL = 1e-6
FD_STEP = 1e-7
#: From-logits forms against the plain forms where both are accurate.
LOGITS_RTOL = 1e-12

_a, _y = sp.symbols("a y", real=True)
SYMBOLIC = {
    "squared_error": (_a - _y) ** 2,
    "half_squared_error": sp.Rational(1, 2) * (_y - _a) ** 2,
    "binary_cross_entropy": -(_y * sp.log(_a) + (1 - _y) * sp.log(1 - _a)),
    "cross_entropy": -_y * sp.log(_a),
}
FUNCS = {
    "squared_error": (L.squared_error, L.squared_error_prime),
    "half_squared_error": (L.half_squared_error, L.half_squared_error_prime),
    "binary_cross_entropy": (L.binary_cross_entropy, L.binary_cross_entropy_prime),
    "cross_entropy": (L.cross_entropy, L.cross_entropy_prime),
}
RNG = np.random.default_rng(2024)
A = RNG.uniform(0.05, 0.95, (5, 3))
Y = RNG.uniform(0.0, 1.0, (5, 3))


def _exact(expr, a, y):
    return float(expr.evalf(40, subs={_a: sp.Rational(a), _y: sp.Rational(y)}))


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_loss_and_derivative_match_sympy(name):
    f, f_prime = FUNCS[name]
    derivative = sp.diff(SYMBOLIC[name], _a)
    per_entry = np.array([[_exact(SYMBOLIC[name], a, y) for a, y in zip(ra, ry)] for ra, ry in zip(A, Y)])
    np.testing.assert_allclose(f(A, Y), per_entry.sum(axis=1), rtol=SYMPY_RTOL)
    d_exact = np.array([[_exact(derivative, a, y) for a, y in zip(ra, ry)] for ra, ry in zip(A, Y)])
    np.testing.assert_allclose(f_prime(A, Y), d_exact, rtol=SYMPY_RTOL)


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_derivative_matches_central_differences(name):
    f, f_prime = FUNCS[name]
    numeric = np.empty_like(A)
    for index in np.ndindex(A.shape):
        up, down = A.copy(), A.copy()
        up[index] += FD_STEP
        down[index] -= FD_STEP
        numeric[index] = (f(up, Y).sum() - f(down, Y).sum()) / (2 * FD_STEP)
    np.testing.assert_allclose(f_prime(A, Y), numeric, rtol=FD_RTOL)


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_shapes_sum_over_the_last_axis(name):
    f, f_prime = FUNCS[name]
    assert f(A, Y).shape == (5,)
    assert f_prime(A, Y).shape == (5, 3)
    one = f(A[0], Y[0])
    assert type(one) is float and one == pytest.approx(f(A, Y)[0], rel=1e-15)
    scalar = f(0.3, 0.6)
    assert type(scalar) is float and type(f_prime(0.3, 0.6)) is float


def test_the_two_squared_error_conventions():
    assert L.squared_error(0.25, 1.0) == 0.5625  # (y_hat - y)^2, seed 000
    assert L.half_squared_error(0.25, 1.0) == 0.28125  # 1/2 (y - a)^2, seed 001
    np.testing.assert_array_equal(L.squared_error_prime(A, Y), 2 * L.half_squared_error_prime(A, Y))


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_cost_is_the_mean_of_the_per_example_losses(name):
    f, _ = FUNCS[name]
    assert L.cost(A, Y, loss=name) == pytest.approx(np.mean(f(A, Y)), rel=1e-15)


def test_cross_entropies_at_the_boundaries_follow_0_log_0_equals_0():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert L.binary_cross_entropy([1.0, 0.0], [1.0, 0.0]) == 0.0
        assert L.cross_entropy([1.0, 0.0], [1.0, 0.0]) == 0.0
        np.testing.assert_array_equal(L.binary_cross_entropy_prime([0.0, 1.0], [0.0, 1.0]), [1.0, -1.0])
        assert L.binary_cross_entropy(0.0, 1.0) == np.inf  # confidently wrong
        assert L.cross_entropy_prime([0.0], [0.0])[0] == 0.0


def test_binary_cross_entropy_from_logits_equals_the_plain_form():
    z = RNG.normal(0.0, 3.0, (4, 2))
    y = RNG.uniform(0.0, 1.0, (4, 2))
    np.testing.assert_allclose(L.binary_cross_entropy_from_logits(z, y), L.binary_cross_entropy(sigmoid(z), y), rtol=LOGITS_RTOL)


def test_cross_entropy_from_logits_equals_the_plain_form():
    z = RNG.normal(0.0, 3.0, (4, 3))
    y = np.eye(3)[[0, 2, 1, 1]]
    np.testing.assert_allclose(L.cross_entropy_from_logits(z, y), L.cross_entropy(softmax(z), y), rtol=LOGITS_RTOL)


def test_from_logits_forms_are_exact_in_the_tails():
    big = 1e4
    np.testing.assert_array_equal(
        L.binary_cross_entropy_from_logits([[-big], [big], [big]], [[1.0], [1.0], [0.0]]), [big, 0.0, big]
    )
    np.testing.assert_array_equal(L.cross_entropy_from_logits([[big, 0.0, -big]], [[0.0, 0.0, 1.0]]), [2 * big])


@given(
    hnp.arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 4)), elements=st.floats(-1e4, 1e4)),
    st.data(),
)
@settings(max_examples=50, deadline=None)
def test_from_logits_stable_nonnegative_and_no_mutation(z, data):
    y = data.draw(hnp.arrays(np.float64, z.shape, elements=st.sampled_from([0.0, 1.0])))
    z0, y0 = z.copy(), y.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = L.binary_cross_entropy_from_logits(z, y)
        assert c.shape == (z.shape[0],) and np.all(np.isfinite(c)) and np.all(c >= 0)
        onehot = np.eye(z.shape[1])[np.zeros(z.shape[0], dtype=int)]
        ce = L.cross_entropy_from_logits(z, onehot)
        assert np.all(np.isfinite(ce)) and np.all(ce >= -1e-12 * np.abs(z).max(initial=1.0))
    np.testing.assert_array_equal(z, z0)
    np.testing.assert_array_equal(y, y0)


@given(
    hnp.arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 4)), elements=st.floats(0.0, 1.0)),
    st.data(),
)
@settings(max_examples=50, deadline=None)
def test_probability_losses_are_defined_everywhere_and_do_not_mutate(a, data):
    y = data.draw(hnp.arrays(np.float64, a.shape, elements=st.floats(0.0, 1.0)))
    a0, y0 = a.copy(), y.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name, (f, f_prime) in FUNCS.items():
            assert f(a, y).shape == (a.shape[0],)
            assert f_prime(a, y).shape == a.shape
            assert np.all(f(a, y) >= 0) or name == "cross_entropy"
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(y, y0)


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_shape_mismatch_names_both_arguments(name):
    f, f_prime = FUNCS[name]
    for g in (f, f_prime):
        with pytest.raises(ValueError, match=r"^a has shape \(5, 3\) but y has shape \(5, 2\)"):
            g(A, Y[:, :2])


@pytest.mark.parametrize("name", ["binary_cross_entropy", "cross_entropy"])
def test_probabilities_out_of_range(name):
    f, f_prime = FUNCS[name]
    for g in (f, f_prime):
        with pytest.raises(ValueError, match=r"^a\[1\] = 1.5 is outside \[0.0, 1.0\]"):
            g([0.5, 1.5], [1.0, 0.0])
    with pytest.raises(ValueError, match=r"^y\[0\] = -1.0 is outside"):
        f([0.5], [-1.0])


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match=r"^a contains NaN"):
        L.squared_error([np.nan], [0.0])
    with pytest.raises(ValueError, match=r"^y contains inf"):
        L.half_squared_error([0.0], [np.inf])
    with pytest.raises(TypeError, match=r"^y must be numbers"):
        L.cross_entropy([0.5], "1")
    with pytest.raises(ValueError, match=r"^z has shape"):
        L.cross_entropy_from_logits([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match=r"^z is a scalar"):
        L.cross_entropy_from_logits(1.0, 1.0)


def test_cost_validates_its_arguments():
    with pytest.raises(ValueError, match=r"^loss='mse' is not one of 'squared_error', 'half_squared_error', 'binary_cross_entropy', 'cross_entropy'$"):
        L.cost(A, Y, loss="mse")
    with pytest.raises(ValueError, match=r"^a has shape \(3,\) \(1-D\); expected 2-D \(m, n_L\)"):
        L.cost(A[0], Y[0])
