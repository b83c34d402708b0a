"""The mpmath evaluator: values, kinks, refusals of huge numbers, sample points, generic g."""

import mpmath
import pytest
import sympy

from course_pkg.symbolic import sigmoid
from course_pkg.symbolic.numeric import BadPoint, evaluate, instantiate_functions, sample_points

#: Agreement required between the evaluator and mpmath computed directly.
VALUE_TOL = 1e-30

z, x = sympy.symbols("z x")


def test_values_match_mpmath_to_high_precision():
    with mpmath.workdps(40):
        point = {z: mpmath.mpf("0.7")}
        value, kink = evaluate(sigmoid(z) * sympy.exp(-z) + sympy.tanh(z) ** 2, point)
        direct = 1 / (1 + mpmath.exp(-point[z])) * mpmath.exp(-point[z]) + mpmath.tanh(point[z]) ** 2
        assert abs(value - direct) < VALUE_TOL
        assert kink == mpmath.inf


def test_kinks_report_their_distance():
    value, kink = evaluate(sympy.Max(0, z - 1) + sympy.Abs(z), {z: mpmath.mpf("1.25")})
    assert float(value) == pytest.approx(1.5)
    assert float(kink) == pytest.approx(0.25)
    value, kink = evaluate(sympy.Piecewise((1, z > 2), (0, True)), {z: mpmath.mpf(3)})
    assert float(value) == 1.0 and float(kink) == pytest.approx(1.0)


def test_negative_logs_are_complex_and_poles_are_bad_points():
    value, _ = evaluate(sympy.log(z), {z: mpmath.mpf(-1)})
    assert isinstance(value, mpmath.mpc)
    with pytest.raises(BadPoint):
        evaluate(1 / (z - 1), {z: mpmath.mpf(1)})
    with pytest.raises(BadPoint):
        evaluate(sympy.exp(sympy.exp(z)), {z: mpmath.mpf(20)})


def test_sample_points_are_deterministic_mixed_and_respect_assumptions():
    p = sympy.Symbol("p", positive=True)
    first = sample_points([z, p], 30, seed=3)
    assert first == sample_points([z, p], 30, seed=3)
    assert any(pt[z] < 0 for pt in first) and any(pt[z] > 0 for pt in first)
    assert all(pt[p] > 0 for pt in first)
    assert all(pt[z] != int(pt[z]) for pt in first)


def test_generic_functions_become_concrete():
    g = sympy.Function("g")
    [expr] = instantiate_functions([g(x) + sympy.diff(g(x), x)])
    assert not expr.has(g) and not expr.has(sympy.Derivative)
    assert expr.free_symbols == {x}
