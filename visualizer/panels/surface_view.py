"""Drawing helpers for a 2-D loss surface: heat map, contour lines, minima and arrows.

Everything here is vectorized numpy feeding a few pyqtgraph items, so a new surface is
drawn in a few milliseconds. The heat map is an RGBA image coloured by our own lookup
table (no autoLevels); the contour lines come from contourpy (see contours.py).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from visualizer.panels.contours import contour_lines
from visualizer.style import INK, STYLE

GRID = 400          # heat-map samples along each side
CONTOUR_GRID = 160  # contours come from a coarser grid: smooth enough, far cheaper
LEVELS = 12         # contour lines, evenly spaced in colour

# Pale warm greys, darker uphill: the palette's saturated paths stay legible on every shade.
STOPS = ((0.0, (255, 255, 250)), (0.35, (232, 228, 217)), (0.7, (196, 188, 172)),
         (1.0, (140, 130, 116)))
UNDEFINED = (214, 200, 214, 255)  # where f is nan or infinite: a tint no real level has


def _lut() -> np.ndarray:
    at = np.linspace(0.0, 1.0, 256)
    where = [s[0] for s in STOPS]
    rgb = np.column_stack([np.interp(at, where, [s[1][i] for s in STOPS]) for i in range(3)])
    return np.column_stack([rgb, np.full(256, 255)]).astype(np.uint8)


LUT = _lut()


def colour_values(z: np.ndarray, log: bool) -> np.ndarray:
    """f mapped to [0, 1] for colouring (log-spaced when asked); nan where f is undefined."""
    z = np.where(np.isfinite(z), z, np.nan)
    if np.isnan(z).all():
        return z
    if log:
        lo = np.nanmin(z)
        # An offset well below the typical height keeps the deep valley from using every shade.
        z = np.log10(z - lo + max(np.nanmedian(z) - lo, 1e-12) * 1e-3)
    lo, hi = np.nanpercentile(z, [0.5, 99.5])
    return np.clip((z - lo) / (hi - lo if hi > lo else 1.0), 0.0, 1.0)


def rgba_image(c: np.ndarray) -> np.ndarray:
    """(m, n) colour values → (m, n, 4) uint8, row i at height ys[i] (a row-major image)."""
    ok = np.isfinite(c)
    rgba = LUT[np.round(np.where(ok, c, 0.0) * 255).astype(np.intp)]
    rgba[~ok] = UNDEFINED
    return rgba


def arrow_segments(origin, vector, head: float) -> tuple[np.ndarray, np.ndarray]:
    """A shaft and two barbs as three (start, end) pairs, for a curve with connect='pairs'."""
    origin, vector = np.asarray(origin, float), np.asarray(vector, float)
    tip = origin + vector
    length = np.hypot(*vector)
    back = -vector / length * min(head, 0.6 * length)
    turn = np.radians(28)
    c, s = np.cos(turn), np.sin(turn)
    left = tip + (c * back[0] - s * back[1], s * back[0] + c * back[1])
    right = tip + (c * back[0] + s * back[1], -s * back[0] + c * back[1])
    points = np.array([origin, tip, tip, left, tip, right])
    return points[:, 0], points[:, 1]


def shown_length(size, reference: float, span: float) -> float:
    """Compress a vector's size into 7–20 % of the view, growing with the size."""
    return span * (0.07 + 0.13 * size / (size + reference))


def scaled_arrow(at, v, reference: float, span: float):
    """Segments of an arrow along v whose length is v's size compressed by shown_length.

    (None, None) when there is no vector, a non-finite one, or one below a thousandth of
    ``reference``: a run that has settled would otherwise show full-size arrows pointing
    wherever rounding error points.
    """
    size = 0.0 if v is None else float(np.hypot(*v))
    if not (np.isfinite(size) and size > 1e-3 * reference):
        return None, None
    return arrow_segments(at, v / size * shown_length(size, reference, span), 0.03 * span)


class ViewCurve(pg.PlotCurveItem):
    """A curve whose bounds are the visible area, not its data.

    pyqtgraph measures a curve's data (nanmin, nanmax, pixel padding) after every setData;
    with some thirty curves changing each frame that is a noticeable share of the frame.
    Whatever lies outside the view is clipped by the view box anyway, and a change of view
    already announces a change of geometry (viewTransformChanged).
    """

    def boundingRect(self):
        view = self.getViewBox()  # items sit in view coordinates: the range is the rect
        return super().boundingRect() if view is None else view.viewRect()


def until_it_leaves(path: np.ndarray, region, margin: float = 0.1) -> np.ndarray:
    """The path up to where it first leaves the region (grown by `margin` of its size),
    that last point pulled back onto the edge: a diverged run's wild swings would
    otherwise paint over the whole view."""
    x0, x1, y0, y1 = region
    pad = margin * np.array([x1 - x0, y1 - y0])
    lo, hi = np.array([x0, y0]) - pad, np.array([x1, y1]) + pad
    outside = ~(np.isfinite(path).all(1) & (path >= lo).all(1) & (path <= hi).all(1))
    if not outside.any():
        return path
    first = int(np.argmax(outside))
    kept = path[: first + 1].copy()
    kept[-1] = np.clip(np.nan_to_num(kept[-1], posinf=hi.max(), neginf=lo.min()), lo, hi)
    return kept


def show_curve(item: pg.PlotCurveItem, x, y) -> None:
    """Show x, y, or hide the item when there is nothing: hidden items cost no painting."""
    if x is None or not len(x):
        item.hide()
        return
    item.setData(x, y)
    item.show()


def filled(region, aspect: float | None):
    """`region` widened about its centre along one side so that width / height = aspect."""
    xmin, xmax, ymin, ymax = region
    if not aspect or not np.isfinite(aspect) or aspect <= 0:
        return region
    w, h = xmax - xmin, ymax - ymin
    if w / h < aspect:
        grow = (h * aspect - w) / 2
        return (xmin - grow, xmax + grow, ymin, ymax)
    grow = (w / aspect - h) / 2
    return (xmin, xmax, ymin - grow, ymax + grow)


class SurfaceLayer:
    """The surface under the runs: heat map, contour lines and the known minima."""

    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        self.image = pg.ImageItem(axisOrder="row-major")  # like the grid: no transpose
        self.image.setZValue(-20)
        self.contours = pg.PlotCurveItem(connect="finite")
        self.contours.setZValue(-10)
        self.minima = pg.ScatterPlotItem(symbol="star", pxMode=True)
        self.minima.setZValue(30)
        for item in (self.image, self.contours, self.minima):
            plot.addItem(item)
        for item in (self.image, self.contours, self.minima):
            # Repainted from a pixmap until the surface or the view size changes: scaling a
            # 400 × 400 image and stroking ~15,000 contour segments every frame cost ~15 ms.
            item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.grad_scale = 1.0  # a typical |∇f| on the region, for scaling gradient arrows

    def show(self, surface, aspect: float | None = None) -> None:
        """Draw `surface` over its region, widened along one side to the view's aspect
        (width / height in pixels) so that the map fills the view at equal scales."""
        region = filled(surface.region, aspect)
        xmin, xmax, ymin, ymax = region
        wide = (xmax - xmin) >= (ymax - ymin)
        ratio = (ymax - ymin) / (xmax - xmin)
        n, m = (GRID, max(2, round(GRID * ratio))) if wide else (max(2, round(GRID / ratio)),
                                                                 GRID)
        xs, ys, z = surface.grid(n, m, region)
        c = colour_values(z, surface.log_colors)
        dx, dy = xs[1] - xs[0], ys[1] - ys[0]
        # Pixel centres sit on the samples, so the image reaches half a pixel past them.
        self.image.setImage(rgba_image(c), autoLevels=False, rect=QtCore.QRectF(
            xs[0] - dx / 2, ys[0] - dy / 2, xs[-1] - xs[0] + dx, ys[-1] - ys[0] + dy))
        step = max(1, max(n, m) // CONTOUR_GRID)
        levels = (np.arange(LEVELS) + 0.5) / LEVELS
        self.contours.setData(*contour_lines(xs[::step], ys[::step], c[::step, ::step], levels))
        found = np.asarray(surface.minima, float).reshape(-1, 2)
        self.minima.setData(pos=found)
        gx, gy = surface.df(*np.meshgrid(xs[::20], ys[::20]))
        size = np.hypot(gx, gy)
        size = size[np.isfinite(size) & (size > 0)]
        self.grad_scale = float(np.median(size)) if size.size else 1.0
        self.plot.setRange(xRange=(xmin, xmax), yRange=(ymin, ymax), padding=0)
        self.region = region

    def restyle(self) -> None:
        self.contours.setPen(pg.mkPen(INK + "55", width=1))
        self.minima.setSize(STYLE.marker_size * 2.6)
        self.minima.setPen(pg.mkPen(INK, width=1.5))
        self.minima.setBrush(pg.mkBrush("#ffffff"))
