"""The training loop's parts: a gradient-descent step, mini-batches, the loop (course_pkg.training)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_pkg import network as net
from course_pkg import training


def _small(seed=0, sizes=(3, 4, 2), m=5):
    rng = np.random.default_rng(seed)
    weights, biases = net.init_network(list(sizes), seed=seed)
    biases = [rng.normal(0.0, 0.1, b.shape) for b in biases]
    X = rng.normal(0.0, 1.0, (m, sizes[0]))
    Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], m)]
    return weights, biases, X, Y


@given(st.integers(1, 60), st.integers(1, 70), st.integers(0, 2**31 - 1))
@settings(max_examples=60, deadline=None)
def test_minibatch_indices_cover_every_example_once_in_batches_of_the_size(m, batch_size, seed):
    """Every row exactly once per epoch, batches of batch_size but the last, the same for the same seed."""
    batches = training.minibatch_indices(m, batch_size, seed)
    assert sorted(np.concatenate(batches).tolist()) == list(range(m))
    assert [len(b) for b in batches[:-1]] == [batch_size] * (len(batches) - 1)
    assert 1 <= len(batches[-1]) <= batch_size
    again = training.minibatch_indices(m, batch_size, seed)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))


def test_minibatch_indices_shuffle_and_differ_between_seeds():
    """The order is not the identity, and a new seed (a new epoch) gives a new order."""
    first = np.concatenate(training.minibatch_indices(100, 10, 0))
    second = np.concatenate(training.minibatch_indices(100, 10, 1))
    assert not np.array_equal(first, np.arange(100))
    assert not np.array_equal(first, second)


def test_minibatch_indices_reject_bad_arguments():
    with pytest.raises(ValueError, match=r"^m must be an integer >= 1"):
        training.minibatch_indices(0, 2, 0)
    with pytest.raises(ValueError, match=r"^batch_size must be an integer >= 1"):
        training.minibatch_indices(5, 0, 0)
    with pytest.raises((TypeError, ValueError), match=r"^seed must be"):
        training.minibatch_indices(5, 2, -1)


def test_sgd_step_returns_new_arrays():
    weights, biases, X, Y = _small(3)
    _, dW, db = net.gradients(weights, biases, X, Y)
    copies = [p.copy() for p in weights + biases]
    new_w, new_b = training.sgd_step(weights, biases, dW, db, lr=0.1)
    for old, new, d in zip(weights + biases, new_w + new_b, dW + db):
        np.testing.assert_array_equal(new, old - 0.1 * d)
    for p, c in zip(weights + biases, copies):
        np.testing.assert_array_equal(p, c)
    with pytest.raises(ValueError, match=r"^lr must be a positive finite number"):
        training.sgd_step(weights, biases, dW, db, lr=-1.0)
    with pytest.raises(ValueError, match=r"^dweights\[0\] has shape \(3, 4\) but weights\[0\] has shape \(4, 3\)"):
        training.sgd_step(weights, biases, [dW[0].T, dW[1]], db, lr=0.1)


def test_train_learns_xor_deterministically_and_leaves_inputs_alone():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    weights, biases = net.init_network([2, 8, 1], seed=3, hidden="tanh")
    before = [p.copy() for p in weights + biases]
    kwargs = dict(lr=0.5, epochs=300, batch_size=2, seed=1, hidden="tanh", loss="binary_cross_entropy")
    result = training.train(weights, biases, X, Y, **kwargs)
    again = training.train(weights, biases, X, Y, **kwargs)
    assert result.history.shape == (301,)
    assert result.history[-1] < 0.1 * result.history[0]
    assert np.array_equal(result.history, again.history)
    prediction = net.predict(result.weights, result.biases, X, hidden="tanh") > 0.5
    np.testing.assert_array_equal(prediction, Y > 0.5)
    for p, c in zip(weights + biases, before):
        np.testing.assert_array_equal(p, c)


def test_train_with_zero_epochs_only_measures():
    weights, biases, X, Y = _small(4)
    result = training.train(weights, biases, X, Y, lr=0.1, epochs=0)
    assert result.history.shape == (1,)
    assert result.history[0] == net.network_cost(weights, biases, X, Y)


def test_train_rejects_bad_hyperparameters():
    weights, biases, X, Y = _small(4)
    with pytest.raises(ValueError, match=r"^epochs must be an integer >= 0"):
        training.train(weights, biases, X, Y, lr=0.1, epochs=-1)
    with pytest.raises(ValueError, match=r"^batch_size must be an integer >= 1"):
        training.train(weights, biases, X, Y, lr=0.1, epochs=1, batch_size=0)
    with pytest.raises(TypeError, match=r"^lr must be a positive number"):
        training.train(weights, biases, X, Y, lr="0.1", epochs=1)


