"""Text that scales without breaking: at 1280 × 800, from normal text to twice its size and
in presentation mode, every panel keeps its plots whole, its caption and transport in the
window, and its parameter rows apart."""

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from visualizer import registry
from visualizer.main_window import MainWindow
from visualizer.style import STYLE

SIZES = [(1.0, False), (1.5, False), (2.0, False), (1.0, True), (1.5, True), (2.0, True)]


def inside(inner: QtCore.QRect, outer: QtCore.QRect, slack: int = 1) -> bool:
    return outer.adjusted(-slack, -slack, slack, slack).contains(inner)


@pytest.mark.parametrize("entry", registry.PANELS, ids=lambda e: e.id)
@pytest.mark.parametrize(("scale", "presentation"), SIZES,
                         ids=lambda v: f"{v}" if isinstance(v, float) else ("presenting" if v
                                                                            else "window"))
def test_nothing_is_clipped(qtbot, entry, scale, presentation):
    window = MainWindow(entry.id)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    if presentation:
        window.set_presentation(True)
    STYLE.set_scale(scale)
    window.session.advance(6)
    qtbot.wait(200)
    if not presentation:
        assert window.width() <= 1280, "the window did not grow off the screen"
    canvas = window.session.panel.canvas
    view = canvas.viewport().rect()
    layout = canvas.mapFromScene(canvas.ci.sceneBoundingRect()).boundingRect()
    assert inside(layout, view, 2), f"the plots {layout} overflow the canvas {view}"
    for plot in window.session.panel.plots():
        box = canvas.mapFromScene(plot.sceneBoundingRect()).boundingRect()
        assert inside(box, view, 2), f"a plot {box} is cut off by the canvas {view}"
        assert box.width() >= 120 and box.height() >= 90, "plots keep a usable size"
        need = plot.effectiveSizeHint(QtCore.Qt.SizeHint.MinimumSize)
        assert plot.size().height() >= need.height() - 2, \
            "a plot squeezed below its title, axes and labels: they overlap its neighbours"
    central = window.centralWidget().rect()
    for widget in (window.caption_box, window.transport.position):
        if widget.isVisible():
            where = QtCore.QRect(widget.mapTo(window.centralWidget(), QtCore.QPoint(0, 0)),
                                 widget.size())
            assert inside(where, central), f"{widget.objectName() or widget} is cut off"
    label = window.transport.position
    if label.isVisible():
        assert label.width() >= label.fontMetrics().horizontalAdvance(label.text())
    if window.params_dock.isVisible():
        tree = window.controls.tree
        rows, walk = [], QtWidgets.QTreeWidgetItemIterator(tree)
        while walk.value() is not None:
            if not walk.value().isHidden():
                rows.append(tree.visualItemRect(walk.value()))
            walk += 1
        text = QtGui.QFontMetrics(QtWidgets.QApplication.font()).height()
        tall = [r for r in rows if r.height() > 0]
        assert all(r.height() >= text for r in tall), "rows are as tall as their text"
        assert all(a.bottom() < b.top() + 1 for a, b in zip(tall, tall[1:], strict=False)), \
            "rows do not overlap"
    window.set_presentation(False)
