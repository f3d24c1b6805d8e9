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

import collections
import concurrent.futures
import queue
import time
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
        _collector.timer.timeout.connect(release_retired)


_STALE = object()  # the result of a task superseded before it started
# Tasks handed back by the workers, released on the UI thread a while later.
# A task's closure may hold the last reference to a panel (a classifier that is a panel's
# method, say); a panel freed on a worker takes its Qt objects down from the wrong thread:
# heap corruption that surfaced as segfaults far from here. So a worker never drops the
# last reference to anything: it parks what it ran here first (and no future is cancelled,
# since a cancelled task is dropped by the worker that dequeues it).
_RETIRED: collections.deque = collections.deque()
RETIRE_AFTER = 1.0  # seconds; a worker lets go of its own references within microseconds


def _work(fn, key, token, latest: dict, inbox: queue.SimpleQueue) -> None:
    """On a worker: run fn unless a newer task with its key came in meanwhile."""
    result = _STALE
    try:
        if latest.get(key) == token:
            result = fn()
    except Exception as err:  # delivered to the UI thread, which decides what to say
        result = err
    # Results are plain data, safe to free anywhere, and large (a region image is ~1 MB):
    # only the task, and an error's traceback (its frames hold the task's locals), wait.
    retire(fn, result if isinstance(result, BaseException) else None)
    inbox.put((key, token, result))


def retire(*held) -> None:
    """On a worker: park what it holds, for the UI thread to free (see _RETIRED)."""
    _RETIRED.append((time.monotonic(), held))


def release_retired() -> None:
    """On the UI thread: let go of what the workers handed back a while ago."""
    cutoff = time.monotonic() - RETIRE_AFTER
    while _RETIRED and _RETIRED[0][0] < cutoff:
        _RETIRED.popleft()


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
        pool = FILES if reads_file else COMPUTE
        self._futures[key] = pool.submit(_work, fn, key, token, self._latest, self._inbox)
        self._timer.start()

    @property
    def pending(self) -> bool:
        return any(not f.done() for f in self._futures.values()) or not self._inbox.empty()

    def _drain(self) -> None:
        release_retired()
        while True:
            try:
                key, token, result = self._inbox.get_nowait()
            except queue.Empty:
                break
            if result is not _STALE and self._latest.get(key) == token and not self._closed:
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
        for key in self._latest:  # tasks not yet started skip their work (see _work)
            self._latest[key] += 1
        self._timer.stop()
