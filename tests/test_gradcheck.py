"""Tests for course_pkg.gradcheck: finite differences, relative error, the network check, kinks,
and the planted bugs it must catch."""

import numpy as np
import pytest

from course_pkg import gradcheck as gc
from course_pkg.network import HIDDEN, OUTPUTS, LOSSES, gradients, init_network

#: Five-point differences are exact for quartics up to rounding.
EXACT_RTOL = 1e-9
#: Two-point differences with the default step: error O(h^2) plus rounding.
TWO_POINT_RTOL = 1e-8


# ---------------------------------------------------------------------------------------------
# numerical_gradient and relative_error


def test_numerical_gradient_of_a_quadratic_form():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    x = np.array([0.5, -1.5])
    expected = 2 * A @ x
    for order in (2, 4):
        got = gc.numerical_gradient(lambda v: v @ A @ v, x, order=order)
        np.testing.assert_allclose(got, expected, rtol=TWO_POINT_RTOL)


def test_five_point_stencil_is_exact_for_quartics():
    x = np.array([[0.3, -1.2], [2.0, 0.7]])
    got = gc.numerical_gradient(lambda v: np.sum(v**4 - v**3), x, order=4)
    np.testing.assert_allclose(got, 4 * x**3 - 3 * x**2, rtol=EXACT_RTOL)


def test_numerical_gradient_keeps_shape_and_does_not_mutate():
    x = np.arange(6.0).reshape(2, 3)
    seen = []
    got = gc.numerical_gradient(lambda v: seen.append(v) or float(np.sum(v)), x)
    assert got.shape == (2, 3)
    np.testing.assert_array_equal(x, np.arange(6.0).reshape(2, 3))
    assert all(v is not x for v in seen)
    assert type(gc.numerical_gradient(lambda t: t**2, 3.0)) is float


def test_numerical_gradient_bad_input():
    with pytest.raises(TypeError, match=r"^f must be a function"):
        gc.numerical_gradient(3.0, np.ones(2))
    with pytest.raises(TypeError, match=r"^f must return one number"):
        gc.numerical_gradient(lambda v: v, np.ones(2))
    with pytest.raises(ValueError, match=r"^order=3 is not one of 2, 4"):
        gc.numerical_gradient(np.sum, np.ones(2), order=3)
    with pytest.raises(ValueError, match=r"^eps must be a positive finite number"):
        gc.numerical_gradient(np.sum, np.ones(2), eps=0.0)
    with pytest.raises(ValueError, match=r"^x contains NaN"):
        gc.numerical_gradient(np.sum, np.array([np.nan]))


def test_relative_error_formula_and_zero_safety():
    assert gc.relative_error(0.0, 0.0) == 0.0
    assert gc.relative_error(0.0, 2.0) == 1.0
    assert gc.relative_error(-1.0, 1.0) == 2.0
    assert gc.relative_error(4.0, 5.0) == pytest.approx(0.2)
    np.testing.assert_allclose(gc.relative_error([1e-9, 3.0], [2e-9, 3.0], floor=1e-6), [1e-3, 0.0])
    with pytest.raises(ValueError, match=r"^a has shape \(2,\) but b has shape \(3,\)"):
        gc.relative_error(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match=r"^floor must be >= 0"):
        gc.relative_error(1.0, 1.0, floor=-1.0)


# ---------------------------------------------------------------------------------------------
# check_gradients on the reference


def _problem(seed, sizes=(3, 4, 3, 2), m=4, hidden="relu"):
    rng = np.random.default_rng(seed)
    weights, biases = init_network(list(sizes), seed=seed, hidden=hidden)
    biases = [rng.normal(0.0, 0.3, b.shape) for b in biases]
    X = rng.normal(0.0, 1.0, (m, sizes[0]))
    Y = rng.integers(0, 2, (m, sizes[-1])).astype(float)
    return weights, biases, X, Y


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output", ["sigmoid", "identity"])
def test_reference_gradients_pass(hidden, output):
    weights, biases, X, Y = _problem(1, hidden=hidden)
    report = gc.check_gradients(gradients, weights, biases, X, Y, hidden, output, "half_squared_error")
    assert report.passed, str(report)
    assert report.n_checked + len(report.skipped) == sum(p.size for p in weights + biases)
    assert report.worst.relative_error < gc.DEFAULT_TOL
    assert "PASSED" in str(report)


def test_report_names_the_worst_entry():
    weights, biases, X, Y = _problem(2, hidden="tanh")

    def off_by_a_bit_in_one_entry(*args, **kwargs):
        cost, dW, db = gradients(*args, **kwargs)
        dW = [d.copy() for d in dW]
        dW[1][2, 0] *= 1.01
        return cost, dW, db

    report = gc.check_gradients(off_by_a_bit_in_one_entry, weights, biases, X, Y, hidden="tanh")
    assert not report.passed
    assert (report.worst.parameter, report.worst.index) == ("weights[1]", (2, 0))
    assert report.worst.relative_error == pytest.approx(0.01 / 1.01, rel=1e-5)
    text = str(report)
    assert "FAILED" in text and "weights[1][2, 0]" in text
    assert np.isnan(report.errors["weights[1]"]).sum() == 0


def test_a_wrong_cost_fails_the_check():
    weights, biases, X, Y = _problem(3, hidden="sigmoid")

    def summed_cost(*args, **kwargs):
        cost, dW, db = gradients(*args, **kwargs)
        return cost * len(X), dW, db

    report = gc.check_gradients(summed_cost, weights, biases, X, Y, hidden="sigmoid")
    assert not report.passed and not report.cost_ok
    assert "reference cost" in str(report)


def test_kinks_are_skipped_not_failed():
    # A hidden ReLU input exactly at 0: its slope is 0 by convention but the central difference
    # sees 1/2. The entries that move that input are skipped; everything else is compared.
    weights = [np.array([[1.0, -1.0], [0.5, 0.5]]), np.array([[1.0, 2.0]])]
    biases = [np.array([0.0, 0.1]), np.array([0.0])]
    X = np.array([[1.0, 1.0], [2.0, -1.0]])  # z_0 of example 0 is exactly 0
    Y = np.array([[0.0], [1.0]])
    report = gc.check_gradients(gradients, weights, biases, X, Y, output="identity")
    assert report.passed, str(report)
    assert ("weights[0]", (0, 0)) in report.skipped and ("biases[0]", (0,)) in report.skipped
    assert report.n_checked > 0
    assert "crosses a ReLU kink" in str(report)


def test_grad_fn_receives_copies():
    weights, biases, X, Y = _problem(4)
    before = [p.copy() for p in weights + biases + [X, Y]]

    def vandal(w, b, X_, Y_, **kwargs):
        result = gradients(w, b, X_, Y_, **kwargs)
        for p in w + b + [X_, Y_]:
            p[...] = 0.0
        return result

    assert gc.check_gradients(vandal, weights, biases, X, Y).passed
    for p, c in zip(weights + biases + [X, Y], before):
        np.testing.assert_array_equal(p, c)


def test_malformed_results_are_explained():
    weights, biases, X, Y = _problem(5)
    with pytest.raises(TypeError, match=r"^grad_fn must return a tuple \(cost, dweights, dbiases\)"):
        gc.check_gradients(lambda *a, **k: None, weights, biases, X, Y)

    def transposed(*args, **kwargs):
        cost, dW, db = gradients(*args, **kwargs)
        return cost, [d.T for d in dW], db

    with pytest.raises(ValueError, match=r"^grad_fn returned dweights\[0\] of shape \(3, 4\) but weights\[0\] has shape \(4, 3\) \(transposed\?\)"):
        gc.check_gradients(transposed, weights, biases, X, Y)
    with pytest.raises(TypeError, match=r"^grad_fn must be a function"):
        gc.check_gradients("gradients", weights, biases, X, Y)
    with pytest.raises(ValueError, match=r"^loss='mse' is not one of"):
        gc.check_gradients(gradients, weights, biases, X, Y, loss="mse")


# ---------------------------------------------------------------------------------------------
# planted bugs: a learner-style backprop with one mistake each


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _learner_backprop(bug=None):
    """Hidden sigmoid, output sigmoid, half squared error; ``bug`` plants one classic mistake."""

    def grad_fn(weights, biases, X, Y, hidden="sigmoid", output="sigmoid", loss="half_squared_error"):
        m = X.shape[0]
        Zs, As = [], [X]
        for W, b in zip(weights, biases):
            Zs.append(As[-1] @ W.T + b)
            As.append(_sigmoid(Zs[-1]))
        cost = 0.5 * np.sum((Y - As[-1]) ** 2) / m
        sig_prime = lambda Z: _sigmoid(Z) * (1 - _sigmoid(Z))  # noqa: E731
        E = (As[-1] - Y) * sig_prime(Zs[-1])  # BP1
        if bug == "wrong_sign":
            E = (Y - As[-1]) * sig_prime(Zs[-1])
        dW, db = [None] * len(weights), [None] * len(weights)
        for l in range(len(weights) - 1, -1, -1):
            dW[l] = E.T @ As[l] / m  # BP4
            db[l] = E.sum(axis=1 if bug == "wrong_axis_db" else 0) / m  # BP3
            if bug == "missing_one_over_m":
                dW[l], db[l] = dW[l] * m, db[l] * m
            if l > 0:
                W = weights[l].T if bug == "transposed_W" else weights[l]
                E = E @ W  # BP2
                if bug != "missing_sigma_prime":
                    E = E * sig_prime(Zs[l - 1])
        return cost, dW, db

    return grad_fn


BUGS = ["transposed_W", "missing_one_over_m", "missing_sigma_prime", "wrong_sign", "wrong_axis_db"]


def _square_problem():
    # Square layers and m equal to every width, so that each bug keeps the shapes right and
    # only the gradient check can tell.
    rng = np.random.default_rng(7)
    n = 3
    weights = [rng.normal(0.0, 1.0, (n, n)) for _ in range(3)]
    biases = [rng.normal(0.0, 0.5, n) for _ in range(3)]
    X = rng.normal(0.0, 1.0, (n, n))
    Y = rng.uniform(0.0, 1.0, (n, n))
    return weights, biases, X, Y


def test_the_learner_style_backprop_without_bugs_passes():
    report = gc.check_gradients(_learner_backprop(), *_square_problem(), hidden="sigmoid")
    assert report.passed, str(report)


@pytest.mark.parametrize("bug", BUGS)
def test_planted_bug_is_caught(bug):
    report = gc.check_gradients(_learner_backprop(bug), *_square_problem(), hidden="sigmoid")
    assert not report.passed, f"{bug} was not caught:\n{report}"
    assert report.worst.relative_error > 1e3 * gc.DEFAULT_TOL


def test_an_undefined_finite_difference_fails_the_check():
    # Identity output with binary cross-entropy and a prediction just below 1: the stencil steps
    # past 1, where the cost is undefined (NaN). The check must fail, not raise and not pass.
    weights, biases = [np.array([[0.0]])], [np.array([0.9999])]
    X, Y = np.array([[1.0]]), np.array([[0.5]])
    report = gc.check_gradients(gradients, weights, biases, X, Y, output="identity", loss="binary_cross_entropy")
    assert not report.passed
    assert np.isnan(report.worst.numeric)
