"""Generated tests over every spec of every assignment (the registry course_pkg.checks.specs).

* every probe's ``wrong=`` example, run as the learner's answer, is named by the runner (its
  kind, its message), in the visible self-check and in the hidden tests;
* the hidden tests use no case class the visible self-check does not (for several seeds);
* no message shows the expected values: neither a probe's message nor the runner's diagnosis of
  planted wrong answers contains a number the reference computed, or the expected expression;
* every spec's id is the grade_id of a graded cell of its notebook, and every graded cell has a spec.
"""

import pathlib
import re

import nbformat
import numpy as np
import pytest

from course_pkg import checks, symbolic
from course_pkg.checks import engine
from course_pkg.checks.engine import Derivation, Formula, Function
from course_pkg.checks.learner import InProcessLearner, resolve, to_plain

ROOT = pathlib.Path(__file__).resolve().parents[2]
#: The notebooks whose specs these generated tests cover (04 onwards test their own kinds in their files).
ASSIGNMENTS = ("01-chain-rule", "02-activations", "03-scalar-network")
#: Every assignment of source/: each has a spec module the registry finds, and the runner runs its specs.
EVERY_ASSIGNMENT = tuple(sorted(p.name for p in (ROOT / "source").iterdir() if p.is_dir() and list(p.glob("*.ipynb"))))
SPECS = [(a, spec) for a in ASSIGNMENTS for spec in checks.specs(a).values()]
PROBES = [(a, spec, i) for a, spec in SPECS for i in range(len(getattr(spec, "probes", ())))]
#: Specs whose cases the engine draws (a spec kind of a notebook's own module may draw its own).
DRAWN = [(a, s) for a, s in SPECS if isinstance(s, (Function, Formula, Derivation))]
SEEDS = (0, 1, 12345)


def _probe_id(item):
    assignment, spec, i = item
    return f"{spec.id}-{i}-{spec.probes[i].kind}"


def _learner(spec, answer):
    return InProcessLearner({spec.name: answer})


@pytest.mark.parametrize("item", PROBES, ids=[_probe_id(p) for p in PROBES])
@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
def test_every_probe_is_named_by_the_runner(item, hidden):
    assignment, spec, i = item
    probe = spec.probes[i]
    outcome = engine.run(spec, _learner(spec, engine.probe_answer(spec, probe)), hidden=hidden)
    assert not outcome.passed
    assert outcome.kind == probe.kind, f"{spec.id}: probe {i} ({probe.kind}) was named {outcome.kind}: {outcome.message}"
    if not isinstance(spec, Derivation):
        assert probe.message in outcome.message


@pytest.mark.parametrize("assignment, spec", DRAWN, ids=[s.id for _, s in DRAWN])
def test_hidden_case_classes_are_all_in_the_visible_self_check(assignment, spec):
    visible = {c.cls for c in spec.cases(np.random.default_rng(engine.seed_of(spec, False)))}
    for seed in SEEDS + (engine.seed_of(spec, True),):
        hidden = {c.cls for c in spec.cases(np.random.default_rng(seed))}
        assert hidden <= visible, f"{spec.id}: hidden-only case classes {hidden - visible}"


@pytest.mark.parametrize("assignment, spec", DRAWN, ids=[s.id for _, s in DRAWN])
def test_hidden_tests_use_other_numbers(assignment, spec):
    def numbers(seed):
        return [repr(to_plain(c.args)) + repr(c.kwargs) for c in spec.cases(np.random.default_rng(seed))]

    assert numbers(engine.seed_of(spec, False)) != numbers(engine.seed_of(spec, True))


def _expected_numbers(spec, seed):
    """Every value the reference computes on the cases, as a message could print it."""
    out, inputs = set(), set()
    for case in spec.cases(np.random.default_rng(seed)):
        for v in _numbers_in((case.args, case.kwargs)):
            inputs |= {f"{v:.3g}", f"{v:.4g}", f"{v:.6g}", f"{v:.8g}"}
        if isinstance(spec, Function):
            value = to_plain(spec.reference(*resolve(case.args), **resolve(case.kwargs)))
            values = list(value.values()) if isinstance(value, dict) else np.ravel(value).tolist()
        else:
            values = [spec.numeric(**case.kwargs)]
        for v in values:
            if abs(v) > 1e-3 and abs(v - round(v)) > 1e-6:  # integers (0, 1) appear in any text
                out |= {f"{v:.3g}", f"{v:.4g}", f"{v:.6g}", f"{v:.8g}"}
    return out - inputs  # an input shown in the message is not the answer, even where they coincide


def _numbers_in(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        yield float(value)
    elif isinstance(value, np.ndarray):
        yield from (float(v) for v in value.ravel())
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _numbers_in(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _numbers_in(v)


def _planted(spec):
    """Wrong answers no probe describes: the runner's own diagnosis must not leak either."""
    if isinstance(spec, Function):
        if spec.keys is not None:
            def off(*args, **kwargs):
                value = spec.reference(*args, **kwargs)
                return {k: float(v) * 1.01 + 0.003 for k, v in value.items()}
        else:
            def off(*args, **kwargs):
                return np.asarray(spec.reference(*args, **kwargs), dtype=float) * 1.01 + 0.003
        return [off, lambda *a, **k: to_plain(-np.asarray(_as_float(spec, a, k)))]
    if isinstance(spec, Formula):
        return ["1", "0", spec.variables[0], f"2*{spec.variables[0]}", f"sin({spec.variables[0]})"]
    return []


def _as_float(spec, args, kwargs):
    value = spec.reference(*args, **kwargs)
    if isinstance(value, dict):
        return [float(v) for v in value.values()]
    return value


@pytest.mark.parametrize("assignment, spec", DRAWN, ids=[s.id for _, s in DRAWN])
def test_no_message_shows_the_expected_values(assignment, spec):
    answers = [engine.probe_answer(spec, p) for p in spec.probes] + _planted(spec)
    for hidden in (False, True):
        numbers = _expected_numbers(spec, engine.seed_of(spec, hidden)) if not isinstance(spec, Derivation) else set()
        for answer in answers:
            outcome = engine.run(spec, _learner(spec, answer), hidden=hidden)
            assert not outcome.passed
            shown = set(re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", outcome.message))
            leaked = {n for n in numbers if n in shown}
            assert not leaked, f"{spec.id}: the message shows expected values {leaked}:\n{outcome.message}"
            if isinstance(spec, Formula):
                own = outcome.message.replace(repr(answer), "")  # the learner's own text, echoed
                squeezed = "".join(own.split()).replace("**", "^")
                expected = engine.parse_typed(engine.expected_text(spec), spec)
                for text in {engine.expected_text(spec), symbolic.to_text(expected), str(expected)}:
                    assert "".join(text.split()).replace("**", "^") not in squeezed, outcome.message
                # the symbolic side's leak rule: no piece that is most of the answer, in any form
                leak = symbolic.leaks(outcome.message, engine.expected_text(spec), typed=answer,
                                      variables=list(spec.variables))
                assert leak is None, f"{spec.id}: {leak!r} gives the answer away:\n{outcome.message}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_cell_has_a_spec_and_every_spec_a_cell(assignment):
    path = next((ROOT / "source" / assignment).glob("*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    graded = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
              if c.metadata.get("nbgrader", {}).get("grade")}
    assert set(graded) == set(checks.specs(assignment)), assignment
    for grade_id, source in graded.items():
        assert f'checks.check("{grade_id}"' in source, f"{grade_id} does not run its spec"
        hidden = source.split("### BEGIN HIDDEN TESTS", 1)[1]
        assert "hidden=True" in hidden and "checks.assert_untampered()" in hidden, grade_id


@pytest.mark.parametrize("assignment", EVERY_ASSIGNMENT)
def test_every_assignment_has_specs_the_runner_runs(assignment):
    """The trusted grader's path: spec_for(assignment, grade_id), then engine.run on plain data."""
    for grade_id, spec in checks.specs(assignment).items():
        assert spec.id == grade_id and checks.spec_for(assignment, grade_id) is spec
        outcome = engine.run(spec, InProcessLearner({}), hidden=True, seed=1)
        assert (outcome.passed, outcome.kind) == (False, "missing"), (grade_id, outcome)


def test_the_registry_refuses_unknown_assignments_and_cells():
    with pytest.raises(ValueError, match="folder name"):
        checks.specs("scalar network")
    with pytest.raises(ValueError, match="no spec module"):
        checks.specs("09-nothing-here")
    with pytest.raises(ValueError, match="grade_id of 03-scalar-network must be one of"):
        checks.spec_for("03-scalar-network", "test_nothing")
    assert checks.spec_for("01-chain-rule", "test_central_difference_formula").name == "central_difference"


TYPED = [(a, s) for a, s in SPECS if isinstance(s, (Formula, Derivation))]


@pytest.mark.parametrize("assignment, spec", TYPED, ids=[s.id for _, s in TYPED])
def test_no_spec_module_holds_a_typed_answer_the_sandbox_can_read(assignment, spec):
    """The expected text and the slips live in a function the trusted grader's sandbox empties.

    The grader (course_pkg.grading.references) gives the learner's code a copy of each spec module
    that forbids itself with the bodies of its specs' reference, numeric and probe functions
    replaced: what is left must not contain the answer, not even as a slip that is most of it.
    """
    import importlib
    import inspect

    from course_pkg.grading import references

    module = importlib.import_module(spec.reference.__module__)
    assert module.__name__ in spec.forbid and vars(module)[spec.reference.__name__] is spec.reference
    names = references.forbidden(assignment).get(module.__name__, set())
    assert spec.reference.__name__ in names
    left = "".join(references.poison(inspect.getsource(module), names, module.__name__).split())
    texts = spec.reference()
    for key, text in texts.items():
        for piece in ([text] if isinstance(text, str) else text):
            if len(piece) > 12:
                assert "".join(piece.split()) not in left, f"{spec.id}: {key!r} is readable in the sandbox"
    assert "expected" not in texts or all(not isinstance(p.wrong, str) or p.wrong in texts for p in spec.probes)
