"""Depthwise-separable convolution (MobileNet v1) and what it saves.

A standard layer with N filters of D_K×D_K over M input channels, producing N maps of
D_F×D_F (stride 1, "same" padding), multiplies D_K·D_K·M·N·D_F·D_F times. MobileNet
splits it in two: a depthwise step filters each input channel by its own D_K×D_K kernel
(D_K·D_K·M·D_F·D_F multiplications, no mixing of channels), then a pointwise 1×1 step
mixes the M filtered channels into N outputs (M·N·D_F·D_F). The ratio of the two costs is
1/N + 1/D_K²: about 8–9 times fewer multiplications for 3×3 kernels and many filters.

Every implementation here multiplies through a `Tally`, which counts the multiplications
from the shapes of the operands it is actually handed, so a test can check the formula
against the work the code really does. The split is a restriction, not an approximation:
the separable layer equals a standard layer whose filter (n, m) is pointwise[n, m] times
depthwise[m] — `equivalent_bank` builds that, and `compare` runs and times both.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np

from algorithms.base import num
from algorithms.conv_geometry import check_image


@dataclass(frozen=True)
class Costs:
    """Multiplications of a standard and a depthwise-separable layer."""

    kernel: int      # D_K
    channels: int    # M
    filters: int     # N
    positions: int   # D_F·D_F (or H·W)
    standard: int    # D_K·D_K·M·N·D_F·D_F
    depthwise: int   # D_K·D_K·M·D_F·D_F
    pointwise: int   # M·N·D_F·D_F

    @property
    def separable(self) -> int:
        return self.depthwise + self.pointwise

    @property
    def ratio(self) -> float:
        """Separable cost over standard cost; equals 1/N + 1/D_K²."""
        return self.separable / self.standard

    def formula(self) -> str:
        """The ratio written out with these numbers, for the panel."""
        k, n = self.kernel, self.filters
        return (f"1/N + 1/D_K² = 1/{n} + 1/{k}² = {num(1 / n + 1 / k ** 2)}: "
                f"{num(self.standard / self.separable, 3)}× fewer multiplications")


def _count(name: str, value) -> int:
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, got {value}")
    return int(value)


def costs(kernel: int, channels: int, filters: int, height: int, width: int | None = None
          ) -> Costs:
    """The multiply counts for D_K = kernel, M = channels, N = filters on an H×W map."""
    k = _count("the kernel size D_K", kernel)
    m, n = _count("the input channels M", channels), _count("the filters N", filters)
    h = _count("the map size", height)
    w = h if width is None else _count("the map width", width)
    f = h * w
    return Costs(k, m, n, f, k * k * m * n * f, k * k * m * f, m * n * f)


class Tally:
    """Multiplies, and counts each scalar multiplication it performs."""

    def __init__(self):
        self.count = 0

    def multiply(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = np.multiply(a, b)
        self.count += out.size
        return out

    def matmul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """(r, s) @ (s, t): r·s·t multiplications, as a BLAS matrix product performs."""
        out = a @ b
        self.count += a.shape[0] * a.shape[1] * b.shape[1]
        return out


def _shifts(x: np.ndarray, k: int):
    """Each kernel offset (u, v) with the zero-padded input shifted under it."""
    if k % 2 == 0:
        raise ValueError(f"a {k}×{k} kernel has no centre pixel; use an odd size")
    r = k // 2
    _, h, w = x.shape
    xp = np.pad(x, ((0, 0), (r, r), (r, r)))
    for u in range(k):
        for v in range(k):
            yield u, v, xp[:, u:u + h, v:v + w]


def _input(x) -> np.ndarray:
    return check_image(x, "input", 3)


def standard(x, bank, tally: Tally | None = None) -> np.ndarray:
    """Standard layer, (M, H, W) → (N, H, W): per kernel offset, (N, M) · (M, H·W)."""
    x, w = _input(x), check_image(bank, "filter bank", 4)
    tally = tally or Tally()
    n, m, k, _ = w.shape
    if m != len(x) or w.shape[3] != k:
        raise ValueError("the bank must be (N, M, D_K, D_K) with M the input's channels")
    positions = x.shape[1] * x.shape[2]
    out = np.zeros((n, positions))
    for u, v, shifted in _shifts(x, k):
        out += tally.matmul(w[:, :, u, v], shifted.reshape(m, positions))
    return out.reshape(n, *x.shape[1:])


def depthwise(x, kernels, tally: Tally | None = None) -> np.ndarray:
    """Each channel by its own kernel, (M, H, W) → (M, H, W); kernels are (M, D_K, D_K)."""
    x, w = _input(x), check_image(kernels, "depthwise kernels", 3)
    tally = tally or Tally()
    m, k, _ = w.shape
    if m != len(x) or w.shape[2] != k:
        raise ValueError("depthwise kernels must be (M, D_K, D_K) with M the input's channels")
    out = np.zeros(x.shape)
    for u, v, shifted in _shifts(x, k):
        out += tally.multiply(w[:, u, v, None, None], shifted)
    return out


def pointwise(x, weights, tally: Tally | None = None) -> np.ndarray:
    """1×1 convolution mixing channels, (M, H, W) → (N, H, W); weights are (N, M)."""
    x, w = _input(x), check_image(weights, "pointwise weights", 2)
    tally = tally or Tally()
    if w.shape[1] != len(x):
        raise ValueError("pointwise weights must be (N, M) with M the input's channels")
    return tally.matmul(w, x.reshape(len(x), x.shape[1] * x.shape[2])).reshape(len(w),
                                                                                *x.shape[1:])


def separable(x, kernels, weights, tally: Tally | None = None) -> np.ndarray:
    """Depthwise, then pointwise."""
    tally = tally or Tally()
    return pointwise(depthwise(x, kernels, tally), weights, tally)


def equivalent_bank(kernels, weights) -> np.ndarray:
    """The standard bank (N, M, D_K, D_K) that computes what the separable pair computes."""
    return np.asarray(weights)[:, :, None, None] * np.asarray(kernels)[None]


@dataclass(frozen=True)
class Comparison:
    costs: Costs
    counted_standard: int      # multiplications the standard layer performed
    counted_depthwise: int
    counted_pointwise: int
    seconds_standard: float    # median wall time of each
    seconds_depthwise: float
    seconds_pointwise: float
    difference: float          # largest |standard − separable| over the outputs (≈ 0)


def compare(x, kernel: int, filters: int, rng: np.random.Generator, repeat: int = 3,
            clock=time.perf_counter) -> Comparison:
    """Run a random separable layer and its equivalent standard layer on x (M, H, W),
    counting and timing both (the median of `repeat` runs, at least one, by `clock`)."""
    x = _input(x)
    m = len(x)
    kernels = rng.normal(size=(m, _count("the kernel size D_K", kernel), kernel))
    weights = rng.normal(size=(_count("the filters N", filters), m)) / np.sqrt(m)
    bank = equivalent_bank(kernels, weights)

    def timed(fn, *args):
        times, out, tally = [], None, None
        for _ in range(max(1, repeat)):
            tally = Tally()
            start = clock()
            out = fn(*args, tally)
            times.append(clock() - start)
        return out, tally.count, statistics.median(times)

    full, n_full, t_full = timed(standard, x, bank)
    mid, n_depth, t_depth = timed(depthwise, x, kernels)
    out, n_point, t_point = timed(pointwise, mid, weights)
    return Comparison(costs(kernel, m, filters, *x.shape[1:]), n_full, n_depth, n_point,
                      t_full, t_depth, t_point, float(np.abs(full - out).max()))
