"""The contract every algorithm module follows.

An algorithm is a generator: ``run(data, params, rng) -> Iterator[Step]``. Each ``yield``
is one teachable sub-step, described by an immutable snapshot. The visualizer keeps the
snapshots it has drawn, so nothing is recomputed to step back.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """What every step carries, whatever the algorithm."""

    index: int
    phase: str
    caption: str
    metrics: dict[str, float] = field(default_factory=dict)


def param(default: Any, *, tip: str = "", limits: tuple | None = None,
          values: tuple | None = None, step: float | None = None,
          live: bool = False, label: str | None = None,
          when: tuple[str, tuple] | None = None) -> Any:
    """A dataclass field with the metadata the parameter tree is generated from.

    ``limits`` bounds numbers, ``values`` lists the choices of a string, ``live`` marks a
    parameter that may change mid-run without restarting it, and ``when=(name, values)``
    shows the control only while field ``name`` has one of ``values`` (a bowl's condition
    number matters only on the bowl).
    """
    meta = {"tip": tip, "limits": limits, "values": values, "step": step,
            "live": live, "label": label, "when": when}
    return field(default=default, metadata={k: v for k, v in meta.items() if v is not None})


def validate(params: Any) -> None:
    """Raise ValueError naming the first field outside its declared limits or choices."""
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        limits = f.metadata.get("limits")
        if limits is not None and not (limits[0] <= value <= limits[1]):
            raise ValueError(f"{f.name} must be between {limits[0]} and {limits[1]}, got {value}")
        values = f.metadata.get("values")
        if values is not None and value not in values:
            choices = ", ".join(map(str, values))
            raise ValueError(f"{f.name} must be one of {choices}, got {value!r}")


def frozen(array):
    """Return a read-only copy, so a yielded snapshot can never change later."""
    import numpy as np

    out = np.array(array, copy=True)
    out.flags.writeable = False
    return out


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 point', '0 points', '1,200 points': captions never say '1 points'."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def num(x: float, digits: int = 4) -> str:
    """A number for a caption or metric: `digits` significant digits, never '-0' or 'nan'.

    Undefined values (NaN, before something exists) are shown as '—'; ±inf as '∞'.
    """
    import math

    x = float(x)
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    text = f"{x:.{digits}g}"
    if float(text) == 0.0:
        return "0"  # '-0' and '-0.0' say nothing a student should read
    return text.replace("-", "−")
