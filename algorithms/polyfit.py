"""The one shared problem of the overfitting panels: a noisy curve fitted by polynomials.

Features. x is mapped linearly onto t ∈ [−1, 1] (the problem's ``domain``, the range of
every x given, becomes [−1, 1]) and a polynomial of degree p is written in the orthonormal
Legendre basis φ_k(t) = √(2k + 1)·P_k(t), k = 0 … p, computed by the three-term recurrence
(k + 1)·P_{k+1} = (2k + 1)·t·P_k − k·P_{k−1}. Why: on [−1, 1] the φ_k are orthonormal for
the uniform weight, so for points spread over the interval the columns of the design matrix
are nearly orthogonal and of equal size. Its condition number stays small (tens, not the
~10⁸ of plain powers x⁰ … x²⁰), least squares keeps its digits up to degree 20, gradient
descent is not crippled by wildly different column sizes, and an L1 or L2 penalty treats
every degree alike. The fitted curve is the same polynomial whichever basis writes it.

φ_0 = 1 is the intercept. Penalties never touch it: a huge λ flattens the fit to the mean
of y rather than dragging it to 0. The two penalised objectives follow scikit-learn, so the
same λ means the same thing there (Ridge's and Lasso's ``alpha``):

* ridge:  ‖y − Xw‖² + λ·Σ_{k≥1} w_k²      (closed form (XᵀX + λD)⁻¹Xᵀy, D = diag(0, 1, …, 1))
* lasso:  ‖y − Xw‖² / (2n) + λ·Σ_{k≥1} |w_k|   (coordinate descent with soft-thresholding)

A degree with more coefficients than training points is allowed: least squares then returns
the minimum-norm solution among the infinitely many that pass through every point — the
overfitting lesson itself — and the runs say so in their captions.

The split into training, validation and test points is fixed by the seeded rng, visible
(index arrays), and never reshuffled by a panel.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from algorithms.base import frozen, num, param, plural

TARGETS = ("sine", "step", "cubic", "drawn")
GRID = 200            # points of the dense x grid every fitted curve is drawn on
MAX_DEGREE = 20
Y_SPREAD = (1e-75, 1e75)   # beyond: squared errors, or their spread over folds, are not numbers


def sine(x):
    return np.sin(2 * np.pi * x)


def step(x):
    return np.where(x < 0.5, -0.5, 0.5)


def cubic(x):
    return 6.0 * (x - 0.2) * (x - 0.5) * (x - 0.9)


FUNCTIONS: dict[str, Callable] = {"sine": sine, "step": step, "cubic": cubic}

# --- a target the user draws ------------------------------------------------------------
# The curve through these (x, y) nodes, straight between them and level beyond the ends,
# until the user draws over it; x lies in [0, 1] like every generated x.
DRAWN = ((0.0, -0.3), (0.2, 0.5), (0.45, 0.6), (0.6, -0.4), (0.8, -0.2), (1.0, 0.6))
NODE_X = 0.002      # drawn x values are rounded to this; nodes on one x are averaged


def clean_nodes(nodes) -> tuple[np.ndarray, np.ndarray]:
    """(xs, ys): finite nodes with x in [0, 1] rounded to NODE_X, sorted, one per x (the
    mean y of nodes that round to the same x); ValueError with fewer than two x values."""
    nodes = np.asarray(nodes, dtype=float).reshape(-1, 2)
    nodes = nodes[np.isfinite(nodes).all(1)]
    x = np.round(np.clip(nodes[:, 0], 0.0, 1.0) / NODE_X) * NODE_X
    xs, where = np.unique(x, return_inverse=True)
    if len(xs) < 2:
        raise ValueError("a drawn curve needs at least two points at different x")
    ys = np.bincount(where, weights=nodes[:, 1]) / np.bincount(where)
    return xs, ys


def drawn(nodes) -> Callable:
    """The target through the nodes: linear interpolation, constant beyond the end nodes."""
    xs, ys = clean_nodes(nodes)
    return lambda x: np.interp(np.asarray(x, dtype=float), xs, ys)


def merge_stroke(nodes, stroke) -> tuple[tuple[float, float], ...]:
    """The drawn curve after a stroke: the stroke's points replace the nodes over the x
    range it covers (so part of a curve can be redrawn); the nodes elsewhere stay."""
    xs, ys = clean_nodes(nodes)
    stroke = np.asarray(stroke, dtype=float).reshape(-1, 2)
    stroke = stroke[np.isfinite(stroke).all(1)]
    if not len(stroke):
        return tuple(zip(xs.tolist(), ys.tolist(), strict=True))
    sx = np.clip(stroke[:, 0], 0.0, 1.0)
    outside = (xs < sx.min() - NODE_X / 2) | (xs > sx.max() + NODE_X / 2)
    merged = np.vstack([np.c_[xs[outside], ys[outside]], np.c_[sx, stroke[:, 1]]])
    mx, my = clean_nodes(merged)
    return tuple(zip(mx.tolist(), my.tolist(), strict=True))


@dataclass(frozen=True)
class Data:
    """The generated problem: y = target(x) + noise·N(0, 1) for x uniform in [0, 1]."""

    target: str = param("sine", values=TARGETS,
                        tip="sine: sin 2πx; step: −½ then ½ from x = 0.5; "
                            "cubic: a degree-3 polynomial (degree 3 is exactly right); "
                            "drawn: the curve you drag on the fit plot")
    n_points: int = param(40, limits=(4, 5000), label="points",
                          tip="all points, before the split")
    noise: float = param(0.25, limits=(0.0, 3.0), step=0.05,
                         tip="standard deviation of the noise added to y")
    validation: float = param(0.25, limits=(0.05, 0.6), step=0.05, label="validation share",
                              tip="share of the points held out to choose the model")
    test: float = param(0.2, limits=(0.0, 0.5), step=0.05, label="test share",
                        tip="share of the points kept for one final, honest check")


@dataclass(frozen=True, kw_only=True)
class Problem:
    """Points, their fixed split, and the dense grid curves are drawn on; read-only arrays."""

    x: np.ndarray            # (n,)
    y: np.ndarray            # (n,)
    train: np.ndarray        # sorted indices of the training points
    val: np.ndarray          # sorted indices of the validation points
    test: np.ndarray         # sorted indices of the test points (may be empty)
    domain: tuple[float, float]   # the x range mapped onto [−1, 1]
    grid: np.ndarray         # (GRID,) x values spanning the domain
    truth: np.ndarray | None # (GRID,) the noise-free target on the grid, when known
    name: str

    def t(self, x) -> np.ndarray:
        return scaled(x, self.domain)

    def features(self, idx, degree: int) -> np.ndarray:
        """Design matrix (len(idx), degree + 1) of the points with these indices."""
        return design(self.t(self.x[idx]), degree)

    def grid_features(self, degree: int) -> np.ndarray:
        return design(self.t(self.grid), degree)

    def curve(self, w) -> np.ndarray:
        """The polynomial with Legendre coefficients w, on the grid."""
        return self.grid_features(len(w) - 1) @ np.asarray(w, dtype=float)


# --- building a problem ----------------------------------------------------------------
def scaled(x, domain) -> np.ndarray:
    """Map x linearly so that the domain (lo, hi) becomes [−1, 1] (halves avoid overflow)."""
    lo, hi = domain
    mid, half = lo / 2 + hi / 2, hi / 2 - lo / 2
    with np.errstate(all="ignore"):  # a domain too wide is refused by the caller, in words
        return (np.asarray(x, dtype=float) - mid) / half


def design(t, degree: int) -> np.ndarray:
    """(n, degree + 1): φ_k(t) = √(2k + 1)·P_k(t), Legendre polynomials by recurrence."""
    t = np.asarray(t, dtype=float)
    P = np.empty((len(t), degree + 1))
    P[:, 0] = 1.0
    if degree >= 1:
        P[:, 1] = t
    for k in range(1, degree):
        P[:, k + 1] = ((2 * k + 1) * t * P[:, k] - k * P[:, k - 1]) / (k + 1)
    return P * np.sqrt(2 * np.arange(degree + 1) + 1.0)


def split(n: int, validation: float, test: float,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted (train, validation, test) indices from one seeded permutation of range(n)."""
    n_test = int(round(test * n))
    n_val = max(1, int(round(validation * n)))
    n_train = n - n_val - n_test
    if n_train < 2:
        raise ValueError(f"{plural(n, 'point')} are too few to keep {n_val} for validation, "
                         f"{n_test} for testing and at least 2 for training")
    order = rng.permutation(n)
    return (np.sort(order[n_test + n_val:]), np.sort(order[n_test:n_test + n_val]),
            np.sort(order[:n_test]))


def from_xy(x, y, rng: np.random.Generator, validation: float = 0.25, test: float = 0.2,
            name: str = "data", truth: Callable | None = None) -> Problem:
    """A problem from given points; ValueError with one sentence when they cannot be fitted."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1 or y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"x and y must be two columns of equal length, got shapes {x.shape} "
                         f"and {y.shape}")
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.all():
        raise ValueError(f"the points contain NaN or infinite values "
                         f"({plural(int((~finite).sum()), 'row')}, first at row "
                         f"{int(np.argmin(finite)) + 1})")
    if len(x) == 0 or x.min() == x.max():
        raise ValueError("every x value is the same: there is no curve to fit")
    spread = float(np.max(np.abs(y - np.median(y))))
    if spread >= Y_SPREAD[1] or 0 < spread <= Y_SPREAD[0]:
        raise ValueError(f"the y values spread over about {num(spread, 2)}: squared errors that "
                         f"{'large' if spread > 1 else 'small'} are not numbers; rescale y")
    train, val, tst = split(len(x), validation, test, rng)
    domain = (float(x.min()), float(x.max()))
    grid = np.linspace(*domain, GRID)
    if not np.isfinite(scaled(grid, domain)).all():
        raise ValueError("the x values spread too widely to be mapped onto [−1, 1]; rescale x")
    return Problem(x=frozen(x), y=frozen(y), train=frozen(train), val=frozen(val),
                   test=frozen(tst), domain=domain, grid=frozen(grid),
                   truth=None if truth is None else frozen(truth(grid)), name=name)


def from_table(table, rng: np.random.Generator, validation: float = 0.25,
               test: float = 0.2) -> Problem:
    """A problem from a table's first two numeric columns: x, then y."""
    table = np.asarray(table, dtype=float)
    if table.ndim != 2 or table.shape[1] < 2:
        cols = table.shape[1] if table.ndim == 2 else 1
        raise ValueError(f"a curve fit needs two columns, x and y; this table has {cols}")
    return from_xy(table[:, 0], table[:, 1], rng, validation, test)


def make_problem(data: Data, rng: np.random.Generator,
                 function: Callable | None = None) -> Problem:
    """Generated points: x ~ U(0, 1) sorted, y = f(x) + noise·N(0, 1), then the split.

    ``function`` (a function taking and returning arrays) replaces the named target;
    "drawn" without one is the curve through the DRAWN nodes.
    """
    if function is None and data.target == "drawn":
        function = drawn(DRAWN)
    f = function if function is not None else FUNCTIONS[data.target]
    x = np.sort(rng.uniform(0.0, 1.0, data.n_points))
    try:
        clean = np.asarray(f(x), dtype=float)
    except Exception as error:  # noqa: BLE001 - a user's function may fail in any way
        raise ValueError(f"the target function failed: {error}") from None
    if clean.shape != x.shape:
        raise ValueError(f"the target function must return one y per x; it returned shape "
                         f"{clean.shape} for {len(x)} x values")
    y = clean + data.noise * rng.standard_normal(data.n_points)
    name = data.target if function is None else "custom"
    if data.target == "drawn":
        name = "drawn curve"
    problem = from_xy(x, y, rng, data.validation, data.test, name)
    truth = frozen(np.asarray(f(problem.grid), dtype=float))
    return dataclasses.replace(problem, truth=truth)


# --- fitting ----------------------------------------------------------------------------
def lstsq(X, y) -> np.ndarray:
    """Least squares; the minimum-norm solution when there are more coefficients than points."""
    return np.linalg.lstsq(X, y, rcond=None)[0]


def ridge(X, y, lam: float) -> np.ndarray:
    """argmin ‖y − Xw‖² + λ·Σ_{k≥1} w_k² (column 0 is the unpenalised intercept).

    Solved as least squares on X stacked over √λ·D: the normal equations of that stack are
    (XᵀX + λD)w = Xᵀy, without squaring X's condition number.
    """
    X = np.asarray(X, dtype=float)
    p = X.shape[1]
    penalty = math.sqrt(lam) * np.eye(p)[1:]
    return lstsq(np.vstack([X, penalty]), np.concatenate([y, np.zeros(p - 1)]))


def soft_threshold(rho: float, lam: float) -> float:
    """S(ρ, λ) = sign(ρ)·max(|ρ| − λ, 0): moves ρ towards 0 by λ, and stops at 0."""
    if rho > lam:
        return rho - lam
    if rho < -lam:
        return rho + lam
    return 0.0


class LassoCD:
    """Coordinate descent for ‖y − Xw‖² / (2n) + λ·Σ_{k≥1} |w_k|, one coordinate at a time.

    The intercept (column 0) is not penalised, so it is always the value that makes the
    residuals average to zero; the other coordinates work on centred columns. Updating
    coordinate j: ρ_j = x_jᵀ(y − Σ_{l≠j} x_l w_l)/n and w_j = S(ρ_j, λ) / (x_jᵀx_j / n).
    """

    def __init__(self, X, y, lam: float, w=None):
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        n = len(y)
        self.lam = float(lam)
        self.x_mean, self.y_mean = X[:, 1:].mean(0), float(y.mean())
        Xc = X[:, 1:] - self.x_mean
        self.G = Xc.T @ Xc / n
        self.c = Xc.T @ (y - self.y_mean) / n
        self.diag = np.diag(self.G).copy()
        self.w = np.zeros(X.shape[1] - 1) if w is None else np.array(w[1:], dtype=float)
        self.q = self.G @ self.w                  # G·w, kept up to date

    def update(self, j: int) -> tuple[float, float, float]:
        """Update penalised coordinate j (1-based, as in the full coefficient vector).

        Returns (ρ_j, old w_j, new w_j).
        """
        i = j - 1
        old = self.w[i]
        rho = self.c[i] - self.q[i] + self.diag[i] * old
        new = soft_threshold(rho, self.lam) / self.diag[i] if self.diag[i] > 0 else 0.0
        if new != old:
            self.q += (new - old) * self.G[:, i]
            self.w[i] = new
        return float(rho), float(old), float(new)

    def sweep(self) -> float:
        """Update every coordinate once, in order; the largest change."""
        return max((abs(new - old) for _, old, new in
                    (self.update(j) for j in range(1, len(self.w) + 1))), default=0.0)

    def finish(self) -> bool:
        """Try to jump to the exact solution: take the coefficients now 0 as the zeros and
        the signs s of the rest (the set A) as final, solve the optimality equations
        G_AA·w_A = c_A − λ·s_A, and accept the answer only if it keeps those signs and every
        coefficient j outside A satisfies |c_j − G_jA·w_A| ≤ λ: then it is a minimiser.
        Returns whether it was accepted."""
        active = np.flatnonzero(self.w)
        signs = np.sign(self.w[active])
        try:
            w_active = np.linalg.solve(self.G[np.ix_(active, active)],
                                       self.c[active] - self.lam * signs)
        except np.linalg.LinAlgError:
            return False
        w = np.zeros_like(self.w)
        w[active] = w_active
        slack = np.abs(self.c - self.G @ w)
        slack[active] = 0.0
        scale = max(1.0, float(np.abs(self.c).max(initial=0.0)))
        if not (np.all(np.isfinite(w_active)) and np.array_equal(np.sign(w_active), signs)
                and np.all(slack <= self.lam + 1e-12 * scale)):
            return False
        self.w = w
        self.q = self.G @ w
        return True

    def coefficients(self) -> np.ndarray:
        """Full w: the intercept first (written in the φ basis, so φ_0 = 1 carries it)."""
        return np.concatenate([[self.y_mean - self.x_mean @ self.w], self.w])

    def objective(self, X, y) -> float:
        r = np.asarray(y) - np.asarray(X) @ self.coefficients()
        return float(r @ r / (2 * len(r)) + self.lam * np.abs(self.w).sum())


def lasso(X, y, lam: float, w=None, tol: float = 1e-12, max_sweeps: int = 20_000) -> np.ndarray:
    """Lasso coefficients by coordinate descent, swept until no coordinate moves by more
    than tol·max(1, max |w|) — or, sooner, until ``LassoCD.finish`` turns the pattern of
    zeros and signs reached into the exact minimiser. Plain sweeps crawl when the features
    are strongly correlated (tens of thousands for a degree-15 fit of 30 points at small
    λ); ``max_sweeps`` bounds that, and ``regularization.lasso_path`` follows the whole
    path exactly instead."""
    cd = LassoCD(X, y, lam, w)
    for _ in range(max_sweeps):
        moved = cd.sweep()
        if moved <= tol * max(1.0, float(np.abs(cd.w).max(initial=0.0))):
            break
        if cd.finish():
            break
    return cd.coefficients()


def lasso_max(X, y) -> float:
    """The smallest λ at which every penalised lasso coefficient is 0: max |x_jᵀ(y − ȳ)| / n
    over the centred columns."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    Xc = X[:, 1:] - X[:, 1:].mean(0)
    return float(np.abs(Xc.T @ (y - y.mean())).max() / len(y))


def fit(X, y, penalty: str = "none", lam: float = 0.0) -> np.ndarray:
    """Coefficients under "none" (least squares), "ridge" or "lasso" with strength λ."""
    if penalty == "ridge":
        return ridge(X, y, lam)
    if penalty == "lasso":
        return lasso(X, y, lam)
    return lstsq(X, y)


def error_text(error: float, y) -> str:
    """An error for a caption: rounding noise below 1e-20 of y's variance is shown as 0."""
    spread = float(np.var(y)) if len(y) else 0.0
    return "0" if error <= 1e-20 * max(spread, 1e-300) else num(error)


def mse(X, w, y) -> float:
    """Mean squared error of the fit Xw on targets y."""
    r = np.asarray(X) @ np.asarray(w) - np.asarray(y)
    return float(r @ r / len(r)) if len(r) else float("nan")


def kfold(indices, k: int, shuffle: bool,
          rng: np.random.Generator | None) -> list[np.ndarray]:
    """The held-out part of each of k folds, as sorted arrays of the given indices.

    The indices are put in a random order (one rng.permutation) when shuffling, then cut
    into k consecutive runs, the first len % k of them one longer: scikit-learn's KFold
    cuts a sequence the same way, so KFold(k).split(order) holds out the same points.
    """
    indices = np.asarray(indices)
    if k < 2:
        raise ValueError(f"k-fold cross-validation needs at least 2 folds, got {k}")
    if len(indices) < k:
        raise ValueError(f"{k} folds need at least {k} points; there "
                         f"{'is' if len(indices) == 1 else 'are'} {len(indices)}")
    order = rng.permutation(indices) if shuffle else indices
    sizes = np.full(k, len(indices) // k)
    sizes[: len(indices) % k] += 1
    edges = np.concatenate([[0], np.cumsum(sizes)])
    return [np.sort(order[a:b]) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def underdetermined(n_points: int, degree: int) -> str:
    """A caption sentence when a degree has more coefficients than points, else ""."""
    if degree + 1 <= n_points:
        return ""
    return (f" Degree {degree} has {degree + 1} coefficients but only "
            f"{plural(n_points, 'point')} to fit: many curves pass through them all; this "
            "is the one with the smallest coefficients (minimum norm).")


def describe_split(problem: Problem) -> str:
    """'40 points: 22 for training, 10 for validation, 8 kept for testing.'"""
    test = (f", {len(problem.test):,} kept back for testing" if len(problem.test)
            else ", none kept for testing")
    return (f"{plural(len(problem.x), 'point')}: {len(problem.train):,} for training, "
            f"{len(problem.val):,} for validation{test}.")
