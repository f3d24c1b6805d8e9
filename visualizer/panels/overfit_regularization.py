"""Regularisation: ridge (L2) and lasso (L1) on a high-degree polynomial — the fit with and
without the penalty, the coefficients as bars (lasso's exact zeros ringed), the loss
contours meeting the L2 circle or the L1 diamond, and the coefficient paths against λ."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import regularization
from algorithms.base import num
from visualizer.panels.overfit_common import FIT, CurvePanel, Status, decade_ticks, nice_ceiling
from visualizer.panels.overlays import Legend, line_sample, marker_sample
from visualizer.style import INK, PALETTE, STYLE, colour

PLAIN = PALETTE[3]     # the unpenalised least-squares fit and coefficients
BUDGET = PALETTE[2]    # the L2 circle / L1 diamond, and the rings round exact zeros
INTERCEPT = "#9a9a9a"
class OverfitRegularizationPanel(CurvePanel):
    id, title, topic = "overfit_regularization", "Regularization: ridge and lasso", \
        "Overfitting"
    Params = regularization.Params
    fit_name = "penalised fit"

    def setup(self, canvas):
        self.main = self.make_data_plot(canvas, row=0, col=0, title="The fit")
        self.plain_line = self.main.plot()
        self.plain_line.setZValue(7)

        self.bars_plot = canvas.addPlot(row=0, col=1, title="Coefficients")
        self.bars_plot.setLabel("bottom", "Legendre degree k")
        self.bars_plot.disableAutoRange()
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.6)
        self.bars_plot.addItem(self.bars)
        self.plain_marks = pg.ScatterPlotItem(symbol="d", pxMode=True)
        self.zero_rings = pg.ScatterPlotItem(symbol="o", pxMode=True)
        for item in (self.plain_marks, self.zero_rings):
            item.setZValue(5)
            self.bars_plot.addItem(item)
        self.coordinate = pg.InfiniteLine(angle=90)
        self.bars_plot.addItem(self.coordinate)
        self.bars_status = Status(self.bars_plot, "top-left")
        self.bars_legend = Legend(self.bars_plot.addLegend(offset=(-10, -10)),
                                  width=lambda: self.bars_plot.vb.width() * 0.9)

        self.pic = canvas.addPlot(row=1, col=0, title="Loss and penalty")
        self.pic.setLabel("bottom", "w₁ (feature x)")
        self.pic.setLabel("left", "w₂ (feature x²)")
        self.pic.setAspectLocked(True)
        self.pic.disableAutoRange()
        self.levels = self.pic.plot(connect="finite")
        self.touch = self.pic.plot(connect="finite")
        self.boundary = self.pic.plot()
        self.trail = self.pic.plot()
        self.pic_points = pg.ScatterPlotItem(pxMode=True)
        self.pic_points.setZValue(10)
        self.pic.addItem(self.pic_points)
        self.pic_status = Status(self.pic, "top-left")

        self.path_plot = canvas.addPlot(row=1, col=1, title="Paths against λ")
        self.path_plot.setLabel("bottom", "λ (log scale)")
        self.path_plot.setLogMode(x=True)
        self.path_plot.getAxis("bottom").enableAutoSIPrefix(False)
        decade_ticks(self.path_plot.getAxis("bottom"))   # not 2, 3 … 9 crowding each decade
        self.path_plot.disableAutoRange()
        self.path_plot.setRange(xRange=(-4, 1), yRange=(-1, 1), padding=0.02)  # until a path
        self.paths: list = []
        self.lam_line = pg.InfiniteLine(angle=90)
        self.path_plot.addItem(self.lam_line)
        self.path_status = Status(self.path_plot, "top-right")
        self.bar_range = None
        self._shown: dict = {}     # what each item shows now (see _changed)
        self._hidden = False       # the step items are hidden: nothing is shown yet

    def restyle(self):
        super().restyle()
        self._shown = {}           # new pens and brushes: every item is set again
        width, size = STYLE.line_width, STYLE.marker_size
        self.plain_line.setPen(pg.mkPen(PLAIN, width=width, style=QtCore.Qt.DashDotLine))
        # bar k has the colour of its path below; the intercept (never penalised) is grey
        self.bar_brushes = [pg.mkBrush(INTERCEPT)] + [pg.mkBrush(colour(k)) for k in range(20)]
        self.bars.setOpts(pen=pg.mkPen(INK, width=0.8))
        self.plain_marks.setSize(size * 1.5)
        self.plain_marks.setBrush(pg.mkBrush(PLAIN))
        self.plain_marks.setPen(pg.mkPen(INK, width=0.8))
        self.zero_rings.setSize(size * 2.2)
        self.zero_rings.setBrush(pg.mkBrush(255, 255, 255, 0))
        self.zero_rings.setPen(pg.mkPen(BUDGET, width=2.5))
        self.coordinate.setPen(pg.mkPen(INK, width=1, style=QtCore.Qt.DashLine))
        self.lam_line.setPen(pg.mkPen(INK, width=1.5, style=QtCore.Qt.DashLine))
        self.levels.setPen(pg.mkPen("#b0b0b0", width=1))
        self.touch.setPen(pg.mkPen(FIT, width=width))
        self.boundary.setPen(pg.mkPen(BUDGET, width=width * 1.5))
        self.trail.setPen(pg.mkPen(INK, width=1, style=QtCore.Qt.DotLine))
        self.point_brushes = [pg.mkBrush(PLAIN), pg.mkBrush(FIT)]
        self.pen_ink = pg.mkPen(INK, width=1)
        for box in (self.bars_status, self.pic_status, self.path_status):
            box.restyle()
        self.bars_legend.fill([
            (pg.BarGraphItem(x=[0], height=[1], width=0.6, brush=colour(0)), "with penalty"),
            (marker_sample("d", PLAIN, size=size * 1.5), "no penalty"),
            (marker_sample("o", None, pen=BUDGET, width=2.5, size=size * 2.2),
             "exactly 0")], key="bars")

    def more_entries(self):
        return [(line_sample(PLAIN, style=QtCore.Qt.DashDotLine), "no penalty")]

    def steps(self):
        return regularization.run(self.problem, self.params, self.rng())

    # --- drawing ------------------------------------------------------------------------
    def draw(self, step):
        if step is None:
            if self._hidden:
                return
            self._hidden = True
            # Hidden, not emptied: a hidden item costs nothing to paint, and the next step
            # sets (or shows again) what it draws.
            for item in (*self.step_items(), self.plain_line, self.plain_marks, self.coordinate):
                item.hide()
            self._draw_path(None)
            self.status.set_text("not started")
            return
        if self._hidden:
            self._hidden = False
            for item in self.step_items():
                item.show()
        plain = step.phase == "least squares"
        self.show_fit(step.curve)
        if self._changed("plain", step.least_squares_curve):  # shared by the run's steps
            lo, hi = self.y_range
            self.plain_line.setData(self.problem.grid, np.clip(step.least_squares_curve,
                                                               2 * lo - hi, 2 * hi - lo))
        self.plain_line.setVisible(not plain)
        self._draw_bars(step, plain)
        self._draw_picture(step.picture, plain)
        self._draw_path(step if step.phase == "path" else None)
        what = "no penalty" if plain else f"{step.penalty}, λ = {num(step.lam)}"
        sweep = f" · sweep {step.sweep}" if step.sweep and step.phase != "path" else ""
        self.status.set_text(f"{what}{sweep}")   # one line: the degree is on the bars' axis

    def step_items(self) -> tuple:
        """What a step draws, hidden before the first: plain_line and plain_marks are shown
        by the steps with a penalty only, the paths by the last."""
        return (self.fit_line, self.bars, self.zero_rings, self.pic_points, self.levels,
                self.touch, self.boundary, self.trail, self.bars_status.item,
                self.pic_status.item)

    def _changed(self, what: str, *content) -> bool:
        """True (and remembered) when `content` is not what `what` shows already: the
        snapshots of a run share their unpenalised fit, picture and path, and setting an
        item's data again costs its whole rebuild."""
        old = self._shown.get(what)
        if old is not None and len(old) == len(content) and all(
                a is b or (isinstance(a, (bool, int, float, str, tuple)) and a == b)
                for a, b in zip(old, content, strict=True)):
            return False
        self._shown[what] = content
        return True

    def _draw_bars(self, step, plain):
        d = step.degree
        k = np.arange(d + 1)
        top = nice_ceiling(1.15 * float(np.abs(step.least_squares).max(initial=0.0)))
        if self.bar_range != (d, top):  # fixed for the run: the unpenalised sizes bound it
            self.bar_range = (d, top)
            self.bars_plot.setRange(xRange=(-0.6, d + 0.6), yRange=(-top, top), padding=0)
        self.bars.setOpts(x=k, height=np.clip(step.coefficients, -top, top),
                          brushes=self.bar_brushes[:d + 1])
        if self._changed("plain marks", step.least_squares, top):
            self.plain_marks.setData(k, np.clip(step.least_squares, -top, top))
        self.plain_marks.setVisible(not plain)
        zero = np.flatnonzero(step.zeros)
        if self._changed("zeros", tuple(zero.tolist())):
            self.zero_rings.setData(zero, np.zeros(len(zero)))
        if step.phase == "update":
            self.coordinate.setValue(step.coordinate)
            self.coordinate.show()
        else:
            self.coordinate.hide()
        self.bars_status.set_text("no penalty" if plain else
                                  f"{len(zero)} of {d} exactly 0")

    def _draw_picture(self, pic, plain):
        if self.pic_frame is not pic:  # a new run: its contours and frame, once
            self.pic_frame = pic
            self.levels.setData(*pic.level_lines)   # ellipses, computed with the step
            frame = (pic.w1[0], pic.w1[-1], pic.w2[0], pic.w2[-1])
            if self.pic_range is not None:  # only ever grows while the data stay the same:
                a = self.pic_range            # a new λ does not re-lay out the axes
                frame = (min(a[0], frame[0]), max(a[1], frame[1]), min(a[2], frame[2]),
                         max(a[3], frame[3]))
            if frame != self.pic_range:
                self.pic_range = frame
                self.pic.setRange(xRange=frame[:2], yRange=frame[2:], padding=0)
        if self._changed("picture", pic, plain, STYLE.marker_size):
            empty = ([], [])
            self.touch.setData(*(empty if plain else pic.touch_line))
            self.boundary.setData(*(empty if plain else pic.boundary.T))
            self.trail.setData(*(empty if plain else pic.trail.T))
            points = [pic.least_squares] + ([] if plain else [pic.solution])
            self.pic_points.setData(pos=np.array(points), size=STYLE.marker_size * 2,
                                    brush=self.point_brushes[:len(points)], pen=self.pen_ink)
        name = "‖w‖₂" if pic.penalty == "ridge" else "‖w‖₁"
        self.pic_status.set_text("the unpenalised minimum" if plain else
                                 f"{name} = {num(pic.budget, 3)} at λ = {num(pic.lam)}")

    def _draw_path(self, step):
        if step is None:
            if self._changed("path", None):
                for line in self.paths:
                    line.hide()
                self.lam_line.hide()
                self.path_status.set_text("shown after the fit")
            return
        self._shown.pop("path", None)
        lams, coefs = step.path_lams, step.path_coefficients
        while len(self.paths) < coefs.shape[1] - 1:
            line = self.path_plot.plot()
            line.setPen(pg.mkPen(colour(len(self.paths)), width=STYLE.line_width))
            self.paths.append(line)
        for j, line in enumerate(self.paths):
            line.setVisible(j + 1 < coefs.shape[1])
            if j + 1 < coefs.shape[1]:
                line.setData(lams, coefs[:, j + 1])
        top = nice_ceiling(1.1 * float(np.abs(coefs[:, 1:]).max(initial=0.0)))
        self.path_plot.setRange(xRange=(np.log10(lams[0]), np.log10(lams[-1])),
                                yRange=(-top, top), padding=0.02)
        if step.lam > 0:
            self.lam_line.setValue(np.log10(step.lam))
            self.lam_line.show()
        best = int(np.argmin(step.path_val))
        self.path_status.set_text(f"best validation at λ ≈ {num(step.path_lams[best], 2)}")

    def _set_problem(self, problem):
        super()._set_problem(problem)
        self.pic_frame = self.pic_range = None
        self._shown = {}
