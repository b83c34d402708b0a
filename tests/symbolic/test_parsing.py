"""parse_answer: reads the whitelist, refuses everything else with a message that points at it."""

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from course_pkg.symbolic import AnswerFormatError, parse_answer, sigmoid
from course_pkg.symbolic.parsing import MAX_DEPTH, MAX_LENGTH

z, x, a, y = sympy.symbols("z x a y")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("σ(z)(1 − σ(z))", sigmoid(z) * (1 - sigmoid(z))),
        ("sigmoid(z)*(1-sigmoid(z))", sigmoid(z) * (1 - sigmoid(z))),
        ("2x^2", 2 * x**2),
        ("2(x + 1)", 2 * (x + 1)),
        ("(a - y)z", (a - y) * z),
        ("x·y × z", x * y * z),
        ("x ÷ 2", x / 2),
        ("x² + x³", x**2 + x**3),
        ("0.1*x", x / 10),
        ("1e-9 + x", x + sympy.Rational(1, 10**9)),
        ("1/(1 + e^(-z))", 1 / (1 + sympy.exp(-z))),
        ("relu(z)", sympy.Max(0, z)),
        ("H(z)", sympy.Heaviside(z)),
        ("pi*z + π", sympy.pi * z + sympy.pi),
        ("-(-z)", z),
        ("+z", z),
        ("log(x, 2)", sympy.log(x, 2)),
        ("Max(a, y, z)", sympy.Max(a, y, z)),
        ("a y", a * y),
        ("x H(z) a", x * sympy.Heaviside(z) * a),
        ("(a - y) z", (a - y) * z),
        ("σ(z) (1 − σ(z))", sigmoid(z) * (1 - sigmoid(z))),
        ("sigmoid (z)", sigmoid(z)),
        ("(1/x) y", y / x),
        ("x y^2", x * y**2),
    ],
)
def test_accepted_forms_read_as_intended(text, expected):
    """Every accepted spelling gives the SymPy expression a learner means."""
    assert parse_answer(text) == expected


def test_a_blank_between_names_means_times_but_never_next_to_a_keyword():
    """`theta3 Heaviside(z2)` is a product; keywords, text and names before numbers are not."""
    theta3, z2 = sympy.symbols("theta3 z2")
    assert parse_answer("theta3 Heaviside(z2)", variables=["theta3", "z2"]) == theta3 * sympy.Heaviside(z2)
    with pytest.raises(AnswerFormatError, match="`... if ... else ...` is not allowed"):
        parse_answer("x if y else z")
    with pytest.raises(AnswerFormatError, match="comprehensions"):
        parse_answer("[c for c in x]")
    with pytest.raises(AnswerFormatError, match="lambdas are not allowed"):
        parse_answer("lambda x: x")
    with pytest.raises(AnswerFormatError, match=r"not text \(`'a b'`\)"):
        parse_answer("'a b'")
    with pytest.raises(AnswerFormatError, match="`sin` is a function"):
        parse_answer("sin x")


def test_variables_keep_the_callers_symbols_and_assumptions():
    """A name is matched to the given symbol by name, so its assumptions survive."""
    zp = sympy.Symbol("z", positive=True)
    expr = parse_answer("z + 1", variables=[zp])
    assert expr.free_symbols == {zp}


def test_e_is_a_variable_only_when_declared():
    """`e` is Euler's number unless it is one of the variables (the error e in the notation)."""
    assert parse_answer("e") == sympy.E
    e = sympy.Symbol("e")
    assert parse_answer("e*x", variables=["e", "x"]) == e * x


def test_unknown_variable_is_refused_when_variables_are_given():
    with pytest.raises(AnswerFormatError, match="`w` is not a variable of this question; the variables are: x"):
        parse_answer("w*x", variables=["x"])


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("open('f')", "`open` is not a function this checker knows; allowed: exp, log"),
        ("__import__('os')", "names starting with `_` are not allowed"),
        ("().__class__.__bases__[0].__subclasses__()", "attribute access (`.__class__`"),
        ("z.real", "attribute access (`.real`"),
        ("z[0]", "indexing"),
        ("lambda: 1", "lambdas are not allowed"),
        ("[i for i in z]", "comprehensions"),
        ("x =", "`=` is not allowed"),
        ("x ==", "comparisons"),
        ("x == 1", "comparisons"),
        ("diff(z**2, z)", "`diff` is not allowed"),
        ("Derivative(z, z)", "`Derivative` is not allowed"),
        ("integrate(z, z)", "integrals"),
        ("factorial(10**9)", "`factorial` is not allowed"),
        ("9**9**9**9", "tower of powers is too high"),
        ("9^9^9^9", "`9^9`"),
        ("z**5000", "the exponent `5000` is too large"),
        ("(10**999)**999", "too large a number"),
        ("1e999", "too large or too small"),
        ("'text'", "not text"),
        ("True", "not bool"),
        ("z % 2", "`%` is not allowed"),
        ("z // 2", "`//` is not allowed"),
        ("z, z", "collection"),
        ("exp", "`exp` is a function"),
        ("exp(z, 2)", "`exp` takes 1 argument(s), got 2"),
        ("exp(x=1)", "keyword"),
        ("1/0", "division by zero"),
        ("(z", "there are 1 `(` but 0 `)`"),
        ("z 2", "is a `*` missing"),
        ("1/x y", "ambiguous"),
        ("", "empty"),
        ("z if z else 1", "Heaviside or Max"),
        ("exp(exp(exp(z)))", "tower of exponentials"),
    ],
)
def test_refusals_point_at_the_offending_part(text, fragment):
    """Each refusal is an AnswerFormatError (a ValueError) whose message names what is wrong."""
    with pytest.raises(AnswerFormatError) as info:
        parse_answer(text)
    assert isinstance(info.value, ValueError)
    assert fragment in str(info.value)


def test_length_and_depth_limits():
    with pytest.raises(AnswerFormatError, match="characters long"):
        parse_answer("z" * (MAX_LENGTH + 1))
    with pytest.raises(AnswerFormatError, match="nested too deeply"):
        parse_answer("(" * 500 + "z" + ")" * 500)
    with pytest.raises(AnswerFormatError, match="nested too deeply"):
        parse_answer("-" * (MAX_DEPTH + 5) + "z")
    # A long flat sum is not deep.
    assert parse_answer("+".join(["z"] * 400)) == 400 * z


def test_type_errors_name_the_argument():
    with pytest.raises(TypeError, match="text must be a string"):
        parse_answer(3)
    with pytest.raises(TypeError, match="variables must contain names"):
        parse_answer("z", variables=[3])
    with pytest.raises(ValueError, match="not a name"):
        parse_answer("z", variables=["1z"])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_gives_an_expression_or_a_format_error(text):
    """Whatever is typed, the parser returns an Expr or raises AnswerFormatError, nothing else."""
    try:
        result = parse_answer(text)
    except AnswerFormatError:
        return
    assert isinstance(result, sympy.Expr)


ALPHABET = "xz()+-*/^.0123456789e σexpsigmoidrelu,'′tanhcos"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_formula_like_text_gives_an_expression_or_a_format_error(text):
    try:
        result = parse_answer(text)
    except AnswerFormatError:
        return
    assert isinstance(result, sympy.Expr)


def test_sigmoid_function_behaves_like_its_definition():
    """The SymPy sigmoid differentiates to σ(1 − σ) and rewrites to 1/(1 + e^(−z))."""
    assert sympy.diff(sigmoid(z), z) == sigmoid(z) * (1 - sigmoid(z))
    assert sigmoid(z).rewrite(sympy.exp) == 1 / (1 + sympy.exp(-z))
    assert sympy.latex(sigmoid(z)) == r"\sigma\left(z\right)"
    assert abs(float(sigmoid(sympy.Rational(1, 3)).evalf()) - 1 / (1 + sympy.exp(-sympy.Rational(1, 3))).evalf()) < 1e-12


def test_relu_refuses_text_instead_of_parsing_it():
    """The public relu() helper never hands a string to SymPy's eval-based parser."""
    from sympy import SympifyError

    from course_pkg.symbolic import relu

    with pytest.raises(SympifyError):
        relu("__import__('os').getcwd()")


@pytest.mark.parametrize(
    "text, advice",
    [
        ("tanh^2(z)", "`tanh^2(z)` is not read as the square of tanh(z): write `tanh(z)^2`"),
        ("1 - tanh^2(theta*x)", "write `tanh(theta*x)^2` for the square of tanh(theta*x)"),
        ("sin^2(x)", "write `sin(x)^2`"),
        ("σ^2(z)", "write `σ(z)^2`"),
        ("sigmoid^3(z)", "the cube of sigmoid(z): write `sigmoid(z)^3`"),
        ("tanh**2(z)", "write `tanh(z)**2`"),  # the learner's own power operator is echoed
        ("tanh^2 z", "write `tanh(z)^2`"),
        ("sech^2(z)", "`sech` is not allowed: write `(1/cosh(z))^2` for sech(z)^2"),
    ],
)
def test_a_power_on_a_functions_name_is_explained(text, advice):
    """`tanh^2(z)` (textbook notation) gets "write tanh(z)^2", not "call tanh with an argument"."""
    with pytest.raises(AnswerFormatError) as info:
        parse_answer(text)
    assert advice in str(info.value)
    assert "call it with an argument" not in str(info.value)


@pytest.mark.parametrize(
    "text, advice",
    [
        ("2xcos(x^2)", "`xcos` is not a function this checker knows: write `x*cos(x^2)`"),
        ("zexp(z)", "write `z*exp(z)`"),
        ("2xsigma(x)", "write `x*sigma(x)`"),
        ("thetatanh(theta*x)", "write `theta*tanh(theta*x)`"),
        ("2xσ(z)", "write `x*σ(z)`"),
    ],
)
def test_a_factor_glued_to_a_function_name_is_split_in_the_advice(text, advice):
    with pytest.raises(AnswerFormatError) as info:
        parse_answer(text)
    assert advice in str(info.value)
    assert "xcos*(" not in str(info.value)


def test_a_variable_whose_name_ends_like_a_function_is_still_a_variable():
    xcos, x = sympy.symbols("xcos x")
    assert parse_answer("xcos(x + 1)", variables=["xcos", "x"]) == xcos * (x + 1)


z3, theta3, y_hat = sympy.symbols("z3 theta3 y_hat")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("σ′(z)", sigmoid(z) * (1 - sigmoid(z))),
        ("σ'(z)", sigmoid(z) * (1 - sigmoid(z))),
        ("σ’(z)", sigmoid(z) * (1 - sigmoid(z))),
        ("2*(a - y)*σ'(z)", sympy.Mul(2, a - y, sigmoid(z), 1 - sigmoid(z))),
        ("sigmoid'(z)", sigmoid(z) * (1 - sigmoid(z))),
        ("sigmoid_prime(z)", sigmoid(z) * (1 - sigmoid(z))),
        ("tanh′(z)", 1 - sympy.tanh(z) ** 2),
        ("tanh_prime(z)", 1 - sympy.tanh(z) ** 2),
        ("relu'(z)", sympy.Heaviside(z)),
        ("relu_prime(z)", sympy.Heaviside(z)),
        ("exp′(z)", sympy.exp(z)),
    ],
)
def test_the_derivative_of_a_known_function_may_be_written_with_a_prime(text, expected):
    """The notebooks write σ′(z), sigmoid_prime(z3), relu_prime(z): the checker reads them."""
    assert parse_answer(text) == expected


def test_the_notebooks_names_are_read_with_their_variables():
    """03 writes θ3, ŷ, σ′(z3), sigmoid_prime(z3), g′(z2); 01 writes θ."""
    names = ["z2", "z3", "theta3", "y_hat"]
    h = sympy.Heaviside(sympy.Symbol("z2"))
    assert parse_answer("θ3·ŷ", variables=names) == theta3 * y_hat
    assert parse_answer("theta3*yhat", variables=names) == theta3 * y_hat
    assert parse_answer("sigmoid_prime(z3) θ3", variables=names) == sigmoid(z3) * (1 - sigmoid(z3)) * theta3
    assert parse_answer("g′(z2)", variables=names, functions={"g": "relu"}) == h
    assert parse_answer("g'(z2)*g(z3)", variables=names, functions={"g": "relu"}) == h * sympy.Max(0, z3)
    assert parse_answer("θ*x", variables=["theta", "x"]) == sympy.Symbol("theta") * x
    theta = sympy.Symbol("θ")
    assert parse_answer("theta*x", variables=["θ", "x"]) == theta * x


def test_functions_are_validated():
    with pytest.raises(ValueError, match=r"functions\['g'\] must name an allowed function"):
        parse_answer("g(z)", functions={"g": "open"})
    with pytest.raises(TypeError, match="functions must be a dict"):
        parse_answer("g(z)", functions=["g"])
    with pytest.raises(AnswerFormatError, match="`g` is not a function this checker knows"):
        parse_answer("g(z)")


@pytest.mark.parametrize(
    "text, advice",
    [
        ("g'(z)", "write the derivative itself, e.g. `σ(z)*(1 - σ(z))` for σ′(z)"),
        ("g''(z)", "primes (′ or ') are not understood"),
        ("σ''(z)", "write σ′(z) out"),
        ("f'(x)", "primes (′ or ') are not understood"),
        ("(σ(z))′", "`(σ(z))′`: primes"),
        ("σ′*z", "write σ′(z) out"),
    ],
)
def test_other_primes_are_refused_with_the_derivative_to_write(text, advice):
    with pytest.raises(AnswerFormatError) as info:
        parse_answer(text)
    assert "primes (′ or ') are not understood" in str(info.value)
    assert advice in str(info.value)


def test_an_unevaluated_reading_keeps_the_text_as_written():
    """For the echo: `x + 0`, `1*x` and the order of terms stay as typed."""
    from course_pkg.symbolic import to_latex

    assert to_latex(parse_answer("x*1 + 0", evaluate=False)) != to_latex(parse_answer("x"))
    assert parse_answer("x*1 + 0", evaluate=False) != parse_answer("x", evaluate=False)
    assert to_latex(parse_answer("σ′(z)", evaluate=False)) == r"\sigma'\left(z\right)"


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("open('x')", "`open` is not a function this checker knows"),
        ("'a b'", "not text"),
        ("f'{x}'", "f-strings"),
        ("b'x'", "not text"),
        ("x + 'it''s'", "not text"),
    ],
)
def test_quotes_are_not_mistaken_for_primes(text, fragment):
    with pytest.raises(AnswerFormatError) as info:
        parse_answer(text)
    assert fragment in str(info.value) and "primes" not in str(info.value)


@pytest.mark.parametrize(
    "text, advice",
    [
        ("sech(z)", "`sech` is not allowed: write `1/cosh(z)` for sech(z)"),
        ("x*sech(theta*x)^2", "write `1/cosh(theta*x)` for sech(theta*x)"),
        ("coth(z)", "`cosh(z)/sinh(z)`"),
        ("sec(x)", "`1/cos(x)`"),
        ("softplus(z)", "`log(1 + exp(z))`"),
        ("sech*z", "write `1/cosh(z)`"),
        ("arctan(x)", "inverse trigonometric"),
        ("atan(x)", "inverse trigonometric"),
    ],
)
def test_functions_the_checker_lacks_come_with_a_rewrite(text, advice):
    with pytest.raises(AnswerFormatError) as info:
        parse_answer(text)
    assert advice in str(info.value)


def test_sigma_is_an_accepted_spelling_of_the_sigmoid():
    assert parse_answer("sigma(z)*(1 - sigma(z))") == sigmoid(z) * (1 - sigmoid(z))
    sigma = sympy.Symbol("sigma")
    assert parse_answer("sigma*z", variables=["sigma", "z"]) == sigma * z


def test_a_question_that_asks_for_a_derivative_can_refuse_its_prime():
    """Deriving tanh′: `tanh′(z)` is not an answer; σ′ may stay allowed, under every spelling."""
    for text in ("tanh′(z)", "tanh'(z)", "tanh_prime(z)", "1 - tanh_prime(z)"):
        with pytest.raises(AnswerFormatError, match="the derivative of tanh is what this question asks"):
            parse_answer(text, derivatives=())
    assert parse_answer("σ′(z)", derivatives=["sigmoid"]) == sigmoid(z) * (1 - sigmoid(z))
    with pytest.raises(AnswerFormatError):
        parse_answer("relu′(z)", derivatives=["sigmoid"])
    with pytest.raises(TypeError, match="derivatives must be a collection"):
        parse_answer("z", derivatives="tanh")


def test_a_spelled_out_variable_does_not_shadow_a_function():
    """`sigma` a variable, `σ(z)` still the sigmoid; `σ` alone is the variable `sigma`."""
    sigma = sympy.Symbol("sigma")
    assert parse_answer("σ(z)", variables=["sigma", "z"]) == sigmoid(z)
    assert parse_answer("σ*z", variables=["sigma", "z"]) == sigma * z
