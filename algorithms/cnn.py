"""A small convolutional network in numpy, trained on generated digits one mini-batch a step.

conv 1 (F₁ filters K₁×K₁, zero padding keeps 28×28) → ReLU → 2×2 max pool (14×14) →
conv 2 (F₂ filters F₁×K₂×K₂, 14×14) → ReLU → 2×2 max pool (7×7) → dense (7·7·F₂ → 10) →
softmax with cross-entropy.

Pictures travel as (n, height, width, channels). A convolution is im2col and one matrix
product, as in ``conv_layer`` (which draws it for one picture): every K×K window of every
channel becomes a row of a matrix X, and the layer is X·Wᵀ + b. Its backward pass is the
same product the other way round — ∂L/∂W = δᵀ·X, ∂L/∂X = δ·W — with each window's
gradient added back to the K×K pixels it came from (col2im). Max pooling sends each
window's gradient to the one cell that won (the first, on a tie).

Every weight and bias lives in one flat vector θ, so the optimizers of
``algorithms.optimizers`` train this network exactly as they move a point on a surface.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from algorithms import digits as digit_set
from algorithms.activations import softmax
from algorithms.base import Snapshot, frozen, num, param, plural, validate
from algorithms.losses import categorical_cross_entropy_logits
from algorithms.network.captions import pct
from algorithms.optimizers import OPTIMIZERS, Trail

POOL = 2
CHUNK = 128        # pictures per forward pass when evaluating many (bounds im2col's memory)
BUNDLED_WEIGHTS = Path(__file__).resolve().parents[1] / "resources" / "cnn_digits.npz"
FORMAT = "stepwise-cnn-1"
PER_STEP = ("batch", "10 batches", "epoch")


# --- the layers ---------------------------------------------------------------------------
# Maps are stored channels-last, (n, height, width, channels): im2col is then a reshape of a
# sliding-window view and pooling four strided slices, with no transposes — the test set's
# forward pass took 280 ms channels-first and ~70 ms this way.

def im2col(x: np.ndarray, k: int, padding: int) -> np.ndarray:
    """(n·H·W, C·k·k): one row per window position (reading order, picture by picture),
    channel by channel then row by row through the window — the order of a filter bank
    reshaped to (F, C·k·k). Padding keeps the size (k odd, padding = k // 2)."""
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    view = sliding_window_view(xp, (k, k), axis=(1, 2))        # (n, H', W', C, k, k)
    n, oh, ow, c = view.shape[:4]
    return view.reshape(n * oh * ow, c * k * k)


def conv_forward(x, w, b, padding: int) -> tuple[np.ndarray, np.ndarray]:
    """Output maps (n, H', W', F) of a bank w (F, C, k, k) over x (n, H, W, C), and the
    im2col matrix the backward pass needs."""
    n, h, wd, _ = x.shape
    f, _, k, _ = w.shape
    oh, ow = h + 2 * padding - k + 1, wd + 2 * padding - k + 1
    cols = im2col(x, k, padding)
    out = cols @ w.reshape(f, -1).T
    out += b
    return out.reshape(n, oh, ow, f), cols


def conv_backward(dout, cols, x_shape, w, padding: int, need_dx: bool = True):
    """∂L/∂x (or None), ∂L/∂w and ∂L/∂b from ∂L/∂out (n, H', W', F)."""
    f, c, k, _ = w.shape
    n, oh, ow, _ = dout.shape
    d = dout.reshape(-1, f)
    dw = (d.T @ cols).reshape(w.shape)
    db = d.sum(0)
    if not need_dx:
        return None, dw, db
    dcols = (d @ w.reshape(f, -1)).reshape(n, oh, ow, c, k, k)
    _, h, wd, _ = x_shape
    dxp = np.zeros((n, h + 2 * padding, wd + 2 * padding, c), dout.dtype)
    for u in range(k):            # col2im: each window's share back onto its pixels
        for v in range(k):
            dxp[:, u:u + oh, v:v + ow] += dcols[..., u, v]
    return dxp[:, padding:padding + h, padding:padding + wd], dw, db


def _corners(x):
    """The four cells of every 2×2 window, in reading order."""
    return x[:, ::2, ::2], x[:, ::2, 1::2], x[:, 1::2, ::2], x[:, 1::2, 1::2]


def pool_forward(x, winners: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """2×2 max pooling with stride 2 of (n, H, W, C) (H and W even), and which of the
    window's four cells won (0 … 3 in reading order; the first on a tie), if asked."""
    a, b, c, d = _corners(x)
    out = np.maximum(np.maximum(a, b), np.maximum(c, d))
    if not winners:
        return out, None
    return out, np.where(a == out, 0, np.where(b == out, 1, np.where(c == out, 2, 3)))


def pool_backward(dout, winner) -> np.ndarray:
    """∂L/∂x: each window's gradient to the cell that won it, zero elsewhere."""
    n, h2, w2, c = dout.shape
    dx = np.zeros((n, 2 * h2, 2 * w2, c), dout.dtype)
    for cell, part in enumerate(_corners(dx)):
        part[...] = np.where(winner == cell, dout, 0)
    return dx


# --- the architecture ---------------------------------------------------------------------

@dataclass(frozen=True)
class Spec:
    """The layer sizes; the weights live elsewhere (a flat θ)."""

    filters1: int = 8
    size1: int = 5
    filters2: int = 16
    size2: int = 3
    classes: int = 10
    side: int = digit_set.SIZE

    def __post_init__(self):
        for name in ("filters1", "size1", "filters2", "size2", "classes", "side"):
            value = getattr(self, name)
            if isinstance(value, bool) or int(value) != value or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, got {value}")
        if self.size1 % 2 == 0 or self.size2 % 2 == 0:
            raise ValueError("filter sizes must be odd, so padding can keep a map's size")
        if self.side % (POOL * POOL):
            raise ValueError(f"the picture side must be a multiple of {POOL * POOL}, "
                             f"got {self.side}")

    @property
    def flat(self) -> int:
        """Inputs of the dense layer: F₂ maps of (side/4)²."""
        return self.filters2 * (self.side // (POOL * POOL)) ** 2

    @property
    def shapes(self) -> tuple[tuple[int, ...], ...]:
        """W₁, b₁, W₂, b₂, W₃, b₃ in the order θ holds them."""
        return ((self.filters1, 1, self.size1, self.size1), (self.filters1,),
                (self.filters2, self.filters1, self.size2, self.size2), (self.filters2,),
                (self.flat, self.classes), (self.classes,))

    @property
    def parameter_count(self) -> int:
        return sum(math.prod(s) for s in self.shapes)

    @property
    def text(self) -> str:
        return (f"{self.filters1} filters {self.size1}×{self.size1} → pool → "
                f"{self.filters2} filters {self.size2}×{self.size2} → pool → {self.classes}")

    def unflatten(self, theta: np.ndarray) -> list[np.ndarray]:
        out, at = [], 0
        for shape in self.shapes:
            size = math.prod(shape)
            out.append(theta[at:at + size].reshape(shape))
            at += size
        return out

    def init(self, rng: np.random.Generator) -> np.ndarray:
        """He normal weights (σ = √(2 / inputs per unit), for ReLU), zero biases."""
        parts = []
        for shape in self.shapes:
            fan_in = math.prod(shape[1:]) if len(shape) == 4 else shape[0]
            weights = len(shape) > 1
            parts.append(rng.standard_normal(shape).ravel() * math.sqrt(2.0 / fan_in)
                         if weights else np.zeros(math.prod(shape)))
        return np.concatenate(parts)


@dataclass
class Pass:
    """A forward pass over a batch (maps channels-last), kept for the backward pass."""

    x: np.ndarray
    z1: np.ndarray
    cols1: np.ndarray
    a1: np.ndarray
    p1: np.ndarray
    win1: np.ndarray
    z2: np.ndarray
    cols2: np.ndarray
    a2: np.ndarray
    p2: np.ndarray
    win2: np.ndarray
    scores: np.ndarray


def forward(spec: Spec, theta, images, dtype=np.float64, backward: bool = True) -> Pass:
    """Every layer's output for pictures (n, side, side); the pooling winners only if a
    backward pass follows. float32 is about 1e−6 off and faster: training and evaluation
    use it; the gradient checks use float64."""
    w1, b1, w2, b2, w3, b3 = (p.astype(dtype, copy=False)
                              for p in spec.unflatten(np.asarray(theta)))
    x = np.asarray(images, dtype=dtype)[..., None]
    z1, cols1 = conv_forward(x, w1, b1, spec.size1 // 2)
    a1 = np.maximum(z1, 0)
    p1, win1 = pool_forward(a1, backward)
    z2, cols2 = conv_forward(p1, w2, b2, spec.size2 // 2)
    a2 = np.maximum(z2, 0)
    p2, win2 = pool_forward(a2, backward)
    scores = p2.reshape(len(x), -1) @ w3 + b3   # W₃'s rows run (row, column, map)
    return Pass(x, z1, cols1, a1, p1, win1, z2, cols2, a2, p2, win2, scores)


def loss_and_gradient(spec: Spec, theta, images, labels,
                      dtype=np.float64) -> tuple[float, np.ndarray]:
    """L = mean cross-entropy over the batch, and ∂L/∂θ (float64, θ's layout)."""
    w1, _, w2, _, w3, _ = (p.astype(dtype, copy=False)
                           for p in spec.unflatten(np.asarray(theta)))
    f = forward(spec, theta, images, dtype)
    n = len(f.x)
    targets = np.eye(spec.classes, dtype=dtype)[np.asarray(labels)]
    loss = float(categorical_cross_entropy_logits(f.scores, targets).mean())
    dscores = (softmax(f.scores).astype(dtype, copy=False) - targets) / n
    dw3 = f.p2.reshape(n, -1).T @ dscores
    db3 = dscores.sum(0)
    dp2 = (dscores @ w3.T).reshape(f.p2.shape)
    dz2 = pool_backward(dp2, f.win2) * (f.z2 > 0)
    dp1, dw2, db2 = conv_backward(dz2, f.cols2, f.p1.shape, w2, spec.size2 // 2)
    dz1 = pool_backward(dp1, f.win1) * (f.z1 > 0)
    _, dw1, db1 = conv_backward(dz1, f.cols1, f.x.shape, w1, spec.size1 // 2, need_dx=False)
    grad = np.concatenate([g.ravel() for g in (dw1, db1, dw2, db2, dw3, db3)])
    return loss, grad.astype(np.float64)


# --- a trained network, for drawing --------------------------------------------------------

@dataclass(frozen=True)
class Stage:
    name: str
    values: np.ndarray


STAGES = ("input", "conv 1", "ReLU 1", "pool 1", "conv 2", "ReLU 2", "pool 2", "scores",
          "probabilities")


@dataclass(frozen=True)
class Model:
    """A network's architecture and weights θ (read-only)."""

    spec: Spec
    theta: np.ndarray = field(repr=False)

    def __post_init__(self):
        theta = np.asarray(self.theta, dtype=np.float64)
        if theta.shape != (self.spec.parameter_count,):
            raise ValueError(f"the weights hold {theta.size:,} numbers but a {self.spec.text} "
                             f"network has {self.spec.parameter_count:,}")
        if not np.isfinite(theta).all():
            raise ValueError("the weights contain NaN or infinite values")
        object.__setattr__(self, "theta", frozen(theta))

    def filters(self, layer: int) -> np.ndarray:
        """(F, C, k, k) filter bank of conv layer 1 or 2."""
        return self.spec.unflatten(self.theta)[2 * (layer - 1)]

    def bias(self, layer: int) -> np.ndarray:
        return self.spec.unflatten(self.theta)[2 * (layer - 1) + 1]

    def stages(self, image) -> tuple[Stage, ...]:
        """One picture (side, side) through every layer, named as in STAGES."""
        image = np.asarray(image, dtype=np.float64)
        if image.shape != (self.spec.side, self.spec.side):
            raise ValueError(f"the network reads {self.spec.side}×{self.spec.side} pictures, "
                             f"got shape {image.shape}")
        f = forward(self.spec, self.theta, image[None])
        maps = [np.moveaxis(v[0], -1, 0) for v in (f.x, f.z1, f.a1, f.p1, f.z2, f.a2, f.p2)]
        values = (*maps, f.scores[0], softmax(f.scores[0]))
        return tuple(Stage(name, frozen(v)) for name, v in zip(STAGES, values, strict=True))

    def scores(self, images, dtype=np.float32) -> np.ndarray:
        """(n, classes) scores, CHUNK pictures at a time (im2col's memory stays small)."""
        x = np.asarray(images)
        if len(x) == 0:
            return np.zeros((0, self.spec.classes))
        return np.concatenate([forward(self.spec, self.theta, x[i:i + CHUNK], dtype, False).scores
                               for i in range(0, len(x), CHUNK)]).astype(np.float64)

    def proba(self, images) -> np.ndarray:
        return softmax(self.scores(images))

    def predict(self, images) -> np.ndarray:
        return self.scores(images).argmax(1)

    def evaluate(self, images, labels) -> tuple[float, float]:
        """Mean cross-entropy and accuracy on labelled pictures."""
        with np.errstate(all="ignore"):       # weights that overflow give an ∞ loss
            scores = self.scores(images)
            targets = np.eye(self.spec.classes)[np.asarray(labels)]
            loss = float(categorical_cross_entropy_logits(scores, targets).mean())
        return loss, float((scores.argmax(1) == labels).mean())


def save(path, model: Model) -> None:
    """A small compressed .npz: the format tag, the architecture and θ."""
    s = model.spec
    np.savez_compressed(path, format=np.array(FORMAT), theta=model.theta,
                        architecture=np.array([s.filters1, s.size1, s.filters2, s.size2,
                                               s.classes, s.side]))


def load(path) -> Model:
    """A Model from a file ``save`` wrote; ValueError in one sentence for anything else."""
    name = Path(path).name
    try:
        with np.load(path, allow_pickle=False) as f:
            tag = str(f["format"])
            architecture = [int(v) for v in f["architecture"]]
            theta = np.array(f["theta"], dtype=np.float64)
    except KeyError as err:
        raise ValueError(f"{name} is not a Stepwise CNN weights file (it has no {err})") \
            from None
    except (OSError, ValueError, EOFError, TypeError) as err:
        raise ValueError(f"{name} could not be read as a weights file ({err})") from None
    if tag != FORMAT:
        raise ValueError(f"{name} is a weights file of another kind ({tag!r}, not {FORMAT!r})")
    if len(architecture) != 6:
        raise ValueError(f"{name} describes its architecture with {len(architecture)} "
                         "numbers instead of 6")
    return Model(Spec(*architecture), theta.ravel())


# --- the data and the training run --------------------------------------------------------

@dataclass(frozen=True)
class Digits:
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray


@lru_cache(maxsize=4)
def test_digits(test: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The test digits alone (a quarter of a second for 1,000): what a panel shows at once,
    before the training digits are made on a worker."""
    x, y = digit_set.make_digits(test, (seed, 1))
    return frozen(x), frozen(y)


@lru_cache(maxsize=4)
def digits_data(train: int = 3000, test: int = 1000, seed: int = 0) -> Digits:
    """Generated training and test digits. Each set has its own random stream, so the test
    set of a seed stays the same whatever the training size."""
    x, y = digit_set.make_digits(train, (seed, 0))
    return Digits(frozen(x), frozen(y), *test_digits(test, seed))


@dataclass(frozen=True)
class Params:
    filters1: int = param(8, limits=(1, 16), label="conv 1 filters",
                          tip="how many 5×5 filters the first layer learns")
    filters2: int = param(16, limits=(1, 32), label="conv 2 filters",
                          tip="how many 3×3 filters (each across all conv 1 maps) the second "
                              "layer learns")
    rule: str = param("Adam", values=tuple(OPTIMIZERS), label="optimizer")
    lr: float = param(0.003, limits=(1e-5, 1.0), step=0.001, label="learning rate η")
    batch_size: int = param(32, limits=(1, 256), label="batch size")
    train_size: int = param(3000, limits=(100, 20_000), step=500, label="training digits",
                            tip="how many generated digits to train on (1,000 more are kept "
                                "aside to test)")
    per_step: str = param("batch", values=PER_STEP, label="one step is",
                          tip="how much training one press of Step does")
    epochs: int = param(3, limits=(1, 30), tip="the run ends after this many passes over "
                                                "the training digits")


@dataclass(frozen=True, kw_only=True)
class CNNStep(Snapshot):
    spec: Spec
    theta: np.ndarray = field(repr=False)
    update: int                    # updates so far
    epoch: int                     # the epoch the latest update belongs to (0 at the start)
    per_epoch: int                 # updates in one epoch
    batch_rows: np.ndarray = field(repr=False)   # training rows of the latest batch
    batch_loss: float              # loss of the latest batch before its update (NaN at start)
    losses: np.ndarray = field(repr=False)       # (update,) each update's batch loss
    evaluations: np.ndarray = field(repr=False)  # (m, 4): update, epoch, test loss, accuracy

    @property
    def test_accuracy(self) -> float:
        return float(self.evaluations[-1, 3])

    @property
    def model(self) -> Model:
        return Model(self.spec, self.theta)


def run(data: Digits, params: Params, rng: np.random.Generator,
        start: np.ndarray | None = None) -> Iterator[CNNStep]:
    """Train from random (or ``start``) weights; one snapshot per ``params.per_step``."""
    validate(params)
    spec = Spec(params.filters1, 5, params.filters2, 3)
    n = min(params.train_size, len(data.train_x))
    if n < 1 or len(data.test_x) < 1:
        raise ValueError("the network needs at least one training and one test digit")
    theta = spec.init(rng) if start is None else Model(spec, start).theta
    x, y = data.train_x[:n], data.train_y[:n]
    opt = OPTIMIZERS[params.rule](params.lr)
    state = opt.init(theta)
    batch = min(params.batch_size, n)
    per_epoch = math.ceil(n / batch)
    check_every = max(1, per_epoch // 10)
    losses = Trail(0.0)             # a dummy first row, skipped by every view below
    model = Model(spec, state.x)
    test_loss, accuracy = model.evaluate(data.test_x, data.test_y)
    evaluations = Trail([0, 0.0, test_loss, accuracy])
    update, rows = 0, np.zeros(0, int)

    def snapshot(phase: str, caption: str, epoch: int, batch_loss: float) -> CNNStep:
        ev = evaluations.view()
        return CNNStep(index=index, phase=phase, caption=caption,
                       metrics={"update": update, "epoch": epoch, "batch loss": batch_loss,
                                "test accuracy": float(ev[-1, 3])},
                       spec=spec, theta=state.x, update=update, epoch=epoch,
                       per_epoch=per_epoch, batch_rows=frozen(rows), batch_loss=batch_loss,
                       losses=losses.view()[1:], evaluations=ev)

    index = 0
    yield snapshot("start", f"The network ({spec.text}; {spec.parameter_count:,} weights) "
                   f"{'starts from the given weights' if start is not None else 'starts random'}"
                   f": test loss {num(test_loss, 3)}, test accuracy {pct(accuracy)} "
                   f"(chance is {pct(1 / spec.classes)}).", 0, math.nan)
    group = {"batch": 1, "10 batches": 10, "epoch": per_epoch}[params.per_step]
    for epoch in range(1, params.epochs + 1):
        order = rng.permutation(n)
        for b in range(per_epoch):
            rows = order[b * batch:(b + 1) * batch]
            with np.errstate(all="ignore"):
                loss, grad = loss_and_gradient(spec, state.x, x[rows], y[rows], np.float32)
                new_state, _ = opt.step(state, lambda _at, g=grad: g)
            if not (math.isfinite(loss) and np.isfinite(new_state.x).all()):
                index += 1
                yield snapshot("diverged", f"Update {update + 1} overflowed (the loss or the "
                               "weights are no longer finite numbers): training stopped at "
                               "the last good weights; lower the learning rate.",
                               epoch, math.nan)
                return
            state, update = new_state, update + 1
            losses.append(loss)
            last = b == per_epoch - 1
            if last or update % check_every == 0:
                test_loss, accuracy = Model(spec, state.x).evaluate(data.test_x, data.test_y)
                evaluations.append([update, epoch - 1 + (b + 1) / per_epoch, test_loss,
                                    accuracy])
            if not (last or (b + 1) % group == 0):
                continue
            index += 1
            done = last and epoch == params.epochs
            phase = "done" if done else "epoch" if last else "update"
            yield snapshot(phase, _caption(update, epoch, b, per_epoch, group, losses,
                                           evaluations, done), epoch, loss)


def _caption(update, epoch, b, per_epoch, group, losses, evaluations, done) -> str:
    recent = losses.view()[-min(group, update):]
    ev = evaluations.view()[-1]
    if group == 1:
        head = (f"Update {update} (epoch {epoch}, batch {b + 1} of {per_epoch}): batch loss "
                f"{num(recent[-1], 3)}, then the weights moved against its gradient.")
    else:
        first = update - len(recent) + 1
        head = (f"Updates {first}–{update} (epoch {epoch}, batch {b + 1} of {per_epoch}): "
                f"mean batch loss {num(float(recent.mean()), 3)}.")
    when = "now" if int(ev[0]) == update else f"at update {int(ev[0])}"
    tail = f" Test accuracy {pct(ev[3])} ({when}), test loss {num(ev[2], 3)}."
    if done:
        tail += f" Training done after {plural(epoch, 'epoch')}."
    elif b == per_epoch - 1:
        tail += f" Epoch {epoch} done: every training digit seen once more."
    return head + tail
