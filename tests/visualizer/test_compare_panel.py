"""The comparison grid: every classifier built and shaded, clicks into the shared data,
a CSV, bad labels refused; and the stepping that moves all classifiers together."""

import dataclasses

import numpy as np
import pytest
from PySide6 import QtCore

from algorithms import labelled, logistic, svm
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


def load(qtbot, window, path) -> bool:
    with qtbot.waitSignal(window.data_loaded, timeout=10_000) as done:
        window.open_data(str(path))
    return done.args[0]


def region_pixels(pixels, c) -> int:
    return sum(count_near(pixels, pale(PALETTE[c], s), 4) for s in np.linspace(PALE, STRONG, 6))


def test_every_classifier_has_its_plot_with_regions_in_two_colours(qtbot, window):
    panel = window.session.panel
    titles = [p.titleLabel.text for p in panel.cells]
    for (_, name, _), title in zip(compare_run.CLASSIFIERS, titles, strict=True):
        assert name.split()[0] in title
    window.session.advance(25)
    step = window.session.player.current
    assert len(step.cells) == 8 and all(c.model is not None for c in step.cells)
    for plot, cell in zip(panel.cells, step.cells, strict=True):
        pixels = view_pixels(panel, plot)
        shaded = [region_pixels(pixels, c) for c in (0, 1)]
        assert min(shaded) > 300, f"{cell.key}: regions in one colour only ({shaded})"
        assert count_near(pixels, PALETTE[0], 20) > 30, f"{cell.key}: points missing"
    best = step.best[0]
    assert panel.cells[best].vb.border.widthF() > panel.cells[step.cells.index(
        min(step.cells, key=lambda c: c.test))].vb.border.widthF(), "the best is framed"
    assert "★" in panel.boxes[best].item.textItem.toPlainText()


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


# --- the stepping, without a window --------------------------------------------------------
def test_all_step_together_and_a_finished_one_stays():
    data = labelled.generate(labelled.Data(shape="xor", points=80), seed=1)
    params = compare_run.Params(updates=40, trees=5, rounds=8, max_depth=3)
    steps = list(compare_run.run(data, params, np.random.default_rng(0)))
    assert steps[-1].phase == "done" and all(c.done for c in steps[-1].cells)
    own = [len(list(logistic.run(data, logistic.Params(l2=0.01, updates=40)))),
           len(list(svm.run(data, svm.Params(kernel="rbf", steps=40))))]
    assert len(steps) == max(own), "as long as the longest classifier's own run"
    assert all(any(c.changed for c in s.cells) for s in steps)
    forest = [s.cells[5] for s in steps]
    assert [c.progress for c in forest[:6]] == [f"tree {t} of 5" for t in range(1, 6)] + \
        ["tree 5 of 5"]
    assert forest[4].done and not forest[5].changed and forest[5].model is forest[4].model
    knn = steps[0].cells[0]
    assert knn.done and steps[1].cells[0].model is knn.model
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
