"""The plain and residual stacks: identity blocks, gradients, the vanishing gradient, run()."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms import datasets, resnet
from algorithms.activations import softmax
from algorithms.network.layers import Layout


def small_data(n=9, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2))
    labels = np.arange(n) % classes
    return x, np.eye(classes)[labels], labels


def small_nets(shortcut="projection", activation="tanh", depth=4, width=3, seed=1):
    p = resnet.Params(depth=depth, width=width, activation=activation, shortcut=shortcut,
                      init_scale=1.0)
    theta, net = resnet.initial_weights(p, 2, 3, np.random.default_rng(seed))
    # non-zero biases, so their gradients are checked too
    rng = np.random.default_rng(seed + 10)
    arrays = [a + 0.3 * rng.standard_normal(a.shape) for a in net.arrays()]
    net = net.with_flat(np.concatenate([np.ravel(a) for a in arrays]))
    theta = theta + 0.3 * rng.standard_normal(theta.shape)
    return p, theta, net


def cross_entropy(logits, targets):
    return float(-(targets * np.log(softmax(logits))).sum(1).mean())


def central(f, theta, h=1e-6):
    out = np.empty_like(theta)
    for i in range(len(theta)):
        e = np.zeros_like(theta)
        e[i] = h
        out[i] = (f(theta + e) - f(theta - e)) / (2 * h)
    return out


# --- blocks ---------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(2, 6), st.sampled_from(resnet.ACTIVATIONS),
       st.integers(0, 1000))
def test_a_block_with_zero_residual_weights_is_exactly_the_identity(n, width, act, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, width)) * 5
    w1, b1 = rng.standard_normal((width, width)), rng.standard_normal(width)
    y = resnet.block(x, w1, b1, np.zeros((width, width)), np.zeros(width), act)
    assert np.array_equal(y, x)


def test_a_block_adds_its_branch_to_the_input():
    # worked by hand: x = (1, −1), W₁ = I, b₁ = 0, ReLU → u = (1, 0); W₂ = [[2, 0], [0, 3]],
    # b₂ = (0.5, 0.5) → F = (2.5, 0.5); y = x + F = (3.5, −0.5)
    y = resnet.block(np.array([[1.0, -1.0]]), np.eye(2), np.zeros(2),
                     np.diag([2.0, 3.0]), np.array([0.5, 0.5]), "ReLU")
    assert np.allclose(y, [[3.5, -0.5]])


def test_projection_shortcut_shapes_and_value():
    p = resnet.Params(depth=6, width=5, shortcut="projection")
    _, net = resnet.initial_weights(p, 2, 3, np.random.default_rng(0))
    assert net.projection.shape == (2, 5)
    assert [b[0].shape for b in net.blocks] == [(2, 5), (5, 5), (5, 5)]
    assert all(b[2].shape == (5, 5) for b in net.blocks)
    assert net.out[0].shape == (5, 3)
    x = np.array([[1.0, 2.0], [-3.0, 0.5]])
    # a zero first branch leaves the projection alone: y = x·P
    y = resnet.block(x, net.blocks[0][0], net.blocks[0][1], np.zeros((5, 5)), np.zeros(5),
                     "tanh", net.projection)
    assert y.shape == (2, 5)
    assert np.allclose(y, x @ net.projection)


def test_zero_padded_shortcut_pads_and_refuses_to_narrow():
    x = np.array([[1.0, 2.0]])
    assert np.array_equal(resnet.shortcut(x, 4, None), [[1.0, 2.0, 0.0, 0.0]])
    assert resnet.shortcut(x, 2, None) is x
    with pytest.raises(ValueError, match="projection"):
        resnet.shortcut(np.ones((1, 3)), 2, None)
    p = resnet.Params(depth=4, width=4, shortcut="zero-padded")
    _, net = resnet.initial_weights(p, 2, 2, np.random.default_rng(0))
    assert net.projection is None


def test_with_all_branches_zero_the_residual_net_is_linear():
    p = resnet.Params(depth=8, width=4)
    _, net = resnet.initial_weights(p, 2, 2, np.random.default_rng(3))
    blocks = tuple((w1, b1, np.zeros_like(w2), np.zeros_like(b2)) for w1, b1, w2, b2 in net.blocks)
    net = dataclasses.replace(net, blocks=blocks)
    x = np.random.default_rng(4).standard_normal((5, 2))
    expected = x @ net.projection @ net.out[0] + net.out[1]
    assert np.allclose(resnet.residual_logits(net, x), expected)


# --- gradients --------------------------------------------------------------------------------

@pytest.mark.parametrize("shortcut", resnet.SHORTCUTS)
@pytest.mark.parametrize("activation", resnet.ACTIVATIONS)
def test_residual_gradient_equals_central_differences(shortcut, activation):
    x, targets, _ = small_data()
    _, _, net = small_nets(shortcut, activation)
    loss, grads, _ = resnet.residual_gradient(net, x, targets)
    flat = np.concatenate([np.ravel(g) for g in grads])
    theta = net.flat()
    assert [g.shape for g in grads] == net.shapes()
    assert loss == pytest.approx(cross_entropy(resnet.residual_logits(net, x), targets))
    numeric = central(lambda t: cross_entropy(resnet.residual_logits(net.with_flat(t), x),
                                              targets), theta)
    assert np.allclose(flat, numeric, atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize("activation", resnet.ACTIVATIONS)
def test_plain_gradient_equals_central_differences(activation):
    x, targets, _ = small_data()
    p, theta, _ = small_nets(activation=activation)
    spec = resnet.plain_spec(p, 2, 3)
    loss, dw, flat, _ = resnet.plain_gradient(spec, theta, x, targets)

    def logits(t):
        ws, bs = Layout(spec.sizes).unflatten(t)
        a = x
        for i, (w, b) in enumerate(zip(ws, bs, strict=True)):
            z = a @ w + b
            a = z if i == len(ws) - 1 else (np.tanh(z) if activation == "tanh"
                                            else np.maximum(z, 0))
        return a

    assert loss == pytest.approx(cross_entropy(logits(theta), targets))
    numeric = central(lambda t: cross_entropy(logits(t), targets), theta)
    assert np.allclose(flat, numeric, atol=1e-7, rtol=1e-5)
    assert np.allclose(resnet.plain_norms(dw),
                       [np.linalg.norm(g) for g in Layout(spec.sizes).unflatten(flat)[0][:-1]])


def test_the_signal_passes_zero_branches_unchanged():
    # with every W₂ = 0 each block is y = x (after the first), so ∂ℓ/∂y is the same at every
    # block's output: the output layer's (p − t)·W_oᵀ, worked out here directly
    x, targets, _ = small_data()
    p = resnet.Params(depth=8, width=3, init_scale=1.0)
    _, net = resnet.initial_weights(p, 2, 3, np.random.default_rng(2))
    blocks = tuple((w1, b1, np.zeros_like(w2), np.zeros_like(b2)) for w1, b1, w2, b2 in net.blocks)
    net = dataclasses.replace(net, blocks=blocks)
    _, _, signal = resnet.residual_gradient(net, x, targets)
    g = (softmax(resnet.residual_logits(net, x)) - targets) @ net.out[0].T
    expected = np.sqrt((g * g).sum(1).mean())
    assert signal.shape == (8,)
    assert np.allclose(signal[1::2], expected)
    assert np.allclose(signal[0::2], 0.0)      # nothing flows into a branch with W₂ = 0


def test_plain_signal_is_the_backpropagated_gradient():
    # the last hidden layer's ∂ℓ/∂a = (p − t)·W_oᵀ per example
    x, targets, _ = small_data()
    p, theta, _ = small_nets()
    spec = resnet.plain_spec(p, 2, 3)
    _, _, _, signal = resnet.plain_gradient(spec, theta, x, targets)
    ws, bs = Layout(spec.sizes).unflatten(theta)
    a = x
    for w, b in zip(ws[:-1], bs[:-1], strict=True):
        a = np.tanh(a @ w + b)
    g = (softmax(a @ ws[-1] + bs[-1]) - targets) @ ws[-1].T
    assert signal.shape == (4,)
    assert signal[-1] == pytest.approx(np.sqrt((g * g).sum(1).mean()))


def test_residual_norms_are_in_layer_order():
    grads = [np.full((2, 2), v) for v in range(8)]    # W₁ b₁ W₂ b₂ of two blocks
    assert np.allclose(resnet.residual_norms(grads, 2), [0, 4, 8, 12])  # ‖v·1₂ₓ₂‖ = 2v


# --- the vanishing gradient ------------------------------------------------------------------

@pytest.mark.parametrize("activation", resnet.ACTIVATIONS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_plain_first_layer_gradient_is_orders_below_the_residual_one_at_init(activation, seed):
    X, y = datasets.make("moons", 200, 2, 0.1, seed)
    params = resnet.Params(depth=30, activation=activation, updates=1)
    first = next(resnet.run(X, y, params, np.random.default_rng(seed)))
    assert first.residual_norms[0] >= 100 * first.plain_norms[0]
    assert np.array_equal(first.plain_norms, first.plain_init_norms)
    # the gradient reaching each layer fades towards the input in the plain stack only
    assert first.plain_signal[0] < first.plain_signal[-1] / 1000
    assert first.residual_signal[0] > first.residual_signal[-1] / 10
    assert np.array_equal(first.residual_signal, first.residual_init_signal)


def test_a_shallow_plain_stack_does_not_vanish():
    X, y = datasets.make("moons", 200, 2, 0.1, 0)
    first = next(resnet.run(X, y, resnet.Params(depth=4, init_scale=1.0),
                            np.random.default_rng(0)))
    assert first.plain_norms[0] > first.plain_norms[-1] / 10
    assert first.plain_signal[0] > first.plain_signal[-1] / 10


# --- run() --------------------------------------------------------------------------------------

@pytest.fixture      # per test: mutmut 3 ties a module-scoped fixture to its first test only
def moons_run():
    X, y = datasets.make("moons", 120, 2, 0.1, 0)
    params = resnet.Params(depth=20, updates=30)
    return X, y, params, list(resnet.run(X, y, params, np.random.default_rng(5)))


def test_run_shapes_and_training(moons_run):
    X, y, params, steps = moons_run
    assert [s.index for s in steps] == list(range(31))
    assert [s.phase for s in steps] == ["start"] + ["update"] * 29 + ["done"]
    last = steps[-1]
    assert last.plain_norms.shape == last.residual_norms.shape == (20,)
    assert len(last.plain_losses) == len(last.residual_losses) == 31
    assert last.blocks == 10 and last.width == 16 and last.depth == 20
    assert last.residual_losses[-1] < 0.7 * last.residual_losses[0]
    assert np.array_equal(steps[0].residual_init_norms, steps[0].residual_norms)
    assert steps[0].residual_init_norms.shape == (20,)
    assert np.array_equal(steps[0].plain_init_signal, steps[0].plain_signal)
    assert not np.array_equal(steps[0].plain_init_signal, steps[0].residual_init_signal)
    for s in steps:
        assert s.plain_init_norms is steps[0].plain_init_norms
        assert np.array_equal(s.plain_losses, last.plain_losses[:s.update + 1])


def test_losses_and_accuracy_equal_the_models_on_the_data(moons_run):
    X, y, _, steps = moons_run
    s = steps[-1]
    targets = np.eye(2)[y]
    for model, losses, acc in ((s.plain_model, s.plain_losses, s.plain_accuracy),
                               (s.residual_model, s.residual_losses, s.residual_accuracy)):
        p = model.predict_proba(X)
        assert losses[-1] == pytest.approx(float(-np.log((p * targets).sum(1)).mean()))
        assert acc == pytest.approx(float((model.predict(X) == y).mean()))
    assert s.metrics["plain loss"] == s.plain_losses[-1]
    assert s.metrics["residual ‖∂L/∂W₁‖"] == s.residual_norms[0]


def test_one_update_is_gradient_descent_on_both(moons_run):
    X, y, params, steps = moons_run
    s0, s1 = steps[0], steps[1]
    data = resnet.prepare(X, y, 0.0, True, np.random.default_rng(0))
    _, grads, _ = resnet.residual_gradient(s0.residual_model.net, data.x, data.targets)
    for a0, a1, g in zip(s0.residual_model.net.arrays(), s1.residual_model.net.arrays(), grads,
                         strict=True):
        assert np.allclose(a1, a0 - params.lr * g)
    spec = s0.plain_model.spec
    theta0 = Layout(spec.sizes).flatten(s0.plain_model.weights, s0.plain_model.biases)
    theta1 = Layout(spec.sizes).flatten(s1.plain_model.weights, s1.plain_model.biases)
    _, _, flat, _ = resnet.plain_gradient(spec, theta0, data.x, data.targets)
    assert np.allclose(theta1, theta0 - params.lr * flat)


def test_both_start_from_the_same_draws(moons_run):
    s0 = moons_run[3][0]
    plain, net = s0.plain_model, s0.residual_model.net
    scale = 1 / math.sqrt(len(net.blocks))
    for b, (w1, _, w2, _) in enumerate(net.blocks):
        assert np.array_equal(w1, plain.weights[2 * b])
        assert np.allclose(w2, plain.weights[2 * b + 1] * scale)
    assert np.array_equal(net.out[0], plain.weights[-1])


def test_snapshots_are_read_only(moons_run):
    s = moons_run[3][-1]
    for a in (s.plain_norms, s.residual_norms, s.plain_init_norms, s.plain_losses,
              s.residual_losses, s.plain_model.weights[0], s.residual_model.net.blocks[0][0]):
        with pytest.raises(ValueError):
            a[0] = 1.0


def test_deterministic_for_a_seed(moons_run):
    X, y, params, steps = moons_run
    again = list(resnet.run(X, y, params, np.random.default_rng(5)))
    assert [s.caption for s in again] == [s.caption for s in steps]
    assert np.array_equal(again[-1].residual_norms, steps[-1].residual_norms)
    other = next(resnet.run(X, y, params, np.random.default_rng(6)))
    assert not np.array_equal(other.plain_norms, steps[0].plain_norms)


def test_captions_are_clean_and_carry_the_numbers(moons_run):
    _, _, _, steps = moons_run
    for s in steps:
        text = s.caption + " ".join(map(str, s.metrics.values()))
        assert "nan" not in text.lower() and "-0" not in s.caption
        assert not re.search(r"\b1 (points|layers|blocks)\b", s.caption)
    s = steps[-1]
    assert "Update 30 of both networks" in s.caption
    assert f"training loss {resnet.num(s.plain_losses[-1])}" in s.caption
    assert f"{resnet.num(100 * s.residual_accuracy, 3)} %" in s.caption
    assert "120 points" in steps[0].caption and "10 residual blocks" in steps[0].caption
    assert "20 hidden layers of 16 tanh units" in steps[0].caption
    for name, norms, acc in (("plain", s.plain_norms, s.plain_accuracy),
                             ("residual", s.residual_norms, s.residual_accuracy)):
        assert (f"{name}: training loss {resnet.num(getattr(s, name + '_losses')[-1])}, "
                f"accuracy {resnet.num(100 * acc, 3)} %, ‖∂L/∂W₁‖ "
                f"{resnet.num(norms[0], 3)}") in s.caption
    at_init = steps[0].residual_init_norms[0] / steps[0].plain_init_norms[0]
    now = s.residual_norms[0] / s.plain_norms[0]
    assert (f"‖∂L/∂W₁‖ of the residual stack is {resnet.num(now, 3)} times the plain one's "
            f"(at initialisation {resnet.num(at_init, 3)} times)") in s.caption
    assert at_init > 100


def test_divergence_stops_a_network_with_finite_numbers():
    X, y = datasets.make("moons", 60, 2, 0.1, 0)
    params = resnet.Params(depth=4, activation="ReLU", init_scale=2.0, lr=10.0, updates=100)
    steps = list(resnet.run(X, y, params, np.random.default_rng(0)))
    last = steps[-1]
    assert last.diverged == ("residual",) and last.phase == "done" and len(steps) == 101
    assert steps[0].diverged == ()
    assert np.isfinite(last.plain_losses).all() and np.isfinite(last.residual_losses).all()
    stopped = next(s for s in steps if s.diverged)
    # the stopped network keeps its last finite weights and loss from then on
    later = steps[-1]
    name = stopped.diverged[0]
    assert getattr(later, name + "_losses")[-1] == getattr(stopped, name + "_losses")[-1]
    assert "diverged, stopped" in last.caption and "nan" not in last.caption.lower()


@pytest.mark.parametrize("X, y, message", [
    (np.array([[0.0, np.nan], [1, 1], [2, 2], [3, 3]]), np.array([0, 1, 0, 1]), "NaN"),
    (np.zeros((6, 2)), np.zeros(6), "2 classes"),
    (np.ones((3, 2)), np.array([0, 1, 0]), "at least 4"),
])
def test_bad_input_is_refused(X, y, message):
    with pytest.raises(ValueError, match=message):
        next(resnet.run(X, y, resnet.Params(), np.random.default_rng(0)))


def test_bad_params_are_refused():
    X, y = datasets.make("moons", 40, 2, 0.1, 0)
    with pytest.raises(ValueError, match="even"):
        next(resnet.run(X, y, resnet.Params(depth=7), np.random.default_rng(0)))
    with pytest.raises(ValueError, match="depth"):
        next(resnet.run(X, y, resnet.Params(depth=80), np.random.default_rng(0)))
    with pytest.raises(ValueError, match="width"):
        resnet.initial_weights(resnet.Params(width=1, shortcut="zero-padded"), 2, 2,
                               np.random.default_rng(0))


def test_four_points_are_enough():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    steps = list(resnet.run(X, np.array([0, 1, 1, 0]), resnet.Params(depth=4, updates=2),
                            np.random.default_rng(0)))
    assert len(steps) == 3


def test_initial_scales():
    def draw(**kw):
        p = resnet.Params(**{"depth": 6, "width": 8, **kw})
        return resnet.initial_weights(p, 2, 2, np.random.default_rng(7))

    (theta1, net1), (theta2, net2) = draw(init_scale=1.0), draw(init_scale=0.5)
    layout = Layout(resnet.plain_spec(resnet.Params(depth=6, width=8), 2, 2).sizes)
    ws1, _ = layout.unflatten(theta1)
    ws2, _ = layout.unflatten(theta2)
    for w1, w2 in zip(ws1[:-1], ws2[:-1], strict=True):
        assert np.allclose(w2, 0.5 * w1)               # every hidden layer scaled …
    assert np.array_equal(ws1[-1], ws2[-1])            # … the output layer left alone
    assert np.array_equal(net1.out[0], net2.out[0])
    bound = math.sqrt(6 / (2 + 8))                     # Glorot uniform for the projection
    p = net1.projection
    assert np.abs(p).max() <= bound and np.abs(p).max() > 0.6 * bound
    assert (p > 0).any() and (p < 0).any()
    # zero padding is fine while the width is at least the number of inputs
    padded = draw(width=2, shortcut="zero-padded")[1]
    assert padded.projection is None and padded.width == 2


def test_nesterov_takes_its_gradient_at_the_look_ahead_point():
    X, y = datasets.make("moons", 40, 2, 0.1, 0)
    params = resnet.Params(depth=4, width=4, rule="Nesterov", lr=0.1, updates=3)
    steps = list(resnet.run(X, y, params, np.random.default_rng(0)))
    data = resnet.prepare(X, y, 0.0, True, np.random.default_rng(0))
    spec = steps[0].plain_model.spec
    layout = Layout(spec.sizes)
    theta = layout.flatten(steps[0].plain_model.weights, steps[0].plain_model.biases)
    opt = resnet.OPTIMIZERS["Nesterov"](lr=0.1)
    state = opt.init(theta)
    for _ in range(3):
        state, _ = opt.step(state, lambda t: resnet.plain_gradient(spec, t, data.x,
                                                                   data.targets)[2])
    last = steps[-1].plain_model
    assert np.allclose(layout.flatten(last.weights, last.biases), state.x)


def test_extreme_offsets_work():
    X, y = datasets.make("moons", 60, 2, 0.1, 0)
    a = list(resnet.run(X, y, resnet.Params(depth=6, updates=3), np.random.default_rng(0)))
    for moved in (X + 1e8, X * 1e150, X * 1e-150):
        b = list(resnet.run(moved, y, resnet.Params(depth=6, updates=3),
                            np.random.default_rng(0)))
        assert np.allclose(a[-1].residual_losses, b[-1].residual_losses, rtol=1e-4)


def test_region_probabilities_in_float32_match(moons_run):
    X, y, _, steps = moons_run
    model = steps[-1].residual_model
    proba, maps = model.regions(X, np.float32)
    assert maps == ()
    net32 = model.net.with_flat(model.net.flat().astype(np.float32))
    assert resnet.residual_logits(net32, X.astype(np.float32)).dtype == np.float32
    assert np.allclose(proba, model.predict_proba(X), atol=1e-4)
    assert np.allclose(model.regions(X)[0], model.predict_proba(X))
