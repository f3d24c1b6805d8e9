"""What every classifier panel shares: labelled data, clicks that add points, regions.

A classifier panel subclasses `ClassifierPanel`: it gets the Data group (generated shapes
or a CSV with a label column), a main plot with the points (training filled, test hollow,
mistakes crossed), decision regions shaded in the background, and undoable clicks that
add a point of the chosen class (left) or delete the nearest one (right). With a model,
a small confusion matrix below the status box (top left) counts true × predicted classes on
the test points (the training points when there is no test set).
"""

from __future__ import annotations

import html
import threading

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import ensembles, labelled
from algorithms.base import frozen, plural
from visualizer.panels.base import AlgorithmPanel
from visualizer.panels.overlays import MARGIN, Legend, StatusBox, marker_sample
from visualizer.panels.scene import DisplayFrame, Scene2D, display_frame, shown
from visualizer.sources import TABLE, Generated, TableChoice, select_columns
from visualizer.style import INK, PALETTE, STYLE, colour

CONFUSION_TINT = 0.55   # a diagonal cell's class tint: stronger than any region's (≤ 0.42)
MISTAKE_CELL = "#f2b8b0"  # an off-diagonal cell that counts some points


def confusion(truth: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """(K, K) counts: row = true class, column = predicted class (labels 0 … K − 1)."""
    truth, predicted = np.asarray(truth, int), np.asarray(predicted, int)
    ok = (predicted >= 0) & (predicted < n_classes)
    return np.bincount(truth[ok] * n_classes + predicted[ok],
                       minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def best_columns(proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(argmax, max) of each row of an (n, K) array, the first of equals as np.argmax,
    worked column by column: numpy's reductions along a short last axis cost ~1.5 ms
    each on a 50,000-cell region grid, this a tenth of that."""
    proba = np.asarray(proba)
    n, k = proba.shape
    if k > 5:   # many columns: the plain reduction is as quick
        best = proba.argmax(axis=1)
        return best, proba.ravel()[np.arange(n) * k + best]
    top = proba[:, 0].copy()
    best = np.zeros(n, np.intp)
    for j in range(1, k):
        column = proba[:, j]
        better = column > top
        np.copyto(best, j, where=better)
        np.maximum(top, column, out=top)
    return best, top


def tint(c: str, strength: float) -> str:
    """A palette colour mixed with white, as '#rrggbb'."""
    q = pg.mkColor(c)
    mixed = [round(255 - (255 - v) * strength) for v in (q.red(), q.green(), q.blue())]
    return "#" + "".join(f"{v:02x}" for v in mixed)


def confusion_html(counts: np.ndarray, names, which: str) -> str:
    """The matrix as a small HTML table: rows the true class, columns the predicted one;
    the diagonal (right) tinted in the class colour, mistakes in a warm tint, and the
    corner saying which points are counted and how many are right."""
    short = [html.escape(str(n) if len(str(n)) <= 8 else str(n)[:7] + "…") for n in names]
    total, right = int(counts.sum()), int(np.trace(counts))
    share = f"{100 * right / total:.0f}%" if total else "—"
    corner = "true ↓<br/>pred →"
    head = "".join(f'<td align="center"><font color="{colour(j)}">■</font>{n}</td>'
                   for j, n in enumerate(short))
    rows = []
    for i, n in enumerate(short):
        cells = []
        for j in range(len(short)):
            v = int(counts[i, j])
            bg = (tint(PALETTE[i % len(PALETTE)], CONFUSION_TINT) if i == j else
                  MISTAKE_CELL if v else "#ffffff")
            cells.append(f'<td align="center" bgcolor="{bg}">&nbsp;{v}&nbsp;</td>')
        rows.append(f'<tr><td><font color="{colour(i)}">■</font>{n}</td>{"".join(cells)}</tr>')
    return (f'<table cellspacing="0" cellpadding="1" border="1">'
            f'<tr><td colspan="{len(short) + 1}">{which} {right}/{total} right ({share})'
            f'</td></tr><tr><td>{corner}</td>{head}</tr>{"".join(rows)}</table>')


def with_points(data: labelled.LabelledData, X, y, train) -> labelled.LabelledData:
    return labelled.LabelledData(X=frozen(np.asarray(X, float)), y=frozen(np.asarray(y)),
                                 names=data.names, train=frozen(np.asarray(train, bool)))


class MatrixBox(StatusBox):
    """The confusion matrix's box: top-left, just below the status box (the legend takes
    the bottom right, and a wide one reaches the bottom left of a narrow view)."""

    ROOM = (0.6, 0.5)   # at most this share of the view's width and height, else hidden

    def __init__(self, plot: pg.PlotItem, below: StatusBox):
        self.below = below
        self.wanted = False   # a matrix to show (it may still not fit)
        super().__init__(plot, "top-left", bold=False, opacity=235)

    def show(self, wanted: bool) -> None:
        self.wanted = wanted
        self._place()

    def set_html(self, html: str) -> None:
        """The same matrix again (most steps) is not laid out again."""
        if html != getattr(self, "_html", None):
            self._html = html
            # straight to the text item: TextItem.setHtml first compares with toHtml(),
            # which writes the whole document out again (never equal to ours anyway)
            self.item.textItem.setHtml(html)
            self.item.updateTextPos()
            self._place()

    def _place(self, *_):
        super()._place()
        status = self.below.item
        top = status.pos().y() + status.boundingRect().height() if status.isVisible() else 0
        self.item.setPos(self.item.pos().x(), top + MARGIN)
        size = self.item.boundingRect()
        fits = (size.width() <= self.ROOM[0] * self.vb.width()
                and top + size.height() <= self.ROOM[1] * self.vb.height())
        self.item.setVisible(self.wanted and fits)   # in a small view the plot comes first


class ClassifierPanel(AlgorithmPanel):
    topic = "Supervised learning"
    Data = labelled.Data
    accepts = (TABLE,)
    main_title = "Decision regions"
    show_confusion = True   # a panel (or a small plot in a grid) may turn the matrix off

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.data: labelled.LabelledData | None = None
        self.origin = ""
        self.added: list[tuple[float, float, int]] = []   # points added by hand, in order
        self._mistakes_key = None
        self.confusion: np.ndarray | None = None   # the matrix shown, (K, K) counts
        self.data_version = 0   # grows with every change of data: part of cache keys
        # one IncrementalPredictor (and its lock) for the region grid, one for the points
        self._ensemble_locks = {"grid": threading.Lock(), "points": threading.Lock()}
        self._ensemble_caches: dict[str, ensembles.IncrementalPredictor] = {}

    # --- building -----------------------------------------------------------------------
    def setup_main(self, canvas, row=0, col=0, rowspan=1):
        self.main = canvas.addPlot(row=row, col=col, rowspan=rowspan, title=self.main_title)
        self.main.setAspectLocked(True)
        self.click_plot = self.main
        self.scene = Scene2D(self.main, self.background, self.failed.emit)
        self.status = StatusBox(self.main, "top-left")
        self.legend = Legend(self.main.addLegend(offset=(-10, -10)),
                             width=lambda: self.main.vb.width() * 0.7)
        self.matrix = MatrixBox(self.main, self.status)
        canvas.installEventFilter(self)

    def eventFilter(self, watched, event):
        """A canvas closed without its session (a test, a torn-down window) has lost its
        items: results still on their way from the background must not reach them."""
        if event.type() == QtCore.QEvent.Close:
            self.background.close()
        return False

    def restyle(self):
        super().restyle()
        self.status.restyle()
        if getattr(self, "matrix", None) is not None:   # made by setup_main, if used
            self.matrix.restyle(round(STYLE.text_px * 0.85))
            self.matrix._place()
        self.scene.restyle()
        self._legend_entries()

    def legend_extra(self) -> list:
        """(sample, name) entries a panel adds before the common ones."""
        return []

    def _legend_entries(self):
        if self.data is None:
            return
        size = STYLE.marker_size
        entries = [*self.legend_extra(),
                   (marker_sample("o", "#ffffff", width=2, size=size), "test point (hollow)"),
                   (marker_sample("x", INK, width=2, size=size), "misclassified"),
                   *self.scene.cloud.legend_items()]
        self.legend.fill(entries, key=(id(self.data), len(entries)))

    # --- data ---------------------------------------------------------------------------
    def prepare(self, source):
        if isinstance(source, Generated):
            d = source.params
            return (labelled.generate(d, seed=self.seed), f"generated '{d.shape}'"), ""
        if isinstance(source, TableChoice):
            x, y, label = source.columns()
            if label is None:
                raise ValueError(f"{source.name}: a classifier needs a label column with "
                                 f"each point's class")
            X, truth, names = select_columns(source.table, x, y, label)
            if truth is None:
                raise ValueError(f"{source.name}: a classifier needs a label column with "
                                 f"each point's class")
            fraction = self.data_params.test_fraction if self.data_params else 0.25
            try:
                data = labelled.labelled(X, truth, names, fraction, self.seed)
            except ValueError as err:
                raise ValueError(f"{source.name}: {err}") from None
            # coordinates too large, too small or too far from 0 to draw (1e8 offsets,
            # 1e-6 spreads) are shifted and scaled by powers of ten, as k-means does;
            # the classifiers learn in these units and the axes say so
            frame = display_frame(data.X)
            if not frame.identity:
                data = with_points(data, shown(data.X, frame), data.y, data.train)
            said = (source.table.message or "").strip()
            if said and frame.note() and not said.endswith((".", "!", "?")):
                said += "."
            note = " ".join(m for m in (said, frame.note()) if m)
            return (data, source.name, frame), note
        return super().prepare(source)

    def adopt(self, prepared):
        """(data, origin) or (data, origin, display frame) from prepare()."""
        data, origin, *rest = prepared
        self.data, self.origin = data, origin
        self.frame: DisplayFrame = rest[0] if rest else DisplayFrame()
        self.added = []
        self.scene.frame = self.frame
        self._set_data(data)
        self.scene.label_axes("x₁", "x₂")
        self.scene.fit()

    def _set_data(self, data):
        self.data = data
        self.data_version += 1
        self.scene.set_points(data.X, data.y, list(data.names))
        self._mistakes_key = None
        self._legend_entries()

    @property
    def described(self) -> str:
        d = self.data
        added = f", {len(self.added)} added by hand" if self.added else ""
        return (f"{plural(len(d.y_train), 'training point')} and "
                f"{plural(len(d.y_test), 'test point')} ({self.origin}{added})")

    # --- drawing helpers ----------------------------------------------------------------
    def show_points(self, model=None, **kw):
        """Points in their true class colour, test points hollow; with a model, its
        mistakes crossed and the confusion matrix filled (worked out in the background,
        once per model)."""
        d = self.data
        self.scene.show(d.y, hollow=d.test, **kw)
        if model is None:
            self.scene.cross(None)
            self.show_matrix(None)
            self._mistakes_key = None
            return
        key = (id(model), id(d))
        if key == self._mistakes_key:
            return
        self._mistakes_key = key
        X = d.X

        def predict():   # a growing ensemble: only its new members, as for the regions
            proba = (self._ensemble_proba(model, X, "points")
                     if isinstance(model, ensembles.Ensemble) else None)
            return model.predict(X) if proba is None else model.classes[proba.argmax(1)]

        self.background.submit(("mistakes", id(self)), predict,
                               lambda predicted, key=key: self._crossed(key, predicted))

    def _crossed(self, key, predicted):
        if isinstance(predicted, Exception):
            self.failed.emit(predicted)
            return
        if key == self._mistakes_key:
            self.mark_mistakes(predicted)

    def mark_mistakes(self, predicted):
        """Cross the points whose prediction (one label per data point) is wrong and count
        them in the confusion matrix; None clears both."""
        d = self.data
        if predicted is None:
            self.scene.cross(None)
            self.show_matrix(None)
            return
        predicted = np.asarray(predicted)
        self.scene.cross(d.X[predicted != d.y])
        self.show_matrix(predicted)

    def show_matrix(self, predicted):
        """The confusion matrix of these predictions (one per data point) on the test
        points, or the training points without a test set; None hides it."""
        d = self.data
        if getattr(self, "matrix", None) is None:   # a panel that built no main plot
            return
        if predicted is None or not self.show_confusion or d is None:
            self.matrix.show(False)
            self.confusion = None
            return
        which = d.test if d.test.any() else d.train
        self.confusion = confusion(d.y[which], np.asarray(predicted)[which], len(d.names))
        self.matrix.set_html(confusion_html(self.confusion, d.names,
                                            "test" if d.test.any() else "train"))
        self.matrix.show(True)

    def shade(self, model, key=None):
        """Regions of `model` in the class colours, paler where it is less sure. A growing
        ensemble is evaluated on the grid incrementally: only its new members. `key` names
        the model's regions (default: the model object): models with the same key are not
        evaluated again."""
        if model is None:
            self.scene.shade(None)
            return
        incremental = isinstance(model, ensembles.Ensemble)

        def classify(grid):
            proba = self._ensemble_proba(model, grid) if incremental else None
            if proba is None:
                proba = model.predict_proba(grid)
            best, top = best_columns(proba)
            return model.classes[best], top

        self.scene.shade(classify, key=id(model) if key is None else key)

    def _ensemble_proba(self, model, points, slot="grid"):
        """predict_proba through the panel's IncrementalPredictor for `slot` when `points`
        are the ones it holds (other points start a new one); None when another worker is
        using it."""
        lock = self._ensemble_locks[slot]
        if not lock.acquire(blocking=False):
            return None
        try:
            cache = self._ensemble_caches.get(slot)
            if cache is None or cache.X.shape != points.shape or not np.array_equal(cache.X,
                                                                                     points):
                cache = self._ensemble_caches[slot] = ensembles.IncrementalPredictor(points)
            # The link (softmax …) on the summed scores column-major: its row maxima and
            # sums over 2–5 columns then run down contiguous columns, ~3× quicker on a
            # region grid (the same numbers as cache.predict_proba).
            raw = np.asfortranarray(cache.raw(model))
            return model.finish(raw, len(model.members))
        finally:
            lock.release()

    # --- clicks, by hand and undoable -------------------------------------------------
    def add_class(self) -> int:
        return int(getattr(self.params, "add_class", 1)) - 1

    def on_click(self, x, y, button):
        if button == QtCore.Qt.RightButton:
            self.delete_nearest(x, y)
        elif button == QtCore.Qt.LeftButton:
            self.add_point(x, y, self.add_class())

    def add_point(self, x, y, c):
        if c >= len(self.data.names):
            self.message.emit("error", f"this data has {len(self.data.names)} classes; "
                                       f"choose a class to add between 1 and "
                                       f"{len(self.data.names)}.")
            return
        self.edit(f"add a class {self.data.names[c]} point at ({x:.2f}, {y:.2f})",
                  lambda: self._append(x, y, c), self._pop)

    def _append(self, x, y, c):
        d = self.data
        self.added.append((float(x), float(y), int(c)))
        self._set_data(with_points(d, np.vstack([d.X, [x, y]]), np.append(d.y, c),
                                   np.append(d.train, True)))
        self.message.emit("info", f"Added a class {d.names[c]} training point at "
                                  f"({x:.2f}, {y:.2f}); the run starts again.")
        self.restart.emit()

    def _pop(self):
        d = self.data
        self.added.pop()
        self._set_data(with_points(d, d.X[:-1], d.y[:-1], d.train[:-1]))
        self.restart.emit()

    def delete_nearest(self, x, y):
        d = self.data
        if len(d.y) <= 2:
            return
        i = int(np.argmin(np.hypot(*(d.X - [x, y]).T)))
        point, label, train = d.X[i].copy(), int(d.y[i]), bool(d.train[i])
        keep = np.arange(len(d.y)) != i
        # which hand-made point (if any) this is, so hand_made() stays right after undo
        n0 = len(d.y) - len(self.added)
        hand = i - n0 if i >= n0 else None

        def remove():
            cur = self.data
            try:
                labelled.check(cur.X[keep], cur.y[keep], cur.names)
            except ValueError as err:
                self.message.emit("error", f"{err} — the point is kept.")
                return
            if hand is not None:
                self.added.pop(hand)
            self._set_data(with_points(cur, cur.X[keep], cur.y[keep], cur.train[keep]))
            self.restart.emit()

        def put_back():
            cur = self.data
            if len(cur.y) != len(keep) - 1:
                return
            X = np.insert(cur.X, i, point, axis=0)
            self._set_data(with_points(cur, X, np.insert(cur.y, i, label),
                                       np.insert(cur.train, i, train)))
            if hand is not None:
                self.added.insert(hand, (float(point[0]), float(point[1]), label))
            self.restart.emit()

        self.edit(f"delete the point at ({point[0]:.2f}, {point[1]:.2f})", remove, put_back)

    def hand_made(self):
        return {"added": [list(p) for p in self.added]} if self.added else {}

    def restore_hand_made(self, state):
        for x, y, c in state.get("added", []):
            if 0 <= int(c) < len(self.data.names):
                self._append(float(x), float(y), int(c))


def pen(colour=INK, width=None, style=QtCore.Qt.SolidLine):
    return pg.mkPen(colour, width=width or STYLE.line_width, style=style)
