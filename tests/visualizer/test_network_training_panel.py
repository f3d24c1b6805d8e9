"""The network training panel: regions, weight diagram and loss curves on screen, a hidden
unit's map on click, weights followed on click, bad data refused, text at twice the size."""

import numpy as np
import pytest
from PySide6 import QtCore

from algorithms.network.captions import wname
from visualizer.panels import network_diagram as nd
from visualizer.panels.network_base import percent
from visualizer.panels.scene import PALE
from visualizer.pixels import at_data, count_near, pale, view_pixels
from visualizer.style import INK, PALETTE, STYLE


@pytest.fixture
def window(make_window, monkeypatch):
    import visualizer.main_window as mw

    monkeypatch.setattr(mw, "ask_columns", lambda table, parent: ("x", "y", "label"))
    return make_window("network_training", seed=0)


def click_scene(qtbot, panel, scene_point, button=QtCore.Qt.LeftButton):
    where = panel.canvas.mapFromScene(scene_point)
    qtbot.mouseClick(panel.canvas.viewport(), button, pos=where)


def test_regions_weights_of_both_signs_and_loss_curves_show(qtbot, window):
    session = window.session
    session.advance(12)                       # the start and 11 epochs on XOR
    panel, step = session.panel, session.player.current
    assert step.metrics["train accuracy"] > 0.9
    pixels = view_pixels(panel, panel.main)
    for c in (0, 1):
        tints = sum(count_near(pixels, pale(PALETTE[c], s), 4) for s in (PALE, 0.2, 0.3, 0.4))
        assert tints > 2000, f"the region of class {c} is not shaded"
    net = view_pixels(panel, panel.net_plot)
    for colour in (nd.POSITIVE, nd.NEGATIVE):
        assert count_near(net, colour, 40) > 200, f"no weight drawn in {colour}"
    w = np.concatenate([np.ravel(a) for a in step.weights])
    assert (w > 0).any() and (w < 0).any()
    x, y = panel.train_curve.getData()
    assert len(x) == 12 and x[-1] == step.updates, "one point per epoch, at its update"
    assert y[-1] < y[0] / 4, "the train loss falls"
    assert len(panel.test_curve.getData()[0]) == len(x)
    loss = view_pixels(panel, panel.loss_plot)
    assert count_near(loss, INK, 40) > 30, "the train curve is drawn"
    assert count_near(loss, PALETTE[2], 40) > 20, "the test curve is drawn"
    assert "%" in panel.status.item.toPlainText()


def test_a_click_on_a_hidden_unit_maps_what_it_responds_to(qtbot, window):
    session = window.session
    session.advance(8)
    panel, step = session.panel, session.player.current
    X = panel.data.X
    acts = step.model.regions(X)[1][0]          # hidden layer 1 at every point
    k = int(np.argmax(acts.max(0) - acts.min(0)))  # the unit that varies most
    click_scene(qtbot, panel, panel.diagram.scene_point(1, k))
    assert panel.unit == (1, k)
    panel.background.wait()                     # the map is computed off the UI thread
    assert f"unit {k + 1} of hidden layer 1" in panel.main.titleLabel.text
    assert panel.unit_image.isVisible()
    assert "its output a" in panel.status.item.toPlainText()
    a = acts[:, k]
    hi, lo = X[int(np.argmax(a))], X[int(np.argmin(a))]
    assert a.max() > 0.3 and a.min() < -0.3
    # next to the point where the unit is most positive the map is blue, most negative red
    # (the markers themselves are class-coloured, so look just beside them)
    plus, minus = at_data(panel, panel.main, *(hi + 0.35)), at_data(panel, panel.main,
                                                                      *(lo + 0.35))
    assert plus[2] > plus[0] + 40, f"{plus} should be blue"
    assert minus[0] > minus[2] + 40, f"{minus} should be red"
    click_scene(qtbot, panel, panel.diagram.scene_point(1, k))     # again: the regions
    assert panel.unit is None and not panel.unit_image.isVisible()
    assert panel.main.titleLabel.text == panel.region_title


def test_a_click_on_a_weight_makes_the_captions_follow_it(qtbot, window):
    session = window.session
    session.advance(3)
    panel = session.panel
    click_scene(qtbot, panel, panel.diagram.scene_point(2, i=3, j=5, along=0.3))
    assert panel.watch == (2, 3, 5)
    assert session.player.position == -1, "following another weight restarts the run"
    session.advance(2)
    assert wname(2, 3, 5) in window.caption.text()
    net = view_pixels(panel, panel.net_plot)
    assert count_near(net, nd.HIGHLIGHT, 25) > 40, "the followed weight is highlighted"
    window.undo_stack.undo()
    assert panel.watch is None


def _csv(tmp_path, rows) -> str:
    path = tmp_path / "points.csv"
    path.write_text("x,y,label\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return str(path)


def test_bad_data_is_refused_and_the_old_data_kept(qtbot, window, tmp_path):
    panel = window.session.panel
    before = panel.data
    for rows, words in (([(0, 0, "a"), (1, 1, "a"), (2, 0, "a"), (0, 2, "a")], "2 classes"),
                        ([(0, 0, "a"), (1, 1, "b"), (2, 0, "a")], "too few")):
        with qtbot.waitSignal(window.data_loaded, timeout=10_000) as done:
            window.open_data(_csv(tmp_path, rows))
        assert done.args[0] is False
        assert window.banner.level == "error" and words in window.banner.text.text()
        assert panel.data is before
    panel.set_data_params(type(panel.data_params)(dataset="blobs", groups=3, points=60))
    assert len(panel.data.names) == 3 and panel.sizes()[-1] == 3


def test_twice_the_text_keeps_column_names_whole_and_apart(qtbot, window):
    scale = STYLE.scale
    try:
        STYLE.set_scale(2.0)
        window.session.advance(2)
        qtbot.wait(200)
        panel = window.session.panel
        vb = panel.net_plot.vb
        view = vb.sceneBoundingRect()
        boxes = []
        for item in panel.diagram.labels:     # where the renderer puts each: its anchor in
            if item.isVisible():              # the view, then its size in pixels under it
                top = vb.mapViewToScene(item.pos())
                size = item.textItem.boundingRect()
                boxes.append(QtCore.QRectF(top.x() - size.width() / 2, top.y(), size.width(),
                                           size.height()))
        assert len(boxes) == 4
        for box in boxes:
            assert view.contains(box), f"a column name {box} is cut off by {view}"
        for left, right in zip(boxes, boxes[1:], strict=False):
            assert left.right() <= right.left(), "column names overlap"
    finally:
        STYLE.set_scale(scale)


def test_accuracy_is_never_rounded_up_to_a_hundred_percent():
    assert percent(0.9955) in ("99.5 %", "99.6 %")
    assert percent(0.99996) == "99.9 %"
    assert percent(1.0) == "100 %"
    assert percent(0.5) == "50 %"
