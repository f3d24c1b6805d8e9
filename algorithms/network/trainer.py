"""The mutable side of training: the data prepared once, and a Trainer that steps one network.

A Trainer owns the optimizer state (one flat vector for every W_l and b_l, see ``Layout``),
the batch order and the masks; everything it hands out is read-only, so snapshots can
share it. ``training.run`` drives one Trainer stepwise; the side-by-side runs in
``regularise`` and ``pruning`` drive several, an epoch at a time.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from algorithms.activations import softmax
from algorithms.base import frozen
from algorithms.network.layers import (
    Arrays,
    Layout,
    Masks,
    MaybeArrays,
    Model,
    Spec,
    Work,
    forward,
    output_gradient,
    pass_steps,
    sample_masks,
)
from algorithms.optimizers import OPTIMIZERS, State, Trail, Update

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
        # errstate is entered around each sub-step, never across a yield: a generator left
        # mid-batch may be closed later from another thread, where leaving it would fail
        sub_steps = pass_steps(self.spec, ws, bs, x, t, self.masks, self.keep, self.l2)
        while True:
            with np.errstate(all="ignore"):
                item = next(sub_steps, None)
            if item is None:
                break
            kind, layer, work = item
            if granular:
                yield kind, layer, work
        with np.errstate(all="ignore"):
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


