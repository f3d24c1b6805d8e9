"""The shared 2-D scene: labelled points, shaded regions, rings and crosses, a fixed frame.

Every panel that shows points in the plane (k-means, the classifiers, PCA …) builds one
`Scene2D` on its main plot instead of its own items:

    self.scene = Scene2D(plot, self.background)
    self.scene.set_points(X, truth, names)          # once per data set
    self.scene.show(labels, changed=…, hollow=…)    # every frame: only recolours
    self.scene.shade(lambda grid: (labels, confidence), key)  # regions, in the background

Region grids are computed off the UI thread (the newest request wins) and drawn when they
arrive; an export waits for them (`Background.wait`) before it grabs a frame.

Data whose numbers cannot be drawn as they are (1e200, 1e-300, a 1e8 offset with a spread
of 1) is put into a drawable frame by `display_frame`: shifted and divided by a power of
ten, with the axes saying so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from visualizer.panels.points import PointCloud
from visualizer.style import INK, PALETTE, STYLE, palette_rgb

REGION_CELLS = 240      # region samples along the longer side of the view
REGION_SMOOTHING = 3    # the region image is upsampled this much, linearly: smooth edges
PALE, STRONG = 0.10, 0.42  # how much of the class colour tints a region, least to most sure

Classifier = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]]


# --- a drawable frame for any finite data --------------------------------------------------
@dataclass(frozen=True)
class DisplayFrame:
    """shown = (data − offset) / scale, the same for every column."""

    offset: float = 0.0
    scale: float = 1.0

    @property
    def identity(self) -> bool:
        return self.offset == 0.0 and self.scale == 1.0

    def axis_suffix(self) -> str:
        parts = []
        if self.offset:
            parts.append(f"− {self.offset:.6g}")
        if self.scale != 1.0:
            parts.append(f"÷ 1e{round(math.log10(self.scale))}")
        return f" ({' '.join(parts)})" if parts else ""

    def note(self) -> str:
        if self.identity:
            return ""
        what = []
        if self.offset:
            what.append(f"shifted by −{self.offset:.6g}")
        if self.scale != 1.0:
            what.append(f"divided by 1e{round(math.log10(self.scale))}")
        return (f"The values were {' and '.join(what)} so they can be drawn; the axes say "
                "so. Shapes and clusters are unchanged.")


def display_frame(X: np.ndarray) -> DisplayFrame:
    """The frame that makes X drawable: values between about 1e-3 and 1e6 across, and no
    common offset so large that the plot's single-precision painter loses the spread.
    Worked in halves and logarithms, so data near the float maximum never overflows."""
    X = np.asarray(X, float)
    lo, hi = X.min(0), X.max(0)
    half_spread = float(np.max(hi / 2 - lo / 2))
    middle = float(np.mean(lo / 2 + hi / 2))
    reach = half_spread if half_spread > 0 else float(np.max(np.abs(X)))
    offset = 0.0
    if half_spread > 0 and abs(middle) > 1e4 * half_spread:
        step = 10.0 ** math.floor(math.log10(half_spread))
        offset = round(middle / step) * step
    elif half_spread == 0:
        reach = max(reach, abs(middle))
    scale = 1.0
    if reach > 0:
        log_spread = math.log10(reach) + math.log10(2)  # of the whole spread, never overflowing
        if log_spread > 6 or log_spread < -3:
            scale = 10.0 ** math.floor(log_spread)
    return DisplayFrame(offset, scale)


def shown(X: np.ndarray, frame: DisplayFrame) -> np.ndarray:
    """X in the display frame (exact when the frame is the identity)."""
    if frame.identity:
        return np.asarray(X, float)
    return (np.asarray(X, float) - frame.offset) / frame.scale


# --- regions -------------------------------------------------------------------------------
def region_image(labels: np.ndarray, confidence: np.ndarray | None,
                 shape: tuple[int, int]) -> np.ndarray:
    """(nx, ny, 4) uint8: each cell tinted by its class colour, paler where less sure.
    Confidence is looked up in CONFIDENCE_LEVELS steps (a colour channel is then within one
    unit of the exact tint): one gather instead of float arithmetic on every cell."""
    table = _region_table()   # one uint32 (4 bytes, RGBA) per class and level
    index = (np.asarray(labels).reshape(shape).astype(np.intp) % len(PALETTE)
             * CONFIDENCE_LEVELS)
    if confidence is None:
        index += CONFIDENCE_LEVELS - 1
    else:
        level = np.asarray(confidence, float).reshape(shape) * (CONFIDENCE_LEVELS - 1) + 0.5
        np.clip(level, 0, CONFIDENCE_LEVELS - 1, out=level)
        level[np.isnan(level)] = 0   # no confidence at all: the palest tint
        index += level.astype(index.dtype)
    return np.take(table, index).view(np.uint8).reshape(*shape, 4)


CONFIDENCE_LEVELS = 256
_REGION_TABLE: list[np.ndarray] = []


def _region_table() -> np.ndarray:
    """(len(PALETTE) × CONFIDENCE_LEVELS,) uint32, each an RGBA pixel: class c's tint at
    confidence level l at [c × CONFIDENCE_LEVELS + l] (level 0: PALE, the last: STRONG),
    made once."""
    if not _REGION_TABLE:
        full = palette_rgb().astype(float)
        strength = PALE + (STRONG - PALE) * np.linspace(0.0, 1.0, CONFIDENCE_LEVELS)
        rgba = np.full((len(full), CONFIDENCE_LEVELS, 4), 255, np.uint8)
        rgba[..., :3] = np.round(255 - (255 - full[:, None, :]) * strength[None, :, None])
        _REGION_TABLE.append(rgba.view(np.uint32).ravel())
    return _REGION_TABLE[0]


def smooth(rgba: np.ndarray, factor: int = REGION_SMOOTHING) -> np.ndarray:
    """Upsample linearly, so region edges are soft lines rather than stairs on a projector."""
    import cv2  # OpenCV only once regions are shown

    h, w = rgba.shape[:2]
    return cv2.resize(rgba, (w * factor, h * factor), interpolation=cv2.INTER_LINEAR)


class RegionShading:
    """The plot's view shaded by a classifier evaluated on a grid, off the UI thread."""

    def __init__(self, plot: pg.PlotItem, background, report: Callable = print):
        self.plot, self.background, self.report = plot, background, report
        self.image = pg.ImageItem()
        self.image.setZValue(-10)
        plot.addItem(self.image)
        self.classify: Classifier | None = None
        self.key = None
        self._shown_key = None
        plot.vb.sigRangeChanged.connect(lambda *_: self._request())

    def show(self, classify: Classifier | None, key=None) -> None:
        """Shade by `classify(points (n, 2)) -> (labels, confidence in [0, 1] or None)`;
        None clears the shading. `key` names the model: the same key is not recomputed."""
        self.classify, self.key = classify, key
        if classify is None:
            self.image.clear()
            self._shown_key = None
            return
        self._request()

    def _request(self) -> None:
        if self.classify is None:
            return
        (x0, x1), (y0, y1) = self.plot.vb.viewRange()
        key = (self.key, x0, x1, y0, y1)
        if key == self._shown_key and self.key is not None:
            return
        span = np.array([x1 - x0, y1 - y0])
        if not (np.isfinite(span).all() and (span > 0).all()):
            return
        nx, ny = np.maximum(2, np.round(REGION_CELLS * span / span.max())).astype(int)
        classify = self.classify

        def work():
            # The grid row by row (y outer, x inner), so the image is built in the memory
            # order Qt wants: the (nx, ny) view handed to the ImageItem is a transpose that
            # it turns back without copying (a 1.5 MB copy on the UI thread every frame).
            gx = x0 + (np.arange(nx) + 0.5) * span[0] / nx
            gy = y0 + (np.arange(ny) + 0.5) * span[1] / ny
            grid = np.stack(np.meshgrid(gx, gy, indexing="xy"), -1).reshape(-1, 2)
            labels, confidence = classify(grid)
            rows = smooth(region_image(np.asarray(labels), confidence, (ny, nx)))
            return key, rows.swapaxes(0, 1)

        self.background.submit(("regions", id(self)), work, self._arrived)

    def _arrived(self, result) -> None:
        if isinstance(result, Exception):
            self.report(result)  # a broken classifier: said in the banner, shading cleared
            self.image.clear()
            return
        key, rgba = result
        x0, x1, y0, y1 = key[1:]
        self._shown_key = key
        self.image.setImage(rgba, autoLevels=False, levels=None,
                            rect=QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))


# --- the scene -----------------------------------------------------------------------------
class Scene2D:
    """Points, regions, rings (changed or highlighted points) and crosses (mistakes)."""

    def __init__(self, plot: pg.PlotItem, background, report: Callable = print):
        """`report(exception)` is told when shading fails: pass the panel's failed.emit."""
        self.plot = plot
        plot.showGrid(x=True, y=True, alpha=0.15)
        self.regions = RegionShading(plot, background, report)
        self.cloud = PointCloud(plot)
        self.rings = pg.ScatterPlotItem(symbol="o", brush=None, pxMode=True)
        self.crosses = pg.ScatterPlotItem(symbol="x", pxMode=True)
        for z, item in ((5, self.rings), (6, self.crosses)):
            item.setZValue(z)
            plot.addItem(item)
        self.frame = DisplayFrame()
        self.framed = None          # the data box the view was fitted to, until the user pans
        plot.vb.sigResized.connect(self._refit)
        plot.vb.sigRangeChangedManually.connect(self._let_go)
        self.restyle()

    def restyle(self) -> None:
        self.cloud.restyle()
        self.rings.setPen(pg.mkPen(INK, width=2))
        self.rings.setSize(STYLE.marker_size + 8)
        self.crosses.setPen(pg.mkPen(INK, width=2))
        self.crosses.setBrush(pg.mkBrush(INK))
        self.crosses.setSize(STYLE.marker_size + 4)

    def set_points(self, X, truth=None, names=None, frame: DisplayFrame | None = None) -> None:
        """New data (already in display units); `frame` labels the axes when it was moved."""
        self.X = np.asarray(X, float)
        self.cloud.set_points(self.X, truth, names)
        if frame is not None:
            self.frame = frame

    def show(self, labels, *, changed=None, hollow=None, faded=None, sizes=None) -> None:
        """Recolour the points; rings round `changed` points (markers only: in an image of
        thousands of points the changed ones are drawn in ink instead)."""
        self.cloud.show(labels, changed=changed, hollow=hollow, faded=faded, sizes=sizes)
        rings = changed is not None and changed.any() and not self.cloud.rasterised
        self.ring(self.X[changed] if rings else None)

    def ring(self, points) -> None:
        """Rings round these points (None: none)."""
        self.rings.setData(pos=np.zeros((0, 2)) if points is None else points[:, :2])

    def cross(self, points) -> None:
        """Crosses on these points, e.g. the misclassified ones (None: none)."""
        self.crosses.setData(pos=np.zeros((0, 2)) if points is None else points[:, :2])

    def shade(self, classify: Classifier | None, key=None) -> None:
        self.regions.show(classify, key)

    def label_axes(self, x: str, y: str) -> None:
        suffix = self.frame.axis_suffix()
        self.plot.setLabel("bottom", x + suffix)
        self.plot.setLabel("left", y + suffix)

    def fit(self, pad: float = 0.06) -> tuple[np.ndarray, np.ndarray]:
        """Frame the view tightly on the points; returns the (low, high) corners. The view
        stays fitted through resizes (the same picture at the same size, however the window
        got there) until the user pans or zooms."""
        lo, hi = self.X[:, :2].min(0), self.X[:, :2].max(0)
        margin = np.maximum((hi - lo) * pad, np.maximum(np.abs(hi), 1.0) * 1e-3)
        lo, hi = lo - margin, hi + margin
        self.framed = (lo, hi)
        self._refit()
        return lo, hi

    def _refit(self, *_):
        if self.framed is not None:
            (x0, y0), (x1, y1) = self.framed
            self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def _let_go(self, *_):
        self.framed = None
