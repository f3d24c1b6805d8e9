"""k nearest neighbours: no training, so the steps follow one query being classified.

The user places a query point. Step by step its neighbours are revealed nearest first,
each with its distance, while the "ball" around the query (a circle, a diamond, a square
or a wedge, depending on the metric) grows to reach it; then the neighbours vote, and the
class with the most (weighted) votes is the answer.

Rules, the same as scikit-learn's KNeighborsClassifier:
- ``weights="uniform"``: every neighbour's vote counts 1. ``"distance"``: it counts
  1 / distance; when some neighbours sit exactly on the query (distance 0), only those
  vote, one vote each.
- A tie in the vote goes to the class that comes first in ``model.classes`` (sorted).
- Equally distant training points: the one earlier in the training data is nearer. (For
  such ties scikit-learn's choice depends on its search algorithm.)
- Cosine distance is 1 − cos(angle between the two points seen from the origin); a point
  at the origin has no direction and is at distance 1 from everything.

``KNNModel.predict_proba`` stays fast on large grids: instead of measuring every query
against every training point, the training points are sorted into the cells of a
uniform grid, and each query looks only in the cells around its own, widening the search
until no unseen point can be nearer than its k-th neighbour. For cosine distance the
points are sorted by angle and each query looks at a widening window of angles.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from algorithms.base import Snapshot, frozen, num, param, plural, validate
from algorithms.labelled import LabelledData, Scaling, scaling_for, scores

METRICS = ("euclidean", "manhattan", "chebyshev", "cosine")
WEIGHTS = ("uniform", "distance")
BALL = {"euclidean": "circle", "manhattan": "diamond", "chebyshev": "square",
        "cosine": "wedge"}
BRUTE_BELOW = 250_000       # queries × training points up to which every distance is taken
PAIRS_PER_CHUNK = 2_000_000  # bounds the temporary (queries × candidates) arrays
CELL_OCCUPANCY = 2.0        # mean training points per grid cell (at least; see _Grid)
TILE_QUERIES = 8            # queries per fine tile, on average, in the search far from the data
SUBTILES = 4                # a coarse tile is 4 × 4 fine tiles
# Rounding makes a computed distance a few parts in 10¹⁶ off; every "surely nearer" test
# leaves this relative margin, so rounding can never drop a neighbour (or a tied one).
MARGIN = 1e-9


@dataclass(frozen=True)
class Params:
    k: int = param(5, limits=(1, 200), tip="how many nearest training points vote")
    metric: str = param("euclidean", values=METRICS,
                        tip="how distance is measured: straight line, along the axes "
                            "(city blocks), the larger axis difference, or the angle "
                            "seen from the origin (cosine)")
    weights: str = param("uniform", values=WEIGHTS,
                         tip="uniform: one vote per neighbour; distance: a vote worth "
                             "1 / distance, so nearer neighbours count more")
    standardize: bool = param(False, label="standardise features",
                              tip="measure distances on (x − mean) / std of the training "
                                  "points, so both features count alike")


# --- distances ---------------------------------------------------------------------------
def _unit(P: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1; a zero row stays zero (as scikit-learn's normalize does)."""
    norms = np.sqrt((P * P).sum(axis=-1, keepdims=True))
    return P / np.where(norms == 0, 1.0, norms)


def pair_distances(A: np.ndarray, B: np.ndarray, metric: str) -> np.ndarray:
    """Distance between A[..., i, :] and B[..., i, :] (broadcasting), for 2-D points."""
    if metric == "cosine":
        a, b = _unit(A), _unit(B)
        return np.clip(1.0 - (a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1]), 0.0, 2.0)
    dx = np.abs(A[..., 0] - B[..., 0])
    dy = np.abs(A[..., 1] - B[..., 1])
    if metric == "euclidean":
        return np.sqrt(dx * dx + dy * dy)
    if metric == "manhattan":
        return dx + dy
    return np.maximum(dx, dy)


def distances(Q: np.ndarray, P: np.ndarray, metric: str) -> np.ndarray:
    """(q, n) distances from each query to each training point."""
    return pair_distances(Q[:, None, :], P[None, :, :], metric)


def _smallest(D: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Columns of the k smallest of each row of D, their values, and rows left ambiguous.

    A row is ambiguous when a value not chosen equals the k-th chosen: which of the equals
    to keep is then for the caller to settle. Few neighbours are found by taking the
    minimum k times (cheaper than a partition on short rows); more by a partition.
    """
    rows = np.arange(len(D))
    if k <= 8:
        W = D.copy()
        cols = np.empty((len(D), k), dtype=np.int64)
        for t in range(k):
            cols[:, t] = W.argmin(axis=1)
            W[rows, cols[:, t]] = np.inf
        dist = D[rows[:, None], cols]
        kth = dist[:, -1]
        ambiguous = (kth[:, None] == W).any(axis=1) & np.isfinite(kth)
    else:
        cols = np.argpartition(D, k - 1, axis=1)[:, :k]
        dist = np.take_along_axis(D, cols, 1)
        kth = dist.max(axis=1)
        ambiguous = (kth[:, None] >= D).sum(axis=1) > k
    return cols, dist, np.flatnonzero(ambiguous)


def _select(D: np.ndarray, I: np.ndarray, k: int, ordered: bool):
    """The k smallest of each row of D (candidates I), ties going to the smaller index.

    Returns (dist, idx, kth) with kth the k-th smallest distance of each row.
    """
    cols, dist, tied = _smallest(D, k)
    idx = np.take_along_axis(I, cols, 1)
    if len(tied):
        order = np.lexsort((I[tied], D[tied]))[:, :k]
        dist[tied] = np.take_along_axis(D[tied], order, 1)
        idx[tied] = np.take_along_axis(I[tied], order, 1)
    if ordered:
        order = np.lexsort((idx, dist))
        dist, idx = np.take_along_axis(dist, order, 1), np.take_along_axis(idx, order, 1)
    return dist, idx, dist.max(axis=1)


def _expand(cells: np.ndarray, counts: np.ndarray, starts: np.ndarray, order: np.ndarray):
    """Training indices of the points in each row's cells, as one padded row each.

    ``cells`` (r, m) are cell numbers (any value where ``counts`` is 0 is skipped);
    ``counts`` (r, m) the points in each. Returns (r, w) indices padded with len(order)
    (the index of a point infinitely far away) and the number of real entries per row.
    """
    totals = counts.sum(axis=1)
    width = int(totals.max()) if len(totals) else 0
    cand = np.full((len(cells), width), len(order), dtype=np.int64)
    flat = counts.ravel()
    owner = np.repeat(np.arange(flat.size), flat)
    if len(owner):
        within = np.arange(len(owner)) - np.repeat(np.cumsum(flat) - flat, flat)
        column = (np.cumsum(counts, axis=1) - counts).ravel()[owner] + within
        cand[owner // counts.shape[1], column] = order[starts[cells.ravel()[owner]] + within]
    return cand, totals


def _nearest_among(Q, owner, cand, totals, xs, ys, k, metric, ordered):
    """The k nearest of each query among its candidates, ``cand[owner[q]]``.

    Candidate rows are shared: all queries of a cell or tile own the same row. ``xs``,
    ``ys`` are the training coordinates followed by one point at infinity, which the
    padding in ``cand`` points to; every row must hold at least k real candidates.
    Queries are grouped by candidate count (powers of two), so padding wastes at most
    half, and processed in chunks that bound the temporary arrays. Returns dist, idx, kth.
    """
    q = len(Q)
    dist = np.empty((q, k))
    idx = np.empty((q, k), dtype=np.int64)
    kth = np.empty(q)
    cx, cy = xs[cand], ys[cand]
    counts = totals[owner]
    group = np.ceil(np.log2(np.maximum(counts, 1))).astype(int)
    by_owner = np.argsort(owner, kind="stable")   # neighbouring rows read the same candidates
    for g in np.unique(group):
        queries = by_owner[group[by_owner] == g]
        m = max(int(counts[queries].max()), k)
        per_chunk = max(1, PAIRS_PER_CHUNK // m)
        for s in range(0, len(queries), per_chunk):
            part = queries[s:s + per_chunk]
            rows = owner[part]
            dx = cx[rows, :m]
            dx -= Q[part, 0, None]
            dy = cy[rows, :m]
            dy -= Q[part, 1, None]
            D = _combine(np.abs(dx, out=dx), np.abs(dy, out=dy), metric)
            dist[part], idx[part], kth[part] = _select(D, cand[rows, :m], k, ordered)
    return dist, idx, kth


def _rect_distances(alo, ahi, blo, bhi, metric):
    """Least and greatest distance between a point of box a and a point of box b.

    Each argument is a pair (x, y) of arrays that broadcast against each other; a point is
    a box with lo = hi. Holds for the three metrics built from the per-axis differences
    (not for cosine).
    """
    gx = np.maximum(np.maximum(blo[0] - ahi[0], alo[0] - bhi[0]), 0.0)
    gy = np.maximum(np.maximum(blo[1] - ahi[1], alo[1] - bhi[1]), 0.0)
    fx = np.maximum(bhi[0] - alo[0], ahi[0] - blo[0])
    fy = np.maximum(bhi[1] - alo[1], ahi[1] - blo[1])
    return _combine(gx, gy, metric), _combine(fx, fy, metric)


def _combine(dx, dy, metric):
    """The metric from the absolute axis differences (overwrites dx)."""
    if metric == "euclidean":
        dx *= dx
        dy *= dy
        dx += dy
        return np.sqrt(dx, out=dx)
    if metric == "manhattan":
        dx += dy
        return dx
    return np.maximum(dx, dy, out=dx)


def _reach(dmax: np.ndarray, counts: np.ndarray, k: int) -> np.ndarray:
    """Per row, a distance within which at least k points surely lie.

    Row i lists cells with ``counts`` points each, all within ``dmax`` of the query (or of
    every query of a tile): the least d such that the cells with dmax ≤ d hold k points.
    """
    if dmax.shape[1] > k:   # k cells hold at least k points, so only the k nearest matter
        part = np.argpartition(dmax, k - 1, axis=1)[:, :k]
        dmax, counts = np.take_along_axis(dmax, part, 1), np.take_along_axis(counts, part, 1)
    order = np.argsort(dmax, axis=1)
    dmax, counts = np.take_along_axis(dmax, order, 1), np.take_along_axis(counts, order, 1)
    first = np.argmax(np.cumsum(counts, axis=1) >= k, axis=1)
    return dmax[np.arange(len(dmax)), first]


class _Grid:
    """Training points bucketed into square cells, for neighbour search in 2-D.

    Cells are sized so that a cell holds about max(CELL_OCCUPANCY, k / 2) points on
    average, and each non-empty cell knows the tight box around its points.

    Near the data a query searches the 3 × 3 cells around its own (all queries of a cell
    share that list), and keeps the answer if its k-th neighbour is nearer than the edge
    of the block: every point outside is at least that far along one axis, and all three
    metrics are at least the largest axis difference. The other queries (far from the
    data, or in a gap) are grouped into tiles: for each tile, the boxes of the non-empty
    cells give a distance within which k points surely lie for every query of the tile,
    and every cell that might hold a nearer point is searched.
    """

    def __init__(self, P: np.ndarray, k: int):
        self.P, self.k = P, k
        self.lo = P.min(axis=0)
        span = P.max(axis=0) - self.lo
        cells = max(1.0, len(P) / max(CELL_OCCUPANCY, k / 2))
        area = float(span[0] * span[1])
        h = math.sqrt(area / cells) if area > 0 else float(span.max()) / cells
        # never so small that the grid outgrows ~4 cells per point along a thin strip
        h = max(h, float(span.max()) / (4 * len(P)), 1e-300)
        self.h = h
        self.shape = np.minimum(np.floor(span / h), 4 * len(P)).astype(np.int64) + 1
        cell = self._cells(P)
        self.order = np.argsort(cell, kind="stable")   # within a cell: by training index
        self.counts = np.bincount(cell, minlength=int(self.shape.prod()))
        self.starts = np.cumsum(self.counts) - self.counts
        # the non-empty cells, each with the tight box around its points
        self.full = np.flatnonzero(self.counts)
        ordered = P[self.order]
        first = self.starts[self.full]
        lo, hi = np.minimum.reduceat(ordered, first), np.maximum.reduceat(ordered, first)
        self.box_lo = (lo[:, 0].copy(), lo[:, 1].copy())
        self.box_hi = (hi[:, 0].copy(), hi[:, 1].copy())
        # coordinates by column, then one point at infinity for padded candidate lists
        self.xs = np.append(P[:, 0], np.inf)
        self.ys = np.append(P[:, 1], np.inf)

    def _coords(self, Q: np.ndarray) -> np.ndarray:
        c = np.floor((Q - self.lo) / self.h)
        return np.clip(np.nan_to_num(c), 0, self.shape - 1).astype(np.int64)

    def _cells(self, Q: np.ndarray) -> np.ndarray:
        c = self._coords(Q)
        return c[:, 0] * self.shape[1] + c[:, 1]

    def search(self, Q: np.ndarray, metric: str, ordered: bool):
        dist = np.empty((len(Q), self.k))
        idx = np.empty((len(Q), self.k), dtype=np.int64)
        # queries off the grid have no cells around them: straight to the tiles
        top = self.lo + self.shape * self.h
        inside = np.flatnonzero(((Q - self.lo >= 0) & (top - Q >= 0)).all(axis=1))
        ok = np.zeros(len(Q), dtype=bool)
        if len(inside):
            settled, d, i = self._block(Q[inside], metric, ordered)
            done = inside[settled]
            ok[done], dist[done], idx[done] = True, d[settled], i[settled]
        far = np.flatnonzero(~ok)
        if len(far):
            dist[far], idx[far] = self._tiles(Q[far], metric, ordered)
        return dist, idx

    def _block(self, Q, metric, ordered):
        """Search the 3 × 3 cells around each query's own; ok where that is surely enough."""
        nx, ny = int(self.shape[0]), int(self.shape[1])
        coords = self._coords(Q)
        cells, owner = np.unique(coords[:, 0] * ny + coords[:, 1], return_inverse=True)
        cx, cy = cells // ny, cells % ny
        off = np.array([-1, 0, 1])
        bx = (cx[:, None, None] + off[None, :, None]).repeat(3, axis=2)
        by = (cy[:, None, None] + off[None, None, :]).repeat(3, axis=1)
        valid = ((bx >= 0) & (bx < nx) & (by >= 0) & (by < ny)).reshape(len(cells), 9)
        block = (np.clip(bx, 0, nx - 1) * ny + np.clip(by, 0, ny - 1)).reshape(len(cells), 9)
        cand, totals = _expand(block, np.where(valid, self.counts[block], 0), self.starts,
                               self.order)
        # the least distance from each query to any point outside its block
        lo_c = np.maximum(coords - 1, 0)
        hi_c = np.minimum(coords + 1, self.shape - 1)
        left = np.where(lo_c[:, 0] > 0, Q[:, 0] - (self.lo[0] + lo_c[:, 0] * self.h), np.inf)
        right = np.where(hi_c[:, 0] < nx - 1,
                         self.lo[0] + (hi_c[:, 0] + 1) * self.h - Q[:, 0], np.inf)
        down = np.where(lo_c[:, 1] > 0, Q[:, 1] - (self.lo[1] + lo_c[:, 1] * self.h), np.inf)
        up = np.where(hi_c[:, 1] < ny - 1,
                      self.lo[1] + (hi_c[:, 1] + 1) * self.h - Q[:, 1], np.inf)
        bound = np.minimum(np.minimum(left, right), np.minimum(down, up))
        dist = np.empty((len(Q), self.k))
        idx = np.empty((len(Q), self.k), dtype=np.int64)
        ok = np.zeros(len(Q), dtype=bool)
        enough = np.flatnonzero(totals[owner] >= self.k)
        if len(enough):
            d, i, kth = _nearest_among(Q[enough], owner[enough], cand, totals, self.xs,
                                       self.ys, self.k, metric, ordered)
            dist[enough], idx[enough] = d, i
            ok[enough] = kth * (1 + MARGIN) < bound[enough]
        return ok, dist, idx

    def _tiles(self, Q, metric, ordered):
        """Neighbours of queries the block search could not settle: see the class notes.

        Tiles come in two sizes: coarse tiles pick their cells from all non-empty cells,
        then the 4 × 4 fine tiles inside each pick theirs from the coarse tile's (a fine
        tile's reach is never larger, so nothing it needs was dropped).
        """
        k = self.k
        lo, span = Q.min(axis=0), np.ptp(Q, axis=0)
        fine_tiles = max(1, len(Q) // TILE_QUERIES)
        area = float(span[0] * span[1])
        side = math.sqrt(area / fine_tiles) if area > 0 else \
            max(float(span.max()) / fine_tiles, 1e-300)
        f = np.clip(np.floor((Q - lo) / side), 0, 4 * len(Q)).astype(np.int64)
        c = f // SUBTILES
        width = int(f[:, 1].max()) + 1
        coarse, coarse_of = np.unique(c[:, 0] * width + c[:, 1], return_inverse=True)
        fine, owner = np.unique(f[:, 0] * width + f[:, 1], return_inverse=True)
        parent = np.zeros(len(fine), dtype=np.int64)
        parent[owner] = coarse_of
        counts = np.append(self.counts[self.full], 0)   # a last, empty cell for padding
        box_lo = tuple(np.append(a, np.inf) for a in self.box_lo)
        box_hi = tuple(np.append(a, np.inf) for a in self.box_hi)
        # coarse tiles: which of all the cells might hold a neighbour of their queries
        c_lo, c_hi = _boxes(Q, coarse_of, len(coarse))
        dmin, dmax = _rect_distances(c_lo, c_hi, tuple(a[:-1] for a in box_lo),
                                     tuple(a[:-1] for a in box_hi), metric)
        reach = _reach(dmax, np.broadcast_to(counts[:-1], dmax.shape), k) * (1 + MARGIN)
        cells = _rows_of(dmin <= reach[:, None], pad=len(counts) - 1)
        # fine tiles: the same, among their coarse tile's cells
        f_lo, f_hi = _boxes(Q, owner, len(fine))
        mine = cells[parent]
        dmin, dmax = _rect_distances(f_lo, f_hi, tuple(a[mine] for a in box_lo),
                                     tuple(a[mine] for a in box_hi), metric)
        n_in = counts[mine]
        reach = _reach(dmax, n_in, k) * (1 + MARGIN)
        full = np.append(self.full, 0)
        cand, totals = _expand(full[mine], np.where(dmin <= reach[:, None], n_in, 0),
                               self.starts, self.order)
        dist, idx, _ = _nearest_among(Q, owner, cand, totals, self.xs, self.ys, k, metric,
                                      ordered)
        return dist, idx


def _boxes(Q: np.ndarray, owner: np.ndarray, n: int):
    """The tight box ((x_lo, y_lo), (x_hi, y_hi)), as columns, of each owner's queries."""
    order = np.argsort(owner, kind="stable")
    starts = np.searchsorted(owner[order], np.arange(n))
    lo, hi = np.minimum.reduceat(Q[order], starts), np.maximum.reduceat(Q[order], starts)
    return (lo[:, 0, None], lo[:, 1, None]), (hi[:, 0, None], hi[:, 1, None])


def _rows_of(keep: np.ndarray, pad: int) -> np.ndarray:
    """The column numbers of each row's True entries, left-aligned, padded with ``pad``."""
    rows, cols = np.nonzero(keep)
    out = np.full((len(keep), max(int(keep.sum(axis=1).max()), 1)), pad, dtype=np.int64)
    out[rows, np.arange(len(rows)) - np.searchsorted(rows, rows)] = cols
    return out


class _Angles:
    """Training points sorted by direction, for cosine-distance search.

    Cosine distance grows with the angle between two directions, so a query's nearest
    points are its neighbours in angular order. Take w points on each side of the query's
    angle (w = k first); the answer stands if its k-th distance is below that of the first
    point left out on either side, else w doubles.
    """

    def __init__(self, P: np.ndarray, k: int):
        self.P, self.k = P, k
        nonzero = (P != 0).any(axis=1)
        self.zero = np.flatnonzero(~nonzero)              # at distance 1 from everything
        ids = np.flatnonzero(nonzero)
        angle = np.arctan2(P[ids, 1], P[ids, 0])
        order = np.argsort(angle, kind="stable")
        self.ids, self.angle = ids[order], angle[order]

    def search(self, Q: np.ndarray, metric: str, ordered: bool):
        q, k, m = len(Q), self.k, len(self.ids)
        dist = np.empty((q, k))
        idx = np.empty((q, k), dtype=np.int64)
        flat = ~(Q != 0).any(axis=1)
        if flat.any():   # a query at the origin is at distance 1 from every point: all tie
            dist[flat], idx[flat] = 1.0, np.arange(k)
        todo = np.flatnonzero(~flat)
        pos = np.searchsorted(self.angle, np.arctan2(Q[:, 1], Q[:, 0]))
        w = k
        while len(todo):
            everything = 2 * w >= m
            if everything:
                window = np.arange(m)[None, :].repeat(len(todo), 0)
            else:
                window = (pos[todo, None] + np.arange(-w, w)[None, :]) % m
            I = np.concatenate([self.ids[window],
                                np.broadcast_to(self.zero, (len(todo), len(self.zero)))], 1)
            D = pair_distances(Q[todo, None, :], self.P[I], metric)
            d, i, kth = _select(D, I, k, ordered)
            if everything:
                ok = np.ones(len(todo), dtype=bool)
            else:
                outside = np.stack([(pos[todo] - w - 1) % m, (pos[todo] + w) % m], 1)
                nearest_out = pair_distances(Q[todo, None, :], self.P[self.ids[outside]],
                                             metric).min(axis=1)
                # equal directions can round to slightly different distances, and
                # out of angular order: only a clear gap settles it
                ok = kth + MARGIN < nearest_out
            dist[todo[ok]], idx[todo[ok]] = d[ok], i[ok]
            todo = todo[~ok]
            w *= 2
        return dist, idx


# --- the model ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class KNNModel:
    """The "fitted" classifier: the training points themselves, and the rules to vote.

    ``X`` is stored standardised when ``scaling`` says so; every method takes points in
    the data's own coordinates. ``predict_proba`` columns follow ``classes`` (the sorted
    labels present among the training points).
    """

    X: np.ndarray            # (n, 2) training points, after scaling
    y: np.ndarray            # (n,) their labels
    classes: np.ndarray      # (C,) sorted labels present
    k: int
    metric: str = "euclidean"
    weights: str = "uniform"
    scaling: Scaling = field(default_factory=Scaling.none)

    @cached_property
    def _codes(self) -> np.ndarray:
        return np.searchsorted(self.classes, self.y)

    @cached_property
    def _index(self):
        return _Angles(self.X, self.k) if self.metric == "cosine" else _Grid(self.X, self.k)

    def kneighbors(self, Q, ordered: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(q, k) distances and training indices of each query's neighbours, nearest first."""
        Q = np.atleast_2d(np.asarray(Q, dtype=np.float64))
        if Q.ndim != 2 or Q.shape[1] != 2 or not np.isfinite(Q).all():
            raise ValueError("the points to classify must be finite (x, y) pairs")
        Q = self.scaling.apply(Q)
        if len(Q) * len(self.X) <= BRUTE_BELOW:
            rows = max(1, PAIRS_PER_CHUNK // len(self.X))
            out = [self._brute(Q[s:s + rows], ordered) for s in range(0, len(Q), rows)]
            return (np.concatenate([d for d, _ in out]) if out else np.empty((0, self.k)),
                    np.concatenate([i for _, i in out]) if out
                    else np.empty((0, self.k), np.int64))
        return self._index.search(Q, self.metric, ordered)

    def _brute(self, Q, ordered):
        D = distances(Q, self.X, self.metric)
        I = np.broadcast_to(np.arange(len(self.X)), D.shape)
        d, i, _ = _select(D, I, self.k, ordered)
        return d, i

    def vote_weights(self, dist: np.ndarray) -> np.ndarray:
        """Each neighbour's vote: 1, or 1 / distance (only the zero-distance ones if any)."""
        if self.weights == "uniform":
            return np.ones_like(dist)
        with np.errstate(divide="ignore"):
            w = 1.0 / dist
        exact = np.isinf(w)
        rows = exact.any(axis=1)
        w[rows] = exact[rows]
        return w

    def tally(self, dist: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """(q, C) summed vote weight per class."""
        w = self.vote_weights(dist)
        q, C = len(idx), len(self.classes)
        slots = (np.arange(q)[:, None] * C + self._codes[idx]).ravel()
        return np.bincount(slots, weights=w.ravel(), minlength=q * C).reshape(q, C)

    def predict_proba(self, Q) -> np.ndarray:
        dist, idx = self.kneighbors(Q, ordered=False)
        votes = self.tally(dist, idx)
        total = votes.sum(axis=1, keepdims=True)
        return votes / np.where(total == 0, 1.0, total)

    def predict(self, Q) -> np.ndarray:
        return self.classes[np.argmax(self.predict_proba(Q), axis=1)]


def fit(X_train, y_train, params: Params) -> KNNModel:
    """A KNN model over these training points (checking k against their number)."""
    validate(params)
    X_train = np.asarray(X_train, dtype=np.float64)
    y_train = np.asarray(y_train)
    if params.k > len(X_train):
        raise ValueError(f"k = {params.k} neighbours need at least {params.k} training "
                         f"points; there are {len(X_train)}")
    scaling = scaling_for(X_train, params.standardize)
    return KNNModel(X=frozen(scaling.apply(X_train)), y=frozen(y_train),
                    classes=frozen(np.unique(y_train)), k=params.k, metric=params.metric,
                    weights=params.weights, scaling=scaling)


# --- the steps ---------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    model: KNNModel           # the same object in every step (regions do not change)
    query: np.ndarray         # (2,) the point being classified, data coordinates
    query_index: int | None   # its index in data.X when it is a data point, else None
    truth: int | None         # its true class when it is a data point
    neighbours: np.ndarray    # (m,) data indices (into data.X) revealed so far, nearest first
    distances: np.ndarray     # (m,) their distances (standardised units if standardising)
    weights: np.ndarray       # (m,) each one's vote
    radius: float             # distance of the farthest revealed neighbour; 0 before any
    tally: np.ndarray         # (C,) vote weight per model.classes from the revealed ones
    proba: np.ndarray         # (C,) tally / its sum at the vote and result; zeros before
    predicted: int            # the predicted label at the result; -1 before


def default_query(data: LabelledData) -> tuple[np.ndarray, int | None]:
    """The first test point if there is one, else the middle of the training points."""
    if len(data.y_test):
        i = int(np.flatnonzero(data.test)[0])
        return data.X[i], i
    X = data.X_train
    return (X.min(axis=0) + X.max(axis=0)) / 2, None


def run(data: LabelledData, params: Params, rng: np.random.Generator | None = None,
        query=None, query_index: int | None = None) -> Iterator[Step]:
    """Classify one query step by step: the query, each neighbour, the vote, the result.

    ``query`` is a point (x, y) in data coordinates; without it, the first test point is
    used. ``query_index`` names the data point the query is (its class is then shown as
    the truth). ``rng`` is unused: KNN has nothing random; it is accepted for the contract.
    """
    validate(params)
    model = fit(data.X_train, data.y_train, params)
    if query is None:
        query, query_index = default_query(data)
    query = np.asarray(query, dtype=np.float64).reshape(-1)
    if query.shape != (2,) or not np.isfinite(query).all():
        raise ValueError("the query must be one point with two finite coordinates")
    truth = int(data.y[query_index]) if query_index is not None else None
    query = frozen(query)
    dist, idx = model.kneighbors(query[None])
    dist, idx = dist[0], data.train_index[idx[0]]
    weights = model.vote_weights(dist[None])[0]
    metrics = scores(model, data)
    C = len(model.classes)
    k, metric = params.k, params.metric
    name = data.name
    nothing = frozen(np.zeros(C))
    index = 0

    def snap(phase, caption, m, tally=nothing, proba=nothing, predicted=-1):
        nonlocal index
        radius = float(dist[m - 1]) if m else 0.0
        step = Step(index=index, phase=phase, caption=caption,
                    metrics={"neighbours": m, "radius": radius, **metrics}, model=model,
                    query=query, query_index=query_index, truth=truth,
                    neighbours=frozen(idx[:m]), distances=frozen(dist[:m]),
                    weights=frozen(weights[:m]), radius=radius, tally=tally, proba=proba,
                    predicted=predicted)
        index += 1
        return step

    where = f"({num(query[0], 3)}, {num(query[1], 3)})"
    what = f"Test point #{query_index} at {where}" if query_index is not None \
        else f"The query point at {where}"
    scaled = " on standardised features" if params.standardize else ""
    yield snap("query", f"{what} is to be classified. KNN does not train: it keeps the "
               f"{plural(len(model.X), 'training point')} and lets the "
               f"{'nearest' if k == 1 else f'{k:,} nearest'} of them vote ({metric} "
               f"distance{scaled}).", 0)

    running = np.zeros(C)
    codes = np.searchsorted(model.classes, data.y[idx])
    for m in range(1, k + 1):
        j = m - 1
        running[codes[j]] += weights[j]
        label = name(data.y[idx[j]])
        gap = ""
        if metric == "cosine":
            angle = math.degrees(math.acos(max(-1.0, min(1.0, 1.0 - dist[j]))))
            gap = f" (an angle of {num(angle, 3)}° from the query's direction)"
        yield snap("neighbour", f"Neighbour {m} of {k}: training point #{idx[j]} (class "
                   f"{label}) at {metric} distance {num(dist[j])}{gap}; the "
                   f"{BALL[metric]} around the query grows to reach it.", m,
                   tally=frozen(running))

    tally = frozen(running)
    total = running.sum()
    proba = frozen(running / total) if total > 0 else nothing
    pairs = ", ".join(f"{name(c)} {num(v)}" for c, v in zip(model.classes, running, strict=True)
                      if v > 0)
    if params.weights == "uniform":
        how = "each neighbour counts once"
    elif (dist == 0).any():
        how = ("a neighbour lies exactly on the query, so only neighbours at distance 0 "
               "vote, one vote each")
    else:
        how = "each neighbour counts 1 / its distance, so nearer ones count more"
    caption = f"The vote ({how}): {pairs}."
    kth_tie = _tie_beyond_k(model, query, k)
    if kth_tie:
        caption += (f" {plural(kth_tie, 'other training point')} as far as the last "
                    f"neighbour {'was' if kth_tie == 1 else 'were'} left out: among equals, "
                    f"the earlier in the data counts.")
    yield snap("vote", caption, k, tally=tally, proba=proba)

    best = int(np.argmax(running))
    predicted = int(model.classes[best])
    top = np.flatnonzero(running == running[best])
    share = f"{num(running[best])} of {num(total)}"
    caption = (f"Predicted class {name(predicted)}: {share} votes (probability "
               f"{num(proba[best], 3)}).")
    if len(top) > 1:
        tied = " and ".join(name(model.classes[t]) for t in top)
        each = "vote" if running[best] == 1 else "votes"
        caption = (f"Predicted class {name(predicted)}: {tied} tie with {num(running[best])} "
                   f"{each} each, and a tie goes to the class listed first.")
    if truth is not None:
        verdict = "correct" if truth == predicted else "wrong"
        caption += f" Its true class is {name(truth)}: {verdict}."
    yield snap("result", caption, k, tally=tally, proba=proba, predicted=predicted)


def _tie_beyond_k(model: KNNModel, query: np.ndarray, k: int) -> int:
    """How many training points not among the k are exactly as far as the k-th neighbour."""
    D = distances(model.scaling.apply(query[None]), model.X, model.metric)[0]
    kth = np.sort(D)[k - 1]
    return int((kth == D).sum() - (np.sort(D)[:k] == kth).sum())


# --- for drawing -------------------------------------------------------------------------
def ball_outline(center, radius: float, metric: str, scaling: Scaling | None = None,
                 reach: float = 20.0, n: int = 96) -> np.ndarray:
    """(m, 2) closed polygon of the points at ``radius`` from ``center`` in data coordinates.

    A circle (euclidean), diamond (manhattan) or square (chebyshev) around the centre; for
    cosine, the wedge of directions within that distance, drawn from the origin out to
    ``reach``. With a scaling, the shape is made in standardised units and mapped back (a
    circle becomes an axis-aligned ellipse).
    """
    scaling = scaling or Scaling.none()
    c = scaling.apply(np.asarray(center, dtype=np.float64)[None])[0]
    t = np.linspace(0, 2 * np.pi, n + 1)
    unit = np.column_stack([np.cos(t), np.sin(t)])
    if metric == "euclidean":
        shape = c + radius * unit
    elif metric == "manhattan":
        shape = c + radius * unit / np.abs(unit).sum(axis=1, keepdims=True)
    elif metric == "chebyshev":
        shape = c + radius * unit / np.abs(unit).max(axis=1, keepdims=True)
    elif metric == "cosine":
        half = math.acos(max(-1.0, 1.0 - radius))
        middle = math.atan2(c[1], c[0])
        arc = np.linspace(middle - half, middle + half, n)
        shape = np.vstack([[0.0, 0.0], reach * np.column_stack([np.cos(arc), np.sin(arc)]),
                           [0.0, 0.0]])
    else:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    return shape * scaling.scale + scaling.mean
