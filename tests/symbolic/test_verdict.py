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
    assert page.index("as understood") < page.index("Correct")
    assert r"\sigma\left(z\right)" in page


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
    assert "✗" in page and "derivation, as understood" in page
    assert r"\begin{aligned}" in v._repr_latex_()


def test_text_and_latex_printers():
    z = sympy.Symbol("z")
    assert to_text(sigmoid(z) ** 2) == "σ(z)^2"
    assert to_latex(sigmoid(z)) == r"\sigma\left(z\right)"
    assert escape_latex_text("a_b & {c}") == r"a\_b \& \{c\}"
