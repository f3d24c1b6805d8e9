"""Logistic regression: one gradient update per step, regions shaded by probability."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import logistic
from algorithms.base import num, param
from algorithms.labelled import MAX_CLASSES
from visualizer.panels.classify_common import ClassifierPanel, pen
from visualizer.panels.overlays import line_sample
from visualizer.panels.ranges import FixedRanges
from visualizer.style import INK, STYLE


@dataclass(frozen=True)
class Params(logistic.Params):
    add_class: int = param(1, limits=(1, MAX_CLASSES), live=True, label="class to add",
                           tip="left click adds a training point of this class; right click "
                               "deletes the nearest point")


class LogisticPanel(ClassifierPanel):
    id, title = "logistic", "Logistic regression"
    Params = Params
    main_title = "Probability regions"

    def setup(self, canvas):
        self.setup_main(canvas)
        self.boundary = pg.InfiniteLine(angle=0, movable=False)
        self.boundary.setZValue(8)
        self.main.addItem(self.boundary)
        self.loss_plot = canvas.addPlot(row=0, col=1, title="Cost J per update")
        self.loss_plot.setLabel("bottom", "update")
        self.curve = self.loss_plot.plot()
        self.loss_range = FixedRanges(self.loss_plot, cap=self.params.updates + 1)
        layout = canvas.ci.layout
        layout.setColumnStretchFactor(0, 3)
        layout.setColumnStretchFactor(1, 1)

    def restyle(self):
        super().restyle()
        self.boundary.setPen(pen(width=STYLE.line_width + 1))
        self.curve.setPen(pen())

    def legend_extra(self):
        if self.data is None or len(self.data.names) > 2:
            return []
        return [(line_sample(INK), "boundary p = ½")]

    def steps(self):
        self.loss_range.cap = self.params.updates + 1
        return logistic.run(self.data, self.params, self.rng())

    def intro(self):
        kind = "two classes" if len(np.unique(self.data.y_train)) == 2 else "softmax"
        return (f"{self.described}. Press Step (→): every step is one gradient update of "
                f"the weights ({kind}), starting from zero.")

    def draw(self, step):
        if step is None:
            self.show_points()
            self.shade(None)
            self.boundary.hide()
            self.curve.setData([], [])
            self.loss_range.forget()
            self.status.set_text("not started")
            return
        model = step.model
        self.show_points(model)
        self.shade(model)
        self._boundary(model)
        losses = np.asarray(step.losses)
        self.curve.setData(np.arange(len(losses)), losses)
        finite = losses[np.isfinite(losses)]
        if len(finite):
            self.loss_range.fit(len(losses) + 1, 0.0, float(finite.max()))
        words = {"converged": "converged ✓", "stopped": "stopped", "diverged": "diverged ✗"}
        self.status.set_text(f"update {step.iteration:,} · J = {num(step.loss, 4)}"
                             + (f" · {words[step.phase]}" if step.phase in words else ""))

    def _boundary(self, model):
        """The line w·x + b = 0 for two classes (softmax shows its boundaries as regions)."""
        if not model.binary:
            self.boundary.hide()
            return
        W, b = model.in_data_units()
        w, b = W[0], float(b[0])
        norm2 = float(w @ w)
        if not (norm2 > 0 and np.isfinite(norm2) and math.isfinite(b)):
            self.boundary.hide()
            return
        self.boundary.setPos(QtCore.QPointF(*(-b * w / norm2)))
        self.boundary.setAngle(math.degrees(math.atan2(w[0], -w[1])))
        self.boundary.show()



