"""Activation functions: the curves and their slopes, a small net that they bend, softmax.

Top left: the functions ticked, solid, with their derivatives dashed; the focused one (the
net's) thicker, its dead or saturated zones shaded, a draggable input z with the values
and slopes read out, and the hidden units' inputs w·x + b as rings on its curve. Top
right: ŷ = c + Σ vⱼ·f(wⱼ·x + bⱼ) fitted step by step to the examples, each unit's share
dashed, and softmax below it — drag the logits, drag the temperature.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg

from algorithms import activations
from algorithms.base import num, param, plural
from visualizer.panels import activation_views as views
from visualizer.panels.base import AlgorithmPanel
from visualizer.panels.overlays import Legend, StatusBox
from visualizer.sources import TABLE, Generated, TableChoice, select_columns
from visualizer.style import INK, STYLE, UNASSIGNED, colour

SHOW = {"sigmoid": "show_sigmoid", "tanh": "show_tanh", "ReLU": "show_relu",
        "leaky ReLU": "show_leaky", "ELU": "show_elu", "GELU": "show_gelu",
        "GELU (tanh approx.)": "show_gelu_tanh", "softplus": "show_softplus",
        "linear": "show_linear"}
START_LOGITS = (2.0, 1.0, 0.1, -1.0, 0.5, -2.0)


def _toggle(default: bool, name: str):
    return param(default, live=True, label=f"show {name}",
                 tip=f"draw {name} and its slope on the functions plot")


@dataclass(frozen=True)
class Params(activations.Params):
    show_sigmoid: bool = _toggle(True, "sigmoid")
    show_tanh: bool = _toggle(True, "tanh")
    show_relu: bool = _toggle(True, "ReLU")
    show_leaky: bool = _toggle(False, "leaky ReLU")
    show_elu: bool = _toggle(False, "ELU")
    show_gelu: bool = _toggle(False, "GELU")
    show_gelu_tanh: bool = _toggle(False, "GELU (tanh approx.)")
    show_softplus: bool = _toggle(False, "softplus")
    show_linear: bool = _toggle(False, "linear")
    slopes: bool = param(True, live=True, label="show slopes f′",
                         tip="draw each derivative dashed beside its function")
    classes: int = param(4, limits=(3, views.MAX_LOGITS), live=True, label="softmax classes")
    temperature: float = param(1.0, limits=views.T_RANGE, step=0.1, live=True,
                               label="softmax temperature T",
                               tip="p = softmax(z / T): small T sharpens, large T flattens")


@dataclass(frozen=True)
class Examples:
    x: np.ndarray
    y: np.ndarray
    origin: str
    names: tuple[str, str]


def check_examples(x, y, origin, names) -> Examples:
    """Examples a net can be fitted to, or a ValueError in one sentence."""
    x, y = np.asarray(x, float).ravel(), np.asarray(y, float).ravel()
    if len(x) < 2:
        raise ValueError(f"{origin}: the fit needs at least 2 examples, got {len(x)}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError(f"{origin}: the x or y column contains NaN or infinite values")
    if np.ptp(x) == 0:
        raise ValueError(f"{origin}: every x is the same, so there is no curve to fit")
    return Examples(x, y, origin, names)


class ActivationsPanel(AlgorithmPanel):
    id, title, topic = "activations", "Activation functions", "Neural network basics"
    Params, Data = Params, activations.Data
    accepts = (TABLE,)

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.data: Examples | None = None
        self.z = 1.0                              # the input read out on the functions plot
        self.logits = np.array(START_LOGITS)
        self.step = None
        self.table = None

    # --- building -----------------------------------------------------------------------
    def setup(self, canvas):
        self.fn_plot = canvas.addPlot(row=0, col=0, rowspan=2,
                                      title="f(z) solid, f′(z) dashed")
        self.functions = views.FunctionView(self.fn_plot, self._z_moved)
        self.fit_plot = canvas.addPlot(row=0, col=1, title="One hidden layer, y(x)")
        self.fit_plot.setMouseEnabled(x=False, y=False)
        self.fit_plot.showGrid(x=True, y=True, alpha=0.15)
        self.dots = pg.ScatterPlotItem()
        self.parts = [pg.PlotCurveItem() for _ in range(8)]
        self.curve = pg.PlotCurveItem()
        for z, item in enumerate((self.dots, *self.parts, self.curve)):
            item.setZValue(z if item is not self.dots else 20)
            self.fit_plot.addItem(item)
        self.fit_status = StatusBox(self.fit_plot, "top-left", bold=False)
        self.fit_legend = Legend(self.fit_plot.addLegend(offset=(-8, -8)),
                                 width=lambda: self.fit_plot.vb.width() * 0.8)
        soft = canvas.addLayout(row=1, col=1)  # softmax: logits, probabilities, temperature
        logits = soft.addPlot(row=0, col=0, title="Softmax: drag z, T")
        probs = soft.addPlot(row=1, col=0)
        slider = soft.addPlot(row=2, col=0)
        self.soft_layout = soft
        self.softmax = views.SoftmaxView(logits, probs, slider, self._logit_moved,
                                         self._temperature_moved)
        layout = canvas.ci.layout
        layout.setRowStretchFactor(0, 1)
        layout.setRowStretchFactor(1, 1)

    def plots(self):
        return super().plots() + [item for item in self.soft_layout.items
                                  if isinstance(item, pg.PlotItem)]

    def restyle(self):
        super().restyle()
        lw = STYLE.line_width
        self.functions.restyle()
        self.softmax.restyle()
        self.dots.setSize(STYLE.marker_size)
        self.dots.setBrush(pg.mkBrush(UNASSIGNED))
        self.dots.setPen(pg.mkPen(INK, width=0.6))
        for item in self.parts:
            item.setPen(pg.mkPen("#707070", width=lw, style=views.DASH))
        self.curve.setPen(pg.mkPen(colour(views.HUE[self.params.activation]), width=lw * 2))
        self.fit_status.restyle(STYLE.tick_px)
        views.fit_legend(self.fit_legend, self.params.activation)
        self._table_key = None
        if self.data is not None:
            self._show_static()

    # --- data ---------------------------------------------------------------------------
    def prepare(self, source):
        if isinstance(source, Generated):
            d = source.params
            x, y = activations.make_data(d.target, d.n_points, d.noise, self.rng())
            return check_examples(x, y, f"generated {d.target}", ("x", "y")), ""
        if isinstance(source, TableChoice):
            x, y, _ = source.columns()
            points, _, _ = select_columns(source.table, x, y, None)
            name = getattr(source, "name", "the file")
            return (check_examples(points[:, 0], points[:, 1], name, (x, y)),
                    source.table.message)
        return super().prepare(source)

    def adopt(self, data):
        self.data = data
        x, y = data.x, data.y
        pad = 0.1 * np.ptp(x)
        spread = max(np.ptp(y), 1e-6)
        self.fit_plot.setRange(xRange=(x.min() - pad, x.max() + pad),
                               yRange=(y.min() - 0.75 * spread, y.max() + 0.3 * spread),
                               padding=0)
        self.fit_plot.setLabel("bottom", data.names[0])
        self.fit_plot.setLabel("left", data.names[1])
        self.dots.setData(x, y)

    # --- running ------------------------------------------------------------------------
    def steps(self):
        return activations.run(self.data.x, self.data.y, self.params, self.rng())

    def set_params(self, params, live=False):
        activations.get(params.activation, params.slope, params.alpha)  # a bad one raises
        focus_changed = params.activation != self.params.activation
        super().set_params(params, live)
        if focus_changed:
            self.restyle()

    def intro(self):
        p = self.params
        return (f"{plural(len(self.data.x), 'example')} ({self.data.origin}). Press Step (→) "
                f"to fit ŷ = c + Σ vⱼ·f(wⱼ·x + bⱼ) with {plural(p.units, 'unit')} of "
                f"{p.activation}. Drag the dashed z line, the logits or the temperature.")

    def shown(self) -> list[str]:
        p = self.params
        names = [n for n in activations.NAMES if getattr(p, SHOW[n]) or n == p.activation]
        return names

    def _table(self):
        key = (self.params.slope, self.params.alpha)
        if getattr(self, "_curves_key", None) != key:
            self._curves_key, self._curves = key, views.curves(*key)
        return self._curves

    def draw(self, step):
        self.step = step
        self._show_static()
        if step is None:
            self.curve.setData([], [])
            for item in self.parts:
                item.setData([], [])
            self.fit_status.set_text("not started: press Step")
            return
        self.curve.setData(step.grid, step.curve)
        for j, item in enumerate(self.parts):
            if j < len(step.contributions):
                item.setData(step.grid, step.contributions[j] + step.c)
            else:
                item.setData([], [])
        dead = np.flatnonzero(step.dead)
        rows = [f"update {step.update} · loss {num(step.loss, 3)} (start {num(step.losses[0], 3)})"]
        if len(dead):
            rows.append(f"dead: unit {', '.join(str(j + 1) for j in dead)} (gradient exactly 0)")
        self.fit_status.set_html("<br>".join(rows))

    def _show_static(self):
        """The views that need no run: functions with the cursor, and softmax."""
        p, step = self.params, self.step
        inputs = None
        if step is not None and step.activation == p.activation:
            inputs = self.data.x[:, None] * step.w + step.b
        self.functions.show(self._table(), self.shown(), p.activation, p.slopes, self.z, inputs)
        self.softmax.show(self.logits[: p.classes], p.temperature)

    # --- hand-made changes --------------------------------------------------------------
    def _z_moved(self, z, finished):
        self.z = float(z)
        self.functions.at(self._table(), self.shown(), self.params.activation, self.z)

    def _logit_moved(self, i, value, finished):
        if not finished:
            live = self.logits.copy()
            live[i] = value
            self.softmax.show(live[: self.params.classes], self.params.temperature)
            return
        old, new = self.logits.copy(), self.logits.copy()
        new[i] = round(float(value), 2)
        self.edit(f"move logit z_{i + 1} to {num(new[i], 3)}", lambda: self._set_logits(new),
                  lambda: self._set_logits(old))

    def _set_logits(self, logits):
        self.logits = np.array(logits, float)
        self.softmax.show(self.logits[: self.params.classes], self.params.temperature)

    def _temperature_moved(self, t, finished):
        t = float(np.clip(t, *views.T_RANGE))
        if finished:
            t = float(f"{t:.3g}")
        self.params = dataclasses.replace(self.params, temperature=t)
        self.softmax.show(self.logits[: self.params.classes], t)
        if finished:
            self.replace_params(self.params)

    def hand_made(self):
        return {"logits": self.logits.tolist(), "z": self.z}

    def restore_hand_made(self, state):
        logits = state.get("logits")
        if logits is not None and len(logits) == views.MAX_LOGITS:
            self._set_logits(logits)
        self.z = float(np.clip(state.get("z", self.z), -views.Z_SPAN, views.Z_SPAN))
        if self.data is not None:
            self._show_static()
