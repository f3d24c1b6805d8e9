"""The convolution panel's redraw of the whole filtered picture, three ways.

One redraw: the kernel changed (Sobel x and Sobel y in turn, so every frame shows a
different map), the whole grey picture at the panel's working width is filtered again and
the panel's "filtered, all of it" image is updated and painted (`_show_result`, then
`processEvents`; a paint counter on the canvas checks that each frame painted, and a frame
that did not is forced to repaint inside the timed span). Three sides, taking turns so a
burst of load from elsewhere lands on all of them alike:

- fast path: cv2.filter2D (what the panel and live mode use), then the panel's redraw;
- teaching path: the numpy sum of window × kernel at every position (the arithmetic the
  stepping shows), then the same redraw;
- matplotlib: the fast path's output drawn by imshow (set_data + set_clim + a full Agg
  draw of a figure the size of the panel's plot, with its colour bar).

Then the pooling panel stepping one window per frame (step + redraw + paint, the start
and done frames left out), with the window and the winning cell checked in the grab.

Run alone: `PYTHONPATH=. python -m benchmarks.filters_bench`. Figures taken while other
work shares the CPU are pessimistic; the load average is printed on stderr.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Iterator

import numpy as np

from algorithms import convolution, kernels
from benchmarks import FrameTimes, Result

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

WINDOW = (1280, 800)
WARM = 3
FRAMES = {"fast": 40, "teaching": 12, "matplotlib": 25}
TARGET_MS = 33.0              # a redraw within a 30 frames/s frame
FAST_VS_TEACHING = 5.0        # the fast path at least this many times the teaching path's rate
VISIBLE_PIXELS = 1000         # blue and orange pixels each, in the grabbed result plot


def _kernels():
    return [kernels.make(kernels.Params(preset=name)) for name in ("sobel x", "sobel y")]


class PaintCounter:
    def __init__(self, widget):
        from PySide6 import QtCore

        class Filter(QtCore.QObject):
            count = 0

            def eventFilter(self, _obj, event):
                if event.type() == QtCore.QEvent.Type.Paint:
                    self.count += 1
                return False

        self.filter = Filter()
        widget.installEventFilter(self.filter)

    @property
    def count(self) -> int:
        return self.filter.count

    def reset(self) -> None:
        self.filter.count = 0


class Split(FrameTimes):
    """Whole frames, and the part of each spent filtering (the rest is drawing)."""

    def __init__(self):
        super().__init__(WARM)
        self.filtering: list[float] = []

    def keep_split(self, start: float, filtered: float, end: float) -> None:
        if not self.warm:
            self.filtering.append(filtered - start)
        self.keep(end - start)


class PanelRedraw(Split):
    def __init__(self, app, panel, fast: bool, paints):
        super().__init__()
        self.app, self.panel, self.fast, self.paints = app, panel, fast, paints
        self.kernels, self.turn = _kernels(), 0
        self.sliding = panel.params.sliding()

    def frame(self) -> None:
        from visualizer.panels.convolution import Filtered

        panel = self.panel
        kernel = self.kernels[self.turn % 2]
        self.turn += 1
        self.paints.reset()
        start = time.perf_counter()
        grey = panel.picture.grey
        output = convolution.filter_image(grey, kernel, self.sliding, fast=self.fast)
        filtered = time.perf_counter()
        panel.picture = Filtered(panel.picture.name, grey, output, 0.0)
        panel._show_result()
        self.app.processEvents()
        if self.paints.count == 0:
            panel.canvas.viewport().repaint()
        self.keep_split(start, filtered, time.perf_counter())


class MatplotlibRedraw(Split):
    def __init__(self, grey, size_px, sliding):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.colors import LinearSegmentedColormap
        from matplotlib.figure import Figure

        from visualizer.style import PALETTE

        super().__init__()
        self.grey, self.sliding = grey, sliding
        self.kernels, self.turn = _kernels(), 0
        dpi = 100
        self.fig = Figure(figsize=(size_px[0] / dpi, size_px[1] / dpi), dpi=dpi)
        FigureCanvasAgg(self.fig)
        ax = self.fig.add_subplot(title="Filtered, all of it")
        ax.set_axis_off()
        cmap = LinearSegmentedColormap.from_list("diverging", [PALETTE[0], "#ffffff",
                                                               PALETTE[5]])
        first = convolution.filter_image(grey, self.kernels[0], sliding)
        self.image = ax.imshow(first, cmap=cmap, interpolation="nearest")
        self.fig.colorbar(self.image, ax=ax)
        self.fig.canvas.draw()

    def frame(self) -> None:
        kernel = self.kernels[self.turn % 2]
        self.turn += 1
        start = time.perf_counter()
        output = convolution.filter_image(self.grey, kernel, self.sliding, fast=True)
        filtered = time.perf_counter()
        top = float(np.abs(output).max()) or 1.0
        self.image.set_data(output)
        self.image.set_clim(-top, top)
        self.fig.canvas.draw()
        self.keep_split(start, filtered, time.perf_counter())


def signs(pixels) -> tuple[int, int]:
    p = pixels.astype(int)
    red, blue = p[..., 0], p[..., 2]
    return int((blue > red + 25).sum()), int((red > blue + 25).sum())


def run() -> Iterator[Result]:
    import pyqtgraph as pg

    from visualizer.main_window import MainWindow
    from visualizer.pixels import view_pixels

    load, cores = os.getloadavg()[0], os.cpu_count()
    print(f"filters_bench: load average {load:.1f} on {cores} cores", file=sys.stderr)
    app = pg.mkQApp("Stepwise")
    window = MainWindow("convolution")
    window.resize(*WINDOW)
    window.show()
    app.processEvents()
    panel = window.session.panel
    try:
        paints = PaintCounter(panel.canvas.viewport())
        rect = panel.result_plot.sceneBoundingRect()
        sides = {"fast": PanelRedraw(app, panel, True, paints),
                 "teaching": PanelRedraw(app, panel, False, paints)}
        try:
            sides["matplotlib"] = MatplotlibRedraw(panel.picture.grey,
                                                   (int(rect.width()), int(rect.height())),
                                                   panel.params.sliding())
        except ImportError:
            print("filters_bench: matplotlib is not installed; its baseline is left out",
                  file=sys.stderr)
        while any(len(side.times) < FRAMES[name] for name, side in sides.items()):
            for name, side in sides.items():
                if len(side.times) < FRAMES[name]:
                    side.frame()
        negative, positive = signs(view_pixels(panel, panel.result_plot))
        visible = negative >= VISIBLE_PIXELS and positive >= VISIBLE_PIXELS
        h, w = panel.picture.grey.shape
    finally:
        window.close()
    med = {name: statistics.median(side.times) * 1e3 for name, side in sides.items()}
    filt = {name: statistics.median(side.filtering) * 1e3 for name, side in sides.items()}
    draw = {name: statistics.median(np.subtract(side.times, side.filtering)) * 1e3
            for name, side in sides.items()}
    where = f"{w}×{h}, 3×3 Sobel"
    print(f"filters_bench: result plot shows {negative} blue and {positive} orange pixels",
          file=sys.stderr)
    yield Result(f"filter {where}: fast path (cv2.filter2D)", filt["fast"], "ms",
                 baseline=filt["teaching"], baseline_name="teaching path (numpy)",
                 target=f"≥ {FAST_VS_TEACHING:g}× the teaching path",
                 met=filt["teaching"] >= FAST_VS_TEACHING * filt["fast"])
    yield Result(f"convolution redraw {where}: fast path", med["fast"], "ms",
                 baseline=med["teaching"], baseline_name="teaching path, same redraw",
                 target=f"≤ {TARGET_MS:g} ms (30 frames/s), visible",
                 met=med["fast"] <= TARGET_MS and visible)
    if "matplotlib" in med:
        yield Result(f"convolution redraw {where}: fast path", med["fast"], "ms",
                     baseline=med["matplotlib"], baseline_name="matplotlib imshow redraw",
                     target="faster than matplotlib", met=med["fast"] < med["matplotlib"])
        yield Result("  of which drawing: the panel", draw["fast"], "ms",
                     baseline=draw["matplotlib"], baseline_name="matplotlib set_data + draw",
                     target="faster than matplotlib", met=draw["fast"] < draw["matplotlib"])
    yield from pooling_frames()


def pooling_frames() -> Iterator[Result]:
    """The pooling panel stepping window by window: step + redraw + paint per frame, and the
    grabbed patch view checked for the window and the winning cell."""
    import pyqtgraph as pg

    from visualizer.main_window import MainWindow
    from visualizer.panels.convolution import CURSOR
    from visualizer.panels.pooling import WINNER
    from visualizer.pixels import count_near, view_pixels

    app = pg.mkQApp("Stepwise")
    window = MainWindow("pooling")
    window.resize(*WINDOW)
    window.show()
    app.processEvents()
    panel, player = window.session.panel, window.session.player
    times = FrameTimes(WARM)
    try:
        paints = PaintCounter(panel.canvas.viewport())
        while len(times.times) < FRAMES["fast"]:
            paints.reset()
            start = time.perf_counter()
            if not player.step_now():
                player.reset()      # done: begin again, so later frames are real steps
                app.processEvents()
                continue
            panel.background.wait()
            app.processEvents()
            if paints.count == 0:
                panel.canvas.viewport().repaint()
            if player.current.phase == "position":   # a window written, not start or done
                times.keep(time.perf_counter() - start)
        while player.current is None or player.current.phase != "position":
            if not player.step_now():
                player.reset()
        patch = view_pixels(panel, panel.patch_plot)
        visible = count_near(patch, CURSOR, 40) > 40 and count_near(patch, WINNER, 40) > 40
    finally:
        window.close()
    rate = 1.0 / statistics.median(times.times)
    yield Result("pooling panel: one window step + redraw", rate, "frames/s",
                 target="≥ 30 frames/s, window and winner visible",
                 met=rate >= 30 and visible)


if __name__ == "__main__":
    from benchmarks.__main__ import line

    for result in run():
        print(line(result), flush=True)
