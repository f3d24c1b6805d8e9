"""The batch / SGD / mini-batch panel: what is drawn matches the snapshot, data loading."""

from pathlib import Path

import numpy as np
import pytest

from algorithms import regression
from tests.visualizer.helpers import load
from visualizer.main_window import MainWindow
from visualizer.panels import minibatch_views as views
from visualizer.style import STYLE

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def columns(monkeypatch):
    """The column dialog's answer, as (x, y, label); set `columns[:] = [...]` to change it."""
    import visualizer.main_window as mw

    answer = ["hours", "score", None]
    monkeypatch.setattr(mw, "ask_columns", lambda table, parent: tuple(answer))
    return answer


@pytest.fixture
def window(make_window, columns):
    return make_window("minibatch", seed=3)


@pytest.fixture
def exam_csv(tmp_path):
    """Hours studied, a score, a 0/1 pass column and a two-valued text label."""
    rng = np.random.default_rng(7)
    hours = rng.uniform(0, 10, 30)
    score = 5 * hours + 20 + rng.normal(0, 4, 30)
    passed = (score > 45).astype(int)
    rows = [f"{h:.2f},{s:.1f},{p},{'pass' if p else 'fail'}"
            for h, s, p in zip(hours, score, passed, strict=True)]
    path = tmp_path / "exam.csv"
    path.write_text("hours,score,passed,result\n" + "\n".join(rows) + "\n")
    return path, hours, score, passed


def set_param(window, name, value, group=0):
    window.binders[group].group.child(name).setValue(value)


def curve(item):
    xs, ys = item.getData()
    if xs is None:  # pyqtgraph's answer for an item with no points
        return np.zeros(0), np.zeros(0)
    return np.asarray(xs), np.asarray(ys)


def test_caption_names_the_examples_and_the_rings_show_them(qtbot, window):
    session, panel = window.session, window.session.panel
    assert session.advance(5) == 5
    step = session.player.current
    window.details.setChecked(True)      # the numbers behind the summary line
    caption = window.caption.text()
    sgd = step.methods["sgd"]
    assert f"SGD: example {sgd.indices[0]} (epoch 1, update 5 of 50)" in caption
    assert window.transport.position.text().startswith("step 5 /"), "step 5 is update 5"
    mb = step.methods["minibatch"]
    assert f"mini-batch: examples {', '.join(map(str, mb.indices))} (epoch 1" in caption
    assert "batch: all 50 examples" in caption
    for name, m in step.methods.items():
        xs, ys = curve(panel.items[name].ring)
        order = np.argsort(xs)
        np.testing.assert_array_equal(xs[order], np.sort(panel.frame.x[m.indices]))
        np.testing.assert_array_equal(ys[order], panel.y[m.indices][np.argsort(
            panel.frame.x[m.indices])])
    assert len(curve(panel.items["sgd"].ring)[0]) == 1
    assert len(curve(panel.items["batch"].ring)[0]) == 50


@pytest.mark.parametrize(("batch_size", "per_epoch"), [(8, 7), (10, 5), (50, 1)])
def test_an_epoch_boundary_is_marked_after_n_over_batch_size_updates(qtbot, window,
                                                                        batch_size, per_epoch):
    session, panel = window.session, window.session.panel
    set_param(window, "batch_size", batch_size)
    marks = panel.items["minibatch"].marks
    session.advance(per_epoch - 1)         # one update short of an epoch
    assert len(curve(marks)[0]) == 0
    current = session.player.current
    assert current is None or not current.methods["minibatch"].epoch_done
    session.advance(1)
    m = session.player.current.methods["minibatch"]
    assert m.epoch_done and m.update_in_epoch == per_epoch
    np.testing.assert_array_equal(curve(marks)[0], [per_epoch])
    window.details.setChecked(True)
    assert "epoch 1 done" in window.caption.text().splitlines()[3]
    session.advance(per_epoch)
    np.testing.assert_array_equal(curve(marks)[0], [per_epoch, 2 * per_epoch])


def test_standardising_is_shown_on_the_axes_and_changes_the_data_used(qtbot, window):
    session, panel = window.session, window.session.panel
    session.advance(3)
    assert "not standardised" in panel.data_plot.getAxis("bottom").labelText
    np.testing.assert_allclose(curve(panel.dots)[0], panel.x)
    set_param(window, "standardize", True)
    assert session.player.position == -1
    label = panel.data_plot.getAxis("bottom").labelText
    assert f"standardised: (x − {panel.x.mean():.3g}) / {panel.x.std():.3g}" in label
    assert "standardised x" in panel.space.getAxis("bottom").labelText
    shown = curve(panel.dots)[0]
    np.testing.assert_allclose(shown, (panel.x - panel.x.mean()) / panel.x.std())
    session.advance(2)
    assert session.player.current.scaling == pytest.approx((panel.x.mean(), panel.x.std()))
    sgd = session.player.current.methods["sgd"]
    np.testing.assert_allclose(curve(panel.items["sgd"].ring)[0], shown[sgd.indices])


def test_the_fitted_line_is_the_snapshots_w_and_b(qtbot, window):
    session, panel = window.session, window.session.panel
    session.advance(12)
    for name, m in session.player.current.methods.items():
        xs, ys = curve(panel.items[name].fit)
        slope = (ys[-1] - ys[0]) / (xs[-1] - xs[0])
        assert slope == pytest.approx(m.point[0])
        assert ys[0] - slope * xs[0] == pytest.approx(m.point[1])
        np.testing.assert_allclose(curve(panel.items[name].path)[0][-1], m.point[0])


def test_logistic_draws_each_sigmoid_and_its_threshold(qtbot, window):
    session, panel = window.session, window.session.panel
    set_param(window, "task", "logistic", group=1)
    set_param(window, "lr", 1.0)
    assert set(np.unique(panel.y)) == {0.0, 1.0}
    session.advance(25)
    for name, m in session.player.current.methods.items():
        w, b = m.point
        xs, ys = curve(panel.items[name].fit)
        np.testing.assert_allclose(ys, 1 / (1 + np.exp(-(w * xs + b))), atol=1e-12)
        cut = panel.items[name].cut
        if cut.isVisible():
            assert cut.value() == pytest.approx(-b / w)


def test_a_parameter_change_restarts_from_step_0(qtbot, window):
    session, panel = window.session, window.session.panel
    session.advance(6)
    set_param(window, "lr", 0.2)
    assert panel.params.lr == 0.2
    assert session.player.position == -1 and session.player.computed == 0
    assert all(not view.path.isVisible() for view in panel.items.values())
    session.advance(1)
    assert session.player.current.update == 1


def test_landscape_is_oriented_right_and_only_rebuilt_for_new_data(qtbot, window,
                                                                   monkeypatch):
    panel = window.session.panel
    panel.background.wait()
    shade = panel.shading.image
    i, j = np.unravel_index(np.argmin(shade), shade.shape)
    w0, w1, b0, b1 = panel.frame.region
    darkest = (w0 + (i + 0.5) * (w1 - w0) / shade.shape[0],
               b0 + (j + 0.5) * (b1 - b0) / shade.shape[1])
    best = regression.best_fit("linear", panel.frame.x, panel.y)
    cell = ((w1 - w0) / shade.shape[0], (b1 - b0) / shade.shape[1])
    assert abs(darkest[0] - best[0]) <= cell[0] and abs(darkest[1] - best[1]) <= cell[1]
    assert np.isfinite(curve(panel.contours)[0]).sum() > 100
    calls = []
    monkeypatch.setattr(panel.background, "submit", lambda *args: calls.append(args))
    set_param(window, "lr", 0.3)
    set_param(window, "rule", "adam")
    assert calls == []
    set_param(window, "standardize", True)
    assert len(calls) == 1


def test_a_diverging_run_keeps_the_view_and_says_so(qtbot, window):
    session, panel = window.session, window.session.panel
    set_param(window, "lr", 1.0)
    ranges = panel.space.vb.viewRange(), panel.data_plot.vb.viewRange()
    session.advance(100)
    assert session.player.finished
    assert "diverged" in window.caption.text()
    window.details.setChecked(True)
    assert "diverged at update" in window.caption.text()
    assert "learning rate too large" in window.caption.text()
    assert "diverged" in panel.status.item.textItem.toPlainText()
    assert (panel.space.vb.viewRange(), panel.data_plot.vb.viewRange()) == ranges
    w0, w1, b0, b1 = panel.frame.region
    for view in panel.items.values():
        xs, ys = curve(view.path)
        assert np.all(np.abs(xs) <= abs(w0) + 6 * (w1 - w0))
        assert np.all(np.abs(ys) <= abs(b0) + 6 * (b1 - b0))


def test_a_good_csv_loads_the_chosen_columns(qtbot, window, columns, exam_csv):
    path, hours, score, _ = exam_csv
    assert load(qtbot, window, str(path))
    panel = window.session.panel
    np.testing.assert_allclose(panel.x, hours, atol=0.01)
    np.testing.assert_allclose(panel.y, score, atol=0.1)
    assert window.banner.level == "info" and "30 rows" in window.banner.text.text()
    assert "exam.csv" in window.caption.text()
    assert panel.data_plot.getAxis("left").labelText == "score"
    assert "hours (as given" in panel.data_plot.getAxis("bottom").labelText


@pytest.mark.parametrize(("name", "expected"), [("empty.csv", "empty"),
                                                ("one_numeric.csv", "numeric")])
def test_a_bad_csv_says_why_and_keeps_the_old_data(qtbot, window, name, expected):
    panel = window.session.panel
    before = panel.x.copy(), panel.y.copy()
    assert not load(qtbot, window, str(DATA / name))
    assert window.banner.level == "error"
    assert expected in window.banner.text.text().lower() and "kept" in window.banner.text.text()
    np.testing.assert_array_equal(panel.x, before[0])
    np.testing.assert_array_equal(panel.y, before[1])


def test_logistic_rejects_a_column_that_is_not_zero_or_one(qtbot, window, columns):
    panel = window.session.panel
    set_param(window, "task", "logistic", group=1)
    before = panel.y.copy()
    columns[:] = ["length", "depth", None]
    assert not load(qtbot, window, str(DATA / "good_semicolon.csv"))
    text = window.banner.text.text()
    assert "needs y to be 0 or 1" in text and "'depth'" in text and "kept" in text
    columns[:] = ["length", "depth", "kind"]  # three classes: alpha, beta, gamma
    assert not load(qtbot, window, str(DATA / "good_semicolon.csv"))
    assert "exactly two classes" in window.banner.text.text()
    assert "alpha, beta, gamma" in window.banner.text.text()
    np.testing.assert_array_equal(panel.y, before)
    assert panel.data.origin == "generated logistic data"


def test_logistic_takes_a_0_1_column_or_a_two_valued_label(qtbot, window, columns, exam_csv):
    path, hours, _, passed = exam_csv
    panel = window.session.panel
    set_param(window, "task", "logistic", group=1)
    columns[:] = ["hours", "passed", None]
    assert load(qtbot, window, str(path))
    np.testing.assert_array_equal(panel.y, passed)
    columns[:] = ["hours", "score", "result"]
    assert load(qtbot, window, str(path))
    np.testing.assert_array_equal(panel.y, passed)  # "pass" sorts after "fail": it is 1
    assert panel.data_plot.getAxis("left").labelText == "result: 1 = pass, 0 = fail"
    window.session.advance(3)
    assert window.session.player.current.task == "logistic"


def test_switching_the_task_keeps_a_file_only_when_it_suits(qtbot, window, columns, exam_csv):
    path = exam_csv[0]
    panel = window.session.panel
    columns[:] = ["hours", "passed", None]          # 0/1: fine for both tasks
    assert load(qtbot, window, str(path))
    set_param(window, "task", "logistic", group=1)
    assert panel.data.origin == "exam.csv"
    set_param(window, "task", "linear", group=1)
    columns[:] = ["hours", "score", None]
    assert load(qtbot, window, str(path))
    set_param(window, "task", "logistic", group=1)  # a score is no class label
    assert panel.data.origin == "generated logistic data"
    assert window.banner.level == "error" and "needs y to be 0 or 1" in window.banner.text.text()


def test_presentation_mode_thickens_lines_and_enlarges_text(qtbot, window):
    panel = window.session.panel
    window.session.advance(4)
    thin = panel.items["sgd"].fit.opts["pen"].widthF(), panel.items["sgd"].ring.opts["size"]
    window.set_presentation(True)
    assert STYLE.presentation
    assert panel.items["sgd"].fit.opts["pen"].widthF() > thin[0]
    assert panel.items["sgd"].ring.opts["size"] > thin[1]
    assert panel.status.item.textItem.font().pixelSize() == STYLE.tick_px >= 18
    assert all(label.opts["size"] == f"{STYLE.tick_px}px" for _, label in panel.key.legend.items)


def test_helpers_keep_huge_numbers_out_of_the_painter():
    path = np.array([[0.0, 0.0], [1e150, -1e150]])
    clipped = views.clip_path(path, (-1, 1, -2, 2))
    np.testing.assert_array_equal(clipped[1], [11.0, -22.0])
    xs, ys = views.line_in_box(1e9, 0.0, (-1, 1), (-1, 1))
    assert np.all(np.abs(ys) <= 11) and ys[1] / xs[1] == pytest.approx(1e9)


def test_a_big_file_is_sampled_and_says_so(qtbot, window, tmp_path):
    path = tmp_path / "big.csv"
    x = np.arange(2500.0)
    path.write_text("hours,score\n" + "\n".join(f"{v},{2 * v + 1}" for v in x) + "\n")
    assert load(qtbot, window, path)
    panel = window.session.panel
    assert len(panel.x) == 2000 and set(panel.x) <= set(x)
    np.testing.assert_allclose(panel.y, 2 * panel.x + 1)
    assert "random 2,000 of its 2,500 rows" in window.banner.text.text()


def test_a_click_on_the_loss_map_restarts_every_method_from_there(qtbot):
    from PySide6 import QtCore

    window = MainWindow("minibatch", seed=1)
    qtbot.addWidget(window)
    window.show()
    panel, player = window.session.panel, window.session.player
    window.session.advance(5)
    (x0, x1), (y0, y1) = panel.space.vb.viewRange()
    w, b = x0 + 0.3 * (x1 - x0), y0 + 0.7 * (y1 - y0)
    scene = panel.space.vb.mapViewToScene(QtCore.QPointF(w, b))
    qtbot.mouseClick(panel.canvas.viewport(), QtCore.Qt.LeftButton,
                     pos=panel.canvas.mapFromScene(scene))
    assert player.position == -1
    assert window.binders[0].group.child("w0").value() == pytest.approx(w, abs=0.05)
    player.step_now()
    for method in player.current.methods.values():
        assert tuple(method.path[0]) == pytest.approx((w, b), abs=0.05)


def test_the_three_methods_are_visible_on_screen(qtbot, window):
    """Read the painted canvas: every method's colour shows as a path on the loss map, a
    fitted line over the data and a loss curve; the data points are drawn."""
    from visualizer.pixels import count_near, view_pixels
    from visualizer.style import UNASSIGNED

    panel = window.session.panel
    window.session.advance(30)
    space = view_pixels(panel, panel.space)
    data = view_pixels(panel, panel.data_plot)
    losses = view_pixels(panel, panel.per_update)
    for name, colour in views.COLOUR.items():
        assert count_near(space, colour, 30) >= 30, f"{name}'s path is not shown"
        assert count_near(data, colour, 30) >= 30, f"{name}'s fit is not shown"
        assert count_near(losses, colour, 30) >= 15, f"{name}'s loss curve is not shown"
    assert count_near(data, UNASSIGNED, 12) >= 5 * len(panel.x), "the data points are drawn"


@pytest.mark.parametrize(("scale", "offset", "refusal"), [
    (1e200, 0.0, "overflow when squared"), (1e-300, 0.0, "vanish when squared"),
    (1.0, 1e8, None), (1.0, 0.0, None)])
def test_extreme_values_work_or_are_refused_keeping_the_data(qtbot, window, columns, tmp_path,
                                                              scale, offset, refusal):
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 4, 80)
    y = 1.5 * x - 1 + rng.normal(0, 0.3, 80)
    path = tmp_path / "extreme.csv"
    path.write_text("x,y\n" + "\n".join(f"{float(a * scale + offset)!r},{float(b * scale)!r}"
                                        for a, b in zip(x, y, strict=True)) + "\n")
    panel = window.session.panel
    before = panel.x.copy()
    columns[:] = ["x", "y", None]
    loaded = load(qtbot, window, path)
    if refusal:
        assert not loaded and refusal in window.banner.text.text()
        np.testing.assert_array_equal(panel.x, before)
        return
    assert loaded
    if offset:
        assert "tick 'standardise x'" in window.banner.text.text()
        set_param(window, "standardize", True)
    window.session.advance(40)
    for method in window.session.player.current.methods.values():
        assert method.diverged_at is None and np.isfinite(method.losses).all()
