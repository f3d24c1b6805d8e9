"""Handles a user drags on the basics panels: a target that may be held to one column (a
bar's top) and to a range of values, so a drag can never leave the picture."""

from __future__ import annotations

import math

import pyqtgraph as pg


class Handle(pg.TargetItem):
    """A draggable target. With `column` set, it only moves up and down on x = column;
    `low`/`high` bound its y (and, without a column, `left`/`right` its x)."""

    def __init__(self, pos=(0.0, 0.0), column: float | None = None,
                 low: float = -math.inf, high: float = math.inf,
                 left: float = -math.inf, right: float = math.inf, **options):
        self.column, self.low, self.high = column, low, high
        self.left, self.right = left, right
        super().__init__(pos=pos, **options)

    def setPos(self, *args):  # noqa: N802 - Qt's spelling
        p = pg.Point(*args)
        x = self.column if self.column is not None else min(max(p.x(), self.left), self.right)
        y = min(max(p.y(), self.low), self.high)
        super().setPos(x, y)

    def resize(self, size: float) -> None:
        """The symbol's size in pixels (TargetItem takes it only when made)."""
        self.scale = size
        self._shape = None
        self.prepareGeometryChange()
        self.update()

    def xy(self) -> tuple[float, float]:
        p = self.pos()
        return float(p.x()), float(p.y())
