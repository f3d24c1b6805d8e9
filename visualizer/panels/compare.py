"""Compare classifiers: nine classifiers trained side by side on the same data, live.

A 4 × 3 grid: the data alone, then one small plot per classifier (the eight classical ones
and a small neural network) with its decision regions, the points (training filled, test
hollow, its mistakes crossed) and its train and test accuracy; the best test accuracy is
framed; the legend fills the free corner. One step of the panel is one step of every
classifier still training (compare_run.py). A click in any plot adds a point of the chosen
class to the shared data (right click deletes the nearest), undoable.

Regions are computed per plot on a coarse grid off the UI thread (compare_views.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from algorithms.base import num, param, plural
from algorithms.labelled import MAX_CLASSES
from visualizer.panels import compare_run
from visualizer.panels.base import guarded, wrap_words
from visualizer.panels.classify_common import ClassifierPanel
from visualizer.panels.compare_views import Regions, SceneGroup
from visualizer.panels.overlays import Legend, StatusBox
from visualizer.panels.scene import Scene2D
from visualizer.style import INK, STYLE, UNASSIGNED

NARROW_PX = 150   # a plot narrower than this gets one number in its box, as with large text
COLUMNS = 4   # ten plots in 4 × 3, the legend in the two free slots: wide data (moons)
              # keeps larger plots than in 5 × 2


@dataclass(frozen=True)
class Params(compare_run.Params):
    add_class: int = param(1, limits=(1, MAX_CLASSES), live=True, label="class to add",
                           tip="left click in any plot adds a training point of this class "
                               "to every plot; right click deletes the nearest point")


class ComparePanel(ClassifierPanel):
    id, title = "compare", "Compare classifiers"
    Params = Params
    main_title = "The data"
    show_confusion = False   # ten small plots: no room for a matrix in each

    def setup(self, canvas):
        self.plots_ = []
        slots = 1 + len(compare_run.CLASSIFIERS)
        for slot in range(slots):
            plot = canvas.addPlot(row=slot // COLUMNS, col=slot % COLUMNS)
            plot.setAspectLocked(True)
            plot.hideAxis("left")
            plot.hideAxis("bottom")
            plot.setMouseEnabled(False, False)   # the plots keep one frame: clicks add points
            plot.setMenuEnabled(False)
            self.plots_.append(plot)
        self.main = self.click_plot = self.plots_[0]
        scenes = [Scene2D(p, self.background, self.failed.emit) for p in self.plots_]
        self.scene = SceneGroup(scenes)
        self.cells = self.plots_[1:]
        self.regions = [Regions(self, p, i) for i, p in enumerate(self.cells)]
        self.status = StatusBox(self.main, "bottom-right", bold=False)
        self.boxes = [StatusBox(p, "bottom-right", bold=False) for p in self.cells]
        legend = pg.LegendItem()
        free = -slots % COLUMNS   # slots left in the last row: the legend goes there
        canvas.addItem(legend, row=(slots - 1) // COLUMNS + (free == 0),
                       col=slots % COLUMNS if free else 0, colspan=free or COLUMNS)
        # its own height, centred in the corner, rather than rows spread over the whole cell
        legend.setSizePolicy(QtWidgets.QSizePolicy.Preferred, QtWidgets.QSizePolicy.Fixed)
        canvas.ci.layout.setAlignment(legend, QtCore.Qt.AlignCenter)
        share = (free or COLUMNS) / COLUMNS
        self.legend = Legend(legend, width=lambda: self.canvas.width() * 0.9 * share)
        canvas.installEventFilter(self)
        self._points_key = None
        self._crossed = [b""] * len(self.cells)   # the mistakes crossed in each plot
        self._best = ()
        self._narrow = False   # plots too narrow for two numbers (see keep_room)
        self._step = None      # the step drawn, to redraw its texts when the plots narrow
        self._titles()

    def _titles(self):
        self.set_title(self.main, self.main_title)
        short = self._short()   # large text, or plots too narrow for the long titles
        for plot, text in zip(self.cells, compare_run.titles(self.params, short), strict=True):
            self.set_title(plot, text if short else text.replace(", ", "<br>", 1))

    def restyle(self):
        self._titles()   # one line or two, as the text size allows
        super().restyle()
        self._points_key = None   # restyling the clouds reset their colours: show them again
        for box in [self.status, *self.boxes]:
            box.restyle(STYLE.tick_px)
            box.set_text(box.item.textItem.toPlainText())   # placed again in the new font
        for scene in self.scene.scenes:   # mistakes crossed, smaller than in a large plot
            scene.crosses.setSize(STYLE.marker_size * point_scale())
            scene.crosses.setPen(pg.mkPen(INK, width=1.5))
        self._frames()

    @staticmethod
    def set_title(plot, text):
        """Small plots, small titles: the classifier, then its setting below."""
        plot.setTitle(text, size=f"{STYLE.tick_px}px", bold=True)

    def _frames(self):
        plain = pg.mkPen(UNASSIGNED, width=1)
        best = pg.mkPen(INK, width=STYLE.line_width + 2)
        self.main.vb.setBorder(plain)
        for i, plot in enumerate(self.cells):
            plot.vb.setBorder(best if i in self._best else plain)

    def _legend_entries(self):
        super()._legend_entries()
        if self.data is not None and self.scene.cloud.rasterised:   # no crosses then
            self.legend.fill([e for e in self.legend.entries if e[1] != "misclassified"],
                             key=(id(self.data), "no crosses"))

    def eventFilter(self, watched, event):
        """As the base does; and when the canvas changes width, the titles and the boxes'
        texts fitted to it again (the window's own call may come before the canvas has its
        new size)."""
        if (event.type() == QtCore.QEvent.Resize and self.data is not None
                and event.size().width() != event.oldSize().width()):
            # once the canvas has laid its plots out at the new size
            QtCore.QTimer.singleShot(0, self.canvas, self._fit_plots)
        return super().eventFilter(watched, event)

    def keep_room(self, width=None):
        """As the base does, then each title on one line if it fits its own plot, else
        wrapped at the plot's width, or its share of the canvas if the grid is wider (the room
        the window offers counts docks stacked in one column twice, so the base wrapped short
        titles); its row as tall as the title (the plot's own is fixed at 30 px: two lines of
        large text ran into the plot); the plots asking for equal widths and heights; and the
        boxes' texts short when the plots are narrow."""
        super().keep_room(width)
        self._fit_plots()

    def _fit_plots(self):
        # a plot's share of the canvas as it is, or of the room the window offers if less
        # (titles sized to the canvas as it is would hold it at that width)
        room = getattr(self, "_room", None) or self.canvas.width()
        share = min(self.canvas.width(), room) / COLUMNS - 12
        narrow = share < NARROW_PX
        if narrow != self._narrow:   # titles and boxes' texts in the form that fits
            self._narrow = narrow
            self._titles()
            if self.data is not None:
                self._points_key = None
                self.draw(self._step)
        for plot in self.plots_:
            title = plot.titleLabel
            title.item.setTextWidth(-1)
            room = min(plot.width(), share) - 8   # a plot wider than its share is clipped
            if room > 0 and title.itemRect().width() > room:
                title.item.setTextWidth(max(60.0, room))
                wrap_words(title.item)
            title.updateMin()
            tall = math.ceil(title.itemRect().height()) + 2
            title.setMaximumHeight(tall)
            plot.layout.setRowFixedHeight(0, tall)
        self._equal_cells()
        # the grid may now fit where its old least width had pushed it past the canvas: the
        # canvas's own size, set again (a size below an item's least is kept at the least)
        self.canvas.centralWidget.setGeometry(self.canvas.range)

    def _equal_cells(self):
        """Every plot asks for the largest one's size: the grid then shares the room equally
        (from their own hints, a column of short titles came out narrower, and the row
        beside the legend, which cannot shrink below the legend, taller)."""
        for plot in self.plots_:
            plot.setPreferredSize(-1, -1)   # back to their own hints
            plot.setMinimumHeight(-1)
        # the legend's height is its row's least: the other rows may shrink no further
        low = self.legend.legend.effectiveSizeHint(QtCore.Qt.SizeHint.MinimumSize).height()
        for plot in self.plots_:
            plot.setMinimumHeight(max(low, plot.effectiveSizeHint(
                QtCore.Qt.SizeHint.MinimumSize).height()))
        hints = [plot.effectiveSizeHint(QtCore.Qt.SizeHint.PreferredSize)
                 for plot in self.plots_]
        wide, tall = max(h.width() for h in hints), max(h.height() for h in hints)
        for plot in self.plots_:
            plot.setPreferredSize(wide, tall)

    def set_params(self, params, live=False):
        super().set_params(params, live)
        self._titles()
        self.keep_room()

    def _set_data(self, data):
        super()._set_data(data)
        self._points_key = None
        self._crossed = [b""] * len(self.cells)   # matches no mask: crosses set anew

    # --- steps and drawing ----------------------------------------------------------------
    def steps(self):
        return compare_run.run(self.data, self.params, self.rng())

    def intro(self):
        return (f"{self.described}. Press Step (→): every classifier takes one step of its "
                f"own training (an update, an SMO pair, a split, a tree, a round); a "
                f"finished one stays as it is.")

    def draw(self, step):
        d = self.data
        self._step = step
        if self._points_key != id(d):   # the points' look changes only with the data
            self._points_key = id(d)
            sizes = np.full(len(d.y), point_scale()) if compact() else None
            for scene in self.scene.scenes:
                scene.show(d.y, hollow=d.test, sizes=sizes)
            self.status.set_text(plural(len(d.y), "point")
                                 if self._short() else
                                 f"{plural(len(d.y_train), 'training point')}\n"
                                 f"{plural(len(d.y_test), 'test point')}")
        if step is None:
            self._crossed = [None] * len(self.cells)
            for scene, regions, box in zip(self.scene.scenes[1:], self.regions, self.boxes,
                                           strict=True):
                scene.cross(None)
                regions.show(None)
                box.set_text("not started")
            self._best = ()
            self._frames()
            return
        for i, (scene, regions, box, cell) in enumerate(zip(
                self.scene.scenes[1:], self.regions, self.boxes, step.cells, strict=True)):
            if regions.model is not cell.model:
                regions.show(cell.model)
                # crosses on thousands of points would bury the regions: a large cloud
                # (drawn as an image) shows its mistakes only in the accuracies
                wrong = (None if cell.predicted is None or self.scene.cloud.rasterised
                         else np.asarray(cell.predicted) != d.y)
                key = None if wrong is None else wrong.tobytes()
                if key != self._crossed[i]:   # the same mistakes: the crosses stay
                    self._crossed[i] = key
                    scene.cross(None if wrong is None else d.X[wrong])
            text = self._status(cell, i in step.best)
            if text != box.item.textItem.toPlainText():   # re-laying text costs ~0.3 ms
                box.set_text(text)
        if step.best != self._best:
            self._best = step.best
            self._frames()

    def _short(self) -> bool:
        """Texts in their short form: large text, or plots too narrow for two numbers."""
        return compact() or self._narrow

    def _status(self, cell, best: bool) -> str:
        progress = cell.progress + (" ✓" if cell.done and cell.model is not None else "")
        if cell.model is None:
            return progress
        star = "★ " if best else ""
        test = "" if math.isnan(cell.test) else f"test {percent(cell.test)}"
        if self._short():   # small plots: one line, the number that ranks them
            return f"{star}{test or 'train ' + percent(cell.train)}"
        test = f", {test}" if test else ""   # a comma: one line in a plot of a 4-wide grid
        return f"{star}{progress}\ntrain {percent(cell.train)}{test}"

    # --- clicks in any of the plots ------------------------------------------------------
    @guarded
    def _on_scene_click(self, event):
        for plot in self.plots_:
            if plot.vb.sceneBoundingRect().contains(event.scenePos()):
                point = plot.vb.mapSceneToView(event.scenePos())
                self.on_click(point.x(), point.y(), event.button())
                return


def compact() -> bool:
    """Large text: titles on one line and one number per plot, so ten plots still fit."""
    return STYLE.scale > 1.3 or STYLE.presentation


def point_scale() -> float:
    """Markers in the small plots: as elsewhere, but smaller where large text has left the
    plots small (presentation markers filled them)."""
    return 0.6 if compact() else 1.0


def percent(x: float) -> str:
    return f"{num(100 * x, 3)}%"
