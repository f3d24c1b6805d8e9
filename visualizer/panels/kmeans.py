"""k-means: points coloured by cluster, Voronoi regions, centres with their trails."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import datasets, kmeans
from algorithms.base import param, plural
from visualizer.panels.base import AlgorithmPanel
from visualizer.panels.overlays import Legend, StatusBox, line_sample, marker_sample
from visualizer.panels.ranges import FixedRanges
from visualizer.panels.scene import DisplayFrame, Scene2D, display_frame, shown
from visualizer.sources import TABLE, Generated, TableChoice, select_columns
from visualizer.style import INK, STYLE, colour

ELBOW_KS = range(1, 11)
ELBOW_SAMPLE = 20_000   # the elbow curve is computed on at most this many points


@dataclass(frozen=True)
class Data:
    dataset: str = param("blobs", values=tuple(datasets.GENERATORS),
                         tip="a generated data set; File ▸ Open data… loads a CSV instead")
    points: int = param(300, limits=(10, 200_000), step=100, tip="number of points")
    groups: int = param(4, limits=(1, 10), tip="how many groups the generator makes")
    noise: float = param(0.12, limits=(0.0, 2.0), step=0.02, tip="spread of each group")


@dataclass(frozen=True)
class Points:
    """The panel's data, ready to draw: X already in the display frame."""

    X: np.ndarray
    truth: np.ndarray | None
    names: list[str] | None
    origin: str                      # where the points came from, for the captions
    axes: tuple[str, str]
    frame: DisplayFrame


def check_points(X, truth, names, origin, axes) -> tuple[Points, str]:
    """Points the panel can draw and cluster, or a ValueError saying why not."""
    X = np.asarray(X, float)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"{origin}: k-means here needs points with two coordinates")
    if not np.isfinite(X).all():
        raise ValueError(f"{origin}: the points contain NaN or infinite values")
    frame = display_frame(X)
    return Points(shown(X, frame), truth, names, origin, axes, frame), frame.note()


class KMeansPanel(AlgorithmPanel):
    id, title, topic = "kmeans", "k-means clustering", "Unsupervised learning"
    Params, Data = kmeans.Params, Data
    accepts = (TABLE,)

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.data: Points | None = None
        self.added = 0             # points added by clicking
        self.manual: list[np.ndarray] = []
        self.targets: list[pg.TargetItem] = []
        self.trails: list[pg.PlotCurveItem] = []

    # --- building -----------------------------------------------------------------------
    def setup(self, canvas):
        self.main = canvas.addPlot(row=0, col=0, rowspan=2, title="Clusters")
        self.main.setAspectLocked(True)
        self.click_plot = self.main
        self.scene = Scene2D(self.main, self.background, self.failed.emit)
        self.centres = pg.ScatterPlotItem(symbol="star", pxMode=True)
        self.centres.setZValue(10)
        self.main.addItem(self.centres)
        self.status = StatusBox(self.main, "top-left")
        self.legend = Legend(self.main.addLegend(offset=(-10, -10)),  # bottom right
                             width=lambda: self.main.vb.width() * 0.7)

        self.curve_plot = canvas.addPlot(row=0, col=1, title="Inertia per step")
        self.curve_plot.setLabel("bottom", "assign / update step")
        self.curve = self.curve_plot.plot(symbol="o")
        self.curve_range = FixedRanges(self.curve_plot)
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
        self.elbow_curve.setPen(pen)
        self.status.restyle()
        self.scene.restyle()
        self._legend_entries()

    def _legend_entries(self):
        size = STYLE.marker_size
        entries = [
            (marker_sample("star", "#ffffff", width=2, size=size * 2.2), "centre"),
            (marker_sample("o", None, width=2, size=size + 8), "changed cluster"),
            (line_sample(style=QtCore.Qt.DashLine), "centre's path"),
            *self.scene.cloud.legend_items(),
        ]
        self.legend.fill(entries, key=id(self.data))

    # --- data ---------------------------------------------------------------------------
    def prepare(self, source):
        if isinstance(source, Generated):
            d = source.params
            X, _ = datasets.make(d.dataset, d.points, d.groups, d.noise, seed=self.seed)
            return check_points(X, None, None, f"generated '{d.dataset}'", ("x", "y"))
        if isinstance(source, TableChoice):
            x, y, label = source.columns()
            X, truth, names = select_columns(source.table, x, y, label)
            data, note = check_points(X, truth, names, source.name, (x, y))
            return data, " ".join(filter(None, (source.table.message, note)))
        return super().prepare(source)

    def adopt(self, data: Points):
        self.data, self.added = data, 0
        self.manual.clear()
        self._sync_targets()
        self.scene.set_points(data.X, data.truth, data.names, data.frame)
        self.scene.label_axes(*data.axes)
        self._legend_entries()
        self.scene.fit()
        self._start_elbow()

    @property
    def X(self) -> np.ndarray:
        return self.data.X

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
    def described(self) -> str:
        added = f", {self.added} added by hand" if self.added else ""
        return f"{plural(len(self.X), 'point')} ({self.data.origin}{added})"

    def intro(self):
        if self.params.init == "manual":
            return (f"{self.described}. Click to place {self.params.k} starting centres "
                    f"({len(self.manual)} placed), then press Step.")
        return f"{self.described}. Press Step (→) to choose {self.params.k} starting centres."

    def draw(self, step):
        self.elbow_now.setValue(self.params.k)
        if step is None:
            self.scene.show(None)
            self.scene.shade(None)
            self.centres.setData([], [])
            self.curve.setData([], [])
            self.curve_range.forget()
            self._set_trails(None)
            self.status.set_text("not started")
            return
        self.scene.show(step.labels, changed=step.changed)
        k = len(step.centers)
        self.centres.setData(pos=step.centers[:, :2], size=STYLE.marker_size * 2.6,
                             brush=[pg.mkBrush(colour(j)) for j in range(k)],
                             pen=pg.mkPen(INK, width=2))
        self._set_trails(step.trail)
        if step.phase != "init" or k == self.params.k:
            centers = step.centers
            self.scene.shade(lambda grid: (kmeans.assign(grid, centers)[0], None),
                             key=centers.tobytes())
        else:
            self.scene.shade(None)
        self.curve.setData(np.arange(1, len(step.inertias) + 1), step.inertias)
        if len(step.inertias):
            self.curve_range.fit(len(step.inertias) + 1, 0.0, float(step.inertias[0]))
        self.status.set_text({
            "init": f"seeding {k} of {self.params.k}",
            "assign": f"iteration {step.iteration} · assign",
            "update": f"iteration {step.iteration} · update",
            "converged": f"converged ✓ in iteration {step.iteration}"}[step.phase])

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

    # --- clicks, by hand and undoable -------------------------------------------------
    def on_click(self, x, y, button):
        point = np.array([x, y])
        if self.params.init == "manual":
            if button == QtCore.Qt.RightButton and self.manual:
                j = int(np.argmin([np.hypot(*(c - point)) for c in self.manual]))
                removed = self.manual[j]
                self.edit(f"remove centre {j + 1}", lambda: self._set_centres(
                    self.manual[:j] + self.manual[j + 1:]), lambda: self._set_centres(
                    self.manual[:j] + [removed] + self.manual[j:]))
            elif button == QtCore.Qt.LeftButton and len(self.manual) < self.params.k:
                self.edit(f"place centre {len(self.manual) + 1}",
                          lambda: self._set_centres([*self.manual, point]),
                          lambda: self._set_centres(self.manual[:-1]))
            return
        if button == QtCore.Qt.LeftButton:
            self.edit(f"add a point at ({x:.2f}, {y:.2f})", lambda: self._add_point(point),
                      self._remove_last_point)

    def _add_point(self, point):
        d = self.data
        truth = None if d.truth is None else np.append(d.truth, -1)
        self.data = Points(np.vstack([d.X, point]), truth, d.names, d.origin, d.axes, d.frame)
        self.added += 1
        self._points_changed()
        self.message.emit("info", f"Added a point at ({point[0]:.2f}, {point[1]:.2f}); the run "
                                  f"starts again with {plural(len(self.X), 'point')}.")

    def _remove_last_point(self):
        d = self.data
        truth = None if d.truth is None else d.truth[:-1]
        self.data = Points(d.X[:-1], truth, d.names, d.origin, d.axes, d.frame)
        self.added -= 1
        self._points_changed()

    def _points_changed(self):
        self.scene.set_points(self.data.X, self.data.truth, self.data.names)
        self._start_elbow()
        self.restart.emit()

    def _set_centres(self, centres):
        self.manual = [np.asarray(c, float) for c in centres]
        self._sync_targets()
        self.restart.emit()

    def hand_made(self):
        added = self.X[len(self.X) - self.added:] if self.added else np.zeros((0, 2))
        return {"added": added.tolist(), "centres": [c.tolist() for c in self.manual]}

    def restore_hand_made(self, state):
        for point in state.get("added", []):
            self._add_point(np.asarray(point, float))
        self._set_centres(state.get("centres", [])[: self.params.k])

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
        old, p = self.manual[j], target.pos()
        new = np.array([p.x(), p.y()])

        def place(where):
            centres = list(self.manual)
            centres[j] = where
            self._set_centres(centres)

        self.edit(f"move centre {j + 1}", lambda: place(new), lambda: place(old))
