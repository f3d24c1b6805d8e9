"""What every panel shares: canvas, parameters, data sources, clicks, restyling.

A panel binds one algorithm to a pyqtgraph canvas. Its life has two phases:
`__init__` only sets attributes (call `super().__init__(seed)` first), then `build()`
makes the canvas, calls the panel's `setup` to create every item once, and loads the
panel's first data. Afterwards `draw` only updates those items, and `steps` builds a
fresh step generator. See docs/ARCHITECTURE.md for a worked example.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6 import QtCore, QtGui, QtWidgets

from visualizer.background import Background
from visualizer.sources import Generated
from visualizer.style import BACKGROUND, INK, STYLE

EXPLANATIONS = Path(__file__).resolve().parent.parent / "explanations"
pg.setConfigOptions(antialias=True, foreground=INK, background=BACKGROUND)


class Edit(QtGui.QUndoCommand):
    """One change made by hand (a point added, moved or deleted), undoable with Ctrl+Z."""

    def __init__(self, text: str, redo, undo):
        super().__init__(text)
        self._redo, self._undo = redo, undo

    def redo(self) -> None:
        self._redo()

    def undo(self) -> None:
        self._undo()


class Canvas(pg.GraphicsLayoutWidget):
    """The panel's canvas. pyqtgraph's close() clears the scene there and then, destroying
    every item while Python still holds them and while items being destroyed emit geometry
    and range signals into Python objects half torn down: a segfault now and then. Here
    closing only silences the items and hides the canvas; the items go with the canvas
    when Qt deletes it (deleteLater), after the code that closed it has returned."""

    resized = QtCore.Signal()
    work = None   # the panel's Background: an export waits for what a resize started

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self.resized.emit()

    def close(self):
        scene = self.scene()
        if scene is not None:
            for item in scene.items():
                if isinstance(item, QtCore.QObject):
                    item.blockSignals(True)
            scene.blockSignals(True)
        return QtWidgets.QWidget.close(self)


def guarded(method):
    """Run a panel method that reacts to the user; an exception becomes a banner message
    (`failed`) instead of escaping into Qt and leaving a dead panel."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception as err:  # noqa: BLE001 - reported, and the panel stays usable
            self.failed.emit(err)
            return None
    return wrapper


def wrap_words(text_item, alignment=None) -> None:
    """A wrapped title breaks between words only: a word wider than its room sticks out
    rather than being cut in two ("AdaBoo / st")."""
    option = text_item.document().defaultTextOption()
    option.setWrapMode(QtGui.QTextOption.WrapMode.WordWrap)
    if alignment is not None:
        option.setAlignment(alignment)
    text_item.document().setDefaultTextOption(option)


class AlgorithmPanel(QtCore.QObject):
    id: ClassVar[str] = ""
    title: ClassVar[str] = ""
    topic: ClassVar[str] = ""
    Params: ClassVar[type]                   # the algorithm's parameter dataclass
    Data: ClassVar[type | None] = None       # controls for generated data, if any
    accepts: ClassVar[tuple[str, ...]] = ()  # kinds of file a user may open (see sources)
    # (method, button text) pairs: buttons in the parameter dock's "Actions" group, each
    # calling that method of the open panel (guard it: it reacts to the user)
    actions: ClassVar[tuple[tuple[str, str], ...]] = ()

    restart = QtCore.Signal()                # data or parameters changed: run from step 0
    redraw = QtCore.Signal()                 # a live change: draw the current step again
    message = QtCore.Signal(str, str)        # level ("info" or "error"), text for the banner
    failed = QtCore.Signal(object)           # an exception from a user action (see guarded)
    params_shown = QtCore.Signal(object)     # the panel changed its own params: show them
    data_params_shown = QtCore.Signal(object)
    source_shown = QtCore.Signal(object)     # the data now shown came from this source
    edited = QtCore.Signal(object)           # an Edit for the window's undo stack

    def __init__(self, seed: int = 0):
        super().__init__()
        self.seed = seed
        self.params = self.Params()
        self.data_params = self.Data() if self.Data else None
        self.background = Background(self)
        self.canvas: pg.GraphicsLayoutWidget | None = None
        self.click_plot: pg.PlotItem | None = None
        self.source = None                   # where the data shown came from (see load)

    def build(self) -> None:
        """Second phase: the canvas and its items, then the first data."""
        self.canvas = Canvas()
        self.canvas.work = self.background
        self.canvas.setBackground(BACKGROUND)
        self.setParent(self.canvas)  # owned by its canvas: they go together
        self.setup(self.canvas)
        self.canvas.scene().sigMouseClicked.connect(self._on_scene_click)
        # Legends take as many columns as fit, once the layout has settled after a resize.
        self.canvas.resized.connect(lambda: QtCore.QTimer.singleShot(0, self._reflow))
        self.restyle()  # later style changes arrive through the window, which owns the canvas
        self.start()

    # --- to be written by each panel -----------------------------------------------------
    def setup(self, canvas: pg.GraphicsLayoutWidget) -> None:
        raise NotImplementedError

    def steps(self) -> Iterator:
        raise NotImplementedError

    def draw(self, step) -> None:
        """Show `step`, or the data alone when `step` is None."""
        raise NotImplementedError

    def intro(self) -> str:
        """The caption before the first step."""
        return "Press Step (→) or Play (Space) to begin."

    def caption(self, step) -> str:
        """The words under the canvas for a step: its own caption, unless the panel shows
        something the step was not computed for (a weight clicked after it was)."""
        return step.caption

    def on_click(self, x: float, y: float, button: QtCore.Qt.MouseButton) -> None:
        """A click at data coordinates (x, y) on `click_plot`; default: ignored."""

    def prepare(self, source) -> tuple[Any, str]:
        """Validate `source` and build the panel's data from it, without changing the
        panel: return (data, message for the banner) or raise ValueError."""
        raise ValueError(f"“{self.title}” cannot use {type(source).__name__}")

    def adopt(self, data) -> None:
        """Swap in data that `prepare` built (it has been validated: this must not fail)."""

    def stop(self) -> None:
        """The panel is closing: stop what it runs by itself (a live stream, say)."""

    def before_steps(self) -> None:
        """Step or Play was pressed: a live panel freezes its stream here, so that the
        frame shown stays while the player steps through it."""

    def hand_made(self) -> dict:
        """What the user made by hand on this panel (points, centres, a start), as JSON
        values, for session files and for coming back to the panel; {} when nothing."""
        return {}

    def restore_hand_made(self, state: dict) -> None:
        """Put back what `hand_made` returned (after the data it belongs to is loaded)."""

    def start(self) -> None:
        """The first data, when the panel is built: by default the generated data."""
        if self.data_params is not None:
            self.source = Generated(self.data_params)
            data, _ = self.prepare(self.source)
            self.adopt(data)

    # --- shared machinery ----------------------------------------------------------------
    @classmethod
    def explanation(cls) -> str:
        """The idea in a few sentences and its formula: visualizer/explanations/ID.html."""
        path = EXPLANATIONS / f"{cls.id}.html"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)

    def load(self, source) -> str:
        """Use new data: prepared and validated first, swapped in only then; a ValueError
        leaves the panel as it was. Returns the message for the banner."""
        data, message = self.prepare(source)
        self.adopt(data)
        self.source = source
        self.source_shown.emit(source)
        self.restart.emit()
        return message

    @guarded
    def apply_params(self, params, live: bool = False) -> None:
        """The parameter tree changed (the entry point the window calls)."""
        self.set_params(params, live)

    def set_params(self, params, live: bool = False) -> None:
        """Take new parameters; panels that must check or react override this."""
        self.params = params
        (self.redraw if live else self.restart).emit()

    def edit(self, text: str, redo, undo) -> None:
        """Make a change by hand through the window's undo stack (Ctrl+Z / Ctrl+Shift+Z):
        `redo` makes it (now, and again after an undo), `undo` takes it back. Without a
        window listening, the change is simply made."""
        command = Edit(text, redo, undo)
        if self.receivers(QtCore.SIGNAL("edited(PyObject)")) > 0:
            self.edited.emit(command)  # the stack runs redo() as it takes the command
        else:
            command.redo()

    def replace_params(self, params) -> None:
        """Change the parameters from inside the panel (a click set a start point, a bad
        value was put back): the tree shows them without echoing a change back."""
        self.params = params
        self.params_shown.emit(params)

    @guarded
    def set_data_params(self, data_params) -> None:
        """The Data controls changed: make that data, or say why not and keep the old."""
        old = self.data_params
        self.data_params = data_params
        try:
            message = self.load(Generated(data_params))
        except ValueError as err:
            self.data_params = old
            self.data_params_shown.emit(old)
            self.message.emit("error", f"{err} — the data shown before is kept.")
            return
        if message:
            self.message.emit("info", message)

    def plots(self) -> list[pg.PlotItem]:
        return [item for item in self.canvas.ci.items if isinstance(item, pg.PlotItem)]

    def restyle(self) -> None:
        """Apply the current font scale and presentation mode to every plot."""
        tick_font = STYLE.font(STYLE.tick_px)
        for plot in self.plots():
            plot.hideButtons()  # the auto-range "A" is noise on a projector
            for name in ("left", "bottom", "right", "top"):
                axis = plot.getAxis(name)
                axis.setStyle(tickFont=tick_font, tickTextOffset=max(3, STYLE.tick_px // 3))
                axis.setTextPen(INK)
                # Axes and titles are blitted from a cached image: replaying their text on
                # every frame cost ~2.5 ms per axis, the largest single cost of a frame.
                axis.setCacheMode(QtWidgets.QGraphicsItem.DeviceCoordinateCache)
                axis.label.setFont(STYLE.font(STYLE.tick_px))
            plot.titleLabel.setCacheMode(QtWidgets.QGraphicsItem.DeviceCoordinateCache)
            if plot.titleLabel.text:
                self.set_title(plot, plot.titleLabel.text)
        self.keep_room()

    def keep_room(self, width: float | None = None) -> None:
        """The canvas asks its window for the room its plots need at this text size, so the
        docks shrink before the plots are cut off. Given the `width` it can have at most,
        titles too wide for their share of it wrap onto a second line instead. Without a
        width, the last one given holds (the window says when it changes)."""
        width = self._room = width if width is not None else getattr(self, "_room", None)
        layout = self.canvas.ci.layout
        columns = max(1, layout.columnCount())
        self._reflow(width - 40 if width else None)
        for plot in self.plots():
            title = plot.titleLabel
            title.item.setTextWidth(-1)
            if width and title.text and title.itemRect().width() > width / columns - 24:
                title.item.setTextWidth(max(80.0, width / columns - 24))
                wrap_words(title.item, QtCore.Qt.AlignHCenter)
            title.updateMin()
        need = self.canvas.ci.effectiveSizeHint(QtCore.Qt.SizeHint.MinimumSize)
        need_width = int(need.width()) + 4
        if width:
            need_width = min(need_width, int(width))
        self.canvas.setMinimumSize(need_width, int(need.height()) + 4)

    def _reflow(self, width: float | None = None) -> None:
        from visualizer.panels.overlays import Legend

        if not shiboken6.isValid(self.canvas):
            return
        # A resize can arrive while the canvas is being taken down: nothing to reflow then.
        with contextlib.suppress(RuntimeError):
            for legend in [v for v in vars(self).values() if isinstance(v, Legend)]:
                legend.reflow(width if legend.width is not None else None)

    @staticmethod
    def set_title(plot: pg.PlotItem, text: str) -> None:
        """A plot title in the current text size (a plain setTitle would reset it)."""
        plot.setTitle(text, size=f"{STYLE.text_px}px", bold=True)

    @guarded
    def _on_scene_click(self, event) -> None:
        plot = self.click_plot
        if plot is None or not plot.vb.sceneBoundingRect().contains(event.scenePos()):
            return
        point = plot.vb.mapSceneToView(event.scenePos())
        self.on_click(point.x(), point.y(), event.button())
