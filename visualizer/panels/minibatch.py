"""Batch, stochastic and mini-batch gradient descent racing across one loss landscape.

Top left: the (w, b) plane shaded by the full-data loss, with each method's path. Top
right: the data, each method's current line (or sigmoid) and the examples its latest
update used, ringed in its colour. Below: the full-data loss after every update and after
every epoch. One colour per method throughout (see minibatch_views.COLOUR).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import regression
from algorithms.base import num, plural
from visualizer.panels import minibatch_views as views
from visualizer.panels.base import AlgorithmPanel
from visualizer.panels.overlays import Legend, StatusBox
from visualizer.panels.ranges import FixedRanges
from visualizer.sources import TABLE, Generated, TableChoice, select_columns
from visualizer.style import INK, STYLE, UNASSIGNED

MAX_ROWS = 2_000     # a bigger file is sampled: SGD over 50,000 rows never ends an epoch
LOSS_CAP = 4         # a diverging loss curve is cut this many decades above its start


@dataclass(frozen=True)
class Examples:
    """The panel's data: x as loaded (never silently rescaled) and y, with what it takes to
    frame them — the lowest-loss (w, b) for raw and for standardised x, found once here
    rather than at every restart."""

    x: np.ndarray
    y: np.ndarray
    names: tuple[str, str]
    origin: str
    task: str
    fits: dict                           # standardised? → best (w, b) or None
    table: object | None = None          # the CSV, kept so a change of task can re-read it
    columns: tuple = ()
    knobs: tuple | None = None           # the generator settings the file replaced
    warning: str = ""                    # said when adopted: why the user's file was left


def examples(x, y, names, origin, task, **file) -> Examples:
    """Examples the panel can fit, or a ValueError saying why not."""
    regression.check_data(x, y, task)
    x, y = np.asarray(x, float).ravel(), np.asarray(y, float).ravel()
    fits = {}
    for standardize in (False, True):
        try:
            xf, _ = regression.features(x, regression.Params(standardize=standardize))
        except ValueError:  # all x equal: standardising is refused when it is ticked
            fits[standardize] = None
            continue
        fits[standardize] = regression.best_fit(task, xf, y)
    return Examples(x, y, names, origin, task, fits, **file)


def summary(snap) -> str:
    """The first caption line, in words; each method's update in numbers follows it."""
    parts = [f"{m.label} {'diverged' if m.diverged_at is not None else num(m.losses[-1], 3)}"
             for m in snap.methods.values()]
    return f"Update {snap.update}: full-data loss " + " · ".join(parts) + "."


class MiniBatchPanel(AlgorithmPanel):
    id, title, topic = "minibatch", "Batch, stochastic and mini-batch", "Optimization"
    Params, Data = regression.Params, regression.Data
    accepts = (TABLE,)

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.data: Examples | None = None
        self._framed = None                # the view is rebuilt per data set and start
        self.space_title = "Loss over (w, b)"

    # --- building -----------------------------------------------------------------------
    def setup(self, canvas):
        # One key for all four views, in a strip of its own so it never hides a path.
        key = pg.LegendItem(offset=None, colCount=3, horSpacing=24)
        canvas.addItem(key, row=0, col=0, colspan=2)
        self.key = Legend(key, width=lambda: self.canvas.width() - 40)
        self.space = canvas.addPlot(row=1, col=0)
        self.click_plot = self.space  # a click there sets the starting (w, b)
        self.space.setLabel("left", "b (intercept)")
        self.shading = pg.ImageItem()
        self.contours = pg.PlotCurveItem(connect="finite")
        self.best = pg.ScatterPlotItem(symbol="star", brush="#ffffff")
        self.start_mark = pg.ScatterPlotItem(symbol="x", brush=INK, pen=pg.mkPen(INK))
        for z, item in enumerate((self.shading, self.contours, self.best, self.start_mark)):
            item.setZValue(10 * z - 20)
            self.space.addItem(item)
        self.best.setZValue(30)  # the target stays visible under the paths' heads
        # The status box sits bottom left: the start and the minimum fill the other corners.
        self.status = StatusBox(self.space, "bottom-left", bold=False, opacity=225)
        self.data_plot = canvas.addPlot(row=1, col=1, title="Data and current fits")
        self.dots = pg.ScatterPlotItem(brush=UNASSIGNED)
        self.data_plot.addItem(self.dots)
        # Short titles: a title's width is a floor on its column's width.
        self.per_update = canvas.addPlot(row=2, col=0, title="Loss per update (◆ epoch end)")
        self.per_update.setLabel("bottom", "update")
        self.per_epoch = canvas.addPlot(row=2, col=1, title="Loss per epoch")
        self.per_epoch.setLabel("bottom", "epoch (one pass over all examples)")
        self.floors = []
        for plot in (self.per_update, self.per_epoch):
            plot.setLogMode(y=True)
            plot.showGrid(x=True, y=True, alpha=0.2)
            self.floors.append(pg.InfiniteLine(angle=0, pen=pg.mkPen(INK, style=views.DASH)))
            plot.addItem(self.floors[-1])
        self.items = {name: views.MethodView(name, self.space, self.data_plot, self.per_update,
                                             self.per_epoch) for name in regression.METHODS}
        self.loss_ranges = [FixedRanges(self.per_update), FixedRanges(self.per_epoch)]
        for plot in self.plots():
            plot.vb.disableAutoRange()  # fixed views: nothing jumps while animating
        canvas.ci.layout.setRowStretchFactor(1, 5)
        canvas.ci.layout.setRowStretchFactor(2, 2)

    def restyle(self):
        super().restyle()
        lw, size = STYLE.line_width, STYLE.marker_size
        for view in self.items.values():
            view.restyle()
        self.dots.setSize(size)
        self.dots.setPen(pg.mkPen(INK, width=0.6))
        self.best.setSize(size * 3.2)
        self.best.setPen(pg.mkPen(INK, width=lw))
        self.start_mark.setSize(size * 2)
        self.contours.setPen(pg.mkPen("#707070", width=max(1.0, lw * 0.6)))
        self.status.restyle(STYLE.tick_px)
        if self.data is not None:
            views.fill_key(self.key, self.params, len(self.x), self.data.task)

    # --- data ---------------------------------------------------------------------------
    def prepare(self, source):
        if isinstance(source, Generated):
            d, old = source.params, self.data
            if old is not None and old.table is not None and (d.n_points, d.noise) == old.knobs:
                try:  # only the task changed: keep the user's file if it suits the new task
                    return self._from_table(old.table, *old.columns, task=d.task)
                except ValueError as err:
                    note = f"{err} — using generated {d.task} data instead."
            else:
                note = ""
            x, y = regression.make_data(d.task, d.n_points, d.noise, self.rng())
            names = ("x", "y" if d.task == "linear" else "y (class 0 or 1)")
            return examples(x[:, 0], y, names, f"generated {d.task} data", d.task,
                            warning=note), ""
        if isinstance(source, TableChoice):
            return self._from_table(source.table, *source.columns(), task=self.data_params.task)
        return super().prepare(source)

    def _from_table(self, table, x, y, label, task):
        """The chosen columns as data for `task`, or a ValueError saying what to pick."""
        points, codes, classes = select_columns(table, x, y, label)
        name = Path(table.path).name
        target, y_name, note = points[:, 1], y, ""
        if task == "logistic":
            target, y_name = views.binary_target(name, points[:, 1], y, codes, classes, label)
        elif label is not None:
            note = f"; the label column {label!r} is not used by linear regression"
        xs = points[:, 0]
        if len(xs) > MAX_ROWS:
            keep = np.sort(self.rng().choice(len(xs), MAX_ROWS, replace=False))
            xs, target = xs[keep], target[keep]
            note += f"; fitting a random {MAX_ROWS:,} of its {len(points):,} rows"
        knobs = (self.data_params.n_points, self.data_params.noise)
        data = examples(xs, target, (x, y_name), name, task, table=table,
                        columns=(x, y, label), knobs=knobs)
        spread, middle = float(np.std(xs)), float(np.abs(np.mean(xs)))
        if spread > 0 and (middle > 100 * spread or not 1e-3 < spread < 1e3):
            note += (f". Its x lies far from 0 or on an unusual scale (mean {num(middle, 3)}, "
                     f"spread {num(spread, 3)}): tick 'standardise x', or any learning rate "
                     "that moves b will make w diverge")
        return data, table.message + note

    def adopt(self, data):
        self.data = data
        self._framed = None
        if data.warning:
            self.message.emit("error", data.warning)

    @property
    def x(self) -> np.ndarray:
        return self.data.x

    @property
    def y(self) -> np.ndarray:
        return self.data.y

    # --- running ------------------------------------------------------------------------
    def steps(self):
        self._prepare()
        run = regression.run(self.x, self.y, self.params, self.rng(), self.data.task)
        # The start is what the panel shows before step 1, so step N is update N.
        return (dataclasses.replace(snap, caption=summary(snap) + "\n" + snap.caption)
                for snap in run if snap.phase != "start")

    def on_click(self, x, y, button):
        if button != QtCore.Qt.LeftButton:
            return
        w0, b0 = (float(np.clip(round(v, 2), -20.0, 20.0)) for v in (x, y))
        self.replace_params(dataclasses.replace(self.params, w0=w0, b0=b0))
        self.restart.emit()

    def intro(self):
        tip = ""
        if self.data.task == "logistic" and self.params.lr < 0.5:
            tip = " The log loss is flat (its gradient never exceeds |x|): try η ≈ 1."
        return (f"{plural(len(self.x), 'example')} ({self.data.origin}). Press Step (→): every "
                f"method makes one update of (w, b). Click the loss map to start elsewhere.{tip}")

    def _prepare(self):
        """Fix every view for this run; rebuild the landscape only when the data changed."""
        p, task = self.params, self.data.task
        key = (id(self.data), p.standardize, p.w0, p.b0)
        if key != self._framed:
            self._framed = key
            self._frame(task, (p.w0, p.b0))
        for plot_range in self.loss_ranges:
            plot_range.cap = max(p.updates, 1)
            plot_range.forget()
        self._fit_loss_ranges(1, *self.base_range)
        views.fill_key(self.key, self.params, len(self.x), task)

    def _frame(self, task, start):
        xf, scaling = regression.features(self.x, self.params)
        y, best = self.y, self.data.fits[self.params.standardize]
        region = regression.contour_region(task, xf, y, start, best)
        self.space.setRange(xRange=region[:2], yRange=region[2:], padding=0)
        self.shading.clear()
        self.contours.setData([], [])
        self.space_title = "Loss over (w, b): computing…"
        self.set_title(self.space, self.space_title)
        self.background.submit("landscape", lambda: views.landscape(task, xf, y, region),
                               self._show_landscape)
        self.best.setData(pos=np.zeros((0, 2)) if best is None else [best])
        self.start_mark.setData(pos=[start])
        self.space.setLabel("bottom", f"w (slope per unit of {'standardised ' * bool(scaling)}x)")
        name = self.data.names[0]
        self.data_plot.setLabel("bottom", f"{name}, standardised: ({name} − {scaling[0]:.3g}) "
                                          f"/ {scaling[1]:.3g}" if scaling
                                else f"{name} (as given, not standardised)")
        self.data_plot.setLabel("left", self.data.names[1])
        self.dots.setData(xf, y)
        pad = max(0.06 * np.ptp(xf), 1e-3)
        xr = (xf.min() - pad, xf.max() + pad)
        pad = max(0.08 * np.ptp(y), 1e-3)
        yr = (-0.12, 1.12) if task == "logistic" else (y.min() - pad, y.max() + pad)
        self.data_plot.setRange(xRange=xr, yRange=yr, padding=0)
        # The loss plots span the start's loss down to the lowest possible one, log scaled.
        top = np.log10(max(regression.loss(task, start, xf, y), 1e-12))
        low = regression.loss(task, best, xf, y) if best is not None else 0.0
        bottom = np.log10(low) if low > 1e-12 else top - 3
        self.base_range = (bottom, max(top, bottom + 0.5))
        for line in self.floors:
            line.setVisible(low > 1e-12)
            line.setValue(bottom)
        clip = (10 ** (self.base_range[0] - 3), 10 ** (self.base_range[1] + LOSS_CAP))
        self.frame = views.Frame(xf, y, region, xr, yr, task == "logistic", clip)

    def _show_landscape(self, result):
        if isinstance(result, Exception):
            self.space_title = f"Loss over (w, b): not available ({result})"
            self.set_title(self.space, self.space_title)
            return
        w0, w1, b0, b1 = result.region
        self.shading.setImage(result.shade, levels=result.levels, lut=views.SHADE_LUT,
                              autoLevels=False, rect=QtCore.QRectF(w0, b0, w1 - w0, b1 - b0))
        self.contours.setData(*result.lines)
        scale = ", log shading" if result.logarithmic else ""
        self.space_title = f"Loss over (w, b){scale}"
        self.set_title(self.space, self.space_title)

    # --- drawing ------------------------------------------------------------------------
    def draw(self, step):
        states = {} if step is None else step.methods
        for name, view in self.items.items():
            view.draw(states.get(name), self.frame)
        if states:
            self._grow_ranges(states.values())
        self.status.set_html(views.status_html(step))

    def _grow_ranges(self, states):
        """Widen the loss plots only when a curve leaves them: at most a few times a run.
        Only the newest losses are looked at (a diverging one is cut LOSS_CAP decades up)."""
        updates = max(len(m.losses) for m in states)
        with np.errstate(divide="ignore"):
            latest = np.log10([max(m.losses[-1], 1e-300) for m in states])
        lo = max(min(self.base_range[0], latest.min()), self.base_range[0] - 3)
        hi = min(max(self.base_range[1], latest.max()), self.base_range[1] + LOSS_CAP)
        self._fit_loss_ranges(updates, lo, hi, epochs=max(len(m.epoch_losses) for m in states))

    def _fit_loss_ranges(self, updates, lo, hi, epochs=1):
        per_update, per_epoch = self.loss_ranges
        per_update.fit(max(updates, 11), lo, hi, log=True)
        per_epoch.fit(max(epochs, 5), lo, hi, log=True)
