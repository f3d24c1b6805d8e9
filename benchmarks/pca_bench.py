"""PCA figures (the algorithm half; the panel's frame rate is measured with the panel).

1. The decomposition of a 100,000 × 50 table beside scikit-learn's PCA, timed in
   alternation: our eigen route (the covariance summed block by block, then eigh) beside
   PCA(), whose "auto" solver picks the same covariance route for a tall table, and our
   SVD route beside PCA(svd_solver="full").
2. One step of the two-column story on 100,000 points, median per kind of step: the first
   (checking, centring and decomposing happen before it is yielded), a turn of the line
   (project every point, take the variance), the projection on both components and the
   reconstruction; and the whole run.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import warnings
from collections.abc import Iterator

import numpy as np

from algorithms import pca
from benchmarks import Result
from benchmarks.kmeans_bench import paired_medians

TABLE = (100_000, 50)
VS_SKLEARN = 1.5              # at most this many times scikit-learn's time
POINTS = 100_000
STEP_TARGET_MS = 10.0         # leaves two thirds of a 30 frames/s budget for drawing
COUNTED = ("data", "rotate", "project", "reconstruct")   # "data" includes centring and
                                                          # the decomposition


def table(seed: int = 0) -> np.ndarray:
    """Correlated columns with decaying spreads, so the components are well apart."""
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(TABLE[1], TABLE[1])) * np.geomspace(5.0, 0.1, TABLE[1])[:, None]
    return rng.normal(size=TABLE) @ mix + rng.normal(size=TABLE[1]) * 3


def run() -> Iterator[Result]:
    load, cores = os.getloadavg()[0], os.cpu_count()
    print(f"pca_bench: load average {load:.1f} on {cores} cores", file=sys.stderr)
    yield from decomposition_results()
    yield from step_results()


def decomposition_results() -> Iterator[Result]:
    from sklearn.decomposition import PCA

    X = table()
    rows, cols = TABLE
    for route, solver, repeat in (("eigen", "auto", 15), ("svd", "full", 5)):
        model = PCA(svd_solver=solver)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mine, theirs = paired_medians(lambda route=route: pca.fit(X, method=route),
                                          lambda model=model: model.fit(X), repeat=repeat)
        yield Result(f"PCA fit {rows:,} × {cols}, {route} route", mine * 1e3, "ms",
                     baseline=theirs * 1e3, baseline_name=f"sklearn PCA svd_solver={solver}",
                     target=f"≤ {VS_SKLEARN}× scikit-learn", met=mine <= VS_SKLEARN * theirs)


def step_results() -> Iterator[Result]:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(POINTS, 2)) * [3.0, 1.0] @ np.array([[0.8, 0.6], [-0.6, 0.8]]) + 5
    params = pca.Params(angle_step=1.0, full_turn=True)
    times: dict[str, list[float]] = {phase: [] for phase in COUNTED}
    totals = []
    for _ in range(3):
        steps = pca.run(X, params)
        start = time.perf_counter()
        while True:
            before = time.perf_counter()
            step = next(steps, None)
            if step is None:
                break
            if step.phase in times:
                times[step.phase].append(time.perf_counter() - before)
        totals.append(time.perf_counter() - start)
    for phase in COUNTED:
        ms = statistics.median(times[phase]) * 1e3
        if phase == "rotate":   # the step that repeats while the animation plays
            yield Result(f"PCA 2-D {phase} step, {POINTS:,} pts", ms, "ms",
                         target=f"≤ {STEP_TARGET_MS:g} ms", met=ms <= STEP_TARGET_MS)
        else:                   # once per run
            yield Result(f"PCA 2-D {phase} step, {POINTS:,} pts", ms, "ms")
    yield Result(f"PCA 2-D whole run (180 turns), {POINTS:,} pts",
                 statistics.median(totals) * 1e3, "ms")
