"""k-means clustering (Lloyd's algorithm), one assign or update at a time.

Each iteration is shown as two steps: *assign* (every point joins its nearest centre)
and *update* (every centre moves to the mean of its points). k-means++ seeding is shown
one centre at a time, so students see why it spreads the centres out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from algorithms.base import Snapshot, frozen, num, param, plural, validate

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


def normalising(X: np.ndarray) -> tuple[np.ndarray, int]:
    """A centre and a power-of-two exponent e such that (X − centre)·2⁻ᵉ lies in [−1, 1].

    k-means does not change when every point is shifted or scaled alike, so the work is
    done on the normalised points: squared distances then never overflow (values near the
    float maximum), never underflow to zero (values near 1e-300), and a large common offset
    (1e8) does not eat the digits that tell points apart. Scaling by a power of two is exact.
    """
    lo, hi = X.min(0), X.max(0)
    centre = lo / 2 + hi / 2            # halves first: lo + hi may overflow
    reach = float(np.abs(X - centre).max())
    exponent = int(np.frexp(reach)[1]) if reach > 0 else 0
    return centre, exponent


def run(X, params: Params, rng: np.random.Generator,
        init_centers: np.ndarray | None = None) -> Iterator[Step]:
    """Yield the init, assign, update … converged steps of k-means on X (n, d)."""
    validate(params)
    X = check_data(X, params.k)
    n, k = len(X), params.k
    centre, exponent = normalising(X)
    Z = np.ldexp(X - centre, -exponent)   # the work is done here; see normalising()

    def original(points):                 # normalised coordinates back to the user's
        return np.ldexp(points, exponent) + centre

    def original_inertia(value):
        with np.errstate(over="ignore"):  # data near the float maximum: honestly infinite
            return float(np.ldexp(value, 2 * exponent))

    no_labels = frozen(np.full(n, -1))
    no_change = frozen(np.zeros(n, bool))
    index = 0
    inertias: list[float] = []

    def snap(phase, caption, centers, labels, changed, trail, iteration, inertia=None):
        """`centers` normalised; `trail` already in the user's units (the starting
        centres exactly as given or picked, not rounded through the normalisation)."""
        nonlocal index
        metrics = {"iteration": iteration}
        if inertia is not None:
            inertias.append(inertia)
            metrics["inertia"] = inertia
        metrics["changed"] = int(changed.sum())
        step = Step(index=index, phase=phase, caption=caption, metrics=metrics,
                    centers=frozen(trail[-1]), labels=labels, changed=changed,
                    trail=frozen(np.array(trail)), iteration=iteration,
                    inertia=float("nan") if inertia is None else inertia,
                    inertias=frozen(inertias))
        index += 1
        return step

    # --- init -------------------------------------------------------------------------
    if params.init == "manual":
        if init_centers is None or len(init_centers) != k:
            placed = 0 if init_centers is None else len(init_centers)
            raise ValueError(f"manual init: click on the canvas to place {k} centres "
                             f"({placed} placed so far)")
        given = np.asarray(init_centers, dtype=float).reshape(k, X.shape[1])
        if not np.isfinite(given).all():
            raise ValueError("the hand-placed centres must be finite numbers")
        centers = np.ldexp(given - centre, -exponent)
        trail = [given.copy()]
        yield snap("init", f"You placed the {plural(k, 'starting centre')} by hand.",
                   centers, no_labels, no_change, trail, 0)
    elif params.init == "random":
        picks = rng.choice(n, size=k, replace=False)
        centers, trail = Z[picks].copy(), [X[picks]]
        yield snap("init", f"Chose {plural(k, 'data point')} at random as the starting "
                           "centres.", centers, no_labels, no_change, trail, 0)
    else:
        seeds = []
        for pick, distance in kmeans_plus_plus(Z, k, rng):
            seeds.append(pick)
            centers, trail = Z[seeds].copy(), [X[seeds]]
            if len(seeds) == 1:
                caption = "k-means++: the first centre is a data point picked uniformly at random."
            else:
                caption = (f"k-means++: centre {len(seeds)} of {k} drawn with probability ∝ "
                           f"squared distance to the nearest centre (this one is "
                           f"{num(np.ldexp(distance, exponent), 3)} away).")
            yield snap("init", caption, centers, no_labels, no_change, trail, 0)

    # --- Lloyd iterations -------------------------------------------------------------
    tol = params.tol * float(np.mean(np.var(Z, axis=0)))  # scale-free, like scikit-learn
    labels = np.full(n, -1)
    for iteration in range(1, params.max_iter + 1):
        new_labels, inertia = assign(Z, centers)
        inertia = original_inertia(inertia)
        changed = new_labels != labels if iteration > 1 else np.zeros(n, bool)
        labels = new_labels
        moved = int(changed.sum())
        if iteration == 1:
            caption = ("Assign: every point joins its nearest centre "
                       f"(inertia {num(inertia)}).")
        else:
            caption = (f"Assign: {plural(moved, 'point')} changed cluster "
                       f"(inertia {num(inertia)}).")
        yield snap("assign", caption, centers, frozen(labels), frozen(changed), trail,
                   iteration, inertia)
        if iteration > 1 and moved == 0:
            yield snap("converged", f"Converged in iteration {iteration}: no point changed "
                       f"cluster, so the centres cannot move again (inertia {num(inertia)}).",
                       centers, frozen(labels), no_change, trail, iteration, inertia)
            return

        new_centers, empty = update(Z, labels, centers)
        shift = float(((new_centers - centers) ** 2).sum())
        largest = float(np.sqrt(((new_centers - centers) ** 2).sum(1)).max())
        centers = new_centers
        trail.append(original(centers))
        # same labels, better centres: never higher
        inertia = original_inertia(inertia_of(Z, labels, centers))
        caption = ("Update: each centre moved to the mean of its points "
                   f"(largest move {num(np.ldexp(largest, exponent), 3)}).")
        if empty.any():
            which = ", ".join(str(i + 1) for i in np.flatnonzero(empty))
            caption += (f" Cluster {which} {'has' if empty.sum() == 1 else 'have'} no points,"
                        f" so {'its centre stays' if empty.sum() == 1 else 'their centres stay'}"
                        " put.")
        yield snap("update", caption, centers, frozen(labels), no_change, trail,
                   iteration, inertia)
        if shift <= tol:
            labels, inertia = assign(Z, centers)
            inertia = original_inertia(inertia)
            yield snap("converged", f"Converged in iteration {iteration}: the centres moved "
                       f"less than the tolerance (inertia {num(inertia)}).", centers,
                       frozen(labels), no_change, trail, iteration, inertia)
            return
    labels, inertia = assign(Z, centers)
    inertia = original_inertia(inertia)
    yield snap("converged", f"Stopped at the iteration limit ({params.max_iter}) before "
               f"converging (inertia {num(inertia)}).", centers, frozen(labels), no_change,
               trail, params.max_iter, inertia)


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
