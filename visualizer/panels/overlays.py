"""Text boxes pinned to a corner of a plot, and the legends: built one way for every panel.

A status box lives inside the view, not in the title: a title whose width changes every
frame re-lays out the whole canvas and repaints every axis, which halved the frame rate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from visualizer.style import INK, STYLE

CACHED = QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache
MARGIN = 6  # pixels between a status box and the view's edge


class StatusBox:
    """A small box of text in one corner of a plot's view that stays there on resize."""

    def __init__(self, plot: pg.PlotItem, corner: str = "top-left", bold: bool = True,
                 opacity: int = 215):
        self.vb, self.corner, self.bold = plot.vb, corner, bold
        bottom, right = corner.startswith("bottom"), corner.endswith("right")
        self.item = pg.TextItem(anchor=(1 if right else 0, 1 if bottom else 0), color=INK,
                                fill=pg.mkBrush(255, 255, 255, opacity))
        self.item.setParentItem(self.vb)
        self.item.setZValue(100)
        self.vb.sigResized.connect(self._place)
        self._place()

    def _place(self, *_):
        w, h = self.vb.width(), self.vb.height()
        if w > 4 * MARGIN:  # long text wraps inside the view instead of running off it
            self.item.setTextWidth(-1)
            if self.item.textItem.boundingRect().width() > w - 2 * MARGIN:
                self.item.setTextWidth(w - 2 * MARGIN)
        x = w - MARGIN if self.corner.endswith("right") else MARGIN
        y = h - MARGIN if self.corner.startswith("bottom") else MARGIN
        self.item.setPos(x, y)

    def set_text(self, text: str) -> None:
        self.item.setText(text)
        self._place()

    def set_html(self, html: str) -> None:
        self.item.setHtml(html)
        self._place()

    def restyle(self, px: int | None = None) -> None:
        self.item.setFont(STYLE.font(px or STYLE.text_px, bold=self.bold))


def line_sample(colour=INK, width: float | None = None, style=QtCore.Qt.SolidLine,
                symbol: str | None = None, size: float | None = None, brush=None):
    """A legend sample: a line, optionally with a marker on it."""
    pen = pg.mkPen(colour, width=width or STYLE.line_width, style=style)
    if symbol is None:
        return pg.PlotDataItem(pen=pen)
    return pg.PlotDataItem(pen=pen, symbol=symbol, symbolSize=size or STYLE.marker_size * 1.6,
                           symbolBrush=brush if brush is not None else colour, symbolPen=INK)


def marker_sample(symbol: str = "o", brush=None, pen=INK, width: float = 1.5,
                  size: float | None = None, style=QtCore.Qt.SolidLine):
    """A legend sample: a single marker (brush None: hollow)."""
    return pg.ScatterPlotItem(symbol=symbol, size=size or STYLE.marker_size * 1.8, brush=brush,
                              pen=pg.mkPen(pen, width=width, style=style))


class Legend:
    """A legend filled from (sample, text) pairs, rebuilt only when its content or its
    number of columns changes (rebuilding costs ~15 ms: too much for every frame). Given
    the width it may use, it takes as many columns as fit, so large text reflows instead of
    clipping. The columns are decided before the entries go in: a grid re-arranged after
    the fact kept the sizes of its earlier layouts, so the same legend came out differently
    in two windows."""

    def __init__(self, legend: pg.LegendItem, width=None):
        self.legend = legend
        self.width = width          # a callable: the pixels the legend may span, or None
        self.entries: list = []
        self._key = None

    @property
    def items(self) -> list:
        """(sample, label) pairs, as pyqtgraph's legend holds them."""
        return self.legend.items

    def fill(self, entries: Iterable[tuple], key=None) -> None:
        entries = list(entries)
        key = (key, STYLE.presentation, STYLE.marker_size, STYLE.tick_px,
               tuple(text for _, text in entries)) if key is not None else None
        if key is not None and key == self._key:
            return
        self._key, self.entries = key, entries
        self._build(self._columns())

    def _columns(self, width: float | None = None) -> int:
        if width is None and self.width is not None:
            width = self.width()
        if not width or not self.entries:
            return self.legend.columnCount
        metrics = QtGui.QFontMetrics(STYLE.font(STYLE.tick_px))
        widest = max(metrics.horizontalAdvance(re.sub(r"<[^>]+>", "", text))
                     for _, text in self.entries)
        spacing = self.legend.layout.horizontalSpacing() + 48  # the sample and the gaps
        return max(1, min(len(self.entries), int(width // (widest + spacing))))

    def _build(self, columns: int) -> None:
        self.legend.clear()
        self.legend.columnCount = columns
        self.legend.rowCount = 1
        for sample, text in self.entries:
            self.legend.addItem(sample, text)
        for sample, label in self.legend.items:
            label.setText(label.text, size=f"{STYLE.tick_px}px")
            sample.setCacheMode(CACHED)  # repainted with the canvas, rebuilt rarely
            label.setCacheMode(CACHED)
        self.legend.updateSize()
        offset = self.legend.opts.get("offset")
        if offset is not None and self.legend.parentItem() is not None:
            self.legend.setOffset(offset)  # anchored by its new size

    def reflow(self, width: float | None = None) -> None:
        """As many columns as the widest entry allows in the width available."""
        columns = self._columns(width)
        if self.entries and columns != self.legend.columnCount:
            self._build(columns)
