"""Update rules checked against hand arithmetic and an independent Adam loop; the race."""

import dataclasses
import math
import re
import warnings

import numpy as np
import pytest

from algorithms import optimizers
from algorithms.optimizers import (
    OPTIMIZERS,
    AdaGrad,
    Adam,
    GradientDescent,
    Momentum,
    Nesterov,
    RaceParams,
    RMSProp,
    build,
    make_surface,
    race,
    run,
)
from algorithms.surfaces import bowl, custom, make, rosenbrock


def quad_grad(p):
    """Gradient of f = x² + 3y²: (2x, 6y)."""
    return np.array([2 * p[0], 6 * p[1]])


def rosen_grad(p):
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def three_points(opt, start):
    state = opt.init(start)
    points = []
    for _ in range(3):
        state, _ = opt.step(state, quad_grad)
        points.append(state.x)
    return np.array(points)


# --- first three updates, worked out by hand on f = x² + 3y², ∇f = (2x, 6y), lr = 0.1 ---

def test_gradient_descent_by_hand():
    # x ← x − 0.1·(2x, 6y) = (0.8x, 0.4y) from (1, 1):
    # (0.8, 0.4) → (0.64, 0.16) → (0.512, 0.064)
    expected = [[0.8, 0.4], [0.64, 0.16], [0.512, 0.064]]
    np.testing.assert_allclose(three_points(GradientDescent(0.1), (1, 1)), expected, rtol=1e-12)


def test_momentum_by_hand():
    # v1 = 0.1·(2, 6) = (0.2, 0.6);                       x1 = (1, 1) − v1 = (0.8, 0.4)
    # g1 = (1.6, 2.4); v2 = 0.9·(0.2, 0.6) + (0.16, 0.24) = (0.34, 0.78);  x2 = (0.46, −0.38)
    # g2 = (0.92, −2.28); v3 = (0.306, 0.702) + (0.092, −0.228) = (0.398, 0.474)
    # x3 = (0.46 − 0.398, −0.38 − 0.474) = (0.062, −0.854)
    expected = [[0.8, 0.4], [0.46, -0.38], [0.062, -0.854]]
    np.testing.assert_allclose(three_points(Momentum(0.1, gamma=0.9), (1, 1)), expected,
                               rtol=1e-12, atol=1e-14)


def test_nesterov_by_hand():
    # Gradient at the look-ahead x − 0.9·v.
    # step 1: look = (1, 1), g = (2, 6), v1 = (0.2, 0.6), x1 = (0.8, 0.4)
    # step 2: look = (0.8 − 0.18, 0.4 − 0.54) = (0.62, −0.14), g = (1.24, −0.84)
    #         v2 = (0.18 + 0.124, 0.54 − 0.084) = (0.304, 0.456), x2 = (0.496, −0.056)
    # step 3: look = (0.496 − 0.2736, −0.056 − 0.4104) = (0.2224, −0.4664)
    #         g = (0.4448, −2.7984), v3 = (0.2736 + 0.04448, 0.4104 − 0.27984)
    #           = (0.31808, 0.13056), x3 = (0.17792, −0.18656)
    expected = [[0.8, 0.4], [0.496, -0.056], [0.17792, -0.18656]]
    np.testing.assert_allclose(three_points(Nesterov(0.1, gamma=0.9), (1, 1)), expected,
                               rtol=1e-12)


# The adaptive methods scale each coordinate by its own gradient history. Started on the
# diagonal (1, 1) both coordinates would move identically, so they start at (1, −2).

def test_adagrad_by_hand():
    # step 1: g = (2, −12), G = (4, 144), step = 0.1·(2/2, −12/12)  → x1 = (0.9, −1.9)
    # step 2: g = (1.8, −11.4), G = (7.24, 273.96), √G = (2.69072481, 16.55173707)
    #         x2 = (0.9 − 0.18/2.69072481, −1.9 + 1.14/16.55173707) = (0.83310353, −1.83112505)
    # step 3: g = (1.66620705, −10.98675032), G = (10.01624595, 394.66868266)
    #         √G = (3.16484533, 19.86626997) → x3 = (0.78045618, −1.77582152)
    expected = [[0.9, -1.9], [0.83310353, -1.83112505], [0.78045618, -1.77582152]]
    np.testing.assert_allclose(three_points(AdaGrad(0.1), (1, -2)), expected, rtol=1e-7)


def test_rmsprop_by_hand():
    # ρ = 0.9: s ← 0.9·s + 0.1·g²
    # step 1: g = (2, −12), s = (0.4, 14.4), √s = (0.63245553, 3.79473319)
    #         step = 0.1·(3.16227766, −3.16227766) → x1 = (0.68377223, −1.68377223)
    # step 2: g = (1.36754447, −10.10263340), s = (0.54701779, 23.16632017)
    #         √s = (0.73960651, 4.81314036) → x2 = (0.49887061, −1.47387531)
    # step 3: g = (0.99774121, −8.84325188), s = (0.59186476, 28.66999854)
    #         √s = (0.76932747, 5.35443728) → x3 = (0.36918055, −1.30871787)
    expected = [[0.68377223, -1.68377223], [0.49887061, -1.47387531], [0.36918055, -1.30871787]]
    np.testing.assert_allclose(three_points(RMSProp(0.1, rho=0.9), (1, -2)), expected, rtol=1e-7)


def test_adam_by_hand():
    # β1 = 0.9, β2 = 0.999, lr = 0.1
    # step 1: g = (2, −12); m = (0.2, −1.2); v = (0.004, 0.144)
    #         m̂ = m/0.1 = (2, −12); v̂ = v/0.001 = (4, 144) → step (0.1, −0.1), x1 = (0.9, −1.9)
    # step 2: g = (1.8, −11.4); m = (0.36, −2.22); v = (0.007236, 0.273816)
    #         m̂ = m/0.19 = (1.89473684, −11.68421053); v̂ = v/0.001999 = (3.61980990, 136.97648824)
    #         x2 = (0.9 − 0.1·1.89473684/1.90257980, −1.9 + 0.1·11.68421053/11.70369550)
    #            = (0.80041223, −1.80016649)
    # step 3: g = (1.60082446, −10.80099891); m = (0.48408245, −3.07809989)
    #         v = (0.00979140, 0.39020376); m̂ = m/0.271 = (1.78628209, −11.35830218)
    #         v̂ = v/0.002997001 = (3.26706696, 130.19807519) → x3 = (0.70158627, −1.70062339)
    opt = Adam(0.1, beta1=0.9, beta2=0.999)
    expected = [[0.9, -1.9], [0.80041223, -1.80016649], [0.70158627, -1.70062339]]
    np.testing.assert_allclose(three_points(opt, (1, -2)), expected, rtol=1e-7)
    # The second update's intermediate terms, from the same arithmetic.
    state = opt.init((1, -2))
    state, _ = opt.step(state, quad_grad)
    _, update = opt.step(state, quad_grad)
    # (ε = 1e-8 nudges x1 by about 5e-11, hence not an exact match)
    np.testing.assert_allclose(update.terms["m"], [0.36, -2.22], rtol=1e-9)
    np.testing.assert_allclose(update.terms["v"], [0.007236, 0.273816], rtol=1e-9)
    np.testing.assert_allclose(update.terms["m_hat"], [1.89473684, -11.68421053], rtol=1e-8)
    np.testing.assert_allclose(update.terms["v_hat"], [3.61980990, 136.97648824], rtol=1e-8)


def test_adam_without_bias_correction_by_hand():
    # m = (0.2, −1.2), v = (0.004, 0.144) used as they are: step = 0.1·m/√v
    #   = 0.1·(0.2/0.0632455532, −1.2/0.379473319) = (0.316227766, −0.316227766)
    opt = Adam(0.1, eps=0.0, bias_correction=False)
    _, update = opt.step(opt.init((1, -2)), quad_grad)
    np.testing.assert_allclose(update.delta, [-0.316227766, 0.316227766], rtol=1e-9)


def test_adam_matches_kingma_ba_algorithm_1():
    alpha, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    theta, m, v = [-1.5, 2.0], [0.0, 0.0], [0.0, 0.0]
    opt = Adam(alpha, beta1=b1, beta2=b2, eps=eps)
    state = opt.init(theta)
    for t in range(1, 301):
        g = list(rosen_grad(theta))
        for i in range(2):
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2
            m_hat = m[i] / (1 - b1**t)
            v_hat = v[i] / (1 - b2**t)
            theta[i] -= alpha * m_hat / (math.sqrt(v_hat) + eps)
        state, _ = opt.step(state, rosen_grad)
        np.testing.assert_allclose(state.x, theta, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", [Momentum, Nesterov])
def test_zero_momentum_is_plain_descent(cls):
    plain, heavy = GradientDescent(0.001), cls(0.001, gamma=0.0)
    a, b = plain.init((-1.2, 1.0)), heavy.init((-1.2, 1.0))
    for _ in range(50):
        a, _ = plain.step(a, rosen_grad)
        b, _ = heavy.step(b, rosen_grad)
        np.testing.assert_allclose(b.x, a.x, rtol=1e-14)


def test_step_is_pure_and_the_update_records_the_move():
    opt = Adam(0.1)
    s0 = opt.init((1.0, -2.0))
    s1, u1 = opt.step(s0, quad_grad)
    s1_again, _ = opt.step(s0, quad_grad)
    np.testing.assert_array_equal(s0.x, [1.0, -2.0])          # the input state is untouched
    np.testing.assert_array_equal(s0.slots["m"], [0.0, 0.0])
    np.testing.assert_array_equal(s1.x, s1_again.x)
    # By hand: Adam's first bias-corrected step is −η·g/|g| per coordinate (ε aside), so
    # from (1, −2), where g = (2, −12), it moves by (−0.1, 0.1) to (0.9, −1.9).
    np.testing.assert_array_equal(u1.x, [1.0, -2.0])
    np.testing.assert_array_equal(u1.g, [2.0, -12.0])
    np.testing.assert_allclose(u1.delta, [-0.1, 0.1], rtol=1e-7)
    np.testing.assert_allclose(s1.x, [0.9, -1.9], rtol=1e-7)
    assert s1.t == u1.t == 1
    for arr in (s1.x, u1.x, u1.g, u1.delta, *s1.slots.values(), *u1.terms.values()):
        with pytest.raises(ValueError):
            arr[0] = 5.0


def test_describe_and_registry():
    assert set(OPTIMIZERS) == {"GD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam"}
    for cls in OPTIMIZERS.values():
        assert cls.formula and cls().name == cls.name
    _, update = Adam(0.1).step(Adam(0.1).init((1, -2)), quad_grad)
    text = Adam(0.1).describe(update)
    assert text.startswith("Adam: g=(2, -12), m=(0.2, -1.2), v=(0.004, 0.144)")
    assert text.endswith("step=(-0.1, 0.1)")
    assert "m_hat" not in text and "v_hat" not in text    # they stay in update.terms


# --- stability of plain descent on the quadratic bowl ---

def hessian_top_eigenvalue(surface, h=1e-4):
    """Largest eigenvalue of a finite-difference Hessian, independent of surface.lipschitz."""
    p = np.array([0.3, -0.7])
    cols = [(surface.gradient(p + h * e) - surface.gradient(p - h * e)) / (2 * h)
            for e in np.eye(2)]
    return np.linalg.eigvalsh(np.column_stack(cols)).max()


@pytest.mark.parametrize("kappa", [1.0, 10.0, 100.0])
def test_gradient_descent_stability_threshold(kappa):
    surface = bowl(kappa, angle=30.0)
    big_l = surface.lipschitz
    assert big_l == pytest.approx(hessian_top_eigenvalue(surface), rel=1e-6)

    def final_distance(lr, steps):
        state, opt = GradientDescent(lr).init(surface.start), GradientDescent(lr)
        with np.errstate(all="ignore"):
            for _ in range(steps):
                state, _ = opt.step(state, surface.gradient)
        return np.linalg.norm(state.x)

    assert final_distance(0.95 * 2 / big_l, 2000) < 1e-6
    assert not final_distance(1.05 * 2 / big_l, 400) < 1e6   # grows, or overflows to nan/inf


# --- the race ---

def test_one_optimizer_diverges_while_the_other_continues():
    surface = bowl(10.0)
    snaps = list(race(surface, {"GD": GradientDescent(0.5), "Adam": Adam(0.05)}, steps=60))
    last = snaps[-1]
    gd, adam = last.runners["GD"], last.runners["Adam"]
    n = gd.diverged_at
    # By hand: at η = 0.5 the steep axis (curvature 10) multiplies y by 1 − 5 = −4 each
    # step: y = 2 → −8 → 32 → −128. The region is [−3, 3] (span 6); escaping means more
    # than 10 spans (60) outside it, |y| > 63, which first happens at step 3.
    assert n == 3
    assert f"diverged at step {n} — learning rate too large?" in gd.caption
    assert f"diverged at step {n}" in last.caption
    assert len(gd.path) == n and np.isfinite(gd.path).all()      # the bad point is not drawn
    assert adam.diverged_at is None and len(adam.path) == 61
    assert last.index == 60 and last.phase == "done"
    assert not np.array_equal(snaps[n].runners["Adam"].point, adam.point)
    assert adam.losses[-1] < adam.losses[n] < adam.losses[0]


@pytest.mark.filterwarnings("error")   # overflow is expected here, and handled quietly
def test_overflow_stops_at_first_step():
    snaps = list(race(rosenbrock(), {"GD": GradientDescent(1e300)}, steps=10))
    assert snaps[-1].runners["GD"].diverged_at == 1
    assert len(snaps) == 2                                      # nothing left running


def test_snapshot_contents_metrics_and_start():
    surface = bowl(10.0)
    snaps = list(race(surface, {"Momentum": Momentum(0.05), "GD": GradientDescent(0.05)},
                      start=(2.0, 1.0), steps=5))
    assert [s.index for s in snaps] == list(range(6))
    first, third = snaps[0], snaps[3]
    np.testing.assert_array_equal(first.runners["GD"].point, [2.0, 1.0])
    assert first.runners["GD"].gradient is None
    mom = third.runners["Momentum"]
    assert mom.path.shape == (4, 2) and mom.losses.shape == (4,)
    x, y = mom.path.T
    np.testing.assert_allclose(mom.losses, 0.5 * (x**2 + 10 * y**2), rtol=1e-12)
    # Unrolled, the heavy ball's velocity is η times a γ-discounted sum of every gradient
    # so far, each taken where the ball was: v₃ = η·(γ²·g₀ + γ·g₁ + g₂), g = (x, 10y).
    grads = np.column_stack([x[:3], 10 * y[:3]])
    np.testing.assert_allclose(mom.velocity, 0.05 * (0.81 * grads[0] + 0.9 * grads[1]
                                                     + grads[2]), rtol=1e-12)
    np.testing.assert_allclose(mom.gradient, grads[2], rtol=1e-12)
    assert third.runners["GD"].velocity is None
    # GD on ½(x² + 10y²) at η = 0.05 scales x by 0.95 and y by 0.5 each step:
    # after 3 steps (2·0.95³, 0.5³) = (1.71475, 0.125), f = ½(1.71475² + 10·0.125²)
    gd = third.runners["GD"]
    np.testing.assert_allclose(gd.point, [1.71475, 0.125], rtol=1e-12)
    assert third.metrics["GD loss"] == pytest.approx(1.54830878125, rel=1e-12)
    assert third.metrics["GD distance"] == pytest.approx(np.hypot(1.71475, 0.125), rel=1e-12)
    # its caption gives the gradient at (2·0.95², 0.5²) = (1.805, 0.25), i.e. (1.805, 2.5),
    # and the step −0.05 times that, to three significant digits
    assert third.caption.splitlines()[1] == "GD: g=(1.8, 2.5), step=(-0.0902, -0.125)"
    # Momentum's line names its own gradient at (x₂, y₂) in the same way
    line = third.caption.splitlines()[0]
    numbers = [float(v) for v in re.findall(r"-?\d+\.?\d*(?:e-?\d+)?", line)]
    np.testing.assert_allclose(numbers[:2], grads[2], rtol=5e-3)
    np.testing.assert_allclose(numbers[2:4], mom.velocity, rtol=5e-3)


def test_snapshots_are_read_only_and_never_change():
    snaps, kept = [], None
    opts = {"Nesterov": Nesterov(0.001), "Adam": Adam(0.05)}
    for snap in race(rosenbrock(), opts, steps=150):  # long enough for the trail to regrow
        snaps.append(snap)
        if snap.index == 3:
            kept = {name: (r.path.copy(), r.losses.copy(), r.point.copy(), r.gradient.copy(),
                           {k: v.copy() for k, v in r.terms.items()})
                    for name, r in snap.runners.items()}
    for name, r in snaps[3].runners.items():
        path, losses, point, grad, terms = kept[name]
        np.testing.assert_array_equal(r.path, path)
        np.testing.assert_array_equal(r.losses, losses)
        np.testing.assert_array_equal(r.point, point)
        np.testing.assert_array_equal(r.gradient, grad)
        for k, v in r.terms.items():
            np.testing.assert_array_equal(v, terms[k])
        for arr in (r.path, r.losses, r.point, r.gradient, r.update, *r.terms.values()):
            assert not arr.flags.writeable
        with pytest.raises(ValueError):
            r.path[0, 0] = 99.0
    with pytest.raises(TypeError):
        snaps[3].runners["Adam"] = None


def test_a_crowded_race_gets_a_short_caption():
    opts = {"GD": GradientDescent(0.5), "Momentum": Momentum(0.01), "Nesterov": Nesterov(0.01),
            "AdaGrad": AdaGrad(0.5), "RMSProp": RMSProp(0.05), "Adam": Adam(0.1)}
    last = list(race(bowl(10.0), opts, steps=60))[-1]
    running = {n: r for n, r in last.runners.items() if r.diverged_at is None}
    assert set(running) == set(opts) - {"GD"}
    best = min(running, key=lambda n: running[n].losses[-1])
    lines = last.caption.splitlines()
    assert len(lines) == 3
    assert lines[0] == running[best].caption + "  (lowest loss)"
    assert lines[1] == last.runners["GD"].caption and "diverged at step" in lines[1]
    # The summary names every other running optimizer with the length of its last move,
    # measured here from the drawn path rather than from the update it recorded.
    assert lines[2].startswith("step lengths: ")
    shown = dict(part.split(" ") for part in lines[2].removeprefix("step lengths: ").split(" · "))
    assert set(shown) == set(running) - {best}
    for name, text in shown.items():
        moved = np.linalg.norm(running[name].path[-1] - running[name].path[-2])
        assert float(text) == pytest.approx(moved, rel=0.05), name
    few = list(race(bowl(10.0), {n: opts[n] for n in ("GD", "Adam")}, steps=3))[-1]
    assert few.caption.splitlines() == [r.caption for r in few.runners.values()]


def test_params_build_and_run():
    params = RaceParams(surface="Quadratic bowl", condition=4.0, gd=True, momentum=False,
                        adam=True, rmsprop=True, gd_lr=0.1, steps=20)
    assert list(build(params)) == ["GD", "RMSProp", "Adam"]
    surface = make_surface(params)
    assert surface.lipschitz == 4.0
    snaps = list(run(surface, params, None))
    assert len(snaps) == 21 and set(snaps[-1].runners) == {"GD", "RMSProp", "Adam"}
    with pytest.raises(ValueError, match="gd_lr"):
        build(RaceParams(gd_lr=100.0))


def test_every_optimizer_gets_its_own_rates():
    params = RaceParams(gd=True, momentum=True, nesterov=True, adagrad=True, rmsprop=True,
                        adam=True, gd_lr=0.01, momentum_lr=0.02, momentum_gamma=0.5,
                        nesterov_lr=0.03, nesterov_gamma=0.6, adagrad_lr=0.04, rmsprop_lr=0.05,
                        rmsprop_rho=0.7, adam_lr=0.06, adam_beta1=0.8, adam_beta2=0.95,
                        adam_bias_correction=False, eps=1e-6)
    opts = build(params)
    assert [opts[n].lr for n in opts] == [0.01, 0.02, 0.03, 0.04, 0.05, 0.06]
    assert (opts["Momentum"].gamma, opts["Nesterov"].gamma) == (0.5, 0.6)
    assert opts["RMSProp"].rho == 0.7 and opts["RMSProp"].eps == 1e-6
    adam = opts["Adam"]
    assert (adam.beta1, adam.beta2, adam.bias_correction, adam.eps) == (0.8, 0.95, False, 1e-6)
    assert opts["AdaGrad"].eps == 1e-6


def test_default_race_is_stable_on_the_default_surface():
    params = RaceParams(nesterov=True, adagrad=True, rmsprop=True)
    last = list(run(make_surface(params), params))[-1]
    assert last.index == params.steps
    for name, runner in last.runners.items():
        assert runner.diverged_at is None, name
        assert runner.losses[-1] < runner.losses[0], name


@pytest.mark.parametrize("name", ["AdaGrad", "RMSProp", "Adam"])
def test_eps_zero_on_an_untouched_coordinate_is_no_step_not_a_divergence(name):
    """With ε = 0 a coordinate whose gradient has always been 0 gives 0/0; it must not move
    (and the race must not call that a divergence)."""
    ticks = {n: n == name.lower() for n in ("gd", "momentum", "adagrad", "rmsprop", "adam")}
    p = dataclasses.replace(optimizers.RaceParams(), surface="Quadratic bowl", eps=0.0,
                            angle=0.0, **ticks)
    surface = optimizers.make_surface(p)
    last = list(optimizers.run(surface, p, start=(0.0, 1.0)))[-1].runners[name]
    assert last.diverged_at is None
    assert np.all(last.path[:, 0] == 0.0), "x had no gradient, so it never moves"
    assert abs(last.point[1]) < 0.5, "y still descends towards the minimum"


def test_log_gaps_and_distances_follow_the_path():
    """Independent of the race's bookkeeping: recompute f − f* and the distance to the
    minimum (1, 1) of Rosenbrock (f* = 0) from the path itself."""
    p = dataclasses.replace(optimizers.RaceParams(), surface="Rosenbrock", adam_lr=0.1)
    surface = optimizers.make_surface(p)
    runner = list(optimizers.run(surface, p))[-1].runners["Adam"]
    x, y = runner.path.T
    gap = (1 - x) ** 2 + 100 * (y - x**2) ** 2
    np.testing.assert_allclose(runner.log_gaps, np.log10(np.maximum(gap, 1e-12)), atol=1e-9)
    np.testing.assert_allclose(runner.log_distances,
                               np.log10(np.maximum(np.hypot(x - 1, y - 1), 1e-12)), atol=1e-9)


# --- what the panel reads from each update --------------------------------------------

def test_each_rule_names_its_terms_with_the_hand_worked_values():
    """The second update of the hand examples above (f = x² + 3y², lr = 0.1): the panel
    shows these terms by name, so the names and the numbers both matter."""
    def second(opt, start):
        state, _ = opt.step(opt.init(start), quad_grad)
        return opt.step(state, quad_grad)[1].terms

    assert set(second(GradientDescent(0.1), (1, 1))) == set()
    terms = second(Momentum(0.1, gamma=0.9), (1, 1))
    assert set(terms) == {"v"}
    np.testing.assert_allclose(terms["v"], [0.34, 0.78], rtol=1e-12)
    terms = second(Nesterov(0.1, gamma=0.9), (1, 1))
    assert set(terms) == {"look-ahead", "v"}
    np.testing.assert_allclose(terms["look-ahead"], [0.62, -0.14], rtol=1e-12)
    np.testing.assert_allclose(terms["v"], [0.304, 0.456], rtol=1e-12)
    terms = second(AdaGrad(0.1), (1, -2))
    assert set(terms) == {"G"}
    np.testing.assert_allclose(terms["G"], [7.24, 273.96], rtol=1e-8)   # ε nudges x₁
    terms = second(RMSProp(0.1, rho=0.9), (1, -2))
    assert set(terms) == {"s"}
    np.testing.assert_allclose(terms["s"], [0.54701779, 23.16632017], rtol=1e-7)
    assert set(second(Adam(0.1), (1, -2))) == {"m", "v", "m_hat", "v_hat"}


def test_points_and_gradients_are_floats_whatever_comes_in():
    opt = Momentum(0.1)
    state = opt.init((1, -2))
    assert state.x.dtype == np.float64
    _, update = opt.step(state, lambda p: (1, 2))          # a gradient given as integers
    assert update.g.dtype == np.float64
    _, update = Nesterov(0.1).step(Nesterov(0.1).init((1, 2)), lambda p: (1, 2))
    assert update.g.dtype == np.float64


@pytest.mark.parametrize("cls", [AdaGrad, RMSProp, Adam])
def test_eps_zero_and_no_gradient_yet_is_a_quiet_zero_step(cls):
    """0/0 on a coordinate never pushed is no step, computed without a RuntimeWarning."""
    opt = cls(0.1, eps=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        state, update = opt.step(opt.init((1.0, 0.0)), quad_grad)
    assert update.delta[1] == 0.0 and state.x[1] == 0.0
    assert update.delta[0] < 0


@pytest.mark.parametrize(("make_it", "message"), [
    (lambda: GradientDescent(0.0), "GD: the learning rate must be positive, got 0.0"),
    (lambda: Momentum(0.1, gamma=1.0), r"Momentum: gamma must be in \[0, 1\), got 1.0"),
    (lambda: Nesterov(0.1, gamma=-0.1), r"Nesterov: gamma must be in \[0, 1\)"),
    (lambda: RMSProp(0.1, rho=1.0), r"RMSProp: rho must be in \[0, 1\)"),
    (lambda: RMSProp(0.1, eps=-1.0), "RMSProp: eps must be zero or positive"),
    (lambda: AdaGrad(0.1, eps=-1e-9), "AdaGrad: eps must be zero or positive"),
    (lambda: Adam(0.1, beta1=1.0), r"Adam: beta1 must be in \[0, 1\)"),
    (lambda: Adam(0.1, beta2=1.5), r"Adam: beta2 must be in \[0, 1\)"),
    (lambda: Adam(0.1, eps=float("nan")), "Adam: eps must be zero or positive"),
])
def test_bad_hyperparameters_are_refused_naming_the_optimizer(make_it, message):
    with pytest.raises(ValueError, match=message):
        make_it()


def test_a_zero_coordinate_is_shown_as_0_not_minus_0():
    _, update = GradientDescent(0.1).step(GradientDescent(0.1).init((1.0, 0.0)), quad_grad)
    assert update.delta[1] == 0.0 and np.signbit(update.delta[1])   # the step really is −0
    assert GradientDescent(0.1).describe(update) == "GD: g=(2, 0), step=(-0.2, 0)"


# --- why a run stops ------------------------------------------------------------------

def test_leaving_the_plot_is_measured_in_spans_of_the_region_on_every_side():
    """More than `escape` spans outside, each axis by its own span; exactly `escape` spans
    out is still in. Region 10 wide and 2 high."""
    wide = custom("x + y", region=(0.0, 10.0, 0.0, 2.0))
    cases = [((5, 1), 0.0, False), ((-10.5, 1), 1.0, True), ((-10, 1), 1.0, False),
             ((-9.5, 1), 1.0, False), ((20.5, 1), 1.0, True), ((19.5, 1), 1.0, False),
             ((5, -2.1), 1.0, True), ((5, -1.9), 1.0, False), ((5, 4.1), 1.0, True),
             ((5, 3.9), 1.0, False), ((-9.5, 3.9), 1.0, False), ((25, -3), 1.0, True)]
    for point, escape, out in cases:
        assert optimizers._escaped(wide, point, escape) is out, (point, escape)


def test_the_default_escape_is_ten_spans():
    """GD at η = 0.3 on the bowl multiplies y by 1 − 3 = −2 each step: 2, −4, 8, −16, 32,
    −64. The region is [−3, 3], 6 wide; ten spans out means |y| > 63: step 5."""
    last = list(race(bowl(10.0), {"GD": GradientDescent(0.3)}, steps=20))[-1]
    assert last.runners["GD"].diverged_at == 5 and last.index == 5 and last.phase == "done"


def test_the_saddle_run_leaves_the_plot_and_says_why():
    """On x² − y² at η = 0.1 y grows ×1.2 a step from 0.01; ten spans (40) outside the
    region [−2, 2] means |y| > 42: 0.01·1.2ᵏ > 42 first at k = 46 (ln 4200 / ln 1.2 = 45.8)."""
    last = list(race(make("Saddle"), {"GD": GradientDescent(0.1)}, steps=100))[-1]
    runner = last.runners["GD"]
    assert runner.diverged_at == 46
    assert runner.caption == "GD: left the plot at step 46: this surface has no minimum to " \
                             "settle in"
    assert runner.log_gaps is None and runner.log_distances is None
    assert "GD distance" not in last.metrics


def test_an_undefined_surface_stops_the_run_and_says_where():
    """√x has no gradient at x = 0 (the difference reaches x < 0): the run stops there,
    in the region, and says so; far outside the region the same is a divergence."""
    stopped = list(race(custom("sqrt(x) + y**2"), {"GD": GradientDescent(0.1)},
                        start=(0.0, 1.0), steps=5))[-1].runners["GD"]
    assert stopped.caption == "GD: stopped at step 1: the surface is undefined near (0, 1)"
    far = list(race(custom("exp(exp(x)) + y**2"), {"GD": GradientDescent(0.1)},
                    start=(10.0, 0.0), steps=5))[-1].runners["GD"]
    assert far.caption == "GD: diverged at step 1 — learning rate too large?"


def test_a_point_where_f_is_undefined_is_never_drawn():
    """From x = 0.01 a step of 0.1·(0.5/√0.01) = 0.5 lands at x = −0.49, where √x is
    undefined: the run stops before that point, and every drawn loss is a number."""
    runner = list(race(custom("sqrt(x) + y**2"), {"GD": GradientDescent(0.1)},
                       start=(0.01, 1.0), steps=5))[-1].runners["GD"]
    assert runner.diverged_at == 1 and len(runner.path) == 1
    assert np.isfinite(runner.losses).all()


# --- the race's own record --------------------------------------------------------------

def test_race_start_step_and_names():
    snaps = list(race(bowl(10.0), {"fast GD": GradientDescent(0.05)}, start=(2.0, 1.0),
                      steps=3))
    # f = ½(2² + 10·1²) = 7 at the start
    assert snaps[0].caption == "All start at (2, 1), f = 7"
    assert snaps[0].runners["fast GD"].caption == "fast GD: starts at (2, 1)"
    assert [s.phase for s in snaps] == ["start", "step", "step", "done"]
    assert [s.step for s in snaps] == [0, 1, 2, 3]
    assert {s.surface for s in snaps} == {"Quadratic bowl"}
    assert snaps[1].runners["fast GD"].caption.startswith("fast GD: g=(2, 10)")
    # the runner carries its last update's terms for the panel: v₁ = η·g₀ = 0.05·(2, 10)
    heavy = list(race(bowl(10.0), {"M": Momentum(0.05)}, start=(2.0, 1.0), steps=1))
    assert dict(heavy[0].runners["M"].terms) == {}
    np.testing.assert_allclose(heavy[1].runners["M"].terms["v"], [0.1, 0.5], rtol=1e-12)


def test_log_gaps_are_measured_from_the_lowest_minimum():
    """On the tilted double well f* is negative (−0.3054…): the gap f − f* must use it,
    and a start exactly at the minimum sits on the floor, quietly."""
    surface = make("Local and global minimum")
    runner = list(race(surface, {"GD": GradientDescent(0.05)}, steps=30))[-1].runners["GD"]
    x, y = runner.path.T
    f_star = surface.value(surface.minima[0])
    assert f_star < -0.3
    gaps = (x**2 - 1) ** 2 + 0.3 * x + y**2 - f_star
    np.testing.assert_allclose(runner.log_gaps, np.log10(gaps), rtol=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        at_min = list(race(rosenbrock(), {"GD": GradientDescent(0.001)}, start=(1.0, 1.0),
                           steps=2))[-1].runners["GD"]
    assert list(at_min.log_gaps) == [optimizers.LOG_FLOOR] * 3
    assert list(at_min.log_distances) == [optimizers.LOG_FLOOR] * 3


def test_distances_go_to_the_nearest_of_several_minima():
    surface = make("Himmelblau")
    last = list(race(surface, {"GD": GradientDescent(0.01)}, start=(0.0, 0.0), steps=3))[-1]
    p = last.runners["GD"].point
    nearest = min(np.hypot(p[0] - mx, p[1] - my) for mx, my in surface.minima)
    assert last.metrics["GD distance"] == pytest.approx(nearest, rel=1e-12)
    assert last.runners["GD"].log_distances[-1] == pytest.approx(np.log10(nearest))


def test_three_runners_still_get_a_line_each_and_all_stopped_has_no_leader_mark():
    three = {"GD": GradientDescent(0.01), "Momentum": Momentum(0.01), "Adam": Adam(0.1)}
    last = list(race(bowl(10.0), three, steps=3))[-1]
    assert last.caption.splitlines() == [r.caption for r in last.runners.values()]
    # four runners that all diverge: the summary keeps the lowest one, unmarked
    wild = {f"GD {lr}": GradientDescent(lr) for lr in (0.3, 0.4, 0.5, 0.6)}
    last = list(race(bowl(10.0), wild, steps=50))[-1]
    assert all(r.diverged_at is not None for r in last.runners.values())
    lines = last.caption.splitlines()
    assert "(lowest loss)" not in last.caption and len(lines) == 4
    lowest = min(last.runners.values(), key=lambda r: r.losses[-1])
    assert lines[0] == lowest.caption


def test_the_leader_is_the_lowest_loss_now_not_earlier():
    """Adam starts fast and GD catches up: the '(lowest loss)' mark goes to whoever is
    lowest at this step, checked against the losses recomputed from the path."""
    opts = {"GD": GradientDescent(0.09), "Momentum": Momentum(0.01, gamma=0.5),
            "AdaGrad": AdaGrad(0.05), "Adam": Adam(0.3)}
    surface = bowl(10.0)
    for snap in race(surface, opts, steps=40):
        if snap.index < 2:
            continue
        losses = {n: surface.value(r.point) for n, r in snap.runners.items()}
        leader = min(losses, key=losses.get)
        assert snap.caption.splitlines()[0].startswith(f"{leader}: "), snap.index


def test_controls_show_only_while_their_optimizer_is_ticked():
    fields = {f.name: f for f in dataclasses.fields(RaceParams)}
    for flag in ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"):
        assert fields[f"{flag}_lr"].metadata["when"] == (flag, (True,))
    assert fields["condition"].metadata["when"] == ("surface", ("Quadratic bowl",))


def test_make_surface_passes_the_formula_and_the_turn():
    custom_params = RaceParams(surface="Custom", formula="x*y + 1")
    assert make_surface(custom_params).value((2.0, 3.0)) == 7.0
    turned = make_surface(RaceParams(surface="Quadratic bowl", condition=4.0, angle=90.0))
    assert turned.value((1.0, 0.0)) == pytest.approx(2.0)     # x is now the steep axis


# --- surviving mutants (mutation run): documented defaults ----------------------------

def test_race_runs_two_hundred_steps_by_default():
    """The documented default length: the start plus 200 steps, the last one 'done'."""
    snaps = list(race(bowl(10.0), {"GD": GradientDescent(0.01)}))
    assert len(snaps) == 201
    assert [s.step for s in (snaps[0], snaps[-1])] == [0, 200]
    assert snaps[-1].phase == "done"


@pytest.mark.parametrize("name", ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_an_optimizers_controls_show_exactly_while_it_is_ticked(name):
    """A control's `when=(field, values)` shows it while the checkbox holds one of values:
    shown for a ticked optimizer (True), hidden for an unticked one (False)."""
    controls = [f for f in dataclasses.fields(RaceParams)
                if f.metadata.get("when", ("",))[0] == name]
    assert controls
    for f in controls:
        _, shown_for = f.metadata["when"]
        assert True in shown_for
        assert False not in shown_for
