"""The forest panel: the bootstrap sample faded, the vote shaded, the accuracy curves."""

import numpy as np
import pytest

from visualizer.panels.scene import PALE
from visualizer.pixels import count_near, pale, view_pixels
from visualizer.style import PALETTE


@pytest.fixture
def window(make_window):
    return make_window("forest", seed=2)


def test_points_left_out_of_the_sample_are_faded(qtbot, window, monkeypatch):
    panel = window.session.panel
    seen = {}
    original = panel.scene.show
    monkeypatch.setattr(panel.scene, "show",
                        lambda labels, **kw: (seen.update(kw), original(labels, **kw)))
    window.session.advance(3)
    step = window.session.player.current
    faded = seen["faded"]
    assert faded[panel.data.train_index].sum() == (step.times_drawn == 0).sum() > 0
    assert not faded[panel.data.test].any(), "test points are never faded"


def test_regions_and_points_show_and_curves_grow(qtbot, window):
    window.session.advance(5)
    panel = window.session.panel
    pixels = view_pixels(panel, panel.main)
    for c in (0, 1):
        tints = sum(count_near(pixels, pale(PALETTE[c], s), 4) for s in (PALE, 0.2, 0.3, 0.42))
        assert tints > 2000, f"region {c} is not shaded"
        assert count_near(pixels, PALETTE[c], 20) > 80, f"class {c} points missing"
    x, y = panel.train_curve.getData()
    assert list(x) == [1, 2, 3, 4, 5] and np.all((y >= 0) & (y <= 1))
