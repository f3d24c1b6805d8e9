"""RNN vs LSTM: remembering the first symbol of a sequence.

Top: the sequence as a one-hot strip across time (the symbol to recall ringed) and the
LSTM's cell state c_t, one line per unit, drawn up to the time step reached: the conveyor.
Middle: at the time step shown, the RNN's hidden state h_t as bars and the LSTM's gates
f, i, o and candidate g as grouped bars. Bottom: after the backward pass, ‖∂L/∂h_t‖ per
time step on a log axis for both cells (the RNN's fades, the LSTM's is carried), and the
test accuracy by epoch at T and after training at each length of the sweep.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg

from algorithms import recurrent
from algorithms.base import num, param, validate
from visualizer.panels.base import AlgorithmPanel
from visualizer.panels.overlays import Legend, StatusBox
from visualizer.style import INK, STYLE, colour

HUE = {"RNN": 0, "LSTM": 5}
GATE_HUE = (2, 3, 8, 1)           # f, i, o, g
SHOWS = ("both", "RNN", "LSTM")
DASH = pg.QtCore.Qt.DashLine
FUTURE = 0.2                      # symbols not read yet: pale grey in the sequence strip


@dataclass(frozen=True)
class Params(recurrent.Params):
    cells: str = param("both", values=SHOWS, live=True, label="cells shown",
                       tip="draw both cells, or only one of them")


def _grad_title() -> str:
    """The gradient plot's title doubles as its legend: each cell named in its colour."""
    rnn, lstm = colour(HUE["RNN"]), colour(HUE["LSTM"])
    return (f"‖∂L/∂h<sub>t</sub>‖ <span style='color:{rnn}'>RNN</span> "
            f"<span style='color:{lstm}'>LSTM</span>")


class RecurrentPanel(AlgorithmPanel):
    id, title, topic = "recurrent", "RNN vs LSTM: remembering", "Deep networks"
    Params = Params

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.step = None
        self._conveyor_of = None

    # --- building -----------------------------------------------------------------------
    def setup(self, canvas):
        def plot(row, col, title, layout=canvas):
            p = layout.addPlot(row=row, col=col, title=title)
            p.setMouseEnabled(x=False, y=False)
            return p

        self.seq_plot = plot(0, 0, "Sequence")
        self.seq_image = pg.ImageItem()
        self.seq_plot.addItem(self.seq_image)
        self.answer = pg.ScatterPlotItem(symbol="s")
        self.cursor = pg.InfiniteLine(angle=90)
        for item in (self.answer, self.cursor):
            self.seq_plot.addItem(item)
        self.seq_plot.setLabel("left", "symbol")
        self.conveyor_plot = plot(0, 1, "Cell state c<sub>t</sub>")
        self.conveyor = pg.PlotCurveItem(connect="finite")  # one path: a line per unit
        self.conveyor_plot.addItem(self.conveyor)
        self.conveyor_now = pg.ScatterPlotItem()
        self.conveyor_plot.addItem(self.conveyor_now)
        self.rnn_plot = plot(1, 0, "RNN h<sub>t</sub>")
        self.rnn_bars = pg.BarGraphItem(x=[], height=[], width=0.8)
        self.rnn_plot.addItem(self.rnn_bars)
        self.gate_plot = plot(1, 1, "LSTM gates at t")
        self.gate_bars = [pg.BarGraphItem(x=[], height=[], width=0.8) for _ in range(4)]
        for item in self.gate_bars:
            self.gate_plot.addItem(item)
        self.grad_plot = plot(2, 0, _grad_title())
        self.grad_plot.setLogMode(y=True)
        self.grad_plot.showGrid(x=True, y=True, alpha=0.2)
        self.grad_curves = {c: pg.PlotDataItem() for c in recurrent.CELLS}
        self.grad_c = pg.PlotDataItem()
        for item in (*self.grad_curves.values(), self.grad_c):
            self.grad_plot.addItem(item)
        acc = canvas.addLayout(row=2, col=1)
        self.acc_layout = acc
        self.epoch_plot = plot(0, 0, "Accuracy", acc)
        self.sweep_plot = plot(0, 1, "Accuracy vs T", acc)
        self.epoch_curves = {c: pg.PlotDataItem() for c in recurrent.CELLS}
        self.sweep_curves = {c: pg.PlotDataItem() for c in recurrent.CELLS}
        for c in recurrent.CELLS:
            self.epoch_plot.addItem(self.epoch_curves[c])
            self.sweep_plot.addItem(self.sweep_curves[c])
        for p in (self.epoch_plot, self.sweep_plot):
            p.setYRange(0, 1.05, padding=0)
            p.showGrid(y=True, alpha=0.2)
        self.sweep_plot.setXRange(0, max(recurrent.LENGTHS) + 2, padding=0)
        self.sweep_plot.setLabel("bottom", "T")
        self.epoch_plot.setLabel("bottom", "epoch")
        self.status = StatusBox(self.rnn_plot, "top-left", bold=False)
        self.grad_status = StatusBox(self.grad_plot, "bottom-right", bold=False)
        self.gate_legend = Legend(self.gate_plot.addLegend(offset=(-8, 8)),
                                  width=lambda: self.gate_plot.vb.width() * 0.9)

    def plots(self):
        return super().plots() + [self.epoch_plot, self.sweep_plot]

    def restyle(self):
        super().restyle()
        lw = STYLE.line_width
        pens = {c: pg.mkPen(colour(HUE[c]), width=lw * 1.5) for c in recurrent.CELLS}
        for c in recurrent.CELLS:
            for curves in (self.grad_curves, self.epoch_curves, self.sweep_curves):
                curves[c].setPen(pens[c])
                curves[c].setSymbol("o")
                curves[c].setSymbolSize(STYLE.marker_size)
                curves[c].setSymbolBrush(colour(HUE[c]))
                curves[c].setSymbolPen(None)
        self.grad_c.setPen(pg.mkPen(colour(HUE["LSTM"]), width=lw, style=DASH))
        self.rnn_bars.setOpts(brush=pg.mkBrush(colour(HUE["RNN"])), pen=pg.mkPen(INK, width=0.5))
        for item, hue in zip(self.gate_bars, GATE_HUE, strict=True):
            item.setOpts(brush=pg.mkBrush(colour(hue)), pen=pg.mkPen(INK, width=0.5))
        fade = pg.mkColor(colour(HUE["LSTM"]))
        fade.setAlpha(150)
        self.conveyor.setPen(pg.mkPen(fade, width=lw))
        self.conveyor_now.setBrush(pg.mkBrush(colour(HUE["LSTM"])))
        self.conveyor_now.setPen(pg.mkPen(INK, width=0.8))
        self.conveyor_now.setSize(STYLE.marker_size)
        self.cursor.setPen(pg.mkPen(INK, width=lw, style=DASH))
        self.answer.setBrush(pg.mkBrush(0, 0, 0, 0))
        self.answer.setPen(pg.mkPen(colour(HUE["LSTM"]), width=lw * 1.5))
        self.answer.setSize(STYLE.marker_size * 2.6)
        ink = np.array(pg.mkColor(INK).getRgb()[:3], float)
        ramp = np.linspace(0, 1, 256)[:, None]
        self.seq_image.setLookupTable((255 + (ink - 255) * ramp).astype(np.uint8))
        for box in (self.status, self.grad_status):
            box.restyle(STYLE.tick_px)
        self.gate_legend.fill([(item, name) for item, name in
                               zip(self.gate_bars, recurrent.GATES, strict=True)], key="gates")
        self._fit()
        if self.canvas is not None and self.step is not None:
            self.draw(self.step)

    def _fit(self):
        """Fixed ranges from the parameters: nothing jumps while the run steps."""
        p = self.params
        t = p.length
        self.seq_plot.setRange(xRange=(0.5, t + 0.5), yRange=(0.5, p.symbols + 0.5), padding=0)
        self.conveyor_plot.setRange(xRange=(-0.5, t + 0.5), yRange=(-4, 4), padding=0)
        self.rnn_plot.setRange(xRange=(0.3, p.hidden + 0.7), yRange=(-1.05, 2.6), padding=0)
        width = p.hidden + 1
        self.gate_plot.setRange(xRange=(0.3, 4 * width), yRange=(-1.05, 2.2), padding=0)
        self.gate_plot.getAxis("bottom").setTicks([[(k * width + width / 2, name.split()[-1])
                                                     for k, name in enumerate(recurrent.GATES)]])
        self._conveyor_of = None
        self.grad_plot.setRange(xRange=(0.5, t + 0.5), yRange=(-12, 3.5), padding=0)
        self.epoch_plot.setXRange(0, p.epochs, padding=0.02)

    def intro(self):
        p = self.params
        return (f"A sequence of {p.length} symbols (K = {p.symbols}) goes in one per time "
                f"step; after the last both an RNN and an LSTM with H = {p.hidden} must name "
                f"the first. Press Step (→) to run the forward pass one time step at a time.")

    def steps(self):
        return recurrent.run(self.params, self.rng())

    def set_params(self, params, live=False):
        try:
            validate(params)
        except ValueError as err:
            self.replace_params(self.params)
            self.message.emit("error", f"{err} — the run shown before is kept.")
            return
        super().set_params(params, live)
        if not live:
            self._fit()

    # --- drawing ------------------------------------------------------------------------
    def draw(self, step):
        self.step = step
        show = {c: self.params.cells in ("both", c) for c in recurrent.CELLS}
        if step is None:
            self._clear()
            self.status.set_text("not started: press Step")
            return
        t_len = step.length
        t = step.time if step.time is not None else t_len - 1
        image = np.zeros((t_len, self.params.symbols))
        image[np.arange(t_len), step.sequence] = np.where(np.arange(t_len) <= t, 1.0, FUTURE)
        self.seq_image.setImage(image, levels=(0, 1))
        self.seq_image.setRect(pg.QtCore.QRectF(0.5, 0.5, t_len, self.params.symbols))
        self.answer.setData([1], [step.sequence[0] + 1])
        self.cursor.setPos(t + 1)
        if self._conveyor_of is not step.lstm_c:   # a new forward pass: fix its range
            self._conveyor_of = step.lstm_c
            top = max(1.0, float(np.abs(step.lstm_c).max()) * 1.1)
            self.conveyor_plot.setYRange(-top, top, padding=0)
        upto = np.arange(t + 2)
        if show["LSTM"]:  # unit j's c_0 … c_t, then a NaN that ends its line
            units = step.lstm_c.shape[1]
            gap = np.full((units, 1), np.nan)
            self.conveyor.setData(np.tile(np.append(upto, np.nan), units),
                                  np.hstack([step.lstm_c[: t + 2].T, gap]).ravel())
        else:
            self.conveyor.setData([], [])
        self.conveyor_now.setData(np.full(step.lstm_c.shape[1], t + 1) if show["LSTM"] else [],
                                  step.lstm_c[t + 1] if show["LSTM"] else [])
        h = step.rnn_h[t] if show["RNN"] else np.zeros(0)
        self.rnn_bars.setOpts(x=np.arange(1, len(h) + 1), height=h)
        hsz = step.lstm_gates.shape[2]
        for k, item in enumerate(self.gate_bars):
            values = step.lstm_gates[t, k] if show["LSTM"] else np.zeros(0)
            item.setOpts(x=k * (hsz + 1) + np.arange(1, len(values) + 1), height=values)
        self._draw_gradients(step, show)
        for c in recurrent.CELLS:
            acc = step.accuracies[c] if show[c] else np.zeros(0)
            self.epoch_curves[c].setData(np.arange(len(acc)), acc)
            done = ~np.isnan(step.sweep[c]) if show[c] else np.zeros(len(step.lengths), bool)
            self.sweep_curves[c].setData(np.asarray(step.lengths)[done], step.sweep[c][done])
        word = "time step" if step.time is not None else step.phase
        rows = [(f"{word} {t + 1} of {t_len}" if step.time is not None else word)
                + f" · answer {int(step.sequence[0]) + 1}"]
        for c in recurrent.CELLS:
            if show[c] and t == t_len - 1:  # a prediction once the whole sequence is read
                rows.append(f"{c} says {int(np.argmax(step.probs[c])) + 1} "
                            f"(p = {num(step.probs[c].max(), 2)})")
        self.status.set_text("\n".join(rows))

    def _draw_gradients(self, step, show):
        if step.grad_h is None:
            for item in (*self.grad_curves.values(), self.grad_c):
                item.setData([], [])
            self.grad_status.set_text("after the forward pass")
            return
        x = np.arange(1, step.length + 1)
        floor = 1e-12
        for c in recurrent.CELLS:
            y = np.maximum(step.grad_h[c], floor) if show[c] else np.zeros(0)
            self.grad_curves[c].setData(x[: len(y)], y)
        gc = np.maximum(step.grad_c, floor) if show["LSTM"] else np.zeros(0)
        self.grad_c.setData(x[: len(gc)], gc)
        self.grad_status.set_text("step 1: " + " · ".join(
            f"{c} {num(step.grad_h[c][0], 2)}" for c in recurrent.CELLS if show[c])
            + ("\ndashed: LSTM ‖∂L/∂c‖" if show["LSTM"] else ""))

    def _clear(self):
        self.seq_image.clear()
        self.answer.setData([], [])
        for item in (self.conveyor, *self.grad_curves.values(), self.grad_c,
                     *self.epoch_curves.values(), *self.sweep_curves.values()):
            item.setData([], [])
        self.conveyor_now.setData([], [])
        self.rnn_bars.setOpts(x=[], height=[])
        for item in self.gate_bars:
            item.setOpts(x=[], height=[])
        self.grad_status.set_text("")
