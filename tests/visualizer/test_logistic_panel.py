"""The logistic regression panel: regions and boundary on screen, softmax, clicks."""

import dataclasses

import pytest
from PySide6 import QtCore

from visualizer.panels.scene import PALE
from visualizer.pixels import count_near, pale, view_pixels
from visualizer.style import INK, PALETTE


@pytest.fixture
def window(make_window):
    return make_window("logistic", seed=2)


def click(qtbot, panel, x, y, button=QtCore.Qt.LeftButton):
    scene = panel.main.vb.mapViewToScene(QtCore.QPointF(x, y))
    where = panel.canvas.mapFromScene(scene)
    qtbot.mouseClick(panel.canvas.viewport(), button, pos=where)


def test_regions_boundary_and_points_show(qtbot, window):
    session = window.session
    session.advance(30)
    panel = session.panel
    step = session.player.current
    assert step.iteration == 29
    pixels = view_pixels(panel, panel.main)
    for c in (0, 1):
        tints = sum(count_near(pixels, pale(PALETTE[c], s), 4) for s in (PALE, 0.2, 0.3, 0.4))
        assert tints > 2000, f"region {c} is not shaded"
        assert count_near(pixels, PALETTE[c], 20) > 150, f"class {c} points missing"
    assert panel.boundary.isVisible()
    # the drawn line is where the model's score is zero
    W, b = step.model.in_data_units()
    pos = panel.boundary.pos()
    assert abs(W[0] @ [pos.x(), pos.y()] + b[0]) < 1e-9
    assert count_near(pixels, INK, 40) > 300, "the boundary line is drawn"


def test_the_cost_curve_grows_with_every_update(qtbot, window):
    window.session.advance(12)
    x, y = window.session.panel.curve.getData()
    assert len(x) == 12 and y[-1] < y[0]


def test_softmax_on_three_blobs_shades_three_colours(qtbot, window):
    data = window.binders[1].group
    data.child("shape").setValue("blobs")
    data.child("classes").setValue(3)
    panel = window.session.panel
    window.session.advance(40)
    assert not window.session.player.current.model.binary
    assert not panel.boundary.isVisible()
    pixels = view_pixels(panel, panel.main)
    for c in range(3):
        tints = sum(count_near(pixels, pale(PALETTE[c], s), 4) for s in (PALE, 0.2, 0.3, 0.4))
        assert tints > 1000, f"class {c}'s region is not shaded"


def test_a_click_adds_a_point_and_undo_removes_it(qtbot, window):
    panel = window.session.panel
    panel.set_params(dataclasses.replace(panel.params, add_class=1))
    n = len(panel.data.y)
    window.session.advance(3)
    click(qtbot, panel, 0.5, 6.0)
    assert len(panel.data.y) == n + 1 and panel.data.y[-1] == 0
    assert window.session.player.position == -1
    window.undo_stack.undo()
    assert len(panel.data.y) == n


def test_a_class_the_data_does_not_have_is_refused(qtbot, window):
    panel = window.session.panel
    panel.set_params(dataclasses.replace(panel.params, add_class=4))
    n = len(panel.data.y)
    click(qtbot, panel, 0.5, 6.0)
    assert len(panel.data.y) == n
    assert window.banner.level == "error" and "2 classes" in window.banner.text.text()
