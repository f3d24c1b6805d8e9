"""k-fold cross-validation: every point held out once, every fold refitted from scratch.

The pool is the training and validation points together; the test points stay untouched
(no step ever evaluates them). The pool is shuffled once (seeded) and cut into k folds; one
step holds one fold out, fits the polynomial on the other k − 1 and scores the held-out
points. The mean ± spread (population standard deviation) of the k scores estimates how
the degree does on unseen points; repeating it for every degree chooses one, and the model
of that degree is then refitted on the whole pool.
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
    folds: int = param(5, limits=(2, 20), label="folds (k)",
                       tip="how many parts the pool is cut into")
    degree: int = param(3, limits=(1, polyfit.MAX_DEGREE),
                        tip="the degree whose folds are shown one by one")
    max_degree: int = param(12, limits=(1, polyfit.MAX_DEGREE), label="compare degrees up to",
                            tip="after the folds, every degree from 1 to this is cross-validated")
    shuffle: bool = param(True, tip="shuffle the pool (seeded) before cutting it into folds")


@dataclass(frozen=True, kw_only=True)
class Step(Snapshot):
    pool: np.ndarray            # indices of training + validation points (test excluded)
    folds: tuple                # k sorted index arrays: each fold's held-out points
    fold: int                   # 1 … k in "fold" steps, else 0
    held_out: np.ndarray        # indices held out in this step (empty outside "fold")
    degree: int                 # degree of the fit shown
    coefficients: np.ndarray    # its Legendre coefficients (empty in "split")
    curve: np.ndarray           # its curve on problem.grid (empty in "split")
    scores: np.ndarray          # held-out MSE of each fold so far, at params.degree
    degrees: np.ndarray         # degrees cross-validated so far (the comparison)
    cv_means: np.ndarray        # mean held-out MSE of each of them
    cv_spreads: np.ndarray      # standard deviation of their k fold scores
    best_degree: int | None     # set in the final "choose" step


EMPTY = frozen(np.zeros(0))
NO_INDEX = frozen(np.zeros(0, dtype=int))


def fold_fit(problem: Problem, pool, held_out, degree: int) -> tuple[np.ndarray, float]:
    """Fit on the pool minus the held-out points; (coefficients, held-out MSE)."""
    rest = np.setdiff1d(pool, held_out)
    w = polyfit.lstsq(problem.features(rest, degree), problem.y[rest])
    return w, polyfit.mse(problem.features(held_out, degree), w, problem.y[held_out])


def cross_validate(problem: Problem, folds, degree: int) -> np.ndarray:
    """Held-out MSE of every fold at one degree."""
    pool = np.concatenate(folds)
    return np.array([fold_fit(problem, pool, f, degree)[1] for f in folds])


def run(problem: Problem, params: Params, rng: np.random.Generator) -> Iterator[Step]:
    validate(params)
    pool = frozen(np.union1d(problem.train, problem.val))
    k = params.folds
    if len(pool) < k:
        raise ValueError(f"{k} folds need at least {k} points outside the test set; there "
                         f"{'is' if len(pool) == 1 else 'are'} {len(pool)}")
    folds = tuple(frozen(f) for f in polyfit.kfold(pool, k, params.shuffle, rng))
    state = dict(pool=pool, folds=folds, fold=0, held_out=NO_INDEX, degree=params.degree,
                 coefficients=EMPTY, curve=EMPTY, scores=EMPTY, degrees=NO_INDEX,
                 cv_means=EMPTY, cv_spreads=EMPTY, best_degree=None)
    index = 0

    def snap(phase, caption, metrics, **changes):
        nonlocal index
        state.update(changes)
        step = Step(index=index, phase=phase, caption=caption, metrics=metrics, **state)
        index += 1
        return step

    sizes = sorted({len(f) for f in folds})
    size_text = " or ".join(str(s) for s in sizes)
    test_text = (f"The {plural(len(problem.test), 'test point')} take no part."
                 if len(problem.test) else "No test points were kept.")
    yield snap("split", f"The {len(pool)} training and validation points, "
               f"{'shuffled and ' if params.shuffle else ''}cut into {k} folds of {size_text}. "
               f"{test_text}", {"folds": k, "pool": len(pool)})
    scores = []
    for i, held in enumerate(folds, start=1):
        w, score = fold_fit(problem, pool, held, params.degree)
        scores.append(score)
        caption = (f"Fold {i} of {k}: held out {plural(len(held), 'point')}, fitted degree "
                   f"{params.degree} on the other {len(pool) - len(held)}; held-out error "
                   f"{num(score)}.")
        caption += polyfit.underdetermined(len(pool) - len(held), params.degree)
        yield snap("fold", caption, {"fold": i, "held-out error": score}, fold=i,
                   held_out=held, coefficients=frozen(w), curve=frozen(problem.curve(w)),
                   scores=frozen(scores))
    mean, spread = float(np.mean(scores)), float(np.std(scores))
    yield snap("score", f"Degree {params.degree}: cross-validated error {num(mean)} ± "
               f"{num(spread)} over the {k} folds. Every point was held out exactly once.",
               {"mean error": mean, "spread": spread}, fold=0, held_out=NO_INDEX)
    means, spreads = [], []
    for degree in range(1, params.max_degree + 1):
        s = cross_validate(problem, folds, degree)
        means.append(float(s.mean()))
        spreads.append(float(s.std()))
        yield snap("degree", f"Degree {degree}: cross-validated error {num(means[-1])} ± "
                   f"{num(spreads[-1])} ({k} folds refitted).",
                   {"degree": degree, "mean error": means[-1], "spread": spreads[-1]},
                   degrees=frozen(np.arange(1, degree + 1)), cv_means=frozen(means),
                   cv_spreads=frozen(spreads))
    best = int(np.argmin(means)) + 1
    w = polyfit.lstsq(problem.features(pool, best), problem.y[pool])
    yield snap("choose", f"Degree {best} has the lowest cross-validated error "
               f"({num(means[best - 1])} ± {num(spreads[best - 1])}); refitted on all "
               f"{len(pool)} points. The test points are still untouched.",
               {"best degree": best, "mean error": means[best - 1]},
               degree=best, coefficients=frozen(w), curve=frozen(problem.curve(w)),
               best_degree=best)
