"""Seeded 2-D toy data sets for watching clustering and classification at work.

Every generator has the signature ``f(n_points, n_clusters, noise, rng) -> (X, y)`` with
``X`` an ``(n, 2)`` float64 array and ``y`` an ``(n,)`` int64 array of group labels, so the
UI can offer them from one menu. A generator whose shape has a fixed number of parts
(moons, the smiley) ignores ``n_clusters``. Points are shuffled, so their order never gives
the labels away, and they stay roughly inside [-10, 10] so one view range fits them all.

``noise`` is the standard deviation of the Gaussian jitter in units of the figure's own
size: the moon or ring radius for curves (scikit-learn's convention) and
``BLOB_SPREAD`` display units for blobs.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

import numpy as np

Data = tuple[np.ndarray, np.ndarray]
Generator = Callable[[int, int, float, np.random.Generator], Data]

BLOB_SPREAD = 10.0  # a blob's standard deviation is noise * BLOB_SPREAD
BLOB_RING = 6.0  # blob centres sit near a circle of this radius, so they rarely overlap
MOON_SCALE = 4.0  # scikit-learn's unit moons, magnified to fill the view
RING_RADIUS = 8.0  # radius of the outermost ring of ``circles``
UNIFORM_HALF = 8.0  # half the side of the square ``uniform`` fills
# The shared linear map of ``anisotropic``: a shear plus a squash, so each blob becomes a
# slanted ellipse about five times longer than wide, which plain k-means splits wrongly.
SHEAR = np.array([[1.0, 0.0], [0.9, 0.35]])


def _check(n_points: int, n_clusters: int, noise: float) -> tuple[int, int, float]:
    """Coerce the arguments and raise ValueError naming the first bad one."""
    try:
        n_points = operator.index(n_points)
        n_clusters = operator.index(n_clusters)
    except TypeError:
        raise ValueError(
            f"n_points and n_clusters must be whole numbers, got {n_points!r} and {n_clusters!r}"
        ) from None
    if n_points < 1:
        raise ValueError(f"n_points must be at least 1, got {n_points}")
    if n_clusters < 1:
        raise ValueError(f"n_clusters must be at least 1, got {n_clusters}")
    noise = float(noise)
    if not math.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise}")
    return n_points, n_clusters, noise


def split(n_points: int, parts: int) -> list[int]:
    """Share ``n_points`` among ``parts`` groups as evenly as possible, earlier ones first."""
    base, extra = divmod(n_points, parts)
    return [base + (i < extra) for i in range(parts)]


def _finish(pieces: list[np.ndarray], rng: np.random.Generator) -> Data:
    """Stack per-group point arrays, label them by position and shuffle the lot."""
    X = np.concatenate([p.reshape(-1, 2) for p in pieces]).astype(np.float64)
    y = np.concatenate([np.full(len(p), i, dtype=np.int64) for i, p in enumerate(pieces)])
    order = rng.permutation(len(y))
    return X[order], y[order]


def blob_centres(n_clusters: int, rng: np.random.Generator) -> np.ndarray:
    """Centres spread around a ring with a random turn and a little wobble.

    ``blobs`` draws these first from its ``rng``, so a caller holding an equally seeded
    generator can reproduce them (the tests do).
    """
    if n_clusters == 1:
        return rng.uniform(-3.0, 3.0, size=(1, 2))
    angles = rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.arange(n_clusters) / n_clusters
    radii = BLOB_RING * rng.uniform(0.75, 1.0, size=n_clusters)
    return np.column_stack([radii * np.cos(angles), radii * np.sin(angles)])


def blobs(n_points: int, n_clusters: int, noise: float, rng: np.random.Generator) -> Data:
    """Round Gaussian clusters of equal size; label = cluster index."""
    n_points, n_clusters, noise = _check(n_points, n_clusters, noise)
    centres = blob_centres(n_clusters, rng)
    sigma = noise * BLOB_SPREAD
    pieces = [c + sigma * rng.standard_normal((m, 2))
              for c, m in zip(centres, split(n_points, n_clusters), strict=True)]
    return _finish(pieces, rng)


def anisotropic(n_points: int, n_clusters: int, noise: float, rng: np.random.Generator) -> Data:
    """Blobs whose spread is pushed through ``SHEAR``: same centres, slanted ellipses."""
    n_points, n_clusters, noise = _check(n_points, n_clusters, noise)
    centres = blob_centres(n_clusters, rng)
    # Only the offsets from each centre are mapped; mapping the centres too would squash
    # them together along the short axis and the clusters would merge.
    sigma = noise * BLOB_SPREAD
    pieces = [c + sigma * rng.standard_normal((m, 2)) @ SHEAR.T
              for c, m in zip(centres, split(n_points, n_clusters), strict=True)]
    return _finish(pieces, rng)


def moons(n_points: int, n_clusters: int, noise: float, rng: np.random.Generator) -> Data:
    """Two interleaved half circles, as scikit-learn's make_moons, magnified and centred.

    Label 0 is the upper moon, label 1 the lower one; ``n_clusters`` is ignored. Positions
    along each arc are random rather than evenly spaced, so seeds differ even at noise 0.
    """
    n_points, _, noise = _check(n_points, n_clusters, noise)
    n_upper, n_lower = n_points // 2, n_points - n_points // 2
    t_up = rng.uniform(0, np.pi, n_upper)
    t_low = rng.uniform(0, np.pi, n_lower)
    upper = np.column_stack([np.cos(t_up), np.sin(t_up)])
    lower = np.column_stack([1 - np.cos(t_low), 0.5 - np.sin(t_low)])
    # (0.5, 0.25) is the middle of the pair's bounding box, so the view is centred on it.
    pieces = [MOON_SCALE * (p - [0.5, 0.25] + noise * rng.standard_normal(p.shape))
              for p in (upper, lower)]
    return _finish(pieces, rng)


def circles(n_points: int, n_clusters: int, noise: float, rng: np.random.Generator) -> Data:
    """Concentric rings, one per cluster, radii evenly spaced out to ``RING_RADIUS``.

    Label 0 is the outermost ring. Two rings match scikit-learn's make_circles with
    ``factor=0.5``.
    """
    n_points, n_clusters, noise = _check(n_points, n_clusters, noise)
    pieces = []
    for ring, m in enumerate(split(n_points, n_clusters)):
        radius = (n_clusters - ring) / n_clusters
        t = rng.uniform(0, 2 * np.pi, m)
        unit = radius * np.column_stack([np.cos(t), np.sin(t)])
        pieces.append(RING_RADIUS * (unit + noise * rng.standard_normal(unit.shape)))
    return _finish(pieces, rng)


def uniform(n_points: int, n_clusters: int, noise: float, rng: np.random.Generator) -> Data:
    """Points spread evenly over a square: no structure at all, every label 0.

    The control case: clustering still returns clusters here, which is worth seeing.
    """
    n_points, _, _ = _check(n_points, n_clusters, noise)
    X = rng.uniform(-UNIFORM_HALF, UNIFORM_HALF, size=(n_points, 2))
    return X, np.zeros(n_points, dtype=np.int64)


def smiley(n_points: int, n_clusters: int, noise: float, rng: np.random.Generator) -> Data:
    """A face: left eye (0), right eye (1) and a smiling mouth arc (2).

    The eyes are small filled discs, the mouth a thin curve; each gets points in
    proportion to roughly how much ink it has. ``n_clusters`` is ignored.
    """
    n_points, _, noise = _check(n_points, n_clusters, noise)
    fifths = split(n_points, 5)
    n_left, n_right = fifths[0], fifths[1]
    n_mouth = n_points - n_left - n_right
    pieces = []
    for centre_x, m in ((-3.5, n_left), (3.5, n_right)):
        # sqrt of a uniform radius spreads points evenly over the disc's area
        r = 1.3 * np.sqrt(rng.uniform(0, 1, m))
        t = rng.uniform(0, 2 * np.pi, m)
        pieces.append(np.column_stack([centre_x + r * np.cos(t), 3.5 + r * np.sin(t)]))
    t = rng.uniform(np.radians(205), np.radians(335), n_mouth)
    pieces.append(np.column_stack([6.5 * np.cos(t), 1.5 + 6.5 * np.sin(t)]))
    # the face spans about 13 units, so noise is measured in tenths of that
    pieces = [p + 1.3 * noise * rng.standard_normal(p.shape) for p in pieces]
    return _finish(pieces, rng)


GENERATORS: dict[str, Generator] = {
    "blobs": blobs,
    "anisotropic": anisotropic,
    "moons": moons,
    "circles": circles,
    "uniform": uniform,
    "smiley": smiley,
}


def make(name: str, n_points: int = 300, n_clusters: int = 3, noise: float = 0.1,
         seed: int = 0) -> Data:
    """Generate the data set called ``name`` with a fresh generator seeded by ``seed``."""
    try:
        generator = GENERATORS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown data set {name!r}; choose one of: {', '.join(GENERATORS)}"
        ) from None
    return generator(n_points, n_clusters, noise, np.random.default_rng(seed))
