"""Notebook 05's specs against right and wrong learners: every slip named, nothing leaked.

Each learner is notebook code, run in its own namespace as a notebook would run it (numpy only,
no course reference), with classic slips switched on through the global ``SLIP``. Every check runs
through the Learner protocol (:class:`~course_pkg.checks.learner.InProcessLearner`), as the
notebook's self-check and the grader run it, so "one dense_backward per layer" is counted.
"""

import re

import numpy as np
import pytest

from course_pkg import checks, network
from course_pkg.checks import engine, layers
from course_pkg.checks._core import module_functions
from course_pkg.checks.learner import NAMED, InProcessLearner, Named
from course_pkg.checks.planted import PLANTED
from course_pkg.gradcheck import check_gradients

SPEC = {spec.id: spec for spec in layers.SPECS}

#: A learner's notebook code: every function reads the global SLIP (a set of slip names).
LEARNER_SOURCE = r'''
import numpy as np
from course_pkg import network
from course_pkg.activations import relu, relu_prime, sigmoid, sigmoid_prime, tanh, tanh_prime
from course_pkg.gradcheck import DEFAULT_FLOOR

ACTIVATIONS = {"relu": (relu, relu_prime), "sigmoid": (sigmoid, sigmoid_prime), "tanh": (tanh, tanh_prime),
               "identity": (lambda z: z, lambda z: np.ones_like(z))}
LOSS_PRIMES = {"squared_error": lambda a, y: 2 * (a - y), "half_squared_error": lambda a, y: a - y}


def dense_forward(A_prev, W, b, activation):
    if "no_transpose" in SLIP:
        Z = A_prev @ W + b
    elif "transposed_result" in SLIP:
        Z = W @ A_prev.T + b[:, None]
    elif "no_bias" in SLIP:
        Z = A_prev @ W.T
    else:
        Z = A_prev @ W.T + b
    g = ACTIVATIONS["relu" if "always_relu" in SLIP else activation][0]
    A = Z if "no_activation" in SLIP else g(Z)
    if "cache_A" in SLIP:
        return A, (A_prev, W, A)
    if "cache_pair" in SLIP:
        return A, (A_prev, Z)
    if "cache_output" in SLIP:
        return A, (A, W, Z)
    return A, (A_prev, W, Z)


def dense_backward(dA, cache, activation):
    if "not_written" in SLIP:
        raise NotImplementedError()
    A_prev, W, Z = cache
    m = A_prev.shape[0]
    if "no_g_prime" in SLIP:
        E = dA
    elif "g_not_g_prime" in SLIP:
        E = dA * ACTIVATIONS[activation][0](Z)
    elif "kink_one" in SLIP and activation == "relu":
        E = dA * (Z >= 0)
    else:
        E = dA * ACTIVATIONS[activation][1](Z)
    dW = E.T @ A_prev / m
    db = E.mean(axis=0)
    dA_prev = E @ W
    if "no_mean" in SLIP:
        dW, db = E.T @ A_prev, E.sum(axis=0)
    if "db_sum" in SLIP:
        db = E.sum(axis=0)
    if "transposed_dW" in SLIP:
        dW = A_prev.T @ E / m
    if "db_axis" in SLIP:
        db = E.mean(axis=1)
    if "dA_prev_mean" in SLIP:
        dA_prev = E @ W / m
    if "return_E" in SLIP:
        dA_prev = E
    if "in_place" in SLIP:
        dA *= ACTIVATIONS[activation][1](Z)
    return dA_prev, dW, db


def network_gradients(weights, biases, X, Y, hidden="relu", output="sigmoid", loss="half_squared_error"):
    if "reference" in SLIP:
        return network.gradients(weights, biases, X, Y, hidden=hidden, output=output, loss=loss)
    L = len(weights)
    acts = [hidden] * (L - 1) + [hidden if "output_as_hidden" in SLIP else output]
    A, caches = X, []
    for l in range(L):
        A, cache = dense_forward(A, weights[l], biases[l], acts[l])
        caches.append(cache)
    per = (A - Y) ** 2 if loss == "squared_error" else 0.5 * (Y - A) ** 2
    cost = float(np.sum(per) if "cost_sum" in SLIP else np.mean(np.sum(per, axis=1)))
    used = loss
    if "loss_swap" in SLIP:
        used = "half_squared_error" if loss == "squared_error" else "squared_error"
    dA = LOSS_PRIMES[used](A, Y)
    if "sign" in SLIP:
        dA = -dA
    dW, db = [None] * L, [None] * L
    for l in reversed(range(L)):
        act = "identity" if "no_hidden_g" in SLIP and l < L - 1 else acts[l]
        if "inline" in SLIP:
            A_prev, W, Z = caches[l]
            E = dA * ACTIVATIONS[act][1](Z)
            dA, dW[l], db[l] = E @ W, E.T @ A_prev / len(X), E.mean(axis=0)
        else:
            dA, dW[l], db[l] = dense_backward(dA, caches[l], act)
    if "transposed_dW2" in SLIP and L > 1:
        dW[1] = dW[1].T
    return cost, dW, db


def batch_cost(weights, biases, X, Y, hidden="relu", output="sigmoid", loss="half_squared_error"):
    A = np.asarray(X, dtype=float)
    for l, (W, b) in enumerate(zip(weights, biases)):
        A = ACTIVATIONS[output if l == len(weights) - 1 else hidden][0](A @ np.asarray(W).T + b)
    per_example = (A - Y) ** 2 if loss == "squared_error" else 0.5 * (Y - A) ** 2
    return float(np.mean(np.sum(per_example, axis=1)))


def worst_entry(grad_fn, weights, biases, X, Y, hidden="relu", output="sigmoid",
                loss="half_squared_error", eps=1e-5):
    _, dweights, dbiases = grad_fn(weights, biases, X, Y, hidden=hidden, output=output, loss=loss)
    groups = [("weights", weights, dweights)]
    if "weights_only" not in SLIP:
        groups.append(("biases", biases, dbiases))
    worst = None
    for kind, params, grads in groups:
        for l in range(len(params)):
            for index in np.ndindex(np.shape(params[l])):
                def cost(shift):
                    nudged = [np.array(p, dtype=float) for p in params]
                    nudged[l][index] += shift
                    args = (nudged, biases) if kind == "weights" else (weights, nudged)
                    return batch_cost(*args, X, Y, hidden, output, loss)
                if "forward_difference" in SLIP:
                    numeric = (cost(eps) - cost(0.0)) / eps * 1.01
                else:
                    numeric = (cost(eps) - cost(-eps)) / (2 * eps)
                a = float(np.asarray(grads[l])[index])
                diff = abs(a - numeric)
                if "absolute" in SLIP:
                    error = diff
                else:
                    error = diff / max(abs(a), abs(numeric), DEFAULT_FLOOR) if diff else 0.0
                if "half_error" in SLIP:
                    error /= 2
                layer = l + 1 if "one_based" in SLIP else l
                if worst is None or error > worst[2]:
                    worst = (f"{kind}[{layer}]", tuple(int(i) for i in index), float(error))
    if "returns_list_index" in SLIP:
        return worst[0], list(worst[1]), worst[2]
    if "returns_name_only" in SLIP:
        return worst[0]
    return worst


shapes = {"X": (6, 4), "W1": (5, 4), "b2": (3,), "Z1": (6, 5), "A2": (6, 3), "E3": (6, 2),
          "E3 @ W3": (6, 3), "dW3": (2, 3), "db3": (2,), "dW1": (5, 4)}
'''


def learner(*slips):
    """A fresh notebook namespace holding the learner's code, with the given slips switched on."""
    namespace = {"SLIP": set(slips)}
    exec(compile(LEARNER_SOURCE, "<learner notebook>", "exec"), namespace)  # noqa: S102 - the fixture
    return namespace


def outcome(grade_id, namespace, hidden=False, seed=None, forbid=None):
    spec = SPEC[grade_id]
    funcs = module_functions(spec.forbid) if forbid is None else forbid
    return layers.run(spec, InProcessLearner(namespace, forbid=funcs), hidden=hidden, seed=seed)


# ---------------------------------------------------------------------------------------------
# registry and shape of the module


def test_specs_are_registered_for_the_assignment_with_the_notebooks_grade_ids():
    table = checks.specs("05-layers")
    assert set(table) == {"test_shapes", "test_dense_forward", "test_dense_backward", "test_network",
                          "test_worst_entry"}
    assert checks.spec_for("05-layers", "test_network").name == "network_gradients"


def test_every_probe_kind_is_in_the_shared_vocabulary():
    for spec in layers.SPECS:
        for probe in getattr(spec, "probes", ()):
            assert probe.kind in engine.KINDS


def test_visible_and_hidden_runs_draw_the_same_case_classes_with_other_numbers():
    for spec in layers.SPECS:
        if not hasattr(spec, "cases"):
            continue
        visible = spec.cases(np.random.default_rng(engine.seed_of(spec, False)))
        hidden = spec.cases(np.random.default_rng(engine.seed_of(spec, True)))
        assert sorted(c.cls for c in visible) == sorted(c.cls for c in hidden)
        first_v = [a for a in visible[0].args if isinstance(a, np.ndarray)]
        first_h = [a for a in hidden[0].args if isinstance(a, np.ndarray)]
        if first_v:
            assert not np.array_equal(first_v[0], first_h[0])


# ---------------------------------------------------------------------------------------------
# right learners pass, visible and hidden


@pytest.mark.parametrize("hidden", [False, True])
def test_right_learners_pass_every_spec(hidden):
    namespace = learner()
    for spec in layers.SPECS:
        result = outcome(spec.id, namespace, hidden=hidden)
        assert result.passed, (spec.id, result.message)
        assert result.kind == "ok"
        assert result.message.startswith("hidden tests: ") == hidden


def test_case_classes_cover_every_activation_batch_size_depth_and_loss():
    classes = {spec.id: " | ".join(c.cls for c in spec.cases(np.random.default_rng(0)))
               for spec in layers.SPECS if hasattr(spec, "cases")}
    for activation in ("relu", "sigmoid", "tanh", "identity"):
        assert activation in classes["test_dense_forward"] and activation in classes["test_dense_backward"]
    for needle in ("batch of 1", "some units on, some off", "g′(0) = 0", "square W"):
        assert needle in classes["test_dense_backward"]
    for needle in ("1 layer", "2 layers", "3 layers", "relu hidden", "sigmoid hidden", "squared_error",
                   "half_squared_error", "batch of 1", "identity output", "sigmoid output",
                   "every hidden unit on for some examples and off for others"):
        assert needle in classes["test_network"], needle
    assert "correct" in classes["test_worst_entry"] and "planted bug" in classes["test_worst_entry"]
    for name in PLANTED:
        assert name[len("layers."):] not in classes["test_worst_entry"]


def test_relu_cases_switch_every_hidden_unit_on_and_off():
    rng = np.random.default_rng(3)
    for case in layers._network_cases(rng):
        weights, biases, X, _ = case.args
        if case.kwargs["hidden"] != "relu" or len(weights) < 2:
            continue
        for Z in network.forward(weights, biases, X, "relu", case.kwargs["output"]).Zs[:-1]:
            on = Z > 0
            if len(X) > 1:
                assert on.any(axis=0).all() and (~on).any(axis=0).all()
            else:
                assert on.any() and (~on).any()
            assert np.min(np.abs(Z)) >= layers.KINK_MARGIN


# ---------------------------------------------------------------------------------------------
# shape table


def test_shape_table_names_the_wrong_rows_and_never_their_shapes():
    table = dict(dict(learner()["shapes"]))
    table["dW3"] = (3, 2)  # transposed
    table["E3 @ W3"] = (6, 2)
    result = outcome("test_shapes", {"shapes": table})
    assert not result.passed and result.kind == "wrong"
    assert "dW3" in result.message and "E3 @ W3" in result.message and "2 of 10" in result.message
    assert "(2, 3)" not in result.message and "(6, 3)" not in result.message


@pytest.mark.parametrize("value, kind, words", [
    (None, "missing", "not defined"),
    (..., "not_written", "is not written yet"),
    ([(6, 4)], "type", "dict"),
    ({"X": (6, 4)}, "type", "no entries"),
])
def test_shape_table_structure(value, kind, words):
    namespace = {} if value is None else {"shapes": value}
    result = outcome("test_shapes", namespace)
    assert (result.kind, result.passed) == (kind, False) and words in result.message


def test_shape_table_accepts_lists_and_refuses_non_shapes():
    table = dict(learner()["shapes"])
    table["X"] = [6, 4]
    assert outcome("test_shapes", {"shapes": table}).passed
    table["X"] = "6, 4"
    result = outcome("test_shapes", {"shapes": table})
    assert result.kind == "type" and "tuple of ints" in result.message


# ---------------------------------------------------------------------------------------------
# dense_forward


@pytest.mark.parametrize("slip, kind, words", [
    ("no_activation", "missing_activation", "activation g is missing"),
    ("always_relu", "wrong_activation", "whatever the activation"),
    ("no_bias", "wrong", "bias is missing"),
    ("cache_A", "wrong", "must be Z"),
    ("no_transpose", "shape", "A_prev @ W.T"),
    ("transposed_result", "shape", "transposed"),
    ("cache_pair", "type", "(A_prev, W, Z)"),
    ("cache_output", "wrong_input", "must be the layer's input A_prev"),
])
@pytest.mark.parametrize("hidden", [False, True])
def test_dense_forward_slips_fail_visible_and_hidden_and_are_named(slip, kind, words, hidden):
    result = outcome("test_dense_forward", learner(slip), hidden=hidden)
    assert not result.passed
    assert result.kind == kind, result.message
    assert words in result.message


# ---------------------------------------------------------------------------------------------
# dense_backward


@pytest.mark.parametrize("slip, kind, words", [
    ("no_mean", "missing_division", "m times too large"),
    ("db_sum", "missing_division", "db is m times too large"),
    ("dA_prev_mean", "extra_factor", "dA_prev is divided by m"),
    ("no_g_prime", "missing_derivative", "g′(Z) is missing"),
    ("g_not_g_prime", "function_for_derivative", "its derivative"),
    ("kink_one", "kink_convention", "g′(0) = 0"),
    ("transposed_dW", "transposed", "did you compute A_prevᵀ E instead of Eᵀ A_prev?"),
    ("db_axis", layers._kind("wrong_axis", "wrong"), "axis=1 (the neurons) instead of axis=0 (the examples)"),
    ("return_E", "shape", "did you return E"),
    ("in_place", "mutated", "modified an input array"),
    ("not_written", "not_written", "not written yet"),
])
def test_dense_backward_slips_are_named(slip, kind, words):
    for hidden in (False, True):
        result = outcome("test_dense_backward", learner(slip), hidden=hidden)
        assert not result.passed and result.kind == kind, result.message
        assert words in result.message


def test_dense_backward_shape_message_is_in_the_courses_convention():
    result = outcome("test_dense_backward", learner("transposed_dW"))
    match = re.search(r"dW has shape \((\d), (\d)\), but W is \((\d), (\d)\) = \(n, n_prev\) and dW has W's shape",
                      result.message)
    assert match, result.message
    got, want = match.group(1, 2), match.group(3, 4)
    assert got == want[::-1]


def test_a_transposed_dw_with_a_square_w_is_caught_by_its_values():
    spec = SPEC["test_dense_backward"]
    square = [c for c in spec.cases(np.random.default_rng(1)) if "square W" in c.cls]
    assert square
    only_square = layers.Outputs(**{**spec.__dict__, "cases": lambda rng: square})
    result = layers.run(only_square, InProcessLearner(learner("transposed_dW")),
                        hidden=False)
    assert result.kind == "transposed" and "square W" in result.message


@pytest.mark.parametrize("spec_id, slips", [
    ("test_dense_forward", ("no_activation", "always_relu", "no_bias", "cache_A")),
    ("test_dense_backward", ("no_mean", "db_sum", "no_g_prime", "kink_one", "dA_prev_mean")),
    ("test_network", ("cost_sum", "loss_swap", "sign", "output_as_hidden", "no_hidden_g")),
])
def test_feedback_never_shows_the_expected_numbers(spec_id, slips):
    spec = SPEC[spec_id]
    cases = spec.cases(np.random.default_rng(engine.seed_of(spec, False)))
    for slip in slips:
        result = outcome(spec_id, learner(slip))
        assert not result.passed
        case = next(c for c in cases if c.cls == result.case)
        for _, part in spec.unpack(spec.reference(*case.args, **case.kwargs), case):
            for value in np.ravel(part):
                if abs(value) > 1e-3:
                    for shown in (f"{value:.4g}", f"{value:.3g}", f"{value:.6f}"):
                        assert shown not in result.message, (slip, shown, result.message)


# ---------------------------------------------------------------------------------------------
# network_gradients


@pytest.mark.parametrize("slip, kind, words", [
    ("cost_sum", "missing_division", "cost is the sum"),
    ("loss_swap", "factor_two", "factor of 2"),
    ("sign", "sign", "wrong sign"),
    ("output_as_hidden", "wrong_activation", "layer L uses `output`"),
    ("no_hidden_g", "missing_derivative", "hidden layers' g′"),
    ("inline", "budget", "one dense_backward per layer"),
])
@pytest.mark.parametrize("hidden", [False, True])
def test_network_slips_fail_visible_and_hidden_and_are_named(slip, kind, words, hidden):
    result = outcome("test_network", learner(slip), hidden=hidden)
    assert not result.passed and result.kind == kind, result.message
    assert words in result.message


def test_network_whose_caches_keep_the_output_instead_of_the_input_is_named():
    result = outcome("test_network", learner("cache_output"))
    assert result.kind == "wrong_input" and "input A^[l-1]" in result.message
    assert "did you multiply by the layer's output instead of its input A_prev?" in result.message


def test_network_with_a_layer_that_forgets_the_mean_is_named():
    result = outcome("test_network", learner("no_mean"))
    assert result.kind == "missing_division" and "m times too large" in result.message


def test_network_with_a_layer_that_divides_dA_prev_is_named():
    result = outcome("test_network", learner("dA_prev_mean"))
    assert result.kind in ("extra_factor",) and "divided by m" in result.message


def test_network_calling_the_reference_scores_nothing():
    result = outcome("test_network", learner("reference"))
    assert not result.passed and result.kind == "reference_used"


def test_network_shape_feedback_names_the_layer_in_the_courses_notation():
    result = outcome("test_network", learner("transposed_dW2"))
    assert result.kind == "shape"
    assert re.search(r"dweights\[1\] \(dW\^\[2\]\) has shape \((\d), (\d)\), but W\^\[2\] is \(\2, \1\) = "
                     r"\(n_2, n_1\) and dW has W's shape: did you compute A_prevᵀ E instead of Eᵀ A_prev\?",
                     result.message), result.message


def test_network_with_a_forward_missing_the_activation_fails_its_self_check():
    # notebook 03's lesson: a forward without the ReLU must not show ✔ on the self-check
    result = outcome("test_network", learner("no_activation"))
    assert not result.passed


# ---------------------------------------------------------------------------------------------
# worst_entry and the planted gradient functions


@pytest.mark.parametrize("hidden", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("output, loss", [("sigmoid", "half_squared_error"), ("identity", "squared_error")])
def test_the_correct_planted_function_is_the_courses_backprop_without_importing_it(hidden, output, loss):
    rng = np.random.default_rng(1)
    weights, biases, X, Y = layers._network_problem(rng, (3, 4, 4, 2), 5, hidden, output, loss, mixed=True)
    got = PLANTED["layers.grad_p"](weights, biases, X, Y, hidden=hidden, output=output, loss=loss)
    want = network.gradients(weights, biases, X, Y, hidden=hidden, output=output, loss=loss)
    assert got[0] == pytest.approx(want[0], rel=1e-12)
    for a, b in zip(got[1] + got[2], want[1] + want[2]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)
    import course_pkg.checks.planted as planted_module
    assert "network" not in vars(planted_module) and "_network" not in vars(planted_module)


def test_every_exercise_switches_off_the_courses_network_and_gradient_check():
    for spec in layers.SPECS:
        assert set(spec.forbid) == {"course_pkg.network", "course_pkg.gradcheck", "course_pkg.checks.layers"}


def test_planted_functions_resolve_by_name_and_break_only_their_parameter():
    rng = np.random.default_rng(0)
    for sizes in ((3, 4, 4, 2), (2, 3, 3, 1)):
        weights, biases, X, Y = layers._network_problem(rng, sizes, 4, "sigmoid", "sigmoid",
                                                        "half_squared_error", mixed=False)
        for name in PLANTED:
            assert NAMED[name] is PLANTED[name] and Named(name).name == name
            report = check_gradients(PLANTED[name], weights, biases, X, Y, hidden="sigmoid")
            bad = {p for p, e in report.errors.items() if np.nanmax(e) > 1e-6}
            expected = layers.buggy_parameter(name, len(weights), sizes)
            assert bad == (set() if expected is None else {expected}), (name, bad)


@pytest.mark.parametrize("slip, kind, words", [
    ("weights_only", "missing", "biases too"),
    ("one_based", None, "layer index"),
    ("absolute", None, None),
    ("forward_difference", "wrong", "correct"),
    ("half_error", "wrong", "relative error you report"),
    ("returns_name_only", "type", "tuple (name, index, error)"),
])
def test_worst_entry_slips_fail(slip, kind, words):
    for hidden in (False, True):
        result = outcome("test_worst_entry", learner(slip), hidden=hidden)
        assert not result.passed, (slip, result.message)
        if kind:
            assert result.kind == kind, result.message
        if words:
            assert words in result.message


def test_worst_entry_accepts_an_index_given_as_a_list():
    assert outcome("test_worst_entry", learner("returns_list_index")).passed


def test_worst_entry_using_check_gradients_is_refused():
    def worst_entry(grad_fn, weights, biases, X, Y, hidden="relu", output="sigmoid",
                    loss="half_squared_error", eps=1e-5):
        w = check_gradients(grad_fn, weights, biases, X, Y, hidden=hidden, output=output, loss=loss).worst
        return w.parameter, w.index, w.relative_error

    result = outcome("test_worst_entry", {"worst_entry": worst_entry})
    assert result.kind == "reference_used"


def test_worst_entry_messages_never_name_the_buggy_parameter():
    spec = SPEC["test_worst_entry"]
    cases = spec.cases(np.random.default_rng(engine.seed_of(spec, False)))
    for slip in ("weights_only", "half_error", "forward_difference"):
        result = outcome("test_worst_entry", learner(slip))
        case = next(c for c in cases if c.cls == result.case)
        weights = case.args[1]
        sizes = [weights[0].shape[1]] + [W.shape[0] for W in weights]
        buggy = layers.buggy_parameter(case.args[0].name, len(weights), sizes)
        if buggy is not None and slip == "weights_only":
            assert buggy not in result.message, result.message
        assert "grad_" not in result.message


def test_missing_function_and_not_written():
    assert outcome("test_network", {}).kind == "missing"
    assert outcome("test_dense_backward", learner("not_written")).kind == "not_written"


def test_notebook_check_prints_a_tick_or_raises_check_failed(capsys):
    layers.check("test_dense_forward", learner()["dense_forward"])
    assert capsys.readouterr().out.startswith("✔ dense_forward: right on")
    with pytest.raises(engine.CheckFailed) as info:
        layers.check("test_dense_forward", learner("no_activation")["dense_forward"])
    assert info.value.outcome.kind == "missing_activation"
    with pytest.raises(ValueError, match="grade_id must be one of"):
        layers.check("test_nothing", learner()["dense_forward"])


@pytest.mark.parametrize("spec_id, index", [(spec.id, i) for spec in layers.SPECS
                                            for i in range(len(getattr(spec, "probes", ())))])
@pytest.mark.parametrize("hidden", [False, True])
def test_every_probes_wrong_variant_is_named_by_the_runner(spec_id, index, hidden):
    """Each probe's runnable wrong example, run as the learner, gets that probe's kind and message."""
    spec = SPEC[spec_id]
    probe = spec.probes[index]
    namespace = learner()
    namespace[spec.name] = probe.wrong
    result = layers.run(spec, InProcessLearner(namespace), hidden=hidden)
    assert not result.passed
    assert (result.kind, probe.message in result.message) == (probe.kind, True), result.message


# ------------------------------------------------------------------ through the trusted grader


def _source_notebook():
    import pathlib

    import nbformat

    path = pathlib.Path(__file__).resolve().parents[2] / "source" / "05-layers" / "layers.ipynb"
    nb = nbformat.read(path, as_version=4)
    solutions = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    return nb, solutions


def test_the_trusted_grader_gives_the_solved_notebook_every_cell():
    """The same specs, run by course_pkg.grading on the notebook in its sandbox: the planted
    gradient functions cross by name, and nothing the solutions use is switched off there."""
    from course_pkg.grading.nbgrader import grade_notebook

    nb, _ = _source_notebook()
    cells = grade_notebook(nb, "05-layers")["cells"]
    assert set(cells) == set(SPEC)
    assert all(c["passed"] for c in cells.values()), {k: c["message"] for k, c in cells.items() if not c["passed"]}


def test_the_trusted_grader_names_the_slips_and_refuses_the_references_in_the_sandbox():
    from course_pkg.grading.nbgrader import grade_notebook

    nb, solutions = _source_notebook()
    solutions["shapes_solution"].source = solutions["shapes_solution"].source.replace('"dW3": (2, 3)', '"dW3": (3, 2)')
    solutions["dense_backward_solution"].source = solutions["dense_backward_solution"].source.replace(
        "db = E.mean(axis=0)", "db = E.mean(axis=1)")
    solutions["network_solution"].source = solutions["network_solution"].source.replace(
        "### BEGIN SOLUTION", "### BEGIN SOLUTION\n    return network.gradients(weights, biases, X, Y, hidden=hidden, "
        "output=output, loss=loss)")
    solutions["worst_entry_solution"].source = solutions["worst_entry_solution"].source.replace(
        "### BEGIN SOLUTION", "### BEGIN SOLUTION\n    w = check_gradients(grad_fn, weights, biases, X, Y, hidden=hidden, "
        "output=output, loss=loss).worst\n    return w.parameter, w.index, w.relative_error")
    cells = grade_notebook(nb, "05-layers")["cells"]
    assert cells["test_shapes"]["kind"] == "wrong" and "dW3" in cells["test_shapes"]["message"]
    assert cells["test_dense_forward"]["passed"]
    assert cells["test_dense_backward"]["kind"] == layers._kind("wrong_axis", "wrong")
    assert "axis=1 (the neurons)" in cells["test_dense_backward"]["message"]
    assert cells["test_network"]["kind"] == "reference_used"
    assert cells["test_worst_entry"]["kind"] == "reference_used"


def test_replacing_the_check_or_a_reference_is_noticed_by_the_hidden_tamper_check(monkeypatch):
    layers.assert_untampered()  # nothing patched: silent
    monkeypatch.setattr(layers, "check", lambda *args, **kwargs: print("✔"))
    with pytest.raises(AssertionError):
        layers.assert_untampered()
    monkeypatch.undo()
    monkeypatch.setattr(network, "gradients", lambda *args, **kwargs: None)
    with pytest.raises(AssertionError):
        layers.assert_untampered()
