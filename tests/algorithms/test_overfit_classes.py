"""Overfitting in 2-D: the three-way split, each depth's tree and accuracies against
scikit-learn's DecisionTreeClassifier, the stop when the tree no longer grows, the choice of
depth and the once-only use of the test points."""

import math

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from algorithms import labelled
from algorithms import overfit_classes as oc


@pytest.fixture(scope="module")
def moons():
    return labelled.generate(labelled.Data(shape="moons", noise=0.3, points=300), seed=3)


@pytest.fixture(scope="module")
def steps(moons):
    return list(oc.run(moons, oc.Params(max_depth=12, validation=0.3), seed=3))


def test_roles_partition_every_point_once_and_stratify_the_validation(moons):
    r = oc.roles(moons, 0.3, seed=3)
    every = np.concatenate([r.train, r.val, r.test])
    assert sorted(every.tolist()) == list(range(len(moons.y)))
    np.testing.assert_array_equal(r.test, np.flatnonzero(~moons.train))
    for c in (0, 1):
        members = np.flatnonzero(moons.train & (moons.y == c))
        assert np.sum(moons.y[r.val] == c) == round(0.3 * len(members))


def test_points_added_by_hand_always_train(moons):
    r0 = oc.roles(moons, 0.5, seed=3, hand=0)
    r = oc.roles(moons, 0.5, seed=3, hand=40)
    n = len(moons.y)
    hand = np.arange(n - 40, n)
    hand_train = hand[moons.train[hand]]
    assert np.isin(hand_train, r.train).all() and not np.isin(hand, r.val).any()
    assert np.isin(hand_train, r0.val).any(), "without the rule some would validate"


def twin(X, y, depth, model, queries):
    """scikit-learn's tree of this depth that predicts as ours does. Where two features'
    best splits score exactly alike, scikit-learn takes the one its random feature order
    meets first, so a few random states are tried (as tests/algorithms/test_tree.py allows)."""
    for state in range(64):
        ref = DecisionTreeClassifier(max_depth=depth, random_state=state).fit(X, y)
        if np.array_equal(ref.predict(queries), model.predict(queries)):
            return ref
    raise AssertionError(f"no scikit-learn tree of depth {depth} predicts as ours does")


def test_each_depth_is_scikit_learns_tree_and_its_accuracies(moons, steps):
    r = oc.roles(moons, 0.3, seed=3)
    fits = [s for s in steps if s.phase == "fit"]
    assert [s.depth for s in fits] == list(range(1, len(fits) + 1))
    grid = np.random.default_rng(0).uniform(-12, 12, (2000, 2))
    for s in fits:
        ref = twin(moons.X[r.train], moons.y[r.train], s.depth, s.model,
                   np.vstack([moons.X, grid]))
        assert s.leaves == ref.get_n_leaves()
        assert s.train_accuracy[-1] == ref.score(moons.X[r.train], moons.y[r.train])
        assert s.val_accuracy[-1] == ref.score(moons.X[r.val], moons.y[r.val])
        # mistakes are crossed on training and validation points only, never on test ones
        wrong = ref.predict(moons.X) != moons.y
        wrong[r.test] = False
        np.testing.assert_array_equal(s.wrong, wrong)


def test_the_run_stops_when_the_tree_stops_growing(moons, steps):
    r = oc.roles(moons, 0.3, seed=3)
    full = DecisionTreeClassifier(random_state=0).fit(moons.X[r.train], moons.y[r.train])
    fits = [s for s in steps if s.phase == "fit"]
    assert fits[-1].depth == full.get_depth() < 12
    assert fits[-1].train_accuracy[-1] == 1.0
    assert np.all(np.diff(fits[-1].train_accuracy) >= 0), "deeper never trains worse"
    assert f"stopped growing at depth {full.get_depth()}" in steps[-1].caption


def test_the_best_depth_is_the_shallowest_highest_validation_and_tests_once(moons, steps):
    r = oc.roles(moons, 0.3, seed=3)
    last = steps[-1]
    val = last.val_accuracy
    best = int(np.flatnonzero(val == val.max())[0]) + 1
    assert last.phase == "best" and last.best_depth == best == last.depth
    ref = twin(moons.X[r.train], moons.y[r.train], best, last.model, moons.X)
    assert last.test_accuracy == pytest.approx(ref.score(moons.X[r.test], moons.y[r.test]))
    assert all(math.isnan(s.test_accuracy) for s in steps[:-1])
    assert f"{100 * last.test_accuracy:.3g} %" in last.caption
    assert last.metrics["best depth"] == best


def test_a_depth_limit_below_the_full_tree_runs_every_depth(moons):
    steps = list(oc.run(moons, oc.Params(max_depth=3), seed=3))
    assert [s.phase for s in steps] == ["split", "fit", "fit", "fit", "best"]
    assert "stopped growing" not in steps[-1].caption
    assert "(underfitting)" in steps[1].caption
