"""Verdict: fields, truthiness, and rendering that echoes the expression and escapes user text."""

import pytest
import sympy

from course_pkg.symbolic import KINDS, Verdict, check_derivation, equivalent, sigmoid, to_latex, to_text
from course_pkg.symbolic.verdict import escape_latex_text


def test_truthiness_and_validation():
    assert Verdict(ok=True, message="m", kind="equivalent")
    assert not Verdict(ok=False, message="m", kind="wrong")
    with pytest.raises(ValueError, match="kind must be one of"):
        Verdict(ok=False, message="m", kind="nope")
    assert "timeout" in KINDS and "missing_factor" in KINDS


def test_html_echoes_the_expression_first_then_the_verdict():
    v = equivalent("σ(z)(1 − σ(z))", "exp(-z)/(1 + exp(-z))^2")
    page = v._repr_html_()
    assert page.index("You typed: <code>σ(z)(1 − σ(z))</code>") < page.index("Correct")
    assert r"\sigma\left(z\right)" in page


def test_the_echo_is_what_was_typed_not_sympys_simplified_form():
    """`x + 0`, `1*x`, `x*1` and `x` are four different texts: the echo shows each as typed."""
    typed = ["x + 0", "1*x", "(x)^1", "x"]
    echoes = [equivalent(t, "x").echo_latex for t in typed]
    assert len(set(echoes)) == 4, echoes
    v = equivalent("x + 0", "2*x")
    assert v.echo == "You typed: x + 0"
    assert v._repr_html_().index("x + 0") < v._repr_html_().index(v.message[:10])
    assert v._repr_latex_().index(v.echo_latex) < v._repr_latex_().index(r"\times\ ")


def test_html_escapes_user_text():
    v = equivalent("<script>alert(1)</script>", "z")
    page = v._repr_html_()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_latex_rendering():
    v = equivalent("2*sigmoid(z)", "sigmoid(z)")
    tex = v._repr_latex_()
    assert tex.startswith("$") and tex.endswith("$")
    assert r"\sigma" in tex and "factor of 2" in tex


def test_derivation_verdict_marks_the_failed_step():
    v = check_derivation(["(z+1)^2", "z^2 + 1"])
    page = v._repr_html_()
    assert "✗" in page and "derivation, as you typed it" in page
    assert r"\begin{aligned}" in v._repr_latex_()


def test_text_and_latex_printers():
    z = sympy.Symbol("z")
    assert to_text(sigmoid(z) ** 2) == "σ(z)^2"
    assert to_latex(sigmoid(z)) == r"\sigma\left(z\right)"
    assert escape_latex_text("a_b & {c}") == r"a\_b \& \{c\}"


@pytest.mark.parametrize(
    "number, text",
    [
        (sympy.Integer(10) ** -400, "1e-400"),
        (-sympy.Integer(10) ** 400, "-1e400"),
        (3 * sympy.Integer(10) ** 12, "3e12"),
        (sympy.Rational(10**40, 3), "≈3.333e+39"),
        (sympy.Rational(-3, 4), "-3/4"),
        (sympy.Integer(123456), "123456"),
        (sympy.Float(0.25), "0.25"),
        (sympy.Float(1.5e-300), "1.5e-300"),
        (sympy.Integer(0), "0"),
    ],
)
def test_numbers_print_compactly(number, text):
    from course_pkg.symbolic.verdict import compact_number

    assert compact_number(number) == text


def test_text_printer_shortens_huge_coefficients():
    x = sympy.Symbol("x")
    assert to_text(x / sympy.Integer(10) ** 400) == "x/1e400"
    assert to_text(x + sympy.Rational(1, 2)) == "x + 1/2"


def test_latex_writes_the_derivative_of_an_unknown_function_with_a_prime():
    x = sympy.Symbol("x")
    a, b = sympy.Function("a"), sympy.Function("b")
    t = sympy.Symbol("t")
    assert to_latex(sympy.Derivative(a(b(x)), b(x))) == r"a'\left(b{\left(x \right)}\right)"
    assert to_latex(sympy.Subs(sympy.Derivative(a(t), t), t, x**2)) == r"a'\left(x^{2}\right)"
    assert to_latex(sympy.Derivative(b(x), x)) == r"b'\left(x\right)"
    # A derivative of a composition with respect to x keeps d/dx (it is the thing to compute).
    assert to_latex(sympy.Derivative(a(b(x)), x)).startswith(r"\frac{d}{d x}")
    assert to_latex(sympy.Heaviside(x)) == r"H\left(x\right)"


def test_a_product_is_shown_factor_by_factor_in_the_order_built():
    x = sympy.Symbol("x")
    product = sympy.Mul(sympy.cos(x), x + 1, 2 * x, evaluate=False)
    assert to_latex(product, product=True) == r"\cos{\left(x \right)} \cdot \left(x + 1\right) \cdot 2 x"
    assert r"\cdot" not in to_latex(product)  # the ordinary form: juxtaposition
    assert to_latex(x + 1, product=True) == "x + 1"  # not a product: unchanged


@pytest.mark.parametrize(
    "text, parts",
    [
        (r"$a'(u)\,b'(x)$, by hand", [("math", r"a'(u)\,b'(x)"), ("text", ", by hand")]),
        (r"the inside \(1 + e^{-z}\) has derivative \(-e^{-z}\)",
         [("text", "the inside "), ("math", "1 + e^{-z}"), ("text", " has derivative "), ("math", "-e^{-z}")]),
        (r"costs \$5", [("text", "costs $5")]),
        ("plain text", [("text", "plain text")]),
        ("", []),
    ],
)
def test_justifications_split_into_text_and_maths(text, parts):
    from course_pkg.symbolic.verdict import justification_parts

    assert justification_parts(text) == parts


@pytest.mark.parametrize("text", ["$x^2, by hand", r"\(x", r"x\)", "$a$ and $b"])
def test_unbalanced_maths_delimiters_are_refused_with_a_clear_message(text):
    from course_pkg.symbolic.verdict import justification_parts

    with pytest.raises(ValueError, match=r"unmatched .* write maths between \$\.\.\.\$"):
        justification_parts(text)


def test_justification_renders_in_latex_and_html_whatever_the_text():
    from course_pkg.symbolic.verdict import justification_html, justification_latex

    tex = justification_latex(r"$a'(u)$, by hand: 50% & {so} #1_b")
    assert tex.startswith(r"{a'(u)}\text{, by hand: 50}\%")
    assert "$" not in tex and r"\text{ }\&" in tex and r"\{" in tex and r"\_" in tex
    page = justification_html(r"$x<1$, <b>so</b>")
    assert page == r"\(x&lt;1\), &lt;b&gt;so&lt;/b&gt;"


def test_a_derivation_verdict_renders_mixed_justifications():
    v = check_derivation(["(z+1)^2", "z^2 + 2*z + 1"], titles=["", r"$(a+b)^2$, expanded by hand"])
    page = v._repr_html_()
    assert r"\((a+b)^2\), expanded by hand" in page
    assert "$" not in page


@pytest.mark.parametrize("bad", ["1e-400", None, True, sympy.Symbol("x"), sympy.oo, float("nan")])
def test_compact_number_refuses_what_is_not_a_finite_number(bad):
    from course_pkg.symbolic.verdict import compact_number

    with pytest.raises(TypeError, match="value must be a"):
        compact_number(bad)
