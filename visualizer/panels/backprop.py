"""Backpropagation, step by step: one example through a small network, layer by layer.

The network panel with the diagram large and numbers on every unit: forward sub-steps write
z and a on the layer they reach, the loss step writes the softmax probabilities, backward
sub-steps write δ = ∂ℓ/∂z from right to left, then the update moves every weight by the
optimizer's rule. One weight is followed (the largest gradient of the layer, or the one
clicked): it is drawn in the highlight colour and the box over the diagram writes its chain
rule with this step's numbers, ∂ℓ/∂w = δ·a = …, and then its update.

A click on a weight follows it from the step shown (undoable, no restart); a click on a
hidden unit maps what it responds to in the data view, as in the training panel.
"""

from __future__ import annotations

from dataclasses import dataclass

from algorithms.base import num, param
from algorithms.network import training
from algorithms.network.captions import factor, wname
from visualizer.panels import network_base as nb
from visualizer.panels import network_diagram as nd
from visualizer.style import STYLE

MOST_UNITS = 8     # per hidden layer: the numbers must stay readable on every unit


@dataclass(frozen=True)
class Params(training.Params):
    hidden: str = param("4, 3", label="hidden layers",
                        tip=f"units per hidden layer, comma-separated: 1 to 3 layers of 1 to "
                            f"{MOST_UNITS} units (a small network, so every number shows)")
    rule: str = param("GD", values=training.Params.__dataclass_fields__["rule"].metadata[
        "values"], label="update rule")
    lr: float = param(0.1, limits=(1e-5, 10.0), step=0.01, label="learning rate η")
    batch_size: int = param(1, limits=(1, 100_000), step=1, label="mini-batch size",
                            tip="1: each update uses the one example traced; more: the "
                                "update averages the gradient over the mini-batch")
    epochs: int = param(20, limits=(1, 100_000), label="epochs")
    granularity: str = param("layer", values=training.GRANULARITIES, label="one step is",
                             tip="layer: one layer forward or backward for one example; "
                                 "batch: one mini-batch update; epoch: one pass over the data")


@dataclass(frozen=True)
class Data(nb.Data):
    points: int = param(40, limits=(4, 100_000), step=10, tip="number of points")


def check_hidden(text: str) -> tuple[int, ...]:
    """The hidden layer sizes, or a ValueError: this panel draws 1 to 3 layers of ≤ 8 units."""
    hidden = training.parse_hidden(text)
    if not hidden or max(hidden) > MOST_UNITS:
        raise ValueError(f"hidden layers: this panel shows 1 to 3 layers of 1 to {MOST_UNITS} "
                         f"units so that every number can be read, got {text!r}")
    return hidden


class BackpropPanel(nb.NetworkPanel):
    id, title, topic = "backprop", "Backpropagation, step by step", "Neural networks"
    Params, Data = Params, Data
    numbers = True
    diagram_first = True
    click_restarts = False
    region_title = "Decision regions"

    def restyle(self):
        super().restyle()
        self.diagram.room_above = STYLE.text_px * 4.5      # three lines of the readout
        self.diagram._placed()

    def set_params(self, params, live: bool = False) -> None:
        try:
            check_hidden(params.hidden)
        except ValueError as err:
            old = self.params
            self.replace_params(old)
            self.message.emit("error", f"{err} — the network shown before is kept.")
            return
        super().set_params(params, live)

    def intro(self):
        return (f"{self.described}. Press Step (→): one example goes forward layer by layer, "
                f"then its loss, then δ = ∂ℓ/∂z flows back layer by layer, then the weights "
                f"move. Click a weight to follow its chain rule; click a hidden unit to see "
                f"what it responds to.")

    def unit_texts(self, step) -> list[str]:
        return unit_texts(step)

    def readout_text(self, step) -> str:
        mark = self.followed(step)
        return "" if mark is None else chain_text(step, mark)

    def caption(self, step) -> str:
        """The step's words were written for the weight it followed when it was computed; a
        weight clicked since is said first, where it is seen before the words wrap away."""
        mark, own = self.followed(step), step.highlight
        if mark is None or own is None or mark == own:
            return step.caption
        return (f"[The box follows {wname(*mark)}, which you clicked; these words follow "
                f"{wname(*own)}.] {step.caption}")

    def followed(self, step):
        """The weight the picture follows: the clicked one, else the step's own."""
        if self.watch and self._fits(self.watch):
            return self.watch
        return step.highlight


def _source(trace, layer: int):
    """The values feeding W_layer for this example: x (layer 1) or a_{layer − 1}."""
    return trace.x if layer == 1 else trace.a[layer - 2]


def _name(layer: int, i: int) -> str:
    return f"x{i + 1}" if layer == 1 else f"a{i + 1}"


def unit_texts(step) -> list[str]:
    """z and a on the layers the forward pass has reached, p on the outputs once the loss is
    known, δ on the layers the backward pass has reached."""
    spec, trace = step.spec, step.trace
    if trace is None:
        return [""] * sum(spec.sizes)
    phase, layer = step.phase, step.layer or 0
    reached = spec.layers if phase in ("loss", "backward") else layer if phase == "forward" \
        else 0
    texts: list[str] = []
    for col, n in enumerate(spec.sizes):
        if phase == "backward" and col >= layer and trace.dz[col - 1] is not None:
            texts += nd.values(trace.dz[col - 1], "δ ", 2)
        elif col == 0:
            texts += nd.values(trace.x, "x ", 2)
        elif col <= reached and trace.z[col - 1] is not None:
            zs = nd.values(trace.z[col - 1], "z ", 2)
            if col == spec.layers and trace.output is not None and phase == "loss":
                texts += [f"{z}\np {num(p, 2)}" for z, p in zip(zs, trace.output, strict=True)]
            elif col == spec.layers and spec.loss == "cross-entropy":
                texts += zs
            else:
                texts += [f"{z}\na {num(a, 2)}" for z, a in zip(zs, trace.a[col - 1],
                                                                 strict=True)]
        else:
            texts += [""] * n
    return texts


def chain_text(step, mark) -> str:
    """The followed weight at this step: what it carries forward, its chain rule with the
    numbers once δ of its layer is known, then its update."""
    layer, i, j = mark
    trace, name = step.trace, wname(*mark)
    if step.update is not None:
        return _update_text(step, mark)
    w = float(step.weights[layer - 1][i, j])
    if trace is None:
        return f"{name} = {num(w, 3)} (click another weight to follow it)"
    src = _name(layer, i)
    a = float(_source(trace, layer)[i]) if (layer == 1 or trace.a[layer - 2] is not None) \
        else None
    if step.phase == "backward" and step.layer <= layer:
        dz = float(trace.dz[layer - 1][j])
        g = float(trace.dw[layer - 1][i, j])
        mask = trace.weight_masks[layer - 1]
        dropped = ""
        if mask is not None:     # DropConnect: this example saw the weight rescaled, or not
            dropped = (f" · {factor(g / (dz * a), 3)} (kept by DropConnect)" if mask[i, j]
                       and dz * a else " · 0 (dropped by DropConnect)" if not mask[i, j]
                       else "")
        return (f"Chain rule for {name}: ∂ℓ/∂w = ∂ℓ/∂z{j + 1} · ∂z{j + 1}/∂w = δ{j + 1}·{src}"
                f"\n= {factor(dz)} · {factor(a)}{dropped} = {num(g)}")
    if step.phase == "backward":
        return (f"{name} = {num(w, 3)}: ∂ℓ/∂w = δ{j + 1}·{src} needs δ of layer {layer}; "
                f"the backward pass is at layer {step.layer}")
    reached = step.spec.layers if step.phase == "loss" else (step.layer or 0)
    if a is not None and layer <= reached:
        text = (f"{name} = {num(w, 3)} carries {src}·w = {factor(a)} · {factor(w)} = "
                f"{num(a * w, 3)} into z{j + 1} of layer {layer}")
        if step.phase == "loss" and trace.loss is not None:
            text += f"\nloss ℓ = {num(trace.loss)}: next, backward from the outputs"
        return text
    return f"{name} = {num(w, 3)}: the forward pass has not reached layer {layer} yet"


def _update_text(step, mark) -> str:
    layer, i, j = mark
    info = step.update
    g = float(info.gradient_w[layer - 1][i, j])
    new = float(step.weights[layer - 1][i, j])
    old = new - float(info.step_w[layer - 1][i, j])
    name = wname(*mark)
    which = "Update" if step.granularity != "epoch" else "The epoch's last update of"
    if info.rule == "GD":
        return (f"{which} {name}: w ← w − η·∂L/∂w\n= {num(old)} − {num(info.lr)} · {factor(g)}"
                f" = {num(new)}")
    formula = "; ".join(info.formula.splitlines())
    return (f"{which} {name} ({info.rule}: {formula})\n∂L/∂w = {num(g)}: "
            f"{num(old)} → {num(new)}")


def panel_numbers(panel) -> list[str]:
    """The texts drawn on the units now (for tests and the benchmark)."""
    return [t.toPlainText() for t in panel.diagram.texts if t.isVisible()]

