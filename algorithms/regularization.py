"""Regularisation: ridge (L2) and lasso (L1) shrinking a high-degree polynomial.

Both add a penalty on the coefficients (never on the intercept) to the training error,
with scikit-learn's scaling, so λ here is scikit-learn's ``alpha``:

* ridge:  ‖y − Xw‖² + λ·Σ w_k², solved in closed form, (XᵀX + λD)⁻¹Xᵀy;
* lasso:  ‖y − Xw‖² / (2n) + λ·Σ |w_k|, solved by coordinate descent: each update sets one
  coefficient to S(ρ, λ)/z, where ρ is how much that feature alone would explain of what the
  others leave, z its mean square, and S the soft threshold: |ρ| ≤ λ gives exactly 0.

The run shows the unpenalised fit, then the penalised one (lasso: one coordinate update or
one sweep per step), then the coefficient paths over a grid of λ. The classic picture — the
loss contours meeting the L2 circle or the L1 diamond — needs two coefficients, so it is
drawn for y ≈ b + w₁·u + w₂·v with u = x′, v = x′² (x′ = x mapped to [0, 1], both features
standardised over the training points): two strongly correlated features, whose tilted
elliptic contours touch the diamond at a corner more often than not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from algorithms import polyfit
from algorithms.base import Snapshot, frozen, num, param, plural, validate
from algorithms.polyfit import LassoCD, Problem

PENALTIES = ("ridge", "lasso")
UPDATES = ("sweep", "coordinate")
PICTURE_GRID = 121


@dataclass(frozen=True)
class Params:
    penalty: str = param("lasso", values=PENALTIES,
                         tip="ridge (L2): λ·Σw² shrinks every coefficient; lasso (L1): "
                             "λ·Σ|w| sets some exactly to 0")
    lam: float = param(0.01, limits=(0.0, 1e4), step=0.001, label="λ",
                       tip="penalty strength, as scikit-learn's alpha (ridge: added to "
                           "‖y − Xw‖²; lasso: added to ‖y − Xw‖²/2n)")
    degree: int = param(12, limits=(1, polyfit.MAX_DEGREE))
    update: str = param("sweep", values=UPDATES, label="one lasso step is",
                        when=("penalty", ("lasso",)),
                        tip="sweep: every coefficient updated once; coordinate: one update")
    max_sweeps: int = param(200, limits=(1, 10_000), label="most sweeps",
                            when=("penalty", ("lasso",)))
    tol: float = param(1e-8, limits=(0.0, 1.0), step=1e-8, label="tolerance",
                       when=("penalty", ("lasso",)),
                       tip="stop when no coefficient moves more than this in a sweep")
    path_points: int = param(30, limits=(5, 200), label="λ values on the path")


@dataclass(frozen=True, kw_only=True)
class Picture:
    """Loss contours of the 2-coefficient model and the penalty's boundary through its
    solution. ``loss[i, j]`` is the training MSE (intercept at its best) at
    (w1[j], w2[i])."""

    penalty: str
    lam: float
    w1: np.ndarray
    w2: np.ndarray
    loss: np.ndarray
    levels: np.ndarray            # contour levels, increasing; ``touch`` is one of them
    touch: float                  # the level through the solution
    least_squares: np.ndarray     # (2,) the unpenalised minimum, the contours' centre
    solution: np.ndarray          # (2,) the penalised solution
    budget: float                 # ‖solution‖₂ (ridge) or ‖solution‖₁ (lasso)
    boundary: np.ndarray          # (m, 2) closed polyline: circle or diamond of that size
    trail: np.ndarray             # (k, 2) lasso: every coordinate update from 0; ridge: 0→w
    level_lines: np.ndarray       # (2, m) x and y of the contours at ``levels``, NaN between
    touch_line: np.ndarray        # (2, m) the contour at ``touch``


@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    penalty: str
    lam: float
    degree: int
    coefficients: np.ndarray          # (degree + 1,) Legendre coefficients, intercept first
    curve: np.ndarray                 # (GRID,) their fit on problem.grid
    least_squares: np.ndarray         # unpenalised coefficients (shared)
    least_squares_curve: np.ndarray   # (GRID,) (shared)
    train_error: float                # training MSE of ``coefficients``
    val_error: float                  # validation MSE
    zeros: np.ndarray                 # (degree + 1,) bool: penalised coefficient exactly 0
    coordinate: int                   # lasso "coordinate" step: the one updated (1 …), else 0
    rho: float                        # its ρ (nan when no single update is shown)
    sweep: int                        # lasso sweeps begun so far
    objective: float                  # the penalised objective at ``coefficients``
    path_lams: np.ndarray             # λ grid, increasing (empty until the "path" step)
    path_coefficients: np.ndarray     # (len(path_lams), degree + 1)
    path_train: np.ndarray            # training MSE along the path
    path_val: np.ndarray              # validation MSE along the path
    picture: Picture                  # the 2-coefficient picture (shared by every step)


EMPTY = frozen(np.zeros(0))


def objective(penalty: str, X, y, w, lam: float) -> float:
    r = np.asarray(y) - np.asarray(X) @ np.asarray(w)
    if penalty == "ridge":
        return float(r @ r + lam * np.sum(np.asarray(w)[1:] ** 2))
    return float(r @ r / (2 * len(r)) + lam * np.sum(np.abs(np.asarray(w)[1:])))


def lam_grid(penalty: str, X, y, count: int) -> np.ndarray:
    """Increasing λ values from barely any shrinking to (nearly) all of it.

    lasso: λ_max·10^[−4 … 0], λ_max the smallest λ that zeroes every coefficient;
    ridge: s·10^[−6 … 2], s the mean squared column norm of XᵀX (about n here).
    """
    if penalty == "lasso":
        top = polyfit.lasso_max(X, y)
        return (top if top > 0 else 1.0) * np.logspace(-4, 0, count)
    scale = float(np.mean(np.sum(np.asarray(X)[:, 1:] ** 2, axis=0)))
    return scale * np.logspace(-6, 2, count)


def path(penalty: str, X, y, lams) -> np.ndarray:
    """Coefficients at each λ: ridge by its closed form, lasso by ``lasso_path``."""
    if penalty == "lasso":
        return lasso_path(X, y, lams)
    return ridge_path(X, y, lams)


def ridge_path(X, y, lams) -> np.ndarray:
    """Ridge coefficients (intercept first) at every λ from one SVD.

    Column 0 is the constant feature, never penalised: on centred columns Xc = U·S·Vᵀ the
    penalised coefficients are V·diag(s / (s² + λ))·Uᵀ(y − ȳ), and the intercept makes the
    residuals average to zero — the closed form (XᵀX + λD)⁻¹Xᵀy at every λ for the price of
    one decomposition (λ = 0: the minimum-norm least squares).
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    lams = np.asarray(lams, dtype=float)
    x_mean, y_mean = X[:, 1:].mean(0), float(y.mean())
    U, s, Vt = np.linalg.svd(X[:, 1:] - x_mean, full_matrices=False)
    uy = U.T @ (y - y_mean)
    keep = s > s.max(initial=0.0) * max(X.shape) * np.finfo(float).eps
    with np.errstate(divide="ignore", invalid="ignore"):
        shrink = np.where(keep, s / (s * s + lams[:, None]), 0.0)   # (len(lams), rank)
    w = (shrink * uy) @ Vt
    return np.column_stack([y_mean - w @ x_mean, w])


def lasso_breakpoints(X, y, lam_min: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The exact lasso path by homotopy: (λ at each breakpoint, decreasing; the penalised
    coefficients there). Between two breakpoints the coefficients are linear in λ.

    From λ_max down, the non-zero set A and its signs s stay fixed between events, where the
    optimality equations G_AA·w_A = c_A − λ·s_A make w_A = a − λ·b. An event is a zero
    coefficient whose correlation |c_j − G_jA·w_A| grows to λ (it joins A) or a coefficient
    of A that reaches 0 (it leaves). The walk stops at lam_min, or early if G_AA becomes
    singular (more non-zero coefficients than the points can determine).
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    n = len(y)
    Xc = X[:, 1:] - X[:, 1:].mean(0)
    G, c = Xc.T @ Xc / n, Xc.T @ (y - y.mean()) / n
    p = len(c)
    lam = float(np.abs(c).max(initial=0.0))
    w = np.zeros(p)
    lams, ws = [lam], [w.copy()]
    if lam == 0.0:
        return np.array(lams), np.array(ws)
    active = [int(np.argmax(np.abs(c)))]
    signs = [float(np.sign(c[active[0]]))]
    while lam > lam_min:
        A = np.array(active)
        try:
            a = np.linalg.solve(G[np.ix_(A, A)], c[A])
            b = np.linalg.solve(G[np.ix_(A, A)], np.array(signs))
        except np.linalg.LinAlgError:
            break
        below = lam * (1 - 1e-12)
        best, event = lam_min, None
        rest = np.setdiff1d(np.arange(p), A)
        e = c[rest] - G[np.ix_(rest, A)] @ a
        f = G[np.ix_(rest, A)] @ b
        with np.errstate(divide="ignore", invalid="ignore"):
            for side in (1.0, -1.0):
                hits = e / (side - f)
                for j, hit in zip(rest, hits, strict=True):
                    if best < hit < below:
                        best, event = float(hit), ("join", int(j), side)
            leaves = a / b
        for i, hit in enumerate(leaves):
            if best < hit < below:
                best, event = float(hit), ("leave", i, 0.0)
        lam = best
        w = np.zeros(p)
        w[A] = a - lam * b
        if event is not None and event[0] == "leave":
            w[A[event[1]]] = 0.0
            del active[event[1]], signs[event[1]]
        elif event is not None:
            active.append(event[1])
            signs.append(event[2])
        lams.append(lam)
        ws.append(w.copy())
        if event is None or not active:
            break
    return np.array(lams), np.array(ws)


def lasso_path(X, y, lams) -> np.ndarray:
    """Full lasso coefficients (intercept first) at each λ, exact between breakpoints.

    Any λ below where the homotopy had to stop is solved by coordinate descent, started
    from the last breakpoint.
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    lams = np.asarray(lams, dtype=float)
    knots, ws = lasso_breakpoints(X, y, float(lams.min(initial=0.0)))
    out = np.empty((len(lams), X.shape[1]))
    x_mean, y_mean = X[:, 1:].mean(0), float(y.mean())
    for i, lam in enumerate(lams):
        if lam >= knots[0]:
            w = ws[0]
        elif lam >= knots[-1]:
            k = int(np.searchsorted(-knots, -lam))        # knots[k - 1] > lam ≥ knots[k]
            t = (knots[k - 1] - lam) / (knots[k - 1] - knots[k])
            w = ws[k - 1] + t * (ws[k] - ws[k - 1])
        else:
            start = np.concatenate([[0.0], ws[-1]])
            out[i] = polyfit.lasso(X, y, lam, w=start, max_sweeps=2000)
            continue
        out[i] = np.concatenate([[y_mean - x_mean @ w], w])
    return out


# --- the 2-coefficient picture -----------------------------------------------------------
def two_features(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """Centred, standardised (u, v) = (x′, x′²) of the training points, and centred y."""
    lo, hi = problem.domain
    u = (problem.x[problem.train] - lo) / (hi - lo)
    F = np.column_stack([u, u * u])
    F = F - F.mean(0)
    std = F.std(0)
    F = F / np.where(std > 0, std, 1.0)
    y = problem.y[problem.train]
    return F, y - y.mean()


def picture(problem: Problem, penalty: str, lam: float, size: int = PICTURE_GRID) -> Picture:
    F, yc = two_features(problem)
    n = len(yc)
    ls = polyfit.lstsq(F, yc)
    if penalty == "ridge":
        w = polyfit.ridge(np.column_stack([np.ones(n), F]), yc, lam)[1:]
        trail = np.array([[0.0, 0.0], w])
        budget = float(np.hypot(*w))
        angles = np.linspace(0.0, 2 * np.pi, 129)
        boundary = budget * np.column_stack([np.cos(angles), np.sin(angles)])
    else:
        cd = LassoCD(np.column_stack([np.ones(n), F]), yc, lam)
        w = np.array(_lasso_trail_2d(cd.G.tolist(), cd.c.tolist(), cd.lam))
        trail, w = w, w[-1].copy()
        budget = float(np.abs(w).sum())
        boundary = budget * np.array([[1, 0], [0, 1], [-1, 0], [0, -1], [1, 0]], dtype=float)
    corners = np.vstack([[0.0, 0.0], ls, w, boundary])
    centre = (corners.max(0) + corners.min(0)) / 2
    half = max(float((corners.max(0) - corners.min(0)).max()) * 0.65, 1e-3)
    w1 = np.linspace(centre[0] - half, centre[0] + half, size)
    w2 = np.linspace(centre[1] - half, centre[1] + half, size)
    # mean((yc − Fw)²) expands into the few moments of F and yc: no pass over the points
    G, c, m0 = F.T @ F / n, F.T @ yc / n, float(yc @ yc / n)
    A, B = np.meshgrid(w1, w2)
    loss = m0 - 2 * (c[0] * A + c[1] * B) + G[0, 0] * A * A + 2 * G[0, 1] * A * B + G[1, 1] * B * B
    floor = float(np.mean((yc - F @ ls) ** 2))
    touch = float(np.mean((yc - F @ w) ** 2))
    rise = touch - floor
    centred = rise <= 1e-12 * max(touch, 1e-300)   # λ = 0: the solution is the centre itself
    if centred:   # (then no contour touches: rounding alone would draw a dot of one)
        rise = (float(loss.max()) - floor) / 16
        levels = floor + rise * np.arange(1, 9) ** 2 / 4
    else:
        levels = floor + rise * np.array([0.25, 1.0, 2.25, 4.0, 6.25, 9.0])
    box = (w1[0], w1[-1], w2[0], w2[-1])
    return Picture(penalty=penalty, lam=lam, w1=frozen(w1), w2=frozen(w2), loss=frozen(loss),
                   levels=frozen(levels), touch=touch, least_squares=frozen(ls),
                   solution=frozen(w), budget=budget, boundary=frozen(boundary),
                   trail=frozen(trail),
                   level_lines=frozen(ellipses(ls, G, floor, levels, box)),
                   touch_line=frozen(ellipses(ls, G, floor, [] if centred else [touch], box)))


def _lasso_trail_2d(G, c, lam: float) -> list[tuple[float, float]]:
    """Coordinate descent on the 2-coefficient lasso from 0, every update's point: LassoCD's
    update, operation for operation, on Python floats (numpy's per-call overhead made a
    slow, correlated case take 12 ms for its 600 sweeps)."""
    w, q, trail = [0.0, 0.0], [0.0, 0.0], [(0.0, 0.0)]
    for _ in range(10_000):
        moved = 0.0
        for i in (0, 1):
            old, z = w[i], G[i][i]
            rho = c[i] - q[i] + z * old
            new = polyfit.soft_threshold(rho, lam) / z if z > 0 else 0.0
            if new != old:
                q[0] += (new - old) * G[0][i]
                q[1] += (new - old) * G[1][i]
                w[i] = new
            trail.append((w[0], w[1]))
            moved = max(moved, abs(new - old))
        if moved <= 1e-12:
            break
    return trail


def ellipses(centre, G, floor: float, levels, box, points: int = 361) -> np.ndarray:
    """(2, m): the contours of floor + (w − centre)ᵀG(w − centre) at each level — ellipses,
    since the loss is exactly that quadratic — as x and y with NaN between them; points
    beyond the box widened by its size on every side are left out (NaN), so a long thin
    ellipse does not send the curve item far outside the picture."""
    vals, vecs = np.linalg.eigh(np.asarray(G, dtype=float))
    vals = np.maximum(vals, max(float(vals.max(initial=0.0)), 1e-300) * 1e-12)
    t = np.linspace(0.0, 2 * np.pi, points)
    circle = np.vstack([np.cos(t), np.sin(t)])
    x0, x1, y0, y1 = box
    wide, high = x1 - x0, y1 - y0
    parts = []
    for level in levels:
        rise = float(level) - floor
        if not rise > 0:
            continue
        xy = np.asarray(centre, dtype=float)[:, None] + vecs @ (np.sqrt(rise / vals)[:, None]
                                                                 * circle)
        out = ((xy[0] < x0 - wide) | (xy[0] > x1 + wide) | (xy[1] < y0 - high)
               | (xy[1] > y1 + high))
        xy[:, out] = np.nan
        parts += [xy, np.full((2, 1), np.nan)]
    return np.hstack(parts[:-1]) if parts else np.zeros((2, 0))


# --- the run -----------------------------------------------------------------------------
def run(problem: Problem, params: Params,
        rng: np.random.Generator | None = None) -> Iterator[Step]:
    """Yield the unpenalised fit, the penalised fit (lasso: update by update), the path.

    Nothing here is random; ``rng`` is accepted so every run is called alike.
    """
    validate(params)
    d, lam = params.degree, params.lam
    X, y = problem.features(problem.train, d), problem.y[problem.train]
    Xv, yv = problem.features(problem.val, d), problem.y[problem.val]
    ls = frozen(polyfit.lstsq(X, y))
    state = dict(penalty=params.penalty, lam=lam, degree=d, least_squares=ls,
                 least_squares_curve=frozen(problem.curve(ls)), coordinate=0,
                 rho=float("nan"), sweep=0, path_lams=EMPTY,
                 path_coefficients=frozen(np.zeros((0, d + 1))), path_train=EMPTY,
                 path_val=EMPTY, picture=picture(problem, params.penalty, lam))
    index = 0

    def snap(phase, caption, w, **changes):
        nonlocal index
        state.update(changes)
        tr, va = polyfit.mse(X, w, y), polyfit.mse(Xv, w, yv)
        zeros = np.zeros(d + 1, bool)
        zeros[1:] = np.asarray(w)[1:] == 0
        obj = objective(params.penalty, X, y, w, lam)
        step = Step(index=index, phase=phase, caption=caption,
                    metrics={"training error": tr, "validation error": va,
                             "zero coefficients": int(zeros.sum()), "objective": obj},
                    coefficients=frozen(w), curve=frozen(problem.curve(w)), train_error=tr,
                    val_error=va, zeros=frozen(zeros), objective=obj, **state)
        index += 1
        return step

    tr0, va0 = polyfit.mse(X, ls, y), polyfit.mse(Xv, ls, yv)
    yield snap("least squares", f"Degree {d} without a penalty: training error "
               f"{polyfit.error_text(tr0, problem.y)}, validation error {num(va0)}; the "
               f"largest coefficient is {num(float(np.abs(ls[1:]).max(initial=0.0)))}."
               + polyfit.underdetermined(len(y), d), ls)
    if params.penalty == "ridge":
        w = polyfit.ridge(X, y, lam)
        shrink = float(np.linalg.norm(w[1:]) / max(np.linalg.norm(ls[1:]), 1e-300))
        yield snap("solve", f"Ridge with λ = {num(lam)}: w = (XᵀX + λD)⁻¹Xᵀy in one solve. The "
                   f"coefficients shrank to {num(100 * shrink, 3)}% of their length; none is "
                   f"exactly 0. Validation error {num(polyfit.mse(Xv, w, yv))}.", w)
    else:
        w = yield from _lasso_steps(X, y, params, snap)
    yield _path_step(problem, params, X, y, Xv, yv, w, snap)


def _lasso_steps(X, y, params: Params, snap):
    d, lam = params.degree, params.lam
    cd = LassoCD(X, y, lam)
    yield snap("start", f"Lasso with λ = {num(lam)}, by coordinate descent: every coefficient "
               f"starts at 0 and the intercept at the mean of y ({num(cd.y_mean)}).",
               cd.coefficients())
    done = False
    for sweep in range(1, params.max_sweeps + 1):
        moved = 0.0
        for j in range(1, d + 1):
            rho, old, new = cd.update(j)
            moved = max(moved, abs(new - old))
            if params.update == "coordinate":
                if new == 0.0:
                    why = (f"|ρ| = {num(abs(rho))} ≤ λ = {num(lam)}, so soft-thresholding sets "
                           "it to exactly 0")
                else:
                    why = (f"|ρ| = {num(abs(rho))} > λ = {num(lam)}, so it becomes "
                           f"(ρ {'−' if rho > 0 else '+'} λ)/z = {num(new)}")
                yield snap("update", f"Sweep {sweep}, coefficient {j}: {why} (was {num(old)}).",
                           cd.coefficients(), coordinate=j, rho=rho, sweep=sweep)
        done = moved <= params.tol * max(1.0, float(np.abs(cd.w).max(initial=0.0)))
        w = cd.coefficients()
        zeros = int((w[1:] == 0).sum())
        if params.update == "sweep" or done or sweep == params.max_sweeps:
            phase = "converged" if done else ("limit" if sweep == params.max_sweeps else "sweep")
            caption = (f"Sweep {sweep}: every coefficient updated once; the largest change was "
                       f"{num(moved)}; {zeros} of the {plural(d, 'penalised coefficient')} "
                       f"{'is' if zeros == 1 else 'are'} exactly 0.")
            if phase == "converged":
                caption += " Nothing moves any more: converged."
            elif phase == "limit":
                caption += f" Stopped at the limit of {plural(params.max_sweeps, 'sweep')}."
            yield snap(phase, caption, w, coordinate=0, rho=float("nan"), sweep=sweep)
        if done:
            break
    return cd.coefficients()


def path_errors(X, coefs, y) -> np.ndarray:
    """The mean squared error of every row of coefficients (polyfit.mse, all at once)."""
    if not len(y):
        return np.full(len(coefs), np.nan)
    r = np.asarray(X) @ np.asarray(coefs).T - np.asarray(y)[:, None]
    return np.einsum("ij,ij->j", r, r) / len(y)


def _path_step(problem, params, X, y, Xv, yv, w, snap) -> Step:
    lams = lam_grid(params.penalty, X, y, params.path_points)
    coefs = path(params.penalty, X, y, lams)
    tr, va = path_errors(X, coefs, y), path_errors(Xv, coefs, yv)
    best = int(np.argmin(va))
    return snap("path", f"The coefficients over {plural(len(lams), 'value')} of λ, from "
                f"{num(lams[0])} to {num(lams[-1])}: as λ grows they shrink"
                f"{' and drop to 0 one by one' if params.penalty == 'lasso' else ''}. The "
                f"validation error is lowest at λ ≈ {num(lams[best])} ({num(va[best])}).",
                w, coordinate=0, rho=float("nan"), path_lams=frozen(lams),
                path_coefficients=frozen(coefs), path_train=frozen(tr), path_val=frozen(va))
