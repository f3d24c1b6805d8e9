"""The degree sweep (underfit → overfit) and the learning curve, against numpy.polynomial and
scikit-learn's learning_curve on the same Legendre features."""

import dataclasses
import math
import re

import numpy as np
import pytest
from numpy.polynomial import Polynomial, legendre
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import learning_curve as sk_learning_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from algorithms import learning_curve, overfitting
from algorithms import polyfit as pf

BAD_TEXT = re.compile(r"\bnan\b|[−-]0(?![.\d])|\b1 (points|coefficients|epochs|folds)\b|e−3\d\b",
                      re.IGNORECASE)


def problem(n=40, seed=0, **data):
    return pf.make_problem(pf.Data(n_points=n, **data), np.random.default_rng(seed))


def legendre_model(pr, degree):
    """scikit-learn's view of the same model: numpy's Legendre basis, then least squares."""
    def features(x):
        t = legendre.legvander(pf.scaled(x[:, 0], pr.domain), degree)
        return t * np.sqrt(2 * np.arange(degree + 1) + 1)
    # LinearRegression passes `tol` to scipy's lstsq as the singular-value cut-off (1e-6 by
    # default, which drops real information from a near-square design); numpy's default,
    # machine epsilon × the larger dimension, is what the app uses
    return make_pipeline(FunctionTransformer(features),
                         LinearRegression(fit_intercept=False, tol=1e-14))


def check_readable_and_frozen(steps):
    for s in steps:
        assert not BAD_TEXT.search(s.caption), s.caption
        assert all(math.isfinite(v) for v in s.metrics.values()), s.metrics
        for f in dataclasses.fields(s):
            value = getattr(s, f.name)
            if isinstance(value, np.ndarray) and value.size:
                assert not value.flags.writeable, f.name
    assert [s.index for s in steps] == list(range(len(steps)))


# --- degree sweep -------------------------------------------------------------------------
def sweep(pr, **params):
    return list(overfitting.run(pr, overfitting.Params(**params), np.random.default_rng(0)))


def test_every_degree_is_the_least_squares_polynomial_of_the_training_points():
    pr = problem(n=60, seed=1)
    steps = sweep(pr, max_degree=12)
    xt, yt = pr.x[pr.train], pr.y[pr.train]
    for s in steps[1:-1]:
        ref = Polynomial.fit(xt, yt, s.degree, domain=list(pr.domain))
        np.testing.assert_allclose(s.curve, ref(pr.grid), atol=1e-8)
        assert s.train_errors[-1] == pytest.approx(mean_squared_error(yt, ref(xt)), rel=1e-8)
        assert s.val_errors[-1] == pytest.approx(
            mean_squared_error(pr.y[pr.val], ref(pr.x[pr.val])), rel=1e-8)
        assert s.metrics["degree"] == s.degree
        np.testing.assert_array_equal(s.degrees, np.arange(1, s.degree + 1))


def test_the_validation_curve_is_a_u_and_its_bottom_is_chosen():
    pr = problem(n=40, seed=0)
    steps = sweep(pr, max_degree=15)
    final = steps[-1]
    assert [s.phase for s in steps] == ["split"] + ["fit"] * 15 + ["best"]
    best = int(np.argmin(final.val_errors)) + 1
    assert final.best_degree == best == final.degree
    assert 1 < best < 15
    assert final.val_errors[best - 1] < final.val_errors[0]
    assert final.val_errors[best - 1] < final.val_errors[-1]
    assert np.all(np.diff(final.train_errors) <= 1e-12)
    np.testing.assert_array_equal(final.coefficients, steps[best].coefficients)
    test = mean_squared_error(pr.y[pr.test],
                              Polynomial.fit(pr.x[pr.train], pr.y[pr.train], best,
                                             domain=list(pr.domain))(pr.x[pr.test]))
    assert final.test_error == pytest.approx(test, rel=1e-8)
    assert f"lowest at degree {best} ({pf.num(final.val_errors[best - 1])})" in final.caption
    assert f"used just this once: {pf.num(test)}" in final.caption


def test_the_test_points_are_read_only_at_the_very_end():
    pr = problem(n=40, seed=2)
    y = np.array(pr.y)
    y[pr.test] = np.nan            # any earlier use would spread NaN into a number
    blind = dataclasses.replace(pr, y=y)
    steps = sweep(blind, max_degree=8)
    for s in steps[:-1]:
        assert np.isnan(s.test_error)
        assert np.all(np.isfinite(s.val_errors)) and np.all(np.isfinite(s.train_errors))
    assert np.isnan(steps[-1].test_error)    # the one place it is used


def test_without_test_points_the_caption_says_so():
    pr = problem(n=30, seed=3, test=0.0)
    final = sweep(pr, max_degree=5)[-1]
    assert "No test points were kept" in final.caption
    assert "test error" not in final.metrics


def test_high_degree_on_few_points_is_allowed_and_said():
    pr = problem(n=15, seed=4)                     # 8 training points
    steps = sweep(pr, max_degree=20)
    assert len(pr.train) == 8
    for s in steps[1:-1]:
        assert s.underdetermined == (s.degree >= 8)
        assert ("minimum norm" in s.caption) == (s.degree >= 8)
    interpolating = steps[10]
    assert interpolating.caption.startswith("Degree 10: training error 0,")
    assert interpolating.train_errors[-1] < 1e-20


def test_split_step_and_captions():
    pr = problem(n=40)
    steps = sweep(pr, max_degree=6)
    assert steps[0].caption.startswith("40 points: 22 for training, 10 for validation, 8 kept")
    assert steps[0].curve.size == 0 and steps[0].degree == 0
    s = steps[3]
    assert s.caption.startswith(f"Degree 3: training error {pf.num(s.train_errors[-1])}, "
                                f"validation error {pf.num(s.val_errors[-1])}.")
    check_readable_and_frozen(steps)


def test_the_noise_remark_appears_exactly_when_validation_rises_and_training_falls():
    pr = problem(n=40, seed=0)
    steps = sweep(pr, max_degree=15)
    for prev, s in zip(steps[1:-2], steps[2:-1], strict=True):
        rose = s.val_errors[-1] > prev.val_errors[-1] and s.train_errors[-1] <= \
            prev.train_errors[-1]
        assert ("fitting noise" in s.caption) == rose


def test_sweep_is_deterministic_and_rejects_bad_params():
    pr = problem()
    a, b = sweep(pr), sweep(pr)
    assert [s.caption for s in a] == [s.caption for s in b]
    with pytest.raises(ValueError, match="max_degree must be between 1 and 20"):
        sweep(pr, max_degree=21)


# --- learning curve -----------------------------------------------------------------------
def grow(pr, seed=0, **params):
    return list(learning_curve.run(pr, learning_curve.Params(**params),
                                   np.random.default_rng(seed)))


def test_schedule():
    np.testing.assert_array_equal(learning_curve.schedule(22, 3, 12),
                                  np.unique(np.round(np.linspace(3, 22, 12)).astype(int)))
    np.testing.assert_array_equal(learning_curve.schedule(5, 3, 10), [3, 4, 5])
    np.testing.assert_array_equal(learning_curve.schedule(4, 9, 3), [4])
    assert learning_curve.schedule(100, 2, 2).tolist() == [2, 100]


@pytest.mark.parametrize(("simple", "complex_"), [(1, 9), (2, 12), (3, 20)])
def test_learning_curve_equals_scikit_learn(simple, complex_):
    pr = problem(n=80, seed=5)
    steps = grow(pr, seed=7, simple=simple, complex=complex_, sizes=10, start=2)
    final = steps[-1]
    order = np.random.default_rng(7).permutation(pr.train)   # the run's one draw
    np.testing.assert_array_equal(final.order, order)
    X = pr.x[:, None]
    for degree, train_key, val_key in ((simple, "simple_train", "simple_val"),
                                       (complex_, "complex_train", "complex_val")):
        sizes, train, val = sk_learning_curve(
            legendre_model(pr, degree), X, pr.y, train_sizes=final.sizes,
            cv=[(order, pr.val)], scoring="neg_mean_squared_error", shuffle=False)
        np.testing.assert_array_equal(sizes, final.sizes)
        np.testing.assert_allclose(getattr(final, train_key), -train[:, 0], rtol=1e-6,
                                   atol=1e-12)
        np.testing.assert_allclose(getattr(final, val_key), -val[:, 0], rtol=1e-6)


def test_each_training_set_contains_the_one_before_and_curves_match_the_coefficients():
    pr = problem(n=50, seed=6)
    steps = grow(pr, sizes=8)
    sizes = [s.size for s in steps]
    assert sizes == sorted(set(sizes)) and sizes[-1] == len(pr.train)
    assert all(s.order is steps[0].order for s in steps)         # shared, not copied
    np.testing.assert_array_equal(np.sort(steps[0].order), pr.train)
    for s in steps:
        np.testing.assert_allclose(s.simple_curve, pr.curve(s.simple_coefficients))
        np.testing.assert_allclose(s.complex_curve, pr.curve(s.complex_coefficients))
        used = s.order[: s.size]
        X = pr.features(used, 12)
        np.testing.assert_allclose(s.complex_train[-1], pf.mse(X, s.complex_coefficients,
                                                               pr.y[used]), atol=1e-14)
    assert [s.phase for s in steps] == ["grow"] * (len(steps) - 1) + ["done"]


def test_more_data_tames_the_complex_model():
    pr = problem(n=400, seed=8, noise=0.3)
    steps = grow(pr, simple=1, complex=12, sizes=10, start=13)
    final = steps[-1]
    assert final.complex_val[-1] < final.complex_val[0] / 5
    # the simple model's errors meet at its bias, well above the complex model's
    assert final.simple_val[-1] > 2 * final.complex_val[-1]
    assert abs(final.simple_val[-1] - final.simple_train[-1]) < 0.2 * final.simple_val[-1]


def test_learning_curve_captions_and_snapshots():
    pr = problem(n=40, seed=9)
    steps = grow(pr, start=1, sizes=5)
    assert steps[0].caption.startswith("1 training point. Degree 2: training 0, ")
    assert "13 coefficients but only 1 point" in steps[0].caption
    last = steps[-1]
    assert last.caption.startswith(f"{len(pr.train)} training points. Degree 2: training "
                                   f"{pf.num(last.simple_train[-1])}, validation "
                                   f"{pf.num(last.simple_val[-1])}. Degree 12: training "
                                   f"{pf.error_text(last.complex_train[-1], pr.y)}")
    check_readable_and_frozen(steps)
    a, b = grow(pr, seed=3), grow(pr, seed=3)
    np.testing.assert_array_equal(a[-1].order, b[-1].order)
    assert not np.array_equal(a[-1].order, grow(pr, seed=4)[-1].order)


# --- every word and metric ------------------------------------------------------------------
def test_sweep_captions_and_metrics_in_full():
    pr = problem(n=40, seed=0)
    steps = sweep(pr, max_degree=6)
    assert steps[0].caption == ("40 points: 22 for training, 10 for validation, 8 kept back for "
                                "testing. Fits use only the training points; the validation "
                                "points judge them.")
    assert steps[0].metrics == {"training points": 22, "validation points": 10}
    assert steps[0].best_degree is None and np.isnan(steps[0].test_error)
    assert steps[0].train_errors.size == steps[0].val_errors.size == steps[0].degrees.size == 0
    xt, yt = pr.x[pr.train], pr.y[pr.train]
    for s in steps[1:-1]:
        ref = Polynomial.fit(xt, yt, s.degree, domain=list(pr.domain))
        tr = mean_squared_error(yt, ref(xt))
        va = mean_squared_error(pr.y[pr.val], ref(pr.x[pr.val]))
        assert s.metrics == pytest.approx({"degree": s.degree, "training error": tr,
                                           "validation error": va}, rel=1e-8)
        assert s.phase == "fit" and s.best_degree is None and not s.underdetermined
        assert s.index == s.degree
    final = steps[-1]
    best = final.best_degree
    assert final.index == 7
    assert final.metrics == pytest.approx({"best degree": best,
                                           "validation error": final.val_errors[best - 1],
                                           "test error": final.test_error})
    assert final.caption == (f"The validation error is lowest at degree {best} "
                             f"({pf.num(final.val_errors[best - 1])}). Its error on the test "
                             f"points, untouched until now and used just this once: "
                             f"{pf.num(final.test_error)}.")
    np.testing.assert_array_equal(final.degrees, np.arange(1, 7))
    np.testing.assert_allclose(final.curve, pr.curve(final.coefficients))
    noisy = next(s for s in sweep(pr, max_degree=15)[2:-1] if "noise" in s.caption)
    assert noisy.caption.endswith(" The validation error rose while the training error fell: "
                                  "the extra freedom is fitting noise.")


def test_fit_degree_equals_a_direct_fit():
    pr = problem(n=50, seed=11)
    w, tr, va = overfitting.fit_degree(pr, 4)
    ref = Polynomial.fit(pr.x[pr.train], pr.y[pr.train], 4, domain=list(pr.domain))
    np.testing.assert_allclose(pr.curve(w), ref(pr.grid), atol=1e-10)
    assert tr == pytest.approx(np.mean((ref(pr.x[pr.train]) - pr.y[pr.train]) ** 2))
    assert va == pytest.approx(np.mean((ref(pr.x[pr.val]) - pr.y[pr.val]) ** 2))


def test_learning_curve_metrics_in_full():
    pr = problem(n=60, seed=12)
    steps = grow(pr, simple=1, complex=5, sizes=4, start=10)
    for s in steps:
        assert s.metrics == {"training points": s.size,
                             "simple validation error": s.simple_val[-1],
                             "complex validation error": s.complex_val[-1]}
        used = s.order[: s.size]
        w, tr, va = learning_curve.errors_at(pr, used, 5)
        np.testing.assert_array_equal(w, s.complex_coefficients)
        assert (tr, va) == (s.complex_train[-1], s.complex_val[-1])
        assert "coefficients but only" not in s.caption
    assert steps[-1].caption == (
        f"{len(pr.train)} training points. Degree 1: training {pf.num(steps[-1].simple_train[-1])}"
        f", validation {pf.num(steps[-1].simple_val[-1])}. Degree 5: training "
        f"{pf.num(steps[-1].complex_train[-1])}, validation {pf.num(steps[-1].complex_val[-1])}.")
