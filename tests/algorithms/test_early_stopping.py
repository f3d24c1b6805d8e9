"""Early stopping: the patience rule on hand-made loss sequences, gradient descent against
least squares and its own update formula, and the stop/restore bookkeeping."""

import dataclasses
import math
import re

import numpy as np
import pytest

from algorithms import early_stopping as es
from algorithms import polyfit as pf

BAD_TEXT = re.compile(r"\bnan\b|[−-]0(?![.\d])|\b1 epochs\b", re.IGNORECASE)


def problem(n=40, seed=0, **data):
    return pf.make_problem(pf.Data(n_points=n, **data), np.random.default_rng(seed))


def steps_of(pr, **params):
    return list(es.run(pr, es.Params(**params), np.random.default_rng(0)))


# --- the patience rule --------------------------------------------------------------------
@pytest.mark.parametrize(("losses", "patience", "expected"), [
    # best 3.0 at epoch 2; epochs 3, 4, 5 bring nothing lower: patience 3 runs out at 5
    ([5, 4, 3, 3.5, 3.2, 3.1, 3.3, 3.4], 3, (5, 2)),
    # the same with patience 4: epoch 6 is 4 epochs after epoch 2
    ([5, 4, 3, 3.5, 3.2, 3.1, 3.3, 3.4], 4, (6, 2)),
    # an equal loss is no improvement: best stays at epoch 0, patience 2 ends at epoch 2
    ([1, 1, 1, 1], 2, (2, 0)),
    # a late new best restarts the count: best 0.9 at epoch 3, then 4, 5 → stop at 5
    ([2, 1, 1.5, 0.9, 1.0, 1.1], 2, (5, 3)),
    # always improving: it never stops; the best is the last
    ([3, 2, 1, 0.5], 1, (None, 3)),
    # patience 1: the first epoch without improvement stops it
    ([3, 2, 2.5, 1], 1, (2, 1)),
])
def test_stopping_epoch_on_hand_made_sequences(losses, patience, expected):
    assert es.stopping_epoch(losses, patience) == expected


def test_patience_counts_epochs_since_the_best():
    watch = es.Patience(3)
    assert [watch.update(e, v) for e, v in enumerate([4.0, 3.0, 3.5, 3.2])] == [False] * 4
    assert watch.waited == 2 and watch.best_epoch == 1 and watch.best == 3.0
    assert watch.update(4, 3.1) is True


# --- gradient descent ---------------------------------------------------------------------
def test_first_epoch_is_the_gradient_step_from_the_flat_mean_line():
    pr = problem(seed=1)
    steps = steps_of(pr, degree=5, every=1, max_epochs=3)
    X, y = pr.features(pr.train, 5), pr.y[pr.train]
    start = steps[0]
    lr = start.lr
    w0 = np.zeros(6)
    w0[0] = y.mean()
    np.testing.assert_allclose(start.weight_history[0], w0)
    np.testing.assert_allclose(start.curve, y.mean())
    # w₁ = w₀ − η·(2/n)·Xᵀ(X·w₀ − y)
    np.testing.assert_allclose(steps[1].weights, w0 - lr * 2 * X.T @ (X @ w0 - y) / len(y),
                               rtol=1e-12)
    assert steps[1].train_losses[1] == pytest.approx(np.mean((X @ steps[1].weights - y) ** 2))


def test_a_large_offset_in_y_changes_nothing_but_the_intercept():
    pr = problem(seed=8)
    moved = dataclasses.replace(pr, y=pr.y + 1e8)
    a, b = steps_of(pr), steps_of(moved)
    assert [s.phase for s in a] == [s.phase for s in b]
    # y + 1e8 keeps only about 8 digits after the point; the losses agree to that
    np.testing.assert_allclose(b[-1].val_losses, a[-1].val_losses, rtol=1e-5)
    np.testing.assert_allclose(b[-1].weights[1:], a[-1].weights[1:], atol=1e-6)


def test_the_learning_rate_is_a_share_of_one_over_the_largest_curvature():
    pr = problem(seed=2)
    start = steps_of(pr, degree=9, lr_share=0.3, max_epochs=1)[0]
    X = pr.features(pr.train, 9)
    s_max = np.linalg.svd(X, compute_uv=False)[0]
    assert start.lr_limit == pytest.approx(len(X) / s_max**2, rel=1e-10)
    assert start.lr == pytest.approx(0.3 * start.lr_limit)


def test_without_stopping_descent_reaches_least_squares():
    pr = problem(n=200, seed=3)
    steps = steps_of(pr, degree=3, lr_share=0.9, patience=10_000, max_epochs=4000,
                     every=1000, restore=False)
    X, y = pr.features(pr.train, 3), pr.y[pr.train]
    np.testing.assert_allclose(steps[-1].weights, np.linalg.lstsq(X, y, rcond=None)[0],
                               atol=1e-8)
    assert steps[-1].phase == "limit"
    np.testing.assert_allclose(steps[-1].converged_curve, pr.curve(steps[-1].weights),
                               atol=1e-7)


def test_stop_epoch_and_restored_weights_follow_the_recorded_losses():
    pr = problem(seed=0)
    steps = steps_of(pr, patience=100)
    stop = next(s for s in steps if s.phase == "stop")
    restored = steps[-1]
    assert restored.phase == "restore" and restored.restored
    expected_stop, expected_best = es.stopping_epoch(restored.val_losses, 100)
    assert stop.epoch == stop.stopped_at == expected_stop
    assert restored.best_epoch == expected_best == int(np.argmin(restored.val_losses))
    assert stop.epoch - restored.best_epoch == 100
    np.testing.assert_array_equal(restored.weights, restored.weight_history[expected_best])
    assert restored.metrics["validation loss"] == restored.val_losses.min()
    assert len(restored.val_losses) == stop.epoch + 1
    # every recorded loss is the loss of the recorded weights
    X, y = pr.features(pr.val, 15), pr.y[pr.val]
    for e in (0, 17, expected_best, stop.epoch):
        assert restored.val_losses[e] == pytest.approx(
            np.mean((X @ restored.weight_history[e] - y) ** 2))
    assert f"Restored the weights of epoch {expected_best}" in restored.caption


def test_steps_come_every_few_epochs_and_snapshots_never_change():
    pr = problem(seed=4)
    kept = []
    for s in es.run(pr, es.Params(every=7, patience=30), np.random.default_rng(0)):
        kept.append((s, s.val_losses.copy(), s.weight_history.copy(), s.weights.copy()))
    steps = [k[0] for k in kept]
    train = [s.epoch for s in steps if s.phase == "train"]
    assert train == list(range(7, 7 * len(train) + 1, 7))
    for s, losses, history, weights in kept:
        np.testing.assert_array_equal(s.val_losses, losses)
        np.testing.assert_array_equal(s.weight_history, history)
        np.testing.assert_array_equal(s.weights, weights)
        assert len(s.val_losses) == s.epoch + 1 == len(s.weight_history)
        with pytest.raises(ValueError):
            s.val_losses[0] = 1.0
        np.testing.assert_allclose(s.curve, pr.curve(s.weights))
    assert [s.index for s in steps] == list(range(len(steps)))


def test_too_large_a_learning_rate_diverges_and_says_so():
    pr = problem(seed=5)
    steps = steps_of(pr, lr_share=1.4)
    assert steps[0].caption.count("too large") == 1
    last = steps[-1]
    assert last.phase == "diverged"
    assert "above the stable limit" in last.caption
    assert all(math.isfinite(v) for v in last.metrics.values())
    assert np.all(np.isfinite(last.weights))


def test_reaching_the_epoch_limit_keeps_the_best_weights():
    # a noise-free cubic learnt slowly: the validation loss falls at every epoch
    pr = problem(n=200, seed=6, target="cubic", noise=0.0)
    steps = steps_of(pr, degree=3, lr_share=0.02, patience=10_000, max_epochs=50, every=10)
    assert np.all(np.diff(steps[-1].val_losses) < 0)
    assert steps[-2].phase == "limit" and "Reached the 50 epochs allowed" in steps[-2].caption
    assert steps[-1].phase == "restore"
    assert steps[-1].caption.startswith("The last epoch, 50, has the lowest validation loss")


def test_captions_and_metrics_are_readable():
    pr = problem(seed=7)
    steps = steps_of(pr, patience=1, every=1)
    start = steps[0]
    assert start.caption.startswith(f"Degree 15: the flat line at the mean of y "
                                    f"({pf.num(pr.y[pr.train].mean())}), every other weight 0. "
                                    f"Learning rate η = {pf.num(start.lr)}, 0.5 × the largest "
                                    "stable one")
    assert "patience 1 epoch." in start.caption
    for s in steps:
        assert not BAD_TEXT.search(s.caption), s.caption
        assert all(math.isfinite(v) for v in s.metrics.values())
        for f in dataclasses.fields(s):
            value = getattr(s, f.name)
            if isinstance(value, np.ndarray) and value.size:
                assert not value.flags.writeable, f.name


def test_bad_params_are_refused():
    with pytest.raises(ValueError, match="lr_share must be between"):
        steps_of(problem(), lr_share=3.0)
    with pytest.raises(ValueError, match="patience must be between"):
        steps_of(problem(), patience=0)


def test_every_caption_and_metric_in_full():
    pr = problem(seed=0)
    steps = steps_of(pr, patience=20, every=10)
    X, y = pr.features(pr.train, 15), pr.y[pr.train]
    limit = len(y) / np.linalg.svd(X, compute_uv=False)[0] ** 2
    start = steps[0]
    assert start.caption == (f"Degree 15: the flat line at the mean of y ({pf.num(y.mean())}), "
                             f"every other weight 0. Learning rate η = {pf.num(0.5 * limit)}, "
                             f"0.5 × the largest stable one, 1/λmax = {pf.num(limit)} (stable); "
                             "patience 20 epochs.")
    final = steps[-1]
    tl, vl = final.train_losses, final.val_losses
    for s in steps[:-1]:
        e = s.epoch
        best = int(np.argmin(vl[: e + 1]))
        assert s.metrics == {"epoch": e, "training loss": tl[e], "validation loss": vl[e],
                             "best epoch": best}
        assert s.best_epoch == best and s.best_val == vl[best] and s.waited == e - best
        assert not s.restored
        if s.phase == "train":
            assert s.caption == (f"Epoch {e}: training loss {pf.num(tl[e])}, validation loss "
                                 f"{pf.num(vl[e])}; best validation loss {pf.num(vl[best])} at "
                                 f"epoch {best} ({e - best} epoch{'s' if e - best != 1 else ''} "
                                 "ago).")
            assert s.stopped_at is None
    stop = steps[-2]
    best = final.best_epoch
    assert stop.caption == (f"Epoch {stop.epoch}: 20 epochs without beating the best "
                            f"validation loss {pf.num(vl[best])} (epoch {best}), so training "
                            f"stops here. Training loss {pf.num(tl[stop.epoch])}, validation "
                            f"loss {pf.num(vl[stop.epoch])}.")
    assert final.metrics == {"epoch": stop.epoch, "training loss": tl[best],
                             "validation loss": vl[best], "best epoch": best}
    assert final.caption == (f"Restored the weights of epoch {best}: validation loss "
                             f"{pf.num(vl[best])} instead of {pf.num(vl[-1])} at epoch "
                             f"{stop.epoch}.")
    assert final.stopped_at == stop.epoch and final.restored
    np.testing.assert_allclose(final.curve, pr.curve(final.weights))


def test_without_restoring_the_run_ends_at_the_stop():
    steps = steps_of(problem(seed=0), patience=20, restore=False)
    assert steps[-1].phase == "stop" and not steps[-1].restored


def test_divergence_caption_in_full():
    pr = problem(seed=5)
    steps = steps_of(pr, lr_share=1.4, every=1)
    last, before = steps[-1], steps[-2]
    limit = last.lr_limit
    assert steps[0].caption.endswith(f"1/λmax = {pf.num(limit)} (too large: expect "
                                     "divergence); patience 100 epochs.")
    assert last.caption == (f"Epoch {last.epoch + 1}: the training loss exploded — learning "
                            f"rate {pf.num(1.4 * limit)} is above the stable limit "
                            f"{pf.num(limit)}. Lower it below 1 × 1/λmax and run again.")
    np.testing.assert_array_equal(last.weights, before.weights)
    assert last.epoch == before.epoch
    # diverged: the training loss grew past 1e8 times its start at the next epoch
    X, y = pr.features(pr.train, 15), pr.y[pr.train]
    w = last.weights - last.lr * 2 * X.T @ (X @ last.weights - y) / len(y)
    assert np.mean((X @ w - y) ** 2) > 1e8 * max(last.train_losses[0], 1.0)
    assert last.train_losses[-1] <= 1e8 * max(last.train_losses[0], 1.0)


def test_limit_caption_in_full():
    pr = problem(n=200, seed=6, target="cubic", noise=0.0)
    steps = steps_of(pr, degree=3, lr_share=0.02, patience=10_000, max_epochs=25, every=10)
    assert [s.epoch for s in steps] == [0, 10, 20, 25, 25]
    limit = steps[-2]
    vl = limit.val_losses
    assert limit.caption == (f"Epoch 25: training loss {pf.num(limit.train_losses[25])}, "
                             f"validation loss {pf.num(vl[25])}; best validation loss "
                             f"{pf.num(vl[25])} at epoch 25 (0 epochs ago). Reached the 25 "
                             "epochs allowed before patience ran out.")
    assert steps[-1].caption == (f"The last epoch, 25, has the lowest validation loss "
                                 f"({pf.num(vl[25])}): its weights are kept.")
