"""More data: the learning curve of a simple and a complex polynomial.

The training points are put in one seeded random order; step j fits both models on the
first m_j of them (so every training set contains the one before) and measures the mean
squared error on those m_j points and on the fixed validation points. A complex model
starts far worse on the validation points — with few points it threads them all — and
closes the gap as the training set grows; a simple one is soon as good as it will get,
its two errors meeting at the level its bias allows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from algorithms import polyfit
from algorithms.base import Snapshot, frozen, num, param, plural, validate
from algorithms.polyfit import Problem


@dataclass(frozen=True)
class Params:
    simple: int = param(2, limits=(1, polyfit.MAX_DEGREE), label="simple degree")
    complex: int = param(12, limits=(1, polyfit.MAX_DEGREE), label="complex degree")
    sizes: int = param(12, limits=(2, 50), label="training-set sizes",
                       tip="how many steps the training set grows in")
    start: int = param(3, limits=(1, 1000), label="first size",
                       tip="training points in the first step")


@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    order: np.ndarray             # the training indices in the order they are added (shared)
    size: int                     # this step uses order[:size]
    sizes: np.ndarray             # sizes so far
    simple_train: np.ndarray      # training MSE of the simple model at each size so far
    simple_val: np.ndarray        # its validation MSE
    complex_train: np.ndarray
    complex_val: np.ndarray
    simple_coefficients: np.ndarray
    complex_coefficients: np.ndarray
    simple_curve: np.ndarray      # (GRID,) on problem.grid
    complex_curve: np.ndarray


def schedule(n_train: int, start: int, count: int) -> np.ndarray:
    """Distinct training-set sizes from min(start, n_train) up to n_train, evenly spaced."""
    first = min(start, n_train)
    return np.unique(np.round(np.linspace(first, n_train, count)).astype(int))


def errors_at(problem: Problem, used, degree: int) -> tuple[np.ndarray, float, float]:
    """(coefficients, training MSE, validation MSE) of a degree fitted on the points used."""
    X = problem.features(used, degree)
    w = polyfit.lstsq(X, problem.y[used])
    return (w, polyfit.mse(X, w, problem.y[used]),
            polyfit.mse(problem.features(problem.val, degree), w, problem.y[problem.val]))


def run(problem: Problem, params: Params, rng: np.random.Generator) -> Iterator[Step]:
    validate(params)
    order = frozen(rng.permutation(problem.train))
    sizes = schedule(len(order), params.start, params.sizes)
    rows = {key: [] for key in ("simple_train", "simple_val", "complex_train", "complex_val")}
    for index, m in enumerate(sizes):
        used = order[:m]
        fits = {}
        for name, degree in (("simple", params.simple), ("complex", params.complex)):
            w, tr, va = errors_at(problem, used, degree)
            fits[name] = w
            rows[f"{name}_train"].append(tr)
            rows[f"{name}_val"].append(va)
        said = {key: num(values[-1]) for key, values in rows.items()}
        for key in ("simple_train", "complex_train"):
            said[key] = polyfit.error_text(rows[key][-1], problem.y)
        caption = (f"{plural(int(m), 'training point')}. Degree {params.simple}: training "
                   f"{said['simple_train']}, validation {said['simple_val']}. Degree "
                   f"{params.complex}: training {said['complex_train']}, validation "
                   f"{said['complex_val']}.")
        caption += polyfit.underdetermined(int(m), params.complex)
        metrics = {"training points": int(m),
                   "simple validation error": rows["simple_val"][-1],
                   "complex validation error": rows["complex_val"][-1]}
        yield Step(index=index, phase="grow" if index < len(sizes) - 1 else "done",
                   caption=caption, metrics=metrics, order=order, size=int(m),
                   sizes=frozen(sizes[: index + 1]),
                   **{key: frozen(values) for key, values in rows.items()},
                   simple_coefficients=frozen(fits["simple"]),
                   complex_coefficients=frozen(fits["complex"]),
                   simple_curve=frozen(problem.curve(fits["simple"])),
                   complex_curve=frozen(problem.curve(fits["complex"])))
