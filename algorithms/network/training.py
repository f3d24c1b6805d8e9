"""Training the network one visible step at a time.

``run`` trains on labelled points with mini-batches. How much one snapshot covers is the
``granularity``: "layer" yields one sub-step per layer forward, the loss, one per layer
backward, then the update; "batch" one snapshot per mini-batch update; "epoch" one per
epoch. The training itself is the same at every granularity: the same seed gives the same
weights after the same number of updates.

Randomness comes from three generators spawned from ``rng``: the initial weights, the batch
order and the dropout/DropConnect masks, so switching dropout on leaves the start and the
batch order unchanged. The highlighted example of a batch is its first one.

The optimizers are those of ``algorithms.optimizers``, working on one flat vector that holds
every W_l and b_l (``Layout``). Nesterov's look-ahead is honoured: the pass shown is taken at
the look-ahead weights, and it is that pass's gradient the update uses.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from algorithms.activations import NAMES, softmax
from algorithms.base import Snapshot, frozen, param, validate
from algorithms.network import captions
from algorithms.network.layers import (
    INITS,
    LOSSES,
    Arrays,
    Layout,
    Masks,
    MaybeArrays,
    Model,
    Spec,
    Work,
    forward,
    init_weights,
    output_gradient,
    pass_steps,
    sample_masks,
)
from algorithms.optimizers import OPTIMIZERS, State, Trail, Update

GRANULARITIES = ("layer", "batch", "epoch")
MAX_LAYERS, MAX_UNITS = 3, 32


@dataclass(frozen=True)
class Params:
    hidden: str = param("8, 8", label="hidden layers",
                        tip=f"units per hidden layer, comma-separated: 0 to {MAX_LAYERS} layers "
                            f"of 1 to {MAX_UNITS} units")
    activation: str = param("tanh", values=NAMES, tip="activation of every hidden unit")
    slope: float = param(0.01, limits=(0.0, 1.0), step=0.01, label="leaky slope",
                         when=("activation", ("leaky ReLU",)))
    alpha: float = param(1.0, limits=(0.01, 10.0), step=0.1, label="ELU α",
                         when=("activation", ("ELU",)))
    loss: str = param("cross-entropy", values=LOSSES,
                      tip="cross-entropy: softmax outputs; mse: ½·Σ (a − y)² on one-hot targets")
    output: str = param("sigmoid", values=NAMES, label="output activation",
                        when=("loss", ("mse",)))
    init: str = param(INITS[0], values=INITS, label="initial weights")
    rule: str = param("Adam", values=tuple(OPTIMIZERS), label="update rule")
    lr: float = param(0.01, limits=(1e-5, 10.0), step=0.001, label="learning rate η")
    batch_size: int = param(32, limits=(1, 100_000), step=1, label="mini-batch size")
    epochs: int = param(200, limits=(1, 100_000), label="epochs")
    l2: float = param(0.0, limits=(0.0, 1.0), step=1e-4, label="L2 λ",
                      tip="adds (λ/2)·Σ w² to the loss: every update also shrinks each weight")
    dropout: float = param(0.0, limits=(0.0, 0.9), step=0.05, label="dropout rate p",
                           tip="each hidden unit is dropped with probability p, per example")
    dropconnect: float = param(0.0, limits=(0.0, 0.9), step=0.05, label="DropConnect rate",
                               tip="each weight is dropped with this probability, per example")
    granularity: str = param("batch", values=GRANULARITIES, label="one step is",
                             tip="layer: one layer forward or backward for one example; "
                                 "batch: one mini-batch update; epoch: one pass over the data")
    test_fraction: float = param(0.25, limits=(0.0, 0.9), step=0.05, label="test fraction")
    standardize: bool = param(True, label="standardise inputs",
                              tip="x' = (x − mean)/std per coordinate, from the training set")


def parse_hidden(text: str) -> tuple[int, ...]:
    parts = [p for p in str(text).replace(";", ",").replace(" ", ",").split(",") if p]
    try:
        units = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"hidden layers must be whole numbers separated by commas, "
                         f"got {text!r}") from None
    if len(units) > MAX_LAYERS or any(not 1 <= u <= MAX_UNITS for u in units):
        raise ValueError(f"hidden layers: 0 to {MAX_LAYERS} layers of 1 to {MAX_UNITS} units, "
                         f"got {text!r}")
    return units


def make_spec(params: Params, inputs: int, outputs: int) -> Spec:
    return Spec((inputs, *parse_hidden(params.hidden), outputs), params.activation,
                params.loss, params.output, params.slope, params.alpha)


# --- the data, prepared once --------------------------------------------------------------

@dataclass(frozen=True)
class Prepared:
    x: np.ndarray            # (n, d) training inputs, standardised
    targets: np.ndarray      # (n, k) one-hot
    labels: np.ndarray       # (n,) class index 0 … k − 1
    x_test: np.ndarray
    targets_test: np.ndarray
    labels_test: np.ndarray
    train_index: np.ndarray  # rows of the data given to run(), in training order
    test_index: np.ndarray
    shift: np.ndarray
    scale: np.ndarray
    classes: np.ndarray      # the original label of class index c


def _robust_std(x: np.ndarray) -> np.ndarray:
    """Standard deviation per column without squaring huge values; 1 for a constant column."""
    top = np.abs(x).max(0)
    top[top == 0] = 1.0
    std = top * (x / top).std(0)
    std[std == 0] = 1.0
    return std


def prepare(X, y, test_fraction: float, standardize: bool,
            rng: np.random.Generator) -> Prepared:
    """Check the data, split off a test set (per class, so both keep every class) and
    standardise with the training set's mean and spread."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] == 0 or len(X) != len(y):
        raise ValueError(f"the network needs a table of points (rows × coordinates) and one "
                         f"label per row; got shapes {X.shape} and {y.shape}")
    if not np.isfinite(X).all():
        raise ValueError("the points contain NaN or infinite values")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("the labels contain NaN values")
    classes, labels = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError("the network needs at least 2 classes to tell apart; "
                         "the data has only one")
    test = []
    for c in range(len(classes)):
        members = np.flatnonzero(labels == c)
        take = min(int(round(test_fraction * len(members))), len(members) - 1)
        test.extend(rng.permutation(members)[:take])
    test_index = np.sort(np.array(test, dtype=int))
    train_index = np.setdiff1d(np.arange(len(X)), test_index)  # ≥ 1 per class, so ≥ 2
    xt = X[train_index]
    shift = xt.mean(0) if standardize else np.zeros(X.shape[1])
    scale = _robust_std(xt - shift) if standardize else np.ones(X.shape[1])
    eye = np.eye(len(classes))
    return Prepared(frozen((xt - shift) / scale), frozen(eye[labels[train_index]]),
                    frozen(labels[train_index]), frozen((X[test_index] - shift) / scale),
                    frozen(eye[labels[test_index]]), frozen(labels[test_index]),
                    frozen(train_index), frozen(test_index), frozen(shift), frozen(scale),
                    frozen(classes))


# --- what a snapshot carries --------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Trace:
    """One example's pass, layer l at index l − 1; None where the pass has not got to yet.

    ``dw``/``db`` are this example's own ∂ℓ/∂W_l = a_{l−1}ᵀ·δ_l and ∂ℓ/∂b_l = δ_l (masks
    applied, no L2); the update uses their mean over the batch plus λ·W.
    """

    example: int                  # row in the data given to run()
    x: np.ndarray                 # (d₀,) the input as the network sees it (standardised)
    target: np.ndarray            # (k,) one-hot
    z: MaybeArrays                # (d_l,)
    a: MaybeArrays                # (d_l,) after dropout
    output: np.ndarray | None     # softmax probabilities (cross-entropy) or a_L (mse)
    loss: float | None            # ℓ of this example
    da: MaybeArrays               # ∂ℓ/∂a_l
    dz: MaybeArrays               # δ_l = ∂ℓ/∂z_l
    dw: MaybeArrays               # (d_{l−1}, d_l)
    db: MaybeArrays
    unit_masks: MaybeArrays       # dropout keep mask of layer l (d_l,); None: no dropout there
    weight_masks: MaybeArrays     # DropConnect keep mask of W_l (d_{l−1}, d_l)


@dataclass(frozen=True, kw_only=True)
class UpdateInfo:
    """The latest update: the batch gradient, the change applied, the rule in words."""

    rule: str
    formula: str
    lr: float
    examples: np.ndarray          # rows (in the data given to run()) of the batch
    gradient_w: Arrays            # ∂L/∂W_l (batch mean + λ·W)
    gradient_b: Arrays
    step_w: Arrays                # W_l(new) − W_l(old)
    step_b: Arrays
    terms: Mapping[str, np.ndarray]   # the optimizer's accumulators, flat (see Layout)


class History:
    """Loss and accuracy curves; every array is a read-only view shared with later steps."""

    COLUMNS = ("update", "epoch", "train loss", "train accuracy", "test loss", "test accuracy")

    def __init__(self, rows: np.ndarray):
        self.rows = rows   # (m, 6), one row per evaluation

    def __getitem__(self, name: str) -> np.ndarray:
        return self.rows[:, self.COLUMNS.index(name)]

    def last(self) -> dict[str, float]:
        return dict(zip(self.COLUMNS, map(float, self.rows[-1]), strict=True))


@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    granularity: str
    spec: Spec
    epoch: int                    # current epoch, from 1 (0 at the start)
    batch: int                    # batches done in this epoch
    batches: int                  # batches per epoch
    updates: int                  # updates applied so far
    layer: int | None             # the layer a forward/backward sub-step concerns (1 … L)
    weights: Arrays               # W_l used by this step's pass (after the update on
    biases: Arrays                # update/batch/epoch steps); read-only
    trace: Trace | None           # the highlighted example
    highlight: tuple[int, int, int] | None   # (layer, i, j): the weight the caption follows
    update: UpdateInfo | None     # set on steps that applied an update
    history: History
    model: Model
    dropout: float
    dropconnect: float


# --- the trainer --------------------------------------------------------------------------

class Trainer:
    """Mutable training state of one network; everything it hands out is read-only."""

    def __init__(self, spec: Spec, data: Prepared, *, rule: str, lr: float, batch_size: int,
                 l2: float, dropout: float, dropconnect: float, theta0,
                 shuffle_rng: np.random.Generator, mask_rng: np.random.Generator):
        self.spec, self.data, self.l2 = spec, data, l2
        self.dropout, self.dropconnect = dropout, dropconnect
        self.shuffle_rng, self.mask_rng = shuffle_rng, mask_rng
        self.layout = Layout(spec.sizes)
        self.opt = OPTIMIZERS[rule](lr)
        self.batch_size = min(batch_size, len(data.x))
        self.per_epoch = math.ceil(len(data.x) / self.batch_size)
        self.state: State = self.opt.init(theta0)
        self.keep: MaybeArrays = (None,) * spec.layers
        self.keep_flat: np.ndarray | None = None
        self.epoch = self.batch = self.updates = 0
        self.order = np.arange(len(data.x))
        self.diverged = False
        self.last: Update | None = None
        self.idx = np.arange(0)
        self.masks = Masks.none(spec.layers)
        self.theta = self.state.x      # where the latest pass was taken
        self.before = self.state.x     # the weights before the latest update
        self.work: Work | None = None
        self.history = Trail(self.evaluate())

    def fork(self) -> Trainer:
        """An independent copy that carries on exactly as this one would (same generators'
        states); the immutable parts — weights, optimizer state, data — are shared."""
        twin = copy.copy(self)
        twin.shuffle_rng = copy.deepcopy(self.shuffle_rng)
        twin.mask_rng = copy.deepcopy(self.mask_rng)
        twin.history = Trail(self.history.view()[0])
        for row in self.history.view()[1:]:
            twin.history.append(row)
        return twin

    # -- state ----------------------------------------------------------------------------
    def params(self, theta=None) -> tuple[Arrays, Arrays]:
        return self.layout.unflatten(self.state.x if theta is None else theta)

    def model(self) -> Model:
        ws, bs = self.params()
        d = self.data
        return Model(self.spec, ws, bs, d.shift, d.scale, d.classes)

    def set_keep(self, keep: MaybeArrays) -> None:
        """Fix pruning masks: pruned weights and their accumulators become 0 for good."""
        self.keep = tuple(None if k is None else frozen(k) for k in keep)
        ones = [np.ones(s) for s in self.spec.sizes[1:]]
        full = [np.ones((a, b)) if k is None else k for k, (a, b)
                in zip(self.keep, zip(self.spec.sizes, self.spec.sizes[1:], strict=False),
                       strict=True)]
        self.keep_flat = self.layout.flatten(full, ones)
        self.state = self._masked(self.state)

    def _masked(self, state: State) -> State:
        if self.keep_flat is None:
            return state
        slots = {k: frozen(v * self.keep_flat) for k, v in state.slots.items()}
        return State(frozen(state.x * self.keep_flat), state.t, MappingProxyType(slots))

    def evaluate(self) -> list[float]:
        """[update, epoch, train loss, train accuracy, test loss, test accuracy] (no masks)."""
        model, d = self.model(), self.data
        row = [self.updates, self.epoch - 1 + self.batch / self.per_epoch if self.epoch else 0]
        for x, t, lab in ((d.x, d.targets, d.labels), (d.x_test, d.targets_test, d.labels_test)):
            if len(x) == 0:
                row += [math.nan, math.nan]
                continue
            with np.errstate(all="ignore"):
                zs, outs = forward(self.spec, model.weights, model.biases, x)
                loss = output_gradient(self.spec, zs[-1], outs[-1], t)[0]
            row += [float(loss.mean()), float((outs[-1].argmax(1) == lab).mean())]
        return row

    def record(self) -> History:
        self.history.append(self.evaluate())
        return self.view_history()

    def view_history(self) -> History:
        return History(self.history.view())

    # -- one mini-batch -------------------------------------------------------------------
    def train_batch(self, granular: bool) -> Iterator[tuple[str, int | None, Work]]:
        """Yield each sub-step of the pass when ``granular``, then ("update", None, work)."""
        if self.batch in (0, self.per_epoch):
            self.epoch, self.batch = self.epoch + 1, 0
            self.order = self.shuffle_rng.permutation(len(self.data.x))
        size = self.batch_size
        self.idx = self.order[self.batch * size:(self.batch + 1) * size]
        self.batch += 1
        self.masks = sample_masks(self.spec, len(self.idx), self.dropout, self.dropconnect,
                                  self.mask_rng)
        ahead = getattr(self.opt, "lookahead", None)
        self.theta = self.state.x if ahead is None else frozen(ahead(self.state))
        ws, bs = self.params(self.theta)
        x, t = self.data.x[self.idx], self.data.targets[self.idx]
        with np.errstate(all="ignore"):
            for kind, layer, work in pass_steps(self.spec, ws, bs, x, t, self.masks,
                                                self.keep, self.l2):
                if granular:
                    yield kind, layer, work
            grad = self.layout.flatten(work.dw, work.db)
            state, update = self.opt.step(self.state, self._gradient_at(grad))
        state = self._masked(state)
        self.before = self.state.x
        if not (np.isfinite(state.x).all() and np.isfinite(work.loss).all()):
            self.diverged = True
        else:
            self.state, self.last = state, update
            self.updates += 1
        self.work = work
        yield "update", None, work

    def _gradient_at(self, grad: np.ndarray):
        def gradient(at):
            if not np.array_equal(at, self.theta):  # pragma: no cover - a broken invariant
                raise RuntimeError("the optimizer asked for the gradient somewhere else")
            return grad
        return gradient

    def epoch_done(self) -> bool:
        return self.batch == self.per_epoch

    def train_epoch(self) -> None:
        """Finish the current epoch (or run a whole new one), no sub-steps."""
        while True:
            for _ in self.train_batch(False):
                pass
            if self.diverged or self.epoch_done():
                return

    # -- what the snapshot shows ----------------------------------------------------------
    def trace(self, work: Work, r: int = 0) -> Trace:
        d, masks, spec = self.data, self.masks, self.spec

        def row(v):
            return None if v is None else frozen(v[r])

        example = int(self.idx[r])
        dws = []
        for layer in range(1, spec.layers + 1):
            dz = work.dz[layer - 1]
            if dz is None:
                dws.append(None)
                continue
            a_prev = d.x[example] if layer == 1 else work.a[layer - 2][r]
            g = np.outer(a_prev, dz[r])
            wm = masks.weights[layer - 1]
            if wm is not None:
                g = g * wm[r] / (1 - masks.weight_rate)
            if self.keep[layer - 1] is not None:
                g = g * self.keep[layer - 1]
            dws.append(frozen(g))
        last = work.z[-1]
        output = None
        if last is not None:
            output = softmax(last[r]) if spec.loss == "cross-entropy" else work.a[-1][r]
        return Trace(example=int(d.train_index[example]), x=frozen(d.x[example]),
                     target=frozen(d.targets[example]),
                     z=tuple(map(row, work.z)), a=tuple(map(row, work.a)),
                     output=None if output is None else frozen(output),
                     loss=None if work.loss is None else float(work.loss[r]),
                     da=tuple(map(row, work.da)), dz=tuple(map(row, work.dz)), dw=tuple(dws),
                     db=tuple(map(row, work.dz)), unit_masks=tuple(map(row, masks.units)),
                     weight_masks=tuple(map(row, masks.weights)))

    def update_info(self, work: Work) -> UpdateInfo:
        u = self.last
        step_w, step_b = self.layout.unflatten(frozen(self.state.x - self.before))
        return UpdateInfo(rule=self.opt.name, formula=self.opt.formula, lr=self.opt.lr,
                          examples=frozen(self.data.train_index[self.idx]),
                          gradient_w=tuple(map(frozen, work.dw)),
                          gradient_b=tuple(map(frozen, work.db)),
                          step_w=step_w, step_b=step_b, terms=u.terms)


def _largest(arrays, layers=None) -> tuple[int, int, int]:
    """(layer, i, j) of the entry with the largest magnitude among the given layers' arrays."""
    best, where = -1.0, (1, 0, 0)
    for layer in layers or range(1, len(arrays) + 1):
        g = arrays[layer - 1]
        if g is None:
            continue
        i, j = np.unravel_index(int(np.argmax(np.abs(g))), g.shape)
        if abs(g[i, j]) > best:
            best, where = float(abs(g[i, j])), (layer, int(i), int(j))
    return where


def _check_watch(watch, spec: Spec):
    if watch is None:
        return None
    layer, i, j = (int(v) for v in watch)
    if not (1 <= layer <= spec.layers and 0 <= i < spec.sizes[layer - 1]
            and 0 <= j < spec.sizes[layer]):
        raise ValueError(f"there is no weight {watch} in the {spec.text}")
    return layer, i, j


def run(X, y, params: Params, rng: np.random.Generator, *,
        watch: tuple[int, int, int] | None = None) -> Iterator[Step]:
    """Train on points X (n, d) with labels y; ``watch=(layer, i, j)`` picks the weight
    W_layer[i, j] the captions follow (0-based i, j), else the one with the largest
    gradient in each step's layer."""
    validate(params)
    init_rng, split_rng, shuffle_rng, mask_rng = rng.spawn(4)
    data = prepare(X, y, params.test_fraction, params.standardize, split_rng)
    spec = make_spec(params, data.x.shape[1], len(data.classes))
    watch = _check_watch(watch, spec)
    trainer = Trainer(spec, data, rule=params.rule, lr=params.lr, batch_size=params.batch_size,
                      l2=params.l2, dropout=params.dropout, dropconnect=params.dropconnect,
                      theta0=init_weights(spec, params.init, init_rng),
                      shuffle_rng=shuffle_rng, mask_rng=mask_rng)
    index = 0

    def snap(phase, caption, *, layer=None, trace=None, highlight=None, update=None):
        nonlocal index
        ws, bs = trainer.params(trainer.theta if phase in ("forward", "loss", "backward")
                                else None)
        h = trainer.view_history()
        last = h.last()
        metrics = {"epoch": trainer.epoch, "updates": trainer.updates,
                   "train loss": last["train loss"], "train accuracy": last["train accuracy"]}
        if len(data.x_test):
            metrics.update({"test loss": last["test loss"],
                            "test accuracy": last["test accuracy"]})
        step = Step(index=index, phase=phase, caption=caption, metrics=metrics,
                    granularity=params.granularity, spec=spec, epoch=trainer.epoch,
                    batch=trainer.batch, batches=trainer.per_epoch, updates=trainer.updates,
                    layer=layer, weights=ws, biases=bs, trace=trace, highlight=highlight,
                    update=update, history=h, model=trainer.model(),
                    dropout=params.dropout, dropconnect=params.dropconnect)
        index += 1
        return step

    yield snap("init", captions.start(spec, params, data, trainer))
    total = params.epochs * trainer.per_epoch
    granular = params.granularity == "layer"
    while trainer.updates < total:
        for kind, layer, work in trainer.train_batch(granular):
            if kind == "update":
                break
            trace = trainer.trace(work)
            if kind == "backward":
                hl = watch if watch and watch[0] == layer else _largest(trace.dw, [layer])
            elif kind == "forward":
                hl = captions.forward_highlight(trainer, trace, layer, watch)
            else:
                hl = None
            yield snap(kind, captions.sub_step(kind, layer, spec, trainer, trace, hl),
                       layer=layer, trace=trace, highlight=hl)
        if trainer.diverged:
            yield snap("diverged", captions.diverged(trainer))
            return
        epoch_end = trainer.epoch_done()
        if params.granularity == "epoch" and not epoch_end:
            continue
        trainer.record()
        trace = trainer.trace(work)
        hl = watch or _largest(work.dw)
        info = trainer.update_info(work)
        done = trainer.updates >= total
        phase = "done" if done else {"layer": "update"}.get(params.granularity,
                                                           params.granularity)
        yield snap(phase, captions.update(params.granularity, spec, trainer, trace, hl, info,
                                          done), trace=trace, highlight=hl, update=info)
