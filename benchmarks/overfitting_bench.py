"""Overfitting figures (the algorithm half; redrawing is measured with the panels).

1. A slider moved on 1,000 points: the refit a panel needs before it can redraw — the
   design matrix of the training points, the fit, the curve on the dense grid, and the
   training and validation errors — when the degree changes (least squares, cycling through
   degrees 1–20), and when λ changes (ridge and lasso at degree 12, cycling through λ).
   Target: a few milliseconds, so refit + redraw stays under 30 ms.
2. Each of the five stepwise runs from start to finish on 1,000 points with its default
   parameters (the panel can tell from this which ones need a background thread), and
   its slowest single step.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Iterator

import numpy as np

from algorithms import (
    crossval,
    early_stopping,
    learning_curve,
    overfitting,
    polyfit,
    regularization,
)
from benchmarks import Result

POINTS = 1_000
REFIT_TARGET_MS = 5.0
DEGREE = 12
LAMS = {"ridge": np.geomspace(1e-3, 1e3, 13), "lasso": np.geomspace(1e-4, 0.3, 13)}
RUNS = (("degree sweep", overfitting), ("k-fold", crossval), ("learning curve", learning_curve),
        ("early stopping", early_stopping), ("regularisation", regularization))


def problem() -> polyfit.Problem:
    return polyfit.make_problem(polyfit.Data(n_points=POINTS, noise=0.3),
                                np.random.default_rng(0))


def refit(pr: polyfit.Problem, degree: int, penalty: str = "none", lam: float = 0.0):
    """What a slider change costs before drawing: features, fit, curve, two errors."""
    X = pr.features(pr.train, degree)
    w = polyfit.fit(X, pr.y[pr.train], penalty, lam)
    return (pr.curve(w), polyfit.mse(X, w, pr.y[pr.train]),
            polyfit.mse(pr.features(pr.val, degree), w, pr.y[pr.val]))


def median_ms(calls, rounds: int = 5) -> float:
    """Median milliseconds of one call, over every call of several rounds."""
    for call in calls:            # warm caches
        call()
    times = []
    for _ in range(rounds):
        for call in calls:
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def run() -> Iterator[Result]:
    load, cores = os.getloadavg()[0], os.cpu_count()
    print(f"overfitting_bench: load average {load:.1f} on {cores} cores", file=sys.stderr)
    pr = problem()
    degree_calls = [lambda d=d: refit(pr, d) for d in range(1, polyfit.MAX_DEGREE + 1)]
    ms = median_ms(degree_calls)
    yield Result(f"refit after a degree change, {POINTS:,} pts", ms, "ms",
                 target=f"≤ {REFIT_TARGET_MS:g} ms", met=ms <= REFIT_TARGET_MS)
    for penalty, lams in LAMS.items():
        calls = [lambda lam=lam, p=penalty: refit(pr, DEGREE, p, lam) for lam in lams]
        ms = median_ms(calls)
        yield Result(f"refit after a λ change, {penalty}, degree {DEGREE}, {POINTS:,} pts", ms,
                     "ms", target=f"≤ {REFIT_TARGET_MS:g} ms", met=ms <= REFIT_TARGET_MS)
    for name, module in RUNS:
        totals, slowest = [], []
        for _ in range(3):
            steps = module.run(pr, module.Params(), np.random.default_rng(0))
            each = []
            start = time.perf_counter()
            while True:
                before = time.perf_counter()
                if next(steps, None) is None:
                    break
                each.append(time.perf_counter() - before)
            totals.append(time.perf_counter() - start)
            slowest.append(max(each))
        yield Result(f"{name} whole run ({len(each)} steps), {POINTS:,} pts",
                     statistics.median(totals) * 1e3, "ms")
        yield Result(f"{name} slowest step, {POINTS:,} pts", statistics.median(slowest) * 1e3,
                     "ms")
