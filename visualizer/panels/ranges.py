"""The one range helper: a step plot's axes fixed while animating, grown only when needed.

Autorange on every frame costs time (it re-lays out the canvas and repaints every axis)
and makes the axes twitch. Here the x range grows in round steps and the y range only
widens, in whole decades on a log axis, so a run redraws its ticks a handful of times.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

ROUND_STEPS = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)


def round_up(steps: float, cap: float | None = None) -> float:
    """The smallest round step count ≥ steps (10, 20, 50, 100, …), at most `cap`."""
    right = next((m for m in ROUND_STEPS if m >= steps), steps)
    return right if cap is None else max(1, min(right, cap))


class FixedRanges:
    """A plot whose x axis counts steps and whose ranges only ever grow."""

    def __init__(self, plot: pg.PlotItem, cap: float | None = None):
        self.plot = plot
        self.cap = cap                  # the x axis never needs to pass this many steps
        plot.disableAutoRange()
        self.shown: tuple | None = None

    def forget(self) -> None:
        """A new run fits its own ranges."""
        self.shown = None

    def show_empty(self, log: bool = False) -> None:
        """Before the first step: ten steps and three decades (or 0 to 1). Left at Qt's
        default 0 to 1, a log axis spans one decade and crowds its labels 2, 3, … 9."""
        self.shown = None
        self.plot.setRange(xRange=(0, 10), yRange=(-3, 0) if log else (0, 1), padding=0.02)

    def fit(self, steps: int, lo: float, hi: float, log: bool = False) -> None:
        """Make room for `steps` steps and values in [lo, hi] (log10 values if `log`)."""
        if not (np.isfinite(lo) and np.isfinite(hi)):
            return  # nothing drawable to fit: keep what is shown
        right = round_up(steps - 1, self.cap)
        if log:  # three decades at least, so the axis labels decades only instead of
            hi = np.ceil(hi)  # crowding in 2, 3, … 9
            lo = min(np.floor(lo), hi - 3)
        else:
            pad = 0.05 * (hi - lo) or max(abs(hi) * 0.05, 1.0)
            lo, hi = lo - pad, hi + pad
        old = self.shown
        if old is not None and old[0] >= right and old[1] <= lo and hi <= old[2]:
            return
        if old is not None:  # only ever grow
            right, lo, hi = max(right, old[0]), min(lo, old[1]), max(hi, old[2])
        self.shown = (right, lo, hi)
        self.plot.setRange(xRange=(0, right), yRange=(lo, hi), padding=0.02)
