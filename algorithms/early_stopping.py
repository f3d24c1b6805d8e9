"""Early stopping: gradient descent on a high-degree polynomial, watched on validation points.

Full-batch gradient descent minimises the training MSE, L(w) = mean((Xw − y)²), starting
from the flat line at the mean of y (every weight 0 but the intercept, which is ȳ, so a
large offset in y costs no epochs):
w ← w − η·∇L with ∇L = 2·Xᵀ(Xw − y)/n. One update is one epoch (every training point is
used once). Early in training the large, smooth parts of the curve are learnt first; later
the updates chase the noise and the validation loss turns upward. With patience P, training
stops at the first epoch that is P epochs after the best validation loss so far (a new best
must be strictly lower), and the weights of that best epoch are restored.

Gradient descent is stable while η < 1/λ_max, λ_max the largest eigenvalue of XᵀX/n (the
loss's curvature is twice that); a larger η makes the loss explode, and the run says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from algorithms import polyfit
from algorithms.base import Snapshot, frozen, num, param, plural, validate
from algorithms.optimizers import Trail
from algorithms.polyfit import Problem

DIVERGED = 1e8   # the training loss this many times its start (and above 1) means divergence


@dataclass(frozen=True)
class Params:
    degree: int = param(15, limits=(1, polyfit.MAX_DEGREE))
    lr_share: float = param(0.5, limits=(0.01, 1.5), step=0.05, label="learning rate (× 1/λmax)",
                            tip="the learning rate as a share of the largest stable one, "
                                "1/λmax; above 1 the descent diverges")
    patience: int = param(100, limits=(1, 10_000),
                          tip="stop after this many epochs without a new best validation loss")
    max_epochs: int = param(5000, limits=(1, 100_000), label="most epochs")
    every: int = param(10, limits=(1, 1000), label="epochs per step",
                       tip="how many epochs one step of the animation covers")
    restore: bool = param(True, label="restore the best weights",
                          tip="after stopping, go back to the epoch with the lowest "
                              "validation loss")


@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    epoch: int                     # epochs done so far (0 = the starting weights)
    weights: np.ndarray            # (degree + 1,) the weights shown (restored ones at the end)
    curve: np.ndarray              # (GRID,) the fit of those weights on problem.grid
    train_losses: np.ndarray       # training MSE after every epoch 0 … epoch (shared buffer)
    val_losses: np.ndarray         # validation MSE after every epoch 0 … epoch
    weight_history: np.ndarray     # (epoch + 1, degree + 1): the fit at any epoch is
                                   # problem.grid_features(degree) @ weight_history[e]
    best_epoch: int                # epoch of the lowest validation loss so far
    best_val: float
    waited: int                    # epochs since best_epoch
    stopped_at: int | None         # the epoch training stopped at, once it has
    restored: bool                 # the weights are the best epoch's, restored
    converged_curve: np.ndarray    # (GRID,) least-squares fit: where descent would end
    lr_limit: float                # 1/λ_max: the largest stable learning rate
    lr: float                      # the learning rate used, lr_share × lr_limit


class Patience:
    """Tracks the best loss; says stop once `patience` epochs pass without a new best."""

    def __init__(self, patience: int):
        self.patience = patience
        self.best = math.inf
        self.best_epoch = 0
        self.waited = 0

    def update(self, epoch: int, loss: float) -> bool:
        if loss < self.best:
            self.best, self.best_epoch = loss, epoch
        self.waited = epoch - self.best_epoch
        return self.waited >= self.patience


def stopping_epoch(val_losses: Sequence[float], patience: int) -> tuple[int | None, int]:
    """(epoch training stops at, or None if it never does; best epoch) for losses of epochs
    0, 1, 2, …"""
    watch = Patience(patience)
    for epoch, loss in enumerate(val_losses):
        if watch.update(epoch, float(loss)):
            return epoch, watch.best_epoch
    return None, watch.best_epoch


def run(problem: Problem, params: Params,
        rng: np.random.Generator | None = None) -> Iterator[Step]:
    """Yield the start, one step per `every` epochs, the stop, and the restored weights.

    Descent starts from the flat line at ȳ and draws no random numbers; ``rng`` is accepted so every
    run is called alike.
    """
    validate(params)
    X = problem.features(problem.train, params.degree)
    y = problem.y[problem.train]
    Xv, yv = problem.features(problem.val, params.degree), problem.y[problem.val]
    n = len(y)
    G, c = X.T @ X / n, X.T @ y / n
    lam_max = float(np.linalg.eigvalsh(G)[-1])
    limit = 1.0 / lam_max
    lr = params.lr_share * limit
    grid_X = problem.grid_features(params.degree)
    converged = frozen(grid_X @ polyfit.lstsq(X, y))
    w = np.zeros(params.degree + 1)
    w[0] = float(np.mean(y))      # φ₀ = 1, so this is the flat line at the mean
    train, val = Trail(polyfit.mse(X, w, y)), Trail(polyfit.mse(Xv, w, yv))
    history = Trail(w)
    watch = Patience(params.patience)
    watch.update(0, val.view()[-1])
    start_loss = train.view()[-1]
    index = 0

    def snap(phase, epoch, caption, weights, stopped=None, restored=False):
        nonlocal index
        tl, vl = train.view(), val.view()
        shown = watch.best_epoch if restored else epoch   # the epoch whose weights are shown
        step = Step(index=index, phase=phase, caption=caption,
                    metrics={"epoch": epoch, "training loss": float(tl[shown]),
                             "validation loss": float(vl[shown]), "best epoch": watch.best_epoch},
                    epoch=epoch, weights=frozen(weights), curve=frozen(grid_X @ weights),
                    train_losses=tl, val_losses=vl, weight_history=history.view(),
                    best_epoch=watch.best_epoch, best_val=watch.best, waited=watch.waited,
                    stopped_at=stopped, restored=restored, converged_curve=converged,
                    lr_limit=limit, lr=lr)
        index += 1
        return step

    stable = "stable" if lr < limit else "too large: expect divergence"
    yield snap("start", 0, f"Degree {params.degree}: the flat line at the mean of y "
               f"({num(w[0])}), every other weight 0. Learning rate η = "
               f"{num(lr)}, {num(params.lr_share)} × the largest stable one, 1/λmax = "
               f"{num(limit)} ({stable}); "
               f"patience {plural(params.patience, 'epoch')}.", w)
    stopped = None
    for epoch in range(1, params.max_epochs + 1):
        with np.errstate(all="ignore"):
            w = w - lr * 2.0 * (G @ w - c)
            tl, vl = polyfit.mse(X, w, y), polyfit.mse(Xv, w, yv)
        if not (math.isfinite(tl) and math.isfinite(vl)
                and tl <= DIVERGED * max(start_loss, 1.0)):
            yield snap("diverged", epoch - 1, f"Epoch {epoch}: the training loss exploded — "
                       f"learning rate {num(lr)} is above the stable limit "
                       f"{num(limit)}. Lower it below 1 × 1/λmax and run again.",
                       history.view()[-1])
            return
        train.append(tl)
        val.append(vl)
        history.append(w)
        stop = watch.update(epoch, vl)
        if stop:
            stopped = epoch
            yield snap("stop", epoch, f"Epoch {epoch}: {plural(params.patience, 'epoch')} "
                       f"without beating the best validation loss {num(watch.best)} (epoch "
                       f"{watch.best_epoch}), so training stops here. Training loss "
                       f"{num(tl)}, validation loss {num(vl)}.", w, stopped)
            break
        if epoch % params.every == 0 or epoch == params.max_epochs:
            phase = "limit" if epoch == params.max_epochs else "train"
            caption = (f"Epoch {epoch}: training loss {num(tl)}, validation loss {num(vl)}; "
                       f"best validation loss {num(watch.best)} at epoch {watch.best_epoch} "
                       f"({plural(watch.waited, 'epoch')} ago).")
            if phase == "limit":
                caption += (f" Reached the {plural(params.max_epochs, 'epoch')} allowed before "
                            "patience ran out.")
            yield snap(phase, epoch, caption, w)
    if params.restore:
        best = watch.best_epoch
        weights = history.view()[best]
        last = len(history) - 1
        if best == last:
            caption = (f"The last epoch, {last}, has the lowest validation loss "
                       f"({num(watch.best)}): its weights are kept.")
        else:
            caption = (f"Restored the weights of epoch {best}: validation loss "
                       f"{num(watch.best)} instead of {num(val.view()[-1])} at epoch {last}.")
        yield snap("restore", last, caption, weights, stopped, restored=True)
