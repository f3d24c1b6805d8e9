"""A vanilla RNN beside an LSTM on a task that needs memory, with backpropagation through time.

The task: a sequence of T one-hot symbols (K of them) goes in one per time step; after the
last one the network must name the *first* symbol. Everything after it is a distraction,
so the answer has to be carried across T − 1 steps.

Both cells read the same inputs and end in the same read-out, logits = V·h_T + c, with a
softmax cross-entropy loss over a batch of sequences:

    RNN:   h_t = tanh(W·x_t + U·h_{t−1} + b)
    LSTM:  f, i, o = σ(·), g = tanh(·) of W·x_t + U·h_{t−1} + b   (four blocks of H rows)
           c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)

Backpropagation through time walks the chain back from the loss. In the RNN every step
multiplies ∂L/∂h by Uᵀ and by tanh' ≤ 1, so the gradient reaching early steps shrinks
geometrically; in the LSTM the cell state's path multiplies ∂L/∂c only by the forget gate f,
which (started near 1 with a positive forget bias) carries it. ``run`` shows this: one time
step of the forward pass per step, then the per-time-step gradient norms, the update, the
training epochs, and the accuracy of both cells as T grows.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from algorithms.activations import sigmoid, softmax
from algorithms.base import Snapshot, frozen, num, param, plural, validate
from algorithms.optimizers import Adam, Trail

CELLS = ("RNN", "LSTM")
GATES = ("forget f", "input i", "output o", "candidate g")
LENGTHS = (5, 10, 20, 30)      # sequence lengths of the accuracy-against-T sweep
BATCH = 32                     # sequences per update
TEST = 256                     # sequences on which accuracy is measured


@dataclass(frozen=True)
class Params:
    length: int = param(20, limits=(2, 60), step=1, label="sequence length T",
                        tip="the symbol to recall is this many steps back")
    symbols: int = param(4, limits=(2, 8), step=1, label="symbols K",
                         tip="one-hot inputs; chance level is 1/K")
    hidden: int = param(12, limits=(1, 32), step=1, label="hidden size H")
    lr: float = param(0.02, limits=(1e-4, 1.0), step=0.005, label="learning rate η",
                      tip="Adam's step size, the same for both cells")
    forget_bias: float = param(3.0, limits=(-5.0, 5.0), step=0.5, label="LSTM forget bias",
                               tip="a positive start keeps f near 1: the cell remembers")
    epochs: int = param(10, limits=(1, 200), step=1, label="epochs",
                        tip="training epochs at T, and at each length of the sweep")
    updates: int = param(20, limits=(1, 200), step=1, label="updates per epoch",
                         tip=f"each on a fresh batch of {BATCH} sequences")


@dataclass(frozen=True)
class Trace:
    """A forward pass over a batch: inputs (B, T, K) and, per time step, the states."""

    x: np.ndarray
    h: np.ndarray              # (B, T + 1, H): h_0 = 0, then h_1 … h_T
    c: np.ndarray | None       # (B, T + 1, H) for the LSTM
    gates: np.ndarray | None   # (B, T, 4, H): f, i, o, g for the LSTM
    probs: np.ndarray          # (B, K) softmax of the read-out


@dataclass(frozen=True)
class Net:
    """The shapes of one cell: weights live in one flat vector θ = (W, U, b, V, c)."""

    cell: str
    inputs: int
    hidden: int

    @property
    def blocks(self) -> int:
        return 4 if self.cell == "LSTM" else 1

    def shapes(self):
        k, h, g = self.inputs, self.hidden, self.blocks * self.hidden
        return {"W": (k, g), "U": (h, g), "b": (g,), "V": (h, k), "c": (k,)}

    def size(self) -> int:
        return sum(math.prod(s) for s in self.shapes().values())

    def unpack(self, theta):
        out, at = {}, 0
        for name, shape in self.shapes().items():
            n = math.prod(shape)
            out[name] = np.asarray(theta[at:at + n]).reshape(shape)
            at += n
        return out

    def init(self, rng: np.random.Generator, forget_bias: float = 0.0) -> np.ndarray:
        """Uniform ±1/√fan-in weights, zero biases, and the LSTM's forget bias."""
        parts = []
        for name, shape in self.shapes().items():
            if name in ("b", "c"):
                part = np.zeros(shape)
                if name == "b" and self.cell == "LSTM":
                    part[:self.hidden] = forget_bias
            else:
                part = rng.uniform(-1.0, 1.0, shape) / math.sqrt(shape[0])
            parts.append(part.ravel())
        return np.concatenate(parts)

    def forward(self, theta, x, h0=None, c0=None, clamp: dict | None = None) -> Trace:
        """Unroll over x (B, T, K) from h0, c0 (zeros if None). ``clamp`` holds gates at
        fixed values, e.g. {"f": 1.0, "i": 0.0}."""
        p = self.unpack(theta)
        n, steps, _ = x.shape
        hsz = self.hidden
        h = np.zeros((n, steps + 1, hsz))
        if h0 is not None:
            h[:, 0] = h0
        c = gates = None
        if self.cell == "LSTM":
            c = np.zeros((n, steps + 1, hsz))
            if c0 is not None:
                c[:, 0] = c0
            gates = np.zeros((n, steps, 4, hsz))
        for t in range(steps):
            z = x[:, t] @ p["W"] + h[:, t] @ p["U"] + p["b"]
            if c is None:
                h[:, t + 1] = np.tanh(z)
                continue
            z = z.reshape(n, 4, hsz)
            gate = np.concatenate([sigmoid(z[:, :3]), np.tanh(z[:, 3:])], axis=1)
            for k, value in (clamp or {}).items():
                gate[:, "fiog".index(k)] = value
            gates[:, t] = gate
            c[:, t + 1] = gate[:, 0] * c[:, t] + gate[:, 1] * gate[:, 3]
            h[:, t + 1] = gate[:, 2] * np.tanh(c[:, t + 1])
        probs = softmax(h[:, -1] @ p["V"] + p["c"])
        return Trace(x, h, c, gates, probs)

    def backward(self, theta, trace: Trace, y):
        """∂L/∂θ of the mean cross-entropy, and ‖∂L/∂h_t‖, ‖∂L/∂c_t‖ for t = 1 … T."""
        p = self.unpack(theta)
        n, steps, _ = trace.x.shape
        grads = {name: np.zeros(shape) for name, shape in self.shapes().items()}
        d = trace.probs.copy()
        d[np.arange(n), y] -= 1.0
        d /= n
        grads["V"] = trace.h[:, -1].T @ d
        grads["c"] = d.sum(0)
        dh = d @ p["V"].T
        dc = np.zeros_like(dh)
        h_norms, c_norms = np.zeros(steps), np.zeros(steps)
        for t in reversed(range(steps)):
            h_norms[t] = np.linalg.norm(dh)
            if trace.c is None:
                dz = dh * (1.0 - trace.h[:, t + 1] ** 2)
            else:
                f, i, o, g = (trace.gates[:, t, k] for k in range(4))
                squashed = np.tanh(trace.c[:, t + 1])
                dc = dc + dh * o * (1.0 - squashed ** 2)
                c_norms[t] = np.linalg.norm(dc)
                dz = np.concatenate([dc * trace.c[:, t] * f * (1.0 - f), dc * g * i * (1.0 - i),
                                     dh * squashed * o * (1.0 - o), dc * i * (1.0 - g * g)],
                                    axis=1)
                dc = dc * f
            grads["W"] += trace.x[:, t].T @ dz
            grads["U"] += trace.h[:, t].T @ dz
            grads["b"] += dz.sum(0)
            dh = dz @ p["U"].T
        flat = np.concatenate([grads[k].ravel() for k in self.shapes()])
        return flat, h_norms, (c_norms if trace.c is not None else None)


def loss(trace: Trace, y) -> float:
    picked = trace.probs[np.arange(len(y)), y]
    return float(-np.mean(np.log(np.maximum(picked, 1e-300))))


def accuracy(trace: Trace, y) -> float:
    return float(np.mean(trace.probs.argmax(1) == y))


def make_sequences(n: int, length: int, symbols: int, rng: np.random.Generator):
    """n sequences of random symbols: one-hot inputs (n, T, K) and the first symbols (n,)."""
    if length < 1 or symbols < 2:
        raise ValueError(f"a sequence needs T ≥ 1 and K ≥ 2 symbols, got T={length}, K={symbols}")
    s = rng.integers(0, symbols, (n, length))
    return np.eye(symbols)[s], s[:, 0]


@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    length: int
    time: int | None           # the time step just computed (0-based), in the forward phase
    sequence: np.ndarray       # (T,) the symbols of the sequence shown; its first is the answer
    rnn_h: np.ndarray          # (T, H) RNN hidden state h_t of the sequence shown
    lstm_h: np.ndarray         # (T, H) LSTM h_t
    lstm_c: np.ndarray         # (T + 1, H) LSTM cell state c_0 = 0, c_1 … c_T
    lstm_gates: np.ndarray     # (T, 4, H) f, i, o, g (GATES order)
    probs: dict                # cell → (K,) its prediction for the sequence shown
    grad_h: dict | None        # cell → (T,) ‖∂L/∂h_t‖ over the batch, after the backward pass
    grad_c: np.ndarray | None  # (T,) ‖∂L/∂c_t‖ of the LSTM
    losses: dict               # cell → loss after each epoch (first: before training)
    accuracies: dict           # cell → test accuracy after each epoch
    lengths: tuple             # the sweep's lengths T
    sweep: dict                # cell → (len(lengths),) accuracy trained at each T; NaN: not yet


def _share(trace: Trace, k: int = 0):
    """The arrays of example k that every forward snapshot shares."""
    return frozen(trace.h[k, 1:]), frozen(trace.c[k]), frozen(trace.gates[k])


def _train(nets, thetas, params: Params, length: int, rng, epochs: int):
    """Train both cells for ``epochs`` epochs at ``length``; yield after each epoch."""
    opt = Adam(params.lr)
    states = {c: opt.init(thetas[c]) for c in nets}
    for _ in range(epochs):
        for _ in range(params.updates):
            x, y = make_sequences(BATCH, length, params.symbols, rng)
            for c, net in nets.items():
                g = net.backward(states[c].x, net.forward(states[c].x, x), y)[0]
                states[c], _ = opt.step(states[c], lambda _x, g=g: g)
        yield {c: s.x for c, s in states.items()}


def _check(theta_by_cell) -> None:
    if not all(np.isfinite(t).all() for t in theta_by_cell.values()):
        raise ValueError("the weights overflowed: lower the learning rate")


def run(params: Params, rng: np.random.Generator) -> Iterator[Step]:
    """Forward one time step at a time, the backward pass, one update, epochs, the T sweep."""
    validate(params)
    k, hid, length = params.symbols, params.hidden, params.length
    nets = {c: Net(c, k, hid) for c in CELLS}
    thetas = {c: nets[c].init(rng, params.forget_bias) for c in CELLS}
    test_x, test_y = make_sequences(TEST, length, k, rng)
    x, y = make_sequences(BATCH, length, k, rng)
    traces = {c: nets[c].forward(thetas[c], x) for c in CELLS}
    seq = frozen(x[0].argmax(1))
    rnn_h = frozen(traces["RNN"].h[0, 1:])
    lstm_h, lstm_c, lstm_gates = _share(traces["LSTM"])
    losses = {c: Trail(loss(nets[c].forward(thetas[c], test_x), test_y)) for c in CELLS}
    accs = {c: Trail(accuracy(nets[c].forward(thetas[c], test_x), test_y)) for c in CELLS}
    sweep = {c: np.full(len(LENGTHS), np.nan) for c in CELLS}
    shown = {c: frozen(traces[c].probs[0]) for c in CELLS}
    grads = {"h": None, "c": None}
    counter = [0]

    def snap(phase, caption, time=None):
        i = counter[0]
        counter[0] += 1
        metrics = {f"{c} accuracy": float(accs[c].view()[-1]) for c in CELLS}
        return Step(index=i, phase=phase, caption=caption, metrics=metrics, length=length,
                    time=time, sequence=seq, rnn_h=rnn_h, lstm_h=lstm_h, lstm_c=lstm_c,
                    lstm_gates=lstm_gates, probs=dict(shown), grad_h=grads["h"],
                    grad_c=grads["c"], losses={c: losses[c].view() for c in CELLS},
                    accuracies={c: accs[c].view() for c in CELLS}, lengths=LENGTHS,
                    sweep={c: frozen(sweep[c]) for c in CELLS})

    for t in range(length):
        yield snap("forward", _forward_caption(t, length, seq, rnn_h, lstm_gates, lstm_c), t)

    batch_loss = {c: loss(traces[c], y) for c in CELLS}
    back = {c: nets[c].backward(thetas[c], traces[c], y) for c in CELLS}
    grads["h"] = {c: frozen(back[c][1]) for c in CELLS}
    grads["c"] = frozen(back["LSTM"][2])
    yield snap("backward", _backward_caption(length, batch_loss, grads["h"]))

    opt = Adam(params.lr)
    for c in CELLS:
        thetas[c] = opt.step(opt.init(thetas[c]), lambda _x, g=back[c][0]: g)[0].x
    _check(thetas)
    after = {c: loss(nets[c].forward(thetas[c], x), y) for c in CELLS}
    yield snap("update", "Update (Adam, η = " + num(params.lr) + ") on this batch: " + "; ".join(
        f"{c} loss {num(batch_loss[c])} → {num(after[c])}" for c in CELLS) + ".")

    for e, trained in enumerate(_train(nets, thetas, params, length, rng, params.epochs), 1):
        _check(trained)
        for c in CELLS:
            trace = nets[c].forward(trained[c], test_x)
            losses[c].append(loss(trace, test_y))
            accs[c].append(accuracy(trace, test_y))
        thetas = trained
        shown = {c: frozen(nets[c].forward(thetas[c], x[:1]).probs[0]) for c in CELLS}
        yield snap("epoch", f"Epoch {e} at T = {length} ({plural(params.updates, 'update')}): "
                   + _scores(accs, losses) + f" Chance is {num(100 / k, 3)} %.")

    for j, n in enumerate(LENGTHS):
        fresh = {c: nets[c].init(rng, params.forget_bias) for c in CELLS}
        *_, trained = _train(nets, fresh, params, n, rng, params.epochs)
        _check(trained)
        tx, ty = make_sequences(TEST, n, k, rng)
        for c in CELLS:
            sweep[c][j] = accuracy(nets[c].forward(trained[c], tx), ty)
        yield snap("done" if j == len(LENGTHS) - 1 else "sweep",
                   f"Trained fresh at T = {n} for {plural(params.epochs, 'epoch')}: "
                   + ", ".join(f"{c} recalls {num(100 * sweep[c][j], 3)} %" for c in CELLS)
                   + f" of the first symbols (chance {num(100 / k, 3)} %).")


def _scores(accs, losses) -> str:
    return "; ".join(f"{c} accuracy {num(100 * accs[c].view()[-1], 3)} %, loss "
                     f"{num(losses[c].view()[-1])}" for c in CELLS) + "."


def _forward_caption(t, length, seq, rnn_h, gates, c) -> str:
    f, i, o, _ = (float(gates[t, k].mean()) for k in range(4))
    head = (f"Time step {t + 1} of {length}: symbol {int(seq[t]) + 1} goes in"
            + (" (the one to recall)" if t == 0 else "") + ".")
    return (f"{head} RNN: h = tanh(W·x + U·h) has mean |h| {num(np.abs(rnn_h[t]).mean(), 3)}. "
            f"LSTM: mean gates f {num(f, 3)}, i {num(i, 3)}, o {num(o, 3)}; cell state "
            f"‖c‖ {num(np.linalg.norm(c[t]), 3)} → {num(np.linalg.norm(c[t + 1]), 3)}.")


def _backward_caption(length, batch_loss, grad_h) -> str:
    parts = []
    for cell in CELLS:
        g = grad_h[cell]
        ratio = g[0] / g[-1] if g[-1] > 0 else float("nan")
        parts.append(f"{cell} ‖∂L/∂h‖ {num(g[-1], 3)} at step {length} → {num(g[0], 3)} at "
                     f"step 1 (×{num(ratio, 2)})")
    return ("Backpropagation through time from the loss (" + ", ".join(
        f"{c} {num(batch_loss[c])}" for c in CELLS) + "): " + "; ".join(parts) + ".")
