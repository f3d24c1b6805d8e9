"""No regulariser, dropout and DropConnect trained side by side at the same rate.

All three networks start from the same weights and see the same mini-batches in the same
order (their generators are seeded alike); only the masks differ. One step is one epoch of
all three, or one mini-batch update of all three (``granularity="batch"``). Both
regularisers are the inverted kind: what is kept is scaled by 1/(1 − p) during training,
so the test-time network is used as it is — the snapshot says so in numbers, beside the
notes' classic form (no scaling while training, weights × (1 − p) at test time), which
gives every unit the same expected input.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from algorithms.activations import NAMES
from algorithms.base import Snapshot, num, param, plural, validate
from algorithms.network.captions import pct
from algorithms.network.layers import INITS, Arrays, MaybeArrays, Model, init_weights
from algorithms.network.trainer import History, Trainer, prepare
from algorithms.network.training import Params, make_spec
from algorithms.optimizers import OPTIMIZERS

LANES = ("none", "dropout", "DropConnect")
GRANULARITIES = ("epoch", "batch")


@dataclass(frozen=True)
class CompareParams:
    rate: float = param(0.3, limits=(0.05, 0.9), step=0.05, label="drop rate p",
                        tip="dropout drops units, DropConnect weights, with this probability")
    hidden: str = param("16, 16", label="hidden layers")
    activation: str = param("ReLU", values=NAMES)
    init: str = param(INITS[0], values=INITS, label="initial weights")
    rule: str = param("Adam", values=tuple(OPTIMIZERS), label="update rule")
    lr: float = param(0.01, limits=(1e-5, 10.0), step=0.001, label="learning rate η")
    batch_size: int = param(32, limits=(1, 100_000), step=1, label="mini-batch size")
    epochs: int = param(300, limits=(1, 100_000), label="epochs")
    test_fraction: float = param(0.5, limits=(0.05, 0.9), step=0.05, label="test fraction")
    standardize: bool = param(True, label="standardise inputs")
    granularity: str = param("epoch", values=GRANULARITIES, label="one step is",
                             tip="epoch: one pass over the data by all three networks; "
                                 "batch: one mini-batch update of all three")


@dataclass(frozen=True, kw_only=True)
class Lane:
    name: str                     # "none", "dropout" or "DropConnect"
    weights: Arrays
    biases: Arrays
    unit_masks: MaybeArrays       # this epoch's last batch, its first example: dropout masks
    weight_masks: MaybeArrays     # … and DropConnect masks (None where not used)
    history: History              # one row per epoch (and the start)
    model: Model


@dataclass(frozen=True, kw_only=True)
class CompareStep(Snapshot):
    epoch: int                    # current epoch, from 1 (0 at the start)
    updates: int                  # mini-batch updates of each network so far
    batch: int                    # batches done in this epoch
    batches: int                  # batches per epoch
    rate: float
    keep_scale: float             # 1/(1 − p): kept units or weights are multiplied by this
    example: int | None           # the example whose masks the lanes show (row in the data)
    lanes: Mapping[str, Lane]


def _lane_view(name: str, t: Trainer) -> Lane:
    def first(masks):
        return tuple(None if m is None else m[0] for m in masks)

    m = t.masks
    return Lane(name=name, weights=t.params()[0], biases=t.params()[1],
                unit_masks=first(m.units), weight_masks=first(m.weights),
                history=t.view_history(), model=t.model())


def run(X, y, params: CompareParams, rng: np.random.Generator) -> Iterator[CompareStep]:
    """Yield the start, then one snapshot per epoch (or mini-batch update) of all three."""
    validate(params)
    init_rng, split_rng, shuffle_rng, mask_rng = rng.spawn(4)
    data = prepare(X, y, params.test_fraction, params.standardize, split_rng)
    base = Params(hidden=params.hidden, activation=params.activation)
    spec = make_spec(base, data.x.shape[1], len(data.classes))
    theta0 = init_weights(spec, params.init, init_rng)
    seeds = shuffle_rng.integers(0, 2**63), mask_rng.integers(0, 2**63)
    rates = {"none": (0.0, 0.0), "dropout": (params.rate, 0.0),
             "DropConnect": (0.0, params.rate)}
    lanes = {name: Trainer(spec, data, rule=params.rule, lr=params.lr,
                           batch_size=params.batch_size, l2=0.0, dropout=d, dropconnect=c,
                           theta0=theta0, shuffle_rng=np.random.default_rng(seeds[0]),
                           mask_rng=np.random.default_rng(seeds[1]))
             for name, (d, c) in rates.items()}
    scale = 1 / (1 - params.rate)
    p = num(params.rate)
    intro = (f"Three copies of one {spec.text}, same start, same batches. Dropout drops each "
             f"hidden unit with p = {p}, DropConnect each weight with p = {p}; what is kept is "
             f"×{num(scale, 3)} while training (inverted), so at test time all three use every "
             f"unit and weight as they are. The notes' classic form would instead leave training "
             f"unscaled and multiply the weights by 1 − p = {num(1 - params.rate)} at test time.")
    yield _snapshot(lanes, 0, "start", params, None, intro)
    first = lanes["none"]
    per_epoch = first.per_epoch
    batches = params.granularity == "batch"
    total = params.epochs * per_epoch if batches else params.epochs
    for k in range(1, total + 1):
        for t in lanes.values():
            if t.diverged:
                continue
            if batches:
                for _ in t.train_batch(False):
                    pass
            else:
                t.train_epoch()
            t.record()
        example = int(data.train_index[first.idx[0]])
        done = k == total or all(t.diverged for t in lanes.values())
        if batches:
            epoch, batch = (k - 1) // per_epoch + 1, (k - 1) % per_epoch + 1
            lines = [f"Update {k}: epoch {epoch}, mini-batch {batch} of {per_epoch} "
                     f"({plural(len(first.idx), 'example')}), the same for all three (scores "
                     f"after it, each network used whole):"]
        else:
            lines = [f"Epoch {k} (test accuracy after it, the network used whole):"]
        for name, t in lanes.items():
            last = t.view_history().last()
            stop = " — diverged, stopped" if t.diverged else ""
            lines.append(f"{name}: train loss {num(last['train loss'])} "
                         f"({pct(last['train accuracy'])}), test loss {num(last['test loss'])} "
                         f"({pct(last['test accuracy'])}){stop}")
        yield _snapshot(lanes, k, "done" if done else params.granularity, params, example,
                        "\n".join(lines))
        if done:
            return


def _snapshot(lanes, k, phase, params, example, caption) -> CompareStep:
    views = {name: _lane_view(name, t) for name, t in lanes.items()}
    metrics = {f"{name} {what}": v.history.last()[what] for name, v in views.items()
               for what in ("train loss", "test accuracy")
               if not np.isnan(v.history.last()[what])}
    per = lanes["none"].per_epoch
    if params.granularity == "batch":
        epoch, batch, updates = (k - 1) // per + 1 if k else 0, (k - 1) % per + 1 if k else 0, k
    else:
        epoch, batch, updates = k, per if k else 0, k * per
    return CompareStep(index=k, phase=phase, caption=caption, metrics=metrics, epoch=epoch,
                       updates=updates, batch=batch, batches=per,
                       rate=params.rate, keep_scale=1 / (1 - params.rate), example=example,
                       lanes=MappingProxyType(views))
