"""Underfit / overfit: the fit over the points as the degree rises, beside the training and
validation error against degree (the U-shaped validation curve, its minimum marked)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import overfitting, polyfit
from algorithms.base import num
from visualizer.panels.overfit_common import TRAIN, VAL, CurvePanel, Status, decade_ticks
from visualizer.panels.overlays import Legend, line_sample, marker_sample
from visualizer.style import INK, STYLE


class OverfitDegreePanel(CurvePanel):
    id, title, topic = "overfit_degree", "Underfitting and overfitting", "Overfitting"
    Params = overfitting.Params

    def setup(self, canvas):
        self.main = self.make_data_plot(canvas, row=0, col=0, title="Polynomial fit")
        self.err_plot = canvas.addPlot(row=0, col=1, title="Error against degree")
        self.err_plot.setLabel("bottom", "degree")
        self.err_plot.setLabel("left", "mean squared error (log)")
        self.err_plot.setLogMode(y=True)
        decade_ticks(self.err_plot.getAxis("left"))
        self.err_plot.disableAutoRange()
        self.train_curve = self.err_plot.plot(symbol="o")
        self.val_curve = self.err_plot.plot(symbol="t")
        self.best = pg.ScatterPlotItem(symbol="star", pxMode=True)
        self.best.setZValue(10)
        self.err_plot.addItem(self.best)
        self.now = pg.InfiniteLine(angle=90)
        self.err_plot.addItem(self.now)
        self.err_status = Status(self.err_plot, "top-right")
        self.err_legend = Legend(self.err_plot.addLegend(offset=(10, -10)),  # bottom left
                                 width=lambda: self.err_plot.vb.width() * 0.9)
        layout = canvas.ci.layout
        layout.setColumnStretchFactor(0, 3)
        layout.setColumnStretchFactor(1, 2)

    def restyle(self):
        super().restyle()
        width, size = STYLE.line_width, STYLE.marker_size * 1.2
        self.train_curve.setPen(pg.mkPen(TRAIN, width=width))
        self.train_curve.setSymbolBrush(TRAIN)
        self.train_curve.setSymbolSize(size)
        self.val_curve.setPen(pg.mkPen(VAL, width=width))
        self.val_curve.setSymbolBrush(VAL)
        self.val_curve.setSymbolSize(size)
        self.best.setSize(STYLE.marker_size * 3.2)
        self.best.setBrush(pg.mkBrush("#ffffff"))
        self.best.setPen(pg.mkPen(INK, width=2))
        self.now.setPen(pg.mkPen(INK, width=1, style=QtCore.Qt.DashLine))
        self.err_status.restyle()
        self.err_legend.fill([
            (line_sample(TRAIN, symbol="o"), "training error"),
            (line_sample(VAL, symbol="t"), "validation error"),
            (marker_sample("star", "#ffffff", width=2, size=STYLE.marker_size * 2.2),
             "lowest validation error")], key="errors")

    def _set_problem(self, problem):
        super()._set_problem(problem)
        self._frame_errors()

    def set_params(self, params, live=False):
        super().set_params(params, live)
        self._frame_errors()

    def _frame_errors(self):
        """Fixed ranges for the whole run: every degree, errors from the noise floor up."""
        if self.problem is None:
            return
        y = self.problem.y
        var = float(np.var(y[self.problem.train])) or 1.0
        lo, hi = np.log10(var) - 3, np.log10(var) + 1.5
        self.err_plot.setRange(xRange=(0.5, self.params.max_degree + 0.5),
                               yRange=(lo, hi), padding=0)
        self.err_lo, self.err_hi = 10.0 ** lo, 10.0 ** hi

    def steps(self):
        return overfitting.run(self.problem, self.params, self.rng())

    def draw(self, step):
        if step is None or step.degree == 0:
            self.show_fit(None)
            for item in (self.train_curve, self.val_curve, self.best):
                item.setData([], [])
            self.now.hide()
            self.status.set_text("the data and its split" if step else "not started")
            self.err_status.set_text("")
            return
        self.show_fit(step.curve)
        clip = (self.err_lo * 1.01, self.err_hi * 0.99)  # off-scale errors sit on the edge
        self.train_curve.setData(step.degrees, np.clip(step.train_errors, *clip))
        self.val_curve.setData(step.degrees, np.clip(step.val_errors, *clip))
        self.now.setValue(step.degree)
        self.now.show()
        if step.best_degree is None:
            self.best.setData([], [])
            sign = ">" if step.underdetermined else "≤"
            self.status.set_text(f"degree {step.degree}: {step.degree + 1} coefficients "
                                 f"{sign} {len(self.problem.train)} training points")
            self.err_status.set_text(f"degree {step.degree}: "
                                     f"validation {num(step.val_errors[-1])}")
        else:
            b = step.best_degree
            self.best.setData([b], [np.log10(np.clip(step.val_errors[b - 1], *clip))])
            self.status.set_text(f"chosen: degree {b}")
            test = "" if np.isnan(step.test_error) else f", test {num(step.test_error)}"
            self.err_status.set_text(f"best degree {b}: validation "
                                     f"{num(step.val_errors[b - 1])}{test}")

    def intro(self):
        return super().intro().replace("to begin", f"to fit degrees 1 to "
                                       f"{min(self.params.max_degree, polyfit.MAX_DEGREE)}")
