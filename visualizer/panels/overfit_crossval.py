"""k-fold cross-validation: one step holds one fold out, refits on the rest and scores it;
then the mean ± spread, the same for every degree, and the degree chosen. The test points
stay hollow and untouched throughout."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import crossval
from algorithms.base import num, plural
from visualizer.panels.overfit_common import (
    FIT,
    TEST,
    VAL,
    CurvePanel,
    Status,
    decade_ticks,
    nice_ceiling,
)
from visualizer.panels.overlays import line_sample, marker_sample
from visualizer.style import INK, STYLE, colour

FADED = 70   # alpha of the points the held-out fold is not: they are the ones fitted on


class OverfitCrossValPanel(CurvePanel):
    id, title, topic = "overfit_crossval", "k-fold cross-validation", "Overfitting"
    Params = crossval.Params
    fit_name = "fit"

    def setup(self, canvas):
        self.main = self.make_data_plot(canvas, row=0, col=0, rowspan=2, title="Folds")
        self.pool_marks = pg.ScatterPlotItem(symbol="o", pxMode=True)
        self.held_marks = pg.ScatterPlotItem(symbol="o", pxMode=True)
        for z, item in ((5, self.pool_marks), (6, self.held_marks)):
            item.setZValue(z)
            self.main.addItem(item)

        self.score_plot = canvas.addPlot(row=0, col=1, title="Error per fold")
        self.score_plot.setLabel("bottom", "fold")
        self.score_plot.disableAutoRange()
        self.score_bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        self.score_plot.addItem(self.score_bars)
        self.mean_line = pg.InfiniteLine(angle=0)
        self.band = pg.LinearRegionItem(orientation="horizontal", movable=False)
        self.band.setZValue(-5)
        self.score_plot.addItem(self.mean_line)
        self.score_plot.addItem(self.band)
        self.score_status = Status(self.score_plot, "top-left")

        self.cv_plot = canvas.addPlot(row=1, col=1, title="CV error by degree")
        self.cv_plot.setLabel("bottom", "degree")
        self.cv_plot.setLogMode(y=True)
        decade_ticks(self.cv_plot.getAxis("left"))
        self.cv_plot.disableAutoRange()
        self.cv_spread = self.cv_plot.plot(connect="pairs")
        self.cv_mean = self.cv_plot.plot(symbol="o")
        self.cv_best = pg.ScatterPlotItem(symbol="star", pxMode=True)
        self.cv_best.setZValue(10)
        self.cv_plot.addItem(self.cv_best)
        self.cv_status = Status(self.cv_plot, "top-left")
        layout = canvas.ci.layout
        layout.setColumnStretchFactor(0, 3)
        layout.setColumnStretchFactor(1, 2)

    def restyle(self):
        super().restyle()
        size, width = STYLE.marker_size * 1.3, STYLE.line_width
        self.fold_brushes = [pg.mkBrush(colour(j)) for j in range(20)]
        self.faded_brushes = []
        for j in range(20):
            faded = pg.mkColor(colour(j))
            faded.setAlpha(FADED)
            self.faded_brushes.append(pg.mkBrush(faded))
        self.pool_marks.setSize(size)
        self.pool_marks.setPen(pg.mkPen(INK, width=0.5))
        self.held_marks.setSize(size * 1.6)
        self.held_marks.setPen(pg.mkPen(INK, width=2.2))
        self.score_bars.setOpts(pen=pg.mkPen(INK, width=0.8))
        self.mean_line.setPen(pg.mkPen(INK, width=width, style=QtCore.Qt.DashLine))
        self.band.setBrush(pg.mkBrush(0, 0, 0, 30))
        for line in self.band.lines:
            line.setPen(pg.mkPen(None))
        self.cv_spread.setPen(pg.mkPen(VAL, width=width))
        self.cv_mean.setPen(pg.mkPen(VAL, width=width))
        self.cv_mean.setSymbolBrush(VAL)
        self.cv_mean.setSymbolSize(size)
        self.cv_best.setSize(STYLE.marker_size * 3.2)
        self.cv_best.setBrush(pg.mkBrush("#ffffff"))
        self.cv_best.setPen(pg.mkPen(INK, width=2))
        for box in (self.score_status, self.cv_status):
            box.restyle()

    def _data_legend(self):
        size = STYLE.marker_size * 1.3
        self.data_legend.fill([
            (marker_sample("o", colour(0), size=size), "fold 1 (a colour per fold)"),
            (marker_sample("o", None, width=2.2, size=size * 1.6), "held out"),
            (marker_sample("s", None, pen=TEST, width=1.6, size=size), "test: untouched"),
            (line_sample(FIT, width=STYLE.line_width * 1.6), self.fit_name)], key="folds")

    # --- data and parameters -------------------------------------------------------------
    def prepare(self, source):
        problem, message = super().prepare(source)
        self._check(problem, self.params)
        return problem, message

    @staticmethod
    def _check(problem, params):
        pool = len(problem.train) + len(problem.val)
        if pool < params.folds:
            raise ValueError(f"{params.folds} folds need at least {params.folds} points "
                             f"outside the test set; there are {pool}")

    def set_params(self, params, live=False):
        try:
            self._check(self.problem, params)
        except ValueError as err:
            self.replace_params(dataclasses.replace(params, folds=self.params.folds))
            self.message.emit("error", f"{err} — the folds are kept at {self.params.folds}.")
            return
        super().set_params(params, live)
        self._frame_cv()

    def _set_problem(self, problem):
        super()._set_problem(problem)
        self._frame_cv()

    def _frame_cv(self):
        if self.problem is None:
            return
        var = float(np.var(self.problem.y)) or 1.0
        self.cv_plot.setRange(xRange=(0.5, self.params.max_degree + 0.5),
                              yRange=(np.log10(var) - 2.5, np.log10(var) + 1.5), padding=0)
        self.cv_lo, self.cv_hi = var * 10 ** -2.49, var * 10 ** 1.49
        self.score_top = None

    def steps(self):
        return crossval.run(self.problem, self.params, self.rng())

    # --- drawing ------------------------------------------------------------------------
    def draw(self, step):
        p = self.problem
        split = step is not None
        for part in ("train", "val"):
            self.marks[part].setVisible(not split)
        if not split:
            self.show_fit(None)
            for item in (self.pool_marks, self.held_marks, self.cv_mean, self.cv_spread,
                         self.cv_best):
                item.setData([], [])
            self.score_bars.setOpts(x=[], height=[])
            self.mean_line.hide()
            self.band.hide()
            self.status.set_text("not started")
            self.score_status.set_text("")
            self.cv_status.set_text("")
            return
        self._draw_points(step)
        self.show_fit(step.curve if len(step.curve) else None)
        self._draw_scores(step)
        self._draw_degrees(step)
        test = f" · {plural(len(p.test), 'test point')} untouched" if len(p.test) else ""
        if step.phase == "fold":
            where = f"fold {step.fold} of {len(step.folds)} held out"
        elif step.phase == "choose":
            where = f"chosen: degree {step.best_degree}, refitted on all"
        else:
            where = f"{len(step.folds)} folds"
        self.status.set_text(where + test)

    def _draw_points(self, step):
        order = np.concatenate(step.folds)
        fold_of = np.concatenate([np.full(len(f), j) for j, f in enumerate(step.folds)])
        held = fold_of == step.fold - 1 if step.fold else np.zeros(len(order), bool)
        x, y = self.problem.x[order], self.problem.y[order]
        brushes = self.faded_brushes if step.fold else self.fold_brushes
        self.pool_marks.setData(x[~held], y[~held],
                                brush=[brushes[j % 20] for j in fold_of[~held]])
        self.held_marks.setData(x[held], y[held],
                                brush=[self.fold_brushes[j % 20] for j in fold_of[held]])

    def _draw_scores(self, step):
        k = len(step.folds)
        scores = step.scores
        top = nice_ceiling(1.15 * float(np.max(scores, initial=0.0)))
        if self.score_top is None or top > self.score_top or len(scores) == 0:
            self.score_top = top if len(scores) else None
            self.score_plot.setRange(xRange=(0.4, k + 0.6), yRange=(0, top), padding=0)
        self.score_bars.setOpts(x=np.arange(1, len(scores) + 1), height=scores,
                                brushes=self.fold_brushes[:len(scores)])
        done = len(scores) == k and step.phase != "fold"
        self.mean_line.setVisible(done)
        self.band.setVisible(done)
        if done:
            mean, spread = float(np.mean(scores)), float(np.std(scores))
            self.mean_line.setValue(mean)
            self.band.setRegion((mean - spread, mean + spread))
            self.score_status.set_text(f"degree {self.params.degree}: "
                                       f"{num(mean)} ± {num(spread)}")
        elif len(scores):
            self.score_status.set_text(f"fold {len(scores)}: {num(scores[-1])}")
        else:
            self.score_status.set_text(f"degree {self.params.degree}")

    def _draw_degrees(self, step):
        if len(step.degrees) == 0:
            self.cv_mean.setData([], [])
            self.cv_spread.setData([], [])
            self.cv_best.setData([], [])
            self.cv_status.set_text("every degree after the folds")
            return
        clip = (self.cv_lo, self.cv_hi)
        means = np.clip(step.cv_means, *clip)
        lo = np.clip(step.cv_means - step.cv_spreads, clip[0], clip[1])
        hi = np.clip(step.cv_means + step.cv_spreads, *clip)
        self.cv_mean.setData(step.degrees, means)
        self.cv_spread.setData(np.repeat(step.degrees, 2), np.column_stack([lo, hi]).ravel())
        if step.best_degree is None:
            self.cv_best.setData([], [])
            self.cv_status.set_text(f"degree {step.degrees[-1]}: {num(step.cv_means[-1])}")
        else:
            b = step.best_degree
            self.cv_best.setData([b], [np.log10(means[b - 1])])
            self.cv_status.set_text(f"best: degree {b}")

    def intro(self):
        return super().intro().replace("to begin", f"to cut the points into "
                                       f"{self.params.folds} folds")
