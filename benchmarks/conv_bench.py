"""Convolution figures (algorithms only; the panel's drawing is timed elsewhere).

- the teaching path (numpy: Σ window × kernel at every position) beside the fast path
  (cv2.filter2D) on the same 640×480 frame and 5×5 kernel;
- the live per-frame pipeline (5×5 kernel + ReLU + 2×2 max-pool on a 640×480 uint8 frame),
  on one OpenCV thread, beside the same pipeline on the teaching path;
- a filter bank by im2col + one matrix product beside the direct loop of the definition;
- the depthwise-separable layer beside the standard one it restricts;
- the feature-map stages at the panel's default working size;
- one stepwise-run step (the arithmetic of one position).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator

import numpy as np

from algorithms import conv_layer, convolution, feature_maps, kernels, pooling, separable
from benchmarks import Result, median_time

FRAME = (480, 640)
PIPELINE_TARGET_MS = 10.0       # "well under" the 33 ms a 30 frames/s frame may take
FAST_VS_TEACHING_TARGET = 5.0   # the fast path at least this many times the teaching path
BANK_INPUT = (3, 48, 64)        # small enough for the Python loop to finish in a second
BANK_FILTERS = 8


def _frame(seed: int = 0) -> np.ndarray:
    """A camera-like grey frame: smooth shapes plus sensor noise, uint8."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:FRAME[0], :FRAME[1]]
    img = 100 + 60 * np.sin(xx / 37.0) * np.cos(yy / 23.0)
    img[(yy - 240) ** 2 + (xx - 320) ** 2 < 120 ** 2] += 60
    return np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)


class OneThread:
    """Run OpenCV on one thread inside the block, then put its thread count back."""

    def __enter__(self):
        import cv2

        self.cv2, self.before = cv2, cv2.getNumThreads()
        cv2.setNumThreads(1)

    def __exit__(self, *exc):
        self.cv2.setNumThreads(self.before)


def run() -> Iterator[Result]:
    load, cores = os.getloadavg()[0], os.cpu_count()
    print(f"conv_bench: load average {load:.1f} on {cores} cores", file=sys.stderr)
    frame = _frame()
    kernel = kernels.gaussian(5, 1.0) - kernels.box(5)     # signed, so ReLU matters
    params = convolution.Params(padding=2, activation="relu")

    with OneThread():
        fast = median_time(lambda: convolution.correlate_fast(frame, kernel, 2), repeat=21)
    teaching = median_time(lambda: convolution.correlate(frame, kernel, 2), repeat=7)
    yield Result("correlate 640×480, 5×5: cv2.filter2D (1 thread)", fast * 1e3, "ms",
                 baseline=teaching * 1e3, baseline_name="numpy teaching path",
                 target=f"≥ {FAST_VS_TEACHING_TARGET:g}× the teaching path",
                 met=teaching >= FAST_VS_TEACHING_TARGET * fast)

    def live():
        return pooling.pool(convolution.filter_image(frame, kernel, params), 2, 2, "max")

    def live_teaching():
        return pooling.pool_windows(convolution.filter_image(frame, kernel, params, fast=False),
                                    2, 2, "max")

    with OneThread():
        pipeline = median_time(live, repeat=31)
    slow = median_time(live_teaching, repeat=5)
    yield Result("frame 640×480: 5×5 + ReLU + 2×2 max-pool (1 thread)", pipeline * 1e3, "ms",
                 baseline=slow * 1e3, baseline_name="teaching path",
                 target=f"≤ {PIPELINE_TARGET_MS:g} ms", met=pipeline * 1e3 <= PIPELINE_TARGET_MS)

    rng = np.random.default_rng(1)
    x = rng.normal(size=BANK_INPUT)
    bank = rng.normal(size=(BANK_FILTERS, BANK_INPUT[0], 3, 3))
    gemm = median_time(lambda: conv_layer.conv2d_gemm(x, bank, padding=1), repeat=11)
    loop = median_time(lambda: conv_layer.conv2d_loop(x, bank, padding=1), repeat=3)
    c, h, w = BANK_INPUT
    yield Result(f"bank {c}×{h}×{w} → {BANK_FILTERS} maps, 3×3: im2col + GEMM", gemm * 1e3,
                 "ms", baseline=loop * 1e3, baseline_name="direct loop",
                 target="faster than the loop", met=gemm < loop)

    # a MobileNet-like layer on a quarter-size RGB frame: 3×3, 3 → 32 channels
    rgb = rng.normal(size=(3, 240, 320))
    result = separable.compare(rgb, 3, 32, np.random.default_rng(2), repeat=5)
    sep = result.seconds_depthwise + result.seconds_pointwise
    yield Result("separable 3×3, 3→32, 240×320 (depthwise+pointwise)", sep * 1e3, "ms",
                 baseline=result.seconds_standard * 1e3, baseline_name="standard layer",
                 target=f"formula {result.costs.standard / result.costs.separable:.2f}× "
                        "fewer multiplications")

    colour = np.stack([frame, np.roll(frame, 40, 1), frame[::-1]], axis=-1)
    stage_params = feature_maps.Params()
    with OneThread():
        stages = median_time(lambda: list(feature_maps.run(colour, stage_params)), repeat=11)
    yield Result(f"feature maps {stage_params.filters} filters, working size "
                 f"{stage_params.max_side} (1 thread)", stages * 1e3, "ms",
                 target="≤ 33 ms (30 frames/s)", met=stages * 1e3 <= 33)

    patch = frame[:64, :64]
    steps = convolution.run(patch, kernel, params)
    next(steps)
    count, start = 0, time.perf_counter()
    for _ in steps:
        count += 1
    per_step = (time.perf_counter() - start) / count
    yield Result("stepwise run: one position (64×64 patch, 5×5)", per_step * 1e6, "µs",
                 target="≤ 1 ms", met=per_step <= 1e-3)
