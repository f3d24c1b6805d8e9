"""The line above the canvas that says what went wrong or what just happened, and the
metrics line under the caption."""

from __future__ import annotations

import math

from PySide6 import QtCore, QtWidgets

from algorithms.base import num

BANNER_COLOURS = {"error": ("#fbe3d6", "#D55E00"), "info": ("#dcecf7", "#0072B2")}


def format_metrics(metrics: dict) -> str:
    """'inertia <b>2,391</b> · changed <b>0</b>': numbers through num(), so no '-0' or
    'nan' (a value not defined yet is left out)."""
    parts = []
    for name, value in metrics.items():
        if isinstance(value, float) and math.isnan(value):
            continue
        if isinstance(value, float):
            shown = num(value) if abs(value) < 1e4 or not math.isfinite(value) else f"{value:,.0f}"
        else:
            shown = f"{value:,}"
        parts.append(f"{name.replace('_', ' ')} <b>{shown}</b>")
    return " &nbsp;·&nbsp; ".join(parts)


class Banner(QtWidgets.QFrame):
    """A dismissable note floating over the top of the canvas: what went wrong, or what
    just happened. It floats rather than taking a line of the layout, so showing it never
    moves the canvas (a second click lands where the first did)."""

    MARGIN = 8

    def __init__(self, parent=None):
        super().__init__(parent)
        if parent is not None:
            parent.installEventFilter(self)  # follow the canvas's size
        self.text = QtWidgets.QLabel()
        self.text.setWordWrap(True)
        close = QtWidgets.QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(10, 4, 4, 4)
        row.addWidget(self.text, 1)
        row.addWidget(close)
        self.level = ""
        self._timer = QtCore.QTimer(self, singleShot=True, interval=8000, timeout=self.hide)
        self.hide()

    def say(self, level: str, text: str) -> None:
        """Show `text` as "error" (stays) or "info" (fades); "clear" takes it away."""
        if level == "clear":
            self.hide()
            return
        fill, edge = BANNER_COLOURS[level]
        self.level = level
        self.setStyleSheet(f"Banner {{ background: {fill}; border: 2px solid {edge}; "
                           f"border-radius: 4px; }}")
        self.text.setText(("⚠ " if level == "error" else "") + text)
        self.show()
        self.place()
        self.raise_()
        self._timer.stop()
        if level == "info":
            self._timer.start()

    def place(self) -> None:
        """Across the top of the parent, as tall as the text needs."""
        parent = self.parentWidget()
        if parent is None:
            return
        width = max(200, parent.width() - 2 * self.MARGIN)
        self.setFixedWidth(width)
        self.setFixedHeight(self.heightForWidth(width) if self.hasHeightForWidth()
                            else self.sizeHint().height())
        self.move(self.MARGIN, self.MARGIN)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QtCore.QEvent.Type.Resize and self.isVisible():
            self.place()
        return False
