"""Support vector machine: SMO pair by pair (or subgradient epochs), margin and vectors.

A two-class linear SVM draws its boundary f = 0 and margin edges f = ±1 as straight lines;
with a kernel they are curves: level lines of f traced on a grid in the background.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import svm
from algorithms.base import num, param, plural
from algorithms.labelled import MAX_CLASSES
from visualizer.panels.classify_common import ClassifierPanel, pen
from visualizer.panels.contours import contour_lines
from visualizer.panels.overlays import line_sample, marker_sample
from visualizer.panels.ranges import FixedRanges
from visualizer.style import INK, STYLE, colour

LEVEL_CELLS = 160   # grid samples along each axis for the kernel's level lines
LEVELS = (0.0, 1.0, -1.0)   # boundary, then the margin's two edges


@dataclass(frozen=True)
class Params(svm.Params):
    add_class: int = param(1, limits=(1, MAX_CLASSES), live=True, label="class to add",
                           tip="left click adds a training point of this class; right click "
                               "deletes the nearest point")


class SVMPanel(ClassifierPanel):
    id, title = "svm", "Support vector machine"
    Params = Params
    main_title = "Margin"

    def setup(self, canvas):
        self.setup_main(canvas)
        self.lines = [pg.InfiniteLine(angle=0, movable=False) for _ in range(3)]
        for line in self.lines:
            line.setZValue(8)
            self.main.addItem(line)
        self.curves = [pg.PlotCurveItem(connect="finite") for _ in LEVELS]
        for curve in self.curves:
            curve.setZValue(8)
            self.main.addItem(curve)
        self._curves_key = None
        self.pair = pg.ScatterPlotItem(symbol="s", pxMode=True)
        self.pair.setZValue(9)
        self.main.addItem(self.pair)
        self.cost_plot = canvas.addPlot(row=0, col=1, title="Objective")
        self.cost_plot.setLabel("bottom", "step")
        self.primal = self.cost_plot.plot(name="primal J")
        self.dual = self.cost_plot.plot(name="dual")
        self.cost_range = FixedRanges(self.cost_plot)
        layout = canvas.ci.layout
        layout.setColumnStretchFactor(0, 3)
        layout.setColumnStretchFactor(1, 1)

    def restyle(self):
        super().restyle()
        self.lines[0].setPen(pen(width=STYLE.line_width + 1))
        for line in self.lines[1:]:
            line.setPen(pen(style=QtCore.Qt.DashLine))
        self.curves[0].setPen(pen(width=STYLE.line_width + 1))
        for curve in self.curves[1:]:
            curve.setPen(pen(style=QtCore.Qt.DashLine))
        self.pair.setSize(STYLE.marker_size + 14)
        self.pair.setPen(pg.mkPen(colour(3), width=3))
        self.pair.setBrush(None)
        self.primal.setPen(pen())
        self.dual.setPen(pen(colour(2), style=QtCore.Qt.DashLine))

    def legend_extra(self):
        size = STYLE.marker_size
        entries = [(marker_sample("o", None, width=2, size=size + 2), "support vector"),
                   (marker_sample("s", None, pen=colour(3), width=3, size=size + 2),
                    "pair just optimised")]
        if self.data is not None and len(self.data.names) == 2:
            entries += [(line_sample(INK), "boundary f = 0"),
                        (line_sample(style=QtCore.Qt.DashLine), "margin f = ±1")]
        return entries

    def steps(self):
        self._legend_entries()
        return svm.run(self.data, self.params, self.rng())

    def intro(self):
        how = ("one SMO step optimises two α at a time" if self.params.solver == "SMO"
               or self.params.kernel != "linear" else "one step is one subgradient epoch")
        return (f"{self.described}. Press Step (→): {how}, with C = {num(self.params.C)} "
                f"({self.params.kernel} kernel).")

    def draw(self, step):
        if step is None:
            self.show_points()
            self.shade(None)
            for line in self.lines:
                line.hide()
            self._curves(None)
            self.pair.setData([], [])
            self.scene.ring(None)
            self.primal.setData([], [])
            self.dual.setData([], [])
            self.cost_range.forget()
            self.status.set_text("not started")
            return
        d, model = self.data, step.model
        self.scene.show(d.y, hollow=d.test)
        self.mark_mistakes(step.predicted)
        self.shade(model)
        support = np.unique(np.concatenate([mc.support for mc in model.machines]))
        self.scene.ring(d.X[support] if len(support) else None)
        self.pair.setData(pos=d.X[list(step.pair)] if step.pair else np.zeros((0, 2)))
        self._lines(model)
        primals, duals = np.asarray(step.primals), np.asarray(step.duals)
        x = np.arange(len(primals))
        self.primal.setData(x, primals)
        ok = np.isfinite(duals)
        self.dual.setData(x[ok], duals[ok])
        values = np.concatenate([primals[np.isfinite(primals)], duals[ok]])
        if len(values):
            self.cost_range.fit(len(primals) + 1, min(0.0, float(values.min())),
                                float(values.max()))
        n_sv = plural(len(support), "support vector")
        self.status.set_text(f"step {step.index} · {n_sv} · J = {num(step.primal, 4)}")

    def _curves(self, model):
        """The level lines f = 0, ±1 of a two-class kernel SVM, traced in the background
        once per model; None hides them."""
        if model is None or model.kernel == "linear" or not model.binary:
            self._curves_key = None
            for curve in self.curves:
                curve.setData([], [])
            return
        key = id(model)
        if key == self._curves_key:
            return
        self._curves_key = key
        X = self.data.X
        (x0, x1), (y0, y1) = self.main.vb.viewRange()   # the view and the data, both
        pad = (X.max(0) - X.min(0)) * 0.1 + 1e-9
        lo = np.minimum(X.min(0) - pad, [x0, y0])
        hi = np.maximum(X.max(0) + pad, [x1, y1])
        xs = np.linspace(lo[0], hi[0], LEVEL_CELLS)
        ys = np.linspace(lo[1], hi[1], LEVEL_CELLS)

        def work():
            grid = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)   # x varies fastest
            f = model.decision_function(grid).reshape(len(ys), len(xs))
            return [contour_lines(xs, ys, f, [level]) for level in LEVELS]

        def arrived(lines, key=key):
            if isinstance(lines, Exception):
                self.failed.emit(lines)
            elif key == self._curves_key:
                for curve, (cx, cy) in zip(self.curves, lines, strict=True):
                    curve.setData(cx, cy)

        self.background.submit(("margin curves", id(self)), work, arrived)

    def _lines(self, model):
        """Boundary and margin edges of a two-class SVM: straight lines for the linear
        kernel, level curves otherwise (more classes: the regions show it)."""
        if model.kernel != "linear" and model.binary:
            for line in self.lines:
                line.hide()
            self._curves(model)
            return
        self._curves(None)
        if model.kernel != "linear" or not model.binary:
            for line in self.lines:
                line.hide()
            return
        w, b = model.lines()[0]
        norm2 = float(w @ w)
        if not (norm2 > 0 and math.isfinite(norm2) and math.isfinite(b)):
            for line in self.lines:
                line.hide()
            return
        angle = math.degrees(math.atan2(w[0], -w[1]))
        for line, level in zip(self.lines, (0.0, 1.0, -1.0), strict=True):
            line.setPos(QtCore.QPointF(*((level - b) * w / norm2)))
            line.setAngle(angle)
            line.show()
