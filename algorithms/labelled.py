"""Labelled 2-D data shared by every classifier panel: generated shapes, checks, the split.

A classifier learns from points whose class is known and is judged on points it never
saw. ``LabelledData`` holds both: the points ``X`` (n, 2), their class codes ``y`` (n,),
the class names, and a ``train`` mask; ``test`` is its complement. Every panel (KNN,
logistic regression, SVM, trees, ensembles, the comparison grid) reads the same value.

Generated shapes (``SHAPES``) follow ``algorithms.datasets``: about [-10, 10] on both
axes, shuffled, classes as even in size as the count allows, and ``noise`` is a standard
deviation in units of the figure's own size (see each generator).

The split is stratified: each class sends the same fraction of its points to the test
set (rounded), and keeps at least one point for training. Which points go is decided by
one random number per point, drawn in order from the seed, so a larger test fraction only
moves more points into the test set, and appending a point leaves the others' draws alone.

Limits: at least two classes among the points, at most ``MAX_CLASSES`` (10): each class
needs a region colour the eye can tell from the others, and a 10 × 10 confusion matrix is
the largest a student can read at a glance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from algorithms import datasets
from algorithms.base import frozen, param

MAX_CLASSES = 10
# Feature values are squared by every distance and kernel; beyond this they would overflow.
LARGEST_VALUE = 1e100
# A feature whose points all lie within this of each other (but are not all equal)
# cannot be told apart once squared: its differences underflow to zero.
SMALLEST_SPAN = 1e-100
SHAPES = ("blobs", "moons", "circles", "xor", "spirals", "linear")
MULTICLASS_SHAPES = ("blobs", "circles", "spirals")   # these honour ``classes``
MAX_GENERATED_CLASSES = 5
HALF = 8.0          # xor and linear fill the square [-HALF, HALF]²
SPIRAL_RADIUS = 8.0
SPIRAL_TURNS = 1.25
SPIRAL_START = 0.15  # arms start this fraction of the radius out, clear of the centre
NAMES = "ABCDEFGHIJ"


@dataclass(frozen=True)
class Data:
    """The "Data" group every classifier panel shows for generated data."""

    shape: str = param("moons", values=SHAPES,
                       tip="a generated data set; File ▸ Open data… loads a CSV instead")
    points: int = param(300, limits=(10, 20_000), step=50, tip="number of points")
    classes: int = param(2, limits=(2, MAX_GENERATED_CLASSES),
                         when=("shape", MULTICLASS_SHAPES),
                         tip="number of classes (moons, xor and linear always have two)")
    noise: float = param(0.15, limits=(0.0, 1.0), step=0.05,
                         tip="spread of the points around their shape, as a fraction of its size")
    test_fraction: float = param(0.25, limits=(0.0, 0.9), step=0.05, label="test fraction",
                                 tip="share of each class held back to test the classifier")


# --- generators: f(n_points, n_classes, noise, rng) -> (X, y) ------------------------------
def xor(n_points: int, n_classes: int, noise: float, rng: np.random.Generator):
    """The four quadrants of a square, diagonal quadrants sharing a class.

    Points are uniform within their quadrant (the classes, and the quadrants within each,
    as even in size as the count allows), then jittered by ``noise * HALF``. Class 0 holds
    the lower-left and upper-right quadrants: no single straight line separates the
    classes. ``n_classes`` is ignored.
    """
    n_points, _, noise = datasets._check(n_points, n_classes, noise)
    signs = ([[-1, -1], [1, 1]], [[1, -1], [-1, 1]])  # the quadrants of class 0, class 1
    pieces = []
    for quadrants, m in zip(signs, datasets.split(n_points, 2), strict=True):
        pieces.append(np.concatenate([np.multiply(s, rng.uniform(0, HALF, size=(q, 2)))
                                      for s, q in zip(quadrants, datasets.split(m, 2),
                                                      strict=True)]))
    pieces = [p + noise * HALF * rng.standard_normal(p.shape) for p in pieces]
    return datasets._finish(pieces, rng)


def spirals(n_points: int, n_classes: int, noise: float, rng: np.random.Generator):
    """Interleaved spiral arms, one per class, turning ``SPIRAL_TURNS`` times.

    Arm c starts at angle 2πc/classes; its radius grows in proportion to the angle turned.
    Positions along an arm are drawn so points are spread evenly along its length. The
    jitter's standard deviation is ``noise`` times the radial gap between neighbouring arms,
    so the arms blur into each other at about the same noise however many there are.
    """
    n_points, n_classes, noise = datasets._check(n_points, n_classes, noise)
    gap = SPIRAL_RADIUS / (SPIRAL_TURNS * n_classes)
    pieces = []
    for arm, m in enumerate(datasets.split(n_points, n_classes)):
        # arc length grows with t², so t = sqrt(uniform) spreads points evenly along it
        t = np.sqrt(rng.uniform(SPIRAL_START**2, 1.0, m))
        angle = 2 * np.pi * (SPIRAL_TURNS * t + arm / n_classes)
        arm_points = SPIRAL_RADIUS * t[:, None] * np.column_stack([np.cos(angle),
                                                                   np.sin(angle)])
        pieces.append(arm_points + noise * gap * rng.standard_normal((m, 2)))
    return datasets._finish(pieces, rng)


def linear(n_points: int, n_classes: int, noise: float, rng: np.random.Generator):
    """Two classes on either side of a random straight line through the square's middle.

    Points are uniform in the square; the line's direction is random and it passes through
    the median of the points along its normal, so the classes differ in size by at most
    one. Then each point is jittered by ``noise * HALF``, so near the line they mix.
    ``n_classes`` is ignored.
    """
    n_points, _, noise = datasets._check(n_points, n_classes, noise)
    angle = rng.uniform(0, 2 * np.pi)
    normal = np.array([np.cos(angle), np.sin(angle)])
    X = rng.uniform(-HALF, HALF, size=(n_points, 2))
    order = np.argsort(X @ normal, kind="stable")
    pieces = [X[order[: n_points // 2]], X[order[n_points // 2:]]]
    pieces = [p + noise * HALF * rng.standard_normal(p.shape) for p in pieces]
    return datasets._finish(pieces, rng)


GENERATORS = {
    "blobs": datasets.blobs,      # noise × 10 is each blob's standard deviation
    "moons": datasets.moons,      # noise × the moon radius (4)
    "circles": datasets.circles,  # noise × the outer ring's radius (8)
    "xor": xor,
    "spirals": spirals,
    "linear": linear,
}


def generate(data: Data, seed: int = 0) -> LabelledData:
    """The data set ``data`` describes, split, from a fresh generator seeded by ``seed``."""
    if data.shape not in GENERATORS:
        raise ValueError(f"unknown data set {data.shape!r}; choose one of: {', '.join(SHAPES)}")
    classes = data.classes if data.shape in MULTICLASS_SHAPES else 2
    if not 2 <= classes <= MAX_GENERATED_CLASSES:
        raise ValueError(f"generated data has 2 to {MAX_GENERATED_CLASSES} classes, "
                         f"got {classes}")
    X, y = GENERATORS[data.shape](data.points, classes, data.noise, np.random.default_rng(seed))
    return labelled(X, y, NAMES[:classes], data.test_fraction, seed)


# --- checks and the split ----------------------------------------------------------------
def check(X, y, names: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray,
                                                              tuple[str, ...]]:
    """Validate user data; return float X (n, 2), int64 codes y and one name per code.

    Without ``names`` the distinct label values become codes 0, 1, … in sorted order and
    their text the names; with ``names``, ``y`` must already be codes into it. Every
    problem raises ValueError with one sentence meant for the user.
    """
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("the features must be numbers") from None
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"the classifiers need exactly two feature columns, got an array "
                         f"of shape {X.shape}")
    n = len(X)
    if n < 2:
        raise ValueError(f"a classifier needs at least two points, got {n}")
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        raise ValueError(f"the features contain NaN or infinite values in "
                         f"{_rows(int(bad.sum()))}; remove or fill them first")
    largest = float(np.abs(X).max())
    if largest > LARGEST_VALUE:
        raise ValueError(f"feature values reach {largest:.3g}; beyond ±{LARGEST_VALUE:.0e} "
                         f"their squares overflow, so rescale the columns first")
    span = X.max(axis=0) - X.min(axis=0)
    if not span.any():
        raise ValueError("all points lie at the same place, so nothing tells the classes "
                         "apart")
    tiny = (span > 0) & (span < SMALLEST_SPAN)
    if tiny.any():
        raise ValueError(f"feature {int(np.argmax(tiny)) + 1} varies by only "
                         f"{float(span[tiny][0]):.3g}: too little to tell points apart, so "
                         f"rescale it first")
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"there must be one label per point: {n} points but labels of "
                         f"shape {y.shape}")
    if names is None:
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            raise ValueError("some labels are missing (NaN); remove those rows first")
        values, y = np.unique(y, return_inverse=True)
        names = tuple(_name(v) for v in values)
    else:
        names = tuple(str(s) for s in names)
        if y.dtype.kind == "f":
            if not np.isfinite(y).all() or (y != np.round(y)).any():
                raise ValueError("labels must be whole-number class codes")
        elif y.dtype.kind not in "iub":
            raise ValueError("labels must be whole-number class codes when names are given")
        if len(y) and (y.min() < 0 or y.max() >= len(names)):
            raise ValueError(f"label codes must lie between 0 and {len(names) - 1} "
                             f"({len(names)} class names)")
    y = np.asarray(y, dtype=np.int64).reshape(n)
    present = np.unique(y)
    if len(present) < 2:
        raise ValueError(f"all points are in one class ({names[present[0]]}); a classifier "
                         f"needs points of at least two classes")
    if len(present) > MAX_CLASSES:
        raise ValueError(f"the labels have {len(present)} classes; at most {MAX_CLASSES} can "
                         f"be told apart by colour, so pick a label column with fewer values")
    return X, y, names


def split_mask(y, test_fraction: float, seed: int = 0) -> np.ndarray:
    """Boolean train mask (n,): a stratified, seeded split.

    Class c with m points sends round(test_fraction · m) of them to the test set, but never
    all: at least one stays for training. The points sent are those of the class with the
    smallest of one uniform draw per point (drawn in order from ``seed``).
    """
    test_fraction = float(test_fraction)
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"the test fraction must be at least 0 and below 1, got "
                         f"{test_fraction}")
    y = np.asarray(y)
    draws = np.random.default_rng(seed).random(len(y))
    train = np.ones(len(y), dtype=bool)
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        n_test = min(round(test_fraction * len(members)), len(members) - 1)
        chosen = members[np.argsort(draws[members], kind="stable")[:n_test]]
        train[chosen] = False
    return train


def labelled(X, y, names: Sequence[str] | None = None, test_fraction: float = 0.25,
             seed: int = 0) -> LabelledData:
    """Check user (or generated) data and split it: the one way to make a LabelledData."""
    X, y, names = check(X, y, names)
    return LabelledData(X=frozen(X), y=frozen(y), names=names,
                        train=frozen(split_mask(y, test_fraction, seed)))


@dataclass(frozen=True, eq=False)
class LabelledData:
    """Points, their classes, and which of them the classifiers may learn from.

    ``y[i]`` is a code into ``names``. Some named classes may have no points (a drawn data
    set before its first point of that class); classifiers learn the classes present in
    the training points, as scikit-learn does, and say which in their model's ``classes``.
    Build it with ``labelled(...)`` or ``generate(...)``, which check it; arrays are read-only.
    """

    X: np.ndarray       # (n, 2) float64
    y: np.ndarray       # (n,) int64 codes into names
    names: tuple[str, ...]
    train: np.ndarray   # (n,) bool: True for a training point, False for a test point

    @cached_property
    def test(self) -> np.ndarray:
        return frozen(~self.train)

    @cached_property
    def X_train(self) -> np.ndarray:
        return frozen(self.X[self.train])

    @cached_property
    def y_train(self) -> np.ndarray:
        return frozen(self.y[self.train])

    @cached_property
    def X_test(self) -> np.ndarray:
        return frozen(self.X[self.test])

    @cached_property
    def y_test(self) -> np.ndarray:
        return frozen(self.y[self.test])

    @cached_property
    def train_index(self) -> np.ndarray:
        """Index into X of each training point: training point j is data point train_index[j]."""
        return frozen(np.flatnonzero(self.train))

    @property
    def n_classes(self) -> int:
        return len(self.names)

    def name(self, label: int) -> str:
        return self.names[int(label)]


def _rows(n: int) -> str:
    return f"{n:,} row" if n == 1 else f"{n:,} rows"


def _name(value) -> str:
    """Show 2.0 as "2": whole-number labels often arrive as floats."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


# --- what every classifier shares ---------------------------------------------------------
@dataclass(frozen=True)
class Scaling:
    """Standardisation learnt from the training points: x ↦ (x − mean) / scale.

    A feature with no spread keeps scale 1 (as scikit-learn's StandardScaler does), so it
    is only centred. ``Scaling.none(d)`` is the identity, used when the box is unticked.
    """

    mean: np.ndarray    # (d,)
    scale: np.ndarray   # (d,)

    @classmethod
    def fit(cls, X: np.ndarray) -> Scaling:
        std = X.std(axis=0)
        return cls(frozen(X.mean(axis=0)), frozen(np.where(std > 0, std, 1.0)))

    @classmethod
    def none(cls, d: int = 2) -> Scaling:
        return cls(frozen(np.zeros(d)), frozen(np.ones(d)))

    @property
    def identity(self) -> bool:
        return not self.mean.any() and bool((self.scale == 1).all())

    def apply(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        return X if self.identity else (X - self.mean) / self.scale


def scaling_for(X_train: np.ndarray, standardize: bool) -> Scaling:
    return Scaling.fit(X_train) if standardize else Scaling.none(X_train.shape[1])


def accuracy(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Share of predictions equal to the truth; NaN (shown as '—') when there are none."""
    return float(np.mean(predicted == truth)) if len(truth) else math.nan


def scores(model, data: LabelledData) -> dict[str, float]:
    """Train and test accuracy of ``model`` for a step's metrics (test only if there is one)."""
    out = {"train accuracy": accuracy(model.predict(data.X_train), data.y_train)}
    if len(data.y_test):
        out["test accuracy"] = accuracy(model.predict(data.X_test), data.y_test)
    return out

