"""Non-maximum suppression on a frame: a face detector's overlapping boxes pruned to one per
face, one kept box per step; or live, on every frame of a video or a webcam."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import detectors, nms
from algorithms.base import num, param, plural
from visualizer.panels.boxes import Analysed, analyse, crosses, rectangles
from visualizer.panels.live import LivePanel
from visualizer.panels.overlays import Legend, StatusBox, line_sample
from visualizer.params import like
from visualizer.sources.frames import sample_frame
from visualizer.style import INK, STYLE

# On a photograph and on the white legend alike: kept green, this step's box orange, boxes
# in play sky blue, this step's victims vermilion and crossed, earlier victims faint grey.
KEPT, CURRENT, PENDING, SUPPRESSED, EARLIER = (
    "#009E73", "#E69F00", "#56B4E9", "#D55E00", (150, 150, 150, 150))
BAR_COLOURS = {"pending": "#9fd3f2", "below": "#dddddd", "earlier": "#f0c8b4"}
LABELLED = 8      # IoU labels on at most this many rivals (the largest overlaps)
LABEL_APART = 0.06  # of the frame's height: labels closer than this would overlap

NO_PEN = pg.mkPen(None)

@dataclass(frozen=True)
class Params:
    """NMS's settings, then the detector's: the panel's one parameter group."""

    method: str = like(nms.Params, "method")
    iou_threshold: float = like(nms.Params, "iou_threshold")
    sigma: float = like(nms.Params, "sigma")
    score_threshold: float = param(0.5, limits=(0.0, 1.0), step=0.05, label="score threshold",
                                   tip="boxes scoring at or below this are set aside (the "
                                       "detector's weakest windows)")
    detector: str = like(detectors.Params, "detector")
    scale_factor: float = like(detectors.Params, "scale_factor")
    min_size: int = like(detectors.Params, "min_size")

    def for_nms(self) -> nms.Params:
        return nms.Params(self.method, self.iou_threshold, self.sigma, self.score_threshold)

    def for_detector(self) -> detectors.Params:
        return detectors.Params(self.detector, self.scale_factor, self.min_size)


@dataclass(frozen=True)
class Data:
    frame: int = param(60, limits=(0, 149), label="sample frame",
                       tip="which frame of the bundled clip to work on (several faces, "
                           "moving; File ▸ Open data… takes your picture or video)")
    # "files": still shown when a file is open (a video plays live too; boxes are drawn on
    # any picture)
    new_box_score: float = field(default=0.9, metadata={
        "label": "score of a new box", "limits": (0.01, 1.0), "step": 0.05, "files": True,
        "tip": "the score a box you draw gets (click the frame to draw one)"})
    live: bool = field(default=False, metadata={
        "label": "live", "files": True,
        "tip": "play the clip (or your video or webcam) with NMS on every frame; Step or "
               "Play freezes the frame shown and steps through it"})


class NMSPanel(LivePanel):
    id, title, topic = "nms", "Non-maximum suppression", "Computer vision"
    stepped = "NMS"
    _brushes: dict = {}
    Params, Data = Params, Data

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.frame: Analysed | None = None     # what NMS works on: detected or drawn
        self.detected: Analysed | None = None  # the detector's boxes on the frame
        self.drawn: list[list[float]] = []     # boxes drawn by hand: x, y, w, h, score
        self.handles: list[pg.RectROI] = []
        self.draw_seconds = 0.0

    # --- building -----------------------------------------------------------------------
    def setup(self, canvas):
        self.main = canvas.addPlot(row=0, col=0, title="Detections on the frame")
        self.main.setAspectLocked(True)
        self.click_plot = self.main
        self.main.setMenuEnabled(False)  # a right click removes a drawn box instead
        self.main.invertY(True)
        self.main.hideAxis("left")
        self.main.hideAxis("bottom")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.main.addItem(self.image)
        self.outlines = {name: self.main.plot(connect="finite") for name in
                         ("earlier", "pending", "suppressed", "crossed", "kept", "current")}
        for z, item in enumerate(self.outlines.values()):
            item.setZValue(5 + z)
        self.labels: list[pg.TextItem] = []
        self.status = StatusBox(self.main, "top-left")
        self.legend_item = pg.LegendItem(colCount=3)  # a row of its own, under the frame
        self.legend = Legend(self.legend_item, width=lambda: self.canvas.width() - 40)
        canvas.addItem(self.legend_item, row=1, col=0, colspan=2)
        self.bars_plot = canvas.addPlot(row=0, col=1, title="Scores, highest first")
        self.bars_plot.setLabel("bottom", "box, by rank")
        self.bars_plot.setYRange(0, 1.05)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8)
        self.bars_plot.addItem(self.bars)
        self.threshold_line = pg.InfiniteLine(angle=0, pen=pg.mkPen(INK, style=QtCore.Qt.DashLine))
        self.bars_plot.addItem(self.threshold_line)
        layout = canvas.ci.layout
        layout.setColumnStretchFactor(0, 3)
        layout.setColumnStretchFactor(1, 1)

    def restyle(self):
        super().restyle()
        width = STYLE.line_width
        pens = {"pending": pg.mkPen(PENDING, width=max(1.0, width / 1.5)),
                "earlier": pg.mkPen(EARLIER, width=1, style=QtCore.Qt.DashLine),
                "suppressed": pg.mkPen(SUPPRESSED, width=width),
                "crossed": pg.mkPen(SUPPRESSED, width=width / 1.5),
                "kept": pg.mkPen(KEPT, width=width * 2.2),
                "current": pg.mkPen(CURRENT, width=width * 2.6)}
        for name, item in self.outlines.items():
            item.setPen(pens[name])
        self.status.restyle()
        self.legend.fill([(line_sample(PENDING, width=2), "raw box, in play"),
                          (line_sample(CURRENT, width=4), "kept in this step"),
                          (line_sample(KEPT, width=4), "kept"),
                          (line_sample(SUPPRESSED, width=2), "suppressed now (crossed)"),
                          (line_sample(EARLIER, width=1, style=QtCore.Qt.DashLine),
                           "suppressed earlier")])

    # --- data ---------------------------------------------------------------------------
    def generated_picture(self, data_params):
        return sample_frame(data_params.frame)

    def adopt(self, frame: Analysed):
        """A new frame: the detector's boxes, unless boxes were drawn on the frame before
        (a new picture, or a live frame, starts without them)."""
        if self.detected is None or frame.image is not self.detected.image:
            self.drawn = []
        self.detected = frame
        self.frame = self._own_boxes() if self.drawn else frame
        self._sync_handles()
        h, w = frame.image.shape[:2]
        self.image.setImage(frame.image, autoLevels=False, levels=(0, 255),
                            rect=QtCore.QRectF(0, 0, w, h))
        self.main.setRange(xRange=(0, w), yRange=(0, h), padding=0.01)

    @staticmethod
    def analyse_frame(image, params, name, capture_seconds=0.0) -> Analysed:
        """Live mode's work on each frame (a worker thread): detection and plain NMS."""
        return analyse(image, params, name, capture_seconds)

    def set_params(self, params, live=False):
        old = self.params
        super().set_params(params, live)
        if self.detected is None:
            return
        if params.for_detector() != old.for_detector():
            # detection happens once per frame, at adoption: do it again for this frame
            drawn = self.drawn
            self.adopt(analyse(self.detected.image, params, self.detected.name))
            self.drawn = drawn
            self._boxes_changed()
        elif self.drawn and params.for_nms() != old.for_nms():
            self.frame = self._own_boxes()  # what plain NMS keeps of them changed

    def set_data_params(self, data_params):
        if data_params.new_box_score != self.data_params.new_box_score:
            self.data_params = data_params  # only for boxes drawn from now on
            return
        super().set_data_params(data_params)

    # --- running ------------------------------------------------------------------------
    def steps(self):
        return nms.run(self.frame.boxes, self.frame.scores, self.params.for_nms())

    def intro(self):
        f = self.frame
        if self.drawn:
            source = f"{plural(len(f.boxes), 'box', 'boxes')} drawn by hand on {f.name}"
        else:
            source = (f"{plural(len(f.boxes), 'raw box', 'raw boxes')} from the "
                      f"{self.params.detector} detector on {f.name}")
        return (f"{source}; plain NMS keeps {len(f.kept)}. Press Step (→) to keep the best "
                "box and suppress its overlaps, one step at a time. Click the frame to draw "
                "your own box.")

    def draw(self, step):
        started = time.perf_counter()
        f = self.frame
        boxes = f.boxes
        if step is None:
            kept = np.zeros(len(boxes), bool)
            kept[f.kept] = True
            in_play = f.scores > self.params.score_threshold
            self._outline(pending=boxes[in_play & ~kept], kept=boxes[kept])
            self._label([], [])
            self._bars(f.scores, None)
            counts = f"{len(boxes)} raw → {len(f.kept)} kept"
            self.status.set_text(
                f"{self.live.status()} · {counts}\n{f.timing_text()} · draw "
                f"{num(self.draw_seconds * 1e3, 2)} ms" if self.live.running else
                f"{counts}\n{f.timing_text()}")
        else:
            status, current = step.status, step.current
            kept = status == nms.KEPT
            if current >= 0:
                kept[current] = False
            suppressed = status == nms.SUPPRESSED
            now = suppressed & step.changed
            self._outline(pending=boxes[status == nms.PENDING], kept=boxes[kept],
                          suppressed=boxes[now], earlier=boxes[suppressed & ~now],
                          current=boxes[[current]] if current >= 0 else boxes[:0])
            self._label(*self._labelled(step))
            self._bars(step.scores, step)
            self.status.set_text(f"{len(step.kept)} kept · {int(suppressed.sum())} suppressed"
                                 f" · {int((status == nms.PENDING).sum())} in play")
        self.threshold_line.setValue(self.params.score_threshold)
        self.draw_seconds = time.perf_counter() - started

    def _outline(self, pending=None, kept=None, suppressed=None, earlier=None, current=None):
        empty = np.zeros((0, 4))
        parts = {"pending": pending, "kept": kept, "suppressed": suppressed,
                 "crossed": suppressed, "earlier": earlier, "current": current}
        for name, boxes in parts.items():
            boxes = empty if boxes is None else boxes
            xs, ys = crosses(boxes) if name == "crossed" else rectangles(boxes)
            self.outlines[name].setData(xs, ys)

    def _labelled(self, step):
        """The rivals to label with their IoU: the largest overlaps first, skipping any
        whose label would sit on one already placed."""
        boxes = self.frame.boxes
        rivals = np.flatnonzero(step.rivals & (step.ious > 0))
        apart = LABEL_APART * self.frame.image.shape[0]
        chosen: list[int] = []
        for i in rivals[np.argsort(-step.ious[rivals], kind="stable")]:
            if all(np.hypot(*(boxes[i, :2] - boxes[j, :2])) > apart for j in chosen):
                chosen.append(int(i))
            if len(chosen) == LABELLED:
                break
        return boxes[chosen], step.ious[chosen]

    def _label(self, boxes, ious):
        while len(self.labels) < len(boxes):
            label = pg.TextItem(color=INK, fill=pg.mkBrush(255, 255, 255, 220),
                                anchor=(0, 1))
            label.setZValue(20)
            self.main.addItem(label)
            self.labels.append(label)
        for i, label in enumerate(self.labels):
            if i < len(boxes):
                label.setFont(STYLE.font(STYLE.tick_px, bold=True))
                label.setText(f"IoU {num(float(ious[i]), 2)}")
                label.setPos(float(boxes[i][0]), float(boxes[i][1]))
                label.show()
            else:
                label.hide()

    def _bars(self, scores, step):
        """Every box's score, highest first (the order NMS takes them in), coloured by
        what has become of it; the dashed line is the score threshold."""
        order = np.argsort(-self.frame.scores, kind="stable")
        in_play = self.frame.scores > self.params.score_threshold
        colours = np.where(in_play, BAR_COLOURS["pending"], BAR_COLOURS["below"]).astype(object)
        if step is None:
            colours[self.frame.kept] = KEPT
        else:
            suppressed = step.status == nms.SUPPRESSED
            colours[suppressed] = BAR_COLOURS["earlier"]
            colours[suppressed & step.changed] = SUPPRESSED
            colours[step.status == nms.KEPT] = KEPT
            if step.current >= 0:
                colours[step.current] = CURRENT
        brushes = self._brushes   # one brush per colour, made once (live: every frame)
        for colour in set(colours):
            if colour not in brushes:
                brushes[colour] = pg.mkBrush(colour)
        self.bars.setOpts(x=np.arange(1, len(order) + 1), height=scores[order],
                          brushes=[brushes[c] for c in colours[order]],
                          pens=[NO_PEN] * len(order))
        self.bars_plot.setXRange(0, max(10, len(order)) + 1, padding=0)

    # --- boxes drawn by hand: a lesson on IoU ----------------------------------------------
    def on_click(self, x, y, button):
        if self.live.running:
            self.live.freeze()
        h, w = self.detected.image.shape[:2]
        if button == QtCore.Qt.RightButton:
            inside = [i for i, (bx, by, bw, bh, _) in enumerate(self.drawn)
                      if bx <= x <= bx + bw and by <= y <= by + bh]
            if inside:
                i = min(inside, key=lambda i: self.drawn[i][2] * self.drawn[i][3])
                box = self.drawn[i]
                self.edit(f"remove box {i + 1}", lambda: self._set_drawn(
                    self.drawn[:i] + self.drawn[i + 1:]), lambda: self._set_drawn(
                    self.drawn[:i] + [box] + self.drawn[i:]))
            return
        if button != QtCore.Qt.LeftButton or not (0 <= x <= w and 0 <= y <= h):
            return
        side = 0.25 * min(w, h)
        box = [x - side / 2, y - side / 2, side, side, self.data_params.new_box_score]
        self.edit(f"draw box {len(self.drawn) + 1}", lambda: self._set_drawn(
            [*self.drawn, box]), lambda: self._set_drawn(self.drawn[:-1]))

    def _set_drawn(self, boxes):
        self.drawn = [list(map(float, b)) for b in boxes]
        self._boxes_changed()

    def _boxes_changed(self):
        self.frame = self._own_boxes() if self.drawn else self.detected
        self._sync_handles()
        self.restart.emit()

    def _own_boxes(self) -> Analysed:
        drawn = np.array(self.drawn, float).reshape(-1, 5)
        boxes, scores = drawn[:, :4], drawn[:, 4]
        kept = nms.nms(boxes, scores, self.params.iou_threshold, self.params.score_threshold)
        return Analysed(self.detected.name, self.detected.image, boxes, scores, kept,
                        {"capture": 0.0, "detect": 0.0, "nms": 0.0, "literal": None})

    def _sync_handles(self):
        """One draggable, resizable handle per drawn box."""
        for handle in self.handles:
            self.main.removeItem(handle)
        self.handles = []
        for i, (x, y, w, h, _) in enumerate(self.drawn):
            handle = pg.RectROI((x, y), (w, h), pen=pg.mkPen(INK, width=1,
                                                               style=QtCore.Qt.DotLine))
            handle.setZValue(30)
            handle.sigRegionChangeFinished.connect(lambda r, i=i: self._moved(i, r))
            self.main.addItem(handle)
            self.handles.append(handle)

    def _moved(self, i, handle):
        (x, y), (w, h) = handle.pos(), handle.size()
        old, new = list(self.drawn[i]), [x, y, w, h, self.drawn[i][4]]
        if np.allclose(old, new):
            return

        def put(box):
            self.drawn[i] = box
            self._boxes_changed()
        self.edit(f"move box {i + 1}", lambda: put(new), lambda: put(old))

    def hand_made(self):
        return {"boxes": self.drawn}

    def restore_hand_made(self, state):
        if state.get("boxes"):
            self._set_drawn(state["boxes"])
