"""Underfitting and overfitting: the same points fitted by polynomials of rising degree.

Each step fits one more degree by least squares on the training points only and records
the mean squared error on the training and on the validation points. The training error
can only fall as the degree rises (each polynomial family contains the one before); the
validation error falls while the curve learns the signal, then rises once it starts to
follow the noise — the U whose bottom is the degree to choose. The test points are used
once, at the end, to report the chosen model's error honestly. The shared problem, its
features and the fitting live in ``algorithms.polyfit``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from algorithms import polyfit
from algorithms.base import Snapshot, frozen, num, param, validate
from algorithms.polyfit import Problem


@dataclass(frozen=True)
class Params:
    max_degree: int = param(15, limits=(1, polyfit.MAX_DEGREE), label="highest degree",
                            tip="the degree rises from 1 to this, one step each")


@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    degree: int                   # the degree of this step's fit (0 in the "split" step)
    coefficients: np.ndarray      # (degree + 1,) Legendre coefficients, see polyfit
    curve: np.ndarray             # (GRID,) the fit on problem.grid; empty in "split"
    degrees: np.ndarray           # 1 … degree so far
    train_errors: np.ndarray      # training MSE of each degree so far
    val_errors: np.ndarray        # validation MSE of each degree so far
    best_degree: int | None       # lowest validation error; set in the final "best" step
    test_error: float             # the chosen degree's test MSE, final step only (else nan)
    underdetermined: bool         # more coefficients than training points


EMPTY = frozen(np.zeros(0))


def fit_degree(problem: Problem, degree: int) -> tuple[np.ndarray, float, float]:
    """(coefficients, training MSE, validation MSE) of the least-squares fit of a degree."""
    X = problem.features(problem.train, degree)
    w = polyfit.lstsq(X, problem.y[problem.train])
    return (w, polyfit.mse(X, w, problem.y[problem.train]),
            polyfit.mse(problem.features(problem.val, degree), w, problem.y[problem.val]))


def run(problem: Problem, params: Params,
        rng: np.random.Generator | None = None) -> Iterator[Step]:
    """Yield the split, one fit per degree 1 … max_degree, then the chosen degree.

    Least squares draws no random numbers; ``rng`` is accepted so every run is called alike.
    """
    validate(params)
    n_train = len(problem.train)
    yield Step(index=0, phase="split", caption=polyfit.describe_split(problem) + " Fits use "
               "only the training points; the validation points judge them.",
               metrics={"training points": n_train, "validation points": len(problem.val)},
               degree=0, coefficients=EMPTY, curve=EMPTY, degrees=EMPTY,
               train_errors=EMPTY, val_errors=EMPTY, best_degree=None,
               test_error=float("nan"), underdetermined=False)
    fits, train, val = [], [], []
    for degree in range(1, params.max_degree + 1):
        w, tr, va = fit_degree(problem, degree)
        fits.append(w)
        train.append(tr)
        val.append(va)
        caption = (f"Degree {degree}: training error {polyfit.error_text(tr, problem.y)}, "
                   f"validation error {num(va)}.")
        if degree > 1 and va > val[-2] and tr <= train[-2]:
            caption += " The validation error rose while the training error fell: the extra " \
                       "freedom is fitting noise."
        caption += polyfit.underdetermined(n_train, degree)
        yield Step(index=degree, phase="fit", caption=caption,
                   metrics={"degree": degree, "training error": tr, "validation error": va},
                   degree=degree, coefficients=frozen(w), curve=frozen(problem.curve(w)),
                   degrees=frozen(np.arange(1, degree + 1)), train_errors=frozen(train),
                   val_errors=frozen(val), best_degree=None, test_error=float("nan"),
                   underdetermined=degree + 1 > n_train)
    best = int(np.argmin(val)) + 1
    w = fits[best - 1]
    caption = f"The validation error is lowest at degree {best} ({num(val[best - 1])})."
    if len(problem.test):
        test = polyfit.mse(problem.features(problem.test, best), w, problem.y[problem.test])
        caption += (f" Its error on the test points, untouched until now and used just this "
                    f"once: {num(test)}.")
    else:
        test = float("nan")
        caption += " No test points were kept, so there is no untouched estimate of its error."
    metrics = {"best degree": best, "validation error": val[best - 1]}
    if len(problem.test):
        metrics["test error"] = test
    yield Step(index=params.max_degree + 1, phase="best", caption=caption, metrics=metrics,
               degree=best, coefficients=frozen(w), curve=frozen(problem.curve(w)),
               degrees=frozen(np.arange(1, params.max_degree + 1)),
               train_errors=frozen(train), val_errors=frozen(val), best_degree=best,
               test_error=test, underdetermined=best + 1 > n_train)
