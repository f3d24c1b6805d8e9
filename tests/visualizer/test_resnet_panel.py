"""The ResNet panel: both nets' gradient profiles and losses drawn in their colours and equal to
the algorithm's, both decision regions shaded, the block diagram follows the shortcut, a
click on the residual plot adds a point, bad input says why and keeps the data."""

import dataclasses

import numpy as np
import pytest
from PySide6 import QtCore

from visualizer.panels.resnet import NET_COLOURS, drawn_profile, log_values
from visualizer.pixels import count_near, pale, view_pixels
from visualizer.style import colour


@pytest.fixture
def window(make_window, asked):
    w = make_window("resnet", seed=0)
    panel = w.session.panel
    # a smaller run keeps the file fast; 20 layers still show the effect
    panel.apply_params(dataclasses.replace(panel.params, depth=20, updates=50))
    return w


def near(pixels, x, y, c, radius=3, tolerance=40) -> bool:
    patch = pixels[max(y - radius, 0):y + radius + 1, max(x - radius, 0):x + radius + 1]
    return count_near(patch, c, tolerance) > 0


def test_profiles_losses_and_regions_are_drawn_as_computed(qtbot, window):
    session = window.session
    panel = session.panel
    session.advance(6)
    step = session.player.current
    assert step.update == 5 and step.depth == 20

    # the curves hold the algorithm's numbers: every plain layer, residual block outputs
    for name in ("plain", "residual"):
        for when, values in (("now", getattr(step, f"{name}_signal")),
                             ("init", getattr(step, f"{name}_init_signal"))):
            item = panel.grads[name, when]
            x, y = drawn_profile(name, values)
            np.testing.assert_array_equal(item.xData, x)
            np.testing.assert_allclose(item.yData, y)
            np.testing.assert_allclose(10 ** item.yData, np.asarray(values)[x - 1], rtol=1e-12)
    assert len(panel.grads["plain", "now"].xData) == 20
    np.testing.assert_array_equal(panel.grads["residual", "now"].xData, np.arange(2, 21, 2))
    np.testing.assert_allclose(panel.losses["residual"].yData, log_values(step.residual_losses))
    # the story the picture tells: the plain gradient fades towards the input
    assert step.plain_signal[0] < step.plain_signal[-1] / 100
    assert step.residual_signal[0] > 100 * step.plain_signal[0]

    # in the picture: both curves in their colours, and each curve's first point where drawn
    pixels = view_pixels(panel, panel.grad_plot)
    for name, c in NET_COLOURS.items():
        assert count_near(pixels, c, 40) > 40, name
    vb = panel.grad_plot.vb
    ratio = pixels.shape[1] / vb.width()
    origin = panel.canvas.mapFromScene(vb.sceneBoundingRect().topLeft())
    for name in ("plain", "residual"):
        x, y = drawn_profile(name, getattr(step, f"{name}_signal"))
        p = panel.canvas.mapFromScene(vb.mapViewToScene(QtCore.QPointF(x[0], y[0])))
        px, py = int((p.x() - origin.x()) * ratio) - 2, int((p.y() - origin.y()) * ratio) - 2
        assert near(pixels, px, py, NET_COLOURS[name]), name
    losses = view_pixels(panel, panel.loss_plot)
    for name, c in NET_COLOURS.items():
        assert count_near(losses, c, 40) > 15, name

    # both decision regions shaded, in both class tints, with the points on them
    for name in ("plain", "residual"):
        assert panel.scenes[name].regions.key == (panel.runs, name, step.index)
    pixels = view_pixels(panel, panel.region_plots["residual"])
    for k in (0, 1):
        tinted = sum(count_near(pixels, pale(colour(k), s), 12) for s in (0.1, 0.2, 0.3, 0.42))
        assert tinted > 500, k
        assert count_near(pixels, colour(k), 30) > 50, k
    text = panel.accuracy["residual"].item.toPlainText()
    assert text.startswith("Residual") and "accuracy" in text
    first = step.caption.splitlines()[0]
    assert first.startswith("Update 5: loss plain") and "gradient reaching layer 1" in first
    assert "nan" not in step.caption.lower() and "-0" not in step.caption


def test_block_diagram_follows_the_shortcut_and_a_click_adds_a_point(qtbot, window):
    session = window.session
    panel = session.panel
    assert "x·P" in panel.block.labels["skip"].toPlainText()
    panel.apply_params(dataclasses.replace(panel.params, shortcut="zero-padded",
                                           activation="ReLU"))
    session.advance(2)
    assert "0-padded" in panel.block.labels["skip"].toPlainText()
    assert "ReLU" in panel.block.labels["first"].toPlainText()
    pixels = view_pixels(panel, panel.block_plot)
    assert count_near(pixels, NET_COLOURS["residual"], 40) > 40   # the shortcut line
    n = len(panel.data.X)
    plot = panel.region_plots["residual"]
    scene = plot.vb.mapViewToScene(QtCore.QPointF(0.5, 0.5))
    qtbot.mouseClick(panel.canvas.viewport(), QtCore.Qt.RightButton,
                     pos=panel.canvas.mapFromScene(scene))
    assert len(panel.data.X) == n + 1 and panel.data.labels[-1] == 1
    np.testing.assert_allclose(panel.data.X[-1], [0.5, 0.5], atol=0.2)
    assert session.player.position == -1
    assert "1 added by hand" in window.caption.text()


def test_bad_input_says_why_and_keeps_the_data(qtbot, window, tmp_path):
    panel = window.session.panel
    before = panel.data.X.copy()
    rows = [f"{i},{(i * 7) % 11},only" for i in range(30)]
    path = tmp_path / "one.csv"
    path.write_text("a,b,kind\n" + "\n".join(rows) + "\n")
    with qtbot.waitSignal(window.data_loaded, timeout=10_000) as done:
        window.open_data(str(path))
    assert not done.args[0]
    assert window.banner.level == "error"
    assert "at least 2 classes" in window.banner.text.text()
    np.testing.assert_array_equal(panel.data.X, before)
    panel.apply_params(dataclasses.replace(panel.params, depth=7))
    window.session.player.step_now()
    assert "even" in window.banner.text.text()


def test_coarse_regions_equal_the_model_at_block_centres():
    from algorithms import datasets, resnet
    from visualizer.panels import network_base as nb
    from visualizer.panels.resnet import COARSE, coarse_regions

    X, y = datasets.make("moons", 60, 2, 0.1, 0)
    model = next(resnet.run(X, y, resnet.Params(depth=4, updates=1),
                            np.random.default_rng(0))).residual_model
    gx, gy = np.linspace(-2, 2, 7), np.linspace(-1, 3, 5)      # odd sizes: a ragged edge
    calls, real = [], nb.regions

    def counted(net, points):
        calls.append(len(points))
        return real(net, points)

    # y fastest ("ij"), and x fastest ("xy": Scene2D's shading grid, row by row)
    for order in ("ij", "xy"):
        grid = np.stack(np.meshgrid(gx, gy, indexing=order), -1).reshape(-1, 2)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(nb, "regions", counted)
            labels, sure = coarse_regions(model, grid)
        assert labels.shape == sure.shape == (35,)
        assert calls.pop() == 4 * 3, "evaluated once per block, not per cell"
        # each cell takes the value at the centre of its COARSE × COARSE block
        half = (COARSE - 1) / 2
        cell_x = np.searchsorted(gx, grid[:, 0]) // COARSE * COARSE
        cell_y = np.searchsorted(gy, grid[:, 1]) // COARSE * COARSE
        centres = np.column_stack([gx[cell_x] + half * (gx[1] - gx[0]),
                                   gy[cell_y] + half * (gy[1] - gy[0])])
        want_labels, want_sure = nb.regions(model, centres)
        np.testing.assert_array_equal(labels, want_labels)
        np.testing.assert_allclose(sure, want_sure, atol=1e-6)
    scattered = np.random.default_rng(1).standard_normal((9, 2))   # not a grid: point by point
    np.testing.assert_array_equal(coarse_regions(model, scattered)[0],
                                  nb.regions(model, scattered)[0])
