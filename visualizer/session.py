"""A panel and its player, wired together: used by the window and by batch runs alike."""

from __future__ import annotations

import shiboken6
from PySide6 import QtCore

from algorithms.base import plural
from visualizer.background import collect_garbage_on_ui_thread
from visualizer.errors import describe
from visualizer.player import Player


class Session(QtCore.QObject):
    """Redraws the panel whenever the player moves; restarts the player when asked.

    Every call into the panel that the user's actions trigger (drawing, restarting) is
    guarded: an exception becomes a message for the banner (`problem`) and the panel stays
    usable, instead of leaving a dead canvas behind.
    """

    shown = QtCore.Signal(object)    # the snapshot just drawn (None: the data alone)
    problem = QtCore.Signal(str)     # something failed; the text is meant for the banner

    def __init__(self, panel_cls, seed: int = 0, parent=None, params=None, data_params=None):
        """`params` and `data_params`, when given, replace the panel's defaults."""
        super().__init__(parent)
        collect_garbage_on_ui_thread()
        self.panel = panel_cls(seed=seed)
        if params is not None:
            self.panel.params = params
        if data_params is not None:
            self.panel.data_params = data_params
        self.panel.build()
        self.player = Player(parent=self)
        self.player.changed.connect(self._show)
        self.player.failed.connect(self.problem)
        self.player.moving.connect(self.panel.before_steps)
        self.panel.restart.connect(self.restart)
        self.panel.redraw.connect(self.redraw)
        self.panel.failed.connect(self._report)
        self._drawn = object()
        self.restart()

    def restart(self) -> None:
        self._drawn = object()
        self.player.load(self.panel.steps)

    def redraw(self) -> None:
        self._drawn = object()
        self._show()

    def _show(self) -> None:
        step = self.player.current
        if step is self._drawn:
            return  # only the play state changed
        self._drawn = step
        try:
            self.panel.draw(step)
        except Exception as err:  # noqa: BLE001 - a drawing bug must not end the lesson
            self.player.pause()
            self._report(err)
            return
        self.shown.emit(step)

    def _report(self, err: BaseException) -> None:
        self.problem.emit(describe(err))

    def caption(self) -> str:
        step = self.player.current
        text = self.panel.intro() if step is None else self.panel.caption(step)
        if self.player.first > 0:  # said on the first line, which is always shown
            first, newline, rest = text.partition("\n")
            text = (f"{first} ({plural(self.player.first, 'earlier step')} dropped to keep "
                    f"memory in bounds: step {self.player.first + 1} is the oldest kept.)"
                    f"{newline}{rest}")
        return text

    def advance(self, n: int) -> int:
        """Take up to n steps, drawing each and waiting for each to be computed (batch
        runs and tests); return how many were taken."""
        taken = 0
        while taken < n and self.player.step_now():
            taken += 1
        return taken

    def close(self) -> None:
        """Stop computing and silence the canvas before it is taken down (see Canvas)."""
        self.player.close()
        self.panel.stop()
        self.panel.background.close()
        if shiboken6.isValid(self.panel.canvas):
            self.panel.canvas.close()
