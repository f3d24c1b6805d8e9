"""Run slow work (an elbow curve, a detector) off the UI thread; deliver on it.

Each task has a key; a newer task with the same key makes the older one's result
stale, so the panel only ever receives the answer to its latest question.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from PySide6 import QtCore


class _Signals(QtCore.QObject):
    done = QtCore.Signal(object, object, object)  # key, token, result or exception


class _Task(QtCore.QRunnable):
    def __init__(self, fn, key, token, signals):
        super().__init__()
        self.fn, self.key, self.token, self.signals = fn, key, token, signals

    def run(self):
        try:
            result = self.fn()
        except Exception as err:  # delivered to the UI thread, which decides what to say
            result = err
        # RuntimeError: the panel that asked was closed meanwhile; nobody wants the answer
        with contextlib.suppress(RuntimeError):
            self.signals.done.emit(self.key, self.token, result)


class Background(QtCore.QObject):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._signals = _Signals()
        self._signals.done.connect(self._deliver)
        self._latest: dict = {}
        self._callbacks: dict = {}
        self.pool = QtCore.QThreadPool.globalInstance()

    def submit(self, key, fn: Callable, on_done: Callable) -> None:
        token = self._latest.get(key, 0) + 1
        self._latest[key] = token
        self._callbacks[key] = on_done
        self.pool.start(_Task(fn, key, token, self._signals))

    def busy(self, key) -> bool:
        return key in self._callbacks

    def _deliver(self, key, token, result):
        if self._latest.get(key) != token:
            return  # a newer request replaced this one
        callback = self._callbacks.pop(key)
        callback(result)

    def wait(self, msecs: int = 30_000) -> None:
        """Block until queued work is finished and delivered (batch runs and tests only)."""
        self.pool.waitForDone(msecs)
        QtCore.QCoreApplication.processEvents()
