"""The pruning panel: histogram bars with the cut, the diagram thinning, both accuracy
curves; what is shown is the algorithm's (sparsity = the fraction of exactly-zero weights,
nothing revived by retraining); bad input says why."""

import dataclasses
import re

import numpy as np
import pytest

from visualizer import export
from visualizer.panels.pruning import KEPT, LANE_COLOURS, LANES, REMOVED
from visualizer.pixels import count_near, settle, view_pixels


@pytest.fixture
def window(make_window, asked):
    window = make_window("pruning", seed=1)
    panel = window.session.panel
    # a smaller run than the default, the same story: 4 rounds to 90 %
    panel.set_params(dataclasses.replace(panel.params, pretrain=40, retrain=8, rounds=4,
                                         hidden="12, 12"))
    return window


def segments(items):
    out = set()
    for item in items:
        if item.isVisible() and item.xData is not None:
            r = np.round(np.column_stack([item.xData, item.yData]), 6)
            out |= {(tuple(r[i]), tuple(r[i + 1])) for i in range(0, len(r), 2)}
    return out


def edge_set(net, mask):
    m = np.repeat(mask, 2)
    return segments([type("E", (), {"isVisible": lambda self: True, "xData": net.seg_x[m],
                                     "yData": net.seg_y[m]})()])


def zeros(lane) -> int:
    return sum(int((w == 0).sum()) for w in lane.weights)


def test_histogram_cut_thinning_and_both_curves(qtbot, window):
    session = window.session
    panel = session.panel
    assert session.advance(3) == 3
    step = session.player.current
    assert step.phase == "prune" and step.round == 1
    lane = step.lanes["all at once"]

    # bars: the kept weights in blue, the ones this prune removes in vermilion, cut dashed
    kept_bars, gone_bars = panel.bars["all at once"]
    n_kept = sum(int(k.sum()) for k in lane.keep)
    n_gone = sum(int(n.sum()) for n in lane.newly_pruned)
    assert kept_bars.opts["height"].sum() == n_kept
    assert gone_bars.opts["height"].sum() == n_gone > 0
    cut = lane.cuts[0]
    assert sorted(set(np.round(panel.cuts["all at once"].xData, 9))) == pytest.approx([-cut, cut])
    pixels = view_pixels(panel, panel.hists["all at once"])
    assert count_near(pixels, KEPT, 25) > 100 and count_near(pixels, REMOVED, 25) > 300
    image = export.grab(panel.canvas).astype(float)
    ratio = image.shape[1] / panel.canvas.width()
    plot = panel.hists["all at once"]
    for x in (-cut, cut):   # a dark dashed line runs up the cut
        top = panel.canvas.mapFromScene(_view(plot, x, panel.count_top * 0.9))
        bottom = panel.canvas.mapFromScene(_view(plot, x, panel.count_top * 0.1))
        col = int(round(top.x() * ratio))
        strip = image[int(top.y() * ratio):int(bottom.y() * ratio), col - 1:col + 2]
        assert (strip.max(axis=-1) < 90).any(axis=1).sum() > 20, x
    note = panel.hist_notes["all at once"].item.toPlainText()
    assert f"cut at |w| = {cut:.3g}"[:14] in note and f"{n_gone} cut now" in note
    assert "at 0" not in note          # nothing was pruned before this first cut

    # the diagram: kept connections drawn, the ones cut now pale, the rest gone
    diagram = panel.diagrams["all at once"]
    net = diagram.net
    keep = np.concatenate([k.ravel() for k in lane.keep])
    newly = np.concatenate([n.ravel() for n in lane.newly_pruned])
    assert segments(diagram.edges.values()) == edge_set(net, keep)
    assert segments([diagram.faint]) == edge_set(net, newly)

    # the next step retrains: the cut ones are gone, not pale
    session.player.step_now()
    settle(panel)
    assert session.player.current.phase == "retrain"
    assert not diagram.faint.isVisible()
    assert segments(diagram.edges.values()) == edge_set(net, keep)

    # two rounds on, both accuracy curves show, in their lanes' colours
    assert session.advance(2) == 2
    later = session.player.current.lanes["all at once"]
    note = panel.hist_notes["all at once"].item.toPlainText()
    assert f"{zeros(later)} at 0 not drawn" in note and "cut now" not in note
    pixels = view_pixels(panel, panel.acc_plot)
    for name in LANES:
        assert count_near(pixels, LANE_COLOURS[name], 30) > 60, name


def _view(plot, x, y):
    from PySide6 import QtCore

    return plot.vb.mapViewToScene(QtCore.QPointF(float(x), float(y)))


def test_sparsity_shown_is_the_zero_fraction_and_nothing_is_revived(qtbot, window):
    session = window.session
    panel = session.panel
    drawn = {}
    while session.player.step_now():
        step = session.player.current
        if step.round == 0:
            continue
        for name in LANES:
            lane = step.lanes[name]
            total = sum(w.size for w in lane.weights)
            note = panel.diagrams[name].note.item.toPlainText()
            shown, left = re.match(r"([\d.]+) % pruned: (\d+) of", note).groups()
            assert int(left) == total - zeros(lane)
            assert float(shown) == pytest.approx(100 * zeros(lane) / total, abs=0.05)
            assert step.metrics[f"{name} sparsity"] == zeros(lane) / total
            now = segments(panel.diagrams[name].edges.values())
            if name in drawn:
                assert now <= drawn[name], "a pruned connection came back"
            drawn[name] = now
    assert step.phase == "done" and step.round == 4
    final = {name: step.lanes[name] for name in LANES}
    for lane in final.values():
        assert zeros(lane) == round(0.9 * sum(w.size for w in lane.weights))
    first = step.caption.splitlines()[0]
    assert "Round 4 of 4, after retraining" in first
    assert "iterative: 90.1 % sparse, test accuracy" in first       # 173 of 192 weights
    assert "all at once: 90.1 % sparse, test accuracy" in first


def test_bad_input_says_why_and_keeps_the_data(qtbot, window, tmp_path):
    panel = window.session.panel
    before = panel.data.X.copy()
    path = tmp_path / "three.csv"
    path.write_text("a,b,kind\n1,2,a\n3,1,b\n2,5,a\n")
    with qtbot.waitSignal(window.data_loaded, timeout=10_000) as done:
        window.open_data(str(path))
    assert not done.args[0]
    text = window.banner.text.text()
    assert window.banner.level == "error" and "too few" in text and "kept" in text
    np.testing.assert_array_equal(panel.data.X, before)
    panel.apply_params(dataclasses.replace(panel.params, hidden="0.5"))
    window.session.player.step_now()
    assert "whole numbers" in window.banner.text.text()
