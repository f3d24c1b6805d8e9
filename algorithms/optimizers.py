"""Gradient-descent update rules as small pure objects, and a race between them on a surface.

An optimizer holds only frozen hyperparameters. ``init(x0)`` returns the first State and
``step(state, grad_fn)`` returns the next State with an Update recording that one move.
Nothing is changed in place, so any earlier state stays valid for stepping back.

Nesterov needs the gradient somewhere other than the current point, which is why ``step``
takes a gradient *function* of the point rather than a gradient vector.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from algorithms.base import Snapshot, frozen, param, validate
from algorithms.surfaces import SURFACES, Surface, make

GradFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class State:
    """Where an optimizer is: the point x, the number of steps t taken, its accumulators."""

    x: np.ndarray
    t: int = 0
    slots: Mapping[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class Update:
    """One move: gradient g, the change applied (x_new = x + delta), named intermediate terms."""

    t: int
    x: np.ndarray
    g: np.ndarray
    delta: np.ndarray
    terms: Mapping[str, np.ndarray]


def _vec(v) -> str:
    return "(" + ", ".join(f"{float(c) + 0.0:.3g}" for c in np.ravel(v)) + ")"  # no "-0"


def _readonly(d: Mapping[str, Any]) -> Mapping[str, np.ndarray]:
    return MappingProxyType({k: frozen(v) for k, v in d.items()})


@dataclass(frozen=True)
class Optimizer:
    """Shared machinery; subclasses supply ``_rule`` (or ``step``) and their formula text."""

    lr: float = 0.01

    name: ClassVar[str] = ""
    formula: ClassVar[str] = ""
    slots: ClassVar[tuple[str, ...]] = ()
    velocity_slot: ClassVar[str | None] = None

    def __post_init__(self):
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"{self.name}: the learning rate must be positive, got {self.lr}")

    def init(self, x0) -> State:
        x = frozen(np.asarray(x0, dtype=float))
        return State(x, 0, _readonly({k: np.zeros_like(x) for k in self.slots}))

    def step(self, state: State, grad_fn: GradFn) -> tuple[State, Update]:
        g = np.asarray(grad_fn(state.x), dtype=float)
        delta, slots, terms = self._rule(state, g)
        return self._finish(state, g, delta, slots, terms)

    def _rule(self, state: State, g: np.ndarray):
        raise NotImplementedError

    def _finish(self, state, g, delta, slots, terms) -> tuple[State, Update]:
        t = state.t + 1
        new = State(frozen(state.x + delta), t, _readonly(slots))
        return new, Update(t, state.x, frozen(g), frozen(delta), _readonly(terms))

    def velocity(self, state: State) -> np.ndarray | None:
        return state.slots[self.velocity_slot] if self.velocity_slot else None

    def describe(self, update: Update, label: str | None = None) -> str:
        """The update in numbers, e.g. 'Adam: g=(1.2, -0.4), m=(…), v=(…), step=(…)'.

        Adam's bias-corrected m̂ and v̂ stay in ``update.terms`` but not in the caption: they
        follow from m and v by the formula and would make the line twice as long.
        """
        parts = [f"g={_vec(update.g)}"]
        parts += [f"{k}={_vec(v)}" for k, v in update.terms.items() if not k.endswith("_hat")]
        parts.append(f"step={_vec(update.delta)}")
        return f"{label or self.name}: " + ", ".join(parts)


def _check_fraction(owner: str, **values: float) -> None:
    for key, value in values.items():
        if not 0 <= value < 1:
            raise ValueError(f"{owner}: {key} must be in [0, 1), got {value}")


def _scaled(lr: float, g: np.ndarray, root: np.ndarray, eps: float) -> np.ndarray:
    """−η·g / (root + ε), where a zero denominator (ε = 0 and no gradient yet) means no step:
    0/0 there is not a divergence, just a coordinate that has never been pushed."""
    denominator = root + eps
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, -lr * g / safe, 0.0)


def _check_eps(owner: str, eps: float) -> None:
    if not eps >= 0:
        raise ValueError(f"{owner}: eps must be zero or positive, got {eps}")


@dataclass(frozen=True)
class GradientDescent(Optimizer):
    name: ClassVar[str] = "GD"
    formula: ClassVar[str] = "x ← x − η·g"

    def _rule(self, state, g):
        return -self.lr * g, {}, {}


@dataclass(frozen=True)
class Momentum(Optimizer):
    """Heavy ball: the velocity remembers past gradients; γ = 0 is plain descent."""

    gamma: float = 0.9
    name: ClassVar[str] = "Momentum"
    formula: ClassVar[str] = "v ← γ·v + η·g\nx ← x − v"
    slots: ClassVar[tuple[str, ...]] = ("v",)
    velocity_slot: ClassVar[str | None] = "v"

    def __post_init__(self):
        super().__post_init__()
        _check_fraction(self.name, gamma=self.gamma)

    def _rule(self, state, g):
        v = self.gamma * state.slots["v"] + self.lr * g
        return -v, {"v": v}, {"v": v}


@dataclass(frozen=True)
class Nesterov(Momentum):
    """Momentum whose gradient is taken at the look-ahead point x − γ·v, not at x."""

    name: ClassVar[str] = "Nesterov"
    formula: ClassVar[str] = "x̃ = x − γ·v   (look-ahead)\nv ← γ·v + η·∇f(x̃)\nx ← x − v"

    def lookahead(self, state: State) -> np.ndarray:
        return state.x - self.gamma * state.slots["v"]

    def step(self, state, grad_fn):
        ahead = self.lookahead(state)
        g = np.asarray(grad_fn(ahead), dtype=float)
        v = self.gamma * state.slots["v"] + self.lr * g
        return self._finish(state, g, -v, {"v": v}, {"look-ahead": ahead, "v": v})


@dataclass(frozen=True)
class AdaGrad(Optimizer):
    """Each coordinate's step shrinks with the sum of all its squared gradients so far."""

    eps: float = 1e-8
    name: ClassVar[str] = "AdaGrad"
    formula: ClassVar[str] = "G ← G + g²\nx ← x − η·g / (√G + ε)"
    slots: ClassVar[tuple[str, ...]] = ("G",)

    def __post_init__(self):
        super().__post_init__()
        _check_eps(self.name, self.eps)

    def _rule(self, state, g):
        big_g = state.slots["G"] + g**2
        return _scaled(self.lr, g, np.sqrt(big_g), self.eps), {"G": big_g}, {"G": big_g}


@dataclass(frozen=True)
class RMSProp(Optimizer):
    """AdaGrad with a decaying average, so old gradients stop shrinking the step forever."""

    rho: float = 0.9
    eps: float = 1e-8
    name: ClassVar[str] = "RMSProp"
    formula: ClassVar[str] = "s ← ρ·s + (1 − ρ)·g²\nx ← x − η·g / (√s + ε)"
    slots: ClassVar[tuple[str, ...]] = ("s",)

    def __post_init__(self):
        super().__post_init__()
        _check_fraction(self.name, rho=self.rho)
        _check_eps(self.name, self.eps)

    def _rule(self, state, g):
        s = self.rho * state.slots["s"] + (1 - self.rho) * g**2
        return _scaled(self.lr, g, np.sqrt(s), self.eps), {"s": s}, {"s": s}


@dataclass(frozen=True)
class Adam(Optimizer):
    """Kingma & Ba (2015): momentum on g, RMSProp on g², both corrected for starting at zero."""

    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    bias_correction: bool = True
    name: ClassVar[str] = "Adam"
    formula: ClassVar[str] = ("m ← β₁·m + (1 − β₁)·g\nv ← β₂·v + (1 − β₂)·g²\n"
                              "m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)   (m̂ = m, v̂ = v without "
                              "bias correction)\nx ← x − η·m̂ / (√v̂ + ε)")
    slots: ClassVar[tuple[str, ...]] = ("m", "v")

    def __post_init__(self):
        super().__post_init__()
        _check_fraction(self.name, beta1=self.beta1, beta2=self.beta2)
        _check_eps(self.name, self.eps)

    def _rule(self, state, g):
        t = state.t + 1
        m = self.beta1 * state.slots["m"] + (1 - self.beta1) * g
        v = self.beta2 * state.slots["v"] + (1 - self.beta2) * g**2
        if self.bias_correction:
            # Both averages start at zero, so early on they are too small by 1 − βᵗ.
            m_hat, v_hat = m / (1 - self.beta1**t), v / (1 - self.beta2**t)
        else:
            m_hat, v_hat = m, v
        delta = _scaled(self.lr, m_hat, np.sqrt(v_hat), self.eps)
        return delta, {"m": m, "v": v}, {"m": m, "v": v, "m_hat": m_hat, "v_hat": v_hat}


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (GradientDescent, Momentum, Nesterov, AdaGrad, RMSProp, Adam)
}
REGISTRY = OPTIMIZERS


# --- the race on a surface ----------------------------------------------------------------

class Trail:
    """Append-only rows that hand out read-only prefixes.

    Later appends write only past every prefix already handed out, and growing moves to a
    fresh buffer, so a prefix never changes: the snapshots share memory instead of copying
    the whole history at every step.
    """

    def __init__(self, first, capacity: int = 64):
        first = np.asarray(first, dtype=float)
        self._rows = np.empty((capacity, *first.shape))
        self._n = 0
        self.append(first)

    def append(self, row) -> None:
        if self._n == len(self._rows):
            bigger = np.empty((2 * len(self._rows), *self._rows.shape[1:]))
            bigger[: self._n] = self._rows
            self._rows = bigger
        self._rows[self._n] = row
        self._n += 1

    def view(self) -> np.ndarray:
        out = self._rows[: self._n]
        out.flags.writeable = False
        return out

    def __len__(self) -> int:
        return self._n


@dataclass(frozen=True, kw_only=True)
class Runner:
    """One optimizer's progress at a snapshot; every array is read-only."""

    name: str
    path: np.ndarray              # (k + 1, 2): start and every point reached so far
    point: np.ndarray             # (2,)
    losses: np.ndarray            # (k + 1,): f along the path
    gradient: np.ndarray | None   # the last update's gradient (None at the start)
    update: np.ndarray | None     # the last change applied to the point
    velocity: np.ndarray | None   # momentum methods only
    terms: Mapping[str, np.ndarray]
    diverged_at: int | None
    caption: str
    # For the log-scale plots, one value per point of the path: log10 of f − f* (the loss
    # above the lowest known minimum) and of the distance to the nearest known minimum,
    # both floored at LOG_FLOOR; None on a surface with no known minimum.
    log_gaps: np.ndarray | None = None
    log_distances: np.ndarray | None = None


LOG_FLOOR = -12.0  # log10 of the smallest gap or distance plotted: exact zeros sit here


@dataclass(frozen=True, kw_only=True)
class RaceSnapshot(Snapshot):
    step: int
    surface: str
    runners: Mapping[str, Runner]


class _Lane:
    """Mutable bookkeeping for one optimizer inside ``race``; it only ever emits Runners."""

    def __init__(self, label: str, opt: Optimizer, surface: Surface, start):
        self.label, self.opt, self.surface = label, opt, surface
        self.state = opt.init(start)
        self.path = Trail(self.state.x)
        self.losses = Trail(surface.value(self.state.x))
        self.last: Update | None = None
        self.diverged_at: int | None = None
        self.minima = np.asarray(surface.minima, float).reshape(-1, 2)
        if len(self.minima):
            self.best = min(surface.value(m) for m in self.minima)
            self.log_gaps, self.log_distances = (Trail(v) for v in self._logs(self.state.x))
        self.runner = self._emit(f"{label}: starts at {_vec(self.state.x)}")

    def _logs(self, x) -> tuple[float, float]:
        gap = self.surface.value(x) - self.best
        distance = float(np.min(np.hypot(*(self.minima - x).T)))
        with np.errstate(divide="ignore"):
            return (max(float(np.log10(max(gap, 0.0))), LOG_FLOOR),
                    max(float(np.log10(distance)), LOG_FLOOR))

    def _emit(self, caption: str) -> Runner:
        last = self.last
        known = len(self.minima) > 0
        return Runner(name=self.label, path=self.path.view(), point=self.state.x,
                      losses=self.losses.view(), gradient=last.g if last else None,
                      update=last.delta if last else None,
                      velocity=self.opt.velocity(self.state),
                      terms=last.terms if last else MappingProxyType({}),
                      diverged_at=self.diverged_at, caption=caption,
                      log_gaps=self.log_gaps.view() if known else None,
                      log_distances=self.log_distances.view() if known else None)

    def advance(self, k: int, escape: float) -> None:
        if self.diverged_at is not None:
            return
        with np.errstate(all="ignore"):
            state, update = self.opt.step(self.state, self.surface.gradient)
            loss = self.surface.value(state.x)
        finite = np.isfinite(state.x).all() and np.isfinite(update.g).all() and np.isfinite(loss)
        if finite and not _escaped(self.surface, state.x, escape):
            self.state, self.last = state, update
            self.path.append(state.x)
            self.losses.append(loss)
            if len(self.minima):
                gap, distance = self._logs(state.x)
                self.log_gaps.append(gap)
                self.log_distances.append(distance)
            self.runner = self._emit(self.opt.describe(update, self.label))
            return
        self.diverged_at = k
        if not np.isfinite(update.g).all() and not _escaped(self.surface, self.state.x, 1.0):
            why = f"stopped at step {k}: the surface is undefined near {_vec(self.state.x)}"
        elif finite and not self.surface.minima:
            why = f"left the plot at step {k}: this surface has no minimum to settle in"
        else:
            why = f"diverged at step {k} — learning rate too large?"
        self.runner = self._emit(f"{self.label}: {why}")


def _escaped(surface: Surface, p, escape: float) -> bool:
    """True when p lies more than ``escape`` region-spans outside the plotted region."""
    xmin, xmax, ymin, ymax = surface.region
    out_x = max(xmin - p[0], p[0] - xmax, 0.0) / (xmax - xmin)
    out_y = max(ymin - p[1], p[1] - ymax, 0.0) / (ymax - ymin)
    return max(out_x, out_y) > escape


def race(surface: Surface, optimizers: Mapping[str, Optimizer], start=None, steps: int = 200,
         *, escape: float = 10.0) -> Iterator[RaceSnapshot]:
    """Run every optimizer from the same start; yield the start, then one snapshot per step.

    An optimizer that produces a non-finite value or ends up more than ``escape`` spans
    outside the region stops there; the others carry on. The run ends early once all stop.
    """
    start = surface.start if start is None else start
    lanes = [_Lane(label, opt, surface, start) for label, opt in optimizers.items()]
    where = f"All start at {_vec(start)}, f = {surface.value(start):.4g}"
    yield _race_snapshot(surface, lanes, 0, "start", where)
    for k in range(1, steps + 1):
        for lane in lanes:
            lane.advance(k, escape)
        done = k == steps or all(lane.diverged_at is not None for lane in lanes)
        yield _race_snapshot(surface, lanes, k, "done" if done else "step",
                             race_caption([lane.runner for lane in lanes]))
        if done:
            return


FULL_LINES = 3  # up to this many optimizers, the caption gives every update in full


def race_caption(runners: list[Runner]) -> str:
    """One line per optimizer; with more than FULL_LINES, a summary that still fits a screen.

    The summary keeps the optimizer with the lowest loss in full, a line for every run that
    stopped (those lines say why), and one line comparing the others' step lengths.
    """
    if len(runners) <= FULL_LINES:
        return "\n".join(r.caption for r in runners)
    running = [r for r in runners if r.diverged_at is None]
    leader = min(running or runners, key=lambda r: r.losses[-1])
    stopped = [r for r in runners if r.diverged_at is not None and r is not leader]
    rest = [r for r in running if r is not leader and r.update is not None]
    lines = [leader.caption + ("  (lowest loss)" if leader in running else "")]
    lines += [r.caption for r in stopped]
    if rest:
        lines.append("step lengths: " + " · ".join(
            f"{r.name} {float(np.hypot(*r.update)):.2g}" for r in rest))
    return "\n".join(lines)


def _race_snapshot(surface, lanes, k, phase, caption) -> RaceSnapshot:
    metrics = {}
    for lane in lanes:
        metrics[f"{lane.label} loss"] = float(lane.runner.losses[-1])
        dist = surface.distance_to_minimum(lane.state.x)
        if dist is not None:
            metrics[f"{lane.label} distance"] = dist
    runners = MappingProxyType({lane.label: lane.runner for lane in lanes})
    return RaceSnapshot(index=k, phase=phase, caption=caption, metrics=metrics, step=k,
                        surface=surface.name, runners=runners)


# --- parameters for the race panel --------------------------------------------------------

BOWL_ONLY = ("surface", ("Quadratic bowl",))   # `when` conditions: see base.param
CUSTOM_ONLY = ("surface", ("Custom",))


def ticked(name: str) -> tuple[str, tuple]:
    """Show a control only while optimizer `name` is ticked."""
    return name, (True,)


@dataclass(frozen=True)
class RaceParams:
    surface: str = param("Quadratic bowl", values=tuple(SURFACES),
                         tip="the function to minimise")
    condition: float = param(10.0, limits=(1.0, 1000.0), label="condition number κ",
                             when=BOWL_ONLY,
                             tip="ratio of the bowl's steepest to flattest curvature")
    angle: float = param(30.0, limits=(-90.0, 90.0), step=5.0, label="bowl rotation (°)",
                         when=BOWL_ONLY, tip="turns the bowl's axes away from x and y")
    formula: str = param("sin(x) * cos(y) + 0.1 * (x**2 + y**2)", label="custom f(x, y)",
                         when=CUSTOM_ONLY,
                         tip="x, y, pi, e, + - * / **, sin cos tan exp log sqrt abs tanh")
    # Each optimizer sits next to its own learning rate and decay rates, shown only while
    # it is ticked, so the tree reads as one small block per racing optimizer. The
    # defaults show the idea within ten steps: on a tilted, narrow bowl plain descent
    # zig-zags across the valley, momentum smooths the zig-zag, Adam goes nearly straight.
    gd: bool = param(True, label="gradient descent")
    gd_lr: float = param(0.17, limits=(1e-5, 10.0), label="GD η", when=ticked("gd"),
                         tip="GD learning rate")
    momentum: bool = param(True, label="momentum")
    momentum_lr: float = param(0.02, limits=(1e-5, 10.0), label="Momentum η",
                               when=ticked("momentum"), tip="momentum learning rate")
    momentum_gamma: float = param(0.9, limits=(0.0, 0.99), step=0.01, label="Momentum γ",
                                  when=ticked("momentum"),
                                  tip="how much of the velocity is kept each step")
    nesterov: bool = param(False, label="Nesterov")
    nesterov_lr: float = param(0.001, limits=(1e-5, 10.0), label="Nesterov η",
                               when=ticked("nesterov"), tip="Nesterov learning rate")
    nesterov_gamma: float = param(0.9, limits=(0.0, 0.99), step=0.01, label="Nesterov γ",
                                  when=ticked("nesterov"),
                                  tip="how much of the velocity is kept each step")
    adagrad: bool = param(False, label="AdaGrad")
    adagrad_lr: float = param(0.5, limits=(1e-5, 10.0), label="AdaGrad η",
                              when=ticked("adagrad"),
                              tip="AdaGrad learning rate; its first step is about η long")
    rmsprop: bool = param(False, label="RMSProp")
    rmsprop_lr: float = param(0.01, limits=(1e-5, 10.0), label="RMSProp η",
                              when=ticked("rmsprop"),
                              tip="RMSProp learning rate; its steps are about η/√(1 − ρ) long")
    rmsprop_rho: float = param(0.9, limits=(0.0, 0.999), step=0.01, label="RMSProp ρ",
                               when=ticked("rmsprop"), tip="decay of the running average of g²")
    adam: bool = param(True, label="Adam")
    adam_lr: float = param(0.3, limits=(1e-5, 10.0), label="Adam η", when=ticked("adam"),
                           tip="Adam learning rate; its steps are about η long")
    adam_beta1: float = param(0.9, limits=(0.0, 0.999), step=0.01, label="Adam β₁",
                              when=ticked("adam"), tip="decay of the running average of g")
    adam_beta2: float = param(0.999, limits=(0.0, 0.9999), step=0.001, label="Adam β₂",
                              when=ticked("adam"), tip="decay of the running average of g²")
    adam_bias_correction: bool = param(True, label="Adam bias correction",
                                       when=ticked("adam"))
    eps: float = param(1e-8, limits=(0.0, 1.0), label="ε",
                       tip="AdaGrad, RMSProp and Adam: keeps the division finite")
    steps: int = param(500, limits=(1, 10000), label="steps",
                     tip="the race stops after this many steps")


def build(params: RaceParams) -> dict[str, Optimizer]:
    """The optimizers ticked in ``params``, keyed by their display names."""
    validate(params)
    p = params
    chosen = {
        "GD": p.gd and GradientDescent(p.gd_lr),
        "Momentum": p.momentum and Momentum(p.momentum_lr, p.momentum_gamma),
        "Nesterov": p.nesterov and Nesterov(p.nesterov_lr, p.nesterov_gamma),
        "AdaGrad": p.adagrad and AdaGrad(p.adagrad_lr, p.eps),
        "RMSProp": p.rmsprop and RMSProp(p.rmsprop_lr, p.rmsprop_rho, p.eps),
        "Adam": p.adam and Adam(p.adam_lr, p.adam_beta1, p.adam_beta2, p.eps,
                                p.adam_bias_correction),
    }
    return {name: opt for name, opt in chosen.items() if opt}


def make_surface(params: RaceParams) -> Surface:
    """The surface named in ``params``; raises ValueError for a rejected custom formula."""
    return make(params.surface, condition=params.condition, angle=params.angle,
                formula=params.formula)


def run(surface: Surface, params: RaceParams, rng: np.random.Generator | None = None, *,
        start=None) -> Iterator[RaceSnapshot]:
    """The module contract: ``surface`` is the data; the race itself uses no randomness."""
    return race(surface, build(params), start, params.steps)
