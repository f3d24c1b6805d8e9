"""The drawn target of the overfitting problem: nodes cleaned, interpolated like numpy.interp,
a stroke replacing the curve only over its own x range, and points sampled from it."""

import numpy as np
import pytest

from algorithms import polyfit


def test_the_drawn_curve_is_numpy_interp_through_the_cleaned_nodes():
    nodes = [(0.9, 1.0), (0.1, -1.0), (0.5, 2.0), (1.7, 3.0), (0.5, 0.0), (np.nan, 5.0)]
    xs, ys = polyfit.clean_nodes(nodes)
    # sorted, x clipped to [0, 1], the two nodes at x = 0.5 averaged, the NaN dropped
    np.testing.assert_allclose(xs, [0.1, 0.5, 0.9, 1.0])
    np.testing.assert_allclose(ys, [-1.0, 1.0, 1.0, 3.0])
    x = np.linspace(-0.5, 1.5, 41)
    np.testing.assert_allclose(polyfit.drawn(nodes)(x), np.interp(x, xs, ys))
    assert polyfit.drawn(nodes)(0.0) == -1.0, "level beyond the first node"


def test_x_values_are_rounded_so_a_dense_stroke_stays_small():
    stroke = np.c_[np.linspace(0, 1, 5000), np.zeros(5000)]
    xs, _ = polyfit.clean_nodes(stroke)
    assert len(xs) == round(1 / polyfit.NODE_X) + 1


@pytest.mark.parametrize("nodes", [[(0.3, 1.0)], [(0.3, 1.0), (0.3004, 2.0)], [],
                                   [(np.inf, 1.0), (0.2, 1.0)]])
def test_fewer_than_two_x_values_are_refused(nodes):
    with pytest.raises(ValueError, match="at least two points at different x"):
        polyfit.clean_nodes(nodes)


def test_a_stroke_replaces_the_curve_only_over_its_x_range():
    old = ((0.0, 0.0), (0.2, 1.0), (0.4, 2.0), (0.6, 3.0), (0.8, 4.0), (1.0, 5.0))
    stroke = [(0.55, -1.0), (0.3, -1.0), (0.45, -2.0)]   # drawn right to left and back
    new = dict(polyfit.merge_stroke(old, stroke))
    assert new == {0.0: 0.0, 0.2: 1.0, 0.3: -1.0, 0.45: -2.0, 0.55: -1.0, 0.6: 3.0,
                   0.8: 4.0, 1.0: 5.0}
    # a stroke past the ends is clipped to [0, 1]; the whole curve is then the stroke
    whole = polyfit.merge_stroke(old, [(-0.5, 7.0), (1.5, 7.0)])
    assert whole == ((0.0, 7.0), (1.0, 7.0))


def test_generated_points_follow_the_drawn_curve_with_the_sine_problems_x_and_noise():
    data = polyfit.Data(target="drawn", n_points=60, noise=0.1)
    sine = polyfit.make_problem(polyfit.Data(n_points=60, noise=0.1),
                                np.random.default_rng(4))
    nodes = ((0.0, 1.0), (0.5, -1.0), (1.0, 1.0))
    drawn = polyfit.make_problem(data, np.random.default_rng(4), polyfit.drawn(nodes))
    np.testing.assert_array_equal(drawn.x, sine.x)
    np.testing.assert_array_equal(drawn.train, sine.train)
    f = polyfit.drawn(nodes)
    np.testing.assert_allclose(drawn.y - f(drawn.x), sine.y - polyfit.sine(sine.x))
    np.testing.assert_allclose(drawn.truth, f(drawn.grid))
    assert drawn.name == "drawn curve"
    default = polyfit.make_problem(data, np.random.default_rng(4))
    np.testing.assert_allclose(default.truth, polyfit.drawn(polyfit.DRAWN)(default.grid))
