"""Ensembles of trees, one member per step: bagging / random forest, AdaBoost, gradient boosting.

- Bagging grows each tree on a bootstrap sample (n draws with replacement); a random forest
  also tries only a random few features at every split. The forest's probabilities are the
  mean of its trees' probabilities, as in scikit-learn.
- AdaBoost (SAMME, multiclass) fits a stump to weighted points, gives it a say
  α = lr·(log((1 − err)/err) + log(K − 1)) and multiplies the weights of the points it got
  wrong by e^α, so the next stump attends to them.
- Gradient boosting with log-loss starts every point at the prior log-odds and adds, each
  round, a shallow regression tree fitted to the pseudo-residuals y − p, its leaves set by
  one Newton step and shrunk by the learning rate (one tree per class when K > 2).

Each step's model is an immutable `Ensemble`. Its `predict_proba(X)` re-evaluates every
member; a caller that redraws a growing ensemble on the same points (a region grid) should
keep an `IncrementalPredictor`, which evaluates only the members it has not seen.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from algorithms.base import Snapshot, frozen, num, param, plural, validate
from algorithms.tree import (
    REGRESSION,
    Grower,
    Spec,
    Tree,
    check_labelled,
)

FOREST_METHODS = ("bagging", "random forest")
# A learner whose weighted error is within this of chance (1 − 1/K) counts as no better than
# guessing: an exact tie often comes out a rounding error below ½, and a say of α ≈ 1e-16
# would teach nothing.
CHANCE_MARGIN = 1e-9


# --- the models ----------------------------------------------------------------------------
def softmax(raw: np.ndarray) -> np.ndarray:
    z = raw - raw.max(1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(1, keepdims=True)
    return z


def probabilities(raw: np.ndarray) -> np.ndarray:
    """Log-loss boosting's link: one column of log-odds → (1 − p, p) with p = σ(z) (in the
    tanh form, which never overflows); K columns → softmax."""
    if raw.shape[1] == 1:
        p = 0.5 * (1.0 + np.tanh(0.5 * raw[:, 0]))
        return np.column_stack([1.0 - p, p])
    return softmax(raw)


@dataclass(frozen=True, eq=False)
class Ensemble:
    """An immutable ensemble: a sum of member contributions, then a link to probabilities.

    ``predict_proba(X) = finish(start(n) + Σᵢ contribution(i, X), len(members))``; the
    incremental predictor relies on exactly this shape.
    """

    classes: np.ndarray
    members: tuple

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def start(self, n: int) -> np.ndarray:
        return np.zeros((n, self.n_classes))

    def add(self, raw: np.ndarray, i: int, X: np.ndarray) -> None:
        raise NotImplementedError

    def finish(self, raw: np.ndarray, m: int) -> np.ndarray:
        raise NotImplementedError

    def raw(self, X) -> np.ndarray:
        X = np.asarray(X)
        total = self.start(len(X))
        for i in range(len(self.members)):
            self.add(total, i, X)
        return total

    def predict_proba(self, X) -> np.ndarray:
        """(n, K) class probabilities."""
        return self.finish(self.raw(X), len(self.members))

    def predict(self, X) -> np.ndarray:
        """The most probable class of each point (the first of equals)."""
        return self.classes[self.predict_proba(X).argmax(1)]


@dataclass(frozen=True, eq=False)
class Forest(Ensemble):
    """Bagged trees: the mean of the trees' class probabilities."""

    members: tuple[Tree, ...]

    def add(self, raw, i, X):
        raw += self.members[i].predict_proba(X)

    def finish(self, raw, m):
        if m == 0:
            return np.full_like(raw, 1.0 / self.n_classes)
        return raw / m


@dataclass(frozen=True, eq=False)
class AdaBoost(Ensemble):
    """SAMME: each member votes α for its class and −α/(K − 1) for the others; the
    probabilities are softmax(vote / Σα / (K − 1)), scikit-learn's formula."""

    members: tuple[Tree, ...]
    alphas: np.ndarray     # (m,) each member's say
    errors: np.ndarray     # (m,) its weighted training error

    def add(self, raw, i, X):
        k = self.n_classes
        chosen = self.members[i].predict_proba(X).argmax(1)
        vote = np.full((len(X), k), -self.alphas[i] / (k - 1))
        vote[np.arange(len(X)), chosen] = self.alphas[i]
        raw += vote

    def finish(self, raw, m):
        total = float(self.alphas[:m].sum())
        if m == 0 or total <= 0:
            return np.full_like(raw, 1.0 / self.n_classes)
        return softmax(raw / total / (self.n_classes - 1))


@dataclass(frozen=True, eq=False)
class GradientBoosting(Ensemble):
    """Log-loss boosting: raw scores start at ``init`` and each round adds learning_rate ×
    its trees' leaf values. Two classes: one score, the log-odds of the second class;
    K > 2: one score per class and softmax."""

    members: tuple[tuple[Tree, ...], ...]   # one tuple of trees per round
    init: np.ndarray                        # (C,) starting raw score(s)
    learning_rate: float

    def start(self, n):
        return np.tile(self.init, (n, 1))

    def add(self, raw, i, X):
        for k, tree in enumerate(self.members[i]):
            raw[:, k] += self.learning_rate * tree.predict_value(X)

    def finish(self, raw, m):
        return probabilities(raw)

    def decision(self, X) -> np.ndarray:
        """Raw scores: (n,) log-odds for two classes, (n, K) otherwise (scikit-learn's
        decision_function)."""
        raw = self.raw(X)
        return raw[:, 0] if raw.shape[1] == 1 else raw


class IncrementalPredictor:
    """predict_proba of a growing ensemble on one fixed set of points, paying only for the
    members it has not evaluated yet.

    It keeps the running sum of member contributions, a copy after every `every` members,
    and the sums of the most recent `every` member counts it passed through. A model one
    member longer costs one member's evaluation; stepping back costs nothing while the
    earlier sum is still kept, else at most `every − 1` evaluations (and the sums passed on
    the way are kept, so the next steps back are free). Members are recognised by identity:
    a model from another run (a reset, new parameters, new data) starts the cache again.
    Results equal ``model.predict_proba(X)`` exactly: the same sums in the same order.
    One predictor per thread. Memory: n × (raw columns) × 8 bytes per kept sum, about
    (members / every + every) of them.
    """

    seen: list                        # the members met so far, in order
    copies: dict[int, np.ndarray]     # member count → sum after that many, every `every`
    recent: dict[int, np.ndarray]     # the latest other counts passed (insertion order)
    count: int                        # members summed into total
    total: np.ndarray

    def __init__(self, X, every: int = 10):
        self.X = np.asarray(X)
        self.every = max(1, int(every))
        self.seen = []
        self.kind: type | None = None     # the ensemble class cached; None: nothing yet
        self.evaluated = 0                # member evaluations done so far

    def predict_proba(self, model: Ensemble) -> np.ndarray:
        return model.finish(self._sum(model), len(model.members))

    def raw(self, model: Ensemble) -> np.ndarray:
        """A copy of the summed raw scores of all of `model`'s members on X."""
        return self._sum(model).copy()

    def _sum(self, model: Ensemble) -> np.ndarray:
        members = model.members
        target = len(members)
        shared = min(target, len(self.seen))
        same = 0
        while same < shared and members[same] is self.seen[same]:
            same += 1
        if target == 0 or type(model) is not self.kind or same < shared:
            self._restart(model)   # another run: nothing cached applies
        self.seen.extend(members[len(self.seen):])
        if self.count != target:
            kept = [c for c in (*self.copies, *self.recent) if c <= target]
            base = max(kept)
            if self.count > target or base > self.count:
                self.count = base
                self.total = (self.copies[base] if base in self.copies
                              else self.recent[base]).copy()
        while self.count < target:
            model.add(self.total, self.count, self.X)
            self.evaluated += 1
            self.count += 1
            if self.count % self.every == 0:
                self.copies[self.count] = self.total.copy()
            else:
                self.recent[self.count] = self.total.copy()
                if len(self.recent) > self.every:
                    del self.recent[next(iter(self.recent))]   # the oldest
        return self.total

    def _restart(self, model: Ensemble) -> None:
        self.kind = type(model)
        self.seen = []
        self.count = 0
        self.total = model.start(len(self.X))
        self.copies = {0: self.total.copy()}
        self.recent = {}


# --- shared helpers ------------------------------------------------------------------------
def _accuracy(proba: np.ndarray, yk: np.ndarray) -> float:
    return float(np.mean(proba.argmax(1) == yk))


def _percent(x: float) -> str:
    return f"{num(100 * x, 3)}%"


# --- bagging and random forest -------------------------------------------------------------
@dataclass(frozen=True)
class ForestParams:
    method: str = param("random forest", values=FOREST_METHODS,
                        tip="bagging: every split tries every feature; random forest: "
                            "only a random few, so the trees differ more")
    n_trees: int = param(30, limits=(1, 500), label="trees")
    max_features: int = param(1, limits=(1, 50), label="features per split",
                              when=("method", ("random forest",)),
                              tip="how many features, drawn at random, each split may use")
    bootstrap: bool = param(True, label="bootstrap samples",
                            tip="each tree sees n points drawn with replacement; "
                                "off: every tree sees every point once")
    criterion: str = param("gini", values=("gini", "entropy"))
    max_depth: int = param(20, limits=(1, 40), label="max depth")
    min_samples_leaf: int = param(1, limits=(1, 200), label="min points per leaf")


@dataclass(frozen=True, kw_only=True)
class ForestStep(Snapshot):
    tree: Tree                # the tree added in this step
    drawn: np.ndarray         # (n,) indices of its bootstrap sample, as drawn (all: no bootstrap)
    times_drawn: np.ndarray   # (n,) how often each point was drawn; 0 = left out (fade it)
    max_features: int         # features tried at each split (= d for bagging)
    model: Forest             # the forest so far (this tree included)
    accuracy: float           # training accuracy of the forest's vote
    oob_accuracy: float       # accuracy of the out-of-bag vote: each point judged only by
                              # the trees that did not draw it; nan until one such vote


def run_forest(X, y, params: ForestParams, rng: np.random.Generator) -> Iterator[ForestStep]:
    """One step per tree. Same rng state, same trees."""
    validate(params)
    X, yk, classes = check_labelled(X, y, params.min_samples_leaf)
    n, d = X.shape
    if params.method == "random forest":
        if params.max_features > d:
            raise ValueError(f"features per split is {params.max_features}, but the data "
                             f"have only {d} features")
        max_features = params.max_features
    else:
        max_features = d
    spec = Spec(params.criterion, params.max_depth, params.min_samples_leaf, max_features)
    classes = frozen(classes)
    everything = frozen(np.arange(n))
    once = frozen(np.ones(n, np.intp))
    votes = np.zeros((n, len(classes)))     # the forest's summed probabilities
    oob_votes = np.zeros((n, len(classes)))
    voted = np.zeros(n, bool)               # left out by at least one tree so far
    trees: list[Tree] = []
    for t in range(1, params.n_trees + 1):
        if params.bootstrap:
            drawn = rng.integers(0, n, n)
            times = np.bincount(drawn, minlength=n)
        else:
            drawn, times = everything, once
        tree = Grower(X, yk, spec, sample_weight=times, classes=classes, rng=rng).grow()
        trees.append(tree)
        model = Forest(classes=classes, members=tuple(trees))
        votes += tree.predict_proba(X)
        accuracy = _accuracy(votes, yk)
        out = times == 0
        oob_votes[out] += tree.predict_proba(X[out])
        voted |= out
        oob = _accuracy(oob_votes[voted], yk[voted]) if voted.any() else np.nan
        distinct = int((times > 0).sum())
        if params.bootstrap:
            sample = (f"a bootstrap sample of {n:,} draws ({distinct:,} distinct points; "
                      f"{plural(n - distinct, 'point')} left out, faded)")
        else:
            sample = f"all {plural(n, 'point')}"
        features = ("every split tried every feature" if max_features == d else
                    f"each split tried {max_features} of {plural(d, 'feature')} at random")
        caption = (f"Tree {t} of {params.n_trees}: grown on {sample}; {features}; "
                   f"{plural(len(tree.leaves), 'leaf', 'leaves')}, depth {tree.max_depth}. "
                   f"The vote of {plural(t, 'tree')} gets "
                   f"{_percent(accuracy)} of the training points right")
        metrics = {"trees": t, "train accuracy": accuracy,
                   "leaves": len(tree.leaves), "depth": tree.max_depth}
        if voted.any():
            caption += f" (out of bag: {_percent(oob)})"
            metrics["out-of-bag accuracy"] = oob
        yield ForestStep(index=t - 1, phase="tree", caption=caption + ".", metrics=metrics,
                         tree=tree, drawn=frozen(drawn), times_drawn=frozen(times),
                         max_features=max_features, model=model, accuracy=accuracy,
                         oob_accuracy=oob)


# --- AdaBoost (SAMME) ----------------------------------------------------------------------
@dataclass(frozen=True)
class AdaBoostParams:
    n_rounds: int = param(50, limits=(1, 500), label="rounds")
    learning_rate: float = param(1.0, limits=(0.01, 2.0), step=0.05, label="learning rate",
                                 tip="scales every learner's say α (and so the reweighting)")
    max_depth: int = param(1, limits=(1, 5), label="learner depth",
                           tip="1: stumps, one split each")


@dataclass(frozen=True, kw_only=True)
class AdaBoostStep(Snapshot):
    stump: Tree | None          # the learner of this round (None at "start")
    weights_before: np.ndarray  # (n,) the weights it was fitted to (sum 1)
    weights: np.ndarray         # (n,) the weights after this round (sum 1): point sizes
    misclassified: np.ndarray   # (n,) bool: points this learner got wrong
    alpha: float                # its say (0 if it was rejected)
    error: float                # its weighted training error
    model: AdaBoost             # the ensemble so far
    accuracy: float             # the ensemble's training accuracy


def run_adaboost(X, y, params: AdaBoostParams,
                 rng: np.random.Generator | None = None) -> Iterator[AdaBoostStep]:
    """A "start" step (equal weights), then one step per learner. rng is unused: with
    every feature tried, a tree is deterministic (ties go to the first feature)."""
    validate(params)
    X, yk, classes = check_labelled(X, y)
    n, k = len(X), len(classes)
    spec = Spec("gini", params.max_depth)
    classes = frozen(classes)
    eps = np.finfo(float).eps
    weights = frozen(np.full(n, 1.0 / n))
    none_wrong = frozen(np.zeros(n, bool))
    votes = np.zeros((n, k))     # the ensemble's summed votes on the training points
    accuracy = np.nan
    stumps: list[Tree] = []
    alphas: list[float] = []
    errors: list[float] = []

    def model():
        return AdaBoost(classes=classes, members=tuple(stumps), alphas=frozen(alphas),
                        errors=frozen(errors))

    start = model()
    yield AdaBoostStep(index=0, phase="start",
                       caption=f"Every point starts with the same weight 1/{n:,}; each "
                               f"round fits a {'stump' if params.max_depth == 1 else 'tree'}"
                               " to the weighted points.",
                       metrics={"learners": 0}, stump=None, weights_before=weights,
                       weights=weights, misclassified=none_wrong, alpha=0.0,
                       error=np.nan, model=start, accuracy=accuracy)
    for r in range(1, params.n_rounds + 1):
        fit_weights = np.maximum(weights, eps)      # scikit-learn's guard against 0
        stump = Grower(X, yk, spec, sample_weight=fit_weights, classes=classes).grow()
        wrong = stump.value.argmax(1)[stump.apply(X)] != yk
        error = float(np.average(wrong, weights=fit_weights))
        what = (stump.rule(0) or "a single leaf") if params.max_depth == 1 else \
            plural(len(stump.leaves), "leaf", "leaves")
        if error >= 1.0 - 1.0 / k - CHANCE_MARGIN:
            if not stumps:
                raise ValueError(f"AdaBoost cannot start: the best first learner has weighted "
                                 f"error {num(error, 3)}, no better than guessing among "
                                 f"{k} classes")
            current = model()
            yield AdaBoostStep(
                index=r, phase="done",
                caption=f"Round {r}: the best learner ({what}) has weighted error "
                        f"{num(error, 3)}, no better than guessing among {k} classes, so "
                        f"boosting stops with {plural(len(stumps), 'learner')}.",
                metrics={"learners": len(stumps), "error": error}, stump=stump,
                weights_before=weights, weights=weights, misclassified=frozen(wrong),
                alpha=0.0, error=error, model=current, accuracy=accuracy)
            return
        perfect = error <= 0
        if perfect:
            alpha, after = 1.0, weights     # scikit-learn's convention for a perfect learner
        else:
            alpha = params.learning_rate * (np.log((1.0 - error) / error) + np.log(k - 1.0))
            grown = np.exp(np.log(fit_weights) + alpha * wrong)
            after = frozen(grown / grown.sum())
        stumps.append(stump)
        alphas.append(float(alpha))
        errors.append(error)
        current = model()
        current.add(votes, len(stumps) - 1, X)
        accuracy = _accuracy(votes, yk)
        wrong_n = int(wrong.sum())
        if perfect:
            caption = (f"Round {r}: the learner ({what}) classifies every point correctly "
                       f"(weighted error 0), so boosting stops here; training accuracy "
                       f"{_percent(accuracy)}.")
        else:
            caption = (f"Round {r}: the learner ({what}) misclassifies "
                       f"{plural(wrong_n, 'point')} carrying {_percent(error)} of the weight, "
                       f"so its say is α = {num(alpha, 3)}; their weights grow "
                       f"×{num(np.exp(alpha), 3)}, then all are rescaled to sum to 1. "
                       f"Training accuracy of {plural(len(stumps), 'learner')}: "
                       f"{_percent(accuracy)}.")
        yield AdaBoostStep(index=r, phase="done" if perfect else "round", caption=caption,
                           metrics={"learners": len(stumps), "alpha": float(alpha),
                                    "error": error, "train accuracy": accuracy},
                           stump=stump, weights_before=weights, weights=after,
                           misclassified=frozen(wrong), alpha=float(alpha), error=error,
                           model=current, accuracy=accuracy)
        if perfect:
            return
        weights = after


# --- gradient boosting (log-loss) ----------------------------------------------------------
@dataclass(frozen=True)
class GradientBoostingParams:
    n_rounds: int = param(100, limits=(1, 500), label="rounds")
    learning_rate: float = param(0.1, limits=(0.01, 1.0), step=0.01, label="learning rate",
                                 tip="shrinks every tree's contribution")
    max_depth: int = param(2, limits=(1, 8), label="tree depth")
    min_samples_leaf: int = param(1, limits=(1, 200), label="min points per leaf")


@dataclass(frozen=True, kw_only=True)
class GradientBoostingStep(Snapshot):
    trees: tuple[Tree, ...]   # this round's trees: one (two classes) or one per class;
                              # empty at "start". Leaf values are the Newton steps (before
                              # the learning rate).
    residuals: np.ndarray     # (n, C) pseudo-residuals y − p the trees were fitted to
                              # (at "start": those of the prior, which round 1 will fit);
                              # C = 1 for two classes (class 2's), else one per class
    model: GradientBoosting   # the ensemble after this round
    loss: float               # training log-loss after this round
    losses: np.ndarray        # training log-loss at the start and after every round so far
    accuracy: float           # training accuracy after this round


def _log_loss(raw: np.ndarray, yk: np.ndarray) -> float:
    if raw.shape[1] == 1:
        z = raw[:, 0]
        return float(np.mean(np.logaddexp(0.0, z) - (yk == 1) * z))
    top = raw.max(1)
    log_total = top + np.log(np.exp(raw - top[:, None]).sum(1))
    return float(np.mean(log_total - raw[np.arange(len(yk)), yk]))


def _newton_leaves(tree: Tree, leaf: np.ndarray, residual: np.ndarray, p: np.ndarray,
                   factor: float) -> Tree:
    """Set each leaf to one Newton step of the log-loss: mean(r) / mean(p(1 − p)) over its
    points (× (K − 1)/K with K > 2 classes, as scikit-learn does); 0 where the curvature
    vanishes (p is 0 or 1 throughout the leaf). Inner nodes keep their values."""
    m, leaves = tree.n_nodes, tree.leaves
    count = np.bincount(leaf, minlength=m)[leaves]          # every leaf holds a point
    numerator = np.bincount(leaf, residual, m)[leaves] / count * factor
    curvature = np.bincount(leaf, p * (1.0 - p), m)[leaves] / count
    flat = np.abs(curvature) < 1e-150
    values = tree.value[:, 0].copy()
    values[leaves] = numerator / np.where(flat, 1.0, curvature) * ~flat
    return tree.with_leaf_values(values)


def run_gradient_boosting(X, y, params: GradientBoostingParams,
                          rng: np.random.Generator | None = None
                          ) -> Iterator[GradientBoostingStep]:
    """A "start" step (the prior), then one step per round. rng is unused (deterministic)."""
    validate(params)
    X, yk, classes = check_labelled(X, y, params.min_samples_leaf)
    n, k = len(X), len(classes)
    classes = frozen(classes)
    spec = Spec(REGRESSION, params.max_depth, params.min_samples_leaf)
    share = np.bincount(yk) / n          # every class is present: no share is 0 or 1
    if k == 2:
        init = np.log(share[1:] / share[0])
        targets = (yk == 1).astype(float)[:, None]
        factor = 1.0
    else:
        init = np.log(share) - np.log(share).mean()
        targets = (yk[:, None] == np.arange(k)).astype(float)
        factor = (k - 1) / k
    init = frozen(init)
    raw = np.tile(init, (n, 1))
    rounds: list[tuple[Tree, ...]] = []

    def residuals_of(raw):
        p = probabilities(raw)
        return frozen(targets - (p[:, 1:] if k == 2 else p))

    def boosted():
        return GradientBoosting(classes=classes, members=tuple(rounds), init=init,
                                learning_rate=params.learning_rate)

    losses = [_log_loss(raw, yk)]
    residuals = residuals_of(raw)
    accuracy = _accuracy(probabilities(raw), yk)
    if k == 2:
        prior = (f"the prior log-odds of {classes[1]}: log({num(share[1], 3)} / "
                 f"{num(share[0], 3)}) = {num(init[0], 3)}")
    else:
        prior = "the log of its class's share (centred to sum to 0)"
    yield GradientBoostingStep(
        index=0, phase="start",
        caption=f"Start: every point's score is {prior}; training log-loss "
                f"{num(losses[0], 3)}. Each round fits trees to the residuals y − p.",
        metrics={"rounds": 0, "log-loss": losses[0], "train accuracy": accuracy},
        trees=(), residuals=residuals, model=boosted(), loss=losses[0],
        losses=frozen(losses), accuracy=accuracy)
    for r in range(1, params.n_rounds + 1):
        p_fit = targets - residuals       # the probabilities the residuals came from
        trees = []
        for c in range(raw.shape[1]):
            tree = Grower(X, residuals[:, c], spec).grow()
            leaf = tree.apply(X)
            tree = _newton_leaves(tree, leaf, residuals[:, c], p_fit[:, c], factor)
            raw[:, c] += params.learning_rate * tree.value[leaf, 0]
            trees.append(tree)
        rounds.append(tuple(trees))
        losses.append(_log_loss(raw, yk))
        accuracy = _accuracy(probabilities(raw), yk)
        moves = np.concatenate([params.learning_rate * t.value[t.leaves, 0] for t in trees])
        fitted = float(np.abs(residuals).max())
        which = ("a tree" if len(trees) == 1 else f"one tree per class ({len(trees)} trees)")
        caption = (f"Round {r}: {which} of depth ≤ {params.max_depth} fitted to the residuals "
                   f"y − p (largest |y − p| {num(fitted, 3)}); its leaves move the scores by "
                   f"{num(moves.min(), 3)} to {num(moves.max(), 3)} (learning rate "
                   f"{num(params.learning_rate, 3)} × a Newton step). Training log-loss "
                   f"{num(losses[-2], 4)} → {num(losses[-1], 4)}, accuracy "
                   f"{_percent(accuracy)}.")
        yield GradientBoostingStep(
            index=r, phase="round", caption=caption,
            metrics={"rounds": r, "log-loss": losses[-1], "train accuracy": accuracy},
            trees=tuple(trees), residuals=residuals, model=boosted(), loss=losses[-1],
            losses=frozen(losses), accuracy=accuracy)
        residuals = residuals_of(raw)
