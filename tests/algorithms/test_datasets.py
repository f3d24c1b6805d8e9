"""The toy data sets: contract, determinism, and geometry checked against scikit-learn."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_blobs, make_circles, make_moons

from algorithms import datasets
from algorithms.datasets import GENERATORS, make

NAMES = sorted(GENERATORS)


def fit_circle(points):
    """Least-squares circle through points (Kasa fit): returns centre and radius."""
    x, y = points[:, 0], points[:, 1]
    A = np.column_stack([2 * x, 2 * y, np.ones_like(x)])
    (cx, cy, c), *_ = np.linalg.lstsq(A, x**2 + y**2, rcond=None)
    return np.array([cx, cy]), float(np.sqrt(c + cx**2 + cy**2))


def angles_about(points, centre, middle):
    """Signed angle of each point seen from centre, measured from the direction middle."""
    d = points - centre
    cross = middle[0] * d[:, 1] - middle[1] * d[:, 0]
    return np.arctan2(cross, d @ middle)


# --- the contract every generator keeps -------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n_points", [1, 2, 7, 300])
def test_shapes_and_dtypes(name, n_points):
    X, y = make(name, n_points=n_points)
    assert X.shape == (n_points, 2) and X.dtype == np.float64
    assert y.shape == (n_points,) and y.dtype == np.int64
    assert np.isfinite(X).all()


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_data_other_seed_other_data(name):
    X1, y1 = make(name, seed=3)
    X2, y2 = make(name, seed=3)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = make(name, seed=4)
    assert not np.allclose(X1, X3)


@pytest.mark.parametrize("name", NAMES)
def test_fits_the_default_view(name):
    X, _ = make(name, n_points=2000)
    inside = np.abs(X).max(axis=1) <= 10
    assert inside.mean() > 0.99


@pytest.mark.parametrize("name", ["blobs", "anisotropic", "circles", "smiley"])
def test_points_are_shuffled(name):
    _, y = make(name, n_points=300)
    assert (np.diff(y) < 0).any(), "labels come out sorted, so point order gives them away"


@pytest.mark.parametrize(("name", "k", "counts"), [
    ("blobs", 3, [100, 100, 100]),
    ("blobs", 4, [75, 75, 75, 75]),
    ("anisotropic", 2, [150, 150]),
    ("circles", 3, [100, 100, 100]),
    ("moons", 5, [150, 150]),          # n_clusters ignored
    ("uniform", 4, [300]),             # everything is label 0
    ("smiley", 7, [60, 60, 180]),      # eyes, eyes, mouth
])
def test_label_counts(name, k, counts):
    _, y = make(name, n_points=300, n_clusters=k)
    assert np.bincount(y).tolist() == counts


def test_uneven_split_gives_earlier_groups_the_extra_points():
    _, y = make("blobs", n_points=302, n_clusters=3)
    assert np.bincount(y).tolist() == [101, 101, 100]


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(NAMES), n=st.integers(1, 400), k=st.integers(1, 9),
       noise=st.floats(0, 2), seed=st.integers(0, 2**32 - 1))
def test_any_valid_arguments_give_valid_data(name, n, k, noise, seed):
    X, y = make(name, n, k, noise, seed)
    assert X.shape == (n, 2) and np.isfinite(X).all()
    assert y.min() >= 0 and y.max() < max(k, 3)


# --- bad arguments ----------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "words"), [
    ({"n_points": 0}, "n_points"),
    ({"n_points": -5}, "n_points"),
    ({"n_points": 2.5}, "whole numbers"),
    ({"n_clusters": 0}, "n_clusters"),
    ({"noise": -0.1}, "noise"),
    ({"noise": float("nan")}, "noise"),
])
@pytest.mark.parametrize("name", NAMES)
def test_bad_arguments_raise_value_error(name, kwargs, words):
    with pytest.raises(ValueError, match=words):
        make(name, **kwargs)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown data set 'spiral'.*moons"):
        make("spiral")


# --- geometry against scikit-learn ------------------------------------------------------

def test_blob_means_and_spread_match_the_centres():
    seed, k, noise, n = 11, 4, 0.08, 8000
    centres = datasets.blob_centres(k, np.random.default_rng(seed))
    X, y = datasets.blobs(n, k, noise, np.random.default_rng(seed))
    sigma = noise * datasets.BLOB_SPREAD
    # scikit-learn's make_blobs around the same centres is the yardstick for the spread
    X_ref, y_ref = make_blobs(n_samples=n, centers=centres, cluster_std=sigma, random_state=0)
    per_cluster = n // k
    tolerance = 5 * sigma / np.sqrt(per_cluster)
    for i, c in enumerate(centres):
        np.testing.assert_allclose(X[y == i].mean(axis=0), c, atol=tolerance)
        np.testing.assert_allclose(X[y == i].std(axis=0), X_ref[y_ref == i].std(axis=0),
                                   rtol=0.1)


def test_anisotropic_clusters_share_the_sheared_covariance():
    seed, k, noise = 5, 3, 0.05
    centres = datasets.blob_centres(k, np.random.default_rng(seed))
    X, y = datasets.anisotropic(9000, k, noise, np.random.default_rng(seed))
    sigma = noise * datasets.BLOB_SPREAD
    expected = sigma**2 * datasets.SHEAR @ datasets.SHEAR.T
    for i, c in enumerate(centres):
        np.testing.assert_allclose(X[y == i].mean(axis=0), c, atol=0.1)
        np.testing.assert_allclose(np.cov(X[y == i].T), expected, atol=0.1 * expected.max())
    long_axis, short_axis = np.sqrt(np.linalg.eigvalsh(expected))[::-1]
    assert long_axis / short_axis > 4


def test_moons_lie_on_the_scikit_learn_curves():
    X_ref, y_ref = make_moons(n_samples=400, noise=0.0, random_state=0)
    X, y = make("moons", n_points=400, noise=0.0, seed=2)
    ref = [fit_circle(X_ref[y_ref == i]) for i in (0, 1)]
    mine = [fit_circle(X[y == i]) for i in (0, 1)]
    # each moon is an arc of one circle...
    for (centre, radius), label in zip(mine, (0, 1), strict=True):
        distances = np.linalg.norm(X[y == label] - centre, axis=1)
        np.testing.assert_allclose(distances, radius, rtol=1e-9)
    # ...both circles have the same size, and sit the same way round as scikit-learn's
    assert mine[1][1] / mine[0][1] == pytest.approx(ref[1][1] / ref[0][1], rel=1e-9)
    offset_ref = (ref[1][0] - ref[0][0]) / ref[0][1]
    offset = (mine[1][0] - mine[0][0]) / mine[0][1]
    np.testing.assert_allclose(offset, offset_ref, atol=1e-9)
    # ...and covers the same half of it (the upper moon is label 0 in both): angles are
    # taken from the middle of scikit-learn's arc, which is the same direction in both
    for i in (0, 1):
        middle = X_ref[y_ref == i].mean(axis=0) - ref[i][0]
        middle /= np.linalg.norm(middle)
        a_ref = angles_about(X_ref[y_ref == i], ref[i][0], middle)
        a = angles_about(X[y == i], mine[i][0], middle)
        assert a_ref.min() - 1e-6 <= a.min() < a_ref.min() + 0.1
        assert a_ref.max() - 0.1 < a.max() <= a_ref.max() + 1e-6


def test_moon_noise_means_what_scikit_learn_means():
    def spread(X, y):
        """Std of distances from each point to its noise-free circle, in moon radii."""
        out = []
        for i in (0, 1):
            clean = X_clean[y_clean == i]
            centre, radius = fit_circle(clean)
            out.append(np.std(np.linalg.norm(X[y == i] - centre, axis=1)) / radius)
        return np.mean(out)

    X_clean, y_clean = make_moons(n_samples=400, noise=0.0)
    X_ref, y_ref = make_moons(n_samples=6000, noise=0.05, random_state=1)
    ref = spread(X_ref, y_ref)
    X_clean, y_clean = make("moons", n_points=400, noise=0.0)
    mine = spread(*make("moons", n_points=6000, noise=0.05))
    assert mine == pytest.approx(ref, rel=0.1)


def test_two_circles_match_scikit_learn_half_factor():
    X_ref, y_ref = make_circles(n_samples=400, noise=0.0, factor=0.5, random_state=0)
    X, y = make("circles", n_points=400, n_clusters=2, noise=0.0)
    ref = [fit_circle(X_ref[y_ref == i]) for i in (0, 1)]
    mine = [fit_circle(X[y == i]) for i in (0, 1)]
    assert mine[1][1] / mine[0][1] == pytest.approx(ref[1][1] / ref[0][1], rel=1e-9)
    np.testing.assert_allclose(mine[0][0], mine[1][0], atol=1e-9)  # concentric
    for (centre, radius), label in zip(mine, (0, 1), strict=True):
        distances = np.linalg.norm(X[y == label] - centre, axis=1)
        np.testing.assert_allclose(distances, radius, rtol=1e-9)


def test_more_rings_are_evenly_spaced():
    X, y = make("circles", n_points=500, n_clusters=5, noise=0.0)
    radii = [np.linalg.norm(X[y == i], axis=1).mean() for i in range(5)]
    np.testing.assert_allclose(radii, datasets.RING_RADIUS * np.array([5, 4, 3, 2, 1]) / 5)


def test_uniform_fills_the_square_evenly():
    X, _ = make("uniform", n_points=20000)
    half = datasets.UNIFORM_HALF
    assert np.abs(X).max() <= half
    counts, *_ = np.histogram2d(X[:, 0], X[:, 1], bins=4, range=[[-half, half]] * 2)
    np.testing.assert_allclose(counts, 20000 / 16, rtol=0.15)


def test_smiley_has_two_eyes_above_a_mouth():
    X, y = make("smiley", n_points=1000, noise=0.0)
    left, right, mouth = (X[y == i].mean(axis=0) for i in range(3))
    assert left[0] < 0 < right[0]
    assert left[1] == pytest.approx(right[1], abs=0.3)
    assert mouth[1] < left[1] - 3
    # a smile: the mouth's ends are higher than its middle
    m = X[y == 2]
    ends = m[np.abs(m[:, 0]) > 4, 1].mean()
    middle = m[np.abs(m[:, 0]) < 1, 1].mean()
    assert ends > middle + 1


# --- where the blob centres go ----------------------------------------------------------

def test_blob_centres_are_evenly_spaced_on_a_ring_with_a_random_turn():
    """k centres sit 2π/k apart in angle, at radii between ¾ and 1 of BLOB_RING, each its
    own; the turn of the whole ring is uniform over the circle (1,000 seeds, quarter
    circles within 4 standard errors)."""
    turns, radii = [], []
    for seed in range(1000):
        k = 2 + seed % 5
        c = datasets.blob_centres(k, np.random.default_rng(seed))
        angles = np.arctan2(c[:, 1], c[:, 0])
        steps = np.diff(np.unwrap(angles))
        np.testing.assert_allclose(np.abs(steps), 2 * np.pi / k, rtol=1e-9)
        r = np.hypot(c[:, 0], c[:, 1])
        assert len(set(r)) == k                        # each centre draws its own radius
        radii.extend(r)
        turns.append(angles[0] % (2 * np.pi))
    ring = datasets.BLOB_RING
    assert 0.75 * ring <= min(radii) < 0.76 * ring and 0.99 * ring < max(radii) <= ring
    quarters = np.bincount((np.array(turns) // (np.pi / 2)).astype(int), minlength=4)
    assert np.all(np.abs(quarters - 250) < 4 * np.sqrt(1000 * 0.25 * 0.75))


def test_a_single_blob_is_centred_anywhere_in_the_middle_square():
    centres = np.array([datasets.blob_centres(1, np.random.default_rng(s))[0]
                        for s in range(300)])
    assert np.abs(centres).max() <= 3.0
    assert (centres.min(0) < -2.8).all() and (centres.max(0) > 2.8).all()


# --- moons, rings and the smiley, drawn without noise -----------------------------------

def test_moons_are_centred_in_the_view():
    X, _ = make("moons", n_points=2000, noise=0.0)
    np.testing.assert_allclose((X.min(0) + X.max(0)) / 2, 0.0, atol=0.01)


def test_ring_points_go_all_the_way_round():
    """Each ring's points are spread evenly over the full circle: eight equal sectors get
    an eighth each (within 4 standard errors)."""
    X, y = make("circles", n_points=6000, n_clusters=3, noise=0.0)
    for ring in range(3):
        angles = np.arctan2(X[y == ring, 1], X[y == ring, 0]) % (2 * np.pi)
        sectors = np.bincount((angles // (np.pi / 4)).astype(int), minlength=8)
        assert np.all(np.abs(sectors - 250) < 4 * np.sqrt(2000 / 8 * 7 / 8))


def test_circle_noise_means_what_scikit_learn_means():
    """noise is the spread around the ring in units of the outer radius, as in
    make_circles: measured about each ring's own fitted circle, both agree within 10%."""
    def spread(X, y, outer):
        return np.mean([np.std(np.linalg.norm(X[y == i] - fit_circle(X[y == i])[0], axis=1))
                        for i in (0, 1)]) / outer

    X_ref, y_ref = make_circles(n_samples=6000, noise=0.03, factor=0.5, random_state=0)
    X, y = make("circles", n_points=6000, n_clusters=2, noise=0.03)
    assert spread(X, y, datasets.RING_RADIUS) == pytest.approx(spread(X_ref, y_ref, 1.0),
                                                               rel=0.1)


def test_smiley_eyes_are_filled_discs():
    """Eyes: discs of radius 1.3 at (∓3.5, 3.5), filled evenly by area, so half the points
    lie within radius 1.3/√2, and in every direction from the centre."""
    X, y = make("smiley", n_points=5000, noise=0.0)
    for label, centre in ((0, (-3.5, 3.5)), (1, (3.5, 3.5))):
        eye = X[y == label] - centre
        r = np.hypot(eye[:, 0], eye[:, 1])
        assert r.max() <= 1.3 and r.max() > 1.29
        inner = (r < 1.3 / np.sqrt(2)).mean()
        assert abs(inner - 0.5) < 4 * np.sqrt(0.25 / len(r))
        np.testing.assert_allclose(eye.mean(0), 0.0, atol=0.06)
        sectors = np.bincount((np.arctan2(eye[:, 1], eye[:, 0]) % (2 * np.pi)
                               // (np.pi / 2)).astype(int), minlength=4)
        assert np.all(np.abs(sectors - len(r) / 4) < 4 * np.sqrt(len(r) * 3 / 16))


def test_smiley_mouth_is_an_arc_symmetric_about_straight_down():
    """The mouth lies on a circle of radius 6.5 about (0, 1.5) and spans 130° centred on
    270° (straight down), so its two ends are level."""
    X, y = make("smiley", n_points=5000, noise=0.0)
    mouth = X[y == 2]
    centre, radius = fit_circle(mouth)
    np.testing.assert_allclose(centre, (0.0, 1.5), atol=1e-9)
    assert radius == pytest.approx(6.5, rel=1e-12)
    degrees = np.degrees(np.arctan2(mouth[:, 1] - 1.5, mouth[:, 0])) % 360
    assert degrees.min() + degrees.max() == pytest.approx(540, abs=0.5)
    assert degrees.max() - degrees.min() == pytest.approx(130, abs=0.5)


def test_smiley_noise_is_in_tenths_of_the_face():
    """The face spans about 13 units, so noise 0.05 spreads the mouth 0.065 either side of
    its arc (measured about the noise-free circle)."""
    X, y = make("smiley", n_points=10000, noise=0.05)
    mouth = X[y == 2]
    off = np.hypot(mouth[:, 0], mouth[:, 1] - 1.5) - 6.5
    assert np.std(off) == pytest.approx(1.3 * 0.05, rel=0.05)


@pytest.mark.parametrize(("n", "counts"), [(301, [61, 60, 180]), (302, [61, 61, 180])])
def test_smiley_eyes_take_the_first_two_fifths(n, counts):
    # split(n, 5) gives the extra points to the earlier fifths: the eyes are fifths 1 and 2
    _, y = make("smiley", n_points=n)
    assert np.bincount(y).tolist() == counts


def test_an_unknown_data_set_is_named_with_the_choices():
    from algorithms import datasets as generators

    choices = ", ".join(generators.GENERATORS)
    with pytest.raises(ValueError, match=f"^unknown data set 'nope'; choose one of: {choices}$"):
        generators.make("nope")
