"""The decision tree panel: the split drawn where the tree put it, gains, diagram, pixels."""

import dataclasses

import numpy as np
import pytest
from PySide6 import QtCore

from visualizer.panels.scene import STRONG
from visualizer.pixels import count_near, pale, view_pixels
from visualizer.style import PALETTE


@pytest.fixture
def window(make_window):
    return make_window("tree", seed=2)


def click(qtbot, panel, x, y, button=QtCore.Qt.LeftButton):
    scene = panel.main.vb.mapViewToScene(QtCore.QPointF(x, y))
    where = panel.canvas.mapFromScene(scene)
    qtbot.mouseClick(panel.canvas.viewport(), button, pos=where)


def test_a_split_shows_its_line_gains_and_diagram(qtbot, window):
    session = window.session
    session.advance(3)
    panel, step = session.panel, session.player.current
    assert step.phase == "split"
    xs, ys = panel.cut.getData()
    along = xs if step.feature == 0 else ys
    np.testing.assert_allclose(along, [step.threshold] * 2)
    gx, gy = panel.gain_curve.getData()
    assert len(gx) > 5 and gy.max() == pytest.approx(step.gain)
    assert panel.best.value() == pytest.approx(step.threshold)
    assert len(panel.nodes.data) == step.tree.n_nodes == 5
    shown = [label.toPlainText() for label in panel.labels if label.isVisible()]
    assert step.tree.rule(0) in shown


def test_regions_in_two_colours_and_the_points_show(qtbot, window):
    session = window.session
    session.advance(6)
    panel = session.panel
    pixels = view_pixels(panel, panel.main)
    for c in (0, 1):
        assert count_near(pixels, pale(PALETTE[c], STRONG), 8) > 2000, f"region {c} missing"
        assert count_near(pixels, PALETTE[c], 20) > 100, f"class {c} points missing"


def test_depth_one_stops_after_one_split(qtbot, window):
    panel = window.session.panel
    panel.set_params(dataclasses.replace(panel.params, max_depth=1))
    window.session.advance(10)
    assert window.session.player.finished
    assert window.session.player.current.tree.n_nodes == 3


def test_a_click_adds_a_point_and_undo_removes_it(qtbot, window):
    panel = window.session.panel
    panel.set_params(dataclasses.replace(panel.params, add_class=2))
    n = len(panel.data.y)
    click(qtbot, panel, -5.0, 6.0)
    assert len(panel.data.y) == n + 1 and panel.data.y[-1] == 1
    window.undo_stack.undo()
    assert len(panel.data.y) == n
