"""Overfitting in 2-D: regions in the class colours, validation points ringed, the two
accuracy curves and the best depth's star painted; mistakes crossed on training and
validation points only until the last step; a click adds a training point (undoable, kept
as hand-made); a CSV with one class is refused and the data kept."""

import numpy as np
import pytest
from PySide6 import QtCore

from visualizer.panels.overfit_classes import TRAIN, VAL
from visualizer.panels.scene import STRONG
from visualizer.pixels import count_near, pale, view_pixels
from visualizer.style import PALETTE


@pytest.fixture
def window(make_window):
    return make_window("overfit_classes", seed=1)


def click(qtbot, panel, x, y, button=QtCore.Qt.LeftButton):
    scene = panel.main.vb.mapViewToScene(QtCore.QPointF(x, y))
    qtbot.mouseClick(panel.canvas.viewport(), button, pos=panel.canvas.mapFromScene(scene))


def crossed(panel) -> set:
    """Indices of the points under a cross."""
    pos = panel.scene.crosses.getData()
    X = panel.data.X
    return {int(np.argmin(np.hypot(X[:, 0] - x, X[:, 1] - y))) for x, y in zip(*pos,
                                                                                strict=True)}


def test_regions_rings_curves_and_the_star_are_painted(qtbot, window):
    session = window.session
    panel = session.panel
    session.advance(30)
    last = session.player.current
    assert last.phase == "best"
    pixels = view_pixels(panel, panel.main)
    for c in (0, 1):
        assert count_near(pixels, pale(PALETTE[c], STRONG), 8) > 3000, f"region {c} missing"
        assert count_near(pixels, PALETTE[c], 20) > 150, f"class {c} points missing"
    roles = panel.roles()
    assert len(panel.scene.rings.data) == len(roles.val) > 0, "every validation point ringed"
    acc = view_pixels(panel, panel.acc_plot)
    assert count_near(acc, VAL, 25) > 150 and count_near(acc, TRAIN, 25) > 150
    assert len(panel.best.data) == 1 and panel.best.data["x"][0] == last.best_depth
    assert "test" in panel.acc_status.item.textItem.toPlainText()
    # the last step crosses every mistake, test points included
    wrong = np.flatnonzero(last.model.predict(panel.data.X) != panel.data.y)
    assert crossed(panel) == set(wrong.tolist())


def test_before_the_end_no_test_point_is_crossed(qtbot, window):
    session = window.session
    panel = session.panel
    session.advance(2)   # the split, then depth 1: one straight cut
    step = session.player.current
    assert step.depth == 1 and "underfitting" in step.caption
    marked = crossed(panel)
    assert marked and not marked & set(panel.roles().test.tolist())
    assert marked == set(np.flatnonzero(step.wrong).tolist())


def test_a_click_adds_a_training_point_undo_removes_it_and_it_is_kept(qtbot, window):
    session = window.session
    panel = session.panel
    n = len(panel.data.y)
    rings = len(panel.roles().val)
    click(qtbot, panel, 0.0, 8.0)    # class A (the default class to add), far from others
    assert len(panel.data.y) == n + 1 and panel.data.y[-1] == 0
    assert n in panel.roles().train and len(panel.roles().val) == rings
    assert panel.hand_made()["added"][0][:2] == pytest.approx([0.0, 8.0], abs=0.3)
    session.advance(30)
    assert session.player.current.phase == "best"
    window.undo_stack.undo()
    assert len(panel.data.y) == n and panel.hand_made() == {}
    panel.restore_hand_made({"added": [[0.0, 8.0, 1]]})
    assert len(panel.data.y) == n + 1 and panel.data.y[-1] == 1


def test_a_csv_with_one_class_is_refused_and_the_data_kept(qtbot, window, tmp_path,
                                                           monkeypatch):
    import visualizer.main_window as mw

    monkeypatch.setattr(mw, "ask_columns", lambda table, parent: ("a", "b", "label"))
    panel = window.session.panel
    n = len(panel.data.y)
    bad = tmp_path / "one.csv"
    bad.write_text("a,b,label\n" + "\n".join(f"{i},{i % 3},cat" for i in range(12)))
    with qtbot.waitSignal(window.data_loaded, timeout=10_000) as done:
        window.open_data(str(bad))
    assert not done.args[0]
    assert window.banner.level == "error" and "one class" in window.banner.text.text()
    assert len(panel.data.y) == n


def test_box_painting_equals_routing_each_grid_point_down_the_tree():
    from algorithms import labelled, tree
    from visualizer.panels.overfit_classes import box_classifier

    data = labelled.generate(labelled.Data(shape="moons", noise=0.3), seed=2)
    model = tree.fit(data.X, data.y, tree.Params(max_depth=9))
    gx, gy = np.linspace(-12, 11, 97), np.linspace(-7, 9, 61)
    for points in (np.stack(np.meshgrid(gx, gy, indexing="ij"), -1).reshape(-1, 2),
                   data.X):                      # the shading's grid, and scattered points
        labels, confidence = box_classifier(model)(points)
        proba = model.predict_proba(points)
        np.testing.assert_array_equal(labels, model.classes[proba.argmax(1)])
        np.testing.assert_array_equal(confidence, proba.max(1))
    # a grid whose x values sit exactly on the tree's thresholds (x ≤ t goes left)
    t = model.threshold[model.feature == 0][:5]
    edge = np.stack(np.meshgrid(np.unique(np.r_[t, t + 1e-9, -20, 20]), gy, indexing="ij"),
                    -1).reshape(-1, 2)
    assert len(t) >= 2
    labels, _ = box_classifier(model)(edge)
    np.testing.assert_array_equal(labels, model.predict(edge))
