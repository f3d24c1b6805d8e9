"""Run slow work (an elbow curve, region shading, reading a file) off the UI thread;
deliver the result on it.

Each task has a key; a newer task with the same key makes the older one stale: if it has
not started it never runs, and if it has, its result is dropped, so the panel only ever
receives the answer to its latest question. Reading files has a worker of its own, so a
load never waits behind computations.

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

# Two workers for computing: on a 2-core laptop one core stays with the UI; a third task
# waits. Files are read on a worker of their own.
COMPUTE = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="stepwise")
FILES = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="files")
POLL_MS = 15  # how often the UI thread looks for finished work while some is pending
_collector = None


def collect_garbage_on_ui_thread() -> None:
    """Python's cyclic garbage collector runs in whichever thread happens to allocate; when
    that is a worker and the garbage holds Qt objects (an old panel's items), Qt deletes
    them from the wrong thread and the app segfaults later in the event loop. So automatic
    collection is switched off and a UI-thread timer collects instead (pyqtgraph's own
    remedy). Called once, when the first session starts."""
    global _collector
    if _collector is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _collector = GarbageCollector(interval=0.5)


class Background(QtCore.QObject):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._latest: dict = {}
        self._callbacks: dict = {}
        self._futures: dict = {}            # key → the newest future for it
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = False
        self._timer = QtCore.QTimer(self, interval=POLL_MS)
        self._timer.timeout.connect(self._drain)

    def submit(self, key, fn: Callable, on_done: Callable, *, reads_file: bool = False) -> None:
        """Run fn() off the UI thread, then on_done(result or the exception) on it."""
        if self._closed:
            return
        token = self._latest.get(key, 0) + 1
        self._latest[key] = token
        self._callbacks[key] = on_done
        older = self._futures.get(key)
        if older is not None:
            older.cancel()  # superseded before it started: it never runs
        pool = FILES if reads_file else COMPUTE
        self._futures[key] = pool.submit(self._work, fn, key, token)
        self._timer.start()

    def _work(self, fn, key, token) -> None:
        if self._latest.get(key) != token:
            return  # a newer request with this key came in while this one waited
        try:
            result = fn()
        except Exception as err:  # delivered to the UI thread, which decides what to say
            result = err
        self._inbox.put((key, token, result))

    @property
    def pending(self) -> bool:
        return any(not f.done() for f in self._futures.values()) or not self._inbox.empty()

    def _drain(self) -> None:
        while True:
            try:
                key, token, result = self._inbox.get_nowait()
            except queue.Empty:
                break
            if self._latest.get(key) == token and not self._closed:
                callback = self._callbacks.pop(key, None)
                if callback is not None:
                    callback(result)
        self._futures = {k: f for k, f in self._futures.items() if not f.done()}
        if not self._futures and self._inbox.empty():
            self._timer.stop()

    def wait(self, seconds: float = 30.0) -> None:
        """Block until queued work is finished and delivered (exports, batch runs and
        tests), including work that the delivered results start in turn."""
        for _ in range(10):
            if not self.pending:
                break
            concurrent.futures.wait(list(self._futures.values()), timeout=seconds)
            self._drain()
        QtCore.QCoreApplication.processEvents()

    def close(self) -> None:
        """Forget every pending task: nothing is delivered to a panel being deleted."""
        self._closed = True
        for future in self._futures.values():
            future.cancel()
        self._timer.stop()
