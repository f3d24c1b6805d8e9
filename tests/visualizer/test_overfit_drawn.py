"""The drawn target of the overfitting panels: a real mouse stroke on the fit plot redraws
the true curve over its x range, the points follow it, undo puts it back, the drawing is
kept as hand-made; with another target a drag draws nothing."""

import dataclasses

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from algorithms import polyfit
from tests.visualizer.test_activations_panel import widget_pos
from visualizer.panels.overfit_common import TRUTH
from visualizer.pixels import count_near, settle, view_pixels


@pytest.fixture
def window(make_window):
    window = make_window("overfit_degree", seed=2)
    panel = window.session.panel
    panel.set_data_params(dataclasses.replace(panel.data_params, target="drawn"))
    return window


def stroke(panel, path):
    """Press at the first (x, y), move through the others with the button held, release."""
    settle(panel)
    viewport = panel.canvas.viewport()
    points = [widget_pos(panel, panel.click_plot, x, y).toPoint() for x, y in path]
    QTest.mouseMove(viewport, points[0])
    QTest.mousePress(viewport, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, points[0])
    for p in points[1:]:
        QTest.qWait(40)   # pyqtgraph drops mouse moves that come faster than it redraws
        QTest.mouseMove(viewport, p)
    QTest.mouseRelease(viewport, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, points[-1])
    QtWidgets.QApplication.processEvents()


PATH = [(x, 1.2) for x in np.linspace(0.3, 0.7, 9)]


def test_a_stroke_redraws_the_curve_the_points_follow_and_undo_restores(qtbot, window):
    session = window.session
    panel = session.panel
    assert panel.problem.name == "drawn curve" and panel.drawing()
    assert "drag on it to draw the true curve" in panel.intro()
    before = panel.problem
    session.advance(3)
    stroke(panel, PATH)
    after = panel.problem
    assert session.player.position == -1, "a new curve starts the run again"
    g = after.grid
    # unchanged beyond the nearest nodes the stroke kept (x = 0.2 and 0.8 of DRAWN)
    inside, outside = (g > 0.33) & (g < 0.67), (g < 0.2) | (g > 0.8)
    np.testing.assert_allclose(after.truth[inside], 1.2, atol=0.05)
    np.testing.assert_allclose(after.truth[outside], before.truth[outside], atol=1e-12)
    # the same x and noise: each point moved by exactly what its curve moved
    np.testing.assert_array_equal(after.x, before.x)
    old, new = polyfit.drawn(polyfit.DRAWN), polyfit.drawn(panel.drawn)
    np.testing.assert_allclose(after.y - before.y, new(after.x) - old(after.x), atol=1e-12)
    # the redrawn true curve is painted (dashed grey) along the stroke
    pixels = view_pixels(panel, panel.click_plot)
    (x0, x1), (y0, y1) = panel.click_plot.vb.viewRange()
    h, w = pixels.shape[:2]
    row = round((y1 - 1.2) / (y1 - y0) * (h - 1))
    cols = slice(round((0.35 - x0) / (x1 - x0) * w), round((0.65 - x0) / (x1 - x0) * w))
    assert count_near(pixels[row - 3:row + 4, cols], TRUTH, 30) > 40
    state = panel.hand_made()
    assert state["drawn"] == [list(p) for p in panel.drawn]
    window.undo_stack.undo()
    np.testing.assert_allclose(panel.problem.truth, before.truth)
    np.testing.assert_allclose(panel.problem.y, before.y)
    assert panel.hand_made() == {}
    panel.restore_hand_made({**state, "added": [[0.5, -2.0]]})
    np.testing.assert_allclose(panel.problem.truth, after.truth)
    assert len(panel.problem.x) == len(before.x) + 1 and panel.problem.y[-1] == -2.0


def test_a_click_still_adds_a_point_that_a_new_stroke_keeps(qtbot, window):
    panel = window.session.panel
    n = len(panel.problem.x)
    where = panel.canvas.mapFromScene(
        panel.click_plot.vb.mapViewToScene(QtCore.QPointF(0.1, -1.5)))
    qtbot.mouseClick(panel.canvas.viewport(), QtCore.Qt.LeftButton, pos=where)
    assert len(panel.problem.x) == n + 1
    stroke(panel, PATH)
    assert len(panel.problem.x) == n + 1
    assert panel.problem.y[-1] == pytest.approx(-1.5, abs=0.1)


def test_with_another_target_a_drag_draws_nothing(qtbot, window):
    panel = window.session.panel
    panel.set_data_params(dataclasses.replace(panel.data_params, target="sine"))
    truth = panel.problem.truth.copy()
    stroke(panel, PATH)
    np.testing.assert_array_equal(panel.problem.truth, truth)
    assert panel.drawn == polyfit.DRAWN and not panel.drawing()
