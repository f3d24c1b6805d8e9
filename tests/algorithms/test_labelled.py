"""Labelled data: generated shapes, the checks on user data, the stratified split."""

import dataclasses
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from algorithms import labelled
from algorithms.labelled import (
    MAX_CLASSES,
    MULTICLASS_SHAPES,
    SHAPES,
    Data,
    Scaling,
    check,
    generate,
    split_mask,
)


def make(shape, seed=0, **kw):
    return generate(Data(shape=shape, **kw), seed=seed)


# --- generated data ----------------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("points", "classes"), [(10, 2), (301, 3), (1000, 5)])
def test_shapes_labels_and_balance(shape, points, classes):
    d = make(shape, points=points, classes=classes)
    expected = classes if shape in MULTICLASS_SHAPES else 2
    assert d.X.shape == (points, 2) and d.X.dtype == np.float64
    assert d.y.shape == (points,) and d.y.dtype == np.int64
    assert d.names == tuple("ABCDE"[:expected])
    counts = np.bincount(d.y, minlength=expected)
    assert len(counts) == expected
    assert counts.max() - counts.min() <= 1           # as even as the count allows
    assert np.isfinite(d.X).all() and (np.abs(d.X).max(axis=1) <= 12).mean() > 0.99


@pytest.mark.parametrize("shape", SHAPES)
def test_same_seed_same_data_other_seed_other_data(shape):
    a, b = make(shape, seed=5), make(shape, seed=5)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.train, b.train)
    c = make(shape, seed=6)
    assert not np.allclose(a.X, c.X)
    assert not np.array_equal(a.train, c.train)


@pytest.mark.parametrize("shape", ["blobs", "xor", "spirals", "linear"])
def test_points_are_shuffled(shape):
    y = make(shape, points=400).y
    assert np.mean(y[1:] != y[:-1]) > 0.3   # sorted labels would change class only once


def test_xor_without_noise_is_labelled_by_quadrant():
    # By hand: class 0 holds the lower-left and upper-right quadrants, where x·y > 0.
    d = make("xor", points=400, noise=0.0)
    np.testing.assert_array_equal(d.y, (d.X[:, 0] * d.X[:, 1] < 0).astype(int))
    assert np.abs(d.X).max() <= labelled.HALF
    # uniform over each quadrant: right up to the axes and out to the corners
    assert np.abs(d.X).min(axis=0).max() < 0.2 and np.abs(d.X).max(axis=0).min() > 7.5


@pytest.mark.parametrize("classes", [2, 3, 4])
def test_spirals_without_noise_lie_on_their_arm(classes):
    # Arm c: radius r = R·t and angle θ = 2π(T·t + c/K), so (θ/2π − T·r/R)·K ≡ c (mod K).
    d = make("spirals", points=500, classes=classes, noise=0.0)
    r = np.hypot(d.X[:, 0], d.X[:, 1])
    theta = np.arctan2(d.X[:, 1], d.X[:, 0]) / (2 * np.pi)
    arm = ((theta - labelled.SPIRAL_TURNS * r / labelled.SPIRAL_RADIUS) * classes) % classes
    nearest = np.round(arm) % classes
    np.testing.assert_allclose((arm - np.round(arm) + 0.5) % 1 - 0.5, 0, atol=1e-9)
    np.testing.assert_array_equal(nearest, d.y)
    assert r.min() >= labelled.SPIRAL_START * labelled.SPIRAL_RADIUS - 1e-9
    assert r.min() < (labelled.SPIRAL_START + 0.05) * labelled.SPIRAL_RADIUS
    assert labelled.SPIRAL_RADIUS * 0.95 < r.max() <= labelled.SPIRAL_RADIUS + 1e-9


def test_linear_without_noise_is_separable_by_a_line_and_not_with_noise():
    clean = make("linear", points=300, noise=0.0)
    svm = LinearSVC(C=1e4, max_iter=200_000).fit(clean.X, clean.y)
    assert svm.score(clean.X, clean.y) == 1.0
    noisy = make("linear", points=300, noise=0.3)
    assert LinearSVC(C=1e4, max_iter=200_000).fit(noisy.X, noisy.y).score(noisy.X, noisy.y) < 1


@pytest.mark.parametrize(("shape", "classes", "unit"), [
    ("xor", 2, labelled.HALF), ("linear", 2, labelled.HALF),
    ("spirals", 2, labelled.SPIRAL_RADIUS / (labelled.SPIRAL_TURNS * 2)),
    ("spirals", 4, labelled.SPIRAL_RADIUS / (labelled.SPIRAL_TURNS * 4)),
])
def test_noise_is_a_gaussian_jitter_of_the_stated_size(shape, classes, unit):
    # the jitter is drawn after the shape, so the same seed gives the same clean points
    clean = make(shape, points=4000, classes=classes, noise=0.0, seed=3)
    noisy = make(shape, points=4000, classes=classes, noise=0.2, seed=3)
    jitter = noisy.X - clean.X
    np.testing.assert_allclose(jitter.std(axis=0), 0.2 * unit, rtol=0.06)
    np.testing.assert_allclose(jitter.mean(axis=0), 0.0, atol=0.1 * unit)
    np.testing.assert_array_equal(noisy.y, clean.y)


def test_linear_fills_the_square_and_its_line_turns_every_way():
    d = make("linear", points=2000, noise=0.0)
    assert d.X.min() < -7.9 and d.X.max() > 7.9
    quadrants = set()
    for seed in range(16):
        d = make("linear", points=400, noise=0.0, seed=seed)
        normal = d.X[d.y == 1].mean(axis=0) - d.X[d.y == 0].mean(axis=0)
        quadrants.add((normal[0] > 0, normal[1] > 0))
    assert len(quadrants) == 4


def test_noise_widens_the_spread_around_the_shape():
    # xor without jitter stays inside the square; with jitter σ = noise·HALF it spills out
    inside = [np.mean(np.abs(make("xor", points=2000, noise=n).X).max(axis=1) <= labelled.HALF)
              for n in (0.0, 0.1, 0.4)]
    assert inside[0] == 1.0 and inside[0] > inside[1] > inside[2]


def test_generate_refuses_what_the_controls_never_offer():
    with pytest.raises(ValueError, match="unknown data set 'stars'"):
        generate(Data(shape="stars"))
    with pytest.raises(ValueError, match="2 to 5 classes"):
        generate(Data(shape="blobs", classes=6))
    # shapes with two classes ignore the count
    assert generate(Data(shape="moons", classes=6)).names == ("A", "B")


# --- the split ---------------------------------------------------------------------------
@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.25, 0.5, 0.9])
def test_split_is_stratified_and_disjoint(fraction):
    d = make("blobs", points=503, classes=4, test_fraction=fraction)
    assert d.train.dtype == bool and not (d.train & d.test).any() and (d.train | d.test).all()
    assert len(d.X_train) + len(d.X_test) == 503
    for c in range(4):
        m = int((d.y == c).sum())
        assert int((d.test & (d.y == c)).sum()) == min(round(fraction * m), m - 1)
    np.testing.assert_array_equal(d.X_train, d.X[d.train])
    np.testing.assert_array_equal(d.y_test, d.y[~d.train])
    np.testing.assert_array_equal(d.train_index, np.flatnonzero(d.train))


def test_split_per_class_sizes_agree_with_scikit_learn_within_one():
    y = np.repeat([0, 1, 2], [50, 31, 19])
    ours = ~split_mask(y, 0.3, seed=0)
    _, test = train_test_split(np.arange(len(y)), test_size=0.3, stratify=y, random_state=0)
    theirs = np.bincount(y[test], minlength=3)
    assert np.abs(np.bincount(y[ours], minlength=3) - theirs).max() <= 1


def test_split_keeps_a_training_point_in_every_class():
    y = np.array([0, 0, 0, 1, 2, 2])
    train = split_mask(y, 0.9, seed=1)
    assert set(y[train]) == {0, 1, 2}
    assert train[3]        # the lone point of class 1 always trains
    # round(0.9·3) = 3 and round(0.9·2) = 2 would take every point: one of each stays
    np.testing.assert_array_equal(np.bincount(y[~train]), [2, 0, 1])


def test_defaults_are_seed_0_and_the_seed_reaches_the_split():
    y = np.random.default_rng(0).integers(0, 3, 60)
    np.testing.assert_array_equal(split_mask(y, 0.3), split_mask(y, 0.3, seed=0))
    X = np.random.default_rng(1).normal(size=(60, 2))
    np.testing.assert_array_equal(labelled.labelled(X, y).train, split_mask(y, 0.25, 0))
    np.testing.assert_array_equal(labelled.labelled(X, y, seed=7).train,
                                  split_mask(y, 0.25, 7))
    np.testing.assert_array_equal(generate(Data()).X, generate(Data(), seed=0).X)
    d = generate(Data(shape="blobs", classes=3), seed=5)
    np.testing.assert_array_equal(d.train, split_mask(d.y, 0.25, 5))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), small=st.floats(0, 0.89), big=st.floats(0, 0.89),
       n=st.integers(2, 200))
def test_a_larger_test_fraction_only_adds_test_points(seed, small, big, n):
    small, big = sorted((small, big))
    y = np.random.default_rng(seed).integers(0, 3, n)
    test_small, test_big = ~split_mask(y, small, seed), ~split_mask(y, big, seed)
    assert not (test_small & ~test_big).any()


def test_appending_a_point_leaves_the_other_classes_split_alone():
    y = np.random.default_rng(0).integers(0, 3, 90)
    before = split_mask(y, 0.3, seed=4)
    after = split_mask(np.append(y, 2), 0.3, seed=4)
    others = y != 2
    np.testing.assert_array_equal(before[others], after[:-1][others])


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 1.5])
def test_split_refuses_a_fraction_outside_0_to_1(fraction):
    with pytest.raises(ValueError, match="test fraction must be at least 0 and below 1"):
        split_mask(np.array([0, 1, 0, 1]), fraction)


# --- user data ---------------------------------------------------------------------------
def test_text_labels_become_sorted_codes_with_their_names():
    X = np.arange(10.0).reshape(5, 2)
    d = labelled.labelled(X, ["dog", "cat", "dog", "emu", "cat"], test_fraction=0.0)
    assert d.names == ("cat", "dog", "emu")
    np.testing.assert_array_equal(d.y, [1, 0, 1, 2, 0])
    assert d.train.all() and len(d.X_test) == 0


def test_float_labels_that_are_whole_numbers_are_named_without_a_point():
    d = labelled.labelled(np.arange(8.0).reshape(4, 2), [2.0, 5.0, 2.0, 5.0])
    assert d.names == ("2", "5")


def test_names_given_keep_the_codes_and_may_name_empty_classes():
    d = labelled.labelled(np.arange(8.0).reshape(4, 2), [0, 2, 0, 2], names="ABCD")
    assert d.names == ("A", "B", "C", "D") and d.n_classes == 4
    np.testing.assert_array_equal(d.y, [0, 2, 0, 2])
    assert d.name(2) == "C"


def test_whole_number_float_codes_with_names_are_accepted_as_integers():
    d = labelled.labelled(np.arange(8.0).reshape(4, 2), np.array([0.0, 1.0, 0.0, 2.0]),
                          names="ABC")
    assert d.y.dtype == np.int64
    np.testing.assert_array_equal(d.y, [0, 1, 0, 2])


def test_values_at_the_limits_are_accepted():
    X = np.array([[labelled.LARGEST_VALUE, 0.0], [0.0, 1.0]])
    assert check(X, [0, 1])[0][0, 0] == 1e100
    X = np.array([[0.0, 0.0], [labelled.SMALLEST_SPAN, 1.0]])
    assert check(X, [0, 1])[0][1, 0] == 1e-100


def test_ten_classes_are_accepted():
    X = np.random.default_rng(0).normal(size=(40, 2))
    assert labelled.labelled(X, np.arange(40) % MAX_CLASSES).n_classes == 10


@pytest.mark.parametrize(("X", "y", "names", "message"), [
    (np.array([[0.0, 1.0], [np.nan, 2.0], [1.0, np.inf]]), [0, 1, 0], None,
     "NaN or infinite values in 2 rows"),
    (np.array([[0.0, 1.0], [np.nan, 2.0], [1.0, 1.0]]), [0, 1, 0], None, "in 1 row;"),
    (np.arange(8.0).reshape(4, 2), [1, 1, 1, 1], None, r"all points are in one class \(1\)"),
    (np.arange(8.0).reshape(4, 2), [3, 3, 3, 3], "ABCD", r"one class \(D\)"),
    (np.random.default_rng(0).normal(size=(100, 2)), np.arange(100) % 50, None,
     "the labels have 50 classes; at most 10"),
    (np.random.default_rng(0).normal(size=(22, 2)), np.arange(22) % 11, None, "have 11 classes"),
    (np.zeros((4, 3)), [0, 1, 0, 1], None, "exactly two feature columns"),
    (np.zeros(4), [0, 1, 0, 1], None, "exactly two feature columns"),
    (np.zeros((1, 2)), [0], None, "at least two points, got 1"),
    (np.arange(8.0).reshape(4, 2), [0, 1, 0], None, "one label per point: 4 points"),
    (np.arange(8.0).reshape(4, 2), [0, 1, 0, 4], "ABCD", "between 0 and 3"),
    (np.arange(8.0).reshape(4, 2), [0, -1, 0, 1], "AB", "between 0 and 1"),
    (np.arange(8.0).reshape(4, 2), [0, 1.5, 0, 1], "AB", "whole-number class codes"),
    (np.arange(8.0).reshape(4, 2), ["a", "b", "a", "b"], "AB", "whole-number class codes"),
    (np.arange(8.0).reshape(4, 2), [0.0, np.nan, 1.0, 1.0], None, r"missing \(NaN\)"),
    (np.array([["a", "b"], ["c", "d"]]), [0, 1], None, "must be numbers"),
    (np.array([[1e200, 0.0], [0.0, 1.0]]), [0, 1], None, "reach 1e[+]200"),
    (np.array([[5.0, 1e-300], [5.0, 0.0]]), [0, 1], None, "feature 2 varies by only 1e-300"),
    (np.array([[1e30 + 1, 2.0], [1e30 - 1, 2.0]]), [0, 1], None,
     "all points lie at the same place, so nothing tells the classes apart"),
])
def test_bad_data_gets_one_clear_sentence(X, y, names, message):
    with pytest.raises(ValueError, match=message):
        check(X, np.asarray(y), names)


def test_large_offsets_and_constant_features_are_fine():
    X = np.column_stack([1e8 + np.arange(6.0), np.zeros(6)])
    Xc, y, names = check(X, [0, 1, 0, 1, 0, 1])
    np.testing.assert_array_equal(Xc, X)
    assert names == ("0", "1")


def test_arrays_are_read_only():
    d = make("moons")
    for a in (d.X, d.y, d.train, d.test, d.X_train, d.y_train, d.X_test, d.y_test):
        with pytest.raises(ValueError):
            a[0] = 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.names = ("x", "y")


# --- shared helpers ----------------------------------------------------------------------
def test_scaling_matches_standard_scaler_and_keeps_constant_features():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(3, 2, 50), np.full(50, 7.0), rng.normal(0, 0.3, 50)])
    s = Scaling.fit(X)
    ref = StandardScaler().fit(X)
    np.testing.assert_allclose(s.apply(X), ref.transform(X), atol=1e-12)
    np.testing.assert_allclose(s.scale, ref.scale_)
    assert not s.identity and Scaling.none().identity
    Z = np.array([[1.0, 2.0]])
    assert Scaling.none().apply(Z) is not None
    np.testing.assert_array_equal(Scaling.none().apply(Z), Z)
    assert Scaling.none().mean.shape == (2,) and Scaling.none().scale.shape == (2,)
    assert Scaling.none().apply([[1, 2]]).dtype == np.float64
    np.testing.assert_array_equal(labelled.scaling_for(X, False).scale, [1, 1, 1])
    np.testing.assert_allclose(labelled.scaling_for(X, True).mean,
                               [X[:, 0].mean(), 7.0, X[:, 2].mean()])


def test_scores_report_train_and_test_accuracy():
    class Threshold:  # predicts class 1 right of x = 0
        @staticmethod
        def predict(X):
            return (X[:, 0] > 0).astype(int)

    X = np.array([[-2.0, 0], [-1, 0], [1, 0], [2, 0], [-3, 0], [3, 0], [0.5, 0], [-0.5, 0]])
    y = np.array([0, 0, 1, 1, 0, 1, 0, 0])
    d = labelled.LabelledData(X=X, y=y, names=("A", "B"),
                              train=np.array([1, 1, 1, 1, 0, 0, 0, 0], bool))
    # test points: −3 → 0 ✓, 3 → 1 ✓, 0.5 → 1 ✗ (truth 0), −0.5 → 0 ✓: 3 of 4
    assert labelled.scores(Threshold, d) == {"train accuracy": 1.0, "test accuracy": 0.75}
    everything = dataclasses.replace(d, train=np.ones(8, bool))
    assert labelled.scores(Threshold, everything) == {"train accuracy": 7 / 8}
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no "mean of empty slice": there is nothing to score
        assert np.isnan(labelled.accuracy(np.array([]), np.array([])))
