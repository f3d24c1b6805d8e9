"""The shared curve-fitting problem against numpy.polynomial, closed forms and scikit-learn."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial import Polynomial, legendre
from sklearn.linear_model import Lasso, Ridge
from sklearn.model_selection import KFold

from algorithms import polyfit as pf


def problem(n=40, seed=0, **data):
    return pf.make_problem(pf.Data(n_points=n, **data), np.random.default_rng(seed))


def train_xy(pr, degree):
    return pr.features(pr.train, degree), pr.y[pr.train]


# --- the basis --------------------------------------------------------------------------
def test_basis_is_scaled_legendre():
    t = np.linspace(-1, 1, 57)
    expected = legendre.legvander(t, 20) * np.sqrt(2 * np.arange(21) + 1)
    np.testing.assert_allclose(pf.design(t, 20), expected, atol=1e-11)
    assert pf.design(t, 0).shape == (57, 1)


def test_basis_is_orthonormal_on_the_interval():
    # Gauss–Legendre with 30 nodes integrates polynomials up to degree 59 exactly
    nodes, weights = legendre.leggauss(30)
    P = pf.design(nodes, 20)
    np.testing.assert_allclose(P.T @ (P * weights[:, None]) / 2, np.eye(21), atol=1e-12)


def test_the_domain_maps_onto_minus_one_to_one_even_near_overflow():
    np.testing.assert_allclose(pf.scaled([2.0, 3.0, 6.0], (2.0, 6.0)), [-1, -0.5, 1])
    np.testing.assert_allclose(pf.scaled([-1e308, 0.0, 1e308], (-1e308, 1e308)), [-1, 0, 1])


def test_design_of_uniform_points_stays_well_conditioned_to_degree_20():
    t = pf.scaled(np.random.default_rng(0).uniform(0, 1, 200), (0, 1))
    assert np.linalg.cond(pf.design(t, 20)) < 100
    assert np.linalg.cond(np.vander(t, 21)) > 1e5   # what plain powers would have given


# --- least squares ----------------------------------------------------------------------
@pytest.mark.parametrize("degree", [1, 3, 8, 14, 20])
def test_least_squares_curve_equals_numpy_polynomial_fit(degree):
    pr = problem(n=300, seed=1, noise=0.3)
    X, y = train_xy(pr, degree)
    w = pf.lstsq(X, y)
    ref = Polynomial.fit(pr.x[pr.train], y, degree, domain=list(pr.domain))
    np.testing.assert_allclose(pr.curve(w), ref(pr.grid), atol=1e-7)
    np.testing.assert_allclose(X @ w, ref(pr.x[pr.train]), atol=1e-7)


def test_training_error_never_rises_with_the_degree():
    pr = problem(n=60, seed=2)
    errors = [pf.mse(*(lambda X, y: (X, pf.lstsq(X, y), y))(*train_xy(pr, d)))
              for d in range(0, 21)]
    assert all(b <= a + 1e-12 for a, b in zip(errors, errors[1:], strict=False))


def test_more_coefficients_than_points_gives_the_minimum_norm_interpolant():
    pr = problem(n=20, seed=3)          # 11 training points
    X, y = train_xy(pr, 20)
    w = pf.lstsq(X, y)
    np.testing.assert_allclose(X @ w, y, atol=1e-9)                 # through every point
    np.testing.assert_allclose(w, np.linalg.pinv(X) @ y, atol=1e-8)  # the smallest such w
    assert "minimum norm" in pf.underdetermined(len(y), 20)
    assert "21 coefficients but only 11 points" in pf.underdetermined(len(y), 20)
    assert pf.underdetermined(11, 10) == ""
    assert "only 1 point to fit" in pf.underdetermined(1, 3)


# --- ridge ----------------------------------------------------------------------------------
@pytest.mark.parametrize("lam", [0.0, 1e-3, 0.5, 30.0])
def test_ridge_equals_the_closed_form_with_an_unpenalised_intercept(lam):
    pr = problem(n=50, seed=4)
    X, y = train_xy(pr, 9)
    D = np.diag([0.0] + [1.0] * 9)
    closed = np.linalg.solve(X.T @ X + lam * D, X.T @ y)
    w = pf.ridge(X, y, lam)
    np.testing.assert_allclose(w, closed, atol=1e-9)
    ref = Ridge(alpha=lam).fit(X[:, 1:], y) if lam > 0 else None
    if ref is not None:   # scikit-learn centres, so its intercept is unpenalised too
        np.testing.assert_allclose(X @ w, ref.predict(X[:, 1:]), atol=1e-9)
    if lam > 0:           # and penalising the intercept as well would give another answer
        penalised_all = np.linalg.solve(X.T @ X + lam * np.eye(10), X.T @ y)
        assert not np.allclose(w, penalised_all, atol=1e-6)


def test_huge_ridge_penalty_flattens_to_the_mean_not_to_zero():
    pr = problem(n=50, seed=5)
    X, y = train_xy(pr, 6)
    y = y + 10.0
    w = pf.ridge(X, y, 1e12)
    np.testing.assert_allclose(X @ w, y.mean(), atol=1e-6)


# --- lasso ----------------------------------------------------------------------------------
def test_soft_threshold():
    assert pf.soft_threshold(3.0, 1.0) == 2.0
    assert pf.soft_threshold(-3.0, 1.0) == -2.0
    assert pf.soft_threshold(0.7, 1.0) == 0.0
    assert pf.soft_threshold(-1.0, 1.0) == 0.0
    assert pf.soft_threshold(1.0, 1.0) == 0.0


@pytest.mark.parametrize(("seed", "degree", "lam"), [(6, 8, 0.02), (7, 12, 0.01), (8, 15, 0.05),
                                                     (9, 5, 0.2), (10, 20, 0.004)])
def test_lasso_equals_scikit_learn_including_the_exact_zeros(seed, degree, lam):
    pr = problem(n=120, seed=seed, noise=0.3)
    X, y = train_xy(pr, degree)
    w = pf.lasso(X, y, lam)
    ref = Lasso(alpha=lam, tol=1e-14, max_iter=1_000_000).fit(X[:, 1:], y)
    np.testing.assert_allclose(w[1:], ref.coef_, atol=1e-5)
    assert w[0] == pytest.approx(ref.intercept_, abs=1e-5)
    np.testing.assert_array_equal(w[1:] == 0, ref.coef_ == 0)
    assert (w[1:] == 0).any() and (w[1:] != 0).any()   # the case is a real test of both


def test_lasso_max_is_where_every_coefficient_reaches_zero():
    pr = problem(n=80, seed=11)
    X, y = train_xy(pr, 10)
    top = pf.lasso_max(X, y)
    assert np.all(pf.lasso(X, y, top)[1:] == 0)
    assert np.any(pf.lasso(X, y, top * 0.99)[1:] != 0)
    ref = Lasso(alpha=top * 0.99, tol=1e-14, max_iter=100_000).fit(X[:, 1:], y)
    assert np.count_nonzero(ref.coef_) == np.count_nonzero(pf.lasso(X, y, top * 0.99)[1:])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 1000), lam=st.floats(1e-4, 0.5), j=st.integers(1, 6))
def test_every_coordinate_update_lowers_the_objective(seed, lam, j):
    pr = problem(n=30, seed=seed)
    X, y = train_xy(pr, 6)
    cd = pf.LassoCD(X, y, lam)
    before = cd.objective(X, y)
    for _ in range(3):
        for k in (j, *range(1, 7)):
            cd.update(k)
            after = cd.objective(X, y)
            assert after <= before + 1e-12
            # the update is the exact minimiser along its coordinate: nudging it either way
            # cannot do better
            w = cd.coefficients()
            for nudge in (-1e-4, 1e-4):
                moved = pf.LassoCD(X, y, lam, w=w)
                moved.w[k - 1] += nudge
                assert moved.objective(X, y) >= after - 1e-12
            before = after


def test_fit_dispatches_on_the_penalty():
    pr = problem(n=40, seed=12)
    X, y = train_xy(pr, 5)
    np.testing.assert_array_equal(pf.fit(X, y), pf.lstsq(X, y))
    np.testing.assert_array_equal(pf.fit(X, y, "ridge", 2.0), pf.ridge(X, y, 2.0))
    np.testing.assert_array_equal(pf.fit(X, y, "lasso", 0.01), pf.lasso(X, y, 0.01))


# --- k-fold -------------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "k", "shuffle"), [(10, 5, True), (23, 4, True), (7, 7, False),
                                                 (31, 3, False), (12, 2, True)])
def test_kfold_equals_scikit_learn_on_the_same_order(n, k, shuffle):
    indices = np.arange(100, 100 + n)
    folds = pf.kfold(indices, k, shuffle, np.random.default_rng(n))
    order = np.random.default_rng(n).permutation(indices) if shuffle else indices
    for ours, (_, held) in zip(folds, KFold(k).split(order), strict=True):
        np.testing.assert_array_equal(ours, np.sort(order[held]))
    together = np.concatenate(folds)
    np.testing.assert_array_equal(np.sort(together), indices)   # each index exactly once
    assert max(map(len, folds)) - min(map(len, folds)) <= 1


@pytest.mark.parametrize(("n", "k", "message"), [
    (4, 5, "^5 folds need at least 5 points; there are 4$"),
    (1, 2, "^2 folds need at least 2 points; there is 1$"),
    (9, 1, "^k-fold cross-validation needs at least 2 folds, got 1$")])
def test_kfold_refuses_too_few_points(n, k, message):
    with pytest.raises(ValueError, match=message):
        pf.kfold(np.arange(n), k, True, np.random.default_rng(0))


# --- the problem --------------------------------------------------------------------------
def test_split_is_a_seeded_partition():
    a = pf.split(40, 0.25, 0.2, np.random.default_rng(3))
    b = pf.split(40, 0.25, 0.2, np.random.default_rng(3))
    c = pf.split(40, 0.25, 0.2, np.random.default_rng(4))
    assert [len(p) for p in a] == [22, 10, 8]
    np.testing.assert_array_equal(np.sort(np.concatenate(a)), np.arange(40))
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])
    assert all(np.all(np.diff(p) > 0) for p in a)
    train, val, test = pf.split(10, 0.3, 0.0, np.random.default_rng(0))
    assert len(test) == 0 and len(val) == 3


def test_generated_targets_and_noise():
    pr = problem(n=500, seed=13, target="sine", noise=0.0)
    np.testing.assert_allclose(pr.y, np.sin(2 * np.pi * pr.x))
    np.testing.assert_allclose(pr.truth, np.sin(2 * np.pi * pr.grid))
    assert np.all(np.diff(pr.x) >= 0) and pr.x.min() >= 0 and pr.x.max() <= 1
    step = problem(n=100, target="step", noise=0.0)
    np.testing.assert_array_equal(step.y, np.where(step.x < 0.5, -0.5, 0.5))
    noisy = problem(n=4000, seed=14, target="cubic", noise=0.5)
    assert np.std(noisy.y - pf.cubic(noisy.x)) == pytest.approx(0.5, rel=0.05)
    assert len(pr.grid) == pf.GRID and pr.grid[0] == pr.domain[0] and pr.grid[-1] == pr.domain[1]


def test_a_cubic_target_is_recovered_by_degree_three():
    pr = problem(n=200, seed=15, target="cubic", noise=0.0)
    X, y = train_xy(pr, 3)
    np.testing.assert_allclose(pr.curve(pf.lstsq(X, y)), pf.cubic(pr.grid), atol=1e-12)


def test_a_user_function_of_arrays_is_the_target():
    pr = pf.make_problem(pf.Data(n_points=30, noise=0.0), np.random.default_rng(0),
                         function=lambda x: 3 * x**2 - 1)
    assert pr.name == "custom"
    np.testing.assert_allclose(pr.y, 3 * pr.x**2 - 1)
    np.testing.assert_allclose(pr.truth, 3 * pr.grid**2 - 1)


@pytest.mark.parametrize(("function", "message"), [
    (lambda x: 1 / 0, "^the target function failed: division by zero$"),
    (lambda x: x[:3], r"^the target function must return one y per x; it returned shape "
                      r"\(3,\) for 30 x values$"),
])
def test_a_bad_user_function_is_reported(function, message):
    with pytest.raises(ValueError, match=message):
        pf.make_problem(pf.Data(n_points=30), np.random.default_rng(0), function=function)


@pytest.mark.parametrize(("x", "y", "message"), [
    ([1.0, 2.0, 3.0], [1.0, 2.0],
     "x and y must be two columns of equal length, got shapes (3,) and (2,)"),
    ([1.0, np.nan, 3.0, 4, 5, 6, 7, 8], [1.0, 2, 3, 4, 5, 6, 7, np.inf],
     "the points contain NaN or infinite values (2 rows, first at row 2)"),
    ([1.0, 2, 3, 4], [1.0, 2, 3, np.nan],
     "the points contain NaN or infinite values (1 row, first at row 4)"),
    ([2.0] * 8, list(range(8)), "every x value is the same: there is no curve to fit"),
    ([], [], "every x value is the same: there is no curve to fit"),
    (list(range(8)), [0, 1e200, 0, 0, 0, 0, 0, 0],
     "the y values spread over about 1e+200: squared errors that large are not numbers; "
     "rescale y"),
    (list(range(8)), [0, 1e-200, 0, 0, 0, 0, 0, 0],
     "the y values spread over about 1e−200: squared errors that small are not numbers; "
     "rescale y"),
    (list(range(8)), [0, 1e75, 0, 0, 0, 0, 0, 0], "the y values spread over about 1e+75"),
    (list(range(8)), [0, 1e-75, 0, 0, 0, 0, 0, 0], "the y values spread over about 1e−75"),
    (list(range(3)), [0.0, 1.0, 2.0],
     "3 points are too few to keep 1 for validation, 1 for testing and at least 2 for training"),
    ([0.0, 0.0, 5e-324, 5e-324, 0.0, 5e-324, 0.0, 0.0], list(range(8)),
     "the x values spread too widely to be mapped onto [−1, 1]; rescale x"),
])
def test_bad_points_get_a_clear_message(x, y, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        pf.from_xy(x, y, np.random.default_rng(0))


def test_y_spreads_just_inside_the_limits_are_accepted():
    for size in (1e74, 1e-74):
        pr = pf.from_xy(range(8), [0, size, 0, 0, 0, 0, 0, 0], np.random.default_rng(0))
        assert pr.y[1] == size
    flat = pf.from_xy(range(8), [3.0] * 8, np.random.default_rng(0))   # no spread at all
    assert np.all(flat.y == 3.0)


def test_x_as_one_column_is_accepted():
    pr = pf.from_xy(np.arange(8.0)[:, None], np.arange(8.0), np.random.default_rng(0))
    assert pr.x.shape == (8,)
    with pytest.raises(ValueError, match=re.escape("got shapes (8, 2) and (8,)")):
        pf.from_xy(np.zeros((8, 2)), np.arange(8.0), np.random.default_rng(0))


def test_a_table_with_one_column_is_refused_and_two_columns_are_x_and_y():
    with pytest.raises(ValueError, match="^a curve fit needs two columns, x and y; this table "
                                         "has 1$"):
        pf.from_table(np.arange(10.0)[:, None], np.random.default_rng(0))
    with pytest.raises(ValueError, match="this table has 1"):
        pf.from_table(np.arange(10.0), np.random.default_rng(0))
    table = np.column_stack([np.arange(10.0), np.arange(10.0) ** 2, np.ones(10)])
    pr = pf.from_table(table, np.random.default_rng(0))
    np.testing.assert_array_equal(pr.x, table[:, 0])
    np.testing.assert_array_equal(pr.y, table[:, 1])
    assert pr.truth is None


@pytest.mark.parametrize(("scale", "offset"), [(1e200, 0.0), (1e-200, 0.0), (1.0, 1e8)])
def test_extreme_x_fits_the_same_curve(scale, offset):
    base = problem(n=60, seed=16)
    moved = pf.from_xy(base.x * scale + offset, base.y, np.random.default_rng(0))
    ref = pf.from_xy(base.x, base.y, np.random.default_rng(0))
    for degree in (1, 7, 15):
        w_moved = pf.lstsq(*train_xy(moved, degree))
        w_ref = pf.lstsq(*train_xy(ref, degree))
        # x + 1e8 keeps only about 8 digits of x itself: the curves agree to that
        tol = 1e-5 if offset else 1e-9
        np.testing.assert_allclose(moved.curve(w_moved), ref.curve(w_ref), rtol=tol, atol=tol)


def test_a_large_offset_in_y_only_moves_the_fit():
    base = problem(n=60, seed=17)
    moved = pf.from_xy(base.x, base.y + 1e8, np.random.default_rng(0))
    ref = pf.from_xy(base.x, base.y, np.random.default_rng(0))
    w = pf.lstsq(*train_xy(moved, 9))
    np.testing.assert_allclose(moved.curve(w) - 1e8, ref.curve(pf.lstsq(*train_xy(ref, 9))),
                               atol=1e-5)


def test_error_text_hides_rounding_noise_only():
    y = np.array([0.0, 1.0, 2.0])
    assert pf.error_text(1e-31, y) == "0"
    assert pf.error_text(0.0, y) == "0"
    assert pf.error_text(2e-3, y) == "0.002"
    assert pf.error_text(1e-19, y) == "1e−19"
    assert pf.error_text(0.0, np.zeros(3)) == "0"


def test_describe_split_counts_every_part():
    pr = problem(n=40)
    assert pf.describe_split(pr) == ("40 points: 22 for training, 10 for validation, 8 kept "
                                     "back for testing.")
    none = pf.make_problem(pf.Data(n_points=20, test=0.0), np.random.default_rng(0))
    assert pf.describe_split(none).endswith("none kept for testing.")


def test_mse_of_nothing_is_undefined_not_an_error():
    assert np.isnan(pf.mse(np.zeros((0, 2)), np.zeros(2), np.zeros(0)))
    assert pf.mse(np.ones((2, 1)), [2.0], [1.0, 4.0]) == pytest.approx((1 + 4) / 2)


def test_finish_accepts_only_a_true_minimiser():
    pr = problem(n=120, seed=19)
    X, y = train_xy(pr, 8)
    lam = 0.02
    cd = pf.LassoCD(X, y, lam)
    assert not cd.finish()                   # all zeros is not the answer below λ_max
    assert np.all(cd.w == 0)                 # and a refused finish changes nothing
    while not cd.finish():
        cd.sweep()
    ref = Lasso(alpha=lam, tol=1e-15, max_iter=1_000_000).fit(X[:, 1:], y)
    np.testing.assert_allclose(cd.coefficients()[1:], ref.coef_, atol=1e-10)
    np.testing.assert_allclose(cd.q, cd.G @ cd.w)
    top = pf.LassoCD(X, y, pf.lasso_max(X, y) * 1.01)
    assert top.finish() and np.all(top.w == 0)   # above λ_max all zeros is the answer
