r"""Exercise specs of notebook 04 (the four equations), run by :mod:`course_pkg.checks.engine`.

The network of the notebook has two inputs, three hidden ReLU neurons and two sigmoid outputs;
one example at a time, vectors of shape ``(n_l,)``, ``weights[l-1][j, k]`` is :math:`w^{[l]}_{jk}`.

``test_output_error`` — ``output_error(z, y, loss)``
    BP1, vectorised: :math:`e^{[L]} = \nabla_a c \odot \sigma'(z^{[L]})` for a sigmoid output, with
    ``loss`` ``"half_squared_error"`` (:math:`\tfrac12\sum_k (a_k - y_k)^2`) or ``"squared_error"``
    (:math:`\sum_k (a_k - y_k)^2`). Case classes: each loss with the output saturated and not.
``test_hidden_error`` — ``hidden_error(W_next, e_next, z)``
    BP2, vectorised, ReLU hidden layer: :math:`e^{[l]} = (W^{[l+1]\top} e^{[l+1]}) \odot g'(z^{[l]})`
    with :math:`g'(0) = 0`. Case classes: a square layer, every ReLU on, each of the three off,
    a neuron exactly at the kink.
``test_weight_gradient`` — ``weight_gradient(e, a_prev)``
    BP4 as an outer product: :math:`\partial c / \partial W^{[l]} = e^{[l]} a^{[l-1]\top}`, shape
    ``(n_l, n_{l-1})``. Case classes: a square layer, the hidden layer (inputs :math:`x`), the
    output layer with a switched-off hidden neuron (an activation equal to 0).
``test_error_term`` — ``e1_2`` typed
    :math:`e^{[1]}_2` of the notebook's network (half squared error) in terms of the second
    layer's weights, the z's, the targets and :math:`g'` (``Heaviside``), checked symbolically
    and against central differences of the cost with respect to :math:`z^{[1]}_2`.
``test_slip`` — ``e2_1`` typed
    The corrected BP1 (seed 001 writes :math:`g'(z_j^{[l]})` where :math:`g'(z_j^{[L]})` is meant):
    :math:`e^{[2]}_1` of the same network, against central differences of the cost.

Every visible self-check draws its cases from the same ``cases(rng)`` as the hidden tests, so
it covers every case class; the hidden run differs only in its numbers. The typed answers and
their slips live in the functions ``_error_term_texts`` and ``_slip_texts`` (the specs'
``reference``), and the module forbids itself, so the trusted grader's sandbox holds neither
them nor the reference implementations.

Examples
--------
>>> import numpy as np
>>> from course_pkg.checks.learner import InProcessLearner
>>> learner = InProcessLearner({"weight_gradient": lambda e, a_prev: np.outer(e, a_prev)})
>>> engine.run(spec_for("test_weight_gradient"), learner, hidden=False).passed
True
>>> swapped = InProcessLearner({"weight_gradient": lambda e, a_prev: np.outer(a_prev, e)})
>>> engine.run(spec_for("test_weight_gradient"), swapped, hidden=False).kind
'swapped'
"""

import numpy as np

from course_pkg.checks import _core, engine
from course_pkg.checks._core import assert_untampered
from course_pkg.checks.engine import Case, Formula, Function, Probe, Tolerance

__all__ = [
    "ASSIGNMENT",
    "SPECS",
    "check",
    "spec_for",
    "read_answer",
    "assert_untampered",
    "ERROR_TERM_VARIABLES",
    "SLIP_VARIABLES",
]

ASSIGNMENT = "04-four-equations"

#: Off limits while a learner's code is checked: the course's network and this module itself (the
#: trusted grader's sandbox then holds it with the bodies of its references, numeric twins and
#: answer tables taken out). The widget's module computes only the notebook's fixed 2-3-2
#: network, so the notebook may keep using it.
FORBID = ("course_pkg.network", __name__)
#: float64 agreement with the reference (the same formula, computed another way).
VALUES = Tolerance("float64 values", rtol=1e-9, atol=1e-13)
#: Agreement of a typed answer with central differences of the cost.
FD_STEP = 1e-6
FD = Tolerance("agreement with central differences", rtol=1e-5, atol=1e-9)
#: Weighted inputs stay at least this far from ReLU's kink (except in the kink's own case).
KINK_MARGIN = 0.05
#: |z| of a saturated sigmoid output (σ′ between about 1e-4 and 7e-3).
SATURATED = (5.0, 9.0)

_LOSSES = ("half_squared_error", "squared_error")


# ---------------------------------------------------------------------------------------------
# small, independent references (numpy only)


def _sigmoid(z):
    z = np.asarray(z, dtype=float)
    return np.where(z >= 0, 1.0 / (1.0 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1.0 + np.exp(-np.abs(z))))


def _loss_factor(loss):
    return {"half_squared_error": 1.0, "squared_error": 2.0}[loss]


def _away_from_kink(rng, n, margin=KINK_MARGIN):
    """n weighted inputs, none within ``margin`` of 0."""
    z = rng.normal(0.0, 1.0, n)
    return np.where(np.abs(z) < margin, np.sign(z + 1e-300) * (margin + np.abs(z)), z)


# ---------------------------------------------------------------------------------------------
# BP1, vectorised


def output_error_reference(z, y, loss):
    """e^[L] = dc/da ⊙ σ′(z^[L]) for a sigmoid output: (a - y) a (1 - a), times 2 for squared_error."""
    a = _sigmoid(z)
    return _loss_factor(loss) * (a - np.asarray(y, dtype=float)) * a * (1.0 - a)


def _output_error_cases(rng):
    cases = []
    for loss in _LOSSES:
        for saturated in (False, True):
            if saturated:
                z = rng.uniform(*SATURATED, 2) * rng.choice([-1.0, 1.0], 2)
            else:
                z = rng.uniform(-2.0, 2.0, 2)
            y = rng.uniform(0.0, 1.0, 2)
            label = "saturated output" if saturated else "output not saturated"
            cases.append(Case(f"{loss}, {label}", (z, y, loss)))
    return cases


def _wrong_output_error(variant):
    def wrong(z, y, loss):
        a = _sigmoid(z)
        y = np.asarray(y, dtype=float)
        factor = _loss_factor(loss)
        if variant == "no sigma prime":
            return factor * (a - y)
        if variant == "sigma prime at a":
            s = _sigmoid(a)
            return factor * (a - y) * s * (1.0 - s)
        if variant == "sigma for sigma prime":
            return factor * (a - y) * a
        if variant == "one loss":
            return (a - y) * a * (1.0 - a)
        if variant == "other loss":
            return (3.0 - factor) * (a - y) * a * (1.0 - a)
        raise AssertionError(variant)

    return wrong


OUTPUT_ERROR = Function(
    id="test_output_error",
    name="output_error",
    title="output_error (BP1)",
    cases=_output_error_cases,
    reference=output_error_reference,
    tolerance=VALUES,
    floats=True,
    forbid=FORBID,
    probes=(
        Probe("missing_derivative", wrong=_wrong_output_error("no sigma prime"),
              message="You have ∂c/∂a, the derivative of the cost with respect to the output activation. "
                      "BP1 asks for ∂c/∂z: one more local derivative on the way from a to z is missing "
                      "(it is what makes a saturated output learn slowly)."),
        Probe("wrong_argument", wrong=_wrong_output_error("sigma prime at a"),
              message="σ′ is evaluated at a = σ(z) instead of at z. Either compute σ′(z), or use the "
                      "activation you already have: σ′(z) is written in terms of σ(z) itself (notebook 02)."),
        Probe("function_for_derivative", wrong=_wrong_output_error("sigma for sigma prime"),
              message="The factor after ∂c/∂a is σ(z) itself; BP1 needs its derivative σ′(z) (notebook 02)."),
        Probe("factor_two", wrong=_wrong_output_error("one loss"),
              message="With loss='squared_error', c = Σ (a − y)² has no ½ in front, so its derivative "
                      "∂c/∂a keeps the factor the power rule brings down. Does your code look at `loss`?"),
        Probe("missing_half", wrong=_wrong_output_error("other loss"),
              message="The two losses are swapped: 'half_squared_error' has the ½ that cancels the power "
                      "rule's factor, 'squared_error' does not."),
    ),
)


# ---------------------------------------------------------------------------------------------
# BP2, vectorised (ReLU hidden layer)


def hidden_error_reference(W_next, e_next, z):
    """e^[l] = (W^[l+1]ᵀ e^[l+1]) ⊙ g′(z^[l]) with ReLU's g′(z) = 1 for z > 0, else 0."""
    W_next = np.asarray(W_next, dtype=float)
    return (W_next.T @ np.asarray(e_next, dtype=float)) * (np.asarray(z, dtype=float) > 0)


def _hidden_error_cases(rng):
    cases = []
    # square first: W instead of Wᵀ has the right shape there, so that mistake can be named
    W = rng.normal(0.0, 1.0, (2, 2))
    z = np.abs(_away_from_kink(rng, 2))
    cases.append(Case("square W (2×2), both ReLUs on", (W, rng.normal(0.0, 0.3, 2), z)))
    on = np.abs(_away_from_kink(rng, 3))
    cases.append(Case("3 hidden neurons, every ReLU on", (rng.normal(0.0, 1.0, (2, 3)), rng.normal(0.0, 0.3, 2), on)))
    for j in range(3):
        z = np.abs(_away_from_kink(rng, 3))
        z[j] = -z[j]
        cases.append(Case(f"ReLU of hidden neuron {j + 1} off", (rng.normal(0.0, 1.0, (2, 3)), rng.normal(0.0, 0.3, 2), z)))
    z = np.abs(_away_from_kink(rng, 3))
    at_kink, off = rng.permutation(3)[:2]
    z[at_kink], z[off] = 0.0, -z[off]  # one neuron at the kink, one off, one on
    cases.append(Case("a hidden neuron exactly at the kink, z = 0 (g′(0) = 0)",
                      (rng.normal(0.0, 1.0, (2, 3)), rng.normal(0.0, 0.3, 2), z)))
    return cases


def _wrong_hidden_error(variant):
    def wrong(W_next, e_next, z):
        W_next = np.asarray(W_next, dtype=float)
        e_next = np.asarray(e_next, dtype=float)
        z = np.asarray(z, dtype=float)
        pulled = W_next.T @ e_next
        if variant == "no g prime":
            return pulled
        if variant == "W":
            return (W_next @ e_next) * (z > 0)
        if variant == "relu for g prime":
            return pulled * np.maximum(z, 0.0)
        if variant == "g prime at 0 is 1":
            return pulled * (z >= 0)
        if variant == "sigmoid prime":
            s = _sigmoid(z)
            return pulled * s * (1.0 - s)
        raise AssertionError(variant)

    return wrong


HIDDEN_ERROR = Function(
    id="test_hidden_error",
    name="hidden_error",
    title="hidden_error (BP2)",
    cases=_hidden_error_cases,
    reference=hidden_error_reference,
    tolerance=VALUES,
    floats=True,
    forbid=FORBID,
    probes=(
        Probe("transposed", wrong=_wrong_hidden_error("W"),
              message="The errors are pulled back through W^[l+1] itself. W maps layer l to layer l+1 "
                      "(row k belongs to neuron k of layer l+1); going backwards, neuron j of layer l "
                      "collects the weights of its own column j. With a non-square W this mistake "
                      "raises a shape error instead."),
        Probe("missing_derivative", wrong=_wrong_hidden_error("no g prime"),
              message="The pulled-back errors are right, but BP2 also scales each one by the slope of "
                      "that neuron's activation at its own z: the factor g′(z^[l]) is missing (check a "
                      "neuron whose ReLU is off)."),
        Probe("function_for_derivative", wrong=_wrong_hidden_error("relu for g prime"),
              message="The scaling factor is ReLU(z) itself; BP2 needs the derivative g′(z), which for "
                      "ReLU is a step (notebook 02)."),
        Probe("kink_convention", wrong=_wrong_hidden_error("g prime at 0 is 1"),
              message="At z = 0 ReLU has a kink; the course's convention is g′(0) = 0 (notebook 02), so "
                      "a neuron sitting exactly at 0 passes no error back. Compare with > rather than >=."),
        Probe("wrong_derivative", wrong=_wrong_hidden_error("sigmoid prime"),
              message="That is the sigmoid's derivative; the hidden layer here uses ReLU, whose derivative "
                      "is 1 where z > 0 and 0 elsewhere."),
    ),
)


# ---------------------------------------------------------------------------------------------
# BP4 as an outer product


def weight_gradient_reference(e, a_prev):
    """∂c/∂W^[l] = e^[l] a^[l-1]ᵀ, entry [j, k] = e_j a_k: shape (n_l, n_{l-1})."""
    return np.outer(np.asarray(e, dtype=float), np.asarray(a_prev, dtype=float))


def _weight_gradient_cases(rng):
    a_off = np.abs(rng.normal(0.0, 1.0, 3)) + KINK_MARGIN
    a_off[int(rng.integers(3))] = 0.0  # a switched-off hidden neuron: a_k = 0
    return [
        Case("square layer (2×2)", (rng.normal(0.0, 0.3, 2), rng.normal(0.0, 1.0, 2))),
        Case("hidden layer: 3 neurons, inputs x (3×2)", (rng.normal(0.0, 0.3, 3), rng.uniform(-2.0, 2.0, 2))),
        Case("output layer: 2 neurons, one hidden ReLU off (2×3)", (rng.normal(0.0, 0.3, 2), a_off)),
    ]


WEIGHT_GRADIENT = Function(
    id="test_weight_gradient",
    name="weight_gradient",
    title="weight_gradient (BP4)",
    cases=_weight_gradient_cases,
    reference=weight_gradient_reference,
    tolerance=VALUES,
    floats=True,
    forbid=FORBID,
    probes=(
        Probe("swapped", wrong=lambda e, a_prev: np.outer(np.asarray(a_prev, dtype=float), np.asarray(e, dtype=float)),
              message="The roles of the two vectors are swapped: entry [j, k] must be ∂c/∂w_jk, and w_jk "
                      "goes from neuron k of layer l−1 to neuron j of layer l. Which vector does j index, "
                      "and which k? The gradient has the shape of W, (n_l, n_{l−1})."),
    ),
)


# ---------------------------------------------------------------------------------------------
# typed answers on the notebook's 2-3-2 network


#: Names the typed e^[1]_2 may use.
ERROR_TERM_VARIABLES = ("y1", "y2", "z2_1", "z2_2", "a2_1", "a2_2", "z1_1", "z1_2", "z1_3",
                        "w2_11", "w2_12", "w2_13", "w2_21", "w2_22", "w2_23")
#: Names the typed e^[2]_1 may use.
SLIP_VARIABLES = ("y1", "y2", "z2_1", "z2_2", "a2_1", "a2_2", "z1_1", "z1_2", "z1_3")
_DEFINITIONS = (("a2_1", "sigmoid(z2_1)"), ("a2_2", "sigmoid(z2_2)"))


def _error_term_texts():
    """The expected e^[1]_2 and its slips, as typed (a function, so the sandbox holds none of them)."""
    def e2(k):  # BP1 for output neuron k
        return f"(sigmoid(z2_{k}) - y{k})*sigmoid(z2_{k})*(1 - sigmoid(z2_{k}))"

    column = f"{e2(1)}*w2_12 + {e2(2)}*w2_22"
    return {
        "expected": f"({column})*Heaviside(z1_2)",
        "no g′": f"({column})",
        "path 1 only": f"{e2(1)}*w2_12*Heaviside(z1_2)",
        "path 2 only": f"{e2(2)}*w2_22*Heaviside(z1_2)",
        "row of W": f"({e2(1)}*w2_21 + {e2(2)}*w2_22)*Heaviside(z1_2)",
        "factor 2": f"2*({column})*Heaviside(z1_2)",
        "no σ′": "((sigmoid(z2_1) - y1)*w2_12 + (sigmoid(z2_2) - y2)*w2_22)*Heaviside(z1_2)",
        "g′ of neuron 1": f"({column})*Heaviside(z1_1)",
    }


def _slip_texts():
    """The expected e^[2]_1 and its slips, as typed (a function, so the sandbox holds none of them)."""
    bp1 = "(sigmoid(z2_1) - y1)*sigmoid(z2_1)*(1 - sigmoid(z2_1))"
    return {
        "expected": bp1,
        "g′ of layer 1": "(sigmoid(z2_1) - y1)*Heaviside(z1_1)",
        "σ′ at z of layer 1": "(sigmoid(z2_1) - y1)*sigmoid(z1_1)*(1 - sigmoid(z1_1))",
        "no σ′": "sigmoid(z2_1) - y1",
        "factor 2": f"2*{bp1}",
    }


def _half_cost(z2, y):
    return 0.5 * float(np.sum((_sigmoid(z2) - y) ** 2))


def _point(rng, *, hidden_state="on", saturated=False, neuron_1=None):
    """A consistent forward pass of a random 2-3-2 network: every variable's value, as a dict.

    ``hidden_state`` is hidden neuron 2's ReLU: "on", "off" or "kink" (z = 0 exactly);
    ``neuron_1`` ("on", "off" or None for either) does the same for hidden neuron 1.
    """
    while True:
        W1, b1 = rng.normal(0.0, 1.0, (3, 2)), rng.normal(0.0, 0.5, 3)
        W2, b2 = rng.normal(0.0, 1.0, (2, 3)), rng.normal(0.0, 0.5, 2)
        x, y = rng.uniform(-2.0, 2.0, 2), rng.uniform(0.0, 1.0, 2)
        z1 = W1 @ x + b1
        if hidden_state == "kink":
            b1[1] -= z1[1]
            z1 = W1 @ x + b1
            z1[1] = 0.0
        if hidden_state != "kink" and np.min(np.abs(z1)) < KINK_MARGIN:
            continue
        if (hidden_state == "on" and z1[1] <= 0) or (hidden_state == "off" and z1[1] >= 0):
            continue
        if (neuron_1 == "on" and z1[0] <= 0) or (neuron_1 == "off" and z1[0] >= 0):
            continue
        if hidden_state == "kink" and np.min(np.abs(np.delete(z1, 1))) < KINK_MARGIN:
            continue
        z2 = W2 @ np.maximum(z1, 0.0) + b2
        if saturated:
            shift = rng.uniform(*SATURATED) * np.sign(z2[0] + 1e-300) - z2[0]
            b2[0] += shift
            z2[0] += shift
        point = {"y1": y[0], "y2": y[1], "z2_1": z2[0], "z2_2": z2[1]}
        point.update({f"z1_{j + 1}": z1[j] for j in range(3)})
        point.update({f"w2_{k + 1}{j + 1}": W2[k, j] for k in range(2) for j in range(3)})
        return {name: float(value) for name, value in point.items()}


def error_term_numeric(**point):
    """∂c/∂z^[1]_2 by central differences: nudge z^[1]_2, carry the change through ReLU and W^[2].

    At the kink (z^[1]_2 = 0 exactly) the course's convention g′(0) = 0 gives 0.
    """
    z1_2 = point["z1_2"]
    if z1_2 == 0.0:
        return 0.0
    y = np.array([point["y1"], point["y2"]])
    z2 = np.array([point["z2_1"], point["z2_2"]])
    column = np.array([point["w2_12"], point["w2_22"]])

    def cost(value):
        return _half_cost(z2 + column * (max(value, 0.0) - max(z1_2, 0.0)), y)

    return (cost(z1_2 + FD_STEP) - cost(z1_2 - FD_STEP)) / (2 * FD_STEP)


def _error_term_cases(rng):
    # hidden neuron 1 in the other state than neuron 2, so that g′ at the wrong neuron shows
    return [
        Case("ReLU of hidden neuron 2 on", kwargs=_point(rng, hidden_state="on", neuron_1="off")),
        Case("ReLU of hidden neuron 2 on, output 1 saturated", kwargs=_point(rng, hidden_state="on", saturated=True)),
        Case("ReLU of hidden neuron 2 off", kwargs=_point(rng, hidden_state="off", neuron_1="on")),
        Case("hidden neuron 2 exactly at the kink, z = 0 (g′(0) = 0)", kwargs=_point(rng, hidden_state="kink")),
    ]


ERROR_TERM = Formula(
    id="test_error_term",
    name="e1_2",
    display="e1_2 (the error of hidden neuron 2)",
    expected=None,
    reference=_error_term_texts,
    variables=ERROR_TERM_VARIABLES,
    definitions=_DEFINITIONS,
    cases=_error_term_cases,
    numeric=error_term_numeric,
    tolerance=FD,
    forbid=FORBID,
    format_hint=("Use only the names listed in the exercise; the output errors e^[2]_k are not among "
                 "them: write each one out with BP1."),
    hint="Build it the way backprop does: BP1 for each output neuron, then BP2 for hidden neuron 2.",
    probes=(
        Probe("missing_derivative", wrong="no g′",
              message="Hidden neuron 2's own slope is missing: BP2 ends with the derivative of that "
                      "neuron's activation at its own weighted input. Without it a switched-off neuron "
                      "would still get an error."),
        Probe("wrong", wrong="path 1 only",
              message="Only one path is counted. Hidden neuron 2 feeds both output neurons (fan-out), so "
                      "its error is a sum with one term per neuron of layer 2."),
        Probe("wrong", wrong="path 2 only",
              message="Only one path is counted. Hidden neuron 2 feeds both output neurons (fan-out), so "
                      "its error is a sum with one term per neuron of layer 2."),
        Probe("transposed", wrong="row of W",
              message="The weights are read along a row of W^[2] instead of a column: w2_21 leads from "
                      "hidden neuron 1 to output 2. Which weights leave hidden neuron 2? (Wᵀ in BP2.)"),
        Probe("factor_two", wrong="factor 2",
              message="Off by a factor of 2: the cost here is half the squared error, ½ Σ (a − y)², "
                      "whose derivative with respect to a has no 2 left."),
        Probe("missing_derivative",
              wrong="no σ′",
              message="The output errors lack their σ′: e^[2]_k is ∂c/∂z^[2]_k, not ∂c/∂a^[2]_k (BP1)."),
        Probe("wrong_argument", wrong="g′ of neuron 1",
              message="g′ is taken at another neuron's weighted input: the factor belongs to hidden "
                      "neuron 2 itself."),
    ),
)


def slip_numeric(**point):
    """∂c/∂z^[2]_1 of c = ½ Σ_k (σ(z^[2]_k) − y_k)², by central differences."""
    y = np.array([point["y1"], point["y2"]])
    z2 = np.array([point["z2_1"], point["z2_2"]])
    step = np.array([FD_STEP, 0.0])
    return (_half_cost(z2 + step, y) - _half_cost(z2 - step, y)) / (2 * FD_STEP)


def _slip_cases(rng):
    return [
        Case("output not saturated", kwargs=_point(rng, hidden_state="on")),
        Case("output 1 saturated", kwargs=_point(rng, hidden_state="on", saturated=True)),
        Case("hidden neuron 1 off", kwargs=_point(rng, hidden_state="on", neuron_1="off")),
    ]


SLIP = Formula(
    id="test_slip",
    name="e2_1",
    display="e2_1 (BP1, corrected)",
    expected=None,
    reference=_slip_texts,
    variables=SLIP_VARIABLES,
    definitions=_DEFINITIONS,
    cases=_slip_cases,
    numeric=slip_numeric,
    tolerance=FD,
    forbid=FORBID,
    format_hint="Use only the names listed in the exercise.",
    hint="Which layer does output neuron 1 belong to, and whose weighted input does its activation depend on?",
    probes=(
        Probe("wrong_argument", wrong="g′ of layer 1",
              message="That is the blog post's slip taken literally: g′ at z^[l] of the hidden layer. In BP1 the "
                      "activation whose slope matters is the output neuron's own."),
        Probe("wrong_argument", wrong="σ′ at z of layer 1",
              message="σ′ is evaluated at a hidden neuron's z^[1]: that is the blog post's [l] where [L] is "
                      "meant. Whose weighted input does the output neuron's activation depend on?"),
        Probe("missing_derivative", wrong="no σ′",
              message="That is ∂c/∂a^[2]_1; BP1 multiplies it by the slope of the output activation."),
        Probe("factor_two", wrong="factor 2",
              message="Off by a factor of 2: with half the squared error the ½ cancels the power rule's 2."),
    ),
)


SPECS = (OUTPUT_ERROR, HIDDEN_ERROR, WEIGHT_GRADIENT, ERROR_TERM, SLIP)
_BY_ID = {spec.id: spec for spec in SPECS}

#: The notebook's check: ``check("test_output_error", output_error)``; ``hidden=True`` for the hidden tests.
check = engine.notebook_check(_BY_ID)


def spec_for(grade_id):
    """The spec of one graded cell of notebook 04.

    >>> spec_for("test_slip").name
    'e2_1'
    """
    if grade_id not in _BY_ID:
        raise ValueError(f"grade_id of {ASSIGNMENT} must be one of {sorted(_BY_ID)}; got {grade_id!r}")
    return _BY_ID[grade_id]


def read_answer(grade_id, answer):
    """How the checker of ``grade_id`` reads a typed answer: the SymPy expression, or ``None``
    after printing why it cannot be read (for the notebook's "how the checker reads it" cells).

    >>> read_answer("test_slip", "(a2_1 - y1) a2_1 (1 - a2_1)") is not None
    True
    >>> read_answer("test_slip", "(a2_1 - y1")  # doctest: +ELLIPSIS
    Cannot read '(a2_1 - y1': ...
    """
    return engine.read_typed(spec_for(grade_id), answer)


_core.seal(__name__, references=("course_pkg.symbolic",))
