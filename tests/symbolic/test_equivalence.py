"""equivalent and check_derivation: right verdicts on the corpus, targeted feedback, no side
effects, and a hard time bound."""

import builtins
import importlib.util
import pathlib
from concurrent.futures import ThreadPoolExecutor

import pytest
import sympy

from course_pkg.symbolic import Verdict, check_derivation, equivalent, sigmoid
from course_pkg.symbolic import worker

CORPUS_PATH = pathlib.Path(__file__).resolve().parents[1] / "data" / "symbolic_corpus.py"
_spec = importlib.util.spec_from_file_location("symbolic_corpus", CORPUS_PATH)
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

#: Generous outer guard (seconds) around one call whose own bound is 2 s: proves it returns.
OUTER_GUARD = 30.0

z, x = sympy.symbols("z x")


def _case_id(case):
    text = str(case.answer)
    return f"{case.group}:{text[:30]}{'…' if len(text) > 30 else ''}"


def test_corpus_is_large_enough():
    """The corpus has at least 60 answers, in all three groups."""
    assert len(corpus.CASES) >= 60
    assert {c.group for c in corpus.CASES} == {"equivalent", "wrong", "hostile"}


@pytest.mark.parametrize("case", corpus.CASES, ids=_case_id)
def test_corpus_verdicts(case):
    """Every corpus answer gets the right verdict and the expected kind of feedback."""
    verdict = equivalent(case.answer, case.expected, case.variables)
    assert isinstance(verdict, Verdict)
    assert verdict.ok is case.ok, verdict.message
    assert verdict.kind == case.kind, verdict.message
    assert verdict.message


def test_hostile_input_has_no_side_effect_and_returns_in_time(tmp_path, monkeypatch):
    """Hostile answers create no file, never reach eval/exec/parse_expr, and return a verdict.

    The worker is restarted inside the patched environment so the child inherits the traps.
    """
    calls = []

    def trap(name):
        def refuse(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called")

        return refuse

    worker.shutdown()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(builtins, "eval", trap("eval"))
    monkeypatch.setattr(builtins, "exec", trap("exec"))
    import sympy.parsing.sympy_parser as sympy_parser

    monkeypatch.setattr(sympy_parser, "parse_expr", trap("parse_expr"))
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            for case in corpus.HOSTILE:
                verdict = pool.submit(equivalent, case.answer, case.expected).result(timeout=OUTER_GUARD)
                assert isinstance(verdict, Verdict)
                assert verdict.ok is False
                assert verdict.kind == "format", verdict.message
        assert not (tmp_path / "SENTINEL").exists()
        assert list(tmp_path.iterdir()) == []
        assert calls == []
    finally:
        worker.shutdown()  # the next test gets a worker without the traps, in the normal cwd


def test_a_check_that_runs_too_long_is_cut_off():
    """An expensive check is abandoned at its bound with a 'timeout' verdict; the next one works."""
    heavy = "+".join(f"sin(z*{k})^{k % 7 + 2}" for k in range(1, 60))
    with ThreadPoolExecutor(max_workers=1) as pool:
        verdict = pool.submit(equivalent, heavy, heavy + " + z", None, timeout=0.001).result(timeout=OUTER_GUARD)
    assert verdict.kind == "timeout" and verdict.ok is False
    assert "gave up" in verdict.message
    assert equivalent("z", "z").ok


def test_floats_are_taken_at_their_value():
    assert not equivalent("x + 1e-9", "x").ok
    assert equivalent("0.25*x", "x/4").ok
    assert equivalent("x + 1e-9", "x + 1/1000000000").ok


def test_feedback_fields():
    """The details name the factor, the constant and the extra variable."""
    v = equivalent("3*sigmoid(z)", "sigmoid(z)")
    assert (v.kind, v.factor) == ("constant_factor", 3)
    assert "factor of 3" in v.message
    v = equivalent("sigmoid(z) + 5/2", "sigmoid(z)")
    assert (v.kind, v.constant) == ("additive_constant", sympy.Rational(5, 2))
    v = equivalent("sigmoid(z)*theta", "sigmoid(z)")
    assert (v.kind, v.variable) == ("extra_variable", "theta")
    assert "`theta`" in v.message
    v = equivalent("2*(a - y)", "2*(a - y)*sigmoid(z)*(1 - sigmoid(z))")
    assert v.kind == "missing_factor"
    assert v.factor == sigmoid(z) * (1 - sigmoid(z))
    v = equivalent("sigmoid(z)", "sigmoid(z)*(1 - sigmoid(z))")
    assert v.parsed == sigmoid(z)


def test_answer_may_be_a_sympy_expression_with_other_assumptions():
    """Symbols are matched by name, so a plain z and a real z are the same variable."""
    zr = sympy.Symbol("z", real=True)
    assert equivalent(sigmoid(sympy.Symbol("z")), sigmoid(zr)).ok
    assert equivalent(sympy.exp(-zr) / (1 + sympy.exp(-zr)) ** 2, "sigmoid(z)*(1 - sigmoid(z))").ok


def test_variables_restrict_the_names():
    v = equivalent("w*z", "z", variables=["z"])
    assert v.kind == "format" and "`w` is not a variable" in v.message
    v = equivalent("w*z", "z", variables=["z", "w"])
    assert v.kind == "extra_variable"


def test_generic_functions_are_compared_for_every_function():
    """An identity in an undefined function g holds for random concrete g; a false one fails."""
    g = sympy.Function("g")
    assert equivalent(sympy.diff(g(x) ** 2, x), 2 * g(x) * sympy.diff(g(x), x)).ok
    assert not equivalent(sympy.diff(g(x) ** 2, x), g(x) * sympy.diff(g(x), x)).ok


def test_bad_arguments_raise_with_the_argument_named():
    with pytest.raises(TypeError, match="answer must be a string or a SymPy expression"):
        equivalent(["z"], "z")
    with pytest.raises(TypeError, match="expected must be"):
        equivalent("z", None)
    with pytest.raises(ValueError, match="expected could not be read"):
        equivalent("z", "open('f')")


# Heaviside (ReLU) factors ------------------------------------------------------------------------

#: Relative gap between the two values at the point a 'wrong' verdict shows.
DIFFER_REL = 1e-12

z1, z2, z3, z4 = sympy.symbols("z1 z2 z3 z4")


def test_missing_sigmoid_prime_is_named_despite_heaviside_factors():
    """Points where a ReLU is off (both sides 0) do not hide the missing σ′(z3)."""
    v = equivalent(corpus.PATH_NO_SIG_PRIME, corpus.PATH)
    assert (v.ok, v.kind) == (False, "missing_factor"), v.message
    assert v.factor == sigmoid(z3) * (1 - sigmoid(z3))
    assert "σ′(z3) = σ(z3)(1 − σ(z3))" in v.message


def test_constant_sign_and_additive_diagnoses_hold_with_heaviside_factors():
    path = corpus.PATH
    v = equivalent("3*" + path, path)
    assert (v.kind, v.factor) == ("constant_factor", 3)
    v = equivalent("-" + path, path)
    assert v.kind == "sign"
    v = equivalent(path + " - 1/2", path)
    assert (v.kind, v.constant) == ("additive_constant", -sympy.Rational(1, 2))
    assert "expected one minus 1/2" in v.message


@pytest.mark.parametrize("dropped", ["z1", "z2", "z3", "z4"])
def test_a_forgotten_relu_derivative_is_wrong_and_said_to_be_wrong_where_the_relu_is_off(dropped):
    """Dropping one g′ of four (16 region patterns) is caught, and the message names its side."""
    expected = "w*" + "*".join(f"Heaviside({n})" for n in ("z1", "z2", "z3", "z4"))
    answer = "w*" + "*".join(f"Heaviside({n})" for n in ("z1", "z2", "z3", "z4") if n != dropped)
    v = equivalent(answer, expected)
    assert (v.ok, v.kind) == (False, "missing_factor"), v.message
    assert v.factor == sympy.Heaviside(sympy.Symbol(dropped))
    assert f"right where {dropped} > 0 but not where {dropped} < 0" in v.message
    assert f"g′({dropped})" in v.message


def test_an_answer_right_on_one_side_of_a_kink_is_told_so():
    v = equivalent("z", "relu(z)")
    assert (v.ok, v.kind) == (False, "wrong")
    assert "right where z > 0 but not where z < 0" in v.message
    assert v.point["z"] < 0


def test_a_shifted_kink_is_described_at_its_place():
    v = equivalent("t*Heaviside(z - 1)*Heaviside(z)", "t*Heaviside(z)")
    assert (v.ok, v.kind) == (False, "extra_factor")
    assert "right where z > 1 but not where z < 1" in v.message


def test_the_point_shown_for_a_wrong_answer_is_one_where_the_two_differ():
    """Never "gives 0.0, the expected answer 0.0": both values are printed as they differ."""
    shown = 0
    for case in corpus.WRONG:
        v = equivalent(case.answer, case.expected, case.variables)
        if v.kind != "wrong" or not v.point:
            continue
        shown += 1
        at = {sympy.Symbol(k): sympy.Float(val, 30) for k, val in v.point.items()}
        ours = sympy.N(v.parsed.xreplace(at), 30)
        theirs = sympy.N(v.expected.xreplace(at), 30)
        assert abs(ours - theirs) > DIFFER_REL * max(abs(ours), abs(theirs)), v.message
        yours, expected = v.message.split("your answer gives ")[1].split(", the expected answer ")
        assert yours != expected.rstrip(").").split(")")[0], v.message
    assert shown >= 5


# check_derivation ------------------------------------------------------------------------------


def test_derivation_that_holds():
    v = check_derivation(["exp(-z)/(1+exp(-z))^2", "1/(1+exp(-z)) * exp(-z)/(1+exp(-z))", "σ(z)(1 − σ(z))"])
    assert v.ok and v.failed_step is None and v.kind == "equivalent"
    assert len(v.steps) == 3 and v.steps[-1] == sigmoid(z) * (1 - sigmoid(z))


def test_derivation_reports_the_first_step_that_does_not_follow():
    v = check_derivation(["(z + 1)^2", "z^2 + 2z + 1", "z^2 + 2z", "z(z + 2)"])
    assert not v.ok
    assert v.failed_step == 2
    assert v.kind == "additive_constant"
    assert "Step 2 does not follow from step 1" in v.message


def test_derivation_reports_a_step_that_does_not_parse():
    v = check_derivation(["z^2", "z*z", "z *", "z^2"])
    assert (v.ok, v.failed_step, v.kind) == (False, 2, "format")
    v = check_derivation(["open('x')", "z"])
    assert (v.failed_step, v.kind) == (0, "format")


def test_derivation_arguments_are_validated():
    with pytest.raises(ValueError, match="steps is empty"):
        check_derivation([])
    with pytest.raises(TypeError, match="steps must be a list"):
        check_derivation("z")
    with pytest.raises(TypeError, match=r"steps\[1\] must be"):
        check_derivation(["z", None])
    with pytest.raises(ValueError, match="one title per step"):
        check_derivation(["z", "z"], titles=["a"])


#: Longest message accepted for a constant of any size (a 400-digit number would be far longer).
SHORT_MESSAGE = 200


@pytest.mark.parametrize(
    "answer, expected, kind, shown",
    [
        ("10**-400*x", "x", "constant_factor", "factor of 1e-400"),
        ("-10**-400*x", "x", "constant_factor", "factor of -1e-400"),
        ("10^400*sigmoid(z)", "sigmoid(z)", "constant_factor", "factor of 1e400"),
        ("3*10**12*x", "x", "constant_factor", "factor of 3e12"),
        ("x + 10**-400", "x", "additive_constant", "plus 1e-400"),
        ("sigmoid(z) - 10**-30", "sigmoid(z)", "additive_constant", "minus 1e-30"),
    ],
)
def test_constants_of_any_size_are_named_compactly(answer, expected, kind, shown):
    """10^-400 is a constant factor, printed as 1e-400, not a 400-digit number or a factor x/10^400."""
    verdict = equivalent(answer, expected)
    assert verdict.kind == kind, verdict.message
    assert shown in verdict.message
    assert len(verdict.message) < SHORT_MESSAGE and "0000000000" not in verdict.message


def test_a_constant_factor_keeps_its_exact_value():
    verdict = equivalent("10**-400*x", "x")
    assert verdict.factor == sympy.Rational(1, 10**400)


def test_values_below_the_noise_floor_do_not_fake_a_factor():
    """1e-30·x² against x: the values are ~0 everywhere, so no extra factor is claimed."""
    verdict = equivalent("1e-30*x^2", "x")
    assert (verdict.ok, verdict.kind) == (False, "wrong")
    assert "0000000000" not in verdict.message


def test_a_long_constant_is_printed_compactly():
    verdict = equivalent("x + 10**40/7", "x")
    assert verdict.kind == "additive_constant"
    assert "plus ≈1.429e+39" in verdict.message


def test_between_numbers_the_diagnosis_is_kept_but_not_told():
    """For an expected number, "a factor of 1e-400" would give the number away; the field keeps it."""
    verdict = equivalent("10**-400", "1")
    assert verdict.kind == "constant_factor" and verdict.factor == sympy.Rational(1, 10**400)
    assert verdict.message == "Not the right value."
    assert equivalent("10**40/7 + 1", "1").message == "Not the right value."


@pytest.mark.parametrize(
    "answer, advice",
    [
        ("tanh^2(z)", "write `tanh(z)^2`"),
        ("2xcos(x^2)", "write `x*cos(x^2)`"),
        ("σ″(z)", "`σ(z)*(1 - σ(z))`"),
        ("sech(z)", "write `1/cosh(z)`"),
    ],
)
def test_parser_advice_reaches_the_verdict(answer, advice):
    verdict = equivalent(answer, "z")
    assert verdict.kind == "format" and advice in verdict.message


def test_the_derivative_asked_for_is_not_accepted_as_its_own_answer():
    """"What is σ′(z)?": typing σ′(z) would be trivially right; the question refuses the prime."""
    assert equivalent("σ′(z)", "sigmoid(z)*(1 - sigmoid(z))").ok  # where the question allows it
    verdict = equivalent("σ′(z)", "sigmoid(z)*(1 - sigmoid(z))", derivatives=())
    assert (verdict.ok, verdict.kind) == (False, "format")
    assert "the derivative of σ is what this question asks you to work out" in verdict.message
