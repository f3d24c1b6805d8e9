"""One palette and one font scale for the whole app, in one place.

Presentation mode raises the floor: text ≥ 24 px and tick labels ≥ 18 px, thicker
lines and bigger markers, so a projector is readable from the back of a classroom.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui

# Okabe & Ito's colour-blind-safe set (less black), then Paul Tol's muted set for k > 7.
# Ordered so that the first four are far apart (blue, orange, green, purple): with the
# original order orange and yellow stood side by side at k = 4 and looked alike on a
# projector. Yellow comes last of the seven: it vanishes on white and pale shading.
PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677",
    "#882255", "#AA4499", "#661100", "#6699CC", "#888888", "#000000",
)
UNASSIGNED = "#9a9a9a"
INK = "#202020"
BACKGROUND = "#ffffff"


def palette_rgb() -> np.ndarray:
    """(len(PALETTE), 3) uint8, for rasterising many points into one image."""
    return np.array([QtGui.QColor(c).getRgb()[:3] for c in PALETTE], dtype=np.uint8)


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


class Style(QtCore.QObject):
    """The current font scale and presentation flag; panels restyle on `changed`."""

    changed = QtCore.Signal()
    MIN_SCALE, MAX_SCALE = 0.6, 3.0

    def __init__(self):
        super().__init__()
        self.scale = 1.0
        self.presentation = False

    def set_scale(self, scale: float) -> None:
        scale = float(np.clip(scale, self.MIN_SCALE, self.MAX_SCALE))
        if scale != self.scale:
            self.scale = scale
            self.changed.emit()

    def set_presentation(self, on: bool) -> None:
        if on != self.presentation:
            self.presentation = on
            self.changed.emit()

    def _px(self, normal: float, floor: float) -> int:
        """Text in pixels. In presentation mode the scale still raises the (already large)
        floor, so Ctrl+= works from the first press, but by its square root: the full
        factor made 48 px titles at 2× that no 1280 × 800 projector can lay out."""
        if self.presentation:
            return round(max(normal * self.scale, floor * self.scale ** 0.5))
        return round(normal * self.scale)

    @property
    def text_px(self) -> int:
        return self._px(15, 24)

    @property
    def caption_px(self) -> int:
        return self._px(17, 28)

    @property
    def tick_px(self) -> int:
        return self._px(12, 18)

    @property
    def line_width(self) -> float:
        return 3.0 if self.presentation else 1.5

    @property
    def marker_size(self) -> float:
        return (11 if self.presentation else 7) * max(1.0, self.scale ** 0.5)

    def font(self, px: int, bold: bool = False) -> QtGui.QFont:
        f = QtGui.QFont()
        f.setPixelSize(px)
        f.setBold(bold)
        return f


STYLE = Style()
