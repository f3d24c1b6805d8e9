"""Picture panels that step over a patch the user picks with a click (convolution,
pooling): the patch's place, its outline, the click that moves it (undoable) and its
keeping across panel switches and sessions, written once."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from visualizer.panels.live import LivePanel


def image_plot(canvas, row: int, col: int, title: str, lookup=None):
    """A plot showing one picture: square pixels, rows downwards, no axes or menu."""
    plot = canvas.addPlot(row=row, col=col, title=title)
    plot.setAspectLocked(True)
    plot.invertY(True)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.setMenuEnabled(False)
    item = pg.ImageItem(axisOrder="row-major")
    if lookup is not None:
        item.setLookupTable(lookup)
    plot.addItem(item)
    return plot, item


class PatchPanel(LivePanel):
    """A LivePanel whose steps run on a square patch of `patched()` (a 2-D map of the
    picture) centred where the user last clicked; the subclass makes `self.patch_box` (a
    curve item on the clicked plot) in its setup and sets `self.centre` when it adopts."""

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.picture = None
        self.centre: tuple[int, int] | None = None   # patch centre (row, column)

    def patched(self) -> np.ndarray:
        """The map the patch is cut from."""
        raise NotImplementedError

    def patch_origin(self) -> tuple[int, int]:
        h, w = self.patched().shape
        size = min(self.params.patch, h, w)
        r = int(np.clip(self.centre[0] - size // 2, 0, h - size))
        c = int(np.clip(self.centre[1] - size // 2, 0, w - size))
        return r, c

    def patch(self) -> np.ndarray:
        r, c = self.patch_origin()
        size = min(self.params.patch, *self.patched().shape)
        return self.patched()[r:r + size, c:c + size]

    def _outline_patch(self):
        r, c = self.patch_origin()
        size = self.patch().shape[0]
        self.patch_box.setData([c, c + size, c + size, c, c], [r, r, r + size, r + size, r])

    def on_click(self, x, y, button):
        if button != QtCore.Qt.LeftButton or self.picture is None:
            return
        h, w = self.patched().shape
        if not (0 <= x < w and 0 <= y < h):
            return
        self.before_steps()   # a live stream freezes on the frame clicked
        old, new = self.centre, (int(y), int(x))
        self.edit(f"move the patch to ({int(x)}, {int(y)})", lambda: self._centre(new),
                  lambda: self._centre(old))

    def _centre(self, centre):
        self.centre = tuple(centre)
        self._outline_patch()
        self.restart.emit()

    def hand_made(self):
        return {"centre": list(self.centre)} if self.centre is not None else {}

    def restore_hand_made(self, state):
        if state.get("centre"):
            self._centre(state["centre"])
