"""Batch, stochastic and mini-batch gradient descent racing across one loss landscape.

Top left: the (w, b) plane shaded by the full-data loss, with each method's path. Top
right: the data, each method's current line (or sigmoid) and the examples its latest
update used, ringed in its colour. Below: the full-data loss after every update and after
every epoch. One colour per method throughout (see minibatch_views.COLOUR).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import regression
from visualizer.panels import minibatch_views as views
from visualizer.panels.base import AlgorithmPanel
from visualizer.sources import load_table, select_columns
from visualizer.style import INK, STYLE, UNASSIGNED

MAX_ROWS = 2_000     # a bigger file is sampled: SGD over 50,000 rows never ends an epoch
LOSS_CAP = 4         # a diverging loss curve is cut this many decades above its start


class MiniBatchPanel(AlgorithmPanel):
    id, title, topic = "minibatch", "Batch, stochastic and mini-batch", "Optimization"
    Params, Data = regression.Params, regression.Data
    file_filter = "CSV files (*.csv *.tsv *.txt);;All files (*)"

    def __init__(self, seed: int = 0):
        self.x, self.y = np.zeros(0), np.zeros(0)   # x as loaded: never silently rescaled
        self.names, self.origin = ("x", "y"), ""
        self.table, self.columns, self.file_knobs = None, (), None
        self.version, self._framed = 0, None         # the view is rebuilt per data version
        self.space_title = "Loss over (w, b)"
        super().__init__(seed)
        self.regenerate()

    # --- building -----------------------------------------------------------------------
    def setup(self, canvas):
        # One key for all four views, in a strip of its own so it never hides a path.
        self.key = pg.LegendItem(offset=None, colCount=3, horSpacing=24)
        canvas.addItem(self.key, row=0, col=0, colspan=2)
        self.space = canvas.addPlot(row=1, col=0)
        self.click_plot = self.space  # a click there sets the starting (w, b)
        self.space.setLabel("left", "b (intercept)")
        self.shading = pg.ImageItem()
        self.contours = pg.PlotCurveItem(connect="finite")
        self.best = pg.ScatterPlotItem(symbol="star", brush="#ffffff")
        self.start = pg.ScatterPlotItem(symbol="x", brush=INK, pen=pg.mkPen(INK))
        for z, item in enumerate((self.shading, self.contours, self.best, self.start)):
            item.setZValue(10 * z - 20)
            self.space.addItem(item)
        self.best.setZValue(30)  # the target stays visible under the paths' heads
        # The status box sits bottom left: the start and the minimum fill the other corners.
        self.counter = pg.TextItem(anchor=(0, 1), color=INK, fill=pg.mkBrush(255, 255, 255, 225))
        self.counter.setParentItem(self.space.vb)
        self.space.vb.sigResized.connect(lambda vb: self.counter.setPos(6, vb.height() - 6))
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
        self.start.setSize(size * 2)
        self.contours.setPen(pg.mkPen("#707070", width=max(1.0, lw * 0.6)))
        self.counter.setFont(STYLE.font(STYLE.tick_px))
        views.fill_key(self.key, self.params, len(self.x), self.data_params.task)

    # --- data ---------------------------------------------------------------------------
    def regenerate(self):
        d = self.data_params
        if self.table is not None and (d.n_points, d.noise) == self.file_knobs:
            try:  # only the task changed: keep the user's file if it suits the new task
                self._select(self.table, *self.columns)
                return
            except ValueError as err:
                self.message.emit("error", f"{err} — using generated {d.task} data instead.")
        x, y = regression.make_data(d.task, d.n_points, d.noise, self.rng())
        self.table = None
        names = ("x", "y" if d.task == "linear" else "y (class 0 or 1)")
        self._use(x[:, 0], y, names, f"generated {d.task} data")

    def load_file(self, path, columns=None):
        return self.use_table(load_table(path), *(columns or []))

    def use_table(self, table, x=None, y=None, label=None):
        message = self._select(table, x, y, label)
        self.restart.emit()
        return message

    def _select(self, table, x, y, label):
        """Take the chosen columns as data for the current task, or raise keeping the old."""
        x = x or table.numeric_columns[0]
        y = y or next(c for c in table.numeric_columns if c != x)
        points, codes, classes = select_columns(table, x, y, label)
        name, task = Path(table.path).name, self.data_params.task
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
        self.table, self.columns = table, (x, y, label)
        self.file_knobs = (self.data_params.n_points, self.data_params.noise)
        self._use(xs, target, (x, y_name), name)
        return table.message + note

    def _use(self, x, y, names, origin):
        self.x, self.y = np.asarray(x, float), np.asarray(y, float)
        self.names, self.origin = names, origin
        self.version += 1

    # --- running ------------------------------------------------------------------------
    def steps(self):
        self._prepare()
        return regression.run(self.x, self.y, self.params, self.rng(), self.data_params.task)

    def on_click(self, x, y, button):
        if button != QtCore.Qt.LeftButton:
            return
        w0, b0 = (float(np.clip(round(v, 2), -20.0, 20.0)) for v in (x, y))
        self.replace_params(dataclasses.replace(self.params, w0=w0, b0=b0))
        self.restart.emit()

    def intro(self):
        tip = ""
        if self.data_params.task == "logistic" and self.params.lr < 0.5:
            tip = " The log loss is flat (its gradient never exceeds |x|): try η ≈ 1."
        return (f"{len(self.x)} examples ({self.origin}). Press Step (→): every method "
                f"makes one update of (w, b). Click the loss map to start elsewhere.{tip}")

    def _prepare(self):
        """Fix every view for this run; rebuild the landscape only when the data changed."""
        p, task = self.params, self.data_params.task
        self.xf, scaling = regression.features(self.x, p)
        key = (self.version, task, p.standardize, p.w0, p.b0)
        if key != self._framed:
            self._framed = key
            self._frame(task, scaling, (p.w0, p.b0))
        self.spans = [views.grown(10, 0, p.updates), views.grown(4, 0, p.updates)]
        self.per_update.setXRange(0, self.spans[0], padding=0.02)
        self.per_epoch.setXRange(0, self.spans[1], padding=0.02)
        self._set_loss_range(self.base_range)
        views.fill_key(self.key, self.params, len(self.x), task)

    def _frame(self, task, scaling, start):
        xf, y = self.xf, self.y
        region = regression.contour_region(task, xf, y, start)
        self.space.setRange(xRange=region[:2], yRange=region[2:], padding=0)
        self.shading.clear()
        self.contours.setData([], [])
        self.space_title = "Loss over (w, b): computing…"
        self.set_title(self.space, self.space_title)
        self.background.submit("landscape", lambda: views.landscape(task, xf, y, region),
                               self._show_landscape)
        best = regression.best_fit(task, xf, y)
        self.best.setData(pos=np.zeros((0, 2)) if best is None else [best])
        self.start.setData(pos=[start])
        self.space.setLabel("bottom", f"w (slope per unit of {'standardised ' * bool(scaling)}x)")
        name = self.names[0]
        self.data_plot.setLabel("bottom", f"{name}, standardised: ({name} − {scaling[0]:.3g}) "
                                          f"/ {scaling[1]:.3g}" if scaling
                                else f"{name} (as given, not standardised)")
        self.data_plot.setLabel("left", self.names[1])
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
        self.base_range = (bottom - 0.15, max(top, bottom + 0.5) + 0.25)
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
        self.shading.setImage(result.shade, levels=result.levels, lut=views.SHADE_LUT,
                              autoLevels=False)
        w0, w1, b0, b1 = result.region
        self.shading.setRect(QtCore.QRectF(w0, b0, w1 - w0, b1 - b0))
        self.contours.setData(*result.lines)
        scale = ", log shading" if result.logarithmic else ""
        self.space_title = f"Loss over (w, b){scale}"
        self.set_title(self.space, self.space_title)

    # --- drawing ------------------------------------------------------------------------
    def draw(self, step):
        states = {} if step is None else step.methods
        for name, view in self.items.items():
            view.draw(states.get(name), self.frame)
        self._grow_ranges(states.values())
        # The counter lives in the status box, not the title: a title that changes width
        # every frame re-lays out the whole canvas.
        self.counter.setHtml(views.status_html(step))

    def _grow_ranges(self, states):
        """Widen the loss plots only when a curve leaves them: at most a few times a run."""
        states = list(states)
        updates = max((len(m.losses) - 1 for m in states), default=0)
        epochs = max((len(m.epoch_losses) - 1 for m in states), default=0)
        for i, (plot, needed) in enumerate(((self.per_update, updates),
                                            (self.per_epoch, epochs))):
            span = views.grown(self.spans[i], needed, max(self.params.updates, 1))
            if span != self.spans[i]:
                self.spans[i] = span
                plot.setXRange(0, span, padding=0.02)
        if not states:
            return
        with np.errstate(divide="ignore"):
            values = np.log10(np.concatenate([m.losses for m in states]))
        top = min(values.max(), self.base_range[1] + LOSS_CAP)
        bottom = max(values.min(), self.base_range[0] - 3)
        if top > self.loss_range[1] or bottom < self.loss_range[0]:
            self._set_loss_range((min(self.loss_range[0], bottom - 0.15),
                                  max(self.loss_range[1], top + 0.25)))

    def _set_loss_range(self, bounds):
        self.loss_range = list(bounds)
        for plot in (self.per_update, self.per_epoch):
            plot.setYRange(*bounds, padding=0)
            plot.getAxis("left").setTicks(views.log_ticks(*bounds))
