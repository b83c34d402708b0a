"""The mpmath evaluator: values, kinks, refusals of huge numbers, sample points, generic g."""

import mpmath
import pytest
import sympy

from course_pkg.symbolic import sigmoid
from course_pkg.symbolic.numeric import (
    BadPoint,
    KinkSampler,
    evaluate,
    instantiate_functions,
    kink_thresholds,
    sample_points,
)

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


def test_kink_thresholds_find_single_symbol_kinks_only():
    w, b, p = sympy.symbols("w b") + (sympy.Symbol("p", positive=True),)
    exprs = [
        sympy.Heaviside(z) * sympy.Max(0, 2 * z - 3) * sympy.Abs(x + 1),
        sympy.Max(0, w * x + b) + sympy.Heaviside(p) + sympy.Piecewise((1, x > 2), (0, True)),
    ]
    assert kink_thresholds(exprs, [z, x, w, b, p]) == {x: (-1.0, 2.0), z: (0.0, 1.5)}


def test_kink_sampler_visits_every_region_pattern_deterministically():
    z1, z2 = sympy.symbols("z1 z2")
    sampler = KinkSampler([x, z1, z2], {z1: (0.0,), z2: (-1.0, 1.0)}, seed=5)
    assert sampler.count() == 6 and len(sampler.patterns()) == 6
    for pattern in sampler.patterns():
        for _ in range(5):
            assert sampler.pattern_of(sampler.point(pattern)) == pattern
    again = KinkSampler([x, z1, z2], {z1: (0.0,), z2: (-1.0, 1.0)}, seed=5)
    assert again.point((1, 2)) == KinkSampler([x, z1, z2], {z1: (0.0,), z2: (-1.0, 1.0)}, seed=5).point((1, 2))
    assert sampler.describe(z2, 1) == "-1 < z2 < 1" and sampler.describe(z1, 0) == "z1 < 0"


def test_kink_sampler_knows_where_relus_are_on():
    z1, z2 = sympy.symbols("z1 z2")
    sampler = KinkSampler([z1, z2], {z1: (0.0,), z2: (0.0, 1.0)})
    on = sampler.on_pattern([sympy.Heaviside(-z1) * sympy.Max(0, z2 - 1)])
    assert on == (0, 2)
    assert sorted(sampler.neighbours(on)) == [(0, 0), (0, 1), (1, 2)]
