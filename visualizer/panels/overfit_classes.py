"""Overfitting in 2-D: decision trees of rising depth on the classifiers' labelled points —
the regions at each depth beside training and validation accuracy against depth, the best
depth marked; training points filled, validation points ringed, test points hollow.

The data, clicks (left adds a training point of the chosen class, right deletes the nearest
point, both undoable) and region shading come from classify_common.ClassifierPanel."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import labelled, overfit_classes
from algorithms.base import param
from algorithms.labelled import MAX_CLASSES
from visualizer.panels.classify_common import ClassifierPanel
from visualizer.panels.overlays import Legend, StatusBox, line_sample, marker_sample
from visualizer.style import INK, PALETTE, STYLE

# The accuracy curves' colours stay clear of the class colours (a CSV may use the first 10).
TRAIN, VAL = INK, PALETTE[14]
TOP = 1.16    # room above 100 % for the status box


@dataclass(frozen=True)
class Params(overfit_classes.Params):
    add_class: int = param(1, limits=(1, MAX_CLASSES), live=True, label="class to add",
                           tip="left click adds a training point of this class; right click "
                               "deletes the nearest point")


@dataclass(frozen=True)
class Data(labelled.Data):
    noise: float = param(0.3, limits=(0.0, 1.0), step=0.05,
                         tip="spread of the points around their shape: noise is what a deep "
                             "tree learns by heart")


class OverfitClassesPanel(ClassifierPanel):
    id, title, topic = "overfit_classes", "Overfitting in 2-D", "Overfitting"
    Params, Data = Params, Data
    main_title = "Decision tree regions"

    def setup(self, canvas):
        self.setup_main(canvas)
        self.acc_plot = canvas.addPlot(row=0, col=1, title="Accuracy against depth")
        self.acc_plot.setLabel("bottom", "tree depth (complexity)")
        self.acc_plot.setLabel("left", "accuracy")
        self.acc_plot.setMouseEnabled(x=False, y=False)
        self.acc_plot.showGrid(x=True, y=True, alpha=0.15)
        self.acc_plot.disableAutoRange()
        self.acc_plot.getAxis("left").setTicks(
            [[(v / 10, f"{10 * v} %") for v in range(11)], []])
        self.train_curve = self.acc_plot.plot(symbol="o")
        self.val_curve = self.acc_plot.plot(symbol="t")
        self.best = pg.ScatterPlotItem(symbol="star", pxMode=True)
        self.best.setZValue(10)
        self.acc_plot.addItem(self.best)
        self.now = pg.InfiniteLine(angle=90)
        self.acc_plot.addItem(self.now)
        self.acc_status = StatusBox(self.acc_plot, "top-left")
        self.acc_legend = Legend(self.acc_plot.addLegend(offset=(-10, -10)),  # bottom right
                                 width=lambda: self.acc_plot.vb.width() * 0.9)
        layout = canvas.ci.layout
        layout.setColumnStretchFactor(0, 3)
        layout.setColumnStretchFactor(1, 2)

    _points_key = None

    def restyle(self):
        super().restyle()
        self._points_key = None
        width, size = STYLE.line_width, STYLE.marker_size * 1.2
        for curve, c in ((self.train_curve, TRAIN), (self.val_curve, VAL)):
            curve.setPen(pg.mkPen(c, width=width))
            curve.setSymbolBrush(c)
            curve.setSymbolSize(size)
        self.best.setSize(STYLE.marker_size * 3.2)
        self.best.setBrush(pg.mkBrush("#ffffff"))
        self.best.setPen(pg.mkPen(INK, width=2))
        self.now.setPen(pg.mkPen(INK, width=1, style=QtCore.Qt.DashLine))
        self.acc_status.restyle()
        self.acc_legend.fill([
            (line_sample(TRAIN, symbol="o"), "training accuracy"),
            (line_sample(VAL, symbol="t"), "validation accuracy"),
            (marker_sample("star", "#ffffff", width=2, size=STYLE.marker_size * 2.2),
             "highest validation")], key="accuracy")

    def legend_extra(self):
        size = STYLE.marker_size
        return [(marker_sample("o", None, width=2, size=size + 8), "validation point (ringed)")]

    # --- data ---------------------------------------------------------------------------
    def _set_data(self, data):
        super()._set_data(data)
        self._points_key = None
        self._frame_accuracy()

    def set_params(self, params, live=False):
        super().set_params(params, live)
        self._frame_accuracy()

    def _frame_accuracy(self):
        """Fixed ranges for the whole run: every depth; from a little under the share of the
        largest class (what guessing it for every point scores) up to 100 %."""
        if self.data is None:
            return
        guess = float(np.bincount(self.data.y).max()) / len(self.data.y)
        self.acc_lo = max(0.0, min(guess, 0.9) - 0.1)
        self.acc_plot.setRange(xRange=(0.5, self.params.max_depth + 0.5),
                               yRange=(self.acc_lo, TOP), padding=0)

    def roles(self) -> overfit_classes.Roles:
        """Which points train, validate and test now (the run makes the same split); kept
        until the data, the hand-made points or the validation share change."""
        key = (id(self.data), len(self.added), self.params.validation)
        if getattr(self, "_roles_key", None) != key:
            self._roles_key = key
            self._roles = overfit_classes.roles(self.data, self.params.validation,
                                                self.seed, len(self.added))
        return self._roles

    # --- running ------------------------------------------------------------------------
    def steps(self):
        return overfit_classes.run(self.data, self.params, self.seed, len(self.added),
                                   self.rng())

    def intro(self):
        held = len(self.roles().val)
        return (f"{self.described}; {held:,} of the training points are held out to validate. "
                f"Press Step (→) to grow the tree one level deeper at each step, up to depth "
                f"{self.params.max_depth}; click to add a point.")

    def draw(self, step):
        d = self.data
        key = (id(d), id(self.roles()))
        if key != self._points_key:   # the same every step: only new data or style redo it
            self._points_key = key
            r = self.roles()
            self.scene.show(d.y, hollow=d.test)
            self.scene.ring(d.X[r.val] if len(r.val) else None)
        if step is None or step.model is None:
            self.shade(None)
            self.scene.cross(None)
            for item in (self.train_curve, self.val_curve, self.best):
                item.setData([], [])
            self.now.hide()
            self.status.set_text("the points and their split" if step else "not started")
            self.acc_status.set_text("")
            return
        self.scene.shade(box_classifier(step.model), key=id(step.model))
        wrong = step.wrong
        self.scene.cross(d.X[wrong] if wrong.any() else None)
        lo = self.acc_lo + 0.005   # an accuracy below the frame sits on its edge
        self.train_curve.setData(step.depths, np.clip(step.train_accuracy, lo, 1.0))
        self.val_curve.setData(step.depths, np.clip(step.val_accuracy, lo, 1.0))
        self.now.setValue(step.depth)
        self.now.show()
        train, val = step.train_accuracy[-1], step.val_accuracy[-1]
        if step.best_depth is None:
            self.best.setData([], [])
            self.status.set_text(f"depth {step.depth}: {step.leaves} boxes")
            self.acc_status.set_text(f"depth {step.depth}: training {pct(train)}, "
                                     f"validation {pct(val)}")
        else:
            b = step.best_depth
            self.best.setData([b], [np.clip(step.val_accuracy[b - 1], lo, 1.0)])
            self.status.set_text(f"chosen: depth {b}, {step.leaves} boxes")
            test = ("" if np.isnan(step.test_accuracy)
                    else f", test {pct(step.test_accuracy)}")
            self.acc_status.set_text(f"best depth {b}: validation "
                                     f"{pct(step.val_accuracy[b - 1])}{test}")


def box_classifier(model):
    """classify(grid) -> (labels, confidence) for Scene2D.shade, as ClassifierPanel.shade
    gives (the leaf's most probable class and its probability), but painting each leaf's box
    straight onto the regular grid the shading sends — one slice per leaf instead of routing
    every grid point down the tree. Any other set of points is routed down the tree."""
    best = model.value.argmax(1)
    label, sure = model.classes[best], model.value[np.arange(model.n_nodes), best]

    def classify(grid):
        grid = np.asarray(grid, float)
        n = len(grid)
        ny = int(np.argmax(grid[:, 0] != grid[0, 0])) or n
        nx = n // ny
        gx, gy = grid[::ny, 0], grid[:ny, 1]
        regular = nx * ny == n and np.all(np.diff(gx) > 0) and np.all(np.diff(gy) > 0)
        if regular:   # compared in place: building the meshgrid again took 1.5 ms
            cells = grid.reshape(nx, ny, 2)
            regular = bool((cells[..., 0] == gx[:, None]).all()
                           and (cells[..., 1] == gy[None, :]).all())
        if not regular:
            leaf = model.apply(grid)
            return label[leaf], sure[leaf]
        labels, confidence = np.empty((nx, ny), label.dtype), np.empty((nx, ny))
        for leaf in model.leaves:   # a leaf's box is low < x ≤ high, feature by feature
            (x0, y0), (x1, y1) = model.box[leaf]
            i = slice(*np.searchsorted(gx, [x0, x1], side="right"))
            j = slice(*np.searchsorted(gy, [y0, y1], side="right"))
            labels[i, j], confidence[i, j] = label[leaf], sure[leaf]
        return labels.ravel(), confidence.ravel()

    return classify


def pct(a: float) -> str:
    return "—" if np.isnan(a) else f"{100 * a:.3g}\u00a0%"   # no break before the %
