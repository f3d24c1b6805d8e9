"""Convolution: a kernel slides over a patch of your picture one position at a time, while
the whole picture shows what the kernel makes of it (live on a video or a webcam too)."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import cv2
import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import convolution, kernels
from algorithms.base import num, param
from algorithms.conv_geometry import output_size, pad, size_formula
from visualizer.panels.overlays import StatusBox
from visualizer.panels.patches import PatchPanel, image_plot
from visualizer.params import like
from visualizer.sources.frames import SAMPLE_CLIP, read_image
from visualizer.style import INK, PALETTE, STYLE

PICTURES = {"astronaut": "astronaut.jpg", "cat": "chelsea.jpg", "coffee": "coffee.jpg"}
WORK_WIDTH = 480     # the picture is filtered at this width (grey), live frames too
CURSOR = "#E69F00"   # the window on the patch and the cell being written
# Signed output: blue below zero, white at zero, vermilion above, on symmetric levels.
DIVERGING = pg.ColorMap([0.0, 0.5, 1.0], [PALETTE[0], "#ffffff", PALETTE[5]])
GREYS = pg.ColorMap([0.0, 1.0], ["#000000", "#ffffff"])


@dataclass(frozen=True)
class Params:
    """The kernel, then how it slides, then the patch it is stepped over."""

    preset: str = field(default="sobel x", metadata={
        **kernels.Params.__dataclass_fields__["preset"].metadata,
        "values": (*kernels.PRESETS, "custom")})
    size: int = like(kernels.Params, "size")
    sigma: float = like(kernels.Params, "sigma")
    theta: float = like(kernels.Params, "theta")
    wavelength: float = like(kernels.Params, "wavelength")
    custom: str = field(default="0 -1 0; -1 5 -1; 0 -1 0", metadata={
        "label": "your kernel", "when": ("preset", ("custom",)),
        "tip": "the weights, rows separated by ';' and numbers by spaces"})
    normalise: bool = field(default=False, metadata={
        "label": "normalise", "tip": "scale the weights to sum to 1 (a blur then keeps the "
                                     "brightness; an edge kernel, its positive weights)"})
    padding_mode: str = like(convolution.Params, "padding_mode")
    padding: int = like(convolution.Params, "padding")
    stride: int = like(convolution.Params, "stride")
    dilation: int = like(convolution.Params, "dilation")
    activation: str = like(convolution.Params, "activation")
    leak: float = like(convolution.Params, "leak")
    granularity: str = like(convolution.Params, "granularity")
    patch: int = param(12, limits=(4, 40), label="patch size",
                       tip="the stepping runs on this many pixels square round the point you "
                           "click on the picture")

    def kernel(self) -> kernels.Preset:
        """The kernel as set; a ValueError in a sentence if the typed one is unusable."""
        if self.preset == "custom":
            try:
                rows = [[float(v) for v in row.replace(",", " ").split()]
                        for row in self.custom.split(";") if row.strip()]
            except ValueError:
                raise ValueError("your kernel must be numbers, rows separated by ';'") from None
            if not rows or len({len(row) for row in rows}) != 1:
                raise ValueError("your kernel's rows must all have the same count of numbers")
            grid = np.array(rows, float)
            if not np.isfinite(grid).all():
                raise ValueError("your kernel must be finite numbers")
            preset = kernels.Preset("custom", grid[None], "single", "your kernel")
        else:
            preset = kernels.make(kernels.Params(self.preset, self.size, self.sigma,
                                                 self.theta, self.wavelength))
        if self.normalise and preset.combine == "single":
            grid, _ = kernels.normalise(preset.kernel)
            preset = kernels.Preset(preset.name, grid[None], "single", preset.description)
        return preset

    def sliding(self) -> convolution.Params:
        return convolution.Params(self.padding_mode, self.padding, self.stride, self.dilation,
                                  self.activation, self.leak, self.granularity)


@dataclass(frozen=True)
class Data:
    picture: str = param("astronaut", values=tuple(PICTURES),
                         tip="a bundled picture; File ▸ Open data… takes your own, or a video")
    live: bool = field(default=False, metadata={
        "label": "live", "files": True,
        "tip": "filter every frame of the sample clip (or your video or webcam); Step or Play "
               "freezes the frame shown and steps through it"})


@dataclass(frozen=True, eq=False)
class Filtered:
    """A picture in grey at the working width, and the kernel's output over all of it."""

    name: str
    grey: np.ndarray       # (h, w) float, 0–255
    output: np.ndarray     # the whole filtered picture (fast path)
    seconds: float         # the fast path's time


def filtered(image: np.ndarray, params: Params, name: str) -> Filtered:
    h, w = image.shape[:2]
    if w > WORK_WIDTH:
        image = cv2.resize(image, (WORK_WIDTH, max(1, round(h * WORK_WIDTH / w))),
                           interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(float)
    start = time.perf_counter()
    output = convolution.filter_image(grey, params.kernel(), params.sliding(), fast=True)
    return Filtered(name, grey, output, time.perf_counter() - start)


class ConvolutionPanel(PatchPanel):
    id, title, topic = "convolution", "Convolution: a kernel over your picture", \
        "Computer vision"
    stepped = "the kernel"
    Params, Data = Params, Data

    # --- building -----------------------------------------------------------------------
    def setup(self, canvas):
        self.source_plot, self.source_image = image_plot(canvas, 0, 0, "Picture (grey)")
        self.click_plot = self.source_plot
        self.patch_box = self.source_plot.plot(connect="finite")
        self.result_plot, self.result_image = image_plot(canvas, 0, 1, "Filtered, all of it")
        self.colour_bar = pg.ColorBarItem(values=(-1, 1), colorMap=DIVERGING, interactive=False,
                                          width=12)
        self.colour_bar.setImageItem(self.result_image, insert_in=self.result_plot)
        self.patch_plot, self.patch_image = image_plot(canvas, 1, 0, "Patch")
        self.window_box = self.patch_plot.plot(connect="finite")
        self.taps = pg.ScatterPlotItem(symbol="s", pxMode=True)
        self.patch_plot.addItem(self.taps)
        self.kernel_plot, self.kernel_image = image_plot(canvas, 1, 1, "Kernel")
        self.kernel_image.setLookupTable(DIVERGING.getLookupTable(nPts=256))
        self.kernel_plot.vb.mouseDragEvent = self._drag_weight   # drag a weight to scale it
        self._dragged = None   # (row, column, weights, params) while a weight is dragged
        self.weights: list[pg.TextItem] = []
        self.out_plot, self.out_image = image_plot(canvas, 1, 2, "Patch output")
        self.cell_box = self.out_plot.plot(connect="finite")
        self.formula_box = StatusBox(self.out_plot, "bottom-left", bold=False, opacity=230)
        canvas.removeItem(self.result_plot)  # the whole picture's result spans two columns
        canvas.addItem(self.result_plot, row=0, col=1, colspan=2)

    def restyle(self):
        super().restyle()
        width = STYLE.line_width * 1.6
        for item in (self.patch_box, self.window_box, self.cell_box):
            item.setPen(pg.mkPen(CURSOR, width=width))
        self.taps.setPen(pg.mkPen(INK, width=1))
        self.taps.setBrush(pg.mkBrush(CURSOR))
        self.taps.setSize(STYLE.marker_size * 0.8)
        self.formula_box.restyle(STYLE.tick_px)
        for label in self.weights:
            label.setFont(STYLE.font(STYLE.tick_px, bold=True))

    # --- data ---------------------------------------------------------------------------
    def generated_picture(self, data_params):
        return read_image(SAMPLE_CLIP.parent / "pictures" / PICTURES[data_params.picture])

    @staticmethod
    def analyse_frame(image, params, name, capture_seconds=0.0) -> Filtered:
        """Live mode's work on each frame (a worker thread): the fast path over all of it."""
        return filtered(image, params, name)

    def adopt(self, picture: Filtered):
        same_size = self.picture is not None and self.picture.grey.shape == picture.grey.shape
        self.picture = picture
        h, w = picture.grey.shape
        if not same_size or self.centre is None:
            self.centre = liveliest(picture.output, self.params.patch)
        self.source_image.setImage(picture.grey, autoLevels=False, levels=(0, 255),
                                   rect=QtCore.QRectF(0, 0, w, h))
        self.source_plot.setRange(xRange=(0, w), yRange=(0, h), padding=0.01)
        self._show_result()
        self._outline_patch()

    def set_params(self, params, live=False):
        try:
            params.kernel()  # a kernel that cannot be used is refused before anything changes
        except ValueError:
            self.replace_params(self.params)   # the controls show the kernel still in use
            raise
        super().set_params(params, live)
        if self.picture is not None:
            self.picture = filtered_again(self.picture, params)
            self._show_result()
            self._outline_patch()

    def _show_result(self):
        out = self.picture.output
        h, w = out.shape
        signed = out.min() < 0
        top = float(np.abs(out).max()) or 1.0
        levels = (-top, top) if signed else (0.0, top)
        self.colour_bar.setColorMap(DIVERGING if signed else GREYS)
        self.colour_bar.setLevels(levels)
        self.result_image.setImage(out, autoLevels=False, levels=levels,
                                   rect=QtCore.QRectF(0, 0, w, h))
        self.result_plot.setRange(xRange=(0, w), yRange=(0, h), padding=0.01)

    # --- the patch ----------------------------------------------------------------------
    def patched(self) -> np.ndarray:
        return self.picture.grey

    def _show_kernel(self, kernel: np.ndarray):
        """The weights as a small map (blue negative, vermilion positive), each written on
        its cell while there is room for the numbers."""
        kh, kw = kernel.shape
        top = float(np.abs(kernel).max()) or 1.0
        self.kernel_image.setImage(kernel, autoLevels=False, levels=(-top, top),
                                   rect=QtCore.QRectF(0, 0, kw, kh))
        self.kernel_plot.setRange(xRange=(0, kw), yRange=(0, kh), padding=0.02)
        shown = kh * kw if max(kh, kw) <= 7 else 0
        while len(self.weights) < shown:
            label = pg.TextItem(color=INK, anchor=(0.5, 0.5))
            label.setFont(STYLE.font(STYLE.tick_px, bold=True))
            self.kernel_plot.addItem(label)
            self.weights.append(label)
        for i, label in enumerate(self.weights):
            label.setVisible(i < shown)
            if i < shown:
                r, c = divmod(i, kw)
                label.setText(num(float(kernel[r, c]), 2))
                label.setPos(c + 0.5, r + 0.5)

    DRAG_PIXELS = 100   # a drag this long changes a weight by the largest weight's size

    def _drag_weight(self, event):
        """Drag a cell of the kernel up (larger) or down (smaller): the weights become
        "your kernel", and the whole picture is filtered again as the weight moves."""
        if event.button() != QtCore.Qt.LeftButton:
            event.ignore()
            return
        event.accept()
        if event.isStart():
            where = self.kernel_plot.vb.mapSceneToView(event.buttonDownScenePos())
            grid = self.params.kernel().kernel
            r, c = int(np.floor(where.y())), int(np.floor(where.x()))
            inside = 0 <= r < grid.shape[0] and 0 <= c < grid.shape[1]
            self._dragged = (r, c, grid, self.params) if inside else None
        if self._dragged is None:
            return
        r, c, grid, before = self._dragged
        rise = event.buttonDownScreenPos().y() - event.screenPos().y()
        weights = np.array(grid, float)
        weights[r, c] = round(grid[r, c] + rise / self.DRAG_PIXELS * np.abs(grid).max(), 2)
        after = dataclasses.replace(before, preset="custom", normalise=False, custom="; ".join(
            " ".join(f"{w:g}" for w in row) for row in weights))
        if not event.isFinish():
            self._use(after)
            return
        self._dragged = None
        self.edit(f"set weight ({r + 1}, {c + 1}) to {weights[r, c]:g}",
                  lambda: self._use(after), lambda: self._use(before))

    def _use(self, params):
        if params != self.params:
            self.set_params(params)
            self.params_shown.emit(params)
            self.restart.emit()

    # --- running ------------------------------------------------------------------------
    def steps(self):
        return convolution.run(self.patch(), self.params.kernel(), self.params.sliding())

    def intro(self):
        k = self.params.kernel()
        size = self.patch().shape[0]
        return (f"{k.name.capitalize()} ({k.description}) over {self.picture.name}. Press "
                f"Step (→) to slide it over the {size}×{size} patch one position at a time; "
                "click the picture to move the patch.")

    def draw(self, step):
        patch = self.patch()
        p = self.params
        padded = pad(patch, p.padding, p.padding_mode) if step is None else step.padded
        ph, pw = padded.shape
        self.patch_image.setImage(padded, autoLevels=False, levels=(0, 255),
                                  rect=QtCore.QRectF(0, 0, pw, ph))
        self.patch_plot.setRange(xRange=(0, pw), yRange=(0, ph), padding=0.02)
        preset = p.kernel()
        kh, kw = preset.kernel.shape
        oh = output_size(patch.shape[0], kh, p.padding, p.stride, p.dilation)
        ow = output_size(patch.shape[1], kw, p.padding, p.stride, p.dilation)
        self._show_kernel(preset.kernel)
        self.formula_box.set_text(f"output {oh}×{ow}: " + size_formula(
            patch.shape[1], kw, p.padding, p.stride, p.dilation))
        if step is None or step.position is None:
            so_far = np.full((max(oh, 1), max(ow, 1)), np.nan)
            self.window_box.setData([], [])
            self.taps.setData([], [])
            self.cell_box.setData([], [])
        else:
            so_far = step.so_far()
            rows, cols = step.taps()
            tap_x, tap_y = np.meshgrid(cols + 0.5, rows + 0.5)
            self.taps.setData(tap_x.ravel(), tap_y.ravel())
            x = [cols[0], cols[-1] + 1, cols[-1] + 1, cols[0], cols[0]]
            y = [rows[0], rows[0], rows[-1] + 1, rows[-1] + 1, rows[0]]
            self.window_box.setData(x, y)
            r, c = step.position
            self.cell_box.setData([c, c + 1, c + 1, c, c], [r, r, r + 1, r + 1, r])
        full = self.picture.output
        signed = full.min() < 0
        top = float(np.nanmax(np.abs(step.output))) if step is not None else 1.0
        top = top or 1.0
        self.out_image.setLookupTable((DIVERGING if signed else GREYS).getLookupTable(nPts=256))
        self.out_image.setImage(so_far, autoLevels=False,
                                levels=(-top, top) if signed else (0.0, top),
                                rect=QtCore.QRectF(0, 0, so_far.shape[1], so_far.shape[0]))
        self.out_plot.setRange(xRange=(0, so_far.shape[1]), yRange=(0, so_far.shape[0]),
                               padding=0.02)


def liveliest(output: np.ndarray, size: int) -> tuple[int, int]:
    """The centre (row, column) of the size × size patch where the kernel answers most
    strongly: a first patch on a flat wall would teach nothing."""
    energy = cv2.boxFilter(np.abs(output).astype(np.float32), -1, (size, size))
    h, w = energy.shape
    margin = min(size, h // 4, w // 4)  # padding makes strong answers along the border
    inner = energy[margin:h - margin, margin:w - margin]
    r, c = np.unravel_index(int(np.argmax(inner)), inner.shape)
    return int(r) + margin, int(c) + margin


def filtered_again(picture: Filtered, params: Params) -> Filtered:
    """The same grey picture under new settings (the kernel or its sliding changed)."""
    start = time.perf_counter()
    output = convolution.filter_image(picture.grey, params.kernel(), params.sliding(), fast=True)
    return Filtered(picture.name, picture.grey, output, time.perf_counter() - start)
