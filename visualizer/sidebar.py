"""The list of panels, grouped by topic, with a search box that filters it."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from visualizer import registry

ID = QtCore.Qt.UserRole
WORDS = QtCore.Qt.UserRole + 1  # everything the search box matches


class WrappingDelegate(QtWidgets.QStyledItemDelegate):
    """Rows as tall as their title needs at the sidebar's width: QTreeView wraps text
    only within the height its rows already have."""

    def sizeHint(self, option, index):
        hint = super().sizeHint(option, index)
        tree = self.parent()
        depth = 1 if index.parent().isValid() else 0
        width = tree.viewport().width() - tree.indentation() * (depth + 1) - 8
        text = index.data(QtCore.Qt.DisplayRole) or ""
        font = index.data(QtCore.Qt.FontRole) or option.font  # topics are bold
        needed = QtGui.QFontMetrics(font).boundingRect(0, 0, max(width, 40), 10_000,
                                                       int(QtCore.Qt.TextWordWrap), text)
        return QtCore.QSize(hint.width(), max(hint.height(), needed.height() + 4))


class PanelTree(QtWidgets.QTreeWidget):
    def resizeEvent(self, event):
        super().resizeEvent(event)
        self.doItemsLayout()  # re-ask every row's height for the new width


class Sidebar(QtWidgets.QWidget):
    chosen = QtCore.Signal(str)  # a panel id

    def __init__(self, parent=None):
        super().__init__(parent)
        self.search = QtWidgets.QLineEdit(placeholderText="Search algorithms…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter)
        self.tree = PanelTree()
        self.tree.setItemDelegate(WrappingDelegate(self.tree))
        self.tree.setHeaderHidden(True)
        # Long titles wrap onto a second line rather than end in "…": the sidebar is
        # narrow, and a student reads the full name to choose.
        self.tree.setWordWrap(True)
        self.tree.setTextElideMode(QtCore.Qt.ElideNone)
        self.tree.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)
        for topic, panels in registry.grouped():
            top = QtWidgets.QTreeWidgetItem([topic])
            top.setFlags(QtCore.Qt.ItemIsEnabled)
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            for panel in panels:
                item = QtWidgets.QTreeWidgetItem([panel.title])
                item.setData(0, ID, panel.id)
                item.setData(0, WORDS, f"{panel.title} {panel.id} {topic} {panel.keywords}")
                item.setToolTip(0, f"{panel.title} ({panel.id})")
                top.addChild(item)
            self.tree.addTopLevelItem(top)
        self.tree.expandAll()
        box = QtWidgets.QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.search)
        box.addWidget(self.tree)

    def _clicked(self, item, _column=0) -> None:
        panel_id = item.data(0, ID)
        if panel_id:
            self.chosen.emit(panel_id)

    def select(self, panel_id: str) -> None:
        for item in self.panel_items():
            item.setSelected(item.data(0, ID) == panel_id)

    def panel_items(self):
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            for j in range(top.childCount()):
                yield top.child(j)

    def filter(self, text: str) -> None:
        """Show the panels whose title, id, topic or keywords contain every word typed."""
        words = text.lower().split()
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            shown = 0
            for j in range(top.childCount()):
                item = top.child(j)
                haystack = item.data(0, WORDS).lower()
                hit = all(w in haystack for w in words)
                item.setHidden(not hit)
                shown += hit
            top.setHidden(shown == 0)
