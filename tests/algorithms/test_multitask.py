"""Hard and soft parameter sharing: checked against a hand-written numpy network, central
differences, the λ = 0 and λ → ∞ limits, and the caption rules."""

import dataclasses
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms import multitask as mt

H = 5


def tasks(n=8, seed=0, noise=0.1, phase=0.7):
    return mt.make_tasks(n, 30, noise, phase, np.random.default_rng(seed))


def params(**kw):
    base = dict(lam=0.1, hidden=H, rule="Adam", lr=0.02, updates=25, sweep=False)
    base.update(kw)
    return mt.Params(**base)


def steps(data=None, seed=1, **kw):
    return list(mt.run(data or tasks(), params(**kw), np.random.default_rng(seed)))


# --- an independent reference: the 1-h-1 tanh network written out by hand ------------------

def unpack(theta, h, outputs=1):
    """W₁ (1 × h), b₁ (h), W₂ (h × outputs), b₂ (outputs) from a flat vector."""
    w1, b1 = theta[:h].reshape(1, h), theta[h:2 * h]
    w2 = theta[2 * h:2 * h + h * outputs].reshape(h, outputs)
    return w1, b1, w2, theta[2 * h + h * outputs:]


def hand_forward(theta, x, h, outputs=1):
    w1, b1, w2, b2 = unpack(theta, h, outputs)
    return np.tanh(x[:, None] @ w1 + b1) @ w2 + b2


def hand_gd(theta, x, y, h, lr, updates):
    """Gradient descent on mean (ŷ − y)² for one 1-h-1 network, by the chain rule:
    ŷ = a·W₂ + b₂ with a = tanh(x·W₁ + b₁); ∂/∂ŷ = 2(ŷ − y)/n; ∂/∂z = (∂/∂a)(1 − a²)."""
    theta = theta.copy()
    n = len(x)
    for _ in range(updates):
        w1, b1, w2, b2 = unpack(theta, h)
        a = np.tanh(x[:, None] @ w1 + b1)
        d_out = 2 * ((a @ w2 + b2)[:, 0] - y)[:, None] / n
        dz = (d_out @ w2.T) * (1 - a * a)
        grad = np.concatenate([(x[:, None].T @ dz).ravel(), dz.sum(0),
                               (a.T @ d_out).ravel(), d_out.sum(0)])
        theta = theta - lr * grad
    return theta


def central(f, theta, eps=1e-6):
    out = np.empty_like(theta)
    for i in range(len(theta)):
        e = np.zeros_like(theta)
        e[i] = eps
        out[i] = (f(theta + e) - f(theta - e)) / (2 * eps)
    return out


# --- the losses and gradients -----------------------------------------------------------------

def test_hard_sharing_loss_is_both_tasks_mse_of_the_hand_network():
    d = tasks()
    theta = np.random.default_rng(3).normal(size=mt.Layout((1, H, 2)).size)
    total, (l1, l2), _ = mt.hard(theta, d.x_train, d.y_train, H)
    out = hand_forward(theta, d.x_train, H, outputs=2)
    assert l1 == pytest.approx(np.mean((out[:, 0] - d.y_train[:, 0]) ** 2), rel=1e-12)
    assert l2 == pytest.approx(np.mean((out[:, 1] - d.y_train[:, 1]) ** 2), rel=1e-12)
    assert total == pytest.approx(l1 + l2, rel=1e-12)


def test_soft_sharing_objective_adds_the_penalty_on_towers_only():
    d = tasks()
    theta = np.random.default_rng(4).normal(size=2 * mt.Layout((1, H, 1)).size)
    a, b = theta[:len(theta) // 2], theta[len(theta) // 2:]
    lam = 0.37
    total, (l1, l2), _ = mt.two_nets(theta, d.x_train, d.y_train, H, lam)
    assert l1 == pytest.approx(np.mean((hand_forward(a, d.x_train, H)[:, 0]
                                        - d.y_train[:, 0]) ** 2), rel=1e-12)
    assert l2 == pytest.approx(np.mean((hand_forward(b, d.x_train, H)[:, 0]
                                        - d.y_train[:, 1]) ** 2), rel=1e-12)
    # the tower is W₁ and b₁: the first 2h numbers of each network; heads are not penalised
    penalty = lam * np.sum((a[:2 * H] - b[:2 * H]) ** 2)
    assert total == pytest.approx(l1 + l2 + penalty, rel=1e-12)
    assert mt.distance(theta, H) == pytest.approx(np.sqrt(penalty / lam), rel=1e-12)


@pytest.mark.parametrize("lam", [0.0, 0.5, 30.0])
def test_soft_gradient_with_penalty_equals_central_differences(lam):
    d = tasks(n=6)
    theta = np.random.default_rng(5).normal(size=2 * mt.Layout((1, H, 1)).size)
    grad = mt.two_nets(theta, d.x_train, d.y_train, H, lam)[2]
    num = central(lambda t: mt.two_nets(t, d.x_train, d.y_train, H, lam)[0], theta)
    np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-7)


def test_hard_gradient_equals_central_differences():
    d = tasks(n=6)
    theta = np.random.default_rng(6).normal(size=mt.Layout((1, H, 2)).size)
    grad = mt.hard(theta, d.x_train, d.y_train, H)[2]
    num = central(lambda t: mt.hard(t, d.x_train, d.y_train, H)[0], theta)
    np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-7)


def test_hard_trunk_gradient_is_the_sum_of_both_heads_contributions():
    d = tasks(n=7)
    theta = np.random.default_rng(7).normal(size=mt.Layout((1, H, 2)).size)
    grad = mt.hard(theta, d.x_train, d.y_train, H)[2]
    w1, b1, w2, b2 = unpack(theta, H, outputs=2)
    spec = mt.single_spec(H)
    parts = []
    for k in range(2):  # trunk + head k as a 1-h-1 network trained on task k alone
        single = np.concatenate([w1.ravel(), b1, w2[:, k], [b2[k]]])
        parts.append(mt.mse_and_gradient(spec, single, d.x_train, d.y_train[:, k])[1])
    t = 2 * H
    np.testing.assert_allclose(grad[:t], parts[0][:t] + parts[1][:t], rtol=1e-12, atol=1e-14)
    # each head gets only its own task's gradient
    w2_grad = grad[t:t + 2 * H].reshape(H, 2)
    np.testing.assert_allclose(w2_grad[:, 0], parts[0][t:t + H], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(w2_grad[:, 1], parts[1][t:t + H], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grad[-2:], [parts[0][-1], parts[1][-1]], rtol=1e-12)
    # and the two contributions are both there (neither is zero)
    assert min(np.abs(parts[0][:t]).max(), np.abs(parts[1][:t]).max()) > 1e-3


# --- the three set-ups stepping -----------------------------------------------------------------

def test_at_lambda_zero_soft_sharing_equals_two_independent_models():
    run = steps(lam=0.0, updates=30)
    for s in run:
        soft, sep = s.setups["soft"], s.setups["separate"]
        np.testing.assert_array_equal(soft.theta, sep.theta)
        np.testing.assert_array_equal(soft.history, sep.history)


def test_separate_networks_follow_hand_written_gradient_descent():
    d = tasks(n=9)
    run = steps(d, rule="GD", lr=0.05, updates=12, lam=0.0)
    start, last = run[0].setups["separate"].theta, run[-1].setups["separate"].theta
    half = len(start) // 2
    for k, (lo, hi) in enumerate(((0, half), (half, 2 * half))):
        expect = hand_gd(start[lo:hi], d.x_train, d.y_train[:, k], H, 0.05, 12)
        np.testing.assert_allclose(last[lo:hi], expect, rtol=1e-10, atol=1e-12)


def test_at_large_lambda_the_towers_converge_to_equal_weights():
    dist = {lam: steps(lam=lam, updates=150, lr=0.02)[-1].distances[-1, 0]
            for lam in (0.0, 1.0, 1000.0)}
    start = steps(updates=1)[0].distances[0, 0]
    assert start > 0.5                       # the towers start apart (different seeds)
    assert dist[1000.0] < 1e-2 * start
    assert dist[1000.0] < dist[1.0] < dist[0.0]


def test_large_lambda_gradient_descent_makes_the_towers_equal():
    # GD with η·4λ = 1: the towers' difference D obeys D ← D − η·(4λ·D + Δg) = −η·Δg, where
    # Δg is the difference of the two data gradients on the tower: after one update the
    # towers are η·‖Δg‖ apart, and they stay that close
    d = tasks()
    run = steps(d, lam=500.0, rule="GD", lr=0.0005, updates=60)
    dist = run[-1].distances[:, 0]
    a, b = mt.split(run[0].setups["soft"].theta)
    spec = mt.single_spec(H)
    ga = mt.mse_and_gradient(spec, a, d.x_train, d.y_train[:, 0])[1][:2 * H]
    gb = mt.mse_and_gradient(spec, b, d.x_train, d.y_train[:, 1])[1][:2 * H]
    assert dist[1] == pytest.approx(0.0005 * np.linalg.norm(ga - gb), rel=1e-9)
    assert dist[0] > 0.5 and dist[-1] < 0.01 * dist[0]


def test_hard_starts_like_the_separate_networks():
    # hard sharing's trunk is network A's tower and its heads are A's and B's heads, so at
    # the start task 1 is predicted alike; task 2 differs only through the tower
    s = steps(updates=1)[0]
    x = np.linspace(-3, 3, 11)
    hard, sep = s.setups["hard"].outputs(x), s.setups["separate"].outputs(x)
    np.testing.assert_allclose(hard[:, 0], sep[:, 0], rtol=1e-12)
    a, b = mt.split(s.setups["separate"].theta)
    mixed = np.concatenate([a[:2 * H], b[2 * H:]])
    np.testing.assert_allclose(hard[:, 1], hand_forward(mixed, x, H)[:, 0], rtol=1e-12)


def test_history_rows_are_each_setups_train_and_validation_mse():
    d = tasks()
    s = steps(d, updates=5)[-1]
    for name, setup in s.setups.items():
        out_t, out_v = setup.outputs(d.x_train), setup.outputs(d.x_val)
        row = setup.history[-1]
        np.testing.assert_allclose(row[:2], np.mean((out_t - d.y_train) ** 2, 0), rtol=1e-12)
        np.testing.assert_allclose(row[2:], np.mean((out_v - d.y_val) ** 2, 0), rtol=1e-12)
        assert setup.history.shape == (6, 4), name
    assert s.metrics["hard val 2"] == pytest.approx(s.setups["hard"].history[-1, 3])


def test_training_lowers_every_setups_training_loss():
    s = steps(updates=200, lr=0.02)[-1]
    for setup in s.setups.values():
        assert setup.history[-1, :2].max() < 0.5 * setup.history[0, :2].min()


def test_sweep_holds_the_soft_runs_for_each_lambda():
    run = steps(lam=0.3, updates=40, sweep=True)
    last = run[-1]
    assert list(last.sweep.lams) == sorted(set(mt.SWEEP) | {0.3})
    at = {lam: i for i, lam in enumerate(last.sweep.lams)}
    # λ = 0 is the separate networks and the chosen λ is soft sharing itself
    assert last.sweep.distances[at[0.0]] == last.distances[-1, 1]
    assert last.sweep.distances[at[0.3]] == last.distances[-1, 0]
    np.testing.assert_array_equal(last.sweep.val[at[0.3]], last.setups["soft"].history[-1, 2:])
    # a λ of the sweep equals a run of its own at that λ
    own = steps(lam=10.0, updates=40)[-1]
    assert last.sweep.distances[at[10.0]] == pytest.approx(own.distances[-1, 0], rel=1e-12)
    np.testing.assert_allclose(last.sweep.val[at[10.0]], own.setups["soft"].history[-1, 2:],
                               rtol=1e-12)
    assert np.all(np.diff(last.sweep.distances) < 0)
    assert "λ sweep" in last.caption and "λ sweep" not in run[-2].caption
    assert steps(updates=3)[-1].sweep is None


def test_deterministic_for_a_seed():
    a, b = steps(seed=4, updates=10), steps(seed=4, updates=10)
    c = steps(seed=5, updates=10)
    for x, y in zip(a, b, strict=True):
        assert x.caption == y.caption
        for name in mt.SETUPS:
            np.testing.assert_array_equal(x.setups[name].theta, y.setups[name].theta)
    assert not np.array_equal(a[-1].setups["hard"].theta, c[-1].setups["hard"].theta)


def test_snapshots_are_immutable_and_keep_their_history():
    run = mt.run(tasks(), params(updates=80), np.random.default_rng(1))
    first = next(run)
    early = next(run)
    kept = early.setups["soft"].history.copy(), early.distances.copy()
    rest = list(run)
    np.testing.assert_array_equal(early.setups["soft"].history, kept[0])
    np.testing.assert_array_equal(early.distances, kept[1])
    for arr in (first.setups["hard"].theta, early.setups["soft"].history, early.distances):
        with pytest.raises(ValueError):
            arr[0] = 1.0
    assert [s.index for s in rest] == list(range(2, 81))
    assert rest[-1].phase == "done" and early.phase == "update" and first.phase == "start"


BAD = re.compile(r"\bnan\b|-0\b|(?<![\d.,])1 (points|updates|values)\b", re.I)


def test_captions_are_clean_and_name_the_numbers():
    run = steps(updates=20, sweep=True)
    for s in run:
        assert not BAD.search(s.caption), s.caption
    last = run[-1]
    row = last.setups["soft"].history[-1]
    assert f"soft sharing: {mt.num(row[2])} and {mt.num(row[3])}" in last.caption
    assert mt.num(last.distances[-1, 0]) in last.caption
    assert "Update 20 of 20" in last.caption
    assert "8 training points" in run[0].caption
    two = list(mt.run(mt.make_tasks(2, 2, 0.1, 0.5, np.random.default_rng(0)),
                      params(updates=1), np.random.default_rng(0)))
    assert "2 training points" in two[0].caption


def test_a_diverging_setup_stops_and_says_so():
    run = steps(lam=1000.0, rule="GD", lr=1.0, updates=150)
    last = run[-1]
    assert last.setups["soft"].diverged
    assert "diverged, stopped" in last.caption
    assert not BAD.search(last.caption)
    assert all(np.isfinite(v) for v in last.metrics.values())
    assert "soft val 1" not in last.metrics


@pytest.mark.parametrize("bad, words", [
    (dict(x_train=[0.0, np.nan, 1.0]), "missing"),
    (dict(x_train=[0.5]), "at least 2"),
    (dict(y_train=np.zeros((3, 1))), "two targets"),
    (dict(x_val=[1e200, 0.0]), "rescale"),
])
def test_bad_input_is_refused_in_one_sentence(bad, words):
    good = dict(x_train=[0.0, 0.5, 1.0], y_train=np.zeros((3, 2)), x_val=[0.0, 1.0],
                y_val=np.zeros((2, 2)))
    good.update(bad)
    if "x_train" in bad and "y_train" not in bad:
        good["y_train"] = np.zeros((len(bad["x_train"]), 2))
    if "x_val" in bad:
        good["y_val"] = np.zeros((len(bad["x_val"]), 2))
    with pytest.raises(ValueError, match=words):
        mt.check_tasks(**good)


def test_params_outside_their_limits_are_refused():
    with pytest.raises(ValueError, match="hidden"):
        list(mt.run(tasks(), params(hidden=0), np.random.default_rng(0)))
    with pytest.raises(ValueError, match="rule"):
        list(mt.run(tasks(), params(rule="nope"), np.random.default_rng(0)))


def test_generated_tasks_are_the_two_sines():
    d = mt.make_tasks(20, 10, 0.0, 1.2, np.random.default_rng(2))
    np.testing.assert_allclose(d.y_train[:, 0], np.sin(d.x_train), atol=1e-15)
    np.testing.assert_allclose(d.y_train[:, 1], np.sin(d.x_train + 1.2), atol=1e-15)
    assert np.all(np.abs(d.x_val) <= np.pi) and np.all(np.diff(d.x_train) >= 0)
    noisy = mt.make_tasks(2000, 10, 0.3, 1.2, np.random.default_rng(2))
    assert np.std(noisy.y_train[:, 0] - np.sin(noisy.x_train)) == pytest.approx(0.3, rel=0.1)


@settings(max_examples=15, deadline=None)
@given(st.floats(0.0, 5.0), st.integers(1, 4), st.integers(0, 10_000))
def test_penalty_gradient_pulls_the_towers_together(lam, h, seed):
    # with equal data gradients removed (both networks on the same zero task), the gradient
    # is the penalty's alone: +2λ·D on A's tower, −2λ·D on B's, 0 on the heads
    theta = np.random.default_rng(seed).normal(size=2 * mt.Layout((1, h, 1)).size)
    x, y = np.zeros(3), np.zeros((3, 2))
    g_pen = mt.two_nets(theta, x, y, h, lam)[2] - mt.two_nets(theta, x, y, h, 0.0)[2]
    a, b = mt.split(theta)
    half = len(theta) // 2
    diff = a[:2 * h] - b[:2 * h]
    np.testing.assert_allclose(g_pen[:2 * h], 2 * lam * diff, atol=1e-12)
    np.testing.assert_allclose(g_pen[half:half + 2 * h], -2 * lam * diff, atol=1e-12)
    assert not np.any(g_pen[2 * h:half]) and not np.any(g_pen[half + 2 * h:])


def test_params_copy_keeps_the_defaults_valid():
    p = mt.Params()
    mt.validate(p)
    assert dataclasses.replace(p, lam=0.0).lam == 0.0


def test_hard_start_takes_each_piece_from_its_place():
    # a vector with no zeros: trunk = A's W₁ and b₁, head k = network k's W₂ and b₂
    ab = np.arange(1.0, 2 * (3 * H + 1) + 1)
    a, b = mt.split(ab)
    hard = mt.hard_from(ab, H)
    w1, b1, w2, b2 = unpack(hard, H, outputs=2)
    np.testing.assert_array_equal(w1.ravel(), a[:H])
    np.testing.assert_array_equal(b1, a[H:2 * H])
    np.testing.assert_array_equal(w2[:, 0], a[2 * H:3 * H])
    np.testing.assert_array_equal(w2[:, 1], b[2 * H:3 * H])
    np.testing.assert_array_equal(b2, [a[3 * H], b[3 * H]])


def test_caption_lines_carry_each_setups_numbers_and_the_sweep():
    run = steps(updates=30, sweep=True)
    last, start = run[-1], run[0]
    assert start.index == 0 and start.sweep is not None and start.update == 0
    np.testing.assert_array_equal(start.sweep.distances[0], start.distances[0, 1])
    lines = last.caption.splitlines()
    for name, line in zip(mt.SETUPS, lines[1:4], strict=True):
        r = last.setups[name].history[-1]
        assert line == (f"{mt.NAMES[name]}: {mt.num(r[2])} and {mt.num(r[3])} (training "
                        f"{mt.num(r[0])} and {mt.num(r[1])})")
    sw = last.sweep
    best = sw.lams[np.argmin(sw.val[:, 0] + sw.val[:, 1])]
    assert lines[-1] == (f"λ sweep: soft sharing trained for 6 λ values from 0 to 10; the "
                         f"towers' distance went from {mt.num(sw.distances[0])} to "
                         f"{mt.num(sw.distances[-1])}; the lowest validation MSE (sum of both "
                         f"tasks) was at λ = {mt.num(best)}.")
    assert last.metrics["soft distance"] == last.distances[-1, 0]
    assert last.metrics["separate train 2"] == last.setups["separate"].history[-1, 1]
    assert last.update == 30 and last.lam == 0.1


def test_a_diverging_run_says_so_without_numbers_it_does_not_have():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")   # overflow is expected and must stay silent
        run = steps(lam=1000.0, rule="GD", lr=1.0, updates=200, sweep=True)
    last = run[-1]
    assert last.phase == "done" and last.index < 200   # stops once all have diverged
    lines = last.caption.splitlines()
    assert lines[2] == "soft sharing: — and — (training — and —) — diverged, stopped"
    assert not BAD.search(last.caption)
    sw = last.sweep   # the lowest held-out error is named among the λ still running
    alive = np.isfinite(sw.val).all(1)
    assert 0 < alive.sum() < len(sw.lams)
    best = sw.lams[alive][np.argmin(sw.val[alive].sum(1))]
    assert last.caption.endswith(f"was at λ = {mt.num(best)}.")
    assert "soft distance" not in last.metrics
    assert np.isnan(last.setups["soft"].history[-1]).all()


def test_inputs_are_kept_as_floats_and_the_largest_value_is_allowed():
    d = mt.check_tasks([0, 1, 2], [[0, 1], [1, 0], [1, 1]], [1, 2], [[1, 1], [0, 0]])
    assert d.x_train.dtype == float and d.y_val.dtype == float
    mt.check_tasks([0.0, mt.LARGEST], np.zeros((2, 2)), [0.0, 1.0], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="^the validation data has missing"):
        mt.check_tasks([0.0, 1.0], np.zeros((2, 2)), [0.0, np.inf], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="^the training data needs at least 2"):
        mt.check_tasks([0.0], np.zeros((1, 2)), [0.0, 1.0], np.zeros((2, 2)))


def test_generated_inputs_spread_over_the_whole_range():
    d = mt.make_tasks(50, 50, 0.0, 0.5, np.random.default_rng(9))
    assert d.x_train.min() < -2.5 and d.x_train.max() > 2.5
