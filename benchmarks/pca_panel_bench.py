"""PCA panel frame rate: one step of the two-column story (the line turns one angle step,
the variance curve grows) and its redraw on 100,000 points, beside matplotlib drawing the
same picture (the cloud, the line, the variance curve), timed in alternating slices.

Only "rotate" frames are counted: they are most of the story and the animated part. A frame
is `player.step_now()`, the panel's background work waited for, and a synchronous repaint
of the canvas. The algorithm's own figures (the decomposition beside scikit-learn) are in
benchmarks/pca_bench.py.
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

POINTS = 100_000
SIZE = (1280, 800)
FPS_TARGET = 30
BUDGET = 6.0       # seconds of frame taking in all
MIN_FRAMES = 5     # counted frames each side reaches at least (matplotlib is slow here)
SLICE = 0.5
WARM = 2


def run() -> Iterator[Result]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg

    from visualizer.panels.pca import PCAPanel
    from visualizer.session import Session

    load, cores = os.getloadavg()[0], os.cpu_count()
    print(f"pca_panel_bench: load average {load:.1f} on {cores} cores", file=sys.stderr)
    app = pg.mkQApp("Stepwise")
    session = Session(PCAPanel)
    panel = session.panel
    panel.canvas.resize(*SIZE)
    panel.canvas.show()
    panel.set_data_params(dataclasses.replace(panel.data_params, points=POINTS))
    panel.set_params(dataclasses.replace(panel.params, full_turn=True, angle_step=1.0))
    app.processEvents()
    try:
        yield frame_result(app, session)
    finally:
        panel.canvas.close()
        panel.canvas.deleteLater()
        app.processEvents()


class PanelSide(FrameTimes):
    def __init__(self, app, session):
        super().__init__(WARM)
        self.app, self.session = app, session
        self.player = session.player
        self.viewport = session.panel.canvas.viewport()

    def frame(self) -> None:
        start = time.perf_counter()
        if not self.player.step_now():
            self.player.reset()
            return
        self.session.panel.background.wait()
        self.app.processEvents()
        self.viewport.repaint()
        elapsed = time.perf_counter() - start
        if self.player.current.phase == "rotate":
            self.keep(elapsed)


class MatplotlibSide(FrameTimes):
    """The cloud (centred), the turning line and the variance-against-angle curve."""

    def __init__(self, X, params):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from algorithms import pca

        super().__init__(WARM)
        self.new_story = lambda: pca.run(X, params)
        self.story = self.new_story()
        self.fig = Figure(figsize=(SIZE[0] / 100, SIZE[1] / 100), dpi=100)
        FigureCanvasAgg(self.fig)
        grid = self.fig.add_gridspec(3, 2, width_ratios=(3, 2))
        ax = self.fig.add_subplot(grid[:, 0])
        Z = X - X.mean(0)
        ax.plot(Z[:, 0], Z[:, 1], "o", ms=3, mfc="#bdbdbd", mec="k", mew=0.3, ls="none")
        r = float(np.abs(Z).max())
        ax.set_xlim(-r, r)
        ax.set_ylim(-r, r)
        ax.set_aspect("equal")
        ax.set_title("The points")
        self.line, = ax.plot([], [], "k--", lw=2)
        self.side = self.fig.add_subplot(grid[0, 1])
        self.side.set_title("Variance of the projections")
        self.side.set_xlim(0, 180)
        self.side.set_ylim(0, float(np.linalg.eigvalsh(np.cov(Z.T)).max()) * 1.1)
        self.curve, = self.side.plot([], [], "k-")
        self.dot, = self.side.plot([], [], "o", color="#D55E00")
        self.fig.add_subplot(grid[1, 1]).set_title("Scree")
        self.fig.add_subplot(grid[2, 1]).set_title("Reconstruction error vs k")
        self.far = 3 * r

    def frame(self) -> None:
        start = time.perf_counter()
        step = next(self.story, None)
        if step is None:
            self.story = self.new_story()
            return
        if step.phase != "rotate":
            return
        u = step.direction
        self.line.set_data([-self.far * u[0], self.far * u[0]], [-self.far * u[1],
                                                                  self.far * u[1]])
        self.curve.set_data(step.sweep_angles, step.sweep_variances)
        self.dot.set_data([step.sweep_angles[-1]], [step.sweep_variances[-1]])
        self.fig.canvas.draw()
        self.keep(time.perf_counter() - start)


def frame_result(app, session) -> Result:
    panel = session.panel
    ours, theirs = PanelSide(app, session), MatplotlibSide(panel.data.X, panel.params)
    deadline = time.perf_counter() + BUDGET
    while time.perf_counter() < deadline or min(len(ours.times), len(theirs.times)) < MIN_FRAMES:
        for side in (ours, theirs):
            until = time.perf_counter() + SLICE
            while time.perf_counter() < until:
                side.frame()
    fps, mpl = 1 / statistics.median(ours.times), 1 / statistics.median(theirs.times)
    seen = visible(session)
    return Result(f"PCA panel frame/s, turning line, {POINTS:,} points" + (
        "" if seen else " — NOT VISIBLE"), fps, "frames/s", baseline=mpl,
        baseline_name=f"matplotlib Agg {SIZE[0]}×{SIZE[1]}", target=f"≥ {FPS_TARGET}",
        met=seen and fps >= FPS_TARGET)


def visible(session) -> bool:
    """What was timed is on screen: the grey cloud (an image at this size) and the ink of
    the turning line in the main view, the orange dot on the variance curve."""
    from visualizer.pixels import count_near, view_pixels
    from visualizer.style import INK, UNASSIGNED, colour

    panel = session.panel
    while session.player.current is None or session.player.current.phase != "rotate":
        session.player.step_now()
    main = view_pixels(panel, panel.main)
    side = view_pixels(panel, panel.side)
    return (count_near(main, UNASSIGNED, 30) > 2000 and count_near(main, INK, 40) > 100
            and count_near(side, colour(5), 30) > 20)


if __name__ == "__main__":
    for result in run():
        print(result)
