"""Decision tree: one split per step, the thresholds scanned with their gain, the diagram."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import tree
from algorithms.base import param
from algorithms.labelled import MAX_CLASSES
from visualizer.panels.classify_common import ClassifierPanel, pen
from visualizer.panels.overlays import line_sample
from visualizer.style import INK, STYLE, colour

MAX_LABELS = 63   # node labels drawn in the diagram (deeper trees show their shape only)


@dataclass(frozen=True)
class Params(tree.Params):
    add_class: int = param(1, limits=(1, MAX_CLASSES), live=True, label="class to add",
                           tip="left click adds a training point of this class; right click "
                               "deletes the nearest point")


class TreePanel(ClassifierPanel):
    id, title = "tree", "Decision tree"
    Params = Params
    main_title = "Splits"

    def setup(self, canvas):
        self.setup_main(canvas, rowspan=2)
        self.box = pg.PlotCurveItem()
        self.cut = pg.PlotCurveItem()
        for z, item in ((8, self.box), (9, self.cut)):
            item.setZValue(z)
            self.main.addItem(item)
        self.gain_plot = canvas.addPlot(row=0, col=1, title="Gain per threshold")
        # a curve and its dots as two plain items: a PlotDataItem redid its bookkeeping on
        # every range change of the plot (~1 ms a frame)
        self.gain_curve = pg.PlotCurveItem()
        self.gain_dots = pg.ScatterPlotItem(symbol="o", pxMode=True)
        self.gain_plot.addItem(self.gain_curve)
        self.gain_plot.addItem(self.gain_dots)
        self.gain_plot.disableAutoRange()   # set per feature and gain scale (_gain_range)
        self.best = pg.InfiniteLine(angle=90, movable=False)
        self.gain_plot.addItem(self.best)
        self.diagram = canvas.addPlot(row=1, col=1, title="The tree")
        self.diagram.hideAxis("left")
        self.diagram.hideAxis("bottom")
        self.diagram.setMouseEnabled(False, False)
        # Axes whose label is hidden get no SI prefix anyway, but with auto prefixes on,
        # every range change set their label's HTML again (~0.3 ms each, every frame).
        for axis in (self.gain_plot.getAxis("left"), self.diagram.getAxis("left"),
                     self.diagram.getAxis("bottom")):
            axis.enableAutoSIPrefix(False)
        self.edges = pg.PlotCurveItem(connect="pairs")
        self.nodes = pg.ScatterPlotItem(pxMode=True)
        self.focus = pg.ScatterPlotItem(symbol="o", pxMode=True)
        for item in (self.edges, self.nodes, self.focus):
            self.diagram.addItem(item)
        # Every label made here, hidden (~70 ms once): made as the tree grew, they cost
        # ~2.5 ms a frame all through a first run.
        self.diagram.disableAutoRange()   # set by _diagram
        self.labels: list[pg.TextItem] = []
        for _ in range(MAX_LABELS):
            label = pg.TextItem(color=INK, anchor=(0.5, -0.3))
            label.hide()
            self.diagram.addItem(label)
            self.labels.append(label)
        layout = canvas.ci.layout
        layout.setColumnStretchFactor(0, 3)
        layout.setColumnStretchFactor(1, 2)

    def restyle(self):
        super().restyle()
        self._titles = None   # titles are set again in the new text size
        # The gain axis only grows: its labels (0.5, 0.002 …) change with every split, and
        # an axis that also shrank re-laid the whole canvas out, which moved the main view
        # (its regions computed again, its axes redrawn) on a third of the frames.
        self.gain_plot.getAxis("left").setStyle(autoReduceTextSpace=False)
        self.box.setPen(pen(colour(3), width=STYLE.line_width + 1, style=QtCore.Qt.DashLine))
        self.cut.setPen(pen(width=STYLE.line_width + 2))
        self.best.setPen(pen(colour(3), style=QtCore.Qt.DashLine))
        self.gain_curve.setPen(pen())
        self.gain_dots.setSize(STYLE.marker_size * 0.6)
        self.gain_dots.setBrush(pg.mkBrush(INK))
        self.gain_dots.setPen(pg.mkPen(200, 200, 200))   # a PlotDataItem's symbol outline
        self.edges.setPen(pen(width=1.5))
        # one brush per class and one pen, kept: the scatter item renders each (symbol,
        # size, pen, brush) once, and brushes made anew every frame rendered every node
        self.node_brushes = np.array([pg.mkBrush(colour(c)) for c in range(MAX_CLASSES)],
                                     dtype=object)
        self.node_pen = pg.mkPen(INK, width=1)
        self.focus.setPen(pg.mkPen(colour(3), width=3))
        self.focus.setBrush(None)
        self.focus.setSize(STYLE.marker_size * 2.4)
        for label in self.labels:
            label.setFont(STYLE.font(STYLE.tick_px))

    def legend_extra(self):
        return [(line_sample(colour(3), style=QtCore.Qt.DashLine), "node being split"),
                (line_sample(INK, width=STYLE.line_width + 2), "its split")]

    def steps(self):
        d = self.data
        return tree.run(d.X_train, d.y_train, self.params, self.rng())

    def intro(self):
        return (f"{self.described}. Press Step (→): every step splits one leaf in two at "
                f"the threshold that lowers the {self.params.criterion} impurity most.")

    def draw(self, step):
        if step is None:
            self.show_points()
            self.shade(None)
            for item in (self.box, self.cut, self.gain_curve, self.gain_dots, self.edges,
                         self.nodes, self.focus):
                item.setData([], [])
            self.best.hide()
            self._labels(None, None)
            self.status.set_text("not started")
            return
        model = step.tree
        self.shade(model)   # first: the grid is worked out in the background meanwhile
        self.show_points(model)
        self._split(step)
        self._gains(step)
        self._diagram(step)
        leaves = len(model.leaves)
        self.status.set_text(f"{leaves} leaves · depth {model.max_depth}")

    def _split(self, step):
        lo, hi = self.data.X.min(0), self.data.X.max(0)
        pad = (hi - lo) * 0.5 + 1.0
        box = np.clip(step.box, lo - pad, hi + pad)
        (x0, y0), (x1, y1) = box
        self.box.setData([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0])
        if step.feature == 0:
            self.cut.setData([step.threshold] * 2, [y0, y1])
        elif step.feature == 1:
            self.cut.setData([x0, x1], [step.threshold] * 2)
        else:
            self.cut.setData([], [])

    def _gains(self, step):
        ok = np.isfinite(step.gains)
        if step.feature < 0 or not ok.any():
            self.gain_curve.setData([], [])
            self.gain_dots.setData([], [])
            self.best.hide()
            self._gain_titles("Gain per threshold", None)
            return
        name = tree.feature_name(step.feature)
        self.gain_curve.setData(step.thresholds[ok], step.gains[ok])
        self.gain_dots.setData(step.thresholds[ok], step.gains[ok])
        self.best.setValue(step.threshold)
        self.best.show()
        self._gain_titles(f"Gain per threshold on {name}", f"threshold on {name}")
        self._gain_range(step.feature, float(step.gains[ok].max()))

    def _gain_range(self, feature, top):
        """x: the feature's whole data range; y: 0 to the round number (1, 2 or 5 × 10ⁿ)
        above the best gain. Set only when either changes: autorange re-laid the canvas
        out and redrew both axes every frame. The ceiling shown stays while the best gain
        fills at least 40% of it (what the round numbers guarantee anyway): a new one
        redraws the axis (~3 ms)."""
        top = max(top, 1e-12)
        shown = getattr(self, "_gain_key", None)
        if (shown is not None and shown[2] == self.data_version
                and 0.4 * shown[1] <= top <= shown[1]):
            ceiling = shown[1]
        else:
            decade = 10.0 ** np.floor(np.log10(top))
            ceiling = next(m * decade for m in (1, 2, 5, 10) if m * decade >= top)
        key = (feature, ceiling, self.data_version)
        if key == getattr(self, "_gain_key", None):
            return
        self._gain_key = key
        X = self.data.X[:, feature]
        pad = 0.04 * (X.max() - X.min()) or 1.0
        self.gain_plot.setRange(xRange=(X.min() - pad, X.max() + pad), yRange=(0, ceiling),
                                padding=0.02)
        self.gain_plot.vb.updateMatrix()   # now, not while painting (see _diagram)

    def _gain_titles(self, title, label):
        """Set the gain plot's title and axis label only when they change: each set lays
        the whole canvas out again (it was two thirds of a frame)."""
        if (title, label) == getattr(self, "_titles", None):
            return
        self._titles = (title, label)
        self.set_title(self.gain_plot, title)
        if label is not None:
            self.gain_plot.setLabel("bottom", label)

    def _diagram(self, step):
        model = step.tree
        at = model.layout() * [1.0, -1.0]
        inner = np.flatnonzero(~model.is_leaf)
        pairs = np.empty((2 * 2 * len(inner), 2))
        pairs[0::4], pairs[1::4] = at[inner], at[model.left[inner]]
        pairs[2::4], pairs[3::4] = at[inner], at[model.right[inner]]
        self.edges.setData(pairs[:, 0], pairs[:, 1])
        majority = model.classes[model.value.argmax(1)]
        self.nodes.setData(pos=at, size=STYLE.marker_size * 1.6,
                           brush=self.node_brushes[np.asarray(majority, int)
                                                   % MAX_CLASSES].tolist(),
                           pen=self.node_pen,
                           symbol=np.where(model.is_leaf, "s", "o").tolist())
        self.focus.setData(pos=at[[step.node]])
        self._labels(model, at)
        ranges = ((at[:, 0].min() - 0.8, at[:, 0].max() + 0.8), (at[:, 1].min() - 0.8, 0.5))
        if ranges != getattr(self, "_diagram_ranges", None):   # moving the view moves
            self._diagram_ranges = ranges                      # every label: only if needed
            self.diagram.setRange(xRange=ranges[0], yRange=ranges[1], padding=0)
            # Labels follow the view when the scene is about to paint; by then their move
            # asked for a second paint of the diagram. Moved now: one paint a frame.
            self.diagram.vb.updateMatrix()

    def _labels(self, model, at):
        """Inner nodes show their test, leaves their class counts."""
        m = 0 if model is None else min(model.n_nodes, MAX_LABELS)
        for i, label in enumerate(self.labels):
            if i >= m:
                if label.isVisible():
                    label.hide()
                continue
            text = model.rule(i) if model.feature[i] >= 0 else "/".join(
                str(int(c)) for c in model.counts[i])
            if label.toPlainText() != text:
                label.setText(text)
            if (label.pos().x(), label.pos().y()) != tuple(at[i]):
                label.setPos(*at[i])
            label.show()
