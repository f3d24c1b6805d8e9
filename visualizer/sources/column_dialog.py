"""Ask which CSV columns to plot: two numeric columns and, optionally, a label."""

from __future__ import annotations

from PySide6 import QtWidgets

NO_LABEL = "(none)"


class ColumnDialog(QtWidgets.QDialog):
    def __init__(self, table, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Choose columns")
        form = QtWidgets.QFormLayout(self)
        form.addRow(QtWidgets.QLabel(table.message))
        self.x, self.y, self.label = (QtWidgets.QComboBox() for _ in range(3))
        self.x.addItems(table.numeric_columns)
        self.y.addItems(table.numeric_columns)
        self.y.setCurrentIndex(1)
        self.label.addItems([NO_LABEL, *table.text_columns])
        if table.text_columns:
            self.label.setCurrentIndex(1)
        form.addRow("x (horizontal)", self.x)
        form.addRow("y (vertical)", self.y)
        form.addRow("label (shown as marker shape)", self.label)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Ok
                                             | QtWidgets.QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def columns(self) -> tuple[str, str, str | None]:
        label = self.label.currentText()
        return self.x.currentText(), self.y.currentText(), None if label == NO_LABEL else label


def ask_columns(table, parent=None):
    """The user's (x, y, label) choice, or None if cancelled. No question when obvious."""
    if len(table.numeric_columns) == 2 and not table.text_columns:
        return table.numeric_columns[0], table.numeric_columns[1], None
    dialog = ColumnDialog(table, parent)
    return dialog.columns() if dialog.exec() == QtWidgets.QDialog.Accepted else None
