"""ResNet: a deep plain stack and the same layers with identity shortcuts, trained side by side.

Top: the decision regions of the plain stack and of the residual one on the same points,
and a diagram of one residual block y = s(x) + F(x) with its shortcut. Bottom: the gradient
reaching each layer (log scale; dashed at initialisation, solid now) — the plain one fading
towards the input, the residual one level — and both training losses. One step is one
full-batch update of both networks. A click on either region plot adds a point (left: first
class, right: second), undoably.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import resnet
from algorithms.base import num, param
from visualizer.panels import network_base as nb
from visualizer.panels.base import AlgorithmPanel, guarded
from visualizer.panels.network_extras import LanePanel, curve, say
from visualizer.panels.overlays import Legend, StatusBox, line_sample
from visualizer.panels.ranges import FixedRanges
from visualizer.panels.resnet_block import BlockDiagram
from visualizer.panels.scene import Scene2D
from visualizer.style import INK, STYLE, colour

NETS = ("plain", "residual")
NET_COLOURS = {"plain": colour(5), "residual": colour(2)}
FLOOR = 1e-16          # gradients drawn on the log axis are at least this (exact zeros)
COARSE = 2             # regions evaluated once per COARSE × COARSE cells of the shared grid


@dataclass(frozen=True)
class Data(nb.Data):
    dataset: str = param("moons", values=tuple(nb.GENERATORS),
                         tip="a generated data set; File ▸ Open data… loads a CSV with a "
                             "label column instead")
    points: int = param(200, limits=(4, 5_000), step=50, tip="number of points")
    noise: float = param(0.1, limits=(0.0, 2.0), step=0.02, tip="spread of the points")


def coarse_regions(model, grid):
    """``nb.regions`` at the centre of every COARSE × COARSE block of the shading grid, each
    value repeated over its block. Thirty layers cost ~4 times a small network per point:
    the full grid took ~110 ms a frame for both networks, a quarter of it ~30 ms. The grid
    may run x fastest (Scene2D's, row by row) or y fastest; any other set of points is
    evaluated point by point."""
    xs, ys = np.unique(grid[:, 0]), np.unique(grid[:, 1])
    nx, ny = len(xs), len(ys)
    regular = nx >= 2 and ny >= 2 and len(grid) == nx * ny
    rows = regular and np.array_equal(grid[:nx, 0], xs) and np.array_equal(grid[::nx, 1], ys)
    columns = regular and np.array_equal(grid[:ny, 1], ys) and np.array_equal(grid[::ny, 0], xs)
    if not (rows or columns):
        return nb.regions(model, grid)
    cx = xs[::COARSE] + (xs[1] - xs[0]) * (COARSE - 1) / 2
    cy = ys[::COARSE] + (ys[1] - ys[0]) * (COARSE - 1) / 2
    sub = np.stack(np.meshgrid(cx, cy, indexing="ij"), -1).reshape(-1, 2)
    labels, sure = nb.regions(model, sub)

    def spread(values):
        v = values.reshape(len(cx), len(cy)).repeat(COARSE, 0).repeat(COARSE, 1)[:nx, :ny]
        return (v.T if rows else v).ravel()

    return spread(labels), spread(sure)


def log_values(values) -> np.ndarray:
    return np.log10(np.maximum(np.asarray(values, float), FLOOR))


def drawn_profile(name: str, values) -> tuple[np.ndarray, np.ndarray]:
    """(layers, log10 gradient) as drawn: every layer of the plain stack; the residual
    stack at its block outputs (layers 2, 4, …), where the shortcuts carry the gradient."""
    values = np.asarray(values, float)
    layers = np.arange(1, len(values) + 1)
    if name == "residual":
        return layers[1::2], log_values(values[1::2])
    return layers, log_values(values)


def times(step) -> str:
    """How many times the residual gradient at layer 1 is the plain one: '8,300×'."""
    ratio = step.residual_signal[0] / max(step.plain_signal[0], FLOOR)
    if 100 <= ratio < 1e6:
        ratio = round(ratio, 1 - len(str(int(ratio))))
        return f"{ratio:,.0f}×"
    return f"{num(ratio, 2)}×"


def summary(step) -> str:
    """The caption's first line: both losses and the gradient reaching layer 1."""
    what = "Start" if step.update == 0 else f"Update {step.update}"
    return (f"{what}: loss plain {num(step.plain_losses[-1], 3)}, residual "
            f"{num(step.residual_losses[-1], 3)}; gradient reaching layer 1: plain "
            f"{num(step.plain_signal[0], 2)}, residual {num(step.residual_signal[0], 2)} "
            f"({times(step)}).")


class ResNetPanel(LanePanel):
    id, title, topic = "resnet", "ResNet: shortcuts keep the gradient", "Deep networks"
    Params, Data = resnet.Params, Data

    # --- building -----------------------------------------------------------------------
    def setup(self, canvas):
        self.region_plots, self.scenes = {}, {}
        for col, name in enumerate(NETS):
            plot = canvas.addPlot(row=0, col=col)   # named in its box: titles wrap
            plot.setAspectLocked(True)
            self.region_plots[name] = plot
            self.scenes[name] = Scene2D(plot, self.background, self.failed.emit)
        self.main, self.scene = self.region_plots["plain"], self.scenes["plain"]
        self.click_plot = self.main
        self.accuracy = {n: StatusBox(self.region_plots[n], "top-left") for n in NETS}
        for name, box in self.accuracy.items():
            box.name = name.capitalize()
        self.legend = Legend(self.main.addLegend(offset=(-10, -10)),
                             width=lambda: self.main.vb.width() * 0.7)
        self.block_plot = canvas.addPlot(row=0, col=2)
        self.block = BlockDiagram(self.block_plot)
        self.grad_plot = canvas.addPlot(row=1, col=0, colspan=2)
        self.grad_plot.setLabel("bottom", "layer (1 = next to the input)")
        self.grad_plot.setLabel("left", "‖∂ℓ/∂a‖ reaching it")
        self.grad_plot.getAxis("left").setLogMode(False, True)
        self.grad_plot.showGrid(x=True, y=True, alpha=0.15)
        self.grad_plot.disableAutoRange()
        self.grad_range = None
        self.grads = {(n, when): curve(self.grad_plot) for n in NETS for when in ("now", "init")}
        self.status = StatusBox(self.grad_plot, "bottom-right")
        self.grad_legend = Legend(self.grad_plot.addLegend(offset=(10, 2)),
                                  width=lambda: self.grad_plot.vb.width())
        self.loss_plot = canvas.addPlot(row=1, col=2)
        self.loss_plot.setLabel("bottom", "updates")
        self.loss_plot.setLabel("left", "training loss")
        self.loss_plot.getAxis("left").setLogMode(False, True)
        self.loss_range = FixedRanges(self.loss_plot)
        self.losses = {n: curve(self.loss_plot) for n in NETS}
        layout = canvas.ci.layout
        layout.setRowStretchFactor(0, 3)
        layout.setRowStretchFactor(1, 2)
        canvas.scene().sigMouseClicked.connect(self._residual_click)

    def restyle(self):
        AlgorithmPanel.restyle(self)
        self.coloured = None
        for (name, when), item in self.grads.items():
            style = QtCore.Qt.SolidLine if when == "now" else QtCore.Qt.DashLine
            width = STYLE.line_width if when == "now" else max(1.0, STYLE.line_width * 0.7)
            item.setPen(pg.mkPen(NET_COLOURS[name], width=width, style=style))
        for name, item in self.losses.items():
            item.setPen(pg.mkPen(NET_COLOURS[name], width=STYLE.line_width))
        for box in (self.status, *self.accuracy.values()):
            box.restyle()
        for scene in self.scenes.values():
            scene.restyle()
        self.block.restyle(NET_COLOURS["residual"])
        self._legend_entries()

    def _legend_entries(self):
        if self.data is not None:
            self.legend.fill(self.scene.cloud.legend_items(), key=(id(self.data), self.added))
        dashed = QtCore.Qt.DashLine
        self.grad_legend.fill(
            [(line_sample(NET_COLOURS[n]), f"{n} now") for n in NETS]
            + [(line_sample(INK, style=dashed), "at the start")],
            key="grads")

    # --- data ---------------------------------------------------------------------------
    def adopt(self, data):
        super().adopt(data)
        other = self.scenes["residual"]
        other.label_axes(*data.axes)
        other.fit()

    def _points_shown(self):
        d = self.data
        self.scenes["residual"].set_points(d.X, d.labels, d.names, d.frame)
        super()._points_shown()

    def recolour(self):
        if self.coloured is not self.data:
            for scene in self.scenes.values():
                scene.show(self.data.labels)
            self.coloured = self.data

    @guarded
    def _residual_click(self, event):
        plot = self.region_plots["residual"]
        if plot.vb.sceneBoundingRect().contains(event.scenePos()):
            p = plot.vb.mapSceneToView(event.scenePos())
            self.on_click(p.x(), p.y(), event.button())

    # --- running ------------------------------------------------------------------------
    def steps(self):
        self.runs += 1
        run = resnet.run(self.data.X, self.data.labels, self.params, self.rng())
        return (dataclasses.replace(s, caption=summary(s) + "\n" + s.caption) for s in run)

    def intro(self):
        p = self.params
        return (f"{self.described}. Press Step (→): a plain stack of {p.depth} {p.activation} "
                f"layers and the same layers with shortcuts start, then each step is one "
                f"update of both. Click a region plot to add a point (left: "
                f"{self.data.names[0]}, right: {self.data.names[1]}).")

    # --- drawing ------------------------------------------------------------------------
    def draw(self, step):
        self.recolour()
        self.block.show(self.params.shortcut, self.params.activation)
        if step is None:
            for scene in self.scenes.values():
                scene.shade(None)
            for item in (*self.grads.values(), *self.losses.values()):
                item.setData([], [])
            self.grad_range = None
            self._fit_grads(self.params.depth, np.array([-3.0, 0.0]))
            self.loss_range.forget()
            self.loss_range.show_empty(log=True)
            for box in self.accuracy.values():
                say(box, f"{box.name}\nnot trained")
            say(self.status, "not started")
            return
        models = {"plain": step.plain_model, "residual": step.residual_model}
        for name, model in models.items():
            self.scenes[name].shade(lambda grid, m=model: coarse_regions(m, grid),
                                    key=(self.runs, name, step.index))
        shown = []
        for name in NETS:
            for when, values in (("now", getattr(step, f"{name}_signal")),
                                 ("init", getattr(step, f"{name}_init_signal"))):
                x, y = drawn_profile(name, values)
                self.grads[name, when].setData(x, y)
                shown.append(y)
        self._fit_grads(step.depth, np.concatenate(shown))
        top = -np.inf
        updates = np.arange(step.update + 1)
        for name in NETS:
            y = log_values(getattr(step, f"{name}_losses"))
            self.losses[name].setData(updates, y)
            top = max(top, float(y.max()))
        low = min(float(log_values(getattr(step, f"{n}_losses")).min()) for n in NETS)
        self.loss_range.fit(step.update + 1, low, top, log=True)
        for name in NETS:
            acc = getattr(step, f"{name}_accuracy")
            stopped = " · diverged" if name in step.diverged else ""
            box = self.accuracy[name]
            say(box, f"{box.name}\naccuracy {nb.percent(acc)}{stopped}")
        tail = " · done ✓" if step.phase == "done" else ""
        say(self.status, f"update {step.update} · layer 1: {times(step)}{tail}")

    def _fit_grads(self, depth: int, logs: np.ndarray):
        """x over the layers; y in whole decades that only grow within a run."""
        lo, hi = float(np.floor(logs.min() - 0.25)), float(np.ceil(logs.max()))
        lo, hi = min(lo, hi - 3), hi + 2        # two decades above for the legend
        old = self.grad_range
        if old is not None and old[0] == depth:
            lo, hi = min(lo, old[1]), max(hi, old[2])
            if (lo, hi) == old[1:]:
                return
        self.grad_range = (depth, lo, hi)
        self.grad_plot.setRange(xRange=(1, depth), yRange=(lo, hi), padding=0.02)

    def status_text(self, step) -> str:
        return self.status.item.toPlainText()
