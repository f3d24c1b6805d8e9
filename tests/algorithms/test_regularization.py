"""Ridge and lasso runs against the closed form and scikit-learn; the lasso's coordinate
updates against the soft-threshold formula written out on residuals; the 2-coefficient
picture against brute force over its constraint boundary."""

import dataclasses
import math
import re

import numpy as np
import pytest
from sklearn.linear_model import Lasso, Ridge

from algorithms import polyfit as pf
from algorithms import regularization as rg

BAD_TEXT = re.compile(r"\bnan\b|[−-]0(?![.\d])|\b1 (points|coefficients|sweeps|values)\b",
                      re.IGNORECASE)


def problem(n=60, seed=0, **data):
    return pf.make_problem(pf.Data(n_points=n, **data), np.random.default_rng(seed))


def steps_of(pr, **params):
    return list(rg.run(pr, rg.Params(**params), np.random.default_rng(0)))


def train_xy(pr, degree):
    return pr.features(pr.train, degree), pr.y[pr.train]


# --- ridge --------------------------------------------------------------------------------
@pytest.mark.parametrize("lam", [1e-3, 0.3, 5.0])
def test_ridge_run_equals_closed_form_and_scikit_learn(lam):
    pr = problem(seed=1)
    steps = steps_of(pr, penalty="ridge", lam=lam, degree=10)
    assert [s.phase for s in steps] == ["least squares", "solve", "path"]
    X, y = train_xy(pr, 10)
    np.testing.assert_allclose(steps[0].coefficients, np.linalg.lstsq(X, y, rcond=None)[0],
                               atol=1e-10)
    D = np.diag([0.0] + [1.0] * 10)
    closed = np.linalg.solve(X.T @ X + lam * D, X.T @ y)
    np.testing.assert_allclose(steps[1].coefficients, closed, atol=1e-9)
    ref = Ridge(alpha=lam).fit(X[:, 1:], y)
    np.testing.assert_allclose(steps[1].coefficients[1:], ref.coef_, atol=1e-9)
    assert steps[1].coefficients[0] == pytest.approx(ref.intercept_, abs=1e-9)
    assert not steps[1].zeros.any()
    np.testing.assert_allclose(steps[1].curve, pr.curve(closed), atol=1e-9)
    assert steps[1].objective == pytest.approx(np.sum((y - X @ closed) ** 2)
                                               + lam * np.sum(closed[1:] ** 2))


def test_ridge_path_equals_scikit_learn_at_every_lambda():
    pr = problem(seed=2)
    final = steps_of(pr, penalty="ridge", degree=8, path_points=12)[-1]
    X, y = train_xy(pr, 8)
    assert np.all(np.diff(final.path_lams) > 0) and len(final.path_lams) == 12
    for lam, coef in zip(final.path_lams, final.path_coefficients, strict=True):
        ref = Ridge(alpha=lam).fit(X[:, 1:], y)
        np.testing.assert_allclose(coef[1:], ref.coef_, atol=1e-8)
    norms = np.linalg.norm(final.path_coefficients[:, 1:], axis=1)
    assert np.all(np.diff(norms) < 0)      # more penalty, shorter coefficient vector
    assert norms[-1] < 0.05 * norms[0]
    np.testing.assert_allclose(final.path_val, [pf.mse(pr.features(pr.val, 8), c, pr.y[pr.val])
                                                for c in final.path_coefficients])


# --- lasso --------------------------------------------------------------------------------
@pytest.mark.parametrize(("lam", "update"), [(0.01, "sweep"), (0.03, "coordinate"),
                                             (0.003, "sweep")])
def test_lasso_run_ends_at_scikit_learn_with_the_same_zeros(lam, update):
    pr = problem(n=100, seed=3)
    steps = steps_of(pr, lam=lam, degree=12, update=update, tol=1e-13, max_sweeps=10_000)
    solved = steps[-2]
    assert solved.phase == "converged"
    X, y = train_xy(pr, 12)
    ref = Lasso(alpha=lam, tol=1e-14, max_iter=1_000_000).fit(X[:, 1:], y)
    np.testing.assert_allclose(solved.coefficients[1:], ref.coef_, atol=1e-5)
    assert solved.coefficients[0] == pytest.approx(ref.intercept_, abs=1e-5)
    np.testing.assert_array_equal(solved.zeros[1:], ref.coef_ == 0)
    assert solved.zeros.any() and not solved.zeros[0]
    assert steps[-1].phase == "path"
    np.testing.assert_array_equal(steps[-1].coefficients, solved.coefficients)


def test_each_coordinate_update_is_the_soft_threshold_of_its_partial_residual():
    pr = problem(n=50, seed=4)
    lam, degree = 0.02, 6
    steps = steps_of(pr, lam=lam, degree=degree, update="coordinate", max_sweeps=3)
    X, y = train_xy(pr, degree)
    Xc, yc = X[:, 1:] - X[:, 1:].mean(0), y - y.mean()
    n = len(y)
    updates = [s for s in steps if s.phase == "update"]
    assert [s.coordinate for s in updates[:degree]] == list(range(1, degree + 1))
    before = next(s for s in steps if s.phase == "start").coefficients[1:]
    for s in updates:
        j = s.coordinate - 1
        others = before.copy()
        others[j] = 0.0
        # ρ_j: what feature j alone explains of the residual the others leave
        rho = Xc[:, j] @ (yc - Xc @ others) / n
        z = Xc[:, j] @ Xc[:, j] / n
        expected = np.sign(rho) * max(abs(rho) - lam, 0.0) / z
        assert s.rho == pytest.approx(rho, abs=1e-12)
        assert s.coefficients[1 + j] == pytest.approx(expected, abs=1e-12)
        np.testing.assert_array_equal(np.delete(s.coefficients[1:], j), np.delete(before, j))
        assert s.coefficients[0] == pytest.approx(y.mean() - X[:, 1:].mean(0) @ s.coefficients[1:])
        zeroed = "exactly 0" in s.caption
        assert zeroed == (abs(rho) <= lam)
        before = s.coefficients[1:]


def test_the_lasso_objective_never_rises_and_the_start_is_the_mean():
    pr = problem(n=50, seed=5)
    steps = steps_of(pr, lam=0.01, degree=9, update="coordinate", max_sweeps=20)
    start = next(s for s in steps if s.phase == "start")
    np.testing.assert_allclose(start.coefficients[1:], 0.0)
    assert start.coefficients[0] == pytest.approx(pr.y[pr.train].mean())
    objectives = [s.objective for s in steps[1:-1]]
    assert all(b <= a + 1e-13 for a, b in zip(objectives, objectives[1:], strict=False))
    X, y = train_xy(pr, 9)
    s = steps[5]
    r = y - X @ s.coefficients
    penalty = 0.01 * np.abs(s.coefficients[1:]).sum()
    assert s.objective == pytest.approx(r @ r / (2 * len(y)) + penalty)


def test_sweep_and_coordinate_steps_reach_the_same_place():
    pr = problem(n=50, seed=6)
    a = steps_of(pr, lam=0.02, degree=8, update="sweep")
    b = steps_of(pr, lam=0.02, degree=8, update="coordinate")
    np.testing.assert_allclose(a[-1].coefficients, b[-1].coefficients, atol=1e-12)
    sweeps = [s for s in a if s.phase in ("sweep", "converged")]
    assert [s.sweep for s in sweeps] == list(range(1, len(sweeps) + 1))
    assert len([s for s in b if s.phase == "update"]) == 8 * len(sweeps)


def test_the_sweep_limit_is_said():
    pr = problem(n=50, seed=7)
    steps = steps_of(pr, lam=0.001, degree=15, max_sweeps=2)
    assert steps[-2].phase == "limit" and "limit of 2 sweeps" in steps[-2].caption


def test_lasso_path_equals_scikit_learn_and_zeroes_everything_at_the_top():
    pr = problem(n=80, seed=8)
    final = steps_of(pr, lam=0.01, degree=10, path_points=8)[-1]
    X, y = train_xy(pr, 10)
    assert final.path_lams[-1] == pytest.approx(pf.lasso_max(X, y))
    assert np.all(final.path_coefficients[-1, 1:] == 0)
    for lam, coef in zip(final.path_lams, final.path_coefficients, strict=True):
        ref = Lasso(alpha=lam, tol=1e-14, max_iter=1_000_000).fit(X[:, 1:], y)
        np.testing.assert_allclose(coef[1:], ref.coef_, atol=1e-5)
        np.testing.assert_array_equal(coef[1:] == 0, ref.coef_ == 0)
    zeros = (final.path_coefficients[:, 1:] == 0).sum(1)
    assert zeros[0] < zeros[-1]
    best = int(np.argmin(final.path_val))
    assert f"lowest at λ ≈ {pf.num(final.path_lams[best])}" in final.caption


# --- the 2-coefficient picture ----------------------------------------------------------
def brute_force_constrained(F, yc, budget, penalty):
    """min of the data loss over the boundary ‖w‖ = budget, by dense sampling."""
    if penalty == "ridge":
        a = np.linspace(0, 2 * np.pi, 20001)
        W = budget * np.column_stack([np.cos(a), np.sin(a)])
    else:
        s = np.linspace(-1, 1, 20001)
        W = np.vstack([np.column_stack([s, 1 - abs(s)]), np.column_stack([s, abs(s) - 1])])
        W = W * budget
    losses = np.mean((yc[:, None] - F @ W.T) ** 2, axis=0)
    return losses.min(), W[np.argmin(losses)]


@pytest.mark.parametrize(("penalty", "lam"), [("ridge", 5.0), ("ridge", 60.0), ("lasso", 0.05),
                                              ("lasso", 0.2)])
def test_picture_solution_is_where_a_contour_touches_the_boundary(penalty, lam):
    pr = problem(n=60, seed=9)
    pic = rg.picture(pr, penalty, lam)
    F, yc = rg.two_features(pr)
    # independent references for the penalised solution
    if penalty == "ridge":
        expected = Ridge(alpha=lam, fit_intercept=False).fit(F, yc).coef_
        assert pic.budget == pytest.approx(np.linalg.norm(pic.solution))
    else:
        expected = Lasso(alpha=lam, fit_intercept=False, tol=1e-14,
                         max_iter=100_000).fit(F, yc).coef_
        assert pic.budget == pytest.approx(np.abs(pic.solution).sum())
    np.testing.assert_allclose(pic.solution, expected, atol=1e-7)
    # penalised = constrained: no point of the boundary has a lower loss than the solution
    best, _ = brute_force_constrained(F, yc, pic.budget, penalty)
    assert pic.touch == pytest.approx(np.mean((yc - F @ pic.solution) ** 2))
    assert best >= pic.touch - 1e-6 and best == pytest.approx(pic.touch, rel=1e-4)
    assert pic.touch in pic.levels
    np.testing.assert_allclose(pic.least_squares, np.linalg.lstsq(F, yc, rcond=None)[0])
    # the loss grid is the data loss at its grid points
    for i, j in ((0, 0), (40, 77), (120, 5)):
        w = np.array([pic.w1[j], pic.w2[i]])
        assert pic.loss[i, j] == pytest.approx(np.mean((yc - F @ w) ** 2), rel=1e-10)
    lo = np.array([pic.w1[0], pic.w2[0]])
    hi = np.array([pic.w1[-1], pic.w2[-1]])
    for point in (np.zeros(2), pic.least_squares, pic.solution):
        assert np.all(point >= lo) and np.all(point <= hi)
    assert np.ptp(pic.w1) == pytest.approx(np.ptp(pic.w2))       # square: circles look round


@pytest.mark.parametrize(("penalty", "lam"), [("ridge", 5.0), ("lasso", 0.05), ("ridge", 0.0)])
def test_picture_contour_lines_are_the_loss_at_their_levels(penalty, lam):
    pr = problem(n=60, seed=9)
    pic = rg.picture(pr, penalty, lam)
    F, yc = rg.two_features(pr)

    def loss(xy):
        return np.mean((yc[:, None] - F @ xy) ** 2, axis=0)

    lines = pic.level_lines[:, np.isfinite(pic.level_lines[0])]
    levels = loss(lines)
    nearest = np.abs(levels[:, None] - pic.levels).argmin(1)   # each point lies on a level
    np.testing.assert_allclose(levels, pic.levels[nearest], rtol=1e-8)
    assert np.bincount(nearest, minlength=len(pic.levels)).min() > 20   # and every one drawn
    touch = pic.touch_line[:, np.isfinite(pic.touch_line[0])]
    np.testing.assert_allclose(loss(touch), pic.touch, rtol=1e-8)
    assert (touch.shape[1] > 100) == (lam > 0)    # at λ = 0 it is the centre: no line
    if lam > 0:   # the solution lies on the touching contour: some point of it is close
        assert np.min(np.hypot(*(touch - pic.solution[:, None]))) < 0.02 * np.ptp(pic.w1)


@pytest.mark.parametrize(("n", "degree"), [(60, 8), (12, 20)])
def test_ridge_path_equals_the_stacked_solve_at_every_lambda(n, degree):
    X, y = train_xy(problem(n=n, seed=3), degree)
    lams = rg.lam_grid("ridge", X, y, 15)
    expected = np.array([pf.ridge(X, y, lam) for lam in lams])
    np.testing.assert_allclose(rg.ridge_path(X, y, lams), expected, atol=1e-9)
    errors = rg.path_errors(X, expected, y)
    np.testing.assert_allclose(errors, [pf.mse(X, c, y) for c in expected], rtol=1e-9)


def test_the_two_features_are_standardised_x_and_x_squared():
    pr = problem(n=50, seed=10)
    F, yc = rg.two_features(pr)
    np.testing.assert_allclose(F.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(F.std(0), 1)
    u = (pr.x[pr.train] - pr.domain[0]) / (pr.domain[1] - pr.domain[0])
    assert np.corrcoef(F[:, 0], u)[0, 1] == pytest.approx(1)
    assert np.corrcoef(F[:, 1], u**2)[0, 1] == pytest.approx(1)
    assert np.corrcoef(F.T)[0, 1] > 0.9          # strongly correlated: tilted contours
    assert yc.mean() == pytest.approx(0, abs=1e-12)


def test_lasso_picture_trail_moves_one_coordinate_at_a_time():
    pic = rg.picture(problem(seed=11), "lasso", 0.05)
    steps = np.diff(pic.trail, axis=0)
    assert np.all((steps[:, 0] == 0) | (steps[:, 1] == 0))
    np.testing.assert_array_equal(pic.trail[0], [0, 0])
    np.testing.assert_allclose(pic.trail[-1], pic.solution)
    np.testing.assert_allclose(pic.boundary[0], pic.boundary[-1])     # closed
    np.testing.assert_allclose(np.abs(pic.boundary).sum(1), pic.budget)


def test_picture_without_penalty_sits_at_the_least_squares_centre():
    pic = rg.picture(problem(seed=12), "ridge", 0.0)
    np.testing.assert_allclose(pic.solution, pic.least_squares, atol=1e-10)
    assert np.all(np.diff(pic.levels) > 0)
    np.testing.assert_allclose(np.linalg.norm(pic.boundary, axis=1), pic.budget)


# --- every snapshot -----------------------------------------------------------------------
def test_snapshots_share_the_picture_and_are_frozen_and_readable():
    pr = problem(seed=13)
    for params in ({"penalty": "lasso", "update": "coordinate", "max_sweeps": 4},
                   {"penalty": "ridge", "lam": 2.0}):
        steps = steps_of(pr, **params)
        assert all(s.picture is steps[0].picture for s in steps)
        assert all(s.least_squares is steps[0].least_squares for s in steps)
        assert [s.index for s in steps] == list(range(len(steps)))
        for s in steps:
            assert not BAD_TEXT.search(s.caption), s.caption
            assert all(math.isfinite(v) for v in s.metrics.values())
            for f in dataclasses.fields(s):
                value = getattr(s, f.name)
                if isinstance(value, np.ndarray) and value.size:
                    assert not value.flags.writeable, f.name
            assert s.metrics["zero coefficients"] == int(s.zeros.sum())


def test_captions_carry_the_numbers():
    pr = problem(seed=14)
    steps = steps_of(pr, lam=0.02, degree=6)
    X, y = train_xy(pr, 6)
    ls = np.linalg.lstsq(X, y, rcond=None)[0]
    assert steps[0].caption.startswith(f"Degree 6 without a penalty: training error "
                                       f"{pf.num(np.mean((X @ ls - y) ** 2))}")
    assert steps[1].caption == (f"Lasso with λ = 0.02, by coordinate descent: every coefficient "
                                f"starts at 0 and the intercept at the mean of y "
                                f"({pf.num(y.mean())}).")
    sweep = steps[2]
    zeros = int(sweep.zeros.sum())
    assert f"{zeros} of the 6 penalised coefficients {'is' if zeros == 1 else 'are'} exactly 0" \
        in sweep.caption
    ridge = steps_of(pr, penalty="ridge", lam=1.0, degree=6)[1]
    shrink = np.linalg.norm(ridge.coefficients[1:]) / np.linalg.norm(ls[1:])
    assert f"shrank to {pf.num(100 * shrink, 3)}%" in ridge.caption


def test_lambda_grids():
    pr = problem(seed=15)
    X, y = train_xy(pr, 7)
    lasso = rg.lam_grid("lasso", X, y, 5)
    np.testing.assert_allclose(lasso, pf.lasso_max(X, y) * np.logspace(-4, 0, 5))
    ridge = rg.lam_grid("ridge", X, y, 5)
    np.testing.assert_allclose(ridge[1:] / ridge[:-1], 100.0)
    flat = rg.lam_grid("lasso", X, np.ones(len(y)), 3)         # nothing to explain
    np.testing.assert_allclose(flat, np.logspace(-4, 0, 3))


def test_bad_params_are_refused():
    with pytest.raises(ValueError, match="penalty must be one of ridge, lasso"):
        steps_of(problem(), penalty="elastic")
    with pytest.raises(ValueError, match="lam must be between"):
        steps_of(problem(), lam=-1.0)


# --- the exact lasso path -------------------------------------------------------------------
def test_homotopy_path_equals_scikit_learn_where_descent_crawls():
    # degree 15 on 33 points: correlated features, where plain sweeps need tens of thousands
    pr = problem(n=60, seed=8)
    X, y = train_xy(pr, 15)
    lams = rg.lam_grid("lasso", X, y, 15)
    coefs = rg.lasso_path(X, y, lams)
    for lam, coef in zip(lams, coefs, strict=True):
        ref = Lasso(alpha=lam, tol=1e-15, max_iter=10_000_000).fit(X[:, 1:], y)
        np.testing.assert_allclose(coef[1:], ref.coef_, atol=1e-7)
        np.testing.assert_array_equal(coef[1:] == 0, ref.coef_ == 0)
        assert coef[0] == pytest.approx(ref.intercept_, abs=1e-7)


def test_breakpoints_change_the_nonzero_set_by_one_and_start_from_zero():
    pr = problem(n=80, seed=16)
    X, y = train_xy(pr, 10)
    knots, ws = rg.lasso_breakpoints(X, y)
    assert knots[0] == pytest.approx(pf.lasso_max(X, y)) and knots[-1] == 0.0
    assert np.all(np.diff(knots) < 0)
    assert np.all(ws[0] == 0)
    counts = (ws != 0).sum(1)
    assert np.all(np.abs(np.diff(counts[:-1])) == 1)
    # at λ = 0 the path ends at least squares
    np.testing.assert_allclose(ws[-1], np.linalg.lstsq(X, y, rcond=None)[0][1:], atol=1e-9)
    # between knots the path is linear: the midpoint is the average of its ends
    mid = (knots[2] + knots[3]) / 2
    np.testing.assert_allclose(rg.lasso_path(X, y, [mid])[0][1:], (ws[2] + ws[3]) / 2,
                               atol=1e-12)
    np.testing.assert_allclose(rg.lasso_path(X, y, [mid])[0], pf.lasso(X, y, mid), atol=1e-9)


def test_path_with_more_coefficients_than_points_reaches_the_optimal_objective():
    pr = problem(n=15, seed=17)             # 8 training points, 12 coefficients
    X, y = train_xy(pr, 12)
    lams = np.array([1e-4, 1e-3, 0.05])
    for lam, coef in zip(lams, rg.lasso_path(X, y, lams), strict=True):
        # the minimiser need not be unique here; the minimum is
        ref = Lasso(alpha=lam, tol=1e-15, max_iter=10_000_000).fit(X[:, 1:], y)
        mine = rg.objective("lasso", X, y, coef, lam)
        theirs = rg.objective("lasso", X, y, np.concatenate([[ref.intercept_], ref.coef_]), lam)
        assert mine == pytest.approx(theirs, rel=1e-7)


def test_below_a_homotopy_that_stopped_early_descent_takes_over(monkeypatch):
    pr = problem(n=80, seed=20)
    X, y = train_xy(pr, 8)
    knots, ws = rg.lasso_breakpoints(X, y)
    monkeypatch.setattr(rg, "lasso_breakpoints", lambda *_: (knots[:3], ws[:3]))
    lam = knots[2] / 4
    coef = rg.lasso_path(X, y, [lam])[0]
    ref = Lasso(alpha=lam, tol=1e-15, max_iter=1_000_000).fit(X[:, 1:], y)
    np.testing.assert_allclose(coef[1:], ref.coef_, atol=1e-8)


def test_a_flat_target_has_an_all_zero_path():
    pr = problem(n=30, seed=18)
    X = pr.features(pr.train, 5)
    knots, ws = rg.lasso_breakpoints(X, np.full(len(X), 2.0))
    assert knots.tolist() == [0.0] and np.all(ws == 0)
    coefs = rg.lasso_path(X, np.full(len(X), 2.0), [0.1, 1.0])
    np.testing.assert_allclose(coefs[:, 0], 2.0)
    assert np.all(coefs[:, 1:] == 0)


# --- every word and metric ------------------------------------------------------------------
def test_lasso_captions_and_metrics_in_full():
    pr = problem(n=40, seed=0)
    lam = 0.05
    steps = steps_of(pr, lam=lam, degree=12, update="coordinate", max_sweeps=2)
    X, y = train_xy(pr, 12)
    Xv, yv = pr.features(pr.val, 12), pr.y[pr.val]
    ls = np.linalg.lstsq(X, y, rcond=None)[0]
    assert steps[0].caption == (f"Degree 12 without a penalty: training error "
                                f"{pf.num(np.mean((X @ ls - y) ** 2))}, validation error "
                                f"{pf.num(np.mean((Xv @ ls - yv) ** 2))}; the largest "
                                f"coefficient is {pf.num(np.abs(ls[1:]).max())}.")
    for s in steps:
        w = s.coefficients
        r = y - X @ w
        assert s.metrics == pytest.approx({
            "training error": np.mean(r**2), "validation error": np.mean((Xv @ w - yv) ** 2),
            "zero coefficients": int(np.sum(w[1:] == 0)),
            "objective": r @ r / (2 * len(y)) + lam * np.abs(w[1:]).sum()})
        assert s.penalty == "lasso" and s.lam == lam and s.degree == 12
        np.testing.assert_allclose(s.curve, pr.curve(w))
    updates = [s for s in steps if s.phase == "update"]
    for before, s in zip([steps[1], *updates], updates, strict=False):
        j = s.coordinate
        old, new = before.coefficients[j], s.coefficients[j]
        if abs(s.rho) <= lam:
            why = (f"|ρ| = {pf.num(abs(s.rho))} ≤ λ = 0.05, so soft-thresholding sets it to "
                   "exactly 0")
            assert new == 0.0
        else:
            why = (f"|ρ| = {pf.num(abs(s.rho))} > λ = 0.05, so it becomes "
                   f"(ρ {'−' if s.rho > 0 else '+'} λ)/z = {pf.num(new)}")
        assert s.caption == f"Sweep {s.sweep}, coefficient {j}: {why} (was {pf.num(old)})."
    assert {s.sweep for s in updates} == {1, 2}
    limit = steps[-2]
    zeros = int(limit.zeros.sum())
    moved = max(abs(a.coefficients[a.coordinate] - b.coefficients[a.coordinate])
                for a, b in zip(updates[12:], [updates[11], *updates[12:]], strict=False))
    assert limit.caption == (f"Sweep 2: every coefficient updated once; the largest change was "
                             f"{pf.num(moved)}; {zeros} of the 12 penalised coefficients "
                             f"{'is' if zeros == 1 else 'are'} exactly 0. Stopped at the limit "
                             "of 2 sweeps.")
    assert limit.coordinate == 0 and np.isnan(limit.rho) and limit.sweep == 2
    path = steps[-1]
    best = int(np.argmin(path.path_val))
    assert path.caption == (f"The coefficients over 30 values of λ, from "
                            f"{pf.num(path.path_lams[0])} to {pf.num(path.path_lams[-1])}: as λ "
                            f"grows they shrink and drop to 0 one by one. The validation error "
                            f"is lowest at λ ≈ {pf.num(path.path_lams[best])} "
                            f"({pf.num(path.path_val[best])}).")
    np.testing.assert_allclose(path.path_train, [np.mean((X @ c - y) ** 2)
                                                 for c in path.path_coefficients])


def test_converged_caption_and_ridge_captions_in_full():
    pr = problem(n=100, seed=1)
    steps = steps_of(pr, lam=0.02, degree=6, tol=1e-9)
    done = steps[-2]
    assert done.phase == "converged"
    assert done.caption.startswith(f"Sweep {done.sweep}: every coefficient updated once; ")
    assert done.caption.endswith(" Nothing moves any more: converged.")
    assert [s.sweep for s in steps[2:-1]] == list(range(1, done.sweep + 1))
    ridge = steps_of(pr, penalty="ridge", lam=3.0, degree=6)
    X, y = train_xy(pr, 6)
    Xv, yv = pr.features(pr.val, 6), pr.y[pr.val]
    w = Ridge(alpha=3.0).fit(X[:, 1:], y)
    coef = np.concatenate([[w.intercept_], w.coef_])
    ls = np.linalg.lstsq(X, y, rcond=None)[0]
    shrink = np.linalg.norm(coef[1:]) / np.linalg.norm(ls[1:])
    assert ridge[1].caption == (f"Ridge with λ = 3: w = (XᵀX + λD)⁻¹Xᵀy in one solve. The "
                                f"coefficients shrank to {pf.num(100 * shrink, 3)}% of their "
                                f"length; none is exactly 0. Validation error "
                                f"{pf.num(np.mean((Xv @ coef - yv) ** 2))}.")
    r = y - X @ coef
    assert ridge[1].metrics["objective"] == pytest.approx(r @ r + 3.0 * np.sum(coef[1:] ** 2))
    assert ridge[2].caption.startswith("The coefficients over 30 values of λ, from ")
    assert "as λ grows they shrink. The validation error" in ridge[2].caption
    assert ridge[1].sweep == 0 and ridge[1].coordinate == 0


def test_objective_by_hand():
    X = np.array([[1.0, 2.0], [1.0, -1.0], [1.0, 0.0]])
    y = np.array([1.0, 0.0, 2.0])
    w = np.array([0.5, 1.5])
    # residuals 1 − 3.5, 0 + 1, 2 − 0.5 = −2.5, 1, 1.5; squares 6.25 + 1 + 2.25 = 9.5
    assert rg.objective("ridge", X, y, w, 2.0) == pytest.approx(9.5 + 2.0 * 1.5**2)
    assert rg.objective("lasso", X, y, w, 2.0) == pytest.approx(9.5 / 6 + 2.0 * 1.5)


def test_picture_levels_are_spaced_around_the_touching_contour():
    pic = rg.picture(problem(seed=3), "ridge", 20.0)
    F, yc = rg.two_features(problem(seed=3))
    floor = np.mean((yc - F @ pic.least_squares) ** 2)
    rise = pic.touch - floor
    np.testing.assert_allclose(pic.levels, floor + rise * np.array([0.25, 1, 2.25, 4, 6.25, 9]))
    flat = rg.picture(problem(seed=3), "ridge", 0.0)
    step = (flat.loss.max() - flat.touch) / 16
    np.testing.assert_allclose(flat.levels, flat.touch + step * np.arange(1, 9) ** 2 / 4,
                               rtol=1e-9)
    assert len(pic.boundary) == 129 and len(pic.trail) == 2
    np.testing.assert_allclose(pic.trail, [[0, 0], pic.solution])
    assert pic.penalty == "ridge" and pic.lam == 20.0 and pic.loss.shape == (121, 121)
