"""The RNN and the LSTM: forward steps worked by hand, BPTT against central differences (the
weights and the per-time-step ‖∂L/∂h_t‖), gate ranges, the carried cell state, the fading
RNN gradient, and run(): phases, captions, immutability, determinism, training."""

import dataclasses
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms import recurrent as rec

SMALL = rec.Params(length=6, symbols=3, hidden=3, epochs=1, updates=1)


def sequences(seed, n=5, length=4, symbols=3):
    return rec.make_sequences(n, length, symbols, np.random.default_rng(seed))


def numeric_gradient(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for j in range(len(x)):
        up, down = x.copy(), x.copy()
        up[j] += eps
        down[j] -= eps
        g[j] = (f(up) - f(down)) / (2 * eps)
    return g


def test_one_rnn_step_worked_by_hand():
    # One unit, K = 2: W = [[0.5], [−1]], U = [[0.8]], b = 0.
    # x = (1, 0) then (0, 1): h1 = tanh(0.5) = 0.46212, h2 = tanh(−1 + 0.8·0.46212) = −0.55830.
    net = rec.Net("RNN", 2, 1)
    theta = np.concatenate([[0.5, -1.0], [0.8], [0.0], [1.0, -1.0], [0.0, 0.0]])
    x = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    trace = net.forward(theta, x)
    np.testing.assert_allclose(trace.h[0, :, 0], [0.0, 0.46212, -0.55830], atol=5e-5)
    # read-out: logits (h2, −h2) = (−0.5583, 0.5583): p1 = 1/(1 + e^(2·0.5583)) = 0.24666
    np.testing.assert_allclose(trace.probs[0], [0.24666, 0.75334], atol=5e-5)
    assert trace.c is None and trace.gates is None


def test_one_lstm_step_worked_by_hand():
    # One unit, K = 2, x = (1, 0): z = first row of W = (1, 2, −1, 0.5) for (f, i, o, g).
    # f = σ(1) = 0.73106, i = σ(2) = 0.88080, o = σ(−1) = 0.26894, g = tanh(0.5) = 0.46212;
    # c1 = f·c0 + i·g = 0.73106·0.5 + 0.88080·0.46212 = 0.77257,
    # h1 = o·tanh(c1) = 0.26894·0.64843 = 0.17439.
    net = rec.Net("LSTM", 2, 1)
    w = np.array([[1.0, 2.0, -1.0, 0.5], [0.0, 0.0, 0.0, 0.0]])
    theta = np.concatenate([w.ravel(), np.zeros(4), np.zeros(4), [1.0, -1.0], [0.0, 0.0]])
    trace = net.forward(theta, np.array([[[1.0, 0.0]]]), c0=np.array([[0.5]]))
    np.testing.assert_allclose(trace.gates[0, 0, :, 0], [0.73106, 0.88080, 0.26894, 0.46212],
                               atol=5e-5)
    assert trace.c[0, 1, 0] == pytest.approx(0.77257, abs=5e-5)
    assert trace.h[0, 1, 0] == pytest.approx(0.17439, abs=5e-5)


@pytest.mark.parametrize("cell", rec.CELLS)
def test_bptt_equals_central_differences(cell):
    x, y = sequences(1)
    net = rec.Net(cell, 3, 3)
    theta = net.init(np.random.default_rng(2), forget_bias=0.7)
    theta = theta + np.random.default_rng(3).normal(0, 0.3, theta.shape)  # nonzero biases
    grad, h_norms, c_norms = net.backward(theta, net.forward(theta, x), y)
    numeric = numeric_gradient(lambda t: rec.loss(net.forward(t, x), y), theta)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
    assert (cell == "LSTM") == (c_norms is not None)


@pytest.mark.parametrize("cell", rec.CELLS)
def test_per_step_gradient_norms_equal_central_differences(cell):
    """‖∂L/∂h_t‖ (and ‖∂L/∂c_t‖): restart the rest of the sequence from h_t, c_t and
    differentiate the loss numerically with respect to that starting state."""
    x, y = sequences(4)
    net = rec.Net(cell, 3, 2)
    theta = net.init(np.random.default_rng(5), forget_bias=1.0)
    trace = net.forward(theta, x)
    _, h_norms, c_norms = net.backward(theta, trace, y)
    steps = x.shape[1]
    for t in range(steps):
        rest = x[:, t + 1:]
        h_t = trace.h[:, t + 1].ravel()
        c_t = None if trace.c is None else trace.c[:, t + 1]

        def from_h(h, c_t=c_t, rest=rest):
            return rec.loss(net.forward(theta, rest, h0=h.reshape(5, 2), c0=c_t), y)

        assert h_norms[t] == pytest.approx(np.linalg.norm(numeric_gradient(from_h, h_t)),
                                           rel=1e-5)
        if c_t is not None:
            def from_c(c, o=trace.gates[:, t, 2], rest=rest):
                c = c.reshape(5, 2)  # h_t = o_t·tanh(c_t) moves with c_t
                return rec.loss(net.forward(theta, rest, h0=o * np.tanh(c), c0=c), y)

            numeric = numeric_gradient(from_c, c_t.ravel())
            assert c_norms[t] == pytest.approx(np.linalg.norm(numeric), rel=1e-5)


@settings(max_examples=25, deadline=None)
@given(scale=st.floats(0.1, 4.0), seed=st.integers(0, 10_000))
def test_gates_lie_in_their_ranges(scale, seed):
    rng = np.random.default_rng(seed)
    net = rec.Net("LSTM", 4, 5)
    theta = net.init(rng, forget_bias=1.0) * scale
    x, _ = rec.make_sequences(3, 7, 4, rng)
    gates = net.forward(theta, x).gates
    assert ((gates[:, :, :3] > 0) & (gates[:, :, :3] < 1)).all(), "σ gates in (0, 1)"
    assert ((gates[:, :, 3] > -1) & (gates[:, :, 3] < 1)).all(), "candidate in (−1, 1)"
    assert not np.all(gates[:, :, :3] == gates[0, 0, 0, 0])


def test_forget_one_input_zero_carries_the_cell_state_unchanged():
    rng = np.random.default_rng(7)
    net = rec.Net("LSTM", 3, 4)
    theta = net.init(rng, forget_bias=-2.0) * 3.0
    x, _ = rec.make_sequences(2, 9, 3, rng)
    c0 = rng.normal(size=(2, 4))
    held = net.forward(theta, x, c0=c0, clamp={"f": 1.0, "i": 0.0})
    for t in range(10):
        np.testing.assert_array_equal(held.c[:, t], c0)
    np.testing.assert_allclose(held.h[:, 1:], held.gates[:, :, 2] * np.tanh(c0)[:, None])
    free = net.forward(theta, x, c0=c0)
    assert np.abs(free.c[:, -1] - c0).max() > 0.1, "without the clamp the state moves"


def first_steps(params, seed=0, until="update", times=1):
    """The steps up to the `times`-th of phase `until` (later ones are never computed)."""
    out = []
    for step in rec.run(params, np.random.default_rng(seed)):
        out.append(step)
        times -= step.phase == until
        if times == 0:
            return out
    return out


def test_rnn_gradient_fades_while_the_lstm_carries_it():
    steps = first_steps(rec.Params(length=40), seed=11, until="backward")
    back = steps[-1]
    rnn, lstm = back.grad_h["RNN"], back.grad_h["LSTM"]
    assert rnn[-1] > 0.3 * lstm[-1], "both start from comparable gradients at the end"
    assert rnn[0] < 1e-4 * lstm[0], "the RNN's first-step gradient has vanished"
    assert rnn[0] < 1e-6 * rnn[-1]
    assert back.grad_c[0] > 1e-3 * back.grad_c[-1], "the conveyor carries ∂L/∂c"


def test_run_phases_and_shared_forward_arrays():
    steps = list(rec.run(SMALL, np.random.default_rng(0)))
    phases = [s.phase for s in steps]
    assert phases == (["forward"] * 6 + ["backward", "update", "epoch"]
                      + ["sweep"] * (len(rec.LENGTHS) - 1) + ["done"])
    assert [s.index for s in steps] == list(range(len(steps)))
    assert [s.time for s in steps[:6]] == list(range(6))
    assert steps[0].grad_h is None and steps[6].grad_h["RNN"].shape == (6,)
    assert steps[0].lstm_c is steps[5].lstm_c, "the forward snapshots share their arrays"
    assert steps[0].lstm_gates.shape == (6, 4, 3) and steps[0].lstm_c.shape == (7, 3)
    assert np.isnan(steps[8].sweep["RNN"]).all()
    assert not np.isnan(steps[-1].sweep["LSTM"]).any()
    for s in steps:
        for value in (s.rnn_h, s.lstm_c, s.sequence, *s.sweep.values(), *s.losses.values()):
            assert not value.flags.writeable
    assert len(steps[-1].losses["RNN"]) == 2 and len(steps[7].losses["RNN"]) == 1


def test_forward_snapshots_hold_the_networks_own_states():
    steps = first_steps(SMALL, seed=3, until="forward")
    rng = np.random.default_rng(3)
    nets = {c: rec.Net(c, 3, 3) for c in rec.CELLS}
    thetas = {c: nets[c].init(rng, SMALL.forget_bias) for c in rec.CELLS}
    rec.make_sequences(rec.TEST, 6, 3, rng)
    x, _ = rec.make_sequences(rec.BATCH, 6, 3, rng)
    lstm = nets["LSTM"].forward(thetas["LSTM"], x[:1])
    np.testing.assert_allclose(steps[0].lstm_c, lstm.c[0])
    np.testing.assert_allclose(steps[0].lstm_gates, lstm.gates[0])
    np.testing.assert_allclose(steps[0].rnn_h, nets["RNN"].forward(thetas["RNN"], x[:1]).h[0, 1:])
    np.testing.assert_array_equal(steps[0].sequence, x[0].argmax(1))
    np.testing.assert_allclose(steps[0].lstm_h, lstm.h[0, 1:])
    np.testing.assert_allclose(steps[0].probs["LSTM"], lstm.probs[0])
    assert steps[0].length == 6 and steps[0].lengths == rec.LENGTHS


def test_start_scores_and_captions_are_the_networks_own():
    steps = first_steps(SMALL, seed=3, until="epoch")
    rng = np.random.default_rng(3)
    nets = {c: rec.Net(c, 3, 3) for c in rec.CELLS}
    thetas = {c: nets[c].init(rng, SMALL.forget_bias) for c in rec.CELLS}
    tx, ty = rec.make_sequences(rec.TEST, 6, 3, rng)
    x, y = rec.make_sequences(rec.BATCH, 6, 3, rng)
    back, epoch = steps[6], steps[-1]
    for c in rec.CELLS:
        trace = nets[c].forward(thetas[c], tx)
        assert epoch.accuracies[c][0] == rec.accuracy(trace, ty)
        assert epoch.losses[c][0] == rec.loss(trace, ty)
        batch = nets[c].forward(thetas[c], x)
        g = nets[c].backward(thetas[c], batch, y)[1]
        np.testing.assert_array_equal(back.grad_h[c], g)
        assert (f"{c} ‖∂L/∂h‖ {rec.num(g[-1], 3)} at step 6 → {rec.num(g[0], 3)} at step 1 "
                f"(×{rec.num(g[0] / g[-1], 2)})") in back.caption
        assert f"{c} {rec.num(rec.loss(batch, y))}" in back.caption
    assert back.caption.startswith("Backpropagation through time from the loss (RNN ")
    assert "; LSTM ‖∂L/∂h‖" in back.caption and back.caption.endswith(").")
    scores = [f"{c} accuracy {rec.num(100 * epoch.accuracies[c][-1], 3)} %, loss "
              f"{rec.num(epoch.losses[c][-1])}" for c in rec.CELLS]
    assert "; ".join(scores) + ". Chance is 33.3 %." in epoch.caption


def test_overflowed_weights_are_refused():
    with pytest.raises(ValueError, match="overflowed: lower the learning rate"):
        rec._check({"RNN": np.zeros(3), "LSTM": np.array([0.0, np.inf])})
    rec._check({"RNN": np.zeros(3)})


def test_update_lowers_the_batch_loss_and_training_learns():
    params = rec.Params(length=8, hidden=8, lr=0.03, epochs=6)
    steps = first_steps(params, seed=2, until="epoch", times=6)
    update = next(s for s in steps if s.phase == "update")
    after = [float(v) for v in re.findall(r"→ (\d+\.?\d*)", update.caption)]
    before = [float(v) for v in re.findall(r"loss (\d+\.?\d*) →", update.caption)]
    assert len(after) == len(before) == 2
    assert all(a < b for a, b in zip(after, before, strict=True))
    epoch = [s for s in steps if s.phase == "epoch"][-1]
    assert epoch.accuracies["LSTM"][-1] >= 0.9, "the LSTM recalls at T = 8"
    assert epoch.losses["LSTM"][-1] < 0.5 * epoch.losses["LSTM"][0]


def test_determinism_for_a_seed():
    a, b = (first_steps(SMALL, seed=5, until="epoch") for _ in range(2))
    assert [s.caption for s in a] == [s.caption for s in b]
    np.testing.assert_array_equal(a[-1].lstm_gates, b[-1].lstm_gates)
    np.testing.assert_array_equal(a[-1].grad_h["RNN"], b[-1].grad_h["RNN"])
    c = first_steps(SMALL, seed=6, until="epoch")
    assert [s.caption for s in a] != [s.caption for s in c]


def test_captions_are_clean_and_carry_the_numbers():
    steps = list(rec.run(SMALL, np.random.default_rng(1)))
    for s in steps:
        bad = r"nan|inf|-0\b|−0\b|(?<![\d.])1 (update|epoch|symbol|step)s\b"
        assert not re.search(bad, s.caption), s.caption
        assert all(math.isfinite(v) for v in s.metrics.values())
    first = steps[0].caption
    assert f"symbol {steps[0].sequence[0] + 1} goes in (the one to recall)" in first
    assert "1 update)" in steps[8].caption and "1 epoch:" in steps[9].caption
    back = steps[6]
    assert f"{rec.num(back.grad_h['RNN'][0], 3)} at step 1" in back.caption
    assert "Epoch 1 at T = 6" in steps[8].caption
    acc = steps[8].accuracies["LSTM"][-1]
    assert f"LSTM accuracy {rec.num(100 * acc, 3)} %" in steps[8].caption


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="length"):
        next(rec.run(dataclasses.replace(SMALL, length=1), np.random.default_rng(0)))
    with pytest.raises(ValueError, match="hidden"):
        next(rec.run(dataclasses.replace(SMALL, hidden=0), np.random.default_rng(0)))
    with pytest.raises(ValueError, match="K ≥ 2"):
        rec.make_sequences(3, 4, 1, np.random.default_rng(0))
    huge = dataclasses.replace(SMALL, lr=1.0, forget_bias=5.0, epochs=3, updates=10)
    steps = first_steps(huge, until="epoch", times=3)  # Adam's step is bounded by η
    assert all(math.isfinite(v) for s in steps for v in s.metrics.values())


def test_initial_weights_follow_the_recipe():
    rng = np.random.default_rng(8)
    for cell in rec.CELLS:
        net = rec.Net(cell, 5, 40)
        p = net.unpack(net.init(rng, forget_bias=2.5))
        np.testing.assert_array_equal(p["c"], 0.0)
        # W (5, G) + U (40, G) + b (G) + V (40, 5) + c (5), G = 40 or 4·40
        assert net.size() == 46 * net.blocks * 40 + 205 == len(net.init(rng))
        expected_b = np.zeros(net.blocks * 40)
        if cell == "LSTM":
            expected_b[:40] = 2.5  # the forget block only
        np.testing.assert_array_equal(p["b"], expected_b)
        for name, fan_in in (("W", 5), ("U", 40), ("V", 40)):
            scaled = p[name] * math.sqrt(fan_in)  # uniform on (−1, 1) before the scaling
            assert -1 <= scaled.min() < -0.8 and 0.8 < scaled.max() <= 1, (cell, name)
            assert abs(scaled.mean()) < 0.1


def test_sequences_use_every_symbol_and_any_length():
    x, y = rec.make_sequences(200, 1, 4, np.random.default_rng(0))
    assert x.shape == (200, 1, 4) and set(y.tolist()) == {0, 1, 2, 3}
    np.testing.assert_array_equal(x[:, 0].argmax(1), y)
    np.testing.assert_array_equal(x.sum(-1), 1.0)


def test_every_caption_states_its_own_numbers():
    steps = list(rec.run(SMALL, np.random.default_rng(4)))
    for s in steps[:6]:
        t, sym = s.time, int(s.sequence[s.time]) + 1
        g = s.lstm_gates[t]
        text = (f"Time step {t + 1} of 6: symbol {sym} goes in"
                + (" (the one to recall)" if t == 0 else "") + ". RNN: h = tanh(W·x + U·h) "
                f"has mean |h| {rec.num(np.abs(s.rnn_h[t]).mean(), 3)}. LSTM: mean gates f "
                f"{rec.num(g[0].mean(), 3)}, i {rec.num(g[1].mean(), 3)}, o "
                f"{rec.num(g[2].mean(), 3)}; cell state ‖c‖ "
                f"{rec.num(np.linalg.norm(s.lstm_c[t]), 3)} → "
                f"{rec.num(np.linalg.norm(s.lstm_c[t + 1]), 3)}.")
        assert s.caption == text
    update = steps[7].caption
    assert update.startswith("Update (Adam, η = 0.02) on this batch: RNN loss ")
    assert re.fullmatch(r"Update \(Adam, η = 0\.02\) on this batch: RNN loss [\d.]+ → [\d.]+; "
                        r"LSTM loss [\d.]+ → [\d.]+\.", update)
    assert steps[8].caption.endswith(" Chance is 33.3 %.")
    assert steps[8].probs["LSTM"].shape == (3,)
    assert steps[8].probs["LSTM"].sum() == pytest.approx(1.0)
    assert not np.array_equal(steps[8].probs["LSTM"], steps[0].probs["LSTM"]), "trained"
    for j, s in enumerate(steps[9:]):
        assert (s.sweep["RNN"][j] > 0).all() and (s.sweep["LSTM"][j] > 0).all()
        assert s.caption == (f"Trained fresh at T = {rec.LENGTHS[j]} for 1 epoch: RNN recalls "
                             f"{rec.num(100 * s.sweep['RNN'][j], 3)} %, LSTM recalls "
                             f"{rec.num(100 * s.sweep['LSTM'][j], 3)} % of the first symbols "
                             f"(chance 33.3 %).")


def test_backward_caption_in_full_and_with_a_zero_gradient():
    # Worked by hand: RNN ratio 1e−3 / 0.5 = 0.002; the LSTM's last gradient is 0, so its
    # ratio is undefined and shown as "—", never as a division by zero.
    caption = rec._backward_caption(
        3, {"RNN": 1.25, "LSTM": 0.5},
        {"RNN": np.array([1e-3, 0.2, 0.5]), "LSTM": np.array([1e-3, 0.5, 0.0])})
    assert caption == ("Backpropagation through time from the loss (RNN 1.25, LSTM 0.5): "
                       "RNN ‖∂L/∂h‖ 0.5 at step 3 → 0.001 at step 1 (×0.002); LSTM ‖∂L/∂h‖ 0 "
                       "at step 3 → 0.001 at step 1 (×—).")


def test_two_symbols_are_enough_and_metrics_follow_the_epochs():
    x, y = rec.make_sequences(50, 3, 2, np.random.default_rng(0))
    assert set(y.tolist()) == {0, 1} and x.shape == (50, 3, 2)
    steps = first_steps(dataclasses.replace(SMALL, epochs=3), until="epoch", times=3)
    for s in steps[-3:]:
        assert s.metrics == {f"{c} accuracy": s.accuracies[c][-1] for c in rec.CELLS}
        for c in rec.CELLS:
            assert (f"{c} accuracy {rec.num(100 * s.accuracies[c][-1], 3)} %, loss "
                    f"{rec.num(s.losses[c][-1])}") in s.caption
    net = rec.Net("LSTM", 3, 4)
    np.testing.assert_array_equal(net.unpack(net.init(np.random.default_rng(0)))["b"], 0.0)


def test_every_fresh_start_uses_the_forget_bias(monkeypatch):
    seen = []
    original = rec.Net.init

    def spy(self, rng, forget_bias=0.0):
        seen.append(forget_bias)
        return original(self, rng, forget_bias)

    monkeypatch.setattr(rec.Net, "init", spy)
    list(rec.run(dataclasses.replace(SMALL, forget_bias=2.5), np.random.default_rng(0)))
    assert seen == [2.5] * (2 + 2 * len(rec.LENGTHS)), "the start and each length of the sweep"
