"""Logistic regression by full-batch gradient descent, one update per step.

Two classes: p = σ(w·x + b) is the probability of the second class. More classes
(softmax): each class c has a score z_c = w_c·x + b_c and p_c = e^{z_c} / Σ_j e^{z_j}.

The cost is the mean cross-entropy plus an L2 penalty on the weights (not the biases):

    J = mean_i( −log p_{y_i}(x_i) ) + (λ/2)·Σ w²

Its gradient is mean_i((p_i − onehot(y_i)) · (x_i, 1)) plus λ·w for the weights, and each
step moves every parameter by −(learning rate) × its gradient. This is the problem
scikit-learn's LogisticRegression solves with C = 1 / (n·λ) (n training points), so once
converged the weights agree.

Features are used as they are unless ``standardize`` is ticked; then the weights refer to
(x − mean) / std of the training points, and the model maps new points the same way.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from algorithms.base import Snapshot, frozen, num, param, validate
from algorithms.labelled import LabelledData, Scaling, scaling_for, scores

# A run whose cost climbs this many times above where it started has diverged: on a convex
# cost that happens only when every step overshoots.
DIVERGED = 1e6
FEATURES = ("x₁", "x₂")


@dataclass(frozen=True)
class Params:
    lr: float = param(0.1, limits=(1e-4, 100.0), step=0.05, label="learning rate η",
                      tip="how far each update moves against the gradient")
    l2: float = param(0.01, limits=(0.0, 10.0), step=0.001, label="L2 strength λ",
                      tip="penalty (λ/2)·Σw² on the weights: larger keeps them small and the "
                          "boundary soft (scikit-learn's C = 1 / (n·λ))")
    updates: int = param(500, limits=(1, 100_000), label="updates",
                         tip="stop after this many gradient updates")
    tol: float = param(1e-6, limits=(0.0, 1.0), step=1e-6, label="tolerance",
                       tip="stop once no parameter changes by more than this in an update")
    standardize: bool = param(False, label="standardise features",
                              tip="fit on (x − mean) / std of the training points; off, the "
                                  "raw features may need a small learning rate")


@dataclass(frozen=True, eq=False)
class LogisticModel:
    """Weights W (m, d) and biases b (m,), m = 1 for two classes (the score of the second
    class) or m = C for softmax. ``predict_proba`` columns follow ``classes``."""

    W: np.ndarray
    b: np.ndarray
    classes: np.ndarray
    scaling: Scaling = field(default_factory=Scaling.none)

    @property
    def binary(self) -> bool:
        return len(self.W) == 1

    def decision_function(self, X) -> np.ndarray:
        """Scores: (n,) for two classes (positive → the second), else (n, C)."""
        X = self.scaling.apply(np.atleast_2d(np.asarray(X, dtype=np.float64)))
        # two features: sum the products per feature (no BLAS call, which stalls when the
        # other core is busy)
        Z = X[:, 0, None] * self.W[:, 0] + X[:, 1, None] * self.W[:, 1] + self.b
        return Z[:, 0] if self.binary else Z

    def predict_proba(self, X) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            Z = self.decision_function(X)
            if self.binary:
                p = sigmoid(Z)
                return np.column_stack([1.0 - p, p])
            return softmax(Z)

    def predict(self, X) -> np.ndarray:
        return self.classes[np.argmax(self.predict_proba(X), axis=1)]

    def in_data_units(self) -> tuple[np.ndarray, np.ndarray]:
        """(W, b) acting on unscaled points: the same scores, for drawing w·x + b = 0."""
        W = self.W / self.scaling.scale
        return W, self.b - W @ self.scaling.mean


def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))   # the tanh form never overflows


def softmax(Z):
    Z = Z - Z.max(axis=1, keepdims=True)
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


def cost(W, b, X, codes, l2) -> tuple[float, float]:
    """(mean cross-entropy, penalty) at W, b; codes index the classes (0 … C−1)."""
    with np.errstate(over="ignore", invalid="ignore"):
        Z = X @ W.T + b
        if len(W) == 1:
            z = Z[:, 0]
            data = float(np.mean(np.logaddexp(0.0, z) - codes * z))
        else:
            top = Z.max(axis=1)
            lse = top + np.log(np.exp(Z - top[:, None]).sum(axis=1))
            data = float(np.mean(lse - Z[np.arange(len(Z)), codes]))
    return data, 0.5 * l2 * float((W * W).sum())


def gradient(W, b, X, codes, l2) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(over="ignore", invalid="ignore"):
        Z = X @ W.T + b
        if len(W) == 1:
            R = (sigmoid(Z[:, 0]) - codes)[:, None]
        else:
            R = softmax(Z)
            R[np.arange(len(R)), codes] -= 1.0
    return R.T @ X / len(X) + l2 * W, R.mean(axis=0)


@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    model: LogisticModel     # the classifier after this step (shade regions with it)
    iteration: int           # updates made so far
    loss: float              # cost J after this step: cross-entropy + penalty
    losses: np.ndarray       # J after every step so far (init first)
    gradient_W: np.ndarray   # (m, d) ∂J/∂W at the weights before this update (zeros at init)
    gradient_b: np.ndarray   # (m,)
    change: float            # largest |change| of any parameter in this update
    changed: str             # which parameter that was, in words ("" at init)


def run(data: LabelledData, params: Params,
        rng: np.random.Generator | None = None) -> Iterator[Step]:
    """Start from all-zero weights and take one gradient update per step.

    Ends with a "converged" step once no parameter moves by more than ``tol``, "stopped"
    at the update limit, or "diverged" if the cost blows up. ``rng`` is unused (the start
    is always zero, so runs are reproducible); it is accepted for the contract.
    """
    validate(params)
    scaling = scaling_for(data.X_train, params.standardize)
    X = scaling.apply(data.X_train)
    classes = np.unique(data.y_train)
    codes = np.searchsorted(classes, data.y_train)
    C, d = len(classes), X.shape[1]
    m = 1 if C == 2 else C
    W, b = np.zeros((m, d)), np.zeros(m)
    history = np.empty(params.updates + 2)   # written once each, shared as read-only views
    names = [data.name(c) for c in classes]
    index = 0

    def snap(phase, caption, loss, parts, gW, gb, change, changed, iteration):
        nonlocal index
        history[index] = loss
        losses = history[:index + 1].view()
        losses.flags.writeable = False
        model = LogisticModel(frozen(W), frozen(b), frozen(classes), scaling)
        metrics = {"update": iteration, "loss": loss, "cross-entropy": parts[0],
                   "penalty": parts[1], "largest change": change,
                   "gradient size": float(np.sqrt((gW * gW).sum() + (gb * gb).sum()))}
        if all(math.isfinite(v) for v in (*W.ravel(), *b)):
            metrics.update(scores(model, data))
        step = Step(index=index, phase=phase, caption=caption,
                    metrics={k: v for k, v in metrics.items() if math.isfinite(v)},
                    model=model, iteration=iteration, loss=loss, losses=losses,
                    gradient_W=frozen(gW), gradient_b=frozen(gb), change=change,
                    changed=changed)
        index += 1
        return step

    def describe(row, col):
        whose = f" for class {names[row if m > 1 else 1]}"
        return (f"the bias{whose}" if col == d else f"the weight of {FEATURES[col]}{whose}")

    parts = cost(W, b, X, codes, params.l2)
    start = sum(parts)
    kind = (f"softmax over {C} classes" if m > 1
            else f"two classes: p({names[1]}) = σ(w·x + b)")
    scaled = "standardised" if params.standardize else "raw (not standardised)"
    yield snap("init", f"All weights start at 0, so every class is equally likely: loss "
               f"{num(start)} ({kind}; {scaled} features; learning rate {num(params.lr)}, "
               f"λ = {num(params.l2)}).", start, parts, np.zeros_like(W), np.zeros_like(b),
               0.0, "", 0)

    loss = start
    for iteration in range(1, params.updates + 1):
        gW, gb = gradient(W, b, X, codes, params.l2)
        step_W, step_b = -params.lr * gW, -params.lr * gb
        W, b = W + step_W, b + step_b
        moves = np.abs(np.column_stack([step_W, step_b]))
        with np.errstate(invalid="ignore"):
            row, col = np.unravel_index(np.argmax(np.nan_to_num(moves, nan=np.inf)),
                                        moves.shape)
        change = float(moves[row, col])
        changed = describe(row, col)
        before = loss
        parts = cost(W, b, X, codes, params.l2)
        loss = sum(parts)
        if not math.isfinite(loss) or loss > DIVERGED * max(start, 1e-12):
            grew = "overflowed" if not math.isfinite(loss) else f"grew to {num(loss)}"
            yield snap("diverged", f"Update {iteration}: the loss {grew}, so the run stops: "
                       f"a learning rate of {num(params.lr)} overshoots on these features. Try "
                       f"a smaller one, or standardise the features.", loss, parts, gW, gb,
                       change, changed, iteration)
            return
        trend = ("unchanged" if loss == before else
                 f"{'down' if loss < before else 'up'} {num(abs(loss - before), 3)}")
        caption = (f"Update {iteration}: loss {num(loss)} ({trend}); largest change "
                   f"{num(change, 3)}, in {changed}.")
        if change <= params.tol:
            yield snap("converged", caption + f" No parameter moved more than {num(params.tol)}:"
                       " converged.", loss, parts, gW, gb, change, changed, iteration)
            return
        phase = "update" if iteration < params.updates else "stopped"
        if phase == "stopped":
            caption += " That was the last update allowed; the run stops here."
        yield snap(phase, caption, loss, parts, gW, gb, change, changed, iteration)


def final(data: LabelledData, params: Params) -> Step:
    """Run to the end and return the last step."""
    last = None
    for last in run(data, params):  # noqa: B007 - we want the last one
        pass
    return last
