"""What the overfitting panels share: the one noisy-curve problem, its data plot with the
training, validation and test points in three markers, and clicks that add points.

Every panel of the topic fits the same `polyfit.Problem`; this module makes it from the
Data controls or a CSV (x, y: the first two numeric columns, or the ones chosen), draws it,
and lets a click add a training point (undoable, kept across panel switches). With the
"drawn" target, dragging on the fit plot draws the true curve (a stroke replaces the curve
over the x range it covers); the points are then sampled from it again with the same x and
noise, so they follow the curve. Both are undoable and kept as hand-made.
"""

from __future__ import annotations

import contextlib
import dataclasses

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from algorithms import polyfit
from algorithms.base import frozen, plural
from algorithms.polyfit import Problem
from visualizer.panels.base import AlgorithmPanel
from visualizer.panels.overlays import Legend, StatusBox, line_sample, marker_sample
from visualizer.sources import TABLE, Generated, TableChoice, select_columns
from visualizer.style import INK, PALETTE, STYLE

Data = polyfit.Data
TRAIN, VAL, TEST, TRUTH = PALETTE[0], PALETTE[1], "#555555", "#888888"
FIT = PALETTE[5]                      # the fitted curve: vermilion, apart from the points
SYMBOLS = {"train": "o", "val": "t", "test": "s"}
NAMES = {"train": "training", "val": "validation", "test": "test"}


NICE = (1.0, 2.0, 2.5, 5.0, 10.0)


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at least `value` (1 for nothing to show)."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    decade = 10.0 ** np.floor(np.log10(value))
    return decade * next(m for m in NICE if m * decade >= value)


class Status(StatusBox):
    """A status box that leaves its text item alone when the text is the same: setting it
    re-lays out the text and its box, about 0.2 ms a box every frame."""

    said: str | None = None

    def set_text(self, text: str) -> None:
        if text != self.said:
            self.said = text
            super().set_text(text)

    def set_html(self, html: str) -> None:
        self.said = None
        super().set_html(html)


def decade_ticks(axis) -> None:
    """Label a log axis at whole decades only: pyqtgraph's own log ticks add 2, 3 … 9 in
    every decade, which crowd into each other at large text sizes."""
    def label(k: int) -> str:
        return f"{10.0 ** k:g}" if -3 <= k <= 4 else f"1e{k}"

    axis.setTicks([[(k, label(k)) for k in range(-40, 41)], []])


def check_table(source: TableChoice, rng, data: Data) -> tuple[Problem, str]:
    """A problem from a CSV's x and y columns, or a ValueError in one sentence."""
    numeric = list(source.table.numeric_columns)
    if len(numeric) < 2:
        raise ValueError(f"{source.name}: a curve fit needs two numeric columns, x and y; "
                         f"this file has {len(numeric)}")
    x, y, _ = source.columns()
    points, _, _ = select_columns(source.table, x, y, None)
    problem = polyfit.from_xy(points[:, 0], points[:, 1], rng, data.validation, data.test,
                              source.name)
    return problem, " ".join(filter(None, (source.table.message,
                                           polyfit.describe_split(problem))))


def with_point(problem: Problem, x: float, y: float) -> Problem:
    """The problem with one more training point (x kept inside the drawn domain)."""
    x = float(np.clip(x, *problem.domain))
    n = len(problem.x)
    return dataclasses.replace(problem, x=frozen(np.append(problem.x, x)),
                               y=frozen(np.append(problem.y, y)),
                               train=frozen(np.append(problem.train, n)))


def without_last(problem: Problem) -> Problem:
    n = len(problem.x) - 1
    return dataclasses.replace(problem, x=frozen(problem.x[:n]), y=frozen(problem.y[:n]),
                               train=frozen(problem.train[problem.train != n]))


class CurvePanel(AlgorithmPanel):
    """Base of the overfitting panels: the problem, its data plot, clicks that add points.

    A subclass makes `self.data_plot = self.make_data_plot(canvas, ...)` in setup and
    calls `self.show_fit(curve)` in draw."""

    Data = Data
    accepts = (TABLE,)
    fit_name = "fit"

    def more_entries(self) -> list:
        """Legend entries of a panel's own extra curves on the data plot."""
        return []

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.problem: Problem | None = None
        self.added: list[tuple[float, float]] = []
        self.drawn: tuple[tuple[float, float], ...] = polyfit.DRAWN   # the drawn target
        self.stroke: list[tuple[float, float]] = []                   # being drawn now

    # --- the data plot ------------------------------------------------------------------
    def make_data_plot(self, canvas, row=0, col=0, rowspan=1, colspan=1, title="The fit"):
        plot = canvas.addPlot(row=row, col=col, rowspan=rowspan, colspan=colspan, title=title)
        self.click_plot = plot
        plot.disableAutoRange()
        self.truth_line = plot.plot()
        self.marks = {}
        for part in ("train", "val", "test"):
            item = pg.ScatterPlotItem(symbol=SYMBOLS[part], pxMode=True)
            item.setZValue(5)
            plot.addItem(item)
            self.marks[part] = item
        self.fit_line = plot.plot()
        self.fit_line.setZValue(8)
        self.ink = plot.plot()          # the stroke while it is drawn (hidden otherwise:
        self.ink.setZValue(12)          # even empty, a curve item costs ~0.2 ms a paint)
        self.ink.hide()
        view = plot.vb
        view.mouseDragEvent = lambda ev, axis=None: self._drag(view, ev, axis)
        self.status = Status(plot, "top-left")
        self.data_legend = Legend(plot.addLegend(offset=(-10, -10)),
                                  width=lambda: plot.vb.width() * 0.95)
        return plot

    def restyle(self):
        super().restyle()
        size, width = STYLE.marker_size * 1.3, STYLE.line_width
        pens = {"train": pg.mkPen(INK, width=0.8), "val": pg.mkPen(INK, width=0.8),
                "test": pg.mkPen(TEST, width=1.6)}
        brushes = {"train": pg.mkBrush(TRAIN), "val": pg.mkBrush(VAL), "test": None}
        for part, item in self.marks.items():
            item.setSize(size)
            item.setPen(pens[part])
            item.setBrush(brushes[part] or pg.mkBrush(255, 255, 255, 0))
        self.truth_line.setPen(pg.mkPen(TRUTH, width=width, style=QtCore.Qt.DashLine))
        self.fit_line.setPen(pg.mkPen(FIT, width=width * 1.6))
        self.ink.setPen(pg.mkPen(INK, width=width * 2.5))
        self.status.restyle()
        self._data_legend()

    def _data_legend(self):
        size = STYLE.marker_size * 1.3
        entries = [(marker_sample("o", TRAIN, size=size), NAMES["train"]),
                   (marker_sample("t", VAL, size=size), NAMES["val"]),
                   (marker_sample("s", None, pen=TEST, width=1.6, size=size), NAMES["test"]),
                   (line_sample(FIT, width=STYLE.line_width * 1.6), self.fit_name),
                   *self.more_entries()]
        truth = self.problem is not None and self.problem.truth is not None
        if truth:
            entries.append((line_sample(TRUTH, style=QtCore.Qt.DashLine),
                            "drawn true curve" if self.drawing() else "true curve"))
        self.data_legend.fill(entries, key=(truth, self.drawing()))

    def show_fit(self, curve) -> None:
        if curve is None or len(curve) == 0:
            self.fit_line.setData([], [])
            return
        # A wild high-degree fit is clipped to a margin around the data, not drawn to 1e6.
        lo, hi = self.y_range
        pad = hi - lo
        self.fit_line.setData(self.problem.grid, np.clip(curve, lo - pad, hi + pad))

    # --- data ---------------------------------------------------------------------------
    def prepare(self, source):
        rng = np.random.default_rng(self.seed)
        if isinstance(source, Generated):
            if source.params.target == "drawn":
                return polyfit.make_problem(source.params, rng,
                                            function=polyfit.drawn(self.drawn)), ""
            problem = polyfit.make_problem(source.params, rng)
            return problem, ""
        if isinstance(source, TableChoice):
            return check_table(source, rng, self.data_params)
        return super().prepare(source)

    def adopt(self, problem: Problem):
        self.added = []
        self._set_problem(problem)

    def _set_problem(self, problem: Problem):
        self.problem = problem
        x, y = problem.x, problem.y
        for part in ("train", "val", "test"):
            idx = getattr(problem, part)
            self.marks[part].setData(x[idx], y[idx])
        if problem.truth is not None:
            self.truth_line.setData(problem.grid, problem.truth)
        else:
            self.truth_line.setData([], [])
        self._data_legend()
        self.y_range = None
        self._frame_y()

    def _frame_y(self) -> None:
        """The fit plot's ranges: the data, with room above for the status box and below
        for the legend — as much as their heights need at the plot's size now (the
        legend's rows grow with the entries and the text size), never less than 0.22 and
        0.55 of the data's spread."""
        problem = self.problem
        if problem is None:
            return
        lo, hi = float(problem.y.min()), float(problem.y.max())
        if problem.truth is not None:
            lo, hi = min(lo, float(problem.truth.min())), max(hi, float(problem.truth.max()))
        spread = hi - lo or 1.0
        below, above, view = 0.55, 0.22, self.click_plot.vb.height()
        legend = self.data_legend.legend.boundingRect().height()
        if view > 80 and legend > 0:
            # shares of the view's height, with the boxes' offsets and a gap; the view spans
            # (1 + below + above)·spread, so below = legend share × that, above likewise
            status = max(self.status.item.boundingRect().height(),
                         QtGui.QFontMetrics(STYLE.font(STYLE.text_px, bold=True)).lineSpacing())
            low, high = (legend + 18) / view, (status + 12) / view
            if low + high < 0.8:
                span = 1 / (1 - low - high)
                below, above = max(below, low * span), max(above, high * span)
        y_range = (lo - below * spread, hi + above * spread)
        if self.y_range is None or not np.allclose(y_range, self.y_range, rtol=0.02):
            self.y_range = y_range
            self.click_plot.setRange(xRange=problem.domain, yRange=y_range, padding=0.02)

    def _reflow(self, width=None) -> None:
        super()._reflow(width)
        with contextlib.suppress(RuntimeError):   # a canvas being taken down
            self._frame_y()

    def described(self) -> str:
        added = f", {len(self.added)} added by hand" if self.added else ""
        return (f"{plural(len(self.problem.x), 'point')} ({self.problem.name}{added}): "
                f"{len(self.problem.train)} training, {len(self.problem.val)} validation, "
                f"{len(self.problem.test)} test")

    def intro(self):
        draw = "drag on it to draw the true curve; " if self.drawing() else ""
        return f"{self.described()}. Click the fit plot to add a training point; " \
               f"{draw}press Step (→) to begin."

    # --- clicks, by hand and undoable -------------------------------------------------
    def on_click(self, x, y, button):
        if button != QtCore.Qt.LeftButton:
            return
        self.edit(f"add a training point at ({x:.2f}, {y:.2f})",
                  lambda: self._add(x, y), self._remove_last)

    def _add(self, x, y):
        self.added.append((float(np.clip(x, *self.problem.domain)), float(y)))
        self._set_problem(with_point(self.problem, x, y))
        self.message.emit("info", f"Added a training point at ({x:.2f}, {y:.2f}); the run "
                                  f"starts again with {len(self.problem.train)} training points.")
        self.restart.emit()

    def _remove_last(self):
        self.added.pop()
        self._set_problem(without_last(self.problem))
        self.restart.emit()

    # --- the drawn target ---------------------------------------------------------------
    def drawing(self) -> bool:
        """The data shown is generated from the drawn target, so a drag redraws it."""
        return self.problem is not None and self.problem.name == "drawn curve"

    def _drag(self, view, ev, axis=None):
        if not self.drawing() or ev.button() != QtCore.Qt.LeftButton:
            pg.ViewBox.mouseDragEvent(view, ev, axis)   # as before: pan the view
            return
        ev.accept()
        if ev.isStart():
            start = view.mapSceneToView(ev.buttonDownScenePos())
            self.stroke = [(start.x(), start.y())]
            self.ink.show()
        point = view.mapSceneToView(ev.scenePos())
        self.stroke.append((point.x(), point.y()))
        xs, ys = zip(*self.stroke, strict=True)
        self.ink.setData(xs, ys)
        if ev.isFinish():
            stroke, self.stroke = self.stroke, []
            self.ink.setData([], [])
            self.ink.hide()
            self.draw_stroke(stroke)

    def draw_stroke(self, stroke) -> None:
        """Redraw the target under a stroke of (x, y) points in data units (undoable)."""
        old = self.drawn
        try:
            new = polyfit.merge_stroke(old, stroke)
        except ValueError as err:
            self.message.emit("error", f"{err}; the curve is kept.")
            return
        lo, hi = (min(p[0] for p in stroke), max(p[0] for p in stroke))
        self.edit(f"draw the true curve from x = {lo:.2f} to {hi:.2f}",
                  lambda: self._set_drawn(new), lambda: self._set_drawn(old))

    def _set_drawn(self, nodes) -> None:
        self.drawn = tuple((float(x), float(y)) for x, y in nodes)
        if not self.drawing():
            return
        data = dataclasses.replace(self.data_params, target="drawn")
        try:
            problem = polyfit.make_problem(data, np.random.default_rng(self.seed),
                                           function=polyfit.drawn(self.drawn))
        except ValueError as err:
            self.message.emit("error", f"{err}; the curve drawn before is kept.")
            return
        for x, y in self.added:
            problem = with_point(problem, x, y)
        self._set_problem(problem)
        self.restart.emit()

    def hand_made(self):
        state = {"added": [list(p) for p in self.added]} if self.added else {}
        if self.drawn != polyfit.DRAWN:
            state["drawn"] = [list(p) for p in self.drawn]
        return state

    def restore_hand_made(self, state):
        if state.get("drawn"):
            try:
                polyfit.clean_nodes(state["drawn"])
            except ValueError:
                pass
            else:
                self._set_drawn(state["drawn"])
        for x, y in state.get("added", []):
            self._add(x, y)
