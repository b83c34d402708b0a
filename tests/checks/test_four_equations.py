"""Notebook 04's specs: right answers pass, every likely mistake is named, nothing leaks, visible covers hidden."""

import json
import pathlib
import re

import nbformat
import numpy as np
import pytest

from course_pkg import checks as registry
from course_pkg import network
from course_pkg.activations import sigmoid
from course_pkg.checks import engine
from course_pkg.checks import four_equations as F
from course_pkg.checks.engine import CheckFailed
from course_pkg.checks.learner import InProcessLearner
from course_pkg.symbolic.leaks import leaks

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "source" / "04-four-equations" / "four_equations.ipynb"
SEEDS = (0, 1, 2)


def output_error(z, y, loss):
    a = sigmoid(z)
    factor = 2.0 if loss == "squared_error" else 1.0
    return factor * (a - y) * a * (1.0 - a)


def hidden_error(W_next, e_next, z):
    return (W_next.T @ e_next) * (z > 0)


def weight_gradient(e, a_prev):
    return np.outer(e, a_prev)


RIGHT = {
    "output_error": output_error,
    "hidden_error": hidden_error,
    "weight_gradient": weight_gradient,
    "e1_2": "((a2_1 - y1)*a2_1*(1 - a2_1)*w2_12 + (a2_2 - y2)*a2_2*(1 - a2_2)*w2_22)*Heaviside(z1_2)",
    "e2_1": "(a2_1 - y1) a2_1 (1 - a2_1)",
}


def _wrong(spec, probe):
    """A probe's wrong answer as the learner would give it (a typed probe names a text of reference())."""
    return spec.reference()[probe.wrong] if isinstance(spec, engine.Formula) else probe.wrong


def _run(spec, answer, hidden=False, seed=None):
    namespace = dict(RIGHT)
    namespace[spec.name] = answer
    return engine.run(spec, InProcessLearner(namespace), hidden=hidden, seed=seed)


def test_the_registry_serves_these_specs_under_the_notebooks_grade_ids():
    table = registry.specs("04-four-equations")
    assert sorted(table) == sorted(s.id for s in F.SPECS)
    assert registry.spec_for("04-four-equations", "test_slip") is F.SLIP
    nb = nbformat.read(NOTEBOOK, as_version=4)
    graded = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
              if c.metadata.get("nbgrader", {}).get("grade")}
    assert set(graded) == set(table), "every graded cell has a spec and every spec a graded cell"
    for grade_id, cell in graded.items():
        assert f'checks.check("{grade_id}"' in cell.source
        hidden = cell.source.split("### BEGIN HIDDEN TESTS", 1)[1]
        assert f'checks.check("{grade_id}", {table[grade_id].name}, hidden=True)' in hidden
        assert hidden.index("checks.assert_untampered()") < hidden.index("checks.check(")


@pytest.mark.parametrize("spec", F.SPECS, ids=lambda s: s.id)
@pytest.mark.parametrize("seed", SEEDS)
def test_right_answers_pass_visible_and_hidden(spec, seed):
    for hidden in (False, True):
        outcome = _run(spec, RIGHT[spec.name], hidden=hidden, seed=seed + (100 if hidden else 0))
        assert outcome.passed, outcome.message


@pytest.mark.parametrize("spec", F.SPECS, ids=lambda s: s.id)
def test_every_probe_is_named_by_its_own_kind(spec):
    for probe in spec.probes:
        outcome = _run(spec, _wrong(spec, probe))
        assert not outcome.passed
        assert (outcome.kind, outcome.message.splitlines()[-1]) == (probe.kind, probe.message), probe.message


@pytest.mark.parametrize("spec", F.SPECS, ids=lambda s: s.id)
def test_every_probe_is_named_whatever_the_hidden_seed(spec):
    """The case classes are built so that no probe can pass for another one on unlucky numbers."""
    for seed in range(6):
        for probe in spec.probes:
            outcome = _run(spec, _wrong(spec, probe), hidden=True, seed=seed)
            assert (outcome.kind, outcome.message.endswith(probe.message)) == (probe.kind, True), (seed, outcome.message)


@pytest.mark.parametrize("spec", F.SPECS, ids=lambda s: s.id)
def test_visible_and_hidden_runs_draw_the_same_case_classes(spec):
    visible = [c.cls for c in spec.cases(np.random.default_rng(engine.seed_of(spec, False)))]
    hidden = [c.cls for c in spec.cases(np.random.default_rng(engine.seed_of(spec, True)))]
    assert visible == hidden and len(set(visible)) == len(visible)


def test_bp1_cases_cover_both_losses_saturated_and_not():
    classes = [c.cls for c in F.OUTPUT_ERROR.cases(np.random.default_rng(0))]
    for loss in ("half_squared_error", "squared_error"):
        assert f"{loss}, saturated output" in classes and f"{loss}, output not saturated" in classes
    for case in F.OUTPUT_ERROR.cases(np.random.default_rng(0)):
        z = case.args[0]
        assert (np.all(np.abs(z) >= F.SATURATED[0]) if "saturated output" in case.cls else np.all(np.abs(z) <= 2))


def test_bp2_cases_switch_every_relu_off_and_put_one_neuron_at_the_kink():
    cases = F.HIDDEN_ERROR.cases(np.random.default_rng(3))
    off = {j for c in cases for j, z in enumerate(c.args[2]) if z < 0 and len(c.args[2]) == 3}
    assert off == {0, 1, 2}
    kink = [c for c in cases if "kink" in c.cls]
    assert len(kink) == 1 and np.sum(kink[0].args[2] == 0.0) == 1
    assert cases[0].args[0].shape == (2, 2)  # square first, so W instead of Wᵀ is named


def test_bp2_with_W_instead_of_W_transposed_fails_on_every_shape():
    """On the square case the probe names it; a non-square W makes the same code raise, which fails too."""
    def W_not_transposed(W_next, e_next, z):
        return (W_next @ e_next) * (z > 0)

    assert _run(F.HIDDEN_ERROR, W_not_transposed).kind == "transposed"
    non_square = [c for c in F.HIDDEN_ERROR.cases(np.random.default_rng(0)) if c.args[0].shape == (2, 3)]
    with pytest.raises(ValueError):
        W_not_transposed(*non_square[0].args)


def test_bp4_swapped_on_a_non_square_layer_says_transposed():
    """Past the square case (where the probe names it), np.outer(a_prev, e) has W's shape reversed."""
    spec = F.WEIGHT_GRADIENT
    square_right_then_swapped = lambda e, a_prev: np.outer(e, a_prev) if len(e) == len(a_prev) else np.outer(a_prev, e)  # noqa: E731
    outcome = _run(spec, square_right_then_swapped)
    assert outcome.kind == "shape" and "transposed" in outcome.message


def test_the_references_agree_with_the_course_network_backprop():
    """BP1, BP2 and BP4 of the specs give course_pkg.network's gradients on a random 2-3-2 network."""
    rng = np.random.default_rng(7)
    W = [rng.normal(size=(3, 2)), rng.normal(size=(2, 3))]
    b = [rng.normal(size=3), rng.normal(size=2)]
    x, y = rng.uniform(-2, 2, 2), rng.uniform(0, 1, 2)
    for loss in ("half_squared_error", "squared_error"):
        cache = network.forward(W, b, x[None, :])
        e2 = F.output_error_reference(cache.Zs[1][0], y, loss)
        e1 = F.hidden_error_reference(W[1], e2, cache.Zs[0][0])
        _, dW, db = network.gradients(W, b, x[None, :], y[None, :], loss=loss)
        np.testing.assert_allclose(F.weight_gradient_reference(e2, cache.As[1][0]), dW[1], rtol=1e-12)
        np.testing.assert_allclose(F.weight_gradient_reference(e1, x), dW[0], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(e1, db[0], rtol=1e-12, atol=1e-15)


def test_the_numeric_references_are_finite_differences_of_the_network_cost():
    """e1_2 and e2_1 at a case point agree with differences of course_pkg.network's cost."""
    rng = np.random.default_rng(11)
    point = F._point(rng, hidden_state="on")
    from course_pkg.symbolic import parse_answer
    import sympy

    for text, numeric in ((RIGHT["e1_2"], F.error_term_numeric), (RIGHT["e2_1"], F.slip_numeric)):
        expr = parse_answer(text, variables=list(F.ERROR_TERM_VARIABLES))
        subs = {s: point.get(s.name) for s in expr.free_symbols if s.name in point}
        subs.update({s: sigmoid(point["z2_" + s.name[-1]]) for s in expr.free_symbols if s.name.startswith("a2_")})
        value = float(expr.subs(subs).replace(sympy.Heaviside, lambda a, *r: sympy.Heaviside(a, 0)).evalf())
        assert value == pytest.approx(numeric(**point), rel=1e-5)
    kink = F._point(rng, hidden_state="kink")
    assert kink["z1_2"] == 0.0 and F.error_term_numeric(**kink) == 0.0


@pytest.mark.parametrize("answer", [
    "((a2_1 - y1)*a2_1*(1 - a2_1)*w2_12)*Heaviside(z1_2)",
    "(a2_1 - y1)*a2_1*(1 - a2_1)*w2_12 + (a2_2 - y2)*a2_2*(1 - a2_2)*w2_22",
    "((a2_1 - y1)*w2_12 + (a2_2 - y2)*w2_22)*Heaviside(z1_2)",
    "((a2_1 - y1)*a2_1*(1 - a2_1)*w2_21 + (a2_2 - y2)*a2_2*(1 - a2_2)*w2_22)*Heaviside(z1_2)",
    "w2_12 + w2_22",
    "Heaviside(z1_2)",
    "0",
])
def test_typed_error_term_feedback_never_leaks_the_expected_answer(answer):
    outcome = _run(F.ERROR_TERM, answer)
    assert not outcome.passed
    assert leaks(outcome.message, engine.expected_text(F.ERROR_TERM), typed=answer) is None, outcome.message


@pytest.mark.parametrize("answer", ["(a2_1 - y1)*Heaviside(z1_1)", "a2_1 - y1", "(a2_1 - y1)*a2_1", "y1 - a2_1"])
def test_typed_slip_feedback_never_leaks_the_expected_answer(answer):
    outcome = _run(F.SLIP, answer)
    assert not outcome.passed
    assert leaks(outcome.message, engine.expected_text(F.SLIP), typed=answer) is None, outcome.message


@pytest.mark.parametrize("spec", [F.OUTPUT_ERROR, F.HIDDEN_ERROR, F.WEIGHT_GRADIENT], ids=lambda s: s.id)
def test_numeric_feedback_never_prints_an_expected_value(spec):
    """A wrong result (all zeros) fails without any entry of the reference in the message."""
    outcome = _run(spec, lambda *args: np.zeros_like(spec.reference(*args)))
    assert not outcome.passed
    for case in spec.cases(np.random.default_rng(engine.seed_of(spec, False))):
        for value in np.ravel(spec.reference(*case.args)):
            if value != 0.0:
                assert f"{value:.4g}" not in outcome.message


def test_the_notebook_check_prints_a_tick_or_raises_check_failed(capsys):
    F.check("test_weight_gradient", weight_gradient)
    assert capsys.readouterr().out.startswith("✔ weight_gradient (BP4)")
    with pytest.raises(CheckFailed) as failed:
        F.check("test_weight_gradient", lambda e, a_prev: np.outer(a_prev, e))
    assert failed.value.outcome.kind == "swapped"
    with pytest.raises(ValueError, match="grade_id must be one of"):
        F.check("test_nothing", weight_gradient)


def test_not_written_and_outcomes_are_plain_json():
    def stub(z, y, loss):
        raise NotImplementedError()

    outcome = _run(F.OUTPUT_ERROR, stub)
    assert outcome.kind == "not_written"
    assert engine.Outcome.from_dict(json.loads(json.dumps(outcome.to_dict()))) == outcome
    assert _run(F.SLIP, "...").kind == "not_written"


def test_an_undeclared_name_in_a_typed_answer_is_a_format_error_with_the_hint():
    outcome = _run(F.ERROR_TERM, "(e2_1*w2_12 + e2_2*w2_22)*Heaviside(z1_2)")
    assert outcome.kind == "format" and "write each one out with BP1" in outcome.message


@pytest.mark.parametrize("answer", [
    "((a2_1 - y1)*sigmoid_prime(z2_1)*w2_12 + (a2_2 - y2)*σ′(z2_2)*w2_22)*relu_prime(z1_2)",
    "H(z1_2) (w2_12 (σ(z2_1) - y1) σ(z2_1)(1 - σ(z2_1)) + w2_22 (σ(z2_2) - y2) σ(z2_2)(1 - σ(z2_2)))",
])
def test_every_correct_spelling_of_the_error_term_passes(answer):
    assert _run(F.ERROR_TERM, answer).passed


def test_no_answer_text_is_module_data_the_sandbox_could_read():
    """The typed answers and their slips come from reference() functions the trusted grader empties."""
    import inspect

    from course_pkg.grading import references

    names = references.forbidden("04-four-equations")[F.__name__]
    assert {"_error_term_texts", "_slip_texts", "output_error_reference", "hidden_error_reference",
            "weight_gradient_reference", "error_term_numeric", "slip_numeric"} <= names
    left = "".join(references.poison(inspect.getsource(F), names, F.__name__).split())
    for spec in (F.ERROR_TERM, F.SLIP):
        assert spec.expected is None and F.__name__ in spec.forbid
        for key, text in spec.reference().items():
            assert "".join(text.split()) not in left, f"{spec.id}: {key!r} is readable in the sandbox"


def test_a_learner_calling_the_specs_reference_is_refused():
    """The module forbids itself: a solution that calls its reference fails as reference_used."""
    outcome = engine.run(F.WEIGHT_GRADIENT, InProcessLearner(
        {"weight_gradient": lambda e, a_prev: F.weight_gradient_reference(e, a_prev)},
        forbid=_module_functions(F.FORBID)), hidden=False)
    assert (outcome.passed, outcome.kind) == (False, "reference_used")


def _module_functions(names):
    from course_pkg.checks._core import module_functions

    return module_functions(names)


def test_read_answer_shows_the_parsed_formula_or_says_why_not(capsys):
    assert F.read_answer("test_error_term", RIGHT["e1_2"]) is not None
    assert F.read_answer("test_error_term", "w2_12 +") is None
    assert "Cannot read" in capsys.readouterr().out
