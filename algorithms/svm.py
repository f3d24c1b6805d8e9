"""Support vector machines: a margin as wide as the data allow, trained one move at a time.

The notes' cost, for labels y = ±1 and a decision value f(x) = w·x + b:

    J(w, b) = ½‖w‖² + C·Σ_i max(0, 1 − y_i·f(x_i))          (hinge loss)

A point with y·f ≥ 1 is outside the margin and costs nothing; the ones on or inside it
are the support vectors. Two ways to minimise J are offered:

- **SMO** (Platt's sequential minimal optimisation, every kernel). It works on the dual:
  maximise Σα − ½ΣΣ α_i α_j y_i y_j K(x_i, x_j) with 0 ≤ α ≤ C and Σ α_i y_i = 0, where
  f(x) = Σ α_i y_i K(x_i, x) + b. One step takes the point i that breaks the optimality
  conditions most, pairs it with the partner j whose move raises the dual most (LIBSVM's
  second-order choice), and solves for the two α exactly, keeping Σ α y fixed. It stops
  when no pair violates the conditions by more than ``tol`` (scikit-learn's SVC solves the
  same problem with LIBSVM, so they agree).
- **Subgradient** descent on J itself (linear kernel only): one step is one epoch over
  all training points, w ← w − η_t·(λw − mean over margin violators of y·x), with
  λ = 1/(n·C) (J divided by n·C, so the same minimiser) and η_t = η/√t.

Kernels: linear x·z; RBF exp(−γ‖x − z‖²); polynomial (γ·x·z + coef0)^degree.

More than two classes: one machine per pair of classes (one-vs-one, as SVC). Each SMO
step updates the machine whose worst point violates the conditions most, so all machines
converge together; a point's class is the one winning most pairwise votes, ties broken by
the summed decision values (SVC with ``break_ties=True``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations

import numpy as np

from algorithms.base import Snapshot, frozen, num, param, plural, validate
from algorithms.labelled import LabelledData, Scaling, accuracy

KERNELS = ("linear", "rbf", "poly")
SOLVERS = ("SMO", "subgradient")
TAU = 1e-12                 # LIBSVM's floor for a pair's curvature
CONFIDENCE = 2.0            # predict_proba's sharpness: σ(2f) is 0.88 on the margin f = 1
LARGEST_KERNEL = 1e100      # polynomial kernel values beyond this are refused
FAR_FROM_ORIGIN = 1e4       # … and so are points this many spreads away from the origin
PAIRS_PER_CHUNK = 2_000_000  # bounds the (points × support vectors) kernel blocks


@dataclass(frozen=True)
class Params:
    kernel: str = param("linear", values=KERNELS,
                        tip="linear: a straight boundary; rbf: bumps around the support "
                            "vectors; poly: a polynomial curve")
    solver: str = param("SMO", values=SOLVERS, when=("kernel", ("linear",)),
                        tip="SMO: optimise two α at a time (exact); subgradient: descend the "
                            "hinge-loss cost directly, one epoch per step (linear only)")
    C: float = param(1.0, limits=(1e-3, 1e4), step=0.1, label="C",
                     tip="cost of each unit of margin violation: large C fits the training "
                         "points hard (sensitive to outliers), small C keeps a wide margin")
    gamma: float = param(0.5, limits=(1e-4, 100.0), step=0.05, label="γ",
                         when=("kernel", ("rbf", "poly")),
                         tip="kernel width: large γ, narrow bumps and a wiggly boundary")
    degree: int = param(3, limits=(1, 10), when=("kernel", ("poly",)),
                        tip="degree of the polynomial kernel")
    coef0: float = param(1.0, limits=(-10.0, 10.0), step=0.5, label="coef0",
                         when=("kernel", ("poly",)),
                         tip="constant added inside the polynomial kernel")
    lr: float = param(0.1, limits=(1e-4, 10.0), step=0.01, label="learning rate η",
                      when=("solver", ("subgradient",)),
                      tip="subgradient step size; epoch t uses η/√t")
    steps: int = param(3000, limits=(1, 200_000), label="steps",
                       tip="stop after this many pair updates (SMO) or epochs (subgradient)")
    tol: float = param(1e-3, limits=(1e-8, 1.0), step=1e-4, label="tolerance",
                       tip="SMO stops once no pair violates the optimality conditions by "
                           "more than this (scikit-learn's default is 1e-3)")
    standardize: bool = param(False, label="standardise features",
                              tip="train on (x − mean) / std of the training points; SVMs are "
                                  "sensitive to the scale of each feature")


def kernel(A: np.ndarray, B: np.ndarray, name: str, gamma: float = 0.5, degree: int = 3,
           coef0: float = 1.0) -> np.ndarray:
    """(len(A), len(B)) kernel matrix of 2-D points (distances from coordinate differences,
    so a large common offset loses no precision)."""
    if name == "rbf":
        dx = A[:, 0, None] - B[None, :, 0]
        dy = A[:, 1, None] - B[None, :, 1]
        dx *= dx
        dy *= dy
        dx += dy
        dx *= -gamma
        return np.exp(dx, out=dx)
    dot = A[:, 0, None] * B[None, :, 0] + A[:, 1, None] * B[None, :, 1]
    if name == "linear":
        return dot
    return _power(gamma * dot + coef0, degree)


def _power(base: np.ndarray, degree: int) -> np.ndarray:
    """base ** degree for a whole-number degree, by multiplying (several times faster)."""
    out = base.copy()
    for _ in range(int(degree) - 1):
        out *= base
    return out


def kernel_diagonal(A: np.ndarray, name: str, gamma: float = 0.5, degree: int = 3,
                    coef0: float = 1.0) -> np.ndarray:
    """K(a, a) for each row a of A."""
    if name == "rbf":
        return np.ones(len(A))
    dot = A[:, 0] * A[:, 0] + A[:, 1] * A[:, 1]
    return dot if name == "linear" else _power(gamma * dot + coef0, degree)


# --- the model -----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Machine:
    """One two-class SVM: f(x) = Σ coef_s·K(vectors_s, x) + b, positive → ``positive``.

    ``support`` are data indices (into LabelledData.X) of the support vectors, ``bounded``
    marks those at α = C (inside the margin or misclassified); the others lie on it.
    For the linear kernel ``w`` is Σ coef_s·vectors_s, in the model's scaled units.
    """

    negative: int            # label of the class with y = −1
    positive: int            # label of the class with y = +1
    support: np.ndarray      # (s,) data indices
    bounded: np.ndarray      # (s,) bool: α = C (or, subgradient: strictly inside the margin)
    coef: np.ndarray         # (s,) α·y (empty for the subgradient solver)
    vectors: np.ndarray      # (s, 2) support vectors, scaled
    b: float
    w: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class SVMModel:
    """The machines, the kernel and the scaling. ``predict_proba`` is a confidence built
    from the decision values (σ(2f) for two classes), not a calibrated probability."""

    machines: tuple[Machine, ...]
    classes: np.ndarray
    kernel: str = "linear"
    gamma: float = 0.5
    degree: int = 3
    coef0: float = 1.0
    scaling: Scaling = field(default_factory=Scaling.none)

    @property
    def binary(self) -> bool:
        return len(self.machines) == 1

    def _values(self, X) -> np.ndarray:
        """(n, machines) decision values.

        Linear: w·x + b. Polynomial: the kernel sum expanded once into the coefficients of
        a polynomial in (x₁, x₂), then evaluated. RBF on the points of a grid (a regular
        or irregular meshgrid, x varying fastest, as region shading asks): the kernel
        factors into exp(−γ(x₁ − z₁)²)·exp(−γ(x₂ − z₂)²), so the sum over support vectors
        is one matrix product of the two axes' factors. Otherwise the kernel sum in chunks.
        """
        Z = self.scaling.apply(np.atleast_2d(np.asarray(X, dtype=np.float64)))
        out = np.empty((len(Z), len(self.machines)))
        axes = _grid_axes(Z) if self.kernel == "rbf" else None
        for m, mc in enumerate(self.machines):
            if mc.w is not None:
                out[:, m] = Z[:, 0] * mc.w[0] + Z[:, 1] * mc.w[1] + mc.b
            elif len(mc.coef) == 0:
                out[:, m] = mc.b
            elif self.kernel == "poly":
                out[:, m] = _polynomial(self._expanded[m], Z) + mc.b
            elif axes is not None:
                xs, ys = axes
                ex = np.exp(-self.gamma * (xs[None, :] - mc.vectors[:, 0, None]) ** 2)
                ey = np.exp(-self.gamma * (ys[None, :] - mc.vectors[:, 1, None]) ** 2)
                out[:, m] = (ey.T @ (mc.coef[:, None] * ex)).ravel() + mc.b
            else:
                out[:, m] = mc.b
                rows = max(1, PAIRS_PER_CHUNK // len(mc.coef))
                for s in range(0, len(Z), rows):
                    K = kernel(Z[s:s + rows], mc.vectors, self.kernel, self.gamma,
                               self.degree, self.coef0)
                    out[s:s + rows, m] += K @ mc.coef
        return out

    @cached_property
    def _expanded(self) -> list[np.ndarray]:
        """Per machine, A with f(x) − b = Σ_{p+q≤d} A[p, q]·x₁^p·x₂^q (polynomial kernel).

        (γ(x₁z₁ + x₂z₂) + c)^d = Σ_{p+q+r=d} d!/(p!q!r!)·γ^{p+q}·c^r·(x₁z₁)^p·(x₂z₂)^q, so
        A[p, q] = d!/(p!q!r!)·γ^{p+q}·c^r·Σ_s coef_s·z₁^p·z₂^q.
        """
        d = self.degree
        p, q = np.meshgrid(np.arange(d + 1), np.arange(d + 1), indexing="ij")
        r = d - p - q
        fact = np.vectorize(math.factorial)
        terms = np.where(r >= 0, fact(d) / (fact(p) * fact(q) * fact(np.maximum(r, 0))), 0.0)
        terms = terms * self.gamma ** (p + q) * np.where(r >= 0, self.coef0 ** np.maximum(r, 0),
                                                         0.0)
        out = []
        for mc in self.machines:
            z1 = mc.vectors[:, 0, None] ** np.arange(d + 1)
            z2 = mc.vectors[:, 1, None] ** np.arange(d + 1)
            out.append(terms * ((z1 * mc.coef[:, None]).T @ z2))
        return out

    def decision_function(self, X) -> np.ndarray:
        """(n,) for two classes (positive → classes[1]); else (n, machines), one column per
        pair of classes (a, b), a < b, positive → b."""
        V = self._values(X)
        return V[:, 0] if self.binary else V

    def scores(self, X) -> np.ndarray:
        """(n, C) votes plus a tie-break below one third of a vote (scikit-learn's
        one-vs-rest decision values for SVC)."""
        return vote_scores(self._values(X), len(self.classes))

    def predict_proba(self, X) -> np.ndarray:
        V = self._values(X)
        if self.binary:
            with np.errstate(over="ignore"):
                p = 0.5 * (1.0 + np.tanh(0.5 * CONFIDENCE * V[:, 0]))
            return np.column_stack([1.0 - p, p])
        S = CONFIDENCE * vote_scores(V, len(self.classes))
        E = np.exp(S - S.max(axis=1, keepdims=True))
        return E / E.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        return decide(self._values(X), self.classes)

    def lines(self) -> list[tuple[np.ndarray, float]]:
        """For the linear kernel, (w, b) of each machine in data units: draw w·x + b = 0
        (the boundary) and = ±1 (the margin's edges)."""
        out = []
        for mc in self.machines:
            if mc.w is None:
                raise ValueError("only a linear SVM has straight margin lines")
            w = mc.w / self.scaling.scale
            out.append((w, float(mc.b - w @ self.scaling.mean)))
        return out


def _polynomial(A: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """Σ A[p, q]·x₁^p·x₂^q at every row of Z."""
    powers = np.arange(len(A))
    return (((Z[:, 0, None] ** powers) @ A) * Z[:, 1, None] ** powers).sum(axis=1)


def _grid_axes(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(xs, ys) if the rows of Z are the points of a meshgrid, x varying fastest."""
    if len(Z) < 4:
        return None
    nx = int(np.argmax(Z[:, 1] != Z[0, 1]))
    if nx < 2 or len(Z) % nx:
        return None
    G = Z.reshape(-1, nx, 2)
    xs, ys = G[0, :, 0], G[:, 0, 1]
    if (G[:, :, 0] == xs).all() and (G[:, :, 1] == ys[:, None]).all():
        return xs, ys
    return None


def vote_scores(V: np.ndarray, n_classes: int) -> np.ndarray:
    """One-vs-one decision values (n, machines) → (n, C) votes + tie-break in (−⅓, ⅓)."""
    votes = np.zeros((len(V), n_classes))
    conf = np.zeros((len(V), n_classes))
    for m, (a, b) in enumerate(combinations(range(n_classes), 2)):
        wins_b = V[:, m] > 0
        votes[:, b] += wins_b
        votes[:, a] += ~wins_b
        conf[:, b] += V[:, m]
        conf[:, a] -= V[:, m]
    return votes + conf / (3 * (np.abs(conf) + 1))


def decide(V: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Labels from decision values: the sign for one machine, else the vote."""
    if V.shape[1] == 1:
        return classes[(V[:, 0] > 0).astype(int)]
    return classes[np.argmax(vote_scores(V, len(classes)), axis=1)]


# --- SMO on one machine --------------------------------------------------------------------
class _Pair:
    """The mutable state of one two-class problem while it trains."""

    def __init__(self, negative, positive, members, where, Z_all, y, params, spec):
        self.negative, self.positive = negative, positive
        self.members = members          # training-set indices of its points
        self.where = where              # their data indices
        self.Z_all = Z_all              # (n, 2) every data point, scaled
        self.Z = Z_all[where]           # (n_m, 2) its own points
        self.y = y                      # (n_m,) ±1
        self.F = np.zeros(len(Z_all))   # Σ α y K(x_t, x) at every data point, for scoring
        self.C = params.C
        self.spec = spec                # (kernel, gamma, degree, coef0)
        self.alpha = np.zeros(len(y))
        self.G = -np.ones(len(y))       # gradient of ½αᵀQα − Σα
        self.diag = kernel_diagonal(self.Z, *spec)
        self.w = np.zeros(2)            # Σ α y x, for the linear kernel
        self.b = 0.0

    def column(self, i: int) -> np.ndarray:
        """K(x_i, x) at every data point (the machine's own are ``[self.where]``)."""
        return kernel(self.Z_all, self.Z[i][None], *self.spec)[:, 0]

    def _sets(self):
        up = ((self.y > 0) & (self.alpha < self.C)) | ((self.y < 0) & (self.alpha > 0))
        low = ((self.y > 0) & (self.alpha > 0)) | ((self.y < 0) & (self.alpha < self.C))
        return -self.y * self.G, up, low

    def violation(self) -> tuple[float, int]:
        """How far the optimality conditions are broken (m − M), and the worst point i.

        At the optimum −y·G of every point that may still move up is no larger than that
        of every point that may move down; m − M measures the largest such inversion.
        """
        yG, up, low = self._sets()
        if not up.any() or not low.any():
            return 0.0, -1
        i = int(np.argmax(np.where(up, yG, -np.inf)))
        return float(yG[i] - np.where(low, yG, np.inf).min()), i

    def partner(self, i: int, Ki: np.ndarray) -> int:
        """The j that, moved together with i, raises the dual the most (LIBSVM's
        second-order choice): among points that may move down with −y_j·G_j below i's,
        the largest (gap²) / (curvature K_ii + K_jj − 2K_ij)."""
        yG, _, low = self._sets()
        gap = yG[i] - yG
        ok = low & (gap > 0)
        curve = np.maximum(self.diag[i] + self.diag - 2 * Ki, TAU)
        return int(np.argmax(np.where(ok, gap * gap / curve, -np.inf)))

    def update(self, i: int) -> tuple[int, np.ndarray, np.ndarray]:
        """Pick i's partner j and solve for α_i, α_j exactly (LIBSVM's two-variable
        step); return j and the two α before and after."""
        Ki_all = self.column(i)
        Ki = Ki_all[self.where]
        j = self.partner(i, Ki)
        Kj_all = self.column(j)
        Kj = Kj_all[self.where]
        y, a, G, C = self.y, self.alpha, self.G, self.C
        old = np.array([a[i], a[j]])
        Qij = y[i] * y[j] * Ki[j]
        if y[i] != y[j]:
            quad = max(self.diag[i] + self.diag[j] + 2 * Qij, TAU)
            delta = (-G[i] - G[j]) / quad
            diff = a[i] - a[j]
            a[i] += delta
            a[j] += delta
            if diff > 0:
                if a[j] < 0:
                    a[j], a[i] = 0.0, diff
            elif a[i] < 0:
                a[i], a[j] = 0.0, -diff
            if diff > 0:
                if a[i] > C:
                    a[i], a[j] = C, C - diff
            elif a[j] > C:
                a[j], a[i] = C, C + diff
        else:
            quad = max(self.diag[i] + self.diag[j] - 2 * Qij, TAU)
            delta = (G[i] - G[j]) / quad
            total = a[i] + a[j]
            a[i] -= delta
            a[j] += delta
            if total > C:
                if a[i] > C:
                    a[i], a[j] = C, total - C
                if a[j] > C:
                    a[j], a[i] = C, total - C
            else:
                if a[j] < 0:
                    a[j], a[i] = 0.0, total
                if a[i] < 0:
                    a[i], a[j] = 0.0, total
        new = np.array([a[i], a[j]])
        d_i, d_j = new - old
        G += y * (y[i] * d_i * Ki + y[j] * d_j * Kj)
        self.F += y[i] * d_i * Ki_all + y[j] * d_j * Kj_all
        if self.spec[0] == "linear":
            self.w += y[i] * d_i * self.Z[i] + y[j] * d_j * self.Z[j]
        self.b = -self._rho()
        return j, old, new

    def _rho(self) -> float:
        """LIBSVM's offset: the mean of y·G over the free α, else the middle of its bounds."""
        yG = self.y * self.G
        free = (self.alpha > 0) & (self.alpha < self.C)
        if free.any():
            return float(yG[free].mean())
        at_c = self.alpha >= self.C
        upper = (at_c & (self.y < 0)) | (~at_c & (self.y > 0))
        ub = yG[upper].min() if upper.any() else np.inf
        lb = yG[~upper].max() if (~upper).any() else -np.inf
        if not math.isfinite(ub) or not math.isfinite(lb):
            return float(ub if math.isfinite(ub) else lb)
        return float((ub + lb) / 2)

    def dual(self) -> float:
        """Σα − ½αᵀQα (rises towards the optimum)."""
        return float(0.5 * self.alpha.sum() - 0.5 * self.alpha @ self.G)

    def primal(self) -> float:
        """½‖w‖² + C·Σ hinge at the current α and b (falls towards the optimum)."""
        norm2 = float(self.alpha @ (self.G + 1.0))
        margins = self.G + 1.0 + self.y * self.b        # y·f(x) for each point
        return 0.5 * norm2 + self.C * float(np.maximum(0.0, 1.0 - margins).sum())

    def machine(self, train_index: np.ndarray) -> Machine:
        s = np.flatnonzero(self.alpha > 0)
        return Machine(self.negative, self.positive, frozen(train_index[self.members[s]]),
                       frozen(self.alpha[s] >= self.C), frozen(self.alpha[s] * self.y[s]),
                       frozen(self.Z[s]), self.b,
                       frozen(self.w) if self.spec[0] == "linear" else None)


# --- the steps -----------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    model: SVMModel          # the classifier after this step
    machine: int             # which machine this step changed (-1: all, or none at init)
    pair: tuple[int, int] | None   # data indices of the two points optimised (SMO)
    alpha_old: np.ndarray    # (2,) their α before
    alpha_new: np.ndarray    # (2,) and after
    violation: float         # how far the chosen pair broke the optimality conditions
    primal: float            # ½‖w‖² + C·Σ hinge, summed over machines
    dual: float              # Σα − ½αᵀQα summed over machines (nan for subgradient)
    primals: np.ndarray      # primal after every step so far
    duals: np.ndarray        # dual after every step so far
    predicted: np.ndarray | None = None  # (n,) the class predicted for every data point
                                         # (LabelledData.X), from the same decision values
                                         # as the accuracies


def _check(params: Params, Z: np.ndarray) -> None:
    """Refuse a polynomial kernel that cannot be computed meaningfully on these points."""
    if params.kernel != "poly":
        return
    reach = float((Z * Z).sum(axis=1).max())
    bound = (params.gamma * reach + abs(params.coef0)) ** params.degree
    if bound > LARGEST_KERNEL:
        raise ValueError(f"the polynomial kernel would reach {bound:.2g} on these features; "
                         f"standardise them or lower the degree or γ")
    spread = float(np.ptp(Z, axis=0).max())
    if math.sqrt(reach) > FAR_FROM_ORIGIN * spread:
        raise ValueError(f"the points lie {math.sqrt(reach):.2g} from the origin but only "
                         f"{spread:.2g} apart, so the polynomial kernel cannot tell them "
                         f"apart; standardise the features")


def run(data: LabelledData, params: Params,
        rng: np.random.Generator | None = None) -> Iterator[Step]:
    """Train step by step from α = 0 (or w = 0). ``rng`` is unused: both solvers are
    deterministic; it is accepted for the contract."""
    validate(params)
    X = data.X_train
    scale = X.std(axis=0) if params.standardize else np.ones(2)
    scale = np.where(scale > 0, scale, 1.0)
    # The linear SVM's w does not change when the data shift, so its points are always
    # centred: x·z then stays well conditioned even for coordinates near 1e8.
    centre = X.mean(axis=0) if params.standardize or params.kernel == "linear" else np.zeros(2)
    scaling = Scaling(frozen(centre), frozen(scale))
    Z_all = scaling.apply(data.X)
    _check(params, scaling.apply(X))
    classes = np.unique(data.y_train)
    spec = (params.kernel, params.gamma, params.degree, params.coef0)
    pairs = []
    for a, b in combinations(range(len(classes)), 2):
        members = np.flatnonzero((data.y_train == classes[a]) | (data.y_train == classes[b]))
        y = np.where(data.y_train[members] == classes[b], 1.0, -1.0)
        pairs.append(_Pair(int(classes[a]), int(classes[b]), members,
                           data.train_index[members], Z_all, y, params, spec))
    if params.kernel == "linear" and params.solver == "subgradient":
        yield from _subgradient(data, params, classes, scaling, pairs)
    else:
        yield from _smo(data, params, classes, scaling, pairs)


def _model(machines, classes, params, scaling) -> SVMModel:
    return SVMModel(tuple(machines), frozen(classes), params.kernel, params.gamma,
                    params.degree, params.coef0, scaling)


class _History:
    """Objective values written once each, handed out as read-only prefix views."""

    def __init__(self, size):
        self.values = np.full(size, np.nan)
        self.n = 0

    def add(self, value) -> np.ndarray:
        self.values[self.n] = value
        self.n += 1
        view = self.values[:self.n].view()
        view.flags.writeable = False
        return view


def _metrics(V, classes, data, extra) -> tuple[dict, np.ndarray]:
    """Accuracy from the decision values V (n, machines) at every data point, and the
    predicted class of every point (in the smallest integer type that holds the labels)."""
    out = {k: v for k, v in extra.items() if math.isfinite(v)}
    predicted = decide(V, classes)
    out["train accuracy"] = accuracy(predicted[data.train], data.y_train)
    if len(data.y_test):
        out["test accuracy"] = accuracy(predicted[data.test], data.y_test)
    return out, frozen(predicted.astype(np.min_scalar_type(max(int(classes.max()), 0))))


def _smo(data, params, classes, scaling, pairs) -> Iterator[Step]:
    names = data.name
    index_of = data.train_index
    machines = [p.machine(index_of) for p in pairs]
    primals, duals = _History(params.steps + 2), _History(params.steps + 2)
    none = frozen(np.zeros(2))
    index = 0
    multi = len(pairs) > 1

    def snap(phase, caption, machine, pair, old, new, violation):
        nonlocal index
        primal = sum(p.primal() for p in pairs)
        dual = sum(p.dual() for p in pairs)
        model = _model(machines, classes, params, scaling)
        support = sum(len(m.support) for m in machines)
        metrics, predicted = _metrics(np.column_stack([p.F + p.b for p in pairs]), classes,
                                      data, {"support vectors": support, "primal": primal,
                                             "dual": dual, "gap": primal - dual,
                                             "violation": violation})
        step = Step(index=index, phase=phase, caption=caption, metrics=metrics,
                    predicted=predicted, model=model, machine=machine, pair=pair,
                    alpha_old=old, alpha_new=new,
                    violation=violation, primal=primal, dual=dual,
                    primals=primals.add(primal), duals=duals.add(dual))
        index += 1
        return step

    kind = {"linear": "linear kernel", "rbf": f"RBF kernel, γ = {num(params.gamma)}",
            "poly": f"polynomial kernel of degree {params.degree}, γ = {num(params.gamma)}, "
                    f"coef0 = {num(params.coef0)}"}[params.kernel]
    per = f" ({plural(len(pairs), 'two-class machine')}, one per pair of classes)" if multi \
        else ""
    yield snap("init", f"All α start at 0: no support vectors yet, so every decision value "
               f"is 0. SMO will now optimise two α at a time ({kind}, C = {num(params.C)})"
               f"{per}.", -1, None, none, none, 0.0)

    settled = False
    for _ in range(params.steps):
        found = [p.violation() for p in pairs]
        m = int(np.argmax([f[0] for f in found]))
        violation, i = found[m]
        if violation < params.tol:
            settled = True
            break
        p = pairs[m]
        j, old, new = p.update(i)
        machines[m] = p.machine(index_of)
        pi, pj = (int(index_of[p.members[t]]) for t in (i, j))
        ci, cj = (names(p.positive if p.y[t] > 0 else p.negative) for t in (i, j))
        where = f"{names(p.negative)} vs {names(p.positive)}: " if multi else ""
        caption = (f"{where}point #{pi} (class {ci}) breaks the optimality conditions most "
                   f"(by {num(violation, 3)}); with partner #{pj} (class {cj}), the move that "
                   f"raises the dual most, their α go {num(old[0], 3)} → {num(new[0], 3)} and "
                   f"{num(old[1], 3)} → {num(new[1], 3)}; dual {num(p.dual())}, primal "
                   f"{num(p.primal())}.")
        yield snap("pair", caption, m, (pi, pj), frozen(old), frozen(new), violation)
    if not settled:
        violation = max(p.violation()[0] for p in pairs)
        if violation >= params.tol:
            yield snap("stopped", f"Stopped after {plural(params.steps, 'pair update')}, the "
                       f"limit, with the conditions still broken by {num(violation, 3)} "
                       f"(tolerance {num(params.tol)}).", -1, None, none, none, violation)
            return
    violation = max(p.violation()[0] for p in pairs)
    support = [m.support for m in machines]
    n_sv = sum(len(s) for s in support)
    on_margin = sum(int((~m.bounded).sum()) for m in machines)
    yield snap("converged", f"Converged: no pair breaks the optimality conditions by more "
               f"than {num(params.tol)}. {plural(n_sv, 'support vector')}: {on_margin} on the "
               f"margin, {n_sv - on_margin} inside it or on the wrong side (α = C).", -1,
               None, none, none, violation)


def _subgradient(data, params, classes, scaling, pairs) -> Iterator[Step]:
    index_of = data.train_index
    primals, duals = _History(params.steps + 2), _History(params.steps + 2)
    none = frozen(np.zeros(2))
    ws = [np.zeros(2) for _ in pairs]
    bs = [0.0 for _ in pairs]
    index = 0

    def state(p, w, b):
        margins = p.y * (p.Z @ w + b)
        hinge = float(np.maximum(0.0, 1.0 - margins).sum())
        return margins, hinge, 0.5 * float(w @ w) + params.C * hinge

    def machines():
        out = []
        for p, w, b in zip(pairs, ws, bs, strict=True):
            margins, _, _ = state(p, w, b)
            s = np.flatnonzero(margins <= 1.0)
            out.append(Machine(p.negative, p.positive, frozen(index_of[p.members[s]]),
                               frozen(margins[s] < 1.0), frozen(np.zeros(0)), frozen(p.Z[s]),
                               b, frozen(w)))
        return out

    def snap(phase, caption, primal, violators):
        nonlocal index
        model = _model(machines(), classes, params, scaling)
        metrics, predicted = _metrics(model._values(data.X), classes, data,
                                      {"epoch": index, "primal": primal,
                                       "violators": violators})
        step = Step(index=index, phase=phase, caption=caption, metrics=metrics,
                    predicted=predicted, model=model, machine=-1, pair=None,
                    alpha_old=none, alpha_new=none,
                    violation=math.nan, primal=primal, dual=math.nan,
                    primals=primals.add(primal), duals=duals.add(math.nan))
        index += 1
        return step

    start = sum(state(p, w, b)[2] for p, w, b in zip(pairs, ws, bs, strict=True))
    yield snap("init", f"w = 0 and b = 0: every point sits on the boundary, inside the margin, "
               f"so the cost ½‖w‖² + C·Σ hinge starts at {num(start)} (C = {num(params.C)}).",
               start, sum(len(p.y) for p in pairs))
    for epoch in range(1, params.steps + 1):
        eta = params.lr / math.sqrt(epoch)
        total_violators = 0
        hinge_total = 0.0
        for m, p in enumerate(pairs):
            margins, _, _ = state(p, ws[m], bs[m])
            inside = margins < 1.0
            n = len(p.y)
            lam = 1.0 / (n * params.C)
            push = (p.y[inside, None] * p.Z[inside]).sum(axis=0) / n
            ws[m] = ws[m] - eta * (lam * ws[m] - push)
            bs[m] = bs[m] + eta * float(p.y[inside].sum()) / n
            total_violators += int(inside.sum())
        parts = [state(p, w, b) for p, w, b in zip(pairs, ws, bs, strict=True)]
        primal = sum(s[2] for s in parts)
        hinge_total = sum(s[1] for s in parts)
        violators = sum(int((s[0] < 1.0).sum()) for s in parts)
        phase = "epoch" if epoch < params.steps else "stopped"
        caption = (f"Epoch {epoch}: {plural(total_violators, 'point')} inside the margin or on "
                   f"the wrong side pulled w towards them (step size {num(eta, 3)}); now "
                   f"{violators} remain, hinge sum {num(hinge_total)}, cost ½‖w‖² + C·Σ hinge "
                   f"= {num(primal)}.")
        if phase == "stopped":
            caption += " That was the last epoch allowed."
        yield snap(phase, caption, primal, violators)


def final(data: LabelledData, params: Params) -> Step:
    """Run to the end and return the last step."""
    last = None
    for last in run(data, params):  # noqa: B007 - we want the last one
        pass
    return last
