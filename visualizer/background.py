"""Run slow work (an elbow curve, reading a file) off the UI thread; deliver on it.

Each task has a key; a newer task with the same key makes the older one's result
stale, so the panel only ever receives the answer to its latest question.

Plain Python threads do the work and drop their results in a queue that a timer on the
UI thread drains. Nothing Qt crosses threads: a queued signal emitted from a worker
thread crashed PySide6 now and then (a segfault in the event loop, about one run in
five of the CSV tests; PYSIDE-3124 is the same family of bug).
"""

from __future__ import annotations

import concurrent.futures
import queue
from collections.abc import Callable

from PySide6 import QtCore

# Two workers: on a 2-core laptop one core stays with the UI; a second task waits.
POOL = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="stepwise")
POLL_MS = 15  # how often the UI thread looks for finished work while some is pending


class Background(QtCore.QObject):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._latest: dict = {}
        self._callbacks: dict = {}
        self._pending: set[concurrent.futures.Future] = set()
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._timer = QtCore.QTimer(self, interval=POLL_MS)
        self._timer.timeout.connect(self._drain)

    def submit(self, key, fn: Callable, on_done: Callable) -> None:
        token = self._latest.get(key, 0) + 1
        self._latest[key] = token
        self._callbacks[key] = on_done
        self._pending.add(POOL.submit(self._work, fn, key, token))
        self._timer.start()

    def _work(self, fn, key, token) -> None:
        try:
            result = fn()
        except Exception as err:  # delivered to the UI thread, which decides what to say
            result = err
        self._inbox.put((key, token, result))

    def _drain(self) -> None:
        self._pending = {f for f in self._pending if not f.done()}
        while True:
            try:
                key, token, result = self._inbox.get_nowait()
            except queue.Empty:
                break
            if self._latest.get(key) == token:  # else a newer request replaced this one
                self._callbacks.pop(key)(result)
        if not self._pending and self._inbox.empty():
            self._timer.stop()

    def wait(self, seconds: float = 30.0) -> None:
        """Block until queued work is finished and delivered (batch runs and tests only)."""
        concurrent.futures.wait(list(self._pending), timeout=seconds)
        self._drain()
        QtCore.QCoreApplication.processEvents()
