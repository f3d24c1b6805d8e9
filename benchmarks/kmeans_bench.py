"""k-means figures: panel frame rate beside matplotlib, one Lloyd step beside scikit-learn,
start-up time, resident memory and installed size.

Frames are timed one by one and only those that show a Lloyd step (assign or update) are
counted: the k-means++ seeding and the "converged" frame are drawn too (the player has to
pass through them) but left out of the median. A frame is `player.step()` followed by
`processEvents()`, the path the running app takes: the step is computed, the panel updates
its items, and Qt paints the dirty part of the canvas (plus the caption and transport
labels) into the offscreen backing store. A paint-event counter on the canvas viewport
checks that every counted frame really painted; if Qt ever skipped one, the frame forces
a synchronous `viewport().repaint()` inside the timed span, so nothing is counted unpainted.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from algorithms import datasets, kmeans
from benchmarks import FrameTimes, Result, median_time

ROOT = Path(__file__).resolve().parent.parent
COUNTED = ("assign", "update")

WINDOW = (1280, 800)
FRAME_SIZES = (1_000, 10_000, 100_000)
FPS_TARGET = {1_000: 60, 10_000: 60, 100_000: 20}        # frames per second
VS_MPL_TARGET = {1_000: 5, 10_000: 20, 100_000: 20}      # times matplotlib's frame rate
# Seconds of frame taking per size, and the fewest counted frames each side must reach
# even if that overruns the budget (matplotlib needs ~1 s a frame at 100,000 points).
FRAME_BUDGET = {1_000: 4.0, 10_000: 4.0, 100_000: 8.0}
MIN_FRAMES = {1_000: 30, 10_000: 20, 100_000: 7}
SLICE = 0.5        # each side takes frames this long before handing over, so a burst of load
                   # from elsewhere on the machine lands on both sides alike
WARM_FRAMES = 3    # first counted frames after new data fill caches; dropped

STEP_SIZES = (10_000, 100_000)
STEP_K = 8

STARTUP_RUNS = 5
STARTUP_TARGET = 1.2   # seconds
MEMORY_RUNS = 3
MEMORY_STEPS = 8
MEMORY_TARGET = 200    # MB resident
SIZE_TARGET = 500      # MB on disk
MB = 1024 * 1024


def run() -> Iterator[Result]:
    # Wall-clock figures suffer when other work shares the CPU; say how busy it was
    # (on stderr, so --json output stays one JSON object).
    load, cores = os.getloadavg()[0], os.cpu_count()
    print(f"kmeans_bench: load average {load:.1f} on {cores} cores", file=sys.stderr)
    yield from frame_results()
    yield from step_results()
    yield stall_result()
    yield startup_result()
    yield memory_result()
    yield size_result()


# --- 1. frames per second: the panel beside matplotlib ----------------------------------
class Frames(FrameTimes):
    """Takes one frame per call and keeps the durations of the counted ones."""

    def __init__(self):
        super().__init__(WARM_FRAMES)

    def frame(self) -> None:
        raise NotImplementedError


class PanelFrames(Frames):
    """Steps the real window's player; times step + Qt's own repaint of what changed."""

    def __init__(self, app, window, paints):
        super().__init__()
        self.app, self.session, self.paints = app, window.session, paints
        self.viewport = window.session.panel.canvas.viewport()

    def frame(self) -> None:
        player = self.session.player
        self.paints.count = 0
        start = time.perf_counter()
        if not player.step_now():
            player.reset()          # converged: begin again so later frames are real steps
            self.app.processEvents()
            return
        self.session.panel.background.wait()  # the regions too: a whole picture per frame
        self.app.processEvents()
        if self.paints.count == 0:  # never seen so far; guards the claim "every frame paints"
            self.viewport.repaint()
        elapsed = time.perf_counter() - start
        if player.current.phase in COUNTED:
            self.keep(elapsed)


class MatplotlibFrames(Frames):
    """The same k-means run drawn with matplotlib's Agg, with the panel's content: points
    recoloured, changed points ringed, centres and their trails, Voronoi regions shaded
    from the same grid, the inertia curve and the (static) elbow plot; then the whole
    figure is drawn, as a canvas redraw must."""

    def __init__(self, X, params, seed, size_px, outlined):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.colors import to_rgba_array
        from matplotlib.figure import Figure

        from visualizer.panels.scene import REGION_CELLS
        from visualizer.style import INK, PALETTE, STYLE, UNASSIGNED

        super().__init__()
        self.X = X
        self.new_run = lambda: kmeans.run(X, params, np.random.default_rng(seed))
        self.steps = self.new_run()
        self.rgba = to_rgba_array([*PALETTE, UNASSIGNED])   # last row: not assigned yet
        self.tints = 1 - (1 - self.rgba[:-1]) * 0.28
        self.tints[:, 3] = 1
        dpi = 100
        self.fig = Figure(figsize=(size_px[0] / dpi, size_px[1] / dpi), dpi=dpi)
        FigureCanvasAgg(self.fig)
        grid = self.fig.add_gridspec(2, 2, width_ratios=(3, 1))
        ax = self.fig.add_subplot(grid[:, 0], title="Clusters")
        self.curve_ax = self.fig.add_subplot(grid[0, 1], title="Inertia per step")
        elbow = self.fig.add_subplot(grid[1, 1], title="Elbow: final inertia vs k")
        elbow.plot(range(1, 11), kmeans.elbow(X[:20_000], range(1, 11)), "o-", color=INK)
        elbow.axvline(params.k, ls="--", color=INK)
        ax.set_aspect("equal")
        ax.grid(alpha=0.15)
        points_per_px = 72 / dpi           # marker sizes are in points², ours in pixels
        size = (STYLE.marker_size * points_per_px) ** 2
        self.points = ax.scatter(X[:, 0], X[:, 1], s=size, c=self.rgba[-1:],
                                 linewidths=0.6 if outlined else 0,
                                 edgecolors=INK if outlined else "none")
        self.rings = ax.scatter([], [], s=((STYLE.marker_size + 8) * points_per_px) ** 2,
                                facecolors="none", edgecolors=INK, linewidths=2, zorder=2)
        self.centres = ax.scatter([], [], marker="*", zorder=3, edgecolors=INK, linewidths=2,
                                  s=(STYLE.marker_size * 2.6 * points_per_px) ** 2)
        self.trails = [ax.plot([], [], "--", color=INK, zorder=2)[0]
                       for _ in range(params.k)]
        self.curve = self.curve_ax.plot([], [], "o-", color=INK)[0]
        lo, hi = X.min(0), X.max(0)
        pad = (hi - lo) * 0.06             # the panel's own framing, fixed while animating
        self.lo, self.hi = lo - pad, hi + pad
        ax.set_xlim(self.lo[0], self.hi[0])
        ax.set_ylim(self.lo[1], self.hi[1])
        span = self.hi - self.lo
        nx, ny = np.maximum(2, np.round(REGION_CELLS * span / span.max())).astype(int)
        gx = self.lo[0] + (np.arange(nx) + 0.5) * span[0] / nx
        gy = self.lo[1] + (np.arange(ny) + 0.5) * span[1] / ny
        self.grid_points = np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2)
        self.grid_shape = (ny, nx)
        self.regions = ax.imshow(np.ones((ny, nx, 4)), origin="lower", zorder=0,
                                 extent=(self.lo[0], self.hi[0], self.lo[1], self.hi[1]))
        self.fig.canvas.draw()  # the first draw loads fonts and builds caches: not a frame
        self.warm = 0           # ... so no counted frame needs dropping (each costs ~1 s
                                # at 100,000 points)

    def frame(self) -> None:
        start = time.perf_counter()
        step = next(self.steps, None)
        if step is None:
            self.steps = self.new_run()
            return
        if step.phase not in COUNTED:
            return  # not counted, so its drawing would only spend the time budget
        palette = len(self.rgba) - 1
        colours = np.where(step.labels < 0, palette, step.labels % palette)
        self.points.set_facecolors(self.rgba[colours])
        self.rings.set_offsets(self.X[step.changed] if step.changed.any() else np.zeros((0, 2)))
        self.centres.set_offsets(step.centers[:, :2])
        self.centres.set_facecolors(self.rgba[np.arange(len(step.centers)) % palette])
        for j, line in enumerate(self.trails):
            line.set_data(step.trail[:, j, 0], step.trail[:, j, 1])
        nearest, _ = kmeans.assign(self.grid_points, step.centers)
        self.regions.set_data(self.tints[nearest % len(self.tints)].reshape(*self.grid_shape, 4))
        self.curve.set_data(np.arange(1, len(step.inertias) + 1), step.inertias)
        self.curve_ax.set_xlim(0.5, max(10, len(step.inertias)) + 0.5)
        self.curve_ax.set_ylim(0, step.inertias[0] * 1.05)
        self.fig.canvas.draw()
        self.keep(time.perf_counter() - start)


def take_turns(sides, budget: float, least: int) -> None:
    """Let each side take frames for SLICE seconds in turn until the budget is spent and
    each has at least `least` counted frames."""
    deadline = time.perf_counter() + budget
    while True:
        for side in sides:
            until = time.perf_counter() + SLICE
            while time.perf_counter() < until:
                side.frame()
        if time.perf_counter() >= deadline and all(len(s.times) >= least for s in sides):
            return


def frame_results() -> Iterator[Result]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg
    from PySide6 import QtCore

    from visualizer.main_window import MainWindow
    from visualizer.panels import points

    class PaintCounter(QtCore.QObject):
        count = 0

        def eventFilter(self, _obj, event):
            if event.type() == QtCore.QEvent.Type.Paint:
                self.count += 1
            return False

    app = pg.mkQApp("Stepwise")
    window = MainWindow("kmeans")
    window.resize(*WINDOW)
    window.show()
    app.processEvents()
    panel = window.session.panel
    paints = PaintCounter()
    panel.canvas.viewport().installEventFilter(paints)
    try:
        for n in FRAME_SIZES:
            # through the Data controls, as a user would; straight to the panel if the
            # control ever stops regenerating (the figure must be for n points)
            window.binders[1].group.child("points").setValue(n)
            if len(panel.X) != n:
                panel.set_data_params(dataclasses.replace(panel.data_params, points=n))
            panel.background.wait()  # the elbow curve runs in a thread: let it finish first
            app.processEvents()
            size = (panel.canvas.viewport().width(), panel.canvas.viewport().height())
            ours = PanelFrames(app, window, paints)
            theirs = MatplotlibFrames(panel.X, panel.params, panel.seed, size,
                                      outlined=n <= points.RASTER_ABOVE)
            take_turns((ours, theirs), FRAME_BUDGET[n], MIN_FRAMES[n])
            fps = 1 / statistics.median(ours.times)
            mpl = 1 / statistics.median(theirs.times)
            how = "image" if panel.scene.cloud.rasterised else "markers"
            seen = clusters_on_screen(window)
            yield Result(f"frame/s {n:,} pts, k={panel.params.k}, {how}"
                         + ("" if seen else " — NOT VISIBLE"), fps, "frames/s",
                         baseline=mpl, baseline_name=f"matplotlib Agg {size[0]}×{size[1]}",
                         target=f"≥ {FPS_TARGET[n]} and ≥ {VS_MPL_TARGET[n]}× matplotlib",
                         met=seen and fps >= FPS_TARGET[n] and fps >= VS_MPL_TARGET[n] * mpl)
    finally:
        # tear the window down while Qt is still alive; left to interpreter exit, its
        # parameter-tree event filters fire on half-deleted widgets and print tracebacks
        window.close()
        window.deleteLater()
        app.processEvents()


def clusters_on_screen(window) -> bool:
    """The frames timed must show what they claim: every cluster's colour is painted inside
    the plot (checked once per size, on the last frame, from the grabbed canvas)."""
    from visualizer.pixels import count_near, view_pixels
    from visualizer.style import PALETTE

    panel, step = window.session.panel, window.session.player.current
    if step is None or step.phase == "init":
        window.session.advance(3)
        step = window.session.player.current
    pixels = view_pixels(panel, panel.main)
    least = 30 if len(step.labels) <= 2_000 else 300
    return all(count_near(pixels, PALETTE[j], 25) >= least * np.mean(step.labels == j)
               for j in np.unique(step.labels))


# --- 2. one Lloyd iteration beside scikit-learn ------------------------------------------
def paired_medians(first, second, repeat: int = 21) -> tuple[float, float]:
    """Median seconds per call of each, timed in alternation so that a burst of load from
    elsewhere hits both alike (timing all of one, then all of the other, does not)."""
    first(), second()  # warm caches, thread pools and lazy imports
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, kept in zip((first, second), times, strict=True):
            start = time.perf_counter()
            fn()
            kept.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def step_results() -> Iterator[Result]:
    from sklearn.cluster import KMeans

    for n in STEP_SIZES:
        X, _ = datasets.make("blobs", n, STEP_K, 0.12, seed=0)
        rng = np.random.default_rng(0)
        centres = X[[i for i, _ in kmeans.kmeans_plus_plus(X, STEP_K, rng)]]

        def ours(X=X, centres=centres):
            labels, _ = kmeans.assign(X, centres)
            return kmeans.update(X, labels, centres)

        # fit() also validates X and the init array and relabels the points once more
        # after its single iteration: the price of calling it as users do.
        model = KMeans(n_clusters=STEP_K, init=centres, n_init=1, max_iter=1,
                       algorithm="lloyd")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mine, theirs = paired_medians(ours, lambda model=model, X=X: model.fit(X))
        yield Result(f"k-means assign+update, {n:,} pts, k={STEP_K}", mine * 1e3, "ms",
                     baseline=theirs * 1e3, baseline_name="sklearn KMeans.fit max_iter=1",
                     target="≤ 1× scikit-learn", met=mine <= theirs)


# --- 3. the longest pause of the event loop while a big CSV loads ---------------------------
STALL_ROWS = 400_000
STALL_TARGET_MS = 50


def stall_result() -> Result:
    """A 400,000-row CSV opened as File ▸ Open data… does (the column choice answered at
    once): a 2 ms timer records every gap in the event loop from the click to the data
    shown; the longest gap is the figure. The read runs on a worker; what remains on the
    UI thread is choosing the columns and drawing the new points."""
    import pyqtgraph as pg
    from PySide6 import QtCore

    import visualizer.main_window as mw
    from visualizer.main_window import MainWindow

    app = pg.mkQApp("Stepwise")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "huge.csv"
        rows = np.random.default_rng(0).normal(size=(STALL_ROWS, 2))
        np.savetxt(path, rows, delimiter=",", header="a,b", comments="")
        window = MainWindow("kmeans")
        window.show()
        app.processEvents()
        answer, mw.ask_columns = mw.ask_columns, lambda table, parent: ("a", "b", None)
        gaps, last, done = [], [time.perf_counter()], []
        window.data_loaded.connect(done.append)

        def tick():
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        timer = QtCore.QTimer(interval=2, timeout=tick)
        try:
            timer.start()
            window.open_data(str(path))
            # Until the data is shown and its background work (the elbow) has arrived; a
            # blocking wait() here would itself be the longest pause measured.
            while not done or window.session.panel.background.pending:
                app.processEvents(QtCore.QEventLoop.AllEvents, 5)
            timer.stop()
        finally:
            mw.ask_columns = answer
            window.close()
            window.deleteLater()
            app.processEvents()
    worst = max(gaps) * 1e3
    return Result(f"longest UI pause, opening a {STALL_ROWS:,}-row CSV", worst, "ms",
                  target=f"≤ {STALL_TARGET_MS} ms", met=worst <= STALL_TARGET_MS)


# --- 4–5. start-up and memory, each in a fresh interpreter --------------------------------
def _child_env() -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("STEPWISE_SETTINGS", None)
    return env


def startup_result() -> Result:
    """Wall time of `main.py --panel kmeans --screenshot`, measured from outside: interpreter
    start, imports, window built and shown, one screenshot written, exit. An upper bound on
    "process start to window shown" (the screenshot and the exit are a small extra)."""
    with tempfile.TemporaryDirectory() as tmp:
        shot = Path(tmp) / "start.png"
        command = [sys.executable, str(ROOT / "main.py"), "--panel", "kmeans",
                   "--screenshot", str(shot)]

        def launch():
            done = subprocess.run(command, cwd=ROOT, env=_child_env(), capture_output=True,
                                  text=True, timeout=60)
            if done.returncode != 0 or not shot.exists():
                raise RuntimeError(f"start-up run failed ({done.returncode}): {done.stderr}")
            shot.unlink()

        seconds = median_time(launch, repeat=STARTUP_RUNS)
    return Result("start-up: launch → window shown (+shot, exit)", seconds, "s",
                  target=f"≤ {STARTUP_TARGET} s", met=seconds <= STARTUP_TARGET)


MEMORY_SCRIPT = """
import os, psutil, pyqtgraph as pg
app = pg.mkQApp("Stepwise")
from visualizer.main_window import MainWindow
window = MainWindow("kmeans")
window.show()
app.processEvents()
window.session.advance({steps})
window.session.panel.background.wait()
app.processEvents()
print(psutil.Process().memory_info().rss, flush=True)
os._exit(0)  # skip teardown: only the number matters
"""


def memory_result() -> Result:
    """Resident set of a fresh app with the k-means panel (its default 300 points) shown
    and stepped a few times, the elbow curve computed; median of a few processes."""
    script = MEMORY_SCRIPT.format(steps=MEMORY_STEPS)
    sizes = []
    for _ in range(MEMORY_RUNS):
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=_child_env(),
                              capture_output=True, text=True, timeout=60, check=True)
        sizes.append(int(done.stdout.split()[-1]) / MB)
    rss = statistics.median(sizes)
    return Result(f"RSS, k-means panel after {MEMORY_STEPS} steps", rss, "MB",
                  target=f"≤ {MEMORY_TARGET} MB", met=rss <= MEMORY_TARGET)


# --- 5. installed size ---------------------------------------------------------------------
def runtime_distributions(root: str = "stepwise") -> list:
    """`root` and everything it needs at run time: extras are not followed, and markers
    are judged for this interpreter (so only one PySide6 line applies)."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found, todo = {}, [root]
    while todo:
        name = canonicalize_name(todo.pop())
        if name in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # not installed here (e.g. a platform-only dependency)
        found[name] = dist
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return list(found.values())


def size_result() -> Result:
    dists = runtime_distributions()
    files = {Path(f.locate()).resolve() for d in dists for f in d.files or []}
    total = sum(p.stat().st_size for p in files if p.is_file())
    return Result(f"installed size, {len(dists)} runtime dists", total / MB, "MB",
                  target=f"≤ {SIZE_TARGET} MB", met=total / MB <= SIZE_TARGET)

