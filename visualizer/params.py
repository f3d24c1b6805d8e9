"""Parameter dataclasses ⇄ pyqtgraph parameter trees.

The tree is generated from the dataclass fields and their metadata (see
algorithms.base.param). Controls only flow into the algorithm: a change emits a new
frozen dataclass; writing values from code is muted so nothing loops back.
"""

from __future__ import annotations

import dataclasses

from pyqtgraph.parametertree import Parameter
from PySide6 import QtCore

from algorithms.base import validate


def spec_for(field: dataclasses.Field, value) -> dict:
    meta = field.metadata
    spec = {"name": field.name, "value": value,
            "title": meta.get("label", field.name.replace("_", " ")), "tip": meta.get("tip", "")}
    if "values" in meta:
        spec.update(type="list", limits=list(meta["values"]))
    elif isinstance(value, bool):
        spec.update(type="bool")
    elif isinstance(value, int):
        spec.update(type="int", limits=meta.get("limits"), step=meta.get("step", 1))
    elif isinstance(value, float):
        spec.update(type="float", limits=meta.get("limits"), step=meta.get("step", 0.1),
                    decimals=6)
    else:
        spec.update(type="str")
    return spec


class ParamBinder(QtCore.QObject):
    """One parameter group bound to one dataclass type."""

    changed = QtCore.Signal(object, bool)  # the new dataclass, whether only live fields changed
    invalid = QtCore.Signal(str)

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
        try:
            new = self.value()
            validate(new)
        except (TypeError, ValueError) as err:
            self.invalid.emit(str(err))
            return
        self._show_relevant(new)
        live = all(self.fields[n].metadata.get("live", False) for n in names if n in self.fields)
        self.changed.emit(new, live)
