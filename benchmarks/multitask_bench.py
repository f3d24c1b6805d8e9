"""Multi-task panel: step + redraw frames per second, beside matplotlib drawing the same.

One step is one update of hard sharing, soft sharing and the two separate networks (1-16-1
tanh, 10 training points, 200 validation points), plus soft sharing at the λ sweep's other
values trained alongside, every set-up's losses on both point sets; then the redraw: six
fits over the two tasks' points, six held-out curves, two distance curves, the sweep and
the diagram's text. Beside it matplotlib (Agg, the same canvas size) stepping its own copy
of the same run and drawing the same content with a full draw per frame. The issue's
target for its panels: ≥ 10 steps/s on 2 cores.

Medians; the two sides take turns in short slices so load from elsewhere hits both alike.
The figure checks once, from the grabbed canvas, that what it timed is visible. Run:
`PYTHONPATH=. python -m benchmarks.multitask_bench` (not in benchmarks.MODULES, which the
lead owns). On a shared, busy machine these figures are pessimistic.
"""

from __future__ import annotations

import os
import statistics
import sys
from collections.abc import Iterator

import numpy as np

from benchmarks import FrameTimes, Result
from benchmarks.overfit_panels_bench import WARM, PanelFrames, paint_counter, take_turns

WINDOW = (1280, 800)
TARGET_FPS = 10.0
BUDGET, MIN_FRAMES = 4.0, 20


class MatplotlibMultitaskFrames(FrameTimes):
    """The panel's content in matplotlib, stepping its own run of the same generator."""

    def __init__(self, data, params, seed, size_px):
        import time

        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from algorithms import multitask as mt
        from visualizer.panels.multitask import GRID, SETUP_COLOURS, TASK_COLOURS

        super().__init__(WARM)
        self.time, self.mt = time, mt
        self.data, self.params, self.seed = data, params, seed
        self.run = iter(())
        self.fig = Figure(figsize=(size_px[0] / 100, size_px[1] / 100), dpi=100)
        self.canvas = FigureCanvasAgg(self.fig)
        axes = self.fig.subplots(2, 3)
        self.grid = GRID
        self.fits, self.curves, self.dists, self.sweep = {}, {}, {}, {}
        for k in range(2):
            ax = axes[0, k]
            ax.plot(data.x_val, data.y_val[:, k], ".", color="#9a9a9a")
            ax.plot(data.x_train, data.y_train[:, k], "o", color=TASK_COLOURS[k], mec="k")
            for name in mt.SETUPS:
                (self.fits[k, name],) = ax.plot([], [], color=SETUP_COLOURS[name], lw=2)
                (self.curves[k, name],) = axes[1, 0].semilogy(
                    [], [], color=SETUP_COLOURS[name], ls="-" if k == 0 else "--")
        for name in ("soft", "separate"):
            (self.dists[name],) = axes[1, 1].semilogy([], [], color=SETUP_COLOURS[name])
        for what, c in (("distance", "k"), ("val 1", TASK_COLOURS[0]),
                        ("val 2", TASK_COLOURS[1])):
            (self.sweep[what],) = axes[1, 2].semilogy([], [], "o-", color=c)
        axes[0, 2].axis("off")
        self.text = axes[0, 2].text(0.5, 0.5, "", ha="center")
        axes[1, 0].set_ylim(1e-3, 1)
        axes[1, 1].set_ylim(1e-2, 10)
        axes[1, 2].set_ylim(1e-5, 10)
        axes[1, 2].set_xlim(-4.3, 1.3)
        self.axes = axes

    def frame(self) -> None:
        start = self.time.perf_counter()
        step = next(self.run, None)
        if step is None:
            self.run = self.mt.run(self.data, self.params, np.random.default_rng(self.seed))
            return
        for name, setup in step.setups.items():
            out = setup.outputs(self.grid)
            x = np.arange(len(setup.history))
            for k in range(2):
                self.fits[k, name].set_data(self.grid, out[:, k])
                self.curves[k, name].set_data(x, setup.history[:, 2 + k])
        x = np.arange(len(step.distances))
        for j, name in enumerate(("soft", "separate")):
            self.dists[name].set_data(x, step.distances[:, j])
        for ax in self.axes[1, :2]:
            ax.set_xlim(0, max(10, len(x)))
        if step.sweep is not None:
            lx = np.where(step.sweep.lams > 0, np.log10(np.maximum(step.sweep.lams, 1e-300)),
                          -4.0)
            self.sweep["distance"].set_data(lx, step.sweep.distances)
            self.sweep["val 1"].set_data(lx, step.sweep.val[:, 0])
            self.sweep["val 2"].set_data(lx, step.sweep.val[:, 1])
        self.text.set_text(f"λ = {step.lam}\ndistance {step.distances[-1, 0]:.3g}")
        self.canvas.draw()
        if step.phase == "update":
            self.keep(self.time.perf_counter() - start)


def run() -> Iterator[Result]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg

    from visualizer.main_window import MainWindow
    from visualizer.panels.multitask import SETUP_COLOURS
    from visualizer.pixels import count_near, view_pixels

    load, cores = os.getloadavg()[0], os.cpu_count()
    print(f"multitask_bench: load average {load:.1f} on {cores} cores", file=sys.stderr)
    app = pg.mkQApp("Stepwise")
    window = MainWindow("multitask")
    window.resize(*WINDOW)
    window.show()
    app.processEvents()
    panel = window.session.panel
    paints = paint_counter()
    panel.canvas.viewport().installEventFilter(paints)
    try:
        size = (panel.canvas.viewport().width(), panel.canvas.viewport().height())
        ours = PanelFrames(app, window, paints, ("update",))
        try:
            theirs = MatplotlibMultitaskFrames(panel.data, panel.params, panel.seed, size)
        except ImportError:
            theirs = None
            print("matplotlib is not installed: no baseline", file=sys.stderr)
        take_turns([s for s in (ours, theirs) if s], BUDGET, MIN_FRAMES)
        fps = 1 / statistics.median(ours.times)
        mpl = 1 / statistics.median(theirs.times) if theirs else None
        window.session.player.reset()
        window.session.advance(150)  # soft and separate start alike: let them part
        seen = all(count_near(view_pixels(panel, plot), c, 40) > 20
                   for plot in (panel.fit_plots[0], panel.val_plot)
                   for c in SETUP_COLOURS.values())
        yield Result("multitask: update of 3 set-ups + λ sweep, redraw"
                     + ("" if seen else " — NOT VISIBLE"), fps, "frames/s", baseline=mpl,
                     baseline_name=f"matplotlib Agg {size[0]}×{size[1]}",
                     target=f"≥ {TARGET_FPS:.0f} frames/s", met=seen and fps >= TARGET_FPS)
    finally:
        window.close()
        window.deleteLater()
        app.processEvents()


if __name__ == "__main__":
    for r in run():
        ratio = f", {r.ratio:.1f}× {r.baseline_name}" if r.ratio else ""
        print(f"{r.name}: {r.value:.1f} {r.unit} (baseline {r.baseline and round(r.baseline, 1)}"
              f"{ratio}); target {r.target}: {'met' if r.met else 'NOT met'}")
