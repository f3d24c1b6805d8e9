"""Keys that always work: the transport keys reach the player whatever has focus, unless
a text field is being edited.

A field is being edited from the moment it takes focus until Enter commits it, Esc puts
its old text back, or the user clicks anywhere else (a Play button, the heading, the
canvas): each of these ends the editing and hands the keys back to the transport. So after
changing a parameter, Space plays instead of typing a blank into the field.

Qt asks the focused widget first whether it wants a key that is also a shortcut (a
ShortcutOverride event); a text field says yes to Space and the arrows. This filter answers
for it: no, unless it is being edited.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

Key = QtCore.Qt.Key
MOUSE_PRESS = QtCore.QEvent.Type.MouseButtonPress
OVERRIDE = QtCore.QEvent.Type.ShortcutOverride
KEY_PRESS = QtCore.QEvent.Type.KeyPress
WATCHED = frozenset({MOUSE_PRESS, OVERRIDE, KEY_PRESS})
TRANSPORT_KEYS = {Key.Key_Space, Key.Key_Left, Key.Key_Right, Key.Key_PageUp,
                  Key.Key_PageDown, Key.Key_Home, Key.Key_F5, Key.Key_F11, Key.Key_Escape}
COMMIT_KEYS = {Key.Key_Return, Key.Key_Enter}


def editable(widget) -> QtWidgets.QWidget | None:
    """The text-editing widget that `widget` is, or lies inside; None for anything else."""
    while widget is not None:
        if isinstance(widget, QtWidgets.QAbstractSpinBox):
            return widget
        if isinstance(widget, QtWidgets.QLineEdit) and not widget.isReadOnly():
            parent = widget.parentWidget()
            if isinstance(parent, QtWidgets.QAbstractSpinBox):
                return parent
            if isinstance(parent, QtWidgets.QComboBox) and parent.isEditable():
                return parent
            return widget
        if isinstance(widget, (QtWidgets.QTextEdit, QtWidgets.QPlainTextEdit)):
            return None if widget.isReadOnly() else widget
        widget = widget.parentWidget() if isinstance(widget, QtWidgets.QWidget) else None
    return None


def text_of(widget) -> str:
    if isinstance(widget, QtWidgets.QAbstractSpinBox):
        return widget.lineEdit().text()
    if isinstance(widget, QtWidgets.QComboBox):
        return widget.currentText()
    if isinstance(widget, QtWidgets.QLineEdit):
        return widget.text()
    return widget.toPlainText()


def set_text(widget, text: str) -> None:
    if isinstance(widget, QtWidgets.QAbstractSpinBox):
        widget.lineEdit().setText(text)
    elif isinstance(widget, QtWidgets.QComboBox):
        widget.setEditText(text)
    elif isinstance(widget, QtWidgets.QLineEdit):
        widget.setText(text)
    else:
        widget.setPlainText(text)


class KeyRouter(QtCore.QObject):
    """Installed on the application; `home` is the widget that gets the keys back."""

    def __init__(self, window: QtWidgets.QMainWindow, home: QtWidgets.QWidget):
        super().__init__(window)
        self.window, self.home = window, home
        self.editing: QtWidgets.QWidget | None = None
        self.original = ""
        QtWidgets.QApplication.instance().installEventFilter(self)
        QtWidgets.QApplication.instance().focusChanged.connect(self._focus_changed)

    def _focus_changed(self, _old, new) -> None:
        field = editable(new)
        if field is not None and field is not self.editing:
            self.editing, self.original = field, text_of(field)
        elif field is None:
            self.editing = None

    def done(self, restore: bool = False) -> None:
        """End the editing: put the old text back if asked, and give the keys back."""
        field, self.editing = self.editing, None
        if field is not None:
            if restore:
                set_text(field, self.original)
            field.clearFocus()
        self.home.setFocus(QtCore.Qt.OtherFocusReason)

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind not in WATCHED:   # most events: looked at every frame, so decided at once
            return False
        if kind == MOUSE_PRESS and self.editing is not None:
            if isinstance(obj, QtWidgets.QWidget) and editable(obj) is not self.editing \
                    and obj.window() is self.window:
                self.done()  # a click elsewhere commits the field, as leaving it does
            return False
        if kind == MOUSE_PRESS:
            return False
        if not isinstance(obj, QtWidgets.QWidget) or obj.window() is not self.window:
            return False
        key, mods = event.key(), event.modifiers()
        if self.editing is not None:
            if kind == OVERRIDE and key == Key.Key_Escape:
                event.accept()  # Esc belongs to the field: no shortcut, a key press follows
                return True
            if kind == KEY_PRESS and key == Key.Key_Escape:
                self.done(restore=True)
                return True
            if kind == KEY_PRESS and key in COMMIT_KEYS:
                QtCore.QTimer.singleShot(0, self.done)  # after the field has taken the value
            return False  # every other key belongs to the field being edited
        plain = mods in (QtCore.Qt.NoModifier, QtCore.Qt.KeypadModifier)
        # Eaten before the widget can accept it, so the window's shortcut fires instead.
        return kind == OVERRIDE and key in TRANSPORT_KEYS and plain
