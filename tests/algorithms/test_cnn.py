"""The digit CNN: its layers against the direct loops and central differences, the training
run, accuracy on generated digits, and the weights file."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest

from algorithms import cnn, conv_layer

TINY = cnn.Spec(filters1=2, size1=3, filters2=3, size2=3, classes=4, side=8)


def central_differences(f, x, eps=1e-6):
    """∂f/∂x by (f(x + ε) − f(x − ε)) / 2ε, one coordinate at a time."""
    x = np.array(x, dtype=float)
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f(x)
        x[i] = old - eps
        down = f(x)
        x[i] = old
        out[i] = (up - down) / (2 * eps)
    return out


def rng(seed=0):
    return np.random.default_rng(seed)


# --- layers against the direct definitions ------------------------------------------------

def test_im2col_rows_are_the_filter_maps_im2col_columns_picture_by_picture():
    x = rng().standard_normal((3, 6, 7, 2))                   # n, H, W, C
    cols = cnn.im2col(x, 3, 1)
    per_picture = 6 * 7
    for i in range(3):
        reference = conv_layer.im2col(np.moveaxis(x[i], -1, 0), 3, 3, padding=1)
        np.testing.assert_array_equal(cols[i * per_picture:(i + 1) * per_picture],
                                      reference.T)


def test_conv_forward_equals_the_direct_loop():
    g = rng(1)
    x = g.standard_normal((2, 9, 8, 3))
    w, b = g.standard_normal((4, 3, 5, 5)), g.standard_normal(4)
    out, _ = cnn.conv_forward(x, w, b, 2)
    assert out.shape == (2, 9, 8, 4)
    for i in range(2):
        loop = conv_layer.conv2d_loop(np.moveaxis(x[i], -1, 0), w, b, padding=2)
        np.testing.assert_allclose(np.moveaxis(out[i], -1, 0), loop, atol=1e-12)


def test_max_pool_takes_each_windows_largest_and_routes_ties_to_the_first():
    g = rng(2)
    x = g.standard_normal((2, 6, 4, 3))
    out, winner = cnn.pool_forward(x)
    for n, i, j, c in np.ndindex(out.shape):
        window = x[n, 2 * i:2 * i + 2, 2 * j:2 * j + 2, c]
        assert out[n, i, j, c] == window.max()
        assert winner[n, i, j, c] == window.ravel().argmax()
    # worked by hand: a window of equal values goes to its top-left cell; a tie between
    # the lower two goes to the lower left
    tied = np.array([[5.0, 5.0, 1.0, 2.0],
                     [5.0, 5.0, 7.0, 7.0]]).reshape(1, 2, 4, 1)
    out, winner = cnn.pool_forward(tied)
    assert out.ravel().tolist() == [5.0, 7.0]
    assert winner.ravel().tolist() == [0, 2]
    grad = cnn.pool_backward(np.array([3.0, 4.0]).reshape(1, 1, 2, 1), winner)
    np.testing.assert_array_equal(grad[0, :, :, 0], [[3, 0, 0, 0], [0, 0, 4, 0]])
    assert cnn.pool_forward(tied, winners=False)[1] is None


def test_conv_backward_equals_central_differences():
    g = rng(3)
    x = g.standard_normal((2, 5, 4, 2))
    w, b = g.standard_normal((3, 2, 3, 3)), g.standard_normal(3)
    weights = g.standard_normal((2, 5, 4, 3))       # L = Σ weights ⊙ out

    def loss(xx=x, ww=w, bb=b):
        return float((cnn.conv_forward(xx, ww, bb, 1)[0] * weights).sum())

    _, cols = cnn.conv_forward(x, w, b, 1)
    dx, dw, db = cnn.conv_backward(weights, cols, x.shape, w, 1)
    np.testing.assert_allclose(dx, central_differences(lambda v: loss(xx=v), x), atol=1e-6)
    np.testing.assert_allclose(dw, central_differences(lambda v: loss(ww=v), w), atol=1e-6)
    np.testing.assert_allclose(db, central_differences(lambda v: loss(bb=v), b), atol=1e-6)
    assert cnn.conv_backward(weights, cols, x.shape, w, 1, need_dx=False)[0] is None


def test_pool_backward_equals_central_differences():
    g = rng(4)
    x = g.standard_normal((2, 4, 6, 2))             # no ties: the gradient exists
    weights = g.standard_normal((2, 2, 3, 2))
    _, winner = cnn.pool_forward(x)
    grad = cnn.pool_backward(weights, winner)
    expected = central_differences(lambda v: float((cnn.pool_forward(v)[0] * weights).sum()),
                                   x)
    np.testing.assert_allclose(grad, expected, atol=1e-6)


def test_whole_network_gradient_equals_central_differences():
    g = rng(5)
    theta = TINY.init(g) + 0.1 * g.standard_normal(TINY.parameter_count)  # biases ≠ 0 too
    images = g.random((5, 8, 8))
    labels = np.array([0, 1, 2, 3, 1])
    loss, grad = cnn.loss_and_gradient(TINY, theta, images, labels)
    expected = central_differences(
        lambda t: cnn.loss_and_gradient(TINY, t, images, labels)[0], theta)
    np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-7)
    # the loss itself: mean −log softmax of the right class, from the scores
    scores = cnn.forward(TINY, theta, images).scores
    logp = scores - np.log(np.exp(scores).sum(1, keepdims=True))
    assert loss == pytest.approx(-logp[np.arange(5), labels].mean(), rel=1e-12)


def test_gradient_with_larger_filters_and_relu_at_zero():
    """5×5 filters in both layers (padding 2 keeps the sizes); and at θ = 0 every z is 0,
    where ReLU's slope is taken as 0 (as PyTorch does): no gradient reaches the filters,
    while the dense bias still gets mean(softmax − one-hot) = mean(1/k − y)."""
    spec = cnn.Spec(filters1=2, size1=5, filters2=2, size2=5, classes=3, side=8)
    g = rng(11)
    theta = spec.init(g) + 0.1 * g.standard_normal(spec.parameter_count)
    images, labels = g.random((3, 8, 8)), np.array([0, 2, 2])
    _, grad = cnn.loss_and_gradient(spec, theta, images, labels)
    expected = central_differences(
        lambda t: cnn.loss_and_gradient(spec, t, images, labels)[0], theta)
    np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-7)
    zero = np.zeros(spec.parameter_count)
    loss, grad = cnn.loss_and_gradient(spec, zero, images, labels)
    assert loss == pytest.approx(np.log(3))
    parts = spec.unflatten(grad)
    assert not any(p.any() for p in parts[:5])
    np.testing.assert_allclose(parts[5], [0, 1 / 3, -1 / 3], atol=1e-15)   # 1/3 − (1/3, 0, 2/3)
    # one layer's z at exactly 0 (its weights and bias 0) while the gradient reaches it
    # from above: ReLU'(0) = 0 stops it there, so that layer's weights get none
    for layer in (1, 2):
        parts = [p.copy() for p in spec.unflatten(theta.copy())]
        parts[2 * layer - 2][...] = 0.0
        parts[2 * layer - 1][...] = 0.0
        if layer == 1:
            parts[3][...] = 0.5        # conv 2 then still passes a gradient down
        at = np.concatenate([p.ravel() for p in parts])
        got = spec.unflatten(cnn.loss_and_gradient(spec, at, images, labels)[1])
        assert not got[2 * layer - 2].any() and not got[2 * layer - 1].any()
        assert got[5].any()              # the scores still pass a gradient back


def test_float32_pass_is_close_to_float64():
    g = rng(6)
    theta, images = cnn.Spec().init(g), g.random((4, 28, 28))
    labels = np.array([1, 2, 3, 4])
    s64 = cnn.forward(cnn.Spec(), theta, images).scores
    s32 = cnn.forward(cnn.Spec(), theta, images, np.float32, backward=False).scores
    assert s32.dtype == np.float32
    np.testing.assert_allclose(s32, s64, rtol=1e-4, atol=1e-4)
    l64, g64 = cnn.loss_and_gradient(cnn.Spec(), theta, images, labels)
    l32, g32 = cnn.loss_and_gradient(cnn.Spec(), theta, images, labels, np.float32)
    assert g32.dtype == np.float64 and l32 == pytest.approx(l64, rel=1e-4)
    np.testing.assert_allclose(g32, g64, atol=1e-4 * np.abs(g64).max())


# --- the architecture and the model ---------------------------------------------------------

def test_spec_counts_every_weight_and_bias():
    s = cnn.Spec()
    # worked by hand: 8·1·5·5 + 8, 16·8·3·3 + 16, (16·7·7)·10 + 10
    assert s.parameter_count == 208 + 1168 + 7850
    assert s.flat == 784
    assert [p.shape for p in s.unflatten(np.arange(s.parameter_count))] == list(s.shapes)
    assert s.text == "8 filters 5×5 → pool → 16 filters 3×3 → pool → 10"
    theta = s.init(rng())
    w1, b1, w2, _, w3, b3 = s.unflatten(theta)
    assert not b1.any() and not b3.any()
    assert np.std(w1) == pytest.approx(np.sqrt(2 / 25), rel=0.2)      # He: √(2/fan-in)
    assert np.std(w2) == pytest.approx(np.sqrt(2 / 72), rel=0.1)       # 8 maps × 3 × 3 in
    assert np.std(w3) == pytest.approx(np.sqrt(2 / 784), rel=0.1)
    assert cnn.Spec(filters1=1, filters2=1).parameter_count == 26 + 10 + 500


@pytest.mark.parametrize("bad, words", [
    ({"size1": 4}, "odd"), ({"size2": 2}, "odd"), ({"side": 30}, "multiple of 4"),
    ({"filters2": 0}, "at least 1"),
    ({"classes": 2.5}, "whole number")])
def test_spec_refuses_shapes_that_do_not_fit(bad, words):
    with pytest.raises(ValueError, match=words):
        cnn.Spec(**bad)


def test_model_stages_and_probabilities():
    g = rng(7)
    model = cnn.Model(cnn.Spec(), cnn.Spec().init(g))
    image = g.random((28, 28))
    stages = model.stages(image)
    assert [s.name for s in stages] == list(cnn.STAGES)
    shapes = [s.values.shape for s in stages]
    assert shapes == [(1, 28, 28), (8, 28, 28), (8, 28, 28), (8, 14, 14), (16, 14, 14),
                      (16, 14, 14), (16, 7, 7), (10,), (10,)]
    named = {s.name: s.values for s in stages}
    np.testing.assert_array_equal(named["ReLU 1"], np.maximum(named["conv 1"], 0))
    # conv 1 of one picture, by the filter maps' direct loop
    loop = conv_layer.conv2d_loop(image, model.filters(1), model.bias(1), padding=2)
    np.testing.assert_allclose(named["conv 1"], loop, atol=1e-12)
    assert named["probabilities"].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(named["probabilities"], model.proba(image[None])[0], atol=1e-5)
    assert model.predict(image[None])[0] == named["scores"].argmax()
    assert not named["input"].flags.writeable
    with pytest.raises(ValueError, match="28×28"):
        model.stages(np.zeros((14, 14)))


def test_model_keeps_its_weights_read_only_and_names_its_layers():
    spec = TINY
    model = cnn.Model(spec, list(range(spec.parameter_count)))     # ints, as a list
    assert model.theta.dtype == np.float64 and not model.theta.flags.writeable
    w1, b1, w2, b2, _, _ = spec.unflatten(np.arange(spec.parameter_count, dtype=float))
    for layer, (w, b) in ((1, (w1, b1)), (2, (w2, b2))):
        np.testing.assert_array_equal(model.filters(layer), w)
        np.testing.assert_array_equal(model.bias(layer), b)


def test_model_refuses_weights_that_do_not_fit():
    with pytest.raises(ValueError, match="9,226"):
        cnn.Model(cnn.Spec(), np.zeros(10))
    bad = np.zeros(cnn.Spec().parameter_count)
    bad[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        cnn.Model(cnn.Spec(), bad)


def test_evaluate_is_the_mean_cross_entropy_and_the_accuracy():
    g = rng(8)
    model = cnn.Model(TINY, TINY.init(g))
    images, labels = g.random((300, 8, 8)), g.integers(0, 4, 300)  # > CHUNK: several passes
    scores = cnn.forward(TINY, model.theta, images).scores
    loss, accuracy = model.evaluate(images, labels)
    logp = scores - np.log(np.exp(scores).sum(1, keepdims=True))
    assert loss == pytest.approx(-logp[np.arange(300), labels].mean(), rel=1e-4)
    assert accuracy == pytest.approx((scores.argmax(1) == labels).mean())
    assert model.scores(images[:0]).shape == (0, 4)


# --- the weights file ---------------------------------------------------------------------

def test_save_then_load_gives_the_same_network(tmp_path):
    model = cnn.Model(TINY, TINY.init(rng(9)))
    path = tmp_path / "w.npz"
    cnn.save(path, model)
    again = cnn.load(path)
    assert again.spec == TINY
    np.testing.assert_array_equal(again.theta, model.theta)


def test_load_refuses_other_files_in_one_sentence(tmp_path):
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    text = tmp_path / "notes.npz"
    text.write_text("not weights")
    other = tmp_path / "other.npz"
    np.savez(other, theta=np.zeros(3))
    tagged = tmp_path / "tagged.npz"
    np.savez(tagged, format=np.array("something-else"), theta=np.zeros(3),
             architecture=np.zeros(6))
    short = tmp_path / "short.npz"
    np.savez(short, format=np.array(cnn.FORMAT), theta=np.zeros(3),
             architecture=np.array([8, 5, 16]))
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, format=np.array(cnn.FORMAT), theta=np.zeros(3),
             architecture=np.array([8, 5, 16, 3, 10, 28]))
    for path, words in ((empty, "empty.npz could not be read"),
                        (text, "notes.npz could not be read"),
                        (other, "other.npz is not a Stepwise CNN weights file"),
                        (tagged, "tagged.npz is a weights file of another kind"),
                        (short, "short.npz describes its architecture with 3 numbers "
                                "instead of 6"), (wrong, "9,226")):
        with pytest.raises(ValueError, match=words):
            cnn.load(path)


def test_digits_data_keeps_its_test_set_whatever_the_training_size():
    small, large = cnn.digits_data(50, 30, seed=2), cnn.digits_data(80, 30, seed=2)
    np.testing.assert_array_equal(small.test_x, large.test_x)
    np.testing.assert_array_equal(cnn.test_digits(30, seed=2)[0], small.test_x)
    np.testing.assert_array_equal(small.train_x, cnn.digits_data(50, 40, seed=2).train_x)
    assert (small.train_x.shape, small.test_x.shape) == ((50, 28, 28), (30, 28, 28))
    other = cnn.digits_data(50, 30, seed=3)
    assert not np.array_equal(other.test_x, small.test_x)
    # the training and test digits come from different streams: no picture is in both
    both = np.concatenate([small.train_x, small.test_x]).reshape(80, -1)
    assert len(np.unique(both, axis=0)) == 80


def test_bundled_weights_read_new_digits():
    model = cnn.load(cnn.BUNDLED_WEIGHTS)
    assert model.spec == cnn.Spec()
    assert cnn.BUNDLED_WEIGHTS.stat().st_size < 100_000
    unseen = cnn.digits_data(train=10, test=1000, seed=123)     # digits it never saw
    assert model.evaluate(unseen.test_x, unseen.test_y)[1] >= 0.95


# --- the training run ---------------------------------------------------------------------

def small_run(**changes):
    data = cnn.digits_data(train=200, test=100, seed=1)
    params = dataclasses.replace(cnn.Params(), **{"train_size": 200, "batch_size": 50,
                                                  "epochs": 2, **changes})
    return data, params, list(cnn.run(data, params, rng(3)))


def test_run_steps_batch_by_batch_and_keeps_its_history():
    data, params, steps = small_run()
    assert [s.phase for s in steps] == ["start"] + ["update"] * 3 + ["epoch"] \
        + ["update"] * 3 + ["done"]
    assert [s.index for s in steps] == list(range(9))
    assert [s.update for s in steps] == list(range(9))
    assert [s.epoch for s in steps] == [0, 1, 1, 1, 1, 2, 2, 2, 2]
    assert steps[0].per_epoch == 4 and len(steps[0].batch_rows) == 0
    last = steps[-1]
    assert len(last.losses) == 8 and last.batch_loss == last.losses[-1]
    assert all(len(s.batch_rows) == 50 for s in steps[1:])
    # one epoch visits every training digit once
    assert sorted(np.concatenate([s.batch_rows for s in steps[1:5]])) == list(range(200))
    # every snapshot's batch loss is the loss of its batch at the weights before its update
    for before, after in zip(steps, steps[1:], strict=False):
        rows = after.batch_rows
        loss, _ = cnn.loss_and_gradient(before.spec, before.theta, data.train_x[rows],
                                        data.train_y[rows], np.float32)
        assert after.batch_loss == pytest.approx(loss, rel=1e-6)
    # evaluations: the start, then every update (4 per epoch, so every 10 % is every one)
    ev = last.evaluations
    assert ev[:, 0].tolist() == list(range(9))
    assert ev[-1, 1] == 2.0
    assert last.test_accuracy == ev[-1, 3] == last.model.evaluate(data.test_x, data.test_y)[1]
    assert not last.theta.flags.writeable and not last.losses.flags.writeable
    assert steps[3].losses.tolist() == last.losses[:3].tolist()     # shared, never changed


def test_run_groups_updates_into_steps_and_says_so():
    _, _, by_ten = small_run(per_step="10 batches", batch_size=10, epochs=1)
    assert [s.update for s in by_ten] == [0, 10, 20]
    mean = cnn.num(float(by_ten[-1].losses[:10].mean()), 3)
    assert by_ten[1].caption.startswith(f"Updates 1–10 (epoch 1, batch 10 of 20): mean batch "
                                        f"loss {mean}. Test accuracy ")
    _, _, by_epoch = small_run(per_step="epoch")
    assert [s.update for s in by_epoch] == [0, 4, 8]
    assert "Training done after 2 epochs." in by_epoch[-1].caption
    assert "Test accuracy" in by_epoch[1].caption and "Epoch 1 done" in by_epoch[1].caption


def test_run_captions_say_what_happened_in_numbers():
    _, _, steps = small_run()
    assert steps[0].caption.startswith("The network (8 filters 5×5 → pool → 16 filters 3×3 → "
                                       "pool → 10; 9,226 weights) starts random: test loss ")
    first = steps[1]
    assert first.caption.startswith(f"Update 1 (epoch 1, batch 1 of 4): batch loss "
                                    f"{cnn.num(first.batch_loss, 3)}")
    assert f"Test accuracy {cnn.num(100 * first.test_accuracy, 3)} % (now)" in first.caption
    for s in steps:
        assert not re.search(r"nan|−0\b|-0\b|\b1 epochs", s.caption)
        assert set(s.metrics) == {"update", "epoch", "batch loss", "test accuracy"}


def test_run_is_deterministic_and_can_start_from_given_weights():
    data, params, steps = small_run()
    again = list(cnn.run(data, params, rng(3)))
    np.testing.assert_array_equal(again[-1].theta, steps[-1].theta)
    start = steps[-1].theta
    resumed = list(cnn.run(data, params, rng(4), start=start))
    np.testing.assert_array_equal(resumed[0].theta, start)
    assert "starts from the given weights" in resumed[0].caption
    with pytest.raises(ValueError, match="weights hold 10"):
        next(cnn.run(data, params, rng(), start=np.zeros(10)))
    with pytest.raises(ValueError, match="batch_size"):
        next(cnn.run(data, dataclasses.replace(params, batch_size=0), rng()))


def test_run_checks_the_test_digits_every_tenth_of_an_epoch_and_says_when():
    data = cnn.digits_data(train=300, test=40, seed=1)
    params = cnn.Params(train_size=300, batch_size=10, epochs=1)   # 30 updates an epoch
    steps = list(cnn.run(data, params, rng(5)))
    ev = steps[-1].evaluations
    assert ev[:, 0].tolist() == list(range(0, 31, 3))              # every 30 // 10 = 3
    assert ev[0, :2].tolist() == [0.0, 0.0] and ev[-1, 1] == 1.0
    assert ev[2, 1] == pytest.approx(6 / 30)                       # epochs as a fraction
    for k, last_checked in ((1, 0), (4, 1)):
        assert steps[k].caption.endswith(
            f" Test accuracy {cnn.pct(ev[last_checked, 3])} (at update "
            f"{3 * last_checked}), test loss {cnn.num(ev[last_checked, 2], 3)}.")
    # the first Adam step is −η·g / (|g| + ε) (m̂ = g, v̂ = g²), worked from the gradient
    rows = steps[1].batch_rows
    _, g = cnn.loss_and_gradient(steps[0].spec, steps[0].theta, data.train_x[rows],
                                 data.train_y[rows], np.float32)
    np.testing.assert_allclose(steps[1].theta - steps[0].theta,
                               -params.lr * g / (np.abs(g) + 1e-8), rtol=1e-6, atol=1e-12)
    start = steps[0]
    assert math.isnan(start.batch_loss) and math.isnan(start.metrics["batch loss"])
    assert start.caption == (f"The network ({start.spec.text}; 9,226 weights) starts random: "
                             f"test loss {cnn.num(ev[0, 2], 3)}, test accuracy "
                             f"{cnn.pct(ev[0, 3])} (chance is 10 %).")
    last = steps[-1]
    assert last.caption.endswith(f" Test accuracy {cnn.pct(ev[-1, 3])} (now), test loss "
                                 f"{cnn.num(ev[-1, 2], 3)}. Training done after 1 epoch.")


def test_run_needs_a_training_and_a_test_digit():
    data = cnn.digits_data(train=1, test=1, seed=1)
    steps = list(cnn.run(data, cnn.Params(train_size=100, epochs=2), rng()))
    assert [s.update for s in steps] == [0, 1, 2] and steps[0].per_epoch == 1
    no_test = dataclasses.replace(data, test_x=data.test_x[:0], test_y=data.test_y[:0])
    with pytest.raises(ValueError, match="at least one training and one test digit"):
        next(cnn.run(no_test, cnn.Params(), rng()))


def test_run_stops_when_the_loss_diverges():
    data = cnn.digits_data(train=200, test=100, seed=1)
    params = cnn.Params(train_size=200, batch_size=50)
    # weights of 1e13 make scores past float32's largest number (3.4e38): the loss is ∞
    start = np.full(cnn.Spec().parameter_count, 1e13)
    steps = list(cnn.run(data, params, rng(), start=start))
    assert [s.phase for s in steps] == ["start", "diverged"]
    assert [s.index for s in steps] == [0, 1] and steps[-1].epoch == 1
    assert math.isnan(steps[-1].batch_loss)
    assert steps[-1].caption.startswith("Update 1 overflowed (the loss or the weights are no "
                                        "longer finite numbers): training stopped")
    np.testing.assert_array_equal(steps[-1].theta, start)       # the last good weights kept
    assert steps[-1].update == 0 and len(steps[-1].losses) == 0


def test_training_reaches_95_percent_on_unseen_digits():
    data = cnn.digits_data(train=3000, test=1000, seed=0)
    params = cnn.Params(epochs=2, per_step="epoch")
    *_, last = cnn.run(data, params, rng(0))
    assert last.phase == "done"
    assert last.test_accuracy >= 0.95
