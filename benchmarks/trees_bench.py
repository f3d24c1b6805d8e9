"""Trees and tree ensembles, the algorithm half: time per step beside scikit-learn's fit, and
the 200 × 200 region grid's predict_proba beside scikit-learn's.

1. Time per step, the work a worker thread does before a frame can show it: one split of a
   growing tree, one whole tree of a forest, one AdaBoost stump, one gradient-boosting round
   — median over the steps of a run. Beside it, scikit-learn fitting the same thing
   (DecisionTreeClassifier to the same depth divided by its number of splits; one
   bootstrap tree of RandomForestClassifier; AdaBoostClassifier and
   GradientBoostingClassifier fits divided by their number of rounds).
2. Region grid: predict_proba on 40,000 points. For a single tree, the whole tree every
   frame. For an ensemble, the frame after one more member costs one member's evaluation
   with an `IncrementalPredictor`; a full re-evaluation and scikit-learn's predict_proba of
   the same-sized ensemble are shown beside it; so is stepping back one member at a time.
   Target: ≤ 10 ms, which leaves 23 ms of a 30 frames/s budget for drawing.

Run alone with `python -m benchmarks.trees_bench`.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator

import numpy as np

from algorithms import ensembles as E
from algorithms import tree as T
from benchmarks import Result, median_time

SIZES = (400, 20_000)
GRID = 200
GRID_TARGET_MS = 10.0
FOREST_TREES, ADA_ROUNDS, GB_ROUNDS = 30, 50, 100


def data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two noisy moons (as scikit-learn's make_moons draws them), float32-exact."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    y = rng.integers(0, 2, n)
    X = np.where(y[:, None] == 0, np.column_stack([np.cos(t), np.sin(t)]),
                 np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)]))
    X += rng.normal(0, 0.3, X.shape)
    return X.astype(np.float32).astype(float), y


def grid(X: np.ndarray) -> np.ndarray:
    lo, hi = X.min(0), X.max(0)
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], GRID), np.linspace(lo[1], hi[1], GRID))
    return np.column_stack([gx.ravel(), gy.ravel()])


def step_times(steps: Iterator, counted: Callable[[object], bool]) -> tuple[float, list]:
    """Median seconds to produce a counted step, and every step produced."""
    times, kept = [], []
    while True:
        start = time.perf_counter()
        step = next(steps, None)
        elapsed = time.perf_counter() - start
        if step is None:
            return statistics.median(times), kept
        kept.append(step)
        if counted(step):
            times.append(elapsed)


def run() -> Iterator[Result]:
    load, cores = os.getloadavg()[0], os.cpu_count()
    print(f"trees_bench: load average {load:.1f} on {cores} cores", file=sys.stderr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n in SIZES:
            yield from tree_results(n)
            yield from forest_results(n)
            yield from boosting_results(n)


# --- a single tree ---------------------------------------------------------------------------
def tree_results(n: int) -> Iterator[Result]:
    from sklearn.tree import DecisionTreeClassifier

    X, y = data(n)
    params = T.Params(max_depth=8)
    per_split, steps = step_times(T.run(X, y, params), lambda s: s.phase == "split")
    splits = steps[-1].metrics["splits"]
    ref = DecisionTreeClassifier(max_depth=8)
    sk_fit = median_time(lambda: ref.fit(X, y), repeat=5)
    yield Result(f"tree: one split, {n:,} pts, depth ≤ 8", per_split * 1e3, "ms",
                 baseline=sk_fit / splits * 1e3,
                 baseline_name=f"sklearn fit / {splits} splits")
    ours_fit = median_time(lambda: T.fit(X, y, params), repeat=3)
    yield Result(f"tree: whole fit, {n:,} pts, depth ≤ 8", ours_fit * 1e3, "ms",
                 baseline=sk_fit * 1e3, baseline_name="sklearn DecisionTreeClassifier.fit")
    model = steps[-1].model
    G = grid(X)
    ours = median_time(lambda: model.predict_proba(G))
    theirs = median_time(lambda: ref.predict_proba(G))
    yield Result(f"tree grid {GRID}², depth {model.max_depth}, {len(model.leaves)} leaves",
                 ours * 1e3, "ms", baseline=theirs * 1e3, baseline_name="sklearn predict_proba",
                 target=f"≤ {GRID_TARGET_MS:g} ms", met=ours * 1e3 <= GRID_TARGET_MS)


# --- incremental grids for ensembles ---------------------------------------------------------
def incremental_cost(models: list, G: np.ndarray) -> tuple[float, float]:
    """Median seconds per frame with an IncrementalPredictor: stepping forward through
    `models` one at a time, then stepping back one at a time to the start (the player's
    "back" button held down)."""
    predictor = E.IncrementalPredictor(G)

    def frames(sequence):
        times = []
        for model in sequence:
            start = time.perf_counter()
            predictor.predict_proba(model)
            times.append(time.perf_counter() - start)
        return times

    forward = frames(models)
    back = frames(models[-2::-1])
    return statistics.median(forward[1:]), statistics.median(back)


def ensemble_grid_results(label: str, models: list, reference, X) -> Iterator[Result]:
    G = grid(X)
    step, back = incremental_cost(models, G)
    full = median_time(lambda: models[-1].predict_proba(G), repeat=3)
    theirs = median_time(lambda: reference.predict_proba(G), repeat=3)
    size = len(models[-1].members)
    yield Result(f"{label} grid {GRID}², +1 member (incremental)", step * 1e3, "ms",
                 baseline=theirs * 1e3, baseline_name=f"sklearn predict_proba, {size}",
                 target=f"≤ {GRID_TARGET_MS:g} ms", met=step * 1e3 <= GRID_TARGET_MS)
    yield Result(f"{label} grid {GRID}², stepping back", back * 1e3, "ms",
                 target=f"≤ {GRID_TARGET_MS:g} ms", met=back * 1e3 <= GRID_TARGET_MS)
    yield Result(f"{label} grid {GRID}², all {size} members", full * 1e3, "ms",
                 baseline=theirs * 1e3, baseline_name="sklearn predict_proba")


def forest_results(n: int) -> Iterator[Result]:
    from sklearn.ensemble import RandomForestClassifier

    X, y = data(n)
    trees = FOREST_TREES if n <= 1000 else 10
    params = E.ForestParams(n_trees=trees, max_depth=40)
    per_tree, steps = step_times(E.run_forest(X, y, params, np.random.default_rng(0)),
                                 lambda s: True)
    ref = RandomForestClassifier(trees, max_features=1, n_jobs=1, random_state=0)
    sk = median_time(lambda: ref.fit(X, y), repeat=3)
    yield Result(f"forest: one tree, {n:,} pts", per_tree * 1e3, "ms",
                 baseline=sk / trees * 1e3, baseline_name=f"sklearn RF fit / {trees}")
    yield from ensemble_grid_results(f"forest {n:,} pts", [s.model for s in steps], ref, X)


def boosting_results(n: int) -> Iterator[Result]:
    from sklearn.ensemble import AdaBoostClassifier, GradientBoostingClassifier
    from sklearn.tree import DecisionTreeClassifier

    X, y = data(n)
    per_round, steps = step_times(
        E.run_adaboost(X, y, E.AdaBoostParams(n_rounds=ADA_ROUNDS)), lambda s: s.index > 0)
    ref = AdaBoostClassifier(DecisionTreeClassifier(max_depth=1), n_estimators=ADA_ROUNDS)
    sk = median_time(lambda: ref.fit(X, y), repeat=3)
    rounds = len(ref.estimators_)
    yield Result(f"AdaBoost: one stump, {n:,} pts", per_round * 1e3, "ms",
                 baseline=sk / rounds * 1e3, baseline_name=f"sklearn fit / {rounds}")
    yield from ensemble_grid_results(f"AdaBoost {n:,} pts", [s.model for s in steps], ref, X)

    params = E.GradientBoostingParams(n_rounds=GB_ROUNDS, max_depth=3)
    per_round, steps = step_times(E.run_gradient_boosting(X, y, params),
                                  lambda s: s.index > 0)
    ref = GradientBoostingClassifier(n_estimators=GB_ROUNDS, max_depth=3)
    sk = median_time(lambda: ref.fit(X, y), repeat=3)
    yield Result(f"gradient boosting: one round, {n:,} pts, depth 3", per_round * 1e3, "ms",
                 baseline=sk / GB_ROUNDS * 1e3, baseline_name=f"sklearn fit / {GB_ROUNDS}")
    yield from ensemble_grid_results(f"boosting {n:,} pts", [s.model for s in steps], ref, X)


if __name__ == "__main__":
    from benchmarks.__main__ import line

    for result in run():
        print(line(result), flush=True)
