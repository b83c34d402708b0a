"""Notebook 06's playground: the training session's numbers, and the widget's controls and frames."""

import asyncio

import numpy as np
import pytest

from course_pkg import gradcheck, network, training
from course_pkg.widgets import training as pg


def session(**kwargs):
    settings = dict(dataset="moons", noise=0.1, train_share=0.7, layers=2, units=8, activation="tanh",
                    lr=0.5, batch_size=10, seed=3)
    settings.update(kwargs)
    return pg.TrainingSession(**settings)


def test_a_step_is_one_gradient_descent_step_on_the_next_batch():
    """The parameters move by −η times network.gradients on the step's rows; the report says so."""
    s = session()
    weights, biases = [W.copy() for W in s.weights], [b.copy() for b in s.biases]
    report = s.step()
    order = np.concatenate(training.minibatch_indices(len(s.X_train), 10, s.seed))  # epoch 0's order
    X, Y = s.X_train[order[:10]], s.Y_train[order[:10]]
    _, dW, db = network.gradients(weights, biases, X, Y, "tanh", "sigmoid", pg.LOSS)
    for new, old, d in zip(s.weights + s.biases, weights + biases, dW + db):
        np.testing.assert_allclose(new, old - 0.5 * d, rtol=1e-12, atol=1e-15)
    norms = [np.sqrt(np.sum(w**2) + np.sum(b**2)) for w, b in zip(dW, db)]
    np.testing.assert_allclose(report.gradient_norms, norms, rtol=1e-12)
    assert report.update_size == pytest.approx(0.5 * np.sqrt(np.sum(np.square(norms))))
    errors = network.backward(weights, biases, X, Y, "tanh", "sigmoid", pg.LOSS)
    np.testing.assert_allclose(report.error_norms, [np.mean(np.linalg.norm(E, axis=1)) for E in errors])
    assert report.batch == 10 and report.step == 1 and report.epoch == 0


def test_an_epoch_visits_every_training_point_once_then_the_next_epoch_begins():
    s = session(batch_size=20)
    m = len(s.X_train)
    batches = -(-m // 20)
    sizes = [s.step().batch for _ in range(batches)]
    assert sum(sizes) == m and s.epoch == 1
    assert s.step().epoch == 1


def test_training_lowers_the_cost_and_the_curves_record_every_step():
    s = session(lr=1.0, batch_size=20)
    for _ in range(300):
        s.step()
    assert len(s.train_costs) == len(s.test_costs) == 301
    assert s.train_costs[-1] < 0.5 * s.train_costs[0]
    assert s.accuracy("train") > 0.8


def test_reset_restarts_from_the_same_initial_weights_with_clear_curves():
    s = session()
    first = [W.copy() for W in s.weights]
    for _ in range(5):
        s.step()
    s.reset()
    assert s.steps == 0 and len(s.train_costs) == 1 and s.last is None
    for W, W0 in zip(s.weights, first):
        np.testing.assert_array_equal(W, W0)


def test_the_gradient_check_light_agrees_with_gradcheck():
    s = session(activation="sigmoid")
    s.step()
    report = s.gradient_check()
    assert isinstance(report, gradcheck.GradCheckReport) and report.passed
    assert report.worst.relative_error < pg.CHECK_TOL


def test_the_boundary_is_the_networks_prediction_on_a_grid():
    s = session()
    image = s.boundary(resolution=5)
    assert image.shape == (5, 5)
    corner = network.predict(s.weights, s.biases, np.array([[-pg.EXTENT, pg.EXTENT]]), "tanh")[0, 0]
    assert image[-1, 0] == pytest.approx(corner)


@pytest.mark.parametrize("bad, message", [
    (dict(dataset="swiss roll"), r"^dataset must be one of"),
    (dict(layers=0), r"^layers must be an integer from 1 to 4"),
    (dict(units=2.5), r"^units must be an integer from 1 to 16"),
    (dict(train_share=1.0), r"^train_share must be strictly between 0 and 1"),
    (dict(lr=0.0), r"^lr must be a positive number"),
    (dict(batch_size=0), r"^batch_size must be an integer >= 1"),
    (dict(activation="softmax"), r"^activation must be one of"),
])
def test_bad_settings_are_refused_with_the_argument_named(bad, message):
    with pytest.raises(ValueError, match=message):
        session(**bad)


def test_the_widget_builds_once_and_a_step_redraws_in_place():
    p = pg.Playground()
    assert p.full_redraws == 1 and p.image.value[:4] == b"\x89PNG"
    before = bytes(p.image.value)
    for _ in range(3):
        p.advance()
    assert p.redraws == 4 and p.full_redraws == 1
    assert bytes(p.image.value) != before
    assert "step 3" in p.label.value


@pytest.mark.parametrize("control, value", [("noise", 0.3), ("train_share", 0.5), ("dataset", "xor")])
def test_changing_the_data_changes_the_picture(control, value):
    """New points are drawn over the boundary (a regression: an opaque boundary once hid them)."""
    p = pg.Playground()
    before = bytes(p.image.value)
    p.controls[control].value = value
    assert bytes(p.image.value) != before


def test_changing_the_data_or_the_network_starts_again_but_the_learning_rate_does_not():
    p = pg.Playground(draw=False)
    p.advance()
    p.controls["lr"].value = 1.0
    assert p.session.steps == 1 and p.session.lr == 1.0
    p.controls["dataset"].value = "circles"
    assert p.session.steps == 0 and p.session.dataset == "circles"
    p.advance()
    p.controls["units"].value = 4
    assert p.session.steps == 0 and [W.shape for W in p.session.weights][0] == (4, 2)


def test_the_step_button_shows_the_numbers_and_runs_the_gradient_check():
    p = pg.Playground(draw=False)
    assert "not run yet" in p.label.value
    p.step_button.click()
    assert "gradient check passed" in p.label.value and "mean ‖e‖" in p.label.value
    p.reset_button.click()
    assert p.session.steps == 0 and "not run yet" in p.label.value


def test_play_steps_on_the_event_loop_and_pause_stops_it():
    """The playground trains from an asyncio task: other code runs between steps, and pause works."""
    p = pg.Playground(draw=False)
    p.player.interval = 0.001
    ticks = []

    async def play_and_pause():
        p.player.button.value = True
        while p.session.steps < 5:
            ticks.append(p.session.steps)  # this coroutine runs between the playground's steps
            await asyncio.sleep(0.001)
        p.player.button.value = False
        await asyncio.sleep(0.01)

    asyncio.run(play_and_pause())
    stopped = p.session.steps
    assert stopped >= 5 and not p.player.playing and len(ticks) >= 2
    assert p.check is not None  # pausing checks the parameters it stopped at
