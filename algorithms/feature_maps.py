"""A CNN's first layer made visible: a bank of filters over an RGB image, stage by stage.

The input's three colour channels go through N filters of 3×K×K (each filter sees all
three channels), giving N feature maps; an activation (ReLU) zeroes the negative
responses; pooling shrinks every map. An optional second layer does the same to the
pooled maps with random 3×3 filters — the weights of an untrained network, since nothing
here learns. One step per stage; each stage carries its maps and its shape.

The default bank is hand-made, not learned, but it holds what trained first layers are
known to look like: oriented edge and bar detectors, colour-opponent blobs and a blur.
Grey filters act on brightness (the luma mix 0.299 R + 0.587 G + 0.114 B); the blobs are
Gaussians of σ = K/4; a "Gabor θ°" filter is the Gabor kernel at θ with σ = K/4, wavelength
max(2, 0.7·K) and aspect 0.5, minus its mean (so flat regions give 0). Each filter is scaled
so its absolute weights sum to 1: for an input in [0, 1] every map then stays within
[−1, 1] and the maps share one colour scale.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from algorithms import kernels as presets
from algorithms.base import Snapshot, frozen, num, param, plural, validate
from algorithms.conv_geometry import check_image
from algorithms.conv_layer import conv2d_fast
from algorithms.convolution import ACTIVATIONS, activate
from algorithms.pooling import KINDS, pool

LUMA = (0.299, 0.587, 0.114)   # brightness as a mix of red, green and blue
MAX_FILTERS = 16
CHANNEL_NAMES = ("red", "green", "blue")


@dataclass(frozen=True)
class Params:
    filters: int = param(8, limits=(1, MAX_FILTERS), label="filters N",
                         tip="how many filters the first layer has, so how many maps")
    size: int = param(5, limits=(3, 7), step=2, label="kernel size K",
                      tip="each filter is 3 × K × K: K×K on each colour channel")
    activation: str = param("relu", values=ACTIVATIONS,
                            tip="applied to every value of every map after the convolution")
    leak: float = param(0.1, limits=(0.0, 0.99), step=0.01, label="leak α",
                        when=("activation", ("leaky relu",)),
                        tip="leaky ReLU multiplies negative values by α")
    pool_kind: str = param("max", values=KINDS, label="pooling")
    pool_size: int = param(2, limits=(1, 4), label="pool window F")
    pool_stride: int = param(2, limits=(1, 4), label="pool stride S")
    second_layer: bool = param(False, label="second layer",
                               tip="another convolution, activation and pooling on the "
                                   "pooled maps, with random (untrained) 3×3 filters")
    second_filters: int = param(8, limits=(1, MAX_FILTERS), label="second-layer filters",
                                when=("second_layer", (True,)))
    max_side: int = param(320, limits=(16, 1280), label="working size",
                          tip="the image is shrunk until its longer side is at most this "
                              "many pixels (feature maps of a full frame cost more)")


@dataclass(frozen=True, kw_only=True)
class Stage(Snapshot):
    name: str                    # "input", "convolution", "relu", "pool", … "pool 2"
    layer: int                   # 0 for the input, then 1 or 2
    maps: np.ndarray             # (C, H, W) float32, this stage's output
    labels: tuple[str, ...]      # one short name per map
    filters: np.ndarray | None   # (C, C_prev, K, K) for a convolution stage, else None

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.maps.shape

    def histogram(self, i: int, bins: int = 32) -> tuple[np.ndarray, np.ndarray]:
        """Counts and bin edges of map i's values (for the clicked map's histogram)."""
        return np.histogram(self.maps[i], bins=bins)


def _unit(w: np.ndarray) -> np.ndarray:
    return w / np.abs(w).sum()


def _gabor(size: int, degrees: float) -> np.ndarray:
    k = presets.gabor(size, sigma=size / 4, theta=math.radians(degrees),
                      wavelength=max(2.0, 0.7 * size), gamma=0.5)
    return k - k.mean()  # no response to flat regions: a bar detector


def default_bank(n: int = 8, size: int = 5) -> tuple[np.ndarray, tuple[str, ...]]:
    """n hand-made filters of (3, size, size) and their names."""
    if not 1 <= n <= MAX_FILTERS:
        raise ValueError(f"the bank holds 1 to {MAX_FILTERS} filters, got {n}")
    luma = np.array(LUMA)[:, None, None]
    blob = presets.gaussian(size, size / 4)
    made = [("Sobel x", luma * presets.sobel(size, "x")),
            ("Sobel y", luma * presets.sobel(size, "y")),
            ("red − green", np.array([1.0, -1.0, 0.0])[:, None, None] * blob),
            ("blue − yellow", np.array([-0.5, -0.5, 1.0])[:, None, None] * blob),
            ("Gabor 45°", luma * _gabor(size, 45)),
            ("Gabor 135°", luma * _gabor(size, 135)),
            ("Laplacian", luma * presets.make(presets.Params("laplacian", size)).kernel),
            ("blur", luma * blob)]
    made += [(f"Gabor {num(a)}°", luma * _gabor(size, a))
             for a in (0, 90, 22.5, 67.5, 112.5, 157.5, 30, 120)]  # names print exactly
    names = tuple(name for name, _ in made[:n])
    return np.stack([_unit(w) for _, w in made[:n]]), names


def as_rgb(image, max_side: int = 1280) -> np.ndarray:
    """(3, H, W) float in [0, 1] from an (H, W, 3) RGB image (uint8 or float in [0, 1]) or
    a grey (H, W) one, shrunk (cv2.INTER_AREA) until its longer side is ≤ max_side."""
    import cv2

    raw = np.asarray(image)
    scale = 255.0 if raw.dtype == np.uint8 else 1.0
    if raw.ndim not in (2, 3):
        raise ValueError(f"the image must be height × width × 3 (or grey, height × width), "
                         f"got shape {raw.shape}")
    x = check_image(raw, "image", raw.ndim)
    if x.ndim == 2:
        x = np.repeat(x[:, :, None], 3, axis=2)
    if x.shape[2] != 3:
        raise ValueError(f"the feature-map panel needs an RGB image (height × width × 3), "
                         f"got {x.shape[2]} channels")
    longest = max(x.shape[0], x.shape[1])
    if longest > max_side:
        f = max_side / longest
        size = (max(1, round(x.shape[1] * f)), max(1, round(x.shape[0] * f)))
        x = cv2.resize(x, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray((x / scale).transpose(2, 0, 1), dtype=np.float32)


def run(image, params: Params | None = None, rng: np.random.Generator | None = None,
        bank: np.ndarray | None = None, names: tuple[str, ...] | None = None
        ) -> Iterator[Stage]:
    """Input, convolution, activation, pooling (and again, with the second layer)."""
    params = Params() if params is None else params
    validate(params)
    rng = np.random.default_rng(0) if rng is None else rng
    x = as_rgb(image, params.max_side)
    given = bank is not None
    if not given:
        bank, names = default_bank(params.filters, params.size)
    bank = check_image(bank, "filter bank", 4)
    if bank.shape[2] != bank.shape[3] or bank.shape[2] % 2 == 0:
        raise ValueError("the feature-map filters must be square with an odd size, so that "
                         "each map keeps the image's size")
    names = tuple(names or (f"filter {i + 1}" for i in range(len(bank))))
    if len(names) != len(bank):
        raise ValueError(f"{plural(len(names), 'name')} given for {plural(len(bank), 'filter')}")
    index = 0

    def stage(name, layer, maps, labels, caption, filters=None) -> Stage:
        nonlocal index
        index += 1
        maps = frozen(np.asarray(maps, dtype=np.float32))
        return Stage(index=index - 1, phase=name, caption=caption, name=name, layer=layer,
                     maps=maps, labels=tuple(labels), filters=filters,
                     metrics={"maps": maps.shape[0], "height": maps.shape[1],
                              "width": maps.shape[2], "min": float(maps.min()),
                              "max": float(maps.max())})

    def shape(a) -> str:
        return "×".join(str(s) for s in a.shape)

    yield stage("input", 0, x, CHANNEL_NAMES,
                f"The input: 3 colour channels of {x.shape[1]}×{x.shape[2]} ({shape(x)}).")
    layers = [(bank, names)]
    if params.second_layer:
        n2 = params.second_filters
        fan_in = len(bank) * 9
        random = rng.normal(size=(n2, len(bank), 3, 3)) * math.sqrt(2.0 / fan_in)
        layers.append((random, tuple(f"random {i + 1}" for i in range(n2))))
    for layer, (w, labels) in enumerate(layers, start=1):
        suffix = "" if layer == 1 else f" {layer}"
        k = w.shape[-1]
        before = x
        x = conv2d_fast(x, w, padding=k // 2)
        how = ("given" if given else "hand-made") if layer == 1 else "random (untrained)"
        yield stage("convolution" + suffix, layer, x, labels,
                    f"Layer {layer}: {plural(len(w), f'{how} filter')} of "
                    f"{w.shape[1]}×{k}×{k} turn {shape(before)} into {shape(x)} "
                    f"({plural(w.size, 'weight')}).", frozen(w))
        if params.activation != "none":
            negative = float((x < 0).mean())
            x = activate(x, params.activation, params.leak)
            did = "became 0" if params.activation == "relu" else \
                f"were scaled by {num(params.leak)}"
            yield stage(params.activation + suffix, layer, x, labels,
                        f"{'ReLU' if params.activation == 'relu' else 'Leaky ReLU'}: "
                        f"{num(100 * negative, 3)}% of the values were negative and {did}.")
        f, s = params.pool_size, params.pool_stride
        before = x
        x = pool(x, f, s, params.pool_kind)
        yield stage("pool" + suffix, layer, x, labels,
                    f"{params.pool_kind.capitalize()} pooling {f}×{f}, stride {s}: "
                    f"{shape(before)} → {shape(x)}.")
