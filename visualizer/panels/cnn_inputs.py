"""What goes into the CNN panel besides the training digits: the probe digit (drawn on the
pad, picked among the test digits, or read from a picture file) and the weights the run
starts from (the bundled trained ones, random ones, or a saved .npz). Two mixins of
CNNPanel; the panel makes the items they draw on (the pad and the strip). The methods its
`actions` name (the parameter dock's buttons) are here."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtWidgets

from algorithms import cnn, digits
from algorithms.base import num
from visualizer.panels import cnn_views as cv
from visualizer.panels.base import guarded
from visualizer.sources.frames import Picture

BUNDLED = "the bundled trained weights"


@dataclass(frozen=True, eq=False)
class Probe:
    """The digit followed through the network, and the pad's ink that goes with it."""

    ink: np.ndarray             # (PAD, PAD) uint8: what the pad shows
    image: np.ndarray           # (28, 28) float32: what the network reads
    name: str                   # "your drawing", "test digit 12 (a 7)", a file name
    label: int | None = None    # the true class, when known
    index: int = -1             # the test digit's row, if it is one


class ProbeInputs:
    """The probe: a drag on the pad draws (left) or erases (right), a click on the strip
    picks a test digit, File ▸ Open data… reads a picture; each change is undoable, and a
    blank drawing or picture says so and keeps the probe shown."""

    def test_probe(self, row: int) -> Probe:
        test_x, test_y = self.test
        row = int(row) % len(test_x)
        image = np.asarray(test_x[row], np.float32)
        label = int(test_y[row])
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
    def clear_pad(self, *_):
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
    def next_digit(self, *_):
        probe = self.test_probe(self.probe.index + 1 if self.probe.index >= 0 else 0)
        self._change_probe(f"pick {probe.name}", probe)


class WeightFiles:
    """The weights a run starts from: the bundled ones, random ones, or a file; a file that
    does not fit says why and changes nothing; one with other filter counts sets them."""

    @guarded
    def use_bundled(self, *_):
        self.load_weights(cnn.BUNDLED_WEIGHTS, BUNDLED)

    @guarded
    def use_random(self, *_):
        self.start_theta, self.start_name = None, ""
        self.message.emit("info", "The run starts again from random weights.")
        self.restart.emit()

    @guarded
    def save_dialog(self, *_):
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self.canvas, "Save the weights", "cnn_weights.npz", "Weights (*.npz)")
        if path:
            self.save_weights(path)

    @guarded
    def load_dialog(self, *_):
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self.canvas, "Load weights", "", "Weights (*.npz);;All files (*)")
        if path:
            self.load_weights(path)

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
