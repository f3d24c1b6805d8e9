"""What the NMS panel works on and draws with: a frame's detections and their timings,
and box outlines as single curves (one curve item per kind of box, however many boxes)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np

from algorithms import detectors, nms
from algorithms.base import num

LITERAL_UP_TO = 400  # boxes; the double loop is timed only below this (it is O(n²))


@dataclass(frozen=True, eq=False)
class Analysed:
    """One frame with its raw detections and what plain NMS keeps of them."""

    name: str
    image: np.ndarray          # (h, w, 3) uint8 RGB
    boxes: np.ndarray          # (n, 4) x, y, w, h in frame pixels
    scores: np.ndarray         # (n,)
    kept: np.ndarray           # indices greedy NMS keeps with the panel's thresholds
    seconds: dict              # capture, detect, nms, literal (None when not timed)

    def timing_text(self) -> str:
        s = self.seconds
        text = (f"detect {num(s['detect'] * 1e3, 2)} ms · "
                f"NMS {num(s['nms'] * 1e3, 2)} ms vectorized")
        if s.get("literal") is not None:
            text += f", {num(s['literal'] * 1e3, 2)} ms as a double loop"
        return text


def analyse(image: np.ndarray, params, name: str, capture_seconds: float = 0.0) -> Analysed:
    """Detect on `image` (RGB) with the panel's detector settings, then time plain NMS."""
    found = detectors.detect(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), params.for_detector())
    start = time.perf_counter()
    kept = nms.nms(found.boxes, found.scores, params.iou_threshold, params.score_threshold)
    fast = time.perf_counter() - start
    literal = None
    if len(found.boxes) <= LITERAL_UP_TO:
        start = time.perf_counter()
        nms.nms_literal(found.boxes, found.scores, params.iou_threshold,
                        params.score_threshold)
        literal = time.perf_counter() - start
    seconds = {"capture": capture_seconds, "detect": sum(found.seconds.values()),
               "nms": fast, "literal": literal}
    return Analysed(name, image, found.boxes, found.scores, np.asarray(kept), seconds)


def rectangles(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outlines of (x, y, w, h) boxes as one NaN-separated polyline (for one curve item)."""
    if len(boxes) == 0:
        return np.zeros(0), np.zeros(0)
    x, y, w, h = boxes.T
    xs = np.column_stack([x, x + w, x + w, x, x, np.full_like(x, np.nan)]).ravel()
    ys = np.column_stack([y, y, y + h, y + h, y, np.full_like(y, np.nan)]).ravel()
    return xs, ys


def crosses(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both diagonals of each box: the mark of a suppressed box."""
    if len(boxes) == 0:
        return np.zeros(0), np.zeros(0)
    x, y, w, h = boxes.T
    gap = np.full_like(x, np.nan)
    xs = np.column_stack([x, x + w, gap, x + w, x, gap]).ravel()
    ys = np.column_stack([y, y + h, gap, y, y + h, gap]).ravel()
    return xs, ys
