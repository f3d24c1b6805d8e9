"""k nearest neighbours: one query classified step by step, its neighbours nearest first."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import knn
from algorithms.base import num, param, plural
from algorithms.labelled import MAX_CLASSES
from visualizer.panels.classify_common import ClassifierPanel, pen
from visualizer.panels.overlays import line_sample, marker_sample
from visualizer.style import INK, STYLE, colour

CLICKS = ("place the query", "add a point")


@dataclass(frozen=True)
class Params(knn.Params):
    click: str = param("place the query", values=CLICKS, live=True, label="a click does",
                       tip="left click: move the query point, or add a training point of "
                           "the class below; right click deletes the nearest point")
    add_class: int = param(1, limits=(1, MAX_CLASSES), live=True, label="class to add",
                           tip="the class of a point added by clicking")


class KNNPanel(ClassifierPanel):
    id, title = "knn", "k nearest neighbours"
    Params = Params
    main_title = "Query and neighbours"

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.query: tuple[float, float] | None = None   # placed by hand; None: a test point

    def setup(self, canvas):
        self.setup_main(canvas, rowspan=1)
        self.star = pg.ScatterPlotItem(symbol="star", pxMode=True)
        self.star.setZValue(12)
        self.outline = pg.PlotCurveItem()
        self.spokes = pg.PlotCurveItem(connect="pairs")
        for z, item in ((8, self.outline), (7, self.spokes)):
            item.setZValue(z)
            self.main.addItem(item)
        self.main.addItem(self.star)
        self.votes = canvas.addPlot(row=0, col=1, title="Votes")
        self.votes.setLabel("bottom", "class")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        self.votes.addItem(self.bars)
        self.votes.setMouseEnabled(False, False)
        layout = canvas.ci.layout
        layout.setColumnStretchFactor(0, 3)
        layout.setColumnStretchFactor(1, 1)

    def restyle(self):
        super().restyle()
        self.star.setSize(STYLE.marker_size * 2.6)
        self.star.setPen(pg.mkPen(INK, width=2))
        self.star.setBrush(pg.mkBrush("#ffffff"))
        self.outline.setPen(pen(width=STYLE.line_width + 1, style=QtCore.Qt.DashLine))
        self.spokes.setPen(pen(width=1))

    def legend_extra(self):
        size = STYLE.marker_size
        return [(marker_sample("star", "#ffffff", width=2, size=size * 2), "query"),
                (marker_sample("o", None, width=2, size=size + 8), "neighbour"),
                (line_sample(style=QtCore.Qt.DashLine), "reach of the k-th")]

    def adopt(self, prepared):
        super().adopt(prepared)
        self.query = None
        names = self.data.names
        self.votes.getAxis("bottom").setTicks([list(enumerate(names))])

    # --- running ------------------------------------------------------------------------
    def steps(self):
        if self.params.k > len(self.data.y_train):
            raise ValueError(f"k = {self.params.k} neighbours need at least {self.params.k} "
                             f"training points; there are {len(self.data.y_train)}")
        query = None if self.query is None else np.array(self.query)
        return knn.run(self.data, self.params, self.rng(), query=query)

    def intro(self):
        where = ("the query you placed" if self.query is not None
                 else "the first test point")
        return (f"{self.described}. Press Step (→) to classify {where} by its "
                f"{plural(self.params.k, 'nearest neighbour')}; click to move the query.")

    def on_click(self, x, y, button):
        if button == QtCore.Qt.LeftButton and self.params.click == CLICKS[0]:
            old, new = self.query, (float(x), float(y))
            self.edit(f"move the query to ({x:.2f}, {y:.2f})", lambda: self._place(new),
                      lambda: self._place(old))
            return
        super().on_click(x, y, button)

    def _place(self, query):
        self.query = query
        self.restart.emit()

    def hand_made(self):
        state = super().hand_made()
        if self.query is not None:
            state["query"] = list(self.query)
        return state

    def restore_hand_made(self, state):
        super().restore_hand_made(state)
        if state.get("query"):
            self._place(tuple(float(v) for v in state["query"]))

    def draw(self, step):
        if step is None:
            self.show_points()
            self.shade(None)
            for item in (self.star, self.outline, self.spokes):
                item.setData([], [])
            self.bars.setOpts(x=[], height=[])
            self.scene.ring(None)
            self.status.set_text("not started")
            return
        model, X = step.model, self.data.X
        self.show_points(model)
        # every query of the same data and settings has the same regions: a new query (or
        # the run starting over) must not pay for the grid again
        p = self.params
        self.shade(model, key=("knn", self.data_version, p.k, p.metric, p.weights,
                               p.standardize))
        q = step.query
        self.star.setData(pos=q[None])
        near = X[step.neighbours]
        self.scene.ring(near if len(near) else None)
        if len(near):
            segments = _pairs(q, near)
            self.spokes.setData(segments[:, 0], segments[:, 1])
            reach = float(np.abs(X).max()) * 3
            shape = knn.ball_outline(q, step.radius, self.params.metric, model.scaling, reach)
            self.outline.setData(shape[:, 0], shape[:, 1])
        else:
            self.spokes.setData([], [])
            self.outline.setData([], [])
        C = len(model.classes)
        self.bars.setOpts(x=model.classes, height=step.tally,
                          brushes=[pg.mkBrush(colour(int(c))) for c in model.classes],
                          pens=[pg.mkPen(INK, width=1)] * C)
        top = self.params.k if self.params.weights == "uniform" else max(
            float(step.tally.sum()), 1e-12)
        self.votes.setRange(xRange=(-0.5, len(self.data.names) - 0.5), yRange=(0, top),
                            padding=0.05)
        m = len(step.neighbours)
        self.status.set_text({
            "query": "the query",
            "neighbour": f"neighbour {m} of {self.params.k} · reach {num(step.radius, 3)}",
            "vote": "the vote",
            "result": f"predicted {self.data.name(step.predicted)}"
                      if step.predicted >= 0 else "result"}[step.phase])


def _pairs(q, near):
    """Segments query → each neighbour, as consecutive point pairs."""
    out = np.empty((2 * len(near), 2))
    out[0::2] = q
    out[1::2] = near
    return out
