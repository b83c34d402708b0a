"""Backward paths of the scalar network, the multiplication counts, and the path gradients
against finite differences and the course's network."""

import numpy as np
import pytest

from course_pkg import network, paths

#: Agreement of a path gradient with the reference and with central differences.
GRAD_RTOL = 1e-7
FD_STEP = 1e-6
FD_RTOL = 1e-6


def test_path_lengths_grow_by_two_per_layer():
    for depth in range(1, 6):
        for l in range(1, depth + 1):
            for p in (f"theta{l}", f"b{l}"):
                path = paths.backward_path(p, depth)
                assert len(path) == 2 * (depth - l) + 3
                assert path[0] == ("C", "y_hat") and path[-1] == (f"z{l}", p)
                # consecutive edges chain: the lower node of one is the upper of the next
                assert all(a[1] == b[0] for a, b in zip(path, path[1:]))


@pytest.mark.parametrize("depth", range(1, 12))
def test_counts_match_the_closed_forms(depth):
    assert paths.naive_multiplications(depth) == 2 * depth * (depth + 1)
    assert paths.backprop_multiplications(depth) == 4 * depth - 1


def test_seed_network_counts():
    assert paths.naive_multiplications(3) == 24
    assert paths.backprop_multiplications(3) == 11


def _reference(x, y, thetas, biases):
    weights = [np.array([[t]]) for t in thetas]
    bs = [np.array([b]) for b in biases]
    cost, dW, db = network.gradients(weights, bs, [[x]], [[y]], loss="squared_error")
    out = {}
    for l in range(len(thetas)):
        out[f"theta{l + 1}"] = float(dW[l][0, 0])
        out[f"b{l + 1}"] = float(db[l][0])
    return cost, out


@pytest.mark.parametrize("seed", range(6))
def test_path_gradients_match_the_network_and_finite_differences(seed):
    rng = np.random.default_rng(seed)
    depth = 1 + seed % 4
    x, y = rng.normal(), rng.uniform()
    thetas = list(rng.normal(0, 1.5, depth))
    biases = list(rng.normal(0, 1.0, depth))
    got = paths.path_gradients(x, y, thetas, biases)
    cost, expected = _reference(x, y, thetas, biases)
    assert paths.forward_values(x, y, thetas, biases)["C"] == pytest.approx(cost, rel=GRAD_RTOL)
    for p in paths.parameters(depth):
        assert got[p] == pytest.approx(expected[p], rel=GRAD_RTOL, abs=1e-12)
    # central differences, away from the ReLU kinks
    values = paths.forward_values(x, y, thetas, biases)
    if all(abs(values[f"z{l}"]) > 1e-3 for l in range(1, depth)):
        params = {p: v for l in range(depth) for p, v in ((f"theta{l + 1}", thetas[l]), (f"b{l + 1}", biases[l]))}
        for p in params:
            def cost_at(shift):
                moved = dict(params, **{p: params[p] + shift})
                ts = [moved[f"theta{l + 1}"] for l in range(depth)]
                bs = [moved[f"b{l + 1}"] for l in range(depth)]
                return paths.forward_values(x, y, ts, bs)["C"]
            fd = (cost_at(FD_STEP) - cost_at(-FD_STEP)) / (2 * FD_STEP)
            assert got[p] == pytest.approx(fd, rel=FD_RTOL, abs=1e-9)


def test_a_dead_relu_blocks_every_path_below_it():
    d = paths.local_derivatives(1.0, 0.0, [1.0, -2.0, 1.0], [0.0, 0.0, 0.0])
    assert d[("a2", "z2")] == 0.0  # z2 = -2: ReLU is dead
    g = paths.path_gradients(1.0, 0.0, [1.0, -2.0, 1.0], [0.0, 0.0, 0.0])
    assert g["theta1"] == g["b1"] == g["theta2"] == g["b2"] == 0.0
    assert g["b3"] != 0.0


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: paths.backward_path("theta4"), ValueError, "parameter should be one of"),
        (lambda: paths.backward_path("w1"), ValueError, "parameter should be one of"),
        (lambda: paths.naive_multiplications(0), ValueError, "depth should be a positive integer"),
        (lambda: paths.backprop_multiplications(2.5), ValueError, "depth should be a positive integer"),
        (lambda: paths.forward_values("1", 0.0, [1.0], [0.0]), TypeError, "x should be a finite real"),
        (lambda: paths.forward_values(1.0, 0.0, [1.0, 2.0], [0.0]), ValueError, "one of each per layer"),
        (lambda: paths.forward_values(1.0, 0.0, [np.nan], [0.0]), ValueError, "thetas should hold"),
        (lambda: paths.forward_values(1.0, 0.0, None, [0.0]), TypeError, "thetas should be a sequence"),
    ],
)
def test_bad_input_names_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_inputs_are_not_mutated():
    thetas, biases = [1.0, 2.0], [0.5, -0.5]
    paths.path_gradients(0.3, 1.0, thetas, biases)
    assert thetas == [1.0, 2.0] and biases == [0.5, -0.5]
