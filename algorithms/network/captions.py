"""Captions for the training steps: the numbers of one pass, written out with the chain rule.

Weights are named W{layer}[i→j] with 1-based unit numbers: the connection from unit i of the
layer below (input x_i for layer 1) to unit j.
"""

from __future__ import annotations

import numpy as np

from algorithms.base import num, plural

MOST_TERMS = 4   # a weighted sum with more inputs is shown by its largest terms


def pct(fraction: float) -> str:
    return f"{num(100 * fraction, 3)} %"


def vec(v, digits: int = 3, most: int = 6) -> str:
    v = np.ravel(v)
    shown = ", ".join(num(c, digits) for c in v[:most])
    return f"({shown}{', …' if len(v) > most else ''})"


def factor(x: float, digits: int = 3) -> str:
    """A number inside a product: negative ones in brackets, '0.5·(−1.2)'."""
    text = num(x, digits)
    return f"({text})" if text.startswith("−") else text


def wname(layer: int, i: int, j: int) -> str:
    return f"W{layer}[{i + 1}→{j + 1}]"


def _flat_index(trainer, layer: int, i: int, j: int) -> int:
    return trainer.layout.w_slices[layer - 1].start + i * trainer.spec.sizes[layer] + j


def _scores(trainer) -> str:
    last = trainer.view_history().last()
    text = f"train loss {num(last['train loss'])} (accuracy {pct(last['train accuracy'])})"
    if len(trainer.data.x_test):
        text += f", test loss {num(last['test loss'])} ({pct(last['test accuracy'])})"
    return text


def start(spec, params, data, trainer) -> str:
    n_w = sum(a * b for a, b in zip(spec.sizes, spec.sizes[1:], strict=False))
    n_b = sum(spec.sizes[1:])
    parts = [f"A {spec.text}: {plural(n_w, 'weight')} and {plural(n_b, 'bias', 'biases')}, "
             f"{params.init} start.",
             f"{plural(len(data.x), 'training example')}, "
             f"{plural(len(data.x_test), 'test example')}; mini-batches of "
             f"{trainer.batch_size} ({plural(trainer.per_epoch, 'update')} per "
             f"epoch), {trainer.opt.name} with η = {num(params.lr)}."]
    if params.l2:
        parts.append(f"L2: (λ/2)·Σ w² with λ = {num(params.l2)}.")
    if params.dropout:
        keep = 1 / (1 - params.dropout)
        parts.append(f"Inverted dropout p = {num(params.dropout)}: a kept unit's output is "
                     f"×{num(keep, 3)} while training, so at test time every unit is used as "
                     f"it is (the notes' classic form instead multiplies the weights by "
                     f"1 − p = {num(1 - params.dropout)} at test time: the same expectation).")
    if params.dropconnect:
        parts.append(f"DropConnect rate {num(params.dropconnect)}: each example sees each "
                     f"weight with probability {num(1 - params.dropconnect)}, kept ones "
                     f"×{num(1 / (1 - params.dropconnect), 3)}.")
    parts.append(f"At the start: {_scores(trainer)}.")
    return " ".join(parts)


def forward_highlight(trainer, trace, layer: int, watch) -> tuple[int, int, int]:
    """The unit with the largest |z| (or the watched weight's unit) and its largest term."""
    z = trace.z[layer - 1]
    j = watch[2] if watch and watch[0] == layer else int(np.argmax(np.abs(z)))
    a_prev = trace.x if layer == 1 else trace.a[layer - 2]
    w = _effective(trainer, trace, layer)
    i = watch[1] if watch and watch[0] == layer else int(np.argmax(np.abs(a_prev * w[:, j])))
    return layer, i, j


def _effective(trainer, trace, layer):
    """W_layer as this example saw it: DropConnect mask and rescaling applied."""
    w = trainer.params(trainer.theta)[0][layer - 1]
    wm = trace.weight_masks[layer - 1]
    return w if wm is None else w * wm / (1 - trainer.dropconnect)


def _layer_name(spec, layer: int) -> str:
    return "output layer" if layer == spec.layers else f"hidden layer {layer}"


def sub_step(kind: str, layer: int, spec, trainer, trace, hl) -> str:
    if kind == "forward":
        return _forward(spec, trainer, trace, hl)
    if kind == "loss":
        return _loss(spec, trainer, trace)
    return _backward(spec, trainer, trace, hl)


def _forward(spec, trainer, trace, hl) -> str:
    layer, _, j = hl
    a_prev = trace.x if layer == 1 else trace.a[layer - 2]
    w = _effective(trainer, trace, layer)
    b = trainer.params(trainer.theta)[1][layer - 1]
    terms = a_prev * w[:, j]
    order = np.argsort(-np.abs(terms), kind="stable")
    shown = order if len(order) <= MOST_TERMS else order[:MOST_TERMS - 1]
    text = " + ".join(f"{factor(a_prev[i])}·{factor(w[i, j])}" for i in sorted(shown))
    if len(shown) < len(order):
        text += f" + … ({len(order) - len(shown)} more)"
    z, a = trace.z[layer - 1][j], trace.a[layer - 1][j]
    act = spec.activation(layer).name
    out = (f"Example {trace.example}, {_layer_name(spec, layer)} forward: z = a·W + b"
           + ("" if layer == spec.layers and spec.loss == "cross-entropy" else f", a = {act}(z)")
           + f". Unit {j + 1}: z = {text} + {factor(b[j])} = {num(z)}")
    if layer == spec.layers and spec.loss == "cross-entropy":
        out += f" (a logit; softmax comes with the loss). Logits {vec(trace.z[layer - 1])}."
    else:
        out += f", a = {act}({num(z)}) = {num(spec.activation(layer)(z))}"
    um = trace.unit_masks[layer - 1]
    if um is not None:
        out += (f" · {factor(1 / (1 - trainer.dropout))} (kept by dropout) = {num(a)}." if um[j]
                else " · 0 (dropped by dropout) = 0.")
    elif not (layer == spec.layers and spec.loss == "cross-entropy"):
        out += "."
    if um is not None:
        out += (f" Dropout kept {int(um.sum())} of {plural(len(um), 'unit')}; kept outputs "
                f"×{num(1 / (1 - trainer.dropout), 3)}, dropped ones are 0.")
    wm = trace.weight_masks[layer - 1]
    if wm is not None:
        out += (f" DropConnect kept {int(wm.sum())} of {plural(wm.size, 'connection')} into "
                f"this layer, each ×{num(1 / (1 - trainer.dropconnect), 3)} (the weights above "
                f"are as this example sees them).")
    if trainer.opt.name == "Nesterov":
        out += " (Nesterov: the pass runs at the look-ahead weights W − γ·v.)"
    return out


def _loss(spec, trainer, trace) -> str:
    c = int(np.argmax(trace.target))
    if spec.loss == "cross-entropy":
        label = trainer.data.classes[c]
        return (f"Loss of example {trace.example} (class {label}): p = softmax(z) = "
                f"{vec(trace.output)}; ℓ = −Σ y·log p = −log {num(trace.output[c])} = "
                f"{num(trace.loss)}.")
    return (f"Loss of example {trace.example}: ℓ = ½·Σ (a − y)² with a = {vec(trace.output)}, "
            f"y = {vec(trace.target)}: ℓ = {num(trace.loss)}.")


def _backward(spec, trainer, trace, hl) -> str:
    layer, i, j = hl
    dz, da = trace.dz[layer - 1], trace.da[layer - 1]
    slope = spec.activation(layer).derivative(trace.z[layer - 1])
    if layer == spec.layers and spec.loss == "cross-entropy":
        out = (f"Output layer backward: δ = ∂ℓ/∂z = p − y = {vec(dz)} "
               f"(softmax and cross-entropy together).")
    elif layer == spec.layers:
        out = (f"Output layer backward: δ = ∂ℓ/∂a ⊙ f'(z) = (a − y) ⊙ f'(z) = "
               f"{vec(da)} ⊙ {vec(slope)} = {vec(dz)}.")
    else:
        out = (f"Hidden layer {layer} backward: ∂ℓ/∂a = δ{layer + 1}·W{layer + 1}ᵀ = {vec(da)}. "
               f"Unit {j + 1}: δ = ∂ℓ/∂a·f'(z) = {factor(da[j])} · {factor(slope[j])}")
        um = trace.unit_masks[layer - 1]
        if um is not None:
            out += (f" · {num(1 / (1 - trainer.dropout), 3)} (kept by dropout)" if um[j]
                    else " · 0 (dropped by dropout)")
        out += f" = {num(dz[j])}."
    a_prev = trace.x if layer == 1 else trace.a[layer - 2]
    source = f"x{i + 1}" if layer == 1 else f"a{i + 1}"
    g = trace.dw[layer - 1][i, j]
    out += (f" Chain rule for {wname(layer, i, j)}: ∂ℓ/∂w = δ{j + 1}·{source} = "
            f"{factor(dz[j])} · {factor(a_prev[i])}")
    wm = trace.weight_masks[layer - 1]
    if wm is not None:
        out += (f" · {num(1 / (1 - trainer.dropconnect), 3)} (kept by DropConnect)" if wm[i, j]
                else " · 0 (dropped by DropConnect)")
    keep = trainer.keep[layer - 1]
    if keep is not None and not keep[i, j]:
        out += " · 0 (pruned)"
    out += f" = {num(g)}; ∂ℓ/∂b = δ."
    if layer > 1:
        out += f" ∂ℓ/∂a = δ·W{layer}ᵀ goes back to layer {layer - 1}."
    return out


def update(granularity, spec, trainer, trace, hl, info, done: bool) -> str:
    n = len(info.examples)
    if granularity == "layer":
        head = (f"Update {trainer.updates} ({info.rule}, η = {num(info.lr)}): every weight and "
                f"bias moves against the mean gradient of {plural(n, 'example')}")
    elif granularity == "batch":
        head = (f"Epoch {trainer.epoch}, batch {trainer.batch} of {trainer.per_epoch} "
                f"({plural(n, 'example')}): update {trainer.updates}")
    else:
        head = (f"Epoch {trainer.epoch}: {plural(trainer.per_epoch, 'update')} of up to "
                f"{plural(trainer.batch_size, 'example')}")
    parts = [("Finished. " if done else "") + head + "; " + _scores(trainer) + "."]
    layer, i, j = hl
    if granularity != "layer":
        a_prev = trace.x if layer == 1 else trace.a[layer - 2]
        source = f"x{i + 1}" if layer == 1 else f"a{i + 1}"
        which = "the last batch's first example" if granularity == "epoch" else "example"
        parts.append(f"Chain rule for {wname(layer, i, j)} on {which} {trace.example}: "
                     f"∂ℓ/∂w = δ{j + 1}·{source} = {factor(trace.dz[layer - 1][j])} · "
                     f"{factor(a_prev[i])} = {num(trace.dw[layer - 1][i, j])}.")
    g = info.gradient_w[layer - 1][i, j]
    k = _flat_index(trainer, layer, i, j)
    new, old = float(trainer.state.x[k]), float(trainer.before[k])
    mean = f"mean over {plural(n, 'example')}" if n > 1 else "this example"
    line = f"{wname(layer, i, j)}: ∂L/∂w = {num(g)} ({mean}"
    if trainer.l2:
        line += f", with λ·w = {num(trainer.l2 * old, 3)}"
    line += ")"
    for name, values in info.terms.items():
        if not name.endswith("_hat"):
            line += f", {name} = {num(values[k], 3)}"
    line += f"; step {num(new - old, 3)}: {num(old)} → {num(new)}."
    parts.append(line)
    parts.append(f"{info.rule}: " + "; ".join(info.formula.splitlines()) + ".")
    return " ".join(parts)


def diverged(trainer) -> str:
    return (f"Update {trainer.updates + 1} made the loss or the weights infinite — the learning "
            f"rate η = {num(trainer.opt.lr)} is too large, or the inputs too big (standardise "
            f"them). Training stopped; the weights shown are the last finite ones.")
