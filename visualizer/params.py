"""Parameter dataclasses ⇄ pyqtgraph parameter trees.

The tree is generated from the dataclass fields and their metadata (see
algorithms.base.param). Controls only flow into the algorithm: a change emits a new
frozen dataclass; writing values from code is muted so nothing loops back.
"""

from __future__ import annotations

import dataclasses

import shiboken6
from pyqtgraph.parametertree import Parameter
from PySide6 import QtCore

from algorithms.base import validate


def like(cls, name: str):
    """A field with the default and the control metadata of `cls`'s field `name`: a panel
    gathering two algorithms' parameters into one group reuses their controls as they are."""
    original = cls.__dataclass_fields__[name]
    return dataclasses.field(default=original.default, metadata=original.metadata)


def spec_for(field: dataclasses.Field, value) -> dict:
    meta = field.metadata
    spec = {"name": field.name, "value": value,
            "title": meta.get("label", field.name.replace("_", " ")), "tip": meta.get("tip", "")}
    if "values" in meta:
        spec.update(type="list", limits=list(meta["values"]))
    elif isinstance(value, bool):
        spec.update(type="bool")
    elif isinstance(value, int):
        spec.update(type="int", step=meta.get("step", 1))
    elif isinstance(value, float):
        spec.update(type="float", step=meta.get("step", 0.1), decimals=6)
    # Numbers carry no limits in the control: a spin box clamps a typed 50 to 20 without a
    # word, so the binder checks the limits itself and says what it did.
    else:
        spec.update(type="str")
    return spec


class ParamBinder(QtCore.QObject):
    """One parameter group bound to one dataclass type."""

    changed = QtCore.Signal(object, bool)  # the new dataclass, whether only live fields changed
    invalid = QtCore.Signal(str)           # a value that cannot be used (the old one stays)
    adjusted = QtCore.Signal(str)          # a value out of range was brought into range

    def __init__(self, instance, title: str):
        super().__init__()
        self.cls = type(instance)
        self.fields = {f.name: f for f in dataclasses.fields(instance)}
        self.group = Parameter.create(
            name=title, type="group",
            children=[spec_for(f, getattr(instance, f.name)) for f in self.fields.values()])
        self._muted = False
        self.group.sigTreeStateChanged.connect(self._on_tree_change)
        self._show_relevant(instance)

    def value(self):
        return self.cls(**{name: self.group.child(name).value() for name in self.fields})

    def set(self, instance) -> None:
        """Show `instance` in the controls without announcing it as a user change."""
        self._muted = True
        try:
            for name in self.fields:
                self.group.child(name).setValue(getattr(instance, name))
        finally:
            self._muted = False
        self._show_relevant(instance)

    def _clamp(self, name: str) -> None:
        """Bring a number typed outside its limits to the nearest limit, and say so."""
        low_high = self.fields[name].metadata.get("limits")
        control = self.group.child(name)
        value = control.value()
        if low_high is None or not isinstance(value, (int, float)) or isinstance(value, bool):
            return
        low, high = low_high
        if low <= value <= high:
            return
        bound, side = (low, "smallest") if value < low else (high, "largest")
        self._muted = True
        try:
            control.setValue(bound)
        finally:
            self._muted = False
        title = control.opts.get("title") or name
        self.adjusted.emit(f"{title} = {value:g} is outside its range; set to the {side} "
                           f"allowed value, {bound:g}.")

    def _show_relevant(self, instance) -> None:
        """Hide the controls whose `when` condition does not hold for `instance`."""
        for name, field in self.fields.items():
            when = field.metadata.get("when")
            if when is not None:
                self.group.child(name).show(getattr(instance, when[0]) in when[1])

    def _on_tree_change(self, _group, changes) -> None:
        if self._muted:
            return
        names = {param.name() for param, kind, _ in changes if kind == "value"}
        if not names & self.fields.keys():
            return
        for name in names & self.fields.keys():
            self._clamp(name)
        try:
            new = self.value()
            validate(new)
        except (TypeError, ValueError) as err:
            self.invalid.emit(str(err))
            return
        self._show_relevant(new)
        live = all(self.fields[n].metadata.get("live", False) for n in names if n in self.fields)
        self.changed.emit(new, live)


class PanelControls(QtCore.QObject):
    """The parameter tree of one panel, made once per panel and kept for the session: the
    values survive switching panels, and no tree is rebuilt (pyqtgraph's tree keeps every
    control it ever made, so rebuilding one per switch leaked ~100 widgets each time)."""

    said = QtCore.Signal(str, str)  # level, text: an out-of-range value or a refused one

    def __init__(self, panel_cls):
        super().__init__()
        from pyqtgraph.parametertree import ParameterTree

        self.tree = ParameterTree(showHeader=False)
        self.algorithm = ParamBinder(panel_cls.Params(), "Algorithm")
        self.data = ParamBinder(panel_cls.Data(), "Data") if panel_cls.Data else None
        self.binders = [b for b in (self.algorithm, self.data) if b is not None]
        if panel_cls.actions:      # first: what a panel offers to do is seen at once
            self.actions = Parameter.create(name="Actions", type="group", children=[
                {"name": method, "title": text, "type": "action"}
                for method, text in panel_cls.actions])
            self.tree.addParameters(self.actions, showTop=True)
            for method, _ in panel_cls.actions:
                self.actions.child(method).sigActivated.connect(
                    lambda _p, m=method: self._act(m))
        for binder in self.binders:
            self.tree.addParameters(binder.group, showTop=True)
            binder.invalid.connect(lambda text: self.said.emit("error", text))
            binder.adjusted.connect(lambda text: self.said.emit("info", text))
        if self.data is not None:
            # When a file is shown, the Data group names it instead of showing generator
            # settings that no longer describe the picture; a button goes back to them.
            self.data.group.insertChild(0, Parameter.create(
                name="shown file", title="file", type="str", value="", readonly=True,
                visible=False))
            self.data.group.addChild(Parameter.create(
                name="use generated data", type="action", visible=False))
            self.data.group.child("use generated data").sigActivated.connect(
                lambda: self._data_changed(self.data.value(), False))
        self.panel = None
        self.source = None          # the data the panel last showed, if not generated
        self.hand_made: dict = {}   # what the user made by hand there
        self.algorithm.changed.connect(self._algorithm_changed)
        if self.data is not None:
            self.data.changed.connect(self._data_changed)

    def restyle(self) -> None:
        """Rows as tall as their controls at the current text size: pyqtgraph measures a
        row once, when it is made, and larger text then overlapped the next row."""
        from PySide6 import QtGui, QtWidgets

        # The application's font, not the tree's: the tree learns of a new font later.
        row = QtGui.QFontMetrics(QtWidgets.QApplication.font()).height() + 8
        walk = QtWidgets.QTreeWidgetItemIterator(self.tree)
        while walk.value() is not None:
            item = walk.value()
            widget = getattr(item, "widget", None)
            if isinstance(widget, QtWidgets.QWidget):
                height = max(widget.sizeHint().height(), row)
                for column in (0, 1):
                    hint = item.sizeHint(column)
                    item.setSizeHint(column, QtCore.QSize(hint.width(), height))
            elif hasattr(item, "updateDepth"):
                # A group's heading is drawn in a bold font pyqtgraph sizes from the point
                # size the tree had when the heading was made (again on every font change
                # of the tree): make that the current size, then let it redo the heading.
                item._initialFontPointSize = QtWidgets.QApplication.font().pointSize()
                item.updateDepth(item.depth)
            walk += 1
        self.tree.doItemsLayout()

    def initial(self) -> dict:
        """The values to build the panel with: what the user last set."""
        return {"params": self.algorithm.value(),
                "data_params": self.data.value() if self.data else None}

    def attach(self, panel) -> None:
        """Drive `panel` from these controls, and let it show values it set itself."""
        self.panel = panel
        panel.params_shown.connect(self.algorithm.set)
        if self.data is not None:
            panel.data_params_shown.connect(self.data.set)
            panel.source_shown.connect(self.show_source)
            self.show_source(panel.source)

    def show_source(self, source) -> None:
        """Name the file shown in the Data group, or show the generator's settings."""
        if self.data is None:
            return
        name = getattr(source, "name", None)
        from_file = source is not None and name is not None
        group = self.data.group
        group.child("shown file").setValue(name or "")
        group.child("shown file").show(from_file)
        group.child("use generated data").show(from_file)
        for name, field in self.data.fields.items():
            group.child(name).show(not from_file or field.metadata.get("files", False))
        if not from_file:
            self.data.set(self.data.value())  # re-hides the fields that do not apply

    def remember(self, panel) -> None:
        """The panel is being closed: keep its data source and hand-made things."""
        from visualizer.sources import Generated

        self.source = None if isinstance(panel.source, Generated) else panel.source
        self.hand_made = panel.hand_made()

    def state(self, panel=None) -> dict:
        """What these controls hold (and `panel`, when open) as a session dictionary."""
        from visualizer import sessions

        if panel is not None:
            self.remember(panel)
        return {"stepwise_session": sessions.VERSION,
                "params": sessions.encode_params(self.algorithm.value()),
                "data_params": sessions.encode_params(self.data.value() if self.data
                                                      else None),
                "source": sessions.encode_source(self.source), "hand_made": self.hand_made}

    def apply(self, state: dict, panel_cls) -> None:
        """Take a session's values for this panel (raises ValueError if they do not fit)."""
        from visualizer import sessions

        params = sessions.decode_params(panel_cls.Params, state.get("params"))
        data_params = sessions.decode_params(panel_cls.Data, state.get("data_params"))
        source = sessions.decode_source(state.get("source") or {})
        if params is not None:
            self.algorithm.set(params)
        if data_params is not None and self.data is not None:
            self.data.set(data_params)
        self.source, self.hand_made = source, dict(state.get("hand_made") or {})

    def bring_back(self, panel) -> str:
        """Give a panel opened again what it had: its file, then what was made by hand."""
        if self.source is not None:
            panel.load(self.source)
        if self.hand_made:
            panel.restore_hand_made(self.hand_made)
        return ""

    def _act(self, method: str) -> None:
        if self.panel is not None and shiboken6.isValid(self.panel):
            getattr(self.panel, method)()

    def _algorithm_changed(self, params, live: bool) -> None:
        if self.panel is not None and shiboken6.isValid(self.panel):
            self.panel.apply_params(params, live)

    def _data_changed(self, params, _live: bool) -> None:
        if self.panel is not None and shiboken6.isValid(self.panel):
            self.panel.set_data_params(params)
