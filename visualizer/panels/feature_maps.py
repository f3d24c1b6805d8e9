"""Feature maps: a CNN's first layer made visible — a bank of filters over your picture,
then ReLU, then pooling, one stage per step, every map on screen with its shape."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import feature_maps
from algorithms.base import param
from visualizer.panels.convolution import DIVERGING, PICTURES
from visualizer.panels.live import LivePanel
from visualizer.panels.overlays import StatusBox
from visualizer.sources.frames import SAMPLE_CLIP, read_image
from visualizer.style import INK, STYLE

TILE = 96           # display height of a full-size map, in mosaic pixels
PER_ROW = 4         # maps side by side before a stage wraps onto another line
GAP = 6             # between tiles and between rows
LABEL = 22          # room above each row for its name and shape
LUT = (DIVERGING.getLookupTable(nPts=256) if DIVERGING.getLookupTable(nPts=256).shape[1] == 3
       else DIVERGING.getLookupTable(nPts=256)[:, :3]).astype(np.uint8)


@dataclass(frozen=True)
class Data:
    picture: str = param("cat", values=tuple(PICTURES),
                         tip="a bundled picture; File ▸ Open data… takes your own, or a video")
    live: bool = field(default=False, metadata={
        "label": "live", "files": True,
        "tip": "run the layer on every frame of the sample clip (or your video or webcam); "
               "Step or Play freezes the frame shown"})


@dataclass(frozen=True, eq=False)
class Layered:
    """A picture and every stage of the layer on it."""

    name: str
    image: np.ndarray                  # (h, w, 3) uint8 RGB, as given
    stages: tuple                      # feature_maps.Stage, input first


def layered(image: np.ndarray, params, name: str) -> Layered:
    return Layered(name, image, tuple(feature_maps.run(image, params)))


def tint(maps: np.ndarray, top: float = 1.0) -> np.ndarray:
    """(C, h, w) values in [−top, top] as (C, h, w, 3) colours: blue negative, white 0,
    orange positive."""
    scaled = np.asarray(maps, float) / (top or 1.0)
    index = np.clip(np.round((scaled + 1) * 127.5), 0, 255).astype(np.uint8)
    return LUT[index]


def map_scale(one: np.ndarray) -> float:
    """A map's own colour scale: the 99th percentile of |value|. Each map gets its own, or
    the blur (whose answers are the largest) would wash every edge map out; a few extreme
    pixels do not set it."""
    return float(np.percentile(np.abs(one), 99)) or 1.0


def resize_nearest(rgb: np.ndarray, height: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    width = max(1, round(w * height / h))
    rows = np.minimum((np.arange(height) * h / height).astype(int), h - 1)
    cols = np.minimum((np.arange(width) * w / width).astype(int), w - 1)
    return rgb[rows][:, cols]


class FeatureMapsPanel(LivePanel):
    id, title, topic = "feature_maps", "Feature maps: a CNN's first layer", "Computer vision"
    stepped = "the layer"
    Params, Data = feature_maps.Params, Data

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.picture: Layered | None = None
        self.chosen = (1, 0)            # (stage, map) whose filter and histogram are shown
        self.tiles: list = []           # (stage, map, x0, y0, x1, y1) in mosaic pixels

    def setup(self, canvas):
        self.grid_plot = canvas.addPlot(row=0, col=0, rowspan=2, title="Every map, stage by stage")
        self.grid_plot.setAspectLocked(True)
        self.grid_plot.invertY(True)
        self.grid_plot.hideAxis("left")
        self.grid_plot.hideAxis("bottom")
        self.grid_plot.setMenuEnabled(False)
        self.click_plot = self.grid_plot
        self.mosaic = pg.ImageItem(axisOrder="row-major")
        self.grid_plot.addItem(self.mosaic)
        self.frame_box = self.grid_plot.plot(pen=pg.mkPen("#E69F00", width=3))
        self.row_labels: list[pg.TextItem] = []
        self.filter_plot = canvas.addPlot(row=0, col=1, title="Its filter")
        self.filter_plot.setAspectLocked(True)
        self.filter_plot.invertY(True)
        self.filter_plot.hideAxis("left")
        self.filter_plot.hideAxis("bottom")
        self.filter_image = pg.ImageItem(axisOrder="row-major")
        self.filter_plot.addItem(self.filter_image)
        self.filter_name = StatusBox(self.filter_plot, "top-left", bold=False)
        self.hist_plot = canvas.addPlot(row=1, col=1, title="Its values")
        self.hist = pg.BarGraphItem(x=[], height=[], width=0.1, brush="#888888")
        self.hist_plot.addItem(self.hist)
        self.hist_name = StatusBox(self.hist_plot, "top-left", bold=False)
        canvas.ci.layout.setColumnStretchFactor(0, 3)
        canvas.ci.layout.setColumnStretchFactor(1, 1)

    def restyle(self):
        super().restyle()
        self.filter_name.restyle(STYLE.tick_px)
        self.hist_name.restyle(STYLE.tick_px)
        for label in self.row_labels:
            label.setFont(STYLE.font(STYLE.tick_px, bold=True))

    # --- data ---------------------------------------------------------------------------
    def generated_picture(self, data_params):
        return read_image(SAMPLE_CLIP.parent / "pictures" / PICTURES[data_params.picture])

    @staticmethod
    def analyse_frame(image, params, name, capture_seconds=0.0) -> Layered:
        """Live mode's work on each frame (a worker thread): every stage of the layer."""
        return layered(image, params, name)

    def adopt(self, picture: Layered):
        self.picture = picture

    def set_params(self, params, live=False):
        super().set_params(params, live)
        if self.picture is not None:
            self.picture = layered(self.picture.image, params, self.picture.name)

    # --- running ------------------------------------------------------------------------
    def steps(self):
        return feature_maps.run(self.picture.image, self.params)

    def intro(self):
        p = self.params
        return (f"{p.filters} filters of 3×{p.size}×{p.size} over {self.picture.name}. Press "
                "Step (→) to run the layer one stage at a time: convolution, "
                f"{p.activation}, {p.pool_kind} pooling. Click a map to see its filter.")

    def draw(self, step):
        stages = self.picture.stages
        shown = stages if step is None else stages[:step.index + 1]
        self._mosaic(shown)
        self._show_choice(shown)

    def _mosaic(self, stages):
        """One image: the tiles of each stage (PER_ROW to a line), each map at its true
        relative size, under a label with the stage's name and shape."""
        full_h = stages[0].maps.shape[1]
        placed, self.tiles, tops = [], [], []
        y = 0
        for s, stage in enumerate(stages):
            height = max(4, round(TILE * stage.maps.shape[1] / full_h))
            if stage.layer == 0:
                pictures = [resize_nearest(np.asarray(self.picture.image), height)]
            else:
                pictures = [resize_nearest(tint(m, map_scale(m)), height) for m in stage.maps]
            y += LABEL
            tops.append(y)
            for i, tile in enumerate(pictures):
                if i and i % PER_ROW == 0:
                    y += height + GAP
                x = (i % PER_ROW) * (tile.shape[1] + GAP)
                placed.append((x, y, tile))
                self.tiles.append((s, i, x, y, x + tile.shape[1], y + tile.shape[0]))
            y += height + GAP
        width = max((t[4] for t in self.tiles), default=1)
        canvas = np.full((max(y, 1), width, 3), 255, np.uint8)
        for x, top, tile in placed:
            canvas[top:top + tile.shape[0], x:x + tile.shape[1]] = tile
        self.mosaic.setImage(canvas, autoLevels=False, levels=(0, 255),
                             rect=QtCore.QRectF(0, 0, width, canvas.shape[0]))
        self.grid_plot.setRange(xRange=(0, width), yRange=(0, canvas.shape[0]), padding=0.02)
        while len(self.row_labels) < len(stages):
            label = pg.TextItem(color=INK, anchor=(0, 1))
            label.setFont(STYLE.font(STYLE.tick_px, bold=True))
            self.grid_plot.addItem(label)
            self.row_labels.append(label)
        for i, label in enumerate(self.row_labels):
            label.setVisible(i < len(stages))
            if i < len(stages):
                label.setText(f"{stages[i].name} · {'×'.join(map(str, stages[i].shape))}")
                label.setPos(0, tops[i] - 2)

    def _show_choice(self, stages):
        s, i = self.chosen
        if s >= len(stages) or stages[s].layer == 0:
            s, i = len(stages) - 1, 0
        stage = stages[s]
        i = min(i, stage.maps.shape[0] - 1)
        tile = next(t for t in self.tiles if t[0] == s and t[1] == i)
        x0, y0, x1, y1 = tile[2:]
        self.frame_box.setData([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0])
        conv = next((st for st in reversed(stages[:s + 1]) if st.filters is not None), None)
        if conv is not None and conv.layer == stage.layer:
            w = conv.filters[i]                      # (C_prev, K, K)
            top = float(np.abs(w).max()) or 1.0
            k = w.shape[-1]
            panes = [np.pad(tint(c, top), ((0, 0), (0, 1), (0, 0)), constant_values=255)
                     for c in w[:3]]
            picture = np.concatenate(panes, axis=1)
            self.filter_image.setImage(picture, autoLevels=False, levels=(0, 255),
                                       rect=QtCore.QRectF(0, 0, picture.shape[1], k))
            self.filter_plot.setRange(xRange=(0, picture.shape[1]), yRange=(0, k), padding=0.05)
            inputs = ("R, G, B" if conv.layer == 1 else   # a second layer reads the maps
                      f"on maps 1–{min(3, len(w))} of its {len(w)} inputs")
            self.filter_name.set_text(f"{stage.labels[i]}: {inputs}")
        else:
            self.filter_image.clear()
            self.filter_name.set_text("the input has no filter")
        counts, edges = stage.histogram(i)
        self.hist.setOpts(x=(edges[:-1] + edges[1:]) / 2, height=counts,
                          width=float(edges[1] - edges[0]) * 0.9)
        self.hist_name.set_text(f"map {i + 1}, {stage.name}")

    def on_click(self, x, y, button):
        if button != QtCore.Qt.LeftButton:
            return
        for s, i, x0, y0, x1, y1 in self.tiles:
            if x0 <= x <= x1 and y0 <= y <= y1:
                self.chosen = (s, i)
                self.redraw.emit()
                return
