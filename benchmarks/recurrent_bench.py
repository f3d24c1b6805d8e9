"""Recurrent panel figures: frames per second stepping through the forward and backward pass.

A frame is `player.step_now()` — one time step of both cells (the RNN's h_t bars, the
LSTM's four gate bar groups, the conveyor lines up to t, the sequence cursor) or the
backward pass (both gradient curves on the log axis) — then a synchronous repaint of the
1280 × 800 canvas. When the run reaches the update the player is reset (training epochs
are computation, timed by the algorithm, not redraws). Beside it, matplotlib (Agg) draws
the same content into a figure of the same size: the sequence image, H conveyor lines, the
bar groups and the two gradient curves, then `canvas.draw()`. The sides take turns in
short slices so load from elsewhere on the machine falls on both alike.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator

import numpy as np

from algorithms import recurrent
from benchmarks import FrameTimes, Result

SIZE = (1280, 800)
FPS_TARGET, VS_MPL_TARGET = 30, 3
BUDGET, MIN_FRAMES, SLICE, WARM = 4.0, 30, 0.5, 3


def run() -> Iterator[Result]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg

    from visualizer.panels.recurrent import RecurrentPanel
    from visualizer.session import Session

    app = pg.mkQApp("Stepwise")
    session = Session(RecurrentPanel)
    panel = session.panel
    panel.canvas.resize(*SIZE)
    panel.canvas.show()
    app.processEvents()
    try:
        yield frame_result(app, session)
    finally:
        panel.canvas.close()
        panel.canvas.deleteLater()
        app.processEvents()


class PanelSide(FrameTimes):
    def __init__(self, session):
        super().__init__(WARM)
        self.player = session.player
        self.panel = session.panel
        self.viewport = session.panel.canvas.viewport()

    def frame(self) -> None:
        start = time.perf_counter()
        current = self.player.current
        if current is not None and current.phase == "backward":
            self.player.reset()  # the update and the training come next: start over
            return
        self.player.step_now()
        self.panel.background.wait()
        self.viewport.repaint()
        self.keep(time.perf_counter() - start)


class MatplotlibSide(FrameTimes):
    """The same picture with matplotlib: six axes, the same per-frame updates."""

    def __init__(self, params):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from visualizer.panels.recurrent import GATE_HUE, HUE
        from visualizer.style import colour

        super().__init__(WARM)
        self.params = params
        self.steps = self._steps()
        fig = self.fig = Figure(figsize=(SIZE[0] / 100, SIZE[1] / 100), dpi=100)
        FigureCanvasAgg(fig)
        axes = fig.subplots(3, 2)
        seq, conv, rnn, gates, grad, acc = axes.ravel()
        t, h = params.length, params.hidden
        self.image = seq.imshow(np.zeros((params.symbols, t)), origin="lower", cmap="gray_r",
                                vmin=0, vmax=1, aspect="auto")
        self.cursor = seq.axvline(0, ls="--", color="k")
        self.lines = [conv.plot([], [], color=colour(HUE["LSTM"]), alpha=0.6)[0]
                      for _ in range(h)]
        conv.set_xlim(-0.5, t + 0.5)
        conv.set_ylim(-4, 4)
        self.rnn = rnn.bar(np.arange(1, h + 1), np.zeros(h), color=colour(HUE["RNN"]))
        rnn.set_ylim(-1.05, 2.6)
        self.gates = [gates.bar(k * (h + 1) + np.arange(1, h + 1), np.zeros(h),
                                color=colour(GATE_HUE[k])) for k in range(4)]
        gates.set_ylim(-1.05, 2.2)
        self.grads = {c: grad.semilogy([1], [1], "o-", color=colour(HUE[c]))[0]
                      for c in recurrent.CELLS}
        grad.set_xlim(0.5, t + 0.5)
        grad.set_ylim(1e-12, 10 ** 3.5)
        for title, ax in zip(("Sequence", "Cell state", "RNN h", "LSTM gates", "‖∂L/∂h‖",
                              "Accuracy"), axes.ravel(), strict=True):
            ax.set_title(title)

    def _steps(self):
        for step in recurrent.run(self.params, np.random.default_rng(0)):
            yield step
            if step.phase == "backward":
                return

    def frame(self) -> None:
        start = time.perf_counter()
        step = next(self.steps, None)
        if step is None:
            self.steps = self._steps()
            return
        t = step.time if step.time is not None else step.length - 1
        image = np.zeros((self.params.symbols, step.length))
        image[step.sequence, np.arange(step.length)] = 1
        self.image.set_data(image)
        self.cursor.set_xdata([t + 1, t + 1])
        for j, line in enumerate(self.lines):
            line.set_data(np.arange(t + 2), step.lstm_c[: t + 2, j])
        for bar, v in zip(self.rnn, step.rnn_h[t], strict=True):
            bar.set_height(v)
        for k, group in enumerate(self.gates):
            for bar, v in zip(group, step.lstm_gates[t, k], strict=True):
                bar.set_height(v)
        if step.grad_h is not None:
            for c, line in self.grads.items():
                line.set_data(np.arange(1, step.length + 1), step.grad_h[c])
        self.fig.canvas.draw()
        self.keep(time.perf_counter() - start)


def frame_result(app, session) -> Result:
    panel = session.panel
    ours, theirs = PanelSide(session), MatplotlibSide(panel.params)
    deadline = time.perf_counter() + BUDGET
    while time.perf_counter() < deadline or min(len(ours.times), len(theirs.times)) < MIN_FRAMES:
        for side in (ours, theirs):
            until = time.perf_counter() + SLICE
            while time.perf_counter() < until:
                side.frame()
    fps, mpl = 1 / statistics.median(ours.times), 1 / statistics.median(theirs.times)
    seen = visible(session)
    return Result("recurrent frame/s, forward and backward steps, T = 20, H = 12"
                  + ("" if seen else " — NOT VISIBLE"), fps, "frames/s", baseline=mpl,
                  baseline_name=f"matplotlib Agg {SIZE[0]}×{SIZE[1]}",
                  target=f"≥ {FPS_TARGET} and ≥ {VS_MPL_TARGET}× matplotlib",
                  met=seen and fps >= FPS_TARGET and fps >= VS_MPL_TARGET * mpl)


def visible(session) -> bool:
    """What was timed is on screen: the four gate colours in the gate plot, and after the
    backward pass both cells' gradient colours in the gradient plot."""
    from visualizer.panels.recurrent import GATE_HUE, HUE
    from visualizer.pixels import count_near, view_pixels
    from visualizer.style import colour

    panel, player = session.panel, session.player
    player.reset()
    session.advance(panel.params.length + 1)
    gates = view_pixels(panel, panel.gate_plot)
    grads = view_pixels(panel, panel.grad_plot)
    return (player.current.phase == "backward"
            and all(count_near(gates, colour(h), 12) >= 100 for h in GATE_HUE)
            and all(count_near(grads, colour(HUE[c]), 20) >= 100 for c in recurrent.CELLS))


if __name__ == "__main__":
    for result in run():
        print(result)
