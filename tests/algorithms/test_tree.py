"""Decision trees against scikit-learn's DecisionTreeClassifier / Regressor, a literal
threshold scan, and a split worked by hand.

scikit-learn stores features as float32, so data compared with it is rounded to float32
first (then both see the same numbers and the same midpoints). Where two features give
exactly the same best gain (small nodes), scikit-learn picks one at random and we take the
first; those cases are checked to differ only at such a tie.
"""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_blobs, make_classification, make_moons
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from algorithms import tree as T

pytestmark = pytest.mark.filterwarnings("error")   # no overflow, no 0/0, not even silently


def f32(a):
    return np.asarray(a, np.float32).astype(float)


def dataset(name, seed, n=300):
    if name == "moons":
        X, y = make_moons(n, noise=0.3, random_state=seed)
    elif name == "blobs":
        X, y = make_blobs(n, centers=3, cluster_std=1.8, random_state=seed)
    else:
        X, y = make_classification(n, n_features=3, n_informative=3, n_redundant=0,
                                   n_classes=3, n_clusters_per_class=1, random_state=seed)
    return f32(X), y


def queries(X, seed, n=3000):
    rng = np.random.default_rng(seed)
    lo, hi = X.min(0) - 0.5, X.max(0) + 0.5
    return f32(rng.uniform(lo, hi, (n, X.shape[1])))


def first_difference(ours, ref):
    """Walk both trees from the root (left before right); return the first pair of nodes
    (ours, theirs) that differ, or None. Every shared node is checked in full."""
    t = ref.tree_
    stack = [(0, 0)]
    while stack:
        a, b = stack.pop()
        leaf = t.children_left[b] == -1
        assert ours.n_samples[a] == t.n_node_samples[b]
        assert ours.weight[a] == pytest.approx(t.weighted_n_node_samples[b], rel=1e-12)
        assert ours.impurity[a] == pytest.approx(t.impurity[b], rel=1e-9, abs=1e-12)
        if ours.classes is not None:
            np.testing.assert_allclose(ours.value[a], t.value[b, 0], rtol=1e-12)
        else:
            assert ours.value[a, 0] == pytest.approx(t.value[b, 0, 0], rel=1e-9, abs=1e-12)
        if ours.feature[a] < 0 and ours.impurity[a] == 0 and not leaf and t.impurity[b] < 1e-12:
            # a pure node: with float weights scikit-learn's class sum and node total can
            # differ in the last bit, its impurity comes out as ~4e-16 > eps, and it splits
            # the pure node with gain 0 into pure children. Same predictions; stop here.
            continue
        if (ours.feature[a] < 0) != leaf or (not leaf and (
                ours.feature[a] != t.feature[b] or ours.threshold[a] != t.threshold[b])):
            return a, b
        if not leaf:
            stack += [(ours.right[a], t.children_right[b]), (ours.left[a], t.children_left[b])]
    return None


def in_box(box, points):
    """(n,) bool: box[0] < point <= box[1] in every feature."""
    return np.all((box[0] < points) & (points <= box[1]), axis=1)


def points_of(tree, node, X):
    return np.flatnonzero(in_box(tree.box[node], X))


def gain_of(X, yk, w, rows, feature, threshold, n_classes, criterion):
    """Impurity drop of one split, computed literally from class weights."""
    def impurity(mask):
        counts = np.bincount(yk[rows][mask], weights=w[rows][mask], minlength=n_classes)
        p = counts / max(counts.sum(), 1e-300)
        if criterion == "gini":
            return 1 - (p ** 2).sum(), counts.sum()
        p = p[p > 0]
        return -(p * np.log2(p)).sum(), counts.sum()

    left = X[rows, feature] <= threshold
    parent, total = impurity(np.ones(len(rows), bool))
    (il, wl), (ir, wr) = impurity(left), impurity(~left)
    return parent - wl / total * il - wr / total * ir


CASES = [(name, seed, crit, depth, leaf)
         for name in ("moons", "blobs", "classification") for seed in range(4)
         for crit in T.CRITERIA for depth, leaf in ((3, 1), (6, 3), (12, 1), (4, 12))]


def test_same_tree_as_scikit_learn_unless_two_features_tie():
    identical = 0
    for name, seed, crit, depth, leaf in CASES:
        X, y = dataset(name, seed)
        ours = T.fit(X, y, T.Params(criterion=crit, max_depth=depth, min_samples_leaf=leaf))
        ref = DecisionTreeClassifier(criterion=crit, max_depth=depth, min_samples_leaf=leaf,
                                     random_state=seed).fit(X, y)
        where = first_difference(ours, ref)
        if where is None:
            identical += 1
            G = queries(X, seed)
            np.testing.assert_array_equal(ours.predict(G), ref.predict(G))
            np.testing.assert_array_equal(ours.predict_proba(G), ref.predict_proba(G))
            np.testing.assert_array_equal(ours.apply(X) >= 0, True)
            continue
        # the only allowed difference: scikit-learn's split scores exactly as well as ours
        a, b = where
        t = ref.tree_
        rows = points_of(ours, a, X)
        yk = np.unique(y, return_inverse=True)[1]
        w = np.ones(len(X))
        k = len(np.unique(y))
        mine = gain_of(X, yk, w, rows, ours.feature[a], ours.threshold[a], k, crit)
        theirs = gain_of(X, yk, w, rows, t.feature[b], t.threshold[b], k, crit)
        assert ours.feature[a] != t.feature[b], (name, seed, crit, depth, leaf)
        assert mine == pytest.approx(theirs, abs=1e-12), (name, seed, crit, depth, leaf)
    assert identical >= len(CASES) // 2   # 53 of 96 here; the rest differ at a tie


def test_split_worked_by_hand():
    # Six points on x₁ = 1..6 with classes 0 0 0 1 1 0, and x₂ = 1 1 2 2 3 3.
    # Root: four of class 0, two of class 1: gini = 1 − (4/6)² − (2/6)² = 4/9.
    # Thresholds on x₁ (midpoints 1.5 … 5.5); weighted child gini; gain = 4/9 − that:
    #   1.5: (1,0) pure | (3,2): 1 − (9+4)/25 = 12/25, × 5/6 = 2/5      → gain 2/45
    #   2.5: (2,0) pure | (2,2): 1/2 × 4/6 = 1/3                        → gain 1/9
    #   3.5: (3,0) pure | (1,2): 1 − (1+4)/9 = 4/9, × 3/6 = 2/9         → gain 2/9
    #   4.5: (3,1): 3/8 × 4/6 = 1/4, (1,1): 1/2 × 2/6 = 1/6, sum 5/12   → gain 1/36
    #   5.5: (3,2): 2/5 | (1,0) pure                                    → gain 2/45
    # On x₂ (midpoints 1.5, 2.5): (2,0) | (2,2) → gain 1/9; (3,1) | (1,1) → gain 1/36.
    # So x₁ ≤ 3.5 wins with 2/9; the best on x₂ is 1/9.
    # Entropy: root −(⅔·log₂⅔ + ⅓·log₂⅓) = 0.918296; at x₁ ≤ 3.5 the right side (1,2) has
    #   the same entropy and half the points: gain = 0.918296 − ½·0.918296 = 0.459148.
    X = np.array([[1, 1], [2, 1], [3, 2], [4, 2], [5, 3], [6, 3]], float)
    y = np.array([0, 0, 0, 1, 1, 0])
    first = list(T.run(X, y, T.Params(max_depth=1)))[1]
    assert (first.feature, first.threshold) == (0, 3.5)
    np.testing.assert_allclose(first.thresholds, [1.5, 2.5, 3.5, 4.5, 5.5])
    np.testing.assert_allclose(first.gains, [2 / 45, 1 / 9, 2 / 9, 1 / 36, 2 / 45])
    assert first.gain == pytest.approx(2 / 9)
    np.testing.assert_allclose(first.feature_gains, [2 / 9, 1 / 9])
    np.testing.assert_allclose(first.feature_thresholds, [3.5, 1.5])
    assert "x₁ ≤ 3.5" in first.caption and "gain 0.222" in first.caption
    assert "best on x₂: 0.111" in first.caption and "gini 0.444 → 0.222" in first.caption
    assert "the best of 5 thresholds" in first.caption
    assert "Left 3 (3 / 0), right 3 (1 / 2)" in first.caption
    assert first.metrics["gain"] == pytest.approx(2 / 9)
    entropy = list(T.run(X, y, T.Params(criterion="entropy", max_depth=1)))[1]
    assert entropy.threshold == 3.5
    h = -(2 / 3 * np.log2(2 / 3) + 1 / 3 * np.log2(1 / 3))
    assert entropy.gain == pytest.approx(h / 2, abs=1e-12)
    tree = first.tree
    np.testing.assert_array_equal(tree.counts, [[4, 2], [3, 0], [1, 2]])
    np.testing.assert_allclose(tree.impurity, [4 / 9, 0.0, 4 / 9])
    np.testing.assert_allclose(tree.value, [[2 / 3, 1 / 3], [1, 0], [1 / 3, 2 / 3]])


def test_captions_fields_and_metrics_of_the_hand_worked_tree():
    # the data of the split worked by hand, plus a constant third feature
    X = np.array([[1, 1, 0], [2, 1, 0], [3, 2, 0], [4, 2, 0], [5, 3, 0], [6, 3, 0]], float)
    y = np.array([0, 0, 0, 1, 1, 0])
    root, split, done = T.run(X, y, T.Params(max_depth=1))
    assert root.caption == ("The root holds all 6 points (4 / 2 by class), gini 0.444: for "
                            "now every point is predicted class 0.")
    assert split.caption == ("Split 1: node 0 (depth 0, 6 points) at x₁ ≤ 3.5, the best of "
                             "5 thresholds: gini 0.444 → 0.222, gain 0.222; best on x₂: "
                             "0.111; no valid threshold on x₃. Left 3 (3 / 0), right 3 "
                             "(1 / 2).")
    # the leaves predict 0 (3 right) and 1 (2 right): 5 of 6
    assert done.caption == ("Finished after 1 split: 2 leaves (1 pure, 1 at the depth limit "
                            "1); training accuracy 83.3%.")
    assert root.metrics == {"splits": 0, "leaves": 1, "depth": 0,
                            "train accuracy": pytest.approx(4 / 6)}
    assert split.metrics == {"splits": 1, "leaves": 2, "depth": 1, "gain": pytest.approx(2 / 9),
                             "train accuracy": pytest.approx(5 / 6)}
    assert done.metrics == {"splits": 1, "leaves": 2, "depth": 1,
                            "train accuracy": pytest.approx(5 / 6)}
    assert [s.index for s in (root, split, done)] == [0, 1, 2]
    for quiet in (root, done):   # no split in these steps: nothing scanned
        assert (quiet.node, quiet.depth, quiet.feature) == (0, 0, -1)
        assert np.isnan(quiet.threshold) and np.isnan(quiet.gain)
        assert quiet.thresholds.shape == quiet.gains.shape == (0,)
        assert quiet.feature_gains.shape == quiet.feature_thresholds.shape == (3,)
        assert np.isnan(quiet.feature_gains).all() and np.isnan(quiet.feature_thresholds).all()
        np.testing.assert_array_equal(quiet.box, [[-np.inf] * 3, [np.inf] * 3])
    np.testing.assert_array_equal(root.pending, [0])
    assert split.pending.size == 0 and split.accuracy == pytest.approx(5 / 6)
    assert np.isnan(split.feature_gains[2]) and split.feature_thresholds[1] == 1.5


def test_rule_rounds_the_threshold_to_three_digits():
    tree = T.fit(np.array([[0.1], [0.146912]]), [0, 1])
    assert tree.threshold[0] == pytest.approx(0.123456)
    assert tree.rule(0) == "x₁ ≤ 0.123"


def test_one_feature_is_enough():
    rng = np.random.default_rng(3)
    X = f32(rng.normal(size=(120, 1)))
    y = (X[:, 0] + 0.5 * rng.normal(size=120) > 0).astype(int)
    ours = T.fit(X, y, T.Params(max_depth=4, min_samples_leaf=3))
    ref = DecisionTreeClassifier(max_depth=4, min_samples_leaf=3).fit(X, y)
    assert first_difference(ours, ref) is None


def test_fit_can_try_one_random_feature_per_split():
    # x₁ separates the classes, x₂ is noise: with every feature tried only x₁ is used
    rng = np.random.default_rng(0)
    X = np.column_stack([np.r_[rng.uniform(0, 1, 60), rng.uniform(2, 3, 60)],
                         rng.uniform(0, 1, 120)])
    y = np.repeat([0, 1], 60)
    every = T.fit(X, y)
    random = T.fit(X, y, max_features=1, rng=np.random.default_rng(5))
    again = T.fit(X, y, max_features=1, rng=np.random.default_rng(5))
    assert set(every.feature[every.feature >= 0]) == {0}
    assert 1 in random.feature
    np.testing.assert_array_equal(random.threshold, again.threshold)


def test_candidate_gains_equal_a_literal_scan_at_every_node():
    X, y = dataset("blobs", 3, n=120)
    yk = np.unique(y, return_inverse=True)[1]
    for crit in T.CRITERIA:
        for step in T.run(X, y, T.Params(criterion=crit, max_depth=4, min_samples_leaf=4)):
            if step.phase != "split":
                continue
            rows = points_of(step.tree, step.node, X)
            assert len(rows) == step.tree.n_samples[step.node]
            values = np.unique(X[rows, step.feature])
            np.testing.assert_allclose(step.thresholds, (values[:-1] + values[1:]) / 2)
            for threshold, gain in zip(step.thresholds, step.gains, strict=True):
                left = int((X[rows, step.feature] <= threshold).sum())
                if min(left, len(rows) - left) < 4:
                    assert np.isnan(gain)
                else:
                    assert gain == pytest.approx(gain_of(X, yk, np.ones(len(X)), rows,
                                                         step.feature, threshold, 3, crit),
                                                 abs=1e-12)
            assert step.gain == np.nanmax(step.gains) == np.nanmax(step.feature_gains)
            assert step.threshold == step.thresholds[np.nanargmax(step.gains)]


@pytest.mark.parametrize("crit", T.CRITERIA)
def test_sample_weights_give_scikit_learns_weighted_impurities(crit):
    for seed in range(3):
        X, y = dataset("moons", seed, n=200)
        w = np.random.default_rng(seed).uniform(0.1, 3.0, len(X))
        w[::7] = 0.0   # weight 0: left out of the tree entirely, as in scikit-learn
        ours = T.fit(X, y, T.Params(criterion=crit, max_depth=4, min_samples_leaf=5),
                     sample_weight=w)
        ref = DecisionTreeClassifier(criterion=crit, max_depth=4, min_samples_leaf=5,
                                     random_state=0).fit(X, y, sample_weight=w)
        assert first_difference(ours, ref) is None
        assert ours.weight[0] == pytest.approx(w.sum())
        assert ours.n_samples[0] == (w > 0).sum()


def test_regression_tree_matches_scikit_learn():
    for seed in range(3):
        rng = np.random.default_rng(seed)
        X = f32(rng.normal(size=(250, 2)))
        target = np.sin(2 * X[:, 0]) + X[:, 1] ** 2 + 0.1 * rng.normal(size=250)
        spec = T.Spec(T.REGRESSION, 5, 5)
        ours = T.Grower(X, target, spec).grow()
        ref = DecisionTreeRegressor(max_depth=5, min_samples_leaf=5, random_state=0).fit(X, target)
        assert first_difference(ours, ref) is None
        G = queries(X, seed)
        np.testing.assert_allclose(ours.predict(G), ref.predict(G), rtol=1e-12)
        assert ours.counts.shape == (ours.n_nodes, 0)
        with pytest.raises(TypeError, match="a regression tree has no class probabilities"):
            ours.predict_proba(G)


def test_steps_grow_the_finished_tree_one_split_at_a_time():
    X, y = dataset("moons", 1, n=200)
    params = T.Params(max_depth=5, min_samples_leaf=2)
    steps = list(T.run(X, y, params))
    final = T.fit(X, y, params)
    assert [s.index for s in steps] == list(range(len(steps)))
    assert [s.phase for s in steps] == ["root"] + ["split"] * (len(steps) - 2) + ["done"]
    assert len(steps) - 2 == len(final.leaves) - 1          # a split adds one leaf
    for before, after in zip(steps, steps[1:-1], strict=False):
        assert after.metrics["splits"] == after.index
        assert after.tree.n_nodes == before.tree.n_nodes + 2
        assert after.node in before.pending and after.node not in after.pending
        assert before.tree.feature[after.node] == -1          # it was a leaf until now
        assert after.tree.feature[after.node] == after.feature
        lo, hi = after.tree.box[after.node]
        np.testing.assert_array_equal(after.box, after.tree.box[after.node])
        assert lo[after.feature] < after.threshold <= hi[after.feature]
    last = steps[-1].tree
    for field in ("feature", "left", "right", "n_samples", "counts", "depth"):
        np.testing.assert_array_equal(np.sort(getattr(last, field), axis=0),
                                      np.sort(getattr(final, field), axis=0))
    G = queries(X, 0)
    np.testing.assert_array_equal(steps[-1].model.predict_proba(G), final.predict_proba(G))
    assert steps[-1].pending.size == 0
    assert steps[-1].accuracy == pytest.approx(np.mean(final.predict(X) == y))


def test_best_first_splits_the_largest_weighted_gain_waiting():
    X, y = dataset("blobs", 2, n=200)
    steps = list(T.run(X, y, T.Params(max_depth=6)))
    splits = {s.node: s for s in steps if s.phase == "split"}
    n = len(X)

    def weighted(node):
        s = splits[node]
        return s.tree.n_samples[node] / n * s.gain

    for before, step in zip(steps, steps[1:], strict=False):
        if step.phase == "split":
            assert all(weighted(step.node) >= weighted(p) - 1e-15 for p in before.pending)
            assert list(before.pending)[0] == step.node


def test_level_by_level_fills_each_depth_before_the_next():
    X, y = dataset("moons", 3, n=200)
    best = list(T.run(X, y, T.Params(max_depth=5)))
    level = list(T.run(X, y, T.Params(max_depth=5, order="level by level")))
    depths = [s.depth for s in level if s.phase == "split"]
    assert depths == sorted(depths)
    assert [s.depth for s in best if s.phase == "split"] != depths   # the orders differ …
    G = queries(X, 1)                                                  # … the trees do not
    np.testing.assert_array_equal(best[-1].model.predict_proba(G),
                                  level[-1].model.predict_proba(G))


def test_leaf_boxes_partition_the_plane_and_agree_with_apply():
    X, y = dataset("blobs", 5)
    tree = T.fit(X, y, T.Params(max_depth=7))
    G = queries(X, 2)
    inside = np.stack([in_box(tree.box[leaf], G) for leaf in tree.leaves], 1)
    assert (inside.sum(1) == 1).all()
    np.testing.assert_array_equal(tree.leaves[inside.argmax(1)], tree.apply(G))
    np.testing.assert_array_equal(tree.box[0], [[-np.inf] * 2, [np.inf] * 2])
    assert tree.parent[0] == -1 and tree.depth[0] == 0
    assert (tree.left[tree.leaves] == -1).all() and (tree.right[tree.leaves] == -1).all()
    assert np.isnan(tree.threshold[tree.leaves]).all()
    assert tree.criterion == "gini" and T.fit(X, y, T.Params(criterion="entropy")).criterion \
        == "entropy"
    # children split their parent's counts and their boxes meet at the threshold
    inner = np.flatnonzero(~tree.is_leaf)
    np.testing.assert_array_equal(tree.counts[tree.left[inner]] + tree.counts[tree.right[inner]],
                                  tree.counts[inner])
    assert (tree.parent[tree.left[inner]] == inner).all()
    assert (tree.depth[tree.left[inner]] == tree.depth[inner] + 1).all()
    np.testing.assert_array_equal(tree.box[tree.left[inner], 1, tree.feature[inner]],
                                  tree.threshold[inner])
    np.testing.assert_array_equal(tree.box[tree.right[inner], 0, tree.feature[inner]],
                                  tree.threshold[inner])


def test_a_random_few_features_are_scanned_at_each_node():
    X, y = dataset("classification", 2, n=200)      # three informative features
    spec = T.Spec("gini", T.UNLIMITED, 5, max_features=2)
    rng = np.random.default_rng(0)
    yk = np.unique(y, return_inverse=True)[1]
    for _ in range(10):
        search = T.search_node(X, yk, np.ones(len(X)), 3, spec, 2 / 3, rng)
        assert np.isfinite(search.feature_gains).sum() == 2
        assert search.gain == np.nanmax(search.feature_gains)


def test_features_that_tie_go_to_the_first_unless_drawn_at_random():
    X = np.array([[0.0, 0.0], [1.0, 1.0]])      # both features split the pair alike
    for seed in range(8):
        assert T.fit(X, [0, 1], max_features=2, rng=np.random.default_rng(seed)).feature[0] == 0
    firsts = {T.fit(X, [0, 1], max_features=1, rng=np.random.default_rng(seed)).feature[0]
              for seed in range(8)}
    assert firsts == {0, 1}


def test_regression_gains_are_the_drop_in_variance():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(40, 2))
    target = X[:, 0] ** 2 + 0.1 * rng.normal(size=40)
    w = rng.uniform(0.5, 2, 40)
    mean = np.average(target, weights=w)
    parent = np.average((target - mean) ** 2, weights=w)
    search = T.search_node(X, target, w, 0, T.Spec(T.REGRESSION, 5, 3), parent, None)

    def variance(mask):
        m = np.average(target[mask], weights=w[mask])
        return np.average((target[mask] - m) ** 2, weights=w[mask]), w[mask].sum()

    for threshold, gain in zip(search.thresholds, search.gains, strict=True):
        left = X[:, search.feature] <= threshold
        if min(left.sum(), (~left).sum()) < 3:
            assert np.isnan(gain)
            continue
        (vl, wl), (vr, wr) = variance(left), variance(~left)
        assert gain == pytest.approx(parent - (wl * vl + wr * vr) / w.sum(), abs=1e-12)


def test_layout_spreads_leaves_and_centres_parents():
    X, y = dataset("moons", 0, n=150)
    tree = T.fit(X, y, T.Params(max_depth=4))
    xy = tree.layout()
    np.testing.assert_array_equal(np.sort(xy[tree.leaves, 0]), np.arange(len(tree.leaves)))
    inner = np.flatnonzero(~tree.is_leaf)
    np.testing.assert_allclose(xy[inner, 0], (xy[tree.left[inner], 0] +
                                              xy[tree.right[inner], 0]) / 2)
    assert (xy[tree.left[inner], 0] < xy[tree.right[inner], 0]).all()
    np.testing.assert_array_equal(xy[:, 1], tree.depth)
    assert tree.rule(0).startswith(("x₁ ≤ ", "x₂ ≤ ")) and tree.rule(tree.leaves[0]) == ""


def test_captions_and_metrics_are_clean_and_snapshots_immutable():
    X, y = dataset("classification", 1, n=90)
    steps = list(T.run(X, y, T.Params(max_depth=3, min_samples_leaf=3)))
    copies = [(s.tree.feature.copy(), s.gains.copy(), s.box.copy()) for s in steps]
    for s, (feature, gains, box) in zip(steps, copies, strict=True):
        for text in (s.caption, *map(str, s.metrics)):
            assert "nan" not in text and "-0" not in text and " 1 points" not in text
        assert all(np.isfinite(v) for v in s.metrics.values())
        np.testing.assert_array_equal(s.tree.feature, feature)
        np.testing.assert_array_equal(s.gains, gains)
        np.testing.assert_array_equal(s.box, box)
        for array in (s.tree.feature, s.tree.value, s.tree.box, s.gains, s.thresholds,
                      s.feature_gains, s.pending, s.box):
            with pytest.raises(ValueError):
                array.flat[0] = 0
        with pytest.raises(dataclasses.FrozenInstanceError):
            s.tree.feature = None
    assert steps[0].caption.startswith("The root holds all 90 points (30 / 30 / 30 by class)")
    assert "Finished after" in steps[-1].caption
    assert "at the depth limit 3" in steps[-1].caption


def test_done_caption_counts_why_each_leaf_stopped():
    # 0 0 | 1 1 is pure after one split; a pair of identical points of two classes
    # cannot be split at all.
    X = np.array([[0, 0], [1, 0], [2, 0], [3, 0], [5, 5], [5, 5]], float)
    y = np.array([0, 0, 1, 1, 0, 1])
    done = list(T.run(X, y, T.Params(max_depth=5)))[-1]
    assert "3 leaves (2 pure, 1 made of identical points)" in done.caption
    # 0 1 0 1 with two points per leaf: the only split leaves (0,1) | (0,1) — a gain of 0,
    # made all the same (as scikit-learn does) — and a node of 2 cannot be split again
    small = list(T.run(X[:4], [0, 1, 0, 1], T.Params(max_depth=5, min_samples_leaf=2)))
    assert small[1].gain == 0 and small[1].threshold == 1.5
    assert "2 leaves (2 too small for 2 points on each side)" in small[-1].caption


def test_same_input_same_steps():
    X, y = dataset("moons", 4, n=120)
    a = list(T.run(X, y, T.Params(), np.random.default_rng(0)))
    b = list(T.run(X, y, T.Params(), np.random.default_rng(1)))
    assert [s.caption for s in a] == [s.caption for s in b]


def test_labels_keep_their_values():
    X, y = dataset("blobs", 0, n=90)
    names = np.array(["cat", "dog", "emu"])[y]
    tree = T.fit(X, names)
    assert set(tree.predict(X)) <= {"cat", "dog", "emu"}
    np.testing.assert_array_equal(tree.predict(X) == names, T.fit(X, y).predict(X) == y)


@pytest.mark.parametrize(("scale", "offset"), [(1e200, 0.0), (1e-300, 0.0), (1.0, 1e8),
                                              (1e150, -1e160)])
def test_extreme_but_finite_values_give_the_same_tree(scale, offset):
    X, y = make_blobs(120, centers=3, random_state=4)
    X = np.round(10 * X)   # whole numbers: scaling and shifting keep their order and gaps
    base = T.fit(X, y, T.Params(max_depth=6))
    moved = T.fit(X * scale + offset, y, T.Params(max_depth=6))
    np.testing.assert_array_equal(moved.feature, base.feature)
    np.testing.assert_array_equal(moved.counts, base.counts)
    assert np.isfinite(moved.impurity).all()
    np.testing.assert_array_equal(moved.predict(X * scale + offset), base.predict(X))
    for s in T.run(X * scale + offset, y, T.Params(max_depth=6)):
        assert "nan" not in s.caption and "inf" not in s.caption


@pytest.mark.parametrize("a", [1.0, np.nextafter(1.0, 2.0)])
def test_neighbouring_floats_get_a_threshold_between_them(a):
    # a/2 + b/2 for neighbouring floats is exactly halfway and rounds to the even one: a
    # itself for a = 1, but b for a = 1 + 1 ulp. A threshold of b would send b left with
    # a, so the threshold falls back to a (as in scikit-learn).
    b = np.nextafter(a, 2.0)
    X = np.array([[a, 0.0], [b, 0.0]])
    tree = T.fit(X, [0, 1])
    assert tree.threshold[0] == a
    np.testing.assert_array_equal(tree.predict(X), [0, 1])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 2)),
                min_size=4, max_size=40))
def test_unlimited_tree_fits_every_consistent_point(rows):
    data = np.array(rows, float)
    X, y = data[:, :2], data[:, 2].astype(int)
    if len(np.unique(y)) < 2:
        return
    tree = T.fit(X, y, T.Params(max_depth=20))
    # points that share coordinates but not a class can only be fitted to their majority
    keys = [tuple(p) for p in X]
    best = sum(max(np.bincount(y[[i for i, k in enumerate(keys) if k == key]]))
               for key in set(keys))
    assert (tree.predict(X) == y).sum() == best
    inner = ~tree.is_leaf
    assert (tree.impurity[inner] > 0).all()
    assert np.isclose(tree.value.sum(1), 1).all()


@pytest.mark.parametrize(("X", "y", "params", "message"), [
    (np.zeros((4, 2)), [1, 1, 1, 1], T.Params(), "class 1: a classifier needs"),
    (np.array([[0, 0], [np.nan, 1], [1, 1]]), [0, 1, 0], T.Params(), "NaN"),
    (np.array([[0, 0], [np.inf, 1]]), [0, 1], T.Params(), "NaN or infinite"),
    (np.zeros((5, 2)), [0, 1, 0, 1, 0], T.Params(min_samples_leaf=3), "only 5 points"),
    (np.zeros((3, 2)), [0, 1], T.Params(), "3 points but 2 labels"),
    (np.zeros((0, 2)), [], T.Params(), "non-empty"),
    (np.zeros(4), [0, 1, 0, 1], T.Params(), "rows × features"),
    (np.zeros((4, 0)), [0, 1, 0, 1], T.Params(), "rows × features"),
    (np.array([["a", "b"], ["c", "d"]]), [0, 1], T.Params(), "the features must be numbers"),
    (np.array([[0, 0], [1, None]]), [0, 1], T.Params(), "NaN"),   # a missing value
    (np.zeros((2, 2)), [0.0, np.nan], T.Params(), "labels contain NaN"),
    (np.zeros((4, 2)), [0, 1, 0, 1], T.Params(max_depth=0), "max_depth must be between"),
    (np.zeros((4, 2)), [0, 1, 0, 1], T.Params(criterion="log"), "criterion must be one of"),
])
def test_bad_input_gets_a_clear_message(X, y, params, message):
    with pytest.raises(ValueError, match=message):
        next(T.run(X, y, params))
    with pytest.raises(ValueError, match=message):
        T.fit(X, y, params)


def test_predict_refuses_points_of_another_width():
    tree = T.fit(np.array([[0.0, 0], [1, 1]]), [0, 1])
    with pytest.raises(ValueError, match="grown on 2 features"):
        tree.predict(np.zeros((3, 3)))


def test_feature_names_count_from_one():
    assert [T.feature_name(j) for j in (0, 1, 9, 11)] == ["x₁", "x₂", "x₁₀", "x₁₂"]
