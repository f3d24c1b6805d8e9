"""k-means: points coloured by cluster, Voronoi regions, centres with their trails."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import datasets, kmeans
from algorithms.base import param
from visualizer.panels.base import AlgorithmPanel
from visualizer.panels.points import PointCloud
from visualizer.sources import load_table, select_columns
from visualizer.style import INK, STYLE, colour

REGION_GRID = 240       # Voronoi shading resolution (cells along the longer side)
ELBOW_KS = range(1, 11)
ELBOW_SAMPLE = 20_000   # the elbow curve is computed on at most this many points


@dataclass(frozen=True)
class Data:
    dataset: str = param("blobs", values=tuple(datasets.GENERATORS),
                         tip="a generated data set; File ▸ Open data… loads a CSV instead")
    points: int = param(300, limits=(10, 200_000), step=100, tip="number of points")
    groups: int = param(4, limits=(1, 10), tip="how many groups the generator makes")
    noise: float = param(0.12, limits=(0.0, 2.0), step=0.02, tip="spread of each group")


class KMeansPanel(AlgorithmPanel):
    id, title, topic = "kmeans", "k-means clustering", "Unsupervised learning"
    Params, Data = kmeans.Params, Data
    file_filter = "CSV files (*.csv *.tsv *.txt);;All files (*)"

    def __init__(self, seed: int = 0):
        self.X = np.zeros((0, 2))
        self.truth: np.ndarray | None = None
        self.truth_names: list[str] | None = None
        self.origin = ""           # where the points came from, for the captions
        self.added = 0             # points added by clicking
        self.manual: list[np.ndarray] = []
        super().__init__(seed)
        self.regenerate()

    # --- building -----------------------------------------------------------------------
    def setup(self, canvas):
        self.main = canvas.addPlot(row=0, col=0, rowspan=2, title="Clusters")
        self.main.setAspectLocked(True)
        self.main.showGrid(x=True, y=True, alpha=0.15)
        self.click_plot = self.main
        self.regions = pg.ImageItem()
        self.regions.setZValue(-10)
        self.main.addItem(self.regions)
        self.region_centres = None
        self.main.vb.sigRangeChanged.connect(lambda *_: self._draw_regions(self.region_centres))
        self.cloud = PointCloud(self.main)
        self.rings = pg.ScatterPlotItem(symbol="o", brush=None, pxMode=True)
        self.rings.setZValue(5)
        self.main.addItem(self.rings)
        self.trails: list[pg.PlotCurveItem] = []
        self.centres = pg.ScatterPlotItem(symbol="star", pxMode=True)
        self.centres.setZValue(10)
        self.main.addItem(self.centres)
        self.targets: list[pg.TargetItem] = []
        # The counter is an overlay, not the title: a title that changes width every frame
        # makes the whole layout (and every axis) repaint, which halves the frame rate.
        self.counter = pg.TextItem(anchor=(0, 0), color=INK, fill=pg.mkBrush(255, 255, 255, 215))
        self.counter.setParentItem(self.main.vb)
        self.counter.setPos(6, 6)
        self.legend = self.main.addLegend(offset=(-10, -10))  # bottom right, clear of it

        self.curve_plot = canvas.addPlot(row=0, col=1, title="Inertia per step")
        self.curve_plot.setLabel("bottom", "assign / update step")
        self.curve = self.curve_plot.plot(symbol="o")
        self.curve_plot.vb.disableAutoRange()  # ranges are set per run: see _frame_curve
        self.curve_span = None
        self.elbow_plot = canvas.addPlot(row=1, col=1, title="Elbow: final inertia vs k")
        self.elbow_plot.setLabel("bottom", "k")
        self.elbow_curve = self.elbow_plot.plot(symbol="o")
        self.elbow_now = pg.InfiniteLine(angle=90, pen=pg.mkPen(INK, style=QtCore.Qt.DashLine))
        self.elbow_plot.addItem(self.elbow_now)
        layout = canvas.ci.layout
        layout.setColumnStretchFactor(0, 3)
        layout.setColumnStretchFactor(1, 1)

    def restyle(self):
        super().restyle()
        pen = pg.mkPen(INK, width=STYLE.line_width)
        self.curve.setPen(pen)
        self.counter.setFont(STYLE.font(STYLE.text_px, bold=True))
        self.elbow_curve.setPen(pen)
        self.cloud.restyle()
        self._legend_entries()

    def _legend_entries(self):
        self.legend.clear()
        size = STYLE.marker_size
        self.legend.addItem(pg.ScatterPlotItem(symbol="star", size=size * 2.2, brush="#ffffff",
                                               pen=pg.mkPen(INK, width=2)), "centre")
        self.legend.addItem(pg.ScatterPlotItem(symbol="o", size=size + 8, brush=None,
                                               pen=pg.mkPen(INK, width=2)), "changed cluster")
        self.legend.addItem(pg.PlotDataItem(pen=pg.mkPen(INK, width=STYLE.line_width,
                                                         style=QtCore.Qt.DashLine)),
                            "centre's path")
        for item, name in self.cloud.legend_items():
            self.legend.addItem(item, name)
        for label in self.legend.items:
            label[1].setText(label[1].text, size=f"{STYLE.tick_px}px")

    # --- data ---------------------------------------------------------------------------
    def regenerate(self):
        d = self.data_params
        X, _ = datasets.make(d.dataset, d.points, d.groups, d.noise, seed=self.seed)
        self._use(X, None, None, f"generated '{d.dataset}'")

    def load_file(self, path, columns=None):
        table = load_table(path)
        return self.use_table(table, *(columns or []))

    def use_table(self, table, x=None, y=None, label=None):
        X, truth, names = select_columns(table, x, y, label)
        self._use(X, truth, names, Path(table.path).name)
        self.restart.emit()
        return table.message

    def _use(self, X, truth, names, origin):
        self.X, self.truth, self.truth_names = X, truth, names
        self.origin, self.added = origin, 0
        self.manual.clear()
        self._sync_targets()
        self.cloud.set_points(X, truth, names)
        self._legend_entries()
        self._frame_view()
        self._start_elbow()

    def _frame_view(self):
        lo, hi = self.X.min(0), self.X.max(0)
        pad = np.maximum((hi - lo) * 0.06, 1e-3)
        self.bounds = (lo - pad, hi + pad)
        self.main.setRange(xRange=(self.bounds[0][0], self.bounds[1][0]),
                           yRange=(self.bounds[0][1], self.bounds[1][1]), padding=0)
        self._region_key = None

    def _start_elbow(self):
        X, seed = self.X, self.seed
        if len(X) > ELBOW_SAMPLE:  # ten full runs on a huge cloud would hog a core
            X = X[np.random.default_rng(seed).choice(len(X), ELBOW_SAMPLE, replace=False)]
        self.elbow_title = "Elbow: final inertia vs k" + (
            f" ({ELBOW_SAMPLE:,}-point sample)" if len(X) < len(self.X) else "")
        self.elbow_curve.setData([], [])
        self.set_title(self.elbow_plot, "Elbow: computing…")
        self.background.submit("elbow", lambda: kmeans.elbow(X, ELBOW_KS,
                                                              np.random.default_rng(seed)),
                               self._show_elbow)

    def _show_elbow(self, result):
        if isinstance(result, Exception):
            self.set_title(self.elbow_plot, "Elbow: not available")
            return
        ks = np.array(list(ELBOW_KS))
        ok = np.isfinite(result)
        self.elbow_curve.setData(ks[ok], result[ok])
        self.set_title(self.elbow_plot, self.elbow_title)

    # --- running ------------------------------------------------------------------------
    def steps(self):
        centres = np.array(self.manual) if self.manual else None
        return kmeans.run(self.X, self.params, self.rng(), init_centers=centres)

    def set_params(self, params, live=False):
        if params.k < len(self.manual):
            self.manual = self.manual[: params.k]
            self._sync_targets()
        super().set_params(params, live)

    @property
    def source(self) -> str:
        added = f", {self.added} added by hand" if self.added else ""
        return f"{len(self.X):,} points ({self.origin}{added})"

    def intro(self):
        if self.params.init == "manual":
            return (f"{self.source}. Click to place {self.params.k} starting centres "
                    f"({len(self.manual)} placed), then press Step.")
        return f"{self.source}. Press Step (→) to choose {self.params.k} starting centres."

    def draw(self, step):
        self.elbow_now.setValue(self.params.k)
        if step is None:
            self.cloud.show_labels(None)
            self.rings.setData([], [])
            self.centres.setData([], [])
            self._draw_regions(None)
            self.curve.setData([], [])
            self._set_trails(None)
            self.counter.setText("not started")
            return
        self.cloud.show_labels(step.labels, step.changed)
        changed = self.X[step.changed] if step.changed.any() else np.zeros((0, 2))
        if not self.cloud.rasterised:
            self.rings.setData(pos=changed, size=STYLE.marker_size + 8,
                               pen=pg.mkPen(INK, width=2))
        k = len(step.centers)
        self.centres.setData(pos=step.centers[:, :2], size=STYLE.marker_size * 2.6,
                             brush=[pg.mkBrush(colour(j)) for j in range(k)],
                             pen=pg.mkPen(INK, width=2))
        self._set_trails(step.trail)
        self._draw_regions(step.centers if step.phase != "init" or k == self.params.k
                           else None)
        self.curve.setData(np.arange(1, len(step.inertias) + 1), step.inertias)
        self._frame_curve(step.inertias)
        text = {"init": f"seeding {k} of {self.params.k}",
                "assign": f"iteration {step.iteration} · assign",
                "update": f"iteration {step.iteration} · update",
                "converged": f"converged ✓ ({step.iteration} iter.)"}[step.phase]
        self.counter.setText(text)

    def _frame_curve(self, inertias):
        """Fixed ranges for the inertia plot: x doubles when the run outgrows it."""
        if not len(inertias):
            return
        width = 10
        while width < len(inertias):
            width *= 2
        span = (width, float(inertias[0]))
        if span != self.curve_span:
            self.curve_span = span
            self.curve_plot.setXRange(0.5, width + 0.5, padding=0)
            self.curve_plot.setYRange(0, inertias[0] * 1.05, padding=0)  # it only falls

    def _set_trails(self, trail):
        k = 0 if trail is None else trail.shape[1]
        while len(self.trails) < k:
            item = pg.PlotCurveItem()
            item.setZValue(6)
            self.main.addItem(item)
            self.trails.append(item)
        for j, item in enumerate(self.trails):
            if j < k and len(trail) > 1:
                item.setData(trail[:, j, 0], trail[:, j, 1])
                item.setPen(pg.mkPen(INK, width=STYLE.line_width, style=QtCore.Qt.DashLine))
                item.show()
            else:
                item.hide()

    def _draw_regions(self, centers):
        """Shade each cell of a grid over the view by its nearest centre (a Voronoi diagram)."""
        self.region_centres = centers
        if centers is None or self.X.shape[1] != 2:
            self.regions.clear()
            self._region_key = None
            return
        (x0, x1), (y0, y1) = self.main.vb.viewRange()
        key = (centers.tobytes(), x0, x1, y0, y1)
        if key == self._region_key:
            return
        self._region_key = key
        span = np.array([x1 - x0, y1 - y0])
        nx, ny = np.maximum(2, np.round(REGION_GRID * span / span.max())).astype(int)
        gx = x0 + (np.arange(nx) + 0.5) * span[0] / nx
        gy = y0 + (np.arange(ny) + 0.5) * span[1] / ny
        grid = np.stack(np.meshgrid(gx, gy, indexing="ij"), -1).reshape(-1, 2)
        nearest, _ = kmeans.assign(grid, centers)
        rgba = self.cloud.tints[nearest % len(self.cloud.tints)].reshape(nx, ny, 4)
        self.regions.setImage(rgba, levels=None, autoLevels=False)
        self.regions.setRect(QtCore.QRectF(x0, y0, span[0], span[1]))

    # --- clicks -------------------------------------------------------------------------
    def on_click(self, x, y, button):
        if self.params.init == "manual":
            if button == QtCore.Qt.RightButton and self.manual:
                gaps = [np.hypot(*(c - (x, y))) for c in self.manual]
                self.manual.pop(int(np.argmin(gaps)))
            elif button == QtCore.Qt.LeftButton and len(self.manual) < self.params.k:
                self.manual.append(np.array([x, y]))
            else:
                return
            self._sync_targets()
            self.restart.emit()
            return
        if button != QtCore.Qt.LeftButton or self.X.shape[1] != 2:
            return
        truth = None if self.truth is None else np.append(self.truth, -1)
        X = np.vstack([self.X, [x, y]])
        self.X, self.truth = X, truth
        self.cloud.set_points(X, truth, self.truth_names)
        self._start_elbow()
        self.added += 1
        self.message.emit("info", f"Added a point at ({x:.2f}, {y:.2f}); the run starts again "
                                  f"with {len(X):,} points.")
        self.restart.emit()

    def _sync_targets(self):
        """One draggable target per hand-placed centre."""
        for target in self.targets:
            self.main.removeItem(target)
        self.targets = []
        for j, c in enumerate(self.manual):
            target = pg.TargetItem(pos=tuple(c), size=STYLE.marker_size * 3, symbol="crosshair",
                                   pen=pg.mkPen(colour(j), width=3), label=f"{j + 1}",
                                   labelOpts={"color": INK, "offset": (12, 12)})
            target.setZValue(20)
            target.sigPositionChangeFinished.connect(lambda t, j=j: self._moved(j, t))
            self.main.addItem(target)
            self.targets.append(target)

    def _moved(self, j, target):
        p = target.pos()
        self.manual[j] = np.array([p.x(), p.y()])
        self.restart.emit()
