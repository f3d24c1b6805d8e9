"""k-fold cross-validation against scikit-learn's KFold and cross_val_score."""

import dataclasses
import math
import re

import numpy as np
import pytest
from numpy.polynomial import legendre
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from algorithms import crossval
from algorithms import polyfit as pf

BAD_TEXT = re.compile(r"\bnan\b|[−-]0(?![.\d])|\b1 (points|folds)\b", re.IGNORECASE)


def problem(n=40, seed=0, **data):
    return pf.make_problem(pf.Data(n_points=n, **data), np.random.default_rng(seed))


def steps_of(pr, seed=0, **params):
    return list(crossval.run(pr, crossval.Params(**params), np.random.default_rng(seed)))


def legendre_model(pr, degree):
    def features(x):
        t = legendre.legvander(pf.scaled(x[:, 0], pr.domain), degree)
        return t * np.sqrt(2 * np.arange(degree + 1) + 1)
    return make_pipeline(FunctionTransformer(features),
                         LinearRegression(fit_intercept=False, tol=1e-14))


def sklearn_splits(pool, k, shuffle, seed):
    """KFold without shuffling on the order our rng produces: the same folds."""
    order = np.random.default_rng(seed).permutation(pool) if shuffle else pool
    return [(order[tr], order[te]) for tr, te in KFold(k).split(order)]


@pytest.mark.parametrize(("k", "shuffle", "degree"), [(5, True, 3), (4, False, 2), (10, True, 6),
                                                      (3, True, 1)])
def test_folds_and_scores_equal_scikit_learn(k, shuffle, degree):
    pr = problem(n=50, seed=1)
    steps = steps_of(pr, seed=9, folds=k, shuffle=shuffle, degree=degree, max_degree=8)
    pool = np.union1d(pr.train, pr.val)
    splits = sklearn_splits(pool, k, shuffle, 9)
    folds = [s for s in steps if s.phase == "fold"]
    assert len(folds) == k
    for s, (_, held) in zip(folds, splits, strict=True):
        np.testing.assert_array_equal(s.held_out, np.sort(held))
    ref = -cross_val_score(legendre_model(pr, degree), pr.x[:, None], pr.y, cv=splits,
                           scoring="neg_mean_squared_error")
    np.testing.assert_allclose(folds[-1].scores, ref, rtol=1e-8)
    score = next(s for s in steps if s.phase == "score")
    assert score.metrics["mean error"] == pytest.approx(ref.mean())
    assert score.metrics["spread"] == pytest.approx(ref.std())
    final = steps[-1]
    for d in range(1, 9):
        ref_d = -cross_val_score(legendre_model(pr, d), pr.x[:, None], pr.y, cv=splits,
                                 scoring="neg_mean_squared_error")
        assert final.cv_means[d - 1] == pytest.approx(ref_d.mean(), rel=1e-8)
        assert final.cv_spreads[d - 1] == pytest.approx(ref_d.std(), rel=1e-6, abs=1e-12)


def test_every_pool_point_is_held_out_exactly_once_and_no_test_point_ever():
    pr = problem(n=37, seed=2)
    steps = steps_of(pr, folds=6)
    held = np.concatenate([s.held_out for s in steps if s.phase == "fold"])
    np.testing.assert_array_equal(np.sort(held), np.union1d(pr.train, pr.val))
    assert np.intersect1d(held, pr.test).size == 0
    np.testing.assert_array_equal(steps[0].pool, np.union1d(pr.train, pr.val))
    for s in steps:
        assert s.folds is steps[0].folds          # the fold plan is shared, not copied


def test_test_targets_are_never_read():
    pr = problem(n=40, seed=3)
    y = np.array(pr.y)
    y[pr.test] = np.nan
    steps = steps_of(dataclasses.replace(pr, y=y), max_degree=6)
    for s in steps:
        assert all(math.isfinite(v) for v in s.metrics.values())
        assert np.all(np.isfinite(s.curve)) and np.all(np.isfinite(s.cv_means))
    assert "still untouched" in steps[-1].caption


def test_the_chosen_degree_is_refitted_on_the_whole_pool():
    pr = problem(n=60, seed=4)
    steps = steps_of(pr, max_degree=10)
    final = steps[-1]
    best = int(np.argmin(final.cv_means)) + 1
    assert final.best_degree == best == final.degree
    pool = np.union1d(pr.train, pr.val)
    ref = legendre_model(pr, best).fit(pr.x[pool, None], pr.y[pool])
    np.testing.assert_allclose(final.curve, ref.predict(pr.grid[:, None]), atol=1e-9)
    assert [s.phase for s in steps] == (["split"] + ["fold"] * 5 + ["score"] + ["degree"] * 10
                                        + ["choose"])


def test_fold_fit_uses_everything_but_the_held_out_points():
    pr = problem(n=30, seed=5)
    pool = np.union1d(pr.train, pr.val)
    held = pool[::4]
    w, score = crossval.fold_fit(pr, pool, held, 2)
    rest = np.setdiff1d(pool, held)
    ref = np.polynomial.Polynomial.fit(pr.x[rest], pr.y[rest], 2, domain=list(pr.domain))
    assert score == pytest.approx(np.mean((ref(pr.x[held]) - pr.y[held]) ** 2))
    np.testing.assert_allclose(pr.curve(w), ref(pr.grid), atol=1e-10)


def test_captions_numbers_and_snapshots():
    pr = problem(n=40)
    steps = steps_of(pr, folds=5, degree=3, max_degree=4)
    assert steps[0].caption == ("The 32 training and validation points, shuffled and cut into "
                                "5 folds of 6 or 7. The 8 test points take no part.")
    first = steps[1]
    assert first.caption.startswith(f"Fold 1 of 5: held out {len(first.held_out)} points, "
                                    f"fitted degree 3 on the other {32 - len(first.held_out)}; "
                                    f"held-out error {pf.num(first.scores[0])}.")
    score = steps[6]
    assert score.caption.startswith(f"Degree 3: cross-validated error "
                                    f"{pf.num(score.metrics['mean error'])} ± "
                                    f"{pf.num(score.metrics['spread'])} over the 5 folds.")
    assert score.held_out.size == 0 and score.fold == 0
    plain = steps_of(problem(n=20, test=0.0), folds=4, shuffle=False, max_degree=2)
    assert plain[0].caption == ("The 20 training and validation points, cut into 4 folds of 5. "
                                "No test points were kept.")
    for s in steps + plain:
        assert not BAD_TEXT.search(s.caption), s.caption
        for f in dataclasses.fields(s):
            value = getattr(s, f.name)
            if isinstance(value, np.ndarray) and value.size:
                assert not value.flags.writeable
    assert [s.index for s in steps] == list(range(len(steps)))


def test_a_fold_of_one_point_says_point():
    pr = pf.from_xy(np.arange(8.0), np.arange(8.0) ** 2, np.random.default_rng(0),
                    validation=0.25, test=0.0)
    fold = steps_of(pr, folds=8, degree=1, max_degree=1)[1]
    assert "held out 1 point," in fold.caption


def test_seeded_shuffle_is_deterministic():
    pr = problem()
    a, b, c = (steps_of(pr, seed=s) for s in (1, 1, 2))
    assert all(np.array_equal(x, y) for x, y in zip(a[0].folds, b[0].folds, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a[0].folds, c[0].folds, strict=True))


@pytest.mark.parametrize(("n", "folds", "message"), [
    (5, 5, "5 folds need at least 5 points outside the test set; there are 4"),
    (40, 21, "folds must be between 2 and 20"),
])
def test_fewer_points_than_folds_gets_a_clear_message(n, folds, message):
    pr = problem(n=n, seed=1)
    with pytest.raises(ValueError, match=message):
        steps_of(pr, folds=folds)


def test_high_degree_folds_are_allowed_and_said():
    pr = problem(n=12, seed=6)
    fold = steps_of(pr, folds=3, degree=12, max_degree=3)[1]
    assert "minimum norm" in fold.caption


@pytest.mark.parametrize("scale", [1e70, 1e-70])
def test_extreme_but_accepted_y_scales_keep_every_number_finite(scale):
    pr = problem(n=40, seed=7)
    big = pf.from_xy(pr.x, pr.y * scale, np.random.default_rng(0))
    ref = pf.from_xy(pr.x, pr.y, np.random.default_rng(0))
    a, b = steps_of(ref, max_degree=6), steps_of(big, max_degree=6)
    for s, t in zip(a, b, strict=True):
        assert all(math.isfinite(v) for v in t.metrics.values())
        assert "∞" not in t.caption
        np.testing.assert_allclose(t.cv_spreads, s.cv_spreads * scale**2, rtol=1e-6)


def test_every_step_in_full():
    pr = problem(n=40, seed=0)
    steps = steps_of(pr, seed=0, folds=5, degree=3, max_degree=3)
    pool = np.union1d(pr.train, pr.val)
    splits = sklearn_splits(pool, 5, True, 0)
    assert steps[0].metrics == {"folds": 5, "pool": 32}
    assert steps[0].fold == 0 and steps[0].held_out.size == 0 and steps[0].scores.size == 0
    assert steps[0].coefficients.size == 0 and steps[0].degree == 3
    for i, (s, (rest, held)) in enumerate(zip(steps[1:6], splits, strict=True), start=1):
        ref = legendre_model(pr, 3).fit(pr.x[rest, None], pr.y[rest])
        score = np.mean((ref.predict(pr.x[held, None]) - pr.y[held]) ** 2)
        assert s.caption == (f"Fold {i} of 5: held out {len(held)} points, fitted degree 3 on "
                             f"the other {32 - len(held)}; held-out error {pf.num(score)}.")
        assert s.metrics == pytest.approx({"fold": i, "held-out error": score})
        assert s.fold == i
        np.testing.assert_allclose(s.curve, ref.predict(pr.grid[:, None]), atol=1e-9)
    scores = steps[5].scores
    assert steps[6].caption == (f"Degree 3: cross-validated error {pf.num(scores.mean())} ± "
                                f"{pf.num(scores.std())} over the 5 folds. Every point was held "
                                "out exactly once.")
    for d, s in enumerate(steps[7:10], start=1):
        m, sd = s.cv_means[-1], s.cv_spreads[-1]
        assert s.caption == (f"Degree {d}: cross-validated error {pf.num(m)} ± {pf.num(sd)} "
                             "(5 folds refitted).")
        assert s.metrics == pytest.approx({"degree": d, "mean error": m, "spread": sd})
        np.testing.assert_array_equal(s.degrees, np.arange(1, d + 1))
        assert s.best_degree is None
    final = steps[-1]
    best = final.best_degree
    assert final.caption == (f"Degree {best} has the lowest cross-validated error "
                             f"({pf.num(final.cv_means[best - 1])} ± "
                             f"{pf.num(final.cv_spreads[best - 1])}); refitted on all 32 points. "
                             "The test points are still untouched.")
    assert final.metrics == pytest.approx({"best degree": best,
                                           "mean error": final.cv_means[best - 1]})


def test_cross_validate_equals_the_fold_steps():
    pr = problem(n=40, seed=1)
    steps = steps_of(pr, folds=4, degree=2, max_degree=2)
    np.testing.assert_allclose(crossval.cross_validate(pr, steps[0].folds, 2),
                               steps[4].scores, rtol=1e-12)
