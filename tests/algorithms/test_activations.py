"""Activations against central differences and scipy's closed forms; the 1-D fitting run."""

import dataclasses
import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import erf, expit, log_expit, ndtr

from algorithms import activations as A

KINKED = {"ReLU", "leaky ReLU", "ELU"}   # not differentiable at 0
ALL = [A.get(name) for name in A.NAMES] + [A.get("leaky ReLU", slope=0.2),
                                           A.get("ELU", alpha=2.5)]


def central(f, z, h=1e-6):
    return (f(z + h) - f(z - h)) / (2 * h)


@pytest.mark.parametrize("act", ALL, ids=lambda a: a.formula)
def test_derivative_equals_central_differences(act):
    z = np.linspace(-8, 8, 1601)
    if act.name in KINKED:
        z = z[np.abs(z) > 1e-3]
    np.testing.assert_allclose(act.derivative(z), central(act, z), rtol=1e-7, atol=1e-8)


@settings(max_examples=200, deadline=None)
@given(z=st.floats(-30, 30), name=st.sampled_from(A.NAMES))
def test_derivative_matches_differences_anywhere(z, name):
    act = A.get(name)
    if name in KINKED and abs(z) < 1e-4:
        return
    assert act.derivative(np.array([z]))[0] == pytest.approx(
        central(act, np.array([z]))[0], rel=1e-5, abs=1e-7)


def test_values_equal_scipy_closed_forms():
    z = np.linspace(-700, 700, 14001)
    np.testing.assert_allclose(A.sigmoid(z), expit(z), rtol=1e-14, atol=0)
    np.testing.assert_allclose(A.softplus(z), -log_expit(-z), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(A.normal_cdf(z[::10] / 100), ndtr(z[::10] / 100), rtol=5e-14)
    small = np.linspace(-8, 8, 3201)
    np.testing.assert_allclose(A.gelu(small), small * ndtr(small), rtol=1e-13, atol=0)
    # the erf form loses relative accuracy in the left tail (1 + erf cancels): absolute check
    exact_gelu = small * 0.5 * (1 + erf(small / math.sqrt(2)))
    np.testing.assert_allclose(A.gelu(small), exact_gelu, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(A.tanh(small), np.tanh(small))
    np.testing.assert_allclose(A.relu(small), np.maximum(small, 0))
    np.testing.assert_allclose(A.elu(small, 1.5), np.where(small > 0, small,
                                                           1.5 * (np.exp(small) - 1)))
    np.testing.assert_allclose(A.leaky_relu(small, 0.1), np.where(small > 0, small,
                                                                  0.1 * small))
    np.testing.assert_array_equal(A.linear(small), small)


def test_derivatives_equal_their_textbook_forms():
    z = np.linspace(-10, 10, 2001)
    s = expit(z)
    np.testing.assert_allclose(A.sigmoid_derivative(z), s * (1 - s), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(A.sigmoid_derivative(z), s * expit(-z), rtol=1e-13)
    np.testing.assert_allclose(A.tanh_derivative(z), 1 - np.tanh(z) ** 2, atol=1e-15)
    np.testing.assert_allclose(A.softplus_derivative(z), s, rtol=1e-14)
    pdf = np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(A.gelu_derivative(z), ndtr(z) + z * pdf, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(A.relu_derivative(np.array([-1.0, 0.0, 2.0])), [0, 0, 1])
    np.testing.assert_array_equal(A.leaky_relu_derivative(np.array([-1.0, 3.0]), 0.3), [0.3, 1])
    np.testing.assert_allclose(A.elu_derivative(np.array([-2.0, 0.5]), 2.0),
                               [2 * math.exp(-2), 1.0])
    np.testing.assert_array_equal(A.linear_derivative(z), np.ones_like(z))


def test_gelu_tanh_approximation_is_within_the_documented_distance():
    z = np.linspace(-10, 10, 200_001)
    gap = np.abs(A.gelu_tanh(z) - A.gelu(z))
    assert 4.5e-4 < gap.max() < 4.8e-4          # the docstring says 4.7·10⁻⁴
    assert abs(abs(z[gap.argmax()]) - 2.7) < 0.05  # near z = ±2.7


@pytest.mark.parametrize("name", A.NAMES)
def test_finite_and_silent_at_extremes(name):
    act = A.get(name)
    z = np.array([-1e300, -1000.0, -50.0, 0.0, 50.0, 1000.0, 1e300])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        values, slopes = act(z), act.derivative(z)
    assert np.isfinite(values).all() and np.isfinite(slopes).all()


def test_sigmoid_and_softplus_at_plus_minus_1000():
    z = np.array([-1000.0, 1000.0])
    np.testing.assert_array_equal(A.sigmoid(z), [0.0, 1.0])
    np.testing.assert_array_equal(A.softplus(z), [0.0, 1000.0])
    np.testing.assert_array_equal(A.sigmoid_derivative(z), [0.0, 0.0])
    # far out but not yet underflowing, the values are still relatively exact
    assert A.sigmoid(np.array([-700.0]))[0] == pytest.approx(math.exp(-700), rel=1e-12)
    assert A.softplus(np.array([-700.0]))[0] == pytest.approx(math.exp(-700), rel=1e-12)


# --- softmax ------------------------------------------------------------------------------

logits = st.lists(st.floats(-50, 50), min_size=2, max_size=6).map(np.array)


@settings(max_examples=100, deadline=None)
@given(z=logits, shift=st.floats(-1e3, 1e3), t=st.floats(0.05, 20))
def test_softmax_sums_to_one_and_ignores_shifts(z, shift, t):
    p = A.softmax(z, t)
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    assert (p >= 0).all()
    np.testing.assert_allclose(A.softmax(z + shift, t), p, atol=1e-9)


def test_softmax_temperature_limits():
    z = np.array([1.0, 3.0, 2.9, -4.0])
    np.testing.assert_allclose(A.softmax(z, 1e-4), [0, 1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(A.softmax(z, 1e6), np.full(4, 0.25), atol=1e-5)
    # by hand: at T = 1, p = eᶻ / Σ eᶻ
    e = np.exp(z)
    np.testing.assert_allclose(A.softmax(z), e / e.sum(), rtol=1e-14)
    # ordering kept, sharper at lower temperature
    assert A.softmax(z, 0.5)[1] > A.softmax(z, 1.0)[1] > A.softmax(z, 2.0)[1]
    np.testing.assert_allclose(A.softmax(np.array([[1000.0, -1000.0]])), [[1.0, 0.0]])


def test_softmax_jacobian_and_backward_equal_differences():
    rng = np.random.default_rng(0)
    z, g, t = rng.normal(size=5), rng.normal(size=5), 0.7
    numeric = np.column_stack([central(lambda v, i=i: A.softmax(
        z + v * np.eye(5)[i], t), 0.0) for i in range(5)])
    np.testing.assert_allclose(A.softmax_jacobian(z, t), numeric, atol=1e-9)
    np.testing.assert_allclose(A.softmax_backward(z, g, t), A.softmax_jacobian(z, t).T @ g,
                               atol=1e-14)


def test_softmax_works_row_by_row_on_a_batch():
    z = np.array([[1000.0, 999.0, 0.0], [-1000.0, -1001.0, -1003.0], [0.0, 1.0, 2.0]])
    p = A.softmax(z)
    np.testing.assert_allclose(p.sum(1), 1.0)
    for row, q in zip(z, p, strict=True):                   # each row on its own
        np.testing.assert_allclose(q, A.softmax(row), rtol=1e-14)
    np.testing.assert_allclose(A.softmax(z.T, axis=0), p.T, rtol=1e-14)
    g = np.random.default_rng(3).normal(size=z.shape)
    batch = A.softmax_backward(z, g, 0.5)
    for i in range(3):
        np.testing.assert_allclose(batch[i], A.softmax_jacobian(z[i], 0.5).T @ g[i],
                                   atol=1e-15)
    # the default temperature is 1
    np.testing.assert_allclose(A.softmax_jacobian(z[2]), A.softmax_jacobian(z[2], 1.0))
    np.testing.assert_allclose(A.softmax_backward(z, g), A.softmax_backward(z, g, 1.0))


@pytest.mark.parametrize("t", [0.0, -1.0, math.inf, math.nan])
def test_softmax_rejects_a_bad_temperature(t):
    with pytest.raises(ValueError, match="temperature"):
        A.softmax(np.zeros(3), t)


def test_registry_and_flat_zones():
    with pytest.raises(ValueError, match="unknown activation"):
        A.get("swish")
    z = np.linspace(-10, 10, 2001)
    dead, saturated = A.flat_zones(A.get("ReLU"), z)
    np.testing.assert_array_equal(dead, z <= 0)
    assert not saturated.any()
    dead, saturated = A.flat_zones(A.get("sigmoid"), z)
    # σ'(z) = 0.05·0.25 where e^−|z|/(1 + e^−|z|)² = 0.0125, i.e. |z| ≈ 4.36
    assert not dead.any()
    edge = z[saturated & (z > 0)].min()
    assert 4.3 < edge < 4.42
    dead, saturated = A.flat_zones(A.get("leaky ReLU", slope=0.01), z)
    assert not dead.any() and saturated[z < 0].all()
    dead, saturated = A.flat_zones(A.get("linear"), z, threshold=1.0)
    assert not dead.any() and not saturated.any()       # "below" the threshold, strictly
    assert "0.3" in A.get("leaky ReLU", slope=0.3).formula
    assert A.get("ELU", alpha=2.0).derivative_formula.endswith("2·eᶻ")


# --- the stepwise fit ---------------------------------------------------------------------

def fit(params, target="sine", n=40, noise=0.05, seed=0):
    x, y = A.make_data(target, n, noise, np.random.default_rng(seed))
    return x, y, list(A.run(x, y, params, np.random.default_rng(seed + 1)))


def test_linear_units_only_draw_a_line_and_reach_least_squares():
    x, y, steps = fit(A.Params(activation="linear", units=4, updates=3000))
    for s in steps[::500]:
        np.testing.assert_allclose(np.diff(s.curve, 2), 0, atol=1e-9)  # straight
    design = np.column_stack([x, np.ones_like(x)])
    best = np.linalg.lstsq(design, y, rcond=None)[0]
    best_loss = 0.5 * np.mean((design @ best - y) ** 2)
    assert steps[-1].loss == pytest.approx(best_loss, rel=1e-6)
    slope = float(steps[-1].v @ steps[-1].w)
    assert slope == pytest.approx(best[0], rel=1e-3)
    assert f"{slope:.3g}"[:4].replace("-", "−") in steps[-1].caption


@pytest.mark.parametrize(("name", "target"), [("tanh", "sine"), ("ReLU", "absolute value")])
def test_a_hidden_layer_bends_the_curve_far_below_any_line(name, target):
    x, y, steps = fit(A.Params(activation=name, units=4, updates=1500), target=target)
    design = np.column_stack([x, np.ones_like(x)])
    line = np.linalg.lstsq(design, y, rcond=None)[0]
    line_loss = 0.5 * np.mean((design @ line - y) ** 2)
    assert steps[-1].loss < 0.05 * line_loss


def test_curve_contributions_and_gradient_are_consistent():
    x, y, steps = fit(A.Params(activation="tanh", units=3, updates=5))
    s = steps[3]
    np.testing.assert_allclose(s.curve, s.c + s.contributions.sum(0), atol=1e-12)
    by_hand = s.c + np.tanh(np.outer(s.grid, s.w) + s.b) @ s.v
    np.testing.assert_allclose(s.curve, by_hand, atol=1e-12)
    theta = np.concatenate([s.w, s.b, s.v, [s.c]])

    def loss(t):
        h = 3
        pred = t[3 * h] + np.tanh(np.outer(x, t[:h]) + t[h:2 * h]) @ t[2 * h:3 * h]
        return 0.5 * np.mean((pred - y) ** 2)

    numeric = [central(lambda e, i=i: loss(theta + e * np.eye(len(theta))[i]), 0.0)
               for i in range(len(theta))]
    analytic = np.concatenate([s.gradient[k] for k in ("w", "b", "v", "c")])
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)
    assert s.loss == pytest.approx(loss(theta), rel=1e-12)


def test_dead_relu_gets_exactly_zero_gradient_and_never_moves():
    x, y, steps = fit(A.Params(activation="ReLU", units=3, start=A.STARTS[1], updates=300))
    first, last = steps[0], steps[-1]
    assert first.dead.all() and first.negative.all()
    for s in steps:
        for key in ("w", "b", "v"):
            assert (s.gradient[key] == 0).all()
        np.testing.assert_array_equal(s.w, first.w)
        np.testing.assert_array_equal(s.b, first.b)
        assert (s.active == 0).all()
    assert last.c == pytest.approx(np.mean(y), abs=1e-3)  # only the output bias learns
    assert "= 0 exactly" in last.caption and "units 1, 2, 3" in last.caption
    assert last.metrics["dead units"] == 3


def test_leaky_relu_recovers_from_the_same_start():
    x, y, steps = fit(A.Params(activation="leaky ReLU", units=3, start=A.STARTS[1],
                               updates=1500))
    first, last = steps[0], steps[-1]
    assert not first.dead.any() and first.negative.all()
    assert all((first.gradient[k] != 0).all() for k in ("w", "b"))
    assert "still gets ∂L/∂b" in first.caption
    assert not last.negative.all()            # some unit came back into the data
    _, _, relu = fit(A.Params(activation="ReLU", units=3, start=A.STARTS[1], updates=1500))
    assert relu[-1].loss == pytest.approx(0.5 * np.var(y), rel=1e-4)  # stuck at ŷ = mean(y)
    assert last.loss < relu[-1].loss - 0.03


def test_same_seed_same_run_and_snapshots_never_change():
    params = A.Params(activation="ELU", units=2, updates=40)
    _, _, a = fit(params, seed=3)
    _, _, b = fit(params, seed=3)
    _, _, c = fit(params, seed=4)
    kept = [s.curve.copy() for s in a]
    assert all(np.array_equal(s.curve, t.curve) and s.caption == t.caption
               for s, t in zip(a, b, strict=True))
    assert not np.array_equal(a[0].w, c[0].w)
    for s, curve in zip(a, kept, strict=True):
        np.testing.assert_array_equal(s.curve, curve)
        with pytest.raises(ValueError):
            s.w[0] = 1.0
    assert a[0].grid is a[-1].grid                   # shared, never copied
    assert [s.index for s in a] == list(range(41))
    assert [s.phase for s in a] == ["start"] + ["update"] * 39 + ["done"]
    assert np.array_equal(a[-1].losses, [s.loss for s in a])


@pytest.mark.parametrize("name", A.NAMES)
def test_captions_have_numbers_and_never_nan_or_minus_zero(name):
    _, _, steps = fit(A.Params(activation=name, units=1, updates=3), n=2)
    for s in steps:
        assert "nan" not in s.caption and "-0" not in s.caption and "−0 " not in s.caption
        assert "1 examples" not in s.caption and "1 units" not in s.caption
    assert f"loss {A.num(steps[0].loss)} → {A.num(steps[1].loss)}" in steps[1].caption
    assert "1 " + name + " unit," in steps[0].caption


def test_a_huge_learning_rate_stops_with_a_message():
    params = A.Params(activation="linear", rule="GD", lr=1.5, updates=500)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no overflow warning escapes either
        x, y, steps = fit(params, target="line")
    last = steps[-1]
    assert last.phase == "diverged" and last.index == steps[-2].index + 1
    assert "learning rate is too large" in last.caption
    assert all(np.isfinite(s.loss) for s in steps)
    # it stops at the first update whose loss passes 10⁶ × the larger of the start loss and
    # the variance of y, while that loss is still finite
    limit = 1e6 * max(steps[0].loss, np.var(y))
    assert max(s.loss for s in steps) <= limit
    blown = float(re.search(r"blew up to (\S+) —", last.caption)[1].replace("−", "-"))
    assert limit < blown < 1e300
    assert last.caption.startswith(f"Update {last.index}: ")
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # a step so large that it overflows: still silent
        x = np.linspace(-1, 1, 10) * 1e60
        steps = list(A.run(x, x, A.Params(activation="linear", rule="GD", lr=5.0),
                           np.random.default_rng(0)))
    assert steps[-1].phase == "diverged" and "blew up to ∞" in steps[-1].caption


@pytest.mark.parametrize(("x", "y", "params", "message"), [
    (np.zeros(3), np.zeros(2), A.Params(), "^x and y need the same length"),
    ([0.0, np.nan], [0.0, 1.0], A.Params(), "^x and y contain NaN or infinite values$"),
    ([1.0, 1.0], [0.0, 1.0], A.Params(), "^all x values are equal: there is no curve to fit$"),
    ([0.0, 1.0], [0.0, 1e101], A.Params(), "^values above 1e100 would overflow"),
    ([0.0, 1.0], [0.0, 1.0], A.Params(units=0), "units must be between"),
    ([0.0, 1.0], [0.0, 1.0], A.Params(activation="swish"), "activation must be one of"),
])
def test_bad_input_gets_a_clear_message(x, y, params, message):
    with pytest.raises(ValueError, match=message):
        next(A.run(x, y, params, np.random.default_rng(0)))
    with pytest.raises(ValueError, match="target must be"):
        A.make_data("zigzag", 5, 0.0, np.random.default_rng(0))


def test_extreme_but_finite_data_is_fitted_or_stopped_never_nan():
    x = np.linspace(-1, 1, 10) * 1e8
    steps = list(A.run(x, np.sin(x / 1e8), A.Params(updates=20), np.random.default_rng(0)))
    assert all(math.isfinite(s.loss) for s in steps)
    assert dataclasses.asdict(A.Params())["units"] == 3


def test_generated_targets_by_hand():
    x, y = A.make_data("line", 7, 0.0, np.random.default_rng(0))
    np.testing.assert_allclose(x, [-3, -2, -1, 0, 1, 2, 3])
    np.testing.assert_allclose(y, 0.5 * x - 0.25)
    expected = {"sine": np.sin(1.5 * x), "absolute value": np.abs(x) - 1,
                "step": [-1, -1, -1, -1, 1, 1, 1],          # x = 0 counts as the low side
                "parabola": x * x / 3 - 1}
    for name, want in expected.items():
        np.testing.assert_allclose(A.make_data(name, 7, 0.0, np.random.default_rng(0))[1], want)
    _, noisy = A.make_data("line", 7, 0.3, np.random.default_rng(5))
    np.testing.assert_allclose(noisy - y, 0.3 * np.random.default_rng(5).standard_normal(7))
    with pytest.raises(ValueError, match="^target must be one of sine, absolute value, step"):
        A.make_data("zigzag", 5, 0.0, np.random.default_rng(0))


def test_random_start_spreads_the_kinks_over_the_data_and_fields_are_labelled():
    x, y = A.make_data("sine", 40, 0.0, np.random.default_rng(0))
    kinks = []
    for seed in range(20):
        s = next(A.run(x, y, A.Params(activation="ReLU", units=8), np.random.default_rng(seed)))
        k = -s.b / s.w
        assert (np.abs(k) <= 3).all()                       # every kink inside the data
        assert len(np.unique(np.round(k, 12))) == 8         # and all different
        kinks.extend(k)
        assert s.c == 0.0 and s.update == 0 and s.activation == "ReLU"
        assert s.metrics == {"update": 0, "loss": s.loss, "dead units": int(s.dead.sum())}
    kinks = np.array(kinks)
    assert (kinks < -2).any() and (kinks > 2).any()         # reaching both ends
    assert 1.4 < kinks.std() < 2.1                          # uniform on [−3, 3]: std √3


def test_grid_units_and_the_negative_flag():
    x, y = A.make_data("sine", 30, 0.1, np.random.default_rng(0))
    steps = list(A.run(x, y, A.Params(activation="ELU", alpha=2.0, units=5, updates=30),
                       np.random.default_rng(2)))
    s = steps[-1]
    span = x.max() - x.min()
    assert len(s.grid) == A.GRID
    assert s.grid[0] == pytest.approx(x.min() - 0.1 * span)
    assert s.grid[-1] == pytest.approx(x.max() + 0.1 * span)
    np.testing.assert_allclose(s.contributions,
                               s.v[:, None] * A.elu(np.outer(s.w, s.grid) + s.b[:, None], 2.0))
    for t in steps:
        z = np.outer(x, t.w) + t.b
        np.testing.assert_array_equal(t.negative, (z <= 0).all(0))
        np.testing.assert_array_equal(t.active, (A.elu_derivative(z, 2.0) != 0).sum(0))
        assert t.update == t.index and t.activation == "ELU"
    assert "(Adam, η = 0.05)" in steps[1].caption


def test_dead_and_recovering_captions_word_by_word():
    x, y = A.make_data("sine", 12, 0.0, np.random.default_rng(0))
    one = next(A.run(x, y, A.Params(activation="ReLU", units=1, start=A.STARTS[1]),
                     np.random.default_rng(0)))
    assert one.caption.endswith(" ReLU unit 1: f'(w·x + b) = 0 on all 12 examples, so "
                                "∂L/∂w = ∂L/∂b = 0 exactly — it will never move.")
    assert "over 12 examples" in one.caption
    two = next(A.run(x, y, A.Params(activation="ReLU", units=2, start=A.STARTS[1]),
                     np.random.default_rng(0)))
    assert two.caption.endswith(" ReLU units 1, 2: f'(w·x + b) = 0 on all 12 examples, so "
                                "∂L/∂w = ∂L/∂b = 0 exactly — they will never move.")
    for units in (1, 2):
        s = next(A.run(x, y, A.Params(activation="leaky ReLU", units=units,
                                      start=A.STARTS[1]), np.random.default_rng(0)))
        which = "unit 1" if units == 1 else "units 1, 2"
        assert s.caption.endswith(f" w·x + b < 0 on every example for {which}, but f' is not "
                                  f"0 there: unit 1 still gets ∂L/∂b = "
                                  f"{A.num(s.gradient['b'][0], 3)}, so it can recover.")
    plain = next(A.run(x, y, A.Params(activation="tanh", units=2), np.random.default_rng(0)))
    assert plain.caption.endswith("over 12 examples.")


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_linear_caption_writes_the_line_it_draws(seed):
    x, y = A.make_data("line", 20, 0.2, np.random.default_rng(seed))
    s = list(A.run(x, y, A.Params(activation="linear", units=2, updates=3, rule="GD",
                                  lr=0.01), np.random.default_rng(seed)))[-1]
    slope, icept = float(s.v @ s.w), s.c + float(s.v @ s.b)
    sign = "−" if icept < 0 else "+"
    assert s.caption.endswith(f"= {A.num(slope, 3)}·x {sign} {A.num(abs(icept), 3)}.")
    np.testing.assert_allclose(s.curve, slope * s.grid + icept, atol=1e-12)
