"""The player: pulls snapshots from an algorithm, keeps a bounded history, keeps time.

Position −1 is "before the first step": the data alone. Stepping forward past the
newest snapshot pulls the next one from the generator; stepping back, scrubbing and
replaying read the history and recompute nothing.
"""

from __future__ import annotations

import sys
import traceback
from collections import deque
from collections.abc import Callable, Iterator

from PySide6 import QtCore


class Player(QtCore.QObject):
    changed = QtCore.Signal()        # the position, the history or the play state moved
    failed = QtCore.Signal(str)      # the algorithm refused its input; the message says why

    SPEEDS = (0.5, 1, 2, 4, 8, 15, 30, 60)

    def __init__(self, capacity: int = 10_000, parent=None):
        super().__init__(parent)
        self.capacity = capacity
        self.history: deque = deque(maxlen=capacity)
        self.first = 0            # absolute index of history[0]
        self.position = -1        # absolute index of the snapshot shown; −1: none yet
        self.finished = False     # the generator has nothing more to give
        self._steps: Iterator | None = None
        self._factory: Callable[[], Iterator] | None = None
        self.speed = 4.0          # steps per second while playing
        self._timer = QtCore.QTimer(self)
        self._timer.timeout.connect(self._tick)

    # --- what is shown -------------------------------------------------------------------
    @property
    def current(self):
        if self.position < self.first:
            return None
        return self.history[self.position - self.first]

    @property
    def computed(self) -> int:
        """How many steps exist so far (absolute index of the newest + 1)."""
        return self.first + len(self.history)

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def snapshots(self) -> list:
        """The kept snapshots from the oldest up to and including the one shown."""
        return list(self.history)[: max(0, self.position - self.first + 1)]

    # --- control -------------------------------------------------------------------------
    def load(self, factory: Callable[[], Iterator]) -> None:
        """Start a new run (nothing shown yet); `factory` makes a fresh generator."""
        self._factory = factory
        self.reset()

    def reset(self) -> None:
        self.pause()
        self.history.clear()
        self.first, self.position, self.finished = 0, -1, False
        self._steps = None
        if self._factory is not None:
            try:
                self._steps = self._factory()
            except ValueError as err:
                self.finished = True
                self.failed.emit(str(err))
        self.changed.emit()

    def step(self) -> bool:
        """Show the next step; return False when there is none."""
        if self.position + 1 < self.computed:
            self.position += 1
        elif not self._pull():
            self.pause()
            self.changed.emit()
            return False
        self.changed.emit()
        return True

    def back(self) -> None:
        if self.position > self.first - 1 and self.position >= 0:
            self.position -= 1
            if self.position < self.first and self.first > 0:
                self.position = self.first  # older steps were dropped from the history
            self.changed.emit()

    def seek(self, position: int) -> None:
        lowest = -1 if self.first == 0 else self.first
        position = max(lowest, min(position, self.computed - 1))
        if position != self.position:
            self.position = position
            self.changed.emit()

    def play(self) -> None:
        if self.finished and self.position == self.computed - 1:
            self.seek(-1)  # at the end of a finished run, Play replays it from the start
        self._timer.start(max(1, round(1000 / self.speed)))
        self.changed.emit()

    def pause(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self.changed.emit()

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def set_speed(self, steps_per_second: float) -> None:
        self.speed = float(steps_per_second)
        if self.playing:
            self._timer.setInterval(max(1, round(1000 / self.speed)))

    # --- internals -----------------------------------------------------------------------
    def _tick(self) -> None:
        self.step()

    def _pull(self) -> bool:
        if self._steps is None or self.finished:
            return False
        try:
            snapshot = next(self._steps)
        except StopIteration:
            self.finished = True
            return False
        except ValueError as err:           # the algorithm's own word on bad input
            self.finished = True
            self.failed.emit(str(err))
            return False
        except Exception as err:            # a bug: say so, keep the app alive
            traceback.print_exc(file=sys.stderr)
            self.finished = True
            self.failed.emit(f"internal error: {type(err).__name__}: {err}")
            return False
        if len(self.history) == self.capacity:
            self.first += 1
        self.history.append(snapshot)
        self.position = self.computed - 1
        return True
