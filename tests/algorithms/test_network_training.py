"""The stepwise training run: learning, granularity, traces, captions, the model, bad input."""

import dataclasses
import re

import numpy as np
import pytest

from algorithms.activations import softmax
from algorithms.base import num
from algorithms.network import Params, run
from algorithms.network.data import spirals, xor
from algorithms.network.layers import Layout, full_pass
from algorithms.optimizers import OPTIMIZERS


def steps_of(X, y, params, seed=1, **kw):
    return list(run(X, y, params, np.random.default_rng(seed), **kw))


def data(kind="xor", n=120, noise=0.0, seed=0):
    return {"xor": xor, "spirals": spirals}[kind](n, 2, noise, np.random.default_rng(seed))


def test_learns_xor():
    X, y = data("xor", 200)
    final = steps_of(X, y, Params(hidden="6", epochs=60, granularity="epoch",
                                  test_fraction=0.0, lr=0.03))[-1]
    assert final.phase == "done"
    assert final.metrics["train accuracy"] >= 0.95
    assert (final.model.predict(X) == y).mean() >= 0.95
    assert "test loss" not in final.metrics


def test_learns_two_spirals():
    X, y = data("spirals", 300)
    final = steps_of(X, y, Params(hidden="16, 16", epochs=300, granularity="epoch",
                                  test_fraction=0.0))[-1]
    assert final.metrics["train accuracy"] >= 0.95


def test_every_granularity_trains_the_same_network():
    X, y = data("xor", 40)
    base = dict(hidden="3", epochs=2, batch_size=8, dropout=0.2, dropconnect=0.1, rule="Adam")
    runs = {g: steps_of(X, y, Params(granularity=g, **base)) for g in ("layer", "batch",
                                                                        "epoch")}
    per_epoch = runs["batch"][1].batches
    assert per_epoch == 4                                      # 30 training points / 8
    after = {g: {s.updates: s.weights for s in ss if s.phase in ("update", "batch", "epoch",
                                                                  "done")}
             for g, ss in runs.items()}
    for k in range(1, 2 * per_epoch + 1):
        for w1, w2 in zip(after["layer"][k], after["batch"][k], strict=True):
            np.testing.assert_array_equal(w1, w2)
    for k in (per_epoch, 2 * per_epoch):
        for w1, w2 in zip(after["epoch"][k], after["batch"][k], strict=True):
            np.testing.assert_array_equal(w1, w2)
    phases = [s.phase for s in runs["layer"][:8]]
    assert phases == ["init", "forward", "forward", "loss", "backward", "backward", "update",
                      "forward"]
    assert [s.layer for s in runs["layer"][1:6]] == [1, 2, 2, 2, 1]
    assert [s.index for s in runs["layer"]] == list(range(len(runs["layer"])))
    assert len(runs["epoch"]) == 3 and runs["epoch"][-1].phase == "done"


def test_the_trace_fills_in_as_the_pass_goes_and_is_the_examples_own_pass():
    X, y = data("xor", 60)
    steps = steps_of(X, y, Params(hidden="3, 2", epochs=1, batch_size=5, granularity="layer",
                                  standardize=False, rule="GD", lr=0.1))
    fwd1, fwd2, fwd3, loss, back3, back2, back1, upd = steps[1:9]
    assert fwd1.trace.z[1] is None and fwd2.trace.z[1] is not None and fwd2.trace.z[2] is None
    assert loss.trace.loss is not None and loss.trace.da[2] is not None
    assert loss.trace.dz[2] is None and back3.trace.dz[2] is not None
    assert back3.trace.dw[2] is not None and back3.trace.da[1] is not None
    assert back3.trace.dz[1] is None and back2.trace.dz[1] is not None
    assert back1.trace.dw[0] is not None
    t = upd.trace
    ws, bs = fwd1.weights, fwd1.biases
    x = X[t.example]
    np.testing.assert_array_equal(t.x, x)                   # not standardised here
    a1 = np.tanh(x @ ws[0] + bs[0])
    a2 = np.tanh(a1 @ ws[1] + bs[1])
    logits = a2 @ ws[2] + bs[2]
    np.testing.assert_allclose(t.a[0], a1)
    np.testing.assert_allclose(t.z[2], logits)
    np.testing.assert_allclose(t.output, softmax(logits))
    c = int(y[t.example])
    assert t.loss == pytest.approx(-np.log(softmax(logits)[c]))
    assert list(t.target) == list(np.eye(2)[c])
    # one example's ∂ℓ/∂W is the outer product a_prevᵀ·δ, the notes' dW = dD·Xᵀ
    np.testing.assert_allclose(t.dw[1], np.outer(t.a[0], t.dz[1]))
    np.testing.assert_allclose(t.dw[0], np.outer(x, t.dz[0]))
    np.testing.assert_array_equal(t.db[2], t.dz[2])
    # the update is the mean gradient over the batch: recompute it from the rows it names
    info = upd.update
    rows = info.examples
    assert t.example == rows[0] and len(rows) == 5
    p = full_pass(upd.spec, ws, bs, X[rows], np.eye(2)[y[rows]])
    for layer in range(3):
        np.testing.assert_allclose(info.gradient_w[layer], p.dw[layer], atol=1e-15)
        np.testing.assert_allclose(info.step_w[layer], -0.1 * p.dw[layer], atol=1e-15)
        np.testing.assert_allclose(upd.weights[layer], ws[layer] + info.step_w[layer])
    assert info.rule == "GD" and info.formula == OPTIMIZERS["GD"].formula


def test_captions_write_the_chain_rule_with_the_right_numbers():
    X, y = data("xor", 60)
    steps = steps_of(X, y, Params(hidden="3", epochs=1, batch_size=4, granularity="layer",
                                  dropout=0.3, dropconnect=0.2, l2=0.01))
    for s in steps:
        assert "nan" not in s.caption and "-0" not in s.caption and "−0 " not in s.caption
        assert not re.search(r"\b1 (examples|units|updates|connections)\b", s.caption)
    for s in steps:
        if s.phase != "backward":
            continue
        layer, i, j = s.highlight
        g = s.trace.dw[layer - 1][i, j]
        assert f"∂ℓ/∂w = δ{j + 1}·" in s.caption and f"= {num(g)}; ∂ℓ/∂b = δ." in s.caption
        # the highlighted weight is the layer's largest per-example gradient
        assert abs(g) == np.abs(s.trace.dw[layer - 1]).max()
    upd = next(s for s in steps if s.phase == "update")
    layer, i, j = upd.highlight
    k = Layout(upd.spec.sizes).w_slices[layer - 1].start + i * upd.spec.sizes[layer] + j
    old = steps[0].weights[layer - 1][i, j]
    assert f"{num(old)} → {num(upd.weights[layer - 1][i, j])}" in upd.caption
    assert f"∂L/∂w = {num(upd.update.gradient_w[layer - 1][i, j])}" in upd.caption
    assert f"m = {num(upd.update.terms['m'][k], 3)}" in upd.caption
    assert "with λ·w" in upd.caption
    fwd = steps[1]
    assert fwd.phase == "forward" and f"= {num(fwd.trace.z[0][fwd.highlight[2]])}," in fwd.caption
    assert "Inverted dropout p = 0.3" in steps[0].caption and "×1.43" in steps[0].caption


def test_watch_picks_the_weight_every_caption_follows():
    X, y = data("xor", 40)
    steps = steps_of(X, y, Params(hidden="3", epochs=1, granularity="layer"), watch=(1, 1, 2))
    back1 = next(s for s in steps if s.phase == "backward" and s.layer == 1)
    assert back1.highlight == (1, 1, 2) and "W1[2→3]" in back1.caption
    upd = next(s for s in steps if s.update is not None)
    assert upd.highlight == (1, 1, 2) and "W1[2→3]:" in upd.caption
    with pytest.raises(ValueError, match="no weight"):
        steps_of(X, y, Params(hidden="3"), watch=(3, 0, 0))


def test_same_seed_same_run_and_snapshots_never_change():
    X, y = data("spirals", 80, 0.05)
    params = Params(hidden="5", epochs=3, batch_size=16, dropout=0.3, dropconnect=0.2)
    a, b, c = steps_of(X, y, params, 5), steps_of(X, y, params, 5), steps_of(X, y, params, 6)
    assert [s.caption for s in a] == [s.caption for s in b]
    for s, t in zip(a, b, strict=True):
        for w1, w2 in zip(s.weights, t.weights, strict=True):
            np.testing.assert_array_equal(w1, w2)
    assert not np.array_equal(a[0].weights[0], c[0].weights[0])
    copies = [(s.weights[0].copy(), s.history.rows.copy()) for s in a]
    more = steps_of(X, y, params, 5)   # a later run shares nothing with this one
    assert len(more) == len(a)
    for s, (w, h) in zip(a, copies, strict=True):
        np.testing.assert_array_equal(s.weights[0], w)
        np.testing.assert_array_equal(s.history.rows, h)
        with pytest.raises(ValueError):
            s.weights[0][0, 0] = 1.0
        with pytest.raises(ValueError):
            s.history.rows[0, 0] = 1.0
    assert a[-1].history["train loss"].shape == (len(a),)


def test_model_draws_regions_and_unit_maps_over_a_grid():
    X, y = data("xor", 100)
    labels = np.where(y == 1, "yes", "no")
    final = steps_of(X, labels, Params(hidden="4, 3", epochs=5))[-1]
    g = np.linspace(-10, 10, 200)
    grid = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    proba = final.model.predict_proba(grid)
    assert proba.shape == (40_000, 2)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert set(final.model.predict(grid)) <= {"no", "yes"}
    hidden = final.model.hidden(grid)
    assert [h.shape for h in hidden] == [(40_000, 4), (40_000, 3)]
    m = final.model
    for name in ("tanh", "ReLU", "linear", "ELU"):   # the lean drawing pass agrees
        twin = dataclasses.replace(m, spec=dataclasses.replace(m.spec, hidden=name))
        proba, units = twin.regions(grid)
        np.testing.assert_allclose(proba, twin.predict_proba(grid), atol=1e-15)
        for u, v in zip(units, twin.hidden(grid), strict=True):
            np.testing.assert_allclose(u, v, atol=1e-15)
    xs = (grid[:5] - m.shift) / m.scale
    a1 = np.tanh(xs @ m.weights[0] + m.biases[0])
    np.testing.assert_allclose(hidden[0][:5], a1)


def test_train_and_test_split_and_the_curves():
    X, y = data("xor", 100)
    steps = steps_of(X, y, Params(hidden="4", epochs=4, batch_size=25, test_fraction=0.2))
    first = steps[0]
    # by class: 50 of each, 10 of each held out
    assert len(first.model.classes) == 2
    h = steps[-1].history
    assert list(h["update"]) == list(range(len(steps)))
    assert h["epoch"][-1] == 4.0 and h["epoch"][1] == 0.25
    assert h["test accuracy"].min() >= 0 and h["test accuracy"].max() <= 1
    assert steps[-1].metrics["test loss"] == h["test loss"][-1]


def test_nesterov_shows_the_pass_at_the_look_ahead_weights():
    X, y = data("xor", 40)
    steps = steps_of(X, y, Params(hidden="3", epochs=1, batch_size=5, granularity="layer",
                                  rule="Nesterov", lr=0.05, standardize=False))
    updates = [i for i, s in enumerate(steps) if s.phase == "update"]
    before, fwd = steps[updates[1]], steps[updates[1] + 1]
    v = -np.concatenate([np.concatenate([w.ravel(), b]) for w, b in
                         zip(before.update.step_w, before.update.step_b, strict=True)])
    ahead = Layout(fwd.spec.sizes).unflatten(
        np.concatenate([np.concatenate([w.ravel(), b]) for w, b in
                        zip(before.weights, before.biases, strict=True)]) - 0.9 * v)
    np.testing.assert_allclose(fwd.weights[0], ahead[0][0], atol=1e-15)
    assert "look-ahead" in fwd.caption


def test_a_runaway_learning_rate_stops_with_a_message():
    X, y = data("xor", 60)
    steps = steps_of(X * 1e150, y, Params(hidden="3", rule="GD", lr=10.0, standardize=False,
                                          activation="linear", epochs=50))
    assert steps[-1].phase == "diverged"
    assert "Training stopped" in steps[-1].caption
    assert all(np.isfinite(w).all() for w in steps[-1].weights)


@pytest.mark.parametrize(("scale", "shift"), [(1e-3, 1e8), (1e200, 0.0), (1e-200, 0.0)])
def test_far_off_data_is_standardised_and_learnt(scale, shift):
    X, y = data("xor", 200)
    final = steps_of(X * scale + shift, y, Params(hidden="6", epochs=60, granularity="epoch",
                                                  test_fraction=0.0, lr=0.03))[-1]
    assert final.metrics["train accuracy"] >= 0.95
    assert (final.model.predict(X * scale + shift) == y).mean() >= 0.95


@pytest.mark.parametrize(("X", "y", "params", "message"), [
    (np.zeros((4, 2)), np.zeros(3), Params(), "one label per row"),
    (np.array([[0.0, np.nan], [1, 1], [2, 2]]), [0, 1, 0], Params(), "NaN"),
    (np.zeros((6, 2)), np.zeros(6), Params(), "only one"),
    (np.zeros((3, 2)), [0, 1, 0], Params(hidden="a, b"), "whole numbers"),
    (np.zeros((3, 2)), [0, 1, 0], Params(hidden="4, 4, 4, 4"), "0 to 3 layers"),
    (np.zeros((3, 2)), [0, 1, 0], Params(hidden="0"), "1 to 32 units"),
    (np.zeros((3, 2)), [0, 1, 0], Params(dropout=0.95), "dropout must be between"),
    (np.zeros((3, 2)), [0.0, np.nan, 1.0], Params(), "NaN"),
])
def test_bad_input_gets_a_clear_message(X, y, params, message):
    with pytest.raises(ValueError, match=message):
        next(run(X, y, params, np.random.default_rng(0)))


def test_no_hidden_layer_is_a_softmax_regression():
    X, y = data("xor", 40)
    steps = steps_of(X, y, Params(hidden="", epochs=1, granularity="layer"))
    assert steps[0].spec.sizes == (2, 2)
    assert "2-2 network (softmax + cross-entropy)" in steps[0].caption
    assert [s.phase for s in steps[1:5]] == ["forward", "loss", "backward", "done"]
