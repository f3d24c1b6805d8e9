"""Pictures of the CNN panel, made off the UI thread: every feature map of one probe digit
in one mosaic image, the filter banks as diverging tiles, and the probabilities; plus the
drawing pad's ink and the plot helpers
(pictures shown top-aligned with their labels, titles wrapped only when too wide).

`picture_of(model, probe)` is pure numpy (it runs in the panel's Background); the panel
only hands its arrays to the items made in setup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import digits
from algorithms.base import num
from visualizer.panels.base import wrap_words
from visualizer.style import PALETTE

SIDE = digits.SIZE          # the network reads SIDE × SIDE digits
PAD = 4 * SIDE              # the drawing pad's pixels per side
PEN = 11                    # stroke width on the pad, in pad pixels (~2.7 digit pixels)
GAP = 4                     # between tiles, in mosaic units (one unit = a digit pixel)
LABEL = 9                   # room above a row of tiles for its name and shape
FRAME = np.array([205, 205, 205], np.uint8)   # the thin frame round every tile
# The stages drawn. Every map is drawn as large as the input: smaller maps have larger
# pixels, so each pooling shows as a coarser picture under the maps it came from.
ROWS = ("input", "ReLU 1", "pool 1", "ReLU 2", "pool 2")
WIDTH = 8 * (SIDE + 2 + GAP) - GAP   # a line holds eight maps
FILTER_SCALE = {1: 4, 2: 3}  # mosaic units per filter weight, per layer


def _ramp(stops, n: int = 256) -> np.ndarray:
    return pg.ColorMap(np.linspace(0, 1, len(stops)), list(stops)).getLookupTable(
        nPts=n, alpha=False).astype(np.uint8)[:, :3]


DIVERGING = _ramp((PALETTE[0], "#ffffff", PALETTE[5]))   # blue − · white 0 · vermilion +
ACTIVE = _ramp(("#ffffff", PALETTE[5], "#5a1f00"))       # 0 white, strong dark vermilion


def diverging(values: np.ndarray, top: float) -> np.ndarray:
    """Values in [−top, top] as RGB: blue negative, white zero, vermilion positive."""
    i = np.clip(np.round((np.asarray(values, float) / (top or 1.0) + 1) * 127.5), 0, 255)
    return DIVERGING[i.astype(np.uint8)]


def active(values: np.ndarray, top: float) -> np.ndarray:
    """Activations ≥ 0 as RGB: white at zero, darker as they grow to `top`."""
    i = np.clip(np.round(np.asarray(values, float) / (top or 1.0) * 255), 0, 255)
    return ACTIVE[i.astype(np.uint8)]


def grey(values: np.ndarray) -> np.ndarray:
    """Ink in [0, 1] as RGB: black ink on white paper."""
    v = np.clip(np.round(255 * (1 - np.asarray(values, float))), 0, 255).astype(np.uint8)
    return np.repeat(v[..., None], 3, axis=-1)


def framed(tile: np.ndarray, side: int) -> np.ndarray:
    """An (h, w, 3) tile blown up (nearest) to side × side with a one-unit frame."""
    h = tile.shape[0]
    big = tile.repeat(max(1, side // h), 0).repeat(max(1, side // h), 1)
    out = np.empty((side + 2, side + 2, 3), np.uint8)
    out[...] = FRAME
    out[1:-1, 1:-1] = big[:side, :side]
    return out


@dataclass(frozen=True)
class Sheet:
    """Tiles laid out in labelled rows: one RGB image and where each label goes."""

    image: np.ndarray                         # (H, W, 3) uint8, row-major
    labels: tuple[tuple[str, float], ...]     # (text, y of the row's top edge)
    side: bool = False                        # labels beside the rows, not above them


def _place(rows, width: int, label: float, left: float = 0.0, least: float = 0.0):
    """Where each tile goes, where each label goes, and the size of the whole: `label`
    units above each row for its label, or (`left` > 0) a column of `left` units beside
    the rows, each row then at least `least` units tall."""
    placed, labels, y, wide = [], [], 0.0, width
    x0 = int(round(left))
    for text, lines, gap in rows:
        y += label
        labels.append((text, y))
        top = y
        for line in lines:
            x = 0
            for tile in line:
                if x and x + tile.shape[1] > width:
                    x, y = 0, y + tile.shape[0] + gap
                placed.append((x0 + x, int(round(y)), tile))
                x += tile.shape[1] + gap
                wide = max(wide, x - gap)
            y += (line[0].shape[0] if line else 0) + gap
        y = max(y, top + least)
    return placed, labels, int(round(y)), wide + x0


def sheet(rows, width: int, room=None) -> Sheet:
    """Rows of (label, lines of tiles, gap): a line wraps onto another when it passes
    `width` units. `room` = (view width, view height, text height, label width) in pixels
    decides where the labels go, as the view will show the sheet: above each row, or, when
    that leaves the tiles much smaller (a short view, large text), in a column beside the
    rows on two lines (name, then shape)."""
    label, left, least, side = float(LABEL), 0.0, 0.0, False
    if room is not None:
        view_w, view_h, text, text_w = room

        def fit(placement):
            return min(view_w / max(placement[3], 1), view_h / max(placement[2], 1))

        bare = _place(rows, width, 0.0)
        est = min(view_w / max(bare[3], 1), (view_h - len(rows) * text) / max(bare[2], 1))
        label = float(np.clip(text / max(est, 0.2), 4.0, 60.0))
        above = fit(_place(rows, width, label))
        beside = min((view_w - text_w - 8) / max(bare[3], 1), view_h / max(bare[2], 1))
        for _ in range(3):   # the scale the side layout settles at, rows 2 lines tall
            if beside <= 0:
                break
            trial = (text_w + 8) / beside, 2.1 * text / beside
            got = fit(_place(rows, width, 0.0, *trial))
            if got >= 0.97 * beside and got > 1.15 * above:
                side, label, (left, least) = True, 0.0, trial
                break
            beside = got
    placed, labels, height, wide = _place(rows, width, label, left, least)
    image = np.full((max(height, 1), wide, 3), 255, np.uint8)
    for x, top, tile in placed:
        image[top:top + tile.shape[0], x:x + tile.shape[1]] = tile
    if side:
        labels = [(text.replace(" · ", "\n", 1), y) for text, y in labels]
    return Sheet(image, tuple(labels), side)


@dataclass(frozen=True)
class Probed:
    """What the panel draws for one model and one probe digit."""

    maps: Sheet
    filters: Sheet
    probabilities: np.ndarray        # (10,)
    tops: tuple[float, float]        # the largest |weight| of conv 1 and of conv 2
    input: np.ndarray                # (SIDE, SIDE) what the network read


def shape_text(values: np.ndarray) -> str:
    c, h, w = values.shape
    return f"{c} map{'s' if c != 1 else ''} {h}×{w}"


def picture_of(model, probe: np.ndarray, second: bool = True, rooms=(None, None)
               ) -> Probed:
    """Every readable stage of `probe` through `model`, and its filters, as pictures."""
    stages = {s.name: s.values for s in model.stages(probe)}
    rows = []
    for name in ROWS:
        values = stages[name]
        if name == "input":
            tiles = [framed(grey(values[0]), SIDE)]
            label = f"input · {SIDE}×{SIDE}"
        else:
            top = float(values.max()) or 1.0   # one scale per stage: maps compare
            tiles = [framed(active(m, top), SIDE) for m in values]
            label = f"{name} · {shape_text(values)}"
        rows.append((label, [tiles], GAP))
    w1, w2 = model.filters(1), model.filters(2)
    top1, top2 = float(np.abs(w1).max()) or 1.0, float(np.abs(w2).max()) or 1.0
    s1, s2 = FILTER_SCALE[1], FILTER_SCALE[2]
    k1, k2 = w1.shape[-1], w2.shape[-1]
    tiles1 = [framed(diverging(f[0], top1), s1 * k1) for f in w1]
    cols = len(w1) if second else _columns(len(w1), rooms[1])
    frows = [(f"conv 1 · {len(w1)} · {k1}×{k1} ±{num(top1, 2)}",
              [tiles1[i:i + cols] for i in range(0, len(w1), cols)], GAP)]
    width = cols * (s1 * k1 + 2 + GAP) - GAP
    if second:   # one line per input map (from conv 1), one column per conv 2 filter
        lines = [[framed(diverging(w2[f, c], top2), s2 * k2) for f in range(len(w2))]
                 for c in range(w2.shape[1])]
        width = max(width, len(w2) * (s2 * k2 + 2 + 1) - 1)
        frows.append((f"conv 2 · {len(w2)}×{w2.shape[1]} · {k2}×{k2} ±{num(top2, 2)}",
                      lines, 1))
    return Probed(sheet(rows, WIDTH, rooms[0]), sheet(frows, width, rooms[1]),
                  np.asarray(stages["probabilities"], float), (top1, top2),
                  np.asarray(stages["input"][0], float))


def _columns(n: int, room) -> int:
    """How many of n square tiles per line make each largest in a (width, height, …) room:
    conv 1's filters went in one line of 18-pixel tiles in a narrow column."""
    if room is None:
        return n
    width, height = room[0], room[1]
    return max(range(1, n + 1), key=lambda c: min(width / c, height / math.ceil(n / c)))


# --- plots ----------------------------------------------------------------------------

def nice_ceiling(x: float) -> float:
    """The smallest round number (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × a power of ten) ≥ x."""
    if not x > 0.1:
        return 0.1
    decade = 10 ** math.floor(math.log10(x))
    return next(m * decade for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * decade >= x)


def image_plot(canvas, row, col, title, **span):
    """A plot showing one picture: square pixels, rows downwards, no axes, menu or zoom."""
    plot = canvas.addPlot(row=row, col=col, title=title, **span)
    plot.setAspectLocked(True)
    plot.invertY(True)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(False, False)
    item = pg.ImageItem(axisOrder="row-major")
    plot.addItem(item)
    return plot, item


def show_sheet(plot, item, labels, sheet: Sheet, below: float) -> None:
    """Show a sheet top-aligned in its plot, `below` pixels kept free under it, and its
    labels above or beside its rows."""
    h, w = sheet.image.shape[:2]
    item.setImage(sheet.image, autoLevels=False, levels=(0, 255),
                  rect=QtCore.QRectF(0, 0, w, h))
    vb = plot.vb
    if vb.width() > 1 and vb.height() > 1:   # top-aligned: free room stays at the bottom
        scale = min(vb.width() / (w * 1.02), (vb.height() - below) / (h * 1.02))
        scale = max(scale, 1e-3)
        plot.setRange(xRange=(-0.01 * w, vb.width() / scale - 0.01 * w),
                      yRange=(-0.01 * h, vb.height() / scale - 0.01 * h), padding=0)
    else:
        plot.setRange(xRange=(0, w), yRange=(0, h), padding=0.02)
    for i, label in enumerate(labels):
        shown = i < len(sheet.labels)
        label.setVisible(shown)
        if shown:
            text, y = sheet.labels[i]
            label.setText(text)
            label.setAnchor((0, 0) if sheet.side else (0, 1))
            label.setPos(0, y if sheet.side else y - 0.5)


def fit_titles(plots) -> None:
    """A title wraps only when it is wider than its own plot. The shared rule judges
    every title against an equal share of the room the window offers, which wrapped
    the short titles of this panel's wide columns word by word."""
    for plot in plots:
        title = plot.titleLabel
        room = plot.geometry().width() - 12
        if not title.text or room < 40:
            continue
        title.item.setTextWidth(-1)
        if title.itemRect().width() > room:
            title.item.setTextWidth(max(60.0, room))
            wrap_words(title.item, QtCore.Qt.AlignHCenter)
        title.updateMin()


# --- the drawing pad -----------------------------------------------------------------------

def stroke_on(ink: np.ndarray, points, erase: bool = False) -> np.ndarray:
    """A copy of the pad's ink (PAD × PAD uint8) with a stroke through `points` (pad
    pixels, (x, y)); erasing draws paper, twice as wide."""
    out = ink.copy()
    pts = [(int(round(x)), int(round(y))) for x, y in points]
    width = PEN * (2 if erase else 1)
    value = 0 if erase else 255
    if len(pts) == 1:
        cv2.circle(out, pts[0], width // 2, value, -1, cv2.LINE_AA)
    for a, b in zip(pts, pts[1:], strict=False):
        cv2.line(out, a, b, value, width, cv2.LINE_AA)
    return out


def pad_from_digit(image: np.ndarray) -> np.ndarray:
    """A SIDE × SIDE digit (ink 1) as the pad's PAD × PAD uint8 ink."""
    big = cv2.resize(np.asarray(image, np.float32), (PAD, PAD), interpolation=cv2.INTER_LINEAR)
    return np.clip(np.round(big * 255), 0, 255).astype(np.uint8)
