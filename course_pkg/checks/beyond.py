r"""Specs of notebook 07 (beyond: cross-entropy, vanishing gradients, a tiny autodiff), assignment ``07-beyond``.

What the learner writes, and what the checker calls (plain data both ways):

=============================================  ==========================================================
learner's object                               checked through
=============================================  ==========================================================
``topological_order(root)``                    the notebook's ``topological_names(program, inputs)``: the
                                               labels of the nodes in the learner's order
``Value``'s backward rules (add, mul, tanh,    the notebook's ``run_program(program, inputs)``:
exp, relu)                                     ``{"value": ..., "grads": {name: ∂out/∂name}}``
``fanout_program``, ``fanout_inputs``          a program (plain data) on which an engine that assigns
                                               gradients (``=``) instead of adding them (``+=``) goes wrong
``dc_dz2``                                     a typed answer: ∂c/∂z₂ of softmax + cross-entropy
=============================================  ==========================================================

A program is a list of steps ``[name, op, arguments]`` over named inputs
(:mod:`course_pkg.autodiff`); the reference gradients come from :func:`course_pkg.autodiff.run_program`.
The misconceptions of the backward rules are engines with one wrong rule each (``wrong_*``
classes here), matched on the learner's gradients like any probe.

Examples
--------
>>> from course_pkg.checks.learner import InProcessLearner
>>> from course_pkg import autodiff
>>> learner = InProcessLearner({"run_program": autodiff.run_program})
>>> run(spec_for_id("test_backward_rules"), learner, hidden=False).passed
True
>>> wrong = InProcessLearner({"run_program": lambda p, i: autodiff.run_program(p, i, NoAccumulation)})
>>> run(spec_for_id("test_backward_rules"), wrong, hidden=False).kind
'overwritten_gradient'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from course_pkg import autodiff as _autodiff
from course_pkg.checks import _core, engine
from course_pkg.checks._core import assert_untampered
from course_pkg.checks.engine import Case, Formula, Outcome, Probe, Tolerance
from course_pkg.checks.learner import LearnerMissing, LearnerRaised, Opaque

__all__ = ["ASSIGNMENT", "SPECS", "run", "check", "spec_for_id", "assert_untampered"]

ASSIGNMENT = "07-beyond"
run = engine.run
#: The learner writes the engine without the course's own.
FORBID = ("course_pkg.autodiff", "course_pkg.checks.beyond")
#: Gradients of the same arithmetic agree to rounding; finite differences would not.
GRADS = Tolerance("float64 agreement with the course's autodiff", rtol=1e-9, atol=1e-12)


def _fail(kind, message, case=None):
    return Outcome(False, kind, message, case)


def _show(program):
    """A program as a formula a learner reads, e.g. ``y = tanh(u)  with  u = x·w``."""
    return "; ".join(f"{name} = {op}({', '.join(args)})" for name, op, args in program)


# ---------------------------------------------------------------------------------------------
# the programs the checks run


def _inputs(rng, names, low=-2.0, high=2.0, away=0.2):
    values = {}
    for name in names:
        v = float(rng.uniform(low, high))
        values[name] = v if abs(v) > away else math.copysign(away + abs(v), v if v else 1.0)
    return values


def _program_cases(rng):
    """Each rule alone (both sides of ReLU's kink, and the kink), fan-out, and a whole neuron."""
    cases = [
        Case("add", ([["y", "add", ["a", "b"]]], _inputs(rng, "ab"))),
        Case("mul", ([["y", "mul", ["a", "b"]]], _inputs(rng, "ab"))),
        Case("tanh", ([["y", "tanh", ["a"]]], _inputs(rng, "a", -1.5, 1.5))),
        Case("exp", ([["y", "exp", ["a"]]], _inputs(rng, "a"))),
        Case("relu, z > 0", ([["y", "relu", ["a"]]], {"a": float(rng.uniform(0.2, 2.0))})),
        Case("relu, z < 0", ([["y", "relu", ["a"]]], {"a": float(rng.uniform(-2.0, -0.2))})),
        Case("relu at the kink z = 0", ([["y", "relu", ["a"]]], {"a": 0.0})),
        Case("fan-out: a value used twice", ([["u", "mul", ["a", "b"]], ["v", "add", ["u", "a"]],
                                              ["y", "mul", ["v", "u"]]], _inputs(rng, "ab"))),
        Case("a neuron: tanh(w1·x1 + w2·x2 + b)", (
            [["p1", "mul", ["w1", "x1"]], ["p2", "mul", ["w2", "x2"]], ["s", "add", ["p1", "p2"]],
             ["z", "add", ["s", "b"]], ["y", "tanh", ["z"]]],
            _inputs(rng, ("w1", "x1", "w2", "x2", "b"), -1.0, 1.0))),
    ]
    return cases


class NoAccumulation(_autodiff.Value):
    """Every rule assigns its gradient (``=``) instead of adding it (``+=``): micrograd's classic bug."""

    def __add__(self, other):
        other = other if isinstance(other, _autodiff.Value) else NoAccumulation(other)
        out = NoAccumulation(self.data + other.data, children=(self, other), op="add")

        def _backward():
            self.grad = out.grad
            other.grad = out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, _autodiff.Value) else NoAccumulation(other)
        out = NoAccumulation(self.data * other.data, children=(self, other), op="mul")

        def _backward():
            self.grad = other.data * out.grad
            other.grad = self.data * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = NoAccumulation(t, children=(self,), op="tanh")

        def _backward():
            self.grad = (1.0 - t * t) * out.grad

        out._backward = _backward
        return out

    def exp(self):
        e = math.exp(self.data)
        out = NoAccumulation(e, children=(self,), op="exp")

        def _backward():
            self.grad = e * out.grad

        out._backward = _backward
        return out

    def relu(self):
        out = NoAccumulation(max(self.data, 0.0), children=(self,), op="relu")

        def _backward():
            self.grad = (1.0 if self.data > 0 else 0.0) * out.grad

        out._backward = _backward
        return out


def _with_rule(op, backward):
    """A Value class whose rule for ``op`` is ``backward(node, out, *args)`` (the others right)."""

    class Wrong(_autodiff.Value):
        pass

    def make(name):
        right = getattr(_autodiff.Value, name)

        def method(self, *others):
            out = right(self, *others)
            out.__class__ = Wrong
            if out.op == op:
                args = out.children
                out._backward = lambda: backward(out, *args)
            return out

        return method

    for name in ("__add__", "__mul__", "tanh", "exp", "relu"):
        setattr(Wrong, name, make(name))
    Wrong.__radd__, Wrong.__rmul__ = Wrong.__add__, Wrong.__mul__
    return Wrong


def _tanh_itself(out, a):
    a.grad += out.data * out.grad


def _mul_own(out, a, b):
    a.grad += a.data * out.grad
    b.grad += b.data * out.grad


def _exp_one(out, a):
    a.grad += out.grad


def _relu_one_at_zero(out, a):
    a.grad += (1.0 if a.data >= 0 else 0.0) * out.grad


def _add_once(out, a, b):
    a.grad += out.grad


TanhItself = _with_rule("tanh", _tanh_itself)
MulOwn = _with_rule("mul", _mul_own)
ExpOne = _with_rule("exp", _exp_one)
ReluOneAtZero = _with_rule("relu", _relu_one_at_zero)
AddOnce = _with_rule("add", _add_once)


def wrong_engine(value_class):
    """``run_program`` with a wrong engine, as a probe (a runnable wrong variant)."""
    def run_program(program, inputs):
        return _autodiff.run_program(program, inputs, value_class)

    return run_program


def reference_run(program, inputs):
    """The course's autodiff on a program."""
    return _autodiff.run_program(program, inputs)


_RULE_PROBES = (
    Probe("overwritten_gradient", wrong=wrong_engine(NoAccumulation),
          message="A value used twice gets only one of its gradients: each rule must ADD to .grad (+=), "
                  "because a value that feeds several others receives a gradient along each path (fan-out)."),
    Probe("function_for_derivative", wrong=wrong_engine(TanhItself),
          message="The tanh rule multiplies by tanh itself; it needs its derivative, 1 − tanh²(z)."),
    Probe("swapped", wrong=wrong_engine(MulOwn),
          message="In the product rule each input's gradient is the OTHER input times out.grad: "
                  "∂(ab)/∂a = b, ∂(ab)/∂b = a."),
    Probe("wrong_derivative", wrong=wrong_engine(ExpOne),
          message="The exp rule passes out.grad on unchanged; exp′(z) = exp(z), so multiply by the output's data."),
    Probe("kink_convention", wrong=wrong_engine(ReluOneAtZero),
          message="At z = 0 the course's convention is relu′(0) = 0 (as relu_prime); your rule uses 1 there."),
    Probe("missing", wrong=wrong_engine(AddOnce),
          message="The sum passes its gradient to one input only; ∂(a + b)/∂a = ∂(a + b)/∂b = 1, so both get out.grad."),
)


def _read_run(got, program, inputs, where, cls):
    if not isinstance(got, dict) or "value" not in got or "grads" not in got:
        return _fail("type", f"{where}: run_program should return {{'value': ..., 'grads': {{...}}}}; it returned "
                     f"{getattr(got, 'type_name', type(got).__name__)}.", cls)
    grads = got["grads"]
    names = list(inputs) + [step[0] for step in program]
    if not isinstance(grads, dict) or any(n not in grads for n in names):
        return _fail("type", f"{where}: grads should hold a gradient for every input and step ({', '.join(names)}).", cls)
    try:
        return float(got["value"]), {n: float(grads[n]) for n in names}
    except (TypeError, ValueError):
        return _fail("type", f"{where}: the value and the gradients should be numbers.", cls)


@dataclass(frozen=True)
class Rules:
    """The learner's backward rules, through ``run_program``: each op alone, fan-out, a neuron."""

    id: str
    name: str
    cases: Callable
    reference: Callable
    probes: tuple = ()
    forbid: tuple = ()
    title: str = ""

    @property
    def names(self):
        return (self.name,)

    def _outputs(self, run_program, case):
        program, inputs = case.args
        return _read_run(run_program(program, inputs), program, inputs, "", case.cls)

    def judge(self, learner, rng):
        if not learner.has(self.name):
            raise LearnerMissing(self.name)
        cases = list(self.cases(rng))
        results = []
        for case in cases:
            program, inputs = case.args
            where = f"run_program on {_show(program)} at {', '.join(f'{k} = {v:.3g}' for k, v in inputs.items())}"
            ops = {step[1] for step in program}
            try:
                got = learner.call(self.name, program, inputs)
            except LearnerRaised as exc:
                rule = (f"the backward rule of `{program[0][1]}`" if len(program) == 1
                        else "a backward rule of `Value`")
                return engine.learner_error(self.name, exc, where, case.cls, stub=rule)
            read = _read_run(got, program, inputs, where, case.cls)
            if isinstance(read, Outcome):
                return read
            value, grads = read
            want_value, want = _read_run(self.reference(program, inputs), program, inputs, where, case.cls)
            results.append((case, value, grads))
            if not GRADS.close(np.array([value]), np.array([want_value])):
                return _fail("wrong", f"{where} ({case.cls}): the output's value is wrong, so the forward part "
                             "of the operations changed: only the _backward functions are yours to write.", case.cls)
            bad = [n for n in grads if not GRADS.close(np.array([grads[n]]), np.array([want[n]]))]
            if bad:
                for probe in self.probes:
                    try:
                        p_value, p_grads = self._outputs(probe.wrong, case)
                    except Exception:  # noqa: BLE001 - a probe that does not apply here
                        continue
                    if all(GRADS.close(np.array([grads[n]]), np.array([p_grads[n]])) for n in grads):
                        return _fail(probe.kind, f"{where} ({case.cls}): the gradient of {', '.join(bad)} is "
                                     f"wrong.\n{probe.message}", case.cls)
                rule = (f" The rule of {next(iter(ops))} is the one to look at." if len(ops) == 1 else
                        " Each rule alone was right, so look at how gradients meet where a value is used "
                        "twice, and at the order in which backward visits the nodes.")
                return _fail("wrong", f"{where} ({case.cls}): the gradient of {', '.join(bad)} is wrong.{rule}",
                             case.cls)
        classes = list(dict.fromkeys(c.cls for c in cases))
        return Outcome(True, "ok", f"{self.title or self.name}: every gradient right on {len(cases)} programs "
                       f"({'; '.join(classes)}).")


# ---------------------------------------------------------------------------------------------
# topological order


def _topo_cases(rng):
    x = _inputs(rng, "ab")
    return [
        Case("a chain", ([["u", "tanh", ["a"]], ["v", "exp", ["u"]], ["y", "mul", ["v", "v"]]], {"a": x["a"]})),
        Case("fan-out: a value used by two others", (
            [["u", "mul", ["a", "b"]], ["v", "tanh", ["u"]], ["w", "exp", ["u"]], ["y", "add", ["v", "w"]]], x)),
        Case("a neuron", _program_cases(rng)[-1].args),
    ]


def reference_topological_names(program, inputs):
    """The labels in the course's topological order."""
    _autodiff.check_program(program, inputs)
    nodes = {n: _autodiff.Value(v, n) for n, v in inputs.items()}
    for name, op, args in program:
        a = [nodes[arg] for arg in args]
        out = a[0] + a[1] if op == "add" else a[0] * a[1] if op == "mul" else getattr(a[0], op)()
        out.label = name
        nodes[name] = out
    return [v.label for v in _autodiff.topological_order(out)]


def wrong_topo_no_visited(program, inputs):
    """Depth-first without a visited set: a shared node comes once per path."""
    children = {name: args for name, _, args in program}

    def visit(name):
        order = []
        for child in children.get(name, ()):
            order += visit(child)
        return order + [name]

    return visit(program[-1][0])


def wrong_topo_parents_first(program, inputs):
    return list(reversed(reference_topological_names(program, inputs)))


TOPO_PROBES = (
    Probe("repeated_node", wrong=wrong_topo_no_visited, message="comes more than once"),
    Probe("wrong_order", wrong=wrong_topo_parents_first, message="before"),
)


@dataclass(frozen=True)
class Topological:
    """The learner's ``topological_order``, through ``topological_names``: each node once, children first."""

    id: str
    name: str
    cases: Callable
    forbid: tuple = ()
    title: str = ""

    @property
    def names(self):
        return (self.name,)

    def judge(self, learner, rng):
        if not learner.has(self.name):
            raise LearnerMissing(self.name)
        cases = list(self.cases(rng))
        for case in cases:
            program, inputs = case.args
            where = f"topological_order on {_show(program)}"
            try:
                got = learner.call(self.name, program, inputs)
            except LearnerRaised as exc:
                return engine.learner_error(self.name, exc, where, case.cls, stub="`topological_order`")
            if not isinstance(got, (list, tuple)) or not all(isinstance(n, str) for n in got):
                return _fail("type", f"{where}: topological_order should return a list of the Value nodes "
                             "(topological_names reads their labels).", case.cls)
            names = list(inputs) + [step[0] for step in program]
            seen = {}
            for n in got:
                seen[n] = seen.get(n, 0) + 1
            twice = [n for n, k in seen.items() if k > 1]
            if twice:
                return _fail("repeated_node", f"{where} ({case.cls}): {twice[0]} comes more than once. A node "
                             "reached along two paths must be listed once: remember which nodes you have "
                             "visited (a set), and skip them.", case.cls)
            missing = [n for n in names if n not in seen]
            if missing:
                return _fail("missing", f"{where} ({case.cls}): {', '.join(missing)} never comes; every value the "
                             "output depends on, the inputs included, belongs in the order.", case.cls)
            position = {n: i for i, n in enumerate(got)}
            for name, _, args in program:
                for arg in args:
                    if position[arg] > position[name]:
                        return _fail("wrong_order", f"{where} ({case.cls}): {name} comes before {arg}, which it "
                                     "is computed from. Children first: visit a node's children, then append "
                                     "the node, so backward can walk the list from the end.", case.cls)
        classes = list(dict.fromkeys(c.cls for c in cases))
        return Outcome(True, "ok", f"{self.title or self.name}: every node once, each after the values it is "
                       f"computed from, on {len(cases)} graphs ({'; '.join(classes)}).")


# ---------------------------------------------------------------------------------------------
# a test that catches the missing accumulation


@dataclass(frozen=True)
class CatchesBug:
    """The learner's own test program: the engine without ``+=`` must get one of its gradients wrong."""

    id: str
    name: str
    inputs_name: str
    forbid: tuple = ()
    title: str = ""

    @property
    def names(self):
        return (self.name, self.inputs_name)

    def judge(self, learner, rng):
        for name in self.names:
            if not learner.has(name):
                raise LearnerMissing(name)
        program, inputs = learner.value(self.name), learner.value(self.inputs_name)
        if program is None or inputs is None or isinstance(program, Opaque) or isinstance(inputs, Opaque):
            return _fail("not_written", f"`{self.name}` is not written yet: replace `raise NotImplementedError()` "
                         "with your program and its inputs.")
        try:
            right = _autodiff.run_program(program, inputs)
            buggy = _autodiff.run_program(program, inputs, NoAccumulation)
        except ValueError as exc:
            return _fail("format", f"`{self.name}` is not a program the engine can run: {exc}")
        differs = [n for n in right["grads"]
                   if not GRADS.close(np.array([right["grads"][n]]), np.array([buggy["grads"][n]]))]
        if not differs:
            used = {}
            for _, _, args in program:
                for arg in args:
                    used[arg] = used.get(arg, 0) + 1
            if max(used.values(), default=0) < 2:
                return _fail("wrong", f"`{self.name}`: no value in it is used twice, so every node has one path "
                             "to the output and `=` and `+=` agree. Use some value in two steps (fan-out).")
            return _fail("wrong", f"`{self.name}`: a value is used twice, but with these inputs the two "
                         "engines still agree (a gradient along one of the paths is 0). Change the inputs or "
                         "the operations so that both paths carry a gradient.")
        return Outcome(True, "ok", f"{self.title or self.name}: the engine that assigns gradients gets "
                       f"the gradient of {', '.join(differs)} wrong on your program, the right one does not: a test that "
                       "catches the missing +=.")


# ---------------------------------------------------------------------------------------------
# softmax + cross-entropy, typed


def _softmax_texts():
    """The expected ∂c/∂z2 (target class 2) and its slips, as typed (a function: see engine.Formula)."""
    a2 = "exp(z2)/(exp(z1) + exp(z2) + exp(z3))"
    return {
        "expected": f"{a2} - 1",
        "no -1": a2,
        "sign": f"1 - {a2}",
        "sigmoid": "sigmoid(z2) - 1",
        "with σ′": f"({a2} - 1)*{a2}*(1 - {a2})",
    }


def _softmax_cases(rng):
    def point(order):
        z = np.sort(rng.uniform(-3.0, 3.0, 3))
        return dict(zip(order, (float(v) for v in z)))

    return [Case("z2 the largest", kwargs=point(("z1", "z3", "z2"))),
            Case("z2 the smallest", kwargs=point(("z2", "z1", "z3"))),
            Case("large logits", kwargs={k: float(v) for k, v in zip(("z1", "z2", "z3"), rng.uniform(5, 12, 3))})]


def _softmax_measured(z1, z2, z3):
    """∂c/∂z2 of c = −log softmax(z)_2 by a central difference (the independent twin)."""
    def cost(v):
        z = np.array([z1, v, z3])
        return float(np.logaddexp.reduce(z) - v)

    h = 1e-6
    return (cost(z2 + h) - cost(z2 - h)) / (2 * h)


SOFTMAX = Formula(
    id="test_softmax_gradient", name="dc_dz2", display="∂c/∂z₂ (softmax + cross-entropy, target class 2)",
    expected=None, reference=_softmax_texts, forbid=FORBID, variables=("z1", "z2", "z3", "a1", "a2", "a3"),
    cases=_softmax_cases, numeric=_softmax_measured, derivatives=(),
    tolerance=Tolerance("agreement with finite differences (relative 1e-5)", rtol=1e-5, atol=1e-7),
    definitions=(("a1", "exp(z1)/(exp(z1) + exp(z2) + exp(z3))"), ("a2", "exp(z2)/(exp(z1) + exp(z2) + exp(z3))"),
                 ("a3", "exp(z3)/(exp(z1) + exp(z2) + exp(z3))")),
    format_hint="Write the softmax outputs as a1, a2, a3 or spell them out with exp(z1), exp(z2), exp(z3).",
    hint="c = −log a2 for target class 2; differentiate log(e^{z1} + e^{z2} + e^{z3}) − z2 with respect to z2.",
    probes=(
        Probe("additive_constant", wrong="no -1",
              message="That is a2 alone: with y = (0, 1, 0) the error is a2 − y2, and y2 = 1 for the target class."),
        Probe("sign", wrong="sign",
              message="The sign is flipped: raising z2 raises a2 and lowers the cost, so ∂c/∂z2 = a2 − 1 < 0."),
        Probe("wrong_function", wrong="sigmoid",
              message="The softmax output a2 depends on all three logits, not on z2 alone through σ."),
        Probe("extra_factor", wrong="with σ′",
              message="There is an extra factor a2(1 − a2): the cross-entropy's 1/a2 cancels the softmax's "
                      "derivative, which is the whole point; the error is simply a − y."),
    ),
)


SPECS = (
    Topological(id="test_topological_order", name="topological_names", cases=_topo_cases, forbid=FORBID,
                title="topological_order"),
    Rules(id="test_backward_rules", name="run_program", cases=_program_cases, reference=reference_run,
          probes=_RULE_PROBES, forbid=FORBID, title="Value's backward rules"),
    CatchesBug(id="test_fanout_program", name="fanout_program", inputs_name="fanout_inputs", forbid=FORBID,
               title="fanout_program"),
    SOFTMAX,
)


def spec_for_id(grade_id):
    """The spec of one graded cell of this notebook."""
    return {spec.id: spec for spec in SPECS}[grade_id]


#: The notebook's check: ``check(grade_id, *objects, hidden=False)`` prints ✔ or raises CheckFailed.
check = engine.notebook_check({spec.id: spec for spec in SPECS})

_core.seal(__name__, references=("course_pkg.autodiff",))
