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
def test_nothing_is_clipped(qtbot, entry):
    """One window per panel, its text size and presentation mode changed as a teacher
    changes them: each change must leave the window whole."""
    window = MainWindow(entry.id)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    window.session.advance(6)
    for scale, presentation in SIZES:
        window.set_presentation(presentation)
        STYLE.set_scale(scale)
        where = f"{scale}× {'presenting' if presentation else 'in a window'}"
        # The window settles its layout over a few passes of the event loop (slower on a
        # loaded machine): it must be whole within 3 s.
        qtbot.waitUntil(lambda: check_whole(window, where), timeout=3000)  # noqa: B023
    window.set_presentation(False)
    STYLE.set_scale(1.0)


def check_whole(window, where: str) -> None:
    if not window.isFullScreen():
        assert window.width() <= 1280, f"{where}: the window grew off the screen"
    canvas = window.session.panel.canvas
    view = canvas.viewport().rect()
    layout = canvas.mapFromScene(canvas.ci.sceneBoundingRect()).boundingRect()
    assert inside(layout, view, 2), f"{where}: the plots {layout} overflow the canvas {view}"
    for plot in window.session.panel.plots():
        box = canvas.mapFromScene(plot.sceneBoundingRect()).boundingRect()
        assert inside(box, view, 2), f"{where}: a plot {box} is cut off by the canvas {view}"
        assert box.width() >= 120 and box.height() >= 90, f"{where}: plots keep a usable size"
        need = plot.effectiveSizeHint(QtCore.Qt.SizeHint.MinimumSize)
        assert plot.size().height() >= need.height() - 2, \
            f"{where}: a plot squeezed below its title, axes and labels overlaps its neighbours"
    central = window.centralWidget().rect()
    for widget in (window.caption_box, window.transport.position):
        if widget.isVisible():
            place = QtCore.QRect(widget.mapTo(window.centralWidget(), QtCore.QPoint(0, 0)),
                                 widget.size())
            assert inside(place, central), f"{where}: {widget.objectName() or widget} is cut off"
    label = window.transport.position
    if label.isVisible():
        assert label.width() >= label.fontMetrics().horizontalAdvance(label.text()), where
    if window.params_dock.isVisible():
        tree = window.controls.tree
        rows, walk = [], QtWidgets.QTreeWidgetItemIterator(tree)
        while walk.value() is not None:
            if not walk.value().isHidden():
                rows.append(tree.visualItemRect(walk.value()))
            walk += 1
        text = QtGui.QFontMetrics(QtWidgets.QApplication.font()).height()
        tall = [r for r in rows if r.height() > 0]
        assert all(r.height() >= text for r in tall), f"{where}: rows are as tall as their text"
        assert all(a.bottom() < b.top() + 1 for a, b in zip(tall, tall[1:], strict=False)), \
            f"{where}: rows overlap"
