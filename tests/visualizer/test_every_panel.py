"""One test walks the registry: every panel builds, steps, steps back, scrubs, resets
and exports a PNG."""

import pytest

from visualizer import export, registry
from visualizer.session import Session


@pytest.mark.parametrize("entry", registry.PANELS, ids=lambda p: p.id)
def test_panel_lifecycle(qtbot, tmp_path, entry, blank_check):
    panel_cls = entry.load()
    assert (panel_cls.id, panel_cls.title, panel_cls.topic) == (entry.id, entry.title,
                                                                entry.topic)
    session = Session(panel_cls, seed=1)
    canvas = session.panel.canvas
    # Taken down as the window does: the session stops its workers before the canvas goes.
    qtbot.addWidget(canvas, before_close_func=lambda _canvas: session.close())
    canvas.resize(1000, 650)
    canvas.show()
    shown = []
    session.shown.connect(shown.append)
    player = session.player
    assert player.current is None

    taken = session.advance(20)
    assert taken == 20 or (player.finished and taken >= 3), "a run should have steps"
    assert player.position == taken - 1
    assert shown[-1] is player.current and player.current.caption

    for _ in range(5):
        player.back()
    assert player.position == max(-1, taken - 6)

    player.seek(1)
    assert player.current is player.history[1]
    drawn = len(shown)
    player.seek(taken - 1)  # scrubbing forward recomputes nothing new
    assert player.computed == taken and len(shown) == drawn + 1

    player.reset()
    assert player.position == -1 and player.current is None and player.computed == 0
    assert session.advance(2) == 2

    png = tmp_path / f"{panel_cls.id}.png"
    export.save_png(canvas, png)
    blank_check(png)
    assert len(panel_cls.explanation()) > 200, "every panel explains its idea"
    assert panel_cls.topic and panel_cls.title


def test_registry_ids_are_unique_and_grouped():
    ids = [p.id for p in registry.PANELS]
    assert len(ids) == len(set(ids))
    grouped = [p for _, panels in registry.grouped() for p in panels]
    assert sorted(p.id for p in grouped) == sorted(ids)
    with pytest.raises(KeyError, match="unknown panel 'nope'"):
        registry.by_id("nope")


def test_listing_the_panels_imports_none_of_them():
    """Start-up must not grow with the number of panels: the registry names them only."""
    import subprocess
    import sys

    code = ("import sys; from visualizer import registry, sidebar; "
            "print(sorted(m for m in sys.modules if m.startswith('visualizer.panels.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
