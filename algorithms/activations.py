"""Activation functions with their derivatives written out, and a small net that shows why.

Every function takes an array of pre-activations z and returns an array of the same shape;
every derivative is the closed form, never a difference quotient. All of them stay finite
for any finite z (sigmoid and softplus at ±1000 included), and none warns on overflow.

GELU comes in two forms. ``GELU`` is the exact z·Φ(z), with Φ the standard normal CDF taken
from the C library's ``erfc`` (accurate to a few units in the last place, checked against
scipy.special.erf); it costs about 0.1 µs per value, some 50 times numpy's tanh.
``GELU (tanh approx.)`` is ½·z·(1 + tanh(√(2/π)·(z + 0.044715·z³))), which is as fast as
tanh and differs from the exact form by at most 4.7·10⁻⁴ (near z = ±2.7).

``run`` fits ŷ(x) = c + Σⱼ vⱼ·f(wⱼ·x + bⱼ), one hidden layer of H units, to a 1-D target
by gradient descent, one update per step: with f linear the sum is always a straight line,
with tanh or ReLU the units bend it. Starting with a large negative bias ("dead" start)
puts every ReLU unit in its flat zone for every example, so its gradient is exactly zero
and it never moves, while leaky ReLU keeps a small slope and recovers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np

from algorithms.base import Snapshot, frozen, num, param, plural, validate
from algorithms.optimizers import OPTIMIZERS, State, Trail

Fn = Callable[[np.ndarray], np.ndarray]

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
GELU_CUBIC = 0.044715
_erfc = np.frompyfunc(math.erfc, 1, 1)


def _arr(z) -> np.ndarray:
    return np.asarray(z, dtype=float)


def _sech2(u: np.ndarray) -> np.ndarray:
    """1/cosh²(u) = 4e/(1 + e)² with e = e^(−2|u|): no overflow, no cancellation."""
    e = np.exp(-2.0 * np.abs(u))
    return 4.0 * e / (1.0 + e) ** 2


# --- the functions and their derivatives -------------------------------------------------

def sigmoid(z) -> np.ndarray:
    """σ(z) = 1/(1 + e^−z), from e^−|z| so neither side overflows."""
    z = _arr(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def sigmoid_derivative(z) -> np.ndarray:
    """σ'(z) = σ(z)·(1 − σ(z)) = e^−|z| / (1 + e^−|z|)², even in z."""
    e = np.exp(-np.abs(_arr(z)))
    return e / (1.0 + e) ** 2


def tanh(z) -> np.ndarray:
    return np.tanh(_arr(z))


def tanh_derivative(z) -> np.ndarray:
    """tanh'(z) = 1 − tanh²(z) = 1/cosh²(z)."""
    return _sech2(_arr(z))


def relu(z) -> np.ndarray:
    return np.maximum(_arr(z), 0.0)


def relu_derivative(z) -> np.ndarray:
    """1 where z > 0, else 0 (0 at the kink z = 0, as scikit-learn takes it)."""
    return (_arr(z) > 0).astype(float)


def leaky_relu(z, slope: float = 0.01) -> np.ndarray:
    z = _arr(z)
    return np.where(z > 0, z, slope * z)


def leaky_relu_derivative(z, slope: float = 0.01) -> np.ndarray:
    return np.where(_arr(z) > 0, 1.0, slope)


def elu(z, alpha: float = 1.0) -> np.ndarray:
    """z for z > 0, α·(e^z − 1) otherwise."""
    z = _arr(z)
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))


def elu_derivative(z, alpha: float = 1.0) -> np.ndarray:
    z = _arr(z)
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))


def normal_cdf(z) -> np.ndarray:
    """Φ(z) = ½·erfc(−z/√2), exact to the C library's erfc (also in the far left tail)."""
    z = _arr(z)
    return 0.5 * _erfc(-z / math.sqrt(2.0)).astype(float).reshape(z.shape)


def normal_pdf(z) -> np.ndarray:
    z = np.clip(_arr(z), -40.0, 40.0)  # φ(40) underflows to 0 anyway; this avoids z² = inf
    return np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)


def gelu(z) -> np.ndarray:
    """GELU(z) = z·Φ(z), the exact form."""
    z = _arr(z)
    return z * normal_cdf(z)


def gelu_derivative(z) -> np.ndarray:
    """GELU'(z) = Φ(z) + z·φ(z)."""
    z = _arr(z)
    return normal_cdf(z) + z * normal_pdf(z)


def gelu_tanh(z) -> np.ndarray:
    """½·z·(1 + tanh(u)), u = √(2/π)·(z + 0.044715·z³)."""
    z = _arr(z)
    zc = np.clip(z, -1e3, 1e3)  # tanh is ±1 long before; keeps z³ finite
    return 0.5 * z * (1.0 + np.tanh(SQRT_2_OVER_PI * (zc + GELU_CUBIC * zc**3)))


def gelu_tanh_derivative(z) -> np.ndarray:
    """½·(1 + tanh u) + ½·z·sech²(u)·√(2/π)·(1 + 3·0.044715·z²)."""
    z = np.clip(_arr(z), -1e3, 1e3)  # beyond, sech²(u) is 0 and the slope exactly 0 or 1
    u = SQRT_2_OVER_PI * (z + GELU_CUBIC * z**3)
    du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_CUBIC * z * z)
    return 0.5 * (1.0 + np.tanh(u)) + 0.5 * z * _sech2(u) * du


def softplus(z) -> np.ndarray:
    """log(1 + e^z), computed as logaddexp(0, z)."""
    return np.logaddexp(0.0, _arr(z))


def softplus_derivative(z) -> np.ndarray:
    return sigmoid(z)


def linear(z) -> np.ndarray:
    return _arr(z).copy()


def linear_derivative(z) -> np.ndarray:
    return np.ones_like(_arr(z))


def _check_temperature(temperature: float) -> float:
    t = float(temperature)
    if not (math.isfinite(t) and t > 0):
        raise ValueError(f"the softmax temperature must be a positive number, got {temperature}")
    return t


def softmax(z, temperature: float = 1.0, axis: int = -1) -> np.ndarray:
    """pᵢ = e^(zᵢ/T) / Σⱼ e^(zⱼ/T), after subtracting the largest z (same result, no overflow).

    As T → 0 it approaches a one-hot vector on the largest logit; as T grows, uniform.
    The classes are moved to the first axis first: numpy reduces a short last axis of many
    rows several times slower (40,000 × 2: ~6 ms against ~0.8 ms).
    """
    t = _check_temperature(temperature)
    zt = np.ascontiguousarray(np.moveaxis(_arr(z), axis, 0))
    e = np.exp((zt - zt.max(axis=0)) / t)
    e /= e.sum(axis=0)
    return np.moveaxis(e, 0, axis)


def softmax_jacobian(z, temperature: float = 1.0) -> np.ndarray:
    """∂pᵢ/∂zⱼ = pᵢ·(δᵢⱼ − pⱼ) / T for one vector of logits z."""
    p = softmax(_arr(z).ravel(), temperature)
    return (np.diag(p) - np.outer(p, p)) / _check_temperature(temperature)


def softmax_backward(z, grad_p, temperature: float = 1.0) -> np.ndarray:
    """∂L/∂z from ∂L/∂p along the last axis: p ⊙ (g − Σ g·p) / T, without the Jacobian."""
    p = softmax(z, temperature)
    g = _arr(grad_p)
    return p * (g - (g * p).sum(axis=-1, keepdims=True)) / _check_temperature(temperature)


# --- the registry the panels and the network use ----------------------------------------

@dataclass(frozen=True)
class Activation:
    """One activation: its value, its derivative and how to write both."""

    name: str
    fn: Fn = field(repr=False)
    derivative: Fn = field(repr=False)
    formula: str
    derivative_formula: str

    def __call__(self, z) -> np.ndarray:
        return self.fn(z)


NAMES = ("sigmoid", "tanh", "ReLU", "leaky ReLU", "ELU", "GELU", "GELU (tanh approx.)",
         "softplus", "linear")


def get(name: str, slope: float = 0.01, alpha: float = 1.0) -> Activation:
    """The activation called ``name``; ``slope`` is leaky ReLU's, ``alpha`` ELU's."""
    table = {
        "sigmoid": (sigmoid, sigmoid_derivative, "σ(z) = 1 / (1 + e⁻ᶻ)",
                    "σ'(z) = σ(z)·(1 − σ(z))"),
        "tanh": (tanh, tanh_derivative, "tanh(z) = (eᶻ − e⁻ᶻ) / (eᶻ + e⁻ᶻ)",
                 "tanh'(z) = 1 − tanh²(z)"),
        "ReLU": (relu, relu_derivative, "ReLU(z) = max(0, z)",
                 "ReLU'(z) = 1 if z > 0, else 0"),
        "leaky ReLU": (lambda z: leaky_relu(z, slope), lambda z: leaky_relu_derivative(z, slope),
                       f"f(z) = z if z > 0, else {slope:g}·z",
                       f"f'(z) = 1 if z > 0, else {slope:g}"),
        "ELU": (lambda z: elu(z, alpha), lambda z: elu_derivative(z, alpha),
                f"f(z) = z if z > 0, else {alpha:g}·(eᶻ − 1)",
                f"f'(z) = 1 if z > 0, else {alpha:g}·eᶻ"),
        "GELU": (gelu, gelu_derivative, "GELU(z) = z·Φ(z)", "GELU'(z) = Φ(z) + z·φ(z)"),
        "GELU (tanh approx.)": (gelu_tanh, gelu_tanh_derivative,
                                "f(z) = ½·z·(1 + tanh(√(2/π)·(z + 0.044715·z³)))",
                                "f'(z) = ½·(1 + tanh u) + ½·z·sech²(u)·u'"),
        "softplus": (softplus, softplus_derivative, "softplus(z) = log(1 + eᶻ)",
                     "softplus'(z) = σ(z)"),
        "linear": (linear, linear_derivative, "f(z) = z", "f'(z) = 1"),
    }
    if name not in table:
        raise ValueError(f"unknown activation {name!r}; choose one of: {', '.join(NAMES)}")
    fn, derivative, formula, derivative_formula = table[name]
    return Activation(name, fn, derivative, formula, derivative_formula)


def flat_zones(activation: Activation, z, threshold: float = 0.05):
    """Where learning stalls, for shading: (dead, saturated) boolean masks over z.

    dead: the slope is exactly 0 (ReLU for z ≤ 0). saturated: the slope is not 0 but below
    ``threshold`` times the steepest slope on z (sigmoid and tanh far from 0).
    """
    slope = np.abs(activation.derivative(_arr(z)))
    dead = slope == 0
    return dead, ~dead & (slope < threshold * slope.max())


# --- the stepwise fit: one hidden layer bending a curve -----------------------------------

TARGETS = ("sine", "absolute value", "step", "parabola", "line")
STARTS = ("random", "dead (large negative bias)")
GRID = 200      # points on which the curve and each unit's contribution are drawn
X_SPAN = 3.0    # generated x lies in [−X_SPAN, X_SPAN]


@dataclass(frozen=True)
class Data:
    target: str = param("sine", values=TARGETS, tip="the curve the network has to draw")
    n_points: int = param(40, limits=(2, 500), step=1, label="examples")
    noise: float = param(0.05, limits=(0.0, 1.0), step=0.01,
                         tip="standard deviation of the noise added to y")


@dataclass(frozen=True)
class Params:
    activation: str = param("tanh", values=NAMES, tip="f in ŷ = c + Σ vⱼ·f(wⱼ·x + bⱼ)")
    slope: float = param(0.01, limits=(0.0, 1.0), step=0.01, label="leaky slope",
                         when=("activation", ("leaky ReLU",)))
    alpha: float = param(1.0, limits=(0.01, 10.0), step=0.1, label="ELU α",
                         when=("activation", ("ELU",)))
    units: int = param(3, limits=(1, 8), step=1, label="hidden units H")
    start: str = param("random", values=STARTS,
                       tip="dead: every bias so negative that w·x + b < 0 for all examples")
    rule: str = param("Adam", values=tuple(OPTIMIZERS), label="update rule")
    lr: float = param(0.05, limits=(1e-4, 5.0), step=0.01, label="learning rate η")
    updates: int = param(1500, limits=(1, 100_000), label="updates")


def make_data(target: str, n: int, noise: float, rng: np.random.Generator):
    """x evenly spread over [−3, 3] (shape (n,)) and y = target(x) + noise·N(0, 1)."""
    curves = {"sine": lambda x: np.sin(1.5 * x), "absolute value": lambda x: np.abs(x) - 1.0,
              "step": lambda x: np.where(x > 0, 1.0, -1.0), "parabola": lambda x: x * x / 3 - 1,
              "line": lambda x: 0.5 * x - 0.25}
    if target not in curves:
        raise ValueError(f"target must be one of {', '.join(TARGETS)}, got {target!r}")
    x = np.linspace(-X_SPAN, X_SPAN, n)
    return x, curves[target](x) + noise * rng.standard_normal(n)


@dataclass(frozen=True, kw_only=True)
class FitStep(Snapshot):
    update: int
    activation: str
    grid: np.ndarray           # (G,) x values where the curves are drawn; the same array always
    curve: np.ndarray          # (G,) ŷ on the grid
    contributions: np.ndarray  # (H, G) vⱼ·f(wⱼ·x + bⱼ); curve = c + their sum over j
    w: np.ndarray              # (H,) input weights
    b: np.ndarray              # (H,) hidden biases
    v: np.ndarray              # (H,) output weights
    c: float                   # output bias
    gradient: dict[str, np.ndarray]   # ∂L/∂w, ∂L/∂b, ∂L/∂v (H,) and ∂L/∂c (1,) at this point
    active: np.ndarray         # (H,) examples on which f'(wⱼ·x + bⱼ) ≠ 0
    dead: np.ndarray           # (H,) bool: f' = 0 on every example, so ∂L/∂wⱼ = ∂L/∂bⱼ = 0
    negative: np.ndarray       # (H,) bool: wⱼ·x + bⱼ ≤ 0 on every example (dead for ReLU)
    loss: float                # ½·mean((ŷ − y)²)
    losses: np.ndarray         # loss at the start and after every update so far


def _unpack(theta: np.ndarray, h: int):
    return theta[:h], theta[h:2 * h], theta[2 * h:3 * h], float(theta[3 * h])


def _forward(act: Activation, theta, x):
    w, b, v, c = _unpack(theta, len(theta) // 3)
    z = x[:, None] * w + b
    return z, act(z), c + act(z) @ v


def _gradient(act: Activation, theta, x, y):
    """∂L/∂(w, b, v, c) of L = ½·mean(r²), r = ŷ − y, by the chain rule."""
    h = len(theta) // 3
    w, b, v, _ = _unpack(theta, h)
    z = x[:, None] * w + b
    a = act(z)
    r = a @ v + theta[3 * h] - y
    dz = r[:, None] * v * act.derivative(z)        # ∂L/∂z per example, before the mean
    n = len(x)
    return np.concatenate([x @ dz / n, dz.sum(0) / n, r @ a / n, [r.sum() / n]])


def _initial(params: Params, x, rng) -> np.ndarray:
    h = params.units
    w = rng.standard_normal(h) * 1.5
    v = rng.standard_normal(h) / math.sqrt(h)
    if params.start == STARTS[1]:
        b = -(np.abs(w) * np.abs(x).max() + 1.0)   # w·x + b ≤ −1 for every example
    else:
        b = rng.uniform(-1.0, 1.0, h) * np.abs(w) * np.abs(x).max()  # kinks inside the data
    return np.concatenate([w, b, v, [0.0]])


def _units(idx) -> str:
    return ", ".join(str(i + 1) for i in idx)


def run(x, y, params: Params, rng: np.random.Generator) -> Iterator[FitStep]:
    """Yield the start, then one snapshot per update of all 3H + 1 parameters."""
    validate(params)
    x, y = _arr(x).ravel(), _arr(y).ravel()
    if len(x) != len(y) or len(x) < 2:
        raise ValueError(f"x and y need the same length, at least 2; got {len(x)} and {len(y)}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("x and y contain NaN or infinite values")
    if np.ptp(x) == 0:
        raise ValueError("all x values are equal: there is no curve to fit")
    if max(np.abs(x).max(), np.abs(y).max()) > 1e100:
        raise ValueError("values above 1e100 would overflow the squared loss; rescale the data")
    act = get(params.activation, params.slope, params.alpha)
    h, n = params.units, len(x)
    lo, hi = x.min(), x.max()
    pad = 0.1 * (hi - lo)
    grid = frozen(np.linspace(lo - pad, hi + pad, GRID))
    opt = OPTIMIZERS[params.rule](params.lr)
    state: State = opt.init(_initial(params, x, rng))
    grad = frozen(_gradient(act, state.x, x, y))
    losses = Trail(_loss(act, state.x, x, y))
    limit = 1e6 * max(losses.view()[0], float(np.mean((y - y.mean()) ** 2)), 1e-12)

    def snap(k, phase, describe):
        """The snapshot after k updates; ``describe`` writes its caption from its fields."""
        w, b, v, c = _unpack(state.x, h)
        z, _, _ = _forward(act, state.x, x)
        active = (act.derivative(z) != 0).sum(0)
        parts = v[:, None] * act(grid[None, :] * w[:, None] + b[:, None])
        loss = float(losses.view()[-1])
        fields = dict(
            update=k, activation=act.name, grid=grid, curve=frozen(c + parts.sum(0)),
            contributions=frozen(parts), w=w, b=b, v=v, c=c,
            gradient={"w": grad[:h], "b": grad[h:2 * h], "v": grad[2 * h:3 * h],
                      "c": grad[3 * h:]},
            active=frozen(active), dead=frozen(active == 0),
            negative=frozen((z <= 0).all(0)), loss=loss, losses=losses.view())
        return FitStep(index=k, phase=phase, caption=describe(SimpleNamespace(**fields)),
                       metrics={"update": k, "loss": loss,
                                "dead units": int((active == 0).sum())}, **fields)

    yield snap(0, "start", lambda s: _start_caption(act, s, n))
    for k in range(1, params.updates + 1):
        with np.errstate(all="ignore"):
            new, _ = opt.step(state, lambda _t, g=grad: g)
            new_loss = _loss(act, new.x, x, y)
        if not (np.isfinite(new.x).all() and math.isfinite(new_loss) and new_loss <= limit):
            yield snap(k, "diverged", lambda _s, k=k, bad=new_loss: (
                f"Update {k}: the loss blew up to {num(bad)} — the learning rate is too "
                f"large; stopped."))
            return
        state = new
        losses.append(new_loss)
        grad = frozen(_gradient(act, state.x, x, y))
        before = float(losses.view()[-2])
        yield snap(k, "done" if k == params.updates else "update",
                   lambda s, before=before: _update_caption(act, s, opt.name, params.lr, n,
                                                            before))


def _loss(act, theta, x, y) -> float:
    return float(0.5 * np.mean((_forward(act, theta, x)[2] - y) ** 2))


def _start_caption(act: Activation, s, n: int) -> str:
    h = len(s.w)
    text = (f"Start: ŷ = c + Σ vⱼ·f(wⱼ·x + bⱼ) with {plural(h, act.name + ' unit')}, "
            f"loss ½·mean((ŷ − y)²) = {num(s.loss)} over {plural(n, 'example')}.")
    return text + _dead_note(act, s, n)


def _update_caption(act, s, rule, lr, n, before) -> str:
    text = (f"Update {s.update} ({rule}, η = {num(lr)}): loss {num(before)} → {num(s.loss)}.")
    if act.name == "linear":
        slope = float(s.v @ s.w)
        icept = s.c + float(s.v @ s.b)
        sign = "−" if icept < 0 else "+"
        text += (f" A linear f keeps ŷ a straight line: ŷ = Σ vⱼwⱼ·x + (c + Σ vⱼbⱼ) = "
                 f"{num(slope, 3)}·x {sign} {num(abs(icept), 3)}.")
    return text + _dead_note(act, s, n)


LEAKY = ("leaky ReLU", "ELU", "GELU", "GELU (tanh approx.)", "softplus")  # ReLU, not flat


def _dead_note(act: Activation, s, n: int) -> str:
    dead = np.flatnonzero(s.dead)
    if len(dead):
        one = len(dead) == 1
        return (f" {act.name} {'unit' if one else 'units'} {_units(dead)}: f'(w·x + b) = 0 on "
                f"all {plural(n, 'example')}, so ∂L/∂w = ∂L/∂b = 0 exactly — "
                f"{'it' if one else 'they'} will never move.")
    low = np.flatnonzero(s.negative)
    if len(low) and act.name in LEAKY:
        j = int(low[0])
        return (f" w·x + b < 0 on every example for {'unit' if len(low) == 1 else 'units'} "
                f"{_units(low)}, but f' is not 0 there: unit {j + 1} still gets "
                f"∂L/∂b = {num(s.gradient['b'][j], 3)}, so it can recover.")
    return ""
