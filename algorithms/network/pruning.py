"""Magnitude pruning: prune, retrain, repeat — beside pruning everything at once.

``magnitude_prune`` removes the weights of smallest |w| until exactly round(s·N) of them are
gone: over all layers together ("global") or round(s·N_l) in each layer ("per layer").
Biases are never pruned. A weight once pruned stays pruned: the new mask is always a subset
of the old one, and the trainer stores pruned weights as 0 with a zero gradient.

``run`` trains a dense network first, then copies it into two lanes that get the same
retraining budget: "iterative" reaches the target sparsity s over R rounds (s·r/R after
round r, a linear schedule), "all at once" prunes to s in round 1 and only retrains after.

One step is one epoch (``granularity="epoch"``) or one whole stage (``"round"``): the dense
training, then each prune and each round's retraining. Each prune step carries the weights
just before it (``before``), so a histogram can show what the cut removed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from algorithms.activations import NAMES
from algorithms.base import Snapshot, frozen, num, param, plural, validate
from algorithms.network.captions import pct
from algorithms.network.layers import INITS, Arrays, Model, init_weights
from algorithms.network.trainer import History, Trainer, prepare
from algorithms.network.training import Params, make_spec
from algorithms.optimizers import OPTIMIZERS, Trail

SCOPES = ("global", "per layer")
LANES = ("iterative", "all at once")
GRANULARITIES = ("epoch", "round")
ROUND_COLUMNS = ("round", "sparsity", "train loss", "train accuracy", "test loss",
                 "test accuracy")


def magnitude_prune(weights, keep, sparsity: float, scope: str = "global"):
    """New keep masks (True = kept) with exactly round(sparsity·N) weights pruned, and the cut.

    ``keep`` may be None (nothing pruned yet). Already pruned weights count towards the
    target and are never kept again; among the rest, the smallest |w| go first (ties: the
    earlier position). Returns (keep masks, cut per layer): the cut is the largest |w| that
    was pruned (0 if none), so every kept weight has |w| ≥ cut.
    """
    if not 0 <= sparsity <= 1:
        raise ValueError(f"sparsity must be between 0 and 1, got {sparsity}")
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    weights = [np.asarray(w, float) for w in weights]
    keep = [np.ones(w.shape, bool) if k is None else np.asarray(k, bool)
            for w, k in zip(weights, keep or [None] * len(weights), strict=True)]
    groups = [list(range(len(weights)))] if scope == "global" else [[i] for i in
                                                                    range(len(weights))]
    new = [k.copy() for k in keep]
    cuts = [0.0] * len(weights)
    for group in groups:
        mags = np.concatenate([np.abs(weights[i]).ravel() for i in group])
        kept = np.concatenate([keep[i].ravel() for i in group])
        target = int(round(sparsity * len(mags)))
        target = max(target, int((~kept).sum()))  # never revive
        # pruned ones first (key −1), then by magnitude; stable, so ties go by position
        order = np.argsort(np.where(kept, mags, -1.0), kind="stable")
        flat = np.ones(len(mags), bool)
        flat[order[:target]] = False
        cut = float(mags[order[:target]].max()) if target else 0.0
        at = 0
        for i in group:
            size = weights[i].size
            new[i] = flat[at:at + size].reshape(weights[i].shape)
            cuts[i] = cut
            at += size
    return tuple(new), tuple(cuts)


def sparsity_of(keep) -> float:
    total = sum(k.size for k in keep)
    return float(sum((~k).sum() for k in keep) / total)


@dataclass(frozen=True)
class PruneParams:
    sparsity: float = param(0.8, limits=(0.0, 0.99), step=0.05, label="target sparsity",
                            tip="the fraction of weights (not biases) removed in the end")
    rounds: int = param(5, limits=(1, 20), label="prune rounds",
                        tip="iterative pruning reaches the target over this many rounds")
    retrain: int = param(20, limits=(0, 1000), label="retrain epochs per round")
    scope: str = param("global", values=SCOPES,
                       tip="global: one cut over all layers; per layer: each layer loses the "
                           "same fraction")
    pretrain: int = param(100, limits=(1, 10_000), label="dense training epochs")
    hidden: str = param("16, 16", label="hidden layers")
    activation: str = param("ReLU", values=NAMES)
    init: str = param(INITS[0], values=INITS, label="initial weights")
    rule: str = param("Adam", values=tuple(OPTIMIZERS), label="update rule")
    lr: float = param(0.01, limits=(1e-5, 10.0), step=0.001, label="learning rate η")
    batch_size: int = param(32, limits=(1, 100_000), step=1, label="mini-batch size")
    test_fraction: float = param(0.25, limits=(0.0, 0.9), step=0.05, label="test fraction")
    standardize: bool = param(True, label="standardise inputs")
    granularity: str = param("epoch", values=GRANULARITIES, label="one step is",
                             tip="epoch: one training epoch or one prune; round: the whole "
                                 "dense training, then each prune and each round's retraining")


class _Lane:
    def __init__(self, name: str, trainer: Trainer):
        self.name, self.t = name, trainer
        self.cuts: tuple[float, ...] = (0.0,) * trainer.spec.layers
        self.newly: tuple[np.ndarray, ...] | None = None
        self.before: tuple[np.ndarray, ...] | None = None
        dense = [0, 0, *self._scores()]   # round 0: the dense network
        self.after_prune, self.after_retrain = Trail(dense), Trail(dense)

    def keep(self) -> tuple[np.ndarray, ...]:
        return tuple(np.ones((a, b), bool) if k is None else k for k, (a, b) in
                     zip(self.t.keep, zip(self.t.spec.sizes, self.t.spec.sizes[1:],
                                          strict=False), strict=True))

    def prune(self, round_: int, sparsity: float, scope: str) -> None:
        old = self.keep()
        self.before = self.t.params()[0]
        keep, cuts = magnitude_prune(self.before, old, sparsity, scope)
        self.newly = tuple(frozen(o & ~k) for o, k in zip(old, keep, strict=True))
        if any(n.any() for n in self.newly):
            self.cuts = cuts
        self.t.set_keep(keep)
        self.after_prune.append([round_, sparsity_of(keep), *self._scores()])

    def _scores(self):
        return self.t.evaluate()[2:]

    def view(self) -> PruneLane:
        keep = self.keep()
        return PruneLane(name=self.name, weights=self.t.params()[0], biases=self.t.params()[1],
                         keep=tuple(map(frozen, keep)), sparsity=sparsity_of(keep),
                         layer_sparsity=tuple(float((~k).mean()) for k in keep),
                         cuts=self.cuts, newly_pruned=self.newly, before=self.before,
                         history=self.t.view_history(), after_prune=self.after_prune.view(),
                         after_retrain=self.after_retrain.view(), model=self.t.model())


@dataclass(frozen=True, kw_only=True)
class PruneLane:
    name: str                     # "iterative" or "all at once"
    weights: Arrays               # pruned entries are exactly 0
    biases: Arrays
    keep: Arrays                  # bool per layer, True = kept
    sparsity: float               # pruned weights / all weights
    layer_sparsity: tuple[float, ...]
    cuts: tuple[float, ...]       # per layer: the |w| cut of the latest prune that removed any
    newly_pruned: Arrays | None   # bool per layer: removed by this step's prune
    before: Arrays | None         # on a prune step: the weights just before the cut, else None
    history: History              # one row per epoch trained
    after_prune: np.ndarray       # rows ROUND_COLUMNS, right after each prune (round 0: dense)
    after_retrain: np.ndarray     # rows ROUND_COLUMNS, after each round's retraining
    model: Model


@dataclass(frozen=True, kw_only=True)
class PruneStep(Snapshot):
    round: int                    # 0 while the dense network trains
    epoch: int                    # epochs trained so far (dense and retraining)
    target: float                 # the iterative lane's sparsity target this round
    lanes: Mapping[str, PruneLane]


def run(X, y, params: PruneParams, rng: np.random.Generator) -> Iterator[PruneStep]:
    """Yield the start, each dense epoch, then per round: the prune, each retraining epoch."""
    validate(params)
    init_rng, split_rng, shuffle_rng, mask_rng = rng.spawn(4)
    data = prepare(X, y, params.test_fraction, params.standardize, split_rng)
    spec = make_spec(Params(hidden=params.hidden, activation=params.activation),
                     data.x.shape[1], len(data.classes))
    dense = Trainer(spec, data, rule=params.rule, lr=params.lr, batch_size=params.batch_size,
                    l2=0.0, dropout=0.0, dropconnect=0.0,
                    theta0=init_weights(spec, params.init, init_rng),
                    shuffle_rng=shuffle_rng, mask_rng=mask_rng)
    index = 0

    def snap(phase, caption, lanes, round_, target):
        nonlocal index
        views = {lane.name: lane.view() for lane in lanes}
        metrics = {}
        for name, v in views.items():
            last = v.history.last()
            metrics[f"{name} sparsity"] = v.sparsity
            metrics.update({f"{name} {k}": last[k] for k in ("train accuracy", "test accuracy")
                            if not np.isnan(last[k])})
        step = PruneStep(index=index, phase=phase, caption=caption, metrics=metrics,
                         round=round_, epoch=lanes[0].t.epoch, target=target,
                         lanes=MappingProxyType(views))
        index += 1
        return step

    one = [_Lane("dense", dense)]
    n_w = sum(a * b for a, b in zip(spec.sizes, spec.sizes[1:], strict=False))
    yield snap("start", f"A dense {spec.text} with {n_w} weights trains for "
               f"{params.pretrain} epochs before any pruning.", one, 0, 0.0)
    whole = params.granularity == "round"
    for epoch in range(1, params.pretrain + 1):
        dense.train_epoch()
        dense.record()
        if not whole:
            yield snap("train", f"Dense training, epoch {epoch} of {params.pretrain}: "
                       f"{_scores(dense)}.", one, 0, 0.0)
    if whole:
        yield snap("train", f"Dense training, {plural(params.pretrain, 'epoch')}: "
                   f"{_scores(dense)}. Now two copies of it are pruned: one a little each "
                   f"round, one all at once.", one, 0, 0.0)
    lanes = [_Lane(name, dense.fork()) for name in LANES]
    for round_ in range(1, params.rounds + 1):
        target = params.sparsity * round_ / params.rounds
        lanes[0].prune(round_, target, params.scope)
        lanes[1].prune(round_, params.sparsity, params.scope)
        yield snap("prune", _prune_caption(lanes, round_, params, target), lanes, round_,
                   target)
        for lane in lanes:
            lane.newly = lane.before = None
        for epoch in range(1, params.retrain + 1):
            for lane in lanes:
                lane.t.train_epoch()
                lane.t.record()
            last = epoch == params.retrain
            if last:
                for lane in lanes:
                    lane.after_retrain.append([round_, sparsity_of(lane.keep()),
                                               *lane._scores()])
            done = last and round_ == params.rounds
            if whole and not last:
                continue
            what = (plural(params.retrain, "retraining epoch") if whole
                    else f"retraining epoch {epoch} of {params.retrain}")
            yield snap("done" if done else "retrain",
                       f"Round {round_}, {what} (pruned weights stay 0):\n"
                       + "\n".join(f"{lane.name}: {_scores(lane.t)}" for lane in lanes),
                       lanes, round_, target)
        if params.retrain == 0 and round_ == params.rounds:
            yield snap("done", "Finished: no retraining was asked for.", lanes, round_, target)


def _scores(t: Trainer) -> str:
    last = t.view_history().last()
    text = f"train loss {num(last['train loss'])} ({pct(last['train accuracy'])})"
    if not np.isnan(last["test accuracy"]):
        text += f", test {pct(last['test accuracy'])}"
    return text


def _prune_caption(lanes, round_, params, target) -> str:
    lines = [f"Round {round_} of {params.rounds}: prune the smallest |w| "
             f"({params.scope})."]
    for lane, goal in zip(lanes, (target, params.sparsity), strict=True):
        removed = sum(int(n.sum()) for n in lane.newly)
        sp = sparsity_of(lane.keep())
        acc = lane.after_prune.view()[-1][ROUND_COLUMNS.index("train accuracy")]
        if removed:
            cut = (num(lane.cuts[0], 3) if params.scope == "global"
                   else " / ".join(num(c, 3) for c in lane.cuts) + " per layer")
            lines.append(f"{lane.name}: removed {plural(removed, 'more weight')} (|w| ≤ {cut}), "
                         f"now {pct(sp)} sparse (target {pct(goal)}); train accuracy right "
                         f"after: {pct(acc)}")
        else:
            lines.append(f"{lane.name}: already {pct(sp)} sparse, nothing more to remove; "
                         f"train accuracy {pct(acc)}")
    return "\n".join(lines)
