"""The gradient-check heatmap: planted bugs, per-entry relative errors, and the widget on its base."""

import numpy as np
import pytest

from course_pkg import network
from course_pkg.widgets import layers
from course_pkg.widgets.layers import (
    BUGS,
    GOOD,
    WRONG,
    GradCheckHeatmap,
    default_problem,
    gradient_map,
    numeric_gradients,
    parameter_label,
    planted_gradients,
)

#: Agreement of the correct planted function with the course's backprop (same formulas).
SAME = 1e-12
#: Agreement of the five-point differences with backprop on a smooth network.
FD_ATOL = 1e-9


def problem(hidden="sigmoid", m=4, sizes=layers.DEFAULT_SIZES, seed=5):
    return default_problem(m=m, hidden=hidden, seed=seed, sizes=sizes)


@pytest.mark.parametrize("hidden", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("output, loss", [("sigmoid", "half_squared_error"), ("identity", "squared_error"),
                                          ("sigmoid", "binary_cross_entropy")])
def test_the_correct_planted_function_is_the_courses_backprop(hidden, output, loss):
    weights, biases, X, Y = problem(hidden)
    cost, dW, db = planted_gradients("none")(weights, biases, X, Y, hidden, output, loss)
    ref_cost, ref_dW, ref_db = network.gradients(weights, biases, X, Y, hidden, output, loss)
    assert cost == ref_cost
    for got, want in zip(dW + db, ref_dW + ref_db):
        np.testing.assert_allclose(got, want, rtol=0, atol=SAME)


def test_numeric_gradients_agree_with_backprop_and_mark_no_kink_on_a_smooth_network():
    weights, biases, X, Y = problem("sigmoid")
    numeric, kinks = numeric_gradients(weights, biases, X, Y, hidden="sigmoid")
    _, dW, db = network.gradients(weights, biases, X, Y, hidden="sigmoid")
    for l in range(3):
        np.testing.assert_allclose(numeric[f"weights[{l}]"], dW[l], atol=FD_ATOL, rtol=0)
        np.testing.assert_allclose(numeric[f"biases[{l}]"], db[l], atol=FD_ATOL, rtol=0)
        assert not kinks[f"weights[{l}]"].any() and not kinks[f"biases[{l}]"].any()


def test_an_entry_whose_step_crosses_a_relu_kink_is_marked_and_skipped():
    weights, biases = network.init_network([2, 3, 1], seed=7)
    X, Y = np.array([[0.5, -1.0]]), np.array([[1.0]])
    biases[0][0] = 3e-5 - float(X[0] @ weights[0][0])  # z_1 of layer 1 sits within the step of 0
    numeric, kinks = numeric_gradients(weights, biases, X, Y)
    assert kinks["biases[0]"][0] and not kinks["biases[1]"].any()
    result = gradient_map(planted_gradients("none"), weights, biases, X, Y)
    assert np.isnan(result.errors["biases[0]"][0]) and result.kinks >= 1
    assert result.passed and "skipped" in result.summary()


def test_the_correct_backward_shows_an_all_clear_map():
    for hidden in ("relu", "sigmoid"):
        for m in (1, 4):
            result = gradient_map(planted_gradients("none"), *problem(hidden, m), hidden=hidden)
            assert result.passed and result.worst[4] <= GOOD and not result.shape_errors
            assert result.summary().startswith("All clear")


def test_missing_one_over_m_shows_with_a_batch_and_hides_with_one_example():
    result = gradient_map(planted_gradients("missing_1_over_m"), *problem("sigmoid", 4), hidden="sigmoid")
    for errors in result.errors.values():
        np.testing.assert_allclose(errors, 0.75, rtol=1e-6)  # (m − 1)/m for m = 4
    assert "wrong" in result.summary()
    assert gradient_map(planted_gradients("missing_1_over_m"), *problem("sigmoid", 1), hidden="sigmoid").passed


def test_a_transposed_dw_fails_on_shape_except_for_the_square_matrix_where_only_off_diagonal_entries_are_wrong():
    result = gradient_map(planted_gradients("transposed_dW"), *problem("sigmoid"), hidden="sigmoid")
    assert result.shape_errors == ["weights[0]", "weights[2]"]
    assert result.shapes["weights[0]"] == ((3, 4), (4, 3))
    square = result.errors["weights[1]"]
    assert np.all(np.diag(square) <= GOOD)
    assert np.all(square[~np.eye(4, dtype=bool)] >= WRONG)
    assert result.worst[0] == "weights[1]" and result.worst[1][0] != result.worst[1][1]
    text = result.summary()
    assert "dW^[1] has shape (3, 4), but W^[1] is (4, 3)" in text and "dW^[2]" in text


def test_db_on_the_wrong_axis_slips_past_the_shape_check_where_m_equals_the_width():
    result = gradient_map(planted_gradients("db_wrong_axis"), *problem("sigmoid", 4), hidden="sigmoid")
    assert result.shape_errors == ["biases[2]"]  # b^[3] has 2 entries, the batch 4
    assert np.max(result.errors["biases[0]"]) >= WRONG and np.max(result.errors["biases[1]"]) >= WRONG
    assert np.all(result.errors["weights[0]"] <= GOOD)


def test_wrong_sign_gives_two_everywhere():
    result = gradient_map(planted_gradients("wrong_sign"), *problem("relu"), hidden="relu")
    for errors in result.errors.values():
        assert np.all((np.abs(errors - 2.0) <= 1e-6) | (errors <= GOOD))  # exact zeros stay zero
    assert result.worst[4] == pytest.approx(2.0)


def test_missing_g_prime_hits_every_layer_below_the_output():
    result = gradient_map(planted_gradients("missing_g_prime"), *problem("sigmoid"), hidden="sigmoid")
    assert np.all(result.errors["weights[2]"] <= GOOD) and np.all(result.errors["biases[2]"] <= GOOD)
    for name in ("weights[0]", "biases[0]", "weights[1]", "biases[1]"):
        assert np.all(result.errors[name] >= WRONG), name
    relu = gradient_map(planted_gradients("missing_g_prime"), *problem("relu"), hidden="relu")
    assert not relu.passed
    hit = relu.errors["biases[1]"] >= WRONG
    assert hit.any() and not hit.all()  # only where a ReLU is off for some example


def test_planted_gradients_refuses_an_unknown_bug():
    with pytest.raises(ValueError, match="bug must be one of"):
        planted_gradients("typo")


def test_parameter_labels_follow_the_courses_notation():
    assert parameter_label("weights[0]") == "W^[1]" and parameter_label("biases[2]") == "b^[3]"


# ---------------------------------------------------------------------------------------------
# the widget


def test_widget_state_follows_every_control_and_redraws_in_place():
    w = GradCheckHeatmap()
    assert w.result.passed and w.full_redraws == 1 and bytes(w.image.value[:4]) == b"\x89PNG"
    figure = w.figure
    for bug in BUGS:
        w.controls["bug"].value = bug
        assert w.bug == bug and w.result.passed == (bug == "none")
        assert BUGS[bug] in w.label.value
    w.controls["m"].value = 1
    assert w.m == 1 and w.problem[2].shape == (1, 3)
    w.controls["hidden"].value = "sigmoid"
    assert w.hidden == "sigmoid"
    assert w.figure is figure and w.full_redraws == 1 and w.redraws == 1 + (len(BUGS) - 1) + 2


def test_widget_caption_names_the_worst_entry_and_the_map_marks_it():
    w = GradCheckHeatmap(bug="wrong_sign")
    name, index = w.worst[0], w.worst[1]
    code = f"{name}[{', '.join(map(str, index))}]"
    assert code in w.label.value and "wrong: that is a bug" in w.label.value
    mark = w._marks[name]
    assert list(mark.get_xdata()) == [index[1] if len(index) == 2 else 0]
    assert all(len(m.get_xdata()) == 0 for n, m in w._marks.items() if n != name)


def test_widget_shows_shape_errors_on_the_map():
    w = GradCheckHeatmap(bug="transposed_dW")
    assert w._notes["weights[0]"].get_visible() and "(3, 4)" in w._notes["weights[0]"].get_text()
    assert not w._notes["weights[1]"].get_visible()
    assert np.all(np.isnan(w._images["weights[0]"].get_array().filled(np.nan)))
    w.controls["bug"].value = "none"
    assert not any(note.get_visible() for note in w._notes.values())


def test_widget_without_drawing_computes_the_same_state():
    w = GradCheckHeatmap(bug="missing_1_over_m", m=3, hidden="sigmoid", draw=False)
    assert w.figure is None and w.redraws == 0
    assert w.worst[4] == pytest.approx(2 / 3, rel=1e-6)


def test_finite_differences_are_computed_once_per_batch_and_activation():
    w = GradCheckHeatmap(draw=False)
    for bug in BUGS:
        w.controls["bug"].value = bug
    assert list(w._numeric) == [(4, "relu")]


@pytest.mark.parametrize("kwargs, message", [
    ({"bug": "typo"}, "bug must be one of"),
    ({"m": 0}, "m must be an integer from 1 to 8"),
    ({"m": 2.5}, "m must be an integer"),
    ({"hidden": "tanh"}, "hidden must be one of"),
])
def test_widget_refuses_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GradCheckHeatmap(**kwargs)
