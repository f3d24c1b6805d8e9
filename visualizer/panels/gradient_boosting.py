"""Gradient boosting (log-loss): one round per step, residuals as point sizes, the round's
tree drawn as its splits with the score each leaf adds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg

from algorithms import ensembles
from algorithms.base import num, param
from algorithms.labelled import MAX_CLASSES
from visualizer.panels.classify_common import ClassifierPanel, pen
from visualizer.panels.overlays import line_sample, marker_sample
from visualizer.panels.ranges import FixedRanges
from visualizer.style import INK, STYLE, colour

SMALLEST, LARGEST = 0.45, 3.2   # a point's marker: × size at residual 0 and at residual 1
LEAF_LABELS = 8                 # the round's leaves are labelled while there are this few


@dataclass(frozen=True)
class Params(ensembles.GradientBoostingParams):
    add_class: int = param(1, limits=(1, MAX_CLASSES), live=True, label="class to add",
                           tip="left click adds a training point of this class; right click "
                               "deletes the nearest point")


def residual_sizes(residuals: np.ndarray, y_codes: np.ndarray) -> np.ndarray:
    """Marker scale of each training point from its residual for its own class, y − p =
    1 − p(true class), in [0, 1]: a point the model is sure of shrinks, a badly fitted one
    grows. Two classes keep one column (class 2's): |y − p| is the same number."""
    r = residuals[:, 0] if residuals.shape[1] == 1 else residuals[np.arange(len(y_codes)),
                                                                  y_codes]
    return SMALLEST + (LARGEST - SMALLEST) * np.clip(np.abs(r), 0.0, 1.0)


def split_segments(tree, lo, hi) -> np.ndarray:
    """(2m, 2) point pairs: every split of `tree` as a segment across its node's box,
    the box's infinite sides cut at the view corners lo, hi."""
    out = []
    for i in np.flatnonzero(tree.feature >= 0):
        f, t = int(tree.feature[i]), float(tree.threshold[i])
        box = np.clip(tree.box[i], lo, hi)    # (2, d): low and high corner
        other = 1 - f
        a, b = np.empty(2), np.empty(2)
        a[f] = b[f] = t
        a[other], b[other] = box[0, other], box[1, other]
        out += [a, b]
    return np.array(out, float).reshape(-1, 2)


class GradientBoostingPanel(ClassifierPanel):
    id, title = "gradient_boosting", "Gradient boosting"
    Params = Params
    main_title = "Residuals"

    def setup(self, canvas):
        self.setup_main(canvas)
        self.splits = pg.PlotCurveItem(connect="pairs")
        self.splits.setZValue(8)
        self.main.addItem(self.splits)
        self.leaf_labels = []
        for _ in range(LEAF_LABELS):
            label = pg.TextItem(anchor=(0.5, 0.5), color=INK,
                                fill=pg.mkBrush(255, 255, 255, 200))
            label.setZValue(9)
            label.hide()
            self.main.addItem(label)
            self.leaf_labels.append(label)
        self.loss_plot = canvas.addPlot(row=0, col=1, title="Training log-loss")
        self.loss_plot.setLabel("bottom", "round")
        self.loss_curve = self.loss_plot.plot()
        self.loss_dot = pg.ScatterPlotItem(symbol="o", pxMode=True)
        self.loss_plot.addItem(self.loss_dot)
        self.loss_range = FixedRanges(self.loss_plot)
        layout = canvas.ci.layout
        layout.setColumnStretchFactor(0, 3)
        layout.setColumnStretchFactor(1, 1)

    def restyle(self):
        super().restyle()
        self.splits.setPen(pen(colour(3), width=STYLE.line_width + 1))
        for label in self.leaf_labels:
            label.setFont(STYLE.font(round(STYLE.text_px * 0.9), bold=True))
        self.loss_curve.setPen(pen())
        self.loss_dot.setSize(STYLE.marker_size)
        self.loss_dot.setBrush(pg.mkBrush(colour(3)))
        self.loss_dot.setPen(pg.mkPen(INK, width=1))

    def legend_extra(self):
        size = STYLE.marker_size
        tree = [(line_sample(colour(3), width=STYLE.line_width + 1),
                 "this round's tree (leaf: score it adds)")]
        return [*(tree if len(self.data.names) == 2 else []),
                (marker_sample("o", "#ffffff", width=1, size=size * 1.8),
                 "larger: larger residual y − p")]

    def steps(self):
        d = self.data
        return ensembles.run_gradient_boosting(d.X_train, d.y_train, self.params, self.rng())

    def intro(self):
        p = self.params
        return (f"{self.described}. Press Step (→): every round fits a tree of depth ≤ "
                f"{p.max_depth} to the residuals y − p and adds {num(p.learning_rate, 3)} × "
                f"its leaf values to the scores.")

    def draw(self, step):
        if step is None:
            self.show_points()
            self.shade(None)
            self._tree(None)
            self.loss_curve.setData([], [])
            self.loss_dot.setData([], [])
            self.loss_range.forget()
            self.status.set_text("not started")
            return
        d, model = self.data, step.model
        self.shade(model)   # first: the grid is worked out in the background meanwhile
        sizes = np.ones(len(d.y))
        codes = np.searchsorted(model.classes, d.y_train)
        sizes[d.train_index] = residual_sizes(step.residuals, codes)
        self.show_points(model, sizes=sizes)
        self._tree(step.trees[0] if len(step.trees) == 1 else None)
        losses = np.asarray(step.losses)
        x = np.arange(len(losses))
        self.loss_curve.setData(x, losses)
        self.loss_dot.setData([x[-1]], [losses[-1]])
        self.loss_range.fit(max(len(losses), 3), 0.0, float(losses.max()))
        self.status.set_text(f"round {len(model.members)} · log-loss {num(step.loss, 3)} · "
                             f"η = {num(self.params.learning_rate, 3)}")

    def _tree(self, tree):
        """The splits of a two-class round's tree, each leaf labelled with the score it
        adds (learning rate × its value); None hides them (the start, or K > 2 classes,
        where one tree per class would overlap)."""
        if tree is None:
            self.splits.setData([], [])
            for label in self.leaf_labels:
                label.hide()
            return
        X = self.data.X
        lo, hi = X.min(0), X.max(0)
        pad = (hi - lo) * 0.06 + 1e-9
        lo, hi = lo - pad, hi + pad
        seg = split_segments(tree, lo, hi)
        self.splits.setData(seg[:, 0], seg[:, 1]) if len(seg) else self.splits.setData([], [])
        leaves = tree.leaves
        shown = len(leaves) <= LEAF_LABELS
        rate = self.params.learning_rate
        for j, label in enumerate(self.leaf_labels):
            if not shown or j >= len(leaves):
                label.hide()
                continue
            box = np.clip(tree.box[leaves[j]], lo, hi)
            move = round(rate * float(tree.value[leaves[j], 0]), 2) + 0.0   # no "−0.00"
            label.setText(f"{move:+.2f}".replace("-", "−"))
            label.setPos(*box.mean(0))
            label.show()
