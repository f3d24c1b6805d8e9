"""AdaBoost (SAMME) with stumps: one weak learner per step, sample weights as point sizes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg

from algorithms import ensembles
from algorithms.base import num, param
from algorithms.labelled import MAX_CLASSES
from visualizer.panels.classify_common import ClassifierPanel, pen
from visualizer.panels.overlays import line_sample, marker_sample
from visualizer.panels.ranges import FixedRanges
from visualizer.style import INK, STYLE, colour

LARGEST = 3.5   # a point's marker grows to at most this many times its size


@dataclass(frozen=True)
class Params(ensembles.AdaBoostParams):
    add_class: int = param(1, limits=(1, MAX_CLASSES), live=True, label="class to add",
                           tip="left click adds a training point of this class; right click "
                               "deletes the nearest point")


class AdaBoostPanel(ClassifierPanel):
    id, title = "adaboost", "AdaBoost"
    Params = Params
    main_title = "Weighted points"

    def setup(self, canvas):
        self.setup_main(canvas)
        self.cut = pg.InfiniteLine(angle=90, movable=False)
        self.cut.setZValue(8)
        self.main.addItem(self.cut)
        self.say_plot = canvas.addPlot(row=0, col=1, title="Each learner")
        self.say_plot.setLabel("bottom", "round")
        self.say_plot.addLegend(offset=(-10, 10))
        self.alpha_curve = self.say_plot.plot(name="say α", symbol="o")
        self.error_curve = self.say_plot.plot(name="weighted error", symbol="t")
        self.say_range = FixedRanges(self.say_plot)
        layout = canvas.ci.layout
        layout.setColumnStretchFactor(0, 3)
        layout.setColumnStretchFactor(1, 1)

    def restyle(self):
        super().restyle()
        self.cut.setPen(pen(colour(3), width=STYLE.line_width + 2))
        for curve, c in ((self.alpha_curve, INK), (self.error_curve, colour(3))):
            curve.setPen(pen(c))
            curve.setSymbolBrush(pg.mkBrush(c))
            curve.setSymbolSize(STYLE.marker_size * 0.6)

    def legend_extra(self):
        return [(line_sample(colour(3), width=STYLE.line_width + 2), "this round's stump"),
                (marker_sample("o", "#ffffff", width=1, size=STYLE.marker_size * 1.8),
                 "larger: more weight")]

    def steps(self):
        d = self.data
        return ensembles.run_adaboost(d.X_train, d.y_train, self.params, self.rng())

    def intro(self):
        return (f"{self.described}. Press Step (→): every round fits a stump to the weighted "
                f"points, then makes the ones it got wrong heavier.")

    def draw(self, step):
        if step is None:
            self.show_points()
            self.shade(None)
            self.cut.hide()
            self.alpha_curve.setData([], [])
            self.error_curve.setData([], [])
            self.say_range.forget()
            self.status.set_text("not started")
            return
        d = self.data
        sizes = np.ones(len(d.y))
        n = len(d.train_index)
        sizes[d.train_index] = np.clip(np.sqrt(step.weights * n), 0.4, LARGEST)
        # regions first: their grid is worked out in the background while the rest draws
        self.shade(step.model if step.model.members else None)
        self.show_points(step.model if step.model.members else None, sizes=sizes)
        stump = step.stump
        if stump is not None and stump.feature[0] >= 0 and step.phase == "round":
            self.cut.setAngle(90 if stump.feature[0] == 0 else 0)
            self.cut.setValue(float(stump.threshold[0]))
            self.cut.show()
        else:
            self.cut.hide()
        history = self._history(step)
        x = np.arange(1, len(history) + 1)
        self.alpha_curve.setData(x, history[:, 0])
        self.error_curve.setData(x, history[:, 1])
        top = np.nanmax(history) if len(history) and np.isfinite(history).any() else 1.0
        self.say_range.fit(max(len(history), 2) + 1, 0.0, max(float(top), 0.6))
        rounds = len(step.model.members)
        self.status.set_text(f"round {rounds} · α = {num(step.alpha, 3)} · weighted error "
                             f"{num(step.error, 3)}" if step.stump is not None
                             else "equal weights")

    def _history(self, step):
        """(α, weighted error) of each learner so far, as the steps shown recorded them."""
        members = step.model.members
        key = id(members[0]) if members else None
        if getattr(self, "_run", None) != key:
            self._run, self._seen = key, {}
        if members:
            self._seen[len(members)] = (step.alpha, step.error)
        return np.array([self._seen.get(i, (np.nan, np.nan))
                         for i in range(1, len(members) + 1)], float).reshape(-1, 2)
