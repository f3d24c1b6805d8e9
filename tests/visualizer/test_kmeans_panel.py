"""The k-means panel: clicks, manual centres, restarts on parameter change, CSV loading."""

import dataclasses
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore

from tests.visualizer.helpers import load
from visualizer import sources
from visualizer.panels.scene import STRONG
from visualizer.pixels import count_near, pale, view_pixels
from visualizer.style import PALETTE, UNASSIGNED

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def asked(monkeypatch):
    """Answer the column dialog as a user taking the defaults would; record each table."""
    import visualizer.main_window as mw

    tables = []

    def answer(table, parent):
        tables.append(table)
        label = table.text_columns[0] if table.text_columns else None
        return table.numeric_columns[0], table.numeric_columns[1], label

    monkeypatch.setattr(mw, "ask_columns", answer)
    return tables


@pytest.fixture
def window(make_window, asked):
    return make_window("kmeans", seed=3)


def click(qtbot, panel, x, y, button=QtCore.Qt.LeftButton):
    """A real mouse click on the canvas at data coordinates (x, y)."""
    scene = panel.main.vb.mapViewToScene(QtCore.QPointF(x, y))
    where = panel.canvas.mapFromScene(scene)
    qtbot.mouseClick(panel.canvas.viewport(), button, pos=where)


def test_a_click_adds_a_point_and_restarts(qtbot, window):
    panel, player = window.session.panel, window.session.player
    window.session.advance(4)
    before = len(panel.X)
    click(qtbot, panel, 1.5, -2.0)
    assert len(panel.X) == before + 1
    np.testing.assert_allclose(panel.X[-1], [1.5, -2.0], atol=0.1)
    assert player.position == -1 and player.computed == 0
    assert "1 added by hand" in window.caption.text()
    assert "Added a point" in window.banner.text.text()


def test_manual_init_places_centres_where_clicked(qtbot, window):
    panel, player = window.session.panel, window.session.player
    panel.set_params(dataclasses.replace(panel.params, k=2, init="manual"))
    assert "Click to place 2" in window.caption.text()
    n = len(panel.X)
    click(qtbot, panel, -4.0, 3.0)
    assert "1 placed" in window.caption.text()
    click(qtbot, panel, 3.0, -3.0)
    assert len(panel.X) == n, "in manual mode a click places a centre, not a point"
    assert len(panel.targets) == 2
    player.step_now()
    np.testing.assert_allclose(player.current.centers, [[-4, 3], [3, -3]], atol=0.1)
    assert player.current.phase == "init"
    click(qtbot, panel, 3.0, -3.0, QtCore.Qt.RightButton)  # right click removes the nearest
    assert len(panel.manual) == 1


def test_stepping_with_too_few_manual_centres_says_what_to_do(qtbot, window):
    panel = window.session.panel
    panel.set_params(dataclasses.replace(panel.params, init="manual"))
    window.session.player.step_now()
    assert window.banner.isVisible() and "place 3 centres" in window.banner.text.text()


def test_a_parameter_change_restarts_from_step_0(qtbot, window):
    session = window.session
    session.advance(5)
    window.binders[0].group.child("k").setValue(5)
    assert session.panel.params.k == 5
    assert session.player.position == -1
    session.advance(8)
    assert session.player.current.centers.shape == (5, 2)


def test_data_controls_regenerate_the_points(qtbot, window):
    window.binders[1].group.child("points").setValue(1000)
    assert len(window.session.panel.X) == 1000
    assert window.session.player.computed == 0


@pytest.mark.parametrize("points", [300, 20_000])
def test_the_clusters_are_visible_on_screen(qtbot, window, points):
    """Read the painted canvas: every cluster's colour shows as points inside the plot, on
    its own pale region, small clouds as markers and large ones as an image."""
    window.binders[1].group.child("points").setValue(points)
    panel = window.session.panel
    assert panel.scene.cloud.rasterised == (points > 2_000)
    grey_before = count_near(view_pixels(panel, panel.main), UNASSIGNED, 10)
    assert grey_before > 40 * (1 + points / 2000), "before the first step the points are grey"
    window.session.advance(8)
    labels = window.session.player.current.labels
    pixels = view_pixels(panel, panel.main)
    for j in np.unique(labels):
        share = np.mean(labels == j)
        assert count_near(pixels, PALETTE[j], 25) > 40 * share * (1 + points / 2000), \
            f"cluster {j} is not visible"
        assert count_near(pixels, pale(PALETTE[j], STRONG), 6) > 2000, f"region {j} not shaded"
    assert count_near(pixels, UNASSIGNED, 10) < grey_before / 10, "no point is left grey"


def test_good_csv_loads_with_the_chosen_columns(qtbot, window):
    assert load(qtbot, window, DATA / "good_semicolon.csv")
    panel = window.session.panel
    assert len(panel.X) > 5 and panel.X.shape[1] == 2
    assert "good_semicolon.csv" in window.caption.text()
    assert window.banner.level == "info"


def test_the_data_group_names_the_file_shown_and_can_go_back(qtbot, window):
    group = window.panel_controls["kmeans"].data.group
    generator_rows = [c for c in group.children() if c.name() in ("shown file",
                                                                   "use generated data")]
    assert not any(row.opts["visible"] for row in generator_rows)
    assert load(qtbot, window, DATA / "good_semicolon.csv")
    assert group.child("shown file").value() == "good_semicolon.csv"
    assert group.child("shown file").opts["visible"]
    assert not group.child("points").opts["visible"], "generator settings still shown"
    group.child("use generated data").activate()
    panel = window.session.panel
    assert panel.source.params == window.panel_controls["kmeans"].data.value()
    assert group.child("points").opts["visible"]
    assert not group.child("shown file").opts["visible"]


@pytest.mark.parametrize(("name", "expected"), [
    ("empty.csv", "empty"),
    ("binary.csv", "binary"),
    ("one_numeric.csv", "numeric"),
    ("does_not_exist.csv", "no such file"),
])
def test_bad_csv_says_why_and_keeps_the_old_data(qtbot, window, name, expected):
    panel = window.session.panel
    before = panel.X.copy()
    assert not load(qtbot, window, DATA / name)
    assert window.banner.level == "error"
    assert expected in window.banner.text.text().lower()
    assert "kept" in window.banner.text.text()
    np.testing.assert_array_equal(panel.X, before)


def test_nan_rows_are_dropped_and_counted(qtbot, window, tmp_path):
    path = tmp_path / "holes.csv"
    path.write_text("a,b\n1,2\n3,\n5,6\nx,8\n9,10\n")
    assert load(qtbot, window, path)
    assert len(window.session.panel.X) == 3
    assert "2 rows" in window.banner.text.text()


def test_label_column_shows_the_truth_as_marker_shapes(qtbot, window, asked):
    sample = Path(__file__).resolve().parents[2] / "resources" / "sample_clusters.csv"
    assert load(qtbot, window, sample)
    panel = window.session.panel
    assert asked and asked[-1].text_columns[0] == "species"
    assert len(panel.scene.cloud.groups) == 3
    assert len({symbol for _, symbol, _ in panel.scene.cloud.groups}) == 3
    names = [label.text for _, label in panel.legend.items]
    assert {"aurora", "borealis", "caerulea"} <= set(names)


def test_column_dialog_offers_numeric_columns_and_labels(qtbot):
    from visualizer.sources.column_dialog import ColumnDialog
    from visualizer.sources.csv_source import load_table

    table = load_table(DATA / "good_semicolon.csv")
    dialog = ColumnDialog(table)
    qtbot.addWidget(dialog)
    assert [dialog.x.itemText(i) for i in range(dialog.x.count())] == table.numeric_columns
    dialog.y.setCurrentText("depth")
    dialog.label.setCurrentText("(none)")
    assert dialog.columns() == ("length", "depth", None)


def test_a_huge_csv_is_sampled_and_the_window_keeps_responding(qtbot, window, tmp_path,
                                                              monkeypatch):
    rng = np.random.default_rng(0)
    path = tmp_path / "huge.csv"
    np.savetxt(path, rng.normal(size=(400_000, 2)), delimiter=",", header="a,b", comments="")
    # The read itself waits until the UI thread has run a timer: were it read on the UI
    # thread, the timer could not fire and the read would give up.
    ui_ran = threading.Event()
    read_table = sources.read_table

    def read_when_the_ui_answers(file):
        ui_ran.wait(timeout=5)
        return read_table(file)

    monkeypatch.setattr(sources, "read_table", read_when_the_ui_answers)
    QtCore.QTimer.singleShot(0, ui_ran.set)
    assert load(qtbot, window, path)
    assert ui_ran.is_set(), "the event loop kept running while the file was read"
    assert len(window.session.panel.X) == 50_000
    assert "50,000" in window.banner.text.text() and "400,000" in window.banner.text.text()
    # How long the longest pause is, is a speed figure: benchmarks/kmeans_bench.py.


def test_dragging_a_manual_centre_restarts_from_its_new_place(qtbot, window):
    panel, player = window.session.panel, window.session.player
    panel.set_params(dataclasses.replace(panel.params, k=2, init="manual"))
    click(qtbot, panel, -4.0, 3.0)
    click(qtbot, panel, 3.0, -3.0)
    player.step_now()
    target = panel.targets[1]
    target.setPos(QtCore.QPointF(5.0, 5.0))          # where the drag ends
    target.sigPositionChangeFinished.emit(target)
    assert player.position == -1
    player.step_now()
    np.testing.assert_allclose(player.current.centers[1], [5.0, 5.0])


def test_a_csv_with_no_complete_row_is_refused(qtbot, window, tmp_path):
    path = tmp_path / "holes.csv"
    path.write_text("a,b,c\n1,,3\n,5,6\n7,8,\n")
    before = window.session.panel.X.copy()
    assert not load(qtbot, window, path)
    assert "no rows" in window.banner.text.text().lower()
    np.testing.assert_array_equal(window.session.panel.X, before)


def extreme_csv(tmp_path, name):
    """Two clusters of 60 points, moved into a numerically hostile range."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal([0, 0], 1, (60, 2)), rng.normal([7, 7], 1, (60, 2))])
    X = {"times 1e200": X * 1e200, "near the float maximum": X / np.abs(X).max() * 1.7e308,
         "times 1e-300": X * 1e-300, "offset 1e8": X + 1e8,
         "one far outlier": np.vstack([X, [[1e9, -1e9]]]),
         "identical rows": np.full((40, 2), 3.0)}[name]
    path = tmp_path / "extreme.csv"
    path.write_text("a,b\n" + "\n".join(f"{float(u)!r},{float(v)!r}" for u, v in X) + "\n")
    return path


@pytest.mark.parametrize("name", ["times 1e200", "near the float maximum", "times 1e-300",
                                  "offset 1e8", "one far outlier", "identical rows"])
def test_extreme_values_are_clustered_and_drawn(qtbot, window, tmp_path, name):
    assert load(qtbot, window, extreme_csv(tmp_path, name))
    panel, session = window.session.panel, window.session
    assert session.advance(12) >= 3
    assert window.banner.level != "error", window.banner.text.text()
    step = session.player.current
    assert np.isfinite(step.centers).all() and "nan" not in step.caption.lower()
    if name in ("one far outlier", "identical rows"):
        return  # a lone dot, or every point under one star: nothing more to see
    pixels = view_pixels(panel, panel.main)
    for j in np.unique(step.labels):
        assert count_near(pixels, PALETTE[j], 25) > 10, f"cluster {j} is not visible"
    if name in ("times 1e200", "times 1e-300", "offset 1e8"):
        assert "÷" in panel.main.getAxis("bottom").labelText or "−" in \
            panel.main.getAxis("bottom").labelText, "the axes say how the values were moved"
        assert "so they can be drawn" in window.banner.text.text()


def test_points_added_by_hand_can_be_undone_and_redone(qtbot, window):
    panel = window.session.panel
    n = len(panel.X)
    click(qtbot, panel, 1.5, -2.0)
    click(qtbot, panel, -3.0, 4.0)
    assert len(panel.X) == n + 2
    qtbot.keyClick(window, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier)
    assert len(panel.X) == n + 1 and "1 added by hand" in window.caption.text()
    assert window.banner.text.text().startswith("Undone: ")
    np.testing.assert_allclose(panel.X[-1], [1.5, -2.0], atol=0.1)
    qtbot.keyClick(window, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier | QtCore.Qt.ShiftModifier)
    assert len(panel.X) == n + 2
    np.testing.assert_allclose(panel.X[-1], [-3.0, 4.0], atol=0.1)


def test_placed_and_dragged_centres_can_be_undone(qtbot, window):
    panel = window.session.panel
    panel.set_params(dataclasses.replace(panel.params, k=2, init="manual"))
    click(qtbot, panel, -4.0, 3.0)
    click(qtbot, panel, 3.0, -3.0)
    target = panel.targets[1]
    target.setPos(QtCore.QPointF(5.0, 5.0))
    target.sigPositionChangeFinished.emit(target)
    np.testing.assert_allclose(panel.manual[1], [5.0, 5.0])
    window.undo_stack.undo()
    np.testing.assert_allclose(panel.manual[1], [3.0, -3.0], atol=0.1)
    window.undo_stack.undo()
    assert len(panel.manual) == 1 and len(panel.targets) == 1


def test_a_panel_opened_again_has_its_parameters_file_and_points(qtbot, window, asked):
    assert load(qtbot, window, DATA / "good_semicolon.csv")
    window.binders[0].group.child("k").setValue(2)
    click(qtbot, window.session.panel, 4.0, 4.0)
    count = len(window.session.panel.X)
    window.open_panel("optimizers")
    window.open_panel("kmeans")
    panel = window.session.panel
    assert panel.params.k == 2 and window.binders[0].group.child("k").value() == 2
    assert panel.data.origin == "good_semicolon.csv" and len(panel.X) == count
    np.testing.assert_allclose(panel.X[-1], [4.0, 4.0], atol=0.1)
