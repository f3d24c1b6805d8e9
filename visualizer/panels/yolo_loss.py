"""YOLO v1's loss, cell by cell: an S×S grid over a picture, ground-truth boxes you drag or
draw, B predicted boxes per cell (a toy predictor's, or dragged), the responsible predictor
of each object, each cell's share of the loss as a heat map and each term's running total."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import yolo_loss as yl
from algorithms.base import num, param, plural
from visualizer.panels.base import AlgorithmPanel
from visualizer.panels.boxes import rectangles
from visualizer.panels.convolution import PICTURES
from visualizer.panels.overlays import Legend, StatusBox, line_sample
from visualizer.params import like
from visualizer.sources import IMAGE, Generated
from visualizer.sources.frames import SAMPLE_CLIP, Picture, read_image
from visualizer.style import INK, STYLE

TRUTH, PREDICTED, RESPONSIBLE, CELL, GRID = "#009E73", "#56B4E9", "#E69F00", "#0072B2", "#ffffff"
TERM_COLOURS = ("#0072B2", "#56B4E9", "#E69F00", "#999999", "#CC79A7")
HEAT = (213, 94, 0)        # vermilion, more opaque where a cell adds more
HEAT_ALPHA = 170           # the most a cell's tint covers the picture
WRITTEN = 6               # each visited cell's loss is written on it up to an S of this
CLASSES = 3
NEW_SIDE = 0.2             # a drawn box's side, as a fraction of the picture


@dataclass(frozen=True)
class Params:
    grid: int = like(yl.Params, "grid")
    boxes: int = like(yl.Params, "boxes")
    lambda_coord: float = like(yl.Params, "lambda_coord")
    lambda_noobj: float = like(yl.Params, "lambda_noobj")
    target: str = like(yl.Params, "target")

    def loss(self) -> yl.Params:
        return yl.Params(self.grid, self.boxes, self.lambda_coord, self.lambda_noobj,
                         self.target)


@dataclass(frozen=True)
class Data:
    picture: str = param("coffee", values=tuple(PICTURES),
                         tip="a bundled picture; File ▸ Open data… takes your own")
    jitter: float = param(0.15, limits=(0.0, 0.6), step=0.05, label="toy predictor's error",
                          tip="the toy predictor shifts and resizes each true box by about "
                              "this fraction of its size (0: a perfect box)")
    new_class: int = param(0, limits=(0, CLASSES - 1), label="class of a new box",
                           tip="the class a ground-truth box you draw gets")


class YoloLossPanel(AlgorithmPanel):
    id, title, topic = "yolo_loss", "YOLO's loss, cell by cell", "Deep networks"
    Params, Data = Params, Data
    accepts = (IMAGE,)

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.picture: Picture | None = None
        self.truths = yl.sample_truths(np.random.default_rng(seed), 3, CLASSES).tolist()
        self.moved: dict[str, list[float]] = {}   # "r,c,b" → a dragged prediction
        self.by_hand = False
        self.pred: yl.Predictions | None = None
        self.loss: yl.Loss | None = None
        self.handles: list[pg.RectROI] = []

    # --- building -----------------------------------------------------------------------
    def setup(self, canvas):
        self.main = canvas.addPlot(row=0, col=0, title="Grid and cell losses")
        self.click_plot = self.main
        self.main.setMenuEnabled(False)
        self.main.setAspectLocked(True)
        self.main.invertY(True)
        self.main.hideAxis("left")
        self.main.hideAxis("bottom")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.heat = pg.ImageItem(axisOrder="row-major")
        self.heat.setZValue(2)
        for item in (self.image, self.heat):
            self.main.addItem(item)
        self.lines = {name: self.main.plot(connect="finite") for name in
                      ("grid", "predicted", "truth", "responsible", "cell")}
        for z, item in enumerate(self.lines.values()):
            item.setZValue(5 + z)
        self.centres = pg.ScatterPlotItem()
        self.centres.setZValue(12)
        self.main.addItem(self.centres)
        self.labels: list[pg.TextItem] = []
        self.cell_texts: list[pg.TextItem] = []
        self.status = StatusBox(self.main, "top-left")
        self.legend_item = pg.LegendItem(colCount=3)
        self.legend = Legend(self.legend_item, width=lambda: self.canvas.width() - 40)
        canvas.addItem(self.legend_item, row=1, col=0, colspan=2)
        self.bars_plot = canvas.addPlot(row=0, col=1, title="Each term's total")
        self.bars = pg.BarGraphItem(x0=0, y=np.arange(5), width=np.zeros(5), height=0.7)
        self.bars_plot.addItem(self.bars)
        self.bars_plot.invertY(True)
        self.bars_plot.getAxis("left").setTicks([list(enumerate(yl.TERMS))])
        self.bars_plot.setYRange(-0.5, 4.5, padding=0.02)
        self.bars_plot.setMouseEnabled(False, False)
        self.bar_text = StatusBox(self.bars_plot, "top-right")
        layout = canvas.ci.layout
        layout.setColumnStretchFactor(0, 3)
        layout.setColumnStretchFactor(1, 2)

    def restyle(self):
        super().restyle()
        width = STYLE.line_width
        pens = {"grid": pg.mkPen(GRID, width=max(1.5, width / 1.2)),
                "predicted": pg.mkPen(PREDICTED, width=max(1.0, width / 1.5),
                                      style=QtCore.Qt.DashLine),
                "truth": pg.mkPen(TRUTH, width=width * 2),
                "responsible": pg.mkPen(RESPONSIBLE, width=width * 2.2),
                "cell": pg.mkPen(CELL, width=width * 2.6)}
        for name, item in self.lines.items():
            item.setPen(pens[name])
        self.centres.setPen(pg.mkPen(INK, width=1))
        self.centres.setBrush(pg.mkBrush(TRUTH))
        self.centres.setSize(STYLE.marker_size * 1.4)
        self.term_brushes = [pg.mkBrush(c) for c in TERM_COLOURS]
        self.status.restyle(STYLE.tick_px)
        self.bar_text.restyle(STYLE.tick_px)
        for label in (*self.labels, *self.cell_texts):
            label.setFont(STYLE.font(STYLE.tick_px, bold=True))
        self.legend.fill([(line_sample(TRUTH, width=3), "ground truth (● its centre)"),
                          (line_sample(PREDICTED, width=1, style=QtCore.Qt.DashLine),
                           "this cell's predicted boxes"),
                          (line_sample(RESPONSIBLE, width=3), "responsible predictor"),
                          (line_sample(CELL, width=3),
                           "this step's cell; tint and number: a cell's loss")])

    # --- data ---------------------------------------------------------------------------
    def prepare(self, source):
        if isinstance(source, Generated):
            picture = read_image(SAMPLE_CLIP.parent / "pictures" /
                                 PICTURES[source.params.picture])
        elif isinstance(source, Picture):
            picture = source
        else:
            return super().prepare(source)
        image = np.asarray(picture.image)
        if image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 8:
            raise ValueError(f"{picture.name} is too small to lay a grid over "
                             "(at least 8 × 8 pixels)")
        return picture, picture.note

    def adopt(self, picture: Picture):
        self.picture = picture
        h, w = picture.image.shape[:2]
        self.image.setImage(picture.image, autoLevels=False, levels=(0, 255),
                            rect=QtCore.QRectF(0, 0, w, h))
        self.main.setRange(xRange=(0, w), yRange=(0, h), padding=0.01)
        self.main.vb.disableAutoRange()   # boxes dragged off the picture must not zoom out
        self._predict()

    def set_params(self, params, live=False):
        old = self.params
        self.params = params
        if (old.grid, old.boxes) != (params.grid, params.boxes):
            self.moved = {}   # a dragged prediction belongs to one cell of one grid
        self._predict()
        (self.redraw if live else self.restart).emit()

    def set_data_params(self, data_params):
        old = self.data_params
        if data_params.picture == old.picture and self.picture is not None:
            self.data_params = data_params   # the toy's error or the new class: no new picture
            self._predict()
            self.restart.emit()
            return
        super().set_data_params(data_params)

    def _predict(self):
        """The toy predictor's boxes (seeded), with the boxes dragged by hand put in, and
        the whole loss (for the bars' fixed range and the intro)."""
        p = self.params.loss()
        jitter = self.data_params.jitter if self.data_params else 0.15
        pred = yl.toy_predictions(self.truths, p, CLASSES, self.rng(), jitter)
        boxes = np.array(pred.boxes)
        for key, box in self.moved.items():
            r, c, b = map(int, key.split(","))
            if max(r, c) < p.grid and b < p.boxes:   # a session's boxes from another grid
                boxes[r, c, b] = box
        self.pred = yl.Predictions(boxes, pred.confidence, pred.probs)
        self.loss = yl.yolo_loss(self.truths, self.pred, p)
        top = max(float(self.loss.totals.max()), 1e-3)
        self.bars_plot.setXRange(0, top * 1.15, padding=0)
        self._sync_handles()

    # --- running ------------------------------------------------------------------------
    def steps(self):
        return yl.run(self.truths, self.pred, self.params.loss())

    def intro(self):
        p = self.params
        return (f"{plural(len(self.truths), 'object')} on {self.picture.name} under a "
                f"{p.grid} × {p.grid} grid, {plural(p.boxes, 'box', 'boxes')} per cell: the "
                f"loss is {num(self.loss.total, 4)}. Press Step (→) to add it up cell by "
                "cell. Drag a box to move or resize it; click the picture to draw a "
                "ground-truth box, right-click one to remove it.")

    def draw(self, step):
        h, w = self.picture.image.shape[:2]
        s = self.params.grid
        self._grid(s, w, h)
        placed = yl.corner_form(yl.to_image(self.pred.boxes)) * [w, h, w, h]
        truths = np.array(self.truths, float).reshape(-1, 5)
        self._set("truth", yl.corner_form(truths) * [w, h, w, h])
        self.centres.setData(truths[:, 0] * w, truths[:, 1] * h)
        self._label(truths, w, h)
        if step is None:
            visited = np.zeros((s, s), bool)
            totals = np.zeros(5)
            self._set("cell", np.zeros((0, 4)))
            self._set("predicted", np.zeros((0, 4)))
            owned = self.loss.responsible >= 0
            rs, cs = np.nonzero(owned)
            self._set("responsible", placed[rs, cs, self.loss.responsible[rs, cs]])
            self.status.set_text(f"loss {num(self.loss.total, 4)} · "
                                 f"{plural(int(owned.sum()), 'cell')} with an object")
        else:
            visited, totals = step.visited, step.totals
            r, c = step.cell
            if r >= 0:
                self._set("cell", np.array([[c * w / s, r * h / s, w / s, h / s]]))
                self._set("predicted", placed[r, c])
                chosen = placed[r, c, [step.responsible]] if step.responsible >= 0 else \
                    np.zeros((0, 4))
                self._set("responsible", chosen)
                self.status.set_text(f"cell (row {r + 1}, column {c + 1}) adds "
                                     f"{num(step.terms.sum(), 3)} · total "
                                     f"{num(totals.sum(), 4)}")
            else:
                for name in ("cell", "predicted", "responsible"):
                    self._set(name, np.zeros((0, 4)))
                self.status.set_text(f"total {num(totals.sum(), 4)}")
        cells = self.loss.cells if step is None else step.loss.cells
        self._heat(np.where(visited, cells, 0.0), cells.max(), w, h)
        self.bars.setOpts(width=totals, brushes=self.term_brushes)
        self.bar_text.set_text(f"sum {num(totals.sum(), 4)}")

    def _grid(self, s, w, h):
        xs, ys = [], []
        for i in range(s + 1):
            xs += [i * w / s, i * w / s, np.nan, 0, w, np.nan]
            ys += [0, h, np.nan, i * h / s, i * h / s, np.nan]
        self.lines["grid"].setData(np.array(xs, float), np.array(ys, float))

    def _set(self, name, boxes):
        self.lines[name].setData(*rectangles(np.asarray(boxes, float).reshape(-1, 4)))

    def _heat(self, cells, top, w, h):
        top = float(top)
        rgba = np.zeros((*cells.shape, 4), np.uint8)
        rgba[..., :3] = HEAT
        # a square-root scale: the empty cells' small shares stay visible beside the
        # object cells' large ones
        rgba[..., 3] = np.round(HEAT_ALPHA * np.sqrt(cells / top)).astype(np.uint8) \
            if top > 0 else 0
        self.heat.setImage(rgba, autoLevels=False, levels=(0, 255),
                           rect=QtCore.QRectF(0, 0, w, h))
        self._write_cells(cells, w, h)

    def _write_cells(self, cells, w, h):
        """Each visited cell's share of the loss, written on it (small grids only)."""
        s = len(cells)
        wanted = s * s if s <= WRITTEN else 0
        while len(self.cell_texts) < wanted:
            text = pg.TextItem(color=INK, fill=pg.mkBrush(255, 255, 255, 190),
                               anchor=(1, 1))
            text.setFont(STYLE.font(STYLE.tick_px, bold=True))
            text.setZValue(15)
            self.main.addItem(text)
            self.cell_texts.append(text)
        for i, text in enumerate(self.cell_texts):
            r, c = divmod(i, s)
            if i < wanted and cells[r, c] > 0:
                text.setText(num(cells[r, c], 2))
                text.setPos((c + 1) * w / s, (r + 1) * h / s)
                text.show()
            else:
                text.hide()

    def _label(self, truths, w, h):
        while len(self.labels) < len(truths):
            label = pg.TextItem(color=INK, fill=pg.mkBrush(255, 255, 255, 210), anchor=(0, 1))
            label.setFont(STYLE.font(STYLE.tick_px, bold=True))
            label.setZValue(20)
            self.main.addItem(label)
            self.labels.append(label)
        for i, label in enumerate(self.labels):
            if i < len(truths):
                cx, cy, bw, bh, cls = truths[i]
                label.setText(f"object {i + 1} · class {int(cls)}")
                label.setPos(float((cx - bw / 2) * w), float((cy - bh / 2) * h))
                label.show()
            else:
                label.hide()

    # --- boxes by hand ------------------------------------------------------------------
    def on_click(self, x, y, button):
        h, w = self.picture.image.shape[:2]
        u, v = x / w, y / h
        if button == QtCore.Qt.RightButton:
            inside = [i for i, (cx, cy, bw, bh, _) in enumerate(self.truths)
                      if abs(u - cx) <= bw / 2 and abs(v - cy) <= bh / 2]
            if inside:
                i = min(inside, key=lambda i: self.truths[i][2] * self.truths[i][3])
                old = [list(t) for t in self.truths]
                self.edit(f"remove object {i + 1}",
                          lambda: self._set_truths(old[:i] + old[i + 1:]),
                          lambda: self._set_truths(old))
            return
        if button != QtCore.Qt.LeftButton or not (0 <= u <= 1 and 0 <= v <= 1):
            return
        bw, bh = min(NEW_SIDE, 2 * u, 2 * (1 - u)), min(NEW_SIDE, 2 * v, 2 * (1 - v))
        if min(bw, bh) <= 0:
            return
        old = [list(t) for t in self.truths]
        box = [u, v, bw, bh, float(self.data_params.new_class)]
        self.edit(f"draw object {len(old) + 1}", lambda: self._set_truths([*old, box]),
                  lambda: self._set_truths(old))

    def _set_truths(self, truths, moved=None):
        self.truths = [list(map(float, t)) for t in truths]
        if moved is not None:
            self.moved = {k: list(v) for k, v in moved.items()}
        self.by_hand = True
        self._predict()
        self.restart.emit()

    def _sync_handles(self):
        """A draggable, resizable handle on each ground-truth box and on each predicted box
        of the cells that hold an object (the boxes that the coordinate terms compare)."""
        for handle in self.handles:
            self.main.removeItem(handle)
        self.handles = []
        if self.picture is None:
            return
        h, w = self.picture.image.shape[:2]
        for i, t in enumerate(self.truths):
            x, y, bw, bh = yl.corner_form(t) * [w, h, w, h]
            self._handle((x, y), (bw, bh), lambda r, i=i: self._truth_moved(i, r), TRUTH)
        placed = yl.corner_form(yl.to_image(self.pred.boxes)) * [w, h, w, h]
        for r, c in zip(*np.nonzero(self.loss.owner >= 0), strict=True):
            for b in range(self.params.boxes):
                x, y, bw, bh = placed[r, c, b]
                self._handle((x, y), (bw, bh),
                             lambda roi, k=(int(r), int(c), b): self._prediction_moved(k, roi),
                             PREDICTED)

    def _handle(self, pos, size, moved, colour):
        handle = pg.RectROI(pos, size, pen=pg.mkPen(colour, width=1, style=QtCore.Qt.DotLine))
        handle.setZValue(30)
        handle.sigRegionChangeFinished.connect(moved)
        self.main.addItem(handle)
        self.handles.append(handle)

    def _truth_moved(self, i, handle):
        h, w = self.picture.image.shape[:2]
        (x, y), (bw, bh) = handle.pos(), handle.size()
        bw, bh = np.clip(bw / w, 0.01, 1.0), np.clip(bh / h, 0.01, 1.0)
        cx = float(np.clip(x / w + bw / 2, 0.0, 1.0))
        cy = float(np.clip(y / h + bh / 2, 0.0, 1.0))
        old = [list(t) for t in self.truths]
        new = [list(t) for t in old]
        new[i][:4] = [cx, cy, float(bw), float(bh)]
        if np.allclose(old, new):
            return
        self.edit(f"move object {i + 1}", lambda: self._set_truths(new),
                  lambda: self._set_truths(old))

    def _prediction_moved(self, key, handle):
        """A predicted box stays its cell's: its centre is kept inside the cell (x, y in
        0…1), as a YOLO predictor's is."""
        h, w = self.picture.image.shape[:2]
        s = self.params.grid
        r, c, b = key
        (x, y), (bw, bh) = handle.pos(), handle.size()
        bw, bh = np.clip(bw / w, 0.01, 1.0), np.clip(bh / h, 0.01, 1.0)
        px = float(np.clip((x / w + bw / 2) * s - c, 0.0, 1.0))
        py = float(np.clip((y / h + bh / 2) * s - r, 0.0, 1.0))
        name = f"{r},{c},{b}"
        old = dict(self.moved)
        new = {**old, name: [px, py, float(bw), float(bh)]}
        if np.allclose(self.pred.boxes[r, c, b], new[name]):
            return
        truths = [list(t) for t in self.truths]
        self.edit(f"move predictor {b + 1} of cell (row {r + 1}, column {c + 1})",
                  lambda: self._set_truths(truths, new), lambda: self._set_truths(truths, old))

    def hand_made(self):
        return {"truths": self.truths, "moved": self.moved} if self.by_hand else {}

    def restore_hand_made(self, state):
        if "truths" in state:
            self._set_truths(state["truths"], state.get("moved", {}))
