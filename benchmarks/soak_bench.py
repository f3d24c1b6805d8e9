"""Memory over a lesson: panels switched every few seconds while playing, for minutes.

The first full round of panels is warm-up (fonts, caches, lazily imported modules); after
it the resident memory is sampled at every switch, after a garbage collection. The figure
is the growth from the first samples to the last (medians of a few each, since a sample
also holds the history of whatever panel was just playing). A leak shows as steady growth:
ten minutes of this once took the window from 138 MB to 186 MB.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Iterator

from benchmarks import Result

MINUTES = 3.0
DWELL = 6.0          # seconds on each panel, playing at full speed
SAMPLES = 5          # samples in each median
TARGET_MB = 5.0
MB = 1024 * 1024


def run() -> Iterator[Result]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import psutil
    import pyqtgraph as pg
    from PySide6 import QtCore

    from visualizer import registry
    from visualizer.main_window import MainWindow

    app = pg.mkQApp("Stepwise")
    window = MainWindow(registry.PANELS[0].id)
    window.resize(1280, 800)
    window.show()
    ids = [p.id for p in registry.PANELS]
    process = psutil.Process()
    samples: list[float] = []
    switches = {"n": 0}
    deadline = time.perf_counter() + MINUTES * 60

    def switch():
        n = switches["n"]
        if n >= len(ids):          # past the warm-up round
            gc.collect()
            samples.append(process.memory_info().rss / MB)
        if time.perf_counter() > deadline and len(samples) >= 2 * SAMPLES:
            app.quit()
            return
        window.open_panel(ids[n % len(ids)])
        window.session.player.set_speed(60)
        window.session.player.play()
        switches["n"] = n + 1

    timer = QtCore.QTimer(interval=int(DWELL * 1000), timeout=switch)
    timer.start()
    switch()
    app.exec()
    timer.stop()
    window.close()
    window.deleteLater()
    app.processEvents()
    growth = statistics.median(samples[-SAMPLES:]) - statistics.median(samples[:SAMPLES])
    yield Result(f"memory growth, {MINUTES:g} min of play, panel switch every {DWELL:g} s "
                 f"({switches['n']} switches; {min(samples):.0f}–{max(samples):.0f} MB)",
                 growth, "MB", target=f"≤ {TARGET_MB:g} MB", met=growth <= TARGET_MB)
