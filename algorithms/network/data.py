"""Two classic toy problems for a network, in the signature of ``algorithms.datasets``.

``f(n_points, n_clusters, noise, rng) -> (X, y)``: X is (n, 2) float64 inside about
[−10, 10], y the int64 labels, rows shuffled. Neither problem has a straight-line answer.
"""

from __future__ import annotations

import numpy as np

from algorithms.datasets import _check, _finish, split

XOR_HALF = 8.0      # the four quadrant squares span [−XOR_HALF, XOR_HALF]²
XOR_GAP = 0.5       # points keep this far from the axes, so the classes are separable
SPIRAL_RADIUS = 8.0
SPIRAL_TURNS = 1.5


def xor(n_points: int, n_clusters: int, noise: float, rng: np.random.Generator):
    """Label 1 where x and y have different signs: the four quadrants, opposite ones alike.

    ``noise`` moves each point by noise·XOR_HALF·N(0, 1), so it may cross an axis.
    ``n_clusters`` is ignored.
    """
    n_points, _, noise = _check(n_points, n_clusters, noise)
    pieces = []
    for label, m in enumerate(split(n_points, 2)):
        pts = rng.uniform(XOR_GAP, XOR_HALF, (m, 2))
        signs = rng.choice([-1.0, 1.0], m)
        pts *= np.column_stack([signs, signs if label == 0 else -signs])
        pieces.append(pts + noise * XOR_HALF * rng.standard_normal(pts.shape))
    return _finish(pieces, rng)


def spirals(n_points: int, n_clusters: int, noise: float, rng: np.random.Generator):
    """``n_clusters`` (at least 2) interleaved spiral arms from the centre outwards.

    Each arm turns SPIRAL_TURNS times; ``noise`` jitters points by noise·SPIRAL_RADIUS·N(0, 1).
    """
    n_points, n_clusters, noise = _check(n_points, n_clusters, noise)
    arms = max(2, n_clusters)
    pieces = []
    for arm, m in enumerate(split(n_points, arms)):
        t = np.sqrt(rng.uniform(0.0, 1.0, m))     # even density along the arm
        angle = 2 * np.pi * (SPIRAL_TURNS * t + arm / arms)
        radius = SPIRAL_RADIUS * (0.05 + 0.95 * t)
        pts = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
        pieces.append(pts + noise * SPIRAL_RADIUS * rng.standard_normal(pts.shape))
    return _finish(pieces, rng)


GENERATORS = {"xor": xor, "spirals": spirals}
