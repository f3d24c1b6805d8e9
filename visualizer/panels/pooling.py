"""Pooling, window by window: a feature map of your picture (a filter + ReLU, or its grey
values) shrunk by max or average pooling, one window per step, beside the whole map pooled
(live on a video or a webcam too)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import cv2
import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from algorithms import convolution, kernels, pooling
from algorithms.base import num, param
from visualizer.panels.convolution import CURSOR, GREYS, PICTURES, WORK_WIDTH, liveliest
from visualizer.panels.overlays import StatusBox
from visualizer.panels.patches import PatchPanel, image_plot
from visualizer.params import like
from visualizer.sources.frames import SAMPLE_CLIP, read_image
from visualizer.style import INK, PALETTE, STYLE

FEATURES = ("grey values", "sobel x", "sobel y", "gradient magnitude", "laplacian",
            "sharpen", "emboss")
WRITTEN = 16        # the window's values are written on its cells up to this many
WINNER = PALETTE[5]
EMPTY = (236, 230, 216)   # an output cell not written yet


@dataclass(frozen=True)
class Params:
    """What is pooled, then how."""

    feature: str = param("sobel x", values=FEATURES, label="feature map",
                         tip="the picture's grey values, or the picture through this 3×3 "
                             "filter and then ReLU (negative answers set to 0), as in a CNN")
    kind: str = like(pooling.Params, "kind")
    size: int = like(pooling.Params, "size")
    stride: int = like(pooling.Params, "stride")
    granularity: str = like(pooling.Params, "granularity")
    patch: int = param(8, limits=(4, 32), label="patch size",
                       tip="the stepping runs on this many cells square of the map round the "
                           "point you click")

    def pooling(self) -> pooling.Params:
        return pooling.Params(self.kind, self.size, self.stride, self.granularity)


@dataclass(frozen=True)
class Data:
    picture: str = param("coffee", values=tuple(PICTURES),
                         tip="a bundled picture; File ▸ Open data… takes your own, or a video")
    live: bool = field(default=False, metadata={
        "label": "live", "files": True,
        "tip": "pool every frame of the sample clip (or your video or webcam); Step or Play "
               "freezes the frame shown and steps through it"})


@dataclass(frozen=True, eq=False)
class Pooled:
    """A picture's feature map at the working width and the whole of it pooled."""

    name: str
    grey: np.ndarray       # (h, w) float, 0–255
    feature: np.ndarray    # (h, w) float, ≥ 0 after ReLU (or the grey values)
    pooled: np.ndarray     # the whole map pooled (fast path)
    seconds: float         # feature map + pooling, fast path


def feature_map(grey: np.ndarray, feature: str) -> np.ndarray:
    if feature == "grey values":
        return grey
    preset = kernels.make(kernels.Params(preset=feature, size=3))
    return convolution.filter_image(grey, preset, convolution.Params(padding=1,
                                                                     activation="relu"))


def pooled(image: np.ndarray, params: Params, name: str) -> Pooled:
    h, w = image.shape[:2]
    if w > WORK_WIDTH:
        image = cv2.resize(image, (WORK_WIDTH, max(1, round(h * WORK_WIDTH / w))),
                           interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(float)
    return pooled_again(name, grey, params)


def pooled_again(name: str, grey: np.ndarray, params: Params) -> Pooled:
    start = time.perf_counter()
    feature = feature_map(grey, params.feature)
    whole = pooling.pool(feature, params.size, params.stride, params.kind)
    return Pooled(name, grey, feature, whole, time.perf_counter() - start)


def check(params: Params) -> None:
    if params.size > params.patch:
        raise ValueError(f"a {params.size}×{params.size} window does not fit in the "
                         f"{params.patch}×{params.patch} patch: make the patch larger")


class PoolingPanel(PatchPanel):
    id, title, topic = "pooling", "Pooling, window by window", "Computer vision"
    stepped = "the pooling"
    Params, Data = Params, Data

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.values: list[pg.TextItem] = []

    # --- building -----------------------------------------------------------------------
    def setup(self, canvas):
        greys = GREYS.getLookupTable(nPts=256)
        self.map_plot, self.map_image = image_plot(canvas, 0, 0, "Map", greys)
        self.click_plot = self.map_plot
        self.patch_box = self.map_plot.plot(connect="finite")
        # a ring round the patch: on a 480-pixel map its outline alone is a dot
        self.rings = [pg.ScatterPlotItem(symbol="o", pxMode=True) for _ in range(2)]
        self.map_plot.addItem(self.rings[0])
        self.whole_plot, self.whole_image = image_plot(canvas, 0, 1, "Pooled", greys)
        self.whole_box = StatusBox(self.whole_plot, "bottom-left", bold=False, opacity=230)
        self.whole_plot.addItem(self.rings[1])
        self.patch_plot, self.patch_image = image_plot(canvas, 1, 0, "Patch", greys)
        self.chosen = pg.ScatterPlotItem(symbol="s", pxMode=False, size=1.0)
        self.patch_plot.addItem(self.chosen)
        self.window_box = self.patch_plot.plot(connect="finite")
        self.out_plot, self.out_image = image_plot(canvas, 1, 1, "Output", greys)
        # cells not written yet show this pale tint (a written maximum is white)
        self.empty = pg.ImageItem(np.array([[EMPTY]], np.uint8), axisOrder="row-major",
                                  levels=(0, 255))
        self.empty.setZValue(-1)
        self.out_plot.addItem(self.empty)
        self.cells = self.out_plot.plot(connect="finite")   # the output's empty grid
        self.cell_box = self.out_plot.plot(connect="finite")
        self.written = pg.TextItem(color=INK, anchor=(0.5, 0.5),
                                   fill=pg.mkBrush(255, 255, 255, 220))
        self.out_plot.addItem(self.written)
        self.formula_box = StatusBox(self.out_plot, "bottom-left", bold=False, opacity=230)

    def restyle(self):
        super().restyle()
        width = STYLE.line_width * 1.6
        for item in (self.patch_box, self.window_box, self.cell_box):
            item.setPen(pg.mkPen(CURSOR, width=width))
        colour = pg.mkColor(WINNER)
        colour.setAlpha(150)
        self.chosen.setBrush(pg.mkBrush(colour))
        self.chosen.setPen(pg.mkPen(WINNER, width=2))
        self.cells.setPen(pg.mkPen("#b0b0b0", width=1))
        for ring in self.rings:
            ring.setPen(pg.mkPen(CURSOR, width=STYLE.line_width * 1.6))
            ring.setBrush(pg.mkBrush(0, 0, 0, 0))
            ring.setSize(STYLE.marker_size * 3)
        self.winner_fill, self.plain_fill = pg.mkBrush(WINNER), pg.mkBrush(255, 255, 255, 200)
        for box in (self.formula_box, self.whole_box):
            box.restyle(STYLE.tick_px)
        for label in (*self.values, self.written):
            label.setFont(STYLE.font(STYLE.tick_px, bold=True))

    # --- data ---------------------------------------------------------------------------
    def generated_picture(self, data_params):
        return read_image(SAMPLE_CLIP.parent / "pictures" / PICTURES[data_params.picture])

    @staticmethod
    def analyse_frame(image, params, name, capture_seconds=0.0) -> Pooled:
        """Live mode's work on each frame (a worker thread): the map and all of it pooled."""
        return pooled(image, params, name)

    def adopt(self, picture: Pooled):
        same_size = self.picture is not None and self.picture.grey.shape == picture.grey.shape
        self.picture = picture
        if not same_size or self.centre is None:
            self.centre = liveliest(picture.feature, self.params.patch)
        self._show_whole()

    def set_params(self, params, live=False):
        try:
            check(params)
        except ValueError:
            self.replace_params(self.params)  # the controls show the settings kept
            raise
        old = self.params
        super().set_params(params, live)
        if self.picture is not None and (old.feature, old.kind, old.size, old.stride) != (
                params.feature, params.kind, params.size, params.stride):
            self.picture = pooled_again(self.picture.name, self.picture.grey, params)
        if self.picture is not None:
            self._show_whole()

    def _show_whole(self):
        feature, whole = self.picture.feature, self.picture.pooled
        top = float(np.percentile(feature, 99.5)) or float(feature.max()) or 1.0
        h, w = feature.shape
        self.map_image.setImage(feature, autoLevels=False, levels=(0, top),
                                rect=QtCore.QRectF(0, 0, w, h))
        self.map_plot.setRange(xRange=(0, w), yRange=(0, h), padding=0.01)
        oh, ow = whole.shape
        self.whole_image.setImage(whole, autoLevels=False, levels=(0, top),
                                  rect=QtCore.QRectF(0, 0, ow, oh))
        self.whole_plot.setRange(xRange=(0, ow), yRange=(0, oh), padding=0.01)
        self.whole_box.set_text(f"{h}×{w} → {oh}×{ow}, {num(h * w / (oh * ow), 3)}× fewer")
        self._outline_patch()

    # --- the patch ----------------------------------------------------------------------
    def patched(self) -> np.ndarray:
        return self.picture.feature

    def _outline_patch(self):
        super()._outline_patch()
        r, c = self.patch_origin()
        size = self.patch().shape[0]
        middle = (c + size / 2, r + size / 2)
        self.rings[0].setData([middle[0]], [middle[1]])
        s = self.params.stride    # the same place on the pooled map
        self.rings[1].setData([middle[0] / s], [middle[1] / s])

    # --- running ------------------------------------------------------------------------
    def steps(self):
        return pooling.run(self.patch(), self.params.pooling())

    def intro(self):
        p = self.params
        what = ("the grey values" if p.feature == "grey values"
                else f"the {p.feature} map (after ReLU)")
        size = self.patch().shape[0]
        return (f"{p.kind.capitalize()} pooling of {what} of {self.picture.name}, "
                f"{p.size}×{p.size} windows, stride {p.stride}. Press Step (→) to pool the "
                f"{size}×{size} patch one window at a time; click the map to move the patch.")

    def _labels(self, count: int) -> None:
        while len(self.values) < count:
            label = pg.TextItem(color=INK, anchor=(0.5, 0.5), fill=pg.mkBrush(255, 255, 255, 200))
            label.setFont(STYLE.font(STYLE.tick_px, bold=True))
            self.patch_plot.addItem(label)
            self.values.append(label)

    def _fits(self, plot=None) -> bool:
        """Whether a value like "888" fits inside one cell of `plot` (the patch) as drawn."""
        plot = plot or self.patch_plot
        cell = 1.0 / max(1e-9, plot.vb.viewPixelSize()[0])
        text = QtGui.QFontMetrics(STYLE.font(STYLE.tick_px, bold=True)).horizontalAdvance("888")
        return cell >= text + 4

    def _one_window(self, step, r0, c0, f):
        """The window outlined, and the cells that made its value filled: the max, or all."""
        self.window_box.setData([c0, c0 + f, c0 + f, c0, c0], [r0, r0, r0 + f, r0 + f, r0])
        if step.winner is not None:
            cells = [(r0 + step.winner[0], c0 + step.winner[1])]
        else:
            cells = [(r0 + i, c0 + j) for i in range(f) for j in range(f)]
        self.chosen.setData([c + 0.5 for _, c in cells], [r + 0.5 for r, _ in cells])

    def _write_window(self, step, r0, c0, f, shown):
        """The window's values written on its cells (the max's, or all, on red)."""
        self._labels(shown)
        for i, label in enumerate(self.values[:shown]):
            u, v = divmod(i, f)
            won = step.winner is None or step.winner == (u, v)  # average: all
            label.fill = self.winner_fill if won else self.plain_fill
            label.setColor("#ffffff" if won else INK)
            label.setText(num(float(step.patch[u, v]), 3))
            label.setPos(c0 + v + 0.5, r0 + u + 0.5)

    def draw(self, step):
        patch = self.patch()
        p = self.params
        ph, pw = patch.shape
        top = float(patch.max()) or 1.0
        self.patch_image.setImage(patch, autoLevels=False, levels=(0, top),
                                  rect=QtCore.QRectF(0, 0, pw, ph))
        self.patch_plot.setRange(xRange=(0, pw), yRange=(0, ph), padding=0.02)
        oh, ow = pooling.out_shape(ph, pw, p.size, p.stride)
        self.formula_box.set_text(f"output {oh}×{ow}: ⌊(W − F)/S⌋ + 1 = "
                                  f"⌊({pw} − {p.size})/{p.stride}⌋ + 1 = {ow}")
        shown = 0
        if step is None or step.position is None:
            so_far = np.full((oh, ow), np.nan)
            for item in (self.window_box, self.cell_box):
                item.setData([], [])
            self.chosen.setData([], [])
            self.written.setVisible(False)
        else:
            so_far = step.so_far()
            r0, c0 = step.window()
            f = step.size
            r, c = step.position
            if step.phase == "row":   # fast forward: the whole row of windows, the whole row out
                right = (ow - 1) * step.stride + f
                self.window_box.setData([0, right, right, 0, 0], [r0, r0, r0 + f, r0 + f, r0])
                self.cell_box.setData([0, ow, ow, 0, 0], [r, r, r + 1, r + 1, r])
                self.chosen.setData([], [])
                self.written.setVisible(False)
            else:
                self._one_window(step, r0, c0, f)
                shown = f * f if f * f <= WRITTEN and self._fits() else 0
                self._write_window(step, r0, c0, f, shown)
                self.cell_box.setData([c, c + 1, c + 1, c, c], [r, r, r + 1, r + 1, r])
                self.written.setText(num(step.value, 3))
                self.written.setPos(c + 0.5, r + 0.5)
                self.written.setVisible(self._fits(self.out_plot))
        for i, label in enumerate(self.values):
            label.setVisible(i < shown)
        xs, ys = [], []
        for i in range(oh + 1):
            xs += [0, ow, np.nan]
            ys += [i, i, np.nan]
        for j in range(ow + 1):
            xs += [j, j, np.nan]
            ys += [0, oh, np.nan]
        self.cells.setData(xs, ys)
        self.out_image.setImage(so_far, autoLevels=False, levels=(0, top),
                                rect=QtCore.QRectF(0, 0, ow, oh))
        self.empty.setRect(QtCore.QRectF(0, 0, ow, oh))
        # room below the grid for the size formula
        self.out_plot.setRange(xRange=(0, ow), yRange=(0, oh * 1.3 + 0.5), padding=0.02)
