"""The AdaBoost panel: weights as sizes, the stump's line, the ensemble shaded."""

import numpy as np
import pytest

from visualizer.panels.scene import PALE
from visualizer.pixels import count_near, pale, view_pixels
from visualizer.style import PALETTE


@pytest.fixture
def window(make_window):
    return make_window("adaboost", seed=2)


def test_heavier_points_are_drawn_larger(qtbot, window, monkeypatch):
    panel = window.session.panel
    seen = {}
    original = panel.scene.show
    monkeypatch.setattr(panel.scene, "show",
                        lambda labels, **kw: (seen.update(kw), original(labels, **kw)))
    window.session.advance(4)
    step = window.session.player.current
    sizes = seen["sizes"][panel.data.train_index]
    heavy, light = np.argmax(step.weights), np.argmin(step.weights)
    assert sizes[heavy] > sizes[light]
    assert (seen["sizes"][panel.data.test] == 1).all()


def test_the_stump_line_sits_at_its_threshold(qtbot, window):
    window.session.advance(3)
    panel, step = window.session.panel, window.session.player.current
    assert panel.cut.isVisible()
    assert panel.cut.value() == pytest.approx(step.stump.threshold[0])
    assert panel.cut.angle == (90 if step.stump.feature[0] == 0 else 0)


def test_regions_and_points_show(qtbot, window):
    window.session.advance(6)
    panel = window.session.panel
    pixels = view_pixels(panel, panel.main)
    for c in (0, 1):
        tints = sum(count_near(pixels, pale(PALETTE[c], s), 4) for s in (PALE, 0.2, 0.3, 0.42))
        assert tints > 2000, f"region {c} is not shaded"
        assert count_near(pixels, PALETTE[c], 20) > 80, f"class {c} points missing"
    x, _ = panel.alpha_curve.getData()
    assert len(x) == 5
