"""evaluate_answer: the numeric twin of a typed answer, read safely and run under the time limit."""

import math
from concurrent.futures import ThreadPoolExecutor

import pytest

from course_pkg.symbolic import AnswerFormatError, evaluate_answer
from course_pkg.symbolic import worker


def test_values_match_the_formula():
    values = evaluate_answer("2*x*cos(x^2)", [{"x": v} for v in (0.3, -1.2, 2.0)], variables=["x"])
    assert values == pytest.approx([2 * v * math.cos(v * v) for v in (0.3, -1.2, 2.0)], rel=1e-14)


def test_the_notebooks_names_and_the_relu_convention():
    point = {"z1": 0.0, "z2": 1.5, "z3": 0.2, "theta2": 0.5, "theta3": -2.0, "y": 1.0}
    (value,) = evaluate_answer("2*(ŷ - y)*σ′(z3)*θ3*g′(z2)*theta2*g′(z1)", [point],
                               variables=["y_hat", "y", "z1", "z2", "z3", "theta2", "theta3"],
                               functions={"g": "relu"}, substitutions={"y_hat": "sigmoid(z3)"})
    assert value == 0.0  # g′(0) = 0, the course's convention
    point["z1"] = 0.4
    (value,) = evaluate_answer("2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*H(z2)*theta2*H(z1)", [point],
                               variables=["y_hat", "y", "z1", "z2", "z3", "theta2", "theta3"],
                               substitutions={"y_hat": "sigmoid(z3)"})
    s = 1 / (1 + math.exp(-0.2))
    assert value == pytest.approx(2 * (s - 1) * s * (1 - s) * -2.0 * 0.5, rel=1e-14)


def test_undefined_points_give_none_and_bad_text_a_format_error():
    assert evaluate_answer("log(x)", [{"x": -1.0}, {"x": 0.0}]) == (None, None)
    with pytest.raises(AnswerFormatError):
        evaluate_answer("__import__('os')", [{"x": 1.0}])


def test_arguments_are_validated():
    with pytest.raises(TypeError, match="answer must be a string"):
        evaluate_answer(3, [{"x": 1.0}])
    with pytest.raises(ValueError, match=r"points\[0\]\['x'\] must be a finite number"):
        evaluate_answer("x", [{"x": float("nan")}])
    with pytest.raises(ValueError, match="no value for y"):
        evaluate_answer("x*y", [{"x": 1.0}])


def test_the_twin_runs_under_the_time_limit():
    heavy = "+".join(f"sin(z*{k})^{k % 7 + 2}" for k in range(1, 60))
    points = [{"z": 0.1 * k} for k in range(200)]
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(evaluate_answer, heavy, points, timeout=0.01)
        with pytest.raises(TimeoutError):
            future.result(timeout=30)
    assert evaluate_answer("z", [{"z": 2.0}]) == (2.0,)
    assert issubclass(worker.WorkerTimeout, TimeoutError)


def test_the_twin_can_refuse_a_prime_too():
    with pytest.raises(AnswerFormatError, match="the derivative of tanh"):
        evaluate_answer("tanh′(z)", [{"z": 1.0}], derivatives=())
