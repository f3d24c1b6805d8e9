"""PCA against scikit-learn's PCA (and StandardScaler), the covariance closed form, and
hand-worked cases; the stepwise story's bookkeeping and its bad-input messages."""

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from algorithms import pca


def cloud(n=400, d=4, seed=0):
    """Correlated Gaussian rows with clearly distinct variances (no ties between PCs)."""
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(d, d)) * np.linspace(3.0, 0.5, d)[:, None]
    return rng.normal(size=(n, d)) @ mix + rng.normal(size=d) * 5


def same_up_to_sign(ours, ref, atol=1e-9):
    """Rows of ours equal rows of ref, each possibly negated."""
    signs = np.sign(np.sum(ours * ref, axis=1))
    assert np.all(signs != 0)
    np.testing.assert_allclose(ours * signs[:, None], ref, atol=atol)
    return signs


DATA = [("tall 400×4", cloud()), ("wide 6×9", cloud(6, 9, 1)), ("square 30×30", cloud(30, 30, 2)),
        ("2 columns", cloud(200, 2, 3))]


@pytest.mark.parametrize("method", pca.METHODS)
@pytest.mark.parametrize(("name", "X"), DATA, ids=[d[0] for d in DATA])
def test_matches_scikit_learn(name, X, method):
    ours = pca.fit(X, method=method)
    ref = PCA(svd_solver="full").fit(X)
    m = min(X.shape)
    assert ours.components.shape == (m, X.shape[1])
    # the smallest component of a wide table has variance 0 and no defined direction
    defined = m - 1 if X.shape[0] <= X.shape[1] else m
    signs = same_up_to_sign(ours.components[:defined], ref.components_[:defined], atol=1e-7)
    np.testing.assert_allclose(ours.variance, ref.explained_variance_, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.ratio, ref.explained_variance_ratio_, atol=1e-12)
    # a zero singular value comes out of the eigen route as √(rounding noise) ≈ 1e-7
    np.testing.assert_allclose(ours.singular_values[:defined], ref.singular_values_[:defined],
                               rtol=1e-9)
    np.testing.assert_allclose(ours.mean, ref.mean_, rtol=1e-12)
    np.testing.assert_allclose(pca.transform(ours, X)[:, :defined] * signs,
                               ref.transform(X)[:, :defined], atol=1e-7)
    np.testing.assert_allclose(ours.cumulative, np.cumsum(ref.explained_variance_ratio_),
                               atol=1e-12)


def test_standardised_matches_standard_scaler_then_pca():
    X = cloud(300, 5, 4) * [1, 1000, 0.01, 5, 50]   # columns in very different units
    ours = pca.fit(X, standardize=True)
    scaler = StandardScaler().fit(X)
    ref = PCA().fit(scaler.transform(X))
    signs = same_up_to_sign(ours.components, ref.components_)
    np.testing.assert_allclose(ours.scale, scaler.scale_, rtol=1e-12)
    np.testing.assert_allclose(ours.ratio, ref.explained_variance_ratio_, atol=1e-12)
    np.testing.assert_allclose(pca.transform(ours, X) * signs, ref.transform(scaler.transform(X)),
                               atol=1e-9)
    # without standardising, the column in thousands takes almost all the variance
    assert pca.fit(X).ratio[0] > 0.99 > ours.ratio[0]


def test_sign_convention_largest_entry_positive():
    model = pca.fit(cloud(100, 6, 5))
    rows = np.arange(6)
    assert np.all(model.components[rows, np.abs(model.components).argmax(1)] > 0)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), n=st.integers(3, 60), d=st.integers(2, 8))
def test_eigen_and_svd_routes_agree(seed, n, d):
    X = cloud(n, d, seed)
    a, b = pca.fit(X, method="eigen"), pca.fit(X, method="svd")
    scale = a.variance[0]
    np.testing.assert_allclose(a.variance, b.variance, atol=1e-9 * scale)
    # directions are compared only where the variances are well apart (else not unique)
    gaps = np.abs(np.diff(np.concatenate([[np.inf], b.variance, [-np.inf]])))
    distinct = (np.minimum(gaps[:-1], gaps[1:]) > 1e-3 * scale) & (b.variance > 1e-6 * scale)
    same_up_to_sign(a.components[distinct], b.components[distinct], atol=1e-5)


def test_covariance_equals_numpy_cov():
    X = cloud(50, 4, 6)
    prep = pca.prepare(X)
    np.testing.assert_allclose(pca.covariance(prep.Zs, prep.factor), np.cov(X, rowvar=False),
                               rtol=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_reconstruction_matches_scikit_learn_and_the_variance_left_out(k):
    X = cloud(120, 4, 7)
    ours = pca.fit(X)
    rebuilt = pca.inverse_transform(ours, pca.transform(ours, X, k))
    ref = PCA(n_components=k).fit(X)
    np.testing.assert_allclose(rebuilt, ref.inverse_transform(ref.transform(X)), atol=1e-9)
    direct = np.mean(np.sum((X - rebuilt) ** 2, axis=1))
    assert pca.reconstruction_errors(ours)[k] == pytest.approx(direct, rel=1e-9, abs=1e-9)


def test_all_components_rebuild_the_data_exactly():
    for standardize in (False, True):
        X = cloud(80, 5, 8)
        model = pca.fit(X, standardize=standardize)
        np.testing.assert_allclose(pca.inverse_transform(model, pca.transform(model, X)), X,
                                   atol=1e-9)
        assert pca.reconstruction_errors(model)[-1] == 0.0


def test_reconstruction_error_with_no_component_is_the_mean_squared_distance_to_the_mean():
    X = cloud(60, 3, 9)
    errors = pca.reconstruction_errors(pca.fit(X))
    assert errors[0] == pytest.approx(np.mean(np.sum((X - X.mean(0)) ** 2, axis=1)))
    assert np.all(np.diff(errors) <= 0)


def test_projection_variance_is_the_quadratic_form_of_the_covariance():
    X = cloud(90, 2, 10)
    C = np.cov(X, rowvar=False)
    prep = pca.prepare(X)
    for angle in (0.0, 17.0, 90.0, 133.5):
        u = pca.unit(angle)
        assert pca.projection_variance(prep.Zs, u) == pytest.approx(u @ C @ u, rel=1e-12)


def test_feet_lie_on_the_line_and_the_error_is_perpendicular():
    Z = pca.prepare(cloud(40, 2, 11)).Z
    u = pca.unit(30.0)
    f = pca.feet(Z, u)
    np.testing.assert_allclose(f[:, 0] * u[1] - f[:, 1] * u[0], 0.0, atol=1e-12)
    np.testing.assert_allclose((Z - f) @ u, 0.0, atol=1e-12)


def test_angle_of_a_line_ignores_its_arrow():
    assert pca.angle_of([1.0, 0.0]) == 0.0
    assert pca.angle_of([-1.0, 0.0]) == 0.0
    assert pca.angle_of([0.0, -1.0]) == pytest.approx(90.0)
    assert pca.angle_of(pca.unit(135.0)) == pytest.approx(135.0)
    assert pca.angle_of(-pca.unit(135.0)) == pytest.approx(135.0)
    assert pca.angle_of(pca.unit(-1e-14)) == 0.0


# --- the stepwise story: two columns -----------------------------------------------------
def ellipse(angle, ratio=4.0, n=300, seed=0):
    """Points whose sample covariance has its long axis exactly at `angle` (degrees),
    `ratio` times the spread across it, centred at (3, −2)."""
    pts = np.random.default_rng(seed).normal(size=(n, 2))
    pts -= pts.mean(0)
    w, v = np.linalg.eigh(np.cov(pts, rowvar=False))
    pts = pts @ v / np.sqrt(w) * [ratio, 1.0]        # covariance now diag(ratio², 1)
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return pts @ np.array([[c, -s], [s, c]]).T + [3.0, -2.0]


def steps_of(X, **params):
    return list(pca.run(X, pca.Params(**params), np.random.default_rng(0)))


def line_gap(a, b):
    gap = abs(a - b) % 180.0
    return min(gap, 180.0 - gap)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(angle=st.floats(0.0, 179.9), step=st.sampled_from([0.5, 1.0, 2.0, 5.0, 7.0, 30.0]),
       ratio=st.floats(1.3, 20.0), full=st.booleans())
def test_the_turning_line_stops_within_one_step_of_pc1(angle, step, ratio, full):
    X = ellipse(angle, ratio)
    steps = steps_of(X, angle_step=step, full_turn=full)
    first = next(s for s in steps if s.phase == "first")
    exact = pca.angle_of(PCA().fit(X).components_[0])
    best = first.metrics["sweep best angle"]
    assert line_gap(best, exact) <= step / 2 + 1e-9
    assert line_gap(first.angle, exact) < 1e-6
    rotations = [s for s in steps if s.phase == "rotate"]
    assert [s.angle for s in rotations] == pytest.approx(
        [i * step for i in range(len(rotations))])
    assert rotations[-1].sweep_angles[-1] < 180.0
    if full:
        assert len(rotations) == math.ceil(180 / step - 1e-9)


def test_without_the_full_turn_the_sweep_stops_just_past_the_peak():
    steps = steps_of(ellipse(40.0, 3.0), angle_step=3.0)
    last = [s for s in steps if s.phase == "rotate"][-1]
    v = last.sweep_variances
    assert v[-1] < v[-2] and v[-2] == v.max()
    assert last.sweep_angles[-2] == pytest.approx(39.0)


def test_the_full_turn_finds_the_second_component_at_the_minimum():
    X = ellipse(70.0, 2.5)
    steps = steps_of(X, angle_step=1.0, full_turn=True)
    last = [s for s in steps if s.phase == "rotate"][-1]
    lowest = last.sweep_angles[np.argmin(last.sweep_variances)]
    second = next(s for s in steps if s.phase == "second")
    assert line_gap(lowest, second.angle) <= 0.5 + 1e-9
    assert line_gap(second.angle, 160.0) < 1e-6
    # the sweep's variances are the projections' variances, u·C·u
    C = np.cov(X, rowvar=False)
    expected = [pca.unit(a) @ C @ pca.unit(a) for a in last.sweep_angles]
    np.testing.assert_allclose(last.sweep_variances, expected, rtol=1e-10)


def test_two_column_story_in_order_and_final_state_equals_scikit_learn():
    X = ellipse(25.0, 3.0, n=200, seed=4)
    steps = steps_of(X, k=1)
    phases = [s.phase for s in steps]
    first_rotate = phases.index("rotate")
    assert phases[:first_rotate] == ["data", "centre"]
    assert phases[phases.index("first"):] == ["first", "second", "project", "reconstruct"]
    assert set(phases[first_rotate:phases.index("first")]) == {"rotate"}
    assert [s.index for s in steps] == list(range(len(steps)))

    ref = PCA(n_components=1).fit(X)
    data, centre = steps[0], steps[1]
    np.testing.assert_allclose(data.mean, X.mean(0))
    assert data.centred is None
    np.testing.assert_allclose(centre.centred, X - X.mean(0), atol=1e-12)
    second = steps[phases.index("second")]
    full = PCA().fit(X)
    same_up_to_sign(second.components, full.components_)
    np.testing.assert_allclose(second.ratio, full.explained_variance_ratio_)
    project = steps[phases.index("project")]
    signs = np.sign(np.sum(project.components * full.components_, axis=1))
    np.testing.assert_allclose(project.scores * signs, full.transform(X), atol=1e-9)
    rebuilt = steps[-1]
    np.testing.assert_allclose(rebuilt.reconstruction + X.mean(0),
                               ref.inverse_transform(ref.transform(X)), atol=1e-9)
    direct = np.mean(np.sum((centre.centred - rebuilt.reconstruction) ** 2, axis=1))
    assert rebuilt.metrics["reconstruction error"] == pytest.approx(direct)
    assert rebuilt.errors[1] == pytest.approx(direct)
    assert "mean square is" in rebuilt.caption


def test_two_components_rebuild_the_plane_exactly():
    X = ellipse(10.0, 2.0, n=50)
    last = steps_of(X, k=2)[-1]
    np.testing.assert_allclose(last.reconstruction, last.centred, atol=1e-12)
    assert last.metrics["reconstruction error"] == 0.0
    assert "back where it was" in last.caption


def test_captions_carry_the_right_numbers():
    X = ellipse(60.0, 2.0, n=100, seed=2)
    steps = steps_of(X, angle_step=5.0)
    model = pca.fit(X)
    assert steps[0].caption.startswith("100 points in 2 columns")
    rotate = [s for s in steps if s.phase == "rotate"][3]
    assert rotate.caption.startswith(f"The line at 15°: its projections have variance "
                                     f"{pca.num(rotate.sweep_variances[-1])}")
    first = next(s for s in steps if s.phase == "first")
    assert f"lies at {pca.num(pca.angle_of(model.components[0]))}°" in first.caption
    second = next(s for s in steps if s.phase == "second")
    assert f"PC1 explains {pca.num(100 * model.ratio[0], 3)}%" in second.caption


def test_equal_spread_in_every_direction_is_said():
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    first = next(s for s in steps_of(X) if s.phase == "first")
    assert "any line is a first component" in first.caption
    assert "any line" not in next(s for s in steps_of(ellipse(0.0)) if s.phase == "first").caption


# --- the stepwise story: many columns ----------------------------------------------------
def test_table_story_matches_scikit_learn():
    X = cloud(150, 5, 12)
    steps = steps_of(X, method="eigen", k=2)
    phases = [s.phase for s in steps]
    assert phases == ["data", "centre", "covariance", "decompose", "project"] + \
        ["reconstruct"] * 5
    ref = PCA().fit(X)
    np.testing.assert_allclose(steps[2].covariance, np.cov(X, rowvar=False), rtol=1e-12)
    scree = steps[3]
    np.testing.assert_allclose(scree.ratio, ref.explained_variance_ratio_, atol=1e-12)
    np.testing.assert_allclose(scree.cumulative, np.cumsum(ref.explained_variance_ratio_))
    project = steps[4]
    signs = same_up_to_sign(project.components[:2], ref.components_[:2])
    np.testing.assert_allclose(project.scores * signs, ref.transform(X)[:, :2], atol=1e-9)
    np.testing.assert_allclose(project.loadings * signs,
                               ref.components_[:2].T * np.sqrt(ref.explained_variance_[:2]))
    last = steps[-1]
    assert len(last.errors) == 6 and last.errors[-1] == 0.0
    for k in range(1, 6):
        ref_k = PCA(n_components=k).fit(X)
        rebuilt = ref_k.inverse_transform(ref_k.transform(X))
        assert last.errors[k] == pytest.approx(np.mean(np.sum((X - rebuilt) ** 2, 1)),
                                               rel=1e-9, abs=1e-9)
    chosen = [s for s in steps if "the k = 2 you chose" in s.caption]
    assert len(chosen) == 1 and chosen[0].metrics["k"] == 2
    assert "rebuilt exactly" in last.caption


def test_svd_route_skips_the_covariance_step_and_says_svd():
    steps = steps_of(cloud(40, 3, 13), method="svd")
    assert "covariance" not in [s.phase for s in steps]
    decompose = next(s for s in steps if s.phase == "decompose")
    assert "SVD" in decompose.caption and "Eigenvectors" not in decompose.caption


def test_ninety_percent_count_in_the_scree_caption():
    X = cloud(200, 6, 14)
    model = pca.fit(X)
    need = int(np.argmax(model.cumulative >= 0.9)) + 1
    decompose = next(s for s in steps_of(X) if s.phase == "decompose")
    assert decompose.metrics["components for 90%"] == need


# --- every snapshot ------------------------------------------------------------------------
BAD_TEXT = re.compile(r"\bnan\b|[−-]0(?![.\d])|\b1 (points|components|rows)\b", re.IGNORECASE)


@pytest.mark.parametrize("X", [ellipse(33.0, 3.0), cloud(60, 4, 15), cloud(2, 3, 16)])
def test_snapshots_are_read_only_deterministic_and_readable(X):
    a, b = steps_of(X, k=1), steps_of(X, k=1)
    assert len(a) == len(b)
    for s, t in zip(a, b, strict=True):
        assert s.caption == t.caption and s.metrics == t.metrics
        assert not BAD_TEXT.search(s.caption), s.caption
        for value in s.metrics.values():
            assert math.isfinite(value)
        for name in ("centred", "components", "variance", "scores", "reconstruction",
                     "errors", "sweep_variances", "loadings", "covariance"):
            arr = getattr(s, name)
            if arr is not None and arr.size:
                assert not arr.flags.writeable, name
                np.testing.assert_array_equal(arr, getattr(t, name))
    # the centred table is shared by reference, not copied into every step
    shared = {id(s.centred) for s in a if s.centred is not None}
    assert len(shared) == 1


# --- bad and extreme input -----------------------------------------------------------------
@pytest.mark.parametrize(("X", "params", "message"), [
    (np.arange(5.0)[:, None], {}, "at least two numeric columns; this table has 1"),
    (np.arange(5.0), {}, "table of points"),
    (np.ones((1, 3)), {}, "at least two rows to measure a spread; there is 1"),
    ([["a", "b"], ["c", "d"]], {}, "table of numbers"),
    (np.array([[1.0, 2.0], [np.nan, 3.0], [1.0, 1.0], [np.inf, 0.0]]), {},
     r"NaN or infinite values \(2 rows, first at row 2\)"),
    (np.ones((4, 3)), {}, "every column is constant"),
    (np.c_[np.arange(5.0), np.full(5, 0.1), np.arange(5.0) ** 2], {"standardize": True},
     "column 2 is constant, so standardising would divide by its standard deviation, 0"),
    (np.c_[np.full(5, 7.0), np.full(5, 0.1), np.arange(5.0)], {"standardize": True},
     "columns 1, 2 are constant"),
    (cloud(10, 3), {"k": 4}, r"k = 4 components, but 10 rows × 3 columns have at most 3"),
    (cloud(10, 3), {"method": "qr"}, "method must be one of"),
    (cloud(10, 3), {"angle_step": 0.0}, "angle_step must be between"),
    (cloud(10, 3) * 1e200, {}, "spread too widely"),
    (cloud(10, 3) * 1e-200, {}, "spread too little"),
])
def test_bad_input_gets_a_clear_message(X, params, message):
    with pytest.raises(ValueError, match=message):
        next(pca.run(X, pca.Params(**params)))


def test_constant_column_names_are_used_when_known():
    X = np.c_[np.arange(5.0), np.full(5, 2.0)]
    with pytest.raises(ValueError, match="column 'height' is constant"):
        pca.fit(X, standardize=True, columns=["width", "height"])


def test_a_constant_column_without_standardising_gets_zero_variance():
    X = np.c_[np.arange(7.0), np.full(7, 0.1), 2 * np.arange(7.0) + 1]
    model = pca.fit(X)
    assert model.variance[-1] == 0.0
    np.testing.assert_allclose(model.components[0], [1, 0, 2] / np.sqrt(5))


@pytest.mark.parametrize("size", [1e-120, 1e120, 1e200, 1e-200])
def test_extreme_scales_work_when_standardised_and_keep_the_directions(size):
    X = cloud(100, 3, 17)
    ref = pca.fit(X, standardize=True)
    big = pca.fit(X * size, standardize=True)
    np.testing.assert_allclose(big.components, ref.components, atol=1e-9)
    np.testing.assert_allclose(big.ratio, ref.ratio, atol=1e-12)
    np.testing.assert_allclose(big.scale / size, ref.scale, rtol=1e-12)


@pytest.mark.parametrize("size", [1e-120, 1e120])
def test_extreme_but_representable_scales_work_unstandardised(size):
    X = cloud(100, 3, 18)
    ref, big = pca.fit(X), pca.fit(X * size)
    np.testing.assert_allclose(big.components, ref.components, atol=1e-9)
    np.testing.assert_allclose(big.variance / size**2, ref.variance, rtol=1e-9)
    steps = steps_of(X[:, :2] * size)
    assert all(math.isfinite(v) for s in steps for v in s.metrics.values())


def test_a_huge_constant_column_does_not_hide_the_other_spread():
    X = np.c_[np.full(7, 1e300), np.arange(7.0)]
    model = pca.fit(X)
    np.testing.assert_allclose(model.variance, [np.var(np.arange(7.0), ddof=1), 0.0])
    np.testing.assert_allclose(model.mean, [1e300, 3.0])


def test_a_large_offset_changes_nothing_but_the_mean():
    X = cloud(200, 3, 19)
    ref, moved = pca.fit(X), pca.fit(X + 1e8)
    np.testing.assert_allclose(moved.components, ref.components, atol=1e-6)
    np.testing.assert_allclose(moved.variance, ref.variance, rtol=1e-7)
    np.testing.assert_allclose(moved.mean, ref.mean + 1e8)


# --- every field and every word, against numbers computed independently ------------------
def expected_pcs(X):
    """scikit-learn's PCA of X with the components turned to our sign convention."""
    ref = PCA().fit(X)
    comps = ref.components_ * np.sign(ref.components_[np.arange(len(ref.components_)),
                                                       np.abs(ref.components_).argmax(1)])[:, None]
    return ref, comps


def test_two_column_story_field_by_field():
    X = ellipse(31.234, 2.2, n=120, seed=5)
    steps = steps_of(X, angle_step=4.0, k=1)
    ref, comps = expected_pcs(X)
    var, ratio = ref.explained_variance_, ref.explained_variance_ratio_
    mean, C = X.mean(0), np.cov(X, rowvar=False)
    data, centre = steps[0], steps[1]
    assert data.caption == (f"120 points in 2 columns; the mean of each column is "
                            f"({pca.num(mean[0], 3)}, {pca.num(mean[1], 3)}).")
    assert data.metrics == {"points": 120, "columns": 2}
    assert data.k == 1 and data.scale is None and data.covariance is None
    assert math.isnan(data.angle) and data.direction is None
    for name in ("sweep_angles", "sweep_variances", "variance", "ratio", "cumulative", "errors"):
        assert getattr(data, name).shape == (0,), name
    assert data.components.shape == (0, 2)
    assert centre.caption == ("Subtracted each column's mean: the cloud is now centred on the "
                              f"origin. Total variance {pca.num(var.sum())}.")
    assert centre.metrics == pytest.approx({"total variance": var.sum()})
    rotations = [s for s in steps if s.phase == "rotate"]
    for s in rotations:
        u = pca.unit(s.angle)
        v = u @ C @ u
        assert s.metrics == pytest.approx({"angle": s.angle, "variance": v})
        np.testing.assert_allclose(s.direction, u)
        np.testing.assert_allclose(s.covariance, C)
        assert s.k == 1 and s.components.shape == (0, 2)
        assert s.centred is centre.centred
        best = int(np.argmax(s.sweep_variances))
        assert s.caption == (f"The line at {pca.num(s.angle)}°: its projections have variance "
                             f"{pca.num(v)} (the largest so far is "
                             f"{pca.num(s.sweep_variances[best])}, at "
                             f"{pca.num(s.sweep_angles[best])}°).")
    first = steps[len(rotations) + 2]
    exact = math.degrees(math.atan2(comps[0, 1], comps[0, 0])) % 180
    best_angle = rotations[-1].sweep_angles[np.argmax(rotations[-1].sweep_variances)]
    assert best_angle == 32.0 and exact == pytest.approx(31.234)
    assert first.caption == (
        f"The variance peaked at 32° ({pca.num(rotations[-1].sweep_variances.max())}). The "
        f"first principal component, the first right-singular vector of the centred table, "
        f"lies at {pca.num(exact)}° with variance {pca.num(var[0])} — 0.77° from the "
        f"sweep's best angle.")
    assert first.metrics == pytest.approx({"PC1 angle": exact, "PC1 variance": var[0],
                                           "sweep best angle": 32.0})
    # percentages are said to 3 digits, which here differ from 2 or 4
    assert len({pca.num(100 * ratio[0], d) for d in (3, 4)}) == 2
    np.testing.assert_allclose(first.direction, comps[0], atol=1e-12)
    np.testing.assert_allclose(first.components, comps[:1], atol=1e-12)
    np.testing.assert_allclose(first.variance, var[:1])
    np.testing.assert_allclose(first.ratio, ratio[:1])
    np.testing.assert_allclose(first.cumulative, ratio[:1])
    assert first.angle == pytest.approx(exact)
    second = steps[len(rotations) + 3]
    angle2 = math.degrees(math.atan2(comps[1, 1], comps[1, 0])) % 180
    assert second.caption == (
        f"The second component is at right angles, at {pca.num(angle2)}°: variance "
        f"{pca.num(var[1])}. PC1 explains {pca.num(100 * ratio[0], 3)}% of the variance, PC2 "
        f"the remaining {pca.num(100 * ratio[1], 3)}%.")
    assert second.metrics == pytest.approx({"PC2 angle": angle2, "PC2 variance": var[1],
                                            "PC1 share": ratio[0]})
    np.testing.assert_allclose(second.direction, comps[1], atol=1e-12)
    np.testing.assert_allclose(second.variance, var)
    np.testing.assert_allclose(second.cumulative, np.cumsum(ratio))
    assert second.angle == pytest.approx(angle2)
    project, rebuild = steps[-2], steps[-1]
    assert project.caption == ("Each point's coordinates on PC1 and PC2: the same cloud turned "
                               "so that its widest spread lies along the first axis.")
    assert project.metrics == pytest.approx({"PC1 spread": np.sqrt(var[0]),
                                             "PC2 spread": np.sqrt(var[1])})
    error = var[1] * 119 / 120
    assert rebuild.caption == (
        f"Rebuilt from PC1 alone: each point drops onto the PC1 line. The segments are the "
        f"errors; their mean square is {pca.num(error)}, the variance PC2 carried "
        f"({pca.num(var[1])}) × (n − 1)/n.")
    assert rebuild.metrics == pytest.approx({"k": 1, "reconstruction error": error})
    np.testing.assert_allclose(rebuild.errors, [var.sum() * 119 / 120, error, 0.0], atol=1e-12)
    for s in steps[2:]:
        np.testing.assert_allclose(s.covariance, C)
        assert s.k == 1
    both = steps_of(X, angle_step=4.0, k=2, method="eigen")
    assert both[-1].caption == ("Rebuilt from both components: every point is back where it "
                                "was (mean squared error 0).")
    assert "the top eigenvector of the covariance matrix, lies at" in \
        next(s for s in both if s.phase == "first").caption


def test_table_story_field_by_field():
    X = cloud(90, 7, 22)   # its percentages read differently at 3 and 4 digits
    steps = steps_of(X, method="eigen", k=3)
    ref, comps = expected_pcs(X)
    var, ratio = ref.explained_variance_, ref.explained_variance_ratio_
    mean, C = X.mean(0), np.cov(X, rowvar=False)
    shown = ", ".join(pca.num(v, 3) for v in mean[:6])
    assert steps[0].caption == f"90 points in 7 columns; the mean of each column is ({shown}, …)."
    cov = steps[2]
    assert cov.caption == ("The 7 × 7 covariance matrix C = ZᵀZ / (n − 1): its diagonal holds "
                           "each column's variance, the rest how pairs of columns vary together.")
    assert cov.metrics == pytest.approx({"trace": np.trace(C)})
    decompose = steps[3]
    need = int(np.argmax(np.cumsum(ratio) >= 0.9)) + 1
    assert decompose.caption == (f"Eigenvectors of C are the 7 components. PC1 explains "
                                 f"{pca.num(100 * ratio[0], 3)}% of the variance; "
                                 f"{need} components together explain 90%.")
    assert decompose.metrics == pytest.approx({"PC1 share": ratio[0], "components for 90%": need})
    np.testing.assert_allclose(decompose.covariance, C)
    np.testing.assert_allclose(decompose.variance, var)
    np.testing.assert_allclose(decompose.components, comps, atol=1e-9)
    project = steps[4]
    share = ratio[:2].sum()
    assert len({pca.num(100 * share, d) for d in (3, 4)}) == 2
    assert all(len({pca.num(100 * ratio[:k].sum(), d) for d in (3, 4)}) == 2 for k in (1, 2, 3))
    assert project.caption == (f"Every row projected on PC1 and PC2 ({pca.num(100 * share, 3)}% "
                               "of the variance). The arrows show how much each column moves "
                               "along each component.")
    assert project.metrics == pytest.approx({"PC1+PC2 share": share})
    for k, s in enumerate(steps[5:], start=1):
        ref_k = PCA(n_components=k).fit(X)
        error = np.mean(np.sum((X - ref_k.inverse_transform(ref_k.transform(X))) ** 2, 1))
        kept = ratio[:k].sum()
        caption = (f"Rebuilt from {k} component{'s' if k > 1 else ''}: mean squared error "
                   f"{pca.num(error)} ({pca.num(100 * kept, 3)}% of the variance kept).")
        if k == 7:   # rebuilt exactly: the error is 0 by the formula, rounding aside
            caption = ("Rebuilt from 7 components: mean squared error 0 (100% of the variance "
                       "kept). Every component is used, so the table is rebuilt exactly.")
        caption += " This is the k = 3 you chose." if k == 3 else ""
        assert s.caption == caption
        assert s.metrics == pytest.approx({"k": k, "reconstruction error": error,
                                           "variance kept": kept}, abs=1e-12)
        assert len(s.errors) == k + 1
    assert all(s.k == 3 for s in steps)
    svd = steps_of(X, method="svd")
    assert svd[2].caption.startswith("The SVD of the centred table, Z = U·S·Vᵀ: the rows of Vᵀ "
                                     "are the 7 components.")
    np.testing.assert_allclose(svd[2].covariance, C)


def test_standardised_story_says_so_and_carries_the_scale():
    X = cloud(50, 3, 22) * [1, 10, 100]
    steps = steps_of(X, standardize=True)
    np.testing.assert_allclose(steps[0].scale, X.std(0))
    assert steps[1].caption == ("Subtracted each column's mean and divided by its standard "
                                "deviation: every column now has mean 0 and spread 1. Total "
                                f"variance {pca.num(3 * 50 / 49)}.")   # sample variance, ddof 1


def test_full_turn_with_a_whole_step_tries_every_angle_once():
    steps = steps_of(ellipse(50.0, 2.0), angle_step=1.0, full_turn=True)
    last = [s for s in steps if s.phase == "rotate"][-1]
    np.testing.assert_array_equal(last.sweep_angles, np.arange(180.0))
    steps = steps_of(ellipse(50.0, 2.0), angle_step=7.0, full_turn=True)
    last = [s for s in steps if s.phase == "rotate"][-1]
    np.testing.assert_array_equal(last.sweep_angles, np.arange(0.0, 180.0, 7.0))


@pytest.mark.parametrize(("angle", "step", "turns"), [(2.0, 2.0, 3), (4.0, 2.0, 4),
                                                      (44.0, 4.0, 13), (0.0, 2.0, 90)])
def test_the_sweep_stops_one_step_after_the_peak(angle, step, turns):
    # a peak at 0° is only known to be one after the whole half-turn
    steps = steps_of(ellipse(angle, 3.0), angle_step=step)
    rotations = [s for s in steps if s.phase == "rotate"]
    assert len(rotations) == turns


def test_the_gap_to_pc1_is_measured_around_the_half_turn():
    # PC1 at 179.5°: the sweep's best line is 0° (the same line as 180°), 0.5° away
    steps = steps_of(ellipse(179.5, 3.0), angle_step=2.0)
    first = next(s for s in steps if s.phase == "first")
    assert first.metrics["sweep best angle"] == 0.0
    assert first.caption.endswith("— 0.5° from the sweep's best angle.")


def test_nearly_equal_spreads_are_said_at_any_scale():
    X = ellipse(10.0, 1.0 + 1e-12) * 1e6
    first = next(s for s in steps_of(X) if s.phase == "first")
    assert first.caption.startswith("The variance peaked at")
    assert first.caption.endswith(" Every direction spreads the points equally here, so any "
                                  "line is a first component.")
    X = ellipse(10.0, 1.0 + 1e-6) * 1e-6
    first = next(s for s in steps_of(X) if s.phase == "first")
    assert "any line" not in first.caption


def test_the_sweep_works_on_scaled_data_and_scales_its_variances():
    X = ellipse(25.0, 2.0, n=80)
    small, big = steps_of(X), steps_of(X * 1e120)
    a = [s for s in small if s.phase == "rotate"][-1]
    b = [s for s in big if s.phase == "rotate"][-1]
    np.testing.assert_allclose(b.sweep_variances, a.sweep_variances * 1e240, rtol=1e-12)
    prep = pca.prepare(X * 1e120)
    assert prep.factor != 1.0
    u = pca.unit(25.0)
    assert pca.projection_variance(prep.Zs, u, prep.factor) == pytest.approx(
        u @ np.cov(X * 1e120, rowvar=False) @ u, rel=1e-12)


def test_more_than_five_constant_columns_are_counted():
    X = np.column_stack([np.arange(6.0)] + [np.full(6, float(i)) for i in range(7)])
    with pytest.raises(ValueError, match=r"columns 2, 3, 4, 5, 6 and 2 more are constant"):
        next(pca.run(X, pca.Params(standardize=True)))
    with pytest.raises(ValueError, match=r"column 'b' is constant"):
        next(pca.run(np.c_[np.arange(4.0), np.ones(4)], pca.Params(standardize=True),
                     columns=["a", "b"]))


def test_angles_just_below_the_half_turn_are_kept():
    assert pca.angle_of(pca.unit(179.5)) == pytest.approx(179.5)
    assert pca.angle_of(pca.unit(179.0)) == pytest.approx(179.0)


def test_six_columns_show_every_mean_and_five_constant_columns_are_all_named():
    X = cloud(30, 6, 23)
    assert steps_of(X)[0].caption.endswith(
        "(" + ", ".join(pca.num(v, 3) for v in X.mean(0)) + ").")
    five = np.column_stack([np.arange(6.0)] + [np.full(6, float(i)) for i in range(5)])
    with pytest.raises(ValueError, match=r"^columns 2, 3, 4, 5, 6 are constant"):
        pca.fit(five, standardize=True)
    six = np.column_stack([np.arange(6.0)] + [np.full(6, float(i)) for i in range(6)])
    with pytest.raises(ValueError, match=r"^columns 2, 3, 4, 5, 6 and 1 more are constant"):
        pca.fit(six, standardize=True)


def test_covariance_of_scaled_data_in_both_stories():
    for X in (ellipse(20.0, 2.0, n=50) * 1e120, cloud(40, 3, 24) * 1e-120):
        steps = steps_of(X, method="eigen")
        C = np.cov(X, rowvar=False)
        shown = [s.covariance for s in steps if s.covariance is not None]
        assert shown
        for cov in shown:
            np.testing.assert_allclose(cov, C, rtol=1e-10)


def test_a_peak_just_after_the_start_is_found_by_the_first_rise():
    # PC1 at 1.5°, step 2: 0° < 2° > 4° — the rise to 2° and the fall after it stop the turn
    steps = steps_of(ellipse(1.5, 3.0), angle_step=2.0)
    assert len([s for s in steps if s.phase == "rotate"]) == 3


@pytest.mark.parametrize("n, block", [(10_000, 4096), (7, 4096), (9, 3), (12, 4)])
def test_centred_gram_by_blocks_equals_the_centred_table_squared(n, block):
    X = cloud(n, 5, 11) + 1e6          # a large offset: the blocks must centre, not correct
    mean = X.mean(0)
    np.testing.assert_allclose(pca.centred_gram(X, mean, block), (X - mean).T @ (X - mean),
                               rtol=1e-9, atol=1e-9 * n)


@pytest.mark.parametrize("standardize", [False, True])
def test_the_direct_eigen_route_equals_the_prepared_one(standardize):
    X = cloud(5000, 6, 12)
    direct = pca.fit(X, standardize, method="eigen")
    prepared = pca.fit_prepared(pca.prepare(X, standardize), method="eigen")
    for field in ("mean", "components", "variance", "ratio", "cumulative", "singular_values"):
        np.testing.assert_allclose(getattr(direct, field), getattr(prepared, field),
                                   rtol=1e-10, atol=1e-12, err_msg=field)
    if standardize:
        np.testing.assert_allclose(direct.scale, prepared.scale, rtol=1e-12)
    else:
        assert direct.scale is None
    assert (direct.n_samples, direct.method) == (5000, "eigen")
    assert not direct.components.flags.writeable
