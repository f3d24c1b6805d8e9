"""The comparison grid animating: nine classifiers (the eight classical ones and a 2-16-16-2
network) stepped together on 400 points, each plot's regions recomputed and the whole grid
redrawn, beside matplotlib drawing the same.

A panel frame is `player.step_now()` (every classifier's next step, computed on the player's
worker), then `panel.background.wait()` (the nine region grids, computed off the UI thread,
must have arrived: a whole picture per frame) and `processEvents()` (Qt paints). The
matplotlib frame draws the same step in the same layout: a 4 × 3 figure of the data and
nine subplots (two axes left empty, as the panel leaves them to its legend), each a
contourf of the predicted class on the same 60 × 60 grid plus a scatter of the 400 points,
rendered with Agg. Both sides evaluate a model on the grid only when it changed (KNN and the
finished ones are reused) and the ensembles only for their new members, so the difference
is mostly drawing. Medians of interleaved frames (the sides alternate, so load from
elsewhere falls on both). Each frame is timed twice: wall clock, and the CPU time of the
whole process (every thread: the player's worker and the region workers count too), which
the other sessions on a shared machine do not inflate (BLAS held to one thread on both
sides, with threadpoolctl, so that idle spinning threads add nothing, and the step a paused
player computes ahead waited for inside our frame); the target is judged on the CPU time.
Afterwards the grabbed canvas must show regions in two class colours in every plot, and the
points: what was timed is on screen.

Target (issue 10, 2 cores): the compare grid with 400 points ≥ 15 frames/s.
Run: `python -m benchmarks.compare_bench`;
`make bench` runs it with the others.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from collections.abc import Iterator

import numpy as np

from benchmarks import Result

POINTS = 400
FRAMES = 30
WARM = 3
TARGET = 15.0
WINDOW = (1280, 800)


def run() -> Iterator[Result]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:   # idle BLAS threads spin: their CPU time would count in both sides' frames
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = contextlib.nullcontext
    with threadpool_limits(1):
        yield from _results()


def _results() -> Iterator[Result]:
    import pyqtgraph as pg

    from visualizer.main_window import MainWindow

    print(f"compare_bench: load average {os.getloadavg()[0]:.1f}", file=sys.stderr)
    app = pg.mkQApp("Stepwise")
    window = MainWindow("compare")
    window.resize(*WINDOW)
    window.show()
    app.processEvents()
    window.binders[1].group.child("points").setValue(POINTS)
    session = window.session
    panel = session.panel
    mpl = matplotlib_frame(panel)
    ours, theirs = [], []          # (wall, cpu) per frame
    for i in range(FRAMES + WARM):
        elapsed = timed(panel_frame, app, session)
        step = session.player.current
        other = timed(mpl, step) if mpl else (np.nan, np.nan)
        if i >= WARM:
            ours.append(elapsed)
            theirs.append(other)
    cells = len(session.player.current.cells)
    visible = grid_visible(panel)
    for k, clock in ((1, "CPU time"), (0, "wall clock")):   # timed() gives (wall, cpu)
        fps = 1.0 / statistics.median(t[k] for t in ours)
        base = 1.0 / statistics.median(t[k] for t in theirs) if mpl else None
        judged = k == 1
        yield Result(f"compare grid: {cells} classifiers step + regions + redraw "
                     f"({POINTS} points), {clock}", fps, "frames/s", base,
                     f"matplotlib {cells} × contourf + scatter",
                     (f"≥ {TARGET:g} frames/s" + ("" if visible else " (grid NOT visible)"))
                     if judged else "(shown only: others' load counts here)",
                     (fps >= TARGET and visible) if judged else None)
    session.close()
    window.close()
    app.processEvents()


def timed(frame, *args) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the whole process) of one frame."""
    wall, cpu = time.perf_counter(), time.process_time()
    frame(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def panel_frame(app, session) -> None:
    player, panel = session.player, session.panel
    if not player.step_now():
        player.reset()
        player.step_now()
    panel.background.wait()
    app.processEvents()
    ahead = getattr(player, "_inflight", None)   # the step a paused player computes ahead:
    if ahead is not None:                         # ours, so counted in our frame, not in
        ahead.result(60)                          # matplotlib's that would run beside it


def matplotlib_frame(panel):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        print("compare_bench: matplotlib is not installed; no baseline", file=sys.stderr)
        return None
    from algorithms import ensembles
    from visualizer.panels.compare_views import GRID_CELLS
    from visualizer.style import PALETTE

    d = panel.data
    canvas_size = panel.canvas.size()
    fig = Figure(figsize=(canvas_size.width() / 100, canvas_size.height() / 100), dpi=100)
    canvas = FigureCanvasAgg(fig)
    from visualizer.panels.compare import COLUMNS
    cells = len(panel.scene.scenes) - 1
    rows = -(-(cells + 1) // COLUMNS)
    axes = fig.subplots(rows, COLUMNS).ravel()
    for ax in axes[cells + 1:]:   # the panel's legend corner: nothing drawn there
        ax.set_axis_off()
    axes = axes[:cells + 1]
    lo, hi = d.X.min(0), d.X.max(0)
    gx, gy = np.linspace(lo[0], hi[0], GRID_CELLS), np.linspace(lo[1], hi[1], GRID_CELLS)
    grid = np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2)
    colours = np.array(PALETTE)[d.y % len(PALETTE)]
    levels = np.arange(len(d.names) + 1) - 0.5
    predictors = [ensembles.IncrementalPredictor(grid) for _ in range(cells)]
    cached: dict[int, tuple[int, np.ndarray]] = {}

    def labels(i, model):
        if i in cached and cached[i][0] == id(model):
            return cached[i][1]
        if isinstance(model, ensembles.Ensemble):
            proba = predictors[i].predict_proba(model)
        else:
            proba = model.predict_proba(grid)
        out = model.classes[proba.argmax(1)].reshape(GRID_CELLS, GRID_CELLS)
        cached[i] = (id(model), out)
        return out

    def frame(step) -> None:
        for ax in axes:
            ax.clear()
            ax.set_xticks([])
            ax.set_yticks([])
        axes[0].scatter(d.X[:, 0], d.X[:, 1], c=colours, s=10, edgecolors="k", linewidths=0.3)
        axes[0].set_title("The data", fontsize=9)
        for i, (ax, cell) in enumerate(zip(axes[1:], step.cells, strict=True)):
            if cell.model is not None:
                ax.contourf(gx, gy, labels(i, cell.model), levels=levels,
                            colors=PALETTE[:len(d.names)], alpha=0.4)
            ax.scatter(d.X[:, 0], d.X[:, 1], c=colours, s=10, edgecolors="k", linewidths=0.3)
            ax.set_title(cell.key, fontsize=9)
            if not np.isnan(cell.test):
                ax.text(0.98, 0.02, f"{100 * cell.test:.1f}%", ha="right",
                        transform=ax.transAxes)
        canvas.draw()

    return frame


def grid_visible(panel) -> bool:
    """Every classifier's plot shows regions in two class colours, and its points."""
    from visualizer.panels.scene import PALE, STRONG
    from visualizer.pixels import count_near, pale, view_pixels
    from visualizer.style import PALETTE

    for plot in panel.cells:
        pixels = view_pixels(panel, plot)
        for c in range(2):
            tints = sum(count_near(pixels, pale(PALETTE[c], s), 4)
                        for s in np.linspace(PALE, STRONG, 6))
            if tints < 300 or count_near(pixels, PALETTE[c], 20) < 30:
                return False
    return True


if __name__ == "__main__":
    for result in run():
        verdict = {True: "met", False: "not met", None: "—"}[result.met]
        base = (f"; matplotlib {result.baseline:.1f} ({result.ratio:.1f}×)"
                if result.baseline else "")
        print(f"{result.name}: {result.value:.1f} {result.unit}{base}; "
              f"target {result.target}: {verdict}")
