"""Overfitting panels: a degree (or λ) change → refit + redraw at 1,000 points, beside
matplotlib refitting and redrawing the same content.

One panel frame is what the window does when the user moves on by one degree: the player
computes the next fit on its worker (`player.step_now()` waits for it), the panel updates
its items, and Qt paints (`processEvents`; a paint counter checks each frame really painted,
and forces a repaint inside the timed span if not). The matplotlib frame does the same fit
(`overfitting.fit_degree` and the curve on the grid), updates its lines and draws the whole
figure with Agg, as a canvas redraw must. Medians; the two sides take turns in short slices
so load from elsewhere on the machine hits both alike. Each figure checks once, from the
grabbed canvas, that the fit it timed is visible.

Run: `PYTHONPATH=. python -m benchmarks.overfit_panels_bench` (the module is not in
benchmarks.MODULES, which the lead owns).
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

WINDOW = (1280, 800)
POINTS = 1_000
TARGET_MS = 30.0
BUDGET, MIN_FRAMES, SLICE, WARM = 4.0, 30, 0.5, 3


class PanelFrames(FrameTimes):
    def __init__(self, app, window, paints, counted):
        super().__init__(WARM)
        self.app, self.session, self.paints, self.counted = app, window.session, paints, counted
        self.viewport = window.session.panel.canvas.viewport()

    def frame(self) -> None:
        player = self.session.player
        self.paints.count = 0
        start = time.perf_counter()
        if not player.step_now():
            player.reset()
            self.app.processEvents()
            return
        self.session.panel.background.wait()
        self.app.processEvents()
        if self.paints.count == 0:
            self.viewport.repaint()
        elapsed = time.perf_counter() - start
        if player.current.phase in self.counted:
            self.keep(elapsed)


class MatplotlibDegreeFrames(FrameTimes):
    """The degree panel's content in matplotlib: three marker sets, the true curve, the fit,
    and the two error curves on a log axis; each frame refits one more degree."""

    def __init__(self, problem, max_degree, size_px):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from visualizer.panels.overfit_common import FIT, TEST, TRAIN, TRUTH, VAL

        super().__init__(WARM)
        self.problem, self.max_degree, self.degree = problem, max_degree, 0
        self.fig = Figure(figsize=(size_px[0] / 100, size_px[1] / 100), dpi=100)
        self.canvas = FigureCanvasAgg(self.fig)
        ax, self.err = self.fig.subplots(1, 2, width_ratios=(3, 2))
        x, y = problem.x, problem.y
        ax.plot(x[problem.train], y[problem.train], "o", color=TRAIN, mec="k", ms=6)
        ax.plot(x[problem.val], y[problem.val], "v", color=VAL, mec="k", ms=6)
        ax.plot(x[problem.test], y[problem.test], "s", mfc="none", mec=TEST, ms=6)
        ax.plot(problem.grid, problem.truth, "--", color=TRUTH)
        (self.fit,) = ax.plot([], [], color=FIT, lw=2.4)
        ax.set_ylim(y.min() - 1, y.max() + 0.5)
        ax.legend(["training", "validation", "test", "true curve", "fit"], loc="lower right")
        (self.tr,) = self.err.semilogy([], [], "o-", color=TRAIN)
        (self.va,) = self.err.semilogy([], [], "v-", color=VAL)
        self.err.set_xlim(0.5, max_degree + 0.5)
        self.err.set_ylim(1e-3, 10)
        self.trains, self.vals = [], []

    def frame(self) -> None:
        from algorithms import overfitting

        start = time.perf_counter()
        self.degree = self.degree % self.max_degree + 1
        if self.degree == 1:
            self.trains, self.vals = [], []
        w, tr, va = overfitting.fit_degree(self.problem, self.degree)
        self.trains.append(tr)
        self.vals.append(va)
        self.fit.set_data(self.problem.grid, self.problem.curve(w))
        degrees = np.arange(1, self.degree + 1)
        self.tr.set_data(degrees, self.trains)
        self.va.set_data(degrees, self.vals)
        self.canvas.draw()
        self.keep(time.perf_counter() - start)


class PanelChangeFrames(FrameTimes):
    """A slider moved: `change(i)` sets new parameters (the run restarts), then the player
    steps until a step of phase in `until` is drawn and painted."""

    def __init__(self, app, window, paints, change, until):
        super().__init__(WARM)
        self.app, self.session, self.change, self.until = app, window.session, change, until
        self.paints, self.i = paints, 0

    def frame(self) -> None:
        player = self.session.player
        self.paints.count = 0
        start = time.perf_counter()
        self.change(self.i)
        self.app.processEvents()
        while player.step_now() and player.current.phase not in self.until:
            pass
        self.session.panel.background.wait()
        self.app.processEvents()
        if self.paints.count == 0:  # guards the claim "every frame paints"
            self.session.panel.canvas.viewport().repaint()
        self.keep(time.perf_counter() - start)
        self.i += 1


class MatplotlibRidgeFrames(FrameTimes):
    """The regularization panel's content in matplotlib: the points and both fits, the
    coefficient bars, the contour picture with the L2 circle, and (static) empty paths;
    each frame refits ridge at the next λ and recomputes the picture, as the panel does."""

    def __init__(self, problem, degree, lams, size_px):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from algorithms import polyfit
        from visualizer.panels.overfit_common import FIT, TEST, TRAIN, TRUTH, VAL

        super().__init__(WARM)
        self.problem, self.degree, self.lams, self.i = problem, degree, lams, 0
        self.fig = Figure(figsize=(size_px[0] / 100, size_px[1] / 100), dpi=100)
        self.canvas = FigureCanvasAgg(self.fig)
        (self.ax, self.bars_ax), (self.pic_ax, self.path_ax) = self.fig.subplots(2, 2)
        x, y = problem.x, problem.y
        ax = self.ax
        ax.plot(x[problem.train], y[problem.train], "o", color=TRAIN, mec="k", ms=5)
        ax.plot(x[problem.val], y[problem.val], "v", color=VAL, mec="k", ms=5)
        ax.plot(x[problem.test], y[problem.test], "s", mfc="none", mec=TEST, ms=5)
        ax.plot(problem.grid, problem.truth, "--", color=TRUTH)
        self.X = problem.features(problem.train, degree)
        ls = polyfit.lstsq(self.X, y[problem.train])
        ax.plot(problem.grid, problem.curve(ls), "-.", color="#CC79A7")
        (self.fit,) = ax.plot([], [], color=FIT, lw=2.4)
        ax.legend(["training", "validation", "test", "true curve", "no penalty",
                   "penalised fit"], loc="lower right", ncols=2)
        self.bars = self.bars_ax.bar(np.arange(degree + 1), np.zeros(degree + 1))
        self.bars_ax.plot(np.arange(degree + 1), ls, "d", color="#CC79A7")
        self.bars_ax.set_ylim(-1, 1)
        self.path_ax.set_xscale("log")
        self.pic_artists = []

    def frame(self) -> None:
        from algorithms import polyfit, regularization

        start = time.perf_counter()
        lam = self.lams[self.i % len(self.lams)]
        self.i += 1
        problem = self.problem
        w = polyfit.ridge(self.X, problem.y[problem.train], lam)
        self.fit.set_data(problem.grid, problem.curve(w))
        for bar, h in zip(self.bars, w, strict=True):
            bar.set_height(h)
        pic = regularization.picture(problem, "ridge", lam)
        for artist in self.pic_artists:
            artist.remove()
        contours = self.pic_ax.contour(pic.w1, pic.w2, pic.loss, levels=pic.levels,
                                       colors="#b0b0b0", linewidths=1)
        touch = self.pic_ax.contour(pic.w1, pic.w2, pic.loss, levels=[pic.touch],
                                    colors="#D55E00")
        (edge,) = self.pic_ax.plot(*pic.boundary.T, color="#009E73", lw=2)
        (dots,) = self.pic_ax.plot(*np.array([pic.least_squares, pic.solution]).T, "o")
        self.pic_artists = [contours, touch, edge, dots]
        self.canvas.draw()
        self.keep(time.perf_counter() - start)


def paint_counter():
    from PySide6 import QtCore

    class PaintCounter(QtCore.QObject):
        count = 0

        def eventFilter(self, _obj, event):
            if event.type() == QtCore.QEvent.Type.Paint:
                self.count += 1
            return False

    return PaintCounter()


def take_turns(sides, budget, least) -> None:
    end = time.perf_counter() + budget
    while time.perf_counter() < end or any(len(s.times) < least for s in sides):
        for side in sides:
            until = time.perf_counter() + SLICE
            while time.perf_counter() < until:
                side.frame()


def run() -> Iterator[Result]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg

    from visualizer.main_window import MainWindow
    from visualizer.pixels import count_near, view_pixels

    load, cores = os.getloadavg()[0], os.cpu_count()
    print(f"overfit_panels_bench: load average {load:.1f} on {cores} cores", file=sys.stderr)
    app = pg.mkQApp("Stepwise")
    window = MainWindow("overfit_degree")
    window.resize(*WINDOW)
    window.show()
    app.processEvents()
    panel = window.session.panel
    paints = paint_counter()
    panel.canvas.viewport().installEventFilter(paints)
    try:
        from visualizer.panels.overfit_common import FIT

        panel.set_data_params(dataclasses.replace(panel.data_params, n_points=POINTS))
        panel.set_params(dataclasses.replace(panel.params, max_degree=20))
        app.processEvents()
        assert len(panel.problem.x) == POINTS
        size = (panel.canvas.viewport().width(), panel.canvas.viewport().height())
        ours = PanelFrames(app, window, paints, ("fit",))
        try:
            theirs = MatplotlibDegreeFrames(panel.problem, 20, size)
        except ImportError:
            theirs = None
            print("matplotlib is not installed: no baseline", file=sys.stderr)
        take_turns([s for s in (ours, theirs) if s], BUDGET, MIN_FRAMES)
        ms = 1000 * statistics.median(ours.times)
        mpl = 1000 * statistics.median(theirs.times) if theirs else None
        window.session.player.reset()
        window.session.advance(8)
        seen = count_near(view_pixels(panel, panel.main), FIT, 25) > 300
        yield Result(f"overfit_degree: degree step, {POINTS:,} pts"
                     + ("" if seen else " — NOT VISIBLE"), ms, "ms", baseline=mpl,
                     baseline_name=f"matplotlib Agg {size[0]}×{size[1]}",
                     target=f"≤ {TARGET_MS:.0f} ms", met=seen and ms <= TARGET_MS)
        yield from regularization_results(app)
        yield from step_results(app)
    finally:
        window.close()
        window.deleteLater()
        app.processEvents()


def regularization_results(app) -> Iterator[Result]:
    from visualizer.main_window import MainWindow
    from visualizer.panels.overfit_common import FIT
    from visualizer.pixels import count_near, view_pixels

    window = MainWindow("overfit_regularization")
    window.resize(*WINDOW)
    window.show()
    app.processEvents()
    panel = window.session.panel
    paints = paint_counter()
    panel.canvas.viewport().installEventFilter(paints)
    try:
        panel.set_data_params(dataclasses.replace(panel.data_params, n_points=POINTS))
        app.processEvents()
        assert len(panel.problem.x) == POINTS
        lams = 10.0 ** np.linspace(-3, 1, 9)
        size = (panel.canvas.viewport().width(), panel.canvas.viewport().height())
        for penalty, until in (("ridge", ("solve",)), ("lasso", ("sweep", "converged"))):
            def change(i, penalty=penalty):
                panel.set_params(dataclasses.replace(panel.params, penalty=penalty,
                                                     lam=float(lams[i % len(lams)])))

            ours = PanelChangeFrames(app, window, paints, change, until)
            sides = [ours]
            if penalty == "ridge":
                try:
                    sides.append(MatplotlibRidgeFrames(panel.problem, panel.params.degree,
                                                       lams, size))
                except ImportError:
                    print("matplotlib is not installed: no baseline", file=sys.stderr)
            take_turns(sides, BUDGET, MIN_FRAMES)
            ms = 1000 * statistics.median(ours.times)
            mpl = 1000 * statistics.median(sides[1].times) if len(sides) > 1 else None
            seen = count_near(view_pixels(panel, panel.main), FIT, 25) > 300
            what = "first sweep" if penalty == "lasso" else "solve"
            yield Result(f"overfit_regularization: λ change → {penalty} {what}, "
                         f"{POINTS:,} pts" + ("" if seen else " — NOT VISIBLE"), ms, "ms",
                         baseline=mpl, baseline_name=f"matplotlib Agg {size[0]}×{size[1]}"
                         if mpl else "", target=f"≤ {TARGET_MS:.0f} ms",
                         met=seen and ms <= TARGET_MS)
    finally:
        window.close()
        window.deleteLater()
        app.processEvents()


STEPPED = (  # panel id, parameter changes, phases counted, what one counted step is
    ("overfit_early_stopping", {}, ("train",), "10 epochs"),
    ("overfit_crossval", {}, ("fold", "degree"), "fold or degree"),
    ("overfit_learning_curve", {"sizes": 50}, ("grow",), "training-set size"),
)


def step_results(app) -> Iterator[Result]:
    """The other panels' steps at 1,000 points: step + redraw, no baseline (what matters
    is that each stays well inside a frame at 4–30 steps a second)."""
    from visualizer.main_window import MainWindow
    from visualizer.panels.overfit_common import FIT
    from visualizer.pixels import count_near, view_pixels

    for panel_id, changes, counted, what in STEPPED:
        window = MainWindow(panel_id)
        window.resize(*WINDOW)
        window.show()
        app.processEvents()
        panel = window.session.panel
        paints = paint_counter()
        panel.canvas.viewport().installEventFilter(paints)
        try:
            panel.set_data_params(dataclasses.replace(panel.data_params, n_points=POINTS))
            if changes:
                panel.set_params(dataclasses.replace(panel.params, **changes))
            app.processEvents()
            ours = PanelFrames(app, window, paints, counted)
            take_turns([ours], BUDGET / 2, MIN_FRAMES)
            ms = 1000 * statistics.median(ours.times)
            window.session.player.reset()
            window.session.advance(4)
            seen = count_near(view_pixels(panel, panel.main), FIT, 25) > 300
            yield Result(f"{panel_id}: step ({what}), {POINTS:,} pts"
                         + ("" if seen else " — NOT VISIBLE"), ms, "ms",
                         target=f"≤ {TARGET_MS:.0f} ms", met=seen and ms <= TARGET_MS)
        finally:
            window.close()
            window.deleteLater()
            app.processEvents()


if __name__ == "__main__":
    from benchmarks.__main__ import line

    for result in run():
        print(line(result), flush=True)
