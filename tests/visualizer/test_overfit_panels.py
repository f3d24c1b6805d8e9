"""The overfitting panels: what the canvas shows, clicks that add points, bad CSV files."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore

from tests.visualizer.helpers import load
from visualizer.panels.overfit_common import FIT, TRAIN, VAL
from visualizer.pixels import count_near, view_pixels

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def asked(monkeypatch):
    """Answer the column dialog as a user taking the defaults would."""
    import visualizer.main_window as mw

    monkeypatch.setattr(mw, "ask_columns", lambda table, parent: (None, None, None))


def click(qtbot, panel, x, y, button=QtCore.Qt.LeftButton):
    """A real mouse click on the panel's data plot at data coordinates (x, y)."""
    scene = panel.click_plot.vb.mapViewToScene(QtCore.QPointF(x, y))
    where = panel.canvas.mapFromScene(scene)
    qtbot.mouseClick(panel.canvas.viewport(), button, pos=where)


def write_csv(tmp_path, rows, header="x,y"):
    path = tmp_path / "points.csv"
    path.write_text(header + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return path


# --- underfitting and overfitting (polynomial degree) -----------------------------------
@pytest.fixture
def degree_window(make_window, asked):
    return make_window("overfit_degree", seed=2)


def test_degree_view_shows_points_fit_and_both_error_curves(degree_window):
    session = degree_window.session
    panel = session.panel
    data = view_pixels(panel, panel.main)
    assert count_near(data, TRAIN, 25) > 100, "training points are not visible"
    assert count_near(data, VAL, 25) > 60, "validation points are not visible"
    assert count_near(data, FIT, 25) < 60, "no fit before the first step (legend sample only)"
    session.advance(6)                       # the split, then degrees 1 … 5
    assert session.player.current.degree == 5
    data = view_pixels(panel, panel.main)
    assert count_near(data, FIT, 25) > 300, "the fitted curve is not drawn"
    errors = view_pixels(panel, panel.err_plot)
    assert count_near(errors, TRAIN, 25) > 60, "the training error curve is not drawn"
    assert count_near(errors, VAL, 25) > 60, "the validation error curve is not drawn"


def test_degree_final_step_marks_the_lowest_validation_error(degree_window):
    session, panel = degree_window.session, degree_window.session.panel
    session.advance(panel.params.max_degree + 2)
    step = session.player.current
    assert step.phase == "best"
    (x,), (y,) = panel.best.getData()
    assert x == int(np.argmin(step.val_errors)) + 1
    assert 10 ** y == pytest.approx(step.val_errors.min())
    assert f"best degree {int(x)}" in panel.err_status.item.textItem.toPlainText()
    # the star is inside the fixed error-plot range, so a student sees it
    (x0, x1), (y0, y1) = panel.err_plot.vb.viewRange()
    assert x0 < x < x1 and y0 < y < y1


def test_degree_click_adds_a_training_point_and_undo_takes_it_back(qtbot, degree_window):
    session, panel = degree_window.session, degree_window.session.panel
    session.advance(4)
    n_train, n = len(panel.problem.train), len(panel.problem.x)
    click(qtbot, panel, 0.5, 1.2)
    assert len(panel.problem.train) == n_train + 1
    np.testing.assert_allclose([panel.problem.x[-1], panel.problem.y[-1]], [0.5, 1.2],
                               atol=0.05)
    assert session.player.position == -1, "the run starts again on the new data"
    assert "1 added by hand" in degree_window.caption.text()
    assert panel.hand_made() == {"added": [[panel.problem.x[-1], panel.problem.y[-1]]]}
    degree_window.undo_stack.undo()
    assert len(panel.problem.x) == n and len(panel.problem.train) == n_train
    assert panel.hand_made() == {}


def test_degree_hand_made_points_survive_a_rebuild(qtbot, degree_window, make_window):
    panel = degree_window.session.panel
    click(qtbot, panel, 0.3, -0.4)
    state = panel.hand_made()
    other = make_window("overfit_degree", seed=2).session.panel
    other.restore_hand_made(state)
    np.testing.assert_array_equal(other.problem.x, panel.problem.x)
    np.testing.assert_array_equal(other.problem.train, panel.problem.train)


def test_degree_good_csv_loads(qtbot, degree_window, tmp_path):
    x = np.linspace(0, 10, 30)
    path = write_csv(tmp_path, zip(x, np.sin(x), strict=True))
    assert load(qtbot, degree_window, path)
    panel = degree_window.session.panel
    assert len(panel.problem.x) == 30 and panel.problem.truth is None
    assert "points.csv" in degree_window.caption.text()
    degree_window.session.advance(3)
    assert count_near(view_pixels(panel, panel.main), FIT, 25) > 300


@pytest.mark.parametrize(("rows", "header", "expected"), [
    ([(1,), (2,), (3,), (4,)], "x", "two numeric columns"),
    ([(1, 2), (2, 3), (3, 1)], "x,y", "too few"),
    ([(1, 2), (1, 3), (1, 1), (1, 5), (1, 0), (1, 2)], "x,y", "every x value is the same"),
])
def test_degree_bad_csv_says_why_and_keeps_the_data(qtbot, degree_window, tmp_path, rows,
                                                    header, expected):
    panel = degree_window.session.panel
    before = panel.problem
    assert not load(qtbot, degree_window, write_csv(tmp_path, rows, header))
    text = degree_window.banner.text.text()
    assert degree_window.banner.level == "error"
    assert expected in text and "kept" in text
    assert panel.problem is before


def test_degree_bad_generated_data_keeps_the_old(degree_window):
    panel = degree_window.session.panel
    before = panel.problem
    panel.set_data_params(dataclasses.replace(panel.data_params, n_points=4, validation=0.6,
                                              test=0.5))
    assert "too few" in degree_window.banner.text.text()
    assert panel.problem is before


# --- regularization: ridge and lasso ----------------------------------------------------
@pytest.fixture
def reg_window(make_window, asked):
    return make_window("overfit_regularization", seed=2)


def run_to_end(session):
    while session.player.step_now():
        pass
    assert session.player.current.phase == "path"
    return session.player.current


def test_regularization_end_shows_fit_bars_picture_and_paths(reg_window):
    from visualizer.panels.overfit_regularization import BUDGET, PLAIN
    from visualizer.style import PALETTE

    session, panel = reg_window.session, reg_window.session.panel
    step = run_to_end(session)
    data = view_pixels(panel, panel.main)
    assert count_near(data, FIT, 25) > 300, "the penalised fit is not drawn"
    assert count_near(data, PLAIN, 25) > 100, "the unpenalised fit is not drawn"
    bars = view_pixels(panel, panel.bars_plot)
    big = np.argsort(-np.abs(step.coefficients[1:]))[:2]   # the two largest bars
    for k in big:
        assert count_near(bars, PALETTE[k], 20) > 200, f"bar {k + 1} is not visible"
    picture = view_pixels(panel, panel.pic)
    assert count_near(picture, BUDGET, 25) > 200, "the L1 diamond is not drawn"
    assert count_near(picture, FIT, 25) > 50, "the contour through the solution is missing"
    paths = view_pixels(panel, panel.path_plot)
    shown = sum(count_near(paths, PALETTE[j], 12) > 80 for j in range(6))
    assert shown >= 4, f"only {shown} coefficient paths are visible"


def test_regularization_paths_wait_for_the_last_step(reg_window):
    session, panel = reg_window.session, reg_window.session.panel
    session.advance(3)
    assert session.player.current.phase != "path"
    paths = view_pixels(panel, panel.path_plot)
    assert count_near(paths, FIT, 25) + count_near(paths, TRAIN, 25) < 20


def test_lasso_zeros_are_ringed_and_ridge_has_none(reg_window):
    from visualizer.panels.overfit_regularization import BUDGET

    session, panel = reg_window.session, reg_window.session.panel
    panel.set_params(dataclasses.replace(panel.params, penalty="lasso", lam=0.05))
    step = run_to_end(session)
    session.player.seek(step.index - 1)    # the converged fit, before the path
    zeros = int(session.player.current.zeros.sum())
    assert zeros >= 3, "λ = 0.05 should zero several coefficients"
    assert len(panel.zero_rings.getData()[0]) == zeros
    lasso_rings = count_near(view_pixels(panel, panel.bars_plot), BUDGET, 25)
    panel.set_params(dataclasses.replace(panel.params, penalty="ridge", lam=1.0))
    run_to_end(session)
    assert len(panel.zero_rings.getData()[0]) == 0, "ridge sets nothing to exactly 0"
    ridge_rings = count_near(view_pixels(panel, panel.bars_plot), BUDGET, 25)  # legend only
    assert lasso_rings > ridge_rings + 30 * zeros, "the lasso's zeros are not ringed"


def test_lasso_coordinate_steps_mark_the_coordinate(reg_window):
    session, panel = reg_window.session, reg_window.session.panel
    panel.set_params(dataclasses.replace(panel.params, update="coordinate"))
    session.advance(4)                       # least squares, start, coordinates 1 and 2
    step = session.player.current
    assert step.phase == "update" and step.coordinate == 2
    assert panel.coordinate.isVisible() and panel.coordinate.value() == 2


# --- early stopping -----------------------------------------------------------------------
@pytest.fixture
def stop_window(make_window, asked):
    window = make_window("overfit_early_stopping", seed=2)
    panel = window.session.panel
    panel.set_params(dataclasses.replace(panel.params, patience=40, every=20))
    return window


def test_early_stopping_view_shows_losses_and_the_fit(stop_window):
    session, panel = stop_window.session, stop_window.session.panel
    session.advance(4)
    assert session.player.current.phase == "train"
    losses = view_pixels(panel, panel.loss_plot)
    assert count_near(losses, TRAIN, 25) > 150, "the training loss is not drawn"
    assert count_near(losses, VAL, 25) > 150, "the validation loss is not drawn"
    assert count_near(view_pixels(panel, panel.main), FIT, 25) > 300, "no fit at this epoch"


def test_early_stopping_marks_the_stop_and_restores_the_best_epoch(stop_window):
    from visualizer.panels.overfit_early_stopping import BEST

    session, panel = stop_window.session, stop_window.session.panel
    while session.player.step_now():
        pass
    step = session.player.current
    assert step.phase == "restore" and step.stopped_at is not None
    assert step.stopped_at - step.best_epoch == 40, "patience 40 epochs after the best"
    assert panel.stop_line.isVisible() and panel.stop_line.value() == step.stopped_at
    assert panel.best_line.value() == step.best_epoch
    losses = view_pixels(panel, panel.loss_plot)
    assert count_near(losses, BEST, 25) > 150, "the best epoch is not marked"
    assert count_near(losses, FIT, 25) > 80, "the stopping epoch is not marked"
    # the fit drawn is the best epoch's, not the last one's
    x, y = panel.fit_line.getData()
    session.player.seek(step.index - 1)      # the stop step: the last epoch's weights
    x2, y2 = panel.fit_line.getData()
    assert not np.allclose(y, y2)
    assert "restored" not in panel.status.item.textItem.toPlainText()


def test_early_stopping_says_when_the_learning_rate_diverges(stop_window):
    session, panel = stop_window.session, stop_window.session.panel
    panel.set_params(dataclasses.replace(panel.params, lr_share=1.4))
    while session.player.step_now():
        pass
    assert session.player.current.phase == "diverged"
    assert "diverged" in panel.status.item.textItem.toPlainText()
    assert "nan" not in stop_window.caption.text().lower()


# --- k-fold cross-validation --------------------------------------------------------------
@pytest.fixture
def cv_window(make_window, asked):
    return make_window("overfit_crossval", seed=2)


def test_crossval_fold_step_rings_the_held_out_fold_and_adds_its_score(cv_window):
    from visualizer.style import PALETTE

    session, panel = cv_window.session, cv_window.session.panel
    session.advance(3)                               # the split, folds 1 and 2
    step = session.player.current
    assert step.phase == "fold" and step.fold == 2
    held_x = np.sort(panel.held_marks.getData()[0])
    np.testing.assert_array_equal(held_x, np.sort(panel.problem.x[step.folds[1]]))
    data = view_pixels(panel, panel.main)
    assert count_near(data, PALETTE[1], 20) > 200, "fold 2's held-out points are not strong"
    assert count_near(data, FIT, 25) > 300, "the fit on the other folds is not drawn"
    scores = view_pixels(panel, panel.score_plot)
    assert count_near(scores, PALETTE[0], 20) > 300 and count_near(scores, PALETTE[1], 20) > 300
    assert count_near(scores, PALETTE[2], 20) < 50, "fold 3 is not scored yet"


def test_crossval_never_holds_out_or_shows_a_test_point_as_pool(cv_window):
    session, panel = cv_window.session, cv_window.session.panel
    test_x = set(panel.problem.x[panel.problem.test])
    for _ in range(6):
        session.player.step_now()
        shown = set(panel.pool_marks.getData()[0]) | set(panel.held_marks.getData()[0])
        assert not shown & test_x
        assert len(shown) == len(panel.problem.train) + len(panel.problem.val)


def test_crossval_end_shows_every_degree_and_the_choice(cv_window):
    session, panel = cv_window.session, cv_window.session.panel
    while session.player.step_now():
        pass
    step = session.player.current
    assert step.phase == "choose"
    cv = view_pixels(panel, panel.cv_plot)
    assert count_near(cv, VAL, 25) > 300, "the cross-validated errors are not drawn"
    (x,), _ = panel.cv_best.getData()
    assert x == step.best_degree
    assert f"best: degree {step.best_degree}" in panel.cv_status.item.textItem.toPlainText()


def test_crossval_more_folds_than_points_is_refused(qtbot, cv_window, tmp_path):
    panel = cv_window.session.panel
    panel.set_params(dataclasses.replace(panel.params, folds=20))
    assert panel.params.folds == 20
    before = panel.problem
    x = np.linspace(0, 1, 12)
    assert not load(qtbot, cv_window, write_csv(tmp_path, zip(x, x ** 2, strict=True)))
    assert "20 folds need at least 20 points" in cv_window.banner.text.text()
    assert panel.problem is before


def test_crossval_folds_beyond_the_points_keep_the_old_value(cv_window):
    panel = cv_window.session.panel
    panel.set_data_params(dataclasses.replace(panel.data_params, n_points=12))
    assert len(panel.problem.x) == 12
    panel.apply_params(dataclasses.replace(panel.params, folds=15))
    assert panel.params.folds == 5
    assert "15 folds need at least 15 points" in cv_window.banner.text.text()


# --- more data: the learning curve --------------------------------------------------------
@pytest.fixture
def lc_window(make_window, asked):
    return make_window("overfit_learning_curve", seed=2)


def test_learning_curve_uses_more_points_each_step(lc_window):
    from visualizer.panels.overfit_learning_curve import SIMPLE

    session, panel = lc_window.session, lc_window.session.panel
    n_train = len(panel.problem.train)
    session.advance(2)
    first = session.player.current.size
    assert len(panel.marks["train"].getData()[0]) == first
    assert len(panel.unused.getData()[0]) == n_train - first
    data = view_pixels(panel, panel.main)
    assert count_near(data, SIMPLE, 25) > 300, "the simple fit is not drawn"
    assert count_near(data, FIT, 25) > 300, "the complex fit is not drawn"
    while session.player.step_now():
        pass
    assert session.player.current.size == n_train
    assert len(panel.unused.getData()[0]) == 0
    curve = view_pixels(panel, panel.curve_plot)
    assert count_near(curve, SIMPLE, 25) > 300 and count_near(curve, FIT, 25) > 300
