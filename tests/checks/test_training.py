"""Notebook 06's specs (course_pkg.checks.training): right answers pass, each slip is named, nothing leaks."""

import inspect

import numpy as np
import pytest

from course_pkg import network
from course_pkg.checks import engine, spec_for, specs
from course_pkg.checks import training as checks
from course_pkg.checks.learner import InProcessLearner

SEEDS = (0, 7, 2024)


# --- right answers, written as a learner would ------------------------------------------------
def sgd_update(weights, biases, dweights, dbiases, lr):
    new_weights = [W - lr * dW for W, dW in zip(weights, dweights)]
    new_biases = [b - lr * db for b, db in zip(biases, dbiases)]
    return new_weights, new_biases


def minibatch_indices(m, batch_size, seed):
    rng = np.random.default_rng(seed)
    order = np.arange(m)
    rng.shuffle(order)  # another way to the same kind of order: any seeded shuffle is right
    return [order[start:start + batch_size] for start in range(0, m, batch_size)]


#: The learner's training loop as a notebook cell defines it: it finds sgd_update and
#: minibatch_indices among the notebook's globals (which is how the checker counts their calls).
TRAIN_CELL = """
def train(X, Y, sizes, lr, epochs, batch_size, seed):
    weights, biases = network.init_network(sizes, seed=seed, hidden="tanh")

    def cost():
        return network.network_cost(weights, biases, X, Y, "tanh", "sigmoid", "half_squared_error")

    history = [cost()]
    for epoch in range(epochs):
        for rows in minibatch_indices(len(X), batch_size, seed + epoch):
            _, dW, db = network.gradients(weights, biases, X[rows], Y[ROWS_OF_Y], "tanh", "sigmoid",
                                          "half_squared_error")
            weights, biases = UPDATE(weights, biases, dW, db, lr)
        history.append(cost())
    return weights, biases, np.array(history)
"""


def learner(train_cell=None, update="sgd_update", rows_of_y="rows", **objects):
    """A notebook's namespace: the right update and batches, the objects given, and ``train`` if asked.

    Every function is defined in the namespace itself, as notebook cells define them, so that the
    checker sees (and counts) the calls ``train`` makes to them.
    """
    namespace = {"np": np, "network": network}
    for func in (sgd_update, minibatch_indices):
        exec(inspect.getsource(func), namespace)
    namespace.update(objects)
    if train_cell:
        exec(train_cell.replace("UPDATE", update).replace("ROWS_OF_Y", rows_of_y), namespace)
    return InProcessLearner(namespace)


def outcome(grade_id, hidden=False, seed=None, **objects):
    return engine.run(spec_for("06-training", grade_id), learner(**objects), hidden=hidden, seed=seed)


def test_the_registry_finds_every_graded_exercise():
    assert set(specs("06-training")) == {"test_sgd_update", "test_minibatch_indices", "test_train"}


@pytest.mark.parametrize("hidden", [False, True])
def test_right_answers_pass_visible_and_hidden(hidden):
    assert outcome("test_sgd_update", hidden=hidden).passed
    assert outcome("test_minibatch_indices", hidden=hidden).passed
    result = outcome("test_train", hidden=hidden, train_cell=TRAIN_CELL)
    assert result.passed, result.message


@pytest.mark.parametrize("seed", SEEDS)
def test_a_seeded_permutation_and_a_seeded_shuffle_both_pass(seed):
    def by_permutation(m, batch_size, seed):
        order = np.random.default_rng(seed).permutation(m)
        return [order[i:i + batch_size] for i in range(0, m, batch_size)]

    assert outcome("test_minibatch_indices", hidden=True, seed=seed, minibatch_indices=by_permutation).passed
    assert outcome("test_minibatch_indices", hidden=True, seed=seed).passed


@pytest.mark.parametrize("index", range(len(checks._UPDATE_PROBES)))
def test_every_update_slip_is_named(index):
    probe = checks._UPDATE_PROBES[index]
    result = outcome("test_sgd_update", sgd_update=probe.wrong)
    assert not result.passed and result.kind == probe.kind
    assert probe.message in result.message


def test_an_update_that_writes_into_the_weights_fails_even_though_its_values_are_right():
    def in_place(weights, biases, dweights, dbiases, lr):
        for W, dW in zip(weights, dweights):
            W -= lr * dW
        for b, db in zip(biases, dbiases):
            b -= lr * db
        return weights, biases

    result = outcome("test_sgd_update", sgd_update=in_place)
    assert not result.passed and result.kind == "mutated"


@pytest.mark.parametrize("probe", checks.BATCH_PROBES, ids=[p.kind for p in checks.BATCH_PROBES])
@pytest.mark.parametrize("hidden", [False, True])
def test_every_batching_slip_is_named(probe, hidden):
    result = outcome("test_minibatch_indices", hidden=hidden, minibatch_indices=probe.wrong)
    assert not result.passed and result.kind == probe.kind, result.message
    assert probe.message in result.message


def test_batches_that_repeat_a_row_or_change_sizes_are_refused():
    def overlapping(m, batch_size, seed):
        order = np.random.default_rng(seed).permutation(m)
        return [order[i:i + batch_size] for i in range(0, m, max(batch_size - 1, 1))]

    def one_big_batch(m, batch_size, seed):
        return [np.random.default_rng(seed).permutation(m)]

    assert outcome("test_minibatch_indices", minibatch_indices=overlapping).kind == "wrong"
    result = outcome("test_minibatch_indices", minibatch_indices=one_big_batch)
    assert not result.passed and "batch_size" in result.message


def test_a_training_loop_with_an_ascending_update_is_told_it_does_not_learn():
    ascent = inspect.getsource(checks.wrong_update_ascent).replace("def wrong_update_ascent", "def sgd_update")
    result = outcome("test_train", train_cell=ascent + TRAIN_CELL)
    assert not result.passed and result.kind in ("not_learning", "not_finite")


def test_a_loop_that_skips_the_learners_own_parts_is_refused():
    """train must be built from the learner's sgd_update and minibatch_indices (counted calls)."""
    own = TRAIN_CELL.replace("weights, biases = UPDATE(weights, biases, dW, db, lr)",
                             "weights = [W - lr * d for W, d in zip(weights, dW)]\n"
                             "            biases = [b - lr * d for b, d in zip(biases, db)]")
    result = outcome("test_train", train_cell=own)
    assert not result.passed and result.kind == "budget"
    assert "sgd_update" in result.message


def test_a_loop_that_trains_on_the_wrong_rows_of_y_does_not_reach_the_target():
    result = outcome("test_train", train_cell=TRAIN_CELL, rows_of_y=":len(rows)")
    assert not result.passed and result.kind == "not_learning", result.message


def test_a_history_that_starts_after_the_first_epoch_is_named():
    late = TRAIN_CELL.replace("return weights, biases, np.array(history)",
                              "return weights, biases, np.array(history[1:] + history[-1:])")
    result = outcome("test_train", train_cell=late)
    assert not result.passed and "history[0]" in result.message


def test_not_written_exercises_say_so_in_one_line():
    def stub(*args, **kwargs):
        raise NotImplementedError()

    for grade_id, name in (("test_sgd_update", "sgd_update"), ("test_minibatch_indices", "minibatch_indices"),
                           ("test_train", "train")):
        result = outcome(grade_id, **{name: stub})
        assert result.kind == "not_written" and "\n" not in result.message


def test_the_course_trainer_is_switched_off_in_the_notebook_check():
    """check() forbids course_pkg.training while the learner's code runs: using it is named."""
    from course_pkg import training

    def borrowed(weights, biases, dweights, dbiases, lr):
        return training.sgd_step(weights, biases, dweights, dbiases, lr)

    namespace = {"sgd_update": borrowed}
    with pytest.raises(engine.CheckFailed) as failure:
        exec("check('test_sgd_update', sgd_update)", {"check": checks.check, **namespace})
    assert failure.value.outcome.kind == "reference_used"


def test_messages_never_show_the_expected_parameters():
    """The feedback for a wrong update names the slip, never the numbers the reference computed."""
    spec = spec_for("06-training", "test_sgd_update")
    rng = np.random.default_rng(engine.seed_of(spec, False))
    expected = []
    for case in spec.cases(rng):
        new_weights, new_biases = checks.reference_update(*case.args)
        expected += [f"{v:.4g}" for p in new_weights + new_biases for v in np.ravel(p)]
    for wrong in [p.wrong for p in checks._UPDATE_PROBES] + [lambda *a: ([np.zeros_like(W) for W in a[0]], a[1])]:
        message = outcome("test_sgd_update", sgd_update=wrong).message
        assert not [v for v in expected if len(v) > 3 and v in message], message
