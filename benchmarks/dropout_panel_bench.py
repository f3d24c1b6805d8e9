"""Dropout and pruning panels: step + redraw frames per second at 1,000 points, 2-16-16-2.

Dropout: one step is one mini-batch update of all three networks (plain, dropout,
DropConnect), their train/test curves re-evaluated on all 1,000 points, then the redraw:
the decision regions of one lane (shaded in the background; the frame waits for them),
two diagrams with this update's masks and nine curves. Beside it matplotlib (Agg, the same
canvas size) doing the same work per frame: the next snapshot from its own run of the same
generator, the regions on a grid as an image, both diagrams as line collections with
greyed units, the nine curves, a full draw. The issue's target: ≥ 30 frames/s.

Pruning: one step is one retraining epoch or one prune (``granularity="epoch"``) of both
lanes, then two histograms with the cut, two thinning diagrams, the accuracy-sparsity
paths and the regions; no baseline (the same target is the bar). A whole round (the
panel's default step, 20 epochs of two networks) is timed too, as a figure to know.

Medians; the two sides take turns in short slices so load from elsewhere on the machine
hits both alike. Each figure checks once, from the grabbed canvas, that what it timed is
visible. Run: `PYTHONPATH=. python -m benchmarks.dropout_panel_bench` (not in
benchmarks.MODULES, which the lead owns). On a shared, busy machine these figures are
pessimistic.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import sys
import time
from collections.abc import Iterator

import numpy as np

from benchmarks import FrameTimes, Result
from benchmarks.overfit_panels_bench import (
    WARM,
    PanelFrames,
    paint_counter,
    take_turns,
)

WINDOW = (1280, 800)
POINTS = 1_000
HIDDEN = "16, 16"
TARGET_FPS = 30.0
BUDGET, MIN_FRAMES = 4.0, 30
GRID = 150


class CpuFrames(PanelFrames):
    """PanelFrames that also keep the process's CPU time per counted frame (every thread:
    the player's worker, the region shading, the paint): less sensitive than wall time to
    other processes on a shared machine, so a second figure when the machine is busy."""

    def __init__(self, *args):
        super().__init__(*args)
        self.cpu: list[float] = []

    def keep(self, elapsed: float) -> None:
        if not self.warm:
            self.cpu.append(time.process_time() - self.cpu_start)
        super().keep(elapsed)

    def frame(self) -> None:
        self.cpu_start = time.process_time()
        super().frame()


class MatplotlibDropoutFrames(FrameTimes):
    """The dropout panel's content in matplotlib, stepping its own copy of the run."""

    def __init__(self, X, labels, params, seed, size_px):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.collections import LineCollection
        from matplotlib.figure import Figure

        from algorithms.network import regularise
        from visualizer.panels.dropout import LANE_COLOURS

        super().__init__(WARM)
        self.X, self.labels, self.params, self.seed = X, labels, params, seed
        self.steps = regularise.run(X, labels, params, np.random.default_rng(seed))
        self.fig = Figure(figsize=(size_px[0] / 100, size_px[1] / 100), dpi=100)
        self.canvas = FigureCanvasAgg(self.fig)
        axes = self.fig.subplots(2, 3)
        self.data_ax, self.nets = axes[0, 0], {"dropout": axes[0, 1], "DropConnect": axes[0, 2]}
        lo, hi = X.min(0) - 0.5, X.max(0) + 0.5
        gx, gy = np.linspace(lo[0], hi[0], GRID), np.linspace(lo[1], hi[1], GRID)
        self.grid = np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2)
        self.image = self.data_ax.imshow(np.zeros((GRID, GRID)), extent=(lo[0], hi[0], lo[1],
                                         hi[1]), origin="lower", cmap="coolwarm", vmin=0,
                                         vmax=1, alpha=0.4)
        self.data_ax.scatter(X[:, 0], X[:, 1], c=labels, cmap="coolwarm", s=12,
                             edgecolors="k", linewidths=0.5)
        self.lines, self.dots = {}, {}
        for name, ax in self.nets.items():
            ax.set_axis_off()
            self.lines[name] = LineCollection([], linewidths=1)
            ax.add_collection(self.lines[name])
            self.dots[name] = ax.scatter([], [], s=120, edgecolors="k", zorder=3)
            ax.set_xlim(-0.4, 3.4)
            ax.set_ylim(-8.6, 8.2)
        self.curves = {}
        for ax, what in zip(axes[1], ("train loss", "test loss", "test accuracy"), strict=True):
            for name, c in LANE_COLOURS.items():
                (self.curves[what, name],) = ax.plot([], [], color=c, lw=2)
            ax.set_ylim(0, 1.05)
            ax.set_xlim(0, 200)
            ax.set_title(what)

    def frame(self) -> None:
        from visualizer.panels import network_diagram as nd
        from visualizer.panels.dropout import lane_masks

        start = time.perf_counter()
        step = next(self.steps, None)
        if step is None:
            self.steps = __import__("algorithms.network.regularise", fromlist=["run"]).run(
                self.X, self.labels, self.params, np.random.default_rng(self.seed))
            return
        proba, _ = step.lanes["dropout"].model.regions(self.grid)
        self.image.set_data(proba[:, 1].reshape(GRID, GRID))
        for name in self.nets:
            lane = step.lanes[name]
            net = nd.layout(lane.model.spec.sizes)
            greyed, hidden = lane_masks(lane, net) if step.example is not None else (None, None)
            w = nd.flat(lane.weights)
            keep = np.ones(len(w), bool) if hidden is None else ~hidden
            segs = np.stack([np.column_stack([net.seg_x[0::2], net.seg_y[0::2]]),
                             np.column_stack([net.seg_x[1::2], net.seg_y[1::2]])], 1)[keep]
            self.lines[name].set_segments(segs)
            self.lines[name].set_color(np.where(w[keep, None] > 0, [[0, 0.45, 0.7, 1]],
                                                [[0.84, 0.37, 0, 1]]))
            self.lines[name].set_linewidth(0.5 + np.minimum(np.abs(w[keep]), 2))
            grey = np.zeros(len(net.units), bool) if greyed is None else greyed
            self.dots[name].set_offsets(net.units)
            self.dots[name].set_facecolors(np.where(grey[:, None], [[0.74] * 3 + [1]],
                                                    [[1, 1, 1, 1]]))
        for (what, name), line in self.curves.items():
            h = step.lanes[name].history
            line.set_data(h["update"], h[what])
        self.canvas.draw()
        self.keep(time.perf_counter() - start)


def open_panel(app, panel_id):
    from visualizer.main_window import MainWindow

    window = MainWindow(panel_id)
    window.resize(*WINDOW)
    window.show()
    app.processEvents()
    paints = paint_counter()
    window.session.panel.canvas.viewport().installEventFilter(paints)
    return window, paints


def close(app, window):
    window.close()
    window.deleteLater()
    app.processEvents()


def run() -> Iterator[Result]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg

    load, cores = os.getloadavg()[0], os.cpu_count()
    print(f"dropout_panel_bench: load average {load:.1f} on {cores} cores", file=sys.stderr)
    app = pg.mkQApp("Stepwise")
    yield from dropout_results(app)
    yield from pruning_results(app)


def dropout_results(app) -> Iterator[Result]:
    from visualizer.panels import network_diagram as nd
    from visualizer.panels.dropout import LANE_COLOURS
    from visualizer.pixels import count_near, view_pixels

    window, paints = open_panel(app, "dropout")
    panel = window.session.panel
    try:
        panel.set_data_params(dataclasses.replace(panel.data_params, points=POINTS))
        panel.set_params(dataclasses.replace(panel.params, hidden=HIDDEN, epochs=10_000))
        app.processEvents()
        assert len(panel.data.X) == POINTS
        size = (panel.canvas.viewport().width(), panel.canvas.viewport().height())
        ours = CpuFrames(app, window, paints, ("batch",))
        sides = [ours]
        try:
            sides.append(MatplotlibDropoutFrames(panel.data.X, panel.data.labels,
                                                 panel.params, panel.seed, size))
        except ImportError:
            print("matplotlib is not installed: no baseline", file=sys.stderr)
        take_turns(sides, BUDGET, MIN_FRAMES)
        ms = 1000 * statistics.median(ours.times)
        mpl = 1000 * statistics.median(sides[1].times) if len(sides) > 1 else None
        grey = count_near(view_pixels(panel, panel.net_plots["dropout"]), nd.GREYED, 12)
        curves = view_pixels(panel, panel.loss_plots["test loss"])
        seen = grey > 50 and all(count_near(curves, c, 40) > 15 for c in LANE_COLOURS.values())
        fps = 1000 / ms
        yield Result(f"dropout: update of 3 nets + redraw, {POINTS:,} pts, 2-16-16-2"
                     + ("" if seen else " — NOT VISIBLE"), fps, "frames/s",
                     baseline=1000 / mpl if mpl else None,
                     baseline_name=f"matplotlib Agg {size[0]}×{size[1]}" if mpl else "",
                     target=f"≥ {TARGET_FPS:.0f} frames/s", met=seen and fps >= TARGET_FPS)
        yield cpu_result("dropout", ours)
    finally:
        close(app, window)


def cpu_result(name, frames) -> Result:
    fps = 1000 / (1000 * statistics.median(frames.cpu))
    return Result(f"{name}: the same frames in CPU time (all threads)", fps, "frames/s",
                  target=f"≥ {TARGET_FPS:.0f} frames/s", met=fps >= TARGET_FPS)


def pruning_results(app) -> Iterator[Result]:
    from visualizer.panels.pruning import KEPT
    from visualizer.pixels import count_near, view_pixels

    window, paints = open_panel(app, "pruning")
    panel = window.session.panel
    try:
        panel.set_data_params(dataclasses.replace(panel.data_params, points=POINTS))
        panel.set_params(dataclasses.replace(panel.params, hidden=HIDDEN, granularity="epoch",
                                             pretrain=5, rounds=20, retrain=1000))
        app.processEvents()
        assert len(panel.data.X) == POINTS
        ours = CpuFrames(app, window, paints, ("retrain", "prune"))
        take_turns([ours], BUDGET, MIN_FRAMES)
        ms = 1000 * statistics.median(ours.times)
        seen = count_near(view_pixels(panel, panel.hists["iterative"]), KEPT, 25) > 100
        fps = 1000 / ms
        yield Result("pruning: retrain epoch of 2 nets + redraw, 1,000 pts"
                     + ("" if seen else " — NOT VISIBLE"), fps, "frames/s",
                     target=f"≥ {TARGET_FPS:.0f} frames/s", met=seen and fps >= TARGET_FPS)
        yield cpu_result("pruning", ours)

        panel.set_params(dataclasses.replace(panel.params, granularity="round", pretrain=5,
                                             rounds=20, retrain=20))
        app.processEvents()
        rounds = PanelFrames(app, window, paints, ("retrain",))
        rounds.warm = 1
        end = time.perf_counter() + BUDGET
        while time.perf_counter() < end or len(rounds.times) < 5:
            rounds.frame()
        ms = 1000 * statistics.median(rounds.times)
        yield Result("pruning: one round (20 epochs of 2 nets) + redraw", ms, "ms")
    finally:
        close(app, window)


if __name__ == "__main__":
    from benchmarks.__main__ import line

    for result in run():
        print(line(result), flush=True)
