"""PCA step by step: the cloud and its mean, centred, a line turning while the variance of
the projections is plotted against its angle, the components, the projection and the
reconstruction from k components. A table of more columns: the covariance matrix, the
scree plot with the cumulative share, PC1/PC2 coloured by label with the loadings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import pca
from algorithms.base import num, param, plural
from visualizer.panels.base import AlgorithmPanel
from visualizer.panels.overlays import Legend, StatusBox
from visualizer.panels.scene import Scene2D
from visualizer.sources import TABLE, Generated, TableChoice
from visualizer.style import INK, STYLE, colour

DATASETS = ("2-D cloud", "4-D, three groups (iris-like)")
ERROR_LINES = 400        # reconstruction error segments drawn at most
MAX_ARROWS = 12
CELLS = 6                # covariance matrices up to this size have their numbers written
DASH = QtCore.Qt.DashLine


@dataclass(frozen=True)
class Data:
    dataset: str = param(DATASETS[0], values=DATASETS,
                         tip="File ▸ Open data… loads a CSV: every numeric column is used")
    points: int = param(300, limits=(3, 200_000), step=100, label="points")
    tilt: float = param(30.0, limits=(-90.0, 90.0), step=5.0, label="2-D tilt (°)",
                        tip="the angle of the cloud's long axis",
                        when=("dataset", (DATASETS[0],)))


@dataclass(frozen=True)
class Table:
    X: np.ndarray
    columns: tuple[str, ...]
    labels: np.ndarray | None        # integer codes, or None
    names: list[str] | None
    origin: str


def generate(d: Data, rng: np.random.Generator) -> Table:
    n = d.points
    if d.dataset == DATASETS[0]:
        t = math.radians(d.tilt)
        rot = np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]])
        X = (rng.standard_normal((n, 2)) * [2.0, 0.6]) @ rot + [3.0, 2.0]
        return Table(X, ("x₁", "x₂"), None, None, "generated 2-D cloud")
    centres = np.array([[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]])
    spread = np.array([0.35, 0.35, 0.3, 0.15])
    labels = rng.integers(0, 3, n)
    X = centres[labels] + rng.standard_normal((n, 4)) * spread
    return Table(X, ("sepal length", "sepal width", "petal length", "petal width"), labels,
                 ["setosa", "versicolor", "virginica"], "generated iris-like table")


def from_csv(source: TableChoice) -> Table:
    table = source.table
    # Only a column of words labels the points: a whole-number column stays a variable.
    words = [c for c in table.text_columns if c not in table.numeric_columns]
    label = words[0] if words else None
    cols = [c for c in table.numeric_columns if c != label]
    X = table.frame[cols].to_numpy(float)
    pca.check_data(X)
    codes, names = None, None
    if label is not None:
        values = table.frame[label].astype(str).to_numpy()
        names = sorted(set(values))
        codes = np.searchsorted(np.array(names), values)
    return Table(X, tuple(cols), codes, names, source.name)


class PCAPanel(AlgorithmPanel):
    id, title, topic = "pca", "PCA, step by step", "Unsupervised learning"
    Params, Data = pca.Params, Data
    accepts = (TABLE,)

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.data: Table | None = None
        self._points_key = None

    # --- building -----------------------------------------------------------------------
    def setup(self, canvas):
        self.main = canvas.addPlot(row=0, col=0, rowspan=3, title="The points")
        self.main.setAspectLocked(True)
        self.main.setMouseEnabled(x=False, y=False)
        self.scene = Scene2D(self.main, self.background, self.failed.emit)
        self.errors_lines = pg.PlotCurveItem(connect="pairs")
        self.turning = pg.PlotCurveItem()
        self.arrows = pg.PlotCurveItem(connect="pairs")
        self.mean_mark = pg.ScatterPlotItem(symbol="star")
        for z, item in enumerate((self.errors_lines, self.turning, self.arrows,
                                  self.mean_mark)):
            item.setZValue(8 + z)
            self.main.addItem(item)
        self.arrow_labels = []
        for _ in range(MAX_ARROWS):
            label = pg.TextItem(color=INK, anchor=(0.5, 0.5))
            label.setZValue(12)
            self.main.addItem(label)
            self.arrow_labels.append(label)
        self.status = StatusBox(self.main, "top-left", bold=False)
        self.legend = Legend(self.main.addLegend(offset=(-8, -8)),
                             width=lambda: self.main.vb.width() * 0.7)
        self.side = canvas.addPlot(row=0, col=1, title="Variance vs angle")
        self.sweep = self.side.plot()
        self.sweep_dot = pg.ScatterPlotItem()
        self.side.addItem(self.sweep_dot)
        self.cov_image = pg.ImageItem()
        self.side.addItem(self.cov_image)
        self.cells = []                      # the covariances written in their cells
        for _ in range(CELLS ** 2):
            cell = pg.TextItem(color=INK, anchor=(0.5, 0.5))
            cell.setZValue(5)
            self.side.addItem(cell)
            self.cells.append(cell)
        self.scree_plot = canvas.addPlot(row=1, col=1, title="Scree: variance share")
        self.scree_plot.setLabel("bottom", "component")
        self.scree_bars = pg.BarGraphItem(x=[], height=[], width=0.6)
        self.scree_plot.addItem(self.scree_bars)
        self.cumulative = self.scree_plot.plot()
        self.scree_plot.setRange(yRange=(0, 1.05), padding=0)
        self.error_plot = canvas.addPlot(row=2, col=1, title="Rebuild error vs k")
        self.error_plot.setLabel("bottom", "components kept k")
        self.error_curve = self.error_plot.plot(symbol="o")
        self.error_now = pg.InfiniteLine(angle=90)
        self.error_plot.addItem(self.error_now)
        for plot in (self.side, self.scree_plot, self.error_plot):
            plot.setMouseEnabled(x=False, y=False)
            plot.vb.disableAutoRange()
            plot.showGrid(x=True, y=True, alpha=0.15)
        layout = canvas.ci.layout
        layout.setColumnStretchFactor(0, 3)
        layout.setColumnStretchFactor(1, 2)

    def restyle(self):
        super().restyle()
        lw, size = STYLE.line_width, STYLE.marker_size
        self.scene.restyle()
        self.errors_lines.setPen(pg.mkPen(colour(5), width=max(1.0, lw * 0.7)))
        self.turning.setPen(pg.mkPen(INK, width=lw * 1.5, style=DASH))
        self.arrows.setPen(pg.mkPen(colour(5), width=lw * 2.5))
        self.mean_mark.setSize(size * 3)
        self.mean_mark.setBrush(pg.mkBrush("#ffffff"))
        self.mean_mark.setPen(pg.mkPen(INK, width=2))
        for label in self.arrow_labels + self.cells:
            label.setFont(STYLE.font(STYLE.tick_px))
        self.sweep.setPen(pg.mkPen(INK, width=lw))
        self.sweep_dot.setSize(size * 1.6)
        self.sweep_dot.setBrush(pg.mkBrush(colour(5)))
        self.scree_bars.setOpts(brush=pg.mkBrush(colour(0)), pen=pg.mkPen(INK))
        self.cumulative.setPen(pg.mkPen(colour(1), width=lw * 1.5))
        self.cumulative.setSymbol("o")
        self.cumulative.setSymbolBrush(colour(1))
        self.error_curve.setPen(pg.mkPen(INK, width=lw))
        self.error_now.setPen(pg.mkPen(INK, style=DASH))
        self.status.restyle(STYLE.tick_px)
        self.cov_image.setColorMap(pg.colormap.get("CET-D1"))
        if self.data is not None:
            self.legend.fill(self.scene.cloud.legend_items(), key=id(self.data))

    # --- data ---------------------------------------------------------------------------
    def prepare(self, source):
        if isinstance(source, Generated):
            return generate(source.params, self.rng()), ""
        if isinstance(source, TableChoice):
            data = from_csv(source)
            pca.prepare(data.X, self.params.standardize, data.columns)  # constant, NaN…
            return data, (source.table.message + f" PCA on {len(data.columns)} numeric "
                          "columns" + (", coloured by the first text column." if
                                       data.labels is not None else "."))
        return super().prepare(source)

    def adopt(self, data):
        self.data = data
        self._points_key = None
        d = data.X.shape[1]
        self.scene.label_axes(*(data.columns[:2]))
        self.set_title(self.side, "Variance vs angle" if d == 2
                       else "Covariance matrix C")
        self.side.setLabel("bottom", "angle of the line (°)" if d == 2 else "column")
        self.scree_plot.setRange(xRange=(0.4, d + 0.6), padding=0)
        every = max(1, d // 10)
        self.scree_plot.getAxis("bottom").setTicks([[(i, str(i)) for i in
                                                     range(1, d + 1, every)]])
        self.error_plot.getAxis("bottom").setTicks([[(i, str(i)) for i in range(0, d + 1, every)]])
        self.error_plot.setRange(xRange=(-0.2, d + 0.2), padding=0)
        Z = data.X - data.X.mean(0)
        if d == 2:
            r = float(np.sqrt((Z ** 2).sum(1)).max())
            lo = np.minimum(data.X.min(0), -r)
            hi = np.maximum(data.X.max(0), r)
            self.box = (lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo))
            top = float(np.linalg.eigvalsh(np.cov(Z.T)).max()) * 1.1
            self.side.setRange(xRange=(0, 180), yRange=(0, top), padding=0)
            self.side.getAxis("bottom").setTicks(None)
            self.side.getAxis("left").setTicks(None)
        else:
            self.box = None
            self.side.setRange(xRange=(0, d), yRange=(0, d), padding=0)
            short = [c if len(c) <= 8 else c[:7] + "…" for c in data.columns]
            every = max(1, d // 8)
            self.side.getAxis("bottom").setTicks(
                [[(i + 0.5, short[i]) for i in range(0, d, every)]])
            self.side.getAxis("left").setTicks(
                [[(d - i - 0.5, short[i]) for i in range(0, d, every)]])
        self._set_points(data.X[:, :2], "raw")
        self.legend.fill(self.scene.cloud.legend_items(), key=id(data))

    def _set_points(self, X, key):
        if key == self._points_key:
            return
        self._points_key = key
        self.scene.set_points(X, self.data.labels, self.data.names)
        cols = self.data.columns
        if key == "scores":
            self.scene.label_axes("PC1 score", "PC2 score")
        elif key == "centred" or isinstance(key, tuple):   # centred, or rebuilt in it
            self.scene.label_axes(f"{cols[0]} − mean", f"{cols[1]} − mean")
        elif key == "raw":
            self.scene.label_axes(*cols[:2])
        if self.box is not None:
            self.scene.framed = self.box
            self.scene._refit()
        else:
            self.scene.fit()

    # --- running ------------------------------------------------------------------------
    def steps(self):
        self._set_points(self.data.X[:, :2], "raw")
        return pca.run(self.data.X, self.params, columns=self.data.columns)

    def intro(self):
        n, d = self.data.X.shape
        return (f"{plural(n, 'point')} in {plural(d, 'column')} ({self.data.origin}). Press "
                "Step (→): centre, then find the directions of largest spread.")

    def draw(self, step):
        d = self.data.X.shape[1]
        labels = self.data.labels
        if step is None or step.centred is None:
            self._set_points(self.data.X[:, :2], "raw")
            self.mean_mark.setData(pos=[self.data.X.mean(0)[:2]])
        elif step.phase in ("project",) or (d > 2 and step.scores is not None):
            self._set_points(step.scores, "scores")
            self.mean_mark.setData(pos=[(0.0, 0.0)])
        elif step.reconstruction is not None:
            self._set_points(step.reconstruction, ("rebuilt", step.k))
            self.mean_mark.setData(pos=[(0.0, 0.0)])
        else:
            self._set_points(step.centred[:, :2], "centred")
            self.mean_mark.setData(pos=[(0.0, 0.0)])
        self.scene.show(labels)
        self._lines(step, d)
        self._side(step, d)
        self._scree(step)
        self.status.set_html(self._words(step, d))

    def _words(self, step, d) -> str:
        if step is None:
            return "the data as given · ☆ the mean"
        v = num(step.sweep_variances[-1], 3) if len(step.sweep_variances) else ""
        words = {"data": "the data as given · ☆ the mean",
                 "centre": "centred: the mean moved to 0",
                 "rotate": f"line at {num(step.angle, 3)}° · variance of the projections {v}",
                 "first": "PC1: the line of largest variance", "second": "PC2: at right angles",
                 "covariance": "the covariance matrix C (right)",
                 "decompose": "components found: the scree plot (right)",
                 "project": "the points on PC1 (across) and PC2 (up)"
                            + (" · arrows: loadings" if d > 2 else ""),
                 "reconstruct": f"rebuilt from k = {step.k}"
                                + (" · segments: the errors" if d == 2 else "")}
        text = words.get(step.phase, step.phase)
        if len(step.ratio):
            text += f"<br>PC1 explains {num(100 * step.ratio[0], 3)}% of the variance"
        return text

    def _lines(self, step, d):
        """The turning line, the component arrows (or loadings), the error segments."""
        hide = np.zeros(0)
        for label in self.arrow_labels:
            label.hide()
        if step is None or step.centred is None:
            for item in (self.turning, self.arrows, self.errors_lines):
                item.setData(hide, hide)
            return
        far = float(np.abs(self.scene.X).max()) * 3
        if d == 2 and step.direction is not None and step.phase == "rotate":
            u = step.direction
            self.turning.setData([-far * u[0], far * u[0]], [-far * u[1], far * u[1]])
        else:
            self.turning.setData(hide, hide)
        if d == 2 and len(step.components) and step.scores is None:
            ends = step.components * (2 * np.sqrt(step.variance))[:, None]
            seg = np.zeros((2 * len(ends), 2))
            seg[1::2] = ends
            self.arrows.setData(seg[:, 0], seg[:, 1])
            for j, (label, end) in enumerate(zip(self.arrow_labels, ends, strict=False)):
                label.setText(f"PC{j + 1}")
                label.setPos(*(end * 1.12))
                label.show()
        elif d > 2 and step.loadings is not None:
            scale = float(np.abs(step.scores).max() / max(np.abs(step.loadings).max(), 1e-12))
            ends = step.loadings[:MAX_ARROWS] * 0.8 * scale
            seg = np.zeros((2 * len(ends), 2))
            seg[1::2] = ends
            self.arrows.setData(seg[:, 0], seg[:, 1])
            for label, end, name in zip(self.arrow_labels, ends, self.data.columns,
                                        strict=False):
                label.setText(name)
                label.setPos(*(end * 1.1))
                label.show()
        else:
            self.arrows.setData(hide, hide)
        if d == 2 and step.reconstruction is not None and step.phase == "reconstruct":
            every = max(1, len(step.centred) // ERROR_LINES)
            a, b = step.centred[::every], step.reconstruction[::every]
            seg = np.empty((2 * len(a), 2))
            seg[0::2], seg[1::2] = a, b
            self.errors_lines.setData(seg[:, 0], seg[:, 1])
        else:
            self.errors_lines.setData(hide, hide)

    def _side(self, step, d):
        if d == 2:
            if step is None or not len(step.sweep_angles):
                self.sweep.setData([], [])
                self.sweep_dot.setData([], [])
                return
            self.sweep.setData(step.sweep_angles, step.sweep_variances)
            self.sweep_dot.setData([step.sweep_angles[-1]], [step.sweep_variances[-1]])
            return
        for cell in self.cells:
            cell.hide()
        if step is None or step.covariance is None:
            self.cov_image.clear()
            return
        cov = step.covariance
        if d <= CELLS:
            for i in range(d):
                for j in range(d):
                    cell = self.cells[i * d + j]
                    cell.setText(num(cov[i, j], 2))
                    cell.setPos(j + 0.5, d - i - 0.5)
                    cell.show()
        top = float(np.abs(cov).max()) or 1.0
        self.cov_image.setImage(cov.T[:, ::-1], levels=(-top, top),
                                rect=QtCore.QRectF(0, 0, d, d))

    def _scree(self, step):
        if step is None or not len(step.ratio):
            self.scree_bars.setOpts(x=[], height=[])
            self.cumulative.setData([], [])
            self.error_curve.setData([], [])
            return
        x = np.arange(1, len(step.ratio) + 1)
        self.scree_bars.setOpts(x=x, height=step.ratio, width=0.6)
        self.cumulative.setData(x, step.cumulative)
        if len(step.errors):
            self.error_curve.setData(np.arange(len(step.errors)), step.errors)
            self.error_plot.setRange(yRange=(0, float(step.errors[0]) * 1.08 or 1.0),
                                     padding=0)
        self.error_now.setValue(step.k)
