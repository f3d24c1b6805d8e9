"""Shared test set-up: Qt runs offscreen, settings never touch the user's own."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

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
