"""A cloud of 2-D points coloured by a label, fast from 10 to 200,000 points.

Small clouds are real markers (one scatter item per true class, so the class shows as
the marker's shape), with brushes and pens indexed from palettes made once: a brush made
per point per frame is ~15× slower. Large clouds are rasterised with numpy into one RGBA
image: a scatter item with thousands of points cannot keep an animation smooth.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from visualizer.style import INK, PALETTE, STYLE, UNASSIGNED, palette_rgb

RASTER_ABOVE = 2_000         # more points than this are drawn as an image
RASTER_CELLS = 420           # image cells along the longer side of the data
SYMBOLS = ("o", "s", "t", "d", "p", "h", "t1", "star", "+", "x")
FADED_ALPHA = 60             # points left out of this step (a bootstrap sample, a fold)


def rgba_palette() -> np.ndarray:
    """(len(PALETTE) + 1, 4) uint8: the palette, then the colour of unassigned points."""
    rgb = np.vstack([palette_rgb(), pg.mkColor(UNASSIGNED).getRgb()[:3]])
    return np.hstack([rgb, np.full((len(rgb), 1), 255)]).astype(np.uint8)


class PointCloud:
    """Points drawn in colours given per point; the true class, when known, as the shape."""

    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        self.X = np.zeros((0, 2))
        self.rasterised = False
        self.groups: list[tuple[np.ndarray, str, str]] = []   # (indices, symbol, class name)
        self.scatters: list[pg.ScatterPlotItem] = []
        self.image = pg.ImageItem()
        self.image.setZValue(1)
        plot.addItem(self.image)
        colours = [*PALETTE, UNASSIGNED]
        self.brushes = np.array([pg.mkBrush(c) for c in colours], dtype=object)
        faded = [pg.mkColor(c) for c in colours]
        for c in faded:
            c.setAlpha(FADED_ALPHA)
        self.faded_brushes = np.array([pg.mkBrush(c) for c in faded], dtype=object)
        self.hollow_brush = pg.mkBrush(255, 255, 255, 230)
        self.rgba = rgba_palette()
        self.ink = np.array([*pg.mkColor(INK).getRgb()[:3], 255], np.uint8)
        self.restyle()

    @property
    def unassigned(self) -> int:
        """The colour index of a point that has no label yet."""
        return len(PALETTE)

    def set_points(self, X: np.ndarray, truth: np.ndarray | None = None,
                   names: list[str] | None = None) -> None:
        self.X = np.asarray(X, float)[:, :2]
        self.rasterised = len(self.X) > RASTER_ABOVE
        if truth is None:
            self.groups = [(np.arange(len(self.X)), "o", "")]
        else:
            self.groups = [(np.flatnonzero(truth == c), SYMBOLS[i % len(SYMBOLS)],
                            "added by hand" if c < 0 or names is None else str(names[c]))
                           for i, c in enumerate(np.unique(truth))]
        while len(self.scatters) < len(self.groups):
            item = pg.ScatterPlotItem(pxMode=True)
            item.setZValue(2)
            self.plot.addItem(item)
            self.scatters.append(item)
        if self.rasterised:
            self._prepare_raster()
        self.restyle()

    def restyle(self) -> None:
        self.pens = np.array([pg.mkPen(INK, width=0.6)]
                             + [pg.mkPen(c, width=2.2) for c in [*PALETTE, UNASSIGNED]],
                             dtype=object)  # [0]: an ordinary outline; [1 + c]: hollow in c
        for j, item in enumerate(self.scatters):
            if self.rasterised or j >= len(self.groups):
                item.setData([], [])
                item.hide()
                continue
            idx, symbol, _ = self.groups[j]
            item.setData(pos=self.X[idx], symbol=symbol, size=STYLE.marker_size,
                         pen=self.pens[0], brush=self.brushes[-1])
            item.custom_pens = item.custom_sizes = False
            item.show()
        self.image.setVisible(self.rasterised)

    def legend_items(self):
        """(sample item, name) for each true class, when the data has them."""
        if not any(name for _, _, name in self.groups):
            return []
        return [(pg.ScatterPlotItem(symbol=s, size=STYLE.marker_size + 2, brush="#ffffff",
                                    pen=pg.mkPen(INK, width=1.2)), name or "points")
                for _, s, name in self.groups]

    def show(self, colours: np.ndarray | None, *, changed: np.ndarray | None = None,
             hollow: np.ndarray | None = None, faded: np.ndarray | None = None,
             sizes: np.ndarray | None = None) -> None:
        """Colour point i by palette entry colours[i] (negative or None: unassigned).

        `hollow` points are drawn as rings in their colour (test points), `faded` ones
        nearly transparent (left out of this step), `sizes` scales markers (1 = normal);
        in an image `changed` points are drawn in ink, since rings would hide the cloud.
        """
        n = len(self.X)
        if colours is None:
            colours = np.full(n, -1)
        colours = np.where(colours < 0, self.unassigned, colours % len(PALETTE))
        if self.rasterised:
            self._draw_raster(colours, changed, faded)
            return
        for (idx, _, _), item in zip(self.groups, self.scatters, strict=False):
            c = colours[idx]
            brushes = self.brushes[c]
            if faded is not None:
                brushes = np.where(faded[idx], self.faded_brushes[c], brushes)
            pens = None
            if hollow is not None and hollow[idx].any():
                brushes = np.where(hollow[idx], self.hollow_brush, brushes)
                pens = np.where(hollow[idx], self.pens[1 + c], self.pens[0]).tolist()
            item.setBrush(brushes.tolist())
            # Pens and sizes change rarely; setting them touches every spot, so only then.
            if pens is not None or getattr(item, "custom_pens", False):
                item.setPen(pens if pens is not None else self.pens[0])
                item.custom_pens = pens is not None
            if sizes is not None or getattr(item, "custom_sizes", False):
                item.setSize(STYLE.marker_size if sizes is None
                             else STYLE.marker_size * sizes[idx])
                item.custom_sizes = sizes is not None

    # --- the image path -----------------------------------------------------------------
    def _prepare_raster(self) -> None:
        lo, hi = self.X.min(0), self.X.max(0)
        span = np.maximum(hi - lo, 1e-300)
        cell = max(float(span.max()) / RASTER_CELLS, 1e-300)
        self.shape = tuple(int(s) + 1 for s in np.floor(span / cell)) + (4,)
        self.cells = np.minimum(((self.X - lo) / cell).astype(int), np.array(self.shape[:2]) - 1)
        self.blank = np.zeros(self.shape, np.uint8)
        # Passed with every image: pyqtgraph scales a rect set before the image exists by
        # a placeholder size, and the cloud landed ~20× too large, off the plot.
        self.rect = QtCore.QRectF(lo[0], lo[1], self.shape[0] * cell, self.shape[1] * cell)

    def _draw_raster(self, colours, changed, faded) -> None:
        img = self.blank.copy()
        ix, iy = self.cells[:, 0], self.cells[:, 1]
        img[ix, iy] = self.rgba[colours]
        if faded is not None and faded.any():
            img[ix[faded], iy[faded], 3] = FADED_ALPHA
        if changed is not None and changed.any():
            img[ix[changed], iy[changed]] = self.ink
        self.image.setImage(img, autoLevels=False, levels=None, rect=self.rect)
