"""A CNN reads your digits: a small convolutional network trained one batch a step on the
project's generated digits, and one probe digit followed through every layer.

Left: a pad to draw a digit on (left drag draws, right drag erases), a strip of test digits
(a click picks one) and the batch loss per update. Middle, the whole height: the probe's
maps after each ReLU and each pooling, with their shapes. Right: its class probabilities
(the winner coloured), the filters of both conv layers (blue negative, vermilion positive,
one symmetric scale per layer) and the test accuracy. The parameter dock's Actions clear
the pad, pick the next test digit, start from the bundled trained weights or random ones,
and save or load weights. The probe follows the model of the step shown, so scrubbing the
timeline replays how the maps and the probabilities changed with training. File ▸ Open
data… takes a picture of a digit.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from algorithms import cnn
from algorithms.base import param
from visualizer.panels import cnn_views as cv
from visualizer.panels.base import AlgorithmPanel
from visualizer.panels.cnn_inputs import Probe, ProbeInputs, WeightFiles
from visualizer.panels.network_base import percent
from visualizer.panels.network_extras import curve, say
from visualizer.panels.overlays import Legend, StatusBox, line_sample
from visualizer.sources import IMAGE
from visualizer.style import INK, STYLE, UNASSIGNED, colour

WINNER = colour(0)          # the bar of the class the network picks
TEST_COLOUR = colour(2)     # test loss and test accuracy
STRIP = 10                  # test digits in the strip: the first of each class


@dataclass(frozen=True)
class Params(cnn.Params):
    second: bool = param(False, live=True, label="show conv 2 filters",
                         tip="draw the second layer's filters too (one line per input map)")


class CNNPanel(ProbeInputs, WeightFiles, AlgorithmPanel):
    id, title, topic = "cnn", "A CNN reads your digits", "Deep networks"
    Params = Params
    accepts = (IMAGE,)
    actions = (("clear_pad", "Clear the pad"), ("next_digit", "Next test digit"),
               ("use_bundled", "Trained weights"), ("use_random", "Random weights"),
               ("save_dialog", "Save weights…"), ("load_dialog", "Load weights…"))

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.test: tuple[np.ndarray, np.ndarray] | None = None   # the test digits, labels
        self.probe: Probe | None = None
        self.start_theta: np.ndarray | None = None   # weights the run starts from, if given
        self.start_name = ""                         # where they came from
        self.preview: cnn.Model | None = None        # the run's first model (shown at None)
        self.shown_model: cnn.Model | None = None
        self.probed: cv.Probed | None = None         # the pictures on screen
        self.probed_probe: Probe | None = None       # the digit they show
        self.total = 1
        self.loss_top: float | None = None           # the loss axis's top in this run
        self._asked = None                           # the (model, probe) last sent off
        self.stroke: list = []

    # --- building -----------------------------------------------------------------------
    def setup(self, canvas):
        self.pad_plot, self.pad = cv.image_plot(canvas, 0, 0, "Draw a digit")
        self.pad_plot.vb.mouseDragEvent = self._drag
        self.probe_box = StatusBox(self.pad_plot, "bottom-left", bold=False, opacity=180)
        self.strip_plot, self.strip = cv.image_plot(canvas, 1, 0, "Test digits")
        self.click_plot = self.strip_plot
        self.maps_plot, self.maps = cv.image_plot(canvas, 0, 1, "Layer by layer",
                                               rowspan=3)      # the whole height: the maps
        self.map_labels = self._labels(self.maps_plot, len(cv.ROWS))
        self.prob_plot = canvas.addPlot(row=0, col=2, title="Probabilities")
        self.prob_plot.invertY(True)
        self.prob_plot.setMouseEnabled(False, False)
        self.prob_plot.setMenuEnabled(False)
        self.prob_plot.getAxis("left").setTicks([[(d, str(d)) for d in range(10)]])
        self.prob_plot.setRange(xRange=(0, 1.06), yRange=(-0.6, 9.6), padding=0)
        self.prob_plot.getAxis("bottom").setTicks([[(v, f"{v:g}") for v in (0, 0.5, 1)]])
        self.bars = pg.BarGraphItem(x0=0, y=np.arange(10), height=0.72, width=np.zeros(10))
        self.prob_plot.addItem(self.bars)
        self.prob_text = [pg.TextItem(color=INK, anchor=(0, 0.5)) for _ in range(10)]
        for d, item in enumerate(self.prob_text):
            item.setPos(0.02, d)
            self.prob_plot.addItem(item)
        self.filter_plot, self.filters = cv.image_plot(canvas, 1, 2, "Filters")
        self.filter_labels = self._labels(self.filter_plot, 2)
        self.key = StatusBox(self.filter_plot, "bottom-left", bold=False)
        for plot in (self.maps_plot, self.filter_plot):   # label room follows the view size
            plot.vb.sigResized.connect(self._resized)
        self.loss_plot = canvas.addPlot(row=2, col=0, title="Loss")
        self.loss_plot.setLabel("bottom", "updates")
        self.loss_plot.disableAutoRange()
        self.batch_curve, self.test_loss = curve(self.loss_plot), self.loss_plot.plot()
        self.loss_epochs = curve(self.loss_plot)
        self.loss_legend = Legend(self.loss_plot.addLegend(offset=(-10, 5)))
        self.acc_plot = canvas.addPlot(row=2, col=2, title="Accuracy")   # on the test digits
        self.acc_plot.setLabel("bottom", "updates")
        self.acc_plot.getAxis("left").setTicks([[(v, f"{v} %") for v in (0, 50, 100)]])
        self.acc_plot.disableAutoRange()
        self.acc_curve, self.acc_epochs = self.acc_plot.plot(), curve(self.acc_plot)
        self.status = StatusBox(self.maps_plot, "bottom-left", bold=False)
        layout = canvas.ci.layout
        for plot in self.plots():   # the stretch factors share the room, not the hints
            plot.setPreferredSize(40, 40)
        for col, stretch in enumerate((3, 6, 4)):
            layout.setColumnStretchFactor(col, stretch)
        canvas.resized.connect(self._share_width)
        for row, stretch in enumerate((4, 4, 3)):
            layout.setRowStretchFactor(row, stretch)

    def _share_width(self):
        """Qt's grid gives each column its preferred width first and then shares the rest
        by stretch, which left the maps the narrowest column: the side columns are capped
        at their share of the canvas instead, and the maps take what is left."""
        width = self.canvas.width()
        layout = self.canvas.ci.layout
        layout.setColumnMaximumWidth(0, max(180.0, 0.25 * width))
        layout.setColumnMaximumWidth(2, max(180.0, 0.3 * width))
        self._fit_titles()

    def keep_room(self, width=None):
        super().keep_room(width)
        self._fit_titles()

    def _fit_titles(self):
        cv.fit_titles(self.plots())


    def _labels(self, plot, n):
        items = []
        for _ in range(n):
            item = pg.TextItem(color=INK, anchor=(0, 1))
            plot.addItem(item)
            items.append(item)
        return items

    def restyle(self):
        super().restyle()
        small = STYLE.font(STYLE.tick_px)
        for item in (*self.map_labels, *self.filter_labels, *self.prob_text):
            item.setFont(small)
        self.probe_box.restyle(STYLE.tick_px)
        self.key.restyle(STYLE.tick_px)
        self.key.set_html(f'<span style="color:{cv.PALETTE[0]}">■</span> − &nbsp;□ 0 &nbsp;'
                          f'<span style="color:{cv.PALETTE[5]}">■</span> +')
        self.status.restyle(STYLE.tick_px)
        width = STYLE.line_width
        self.brushes = {True: pg.mkBrush(WINNER), False: pg.mkBrush(UNASSIGNED)}
        self.batch_curve.setPen(pg.mkPen(INK, width=max(1.0, width * 0.7)))
        self.test_loss.setPen(pg.mkPen(TEST_COLOUR, width=width, style=QtCore.Qt.DashLine))
        self.test_loss.setSymbol("o")
        self.test_loss.setSymbolSize(STYLE.marker_size)
        self.test_loss.setSymbolBrush(TEST_COLOUR)
        self.acc_curve.setPen(pg.mkPen(TEST_COLOUR, width=width))
        self.acc_curve.setSymbol("o")
        self.acc_curve.setSymbolSize(STYLE.marker_size)
        self.acc_curve.setSymbolBrush(TEST_COLOUR)
        faint = pg.mkPen("#c8c8c8", width=1, style=QtCore.Qt.DotLine)
        self.loss_epochs.setPen(faint)
        self.acc_epochs.setPen(faint)
        self.loss_legend.fill([(line_sample(INK), "batch"),
                               (line_sample(TEST_COLOUR, style=QtCore.Qt.DashLine,
                                            symbol="o"), "test")], key="loss")
        if self.probed is not None:
            self._show_probed(self.probed_probe, self.probed)

    # --- data: the digits, and the probe ------------------------------------------------
    def start(self):
        # the test digits only: the training digits (a second for 3,000) are made on the
        # player's worker when the run starts, not here on the UI thread
        self.test = test_x, test_y = cnn.test_digits()
        firsts = [int(np.flatnonzero(test_y == d)[0]) for d in range(STRIP)]
        self.strip_rows = firsts
        tiles = [cv.framed(cv.grey(test_x[i]), cv.SIDE) for i in firsts]
        top = np.concatenate(tiles[:5], axis=1)
        self.strip_image = np.concatenate([top, np.concatenate(tiles[5:], axis=1)], axis=0)
        h, w = self.strip_image.shape[:2]
        self.strip.setImage(self.strip_image, autoLevels=False, levels=(0, 255),
                            rect=QtCore.QRectF(0, 0, w, h))
        self.strip_plot.setRange(xRange=(0, w), yRange=(0, h), padding=0.02)
        self.pad_plot.setRange(xRange=(0, cv.SIDE), yRange=(0, cv.SIDE), padding=0.02)
        self._set_probe(self.test_probe(firsts[7]))

    # --- running ------------------------------------------------------------------------
    def steps(self):
        params, start, name = self.params, self.start_theta, self.start_name
        spec = cnn.Spec(params.filters1, 5, params.filters2, 3)
        self.preview = cnn.Model(spec, start if start is not None else spec.init(self.rng()))
        n = params.train_size
        self.total = params.epochs * math.ceil(n / min(params.batch_size, n))
        self.loss_top = None
        rng = self.rng()

        def run():
            data = cnn.digits_data(train=max(n, cnn.Params.train_size))
            for step in cnn.run(data, params, rng, start):
                if step.index == 0 and name:
                    step = dataclasses.replace(step, caption=f"Starting from {name}. "
                                                             f"{step.caption}")
                yield step

        return run()

    def intro(self):
        first = (f"Starting from {self.start_name}: press Step (→) to see their test "
                 "accuracy and train on" if self.start_name else
                 "Random weights, untrained: press Step (→) to train one batch at a time")
        return (f"{first}, or draw a digit on the pad.\n"
                f"The network: {self.preview.spec.text}. Draw a digit on the pad (left drag "
                "draws, right drag erases), click a test digit or open a picture (File ▸ "
                "Open data…) to see it flow through the layers.")

    # --- drawing ------------------------------------------------------------------------
    def draw(self, step):
        per_epoch = self.total / max(self.params.epochs, 1)
        edges = np.arange(1, self.params.epochs) * per_epoch
        ex = np.repeat(edges, 3)
        ey = np.tile([0.0, 1e3, np.nan], len(edges))
        self.loss_epochs.setData(ex, ey, connect="finite")
        self.acc_epochs.setData(ex, ey, connect="finite")
        self.acc_plot.setRange(xRange=(0, self.total), yRange=(0, 100), padding=0.02)
        if step is None:
            self.shown_model = self.preview
            for item in (self.batch_curve, self.test_loss, self.acc_curve):
                item.setData([], [])
            self.loss_plot.setRange(xRange=(0, self.total), yRange=(0, self.loss_top or 3.0),
                                    padding=0.02)
            say(self.status, "training not started" if not self.start_name
                else f"from {self.start_name}, training not started")
            self._ask()
            return
        self.shown_model = step.model
        x = np.arange(1, step.update + 1)
        self.batch_curve.setData(x, step.losses)
        ev = step.evaluations
        self.test_loss.setData(ev[:, 0], ev[:, 2])
        self.acc_curve.setData(ev[:, 0], ev[:, 3] * 100)
        finite = np.concatenate([step.losses, ev[:, 2]])
        finite = finite[np.isfinite(finite)]
        top = float(finite.max()) if finite.size else 0.0
        if self.loss_top is None or top > self.loss_top:   # only grows within a run
            self.loss_top = cv.nice_ceiling(top * 1.05)
        self.loss_plot.setRange(xRange=(0, self.total), yRange=(0, self.loss_top),
                                padding=0.02)
        if step.update == 0:
            where = "before training"
        else:
            batch = step.update - (step.epoch - 1) * step.per_epoch
            where = (f"epoch {step.epoch} of {self.params.epochs} · batch {batch} of "
                     f"{step.per_epoch}")
        tail = " · done ✓" if step.phase == "done" else ""
        tail = " · diverged" if step.phase == "diverged" else tail
        say(self.status, f"{where} · test accuracy "
                         f"{percent(step.test_accuracy)}{tail}")
        self._ask()

    def _ask(self, probe: Probe | None = None):
        """Send the shown model and the probe (or a drawing in progress) off to be
        pictured in the background; the newest question supersedes older ones."""
        model, probe = self.shown_model or self.preview, probe or self.probe
        if model is None or probe is None:
            return
        second = self.params.second
        asked = self._asked
        if asked is not None and asked[0] is model and asked[1] is probe and asked[2] == second:
            return
        self._asked = (model, probe, second)
        text = STYLE.tick_px * 1.6
        metrics = QtGui.QFontMetrics(STYLE.font(STYLE.tick_px))
        p = self.params
        wide = max(metrics.horizontalAdvance(t) for t in (
            f"{max(p.filters1, p.filters2)} maps 14×14",
            f"{p.filters2}×{p.filters1} · 3×3 ±0.00"))   # the labels' longest lines
        rooms = tuple((plot.vb.width(), plot.vb.height() - self._below(plot), text, wide)
                      if plot.vb.width() > 20 else None
                      for plot in (self.maps_plot, self.filter_plot))
        self.background.submit(
            "probe", lambda: (probe, cv.picture_of(model, probe.image, second, rooms)),
            self._arrived)

    def _arrived(self, result):
        if isinstance(result, Exception):
            self.failed.emit(result)
            return
        self._show_probed(*result)

    def _below(self, plot) -> float:
        """Pixels kept free under a sheet for the status box of its plot."""
        box = self.status if plot is self.maps_plot else self.key
        return box.item.boundingRect().height() + 8

    def _resized(self, *_):
        self._asked = None
        self._ask()

    def _show_probed(self, probe: Probe, probed: cv.Probed):
        self.probed, self.probed_probe = probed, probe
        cv.show_sheet(self.maps_plot, self.maps, self.map_labels, probed.maps,
                      self._below(self.maps_plot))
        cv.show_sheet(self.filter_plot, self.filters, self.filter_labels, probed.filters,
                      self._below(self.filter_plot))
        p = probed.probabilities
        winner = int(p.argmax())
        self.bars.setOpts(width=p, brushes=[self.brushes[d == winner] for d in range(10)],
                          pens=[pg.mkPen(None)] * 10)
        # every bar's number when a line of text fits beside each bar, else the winner's
        each = self.prob_plot.vb.height() / 10.2 >= STYLE.tick_px * 1.15
        for d, item in enumerate(self.prob_text):
            inside = p[d] > 0.6              # a long bar carries its number in white
            item.setText(percent(float(p[d])))
            item.setColor("#ffffff" if inside else INK)
            item.setAnchor((1, 0.5) if inside else (0, 0.5))
            item.setPos(float(p[d]) + (-0.02 if inside else 0.02), d)
            item.setVisible(each or d == winner)
        label = probe.label
        mark = "" if label is None else " ✓" if label == winner else f" ✗ (it is a {label})"
        say(self.probe_box, f"{probe.name}\nreads {winner}{mark} · "
                            f"{percent(float(p[winner]))}")

    def status_text(self, step) -> str:
        return self.status.item.toPlainText()
