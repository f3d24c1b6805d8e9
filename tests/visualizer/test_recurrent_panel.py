"""The recurrent panel: the gate bars and both gradient curves painted in their colours, the
values drawn equal the algorithm's, the cells toggle, and a refused parameter keeps the run."""

import dataclasses

import numpy as np
import pytest

from algorithms import recurrent
from visualizer.panels import recurrent as panel_module
from visualizer.pixels import count_near, view_pixels
from visualizer.style import colour

SMALL = dict(length=12, hidden=6, epochs=2, updates=2)


@pytest.fixture(scope="module")
def window(qapp):
    from visualizer.main_window import MainWindow

    w = MainWindow("recurrent", seed=1)
    w.resize(1280, 800)
    w.show()
    panel = w.session.panel
    small = dataclasses.replace(panel.params, **SMALL)
    panel.apply_params(small)
    panel.params_shown.emit(small)  # the tree shows them too: a live toggle keeps them
    yield w
    w.close()
    w.deleteLater()


def test_before_stepping_nothing_is_drawn_but_the_status(window):
    window.session.player.reset()
    panel = window.session.panel
    assert panel.rnn_bars.opts["height"] is not None and len(panel.rnn_bars.opts["x"]) == 0
    assert "press Step" in panel.status.item.textItem.toPlainText()


def test_forward_step_draws_the_algorithms_gates_and_states(window):
    session, panel = window.session, window.session.panel
    session.player.reset()
    session.advance(4)
    step = session.player.current
    assert step.phase == "forward" and step.time == 3
    for k, bars in enumerate(panel.gate_bars):
        np.testing.assert_array_equal(bars.opts["height"], step.lstm_gates[3, k])
    np.testing.assert_array_equal(panel.rnn_bars.opts["height"], step.rnn_h[3])
    xs, ys = panel.conveyor.getData()  # unit by unit: c_0 … c_4, then a NaN break
    units = step.lstm_c.shape[1]
    np.testing.assert_array_equal(ys.reshape(units, 6)[:, :5], step.lstm_c[:5].T)
    np.testing.assert_array_equal(xs.reshape(units, 6)[0, :5], np.arange(5))
    assert np.isnan(ys.reshape(units, 6)[:, 5]).all()
    assert panel.cursor.value() == 4
    image = panel.seq_image.image  # (T, K): the symbols read so far dark, the rest pale
    np.testing.assert_array_equal(image[:4].argmax(1), step.sequence[:4])
    assert image[:4].max(1).tolist() == [1.0] * 4
    assert image[4:].max() == panel_module.FUTURE
    assert "answer" in panel.status.item.textItem.toPlainText()
    assert "says" not in panel.status.item.textItem.toPlainText(), "no prediction yet"
    pixels = view_pixels(panel, panel.gate_plot)
    for hue in panel_module.GATE_HUE:
        assert count_near(pixels, colour(hue), 12) > 150, f"gate bars in colour {hue}"
    rnn = view_pixels(panel, panel.rnn_plot)
    assert count_near(rnn, colour(panel_module.HUE["RNN"]), 12) > 150


def test_backward_step_paints_both_gradient_curves(window):
    session, panel = window.session, window.session.panel
    session.player.reset()
    session.advance(SMALL["length"] + 1)
    step = session.player.current
    assert step.phase == "backward"
    for cell in recurrent.CELLS:
        item = panel.grad_curves[cell]  # xData, yData: before the log axis transforms them
        np.testing.assert_array_equal(item.yData, step.grad_h[cell])
        assert list(item.xData) == list(range(1, SMALL["length"] + 1))
    pixels = view_pixels(panel, panel.grad_plot)
    for cell in recurrent.CELLS:
        assert count_near(pixels, colour(panel_module.HUE[cell]), 20) > 100, cell
    text = panel.grad_status.item.textItem.toPlainText()
    assert recurrent.num(step.grad_h["RNN"][0], 2) in text


def test_one_cell_only_hides_the_other(window):
    session, panel = window.session, window.session.panel
    session.player.reset()
    session.advance(SMALL["length"] + 1)
    lstm = colour(panel_module.HUE["LSTM"])
    both = count_near(view_pixels(panel, panel.grad_plot), lstm, 20)
    window.binders[0].group.child("cells").setValue("RNN")
    assert session.player.position == SMALL["length"], "the choice is live: no restart"
    assert panel.grad_curves["LSTM"].yData is None or len(panel.grad_curves["LSTM"].yData) == 0
    pixels = view_pixels(panel, panel.grad_plot)
    assert count_near(pixels, lstm, 20) < min(60, both / 4), "only the legend's samples"
    assert count_near(pixels, colour(panel_module.HUE["RNN"]), 20) > 100
    window.binders[0].group.child("cells").setValue("both")


def test_training_and_sweep_curves_hold_the_accuracies(window):
    session, panel = window.session, window.session.panel
    session.player.reset()
    steps = SMALL["length"] + 2 + SMALL["epochs"] + 1
    taken = session.advance(steps)
    step = session.player.current
    assert taken == steps, (taken, window.banner.text.text())
    assert step.phase == "sweep"
    for cell in recurrent.CELLS:
        np.testing.assert_array_equal(panel.epoch_curves[cell].getData()[1],
                                      step.accuracies[cell])
        xs, ys = panel.sweep_curves[cell].getData()
        assert list(xs) == [recurrent.LENGTHS[0]] and ys[0] == step.sweep[cell][0]


def test_a_bad_parameter_is_refused_and_the_run_kept(window):
    session, panel = window.session, window.session.panel
    session.player.reset()
    session.advance(3)
    before = panel.params
    messages = []
    panel.message.connect(lambda level, text: messages.append((level, text)))
    panel.apply_params(dataclasses.replace(panel.params, hidden=0))
    assert messages and messages[-1][0] == "error" and "hidden" in messages[-1][1]
    assert "kept" in messages[-1][1]
    assert panel.params == before and session.player.position == 2, "the run goes on"
    session.advance(1)
    assert session.player.current.time == 3
