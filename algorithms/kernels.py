"""Kernel presets for the convolution panels: blur, sharpen, edges, emboss and Gabor.

A preset is one kernel, except gradient magnitude: two Sobel kernels whose outputs are
combined pixel by pixel as √(gx² + gy²). So every preset is a stack of kernels (n, h, w)
with a rule saying how their outputs combine ("single" for n = 1, "magnitude" for n = 2);
the convolution code accepts either a plain 2-D kernel or a Preset.

Conventions are OpenCV's, so that cv2 can check every preset: the Sobel kernels equal
cv2.getDerivKernels, Gaussian kernels cv2.getGaussianKernel and Gabor kernels
cv2.getGaborKernel for the same numbers. All presets are applied by cross-correlation
(like cv2.filter2D), so Sobel x is positive where the image gets brighter to the right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from algorithms.base import frozen, num, param, validate

PRESETS = ("identity", "box blur", "gaussian blur", "sharpen", "sobel x", "sobel y",
           "gradient magnitude", "laplacian", "emboss", "gabor")
COMBINES = ("single", "magnitude")

SHARPEN = ((0, -1, 0), (-1, 5, -1), (0, -1, 0))
LAPLACIAN = ((0, 1, 0), (1, -4, 1), (0, 1, 0))
EMBOSS = ((-2, -1, 0), (-1, 1, 1), (0, 1, 2))


@dataclass(frozen=True)
class Params:
    preset: str = param("sobel x", values=PRESETS, tip="a ready-made kernel to start from")
    size: int = param(3, limits=(1, 15), step=2, label="size K",
                      tip="kernel width and height (odd, so the kernel has a centre pixel)")
    sigma: float = param(1.0, limits=(0.1, 20.0), step=0.1, label="σ",
                         when=("preset", ("gaussian blur", "gabor")),
                         tip="spread of the Gaussian envelope, in pixels")
    theta: float = param(0.0, limits=(0.0, 180.0), step=15.0, label="angle θ (°)",
                         when=("preset", ("gabor",)),
                         tip="direction the stripes vary in: 0° responds to vertical edges")
    wavelength: float = param(4.0, limits=(2.0, 50.0), step=0.5, label="wavelength λ",
                              when=("preset", ("gabor",)),
                              tip="pixels from one stripe to the next")
    gamma: float = param(0.5, limits=(0.05, 2.0), step=0.05, label="aspect γ",
                         when=("preset", ("gabor",)),
                         tip="ellipticity of the envelope: small γ means long stripes")
    psi: float = param(0.0, limits=(-180.0, 180.0), step=15.0, label="phase ψ (°)",
                       when=("preset", ("gabor",)),
                       tip="0° gives a symmetric (bar) detector, 90° an edge detector")


@dataclass(frozen=True)
class Preset:
    """One kernel, or two whose outputs combine as √(gx² + gy²)."""

    name: str
    kernels: np.ndarray          # (n, h, w), read-only
    combine: str = "single"      # "single" (n = 1) or "magnitude" (n = 2)
    description: str = ""

    def __post_init__(self):
        if self.combine not in COMBINES:
            raise ValueError(f"combine must be one of {', '.join(COMBINES)}, "
                             f"got {self.combine!r}")
        wanted = 1 if self.combine == "single" else 2
        if np.ndim(self.kernels) != 3 or len(self.kernels) != wanted:
            raise ValueError(f"a {self.combine!r} preset needs {wanted} kernel(s) "
                             "stacked as (n, height, width)")

    @property
    def kernel(self) -> np.ndarray:
        """The first (for a single preset, the only) kernel."""
        return self.kernels[0]

    def combined(self, outputs: np.ndarray) -> np.ndarray:
        """Combine the outputs of the kernels (stacked on axis 0) into one map."""
        if self.combine == "magnitude":
            return np.hypot(outputs[0], outputs[1])  # hypot: no overflow in the squares
        return outputs[0]


def _odd(size: int, name: str, least: int = 1) -> int:
    if size != int(size) or size < least or size % 2 == 0:
        raise ValueError(f"the {name} kernel needs an odd size of at least {least} "
                         f"(so it has a centre pixel), got {size}")
    return int(size)


def _embed(small, size: int) -> np.ndarray:
    """A fixed small kernel centred in a size×size grid of zeros (same effect, bigger grid)."""
    small = np.asarray(small)
    out = np.zeros((size, size))
    at = (size - len(small)) // 2
    out[at:at + len(small), at:at + len(small)] = small
    return out


def identity(size: int = 3) -> np.ndarray:
    size = _odd(size, "identity")
    return _embed([[1.0]], size)


def box(size: int = 3) -> np.ndarray:
    size = _odd(size, "box blur")
    return np.full((size, size), 1.0 / (size * size))


def gaussian_1d(size: int, sigma: float) -> np.ndarray:
    """Samples of exp(−x²/2σ²) at x = −r … r, divided by their sum (cv2.getGaussianKernel)."""
    size = _odd(size, "Gaussian")
    if not sigma > 0:
        raise ValueError(f"the Gaussian's σ must be positive, got {sigma}")
    x = np.arange(size) - size // 2
    g = np.exp(-(x * x) / (2.0 * sigma * sigma))
    return g / g.sum()


def gaussian(size: int = 5, sigma: float = 1.0) -> np.ndarray:
    """2-D Gaussian blur: the outer product of two 1-D Gaussians, so it sums to 1."""
    g = gaussian_1d(size, sigma)
    return np.outer(g, g)


def binomial(n: int) -> np.ndarray:
    """Row n−1 of Pascal's triangle: 1, 2, 1 for n = 3 — Sobel's smoothing weights."""
    row = np.array([1.0])
    for _ in range(n - 1):
        row = np.convolve(row, [1.0, 1.0])
    return row


def sobel(size: int = 3, axis: str = "x") -> np.ndarray:
    """Sobel derivative kernel: smoothing across the axis times a difference along it."""
    size = _odd(size, "Sobel", least=3)
    if axis not in ("x", "y"):
        raise ValueError(f"a Sobel kernel differentiates along x or y, got {axis!r}")
    smooth = binomial(size)
    diff = np.convolve(binomial(size - 1), [-1.0, 1.0])  # −1, 0, 1 for size 3
    return np.outer(smooth, diff) if axis == "x" else np.outer(diff, smooth)


def gabor(size: int = 9, sigma: float = 2.0, theta: float = 0.0, wavelength: float = 4.0,
          gamma: float = 0.5, psi: float = 0.0) -> np.ndarray:
    """A cosine wave of the given wavelength under a Gaussian envelope, turned by θ.

    Angles in radians, as cv2.getGaborKernel((size, size), sigma, theta, wavelength,
    gamma, psi) takes them; the result equals OpenCV's element for element. OpenCV
    writes the value for offset (x, y) at row r − y, column r − x (both axes reversed),
    which only matters when ψ ≠ 0: we do the same.
    """
    size = _odd(size, "Gabor")
    for name, value in (("σ", sigma), ("wavelength λ", wavelength), ("aspect γ", gamma)):
        if not value > 0:
            raise ValueError(f"the Gabor kernel's {name} must be positive, got {value}")
    r = size // 2
    offsets = r - np.arange(size)             # row i holds y = r − i, column j holds x = r − j
    y, x = np.meshgrid(offsets, offsets, indexing="ij")
    c, s = math.cos(theta), math.sin(theta)
    along = x * c + y * s                      # the wave runs along this rotated axis
    across = -x * s + y * c
    envelope = np.exp(-0.5 * (along ** 2 / sigma ** 2 + across ** 2 * gamma ** 2 / sigma ** 2))
    return envelope * np.cos(2.0 * math.pi * along / wavelength + psi)


def make(params: Params) -> Preset:
    """The preset named in params, at its size."""
    validate(params)
    name, size = params.preset, params.size
    if name == "gradient magnitude":
        kernels = np.stack([sobel(size, "x"), sobel(size, "y")])
        return Preset(name, frozen(kernels), "magnitude",
                      "Sobel x and Sobel y, combined as √(gx² + gy²): edge strength "
                      "in any direction")
    kernel, description = {
        "identity": (lambda: identity(size), "copies the image unchanged"),
        "box blur": (lambda: box(size), f"the mean of a {size}×{size} neighbourhood"),
        "gaussian blur": (lambda: gaussian(size, params.sigma),
                          f"a weighted mean, nearer pixels weigh more (σ = {num(params.sigma)})"),
        "sharpen": (lambda: _embed(SHARPEN, _odd(size, "sharpen", 3)),
                    "the pixel plus its difference from its neighbours"),
        "sobel x": (lambda: sobel(size, "x"), "positive where the image brightens rightwards"),
        "sobel y": (lambda: sobel(size, "y"), "positive where the image brightens downwards"),
        "laplacian": (lambda: _embed(LAPLACIAN, _odd(size, "Laplacian", 3)),
                      "the neighbours minus the centre: large on edges and spots"),
        "emboss": (lambda: _embed(EMBOSS, _odd(size, "emboss", 3)),
                   "lit from the top left, as if stamped into metal"),
        "gabor": (lambda: gabor(size, params.sigma, math.radians(params.theta),
                                params.wavelength, params.gamma, math.radians(params.psi)),
                  f"stripes at {num(params.theta)}° every {num(params.wavelength)} pixels"),
    }[name]
    return Preset(name, frozen(kernel()[None]), "single", description)


def normalise(kernel) -> tuple[np.ndarray, str]:
    """Scale a kernel so its weights sum to 1 (a blur then keeps the image's brightness).

    Returns the new kernel and one sentence saying what was done. A kernel whose weights
    sum to 0 (an edge detector: it answers 0 on flat regions) cannot be divided by its sum;
    instead its positive weights are scaled to sum to 1 (and so its negative ones to −1),
    which keeps what it detects and bounds its output by the image's range.
    """
    k = np.asarray(kernel, dtype=float)
    if k.ndim != 2 or k.size == 0:
        raise ValueError("a kernel must be a non-empty 2-D grid of numbers")
    if not np.isfinite(k).all():
        raise ValueError("the kernel contains NaN or infinite values")
    scale = np.abs(k).sum()
    if scale == 0:
        raise ValueError("an all-zero kernel cannot be normalised")
    total = k.sum()
    if abs(total) > 1e-9 * scale:
        return k / total, f"divided every weight by their sum, {num(total)}"
    positive = k[k > 0].sum()
    return k / positive, ("the weights sum to 0 (an edge detector), so the positive ones "
                          f"were scaled to sum to 1 instead (divided by {num(positive)})")
