"""The player: history, stepping back without recomputing, bounded memory, errors."""

from algorithms.base import Snapshot
from visualizer.player import Player


def counting(n, pulls):
    def factory():
        for i in range(n):
            pulls.append(i)
            yield Snapshot(index=i, phase="count", caption=f"step {i}")
    return factory


def test_back_and_seek_recompute_nothing(qtbot):
    pulls = []
    player = Player()
    player.load(counting(10, pulls))
    for _ in range(6):
        assert player.step()
    assert pulls == list(range(6)) and player.current.index == 5
    player.back()
    player.back()
    assert player.current.index == 3
    player.seek(0)
    assert player.current.index == 0
    player.step()
    assert player.current.index == 1 and pulls == list(range(6))
    player.seek(-1)
    assert player.current is None


def test_end_of_run_stops_and_reports(qtbot):
    player = Player()
    player.load(counting(3, []))
    assert [player.step() for _ in range(4)] == [True, True, True, False]
    assert player.finished and player.current.index == 2


def test_history_is_bounded(qtbot):
    player = Player(capacity=5)
    player.load(counting(12, []))
    for _ in range(12):
        player.step()
    assert len(player.history) == 5 and player.first == 7
    player.seek(0)  # older steps are gone: the oldest kept one is shown
    assert player.current.index == 7
    for _ in range(3):
        player.back()
    assert player.current.index == 7


def test_play_advances_on_the_clock(qtbot):
    player = Player()
    player.load(counting(50, []))
    player.set_speed(60)
    player.play()
    qtbot.waitUntil(lambda: player.position >= 4, timeout=3000)
    player.pause()
    stopped = player.position
    qtbot.wait(100)
    assert player.position == stopped and not player.playing


def test_bad_input_is_reported_not_raised(qtbot):
    def refuses():
        raise ValueError("k = 5 clusters need at least 5 points; there are 2")
        yield  # pragma: no cover

    player = Player()
    with qtbot.waitSignal(player.failed) as signal:
        player.load(refuses)
        player.step()
    assert "at least 5 points" in signal.args[0]
    assert player.current is None and player.finished


def test_a_bug_in_an_algorithm_is_reported_and_the_app_lives(qtbot):
    def broken():
        yield Snapshot(index=0, phase="x", caption="fine")
        raise ZeroDivisionError("oops")

    player = Player()
    messages = []
    player.failed.connect(messages.append)
    player.load(broken)
    assert player.step() and not player.step()
    assert messages == ["internal error: ZeroDivisionError: oops"]
    assert player.current.caption == "fine"


def test_play_at_the_end_replays_from_the_start(qtbot):
    pulls = []
    player = Player()
    player.load(counting(3, pulls))
    while player.step():
        pass
    player.set_speed(60)
    player.play()
    assert player.position == -1 and player.playing
    qtbot.waitUntil(lambda: not player.playing, timeout=3000)
    assert player.position == 2 and pulls == [0, 1, 2], "the replay recomputed nothing"
