"""The multi-task panel: the curves and fits drawn are the algorithm's, in their colours,
the diagram names λ and the distance, bad input says why and keeps the data."""

import dataclasses

import numpy as np
import pytest

from algorithms import multitask as mt
from algorithms.base import num
from visualizer.panels.multitask import GRID, SETUP_COLOURS, TASK_COLOURS, lam_x
from visualizer.pixels import count_near, view_pixels
from visualizer.style import INK

STEPS = 40


@pytest.fixture
def window(make_window):
    return make_window("multitask", seed=3)


def reference(panel, steps):
    """The same run, made here from the panel's data, parameters and seed."""
    run = mt.run(panel.data, panel.params, np.random.default_rng(panel.seed))
    return [s for _, s in zip(range(steps), run, strict=False)][-1]


def test_what_is_drawn_is_the_algorithms_and_shows_in_its_colours(qtbot, window):
    session = window.session
    panel = session.panel
    panel.apply_params(dataclasses.replace(panel.params, updates=200))
    assert session.advance(STEPS) == STEPS
    step = session.player.current
    assert step.update == STEPS - 1
    ref = reference(panel, STEPS)
    for name in mt.SETUPS:
        np.testing.assert_array_equal(step.setups[name].theta, ref.setups[name].theta)
        hist = ref.setups[name].history
        out = ref.setups[name].outputs(GRID)
        for k in range(2):
            x, y = panel.curves[k, name].getData()
            np.testing.assert_allclose(y, np.log10(hist[:, 2 + k]), rtol=1e-12)  # log axis
            np.testing.assert_array_equal(x, np.arange(STEPS))
            np.testing.assert_allclose(panel.fits[k, name].getData()[1], out[:, k],
                                       rtol=1e-12)
    for j, name in enumerate(("soft", "separate")):
        np.testing.assert_allclose(panel.dist_curves[name].getData()[1],
                                   np.log10(ref.distances[:, j]), rtol=1e-12)
    sw = ref.sweep
    np.testing.assert_allclose(panel.sweep_curves["distance"].getData()[0], lam_x(sw.lams))
    np.testing.assert_allclose(panel.sweep_curves["distance"].getData()[1],
                               np.log10(sw.distances), rtol=1e-12)
    np.testing.assert_allclose(panel.sweep_curves["val 2"].getData()[1],
                               np.log10(sw.val[:, 1]), rtol=1e-12)
    assert panel.sweep_now.value() == pytest.approx(np.log10(panel.params.lam))
    assert f"distance {num(ref.distances[-1, 0], 3)}" in panel.arch.titles["soft"].toPlainText()
    assert f"update {STEPS - 1} of 200" in panel.status.item.toPlainText()

    # pixels: every set-up's fit over both tasks' points; every curve in its colour
    for k, plot in enumerate(panel.fit_plots):
        pixels = view_pixels(panel, plot)
        assert count_near(pixels, TASK_COLOURS[k], 30) > 40, f"task {k + 1} points"
        for name, c in SETUP_COLOURS.items():
            assert count_near(pixels, c, 40) > 20, f"{name} fit missing on task {k + 1}"
    pixels = view_pixels(panel, panel.val_plot)
    for name, c in SETUP_COLOURS.items():
        assert count_near(pixels, c, 40) > 20, f"{name} held-out MSE missing"
    pixels = view_pixels(panel, panel.dist_plot)
    for name in ("soft", "separate"):
        assert count_near(pixels, SETUP_COLOURS[name], 40) > 20, f"{name} distance missing"
    assert count_near(pixels, SETUP_COLOURS["hard"], 40) == 0   # hard sharing has no towers
    pixels = view_pixels(panel, panel.sweep_plot)
    for c in (INK, *TASK_COLOURS, SETUP_COLOURS["soft"]):
        assert count_near(pixels, c, 40) > 20, f"{c} missing from the λ sweep"
    pixels = view_pixels(panel, panel.arch_plot)
    for name, c in SETUP_COLOURS.items():
        assert count_near(pixels, c, 40) > 100, f"{name} architecture missing"

    # back to the data alone: points stay, every curve empties
    panel.draw(None)
    assert all(len(c.getData()[1] if c.getData()[1] is not None else []) == 0
               for c in (*panel.fits.values(), *panel.curves.values()))
    pixels = view_pixels(panel, panel.fit_plots[1])
    assert count_near(pixels, TASK_COLOURS[1], 30) > 40
    assert count_near(pixels, SETUP_COLOURS["hard"], 40) == 0


def test_lambda_zero_draws_soft_sharing_on_top_of_the_separate_networks(qtbot, window):
    session = window.session
    panel = session.panel
    panel.apply_params(dataclasses.replace(panel.params, lam=0.0, updates=20, sweep=False))
    session.advance(21)  # the start and 20 updates
    step = session.player.current
    assert step.phase == "done" and step.sweep is None
    np.testing.assert_array_equal(panel.curves[0, "soft"].getData()[1],
                                  panel.curves[0, "separate"].getData()[1])
    np.testing.assert_array_equal(panel.dist_curves["soft"].getData()[1],
                                  panel.dist_curves["separate"].getData()[1])
    assert len(panel.sweep_curves["distance"].getData()[0] or []) == 0
    assert panel.sweep_now.value() == pytest.approx(lam_x(0.0))
    assert "done" in panel.status.item.toPlainText()
    first = step.caption.splitlines()[0]   # the line the window shows
    v1, v2 = step.setups["soft"].history[-1, 2:]
    assert f"soft sharing {num(v1, 3)} / {num(v2, 3)}" in first
    assert f"towers are {num(step.distances[-1, 0], 3)} apart" in first
    assert first.startswith("Update 20,")


def test_bad_input_says_why_and_keeps_the_data(qtbot, window):
    panel = window.session.panel
    before = panel.data.x_train.copy()
    panel.set_data_params(dataclasses.replace(panel.data_params, points=1))
    assert window.banner.level == "error"
    assert "points" in window.banner.text.text() and "kept" in window.banner.text.text()
    np.testing.assert_array_equal(panel.data.x_train, before)
    assert panel.data_params.points == 10
    panel.set_data_params(dataclasses.replace(panel.data_params, noise=float("nan")))
    assert "noise" in window.banner.text.text()
    np.testing.assert_array_equal(panel.data.x_train, before)
    panel.apply_params(dataclasses.replace(panel.params, hidden=0))
    window.session.player.step_now()
    assert "hidden" in window.banner.text.text()
    # good data again: 30 points, drawn
    panel.set_data_params(dataclasses.replace(panel.data_params, points=30))
    assert len(panel.data.x_train) == 30
    assert len(panel.points[0].data) == 30
