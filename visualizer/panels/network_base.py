"""What the network panels share: labelled 2-D points, the decision regions, the diagram.

NetworkPanel trains algorithms.network on labelled points (a generated set or a CSV with a
label column) and draws each step three ways: the points over the network's decision
regions (shaded in the background), the network diagram (weights as line width and colour,
the layer a sub-step works on lit up with its numbers) and the loss curves. The training,
backpropagation and dropout panels are this panel with other defaults and captions.

A left click on the points adds one of the first class, a right click one of the second
(undoable); a click on a weight of the diagram makes the captions follow that weight; a click
on a hidden unit shades the region view by what that unit responds to (its output over the
plane), a second click on it brings the decision regions back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import datasets
from algorithms.base import num, param, plural
from algorithms.network import data as net_data
from algorithms.network import training
from algorithms.network.captions import wname
from visualizer.panels import network_diagram as nd
from visualizer.panels.base import AlgorithmPanel
from visualizer.panels.overlays import Legend, StatusBox, line_sample, marker_sample
from visualizer.panels.ranges import FixedRanges
from visualizer.panels.scene import DisplayFrame, Scene2D, display_frame, shown, smooth
from visualizer.sources import TABLE, Generated, TableChoice, select_columns
from visualizer.style import INK, STYLE, colour

GENERATORS = {**net_data.GENERATORS, **{k: v for k, v in datasets.GENERATORS.items()
                                         if k != "uniform"}}
TEST_COLOUR = 2        # palette entry of the test-loss curve
UNIT_CELLS = 96        # the unit map's grid (cells along the longer side), then smoothed
REGION_CHUNK = 12_288  # grid rows per pass: the layers' arrays stay in cache (~40 % faster)
UNIT_TINT = 0.6        # the strongest tint of the unit map: the points stay readable on it


def percent(fraction: float) -> str:
    """An accuracy in % with one decimal, never rounded up to '100 %' short of 1."""
    if fraction >= 1:
        return "100 %"
    return f"{min(fraction * 100, 99.9):.1f} %".replace(".0 %", " %")


@dataclass(frozen=True)
class Data:
    dataset: str = param("xor", values=tuple(GENERATORS),
                         tip="a generated data set; File ▸ Open data… loads a CSV with a "
                             "label column instead")
    points: int = param(300, limits=(4, 100_000), step=100, tip="number of points")
    groups: int = param(2, limits=(2, 8), tip="how many classes the generator makes")
    noise: float = param(0.05, limits=(0.0, 2.0), step=0.02, tip="spread of the points")


@dataclass(frozen=True)
class Labelled:
    """The panel's data: X in the display frame, labels 0 … k − 1, class names."""

    X: np.ndarray
    labels: np.ndarray
    names: list[str]
    origin: str
    axes: tuple[str, str]
    frame: DisplayFrame


def check_labelled(X, truth, names, origin, axes) -> tuple[Labelled, str]:
    """Points the network can learn from, or a ValueError saying why not."""
    X = np.asarray(X, float)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"{origin}: the network panels need points with two coordinates")
    if truth is None:
        raise ValueError(f"{origin}: the network needs a label column to learn from")
    if not np.isfinite(X).all():
        raise ValueError(f"{origin}: the points contain NaN or infinite values")
    classes, labels = np.unique(np.asarray(truth), return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"{origin}: the network needs at least 2 classes; the data has one")
    if len(X) < 4:
        raise ValueError(f"{origin}: {plural(len(X), 'point')} are too few to train on")
    if names is None:
        names = [f"class {c}" for c in classes]
    else:
        names = [str(names[c]) if 0 <= c < len(names) else f"class {c}" for c in classes]
    frame = display_frame(X)
    return Labelled(shown(X, frame), labels, names, origin, axes, frame), frame.note()


class NetworkPanel(AlgorithmPanel):
    """Base of the network panels; subclasses set id, title, Params and `numbers`."""

    topic = "Neural networks"
    Params, Data = training.Params, Data
    accepts = (TABLE,)
    numbers = False          # write a, δ on the units (small networks)
    region_title = "Decision regions"
    diagram_first = False    # the diagram in the large left column, the regions beside it
    click_restarts = True    # a click on a weight restarts the run following it (else: the
                             # picture and the readout follow it from the step shown)

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.data: Labelled | None = None
        self.added = 0
        self.watch: tuple[int, int, int] | None = None
        self.runs = 0                     # names the run in the shading key
        self.unit: tuple[int, int] | None = None   # (layer, k): the hidden unit mapped
        self._points_drawn = None         # the data whose points are coloured on screen
        self.shown_step = None

    # --- building -----------------------------------------------------------------------
    def setup(self, canvas):
        regions_at, diagram_at = (1, 0) if self.diagram_first else (0, 1)
        self.main = canvas.addPlot(row=0, col=regions_at, rowspan=1 if self.diagram_first else 2,
                                   title=self.region_title)
        self.main.setAspectLocked(True)
        self.click_plot = self.main
        self.scene = Scene2D(self.main, self.background, self.failed.emit)
        self.unit_image = pg.ImageItem()
        self.unit_image.setZValue(-9)            # over the regions (-10), under the points
        self.main.addItem(self.unit_image)
        self.main.vb.sigRangeChanged.connect(self._unit_view_moved)
        self.status = StatusBox(self.main, "top-left")
        self.legend = Legend(self.main.addLegend(offset=(-10, -10)),
                             width=lambda: self.main.vb.width() * 0.7)
        self.net_plot = canvas.addPlot(row=0, col=diagram_at, title="Network",
                                       rowspan=2 if self.diagram_first else 1)
        self.diagram = nd.NetworkDiagram(self.net_plot)
        self.readout = StatusBox(self.net_plot, "top-left", bold=False)
        self.loss_plot = canvas.addPlot(row=1, col=1, title="Loss per update")
        self.loss_plot.setLabel("bottom", "updates")
        self.train_curve = self.loss_plot.plot()
        self.test_curve = self.loss_plot.plot()
        self.loss_range = FixedRanges(self.loss_plot)
        self.loss_legend = Legend(self.loss_plot.addLegend(offset=(-10, 10)))
        layout = canvas.ci.layout
        layout.setColumnStretchFactor(0, 5)
        layout.setColumnStretchFactor(1, 3 if self.diagram_first else 4)
        layout.setRowStretchFactor(0, 3)
        layout.setRowStretchFactor(1, 2)
        canvas.scene().sigMouseClicked.connect(self._diagram_click)

    def restyle(self):
        super().restyle()
        self.train_curve.setPen(pg.mkPen(INK, width=STYLE.line_width))
        self.test_curve.setPen(pg.mkPen(colour(TEST_COLOUR), width=STYLE.line_width,
                                        style=QtCore.Qt.DashLine))
        self.status.restyle()
        self.readout.restyle()
        self.scene.restyle()
        self._points_drawn = None
        self.diagram.restyle()
        self._legend_entries()

    def _legend_entries(self):
        entries = [(marker_sample("o", None, width=2, size=STYLE.marker_size + 8),
                    "example traced")]
        if self.data is not None:
            entries += self.scene.cloud.legend_items()
        self.legend.fill(entries, key=(id(self.data), self.added))
        self.loss_legend.fill([(line_sample(INK), "train"),
                               (line_sample(colour(TEST_COLOUR), style=QtCore.Qt.DashLine),
                                "test")], key="loss")

    # --- data ---------------------------------------------------------------------------
    def prepare(self, source):
        if isinstance(source, Generated):
            d = source.params
            X, y = GENERATORS[d.dataset](d.points, d.groups, d.noise,
                                         np.random.default_rng(self.seed))
            return check_labelled(X, y, None, f"generated '{d.dataset}'", ("x", "y"))
        if isinstance(source, TableChoice):
            x, y, label = source.columns()
            X, truth, names = select_columns(source.table, x, y, label)
            data, note = check_labelled(X, truth, names, source.name, (x, y))
            return data, " ".join(filter(None, (source.table.message, note)))
        return super().prepare(source)

    def adopt(self, data: Labelled):
        self.data, self.added = data, 0
        self._points_shown()
        self.scene.label_axes(*data.axes)
        self.scene.fit()

    def _points_shown(self):
        d = self.data
        self.scene.set_points(d.X, d.labels, d.names, d.frame)
        self._legend_entries()

    # --- running ------------------------------------------------------------------------
    def sizes(self) -> tuple[int, ...]:
        try:
            hidden = training.parse_hidden(self.params.hidden)
        except ValueError:
            hidden = ()
        return (2, *hidden, max(2, len(self.data.names) if self.data else 2))

    def steps(self):
        self.runs += 1
        watch = self.watch if self.watch and self._fits(self.watch) else None
        return training.run(self.data.X, self.data.labels, self.params, self.rng(),
                            watch=watch)

    def _fits(self, w) -> bool:
        sizes = self.sizes()
        layer, i, j = w
        return 1 <= layer < len(sizes) and i < sizes[layer - 1] and j < sizes[layer]

    @property
    def described(self) -> str:
        added = f", {self.added} added by hand" if self.added else ""
        return (f"{plural(len(self.data.X), 'point')} in {len(self.data.names)} classes "
                f"({self.data.origin}{added})")

    def intro(self):
        return (f"{self.described}. Press Step (→) to start the network with random weights. "
                f"Click to add a point (left: {self.data.names[0]}, right: "
                f"{self.data.names[1]}); click a weight to follow it.")

    # --- drawing ------------------------------------------------------------------------
    def draw(self, step):
        self.shown_step = step
        if step is None:
            self._points_drawn = self.data
            self.scene.show(self.data.labels)
            self.scene.ring(None)
            self.scene.shade(None)
            self._unit_map(None)
            sizes = self.sizes()
            self.diagram.set_sizes(sizes, ("inputs", *(f"hidden {k}" for k in
                                                       range(1, len(sizes) - 1)), "outputs"))
            self.diagram.show(None)
            set_title(self.net_plot, "Network")
            self.train_curve.setData([], [])
            self.test_curve.setData([], [])
            self.loss_range.forget()
            self.status.set_text("not started")
            self._show_readout("")
            return
        if self._points_drawn is not self.data:    # the labels never change within a run
            self._points_drawn = self.data
            self.scene.show(self.data.labels)
        trace = step.trace
        self.scene.ring(None if trace is None else self.data.X[[trace.example]])
        model = step.model
        if self._unit_fits(step.spec):
            self.scene.shade(None)
            self._unit_map(step)
        else:
            self._unit_map(None)
            self.scene.shade(lambda grid: regions(model, grid), key=(self.runs, step.updates))
        self._draw_diagram(step)
        self._draw_losses(step)
        self.status.set_text(self.status_text(step))
        self._show_readout(self.readout_text(step))

    def unit_texts(self, step) -> list[str]:
        """The numbers written over the units (when `numbers` is set)."""
        return unit_texts(step)

    def readout_text(self, step) -> str:
        """Text for the box over the diagram ("" hides it); the backpropagation panel
        writes the followed weight's chain rule there."""
        return ""

    def _show_readout(self, text: str) -> None:
        self.readout.item.setVisible(bool(text))
        self.readout.set_text(text)

    # --- what one hidden unit responds to ------------------------------------------------
    def _unit_fits(self, spec) -> bool:
        return self.unit is not None and 1 <= self.unit[0] < spec.layers \
            and self.unit[1] < spec.sizes[self.unit[0]]

    def _unit_map(self, step) -> None:
        """Shade the region view by the chosen hidden unit's output a (in the background)."""
        if step is None:
            self.unit_image.hide()
            set_title(self.main, self.region_title)
            return
        layer, k = self.unit
        set_title(self.main, f"What unit {k + 1} of hidden layer {layer} responds to")
        (x0, x1), (y0, y1) = self.main.vb.viewRange()
        model = step.model
        span = np.array([x1 - x0, y1 - y0])
        nx, ny = np.maximum(2, np.round(UNIT_CELLS * span / span.max())).astype(int)

        def work():
            gx = x0 + (np.arange(nx) + 0.5) * span[0] / nx
            gy = y0 + (np.arange(ny) + 0.5) * span[1] / ny
            grid = np.stack(np.meshgrid(gx, gy, indexing="ij"), -1).reshape(-1, 2)
            a = model.regions(grid, np.float32)[1][layer - 1][:, k].astype(float)
            low, high = float(np.nanmin(a)), float(np.nanmax(a))
            key = (f"its output a: blue > 0, red < 0; here from {num(low, 2)} to "
                   f"{num(high, 2)}")
            return smooth(unit_image(a.reshape(nx, ny))), (x0, y0, x1 - x0, y1 - y0), key

        self.background.submit(("unit map", id(self)), work, self._unit_arrived)

    def _unit_view_moved(self, *_) -> None:
        """The view was fitted, resized or panned: map the unit over what is in view now."""
        step = self.shown_step
        if step is not None and self._unit_fits(step.spec):
            self._unit_map(step)

    def _unit_arrived(self, result) -> None:
        if isinstance(result, Exception):
            self.failed.emit(result)
            return
        if self.unit is None:
            return
        rgba, rect, key = result
        self.unit_image.setImage(rgba, autoLevels=False, levels=None, rect=QtCore.QRectF(*rect))
        self.unit_image.show()
        if self.shown_step is not None:
            self.status.set_text(f"{self.status_text(self.shown_step)}\n{key}")

    def pick_unit(self, unit: tuple[int, int] | None) -> None:
        """Map this hidden unit over the plane (None, or the same unit again: the regions)."""
        self.unit = None if unit == self.unit else unit
        self.redraw.emit()

    def _draw_diagram(self, step):
        spec = step.spec
        self.diagram.set_sizes(spec.sizes, nd.column_names(spec))
        net = self.diagram.net
        fills = np.full(len(net.units), nd.EMPTY)
        faint = np.zeros(len(net.seg_x) // 2, bool)
        texts = None
        trace, layer = step.trace, step.layer
        if step.phase in ("forward", "loss") and trace is not None:
            reached = spec.layers if step.phase == "loss" else layer
            for col in range(reached + 1):
                fills[net.column(col)] = nd.FWD if col == reached else nd.FWD_DONE
            for col in range(reached + 1, spec.layers + 1):
                faint[net.edges_into(col)] = True
        elif step.phase == "backward" and trace is not None:
            fills[:] = nd.FWD_DONE
            for col in range(layer, spec.layers + 1):
                fills[net.column(col)] = nd.BWD if col == layer else nd.BWD_DONE
        if self.numbers and trace is not None:
            texts = self.unit_texts(step)
        greyed, hidden = masks(step, net)
        mark = step.highlight if step.phase in ("forward", "backward") else None
        if self.watch and self._fits(self.watch) and (
                not self.click_restarts or (mark is None and step.phase != "init")):
            mark = self.watch
        label = wname(*mark) if mark else ""
        rings = None
        if self._unit_fits(spec):
            rings = np.zeros(len(net.units), bool)
            rings[net.unit(*self.unit)] = True
        set_title(self.net_plot, f"Network ({nd.activation_note(spec)})")
        self.diagram.show(step.weights, faint=faint, fills=fills, texts=texts, greyed=greyed,
                          hidden=hidden, mark=mark, mark_text=label, rings=rings)

    def _draw_losses(self, step):
        h = step.history
        x = h["update"]
        self.train_curve.setData(x, h["train loss"])
        test = h["test loss"]
        ok = np.isfinite(test)
        self.test_curve.setData(x[ok], test[ok])
        total = self.params.epochs * step.batches
        values = np.concatenate([h["train loss"], test[ok]])
        values = values[np.isfinite(values)]
        if len(values):
            self.loss_range.fit(total + 1, 0.0, float(values.max()))

    def status_text(self, step) -> str:
        acc = step.metrics.get("train accuracy", np.nan)
        score = f" · train accuracy {percent(acc)}" if np.isfinite(acc) else ""
        where = f"epoch {step.epoch} · update {step.updates}"
        phase = {"forward": f" · forward, layer {step.layer}",
                 "backward": f" · backward, layer {step.layer}",
                 "loss": " · loss", "diverged": " · diverged", "done": " · done ✓"}
        return where + phase.get(step.phase, "") + score

    # --- clicks -------------------------------------------------------------------------
    def on_click(self, x, y, button):
        label = {QtCore.Qt.LeftButton: 0, QtCore.Qt.RightButton: 1}.get(button)
        if label is None:
            return
        point = np.array([x, y])
        name = self.data.names[label]
        self.edit(f"add a {name} point at ({x:.2f}, {y:.2f})",
                  lambda: self._add_point(point, label), self._remove_last_point)

    def _add_point(self, point, label):
        d = self.data
        self.data = Labelled(np.vstack([d.X, point]), np.append(d.labels, label), d.names,
                             d.origin, d.axes, d.frame)
        self.added += 1
        self._points_shown()
        self.restart.emit()

    def _remove_last_point(self):
        d = self.data
        self.data = Labelled(d.X[:-1], d.labels[:-1], d.names, d.origin, d.axes, d.frame)
        self.added -= 1
        self._points_shown()
        self.restart.emit()

    def _diagram_click(self, event):
        vb = self.net_plot.vb
        if self.diagram.net is None or not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        p = vb.mapSceneToView(event.scenePos())
        hit = self.diagram.hit(p.x(), p.y())
        if hit is None:
            return
        if hit[0] == "unit":
            if 1 <= hit[1] < self.diagram.net.layers:
                self.pick_unit((hit[1], hit[2]))
            return
        new, old = tuple(hit[1:]), self.watch
        self.edit(f"follow weight {wname(*new)}", lambda: self._follow(new),
                  lambda: self._follow(old))

    def _follow(self, watch):
        self.watch = watch
        (self.restart if self.click_restarts else self.redraw).emit()

    def hand_made(self):
        n = self.added
        d = self.data
        return {"added": d.X[len(d.X) - n:].tolist() if n else [],
                "labels": d.labels[len(d.labels) - n:].tolist() if n else [],
                "watch": list(self.watch) if self.watch else None}

    def restore_hand_made(self, state):
        for point, label in zip(state.get("added", []), state.get("labels", []), strict=False):
            if int(label) < len(self.data.names):
                self._add_point(np.asarray(point, float), int(label))
        watch = state.get("watch")
        self.watch = tuple(int(v) for v in watch) if watch else None
        self.restart.emit()


def set_title(plot, text: str) -> None:
    """A plot's title, set only when it changes (each change lays the canvas out again)."""
    if plot.titleLabel.text != text:
        plot.setTitle(text)


def regions(model, grid):
    """Class index and how sure the network is, for the region shading."""
    proba = np.concatenate([model.regions(grid[s:s + REGION_CHUNK], np.float32)[0]
                            for s in range(0, max(len(grid), 1), REGION_CHUNK)])
    k = proba.shape[1]
    best = proba.max(1)
    sure = np.clip((best - 1 / k) / (1 - 1 / k), 0.0, 1.0)
    return proba.argmax(1), np.nan_to_num(sure)


def unit_image(a: np.ndarray) -> np.ndarray:
    """(nx, ny) unit outputs as an RGBA image: white at 0, blue for a > 0 and vermilion for
    a < 0, full colour at |a| = 1 or the largest |a| on the grid if that is more (so a
    nearly constant unit reads as one flat shade of the strength it has)."""
    a = np.nan_to_num(a)
    t = np.clip(a / max(float(np.abs(a).max(initial=0.0)), 1.0), -1.0, 1.0)[..., None]
    pos = np.array(pg.mkColor(nd.POSITIVE).getRgb()[:3], float)
    neg = np.array(pg.mkColor(nd.NEGATIVE).getRgb()[:3], float)
    white = np.full(3, 255.0)
    rgb = np.where(t >= 0, white + (pos - white) * t * UNIT_TINT,
                   white + (neg - white) * -t * UNIT_TINT)
    rgba = np.concatenate([rgb, np.full(t.shape, 255.0)], -1)
    return np.round(rgba).astype(np.uint8)


def unit_texts(step) -> list[str]:
    """Numbers on the units: a (forward, up to the layer reached) or δ (backward)."""
    spec, trace = step.spec, step.trace
    texts: list[str] = []
    backward = step.phase == "backward"
    reached = spec.layers if step.phase in ("loss", "backward") else (step.layer or 0)
    for col, n in enumerate(spec.sizes):
        if backward and col >= step.layer and trace.dz[col - 1] is not None:
            texts += nd.values(trace.dz[col - 1], "δ ", 2)
        elif col == 0:
            texts += nd.values(trace.x, "", 2)
        elif col <= reached and trace.a[col - 1] is not None:
            shown_a = trace.output if col == spec.layers and trace.output is not None \
                else trace.a[col - 1]
            texts += nd.values(shown_a, "", 2)
        else:
            texts += [""] * n
    return texts


def masks(step, net):
    """Per-unit greyed (dropped) and per-edge hidden (dropped weight) masks, or None."""
    trace = step.trace
    if trace is None:
        return None, None
    return mask_arrays(trace.unit_masks, trace.weight_masks, net)


def mask_arrays(unit_masks, weight_masks, net):
    """The diagram's greyed units and hidden edges from per-layer dropout and DropConnect
    masks (None for a layer without one); None for a kind no layer has."""
    greyed = hidden = None
    if any(m is not None for m in unit_masks):
        greyed = np.zeros(len(net.units), bool)
        for layer, m in enumerate(unit_masks, 1):
            if m is not None:
                greyed[net.column(layer)] = np.asarray(m) == 0
    if any(m is not None for m in weight_masks):
        hidden = np.zeros(len(net.seg_x) // 2, bool)
        for layer, m in enumerate(weight_masks, 1):
            if m is not None:
                hidden[net.edges_into(layer)] = np.ravel(m) == 0
    return greyed, hidden
