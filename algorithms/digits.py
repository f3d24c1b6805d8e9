"""Handwriting-like digits the project draws itself, and any picture made to look like one.

Nothing is downloaded: each digit is written with one of OpenCV's Hershey fonts, then
slanted, rotated, stretched, thickened, placed and noised at random. Every picture, made
or given, goes through the same normalisation MNIST used: the ink is cropped, scaled to fit
a BOX × BOX square keeping its aspect, and centred by its centre of mass in SIZE × SIZE —
so a digit the user draws with the mouse meets the network on the same terms as the
training digits. Ink is 1, background 0.
"""

from __future__ import annotations

import cv2
import numpy as np

SIZE = 28          # side of every digit picture
BOX = 20           # the ink is scaled to fit this square, as in MNIST
INK = 0.2          # a normalised pixel above this counts as ink when cropping
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
         cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
         cv2.FONT_HERSHEY_SCRIPT_COMPLEX)
CANVAS = 72        # digits are written this large, then shrunk: smoother strokes


def _grey(picture) -> np.ndarray:
    """A 2-D float picture from grey, RGB or RGBA of any number type."""
    a = np.asarray(picture)
    if a.ndim == 3 and a.shape[2] in (3, 4):
        a = a[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    if a.ndim != 2 or min(a.shape) < 1:
        raise ValueError(f"a digit picture must be a grey or colour image, got an array of "
                         f"shape {a.shape}")
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise ValueError("the picture contains NaN or infinite values")
    return a


def _ink(picture) -> np.ndarray:
    """Light ink on a dark background, scaled to [0, 1], background at 0.

    The background is the picture's most common brightness (its median): a light one means
    dark ink on paper, which is turned round.
    """
    a = _grey(picture)
    background = float(np.median(a))
    if background > (float(a.min()) + float(a.max())) / 2:
        a = -a
        background = -background
    a = np.maximum(a - background, 0.0)
    top = float(a.max())
    if top <= 0:
        raise ValueError("the picture has no ink: draw or load a digit first")
    return a / top


def _place(ink: np.ndarray, box: float, shift=(0.0, 0.0)) -> np.ndarray:
    """Crop to the ink, fit it in a box × box square, centre its mass in SIZE × SIZE."""
    rows, cols = np.nonzero(ink > INK)
    crop = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = crop.shape
    scale = box / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = cv2.resize(crop.astype(np.float32), (nw, nh), interpolation=cv2.INTER_AREA)
    total = float(small.sum())          # > 0: the crop holds ink above INK
    ys, xs = np.indices(small.shape)
    centre_y, centre_x = float((ys * small).sum()) / total, float((xs * small).sum()) / total
    # where the crop's corner goes so its centre of mass lands in the middle (plus shift)
    top = round(SIZE / 2 - centre_y + shift[0])
    left = round(SIZE / 2 - centre_x + shift[1])
    top, left = min(max(top, 0), SIZE - nh), min(max(left, 0), SIZE - nw)
    out = np.zeros((SIZE, SIZE), np.float32)
    out[top:top + nh, left:left + nw] = small
    return np.clip(out, 0.0, 1.0)


def to_input(picture) -> np.ndarray:
    """Any picture of one digit as the network expects it: (SIZE, SIZE) float32 in [0, 1]."""
    return _place(_ink(picture), BOX)


def _write(digit: int, rng: np.random.Generator) -> np.ndarray:
    """One digit written large with a random font and stroke, then slanted and rotated."""
    canvas = np.zeros((CANVAS, CANVAS), np.uint8)
    font = FONTS[rng.integers(len(FONTS))]
    thickness = int(rng.integers(2, 7))
    text = str(digit)
    scale = 1.8
    (w, h), _ = cv2.getTextSize(text, font, scale, thickness)
    origin = ((CANVAS - w) // 2, (CANVAS + h) // 2)
    cv2.putText(canvas, text, origin, font, scale, 255, thickness, cv2.LINE_AA)
    angle = rng.uniform(-15, 15)
    shear = rng.uniform(-0.3, 0.3)
    stretch = rng.uniform(0.8, 1.2)
    turn = cv2.getRotationMatrix2D((CANVAS / 2, CANVAS / 2), angle, 1.0)
    slant = np.array([[stretch, shear, -shear * CANVAS / 2 + (1 - stretch) * CANVAS / 2],
                      [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    matrix = turn @ slant
    return cv2.warpAffine(canvas, matrix, (CANVAS, CANVAS), flags=cv2.INTER_LINEAR)


def make_digits(n: int, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """n digit pictures (n, SIZE, SIZE) float32 and their labels (n,) int64 0 … 9.

    The classes are as balanced as n allows and the rows shuffled; the same seed (anything
    numpy's default_rng takes: an int, or a tuple of ints for separate streams) gives the
    same pictures.
    """
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"the number of digits must be a whole number of at least 1, got {n}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(int(n)) % 10).astype(np.int64)
    images = np.empty((int(n), SIZE, SIZE), np.float32)
    for i, digit in enumerate(labels):
        ink = _ink(_write(int(digit), rng))
        box = rng.uniform(16, 22)
        images[i] = _place(ink, box, rng.uniform(-2, 2, 2))
    noise = rng.normal(0.0, 0.08, images.shape).astype(np.float32)
    np.clip(images + noise, 0.0, 1.0, out=images)
    return images, labels
