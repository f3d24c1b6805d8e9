"""The pooling panel: the stepped output and the whole pooled map equal numpy's block
max / mean, the window and the written cell are drawn, a window bigger than the patch is
refused, a click moves the patch. One window for the whole file (each build costs time)."""

import numpy as np
import pytest
from PySide6 import QtCore

from algorithms.base import num
from visualizer.panels.convolution import CURSOR
from visualizer.panels.pooling import EMPTY, WINNER
from visualizer.pixels import at_data, count_near, view_pixels


def blocks(x: np.ndarray, f: int, reduce) -> np.ndarray:
    """F×F non-overlapping blocks (F = S), cells past the last whole block left out."""
    h, w = (x.shape[0] // f) * f, (x.shape[1] // f) * f
    return reduce(x[:h, :w].reshape(h // f, f, w // f, f), axis=(1, 3))


@pytest.fixture(scope="module")
def window(qapp):
    from visualizer.main_window import MainWindow

    window = MainWindow("pooling")
    window.resize(1280, 800)
    window.show()
    QtCore.QCoreApplication.processEvents()
    yield window
    window.close()


def control(window, group, name):
    return window.binders[group].group.child(name)


def test_a_hand_worked_patch_pools_as_by_hand():
    from algorithms import pooling

    x = np.array([[1, 3, 2, 0], [4, 2, 1, 5], [0, 1, 7, 2], [6, 1, 3, 3]], float)
    steps = list(pooling.run(x, pooling.Params("max", 2, 2)))
    np.testing.assert_array_equal(steps[-1].so_far(), [[4, 5], [6, 7]])
    steps = list(pooling.run(x, pooling.Params("average", 2, 2)))
    np.testing.assert_array_equal(steps[-1].so_far(), [[2.5, 2], [2, 3.75]])


def test_the_window_and_the_written_cell_are_drawn(window):
    panel = window.session.panel
    blank = view_pixels(panel, panel.out_plot)
    assert count_near(blank, CURSOR, 40) == 0, "no cell marked before the first step"
    window.session.advance(3)            # start, then the windows (0, 0) and (0, 1)
    step = window.session.player.current
    assert step.position == (0, 1)
    patch = view_pixels(panel, panel.patch_plot)
    assert count_near(patch, CURSOR, 40) > 60, "the orange window on the patch"
    assert count_near(patch, WINNER, 40) > 100, "the winning cell filled"
    out = view_pixels(panel, panel.out_plot)
    assert count_near(out, CURSOR, 40) > 60, "the orange box round the written cell"
    # the first cell is written in the grey of its value; the unwritten last one is blank
    top = float(panel.patch().max())
    first = at_data(panel, panel.out_plot, 0.15, 0.15)
    expected = 255 * step.output[0, 0] / top
    assert abs(first.mean() - expected) < 25
    last = at_data(panel, panel.out_plot, 3.5, 3.5)
    assert np.abs(last - EMPTY).max() < 8, "a cell not written yet is pale, not grey"
    assert panel.written.isVisible() and panel.written.toPlainText() == num(step.value, 3)
    assert step.value == step.patch.max()
    assert "⌊(8 − 2)/2⌋ + 1 = 4" in panel.formula_box.item.toPlainText()


def test_the_stepped_output_equals_numpy_block_max(window):
    panel = window.session.panel
    window.session.advance(10_000)
    last = window.session.player.current
    assert last.phase == "done"
    np.testing.assert_array_equal(last.so_far(), blocks(panel.patch(), 2, np.max))
    np.testing.assert_array_equal(panel.picture.pooled,
                                  blocks(panel.picture.feature, 2, np.max))


def test_average_pooling_by_rows_equals_numpy_block_mean(window):
    panel = window.session.panel
    control(window, 0, "kind").setValue("average")
    control(window, 0, "granularity").setValue("row")
    assert window.session.advance(10_000) == 1 + 4 + 1   # start, four rows, done
    np.testing.assert_allclose(window.session.player.current.so_far(),
                               blocks(panel.patch(), 2, np.mean))
    np.testing.assert_allclose(panel.picture.pooled, blocks(panel.picture.feature, 2, np.mean))


def test_a_window_larger_than_the_patch_is_refused(window):
    panel = window.session.panel
    control(window, 0, "patch").setValue(4)
    control(window, 0, "size").setValue(6)
    assert window.banner.level == "error" and "does not fit" in window.banner.text.text()
    assert panel.params.size == 2 and control(window, 0, "size").value() == 2


def test_a_click_moves_the_patch_and_undo_brings_it_back(qtbot, window):
    panel = window.session.panel
    before = panel.centre
    scene = panel.map_plot.vb.mapViewToScene(QtCore.QPointF(100, 120))
    qtbot.mouseClick(panel.canvas.viewport(), QtCore.Qt.LeftButton,
                     pos=panel.canvas.mapFromScene(scene))
    assert np.allclose(panel.centre, (120, 100), atol=2)
    qtbot.keyClick(window, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier)
    assert panel.centre == before


def test_a_session_puts_the_moved_patch_back(qtbot, window, tmp_path):
    from visualizer.main_window import MainWindow

    panel = window.session.panel
    scene = panel.map_plot.vb.mapViewToScene(QtCore.QPointF(300, 200))
    qtbot.mouseClick(panel.canvas.viewport(), QtCore.Qt.LeftButton,
                     pos=panel.canvas.mapFromScene(scene))
    window.session.advance(3)
    window.save_session(str(tmp_path / "pooling.json"))
    other = MainWindow("separable")
    qtbot.addWidget(other)
    assert other.open_session(str(tmp_path / "pooling.json"))
    again = other.session.panel
    assert again.id == "pooling" and again.centre == panel.centre
    assert other.session.player.position == 2
    np.testing.assert_array_equal(again.patch(), panel.patch())


def test_live_frames_are_pooled_and_a_step_freezes_one(qtbot, window):
    panel = window.session.panel
    control(window, 0, "kind").setValue("max")
    control(window, 1, "live").setValue(True)
    qtbot.waitUntil(lambda: len(panel.live.shown_at) >= 2, timeout=15_000)
    assert "frame" in panel.picture.name
    np.testing.assert_array_equal(panel.picture.pooled, blocks(panel.picture.feature, 2, np.max))
    window.session.player.step_now()
    assert not panel.live.running and not panel.data_params.live
    assert "pooling" in window.banner.text.text()
