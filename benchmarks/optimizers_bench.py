"""Optimizers panel figures: race frame rate and surface redraw time, each beside matplotlib.

1. Frames per second with all six optimizers racing on Rosenbrock (400 × 400 heat map),
   every arrow shown. A frame is `player.step_now()` — the race advances one step and the panel
   moves its paths, points, arrows and loss/distance curves — then a synchronous
   `viewport().repaint()` of the whole 1280 × 800 canvas, so every counted frame is painted
   in full. The matplotlib side runs the same race into a figure of the same size (Agg):
   `set_data` on six paths, six points, three quivers and six loss and distance lines, then
   `canvas.draw()`. The two sides take turns in short slices so load from elsewhere on the
   machine falls on both alike.
2. Milliseconds to show a new surface: the condition number of the bowl changed, or the
   surface switched, then the canvas repainted. Beside it, matplotlib evaluating the same
   400 × 400 grid and drawing `contourf` plus `contour` lines, then `canvas.draw()`.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import time
from collections.abc import Iterator

import numpy as np

from algorithms import optimizers
from benchmarks import FrameTimes, Result

SIZE = (1280, 800)
FPS_TARGET, VS_MPL_TARGET, SWITCH_TARGET_MS = 60, 10, 50
BUDGET, MIN_FRAMES, SLICE, WARM = 4.0, 30, 0.5, 3
SWITCHES = 15
ALL_SIX = dict(gd=True, momentum=True, nesterov=True, adagrad=True, rmsprop=True, adam=True)


def run() -> Iterator[Result]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg

    from visualizer.panels.optimizers import OptimizersPanel
    from visualizer.session import Session

    app = pg.mkQApp("Stepwise")
    session = Session(OptimizersPanel)
    panel = session.panel
    panel.canvas.resize(*SIZE)
    panel.canvas.show()
    app.processEvents()
    try:
        yield frame_result(app, session)
        yield from switch_results(app, panel)
    finally:
        panel.canvas.close()
        panel.canvas.deleteLater()
        app.processEvents()


# --- 1. the race, frame by frame ----------------------------------------------------------
class Side(FrameTimes):
    def __init__(self):
        super().__init__(WARM)


class PanelSide(Side):
    def __init__(self, session):
        super().__init__()
        self.player = session.player
        self.viewport = session.panel.canvas.viewport()

    def frame(self) -> None:
        start = time.perf_counter()
        if not self.player.step_now():
            self.player.reset()  # the race ended: begin again; this frame is not counted
            return
        self.viewport.repaint()
        self.keep(time.perf_counter() - start)


class MatplotlibSide(Side):
    """The same race drawn with matplotlib: the same picture (surface, contours, minimum,
    start, titles, legend, step text) and the same per-frame updates (paths, points,
    arrows, loss and distance lines, step text)."""

    def __init__(self, surface, params):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from visualizer.panels import surface_view
        from visualizer.panels.optimizers import HUE, NAMES
        from visualizer.style import colour

        super().__init__()
        self.new_race = lambda: optimizers.run(surface, params)
        self.race = self.new_race()
        self.fig = Figure(figsize=(SIZE[0] / 100, SIZE[1] / 100), dpi=100)
        FigureCanvasAgg(self.fig)
        grid = self.fig.add_gridspec(2, 2, width_ratios=(3, 2))
        ax = self.fig.add_subplot(grid[:, 0])
        xs, ys, z = surface.grid(surface_view.GRID)
        c = surface_view.colour_values(z, surface.log_colors)
        ax.imshow(surface_view.rgba_image(c), origin="lower",
                  extent=surface.region)
        ax.contour(xs, ys, c, levels=surface_view.LEVELS, colors="k", linewidths=0.5)
        ax.set_aspect("equal")
        self.loss_ax, self.dist_ax = self.fig.add_subplot(grid[0, 1]), self.fig.add_subplot(
            grid[1, 1])
        ax.set_title(surface.name)
        self.loss_ax.set_title("loss above the minimum")
        self.dist_ax.set_title("distance to a minimum")
        minimum = np.asarray(surface.minima)
        ax.plot(minimum[:, 0], minimum[:, 1], "*", ms=16, mfc="w", mec="k")
        start = ax.plot(*surface.start, "o", ms=16, mfc="none", mec="k", ls="none")[0]
        self.counter = ax.text(0.02, 0.98, "", transform=ax.transAxes, va="top",
                               fontweight="bold", backgroundcolor="w")
        self.formula = surface.formula
        for side_ax in (self.loss_ax, self.dist_ax):
            side_ax.grid(alpha=0.2)
            side_ax.set_yscale("log")
            side_ax.set_xlim(0, params.steps)
            side_ax.set_ylim(1e-8, 1e6)
        self.lines, self.dots, self.loss, self.dist = {}, {}, {}, {}
        for n in NAMES:
            hue = colour(HUE[n])
            self.lines[n], = ax.plot([], [], color=hue, lw=2.5)
            self.dots[n], = ax.plot([], [], "o", color=hue, mec="k", ms=12)
            self.loss[n], = self.loss_ax.plot([], [], color=hue, lw=2.5)
            self.dist[n], = self.dist_ax.plot([], [], color=hue, lw=2.5)
        self.fig.legend([*self.lines.values(), start], [*NAMES, "start: click to move"],
                        loc="lower center", ncol=4)
        zeros = np.zeros(len(NAMES))
        self.quivers = [ax.quiver(zeros, zeros, zeros, zeros, angles="xy", scale_units="xy",
                                  scale=1, width=0.004) for _ in range(3)]
        ax.set_xlim(*surface.region[:2])
        ax.set_ylim(*surface.region[2:])
        self.minimum = np.asarray(surface.minima[0])

    def frame(self) -> None:
        start = time.perf_counter()
        snap = next(self.race, None)
        if snap is None:
            self.race = self.new_race()
            return
        points, vectors = [], [[], [], []]
        for n, r in snap.runners.items():
            k = np.arange(len(r.losses))
            self.lines[n].set_data(r.path[:, 0], r.path[:, 1])
            self.dots[n].set_data([r.point[0]], [r.point[1]])
            self.loss[n].set_data(k, np.maximum(r.losses, 1e-12))
            self.dist[n].set_data(k, np.linalg.norm(r.path - self.minimum, axis=1))
            points.append(r.point)
            for i, v in enumerate((r.gradient, r.update, r.velocity)):
                vectors[i].append(np.zeros(2) if v is None else v)
        for quiver, v in zip(self.quivers, vectors, strict=True):
            quiver.set_offsets(points)
            quiver.set_UVC(*np.asarray(v).T)
        self.counter.set_text(f"step {snap.step}   {self.formula}")
        self.fig.canvas.draw()
        self.keep(time.perf_counter() - start)


def frame_result(app, session) -> Result:
    panel = session.panel
    panel.set_params(dataclasses.replace(panel.params, show_velocity=True, **ALL_SIX))
    app.processEvents()
    ours, theirs = PanelSide(session), MatplotlibSide(panel.surface, panel.params)
    deadline = time.perf_counter() + BUDGET
    while time.perf_counter() < deadline or min(len(ours.times), len(theirs.times)) < MIN_FRAMES:
        for side in (ours, theirs):
            until = time.perf_counter() + SLICE
            while time.perf_counter() < until:
                side.frame()
    fps, mpl = 1 / statistics.median(ours.times), 1 / statistics.median(theirs.times)
    seen = paths_on_screen(session)
    return Result("optimizers frame/s, 6 racing, 400² surface" + ("" if seen else
                  " — NOT VISIBLE"), fps, "frames/s", baseline=mpl,
                  baseline_name=f"matplotlib Agg {SIZE[0]}×{SIZE[1]}",
                  target=f"≥ {FPS_TARGET} and ≥ {VS_MPL_TARGET}× matplotlib",
                  met=seen and fps >= FPS_TARGET and fps >= VS_MPL_TARGET * mpl)


def paths_on_screen(session) -> bool:
    """What was timed must be on screen: each racing optimizer's colour is painted in the
    surface view (its path and marker), checked once from the grabbed canvas."""
    from visualizer.panels.optimizers import HUE
    from visualizer.pixels import count_near, view_pixels
    from visualizer.style import colour

    panel = session.panel
    if session.player.current is None:
        session.advance(20)
    pixels = view_pixels(panel, panel.main)
    return all(count_near(pixels, colour(HUE[name]), 30) >= 20
               for name in session.player.current.runners)


# --- 2. a new surface ---------------------------------------------------------------------
def switch_results(app, panel) -> Iterator[Result]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from visualizer.panels import surface_view

    base = dataclasses.replace(panel.params, surface="Quadratic bowl")
    cases = {
        "condition number κ 10 ↔ 50": [dataclasses.replace(base, condition=k)
                                       for k in (10.0, 50.0)],
        "surface Rosenbrock ↔ Himmelblau": [dataclasses.replace(base, surface=s)
                                            for s in ("Rosenbrock", "Himmelblau")],
    }
    fig = Figure(figsize=(SIZE[0] / 100, SIZE[1] / 100), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    viewport = panel.canvas.viewport()
    for name, choices in cases.items():
        ours, theirs = [], []
        for i in range(SWITCHES + 1):
            params = choices[i % 2]
            start = time.perf_counter()
            panel.set_params(params)
            viewport.repaint()
            ours.append(time.perf_counter() - start)

            surface = optimizers.make_surface(params)
            start = time.perf_counter()
            ax.clear()
            xs, ys, z = surface.grid(surface_view.GRID)
            ax.contourf(xs, ys, z, levels=surface_view.LEVELS)
            ax.contour(xs, ys, z, levels=surface_view.LEVELS, colors="k", linewidths=0.5)
            fig.canvas.draw()
            theirs.append(time.perf_counter() - start)
        app.processEvents()
        mine, mpl = statistics.median(ours[1:]) * 1e3, statistics.median(theirs[1:]) * 1e3
        yield Result(f"optimizers: {name}", mine, "ms", baseline=mpl,
                     baseline_name="matplotlib contourf+contour 400²",
                     target=f"< {SWITCH_TARGET_MS} ms", met=mine < SWITCH_TARGET_MS)
