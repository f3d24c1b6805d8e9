"""Loss functions: each loss against the residual with its gradient, cross-entropy against
the probability of the true class, the hinge loss (the SVM's cost) against the margin y·s
(loss_views.MarginView), and three lines fitted under L1, L2 and Huber side by
side to data with one outlier the user drags — L2's line swings, L1's barely moves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import losses
from algorithms.base import num, param, plural
from visualizer.panels.base import AlgorithmPanel
from visualizer.panels.handles import Handle
from visualizer.panels.loss_views import M_SPAN, MarginView
from visualizer.panels.overlays import Legend, StatusBox, line_sample, marker_sample
from visualizer.panels.ranges import FixedRanges
from visualizer.sources import TABLE, Generated, TableChoice, select_columns
from visualizer.style import INK, STYLE, UNASSIGNED, colour

HUE = {"L1": 0, "L2": 1, "Huber": 2}
DASH = QtCore.Qt.DashLine
R_SPAN = 4.0
R = np.linspace(-R_SPAN, R_SPAN, 401)
P = np.linspace(0.005, 1.0, 400)


@dataclass(frozen=True)
class Params(losses.Params):
    lr: float = param(0.3, limits=(1e-5, 5.0), step=0.01, label="learning rate η")
    updates: int = param(400, limits=(1, 100_000), label="updates")
    classes: int = param(4, limits=(2, 10), live=True, label="cross-entropy classes M")
    true_class: int = param(2, limits=(1, 10), live=True, label="true class",
                            tip="y is one-hot on this class: y_c = 1 for it, 0 for the rest")
    p_true: float = param(0.4, limits=(0.01, 1.0), step=0.05, live=True,
                          label="predicted p of the true class (drag)")
    margin: float = param(0.5, limits=M_SPAN, step=0.1, live=True,
                          label="hinge: margin m = y·s (drag)",
                          tip="label y = ±1 times the score s: m ≥ 1 is beyond the margin, "
                              "0 ≤ m < 1 inside it, m < 0 on the wrong side")


@dataclass(frozen=True)
class Data:
    points: int = param(20, limits=(2, 500), label="points",
                        tip="points on a line, plus the outlier")
    noise: float = param(0.3, limits=(0.0, 3.0), step=0.05, tip="spread around the line")


@dataclass(frozen=True)
class Points:
    x: np.ndarray            # the points, the outlier not included
    y: np.ndarray
    outlier: tuple[float, float]
    origin: str
    names: tuple[str, str]
    box: tuple[float, float, float, float]   # x0, x1, y0, y1 shown (the outlier stays inside)


def check_points(x, y, origin, names) -> Points:
    x, y = np.asarray(x, float).ravel(), np.asarray(y, float).ravel()
    if len(x) < 2:
        raise ValueError(f"{origin}: a line needs at least 2 points, got {len(x)}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError(f"{origin}: the x or y column contains NaN or infinite values")
    if np.ptp(x) == 0:
        raise ValueError(f"{origin}: every x is the same, so a line through them has no slope")
    sx, sy = np.ptp(x), max(np.ptp(y), 1e-6)
    box = (x.min() - 0.1 * sx, x.max() + 0.1 * sx, y.min() - 1.8 * sy, y.max() + 0.6 * sy)
    outlier = (float(x.min() + 0.85 * sx), float(y.min() - 0.9 * sy))
    return Points(x, y, outlier, origin, names, box)


class LossesPanel(AlgorithmPanel):
    id, title, topic = "losses", "Loss functions", "Neural network basics"
    Params, Data = Params, Data
    accepts = (TABLE,)

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.data: Points | None = None
        self.outlier = (0.0, 0.0)

    # --- building -----------------------------------------------------------------------
    def setup(self, canvas):
        self.res_plot = canvas.addPlot(row=0, col=0, title="Loss of a residual")
        self.res_plot.setLabel("bottom", "residual r = ŷ − y")
        self.res_plot.setRange(xRange=(-R_SPAN, R_SPAN), yRange=(-4.5, 8.0), padding=0)
        self.ce_plot = canvas.addPlot(row=1, col=0, title="Cross-entropy: drag p")
        self.ce_plot.setLabel("bottom", "p of the true class")
        self.ce_plot.setRange(xRange=(0, 1.0), yRange=(-8.0, 6.0), padding=0.01)
        self.margin = MarginView(canvas, 2, 0, self._margin_moved)
        self.fit_plot = canvas.addPlot(row=0, col=1, rowspan=2, title="Fits under each loss")
        self.loss_plot = canvas.addPlot(row=2, col=1, title="Mean loss per update")
        self.loss_plot.setLabel("bottom", "update")
        self.loss_plot.setLogMode(y=True)
        self.loss_range = FixedRanges(self.loss_plot)
        for plot in self.plots():
            plot.setMouseEnabled(x=False, y=False)
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.vb.disableAutoRange()
        self.curves = {}
        for name in losses.FITS:
            value, slope = self.res_plot.plot(), self.res_plot.plot()
            line, trace, pull = self.fit_plot.plot(), self.loss_plot.plot(), self.fit_plot.plot()
            line.setZValue(5)
            pull.setZValue(8)
            self.curves[name] = dict(value=value, slope=slope, line=line, trace=trace, pull=pull)
        self.marks = pg.ScatterPlotItem()
        self.marks.setZValue(10)
        self.res_plot.addItem(self.marks)
        self.res_status = StatusBox(self.res_plot, "bottom-right", bold=False)
        self.ce_value, self.ce_slope = self.ce_plot.plot(), self.ce_plot.plot()
        self.ce_dot = pg.ScatterPlotItem()
        self.ce_plot.addItem(self.ce_dot)
        self.ce_line = pg.InfiniteLine(angle=90, movable=True, bounds=(0.01, 1.0))
        self.ce_line.sigPositionChanged.connect(lambda line: self._p_moved(line.value(), False))
        self.ce_line.sigPositionChangeFinished.connect(
            lambda line: self._p_moved(line.value(), True))
        self.ce_plot.addItem(self.ce_line)
        self.ce_status = StatusBox(self.ce_plot, "bottom-right", bold=False)
        self.dots = pg.ScatterPlotItem()
        self.fit_plot.addItem(self.dots)
        self.handle = Handle((0, 0), symbol="o")
        self.handle.setZValue(20)
        self.handle.sigPositionChangeFinished.connect(lambda h: self._outlier_moved(h.xy()))
        self.fit_plot.addItem(self.handle)
        self.fit_status = StatusBox(self.fit_plot, "top-left", bold=False)
        self.legend = Legend(self.fit_plot.addLegend(offset=(8, -8)),  # bottom left
                             width=lambda: self.fit_plot.vb.width() * 0.8)
        canvas.ci.layout.setColumnStretchFactor(1, 4)
        canvas.ci.layout.setColumnStretchFactor(0, 3)

    def restyle(self):
        super().restyle()
        lw, size = STYLE.line_width, STYLE.marker_size
        for name, items in self.curves.items():
            c = colour(HUE[name])
            items["value"].setPen(pg.mkPen(c, width=lw * 1.5))
            items["slope"].setPen(pg.mkPen(c, width=lw, style=DASH))
            items["line"].setPen(pg.mkPen(c, width=lw * 2))
            items["trace"].setPen(pg.mkPen(c, width=lw))
            items["pull"].setPen(pg.mkPen(c, width=lw * 3))
        self.ce_value.setPen(pg.mkPen(colour(4), width=lw * 1.5))
        self.ce_slope.setPen(pg.mkPen(colour(4), width=lw, style=DASH))
        self.ce_line.setPen(pg.mkPen(INK, width=lw, style=DASH))
        self.ce_line.setHoverPen(pg.mkPen(INK, width=lw * 2.5, style=DASH))
        self.ce_dot.setSize(size * 1.6)
        self.ce_dot.setBrush(pg.mkBrush(colour(4)))
        self.ce_dot.setPen(pg.mkPen(INK))
        self.marks.setSize(size * 1.5)
        self.dots.setSize(size)
        self.dots.setBrush(pg.mkBrush(UNASSIGNED))
        self.dots.setPen(pg.mkPen(INK, width=0.6))
        self.handle.setPen(pg.mkPen(INK, width=2))
        self.handle.setBrush(pg.mkBrush(colour(5)))
        self.handle.setHoverBrush(pg.mkBrush(INK))
        self.handle.resize(size * 2.2)
        for box in (self.res_status, self.ce_status, self.fit_status):
            box.restyle(STYLE.tick_px)
        self.margin.restyle()
        self.legend.fill([*((line_sample(colour(HUE[n]), width=lw * 2), f"{n} fit")
                            for n in losses.FITS),
                          (marker_sample("o", colour(5), size=size * 1.6), "outlier (drag it)"),
                          (line_sample(INK, width=lw * 3), "outlier's pull on each line")],
                         key="fits")
        self._curves()

    def _curves(self):
        table = losses.curves(self.params.delta)
        for name, items in self.curves.items():
            items["value"].setData(R, table[name].value(R))
            items["slope"].setData(R, table[name].gradient(R))
        ce = table["cross-entropy"]
        self.ce_value.setData(P, ce.value(P))
        self.ce_slope.setData(P, np.maximum(ce.gradient(P), -8.0))
        self._cross_entropy()

    # --- data ---------------------------------------------------------------------------
    def prepare(self, source):
        if isinstance(source, Generated):
            d = source.params
            rng = self.rng()
            x = np.sort(rng.uniform(-3.0, 3.0, d.points))
            y = 0.8 * x + 0.5 + d.noise * rng.standard_normal(d.points)
            return check_points(x, y, "generated line", ("x", "y")), ""
        if isinstance(source, TableChoice):
            x, y, _ = source.columns()
            points, _, _ = select_columns(source.table, x, y, None)
            return (check_points(points[:, 0], points[:, 1], source.name, (x, y)),
                    source.table.message)
        return super().prepare(source)

    def adopt(self, data):
        self.data = data
        x0, x1, y0, y1 = data.box
        self.fit_plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self.fit_plot.setLabel("bottom", data.names[0])
        self.fit_plot.setLabel("left", data.names[1])
        self.handle.left, self.handle.right, self.handle.low, self.handle.high = data.box
        self.dots.setData(data.x, data.y)
        self._set_outlier(data.outlier, restart=False)

    def _set_outlier(self, xy, restart=True):
        self.outlier = (float(xy[0]), float(xy[1]))
        self.handle.blockSignals(True)
        self.handle.setPos(*self.outlier)
        self.handle.blockSignals(False)
        if restart:
            self.restart.emit()

    def _outlier_moved(self, xy):
        old, new = self.outlier, (round(xy[0], 2), round(xy[1], 2))
        self.edit(f"move the outlier to ({num(new[0], 3)}, {num(new[1], 3)})",
                  lambda: self._set_outlier(new), lambda: self._set_outlier(old))

    def hand_made(self):
        return {"outlier": list(self.outlier)}

    def restore_hand_made(self, state):
        if "outlier" in state:
            self._set_outlier(state["outlier"])

    # --- running ------------------------------------------------------------------------
    def steps(self):
        self.loss_range.cap = self.params.updates + 1
        self.loss_range.forget()
        x = np.append(self.data.x, self.outlier[0])
        y = np.append(self.data.y, self.outlier[1])
        return losses.run(x, y, self.params)

    def set_params(self, params, live=False):
        if params.true_class > params.classes:
            params = type(params)(**{**params.__dict__, "true_class": params.classes})
            self.replace_params(params)
        old = self.params.delta
        super().set_params(params, live)
        if params.delta != old:
            self._curves()
        self._cross_entropy()
        self.margin.show(self.params.margin)

    def intro(self):
        return (f"{plural(len(self.data.x), 'point')} ({self.data.origin}) and one outlier. "
                "Press Step (→): each update moves all three lines. Drag the outlier "
                "(the pink dot) to see which line follows it.")

    def draw(self, step):
        self._cross_entropy()
        self.margin.show(self.params.margin)
        if step is None:
            for items in self.curves.values():
                for key in ("line", "trace", "pull"):
                    items[key].setData([], [])
            self.marks.setData([], [])
            self.res_status.set_text("start a run to see each fit's outlier residual")
            self.fit_status.set_text("not started: press Step")
            return
        x0, x1 = self.data.box[:2]
        ox = self.outlier[0]
        spots, rows = [], []
        pulls = [abs(f.pull[-1]) for f in step.fits.values()]
        scale = 0.35 * (self.data.box[3] - self.data.box[2]) / max(max(pulls), 1e-9)
        for j, (name, fit) in enumerate(step.fits.items()):
            items = self.curves[name]
            w, b = fit.point
            items["line"].setData([x0, x1], [w * x0 + b, w * x1 + b])
            trace = np.maximum(fit.losses, 1e-300)
            items["trace"].setData(np.arange(len(trace)), trace)
            at = ox + (j - 1) * 0.012 * (x1 - x0)
            top = w * ox + b
            items["pull"].setData([at, at], [top, top + fit.pull[-1] * scale])
            r = float(fit.residuals[-1])
            table = self._table()
            rc = float(np.clip(r, -R_SPAN, R_SPAN))
            spots.append({"pos": (rc, float(table[name].value(np.array([rc]))[0])),
                          "brush": pg.mkBrush(colour(HUE[name])), "pen": pg.mkPen(INK)})
            rows.append(f"{name}: r = {num(r, 3)}, pull {num(fit.pull[-1], 3)}")
        self.marks.setData(spots)
        self.res_status.set_html("<b>the outlier's residual</b><br>" + "<br>".join(rows))
        lows = [math.log10(max(min(f.losses), 1e-300)) for f in step.fits.values()]
        highs = [math.log10(max(f.losses[0], 1e-300)) for f in step.fits.values()]
        self.loss_range.fit(step.update + 2, min(lows), max(highs), log=True)
        self.fit_status.set_html(f"update {step.update} · " + " · ".join(
            f"{n}: w = {num(f.point[0], 3)}" for n, f in step.fits.items()))

    def _table(self):
        if getattr(self, "_table_delta", None) != self.params.delta:
            self._table_delta, self._tab = self.params.delta, losses.curves(self.params.delta)
        return self._tab

    def _cross_entropy(self):
        p = self.params
        m, t, pt = p.classes, min(p.true_class, p.classes), p.p_true
        probs = np.full(m, (1 - pt) / (m - 1))
        probs[t - 1] = pt
        y = np.zeros(m)
        y[t - 1] = 1.0
        loss = float(losses.categorical_cross_entropy(probs, y))
        if abs(self.ce_line.value() - pt) > 1e-9 and not self.ce_line.moving:
            self.ce_line.blockSignals(True)
            self.ce_line.setValue(pt)
            self.ce_line.blockSignals(False)
        self.ce_dot.setData([pt], [loss])
        vec = ", ".join(num(v, 2) for v in probs)
        ones = ", ".join("1" if c == t - 1 else "0" for c in range(m))
        self.ce_status.set_html(f"y = ({ones})<br>p = ({vec})<br>"
                                f"−Σ y_c·log p_c = −log {num(pt, 3)} = {num(loss, 3)}")

    def _p_moved(self, value, finished):
        value = float(np.clip(value, 0.01, 1.0))
        if finished:
            value = round(value, 3)
        self.params = type(self.params)(**{**self.params.__dict__, "p_true": value})
        self._cross_entropy()
        if finished:
            self.replace_params(self.params)

    def _margin_moved(self, value, finished):
        value = float(np.clip(value, *M_SPAN))
        if finished:
            value = round(value, 2)
        self.params = type(self.params)(**{**self.params.__dict__, "margin": value})
        self.margin.show(value)
        if finished:
            self.replace_params(self.params)
