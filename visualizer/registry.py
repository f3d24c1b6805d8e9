"""The one list of panels. Adding a panel: import it here and append it to PANELS."""

from __future__ import annotations

from visualizer.panels.kmeans import KMeansPanel
from visualizer.panels.minibatch import MiniBatchPanel
from visualizer.panels.optimizers import OptimizersPanel

PANELS = [KMeansPanel, OptimizersPanel, MiniBatchPanel]
TOPICS = ("Unsupervised learning", "Optimization")  # sidebar order; unknown topics go last


def by_id(panel_id: str):
    for panel in PANELS:
        if panel.id == panel_id:
            return panel
    known = ", ".join(p.id for p in PANELS)
    raise KeyError(f"unknown panel '{panel_id}'; the panels are: {known}")


def grouped() -> list[tuple[str, list]]:
    """Panels grouped by topic, in sidebar order."""
    topics = list(TOPICS) + sorted({p.topic for p in PANELS} - set(TOPICS))
    return [(t, [p for p in PANELS if p.topic == t]) for t in topics
            if any(p.topic == t for p in PANELS)]
