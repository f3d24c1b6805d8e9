"""Depthwise-separable convolution stepped for the panel (pure numpy, no Qt).

On an M-channel input of D_F×D_F: each channel through its own D_K×D_K kernel (one step
per channel), then each of the N outputs as a 1×1 mix of the M filtered maps (one step per
output), then the standard layer that computes the same thing as one matrix product
D = W·X (im2col), then the two side by side. Every multiplication goes through
algorithms.separable's Tally, so the counts a step shows are the ones the code performed.
(This could live in algorithms/separable.py as its `run`; it is here to keep to the files
this panel owns.)
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from algorithms import conv_layer, kernels, separable
from algorithms.base import Snapshot, frozen, num, param, plural

CHANNEL_NAMES = ("red", "green", "blue")
DEPTHWISE_PRESETS = ("sobel x", "sobel y", "laplacian", "gaussian blur")
STAGES = ("input", "depthwise", "pointwise", "im2col", "done")
TIMING_REPEAT = 5


@dataclass(frozen=True)
class Params:
    kernel: int = param(3, values=(3, 5, 7), label="kernel D_K",
                        tip="width and height of each depthwise kernel (and of the standard "
                            "layer's filters)")
    filters: int = param(8, limits=(1, 32), label="outputs N",
                         tip="output channels: the pointwise step mixes the M filtered "
                             "channels into this many maps")
    map_size: int = param(32, limits=(8, 96), label="map size D_F",
                          tip="the picture is shrunk to D_F×D_F pixels: the im2col matrix has "
                              "D_F² columns")


def channel_name(m: int) -> str:
    return CHANNEL_NAMES[m] if m < len(CHANNEL_NAMES) else f"channel {m + 1}"


def depthwise_kernels(channels: int, size: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """One kernel per input channel, (M, D_K, D_K): Sobel x, Sobel y, Laplacian, blur, …"""
    names = tuple(DEPTHWISE_PRESETS[m % len(DEPTHWISE_PRESETS)] for m in range(channels))
    stack = np.stack([kernels.make(kernels.Params(preset=name, size=size)).kernel
                      for name in names])
    return stack, names


@dataclass(frozen=True, eq=False)
class Layer:
    """Everything computed once, shared by every step."""

    x: np.ndarray              # (M, D_F, D_F) input, 0–1
    kernels: np.ndarray        # (M, D_K, D_K) depthwise kernels
    kernel_names: tuple
    weights: np.ndarray        # (N, M) pointwise weights
    depth: np.ndarray          # (M, D_F, D_F) depthwise maps
    out: np.ndarray            # (N, D_F, D_F) separable output
    gemm: conv_layer.Gemm      # W (N, M·D_K²), X (M·D_K², D_F²), D (N, D_F²)
    standard: np.ndarray       # (N, D_F, D_F) D reshaped: the standard layer's output
    costs: separable.Costs
    per_channel: tuple         # multiplications each depthwise channel performed
    per_output: tuple          # multiplications each pointwise output performed
    counted_standard: int      # multiplications of D = W·X
    seconds_standard: float    # median times at this size
    seconds_separable: float


@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    layer: Layer
    stage: str                 # one of STAGES
    depth_done: int            # depthwise maps computed so far
    point_done: int            # pointwise outputs computed so far
    current: int | None = None  # the channel (depthwise) or output (pointwise) of this step

    @property
    def counted_depthwise(self) -> int:
        return sum(self.layer.per_channel[:self.depth_done])

    @property
    def counted_pointwise(self) -> int:
        return sum(self.layer.per_output[:self.point_done])

    @property
    def counted_standard(self) -> int:
        return self.layer.counted_standard if self.stage in ("im2col", "done") else 0


def _median_seconds(fn) -> float:
    times = []
    for _ in range(TIMING_REPEAT):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compute(x, params: Params, rng: np.random.Generator) -> Layer:
    """The whole layer, channel by channel and output by output, each through a Tally."""
    x = np.asarray(x, float)
    m, k, n = len(x), params.kernel, params.filters
    kern, names = depthwise_kernels(m, k)
    weights = np.round(rng.normal(size=(n, m)) / np.sqrt(m), 2)
    depth, per_channel = [], []
    for c in range(m):
        tally = separable.Tally()
        depth.append(separable.depthwise(x[c:c + 1], kern[c:c + 1], tally)[0])
        per_channel.append(tally.count)
    depth = np.stack(depth)
    out, per_output = [], []
    for o in range(n):
        tally = separable.Tally()
        out.append(separable.pointwise(depth, weights[o:o + 1], tally)[0])
        per_output.append(tally.count)
    out = np.stack(out)
    bank = separable.equivalent_bank(kern, weights)
    gemm = conv_layer.gemm(x, bank, padding=k // 2)
    tally = separable.Tally()
    product = tally.matmul(gemm.weights, gemm.columns)
    h, w = x.shape[1:]
    t_standard = _median_seconds(lambda: separable.standard(x, bank))
    t_separable = _median_seconds(lambda: separable.separable(x, kern, weights))
    return Layer(frozen(x), frozen(kern), names, frozen(weights), frozen(depth), frozen(out),
                 gemm, frozen(product.reshape(n, h, w)), separable.costs(k, m, n, h, w),
                 tuple(per_channel), tuple(per_output), tally.count, t_standard, t_separable)


def _mix(weights: np.ndarray) -> str:
    """"0.52·red − 0.1·green + 0.8·blue": one output pixel from the filtered channels."""
    text = ""
    for m, w in enumerate(weights):
        term = f"{num(abs(w), 2)}·{channel_name(m)}"
        if not text:
            text = ("−" if w < 0 else "") + term
        else:
            text += (" − " if w < 0 else " + ") + term
    return text


def run(x, params: Params | None = None, rng: np.random.Generator | None = None
        ) -> Iterator[Step]:
    params = Params() if params is None else params
    rng = np.random.default_rng(0) if rng is None else rng
    layer = compute(x, params, rng)
    c = layer.costs
    m, n, k = c.channels, c.filters, c.kernel
    h, w = layer.x.shape[1:]
    index = 0

    def snap(stage, caption, depth_done, point_done, current=None, **metrics) -> Step:
        nonlocal index
        index += 1
        return Step(index=index - 1, phase=stage, caption=caption, metrics=metrics,
                    layer=layer, stage=stage, depth_done=depth_done, point_done=point_done,
                    current=current)

    yield snap("input", f"The input: {h}×{w} pixels, M = {m} channels. A standard layer of "
               f"N = {plural(n, 'filter')} of {k}×{k}×{m} costs D_K·D_K·M·N·D_F·D_F = "
               f"{k}·{k}·{m}·{n}·{h}·{w} = {c.standard:,} multiplications; MobileNet splits it "
               f"into a depthwise and a pointwise step.", 0, 0, standard=c.standard)
    for ch in range(m):
        done = sum(layer.per_channel[:ch + 1])
        yield snap("depthwise", f"Depthwise, {channel_name(ch)}: its own {k}×{k} kernel "
                   f"({layer.kernel_names[ch]}) over this channel alone, "
                   f"D_K²·D_F² = {k}²·{h}·{w} = {layer.per_channel[ch]:,} "
                   f"multiplications ({done:,} so far).", ch + 1, 0, ch,
                   counted=layer.per_channel[ch], depthwise=done)
    for o in range(n):
        done = sum(layer.per_output[:o + 1])
        yield snap("pointwise", f"Pointwise, output {o + 1} of {n}: each pixel mixes the "
                   f"{plural(m, 'filtered map')}, {_mix(layer.weights[o])}: "
                   f"M·D_F² = {m}·{h}·{w} = {layer.per_output[o]:,} multiplications "
                   f"({done:,} so far).", m, o + 1, o,
                   counted=layer.per_output[o], pointwise=done)
    g = layer.gemm
    yield snap("im2col", f"The standard layer as one matrix product: im2col unrolls each "
               f"{k}×{k}×{m} patch into a column of X ({g.columns.shape[0]}×"
               f"{g.columns.shape[1]:,}); W holds one filter per row ({g.weights.shape[0]}×"
               f"{g.weights.shape[1]}); D = W·X is {g.product.shape[0]}×{g.product.shape[1]:,}"
               f": {layer.counted_standard:,} multiplications.", m, n,
               standard=layer.counted_standard)
    difference = float(np.abs(layer.standard - layer.out).max())
    saving = (f"{num(1 / c.ratio, 3)}× fewer" if c.ratio < 1 else
              f"{num(c.ratio, 3)}× more: with so few outputs the split does not pay")
    yield snap("done", f"Done: both ways give the same {plural(n, 'map')} (largest difference "
               f"{num(difference, 2)}), {c.separable:,} multiplications instead of "
               f"{c.standard:,}: {num(c.ratio, 3)} = 1/{n} + 1/{k}², {saving}. "
               f"Measured here: standard "
               f"{num(layer.seconds_standard * 1e3, 3)} ms, separable "
               f"{num(layer.seconds_separable * 1e3, 3)} ms.", m, n,
               ratio=c.ratio, difference=difference)
