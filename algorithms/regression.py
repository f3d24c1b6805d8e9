"""Batch, stochastic and mini-batch gradient descent fitting a line (w, b) to data.

Linear regression minimises ½·mean((w·x + b − y)²); logistic regression minimises the mean
log loss of p = σ(w·x + b) for labels y in {0, 1}. The input x is one feature, so the two
parameters can be drawn as a path over the loss contour. All three methods step in
lockstep: every snapshot is one parameter update of each method, and the update rules are
the optimizers of ``algorithms.optimizers``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from algorithms.base import Snapshot, frozen, num, param, validate
from algorithms.optimizers import Adam, GradientDescent, Momentum, Optimizer, Trail

TASKS = ("linear", "logistic")
METHODS = {"batch": "batch", "sgd": "SGD", "minibatch": "mini-batch"}
RULES = ("plain", "momentum", "adam")
LOSS_TEXT = {"linear": "loss = ½·mean((w·x + b − y)²)",
             "logistic": "loss = mean(log(1 + eᶻ) − y·z),  z = w·x + b,  p = σ(z)"}
TRUE_LINE = (1.5, -1.0)        # w, b behind the generated linear data
CLASS_CENTRES = (1.0, 3.0)     # where the generated classes 0 and 1 sit on the x axis
# A run whose full-data loss grows this many times above its scale (the larger of the loss
# at the start and at w = b = 0) is called diverged: on a convex loss that only happens
# when every step overshoots, and waiting for an overflow would take hundreds of updates.
DIVERGED = 1e6


@dataclass(frozen=True)
class Data:
    """What to fit: the task and, for generated data, its size and noise."""

    task: str = param("linear", values=TASKS, tip="linear: squared loss; logistic: log loss "
                                                  "(y must be 0 or 1; try learning rate 1)")
    n_points: int = param(50, limits=(10, 500), step=1, label="examples",
                          tip="size of the generated data set")
    noise: float = param(1.0, limits=(0.05, 3.0), step=0.05,
                         tip="linear: spread of y around the line; "
                             "logistic: spread of each class around its centre")


@dataclass(frozen=True)
class Params:
    """How to fit: which methods run, their update rule, the preprocessing and the start."""

    batch: bool = param(True, label="batch", tip="every update uses all examples")
    sgd: bool = param(True, label="stochastic (SGD)", tip="every update uses one example")
    minibatch: bool = param(True, label="mini-batch", tip="every update uses a few examples")
    batch_size: int = param(8, limits=(1, 500), step=1, label="mini-batch size",
                            when=("minibatch", (True,)))
    rule: str = param("plain", values=RULES, label="update rule",
                      tip="how a gradient becomes a step; the same for every method")
    lr: float = param(0.1, limits=(1e-4, 5.0), step=0.01, label="learning rate η")
    momentum: float = param(0.9, limits=(0.0, 0.99), step=0.01, label="momentum γ",
                            when=("rule", ("momentum",)), tip="how much velocity is kept")
    updates: int = param(300, limits=(1, 10000), label="updates")
    standardize: bool = param(False, label="standardise x",
                              tip="replace x by (x − mean)/std before fitting; "
                                  "(w, b) then refer to the standardised feature")
    w0: float = param(-2.0, limits=(-20.0, 20.0), label="start w")
    b0: float = param(3.0, limits=(-20.0, 20.0), label="start b")


def make_data(task: str, n: int, noise: float, rng: np.random.Generator):
    """A seeded toy data set: x of shape (n, 1) and y of shape (n,).

    linear: x ~ U(0, 4), y = 1.5·x − 1 + noise·N(0, 1).
    logistic: y ~ Bernoulli(½), x = (1 if y = 0 else 3) + noise·N(0, 1).
    """
    if task == "linear":
        x = rng.uniform(0.0, 4.0, n)
        y = TRUE_LINE[0] * x + TRUE_LINE[1] + noise * rng.standard_normal(n)
    elif task == "logistic":
        if noise <= 0:
            raise ValueError("logistic data needs noise > 0, or the classes never overlap")
        y = rng.integers(0, 2, n).astype(float)
        x = np.where(y == 1, CLASS_CENTRES[1], CLASS_CENTRES[0]) + noise * rng.standard_normal(n)
    else:
        raise ValueError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    return x[:, None], y


LARGEST = 1e100  # beyond this a square (or a product of two values) may overflow


def check_data(x, y, task: str) -> None:
    """Raise ValueError, in one sentence for the user, when (x, y) cannot be fitted."""
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    if len(y) != len(x) or len(y) == 0:
        raise ValueError(f"x and y need the same, non-zero length, got {len(x)} and {len(y)}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("x and y must be finite numbers (no NaN or infinity)")
    big = max(float(np.abs(x).max()), float(np.abs(y).max()))
    if big > LARGEST:
        raise ValueError(f"values as large as {num(big, 2)} overflow when squared; divide the "
                         "columns by a power of ten first")
    if 0 < big < 1 / LARGEST:
        raise ValueError(f"values no larger than {num(big, 2)} vanish when squared; multiply "
                         "the columns by a power of ten first")
    if task == "logistic" and not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("logistic regression needs labels 0 and 1")


def features(x, params: Params):
    """The feature actually fitted, shape (n,), and (mean, std) when it was standardised."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 2 and x.shape[1] != 1:
        raise ValueError(f"x must have a single feature column, got shape {x.shape}")
    x = x.ravel()
    if not params.standardize:
        return x, None
    mean, std = float(x.mean()), float(x.std())
    if std == 0:
        raise ValueError("cannot standardise a feature whose values are all equal")
    return (x - mean) / std, (mean, std)


def sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))  # the tanh form never overflows


def loss(task: str, p, x, y) -> float:
    w, b = p
    z = w * x + b
    if task == "linear":
        return float(0.5 * np.mean((z - y) ** 2))
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def gradient(task: str, p, x, y) -> np.ndarray:
    """∂loss/∂(w, b) over the examples given; both losses share the form mean(r·(x, 1))."""
    w, b = p
    z = w * x + b
    r = z - y if task == "linear" else sigmoid(z) - y
    return np.array([np.mean(r * x), np.mean(r)])


def loss_grid(task: str, x, y, ws, bs) -> np.ndarray:
    """Full-data loss on a grid: Z[i, j] = loss at (w = ws[j], b = bs[i]). Pass the fitted x."""
    x, y = np.asarray(x, float).ravel(), np.asarray(y, float)
    w, b = np.asarray(ws, float)[None, :], np.asarray(bs, float)[:, None]
    if task == "linear":
        # Expanding the square about the means leaves five centred moments, so the cost is
        # the grid size. Centred, not raw: with y near 1e8 the raw moments cancel away
        # every digit that matters (the map came out wrong by a factor of 40,000).
        mx, my = x.mean(), y.mean()
        dx, dy = x - mx, y - my
        vx, vy, cxy = (dx * dx).mean(), (dy * dy).mean(), (dx * dy).mean()
        c = w * mx + b - my  # the fitted line's error at the mean x
        return 0.5 * (w**2 * vx - 2 * w * cxy + vy + c**2)
    # mean(y·z) is linear in (w, b); only the softplus term needs every example.
    out = -(w * (x * y).mean() + b * y.mean()) * np.ones((b.shape[0], 1))
    rows = max(1, 2_000_000 // max(1, w.shape[1] * len(x)))  # bound the temporary cube
    for i in range(0, len(out), rows):
        z = w[..., None] * x + b[i:i + rows, :, None]
        out[i:i + rows] += np.logaddexp(0.0, z).mean(axis=-1)
    return out


def best_fit(task: str, x, y) -> np.ndarray | None:
    """The loss minimiser (w, b), or None for logistic data that classes separate perfectly."""
    x, y = np.asarray(x, float).ravel(), np.asarray(y, float)
    design = np.column_stack([x, np.ones_like(x)])
    if task == "linear":
        return np.linalg.lstsq(design, y, rcond=None)[0]
    zeros, ones = x[y == 0], x[y == 1]
    if len(zeros) == 0 or len(ones) == 0 or zeros.max() <= ones.min() or ones.max() <= zeros.min():
        return None  # a threshold splits the classes: the loss keeps falling as |w| grows
    p = np.zeros(2)
    for _ in range(100):  # Newton's method: the log loss is convex and smooth
        prob = sigmoid(design @ p)
        hess = design.T @ (design * (prob * (1 - prob))[:, None]) / len(x)
        grad = design.T @ (prob - y) / len(x)
        try:
            p = p - np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return None
        if np.linalg.norm(grad) < 1e-10:
            return p
    return None


def contour_region(task: str, x, y, start, fit=...) -> tuple[float, float, float, float]:
    """A (wmin, wmax, bmin, bmax) window that shows the start and the best fit with margin.
    Pass `fit` when best_fit(task, x, y) is known already (None included)."""
    pts = [np.asarray(start, float)]
    fit = best_fit(task, x, y) if fit is ... else fit
    if fit is not None and np.all(np.abs(fit) < 1e3):
        pts.append(fit)
    pts = np.array(pts)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = np.maximum(0.4 * (hi - lo), 1.0)
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0]),
            float(lo[1] - pad[1]), float(hi[1] + pad[1]))


@dataclass(frozen=True, kw_only=True)
class MethodState:
    """One method after its latest update; every array is read-only."""

    name: str                  # "batch", "sgd" or "minibatch"
    label: str
    path: np.ndarray           # (k + 1, 2): (w, b) at the start and after each update
    point: np.ndarray          # (2,)
    indices: np.ndarray        # examples used by the latest update, ascending
    epoch: int                 # epoch of the latest update, from 1 (0 before any update)
    update_in_epoch: int       # 1 … updates_per_epoch
    updates_per_epoch: int
    epoch_done: bool           # the latest update finished an epoch
    losses: np.ndarray         # (k + 1,): full-data loss along the path
    epoch_losses: np.ndarray   # full-data loss at the start and after each finished epoch
    gradient: np.ndarray | None
    diverged_at: int | None
    caption: str


@dataclass(frozen=True, kw_only=True)
class FitSnapshot(Snapshot):
    update: int
    task: str
    scaling: tuple[float, float] | None   # (mean, std) of x when standardised
    methods: Mapping[str, MethodState]


def _rule(params: Params) -> Optimizer:
    if params.rule == "momentum":
        return Momentum(params.lr, params.momentum)
    if params.rule == "adam":
        return Adam(params.lr)
    return GradientDescent(params.lr)


def _list(indices: np.ndarray, most: int = 10) -> str:
    shown = ", ".join(str(i) for i in indices[:most])
    return shown + (f", … (+{len(indices) - most} more)" if len(indices) > most else "")


class _Method:
    """Mutable bookkeeping for one method inside ``run``; it only ever emits MethodStates."""

    def __init__(self, key, size, shuffle, opt, gen, x, y, task, start):
        self.key, self.label, self.opt, self.gen = key, METHODS[key], opt, gen
        self.x, self.y, self.task = x, y, task
        self.size, self.shuffle = size, shuffle
        self.per_epoch = math.ceil(len(x) / size)
        self.state = opt.init(start)
        self.path = Trail(self.state.x)
        start_loss = loss(task, self.state.x, x, y)
        self.limit = DIVERGED * max(start_loss, loss(task, (0.0, 0.0), x, y)) or np.inf
        self.losses, self.epoch_losses = Trail(start_loss), Trail(start_loss)
        self.order = np.arange(len(x))
        self.epoch, self.slot = 0, 0          # slot: updates done in the current epoch
        self.diverged_at: int | None = None
        self.view = self._emit(np.array([], dtype=int), None, f"{self.label}: ready")

    def _emit(self, indices, g, caption) -> MethodState:
        return MethodState(
            name=self.key, label=self.label, path=self.path.view(), point=self.state.x,
            indices=frozen(indices), epoch=self.epoch, update_in_epoch=self.slot,
            updates_per_epoch=self.per_epoch, epoch_done=self.slot == self.per_epoch,
            losses=self.losses.view(), epoch_losses=self.epoch_losses.view(),
            gradient=g, diverged_at=self.diverged_at, caption=caption)

    def advance(self, k: int) -> None:
        if self.diverged_at is not None:
            return
        if self.slot in (0, self.per_epoch):  # a new epoch: a fresh order of the examples
            self.epoch, self.slot = self.epoch + 1, 0
            if self.shuffle:
                self.order = self.gen.permutation(len(self.x))
        idx = np.sort(self.order[self.slot * self.size:(self.slot + 1) * self.size])
        xb, yb = self.x[idx], self.y[idx]
        with np.errstate(all="ignore"):
            state, update = self.opt.step(self.state, lambda p: gradient(self.task, p, xb, yb))
            full = loss(self.task, state.x, self.x, self.y)
        self.slot += 1
        if not (np.isfinite(state.x).all() and np.isfinite(full) and full <= self.limit):
            self.diverged_at = k
            self.view = self._emit(idx, update.g, f"{self.label}: diverged at update {k} — "
                                                  "learning rate too large?")
            return
        self.state = state
        self.path.append(state.x)
        self.losses.append(full)
        if self.slot == self.per_epoch:
            self.epoch_losses.append(full)
        if len(idx) == len(self.x):
            used = f"all {len(idx)} examples"
        elif len(idx) == 1:
            used = f"example {idx[0]}"
        else:
            used = f"examples {_list(idx)}"
        done = f"; epoch {self.epoch} done" if self.slot == self.per_epoch else ""
        self.view = self._emit(idx, update.g, f"{self.label}: {used} (epoch {self.epoch}, "
                               f"update {self.slot} of {self.per_epoch}), "
                               f"loss {full:.4g}{done}")


def run(x, y, params: Params, rng: np.random.Generator,
        task: str = "linear") -> Iterator[FitSnapshot]:
    """Yield the start, then one snapshot per parameter update of every chosen method.

    ``task`` picks the loss ("linear" or "logistic"); it is a property of the data, so it
    lives in ``Data`` rather than ``Params``.

    SGD and mini-batch draw a new order of the examples at every epoch from their own
    stream, seeded from ``rng`` for all three methods in a fixed order, so switching one
    method off does not change what the others see.
    """
    validate(params)
    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    check_data(x, y, task)
    xf, scaling = features(x, params)
    y = np.asarray(y, dtype=float).ravel()
    seeds = rng.integers(0, 2**63, size=len(METHODS))
    sizes = {"batch": len(y), "sgd": 1, "minibatch": min(params.batch_size, len(y))}
    start = (params.w0, params.b0)
    methods = [
        _Method(key, sizes[key], key != "batch", _rule(params), np.random.default_rng(seed),
                xf, y, task, start)
        for key, seed in zip(METHODS, seeds, strict=True) if getattr(params, key)
    ]
    if scaling:
        note = f"x standardised: x' = (x − {scaling[0]:.3g}) / {scaling[1]:.3g}"
    else:
        note = "x used as given (not standardised)"
    first = (f"{task} regression, {LOSS_TEXT[task]}; {note}; "
             f"start w = {params.w0:g}, b = {params.b0:g}")
    yield _fit_snapshot(task, scaling, methods, 0, "start", first)
    for k in range(1, params.updates + 1):
        for m in methods:
            m.advance(k)
        done = k == params.updates or all(m.diverged_at is not None for m in methods)
        yield _fit_snapshot(task, scaling, methods, k, "done" if done else "update",
                            "\n".join(m.view.caption for m in methods))
        if done:
            return


def _fit_snapshot(task, scaling, methods, k, phase, caption) -> FitSnapshot:
    metrics = {f"{m.label} loss": float(m.view.losses[-1]) for m in methods}
    views = MappingProxyType({m.key: m.view for m in methods})
    return FitSnapshot(index=k, phase=phase, caption=caption, metrics=metrics, update=k,
                       task=task, scaling=scaling, methods=views)
