r"""Specs of notebook 03 (backprop by hand on the scalar network): data for the engine.

The network: :math:`z_1 = \theta_1 x + b_1`, :math:`a_1 = g(z_1)`, :math:`z_2 = \theta_2 a_1 + b_2`,
:math:`a_2 = g(z_2)`, :math:`z_3 = \theta_3 a_2 + b_3`, :math:`\hat y = \sigma(z_3)`,
:math:`C = (\hat y - y)^2`, with :math:`g` = ReLU and the convention :math:`g'(0) = 0`.

Every exercise is checked on the same case classes, visible and hidden: both ReLUs on, ReLU 1
off, ReLU 2 off, and (forward, backward) a hidden neuron exactly at its kink, :math:`z = 0`.

* ``test_forward``: ``forward(x, thetas, biases)`` -> ``{"z1", "a1", "z2", "a2", "z3", "y_hat"}``;
* ``test_backward``: ``backward(x, y, thetas, biases)`` -> the six gradients, "the backprop way":
  it may call the learner's ``forward`` at most once per call (a finite-difference backward,
  which needs a forward pass per nudge, fails);
* ``test_dC_db1``: :math:`\partial C/\partial b_1` typed as a formula in :data:`DC_DB1_VARIABLES`.

While the learner's code runs, :mod:`course_pkg.network` and :mod:`course_pkg.paths` are off limits.
"""

import numpy as np

from course_pkg import network as _network
from course_pkg.activations import relu_prime as _relu_prime
from course_pkg.activations import sigmoid as _sigmoid
from course_pkg.activations import sigmoid_prime as _sigmoid_prime

from . import _core, engine
from ._core import assert_untampered
from .engine import Budget, Case, Formula, Function, Probe, Tolerance

__all__ = ["ASSIGNMENT", "SPECS", "check", "read_answer", "FORWARD_KEYS", "GRADIENT_KEYS",
           "DC_DB1_VARIABLES", "assert_untampered"]

ASSIGNMENT = "03-scalar-network"
FORWARD_KEYS = ("z1", "a1", "z2", "a2", "z3", "y_hat")
GRADIENT_KEYS = ("theta1", "b1", "theta2", "b2", "theta3", "b3")
#: Names a typed answer for ∂C/∂b1 may use (θ1…θ3 and ŷ may be typed for theta1…theta3 and y_hat).
DC_DB1_VARIABLES = ("x", "y", "y_hat", "z1", "z2", "z3", "a1", "a2",
                    "theta1", "theta2", "theta3", "b1", "b2", "b3")
#: The course's network and paths are off limits, and so is this module (the sandbox of the trusted
#: grader holds it with the bodies of its references and probes taken out).
_FORBID = ("course_pkg.network", "course_pkg.paths", __name__)
_VALUES = Tolerance("float64 values (relative 1e-7)", rtol=1e-7, atol=1e-10)
#: Random networks keep every weighted input this far from the kink, except the kink cases.
KINK_MARGIN = 0.05


# ------------------------------------------------------------------------------ the network


def _relu(v):
    return max(float(v), 0.0)


def _forward(x, thetas, biases, hidden=_relu, output=None, inputs_from_x=False, linear=()):
    """Forward values, with a slip on request (the probes): another activation, x everywhere, no ReLU in ``linear``."""
    output = output or (lambda v: float(_sigmoid(v)))
    values, a = {}, x
    for l in range(3):
        z = thetas[l] * (x if inputs_from_x else a) + biases[l]
        a = output(z) if l == 2 else (z if l + 1 in linear else hidden(z))
        values[f"z{l + 1}"] = z
        values["y_hat" if l == 2 else f"a{l + 1}"] = a
    return values


def _as_network(thetas, biases):
    return [np.array([[t]], dtype=float) for t in thetas], [np.array([b], dtype=float) for b in biases]


def _backward(x, y, thetas, biases, **slips):
    """The six gradients by backprop, local derivatives replaced by ``slips`` (functions of the values)."""
    v = _forward(x, thetas, biases)
    v.update(x=x, y=y, theta1=thetas[0], theta2=thetas[1], theta3=thetas[2])
    local = {"dC": 2 * (v["y_hat"] - y), "dyhat": float(_sigmoid_prime(v["z3"])),
             "g1": float(_relu_prime(v["z1"])), "g2": float(_relu_prime(v["z2"])),
             "in1": x, "in2": v["a1"], "in3": v["a2"]}
    local.update({k: f(v) for k, f in slips.items()})
    e3 = local["dC"] * local["dyhat"]
    e2 = e3 * thetas[2] * local["g2"]
    e1 = e2 * thetas[1] * local["g1"]
    grads = {"theta1": e1 * local["in1"], "b1": e1, "theta2": e2 * local["in2"], "b2": e2,
             "theta3": e3 * local["in3"], "b3": e3}
    return {k: grads[local.get("order", {}).get(k, k)] for k in GRADIENT_KEYS}


def _backprop(**slips):
    return lambda x, y, thetas, biases: _backward(x, y, thetas, biases, **slips)


def _network_cases(rng, kinks=True):
    """Networks of every case class: ReLUs on and off in each hidden neuron, and z = 0 exactly."""
    wanted = {
        "both ReLUs on": lambda z1, z2: z1 > KINK_MARGIN and z2 > KINK_MARGIN,
        "ReLU 1 off": lambda z1, z2: z1 < -KINK_MARGIN and z2 > KINK_MARGIN,
        "ReLU 2 off": lambda z1, z2: z1 > KINK_MARGIN and z2 < -KINK_MARGIN,
    }
    cases = []
    for cls, ok in wanted.items():
        while True:
            x = float(rng.uniform(0.2, 2.0) * rng.choice([-1.0, 1.0]))
            y = float(rng.uniform(0.0, 1.0))
            thetas = [float(v) for v in rng.normal(0.0, 1.2, 3)]
            biases = [float(v) for v in rng.normal(0.0, 0.5, 3)]
            v = _forward(x, thetas, biases)
            if ok(v["z1"], v["z2"]) and abs(v["z3"]) < 4:
                cases.append((cls, x, y, thetas, biases))
                break
    if kinks:
        # z1 = 0 exactly (b1 = −θ1·x), with neuron 2 on; then z2 = 0 exactly (b2 = −θ2·a1)
        cls, x, y, thetas, biases = cases[0]
        b1 = -(thetas[0] * x)
        at_kink_1 = [b1, abs(biases[1]) + 0.3, biases[2]]
        at_kink_2 = [biases[0], -(thetas[1] * _relu(thetas[0] * x + biases[0])), biases[2]]
        cases += [("z1 = 0, the kink", x, y, thetas, at_kink_1), ("z2 = 0, the kink", x, y, thetas, at_kink_2)]
    return cases


def _show(x, y, thetas, biases):
    target = "" if y is None else f"y = {y:.4g}, "
    return (f"x = {x:.4g}, {target}thetas = [{', '.join(f'{t:.4g}' for t in thetas)}], "
            f"biases = [{', '.join(f'{b:.4g}' for b in biases)}]")


def _forward_cases(rng):
    return [Case(cls, (x, thetas, biases), where=f"forward({_show(x, None, thetas, biases)})")
            for cls, x, y, thetas, biases in _network_cases(rng)]


def _backward_cases(rng):
    return [Case(cls, (x, y, thetas, biases), where=f"backward({_show(x, y, thetas, biases)})")
            for cls, x, y, thetas, biases in _network_cases(rng)]


FORWARD = Function(
    id="test_forward", name="forward", keys=FORWARD_KEYS, cases=_forward_cases,
    reference=_forward, tolerance=_VALUES, forbid=_FORBID,
    title="forward: z1, a1, z2, a2, z3 and ŷ",
    probes=(
        Probe("wrong_input", wrong=lambda x, t, b: _forward(x, t, b, inputs_from_x=True),
              message="Every layer uses x as its input (z = θ·x + b). Only layer 1 sees x; layer 2 "
                      "computes z2 = θ2·a1 + b2 and layer 3 z3 = θ3·a2 + b3: each layer feeds on the "
                      "activation of the one before."),
        Probe("missing_activation", wrong=lambda x, t, b: _forward(x, t, b, hidden=float),
              message="The ReLU is missing in the hidden layers: where z < 0, a = g(z) = max(0, z) = 0 "
                      "(a hidden neuron that is off outputs 0), not z."),
        Probe("missing_activation", wrong=lambda x, t, b: _forward(x, t, b, linear=(1,)),
              message="The ReLU of layer 1 is missing: where z1 < 0, a1 = g(z1) = max(0, z1) = 0, not z1."),
        Probe("missing_activation", wrong=lambda x, t, b: _forward(x, t, b, linear=(2,)),
              message="The ReLU of layer 2 is missing: where z2 < 0, a2 = g(z2) = max(0, z2) = 0, not z2."),
        Probe("wrong_activation", wrong=lambda x, t, b: _forward(x, t, b, hidden=lambda v: float(_sigmoid(v))),
              message="The hidden layers use the sigmoid; here they use ReLU, g(z) = max(0, z)."),
        Probe("wrong_activation", wrong=lambda x, t, b: _forward(x, t, b, output=_relu),
              message="The output layer uses the sigmoid, ŷ = σ(z3), not ReLU."),
        Probe("missing_activation", wrong=lambda x, t, b: _forward(x, t, b, output=float),
              message="ŷ should be σ(z3): the sigmoid is missing at the output."),
    ),
)


_SWAP = {"theta1": "b1", "b1": "theta1", "theta2": "b2", "b2": "theta2", "theta3": "b3", "b3": "theta3"}
_REVERSE = {"theta1": "theta3", "b1": "b3", "theta3": "theta1", "b3": "b1", "theta2": "theta2", "b2": "b2"}

BACKWARD = Function(
    id="test_backward", name="backward", keys=GRADIENT_KEYS, cases=_backward_cases,
    reference=_backward, tolerance=_VALUES, forbid=_FORBID,
    budget=(Budget("forward", 1, "Backprop needs one forward pass, then one backward sweep of local "
                   "derivatives; nudging each parameter and re-running the network (finite differences) "
                   "is the slow way the exercise replaces."),),
    title="backward: all six gradients, the backprop way",
    probes=(
        Probe("factor_two", wrong=_backprop(dC=lambda v: v["y_hat"] - v["y"]),
              message="Every gradient is half the right value: C = (ŷ − y)² differentiates to 2(ŷ − y) "
                      "(½(ŷ − y)² would give ŷ − y)."),
        Probe("sign", wrong=_backprop(dC=lambda v: 2 * (v["y"] - v["y_hat"])),
              message="The sign is flipped: ∂C/∂ŷ = 2(ŷ − y), not 2(y − ŷ)."),
        Probe("missing_derivative", wrong=_backprop(dyhat=lambda v: 1.0),
              message="The factor σ′(z3) = ŷ(1 − ŷ) is missing: ŷ = σ(z3), so every path passes through ∂ŷ/∂z3."),
        Probe("function_for_derivative", wrong=_backprop(dyhat=lambda v: v["y_hat"]),
              message="σ(z3) appears where its derivative σ′(z3) = σ(z3)(1 − σ(z3)) belongs."),
        Probe("derivative_at_output", wrong=_backprop(dyhat=lambda v: float(_sigmoid_prime(v["y_hat"]))),
              message="σ′ was taken at ŷ instead of at z3: ∂ŷ/∂z3 = σ′(z3) = ŷ(1 − ŷ), i.e. "
                      "sigmoid_prime(z3), not sigmoid_prime(ŷ)."),
        Probe("missing_derivative", wrong=_backprop(g1=lambda v: 1.0, g2=lambda v: 1.0),
              message="The ReLU derivatives g′(z1) and g′(z2) are missing: a ReLU that is off (z ≤ 0) "
                      "passes no gradient, multiply by g′(z) = 0 there."),
        Probe("missing_derivative", wrong=_backprop(g1=lambda v: 1.0),
              message="The factor g′(z1) is missing: where the first ReLU is off (z1 ≤ 0) no gradient "
                      "reaches θ1 and b1."),
        Probe("missing_derivative", wrong=_backprop(g2=lambda v: 1.0),
              message="The factor g′(z2) is missing: where the second ReLU is off (z2 ≤ 0) no gradient "
                      "reaches layers 1 and 2."),
        Probe("kink_convention", wrong=_backprop(g1=lambda v: float(v["z1"] >= 0), g2=lambda v: float(v["z2"] >= 0)),
              message="At the kink z = 0 the course's convention is g′(0) = 0 (relu_prime uses z > 0, "
                      "not z >= 0)."),
        Probe("function_for_derivative", wrong=_backprop(g1=lambda v: v["a1"], g2=lambda v: v["a2"]),
              message="g(z) appears where its derivative g′(z) belongs: ∂a/∂z of a ReLU is g′(z), 1 where "
                      "the neuron is on and 0 where it is off, not a = g(z) itself (relu_prime, not relu)."),
        Probe("wrong_input", wrong=_backprop(in1=lambda v: v["theta1"], in2=lambda v: v["theta2"],
                                             in3=lambda v: v["theta3"]),
              message="∂z/∂θ of a layer is its input (x for layer 1, a1 for layer 2, a2 for layer 3), not θ itself."),
        Probe("wrong_input", wrong=_backprop(in1=lambda v: v["a1"], in2=lambda v: v["a2"], in3=lambda v: v["y_hat"]),
              message="∂z/∂θ of a layer is its input, not its own output: z2 = θ2·a1 + b2, so ∂z2/∂θ2 = a1 "
                      "(not a2); likewise ∂z1/∂θ1 = x and ∂z3/∂θ3 = a2."),
        Probe("wrong_input", wrong=_backprop(in2=lambda v: v["x"], in3=lambda v: v["x"]),
              message="∂z2/∂θ2 and ∂z3/∂θ3 use x; each layer's input is the previous activation (a1, a2), "
                      "as in z2 = θ2·a1 + b2."),
        Probe("swapped", wrong=_backprop(order=lambda v: _SWAP),
              message="The weight and bias gradients are swapped: ∂C/∂θ_l = e_l · (the layer's input) and "
                      "∂C/∂b_l = e_l · 1."),
        Probe("reversed_layers", wrong=_backprop(order=lambda v: _REVERSE),
              message="The layers are in backward order: backprop finds layer 3's gradients first, but "
                      "'theta1' must hold ∂C/∂θ1."),
    ),
)


# ------------------------------------------------------------------------------ ∂C/∂b1 typed


def _formula_cases(rng):
    cases = []
    for cls, x, y, thetas, biases in _network_cases(rng, kinks=False):
        v = _forward(x, thetas, biases)
        point = dict(v, x=x, y=y, theta1=thetas[0], theta2=thetas[1], theta3=thetas[2],
                     b1=biases[0], b2=biases[1], b3=biases[2])
        cases.append(Case(cls, kwargs=point))
    return cases


def _dC_db1_measured(x, y, theta1, theta2, theta3, b1, b2, b3, **_):
    """∂C/∂b1 by a central difference of the reference cost: the independent numeric twin."""
    h = 1e-6
    cost = lambda b: _network.network_cost(*_as_network((theta1, theta2, theta3), (b, b2, b3)),  # noqa: E731
                                           [[x]], [[y]], loss="squared_error")
    return (cost(b1 + h) - cost(b1 - h)) / (2 * h)


def _dC_db1():
    """The expected ∂C/∂b1 and its slips, as typed (a function: see engine.Formula)."""
    path = "2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*Heaviside(z2)*theta2*Heaviside(z1)"
    return {
        "expected": path,
        "sign": path.replace("(y_hat - y)", "(y - y_hat)"),
        "no 2": path.replace("2*(y_hat", "(y_hat"),
        "no σ′": path.replace("y_hat*(1 - y_hat)*", ""),
        "σ for σ′": path.replace("y_hat*(1 - y_hat)*", "y_hat*"),
        "σ′ at ŷ": path.replace("y_hat*(1 - y_hat)*", "sigmoid(y_hat)*(1 - sigmoid(y_hat))*"),
        "g for g′": path.replace("Heaviside(z2)", "a2").replace("Heaviside(z1)", "a1"),
        "no g′": path.replace("*Heaviside(z2)", "").replace("*Heaviside(z1)", ""),
        "no g′(z1)": path.replace("*Heaviside(z1)", ""),
        "no g′(z2)": path.replace("*Heaviside(z2)", ""),
        "ends with a1": path + "*a1",
    }


DC_DB1 = Formula(
    id="test_dC_db1", name="dC_db1", display="∂C/∂b1",
    expected=None, reference=_dC_db1, forbid=(__name__,), variables=DC_DB1_VARIABLES, cases=_formula_cases, numeric=_dC_db1_measured,
    tolerance=Tolerance("agreement with finite differences (relative 1e-5)", rtol=1e-5, atol=1e-8),
    definitions=(("y_hat", "sigmoid(z3)"), ("a1", "relu(z1)"), ("a2", "relu(z2)")),
    aliases=(("θ1", "theta1"), ("θ2", "theta2"), ("θ3", "theta3"), ("ŷ", "y_hat")),
    off_path=(
        (("theta1", "x"), "θ1 and x lie on the path to θ1 (∂z1/∂θ1 = x), not on the path to b1: "
                          "∂z1/∂b1 = 1, so neither appears in ∂C/∂b1."),
        (("b1", "b2", "b3"), "A bias appears in the answer, but no local derivative on the path contains "
                             "one (each ∂z/∂b is 1, and the biases are already inside z1, z2, z3)."),
    ),
    format_hint="Write g′(z) as Heaviside(z) or H(z), and σ as sigmoid(...) or σ(...).",
    hint="Walk the path from C down to b1: ∂C/∂ŷ, ∂ŷ/∂z3, ∂z3/∂a2, ∂a2/∂z2, ∂z2/∂a1, ∂a1/∂z1, ∂z1/∂b1.",
    probes=(
        Probe("sign", wrong="sign",
              message="The sign is flipped: ∂C/∂ŷ = 2(ŷ − y), not 2(y − ŷ)."),
        Probe("factor_two", wrong="no 2",
              message="The factor 2 is missing: C = (ŷ − y)² differentiates to 2(ŷ − y)."),
        Probe("missing_derivative", wrong="no σ′",
              message="The factor σ′(z3) = ŷ(1 − ŷ) is missing: ŷ = σ(z3), so the path passes through ∂ŷ/∂z3."),
        Probe("function_for_derivative", wrong="σ for σ′",
              message="σ(z3) appears where its derivative σ′(z3) = σ(z3)(1 − σ(z3)) belongs."),
        Probe("derivative_at_output", wrong="σ′ at ŷ",
              message="σ′ was taken at ŷ instead of at z3: ∂ŷ/∂z3 = σ′(z3) = ŷ(1 − ŷ)."),
        Probe("function_for_derivative", wrong="g for g′",
              message="g(z) appears where its derivative g′(z) belongs: ∂a/∂z of a ReLU is g′(z) = H(z) "
                      "(relu_prime), 1 where the neuron is on and 0 where it is off, not a = g(z)."),
        Probe("missing_derivative", wrong="no g′",
              message="The ReLU derivatives g′(z2) = H(z2) and g′(z1) = H(z1) are missing: a ReLU that is "
                      "off passes no gradient."),
        Probe("missing_derivative", wrong="no g′(z1)",
              message="The factor g′(z1) = H(z1) is missing: where the first ReLU is off, no gradient reaches b1."),
        Probe("missing_derivative", wrong="no g′(z2)",
              message="The factor g′(z2) = H(z2) is missing: where the second ReLU is off, no gradient reaches b1."),
        Probe("wrong_input", wrong="ends with a1",
              message="a1 and a2 are the inputs of layers 2 and 3: they end the paths of θ2 (∂z2/∂θ2 = a1) "
                      "and θ3, but the path of b1 ends with ∂z1/∂b1 = 1."),
    ),
)

SPECS = (FORWARD, BACKWARD, DC_DB1)
check = engine.notebook_check({spec.id: spec for spec in SPECS})


def read_answer(answer):
    """How the checker reads a typed ∂C/∂b1 (ŷ = σ(z3), a1 = g(z1), a2 = g(z2) substituted), or why not.

    >>> read_answer("2(ŷ - y) ŷ(1 - ŷ) θ3 H(z2) θ2 H(z1)") is not None
    True
    >>> read_answer("2*(y_hat - y")  # doctest: +ELLIPSIS
    Cannot read '2*(y_hat - y': ...
    """
    return engine.read_typed(DC_DB1, answer)


_core.seal(__name__, references=("course_pkg.symbolic", "course_pkg.paths"))
