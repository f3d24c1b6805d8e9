"""Batch, SGD and mini-batch against least squares and scikit-learn; sampling bookkeeping."""

import dataclasses

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression

from algorithms import regression
from algorithms.regression import (
    Data,
    Params,
    best_fit,
    features,
    loss,
    loss_grid,
    make_data,
    run,
)


def last(x, y, params, seed=0, task="linear"):
    *_, final = run(x, y, params, np.random.default_rng(seed), task)
    return final


def linear_problem(n=64, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    return x[:, None], 2.0 * x - 1.0 + 0.1 * rng.standard_normal(n)


def test_all_methods_reach_least_squares():
    x, y = linear_problem()
    design = np.column_stack([x[:, 0], np.ones(len(y))])
    reference = np.linalg.lstsq(design, y, rcond=None)[0]
    params = Params(lr=0.05, updates=3000, batch_size=8)
    final = last(x, y, params)
    np.testing.assert_allclose(final.methods["batch"].point, reference, atol=1e-8)
    np.testing.assert_allclose(final.methods["minibatch"].point, reference, atol=0.01)
    np.testing.assert_allclose(final.methods["sgd"].point, reference, atol=0.02)
    for m in final.methods.values():
        assert m.diverged_at is None


@pytest.mark.parametrize("rule", ["momentum", "adam"])
def test_other_update_rules_reach_least_squares(rule):
    x, y = linear_problem()
    reference = np.linalg.lstsq(np.column_stack([x[:, 0], np.ones(len(y))]), y, rcond=None)[0]
    final = last(x, y, Params(rule=rule, lr=0.01, updates=2000, sgd=False, minibatch=False))
    np.testing.assert_allclose(final.methods["batch"].point, reference, atol=1e-3)


def test_logistic_batch_matches_scikit_learn():
    rng = np.random.default_rng(11)
    x = rng.standard_normal(200)
    y = (rng.random(200) < 1 / (1 + np.exp(-(1.5 * x - 0.5)))).astype(float)
    # scikit-learn 1.8 deprecated penalty=None in favour of C=inf; both mean no penalty.
    old = tuple(int(p) for p in sklearn.__version__.split(".")[:2]) < (1, 8)
    model = LogisticRegression(**({"penalty": None} if old else {"C": np.inf}), tol=1e-10,
                               max_iter=10_000).fit(x[:, None], y)
    reference = [model.coef_[0, 0], model.intercept_[0]]
    params = Params(lr=2.0, updates=2000, sgd=False, minibatch=False, w0=0.0, b0=0.0)
    final = last(x[:, None], y, params, task="logistic")
    assert final.task == "logistic"
    np.testing.assert_allclose(final.methods["batch"].point, reference, atol=1e-4)


def test_sgd_reproducible_with_a_seed():
    x, y = linear_problem(n=30)
    params = Params(updates=90, batch=False)
    a, b, c = (last(x, y, params, seed) for seed in (5, 5, 6))
    for key in ("sgd", "minibatch"):
        np.testing.assert_array_equal(a.methods[key].path, b.methods[key].path)
        assert not np.array_equal(a.methods[key].path, c.methods[key].path)
    # Switching mini-batch off leaves what SGD draws unchanged.
    alone = last(x, y, Params(updates=90, batch=False, minibatch=False), 5)
    np.testing.assert_array_equal(alone.methods["sgd"].path, a.methods["sgd"].path)


def test_epochs_cover_every_example_once():
    x, y = linear_problem(n=10)
    snaps = list(run(x, y, Params(batch_size=4, updates=6), np.random.default_rng(1)))
    mb = [s.methods["minibatch"] for s in snaps[1:]]
    assert [m.epoch for m in mb] == [1, 1, 1, 2, 2, 2]
    assert [m.update_in_epoch for m in mb] == [1, 2, 3, 1, 2, 3]
    assert [m.epoch_done for m in mb] == [False, False, True] * 2
    for epoch in (mb[:3], mb[3:]):
        used = np.concatenate([m.indices for m in epoch])
        assert sorted(used) == list(range(10))
    assert [len(m.indices) for m in mb[:3]] == [4, 4, 2]
    ex = ", ".join(map(str, mb[1].indices))
    assert mb[1].caption.startswith(f"mini-batch: examples {ex} (epoch 1, update 2 of 3)")
    assert snaps[2].caption.splitlines()[2] == mb[1].caption
    sgd = snaps[4].methods["sgd"]
    assert sgd.caption.startswith(f"SGD: example {sgd.indices[0]} (epoch 1, update 4 of 10)")
    batch = snaps[3].methods["batch"]
    assert batch.caption.startswith("batch: all 10 examples (epoch 3, update 1 of 1)")
    assert batch.epoch_done and len(batch.epoch_losses) == 4     # start + three epochs
    assert mb[-1].epoch_losses.shape == (3,)


def test_losses_are_full_data_losses():
    x, y = linear_problem(n=20)
    final = last(x, y, Params(updates=15))
    for m in final.methods.values():
        assert m.losses.shape == (16,) and m.path.shape == (16, 2)
        for p, value in zip(m.path, m.losses, strict=True):
            assert value == pytest.approx(0.5 * np.mean((p[0] * x[:, 0] + p[1] - y) ** 2))
        assert final.metrics[f"{m.label} loss"] == m.losses[-1]


def test_standardize_is_stated_and_applied():
    x, y = make_data("linear", 40, 0.5, np.random.default_rng(2))
    plain = next(run(x, y, Params(), np.random.default_rng(0)))
    assert plain.scaling is None and "not standardised" in plain.caption
    params = Params(standardize=True)
    start = next(run(x, y, params, np.random.default_rng(0)))
    mean, std = x.mean(), x.std()
    assert start.scaling == pytest.approx((mean, std))
    assert f"(x − {mean:.3g}) / {std:.3g}" in start.caption
    xs, _ = features(x, params)
    np.testing.assert_allclose([xs.mean(), xs.std()], [0.0, 1.0], atol=1e-12)


@pytest.mark.parametrize("task", ["linear", "logistic"])
def test_loss_grid_matches_pointwise_loss(task):
    x, y = make_data(task, 30, 1.0, np.random.default_rng(4))
    x = x[:, 0]
    ws, bs = np.linspace(-3, 3, 7), np.linspace(-5, 2, 5)
    z = loss_grid(task, x, y, ws, bs)
    assert z.shape == (5, 7)
    for i, b in enumerate(bs):
        for j, w in enumerate(ws):
            z_ref = (0.5 * np.mean((w * x + b - y) ** 2) if task == "linear" else
                     np.mean(-y * np.log(1 / (1 + np.exp(-(w * x + b))))
                             - (1 - y) * np.log(1 - 1 / (1 + np.exp(-(w * x + b))))))
            assert z[i, j] == pytest.approx(z_ref, rel=1e-10)
            assert loss(task, (w, b), x, y) == pytest.approx(z_ref, rel=1e-10)


def test_best_fit_and_generated_data():
    x, y = make_data("logistic", 300, 1.0, np.random.default_rng(0))
    assert x.shape == (300, 1) and set(np.unique(y)) == {0.0, 1.0}
    fit = best_fit("logistic", x, y)
    # Classes at 1 and 3 with unit spread: the true log-odds are 2·x − 4.
    np.testing.assert_allclose(fit, [2.0, -4.0], atol=0.7)
    separable = np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 0.0, 1.0, 1.0])
    assert best_fit("logistic", *separable) is None


def test_huge_learning_rate_diverges_with_caption():
    x, y = make_data("linear", 40, 0.5, np.random.default_rng(2))
    snaps = list(run(x, y, Params(lr=5.0, updates=500), np.random.default_rng(0)))
    final = snaps[-1]
    for m in final.methods.values():
        assert m.diverged_at is not None
        assert f"diverged at update {m.diverged_at} — learning rate too large?" in m.caption
        assert np.isfinite(m.path).all()
    assert final.phase == "done" and final.index < 500


def test_divergence_is_called_long_before_an_overflow():
    x, y = make_data("linear", 40, 0.5, np.random.default_rng(2))
    params = Params(lr=1.0, updates=500, sgd=False, minibatch=False)
    final = last(x, y, params)
    batch = final.methods["batch"]
    assert batch.diverged_at is not None and batch.diverged_at < 30
    scale = max(batch.losses[0], loss("linear", (0.0, 0.0), x[:, 0], y))
    assert batch.losses.max() <= 1e6 * scale  # the last kept point is still drawable
    # A small learning rate never trips the test, even when SGD's loss jumps about.
    calm = last(x, y, Params(lr=0.1, updates=500))
    assert all(m.diverged_at is None for m in calm.methods.values())


def test_snapshot_arrays_are_read_only_and_stable():
    x, y = linear_problem(n=25)
    early, copies = None, None
    for snap in run(x, y, Params(updates=200), np.random.default_rng(0)):
        if snap.index == 4:  # copy now, compare after 196 more updates have been made
            early = snap.methods["minibatch"]
            copies = [a.copy() for a in (early.path, early.losses, early.indices,
                                         early.epoch_losses, early.point)]
    arrays = (early.path, early.losses, early.indices, early.epoch_losses, early.point)
    for arr, copy in zip(arrays, copies, strict=True):
        np.testing.assert_array_equal(arr, copy)
        assert not arr.flags.writeable
    assert early.path.shape == (5, 2)
    with pytest.raises(ValueError):
        early.point[0] = 1.0


def test_params_are_validated():
    x, y = linear_problem(n=10)
    with pytest.raises(ValueError, match="rule"):
        next(run(x, y, Params(rule="rmsprop"), np.random.default_rng(0)))
    with pytest.raises(ValueError, match="labels 0 and 1"):
        next(run(x, y, Params(), np.random.default_rng(0), task="logistic"))
    with pytest.raises(ValueError, match="task must be one of linear, logistic, got 'poisson'"):
        next(run(x, y, Params(), np.random.default_rng(0), task="poisson"))


def test_data_controls_are_their_own_group():
    # The panel shows Data as its "Data" group: the task and generator settings, apart
    # from how the fit is run.
    assert {f.name for f in dataclasses.fields(Data)} == {"task", "n_points", "noise"}
    assert not {"task", "n_points", "noise"} & {f.name for f in dataclasses.fields(Params)}


def test_loss_map_stays_exact_with_a_large_offset_in_y():
    """Each grid value must equal the loss computed directly from the residuals; with y near
    1e8 raw second moments would cancel away every digit that matters."""
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 4, 200)
    y = 1e8 + 1.5 * x + rng.normal(0, 0.3, 200)
    ws, bs = np.linspace(0.5, 2.5, 7), 1e8 + np.linspace(-2, 2, 5)
    grid = regression.loss_grid("linear", x, y, ws, bs)
    direct = np.array([[0.5 * np.mean((w * x + b - y) ** 2) for w in ws] for b in bs])
    np.testing.assert_allclose(grid, direct, rtol=1e-6)


@pytest.mark.parametrize(("x", "y", "message"), [
    ([1.0, 2.0], [1.0], "same, non-zero length"),
    ([1.0, np.nan], [1.0, 2.0], "finite numbers"),
    ([1e200, 2.0], [1.0, 2.0], "overflow when squared"),
    ([1.0, 2.0], [0.0, 3.0], "labels 0 and 1"),
])
def test_data_that_cannot_be_fitted_is_refused_in_one_sentence(x, y, message):
    task = "logistic" if "labels" in message else "linear"
    with pytest.raises(ValueError, match=message):
        list(regression.run(np.array(x), np.array(y), regression.Params(),
                            np.random.default_rng(0), task))


# --- SGD and mini-batch draw a fresh order every epoch -------------------------------

def epoch_orders(n, epochs, seed, batch_size=None):
    """The examples each SGD (or mini-batch) epoch used, in the order it used them."""
    x, y = linear_problem(n=n, seed=seed)
    key = "sgd" if batch_size is None else "minibatch"
    per_epoch = n if batch_size is None else -(-n // batch_size)
    params = Params(batch=False, sgd=key == "sgd", minibatch=key == "minibatch",
                    batch_size=batch_size or 8, lr=0.01, updates=epochs * per_epoch)
    used = [s.methods[key].indices for s in run(x, y, params, np.random.default_rng(seed))][1:]
    return [np.concatenate(used[e * per_epoch:(e + 1) * per_epoch]) for e in range(epochs)]


def test_sgd_reshuffles_every_epoch():
    """Each epoch visits every example once, in a new random order: over 600 epochs of 6
    examples every example comes first about 100 times (a fixed or once-drawn order puts
    one example first every time), and consecutive epochs rarely repeat an order (1 in 720)."""
    orders = epoch_orders(6, 600, seed=1)
    assert all(sorted(o) == list(range(6)) for o in orders)
    firsts = np.bincount([o[0] for o in orders], minlength=6)
    assert firsts.min() > 100 - 4 * np.sqrt(600 * (1 / 6) * (5 / 6))   # within 4 σ of 100
    repeats = sum(np.array_equal(a, b) for a, b in zip(orders, orders[1:], strict=False))
    assert repeats <= 3


def test_mini_batches_are_redrawn_every_epoch():
    """10 examples in batches of 4, 4 and 2: the first batch of an epoch is a fresh random
    4-subset each time (210 possible), not the same one."""
    orders = epoch_orders(10, 40, seed=2, batch_size=4)
    assert all(sorted(o) == list(range(10)) for o in orders)
    first_batches = {tuple(sorted(o[:4])) for o in orders}
    assert len(first_batches) > 30
    # within a batch the examples are listed in ascending order (the caption lists them)
    assert all(list(o[:4]) == sorted(o[:4]) for o in orders)


# --- the generated data ----------------------------------------------------------------

def test_linear_data_follows_its_line_with_the_stated_noise():
    """x ~ U(0, 4), y = 1.5·x − 1 + noise·N(0, 1): a least-squares line through 4,000
    points recovers the line, and the residuals' spread is the noise."""
    x, y = make_data("linear", 4000, 0.5, np.random.default_rng(3))
    assert 0 <= x.min() < 0.01 and 3.99 < x.max() < 4
    slope, intercept = np.polyfit(x[:, 0], y, 1)
    assert (slope, intercept) == (pytest.approx(1.5, abs=0.03), pytest.approx(-1.0, abs=0.06))
    residuals = y - (slope * x[:, 0] + intercept)
    assert np.std(residuals) == pytest.approx(0.5, rel=0.05)


def test_logistic_data_labels_are_floats_and_need_noise():
    x, y = make_data("logistic", 50, 0.5, np.random.default_rng(0))
    assert y.dtype == np.float64 and x.shape == (50, 1)
    with pytest.raises(ValueError, match="logistic data needs noise > 0"):
        make_data("logistic", 50, 0.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="task must be one of linear, logistic, got 'probit'"):
        make_data("probit", 50, 0.5, np.random.default_rng(0))


# --- what is accepted and refused -------------------------------------------------------

def test_boundary_data_is_accepted():
    regression.check_data([1.0], [2.0], "linear")               # one example is enough
    regression.check_data([1e100, 0.0], [1.0, 2.0], "linear")   # the largest allowed value
    with pytest.raises(ValueError, match="same, non-zero length, got 0 and 0"):
        regression.check_data([], [], "linear")
    with pytest.raises(ValueError, match="values as large as 3.1e\\+200 overflow"):
        regression.check_data([3.14159e200], [1.0], "linear")


def test_features_takes_one_column_and_standardises_only_what_varies():
    with pytest.raises(ValueError, match="single feature column, got shape \\(5, 2\\)"):
        features(np.zeros((5, 2)), Params())
    with pytest.raises(ValueError, match="all equal"):
        features(np.full((4, 1), 3.0), Params(standardize=True))
    xs, scaling = features(np.array([[-1.0], [1.0]]), Params(standardize=True))  # std is 1
    assert scaling == (0.0, 1.0) and list(xs) == [-1.0, 1.0]


# --- the best fit the panel marks ------------------------------------------------------

def test_linear_best_fit_is_the_least_squares_line():
    x, y = linear_problem(n=30, seed=8)
    np.testing.assert_allclose(best_fit("linear", x, y), np.polyfit(x[:, 0], y, 1),
                               rtol=1e-10)


@pytest.mark.parametrize(("x", "y"), [
    ([0.0, 1.0, 2.0, 3.0], [1.0, 0.0, 1.0, 1.0]),    # a single 0 among the 1s
    ([0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 0.0, 0.0]),    # a single 1 among the 0s
    ([0.0, 1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 0.0, 1.0, 1.0]),
])
def test_logistic_best_fit_matches_scikit_learn_on_overlapping_classes(x, y):
    old = tuple(int(p) for p in sklearn.__version__.split(".")[:2]) < (1, 8)
    model = LogisticRegression(**({"penalty": None} if old else {"C": np.inf}), tol=1e-12,
                               max_iter=10_000).fit(np.array(x)[:, None], y)
    np.testing.assert_allclose(best_fit("logistic", np.array(x), np.array(y)),
                               [model.coef_[0, 0], model.intercept_[0]], atol=1e-5)


@pytest.mark.parametrize(("x", "y", "direction"), [
    ([0.0, 1.0, 2.0], [1.0, 1.0, 1.0], (0.0, 3.0)),              # one class only
    ([0.0, 1.0, 2.0, 3.0], [0.0, 0.0, 1.0, 1.0], (3.0, -4.5)),   # a gap at x = 1.5
    ([0.0, 1.0, 1.0, 2.0], [0.0, 0.0, 1.0, 1.0], (3.0, -3.0)),   # touching: both at x = 1
    ([0.0, 1.0, 1.0, 2.0], [1.0, 1.0, 0.0, 0.0], (-3.0, 3.0)),
])
def test_logistic_best_fit_is_none_when_a_threshold_splits_the_classes(x, y, direction):
    """A threshold splits the classes (ties at it allowed): then along the direction that
    puts the threshold there the loss keeps falling for ever, so no best fit exists."""
    x, y, p = np.array(x), np.array(y), np.array(direction)
    assert loss("logistic", 2 * p, x, y) < loss("logistic", p, x, y) < loss("logistic", 0 * p,
                                                                              x, y)
    assert best_fit("logistic", x, y) is None


def test_contour_region_frames_the_start_and_the_fit():
    """Noise-free y = 1.5x − 1: the fit is (1.5, −1); with the start (−2, 3) the box spans
    w ∈ [−2, 1.5] and b ∈ [−1, 3], padded by 40% of that (1.4 and 1.6)."""
    x = np.arange(40.0) / 10
    region = regression.contour_region("linear", x, 1.5 * x - 1, (-2.0, 3.0))
    np.testing.assert_allclose(region, (-3.4, 2.9, -2.6, 4.6), rtol=1e-12)
    # separable classes have no fit: the start alone, padded by the minimum of 1
    region = regression.contour_region("logistic", np.array([0.0, 1.0, 2.0, 3.0]),
                                       np.array([0.0, 0.0, 1.0, 1.0]), (-2.0, 3.0))
    assert region == (-3.0, -1.0, 2.0, 4.0)
    # a fit beyond 1,000 is left out of the frame rather than shrinking everything
    region = regression.contour_region("linear", x, 2000 * x, (0.0, 0.0))
    assert region == (-1.0, 1.0, -1.0, 1.0)


# --- the update rule and the captions ---------------------------------------------------

def test_momentum_and_adam_rules_take_their_own_first_steps():
    """Batch updates on a tiny problem, worked from the gradient of ½·mean(r²):
    g = (mean(r·x), mean(r)) with r = w·x + b − y."""
    x, y = np.array([0.0, 1.0, 2.0]), np.array([1.0, 2.0, 4.0])

    def g(p):
        r = p[0] * x + p[1] - y
        return np.array([np.mean(r * x), np.mean(r)])

    base = dict(sgd=False, minibatch=False, w0=-2.0, b0=3.0, lr=0.1, updates=2)
    path = last(x[:, None], y, Params(rule="momentum", momentum=0.5, **base)).methods[
        "batch"].path
    p0 = np.array([-2.0, 3.0])
    v1 = 0.1 * g(p0)
    p1 = p0 - v1
    v2 = 0.5 * v1 + 0.1 * g(p1)
    np.testing.assert_allclose(path, [p0, p1, p1 - v2], rtol=1e-12)
    # Adam's first step is η·sign(g) per coordinate (m̂/√v̂ = g/|g|)
    path = last(x[:, None], y, Params(rule="adam", **base)).methods["batch"].path
    np.testing.assert_allclose(path[1], p0 - 0.1 * np.sign(g(p0)), rtol=1e-7)


@pytest.mark.parametrize(("size", "listed", "more"), [(16, 10, ", … (+6 more)"), (10, 10, ""),
                                                      (4, 4, "")])
def test_a_long_batch_lists_ten_examples_and_counts_the_rest(size, listed, more):
    x, y = linear_problem(n=40)
    snap = list(run(x, y, Params(batch=False, sgd=False, batch_size=size, updates=1),
                    np.random.default_rng(0)))[1]
    m = snap.methods["minibatch"]
    shown = ", ".join(str(i) for i in m.indices[:listed])
    assert m.caption.startswith(f"mini-batch: examples {shown}{more} (epoch 1, update 1 of ")


# --- divergence, worked independently ----------------------------------------------------

@pytest.mark.filterwarnings("error::RuntimeWarning")   # the run handles overflow quietly
def test_divergence_is_declared_at_a_millionfold_loss():
    """Batch descent on three points is simulated here from the textbook gradient; the run
    must call it diverged at the first update whose loss is a million times the larger of
    the start loss (0.83) and the loss at w = b = 0 (24.8): at η = 0.4 that is update 47
    (taking the loss at (1, 0) or (0, 1) as the scale instead gives 45 or 46)."""
    x, y = np.array([1.0, 2.0, 3.0]), np.array([6.0, 7.0, 8.0])

    def full_loss(p):
        return 0.5 * np.mean((p[0] * x + p[1] - y) ** 2)

    p, k = np.array([2.0, 2.0]), 0
    scale = max(full_loss(p), full_loss((0.0, 0.0)))
    while full_loss(p) <= 1e6 * scale:
        r = p[0] * x + p[1] - y
        p, k = p - 0.4 * np.array([np.mean(r * x), np.mean(r)]), k + 1
    assert k == 47
    snaps = list(run(x[:, None], y, Params(sgd=False, minibatch=False, lr=0.4, w0=2.0, b0=2.0,
                                           updates=3000), np.random.default_rng(0)))
    batch = snaps[-1].methods["batch"]
    assert batch.diverged_at == k and snaps[-1].index == k
    np.testing.assert_array_equal(batch.indices, [0, 1, 2])       # what the bad step used
    before = snaps[-2].methods["batch"].point
    r = before[0] * x + before[1] - y
    np.testing.assert_allclose(batch.gradient, [np.mean(r * x), np.mean(r)], rtol=1e-12)


# --- what each snapshot says about each method ----------------------------------------

def test_start_snapshot():
    x, y = linear_problem(n=12)
    start = next(run(x, y, Params(batch_size=5), np.random.default_rng(0), "linear"))
    assert (start.index, start.update, start.phase, start.task) == (0, 0, "start", "linear")
    for key, label, per_epoch in (("batch", "batch", 1), ("sgd", "SGD", 12),
                                  ("minibatch", "mini-batch", 3)):
        m = start.methods[key]
        assert (m.name, m.label, m.updates_per_epoch) == (key, label, per_epoch)
        assert m.caption == f"{label}: ready"
        assert m.indices.size == 0 and m.indices.dtype.kind == "i"
        assert m.gradient is None and m.epoch == 0
        first_loss = 0.5 * np.mean((-2.0 * x[:, 0] + 3.0 - y) ** 2)   # at (w0, b0) = (−2, 3)
        np.testing.assert_allclose([m.losses[0], m.epoch_losses[0]], first_loss, rtol=1e-12)


def test_update_snapshots_carry_gradient_epoch_losses_and_scaling():
    x, y = linear_problem(n=10)
    params = Params(batch_size=4, updates=7, standardize=True)
    snaps = list(run(x, y, params, np.random.default_rng(3)))
    xs = (x[:, 0] - x.mean()) / x.std()
    assert [s.phase for s in snaps] == ["start"] + ["update"] * 6 + ["done"]
    assert [s.update for s in snaps] == list(range(8))
    assert {s.scaling for s in snaps} == {snaps[0].scaling} and snaps[0].scaling is not None
    for before, snap in zip(snaps, snaps[1:], strict=False):
        m = snap.methods["minibatch"]
        w, b = before.methods["minibatch"].point
        r = w * xs[m.indices] + b - y[m.indices]
        np.testing.assert_allclose(m.gradient, [np.mean(r * xs[m.indices]), np.mean(r)],
                                   rtol=1e-12)
        ends_epoch = m.update_in_epoch == 3
        loss_text = f"loss {m.losses[-1]:.4g}"
        assert m.caption.endswith(f"{loss_text}; epoch {m.epoch} done" if ends_epoch
                                  else loss_text)
    mb = snaps[-1].methods["minibatch"]
    # the loss at the start and at the end of each finished epoch (updates 3 and 6)
    np.testing.assert_allclose(mb.epoch_losses, mb.losses[[0, 3, 6]], rtol=1e-12)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_an_overflowing_step_is_a_quiet_divergence():
    """x = ±1e100 is accepted, but from w = −2 the first gradient (about 2e200) throws w
    to about −2e200, whose loss overflows: diverged at update 1, without a warning."""
    final = last(np.array([[1e100], [-1e100]]), np.array([0.0, 0.0]),
                 Params(sgd=False, minibatch=False, lr=1.0, updates=5))
    batch = final.methods["batch"]
    assert batch.diverged_at == 1 and np.isfinite(batch.path).all()


# --- what mutation testing left (see the closing note of issue 6) -------------------------
@pytest.mark.parametrize(("call", "message"), [
    (lambda: regression.check_data([1.0, np.nan], [1.0, 2.0], "linear"),
     r"^x and y must be finite numbers \(no NaN or infinity\)$"),
    (lambda: regression.check_data([1e-120, 2e-120], [0.0, 1e-120], "linear"),
     r"^values no larger than 2e−120 vanish when squared; multiply the columns by a power "
     r"of ten first$"),
    (lambda: regression.check_data([1.0, 2.0], [0.0, 2.0], "logistic"),
     "^logistic regression needs labels 0 and 1$"),
    (lambda: regression.features([3.0, 3.0, 3.0], regression.Params(standardize=True)),
     "^cannot standardise a feature whose values are all equal$"),
    (lambda: regression.make_data("logistic", 20, 0.0, np.random.default_rng(0)),
     "^logistic data needs noise > 0, or the classes never overlap$"),
])
def test_each_refusal_is_one_exact_sentence(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_first_caption_says_when_x_is_used_as_given():
    x, y = regression.make_data("linear", 30, 0.5, np.random.default_rng(1))
    first = next(regression.run(x, y, regression.Params(standardize=False),
                                np.random.default_rng(0)))
    assert "; x used as given (not standardised);" in first.caption
