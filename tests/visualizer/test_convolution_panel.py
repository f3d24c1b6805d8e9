"""The convolution panel: the whole picture filtered as OpenCV filters it, the stepped patch
as scipy correlates it, the output drawn, kernels typed by hand, clicks, bad files, live."""

import cv2
import numpy as np
import pytest
from PySide6 import QtCore
from scipy import signal

from visualizer.pixels import view_pixels


def signs(pixels) -> tuple[int, int]:
    """Pixels tinted blue (negative output) and tinted orange-red (positive output)."""
    p = pixels.astype(int)
    red, blue = p[..., 0], p[..., 2]
    return int((blue > red + 25).sum()), int((red > blue + 25).sum())


@pytest.fixture
def window(make_window):
    return make_window("convolution")


def control(window, group, name):
    return window.binders[group].group.child(name)


def click(qtbot, panel, x, y):
    scene = panel.source_plot.vb.mapViewToScene(QtCore.QPointF(x, y))
    qtbot.mouseClick(panel.canvas.viewport(), QtCore.Qt.LeftButton,
                     pos=panel.canvas.mapFromScene(scene))


def test_the_whole_picture_is_filtered_as_opencv_filters_it(window):
    panel = window.session.panel
    grey = panel.picture.grey
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], float)
    expected = cv2.filter2D(grey, cv2.CV_64F, sobel_x, borderType=cv2.BORDER_CONSTANT)
    np.testing.assert_allclose(panel.picture.output, expected, atol=1e-9)


def test_the_stepped_patch_matches_scipy_and_is_drawn(window):
    panel = window.session.panel
    blank = view_pixels(panel, panel.out_plot)
    window.session.advance(10_000)
    last = window.session.player.current
    assert last.phase == "done"
    expected = signal.correlate2d(panel.patch(), panel.params.kernel().kernel, mode="same",
                                  boundary="fill")
    np.testing.assert_allclose(last.output, expected, atol=1e-9)
    drawn = view_pixels(panel, panel.out_plot)
    # the patch output is signed (Sobel x): cells tinted blue and tinted vermilion appear
    assert signs(blank) == (0, 0), "nothing drawn before the first step"
    negative, positive = signs(drawn)
    assert negative > 100 and positive > 100


def test_the_filtered_picture_shows_both_signs(window):
    panel = window.session.panel
    negative, positive = signs(view_pixels(panel, panel.result_plot))
    assert negative > 500 and positive > 500


def test_a_typed_kernel_changes_the_output(window):
    panel = window.session.panel
    control(window, 0, "preset").setValue("custom")
    control(window, 0, "custom").setValue("0 0 0; 0 2 0; 0 0 0")
    np.testing.assert_allclose(panel.picture.output, 2 * panel.picture.grey)
    window.session.advance(3)
    assert "2" in window.caption.text()


def test_an_unusable_typed_kernel_is_refused_and_the_old_one_kept(window):
    panel = window.session.panel
    control(window, 0, "preset").setValue("custom")
    before = panel.picture.output
    control(window, 0, "custom").setValue("1 2; 3")
    assert window.banner.level == "error" and "same count" in window.banner.text.text()
    assert panel.picture.output is before


def test_a_click_moves_the_patch_and_undo_brings_it_back(qtbot, window):
    panel = window.session.panel
    before = panel.centre
    click(qtbot, panel, 100, 120)
    assert panel.centre == (120, 100) or np.allclose(panel.centre, (120, 100), atol=2)
    qtbot.keyClick(window, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier)
    assert panel.centre == before


def test_a_file_that_is_not_a_picture_gets_a_message(qtbot, window, tmp_path):
    (tmp_path / "notes.png").write_text("words, not pixels\n")
    before = window.session.panel.picture
    with qtbot.waitSignal(window.data_loaded, timeout=10_000) as done:
        window.open_data(str(tmp_path / "notes.png"))
    assert not done.args[0] and "not an image" in window.banner.text.text()
    assert window.session.panel.picture is before


def test_live_frames_are_filtered_and_a_step_freezes_one(qtbot, window):
    panel = window.session.panel
    control(window, 1, "live").setValue(True)
    qtbot.waitUntil(lambda: len(panel.live.shown_at) >= 3, timeout=15_000)
    assert "frame" in panel.picture.name
    window.session.player.step_now()
    assert not panel.live.running and not panel.data_params.live


def drag(panel, plot, start, end, steps=4):
    """Press at `start` (data coordinates of `plot`), move to `end` with the button held."""
    from PySide6.QtTest import QTest

    def at(x, y):
        return panel.canvas.mapFromScene(plot.vb.mapViewToScene(QtCore.QPointF(x, y)))

    viewport = panel.canvas.viewport()
    points = [at(*(np.array(start) + (np.array(end) - start) * t))
              for t in np.linspace(0, 1, steps + 1)]
    QTest.mouseMove(viewport, points[0])
    QTest.mousePress(viewport, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, points[0])
    for p in points[1:]:
        QTest.qWait(40)   # pyqtgraph drops moves that come faster than it redraws
        QTest.mouseMove(viewport, p)
    QTest.mouseRelease(viewport, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, points[-1])


def test_a_weight_dragged_up_grows_and_the_picture_is_filtered_with_it(qtbot, window):
    panel = window.session.panel
    qtbot.waitUntil(lambda: panel.kernel_plot.vb.viewRange()[0][1] > 2.5)
    # Sobel x: the right column's middle weight is 2; dragging it up (y grows downwards on
    # the kernel, rows top to bottom) by the plot's pixels for one cell raises it
    rows_per_pixel = 1 / panel.kernel_plot.vb.viewPixelSize()[1]
    drag(panel, panel.kernel_plot, (2.5, 1.5), (2.5, 1.5 - 60 / rows_per_pixel))
    grid = panel.params.kernel().kernel
    assert panel.params.preset == "custom" and control(window, 0, "preset").value() == "custom"
    assert grid[1, 2] > 2.5 and np.allclose(np.delete(grid.ravel(), 5),
                                            [-1, 0, 1, -2, 0, -1, 0, 1])
    expected = cv2.filter2D(panel.picture.grey, cv2.CV_64F, grid, borderType=cv2.BORDER_CONSTANT)
    np.testing.assert_allclose(panel.picture.output, expected, atol=1e-9)
    qtbot.keyClick(window, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier)
    assert panel.params.preset == "sobel x" and control(window, 0, "preset").value() == "sobel x"
    np.testing.assert_allclose(panel.params.kernel().kernel[1, 2], 2)


def test_an_unusable_typed_kernel_leaves_the_controls_on_the_one_in_use(window):
    panel = window.session.panel
    control(window, 0, "preset").setValue("custom")
    control(window, 0, "custom").setValue("1 2; 3")
    assert "same count" in window.banner.text.text()
    assert control(window, 0, "custom").value() == panel.params.custom != "1 2; 3"
