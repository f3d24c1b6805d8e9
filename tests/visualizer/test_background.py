"""Background work: results arrive on the UI thread, the newest request wins, and a worker
never frees what a task held (a panel freed on a worker crashed the app)."""

import gc
import threading
import time

from visualizer import background
from visualizer.background import Background


class Witness:
    """Records the thread it is freed on."""

    freed_on: list = []

    def __del__(self):
        Witness.freed_on.append(threading.current_thread().name)


def test_results_arrive_on_the_ui_thread_and_the_newest_wins(qtbot):
    work = Background()
    seen = []
    gate = threading.Event()
    work.submit("k", lambda: gate.wait(5) and "old", lambda r: seen.append(("old", r)))
    work.submit("k", lambda: "new", lambda r: seen.append(
        (r, threading.current_thread() is threading.main_thread())))
    gate.set()
    qtbot.waitUntil(lambda: not work.pending, timeout=5000)
    work.wait()
    assert seen == [("new", True)]


def test_a_worker_never_frees_what_a_task_held(qtbot):
    Witness.freed_on.clear()
    work = Background()
    started, release = threading.Event(), threading.Event()

    def make_task():
        held = Witness()  # the task's closure holds the only reference

        def task():
            started.set()
            release.wait(5)
            return held is not None
        return task

    work.submit("k", make_task(), lambda _r: None)
    assert started.wait(5)
    work.close()      # the panel goes while its task still runs...
    del work
    gc.collect()
    release.set()     # ...and the task ends afterwards on its worker
    deadline = time.monotonic() + background.RETIRE_AFTER + 5
    while not Witness.freed_on and time.monotonic() < deadline:
        qtbot.wait(50)
        background.release_retired()
    assert Witness.freed_on == [threading.main_thread().name]
