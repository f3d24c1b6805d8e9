"""Multi-task learning: hard sharing, soft sharing and two separate networks, side by side.

Two plots show the data of each task (training points filled, validation points pale) with
the three set-ups' fits; a diagram shows the three architectures (one trunk and two heads;
two towers joined by the penalty, its λ and the towers' distance written on it; two
separate networks). Below: each task's validation error per set-up over the updates, the
towers' distance, and soft sharing trained alongside at several λ — its towers' distance
and both tasks' validation errors as λ grows. One step is one update of all three set-ups.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import multitask as mt
from algorithms.base import num, param, plural, validate
from visualizer.panels.base import AlgorithmPanel
from visualizer.panels.multitask_diagram import Architectures
from visualizer.panels.network_extras import say
from visualizer.panels.overfit_common import decade_ticks
from visualizer.panels.overlays import Legend, StatusBox, line_sample, marker_sample
from visualizer.panels.ranges import FixedRanges
from visualizer.sources import Generated
from visualizer.style import INK, STYLE, UNASSIGNED, colour

SETUP_COLOURS = {"hard": colour(0), "soft": colour(1), "separate": colour(2)}
TASK_COLOURS = (colour(3), colour(5))
FLOOR = 1e-12      # the log plots draw exact zeros here
ZERO_AT = -4.0     # where λ = 0 sits on the sweep's log10 λ axis
VAL_POINTS = 200
GRID = np.linspace(-np.pi, np.pi, 161)
TOP = 4.0          # log10 of the largest value a log plot makes room for (a diverging run
                   # would otherwise stretch the axes over dozens of decades)
LOUD = 1e3         # fits beyond ±LOUD (a diverging network) are not drawn


@dataclass(frozen=True)
class Params(mt.Params):
    updates: int = param(400, limits=(1, 100_000), step=50, label="updates")


@dataclass(frozen=True)
class Data:
    points: int = param(10, limits=(2, 500), step=1, label="training points",
                        tip="points per task for training (few: sharing helps most)")
    noise: float = param(0.25, limits=(0.0, 2.0), step=0.05, tip="noise σ on both targets")
    phase: float = param(0.8, limits=(0.0, 3.1416), step=0.1, label="phase φ",
                         tip="task 2 is sin(x + φ): 0 makes the tasks the same, π opposite")


def lam_x(lams) -> np.ndarray:
    """Where each λ sits on the sweep's axis: log10 λ, and λ = 0 at ZERO_AT."""
    lams = np.asarray(lams, float)
    with np.errstate(divide="ignore"):
        return np.where(lams > 0, np.log10(np.maximum(lams, 1e-300)), ZERO_AT)


def logged(values) -> np.ndarray:
    """log10 of values for a log plot (zeros at FLOOR), NaN where undefined."""
    v = np.asarray(values, float)
    with np.errstate(invalid="ignore"):
        return np.log10(np.where(np.isfinite(v), np.maximum(v, FLOOR), np.nan))


class MultitaskPanel(AlgorithmPanel):
    id, title, topic = "multitask", "Multi-task: hard and soft sharing", "Deep networks"
    Params, Data = Params, Data

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.data: mt.Tasks | None = None

    # --- building -----------------------------------------------------------------------
    def setup(self, canvas):
        self.fit_plots, self.points, self.val_points, self.fits = [], [], [], {}
        for k in range(2):
            title = ("Task 1", "Task 2")[k]
            plot = canvas.addPlot(row=0, col=k, title=title)
            plot.setLabel("bottom", "x")
            plot.setLabel("left", ("y₁ = sin x + noise", "y₂ = sin(x + φ) + noise")[k])
            plot.disableAutoRange()
            plot.setRange(xRange=(-np.pi, np.pi), yRange=(-2.0, 2.0), padding=0.02)
            self.val_points.append(pg.ScatterPlotItem(pxMode=True))
            self.points.append(pg.ScatterPlotItem(pxMode=True))
            plot.addItem(self.val_points[k])
            for name in mt.SETUPS:
                self.fits[k, name] = plot.plot()
            plot.addItem(self.points[k])
            self.points[k].setZValue(5)
            self.fit_plots.append(plot)
        self.arch_plot = canvas.addPlot(row=0, col=2, title="Set-ups")
        self.arch = Architectures(self.arch_plot, SETUP_COLOURS)
        self.arch_legend = Legend(self.arch_plot.addLegend(offset=(10, -4)),
                                  width=lambda: self.arch_plot.vb.width() * 0.95)
        self.val_plot = canvas.addPlot(row=1, col=0, title="Held-out MSE")
        self._log_plot(self.val_plot, "updates", "validation MSE (log)")
        self.curves = {(k, name): self.val_plot.plot() for k in range(2) for name in mt.SETUPS}
        self.ranges = {"val": FixedRanges(self.val_plot)}
        self.status = StatusBox(self.val_plot, "bottom-left")
        self.dist_plot = canvas.addPlot(row=1, col=1, title="Distance")
        self._log_plot(self.dist_plot, "updates", "towers' ‖θ_A − θ_B‖ (log)")
        self.dist_curves = {name: self.dist_plot.plot() for name in ("soft", "separate")}
        self.ranges["distance"] = FixedRanges(self.dist_plot)
        self.sweep_plot = canvas.addPlot(row=1, col=2, title="λ sweep")
        self._log_plot(self.sweep_plot, "λ of soft sharing", "value now (log)")
        self.sweep_plot.getAxis("bottom").setTicks(
            [[(ZERO_AT, "0")] + [(k, f"{10.0 ** k:g}") for k in range(-3, 4)], []])
        self.sweep_curves = {what: self.sweep_plot.plot()
                             for what in ("distance", "val 1", "val 2")}
        self.sweep_now = pg.InfiniteLine(angle=90)
        self.sweep_plot.addItem(self.sweep_now)
        self.sweep_legend = Legend(self.sweep_plot.addLegend(offset=(4, -4)),
                                   width=lambda: self.sweep_plot.vb.width() * 0.9)
        self.sweep_shown = None
        layout = canvas.ci.layout
        layout.setRowStretchFactor(0, 3)
        layout.setRowStretchFactor(1, 2)
        for col, stretch in enumerate((2, 2, 3)):
            layout.setColumnStretchFactor(col, stretch)

    def _log_plot(self, plot, bottom, left):
        plot.setLabel("bottom", bottom)
        plot.setLabel("left", left)
        plot.setLogMode(y=True)
        decade_ticks(plot.getAxis("left"))
        plot.disableAutoRange()

    def restyle(self):
        super().restyle()
        width, size = STYLE.line_width, STYLE.marker_size
        for (_, name), item in self.fits.items():
            item.setPen(pg.mkPen(SETUP_COLOURS[name], width=width))
        for (k, name), item in self.curves.items():
            item.setPen(pg.mkPen(SETUP_COLOURS[name], width=width,
                                 style=QtCore.Qt.SolidLine if k == 0 else QtCore.Qt.DashLine))
        for name, item in self.dist_curves.items():
            item.setPen(pg.mkPen(SETUP_COLOURS[name], width=width))
        for what, item in self.sweep_curves.items():
            c = INK if what == "distance" else TASK_COLOURS[int(what[-1]) - 1]
            item.setPen(pg.mkPen(c, width=width))
            item.setSymbol("s" if what == "distance" else "o")
            item.setSymbolBrush(c)
            item.setSymbolPen(INK)
            item.setSymbolSize(size * 1.2)
        for k in range(2):
            self.points[k].setSize(size * 1.6)
            self.points[k].setBrush(pg.mkBrush(TASK_COLOURS[k]))
            self.points[k].setPen(pg.mkPen(INK, width=1))
            self.val_points[k].setSize(size * 0.8)
            self.val_points[k].setBrush(pg.mkBrush(UNASSIGNED))
            self.val_points[k].setPen(pg.mkPen(None))
        self.sweep_now.setPen(pg.mkPen(SETUP_COLOURS["soft"], width=2,
                                       style=QtCore.Qt.DashLine))
        self.status.restyle()
        self.arch.restyle()
        self.arch_legend.fill(
            [(marker_sample("o", TASK_COLOURS[0]), "training"),
             (marker_sample("o", UNASSIGNED, pen=None, size=size), "validation"),
             (line_sample(INK), "task 1"),
             (line_sample(INK, style=QtCore.Qt.DashLine), "task 2")],
            key="arch")
        self.sweep_legend.fill(
            [(line_sample(INK, symbol="s"), "distance"),
             (line_sample(TASK_COLOURS[0], symbol="o"), "val. MSE 1"),
             (line_sample(TASK_COLOURS[1], symbol="o"), "val. MSE 2"),
             (line_sample(SETUP_COLOURS["soft"], style=QtCore.Qt.DashLine), "λ used")],
            key="sweep")

    # --- data ---------------------------------------------------------------------------
    def prepare(self, source):
        if isinstance(source, Generated):
            d = source.params
            validate(d)
            rng = np.random.default_rng(self.seed)
            tasks = mt.make_tasks(d.points, VAL_POINTS, d.noise, d.phase, rng)
            return tasks, ""
        return super().prepare(source)

    def adopt(self, data: mt.Tasks):
        self.data = data
        for k in range(2):
            self.points[k].setData(data.x_train, data.y_train[:, k])
            self.val_points[k].setData(data.x_val, data.y_val[:, k])
        top = float(np.abs(np.concatenate([data.y_train.ravel(), data.y_val.ravel()])).max())
        for plot in self.fit_plots:
            plot.setRange(xRange=(-np.pi, np.pi), yRange=(-top - 0.2, top + 0.2), padding=0.02)

    # --- running ------------------------------------------------------------------------
    def steps(self):
        run = mt.run(self.data, self.params, self.rng())
        return (s if s.index == 0 else dataclasses.replace(s, caption=summary(s) + "\n" + s.caption)
                for s in run)

    def intro(self):
        n = len(self.data.x_train)
        return (f"Two tasks share {plural(n, 'training point')}: y₁ = sin x and "
                f"y₂ = sin(x + φ) with noise. Press Step (→): one step is one update of hard "
                f"sharing, soft sharing (λ = {num(self.params.lam)}) and two separate "
                f"networks.")

    # --- drawing ------------------------------------------------------------------------
    def draw(self, step):
        if step is None:
            for item in (*self.fits.values(), *self.curves.values(),
                         *self.dist_curves.values(), *self.sweep_curves.values()):
                item.setData([], [])
            for r in self.ranges.values():
                r.forget()
                r.show_empty(log=True)
            self._sweep_range((ZERO_AT - 0.3, 1.3), (-3, 1))
            self.sweep_now.setValue(lam_x(self.params.lam))
            self.arch.say(self.params.lam, None)
            say(self.status, "not started")
            return
        for name, setup in step.setups.items():
            out = setup.outputs(GRID)
            out = np.where(np.abs(out) <= LOUD, out, np.nan)
            ys = setup.history
            x = np.arange(len(ys))
            for k in range(2):
                self.fits[k, name].setData(GRID, out[:, k])
                self.curves[k, name].setData(x, ys[:, 2 + k])
        col = np.concatenate([s.history[:, 2:].ravel() for s in step.setups.values()])
        ok = col[np.isfinite(col) & (col > 0)]
        if ok.size:
            lo = min(np.log10(max(ok.min(), FLOOR)), TOP - 1)
            self.ranges["val"].fit(step.update + 1, lo, min(np.log10(ok.max()), TOP), log=True)
        d = step.distances
        x = np.arange(len(d))
        for j, name in enumerate(("soft", "separate")):
            self.dist_curves[name].setData(x, np.maximum(d[:, j], FLOOR))
        ok = d[np.isfinite(d)]
        if ok.size:
            lo, hi = np.log10(max(ok.min(), FLOOR)), np.log10(max(ok.max(), FLOOR))
            self.ranges["distance"].fit(step.update + 1, min(lo, TOP - 1), min(hi, TOP),
                                        log=True)
        self._draw_sweep(step)
        self.arch.say(step.lam, float(d[-1, 0]))
        tail = " · done ✓" if step.phase == "done" else ""
        say(self.status, f"update {step.update} of {self.params.updates}{tail}")

    def _draw_sweep(self, step):
        self.sweep_now.setValue(lam_x(step.lam))
        sw = step.sweep
        if sw is None:
            for item in self.sweep_curves.values():
                item.setData([], [])
            return
        xs = lam_x(sw.lams)
        values = {"distance": sw.distances, "val 1": sw.val[:, 0], "val 2": sw.val[:, 1]}
        for what, v in values.items():
            ok = np.isfinite(v)
            self.sweep_curves[what].setData(xs[ok], np.maximum(v[ok], FLOOR))
        logs = logged(np.concatenate([sw.distances, sw.val.ravel()]))
        logs = logs[np.isfinite(logs)]
        if logs.size:
            hi = min(np.ceil(logs.max()), TOP)
            lo = min(np.floor(logs.min()), hi) - 3  # room for the legend
            self._sweep_range((ZERO_AT - 0.3, xs.max() + 0.3), (min(lo, hi - 6), hi))

    def _sweep_range(self, x, y):
        """Set the sweep plot's range only when it changes (each set re-lays the axes)."""
        if self.sweep_shown != (x, y):
            self.sweep_shown = (x, y)
            self.sweep_plot.setRange(xRange=x, yRange=y, padding=0.02)


def summary(step) -> str:
    """The caption's first line: each set-up's held-out MSE on both tasks, the distance."""
    parts, gone = [], []
    for name in mt.SETUPS:
        setup = step.setups[name]
        if setup.diverged:
            gone.append(mt.NAMES[name])
        else:
            v1, v2 = setup.history[-1, 2:]
            parts.append(f"{mt.NAMES[name]} {num(v1, 3)} / {num(v2, 3)}")
    if not parts:
        return "All three set-ups diverged: try a smaller learning rate."
    line = f"Update {step.update}, held-out MSE (task 1 / task 2): {', '.join(parts)}"
    if gone:
        line += f"; diverged: {', '.join(gone)}"
    d = step.distances[-1, 0]
    if np.isfinite(d):
        line += f". Soft sharing's towers are {num(d, 3)} apart"
    return line + "."
