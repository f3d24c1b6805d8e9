"""The CNN panel: the maps, filters and probability bars are painted from the model of the
step shown; a real drag on the pad draws a digit that goes through digits.to_input into the
net; the dock's action buttons (real clicks) clear the pad and load the bundled weights,
which read a test 7 as a 7; saved weights load back to the same probabilities; a corrupt or
mismatched weights file, a blank drawing and a blank picture say why and keep what was
shown."""

import dataclasses

import cv2
import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from algorithms import cnn, digits
from tests.visualizer.helpers import load
from visualizer.panels import cnn_views as cv
from visualizer.panels.cnn import WINNER
from visualizer.panels.cnn_inputs import BUNDLED
from visualizer.pixels import at_data, rgb, settle, view_pixels


@pytest.fixture(scope="module")
def window(qapp):
    """One window for the module: making the digits and the window is the slow part."""
    from visualizer.main_window import MainWindow

    w = MainWindow("cnn", seed=0)
    w.resize(1280, 800)
    w.show()
    QtCore.QCoreApplication.processEvents()
    yield w
    w.close()
    qapp.processEvents()


@pytest.fixture
def panel(window):
    p = window.session.panel
    p.background.wait()
    return p


def redness(pixels) -> int:
    p = pixels.astype(int)
    return int(((p[..., 0] - p[..., 2]) > 60).sum())


def blueness(pixels) -> int:
    p = pixels.astype(int)
    return int(((p[..., 2] - p[..., 0]) > 60).sum())


def viewport_point(panel, scene_point) -> QtCore.QPoint:
    return panel.canvas.mapFromScene(scene_point)


def pad_point(panel, x, y) -> QtCore.QPoint:
    return viewport_point(panel, panel.pad_plot.vb.mapViewToScene(QtCore.QPointF(x, y)))


def stroke(panel, path, button=QtCore.Qt.LeftButton):
    """Press at the first (x, y) of the pad (digit pixels), move through the others with
    the button held, release."""
    settle(panel)
    viewport = panel.canvas.viewport()
    points = [pad_point(panel, x, y) for x, y in path]
    QTest.mouseMove(viewport, points[0])
    QTest.mousePress(viewport, button, QtCore.Qt.NoModifier, points[0])
    for p in points[1:]:
        QTest.qWait(30)   # pyqtgraph drops mouse moves that come faster than it redraws
        QTest.mouseMove(viewport, p)
    QTest.mouseRelease(viewport, button, QtCore.Qt.NoModifier, points[-1])
    QtWidgets.QApplication.processEvents()
    panel.background.wait()


def press(window, method):
    """A real click on one of the parameter dock's action buttons."""
    panel = window.session.panel
    settle(panel)
    param = window.controls.actions.child(method)
    button = next(iter(param.items)).button      # the tree's one item for the parameter
    window.controls.tree.scrollToItem(next(iter(param.items)))
    assert button.isVisible() and button.text() == dict(panel.actions)[method]
    QTest.mouseClick(button, QtCore.Qt.LeftButton)
    QtWidgets.QApplication.processEvents()
    panel.background.wait()


def click_strip(panel, digit):
    """A real click on the strip's tile of `digit` (0–4 on top, 5–9 below)."""
    settle(panel)
    tile = cv.SIDE + 2
    x, y = (digit % 5 + 0.5) * tile, (digit // 5 + 0.5) * tile
    scene = panel.strip_plot.vb.mapViewToScene(QtCore.QPointF(x, y))
    QTest.mouseClick(panel.canvas.viewport(), QtCore.Qt.LeftButton, QtCore.Qt.NoModifier,
                     viewport_point(panel, scene))
    QtWidgets.QApplication.processEvents()
    panel.background.wait()


def shown_probabilities(panel) -> np.ndarray:
    return np.asarray(panel.bars.opts["width"], float)


def expected(panel) -> np.ndarray:
    return panel.shown_model.proba(panel.probe.image[None])[0]


def test_maps_filters_and_bars_follow_the_step_shown(window, panel):
    session = window.session
    session.advance(12)
    panel.background.wait()
    step = session.player.current
    assert panel.shown_model.theta is not None
    np.testing.assert_allclose(panel.shown_model.theta, step.theta)
    p = shown_probabilities(panel)
    np.testing.assert_allclose(p, expected(panel), atol=1e-5)
    assert p.sum() == pytest.approx(1.0)
    maps = view_pixels(panel, panel.maps_plot)
    filters = view_pixels(panel, panel.filter_plot)
    bars = view_pixels(panel, panel.prob_plot)
    assert redness(maps) > 600, "the ReLU and pooled maps show in red"
    assert redness(filters) > 300 and blueness(filters) > 300, "filters in both signs"
    winner = int(p.argmax())
    assert np.abs(at_data(panel, panel.prob_plot, p[winner] / 2, winner) - rgb(WINNER)).max() < 40
    loser = int(p.argmin())
    second = int(np.argsort(p)[-2])
    assert np.abs(at_data(panel, panel.prob_plot, p[second] / 2, second)
                  - rgb(WINNER)).max() > 60, "only the winner is highlighted"
    assert bars.size and loser != winner
    # the curves hold the run's numbers; progress is written out
    np.testing.assert_allclose(panel.batch_curve.yData, step.losses)
    np.testing.assert_allclose(panel.acc_curve.yData, step.evaluations[:, 3] * 100)
    text = panel.status.item.toPlainText()
    assert f"batch {step.update} of {step.per_epoch}" in text and "test accuracy" in text
    # stepping back shows the earlier model's view of the same probe
    before = p.copy()
    for _ in range(10):
        session.player.back()
    panel.background.wait()
    np.testing.assert_allclose(panel.shown_model.theta, session.player.current.theta)
    assert not np.allclose(shown_probabilities(panel), before)
    np.testing.assert_allclose(shown_probabilities(panel), expected(panel), atol=1e-5)


def test_a_drag_on_the_pad_draws_the_probe(window, panel):
    press(window, "clear_pad")
    old_maps = panel.probed.maps.image.copy()
    stroke(panel, [(10, 5), (17, 5), (17, 9), (15, 15), (13, 23)])   # a 7, roughly
    probe = panel.probe
    assert probe.name == "your drawing" and probe.label is None
    np.testing.assert_array_equal(probe.image, digits.to_input(probe.ink))
    assert probe.ink[cv.PAD * 5 // 28, cv.PAD * 13 // 28] > 200, "ink along the stroke"
    assert not np.array_equal(panel.probed.maps.image, old_maps), "the maps changed"
    p = shown_probabilities(panel)
    assert p.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(p, expected(panel), atol=1e-5)
    # the input tile of the maps is what the net reads: to_input of the drawing
    np.testing.assert_allclose(panel.probed.input, probe.image, atol=1e-6)
    # the pad shows the ink, dark on white, where the stroke went
    assert at_data(panel, panel.pad_plot, 17, 7).max() < 100
    assert at_data(panel, panel.pad_plot, 4, 25).min() > 200
    drawn = probe
    window.undo_stack.undo()
    assert panel.probe is not drawn and panel.probe.name != "your drawing"
    window.undo_stack.redo()
    assert panel.probe is drawn
    assert panel.hand_made()["drawing"] is not None


def test_a_cleared_pad_or_a_blank_drawing_keeps_the_old_probe(window, panel):
    click_strip(panel, 3)
    kept = panel.probe
    assert kept.label == 3
    press(window, "clear_pad")
    assert panel.probe.ink.max() == 0
    np.testing.assert_array_equal(panel.probe.image, kept.image)
    assert "The pad is clear" in window.banner.text.text()
    assert at_data(panel, panel.pad_plot, 14, 14).min() > 240, "the pad is white"
    stroke(panel, [(5, 5), (20, 20)], QtCore.Qt.RightButton)   # erasing a blank pad
    assert "no ink" in window.banner.text.text() and "kept" in window.banner.text.text()
    np.testing.assert_array_equal(panel.probe.image, kept.image)
    assert panel.probe.label == 3


def test_the_bundled_weights_read_a_test_seven(window, panel):
    press(window, "use_bundled")
    session = window.session
    assert panel.start_name == BUNDLED and session.player.position == -1
    np.testing.assert_allclose(panel.preview.theta, cnn.load(cnn.BUNDLED_WEIGHTS).theta)
    click_strip(panel, 7)
    assert panel.probe.label == 7
    p = shown_probabilities(panel)
    assert int(p.argmax()) == 7 and p[7] > 0.9
    assert np.abs(at_data(panel, panel.prob_plot, p[7] / 2, 7) - rgb(WINNER)).max() < 40
    assert "reads 7 ✓" in panel.probe_box.item.toPlainText()
    session.advance(1)
    step = session.player.current
    assert step.caption.startswith(f"Starting from {BUNDLED}.")
    assert step.test_accuracy >= 0.95
    assert panel.hand_made()["weights"] == "bundled"


def test_saved_weights_load_back_to_the_same_probabilities(window, panel, tmp_path):
    session = window.session
    session.advance(3)
    panel.background.wait()
    saved = shown_probabilities(panel).copy()
    theta = session.player.current.theta
    path = tmp_path / "mine.npz"
    panel.save_weights(path)
    assert path.exists() and "mine.npz" in window.banner.text.text()
    press(window, "use_random")
    assert panel.start_theta is None
    assert panel.load_weights(path)
    panel.background.wait()
    assert session.player.position == -1
    np.testing.assert_allclose(panel.preview.theta, theta)
    np.testing.assert_allclose(shown_probabilities(panel), saved, atol=1e-9)


def test_bad_weight_files_say_why_and_keep_the_weights(window, panel, tmp_path):
    before_theta = panel.start_theta
    before = shown_probabilities(panel).copy()
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"this is not a zip file at all")
    assert not panel.load_weights(junk)
    text = window.banner.text.text()
    assert "junk.npz" in text and "kept" in text
    odd = tmp_path / "odd.npz"
    spec = cnn.Spec(filters1=4, size1=7, filters2=6)
    cnn.save(odd, cnn.Model(spec, spec.init(np.random.default_rng(1))))
    assert not panel.load_weights(odd)
    assert "5×5" in window.banner.text.text()
    assert panel.start_theta is before_theta
    panel.background.wait()
    np.testing.assert_allclose(shown_probabilities(panel), before)
    # a fitting file with other filter counts: the parameters adopt its layers
    small = tmp_path / "small.npz"
    spec = cnn.Spec(filters1=4, filters2=6)
    cnn.save(small, cnn.Model(spec, spec.init(np.random.default_rng(2))))
    assert panel.load_weights(small)
    assert (panel.params.filters1, panel.params.filters2) == (4, 6)
    assert window.controls.algorithm.value().filters1 == 4, "the tree shows them"
    window.session.advance(1)
    assert window.session.player.current.spec == spec
    panel.apply_params(dataclasses.replace(panel.params, filters1=8, filters2=16))
    assert panel.start_theta is None, "weights that no longer fit are let go"


def test_a_picture_file_becomes_the_probe(qtbot, window, panel, tmp_path):
    paper = np.full((120, 90, 3), 235, np.uint8)
    cv2.putText(paper, "3", (15, 100), cv2.FONT_HERSHEY_SIMPLEX, 3.5, (20, 20, 20), 9)
    path = tmp_path / "three.png"
    cv2.imwrite(str(path), paper)
    assert load(qtbot, window, path)
    probe = panel.probe
    assert probe.name == "three.png"
    np.testing.assert_array_equal(probe.image, digits.to_input(paper[..., ::-1]))
    assert window.session.player.position >= -1
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((50, 50, 3), 200, np.uint8))
    assert not load(qtbot, window, blank)
    assert "no ink" in window.banner.text.text()
    assert panel.probe is probe


def test_next_digit_the_second_layer_toggle_and_what_is_kept(window, panel):
    click_strip(panel, 2)
    first = panel.probe
    press(window, "next_digit")
    assert panel.probe.index == first.index + 1
    np.testing.assert_array_equal(panel.probe.image, panel.test[0][first.index + 1])
    assert panel.probe_box.item.toPlainText().startswith(f"test digit {first.index + 2} (a ")
    one = panel.probed.filters.image.shape[0]
    assert [label.isVisible() for label in panel.filter_labels] == [True, False]
    position = window.session.player.position
    window.controls.algorithm.group.child("second").setValue(True)   # as the tree does it
    panel.background.wait()
    assert window.session.player.position == position, "a live change: no restart"
    assert panel.probed.filters.image.shape[0] > one + 8 * 6, "eight more lines of tiles"
    assert [label.isVisible() for label in panel.filter_labels] == [True, True]
    window.controls.algorithm.group.child("second").setValue(False)
    # what the user made comes back when the panel is opened again
    state = panel.hand_made()
    assert state["test digit"] == first.index + 1
    panel.restore_hand_made({"test digit": 5})
    assert panel.probe.index == 5
    drawn = np.zeros((cv.SIDE, cv.SIDE), np.float32)
    drawn[6:22, 13:16] = 1.0
    panel.restore_hand_made({"drawing": drawn.tolist()})
    assert panel.probe.name == "your drawing"
    np.testing.assert_array_equal(panel.probe.image, drawn)


def test_sheet_labels_go_above_or_beside_as_the_view_allows():
    tile = np.zeros((30, 30, 3), np.uint8)
    rows = [(f"row {i} · 8 maps 28×28", [[tile] * 8], 4) for i in range(5)]
    tall = cv.sheet(rows, cv.WIDTH, (400, 500, 19, 110))
    wide = cv.sheet(rows, cv.WIDTH, (1200, 260, 19, 110))
    assert not tall.side and tall.labels[0] == ("row 0 · 8 maps 28×28", tall.labels[0][1])
    assert wide.side and wide.labels[0][0] == "row 0\n8 maps 28×28"
    for sheet in (tall, wide):
        black = (sheet.image == 0).all(-1)
        assert black.sum() == 40 * 30 * 30, "every tile drawn once, none cut"
        for (_, y), (_, below) in zip(sheet.labels, sheet.labels[1:], strict=False):
            assert below - y >= 30, "rows do not overlap"
    # beside: the tiles start right of the label column, which stays white
    left = int(np.flatnonzero(black.any(0))[0])
    assert left > 0 and (wide.image[:, :left] == 255).all()
