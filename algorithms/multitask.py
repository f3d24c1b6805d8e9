"""Multi-task learning: hard and soft parameter sharing beside two separate networks.

Two regression tasks share their inputs: task 1 is y₁ = sin(x) + noise, task 2 is
y₂ = sin(x + φ) + noise (the phase φ says how related they are), with few training points,
so a network that sees both tasks' data has more to learn its features from.

Each network has one tanh hidden layer (the *tower* or *trunk*: W₁, b₁) and a linear output
layer (the *head*: W₂, b₂), built from the layers in ``algorithms.network.layers``.

- **hard sharing**: one trunk, two heads — one 1-h-2 network whose two outputs are the
  two tasks. Its loss is MSE₁ + MSE₂, so the trunk's gradient is the sum of what each head
  sends back.
- **soft sharing**: two towers, each with its own head, and the loss
  MSE₁(A) + MSE₂(B) + λ·Σ‖θ_A − θ_B‖² over corresponding tower parameters (W₁ and b₁).
  λ = 0 is two separate networks; as λ grows the towers are pulled together, and in the
  limit they are one trunk: hard sharing.
- **separate**: two 1-h-1 networks trained each on its own task, from the same start as
  soft sharing's towers (same seeds), so at λ = 0 the two set-ups move identically.

All three are trained side by side with the same update rule; one step is one full-batch
update of all three. MSE is the mean squared error mean (ŷ − y)² over the points.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from algorithms.base import Snapshot, frozen, num, param, plural, validate
from algorithms.network.layers import Layout, Spec, forward, full_pass, init_weights
from algorithms.optimizers import OPTIMIZERS, Trail

SETUPS = ("hard", "soft", "separate")
NAMES = {"hard": "hard sharing", "soft": "soft sharing", "separate": "separate"}
# the λ values of the sweep run at the end (the chosen λ is added to them)
SWEEP = (0.0, 0.001, 0.01, 0.1, 1.0, 10.0)
# columns of each set-up's history row
COLUMNS = ("train 1", "train 2", "val 1", "val 2")
LARGEST = 1e6  # inputs and targets beyond ±LARGEST are refused (squares would overflow)


@dataclass(frozen=True)
class Params:
    lam: float = param(0.1, limits=(0.0, 1000.0), step=0.01, label="λ (soft sharing)",
                       tip="strength of the penalty λ·Σ‖θ_A − θ_B‖² between the towers")
    hidden: int = param(16, limits=(1, 64), step=1, label="hidden units",
                        tip="units in each network's tanh hidden layer")
    rule: str = param("Adam", values=tuple(OPTIMIZERS), label="update rule")
    lr: float = param(0.01, limits=(1e-5, 1.0), step=0.001, label="learning rate η")
    updates: int = param(600, limits=(1, 100_000), step=50, label="updates")
    sweep: bool = param(True, label="λ sweep",
                        tip="also train soft sharing for several λ values alongside, to "
                            "show its towers' distance and validation loss as λ grows")


@dataclass(frozen=True)
class Tasks:
    """Two targets for the same inputs: training and validation points."""

    x_train: np.ndarray   # (n,) inputs
    y_train: np.ndarray   # (n, 2) task 1 and task 2 targets
    x_val: np.ndarray     # (m,)
    y_val: np.ndarray     # (m, 2)


def make_tasks(n_train: int, n_val: int, noise: float, phase: float,
               rng: np.random.Generator) -> Tasks:
    """x uniform on [−π, π]; y₁ = sin x + ε, y₂ = sin(x + phase) + ε, ε ~ N(0, noise²)."""
    def draw(n):
        x = np.sort(rng.uniform(-np.pi, np.pi, n))
        y = np.column_stack([np.sin(x), np.sin(x + phase)]) + noise * rng.standard_normal((n, 2))
        return x, y

    x_train, y_train = draw(n_train)
    x_val, y_val = draw(n_val)
    return check_tasks(x_train, y_train, x_val, y_val)


def check_tasks(x_train, y_train, x_val, y_val) -> Tasks:
    """Validate and freeze the data, or raise ValueError with one sentence."""
    parts = []
    for what, x, y in (("training", x_train, y_train), ("validation", x_val, y_val)):
        x, y = np.asarray(x, float), np.asarray(y, float)
        if x.ndim != 1 or y.shape != (len(x), 2):
            raise ValueError(f"the {what} data needs one input and two targets per point, "
                             f"got inputs of shape {x.shape} and targets of shape {y.shape}")
        if len(x) < 2:
            raise ValueError(f"the {what} data needs at least 2 points, got {len(x)}")
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise ValueError(f"the {what} data has missing or infinite values")
        if max(np.abs(x).max(), np.abs(y).max()) > LARGEST:
            raise ValueError(f"the {what} data has values beyond ±{LARGEST:g}; rescale it first")
        parts += [frozen(x), frozen(y)]
    return Tasks(*parts)


# --- the three set-ups ----------------------------------------------------------------------

def single_spec(hidden: int) -> Spec:
    return Spec((1, hidden, 1), hidden="tanh", loss="mse", output="linear")


def shared_spec(hidden: int) -> Spec:
    return Spec((1, hidden, 2), hidden="tanh", loss="mse", output="linear")


def tower_size(hidden: int) -> int:
    """W₁ (1 × h) and b₁ (h) sit first in a flat parameter vector."""
    return 2 * hidden


def mse_and_gradient(spec: Spec, theta: np.ndarray, x: np.ndarray, y: np.ndarray):
    """Mean over points of Σ_outputs (ŷ − y)², and its gradient (flat, like theta).

    The layers' squared-error loss is ½·Σ (ŷ − y)² with gradients of its mean, so both
    are doubled."""
    layout = Layout(spec.sizes)
    ws, bs = layout.unflatten(theta)
    p = full_pass(spec, ws, bs, x[:, None], y.reshape(len(x), -1))
    return 2.0 * float(p.loss.mean()), 2.0 * layout.flatten(p.dw, p.db)


def predict(spec: Spec, theta: np.ndarray, x) -> np.ndarray:
    """Outputs (n, outputs) of a network for inputs x (n,)."""
    ws, bs = Layout(spec.sizes).unflatten(theta)
    with np.errstate(all="ignore"):
        return forward(spec, ws, bs, np.asarray(x, float)[:, None])[1][-1]


def split(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A two-network vector (soft or separate) as network A's and network B's parameters."""
    half = len(theta) // 2
    return theta[:half], theta[half:]


def distance(theta: np.ndarray, hidden: int) -> float:
    """‖θ_A − θ_B‖ over the towers (W₁ and b₁) of a two-network vector."""
    a, b = split(theta)
    t = tower_size(hidden)
    with np.errstate(all="ignore"):
        return float(np.sqrt(np.sum((a[:t] - b[:t]) ** 2)))


def two_nets(theta: np.ndarray, tasks_x, tasks_y, hidden: int, lam: float):
    """Soft sharing's objective MSE₁(A) + MSE₂(B) + λ·Σ‖tower_A − tower_B‖² and its
    gradient; λ = 0 is the two separate networks. Returns (objective, (mse₁, mse₂), grad)."""
    spec = single_spec(hidden)
    a, b = split(theta)
    l1, g1 = mse_and_gradient(spec, a, tasks_x, tasks_y[:, 0])
    l2, g2 = mse_and_gradient(spec, b, tasks_x, tasks_y[:, 1])
    t = tower_size(hidden)
    diff = a[:t] - b[:t]
    g1[:t] += 2.0 * lam * diff
    g2[:t] -= 2.0 * lam * diff
    objective = l1 + l2 + lam * float(np.sum(diff * diff))
    return objective, (l1, l2), np.concatenate([g1, g2])


def hard(theta: np.ndarray, tasks_x, tasks_y, hidden: int):
    """Hard sharing's objective MSE₁ + MSE₂ (one trunk, two heads) and its gradient."""
    spec = shared_spec(hidden)
    ws, bs = Layout(spec.sizes).unflatten(theta)
    p = full_pass(spec, ws, bs, tasks_x[:, None], tasks_y)
    per_task = np.mean((p.a[-1] - tasks_y) ** 2, axis=0)
    grad = 2.0 * Layout(spec.sizes).flatten(p.dw, p.db)
    return float(per_task.sum()), (float(per_task[0]), float(per_task[1])), grad


def task_losses(name: str, theta: np.ndarray, x, y, hidden: int) -> tuple[float, float]:
    """Each task's MSE of one set-up on points (x, y)."""
    pred = outputs(name, theta, x, hidden)
    with np.errstate(all="ignore"):
        mse = np.mean((pred - y) ** 2, axis=0)
    return float(mse[0]), float(mse[1])


def outputs(name: str, theta: np.ndarray, x, hidden: int) -> np.ndarray:
    """(n, 2): a set-up's prediction for task 1 and task 2 at inputs x."""
    if name == "hard":
        return predict(shared_spec(hidden), theta, x)
    a, b = split(theta)
    spec = single_spec(hidden)
    return np.column_stack([predict(spec, a, x)[:, 0], predict(spec, b, x)[:, 0]])


def hard_from(theta_ab: np.ndarray, hidden: int) -> np.ndarray:
    """Hard sharing's start: network A's tower as the trunk, A's and B's heads."""
    a, b = split(theta_ab)
    t = tower_size(hidden)
    h = hidden
    # A's head: W₂ (h × 1) then b₂ (1); the shared layout wants W₂ (h × 2) then b₂ (2)
    w2 = np.column_stack([a[t:t + h], b[t:t + h]]).ravel()
    return np.concatenate([a[:t], w2, [a[t + h], b[t + h]]])


def objective(name: str, theta, x, y, hidden: int, lam: float):
    """Hard sharing's objective, or two networks' with penalty λ (0 for separate ones)."""
    if name == "hard":
        return hard(theta, x, y, hidden)
    return two_nets(theta, x, y, hidden, lam)


# --- stepping -------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Setup:
    """One set-up at a snapshot (arrays read-only)."""

    name: str
    theta: np.ndarray         # flat parameters: hard 1-h-2; soft/separate A then B (1-h-1)
    hidden: int
    history: np.ndarray       # (k + 1, 4): train 1, train 2, val 1, val 2 (MSE) per update
    diverged: bool

    def outputs(self, x) -> np.ndarray:
        """(n, 2) predictions for both tasks: what the panel draws as fits."""
        return outputs(self.name, self.theta, x, self.hidden)


@dataclass(frozen=True, kw_only=True)
class Sweep:
    """Soft sharing trained for each λ alongside, same start, same number of updates."""

    lams: np.ndarray          # (s,) ascending
    distances: np.ndarray     # (s,) towers' distance after training
    val: np.ndarray           # (s, 2) each task's validation MSE


@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    update: int                       # updates done by each set-up (0 at the start)
    lam: float
    setups: Mapping[str, Setup]
    distances: np.ndarray             # (k + 1, 2): soft's and separate's towers' distance
    sweep: Sweep | None = None        # soft sharing at every λ of the sweep, when asked for


class _Lane:
    """One set-up being trained: its optimizer state, history and whether it still runs."""

    def __init__(self, params: Params, tasks: Tasks, theta0: np.ndarray, name: str, lam: float):
        self.opt = OPTIMIZERS[params.rule](lr=params.lr)
        self.state = self.opt.init(theta0)
        self.name, self.lam, self.tasks, self.h = name, lam, tasks, params.hidden
        self.alive = True
        self.trail = Trail(self.row())

    @property
    def theta(self) -> np.ndarray:
        return self.state.x

    def row(self) -> np.ndarray:
        """Train 1, train 2, val 1, val 2 MSE now."""
        t = self.tasks
        return np.array(task_losses(self.name, self.theta, t.x_train, t.y_train, self.h)
                        + task_losses(self.name, self.theta, t.x_val, t.y_val, self.h))

    def update(self) -> None:
        if not self.alive:
            return
        x, y = self.tasks.x_train, self.tasks.y_train
        with np.errstate(all="ignore"):
            self.state, _ = self.opt.step(
                self.state, lambda th: objective(self.name, th, x, y, self.h, self.lam)[2])
        row = self.row()
        self.alive = bool(np.isfinite(row).all())  # a non-finite weight makes it NaN too
        self.trail.append(row if self.alive else np.full(len(COLUMNS), np.nan))

    def distance(self) -> float:
        return distance(self.theta, self.h) if self.alive else np.nan


def run(tasks: Tasks, params: Params, rng: np.random.Generator) -> Iterator[Step]:
    """Yield the start, then one snapshot per update of all three set-ups.

    With ``params.sweep``, soft sharing is also trained for every λ of SWEEP, side by side
    (same start, same updates), so each snapshot carries the distance and validation
    losses as λ grows, after as many updates as the main set-ups."""
    validate(params)
    tasks = check_tasks(tasks.x_train, tasks.y_train, tasks.x_val, tasks.y_val)
    h = params.hidden
    rng_a, rng_b = rng.spawn(2)
    spec = single_spec(h)
    ab = frozen(np.concatenate([init_weights(spec, "Glorot uniform", rng_a),
                                init_weights(spec, "Glorot uniform", rng_b)]))
    lanes = {"hard": _Lane(params, tasks, hard_from(ab, h), "hard", 0.0),
             "soft": _Lane(params, tasks, ab, "soft", params.lam),
             "separate": _Lane(params, tasks, ab, "separate", 0.0)}
    sweep = {}
    if params.sweep:
        # λ = 0 is the separate networks, the chosen λ is soft sharing itself
        reuse = {0.0: lanes["separate"], params.lam: lanes["soft"]}
        sweep = {lam: reuse.get(lam) or _Lane(params, tasks, ab, "soft", lam)
                 for lam in sorted(set(SWEEP) | {params.lam})}
    dist = Trail([lanes["soft"].distance(), lanes["separate"].distance()])
    n = len(tasks.x_train)
    intro = (f"Two tasks on the same {plural(n, 'training point')}: y₁ = sin x and "
             f"y₂ = sin(x + φ), plus noise. Three set-ups of 1-{h}-1 tanh networks start "
             f"from the same weights: hard sharing (one trunk, two heads), soft sharing "
             f"(two towers, penalty λ·Σ‖θ_A − θ_B‖² with λ = {num(params.lam)}) and two "
             f"separate networks; each update is one {params.rule} step (η = "
             f"{num(params.lr)}) of all three on both tasks.")
    yield _snapshot(0, "start", params, lanes, dist, sweep, intro)
    for k in range(1, params.updates + 1):
        for lane in {id(x): x for x in (*lanes.values(), *sweep.values())}.values():
            lane.update()
        dist.append([lanes["soft"].distance(), lanes["separate"].distance()])
        done = k == params.updates or not any(lane.alive for lane in lanes.values())
        view = _sweep_view(sweep)
        caption = _caption(k, params, lanes, dist, view if done else None)
        yield _snapshot(k, "done" if done else "update", params, lanes, dist, sweep, caption)
        if done:
            return


def _sweep_view(sweep) -> Sweep | None:
    if not sweep:
        return None
    lams = np.array(list(sweep))
    return Sweep(lams=frozen(lams), distances=frozen([ln.distance() for ln in sweep.values()]),
                 val=frozen([ln.trail.view()[-1][2:] for ln in sweep.values()]))


def _caption(k, params, lanes, dist, sweep) -> str:
    d_soft, d_sep = dist.view()[-1]
    lines = [f"Update {k} of {params.updates} for all three set-ups (validation MSE, task 1 "
             f"and task 2):"]
    for name in SETUPS:
        row = lanes[name].trail.view()[-1]
        tail = "" if lanes[name].alive else " — diverged, stopped"
        lines.append(f"{NAMES[name]}: {num(row[2])} and {num(row[3])} (training "
                     f"{num(row[0])} and {num(row[1])}){tail}")
    lines.append(f"Towers' distance ‖θ_A − θ_B‖: soft sharing {num(d_soft)}, separate "
                 f"networks {num(d_sep)}; hard sharing has one trunk (distance 0).")
    if sweep is not None:
        best = int(np.nanargmin(sweep.val.sum(1))) if np.isfinite(sweep.val).any() else None
        where = ("" if best is None else
                 f"; the lowest validation MSE (sum of both tasks) was at λ = "
                 f"{num(sweep.lams[best])}")
        lines.append(f"λ sweep: soft sharing trained for {plural(len(sweep.lams), 'λ value')} "
                     f"from {num(sweep.lams[0])} to {num(sweep.lams[-1])}; the towers' "
                     f"distance went from {num(sweep.distances[0])} to "
                     f"{num(sweep.distances[-1])}{where}.")
    return "\n".join(lines)


def _snapshot(k, phase, params, lanes, dist, sweep, caption) -> Step:
    setups = {name: Setup(name=name, theta=lanes[name].theta, hidden=params.hidden,
                          history=lanes[name].trail.view(), diverged=not lanes[name].alive)
              for name in SETUPS}
    metrics = {}
    for name in SETUPS:
        row = lanes[name].trail.view()[-1]
        for col, value in zip(COLUMNS, row, strict=True):
            if np.isfinite(value):
                metrics[f"{name} {col}"] = float(value)
    d = dist.view()[-1]
    if np.isfinite(d[0]):
        metrics["soft distance"] = float(d[0])
    return Step(index=k, phase=phase, caption=caption, metrics=metrics, update=k,
                lam=params.lam, setups=MappingProxyType(setups), distances=dist.view(),
                sweep=_sweep_view(sweep))
