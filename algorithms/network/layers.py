"""The multilayer perceptron itself: shapes, forward and backward passes, masks, the model.

Conventions. Examples are rows: a batch of n inputs is an (n, d₀) array. Layer l (1 … L)
holds W_l of shape (d_{l−1}, d_l) and b_l of shape (d_l,), computes z_l = a_{l−1}·W_l + b_l
and a_l = f(z_l). W_l[i, j] is the connection from unit i of layer l − 1 to unit j of
layer l (scikit-learn's ``coefs_`` use the same layout). The output layer is softmax with
cross-entropy, or any activation with the squared error ½·Σ (a_L − y)².

Regularisers, all optional:

- L2: the loss gets (λ/2)·Σ‖W‖² (biases are not penalised), so ∂L/∂W gains λ·W.
- Inverted dropout, rate p, on hidden units: a_l = f(z_l) ⊙ m / (1 − p), m ~ Bernoulli(1 − p)
  drawn per example. Dividing by 1 − p during training keeps each unit's expected output, so
  the test-time network is the same network with no mask and no rescaling.
- DropConnect, rate q, on the weights leaving hidden units (layers 2 … L; biases and the
  inputs' own weights kept, as dropout never drops an input): each example sees
  W ⊙ M / (1 − q), M ~ Bernoulli(1 − q), so a unit can stay partly connected. Dropping
  unit i is the special case that masks the whole row i of the next W.
- Pruning: a fixed keep mask per weight matrix; pruned weights are stored as 0 and their
  gradient is masked to 0, so training never brings them back.

The backward pass keeps every intermediate per example — ∂ℓ/∂a_l, ∂ℓ/∂z_l (δ) — and the
batch gradient ∂L/∂W_l = a_{l−1}ᵀ·δ_l / n + λ·W_l, ∂L/∂b_l = mean of δ_l.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from algorithms import activations
from algorithms.activations import Activation
from algorithms.base import frozen
from algorithms.losses import categorical_cross_entropy_logits

LOSSES = ("cross-entropy", "mse")
INITS = ("Glorot uniform", "He normal")

Arrays = tuple[np.ndarray, ...]
MaybeArrays = tuple["np.ndarray | None", ...]


@dataclass(frozen=True)
class Spec:
    """The architecture: layer sizes, activations and loss; no weights."""

    sizes: tuple[int, ...]            # (inputs, hidden …, outputs)
    hidden: str = "tanh"              # activation of every hidden layer
    loss: str = "cross-entropy"       # or "mse"
    output: str = "linear"            # output activation under "mse" (softmax under CE)
    slope: float = 0.01               # leaky ReLU
    alpha: float = 1.0                # ELU

    def __post_init__(self):
        if len(self.sizes) < 2 or min(self.sizes) < 1:
            raise ValueError(f"a network needs an input and an output layer, got {self.sizes}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        if self.loss == "cross-entropy" and self.sizes[-1] < 2:
            raise ValueError("softmax with cross-entropy needs at least 2 output units")
        activations.get(self.hidden)
        activations.get(self.output)

    @property
    def layers(self) -> int:
        return len(self.sizes) - 1

    def activation(self, layer: int) -> Activation:
        """f of layer ``layer`` (1 … L); the output layer's under cross-entropy is softmax,
        which the loss takes care of, so "linear" is returned for it."""
        if layer < self.layers:
            return activations.get(self.hidden, self.slope, self.alpha)
        name = "linear" if self.loss == "cross-entropy" else self.output
        return activations.get(name, self.slope, self.alpha)

    @property
    def text(self) -> str:
        out = "softmax + cross-entropy" if self.loss == "cross-entropy" else \
            f"{self.output} output + squared error"
        hidden = f"{self.hidden} hidden units, " if self.layers > 1 else ""
        return f"{'-'.join(map(str, self.sizes))} network ({hidden}{out})"


class Layout:
    """Where each W_l and b_l sits in one flat parameter vector (W₁, b₁, W₂, b₂, …)."""

    def __init__(self, sizes):
        self.sizes = tuple(sizes)
        self.w_slices, self.b_slices = [], []
        at = 0
        for d_in, d_out in zip(self.sizes, self.sizes[1:], strict=False):
            self.w_slices.append(slice(at, at + d_in * d_out))
            at += d_in * d_out
            self.b_slices.append(slice(at, at + d_out))
            at += d_out
        self.size = at

    def unflatten(self, theta: np.ndarray) -> tuple[Arrays, Arrays]:
        """Views (read-only if theta is) of every W_l and b_l."""
        ws = tuple(theta[s].reshape(d_in, d_out) for s, d_in, d_out
                   in zip(self.w_slices, self.sizes, self.sizes[1:], strict=False))
        return ws, tuple(theta[s] for s in self.b_slices)

    def flatten(self, ws, bs) -> np.ndarray:
        out = np.empty(self.size)
        for w, b, sw, sb in zip(ws, bs, self.w_slices, self.b_slices, strict=True):
            out[sw] = np.ravel(w)
            out[sb] = b
        return out

    def weights_only(self, values: Arrays | None = None) -> np.ndarray:
        """A flat vector that is 1 on weights and 0 on biases (or ``values`` on weights)."""
        out = np.zeros(self.size)
        for i, s in enumerate(self.w_slices):
            out[s] = 1.0 if values is None else np.ravel(values[i])
        return out


def init_weights(spec: Spec, scheme: str, rng: np.random.Generator) -> np.ndarray:
    """A flat parameter vector: Glorot uniform (bound √(6/(d_in + d_out)); scikit-learn's
    choice) or He normal (σ = √(2/d_in), for ReLU); biases start at 0."""
    if scheme not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}, got {scheme!r}")
    layout = Layout(spec.sizes)
    ws, bs = [], []
    for d_in, d_out in zip(spec.sizes, spec.sizes[1:], strict=False):
        if scheme == INITS[0]:
            bound = math.sqrt(6.0 / (d_in + d_out))
            ws.append(rng.uniform(-bound, bound, (d_in, d_out)))
        else:
            ws.append(rng.standard_normal((d_in, d_out)) * math.sqrt(2.0 / d_in))
        bs.append(np.zeros(d_out))
    return layout.flatten(ws, bs)


@dataclass(frozen=True)
class Masks:
    """The random masks of one training pass (keep = True); None where nothing is dropped.

    ``units[l − 1]`` is layer l's dropout mask, shape (n, d_l) — always None for the output
    layer; ``weights[l − 1]`` its DropConnect mask, shape (n, d_{l−1}, d_l).
    """

    units: MaybeArrays
    weights: MaybeArrays
    unit_rate: float = 0.0
    weight_rate: float = 0.0

    @staticmethod
    def none(layers: int) -> Masks:
        return Masks((None,) * layers, (None,) * layers)


def sample_masks(spec: Spec, n: int, unit_rate: float, weight_rate: float,
                 rng: np.random.Generator) -> Masks:
    """Fresh dropout and DropConnect masks for n examples, drawn layer by layer."""
    units, weights = [], []
    for layer, (d_in, d_out) in enumerate(zip(spec.sizes, spec.sizes[1:], strict=False), 1):
        hidden = layer < spec.layers
        units.append(rng.random((n, d_out)) >= unit_rate if unit_rate > 0 and hidden else None)
        from_hidden = layer > 1  # like dropout, DropConnect never cuts the inputs themselves
        weights.append(rng.random((n, d_in, d_out)) >= weight_rate
                       if weight_rate > 0 and from_hidden else None)
    return Masks(tuple(units), tuple(weights), unit_rate, weight_rate)


# Products of many rows are taken CHUNK rows at a time: below that size OpenBLAS stays on
# one thread, and its threads stall when the other core is busy (a 40,000 × 16 by 16 × 16
# product measured 40–50 ms in one piece and 0.4 ms in chunks on our 2-core machines).
CHUNK = 1024


def rows_times(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """a @ w, computed CHUNK rows at a time (the same numbers, steadier time)."""
    if len(a) <= CHUNK:
        return a @ w
    out = np.empty((len(a), w.shape[1]), dtype=np.result_type(a, w))
    for start in range(0, len(a), CHUNK):
        np.matmul(a[start:start + CHUNK], w, out=out[start:start + CHUNK])
    return out


# activations that can overwrite their input, for the drawing pass where z is not kept
IN_PLACE = {"tanh": lambda z: np.tanh(z, out=z), "ReLU": lambda z: np.maximum(z, 0.0, out=z),
            "linear": lambda z: z}


# --- one layer at a time ------------------------------------------------------------------

def layer_forward(spec: Spec, layer: int, w, b, a_prev, masks: Masks):
    """z and a of layer ``layer`` for a batch a_prev (n, d_{l−1}); a includes dropout."""
    wm = masks.weights[layer - 1]
    if wm is None:
        z = rows_times(a_prev, w) + b
    else:
        z = np.einsum("ni,nij->nj", a_prev, w * wm) / (1 - masks.weight_rate) + b
    a = spec.activation(layer)(z)
    um = masks.units[layer - 1]
    if um is not None:
        a = a * um / (1 - masks.unit_rate)
    return z, a


def output_gradient(spec: Spec, z_out, a_out, targets):
    """ℓ per example, ∂ℓ/∂a_L and δ_L = ∂ℓ/∂z_L at the output layer.

    Cross-entropy: ℓ = log Σ e^z − z_y, ∂ℓ/∂p = −y/p (shown; may be large), δ = p − y.
    Squared error: ℓ = ½·Σ (a − y)², ∂ℓ/∂a = a − y, δ = (a − y) ⊙ f'(z).
    """
    if spec.loss == "cross-entropy":
        p = activations.softmax(z_out)
        loss = categorical_cross_entropy_logits(z_out, targets)
        da = -targets / np.maximum(p, 1e-300)
        return loss, da, p - targets
    da = a_out - targets
    return 0.5 * (da * da).sum(-1), da, da * spec.activation(spec.layers).derivative(z_out)


def layer_backward(spec: Spec, layer: int, w, a_prev, dz, masks: Masks,
                   keep: np.ndarray | None, l2: float):
    """From δ_l (n, d_l): ∂L/∂W_l, ∂L/∂b_l (batch means, + λ·W) and ∂ℓ/∂a_{l−1} (n, d_{l−1})."""
    n = len(dz)
    wm = masks.weights[layer - 1]
    if wm is None:
        dw = a_prev.T @ dz / n
        da_prev = rows_times(dz, w.T)
    else:
        scale = 1 - masks.weight_rate
        dw = np.einsum("ni,nj,nij->ij", a_prev, dz, wm) / (n * scale)
        da_prev = np.einsum("nj,nij->ni", dz, w * wm) / scale
    if l2:
        dw = dw + l2 * w
    if keep is not None:
        dw = dw * keep
    return dw, dz.mean(0), da_prev


def hidden_delta(spec: Spec, layer: int, da, z, masks: Masks):
    """δ_l = ∂ℓ/∂a_l ⊙ f'(z_l), times the dropout mask / (1 − p) where units were dropped."""
    dz = da * spec.activation(layer).derivative(z)
    um = masks.units[layer - 1]
    if um is not None:
        dz = dz * um / (1 - masks.unit_rate)
    return dz


# --- whole passes -------------------------------------------------------------------------

@dataclass(frozen=True)
class Pass:
    """Every intermediate of a forward and backward pass over a batch (layer l at [l − 1])."""

    z: Arrays             # (n, d_l)
    a: Arrays             # (n, d_l), after dropout
    loss: np.ndarray      # (n,) ℓ per example (data loss, no L2)
    da: Arrays            # (n, d_l) ∂ℓ/∂a_l per example
    dz: Arrays            # (n, d_l) δ_l = ∂ℓ/∂z_l per example
    dw: Arrays            # (d_{l−1}, d_l) ∂L/∂W_l: batch mean + λ·W, masked by pruning
    db: Arrays            # (d_l,) ∂L/∂b_l


def forward(spec: Spec, ws, bs, x, masks: Masks | None = None):
    """(zs, as) of every layer for inputs x (n, d₀)."""
    masks = masks or Masks.none(spec.layers)
    zs, outs, a = [], [], np.asarray(x, float)
    for layer in range(1, spec.layers + 1):
        z, a = layer_forward(spec, layer, ws[layer - 1], bs[layer - 1], a, masks)
        zs.append(z)
        outs.append(a)
    return tuple(zs), tuple(outs)


class Work:
    """The lists a pass fills as it goes (layer l at [l − 1]); ``pass_steps`` yields it."""

    def __init__(self, layers: int):
        self.z: list = [None] * layers
        self.a: list = [None] * layers
        self.da: list = [None] * layers
        self.dz: list = [None] * layers
        self.dw: list = [None] * layers
        self.db: list = [None] * layers
        self.loss: np.ndarray | None = None

    def done(self) -> Pass:
        return Pass(*(tuple(v) for v in (self.z, self.a)), self.loss,
                    *(tuple(v) for v in (self.da, self.dz, self.dw, self.db)))


def pass_steps(spec: Spec, ws, bs, x, targets, masks: Masks | None = None,
               keep: MaybeArrays | None = None, l2: float = 0.0):
    """Forward layer by layer, the loss, backward layer by layer: yields ("forward", l, work),
    ("loss", L, work), ("backward", l, work) as each is filled in. The same code serves
    the whole batch at once (``full_pass``) and the stepwise view."""
    masks = masks or Masks.none(spec.layers)
    keep = keep or (None,) * spec.layers
    x = np.asarray(x, float)
    work, a = Work(spec.layers), x
    for layer in range(1, spec.layers + 1):
        work.z[layer - 1], a = layer_forward(spec, layer, ws[layer - 1], bs[layer - 1], a, masks)
        work.a[layer - 1] = a
        yield "forward", layer, work
    last = spec.layers - 1
    work.loss, work.da[last], out_dz = output_gradient(spec, work.z[last], work.a[last],
                                                       targets)
    yield "loss", spec.layers, work
    for layer in range(spec.layers, 0, -1):
        # δ of this layer first, then its weights' gradient, then ∂ℓ/∂a for the layer below
        work.dz[layer - 1] = out_dz if layer == spec.layers else hidden_delta(
            spec, layer, work.da[layer - 1], work.z[layer - 1], masks)
        a_prev = x if layer == 1 else work.a[layer - 2]
        work.dw[layer - 1], work.db[layer - 1], da = layer_backward(
            spec, layer, ws[layer - 1], a_prev, work.dz[layer - 1], masks, keep[layer - 1], l2)
        if layer > 1:
            work.da[layer - 2] = da
        yield "backward", layer, work


def full_pass(spec: Spec, ws, bs, x, targets, masks: Masks | None = None,
              keep: MaybeArrays | None = None, l2: float = 0.0) -> Pass:
    """Forward, loss and backward over a batch in one go."""
    *_, (_, _, work) = pass_steps(spec, ws, bs, x, targets, masks, keep, l2)
    return work.done()


def total_loss(spec: Spec, ws, bs, x, targets, l2: float = 0.0) -> float:
    """L = mean ℓ + (λ/2)·Σ‖W‖², with no masks: what the gradient of ``full_pass`` is of."""
    zs, outs = forward(spec, ws, bs, x)
    loss = output_gradient(spec, zs[-1], outs[-1], targets)[0].mean()
    return float(loss + 0.5 * l2 * sum(float((w * w).sum()) for w in ws))


# --- the fitted model a panel draws -------------------------------------------------------

@dataclass(frozen=True)
class Model:
    """An immutable snapshot of the network for drawing: eval mode (no dropout, nothing
    rescaled), inputs standardised with the training data's shift and scale."""

    spec: Spec
    weights: Arrays
    biases: Arrays
    shift: np.ndarray = field(repr=False)    # (d₀,)
    scale: np.ndarray = field(repr=False)    # (d₀,)
    classes: np.ndarray = field(repr=False)  # the original label of each output unit

    def _inputs(self, X) -> np.ndarray:
        return (np.asarray(X, float) - self.shift) / self.scale

    def layers(self, X):
        """(zs, as) of every layer for raw inputs X (n, d₀)."""
        with np.errstate(all="ignore"):
            return forward(self.spec, self.weights, self.biases, self._inputs(X))

    def output(self, X) -> np.ndarray:
        return self.layers(X)[1][-1]

    def predict_proba(self, X) -> np.ndarray:
        """(n, classes): softmax probabilities; under squared error the outputs themselves
        (scores trained towards one-hot targets, not probabilities)."""
        zs, outs = self.layers(X)
        return activations.softmax(zs[-1]) if self.spec.loss == "cross-entropy" else outs[-1]

    def predict(self, X) -> np.ndarray:
        return self.classes[self.predict_proba(X).argmax(1)]

    def regions(self, X, dtype=np.float64) -> tuple[np.ndarray, Arrays]:
        """predict_proba and every hidden layer's activations in one lean pass: what a
        redraw of the region view and the per-unit maps needs (no z kept, sums in place).
        ``dtype=np.float32`` is for pictures: about 1e-6 off, several times faster (numpy's
        float32 tanh is vectorised)."""
        a = self._inputs(X).astype(dtype, copy=False)
        hidden = []
        with np.errstate(all="ignore"):
            for layer, (w, b) in enumerate(zip(self.weights, self.biases, strict=True), 1):
                w, b = w.astype(dtype, copy=False), b.astype(dtype, copy=False)
                z = rows_times(a, w)
                z += b
                if layer < self.spec.layers:
                    fast = IN_PLACE.get(self.spec.hidden)
                    a = fast(z) if fast else self.spec.activation(layer)(z)
                    hidden.append(a)
            out = self.spec.activation(self.spec.layers)(z)
        proba = activations.softmax(z) if self.spec.loss == "cross-entropy" else out
        return proba, tuple(hidden)

    def hidden(self, X) -> Arrays:
        """Each hidden layer's activations (n, d_l), for per-unit maps over a grid."""
        return self.layers(X)[1][:-1]


def read_only(arrays) -> Arrays:
    return tuple(None if a is None else frozen(a) for a in arrays)
