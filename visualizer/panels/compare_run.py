"""Every classifier on the same data, stepped together: the comparison grid's algorithm.

One step of the comparison is one step of each classifier still running: one gradient
update (logistic regression), one SMO pair (the two SVMs), one split (the tree), one more
tree (the forest), one round (AdaBoost, gradient boosting), one full-batch update of every
weight (the neural network, algorithms/network). KNN does not train, so it is
finished from the first step. A classifier that has finished keeps its last model while
the others go on; the run ends when all have finished.

Each step carries, per classifier, its model, the class it predicts for every data point
and its train and test accuracy, so that drawing needs no algorithm work. Pure numpy: the
panel (compare.py) only draws what is here.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from algorithms import ensembles, knn, logistic, svm, tree
from algorithms.base import Snapshot, frozen, num, param, plural, validate
from algorithms.labelled import LabelledData, accuracy
from algorithms.network.layers import INITS, init_weights
from algorithms.network.trainer import Trainer, prepare
from algorithms.network.training import Params as NetworkParams
from algorithms.network.training import make_spec, parse_hidden

NET_ACTIVATIONS = ("tanh", "ReLU")
NET_RULE = "Adam"


@dataclass(frozen=True)
class Params:
    k: int = param(5, limits=(1, 100), label="KNN: k",
                   tip="how many nearest training points vote")
    l2: float = param(0.01, limits=(0.0, 10.0), step=0.001, label="logistic: λ",
                      tip="L2 strength of logistic regression (learning rate 0.1)")
    C: float = param(1.0, limits=(1e-3, 1e3), step=0.1, label="SVMs: C",
                     tip="cost of each unit of margin violation, for both SVMs")
    gamma: float = param(0.5, limits=(1e-3, 50.0), step=0.05, label="RBF SVM: γ",
                         tip="kernel width: large γ, narrow bumps and a wiggly boundary")
    updates: int = param(300, limits=(1, 5000), label="updates at most",
                         tip="logistic regression and the SVMs stop after this many "
                             "gradient updates or SMO pairs, if they have not converged; "
                             "the network takes exactly this many updates")
    max_depth: int = param(5, limits=(1, 20), label="tree: max depth")
    trees: int = param(20, limits=(1, 200), label="forest: trees")
    rounds: int = param(50, limits=(1, 300), label="boosting: rounds",
                        tip="rounds of AdaBoost (stumps) and of gradient boosting "
                            "(trees of depth 2, learning rate 0.1)")
    net_hidden: str = param("16, 16", label="network: hidden layers",
                            tip="units per hidden layer of the neural network, comma-separated "
                                "(up to 3 layers of up to 32 units); it always learns on "
                                "standardised inputs")
    net_activation: str = param("tanh", values=NET_ACTIVATIONS, label="network: activation")
    net_lr: float = param(0.03, limits=(1e-4, 1.0), step=0.005, label="network: η",
                          tip=f"learning rate of the network's {NET_RULE} updates, one "
                              f"update on all training points per step ('updates at most' "
                              f"of them)")
    standardize: bool = param(False, label="standardise features",
                              tip="KNN, logistic regression and the SVMs learn on (x − mean) "
                                  "/ std of the training points; trees never need it")


# key, name in the cell title, short name in captions
CLASSIFIERS = (
    ("knn", "KNN", "KNN"),
    ("logistic", "Logistic regression", "logistic"),
    ("linear_svm", "Linear SVM", "linear SVM"),
    ("rbf_svm", "RBF SVM", "RBF SVM"),
    ("tree", "Decision tree", "tree"),
    ("forest", "Random forest", "forest"),
    ("adaboost", "AdaBoost", "AdaBoost"),
    ("boosting", "Gradient boosting", "boosting"),
    ("network", "Neural network", "network"),
)


def titles(params: Params, short: bool = False) -> list[str]:
    """Each cell's title: the classifier and its key setting (``short``: in few letters,
    for large text on small plots)."""
    p = params
    if short:
        return [f"KNN k={p.k}", f"Logistic λ={num(p.l2)}", f"Lin. SVM C={num(p.C)}",
                f"RBF SVM γ={num(p.gamma)}", f"Tree depth≤{p.max_depth}",
                f"Forest {p.trees}", f"AdaBoost {p.rounds}", f"Boosting {p.rounds}",
                f"Net {_layers(p, '-').replace('no hidden layer', 'no hidden')}"]
    settings = {
        "knn": f"k = {p.k}",
        "logistic": f"λ = {num(p.l2)}",
        "linear_svm": f"C = {num(p.C)}",
        "rbf_svm": f"C = {num(p.C)}, γ = {num(p.gamma)}",
        "tree": f"depth ≤ {p.max_depth}",
        "forest": plural(p.trees, "tree"),
        "adaboost": f"{plural(p.rounds, 'stump')}",
        "boosting": f"{plural(p.rounds, 'round')}",
        "network": f"{_layers(p, ', ')} {_activation(p)}· {NET_RULE}",
    }
    return [f"{name}, {settings[key]}" for key, name, _ in CLASSIFIERS]


def _layers(p: Params, sep: str) -> str:
    """The hidden layers as written in a title: "16, 16", "no hidden layer", or the text
    itself when it does not parse (the cell then says why it cannot run)."""
    try:
        units = parse_hidden(p.net_hidden)
    except ValueError:
        return str(p.net_hidden)
    return sep.join(map(str, units)) if units else "no hidden layer"


def _activation(p: Params) -> str:
    """The activation and a space, or nothing when there is no hidden unit to have one."""
    return "" if _layers(p, "") == "no hidden layer" else f"{p.net_activation} "


def _activation_listed(p: Params) -> str:
    return "" if not _activation(p) else f"{p.net_activation}, "


@dataclass(frozen=True, eq=False)
class Cell:
    """One classifier's state at one step of the comparison."""

    key: str
    model: object | None       # predict_proba(X) → (n, C) columns in model.classes; None:
                               # nothing to shade (failed, or diverged)
    predicted: np.ndarray | None   # (n,) the class it predicts for every data point
    train: float               # training accuracy (nan: no model)
    test: float                # test accuracy (nan: no test points or no model)
    progress: str              # "update 12", "tree 3 of 20" …
    caption: str               # the classifier's own caption for this step
    done: bool                 # it has finished: it stays as it is from now on
    changed: bool              # it took a step in this step of the comparison


@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    cells: tuple[Cell, ...]
    best: tuple[int, ...]      # the cells with the best test accuracy (train without a test)
    by: str                    # "test" or "training": which accuracy chose them


# --- each classifier as (model, progress, caption) states -------------------------------
def _knn(data, p, rng):
    model = knn.fit(data.X_train, data.y_train,
                    knn.Params(k=p.k, standardize=p.standardize))
    yield model, "no training", (f"KNN does not train: every point is classified by a vote "
                                 f"of its {plural(p.k, 'nearest training point')}.")


def _logistic(data, p, rng):
    params = logistic.Params(l2=p.l2, updates=p.updates, standardize=p.standardize)
    for s in logistic.run(data, params):
        model = None if s.phase == "diverged" else s.model
        words = {"diverged": "diverged",
                 "converged": f"converged after {plural(s.iteration, 'update')}",
                 "stopped": f"stopped after {plural(s.iteration, 'update')}"}
        yield model, words.get(s.phase, f"update {s.iteration:,}"), s.caption


def _svm(kernel):
    def states(data, p, rng):
        params = svm.Params(kernel=kernel, C=p.C, gamma=p.gamma, steps=p.updates,
                            standardize=p.standardize)
        pairs = 0
        for s in svm.run(data, params):
            pairs += s.phase == "pair"
            words = {"init": "α = 0",
                     "converged": f"converged after {plural(pairs, 'pair')}",
                     "stopped": f"stopped after {plural(pairs, 'pair')}"}
            yield s.model, words.get(s.phase, f"pair {pairs:,}"), s.caption
    return states


def _tree(data, p, rng):
    for s in tree.run(data.X_train, data.y_train, tree.Params(max_depth=p.max_depth)):
        splits = s.metrics["splits"]
        words = {"root": "the root", "done": f"{plural(splits, 'split')}, finished"}
        yield s.tree, words.get(s.phase, f"split {splits:,}"), s.caption


def _forest(data, p, rng):
    params = ensembles.ForestParams(n_trees=p.trees)
    for s in ensembles.run_forest(data.X_train, data.y_train, params, rng):
        yield s.model, f"tree {len(s.model.members)} of {p.trees}", s.caption


def _adaboost(data, p, rng):
    params = ensembles.AdaBoostParams(n_rounds=p.rounds)
    for s in ensembles.run_adaboost(data.X_train, data.y_train, params):
        rounds = len(s.model.members)
        yield s.model, ("equal weights" if s.phase == "start" else f"round {rounds}"), s.caption


def _boosting(data, p, rng):
    params = ensembles.GradientBoostingParams(n_rounds=p.rounds)
    for s in ensembles.run_gradient_boosting(data.X_train, data.y_train, params):
        rounds = len(s.model.members)
        yield s.model, ("the prior" if s.phase == "start" else f"round {rounds}"), s.caption


def _network(data, p, rng):
    """A multilayer perceptron (algorithms/network) trained with full-batch updates on the
    comparison's own training points: one update of every weight per step. Glorot weights
    for tanh, He for ReLU; inputs always standardised (a network needs it)."""
    net = NetworkParams(hidden=p.net_hidden, activation=p.net_activation, rule=NET_RULE,
                        lr=p.net_lr, test_fraction=0.0, standardize=True)
    init_rng, split_rng, shuffle_rng, mask_rng = rng.spawn(4)
    prepared = prepare(data.X_train, data.y_train, 0.0, True, split_rng)
    spec = make_spec(net, prepared.x.shape[1], len(prepared.classes))
    trainer = Trainer(spec, prepared, rule=NET_RULE, lr=p.net_lr, batch_size=len(prepared.x),
                      l2=0.0, dropout=0.0, dropconnect=0.0,
                      theta0=init_weights(spec, INITS[p.net_activation == "ReLU"], init_rng),
                      shuffle_rng=shuffle_rng, mask_rng=mask_rng)
    shape = "-".join(map(str, spec.sizes))
    yield trainer.model(), "random weights", (
        f"A {shape} network ({_activation_listed(p)}softmax outputs) starts from random "
        f"weights; each step is one {NET_RULE} update (η = {num(p.net_lr)}) on all "
        f"{plural(len(prepared.x), 'training point')}.")
    while trainer.updates < p.updates:
        for _ in trainer.train_batch(False):
            pass
        if trainer.diverged:
            yield None, "diverged", (f"The update gave infinite or undefined weights: "
                                     f"η = {num(p.net_lr)} is too large.")
            return
        before = float(np.mean(trainer.work.loss))
        after = trainer.evaluate()[2]   # the training loss at the new weights
        last = trainer.updates >= p.updates
        yield trainer.model(), (f"stopped after {plural(trainer.updates, 'update')}" if last
                                else f"update {trainer.updates:,}"), (
            f"Update {trainer.updates:,}: backpropagation gives ∂L/∂W of every layer on all "
            f"{plural(len(prepared.x), 'training point')} and {NET_RULE} moves every weight; "
            f"cross-entropy {num(before, 4)} → {num(after, 4)}.")


STATES = {"knn": _knn, "logistic": _logistic, "linear_svm": _svm("linear"),
          "rbf_svm": _svm("rbf"), "tree": _tree, "forest": _forest, "adaboost": _adaboost,
          "boosting": _boosting, "network": _network}


class _Runner:
    """One classifier's states, read one ahead (so the step that shows its last state
    already says it is finished), with its predictions on the data points."""

    def __init__(self, key, data, params, rng):
        self.key, self.data = key, data
        self.predictor = ensembles.IncrementalPredictor(data.X)
        self.error = None
        try:
            self.states = STATES[key](data, params, rng)
            self.ahead = next(self.states, None)
        except ValueError as err:
            self.ahead, self.error = None, err
        self.cell = None

    def advance(self) -> Cell:
        if self.cell is not None and self.cell.done:
            if self.cell.changed:
                self.cell = _still(self.cell)
            return self.cell
        if self.ahead is None:   # it could not start
            self.cell = Cell(self.key, None, None, math.nan, math.nan, "cannot run",
                             f"It cannot run on this data: {self.error}.", True, True)
            return self.cell
        model, progress, caption = self.ahead
        try:
            self.ahead = next(self.states, None)
        except ValueError as err:      # a later step refused: this one is its last
            self.ahead, caption = None, f"{caption} Then it stopped: {err}."
        predicted = None if model is None else self._predict(model)
        d = self.data
        train = accuracy(predicted[d.train], d.y_train) if predicted is not None else math.nan
        test = accuracy(predicted[d.test], d.y_test) if predicted is not None else math.nan
        self.cell = Cell(self.key, model, predicted, train, test, progress, caption,
                         self.ahead is None, True)
        return self.cell

    def _predict(self, model) -> np.ndarray:
        with np.errstate(all="ignore"):
            if isinstance(model, ensembles.Ensemble):
                proba = self.predictor.predict_proba(model)
            else:
                proba = model.predict_proba(self.data.X)
        return frozen(model.classes[np.argmax(proba, axis=1)])


def _still(cell: Cell) -> Cell:
    return Cell(cell.key, cell.model, cell.predicted, cell.train, cell.test, cell.progress,
                cell.caption, True, False)


def _percent(x: float) -> str:
    return "—" if math.isnan(x) else f"{num(100 * x, 3)}%"


def best_cells(cells, has_test: bool) -> tuple[tuple[int, ...], str]:
    scores = np.array([c.test if has_test else c.train for c in cells], float)
    if not np.isfinite(scores).any():
        return (), "test" if has_test else "training"
    top = np.nanmax(scores)
    return (tuple(int(i) for i in np.flatnonzero(scores == top)),
            "test" if has_test else "training")


def run(data: LabelledData, params: Params,
        rng: np.random.Generator | None = None) -> Iterator[Step]:
    """Step every classifier together until all have finished (see the module's doc)."""
    validate(params)
    rng = rng if rng is not None else np.random.default_rng(0)
    runners = [_Runner(key, data, params, rng) for key, _, _ in CLASSIFIERS]
    short = {key: s for key, _, s in CLASSIFIERS}
    has_test = len(data.y_test) > 0
    index = 0
    while True:
        cells = tuple(r.advance() for r in runners)
        best, by = best_cells(cells, has_test)
        finished = sum(c.done for c in cells)
        if best:
            names = [short[cells[i].key] for i in best]
            winners = names[0] if len(names) == 1 else \
                f"{', '.join(names[:-1])} and {names[-1]}"
            top = cells[best[0]].test if has_test else cells[best[0]].train
            lead = f"best {by} accuracy: {winners}, {_percent(top)}"
        else:
            lead = "no accuracy yet"
        moving = [c for c in cells if c.changed]
        if index == 0:
            head = (f"Every classifier starts on the same "
                    f"{plural(len(data.y_train), 'training point')}; {lead}.")
        else:
            head = (f"Step {index + 1}: {plural(len(moving), 'classifier')} took a step, "
                    f"{finished} of {len(cells)} have finished; {lead}.")
        lines = [head] + [f"{short[c.key]} ({c.progress}): {c.caption}" for c in moving]
        metrics = {f"{short[c.key]} test accuracy": c.test for c in cells
                   if not math.isnan(c.test)}
        yield Step(index=index, phase="done" if finished == len(cells) else "step",
                   caption="\n".join(lines), metrics=metrics, cells=cells, best=best, by=by)
        index += 1
        if finished == len(cells):
            return
