"""KNN against scikit-learn's KNeighborsClassifier, and the stepwise query it teaches."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from algorithms import knn, labelled
from algorithms.knn import METRICS, WEIGHTS, Params

BAD_TEXT = ("nan", "−0 ", "-0 ", " 1 points", " 1 neighbours", "1 training points")


def data(shape="moons", points=300, classes=2, noise=0.2, seed=0, test_fraction=0.25):
    return labelled.generate(labelled.Data(shape=shape, points=points, classes=classes,
                                           noise=noise, test_fraction=test_fraction), seed)


def grid(lo=-12.0, hi=12.0, n=60):
    xs = np.linspace(lo, hi, n)
    return np.stack(np.meshgrid(xs, xs), -1).reshape(-1, 2)


def reference(d, params):
    algorithm = "brute"  # cosine is brute force only; the same choice for all keeps ties alike
    return KNeighborsClassifier(params.k, metric=params.metric, weights=params.weights,
                                algorithm=algorithm).fit(d.X_train, d.y_train)


def literal_neighbours(P, q, k, metric):
    """The definition, one point at a time: sort by (distance, index), keep k."""
    def dist(p):
        dx, dy = abs(p[0] - q[0]), abs(p[1] - q[1])
        if metric == "euclidean":
            return math.sqrt(dx * dx + dy * dy)
        if metric == "manhattan":
            return dx + dy
        if metric == "chebyshev":
            return max(dx, dy)
        # each direction scaled to length 1 first, in the order scikit-learn's cosine
        # distance does it, so exact ties (collinear points) stay exact
        nq, np_ = math.sqrt(q[0] * q[0] + q[1] * q[1]), math.sqrt(p[0] * p[0] + p[1] * p[1])
        if nq == 0 or np_ == 0:
            return 1.0
        return min(2.0, max(0.0, 1 - ((q[0] / nq) * (p[0] / np_) + (q[1] / nq) * (p[1] / np_))))
    return [i for _, i in sorted((dist(p), i) for i, p in enumerate(P))[:k]]


# --- against scikit-learn ----------------------------------------------------------------
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("weights", WEIGHTS)
def test_predictions_equal_scikit_learn_for_every_metric_and_weighting(metric, weights):
    d = data("blobs", points=600, classes=3, noise=0.25)
    params = Params(k=7, metric=metric, weights=weights)
    model = knn.fit(d.X_train, d.y_train, params)
    ref = reference(d, params)
    # the test points (small: every distance is taken) and a grid reaching far beyond the
    # data (large: the cell index and, for cosine, the angle index are used)
    for Q in (d.X_test, grid()):
        np.testing.assert_array_equal(model.predict(Q), ref.predict(Q))
        np.testing.assert_allclose(model.predict_proba(Q), ref.predict_proba(Q), atol=1e-9)


@pytest.mark.parametrize("metric", METRICS)
def test_neighbours_come_in_scikit_learns_order(metric):
    d = data("spirals", points=800, classes=3, noise=0.3, seed=4)
    params = Params(k=9, metric=metric)
    model = knn.fit(d.X_train, d.y_train, params)
    ref = reference(d, params)
    Q = grid(-11, 11, 40)
    dist, idx = model.kneighbors(Q)
    ref_dist, ref_idx = ref.kneighbors(Q)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(dist, ref_dist, atol=1e-9)


@pytest.mark.parametrize("shape", ["moons", "circles", "xor", "linear"])
@pytest.mark.parametrize("k", [1, 4, 25])
def test_the_fast_search_equals_measuring_every_distance(shape, k):
    d = data(shape, points=1500, noise=0.15, seed=k)
    for metric in METRICS:
        model = knn.fit(d.X_train, d.y_train, Params(k=k, metric=metric))
        Q = grid(-14, 14, 45)
        assert len(Q) * len(model.X) > knn.BRUTE_BELOW          # so the index is used
        fast = model.kneighbors(Q)
        slow = model._brute(Q, ordered=True)
        np.testing.assert_array_equal(fast[1], slow[0 + 1])
        np.testing.assert_array_equal(fast[0], slow[0])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 12),
       metric=st.sampled_from(METRICS), spread=st.sampled_from([3, 30]))
def test_ties_go_to_the_earlier_training_point(seed, k, metric, spread):
    # whole-number coordinates, so many points share a distance (and some coincide)
    rng = np.random.default_rng(seed)
    P = rng.integers(-spread, spread + 1, size=(120, 2)).astype(float)
    y = rng.integers(0, 3, 120)
    model = knn.fit(P, y, Params(k=k, metric=metric))
    Q = rng.integers(-spread - 5, spread + 6, size=(2200, 2)).astype(float)
    _, idx = model.kneighbors(Q)                 # 2,200 × 120 pairs: the index is used
    for q, row in zip(Q[:150], idx[:150], strict=True):
        assert list(row) == literal_neighbours(P, q, k, metric)


def test_a_tied_vote_goes_to_the_first_class_as_in_scikit_learn():
    # k = 2: the neighbours are one of class 1 and one of class 0 → a 1 : 1 tie.
    P = np.array([[1.0, 0.0], [-1.0, 0.0], [5.0, 5.0]])
    y = np.array([1, 0, 0])
    for weights in WEIGHTS:
        model = knn.fit(P, y, Params(k=2, weights=weights))
        ref = KNeighborsClassifier(2, weights=weights, algorithm="brute").fit(P, y)
        q = np.array([[0.0, 0.0]])
        np.testing.assert_array_equal(model.predict_proba(q), [[0.5, 0.5]])
        assert model.predict(q)[0] == ref.predict(q)[0] == 0


def test_a_neighbour_on_the_query_alone_decides_with_distance_weights():
    # the query sits on training point 0 (class 2); two class-1 points are close by
    P = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [3.0, 3.0]])
    y = np.array([2, 1, 1, 1])
    model = knn.fit(P, y, Params(k=3, weights="distance"))
    ref = KNeighborsClassifier(3, weights="distance", algorithm="brute").fit(P, y)
    np.testing.assert_array_equal(model.predict_proba([[0.0, 0.0]]), [[0.0, 1.0]])
    np.testing.assert_array_equal(ref.predict_proba([[0.0, 0.0]]), [[0.0, 1.0]])
    # elsewhere each vote is 1 / distance: by hand, at (0.05, 0): 1/0.05 for class 2 and
    # 1/0.05 + 1/√(0.05² + 0.1²) for class 1
    w1 = 1 / 0.05 + 1 / math.hypot(0.05, 0.1)
    np.testing.assert_allclose(model.predict_proba([[0.05, 0.0]]),
                               [[w1 / (w1 + 20), 20 / (w1 + 20)]])


def test_standardising_matches_a_scaler_pipeline():
    d = data("blobs", points=400, classes=3)
    X = d.X * [1.0, 40.0]                       # the second feature dwarfs the first
    train = d.train
    model = knn.fit(X[train], d.y[train], Params(k=5, standardize=True))
    ref = make_pipeline(StandardScaler(), KNeighborsClassifier(5, algorithm="brute"))
    ref.fit(X[train], d.y[train])
    Q = grid(-12, 12, 40) * [1.0, 40.0]
    np.testing.assert_array_equal(model.predict(Q), ref.predict(Q))
    plain = knn.fit(X[train], d.y[train], Params(k=5))
    assert (plain.predict(Q) != model.predict(Q)).any()   # so the scaling mattered


def test_cosine_treats_the_origin_as_having_no_direction():
    P = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [-1.0, -1.0], [2.0, 0.1]])
    y = np.array([0, 1, 0, 1, 1])
    model = knn.fit(P, y, Params(k=3, metric="cosine"))
    ref = KNeighborsClassifier(3, metric="cosine", algorithm="brute").fit(P, y)
    Q = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, -1.0], [-2.0, 1.0]])
    np.testing.assert_array_equal(model.predict(Q), ref.predict(Q))
    dist, idx = model.kneighbors(Q)
    np.testing.assert_array_equal(dist[0], [1, 1, 1])     # all tie: the first three
    np.testing.assert_array_equal(idx[0], [0, 1, 2])
    assert idx[1, 0] == 1 and dist[1, 0] == 0             # same direction: distance 0


def test_a_model_with_classes_missing_reports_those_present():
    P = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0], [6.0, 5.0]])
    model = knn.fit(P, np.array([2, 2, 7, 7]), Params(k=1))
    np.testing.assert_array_equal(model.classes, [2, 7])
    np.testing.assert_array_equal(model.predict([[0.2, 0.0], [5.8, 5.0]]), [2, 7])
    assert model.predict_proba([[0.0, 0.0]]).shape == (1, 2)


# --- the stepwise query ------------------------------------------------------------------
def steps_for(d, params, **kw):
    return list(knn.run(d, params, np.random.default_rng(0), **kw))


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("weights", WEIGHTS)
def test_steps_reveal_the_neighbours_in_scikit_learns_order(metric, weights):
    d = data("blobs", points=200, classes=3, noise=0.3)
    params = Params(k=6, metric=metric, weights=weights)
    steps = steps_for(d, params)
    ref = reference(d, params)
    query = d.X[np.flatnonzero(d.test)[0]]
    ref_dist, ref_idx = ref.kneighbors(query[None])
    assert [s.phase for s in steps] == ["query"] + ["neighbour"] * 6 + ["vote", "result"]
    assert [s.index for s in steps] == list(range(9))
    for m, s in enumerate(steps[:7]):
        np.testing.assert_array_equal(s.neighbours, d.train_index[ref_idx[0, :m]])
        np.testing.assert_allclose(s.distances, ref_dist[0, :m], atol=1e-12)
        assert s.radius == pytest.approx(ref_dist[0, m - 1] if m else 0.0, rel=1e-12)
    last = steps[-1]
    np.testing.assert_array_equal(last.query, query)
    assert last.predicted == ref.predict(query[None])[0]
    np.testing.assert_allclose(last.proba, ref.predict_proba(query[None])[0], atol=1e-12)
    assert last.truth == d.y[last.query_index]
    assert all(s.predicted == -1 for s in steps[:-1])
    radii = [s.radius for s in steps]
    assert radii == sorted(radii)


def test_the_tally_grows_with_each_neighbour_and_sums_their_weights():
    d = data("moons", points=150)
    steps = steps_for(d, Params(k=5, weights="distance"), query=(0.3, 0.2))
    for s in steps[1:6]:
        labels = np.searchsorted(s.model.classes, d.y[s.neighbours])
        np.testing.assert_allclose(s.tally, np.bincount(labels, weights=1 / s.distances,
                                                        minlength=2))
        np.testing.assert_allclose(s.weights, 1 / s.distances)
    assert steps[-1].query_index is None and steps[-1].truth is None
    assert "The query point at (0.3, 0.2)" in steps[0].caption


def test_captions_give_the_right_numbers_in_plain_words():
    # By hand: training points at distances 1 (A), 2 (B), 3 (A) from the query (0, 0).
    X = np.array([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0], [9.0, 9.0]])
    d = labelled.labelled(X, [0, 1, 0, 1], names=("A", "B"), test_fraction=0.0)
    steps = steps_for(d, Params(k=3), query=(0.0, 0.0))
    assert "keeps the 4 training points and lets the 3 nearest of them vote" \
        in steps[0].caption
    assert steps[1].caption.startswith("Neighbour 1 of 3: training point #0 (class A) at "
                                       "euclidean distance 1;")
    assert "circle" in steps[1].caption
    assert "#1 (class B) at euclidean distance 2;" in steps[2].caption
    assert steps[4].caption == "The vote (each neighbour counts once): A 2, B 1."
    assert steps[5].caption == "Predicted class A: 2 of 3 votes (probability 0.667)."
    for s in steps:
        assert not any(bad in s.caption + " " for bad in BAD_TEXT), s.caption
        assert all(np.isfinite(v) for v in s.metrics.values())
    assert steps[3].metrics["neighbours"] == 3 and steps[3].metrics["radius"] == 3.0
    # each training point's 3 nearest include itself; (0, 2) of class B has (1, 0) and
    # (−3, 0) of class A next, so it alone is misclassified: 3 of 4
    assert steps[0].metrics["train accuracy"] == 0.75 and "test accuracy" not in steps[0].metrics


def test_captions_for_one_neighbour_a_tie_an_exact_hit_and_cosine():
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, 5.0]])
    d = labelled.labelled(X, [0, 1, 0, 1], names=("A", "B"), test_fraction=0.0)
    one = steps_for(d, Params(k=1), query=(0.9, 0.0))
    assert "lets the nearest of them vote" in one[0].caption
    tie = steps_for(d, Params(k=2), query=(0.0, 0.0))
    assert tie[-1].caption == ("Predicted class A: A and B tie with 1 vote each, and a tie "
                               "goes to the class listed first. ")[:-1]
    assert tie[-1].predicted == 0
    # (0, 0) is 1 from points 0, 1 and 2: point 2 is left out, being later in the data
    assert "1 other training point as far as the last neighbour was left out" in tie[-2].caption
    exact = steps_for(d, Params(k=2, weights="distance"), query=(1.0, 0.0))
    assert "only neighbours at distance 0 vote" in exact[-2].caption
    cos = steps_for(d, Params(k=1, metric="cosine"), query=(3.0, 3.0))
    assert "(an angle of 45° from the query's direction)" in cos[1].caption
    assert "wedge" in cos[1].caption
    test_point = steps_for(data("moons", points=60), Params(k=3))
    assert test_point[0].caption.startswith("Test point #")
    assert test_point[-1].caption.endswith(("correct.", "wrong."))


def test_snapshots_are_frozen_and_share_the_model():
    d = data("moons", points=120)
    steps = steps_for(d, Params(k=4))
    assert all(s.model is steps[0].model for s in steps)
    for s in steps:
        for a in (s.query, s.neighbours, s.distances, s.weights, s.tally, s.proba):
            with pytest.raises(ValueError):
                a[...] = 0
    again = steps_for(d, Params(k=4))
    assert [s.caption for s in again] == [s.caption for s in steps]


def test_without_a_test_set_the_query_defaults_to_the_middle_of_the_data():
    d = data("blobs", points=50, test_fraction=0.0)
    first = steps_for(d, Params(k=3))[0]
    np.testing.assert_allclose(first.query, (d.X.min(0) + d.X.max(0)) / 2)


# --- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize(("params", "query", "message"), [
    (Params(k=31), None, "k = 31 neighbours need at least 31 training points; there are 30"),
    (Params(k=3), (np.nan, 0.0), "two finite coordinates"),
    (Params(k=3), (1.0, 2.0, 3.0), "two finite coordinates"),
    (Params(k=0), None, "k must be between"),
    (Params(metric="mahalanobis"), None, "metric must be one of"),
])
def test_bad_input_gets_a_clear_message(params, query, message):
    d = data("moons", points=40)       # 30 training points
    with pytest.raises(ValueError, match=message):
        next(knn.run(d, params, query=query))


def test_points_to_classify_must_be_finite():
    model = knn.fit(np.eye(2), [0, 1], Params(k=1))
    with pytest.raises(ValueError, match="finite"):
        model.predict([[np.inf, 0.0]])


# --- drawing help --------------------------------------------------------------------------
@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "chebyshev"])
def test_ball_outline_is_at_the_radius(metric):
    c = np.array([1.0, -2.0])
    outline = knn.ball_outline(c, 1.5, metric)
    np.testing.assert_allclose(knn.pair_distances(outline, c, metric), 1.5)
    scaled = knn.ball_outline(c, 1.5, metric, labelled.Scaling(np.array([1.0, 0.0]),
                                                               np.array([2.0, 0.5])))
    back = (scaled - [1.0, 0.0]) / [2.0, 0.5]
    np.testing.assert_allclose(knn.pair_distances(back, (c - [1.0, 0.0]) / [2.0, 0.5],
                                                  metric), 1.5)


def test_cosine_ball_is_a_wedge_of_the_right_angle():
    outline = knn.ball_outline([2.0, 2.0], 1 - math.cos(math.radians(30)), "cosine", reach=5)
    np.testing.assert_array_equal(outline[0], [0, 0])
    np.testing.assert_array_equal(outline[-1], [0, 0])
    angles = np.degrees(np.arctan2(outline[1:-1, 1], outline[1:-1, 0]))
    np.testing.assert_allclose([angles.min(), angles.max()], [15, 75])
    np.testing.assert_allclose(np.hypot(*outline[1:-1].T), 5)
    with pytest.raises(ValueError, match="metric must be one of"):
        knn.ball_outline([0, 0], 1, "hamming")
