"""Losses against central differences, naive formulas and scipy; the L1/L2/Huber line fits."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.special import huber as scipy_huber
from scipy.special import log_softmax
from sklearn.linear_model import QuantileRegressor

from algorithms import losses as L
from algorithms.base import num


def central(f, u, h=1e-6):
    return (f(u + h) - f(u - h)) / (2 * h)


RNG = np.random.default_rng(0)
PRED = RNG.normal(size=200) * 3
TARGET = RNG.normal(size=200)
AWAY = np.abs(PRED - TARGET) > 1e-3          # no kink inside the difference step


@pytest.mark.parametrize(("value", "grad"), [
    (L.l1, L.l1_gradient),
    (L.l2, L.l2_gradient),
    (lambda p, t: L.huber(p, t, 0.7), lambda p, t: L.huber_gradient(p, t, 0.7)),
], ids=["L1", "L2", "Huber"])
def test_residual_loss_gradients_equal_central_differences(value, grad):
    p, t = PRED[AWAY], TARGET[AWAY]
    if value is not L.l1 and value is not L.l2:   # Huber: also keep off |r| = δ
        keep = np.abs(np.abs(p - t) - 0.7) > 1e-3
        p, t = p[keep], t[keep]
    np.testing.assert_allclose(grad(p, t), central(lambda u: value(u, t), p), rtol=1e-7,
                               atol=1e-9)


def test_probability_and_logit_gradients_equal_central_differences():
    rng = np.random.default_rng(1)
    p = rng.uniform(0.02, 0.98, 100)
    y = rng.uniform(0, 1, 100)          # soft labels too
    np.testing.assert_allclose(L.binary_cross_entropy_gradient(p, y),
                               central(lambda u: L.binary_cross_entropy(u, y), p, 1e-7),
                               rtol=1e-6)
    z = rng.normal(size=100) * 5
    np.testing.assert_allclose(L.binary_cross_entropy_logits_gradient(z, y),
                               central(lambda u: L.binary_cross_entropy_logits(u, y), z),
                               rtol=1e-6, atol=1e-9)
    logits = rng.normal(size=(20, 4)) * 3
    probs = rng.dirichlet(np.ones(4), 20)
    labels = np.eye(4)[rng.integers(0, 4, 20)]
    for c in range(4):
        e = np.eye(4)[c]
        num_z = central(lambda u, e=e: L.categorical_cross_entropy_logits(logits + u * e,
                                                                          labels), 0.0)
        np.testing.assert_allclose(L.categorical_cross_entropy_logits_gradient(logits,
                                                                               labels)[:, c],
                                   num_z, rtol=1e-6, atol=1e-9)
        num_p = central(lambda u, e=e: L.categorical_cross_entropy(probs + u * e, labels),
                        0.0, 1e-8)
        np.testing.assert_allclose(L.categorical_cross_entropy_gradient(probs, labels)[:, c],
                                   num_p, rtol=1e-5, atol=1e-7)
    s = rng.normal(size=100) * 3
    sign = rng.choice([-1.0, 1.0], 100)
    keep = np.abs(sign * s - 1) > 1e-3
    np.testing.assert_allclose(L.hinge_gradient(s, sign)[keep],
                               central(lambda u: L.hinge(u, sign), s)[keep], atol=1e-9)


def test_values_by_hand_and_against_scipy():
    r = np.linspace(-5, 5, 101)
    np.testing.assert_allclose(L.huber(r, 0.0, 1.5), scipy_huber(1.5, r), rtol=1e-15)
    np.testing.assert_array_equal(L.l1(np.array([3.0, -1.0]), np.array([1.0, 1.0])), [2, 2])
    np.testing.assert_array_equal(L.l2(np.array([3.0]), np.array([1.0])), [2.0])  # ½·2²
    # hinge by hand: y = +1, s = 0.3 → 0.7; y = −1, s = −2 → 0; y = −1, s = 0.5 → 1.5
    np.testing.assert_allclose(L.hinge(np.array([0.3, -2.0, 0.5]), np.array([1, -1, -1])),
                               [0.7, 0.0, 1.5])
    np.testing.assert_array_equal(L.hinge_gradient(np.array([0.3, -2.0, 0.5]),
                                                   np.array([1, -1, -1])), [-1, 0, 1])
    # −Σ y log p with p = (0.2, 0.5, 0.3), class 2 → −log 0.5
    p = np.array([0.2, 0.5, 0.3])
    assert L.categorical_cross_entropy(p, np.array([0, 1, 0])) == pytest.approx(math.log(2))
    assert L.binary_cross_entropy(np.array(0.25), np.array(0.0)) == pytest.approx(
        -math.log(0.75))


@settings(max_examples=150, deadline=None)
@given(z=st.floats(-15, 15), y=st.floats(0, 1))   # where the naive form is still exact
def test_stable_binary_cross_entropy_equals_the_naive_formula(z, y):
    s = 1 / (1 + math.exp(-z))
    naive = -(y * math.log(s) + (1 - y) * math.log(1 - s)) if 0 < s < 1 else None
    if naive is not None and math.isfinite(naive):
        # the naive form loses digits in log(1 − σ) for large z, hence rel 1e-7
        assert L.binary_cross_entropy_logits(z, y) == pytest.approx(naive, rel=1e-7, abs=1e-12)
        if L.EPS < s < 1 - L.EPS:   # not clipped
            assert L.binary_cross_entropy(s, y) == pytest.approx(naive, rel=1e-6, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(z=st.lists(st.floats(-30, 30), min_size=2, max_size=5), pick=st.integers(0, 4))
def test_stable_categorical_cross_entropy_equals_the_naive_formula(z, pick):
    z = np.array(z)
    y = np.eye(len(z))[pick % len(z)]
    naive = -np.sum(y * np.log(np.exp(z) / np.exp(z).sum()))
    assert L.categorical_cross_entropy_logits(z, y) == pytest.approx(naive, rel=1e-9,
                                                                     abs=1e-12)
    assert L.categorical_cross_entropy_logits(z, y) == pytest.approx(-(y * log_softmax(z)).sum(),
                                                                     rel=1e-12, abs=1e-13)


def test_cross_entropy_stays_finite_at_logits_of_1000():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert L.binary_cross_entropy_logits(1000.0, 0.0) == 1000.0
        assert L.binary_cross_entropy_logits(-1000.0, 1.0) == 1000.0
        assert L.binary_cross_entropy_logits(1000.0, 1.0) == 0.0
        z = np.array([[1000.0, -1000.0, 0.0]])
        np.testing.assert_allclose(L.categorical_cross_entropy_logits(z, np.eye(3)[[1]]),
                                   [2000.0])
        np.testing.assert_allclose(L.categorical_cross_entropy_logits(z, np.eye(3)[[0]]), [0.0],
                                   atol=1e-300)
        np.testing.assert_allclose(L.categorical_cross_entropy_logits_gradient(z, np.eye(3)[[1]]),
                                   [[1.0, -1.0, 0.0]])
    # from probabilities, a 0 or 1 is clipped: large but finite
    assert L.binary_cross_entropy(np.array([0.0]), np.array([1.0]))[0] == pytest.approx(
        -math.log(L.EPS))
    assert np.isfinite(L.categorical_cross_entropy_gradient(np.array([0.0, 1.0]),
                                                            np.array([1.0, 0.0]))).all()


def test_curves_for_the_single_number_view():
    c = L.curves(delta=2.0)
    r = np.linspace(-4, 4, 9)
    np.testing.assert_allclose(c["Huber"].value(r), scipy_huber(2.0, r))
    np.testing.assert_allclose(c["Huber"].gradient(r), np.clip(r, -2, 2))
    np.testing.assert_allclose(c["L1"].value(r), np.abs(r))
    np.testing.assert_allclose(c["L2"].gradient(r), r)
    p = np.array([0.1, 0.5, 1.0])
    np.testing.assert_allclose(c["cross-entropy"].value(p), -np.log(p), atol=1e-15)
    np.testing.assert_allclose(c["cross-entropy"].gradient(p), -1 / p)
    np.testing.assert_allclose(c["hinge"].value(np.array([-1.0, 2.0])), [2.0, 0.0])
    assert "2" in c["Huber"].formula and c["cross-entropy"].variable.startswith("predicted")
    with pytest.raises(ValueError, match="δ"):
        L.huber(1.0, 0.0, 0.0)


# --- the side-by-side line fits -------------------------------------------------------------

# Four points on y = x and an outlier at (4, 40):
#   L1: (w, b) = (1, 0) is optimal. Its subgradient Σ sᵢ·(xᵢ, 1) must be able to vanish; the
#   outlier gives −(4, 1), the four on the line may take any sᵢ in [−1, 1]: s = (−½, 0, ½, 1)
#   gives (0 + 0 + 1 + 3, −½ + 0 + ½ + 1) = (4, 1). So the L1 line ignores the outlier.
#   Huber δ = 1: the outlier pulls with −1, the rest sit in the quadratic zone with r = (w−1)x + b:
#   Σ rᵢxᵢ = 4 and Σ rᵢ = 1 → 14(w−1) + 6b = 4 and 6(w−1) + 4b = 1 → w = 1.5, b = −0.5
#   (residuals −0.5, 0, 0.5, 1: all within δ, as assumed).
HAND_X = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
HAND_Y = np.array([0.0, 1.0, 2.0, 3.0, 40.0])


def last(x, y, params):
    *_, final = L.run(x, y, params)
    return final


def test_each_fit_converges_to_its_hand_worked_answer():
    # L1's gradient keeps its size near the answer: only a shrinking η lets it settle
    shrinking = last(HAND_X, HAND_Y, L.Params(lr=0.05, decay=True, updates=2000))
    np.testing.assert_allclose(shrinking.fits["L1"].point, [1.0, 0.0], atol=2e-3)
    constant = last(HAND_X, HAND_Y, L.Params(lr=0.05, decay=False, updates=2000))
    np.testing.assert_allclose(constant.fits["Huber"].point, [1.5, -0.5], atol=1e-6)
    lstsq = np.linalg.lstsq(np.column_stack([HAND_X, np.ones(5)]), HAND_Y, rcond=None)[0]
    np.testing.assert_allclose(constant.fits["L2"].point, lstsq, atol=1e-6)   # (8.2, −7.2)
    assert constant.phase == "done" and constant.index == 2000
    # with a constant η, L1 ends up jittering around (1, 0) instead of settling
    assert 2e-3 < np.abs(constant.fits["L1"].point - [1.0, 0.0]).max() < 0.2


def test_dragging_the_outlier_swings_l2_and_leaves_l1_put():
    params = L.Params(lr=0.05, decay=True, updates=2000)
    far_y = HAND_Y.copy()
    far_y[-1] = 80.0
    near, far = last(HAND_X, HAND_Y, params), last(HAND_X, far_y, params)
    swing = {k: np.abs(far.fits[k].point - near.fits[k].point).max() for k in L.FITS}
    assert swing["L2"] > 5 and swing["L1"] < 0.1 and swing["Huber"] < 1e-6


def test_l1_fit_matches_scikit_learns_least_absolute_deviation():
    rng = np.random.default_rng(5)
    x = rng.uniform(-2, 2, 30)
    y = 0.8 * x + 0.3 + rng.standard_t(1.5, 30) * 0.5
    ref = QuantileRegressor(quantile=0.5, alpha=0.0, solver="highs").fit(x[:, None], y)
    ref_obj = np.mean(np.abs(ref.predict(x[:, None]) - y))
    final = last(x, y, L.Params(lr=0.3, decay=True, updates=3000))
    assert final.fits["L1"].loss == pytest.approx(ref_obj, rel=2e-5)
    np.testing.assert_allclose(final.fits["L1"].point, [ref.coef_[0], ref.intercept_],
                               atol=2e-3)


def test_huber_fit_matches_scipy_minimising_scipys_huber():
    rng = np.random.default_rng(6)
    x = rng.uniform(0, 5, 40)
    y = 2 * x - 1 + rng.normal(size=40) + (rng.random(40) < 0.1) * 25
    ref = minimize(lambda p: np.mean(scipy_huber(0.8, p[0] * x + p[1] - y)), [0.0, 0.0],
                   method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14,
                                                  "maxiter": 10_000}).x
    final = last(x, y, L.Params(delta=0.8, lr=0.1, decay=False, updates=3000))
    np.testing.assert_allclose(final.fits["Huber"].point, ref, atol=1e-6)


def test_snapshot_pull_gradient_and_loss_agree():
    x, y = HAND_X, HAND_Y
    steps = list(L.run(x, y, L.Params(lr=0.01, updates=5, w0=0.5, b0=2.0)))
    s = steps[3]
    for name, fit in s.fits.items():
        w, b = fit.point
        r = w * x + b - y
        np.testing.assert_allclose(fit.residuals, r)
        psi = {"L1": np.sign(r), "L2": r, "Huber": np.clip(r, -1, 1)}[name]
        np.testing.assert_allclose(fit.pull, -psi)

        def mean_loss(p, name=name):
            return L.mean_loss(name, p[0] * x + p[1] - y, 1.0)

        numeric = [central(lambda u, e=e, at=fit.point: mean_loss(at + u * e), 0.0)
                   for e in np.eye(2)]
        np.testing.assert_allclose(fit.gradient, numeric, rtol=1e-6)
        assert fit.loss == pytest.approx(mean_loss(fit.point))
        # the next update moves by −η·gradient
        np.testing.assert_allclose(steps[4].fits[name].point - fit.point,
                                   -steps[4].lr * fit.gradient, atol=1e-15)
        np.testing.assert_array_equal(fit.path[-1], fit.point)
        assert len(fit.path) == len(fit.losses) == 4
    assert steps[2].lr == pytest.approx(0.01 / math.sqrt(2))   # η/√t
    assert steps[0].fits["L2"].pull[-1] == pytest.approx(40 - 2.0 - 4 * 0.5)


def test_captions_and_determinism_and_immutability():
    a = list(L.run(HAND_X, HAND_Y, L.Params(updates=30)))
    b = list(L.run(HAND_X, HAND_Y, L.Params(updates=30)))
    assert [s.caption for s in a] == [s.caption for s in b]
    for s in a:
        assert "nan" not in s.caption and "-0" not in s.caption
        with pytest.raises(ValueError):
            s.fits["L1"].pull[0] = 3.0
    s = a[10]
    fit = s.fits["L2"]
    assert (f"L2: w = {num(fit.point[0], 3)}, b = {num(fit.point[1], 3)}, "
            f"loss {num(fit.loss)}") in s.caption
    assert f"pulls with {num(abs(fit.pull[-1]), 3)}" in s.caption   # the outlier is farthest
    assert [s.index for s in a] == list(range(31))
    assert a[0].fits["L1"].path is not a[-1].fits["L1"].path
    assert a[5].fits["L1"].path.shape == (6, 2)          # earlier snapshots keep their prefix


def test_a_huge_learning_rate_stops_the_l2_fit_with_a_message():
    final = last(HAND_X, HAND_Y, L.Params(lr=0.5, decay=False, updates=200))
    l2 = final.fits["L2"]
    assert l2.diverged_at is not None and "L2: diverged at update" in final.caption
    assert final.fits["L1"].diverged_at is None
    assert np.isfinite(l2.point).all()


@pytest.mark.parametrize(("x", "y", "message"), [
    ([1.0, 2.0], [1.0], "same length"),
    ([1.0, np.nan], [1.0, 2.0], "^x and y contain NaN or infinite values$"),
    ([3.0, 3.0], [1.0, 2.0], "^all x values are equal, so no line through them has a slope"),
    ([0.0, 1e200], [1.0, 2.0], "^values above 1e100 would overflow the squared loss; rescale"),
])
def test_bad_input_gets_a_clear_message(x, y, message):
    with pytest.raises(ValueError, match=message):
        next(L.run(x, y, L.Params()))


# --- edges the mutation run pointed at ------------------------------------------------------

def test_probabilities_are_clipped_on_both_sides():
    # p = 1 for a y = 0 example: clipped to 1 − ε, so a large but finite loss and gradient
    assert L.binary_cross_entropy(1.0, 0.0) == pytest.approx(-math.log(L.EPS), rel=1e-4)
    assert np.isfinite(L.binary_cross_entropy_gradient(1.0, 0.0))
    assert np.isfinite(L.binary_cross_entropy_gradient(0.0, 1.0))
    assert L.binary_cross_entropy_gradient(1.0, 0.0) == pytest.approx(1 / L.EPS, rel=1e-3)
    # a probability rounded just above 1 still gives a loss of exactly 0, never below
    p = np.array([1.0 + 4e-16, 0.0])
    assert L.categorical_cross_entropy(p, np.array([1.0, 0.0])) == 0.0
    assert L.categorical_cross_entropy_gradient(p, np.array([1.0, 0.0]))[0] == -1.0
    assert np.isfinite(L.categorical_cross_entropy(np.array([0.0, 1.0]), np.array([1.0, 0.0])))


def test_logit_losses_row_by_row_and_with_soft_labels():
    z = np.array([[1000.0, 999.0], [-1000.0, -1001.0]])
    y = np.array([[0.0, 1.0], [1.0, 0.0]])
    expect = [-np.log(np.exp(-1) / (1 + np.exp(-1))), -np.log(1 / (1 + np.exp(-1)))]
    np.testing.assert_allclose(L.categorical_cross_entropy_logits(z, y), expect, rtol=1e-12)
    np.testing.assert_allclose(L.log_sum_exp(z), [1000 + np.log1p(np.exp(-1)),
                                                  -1000 + np.log1p(np.exp(-1))], rtol=1e-15)
    # labels that do not sum to 1 (two votes): still −Σ y·log softmax(z)
    zz, two = np.array([0.3, -1.2, 2.0]), np.array([1.0, 0.0, 1.0])
    assert L.categorical_cross_entropy_logits(zz, two) == pytest.approx(
        -(two * log_softmax(zz)).sum(), rel=1e-13)
    np.testing.assert_allclose(L.categorical_cross_entropy_logits_gradient(zz, two),
                               2 * np.exp(log_softmax(zz)) - two, rtol=1e-13)


def test_defaults_and_kinks():
    assert L.huber(3.0, 0.0) == 2.5 and L.huber_gradient(3.0, 0.0) == 1.0   # δ = 1
    assert L.hinge_gradient(1.0, 1.0) == 0.0      # margin exactly 1: the flat side
    assert L.hinge_gradient(0.999, 1.0) == -1.0
    r = np.linspace(-4, 4, 33)
    assert L.mean_loss("Huber", r, 2.0) == pytest.approx(scipy_huber(2.0, r).mean())


def test_every_curve_matches_its_loss_and_names_its_axis():
    c = L.curves(delta=1.5)
    assert list(c) == ["L1", "L2", "Huber", "cross-entropy", "hinge"]
    r = np.linspace(-3, 3, 13)
    for name in ("L1", "L2", "Huber"):
        assert c[name].name == name and c[name].variable == "residual r = ŷ − y"
        assert "r" in c[name].formula and "r" in c[name].gradient_formula
        assert c[name].formula != c[name].gradient_formula
    np.testing.assert_allclose(c["L1"].gradient(r), np.sign(r))
    np.testing.assert_allclose(c["L2"].value(r), r * r / 2)
    np.testing.assert_allclose(c["Huber"].value(r), scipy_huber(1.5, r))
    assert c["Huber"].formula.endswith("1.5·(|r| − 0.75)")         # δ·(|r| − δ/2)
    assert L.curves()["Huber"].value(np.array([3.0]))[0] == 2.5    # default δ = 1
    for curve in c.values():
        assert curve.formula and curve.gradient_formula and curve.variable
    assert c["cross-entropy"].name == "cross-entropy" and "p" in c["cross-entropy"].formula
    assert c["hinge"].name == "hinge" and c["hinge"].variable.startswith("score s")
    np.testing.assert_allclose(c["hinge"].gradient(np.array([0.0, 2.0])), [-1.0, 0.0])


def geometric_l2(x, y, lr, start, limit):
    """Plain gradient descent on ½·mean(r²), by hand: the first update whose loss > limit."""
    p = np.array(start, float)
    for k in range(1, 10_000):
        r = p[0] * x + p[1] - y
        p = p - lr * np.array([np.mean(r * x), np.mean(r)])
        if 0.5 * np.mean((p[0] * x + p[1] - y) ** 2) > limit:
            return k, p
    raise AssertionError("never diverged")


@pytest.mark.parametrize("start", [(8.0, -2.0), (1.9, 0.1)])   # start loss above / below ½·mean(y²)
def test_a_fit_stops_at_the_first_loss_past_its_limit_and_stays_put(start):
    x, y = np.linspace(0, 4, 9), 2 * np.linspace(0, 4, 9) + 0.3 * np.sin(np.arange(9))
    lr = 0.34          # just past stable for this x: the error grows ~1.3× per update
    steps = list(L.run(x, y, L.Params(lr=lr, decay=False, updates=500, w0=start[0],
                                      b0=start[1])))
    l2 = steps[-1].fits["L2"]
    start_loss = steps[0].fits["L2"].loss
    limit = L.DIVERGED * max(start_loss, L.mean_loss("L2", y, 1.0))
    k, _ = geometric_l2(x, y, lr, start, limit)
    assert l2.diverged_at == k
    assert "L2: diverged at update" in steps[k].caption and "Huber: w = " in steps[k].caption
    assert len(steps[k].caption.splitlines()) == 4
    for s in steps[k:]:
        np.testing.assert_array_equal(s.fits["L2"].point, steps[k - 1].fits["L2"].point)
        assert s.fits["L2"].diverged_at == k


def test_an_overflowing_step_stays_silent():
    import warnings

    x = np.linspace(-1, 1, 5) * 1e90      # the second step's residuals overflow to ∞
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        steps = list(L.run(x, x, L.Params(lr=5.0, decay=False, updates=20, w0=3.0)))
    assert steps[-1].fits["L2"].diverged_at is not None


def test_run_labels_phases_rates_and_metrics():
    steps = list(L.run(HAND_X, HAND_Y, L.Params(lr=0.02, updates=4)))
    assert [s.phase for s in steps] == ["start", "update", "update", "update", "done"]
    assert steps[0].lr == 0.02 and steps[2].lr == pytest.approx(0.02 / math.sqrt(2))
    first = steps[0]
    assert first.caption == ("Start: all three lines at w = 0, b = 0. Mean losses: "
                             + ", ".join(f"{n} {num(first.fits[n].loss)}" for n in L.FITS)
                             + ".")
    for s in steps:
        assert s.update == s.index
        assert s.metrics == {f"{n} loss": s.fits[n].loss for n in L.FITS}
        assert all(s.fits[n].name == n for n in L.FITS)
    third = steps[3]
    assert third.caption.startswith(f"Update 3: (w, b) ← (w, b) − η·∂L/∂(w, b), "
                                    f"η = {num(0.02 / math.sqrt(3), 3)}.\n")
    v = third.fits["L2"]
    far = int(np.argmax(np.abs(v.residuals)))
    assert num(v.residuals[far], 4) != num(v.residuals[far], 3)     # so the digits show
    assert (f"L2: w = {num(v.point[0], 3)}, b = {num(v.point[1], 3)}, loss {num(v.loss)}; "
            f"the farthest point (residual {num(v.residuals[far], 3)}) pulls with "
            f"{num(abs(v.pull[far]), 3)}") in third.caption
    v = third.fits["Huber"]
    far = int(np.argmax(np.abs(v.residuals)))
    assert (f"Huber: w = {num(v.point[0], 3)}, b = {num(v.point[1], 3)}, loss {num(v.loss)}; "
            f"the farthest point (residual {num(v.residuals[far], 3)}) pulls with "
            f"{num(abs(v.pull[far]), 3)}") in third.caption
