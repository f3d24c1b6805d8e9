"""The feature-maps panel: maps as OpenCV computes them, drawn in both signs until ReLU,
a click shows a map's filter, a bad file keeps the picture."""

import cv2
import numpy as np
import pytest
from PySide6 import QtCore

from visualizer.pixels import view_pixels


@pytest.fixture
def window(make_window):
    return make_window("feature_maps")


def signs(pixels) -> tuple[int, int]:
    """Pixels in the maps' blue (negative) and in their strong orange (positive); the
    photo's browns are neither."""
    r, b = pixels[..., 0].astype(int), pixels[..., 2].astype(int)
    return int((b > r + 60).sum()), int(((r > 200) & (r > b + 100)).sum())


def test_the_maps_are_the_filters_summed_over_the_colour_channels(window):
    panel = window.session.panel
    stages = panel.picture.stages
    rgb, conv = stages[0].maps, stages[1]
    for n, w in enumerate(conv.filters):
        expected = sum(cv2.filter2D(rgb[c].astype(np.float64), -1, w[c],
                                    borderType=cv2.BORDER_CONSTANT) for c in range(3))
        np.testing.assert_allclose(conv.maps[n], expected, atol=1e-4)
    relu = stages[2]
    np.testing.assert_allclose(relu.maps, np.maximum(conv.maps, 0))
    pooled = stages[3].maps
    assert pooled.shape[1:] == (relu.maps.shape[1] // 2, relu.maps.shape[2] // 2)
    np.testing.assert_allclose(pooled[0, 0, 0], relu.maps[0, :2, :2].max())


def test_each_step_adds_a_stage_in_both_signs_until_relu(window):
    panel = window.session.panel
    window.session.advance(1)           # the input only
    before = signs(view_pixels(panel, panel.grid_plot))
    window.session.advance(1)           # the convolution: signed maps
    negative, positive = signs(view_pixels(panel, panel.grid_plot))
    assert before[0] < 200 and negative > 2000 and positive > 2000
    window.session.advance(2)           # ReLU and pooling add no negative value
    after = signs(view_pixels(panel, panel.grid_plot))
    assert after[0] <= negative * 1.02 and after[1] > positive  # ReLU rows: no blue


def test_a_click_on_a_map_shows_its_filter(qtbot, window):
    panel = window.session.panel
    window.session.advance(2)
    stage, i, x0, y0, x1, y1 = next(t for t in panel.tiles if t[0] == 1 and t[1] == 2)
    scene = panel.grid_plot.vb.mapViewToScene(QtCore.QPointF((x0 + x1) / 2, (y0 + y1) / 2))
    qtbot.mouseClick(panel.canvas.viewport(), QtCore.Qt.LeftButton,
                     pos=panel.canvas.mapFromScene(scene))
    assert panel.chosen == (1, 2)
    name = panel.picture.stages[1].labels[2]
    assert name in panel.filter_name.item.textItem.toPlainText()


def test_a_file_that_is_not_a_picture_keeps_the_one_shown(qtbot, window, tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    before = window.session.panel.picture
    with qtbot.waitSignal(window.data_loaded, timeout=10_000) as done:
        window.open_data(str(tmp_path / "empty.jpg"))
    assert not done.args[0] and "empty" in window.banner.text.text()
    assert window.session.panel.picture is before


def test_a_second_layer_map_shows_its_weights_on_the_first_layers_maps(qtbot, window):
    panel = window.session.panel
    window.binders[0].group.child("second_layer").setValue(True)
    window.session.advance(100)
    stages = panel.picture.stages
    s = next(k for k, st in enumerate(stages) if st.layer == 2 and st.filters is not None)
    stage, i, x0, y0, x1, y1 = next(t for t in panel.tiles if t[0] == s and t[1] == 1)
    scene = panel.grid_plot.vb.mapViewToScene(QtCore.QPointF((x0 + x1) / 2, (y0 + y1) / 2))
    qtbot.mouseClick(panel.canvas.viewport(), QtCore.Qt.LeftButton,
                     pos=panel.canvas.mapFromScene(scene))
    inputs = stages[s].filters.shape[1]          # the first layer's maps, after pooling
    text = panel.filter_name.item.textItem.toPlainText()
    assert panel.chosen == (s, 1) and f"of its {inputs} inputs" in text and "R, G, B" not in text
    # the histogram is that map's: every value counted, its bars spanning its range
    values, centres = stages[s].maps[1], np.asarray(panel.hist.opts["x"])
    assert np.asarray(panel.hist.opts["height"]).sum() == values.size
    step = centres[1] - centres[0]
    assert abs(centres[0] - step / 2 - values.min()) < step
    assert abs(centres[-1] + step / 2 - values.max()) < step
