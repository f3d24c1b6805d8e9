"""The three multi-task architectures drawn small, side by side: one trunk with two heads;
two towers joined by the soft-sharing penalty (its λ and the towers' distance written on
it); two separate networks. Items are made once; ``say`` only changes the penalty's text."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from algorithms.base import num
from visualizer.style import BACKGROUND, INK, STYLE

BOX_W, BOX_H = 1.35, 0.75
LEFT = {"hard": 0.0, "soft": 3.4, "separate": 6.8}   # each architecture's left edge
WIDTH = 3.0
Y_IN, Y_TOWER, Y_HEAD, Y_OUT = 0.3, 1.55, 2.85, 3.9


def _boxes(name: str) -> list[tuple[float, float, str]]:
    """(centre x, centre y, text) of each box of one architecture."""
    x0 = LEFT[name]
    left, right = x0 + 0.75, x0 + WIDTH - 0.75
    if name == "hard":
        towers = [(x0 + WIDTH / 2, Y_TOWER, "trunk")]
    else:
        towers = [(left, Y_TOWER, "A"), (right, Y_TOWER, "B")]
    heads = [(left, Y_HEAD, "head 1"), (right, Y_HEAD, "head 2")]
    return towers + heads


def _wires(name: str) -> np.ndarray:
    """(2k, 2) segment ends: inputs to towers, towers to heads, heads to outputs."""
    x0 = LEFT[name]
    left, right = x0 + 0.75, x0 + WIDTH - 0.75
    bottom, top = Y_TOWER - BOX_H / 2, Y_TOWER + BOX_H / 2
    head_bottom, head_top = Y_HEAD - BOX_H / 2, Y_HEAD + BOX_H / 2
    segs = []
    if name == "hard":
        mid = x0 + WIDTH / 2
        segs += [(mid, Y_IN + 0.2), (mid, bottom)]
        for x in (left, right):
            segs += [(mid, top), (x, head_bottom)]
    else:
        for x in (left, right):
            segs += [(x, Y_IN + 0.2), (x, bottom), (x, top), (x, head_bottom)]
    for x in (left, right):
        segs += [(x, head_top), (x, Y_OUT - 0.2)]
    return np.array(segs, float)


class Architectures:
    """The diagram in a plot of its own (no axes, fixed range)."""

    def __init__(self, plot: pg.PlotItem, colours: dict[str, str]):
        self.plot, self.colours = plot, colours
        for axis in ("left", "bottom"):
            plot.hideAxis(axis)
        plot.setMouseEnabled(False, False)
        plot.setAspectLocked(False)
        plot.disableAutoRange()
        plot.setRange(xRange=(-0.2, LEFT["separate"] + WIDTH + 0.2), yRange=(-3.4, 4.3),
                      padding=0)
        self.rects, self.texts, self.wires = [], [], {}
        for name in LEFT:
            for x, y, text in _boxes(name):
                rect = QtWidgets.QGraphicsRectItem(x - BOX_W / 2, y - BOX_H / 2, BOX_W, BOX_H)
                plot.addItem(rect)
                self.rects.append((name, rect))
                self.texts.append(self._text(text, x, y))
            segs = _wires(name)
            wire = pg.PlotDataItem(segs[:, 0], segs[:, 1], connect="pairs")
            plot.addItem(wire)
            self.wires[name] = wire
            x0 = LEFT[name]
            left, right = x0 + 0.75, x0 + WIDTH - 0.75
            xs = [x0 + WIDTH / 2] if name == "hard" else [left, right]
            for x in xs:
                self.texts.append(self._text("x", x, Y_IN))
            for k, x in enumerate((left, right), 1):
                self.texts.append(self._text(f"y{'₁₂'[k - 1]}", x, Y_OUT))
        self.titles = {name: self._text(title, LEFT[name] + WIDTH / 2, -0.05, top=True)
                       for name, title in (("hard", "hard\nsharing"), ("soft", "soft\nsharing"),
                                           ("separate", "separate\nnetworks"))}
        soft_l, soft_r = LEFT["soft"] + 0.75 + BOX_W / 2, LEFT["soft"] + WIDTH - 0.75 - BOX_W / 2
        self.link = pg.PlotDataItem([soft_l, soft_r], [Y_TOWER, Y_TOWER])
        plot.addItem(self.link)
        self.said = None

    def _text(self, text: str, x: float, y: float, top: bool = False) -> pg.TextItem:
        item = pg.TextItem(text, anchor=(0.5, 0.0 if top else 0.5), color=INK)
        item.setPos(x, y)
        item.setZValue(10)
        self.plot.addItem(item)
        return item

    def restyle(self) -> None:
        font = STYLE.font(max(8, round(STYLE.tick_px * 0.8)))
        for item in self.texts:
            item.setFont(font)
        for name, item in self.titles.items():
            item.setFont(STYLE.font(STYLE.tick_px, bold=True))
            item.setColor(self.colours[name])
        for name, rect in self.rects:
            c = QtGui.QColor(self.colours[name])
            pale = QtGui.QColor(BACKGROUND)
            pale.setRgbF(*(0.78 + 0.22 * v for v in c.getRgbF()[:3]))
            rect.setBrush(QtGui.QBrush(pale))
            pen = QtGui.QPen(c, 2)
            pen.setCosmetic(True)
            rect.setPen(pen)
        for wire in self.wires.values():
            wire.setPen(pg.mkPen(INK, width=1.5))
        self.link.setPen(pg.mkPen(self.colours["soft"], width=STYLE.line_width * 1.5,
                                  style=QtCore.Qt.DashLine))
        self.said = None

    def say(self, lam: float, distance: float | None) -> None:
        """The penalty's text: λ, and the towers' distance once there is a step."""
        text = f"soft sharing\nλ = {num(lam)}"
        if distance is not None:
            text += f"\ndistance {num(distance, 3)}"
        if text != self.said:
            self.titles["soft"].setText(text)
            self.said = text
