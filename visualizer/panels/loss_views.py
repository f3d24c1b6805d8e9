"""The losses panel's margin view: the hinge loss, the SVM's cost, against the margin
m = y·s of one example (label y = ±1, score s), with its gradient, beside the logistic loss
log(1 + e^−m) (two-class cross-entropy from the logit) for comparison; a dashed line the user
drags sets m and the box reads both losses and their gradients there.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import losses
from algorithms.base import num
from visualizer.panels.overlays import StatusBox
from visualizer.style import INK, STYLE, colour

HINGE, LOGISTIC = 3, 4          # palette slots: hinge its own, logistic shares cross-entropy's
M_SPAN = (-3.0, 3.0)
M = np.linspace(*M_SPAN, 601)
DASH = QtCore.Qt.DashLine


def logistic(m):
    """log(1 + e^−m): the binary cross-entropy of a logit whose margin is m."""
    return losses.binary_cross_entropy_logits(np.asarray(m, float), 1.0)


def logistic_gradient(m):
    return losses.binary_cross_entropy_logits_gradient(np.asarray(m, float), 1.0)


class MarginView:
    """One plot; ``moved(value, finished)`` is called while and after the line is dragged."""

    def __init__(self, canvas, row: int, col: int, moved: Callable[[float, bool], None]):
        self.plot = canvas.addPlot(row=row, col=col, title="Hinge (SVM): drag m")
        self.plot.setLabel("bottom", "margin m = y·s (label y = ±1, score s)")
        self.plot.setRange(xRange=M_SPAN, yRange=(-1.6, 6.8), padding=0)
        self.hinge, self.hinge_slope = self.plot.plot(), self.plot.plot()
        self.logistic, self.logistic_slope = self.plot.plot(), self.plot.plot()
        self.hinge.setZValue(3)
        self.dot = pg.ScatterPlotItem()
        self.dot.setZValue(10)
        self.plot.addItem(self.dot)
        self.line = pg.InfiniteLine(angle=90, movable=True, bounds=M_SPAN)
        self.line.sigPositionChanged.connect(lambda line: moved(line.value(), False))
        self.line.sigPositionChangeFinished.connect(lambda line: moved(line.value(), True))
        self.plot.addItem(self.line)
        self.status = StatusBox(self.plot, "top-right", bold=False)
        s = M
        self.hinge.setData(s, losses.hinge(s, 1.0))
        self.hinge_slope.setData(s, losses.hinge_gradient(s, 1.0))
        self.logistic.setData(s, logistic(s))
        self.logistic_slope.setData(s, logistic_gradient(s))

    def restyle(self):
        lw, size = STYLE.line_width, STYLE.marker_size
        self.hinge.setPen(pg.mkPen(colour(HINGE), width=lw * 2))
        self.hinge_slope.setPen(pg.mkPen(colour(HINGE), width=lw, style=DASH))
        self.logistic.setPen(pg.mkPen(colour(LOGISTIC), width=lw * 0.8))
        self.logistic_slope.setPen(pg.mkPen(colour(LOGISTIC), width=lw * 0.6, style=DASH))
        self.line.setPen(pg.mkPen(INK, width=lw, style=DASH))
        self.line.setHoverPen(pg.mkPen(INK, width=lw * 2.5, style=DASH))
        self.dot.setSize(size * 1.6)
        self.dot.setBrush(pg.mkBrush(colour(HINGE)))
        self.dot.setPen(pg.mkPen(INK))
        self.status.restyle(STYLE.tick_px)

    def show(self, m: float):
        """Put the line and the dot at margin m and read the losses out there."""
        if abs(self.line.value() - m) > 1e-9 and not self.line.moving:
            self.line.blockSignals(True)
            self.line.setValue(m)
            self.line.blockSignals(False)
        h, g = float(losses.hinge(m, 1.0)), float(losses.hinge_gradient(m, 1.0))
        self.dot.setData([m], [h])
        where = ("beyond the margin" if m >= 1 else
                 "inside the margin" if m >= 0 else "wrong side")
        self.status.set_html(
            f"m = {num(m, 3)}: {where}<br>"
            f"<b style='color:{colour(HINGE)}'>hinge</b> {num(h, 3)}, "
            f"slope {num(g + 0.0, 3)}<br>"
            f"<span style='color:{colour(LOGISTIC)}'>logistic</span> "
            f"{num(float(logistic(m)), 3)}, "
            f"slope {num(float(logistic_gradient(m)), 3)}")
