"""Logistic regression against scikit-learn's LogisticRegression, and its stepwise run."""

import math

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from algorithms import labelled, logistic
from algorithms.logistic import Params

BAD_TEXT = ("nan", "inf", "−0 ", "-0 ", "(−0", " 1 points", " 1 updates")


def data(shape="moons", points=300, classes=2, noise=0.3, seed=0, test_fraction=0.25):
    return labelled.generate(labelled.Data(shape=shape, points=points, classes=classes,
                                           noise=noise, test_fraction=test_fraction), seed)


def steps_of(d, params):
    return list(logistic.run(d, params, np.random.default_rng(0)))


def sklearn_fit(X, y, l2):
    # the same cost: scikit-learn minimises C·Σ loss + ½‖w‖², i.e. mean loss + ‖w‖²/(2nC),
    # so λ = 1 / (n·C); neither penalises the intercept
    return LogisticRegression(C=1 / (len(X) * l2), tol=1e-12, max_iter=10_000).fit(X, y)


# --- against scikit-learn ----------------------------------------------------------------
@pytest.mark.parametrize(("shape", "classes", "l2"), [
    ("moons", 2, 0.01), ("linear", 2, 0.1), ("blobs", 3, 0.01), ("spirals", 4, 0.05),
    ("blobs", 5, 0.001),
])
def test_converged_weights_match_scikit_learn(shape, classes, l2):
    d = data(shape, classes=classes)
    last = steps_of(d, Params(lr=1.0, l2=l2, updates=20_000, tol=1e-11, standardize=True))[-1]
    assert last.phase == "converged"
    scaled = labelled.Scaling.fit(d.X_train).apply(d.X_train)
    ref = sklearn_fit(scaled, d.y_train, l2)
    np.testing.assert_allclose(last.model.W, ref.coef_, atol=1e-4)
    np.testing.assert_allclose(last.model.b, ref.intercept_, atol=1e-4)
    assert last.model.binary == (classes == 2)


def test_raw_features_converge_to_scikit_learn_too():
    # moons unscaled span about 12 × 6, so a smaller step is stable
    d = data("moons", points=200, noise=0.25)
    last = steps_of(d, Params(lr=0.5, l2=0.05, updates=20_000, tol=1e-11))[-1]
    assert last.phase == "converged"
    ref = sklearn_fit(d.X_train, d.y_train, 0.05)
    np.testing.assert_allclose(last.model.W, ref.coef_, atol=1e-4)
    np.testing.assert_allclose(last.model.b, ref.intercept_, atol=1e-4)
    grid = np.random.default_rng(1).uniform(-10, 10, size=(500, 2))
    np.testing.assert_allclose(last.model.predict_proba(grid), ref.predict_proba(grid),
                               atol=1e-4)


def test_the_standardised_model_predicts_like_a_scaler_pipeline():
    d = data("blobs", classes=3)
    X = d.X * [1.0, 50.0]
    train = d.train
    fitted = labelled.labelled(X, d.y, d.names, 0.25)
    last = steps_of(fitted, Params(lr=1.0, l2=0.01, updates=20_000, tol=1e-11,
                                   standardize=True))[-1]
    n = int(train.sum())
    ref = make_pipeline(StandardScaler(), LogisticRegression(C=1 / (n * 0.01), tol=1e-12,
                                                             max_iter=10_000))
    ref.fit(fitted.X_train, fitted.y_train)
    grid = np.random.default_rng(2).uniform(-10, 10, size=(400, 2)) * [1.0, 50.0]
    np.testing.assert_allclose(last.model.predict_proba(grid), ref.predict_proba(grid),
                               atol=1e-5)
    np.testing.assert_array_equal(last.model.predict(grid), ref.predict(grid))
    # the same scores on unscaled points, for drawing the boundary
    W, b = last.model.in_data_units()
    np.testing.assert_allclose(grid @ W.T + b, last.model.decision_function(grid), atol=1e-9)


# --- the cost, the gradient and one update by hand ----------------------------------------
@pytest.mark.parametrize("m", [1, 3])
def test_gradient_matches_finite_differences(m):
    rng = np.random.default_rng(m)
    X = rng.normal(size=(40, 2))
    codes = rng.integers(0, max(2, m), 40)
    W, b = rng.normal(size=(m, 2)), rng.normal(size=m)
    gW, gb = logistic.gradient(W, b, X, codes, 0.3)
    eps = 1e-6
    for theta, grad in ((W, gW), (b, gb)):
        for i in np.ndindex(theta.shape):
            saved = theta[i]
            theta[i] = saved + eps
            up = sum(logistic.cost(W, b, X, codes, 0.3))
            theta[i] = saved - eps
            down = sum(logistic.cost(W, b, X, codes, 0.3))
            theta[i] = saved
            assert grad[i] == pytest.approx((up - down) / (2 * eps), abs=1e-7)


def test_first_update_worked_by_hand():
    # Points (1, 0) of class A and (0, 1) of class B; w = 0, b = 0 gives p(B) = ½ for both.
    # Loss = log 2 = 0.6931. ∂/∂w = mean((p − y)·x) = ((½)(1, 0) + (−½)(0, 1)) / 2
    # = (0.25, −0.25); ∂/∂b = mean(½, −½) = 0. With η = 1: w = (−0.25, 0.25), b = 0.
    # Then z = ∓0.25, p(B) = σ(∓0.25), loss = log(1 + e^−0.25) = 0.5759.
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    d = labelled.labelled(X, [0, 1], names=("A", "B"), test_fraction=0.0)
    init, first, *_ = steps_of(d, Params(lr=1.0, l2=0.0, updates=3))
    assert init.loss == pytest.approx(math.log(2))
    assert "loss 0.6931" in init.caption and "p(B) = σ(w·x + b)" in init.caption
    np.testing.assert_allclose(first.model.W, [[-0.25, 0.25]])
    np.testing.assert_allclose(first.model.b, [0.0])
    np.testing.assert_allclose(first.gradient_W, [[0.25, -0.25]])
    assert first.loss == pytest.approx(math.log1p(math.exp(-0.25)))
    assert first.change == pytest.approx(0.25)
    assert first.caption == ("Update 1: loss 0.5759 (down 0.117); largest change 0.25, in "
                             "the weight of x₁ for class B.")


def test_the_penalty_is_half_lambda_times_the_squared_weights():
    X = np.array([[1.0, 2.0], [3.0, -1.0]])
    W, b = np.array([[0.5, -2.0]]), np.array([7.0])
    data_part, penalty = logistic.cost(W, b, X, np.array([0, 1]), 0.2)
    assert penalty == pytest.approx(0.1 * (0.25 + 4.0))     # the bias is not penalised
    z = X @ W[0] + 7.0
    assert data_part == pytest.approx(np.mean([math.log1p(math.exp(z[0])),
                                               math.log1p(math.exp(-z[1]))]))


# --- the run -------------------------------------------------------------------------------
def test_loss_falls_at_every_update_with_a_small_step():
    steps = steps_of(data("blobs", classes=4), Params(lr=0.05, updates=200, tol=0.0))
    losses = [s.loss for s in steps]
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False))
    assert steps[-1].phase == "stopped" and "last update allowed" in steps[-1].caption
    assert [s.index for s in steps] == list(range(201))
    assert [s.iteration for s in steps] == list(range(201))


def test_history_views_hold_every_earlier_loss_and_never_change():
    steps = steps_of(data(), Params(updates=50, tol=0.0))
    for i, s in enumerate(steps):
        np.testing.assert_array_equal(s.losses, [t.loss for t in steps[:i + 1]])
        with pytest.raises(ValueError):
            s.losses[0] = 1.0
        for a in (s.model.W, s.model.b, s.gradient_W, s.gradient_b):
            with pytest.raises(ValueError):
                a[...] = 0


def test_captions_and_metrics_read_well():
    steps = steps_of(data("blobs", classes=3), Params(lr=0.2, updates=40, tol=0.0))
    assert "softmax over 3 classes" in steps[0].caption
    assert "raw (not standardised) features" in steps[0].caption
    for s in steps:
        text = s.caption + " "
        assert not any(bad in text for bad in BAD_TEXT), s.caption
        assert all(math.isfinite(v) for v in s.metrics.values())
    s = steps[7]
    assert f"loss {s.metrics['loss']:.4g}" in s.caption.replace("−", "-")
    assert s.metrics["largest change"] == s.change
    dW = np.abs(steps[7].model.W - steps[6].model.W).max()
    db = np.abs(steps[7].model.b - steps[6].model.b).max()
    assert s.change == pytest.approx(max(dW, db))
    assert set(s.metrics) >= {"train accuracy", "test accuracy", "cross-entropy", "penalty"}
    assert s.metrics["train accuracy"] == np.mean(s.model.predict(data("blobs", classes=3)
                                                                  .X_train) ==
                                                  data("blobs", classes=3).y_train)


def test_a_learning_rate_too_large_is_caught_and_explained():
    d = labelled.labelled(data("blobs").X * 1000, data("blobs").y)
    steps = steps_of(d, Params(lr=50.0, updates=100, l2=0.0))
    last = steps[-1]
    assert last.phase == "diverged"
    assert "overshoots" in last.caption and "smaller one, or standardise" in last.caption
    assert "nan" not in last.caption
    assert all(math.isfinite(v) for v in last.metrics.values())
    assert len(steps) < 100


def test_a_large_offset_diverges_raw_and_works_standardised():
    base = data("moons")
    far = labelled.labelled(base.X + 1e8, base.y, base.names)
    raw = steps_of(far, Params(updates=50))
    assert raw[-1].phase == "diverged" and raw[-1].iteration == 1
    scaled = steps_of(far, Params(updates=300, standardize=True))[-1]
    near = steps_of(labelled.labelled(base.X, base.y, base.names),
                    Params(updates=300, standardize=True))[-1]
    np.testing.assert_allclose(scaled.model.W, near.model.W, atol=1e-6)
    assert scaled.metrics["train accuracy"] == near.metrics["train accuracy"] > 0.8


def test_converged_step_says_so():
    steps = steps_of(data(), Params(lr=1.0, updates=5000, tol=1e-3, standardize=True))
    assert steps[-1].phase == "converged"
    assert steps[-1].change <= 1e-3 < steps[-2].change
    assert "converged" in steps[-1].caption


def test_same_data_same_run():
    a = steps_of(data(), Params(updates=30))
    b = steps_of(data(), Params(updates=30))
    assert [s.caption for s in a] == [s.caption for s in b]
    np.testing.assert_array_equal(a[-1].model.W, b[-1].model.W)


def test_probabilities_are_probabilities_even_for_huge_scores():
    model = logistic.LogisticModel(np.array([[1e6, -1e6], [0.0, 0.0], [-1e6, 5.0]]),
                                   np.zeros(3), np.array([0, 1, 2]))
    P = model.predict_proba(np.random.default_rng(0).normal(size=(50, 2)) * 100)
    assert np.isfinite(P).all()
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    binary = logistic.LogisticModel(np.array([[1e6, 0.0]]), np.zeros(1), np.array([3, 8]))
    np.testing.assert_array_equal(binary.predict([[-1.0, 0.0], [1.0, 0.0]]), [3, 8])


def test_parameters_outside_their_limits_are_refused():
    with pytest.raises(ValueError, match="lr must be between"):
        next(logistic.run(data(), Params(lr=0.0)))
