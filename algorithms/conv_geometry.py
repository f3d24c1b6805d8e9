"""Sizes, padding and input checks shared by convolution, pooling and the filter bank.

An output map has ⌊(W − K + 2P)/S⌋ + 1 columns: K is the reach D·(K − 1) + 1 of a kernel
with K taps at dilation D, P the rings of padding on each side and S the stride. Padding
is zeros, a mirror image that does not repeat the edge pixel (numpy's "reflect", OpenCV's
BORDER_REFLECT_101, PyTorch's "reflect") or copies of the edge pixel ("replicate").
Windows are placed by their top-left corner in the padded image, so any kernel size works;
only "same" padding needs a centre pixel, hence an odd reach.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from algorithms.base import num

PADDINGS = ("zero", "reflect", "replicate")
NUMPY_MODES = {"zero": "constant", "reflect": "reflect", "replicate": "edge"}
PADDING_WORDS = {"zero": "zeros", "reflect": "mirrored pixels", "replicate": "copied edge pixels"}
LARGEST = 1e300      # refuse data whose filtered values could grow past this


# --- sizes ---------------------------------------------------------------------------------
def check_geometry(padding: int, stride: int, dilation: int) -> None:
    for name, value, least in (("padding", padding, 0), ("stride", stride, 1),
                               ("dilation", dilation, 1)):
        if isinstance(value, bool) or int(value) != value:
            raise ValueError(f"{name} must be a whole number, got {value}")
        if value < least:
            raise ValueError(f"{name} must be at least {least}, got {value}")


def effective_size(k: int, dilation: int) -> int:
    """How many pixels a k-tap kernel spans at this dilation: D·(K − 1) + 1."""
    return dilation * (k - 1) + 1


def output_size(n: int, k: int, padding: int = 0, stride: int = 1, dilation: int = 1) -> int:
    """⌊(n − K + 2P)/S⌋ + 1 output cells along a side of n pixels, K the dilated reach."""
    check_geometry(padding, stride, dilation)
    reach = effective_size(k, dilation)
    room = n + 2 * padding
    if reach > room:
        raise ValueError(f"the kernel reaches {reach} pixels but the padded image side is "
                         f"only {room}: pad more, or use a smaller kernel or dilation")
    return (room - reach) // stride + 1


def size_formula(n: int, k: int, padding: int = 0, stride: int = 1, dilation: int = 1) -> str:
    """The output-size formula with these numbers in it, for the panel to show."""
    check_geometry(padding, stride, dilation)
    reach = effective_size(k, dilation)
    text = ""
    if dilation > 1:
        text = f"K = D·(K − 1) + 1 = {dilation}·({k} − 1) + 1 = {reach}; "
    room = n - reach + 2 * padding
    text += f"(W − K + 2P)/S + 1 = ({n} − {reach} + 2·{padding})/{stride} + 1"
    if room < 0:
        return text + " < 1: the kernel does not fit"
    out = room // stride + 1
    left = room % stride
    if left:
        what = "pixel is" if left == 1 else f"{left} pixels are"
        return text + f" = {out} (rounded down: the last {what} not covered by any window)"
    return text + f" = {out}"


def same_padding(k: int, dilation: int = 1) -> int:
    """The padding that keeps the output the size of the input at stride 1."""
    reach = effective_size(k, dilation)
    if reach % 2 == 0:
        raise ValueError(f"a kernel reaching {reach} pixels has no centre pixel, so no "
                         "padding keeps the image size; use an odd kernel size")
    return (reach - 1) // 2


# --- checks --------------------------------------------------------------------------------
def check_image(image, name: str = "image", ndim: int = 2) -> np.ndarray:
    """The image as float64, or a ValueError that says what is wrong with it."""
    try:
        x = np.asarray(image, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"the {name} must be an array of numbers") from None
    if x.ndim != ndim or x.size == 0:
        shape = "height × width" if ndim == 2 else "channels × height × width"
        raise ValueError(f"the {name} must be a non-empty {ndim}-D array ({shape}), "
                         f"got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError(f"the {name} contains NaN or infinite values")
    return x


def check_kernel(kernel) -> np.ndarray:
    return check_image(kernel, "kernel")


def check_range(x: np.ndarray, weight_sum: float) -> float:
    """Refuse data whose filtered values could overflow; return the bound."""
    top = max(abs(float(x.min())), abs(float(x.max())))  # no abs() copy; safe for int8
    bound = top * float(weight_sum)
    if not bound < LARGEST:
        raise ValueError(f"values this large (up to {num(top)}, with kernel "
                         f"weights adding up to {num(weight_sum)}) would overflow; rescale "
                         "the image or the kernel")
    return bound


def check_fit(shape, kshape, padding, mode, stride, dilation) -> tuple[int, int]:
    if mode not in PADDINGS:
        raise ValueError(f"padding mode must be one of {', '.join(PADDINGS)}, got {mode!r}")
    out = (output_size(shape[-2], kshape[-2], padding, stride, dilation),
           output_size(shape[-1], kshape[-1], padding, stride, dilation))
    if mode == "reflect" and padding >= min(shape[-2:]):
        raise ValueError(f"reflect padding of {padding} needs an image at least "
                         f"{padding + 1}×{padding + 1}; it is {shape[-2]}×{shape[-1]}")
    return out


# --- padding and windows --------------------------------------------------------------------------
def pad(x: np.ndarray, padding: int, mode: str) -> np.ndarray:
    """Add `padding` rings of pixels round the last two axes."""
    if padding == 0:
        return x
    widths = [(0, 0)] * (x.ndim - 2) + [(padding, padding)] * 2
    return np.pad(x, widths, mode=NUMPY_MODES[mode])


def windows(padded: np.ndarray, kh: int, kw: int, stride: int, dilation: int) -> np.ndarray:
    """A view (…, H', W', kh, kw): the pixels under every tap at every output position."""
    view = sliding_window_view(padded, (effective_size(kh, dilation),
                                        effective_size(kw, dilation)), axis=(-2, -1))
    return view[..., ::stride, ::stride, ::dilation, ::dilation]
