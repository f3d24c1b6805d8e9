"""Overfitting in 2-D: one step (a tree one level deeper refitted on the training points, its
accuracies, its region grid recomputed off the UI thread) plus the redraw, at 1,000 points,
beside matplotlib's contourf + scatter drawing the same step's model
(classify_panels_bench's frame, on a 200 × 200 grid, rendered with Agg).

A panel frame is `player.step_now()`, `panel.background.wait()` (the regions arrived) and
`processEvents()` (Qt painted); when the run ends it starts again, so every depth is timed.
Medians of 48 interleaved frames after 3 untimed ones. Afterwards the grabbed canvas must
show regions in two class colours and the two accuracy curves. Target (issue 12): refit +
redraw ≤ 30 ms at 1,000 points. Run: `python -m benchmarks.overfit_classes_bench`, or
`make bench` with the others. Figures taken while other sessions share the two cores are
pessimistic.
"""

from __future__ import annotations

import os
import statistics
import sys
from collections.abc import Iterator

from benchmarks import Result
from benchmarks.classify_panels_bench import WINDOW, matplotlib_frame, panel_frame, regions_visible

POINTS = 1_000
FRAMES = 48   # 24 frames gave medians from 23 to 45 ms on a busy machine, run to run
WARM = 3      # the first frames build the 1,000 points' caches: not timed
TARGET_MS = 30.0


def run() -> Iterator[Result]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg

    from visualizer.main_window import MainWindow
    from visualizer.panels.overfit_classes import TRAIN, VAL
    from visualizer.pixels import count_near, view_pixels

    print(f"overfit_classes_bench: load average {os.getloadavg()[0]:.1f}", file=sys.stderr)
    app = pg.mkQApp("Stepwise")
    window = MainWindow("overfit_classes")
    window.resize(*WINDOW)
    window.show()
    app.processEvents()
    window.binders[1].group.child("points").setValue(POINTS)
    session = window.session
    panel = session.panel
    mpl = matplotlib_frame(panel)
    ours, theirs = [], []
    for _ in range(WARM):
        panel_frame(app, session, "overfit_classes")
    for _ in range(FRAMES):
        ours.append(panel_frame(app, session, "overfit_classes"))
        step = session.player.current
        if mpl and step is not None and step.model is not None:
            theirs.append(mpl(step.model))
    ms = statistics.median(ours) * 1e3
    base = statistics.median(theirs) * 1e3 if theirs else None
    session.player.reset()
    session.advance(30)
    acc = view_pixels(panel, panel.acc_plot)
    visible = (regions_visible(panel) and count_near(acc, TRAIN, 25) > 100
               and count_near(acc, VAL, 25) > 100)
    yield Result(f"overfit_classes: deeper tree + regions + redraw ({POINTS:,} pts)", ms, "ms",
                 base, "matplotlib contourf + scatter",
                 f"≤ {TARGET_MS:g} ms" + ("" if visible else " (NOT all visible)"),
                 ms <= TARGET_MS and visible)
    session.close()
    window.close()
    app.processEvents()


if __name__ == "__main__":
    from benchmarks.__main__ import line

    for result in run():
        print(line(result))
