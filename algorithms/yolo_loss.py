"""YOLO v1's loss (Redmon et al. 2016, arXiv:1506.02640), term by term and cell by cell.

YOLO lays an S×S grid over the image. The cell that holds an object's centre must find it:
each cell predicts B boxes (x, y: the centre's place inside the cell, 0…1; w, h: the size as
a fraction of the whole image; a confidence) and one set of C class probabilities. Of a
cell's B predictors, the one whose box overlaps the object most (highest IoU) is
"responsible" for it and alone learns its box. The loss adds five sums of squared errors:

* λcoord · Σ [(x − x̂)² + (y − ŷ)²]      over responsible predictors (x̂: the prediction)
* λcoord · Σ [(√w − √ŵ)² + (√h − √ĥ)²]   the same; square roots, so that an error of a few
  pixels costs more on a small box than on a large one
* Σ (C − Ĉ)²                             objectness of responsible predictors; the target C
  is the IoU of the predicted box with the object (as in the paper), or 1
* λnoobj · Σ Ĉ²                          every other predictor: its confidence should be 0
* Σ_c (p(c) − p̂(c))²                    class probabilities, in each cell with an object

Conventions. Coordinates are fractions of the image (0…1 across, 0…1 down). A ground-truth
box is a row ``cx, cy, w, h, class``. Cell (row r, column c) covers [c/S, (c+1)/S] across
and [r/S, (r+1)/S] down. An object belongs to the cell holding its centre (a centre on a
border goes to the cell below/right of it; one at 1.0 to the last cell). YOLO v1 finds one
object per cell: when two centres share a cell, the first listed is the cell's object and
the others are left out of the loss (the captions say so). Predictor ties in IoU go to the
lower index. Predictions are ``boxes (S, S, B, 4)`` x, y (in the cell), w, h (of the image)
``confidence (S, S, B)`` and ``probs (S, S, C)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from algorithms.base import Snapshot, frozen, num, param, plural, validate
from algorithms.nms import iou

TERMS = ("x, y", "√w, √h", "objectness", "no object", "classes")
XY, WH, OBJ, NOOBJ, CLS = range(5)
TARGETS = ("IoU", "1")


@dataclass(frozen=True)
class Params:
    grid: int = param(4, limits=(1, 12), label="S (grid)",
                      tip="the image is cut into S × S cells; the cell holding an object's "
                          "centre must find it")
    boxes: int = param(2, limits=(1, 4), label="B (boxes per cell)",
                       tip="how many boxes each cell predicts; the one overlapping the object "
                           "most (highest IoU) is responsible for it")
    lambda_coord: float = param(5.0, limits=(0.0, 20.0), step=0.5, label="λcoord",
                                tip="weight of the box-position and box-size errors "
                                    "(5 in the paper)")
    lambda_noobj: float = param(0.5, limits=(0.0, 5.0), step=0.1, label="λnoobj",
                                tip="weight of the confidence of predictors with no object "
                                    "(0.5 in the paper): most cells are empty")
    target: str = param("IoU", values=TARGETS, label="objectness target",
                        tip="what a responsible predictor's confidence should be: the IoU "
                            "of its box with the object (the paper) or simply 1")


@dataclass(frozen=True)
class Predictions:
    boxes: np.ndarray       # (S, S, B, 4) x, y relative to the cell; w, h relative to the image
    confidence: np.ndarray  # (S, S, B)
    probs: np.ndarray       # (S, S, C)


@dataclass(frozen=True)
class Loss:
    owner: np.ndarray        # (S, S) the object each cell must find, -1 if none
    responsible: np.ndarray  # (S, S) its responsible predictor, -1 if none
    ious: np.ndarray         # (S, S, B) each predictor's IoU with its cell's object (0: none)
    terms: np.ndarray        # (S, S, 5) each cell's share of each term (weights included)
    left_out: np.ndarray     # objects not counted: another object's centre is in their cell

    @property
    def totals(self) -> np.ndarray:
        return self.terms.sum(axis=(0, 1))

    @property
    def cells(self) -> np.ndarray:
        return self.terms.sum(axis=2)

    @property
    def total(self) -> float:
        return float(self.terms.sum())


@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    cell: tuple[int, int]      # (row, column) done in this step; (-1, -1) at start and end
    owner: int                 # the object of that cell, -1 if none
    responsible: int           # its responsible predictor, -1 if none
    ious: np.ndarray           # (B,) the cell's predictors' IoU with its object
    terms: np.ndarray          # (5,) what this cell added to each term
    totals: np.ndarray         # (5,) running totals of the terms after this cell
    visited: np.ndarray        # (S, S) bool: cells added so far
    loss: Loss                 # the whole loss (one object shared by every step)


# --- checks -------------------------------------------------------------------------------
def check_truths(truths, classes: int) -> np.ndarray:
    """Ground truth as float (m, 5) rows cx, cy, w, h, class, or ValueError."""
    try:
        t = np.asarray(truths, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("ground-truth boxes must be numbers: cx, cy, w, h, class") from None
    if t.size == 0:
        return np.zeros((0, 5))
    if t.ndim != 2 or t.shape[1] != 5:
        raise ValueError(f"ground-truth boxes must be rows of cx, cy, w, h, class; "
                         f"got shape {t.shape}")
    if not np.isfinite(t).all():
        raise ValueError("ground-truth boxes contain NaN or infinite values")
    if ((t[:, :2] < 0) | (t[:, :2] > 1)).any():
        raise ValueError("a ground-truth box's centre must lie on the image (0 to 1)")
    if ((t[:, 2:4] <= 0) | (t[:, 2:4] > 1)).any():
        raise ValueError("a ground-truth box's width and height must be above 0 and at most 1")
    if (t[:, 4] != np.round(t[:, 4])).any() or ((t[:, 4] < 0) | (t[:, 4] >= classes)).any():
        raise ValueError(f"a ground-truth class must be a whole number from 0 to {classes - 1}")
    return t


def check_predictions(pred: Predictions, grid: int, boxes: int) -> None:
    b, c, p = (np.asarray(a, dtype=float) for a in (pred.boxes, pred.confidence, pred.probs))
    if b.shape != (grid, grid, boxes, 4) or c.shape != (grid, grid, boxes) or \
            p.ndim != 3 or p.shape[:2] != (grid, grid) or p.shape[2] < 1:
        raise ValueError(f"predictions must be {grid} × {grid} cells of "
                         f"{plural(boxes, 'box', 'boxes')} and class probabilities; got boxes "
                         f"of shape {b.shape} and probabilities of shape {p.shape}")
    if not (np.isfinite(b).all() and np.isfinite(c).all() and np.isfinite(p).all()):
        raise ValueError("predictions contain NaN or infinite values")
    if (b[..., 2:] < 0).any():
        raise ValueError("a predicted width or height is negative (its square root is "
                         "undefined)")


# --- geometry -----------------------------------------------------------------------------
def cell_of(cx: float, cy: float, grid: int) -> tuple[int, int]:
    """(row, column) of the cell holding the point (cx, cy)."""
    return min(int(cy * grid), grid - 1), min(int(cx * grid), grid - 1)


def to_image(boxes: np.ndarray) -> np.ndarray:
    """(S, S, B, 4) cell-relative predictions as image-relative cx, cy, w, h."""
    grid = boxes.shape[0]
    rows, cols = np.meshgrid(np.arange(grid), np.arange(grid), indexing="ij")
    out = np.array(boxes, dtype=float)
    out[..., 0] = (cols[..., None] + out[..., 0]) / grid
    out[..., 1] = (rows[..., None] + out[..., 1]) / grid
    return out


def corner_form(centred: np.ndarray) -> np.ndarray:
    """cx, cy, w, h → x, y (top-left), w, h (nms.iou's form)."""
    c = np.array(centred, dtype=float)[..., :4]
    c[..., :2] -= c[..., 2:] / 2
    return c


# --- the loss -----------------------------------------------------------------------------
def yolo_loss(truths, pred: Predictions, params: Params) -> Loss:
    """The whole loss at once: each cell's share of each term."""
    validate(params)
    grid, nb = params.grid, params.boxes
    check_predictions(pred, grid, nb)
    truths = check_truths(truths, pred.probs.shape[2])
    owner = np.full((grid, grid), -1)
    left_out = []
    for k, (cx, cy) in enumerate(truths[:, :2]):
        r, c = cell_of(cx, cy, grid)
        if owner[r, c] >= 0:
            left_out.append(k)
        else:
            owner[r, c] = k
    boxes = np.asarray(pred.boxes, dtype=float)
    conf = np.asarray(pred.confidence, dtype=float)
    probs = np.asarray(pred.probs, dtype=float)
    placed = to_image(boxes)
    responsible = np.full((grid, grid), -1)
    ious = np.zeros((grid, grid, nb))
    terms = np.zeros((grid, grid, 5))
    for r, c in zip(*np.nonzero(owner >= 0), strict=True):
        t = truths[owner[r, c]]
        ious[r, c] = iou(corner_form(t), corner_form(placed[r, c]))
        j = int(np.argmax(ious[r, c]))
        responsible[r, c] = j
        tx, ty = t[0] * grid - c, t[1] * grid - r
        x, y, w, h = boxes[r, c, j]
        terms[r, c, XY] = params.lambda_coord * ((tx - x) ** 2 + (ty - y) ** 2)
        terms[r, c, WH] = params.lambda_coord * ((np.sqrt(t[2]) - np.sqrt(w)) ** 2
                                                 + (np.sqrt(t[3]) - np.sqrt(h)) ** 2)
        target = ious[r, c, j] if params.target == "IoU" else 1.0
        terms[r, c, OBJ] = (target - conf[r, c, j]) ** 2
        onehot = np.zeros(probs.shape[2])
        onehot[int(t[4])] = 1.0
        terms[r, c, CLS] = float(((onehot - probs[r, c]) ** 2).sum())
    idle = np.ones((grid, grid, nb), bool)
    rs, cs = np.nonzero(responsible >= 0)
    idle[rs, cs, responsible[rs, cs]] = False
    terms[..., NOOBJ] = params.lambda_noobj * (np.where(idle, conf, 0.0) ** 2).sum(axis=2)
    return Loss(frozen(owner), frozen(responsible), frozen(ious), frozen(terms),
                frozen(np.array(left_out, dtype=int)))


# --- a toy predictor ----------------------------------------------------------------------
def toy_predictions(truths, params: Params, classes: int, rng: np.random.Generator,
                    jitter: float = 0.15) -> Predictions:
    """A deterministic stand-in for a network: in a cell with an object one predictor (at
    random) is the object's box jittered by `jitter` of its size, the others are random
    boxes; confidences are high where an object is and low elsewhere; class probabilities
    lean to the right class in object cells."""
    grid, nb = params.grid, params.boxes
    truths = check_truths(truths, classes)
    boxes = np.column_stack([rng.uniform(0.1, 0.9, (grid * grid * nb, 2)),
                             rng.uniform(0.05, 0.3, (grid * grid * nb, 2))]
                            ).reshape(grid, grid, nb, 4)
    conf = rng.uniform(0.0, 0.3, (grid, grid, nb))
    logits = rng.normal(0.0, 1.0, (grid, grid, classes))
    seen = set()
    for cx, cy, w, h, k in truths:
        r, c = cell_of(cx, cy, grid)
        if (r, c) in seen:
            continue
        seen.add((r, c))
        j = int(rng.integers(nb))
        shake = rng.normal(0.0, jitter, 4) * np.array([w, h, w, h])
        x = np.clip((cx + shake[0]) * grid - c, 0.0, 1.0)
        y = np.clip((cy + shake[1]) * grid - r, 0.0, 1.0)
        boxes[r, c, j] = x, y, np.clip(w + shake[2], 0.02, 1.0), np.clip(h + shake[3], 0.02, 1.0)
        conf[r, c, j] = rng.uniform(0.5, 0.95)
        logits[r, c, int(k)] += 3.0
    probs = np.exp(logits - logits.max(axis=2, keepdims=True))
    probs /= probs.sum(axis=2, keepdims=True)
    return Predictions(boxes, conf, probs)


def sample_truths(rng: np.random.Generator, n: int = 3, classes: int = 3) -> np.ndarray:
    """A few ground-truth boxes, cx, cy, w, h, class, inside the image."""
    w = rng.uniform(0.12, 0.45, n)
    h = rng.uniform(0.12, 0.45, n)
    cx = rng.uniform(w / 2, 1 - w / 2)
    cy = rng.uniform(h / 2, 1 - h / 2)
    return np.column_stack([cx, cy, w, h, rng.integers(classes, size=n)])


# --- stepwise -----------------------------------------------------------------------------
def run(truths, pred: Predictions, params: Params, rng: np.random.Generator | None = None
        ) -> Iterator[Step]:
    """A start step, one step per cell (row by row, top-left first), a done step. Objects
    and predictors are numbered from 1 in captions; rows and columns too."""
    del rng
    loss = yolo_loss(truths, pred, params)
    truths = check_truths(truths, pred.probs.shape[2])
    grid, nb = params.grid, params.boxes
    conf = np.asarray(pred.confidence, dtype=float)
    visited = np.zeros((grid, grid), bool)
    totals = np.zeros(5)
    no_ious, no_terms = frozen(np.zeros(nb)), frozen(np.zeros(5))
    index = 0

    def snap(phase, caption, cell=(-1, -1), ious=no_ious, terms=no_terms):
        nonlocal index
        metrics = {name: float(v) for name, v in zip(TERMS, totals, strict=True)}
        metrics["total"] = float(totals.sum())
        r, c = cell
        step = Step(index=index, phase=phase, caption=caption, metrics=metrics, cell=cell,
                    owner=int(loss.owner[r, c]) if r >= 0 else -1,
                    responsible=int(loss.responsible[r, c]) if r >= 0 else -1,
                    ious=ious, terms=terms, totals=frozen(totals), visited=frozen(visited),
                    loss=loss)
        index += 1
        return step

    owned = int((loss.owner >= 0).sum())
    caption = (f"{plural(len(truths), 'object')} on a {grid} × {grid} grid; "
               f"{plural(owned, 'cell')} must find one, {plural(grid * grid - owned, 'cell')} "
               f"should see nothing. Each cell predicts {plural(nb, 'box', 'boxes')}.")
    if loss.left_out.size:
        names = ", ".join(str(k + 1) for k in loss.left_out)
        caption += (f" Left out: object {names} (another object's centre is in the same "
                    "cell, and YOLO v1 finds one object per cell).")
    yield snap("start", caption)
    for r in range(grid):
        for c in range(grid):
            terms = loss.terms[r, c]
            totals = totals + terms
            visited[r, c] = True
            caption = _cell_caption(r, c, loss, conf, params)
            caption += f" Running total {num(totals.sum(), 4)}."
            yield snap("cell", caption, (r, c), frozen(loss.ious[r, c]), frozen(terms))
    parts = ", ".join(f"{name} {num(v, 3)}" for name, v in zip(TERMS, totals, strict=True))
    yield snap("done", f"Done: the loss is {num(totals.sum(), 4)} = {parts}.")


def _cell_caption(r: int, c: int, loss: Loss, conf: np.ndarray, params: Params) -> str:
    where = f"Cell (row {r + 1}, column {c + 1})"
    terms = loss.terms[r, c]
    k = int(loss.owner[r, c])
    if k < 0:
        squares = " + ".join(f"{num(v, 2)}²" for v in conf[r, c])
        return (f"{where} holds no object centre, so its confidences should be 0: "
                f"λnoobj × ({squares}) = {num(params.lambda_noobj, 3)} × "
                f"{num(float((conf[r, c] ** 2).sum()), 3)} = {num(terms[NOOBJ], 3)}.")
    j = int(loss.responsible[r, c])
    ious = loss.ious[r, c]
    if len(ious) > 1:
        others = ", ".join(num(v, 2) for i, v in enumerate(ious) if i != j)
        chosen = (f"predictor {j + 1} overlaps it most (IoU {num(ious[j], 2)}; the others "
                  f"{others}), so it is responsible")
    else:
        chosen = f"its one predictor is responsible (IoU {num(ious[j], 2)})"
    text = (f"{where} holds object {k + 1}'s centre; {chosen}. It adds x, y "
            f"{num(terms[XY], 3)}, √w, √h {num(terms[WH], 3)}, objectness "
            f"({num(ious[j] if params.target == 'IoU' else 1.0, 2)} − "
            f"{num(conf[r, c, j], 2)})² = {num(terms[OBJ], 3)}, classes {num(terms[CLS], 3)}")
    if len(ious) > 1:
        text += f", no object (the other predictors' confidences) {num(terms[NOOBJ], 3)}"
    return text + f"; this cell: {num(terms.sum(), 3)}."
