"""YOLO loss panel frame rate: one cell's step (its outline, its responsible predictor, the
heat map and the numbers on the visited cells, the term bars) and its redraw on a 7 × 7 grid
(the paper's S) with B = 2, beside matplotlib drawing the same picture, timed in
alternating slices. Only "cell" frames count. A frame is `player.step_now()`, the panel's
background work waited for, and a synchronous repaint of the canvas. Run alone:
`python -m benchmarks.yolo_loss_bench` (it is not in benchmarks.MODULES, a shared file).
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

GRID = 7
SIZE = (1280, 800)
FPS_TARGET = 30
BUDGET = 4.0       # seconds of frame taking in all
SLICE = 0.5
WARM = 2


def run() -> Iterator[Result]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg

    from visualizer.panels.yolo_loss import YoloLossPanel
    from visualizer.session import Session

    load, cores = os.getloadavg()[0], os.cpu_count()
    print(f"yolo_loss_bench: load average {load:.1f} on {cores} cores", file=sys.stderr)
    app = pg.mkQApp("Stepwise")
    session = Session(YoloLossPanel)
    panel = session.panel
    panel.canvas.resize(*SIZE)
    panel.canvas.show()
    panel.set_params(dataclasses.replace(panel.params, grid=GRID))
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
        if self.player.current.phase == "cell":
            self.keep(elapsed)


class MatplotlibSide(FrameTimes):
    """The picture, the grid, the true boxes, this cell and its predictors, the tinted
    visited cells with their numbers, and the five term bars."""

    def __init__(self, panel):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from algorithms import yolo_loss as yl

        super().__init__(WARM)
        self.new_story = lambda: yl.run(panel.truths, panel.pred, panel.params.loss())
        self.story = self.new_story()
        image = panel.picture.image
        self.h, self.w = image.shape[:2]
        self.fig = Figure(figsize=(SIZE[0] / 100, SIZE[1] / 100), dpi=100)
        FigureCanvasAgg(self.fig)
        grid = self.fig.add_gridspec(1, 2, width_ratios=(3, 2))
        ax = self.ax = self.fig.add_subplot(grid[0, 0])
        ax.imshow(image)
        for i in range(GRID + 1):
            ax.axvline(i * self.w / GRID, color="w")
            ax.axhline(i * self.h / GRID, color="w")
        for cx, cy, bw, bh, _ in panel.truths:
            ax.add_patch(_rect(((cx - bw / 2) * self.w, (cy - bh / 2) * self.h),
                               bw * self.w, bh * self.h, "#009E73", 3))
        self.heat = ax.imshow(np.zeros((GRID, GRID, 4)), extent=(0, self.w, self.h, 0))
        self.cell = ax.add_patch(_rect((0, 0), 1, 1, "#0072B2", 3))
        scale = [self.w, self.h, self.w, self.h]
        self.placed = yl.corner_form(yl.to_image(panel.pred.boxes)) * scale
        self.predicted = [ax.add_patch(_rect((0, 0), 1, 1, "#56B4E9", 1))
                          for _ in range(panel.params.boxes)]
        self.texts = [ax.text(0, 0, "", ha="right", va="bottom") for _ in range(GRID * GRID)]
        self.cells = None
        self.bars_ax = self.fig.add_subplot(grid[0, 1], title="Each term's total")
        self.bars = self.bars_ax.barh(range(5), np.zeros(5), color="#999999")
        self.bars_ax.set_yticks(range(5), yl.TERMS)
        self.bars_ax.set_xlim(0, float(panel.loss.totals.max()) * 1.15)

    def frame(self) -> None:
        start = time.perf_counter()
        step = next(self.story, None)
        if step is None:
            self.story = self.new_story()
            return
        if step.phase != "cell":
            return
        r, c = step.cell
        cw, ch = self.w / GRID, self.h / GRID
        self.cell.set_bounds(c * cw, r * ch, cw, ch)
        for patch, box in zip(self.predicted, self.placed[r, c], strict=True):
            patch.set_bounds(*box)
        cells = np.where(step.visited, step.loss.cells, 0.0)
        rgba = np.zeros((GRID, GRID, 4))
        rgba[..., :3] = (213 / 255, 94 / 255, 0)
        rgba[..., 3] = 0.67 * np.sqrt(cells / step.loss.cells.max())
        self.heat.set_data(rgba)
        for i, text in enumerate(self.texts):
            rr, cc = divmod(i, GRID)
            text.set_position(((cc + 1) * cw, (rr + 1) * ch))
            text.set_text(f"{cells[rr, cc]:.2g}" if cells[rr, cc] > 0 else "")
        for bar, value in zip(self.bars, step.totals, strict=True):
            bar.set_width(value)
        self.fig.canvas.draw()
        self.keep(time.perf_counter() - start)


def _rect(xy, w, h, colour, width):
    from matplotlib.patches import Rectangle

    return Rectangle(xy, w, h, fill=False, edgecolor=colour, linewidth=width)


def frame_result(app, session) -> Result:
    from visualizer.panels.yolo_loss import CELL
    from visualizer.pixels import count_near, view_pixels

    panel = session.panel
    ours = PanelSide(app, session)
    try:
        theirs = MatplotlibSide(panel)
    except ImportError:
        theirs = None
    end = time.perf_counter() + BUDGET
    while time.perf_counter() < end:
        for side in (ours, theirs):
            if side is None:
                continue
            stop = time.perf_counter() + SLICE
            while time.perf_counter() < stop:
                side.frame()
    if session.player.current.phase != "cell":
        session.player.step_now()
    if count_near(view_pixels(panel, panel.main), CELL, 40) < 50:
        raise RuntimeError("the timed frames did not show the current cell")
    fps = 1 / statistics.median(ours.times)
    baseline = 1 / statistics.median(theirs.times) if theirs and theirs.times else None
    return Result(f"YOLO loss panel frame, {GRID}×{GRID} grid", fps, "frames/s",
                  baseline=baseline, baseline_name="matplotlib Agg",
                  target=f"≥ {FPS_TARGET} frames/s", met=fps >= FPS_TARGET)


if __name__ == "__main__":
    for result in run():
        ratio = f", {result.ratio:.1f}× {result.baseline_name}" if result.baseline else ""
        print(f"{result.name}: {result.value:.1f} {result.unit}{ratio} "
              f"(target {result.target}: {'met' if result.met else 'not met'})")
