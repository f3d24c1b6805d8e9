"""Early stopping: gradient descent on a high-degree polynomial, with the training and
validation loss per epoch, the patience window, the stop and the restored best weights."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import early_stopping
from algorithms.base import plural
from visualizer.panels.overfit_common import FIT, TRAIN, VAL, CurvePanel, Status, decade_ticks
from visualizer.panels.overlays import Legend, line_sample, marker_sample
from visualizer.panels.ranges import FixedRanges
from visualizer.style import INK, PALETTE, STYLE

GOAL = PALETTE[3]      # where descent is heading: the least-squares fit
BEST = PALETTE[2]      # the best epoch (green)
WAIT = (230, 159, 0, 40)   # the patience window: pale orange, the validation colour


class OverfitEarlyStoppingPanel(CurvePanel):
    id, title, topic = "overfit_early_stopping", "Early stopping", "Overfitting"
    Params = early_stopping.Params
    fit_name = "fit at this epoch"

    def setup(self, canvas):
        self.main = self.make_data_plot(canvas, row=0, col=0, title="The fit")
        self.goal_line = self.main.plot()
        self.goal_line.setZValue(7)
        self.loss_plot = canvas.addPlot(row=0, col=1, title="Loss per epoch")
        self.loss_plot.setLabel("bottom", "epoch")
        self.loss_plot.setLabel("left", "mean squared error (log)")
        self.loss_plot.setLogMode(y=True)
        decade_ticks(self.loss_plot.getAxis("left"))
        self.loss_range = FixedRanges(self.loss_plot)
        self.waiting = pg.LinearRegionItem(movable=False)
        self.waiting.setZValue(-5)
        self.loss_plot.addItem(self.waiting)
        self.train_loss = self.loss_plot.plot()
        self.val_loss = self.loss_plot.plot()
        self.best_line = pg.InfiniteLine(angle=90)
        self.stop_line = pg.InfiniteLine(angle=90)
        self.now_line = pg.InfiniteLine(angle=90)
        for line in (self.best_line, self.stop_line, self.now_line):
            self.loss_plot.addItem(line)
        self.best_mark = pg.ScatterPlotItem(symbol="star", pxMode=True)
        self.best_mark.setZValue(10)
        self.loss_plot.addItem(self.best_mark)
        self.loss_status = Status(self.loss_plot, "top-right")
        self.loss_legend = Legend(self.loss_plot.addLegend(offset=(-10, -10)),  # bottom right
                                  width=lambda: self.loss_plot.vb.width() * 0.6)
        layout = canvas.ci.layout
        layout.setColumnStretchFactor(0, 1)
        layout.setColumnStretchFactor(1, 1)

    def restyle(self):
        super().restyle()
        width = STYLE.line_width
        self.goal_line.setPen(pg.mkPen(GOAL, width=width, style=QtCore.Qt.DashDotLine))
        self.train_loss.setPen(pg.mkPen(TRAIN, width=width * 1.4))
        self.val_loss.setPen(pg.mkPen(VAL, width=width * 1.4))
        self.best_line.setPen(pg.mkPen(BEST, width=width * 1.4, style=QtCore.Qt.DashLine))
        self.stop_line.setPen(pg.mkPen(FIT, width=width * 1.4))
        self.now_line.setPen(pg.mkPen(INK, width=1, style=QtCore.Qt.DotLine))
        self.waiting.setBrush(pg.mkBrush(*WAIT))
        for line in self.waiting.lines:
            line.setPen(pg.mkPen(None))
        self.best_mark.setSize(STYLE.marker_size * 3)
        self.best_mark.setBrush(pg.mkBrush(BEST))
        self.best_mark.setPen(pg.mkPen(INK, width=1))
        self.loss_status.restyle()
        self.loss_legend.fill([
            (line_sample(TRAIN, width=width * 1.4), "training loss"),
            (line_sample(VAL, width=width * 1.4), "validation loss"),
            (marker_sample("star", BEST, size=STYLE.marker_size * 2.2), "best so far"),
            (pg.BarGraphItem(x=[0], height=[1], width=1, brush=pg.mkBrush(*WAIT),
                             pen=pg.mkPen(None)), "waiting (patience)"),
            (line_sample(FIT, width=width * 1.4), "stopped")], key="losses")

    def more_entries(self):
        return [(line_sample(GOAL, style=QtCore.Qt.DashDotLine), "least squares (the end)")]

    def steps(self):
        return early_stopping.run(self.problem, self.params, self.rng())

    def set_params(self, params, live=False):
        super().set_params(params, live)
        self.loss_range.forget()

    def draw(self, step):
        if step is None:
            self.show_fit(None)
            self.goal_line.setData([], [])
            for item in (self.train_loss, self.val_loss, self.best_mark):
                item.setData([], [])
            for item in (self.best_line, self.stop_line, self.now_line, self.waiting):
                item.hide()
            self.loss_range.forget()
            self.status.set_text("not started")
            self.loss_status.set_text("")
            return
        self.show_fit(step.curve)
        lo, hi = self.y_range
        self.goal_line.setData(self.problem.grid,
                               np.clip(step.converged_curve, 2 * lo - hi, 2 * hi - lo))
        train, val = step.train_losses, step.val_losses
        epochs = np.arange(len(train))
        self.train_loss.setData(epochs, train)
        self.val_loss.setData(epochs, val)
        both = np.concatenate([train, val])
        both = both[np.isfinite(both) & (both > 0)]
        if len(both):
            self.loss_range.fit(max(len(train), 2 * self.params.every),
                                float(np.log10(both.min())), float(np.log10(both.max())),
                                log=True)
        self.best_line.setValue(step.best_epoch)
        self.best_line.show()
        self.best_mark.setData([step.best_epoch], [np.log10(max(step.best_val, 1e-300))])
        last = len(train) - 1
        self.waiting.setRegion((step.best_epoch, last))
        self.waiting.setVisible(step.waited > 0)
        self.stop_line.setVisible(step.stopped_at is not None)
        if step.stopped_at is not None:
            self.stop_line.setValue(step.stopped_at)
        self.now_line.setValue(step.epoch)
        self.now_line.setVisible(step.restored)
        if step.phase == "diverged":
            self.status.set_text(f"diverged at epoch {step.epoch + 1}")
        elif step.restored:
            self.status.set_text(f"restored: the weights of epoch {step.best_epoch}")
        else:
            self.status.set_text(f"epoch {step.epoch}")
        if step.stopped_at is not None:
            wait = f"stopped at epoch {step.stopped_at}"
        else:
            wait = f"waited {step.waited} of {plural(self.params.patience, 'epoch')}"
        self.loss_status.set_text(f"best epoch {step.best_epoch} · {wait}")

    def intro(self):
        return super().intro().replace("to begin", "to start gradient descent")
