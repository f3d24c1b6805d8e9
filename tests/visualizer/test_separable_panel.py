"""The depthwise-separable panel: the counts it shows are the formula's and the Tally's, its
maps are OpenCV's per channel and einsum's per output, the standard layer (im2col) gives
the same maps, and the steps are drawn. One window for the whole file."""

import cv2
import numpy as np
import pytest
from PySide6 import QtCore

from algorithms import separable
from visualizer.panels.convolution import CURSOR
from visualizer.panels.separable import STANDARD
from visualizer.pixels import count_near, view_pixels


def signs(pixels) -> tuple[int, int]:
    """Pixels tinted blue (negative) and tinted orange (positive)."""
    p = pixels.astype(int)
    red, blue = p[..., 0], p[..., 2]
    return int((blue > red + 25).sum()), int((red > blue + 25).sum())


@pytest.fixture(scope="module")
def window(qapp):
    from visualizer.main_window import MainWindow

    window = MainWindow("separable")
    window.resize(1280, 800)
    window.show()
    QtCore.QCoreApplication.processEvents()
    yield window
    window.close()


def control(window, group, name):
    return window.binders[group].group.child(name)


def test_before_stepping_only_the_input_shows(window):
    panel = window.session.panel
    negative, positive = signs(view_pixels(panel, panel.flow_plot))
    assert negative < 20 and positive < 20, "no filtered map drawn yet"
    assert count_near(view_pixels(panel, panel.cost_plot), STANDARD, 30) == 0
    assert "221,184" in panel.formula.item.toPlainText()   # 3²·3·8·32²


def test_a_depthwise_step_draws_its_map_and_marks_it(window):
    panel = window.session.panel
    window.session.advance(2)                              # the input, then red's map
    assert window.session.player.current.stage == "depthwise"
    flow = view_pixels(panel, panel.flow_plot)
    negative, positive = signs(flow)
    assert negative > 200 and positive > 200, "the Sobel map in blue and orange"
    assert count_near(flow, CURSOR, 40) > 100, "the orange boxes round channel, kernel, map"


def test_the_counts_shown_are_the_formula_and_the_tally(window):
    panel = window.session.panel
    window.session.advance(10_000)
    last = window.session.player.current
    assert last.phase == "done"
    layer = last.layer
    c = separable.costs(3, 3, 8, 32)
    assert layer.costs == c
    assert (last.counted_depthwise, last.counted_pointwise, last.counted_standard) == (
        c.depthwise, c.pointwise, c.standard)
    tally = separable.Tally()
    separable.separable(layer.x, layer.kernels, layer.weights, tally)
    assert tally.count == c.separable
    tally = separable.Tally()
    separable.standard(layer.x, separable.equivalent_bank(layer.kernels, layer.weights), tally)
    assert tally.count == c.standard
    assert panel.counts[0].toPlainText().startswith(f"{c.standard:,} of {c.standard:,}\n")
    assert panel.counts[1].toPlainText().startswith(f"{c.separable:,} of {c.separable:,}\n")
    assert panel.counts[1].toPlainText().endswith(" ms")
    text = panel.formula.item.toPlainText()
    assert f"{c.depthwise:,} + {c.pointwise:,}" in text and "1/8 + 1/3²" in text
    assert count_near(view_pixels(panel, panel.cost_plot), STANDARD, 30) > 500


def test_the_maps_equal_opencv_per_channel_and_einsum_per_output(window):
    layer = window.session.player.current.layer
    for m in range(3):
        expected = cv2.filter2D(layer.x[m], cv2.CV_64F, layer.kernels[m],
                                borderType=cv2.BORDER_CONSTANT)
        np.testing.assert_allclose(layer.depth[m], expected, atol=1e-9)
    np.testing.assert_allclose(layer.out, np.einsum("nm,mhw->nhw", layer.weights, layer.depth),
                               atol=1e-9)
    np.testing.assert_allclose(layer.standard, layer.out, atol=1e-9)
    assert layer.gemm.columns.shape == (3 * 3 * 3, 32 * 32)


def test_the_matrix_product_is_drawn(window):
    panel = window.session.panel
    pixels = view_pixels(panel, panel.gemm_plot)
    negative, positive = signs(pixels)
    assert negative > 100 and positive > 100, "W and D are signed: blue and orange"
    grey = np.abs(pixels.astype(int) - pixels.mean(axis=-1, keepdims=True)).max(axis=-1) < 6
    assert (grey & (pixels.mean(axis=-1) < 200)).sum() > 1000, "X holds the grey pixels"
    assert count_near(pixels, CURSOR, 40) > 40, "the centre patch's column marked"


def test_more_outputs_and_a_larger_kernel_change_the_counts(window):
    panel = window.session.panel
    control(window, 0, "filters").setValue(16)
    control(window, 0, "kernel").setValue(5)
    window.session.advance(10_000)
    c = window.session.player.current.layer.costs
    assert c == separable.costs(5, 3, 16, 32)
    assert panel.counts[0].toPlainText().startswith(f"{5 * 5 * 3 * 16 * 32 * 32:,} of "
                                                    f"{c.standard:,}")
    assert "1/16 + 1/5²" in panel.formula.item.toPlainText()


def test_a_file_that_is_not_a_picture_gets_a_message(qtbot, window, tmp_path):
    (tmp_path / "notes.png").write_text("words, not pixels\n")
    before = window.session.panel.picture
    with qtbot.waitSignal(window.data_loaded, timeout=10_000) as done:
        window.open_data(str(tmp_path / "notes.png"))
    assert not done.args[0] and "not an image" in window.banner.text.text()
    assert window.session.panel.picture is before


def test_your_own_picture_is_shrunk_to_the_map_size(qtbot, window, tmp_path):
    rows, cols = np.mgrid[:60, :90]
    picture = np.stack([rows * 4, cols * 2, (rows + cols) * 1.5], axis=-1).astype(np.uint8)
    cv2.imwrite(str(tmp_path / "ramp.png"), picture[..., ::-1])   # OpenCV writes BGR
    control(window, 0, "map_size").setValue(16)
    with qtbot.waitSignal(window.data_loaded, timeout=10_000) as done:
        window.open_data(str(tmp_path / "ramp.png"))
    assert done.args[0]
    panel = window.session.panel
    assert panel.x.shape == (3, 16, 16)
    # red rises down the rows, green along the columns: the channels kept their order
    assert panel.x[0, -1].mean() > panel.x[0, 0].mean()
    assert panel.x[1, :, -1].mean() > panel.x[1, :, 0].mean()
    window.session.advance(10_000)
    p = panel.params
    assert window.session.player.current.layer.costs == separable.costs(p.kernel, 3, p.filters,
                                                                         16)
