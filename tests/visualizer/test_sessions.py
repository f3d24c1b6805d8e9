"""Session files put the same picture back; the app starts where it was left; a bad file
changes nothing."""

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore

from visualizer import export
from visualizer.app import settings as app_settings
from visualizer.main_window import MainWindow
from visualizer.pixels import settle

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def answer_columns(monkeypatch):
    import visualizer.main_window as mw

    monkeypatch.setattr(mw, "ask_columns", lambda table, parent: ("length", "depth", "kind"))


def shown(window):
    """The canvas laid out at one fixed size (a 16:9 slide), so that two windows with
    different histories of resizing are compared on the same layout."""
    settle(window.session.panel)
    return export.grab(window.session.panel.canvas, "slide").astype(int)


def click(qtbot, panel, x, y):
    scene = panel.main.vb.mapViewToScene(QtCore.QPointF(x, y))
    qtbot.mouseClick(panel.canvas.viewport(), QtCore.Qt.LeftButton,
                     pos=panel.canvas.mapFromScene(scene))


def test_a_saved_session_reopens_to_the_same_picture(qtbot, make_window, tmp_path,
                                                      answer_columns):
    first = make_window("kmeans", seed=4)
    with qtbot.waitSignal(first.data_loaded, timeout=10_000):
        first.open_data(str(DATA / "good_semicolon.csv"))
    first.binders[0].group.child("k").setValue(2)
    click(qtbot, first.session.panel, 4.0, 4.0)
    first.session.advance(5)
    original, picture = first.session.player.current, shown(first)
    first.save_session(str(tmp_path / "lesson.json"))
    saved = json.loads((tmp_path / "lesson.json").read_text())
    assert saved["panel"] == "kmeans" and saved["step"] == 5 and saved["params"]["k"] == 2
    assert saved["source"]["kind"] == "table" and saved["source"]["data"]["length"]
    first.close()

    pictures = []
    for start in ("minibatch", "kmeans"):  # whatever was open before
        window = make_window(start)
        assert window.open_session(str(tmp_path / "lesson.json"))
        panel, step = window.session.panel, window.session.player.current
        assert panel.id == "kmeans" and panel.params.k == 2 and window.session.player.position == 4
        assert panel.data.origin == "good_semicolon.csv" and panel.added == 1
        np.testing.assert_array_equal(step.labels, original.labels)
        np.testing.assert_array_equal(step.centers, original.centers)
        pictures.append(shown(window))
        window.close()
    assert np.abs(pictures[0] - pictures[1]).max() <= 2, "a session opens to one picture"
    # Against the window it was saved from, whose layout went through other resizes: the
    # same picture to the eye (blurred, a pixel of layout shift does not count).
    import cv2

    blur = [cv2.GaussianBlur(p.astype(np.float32), (0, 0), 6) for p in (picture, pictures[0])]
    assert np.abs(blur[0] - blur[1]).mean() < 3


@pytest.mark.parametrize(("content", "message"), [
    ("not json at all", "not a Stepwise session"),
    ('{"some": "thing"}', "not a Stepwise session"),
    ('{"stepwise_session": 1, "panel": "nope"}', "unknown panel"),
    ('{"stepwise_session": 1, "panel": "kmeans", "params": {"k": 99}}', "k must be between"),
    ('{"stepwise_session": 9, "panel": "kmeans"}', "newer Stepwise"),
])
def test_a_bad_session_file_changes_nothing(qtbot, make_window, tmp_path, content, message):
    window = make_window("optimizers")
    window.session.advance(3)
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert not window.open_session(str(path))
    assert window.banner.level == "error" and message in window.banner.text.text()
    assert "nothing was changed" in window.banner.text.text()
    assert window.session.panel.id == "optimizers" and window.session.player.position == 2


def test_the_app_starts_where_it_was_left(qtbot, answer_columns):
    first = MainWindow("kmeans", settings=app_settings())
    qtbot.addWidget(first)
    first.show()
    with qtbot.waitSignal(first.data_loaded, timeout=10_000):
        first.open_data(str(DATA / "good_semicolon.csv"))
    first.binders[0].group.child("k").setValue(5)
    first.open_panel("optimizers")
    first.binders[0].group.child("adam_lr").setValue(0.07)
    first.close()

    again = MainWindow(None, settings=app_settings())
    qtbot.addWidget(again)
    assert again.session.panel.id == "optimizers"
    assert again.session.panel.params.adam_lr == 0.07
    again.open_panel("kmeans")
    assert again.session.panel.params.k == 5
    assert again.session.panel.data.origin == "good_semicolon.csv"


def test_the_command_line_opens_a_session(tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    state = {"stepwise_session": 1, "panel": "minibatch", "seed": 2, "step": 7,
             "params": {"lr": 0.05}, "data_params": None, "source": {"kind": "generated"},
             "hand_made": {}}
    (tmp_path / "s.json").write_text(json.dumps(state))
    run = subprocess.run([sys.executable, str(root / "main.py"), "--session",
                          str(tmp_path / "s.json"), "--screenshot", str(tmp_path / "s.png")],
                         capture_output=True, text=True, cwd=root,
                         env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "s.png").stat().st_size > 10_000
    (tmp_path / "bad.json").write_text("{}")
    run = subprocess.run([sys.executable, str(root / "main.py"), "--session",
                          str(tmp_path / "bad.json"), "--screenshot", str(tmp_path / "b.png")],
                         capture_output=True, text=True, cwd=root,
                         env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert run.returncode == 2 and "not a Stepwise session" in run.stderr
