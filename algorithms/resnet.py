"""ResNet's shortcut: a deep plain stack and the same stack with identity shortcuts, side by side.

Both networks read 2-D points and end in a softmax over the classes (cross-entropy loss); in
between sit D hidden dense layers of width w (D even, 4 … 60).

- Plain: a_l = f(a_{l−1}·W_l + b_l) for l = 1 … D, then the output layer. It is
  ``algorithms.network``'s multilayer perceptron with sizes (2, w, …, w, classes).
- Residual: the same D layers taken two at a time as B = D/2 blocks
  y = s(x) + F(x),  F(x) = f(x·W₁ + b₁)·W₂ + b₂,
  with no activation after the sum, so a block whose W₂ and b₂ are zero is exactly the
  identity. s is the identity, except in the first block where the width changes from 2 to
  w: there s(x) = x·P (a learned projection, no bias) or x padded with zeros (the notes'
  option A). By the chain rule ∂y/∂x = ∂s/∂x + ∂F/∂x = I + ∂F/∂x: whatever F does, the
  gradient reaching a block's output reaches its input unchanged through the I.

Both start from the same draws: layer l of the plain stack and layer l of the residual stack
(W₁ of block ⌈l/2⌉ for odd l, W₂ for even l) share their weights, except that each W₂ of the
residual net is scaled by 1/√B, so that adding B branches keeps the activations' spread
bounded (about e times the input's) rather than growing like 2^B. Weights are Glorot uniform
for tanh and He normal for ReLU (``algorithms.network.layers.init_weights``) times
``init_scale`` on every hidden layer (0.7 by default; 1 is the textbook scale, which at width
16 and 30 layers still lets a plain tanh stack pass a fair gradient at the start — a little
below it each layer shrinks the gradient and D layers compound it); biases 0.

Two gradient sizes per layer l = 1 … D. The weight gradient norm is the Frobenius norm
‖∂L/∂W_l‖ over the whole (standardised) training set, what an update uses. The signal is the
gradient reaching the layer's output, √(mean over examples of ‖∂ℓ/∂a_l‖²). In the plain stack
the signal is a product of D − l Jacobians Wᵀ·diag(f'), each (at these scales) shrinking it,
so it fades towards the input; in the residual stack each block's factor is I + ∂F/∂x and it
stays about level. (In the plain stack the weight gradient a_{l−1}ᵀ·δ_l is small all along:
the activations fade going forward as the signal fades going back.)

``run`` takes one full-batch update of both networks per step with the same rule and
learning rate (plain gradient descent by default: Adam's per-weight scaling would hide a
vanishing gradient) and yields a ``Step`` with both losses so far, both gradient-norm
profiles now and at initialisation, and both fitted models for drawing regions.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from algorithms import activations
from algorithms.base import Snapshot, frozen, num, param, plural, validate
from algorithms.network.layers import (
    INITS,
    Layout,
    Model,
    Spec,
    forward,
    full_pass,
    init_weights,
    output_gradient,
    rows_times,
)
from algorithms.network.trainer import prepare
from algorithms.optimizers import OPTIMIZERS, Trail

ACTIVATIONS = ("tanh", "ReLU")
SHORTCUTS = ("projection", "zero-padded")
INIT_FOR = {"tanh": INITS[0], "ReLU": INITS[1]}   # Glorot uniform / He normal
FORWARD = {"tanh": np.tanh, "ReLU": lambda z: np.maximum(z, 0)}   # dtype-keeping f


@dataclass(frozen=True)
class Params:
    depth: int = param(30, limits=(4, 60), step=2, label="hidden layers D",
                       tip="dense layers between input and output (even: the residual net "
                           "groups them in blocks of two)")
    width: int = param(16, limits=(2, 64), step=1, label="width w",
                       tip="units in every hidden layer")
    activation: str = param("tanh", values=ACTIVATIONS)
    shortcut: str = param("projection", values=SHORTCUTS, label="first shortcut",
                          tip="how the first block's shortcut goes from 2 inputs to w units: "
                              "a learned matrix P, or the 2 inputs padded with zeros")
    init_scale: float = param(0.7, limits=(0.1, 2.0), step=0.05, label="initial weight scale",
                              tip="multiplies every hidden layer's starting weights: 1 is the "
                                  "textbook scale (Glorot for tanh, He for ReLU)")
    rule: str = param("GD", values=tuple(OPTIMIZERS), label="update rule")
    lr: float = param(0.1, limits=(1e-5, 10.0), step=0.01, label="learning rate η")
    updates: int = param(300, limits=(1, 100_000), label="updates")


# --- the residual network ------------------------------------------------------------------

@dataclass(frozen=True)
class Residual:
    """The residual network's weights (read-only when taken from a snapshot).

    ``blocks[b] = (W₁, b₁, W₂, b₂)``; ``projection`` is P (d₀, w) or None for an identity or
    zero-padded first shortcut; ``out = (W_o, b_o)``.
    """

    activation: str
    blocks: tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], ...]
    projection: np.ndarray | None
    out: tuple[np.ndarray, np.ndarray]

    @property
    def width(self) -> int:
        return self.blocks[0][2].shape[1]

    def arrays(self) -> list[np.ndarray]:
        """Every array in the flat-vector order: W₁, b₁, W₂, b₂ per block, then P, W_o, b_o."""
        out = [a for block in self.blocks for a in block]
        if self.projection is not None:
            out.append(self.projection)
        return [*out, *self.out]

    def shapes(self) -> list[tuple[int, ...]]:
        return [a.shape for a in self.arrays()]

    def flat(self) -> np.ndarray:
        return np.concatenate([np.ravel(a) for a in self.arrays()])

    def with_flat(self, theta: np.ndarray) -> Residual:
        """The same architecture holding the weights in ``theta`` (views of it)."""
        parts, at = [], 0
        for shape in self.shapes():
            size = math.prod(shape)
            parts.append(theta[at:at + size].reshape(shape))
            at += size
        blocks = tuple(tuple(parts[4 * b:4 * b + 4]) for b in range(len(self.blocks)))
        rest = parts[4 * len(self.blocks):]
        projection = rest.pop(0) if self.projection is not None else None
        return Residual(self.activation, blocks, projection, (rest[0], rest[1]))


def shortcut(x: np.ndarray, width: int, projection: np.ndarray | None) -> np.ndarray:
    """s(x): x·P with a projection, x itself at equal widths, else x padded with zeros."""
    if projection is not None:
        return rows_times(x, projection)
    if x.shape[1] == width:
        return x
    if x.shape[1] > width:
        raise ValueError(f"a zero-padded shortcut cannot narrow {x.shape[1]} inputs to "
                         f"{width} units; use a projection")
    return np.pad(x, ((0, 0), (0, width - x.shape[1])))


def block(x, w1, b1, w2, b2, activation: str, projection=None) -> np.ndarray:
    """One residual block y = s(x) + f(x·W₁ + b₁)·W₂ + b₂ (in the dtype of x)."""
    f = FORWARD[activation]
    return shortcut(x, w2.shape[1], projection) + rows_times(f(rows_times(x, w1) + b1), w2) + b2


def residual_logits(net: Residual, x) -> np.ndarray:
    """The output layer's z for inputs x (n, d₀)."""
    h = np.asarray(x)
    for b, (w1, b1, w2, b2) in enumerate(net.blocks):
        h = block(h, w1, b1, w2, b2, net.activation, net.projection if b == 0 else None)
    return rows_times(h, net.out[0]) + net.out[1]


def residual_gradient(net: Residual, x, targets):
    """(mean cross-entropy over the batch, ∂L/∂(each array of ``net.arrays()``), the signal).

    The signal is ``rms_rows`` of ∂ℓ/∂a_l per example for the D hidden layers: a block's
    first layer outputs f(x·W₁ + b₁), its second the block's output y.
    """
    f = activations.get(net.activation)
    x = np.asarray(x, float)
    n, width = len(x), net.width
    cache, h = [], x
    for b, (w1, b1, w2, b2) in enumerate(net.blocks):
        z1 = rows_times(h, w1) + b1
        u = f(z1)
        cache.append((h, z1, u))
        h = shortcut(h, width, net.projection if b == 0 else None) + rows_times(u, w2) + b2
    w_o, b_o = net.out
    z_o = rows_times(h, w_o) + b_o
    loss, _, dz_o = output_gradient(Spec((x.shape[1], w_o.shape[1]), "linear"), z_o, None,
                                    targets)
    grads_out = [h.T @ dz_o / n, dz_o.mean(0)]
    g = rows_times(dz_o, w_o.T)                          # ∂ℓ/∂y of the last block
    per_block, d_projection, signal = [], None, []
    for b in range(len(net.blocks) - 1, -1, -1):
        w1, _, w2, _ = net.blocks[b]
        h_in, z1, u = cache[b]
        du = rows_times(g, w2.T)
        signal += [rms_rows(g), rms_rows(du)]
        dz1 = du * f.derivative(z1)
        per_block.append([h_in.T @ dz1 / n, dz1.mean(0), u.T @ g / n, g.mean(0)])
        if b > 0:                                        # the block below gets ∂ℓ/∂x:
            g = g + rows_times(dz1, w1.T)                # ∂y/∂x = I + ∂F/∂x
        elif net.projection is not None:                 # (the inputs' own ∂ℓ/∂x is unused)
            d_projection = h_in.T @ g / n
    grads = [a for block_grads in reversed(per_block) for a in block_grads]
    if d_projection is not None:
        grads.append(d_projection)
    return float(loss.mean()), [*grads, *grads_out], np.array(signal[::-1])


@dataclass(frozen=True)
class ResidualModel:
    """The residual network for drawing: inputs standardised as in training."""

    net: Residual
    shift: np.ndarray = field(repr=False)
    scale: np.ndarray = field(repr=False)
    classes: np.ndarray = field(repr=False)

    def predict_proba(self, X) -> np.ndarray:
        x = (np.asarray(X, float) - self.shift) / self.scale
        with np.errstate(all="ignore"):
            return activations.softmax(residual_logits(self.net, x))

    def predict(self, X) -> np.ndarray:
        return self.classes[self.predict_proba(X).argmax(1)]

    def regions(self, X, dtype=np.float64) -> tuple[np.ndarray, tuple]:
        """predict_proba (and no per-unit maps), as ``layers.Model.regions`` gives them:
        ``dtype=np.float32`` is for pictures, several times faster and about 1e-6 off."""
        x = ((np.asarray(X, float) - self.shift) / self.scale).astype(dtype)
        net = self.net.with_flat(self.net.flat().astype(dtype))
        with np.errstate(all="ignore"):
            return activations.softmax(residual_logits(net, x)), ()


# --- both networks from the same draws -------------------------------------------------------

def plain_spec(params: Params, inputs: int, classes: int) -> Spec:
    return Spec((inputs, *[params.width] * params.depth, classes), hidden=params.activation)


def initial_weights(params: Params, inputs: int, classes: int, rng: np.random.Generator):
    """(plain flat vector, Residual): the same draws, W₂ scaled by 1/√B in the residual net."""
    spec = plain_spec(params, inputs, classes)
    layout = Layout(spec.sizes)
    theta = init_weights(spec, INIT_FOR[params.activation], rng)
    hidden = layout.weights_only()
    hidden[layout.w_slices[-1]] = 0.0                  # the output layer keeps its scale
    theta = theta * np.where(hidden > 0, params.init_scale, 1.0)
    ws, bs = layout.unflatten(theta)
    blocks_n = params.depth // 2
    branch = 1.0 / math.sqrt(blocks_n)
    blocks = tuple((ws[2 * b].copy(), bs[2 * b].copy(), ws[2 * b + 1] * branch,
                    bs[2 * b + 1] * branch) for b in range(blocks_n))
    projection = None
    if params.shortcut == "projection":
        bound = math.sqrt(6.0 / (inputs + params.width))
        projection = rng.uniform(-bound, bound, (inputs, params.width))
    elif params.width < inputs:
        raise ValueError(f"a zero-padded shortcut needs width ≥ {inputs}; use a projection")
    net = Residual(params.activation, blocks, projection, (ws[-1].copy(), bs[-1].copy()))
    return theta, net


def rms_rows(g: np.ndarray) -> float:
    """√(mean over examples of ‖row‖²): the typical size of one example's gradient."""
    return float(np.sqrt((g * g).sum() / len(g)))


def plain_gradient(spec: Spec, theta: np.ndarray, x, targets):
    """(mean cross-entropy, ∂L/∂W_l per layer, the flat gradient, the signal) of the plain
    stack; the signal is ``rms_rows`` of ∂ℓ/∂a_l per example for the hidden layers."""
    layout = Layout(spec.sizes)
    ws, bs = layout.unflatten(theta)
    p = full_pass(spec, ws, bs, x, targets)
    signal = np.array([rms_rows(g) for g in p.da[:-1]])
    return float(p.loss.mean()), p.dw, layout.flatten(p.dw, p.db), signal


def plain_norms(dw) -> np.ndarray:
    """‖∂L/∂W_l‖ of the D hidden layers (the output layer left out)."""
    return np.array([np.linalg.norm(g) for g in dw[:-1]])


def residual_norms(grads: list[np.ndarray], blocks: int) -> np.ndarray:
    """‖∂L/∂W‖ of W₁ and W₂ of every block, in layer order 1 … D."""
    return np.array([np.linalg.norm(grads[4 * b + k]) for b in range(blocks) for k in (0, 2)])


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    return float((logits.argmax(1) == labels).mean())


# --- the stepwise run ------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    """One update of both networks. Layer arrays run from the input (index 0) to layer D.

    The norms and losses are those of the weights the models hold: the gradient shown is the
    one the next update will take.
    """

    update: int                       # updates of each network so far
    depth: int                        # D hidden layers
    width: int
    blocks: int                       # B = D/2
    plain_norms: np.ndarray           # (D,) ‖∂L/∂W_l‖ now
    residual_norms: np.ndarray        # (D,)
    plain_init_norms: np.ndarray      # (D,) at initialisation (shared by every step)
    residual_init_norms: np.ndarray   # (D,)
    plain_signal: np.ndarray          # (D,) the gradient reaching layer l's output: the RMS
    residual_signal: np.ndarray       #   over examples of ‖∂ℓ/∂a_l‖ (what the panel plots)
    plain_init_signal: np.ndarray     # (D,) at initialisation (shared by every step)
    residual_init_signal: np.ndarray
    plain_losses: np.ndarray          # (update + 1,) training loss after each update
    residual_losses: np.ndarray
    plain_accuracy: float
    residual_accuracy: float
    plain_model: Model
    residual_model: ResidualModel
    diverged: tuple[str, ...] = ()    # names of networks stopped because the loss overflowed


class _Lane:
    """One network being trained: its optimizer state and gradient at the current weights."""

    def __init__(self, name, theta, gradient, rule: str, lr: float):
        self.name, self.gradient = name, gradient
        self.opt = OPTIMIZERS[rule](lr=lr)
        self.state = self.opt.init(theta)
        self.loss, self.dw, self.flat_grad, self.signal = gradient(self.state.x)
        self.losses = Trail(self.loss, 256)
        self.diverged = False

    def grad_at(self, theta):
        return self.flat_grad if theta is self.state.x else self.gradient(theta)[2]

    def update(self) -> None:
        if self.diverged:
            self.losses.append(self.loss)
            return
        with np.errstate(all="ignore"):
            state, _ = self.opt.step(self.state, self.grad_at)
            loss, dw, flat, signal = self.gradient(state.x)
        if not (math.isfinite(loss) and np.isfinite(flat).all() and np.isfinite(state.x).all()):
            self.diverged = True           # keep the last finite weights
        else:
            self.state, self.loss, self.dw, self.flat_grad = state, loss, dw, flat
            self.signal = signal
        self.losses.append(self.loss)


def run(X, y, params: Params, rng: np.random.Generator) -> Iterator[Step]:
    """Yield the start (both networks at initialisation), then one step per update of both."""
    validate(params)
    if params.depth % 2:
        raise ValueError(f"the depth must be even (blocks of two layers), got {params.depth}")
    data = prepare(X, y, 0.0, True, np.random.default_rng(0))
    if len(data.x) < 4:
        raise ValueError(f"the networks need at least 4 points, got {len(data.x)}")
    x, targets = data.x, data.targets
    classes = len(data.classes)
    spec = plain_spec(params, x.shape[1], classes)
    theta, net0 = initial_weights(params, x.shape[1], classes, rng)
    blocks = params.depth // 2

    def plain(theta):
        return plain_gradient(spec, theta, x, targets)

    def residual(theta):
        loss, grads, signal = residual_gradient(net0.with_flat(theta), x, targets)
        return loss, grads, np.concatenate([np.ravel(g) for g in grads]), signal

    lanes = (_Lane("plain", theta, plain, params.rule, params.lr),
             _Lane("residual", net0.flat(), residual, params.rule, params.lr))
    init_norms = (frozen(plain_norms(lanes[0].dw)), frozen(residual_norms(lanes[1].dw, blocks)),
                  frozen(lanes[0].signal), frozen(lanes[1].signal))
    intro = (f"Two networks with {plural(params.depth, 'hidden layer')} of {params.width} "
             f"{params.activation} units on {plural(len(x), 'point')}: a plain stack, and the "
             f"same layers as {plural(blocks, 'residual block')} y = x + F(x) "
             f"(first shortcut: {params.shortcut}).")
    yield _snapshot(0, "start", lanes, init_norms, params, data, net0, intro)
    for k in range(1, params.updates + 1):
        for lane in lanes:
            lane.update()
        done = k == params.updates or all(lane.diverged for lane in lanes)
        yield _snapshot(k, "done" if done else "update", lanes, init_norms, params, data, net0,
                        f"Update {k} of both networks ({params.rule}, η = {num(params.lr)}).")
        if done:
            return


def _snapshot(k, phase, lanes, init_norms, params, data, net0, head) -> Step:
    plain, residual = lanes
    spec = plain_spec(params, data.x.shape[1], len(data.classes))
    ws, bs = Layout(spec.sizes).unflatten(plain.state.x)
    plain_model = Model(spec, ws, bs, data.shift, data.scale, data.classes)
    residual_model = ResidualModel(residual_net := net0.with_flat(residual.state.x),
                                   data.shift, data.scale, data.classes)
    with np.errstate(all="ignore"):
        acc = (accuracy(forward(spec, ws, bs, data.x)[0][-1], data.labels),
               accuracy(residual_logits(residual_net, data.x), data.labels))
    norms = (frozen(plain_norms(plain.dw)), frozen(residual_norms(residual.dw, params.depth // 2)))
    first = (float(norms[0][0]), float(norms[1][0]))
    ratio = first[1] / first[0] if first[0] > 0 else math.inf
    lines = [head]
    for lane, a, g in zip(lanes, acc, first, strict=True):
        stop = " — diverged, stopped at the last finite weights" if lane.diverged else ""
        lines.append(f"{lane.name}: training loss {num(lane.loss)}, accuracy "
                     f"{num(100 * a, 3)} %, ‖∂L/∂W₁‖ {num(g, 3)}{stop}")
    times = "∞" if math.isinf(ratio) else num(ratio, 3)
    lines.append(f"‖∂L/∂W₁‖ of the residual stack is {times} times the plain one's "
                 f"(at initialisation {num(_ratio(init_norms), 3)} times).")
    metrics = {"plain loss": plain.loss, "residual loss": residual.loss,
               "plain accuracy": acc[0], "residual accuracy": acc[1],
               "plain ‖∂L/∂W₁‖": first[0], "residual ‖∂L/∂W₁‖": first[1]}
    return Step(index=k, phase=phase, caption="\n".join(lines), metrics=metrics, update=k,
                depth=params.depth, width=params.width, blocks=params.depth // 2,
                plain_norms=norms[0], residual_norms=norms[1],
                plain_init_norms=init_norms[0], residual_init_norms=init_norms[1],
                plain_signal=frozen(plain.signal), residual_signal=frozen(residual.signal),
                plain_init_signal=init_norms[2], residual_init_signal=init_norms[3],
                plain_losses=plain.losses.view(), residual_losses=residual.losses.view(),
                plain_accuracy=acc[0], residual_accuracy=acc[1], plain_model=plain_model,
                residual_model=residual_model,
                diverged=tuple(lane.name for lane in lanes if lane.diverged))


def _ratio(init_norms) -> float:
    plain, residual = init_norms[:2]
    return float(residual[0] / plain[0]) if plain[0] > 0 else math.inf
