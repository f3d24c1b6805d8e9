"""Bagging / random forest, AdaBoost (SAMME) and gradient boosting against scikit-learn,
a hand-worked AdaBoost run, and the incremental predictor against a fresh evaluation.

Data compared with scikit-learn is rounded to float32, the precision its trees split on.
"""

import dataclasses

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_moons
from sklearn.ensemble import AdaBoostClassifier, GradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

from algorithms import ensembles as E
from algorithms import tree as T

pytestmark = pytest.mark.filterwarnings("error")   # no overflow, no 0/0, not even silently


def f32(a):
    return np.asarray(a, np.float32).astype(float)


def moons(n=300, seed=0, noise=0.3):
    X, y = make_moons(n, noise=noise, random_state=seed)
    return f32(X), y


def blobs(n=300, seed=0, centers=3):
    X, y = make_blobs(n, centers=centers, cluster_std=2.0, random_state=seed)
    return f32(X), y


def grid(X, n=60):
    lo, hi = X.min(0) - 0.3, X.max(0) + 0.3
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))
    return f32(np.column_stack([gx.ravel(), gy.ravel()]))


def same_tree(a: T.Tree, b: T.Tree) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True)
               for f in ("feature", "threshold", "left", "right", "counts", "value", "weight"))


def clean(text):
    return "nan" not in text and "-0" not in text and not any(
        f" 1 {w}s" in text for w in ("point", "tree", "leaf", "learner", "feature"))


# --- bagging / random forest -------------------------------------------------------------
def test_same_seed_same_trees_and_another_seed_other_trees():
    X, y = moons(200)
    params = E.ForestParams(n_trees=6)

    def trees(seed):
        return [s.tree for s in E.run_forest(X, y, params, np.random.default_rng(seed))]

    a, b, c = trees(4), trees(4), trees(5)
    assert all(same_tree(p, q) for p, q in zip(a, b, strict=True))
    assert not any(same_tree(p, q) for p, q in zip(a, c, strict=True))


def test_forest_probability_is_the_mean_of_its_trees():
    X, y = blobs(240, seed=3)
    steps = list(E.run_forest(X, y, E.ForestParams(n_trees=8, max_depth=6),
                              np.random.default_rng(0)))
    G = grid(X, 40)
    for s in steps:
        mean = np.mean([t.predict_proba(G) for t in s.model.members], axis=0)
        np.testing.assert_allclose(s.model.predict_proba(G), mean, rtol=1e-12)
        assert s.model.members[-1] is s.tree
        assert len(s.model.members) == s.index + 1
    assert set(steps[-1].model.predict(G)) <= set(y)


def test_without_bootstrap_every_bagged_tree_is_the_single_tree():
    X, y = moons(150, seed=2)
    steps = list(E.run_forest(X, y, E.ForestParams(method="bagging", bootstrap=False,
                                                   n_trees=3, max_depth=7,
                                                   min_samples_leaf=2),
                              np.random.default_rng(9)))
    single = T.fit(X, y, T.Params(max_depth=7, min_samples_leaf=2))
    assert all(same_tree(s.tree, single) for s in steps)
    np.testing.assert_array_equal(steps[-1].times_drawn, 1)
    np.testing.assert_array_equal(steps[-1].drawn, np.arange(len(X)))
    assert np.isnan(steps[-1].oob_accuracy) and "out-of-bag accuracy" not in steps[-1].metrics
    assert "grown on all 150 points" in steps[0].caption
    assert "every split tried every feature" in steps[0].caption


def test_bootstrap_sample_and_out_of_bag_vote():
    X, y = moons(120, seed=1)
    steps = list(E.run_forest(X, y, E.ForestParams(n_trees=5), np.random.default_rng(2)))
    votes, right = np.zeros((len(X), 2)), np.zeros(len(X), int)
    for s in steps:
        assert len(s.drawn) == len(X)
        np.testing.assert_array_equal(s.times_drawn, np.bincount(s.drawn, minlength=len(X)))
        # the tree knows only what was drawn: distinct points, weighted by their draws
        assert s.tree.n_samples[0] == (s.times_drawn > 0).sum()
        assert s.tree.weight[0] == len(X)
        np.testing.assert_array_equal(s.tree.counts[0],
                                      np.bincount(y[s.times_drawn > 0], minlength=2))
        out = s.times_drawn == 0
        votes[out] += s.tree.predict_proba(X[out])
        right[out] += 1
        voted = right > 0
        expected = np.mean(votes[voted].argmax(1) == y[voted])
        assert s.oob_accuracy == pytest.approx(expected)
        assert s.metrics["out-of-bag accuracy"] == pytest.approx(expected)
        assert s.accuracy == pytest.approx(np.mean(s.model.predict(X) == y))
        distinct = int((s.times_drawn > 0).sum())
        trees = "1 tree" if s.index == 0 else f"{s.index + 1} trees"
        assert s.caption == (
            f"Tree {s.index + 1} of 5: grown on a bootstrap sample of 120 draws ({distinct} "
            f"distinct points; {120 - distinct} points left out, faded); each split tried 1 "
            f"of 2 features at random; {len(s.tree.leaves)} leaves, depth "
            f"{s.tree.max_depth}. The vote of {trees} gets {T.num(100 * s.accuracy, 3)}% of "
            f"the training points right (out of bag: {T.num(100 * expected, 3)}%).")
        assert s.metrics == {"trees": s.index + 1, "train accuracy": s.accuracy,
                             "leaves": len(s.tree.leaves), "depth": s.tree.max_depth,
                             "out-of-bag accuracy": s.oob_accuracy}
        assert s.phase == "tree"


def test_forest_captions_word_for_word_without_bootstrap():
    # the data of the split worked by hand in test_tree: every stump is x₁ ≤ 3.5, whose
    # leaves (3 / 0) and (1 / 2) get 5 of the 6 points right
    X = np.array([[1, 1], [2, 1], [3, 2], [4, 2], [5, 3], [6, 3]], float)
    y = np.array([0, 0, 0, 1, 1, 0])
    steps = list(E.run_forest(X, y, E.ForestParams(method="bagging", bootstrap=False,
                                                   n_trees=2, max_depth=1),
                              np.random.default_rng(0)))
    assert [s.caption for s in steps] == [
        "Tree 1 of 2: grown on all 6 points; every split tried every feature; 2 leaves, "
        "depth 1. The vote of 1 tree gets 83.3% of the training points right.",
        "Tree 2 of 2: grown on all 6 points; every split tried every feature; 2 leaves, "
        "depth 1. The vote of 2 trees gets 83.3% of the training points right."]
    assert steps[1].metrics == {"trees": 2, "train accuracy": pytest.approx(5 / 6),
                                "leaves": 2, "depth": 1}
    assert steps[1].max_features == 2


def test_random_forest_with_every_feature_is_bagging():
    X, y = moons(100, 4)
    bag = list(E.run_forest(X, y, E.ForestParams(method="bagging", n_trees=3),
                            np.random.default_rng(3)))
    every = list(E.run_forest(X, y, E.ForestParams(max_features=2, n_trees=3),
                              np.random.default_rng(3)))
    assert all(same_tree(a.tree, b.tree) for a, b in zip(bag, every, strict=True))
    assert "every split tried every feature" in every[0].caption


def test_bootstrap_draws_every_point_sometimes():
    X, y = moons(12, 0)
    steps = list(E.run_forest(X, y, E.ForestParams(n_trees=40, max_depth=2),
                              np.random.default_rng(0)))
    drawn = np.concatenate([s.drawn for s in steps])
    assert set(drawn) == set(range(12))
    # each point is left out of about (11/12)^12 ≈ 35% of the trees
    assert 0.2 < np.mean([s.times_drawn == 0 for s in steps]) < 0.5


def test_an_empty_ensemble_predicts_every_class_alike():
    for model in (E.Forest(classes=np.array([0, 1, 2]), members=()),
                  E.AdaBoost(classes=np.array([0, 1, 2]), members=(), alphas=np.zeros(0),
                             errors=np.zeros(0))):
        np.testing.assert_array_equal(model.predict_proba(np.zeros((4, 2))), 1 / 3)


def test_softmax_stays_finite_for_huge_scores():
    raw = np.array([[1000.0, 0.0], [0.0, -1000.0], [-800.0, -800.0]])
    np.testing.assert_allclose(E.softmax(raw), [[1, 0], [1, 0], [0.5, 0.5]])
    np.testing.assert_allclose(E.probabilities(np.array([[800.0], [-800.0], [0.0]])),
                               [[0, 1], [1, 0], [0.5, 0.5]])


def test_random_forest_tries_one_feature_per_split():
    # x₂ is pure noise and x₁ separates the classes: with every feature tried, every
    # split uses x₁; a random forest drawing one feature per split must use x₂ sometimes.
    rng = np.random.default_rng(0)
    X = np.column_stack([np.r_[rng.uniform(0, 1, 100), rng.uniform(2, 3, 100)],
                         rng.uniform(0, 1, 200)])
    y = np.repeat([0, 1], 100)
    bag = list(E.run_forest(X, y, E.ForestParams(method="bagging", n_trees=5),
                            np.random.default_rng(1)))
    forest = list(E.run_forest(X, y, E.ForestParams(n_trees=5, max_features=1),
                               np.random.default_rng(1)))
    assert all(set(s.tree.feature[s.tree.feature >= 0]) == {0} for s in bag)
    assert any(1 in s.tree.feature for s in forest)
    assert forest[0].max_features == 1 and bag[0].max_features == 2
    assert "each split tried 1 of 2 features at random" in forest[0].caption


def test_forest_oob_accuracy_is_close_to_scikit_learns():
    from sklearn.ensemble import RandomForestClassifier

    X, y = moons(400, seed=5)
    last = list(E.run_forest(X, y, E.ForestParams(n_trees=60, max_depth=40),
                             np.random.default_rng(0)))[-1]
    ref = RandomForestClassifier(60, max_features=1, oob_score=True, random_state=0).fit(X, y)
    assert last.oob_accuracy == pytest.approx(ref.oob_score_, abs=0.04)


# --- AdaBoost ------------------------------------------------------------------------------
def test_adaboost_weights_worked_by_hand():
    # Five points on x₁ = 1..5 (x₂ = 0, a constant feature, never split on) with classes
    # 0 1 0 0 1. Weighted gini G of a split = Σ over sides of (side weight) × gini(side).
    # Round 1, weights 1/5 each:
    #   1.5: (1,0) | (2,2): ½ × 4/5 = .4     2.5: (1,1) | (2,1): ½·⅖ + 4/9·⅗ = .467
    #   3.5: (2,1) | (1,1): .467              4.5: (3,1) | (0,1): 3/8 × 4/5 = .3  ← best
    #   The stump says 0 left, 1 right: x₁ = 2 (class 1) is wrong. err = 1/5,
    #   α = ln((1 − ⅕)/⅕) + ln(2 − 1) = ln 4; its weight ×4: (1,4,1,1,1)/8.
    # Round 2, weights (1,4,1,1,1)/8; class weight in eighths (class 0, class 1):
    #   1.5: (1,0) | (2,5): [1 − (4+25)/49] × 7/8 = 20/56 = .357  ← best
    #   2.5: (1,4) | (2,1): 8/25·⅝ + 4/9·⅜ = .2 + .167 = .367
    #   3.5: (2,4) | (1,1): 4/9·6/8 + ½·2/8 = .458      4.5: (3,4) | (0,1): 24/49·⅞ = .429
    #   Right side (2,5) says 1: x₁ = 3 and 4 (class 0, weight 1/8 each) are wrong.
    #   err = 2/8, α = ln(¾/¼) = ln 3; ×3 on those two: (1,4,3,3,1)/12.
    # Round 3, weights (1,4,3,3,1)/12; in twelfths:
    #   1.5: (1,0) | (6,5): 60/121 × 11/12 = .455
    #   2.5: (1,4) | (6,1): 8/25·5/12 + 12/49·7/12 = .133 + .143 = .276  ← best
    #   3.5: (4,4) | (3,1): ½·8/12 + 6/16·4/12 = .458   4.5: (7,4) | (0,1): 56/121·11/12 = .424
    #   Left (1,4) says 1, right (6,1) says 0: x₁ = 1 and 5 are wrong, 1/12 each.
    #   err = 1/6, α = ln 5; ×5 on those two: (5,4,3,3,5)/20.
    X = np.column_stack([np.arange(1.0, 6.0), np.zeros(5)])
    y = np.array([0, 1, 0, 0, 1])
    steps = list(E.run_adaboost(X, y, E.AdaBoostParams(n_rounds=3)))
    assert [s.phase for s in steps] == ["start", "round", "round", "round"]
    np.testing.assert_allclose(steps[0].weights, np.full(5, 0.2))
    expected = [(4.5, 1 / 5, np.log(4), [1, 4, 1, 1, 1], 8, [0, 1, 0, 0, 0]),
                (1.5, 2 / 8, np.log(3), [1, 4, 3, 3, 1], 12, [0, 0, 1, 1, 0]),
                (2.5, 2 / 12, np.log(5), [5, 4, 3, 3, 5], 20, [1, 0, 0, 0, 1])]
    for s, (threshold, error, alpha, weights, total, wrong) in zip(steps[1:], expected,
                                                                   strict=True):
        assert s.stump.threshold[0] == threshold and s.stump.feature[0] == 0
        assert s.error == pytest.approx(error)
        assert s.alpha == pytest.approx(alpha)
        np.testing.assert_allclose(s.weights, np.array(weights) / total)
        np.testing.assert_array_equal(s.misclassified, wrong)
    for before, after in zip(steps, steps[1:], strict=False):
        np.testing.assert_array_equal(after.weights_before, before.weights)
    np.testing.assert_allclose(steps[-1].model.alphas, np.log([4, 3, 5]))
    np.testing.assert_allclose(steps[-1].model.errors, [1 / 5, 1 / 4, 1 / 6])
    # training accuracy: round 1's stump gets x₁ = 2 wrong (4/5); with round 2 the votes on
    # x₁ = 2 are ln 4 for class 0 against ln 3 for class 1, still wrong (4/5); round 3 adds
    # ln 5 for class 1 there (ln 3 + ln 5 > ln 4) and every point is right.
    assert [s.caption for s in steps] == [
        "Every point starts with the same weight 1/5; each round fits a stump to the "
        "weighted points.",
        "Round 1: the learner (x₁ ≤ 4.5) misclassifies 1 point carrying 20% of the weight, "
        "so its say is α = 1.39; their weights grow ×4, then all are rescaled to sum to 1. "
        "Training accuracy of 1 learner: 80%.",
        "Round 2: the learner (x₁ ≤ 1.5) misclassifies 2 points carrying 25% of the weight, "
        "so its say is α = 1.1; their weights grow ×3, then all are rescaled to sum to 1. "
        "Training accuracy of 2 learners: 80%.",
        "Round 3: the learner (x₁ ≤ 2.5) misclassifies 2 points carrying 16.7% of the "
        "weight, so its say is α = 1.61; their weights grow ×5, then all are rescaled to sum "
        "to 1. Training accuracy of 3 learners: 100%."]
    assert [s.accuracy for s in steps[1:]] == pytest.approx([0.8, 0.8, 1.0])
    assert steps[3].metrics == {"learners": 3, "alpha": pytest.approx(np.log(5)),
                                "error": pytest.approx(1 / 6), "train accuracy": 1.0}
    start = steps[0]
    assert start.metrics == {"learners": 0} and start.stump is None
    assert start.alpha == 0 and np.isnan(start.error) and np.isnan(start.accuracy)
    np.testing.assert_array_equal(start.weights_before, np.full(5, 0.2))
    np.testing.assert_array_equal(start.misclassified, np.zeros(5, bool))
    # scikit-learn agrees on every learner's say
    ref = AdaBoostClassifier(DecisionTreeClassifier(max_depth=1), n_estimators=3).fit(X, y)
    np.testing.assert_allclose(ref.estimator_weights_, np.log([4, 3, 5]))


@pytest.mark.parametrize(("data", "rounds", "rate"), [
    (moons(400, 0), 50, 1.0), (moons(300, 3, noise=0.2), 80, 0.5),
    (blobs(300, 1, centers=3), 40, 1.0), (blobs(400, 7, centers=4), 60, 0.8)])
def test_adaboost_accuracy_within_two_points_of_scikit_learn(data, rounds, rate):
    X, y = data
    Xa, Xb, ya, yb = train_test_split(X, y, test_size=0.3, random_state=0)
    last = list(E.run_adaboost(Xa, ya, E.AdaBoostParams(n_rounds=rounds,
                                                        learning_rate=rate)))[-1]
    ref = AdaBoostClassifier(DecisionTreeClassifier(max_depth=1), n_estimators=rounds,
                             learning_rate=rate, random_state=0).fit(Xa, ya)
    assert abs(np.mean(last.model.predict(Xb) == yb) - ref.score(Xb, yb)) <= 0.02
    assert abs(last.accuracy - ref.score(Xa, ya)) <= 0.02
    # on these tie-free data the learners are scikit-learn's own, so the probabilities agree
    np.testing.assert_allclose(last.model.alphas, ref.estimator_weights_[:len(last.model.alphas)],
                               rtol=1e-9)
    np.testing.assert_allclose(last.model.predict_proba(Xb), ref.predict_proba(Xb), atol=1e-9)


def test_adaboost_stops_at_a_perfect_learner():
    X = np.array([[0.0, 0], [1, 0], [2, 0], [3, 0]])
    steps = list(E.run_adaboost(X, [0, 0, 1, 1], E.AdaBoostParams(n_rounds=10)))
    assert [s.phase for s in steps] == ["start", "done"]
    assert steps[-1].alpha == 1.0 and steps[-1].error == 0
    assert steps[-1].caption == ("Round 1: the learner (x₁ ≤ 1.5) classifies every point "
                                 "correctly (weighted error 0), so boosting stops here; "
                                 "training accuracy 100%.")
    assert steps[-1].metrics == {"learners": 1, "alpha": 1.0, "error": 0.0,
                                 "train accuracy": 1.0}
    np.testing.assert_array_equal(steps[-1].weights, steps[-1].weights_before)
    np.testing.assert_array_equal(steps[-1].model.predict(X), [0, 0, 1, 1])


def test_adaboost_refuses_a_first_learner_no_better_than_guessing():
    # XOR on four points: every stump gets exactly half the weight wrong
    X = np.array([[0.0, 0], [1, 1], [0, 1], [1, 0]])
    run = E.run_adaboost(X, [0, 0, 1, 1], E.AdaBoostParams())
    assert next(run).phase == "start"
    with pytest.raises(ValueError, match=r"^AdaBoost cannot start: the best first learner "
                                         r"has weighted error 0\.5, no better than guessing "
                                         r"among 2 classes$"):
        next(run)


def test_adaboost_stops_when_a_later_learner_is_no_better_than_guessing():
    # Three copies of one point, classes 0 0 1: no split exists, so each learner is a
    # single leaf. Round 1 says 0: err = 1/3, α = ln((2/3)/(1/3)) = ln 2, the class-1 copy's
    # weight doubles: (1,1,2)/4. Round 2's leaf holds ½ of each class (rounding tips it to
    # class 1, so the two class-0 copies are wrong): err = ½, no better than guessing
    # between 2 classes, so boosting stops with one learner.
    X = np.full((3, 2), 2.0)
    steps = list(E.run_adaboost(X, [0, 0, 1], E.AdaBoostParams(n_rounds=5)))
    assert [s.phase for s in steps] == ["start", "round", "done"]
    assert steps[1].alpha == pytest.approx(np.log(2))
    np.testing.assert_allclose(steps[1].weights, [0.25, 0.25, 0.5])
    assert steps[-1].alpha == 0.0 and steps[-1].error == pytest.approx(0.5)
    np.testing.assert_array_equal(steps[-1].weights, steps[1].weights)
    assert len(steps[-1].model.members) == 1
    assert "the learner (a single leaf)" in steps[1].caption
    assert steps[-1].caption == ("Round 2: the best learner (a single leaf) has weighted "
                                 "error 0.5, no better than guessing among 2 classes, so "
                                 "boosting stops with 1 learner.")
    assert steps[-1].metrics == {"learners": 1, "error": pytest.approx(0.5)}
    assert steps[-1].accuracy == pytest.approx(2 / 3) == steps[1].accuracy
    np.testing.assert_array_equal(steps[-1].weights_before, steps[1].weights)
    np.testing.assert_array_equal(steps[-1].misclassified, [True, True, False])
    assert steps[-1].stump.n_nodes == 1


def test_adaboost_with_deeper_learners_matches_scikit_learn():
    X, y = moons(300, 2)
    steps = list(E.run_adaboost(X, y, E.AdaBoostParams(n_rounds=20, max_depth=2)))
    ref = AdaBoostClassifier(DecisionTreeClassifier(max_depth=2), n_estimators=20,
                             random_state=0).fit(X, y)
    np.testing.assert_allclose(steps[-1].model.alphas, ref.estimator_weights_, rtol=1e-9)
    assert all(s.stump.max_depth == 2 for s in steps[1:])
    assert "each round fits a tree to the weighted points" in steps[0].caption
    leaves = len(steps[1].stump.leaves)
    assert steps[1].caption.startswith(f"Round 1: the learner ({leaves} leaves) misclassifies")


def test_adaboost_start_predicts_nothing_yet():
    X, y = blobs(60, 2)
    start = next(E.run_adaboost(X, y, E.AdaBoostParams()))
    np.testing.assert_allclose(start.model.predict_proba(X), 1 / 3)
    assert "the same weight 1/60" in start.caption


# --- gradient boosting ---------------------------------------------------------------------
@pytest.mark.parametrize(("data", "rounds", "rate", "depth"), [
    (moons(300, 0), 40, 0.2, 3), (moons(300, 4, noise=0.4), 30, 0.5, 2),
    (blobs(300, 1, centers=3), 25, 0.1, 2), (blobs(300, 5, centers=4), 15, 0.3, 3)])
def test_gradient_boosting_matches_scikit_learn(data, rounds, rate, depth):
    # min_samples_leaf = 5 keeps leaves large enough that no two features tie exactly
    X, y = data
    steps = list(E.run_gradient_boosting(X, y, E.GradientBoostingParams(
        n_rounds=rounds, learning_rate=rate, max_depth=depth, min_samples_leaf=5)))
    ref = GradientBoostingClassifier(n_estimators=rounds, learning_rate=rate, max_depth=depth,
                                     min_samples_leaf=5, random_state=0).fit(X, y)
    G = grid(X)
    np.testing.assert_allclose(steps[-1].model.predict_proba(G), ref.predict_proba(G),
                               atol=1e-9)
    # the start is scikit-learn's prior (log-odds, or centred log shares) and every round
    # agrees on the training points
    init = ref._raw_predict_init(X[:1])[0]
    np.testing.assert_allclose(steps[0].model.init, init, atol=1e-12)
    for s, raw in zip(steps[1:], ref.staged_decision_function(X), strict=True):
        np.testing.assert_allclose(s.model.decision(X), raw.reshape(s.model.decision(X).shape),
                                   atol=1e-9)
    losses = [s.loss for s in steps]
    assert all(b <= a + 1e-12 for a, b in zip(losses, losses[1:], strict=False))
    np.testing.assert_allclose(steps[-1].losses, losses)


def test_gradient_boosting_residuals_are_y_minus_p_and_one_tree_per_class():
    X, y = blobs(150, 3, centers=3)
    steps = list(E.run_gradient_boosting(X, y, E.GradientBoostingParams(n_rounds=3)))
    onehot = np.eye(3)[y]
    for before, after in zip(steps, steps[1:], strict=False):
        np.testing.assert_allclose(after.residuals, onehot - before.model.predict_proba(X),
                                   atol=1e-12)
        assert len(after.trees) == 3
        assert after.model.members[-1] == after.trees
    Xb, yb = moons(100, 1)
    two = list(E.run_gradient_boosting(Xb, yb, E.GradientBoostingParams(n_rounds=2)))
    p1 = two[0].model.predict_proba(Xb)[:, 1]
    np.testing.assert_allclose(two[1].residuals[:, 0], yb - p1, atol=1e-12)
    assert two[0].residuals.shape == (100, 1) and len(two[1].trees) == 1
    np.testing.assert_allclose(two[0].model.init, [np.log(np.mean(yb) / (1 - np.mean(yb)))])


@pytest.mark.parametrize("data", [moons(120, 3), blobs(120, 2, centers=3)])
def test_gradient_boosting_captions_metrics_and_log_loss(data):
    from sklearn.metrics import log_loss

    X, y = data
    steps = list(E.run_gradient_boosting(X, y, E.GradientBoostingParams(n_rounds=4)))
    for before, s in zip(steps, steps[1:], strict=False):
        p = s.model.predict_proba(X)
        assert s.loss == pytest.approx(log_loss(y, p), rel=1e-9)
        assert s.accuracy == np.mean(p.argmax(1) == y)
        assert s.metrics == {"rounds": s.index, "log-loss": s.loss, "train accuracy": s.accuracy}
        assert s.phase == "round"
        np.testing.assert_array_equal(s.losses[:-1], before.losses)
        assert s.losses[-1] == s.loss
        moves = np.concatenate([0.1 * t.value[t.leaves, 0] for t in s.trees])
        which = "a tree" if len(s.trees) == 1 else "one tree per class (3 trees)"
        assert s.caption == (
            f"Round {s.index}: {which} of depth ≤ 2 fitted to the residuals y − p (largest "
            f"|y − p| {T.num(np.abs(s.residuals).max(), 3)}); its leaves move the scores by "
            f"{T.num(moves.min(), 3)} to {T.num(moves.max(), 3)} (learning rate 0.1 × a "
            f"Newton step). Training log-loss {T.num(before.loss, 4)} → {T.num(s.loss, 4)}, "
            f"accuracy {T.num(100 * s.accuracy, 3)}%.")
    assert steps[0].loss == pytest.approx(log_loss(y, steps[0].model.predict_proba(X)))


def test_gradient_boosting_leaf_values_are_newton_steps():
    X, y = moons(120, 2)
    start, first = list(E.run_gradient_boosting(X, y, E.GradientBoostingParams(n_rounds=1)))
    tree = first.trees[0]
    p = start.model.predict_proba(X)[:, 1]
    leaf = tree.apply(X)
    for node in tree.leaves:
        here = leaf == node
        r = (y - p)[here]
        assert tree.value[node, 0] == pytest.approx(r.sum() / (p * (1 - p))[here].sum())
    moves = 0.1 * tree.value[tree.leaves, 0]
    assert f"move the scores by {T.num(moves.min(), 3)} to {T.num(moves.max(), 3)}" \
        in first.caption


def test_gradient_boosting_start_caption_names_the_prior():
    X, y = moons(100, 0)
    start = next(E.run_gradient_boosting(X, y, E.GradientBoostingParams()))
    assert start.caption == ("Start: every point's score is the prior log-odds of 1: "
                             "log(0.5 / 0.5) = 0; training log-loss 0.693. Each round fits "
                             "trees to the residuals y − p.")
    assert start.loss == pytest.approx(np.log(2))
    # p = ½ everywhere: the first of the tied classes is predicted, right for half the points
    assert start.metrics == {"rounds": 0, "log-loss": pytest.approx(np.log(2)),
                             "train accuracy": 0.5}
    assert start.phase == "start" and start.trees == () and start.index == 0
    np.testing.assert_array_equal(start.model.classes, [0, 1])
    np.testing.assert_allclose(start.model.predict_proba(X), 0.5)
    np.testing.assert_allclose(start.losses, [np.log(2)])
    skewed = next(E.run_gradient_boosting(X[:70], y[:70], E.GradientBoostingParams()))
    ones = np.mean(y[:70])
    assert (f"log({T.num(ones, 3)} / {T.num(1 - ones, 3)}) = "
            f"{T.num(np.log(ones / (1 - ones)), 3)};") in skewed.caption
    three = next(E.run_gradient_boosting(*blobs(90, 0), E.GradientBoostingParams()))
    assert "log of its class's share" in three.caption
    np.testing.assert_allclose(three.model.predict_proba(np.zeros((1, 2))), [[1 / 3] * 3])


def test_gradient_boosting_survives_pure_leaves_and_extreme_scores():
    # separable data and a huge learning rate drive p to 0 or 1; the Newton step's
    # curvature vanishes there and the leaf must move by 0, never by inf or nan
    X = np.column_stack([np.arange(20.0), np.zeros(20)])
    y = (np.arange(20) >= 10).astype(int)
    steps = list(E.run_gradient_boosting(X, y, E.GradientBoostingParams(
        n_rounds=60, learning_rate=1.0, max_depth=1)))
    assert all(np.isfinite(s.loss) and clean(s.caption) for s in steps)
    assert steps[-1].accuracy == 1.0
    assert np.isfinite(steps[-1].model.predict_proba(X)).all()


# --- the incremental predictor -------------------------------------------------------------
def test_incremental_predictor_equals_a_fresh_evaluation_in_any_order():
    X, y = blobs(200, 4)
    G = grid(X, 30)
    runs = {
        "forest": [s.model for s in E.run_forest(X, y, E.ForestParams(n_trees=25),
                                                 np.random.default_rng(0))],
        "adaboost": [s.model for s in E.run_adaboost(X, y, E.AdaBoostParams(n_rounds=25))],
        "boosting": [s.model for s in E.run_gradient_boosting(
            X, y, E.GradientBoostingParams(n_rounds=25))],
    }
    for models in runs.values():
        predictor = E.IncrementalPredictor(G, every=4)
        for i in [*range(len(models)), 3, 2, 20, 0, 24, 11, 11, 12]:
            np.testing.assert_array_equal(predictor.predict_proba(models[i]),
                                          models[i].predict_proba(G))
        np.testing.assert_array_equal(predictor.raw(models[7]), models[7].raw(G))


def test_incremental_predictor_copies_every_member_when_asked():
    X, y = moons(60, 0)
    models = [s.model for s in E.run_adaboost(X, y, E.AdaBoostParams(n_rounds=12))]
    predictor = E.IncrementalPredictor(X, every=1)
    for m in models:
        predictor.predict_proba(m)
    assert cost_of(predictor, models[2]) == 0    # every count kept: any jump back is free
    np.testing.assert_array_equal(predictor.predict_proba(models[5]),
                                  models[5].predict_proba(X))


def test_incremental_predictor_notices_any_member_that_differs():
    X, y = moons(80, 1)
    a = [s.tree for s in E.run_forest(X, y, E.ForestParams(n_trees=3), np.random.default_rng(0))]
    b = [s.tree for s in E.run_forest(X, y, E.ForestParams(n_trees=3), np.random.default_rng(1))]
    classes = np.array([0, 1])
    predictor = E.IncrementalPredictor(X)
    for members in ([a[0]], [b[0]], [a[0], a[1], a[2]], [a[0], b[1], a[2]], [a[0], b[1]]):
        model = E.Forest(classes=classes, members=tuple(members))
        np.testing.assert_array_equal(predictor.predict_proba(model), model.predict_proba(X))


def cost_of(predictor, model):
    before = predictor.evaluated
    predictor.predict_proba(model)
    return predictor.evaluated - before


def test_incremental_predictor_evaluates_only_what_it_has_not_seen():
    X, y = moons(150, 0)
    models = [s.model for s in E.run_forest(X, y, E.ForestParams(n_trees=30),
                                            np.random.default_rng(1))]
    predictor = E.IncrementalPredictor(X, every=10)
    for m in models:                       # forward, one step at a time: one tree each
        predictor.predict_proba(m)
    assert predictor.evaluated == 30       # kept: copies at 0, 10, 20, 30; sums 19, 21–29

    def cost(i):
        before = predictor.evaluated
        np.testing.assert_array_equal(predictor.predict_proba(models[i]),
                                      models[i].predict_proba(X))
        return predictor.evaluated - before

    assert cost(24) == 0                   # back to 25 trees: a recent sum
    assert cost(25) == 0                   # and forward again: recent too
    assert cost(19) == 0                   # 20: a copy
    assert cost(14) == 5                   # 15: from the copy at 10, adding 11 … 15, which
                                           # push out the oldest kept sums 19, 21 … 24
    assert cost(13) == 0                   # 14 was passed on the way: kept
    assert cost(10) == 0
    assert cost(16) == 2                   # 17: from 15, adding 16, 17 (25, 26 pushed out)
    assert cost(29) == 0                   # the copy at 30
    assert cost(27) == 0                   # 28: still kept
    assert cost(18) == 2                   # 19 was pushed out: from 17, adding 18 and 19
    assert cost(20) == 1                   # 21 too: from the copy at 20, adding 21
    other = [s.model for s in E.run_forest(X, y, E.ForestParams(n_trees=3),
                                           np.random.default_rng(1))]
    assert cost_of(predictor, other[2]) == 3   # another run: start again
    np.testing.assert_array_equal(predictor.predict_proba(other[2]), other[2].predict_proba(X))
    boost = [s.model for s in E.run_adaboost(X, y, E.AdaBoostParams(n_rounds=2))]
    np.testing.assert_array_equal(predictor.predict_proba(boost[2]), boost[2].predict_proba(X))
    np.testing.assert_array_equal(predictor.predict_proba(boost[0]), 0.5)


# --- shared behaviour ----------------------------------------------------------------------
RUNS = {
    "forest": lambda X, y, **kw: E.run_forest(X, y, E.ForestParams(n_trees=4, **kw),
                                              np.random.default_rng(0)),
    "adaboost": lambda X, y, **kw: E.run_adaboost(X, y, E.AdaBoostParams(n_rounds=4)),
    "boosting": lambda X, y, **kw: E.run_gradient_boosting(
        X, y, E.GradientBoostingParams(n_rounds=4, **kw)),
}


@pytest.mark.parametrize("name", RUNS)
def test_captions_clean_indices_counted_and_snapshots_immutable(name):
    X, y = blobs(90, 2)
    steps = list(RUNS[name](X, y))
    assert [s.index for s in steps] == list(range(len(steps)))
    kept = [{f.name: getattr(s, f.name).copy() for f in dataclasses.fields(s)
             if isinstance(getattr(s, f.name), np.ndarray)} for s in steps]
    for s, arrays in zip(steps, kept, strict=True):
        assert clean(s.caption), s.caption
        assert all(np.isfinite(v) for v in s.metrics.values())
        for field, copy in arrays.items():
            value = getattr(s, field)
            np.testing.assert_array_equal(value, copy)
            if value.size:
                with pytest.raises(ValueError):
                    value.flat[0] = 0
        with pytest.raises(dataclasses.FrozenInstanceError):
            s.model.members = ()


@pytest.mark.parametrize("name", RUNS)
def test_same_input_same_run(name):
    X, y = moons(80, 3)
    a = [s.caption for s in RUNS[name](X, y)]
    b = [s.caption for s in RUNS[name](X, y)]
    assert a == b


BAD = [
    (np.zeros((4, 2)), [2, 2, 2, 2], {}, "every point is in class 2"),
    (np.array([[0.0, 0], [np.nan, 1]]), [0, 1], {}, "NaN"),
    (np.zeros((3, 2)), [0, 1, 0], {"min_samples_leaf": 2}, "only 3 points"),
    (np.zeros((3, 2)), [0, 1], {}, "3 points but 2 labels"),
]


@pytest.mark.parametrize(("name", "X", "y", "kw", "message"), [
    (name, *case) for name in RUNS for case in BAD
    if not (name == "adaboost" and case[2])])   # AdaBoost's stumps have no leaf-size control
def test_bad_input_gets_a_clear_message(name, X, y, kw, message):
    with pytest.raises(ValueError, match=message):
        next(RUNS[name](X, y, **kw))


def test_forest_refuses_more_features_per_split_than_there_are():
    X, y = moons(50)
    with pytest.raises(ValueError, match="features per split is 3, but the data have only 2"):
        next(E.run_forest(X, y, E.ForestParams(max_features=3), np.random.default_rng(0)))
    with pytest.raises(ValueError, match="n_trees must be between"):
        next(E.run_forest(X, y, E.ForestParams(n_trees=0), np.random.default_rng(0)))


def test_labels_keep_their_values_in_every_ensemble():
    X, y = blobs(90, 6)
    names = np.array(["ant", "bee", "cow"])[y]
    for run in RUNS.values():
        last = list(run(X, names))[-1]
        np.testing.assert_array_equal(last.model.classes, ["ant", "bee", "cow"])
        assert set(last.model.predict(X)) <= {"ant", "bee", "cow"}


@pytest.mark.parametrize(("scale", "offset"), [(1e200, 0.0), (1e-300, 0.0), (1.0, 1e8)])
def test_extreme_but_finite_values_give_the_same_ensembles(scale, offset):
    X, y = make_blobs(90, centers=3, random_state=2)
    X = np.round(10 * X)   # whole numbers: scaling and shifting keep their order and gaps
    for run in RUNS.values():
        base, moved = list(run(X, y))[-1], list(run(X * scale + offset, y))[-1]
        np.testing.assert_array_equal(moved.model.predict(X * scale + offset),
                                      base.model.predict(X))
        assert clean(moved.caption) and "inf" not in moved.caption
