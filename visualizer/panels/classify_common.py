"""What every classifier panel shares: labelled data, clicks that add points, regions.

A classifier panel subclasses `ClassifierPanel`: it gets the Data group (generated shapes
or a CSV with a label column), a main plot with the points (training filled, test hollow,
mistakes crossed), decision regions shaded in the background, and undoable clicks that
add a point of the chosen class (left) or delete the nearest one (right).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from algorithms import labelled
from algorithms.base import frozen, plural
from visualizer.panels.base import AlgorithmPanel
from visualizer.panels.overlays import Legend, StatusBox, marker_sample
from visualizer.panels.scene import Scene2D
from visualizer.sources import TABLE, Generated, TableChoice, select_columns
from visualizer.style import INK, STYLE


def with_points(data: labelled.LabelledData, X, y, train) -> labelled.LabelledData:
    return labelled.LabelledData(X=frozen(np.asarray(X, float)), y=frozen(np.asarray(y)),
                                 names=data.names, train=frozen(np.asarray(train, bool)))


class ClassifierPanel(AlgorithmPanel):
    topic = "Supervised learning"
    Data = labelled.Data
    accepts = (TABLE,)
    main_title = "Decision regions"

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.data: labelled.LabelledData | None = None
        self.origin = ""
        self.added: list[tuple[float, float, int]] = []   # points added by hand, in order
        self._mistakes_key = None

    # --- building -----------------------------------------------------------------------
    def setup_main(self, canvas, row=0, col=0, rowspan=1):
        self.main = canvas.addPlot(row=row, col=col, rowspan=rowspan, title=self.main_title)
        self.main.setAspectLocked(True)
        self.click_plot = self.main
        self.scene = Scene2D(self.main, self.background, self.failed.emit)
        self.status = StatusBox(self.main, "top-left")
        self.legend = Legend(self.main.addLegend(offset=(-10, -10)),
                             width=lambda: self.main.vb.width() * 0.7)
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
            return (data, source.name), source.table.message or ""
        return super().prepare(source)

    def adopt(self, prepared):
        data, origin = prepared
        self.data, self.origin = data, origin
        self.added = []
        self._set_data(data)
        self.scene.label_axes("x₁", "x₂")
        self.scene.fit()

    def _set_data(self, data):
        self.data = data
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
        mistakes crossed (worked out in the background, once per model)."""
        d = self.data
        self.scene.show(d.y, hollow=d.test, **kw)
        if model is None:
            self.scene.cross(None)
            self._mistakes_key = None
            return
        key = (id(model), id(d))
        if key == self._mistakes_key:
            return
        self._mistakes_key = key
        X, y = d.X, d.y
        self.background.submit(("mistakes", id(self)), lambda: X[model.predict(X) != y],
                               lambda wrong, key=key: self._crossed(key, wrong))

    def _crossed(self, key, wrong):
        if isinstance(wrong, Exception):
            self.failed.emit(wrong)
            return
        if key == self._mistakes_key:
            self.scene.cross(wrong)

    def shade(self, model):
        """Regions of `model` in the class colours, paler where it is less sure."""
        if model is None:
            self.scene.shade(None)
            return

        def classify(grid):
            proba = model.predict_proba(grid)
            best = np.argmax(proba, axis=1)
            return model.classes[best], proba[np.arange(len(grid)), best]

        self.scene.shade(classify, key=id(model))

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
