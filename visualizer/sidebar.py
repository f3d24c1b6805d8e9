"""The list of panels, grouped by topic, with a search box that filters it."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from visualizer import registry

ID = QtCore.Qt.UserRole
WORDS = QtCore.Qt.UserRole + 1  # everything the search box matches


class Sidebar(QtWidgets.QWidget):
    chosen = QtCore.Signal(str)  # a panel id

    def __init__(self, parent=None):
        super().__init__(parent)
        self.search = QtWidgets.QLineEdit(placeholderText="Search algorithms…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter)
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setHeaderHidden(True)
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
