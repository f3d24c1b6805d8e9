"""A CNN reads your digits: a small convolutional network trained one batch a step on the
project's generated digits, and one probe digit followed through every layer.

Left: a pad to draw a digit on (left drag draws, right drag erases), a strip of test digits
(a click picks one) and the buttons (clear the pad, next test digit, the bundled trained
weights, random weights, save and load weights). Middle: the probe's maps after each ReLU
and each pooling, with their shapes. Right: its class probabilities (the winner coloured)
and the filters of both conv layers (blue negative, vermilion positive, one symmetric
scale per layer). Bottom: the batch loss per update and the test accuracy. The probe
follows the model of the step shown, so scrubbing the timeline replays how the maps and the
probabilities changed with training. File ▸ Open data… takes a picture of a digit.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from algorithms import cnn, digits
from algorithms.base import num, param
from visualizer.panels import cnn_views as cv
from visualizer.panels.base import AlgorithmPanel, guarded, wrap_words
from visualizer.panels.network_base import percent
from visualizer.panels.network_extras import curve, say
from visualizer.panels.overlays import Legend, StatusBox, line_sample
from visualizer.sources import IMAGE
from visualizer.sources.frames import Picture
from visualizer.style import INK, STYLE, UNASSIGNED, colour

WINNER = colour(0)          # the bar of the class the network picks
TEST_COLOUR = colour(2)     # test loss and test accuracy
STRIP = 10                  # test digits in the strip: the first of each class
BUNDLED = "the bundled trained weights"
BUTTONS = {"clear": "Clear the pad", "next": "Next test digit",
           "bundled": "Trained weights", "random": "Random weights",
           "save": "Save weights…", "load": "Load weights…"}


@dataclass(frozen=True)
class Params(cnn.Params):
    second: bool = param(True, live=True, label="show conv 2 filters",
                         tip="draw the second layer's filters too (one line per input map)")


@dataclass(frozen=True, eq=False)
class Probe:
    """The digit followed through the network, and the pad's ink that goes with it."""

    ink: np.ndarray             # (PAD, PAD) uint8: what the pad shows
    image: np.ndarray           # (28, 28) float32: what the network reads
    name: str                   # "your drawing", "test digit 12 (a 7)", a file name
    label: int | None = None    # the true class, when known
    index: int = -1             # the test digit's row, if it is one


def nice_ceiling(x: float) -> float:
    """The smallest round number (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × a power of ten) ≥ x."""
    if not x > 0.1:
        return 0.1
    decade = 10 ** math.floor(math.log10(x))
    return next(m * decade for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * decade >= x)


def image_plot(canvas, row, col, title, **span):
    plot = canvas.addPlot(row=row, col=col, title=title, **span)
    plot.setAspectLocked(True)
    plot.invertY(True)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(False, False)
    item = pg.ImageItem(axisOrder="row-major")
    plot.addItem(item)
    return plot, item


class CNNPanel(AlgorithmPanel):
    id, title, topic = "cnn", "A CNN reads your digits", "Deep networks"
    Params = Params
    accepts = (IMAGE,)

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.data: cnn.Digits | None = None
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
        self.pad_plot, self.pad = image_plot(canvas, 0, 0, "Draw a digit")
        self.pad_plot.vb.mouseDragEvent = self._drag
        self.probe_box = StatusBox(self.pad_plot, "bottom-left", bold=False, opacity=180)
        self.strip_plot, self.strip = image_plot(canvas, 1, 0, "Test digits")
        self.click_plot = self.strip_plot
        self.buttons = cv.Buttons(BUTTONS)
        canvas.ci.addItem(self.buttons, row=2, col=0)
        for key, button in self.buttons.buttons.items():
            button.clicked.connect(getattr(self, f"_button_{key}"))
        self.maps_plot, self.maps = image_plot(canvas, 0, 1, "Layer by layer",
                                               rowspan=2)
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
        self.filter_plot, self.filters = image_plot(
            canvas, 1, 2, "Filters", rowspan=2)
        self.filter_labels = self._labels(self.filter_plot, 2)
        self.key = StatusBox(self.filter_plot, "bottom-left", bold=False)
        for plot in (self.maps_plot, self.filter_plot):   # label room follows the view size
            plot.vb.sigResized.connect(self._resized)
        curves = canvas.ci.addLayout(row=2, col=1)   # the two training curves side by side
        self.loss_plot = curves.addPlot(row=0, col=0, title="Loss")
        self.loss_plot.setLabel("bottom", "updates")
        self.loss_plot.disableAutoRange()
        self.batch_curve, self.test_loss = curve(self.loss_plot), self.loss_plot.plot()
        self.loss_epochs = curve(self.loss_plot)
        self.loss_legend = Legend(self.loss_plot.addLegend(offset=(-10, 5)))
        self.acc_plot = curves.addPlot(row=0, col=1, title="Test accuracy")
        self.acc_plot.setLabel("bottom", "updates")
        self.acc_plot.getAxis("left").setTicks([[(v, f"{v} %") for v in (0, 50, 100)]])
        self.acc_plot.disableAutoRange()
        self.acc_curve, self.acc_epochs = self.acc_plot.plot(), curve(self.acc_plot)
        self.status = StatusBox(self.maps_plot, "bottom-left", bold=False)
        layout = canvas.ci.layout
        for plot in self.plots():   # the stretch factors share the room, not the hints
            plot.setPreferredSize(40, 40)
        self.buttons.setPreferredWidth(40)
        for col, stretch in enumerate((3, 6, 4)):
            layout.setColumnStretchFactor(col, stretch)
        canvas.resized.connect(self._share_width)
        for row, stretch in enumerate((4, 3, 4)):
            layout.setRowStretchFactor(row, stretch)

    def _share_width(self):
        """Qt's grid gives each column its preferred width first and then shares the rest
        by stretch, which left the maps the narrowest column: the side columns are capped
        at their share of the canvas instead, and the maps take what is left."""
        width = self.canvas.width()
        layout = self.canvas.ci.layout
        least = self.buttons.effectiveSizeHint(QtCore.Qt.MinimumSize).width()
        layout.setColumnMaximumWidth(0, max(least, 0.25 * width))
        layout.setColumnMaximumWidth(2, max(180.0, 0.3 * width))
        self._fit_titles()

    def keep_room(self, width=None):
        super().keep_room(width)
        self._fit_titles()

    def _fit_titles(self):
        """A title wraps only when it is wider than its own plot. The shared rule judges
        every title against an equal share of the room the window offers, which wrapped
        the short titles of this panel's wide columns word by word."""
        for plot in self.plots():
            title = plot.titleLabel
            room = plot.geometry().width() - 12
            if not title.text or room < 40:
                continue
            title.item.setTextWidth(-1)
            if title.itemRect().width() > room:
                title.item.setTextWidth(max(60.0, room))
                wrap_words(title.item, QtCore.Qt.AlignHCenter)
            title.updateMin()

    def plots(self):
        return [*super().plots(), self.loss_plot, self.acc_plot]   # nested beside the maps

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
        self.buttons.restyle()
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
        self.data = cnn.digits_data()
        firsts = [int(np.flatnonzero(self.data.test_y == d)[0]) for d in range(STRIP)]
        self.strip_rows = firsts
        tiles = [cv.framed(cv.grey(self.data.test_x[i]), cv.SIDE) for i in firsts]
        top = np.concatenate(tiles[:5], axis=1)
        self.strip_image = np.concatenate([top, np.concatenate(tiles[5:], axis=1)], axis=0)
        h, w = self.strip_image.shape[:2]
        self.strip.setImage(self.strip_image, autoLevels=False, levels=(0, 255),
                            rect=QtCore.QRectF(0, 0, w, h))
        self.strip_plot.setRange(xRange=(0, w), yRange=(0, h), padding=0.02)
        self.pad_plot.setRange(xRange=(0, cv.SIDE), yRange=(0, cv.SIDE), padding=0.02)
        self._set_probe(self.test_probe(firsts[7]))

    def test_probe(self, row: int) -> Probe:
        row = int(row) % len(self.data.test_x)
        image = np.asarray(self.data.test_x[row], np.float32)
        label = int(self.data.test_y[row])
        return Probe(cv.pad_from_digit(image), image, f"test digit {row + 1} (a {label})",
                     label, row)

    def prepare(self, source):
        if isinstance(source, Picture):
            image = digits.to_input(source.image)     # ValueError: no ink
            return Probe(cv.pad_from_digit(image), image, source.name), source.note
        return super().prepare(source)

    def load(self, source):
        """A picture becomes the probe; the training run goes on untouched."""
        probe, message = self.prepare(source)
        self._change_probe(f"read {probe.name}", probe)
        return message or f"{probe.name} is the probe now: its maps are in the middle."

    def _change_probe(self, text, new: Probe):
        old = self.probe
        self.edit(text, lambda: self._set_probe(new), lambda: self._set_probe(old))

    def _set_probe(self, probe: Probe):
        self.probe = probe
        self._show_ink(probe.ink)
        self._ask()

    def _show_ink(self, ink):
        self.pad.setImage(255 - ink, autoLevels=False, levels=(0, 255),
                          rect=QtCore.QRectF(0, 0, cv.SIDE, cv.SIDE))

    def drawing_done(self, before: np.ndarray, ink: np.ndarray):
        """A stroke ended: the drawing becomes the probe, or a blank pad says so."""
        try:
            image = digits.to_input(ink)
        except ValueError as err:
            self._show_ink(ink)
            self.probe = dataclasses.replace(self.probe, ink=ink)
            self.message.emit("error", f"{err} — the probe shown before is kept.")
            return
        self._change_probe("draw a stroke", Probe(ink, image, "your drawing"))

    # --- the pad and the buttons ---------------------------------------------------------
    def _pad_pixel(self, scene_pos):
        p = self.pad_plot.vb.mapSceneToView(scene_pos)
        return p.x() * cv.PAD / cv.SIDE, p.y() * cv.PAD / cv.SIDE

    @guarded
    def _drag(self, ev, axis=None):
        erase = ev.button() == QtCore.Qt.RightButton
        if ev.button() not in (QtCore.Qt.LeftButton, QtCore.Qt.RightButton):
            ev.ignore()
            return
        ev.accept()
        if ev.isStart():
            self.stroke = [self._pad_pixel(ev.buttonDownScenePos())]
            self._before = self.probe.ink
        self.stroke.append(self._pad_pixel(ev.scenePos()))
        ink = cv.stroke_on(self._before, self.stroke, erase)
        self._show_ink(ink)
        if not ev.isFinish() and ink.max() > 0:   # the net reads the drawing as it grows
            self._ask(Probe(ink, digits.to_input(ink), "your drawing"))
        if ev.isFinish():
            self.stroke = []
            self.drawing_done(self._before, ink)

    def on_click(self, x, y, button):
        if button != QtCore.Qt.LeftButton:
            return
        tile = cv.SIDE + 2
        col, row = int(x // tile), int(y // tile)
        if 0 <= col < 5 and 0 <= row < 2:
            probe = self.test_probe(self.strip_rows[row * 5 + col])
            self._change_probe(f"pick {probe.name}", probe)

    @guarded
    def _button_clear(self, *_):
        old = self.probe
        blank = dataclasses.replace(old, ink=np.zeros_like(old.ink))
        self.edit("clear the pad", lambda: self._clear(blank), lambda: self._set_probe(old))

    def _clear(self, blank: Probe):
        self.probe = blank
        self._show_ink(blank.ink)
        self.message.emit("info", f"The pad is clear: draw a digit with the mouse (left drag "
                                  f"draws, right drag erases). The maps show {blank.name} "
                                  "until you do.")

    @guarded
    def _button_next(self, *_):
        probe = self.test_probe(self.probe.index + 1 if self.probe.index >= 0 else 0)
        self._change_probe(f"pick {probe.name}", probe)

    @guarded
    def _button_bundled(self, *_):
        self.load_weights(cnn.BUNDLED_WEIGHTS, BUNDLED)

    @guarded
    def _button_random(self, *_):
        self.start_theta, self.start_name = None, ""
        self.message.emit("info", "The run starts again from random weights.")
        self.restart.emit()

    @guarded
    def _button_save(self, *_):
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self.canvas, "Save the weights", "cnn_weights.npz", "Weights (*.npz)")
        if path:
            self.save_weights(path)

    @guarded
    def _button_load(self, *_):
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self.canvas, "Load weights", "", "Weights (*.npz);;All files (*)")
        if path:
            self.load_weights(path)

    # --- weights --------------------------------------------------------------------------
    def save_weights(self, path) -> None:
        model = self.shown_model or self.preview
        try:
            cnn.save(path, model)
        except OSError as err:
            self.message.emit("error", f"could not save the weights to {Path(path).name}: "
                                       f"{err.strerror or err}")
            return
        size = Path(path).stat().st_size if Path(path).exists() else 0
        self.message.emit("info", f"Saved the weights shown ({model.spec.text}) to "
                                  f"{Path(path).name} ({num(size / 1024, 2)} kB).")

    def load_weights(self, path, name: str | None = None) -> bool:
        """Start the run from the weights in `path`; a file that does not fit says why
        and changes nothing."""
        name = name or Path(path).name
        try:
            model = cnn.load(path)
            spec = model.spec
            if (spec.size1, spec.size2, spec.classes, spec.side) != (5, 3, 10, cv.SIDE):
                raise ValueError(
                    f"{Path(path).name} holds a {spec.text} network on {spec.side}×"
                    f"{spec.side} pictures; this panel trains 5×5 then 3×3 filters, 10 "
                    f"classes, {cv.SIDE}×{cv.SIDE} pictures")
            for field, value in (("filters1", spec.filters1), ("filters2", spec.filters2)):
                low, high = self.Params.__dataclass_fields__[field].metadata["limits"]
                if not low <= value <= high:
                    raise ValueError(f"{Path(path).name} has {value} {field[:-1]} "
                                     f"filters; this panel takes {low} to {high}")
        except ValueError as err:
            self.message.emit("error", f"{err} — the weights in use are kept.")
            return False
        note = ""
        p = self.params
        if (spec.filters1, spec.filters2) != (p.filters1, p.filters2):
            note = (f" Its layers have {spec.filters1} and {spec.filters2} filters: the "
                    "parameters now say so.")
            self.replace_params(dataclasses.replace(p, filters1=spec.filters1,
                                                    filters2=spec.filters2))
        self.start_theta, self.start_name = np.array(model.theta), name
        self.message.emit("info", f"Loaded {name}: the run starts from them; press Step to "
                                  f"see their test accuracy.{note}")
        self.restart.emit()
        return True

    def set_params(self, params, live=False):
        if (self.start_theta is not None and not live
                and (params.filters1, params.filters2) != (self.params.filters1,
                                                           self.params.filters2)):
            self.message.emit("info", f"{self.start_name} fit {self.params.filters1} and "
                                      f"{self.params.filters2} filters: the run now starts "
                                      "from random weights.")
            self.start_theta, self.start_name = None, ""
        super().set_params(params, live)

    def hand_made(self):
        state = {}
        if self.start_name == BUNDLED:
            state["weights"] = "bundled"
        p = self.probe
        if p is not None and p.name == "your drawing":
            state["drawing"] = np.round(p.image, 3).tolist()
        elif p is not None and p.index >= 0:
            state["test digit"] = p.index
        return state

    def restore_hand_made(self, state):
        if state.get("weights") == "bundled":
            self.load_weights(cnn.BUNDLED_WEIGHTS, BUNDLED)
        if "test digit" in state:
            self._set_probe(self.test_probe(state["test digit"]))
        elif state.get("drawing") is not None:
            image = np.clip(np.asarray(state["drawing"], np.float32), 0, 1)
            if image.shape == (cv.SIDE, cv.SIDE) and image.max() > 0:
                self._set_probe(Probe(cv.pad_from_digit(image), image, "your drawing"))

    # --- running ------------------------------------------------------------------------
    def steps(self):
        params, start, name, base = self.params, self.start_theta, self.start_name, self.data
        spec = cnn.Spec(params.filters1, 5, params.filters2, 3)
        self.preview = cnn.Model(spec, start if start is not None else spec.init(self.rng()))
        n = params.train_size
        self.total = params.epochs * math.ceil(n / min(params.batch_size, n))
        self.loss_top = None
        rng = self.rng()

        def run():
            data = base if n <= len(base.train_x) else cnn.digits_data(train=n)
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
            self.loss_top = nice_ceiling(top * 1.05)
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
            f"{p.filters2}×{p.filters1} of 3×3 · ±0.00"))   # the labels' longest lines
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
        self._sheet(self.maps_plot, self.maps, self.map_labels, probed.maps)
        self._sheet(self.filter_plot, self.filters, self.filter_labels, probed.filters)
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

    def _sheet(self, plot, item, labels, sheet: cv.Sheet):
        h, w = sheet.image.shape[:2]
        item.setImage(sheet.image, autoLevels=False, levels=(0, 255),
                      rect=QtCore.QRectF(0, 0, w, h))
        vb = plot.vb
        if vb.width() > 1 and vb.height() > 1:   # top-aligned: free room stays at the bottom
            scale = min(vb.width() / (w * 1.02), (vb.height() - self._below(plot)) / (h * 1.02))
            scale = max(scale, 1e-3)
            plot.setRange(xRange=(-0.01 * w, vb.width() / scale - 0.01 * w),
                          yRange=(-0.01 * h, vb.height() / scale - 0.01 * h), padding=0)
        else:
            plot.setRange(xRange=(0, w), yRange=(0, h), padding=0.02)
        for i, label in enumerate(labels):
            shown = i < len(sheet.labels)
            label.setVisible(shown)
            if shown:
                text, y = sheet.labels[i]
                label.setText(text)
                label.setAnchor((0, 0) if sheet.side else (0, 1))
                label.setPos(0, y if sheet.side else y - 0.5)

    def status_text(self, step) -> str:
        return self.status.item.toPlainText()
