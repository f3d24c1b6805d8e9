"""Training a small network on 2-D points: decision regions, the weights, the loss curves."""

from __future__ import annotations

from dataclasses import dataclass

from algorithms.base import param
from algorithms.network import training
from visualizer.panels.network_base import NetworkPanel


@dataclass(frozen=True)
class Params(training.Params):
    granularity: str = param("epoch", values=training.GRANULARITIES, label="one step is",
                             tip="layer: one layer forward or backward for one example; "
                                 "batch: one mini-batch update; epoch: one pass over the data")
    lr: float = param(0.03, limits=(1e-5, 10.0), step=0.001, label="learning rate η")


class NetworkTrainingPanel(NetworkPanel):
    id, title = "network-training", "Training a neural network"
    Params = Params
