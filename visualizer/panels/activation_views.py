"""The two views of the activations panel that need no run: the functions with their slopes
(flat zones shaded, a draggable input z) and softmax (draggable logits, a temperature)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import activations
from algorithms.base import num
from visualizer.panels.handles import Handle
from visualizer.panels.overlays import Legend, StatusBox, line_sample, marker_sample
from visualizer.style import INK, STYLE, colour

Z_SPAN = 6.0
GRID = np.linspace(-Z_SPAN, Z_SPAN, 601)
Y_RANGE = (-1.6, 3.2)
# Colours per function, the same in every view; yellow (vanishes on white) is never used.
HUE = {"sigmoid": 0, "tanh": 1, "ReLU": 2, "leaky ReLU": 3, "ELU": 5, "GELU": 7,
       "GELU (tanh approx.)": 14, "softplus": 9, "linear": 18}
DEAD, SATURATED = "#D55E00", "#0072B2"      # zone tints: vermillion and blue
DASH = QtCore.Qt.DashLine
ZONE_THRESHOLD = 0.05
MAX_LOGITS = 6
LOGIT_RANGE = (-5.0, 5.0)
T_RANGE = (0.05, 20.0)
PREACTIVATIONS_SHOWN = 400


def curves(slope: float, alpha: float) -> dict:
    """name → (activation, f on GRID, f' on GRID, dead mask, saturated mask)."""
    table = {}
    for name in activations.NAMES:
        act = activations.get(name, slope, alpha)
        dead, saturated = activations.flat_zones(act, GRID, ZONE_THRESHOLD)
        table[name] = (act, act(GRID), act.derivative(GRID), dead, saturated)
    return table


def intervals(mask: np.ndarray) -> list[tuple[float, float]]:
    """The z intervals of GRID where `mask` holds."""
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    return [(float(GRID[a]), float(GRID[b - 1])) for a, b in zip(edges[::2], edges[1::2],
                                                                   strict=True)]


def tinted(hex_colour: str, alpha: int):
    c = pg.mkColor(hex_colour)
    c.setAlpha(alpha)
    return c


class FunctionView:
    """f(z) solid and f'(z) dashed for each function shown; the focused one (the fit's)
    thicker, with its flat zones shaded and its tangent at the dragged input z."""

    def __init__(self, plot: pg.PlotItem, moved: Callable[[float, bool], None]):
        self.plot = plot
        plot.setLabel("bottom", "input z")
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.setMouseEnabled(x=False, y=False)
        plot.vb.disableAutoRange()
        plot.setRange(xRange=(-Z_SPAN, Z_SPAN), yRange=Y_RANGE, padding=0)
        self.zones = []
        for _ in range(4):
            region = pg.LinearRegionItem(movable=False, pen=pg.mkPen(None))
            region.setZValue(-20)
            label = pg.TextItem(anchor=(0.5, 1), color=INK)
            label.setZValue(-5)
            plot.addItem(region)
            plot.addItem(label)
            self.zones.append((region, label))
        self.lines = {}
        for name in activations.NAMES:
            value, slope = pg.PlotCurveItem(), pg.PlotCurveItem()
            plot.addItem(value)
            plot.addItem(slope)
            self.lines[name] = (value, slope)
        self.tangent = pg.PlotCurveItem()
        self.tangent.setZValue(8)
        self.inputs = pg.ScatterPlotItem(pxMode=True)   # the examples' w·x + b on the curve
        self.inputs.setZValue(6)
        self.dots = pg.ScatterPlotItem(pxMode=True)
        self.dots.setZValue(10)
        for item in (self.tangent, self.inputs, self.dots):
            plot.addItem(item)
        self.cursor = pg.InfiniteLine(angle=90, movable=True, bounds=(-Z_SPAN, Z_SPAN))
        self.cursor.setZValue(20)
        self.cursor.sigPositionChanged.connect(lambda line: moved(line.value(), False))
        self.cursor.sigPositionChangeFinished.connect(lambda line: moved(line.value(), True))
        plot.addItem(self.cursor)
        self.readout = StatusBox(plot, "top-left", bold=False)
        self.state = None

    def restyle(self) -> None:
        lw = STYLE.line_width
        self.cursor.setPen(pg.mkPen(INK, width=lw, style=DASH))
        self.cursor.setHoverPen(pg.mkPen(INK, width=lw * 2.5, style=DASH))
        self.pens = {name: (pg.mkPen(colour(h), width=lw), pg.mkPen(colour(h), width=lw,
                                                                   style=DASH),
                            pg.mkPen(colour(h), width=lw * 2.2),
                            pg.mkPen(colour(h), width=lw * 1.6, style=DASH))
                     for name, h in HUE.items()}
        self.tangent.setPen(pg.mkPen(INK, width=lw))
        self.inputs.setPen(pg.mkPen(INK, width=1))
        self.inputs.setBrush(pg.mkBrush(255, 255, 255, 200))
        self.inputs.setSize(STYLE.marker_size * 0.9)
        self.readout.restyle(STYLE.tick_px)
        for _region, label in self.zones:
            label.setFont(STYLE.font(STYLE.tick_px))
        self.state = None   # draw everything again

    def show(self, table: dict, shown: list[str], focus: str, slopes: bool, z: float,
             inputs: np.ndarray | None = None) -> None:
        """`inputs`: the hidden units' w·x + b over the examples (None before a run)."""
        state = (id(table), tuple(shown), focus, slopes)
        if state != self.state:   # curves, zones and legend change only with these
            self.state = state
            self._curves(table, shown, focus, slopes)
        if abs(self.cursor.value() - z) > 1e-12:
            self.cursor.blockSignals(True)
            self.cursor.setValue(z)
            self.cursor.blockSignals(False)
        self.at(table, shown, focus, z)
        self._inputs(table[focus][0], inputs)

    def _curves(self, table, shown, focus, slopes):
        for name, (value, slope) in self.lines.items():
            on = name in shown
            pens = self.pens[name]
            thick = name == focus
            if on:
                value.setData(GRID, table[name][1])
            else:
                value.setData([], [])
            value.setPen(pens[2] if thick else pens[0])
            value.setZValue(4 if thick else 2)
            if on and slopes:
                slope.setData(GRID, table[name][2])
            else:
                slope.setData([], [])
            slope.setPen(pens[3] if thick else pens[1])
            slope.setZValue(3 if thick else 1)
        zones = [(a, b, "dead: f′ = 0", DEAD) for a, b in intervals(table[focus][3])]
        zones += [(a, b, "saturated: f′ ≈ 0", SATURATED) for a, b in intervals(table[focus][4])]
        for i, (region, label) in enumerate(self.zones):
            if i < len(zones):
                a, b, text, tint = zones[i]
                region.setRegion((a, b))
                region.setBrush(pg.mkBrush(tinted(tint, 45)))
                region.show()
                label.setText(text)
                label.setColor(pg.mkColor(tint))
                label.setPos((a + b) / 2, Y_RANGE[0] + 0.02 * (Y_RANGE[1] - Y_RANGE[0]))
                label.show()
            else:
                region.hide()
                label.hide()

    def at(self, table, shown, focus, z) -> None:
        """Dots where the input z meets each curve, the focus's tangent, the readout."""
        zs = np.array([z])
        rows, spots = [f"<b>z = {num(z, 3)}</b> (● f, ○ f′)"], []
        for name in shown:
            act = table[name][0]
            f, d = float(act(zs)[0]), float(act.derivative(zs)[0])
            hue = colour(HUE[name])
            spots.append({"pos": (z, f), "brush": pg.mkBrush(hue), "pen": pg.mkPen(INK),
                          "symbol": "o"})
            spots.append({"pos": (z, d), "brush": pg.mkBrush("#ffffff"),
                          "pen": pg.mkPen(hue, width=2), "symbol": "o"})
            rows.append(f"<span style='color:{hue}'>■</span> {name}: f = {num(f, 3)}, "
                        f"f′ = {num(d, 3)}")
        self.dots.setData(spots, size=STYLE.marker_size * 1.4)
        act = table[focus][0]
        f, d = float(act(zs)[0]), float(act.derivative(zs)[0])
        self.tangent.setData([z - 1.2, z + 1.2], [f - 1.2 * d, f + 1.2 * d])
        rows.append(f"tangent of {focus}: slope {num(d, 3)}")
        self.readout.set_html("<br>".join(rows))

    def _inputs(self, act, inputs) -> None:
        """Every unit's w·x + b over the examples, as rings on the focused curve: a unit
        whose rings all sit in a shaded zone barely learns (or not at all)."""
        if inputs is None:
            self.inputs.setData([], [])
            return
        z = np.ravel(inputs)
        if len(z) > PREACTIVATIONS_SHOWN:
            z = z[np.linspace(0, len(z) - 1, PREACTIVATIONS_SHOWN).astype(int)]
        beyond = np.abs(z) > Z_SPAN
        zc = np.clip(z, -Z_SPAN, Z_SPAN)
        symbols = np.where(beyond, np.where(z < 0, "t3", "t2"), "o")
        self.inputs.setData(zc, act(zc), symbol=list(symbols))


class SoftmaxView:
    """Bars for the logits z_i (drag their tops), bars for p_i = softmax(z / T) under them,
    and a temperature slider on a log scale."""

    def __init__(self, logits_plot, probs_plot, slider_plot, logit_moved, temperature_moved):
        self.logits_plot, self.probs_plot, self.slider_plot = logits_plot, probs_plot, slider_plot
        for plot in (logits_plot, probs_plot, slider_plot):
            plot.setMouseEnabled(x=False, y=False)
            plot.vb.disableAutoRange()
        logits_plot.setLabel("left", "logit z_i")
        logits_plot.setRange(yRange=LOGIT_RANGE, padding=0)
        logits_plot.showGrid(y=True, alpha=0.15)
        probs_plot.setLabel("left", "p_i")
        probs_plot.setLabel("bottom", "class i")
        probs_plot.setRange(yRange=(0.0, 1.3), padding=0)   # room above for the labels
        probs_plot.getAxis("left").setTicks([[(0, "0"), (0.5, "0.5"), (1, "1")]])
        probs_plot.showGrid(y=True, alpha=0.15)
        probs_plot.setXLink(logits_plot)
        self.logit_bars = pg.BarGraphItem(x=[], height=[], width=0.6)
        self.prob_bars = pg.BarGraphItem(x=[], height=[], width=0.6)
        logits_plot.addItem(self.logit_bars)
        probs_plot.addItem(self.prob_bars)
        logits_plot.addItem(pg.InfiniteLine(angle=0, pos=0, pen=pg.mkPen(INK, width=1)))
        self.handles, self.labels = [], []
        for i in range(MAX_LOGITS):
            handle = Handle((i + 1, 0.0), column=i + 1, low=LOGIT_RANGE[0] + 0.05,
                            high=LOGIT_RANGE[1] - 0.05, symbol="s",
                            hoverPen=pg.mkPen(INK, width=3), hoverBrush=pg.mkBrush(INK))
            handle.setZValue(10)
            handle.sigPositionChanged.connect(lambda h, i=i: logit_moved(i, h.xy()[1], False))
            handle.sigPositionChangeFinished.connect(
                lambda h, i=i: logit_moved(i, h.xy()[1], True))
            logits_plot.addItem(handle)
            label = pg.TextItem(anchor=(0.5, 1), color=INK)
            probs_plot.addItem(label)
            self.handles.append(handle)
            self.labels.append(label)
        self.status = StatusBox(slider_plot, "top-left", bold=False)
        # x is log10(T), labelled in T: pyqtgraph's own log axis crowds its minor labels.
        slider_plot.getAxis("bottom").setTicks([[(math.log10(t), f"{t:g}") for t in
                                                 (0.05, 0.1, 0.3, 1, 3, 10, 20)]])
        slider_plot.hideAxis("left")
        slider_plot.setLabel("bottom", "temperature T")
        slider_plot.setRange(xRange=np.log10(T_RANGE), yRange=(0, 1), padding=0.02)
        self.knob = pg.InfiniteLine(angle=90, movable=True, bounds=np.log10(T_RANGE))
        self.knob.sigPositionChanged.connect(lambda k: temperature_moved(10 ** k.value(), False))
        self.knob.sigPositionChangeFinished.connect(
            lambda k: temperature_moved(10 ** k.value(), True))
        slider_plot.addItem(self.knob)
        self.count = None

    def restyle(self) -> None:
        lw = STYLE.line_width
        self.slider_plot.setMaximumHeight(STYLE.tick_px * 6 + 24)
        self.knob.setPen(pg.mkPen(INK, width=lw * 2))
        self.knob.setHoverPen(pg.mkPen(colour(5), width=lw * 3))
        for i, handle in enumerate(self.handles):
            handle.setPen(pg.mkPen(INK, width=2))
            handle.setBrush(pg.mkBrush(colour(i)))
            handle.resize(STYLE.marker_size * 2.2)
        for label in self.labels:
            label.setFont(STYLE.font(STYLE.tick_px))
        self.status.restyle(STYLE.tick_px)
        self.count = None

    def show(self, logits: np.ndarray, temperature: float) -> None:
        k = len(logits)
        x = np.arange(1, k + 1)
        if k != self.count:   # the frame changes only with the number of classes
            self.count = k
            self.logits_plot.setRange(xRange=(0.4, k + 0.6), padding=0)
            self.probs_plot.getAxis("bottom").setTicks([[(i, str(i)) for i in x]])
            brushes = [pg.mkBrush(tinted(colour(i), 150)) for i in range(k)]
            self.logit_bars.setOpts(brushes=brushes, pens=[pg.mkPen(INK)] * k)
            self.prob_bars.setOpts(brushes=[pg.mkBrush(colour(i)) for i in range(k)],
                                   pens=[pg.mkPen(INK)] * k)
            for i, (handle, label) in enumerate(zip(self.handles, self.labels, strict=True)):
                handle.setVisible(i < k)
                label.setVisible(i < k)
        p = activations.softmax(logits, temperature)
        self.logit_bars.setOpts(x=x, height=logits, width=0.6)
        self.prob_bars.setOpts(x=x, height=p, width=0.6)
        for i in range(k):
            handle = self.handles[i]
            if not handle.moving and abs(handle.xy()[1] - logits[i]) > 1e-12:
                handle.blockSignals(True)
                handle.setPos(i + 1, logits[i])
                handle.blockSignals(False)
            self.labels[i].setText(num(p[i], 2))
            self.labels[i].setPos(i + 1, p[i] + 0.11)
        log_t = math.log10(temperature)
        if abs(self.knob.value() - log_t) > 1e-9 and not self.knob.moving:
            self.knob.blockSignals(True)
            self.knob.setValue(log_t)
            self.knob.blockSignals(False)
        top = int(np.argmax(p))
        self.status.set_html(f"T = {num(temperature, 3)} · Σ p_i = {num(p.sum(), 6)} · "
                             f"largest p_{top + 1} = {num(p[top], 3)}")


def fit_legend(legend: Legend, focus: str) -> None:
    legend.fill([(marker_sample("o", "#bdbdbd", size=STYLE.marker_size), "examples (x, y)"),
                 (line_sample(colour(HUE[focus]), width=STYLE.line_width * 2),
                  "ŷ = c + Σ vⱼ·f(wⱼ·x + bⱼ)"),
                 (line_sample("#707070", style=DASH), "one unit: vⱼ·f(wⱼ·x + bⱼ)")],
                key=("fit", focus))
