"""Notebook 07's specs (course_pkg.checks.beyond): right engines pass, each wrong rule is named, nothing leaks."""

import pytest

from course_pkg import autodiff
from course_pkg.checks import beyond as checks
from course_pkg.checks import engine, spec_for, specs
from course_pkg.checks.learner import InProcessLearner


def outcome(grade_id, namespace, hidden=False, seed=None):
    return engine.run(spec_for("07-beyond", grade_id), InProcessLearner(namespace), hidden=hidden, seed=seed)


def test_the_registry_finds_every_graded_exercise():
    assert set(specs("07-beyond")) == {"test_softmax_gradient", "test_topological_order", "test_backward_rules",
                                       "test_fanout_program"}


@pytest.mark.parametrize("hidden", [False, True])
def test_the_course_engine_passes_every_check(hidden):
    assert outcome("test_backward_rules", {"run_program": autodiff.run_program}, hidden).passed
    assert outcome("test_topological_order", {"topological_names": checks.reference_topological_names}, hidden).passed
    program = [["u", "mul", ["a", "a"]], ["y", "add", ["u", "a"]]]
    assert outcome("test_fanout_program", {"fanout_program": program, "fanout_inputs": {"a": 0.7}}, hidden).passed
    for answer in ("exp(z2)/(exp(z1) + exp(z2) + exp(z3)) - 1", "a2 - 1", "-(exp(z1) + exp(z3))/(exp(z1) + exp(z2) + exp(z3))"):
        result = outcome("test_softmax_gradient", {"dc_dz2": answer}, hidden)
        assert result.passed, (answer, result.message)


@pytest.mark.parametrize("probe", checks._RULE_PROBES, ids=[p.kind for p in checks._RULE_PROBES])
@pytest.mark.parametrize("hidden", [False, True])
def test_every_wrong_rule_is_named(probe, hidden):
    result = outcome("test_backward_rules", {"run_program": probe.wrong}, hidden)
    assert not result.passed and result.kind == probe.kind, result.message
    assert probe.message in result.message


@pytest.mark.parametrize("probe", checks.TOPO_PROBES, ids=[p.kind for p in checks.TOPO_PROBES])
def test_every_wrong_order_is_named(probe):
    result = outcome("test_topological_order", {"topological_names": probe.wrong})
    assert not result.passed and result.kind == probe.kind, result.message
    assert probe.message in result.message


@pytest.mark.parametrize("wrong", ["no -1", "sign", "sigmoid", "with σ′"])
def test_every_softmax_slip_is_named_and_the_answer_is_not_shown(wrong):
    spec = spec_for("07-beyond", "test_softmax_gradient")
    probe = next(p for p in spec.probes if p.wrong == wrong)
    result = outcome("test_softmax_gradient", {"dc_dz2": checks._softmax_texts()[wrong]})
    assert not result.passed and result.kind == probe.kind, result.message
    assert "exp(z1) + exp(z2) + exp(z3)) - 1" not in result.message.replace(checks._softmax_texts()[wrong], "")


def test_a_program_without_fan_out_does_not_catch_the_bug_and_says_why():
    chain = [["u", "mul", ["a", "b"]], ["y", "tanh", ["u"]]]
    result = outcome("test_fanout_program", {"fanout_program": chain, "fanout_inputs": {"a": 1.0, "b": 2.0}})
    assert not result.passed and "used twice" in result.message
    # a is used twice, but the path through m carries a zero gradient (∂m/∂a = z = 0), and the
    # assigning engine happens to write that zero first: the last write is the whole gradient.
    zero_path = [["u", "tanh", ["a"]], ["m", "mul", ["a", "z"]], ["y", "add", ["u", "m"]]]
    result = outcome("test_fanout_program", {"fanout_program": zero_path, "fanout_inputs": {"a": 0.5, "z": 0.0}})
    assert not result.passed and "still agree" in result.message


def test_a_malformed_program_is_refused_with_what_is_wrong():
    result = outcome("test_fanout_program", {"fanout_program": [["y", "sin", ["a"]]], "fanout_inputs": {"a": 1.0}})
    assert not result.passed and result.kind == "format" and "op must be one of" in result.message


def test_unwritten_parts_say_which_one_in_one_line():
    def stub(*args):
        raise NotImplementedError()

    result = outcome("test_topological_order", {"topological_names": stub})
    assert result.kind == "not_written" and "\n" not in result.message

    class Unwritten(autodiff.Value):
        def tanh(self):
            out = autodiff.Value.tanh(self)

            def _backward():
                raise NotImplementedError()

            out._backward = _backward
            return out

    def run_program(program, inputs):
        return autodiff.run_program(program, inputs, Unwritten)

    result = outcome("test_backward_rules", {"run_program": run_program})
    assert result.kind == "not_written" and "`tanh`" in result.message


def test_finite_differences_are_not_an_engine():
    """Gradients by central differences are close but not exact: the rules check refuses them."""
    def by_differences(program, inputs):
        right = autodiff.run_program(program, inputs)
        grads = {}
        for name in inputs:
            up, down = dict(inputs), dict(inputs)
            up[name] += 1e-5
            down[name] -= 1e-5
            grads[name] = (autodiff.run_program(program, up)["value"]
                           - autodiff.run_program(program, down)["value"]) / 2e-5
        grads.update({n: g for n, g in right["grads"].items() if n not in inputs})
        return {"value": right["value"], "grads": grads}

    assert not outcome("test_backward_rules", {"run_program": by_differences}).passed
