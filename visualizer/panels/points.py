"""A cloud of 2-D points coloured by a label, fast from 10 to 200,000 points.

Small clouds are real markers (one scatter item per true class, so the class shows as
the marker's shape), with brushes and pens indexed from palettes made once: a brush made
per point per frame is ~15× slower. Large clouds are rasterised with numpy into one RGBA
image: a scatter item with thousands of points cannot keep an animation smooth.

A scatter item renders every distinct (symbol, size, pen, brush) once into its atlas and
touches every spot whenever one of them is set. So sizes are rounded to SIZE_STEP pixels
(point sizes that change every frame, like boosting's weights, then reuse a few dozen
rendered markers instead of rendering each point anew: ~10 ms a frame at 400 points), and
brushes, pens and sizes are set only when they differ from the ones shown.
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
SIZE_STEP = 0.5              # marker sizes are rounded to this many pixels (see above)


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
        # brush codes: c → brushes[c], k + c → faded_brushes[c], 2k → hollow (k colours)
        self.brush_table = np.array([*self.brushes, *self.faded_brushes, self.hollow_brush],
                                    dtype=object)
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
            item.shown_style = None   # (brush codes, pen codes, sizes) last set, see show()
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
        k = len(self.brushes)
        for (idx, _, _), item in zip(self.groups, self.scatters, strict=False):
            c = colours[idx]
            brush = c
            if faded is not None:
                brush = np.where(faded[idx], k + c, brush)
            pen = None
            if hollow is not None and hollow[idx].any():
                brush = np.where(hollow[idx], 2 * k, brush)
                pen = np.where(hollow[idx], 1 + c, 0)
            size = None if sizes is None else np.round(
                STYLE.marker_size * sizes[idx] / SIZE_STEP) * SIZE_STEP
            self._style(item, brush, pen, size)

    def _style(self, item, brush, pen, size) -> None:
        """Set what differs from the spots' current brushes, pens and sizes (codes into
        brush_table and pens; None pens/sizes: the ordinary ones), then update once."""
        shown = getattr(item, "shown_style", None) or (None, None, None)
        same = [a is None and b is None or a is not None and b is not None
                and np.array_equal(a, b) for a, b in zip((brush, pen, size), shown, strict=True)]
        if all(same):
            return
        if not same[0]:
            item.setBrush(self.brush_table[brush].tolist(), update=False)
        n = len(brush)   # arrays always: a single value would leave per-spot ones in place
        if not same[1]:
            item.setPen(self.pens[np.zeros(n, int) if pen is None else pen].tolist(),
                        update=False)
        if not same[2]:
            item.setSize(np.full(n, float(STYLE.marker_size)) if size is None else size,
                         update=False)
        item.shown_style = (brush, pen, size)
        item.updateSpots()

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
