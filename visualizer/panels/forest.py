"""Bagging and random forest: one tree per step, its bootstrap sample, the forest's vote."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6 import QtCore

from algorithms import ensembles
from algorithms.base import param, plural
from algorithms.labelled import MAX_CLASSES
from visualizer.panels.classify_common import ClassifierPanel, pen
from visualizer.panels.overlays import marker_sample
from visualizer.panels.ranges import FixedRanges
from visualizer.style import STYLE, UNASSIGNED, colour


@dataclass(frozen=True)
class Params(ensembles.ForestParams):
    add_class: int = param(1, limits=(1, MAX_CLASSES), live=True, label="class to add",
                           tip="left click adds a training point of this class; right click "
                               "deletes the nearest point")


class ForestPanel(ClassifierPanel):
    id, title = "forest", "Bagging and random forest"
    Params = Params
    main_title = "The forest's vote"

    def setup(self, canvas):
        self.setup_main(canvas)
        self.acc_plot = canvas.addPlot(row=0, col=1, title="Accuracy per tree")
        self.acc_plot.setLabel("bottom", "trees")
        self.acc_plot.addLegend(offset=(-10, -10))
        self.train_curve = self.acc_plot.plot(name="train")
        self.oob_curve = self.acc_plot.plot(name="out-of-bag")
        self.acc_range = FixedRanges(self.acc_plot)
        layout = canvas.ci.layout
        layout.setColumnStretchFactor(0, 3)
        layout.setColumnStretchFactor(1, 1)

    def restyle(self):
        super().restyle()
        self.train_curve.setPen(pen())
        self.oob_curve.setPen(pen(colour(3), style=QtCore.Qt.DashLine))

    def legend_extra(self):
        return [(marker_sample("o", UNASSIGNED, width=1, size=STYLE.marker_size),
                 "faded: not drawn for this tree")]

    def steps(self):
        d = self.data
        self.accs: list[tuple[float, float]] = []
        return ensembles.run_forest(d.X_train, d.y_train, self.params, self.rng())

    def intro(self):
        return (f"{self.described}. Press Step (→): every step grows one more tree on a "
                f"bootstrap sample, up to {plural(self.params.n_trees, 'tree')}.")

    def draw(self, step):
        if step is None:
            self.show_points()
            self.shade(None)
            self.train_curve.setData([], [])
            self.oob_curve.setData([], [])
            self.acc_range.forget()
            self.status.set_text("not started")
            return
        d = self.data
        faded = np.zeros(len(d.y), bool)
        faded[d.train_index] = step.times_drawn == 0
        self.show_points(step.model, faded=faded)
        self.shade(step.model)
        trees = len(step.model.members)
        history = self._history(step)
        x = np.arange(1, len(history) + 1)
        self.train_curve.setData(x, history[:, 0])
        ok = np.isfinite(history[:, 1])
        self.oob_curve.setData(x[ok], history[ok, 1])
        self.acc_range.fit(max(len(history), 2) + 1, 0.0, 1.0)
        self.status.set_text(f"tree {trees} of {self.params.n_trees} · "
                             f"{int(faded.sum())} points left out")

    def _history(self, step):
        """Accuracy after each tree so far, as the player's earlier steps recorded it."""
        history = getattr(self, "_seen", {})
        key = id(step.model.members[0])
        if getattr(self, "_run", None) != key:
            self._run, history = key, {}
        history[len(step.model.members)] = (step.accuracy, step.oob_accuracy)
        self._seen = history
        m = len(step.model.members)
        return np.array([history.get(i, (np.nan, np.nan)) for i in range(1, m + 1)], float)
