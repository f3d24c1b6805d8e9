"""More data: the learning curve of a simple and a complex polynomial — both fitted on a
growing training set (one step = more points), their training and validation errors."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import learning_curve
from algorithms.base import num
from visualizer.panels.overfit_common import (
    FIT,
    CurvePanel,
    Status,
    decade_ticks,
)
from visualizer.panels.overlays import Legend, line_sample, marker_sample
from visualizer.style import PALETTE, STYLE

SIMPLE, COMPLEX = PALETTE[2], FIT     # green: the simple model; vermilion: the complex one
UNUSED = (0, 114, 178, 60)            # training points not used yet: the training blue, faint


class OverfitLearningCurvePanel(CurvePanel):
    id, title, topic = "overfit_learning_curve", "More data: the learning curve", "Overfitting"
    Params = learning_curve.Params
    fit_name = "complex fit"

    def setup(self, canvas):
        self.main = self.make_data_plot(canvas, row=0, col=0, title="The fits")
        self.simple_line = self.main.plot()
        self.simple_line.setZValue(7)
        self.unused = pg.ScatterPlotItem(symbol="o", pxMode=True)
        self.unused.setZValue(4)
        self.main.addItem(self.unused)
        self.curve_plot = canvas.addPlot(row=0, col=1, title="Learning curve")
        self.curve_plot.setLabel("bottom", "training points used")
        self.curve_plot.setLabel("left", "mean squared error (log)")
        self.curve_plot.setLogMode(y=True)
        decade_ticks(self.curve_plot.getAxis("left"))
        self.curve_plot.disableAutoRange()
        self.lines = {key: self.curve_plot.plot() for key in
                      ("simple_train", "simple_val", "complex_train", "complex_val")}
        self.curve_status = Status(self.curve_plot, "top-right")
        self.curve_legend = Legend(self.curve_plot.addLegend(offset=(-10, -10)),
                                   width=lambda: self.curve_plot.vb.width() * 0.95)
        layout = canvas.ci.layout
        layout.setColumnStretchFactor(0, 1)
        layout.setColumnStretchFactor(1, 1)

    def restyle(self):
        super().restyle()
        width, size = STYLE.line_width * 1.4, STYLE.marker_size
        self.simple_line.setPen(pg.mkPen(SIMPLE, width=width * 1.15))
        self.unused.setSize(size * 1.3)
        self.unused.setBrush(pg.mkBrush(*UNUSED))
        self.unused.setPen(pg.mkPen(None))
        for key, item in self.lines.items():
            model, part = key.split("_")
            item.setPen(pg.mkPen(SIMPLE if model == "simple" else COMPLEX, width=width,
                                 style=QtCore.Qt.DashLine if part == "train"
                                 else QtCore.Qt.SolidLine))
            item.setSymbol("o" if part == "val" else None)
            item.setSymbolSize(size)
            item.setSymbolBrush(SIMPLE if model == "simple" else COMPLEX)
        self.curve_status.restyle()
        self._curve_legend()

    def _curve_legend(self):
        s, c = self.params.simple, self.params.complex
        dash = QtCore.Qt.DashLine
        self.curve_legend.fill([
            (line_sample(SIMPLE, symbol="o", size=STYLE.marker_size), f"degree {s}: validation"),
            (line_sample(SIMPLE, style=dash), f"degree {s}: training"),
            (line_sample(COMPLEX, symbol="o", size=STYLE.marker_size),
             f"degree {c}: validation"),
            (line_sample(COMPLEX, style=dash), f"degree {c}: training")], key=(s, c))

    def more_entries(self):
        return [(line_sample(SIMPLE), "simple fit"),
                (marker_sample("o", pg.mkColor(*UNUSED), pen=None), "not used yet")]

    def set_params(self, params, live=False):
        super().set_params(params, live)
        self._curve_legend()
        self._frame_curve()

    def _set_problem(self, problem):
        super()._set_problem(problem)
        self._frame_curve()

    def _frame_curve(self):
        if self.problem is None:
            return
        var = float(np.var(self.problem.y[self.problem.train])) or 1.0
        n = len(self.problem.train)
        self.curve_plot.setRange(xRange=(0, n + 1), yRange=(np.log10(var) - 3,
                                                            np.log10(var) + 2), padding=0)
        self.clip = (var * 10 ** -2.99, var * 10 ** 1.99)

    def steps(self):
        return learning_curve.run(self.problem, self.params, self.rng())

    def draw(self, step):
        p = self.problem
        if step is None:
            self.show_fit(None)
            self.simple_line.setData([], [])
            self.unused.setData([], [])
            self.marks["train"].setData(p.x[p.train], p.y[p.train])
            for item in self.lines.values():
                item.setData([], [])
            self.status.set_text("not started")
            self.curve_status.set_text("")
            return
        used, rest = step.order[:step.size], step.order[step.size:]
        self.marks["train"].setData(p.x[used], p.y[used])
        self.unused.setData(p.x[rest], p.y[rest])
        self.show_fit(step.complex_curve)
        lo, hi = self.y_range
        self.simple_line.setData(p.grid, np.clip(step.simple_curve, 2 * lo - hi, 2 * hi - lo))
        for key, item in self.lines.items():
            item.setData(step.sizes, np.clip(getattr(step, key), *self.clip))
        self.status.set_text(f"{step.size} of {len(p.train)} training points used")
        self.curve_status.set_text(
            f"validation − training: "
            f"{num(step.simple_val[-1] - step.simple_train[-1], 2)} (degree "
            f"{self.params.simple}), {num(step.complex_val[-1] - step.complex_train[-1], 2)} "
            f"(degree {self.params.complex})")

    def intro(self):
        return super().intro().replace("to begin", "to fit both models on the first "
                                       f"{min(self.params.start, len(self.problem.train))} "
                                       "training points")

