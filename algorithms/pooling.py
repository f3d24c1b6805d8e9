"""Max and average pooling of a feature map, one window at a time.

A window of F×F cells moves S cells at a time over the map (no padding) and each output
cell keeps the largest value under it (max pooling) or their mean (average pooling). An
F = S = 2 pooling halves each side, keeping the strongest response of each 2×2 block:
the map gets smaller and a feature that moves by a pixel mostly gives the same result.
The output has ⌊(W − F)/S⌋ + 1 columns; cells past the last whole window are left out.

`pool` is the fast path: it takes the maximum (or sum) of F² strided slices of the map,
so it costs F² whole-map operations instead of a Python loop over windows. `run` steps
through the windows one by one, showing which value won.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from algorithms.base import Snapshot, frozen, num, param, plural, validate
from algorithms.conv_geometry import check_geometry, size_formula, windows

KINDS = ("max", "average")
GRANULARITIES = ("position", "row")
LISTED = 9   # captions list the window's values up to this many


@dataclass(frozen=True)
class Params:
    kind: str = param("max", values=KINDS, tip="keep the largest value of each window, "
                                                "or their mean")
    size: int = param(2, limits=(1, 8), label="window F", tip="window width and height")
    stride: int = param(2, limits=(1, 8), label="stride S",
                        tip="cells the window moves between positions; S = F: no overlap")
    granularity: str = param("position", values=GRANULARITIES, label="step by",
                             tip="one step per output cell, or fast forward a row at a time")


def check_map(feature, size: int, stride: int, kind: str) -> np.ndarray:
    """The map as an array (2-D, or channels × height × width), or a clear ValueError."""
    x = np.asarray(feature)
    if x.dtype.kind not in ("u", "i", "f", "b"):
        raise ValueError("the feature map must be an array of numbers")
    if x.ndim not in (2, 3) or x.size == 0:
        raise ValueError(f"the feature map must be a non-empty 2-D array (or channels × "
                         f"height × width), got shape {x.shape}")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise ValueError("the feature map contains NaN or infinite values")
    if kind not in KINDS:
        raise ValueError(f"pooling kind must be one of {', '.join(KINDS)}, got {kind!r}")
    check_geometry(padding=0, stride=stride, dilation=1)
    if size < 1 or size != int(size):
        raise ValueError(f"the pooling window must be a whole number of at least 1, got {size}")
    h, w = x.shape[-2:]
    if size > min(h, w):
        raise ValueError(f"a {size}×{size} pooling window does not fit in the {h}×{w} map")
    return x


def out_shape(h: int, w: int, size: int, stride: int) -> tuple[int, int]:
    return (h - size) // stride + 1, (w - size) // stride + 1


def pool(feature, size: int = 2, stride: int = 2, kind: str = "max") -> np.ndarray:
    """Pool the last two axes: the max (or mean) of every size×size window, stride apart."""
    x = check_map(feature, size, stride, kind)
    if kind == "average" and x.dtype.kind != "f":
        x = x.astype(float)  # an integer sum could overflow
    oh, ow = out_shape(*x.shape[-2:], size, stride)
    out = None
    for i in range(size):
        for j in range(size):
            part = x[..., i:i + (oh - 1) * stride + 1:stride, j:j + (ow - 1) * stride + 1:stride]
            if out is None:
                out = part.copy()
            elif kind == "max":
                np.maximum(out, part, out=out)
            else:
                out += part
    return out if kind == "max" else out / (size * size)


def pool_windows(feature, size: int = 2, stride: int = 2, kind: str = "max") -> np.ndarray:
    """The same result, the teaching way: gather every window, then reduce each one."""
    x = check_map(feature, size, stride, kind)
    view = windows(x, size, size, stride, 1)
    return view.max(axis=(-2, -1)) if kind == "max" else view.mean(axis=(-2, -1))


@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    feature: np.ndarray    # (H, W) the map being pooled; one array shared by all steps
    output: np.ndarray     # (H', W') the finished pooled map; shared by all steps
    filled: int            # output cells written so far, in reading order
    size: int
    stride: int
    kind: str
    position: tuple[int, int] | None = None  # output (row, column) just written; None at start
    patch: np.ndarray | None = None          # (F, F) the window's values
    value: float | None = None               # what was written: the window's max or mean
    winner: tuple[int, int] | None = None    # max pooling: (row, col) of the max in the window

    def so_far(self) -> np.ndarray:
        """The pooled map as filled so far: NaN in the cells not written yet."""
        out = np.full(self.output.shape, np.nan)
        out.flat[:self.filled] = self.output.flat[:self.filled]
        return out

    def window(self) -> tuple[int, int]:
        """(top, left) cell of the current window in the feature map."""
        r, c = self.position if self.position is not None else (0, 0)
        return r * self.stride, c * self.stride


def _listed(values: np.ndarray) -> str:
    return ", ".join(num(v, 3) for v in values.ravel())


def run(feature, params: Params | None = None, rng=None) -> Iterator[Step]:
    """Pool a 2-D feature map one window per step (or one output row per step).

    `rng` is unused (pooling is deterministic); it is accepted for the common contract.
    """
    params = Params() if params is None else params
    validate(params)
    f, s = params.size, params.stride
    x = np.asarray(check_map(feature, f, s, params.kind), dtype=float)
    if x.ndim != 2:
        raise ValueError("stepwise pooling shows one feature map: give a 2-D array")
    shared = {"feature": frozen(x), "output": frozen(pool(x, f, s, params.kind)),
              "size": f, "stride": s, "kind": params.kind}
    output = shared["output"]
    oh, ow = output.shape
    index = 0

    def snap(phase, caption, metrics, filled, **fields) -> Step:
        nonlocal index
        index += 1
        return Step(index=index - 1, phase=phase, caption=caption, metrics=metrics,
                    filled=filled, **shared, **fields)

    h, w = x.shape
    yield snap("start", f"{params.kind.capitalize()} pooling of the {h}×{w} map with a "
               f"{f}×{f} window, stride {s}: {plural(oh * ow, 'window')}, so the output is "
               f"{oh}×{ow}: {size_formula(w, f, 0, s)}.", {"positions": oh * ow}, 0)
    by_row = params.granularity == "row"
    for r in range(oh):
        for c in (ow - 1,) if by_row else range(ow):
            patch = x[r * s:r * s + f, c * s:c * s + f]
            if params.kind == "max":
                winner = tuple(int(i) for i in np.unravel_index(patch.argmax(), patch.shape))
                value = float(patch[winner])
            else:
                winner, value = None, float(patch.mean())
            filled = r * ow + c + 1
            if by_row:
                caption = (f"Output row {r + 1} of {oh} done: {plural(ow, 'window')}, values "
                           f"from {num(output[r].min())} to {num(output[r].max())}.")
            elif patch.size > LISTED:
                word = "largest" if params.kind == "max" else "mean"
                caption = (f"Row {r + 1}, column {c + 1}: the {word} of "
                           f"{plural(patch.size, 'value')} is {num(value)}.")
            elif params.kind == "max":
                caption = (f"Row {r + 1}, column {c + 1}: max({_listed(patch)}) = "
                           f"{num(value, 3)}.")
            else:
                caption = (f"Row {r + 1}, column {c + 1}: mean({_listed(patch)}) = "
                           f"{num(value, 3)}.")
            yield snap("row" if by_row else "position", caption,
                       {"row": r + 1, "column": c + 1, "value": value, "filled": filled},
                       filled, position=(r, c), patch=frozen(patch), value=value,
                       winner=winner)

    kept = oh * ow
    yield snap("done", f"Done: {params.kind} pooling turned {plural(h * w, 'value')} into "
               f"{plural(kept, 'value')} ({num(h * w / kept, 3)}× fewer), from "
               f"{num(output.min())} to {num(output.max())}.",
               {"min": float(output.min()), "max": float(output.max()), "filled": kept}, kept,
               position=(oh - 1, ow - 1), patch=frozen(patch), value=value, winner=winner)
