"""A cloud of 2-D points coloured by a label, fast from 10 to 200,000 points.

Small clouds are real markers (one scatter item per true class, so the class shows as
the marker's shape). Large ones are rasterised with numpy into one RGBA image: a
scatter item with thousands of per-point brushes cannot keep an animation smooth.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from visualizer.style import INK, PALETTE, STYLE, UNASSIGNED, palette_rgb

RASTER_ABOVE = 2_000         # more points than this are drawn as an image
RASTER_CELLS = 420           # image cells along the longer side of the data
SYMBOLS = ("o", "s", "t", "d", "p", "h", "t1", "star", "+", "x")


class PointCloud:
    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        self.X = np.zeros((0, 2))
        self.rasterised = False
        self.groups: list[tuple[np.ndarray, str, str]] = []   # (indices, symbol, class name)
        self.scatters: list[pg.ScatterPlotItem] = []
        self.image = pg.ImageItem()
        plot.addItem(self.image)
        self.brushes = np.array([pg.mkBrush(c) for c in PALETTE] + [pg.mkBrush(UNASSIGNED)],
                                dtype=object)
        rgb = np.vstack([palette_rgb(), pg.mkColor(UNASSIGNED).getRgb()[:3]])
        self.rgba = np.hstack([rgb, np.full((len(rgb), 1), 255)]).astype(np.uint8)
        # pale versions of the palette, for regions shaded behind the points
        pale = (255 - (255 - palette_rgb()) * 0.28).astype(np.uint8)
        self.tints = np.hstack([pale, np.full((len(pale), 1), 255)]).astype(np.uint8)
        self.ink = np.array([*pg.mkColor(INK).getRgb()[:3], 255], np.uint8)

    def set_points(self, X: np.ndarray, truth: np.ndarray | None = None,
                   names: list[str] | None = None) -> None:
        self.X = np.asarray(X, float)[:, :2]
        self.rasterised = len(self.X) > RASTER_ABOVE
        if truth is None:
            self.groups = [(np.arange(len(self.X)), "o", "")]
        else:
            classes = [c for c in np.unique(truth)]
            self.groups = [(np.flatnonzero(truth == c), SYMBOLS[i % len(SYMBOLS)],
                            "added by hand" if c < 0 or names is None else str(names[c]))
                           for i, c in enumerate(classes)]
        while len(self.scatters) < len(self.groups):
            item = pg.ScatterPlotItem(pxMode=True)
            self.plot.addItem(item)
            self.scatters.append(item)
        if self.rasterised:
            self._prepare_raster()
        self.restyle()

    def restyle(self) -> None:
        pen = pg.mkPen(INK, width=0.6)
        for j, item in enumerate(self.scatters):
            if self.rasterised or j >= len(self.groups):
                item.setData([], [])
                item.hide()
                continue
            idx, symbol, _ = self.groups[j]
            item.setData(pos=self.X[idx], symbol=symbol, size=STYLE.marker_size, pen=pen,
                         brush=self.brushes[-1])
            item.show()
        self.image.setVisible(self.rasterised)

    def legend_items(self):
        """(sample item, name) for each true class, when the data has them."""
        if not any(name for _, _, name in self.groups):
            return []
        return [(pg.ScatterPlotItem(symbol=s, size=STYLE.marker_size + 2, brush="#ffffff",
                                    pen=pg.mkPen(INK, width=1.2)), name or "points")
                for _, s, name in self.groups]

    def show_labels(self, labels: np.ndarray | None, changed: np.ndarray | None = None) -> None:
        """Colour every point by `labels` (−1 or None: not assigned yet)."""
        if labels is None:
            labels = np.full(len(self.X), -1)
        colours = np.where(labels < 0, len(PALETTE), labels % len(PALETTE))
        if self.rasterised:
            self._draw_raster(colours, changed)
            return
        for (idx, _, _), item in zip(self.groups, self.scatters, strict=False):
            item.setBrush(self.brushes[colours[idx]].tolist())

    # --- the image path -----------------------------------------------------------------
    def _prepare_raster(self) -> None:
        lo, hi = self.X.min(0), self.X.max(0)
        span = np.maximum(hi - lo, 1e-9)
        cell = span.max() / RASTER_CELLS
        self.shape = tuple(int(s) + 1 for s in np.floor(span / cell)) + (4,)
        self.cells = np.minimum(((self.X - lo) / cell).astype(int), np.array(self.shape[:2]) - 1)
        self.blank = np.zeros(self.shape, np.uint8)
        self.image.setRect(QtCore.QRectF(lo[0], lo[1], self.shape[0] * cell,
                                         self.shape[1] * cell))

    def _draw_raster(self, colours: np.ndarray, changed: np.ndarray | None) -> None:
        img = self.blank.copy()
        ix, iy = self.cells[:, 0], self.cells[:, 1]
        img[ix, iy] = self.rgba[colours]
        if changed is not None and changed.any():
            img[ix[changed], iy[changed]] = self.ink
        self.image.setImage(img, autoLevels=False, levels=None)
