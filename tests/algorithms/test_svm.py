"""SVMs against scikit-learn's SVC (LIBSVM), a pair update worked by hand, and the run."""

import math

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from algorithms import labelled, svm
from algorithms.svm import Params

BAD_TEXT = ("nan", "inf", "−0 ", "-0 ", " 1 points", " 1 support vectors", " 1 pair updates")
GRID = np.random.default_rng(0).uniform(-10, 10, size=(400, 2))


def data(shape="moons", points=200, classes=2, noise=0.3, seed=0, test_fraction=0.25):
    return labelled.generate(labelled.Data(shape=shape, points=points, classes=classes,
                                           noise=noise, test_fraction=test_fraction), seed)


def steps_of(d, params):
    return list(svm.run(d, params, np.random.default_rng(0)))


def reference(d, params, **kw):
    return SVC(kernel=params.kernel, C=params.C, gamma=params.gamma, degree=params.degree,
               coef0=params.coef0, tol=params.tol, **kw).fit(d.X_train, d.y_train)


# --- against scikit-learn ----------------------------------------------------------------
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_separable_data_has_scikit_learns_support_vectors_and_margin(seed):
    d = data("blobs", noise=0.05, seed=seed)
    params = Params(C=1000.0, tol=1e-6)
    last = steps_of(d, params)[-1]
    ref = reference(d, params)
    assert last.phase == "converged"
    machine = last.model.machines[0]
    assert sorted(machine.support) == sorted(d.train_index[ref.support_])
    (w, b), = last.model.lines()
    np.testing.assert_allclose(w, ref.coef_[0], rtol=1e-4, atol=1e-6)
    assert b == pytest.approx(ref.intercept_[0], rel=1e-4, abs=1e-6)
    # the support vectors lie on the margin's edges w·x + b = ±1
    x, y = d.X[machine.support], np.where(d.y[machine.support] == 1, 1, -1)
    np.testing.assert_allclose(y * (x @ w + b), 1.0, atol=1e-4)
    assert not machine.bounded.any()


@pytest.mark.parametrize(("kernel", "shape", "C", "gamma"), [
    ("rbf", "moons", 1.0, 0.3), ("rbf", "circles", 10.0, 0.1), ("rbf", "xor", 0.5, 1.0),
    ("poly", "circles", 1.0, 0.05), ("linear", "linear", 1.0, 0.5),
])
def test_noisy_data_decision_function_matches_scikit_learn(kernel, shape, C, gamma):
    d = data(shape, points=250, noise=0.3)
    params = Params(kernel=kernel, C=C, gamma=gamma, degree=3, coef0=1.0, tol=1e-6,
                    steps=20_000)
    last = steps_of(d, params)[-1]
    ref = reference(d, params)
    assert last.phase == "converged"
    mine, theirs = last.model.decision_function(GRID), ref.decision_function(GRID)
    np.testing.assert_allclose(mine, theirs, atol=2e-3 * max(1.0, np.abs(theirs).max()))
    assert sorted(last.model.machines[0].support) == sorted(d.train_index[ref.support_])
    np.testing.assert_array_equal(last.model.predict(d.X_test), ref.predict(d.X_test))
    # the dual optimum: scikit-learn's α·y give Σα − ½·(αy)ᵀK(αy)
    coef = ref.dual_coef_[0]
    K = svm.kernel(ref.support_vectors_, ref.support_vectors_, kernel, gamma, 3, 1.0)
    assert last.dual == pytest.approx(np.abs(coef).sum() - 0.5 * coef @ K @ coef, rel=1e-4)


def test_several_classes_vote_like_scikit_learn_one_vs_one():
    d = data("blobs", points=300, classes=4, noise=0.25)
    params = Params(kernel="rbf", C=2.0, gamma=0.2, tol=1e-6, steps=20_000)
    last = steps_of(d, params)[-1]
    assert last.phase == "converged" and len(last.model.machines) == 6
    ovo = reference(d, params, decision_function_shape="ovo")
    # scikit-learn's one-vs-one values are positive for the first class of each pair
    np.testing.assert_allclose(last.model.decision_function(GRID), -ovo.decision_function(GRID),
                               atol=1e-3)
    ties = reference(d, params, break_ties=True)
    np.testing.assert_array_equal(last.model.predict(GRID), ties.predict(GRID))
    np.testing.assert_allclose(last.model.scores(GRID), ties.decision_function(GRID), atol=1e-3)
    assert [(m.negative, m.positive) for m in last.model.machines] == \
        [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]


def test_standardising_matches_a_scaler_pipeline():
    base = data("moons", points=200)
    X = base.X * [1.0, 30.0]
    d = labelled.labelled(X, base.y, base.names, 0.25)
    params = Params(kernel="rbf", C=1.0, gamma=0.5, tol=1e-6, standardize=True, steps=20_000)
    last = steps_of(d, params)[-1]
    ref = make_pipeline(StandardScaler(), SVC(C=1.0, gamma=0.5, tol=1e-6))
    ref.fit(d.X_train, d.y_train)
    grid = GRID * [1.0, 30.0]
    np.testing.assert_allclose(last.model.decision_function(grid), ref.decision_function(grid),
                               atol=1e-3)


def test_a_large_offset_leaves_the_linear_machine_unchanged():
    d = data("linear", points=120, noise=0.2)
    shifted = labelled.labelled(d.X + 1e8, d.y, d.names, 0.25)
    params = Params(C=1.0, tol=1e-6, steps=20_000)
    plain, far = steps_of(d, params)[-1], steps_of(shifted, params)[-1]
    np.testing.assert_allclose(far.model.lines()[0][0], plain.model.lines()[0][0], rtol=1e-6)
    np.testing.assert_allclose(far.model.decision_function(d.X + 1e8),
                               plain.model.decision_function(d.X), atol=1e-5)
    np.testing.assert_array_equal(far.model.predict(d.X + 1e8), plain.model.predict(d.X))


# --- one pair update by hand ---------------------------------------------------------------
def test_two_points_are_solved_in_one_pair_update():
    # (1, 0) of class B (y = +1) and (−1, 0) of class A (y = −1), linear kernel.
    # G = Qα − 1 = (−1, −1) at α = 0. i = B (−y·G = 1, may go up); j = A (−y·G = −1).
    # y_i ≠ y_j: curvature K_ii + K_jj + 2·y_i·y_j·K_ij = 1 + 1 + 2·(−1)(−1) = 4, and
    # δ = (−G_i − G_j) / 4 = ½, so both α become ½: w = ½·(1, 0) + ½·(1, 0) = (1, 0), b = 0.
    # Dual Σα − ½‖w‖² = 1 − ½ = ½ = primal ½‖w‖² (no hinge). Then nothing violates.
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    d = labelled.labelled(X, [1, 0], names=("A", "B"), test_fraction=0.0)
    steps = steps_of(d, Params(C=10.0))
    assert [s.phase for s in steps] == ["init", "pair", "converged"]
    pair = steps[1]
    assert pair.pair == (0, 1)
    np.testing.assert_array_equal(pair.alpha_old, [0, 0])
    np.testing.assert_allclose(pair.alpha_new, [0.5, 0.5])
    assert pair.violation == 2.0
    (w, b), = pair.model.lines()
    np.testing.assert_allclose(w, [1.0, 0.0])
    assert b == pytest.approx(0.0, abs=1e-12)
    assert pair.dual == pytest.approx(0.5) and pair.primal == pytest.approx(0.5)
    assert pair.caption == ("point #0 (class B) breaks the optimality conditions most (by 2); "
                            "with partner #1 (class A), the move that raises the dual most, "
                            "their α go 0 → 0.5 and 0 → 0.5; dual 0.5, primal 0.5.")
    assert steps[2].caption == ("Converged: no pair breaks the optimality conditions by more "
                                "than 0.001. 2 support vectors: 2 on the margin, 0 inside it "
                                "or on the wrong side (α = C).")


def test_a_box_constraint_caps_alpha_at_c():
    # Same two points, C = 0.2: the unconstrained ½ is cut to 0.2, so w = (0.4, 0) and
    # each point has hinge 1 − 0.4 = 0.6: primal ½·0.16 + 0.2·1.2 = 0.32, dual 0.4 − 0.08.
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    d = labelled.labelled(X, [1, 0], names=("A", "B"), test_fraction=0.0)
    last = steps_of(d, Params(C=0.2))[-1]
    np.testing.assert_allclose(last.model.lines()[0][0], [0.4, 0.0])
    assert last.model.machines[0].bounded.all()
    assert last.primal == pytest.approx(0.32) and last.dual == pytest.approx(0.32)
    assert "0 on the margin, 2 inside it or on the wrong side (α = C)" in last.caption


# --- the run -------------------------------------------------------------------------------
def test_the_dual_rises_and_never_passes_the_primal():
    steps = steps_of(data("moons", points=150), Params(kernel="rbf", C=1.0, gamma=0.5))
    duals = [s.dual for s in steps]
    assert all(b >= a - 1e-12 for a, b in zip(duals, duals[1:], strict=False))
    assert all(s.primal >= s.dual - 1e-9 for s in steps)
    last = steps[-1]
    assert last.phase == "converged"
    assert last.primal - last.dual < 1e-2 * last.primal
    np.testing.assert_array_equal(last.duals, duals)
    np.testing.assert_array_equal(last.primals, [s.primal for s in steps])


def test_each_pair_step_changes_exactly_the_two_alphas_it_names():
    d = data("xor", points=120)
    steps = steps_of(d, Params(kernel="rbf", gamma=0.2, steps=60))
    def alphas(step):
        m = step.model.machines[0]
        out = np.zeros(len(d.X))
        out[m.support] = np.abs(m.coef)
        return out
    for before, after in zip(steps, steps[1:], strict=False):
        if after.phase != "pair":
            continue
        changed = np.flatnonzero(~np.isclose(alphas(before), alphas(after), atol=1e-12))
        assert set(changed) <= set(after.pair)
        np.testing.assert_allclose(alphas(after)[list(after.pair)], after.alpha_new, atol=1e-12)
        np.testing.assert_allclose(alphas(before)[list(after.pair)], after.alpha_old,
                                   atol=1e-12)
        assert after.violation >= 1e-3


def test_a_step_limit_stops_the_run_and_says_so():
    steps = steps_of(data("circles"), Params(kernel="rbf", steps=5))
    assert steps[-1].phase == "stopped" and len(steps) == 7
    assert "Stopped after 5 pair updates, the limit" in steps[-1].caption


def test_captions_metrics_and_snapshots():
    d = data("blobs", points=200, classes=3)
    steps = steps_of(d, Params(kernel="rbf", gamma=0.3, steps=40))
    assert "3 two-class machines, one per pair of classes" in steps[0].caption
    assert steps[1].caption.startswith(("A vs B: ", "A vs C: ", "B vs C: "))
    for s in steps:
        assert not any(bad in s.caption + " " for bad in BAD_TEXT), s.caption
        assert all(math.isfinite(v) for v in s.metrics.values())
        assert s.metrics["train accuracy"] == np.mean(s.model.predict(d.X_train) == d.y_train)
        assert s.metrics["test accuracy"] == np.mean(s.model.predict(d.X_test) == d.y_test)
        for a in (s.alpha_old, s.alpha_new, s.primals, s.duals):
            with pytest.raises(ValueError):
                a[...] = 0
        for m in s.model.machines:
            with pytest.raises(ValueError):
                m.coef[...] = 0
    # unchanged machines are shared between steps, not copied
    changed = steps[5].machine
    for m in range(3):
        same = steps[5].model.machines[m] is steps[4].model.machines[m]
        assert same == (m != changed)
    again = steps_of(d, Params(kernel="rbf", gamma=0.3, steps=40))
    assert [s.caption for s in again] == [s.caption for s in steps]


def test_confidence_follows_the_decision_value():
    last = steps_of(data("moons"), Params(kernel="rbf", steps=300))[-1]
    f = last.model.decision_function(GRID)
    P = last.model.predict_proba(GRID)
    np.testing.assert_allclose(P[:, 1], 1 / (1 + np.exp(-2 * f)))
    np.testing.assert_array_equal(last.model.predict(GRID), last.model.classes[np.argmax(P, 1)])
    multi = steps_of(data("blobs", classes=3), Params(kernel="rbf", steps=300))[-1].model
    P = multi.predict_proba(GRID)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_array_equal(multi.predict(GRID), multi.classes[np.argmax(P, 1)])


@pytest.mark.parametrize(("kernel", "classes"), [("rbf", 2), ("rbf", 3), ("poly", 2),
                                                 ("poly", 3)])
def test_grid_and_polynomial_shortcuts_equal_the_plain_kernel_sum(kernel, classes):
    d = data("blobs", classes=classes, noise=0.3)
    model = steps_of(d, Params(kernel=kernel, gamma=0.1, degree=4, coef0=0.5,
                               steps=400))[-1].model
    xs, ys = np.linspace(-9, 9, 31), np.linspace(-7, 8, 23) ** 3 / 50   # uneven rows too
    grid = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)
    assert svm._grid_axes(grid) is not None and svm._grid_axes(GRID) is None
    plain = np.column_stack([
        svm.kernel(grid, m.vectors, kernel, 0.1, 4, 0.5) @ m.coef + m.b
        for m in model.machines])
    values = model._values(grid)
    np.testing.assert_allclose(values, plain, rtol=1e-9, atol=1e-9 * np.abs(plain).max())
    # the same points in another order are no grid: the plain path gives the same numbers
    order = np.random.default_rng(1).permutation(len(grid))
    np.testing.assert_allclose(model._values(grid[order]), values[order], rtol=1e-9,
                               atol=1e-9 * np.abs(plain).max())


def test_grid_detection_needs_a_true_meshgrid():
    xs = np.arange(4.0)
    grid = np.stack(np.meshgrid(xs, xs + 10), -1).reshape(-1, 2)
    np.testing.assert_array_equal(svm._grid_axes(grid)[0], xs)
    np.testing.assert_array_equal(svm._grid_axes(grid)[1], xs + 10)
    broken = grid.copy()
    broken[5, 0] = 99.0
    assert svm._grid_axes(broken) is None
    assert svm._grid_axes(grid[:-1]) is None          # a row short
    assert svm._grid_axes(grid[:3]) is None
    assert svm._grid_axes(np.zeros((8, 2))) is None   # a single row repeated is no grid


# --- the subgradient solver ------------------------------------------------------------------
def test_subgradient_descent_approaches_the_smo_optimum():
    d = data("linear", points=200, noise=0.3)
    smo = steps_of(d, Params(C=1.0, tol=1e-6, steps=20_000))[-1]
    steps = steps_of(d, Params(solver="subgradient", C=1.0, lr=0.1, steps=1500))
    assert steps[-1].phase == "stopped" and len(steps) == 1501
    assert steps[-1].primal == pytest.approx(smo.primal, rel=2e-3)
    assert steps[-1].primal < steps[100].primal < steps[1].primal
    (w, _), = steps[-1].model.lines()
    (w_opt, _), = smo.model.lines()
    assert np.degrees(np.arccos(w @ w_opt / np.linalg.norm(w) / np.linalg.norm(w_opt))) < 1
    for s in steps[:50]:
        assert not any(bad in s.caption + " " for bad in BAD_TEXT), s.caption
        assert math.isnan(s.dual) and "dual" not in s.metrics


def test_subgradient_first_epoch_worked_by_hand():
    # (1, 0) of B and (−1, 0) of A; w = 0, b = 0: both have margin 0 < 1 and violate.
    # Push = mean over violators of y·x = ((1, 0) + (1, 0)) / 2 = (1, 0); b moves by
    # η·Σy/n = 0. With η = 0.3: w = 0.3·(1, 0). Margins 0.3 → hinge 0.7 each:
    # cost ½·0.09 + C·1.4 with C = 1 → 1.445.
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    d = labelled.labelled(X, [1, 0], names=("A", "B"), test_fraction=0.0)
    init, first = steps_of(d, Params(solver="subgradient", C=1.0, lr=0.3, steps=1))
    assert init.primal == 2.0 and "starts at 2" in init.caption
    np.testing.assert_allclose(first.model.lines()[0][0], [0.3, 0.0])
    assert first.primal == pytest.approx(1.445)
    assert first.caption.startswith("Epoch 1: 2 points inside the margin or on the wrong side "
                                    "pulled w towards them (step size 0.3); now 2 remain")
    assert first.model.machines[0].bounded.all()


def test_the_subgradient_solver_is_for_the_linear_kernel_only():
    steps = steps_of(data("moons", points=60), Params(kernel="rbf", solver="subgradient",
                                                      steps=5))
    assert steps[1].phase == "pair"        # SMO, whatever the hidden solver control says


# --- bad input -----------------------------------------------------------------------------
def test_a_polynomial_kernel_that_would_overflow_is_refused():
    d = labelled.labelled(data("moons").X * 1e12, data("moons").y)
    with pytest.raises(ValueError, match="polynomial kernel would reach .* standardise"):
        next(svm.run(d, Params(kernel="poly", degree=10, gamma=1.0)))
    fine = next(svm.run(d, Params(kernel="poly", degree=10, gamma=1.0, standardize=True)))
    assert fine.phase == "init"


def test_a_polynomial_kernel_far_from_the_origin_is_refused_and_others_cope():
    base = data("moons", points=100)
    far = labelled.labelled(base.X + 1e8, base.y)
    with pytest.raises(ValueError, match="lie 1.4e[+]08 from the origin but only 1[0-9] apart"):
        next(svm.run(far, Params(kernel="poly")))
    for kernel in ("linear", "rbf"):
        last = steps_of(far, Params(kernel=kernel, gamma=0.5))[-1]
        near = steps_of(labelled.labelled(base.X, base.y), Params(kernel=kernel,
                                                                  gamma=0.5))[-1]
        assert last.phase == near.phase == "converged"
        assert last.metrics["train accuracy"] == near.metrics["train accuracy"]
    ok = steps_of(far, Params(kernel="poly", standardize=True, steps=50))[-1]
    assert ok.metrics["train accuracy"] > 0.6


@pytest.mark.parametrize(("params", "message"), [
    (Params(C=0.0), "C must be between"),
    (Params(kernel="sigmoid"), "kernel must be one of"),
    (Params(degree=0), "degree must be between"),
])
def test_parameters_outside_their_limits_are_refused(params, message):
    with pytest.raises(ValueError, match=message):
        next(svm.run(data(), params))


def test_only_a_linear_model_has_margin_lines():
    model = steps_of(data("moons", points=60), Params(kernel="rbf", steps=3))[-1].model
    with pytest.raises(ValueError, match="only a linear SVM"):
        model.lines()
