"""Equivalence sampling covers the whole domain that matters: large and tiny |x|, both sides of
every kink, not only the band near the origin; correct answers stay correct out there."""

import pytest
import sympy

from course_pkg.symbolic import equivalent
from course_pkg.symbolic.equivalence import WIDE_LARGE, _values, _wide_points
from course_pkg.symbolic.numeric import kink_thresholds

x, z, w = sympy.symbols("x z w")


@pytest.mark.parametrize("planted, expected", [
    ("x + Max(0, x^2 - 16)", "x"),  # right for |x| < 4 only
    ("x*Heaviside(10 - Abs(x))", "x"),  # right for |x| < 10 only
    ("Min(x, 9)", "x"),  # right below 9
    ("x + Max(0, x - 20)", "x"),  # right below 20
    ("x + Max(0, 0.001 - Abs(x))", "x"),  # wrong only in a tiny band around 0
    ("sigmoid(z)*(1 - sigmoid(z)) + Max(0, Abs(z) - 12)", "sigmoid(z)*(1 - sigmoid(z))"),
])
def test_a_formula_right_only_on_a_narrow_band_is_refused(planted, expected):
    verdict = equivalent(planted, expected)
    assert not verdict.ok, verdict.message


@pytest.mark.parametrize("answer, expected", [
    ("sigmoid(z)*(1 - sigmoid(z))", "exp(-z)/(1 + exp(-z))^2"),
    ("1 - tanh(z)^2", "4/(exp(z) + exp(-z))^2"),
    ("exp(x)/(1 + exp(x))", "1 - 1/(1 + exp(x))"),
    ("log(1 + exp(x)) - x", "log(1 + exp(-x))"),
    ("(x + 1)^2 - x^2", "2*x + 1"),
    ("x*Heaviside(x)", "Max(0, x)"),
])
def test_correct_answers_stay_correct_far_from_the_origin(answer, expected):
    """Large values cancel huge terms; points whose values change with the precision are dropped."""
    verdict = equivalent(answer, expected)
    assert verdict.ok, verdict.message


def test_the_wide_points_reach_large_and_tiny_magnitudes_with_both_signs():
    points = _wide_points([x])
    values = [float(p[x]) for p in points]
    assert max(abs(v) for v in values) > WIDE_LARGE[1] / 3
    assert min(abs(v) for v in values) < 0.01
    assert any(v > 3 for v in values) and any(v < -3 for v in values)


def test_points_visit_both_sides_of_every_kink_and_the_far_region():
    points, rows, sampler = _values([sympy.Heaviside(z) * w, w], [w, z])
    zs = [float(p[z]) for p in points]
    assert any(v < 0 for v in zs) and any(v > 0 for v in zs)
    wide = _wide_points([w, z])
    assert max(abs(float(p[w])) for p in wide) > 10 and max(abs(float(p[z])) for p in wide) > 10


def test_a_polynomial_kink_in_one_symbol_is_steered_to():
    assert kink_thresholds([sympy.Max(0, x**2 - 16)], [x]) == {x: (-4.0, 4.0)}
