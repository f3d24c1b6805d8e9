"""Backpropagation against central differences, the notes' closed form and scikit-learn."""

import warnings

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

from algorithms.activations import NAMES, softmax
from algorithms.losses import categorical_cross_entropy_logits as ce
from algorithms.network.layers import (
    Layout,
    Masks,
    Model,
    Spec,
    full_pass,
    init_weights,
    layer_forward,
    sample_masks,
    total_loss,
)
from algorithms.network.trainer import Trainer, prepare


def random_net(spec: Spec, seed: int):
    rng = np.random.default_rng(seed)
    layout = Layout(spec.sizes)
    theta = init_weights(spec, "He normal", rng) + 0.1 * rng.normal(size=layout.size)
    x = rng.normal(size=(5, spec.sizes[0]))
    k = spec.sizes[-1]
    if spec.loss == "cross-entropy":
        t = np.eye(k)[rng.integers(0, k, 5)]
    else:
        t = rng.uniform(0.1, 0.9, (5, k))
    return layout, theta, x, t


def numeric_gradient(layout, theta, fn, h=1e-6):
    out = np.empty_like(theta)
    for i in range(len(theta)):
        e = np.zeros_like(theta)
        e[i] = h
        out[i] = (fn(theta + e) - fn(theta - e)) / (2 * h)
    return out


def assert_gradients_close(analytic, numeric):
    """1e-6 relative to the gradient's size, entry by entry for the larger entries."""
    scale = np.abs(numeric).max()
    assert np.abs(analytic - numeric).max() <= 1e-6 * scale
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


CASES = [(name, "cross-entropy", "linear") for name in NAMES] + [
    ("tanh", "mse", out) for out in ("linear", "sigmoid", "tanh", "softplus")]


@pytest.mark.parametrize(("hidden", "loss", "output"), CASES)
def test_every_gradient_equals_central_differences(hidden, loss, output):
    spec = Spec((3, 4, 3, 2), hidden, loss, output, slope=0.1, alpha=1.3)
    layout, theta, x, t = random_net(spec, seed=len(hidden) + 7 * len(output))
    ws, bs = layout.unflatten(theta)
    zs = full_pass(spec, ws, bs, x, t).z
    assert min(np.abs(z).min() for z in zs) > 1e-4   # no kink within the difference step
    l2 = 0.03
    p = full_pass(spec, ws, bs, x, t, l2=l2)
    analytic = layout.flatten(p.dw, p.db)
    numeric = numeric_gradient(layout, theta,
                               lambda th: total_loss(spec, *layout.unflatten(th), x, t, l2))
    assert_gradients_close(analytic, numeric)


@pytest.mark.parametrize("sizes", [(2, 1, 2), (4, 2), (2, 6, 5, 4, 3)])
def test_gradients_for_other_shapes_and_with_fixed_masks(sizes):
    spec = Spec(sizes, "sigmoid")
    layout, theta, x, t = random_net(spec, seed=sum(sizes))
    masks = sample_masks(spec, len(x), 0.3, 0.4, np.random.default_rng(1))
    keep = tuple(np.random.default_rng(2).random((a, b)) > 0.3
                 for a, b in zip(sizes, sizes[1:], strict=False))
    theta = theta * layout.weights_only(keep) + theta * (1 - layout.weights_only())

    def loss(th):
        w, b = layout.unflatten(th)
        return full_pass(spec, w, b, x, t, masks).loss.mean()

    p = full_pass(spec, *layout.unflatten(theta), x, t, masks, keep)
    analytic, numeric = layout.flatten(p.dw, p.db), numeric_gradient(layout, theta, loss)
    free = layout.weights_only(keep) + (1 - layout.weights_only()) > 0
    assert_gradients_close(analytic[free], numeric[free])
    assert (analytic[~free] == 0).all()                 # a pruned weight gets no gradient


def test_intermediates_chain_together():
    spec = Spec((3, 4, 3, 2), "ELU")
    layout, theta, x, t = random_net(spec, seed=3)
    ws, bs = layout.unflatten(theta)
    p = full_pass(spec, ws, bs, x, t)
    np.testing.assert_allclose(p.dz[-1], softmax(p.z[-1]) - t, atol=1e-15)   # p − y
    for layer in range(1, 4):
        a_prev = x if layer == 1 else p.a[layer - 2]
        np.testing.assert_allclose(p.z[layer - 1], a_prev @ ws[layer - 1] + bs[layer - 1])
        np.testing.assert_allclose(p.dw[layer - 1], a_prev.T @ p.dz[layer - 1] / 5, atol=1e-15)
        np.testing.assert_allclose(p.db[layer - 1], p.dz[layer - 1].mean(0))
        if layer > 1:   # ∂ℓ/∂a of the layer below = δ·Wᵀ, the notes' dX = Wᵀ·dD
            np.testing.assert_allclose(p.da[layer - 2], p.dz[layer - 1] @ ws[layer - 1].T)
    # ∂ℓ/∂a of a hidden layer, by nudging that layer's output directly
    h = 1e-6
    for j in range(3):
        up, down = list(p.a), list(p.a)
        up[1] = p.a[1] + h * np.eye(3)[j]
        down[1] = p.a[1] - h * np.eye(3)[j]
        zu, zd = up[1] @ ws[2] + bs[2], down[1] @ ws[2] + bs[2]
        np.testing.assert_allclose(p.da[1][:, j], (ce(zu, t) - ce(zd, t)) / (2 * h), rtol=1e-6)


def test_one_neuron_gradient_is_the_notes_closed_form():
    # Cost = ½(ŷ − y)², ŷ = R(Z), Z = X·W + b, R = sigmoid; the notes: C'(W) = (ŷ − y)·R'(Z)·X.
    # X = (1, 2), W = (0.5, −0.25), b = 0.1, y = 1:
    #   Z = 0.5 − 0.5 + 0.1 = 0.1;  ŷ = σ(0.1) = 0.5249791875;  R'(Z) = ŷ(1 − ŷ) = 0.2493760402
    #   (ŷ − y)·R'(Z) = −0.4750208125 · 0.2493760402 = −0.1184588092
    #   ∂C/∂W = −0.1184588092 · (1, 2) = (−0.1184588092, −0.2369176185);  ∂C/∂b = −0.1184588092
    spec = Spec((2, 1), loss="mse", output="sigmoid")
    p = full_pass(spec, [np.array([[0.5], [-0.25]])], [np.array([0.1])],
                  np.array([[1.0, 2.0]]), np.array([[1.0]]))
    np.testing.assert_allclose(p.dw[0].ravel(), [-0.1184588092, -0.2369176185], rtol=1e-9)
    np.testing.assert_allclose(p.db[0], [-0.1184588092], rtol=1e-9)
    assert p.loss[0] == pytest.approx(0.5 * 0.4750208125**2)


# --- scikit-learn on copied weights -----------------------------------------------------

SK = {"ReLU": "relu", "tanh": "tanh", "sigmoid": "logistic", "linear": "identity"}


def sklearn_twin(X, y, hidden, activation, alpha, lr):
    clf = MLPClassifier(hidden_layer_sizes=hidden, activation=SK[activation], solver="sgd",
                        learning_rate_init=lr, momentum=0.0, nesterovs_momentum=False,
                        alpha=alpha, batch_size=len(X), shuffle=False, max_iter=1,
                        random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.partial_fit(X, y, classes=np.unique(y))   # builds the layers
    return clf


@pytest.mark.parametrize("activation", list(SK))
def test_forward_and_one_sgd_step_equal_scikit_learn(activation):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(40, 3))
    y = rng.integers(0, 3, 40)
    hidden, alpha, lr = (5, 4), 0.3, 0.2
    clf = sklearn_twin(X, y, hidden, activation, alpha, lr)
    spec = Spec((3, *hidden, 3), activation)
    layout = Layout(spec.sizes)
    theta = init_weights(spec, "Glorot uniform", rng) + 0.2 * rng.normal(size=layout.size)
    ws, bs = layout.unflatten(theta)
    for i in range(3):   # copy in place: scikit-learn's optimizer holds these very arrays
        clf.coefs_[i][...] = ws[i]
        clf.intercepts_[i][...] = bs[i]
    data = prepare(X, y, 0.0, False, np.random.default_rng(0))
    model = Model(spec, ws, bs, data.shift, data.scale, data.classes)
    np.testing.assert_allclose(model.predict_proba(X), clf.predict_proba(X), rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), clf.predict(X))

    # one full-batch step; scikit-learn's penalty α/n per example is our λ = α/n
    trainer = Trainer(spec, data, rule="GD", lr=lr, batch_size=len(X), l2=alpha / len(X),
                      dropout=0.0, dropconnect=0.0, theta0=theta,
                      shuffle_rng=np.random.default_rng(0), mask_rng=np.random.default_rng(0))
    trainer.train_epoch()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.partial_fit(X, y)
    new_ws, new_bs = trainer.params()
    for i in range(3):
        np.testing.assert_allclose(new_ws[i], clf.coefs_[i], rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(new_bs[i], clf.intercepts_[i], rtol=1e-10, atol=1e-13)
    assert trainer.updates == 1


def test_two_softmax_outputs_equal_scikit_learns_single_logistic_output():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(30, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    clf = sklearn_twin(X, y, (6,), "tanh", 0.0, 0.1)
    w1, b1 = rng.normal(size=(2, 6)), rng.normal(size=6)
    w2, b2 = rng.normal(size=(6, 1)), rng.normal(size=1)
    clf.coefs_[0][...], clf.intercepts_[0][...] = w1, b1
    clf.coefs_[1][...], clf.intercepts_[1][...] = w2, b2
    # softmax(0, z) = (1 − σ(z), σ(z)): a zero column for class 0 reproduces one logistic unit
    ws = [w1, np.column_stack([np.zeros(6), w2[:, 0]])]
    bs = [b1, np.array([0.0, b2[0]])]
    model = Model(Spec((2, 6, 2), "tanh"), ws, bs, np.zeros(2), np.ones(2), np.array([0, 1]))
    np.testing.assert_allclose(model.predict_proba(X), clf.predict_proba(X), rtol=1e-12)


# --- masks ----------------------------------------------------------------------------------

def test_inverted_dropout_keeps_every_units_expected_output():
    spec = Spec((3, 40, 2), "sigmoid")
    rng = np.random.default_rng(11)
    w, b = rng.normal(size=(3, 40)), rng.normal(size=40)
    n, p = 20_000, 0.5
    x = np.tile(rng.normal(size=(1, 3)), (n, 1))   # the same example, many times
    masks = sample_masks(spec, n, p, 0.0, np.random.default_rng(12))
    _, a = layer_forward(spec, 1, w, b, x, masks)
    _, plain = layer_forward(spec, 1, w, b, x[:1], Masks.none(2))
    # each output is f(z)·m/(1 − p): mean f(z), standard deviation f(z)·√(p/(1 − p))
    se = plain[0] * np.sqrt(p / (1 - p)) / np.sqrt(n)
    assert (np.abs(a.mean(0) - plain[0]) < 4.5 * se).all()
    kept = masks.units[0].mean()
    assert abs(kept - (1 - p)) < 4.5 * np.sqrt(p * (1 - p) / masks.units[0].size)
    assert set(np.unique(a / plain[0]).round(12)) == {0.0, 2.0}   # dropped, or doubled
    assert masks.units[1] is None                               # never on the outputs


def test_dropconnect_masks_only_weights_and_keeps_the_expected_input():
    spec = Spec((3, 5, 4, 2), "tanh")
    masks = sample_masks(spec, 7, 0.0, 0.5, np.random.default_rng(0))
    assert all(m is None for m in masks.units)
    assert masks.weights[0] is None                      # the inputs' weights are never cut
    assert masks.weights[1].shape == (7, 5, 4) and masks.weights[2].shape == (7, 4, 2)
    rng = np.random.default_rng(1)
    w, b, a_prev = rng.normal(size=(5, 4)), rng.normal(size=4), rng.normal(size=(7, 5))
    none = Masks(masks.units, (None, np.zeros((7, 5, 4), bool), None), 0.0, 0.5)
    z, _ = layer_forward(spec, 2, w, b, a_prev, none)
    np.testing.assert_array_equal(z, np.tile(b, (7, 1)))   # every weight cut: the bias stays
    n = 20_000
    big = sample_masks(spec, n, 0.0, 0.5, np.random.default_rng(2))
    x = np.tile(a_prev[:1], (n, 1))
    z, _ = layer_forward(spec, 2, w, b, x, big)
    exact = a_prev[0] @ w + b
    se = np.sqrt(((a_prev[0][:, None] * w) ** 2).sum(0)) / np.sqrt(n)  # √(p/(1−p)) = 1
    assert (np.abs(z.mean(0) - exact) < 4.5 * se).all()
