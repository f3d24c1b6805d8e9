"""A small static diagram of one residual block: x → [W₁, f] → [W₂] → ⊕ → y, and the
shortcut carrying x round the two layers into the sum (drawn in the residual colour)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from visualizer.style import INK, STYLE

BOXES = {"first": (3.0, 4.3), "second": (5.3, 6.6)}   # y from, y to of the two layers
BOX_X = (1.0, 5.0)
MID = 3.0
SUM_Y, SUM_R = 7.8, 0.45
SKIP_X = 6.3


def box(x0, x1, y0, y1):
    return np.array([x0, x1, x1, x0, x0]), np.array([y0, y0, y1, y1, y0])


def circle(cx, cy, r, n=40):
    t = np.linspace(0, 2 * np.pi, n)
    return cx + r * np.cos(t), cy + r * np.sin(t)


class BlockDiagram:
    """Items made once; ``show`` writes the activation and the first block's shortcut."""

    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        for name in ("left", "bottom"):
            plot.hideAxis(name)
        plot.setMouseEnabled(False, False)
        plot.setMenuEnabled(False)
        plot.disableAutoRange()
        plot.setRange(xRange=(0, 10), yRange=(-1.2, 11.5), padding=0)
        self.main = pg.PlotCurveItem(connect="finite")
        self.skip = pg.PlotCurveItem(connect="finite")
        self.heads = pg.ScatterPlotItem(pxMode=True)
        for item in (self.main, self.skip, self.heads):
            plot.addItem(item)
        xs, ys = [], []
        for y0, y1 in BOXES.values():
            bx, by = box(*BOX_X, y0, y1)
            xs += [*bx, np.nan]
            ys += [*by, np.nan]
        cx, cy = circle(MID, SUM_Y, SUM_R)
        xs += [*cx, np.nan, MID - SUM_R * 0.6, MID + SUM_R * 0.6, np.nan, MID, MID, np.nan]
        ys += [*cy, np.nan, SUM_Y, SUM_Y, np.nan, SUM_Y - SUM_R * 0.6, SUM_Y + SUM_R * 0.6,
               np.nan]
        # the main path: x up through both layers into the sum, and on to y
        path = [(1.2, BOXES["first"][0]), (BOXES["first"][1], BOXES["second"][0]),
                (BOXES["second"][1], SUM_Y - SUM_R), (SUM_Y + SUM_R, 9.3)]
        for y0, y1 in path:
            xs += [MID, MID, np.nan]
            ys += [y0, y1, np.nan]
        self.main.setData(np.array(xs, float), np.array(ys, float))
        self.skip.setData(np.array([MID, SKIP_X, SKIP_X, MID + SUM_R]),
                          np.array([2.0, 2.0, SUM_Y, SUM_Y]))
        self.heads_at = [(MID, BOXES["first"][0]), (MID, BOXES["second"][0]),
                         (MID, SUM_Y - SUM_R), (MID + SUM_R, SUM_Y), (MID, 9.3)]
        self.labels = {}
        for key, (x, y, anchor) in {
                "x": (MID + 0.2, 1.5, (0, 0.5)), "y": (MID, 9.3, (0.5, 1)),
                "first": (MID, sum(BOXES["first"]) / 2, (0.5, 0.5)),
                "second": (MID, sum(BOXES["second"]) / 2, (0.5, 0.5)),
                "F": (MID + 0.15, 4.8, (0, 0.5)),
                "skip": (SKIP_X + 0.2, 4.8, (0, 0.5)),
                "grad": (0.1, 0.4, (0, 0)),
                "title": (0.1, 11.4, (0, 0))}.items():
            item = pg.TextItem(anchor=anchor, color=INK)
            item.setPos(x, y)
            plot.addItem(item)
            self.labels[key] = item
        self.labels["y"].setText("y = x + F(x)")
        self.labels["x"].setText("x")
        self.labels["F"].setText("F(x)")
        self.labels["second"].setText("W₂")
        self.labels["title"].setText("one block")
        self.labels["grad"].setText("∂y/∂x = I + ∂F/∂x")
        self.shown = None

    def restyle(self, shortcut_colour) -> None:
        self.main.setPen(pg.mkPen(INK, width=STYLE.line_width))
        self.skip.setPen(pg.mkPen(shortcut_colour, width=STYLE.line_width * 1.5))
        # arrowheads: "t1" points up, "t3" left (the shortcut entering the sum)
        self.heads.setData(pos=np.array(self.heads_at), symbol=["t1", "t1", "t1", "t3", "t1"],
                           size=STYLE.marker_size, brush=pg.mkBrush(INK), pen=pg.mkPen(INK))
        for key, item in self.labels.items():
            px = STYLE.tick_px if key in ("skip", "grad", "F") else STYLE.text_px
            item.setFont(STYLE.font(px, bold=key in ("y", "title")))
        self.labels["skip"].setColor(shortcut_colour)
        self.shown = None

    def show(self, shortcut: str, activation: str) -> None:
        if self.shown == (shortcut, activation):
            return
        self.shown = (shortcut, activation)
        self.labels["first"].setText(f"W₁, {activation}")
        first = "x·P" if shortcut == "projection" else "x, 0-padded"
        self.labels["skip"].setText(f"x\n(first:\n{first})")
