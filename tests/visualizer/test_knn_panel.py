"""The KNN panel: query clicks, added points and undo, CSV labels, bad input, pixels."""

import dataclasses

import numpy as np
import pytest
from PySide6 import QtCore

from tests.visualizer.helpers import load
from visualizer.panels.scene import STRONG
from visualizer.pixels import count_near, pale, view_pixels
from visualizer.style import PALETTE


@pytest.fixture
def window(make_window, asked):
    return make_window("knn", seed=1)


def click(qtbot, panel, x, y, button=QtCore.Qt.LeftButton):
    scene = panel.main.vb.mapViewToScene(QtCore.QPointF(x, y))
    where = panel.canvas.mapFromScene(scene)
    qtbot.mouseClick(panel.canvas.viewport(), button, pos=where)


def set_param(panel, **changes):
    panel.set_params(dataclasses.replace(panel.params, **changes))


def test_regions_in_two_colours_and_the_points_show(qtbot, window):
    session = window.session
    session.advance(8)
    assert session.player.current.phase == "result"
    panel = session.panel
    pixels = view_pixels(panel, panel.main)
    for c in (0, 1):
        assert count_near(pixels, pale(PALETTE[c], STRONG), 6) > 3000, f"region {c} missing"
        assert count_near(pixels, PALETTE[c], 20) > 150, f"class {c} points missing"
    assert len(panel.scene.rings.data) == panel.params.k, "every neighbour is ringed"


def test_a_click_moves_the_query_and_undo_puts_it_back(qtbot, window):
    session = window.session
    panel = session.panel
    session.advance(3)
    click(qtbot, panel, 1.0, -2.0)
    assert session.player.position == -1, "a new query starts the run again"
    session.advance(1)
    np.testing.assert_allclose(session.player.current.query, [1.0, -2.0], atol=0.15)
    assert "query point" in window.caption.text()
    window.undo_stack.undo()
    assert panel.query is None
    session.advance(1)
    assert "Test point" in window.caption.text()


def test_a_click_adds_a_point_of_the_chosen_class_and_undo_removes_it(qtbot, window):
    panel = window.session.panel
    set_param(panel, click="add a point", add_class=2)
    n = len(panel.data.y)
    click(qtbot, panel, -3.0, 5.0)
    assert len(panel.data.y) == n + 1
    assert panel.data.y[-1] == 1 and panel.data.train[-1]
    np.testing.assert_allclose(panel.data.X[-1], [-3.0, 5.0], atol=0.15)
    assert panel.hand_made()["added"][0][2] == 1
    window.undo_stack.undo()
    assert len(panel.data.y) == n and panel.hand_made() == {}
    window.undo_stack.redo()
    assert len(panel.data.y) == n + 1


def test_a_right_click_deletes_the_nearest_point(qtbot, window):
    panel = window.session.panel
    n = len(panel.data.y)
    target = panel.data.X[7].copy()
    click(qtbot, panel, *target, button=QtCore.Qt.RightButton)
    assert len(panel.data.y) == n - 1
    assert not (np.abs(panel.data.X - target).max(axis=1) < 1e-12).any()
    window.undo_stack.undo()
    np.testing.assert_array_equal(panel.data.X[7], target)


def test_a_csv_with_a_label_column_loads(qtbot, window, tmp_path):
    rng = np.random.default_rng(0)
    rows = [f"{x:.3f},{y:.3f},{'cat' if x > 0 else 'dog'}" for x, y in rng.normal(size=(40, 2))]
    path = tmp_path / "pets.csv"
    path.write_text("a,b,kind\n" + "\n".join(rows) + "\n")
    assert load(qtbot, window, path)
    panel = window.session.panel
    assert panel.data.names == ("cat", "dog") and len(panel.data.y) == 40
    window.session.advance(8)
    assert window.session.player.current.phase == "result"


@pytest.mark.parametrize(("labels", "expected"), [
    (lambda i: "only", "one class"),
    (lambda i: f"c{i}", "50 classes"),
])
def test_bad_labels_say_why_and_keep_the_data(qtbot, window, tmp_path, labels, expected):
    panel = window.session.panel
    before = panel.data.X.copy()
    rows = [f"{i},{(i * 7) % 11},{labels(i)}" for i in range(50)]
    path = tmp_path / "bad.csv"
    path.write_text("a,b,kind\n" + "\n".join(rows) + "\n")
    assert not load(qtbot, window, path)
    assert window.banner.level == "error"
    text = window.banner.text.text()
    assert expected in text and "kept" in text
    np.testing.assert_array_equal(panel.data.X, before)


def test_nan_features_are_left_out_and_counted(qtbot, window, tmp_path):
    rows = [f"{i},{i % 5},{'ab'[i % 2]}" for i in range(20)] + ["nan,1,a", "2,,b"]
    path = tmp_path / "holes.csv"
    path.write_text("a,b,kind\n" + "\n".join(rows) + "\n")
    assert load(qtbot, window, path)
    assert len(window.session.panel.data.y) == 20
    assert "2 rows" in window.banner.text.text()


def test_k_larger_than_the_training_set_says_so(qtbot, window):
    window.binders[1].group.child("points").setValue(20)
    panel = window.session.panel
    n = len(panel.data.y)
    window.binders[0].group.child("k").setValue(50)
    window.session.player.step_now()
    assert window.banner.isVisible()
    assert "k = 50" in window.banner.text.text()
    assert len(panel.data.y) == n


def test_regions_are_computed_once_per_setting_not_per_query(qtbot, window):
    panel = window.session.panel
    window.session.advance(3)
    first = panel.scene.regions.key
    panel._place((0.5, 0.5))          # a new query: a new run, the same regions
    window.session.advance(3)
    assert panel.scene.regions.key == first
    set_param(panel, k=3)
    window.session.advance(3)
    assert panel.scene.regions.key != first
