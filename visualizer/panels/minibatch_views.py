"""The mini-batch panel's building blocks, so the panel itself reads as "what is shown when".

- ``MethodView``: everything one method draws across the four views, made once.
- ``landscape``: the loss shading and contour lines, for the background worker.
- Small helpers that keep a diverging run's huge coordinates out of Qt's painter, the
  legend and status texts, and the check that a file suits logistic regression.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import regression
from algorithms.base import plural
from visualizer.panels.contours import contour_lines
from visualizer.panels.overlays import Legend, line_sample, marker_sample
from visualizer.style import INK, PALETTE, STYLE

DASH = QtCore.Qt.DashLine

# One colour and one marker shape per method, the same in all four views. The shapes
# repeat the colour's message for readers who cannot tell the colours apart.
COLOUR = {"batch": PALETTE[0], "sgd": PALETTE[5], "minibatch": PALETTE[2]}
SYMBOL = {"batch": "o", "sgd": "t", "minibatch": "s"}
RING = {"batch": 6, "minibatch": 12, "sgd": 18}  # ring diameter beyond the marker: nested
CELLS = (160, 120)        # landscape samples along w and along b
LEVELS = 11               # contour lines drawn
WIDE = 30.0               # max/min loss ratio beyond which the shading is logarithmic
# The shading runs from white (the lowest loss) to a mid grey, so the coloured paths on
# top of it stay the strongest thing in the picture.
SHADE_LUT = pg.ColorMap([0.0, 1.0], ["#ffffff", "#8c8c8c"]).getLookupTable(0.0, 1.0, 256)


@dataclass(frozen=True)
class Landscape:
    shade: np.ndarray                 # (nw, nb) values to colour, axis 0 along w
    levels: tuple[float, float]       # shade values for the ends of the colour scale
    logarithmic: bool
    lines: tuple[np.ndarray, np.ndarray]  # contour vertices, NaN between separate lines
    region: tuple[float, float, float, float]


def landscape(task: str, x, y, region) -> Landscape:
    """Full-data loss over the (w, b) window `region`, shaded and traced into contours."""
    wmin, wmax, bmin, bmax = region
    (nw, nb) = CELLS
    dw, db = (wmax - wmin) / nw, (bmax - bmin) / nb
    ws = wmin + (np.arange(nw) + 0.5) * dw      # cell centres: the image fills the window
    bs = bmin + (np.arange(nb) + 0.5) * db
    z = regression.loss_grid(task, x, y, ws, bs).T
    low, high = float(z.min()), float(z.max())
    span = max(high - low, 1e-12)
    logarithmic = high > WIDE * max(low, 1e-12)
    if logarithmic:
        # Colour by the log of the loss above its floor: a bowl whose rim is 1000× its
        # floor would otherwise be one flat colour everywhere but the rim.
        floor = 1e-4 * span
        shade = np.log10(z - low + floor)
        limits = (float(np.log10(floor)), float(np.log10(span + floor)))
        heights = low + span * np.geomspace(2e-3, 0.9, LEVELS)
    else:
        shade, limits = z, (low, high)
        heights = low + span * np.linspace(0, 1, LEVELS + 2)[1:-1]
    # Samples sit at cell centres, so the image (cells from wmin to wmax) and the lines agree.
    lines = contour_lines(ws, bs, z.T, heights)
    return Landscape(shade, limits, logarithmic, lines, tuple(map(float, region)))


def clip_path(path: np.ndarray, box, reach: float = 5.0) -> np.ndarray:
    """Clamp (w, b) points into `box` widened by `reach` spans on every side.

    A diverging run reaches 1e150 before it overflows; clamping far outside the view
    leaves what is visible unchanged and keeps Qt's painter in sane numbers.
    """
    x0, x1, y0, y1 = box
    sx, sy = (x1 - x0) * reach, (y1 - y0) * reach
    return np.column_stack([np.clip(path[:, 0], x0 - sx, x1 + sx),
                            np.clip(path[:, 1], y0 - sy, y1 + sy)])


def line_in_box(w: float, b: float, xr, yr, reach: float = 5.0):
    """End points of y = w·x + b across xr, cut exactly where it leaves yr (widened)."""
    (x0, x1), (y0, y1) = xr, yr
    pad = (y1 - y0) * reach
    lo_y, hi_y = y0 - pad, y1 + pad
    if abs(w) > 1e-300:
        xa, xb = sorted(((lo_y - b) / w, (hi_y - b) / w))
        x0, x1 = max(x0, xa), min(x1, xb)
    elif not lo_y <= b <= hi_y:
        return np.zeros(0), np.zeros(0)
    if not x0 < x1:
        return np.zeros(0), np.zeros(0)
    xs = np.array([x0, x1])
    return xs, w * xs + b


@dataclass(frozen=True)
class Frame:
    """What the views are fixed to for one data set: the fitted data and the axis ranges."""

    x: np.ndarray                      # the feature as fitted (standardised if ticked)
    y: np.ndarray
    region: tuple                      # (wmin, wmax, bmin, bmax) of the parameter view
    xr: tuple                          # data view ranges
    yr: tuple
    logistic: bool
    loss_clip: tuple                   # losses drawn are clamped into this (log scale)


class MethodView:
    """One method's path and head, ring, fitted curve and loss curves."""

    LIFT = {"sgd": 0.0, "minibatch": 0.1, "batch": 0.2}  # the straightest path on top

    def __init__(self, name, space, data, per_update, per_epoch):
        self.name, self.colour, self.ring_key = name, COLOUR[name], None
        self.path, self.head = pg.PlotDataItem(), pg.ScatterPlotItem(symbol=SYMBOL[name])
        self.ring, self.fit = pg.ScatterPlotItem(symbol="o", brush=None), pg.PlotDataItem()
        self.cut = pg.InfiniteLine(angle=90)             # logistic: where p = 0.5
        self.loss, self.epochs = pg.PlotDataItem(), pg.PlotDataItem()
        self.marks = pg.PlotDataItem(pen=None)          # epoch ends on the per-update curve
        self.items = ((space, self.path, 5), (space, self.head, 20), (data, self.ring, 4),
                      (data, self.fit, 6), (data, self.cut, 3), (per_update, self.loss, 5),
                      (per_update, self.marks, 6), (per_epoch, self.epochs, 5))
        for plot, item, z in self.items:
            item.setZValue(z + self.LIFT[name])
            plot.addItem(item)

    def restyle(self):
        lw, size, colour = STYLE.line_width, STYLE.marker_size, self.colour
        for curve in (self.path, self.loss, self.epochs):
            curve.setPen(pg.mkPen(colour, width=lw))
        for curve, symbol, scale in ((self.path, "o", 0.45), (self.epochs, "o", 0.8),
                                     (self.marks, "d", 1.3)):
            curve.setSymbol(symbol)
            curve.setSymbolSize(size * scale)
            curve.setSymbolBrush(colour)
            curve.setSymbolPen(pg.mkPen(INK, width=0.8) if symbol == "d" else None)
        self.head.setSize(size * 2.2)
        self.head.setBrush(colour)
        self.head.setPen(pg.mkPen(INK, width=lw * 0.8))
        self.ring.setSize(size + RING[self.name] * size / 7)
        self.ring.setPen(pg.mkPen(colour, width=lw * (0.7 if self.name == "batch" else 1.3)))
        self.fit.setPen(pg.mkPen(colour, width=lw * 1.4))
        self.cut.setPen(pg.mkPen(colour, width=lw, style=DASH))

    def draw(self, m, frame: Frame):
        for _, item, _ in self.items:
            item.setVisible(m is not None)
        if m is None:
            return
        path = clip_path(m.path, frame.region)
        self.path.setData(path[:, 0], path[:, 1])
        self.head.setData(pos=path[-1:])
        if self.ring_key != (key := m.indices.tobytes()):  # batch's ring never changes
            self.ring_key = key
            self.ring.setData(frame.x[m.indices], frame.y[m.indices])
        w, b = m.point
        with np.errstate(all="ignore"):
            if frame.logistic:
                xs = np.linspace(*frame.xr, 200)
                ys, cut = regression.sigmoid(w * xs + b), -b / w if w else np.inf
                self.cut.setValue(cut if np.isfinite(cut) else 0.0)
                self.cut.setVisible(bool(frame.xr[0] < cut < frame.xr[1]))
            else:
                xs, ys = line_in_box(w, b, frame.xr, frame.yr)
                self.cut.setVisible(False)
        self.fit.setData(xs, ys)
        lo, hi = frame.loss_clip
        self.loss.setData(np.arange(len(m.losses)), np.clip(m.losses, lo, hi))
        self.epochs.setData(np.arange(len(m.epoch_losses)), np.clip(m.epoch_losses, lo, hi))
        ends = np.arange(1, len(m.epoch_losses)) * m.updates_per_epoch
        self.marks.setData(ends, np.clip(m.epoch_losses[1:], lo, hi))
        self.marks.setVisible(self.name != "batch")  # for batch every update ends an epoch


def fill_key(key: Legend, params, n: int, task: str) -> None:
    """The one legend: the methods that run, the markers, the ring."""
    entries = []
    for name, label in regression.METHODS.items():
        if getattr(params, name):
            used = {"batch": f"all {n}", "sgd": "1",
                    "minibatch": str(min(params.batch_size, n))}[name]
            entries.append((line_sample(COLOUR[name], symbol=SYMBOL[name],
                                        size=STYLE.marker_size),
                            f"<b>{label}</b>: {used} per update"))
    best = "least-squares fit" if task == "linear" else "lowest loss"
    entries += [(marker_sample(symbol, brush, size=STYLE.marker_size * 1.8), text)
                for symbol, brush, text in (("x", INK, "start"), ("star", "#ffffff", best),
                                            ("o", None, "ring: used by this update"))]
    if task == "logistic":
        entries.append((line_sample(INK, style=DASH), "p = 0.5 threshold"))
    key.fill(entries, key=(task, n))


def status_html(step) -> str:
    """Where each method is in its epoch, one short line each in its own colour."""
    if step is None:
        return "not started: press Step (→)"
    rows = [f"<b>update {step.update}</b>" if step.update else "<b>start</b>"]
    for m in step.methods.values():
        if m.diverged_at is not None:
            text = f"<b>diverged at update {m.diverged_at}</b> (η too large)"
        elif m.epoch == 0:
            text = f"{plural(m.updates_per_epoch, 'update')} = 1 epoch"
        else:
            text = f"epoch {m.epoch} · {m.update_in_epoch}/{m.updates_per_epoch}"
        rows.append(f'<span style="color:{COLOUR[m.name]}"><b>{m.label}</b></span> {text}')
    return "<br>".join(rows)


def binary_target(name, values, column, codes, classes, label):
    """Logistic regression's y (0 or 1) and its axis name, from a two-valued label column
    or else a 0/1 column; a ValueError saying what to choose instead otherwise."""
    if codes is not None:
        if len(classes) != 2:
            shown = ", ".join(classes[:6]) + (", …" if len(classes) > 6 else "")
            raise ValueError(f"{name}: logistic regression needs exactly two classes, but the "
                           f"label column {label!r} has {len(classes)} ({shown}).")
        return codes.astype(float), f"{label}: 1 = {classes[1]}, 0 = {classes[0]}"
    found = np.unique(values)
    if len(found) != 2 or not np.isin(found, (0.0, 1.0)).all():
        shown = ", ".join(f"{v:g}" for v in found[:5]) + (", …" if len(found) > 5 else "")
        raise ValueError(f"{name}: logistic regression needs y to be 0 or 1 (both present), but "
                       f"column {column!r} holds {shown}. Choose a 0/1 column, or a label "
                       "column with two values.")
    return values, f"{column} (class 0 or 1)"
