"""k-means clustering (Lloyd's algorithm), one assign or update at a time.

Each iteration is shown as two steps: *assign* (every point joins its nearest centre)
and *update* (every centre moves to the mean of its points). k-means++ seeding is shown
one centre at a time, so students see why it spreads the centres out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from algorithms.base import Snapshot, frozen, param, validate

INITS = ("random", "k-means++", "manual")


@dataclass(frozen=True)
class Params:
    k: int = param(3, limits=(1, 20), tip="number of clusters")
    init: str = param("k-means++", values=INITS,
                      tip="how the first centres are chosen; manual: click on the canvas")
    max_iter: int = param(100, limits=(1, 1000), tip="stop after this many iterations")
    tol: float = param(1e-4, limits=(0.0, 1.0), step=1e-4,
                       tip="stop when the centres move less than this "
                           "(relative to the data's variance)")


@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    centers: np.ndarray   # (k, d) centres after this step
    labels: np.ndarray    # (n,) cluster of each point; -1 before the first assignment
    changed: np.ndarray   # (n,) bool: the point switched cluster in this assign step
    trail: np.ndarray     # (m, k, d) the centres after init and after every update so far
    iteration: int
    inertia: float        # sum of squared distances to the assigned centre; nan before assign
    inertias: np.ndarray  # inertia after every assign and update step so far


def squared_distances(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """(n, k) squared Euclidean distances, via |x|² − 2x·c + |c|² (one matrix product)."""
    d = (X * X).sum(1)[:, None] - 2.0 * X @ centers.T + (centers * centers).sum(1)[None, :]
    return np.maximum(d, 0.0)  # rounding can leave tiny negatives


def assign(X: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, float]:
    """Nearest centre of every point, and the inertia of that assignment."""
    if X.shape[1] <= 4:
        # Few coordinates: sum the squared differences one coordinate at a time. Plain
        # element-wise numpy, so it never waits for a multi-threaded BLAS that another
        # busy core has stalled (measured: 60 ms instead of 6 under load).
        d = np.zeros((len(X), len(centers)))
        for j in range(X.shape[1]):
            diff = X[:, j, None] - centers[None, :, j]
            diff *= diff
            d += diff
        labels = d.argmin(1)
        return labels, float(np.take_along_axis(d, labels[:, None], 1).sum())
    # Many coordinates: |x|² is the same for every centre, so the argmin needs only
    # |c|² − 2x·c, one matrix product; |x|² is added back once for the inertia.
    partial = X @ (-2.0 * centers.T)
    partial += (centers * centers).sum(1)
    labels = partial.argmin(1)
    nearest = partial[np.arange(len(X)), labels] + (X * X).sum(1)
    return labels, float(np.maximum(nearest, 0.0).sum())


def inertia_of(X: np.ndarray, labels: np.ndarray, centers: np.ndarray) -> float:
    """Sum of squared distances of the points to their own cluster's centre."""
    return float(((X - centers[labels]) ** 2).sum())


def update(X: np.ndarray, labels: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean of each cluster's points; an empty cluster keeps its old centre."""
    k, d = centers.shape
    counts = np.bincount(labels, minlength=k)
    sums = np.stack([np.bincount(labels, weights=X[:, j], minlength=k) for j in range(d)], 1)
    new = centers.copy()
    filled = counts > 0
    new[filled] = sums[filled] / counts[filled, None]
    return new, ~filled


def kmeans_plus_plus(X: np.ndarray, k: int,
                     rng: np.random.Generator) -> Iterator[tuple[int, float]]:
    """Yield the index of each seed point and its distance to the nearest earlier seed.

    The first seed is uniform; each later one is drawn with probability proportional to
    its squared distance to the nearest seed so far, so far-away points are likely picks.
    """
    first = int(rng.integers(len(X)))
    yield first, 0.0
    nearest = ((X - X[first]) ** 2).sum(1)
    for _ in range(1, k):
        total = nearest.sum()
        if total <= 0:  # fewer distinct points than k: any point will do
            pick = int(rng.integers(len(X)))
        else:
            pick = int(rng.choice(len(X), p=nearest / total))
        yield pick, float(np.sqrt(nearest[pick]))
        nearest = np.minimum(nearest, ((X - X[pick]) ** 2).sum(1))


def check_data(X: np.ndarray, k: int) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError("k-means needs a non-empty table of points (rows × coordinates)")
    if not np.isfinite(X).all():
        raise ValueError("the points contain NaN or infinite values")
    if len(X) < k:
        raise ValueError(f"k = {k} clusters need at least {k} points; there are {len(X)}")
    return X


def run(X, params: Params, rng: np.random.Generator,
        init_centers: np.ndarray | None = None) -> Iterator[Step]:
    """Yield the init, assign, update … converged steps of k-means on X (n, d)."""
    validate(params)
    X = check_data(X, params.k)
    n, k = len(X), params.k
    no_labels = frozen(np.full(n, -1))
    no_change = frozen(np.zeros(n, bool))
    index = 0
    inertias: list[float] = []

    def snap(phase, caption, centers, labels, changed, trail, iteration, inertia):
        nonlocal index
        if phase in ("assign", "update"):
            inertias.append(inertia)
        step = Step(index=index, phase=phase, caption=caption,
                    metrics={"iteration": iteration, "inertia": inertia,
                             "changed": int(changed.sum())},
                    centers=frozen(centers), labels=labels, changed=changed,
                    trail=frozen(trail), iteration=iteration, inertia=inertia,
                    inertias=frozen(inertias))
        index += 1
        return step

    # --- init -------------------------------------------------------------------------
    if params.init == "manual":
        if init_centers is None or len(init_centers) != k:
            placed = 0 if init_centers is None else len(init_centers)
            raise ValueError(f"manual init: click on the canvas to place {k} centres "
                             f"({placed} placed so far)")
        centers = np.asarray(init_centers, dtype=float).reshape(k, X.shape[1]).copy()
        yield snap("init", f"You placed the {k} starting centres by hand.", centers,
                   no_labels, no_change, centers[None], 0, float("nan"))
    elif params.init == "random":
        centers = X[rng.choice(n, size=k, replace=False)].copy()
        yield snap("init", f"Chose {k} data points at random as the starting centres.",
                   centers, no_labels, no_change, centers[None], 0, float("nan"))
    else:
        seeds = []
        for pick, distance in kmeans_plus_plus(X, k, rng):
            seeds.append(pick)
            centers = X[seeds].copy()
            if len(seeds) == 1:
                caption = "k-means++: the first centre is a data point picked uniformly at random."
            else:
                caption = (f"k-means++: centre {len(seeds)} of {k} drawn with probability ∝ "
                           f"squared distance to the nearest centre (this one is "
                           f"{distance:.2f} away).")
            yield snap("init", caption, centers, no_labels, no_change, centers[None], 0,
                       float("nan"))

    # --- Lloyd iterations -------------------------------------------------------------
    tol = params.tol * float(np.mean(np.var(X, axis=0)))  # scale-free, like scikit-learn
    labels = np.full(n, -1)
    trail = [centers.copy()]
    for iteration in range(1, params.max_iter + 1):
        new_labels, inertia = assign(X, centers)
        changed = new_labels != labels if iteration > 1 else np.zeros(n, bool)
        labels = new_labels
        moved = int(changed.sum())
        if iteration == 1:
            caption = f"Assign: every point joins its nearest centre (inertia {inertia:.4g})."
        else:
            caption = (f"Assign: {moved} point{'s' if moved != 1 else ''} changed cluster "
                       f"(inertia {inertia:.4g}).")
        yield snap("assign", caption, centers, frozen(labels), frozen(changed),
                   np.array(trail), iteration, inertia)
        if iteration > 1 and moved == 0:
            yield snap("converged", f"Converged after {iteration - 1} iterations: no point "
                       f"changed cluster, so the centres cannot move (inertia {inertia:.4g}).",
                       centers, frozen(labels), no_change, np.array(trail), iteration - 1,
                       inertia)
            return

        new_centers, empty = update(X, labels, centers)
        shift = float(((new_centers - centers) ** 2).sum())
        largest = float(np.sqrt(((new_centers - centers) ** 2).sum(1)).max())
        centers = new_centers
        trail.append(centers.copy())
        inertia = inertia_of(X, labels, centers)  # same labels, better centres: never higher
        caption = ("Update: each centre moved to the mean of its points "
                   f"(largest move {largest:.3g}).")
        if empty.any():
            caption += f" Cluster {', '.join(str(i + 1) for i in np.flatnonzero(empty))} " \
                       "has no points, so its centre stays put."
        yield snap("update", caption, centers, frozen(labels), no_change, np.array(trail),
                   iteration, inertia)
        if shift <= tol:
            labels, inertia = assign(X, centers)
            yield snap("converged", f"Converged after {iteration} iterations: the centres "
                       f"moved less than the tolerance (inertia {inertia:.4g}).", centers,
                       frozen(labels), no_change, np.array(trail), iteration, inertia)
            return
    labels, inertia = assign(X, centers)
    yield snap("converged", f"Stopped at the iteration limit ({params.max_iter}) before "
               f"converging (inertia {inertia:.4g}).", centers, frozen(labels), no_change,
               np.array(trail), params.max_iter, inertia)


def final(X, params: Params, rng: np.random.Generator, init_centers=None) -> Step:
    """Run k-means to the end and return the last step."""
    last = None
    for last in run(X, params, rng, init_centers):  # noqa: B007 - we want the last one
        pass
    return last


def elbow(X, ks=range(1, 11), rng: np.random.Generator | None = None,
          init: str = "k-means++") -> np.ndarray:
    """Final inertia for each k (one seeded k-means++ run each), for the elbow plot."""
    rng = rng if rng is not None else np.random.default_rng(0)
    X = np.asarray(X, dtype=float)
    return np.array([final(X, Params(k=k, init=init), rng).inertia if k <= len(X)
                     else np.nan for k in ks])
