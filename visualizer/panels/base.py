"""What every panel shares: canvas, parameters, clicks, file loading, restyling.

A panel binds one algorithm to a pyqtgraph canvas. Subclasses create their items once
in `setup`, only update them in `draw`, and build a fresh step generator in `steps`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from visualizer.background import Background
from visualizer.style import BACKGROUND, INK, STYLE

EXPLANATIONS = Path(__file__).resolve().parent.parent / "explanations"
pg.setConfigOptions(antialias=True, foreground=INK, background=BACKGROUND)


class AlgorithmPanel(QtCore.QObject):
    id: ClassVar[str] = ""
    title: ClassVar[str] = ""
    topic: ClassVar[str] = ""
    Params: ClassVar[type]                   # the algorithm's parameter dataclass
    Data: ClassVar[type | None] = None       # controls for generated data, if any
    file_filter: ClassVar[str] = ""          # e.g. "CSV files (*.csv *.tsv *.txt)"; "" = none

    restart = QtCore.Signal()                # data or parameters changed: run from step 0
    redraw = QtCore.Signal()                 # a live change: draw the current step again
    message = QtCore.Signal(str, str)        # level ("info" or "error"), text for the banner
    params_shown = QtCore.Signal(object)     # the panel changed its own params: show them

    def __init__(self, seed: int = 0):
        super().__init__()
        self.seed = seed
        self.params = self.Params()
        self.data_params = self.Data() if self.Data else None
        self.background = Background(self)
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground(BACKGROUND)
        self.setParent(self.canvas)  # owned by its canvas: they go together
        self.click_plot: pg.PlotItem | None = None
        self.setup(self.canvas)
        self.canvas.scene().sigMouseClicked.connect(self._on_scene_click)
        self.restyle()  # later style changes arrive through the window, which owns the canvas

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

    def on_click(self, x: float, y: float, button: QtCore.Qt.MouseButton) -> None:
        """A click at data coordinates (x, y) on `click_plot`; default: ignored."""

    def load_file(self, path: str, columns: list[str] | None = None) -> str:
        """Load the user's file; return a message or raise ValueError, keeping old data."""
        raise ValueError(f"the {self.title} panel does not load files")

    def regenerate(self) -> None:
        """Make the data described by `data_params`."""

    # --- shared machinery ----------------------------------------------------------------
    @classmethod
    def explanation(cls) -> str:
        """The idea in a few sentences and its formula: visualizer/explanations/ID.html."""
        path = EXPLANATIONS / f"{cls.id}.html"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)

    def set_params(self, params, live: bool = False) -> None:
        self.params = params
        (self.redraw if live else self.restart).emit()

    def replace_params(self, params) -> None:
        """Change the parameters from inside the panel (a click set a start point, a bad
        value was put back): the tree shows them without echoing a change back."""
        self.params = params
        self.params_shown.emit(params)

    def set_data_params(self, data_params) -> None:
        self.data_params = data_params
        try:
            self.regenerate()
        except ValueError as err:
            self.message.emit("error", str(err))
            return
        self.restart.emit()

    def plots(self) -> list[pg.PlotItem]:
        return [item for item in self.canvas.ci.items if isinstance(item, pg.PlotItem)]

    def restyle(self) -> None:
        """Apply the current font scale and presentation mode to every plot."""
        tick_font = STYLE.font(STYLE.tick_px)
        for plot in self.plots():
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

    @staticmethod
    def set_title(plot: pg.PlotItem, text: str) -> None:
        """A plot title in the current text size (a plain setTitle would reset it)."""
        plot.setTitle(text, size=f"{STYLE.text_px}px", bold=True)

    def _on_scene_click(self, event) -> None:
        plot = self.click_plot
        if plot is None or not plot.sceneBoundingRect().contains(event.scenePos()):
            return
        if not plot.vb.sceneBoundingRect().contains(event.scenePos()):
            return
        point = plot.vb.mapSceneToView(event.scenePos())
        self.on_click(point.x(), point.y(), event.button())
