"""2-D convolution of an image by a kernel, one output position at a time.

Deep-learning "convolution" is cross-correlation: the kernel is laid on the image as it
is, each weight multiplies the pixel under it, and the products are summed into one
output value. True convolution flips the kernel first (both axes); for a symmetric kernel
the two agree. The window moves `stride` pixels at a time, `dilation` spreads the taps
apart (a 3×3 kernel at dilation 2 reaches 5×5) and `padding` adds rings of pixels round the
image first (sizes and padding modes: conv_geometry).

Two paths give the same numbers: `correlate` (numpy, the window-times-kernel sum written
out for every position at once — the teaching path) and `correlate_fast` (cv2.filter2D, for
live video; `filter_image` is the per-frame entry point). `run` steps through the
positions one by one, or a row at a time, showing each position's products and their sum.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from algorithms.base import Snapshot, frozen, num, param, plural, validate
from algorithms.conv_geometry import (
    PADDING_WORDS,
    PADDINGS,
    check_fit,
    check_image,
    check_kernel,
    check_range,
    effective_size,
    pad,
    size_formula,
    windows,
)
from algorithms.kernels import Preset

ACTIVATIONS = ("none", "relu", "leaky relu")
GRANULARITIES = ("position", "row")
FLOAT32_SAFE = 1e30   # the fast path works in float32 only below this bound
EXPRESSION_TERMS = 9  # captions write the sum out in full up to this many products


def kernel_stack(kernel) -> tuple[np.ndarray, Preset]:
    """A Preset, or any 2-D kernel wrapped as a single-kernel Preset."""
    if isinstance(kernel, Preset):
        return np.stack([check_kernel(k) for k in kernel.kernels]), kernel
    k = check_kernel(kernel)
    return k[None], Preset("custom", frozen(k[None]))


def flip(kernel) -> np.ndarray:
    """The kernel turned half a turn: what true convolution lays on the image."""
    return np.asarray(kernel)[::-1, ::-1]


def correlate(image, kernel, padding: int = 0, mode: str = "zero", stride: int = 1,
              dilation: int = 1) -> np.ndarray:
    """Cross-correlation, the teaching path: every output is Σ window × kernel."""
    x, k = check_image(image), check_kernel(kernel)
    check_fit(x.shape, k.shape, padding, mode, stride, dilation)
    check_range(x, np.abs(k).sum())
    return np.einsum("ijkl,kl->ij", windows(pad(x, padding, mode), *k.shape, stride,
                                            dilation), k)


def convolve(image, kernel, padding: int = 0, mode: str = "zero", stride: int = 1,
             dilation: int = 1) -> np.ndarray:
    """True convolution: cross-correlation with the flipped kernel."""
    return correlate(image, flip(check_kernel(kernel)), padding, mode, stride, dilation)


def dilate(kernel: np.ndarray, dilation: int) -> np.ndarray:
    """The kernel with dilation − 1 zeros between its taps."""
    if dilation == 1:
        return kernel
    kh, kw = kernel.shape
    out = np.zeros((effective_size(kh, dilation), effective_size(kw, dilation)))
    out[::dilation, ::dilation] = kernel
    return out


def correlate_fast(image, kernel, padding: int = 0, mode: str = "zero", stride: int = 1,
                   dilation: int = 1) -> np.ndarray:
    """Cross-correlation by cv2.filter2D: the same numbers as `correlate`, much sooner.

    Integer and float32 images (camera frames) are filtered in float32, others in float64.
    filter2D centres the kernel on each pixel and extends the border itself; when the
    padding is exactly "same" at stride 1 that is all it needs. Otherwise the image is
    padded first and the anchor moved to the kernel's top-left tap, so output (i, j)
    starts at padded pixel (i, j) as in `correlate`; then every stride-th value is kept.
    """
    import cv2

    raw = np.asarray(image)
    single = raw.dtype.kind in ("u", "i", "b") or raw.dtype == np.float32
    if single and raw.ndim == 2 and raw.size > 0 and (
            raw.dtype.kind != "f" or np.isfinite(raw).all()):
        x = raw     # checked without a float64 copy (integers are always finite)
    else:
        x, single = check_image(raw), False
    k = check_kernel(kernel)
    oh, ow = check_fit(x.shape, k.shape, padding, mode, stride, dilation)
    bound = check_range(x, np.abs(k).sum())
    dtype = np.float32 if single and bound < FLOAT32_SAFE else np.float64
    x, k = x.astype(dtype, copy=False), dilate(k, dilation)  # filter2D takes a float64 kernel
    border = {"zero": cv2.BORDER_CONSTANT, "reflect": cv2.BORDER_REFLECT_101,
              "replicate": cv2.BORDER_REPLICATE}[mode]
    kh, kw = k.shape
    if stride == 1 and kh % 2 and kw % 2 and padding == kh // 2 == kw // 2:
        return cv2.filter2D(x, -1, k, borderType=border)
    if padding:
        x = cv2.copyMakeBorder(x, padding, padding, padding, padding, border)  # zeros: 0
    out = cv2.filter2D(x, -1, k, anchor=(0, 0))  # its own border lands in the cropped part
    return out[:(oh - 1) * stride + 1:stride, :(ow - 1) * stride + 1:stride]


def relu(x):
    """max(x, 0): negatives become 0."""
    return np.maximum(x, 0)


def leaky_relu(x, leak: float = 0.01):
    """x where positive, leak·x where negative."""
    if not 0 <= leak < 1:
        raise ValueError(f"the leak must be at least 0 and below 1, got {leak}")
    return np.where(x > 0, x, np.multiply(x, leak))


def activate(x, activation: str = "none", leak: float = 0.01):
    if activation == "relu":
        return relu(x)
    if activation == "leaky relu":
        return leaky_relu(x, leak)
    if activation != "none":
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, "
                         f"got {activation!r}")
    return x


# --- the live view and the stepwise run --------------------------------------------------------
@dataclass(frozen=True)
class Params:
    padding_mode: str = param("zero", values=PADDINGS, label="padding mode",
                              tip="what the added rings hold: zeros, a mirror image of the "
                                  "border, or copies of the edge pixels")
    padding: int = param(1, limits=(0, 16), label="padding P",
                         tip="rings of pixels added round the image; (K − 1)/2 keeps its size")
    stride: int = param(1, limits=(1, 8), label="stride S",
                        tip="pixels the window moves between neighbouring positions")
    dilation: int = param(1, limits=(1, 8), label="dilation D",
                          tip="spacing of the kernel's taps: 2 skips every other pixel")
    activation: str = param("none", values=ACTIVATIONS,
                            tip="applied to every sum: ReLU keeps positives, turns negatives to 0")
    leak: float = param(0.1, limits=(0.0, 0.99), step=0.01, label="leak α",
                        when=("activation", ("leaky relu",)),
                        tip="leaky ReLU multiplies negative sums by α instead of zeroing them")
    granularity: str = param("position", values=GRANULARITIES, label="step by",
                             tip="one step per output position, or fast forward a row at a time")


def filter_image(image, kernel, params: Params | None = None, fast: bool = True) -> np.ndarray:
    """The whole output map (after the activation) for a kernel or a Preset: the live view.

    fast=True uses cv2.filter2D, fast=False the numpy teaching path; same numbers.
    """
    params = Params() if params is None else params
    validate(params)
    stack, preset = kernel_stack(kernel)
    apply = correlate_fast if fast else correlate
    maps = [apply(image, k, params.padding, params.padding_mode, params.stride,
                  params.dilation) for k in stack]
    return activate(preset.combined(maps), params.activation, params.leak)


@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    padded: np.ndarray        # (Hp, Wp) the input after padding; one array shared by all steps
    kernels: np.ndarray       # (n, kh, kw): one kernel, or Sobel x and y for gradient magnitude
    output: np.ndarray        # (H', W') the finished map (after activation); shared by all steps
    filled: int               # output cells written so far, in reading order (row by row)
    padding: int              # image pixel (r, c) is padded pixel (r + padding, c + padding)
    stride: int
    dilation: int
    position: tuple[int, int] | None = None  # output (row, column) just written; None at start
    patch: np.ndarray | None = None     # (kh, kw) padded-image values under the kernel's taps
    products: np.ndarray | None = None  # (n, kh, kw) patch × kernel, element by element
    sums: np.ndarray | None = None      # (n,) each kernel's sum of products
    value: float | None = None          # what was written: combined sums after the activation

    def so_far(self) -> np.ndarray:
        """The output map as filled so far: NaN in the cells not written yet."""
        out = np.full(self.output.shape, np.nan)
        out.flat[:self.filled] = self.output.flat[:self.filled]
        return out

    def taps(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows and columns (padded coordinates) of the kernel's taps at this position."""
        r, c = self.position if self.position is not None else (0, 0)
        _, kh, kw = self.kernels.shape
        return (r * self.stride + self.dilation * np.arange(kh),
                c * self.stride + self.dilation * np.arange(kw))


def _term(value: float, weight: float) -> str:
    a, b = num(value, 3), num(weight, 3)
    return f"{a}·({b})" if b.startswith("−") else f"{a}·{b}"


def _arithmetic(preset: Preset, patch, products, sums, pre: float) -> str:
    if preset.combine == "magnitude":
        return (f"gx = {num(sums[0])}, gy = {num(sums[1])}, "
                f"√(gx² + gy²) = {num(pre)}")
    if products[0].size <= EXPRESSION_TERMS:
        pairs = np.stack([patch.ravel(), preset.kernel.ravel()], axis=1)
        terms = " + ".join(_term(v, w) for v, w in pairs)
        return f"{terms} = {num(pre)}"
    return f"the {plural(products[0].size, 'product')} sum to {num(pre)}"


def _activation_words(params: Params, pre: float, value: float) -> str:
    if params.activation == "relu":
        return f"; ReLU: max({num(pre)}, 0) = {num(value)}"
    if params.activation == "leaky relu":
        if pre < 0:
            return f"; leaky ReLU: {num(params.leak)}·({num(pre)}) = {num(value)}"
        return f"; leaky ReLU keeps {num(value)}"
    return ""


def run(image, kernel, params: Params | None = None, rng=None) -> Iterator[Step]:
    """Slide the kernel (a 2-D array or a Preset) over a 2-D image, one position per step.

    The whole output is computed once up front by the teaching path and shared by every
    step; each step recomputes its own position's products and sum, which is what it shows.
    `rng` is unused (the run is deterministic); it is accepted for the common contract.
    """
    params = Params() if params is None else params
    validate(params)
    x = check_image(image)
    stack, preset = kernel_stack(kernel)
    p, s, d = params.padding, params.stride, params.dilation
    oh, ow = check_fit(x.shape, stack.shape, p, params.padding_mode, s, d)
    check_range(x, np.abs(stack).sum(axis=(1, 2)).max())
    padded = frozen(pad(x, p, params.padding_mode))
    kernels = frozen(stack)
    _, kh, kw = stack.shape
    sums_map = [np.einsum("ijkl,kl->ij", windows(padded, kh, kw, s, d), k) for k in stack]
    before = preset.combined(sums_map)
    output = frozen(activate(before, params.activation, params.leak))
    shared = {"padded": padded, "kernels": kernels, "output": output, "padding": p,
              "stride": s, "dilation": d}
    index = 0

    def snap(phase, caption, metrics, filled, **fields) -> Step:
        nonlocal index
        index += 1
        return Step(index=index - 1, phase=phase, caption=caption, metrics=metrics,
                    filled=filled, **shared, **fields)

    h, w = x.shape
    if p:
        opening = (f"Padded the {h}×{w} image with {plural(p, 'ring')} of "
                   f"{PADDING_WORDS[params.padding_mode]} ({padded.shape[0]}×{padded.shape[1]}).")
    else:
        opening = f"No padding: the kernel stays inside the {h}×{w} image."
    yield snap("start", f"{opening} The {kh}×{kw} kernel fits {plural(oh * ow, 'position')}, "
               f"so the output map is {oh}×{ow}: {size_formula(w, kw, p, s, d)}.",
               {"positions": oh * ow}, 0)

    reach_h, reach_w = effective_size(kh, d), effective_size(kw, d)
    by_row = params.granularity == "row"
    for r in range(oh):
        for c in (ow - 1,) if by_row else range(ow):
            patch = padded[r * s:r * s + reach_h:d, c * s:c * s + reach_w:d]
            products = stack * patch
            sums = products.sum(axis=(1, 2))
            pre = float(preset.combined(sums))
            value = float(activate(pre, params.activation, params.leak))
            filled = r * ow + c + 1
            if by_row:
                row = output[r]
                phase, caption = "row", (f"Output row {r + 1} of {oh} done: "
                                         f"{plural(ow, 'position')}, values from "
                                         f"{num(row.min())} to {num(row.max())}.")
            else:
                phase = "position"
                caption = (f"Row {r + 1}, column {c + 1}: "
                           f"{_arithmetic(preset, patch, products, sums, pre)}"
                           f"{_activation_words(params, pre, value)}.")
            yield snap(phase, caption, {"row": r + 1, "column": c + 1, "value": value,
                                        "filled": filled}, filled,
                       position=(r, c), patch=frozen(patch), products=frozen(products),
                       sums=frozen(sums), value=value)

    caption = (f"Done: {plural(oh * ow, 'position')} filled the {oh}×{ow} output map, "
               f"values from {num(output.min())} to {num(output.max())}")
    negative = plural(int((before < 0).sum()), "negative sum")
    if params.activation == "relu":
        caption += f"; ReLU set {negative} to 0"
    elif params.activation == "leaky relu":
        caption += f"; leaky ReLU scaled {negative} by {num(params.leak)}"
    yield snap("done", caption + ".", {"min": float(output.min()), "max": float(output.max()),
                                       "filled": oh * ow}, oh * ow,
               position=(oh - 1, ow - 1), patch=frozen(patch), products=frozen(products),
               sums=frozen(sums), value=value)
