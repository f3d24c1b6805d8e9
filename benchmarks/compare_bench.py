"""The comparison grid animating: eight classifiers stepped together on 400 points, each
plot's regions recomputed and the whole grid redrawn, beside matplotlib drawing the same.

A panel frame is `player.step_now()` (every classifier's next step, computed on the player's
worker), then `panel.background.wait()` (the eight region grids, computed off the UI thread,
must have arrived: a whole picture per frame) and `processEvents()` (Qt paints). The
matplotlib frame draws the same step: a 3 × 3 figure of the data and eight subplots, each a
contourf of the predicted class on the same 60 × 60 grid plus a scatter of the 400 points,
rendered with Agg. Both sides evaluate a model on the grid only when it changed (KNN and the
finished ones are reused) and the ensembles only for their new members, so the difference
is mostly drawing. Medians of interleaved frames (the sides alternate, so load from
elsewhere falls on both). Afterwards the grabbed canvas must show regions in two class
colours in every plot, and the points: what was timed is on screen.

Target (issue 10, 2 cores): the compare grid with 400 points ≥ 15 frames/s.
Run: `python -m benchmarks.compare_bench` (not listed in benchmarks/__init__.py's MODULES;
the lead may add it).
"""

from __future__ import annotations

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
    ours, theirs = [], []
    for i in range(FRAMES + WARM):
        elapsed = panel_frame(app, session)
        step = session.player.current
        other = mpl(step) if mpl else np.nan
        if i >= WARM:
            ours.append(elapsed)
            theirs.append(other)
    fps = 1.0 / statistics.median(ours)
    base = 1.0 / statistics.median(theirs) if mpl else None
    visible = grid_visible(panel)
    yield Result(f"compare grid: 8 classifiers step + regions + redraw ({POINTS} points)",
                 fps, "frames/s", base, "matplotlib 8 × contourf + scatter",
                 f"≥ {TARGET:g} frames/s" + ("" if visible else " (grid NOT visible)"),
                 fps >= TARGET and visible)
    session.close()
    window.close()
    app.processEvents()


def panel_frame(app, session) -> float:
    player, panel = session.player, session.panel
    start = time.perf_counter()
    if not player.step_now():
        player.reset()
        player.step_now()
    panel.background.wait()
    app.processEvents()
    return time.perf_counter() - start


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
    axes = fig.subplots(3, 3).ravel()
    lo, hi = d.X.min(0), d.X.max(0)
    gx, gy = np.linspace(lo[0], hi[0], GRID_CELLS), np.linspace(lo[1], hi[1], GRID_CELLS)
    grid = np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2)
    colours = np.array(PALETTE)[d.y % len(PALETTE)]
    levels = np.arange(len(d.names) + 1) - 0.5
    predictors = [ensembles.IncrementalPredictor(grid) for _ in range(8)]
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

    def frame(step) -> float:
        start = time.perf_counter()
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
        return time.perf_counter() - start

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
