"""Tests for course_pkg.network: gradients against finite differences of an independent, naive
cost on many random networks; the forward cache; training; no mutation; every bad input."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_pkg import network as net
from course_pkg import training
from course_pkg.losses import LOSSES

#: Largest accepted relative error of a gradient entry (float64).
GRAD_RTOL = 1e-7
#: Entries below FLOOR * max(1, |C|) are compared on that absolute scale (finite differences
#: carry a rounding error of about 1e-12 * |C|).
FLOOR = 1e-4
#: Step of the five-point central difference (truncation O(h^4), rounding O(1e-16 / h)).
FD_STEP = 3e-4
#: Random networks per hidden/output/loss combination.
NETWORKS_PER_COMBINATION = 5
#: At most this fraction of entries may be skipped for crossing a ReLU kink.
MAX_SKIPPED_FRACTION = 0.1

COMBINATIONS = list(itertools.product(net.HIDDEN, net.OUTPUTS, LOSSES))


# ---------------------------------------------------------------------------------------------
# an independent reference: one example at a time, scalar formulas, no course_pkg code


def _g(name, z):
    if name == "relu":
        return max(z, 0.0)
    if name == "sigmoid":
        return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
    if name == "tanh":
        return math.tanh(z)
    return z  # identity


def _naive_cost(weights, biases, X, Y, hidden, output, loss):
    """Mean over examples of the per-example loss; also the signs of every hidden ReLU input."""
    total, signs = 0.0, []
    L = len(weights)
    for x, y in zip(X, Y):
        a = list(x)
        for l, (W, b) in enumerate(zip(weights, biases)):
            z = [sum(W[j, k] * a[k] for k in range(len(a))) + b[j] for j in range(W.shape[0])]
            if l < L - 1:
                signs.extend(zj > 0 for zj in z)
                a = [_g(hidden, zj) for zj in z]
            elif output == "softmax":
                top = max(z)
                e = [math.exp(zj - top) for zj in z]
                a = [ej / sum(e) for ej in e]
            else:
                a = [_g(output, zj) for zj in z]
        for aj, yj in zip(a, y):
            if loss == "squared_error":
                total += (aj - yj) ** 2
            elif loss == "half_squared_error":
                total += 0.5 * (yj - aj) ** 2
            elif loss == "binary_cross_entropy":
                total -= yj * math.log(aj) + (1 - yj) * math.log(1 - aj)
            else:
                total -= yj * math.log(aj)
    return total / len(X), signs


def _random_problem(rng, hidden, output, loss, depth, m):
    sizes = [int(n) for n in rng.integers(1, 5, depth + 1)]
    if output == "softmax":
        sizes[-1] = max(sizes[-1], 2)
    weights = [rng.normal(0.0, 1.0, (o, i)) for i, o in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(0.0, 0.5, o) for o in sizes[1:]]
    X = rng.normal(0.0, 1.0, (m, sizes[0]))
    if output == "identity" and loss in ("binary_cross_entropy", "cross_entropy"):
        # predictions must be probabilities: a small last layer around 0.5
        weights[-1] *= 0.01
        biases[-1] = np.full(sizes[-1], 0.5)
    if output == "softmax" and loss == "cross_entropy":
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], m)]
    elif loss == "binary_cross_entropy":
        Y = rng.integers(0, 2, (m, sizes[-1])).astype(float)
    else:
        Y = rng.uniform(0.0, 1.0, (m, sizes[-1]))
    return weights, biases, X, Y


def _finite_difference_check(weights, biases, X, Y, hidden, output, loss):
    """Worst relative error of gradients() against the naive cost, and the counts."""
    cost, dW, db = net.gradients(weights, biases, X, Y, hidden, output, loss)
    ref_cost, base_signs = _naive_cost(weights, biases, X, Y, hidden, output, loss)
    assert cost == pytest.approx(ref_cost, rel=1e-12, abs=1e-15)
    floor = FLOOR * max(1.0, abs(ref_cost))
    worst, checked, skipped = 0.0, 0, 0
    for group, grads in ((weights, dW), (biases, db)):
        for l in range(len(group)):
            for index in np.ndindex(group[l].shape):
                values, crosses = [], False
                for step in (2, 1, -1, -2):
                    moved = [p.copy() for p in group]
                    moved[l][index] += step * FD_STEP
                    args = (moved, biases) if group is weights else (weights, moved)
                    c, signs = _naive_cost(*args, X, Y, hidden, output, loss)
                    crosses |= signs != base_signs and hidden == "relu"
                    values.append(c)
                if crosses:
                    skipped += 1
                    continue
                numeric = (-values[0] + 8 * values[1] - 8 * values[2] + values[3]) / (12 * FD_STEP)
                analytic = grads[l][index]
                err = abs(analytic - numeric) / max(abs(analytic), abs(numeric), floor)
                worst = max(worst, err)
                checked += 1
    return worst, checked, skipped


@pytest.mark.parametrize(("hidden", "output", "loss"), COMBINATIONS)
def test_gradients_match_finite_differences(hidden, output, loss):
    """Every combination, depths 1-4, batches 1-8, float64: relative error < 1e-7."""
    seed = COMBINATIONS.index((hidden, output, loss))
    rng = np.random.default_rng(seed)
    total_checked = total_skipped = 0
    for trial in range(NETWORKS_PER_COMBINATION):
        depth = 1 + (seed + trial) % 4
        m = int(rng.integers(1, 9))
        problem = _random_problem(rng, hidden, output, loss, depth, m)
        worst, checked, skipped = _finite_difference_check(*problem, hidden, output, loss)
        assert worst < GRAD_RTOL, f"depth {depth}, batch {m}: worst relative error {worst:.3g}"
        total_checked += checked
        total_skipped += skipped
    assert total_skipped <= MAX_SKIPPED_FRACTION * (total_checked + total_skipped)


def test_all_depths_and_batch_sizes_are_covered():
    depths = {1 + (COMBINATIONS.index(c) + t) % 4 for c in COMBINATIONS for t in range(NETWORKS_PER_COMBINATION)}
    assert depths == {1, 2, 3, 4}


@pytest.mark.parametrize("m", [1, 8])
def test_batch_extremes(m):
    rng = np.random.default_rng(100 + m)
    problem = _random_problem(rng, "tanh", "sigmoid", "binary_cross_entropy", 4, m)
    worst, checked, _ = _finite_difference_check(*problem, "tanh", "sigmoid", "binary_cross_entropy")
    assert worst < GRAD_RTOL and checked > 0


# ---------------------------------------------------------------------------------------------
# the pieces


def _small(seed=0, sizes=(3, 4, 2), m=5):
    rng = np.random.default_rng(seed)
    weights, biases = net.init_network(list(sizes), seed=seed)
    biases = [rng.normal(0.0, 0.1, b.shape) for b in biases]
    X = rng.normal(0.0, 1.0, (m, sizes[0]))
    Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], m)]
    return weights, biases, X, Y


def test_forward_cache_layout():
    weights, biases, X, _ = _small()
    cache = net.forward(weights, biases, X, hidden="tanh", output="softmax")
    assert isinstance(cache, net.ForwardCache)
    assert len(cache.Zs) == 2 and len(cache.As) == 3
    assert cache.As[0] is X
    np.testing.assert_allclose(cache.Zs[0], X @ weights[0].T + biases[0], rtol=1e-15)
    np.testing.assert_allclose(cache.As[1], np.tanh(cache.Zs[0]), rtol=1e-15)
    np.testing.assert_allclose(cache.As[2].sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_array_equal(net.predict(weights, biases, X, "tanh", "softmax"), cache.As[-1])


def test_backward_errors_give_the_gradients():
    weights, biases, X, Y = _small(1, (3, 5, 4, 2), 6)
    errors = net.backward(weights, biases, X, Y, "relu", "softmax", "cross_entropy")
    cache = net.forward(weights, biases, X, "relu", "softmax")
    np.testing.assert_allclose(errors[-1], cache.As[-1] - Y, rtol=1e-15)  # BP1, simplified
    _, dW, db = net.gradients(weights, biases, X, Y, "relu", "softmax", "cross_entropy")
    for l, E in enumerate(errors):
        np.testing.assert_allclose(dW[l], E.T @ cache.As[l] / len(X), rtol=1e-12)  # BP4
        np.testing.assert_allclose(db[l], E.mean(axis=0), rtol=1e-12, atol=1e-17)  # BP3


def test_network_cost_equals_gradients_cost():
    weights, biases, X, Y = _small(2)
    for output, loss in itertools.product(("sigmoid", "softmax"), LOSSES):
        c = net.network_cost(weights, biases, X, Y, "relu", output, loss)
        assert c == net.gradients(weights, biases, X, Y, "relu", output, loss)[0]


def test_cross_entropy_costs_are_stable_for_huge_logits():
    weights = [np.array([[1e4], [-1e4]])]
    biases = [np.zeros(2)]
    X, Y = np.array([[1.0]]), np.array([[0.0, 1.0]])
    cost, dW, _ = net.gradients(weights, biases, X, Y, output="softmax", loss="cross_entropy")
    assert cost == 2e4 and np.all(np.isfinite(dW[0]))
    cost, _, _ = net.gradients(weights, biases, X, np.array([[0.0, 1.0]]), output="sigmoid", loss="binary_cross_entropy")
    assert cost == 2e4
    cost, _, _ = net.gradients(weights, biases, X, np.array([[0.0, 1.0]]), output="sigmoid", loss="cross_entropy")
    assert cost == 1e4


def test_accuracy_counts_the_right_classes_for_one_and_several_outputs():
    """One output: ŷ > ½ is class 1; several outputs: the largest one; bad labels are refused."""
    W = np.array([[1.0, 0.0]])
    X = np.array([[2.0, 0.0], [-1.0, 3.0], [0.5, 1.0], [-3.0, 0.0]])
    assert net.accuracy([W], [np.zeros(1)], X, [1, 1, 1, 0]) == 0.75
    W2 = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert net.accuracy([W2], [np.zeros(2)], X, [0, 1, 1, 1], output="softmax") == 1.0
    with pytest.raises(ValueError, match=r"^y has 3 entries but X has 4 rows"):
        net.accuracy([W], [np.zeros(1)], X, [1, 0, 1])
    with pytest.raises(ValueError, match=r"^y must hold class numbers"):
        net.accuracy([W], [np.zeros(1)], X, [0.5, 1, 0, 1])


def test_init_network_is_deterministic_and_scaled():
    w1, b1 = net.init_network([400, 300, 2], seed=5)
    w2, _ = net.init_network([400, 300, 2], seed=5)
    w3, _ = net.init_network([400, 300, 2], seed=6)
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2))
    assert not np.array_equal(w1[0], w3[0])
    assert all(np.all(b == 0) for b in b1)
    assert np.std(w1[0]) == pytest.approx(np.sqrt(2 / 400), rel=0.02)  # He
    wx, _ = net.init_network([400, 300, 2], seed=5, hidden="tanh")
    assert np.std(wx[0]) == pytest.approx(np.sqrt(2 / 700), rel=0.02)  # Xavier


def test_init_network_rejects_bad_sizes():
    with pytest.raises(ValueError, match=r"^sizes has 1 entries; expected at least 2"):
        net.init_network([3], seed=0)
    with pytest.raises(ValueError, match=r"^sizes\[1\] must be an integer >= 1; got 0"):
        net.init_network([3, 0, 1], seed=0)
    with pytest.raises(TypeError, match=r"^sizes must be a list"):
        net.init_network(3, seed=0)
    with pytest.raises(TypeError, match=r"^seed must be an integer"):
        net.init_network([2, 1], seed="a")


@given(st.integers(0, 10_000), st.sampled_from(COMBINATIONS))
@settings(max_examples=40, deadline=None)
def test_no_function_mutates_its_inputs(seed, combination):
    hidden, output, loss = combination
    rng = np.random.default_rng(seed)
    weights, biases, X, Y = _random_problem(rng, hidden, output, loss, int(rng.integers(1, 4)), int(rng.integers(1, 6)))
    originals = [p.copy() for p in weights + biases + [X, Y]]
    cost, dW, db = net.gradients(weights, biases, X, Y, hidden, output, loss)
    net.backward(weights, biases, X, Y, hidden, output, loss)
    net.forward(weights, biases, X, hidden, output)
    training.train(weights, biases, X, Y, lr=1e-3, epochs=1, batch_size=2, hidden=hidden, output=output, loss=loss)
    for p, c in zip(weights + biases + [X, Y], originals):
        np.testing.assert_array_equal(p, c)
    assert np.isfinite(cost)
    assert [d.shape for d in dW] == [W.shape for W in weights]
    assert [d.shape for d in db] == [b.shape for b in biases]


# ---------------------------------------------------------------------------------------------
# bad input


def _net_2_4_1():
    return [np.ones((4, 2)), np.ones((1, 4))], [np.zeros(4), np.zeros(1)]


def test_X_width_against_the_first_layer():
    weights, biases = _net_2_4_1()
    with pytest.raises(ValueError, match=r"^X has 3 columns but weights\[0\] expects 2 inputs \(shape \(4, 2\)\)"):
        net.gradients(weights, biases, np.ones((5, 3)), np.ones((5, 1)))


def test_Y_rows_against_X_rows():
    weights, biases = _net_2_4_1()
    with pytest.raises(ValueError, match=r"^Y has 5 rows but X has 4; one row per example$"):
        net.gradients(weights, biases, np.ones((4, 2)), np.ones((5, 1)))


def test_bias_against_its_weight():
    weights, biases = _net_2_4_1()
    biases[1] = np.zeros(2)
    with pytest.raises(ValueError, match=r"^biases\[1\] has shape \(2,\) but weights\[1\] has shape \(1, 4\); expected shape \(1,\)"):
        net.forward(weights, biases, np.ones((4, 2)))


def test_layers_that_do_not_chain():
    weights, biases = _net_2_4_1()
    weights[1] = np.ones((1, 3))
    with pytest.raises(ValueError, match=r"^weights\[1\] has shape \(1, 3\) but weights\[0\] has 4 outputs"):
        net.gradients(weights, biases, np.ones((4, 2)), np.ones((4, 1)))


@pytest.mark.parametrize("where", ["X", "Y", "weights", "biases"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf_anywhere(where, bad):
    weights, biases = _net_2_4_1()
    X, Y = np.ones((4, 2)), np.ones((4, 1))
    target = {"X": X, "Y": Y, "weights": weights[1], "biases": biases[0]}[where]
    target.flat[-1] = bad
    name = {"X": "X", "Y": "Y", "weights": r"weights\[1\]", "biases": r"biases\[0\]"}[where]
    with pytest.raises(ValueError, match=rf"^{name} contains (NaN|inf) at index"):
        net.gradients(weights, biases, X, Y)


def test_ragged_and_non_numeric_input():
    weights, biases = _net_2_4_1()
    with pytest.raises(TypeError, match=r"^X is ragged"):
        net.gradients(weights, biases, [[1.0, 2.0], [3.0]], np.ones((2, 1)))
    with pytest.raises(TypeError, match=r"^Y must contain real numbers"):
        net.gradients(weights, biases, np.ones((2, 2)), [["a"], ["b"]])
    with pytest.raises(TypeError, match=r"^weights\[0\] must contain real numbers"):
        net.forward([np.array([["x", "y"]])], [np.zeros(1)], np.ones((1, 2)))
    with pytest.raises(TypeError, match=r"^weights must be a list with one array per layer"):
        net.forward(np.ones((4, 2)), biases, np.ones((1, 2)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hidden": "sigmod"}, r"^hidden='sigmod' is not one of 'relu', 'sigmoid', 'tanh'$"),
        ({"output": "relu"}, r"^output='relu' is not one of 'sigmoid', 'identity', 'softmax'$"),
        ({"loss": "mse"}, r"^loss='mse' is not one of 'squared_error', 'half_squared_error', 'binary_cross_entropy', 'cross_entropy'$"),
    ],
)
def test_unknown_names_list_the_allowed_ones(kwargs, message):
    weights, biases = _net_2_4_1()
    with pytest.raises(ValueError, match=message):
        net.gradients(weights, biases, np.ones((4, 2)), np.ones((4, 1)), **kwargs)


def test_names_must_be_strings():
    weights, biases = _net_2_4_1()
    with pytest.raises(TypeError, match=r"^hidden must be a string"):
        net.forward(weights, biases, np.ones((4, 2)), hidden=None)


def test_targets_must_suit_the_loss():
    weights, biases = _net_2_4_1()
    X = np.ones((2, 2))
    with pytest.raises(ValueError, match=r"^Y\[1, 0\] = 2.0 is outside \[0.0, 1.0\]; binary cross-entropy"):
        net.gradients(weights, biases, X, [[1.0], [2.0]], loss="binary_cross_entropy")
    w2 = [np.ones((4, 2)), np.ones((2, 4))]
    b2 = [np.zeros(4), np.zeros(2)]
    with pytest.raises(ValueError, match=r"^Y row 0 sums to 0.5; with output='softmax' and loss='cross_entropy'"):
        net.gradients(w2, b2, X, [[0.5, 0.0], [0.0, 1.0]], output="softmax", loss="cross_entropy")


def test_identity_output_with_a_cross_entropy_needs_probabilities():
    weights, biases = _net_2_4_1()
    with pytest.raises(ValueError, match=r"the prediction a\^\[L\]\[0, 0\] = 8.0 is outside \[0.0, 1.0\]; with output='identity'"):
        net.gradients(weights, biases, np.ones((2, 2)), np.ones((2, 1)), output="identity", loss="binary_cross_entropy")
