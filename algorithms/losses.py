"""Loss functions with their gradients, and three lines fitted side by side under L1, L2, Huber.

Every loss is given per example (no mean taken) together with its gradient with respect to
the prediction, in closed form:

- residual losses of r = ŷ − y: L1 = |r|, L2 = ½·r² (the ½ makes its gradient r itself),
  Huber(δ) = ½·r² for |r| ≤ δ and δ·(|r| − ½·δ) beyond: L2 near zero, δ·L1 far out;
- cross-entropy from probabilities (clipped to [ε, 1 − ε], ε = 1e-12, so log never sees 0)
  and from logits (log-sum-exp form, finite at logits of ±1000);
- hinge max(0, 1 − y·s) for labels y in {−1, +1}.

At a kink (|r| at 0, hinge at margin 1) the gradient given is 0 on the flat side's value.

``run`` fits y ≈ w·x + b by gradient descent under L1, L2 and Huber at once: one step is one
update of each, and the snapshot carries each point's pull on each line, so a panel can show
why one far outlier swings the L2 line and barely moves the L1 one.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from algorithms.activations import sigmoid, softmax
from algorithms.base import Snapshot, frozen, num, param, validate
from algorithms.optimizers import GradientDescent, Trail

EPS = 1e-12  # probabilities are clipped to [EPS, 1 − EPS] before a log


def _arr(v) -> np.ndarray:
    return np.asarray(v, dtype=float)


# --- residual losses ----------------------------------------------------------------------

def l1(pred, target) -> np.ndarray:
    return np.abs(_arr(pred) - _arr(target))


def l1_gradient(pred, target) -> np.ndarray:
    """∂|r|/∂ŷ = sign(r), 0 at r = 0."""
    return np.sign(_arr(pred) - _arr(target))


def l2(pred, target) -> np.ndarray:
    r = _arr(pred) - _arr(target)
    return 0.5 * r * r


def l2_gradient(pred, target) -> np.ndarray:
    return _arr(pred) - _arr(target)


def _check_delta(delta: float) -> float:
    d = float(delta)
    if not (math.isfinite(d) and d > 0):
        raise ValueError(f"Huber's δ must be a positive number, got {delta}")
    return d


def huber(pred, target, delta: float = 1.0) -> np.ndarray:
    d = _check_delta(delta)
    a = np.abs(_arr(pred) - _arr(target))
    return np.where(a <= d, 0.5 * a * a, d * (a - 0.5 * d))


def huber_gradient(pred, target, delta: float = 1.0) -> np.ndarray:
    """r clipped to [−δ, δ]: the pull of a far point never exceeds δ."""
    d = _check_delta(delta)
    return np.clip(_arr(pred) - _arr(target), -d, d)


# --- cross-entropy ------------------------------------------------------------------------

def binary_cross_entropy(p, y) -> np.ndarray:
    """−[y·log p + (1 − y)·log(1 − p)], p clipped to [ε, 1 − ε]."""
    p = np.clip(_arr(p), EPS, 1 - EPS)
    y = _arr(y)
    return -(y * np.log(p) + (1 - y) * np.log1p(-p))


def binary_cross_entropy_gradient(p, y) -> np.ndarray:
    """∂/∂p = (p − y) / (p·(1 − p)), at the clipped p."""
    p = np.clip(_arr(p), EPS, 1 - EPS)
    return (p - _arr(y)) / (p * (1 - p))


def binary_cross_entropy_logits(z, y) -> np.ndarray:
    """The same loss of p = σ(z), written log(1 + eᶻ) − y·z: no σ, no log of 0."""
    z = _arr(z)
    return np.logaddexp(0.0, z) - _arr(y) * z


def binary_cross_entropy_logits_gradient(z, y) -> np.ndarray:
    """∂/∂z = σ(z) − y."""
    return sigmoid(z) - _arr(y)


def categorical_cross_entropy(p, y) -> np.ndarray:
    """−Σ_c y_c·log p_c over the last axis (y one-hot, or any distribution), p clipped."""
    return -(_arr(y) * np.log(np.clip(_arr(p), EPS, 1.0))).sum(axis=-1)


def categorical_cross_entropy_gradient(p, y) -> np.ndarray:
    """∂/∂p_c = −y_c / p_c, at the clipped p."""
    return -_arr(y) / np.clip(_arr(p), EPS, 1.0)


def log_sum_exp(z, axis: int = -1) -> np.ndarray:
    """log Σ e^z along ``axis``, from the largest z (classes first: see activations.softmax)."""
    zt = np.ascontiguousarray(np.moveaxis(_arr(z), axis, 0))
    top = zt.max(axis=0)
    return top + np.log(np.exp(zt - top).sum(axis=0))


def categorical_cross_entropy_logits(z, y) -> np.ndarray:
    """−Σ y·log softmax(z) = log Σ e^z − Σ y·z (Σ y = 1): finite for any finite z."""
    y = _arr(y)
    return log_sum_exp(z) * y.sum(axis=-1) - (y * _arr(z)).sum(axis=-1)


def categorical_cross_entropy_logits_gradient(z, y) -> np.ndarray:
    """∂/∂z = softmax(z)·Σ y − y, which is softmax(z) − y for labels that sum to 1."""
    y = _arr(y)
    return softmax(z) * y.sum(axis=-1, keepdims=True) - y


# --- hinge --------------------------------------------------------------------------------

def hinge(score, y) -> np.ndarray:
    """max(0, 1 − y·s) for labels y in {−1, +1}."""
    return np.maximum(0.0, 1.0 - _arr(y) * _arr(score))


def hinge_gradient(score, y) -> np.ndarray:
    """∂/∂s = −y where the margin y·s is below 1, else 0."""
    y = _arr(y)
    return np.where(y * _arr(score) < 1, -y, 0.0)


# --- curves for the "loss as a function of one number" view -------------------------------

@dataclass(frozen=True)
class Curve:
    name: str
    variable: str        # what the horizontal axis is
    formula: str
    gradient_formula: str
    value: Callable[[np.ndarray], np.ndarray]
    gradient: Callable[[np.ndarray], np.ndarray]


def curves(delta: float = 1.0) -> dict[str, Curve]:
    """Each loss as a function of a single number, with its gradient, for plotting."""
    zero = 0.0
    return {
        "L1": Curve("L1", "residual r = ŷ − y", "|r|", "sign(r)",
                    lambda r: l1(r, zero), lambda r: l1_gradient(r, zero)),
        "L2": Curve("L2", "residual r = ŷ − y", "½·r²", "r",
                    lambda r: l2(r, zero), lambda r: l2_gradient(r, zero)),
        "Huber": Curve("Huber", "residual r = ŷ − y",
                       f"½·r² if |r| ≤ {delta:g}, else {delta:g}·(|r| − {delta / 2:g})",
                       f"r clipped to ±{delta:g}",
                       lambda r: huber(r, zero, delta), lambda r: huber_gradient(r, zero, delta)),
        "cross-entropy": Curve("cross-entropy", "predicted probability p of the true class",
                               "−Σ y_c·log p_c = −log p", "−1/p",
                               lambda p: categorical_cross_entropy(_arr(p)[..., None], 1.0),
                               lambda p: categorical_cross_entropy_gradient(p, 1.0)),
        "hinge": Curve("hinge", "score s of a y = +1 example", "max(0, 1 − s)",
                       "−1 if s < 1, else 0",
                       lambda s: hinge(s, 1.0), lambda s: hinge_gradient(s, 1.0)),
    }


# --- three lines fitted side by side ------------------------------------------------------

FITS = ("L1", "L2", "Huber")
DIVERGED = 1e6   # a fit whose mean loss grows this many times above its start has diverged


@dataclass(frozen=True)
class Params:
    delta: float = param(1.0, limits=(1e-3, 100.0), step=0.1, label="Huber δ",
                         tip="residuals beyond δ pull with a constant force δ")
    lr: float = param(0.02, limits=(1e-5, 5.0), step=0.01, label="learning rate η")
    decay: bool = param(True, label="η shrinks as 1/√t",
                        tip="L1's gradient never shrinks near the answer: with a constant η "
                            "its line keeps jittering around it")
    updates: int = param(2000, limits=(1, 100_000), label="updates")
    w0: float = param(0.0, limits=(-100.0, 100.0), label="start w")
    b0: float = param(0.0, limits=(-100.0, 100.0), label="start b")


@dataclass(frozen=True, kw_only=True)
class LineFit:
    """One loss's line after the latest update; every array is read-only."""

    name: str                 # "L1", "L2" or "Huber"
    point: np.ndarray         # (2,): (w, b)
    path: np.ndarray          # (k + 1, 2): (w, b) at the start and after each update
    loss: float               # mean loss over the points
    losses: np.ndarray        # (k + 1,)
    gradient: np.ndarray      # (2,): ∂(mean loss)/∂(w, b) at `point`: the next update's −step/η
    residuals: np.ndarray     # (n,): r = w·x + b − y
    pull: np.ndarray          # (n,): −ψ(r), each point's vertical pull on the line (+ = up)
    diverged_at: int | None


@dataclass(frozen=True, kw_only=True)
class LossStep(Snapshot):
    update: int
    lr: float                 # η used by this update (it shrinks when `decay` is on)
    fits: Mapping[str, LineFit]


def residual_gradient(name: str, r: np.ndarray, delta: float) -> np.ndarray:
    """ψ(r) = ∂loss/∂ŷ for one of FITS."""
    if name == "L1":
        return l1_gradient(r, 0.0)
    if name == "L2":
        return l2_gradient(r, 0.0)
    return huber_gradient(r, 0.0, delta)


def mean_loss(name: str, r: np.ndarray, delta: float) -> float:
    values = {"L1": l1, "L2": l2}[name](r, 0.0) if name != "Huber" else huber(r, 0.0, delta)
    return float(values.sum() / len(values))


class _Fit:
    def __init__(self, name, x, y, delta, start):
        self.name, self.x, self.y, self.delta = name, x, y, delta
        self.state = GradientDescent(1.0).init(start)
        self.path = Trail(self.state.x)
        r = self._residuals(self.state.x)
        self.losses = Trail(mean_loss(name, r, delta))
        self.limit = DIVERGED * max(self.losses.view()[0], mean_loss(name, y, delta), 1e-12)
        self.diverged_at: int | None = None
        self.view = self._emit(r)

    def _residuals(self, p):
        return p[0] * self.x + p[1] - self.y

    def _emit(self, r) -> LineFit:
        psi = residual_gradient(self.name, r, self.delta)
        n = len(r)
        self.grad = frozen([psi @ self.x / n, psi.sum() / n])  # what the next update uses
        return LineFit(name=self.name, point=self.state.x, path=self.path.view(),
                       loss=float(self.losses.view()[-1]), losses=self.losses.view(),
                       gradient=self.grad, residuals=frozen(r), pull=frozen(-psi),
                       diverged_at=self.diverged_at)

    def advance(self, k: int, lr: float) -> None:
        if self.diverged_at is not None:
            return
        with np.errstate(all="ignore"):
            state, _ = GradientDescent(lr).step(self.state, lambda _p: self.grad)
            r = self._residuals(state.x)
            loss = mean_loss(self.name, r, self.delta)
        if not (np.isfinite(state.x).all() and math.isfinite(loss) and loss <= self.limit):
            self.diverged_at = k
            self.view = dataclasses.replace(self.view, diverged_at=k)
            return
        self.state = state
        self.path.append(state.x)
        self.losses.append(loss)
        self.view = self._emit(r)


def _check_data(x, y):
    x, y = _arr(x).ravel(), _arr(y).ravel()
    if len(x) != len(y) or len(x) < 2:
        raise ValueError(f"x and y need the same length, at least 2; got {len(x)} and {len(y)}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("x and y contain NaN or infinite values")
    if np.ptp(x) == 0:
        raise ValueError("all x values are equal, so no line through them has a slope to fit")
    if max(np.abs(x).max(), np.abs(y).max()) > 1e100:
        raise ValueError("values above 1e100 would overflow the squared loss; rescale the data")
    return x, y


def run(x, y, params: Params, rng: np.random.Generator | None = None) -> Iterator[LossStep]:
    """Yield the start, then one snapshot per update of all three lines (no randomness used)."""
    validate(params)
    x, y = _check_data(x, y)
    fits = [_Fit(name, x, y, params.delta, (params.w0, params.b0)) for name in FITS]
    start = (f"Start: all three lines at w = {num(params.w0)}, b = {num(params.b0)}. "
             f"Mean losses: " + ", ".join(f"{f.name} {num(f.view.loss)}" for f in fits) + ".")
    yield _snapshot(fits, 0, "start", params.lr, start)
    for k in range(1, params.updates + 1):
        lr = params.lr / math.sqrt(k) if params.decay else params.lr
        for f in fits:
            f.advance(k, lr)
        done = k == params.updates or all(f.diverged_at is not None for f in fits)
        yield _snapshot(fits, k, "done" if done else "update", lr, _caption(fits, k, lr))
        if done:
            return


def _caption(fits, k, lr) -> str:
    lines = [f"Update {k}: (w, b) ← (w, b) − η·∂L/∂(w, b), η = {num(lr, 3)}."]
    for f in fits:
        v = f.view
        if v.diverged_at is not None:
            lines.append(f"{f.name}: diverged at update {v.diverged_at} — learning rate too "
                         f"large?")
            continue
        far = int(np.argmax(np.abs(v.residuals)))
        lines.append(f"{f.name}: w = {num(v.point[0], 3)}, b = {num(v.point[1], 3)}, "
                     f"loss {num(v.loss)}; the farthest point (residual "
                     f"{num(v.residuals[far], 3)}) pulls with {num(abs(v.pull[far]), 3)}")
    return "\n".join(lines)


def _snapshot(fits, k, phase, lr, caption) -> LossStep:
    metrics = {f"{f.name} loss": f.view.loss for f in fits}
    return LossStep(index=k, phase=phase, caption=caption, metrics=metrics, update=k, lr=lr,
                    fits=MappingProxyType({f.name: f.view for f in fits}))
