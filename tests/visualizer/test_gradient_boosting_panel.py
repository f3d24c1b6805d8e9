"""The gradient boosting panel (residuals as sizes, the round's tree, the log-loss curve) and
the confusion matrix every classifier panel shows."""

import numpy as np
import pytest

from visualizer.panels.classify_common import (
    CONFUSION_TINT,
    MISTAKE_CELL,
    confusion,
    confusion_html,
)
from visualizer.panels.gradient_boosting import LARGEST, SMALLEST, residual_sizes
from visualizer.panels.scene import PALE
from visualizer.pixels import count_near, pale, settle, view_pixels
from visualizer.style import PALETTE, colour


@pytest.fixture(scope="module")
def window(qapp):
    """One window for the module: building one costs more than the tests themselves."""
    from visualizer.main_window import MainWindow

    w = MainWindow("gradient_boosting", seed=1)
    w.show()
    yield w
    w.close()
    qapp.processEvents()


def at(window, n):
    """The window's panel after n steps from the start."""
    window.session.player.reset()
    window.session.advance(n)
    return window.session.panel


def matrix_pixels(panel):
    """RGB of the confusion matrix's box, as painted."""
    from visualizer import export

    settle(panel)
    image = export.grab(panel.canvas)
    rect = panel.matrix.item.sceneBoundingRect()
    ratio = image.shape[1] / panel.canvas.width()
    a = panel.canvas.mapFromScene(rect.topLeft())
    b = panel.canvas.mapFromScene(rect.bottomRight())
    return image[int(a.y() * ratio):int(b.y() * ratio), int(a.x() * ratio):int(b.x() * ratio)]


def test_confusion_counts_rows_true_columns_predicted():
    counts = confusion(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2]), 3)
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    text = confusion_html(counts, ["a", "b", "a very long name"], "test")
    assert "test 4/6 right (67%)" in text and "a very …" in text


def test_residual_sizes_grow_with_the_residual_of_the_true_class():
    two = residual_sizes(np.array([[0.9], [-0.1], [0.0]]), np.array([1, 0, 1]))
    assert two[0] > two[1] > two[2] == SMALLEST
    three = residual_sizes(np.array([[0.2, -0.1, -0.1], [-0.5, 1.0, -0.5]]), np.array([0, 1]))
    assert three[1] == LARGEST and three[0] < three[1]


def test_a_round_draws_its_tree_sizes_its_residuals_and_the_loss(qtbot, window):
    session = window.session
    panel = session.panel
    seen = {}
    original = panel.scene.show
    panel.scene.show = lambda labels, **kw: (seen.update(kw), original(labels, **kw))
    try:
        at(window, 3)
    finally:
        del panel.scene.show
    step = session.player.current
    d = panel.data
    # the worst fitted training point is drawn largest; test points keep their size
    sizes = seen["sizes"]
    r = np.abs(step.residuals[:, 0])
    assert sizes[d.train_index[np.argmax(r)]] == sizes.max() > sizes[d.train_index[np.argmin(r)]]
    assert (sizes[d.test] == 1).all()
    # every split of the round's tree is a segment at its threshold
    tree = step.trees[0]
    xs, ys = panel.splits.getData()
    inner = np.flatnonzero(tree.feature >= 0)
    assert len(xs) == 2 * len(inner)
    for j, node in enumerate(inner):
        along = (xs, ys)[tree.feature[node]]
        assert along[2 * j] == along[2 * j + 1] == pytest.approx(tree.threshold[node])
    # each leaf says the score it adds: learning rate × its value
    labels = [lb.textItem.toPlainText() for lb in panel.leaf_labels if lb.isVisible()]
    expected = [f"{round(0.1 * tree.value[i, 0], 2) + 0.0:+.2f}".replace("-", "−")
                for i in tree.leaves]
    assert labels == expected
    x, y = panel.loss_curve.getData()
    assert len(x) == 3 and y[-1] < y[0]


def test_the_confusion_matrix_counts_the_test_points(qtbot, window):
    session = window.session
    panel = at(window, 2)
    settle(panel)
    model, d = session.player.current.model, panel.data
    predicted = model.predict(d.X_test)
    counts = panel.confusion
    assert counts.sum() == len(d.y_test)
    assert np.trace(counts) == int((predicted == d.y_test).sum())
    assert counts[0, 1] == int(((d.y_test == 0) & (predicted == 1)).sum())


def test_view_regions_points_tree_and_matrix_show(qtbot, window):
    panel = at(window, 3)
    pixels = view_pixels(panel, panel.main)
    for c in (0, 1):
        tints = sum(count_near(pixels, pale(PALETTE[c], s), 4) for s in (PALE, 0.2, 0.3, 0.42))
        assert tints > 2000, f"region {c} is not shaded"
        assert count_near(pixels, PALETTE[c], 20) > 80, f"class {c} points missing"
    assert count_near(pixels, colour(3), 25) > 60, "the round's tree is not drawn"
    box = matrix_pixels(panel)
    for c in (0, 1):
        assert count_near(box, pale(PALETTE[c], CONFUSION_TINT), 3) > 40, \
            f"diagonal cell of class {c} missing"
    assert (count_near(box, MISTAKE_CELL, 3) > 40) == bool(panel.confusion[0, 1]
                                                          + panel.confusion[1, 0])
    assert count_near(box, "#000000", 90) > 30, "the counts are not written"


def test_the_matrix_hides_before_the_first_step(qtbot, window):
    window.session.player.reset()
    assert not window.session.panel.matrix.item.isVisible()


def test_a_csv_far_from_zero_is_shifted_to_draw_and_says_so(qtbot, window, tmp_path,
                                                           monkeypatch):
    """(Last: it replaces the module's data.) Coordinates 1e8 away from 0 with a spread of
    a few units are drawn shifted, the axes and the banner say by how much, and it trains."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2)) + 1e8
    rows = [f"{a:.6f},{b:.6f},{'ab'[int(a > 1e8)]}" for a, b in X]
    path = tmp_path / "far.csv"
    path.write_text("u,v,kind\n" + "\n".join(rows) + "\n")
    import visualizer.main_window as mw  # the column dialog, answered as a user would

    monkeypatch.setattr(mw, "ask_columns", lambda table, parent: ("u", "v", "kind"))
    with qtbot.waitSignal(window.data_loaded, timeout=10_000) as done:
        window.open_data(str(path))
    assert done.args[0]
    panel = window.session.panel
    assert np.abs(panel.data.X).max() < 100
    assert "shifted" in window.banner.text.text()
    assert "1e+08" in panel.main.getAxis("bottom").labelText
    window.session.advance(4)
    assert window.session.player.current.accuracy > 0.8
