"""A panel and its player, wired together: used by the window and by batch runs alike."""

from __future__ import annotations

from PySide6 import QtCore

from visualizer.player import Player


class Session(QtCore.QObject):
    """Redraws the panel whenever the player moves; restarts the player when asked."""

    shown = QtCore.Signal(object)  # the snapshot just drawn (None: the data alone)

    def __init__(self, panel_cls, seed: int = 0, parent=None):
        super().__init__(parent)
        self.panel = panel_cls(seed=seed)
        self.player = Player(parent=self)
        self.player.changed.connect(self._show)
        self.panel.restart.connect(self.restart)
        self.panel.redraw.connect(self.redraw)
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
        self.panel.draw(step)
        self.shown.emit(step)

    def caption(self) -> str:
        step = self.player.current
        return self.panel.intro() if step is None else step.caption

    def advance(self, n: int) -> int:
        """Take up to n steps, drawing each; return how many were taken."""
        taken = 0
        while taken < n and self.player.step():
            taken += 1
        return taken
