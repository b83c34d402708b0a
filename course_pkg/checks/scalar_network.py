r"""Checkers for notebook 03 (backprop by hand on seed 000's scalar network).

The network: :math:`z_1 = \theta_1 x + b_1`, :math:`a_1 = g(z_1)`, :math:`z_2 = \theta_2 a_1 + b_2`,
:math:`a_2 = g(z_2)`, :math:`z_3 = \theta_3 a_2 + b_3`, :math:`\hat y = \sigma(z_3)`,
:math:`C = (\hat y - y)^2` (``squared_error``), with :math:`g` = ReLU.

* :func:`check_forward` — the learner's ``forward(x, thetas, biases)`` returns a dict of the six
  forward values ``z1, a1, z2, a2, z3, y_hat``;
* :func:`check_backward` — the learner's ``backward(x, y, thetas, biases)`` returns a dict of the
  six gradients ``theta1, b1, theta2, b2, theta3, b3``;
* :func:`check_dC_db1` — :math:`\partial C / \partial b_1` typed as a formula;
* :func:`check_dC_db1_numerically` — the same formula against finite differences (hidden).

The expected values come from :mod:`course_pkg.network` on a 1-1-1-1 network (bound at import)
and, for the gradients, also from central differences of the cost; the inputs come from the
checker's own random generator. While the learner's code runs, :mod:`course_pkg.network` and
:mod:`course_pkg.paths` are switched off (:class:`~course_pkg.checks._core.forbid_reference`).
"""

from collections.abc import Mapping

import numpy as np

from course_pkg import network as _network
from course_pkg import paths as _paths
from course_pkg.activations import sigmoid as _sigmoid
from course_pkg.activations import sigmoid_prime as _sigmoid_prime
from course_pkg.checks import _core
from course_pkg.checks._core import (
    _abs,
    _all,
    _array,
    _float64,
    as_learner_array,
    assert_close,
    assert_untampered,
    call_learner,
    passed,
    rng,
)

__all__ = [
    "check_forward",
    "check_backward",
    "check_dC_db1",
    "check_dC_db1_numerically",
    "FORWARD_KEYS",
    "GRADIENT_KEYS",
    "DC_DB1_VARIABLES",
    "assert_untampered",
]

_gradients = _network.gradients
_forward = _network.forward
_network_cost = _network.network_cost

#: The keys of the learner's forward dict, in the order of the forward pass.
FORWARD_KEYS = ("z1", "a1", "z2", "a2", "z3", "y_hat")
#: The keys of the learner's gradient dict.
GRADIENT_KEYS = ("theta1", "b1", "theta2", "b2", "theta3", "b3")
#: Names a typed answer for dC/db1 may use.
DC_DB1_VARIABLES = ("x", "y", "y_hat", "z1", "z2", "z3", "a1", "a2",
                    "theta1", "theta2", "theta3", "b1", "b2", "b3")
_DC_DB1 = "2*(sigmoid(z3) - y)*sigmoid(z3)*(1 - sigmoid(z3))*theta3*Heaviside(z2)*theta2*Heaviside(z1)"

#: Tolerances: against the reference network, and against central differences.
RTOL = 1e-7
ATOL = 1e-10
FD_STEP = 1e-6
FD_RTOL = 1e-5
FD_ATOL = 1e-8
#: Random networks keep every weighted input this far from ReLU's kink (finite differences).
KINK_MARGIN = 0.05

_FORBIDDEN = tuple(
    f for module in (_network, _paths) for f in vars(module).values()
    if callable(f) and getattr(f, "__module__", None) == module.__name__
    and type(f).__name__ == "function" and not f.__closure__
)


# ---------------------------------------------------------------------------------------------
# test networks


def _reference(x, y, thetas, biases):
    """Forward values and gradients from course_pkg.network on the 1-1-1-1 network."""
    weights = [_array([[t]], dtype=_float64) for t in thetas]
    bs = [_array([b], dtype=_float64) for b in biases]
    X, Y = _array([[x]]), _array([[y]])
    cache = _forward(weights, bs, X)
    values = {}
    for l in range(3):
        values[f"z{l + 1}"] = float(cache.Zs[l][0, 0])
        values["y_hat" if l == 2 else f"a{l + 1}"] = float(cache.As[l + 1][0, 0])
    cost, dW, db = _gradients(weights, bs, X, Y, loss="squared_error")
    grads = {}
    for l in range(3):
        grads[f"theta{l + 1}"] = float(dW[l][0, 0])
        grads[f"b{l + 1}"] = float(db[l][0])
    return values, cost, grads


def _networks(seed, count, dead=False):
    """``count`` random networks (x, y, thetas, biases) with every z away from the kink.

    With ``dead=True`` the last one has z2 < 0 and the one before z1 < 0 (a ReLU that is off).
    """
    generator = rng(seed)
    kinds = ["on"] * count
    if dead:
        kinds[-1] = "z2 off"
        if count > 1:
            kinds[-2] = "z1 off"
    wanted = {
        "on": lambda z1, z2: z1 > 0 and z2 > 0,
        "z1 off": lambda z1, z2: z1 < 0,
        "z2 off": lambda z1, z2: z1 > 0 and z2 < 0,
    }
    found = []
    for kind in kinds:
        while True:
            x = float(generator.uniform(0.2, 2.0) * generator.choice([-1.0, 1.0]))
            y = float(generator.uniform(0.0, 1.0))
            thetas = [float(v) for v in generator.normal(0.0, 1.2, 3)]
            biases = [float(v) for v in generator.normal(0.0, 0.5, 3)]
            values, _, _ = _reference(x, y, thetas, biases)
            z1, z2 = values["z1"], values["z2"]
            if min(abs(z1), abs(z2)) > KINK_MARGIN and wanted[kind](z1, z2):
                found.append((x, y, thetas, biases))
                break
    return found


def _describe(x, y, thetas, biases):
    target = "" if y is None else f"y = {y:.4g}, "
    return (f"x = {x:.4g}, {target}thetas = [{', '.join(f'{t:.4g}' for t in thetas)}], "
            f"biases = [{', '.join(f'{b:.4g}' for b in biases)}]")


def _read_dict(result, keys, label):
    """The learner's dict, as floats in ``keys`` order; fails naming a missing or odd entry."""
    if result is None:
        raise AssertionError(f"{label} returned None: did the function forget to `return` its dict?")
    if not isinstance(result, Mapping):
        raise AssertionError(
            f"{label} should return a dict with the keys {', '.join(repr(k) for k in keys)}, "
            f"but it returned a {type(result).__name__}."
        )
    missing = [k for k in keys if k not in result]
    if missing:
        raise AssertionError(
            f"{label}'s dict has no entr{'y' if len(missing) == 1 else 'ies'} "
            f"{', '.join(repr(k) for k in missing)}; expected the keys "
            f"{', '.join(repr(k) for k in keys)}."
        )
    return _array([float(as_learner_array(result[k], f"{label}[{k!r}]", shape=())) for k in keys])


def _table(keys, got, expected):
    width = max(len(k) for k in keys)
    lines = [f"  {'':{width}}  {'expected':>12}  {'got':>12}"]
    for k, e, g in zip(keys, expected, got):
        mark = "" if abs(g - e) <= ATOL + RTOL * abs(e) else "   ✘"
        lines.append(f"  {k:{width}}  {e:12.6g}  {g:12.6g}{mark}")
    return "\n".join(lines)


def _close(a, b, rtol=RTOL, atol=ATOL):
    return bool(_all(_abs(a - b) <= atol + rtol * _abs(b)))


# ---------------------------------------------------------------------------------------------
# forward


def _forward_variants(x, thetas, biases):
    """Forward passes with a classic mistake, each with its explanation."""
    relu = lambda v: max(v, 0.0)  # noqa: E731
    sig = lambda v: float(_sigmoid(v))  # noqa: E731
    out = []

    def run(act_hidden, act_out, inputs_from_x=False):
        values, a = [], x
        for l in range(3):
            z = thetas[l] * (x if inputs_from_x else a) + biases[l]
            a = act_out(z) if l == 2 else act_hidden(z)
            values += [z, a]
        return _array(values)

    out.append((run(relu, sig, inputs_from_x=True),
                "Every layer uses x as its input (z = θ·x + b). Only layer 1 sees x; layer 2 "
                "computes z2 = θ2·a1 + b2 and layer 3 z3 = θ3·a2 + b3: each layer feeds on the "
                "activation of the one before."))
    out.append((run(sig, sig), "The hidden layers use the sigmoid; here they use ReLU, g(z) = max(0, z)."))
    out.append((run(relu, relu), "The output layer uses the sigmoid, ŷ = σ(z3), not ReLU."))
    out.append((run(relu, lambda v: v), "ŷ should be σ(z3): the sigmoid is missing at the output."))
    return out


def check_forward(forward, hidden=False):
    r"""Check a learner's ``forward(x, thetas, biases)`` on the scalar network.

    Parameters
    ----------
    forward : callable
        ``forward(x, thetas, biases) -> dict`` with the keys :data:`FORWARD_KEYS`, each a number:
        :math:`z_1 = \theta_1 x + b_1, a_1 = g(z_1), \dots, \hat y = \sigma(z_3)`.
    hidden : bool, default False
        Run the stricter variant (other networks, including ReLUs that are off).

    Raises
    ------
    AssertionError
        Naming the first wrong value and the likely mistake.

    Examples
    --------
    >>> def forward(x, thetas, biases):
    ...     z1 = thetas[0] * x + biases[0]; a1 = max(z1, 0.0)
    ...     z2 = thetas[1] * a1 + biases[1]; a2 = max(z2, 0.0)
    ...     z3 = thetas[2] * a2 + biases[2]
    ...     return {"z1": z1, "a1": a1, "z2": z2, "a2": a2, "z3": z3, "y_hat": 1 / (1 + np.exp(-z3))}
    >>> check_forward(forward)
    ✔ forward: z1, a1, z2, a2, z3 and ŷ right on 3 random networks.
    """
    label = "forward"
    cases = _networks(40 if not hidden else 4_040, 3 if not hidden else 5, dead=hidden)
    for x, y, thetas, biases in cases:
        values, _, _ = _reference(x, y, thetas, biases)
        expected = _array([values[k] for k in FORWARD_KEYS])
        result = call_learner(forward, x, list(thetas), list(biases), name=label,
                              forbid=_FORBIDDEN, forbid_label=f"your {label}")
        got = _read_dict(result, FORWARD_KEYS, label)
        if _close(got, expected):
            continue
        why = next((msg for variant, msg in _forward_variants(x, thetas, biases) if _close(got, variant)), None)
        first = next(k for k, g, e in zip(FORWARD_KEYS, got, expected) if not _close(_array([g]), _array([e])))
        if why is None and first in ("a1", "a2"):
            l = first[1]
            z_got = got[FORWARD_KEYS.index(f"z{l}")]
            if z_got < 0 and _close(_array([got[FORWARD_KEYS.index(first)]]), _array([z_got])):
                why = (f"Here z{l} < 0, so a{l} = g(z{l}) = max(0, z{l}) = 0: the ReLU of layer {l} "
                       "is missing (a hidden neuron that is off outputs 0).")
        raise AssertionError(
            f"{label}({_describe(x, None, thetas, biases)}) is wrong, "
            f"first at {first!r}:\n" + _table(FORWARD_KEYS, got, expected)
            + ("\n" + why if why else
               "\nWork through the layers in order: z = θ·(previous activation) + b, then the activation.")
        )
    passed(("hidden cases: " if hidden else "") +
           f"forward: z1, a1, z2, a2, z3 and ŷ right on {len(cases)} random networks.")


# ---------------------------------------------------------------------------------------------
# backward


def _products(d):
    return _array([_product(d, p) for p in GRADIENT_KEYS])


def _product(d, parameter):
    value = 1.0
    for edge in _paths.backward_path(parameter, 3):
        value *= d[edge]
    return value


def _backward_variants(x, y, thetas, biases, expected):
    """Gradients with a classic mistake, each with its explanation."""
    d = _paths.local_derivatives(x, y, thetas, biases)
    values = _paths.forward_values(x, y, thetas, biases)
    y_hat, z3 = values["y_hat"], values["z3"]
    variants = []

    def changed(explanation, **edges):
        e = dict(d)
        for key, value in edges.items():
            e[tuple(key.split("__"))] = value
        variants.append((_products(e), explanation))

    changed("Every gradient is half the expected value: C = (ŷ − y)² differentiates to 2(ŷ − y) "
            "(that is squared_error; ½(ŷ − y)² would give ŷ − y).", C__y_hat=y_hat - y)
    changed("The sign is flipped: ∂C/∂ŷ = 2(ŷ − y), not 2(y − ŷ).", C__y_hat=2 * (y - y_hat))
    changed("The factor σ′(z3) = ŷ(1 − ŷ) is missing: ŷ = σ(z3), so every path passes through "
            "∂ŷ/∂z3.", y_hat__z3=1.0)
    changed("σ(z3) appears where its derivative σ′(z3) = σ(z3)(1 − σ(z3)) belongs.",
            y_hat__z3=float(_sigmoid(z3)))
    changed("A ReLU that is off (z < 0) passes no gradient: multiply by g′(z) = 0 there; the "
            "factor g′(z1) or g′(z2) is missing.", a1__z1=1.0, a2__z2=1.0)
    changed("A ReLU that is off (z < 0) passes no gradient: the factor g′(z1) is missing.", a1__z1=1.0)
    changed("A ReLU that is off (z < 0) passes no gradient: the factor g′(z2) is missing.", a2__z2=1.0)
    changed("∂z/∂θ of a layer is its input (x for layer 1, a1 for layer 2, a2 for layer 3), not θ "
            "itself.", z1__theta1=thetas[0], z2__theta2=thetas[1], z3__theta3=thetas[2])
    changed("∂z/∂θ of a layer is its input, not its own output: z2 = θ2·a1 + b2, so ∂z2/∂θ2 = a1 "
            "(not a2); likewise ∂z1/∂θ1 = x and ∂z3/∂θ3 = a2.",
            z1__theta1=values["a1"], z2__theta2=values["a2"], z3__theta3=y_hat)
    changed("g(z) appears where its derivative g′(z) belongs: ∂a/∂z of a ReLU is g′(z), 1 where "
            "the neuron is on and 0 where it is off, not a = g(z) itself (relu_prime, not relu).",
            a1__z1=values["a1"], a2__z2=values["a2"])
    changed("σ′ was taken at ŷ instead of at z3: ∂ŷ/∂z3 = σ′(z3) = ŷ(1 − ŷ), i.e. "
            "sigmoid_prime(z3), not sigmoid_prime(ŷ).", y_hat__z3=float(_sigmoid_prime(y_hat)))
    changed("∂z2/∂θ2 and ∂z3/∂θ3 use x; each layer's input is the previous activation "
            "(a1, a2), as in z2 = θ2·a1 + b2.", z2__theta2=x, z3__theta3=x)
    e = dict(zip(GRADIENT_KEYS, expected))
    swapped = _array([e[k.replace("theta", "#").replace("b", "theta").replace("#", "b")] for k in GRADIENT_KEYS])
    variants.append((swapped, "The weight and bias gradients are swapped: ∂C/∂θ_l = e_l · (the layer's "
                              "input) and ∂C/∂b_l = e_l · 1."))
    reverse = {"theta1": "theta3", "b1": "b3", "theta3": "theta1", "b3": "b1", "theta2": "theta2", "b2": "b2"}
    variants.append((_array([e[reverse[k]] for k in GRADIENT_KEYS]),
                     "The layers are in backward order: backprop finds layer 3's gradients first, "
                     "but 'theta1' must hold ∂C/∂θ1."))
    return variants


def _finite_differences(x, y, thetas, biases):
    params = list(thetas) + list(biases)
    names = [f"theta{l + 1}" for l in range(3)] + [f"b{l + 1}" for l in range(3)]
    fd = {}
    for i, name in enumerate(names):
        costs = []
        for shift in (FD_STEP, -FD_STEP):
            moved = list(params)
            moved[i] += shift
            weights = [_array([[t]]) for t in moved[:3]]
            bs = [_array([b]) for b in moved[3:]]
            costs.append(_network_cost(weights, bs, [[x]], [[y]], loss="squared_error"))
        fd[name] = (costs[0] - costs[1]) / (2 * FD_STEP)
    return _array([fd[k] for k in GRADIENT_KEYS])


def check_backward(backward, hidden=False):
    r"""Check a learner's ``backward(x, y, thetas, biases)``: all six gradients of the cost.

    Parameters
    ----------
    backward : callable
        ``backward(x, y, thetas, biases) -> dict`` with the keys :data:`GRADIENT_KEYS`, each
        :math:`\partial C / \partial p` for :math:`C = (\hat y - y)^2`.
    hidden : bool, default False
        Run the stricter variant (other networks, including ReLUs that are off).

    Raises
    ------
    AssertionError
        With a table of expected and received gradients and the likely mistake.

    Examples
    --------
    >>> check_backward(lambda x, y, thetas, biases: {k: 0.0 for k in GRADIENT_KEYS})
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: backward(x = ..., y = ..., ...) is wrong:
    ...
    """
    label = "backward"
    cases = _networks(50 if not hidden else 5_050, 3 if not hidden else 5, dead=hidden)
    for x, y, thetas, biases in cases:
        _, _, grads = _reference(x, y, thetas, biases)
        expected = _array([grads[k] for k in GRADIENT_KEYS])
        fd = _finite_differences(x, y, thetas, biases)
        # the reference and the finite differences agree (a broken reference must not grade)
        assert _close(expected, fd, FD_RTOL, FD_ATOL), f"reference gradients {expected} differ from finite differences {fd}"
        result = call_learner(backward, x, y, list(thetas), list(biases), name=label,
                              forbid=_FORBIDDEN, forbid_label=f"your {label}")
        got = _read_dict(result, GRADIENT_KEYS, label)
        if _close(got, expected) and _close(got, fd, FD_RTOL, FD_ATOL):
            continue
        why = next((msg for variant, msg in _backward_variants(x, y, thetas, biases, expected)
                    if _close(got, variant) and not _close(variant, expected)), None)
        message = (f"{label}({_describe(x, y, thetas, biases)}) is wrong:\n"
                   + _table(GRADIENT_KEYS, got, expected))
        if why is None:
            try:
                assert_close(got, expected, "the gradients in the order " + ", ".join(GRADIENT_KEYS))
            except AssertionError as exc:
                last = str(exc).splitlines()[-1]
                why = last if not last.startswith(("  ", "the gradients")) else None
        raise AssertionError(message + "\n" + (why or (
            "Compare each gradient with the product of the local derivatives on its path "
            "(section 3); the ✘ rows are off.")))
    passed(("hidden cases: " if hidden else "") +
           f"backward: all six gradients match backprop and finite differences on {len(cases)} "
           "random networks.")


# ---------------------------------------------------------------------------------------------
# a typed partial derivative

#: Verdict kinds that already name the mistake; other kinds get the walk-the-path hint.
_SPECIFIC_KINDS = ("constant_factor", "sign", "additive_constant", "missing_factor", "extra_factor")
#: Agreement of a typed dC/db1 with the central difference of the cost (hidden check).
FORMULA_RTOL = 1e-5
FORMULA_ATOL = 1e-8


def _parse_dC_db1(answer):
    """The learner's string as a SymPy expression in :data:`DC_DB1_VARIABLES` (never executed)."""
    from course_pkg import symbolic

    if not isinstance(answer, str):
        raise AssertionError(
            f"The answer should be a string such as \"2*(y_hat - y)*...\", "
            f"but it is a {type(answer).__name__}."
        )
    variables = list(DC_DB1_VARIABLES)
    try:
        return symbolic.parse_answer(answer, variables=variables)
    except symbolic.AnswerFormatError as exc:
        names = "" if "the variables are" in str(exc) else f" Allowed names: {', '.join(variables)}."
        raise AssertionError(
            f"The answer cannot be read: {str(exc).rstrip('.')}.{names} "
            "Write g′(z) as Heaviside(z) or H(z), and σ as sigmoid(...) or σ(...)."
        ) from None


def _in_code_names(message):
    """The engine prints a1 = g(z1) as ``Max(0, z1)``; say ``a1`` as the learner wrote it."""
    for l in (1, 2):
        message = message.replace(f"Max(0, z{l})", f"a{l}")
    return message


def check_dC_db1(answer):
    r"""Check :math:`\partial C / \partial b_1` typed as a formula, with targeted feedback.

    The expected answer, in local quantities, is

    .. math:: \frac{\partial C}{\partial b_1} = 2(\hat y - y)\,\sigma'(z^{[3]})\,\theta_3\,
              g'(z^{[2]})\,\theta_2\,g'(z^{[1]})

    with :math:`g'(z)` written ``Heaviside(z)`` (or ``H(z)``) and :math:`\sigma'(z^{[3]})` as
    ``sigmoid(z3)*(1 - sigmoid(z3))`` or ``y_hat*(1 - y_hat)``. The names of
    :data:`DC_DB1_VARIABLES` may appear; ``y_hat``, ``a1`` and ``a2`` stand for
    :math:`\sigma(z^{[3]})`, :math:`g(z^{[1]})` and :math:`g(z^{[2]})`. The answer is parsed by
    :func:`course_pkg.symbolic.parse_answer`, never executed; the feedback is the verdict of
    :func:`course_pkg.symbolic.equivalent`, which tests both sides of every ReLU kink.

    Parameters
    ----------
    answer : str

    Raises
    ------
    AssertionError
        Naming the mistake: a missing factor (which), the factor 2, the sign, a ReLU derivative
        that is right on one side of its kink only, a variable that is not on the path.

    Examples
    --------
    >>> check_dC_db1("2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*H(z2)*theta2*H(z1)")
    ✔ ∂C/∂b1 = 2(ŷ − y)·σ′(z3)·θ3·g′(z2)·θ2·g′(z1): every factor on the path, nothing else.
    >>> check_dC_db1("2*(y_hat - y)*theta3*H(z2)*theta2*H(z1)")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: Not yet: A factor is missing: your answer times (1 - σ(z3))*σ(z3) would be right. ...
    """
    import sympy

    from course_pkg import symbolic

    expr = _parse_dC_db1(answer)
    variables = list(DC_DB1_VARIABLES)
    names = {s.name for s in expr.free_symbols}
    if names & {"theta1", "x"}:
        raise AssertionError(
            "θ1 and x lie on the path to θ1 (∂z1/∂θ1 = x), not on the path to b1: "
            "∂z1/∂b1 = 1, so neither appears in ∂C/∂b1."
        )
    if names & {"b1", "b2", "b3"}:
        raise AssertionError(
            "A bias appears in the answer, but no local derivative on the path contains one "
            "(each ∂z/∂b is 1, and the biases are already inside z1, z2, z3)."
        )
    symbols = {s.name: s for s in expr.free_symbols}
    z = {n: symbols.get(n, sympy.Symbol(n)) for n in ("z1", "z2", "z3")}
    local = {"y_hat": symbolic.sigmoid(z["z3"]), "a1": symbolic.relu(z["z1"]), "a2": symbolic.relu(z["z2"])}
    expr = expr.xreplace({symbols[n]: v for n, v in local.items() if n in symbols})
    expected = symbolic.parse_answer(_DC_DB1, variables=variables)
    verdict = symbolic.equivalent(expr, expected, variables=variables)
    if not verdict.ok:
        message = f"Not yet: {_in_code_names(verdict.message)}"
        if verdict.kind == "extra_factor" and verdict.factor is not None and verdict.factor.has(sympy.Max):
            message += (" a1 and a2 are the inputs of layers 2 and 3: they end the paths of θ2 "
                        "(∂z2/∂θ2 = a1) and θ3, but the path of b1 ends with ∂z1/∂b1 = 1.")
        elif verdict.kind not in _SPECIFIC_KINDS:
            message += (" Walk the path from C down to b1: ∂C/∂ŷ, ∂ŷ/∂z3, ∂z3/∂a2, ∂a2/∂z2, "
                        "∂z2/∂a1, ∂a1/∂z1, ∂z1/∂b1.")
        raise AssertionError(message)
    passed("∂C/∂b1 = 2(ŷ − y)·σ′(z3)·θ3·g′(z2)·θ2·g′(z1): every factor on the path, nothing else.")


def check_dC_db1_numerically(answer):
    r"""Hidden test of the typed :math:`\partial C/\partial b_1`: it matches finite differences.

    Independently of the symbolic engine, the formula is evaluated on networks drawn from the
    checker's own generator (including one where the first ReLU is off and one where the second
    is), with every name of :data:`DC_DB1_VARIABLES` replaced by its value, and compared with a
    central difference of the cost in :math:`b_1`.

    Parameters
    ----------
    answer : str

    Raises
    ------
    AssertionError
        Naming the network and both numbers.

    Examples
    --------
    >>> check_dC_db1_numerically("2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*H(z2)*theta2*H(z1)")
    ✔ hidden cases: ∂C/∂b1 agrees with finite differences on 5 random networks, 2 with a ReLU off.
    >>> check_dC_db1_numerically("2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*theta2")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: On the network x = ..., your formula gives ..., but a central difference of the cost in b1 gives 0 (here z1 < 0: the first ReLU is off).
    """
    import sympy

    expr = _parse_dC_db1(answer)
    # the course's convention g'(0) = 0: H(a1) is H(0) = 0 where the first ReLU is off
    expr = expr.replace(sympy.Heaviside, lambda arg, *_: sympy.Heaviside(arg, 0))
    symbols = {s.name: s for s in expr.free_symbols}
    cases = _networks(6_060, 5, dead=True)
    for x, y, thetas, biases in cases:
        values, _, _ = _reference(x, y, thetas, biases)
        point = dict(values, x=x, y=y, theta1=thetas[0], theta2=thetas[1], theta3=thetas[2],
                     b1=biases[0], b2=biases[1], b3=biases[2])
        slope = float(_finite_differences(x, y, thetas, biases)[GRADIENT_KEYS.index("b1")])
        try:
            value = complex(expr.evalf(30, subs={s: point[n] for n, s in symbols.items()}))
        except (TypeError, ValueError, ArithmeticError):  # e.g. a division by a1 = 0
            value = complex("nan")
        if abs(value.imag) <= FORMULA_ATOL and abs(value.real - slope) <= FORMULA_ATOL + FORMULA_RTOL * abs(slope):
            continue
        off = ("" if min(values["z1"], values["z2"]) > 0 else
               " (here z1 < 0: the first ReLU is off)" if values["z1"] < 0 else
               " (here z2 < 0: the second ReLU is off)")
        shown = f"{value.real:.6g}" if abs(value.imag) <= FORMULA_ATOL else f"the complex number {value:.6g}"
        raise AssertionError(
            f"On the network {_describe(x, y, thetas, biases)}, your formula gives "
            f"{shown}, but a central difference of the cost in b1 gives "
            f"{0.0 if abs(slope) < FORMULA_ATOL else slope:.6g}{off}."
        )
    passed(f"hidden cases: ∂C/∂b1 agrees with finite differences on {len(cases)} random networks, "
           "2 with a ReLU off.")


# ---------------------------------------------------------------------------------------------
# Tamper detection: record this module and the course modules it relies on as they are now
# (see :func:`course_pkg.checks._core.assert_untampered`, called by every hidden test).
_core.seal(__name__, references=("course_pkg.symbolic",))
