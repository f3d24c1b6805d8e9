"""The player: pulls snapshots from an algorithm on a worker thread, keeps a bounded
history, keeps time.

Position −1 is "before the first step": the data alone. Stepping past the newest
snapshot takes the next one from the worker, which computes a snapshot or two ahead
(more while playing), so the UI thread never waits for a slow step: if the next snapshot
is not ready yet, it is shown the moment it arrives. Stepping back, scrubbing and
replaying read the history and recompute nothing.

The history is bounded by bytes as well as by count (image snapshots are large): the
oldest snapshots are dropped first, and `first` says how many have gone.

A generator is only ever advanced by the worker thread, one `next()` at a time. Results
come back through a queue that a UI-thread timer drains: no Qt object crosses threads
(see background.py for why).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import queue
from collections import deque
from collections.abc import Callable, Iterator, Mapping

import numpy as np
from PySide6 import QtCore

from visualizer import background
from visualizer.errors import describe

HISTORY_BYTES = 100 * 1024 * 1024   # snapshots kept for stepping back, at most
HISTORY_COUNT = 10_000
AHEAD_PAUSED, AHEAD_PLAYING = 1, 3  # snapshots computed ahead of the one shown
POLL_MS = 4                          # how often finished work is looked for while some is pending
MAX_PENDING = 20                     # step presses remembered while a slow step computes

_END = object()  # the generator is exhausted


def buffers(snapshot) -> dict[int, int]:
    """{id of an array's memory: its size in bytes} over every array a snapshot holds.

    Views count their base buffer: the optimizer race hands out growing prefixes of one
    buffer, which would otherwise be counted once per step.
    """
    found: dict[int, int] = {}
    stack, seen = [snapshot], set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            base = item
            while isinstance(base.base, np.ndarray):
                base = base.base
            found[id(base)] = base.nbytes
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return found


class History:
    """Snapshots in order, the oldest dropped once the count or the bytes run over."""

    def __init__(self, max_bytes: int = HISTORY_BYTES, max_count: int = HISTORY_COUNT):
        self.max_bytes, self.max_count = max_bytes, max_count
        self.items: deque = deque()
        self.first = 0                        # absolute index of items[0]
        self.bytes = 0
        self._users: dict[int, list] = {}     # buffer id → [bytes, snapshots using it]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i][0]

    def clear(self) -> None:
        self.items.clear()
        self._users.clear()
        self.first = self.bytes = 0

    def append(self, snapshot) -> None:
        held = buffers(snapshot)
        for key, size in held.items():
            entry = self._users.setdefault(key, [size, 0])
            if entry[1] == 0:
                self.bytes += size
            entry[1] += 1
        self.items.append((snapshot, tuple(held)))
        while len(self.items) > 1 and (len(self.items) > self.max_count
                                       or self.bytes > self.max_bytes):
            self._drop_oldest()

    def _drop_oldest(self) -> None:
        _, held = self.items.popleft()
        self.first += 1
        for key in held:
            entry = self._users[key]
            entry[1] -= 1
            if entry[1] == 0:
                self.bytes -= entry[0]
                del self._users[key]


class Player(QtCore.QObject):
    changed = QtCore.Signal()        # the position, the history or the play state moved
    failed = QtCore.Signal(str)      # the run stopped: the message says why, for the banner
    moving = QtCore.Signal()         # a step or Play was asked for (a live panel freezes)

    SPEEDS = (0.5, 1, 2, 4, 8, 15, 30, 60)

    def __init__(self, max_bytes: int = HISTORY_BYTES, max_count: int = HISTORY_COUNT,
                 parent=None):
        super().__init__(parent)
        self.history = History(max_bytes, max_count)
        self.position = -1        # absolute index of the snapshot shown; −1: none yet
        self.finished = False     # the generator has nothing more to give
        self.speed = 4.0          # steps per second while playing
        self._factory: Callable[[], Iterator] | None = None
        self._steps: Iterator | None = None
        self._ready: deque = deque()          # computed ahead, not yet in the history
        self._exhausted = False               # the worker saw the end (or an error)
        self._run = 0                         # bumped by reset: older results are stale
        self._inflight: concurrent.futures.Future | None = None
        self._pending = 0                     # steps asked for before they were ready
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._worker = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="steps")
        self._clock = QtCore.QTimer(self)
        self._clock.timeout.connect(self._tick)
        self._poll = QtCore.QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self._drain)

    # --- what is shown -------------------------------------------------------------------
    @property
    def first(self) -> int:
        """Absolute index of the oldest snapshot kept; steps before it were dropped."""
        return self.history.first

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
        return self._clock.isActive()

    @property
    def busy(self) -> bool:
        """A step was asked for and is still being computed."""
        return self._pending > 0

    def snapshots(self) -> list:
        """The kept snapshots from the oldest up to and including the one shown."""
        return [self.history[i] for i in range(self.position - self.first + 1)]

    # --- control -------------------------------------------------------------------------
    def load(self, factory: Callable[[], Iterator]) -> None:
        """Start a new run (nothing shown yet); `factory` makes a fresh generator."""
        self._factory = factory
        self.reset()

    def reset(self) -> None:
        self.pause()
        self._run += 1
        self.history.clear()
        self._ready.clear()
        self.position, self.finished, self._exhausted, self._pending = -1, False, False, 0
        self._steps = None
        if self._factory is not None:
            try:
                self._steps = self._factory()
            except Exception as err:  # noqa: BLE001 - whatever it is, the app lives on
                self._stop(err)
        self._request()
        self.changed.emit()

    def step(self) -> bool:
        """Show the next step; return False when the run has ended.

        When the next snapshot is still being computed it is shown as soon as it arrives
        (True is returned: the step will happen).
        """
        self.moving.emit()
        if self.position + 1 < self.computed:
            self.position += 1
        elif self._ready:
            self._take()
        elif self._exhausted:
            self._end()
            return False
        else:
            self._pending = min(self._pending + 1, MAX_PENDING)
            self._request()
            return True
        self._request()
        self.changed.emit()
        return True

    def step_now(self, timeout: float = 60.0) -> bool:
        """Take one step, waiting for it to be computed (batch runs and tests only)."""
        if self.position + 1 < self.computed or self._ready:
            return self.step()
        while not self._ready and not self._exhausted:
            self._request()
            if self._inflight is None:
                break
            try:
                self._inflight.result(timeout)
            except concurrent.futures.TimeoutError:
                return False
            self._drain(show=False)
        self._pending = 0
        return self.step()

    def back(self) -> None:
        self._pending = 0
        if self.position >= 0 and self.position > self.first - 1:
            self.position -= 1
            if self.position < self.first and self.first > 0:
                self.position = self.first  # older steps were dropped from the history
            self.changed.emit()

    def seek(self, position: int) -> None:
        self._pending = 0
        lowest = -1 if self.first == 0 else self.first
        position = max(lowest, min(position, self.computed - 1))
        if position != self.position:
            self.position = position
            self.changed.emit()

    def play(self) -> None:
        self.moving.emit()
        if self.finished and self.position == self.computed - 1:
            self.seek(-1)  # at the end of a finished run, Play replays it from the start
        self._clock.start(max(1, round(1000 / self.speed)))
        self._request()
        self.changed.emit()

    def pause(self) -> None:
        if self._clock.isActive():
            self._clock.stop()
            self.changed.emit()

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def set_speed(self, steps_per_second: float) -> None:
        self.speed = float(steps_per_second)
        if self.playing:
            self._clock.setInterval(max(1, round(1000 / self.speed)))

    def close(self) -> None:
        """Stop the clock and the worker; waits for a step being computed to finish, so
        no thread is still running algorithm code while Python shuts down."""
        self.pause()
        self._run += 1
        self._poll.stop()
        self._worker.shutdown(wait=True, cancel_futures=True)

    # --- internals -----------------------------------------------------------------------
    def _tick(self) -> None:
        if self.position + 1 < self.computed or self._ready:
            self.step()
        elif self._exhausted:
            self._end()
        else:
            self._request()  # not ready yet: this tick is skipped, the clock runs on

    def _take(self) -> None:
        self.history.append(self._ready.popleft())
        self.position = self.computed - 1

    def _end(self) -> None:
        self.finished = True
        self.pause()
        self.changed.emit()

    def _stop(self, err: BaseException) -> None:
        """The generator failed: end the run and say why (see errors.describe)."""
        self._exhausted = self.finished = True
        self._steps = None
        self.failed.emit(describe(err))

    def _request(self) -> None:
        """Ask the worker for the next snapshot when fewer than wanted are ready."""
        ahead = AHEAD_PLAYING if self.playing else AHEAD_PAUSED
        if (self._inflight is not None or self._exhausted or self._steps is None
                or len(self._ready) >= max(ahead, self._pending)):
            return
        run, steps = self._run, self._steps
        try:
            self._inflight = self._worker.submit(self._pull, run, steps)
        except RuntimeError:  # the worker was shut down: the window is closing
            return
        self._poll.start()

    def _pull(self, run: int, steps: Iterator) -> None:
        """On the worker thread: one next(), its outcome posted to the inbox."""
        try:
            result = next(steps)
        except StopIteration:
            result = _END
        except BaseException as err:  # noqa: BLE001 - handed to the UI thread to report
            result = err
        # A reset may have let go of this generator meanwhile: the UI thread frees it
        # (its frame holds the panel; see background._RETIRED).
        background.retire(steps, result if isinstance(result, BaseException) else None)
        self._inbox.put((run, result))

    def _drain(self, show: bool = True) -> None:
        """On the UI thread: take finished work, show what was waited for, ask for more."""
        while True:
            try:
                run, result = self._inbox.get_nowait()
            except queue.Empty:
                break
            if run != self._run:
                continue  # from a run that was reset meanwhile
            self._inflight = None
            if result is _END:
                self._exhausted = True
            elif isinstance(result, BaseException):
                self._stop(result)
            else:
                self._ready.append(result)
        if self._inflight is not None and self._inflight.done() and self._inbox.empty():
            self._inflight = None  # a stale run's result was dropped above
        if self._inflight is None:
            self._poll.stop()
        if show and self._pending:
            if self._ready:
                self._pending -= 1
                self.step()
            elif self._exhausted:
                self._pending = 0
                self._end()
        self._request()
