"""Principal component analysis: centre, find the directions of largest spread, project.

The recipe: subtract each column's mean (and, if chosen, divide by its standard deviation),
then find the unit directions along which the centred points spread the most. Two routes
give the same directions:

* eigen: the eigenvectors of the covariance matrix C = ZᵀZ / (n − 1), largest eigenvalue
  first; the eigenvalue is the variance of the points projected on that direction.
* svd: the singular value decomposition Z = U·S·Vᵀ of the centred table itself; the rows of
  Vᵀ are the same directions and the variances are s² / (n − 1). It never forms ZᵀZ, so it
  keeps more digits when the spreads differ by many orders of magnitude.

A direction's sign is arbitrary; both routes flip each one so that its largest entry (by
absolute value) is positive, the convention scikit-learn uses too.

Two stories are told step by step. For two columns: the cloud and its mean, the centred
cloud, a line through the origin turning one angle step at a time while the variance of the
projections is recorded against the angle — it peaks at the first component — then the
second at right angles, the points in the new coordinates, and the reconstruction from k
components with its error segments. For more columns: the centred table, the covariance
matrix (eigen route), the scree of explained variance, the projection on PC1/PC2 with the
loadings for a biplot, and the reconstruction error as k grows.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from algorithms.base import Snapshot, frozen, num, param, plural, validate

METHODS = ("svd", "eigen")
# A column's sum of squared deviations outside this range may have overflowed or lost its
# digits to underflow: such data are scaled by powers of two (exact) and centred again.
SAFE = (1e-100, 1e100)
BLOCK = 4096   # rows centred at a time when the eigen route sums the covariance directly


@dataclass(frozen=True)
class Params:
    standardize: bool = param(False, label="standardise columns",
                              tip="divide each centred column by its standard deviation "
                                  "(ddof 0), so that columns in different units count "
                                  "equally; a constant column cannot be standardised")
    method: str = param("svd", values=METHODS, label="route",
                        tip="svd: singular vectors of the centred table; eigen: eigenvectors "
                            "of the covariance matrix — the same directions either way")
    k: int = param(1, limits=(1, 50), label="components kept (k)",
                   tip="how many components the projection and the reconstruction use")
    angle_step: float = param(2.0, limits=(0.1, 30.0), step=0.5, label="angle step (°)",
                              tip="two columns: how far the line turns at each step")
    full_turn: bool = param(False, label="sweep the whole half-turn",
                            tip="two columns: keep turning past the maximum to see the whole "
                                "variance curve (its minimum is the second component)")


@dataclass(frozen=True, kw_only=True)
class Prepared:
    """The data made ready for PCA; every array is read-only.

    ``Z`` is the working table (centred, and standardised when asked), in the units every
    later number refers to. ``Zs = Z / factor`` with ``factor`` a power of two chosen so
    that squares of ``Zs`` neither overflow nor underflow (1 for ordinary data).
    """

    Z: np.ndarray
    Zs: np.ndarray
    factor: float
    mean: np.ndarray            # (d,) column means of the data as given
    scale: np.ndarray | None    # (d,) standard deviations divided out, or None


@dataclass(frozen=True, kw_only=True)
class Fit:
    """A fitted PCA: m = min(n, d) components, largest variance first; arrays read-only."""

    mean: np.ndarray
    scale: np.ndarray | None
    components: np.ndarray      # (m, d) unit rows
    variance: np.ndarray        # (m,) explained variance (ddof 1) of each component
    ratio: np.ndarray           # (m,) share of the total variance
    cumulative: np.ndarray      # (m,) running sum of ratio
    singular_values: np.ndarray # (m,) singular values of the working table Z
    n_samples: int
    method: str


@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    """One step of the PCA story. Arrays that do not change are shared between steps.

    Working units: after the "centre" step every coordinate is in the units of ``centred``
    (the data minus the mean, divided by ``scale`` when standardising).
    """

    mean: np.ndarray                 # (d,) column means of the data as given
    scale: np.ndarray | None         # (d,) standard deviations divided out, or None
    centred: np.ndarray | None       # (n, d) working table; None in the "data" step
    covariance: np.ndarray | None    # (d, d) covariance of the working table, once shown
    angle: float                     # 2-D: the turning line's angle in degrees, else nan
    direction: np.ndarray | None     # 2-D: unit vector of the turning line / current PC
    sweep_angles: np.ndarray         # 2-D: angles tried so far (degrees)
    sweep_variances: np.ndarray      # 2-D: variance of the projections at each angle
    components: np.ndarray           # (c, d) components found so far, unit rows
    variance: np.ndarray             # (c,) their explained variances
    ratio: np.ndarray                # (c,) their shares of the total variance
    cumulative: np.ndarray           # (c,) running sum of ratio
    scores: np.ndarray | None        # (n, 2) coordinates on PC1 and PC2, from "project" on
    loadings: np.ndarray | None      # (d, 2) biplot arrows: component entry × √variance
    k: int                           # components kept for projection and reconstruction
    reconstruction: np.ndarray | None  # 2-D: (n, 2) points rebuilt from k components
    errors: np.ndarray               # mean squared reconstruction error for k = 0, 1, …


# --- checking and preparing the data ------------------------------------------------------
def _names(columns: Sequence[str] | None, idx) -> str:
    idx = [int(i) for i in idx]
    shown = [repr(columns[i]) if columns is not None else str(i + 1) for i in idx[:5]]
    more = f" and {len(idx) - 5} more" if len(idx) > 5 else ""
    return ", ".join(shown) + more


def check_data(X) -> np.ndarray:
    """The data as a float table of at least 2 rows × 2 columns, or a ValueError."""
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("PCA needs a table of numbers") from None
    if X.ndim != 2:
        raise ValueError("PCA needs a table of points (rows) by numeric columns")
    n, d = X.shape
    if d < 2:
        raise ValueError(f"PCA needs at least two numeric columns; this table has {d}")
    if n < 2:
        raise ValueError(f"PCA needs at least two rows to measure a spread; there "
                         f"{'is' if n == 1 else 'are'} {n}")
    return X


def _centre(Xs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Xs − column means, the means, each centred column's sum of squares)."""
    with np.errstate(all="ignore"):
        mean = Xs.mean(0)
        Zs = Xs - mean
        return Zs, mean, np.einsum("ij,ij->j", Zs, Zs)


def prepare(X, standardize: bool = False, columns: Sequence[str] | None = None) -> Prepared:
    """Centre the columns (and divide by their standard deviations when standardising).

    Ordinary data take one pass for the means, one to centre and one for the spreads.
    When a spread would overflow or underflow as a square, each column is first divided by
    a power of two near its largest value (exact in floating point) and centred again;
    without standardising, the centred columns are then brought back to one common power
    of two, ``factor``, so that the directions do not change.
    """
    X = check_data(X)
    n, d = X.shape
    shift = np.zeros(d, dtype=int)            # each column was divided by 2**shift
    Zs, mean_s, ss = _centre(X)
    if not (np.isfinite(ss).all() and ss.min() > SAFE[0] and ss.max() < SAFE[1]):
        bad = ~np.isfinite(X).all(1)
        if bad.any():
            raise ValueError(f"the data contain NaN or infinite values "
                             f"({plural(int(bad.sum()), 'row')}, first at row "
                             f"{int(np.argmax(bad)) + 1})")
        shift = np.frexp(np.abs(X).max(0))[1]
        Zs, mean_s, ss = _centre(np.ldexp(X, -shift))
    # A column is constant when its spread is no more than rounding the mean can leave.
    constant = np.flatnonzero(ss <= n * (64 * np.finfo(float).eps * mean_s) ** 2)
    if len(constant) == d:
        raise ValueError("every column is constant: there is no spread for PCA to find")
    if standardize and len(constant):
        which = _names(columns, constant)
        raise ValueError(f"column {which} is constant, so standardising would divide by its "
                         f"standard deviation, 0; remove it or turn standardising off"
                         if len(constant) == 1 else
                         f"columns {which} are constant, so standardising would divide by "
                         f"their standard deviation, 0; remove them or turn standardising off")
    Zs[:, constant] = 0.0   # what rounding left there is not spread
    mean = np.ldexp(mean_s, shift)
    if standardize:
        std_s = np.sqrt(ss / n)
        Zs /= std_s
        scale, factor = np.ldexp(std_s, shift), 1.0
        if not np.isfinite(scale).all():
            raise ValueError("a column spreads too widely to be standardised; rescale it")
        Z = Zs
    else:
        scale, factor = None, 1.0
        if shift.any():  # one common power of two for every centred column
            live = np.setdiff1d(np.arange(d), constant)
            top = int((np.frexp(np.abs(Zs[:, live]).max(0))[1] + shift[live]).max())
            Zs = np.ldexp(Zs, shift - top)
            ss = np.einsum("ij,ij->j", Zs, Zs)
            factor = math.ldexp(1.0, top) if top < 1024 else math.inf
        total = float(ss.sum()) / (n - 1) * factor * factor
        spread = f"{num(float(np.sqrt(ss.max() / n)) * factor, 2)}"
        if not math.isfinite(total):
            raise ValueError(f"the data spread too widely (about {spread}) for their variance "
                             "to be a number; rescale the columns or standardise them")
        if total < 1e-290:
            raise ValueError(f"the data spread too little (about {spread}) for their variance "
                             "to be a number; rescale the columns or standardise them")
        Z = Zs if factor == 1.0 else Zs * factor
    Zs.flags.writeable = False
    Z.flags.writeable = False
    return Prepared(Z=Z, Zs=Zs, factor=factor, mean=frozen(mean),
                    scale=None if scale is None else frozen(scale))


# --- the decomposition --------------------------------------------------------------------
def _flip(components: np.ndarray) -> np.ndarray:
    """Make each row's largest entry (by absolute value) positive."""
    rows = np.arange(len(components))
    signs = np.sign(components[rows, np.abs(components).argmax(1)])
    signs[signs == 0] = 1.0
    return components * signs[:, None]


def covariance(Zs: np.ndarray, factor: float = 1.0) -> np.ndarray:
    """C = ZᵀZ / (n − 1) of a centred table (given as Zs = Z / factor)."""
    return (Zs.T @ Zs) / (len(Zs) - 1) * (factor * factor)


def decompose(Zs: np.ndarray, method: str = "svd",
              factor: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(components (m, d), variances (m,), singular values (m,)) of a centred table.

    ``Zs`` is the table divided by ``factor``; the variances and singular values returned
    are those of ``Zs · factor``. m = min(n, d), largest variance first.
    """
    n, d = Zs.shape
    m = min(n, d)
    if method == "svd":
        _, s, vt = np.linalg.svd(Zs, full_matrices=False)
        components, variance = vt[:m], s[:m] ** 2 / (n - 1)
    elif method == "eigen":
        components, variance = _eigen(covariance(Zs), m)
    else:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    variance = variance * (factor * factor)
    singular = np.sqrt(variance * (n - 1))
    return _flip(components), variance, singular


def _eigen(C: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """(the m leading eigenvectors of a covariance matrix as rows, their eigenvalues)."""
    values, vectors = np.linalg.eigh(C)
    order = np.argsort(values)[::-1][:m]
    variance = np.maximum(values[order], 0.0)  # rounding can leave tiny negatives
    return vectors[:, order].T, variance


def centred_gram(X: np.ndarray, mean: np.ndarray, block: int = BLOCK) -> np.ndarray:
    """(X − mean)ᵀ(X − mean), centring one block of rows at a time in a reused buffer.

    The same sums as centring the whole table first, without writing a centred copy of it:
    a fresh (n, d) array costs as much as the product itself (every page of it is new to
    the process), while a block of a few thousand rows stays in the cache.
    """
    n, d = X.shape
    gram = np.zeros((d, d))
    buffer = np.empty((min(block, n), d))
    with np.errstate(all="ignore"):
        for start in range(0, n, block):
            rows = X[start:start + block]
            z = buffer[: len(rows)]
            np.subtract(rows, mean, out=z)
            gram += z.T @ z           # numpy hands AᵀA to BLAS syrk: half the products
    return gram


def _fit_eigen_directly(X, standardize: bool) -> Fit | None:
    """The eigen route for ordinary data without building the centred table; None when the
    data need prepare()'s care (NaN, extreme or constant columns), which then says why."""
    X = check_data(X)
    n, d = X.shape
    with np.errstate(all="ignore"):
        mean = X.mean(0)
    gram = centred_gram(X, mean)
    ss = np.diagonal(gram).copy()     # each centred column's sum of squares
    if not (np.isfinite(ss).all() and ss.min() > SAFE[0] and ss.max() < SAFE[1]):
        return None
    if (ss <= n * (64 * np.finfo(float).eps * mean) ** 2).any():   # prepare()'s constant test
        return None
    scale = None
    if standardize:
        scale = np.sqrt(ss / n)
        gram = gram / np.outer(scale, scale)
    components, variance = _eigen(gram / (n - 1), min(n, d))
    return _fit(mean, scale, _flip(components), variance, n, "eigen")


def fit(X, standardize: bool = False, method: str = "svd",
        columns: Sequence[str] | None = None) -> Fit:
    """Prepare X and decompose it; everything a scree plot or a biplot needs.

    The eigen route only needs the covariance matrix, so for ordinary data it sums it block
    by block (centred_gram) instead of building the centred table that the stories show.
    """
    if method == "eigen":
        direct = _fit_eigen_directly(X, standardize)
        if direct is not None:
            return direct
    return fit_prepared(prepare(X, standardize, columns), method)


def fit_prepared(prep: Prepared, method: str = "svd") -> Fit:
    components, variance, _ = decompose(prep.Zs, method, prep.factor)
    return _fit(prep.mean, prep.scale, components, variance, len(prep.Z), method)


def _fit(mean, scale, components, variance, n, method) -> Fit:
    ratio = variance / float(variance.sum())
    return Fit(mean=frozen(mean), scale=None if scale is None else frozen(scale),
               components=frozen(components), variance=frozen(variance), ratio=frozen(ratio),
               cumulative=frozen(np.cumsum(ratio)),
               singular_values=frozen(np.sqrt(variance * (n - 1))), n_samples=n,
               method=method)


def transform(model: Fit, X, k: int | None = None) -> np.ndarray:
    """Scores (n, k) of rows X (in the data's own units) on the first k components."""
    Z = np.asarray(X, dtype=float) - model.mean
    if model.scale is not None:
        Z = Z / model.scale
    return Z @ model.components[:k].T


def inverse_transform(model: Fit, scores) -> np.ndarray:
    """Rows in the data's own units rebuilt from scores on the first k components."""
    scores = np.asarray(scores, dtype=float)
    Z = scores @ model.components[: scores.shape[1]]
    if model.scale is not None:
        Z = Z * model.scale
    return Z + model.mean


def reconstruction_errors(model: Fit) -> np.ndarray:
    """Mean squared distance (working units) from each point to its reconstruction from the
    first k components, for k = 0 … m: the variance left out, Σ_{j>k} λ_j, times (n − 1)/n.
    """
    left = np.concatenate([np.cumsum(model.variance[::-1])[::-1], [0.0]])
    return left * (model.n_samples - 1) / model.n_samples


def projection_variance(Zs: np.ndarray, direction, factor: float = 1.0) -> float:
    """Variance of the projections of the centred rows on a unit direction."""
    p = Zs @ np.asarray(direction, dtype=float)
    # einsum, not p @ p: a BLAS dot product stalls for ~15 ms when the other core is busy
    return float(np.einsum("i,i->", p, p)) / (len(Zs) - 1) * factor * factor


def feet(Z: np.ndarray, direction) -> np.ndarray:
    """(n, d) the points' perpendicular feet on the line through 0 along a unit direction."""
    u = np.asarray(direction, dtype=float)
    return (Z @ u)[:, None] * u[None, :]


def unit(angle_degrees: float) -> np.ndarray:
    rad = math.radians(angle_degrees)
    return np.array([math.cos(rad), math.sin(rad)])


def angle_of(direction) -> float:
    """The angle in [0, 180) of the line along a 2-D direction (a line has no arrow)."""
    a = math.degrees(math.atan2(float(direction[1]), float(direction[0]))) % 180.0
    return 0.0 if a >= 180.0 - 1e-12 else a


# --- the stepwise run ---------------------------------------------------------------------
EMPTY = frozen(np.zeros(0))


def run(X, params: Params, rng: np.random.Generator | None = None,
        columns: Sequence[str] | None = None) -> Iterator[Step]:
    """Yield the PCA story for X (n, d): the turning line for d = 2, the table story else.

    ``columns`` names the columns in messages. PCA draws no random numbers; ``rng`` is
    accepted so every algorithm is called alike.
    """
    validate(params)
    prep = prepare(X, params.standardize, columns)
    n, d = prep.Z.shape
    m = min(n, d)
    if params.k > m:
        raise ValueError(f"k = {params.k} components, but {n} rows × {d} columns have at most "
                         f"{m}")
    model = fit_prepared(prep, params.method)
    story = _plane if d == 2 else _table
    yield from story(prep, model, params)


class _Snaps:
    """Numbers the steps and fills the fields a step leaves unchanged."""

    def __init__(self, prep: Prepared, k: int):
        self.index = 0
        self.base = dict(mean=prep.mean, scale=prep.scale, centred=None, covariance=None,
                         angle=float("nan"), direction=None, sweep_angles=EMPTY,
                         sweep_variances=EMPTY, components=frozen(np.zeros((0, prep.Z.shape[1]))),
                         variance=EMPTY, ratio=EMPTY, cumulative=EMPTY, scores=None,
                         loadings=None, k=k, reconstruction=None, errors=EMPTY)

    def __call__(self, phase: str, caption: str, metrics: dict, **changes) -> Step:
        self.base.update(changes)
        step = Step(index=self.index, phase=phase, caption=caption, metrics=metrics, **self.base)
        self.index += 1
        return step


def _intro(prep: Prepared, model: Fit, snap: _Snaps) -> Iterator[Step]:
    n, d = prep.Z.shape
    means = ", ".join(num(v, 3) for v in prep.mean[:6]) + (", …" if d > 6 else "")
    yield snap("data", f"{plural(n, 'point')} in {d} columns; the mean of each column is "
               f"({means}).", {"points": n, "columns": d})
    if prep.scale is None:
        what = "Subtracted each column's mean: the cloud is now centred on the origin."
    else:
        what = ("Subtracted each column's mean and divided by its standard deviation: "
                "every column now has mean 0 and spread 1.")
    total = float(model.variance.sum())
    yield snap("centre", f"{what} Total variance {num(total)}.", {"total variance": total},
               centred=prep.Z)


def _plane(prep: Prepared, model: Fit, params: Params) -> Iterator[Step]:
    snap = _Snaps(prep, params.k)
    yield from _intro(prep, model, snap)
    cov = frozen(covariance(prep.Zs, prep.factor))
    exact = angle_of(model.components[0])
    angles, variances = [], []
    best = 0
    risen = False
    count = int(math.ceil(180.0 / params.angle_step - 1e-9))
    for i in range(count):
        angle = i * params.angle_step
        u = unit(angle)
        v = projection_variance(prep.Zs, u, prep.factor)
        angles.append(angle)
        variances.append(v)
        if v > variances[best]:
            best = i
        falling = i > 0 and v < variances[i - 1]
        if i > 0 and v > variances[i - 1]:
            risen = True
        caption = (f"The line at {num(angle)}°: its projections have variance {num(v)} "
                   f"(the largest so far is {num(variances[best])}, at "
                   f"{num(angles[best])}°).")
        yield snap("rotate", caption, {"angle": angle, "variance": v}, centred=prep.Z,
                   covariance=cov, angle=angle, direction=frozen(u),
                   sweep_angles=frozen(angles), sweep_variances=frozen(variances))
        if risen and falling and not params.full_turn:
            break
    gap = abs(angles[best] - exact)
    gap = min(gap, 180.0 - gap)
    route = ("the top eigenvector of the covariance matrix" if params.method == "eigen"
             else "the first right-singular vector of the centred table")
    caption = (f"The variance peaked at {num(angles[best])}° ({num(variances[best])}). "
               f"The first principal component, {route}, lies at {num(exact)}° with variance "
               f"{num(model.variance[0])} — {num(gap, 2)}° from the sweep's best angle.")
    if model.variance[0] - model.variance[1] <= 1e-9 * model.variance[0]:
        caption += (" Every direction spreads the points equally here, so any line is a "
                    "first component.")
    pc1 = model.components[:1]
    yield snap("first", caption, {"PC1 angle": exact, "PC1 variance": float(model.variance[0]),
                                  "sweep best angle": angles[best]},
               angle=exact, direction=frozen(model.components[0]), components=frozen(pc1),
               variance=model.variance[:1], ratio=model.ratio[:1],
               cumulative=model.cumulative[:1])
    second = angle_of(model.components[1])
    yield snap("second", f"The second component is at right angles, at {num(second)}°: "
               f"variance {num(model.variance[1])}. PC1 explains "
               f"{num(100 * model.ratio[0], 3)}% of the variance, PC2 the remaining "
               f"{num(100 * model.ratio[1], 3)}%.",
               {"PC2 angle": second, "PC2 variance": float(model.variance[1]),
                "PC1 share": float(model.ratio[0])},
               angle=second, direction=frozen(model.components[1]),
               components=model.components, variance=model.variance, ratio=model.ratio,
               cumulative=model.cumulative)
    scores = frozen(prep.Z @ model.components.T)
    yield snap("project", "Each point's coordinates on PC1 and PC2: the same cloud turned so "
               "that its widest spread lies along the first axis.",
               {"PC1 spread": float(np.sqrt(model.variance[0])),
                "PC2 spread": float(np.sqrt(model.variance[1]))}, scores=scores)
    yield _rebuild_plane(model, params.k, snap, scores)


def _rebuild_plane(model, k, snap, scores) -> Step:
    rebuilt = frozen(scores[:, :k] @ model.components[:k])
    errors = frozen(reconstruction_errors(model))
    error = float(errors[k])   # the variance left out; the segments' mean square up to rounding
    if k == 2:
        caption = ("Rebuilt from both components: every point is back where it was "
                   f"(mean squared error {num(error)}).")
    else:
        caption = (f"Rebuilt from PC1 alone: each point drops onto the PC1 line. The segments "
                   f"are the errors; their mean square is {num(error)}, the variance PC2 "
                   f"carried ({num(model.variance[1])}) × (n − 1)/n.")
    return snap("reconstruct", caption, {"k": k, "reconstruction error": error},
                reconstruction=rebuilt, errors=errors)


def _table(prep: Prepared, model: Fit, params: Params) -> Iterator[Step]:
    snap = _Snaps(prep, params.k)
    yield from _intro(prep, model, snap)
    d = prep.Z.shape[1]
    cov = frozen(covariance(prep.Zs, prep.factor))
    if params.method == "eigen":
        yield snap("covariance", f"The {d} × {d} covariance matrix C = ZᵀZ / (n − 1): its "
                   "diagonal holds each column's variance, the rest how pairs of columns vary "
                   "together.", {"trace": float(np.trace(cov))}, covariance=cov)
        how = "Eigenvectors of C"
    else:
        how = "The SVD of the centred table, Z = U·S·Vᵀ: the rows of Vᵀ"
    m = len(model.variance)
    keep90 = int(np.searchsorted(model.cumulative, 0.9 - 1e-12) + 1)
    yield snap("decompose", f"{how} are the {plural(m, 'component')}. PC1 explains "
               f"{num(100 * model.ratio[0], 3)}% of the variance; {plural(keep90, 'component')} "
               f"together explain 90%.",
               {"PC1 share": float(model.ratio[0]), "components for 90%": keep90},
               covariance=cov, components=model.components, variance=model.variance,
               ratio=model.ratio, cumulative=model.cumulative)
    scores = frozen(prep.Z @ model.components[:2].T)
    loadings = frozen(model.components[:2].T * np.sqrt(model.variance[:2]))
    yield snap("project", f"Every row projected on PC1 and PC2 ({num(100 * model.cumulative[1], 3)}"
               "% of the variance). The arrows show how much each column moves along each "
               "component.", {"PC1+PC2 share": float(model.cumulative[1])},
               scores=scores, loadings=loadings)
    errors = reconstruction_errors(model)
    for k in range(1, m + 1):
        caption = (f"Rebuilt from {plural(k, 'component')}: mean squared error "
                   f"{num(errors[k])} ({num(100 * model.cumulative[k - 1], 3)}% of the "
                   "variance kept).")
        if k == m:
            caption += " Every component is used, so the table is rebuilt exactly."
        if k == params.k:
            caption += f" This is the k = {k} you chose."
        yield snap("reconstruct", caption, {"k": k, "reconstruction error": float(errors[k]),
                                            "variance kept": float(model.cumulative[k - 1])},
                   errors=frozen(errors[: k + 1]))
