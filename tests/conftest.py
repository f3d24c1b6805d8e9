"""Shared test set-up: Qt runs offscreen, settings never touch the user's own."""

import os
from pathlib import Path

# Offscreen Qt, on a 1280 × 800 screen (a classroom projector) rather than the platform's
# 800 × 800: full screen and presentation mode are then tested at a size a class sees.
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    SCREEN = Path(__file__).resolve().parents[1] / "resources" / "offscreen_screen.json"
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={SCREEN}"

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("STEPWISE_SETTINGS", str(tmp_path / "settings.ini"))
    yield
    import sys

    if "visualizer.style" in sys.modules:  # the style is app-wide: put it back
        from visualizer.style import STYLE

        STYLE.set_presentation(False)
        STYLE.set_scale(1.0)
