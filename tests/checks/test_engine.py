"""The exercise engine and the learner protocol, on small specs written here.

What the runner promises whatever the spec: plain data only (a learner that is not this
process), one vocabulary of kinds, "not written" and "missing" told in one line, warnings that
never cost points, inputs that must stay unchanged, call budgets ("the backprop way"), the
course's references off limits, messages without the expected values, and a failure that IPython
shows without a traceback.
"""

import json
import warnings

import numpy as np
import pytest

from course_pkg import symbolic
from course_pkg.checks import engine, learner as learner_mod
from course_pkg.checks.engine import Budget, Case, CheckFailed, Formula, Function, Outcome, Probe, Tolerance, run
from course_pkg.checks.learner import (
    CallInfo,
    InProcessLearner,
    LearnerMissing,
    LearnerRaised,
    LearnerTimeout,
    Named,
    Opaque,
    call_plain,
    to_plain,
)


def _cases(rng):
    return [Case("negative", (rng.uniform(-3.0, -0.5, 3),)),
            Case("positive", (rng.uniform(0.5, 3.0, 3),))]


def double_reference(z):
    return 2.0 * np.asarray(z, dtype=float)


DOUBLE = Function(
    id="test_double", name="double", cases=_cases, reference=double_reference,
    tolerance=Tolerance("float64 values", rtol=1e-12, atol=0.0),
    probes=(Probe("function_itself", wrong=lambda z: np.asarray(z, dtype=float),
                  message="That is z itself."),),
)


class PlainOnly:
    """A learner that, like a sandbox, hands back plain data only (and checks the engine sends plain data)."""

    def __init__(self, namespace):
        self.inner = InProcessLearner(namespace)

    def _plain(self, value):
        assert _is_plain(value), f"not plain data: {value!r}"
        return value

    def has(self, name):
        return self.inner.has(name)

    def value(self, name):
        return self._plain(self.inner.value(name))

    def call(self, name, *args, **kwargs):
        for a in (*args, *kwargs.values()):
            assert _is_plain(a) or isinstance(a, Named), f"the engine sent {a!r}"
        return self._plain(self.inner.call(name, *args, **kwargs))

    def calls(self, name):
        return self.inner.calls(name)

    def last_call(self):
        return self.inner.last_call()


def _is_plain(value):
    if value is None or isinstance(value, (bool, int, float, str, Opaque, Named)):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biuf"
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


# ---------------------------------------------------------------------------------------- kinds


def test_kinds_are_one_vocabulary_shared_with_symbolic():
    assert set(symbolic.KINDS) <= set(engine.KINDS)
    assert len(engine.KINDS) == len(set(engine.KINDS))
    for kind in ("ok", "not_written", "missing", "error", "timeout", "wrong", "shape"):
        assert kind in engine.KINDS


def test_a_probe_or_outcome_outside_the_vocabulary_is_refused():
    with pytest.raises(ValueError, match="engine.KINDS"):
        Probe("typo_kind", wrong=abs, message="x")
    with pytest.raises(ValueError, match="engine.KINDS"):
        Outcome(False, "nonsense", "x")


def test_outcome_round_trips_through_json():
    outcome = Outcome(False, "sign", "The sign is flipped.", case="positive")
    assert Outcome.from_dict(json.loads(json.dumps(outcome.to_dict()))) == outcome
    with pytest.raises(ValueError, match="keys"):
        Outcome.from_dict({"passed": True, "kind": "ok", "message": "", "extra": 1})


# ------------------------------------------------------------------------------------- the runner


def test_right_function_passes_with_plain_data_only():
    outcome = run(DOUBLE, PlainOnly({"double": lambda z: 2 * z}), hidden=False)
    assert outcome.passed and outcome.kind == "ok", outcome
    assert "negative" in outcome.message and "positive" in outcome.message


def test_hidden_run_differs_only_in_its_numbers():
    seen = {}

    def spy(z):
        seen.setdefault(z.tobytes(), 0)
        return 2 * z

    for hidden, seed in ((False, None), (True, None), (True, 7)):
        assert run(DOUBLE, InProcessLearner({"double": spy}), hidden=hidden, seed=seed).passed
    assert len(seen) == 6  # three runs of two cases, all numbers different


def test_the_probe_is_named_and_the_expected_values_are_not_shown():
    z_seen = []

    def identity(z):
        z_seen.append(z.copy())
        return z

    outcome = run(DOUBLE, InProcessLearner({"double": identity}), hidden=False)
    assert (outcome.passed, outcome.kind, outcome.case) == (False, "function_itself", "negative")
    for value in 2 * z_seen[0]:
        assert f"{value:.4g}" not in outcome.message and f"{value:.3g}" not in outcome.message


@pytest.mark.parametrize("wrong, kind", [
    (lambda z: -2 * z, "sign"),
    (lambda z: 6 * z, "constant_factor"),
    (lambda z: 2 * z + 1, "wrong"),
])
def test_unnamed_mistakes_get_a_generic_diagnosis_without_the_answer(wrong, kind):
    outcome = run(DOUBLE, InProcessLearner({"double": wrong}), hidden=False)
    assert (outcome.passed, outcome.kind) == (False, kind), outcome
    assert "expected" not in outcome.message


def test_not_implemented_is_one_line_saying_what_to_do():
    def central_difference(f, x, h=1e-5):
        raise NotImplementedError()

    spec = Function(id="t", name="central_difference", cases=lambda rng: [Case("c", (Named("cube"), 2.0, 0.1))],
                    reference=lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h))
    outcome = run(spec, InProcessLearner({"central_difference": central_difference}), hidden=False)
    assert outcome.kind == "not_written"
    assert outcome.message == (
        "`central_difference` is not written yet: replace `raise NotImplementedError()` with your code")


def test_not_written_names_the_stub_that_raised():
    namespace = {}
    exec("def forward(x):\n    raise NotImplementedError()\n"
         "def backward(x):\n    return {'dy': forward(x)}\n", namespace)
    spec = Function(id="t", name="backward", keys=("dy",), cases=lambda rng: [Case("one", (1.0,))],
                    reference=lambda x: {"dy": 1.0})
    outcome = run(spec, InProcessLearner(namespace), hidden=False)
    assert outcome.kind == "not_written" and outcome.message.startswith("`forward` is not written yet")


def test_a_missing_name_is_missing():
    outcome = run(DOUBLE, InProcessLearner({}), hidden=True)
    assert (outcome.passed, outcome.kind) == (False, "missing")
    assert "`double` is not defined" in outcome.message


def test_a_learner_timeout_is_reported():
    class Slow(PlainOnly):
        def call(self, name, *args, **kwargs):
            raise LearnerTimeout()

    outcome = run(DOUBLE, Slow({"double": None}), hidden=False)
    assert outcome.kind == "timeout"


def test_an_exception_is_named_with_its_type():
    outcome = run(DOUBLE, InProcessLearner({"double": lambda z: 1 / 0}), hidden=False)
    assert outcome.kind == "error" and "ZeroDivisionError" in outcome.message


def test_a_warning_inside_a_correct_solution_costs_nothing():
    def noisy(z):
        warnings.warn("this API is deprecated", DeprecationWarning)
        np.log(np.array([0.0]))  # RuntimeWarning: divide by zero
        return 2 * z

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # even a learner who turned warnings into errors
        outcome = run(DOUBLE, InProcessLearner({"double": noisy}), hidden=False)
    assert outcome.passed, outcome


def test_a_silent_spec_fails_on_a_runtime_warning():
    spec = Function(id="t", name="double", cases=_cases, reference=double_reference,
                    silent="np.exp overflowed.")

    def overflowing(z):
        np.exp(np.array([1000.0]))
        return 2 * z

    outcome = run(spec, InProcessLearner({"double": overflowing}), hidden=False)
    assert outcome.kind == "warning" and "np.exp overflowed." in outcome.message


def test_modifying_the_input_fails():
    def in_place(z):
        z *= 2
        return z

    assert run(DOUBLE, InProcessLearner({"double": in_place}), hidden=False).kind == "mutated"


def test_shape_dtype_and_type_are_checked():
    assert run(DOUBLE, InProcessLearner({"double": lambda z: (2 * z)[None]}), hidden=False).kind == "shape"
    assert run(DOUBLE, InProcessLearner({"double": lambda z: None}), hidden=False).kind == "type"
    assert run(DOUBLE, InProcessLearner({"double": lambda z: "2z"}), hidden=False).kind == "type"
    assert run(DOUBLE, InProcessLearner({"double": lambda z: float(z[0])}), hidden=False).kind == "scalar_only"
    floats = Function(id="t", name="double", cases=_cases, reference=double_reference, floats=True)
    assert run(floats, InProcessLearner({"double": lambda z: (2 * z).astype(int)}), hidden=False).kind == "dtype"


def test_scalar_only_code_is_told_to_use_numpy():
    def scalar(z):
        return 2 * z if z > 0 else 0.0

    outcome = run(DOUBLE, InProcessLearner({"double": scalar}), hidden=False)
    assert outcome.kind == "scalar_only" and "np.where" in outcome.message


# ------------------------------------------------------------------------- counting and budgets


def test_calls_counts_the_learners_own_calls_between_its_functions():
    namespace = {}
    exec(  # a notebook: backward calls forward through the notebook's globals
        "def forward(x):\n    return 2 * x\n"
        "def backward(x):\n    return forward(x) + forward(x)\n", namespace)
    learner = InProcessLearner(namespace)
    assert learner.call("backward", 1.0) == 4.0
    assert (learner.calls("backward"), learner.calls("forward")) == (1, 2)
    assert namespace["forward"].__name__ == "forward" and not hasattr(namespace["forward"], "__wrapped__")


def test_a_budget_on_calls_of_forward_is_enforced():
    namespace = {}
    exec(
        "def forward(x):\n    return {'y': 3 * x}\n"
        "def backward(x):\n    return {'dy': 3.0 + 0 * forward(x)['y']}\n"
        "def fd_backward(x):\n    h = 1e-6\n"
        "    return {'dy': (forward(x + h)['y'] - forward(x - h)['y']) / (2 * h)}\n", namespace)
    spec = Function(id="t", name="backward", keys=("dy",), cases=lambda rng: [Case("one", (1.5,))],
                    reference=lambda x: {"dy": 3.0}, tolerance=Tolerance("loose", rtol=1e-3, atol=1e-6),
                    budget=(Budget("forward", 1, "Backprop runs the forward pass once."),))
    assert run(spec, InProcessLearner(namespace), hidden=False).passed
    namespace["backward"] = namespace["fd_backward"]
    outcome = run(spec, InProcessLearner(namespace), hidden=False)
    assert outcome.kind == "budget" and "called forward 2 times" in outcome.message


def test_a_forbidden_reference_is_named_even_when_its_error_is_swallowed():
    import course_pkg.activations as activations
    from course_pkg.checks._core import module_functions

    def lazy(z):
        return 2 * activations.relu(z) + 2 * np.minimum(z, 0)

    def sneaky(z):
        try:
            activations.relu(z)
        except Exception:
            pass
        return 2 * z

    for func in (lazy, sneaky):
        learner = InProcessLearner({"double": func}, forbid=module_functions(("course_pkg.activations",)))
        outcome = run(DOUBLE, learner, hidden=False)
        assert outcome.kind == "reference_used" and "relu()" in outcome.message, outcome
    assert activations.relu(-1.0) == 0.0  # restored


# --------------------------------------------------------------------------------- plain data


def test_plain_data_and_named_callables():
    assert to_plain((np.float32(1.5), np.bool_(True), [np.int16(3)])) == (1.5, True, [3])
    assert to_plain(object()) == Opaque("object")
    assert to_plain({1: 2}) == Opaque("dict with non-string keys")
    assert to_plain(np.array(["a"])) == Opaque("ndarray of dtype <U1")
    with pytest.raises(ValueError, match="Named"):
        Named("open")
    result, info = call_plain(lambda f, x: f(x), (Named("cube"), 2.0))
    assert result == 8.0 and info == CallInfo()


def test_learner_errors_carry_plain_strings():
    with pytest.raises(LearnerRaised) as info:
        call_plain(lambda: [][1])
    assert info.value.exc_type == "IndexError" and isinstance(info.value.message, str)
    with pytest.raises(LearnerMissing):
        InProcessLearner({}).value("x")
    assert isinstance(InProcessLearner({}), learner_mod.Learner)


# ------------------------------------------------------------------------------ notebook side


def test_check_failed_renders_as_its_message_only():
    exc = CheckFailed(Outcome(False, "sign", "double(z) is not right.\nThe sign is flipped."))
    assert isinstance(exc, AssertionError)
    assert exc._render_traceback_() == ["✘ double(z) is not right.", "The sign is flipped."]


def test_notebook_check_uses_the_callers_namespace(capsys):
    check = engine.notebook_check({"test_double": DOUBLE})

    def double(z):
        return 2 * z

    check("test_double", double)
    assert capsys.readouterr().out.startswith("✔ double: right on 2 cases")
    with pytest.raises(CheckFailed) as info:
        check("test_double", lambda z: -2 * z, hidden=True)
    assert info.value.outcome.kind == "sign"
    with pytest.raises(ValueError, match="grade_id must be one of"):
        check("test_nothing", double)


# ---------------------------------------------------------------------------------- formulas


def _points(rng):
    return [Case("x < 0", kwargs={"x": float(rng.uniform(-3, -0.5))}),
            Case("x > 0", kwargs={"x": float(rng.uniform(0.5, 3))})]


SQUARE = Formula(
    id="test_square", name="answer", expected="2*x*cos(x**2)", variables=("x",), cases=_points,
    numeric=lambda x: (np.sin((x + 1e-6) ** 2) - np.sin((x - 1e-6) ** 2)) / 2e-6,
    display="d/dx sin(x²)",
    probes=(Probe("missing_inner_derivative", wrong="cos(x**2)", message="The inner link is missing."),),
)


def test_a_formula_is_judged_by_the_symbolic_engine_and_finite_differences():
    assert run(SQUARE, InProcessLearner({"answer": "2x cos(x^2)"}), hidden=False).passed
    outcome = run(SQUARE, InProcessLearner({"answer": "cos(x^2)"}), hidden=True, seed=3)
    assert outcome.kind == "missing_inner_derivative" and "'cos(x^2)'" in outcome.message
    outcome = run(SQUARE, InProcessLearner({"answer": "-2*x*cos(x^2)"}), hidden=False)
    assert outcome.kind == "sign"
    assert run(SQUARE, InProcessLearner({"answer": "cos(("}), hidden=False).kind == "format"
    assert run(SQUARE, InProcessLearner({"answer": 3}), hidden=False).kind == "type"
    assert run(SQUARE, InProcessLearner({"answer": ...}), hidden=False).kind == "not_written"


@pytest.mark.parametrize("answer", ["1", "x", "cos(x)", "2*x", "2"])
def test_a_formula_message_never_shows_the_expected_expression(answer):
    outcome = run(SQUARE, InProcessLearner({"answer": answer}), hidden=False)
    assert not outcome.passed
    squeezed = "".join(outcome.message.split()).replace("**", "^")
    for shown in ("2*x*cos(x^2)", "2xcos(x^2)", "x*cos(x^2)", "cos(x^2)*x"):
        assert shown not in squeezed, outcome.message


def test_a_failed_check_in_a_real_kernel_shows_its_message_and_no_traceback(tmp_path):
    """IPython renders CheckFailed with _render_traceback_: the message lines, nothing else."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from course_pkg.checks import chain_rule as checks\n"
                                  "def central_difference(f, x, h=1e-5):\n    raise NotImplementedError()"),
        nbformat.v4.new_code_cell('checks.check("test_central_difference_formula", central_difference)'),
        nbformat.v4.new_code_cell("def central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x)) / h\n"
                                  'checks.check("test_central_difference_formula", central_difference)'),
    ]
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    (first,), (second,) = nb.cells[1].outputs, nb.cells[2].outputs
    assert first.output_type == "error" and first.ename == "CheckFailed"
    assert first.traceback == ["✘ `central_difference` is not written yet: replace `raise NotImplementedError()` "
                               "with your code"]
    assert second.traceback[0].startswith("✘ central_difference(x³, ") and len(second.traceback) == 2
    assert "forward difference" in second.traceback[1] and "Traceback" not in "".join(second.traceback)


@pytest.mark.parametrize("answer", ["((x+1)**50)**50", "sin(" * 60 + "x" + ")" * 60, "x**(10**10)"])
def test_a_pathological_typed_answer_ends_with_an_outcome(answer):
    """Every evaluation runs in the symbolic worker under its time limit: no answer hangs the check."""
    outcome = run(SQUARE, InProcessLearner({"answer": answer}), hidden=True)
    assert not outcome.passed and outcome.kind in engine.KINDS
