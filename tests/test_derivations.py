"""The course's derivations: each one verifies, and a planted slip is caught at the right step."""

from dataclasses import replace

import pytest
import sympy

from course_pkg import derivations as D
from course_pkg.symbolic import check_derivation, equivalent, sigmoid


def test_sigmoid_derivative_line_by_line():
    """Every line equals the one before, from dσ/dz to σ(z)(1 − σ(z))."""
    d = D.SIGMOID_DERIVATIVE
    z = sympy.Symbol("z")
    assert len(d.steps) >= 8
    assert d.expressions[0] == sympy.Derivative(sigmoid(z), z)
    assert d.expressions[-1] == sigmoid(z) * (1 - sigmoid(z))
    v = d.verify()
    assert v.ok and v.failed_step is None, v.message


def test_sigmoid_derivative_with_a_lost_minus_sign_fails_at_that_line():
    d = D.SIGMOID_DERIVATIVE
    z = sympy.Symbol("z")
    steps = list(d.steps)
    expr, why = steps[3]
    steps[3] = (sympy.Mul(-((1 + sympy.exp(-z)) ** -2), sympy.exp(-z), evaluate=False), why)
    broken = replace(d, steps=tuple(steps), _cache={})
    v = broken.verify()
    assert (v.ok, v.failed_step, v.kind) == (False, 3, "sign")


def test_relu_derivative():
    v = D.RELU_DERIVATIVE.verify()
    assert v.ok, v.message
    z = sympy.Symbol("z")
    assert D.RELU_DERIVATIVE.expressions[-1].subs(z, 0) == 0  # the convention g'(0) = 0


def test_chain_rule_generic_and_concrete():
    assert D.chain_rule().verify().ok
    d = D.chain_rule([sympy.sin, sympy.exp, sigmoid, lambda u: u**3])
    assert d.verify().ok
    assert len(d.steps) == 3
    with pytest.raises(ValueError, match="functions is empty"):
        D.chain_rule([])


def test_chain_rule_shows_the_composition_then_the_visible_product_of_local_derivatives():
    """d/dx a(b(c(d(x)))) = a'(b(c(d(x)))) · b'(c(d(x))) · c'(d(x)) · d'(x), and nothing trivial."""
    x = sympy.Symbol("x")
    a, b, c, d = (sympy.Function(n) for n in "abcd")
    derivation = D.chain_rule()
    first, product = derivation.expressions
    assert first == sympy.Derivative(a(b(c(d(x)))), x)
    assert isinstance(product, sympy.Mul) and len(product.args) == 4
    lines = derivation._lines()
    assert len(lines) == 1  # one equation: the composition on the left, the product on the right
    lhs, rhs = lines[0].split("&=")
    assert lhs.strip() == r"\frac{d}{d x} a{\left(b{\left(c{\left(d{\left(x \right)} \right)} \right)} \right)}"
    factors = rhs.split(r"\quad")[0].split(r" \cdot ")
    assert [f.strip() for f in factors] == [
        r"a'\left(b{\left(c{\left(d{\left(x \right)} \right)} \right)}\right)",
        r"b'\left(c{\left(d{\left(x \right)} \right)}\right)",
        r"c'\left(d{\left(x \right)}\right)",
        r"d'\left(x\right)",
    ]
    assert derivation._repr_latex_().count(r"\frac{d}{d x}") == 1
    verdict = derivation.verify()
    assert verdict.ok and verdict.failed_step is None, verdict.message


def test_chain_rule_product_with_a_missing_link_fails_at_the_product():
    derivation = D.chain_rule()
    first, product = derivation.steps
    shorter = sympy.Mul(*product[0].args[:-1], evaluate=False)  # d'(x) forgotten
    broken = replace(derivation, steps=(first, (shorter, product[1])), products=(1,), _cache={})
    v = broken.verify()
    assert (v.ok, v.failed_step) == (False, 1)


def test_chain_rule_on_concrete_functions_shows_each_local_derivative():
    x = sympy.Symbol("x")
    derivation = D.chain_rule([sympy.sin, sympy.exp, lambda u: u**2])
    assert derivation.expressions[1].args == (sympy.cos(sympy.exp(x**2)), sympy.exp(x**2), 2 * x)
    assert r"\cos{\left(e^{x^{2}} \right)} \cdot e^{x^{2}} \cdot 2 x" in derivation._repr_latex_()
    assert derivation.verify().ok
    single = D.chain_rule([sympy.sin])
    assert single.verify().ok and single.products == ()


def test_justifications_may_mix_text_and_maths():
    """'$…$, by hand' renders as maths then text, in LaTeX and in HTML."""
    x = sympy.Symbol("x")
    d = D.Derivation(
        "Mixed", r"\frac{d}{dx} x^2",
        ((sympy.Derivative(x**2, x), ""), (2 * x, r"$\frac{d}{dx} x^n = n x^{n-1}$, by hand")),
    )
    assert r"{\frac{d}{dx} x^n = n x^{n-1}}\text{, by hand}" in d._repr_latex_()
    page = d._repr_html_()
    assert "$" not in page.replace(r"\$", "") and "by hand" in page
    assert d.verify().ok


def test_derivation_arguments_are_validated():
    x = sympy.Symbol("x")
    with pytest.raises(ValueError, match=r"steps\[1\]: justification .* unmatched"):
        D.Derivation("t", "q", ((x, ""), (x, "$x, by hand")))
    with pytest.raises(ValueError, match="quantity is empty, so step 0 is the left-hand side"):
        D.Derivation("t", "", ((x, "why"), (x, "")))
    with pytest.raises(ValueError, match="step 0 is not a product"):
        D.Derivation("t", "q", ((x, ""),), products=(0,))
    with pytest.raises(ValueError, match="expected indices of steps, 0 to 0"):
        D.Derivation("t", "q", ((x, ""),), products=(3,))


def test_scalar_network_chain_line_is_a_visible_product():
    d = D.scalar_network_partials()["b1"]
    line = d._lines()[1]
    assert line.count(r"\cdot") == 6 and r"H\left(z^{[1]}\right)" in line
    assert r"2 \left(\hat{y} - y\right)" in line


def test_chain_rule_missing_a_link_is_caught():
    x = sympy.Symbol("x")
    composed = sympy.sin(sympy.exp(x**2))
    v = check_derivation([sympy.Derivative(composed, x), sympy.cos(sympy.exp(x**2)) * sympy.exp(x**2)])
    assert (v.ok, v.failed_step, v.kind) == (False, 1, "missing_factor")


@pytest.mark.parametrize("name", ["theta1", "b1", "theta2", "b2", "theta3", "b3"])
def test_scalar_network_partials_match_sympys_derivative_of_the_composed_cost(name):
    d = D.scalar_network_partials()[name]
    assert d.verify().ok, d.verify().message
    # Step 0 is SymPy's own derivative of the fully composed cost.
    first = d.expanded_steps()[0]
    assert isinstance(first, sympy.Derivative)
    assert not (first.expr.free_symbols & {s for s, _ in d.definitions})


def test_scalar_network_uses_each_layers_own_input():
    """z2 = θ2 a1 + b2 (seed 000's θᵀx for every layer is the slip fixed here)."""
    d = D.scalar_network_partials()["theta2"]
    defs = dict(d.definitions)
    names = {s.name: s for s in defs}
    assert defs[names["z^{[2]}"]] == sympy.Symbol("theta_2") * names["a^{[1]}"] + sympy.Symbol("b_2")


def test_scalar_network_with_seed_000s_slip_is_caught():
    """Using x (θᵀx) as the input of layer 2 gives a different gradient."""
    d = D.scalar_network_partials()["theta2"]
    names = {s.name: s for s, _ in d.definitions}
    wrong = tuple(
        (s, sympy.Symbol("theta_2") * sympy.Symbol("x") + sympy.Symbol("b_2")) if s.name == "z^{[2]}" else (s, v)
        for s, v in d.definitions
    )
    # The chain-rule line keeps a1 as the local derivative; with the slip the cost no longer agrees.
    broken = replace(d, definitions=wrong, _cache={})
    assert not broken.verify().ok
    assert "z^{[2]}" in names


def test_backprop_equations_verify_for_every_neuron():
    eqs = D.backprop_equations((2, 2, 2))
    assert set(eqs) == {"BP1", "BP2", "BP3", "BP4"}
    assert (len(eqs["BP1"]), len(eqs["BP2"]), len(eqs["BP3"]), len(eqs["BP4"])) == (2, 2, 2, 4)
    for name, derivations in eqs.items():
        for d in derivations:
            v = d.verify()
            assert v.ok, f"{name} {d.title}: {v.message}"


def test_seed_001_slips_are_caught():
    """BP4 with a_j instead of a_k, and BP1 with g' at the wrong neuron, do not verify."""
    eqs = D.backprop_equations((2, 2, 2))
    bp4 = eqs["BP4"][1]  # w_12: the right factor is a_2^[1]
    last, why = bp4.steps[-1]
    a1 = next(s for s in last.free_symbols if s.name == "a^{[1]}_{2}")
    slip = replace(bp4, steps=bp4.steps[:-1] + ((last.xreplace({a1: sympy.Symbol("a^{[1]}_{1}")}), why),), _cache={})
    assert slip.verify().failed_step == 2

    bp1 = eqs["BP1"][0]
    lhs, rhs = bp1.expressions
    z1, z2 = sorted((s for s in lhs.free_symbols), key=lambda s: s.name)
    g = sympy.Function("g")
    wrong_rhs = rhs.xreplace({sympy.Derivative(g(z1), z1): sympy.Derivative(g(z2), z2)})
    assert wrong_rhs != rhs
    assert not equivalent(wrong_rhs, lhs, timeout=D.COURSE_TIMEOUT).ok


def test_backprop_on_a_whole_network():
    v = D.backprop_on_network((2, 2, 2))
    assert v.ok, v.message
    assert "12 weights and biases" in v.message


def test_sizes_are_validated():
    with pytest.raises(ValueError, match="need at least 3"):
        D.backprop_equations((2, 2))
    with pytest.raises(TypeError, match="sizes must be a tuple of ints"):
        D.backprop_equations("222")
    with pytest.raises(ValueError, match="at most 4 neurons"):
        D.backprop_on_network((2, 9))


def test_rendering():
    d = D.SIGMOID_DERIVATIVE
    d.verify()
    page = d._repr_html_()
    assert "The derivative of the sigmoid" in page and "✓" in page
    assert d._repr_latex_().startswith(r"$\displaystyle \begin{aligned}")
    x = sympy.Symbol("x")
    hostile = D.Derivation("<img src=x onerror=alert(1)>", "x", ((x, "<b>why</b>"),))
    assert "<img" not in hostile._repr_html_() and "&lt;img" in hostile._repr_html_()


# --- notebook 04: fan-out, the four equations step by step, the matrix forms ---------------------


def test_fan_out_is_the_sum_of_both_paths_and_one_path_alone_fails():
    """∂c/∂a = w1 e1 + w2 e2 follows; keeping only the first path's product does not."""
    d = D.fan_out()
    assert d.verify().ok, d.verify().message
    e1, w1 = sympy.Symbol("e_1"), sympy.Symbol("w_1")
    steps = list(d.steps)
    steps[2] = (w1 * e1, steps[2][1])
    v = replace(d, steps=tuple(steps), _cache={}).verify()
    assert (v.ok, v.failed_step) == (False, 2)


@pytest.mark.parametrize("sizes", [(2, 3, 2), (2, 2, 2), (3, 2, 2, 2)])
def test_four_equations_every_step_of_every_neuron_verifies(sizes):
    """Each of BP1–BP4 is proved step by step, for every neuron and weight of the shape."""
    eqs = D.four_equations(sizes)
    L = len(sizes) - 1
    assert [len(eqs[k]) for k in ("BP1", "BP2", "BP3", "BP4")] == [
        sizes[L], sizes[L - 1], sizes[L - 1], sizes[L - 1] * sizes[L - 2]]
    for name, derivations in eqs.items():
        for d in derivations:
            v = d.verify()
            assert v.ok, f"{name} {d.title}: {v.message}"


def test_bp1_with_the_seeds_layer_slip_fails_at_the_last_step():
    """Seed 001's BP1 writes g'(z_j^[l]) for g'(z_j^[L]); on a 2-2-2 network that is g'(z^[1]), which is wrong."""
    d = D.four_equations((2, 2, 2))["BP1"][0]
    g = sympy.Function("g")
    dc_da = d.steps[-1][0].args[0]
    z_wrong = sympy.Symbol("z^{[1]}_{1}")
    steps = list(d.steps)
    steps[-1] = (sympy.Mul(dc_da, sympy.Derivative(g(z_wrong), z_wrong), evaluate=False), steps[-1][1])
    v = replace(d, steps=tuple(steps), products=(2,), _cache={}).verify()
    assert (v.ok, v.failed_step) == (False, len(steps) - 1)


def test_bp4_with_a_k_and_a_j_swapped_fails():
    """∂c/∂w_12 = a_2 e_1, not a_1 e_2 (the index of the input is k, of the error j)."""
    d = D.four_equations((2, 2, 2))["BP4"][1]  # w_12
    a1, e2 = sympy.Symbol("a^{[0]}_{1}"), sympy.Symbol("e^{[1]}_{2}")
    assert d.verify().ok
    steps = list(d.steps)
    steps[-1] = (a1 * e2, steps[-1][1])
    v = replace(d, steps=tuple(steps), products=(2,), _cache={}).verify()
    assert (v.ok, v.failed_step) == (False, len(steps) - 1)


def test_matrix_forms_equal_the_index_forms_and_W_instead_of_W_transposed_does_not():
    forms = D.matrix_forms((2, 2, 2))
    for name, form in forms.items():
        v = form.verify()
        assert v.ok, v.message
    assert forms["BP4"].matrix.shape == (2, 2) and D.matrix_forms()["BP4"].matrix.shape == (3, 2)
    bp2 = forms["BP2"]
    e = sympy.ImmutableMatrix(sympy.symbols("e^{[2]}_{1} e^{[2]}_{2}"))
    W = sympy.ImmutableMatrix(2, 2, sympy.symbols("w^{[2]}_{11} w^{[2]}_{12} w^{[2]}_{21} w^{[2]}_{22}"))
    gp = sympy.ImmutableMatrix([d for d in (bp2.matrix[i].args[-1] for i in range(2))])
    wrong = replace(bp2, matrix=sympy.ImmutableMatrix((W * e).multiply_elementwise(gp)))
    v = wrong.verify()
    assert not v.ok and "entry" in v.message
    shape = replace(bp2, matrix=bp2.matrix.T).verify()
    assert not shape.ok and "shape" in shape.message
    assert r"\odot" in bp2._repr_latex_()
