"""The dropout / DropConnect panel: the masks drawn are the algorithm's, the rescaling is
written out, the three lanes' curves show, a step is one update, bad input says why."""

import dataclasses

import numpy as np
import pytest
from PySide6 import QtCore

from tests.visualizer.helpers import load
from visualizer import export
from visualizer.panels import network_diagram as nd
from visualizer.panels.dropout import LANE_COLOURS
from visualizer.pixels import count_near, rgb, settle, view_pixels


@pytest.fixture
def window(make_window, asked):
    return make_window("dropout", seed=1)


class Picture:
    """One grab of the canvas, read at view coordinates of any plot."""

    def __init__(self, panel):
        settle(panel)
        self.panel = panel
        self.image = export.grab(panel.canvas).astype(float)
        self.ratio = self.image.shape[1] / panel.canvas.width()

    def where(self, plot, x, y) -> np.ndarray:
        scene = plot.vb.mapViewToScene(QtCore.QPointF(float(x), float(y)))
        p = self.panel.canvas.mapFromScene(scene)
        return np.array([p.x(), p.y()], float) * self.ratio

    def at(self, plot, x, y) -> np.ndarray:
        px, py = self.where(plot, x, y)
        return self.image[int(round(py)), int(round(px))]


def segment_distance(p, a, b) -> np.ndarray:
    """Distances from point p to segments a[i]–b[i] (all in pixels)."""
    d = b - a
    t = np.clip(((p - a) * d).sum(1) / np.maximum((d * d).sum(1), 1e-9), 0, 1)
    return np.hypot(*(a + t[:, None] * d - p).T)


def clear_points(picture, plot, net, visible):
    """For each edge: a point on it (pixels) as far as can be from every other visible edge
    and every unit, and that distance."""
    ends = np.array([picture.where(plot, x, y) for x, y in
                     zip(net.seg_x, net.seg_y, strict=True)])
    a, b = ends[0::2], ends[1::2]
    units = np.array([picture.where(plot, x, y) for x, y in net.units])
    best = []
    for e in range(len(a)):
        others = visible.copy()
        others[e] = False
        found = (None, 0.0)
        for t in np.linspace(0.2, 0.8, 13):
            p = a[e] + t * (b[e] - a[e])
            gap = min(segment_distance(p, a[others], b[others]).min(initial=1e9),
                      np.hypot(*(units - p).T).min())
            if gap > found[1]:
                found = (p, gap)
        best.append(found)
    return best


def test_masks_shown_are_the_algorithms_with_the_rescaling_written(qtbot, window):
    session = window.session
    session.advance(7)
    step = session.player.current
    panel = session.panel
    assert step.phase == "batch" and step.updates == 6     # step 1 is the start
    for lane in step.lanes.values():   # one step is one mini-batch update of all three
        assert lane.history.rows.shape[0] == 7 and lane.history["update"][-1] == 6
    picture = Picture(panel)

    # dropout: every dropped hidden unit is grey, every kept one white, as in the mask
    lane = step.lanes["dropout"]
    plot, net = panel.net_plots["dropout"], panel.diagrams["dropout"].net
    grey, white = rgb(nd.GREYED), rgb("#ffffff")
    for layer, mask in enumerate(lane.unit_masks, 1):
        if mask is None:
            continue
        for k, kept in enumerate(np.asarray(mask, bool)):
            colour = picture.at(plot, *net.units[net.unit(layer, k)])
            expect = white if kept else grey
            assert np.abs(colour - expect).max() < 25, (layer, k, kept, colour)
    kept_units = sum(int(np.sum(m)) for m in lane.unit_masks if m is not None)
    dropped_units = sum(int(np.sum(~np.asarray(m, bool))) for m in lane.unit_masks
                        if m is not None)
    assert dropped_units > 0 and kept_units > 0
    scale = step.keep_scale
    assert scale == pytest.approx(1 / (1 - panel.params.rate))
    texts = [t.toPlainText() for t in panel.diagrams["dropout"].texts if t.isVisible()]
    assert texts.count("×1.43") == kept_units          # p = 0.3: kept units ×1/0.7
    first = step.caption.splitlines()[0]
    assert f"dropout dropped {dropped_units} of 16 hidden units" in first
    assert "×1.43 while training" in first and "nothing dropped or scaled at test" in first
    note = panel.diagrams["dropout"].note.item.toPlainText()
    assert "kept units ×1.43" in note and "at test: all kept, ×1" in note

    # DropConnect: the connections drawn are exactly the kept weights of the mask …
    lane = step.lanes["DropConnect"]
    diagram = panel.diagrams["DropConnect"]
    net = diagram.net
    dropped = np.zeros(len(net.seg_x) // 2, bool)
    for layer, mask in enumerate(lane.weight_masks, 1):
        if mask is not None:
            dropped[net.edges_into(layer)] = ~np.asarray(mask, bool).ravel()
    assert dropped.any()
    def pairs(xs, ys):
        r = np.round(np.column_stack([xs, ys]), 6)
        return {(tuple(r[i]), tuple(r[i + 1])) for i in range(0, len(r), 2)}

    drawn = set()
    for item in diagram.edges.values():
        if item.isVisible() and item.xData is not None:
            drawn |= pairs(item.xData, item.yData)
    kept = np.repeat(~dropped, 2)
    assert drawn == pairs(net.seg_x[kept], net.seg_y[kept])
    visible_edges = ~dropped
    # … and in the picture a dropped connection leaves background where it would run
    plot = panel.net_plots["DropConnect"]
    weights = nd.flat(lane.weights)
    checked = {True: 0, False: 0}
    for e, (p, gap) in enumerate(clear_points(picture, plot, net, visible_edges)):
        if p is None or gap < 6:
            continue
        if not dropped[e] and abs(weights[e]) < nd.BINS[0]:
            continue   # the thinnest lines are too faint to tell from the background
        colour = picture.image[int(round(p[1])), int(round(p[0]))]
        is_white = np.abs(colour - 255).max() < 12
        assert is_white == bool(dropped[e]), (e, dropped[e], colour)
        checked[bool(dropped[e])] += 1
    assert checked[True] >= 3 and checked[False] >= 3, checked

    # the three lanes' curves, in their colours, in each of the three plots
    for what, plot in panel.loss_plots.items():
        pixels = view_pixels(panel, plot)
        for name, c in LANE_COLOURS.items():
            assert count_near(pixels, c, 40) > 15, f"{name} missing from {what}"


def test_the_mask_follows_the_ringed_example_and_a_click_adds_a_point(qtbot, window):
    session = window.session
    panel = session.panel
    session.advance(3)
    step = session.player.current
    ring = panel.scene.rings
    assert len(ring.data) == 1
    np.testing.assert_allclose([ring.data[0][0], ring.data[0][1]], panel.data.X[step.example])
    # "regions of" is live: the same step is redrawn with another lane's regions
    panel.apply_params(dataclasses.replace(panel.params, regions_of="DropConnect"), live=True)
    assert session.player.position == 2 and session.player.current is step
    assert panel.scene.regions.key[1] == "DropConnect"
    n = len(panel.data.X)
    scene = panel.main.vb.mapViewToScene(QtCore.QPointF(0.5, 0.5))
    qtbot.mouseClick(panel.canvas.viewport(), QtCore.Qt.RightButton,
                     pos=panel.canvas.mapFromScene(scene))
    assert len(panel.data.X) == n + 1 and panel.data.labels[-1] == 1
    assert session.player.position == -1
    assert "1 added by hand" in window.caption.text()


def test_bad_input_says_why_and_keeps_the_data(qtbot, window, tmp_path):
    panel = window.session.panel
    before = panel.data.X.copy()
    rows = [f"{i},{(i * 7) % 11},only" for i in range(30)]
    path = tmp_path / "one.csv"
    path.write_text("a,b,kind\n" + "\n".join(rows) + "\n")
    assert not load(qtbot, window, path)
    assert window.banner.level == "error"
    assert "at least 2 classes" in window.banner.text.text()
    np.testing.assert_array_equal(panel.data.X, before)
    panel.apply_params(dataclasses.replace(panel.params, hidden="8, many"))
    window.session.player.step_now()
    assert "whole numbers" in window.banner.text.text()
    panel.apply_params(dataclasses.replace(panel.params, hidden=""))   # nothing to drop
    assert window.session.advance(2) == 2
    step = window.session.player.current
    assert step.lanes["dropout"].model.spec.sizes == (2, 2)
    assert step.caption.startswith("No hidden layer: dropout has no unit to drop")
