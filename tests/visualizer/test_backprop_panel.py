"""The backpropagation panel: the numbers on the units and in the readout are the algorithm's
backprop, which is central differences; the forward layer lights up; a clicked weight is
drawn in the highlight colour and its chain rule written; an oversized network is refused."""

import dataclasses
import re

import numpy as np
import pytest
from PySide6 import QtCore

from algorithms.base import num
from algorithms.network.captions import wname
from algorithms.network.layers import total_loss
from visualizer.panels import network_diagram as nd
from visualizer.panels.backprop import panel_numbers
from visualizer.pixels import at_data, count_near, view_pixels

# the default 2-4-3-2 network: step 0 is the start, then three layers forward, the loss,
# three layers backward, the update
FORWARD_1, LOSS, BACKWARD_1, UPDATE = 1, 4, 7, 8


@pytest.fixture
def window(make_window):
    return make_window("backprop", seed=0)


def to_step(session, index):
    session.advance(index + 1 - len(session.player.history))
    step = session.player.current
    assert step.index == index
    return step


def last_number(text: str) -> float:
    return float(re.findall(r"[−-]?\d+(?:\.\d+)?(?:e[−-]?\d+)?", text)[-1].replace("−", "-"))


def test_the_forward_layer_lights_up_with_its_z_and_a(qtbot, window):
    session = window.session
    step = to_step(session, FORWARD_1)
    panel = session.panel
    assert step.phase == "forward" and step.layer == 1
    net = view_pixels(panel, panel.net_plot)
    lit = nd.tint(nd.FORWARD, 0.85).getRgb()[:3]
    assert count_near(net, lit, 6) > 4 * 150, "the four units of hidden layer 1 are lit"
    shown = panel_numbers(panel)
    z, a = step.trace.z[0], step.trace.a[0]
    for k in range(4):
        assert f"z {num(z[k], 2)}\na {num(a[k], 2)}" in shown
    assert not any(t.startswith("δ") for t in shown), "no δ before the backward pass"
    hidden_2 = panel.diagram.net.units[panel.diagram.net.column(2)]
    assert count_near(np.array([at_data(panel, panel.net_plot, *hidden_2[0])]), lit, 6) == 0


def test_deltas_and_the_chain_rule_shown_are_backprop_and_central_differences(qtbot, window):
    session = window.session
    step = to_step(session, BACKWARD_1)
    panel = session.panel
    trace, spec = step.trace, step.spec
    assert step.phase == "backward" and step.layer == 1
    shown = panel_numbers(panel)
    for layer in (1, 2, 3):
        for d in trace.dz[layer - 1]:
            assert f"δ {num(d, 2)}" in shown
    layer, i, j = panel.followed(step)
    assert layer == 1
    readout = panel.readout.item.toPlainText()
    assert readout.startswith(f"Chain rule for {wname(layer, i, j)}")
    g = trace.dw[layer - 1][i, j]
    assert readout.endswith(f"= {num(g)}")
    assert last_number(readout) == pytest.approx(g, rel=1e-3)
    assert g == pytest.approx(trace.dz[0][j] * trace.x[i], rel=1e-12)

    def loss(w):
        ws = [np.array(v) for v in step.weights]
        ws[layer - 1][i, j] = w
        return total_loss(spec, ws, step.biases, trace.x[None], trace.target[None])

    w0, h = float(step.weights[layer - 1][i, j]), 1e-6
    central = (loss(w0 + h) - loss(w0 - h)) / (2 * h)
    assert central == pytest.approx(g, rel=1e-6, abs=1e-10)
    assert loss(w0) == pytest.approx(trace.loss, rel=1e-12), "the loss the panel traced"


def test_a_clicked_weight_is_highlighted_and_its_chain_rule_written(qtbot, window):
    session = window.session
    to_step(session, LOSS)
    panel = session.panel
    diagram = panel.diagram
    click = diagram.scene_point(2, i=1, j=0, along=0.3)
    qtbot.mouseClick(panel.canvas.viewport(), QtCore.Qt.LeftButton,
                     pos=panel.canvas.mapFromScene(click))
    assert panel.watch == (2, 1, 0)
    assert session.player.position == LOSS, "following a weight does not restart the run"
    assert wname(2, 1, 0) in panel.readout.item.toPlainText()
    net = diagram.net
    e = net.edge(2, 1, 0)
    x = net.seg_x[2 * e] * 0.7 + net.seg_x[2 * e + 1] * 0.3
    y = net.seg_y[2 * e] * 0.7 + net.seg_y[2 * e + 1] * 0.3
    pixel = at_data(panel, panel.net_plot, x, y)
    assert count_near(pixel[None], nd.HIGHLIGHT, 30) == 1, f"{pixel} is not the highlight"
    step = to_step(session, 6)                      # backward at layer 2: its chain rule
    text = panel.readout.item.toPlainText()
    g = step.trace.dw[1][1, 0]
    assert text.startswith(f"Chain rule for {wname(2, 1, 0)}") and text.endswith(num(g))
    # the caption was written for the step's own weight: the first line says so
    first = window.caption.text().partition("\n")[0]
    own = step.highlight
    assert own != (2, 1, 0), "this seed's step follows another weight (the largest gradient)"
    assert first == (f"[The box follows {wname(2, 1, 0)}, which you clicked; these words "
                     f"follow {wname(*own)}.] {step.caption.partition(chr(10))[0]}")
    window.undo_stack.undo()
    assert panel.watch is None
    assert window.caption.text().partition("\n")[0] == step.caption.partition("\n")[0]


def test_the_update_writes_the_rule_with_the_weights_numbers(qtbot, window):
    session = window.session
    step = to_step(session, UPDATE)
    panel = session.panel
    layer, i, j = panel.followed(step)
    info = step.update
    new = step.weights[layer - 1][i, j]
    old = new - info.step_w[layer - 1][i, j]
    g = info.gradient_w[layer - 1][i, j]
    assert new == pytest.approx(old - info.lr * g, rel=1e-12)
    text = panel.readout.item.toPlainText()
    assert "w ← w − η·∂L/∂w" in text and text.endswith(f"= {num(new)}")
    assert num(old) in text and num(info.lr) in text


def test_a_network_too_big_to_read_is_refused_and_the_old_one_kept(qtbot, window):
    panel = window.session.panel
    before = panel.params
    panel.set_params(dataclasses.replace(before, hidden="12"))
    assert panel.params == before
    assert window.banner.level == "error" and "1 to 8 units" in window.banner.text.text()
    panel.set_params(dataclasses.replace(before, hidden="8, 8, 8"))
    assert panel.sizes() == (2, 8, 8, 8, 2)
