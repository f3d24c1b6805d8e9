"""The window: keyboard, sidebar search, presentation mode, settings, exports."""

import sys

import cv2
import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from visualizer import registry
from visualizer.app import settings as app_settings
from visualizer.main_window import MainWindow
from visualizer.pixels import rgb
from visualizer.style import STYLE


@pytest.fixture
def window(make_window):
    return make_window("kmeans", seed=2)


def test_keyboard_drives_the_player(qtbot, window):
    player = window.session.player
    qtbot.keyClick(window, QtCore.Qt.Key_Right)
    qtbot.keyClick(window, QtCore.Qt.Key_PageDown)   # a presentation clicker's "next"
    qtbot.keyClick(window, QtCore.Qt.Key_Right)
    qtbot.waitUntil(lambda: player.position == 2, timeout=5000)  # computed on a worker
    qtbot.keyClick(window, QtCore.Qt.Key_Left)
    qtbot.keyClick(window, QtCore.Qt.Key_PageUp)
    assert player.position == 0
    qtbot.keyClick(window, QtCore.Qt.Key_Space)
    assert player.playing
    qtbot.keyClick(window, QtCore.Qt.Key_Space)
    assert not player.playing
    qtbot.keyClick(window, QtCore.Qt.Key_Home)
    assert player.position == -1


def test_caption_and_metrics_follow_the_step(qtbot, window):
    assert "Press Step" in window.caption.text()
    window.session.advance(6)
    step = window.session.player.current
    assert window.caption.text() == step.caption
    assert "inertia" in window.metrics.text()


def test_timeline_scrubs_to_any_computed_step(qtbot, window):
    window.session.advance(6)
    window.transport.timeline.setValue(2)   # as if dragged
    assert window.session.player.position == 1
    assert window.transport.position.text().startswith("step 2 / 6")


@pytest.mark.parametrize("entry", registry.PANELS, ids=lambda e: e.id)
def test_a_wide_canvas_leaves_the_parameter_values_in_sight(qtbot, entry):
    window = MainWindow(entry.id)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(100)
    assert window.width() <= 1280, "the window grew off a 1280-pixel screen"
    chars = window.controls.tree.fontMetrics().averageCharWidth()
    assert window.params_dock.width() >= 30 * chars, "parameter values pushed out of sight"


def test_leaving_presentation_keeps_docks_folded_for_large_text(qtbot, window):
    STYLE.set_scale(2.0)
    assert window.explain_dock.isHidden() and window.sidebar_dock.isHidden()
    window.set_presentation(True)
    window.set_presentation(False)
    assert window.explain_dock.isHidden() and window.sidebar_dock.isHidden()
    assert not window.params_dock.isHidden()
    STYLE.set_scale(1.0)
    assert not window.explain_dock.isHidden() and not window.sidebar_dock.isHidden()


@pytest.mark.parametrize("scale", [1.0, 1.3])
def test_sidebar_shows_every_title_whole_when_narrow(qtbot, window, scale):
    tree = window.sidebar.tree
    STYLE.set_scale(scale)
    window.resizeDocks([window.sidebar_dock], [150], QtCore.Qt.Horizontal)
    qtbot.wait(50)
    topics = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    for item in [*topics, *window.sidebar.panel_items()]:
        rect = tree.visualItemRect(item)
        flags = int(QtCore.Qt.TextWordWrap)
        metrics = QtGui.QFontMetrics(item.font(0))
        needed = metrics.boundingRect(0, 0, rect.width() - 8, 10_000, flags, item.text(0))
        assert needed.height() <= rect.height() + 1, f"{item.text(0)!r} is cut off"


def test_sidebar_search_filters_panels(qtbot, window):
    window.sidebar.search.setText("k-means")
    visible = [i for i in window.sidebar.panel_items() if not i.isHidden()]
    assert [i.data(0, QtCore.Qt.UserRole) for i in visible] == ["kmeans"]
    window.sidebar.search.setText("no such algorithm")
    assert all(i.isHidden() for i in window.sidebar.panel_items())
    window.sidebar.search.clear()
    assert sum(not i.isHidden() for i in window.sidebar.panel_items()) == len(registry.PANELS)


def test_presentation_mode_is_readable_from_the_back(qtbot, window):
    window.set_presentation(True)
    assert window.caption.font().pixelSize() >= 24
    assert window.metrics.font().pixelSize() >= 24
    panel = window.session.panel
    for plot in panel.plots():
        assert plot.getAxis("bottom").style["tickFont"].pixelSize() >= 18
    assert not window.params_dock.isVisible() and not window.transport.isVisible()
    assert window.isFullScreen()
    window.set_presentation(False)
    assert window.caption.font().pixelSize() < 24 and window.transport.isVisible()


def test_font_scale_keys_grow_and_shrink_text(qtbot, window):
    before = window.caption.font().pixelSize()
    qtbot.keyClick(window, QtCore.Qt.Key_Equal, QtCore.Qt.ControlModifier)
    assert window.caption.font().pixelSize() > before
    qtbot.keyClick(window, QtCore.Qt.Key_Minus, QtCore.Qt.ControlModifier)
    qtbot.keyClick(window, QtCore.Qt.Key_Minus, QtCore.Qt.ControlModifier)
    assert window.caption.font().pixelSize() < before


def test_settings_bring_back_panel_geometry_and_font_scale(qtbot):
    first = MainWindow("kmeans", settings=app_settings())
    qtbot.addWidget(first)
    first.show()
    first.resize(1000, 700)
    STYLE.set_scale(1.3)
    first.close()
    STYLE.set_scale(1.0)
    again = MainWindow(None, settings=app_settings())
    qtbot.addWidget(again)
    assert again.session.panel.id == "kmeans"
    assert STYLE.scale == pytest.approx(1.3)
    assert (again.width(), again.height()) == (1000, 700)


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_export_writes_one_frame_per_step(qtbot, window, tmp_path, suffix):
    window.session.advance(5)
    path = tmp_path / f"run{suffix}"
    window.export_to(str(path))
    assert "Saved 5 steps" in window.banner.text.text()
    if suffix == ".gif":
        ok, animation = cv2.imreadanimation(str(path))
        assert ok and len(animation.frames) == 5
    else:
        import subprocess

        import imageio_ffmpeg

        probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(path)],
                               capture_output=True, text=True).stderr
        assert "Video: h264" in probe, "browsers play H.264, not MPEG-4 Part 2"
        assert "yuv420p" in probe
        video = cv2.VideoCapture(str(path))
        assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 5
    assert window.session.player.position == 4, "exporting leaves the run where it was"


def test_a_gif_keeps_grey_points_grey_and_text_untinted(qtbot, window, tmp_path):
    """A palette made for the run: colours on screen come back as they were (OpenCV's
    global palette turned grey points yellow-haloed and tinted the text)."""
    from visualizer import export
    from visualizer.pixels import settle
    from visualizer.style import UNASSIGNED

    window.session.advance(1)          # k-means++ has picked one centre: points still grey
    settle(window.session.panel)
    shown = export.grab(window.session.panel.canvas)
    window.export_to(str(tmp_path / "run.gif"))
    ok, animation = cv2.imreadanimation(str(tmp_path / "run.gif"))
    frame = cv2.cvtColor(animation.frames[0], cv2.COLOR_BGRA2RGB)
    h, w = (shown.shape[0] // 2) * 2, (shown.shape[1] // 2) * 2
    shown = shown[:h, :w].astype(int)
    grey = (np.abs(shown - rgb(UNASSIGNED)).max(-1) == 0)
    text = (shown.max(-1) < 60)
    assert grey.sum() > 200 and text.sum() > 200
    diff = np.abs(frame[:h, :w].astype(int) - shown).max(-1)
    assert diff[grey].max() <= 3, "grey points stay grey"
    assert np.percentile(diff[text], 99) <= 12, "dark text keeps its colour"


@pytest.mark.parametrize(("size", "expected"), [(None, None), ("double", 2), ("slide", (1920,
                                                                                       1080))])
def test_pictures_at_a_size_for_slides(qtbot, window, tmp_path, size, expected):
    from visualizer.pixels import settle

    window.session.advance(3)
    settle(window.session.panel)
    canvas = window.session.panel.canvas
    width, height = canvas.width(), canvas.height()
    limits = canvas.minimumSize(), canvas.maximumSize()
    path = tmp_path / "canvas.png"
    window.export_to(str(path), size)
    image = cv2.imread(str(path))
    if expected is None:
        assert image.shape[1] >= canvas.width()
    elif expected == 2:
        assert image.shape[:2] == (height * 2, width * 2)
    else:
        assert (image.shape[1], image.shape[0]) == expected
    assert len(np.unique(image.reshape(-1, 3)[::7], axis=0)) > 50
    assert (canvas.minimumSize(), canvas.maximumSize()) == limits, "its limits are put back"


def test_svg_keeps_lines_and_text_as_vectors(qtbot, window, tmp_path):
    window.session.advance(3)
    window.export_to(str(tmp_path / "canvas.svg"))
    text = (tmp_path / "canvas.svg").read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text and text.count("<path") > 5
    assert text.count("<text") > 20, "axis labels are text, not a picture of text"
    assert "Inertia per step" in text


def test_a_long_export_asks_first(qtbot, window, tmp_path, monkeypatch):
    from visualizer import export

    monkeypatch.setattr(export, "ASK_ABOVE", 3)
    asked = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "question",
                        lambda *args: asked.append(args[2]) or QtWidgets.QMessageBox.No)
    window.session.advance(5)
    window.export_to(str(tmp_path / "run.gif"))
    assert asked and "5 frames" in asked[0]
    assert not (tmp_path / "run.gif").exists() and "cancelled" in window.banner.text.text()


def test_save_dialogs_start_in_the_users_pictures_folder(window):
    folder = window.export_folder()
    assert "main" not in folder.split("/")[-1], "not the source tree"
    from pathlib import Path

    assert Path(folder).is_dir()


def test_export_png_and_a_bad_name(qtbot, window, tmp_path, blank_check):
    window.session.advance(3)
    window.export_to(str(tmp_path / "canvas.png"))
    blank_check(tmp_path / "canvas.png")
    window.export_to(str(tmp_path / "run.avi"))
    assert window.banner.level == "error" and ".gif or .mp4" in window.banner.text.text()


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12 on")
def test_drawing_thousands_of_frames_leaks_no_reference_to_none(qtbot, window):
    """PySide6 6.12.0 on 3.11 dropped a reference to None per void call: a crash in minutes."""
    session = window.session
    session.advance(8)
    for chunk in range(30):  # 3,000 frames, checked every 100 so a leak fails before it kills
        before = sys.getrefcount(None)
        for i in range(100):
            session.player.seek(i % 8)
            session.panel.canvas.viewport().update()
            QtGui.QGuiApplication.processEvents()
        lost = before - sys.getrefcount(None)
        assert lost < 50, f"{lost} references to None lost in 100 frames (chunk {chunk})"


def test_a_panel_can_show_params_it_changed_without_a_restart(qtbot, window):
    import dataclasses

    session = window.session
    session.advance(3)
    session.panel.replace_params(dataclasses.replace(session.panel.params, k=6))
    assert window.binders[0].group.child("k").value() == 6
    assert session.player.position == 2, "showing a value is not a user's change"


def test_controls_that_do_not_apply_are_hidden(make_window):
    window = make_window("optimizers")
    tree = window.binders[0].group
    tree.child("surface").setValue("Rosenbrock")
    assert not tree.child("condition").opts["visible"]      # Rosenbrock: no bowl controls
    assert not tree.child("nesterov_lr").opts["visible"]    # Nesterov is not ticked
    tree.child("surface").setValue("Quadratic bowl")
    tree.child("nesterov").setValue(True)
    assert tree.child("condition").opts["visible"] and tree.child("nesterov_lr").opts["visible"]
    assert not tree.child("formula").opts["visible"]


def test_a_value_typed_out_of_range_is_clamped_and_the_user_told(qtbot, window):
    tree = window.binders[0].group
    tree.child("k").setValue(50)          # as if typed: the control has no silent clamp
    assert tree.child("k").value() == 20 and window.session.panel.params.k == 20
    assert window.banner.isVisible() and window.banner.level == "info"
    assert "k = 50 is outside its range" in window.banner.text.text()
    assert "largest allowed value, 20" in window.banner.text.text()
    tree.child("tol").setValue(-1.0)
    assert window.session.panel.params.tol == 0.0 and "smallest" in window.banner.text.text()


def spin_box(qtbot, window, name):
    """The spin box of parameter `name`, opened for editing as a click on its row does."""
    from pyqtgraph.widgets.SpinBox import SpinBox

    item = next(iter(window.binders[0].group.child(name).items))
    window.activateWindow()   # focus comes with activation, which a loaded machine delays
    item.showEditor()
    assert isinstance(item.widget, SpinBox)
    qtbot.waitUntil(item.widget.hasFocus, timeout=5000)
    return item.widget


def focused(window):
    return QtWidgets.QApplication.focusWidget() or window


def test_after_editing_a_field_the_keys_go_back_to_the_transport(qtbot, window):
    player = window.session.player
    field = spin_box(qtbot, window, "k")
    qtbot.keyClick(field.lineEdit(), QtCore.Qt.Key_A, QtCore.Qt.ControlModifier)
    qtbot.keyClicks(field.lineEdit(), "5")
    qtbot.keyClick(field.lineEdit(), QtCore.Qt.Key_Space)   # while editing: the field's key
    assert not player.playing
    qtbot.keyClick(field.lineEdit(), QtCore.Qt.Key_Return)
    qtbot.waitUntil(lambda: not field.hasFocus())
    assert window.session.panel.params.k == 5
    qtbot.keyClick(focused(window), QtCore.Qt.Key_Right)
    qtbot.waitUntil(lambda: player.position == 0, timeout=5000)
    qtbot.keyClick(focused(window), QtCore.Qt.Key_Space)
    assert player.playing
    player.pause()


def test_escape_puts_the_old_value_back_and_returns_the_keys(qtbot, window):
    field = spin_box(qtbot, window, "k")
    field.lineEdit().selectAll()
    qtbot.keyClicks(field.lineEdit(), "9")
    qtbot.keyClick(field.lineEdit(), QtCore.Qt.Key_Escape)
    assert window.session.panel.params.k == 3 and field.lineEdit().text() == "3"
    assert not field.hasFocus()


def test_a_click_on_play_ends_editing_and_space_pauses(qtbot, window):
    player = window.session.player
    field = spin_box(qtbot, window, "max_iter")
    qtbot.mouseClick(window.transport.play_button, QtCore.Qt.LeftButton)
    assert player.playing and not field.hasFocus()
    qtbot.keyClick(focused(window), QtCore.Qt.Key_Space)
    assert not player.playing


def test_transport_keys_work_with_focus_in_the_sidebar(qtbot, window):
    window.sidebar.tree.setFocus()
    qtbot.keyClick(window.sidebar.tree, QtCore.Qt.Key_Right)
    qtbot.waitUntil(lambda: window.session.player.position == 0, timeout=5000)
    qtbot.keyClick(window.sidebar.tree, QtCore.Qt.Key_Home)
    assert window.session.player.position == -1


def test_a_banner_floats_over_the_canvas_and_moves_nothing(qtbot, window):
    canvas = window.session.panel.canvas
    before = canvas.mapTo(window, QtCore.QPoint(0, 0)), canvas.size()
    window.banner.say("info", "Added a point at (1.50, −2.00); the run starts again with "
                              "301 points. " * 3)
    QtWidgets.QApplication.processEvents()
    assert window.banner.isVisible() and window.banner.height() > 10
    assert (canvas.mapTo(window, QtCore.QPoint(0, 0)), canvas.size()) == before
