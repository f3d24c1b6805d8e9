"""The activations panel: the curves and zones painted, dragging z and the logits with the
mouse, the dead-ReLU run, live toggles, and a bad CSV that keeps the data."""

import dataclasses

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from algorithms import activations
from tests.visualizer.helpers import load
from visualizer.panels import activation_views as views
from visualizer.pixels import count_near, pale, settle, view_pixels
from visualizer.style import colour

DEAD_START = "dead (large negative bias)"


@pytest.fixture
def columns(monkeypatch):
    import visualizer.main_window as mw

    monkeypatch.setattr(mw, "ask_columns", lambda table, parent: ("x", "y", None))


@pytest.fixture
def window(make_window, columns):
    return make_window("activations", seed=2)


def widget_pos(panel, plot, x, y):
    scene = plot.vb.mapViewToScene(QtCore.QPointF(x, y))
    return QtCore.QPointF(panel.canvas.mapFromScene(scene))


def drag(panel, plot, start, end, moves=6):
    """A real press, moves with the button held, and release on the canvas."""
    from PySide6.QtTest import QTest

    settle(panel)  # the layout has its final size: the line is where it is drawn
    viewport = panel.canvas.viewport()
    a, b = widget_pos(panel, plot, *start), widget_pos(panel, plot, *end)
    QTest.mouseMove(viewport, a.toPoint())
    QTest.mousePress(viewport, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, a.toPoint())
    for t in np.linspace(0, 1, moves + 1)[1:]:
        QTest.qWait(40)  # pyqtgraph drops mouse moves that come faster than it redraws
        QTest.mouseMove(viewport, (a + (b - a) * t).toPoint())
    QTest.mouseRelease(viewport, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, b.toPoint())
    QtWidgets.QApplication.processEvents()


def set_params(panel, **changes):
    panel.apply_params(dataclasses.replace(panel.params, **changes))


def test_functions_zones_and_fit_are_painted(qtbot, window):
    panel = window.session.panel
    set_params(panel, activation="ReLU", show_sigmoid=True, show_tanh=True)
    window.session.advance(3)
    pixels = view_pixels(panel, panel.fn_plot)
    for name in ("sigmoid", "tanh", "ReLU"):
        assert count_near(pixels, colour(views.HUE[name]), 25) > 150, name
    assert count_near(pixels, pale(views.DEAD, 45 / 255), 6) > 2000, "ReLU's dead zone"
    set_params(panel, activation="tanh")
    window.session.advance(1)
    pixels = view_pixels(panel, panel.fn_plot)
    assert count_near(pixels, pale(views.DEAD, 45 / 255), 6) < 50
    assert count_near(pixels, pale(views.SATURATED, 45 / 255), 6) > 2000, "tanh saturates"
    fit = view_pixels(panel, panel.fit_plot)
    assert count_near(fit, colour(views.HUE["tanh"]), 25) > 150, "the fitted curve"


def test_toggling_a_function_redraws_without_restarting(qtbot, window):
    panel, player = window.session.panel, window.session.player
    window.session.advance(4)
    elu = colour(views.HUE["ELU"])
    assert count_near(view_pixels(panel, panel.fn_plot), elu, 20) < 30
    window.binders[0].group.child("show_elu").setValue(True)
    assert player.position == 3, "a toggle is live: the run goes on"
    assert count_near(view_pixels(panel, panel.fn_plot), elu, 20) > 150


def test_dragging_z_reads_out_value_and_slope(qtbot, window):
    panel = window.session.panel
    drag(panel, panel.fn_plot, (panel.z, -0.6), (-2.0, -0.6))
    assert panel.z == pytest.approx(-2.0, abs=0.15)
    z = np.array([panel.z])
    text = panel.functions.readout.item.textItem.toPlainText()
    slope = activations.tanh_derivative(z)[0]
    assert f"tanh: f = {activations.tanh(z)[0]:.3g}".replace("-", "−") in text.replace("-", "−")
    assert f"tangent of tanh: slope {slope:.3g}" in text


def test_dragging_a_logit_changes_the_probabilities_and_undoes(qtbot, window):
    panel = window.session.panel
    before = panel.logits.copy()
    drag(panel, panel.softmax.logits_plot, (4, before[3]), (4, 4.0))
    assert panel.logits[3] == pytest.approx(4.0, abs=0.3)
    p = activations.softmax(panel.logits[:4], panel.params.temperature)
    assert int(np.argmax(p)) == 3
    heights = panel.softmax.prob_bars.opts["height"]
    np.testing.assert_allclose(heights, p)
    assert panel.softmax.labels[3].textItem.toPlainText() == f"{p[3]:.2f}"
    window.undo_stack.undo()
    np.testing.assert_array_equal(panel.logits, before)


def test_low_temperature_is_nearly_one_hot(qtbot, window):
    panel = window.session.panel
    window.binders[0].group.child("temperature").setValue(0.05)
    heights = np.asarray(panel.softmax.prob_bars.opts["height"])
    assert heights.max() > 0.999 and heights.sum() == pytest.approx(1.0)


def test_dead_relu_never_moves(qtbot, window):
    panel = window.session.panel
    set_params(panel, activation="ReLU", start=DEAD_START)
    window.session.advance(6)
    first, now = window.session.player.history[0], window.session.player.current
    assert now.dead.all()
    np.testing.assert_array_equal(now.w, first.w)
    np.testing.assert_array_equal(now.b, first.b)
    assert all(np.all(now.gradient[k] == 0) for k in ("w", "b"))
    assert "dead: unit 1, 2, 3" in panel.fit_status.item.textItem.toPlainText()
    xs, _ = panel.functions.inputs.getData()
    assert len(xs) and (xs < 0).all(), "every unit's input sits in the dead zone"


def test_a_csv_fits_and_a_constant_x_is_refused(qtbot, window, tmp_path):
    panel = window.session.panel
    good = tmp_path / "curve.csv"
    good.write_text("x,y\n" + "\n".join(f"{v},{v * v}" for v in np.linspace(-2, 2, 9)))
    assert load(qtbot, window, good)
    np.testing.assert_allclose(panel.data.x, np.linspace(-2, 2, 9))
    bad = tmp_path / "flat.csv"
    bad.write_text("x,y\n" + "\n".join(f"1,{v}" for v in range(5)))
    assert not load(qtbot, window, bad)
    assert window.banner.level == "error" and "same" in window.banner.text.text()
    assert "kept" in window.banner.text.text()
    assert len(panel.data.x) == 9
