"""Non-maximum suppression (NMS): from many overlapping detections to one box per object.

A detector reports every window that looks like a face, so one face gets dozens of boxes.
Greedy NMS keeps the highest-scoring box, removes every remaining box that overlaps it by
more than an IoU threshold, and repeats with the best box left. Soft-NMS (Bodla et al.
2017, arXiv:1704.04503) lowers the scores of overlapping boxes instead of removing them.

Conventions (the same as ``cv2.dnn.NMSBoxes``, so results can be checked against it):

* A box is ``(x, y, w, h)``: top-left corner and size, in pixels or any unit. It covers
  the region ``[x, x + w] × [y, y + h]``, so its area is ``w·h`` (no "+1 pixel").
* IoU (intersection over union) = area(A ∩ B) / area(A ∪ B), between 0 and 1.
* A box whose area is zero (``w == 0`` or ``h == 0``) overlaps nothing: its IoU with every
  box, another empty box and itself included, is 0. OpenCV instead counts two empty boxes
  as identical (IoU 1) wherever they are; we do not, because an empty box carries no
  evidence about anything, so it must never suppress a box (empty or not) and never be
  suppressed. Such a box is kept if its score passes the score threshold.
* Greedy NMS considers only boxes with score > ``score_threshold`` and suppresses a box
  when its IoU with a kept box is > ``iou_threshold`` (strictly, as OpenCV: IoU equal to the
  threshold survives). Equal scores are taken in index order (the lower index first).
* Soft-NMS follows ``cv2.dnn.softNMSBoxes``: a box stays while its (decayed) score is
  ≥ ``score_threshold``. Linear: a rival with IoU > ``iou_threshold`` has its score
  multiplied by (1 − IoU). Gaussian: every rival's score is multiplied by exp(−IoU²/σ)
  (σ, not 2σ², as in the paper and in OpenCV); the IoU threshold plays no part.
* Arithmetic is float64. OpenCV keeps scores and IoUs in float32, so the two can differ
  only when a score or an IoU sits within float32 rounding of a threshold or a tie.
* Any finite coordinates work, 1e-300 or 1e300: boxes are rescaled by a power of two (an
  exact operation) before areas are formed, so nothing overflows into inf or NaN. A box
  whose area is more than ~1e300 times smaller than the largest coordinate squared (say a
  1e-160 × 1e-160 box beside a coordinate of 1) counts as empty, as does a box whose width
  or height is lost in rounding against its own corner (x + w == x).

``nms`` is the vectorized version: up to SMALL boxes it tests every pair at once in a few
whole-array numpy calls; above, it works block by block, and the boxes in play shrink as
boxes are suppressed. ``nms_literal`` is the same algorithm as a plain double loop, kept
for the contrast. ``run`` shows the work one kept box at a time.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from algorithms.base import Snapshot, frozen, num, param, plural, validate

METHODS = ("greedy", "soft-linear", "soft-gaussian")

# status codes of each box in a Step
PENDING, KEPT, SUPPRESSED, BELOW = 0, 1, 2, 3
STATUS = ("pending", "kept", "suppressed", "below score threshold")

SHOWN_IOUS = 5   # how many IoU values a caption lists before "…"
BLOCK = 64       # boxes resolved together in one round of `nms` (one 64-bit mask each)
SMALL = 150      # up to this many boxes in play, `nms` tests all pairs at once
ROUGH_ABOVE = 8192  # pairs: fewer are tested in float64 at once, more get a float32 pass first
MARGIN = 0.01    # IoU margin of the float32 first pass in `nms` (its error is < 0.003)


@dataclass(frozen=True)
class Params:
    method: str = param("greedy", values=METHODS,
                        tip="greedy: remove overlapping boxes; soft-linear / soft-gaussian: "
                            "lower their scores instead (soft-NMS)")
    iou_threshold: float = param(0.5, limits=(0.0, 1.0), step=0.05, label="IoU threshold",
                                 when=("method", ("greedy", "soft-linear")),
                                 tip="a box overlapping a kept box by more than this is "
                                     "suppressed (greedy) or has its score lowered (linear)")
    sigma: float = param(0.5, limits=(0.01, 5.0), step=0.05, label="σ",
                         when=("method", ("soft-gaussian",)),
                         tip="Gaussian soft-NMS multiplies a rival's score by exp(−IoU²/σ): "
                             "a small σ acts almost like greedy NMS")
    score_threshold: float = param(0.0, limits=(0.0, 1.0), step=0.05, label="score threshold",
                                   tip="boxes scoring below this are set aside (soft-NMS: "
                                       "also boxes whose lowered score falls below it)")


@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    boxes: np.ndarray          # (n, 4) x, y, w, h: the input, one array shared by every step
    scores: np.ndarray         # (n,) current scores (soft-NMS lowers them; greedy never does)
    status: np.ndarray         # (n,) int8: PENDING, KEPT, SUPPRESSED or BELOW (see STATUS)
    current: int               # the box kept in this step; -1 in the start and done steps
    ious: np.ndarray           # (n,) IoU of every box with `current` (zeros when it is -1)
    rivals: np.ndarray         # (n,) bool: boxes still in play that `current` was compared with
    changed: np.ndarray        # (n,) bool: boxes suppressed (greedy) or rescored (soft) here
    suppressed_by: np.ndarray  # (n,) int: the kept box that removed each box, -1 if none
    kept: np.ndarray           # (k,) indices kept so far, in the order they were kept


# --- input checks -------------------------------------------------------------------------
def check_boxes(boxes, scores=None) -> tuple[np.ndarray, np.ndarray | None]:
    """Return boxes as float64 (n, 4) and scores as float64 (n,), or raise ValueError."""
    try:
        b = np.asarray(boxes, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("boxes must be numbers: rows of x, y, width, height") from None
    if b.shape == (0,):   # [] : no boxes at all
        b = b.reshape(0, 4)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"boxes must be rows of x, y, width, height; got shape {b.shape}")
    if not np.isfinite(b).all():
        raise ValueError("boxes contain NaN or infinite values")
    if b.size and b[:, 2:].min() < 0:
        raise ValueError("box widths and heights must not be negative")
    if scores is None:
        return b, None
    try:
        s = np.asarray(scores, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("scores must be numbers, one per box") from None
    if s.ndim != 1:
        raise ValueError("scores must be one number per box")
    if len(s) != len(b):
        raise ValueError(f"there must be one score per box: {plural(len(b), 'box', 'boxes')}, "
                         f"{plural(len(s), 'score')}")
    if not np.isfinite(s).all():
        raise ValueError("scores contain NaN or infinite values")
    return b, s



def _check_threshold(name: str, value: float, low: float = 0.0, high: float = 1.0) -> float:
    value = float(value)
    if not low <= value <= high:  # also refuses NaN
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {value}")
    return value


def _scale(*groups: np.ndarray) -> int:
    """The power of two that brings the largest coordinate of all groups into [2⁴⁹⁹, 2⁵⁰⁰):
    areas and unions stay below 2¹⁰⁰³ (float64 overflows at 2¹⁰²⁴), and small boxes are
    lifted far above the subnormal range, where precision is lost."""
    largest = max((float(np.abs(g).max()) for g in groups if g.size), default=0.0)
    return 500 - math.frexp(largest)[1]


def corners(boxes: np.ndarray, shift: int) -> np.ndarray:
    """(5, n) rows x1, y1, x2, y2, area of (x, y, w, h) boxes multiplied by 2**shift.

    The area comes from the corners, not from w·h, so that a box's overlap with itself
    equals its own area exactly and its IoU with itself is exactly 1. `np.ldexp` scales
    each value exactly and never forms 2**shift itself, which overflows for tiny boxes.
    """
    b = np.ldexp(boxes, shift)
    out = np.empty((5, len(b)))
    out[0], out[1] = b[:, 0], b[:, 1]
    out[2] = b[:, 0] + b[:, 2]
    out[3] = b[:, 1] + b[:, 3]
    out[4] = (out[2] - out[0]) * (out[3] - out[1])
    return out


def _parts(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Intersection and union areas of boxes `a` and `b` (rows x1, y1, x2, y2, area, as
    from `corners`; their columns broadcast against each other)."""
    w = np.minimum(b[2], a[2]) - np.maximum(b[0], a[0])
    h = np.minimum(b[3], a[3]) - np.maximum(b[1], a[1])
    inter = np.maximum(w, 0.0) * np.maximum(h, 0.0)
    return inter, b[4] + a[4] - inter


def _ratio(inter: np.ndarray, union: np.ndarray) -> np.ndarray:
    """IoU from the parts; 0 when nothing overlaps (also when both boxes are empty).

    Never above 1, even after rounding: with areas a ≥ b ≥ i (i = intersection),
    a + b ≥ a + i ≥ 2i, and rounding is monotone, so fl(fl(a + b) − i) ≥ fl(2i − i) = i.
    """
    return inter / np.maximum(union, np.finfo(float).tiny)


def _exceeds(a: np.ndarray, b: np.ndarray, threshold) -> np.ndarray:
    """IoU > threshold, decided as intersection > threshold × union (no division).

    This one rule decides suppression everywhere in this module (`nms`, `nms_literal`,
    `run`, linear soft-NMS), so they all agree to the last bit. The arithmetic is that of
    `_parts`, done in place to spare memory traffic.
    """
    inter = np.minimum(b[2], a[2])
    inter -= np.maximum(b[0], a[0])   # the overlap's width; negative when there is none
    h = np.minimum(b[3], a[3])
    h -= np.maximum(b[1], a[1])
    np.maximum(h, 0.0, out=h)
    # One clamp is enough: a negative width times a height ≥ 0 is ≤ 0 and, like 0, never
    # exceeds threshold × union ≥ 0. (Unclamped, two negatives would make a positive.)
    inter *= h
    union = b[4] + a[4]
    union -= inter
    union *= threshold
    return inter > union


def _exceeds_pair(a: list[float], b: list[float], threshold: float) -> bool:
    """`_exceeds` for one pair of boxes, in plain Python floats (the same arithmetic)."""
    w = min(b[2], a[2]) - max(b[0], a[0])
    h = min(b[3], a[3]) - max(b[1], a[1])
    inter = max(w, 0.0) * max(h, 0.0)
    return inter > (b[4] + a[4] - inter) * threshold


# --- IoU ----------------------------------------------------------------------------------
def iou(box, boxes) -> np.ndarray:
    """IoU of one (x, y, w, h) box with each row of `boxes`: shape (n,)."""
    one, _ = check_boxes(np.reshape(np.asarray(box, dtype=float), (-1, 4)))
    if len(one) != 1:
        raise ValueError("iou() compares one box (x, y, width, height) with many")
    many, _ = check_boxes(boxes)
    s = _scale(one, many)
    return _ratio(*_parts(corners(one, s), corners(many, s)))


def iou_matrix(a, b=None) -> np.ndarray:
    """IoU of every box in `a` with every box in `b` (default: `a` itself): shape (n, m).

    Memory grows as n·m; for NMS on thousands of boxes use `nms`, which never builds it.
    """
    a, _ = check_boxes(a)
    b = a if b is None else check_boxes(b)[0]
    s = _scale(a, b)
    return _ratio(*_parts(corners(a, s)[:, :, None], corners(b, s)))


# --- greedy NMS ---------------------------------------------------------------------------
def ranking(scores: np.ndarray, score_threshold: float) -> np.ndarray:
    """Indices of the boxes scoring above the threshold, best first, ties by index.

    Sorting every score and cutting the list is cheaper than picking the candidates first
    (fewer numpy calls), and gives the same list: the stable sort keeps equal scores in
    index order, and every score above the threshold comes before every other."""
    order = np.argsort(-scores, kind="stable")
    above = int(np.count_nonzero(scores > score_threshold))
    return order[:above] if above < order.size else order


class _Live:
    """The boxes still in play for `nms`, in score order: float64 corners for exact
    decisions and, when the geometry allows it, a float32 copy for a fast first pass."""

    def __init__(self, boxes: np.ndarray, threshold: float):
        self.exact = corners(boxes, _scale(boxes))
        self.threshold = threshold
        self.rough: np.ndarray | None = None
        self.tried = threshold < MARGIN   # below the margin, float32 rules nothing out

    def _make_rough(self) -> None:
        """Shift the corners to start at 0 and scale them (by a power of two) into [0, 1],
        so float32 keeps ~7 digits of every coordinate. While the smaller side of every
        non-empty box is at least span / 1024, the float32 pass then misjudges an IoU by
        less than 0.003 (rounding of ~2⁻²⁴ per corner, divided by a side ≥ 2⁻¹¹); with
        smaller boxes every pair is decided in float64."""
        self.tried = True
        exact = self.exact
        solid = exact[4] > 0
        if not solid.any():
            return
        shifted = exact[:4] - min(exact[0].min(), exact[1].min())
        span = float(shifted.max())
        sides = np.minimum(shifted[2] - shifted[0], shifted[3] - shifted[1])[solid]
        if not span <= 1024 * float(sides.min()):
            return
        unit = -int(np.frexp(span)[1])
        rough = np.empty(exact.shape, np.float32)
        rough[:4] = np.ldexp(shifted, unit)
        rough[4] = np.ldexp(exact[4], 2 * unit)
        self.rough = rough

    def keep(self, which) -> None:
        self.exact = self.exact[:, which]
        if self.rough is not None:
            self.rough = self.rough[:, which]

    def hits(self, rows, cols) -> np.ndarray:
        """(len(rows), len(cols)) bool: IoU of box `rows[i]` with box `cols[j]` exceeds the
        threshold. On many pairs, a float32 pass with a margin finds the few that might and
        float64 decides those: the same answer as deciding every pair in float64, faster.
        """
        a, b = self.exact[:, rows], self.exact[:, cols]
        if a.shape[1] * b.shape[1] >= ROUGH_ABOVE and not self.tried:
            self._make_rough()
        if self.rough is None or a.shape[1] * b.shape[1] < ROUGH_ABOVE:
            return _exceeds(a[:, :, None], b, self.threshold)
        maybe = _exceeds(self.rough[:, rows, None], self.rough[:, cols],
                         np.float32(self.threshold - MARGIN))
        pairs = np.flatnonzero(maybe)
        if pairs.size:
            i, j = np.divmod(pairs, maybe.shape[1])
            maybe.ravel()[pairs] = _exceeds(a[:, i], b[:, j], self.threshold)
        return maybe


def nms(boxes, scores, iou_threshold: float = 0.5, score_threshold: float = 0.0) -> np.ndarray:
    """Greedy NMS, vectorized. Returns the kept indices, highest score first.

    Up to SMALL boxes in play, every pair is tested in one go (`_greedy_small`); with more,
    the boxes go BLOCK at a time (`_greedy_blocks`). Both decide each pair exactly as
    `_exceeds` does, so they keep the same boxes.
    """
    boxes, scores = check_boxes(boxes, scores)
    threshold = _check_threshold("iou_threshold", iou_threshold)
    order = ranking(scores, float(score_threshold))
    greedy = _greedy_small if order.size <= SMALL else _greedy_blocks
    return order.take(greedy(boxes[order], threshold))


def _greedy_blocks(boxes: np.ndarray, threshold: float) -> np.ndarray:
    """Greedy NMS on boxes in score order (best first): the positions kept, in order.

    The boxes in play are taken BLOCK at a time, best first. Inside a block, every pair is
    tested at once and greedy NMS is resolved with one bit mask per box (a box survives
    unless a kept box before it in the block overlaps it too much); then the block's kept
    boxes remove, in one pass, every later box they overlap too much. Each block leaves
    play, so there are at most n / BLOCK rounds of numpy work, and the cost is about
    (kept boxes) × (boxes in play) pair tests, never an n × n matrix.
    """
    order = np.arange(len(boxes))
    live = _Live(boxes, threshold)
    kept = []
    while order.size:
        size = min(BLOCK, order.size)
        block = slice(0, size)
        hits = np.zeros((size, BLOCK), bool)
        hits[:, :size] = live.hits(block, block)
        bits = np.packbits(hits, axis=1, bitorder="little").tobytes()
        width = BLOCK // 8
        removed, winners = 0, []
        for i in range(size):   # at most BLOCK cheap steps on Python integers
            if not removed >> i & 1:
                winners.append(i)
                removed |= int.from_bytes(bits[i * width:(i + 1) * width], "little")
        kept.extend(order[winners].tolist())
        if order.size > size:
            survive = ~live.hits(winners, slice(size, None)).any(axis=0)
            order = order[size:][survive]
            live.keep(size + np.flatnonzero(survive))
        else:
            order = order[size:]
    return np.array(kept, dtype=np.intp)


def _greedy_small(boxes: np.ndarray, threshold: float) -> list[int]:
    """Greedy NMS on a few boxes in score order (best first): the positions kept, in order.

    For ~100 boxes numpy's cost per call, not the arithmetic, decides the time
    (`_greedy_blocks` makes ~60 calls, many on small 2-D broadcasts), so this path tests
    every pair in ~30 calls on whole arrays:

    * Pairs by offset: box i meets box (i + d) mod n for d = 1 … n // 2, which covers every
      pair (those at d = n/2 twice when n is even). In an n//2 × n array, entry [d − 1, i]
      reads box i + d from a view of the corners shifted by d: no copies, no index arrays
      (the corner array repeats its first n//2 boxes at the end for the wrap).
    * One decision per pair, with `_exceeds`'s float64 operations in its order, so the
      same rounding: min(−x1ᵢ, −x1ⱼ) is −max(x1ᵢ, x1ⱼ) exactly, so one `np.minimum` gives
      both ends of the overlap along x and y.
    * Each decision goes into a bit matrix at row i, column i + d and, for a pair that
      wrapped (box i met box j = i + d − n < i), at row j, column i: row j then holds
      every box after j that j's overlap would suppress. A loop on Python integers runs
      the greedy pass, one step per kept box.
    """
    n = len(boxes)
    if n < 2:
        return list(range(n))
    half = n // 2
    hit = _pair_hits(boxes, threshold)
    # First view: row i of `near` gets hit[d − 1, i] at column i + d. Second view: entry
    # [i, d − 1] of it reads hit[d − 1, k] with k = i + n − d, the pair of box k with box
    # k + d − n = i (a pair that wrapped), and writes it at column k of row i. Columns ≥ n
    # (wrapped pairs in the first view, the empty columns of `hit` in the second) are
    # scratch space: only the first n columns are packed into bits.
    width = 2 * n
    near = np.zeros((n, width), bool)
    np.ndarray((n, half), bool, near, 1, (width + 1, 1))[...] = hit[:, :n].T
    np.ndarray((n, half), bool, near, n - half, (width + 1, 1))[:, ::-1] = np.ndarray(
        (n, half), bool, hit, n - 1, (1, 2 * n - 2))
    bits = np.packbits(near[:, :n], axis=1, bitorder="little")
    bits = np.invert(bits, out=bits).tobytes()  # row i: the boxes i does NOT suppress
    step = len(bits) // n
    alive, kept = (1 << n) - 1, []
    while alive:   # the best box still alive is kept; its rivals leave
        lowest = alive & -alive
        i = lowest.bit_length() - 1
        kept.append(i)
        alive ^= lowest
        alive &= int.from_bytes(bits[i * step:(i + 1) * step], "little")
    return kept


def _pair_hits(boxes: np.ndarray, threshold: float) -> np.ndarray:
    """(n // 2, 2n − 1) bool for n ≥ 2 boxes: [d − 1, i] is `_exceeds` for boxes i and
    (i + d) mod n; columns n… are False (padding that `_greedy_small` reads past the end).

    Rows are offsets and columns boxes, so each numpy pass runs along rows of n values
    (faster than rows of n // 2: numpy walks a 2-D view row by row)."""
    n = len(boxes)
    half = n // 2
    wrapped = np.ldexp(np.concatenate((boxes, boxes[:half])), _scale(boxes))
    ends = np.empty((2, 2, n + half))          # [[−x1, −y1], [x2, y2]] as in `corners`
    np.negative(wrapped[:, :2].T, out=ends[0])
    np.add(wrapped[:, :2].T, wrapped[:, 2:].T, out=ends[1])
    area = ends[1] + ends[0]
    area = area[0] * area[1]
    plane, axis = ends.strides[:2]
    shape = (2, 2, half, n)                    # [end, x or y, d − 1, i]
    overlap = np.minimum(np.ndarray(shape, float, ends, 8, (plane, axis, 8, 8)),  # box i + d
                         np.ndarray(shape, float, ends, 0, (plane, axis, 0, 8)))  # box i
    side = overlap[1]
    side += overlap[0]                         # min(x2) − max(x1), and the same along y
    np.maximum(side[1], 0.0, out=side[1])
    inter = side[0] * side[1]
    union = np.add(np.ndarray((half, n), float, area, 8, (8, 8)),
                   np.ndarray((half, n), float, area, 0, (0, 8)))
    union -= inter
    union *= threshold
    hit = np.zeros((half, 2 * n - 1), bool)    # columns n… stay empty
    np.greater(inter, union, out=hit[:, :n])   # hit[d − 1, i]: boxes i and (i + d) mod n
    return hit


def nms_literal(boxes, scores, iou_threshold: float = 0.5,
                score_threshold: float = 0.0) -> np.ndarray:
    """Greedy NMS as the textbook double loop: O(n²) IoUs in plain Python.

    Same result as `nms` (the same float arithmetic, pair by pair), many times slower.
    """
    boxes, scores = check_boxes(boxes, scores)
    threshold = _check_threshold("iou_threshold", iou_threshold)
    rows = corners(boxes, _scale(boxes)).T.tolist()
    score = scores.tolist()
    order = sorted((i for i in range(len(score)) if score[i] > score_threshold),
                   key=lambda i: -score[i])   # sorted() is stable: ties stay in index order
    suppressed = [False] * len(score)
    kept = []
    for rank, i in enumerate(order):
        if suppressed[i]:
            continue
        kept.append(i)
        for j in order[rank + 1:]:
            if not suppressed[j] and _exceeds_pair(rows[i], rows[j], threshold):
                suppressed[j] = True
    return np.array(kept, dtype=np.intp)


# --- soft-NMS -----------------------------------------------------------------------------
def decay(ious, method: str, iou_threshold: float, sigma: float) -> np.ndarray:
    """The factor soft-NMS multiplies a rival's score by, given its IoU with the kept box
    (linear: 1 − IoU above the threshold, else 1; gaussian: exp(−IoU²/σ)). For drawing
    the decay curve; `soft_nms` and `run` decide "above the threshold" as `_exceeds` does."""
    ious = np.asarray(ious, dtype=float)
    if method == "linear":
        return np.where(ious > iou_threshold, 1.0 - ious, 1.0)
    if method == "gaussian":
        return np.exp(-(ious * ious) / sigma)
    raise ValueError(f"soft-NMS method must be linear or gaussian, got {method!r}")


def _decay(inter, union, method: str, iou_threshold: float, sigma: float) -> np.ndarray:
    """`decay` from the intersection and union areas."""
    ious = _ratio(inter, union)
    if method == "linear":
        return np.where(inter > iou_threshold * union, 1.0 - ious, 1.0)
    return np.exp(-(ious * ious) / sigma)


def _check_soft(method: str, iou_threshold: float, sigma: float) -> tuple[float, float]:
    if method not in ("linear", "gaussian"):
        raise ValueError(f"soft-NMS method must be linear or gaussian, got {method!r}")
    threshold = _check_threshold("iou_threshold", iou_threshold)
    sigma = float(sigma)
    if not sigma > 0 or not np.isfinite(sigma):
        raise ValueError(f"sigma must be a positive number, got {sigma}")
    return threshold, sigma


def soft_nms(boxes, scores, *, method: str = "gaussian", iou_threshold: float = 0.3,
             sigma: float = 0.5, score_threshold: float = 0.001) -> tuple[np.ndarray, np.ndarray]:
    """Soft-NMS. Returns (kept indices, their scores when kept), in the order kept.

    Each round keeps the box with the highest current score and multiplies the scores of
    the boxes still in play by `decay`; a box leaves when its score drops below
    `score_threshold`. The same as cv2.dnn.softNMSBoxes with top_k = 0.
    """
    boxes, scores = check_boxes(boxes, scores)
    threshold, sigma = _check_soft(method, iou_threshold, sigma)
    index = np.flatnonzero(scores >= score_threshold)
    current = scores[index]
    live = corners(boxes[index], _scale(boxes))
    kept, kept_scores = [], []
    while index.size:
        best = int(np.argmax(current))   # the first maximum: ties go to the lower index
        kept.append(index[best])
        kept_scores.append(current[best])
        head = live[:, best]
        rest = np.arange(index.size) != best
        index, current, live = index[rest], current[rest], live[:, rest]
        current = current * _decay(*_parts(head, live), method, threshold, sigma)
        stay = current >= score_threshold
        index, current, live = index[stay], current[stay], live[:, stay]
    return np.array(kept, dtype=np.intp), np.array(kept_scores, dtype=float)


# --- sample boxes -------------------------------------------------------------------------
def sample_boxes(n: int, rng: np.random.Generator, objects: int | None = None,
                 frame: tuple[int, int] = (640, 480)) -> tuple[np.ndarray, np.ndarray]:
    """Detector-like boxes: clusters of jittered boxes around a few objects, and scores
    that fall as a box strays from its object. Returns (boxes (n, 4), scores (n,))."""
    if n < 0:
        raise ValueError(f"the number of boxes must not be negative, got {n}")
    objects = max(1, n // 25) if objects is None else objects
    if objects < 1:
        raise ValueError("there must be at least one object to detect")
    width, height = frame
    size = np.exp(rng.uniform(np.log(24), np.log(min(width, height) / 2), objects))
    centre = np.column_stack([rng.uniform(0, width, objects), rng.uniform(0, height, objects)])
    which = rng.integers(objects, size=n)
    shift = rng.normal(0.0, 0.12, (n, 2))
    stretch = np.exp(rng.normal(0.0, 0.12, n))
    side = size[which] * stretch
    middle = centre[which] + shift * size[which, None]
    boxes = np.column_stack([middle - side[:, None] / 2, side, side])
    stray = np.hypot(*shift.T) + np.abs(np.log(stretch))
    scores = np.clip(np.exp(-4 * stray) + rng.normal(0, 0.05, n), 0.01, 1.0)
    return boxes, scores


# --- stepwise -----------------------------------------------------------------------------
def _list(values, digits: int = 2) -> str:
    shown = ", ".join(num(v, digits) for v in values[:SHOWN_IOUS])
    return shown + (", …" if len(values) > SHOWN_IOUS else "")


def run(boxes, scores, params: Params, rng: np.random.Generator | None = None
        ) -> Iterator[Step]:
    """NMS one kept box at a time: a start step, one "keep" step per kept box, a done step.

    Boxes are numbered from 1 in captions (box i + 1 is index i): a panel that labels
    boxes should use the same numbers. `rng` is unused: NMS is deterministic.
    """
    del rng
    validate(params)
    boxes, scores = check_boxes(boxes, scores)
    soft = params.method != "greedy"
    method = params.method.removeprefix("soft-")
    threshold = params.iou_threshold
    floor = params.score_threshold
    n = len(boxes)
    box_array = frozen(boxes)
    live = corners(boxes, _scale(boxes))
    score = scores.copy()
    below = score < floor if soft else score <= floor
    status = np.where(below, BELOW, PENDING).astype(np.int8)
    by = np.full(n, -1)
    kept: list[int] = []
    no_ious, nobody = frozen(np.zeros(n)), frozen(np.zeros(n, bool))
    shown = {"scores": frozen(score), "status": frozen(status), "by": frozen(by)}
    index = 0

    def snap(phase, caption, current=-1, ious=no_ious, rivals=nobody, changed=nobody):
        nonlocal index
        step = Step(index=index, phase=phase, caption=caption,
                    metrics={"kept": len(kept), "suppressed": int((status == SUPPRESSED).sum()),
                             "pending": int((status == PENDING).sum()),
                             "below threshold": int((status == BELOW).sum())},
                    boxes=box_array, scores=shown["scores"], status=shown["status"],
                    current=current, ious=ious, rivals=rivals, changed=changed,
                    suppressed_by=shown["by"], kept=frozen(np.array(kept, dtype=np.intp)))
        index += 1
        return step

    relation = "<" if soft else "≤"
    pending = int((status == PENDING).sum())
    if n == 0:
        caption = "No boxes: nothing to suppress."
    else:
        caption = f"{plural(n, 'box', 'boxes')} to sort by score"
        if below.any():
            caption += (f"; {plural(int(below.sum()), 'box', 'boxes')} with score "
                        f"{relation} {num(floor, 3)} set aside")
        caption += f". {plural(pending, 'box', 'boxes')} in play, highest score first."
    yield snap("start", caption)

    while (status == PENDING).any():
        in_play = np.flatnonzero(status == PENDING)
        best = int(in_play[np.argmax(score[in_play])])   # ties: the lowest index
        inter, union = _parts(live[:, best], live)
        ious = _ratio(inter, union)
        rivals = status == PENDING
        rivals[best] = False
        status[best] = KEPT
        kept.append(best)
        head = f"Kept box {best + 1} (score {num(score[best], 3)})"
        if not soft:
            hit = rivals & (inter > threshold * union)   # as `_exceeds` decides
            status[hit] = SUPPRESSED
            by[hit] = best
            caption = _greedy_caption(head, ious[hit], ious[rivals], threshold)
        else:
            factor = _decay(inter[rivals], union[rivals], method, threshold, params.sigma)
            before = score.copy()
            score[rivals] = score[rivals] * factor
            hit = rivals & (score != before)
            dropped = rivals & (score < floor)
            status[dropped] = SUPPRESSED
            by[dropped] = best
            caption = _soft_caption(head, before, score, hit, dropped, ious, params, floor)
            shown["scores"] = frozen(score)
        left = int((status == PENDING).sum())
        caption += f"; {plural(left, 'box', 'boxes')} left in play."
        shown["status"], shown["by"] = frozen(status), frozen(by)
        yield snap("keep", caption, best, frozen(ious), frozen(rivals), frozen(hit))

    suppressed = int((status == SUPPRESSED).sum())
    caption = (f"Done: kept {len(kept):,} of {plural(n, 'box', 'boxes')}; "
               f"{suppressed:,} suppressed")
    if soft:
        caption = (f"Done: kept {len(kept):,} of {plural(n, 'box', 'boxes')}; "
                   f"{suppressed:,} dropped when their scores fell below {num(floor, 3)}")
    caption += f", {int((status == BELOW).sum()):,} below the score threshold."
    yield snap("done", caption)


def _greedy_caption(head: str, hit_ious, rival_ious, threshold: float) -> str:
    if hit_ious.size:
        values = np.sort(hit_ious)[::-1]
        return (f"{head}; suppressed {plural(values.size, 'box', 'boxes')} with IoU > "
                f"{num(threshold, 3)}: {_list(values)}")
    if rival_ious.size:
        return (f"{head}; no box in play overlaps it by IoU > {num(threshold, 3)} "
                f"(the largest is {num(rival_ious.max(), 2)})")
    return f"{head}; no other box was in play"


def _soft_caption(head, before, after, hit, dropped, ious, params: Params, floor) -> str:
    if params.method == "soft-linear":
        rule = f"IoU > {num(params.iou_threshold, 3)}, score × (1 − IoU)"
    else:
        rule = f"score × exp(−IoU²/{num(params.sigma, 3)})"
    if not hit.any():
        return f"{head}; no box in play overlaps it, so no score changed"
    changed = np.flatnonzero(hit)
    changed = changed[np.argsort(-ious[changed], kind="stable")]
    shown = ", ".join(f"{num(before[i], 3)}→{num(after[i], 3)}"
                      for i in changed[:SHOWN_IOUS])
    shown += ", …" if changed.size > SHOWN_IOUS else ""
    caption = (f"{head}; lowered the scores of {plural(changed.size, 'box', 'boxes')} "
               f"({rule}): {shown}")
    if dropped.any():
        caption += (f"; {plural(int(dropped.sum()), 'box', 'boxes')} fell below "
                    f"{num(floor, 3)} and left")
    return caption
