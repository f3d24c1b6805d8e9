"""Detectors that produce the raw, overlapping boxes non-maximum suppression works on.

OpenCV's Haar cascades (Viola–Jones) slide a window over an image pyramid and report every
window that passes all stages of the cascade. OpenCV usually merges those windows itself
(``minNeighbors``); here it is asked for all of them (``minNeighbors=0``) with their
"level weights" (``outputRejectLevels=True``): the sum the boosted last stage gave the
window. That sum, minus the stage's threshold, says how clearly the window passed, which
is what NMS needs as a score.

Scores: ``score = 1 / (1 + exp(−weight))``, the logistic of the level weight. It is
monotone, so NMS ranks the boxes exactly as by the raw weight; it maps them into (0, 1) so
one score threshold control fits every detector; a weight of 0 scores 0.5. It is not a
calibrated probability. The frontal-face cascade's windows weigh about −3 (its last
stage's threshold is −2.99, so nothing weighs less) to +7, so its scores run from ~0.05 to
~0.999; the cat-face cascade's weights sit closer together (about −1.5 to +2).

Speed: detection runs on a copy of the frame shrunk to ``working_width`` (aspect ratio
kept: a stretched face is not found; a frame narrower than that is used as it is, never
enlarged), and the boxes are scaled back to the full frame. The frame itself is never
modified. OpenCV releases the GIL inside ``detectMultiScale``, so `detect` can run on a
worker thread while the UI thread draws; each thread gets its own classifier objects.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import cv2
import numpy as np

from algorithms.base import frozen, param, validate

# name: (cascade file in cv2.data.haarcascades, what it finds)
CASCADES = {
    "face": ("haarcascade_frontalface_default.xml", "faces"),
    "cat face": ("haarcascade_frontalcatface.xml", "cat faces"),
}
_local = threading.local()   # one CascadeClassifier per thread and cascade


@dataclass(frozen=True)
class Params:
    detector: str = param("face", values=tuple(CASCADES),
                          tip="face: OpenCV's frontal-face Haar cascade; cat face: its "
                              "frontal cat-face cascade")
    scale_factor: float = param(1.1, limits=(1.01, 2.0), step=0.01, label="scale factor",
                                tip="each level of the image pyramid is this much smaller: "
                                    "closer to 1 searches more sizes, finds more boxes and "
                                    "takes longer")
    min_size: int = param(40, limits=(1, 2000), step=1, label="minimum size (px)",
                          tip="the smallest box searched, in pixels of the full frame "
                              "(never below the cascade's own window at the working size)")
    working_width: int = param(320, limits=(64, 4096), step=16, label="working width (px)",
                               tip="the frame is shrunk to this width, aspect ratio kept, "
                                   "before detection: smaller is faster but misses small "
                                   "faces")


@dataclass(frozen=True, kw_only=True)
class Detections:
    """The raw detections of one frame: boxes as (x, y, w, h) in full-frame pixels."""

    boxes: np.ndarray      # (n, 4) float64, x, y, width, height in the full frame
    scores: np.ndarray     # (n,) float64 in (0, 1): logistic of the level weight
    weights: np.ndarray    # (n,) float64: OpenCV's level weight of each box
    frame_size: tuple[int, int]   # (width, height) of the frame given
    work_size: tuple[int, int]    # (width, height) of the shrunk copy searched
    detector: str
    seconds: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    # seconds["prepare"]: shrinking and grey conversion; seconds["detect"]: the cascade

    def __len__(self) -> int:
        return len(self.boxes)


def cascade(name: str) -> cv2.CascadeClassifier:
    """This thread's classifier for the named cascade (loaded once per thread)."""
    if name not in CASCADES:
        raise ValueError(f"detector must be one of {', '.join(CASCADES)}, got {name!r}")
    loaded = _local.__dict__.setdefault("cascades", {})
    if name not in loaded:
        path = Path(cv2.data.haarcascades) / CASCADES[name][0]
        classifier = cv2.CascadeClassifier(str(path))
        if classifier.empty():
            raise ValueError(f"OpenCV's cascade file {path.name} is missing or unreadable; "
                             "reinstalling opencv-python-headless should bring it back")
        loaded[name] = classifier
    return loaded[name]


def working_size(width: int, height: int, working_width: int) -> tuple[int, int]:
    """The size the frame is shrunk to: `working_width` wide (never wider than the frame),
    the height in proportion (at least 1 pixel)."""
    if width <= working_width:
        return width, height
    return working_width, max(1, round(height * working_width / width))


def grey(frame) -> np.ndarray:
    """An 8-bit single-channel view or copy of a BGR, BGRA or grey frame (never the frame
    itself when a conversion is needed; the frame is not modified)."""
    frame = np.asarray(frame)
    if frame.dtype != np.uint8:
        raise ValueError(f"the frame must have 8-bit pixels (uint8), not {frame.dtype}")
    if frame.ndim in (2, 3) and (frame.shape[0] == 0 or frame.shape[1] == 0):
        raise ValueError("the frame is empty (0 pixels)")
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[:, :, 0]
    if frame.ndim == 2:
        gray = frame
    elif frame.ndim == 3 and frame.shape[2] in (3, 4):
        code = cv2.COLOR_BGR2GRAY if frame.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
        gray = cv2.cvtColor(frame, code)
    else:
        raise ValueError(f"the frame must be a grey, BGR or BGRA image; got shape {frame.shape}")
    return gray


def score_of(weights) -> np.ndarray:
    """Level weights → scores in (0, 1): the logistic function, written so that very large
    weights of either sign neither overflow nor lose their order before rounding to 0 or 1."""
    w = np.asarray(weights, dtype=float)
    e = np.exp(-np.abs(w))
    return np.where(w >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def detect(frame, params: Params = Params()) -> Detections:
    """Every window the cascade accepts on `frame` (BGR, BGRA or grey, uint8), unmerged,
    sorted by position (left to right, then top to bottom), not by score."""
    validate(params)
    classifier = cascade(params.detector)
    start = time.perf_counter()
    gray = grey(frame)
    height, width = gray.shape
    work_w, work_h = working_size(width, height, params.working_width)
    if (work_w, work_h) != (width, height):
        gray = cv2.resize(gray, (work_w, work_h), interpolation=cv2.INTER_AREA)
    prepared = time.perf_counter()
    shrink = work_w / width
    window = classifier.getOriginalWindowSize()
    side = max(int(round(params.min_size * shrink)), window[0], window[1])
    boxes, weights = np.zeros((0, 4)), np.zeros(0)
    if side <= min(work_w, work_h):
        found, _levels, level_weights = classifier.detectMultiScale3(
            gray, scaleFactor=params.scale_factor, minNeighbors=0, minSize=(side, side),
            outputRejectLevels=True)
        if len(found):
            boxes = np.asarray(found, dtype=float).reshape(-1, 4)
            weights = np.asarray(level_weights, dtype=float).reshape(-1)
            # OpenCV's worker threads report windows in any order: sort them by position
            # (x, then y, then size, then weight) so the same frame always numbers its
            # boxes the same way
            order = np.lexsort((weights, boxes[:, 3], boxes[:, 2], boxes[:, 1], boxes[:, 0]))
            boxes, weights = boxes[order] / shrink, weights[order]
    done = time.perf_counter()
    return Detections(boxes=frozen(boxes), scores=frozen(score_of(weights)),
                      weights=frozen(weights), frame_size=(width, height),
                      work_size=(work_w, work_h), detector=params.detector,
                      seconds=MappingProxyType({"prepare": prepared - start,
                                                "detect": done - prepared}))


def group(boxes, min_neighbors: int = 3, eps: float = 0.2) -> np.ndarray:
    """OpenCV's own way of merging raw windows (what ``minNeighbors`` does inside
    ``detectMultiScale``): clusters of similar boxes are averaged, and clusters with
    fewer than ``min_neighbors + 1`` members dropped. For comparison with NMS, which
    keeps one of the given boxes instead of averaging them."""
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    if min_neighbors < 0:
        raise ValueError(f"min_neighbors must not be negative, got {min_neighbors}")
    if len(boxes) == 0:
        return np.zeros((0, 4))
    rects = [[int(round(v)) for v in row] for row in boxes]
    merged, _ = cv2.groupRectangles(rects, min_neighbors, eps)
    return np.asarray(merged, dtype=float).reshape(-1, 4)
