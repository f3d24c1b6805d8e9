"""Underfitting and overfitting on two-dimensional classes: decision trees of rising depth.

The classifiers' labelled points keep their split into training and test points; a share of
the training points (stratified, seeded, fixed for the run) is held out for validation.
Each step grows a tree one level deeper (``algorithms.tree``: CART, the split scikit-learn's
DecisionTreeClassifier chooses) on the remaining training points and records its accuracy on
them and on the validation points. A depth-1 tree is one straight cut: too simple for curved
classes (underfitting, both accuracies low). Each extra level can cut every box in two
again, so the training accuracy can only rise, to 100 % once every leaf is pure; the
validation accuracy rises while the cuts follow the classes' real shape, then stalls or
falls as the small boxes wrap single noisy points (overfitting). The chosen depth is the one
with the highest validation accuracy (the shallowest on a tie: the simpler model). The test
points are used once, at the end, for an honest estimate of the chosen tree.

Points added by hand are the last ``hand`` rows of the data; they always train (the person
who put them there wants to see what they do), and only the others are split.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from algorithms import labelled, tree
from algorithms.base import Snapshot, frozen, num, param, plural, validate
from algorithms.labelled import LabelledData

MAX_DEPTH = 20


@dataclass(frozen=True)
class Params:
    max_depth: int = param(12, limits=(1, MAX_DEPTH), label="deepest tree",
                           tip="the depth rises from 1 to this, one step each; it stops "
                               "earlier once the tree no longer grows")
    validation: float = param(0.3, limits=(0.1, 0.6), step=0.05, label="validation share",
                              tip="share of each class's training points held out to choose "
                                  "the depth")
    criterion: str = param("gini", values=tree.CRITERIA,
                           tip="impurity the splits reduce, as in the decision tree panel")


@dataclass(frozen=True, kw_only=True)
class Roles:
    """Which points train, which validate, which test (index arrays into data.X)."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    depth: int                    # this step's depth limit (0 in the "split" step)
    model: tree.Tree | None       # the tree grown to it (None in "split")
    leaves: int                   # its number of leaves
    depths: np.ndarray            # 1 … depth so far
    train_accuracy: np.ndarray    # training accuracy of each depth so far
    val_accuracy: np.ndarray      # validation accuracy of each depth so far
    wrong: np.ndarray             # (n,) bool: misclassified training/validation points
                                  # (test points too in the final step only)
    best_depth: int | None        # highest validation accuracy; final "best" step only
    test_accuracy: float          # the chosen tree's test accuracy, final step (else nan)


def roles(data: LabelledData, share: float, seed: int = 0, hand: int = 0) -> Roles:
    """Stratified, seeded: ``share`` of each class's training points validate; the last
    ``hand`` rows (points added by hand) always train."""
    n = len(data.y)
    candidates = data.train_index[data.train_index < n - hand]
    keep = labelled.split_mask(data.y[candidates], share, seed + 1)
    val = candidates[~keep]
    train = np.setdiff1d(data.train_index, val)
    return Roles(train=frozen(train), val=frozen(np.sort(val)),
                 test=frozen(np.flatnonzero(data.test)))


def _percent(a: float) -> str:
    return "—" if math.isnan(a) else f"{num(100 * a, 3)} %"


def run(data: LabelledData, params: Params, seed: int = 0, hand: int = 0,
        rng: np.random.Generator | None = None) -> Iterator[Step]:
    """Yield the split, one tree per depth 1 … max_depth (fewer if it stops growing), then
    the chosen depth with its test accuracy. The trees draw no random numbers."""
    validate(params)
    r = roles(data, params.validation, seed, hand)
    X, y = data.X, data.y
    Xt, yt = X[r.train], y[r.train]   # every class keeps a training point (split_mask)
    n = len(y)
    none = frozen(np.zeros(0))
    yield Step(index=0, phase="split",
               caption=(f"{plural(n, 'point')}: {len(r.train):,} train the trees (filled), "
                        f"{len(r.val):,} validate them (ringed), {len(r.test):,} are kept for "
                        f"one final test (hollow). Each step lets the tree grow one level "
                        f"deeper."),
               metrics={"training points": len(r.train), "validation points": len(r.val),
                        "test points": len(r.test)},
               depth=0, model=None, leaves=0, depths=none, train_accuracy=none,
               val_accuracy=none, wrong=frozen(np.zeros(n, bool)), best_depth=None,
               test_accuracy=math.nan)
    seen = [r.train, r.val]
    models, train_acc, val_acc = [], [], []
    # One tree grown level by level: once every waiting leaf shallower than d is split, it
    # is the tree tree.fit(max_depth=d) grows (a split depends only on its own node's
    # points), so each step costs one level, not a whole tree.
    spec = tree.Spec(params.criterion, params.max_depth, 1, None, order="level by level")
    Xc, yk, classes = tree.check_labelled(Xt, yt)
    grower = tree.Grower(Xc, yk, spec, classes=classes)
    for depth in range(1, params.max_depth + 1):
        while grower.queue and grower.queue[0][0] < depth:   # (depth, node): shallowest first
            grower.split_next()
        model = grower.tree()
        if models and model.n_nodes == models[-1].n_nodes:
            break   # the tree stopped growing: every leaf is pure (or cannot be split)
        models.append(model)
        predicted = model.predict(X)
        train_acc.append(labelled.accuracy(predicted[r.train], y[r.train]))
        val_acc.append(labelled.accuracy(predicted[r.val], y[r.val]))
        wrong = np.zeros(n, bool)
        for idx in seen:
            wrong[idx] = predicted[idx] != y[idx]
        caption = (f"Depth {depth}: {plural(len(model.leaves), 'box', 'boxes')} "
                   f"(leaves); training accuracy {_percent(train_acc[-1])}, validation "
                   f"{_percent(val_acc[-1])}.")
        if len(val_acc) > 1 and val_acc[-1] < val_acc[-2] and train_acc[-1] >= train_acc[-2]:
            caption += (" The validation accuracy fell while the training accuracy did not: "
                        "the new cuts wrap noise.")
        elif depth == 1:
            caption += " One straight cut: too simple for most shapes (underfitting)."
        yield Step(index=depth, phase="fit", caption=caption,
                   metrics={"depth": depth, "leaves": len(model.leaves),
                            "training accuracy": train_acc[-1],
                            "validation accuracy": val_acc[-1]},
                   depth=depth, model=model, leaves=len(model.leaves),
                   depths=frozen(np.arange(1, depth + 1)),
                   train_accuracy=frozen(train_acc), val_accuracy=frozen(val_acc),
                   wrong=frozen(wrong), best_depth=None, test_accuracy=math.nan)
    grown = len(models)
    scores = np.nan_to_num(np.asarray(val_acc), nan=-1.0)
    best = int(np.argmax(scores)) + 1          # argmax: the first, i.e. shallowest, on a tie
    model = models[best - 1]
    predicted = model.predict(X)
    test = labelled.accuracy(predicted[r.test], y[r.test])
    stopped = (f"The tree stopped growing at depth {grown}: every leaf is pure or cannot be "
               f"split. " if grown < params.max_depth else "")
    caption = (f"{stopped}The validation accuracy is highest at depth {best} "
               f"({_percent(val_acc[best - 1])}).")
    if not len(r.val):
        caption = f"{stopped}No validation points were kept, so no depth can be chosen " \
                  f"fairly; depth {best} is shown."
    caption += (f" Its accuracy on the test points, untouched until now and used just this "
                f"once: {_percent(test)}." if len(r.test) else
                " No test points were kept, so there is no untouched estimate of it.")
    metrics = {"best depth": best, "validation accuracy": val_acc[best - 1]}
    if len(r.test):
        metrics["test accuracy"] = test
    yield Step(index=grown + 1, phase="best", caption=caption, metrics=metrics,
               depth=best, model=model, leaves=len(model.leaves),
               depths=frozen(np.arange(1, grown + 1)), train_accuracy=frozen(train_acc),
               val_accuracy=frozen(val_acc), wrong=frozen(predicted != y), best_depth=best,
               test_accuracy=test)
