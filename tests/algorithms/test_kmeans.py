"""k-means against scikit-learn's Lloyd implementation, started from the same centres."""

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs, make_moons

from algorithms import kmeans
from algorithms.base import num


def datasets():
    rng = np.random.default_rng(7)
    yield "blobs", make_blobs(600, centers=4, cluster_std=1.3, random_state=3)[0], 4
    yield "moons", make_moons(400, noise=0.08, random_state=1)[0], 3
    yield "uniform", rng.uniform(-5, 5, size=(500, 2)), 5
    yield "3-d gaussian", rng.normal(size=(300, 3)) * [1.0, 3.0, 0.5], 6
    yield "anisotropic", make_blobs(500, centers=3, random_state=170)[0] @ [[0.6, -0.6],
                                                                            [-0.4, 0.8]], 3


@pytest.mark.parametrize(("name", "X", "k"), list(datasets()), ids=lambda v: v if
                         isinstance(v, str) else "")
def test_matches_scikit_learn_from_the_same_start(name, X, k):
    start = X[np.random.default_rng(0).choice(len(X), k, replace=False)]
    ours = kmeans.final(X, kmeans.Params(k=k, init="manual", tol=0.0, max_iter=500),
                        np.random.default_rng(0), init_centers=start)
    ref = KMeans(k, init=start, n_init=1, algorithm="lloyd", tol=0.0, max_iter=500).fit(X)
    assert ours.phase == "converged"
    np.testing.assert_array_equal(ours.labels, ref.labels_)
    np.testing.assert_allclose(ours.centers, ref.cluster_centers_, atol=1e-6)
    assert ours.inertia == pytest.approx(ref.inertia_, rel=1e-9)


def test_assign_and_update_alternate_and_inertia_never_rises():
    X = make_blobs(500, centers=5, random_state=0)[0]
    steps = list(kmeans.run(X, kmeans.Params(k=5, init="random", tol=0.0),
                            np.random.default_rng(2)))
    phases = [s.phase for s in steps if s.phase in ("assign", "update")]
    assert phases[0] == "assign"
    assert all(a != b for a, b in zip(phases, phases[1:], strict=False))
    inertia = [s.inertia for s in steps if s.phase != "init"]
    assert all(b <= a + 1e-9 for a, b in zip(inertia, inertia[1:], strict=False))
    assert [s.index for s in steps] == list(range(len(steps)))


def test_changed_marks_exactly_the_points_that_switched():
    X = make_blobs(400, centers=3, random_state=5)[0]
    assigns = [s for s in kmeans.run(X, kmeans.Params(k=3, init="random", tol=0.0),
                                     np.random.default_rng(4)) if s.phase == "assign"]
    for before, after in zip(assigns, assigns[1:], strict=False):
        np.testing.assert_array_equal(after.changed, before.labels != after.labels)
        assert after.metrics["changed"] == int((before.labels != after.labels).sum())


def test_kmeans_plus_plus_seeds_are_data_points_and_spread_out():
    X, _ = make_blobs(900, centers=6, cluster_std=0.4, random_state=11)
    spreads_pp, spreads_random = [], []
    for seed in range(30):
        for init, spreads in (("k-means++", spreads_pp), ("random", spreads_random)):
            first = next(s for s in kmeans.run(X, kmeans.Params(k=6, init=init),
                                               np.random.default_rng(seed))
                         if s.phase == "assign")
            c = first.centers
            assert all((np.abs(X - row).sum(1) == 0).any() for row in c)
            gaps = np.sqrt(((c[:, None] - c[None]) ** 2).sum(-1))
            spreads.append(gaps[np.triu_indices(6, 1)].min())
    # ++ seeding keeps centres apart: its closest pair is far wider on average
    assert np.mean(spreads_pp) > 2 * np.mean(spreads_random)


def test_kmeans_plus_plus_shows_one_init_step_per_centre():
    X = make_blobs(100, centers=4, random_state=1)[0]
    inits = [s for s in kmeans.run(X, kmeans.Params(k=4), np.random.default_rng(0))
             if s.phase == "init"]
    assert [len(s.centers) for s in inits] == [1, 2, 3, 4]


def test_same_seed_same_run_and_different_seed_differs():
    X = make_blobs(300, centers=4, random_state=2)[0]

    def centres(seed):
        return [s.centers for s in kmeans.run(X, kmeans.Params(k=4), np.random.default_rng(seed))]

    a, b, c = centres(9), centres(9), centres(10)
    assert len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])


def test_snapshots_are_never_mutated_by_later_steps():
    X = make_blobs(300, centers=3, random_state=0)[0]
    steps, copies = [], []
    for s in kmeans.run(X, kmeans.Params(k=3, init="random", tol=0.0), np.random.default_rng(1)):
        steps.append(s)
        copies.append((s.centers.copy(), s.labels.copy(), s.trail.copy()))
    for s, (c, lab, t) in zip(steps, copies, strict=True):
        np.testing.assert_array_equal(s.centers, c)
        np.testing.assert_array_equal(s.labels, lab)
        np.testing.assert_array_equal(s.trail, t)
        with pytest.raises(ValueError):
            s.centers[0, 0] = 1.0


def test_trail_records_every_centre_position():
    """Row 0 of the trail is the starting centres (data points); row i + 1 is, for each
    cluster, the mean of the points the i-th assignment gave it, recomputed here."""
    X = make_blobs(300, centers=3, random_state=0)[0]
    steps = list(kmeans.run(X, kmeans.Params(k=3, init="random"), np.random.default_rng(1)))
    assigns = [s for s in steps if s.phase == "assign"]
    updates = [s for s in steps if s.phase == "update"]
    trail = steps[-1].trail
    assert len(trail) == len(updates) + 1
    assert all((c == X).all(1).any() for c in trail[0])
    for i, assign in enumerate(assigns[:len(updates)]):
        means = [X[assign.labels == j].mean(0) for j in range(3)]
        np.testing.assert_allclose(trail[i + 1], means, rtol=1e-12, atol=1e-12)


def test_elbow_falls_with_k_and_matches_scikit_learn_at_true_k():
    X = make_blobs(600, centers=4, cluster_std=0.7, random_state=8)[0]
    curve = kmeans.elbow(X, range(1, 8), np.random.default_rng(0))
    assert np.all(np.diff(curve) < 0)
    ref = KMeans(4, n_init=10, random_state=0).fit(X).inertia_
    assert curve[3] == pytest.approx(ref, rel=1e-3)
    # the elbow: the drop from 3 to 4 dwarfs the drop from 4 to 5
    assert (curve[2] - curve[3]) > 5 * (curve[3] - curve[4])


@pytest.mark.parametrize(("X", "params", "init", "message"), [
    (np.zeros((0, 2)), kmeans.Params(k=2), None, "non-empty"),
    (np.array([[0, 0], [np.nan, 1]]), kmeans.Params(k=1), None, "NaN"),
    (np.zeros((2, 2)), kmeans.Params(k=3), None, "at least 3 points"),
    (np.zeros((5, 2)), kmeans.Params(k=2, init="manual"), None, "place 2 centres"),
    (np.zeros((5, 2)), kmeans.Params(k=2, init="manual"), np.zeros((1, 2)), "1 placed"),
    (np.zeros((5, 2)), kmeans.Params(k=0), None, "k must be between"),
    (np.zeros((5, 2)), kmeans.Params(init="furthest"), None, "init must be one of"),
])
def test_bad_input_gets_a_clear_message(X, params, init, message):
    with pytest.raises(ValueError, match=message):
        next(kmeans.run(X, params, np.random.default_rng(0), init_centers=init))


def test_empty_cluster_keeps_its_centre_and_says_so():
    X = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 0.0]])
    start = np.array([[0.0, 0.0], [10.0, 0.0], [50.0, 50.0]])
    steps = list(kmeans.run(X, kmeans.Params(k=3, init="manual"), np.random.default_rng(0),
                            init_centers=start))
    update = next(s for s in steps if s.phase == "update")
    np.testing.assert_array_equal(update.centers[2], [50.0, 50.0])
    assert update.caption.endswith(" Cluster 3 has no points, so its centre stays put.")


SCALINGS = {
    "times 1e200": lambda X: X * 1e200,
    "near the float maximum": lambda X: X / np.abs(X).max() * 1.7e308,
    "times 1e-300": lambda X: X * 1e-300,
    "offset 1e8": lambda X: X + 1e8,
    "offset 1e8, five columns": lambda X: np.hstack([X, X[:, :1] * 0.5, X * 0.3]) + 1e8,
}


@pytest.mark.filterwarnings("error::RuntimeWarning")   # an infinite inertia is said quietly
@pytest.mark.parametrize("name", SCALINGS)
def test_extreme_values_cluster_like_their_moderate_original(name):
    """Shifting or scaling every point alike cannot change k-means: the labels must equal
    scikit-learn's on the moderate data from the corresponding start."""
    X = make_blobs(400, centers=4, cluster_std=1.2, random_state=5)[0]
    wide = SCALINGS[name](X)
    moderate = X if "five" not in name else np.hstack([X, X[:, :1] * 0.5, X * 0.3])
    picks = np.random.default_rng(0).choice(len(X), 4, replace=False)
    ref = KMeans(4, init=moderate[picks], n_init=1, algorithm="lloyd", tol=0.0).fit(moderate)
    ours = kmeans.final(wide, kmeans.Params(k=4, init="manual", tol=0.0),
                        np.random.default_rng(0), init_centers=wide[picks])
    np.testing.assert_array_equal(ours.labels, ref.labels_)
    assert np.isfinite(ours.centers).all()
    assert "nan" not in ours.caption.lower()


def test_identical_rows_converge_at_once():
    last = kmeans.final(np.full((30, 2), 7.0), kmeans.Params(k=3), np.random.default_rng(0))
    assert last.phase == "converged" and last.inertia == 0.0
    np.testing.assert_array_equal(last.centers, np.full((3, 2), 7.0))


# --- k-means++ samples by squared distance --------------------------------------------

def test_kmeans_plus_plus_picks_with_probability_proportional_to_squared_distance():
    """Four points whose distances are 1, 3 and 7 apart (and one off the line). Each pick
    after the first is drawn with probability d²/Σd², d being the distance to the nearest
    seed so far. The exact law of the (first, second, third) picks is worked out here from
    that sentence, and 8,000 seeded draws must match every cell within 4 standard errors
    (a pick ∝ d instead of d², or ∝ the distance to the farthest seed, is far outside)."""
    X = np.array([[0.0, 0.0], [1.0, 0.0], [4.0, 0.0], [0.0, 7.0]])
    d2 = ((X[:, None] - X[None]) ** 2).sum(-1)
    expected = np.zeros((4, 4, 4))
    for i in range(4):
        for j in range(4):
            p_j = d2[i, j] / d2[i].sum()
            nearest = np.minimum(d2[i], d2[j])
            for m in range(4):
                if nearest.sum() > 0:
                    expected[i, j, m] = 0.25 * p_j * nearest[m] / nearest.sum()
    assert expected.sum() == pytest.approx(1.0)

    rng, n = np.random.default_rng(20240601), 8000
    counts = np.zeros((4, 4, 4))
    distances = np.sqrt(d2)
    for _ in range(n):
        (a, d_a), (b, d_b), (c, d_c) = kmeans.kmeans_plus_plus(X, 3, rng)
        counts[a, b, c] += 1
        # the distance reported with each pick: to the nearest seed picked before it
        assert (d_a, d_b) == (0.0, distances[a, b])
        assert d_c == min(distances[a, c], distances[b, c])
    freq = counts / n
    tolerance = 4 * np.sqrt(expected * (1 - expected) / n) + 1e-12
    assert np.all(np.abs(freq - expected) <= tolerance)
    assert counts[expected == 0].sum() == 0          # a seed is never picked twice


def test_kmeans_plus_plus_with_fewer_distinct_points_than_k_still_seeds():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [2.0, 0.0], [2.0, 0.0]])
    for seed in range(20):
        draws = list(kmeans.kmeans_plus_plus(X, 3, np.random.default_rng(seed)))
        assert len(draws) == 3
        first, second = X[draws[0][0]], X[draws[1][0]]
        assert not np.array_equal(first, second)     # the second is the other location
        assert draws[1][1] == 2.0 and draws[2][1] == 0.0


@pytest.mark.parametrize("scale", [1.0, 1e200, 1e-300])
def test_kmeans_plus_plus_caption_states_the_distance_in_the_users_units(scale):
    """Two points 5 apart (a 3-4-5 triangle): the second centre must be the other point,
    and the caption says how far it is, whatever the scale of the data."""
    X = np.array([[0.0, 0.0], [3.0, 4.0]]) * scale
    second = [s for s in kmeans.run(X, kmeans.Params(k=2), np.random.default_rng(0))
              if s.phase == "init"][1]
    assert f"this one is {num(5 * scale, 3)} away" in second.caption
    assert second.caption.startswith("k-means++: centre 2 of 2 drawn")
    assert sorted(map(tuple, second.centers)) == sorted(map(tuple, X))


# --- assignment, on few and on many coordinates ---------------------------------------

@pytest.mark.parametrize("d", [1, 2, 3, 4, 5, 8])
def test_assign_equals_a_brute_force_nearest_centre(d):
    """Up to 4 coordinates assign sums squared differences column by column; from 5 on it
    uses one matrix product. Both must equal the plain definition."""
    rng = np.random.default_rng(d)
    X, centers = rng.normal(size=(300, d)), rng.normal(size=(6, d))
    brute = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(-1)
    labels, inertia = kmeans.assign(X, centers)
    np.testing.assert_array_equal(labels, brute.argmin(1))
    assert inertia == pytest.approx(brute.min(1).sum(), rel=1e-12)
    np.testing.assert_allclose(kmeans.squared_distances(X, centers), brute, atol=1e-12)


def test_squared_distances_are_never_negative():
    X = np.full((3, 2), 1e4) + np.array([[0.0, 0.0], [1e-9, 0.0], [0.0, 1e-9]])
    assert (kmeans.squared_distances(X, X) >= 0).all()


@pytest.mark.parametrize("name", SCALINGS)
def test_normalised_points_fill_the_unit_box_exactly(name):
    """(X − centre)·2⁻ᵉ reaches into [½, 1]: scaled by a power of two, so the largest
    coordinate is as big as it can be without passing 1; the centre is the box's middle."""
    X = SCALINGS[name](make_blobs(50, centers=2, random_state=1)[0])
    centre, exponent = kmeans.normalising(X)
    ulps = 4 * np.spacing(np.abs(X).max())             # rounding of the centre itself
    np.testing.assert_allclose(centre - X.min(0), X.max(0) - centre, rtol=1e-12, atol=ulps)
    reach = np.abs(np.ldexp(X - centre, -exponent)).max()
    assert 0.5 <= reach <= 1.0


def test_normalising_identical_points_is_the_identity_scale():
    centre, exponent = kmeans.normalising(np.full((4, 3), -2.5))
    np.testing.assert_array_equal(centre, [-2.5, -2.5, -2.5])
    assert exponent == 0


# --- stopping, against scikit-learn ---------------------------------------------------

@pytest.mark.parametrize(("tol", "max_iter"), [(1e-1, 300), (1e-2, 300), (1e-3, 300),
                                               (0.0, 1), (0.0, 2), (0.0, 3)])
def test_stops_in_the_same_iteration_as_scikit_learn(tol, max_iter):
    """tol is relative to the data's mean variance, as in scikit-learn, and the iteration
    limit counts the same way: both stop after the same number of iterations, with the
    same labels, centres and inertia."""
    X = make_blobs(500, centers=5, cluster_std=2.5, random_state=0)[0]
    start = X[np.random.default_rng(0).choice(len(X), 5, replace=False)]
    ours = kmeans.final(X, kmeans.Params(k=5, init="manual", tol=tol, max_iter=max_iter),
                        np.random.default_rng(0), init_centers=start)
    ref = KMeans(5, init=start, n_init=1, algorithm="lloyd", tol=tol,
                 max_iter=max_iter).fit(X)
    assert ours.iteration == ref.n_iter_
    np.testing.assert_array_equal(ours.labels, ref.labels_)
    np.testing.assert_allclose(ours.centers, ref.cluster_centers_, atol=1e-9)
    assert ours.inertia == pytest.approx(ref.inertia_, rel=1e-9)
    assert ours.phase == "converged"
    if max_iter < 5:
        assert ours.caption.startswith(f"Stopped at the iteration limit ({max_iter})")
    else:
        assert "moved less than the tolerance" in ours.caption


# --- captions say the numbers of their own step ---------------------------------------

def test_captions_give_the_steps_own_numbers():
    X = make_blobs(300, centers=4, cluster_std=2.0, random_state=3)[0]
    steps = list(kmeans.run(X, kmeans.Params(k=4, init="random", tol=0.0),
                            np.random.default_rng(5)))
    for before, step in zip(steps, steps[1:], strict=False):
        text = step.caption
        assert "nan" not in text and "−0" not in text and " 1 points" not in text
        if step.phase == "assign" and step.iteration > 1:
            moved = int((before.labels != step.labels).sum())
            assert text.startswith(f"Assign: {moved:,} point{'s' * (moved != 1)} changed")
        if step.phase in ("assign", "converged"):
            # inertia recomputed from scratch: squared distances to the own centre
            inertia = ((X - step.centers[step.labels]) ** 2).sum()
            assert step.inertia == pytest.approx(inertia, rel=1e-9)
            assert f"(inertia {num(inertia)})" in text
        if step.phase == "update":
            move = np.sqrt(((step.trail[-1] - step.trail[-2]) ** 2).sum(1)).max()
            assert f"(largest move {num(move, 3)})" in text
            inertia = ((X - step.centers[step.labels]) ** 2).sum()
            assert step.inertia == pytest.approx(inertia, rel=1e-9)
    assert steps[-1].phase == "converged"
    assert steps[-1].caption.startswith(f"Converged in iteration {steps[-1].iteration}: no "
                                        "point changed cluster")
    np.testing.assert_array_equal(steps[-1].inertias, [s.inertia for s in steps
                                                       if s.phase != "init"])


def test_tolerance_uses_the_mean_of_the_column_variances():
    """scikit-learn scales tol by the mean of the per-column variances, not the variance
    of all values pooled (which counts the gaps between column means too). A skewed
    column makes the two differ fivefold; the run must stop when scikit-learn's does."""
    X = make_blobs(500, centers=5, cluster_std=2.5, random_state=3)[0]
    X[:, 1] = np.exp(X[:, 1] / 4)
    start = X[np.random.default_rng(3).choice(len(X), 5, replace=False)]
    ours = kmeans.final(X, kmeans.Params(k=5, init="manual", tol=1e-2),
                        np.random.default_rng(0), init_centers=start)
    ref = KMeans(5, init=start, n_init=1, algorithm="lloyd", tol=1e-2).fit(X)
    assert ours.iteration == ref.n_iter_ == 11


# --- the init steps, for each way of choosing the first centres -----------------------

def check_init_step(step, n):
    assert step.phase == "init" and step.iteration == 0
    assert step.labels.shape == (n,) and (step.labels == -1).all()
    assert step.changed.dtype == bool and not step.changed.any()
    assert np.isnan(step.inertia) and len(step.inertias) == 0
    assert step.metrics == {"iteration": 0, "changed": 0}
    assert step.centers.dtype == np.float64


def test_init_steps_for_each_way_of_choosing_centres():
    X = make_blobs(60, centers=3, random_state=4)[0]
    given = [[0, 0], [1, 1], [2, 2]]                           # integers, on purpose
    manual = next(kmeans.run(X, kmeans.Params(k=3, init="manual"),
                             np.random.default_rng(0), init_centers=given))
    check_init_step(manual, 60)
    assert manual.caption == "You placed the 3 starting centres by hand."
    np.testing.assert_array_equal(manual.centers, given)

    random_init = next(kmeans.run(X, kmeans.Params(k=3, init="random"),
                                  np.random.default_rng(0)))
    check_init_step(random_init, 60)
    assert random_init.caption == "Chose 3 data points at random as the starting centres."
    assert all((c == X).all(1).any() for c in random_init.centers)

    plus = [s for s in kmeans.run(X, kmeans.Params(k=3), np.random.default_rng(0))
            if s.phase == "init"]
    for step in plus:
        check_init_step(step, 60)
    assert plus[0].caption == ("k-means++: the first centre is a data point picked uniformly "
                               "at random.")
    assert plus[2].caption.startswith("k-means++: centre 3 of 3 drawn with probability ∝ "
                                      "squared distance to the nearest centre (this one is ")


def test_random_init_never_picks_a_point_twice():
    X = np.arange(8.0).reshape(4, 2)
    for seed in range(30):
        first = next(kmeans.run(X, kmeans.Params(k=4, init="random"),
                                np.random.default_rng(seed)))
        assert len({tuple(c) for c in first.centers}) == 4


def test_kmeans_plus_plus_never_repeats_a_seed_at_a_tiny_scale():
    """Squared distances far below 1 (points 0.001 apart) still decide the draw: with
    three distinct points the three seeds are the three points."""
    X = np.array([[0.0, 0.0], [1e-3, 0.0], [0.0, 2e-3]])
    for seed in range(40):
        picks = [p for p, _ in kmeans.kmeans_plus_plus(X, 3, np.random.default_rng(seed))]
        assert sorted(picks) == [0, 1, 2]


def test_manual_init_messages():
    X = np.zeros((5, 2))
    with pytest.raises(ValueError, match=r"place 2 centres \(0 placed so far\)"):
        next(kmeans.run(X, kmeans.Params(k=2, init="manual"), np.random.default_rng(0)))
    with pytest.raises(ValueError, match="the hand-placed centres must be finite numbers"):
        next(kmeans.run(X, kmeans.Params(k=2, init="manual"), np.random.default_rng(0),
                        init_centers=[[0.0, 0.0], [np.nan, 1.0]]))


# --- assign, update and stop -----------------------------------------------------------

def test_assign_and_update_steps_carry_their_iteration_and_inertia():
    X = make_blobs(200, centers=3, cluster_std=2.0, random_state=6)[0]
    steps = list(kmeans.run(X, kmeans.Params(k=3, init="random", tol=0.0),
                            np.random.default_rng(2)))
    lloyd = [s for s in steps if s.phase in ("assign", "update")]
    assert [s.iteration for s in lloyd] == [1 + i // 2 for i in range(len(lloyd))]
    first = lloyd[0]
    assert first.caption.startswith("Assign: every point joins its nearest centre (inertia ")
    assert first.changed.dtype == bool and not first.changed.any()
    assert first.metrics["changed"] == 0
    for s in steps[1:]:
        assert s.metrics["iteration"] == s.iteration
        assert s.metrics["inertia"] == s.inertia
    assert all(s.caption.startswith("Update: each centre moved to the mean of its points")
               for s in lloyd if s.phase == "update")


def test_no_change_in_the_second_assignment_stops_there():
    """Two tight pairs, each started on one of its points: the first update moves the
    centres to the pair means, the second assignment changes nothing, and the run stops
    in iteration 2 for that reason."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    steps = list(kmeans.run(X, kmeans.Params(k=2, init="manual", tol=0.0),
                            np.random.default_rng(0), init_centers=X[[0, 2]]))
    assert [s.phase for s in steps] == ["init", "assign", "update", "assign", "converged"]
    assert steps[-1].caption == ("Converged in iteration 2: no point changed cluster, so the "
                                 "centres cannot move again (inertia 1).")


def test_identical_rows_stop_by_tolerance_in_the_first_iteration():
    last = kmeans.final(np.full((30, 2), 7.0), kmeans.Params(k=3, tol=0.0),
                        np.random.default_rng(0))
    assert last.iteration == 1 and "moved less than the tolerance" in last.caption


def test_two_empty_clusters_are_named_together():
    X = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 0.0]])
    start = np.array([[0.0, 0.0], [50.0, 50.0], [60.0, 60.0]])
    update = next(s for s in kmeans.run(X, kmeans.Params(k=3, init="manual"),
                                        np.random.default_rng(0), init_centers=start)
                  if s.phase == "update")
    assert update.caption.startswith("Update: each centre moved to the mean of its points")
    assert update.caption.endswith(" Cluster 2, 3 have no points, so their centres stay put.")
    np.testing.assert_array_equal(update.centers[1:], start[1:])


# --- the elbow ---------------------------------------------------------------------------

def test_elbow_defaults_to_a_fixed_seed_and_honours_a_given_one():
    X = np.random.default_rng(3).uniform(size=(120, 2))
    ks = range(3, 8)
    np.testing.assert_array_equal(kmeans.elbow(X, ks), kmeans.elbow(X, ks))
    seeded = [kmeans.elbow(X, ks, np.random.default_rng(s)) for s in (1, 2, 3)]
    assert not all(np.array_equal(seeded[0], other) for other in seeded[1:])


def test_elbow_is_nan_where_k_exceeds_the_points_and_honours_init():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0]])
    curve = kmeans.elbow(X, range(1, 6), np.random.default_rng(0))
    # k = 1: squared distances to the mean 2 are 4 + 1 + 9 = 14; k = 2: {0, 1} and {5}: 0.5
    np.testing.assert_allclose(curve[:3], [14.0, 0.5, 0.0], atol=1e-12)
    assert np.isnan(curve[3:]).all()
    with pytest.raises(ValueError, match="init must be one of"):
        kmeans.elbow(X, range(1, 3), init="furthest")
