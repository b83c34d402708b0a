"""Tests for course_pkg.activations: derivatives against SymPy and finite differences, stability,
shapes, no mutation, bad input."""

import warnings

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_pkg import activations as act

#: Agreement with SymPy's exact derivative evaluated in float64.
SYMPY_RTOL = 1e-12
#: Agreement with a central difference of step FD_STEP (error about 1e-10).
FD_RTOL = 1e-7
FD_STEP = 1e-6
#: The largest |z| the module promises to handle.
Z_MAX = 1e4
#: sigmoid(-z) and 1 - sigmoid(z) agree to one rounding of numbers near 1.
SYMMETRY_ATOL = np.finfo(float).eps

_z = sp.Symbol("z", real=True)
SYMBOLIC = {
    "sigmoid": 1 / (1 + sp.exp(-_z)),
    "tanh": sp.tanh(_z),
    "relu": sp.Max(0, _z),
}
PAIRS = {
    "sigmoid": (act.sigmoid, act.sigmoid_prime),
    "tanh": (act.tanh, act.tanh_prime),
    "relu": (act.relu, act.relu_prime),
}
POINTS = np.array([-30.0, -7.5, -2.0, -0.3, 0.1, 0.7, 1.9, 6.0, 25.0])

def _exact(expr, z):
    """expr at z, evaluated by SymPy with enough digits to survive cancellation (1 - tanh^2)."""
    return float(expr.evalf(40, subs={_z: sp.Rational(z)}, maxn=200))


finite = st.floats(-Z_MAX, Z_MAX, allow_nan=False, allow_infinity=False)
arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=5), elements=finite)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_function_matches_sympy(name):
    f, _ = PAIRS[name]
    exact = [_exact(SYMBOLIC[name], z) for z in POINTS]
    np.testing.assert_allclose(f(POINTS), exact, rtol=SYMPY_RTOL, atol=0)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_derivative_matches_sympy(name):
    _, f_prime = PAIRS[name]
    derivative = sp.diff(SYMBOLIC[name], _z)  # relu: Heaviside(z), undefined at 0, not sampled
    exact = [_exact(derivative, z) for z in POINTS]
    np.testing.assert_allclose(f_prime(POINTS), exact, rtol=SYMPY_RTOL, atol=0)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_derivative_matches_central_differences(name):
    f, f_prime = PAIRS[name]
    z = np.linspace(-4.0, 4.0, 17) + 0.01  # stays off relu's kink
    numeric = (f(z + FD_STEP) - f(z - FD_STEP)) / (2 * FD_STEP)
    np.testing.assert_allclose(f_prime(z), numeric, rtol=FD_RTOL, atol=FD_RTOL)


def test_sigmoid_special_values():
    assert act.sigmoid(0) == 0.5
    assert act.sigmoid_prime(0) == 0.25
    assert act.sigmoid(Z_MAX) == 1.0 and act.sigmoid(-Z_MAX) == 0.0


def test_sigmoid_tail_is_accurate_not_zero():
    # sigma(-700) = e^-700 / (1 + e^-700) ~ 9.86e-305: a naive 1 - sigma(700) would give 0.
    assert act.sigmoid(-700.0) == pytest.approx(np.exp(-700.0), rel=1e-12)
    assert act.sigmoid_prime(40.0) == pytest.approx(np.exp(-40.0), rel=1e-12)
    assert act.tanh_prime(20.0) == pytest.approx(4 * np.exp(-40.0), rel=1e-12)


def test_relu_prime_at_zero_is_zero_by_convention():
    assert act.relu_prime(0.0) == 0.0
    assert act.relu_prime(-0.0) == 0.0
    assert act.relu_prime(1e-300) == 1.0


def test_scalars_give_python_floats():
    for f in (*[p for pair in PAIRS.values() for p in pair], act.softmax):
        out = f(0.5)
        assert type(out) is float, f.__name__
        assert type(f(np.float32(0.5))) is float
        assert type(f(np.array(0.5))) is float


@given(arrays)
@settings(max_examples=60, deadline=None)
def test_stable_same_shape_no_warning_no_mutation(z):
    before = z.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for f in [p for pair in PAIRS.values() for p in pair]:
            out = np.asarray(f(z))
            assert out.shape == z.shape
            assert np.all(np.isfinite(out))
        if z.ndim >= 1 and z.shape[-1] > 0:
            s = act.softmax(z)
            assert s.shape == z.shape and np.all(np.isfinite(s))
    np.testing.assert_array_equal(z, before)


@given(arrays)
@settings(max_examples=60, deadline=None)
def test_sigmoid_symmetry_and_range(z):
    s = np.asarray(act.sigmoid(z))
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(act.sigmoid(-z), 1 - s, rtol=0, atol=SYMMETRY_ATOL)


@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=finite))
@settings(max_examples=60, deadline=None)
def test_softmax_rows_are_distributions_and_shift_invariant(z):
    s = act.softmax(z)
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(s >= 0)
    np.testing.assert_allclose(act.softmax(z - 123.0), s, rtol=1e-9, atol=1e-300)


def test_softmax_matches_sympy():
    zs = sp.symbols("z0:3", real=True)
    exact = [sp.exp(zj) / sum(sp.exp(zk) for zk in zs) for zj in zs]
    values = {zs[0]: 0.3, zs[1]: -1.2, zs[2]: 2.5}
    expected = [float(e.subs(values)) for e in exact]
    np.testing.assert_allclose(act.softmax([0.3, -1.2, 2.5]), expected, rtol=SYMPY_RTOL)


def test_softmax_of_a_scalar_is_one():
    assert act.softmax(3.0) == 1.0


def test_softmax_of_an_empty_row_is_rejected():
    with pytest.raises(ValueError, match=r"z has shape \(2, 0\)"):
        act.softmax(np.zeros((2, 0)))


@pytest.mark.parametrize("f", [act.sigmoid, act.sigmoid_prime, act.relu, act.relu_prime, act.tanh, act.tanh_prime, act.softmax])
def test_bad_input_names_z(f):
    with pytest.raises(ValueError, match=r"^z contains NaN at index \(1,\)"):
        f([0.0, np.nan])
    with pytest.raises(ValueError, match=r"^z contains inf"):
        f([np.inf])
    with pytest.raises(TypeError, match=r"^z must be numbers"):
        f("0.5")
    with pytest.raises(TypeError, match=r"^z is ragged"):
        f([[1.0], [1.0, 2.0]])
    with pytest.raises(TypeError, match=r"^z must contain real numbers; got complex"):
        f(1j)
