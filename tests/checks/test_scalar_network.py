"""The notebook-03 checkers accept right answers and reject planted wrong ones, each with the
message that names its mistake."""

import numpy as np
import pytest

from course_pkg import network, paths
from course_pkg.checks import scalar_network as checks


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
                  reverse=False, relu_for_prime=False, sigma_prime_at_y_hat=False):
    def backward(x, y, thetas, biases):
        f = good_forward(x, thetas, biases)
        y_hat = f["y_hat"]
        s = sigmoid(y_hat) if sigma_prime_at_y_hat else y_hat
        e3 = two * sign * (y_hat - y) * (s * (1 - s) if sigma_prime else 1.0)
        g2 = float(f["z2"] > 0) if relu_prime else 1.0
        g1 = float(f["z1"] > 0) if relu_prime else 1.0
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


# ------------------------------------------------------------------ forward

@pytest.mark.parametrize("hidden", [False, True])
def test_right_forward_passes(hidden, capsys):
    checks.check_forward(good_forward, hidden=hidden)
    out = capsys.readouterr()
    assert out.out.count("✔") == 1 and out.err == ""


@pytest.mark.parametrize(
    "bad, message",
    [
        (make_forward(from_x=True), "Every layer uses x as its input"),
        (make_forward(hidden=sigmoid), "The hidden layers use the sigmoid"),
        (make_forward(output=lambda z: max(z, 0.0)), "The output layer uses the sigmoid"),
        (make_forward(output=lambda z: z), "the sigmoid is missing at the output"),
        (lambda x, t, b: [1, 2, 3, 4, 5, 6], "should return a dict"),
        (lambda x, t, b: {k: v for k, v in good_forward(x, t, b).items() if k != "a2"}, "no entry 'a2'"),
        (lambda x, t, b: {k: np.array([v]) for k, v in good_forward(x, t, b).items()}, "extra axis"),
        (lambda x, t, b: {k: Liar(0.0) for k in checks.FORWARD_KEYS}, "is wrong"),
        (lambda x, t, b: {
            k: float(v[0, 0]) for k, v in zip(
                checks.FORWARD_KEYS,
                [network.forward([np.array([[tt]]) for tt in t], [np.array([bb]) for bb in b], [[x]])
                 .Zs[0]] * 6)}, "reference implementation"),
    ],
)
def test_wrong_forward_fails_with_its_message(bad, message):
    with pytest.raises(AssertionError) as info:
        checks.check_forward(bad)
    assert message in str(info.value)


def test_a_missing_relu_is_named_by_the_hidden_forward_check(capsys):
    # With every ReLU on, g(z) = z and the omission cannot be seen; the hidden cases turn one off.
    checks.check_forward(make_forward(hidden=lambda z: z))
    with pytest.raises(AssertionError, match="the ReLU of layer 1 is missing"):
        checks.check_forward(make_forward(hidden=lambda z: z), hidden=True)


# ------------------------------------------------------------------ backward

@pytest.mark.parametrize("hidden", [False, True])
def test_right_backward_passes(hidden, capsys):
    checks.check_backward(make_backward(), hidden=hidden)
    out = capsys.readouterr()
    assert out.out.count("✔") == 1 and out.err == ""


@pytest.mark.parametrize(
    "bad, message, hidden",
    [
        (make_backward(two=1.0), "half the expected value", False),
        (make_backward(sign=-1.0), "The sign is flipped", False),
        (make_backward(sigma_prime=False), "σ′(z3) = ŷ(1 − ŷ) is missing", False),
        (make_backward(weight_input="theta"), "∂z/∂θ of a layer is its input", False),
        (make_backward(swap=True), "weight and bias gradients are swapped", False),
        (make_backward(weight_input="own"), "not its own output", False),
        (make_backward(relu_for_prime=True), "g(z) appears where its derivative g′(z) belongs", False),
        (make_backward(sigma_prime_at_y_hat=True), "σ′ was taken at ŷ instead of at z3", False),
        (make_backward(reverse=True), "backward order", False),
        (make_backward(relu_prime=False), "passes no gradient", True),
        (lambda x, y, t, b: {k: float(v) for k, v in paths.path_gradients(x, y, t, b).items()},
         "reference implementation", False),
        (lambda x, y, t, b: None, "forget to `return`", False),
    ],
)
def test_wrong_backward_fails_with_its_message(bad, message, hidden):
    with pytest.raises(AssertionError) as info:
        checks.check_backward(bad, hidden=hidden)
    assert message in str(info.value)


def test_missing_relu_derivative_passes_visible_but_not_hidden_checks(capsys):
    # With every ReLU on, g'(z) = 1 and the factor cannot be seen; the hidden cases turn one off.
    checks.check_backward(make_backward(relu_prime=False))
    with pytest.raises(AssertionError, match="g′"):
        checks.check_backward(make_backward(relu_prime=False), hidden=True)


# ------------------------------------------------------------------ the typed partial

@pytest.mark.parametrize(
    "answer",
    [
        "2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*H(z2)*theta2*H(z1)",
        "2 (σ(z3) − y) σ(z3) (1 − σ(z3)) · theta3 · Heaviside(z2) · theta2 · Heaviside(z1)",
        "theta2*theta3*Heaviside(z1)*Heaviside(z2)*2*(sigmoid(z3)-y)*sigmoid(z3)*(1-sigmoid(z3))",
        "2 (y_hat - y) y_hat (1 - y_hat) theta3 H(z2) theta2 H(z1)",  # a space multiplies
        "2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*H(a2)*theta2*H(a1)",  # H(g(z)) = H(z) when g'(0) = 0
    ],
)
def test_equivalent_forms_of_dC_db1_pass(answer, capsys):
    checks.check_dC_db1(answer)
    checks.check_dC_db1_numerically(answer)
    out = capsys.readouterr()
    assert out.out.count("✔") == 2 and out.err == ""


@pytest.mark.parametrize(
    "answer, message",
    [
        ("2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*theta2", "here z1 < 0: the first ReLU is off"),
        ("2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*theta2*H(z1)", "here z2 < 0: the second ReLU is off"),
        ("(y_hat - y)*y_hat*(1 - y_hat)*theta3*H(z2)*theta2*H(z1)", "central difference of the cost in b1"),
        # undefined (0/0) where the first ReLU is off: the symbolic check skips such points
        ("2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*H(z2)*theta2*abs(a1)/a1", "your formula gives nan"),
        (3.0, "should be a string"),
    ],
)
def test_hidden_check_of_dC_db1_compares_with_finite_differences(answer, message):
    with pytest.raises(AssertionError) as info:
        checks.check_dC_db1_numerically(answer)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "answer, message",
    [
        ("(y_hat - y)*y_hat*(1 - y_hat)*theta3*H(z2)*theta2*H(z1)", "factor of 1/2"),
        ("2*(y_hat - y)*theta3*H(z2)*theta2*H(z1)", "(1 - σ(z3))*σ(z3)"),
        ("2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*theta2", "Heaviside(z1)*Heaviside(z2) are missing"),
        ("2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*theta2*H(z1)", "right where z2 > 0 but not where z2 < 0"),
        ("2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*H(z2)*theta2", "g′(z1) = Heaviside(z1) is missing"),
        ("2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*H(z2)*theta2*H(z1)*a1", "divided by a1 would be right"),
        ("2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*relu(z2)*theta2*relu(z1)", "end the paths of θ2"),
        ("2*(y_hat - y)*sigmoid(y_hat)*theta3*H(z2)*theta2*H(z1)", "Walk the path from C down to b1"),
        ("2*(yhat - y)*yhat*(1 - yhat)*theta3*H(z2)*theta2*H(z1)", "`yhat` is not a variable"),
        ("2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*g'(z2)*theta2*g'(z1)", "Write g′(z) as Heaviside(z)"),
        ("2*(y - y_hat)*y_hat*(1 - y_hat)*theta3*H(z2)*theta2*H(z1)", "sign is flipped"),
        ("2*(y_hat - y)*y_hat*(1 - y_hat)*H(z2)*theta2*H(z1)", "theta3"),
        ("2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*H(z2)*theta2*H(z1)*x", "θ1 and x lie on the path to θ1"),
        ("2*(y_hat - y)*y_hat*(1 - y_hat)*theta3*H(z2)*theta2*H(z1)*b1", "A bias appears"),
        ("diff((sigmoid(z3) - y)**2, b1)", "cannot be read"),
        ("__import__('os').system('echo hi')", "cannot be read"),
        (42, "should be a string"),
    ],
)
def test_wrong_dC_db1_fails_with_its_message(answer, message):
    with pytest.raises(AssertionError) as info:
        checks.check_dC_db1(answer)
    assert message in str(info.value)


def test_patching_numpy_after_import_does_not_fool_the_checker(monkeypatch):
    """A learner who makes np.allclose/np.isclose always agree still fails a wrong backward."""
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "isclose", lambda a, b, *r, **k: np.ones(np.broadcast(a, b).shape, dtype=bool))
    monkeypatch.setattr(np, "array_equal", lambda *a, **k: True)
    with pytest.raises(AssertionError, match="half the expected value"):
        checks.check_backward(make_backward(two=1.0))
    with pytest.raises(AssertionError):
        checks.check_forward(make_forward(from_x=True))
