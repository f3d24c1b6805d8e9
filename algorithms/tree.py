"""Decision trees grown one split at a time (CART: gini or entropy; squared error for boosting).

Every step splits one leaf in two. The split is the one scikit-learn's exhaustive
("best") splitter would choose: for each feature the node's points are sorted, every
midpoint between two neighbouring distinct values is a candidate threshold, and the
class counts on each side come from one cumulative sum, so a whole feature is scanned
with a handful of array operations. ``x[feature] <= threshold`` goes left.

Order of growth. Which leaf is split next does not change the finished tree (each split
depends only on the points in its own node), so the order is chosen for teaching. The
default is *best first*: the waiting leaf whose best split removes the most impurity from
the whole tree (its gain × its share of the points) goes next. The boundary sharpens
fastest, the early steps show the splits that matter, and stopping at any step leaves the
best tree of that many leaves. Depth first would follow one branch to the bottom while
the rest of the picture stands still; *level by level* (breadth first) is offered as the
alternative, for classes that want to see the depth limit fill in row by row.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from algorithms.base import Snapshot, frozen, num, param, plural, validate

CRITERIA = ("gini", "entropy")
ORDERS = ("best first", "level by level")
REGRESSION = "squared_error"
EPSILON = np.finfo(float).eps   # a node this pure is pure (scikit-learn's rule)
UNLIMITED = 2**31 - 1          # "no depth limit"


@dataclass(frozen=True)
class Params:
    criterion: str = param("gini", values=CRITERIA,
                           tip="impurity the splits reduce: gini = 1 − Σ p², "
                               "entropy = −Σ p·log₂ p")
    max_depth: int = param(5, limits=(1, 20), label="max depth",
                           tip="nodes this deep are not split")
    min_samples_leaf: int = param(1, limits=(1, 200), label="min points per leaf",
                                  tip="a split must leave at least this many points on "
                                      "each side")
    order: str = param("best first", values=ORDERS, label="order of splits",
                       tip="best first: the split that removes the most impurity next; "
                           "level by level: all of one depth before the next")


# --- the tree ------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Tree:
    """An immutable binary tree, one row per node (node 0 is the root).

    A node ``i`` with ``feature[i] >= 0`` sends a point with ``x[feature[i]] <= threshold[i]``
    to ``left[i]`` and the others to ``right[i]``; a leaf has ``feature == -1``,
    ``threshold == nan`` and children ``-1``. ``box[i]`` is the node's region of feature
    space: ``box[i, 0] < x <= box[i, 1]`` feature by feature, with ±inf where unbounded.
    Classifiers: ``value`` holds the class probabilities of each node (weighted class
    fractions) and ``counts`` the number of training points of each class. Regression
    trees: ``value[:, 0]`` is the node's prediction and ``counts`` has no columns.
    """

    feature: np.ndarray     # (m,) int
    threshold: np.ndarray   # (m,) float
    left: np.ndarray        # (m,) int
    right: np.ndarray       # (m,) int
    parent: np.ndarray      # (m,) int; -1 at the root
    depth: np.ndarray       # (m,) int; 0 at the root
    n_samples: np.ndarray   # (m,) int: training points in the node
    weight: np.ndarray      # (m,) float: their total sample weight
    counts: np.ndarray      # (m, K) int (classification) or (m, 0)
    value: np.ndarray       # (m, K) class probabilities, or (m, 1) regression predictions
    impurity: np.ndarray    # (m,) float
    box: np.ndarray         # (m, 2, d) float
    classes: np.ndarray | None   # (K,) class labels; None for a regression tree
    criterion: str

    @property
    def n_nodes(self) -> int:
        return len(self.feature)

    @property
    def is_leaf(self) -> np.ndarray:
        return self.feature < 0

    @property
    def leaves(self) -> np.ndarray:
        return np.flatnonzero(self.feature < 0)

    @property
    def max_depth(self) -> int:
        return int(self.depth.max())

    def apply(self, X) -> np.ndarray:
        """(n,) the leaf each row of X lands in, all rows routed together level by level."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.box.shape[2]:
            raise ValueError(f"the tree was grown on {self.box.shape[2]} features; "
                             f"got points of shape {X.shape}")
        node = np.zeros(len(X), dtype=np.intp)
        if self.feature[0] < 0:
            return node
        feature, threshold, left, right = self.feature, self.threshold, self.left, self.right
        flat, d = X.ravel(), X.shape[1]
        active = np.arange(len(X))
        while active.size:
            at = node[active]
            go_left = flat[active * d + feature[at]] <= threshold[at]
            nxt = np.where(go_left, left[at], right[at])
            node[active] = nxt
            active = active[feature[nxt] >= 0]
        return node

    def predict_proba(self, X) -> np.ndarray:
        """(n, K) class probabilities: the weighted class fractions of each point's leaf."""
        if self.classes is None:
            raise TypeError("a regression tree has no class probabilities; use predict_value")
        return self.value[self.apply(X)]

    def predict(self, X) -> np.ndarray:
        """Class labels (the most probable class of each point's leaf), or regression values."""
        if self.classes is None:
            return self.predict_value(X)
        return self.classes[self.value.argmax(1)[self.apply(X)]]

    def predict_value(self, X) -> np.ndarray:
        """(n,) the value of each point's leaf (a regression tree's prediction)."""
        return self.value[self.apply(X), 0]

    def with_leaf_values(self, values) -> Tree:
        """The same tree predicting ``values[leaf]`` (one number per node) — boosting's
        Newton step replaces a regression tree's leaf means this way."""
        return dataclasses.replace(self, value=frozen(np.asarray(values)[:, None]))

    def rule(self, node: int) -> str:
        """The test at an inner node, e.g. 'x₂ ≤ 0.43'; '' at a leaf."""
        if self.feature[node] < 0:
            return ""
        return f"{feature_name(int(self.feature[node]))} ≤ {num(self.threshold[node], 3)}"

    def layout(self) -> np.ndarray:
        """(m, 2) positions for a diagram: leaves evenly spaced left to right (0, 1, …) in
        the order the splits put them, each inner node midway above its two children, and
        the second column the node's depth (draw it downwards)."""
        x = np.zeros(self.n_nodes)
        next_leaf = 0
        stack = [(0, False)]
        while stack:  # post-order walk without recursion (trees can be deep)
            node, children_done = stack.pop()
            if self.feature[node] < 0:
                x[node] = next_leaf
                next_leaf += 1
            elif children_done:
                x[node] = (x[self.left[node]] + x[self.right[node]]) / 2
            else:
                stack += [(node, True), (int(self.right[node]), False),
                          (int(self.left[node]), False)]
        return np.column_stack([x, self.depth])


def feature_name(j: int) -> str:
    """x₁, x₂, … (features are counted from 1 in what students read)."""
    digits = str(j + 1).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
    return f"x{digits}"


# --- data checks ---------------------------------------------------------------------------
def check_labelled(X, y, min_samples_leaf: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a labelled table; return (X as floats, class index of each row, classes)."""
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("the features must be numbers") from None
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError("a classifier needs a non-empty table of points (rows × features)")
    if not np.isfinite(X).all():
        raise ValueError("the features contain NaN or infinite values")
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"there are {len(X)} points but {y.size} labels: every point "
                         "needs exactly one label")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("the labels contain NaN or infinite values")
    classes, yk = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"every point is in class {classes[0]}: a classifier needs points "
                         "of at least two classes")
    if 2 * min_samples_leaf > len(X):
        raise ValueError(f"min points per leaf is {min_samples_leaf}, but there are only "
                         f"{len(X)} points: no split can leave {min_samples_leaf} on each side")
    return X, yk.astype(np.intp), classes


# --- split search --------------------------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    """How a tree is grown (the internal form of Params, shared with the ensembles)."""

    criterion: str = "gini"
    max_depth: int = UNLIMITED
    min_samples_leaf: int = 1
    max_features: int | None = None   # features drawn at random at each split; None: all
    order: str = "best first"

    @property
    def regression(self) -> bool:
        return self.criterion == REGRESSION


def _impurities(sums: list[np.ndarray], w: np.ndarray, criterion: str) -> np.ndarray:
    """Impurity of nodes with class weight totals ``sums[c]`` (or, for regression, the
    sums of w·y and w·y²) and total weight w — scikit-learn's formulas, in its order."""
    if criterion == "gini":
        sq = np.zeros_like(w)
        for s in sums:
            sq += s * s
        return 1.0 - sq / (w * w)
    if criterion == "entropy":
        out = np.zeros_like(w)
        for s in sums:
            p = s / w
            log_p = np.log(p, out=np.zeros_like(p), where=s > 0)   # 0·log 0 counts as 0
            out -= p * (log_p / np.log(2.0))
        return out
    total, squares = sums
    mean = total / w
    return squares / w - mean * mean


def node_impurity(target: np.ndarray, w: np.ndarray, n_classes: int, criterion: str) -> tuple:
    """(impurity, total weight, class weight sums or regression sums) of one node."""
    if criterion == REGRESSION:
        sums = [np.array(np.sum(w * target)), np.array(np.sum(w * target * target))]
    else:
        sums = [np.array(s) for s in np.bincount(target, weights=w, minlength=n_classes)]
    total = np.array(np.sum(w))
    return float(_impurities(sums, total, criterion)), float(total), sums


@dataclass(frozen=True)
class Search:
    """The best split of one node over the features it was allowed to try."""

    feature: int                # the winning feature
    threshold: float
    gain: float                 # impurity drop within the node
    thresholds: np.ndarray      # (c,) every candidate on the winning feature: midpoints
                                # between neighbouring distinct values
    gains: np.ndarray           # (c,) their gains; nan where a side has too few points
    feature_gains: np.ndarray   # (d,) best gain per feature (nan: not tried / none valid)
    feature_thresholds: np.ndarray  # (d,) the threshold of that best gain


def _midpoints(xs: np.ndarray, pos: np.ndarray, col) -> np.ndarray:
    """Thresholds between xs[pos] and xs[pos + 1]: the midpoint (halves first, so values
    near 1e308 cannot overflow), or xs[pos] when the two are neighbouring floats."""
    low, high = xs[pos, col], xs[pos + 1, col]
    mid = low / 2.0 + high / 2.0
    return np.where(mid >= high, low, mid)


def search_node(X: np.ndarray, target: np.ndarray, w: np.ndarray, n_classes: int,
                spec: Spec, parent_impurity: float,
                rng: np.random.Generator | None) -> Search | str:
    """Score every threshold of the features this node may try, all in one pass; return
    the best split, or why there is none: "same" (no tried feature has two distinct
    values) or "small" (no threshold leaves `min_samples_leaf` points on each side).
    The weights w must be positive.

    Each feature's values are sorted; the class weights on the left of each gap come from
    one cumulative sum down the sorted column, the right side is the total minus that.
    Features are visited in index order (all of them), or for a random forest in a random
    order until `max_features` non-constant ones were seen (scikit-learn's rule). The best
    threshold of a feature is the first of equal scores, and the best feature is the first
    visited of equal scores, as in scikit-learn.
    """
    m, d = X.shape
    if spec.max_features is None or spec.max_features >= d:
        visit, wanted = np.arange(d), d
    else:
        visit, wanted = rng.permutation(d), spec.max_features
    order = np.argsort(X, axis=0, kind="stable")
    xs = np.take_along_axis(X, order, 0)
    distinct = xs[1:] > xs[:-1]          # (m − 1, d): a gap between position p and p + 1
    varies = distinct.any(0)
    visit = [int(j) for j in visit if varies[j]][:wanted]   # constant ones do not count
    if not visit:
        return "same"
    cols = np.array(sorted(visit))
    order, xs, distinct = order[:, cols], xs[:, cols], distinct[:, cols]
    ws, ts = w[order], target[order]
    cum_w = np.cumsum(ws, axis=0)
    w_left = cum_w[:-1]
    w_total = cum_w[-1]
    w_right = w_total - w_left
    if spec.regression:
        cum_s, cum_q = np.cumsum(ws * ts, axis=0), np.cumsum(ws * ts * ts, axis=0)
        left = [cum_s[:-1], cum_q[:-1]]
        right = [cum_s[-1] - left[0], cum_q[-1] - left[1]]
    else:
        left, right = [], []
        for c in range(n_classes):
            cum_c = np.cumsum(np.where(ts == c, ws, 0.0), axis=0)
            left.append(cum_c[:-1])
            right.append(cum_c[-1] - cum_c[:-1])
    n_left = np.arange(1, m)[:, None]
    leaf = spec.min_samples_leaf
    valid = distinct & (n_left >= leaf) & (m - n_left >= leaf)
    imp_left = _impurities(left, w_left, spec.criterion)
    imp_right = _impurities(right, w_right, spec.criterion)
    if spec.regression:
        proxy = left[0] * left[0] / w_left + right[0] * right[0] / w_right
    else:   # scikit-learn's proxy: same argmax as the gain, computed its way
        proxy = -w_right * imp_right - w_left * imp_left
    gains = parent_impurity - (w_left / w_total) * imp_left - (w_right / w_total) * imp_right
    proxy = np.where(valid, proxy, -np.inf)
    gains = np.where(valid, gains, np.nan)
    best = proxy.argmax(0)               # per feature: the first of equal maxima
    scored = valid.any(0)
    at = np.arange(len(cols))
    feature_gains = np.full(d, np.nan)
    feature_thresholds = np.full(d, np.nan)
    feature_gains[cols[scored]] = gains[best, at][scored]
    feature_thresholds[cols[scored]] = _midpoints(xs, best, at)[scored]
    column = {j: i for i, j in enumerate(cols.tolist())}
    winner = None
    for i in (column[j] for j in visit):
        if scored[i] and (winner is None or proxy[best[i], i] > proxy[best[winner], winner]):
            winner = i
    if winner is None:
        return "small"
    gaps = np.flatnonzero(distinct[:, winner])
    return Search(int(cols[winner]), float(_midpoints(xs, best[winner], winner)),
                  float(gains[best[winner], winner]), _midpoints(xs, gaps, winner),
                  gains[gaps, winner], feature_gains, feature_thresholds)


# --- growing -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Split:
    """What one split did (the grower's record; tree.run turns it into a Step)."""

    node: int
    search: Search
    left: int
    right: int


class Grower:
    """Grows one tree, a split at a time. Mutable working state; `tree()` freezes it."""

    def __init__(self, X: np.ndarray, target: np.ndarray, spec: Spec, *,
                 sample_weight: np.ndarray | None = None, classes: np.ndarray | None = None,
                 rng: np.random.Generator | None = None):
        self.X, self.spec, self.rng = X, spec, rng
        self.classes = classes
        self.n_classes = 0 if spec.regression else len(classes)
        w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, float)
        self.target, self.w = target, w
        rows = np.flatnonzero(w > 0)     # a point of weight 0 is not in the tree at all
        d = X.shape[1]
        self.cols: dict[str, list] = {k: [] for k in (
            "feature", "threshold", "left", "right", "parent", "depth", "n_samples",
            "weight", "counts", "value", "impurity", "box")}
        self.rows: dict[int, np.ndarray] = {}       # points of each leaf still to be split
        self.searches: dict[int, Search] = {}
        self.stopped: dict[int, str] = {}           # why a leaf is final
        self.queue: list[tuple] = []
        root_box = np.array([np.full(d, -np.inf), np.full(d, np.inf)])
        self._add_node(rows, -1, 0, root_box)
        self.splits = 0

    def _add_node(self, rows: np.ndarray, parent: int, depth: int, box: np.ndarray) -> int:
        node = len(self.cols["feature"])
        spec, target, w = self.spec, self.target[rows], self.w[rows]
        impurity, weight, sums = node_impurity(target, w, self.n_classes, spec.criterion)
        c = self.cols
        c["feature"].append(-1)
        c["threshold"].append(np.nan)
        c["left"].append(-1)
        c["right"].append(-1)
        c["parent"].append(parent)
        c["depth"].append(depth)
        c["n_samples"].append(len(rows))
        c["weight"].append(weight)
        c["impurity"].append(impurity)
        c["box"].append(box)
        if spec.regression:
            c["counts"].append(np.zeros(0, np.intp))
            c["value"].append(np.array([float(sums[0]) / weight]))
        else:
            c["counts"].append(np.bincount(target, minlength=self.n_classes))
            c["value"].append(np.array([float(s) for s in sums]) / weight)
        n = len(rows)
        # scikit-learn's stopping rules; the reason kept for the caption is the plainest
        if impurity <= EPSILON:
            self.stopped[node] = "pure"
        elif depth >= spec.max_depth:
            self.stopped[node] = "depth"
        elif n < 2 * spec.min_samples_leaf:   # (n ≥ 2 here: one point is pure)
            self.stopped[node] = "small"
        else:
            search = search_node(self.X[rows], target, w, self.n_classes, spec, impurity,
                                 self.rng)
            if isinstance(search, str):
                self.stopped[node] = search
            else:
                self.rows[node] = rows
                self.searches[node] = search
                # level by level: shallowest first; best first: the largest drop of the
                # whole tree's impurity (gain × the node's weight) first; ties: oldest node
                first = depth if spec.order == "level by level" else -weight * search.gain
                heapq.heappush(self.queue, (first, node))
        return node

    @property
    def pending(self) -> np.ndarray:
        """Leaves that will still be split, in the order they will be."""
        return np.array([node for _, node in sorted(self.queue)], dtype=np.intp)

    def split_next(self) -> Split | None:
        """Split the next waiting leaf; None when no leaf can be split any more."""
        if not self.queue:
            return None
        _, node = heapq.heappop(self.queue)
        rows, search = self.rows.pop(node), self.searches.pop(node)
        feature, threshold = search.feature, search.threshold
        goes_left = self.X[rows, feature] <= threshold
        box = self.cols["box"][node]
        left_box, right_box = box.copy(), box.copy()
        left_box[1, feature] = threshold
        right_box[0, feature] = threshold
        depth = self.cols["depth"][node] + 1
        left = self._add_node(rows[goes_left], node, depth, left_box)
        right = self._add_node(rows[~goes_left], node, depth, right_box)
        c = self.cols
        c["feature"][node], c["threshold"][node] = feature, threshold
        c["left"][node], c["right"][node] = left, right
        self.splits += 1
        return Split(node, search, left, right)

    def grow(self) -> Tree:
        while self.split_next() is not None:
            pass
        return self.tree()

    def tree(self) -> Tree:
        c = self.cols
        m, k = len(c["feature"]), self.n_classes
        return Tree(
            feature=_ints(c["feature"]), threshold=_floats(c["threshold"]),
            left=_ints(c["left"]), right=_ints(c["right"]), parent=_ints(c["parent"]),
            depth=_ints(c["depth"]), n_samples=_ints(c["n_samples"]),
            weight=_floats(c["weight"]), counts=_ints(c["counts"]).reshape(m, k),
            value=_floats(c["value"]).reshape(m, max(k, 1)),
            impurity=_floats(c["impurity"]), box=_floats(c["box"]),
            classes=None if self.classes is None else frozen(self.classes),
            criterion=self.spec.criterion)


def _ints(values) -> np.ndarray:
    return frozen(np.array(values, dtype=np.intp))


def _floats(values) -> np.ndarray:
    return frozen(np.array(values, dtype=float))


def fit(X, y, params: Params | None = None, *, sample_weight=None,
        max_features: int | None = None, rng: np.random.Generator | None = None) -> Tree:
    """The finished classification tree, without steps."""
    params = Params() if params is None else params
    validate(params)
    X, yk, classes = check_labelled(X, y, params.min_samples_leaf)
    spec = Spec(params.criterion, params.max_depth, params.min_samples_leaf, max_features)
    return Grower(X, yk, spec, sample_weight=sample_weight, classes=classes, rng=rng).grow()


# --- the stepwise run ----------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    """One split (phase "split"), or the root before any split ("root"), or the end ("done").

    ``tree`` is the whole tree after this step; ``model`` is the same object. The other
    fields describe the node split in this step; at "root" and "done" they describe the
    root and hold no candidates (``feature == -1``, empty ``thresholds``).
    """

    tree: Tree
    node: int                  # the node split in this step
    depth: int                 # its depth
    box: np.ndarray            # (2, d) its region: box[0] < x <= box[1], ±inf when open
    feature: int               # the feature it was split on (-1: none)
    threshold: float           # the winning threshold (nan: none)
    gain: float                # impurity drop of the split, within the node
    thresholds: np.ndarray     # (c,) every candidate threshold scanned on `feature`
    gains: np.ndarray          # (c,) their gains; nan where a side had too few points
    feature_gains: np.ndarray  # (d,) best gain on each feature (nan: no valid threshold)
    feature_thresholds: np.ndarray  # (d,) where each feature's best gain was found
    pending: np.ndarray        # ids of the leaves still to be split, next first
    accuracy: float            # training accuracy of the tree so far

    @property
    def model(self) -> Tree:
        return self.tree


def _class_counts(counts: np.ndarray) -> str:
    return " / ".join(f"{int(c):,}" for c in counts)


def _accuracy(tree: Tree) -> float:
    leaves = tree.leaves
    right = tree.counts[leaves, tree.value[leaves].argmax(1)].sum()
    return float(right / tree.n_samples[0])


def run(X, y, params: Params, rng: np.random.Generator | None = None) -> Iterator[Step]:
    """Yield the root, then one step per split, then a last step saying why growth stopped.

    X is (n, d) features, y the n class labels (any values). rng is unused (a tree with
    every feature tried at every split is deterministic); it is accepted for the contract.
    """
    validate(params)
    X, yk, classes = check_labelled(X, y, params.min_samples_leaf)
    spec = Spec(params.criterion, params.max_depth, params.min_samples_leaf,
                order=params.order)
    grower = Grower(X, yk, spec, classes=classes)   # every feature, every split: no rng
    d = X.shape[1]
    empty = frozen(np.zeros(0))
    no_gain = frozen(np.full(d, np.nan))
    name = params.criterion
    tree = grower.tree()

    def step(phase, caption, node, feature=-1, threshold=np.nan, gain=np.nan,
             thresholds=empty, gains=empty, feature_gains=no_gain, feature_thresholds=no_gain):
        accuracy = _accuracy(tree)
        # the root is step 0, split k is step k, and the closing step comes after the last
        index = grower.splits + (phase == "done")
        return Step(index=index, phase=phase, caption=caption,
                    metrics={"splits": grower.splits, "leaves": len(tree.leaves),
                             "depth": tree.max_depth, "train accuracy": accuracy,
                             **({} if np.isnan(gain) else {"gain": float(gain)})},
                    tree=tree, node=node, depth=int(tree.depth[node]),
                    box=tree.box[node], feature=feature, threshold=float(threshold),
                    gain=float(gain), thresholds=thresholds, gains=gains,
                    feature_gains=feature_gains, feature_thresholds=feature_thresholds,
                    pending=frozen(grower.pending), accuracy=accuracy)

    majority = classes[tree.value[0].argmax()]
    yield step("root", f"The root holds all {plural(len(X), 'point')} "
               f"({_class_counts(tree.counts[0])} by class), {name} "
               f"{num(tree.impurity[0], 3)}: for now every point is predicted class "
               f"{majority}.", 0)
    while (split := grower.split_next()) is not None:
        tree = grower.tree()
        search, node = split.search, split.node
        n_left, n_right = tree.n_samples[split.left], tree.n_samples[split.right]
        after = tree.impurity[node] - search.gain
        others = [j for j in range(d) if j != search.feature]
        rivals = "".join(f"; best on {feature_name(j)}: {num(search.feature_gains[j], 3)}"
                         if not np.isnan(search.feature_gains[j]) else
                         f"; no valid threshold on {feature_name(j)}" for j in others)
        caption = (f"Split {grower.splits}: node {node} (depth {tree.depth[node]}, "
                   f"{plural(int(tree.n_samples[node]), 'point')}) at "
                   f"{tree.rule(node)}, the best of "
                   f"{plural(int(np.isfinite(search.gains).sum()), 'threshold')}: {name} "
                   f"{num(tree.impurity[node], 3)} → {num(after, 3)}, gain "
                   f"{num(search.gain, 3)}{rivals}. Left {n_left:,} "
                   f"({_class_counts(tree.counts[split.left])}), right {n_right:,} "
                   f"({_class_counts(tree.counts[split.right])}).")
        yield step("split", caption, node, search.feature, search.threshold, search.gain,
                   frozen(search.thresholds), frozen(search.gains),
                   frozen(search.feature_gains), frozen(search.feature_thresholds))
    reasons = {"pure": "pure", "depth": f"at the depth limit {params.max_depth}",
               "small": f"too small for {params.min_samples_leaf} points on each side",
               "same": "made of identical points"}
    stopped = list(grower.stopped.values())
    why = ", ".join(f"{stopped.count(r):,} {text}" for r, text in reasons.items()
                    if stopped.count(r))
    yield step("done", f"Finished after {plural(grower.splits, 'split')}: "
               f"{plural(len(tree.leaves), 'leaf', 'leaves')} ({why}); training accuracy "
               f"{num(100 * _accuracy(tree), 3)}%.", 0)
