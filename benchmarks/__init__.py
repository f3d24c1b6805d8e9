"""`python -m benchmarks [--json] [--only NAME]`: each figure beside a baseline from the same run.

A benchmark module exposes `run() -> Iterator[Result]`; list it in MODULES. Targets live
here, never in the unit tests, and every figure is a median of repeated measurements.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

MODULES = ("benchmarks.kmeans_bench", "benchmarks.optimizers_bench", "benchmarks.conv_bench",
           "benchmarks.nms_bench", "benchmarks.live_bench",
           "benchmarks.classify_bench", "benchmarks.classify_panels_bench",
           "benchmarks.trees_bench",
           "benchmarks.network_bench", "benchmarks.pca_bench", "benchmarks.pca_panel_bench",
           "benchmarks.overfitting_bench", "benchmarks.overfit_panels_bench",
           "benchmarks.compare_bench", "benchmarks.filters_bench",
           "benchmarks.network_panel_bench", "benchmarks.dropout_panel_bench",
           "benchmarks.overfit_classes_bench", "benchmarks.recurrent_bench",
           "benchmarks.yolo_loss_bench", "benchmarks.multitask_bench",
           "benchmarks.resnet_bench", "benchmarks.cnn_bench",
           "benchmarks.soak_bench")


@dataclass
class Result:
    name: str
    value: float
    unit: str
    baseline: float | None = None   # the same work done by the reference tool, same run
    baseline_name: str = ""
    target: str = ""                # in words, e.g. "≥ 60 frames/s and ≥ 5× matplotlib"
    met: bool | None = None         # whether the target was met on this machine

    @property
    def ratio(self) -> float | None:
        """How many times better than the baseline (higher is better for every unit here)."""
        if self.baseline in (None, 0) or self.value == 0:
            return None
        if self.unit in ("ms", "s", "MB"):
            return self.baseline / self.value
        return self.value / self.baseline


class FrameTimes:
    """Durations of the counted frames; the first `warm` ones only fill caches."""

    def __init__(self, warm: int):
        self.times: list[float] = []
        self.warm = warm

    def keep(self, elapsed: float) -> None:
        if self.warm:
            self.warm -= 1
        else:
            self.times.append(elapsed)


def median_time(fn: Callable[[], object], repeat: int = 7, number: int = 1) -> float:
    """Median seconds per call of fn over `repeat` rounds of `number` calls."""
    fn()  # warm caches and lazy imports
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        rounds.append((time.perf_counter() - start) / number)
    return statistics.median(rounds)


# --- a panel's frames, as the window shows them -------------------------------------------
WINDOW = (1280, 800)   # a laptop's screen: the size panel figures are taken at


def open_panel(panel_id: str, bench: str, size: tuple[int, int] = WINDOW):
    """(app, window): the main window on a panel, shown (offscreen unless a display is
    asked for), after saying on stderr the load the bench's figures were taken under."""
    import os
    import sys

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg

    from visualizer.main_window import MainWindow

    print(f"{bench}: load average {os.getloadavg()[0]:.1f}", file=sys.stderr)
    app = pg.mkQApp("Stepwise")
    window = MainWindow(panel_id)
    window.resize(*size)
    window.show()
    app.processEvents()
    return app, window


def step_frame(app, session) -> float:
    """Seconds of one frame: the next step computed (a finished run starts again), the
    panel's background work done, the window repainted."""
    player, panel = session.player, session.panel
    start = time.perf_counter()
    if not player.step_now():
        player.reset()
        player.step_now()
    panel.background.wait()
    app.processEvents()
    return time.perf_counter() - start


def on_one_thread(results) -> Iterator[Result]:
    """results() with numpy's BLAS on one thread: a laptop's other core is busy with the
    UI, and BLAS threads that wait for it made timings jump."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield from results()
