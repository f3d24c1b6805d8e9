"""The optimizers panel: clicks restart the race, controls reach the runs, bad input is refused."""

import numpy as np
import pytest
from PySide6 import QtCore

from algorithms import surfaces
from visualizer.panels import surface_view
from visualizer.panels.contours import contour_lines
from visualizer.panels.optimizers import HUE, NAMES
from visualizer.style import STYLE


@pytest.fixture
def window(make_window):
    return make_window("optimizers", seed=0)


def control(window, name):
    """The parameter-tree entry a user would change."""
    return window.binders[0].group.child(name)


def click(qtbot, panel, x, y, button=QtCore.Qt.LeftButton):
    """A real mouse click on the canvas at data coordinates (x, y)."""
    scene = panel.main.vb.mapViewToScene(QtCore.QPointF(x, y))
    where = panel.canvas.mapFromScene(scene)
    qtbot.mouseClick(panel.canvas.viewport(), button, pos=where)


def curve_xy(item):
    """What an item shows: its data while visible, nothing when hidden."""
    x, y = item.getData()
    if x is None or not item.isVisible():
        return np.zeros(0), np.zeros(0)
    return np.asarray(x), np.asarray(y)


def test_the_race_builds_and_steps(window):
    panel, player = window.session.panel, window.session.player
    assert max(panel.layer.image.image.shape[:2]) == surface_view.GRID
    assert len(curve_xy(panel.layer.contours)[0]) > 100
    assert "Click anywhere on the surface" in window.caption.text()
    window.session.advance(10)
    step = player.current
    assert step.step == 10, "step 10 in the transport is update 10 on the plot"
    assert window.transport.position.text().startswith("step 10 /")
    assert "step 10" in panel.status.item.toPlainText()
    assert set(step.runners) == {"GD", "Momentum", "Adam"}
    for name, runner in step.runners.items():
        x, y = curve_xy(panel.paths[name])
        np.testing.assert_allclose(np.column_stack([x, y]), runner.path)
        assert len(curve_xy(panel.loss_curves[name])[0]) == 11  # the start and 10 updates
    assert len(panel.points.data) == 3
    summary = window.caption.text()
    assert summary.startswith("Step 10: ") and "is lowest (loss" in summary
    assert "\n" not in summary and "g=(" not in summary, "the numbers wait for the toggle"
    window.details.setChecked(True)
    lines = window.caption.text().splitlines()
    assert lines[0] == summary
    assert lines[3].startswith("Adam: g=(") and ", m=(" in lines[3] and "step=(" in lines[3]
    assert "m_hat" not in lines[3]
    assert "loss GD" in window.metrics.text() and "Adam" in window.metrics.text()


def test_a_click_restarts_every_run_from_that_point(qtbot, window):
    panel, player = window.session.panel, window.session.player
    window.session.advance(6)
    click(qtbot, panel, 0.5, 2.5)
    assert player.position == -1 and player.computed == 0
    assert "restart from (0.4" in window.banner.text.text() or "restart from (0.5" in \
        window.banner.text.text()
    assert "start at (0.4" in window.caption.text() or "start at (0.5" in window.caption.text()
    window.session.advance(3)
    for runner in player.current.runners.values():
        np.testing.assert_allclose(runner.path[0], [0.5, 2.5], atol=0.02)
    np.testing.assert_allclose(panel.start_mark.data["x"], [0.5], atol=0.02)


def test_unticking_an_optimizer_removes_its_path(window):
    panel, player = window.session.panel, window.session.player
    window.session.advance(5)
    assert len(curve_xy(panel.paths["Momentum"])[0]) == 6  # the start and 5 updates
    control(window, "momentum").setValue(False)
    window.session.advance(5)
    assert "Momentum" not in player.current.runners
    assert len(curve_xy(panel.paths["Momentum"])[0]) == 0
    assert len(curve_xy(panel.loss_curves["Momentum"])[0]) == 0
    assert len(curve_xy(panel.paths["GD"])[0]) == 6
    labels = [label.text for _, label in panel.legend.items]
    assert not any(t.startswith("Momentum") for t in labels) and "GD (η 0.17)" in labels


def test_a_diverging_run_stops_alone_and_the_view_stays_sane(window):
    panel, player = window.session.panel, window.session.player
    control(window, "gd_lr").setValue(0.25)     # above 2/L = 0.2 on the default bowl (L = 10)
    window.session.advance(30)
    gd, adam = player.current.runners["GD"], player.current.runners["Adam"]
    n = gd.diverged_at
    assert n is not None and n < 30
    assert "GD stopped" in window.caption.text()
    window.details.setChecked(True)
    assert f"GD: diverged at step {n} — learning rate too large?" in window.caption.text()
    assert adam.diverged_at is None and len(adam.path) == 31
    xmin, xmax, ymin, ymax = panel.surface.region
    span = panel.surface.span
    for item in [*panel.paths.values(), *panel.arrows.values()]:
        x, y = curve_xy(item)
        assert np.isfinite(x).all() and np.isfinite(y).all()
        assert (np.abs(x - (xmin + xmax) / 2) < 11 * span).all()
        assert (np.abs(y - (ymin + ymax) / 2) < 11 * span).all()
    assert not len(curve_xy(panel.arrows["GD", "update"])[0]), "a stopped run has no arrows"
    assert len(curve_xy(panel.arrows["gradient"])[0]) == 12, "the two still running have"
    assert panel.points.data["symbol"][0] == "x"
    (vx0, vx1), (vy0, vy1) = panel.main.vb.viewRange()
    assert vx0 <= xmin and xmax <= vx1 and vy0 <= ymin and ymax <= vy1
    assert max(vx1 - vx0, vy1 - vy0) < 3 * span, "no autorange to the runaway point"
    assert all(np.isfinite(v) for v in player.current.metrics.values())


def test_a_bad_formula_stays_to_be_corrected_and_the_surface_is_kept(window):
    panel, player = window.session.panel, window.session.player
    control(window, "surface").setValue("Custom")
    custom, image = panel.surface, panel.layer.image.image.copy()
    good = control(window, "formula").value()
    window.session.advance(4)
    control(window, "formula").setValue("sin(x")
    assert window.banner.isVisible() and window.banner.level == "error"
    assert "formula" in window.banner.text.text() and f"Still using {good}" in \
        window.banner.text.text()
    assert panel.surface is custom and panel.params.formula == good
    np.testing.assert_array_equal(panel.layer.image.image, image)
    assert control(window, "formula").value() == "sin(x", "the typed text stays to be fixed"
    assert player.position == 3, "a refused change does not restart the run"
    control(window, "adam_lr").setValue(0.05)       # other changes still apply
    assert panel.params.adam_lr == 0.05 and panel.params.formula == good
    control(window, "formula").setValue("x**2 + 3*y**2")
    assert panel.surface.formula == "f = x**2 + 3*y**2" and player.position == -1
    assert not window.banner.isVisible(), "the error goes once a formula is accepted"


def test_arrow_toggles_redraw_without_restarting(window):
    panel, player = window.session.panel, window.session.player
    window.session.advance(8)
    assert len(curve_xy(panel.arrows["gradient"])[0]) == 3 * 6, "one arrow per optimizer"
    assert len(curve_xy(panel.arrows["Momentum", "velocity"])[0]) == 0
    control(window, "show_gradient").setValue(False)
    control(window, "show_velocity").setValue(True)
    assert player.position == 7 and player.computed == 8
    assert len(curve_xy(panel.arrows["gradient"])[0]) == 0
    assert len(curve_xy(panel.arrows["Momentum", "velocity"])[0]) == 6
    assert ("GD", "velocity") not in panel.arrows, "plain descent has no velocity"
    labels = [label.text for _, label in panel.legend.items]
    assert "velocity (scaled)" in labels and "−gradient (scaled)" not in labels


def test_switching_surface_restarts_and_redraws_it_once(qtbot, window, monkeypatch):
    panel, player = window.session.panel, window.session.player
    click(qtbot, panel, 0.5, 2.5)  # a start clicked on Rosenbrock is forgotten on a new surface
    window.session.advance(1)
    qtbot.wait(300)  # the view settles its shape; the map is fitted to it once
    # A resize refits the map to the view's shape (tested below); nothing else in a step may
    monkeypatch.setattr(panel, "_fill_view", lambda tolerance=0.03: False)
    shown = []
    monkeypatch.setattr(panel.layer, "show", lambda s, aspect=None, real=panel.layer.show: (
        shown.append(s.name), real(s, aspect)))
    window.session.advance(20)
    assert shown == [], "stepping never recomputes the surface image"
    before = panel.layer.image.image.copy()
    control(window, "surface").setValue("Himmelblau")
    assert player.position == -1 and shown == ["Himmelblau"]
    assert not np.array_equal(panel.layer.image.image, before)
    assert panel.main.vb.viewRange()[0][0] == pytest.approx(-5.0, abs=1.0)
    window.session.advance(2)
    np.testing.assert_allclose(player.current.runners["GD"].path[0], (-0.5, -0.5))
    control(window, "surface").setValue("Quadratic bowl")
    control(window, "condition").setValue(50.0)
    assert shown == ["Himmelblau", "Quadratic bowl", "Quadratic bowl"]
    assert panel.surface.lipschitz == 50.0 and player.position == -1
    control(window, "gd_lr").setValue(0.01)
    assert len(shown) == 3, "a learning rate is not a reason to redraw the surface"


def test_no_optimizer_ticked_is_explained(window):
    for name in NAMES:
        control(window, name.lower()).setValue(False)
    assert "No optimizer" in window.caption.text()
    window.session.player.step_now()
    assert window.banner.isVisible() and "Tick at least one optimizer" in \
        window.banner.text.text()


def test_presentation_mode_thickens_lines_and_markers(window):
    panel = window.session.panel
    window.session.advance(3)
    thin, small = panel.paths["GD"].opts["pen"].widthF(), panel.points.opts["size"]
    STYLE.set_presentation(True)
    assert panel.paths["GD"].opts["pen"].widthF() > thin
    assert panel.points.opts["size"] > small
    assert panel.status.item.textItem.font().pixelSize() >= 24


def test_contours_lie_on_their_levels():
    bowl = surfaces.bowl(4.0, 20.0)
    xs, ys, z = bowl.grid(200)
    c = surface_view.colour_values(z, log=False)
    x, y = contour_lines(xs, ys, c, [0.25])
    assert len(x) > 50
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    lo, hi = np.nanpercentile(z, [0.5, 99.5])
    heights = (bowl.f(x, y) - lo) / (hi - lo)
    np.testing.assert_allclose(heights, 0.25, atol=0.01)


def test_arrows_point_along_their_vector_and_stay_visible():
    x, y = surface_view.arrow_segments((1.0, 2.0), (0.0, 0.5), head=0.1)
    assert (x[0], y[0], x[1], y[1]) == (1.0, 2.0, 1.0, 2.5)
    assert (y[3] < 2.5) and (y[5] < 2.5) and x[3] != x[5]     # barbs trail behind the tip
    small, huge = (surface_view.shown_length(s, 1.0, 4.0) for s in (1e-2, 1e9))
    assert 0.25 < small < huge <= 0.8
    x, _ = surface_view.scaled_arrow((0.0, 0.0), np.array([0.01, 0.0]), 1.0, 4.0)
    assert x[1] == pytest.approx(small), "a small vector still gets a visible arrow"
    assert surface_view.scaled_arrow((0.0, 0.0), np.array([1e-9, 0.0]), 1.0, 4.0) == (
        None, None), "a settled run shows no arrow"


def test_a_diverged_path_is_drawn_only_until_it_leaves_the_view():
    from visualizer.panels.surface_view import until_it_leaves

    region = (-1.0, 1.0, -1.0, 1.0)
    path = np.array([[0.0, 0.0], [0.5, -0.5], [-0.9, 0.9], [3.0, -4.0], [np.inf, 9e9]])
    kept = until_it_leaves(path, region)
    np.testing.assert_array_equal(kept[:3], path[:3])
    np.testing.assert_allclose(kept[3], [1.2, -1.2])  # pulled back onto the grown edge
    assert len(kept) == 4
    np.testing.assert_array_equal(until_it_leaves(path[:3], region), path[:3])


def test_the_race_is_visible_on_screen(qtbot, window):
    """Read the painted canvas: each racing optimizer's colour shows on the surface view,
    over a heat map with contour lines, and in the loss plot."""
    from visualizer.pixels import count_near, view_pixels
    from visualizer.style import colour

    panel = window.session.panel
    window.session.advance(40)
    qtbot.wait(300)  # a resize refits the map a moment later
    racing = list(window.session.player.current.runners)
    assert len(racing) == 3
    surface = view_pixels(panel, panel.main)
    losses = view_pixels(panel, panel.loss_plot)
    for name in racing:
        assert count_near(surface, colour(HUE[name]), 30) >= 40, f"{name}'s path is not shown"
        assert count_near(losses, colour(HUE[name]), 30) >= 20, f"{name}'s loss is not shown"
    shades = {tuple(p) for p in surface.reshape(-1, 3)[::11]}
    assert len(shades) > 40, "the heat map shades the surface"
    assert count_near(surface, "#ffffff", 2) < surface.shape[0] * surface.shape[1] / 50, \
        "the surface fills the view, whatever its shape"


def test_empty_log_axes_span_whole_decades_before_the_first_step(window):
    panel = window.session.panel
    for plot in (panel.loss_plot, panel.dist_plot):
        low, high = plot.vb.viewRange()[1]
        assert high - low >= 2.5, "a one-decade log axis crowds its labels 2, 3, … 9"
