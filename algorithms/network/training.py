"""Training the network one visible step at a time.

``run`` trains on labelled points with mini-batches. How much one snapshot covers is the
``granularity``: "layer" yields one sub-step per layer forward, the loss, one per layer
backward, then the update; "batch" one snapshot per mini-batch update; "epoch" one per
epoch. The training itself is the same at every granularity: the same seed gives the same
weights after the same number of updates.

Randomness comes from four generators spawned from ``rng``: the initial weights, the test
split, the batch order and the dropout/DropConnect masks, so switching dropout on leaves the
start, the split and the batch order unchanged. The highlighted example of a batch is its first one.

The optimizers are those of ``algorithms.optimizers``, working on one flat vector that holds
every W_l and b_l (``Layout``). Nesterov's look-ahead is honoured: the pass shown is taken at
the look-ahead weights, and it is that pass's gradient the update uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from algorithms.activations import NAMES
from algorithms.base import Snapshot, param, validate
from algorithms.network import captions
from algorithms.network.layers import INITS, LOSSES, Arrays, Model, Spec, init_weights
from algorithms.network.trainer import History, Trace, Trainer, UpdateInfo, prepare
from algorithms.optimizers import OPTIMIZERS

GRANULARITIES = ("layer", "batch", "epoch")
MAX_LAYERS, MAX_UNITS = 3, 32


@dataclass(frozen=True)
class Params:
    hidden: str = param("8, 8", label="hidden layers",
                        tip=f"units per hidden layer, comma-separated: 0 to {MAX_LAYERS} layers "
                            f"of 1 to {MAX_UNITS} units")
    activation: str = param("tanh", values=NAMES, tip="activation of every hidden unit")
    slope: float = param(0.01, limits=(0.0, 1.0), step=0.01, label="leaky slope",
                         when=("activation", ("leaky ReLU",)))
    alpha: float = param(1.0, limits=(0.01, 10.0), step=0.1, label="ELU α",
                         when=("activation", ("ELU",)))
    loss: str = param("cross-entropy", values=LOSSES,
                      tip="cross-entropy: softmax outputs; mse: ½·Σ (a − y)² on one-hot targets")
    output: str = param("sigmoid", values=NAMES, label="output activation",
                        when=("loss", ("mse",)))
    init: str = param(INITS[0], values=INITS, label="initial weights")
    rule: str = param("Adam", values=tuple(OPTIMIZERS), label="update rule")
    lr: float = param(0.01, limits=(1e-5, 10.0), step=0.001, label="learning rate η")
    batch_size: int = param(32, limits=(1, 100_000), step=1, label="mini-batch size")
    epochs: int = param(200, limits=(1, 100_000), label="epochs")
    l2: float = param(0.0, limits=(0.0, 1.0), step=1e-4, label="L2 λ",
                      tip="adds (λ/2)·Σ w² to the loss: every update also shrinks each weight")
    dropout: float = param(0.0, limits=(0.0, 0.9), step=0.05, label="dropout rate p",
                           tip="each hidden unit is dropped with probability p, per example")
    dropconnect: float = param(0.0, limits=(0.0, 0.9), step=0.05, label="DropConnect rate",
                               tip="each weight is dropped with this probability, per example")
    granularity: str = param("batch", values=GRANULARITIES, label="one step is",
                             tip="layer: one layer forward or backward for one example; "
                                 "batch: one mini-batch update; epoch: one pass over the data")
    test_fraction: float = param(0.25, limits=(0.0, 0.9), step=0.05, label="test fraction")
    standardize: bool = param(True, label="standardise inputs",
                              tip="x' = (x − mean)/std per coordinate, from the training set")


def parse_hidden(text: str) -> tuple[int, ...]:
    parts = [p for p in str(text).replace(";", ",").replace(" ", ",").split(",") if p]
    try:
        units = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"hidden layers must be whole numbers separated by commas, "
                         f"got {text!r}") from None
    if len(units) > MAX_LAYERS or any(not 1 <= u <= MAX_UNITS for u in units):
        raise ValueError(f"hidden layers: 0 to {MAX_LAYERS} layers of 1 to {MAX_UNITS} units, "
                         f"got {text!r}")
    return units


def make_spec(params: Params, inputs: int, outputs: int) -> Spec:
    return Spec((inputs, *parse_hidden(params.hidden), outputs), params.activation,
                params.loss, params.output, params.slope, params.alpha)


@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    granularity: str
    spec: Spec
    epoch: int                    # current epoch, from 1 (0 at the start)
    batch: int                    # batches done in this epoch
    batches: int                  # batches per epoch
    updates: int                  # updates applied so far
    layer: int | None             # the layer a forward/backward sub-step concerns (1 … L)
    weights: Arrays               # W_l used by this step's pass (after the update on
    biases: Arrays                # update/batch/epoch steps); read-only
    trace: Trace | None           # the highlighted example
    highlight: tuple[int, int, int] | None   # (layer, i, j): the weight the caption follows
    update: UpdateInfo | None     # set on steps that applied an update
    history: History
    model: Model
    dropout: float
    dropconnect: float


def _largest(arrays, layers=None) -> tuple[int, int, int]:
    """(layer, i, j) of the entry with the largest magnitude among the given layers' arrays."""
    best, where = -1.0, (1, 0, 0)
    for layer in layers or range(1, len(arrays) + 1):
        g = arrays[layer - 1]
        if g is None:
            continue
        i, j = np.unravel_index(int(np.argmax(np.abs(g))), g.shape)
        if abs(g[i, j]) > best:
            best, where = float(abs(g[i, j])), (layer, int(i), int(j))
    return where


def _check_watch(watch, spec: Spec):
    if watch is None:
        return None
    layer, i, j = (int(v) for v in watch)
    if not (1 <= layer <= spec.layers and 0 <= i < spec.sizes[layer - 1]
            and 0 <= j < spec.sizes[layer]):
        raise ValueError(f"there is no weight {watch} in the {spec.text}")
    return layer, i, j


def run(X, y, params: Params, rng: np.random.Generator, *,
        watch: tuple[int, int, int] | None = None) -> Iterator[Step]:
    """Train on points X (n, d) with labels y; ``watch=(layer, i, j)`` picks the weight
    W_layer[i, j] the captions follow (0-based i, j), else the one with the largest
    gradient in each step's layer."""
    validate(params)
    init_rng, split_rng, shuffle_rng, mask_rng = rng.spawn(4)
    data = prepare(X, y, params.test_fraction, params.standardize, split_rng)
    spec = make_spec(params, data.x.shape[1], len(data.classes))
    watch = _check_watch(watch, spec)
    trainer = Trainer(spec, data, rule=params.rule, lr=params.lr, batch_size=params.batch_size,
                      l2=params.l2, dropout=params.dropout, dropconnect=params.dropconnect,
                      theta0=init_weights(spec, params.init, init_rng),
                      shuffle_rng=shuffle_rng, mask_rng=mask_rng)
    index = 0

    def snap(phase, caption, *, layer=None, trace=None, highlight=None, update=None):
        nonlocal index
        ws, bs = trainer.params(trainer.theta if phase in ("forward", "loss", "backward")
                                else None)
        h = trainer.view_history()
        last = h.last()
        metrics = {"epoch": trainer.epoch, "updates": trainer.updates,
                   "train loss": last["train loss"], "train accuracy": last["train accuracy"]}
        if len(data.x_test):
            metrics.update({"test loss": last["test loss"],
                            "test accuracy": last["test accuracy"]})
        step = Step(index=index, phase=phase, caption=caption, metrics=metrics,
                    granularity=params.granularity, spec=spec, epoch=trainer.epoch,
                    batch=trainer.batch, batches=trainer.per_epoch, updates=trainer.updates,
                    layer=layer, weights=ws, biases=bs, trace=trace, highlight=highlight,
                    update=update, history=h, model=trainer.model(),
                    dropout=params.dropout, dropconnect=params.dropconnect)
        index += 1
        return step

    yield snap("init", captions.start(spec, params, data, trainer))
    total = params.epochs * trainer.per_epoch
    granular = params.granularity == "layer"
    while trainer.updates < total:
        for kind, layer, work in trainer.train_batch(granular):
            if kind == "update":
                break
            trace = trainer.trace(work)
            if kind == "backward":
                hl = watch if watch and watch[0] == layer else _largest(trace.dw, [layer])
            elif kind == "forward":
                hl = captions.forward_highlight(trainer, trace, layer, watch)
            else:
                hl = None
            yield snap(kind, captions.sub_step(kind, layer, spec, trainer, trace, hl),
                       layer=layer, trace=trace, highlight=hl)
        if trainer.diverged:
            yield snap("diverged", captions.diverged(trainer))
            return
        epoch_end = trainer.epoch_done()
        if params.granularity == "epoch" and not epoch_end:
            continue
        trainer.record()
        trace = trainer.trace(work)
        hl = watch or _largest(work.dw)
        info = trainer.update_info(work)
        done = trainer.updates >= total
        phase = "done" if done else {"layer": "update"}.get(params.granularity,
                                                           params.granularity)
        yield snap(phase, captions.update(params.granularity, spec, trainer, trace, hl, info,
                                          done), trace=trace, highlight=hl, update=info)
