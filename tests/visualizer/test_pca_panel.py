"""The PCA panel: the turning line and its variance curve, the table story painted in label
colours with a scree plot, the standardise checkbox, bad CSVs refused with the data kept."""

import numpy as np
import pytest

from algorithms import pca
from tests.visualizer.helpers import load
from visualizer.pixels import count_near, view_pixels
from visualizer.style import PALETTE, colour


@pytest.fixture
def window(make_window, monkeypatch):
    import visualizer.main_window as mw
    from visualizer.sources import default_columns

    monkeypatch.setattr(mw, "ask_columns", lambda table, parent: default_columns(table))
    return make_window("pca", seed=4)


def advance_to(window, phase):
    session = window.session
    while session.player.current is None or session.player.current.phase != phase:
        assert session.advance(1) == 1, f"no {phase} step"
    return session.player.current


def test_the_turning_line_stops_at_the_first_component(qtbot, window):
    panel = window.session.panel
    step = advance_to(window, "rotate")
    xs, ys = panel.turning.getData()
    assert len(xs) == 2 and np.isclose(np.degrees(np.arctan2(ys[1], xs[1])) % 180,
                                       step.angle % 180)
    first = advance_to(window, "first")
    model = pca.fit(panel.data.X)
    angle = np.degrees(np.arctan2(model.components[0, 1], model.components[0, 0])) % 180
    assert abs(first.angle % 180 - angle) <= panel.params.angle_step
    sx, sy = panel.sweep.getData()
    assert sy.max() == pytest.approx(first.variance[0], rel=0.01)
    pixels = view_pixels(panel, panel.main)
    assert count_near(pixels, colour(5), 30) > 40, "the PC1 arrow"


def test_iris_like_table_shows_groups_scree_and_loadings(qtbot, window, tmp_path):
    rng = np.random.default_rng(0)
    rows = ["a,b,c,d,kind"]
    for k, name in enumerate(("red", "blue", "green")):
        for _ in range(30):
            v = rng.normal(k * 2.0, 0.3, 4)
            rows.append(",".join(f"{x:.3f}" for x in v) + f",{name}")
    path = tmp_path / "groups.csv"
    path.write_text("\n".join(rows) + "\n")
    assert load(qtbot, window, path)
    panel = window.session.panel
    assert panel.data.X.shape == (90, 4) and panel.data.names == ["blue", "green", "red"]
    step = advance_to(window, "project")
    assert panel.main.getAxis("bottom").labelText.startswith("PC1")
    pixels = view_pixels(panel, panel.main)
    for j in range(3):
        assert count_near(pixels, PALETTE[j], 25) > 30, f"group {j}"
    heights = panel.scree_bars.opts["height"]
    np.testing.assert_allclose(heights, step.ratio)
    assert count_near(view_pixels(panel, panel.scree_plot), colour(0), 25) > 200
    assert sum(label.isVisible() for label in panel.arrow_labels) == 4, "one arrow a column"


def test_standardising_restarts_and_changes_the_shares(qtbot, window, tmp_path):
    path = tmp_path / "units.csv"
    rng = np.random.default_rng(1)
    a = rng.normal(0, 1, 50)
    rows = [f"{x:.4f},{1000 * (x + rng.normal(0, 1)):.2f},{rng.normal():.4f}" for x in a]
    path.write_text("m,mm,z\n" + "\n".join(rows) + "\n")
    assert load(qtbot, window, path)
    raw = advance_to(window, "decompose").ratio[0]
    window.binders[0].group.child("standardize").setValue(True)
    assert window.session.player.position == -1
    scaled = advance_to(window, "decompose").ratio[0]
    assert raw > 0.99 and scaled < 0.8


@pytest.mark.parametrize(("text", "expected"), [
    ("a,name\n1,x\n2,y\n3,z\n", "numeric"),
    ("a,b\n1,5\n2,5\n3,5\n", "constant"),
])
def test_bad_tables_are_refused_and_the_data_kept(qtbot, window, tmp_path, text, expected):
    panel = window.session.panel
    window.binders[0].group.child("standardize").setValue(True)
    before = panel.data.X.copy()
    path = tmp_path / "bad.csv"
    path.write_text(text)
    assert not load(qtbot, window, path)
    assert window.banner.level == "error" and expected in window.banner.text.text().lower()
    np.testing.assert_array_equal(panel.data.X, before)
