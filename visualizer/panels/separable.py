"""Depthwise-separable convolution (MobileNet v1): the picture's channels each through their
own kernel, then a 1×1 mix into N outputs, beside the standard layer as one matrix product
(im2col, D = W·X), with the multiplications each way counted as the code performs them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from algorithms import separable
from algorithms.base import num, param, plural
from visualizer.panels import separable_steps as steps_module
from visualizer.panels.base import AlgorithmPanel
from visualizer.panels.convolution import CURSOR, PICTURES
from visualizer.panels.feature_maps import map_scale, resize_nearest, tint
from visualizer.panels.overlays import StatusBox
from visualizer.sources import IMAGE, Generated
from visualizer.sources.frames import SAMPLE_CLIP, Picture, read_image
from visualizer.style import INK, STYLE, colour

TILE = 64          # mosaic pixels per map
GAP = 8
LABEL = 18         # room above the mosaic for the column names
STANDARD, DEPTHWISE, POINTWISE = colour(0), colour(1), colour(2)


@dataclass(frozen=True)
class Data:
    picture: str = param("astronaut", values=tuple(PICTURES),
                         tip="a bundled picture; File ▸ Open data… takes your own")


def as_input(image: np.ndarray, size: int) -> np.ndarray:
    """(3, size, size) in 0–1: the picture's centre square, shrunk, channel first."""
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = image[top:top + side, left:left + side]
    small = cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA)
    return np.transpose(small, (2, 0, 1)).astype(float) / 255.0


def grey_tile(channel: np.ndarray) -> np.ndarray:
    v = np.clip(np.round(channel * 255), 0, 255).astype(np.uint8)
    return np.repeat(v[..., None], 3, axis=-1)


def _layout(m: int, n: int, k: int) -> dict:
    """Mosaic positions (x, y, size) of every tile: input, kernel, depthwise map, output."""
    per_column = max(1, m)
    out_cols = math.ceil(n / per_column)
    small = TILE // 2
    x_kernel = TILE + 3 * GAP
    x_depth = x_kernel + small + 3 * GAP
    x_out = x_depth + TILE + 6 * GAP
    where = {}
    for c in range(m):
        y = LABEL + c * (TILE + GAP)
        where[("input", c)] = (0, y, TILE)
        where[("kernel", c)] = (x_kernel, y + (TILE - small) // 2, small)
        where[("depth", c)] = (x_depth, y, TILE)
    for o in range(n):
        col, row = divmod(o, per_column)
        where[("out", o)] = (x_out + col * (TILE + GAP), LABEL + row * (TILE + GAP), TILE)
    where["size"] = (x_out + out_cols * (TILE + GAP), LABEL + per_column * (TILE + GAP))
    return where


class SeparablePanel(AlgorithmPanel):
    id, title, topic = "separable", "Depthwise-separable convolution (MobileNet)", \
        "Computer vision"
    Params, Data = steps_module.Params, Data
    accepts = (IMAGE,)

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.picture: Picture | None = None
        self.x: np.ndarray | None = None
        self._tiles: tuple = (None, None)      # (layer, its tiles), drawn once per run

    # --- building -----------------------------------------------------------------------
    def setup(self, canvas):
        def plot(row, col, title, colspan=1, locked=True):
            p = canvas.addPlot(row=row, col=col, colspan=colspan, title=title)
            p.setAspectLocked(locked)
            p.invertY(True)
            p.hideAxis("left")
            p.hideAxis("bottom")
            p.setMenuEnabled(False)
            p.setMouseEnabled(False, False)
            return p

        self.flow_plot = plot(0, 0, None, colspan=2)   # the column names say it all
        self.mosaic = pg.ImageItem(axisOrder="row-major")
        self.flow_plot.addItem(self.mosaic)
        self.current_box = self.flow_plot.plot(connect="finite")
        self.mix_lines = self.flow_plot.plot(connect="finite")
        self.column_names = [pg.TextItem(color=INK, anchor=(0, 1)) for _ in range(4)]
        self._names = ((), ())
        self.flow_plot.vb.sigResized.connect(self._name_columns)
        for label in self.column_names:
            self.flow_plot.addItem(label)
        self.gemm_plot = plot(1, 0, "D = W·X", locked=False)
        self.matrices = [pg.ImageItem(axisOrder="row-major") for _ in range(3)]
        for item in self.matrices:
            self.gemm_plot.addItem(item)
        self.matrix_names = [pg.TextItem(color=INK, anchor=(0, 1)) for _ in range(3)]
        for label in self.matrix_names:
            self.gemm_plot.addItem(label)
        self.gemm_hint = StatusBox(self.gemm_plot, "bottom-left", bold=False)
        self.column_marks = self.gemm_plot.plot(connect="finite")
        self.cost_plot = canvas.addPlot(row=1, col=1, title="Cost")
        self.cost_plot.setLabel("left", "multiplications")
        self.cost_plot.setMenuEnabled(False)
        self.cost_plot.setMouseEnabled(False, False)
        self.totals = pg.BarGraphItem(x=[0, 1], height=[0, 0], width=0.6)
        self.bars = {name: pg.BarGraphItem(x=[0], height=[0], width=0.6)
                     for name in ("standard", "depthwise", "pointwise")}
        for item in (*self.bars.values(), self.totals):
            self.cost_plot.addItem(item)
        self.cost_plot.getAxis("bottom").setTicks([[(0, "standard"),
                                                    (1, "depthwise + pointwise")]])
        self.counts = [pg.TextItem(color=INK, anchor=(0.5, 1)) for _ in range(2)]
        for label in self.counts:
            self.cost_plot.addItem(label)
        self.formula = StatusBox(self.cost_plot, "top-left", bold=False, opacity=230)
        self._cost_texts, self._cost_top = (), 1
        self.cost_plot.vb.sigResized.connect(self._fit_costs)
        canvas.ci.layout.setRowStretchFactor(0, 1)
        canvas.ci.layout.setRowStretchFactor(1, 1)
        canvas.ci.layout.setColumnStretchFactor(0, 2)
        canvas.ci.layout.setColumnStretchFactor(1, 3)

    def restyle(self):
        super().restyle()
        width = STYLE.line_width * 1.6
        self.current_box.setPen(pg.mkPen(CURSOR, width=width))
        self.column_marks.setPen(pg.mkPen(CURSOR, width=width))
        self.mix_lines.setPen(pg.mkPen(CURSOR, width=STYLE.line_width))
        self.totals.setOpts(brush=pg.mkBrush(0, 0, 0, 0),
                            pen=pg.mkPen(INK, width=1.5, style=QtCore.Qt.DashLine))
        for name, fill in (("standard", STANDARD), ("depthwise", DEPTHWISE),
                           ("pointwise", POINTWISE)):
            self.bars[name].setOpts(brush=pg.mkBrush(fill), pen=pg.mkPen(INK, width=1))
        for label in (*self.column_names, *self.matrix_names, *self.counts):
            label.setFont(STYLE.font(STYLE.tick_px, bold=True))
        self.formula.restyle(STYLE.tick_px)
        self.gemm_hint.restyle(STYLE.tick_px)

    # --- data ---------------------------------------------------------------------------
    def prepare(self, source):
        if isinstance(source, Generated):
            picture = read_image(SAMPLE_CLIP.parent / "pictures" / PICTURES[source.params.picture])
        elif isinstance(source, Picture):
            picture = source
        else:
            return super().prepare(source)
        as_input(picture.image, self.params.map_size)  # fails here, not in adopt
        return picture, picture.note

    def adopt(self, picture: Picture):
        self.picture = picture
        self.x = as_input(picture.image, self.params.map_size)

    def set_params(self, params, live=False):
        if self.picture is not None and params.map_size != self.params.map_size:
            self.x = as_input(self.picture.image, params.map_size)
        super().set_params(params, live)

    # --- running ------------------------------------------------------------------------
    def steps(self):
        return steps_module.run(self.x, self.params, self.rng())

    def intro(self):
        p = self.params
        c = separable.costs(p.kernel, len(self.x), p.filters, p.map_size)
        return (f"{self.picture.name}, shrunk to {p.map_size}×{p.map_size} with M = "
                f"{len(self.x)} channels, into N = {plural(p.filters, 'output')} with {p.kernel}×"
                f"{p.kernel} kernels: {c.standard:,} multiplications the standard way, "
                f"{c.separable:,} the separable way. Press Step (→) to go channel by channel.")

    def _tiles_for(self, layer):
        """Every map of a run as a coloured tile, made once per run (not on every frame)."""
        if self._tiles[0] is layer:
            return self._tiles[1]
        k = layer.kernels
        top = float(np.abs(k).max()) or 1.0
        tiles = {"kernel": [resize_nearest(tint(one, top), TILE // 2) for one in k],
                 "depth": [resize_nearest(tint(one, map_scale(one)), TILE) for one in layer.depth],
                 "out": [resize_nearest(tint(one, map_scale(one)), TILE) for one in layer.out],
                 "gemm": (tint(layer.gemm.weights, float(np.abs(layer.gemm.weights).max()) or 1),
                          grey_tile(layer.gemm.columns / (float(layer.gemm.columns.max()) or 1)),
                          tint(layer.gemm.product, map_scale(layer.gemm.product)))}
        self._tiles = (layer, tiles)
        return tiles

    def draw(self, step):
        p = self.params
        m, n, k = len(self.x), p.filters, p.kernel
        where = _layout(m, n, k)
        width, height = where["size"]
        canvas = np.full((height, width, 3), 255, np.uint8)

        def put(key, tile):
            x, y, size = where[key]
            canvas[y:y + size, x:x + size] = tile[:size, :size]

        def frame(key, pad=2):
            x, y, size = where[key]
            return ([x - pad, x + size + pad, x + size + pad, x - pad, x - pad, np.nan],
                    [y - pad, y - pad, y + size + pad, y + size + pad, y - pad, np.nan])

        for c in range(m):
            put(("input", c), resize_nearest(grey_tile(self.x[c]), TILE))
        for key in where:
            if key != "size" and key[0] != "input":
                x, y, size = where[key]
                canvas[y:y + size, x:x + size] = 240   # not computed yet: a pale square
        boxes, lines = ([], []), ([], [])
        if step is not None:
            tiles = self._tiles_for(step.layer)
            for c in range(m):
                put(("kernel", c), tiles["kernel"][c])
            for c in range(step.depth_done):
                put(("depth", c), tiles["depth"][c])
            for o in range(step.point_done):
                put(("out", o), tiles["out"][o])
            if step.stage == "depthwise":
                for key in (("input", step.current), ("kernel", step.current),
                            ("depth", step.current)):
                    bx, by = frame(key)
                    boxes[0].extend(bx)
                    boxes[1].extend(by)
            elif step.stage in ("im2col", "done"):
                # the patch at the centre of every input channel: one column of X
                d = self.x.shape[1]
                scale, r0 = TILE / d, d // 2 - k // 2
                for c in range(m):
                    x, y, _ = where[("input", c)]
                    x0, y0, side = x + r0 * scale, y + r0 * scale, k * scale
                    boxes[0].extend([x0, x0 + side, x0 + side, x0, x0, np.nan])
                    boxes[1].extend([y0, y0, y0 + side, y0 + side, y0, np.nan])
            elif step.stage == "pointwise":
                bx, by = frame(("out", step.current))
                boxes[0].extend(bx)
                boxes[1].extend(by)
                ox, oy, size = where[("out", step.current)]
                for c in range(m):
                    dx, dy, dsize = where[("depth", c)]
                    lines[0].extend([dx + dsize + 2, ox - 2, np.nan])
                    lines[1].extend([dy + dsize / 2, oy + size / 2, np.nan])
        self.mosaic.setImage(canvas, autoLevels=False, levels=(0, 255),
                             rect=QtCore.QRectF(0, 0, width, height))
        self.flow_plot.setRange(xRange=(0, width), yRange=(-LABEL, height), padding=0.02)
        self.current_box.setData(*boxes)
        self.mix_lines.setData(*lines)
        self._names = (((f"input, M = {m}", "input", "M"), (f"{k}×{k} kernels", "kernels", "K"),
                        ("depthwise maps", "maps", ""), (f"pointwise 1×1 → N = {n}", f"N = {n}",
                                                          "N")),
                       (0, where[("kernel", 0)][0] - GAP, where[("depth", 0)][0],
                        where[("out", 0)][0], width))
        self._name_columns()
        self._draw_gemm(step)
        self._draw_costs(step, m, n, k)

    def _name_columns(self, *_):
        """Each column's name, shortened when the view leaves it too little room."""
        names, xs = self._names
        if not names:
            return  # resized before the first draw
        metrics = QtGui.QFontMetrics(STYLE.font(STYLE.tick_px, bold=True))
        per_px = max(1e-9, self.flow_plot.vb.viewPixelSize()[0])
        for i, (label, choices) in enumerate(zip(self.column_names, names, strict=True)):
            room = (xs[i + 1] - xs[i]) / per_px    # pixels to the next column's name
            fits = [text for text in choices if metrics.horizontalAdvance(text) + 8 <= room]
            label.setText(fits[0] if fits else "")
            label.setPos(xs[i], LABEL - 3)

    def _draw_gemm(self, step):
        if step is None or step.stage not in ("im2col", "done"):
            for item in self.matrices:
                item.clear()
            for label in self.matrix_names:
                label.setText("")
            self.column_marks.setData([], [])
            self.gemm_hint.set_text("after the pointwise step: the same layer as one "
                                    "matrix product")
            self.gemm_plot.setRange(xRange=(0, 250), yRange=(0, 40), padding=0.02)
            return
        g = step.layer.gemm
        rows = g.columns.shape[0]
        wide = 100.0
        w_width = 40.0   # every matrix is squeezed to fit: the pictures show their shapes
        spots = ((0.0, w_width), (w_width + 6, wide), (w_width + wide + 16, wide))
        pictures = self._tiles_for(step.layer)["gemm"]
        names = ("W", "· X", "= D")
        self.gemm_hint.set_text(
            f"W {g.weights.shape[0]}×{g.weights.shape[1]}: one filter per row\n"
            f"X = im2col {rows}×{g.columns.shape[1]:,}: one patch per column\n"
            f"D {g.product.shape[0]}×{g.product.shape[1]:,}: one output map per row\n"
            "orange: the centre patch, its column of X, its pixels in D")
        d = self.x.shape[1]
        centre = (d // 2) * d + d // 2                       # the patch's column, reading order
        xs = [spot[0] + (centre + 0.5) * wide / g.columns.shape[1] for spot in spots[1:]]
        self.column_marks.setData([xs[0], xs[0], np.nan, xs[1], xs[1]],
                                  [0, rows, np.nan, 0, len(g.weights)])
        for item, label, (x, w), picture, name in zip(self.matrices, self.matrix_names, spots,
                                                      pictures, names, strict=True):
            h = picture.shape[0]
            item.setImage(picture, autoLevels=False, levels=(0, 255),
                          rect=QtCore.QRectF(x, 0, w, h))
            label.setText(name)
            label.setPos(x, -0.5)
        right = spots[2][0] + wide
        self.gemm_plot.setRange(xRange=(0, right), yRange=(-rows * 0.25, rows * 2.1),
                                padding=0.02)  # room for the names above, the shapes below

    def _draw_costs(self, step, m, n, k):
        d = self.params.map_size
        c = separable.costs(k, m, n, d) if step is None else step.layer.costs
        self.totals.setOpts(x=[0, 1], height=[c.standard, c.separable])
        counted = (0, 0, 0) if step is None else (step.counted_standard, step.counted_depthwise,
                                                 step.counted_pointwise)
        self.bars["standard"].setOpts(x=[0], height=[counted[0]])
        self.bars["depthwise"].setOpts(x=[1], height=[counted[1]])
        self.bars["pointwise"].setOpts(x=[1], y0=[counted[1]], height=[counted[2]])
        self.cost_plot.setXRange(-0.6, 1.6, padding=0)
        self._cost_texts = (
            f"standard: D_K²·M·N·D_F² = {k}²·{m}·{n}·{d}² = {c.standard:,}\n"
            f"separable: D_K²·M·D_F² + M·N·D_F² = {c.depthwise:,} + {c.pointwise:,}\n"
            f"ratio {num(c.ratio, 3)} = 1/N + 1/D_K² = 1/{n} + 1/{k}²",
            f"{c.standard:,} vs {c.depthwise:,} + {c.pointwise:,}\n"
            f"ratio {num(c.ratio, 3)} = 1/{n} + 1/{k}²")
        self._cost_top = max(c.standard, c.separable)
        timed = step is not None and step.stage == "done"   # both layers timed on this picture
        for label, x, done, total, seconds in (
                (self.counts[0], 0, counted[0], c.standard,
                 step.layer.seconds_standard if timed else 0),
                (self.counts[1], 1, counted[1] + counted[2], c.separable,
                 step.layer.seconds_separable if timed else 0)):
            label.setText(f"{done:,} of {total:,}" + (f"\n{num(seconds * 1e3, 2)} ms"
                                                      if timed else ""))
            label.setPos(x, max(done, total))
        self._fit_costs()

    def _fit_costs(self, *_):
        """The formula in full when the view has room for it, else in short; the bars
        scaled to stay below it, however many lines it wraps onto."""
        if not self._cost_texts:
            return
        view = max(1.0, self.cost_plot.vb.height())
        for text in self._cost_texts:
            self.formula.set_text(text)
            if self.formula.item.boundingRect().height() < 0.4 * view:
                break
        taken = (self.formula.item.boundingRect().height()
                 + self.counts[0].boundingRect().height() + 16)
        self.cost_plot.setYRange(0, self._cost_top * view / max(0.25 * view, view - taken),
                                 padding=0)
