"""The SVM panel: margin lines where the model puts them, support vectors ringed, pixels."""

import dataclasses

import numpy as np
import pytest
from PySide6 import QtCore

from visualizer.panels.scene import PALE
from visualizer.pixels import at_data, count_near, pale, settle, view_pixels
from visualizer.style import PALETTE


@pytest.fixture
def window(make_window):
    return make_window("svm", seed=2)


def click(qtbot, panel, x, y, button=QtCore.Qt.LeftButton):
    scene = panel.main.vb.mapViewToScene(QtCore.QPointF(x, y))
    where = panel.canvas.mapFromScene(scene)
    qtbot.mouseClick(panel.canvas.viewport(), button, pos=where)


def use_linear_data(window):
    window.binders[1].group.child("shape").setValue("linear")


def test_margin_lines_support_vectors_and_regions_show(qtbot, window):
    use_linear_data(window)
    session = window.session
    session.advance(25)
    panel, step = session.panel, session.player.current
    (w, b), = step.model.lines()
    for line, level in zip(panel.lines, (0, 1, -1), strict=True):
        assert line.isVisible()
        pos = line.pos()
        assert abs(w @ [pos.x(), pos.y()] + b - level) < 1e-9
    support = np.unique(np.concatenate([mc.support for mc in step.model.machines]))
    assert len(panel.scene.rings.data) == len(support) > 0
    assert len(panel.pair.data) == 2, "the pair just optimised is marked"
    pixels = view_pixels(panel, panel.main)
    for c in (0, 1):
        tints = sum(count_near(pixels, pale(PALETTE[c], s), 4) for s in (PALE, 0.2, 0.3, 0.4))
        assert tints > 2000, f"region {c} is not shaded"
        assert count_near(pixels, PALETTE[c], 20) > 100, f"class {c} points missing"


def test_an_rbf_kernel_hides_the_straight_lines(qtbot, window):
    panel = window.session.panel
    panel.set_params(dataclasses.replace(panel.params, kernel="rbf"))
    window.session.advance(5)
    assert not any(line.isVisible() for line in panel.lines)
    assert len(panel.scene.rings.data) > 0


def test_an_rbf_kernel_draws_its_margin_as_level_curves(qtbot, window):
    panel = window.session.panel
    panel.set_params(dataclasses.replace(panel.params, kernel="rbf"))
    window.session.advance(40)
    settle(panel)
    model = window.session.player.current.model
    for curve, level in zip(panel.curves, (0.0, 1.0, -1.0), strict=True):
        x, y = curve.getData()
        ok = np.isfinite(x)
        assert ok.sum() > 20, f"no f = {level} curve"
        f = model.decision_function(np.column_stack([x[ok], y[ok]]))
        assert np.abs(f - level).max() < 0.1, f"the f = {level} curve is off its level"
    # the boundary is drawn: ink under most of its vertices inside the view
    x, y = panel.curves[0].getData()
    (x0, x1), (y0, y1) = panel.main.vb.viewRange()
    inside = np.flatnonzero(np.isfinite(x) & (x > x0) & (x < x1) & (y > y0) & (y < y1))
    picked = inside[np.linspace(0, len(inside) - 1, 12).astype(int)]
    dark = [at_data(panel, panel.main, x[i], y[i]).max() < 120 for i in picked]
    assert np.mean(dark) >= 0.6, "the boundary curve is not visible"
    panel.set_params(dataclasses.replace(panel.params, kernel="linear"))
    window.session.advance(3)
    assert all(curve.getData()[0] is None or len(curve.getData()[0]) == 0
               for curve in panel.curves)
    assert panel.lines[0].isVisible()


def test_the_confusion_matrix_counts_the_steps_predictions_on_test_points(qtbot, window):
    window.session.advance(12)
    panel, step = window.session.panel, window.session.player.current
    d = panel.data
    counts = panel.confusion
    assert counts.sum() == len(d.y_test)
    right = int((step.predicted[d.test] == d.y_test).sum())
    assert np.trace(counts) == right and panel.matrix.item.isVisible()
    assert f"test {right}/{len(d.y_test)} right" in panel.matrix.item.textItem.toHtml()


def test_the_objective_curves_grow_per_step(qtbot, window):
    window.session.advance(6)
    x, _ = window.session.panel.primal.getData()
    assert len(x) == 6


def test_a_click_adds_a_point_and_undo_removes_it(qtbot, window):
    panel = window.session.panel
    panel.set_params(dataclasses.replace(panel.params, add_class=2))
    n = len(panel.data.y)
    click(qtbot, panel, 0.0, 0.0)
    assert len(panel.data.y) == n + 1 and panel.data.y[-1] == 1
    window.undo_stack.undo()
    assert len(panel.data.y) == n
