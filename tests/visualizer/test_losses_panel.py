"""The losses panel: curves and lines painted, the outlier dragged with the mouse (undoable)
swings the L2 line more than the L1 one, the cross-entropy readout, a bad CSV refused."""

import numpy as np
import pytest

from tests.visualizer.test_activations_panel import drag
from visualizer.panels import loss_views as views
from visualizer.panels.losses import HUE
from visualizer.pixels import count_near, view_pixels
from visualizer.style import colour


@pytest.fixture
def columns(monkeypatch):
    import visualizer.main_window as mw

    monkeypatch.setattr(mw, "ask_columns", lambda table, parent: ("x", "y", None))


@pytest.fixture
def window(make_window, columns):
    return make_window("losses", seed=1)


def test_loss_curves_and_three_lines_are_painted(qtbot, window):
    panel = window.session.panel
    window.session.advance(5)
    curves, lines = view_pixels(panel, panel.res_plot), view_pixels(panel, panel.fit_plot)
    for name in ("L1", "L2", "Huber"):
        assert count_near(curves, colour(HUE[name]), 25) > 150, name
        assert count_near(lines, colour(HUE[name]), 25) > 100, name
    assert count_near(view_pixels(panel, panel.ce_plot), colour(4), 25) > 150


def fitted(window, updates=250):
    window.session.advance(updates)
    return {n: f.point.copy() for n, f in window.session.player.current.fits.items()}


def test_dragging_the_outlier_swings_l2_not_l1_and_undoes(qtbot, window):
    panel = window.session.panel
    before = fitted(window)
    start = panel.outlier
    drag(panel, panel.fit_plot, start, (start[0], panel.data.box[2] + 0.3))
    assert panel.outlier[1] < start[1] - 1.0, "the outlier moved down"
    assert window.session.player.position == -1, "a new outlier restarts the run"
    after = fitted(window)
    swing = {n: abs(after[n][0] - before[n][0]) for n in after}
    assert swing["L2"] > 3 * swing["L1"], swing
    x = np.append(panel.data.x, panel.outlier[0])
    y = np.append(panel.data.y, panel.outlier[1])
    best = np.linalg.lstsq(np.c_[x, np.ones_like(x)], y, rcond=None)[0]
    np.testing.assert_allclose(after["L2"], best, atol=0.02)
    window.undo_stack.undo()
    assert panel.outlier == pytest.approx(start)


def test_cross_entropy_follows_the_dragged_probability(qtbot, window):
    panel = window.session.panel
    drag(panel, panel.ce_plot, (panel.params.p_true, 3.0), (0.1, 3.0))
    p = panel.params.p_true
    assert p == pytest.approx(0.1, abs=0.05)
    text = panel.ce_status.item.textItem.toPlainText()
    assert f"= {-np.log(p):.3g}" in text and "y = (0, 1, 0, 0)" in text
    assert panel.ce_dot.data["y"][0] == pytest.approx(-np.log(p))


def test_a_constant_x_csv_is_refused_and_the_data_kept(qtbot, window, tmp_path):
    panel = window.session.panel
    n = len(panel.data.x)
    bad = tmp_path / "flat.csv"
    bad.write_text("x,y\n" + "\n".join(f"2,{v}" for v in range(6)))
    with qtbot.waitSignal(window.data_loaded, timeout=10_000) as done:
        window.open_data(str(bad))
    assert not done.args[0]
    assert window.banner.level == "error" and "no slope" in window.banner.text.text()
    assert "kept" in window.banner.text.text() and len(panel.data.x) == n


def near_curve(pixels, plot, xs, ys, hue, reach=3):
    """How many of the points (xs, ys) have a pixel of `hue` within `reach` pixels."""
    (x0, x1), (y0, y1) = plot.vb.viewRange()
    h, w = pixels.shape[:2]
    hits = 0
    for x, y in zip(xs, ys, strict=True):
        c, r = round((x - x0) / (x1 - x0) * (w - 1)), round((y1 - y) / (y1 - y0) * (h - 1))
        patch = pixels[max(r - reach, 0):r + reach + 1, max(c - reach, 0):c + reach + 1]
        hits += count_near(patch, hue, 30) > 0
    return hits


def test_hinge_and_its_gradient_are_drawn_against_the_margin(qtbot, window):
    panel = window.session.panel
    plot = panel.margin.plot
    pixels = view_pixels(panel, plot)
    hue = colour(views.HINGE)
    m = np.linspace(-2.8, 2.8, 29)
    # the hinge max(0, 1 − m): falling with slope −1 up to the margin, flat at 0 beyond it
    assert near_curve(pixels, plot, m, np.maximum(0, 1 - m), hue) >= 27
    # nothing of the hinge colour where the hinge is not (one above the curve)
    assert near_curve(pixels, plot, m[m < 0.5], 2 - m[m < 0.5], hue) <= 1
    # its gradient, dashed: −1 inside the margin (dashes leave gaps), 0 beyond it
    inside = m[m < 0.8]
    assert near_curve(pixels, plot, inside, -np.ones_like(inside), hue, reach=5) >= 0.6 * len(
        inside)
    assert count_near(pixels, colour(views.LOGISTIC), 25) > 100, "the logistic curve beside it"


def test_dragging_the_margin_reads_the_hinge_there(qtbot, window):
    panel = window.session.panel
    drag(panel, panel.margin.plot, (panel.params.margin, 5.0), (-1.5, 5.0))
    m = panel.params.margin
    assert m == pytest.approx(-1.5, abs=0.2)
    text = panel.margin.status.item.textItem.toPlainText()
    assert "wrong side" in text and f"hinge {1 - m:.3g}, slope −1" in text, text
    assert panel.margin.dot.data["y"][0] == pytest.approx(1 - m)
    drag(panel, panel.margin.plot, (m, 5.0), (2.0, 5.0))
    text = panel.margin.status.item.textItem.toPlainText()
    assert "beyond the margin" in text and "hinge 0, slope 0" in text, text
