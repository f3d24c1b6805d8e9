"""The comparison grid's parts: the scenes driven as one, and each small plot's regions.

`SceneGroup` lets the shared classifier code (classify_common.ClassifierPanel), which speaks
to one `self.scene`, drive the scenes of all nine plots. `Regions` shades one plot on a
coarse grid (GRID_CELLS along the longer side) off the UI thread: one background task per
plot, so a slow model never holds the others back; a growing ensemble is evaluated only for
its new members (ensembles.IncrementalPredictor, kept per plot for its grid).
"""

from __future__ import annotations

import threading

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import ensembles
from visualizer.panels.scene import Scene2D, region_image, smooth

GRID_CELLS = 60        # region samples along the longer side of each small plot


class SceneGroup:
    """The scenes of every small plot, driven as one where the shared classifier code
    (classify_common.ClassifierPanel) speaks to `self.scene`."""

    def __init__(self, scenes: list[Scene2D]):
        self.scenes = scenes

    @property
    def cloud(self):
        return self.scenes[0].cloud

    def set_points(self, X, truth=None, names=None, frame=None):
        for s in self.scenes:
            s.set_points(X, truth, names, frame)

    def label_axes(self, x, y):
        """The small plots have no axes (as in scikit-learn's figure): nothing to label."""

    def fit(self, pad: float = 0.06):
        for s in self.scenes:
            out = s.fit(pad)
        return out

    def restyle(self):
        for s in self.scenes:
            s.restyle()


class Regions:
    """One small plot's decision regions: a coarse grid shaded off the UI thread."""

    def __init__(self, panel, plot: pg.PlotItem, slot: int):
        self.panel, self.plot, self.slot = panel, plot, slot
        self.image = pg.ImageItem()
        self.image.setZValue(-10)
        plot.addItem(self.image)
        self.model = None
        self.shown = None          # the key (model, view) of the image on screen
        self.lock = threading.Lock()
        self.cache = None          # (view key, grid, incremental predictor), on a worker
        plot.vb.sigRangeChanged.connect(lambda *_: self.request())

    def show(self, model) -> None:
        self.model = model
        if model is None:
            self.image.clear()
            self.shown = None
            return
        self.request()

    def request(self) -> None:
        model = self.model
        if model is None:
            return
        (x0, x1), (y0, y1) = self.plot.vb.viewRange()
        view = (x0, x1, y0, y1)
        key = (id(model), view)
        if key == self.shown:
            return
        span = np.array([x1 - x0, y1 - y0])
        if not (np.isfinite(span).all() and (span > 0).all()):
            return
        shape = tuple(np.maximum(2, np.round(GRID_CELLS * span / span.max())).astype(int))
        self.panel.background.submit(("compare regions", id(self)),
                                     lambda: (key, self._work(model, view, shape)),
                                     self._arrived)

    def _work(self, model, view, shape) -> np.ndarray:
        """On a worker: the region image of `model` over `view`."""
        with self.lock:   # a superseded task may still run beside its successor
            if self.cache is None or self.cache[0] != view:
                x0, x1, y0, y1 = view
                nx, ny = shape
                gx = x0 + (np.arange(nx) + 0.5) * (x1 - x0) / nx
                gy = y0 + (np.arange(ny) + 0.5) * (y1 - y0) / ny
                grid = np.stack(np.meshgrid(gx, gy, indexing="ij"), -1).reshape(-1, 2)
                self.cache = (view, grid, ensembles.IncrementalPredictor(grid))
            _, grid, predictor = self.cache
            with np.errstate(all="ignore"):
                if isinstance(model, ensembles.Ensemble):
                    proba = predictor.predict_proba(model)   # only the new members
                else:
                    proba = model.predict_proba(grid)
        best = np.argmax(proba, axis=1)
        confidence = np.nan_to_num(proba[np.arange(len(grid)), best], nan=0.0)
        return smooth(region_image(model.classes[best], confidence, shape))

    def _arrived(self, result) -> None:
        if isinstance(result, Exception):
            self.panel.failed.emit(result)
            self.image.clear()
            return
        key, rgba = result
        if self.model is None or key[0] != id(self.model):
            return   # the plot moved on to another model (or none) meanwhile
        x0, x1, y0, y1 = key[1]
        self.shown = key
        self.image.setImage(rgba, autoLevels=False, levels=None,
                            rect=QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
