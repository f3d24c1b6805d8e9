"""The comparison grid: every classifier built and shaded, clicks into the shared data,
a CSV, bad labels refused; and the stepping that moves all classifiers together, the
neural network among them."""

import dataclasses

import numpy as np
import pytest
from PySide6 import QtCore

from algorithms import labelled, logistic, svm
from tests.visualizer.helpers import load
from visualizer.panels import compare_run
from visualizer.panels.scene import PALE, STRONG
from visualizer.pixels import count_near, pale, view_pixels
from visualizer.style import PALETTE


@pytest.fixture(scope="module")
def window(qapp):
    """One window for the module (building it is the slow part), on 160 moons points."""
    import visualizer.main_window as mw

    def answer(table, parent):   # the column dialog: the first two numbers, the text label
        label = table.text_columns[0] if table.text_columns else None
        return table.numeric_columns[0], table.numeric_columns[1], label

    original = mw.ask_columns
    mw.ask_columns = answer
    window = mw.MainWindow("compare", seed=0)
    window.resize(1280, 800)
    window.show()
    qapp.processEvents()
    window.binders[1].group.child("points").setValue(160)
    yield window
    mw.ask_columns = original
    window.session.close()
    window.close()
    qapp.processEvents()


def click(qtbot, panel, plot, x, y, button=QtCore.Qt.LeftButton):
    scene = plot.vb.mapViewToScene(QtCore.QPointF(x, y))
    where = panel.canvas.mapFromScene(scene)
    qtbot.mouseClick(panel.canvas.viewport(), button, pos=where)


def region_pixels(pixels, c) -> int:
    return sum(count_near(pixels, pale(PALETTE[c], s), 4) for s in np.linspace(PALE, STRONG, 6))


def test_every_classifier_has_its_plot_with_regions_in_two_colours(qtbot, window):
    panel = window.session.panel
    titles = [p.titleLabel.text for p in panel.cells]
    for (_, name, _), title in zip(compare_run.CLASSIFIERS, titles, strict=True):
        assert name.split()[0] in title
    window.session.advance(25)
    step = window.session.player.current
    assert len(step.cells) == len(compare_run.CLASSIFIERS) == 9
    assert all(c.model is not None for c in step.cells)
    for plot, cell in zip(panel.cells, step.cells, strict=True):
        pixels = view_pixels(panel, plot)
        shaded = [region_pixels(pixels, c) for c in (0, 1)]
        assert min(shaded) > 300, f"{cell.key}: regions in one colour only ({shaded})"
        assert count_near(pixels, PALETTE[0], 20) > 30, f"{cell.key}: points missing"
    best = step.best[0]
    assert panel.cells[best].vb.border.widthF() > panel.cells[step.cells.index(
        min(step.cells, key=lambda c: c.test))].vb.border.widthF(), "the best is framed"
    assert "★" in panel.boxes[best].item.textItem.toPlainText()


def test_the_network_cell_reports_its_own_models_accuracy(qtbot, window):
    """A few steps on: the network's title says its layers and rule,
    its box shows the accuracy its model gets on the test points, and that accuracy is what
    the model predicts (not the training loop's own bookkeeping)."""
    panel = window.session.panel
    window.session.advance(3)
    slot = [key for key, _, _ in compare_run.CLASSIFIERS].index("network")
    title = panel.cells[slot].titleLabel.text
    assert "Neural network" in title and "16, 16" in title and "Adam" in title
    cell = window.session.player.current.cells[slot]
    d = panel.data
    predicted = cell.model.predict(d.X_test)
    assert cell.test == np.mean(predicted == d.y_test)
    assert cell.train == np.mean(cell.model.predict(d.X_train) == d.y_train)
    text = panel.boxes[slot].item.textItem.toPlainText()
    assert f"test {100 * cell.test:.3g}%" in text and cell.progress in text
    assert len(set(cell.model.predict(d.X).tolist())) == 2, "both classes predicted"
    window.binders[0].group.child("net_hidden").setValue("8, 4")   # the Params dock
    window.session.advance(2)
    assert "8, 4 tanh" in panel.cells[slot].titleLabel.text
    assert window.session.player.current.cells[slot].model.spec.sizes == (2, 8, 4, 2)
    window.binders[0].group.child("net_hidden").setValue("16, 16")


def test_a_click_in_any_plot_adds_a_point_to_every_plot_and_undo_removes_it(qtbot, window):
    panel = window.session.panel
    panel.set_params(dataclasses.replace(panel.params, add_class=2))
    n = len(panel.data.y)
    click(qtbot, panel, panel.cells[5], 2.0, 6.0)     # the forest's plot
    assert len(panel.data.y) == n + 1
    assert panel.data.y[-1] == 1 and panel.data.train[-1]
    np.testing.assert_allclose(panel.data.X[-1], [2.0, 6.0], atol=0.3)
    assert all(len(s.cloud.X) == n + 1 for s in panel.scene.scenes)
    window.session.advance(2)
    step = window.session.player.current
    assert all(c.predicted is None or len(c.predicted) == n + 1 for c in step.cells)
    window.undo_stack.undo()
    assert len(panel.data.y) == n and panel.hand_made() == {}
    assert all(len(s.cloud.X) == n for s in panel.scene.scenes)
    target = panel.data.X[7].copy()
    click(qtbot, panel, panel.cells[2], *target, button=QtCore.Qt.RightButton)
    assert len(panel.data.y) == n - 1
    assert not (np.abs(panel.data.X - target).max(axis=1) < 1e-12).any()
    window.undo_stack.undo()
    np.testing.assert_array_equal(panel.data.X[7], target)


def test_a_csv_with_a_label_column_loads_and_one_class_is_refused(qtbot, window, tmp_path):
    rng = np.random.default_rng(0)
    rows = [f"{x:.3f},{y:.3f},{'cat' if x + y > 0 else 'dog'}"
            for x, y in rng.normal(size=(60, 2))]
    path = tmp_path / "pets.csv"
    path.write_text("a,b,kind\n" + "\n".join(rows) + "\n")
    assert load(qtbot, window, path)
    panel = window.session.panel
    assert panel.data.names == ("cat", "dog") and len(panel.data.y) == 60
    window.session.advance(3)
    step = window.session.player.current
    assert all(0.0 <= c.test <= 1.0 for c in step.cells)

    before = panel.data.X.copy()
    bad = tmp_path / "one.csv"
    bad.write_text("a,b,kind\n" + "\n".join(f"{i},{(i * 7) % 11},only"
                                            for i in range(30)) + "\n")
    assert not load(qtbot, window, bad)
    assert window.banner.level == "error"
    text = window.banner.text.text()
    assert "one class" in text and "kept" in text
    np.testing.assert_array_equal(panel.data.X, before)


def test_little_room_keeps_one_number_per_box_and_titles_within_their_share(window):
    """The window offers the canvas its room (keep_room) as it is resized: with room for
    plots of about 100 px, each box keeps the number that ranks them, each title wraps within
    its plot's share; given room again, both come back."""
    from visualizer.panels.compare import COLUMNS

    panel = window.session.panel
    window.session.advance(2)
    room = panel._room
    panel.keep_room(460)
    texts = [b.item.textItem.toPlainText() for b in panel.boxes]
    assert all("\n" not in t and "%" in t for t in texts), texts
    assert all(p.titleLabel.itemRect().width() <= 460 / COLUMNS for p in panel.plots_)
    panel.keep_room(room)
    assert all("\n" in b.item.textItem.toPlainText() for b in panel.boxes)
    assert "Neural network" in panel.cells[8].titleLabel.text


# --- the stepping, without a window --------------------------------------------------------
def test_all_step_together_and_a_finished_one_stays():
    data = labelled.generate(labelled.Data(shape="xor", points=80), seed=1)
    params = compare_run.Params(updates=40, trees=5, rounds=8, max_depth=3)
    steps = list(compare_run.run(data, params, np.random.default_rng(0)))
    assert steps[-1].phase == "done" and all(c.done for c in steps[-1].cells)
    own = [len(list(logistic.run(data, logistic.Params(l2=0.01, updates=40)))),
           len(list(svm.run(data, svm.Params(kernel="rbf", steps=40)))),
           1 + 40]   # the network: its random start, then one state per update
    assert len(steps) == max(own), "as long as the longest classifier's own run"
    assert all(any(c.changed for c in s.cells) for s in steps)
    forest = [s.cells[5] for s in steps]
    assert [c.progress for c in forest[:6]] == [f"tree {t} of 5" for t in range(1, 6)] + \
        ["tree 5 of 5"]
    assert forest[4].done and not forest[5].changed and forest[5].model is forest[4].model
    knn = steps[0].cells[0]
    assert knn.done and steps[1].cells[0].model is knn.model
    network = [s.cells[8] for s in steps]
    assert [c.progress for c in network[:3]] == ["random weights", "update 1", "update 2"]
    assert network[40].progress == "stopped after 40 updates" and network[40].done
    last = steps[-1]
    tests = [c.test for c in last.cells]
    assert set(last.best) == {i for i, t in enumerate(tests) if t == max(tests)}
    for c in last.cells:   # the accuracy shown is the model's own on the test points
        assert c.test == np.mean(c.model.predict(data.X_test) == data.y_test)


def test_a_classifier_that_cannot_run_says_why_and_the_others_go_on():
    data = labelled.generate(labelled.Data(points=20), seed=0)
    steps = list(compare_run.run(data, compare_run.Params(k=50, updates=5, trees=2,
                                                          rounds=2)))
    knn = steps[-1].cells[0]
    assert knn.model is None and "cannot run" in knn.progress and "k = 50" in knn.caption
    assert all(c.model is not None for c in steps[-1].cells[1:])


def test_the_network_learns_moons_and_bends_where_logistic_regression_cannot():
    data = labelled.generate(labelled.Data(shape="moons", points=160), seed=0)
    params = compare_run.Params(updates=120, trees=5, rounds=10)   # the network's run: 120
    steps = list(compare_run.run(data, params, np.random.default_rng(0)))
    first, last = steps[0].cells, steps[-1].cells
    network, logistic_ = last[8], last[1]
    assert network.key == "network" and first[8].train < 0.9, "random weights to start"
    assert network.test >= 0.9 and network.train >= 0.98
    assert network.train > logistic_.train, "a curved boundary where a line cannot follow"
    for s in steps[1:4]:
        line = next(line for line in s.caption.splitlines() if line.startswith("network"))
        assert "Adam" in line and "→" in line and "nan" not in line


def test_network_settings_reach_the_title_and_a_bad_layer_text_is_refused_in_its_cell():
    p = compare_run.Params(net_hidden="8", net_activation="ReLU", updates=5, trees=2,
                           rounds=2)
    assert compare_run.titles(p)[8] == "Neural network, 8 ReLU · Adam"
    assert compare_run.titles(p, short=True)[8] == "Net 8"
    data = labelled.generate(labelled.Data(points=40), seed=0)
    net = list(compare_run.run(data, p))[1].cells[8]
    assert net.model.spec.sizes == (2, 8, 2) and net.progress == "update 1"
    bad = dataclasses.replace(p, net_hidden="16, lots")
    steps = list(compare_run.run(data, bad))
    cell = steps[-1].cells[8]
    assert cell.model is None and cell.progress == "cannot run"
    assert "whole numbers" in cell.caption
    assert all(c.model is not None for c in steps[-1].cells[:8]), "the others go on"
