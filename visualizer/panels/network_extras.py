"""What the dropout and pruning panels share beyond network_base: a diagram with room for a
note and cheaper edges, short column names, text set only when it changes, and a panel
base that recolours its points only when the data changed."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from visualizer.panels import network_base as nb
from visualizer.panels import network_diagram as nd
from visualizer.panels.overlays import StatusBox
from visualizer.style import STYLE

SMOOTH_EDGES = 150      # diagrams with more edges than this draw them without antialiasing


class NoteDiagram(nd.NetworkDiagram):
    """The network diagram with a note above it (a StatusBox, room made for its height)
    and one line of column names below, measured in pixels of the current text; numbers
    on the units only when they fit; edges drawn as separate segments (faster to paint)."""

    def __init__(self, plot, lines: int, numbers: bool = False):
        self.lines, self.scale, self.numbers = lines, None, numbers
        self.room = 0.0          # pixels kept above the network for the note
        super().__init__(plot)
        self.note = StatusBox(plot, "top-left", bold=False, opacity=0)
        # Edges stroked as one antialiased path cost ~45 ms a frame for two 2-16-16-2
        # diagrams (320 edges each); as separate segments ~20 ms, and ~9 ms without
        # antialiasing, which only networks with many edges go without (see set_sizes).
        for item in self._lines():
            item.setSegmentedLineMode("on")

    def _lines(self):
        return (self.faint, self.marked, *self.edges.values())

    def set_sizes(self, sizes, names=()):
        net = super().set_sizes(sizes, names)
        smooth = len(net.seg_x) // 2 <= SMOOTH_EDGES
        for item in self._lines():
            if item.opts["antialias"] != smooth:
                item.opts["antialias"] = smooth
                item.update()
        return net

    def restyle(self) -> None:
        super().restyle()
        if hasattr(self, "note"):
            self.note.restyle(STYLE.tick_px)

    def say(self, text: str) -> None:
        """Write the note; make room for it when its height changed."""
        say(self.note, text)
        height = self.note.item.boundingRect().height()
        if abs(height - self.room) > 1 and self.net is not None:
            self._frame()

    def _frame(self) -> None:
        super()._frame()
        net, vb = self.net, self.plot.vb
        half = net.tallest / 2
        line = STYLE.tick_px * 1.45
        self.room = self.note.item.boundingRect().height() if hasattr(self, "note") else 0.0
        top, bottom = max(self.lines * line, self.room) + 8, line + 6
        if self.numbers:   # a number above the top unit must clear the note
            top += STYLE.tick_px * 1.2
        self.scale = max(vb.height() - top - bottom, 0.3 * vb.height()) / net.tallest
        self.plot.setRange(xRange=(-0.4, net.layers + 0.4),
                           yRange=(-half - bottom / self.scale, half + top / self.scale),
                           padding=0)

    def _numbers(self, texts) -> None:
        """Numbers above the units only when a line of text fits between two units."""
        fits = self.scale and self.scale >= self.unit_size() * 0.75 + STYLE.tick_px
        super()._numbers(texts if fits else None)

    def unit_size(self) -> float:
        if self.net is None or not self.scale:
            return super().unit_size()
        across = self.plot.vb.width() / (self.net.layers + 0.8)
        return float(np.clip(min(self.scale * 0.5, across * 0.25), 6.0,
                             STYLE.marker_size * 3.6))



def short_names(columns: int) -> tuple[str, ...]:
    """Column names narrow enough for a diagram a third of the canvas wide."""
    return ("in", *(f"h{k}" for k in range(1, columns - 1)), "out")


def say(box: StatusBox, text: str) -> None:
    """Set a StatusBox's text only when it changed (each set re-lays the box out)."""
    if getattr(box, "said", None) != text:
        box.set_text(text)
        box.said = text


def curve(plot: pg.PlotItem) -> pg.PlotCurveItem:
    """A bare curve item: lighter per setData than plot.plot()'s PlotDataItem."""
    item = pg.PlotCurveItem()
    plot.addItem(item)
    return item


class LanePanel(nb.NetworkPanel):
    """NetworkPanel for panels that run several networks side by side: parameters marked
    live redraw, the 1,000 points are recoloured only when the data or the style changed."""

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.coloured = None

    def set_params(self, params, live=False):
        self.params = params
        (self.redraw if live else self.restart).emit()

    def _points_shown(self):
        super()._points_shown()
        self.coloured = None

    def recolour(self):
        if self.coloured is not self.data:
            self.scene.show(self.data.labels)
            self.coloured = self.data
