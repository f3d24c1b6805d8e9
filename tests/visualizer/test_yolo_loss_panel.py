"""The YOLO loss panel: the grid, the boxes and the current cell read back from the screen; a
real mouse drag of a ground-truth box changes the loss and Ctrl+Z puts it back; a click
draws a box; a picture too small for a grid is refused and the old one kept."""

import cv2
import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from algorithms import yolo_loss as yl
from visualizer.panels.yolo_loss import CELL, GRID, RESPONSIBLE, TERM_COLOURS, TRUTH
from visualizer.pixels import at_data, count_near, rgb, settle, view_pixels


@pytest.fixture
def window(make_window):
    return make_window("yolo_loss")


def widget_pos(panel, x, y):
    scene = panel.main.vb.mapViewToScene(QtCore.QPointF(x, y))
    return QtCore.QPointF(panel.canvas.mapFromScene(scene)).toPoint()


def drag(panel, start, end, moves=6):
    """A real press, moves with the button held, and a release, in picture pixels."""
    from PySide6.QtTest import QTest

    settle(panel)
    viewport = panel.canvas.viewport()
    a, b = widget_pos(panel, *start), widget_pos(panel, *end)
    QTest.mouseMove(viewport, a)
    QTest.mousePress(viewport, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, a)
    for t in np.linspace(0, 1, moves + 1)[1:]:
        QTest.qWait(40)  # pyqtgraph drops mouse moves that come faster than it redraws
        QTest.mouseMove(viewport, a + (b - a) * t)
    QTest.mouseRelease(viewport, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, b)
    QtWidgets.QApplication.processEvents()


def click(qtbot, panel, x, y, button=QtCore.Qt.LeftButton):
    settle(panel)
    qtbot.mouseClick(panel.canvas.viewport(), button, pos=widget_pos(panel, x, y))


def size(panel):
    h, w = panel.picture.image.shape[:2]
    return w, h


def test_grid_boxes_current_cell_and_bars_are_painted(window):
    panel = window.session.panel
    w, h = size(panel)
    s = panel.params.grid
    # a grid line: white between two cells, away from any box
    free = [(r, c) for r in range(s) for c in range(1, s)
            if not any(abs(c / s - t[0]) < t[2] / 2 + 0.02 for t in panel.truths)]
    r, c = free[0]
    y = (r + 0.5) * h / s
    whitest = min(np.abs(at_data(panel, panel.main, c * w / s + dx, y) - rgb(GRID)).max()
                  for dx in np.linspace(-2, 2, 9))
    assert whitest < 25, "a white grid line between cells"
    assert np.abs(at_data(panel, panel.main, (c + 0.5) * w / s, y) - rgb(GRID)).max() > 25, \
        "the picture, not white, inside the cell"
    pixels = view_pixels(panel, panel.main)
    assert count_near(pixels, TRUTH, 40) > 200, "the ground-truth boxes"
    assert count_near(pixels, RESPONSIBLE, 40) > 100, "the responsible predictors"
    # step to the first cell with an object: it is outlined, its predictor marked
    owner = panel.loss.owner
    first = int(np.flatnonzero(owner.ravel() >= 0)[0])
    window.session.advance(first + 2)
    step = window.session.player.current
    assert step.cell == divmod(first, s) and step.owner >= 0
    pixels = view_pixels(panel, panel.main)
    assert count_near(pixels, CELL, 40) > 100, "this step's cell is outlined"
    assert count_near(pixels, RESPONSIBLE, 40) > 50, "its responsible predictor"
    assert f"row {step.cell[0] + 1}, column {step.cell[1] + 1}" in window.caption.text()
    texts = [t for t in panel.cell_texts if t.isVisible()]
    assert len(texts) == first + 1, "each visited cell's loss is written on it"
    window.session.advance(10_000)
    totals = window.session.player.current.totals
    bars = view_pixels(panel, panel.bars_plot)
    painted = np.array([count_near(bars, colour, 25) for colour in TERM_COLOURS])
    large = totals > 0.1 * totals.max()
    assert (painted[large] > 100).all() and large.sum() >= 2, f"the terms' bars: {painted}"
    assert painted[np.argmax(totals)] == painted.max(), "the longest bar is the largest term"


def test_the_steps_agree_with_the_loss_computed_directly(window):
    panel = window.session.panel
    window.session.advance(10_000)
    last = window.session.player.current
    assert last.phase == "done"
    direct = yl.yolo_loss(panel.truths, panel.pred, panel.params.loss())
    np.testing.assert_allclose(last.totals, direct.totals)
    assert f"the loss is {yl.num(direct.total, 4)}" in window.caption.text()


def test_dragging_a_true_box_changes_the_loss_and_undo_restores_it(qtbot, window):
    panel = window.session.panel
    w, h = size(panel)
    before_truths = [list(t) for t in panel.truths]
    before = panel.loss.total
    # a point inside object 1 that no predicted box's handle covers
    cx, cy, bw, bh, _ = panel.truths[0]
    placed = yl.corner_form(yl.to_image(panel.pred.boxes)) * [w, h, w, h]
    owned = placed[panel.loss.owner >= 0].reshape(-1, 4)
    spots = [(cx * w + dx * bw * w, cy * h + dy * bh * h)
             for dx in (-0.35, 0, 0.35) for dy in (-0.35, 0, 0.35)]
    free = [(x, y) for x, y in spots if not any(
        bx - 6 <= x <= bx + bw_ + 6 and by - 6 <= y <= by + bh_ + 6
        for bx, by, bw_, bh_ in owned)]
    assert free, "some part of the box is not under a predicted box"
    x, y = free[0]
    drag(panel, (x, y), (x + 0.08 * w, y + 0.05 * h))
    assert panel.truths[0][0] == pytest.approx(before_truths[0][0] + 0.08, abs=0.02)
    assert panel.loss.total != pytest.approx(before)
    assert panel.hand_made()["truths"][0] == panel.truths[0]
    qtbot.keyClick(window, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier)
    np.testing.assert_allclose(panel.truths, before_truths)
    assert panel.loss.total == pytest.approx(before)


def test_a_click_draws_a_box_and_a_right_click_removes_it(qtbot, window, make_window):
    panel = window.session.panel
    w, h = size(panel)
    n = len(panel.truths)
    # an empty spot: far from every box's centre
    spot = max(((u, v) for u in np.linspace(0.15, 0.85, 8) for v in np.linspace(0.15, 0.85, 8)),
               key=lambda p: min(abs(p[0] - t[0]) + abs(p[1] - t[1]) for t in panel.truths))
    spot_inside = [not (abs(spot[0] - t[0]) <= t[2] / 2 and abs(spot[1] - t[1]) <= t[3] / 2)
                   for t in panel.truths]
    assert all(spot_inside)
    click(qtbot, panel, spot[0] * w, spot[1] * h)
    assert len(panel.truths) == n + 1
    assert panel.truths[-1][:2] == pytest.approx(list(spot), abs=0.01)
    assert f"{n + 1} objects" in window.caption.text()
    state = panel.hand_made()
    click(qtbot, panel, spot[0] * w, spot[1] * h, QtCore.Qt.RightButton)
    assert len(panel.truths) == n
    other = make_window("yolo_loss").session.panel
    other.restore_hand_made(state)
    assert len(other.truths) == n + 1 and other.loss.total > 0


def test_a_picture_too_small_or_unreadable_is_refused_and_the_old_one_kept(qtbot, window,
                                                                            tmp_path):
    panel = window.session.panel
    before = panel.picture
    cv2.imwrite(str(tmp_path / "tiny.png"), np.zeros((4, 4, 3), np.uint8))
    (tmp_path / "junk.png").write_bytes(b"not an image at all\n" * 20)
    for name, words in (("tiny.png", "too small"), ("junk.png", "not an image")):
        with qtbot.waitSignal(window.data_loaded, timeout=10_000) as done:
            window.open_data(str(tmp_path / name))
        assert not done.args[0]
        assert window.banner.level == "error" and words in window.banner.text.text()
        assert panel.picture is before
    cv2.imwrite(str(tmp_path / "fine.png"), np.full((120, 160, 3), 200, np.uint8))
    with qtbot.waitSignal(window.data_loaded, timeout=10_000) as done:
        window.open_data(str(tmp_path / "fine.png"))
    assert done.args[0] and panel.picture.name == "fine.png"
    assert panel.main.vb.viewRange()[0][1] == pytest.approx(160, rel=0.05)
