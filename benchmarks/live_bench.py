"""Panels live on a video: frames per second of the whole pipeline and the UI thread's
longest pause, beside matplotlib drawing the same picture.

The sample clip (640 × 480) is read as fast as it is used (not at its own 25 frames/s),
so the figure is what the pipeline can sustain: capture on its thread, the panel's
analysis in the background (NMS: detection and NMS; convolution: a 5×5 kernel, ReLU and the
whole picture; pooling: a 3×3 Sobel map, ReLU and 2×2 max-pooling), the picture drawn on
the UI thread. A 2 ms timer on the UI thread records
every gap in the event loop meanwhile. Once, what was timed is read back from the screen.
matplotlib's side draws the same picture (and boxes) with imshow each frame (Agg), with the
same analysis time added, since the pipeline's figure includes it.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import time
from collections.abc import Iterator

import numpy as np

from benchmarks import Result

SECONDS = 8.0
FPS_TARGET = {"nms": 25, "convolution": 30, "pooling": 30}
STALL_TARGET_MS = 50


def run() -> Iterator[Result]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    yield from live("nms")
    yield from live("convolution")
    yield from live("pooling")


def live(panel_id: str) -> Iterator[Result]:
    import pyqtgraph as pg
    from PySide6 import QtCore

    from visualizer.main_window import MainWindow
    from visualizer.sources.frames import SAMPLE_CLIP, StreamSpec

    app = pg.mkQApp("Stepwise")
    window = MainWindow(panel_id)
    window.resize(1280, 800)
    window.show()
    app.processEvents()
    panel = window.session.panel
    if panel_id == "convolution":  # the pipeline: a 5×5 kernel and ReLU
        panel.apply_params(dataclasses.replace(panel.params, preset="gaussian blur", size=5,
                                               activation="relu"))
    visible = _visible(panel)
    panel.live.follow(StreamSpec(path=str(SAMPLE_CLIP), loop=True, realtime=False))
    gaps, last = [], [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QtCore.QTimer(interval=2, timeout=tick)
    deadline = time.perf_counter() + 1.0     # warm-up: caches, the first frames
    while time.perf_counter() < deadline:
        app.processEvents(QtCore.QEventLoop.AllEvents, 5)
    count = {"frames": 0}
    panel.restart.connect(lambda: count.__setitem__("frames", count["frames"] + 1))
    start = time.perf_counter()
    timer.start()
    last[0] = time.perf_counter()
    while time.perf_counter() < start + SECONDS:
        app.processEvents(QtCore.QEventLoop.AllEvents, 5)
    timer.stop()
    fps = count["frames"] / (time.perf_counter() - start)
    data = panel.frame if panel_id == "nms" else panel.picture   # NMS frame, or filtered
    panel.live.stop()
    window.close()
    window.deleteLater()
    app.processEvents()
    worst = max(gaps) * 1e3
    mpl = _matplotlib_fps(data)
    target = FPS_TARGET[panel_id]
    what = {"nms": "capture + detect + NMS + draw",
            "convolution": "capture + 5×5 blur + ReLU + draw",
            "pooling": "capture + 3×3 Sobel + ReLU + 2×2 max-pool + draw"}[panel_id]
    yield Result(f"{panel_id} live, 640×480 sample ({what})", fps, "frames/s",
                 baseline=mpl, baseline_name="matplotlib Agg imshow, same analysis",
                 target=f"≥ {target} frames/s, what is drawn visible ({visible} px)",
                 met=fps >= target and visible > 200)
    yield Result(f"{panel_id} live: longest UI-thread pause", worst, "ms",
                 target=f"≤ {STALL_TARGET_MS} ms", met=worst <= STALL_TARGET_MS)


def _visible(panel) -> int:
    """Pixels of what the panel draws, read back from the screen: the kept boxes' green
    (NMS), or the filtered picture's non-white pixels (convolution)."""
    from visualizer.pixels import count_near, view_pixels

    if panel.id == "nms":
        from visualizer.panels.nms import KEPT

        return count_near(view_pixels(panel, panel.main), KEPT, 40)
    if panel.id == "pooling":   # the pooled map: light edges on black
        pixels = view_pixels(panel, panel.whole_plot).astype(int)
        return int((pixels.min(axis=-1) > 60).sum())
    pixels = view_pixels(panel, panel.result_plot).astype(int)
    return int((pixels.min(axis=-1) < 235).sum())


def _matplotlib_fps(data) -> float:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.1, 6.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_axis_off()
    boxes = getattr(data, "boxes", None)
    picture = (data.image if boxes is not None else
               data.pooled if hasattr(data, "pooled") else data.output)
    image = ax.imshow(picture)

    def outlines(chosen):
        x, y, w, h = np.asarray(chosen, float).reshape(-1, 4).T
        return np.stack([np.column_stack([x, y]), np.column_stack([x + w, y]),
                         np.column_stack([x + w, y + h]), np.column_stack([x, y + h])], 1)

    raw = kept = None
    if boxes is not None:
        raw = PolyCollection(outlines(boxes), facecolors="none", edgecolors="#56B4E9")
        kept = PolyCollection(outlines(boxes[data.kept]), facecolors="none",
                              edgecolors="#009E73", linewidths=3)
        ax.add_collection(raw)
        ax.add_collection(kept)
        analysis = data.seconds["detect"] + data.seconds["nms"]
    else:
        analysis = data.seconds
    fig.canvas.draw()
    times = []
    for _ in range(15):
        t = time.perf_counter()
        image.set_data(picture)
        if raw is not None:
            raw.set_verts(outlines(boxes))
            kept.set_verts(outlines(boxes[data.kept]))
        fig.canvas.draw()
        times.append(time.perf_counter() - t + analysis)
    return 1 / statistics.median(times)
