"""Notebook 03's specs through the notebook's ``checks.check``: right answers pass, planted wrong ones
fail with the message that names them, and the regressions of issue 7 (a forward without the ReLU, a
backward without g′ or by finite differences, `z >= 0`, a sign error in ∂C/∂b1) fail the visible
self-check itself."""

import numpy as np
import pytest

from course_pkg import network, paths
from course_pkg.checks import scalar_network as checks
from course_pkg.checks.engine import CheckFailed


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z)) if z >= 0 else np.exp(z) / (1.0 + np.exp(z))


def make_forward(hidden=lambda z: max(z, 0.0), output=sigmoid, from_x=False):
    def forward(x, thetas, biases):
        out, a = {}, x
        for l in range(3):
            z = thetas[l] * (x if from_x else a) + biases[l]
            a = output(z) if l == 2 else hidden(z)
            out[f"z{l + 1}"] = z
            out["y_hat" if l == 2 else f"a{l + 1}"] = a
        return out
    return forward


good_forward = make_forward()


def make_backward(two=2.0, sign=1.0, sigma_prime=True, relu_prime=True, weight_input="a", swap=False,
                  reverse=False, relu_for_prime=False, sigma_prime_at_y_hat=False, at_least_0=False):
    def backward(x, y, thetas, biases):
        f = good_forward(x, thetas, biases)
        y_hat = f["y_hat"]
        s = sigmoid(y_hat) if sigma_prime_at_y_hat else y_hat
        e3 = two * sign * (y_hat - y) * (s * (1 - s) if sigma_prime else 1.0)
        g2 = float(f["z2"] >= 0 if at_least_0 else f["z2"] > 0) if relu_prime else 1.0
        g1 = float(f["z1"] >= 0 if at_least_0 else f["z1"] > 0) if relu_prime else 1.0
        if relu_for_prime:
            g2, g1 = f["a2"], f["a1"]
        e2 = e3 * thetas[2] * g2
        e1 = e2 * thetas[1] * g1
        inputs = {"a": [x, f["a1"], f["a2"]], "theta": thetas, "own": [f["a1"], f["a2"], y_hat]}[weight_input]
        g = {"theta1": e1 * inputs[0], "b1": e1, "theta2": e2 * inputs[1], "b2": e2,
             "theta3": e3 * inputs[2], "b3": e3}
        if swap:
            g = {"theta1": g["b1"], "b1": g["theta1"], "theta2": g["b2"], "b2": g["theta2"],
                 "theta3": g["b3"], "b3": g["theta3"]}
        if reverse:
            g = {"theta1": g["theta3"], "b1": g["b3"], "theta2": g["theta2"], "b2": g["b2"],
                 "theta3": g["theta1"], "b3": g["b1"]}
        return g
    return backward


class Liar(float):
    """A float that claims to equal everything."""

    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


def via_network(x, thetas, biases):
    cache = network.forward([np.array([[q]]) for q in thetas], [np.array([q]) for q in biases], np.array([[x]]))
    return good_forward(x, thetas, biases) if cache else None


def fails(grade_id, *objects, hidden=False):
    with pytest.raises(CheckFailed) as info:
        checks.check(grade_id, *objects, hidden=hidden)
    return info.value.outcome


def typed(answer, hidden=False):
    namespace = {"dC_db1": answer, "checks": checks}
    exec(f"checks.check('test_dC_db1', hidden={hidden})", namespace)


def typed_fails(answer, hidden=False):
    with pytest.raises(CheckFailed) as info:
        typed(answer, hidden)
    return info.value.outcome


# ------------------------------------------------------------------ forward

@pytest.mark.parametrize("hidden", [False, True])
def test_right_forward_passes(hidden, capsys):
    checks.check("test_forward", good_forward, hidden=hidden)
    assert capsys.readouterr().out.startswith("✔ ")


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("bad, kind, message", [
    (make_forward(from_x=True), "wrong_input", "Only layer 1 sees x"),
    (make_forward(hidden=sigmoid), "wrong_activation", "hidden layers use the sigmoid"),
    (make_forward(output=lambda z: max(z, 0.0)), "wrong_activation", "not ReLU"),
    (make_forward(output=lambda z: z), "missing_activation", "the sigmoid is missing"),
    (lambda x, t, b: None, "type", "forget to `return`"),
    (lambda x, t, b: [1.0] * 6, "type", "should return a dict"),
    (lambda x, t, b: {k: v for k, v in good_forward(x, t, b).items() if k != "a2"}, "type", "no 'a2'"),
    (lambda x, t, b: {**good_forward(x, t, b), "z1": Liar(0.0)}, "wrong", "Wrong: z1"),  # read as the float it is
    (lambda x, t, b: {**good_forward(x, t, b), "z1": "0.5"}, "type", "one number"),
    (lambda x, t, b: via_network(x, t, b), "reference_used", "reference implementation"),
])
def test_wrong_forward_fails_with_its_message(bad, kind, message, hidden):
    outcome = fails("test_forward", bad, hidden=hidden)
    assert outcome.kind == kind and message in outcome.message, outcome


def test_forward_without_the_relu_fails_the_visible_self_check():
    """Regression: the self-check's networks always had both ReLUs on, so this showed ✔ (then 3/10)."""
    outcome = fails("test_forward", make_forward(hidden=lambda z: z))
    assert outcome.kind == "missing_activation" and outcome.case == "ReLU 1 off"
    assert "max(0, z)" in outcome.message


def test_every_hidden_neuron_is_on_off_and_at_its_kink_in_every_run():
    for hidden in (False, True):
        for spec in (checks.FORWARD, checks.BACKWARD):
            classes = {c.cls for c in spec.cases(np.random.default_rng(hidden + 7))}
            assert classes == {"both ReLUs on", "ReLU 1 off", "ReLU 2 off", "z1 = 0, the kink", "z2 = 0, the kink"}
            for case in spec.cases(np.random.default_rng(hidden + 7)):
                v = good_forward(case.args[0], case.args[-2], case.args[-1])
                if "kink" in case.cls:
                    assert v[case.cls[:2]] == 0.0, case


def test_the_specs_references_agree_with_course_pkg_network_on_every_case():
    """The references live in the spec module (the sandbox empties them); they equal the course's network."""
    for seed in (0, 1, 2):
        for case in checks.BACKWARD.cases(np.random.default_rng(seed)):
            x, y, thetas, biases = case.args
            weights, bs = [np.array([[t]]) for t in thetas], [np.array([b]) for b in biases]
            cache = network.forward(weights, bs, np.array([[x]]))
            forward = checks.FORWARD.reference(x, thetas, biases)
            assert np.allclose([forward["z1"], forward["a2"], forward["y_hat"]],
                               [cache.Zs[0][0, 0], cache.As[2][0, 0], cache.As[3][0, 0]], rtol=1e-12, atol=0)
            _, dW, db = network.gradients(weights, bs, np.array([[x]]), np.array([[y]]), loss="squared_error")
            grads = checks.BACKWARD.reference(x, y, thetas, biases)
            assert np.allclose([grads[k] for k in checks.GRADIENT_KEYS],
                               [dW[0][0, 0], db[0][0], dW[1][0, 0], db[1][0], dW[2][0, 0], db[2][0]],
                               rtol=1e-12, atol=1e-15), case.cls


# ------------------------------------------------------------------ backward

@pytest.mark.parametrize("hidden", [False, True])
def test_right_backward_passes(hidden, capsys):
    checks.check("test_backward", make_backward(), hidden=hidden)
    assert capsys.readouterr().out.startswith("✔ ")


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("bad, kind, message", [
    (make_backward(two=1.0), "factor_two", "half the right value"),
    (make_backward(sign=-1.0), "sign", "not 2(y − ŷ)"),
    (make_backward(sigma_prime=False), "missing_derivative", "σ′(z3) = ŷ(1 − ŷ) is missing"),
    (make_backward(weight_input="theta"), "wrong_input", "not θ itself"),
    (make_backward(weight_input="own"), "wrong_input", "not its own output"),
    (make_backward(swap=True), "swapped", "swapped"),
    (make_backward(reverse=True), "reversed_layers", "backward order"),
    (make_backward(sigma_prime_at_y_hat=True), "derivative_at_output", "not sigmoid_prime(ŷ)"),
    (lambda x, y, t, b: {k: float(v) for k, v in paths.path_gradients(x, y, t, b).items()},
     "reference_used", "reference implementation"),
])
def test_wrong_backward_fails_with_its_message(bad, kind, message, hidden):
    outcome = fails("test_backward", bad, hidden=hidden)
    assert outcome.kind == kind and message in outcome.message, outcome


def test_backward_without_g_prime_fails_the_visible_self_check():
    """Regression: no ReLU of the self-check was ever off, so a missing g′ showed ✔."""
    outcome = fails("test_backward", make_backward(relu_prime=False))
    assert outcome.kind == "missing_derivative" and "g′(z1) and g′(z2) are missing" in outcome.message


def test_g_where_g_prime_belongs_is_named():
    outcome = fails("test_backward", make_backward(relu_for_prime=True))
    assert outcome.kind == "function_for_derivative" and "relu_prime, not relu" in outcome.message


def test_z_at_least_0_fails_at_the_kink():
    """Regression: no test had z = 0, so relu_prime with `z >= 0` passed."""
    for hidden in (False, True):
        outcome = fails("test_backward", make_backward(at_least_0=True), hidden=hidden)
        assert outcome.kind == "kink_convention" and outcome.case == "z1 = 0, the kink"


def test_backward_by_finite_differences_fails():
    """Regression: a backward built from finite differences got full marks despite "the backprop way"."""
    namespace = {"np": np}
    exec(
        "def forward(x, thetas, biases):\n"
        "    a = x\n"
        "    out = {}\n"
        "    for l in range(3):\n"
        "        z = thetas[l] * a + biases[l]\n"
        "        a = 1 / (1 + np.exp(-z)) if l == 2 else max(z, 0.0)\n"
        "        out[f'z{l + 1}'] = z\n"
        "        out['y_hat' if l == 2 else f'a{l + 1}'] = a\n"
        "    return out\n"
        "def backward(x, y, thetas, biases, h=1e-6):\n"
        "    grads = {}\n"
        "    for i, name in enumerate(['theta1', 'theta2', 'theta3', 'b1', 'b2', 'b3']):\n"
        "        params = list(thetas) + list(biases)\n"
        "        up, down = list(params), list(params)\n"
        "        up[i] += h\n"
        "        down[i] -= h\n"
        "        cost = lambda p: (forward(x, p[:3], p[3:])['y_hat'] - y) ** 2\n"
        "        grads[name] = (cost(up) - cost(down)) / (2 * h)\n"
        "    return grads\n", namespace)
    with pytest.raises(CheckFailed) as info:
        exec("checks.check('test_backward', backward)", {**namespace, "checks": checks})
    outcome = info.value.outcome
    assert outcome.kind == "budget" and "called forward 12 times" in outcome.message


def test_a_backward_that_calls_forward_once_passes():
    namespace = {"np": np}
    exec(
        "def forward(x, thetas, biases):\n"
        "    a = x\n    out = {}\n"
        "    for l in range(3):\n"
        "        z = thetas[l] * a + biases[l]\n"
        "        a = 1 / (1 + np.exp(-z)) if l == 2 else max(z, 0.0)\n"
        "        out[f'z{l + 1}'] = z\n        out['y_hat' if l == 2 else f'a{l + 1}'] = a\n"
        "    return out\n"
        "def backward(x, y, thetas, biases):\n"
        "    f = forward(x, thetas, biases)\n"
        "    e3 = 2 * (f['y_hat'] - y) * f['y_hat'] * (1 - f['y_hat'])\n"
        "    e2 = e3 * thetas[2] * (f['z2'] > 0)\n"
        "    e1 = e2 * thetas[1] * (f['z1'] > 0)\n"
        "    return {'theta1': e1 * x, 'b1': e1, 'theta2': e2 * f['a1'], 'b2': e2, 'theta3': e3 * f['a2'], 'b3': e3}\n",
        namespace)
    exec("checks.check('test_backward', backward); checks.check('test_backward', backward, hidden=True)",
         {**namespace, "checks": checks})


# ------------------------------------------------------------------ the typed partial

@pytest.mark.parametrize("answer", [
    "2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*H(z2)*theta2*H(z1)",
    "2 (σ(z3) − y) σ(z3) (1 − σ(z3)) · theta3 · Heaviside(z2) · theta2 · Heaviside(z1)",
    "theta2*theta3*Heaviside(z1)*Heaviside(z2)*2*(sigmoid(z3)-y)*sigmoid(z3)*(1-sigmoid(z3))",
    "2 (y_hat - y) y_hat (1 - y_hat) theta3 H(z2) theta2 H(z1)",  # a space multiplies
    "2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*H(a2)*theta2*H(a1)",  # H(g(z)) = H(z) when g'(0) = 0
    "2(ŷ − y) ŷ(1 − ŷ) θ3 H(z2) θ2 H(z1)",  # the notebook's own symbols
])
def test_equivalent_forms_of_dC_db1_pass(answer, capsys):
    typed(answer)
    typed(answer, hidden=True)
    out = capsys.readouterr()
    assert out.out.count("✔") == 2 and out.err == ""


@pytest.mark.parametrize("answer, kind, message", [
    ("2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*H(z2)*theta2*H(z1)*x", "off_path", "θ1 and x lie on the path to θ1"),
    ("2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*H(z2)*theta2*H(z1)*b1", "off_path", "A bias appears"),
    ("2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*H(z2)*theta2*H(z1)*w", "format", "`w` is not a variable"),
    ("diff((sigmoid(z3) - y)**2, b1)", "format", "cannot be read"),
    ("__import__('os').system('echo hi')", "format", "cannot be read"),
    (42, "type", "as a string"),
    (None, "not_written", "is not written yet"),
])
def test_wrong_dC_db1_fails_with_its_message(answer, kind, message):
    outcome = typed_fails(answer)
    assert outcome.kind == kind and message in outcome.message, outcome


def test_a_sign_error_in_dC_db1_is_named_without_exponentials():
    """Regression: a sign error was told "the derivative of e^(−z) is −e^(−z)" (there is none)."""
    outcome = typed_fails("2*(y - y_hat)*y_hat*(1 - y_hat)*theta3*H(z2)*theta2*H(z1)")
    assert outcome.kind == "sign" and "2(y − ŷ)" in outcome.message
    assert "e^" not in outcome.message and "exp" not in outcome.message


def test_g_where_g_prime_belongs_in_dC_db1_is_named_correctly():
    """Regression: relu(z) for g′(z) was told "a1 and a2 are the inputs of layers 2 and 3"."""
    outcome = typed_fails("2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*relu(z2)*theta2*relu(z1)")
    assert outcome.kind == "function_for_derivative" and "g(z) appears where its derivative g′(z) belongs" in outcome.message
    assert "inputs of layers 2 and 3" not in outcome.message


def test_the_try_it_cell_shows_no_traceback(capsys):
    assert checks.read_answer("2*(y_hat - y") is None
    assert "Cannot read" in capsys.readouterr().out
    assert checks.read_answer("2(ŷ − y) ŷ(1 − ŷ) θ3 H(z2) θ2 H(z1)") is not None


def test_patching_numpy_after_import_does_not_fool_the_checker(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "isclose", lambda a, b, *r, **k: np.ones(np.broadcast(a, b).shape, dtype=bool))
    monkeypatch.setattr(np, "array_equal", lambda *a, **k: True)
    monkeypatch.setattr(np, "all", lambda *a, **k: True)
    assert fails("test_backward", make_backward(two=1.0)).kind == "factor_two"
    assert fails("test_forward", make_forward(from_x=True)).kind == "wrong_input"


# ------------------------------------------------------------------ through the trusted grader


def test_the_trusted_grader_names_the_slips_of_a_sandboxed_notebook():
    """The same specs, run by course_pkg.grading on the learner's notebook in its sandbox (plain data only)."""
    import pathlib

    import nbformat

    from course_pkg.grading.nbgrader import grade_notebook

    path = pathlib.Path(__file__).resolve().parents[2] / "source" / "03-scalar-network" / "scalar_network.ipynb"
    nb = nbformat.read(path, as_version=4)
    solutions = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    solutions["forward_solution"].source = solutions["forward_solution"].source.replace(
        "a1 = relu(z1)", "a1 = z1").replace("a2 = relu(z2)", "a2 = z2")
    solutions["backward_solution"].source = (
        "def backward(x, y, thetas, biases, h=1e-6):\n"
        "    grads = {}\n"
        "    for i, name in enumerate(['theta1', 'theta2', 'theta3', 'b1', 'b2', 'b3']):\n"
        "        up, down = list(thetas) + list(biases), list(thetas) + list(biases)\n"
        "        up[i] += h\n"
        "        down[i] -= h\n"
        "        cost = lambda p: (forward(x, p[:3], p[3:])['y_hat'] - y) ** 2\n"
        "        grads[name] = (cost(up) - cost(down)) / (2 * h)\n"
        "    return grads\n")
    solutions["db1_solution"].source = (
        'dC_db1 = "2*(y - y_hat) * y_hat*(1 - y_hat) * theta3 * Heaviside(z2) * theta2 * Heaviside(z1)"\n')
    cells = grade_notebook(nb, "03-scalar-network")["cells"]
    assert (cells["test_forward"]["kind"], cells["test_forward"]["case"]) == ("missing_activation", "ReLU 1 off")
    assert cells["test_backward"]["kind"] == "budget"
    assert cells["test_dC_db1"]["kind"] == "sign" and "e^" not in cells["test_dC_db1"]["message"]
    assert not any(c["passed"] for c in cells.values())


def test_the_sandbox_copy_of_this_spec_module_gives_no_answer_away():
    """A learner who takes the references or the expected text from the spec module gets nothing."""
    import pathlib

    import nbformat

    from course_pkg.grading.nbgrader import grade_notebook

    path = pathlib.Path(__file__).resolve().parents[2] / "source" / "03-scalar-network" / "scalar_network.ipynb"
    nb = nbformat.read(path, as_version=4)
    solutions = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    solutions["forward_solution"].source = (
        "from course_pkg.checks.scalar_network import _forward as forward\n")
    solutions["backward_solution"].source = (
        "from course_pkg.checks import scalar_network as _spec\n"
        "def backward(x, y, thetas, biases):\n"
        "    return _spec.BACKWARD.reference(x, y, thetas, biases)\n")
    solutions["db1_solution"].source = (
        "from course_pkg.checks import scalar_network as _spec\n"
        "try:\n"
        "    dC_db1 = _spec.DC_DB1.reference()['expected']\n"
        "except Exception as exc:\n"
        "    dC_db1 = str(exc)\n")
    cells = grade_notebook(nb, "03-scalar-network")["cells"]
    assert cells["test_forward"]["kind"] == "reference_used", cells["test_forward"]
    assert cells["test_backward"]["kind"] == "reference_used", cells["test_backward"]
    assert not any(c["passed"] for c in cells.values()), cells
