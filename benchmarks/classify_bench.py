"""Classifier figures, the algorithm half: region shading and step times.

1. ``predict_proba`` of each classifier on a 200 × 200 grid (40,000 points) covering the
   view [-10, 10]² around generated moons, with 400 and 5,000 points (a quarter held out
   for testing, so 300 and 3,750 train), beside scikit-learn's own classifier fitted on
   the same training points and asked the same (KNeighborsClassifier and
   LogisticRegression ``predict_proba``; SVC ``decision_function``, as an SVC without
   Platt scaling has no probabilities). The two sides are timed in alternation, so load
   from elsewhere on the machine falls on both alike. KNN is also shown at 20,000 points.
   Targets: the panels redraw the regions every step, so logistic regression and the SVM
   should leave room for 30 frames/s (≤ 33 ms), and KNN at 5,000 points for 10 (≤ 100 ms).
2. One step of each stepwise run at 5,000 points (a logistic update, an SMO pair update,
   a subgradient epoch), snapshot included: the player pulls these on a worker thread.

The panel's drawing half (the canvas beside matplotlib) is added with the panels.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator

import numpy as np

from algorithms import knn, labelled, logistic, svm
from benchmarks import Result

GRID = 200
VIEW = 10.0
SIZES = (400, 5_000)
REPEAT = 9
STEP_POINTS = 5_000
STEP_REPEAT = 50


def grid_points() -> np.ndarray:
    xs = np.linspace(-VIEW, VIEW, GRID)
    return np.stack(np.meshgrid(xs, xs), -1).reshape(-1, 2)


def alternate(first: Callable, second: Callable, repeat: int = REPEAT) -> tuple[float, float]:
    """Median seconds per call of each, timed in turn (after one warm-up call each)."""
    first(), second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, kept in zip((first, second), times, strict=True):
            start = time.perf_counter()
            fn()
            kept.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def moons(n: int) -> labelled.LabelledData:
    return labelled.generate(labelled.Data(shape="moons", points=n, noise=0.3), seed=0)


def classifiers(d: labelled.LabelledData):
    """(name, our model, scikit-learn's fitted twin, the method to time on it, target ms)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC

    X, y = d.X_train, d.y_train
    n = len(X)
    k = knn.Params(k=5)
    yield ("KNN k=5", knn.fit(X, y, k),
           KNeighborsClassifier(5).fit(X, y).predict_proba, 100.0 if n > 1000 else 33.0)
    lp = logistic.Params(lr=0.1, l2=0.01, updates=300)
    yield ("logistic", logistic.final(d, lp).model,
           LogisticRegression(C=1 / (n * lp.l2)).fit(X, y).predict_proba, 33.0)
    for kernel, gamma in (("linear", 0.5), ("rbf", 0.5), ("poly", 0.05)):
        sp = svm.Params(kernel=kernel, gamma=gamma, C=1.0, steps=5_000)
        model = svm.final(d, sp).model
        ref = SVC(kernel=kernel, gamma=gamma, C=1.0).fit(X, y)
        sv = sum(len(m.support) for m in model.machines)
        yield (f"SVM {kernel} ({sv} SVs)", model, ref.decision_function, 33.0)


def run() -> Iterator[Result]:
    load, cores = os.getloadavg()[0], os.cpu_count()
    print(f"classify_bench: load average {load:.1f} on {cores} cores", file=sys.stderr)
    G = grid_points()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # convergence warnings of the references
        for n in SIZES:
            d = moons(n)
            for name, model, theirs, target in classifiers(d):
                ours_s, theirs_s = alternate(lambda m=model: m.predict_proba(G),
                                             lambda f=theirs: f(G))
                yield Result(f"{name}, {n:,} pts: regions {GRID}×{GRID}", ours_s * 1e3, "ms",
                             baseline=theirs_s * 1e3, baseline_name="scikit-learn",
                             target=f"≤ {target:g} ms", met=ours_s * 1e3 <= target)
        yield from knn_large(G)
    yield from step_results()


def knn_large(G) -> Iterator[Result]:
    from sklearn.neighbors import KNeighborsClassifier

    d = moons(20_000)
    model = knn.fit(d.X_train, d.y_train, knn.Params(k=5))
    ref = KNeighborsClassifier(5).fit(d.X_train, d.y_train)
    ours_s, theirs_s = alternate(lambda: model.predict_proba(G),
                                 lambda: ref.predict_proba(G), repeat=5)
    yield Result(f"KNN k=5, 20,000 pts: regions {GRID}×{GRID}", ours_s * 1e3, "ms",
                 baseline=theirs_s * 1e3, baseline_name="scikit-learn")


def step_results() -> Iterator[Result]:
    d = moons(STEP_POINTS)
    runs = {
        "logistic update": logistic.run(d, logistic.Params(updates=100_000, tol=0.0)),
        "SVM rbf SMO pair update": svm.run(d, svm.Params(kernel="rbf", steps=100_000,
                                                         tol=1e-8)),
        "SVM subgradient epoch": svm.run(d, svm.Params(solver="subgradient",
                                                       steps=100_000)),
    }
    for name, steps in runs.items():
        for _ in range(5):        # past the first steps, whose work differs
            next(steps)
        seconds = []
        for _ in range(STEP_REPEAT):
            start = time.perf_counter()
            next(steps)
            seconds.append(time.perf_counter() - start)
        yield Result(f"{name}, {STEP_POINTS:,} pts (with its snapshot)",
                     statistics.median(seconds) * 1e3, "ms", target="≤ 10 ms",
                     met=statistics.median(seconds) <= 0.010)
    d = moons(STEP_POINTS)
    query = knn.run(d, knn.Params(k=5))
    start = time.perf_counter()
    first = next(query)
    setup = time.perf_counter() - start
    yield Result(f"KNN query set-up, {STEP_POINTS:,} pts (first step)", setup * 1e3, "ms",
                 target="≤ 50 ms", met=setup <= 0.05 and first.phase == "query")
