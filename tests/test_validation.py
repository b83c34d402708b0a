"""Tests for course_pkg._validation: every message names the argument, what came, what was expected."""

import numpy as np
import pytest

from course_pkg._validation import (
    as_float_array,
    check_choice,
    check_finite,
    check_in_range,
    check_layers,
    check_positive_int,
    check_same_shape,
    check_seed,
    check_X,
    check_Y,
)


def test_float64_arrays_pass_through_without_a_copy():
    X = np.ones((2, 3))
    assert as_float_array(X, "X") is X


def test_integers_and_bools_become_new_float64_arrays():
    raw = np.array([[1, 2]], dtype=np.int32)
    out = as_float_array(raw, "X")
    assert out.dtype == np.float64 and out is not raw
    assert as_float_array(True, "z") == 1.0


@pytest.mark.parametrize("value", ["1.0", b"1", None, {"a": 1}])
def test_non_numbers_raise_type_error_naming_the_argument(value):
    with pytest.raises(TypeError, match=r"^X must"):
        as_float_array(value, "X")


def test_ragged_lists_raise_type_error():
    with pytest.raises(TypeError, match=r"X is ragged"):
        as_float_array([[1.0, 2.0], [3.0]], "X")


def test_complex_numbers_raise_type_error():
    with pytest.raises(TypeError, match=r"z must contain real numbers; got complex"):
        as_float_array([1 + 2j], "z")


def test_object_arrays_of_strings_raise_type_error():
    with pytest.raises(TypeError, match=r"Y must contain real numbers"):
        as_float_array(np.array(["a", "b"], dtype=object), "Y")


@pytest.mark.parametrize(("bad", "word"), [(np.nan, "NaN"), (np.inf, "inf"), (-np.inf, "inf")])
def test_nan_and_inf_are_reported_with_their_index(bad, word):
    X = np.zeros((2, 3))
    X[1, 2] = bad
    with pytest.raises(ValueError, match=rf"^X contains {word} at index \(1, 2\); expected finite numbers$"):
        as_float_array(X, "X")


def test_nonfinite_can_be_allowed():
    assert np.isnan(as_float_array([np.nan], "z", allow_nonfinite=True)[0])


def test_wrong_number_of_dimensions():
    with pytest.raises(ValueError, match=r"X has shape \(3,\) \(1-D\); expected 2-D"):
        as_float_array([1.0, 2.0, 3.0], "X", ndim=2)


def test_finite_values_whose_sum_overflows_are_accepted():
    huge = np.full(4, 1e308)
    check_finite(huge, "W")  # the sum is inf, the entries are not


def test_check_choice_lists_the_allowed_names():
    with pytest.raises(ValueError, match=r"^loss='mse' is not one of 'a', 'b'$"):
        check_choice("mse", "loss", ("a", "b"))
    with pytest.raises(TypeError, match=r"^loss must be a string, one of 'a', 'b'"):
        check_choice(3, "loss", ("a", "b"))


def _net(*sizes):
    return [np.ones((o, i)) for i, o in zip(sizes[:-1], sizes[1:])], [np.zeros(o) for o in sizes[1:]]


def test_check_layers_accepts_a_valid_network_without_copying():
    W, b = _net(2, 4, 1)
    Ws, bs = check_layers(W, b)
    assert all(x is y for x, y in zip(Ws + bs, W + b))


def test_layers_must_be_lists():
    W, b = _net(2, 1)
    with pytest.raises(TypeError, match=r"^weights must be a list with one array per layer; got an array"):
        check_layers(W[0], b)
    with pytest.raises(TypeError, match=r"^biases must be a list"):
        check_layers(W, b[0])


def test_empty_network():
    with pytest.raises(ValueError, match=r"^weights is empty"):
        check_layers([], [])


def test_layer_counts_must_agree():
    W, b = _net(2, 3, 1)
    with pytest.raises(ValueError, match=r"^weights has 2 layers but biases has 1"):
        check_layers(W, b[:1])


def test_bias_must_match_its_weight():
    W, b = _net(2, 3, 1)
    b[0] = np.zeros(4)
    with pytest.raises(ValueError, match=r"^biases\[0\] has shape \(4,\) but weights\[0\] has shape \(3, 2\); expected shape \(3,\)"):
        check_layers(W, b)


def test_column_bias_is_rejected_with_the_expected_shape():
    W, b = _net(2, 3)
    with pytest.raises(ValueError, match=r"biases\[0\] has shape \(3, 1\).*expected shape \(3,\)"):
        check_layers(W, [np.zeros((3, 1))])


def test_layers_must_chain():
    W, b = _net(2, 4, 1)
    W[1] = np.ones((1, 3))
    with pytest.raises(ValueError, match=r"^weights\[1\] has shape \(1, 3\) but weights\[0\] has 4 outputs \(shape \(4, 2\)\); layer 2 expects 4 inputs"):
        check_layers(W, b)


def test_nan_in_a_weight_names_the_layer():
    W, b = _net(2, 4, 1)
    W[1] = W[1].copy()
    W[1][0, 3] = np.nan
    with pytest.raises(ValueError, match=r"^weights\[1\] contains NaN at index \(0, 3\)"):
        check_layers(W, b)


def test_X_width_message_is_the_documented_one():
    W, _ = _net(2, 4)
    with pytest.raises(ValueError, match=r"^X has 3 columns but weights\[0\] expects 2 inputs \(shape \(4, 2\)\)"):
        check_X(np.ones((5, 3)), W)


def test_X_must_be_2d_with_a_reshape_hint():
    W, _ = _net(2, 4)
    with pytest.raises(ValueError, match=r"X has shape \(2,\) \(1-D\).*X.reshape\(1, -1\)"):
        check_X(np.ones(2), W)


def test_X_without_rows():
    W, _ = _net(2, 4)
    with pytest.raises(ValueError, match=r"X has 0 rows"):
        check_X(np.ones((0, 2)), W)


def test_Y_rows_must_match_X():
    W, _ = _net(2, 1)
    with pytest.raises(ValueError, match=r"^Y has 5 rows but X has 4; one row per example$"):
        check_Y(np.ones((5, 1)), np.ones((4, 2)), W)


def test_Y_columns_must_match_the_last_layer():
    W, _ = _net(2, 3, 2)
    with pytest.raises(ValueError, match=r"^Y has 1 columns but the last layer weights\[1\] has 2 outputs"):
        check_Y(np.ones((4, 1)), np.ones((4, 2)), W)


def test_Y_must_be_2d_with_a_reshape_hint():
    W, _ = _net(2, 1)
    with pytest.raises(ValueError, match=r"Y has shape \(4,\) \(1-D\).*Y.reshape\(-1, 1\)"):
        check_Y(np.ones(4), np.ones((4, 2)), W)


def test_same_shape_and_range_checks():
    with pytest.raises(ValueError, match=r"^a has shape \(2,\) but y has shape \(3,\)"):
        check_same_shape(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match=r"^y\[0, 1\] = -0.5 is outside \[0.0, inf\); why$"):
        check_in_range(np.array([[0.0, -0.5]]), "y", 0.0, None, "why")
    with pytest.raises(ValueError, match=r"^y = 2.0 is outside \[0.0, 1.0\]"):
        check_in_range(np.array(2.0), "y", 0.0, 1.0, "why")


@pytest.mark.parametrize("bad", [1.5, "3", True, None])
def test_positive_int_type(bad):
    with pytest.raises(TypeError, match=r"^n must be an integer >= 1"):
        check_positive_int(bad, "n")


def test_positive_int_and_seed_values():
    assert check_positive_int(np.int64(3), "n") == 3
    assert check_seed(0) == 0
    with pytest.raises(ValueError, match=r"^seed must be an integer >= 0; got -1$"):
        check_seed(-1)
