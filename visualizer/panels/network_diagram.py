"""The network diagram shared by the backpropagation, training, dropout and pruning panels.

Units are circles in columns (inputs on the left, outputs on the right), weights are
lines between them: blue for w > 0 and vermilion for w < 0 (a diverging, colour-blind-safe
pair from the palette), wider and darker the larger |w|. A frame stays cheap whatever the
network: one curve item with connect="pairs" per (sign, width) class, one scatter item for
every unit, and a small pool of text items for the numbers shown.

    diagram = NetworkDiagram(plot)
    diagram.show(sizes, weights, fills=…, texts=…, mark=(layer, i, j), hidden=…, faint=…)
    diagram.hit(x, y)   # ("unit", layer, k) or ("weight", layer, i, j) near a click

Layer l of the network (0 = inputs … L = outputs) is column l; W_l[i, j] joins unit i of
column l − 1 to unit j of column l, and the flat edge order is W_1, W_2, … each row-major.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms.base import num
from visualizer.panels.overlays import CACHED
from visualizer.style import INK, PALETTE, STYLE

POSITIVE, NEGATIVE = PALETTE[0], PALETTE[5]     # blue w > 0, vermilion w < 0
FORWARD, BACKWARD = PALETTE[2], PALETTE[3]      # the layer a sub-step works on
FAINT = "#cfcfcf"                               # structure, layers not reached, dropped
GREYED = "#bdbdbd"                              # a dropped unit's fill
BINS = (0.25, 0.75, 1.5)                        # |w| limits of the four width classes
WIDTHS = (0.5, 1.1, 2.0, 3.4)                   # × the style's line width
ALPHAS = (120, 175, 225, 255)
MAX_NUMBERS = 10        # numbers are written on layers of at most this many units
MAX_TEXTS = 80

# unit fills (index into the brushes made in restyle)
EMPTY, FWD, FWD_DONE, BWD, BWD_DONE, DROPPED, CHOSEN = range(7)


def tint(colour, strength: float) -> pg.QtGui.QColor:
    """The colour mixed with white: strength 1 is the colour itself."""
    c = pg.mkColor(colour)
    mix = [round(255 - (255 - v) * strength) for v in c.getRgb()[:3]]
    return pg.mkColor(*mix)


@dataclass(frozen=True)
class Layout:
    """Where every unit and every edge of a network with these layer sizes is drawn."""

    sizes: tuple[int, ...]
    units: np.ndarray          # (U, 2) positions, column by column, top to bottom
    first: np.ndarray          # (L + 2,) index of each column's first unit (and the end)
    seg_x: np.ndarray          # (2E,) start and end x of each edge, interleaved
    seg_y: np.ndarray
    edge_first: np.ndarray     # (L + 1,) index of each W_l's first edge (and the end)

    @property
    def layers(self) -> int:
        return len(self.sizes) - 1

    @property
    def tallest(self) -> int:
        return max(self.sizes)

    def unit(self, layer: int, k: int) -> int:
        return int(self.first[layer] + k)

    def edge(self, layer: int, i: int, j: int) -> int:
        return int(self.edge_first[layer - 1] + i * self.sizes[layer] + j)

    def column(self, layer: int) -> slice:
        return slice(int(self.first[layer]), int(self.first[layer + 1]))

    def edges_into(self, layer: int) -> slice:
        return slice(int(self.edge_first[layer - 1]), int(self.edge_first[layer]))


@lru_cache(maxsize=16)
def layout(sizes: tuple[int, ...]) -> Layout:
    units, first = [], [0]
    for layer, n in enumerate(sizes):
        units += [(layer, (n - 1) / 2 - k) for k in range(n)]
        first.append(first[-1] + n)
    units = np.array(units, float)
    first = np.array(first)
    xs, ys, edge_first = [], [], [0]
    for layer in range(1, len(sizes)):
        a = units[first[layer - 1]:first[layer]]
        b = units[first[layer]:first[layer + 1]]
        start = np.repeat(a, len(b), axis=0)          # row-major: i slow, j fast
        end = np.tile(b, (len(a), 1))
        xs.append(np.column_stack([start[:, 0], end[:, 0]]).ravel())
        ys.append(np.column_stack([start[:, 1], end[:, 1]]).ravel())
        edge_first.append(edge_first[-1] + len(a) * len(b))
    for array in (units, first):
        array.flags.writeable = False
    return Layout(tuple(sizes), units, first, np.concatenate(xs), np.concatenate(ys),
                  np.array(edge_first))


def flat(arrays) -> np.ndarray:
    """Every W_l (or a per-weight mask) as one flat vector in edge order."""
    return np.concatenate([np.ravel(a) for a in arrays])


def width_class(weights: np.ndarray) -> np.ndarray:
    return np.searchsorted(BINS, np.abs(weights))


class NetworkDiagram:
    """A network drawn on its own plot: no axes, a fixed view, a few items for everything."""

    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        for side in ("left", "bottom"):
            plot.hideAxis(side)
        plot.setMouseEnabled(x=False, y=False)
        plot.setMenuEnabled(False)
        plot.vb.disableAutoRange()
        self.faint = self._curve(0)
        self.edges = {(s, k): self._curve(1 + k) for s in (0, 1) for k in range(len(WIDTHS))}
        self.marked = self._curve(8)
        self.units = pg.ScatterPlotItem(pxMode=True)
        self.units.setZValue(10)
        self.rings = pg.ScatterPlotItem(pxMode=True, brush=None)
        self.rings.setZValue(11)
        for item in (self.units, self.rings):
            plot.addItem(item)
        self.texts: list[pg.TextItem] = []
        self.labels: list[pg.TextItem] = []      # layer names under the columns
        self.mark_label = self._text(anchor=(0.5, 1.0), z=30)
        self.net: Layout | None = None
        self.names: tuple = ()
        self._shown = None
        plot.vb.sigResized.connect(self._placed)
        self.restyle()

    def _curve(self, z: int) -> pg.PlotCurveItem:
        item = pg.PlotCurveItem(connect="pairs", antialias=True)
        item.setZValue(z)
        self.plot.addItem(item)
        return item

    def _text(self, anchor=(0.5, 1.0), z: int = 20, fill=True) -> pg.TextItem:
        item = pg.TextItem(anchor=anchor, color=INK,
                           fill=pg.mkBrush(255, 255, 255, 200) if fill else None)
        item.setZValue(z)
        item.setFont(STYLE.font(STYLE.tick_px))
        item.setCacheMode(CACHED)
        self.plot.addItem(item)
        return item

    # --- style --------------------------------------------------------------------------
    def restyle(self) -> None:
        lw = STYLE.line_width / 1.5
        self.faint.setPen(pg.mkPen(FAINT, width=max(1.0, lw)))
        for (sign, k), item in self.edges.items():
            c = pg.mkColor(POSITIVE if sign == 0 else NEGATIVE)
            c.setAlpha(ALPHAS[k])
            item.setPen(pg.mkPen(c, width=WIDTHS[k] * lw * 1.5))
        self.marked.setPen(pg.mkPen(INK, width=7 * lw))
        self.brushes = np.array([pg.mkBrush(c) for c in (
            "#ffffff", tint(FORWARD, 0.85), tint(FORWARD, 0.3), tint(BACKWARD, 0.9),
            tint(BACKWARD, 0.35), GREYED, tint(PALETTE[6], 0.8))], dtype=object)
        self.pens = (pg.mkPen(INK, width=1.5 * lw), pg.mkPen("#9a9a9a", width=1.5 * lw))
        self.rings.setPen(pg.mkPen(INK, width=2.5 * lw))
        font = STYLE.font(STYLE.tick_px)
        for item in [*self.texts, *self.labels, self.mark_label]:
            item.setFont(font)
        self.mark_label.setFont(STYLE.font(STYLE.tick_px, bold=True))
        self._shown = None

    # --- geometry -----------------------------------------------------------------------
    def set_sizes(self, sizes, names: tuple[str, ...] = ()) -> Layout:
        """Lay out a network with these layer sizes; `names` label the columns."""
        sizes = tuple(int(s) for s in sizes)
        if self.net is None or self.net.sizes != sizes or names != self.names:
            self.net, self.names = layout(sizes), tuple(names)
            while len(self.labels) < len(sizes):
                self.labels.append(self._text(anchor=(0.5, 0.0), z=5, fill=False))
            for layer, item in enumerate(self.labels):
                item.setVisible(layer < len(sizes))
                if layer < len(sizes):
                    item.setText(names[layer] if layer < len(names) else "")
            self._frame()
        return self.net

    def _frame(self) -> None:
        net = self.net
        half = net.tallest / 2
        top, bottom = half + 0.15, -half - 0.55
        self.plot.setRange(xRange=(-0.4, net.layers + 0.4), yRange=(bottom, top), padding=0)
        for layer, item in enumerate(self.labels[:len(net.sizes)]):
            item.setPos(layer, -half - 0.05)

    def unit_size(self) -> float:
        """Unit diameter in pixels: large, but leaving room for a number above each."""
        if self.net is None:
            return STYLE.marker_size * 3
        gap = self.plot.vb.height() / (self.net.tallest + 0.7)
        across = self.plot.vb.width() / (self.net.layers + 0.8)
        return float(np.clip(min(gap * 0.42, across * 0.25), 6.0, STYLE.marker_size * 3.6))

    def _placed(self, *_):
        self._shown = None   # sizes in pixels changed: the next show() redoes them
        if self.net is not None:
            self._frame()

    # --- drawing ------------------------------------------------------------------------
    def show(self, weights=None, *, hidden=None, faint=None, fills=None, texts=None,
             greyed=None, rings=None, mark=None, mark_text: str = "") -> None:
        """Draw the current state (set_sizes first).

        weights: every W_l (None: the bare structure, in grey). hidden / faint: flat
        per-edge masks of lines left out (pruned, dropped) or drawn pale (not reached yet,
        out of a dropped unit). fills: per-unit fill index (EMPTY, FWD …); texts: a string
        per unit or None; greyed: per-unit mask of dropped units; rings: units to ring;
        mark: the weight (layer, i, j) drawn thick in ink, labelled `mark_text`.
        """
        net = self.net
        n_edges = len(net.seg_x) // 2
        visible = np.ones(n_edges, bool) if hidden is None else ~np.asarray(hidden, bool)
        pale = np.zeros(n_edges, bool) if faint is None else np.asarray(faint, bool)
        if weights is None:
            pale = visible.copy()
            w = np.zeros(n_edges)
        else:
            w = flat(weights)
        strong = visible & ~pale
        sign = (w < 0).astype(int)
        k = width_class(w)
        self._pairs(self.faint, visible & pale)
        for (s, c), item in self.edges.items():
            self._pairs(item, strong & (sign == s) & (k == c))
        self._units(fills, greyed, rings)
        self._numbers(texts)
        self._mark(mark, mark_text)

    def _pairs(self, item, mask) -> None:
        m2 = np.repeat(mask, 2)
        if m2.any():
            item.setData(self.net.seg_x[m2], self.net.seg_y[m2])
            item.show()
        else:
            item.hide()

    def _units(self, fills, greyed, rings) -> None:
        net, size = self.net, self.unit_size()
        n = len(net.units)
        fills = np.zeros(n, int) if fills is None else np.asarray(fills, int).copy()
        grey = np.zeros(n, bool) if greyed is None else np.asarray(greyed, bool)
        fills[grey] = DROPPED
        pens = np.where(grey, self.pens[1], self.pens[0])
        key = (size, fills.tobytes(), grey.tobytes(), net.sizes)
        if key != self._shown:
            self._shown = key
            self.units.setData(pos=net.units, size=size, brush=self.brushes[fills].tolist(),
                               pen=pens.tolist())
        ring = np.zeros(n, bool) if rings is None else np.asarray(rings, bool)
        self.rings.setData(pos=net.units[ring], size=size + 10)

    def _numbers(self, texts) -> None:
        net = self.net
        wanted = []
        if texts is not None:
            dy = (self.unit_size() / 2 + 1) * abs(self.plot.vb.viewPixelSize()[1])
            for u, text in enumerate(texts):
                layer = int(net.units[u, 0])
                if text and net.sizes[layer] <= MAX_NUMBERS:
                    wanted.append((net.units[u, 0], net.units[u, 1] + dy, text))
        wanted = wanted[:MAX_TEXTS]
        while len(self.texts) < len(wanted):
            self.texts.append(self._text(anchor=(0.5, 1.0), z=20))
        for item, (x, y, text) in zip(self.texts, wanted, strict=False):
            if item.toPlainText() != text:
                item.setText(text)
            item.setPos(x, y)
            item.show()
        for item in self.texts[len(wanted):]:
            item.hide()

    def _mark(self, mark, text: str) -> None:
        net = self.net
        if mark is None:
            self.marked.hide()
            self.mark_label.hide()
            return
        e = net.edge(*mark)
        x, y = net.seg_x[2 * e:2 * e + 2], net.seg_y[2 * e:2 * e + 2]
        self.marked.setData(x, y)
        self.marked.show()
        if text:
            # a third of the way from the right end: clear of the numbers over the units
            self.mark_label.setText(text)
            self.mark_label.setPos(x[0] * 0.35 + x[1] * 0.65, y[0] * 0.35 + y[1] * 0.65)
            self.mark_label.show()
        else:
            self.mark_label.hide()

    # --- clicks -------------------------------------------------------------------------
    def hit(self, x: float, y: float, tolerance: float = 8.0):
        """What a click at view coordinates (x, y) is on: ("unit", layer, k),
        ("weight", layer, i, j) or None. Distances are measured in pixels."""
        net = self.net
        if net is None:
            return None
        pw, ph = (abs(v) or 1.0 for v in self.plot.vb.viewPixelSize())
        d_units = np.hypot((net.units[:, 0] - x) / pw, (net.units[:, 1] - y) / ph)
        u = int(np.argmin(d_units))
        if d_units[u] <= self.unit_size() / 2 + tolerance / 2:
            layer = int(net.units[u, 0])
            return "unit", layer, u - int(net.first[layer])
        x0, x1 = net.seg_x[0::2] / pw, net.seg_x[1::2] / pw
        y0, y1 = net.seg_y[0::2] / ph, net.seg_y[1::2] / ph
        px, py = x / pw, y / ph
        dx, dy = x1 - x0, y1 - y0
        t = np.clip(((px - x0) * dx + (py - y0) * dy) / np.maximum(dx * dx + dy * dy, 1e-12),
                    0, 1)
        dist = np.hypot(x0 + t * dx - px, y0 + t * dy - py)
        e = int(np.argmin(dist))
        if dist[e] > tolerance:
            return None
        layer = int(np.searchsorted(net.edge_first, e, side="right"))
        rest = e - int(net.edge_first[layer - 1])
        return "weight", layer, rest // net.sizes[layer], rest % net.sizes[layer]

    def scene_point(self, layer: int, k: int | None = None, i: int | None = None,
                    j: int | None = None) -> QtCore.QPointF:
        """Scene position of unit k of a column, or of the middle of weight (layer, i, j)."""
        net = self.net
        if k is not None:
            p = net.units[net.unit(layer, k)]
        else:
            e = net.edge(layer, i, j)
            p = (net.seg_x[2 * e:2 * e + 2].mean(), net.seg_y[2 * e:2 * e + 2].mean())
        return self.plot.vb.mapViewToScene(QtCore.QPointF(float(p[0]), float(p[1])))


def column_names(spec, classes=None) -> tuple[str, ...]:
    """'inputs', 'hidden 1 (tanh)', …, 'outputs (softmax)' under the columns."""
    names = ["inputs"]
    names += [f"hidden {layer}" + (f"\n({spec.hidden})" if layer == 1 else "")
              for layer in range(1, spec.layers)]
    names.append("outputs\n(softmax)" if spec.loss == "cross-entropy" else
                 f"outputs\n({spec.output})")
    return tuple(names)


def values(v, prefix: str = "", digits: int = 3) -> list[str]:
    return [f"{prefix}{num(x, digits)}" for x in np.ravel(v)]
