"""A convolution layer: C_in input channels, a bank of C_out filters, three ways.

A filter bank W has shape (C_out, C_in, kh, kw): each output map sums, over every input
channel, that channel correlated with its own slice of the filter (plus an optional bias
per filter). Three implementations give the same numbers:

- `conv2d_loop`: the definition, literally — a Python loop over filters and positions.
- `conv2d_gemm`: im2col then one matrix product. im2col copies the C_in·kh·kw values
  under the window at each of the H'·W' positions into one column of a matrix X; with W
  flattened to (C_out, C_in·kh·kw), the whole layer is D = W·X, an (C_out, H'·W') matrix
  — the GEMM that convolution libraries spend their time in. The price is memory: X
  repeats every pixel up to kh·kw times.
- `conv2d_fast`: cv2.filter2D once per (filter, channel) pair, summed — for live video.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from algorithms.base import num
from algorithms.conv_geometry import (
    LARGEST,
    check_fit,
    check_image,
    effective_size,
    output_size,
    pad,
    windows,
)
from algorithms.convolution import correlate_fast


def check_layer(x, bank, bias=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Input as (C_in, H, W), bank as (C_out, C_in, kh, kw) and bias as (C_out,).

    A 2-D input is one channel; a 2-D bank is one filter for one channel.
    """
    x = np.asarray(x)
    x = check_image(x[None] if x.ndim == 2 else x, "input", 3)
    w = np.asarray(bank)
    w = check_image(w[None, None] if w.ndim == 2 else w, "filter bank", 4)
    if w.shape[1] != x.shape[0]:
        raise ValueError(f"each filter has {w.shape[1]} channel(s) but the input has "
                         f"{x.shape[0]}; they must match")
    b = np.zeros(len(w)) if bias is None else check_image(bias, "bias", 1)
    if b.shape != (len(w),):
        raise ValueError(f"the bias needs one value per filter ({len(w)}), got {b.size}")
    top = max(abs(float(x.min())), abs(float(x.max())))
    bound = top * float(np.abs(w).sum(axis=(1, 2, 3)).max()) + float(np.abs(b).max())
    if not bound < LARGEST:
        raise ValueError(f"values this large (input up to {num(top)}) would overflow in "
                         "this layer; rescale the input or the filters")
    return x, w, b


def conv2d_loop(x, bank, bias=None, padding: int = 0, mode: str = "zero", stride: int = 1,
                dilation: int = 1) -> np.ndarray:
    """The definition as loops: out[n, i, j] = b[n] + Σ_c,u,v W[n, c, u, v]·x[c, i·S + u·D, …]."""
    x, w, b = check_layer(x, bank, bias)
    oh, ow = check_fit(x.shape, w.shape, padding, mode, stride, dilation)
    xp = pad(x, padding, mode)
    _, _, kh, kw = w.shape
    reach_h, reach_w = effective_size(kh, dilation), effective_size(kw, dilation)
    out = np.empty((len(w), oh, ow))
    for n in range(len(w)):
        for i in range(oh):
            for j in range(ow):
                window = xp[:, i * stride:i * stride + reach_h:dilation,
                            j * stride:j * stride + reach_w:dilation]
                out[n, i, j] = (window * w[n]).sum() + b[n]
    return out


def im2col_shape(channels: int, h: int, w: int, kh: int, kw: int, padding: int = 0,
                 stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """Rows × columns of the im2col matrix, without building it: (C·kh·kw, H'·W')."""
    oh = output_size(h, kh, padding, stride, dilation)
    ow = output_size(w, kw, padding, stride, dilation)
    return channels * kh * kw, oh * ow


def im2col(x, kh: int, kw: int, padding: int = 0, mode: str = "zero", stride: int = 1,
           dilation: int = 1) -> np.ndarray:
    """One column per output position holding the C·kh·kw input values under the window.

    Rows run channel by channel, and within a channel row by row through the kernel — the
    order of W.reshape(C_out, -1) — and columns run through the positions in reading order.
    """
    x = np.asarray(x)
    x = check_image(x[None] if x.ndim == 2 else x, "input", 3)
    oh, ow = check_fit(x.shape, (kh, kw), padding, mode, stride, dilation)
    view = windows(pad(x, padding, mode), kh, kw, stride, dilation)  # (C, H', W', kh, kw)
    return view.transpose(0, 3, 4, 1, 2).reshape(x.shape[0] * kh * kw, oh * ow)


@dataclass(frozen=True)
class Gemm:
    """The three matrices of D = W·X, for a panel to draw, and the output's shape."""

    weights: np.ndarray    # (C_out, C_in·kh·kw): one filter per row
    columns: np.ndarray    # (C_in·kh·kw, H'·W'): im2col, one window per column
    product: np.ndarray    # (C_out, H'·W'): D = W·X (+ bias), one output map per row
    out_shape: tuple[int, int, int]  # (C_out, H', W')

    @property
    def maps(self) -> np.ndarray:
        """D reshaped back into C_out maps of H'×W'."""
        return self.product.reshape(self.out_shape)


def gemm(x, bank, bias=None, padding: int = 0, mode: str = "zero", stride: int = 1,
         dilation: int = 1) -> Gemm:
    """The layer as one matrix product, keeping the matrices."""
    x, w, b = check_layer(x, bank, bias)
    n, c, kh, kw = w.shape
    oh, ow = check_fit(x.shape, w.shape, padding, mode, stride, dilation)
    cols = im2col(x, kh, kw, padding, mode, stride, dilation)
    flat = w.reshape(n, c * kh * kw)
    product = flat @ cols + b[:, None]
    return Gemm(flat, cols, product, (n, oh, ow))


def conv2d_gemm(x, bank, bias=None, padding: int = 0, mode: str = "zero", stride: int = 1,
                dilation: int = 1) -> np.ndarray:
    """(C_out, H', W') output maps by im2col + one matrix product."""
    return gemm(x, bank, bias, padding, mode, stride, dilation).maps


def conv2d_fast(x, bank, bias=None, padding: int = 0, mode: str = "zero", stride: int = 1,
                dilation: int = 1) -> np.ndarray:
    """(C_out, H', W') output maps by cv2.filter2D per (filter, channel), summed."""
    raw = np.asarray(x)
    _, w, b = check_layer(raw, bank, bias)
    channels = raw if raw.ndim == 3 else raw[None]  # correlate_fast picks float32 or 64
    out = None
    for n in range(len(w)):
        for c in range(len(channels)):
            one = correlate_fast(channels[c], w[n, c], padding, mode, stride, dilation)
            if out is None:        # float32 for frames, float64 otherwise
                out = np.zeros((len(w), *one.shape), one.dtype)
            out[n] += one
        out[n] += float(b[n])
    return out
