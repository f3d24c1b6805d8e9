"""The player: steps computed on a worker, history bounded by bytes, nothing recomputed to
go back, every failure reported."""

import threading
import time

import numpy as np
import pytest

from algorithms.base import Snapshot, frozen
from visualizer.player import History, Player, buffers


def counting(n, pulls, payload=0):
    """A generator factory that records which steps were computed, and on which thread."""
    def factory():
        for i in range(n):
            pulls.append((i, threading.current_thread().name))
            yield Snapshot(index=i, phase="count", caption=f"step {i}",
                           metrics={"payload": frozen(np.zeros(payload))} if payload else {})
    return factory


@pytest.fixture
def player(qtbot):
    made = Player()
    yield made
    made.close()


def test_steps_are_computed_off_the_ui_thread(player):
    pulls = []
    player.load(counting(5, pulls))
    assert player.step_now() and player.current.index == 0
    assert pulls and all(thread != threading.main_thread().name for _, thread in pulls)


def test_a_step_that_is_not_ready_is_shown_when_it_arrives(qtbot, player):
    gate = threading.Event()

    def slow():
        gate.wait(5)
        yield Snapshot(index=0, phase="slow", caption="done")

    player.load(slow)
    assert player.step() is True and player.current is None and player.busy
    gate.set()
    qtbot.waitUntil(lambda: player.current is not None, timeout=3000)
    assert player.current.caption == "done" and not player.busy


def test_back_and_seek_recompute_nothing(qtbot, player):
    pulls = []
    player.load(counting(10, pulls))
    for _ in range(6):
        assert player.step_now()
    qtbot.waitUntil(lambda: len(pulls) == 7)  # the one step computed ahead
    computed_before = len(pulls)
    assert player.current.index == 5
    player.back()
    player.back()
    assert player.current.index == 3
    player.seek(0)
    assert player.current.index == 0
    player.step()
    assert player.current.index == 1
    player.seek(-1)
    assert player.current is None
    assert len(pulls) == computed_before, "going back and forth computed nothing new"


def test_the_worker_computes_only_a_step_ahead_while_paused(qtbot, player):
    pulls = []
    player.load(counting(100, pulls))
    player.step_now()
    qtbot.wait(100)
    assert len(pulls) <= 1 + 2, "paused: one step shown, at most one or two computed ahead"


def test_end_of_run_stops_and_reports(player):
    player.load(counting(3, []))
    assert [player.step_now() for _ in range(4)] == [True, True, True, False]
    assert player.finished and player.current.index == 2


def test_history_is_bounded_by_count(qtbot):
    player = Player(max_count=5)
    player.load(counting(12, []))
    for _ in range(12):
        player.step_now()
    assert len(player.history) == 5 and player.first == 7
    player.seek(0)  # older steps are gone: the oldest kept one is shown
    assert player.current.index == 7
    for _ in range(3):
        player.back()
    assert player.current.index == 7
    player.close()


def test_history_is_bounded_by_bytes(qtbot):
    player = Player(max_bytes=10 * 8_000)            # room for ten 8 kB snapshots
    player.load(counting(40, [], payload=1000))      # 1000 float64 = 8,000 bytes each
    for _ in range(40):
        player.step_now()
    assert len(player.history) == 10 and player.first == 30
    assert player.history.bytes <= 10 * 8_000
    player.close()


def test_shared_buffers_are_counted_once():
    """The optimizer race hands out growing views of one buffer at every step."""
    base = np.zeros(1000)
    history = History(max_bytes=10**9)
    for k in range(1, 50):
        history.append(Snapshot(index=k, phase="x", caption="", metrics={"path": base[:k]}))
    assert history.bytes == base.nbytes
    assert list(buffers(Snapshot(index=0, phase="", caption="",
                                 metrics={"a": base[:3], "b": base[5:]})).values()) == [8000]


def test_the_caption_says_when_early_steps_were_dropped(qtbot):
    from visualizer.registry import by_id
    from visualizer.session import Session

    session = Session(by_id("kmeans").load(), seed=1)
    qtbot.addWidget(session.panel.canvas)
    session.player.history.max_count = 3
    session.advance(6)
    assert session.player.first == 3
    assert "3 earlier steps dropped" in session.caption()
    session.close()


def test_play_advances_on_the_clock(qtbot, player):
    player.load(counting(50, []))
    player.set_speed(60)
    player.play()
    qtbot.waitUntil(lambda: player.position >= 4, timeout=3000)
    player.pause()
    stopped = player.position
    qtbot.wait(100)
    assert player.position == stopped and not player.playing


def test_bad_input_is_reported_not_raised(qtbot, player):
    def refuses():
        raise ValueError("k = 5 clusters need at least 5 points; there are 2")
        yield  # pragma: no cover

    with qtbot.waitSignal(player.failed) as signal:
        player.load(refuses)
        player.step_now()
    assert signal.args[0] == "k = 5 clusters need at least 5 points; there are 2"
    assert player.current is None and player.finished


def test_a_bug_in_an_algorithm_is_reported_and_logged(qtbot, player, tmp_path, monkeypatch):
    monkeypatch.setenv("STEPWISE_LOG", str(tmp_path / "log.txt"))
    import visualizer.errors as errors

    monkeypatch.setattr(errors.LOG, "handlers", [])

    def broken():
        yield Snapshot(index=0, phase="x", caption="fine")
        raise ZeroDivisionError("oops")

    messages = []
    player.failed.connect(messages.append)
    player.load(broken)
    assert player.step_now() and not player.step_now()
    assert len(messages) == 1 and messages[0].startswith("internal error: ZeroDivisionError: oops")
    assert str(tmp_path / "log.txt") in messages[0]
    assert "Traceback" in (tmp_path / "log.txt").read_text()
    assert player.current.caption == "fine"


def test_a_result_from_a_run_that_was_reset_is_dropped(qtbot, player):
    gate = threading.Event()

    def first_run():
        gate.wait(5)
        yield Snapshot(index=0, phase="old", caption="old run")

    player.load(first_run)
    player.step()                       # the worker is now stuck in the old run
    player.load(counting(3, []))        # a new run starts meanwhile
    gate.set()
    assert player.step_now()
    assert player.current.caption == "step 0", "the old run's late answer was dropped"


def test_play_at_the_end_replays_from_the_start(qtbot, player):
    pulls = []
    player.load(counting(3, pulls))
    while player.step_now():
        pass
    player.set_speed(60)
    player.play()
    assert player.position == -1 and player.playing
    qtbot.waitUntil(lambda: not player.playing, timeout=3000)
    assert player.position == 2 and len(pulls) == 3, "the replay recomputed nothing"


def test_the_ui_thread_is_free_while_a_slow_step_computes(qtbot, player):
    """A step taking 300 ms of numpy work: the event loop keeps ticking meanwhile."""
    def heavy():
        deadline = time.perf_counter() + 0.3
        while time.perf_counter() < deadline:
            np.linalg.svd(np.random.default_rng(0).normal(size=(120, 120)))
        yield Snapshot(index=0, phase="done", caption="heavy")

    ticks = []
    from PySide6 import QtCore

    timer = QtCore.QTimer(interval=10, timeout=lambda: ticks.append(1))
    timer.start()
    player.load(heavy)
    player.step()
    qtbot.waitUntil(lambda: player.current is not None, timeout=5000)
    timer.stop()
    assert len(ticks) >= 5, "the event loop ran while the step was computed"
