"""Looking at what the user sees: grab the rendered canvas and count colours in it.

Array-level tests once passed, and benchmarks timed frames, while 20,000 k-means points
were drawn far off the plot. The view tests and the benchmarks use these helpers to read
the pixels Qt actually painted instead.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

from visualizer import export

SETTLE_MS = 150  # longer than a panel's wait before it refits to a resized view


def settle(panel) -> None:
    """Let background work (region shading, curves) arrive, resizes take effect and Qt
    paint it all, as a user looking at the screen a moment later would see it."""
    from PySide6.QtTest import QTest

    panel.background.wait()
    QtWidgets.QApplication.processEvents()
    QTest.qWait(SETTLE_MS)
    panel.background.wait()


def view_pixels(panel, plot) -> np.ndarray:
    """(h, w, 3) RGB of the canvas inside `plot`'s data area, as painted now."""
    settle(panel)
    image = export.grab(panel.canvas)
    rect = plot.vb.sceneBoundingRect()
    top_left = panel.canvas.mapFromScene(rect.topLeft())
    bottom_right = panel.canvas.mapFromScene(rect.bottomRight())
    ratio = image.shape[1] / panel.canvas.width()  # a high-DPI grab has more pixels
    x0, y0 = (int(v * ratio) for v in (top_left.x(), top_left.y()))
    x1, y1 = (int(v * ratio) for v in (bottom_right.x(), bottom_right.y()))
    return image[max(y0, 0) + 2:y1 - 2, max(x0, 0) + 2:x1 - 2]


def rgb(colour) -> np.ndarray:
    from pyqtgraph import mkColor

    return np.array(mkColor(colour).getRgb()[:3], float)


def count_near(pixels: np.ndarray, colour, tolerance: float = 30) -> int:
    """How many pixels are within `tolerance` (per channel) of `colour`."""
    diff = np.abs(pixels.astype(float) - rgb(colour)).max(axis=-1)
    return int((diff <= tolerance).sum())


def pale(colour, strength: float) -> np.ndarray:
    """A palette colour as a region tint of the given strength draws it."""
    return 255 - (255 - rgb(colour)) * strength


def at_data(panel, plot, x, y) -> np.ndarray:
    """The RGB pixel at data coordinates (x, y) of `plot`."""
    settle(panel)
    image = export.grab(panel.canvas)
    scene = plot.vb.mapViewToScene(QtCore.QPointF(x, y))
    where = panel.canvas.mapFromScene(scene)
    ratio = image.shape[1] / panel.canvas.width()
    return image[int(where.y() * ratio), int(where.x() * ratio)].astype(float)
