"""Depthwise-separable convolution: the MobileNet v1 cost formula against the multiplications
the code performs, and the outputs against a standard layer and scipy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from algorithms import conv_layer, separable


def test_costs_for_a_mobilenet_layer():
    # 3×3 kernels, 512 → 512 channels on a 14×14 map (a MobileNet v1 middle layer)
    c = separable.costs(3, 512, 512, 14)
    assert c.standard == 3 * 3 * 512 * 512 * 14 * 14 == 462_422_016
    assert c.depthwise == 3 * 3 * 512 * 14 * 14
    assert c.pointwise == 512 * 512 * 14 * 14
    assert c.separable == c.depthwise + c.pointwise
    assert c.ratio == pytest.approx(1 / 512 + 1 / 9)
    assert c.formula() == "1/N + 1/D_K² = 1/512 + 1/3² = 0.1131: 8.84× fewer multiplications"
    assert separable.costs(3, 4, 5, 6, 7).positions == 42


@settings(max_examples=40, deadline=None)
@given(k=st.integers(1, 9), m=st.integers(1, 64), n=st.integers(1, 64), f=st.integers(1, 50))
def test_the_ratio_is_one_over_n_plus_one_over_k_squared(k, m, n, f):
    c = separable.costs(k, m, n, f)
    assert c.ratio == pytest.approx(1 / n + 1 / k ** 2, rel=1e-12)


@settings(max_examples=15, deadline=None)
@given(k=st.sampled_from([1, 3, 5]), m=st.integers(1, 4), n=st.integers(1, 5),
       h=st.integers(3, 9), w=st.integers(3, 9), seed=st.integers(0, 99))
def test_the_formula_counts_the_multiplications_the_code_performs(k, m, n, h, w, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(m, h, w))
    depth, point = rng.normal(size=(m, k, k)), rng.normal(size=(n, m))
    formula = separable.costs(k, m, n, h, w)
    tally = separable.Tally()
    separable.standard(x, separable.equivalent_bank(depth, point), tally)
    assert tally.count == formula.standard
    tally = separable.Tally()
    mid = separable.depthwise(x, depth, tally)
    assert tally.count == formula.depthwise
    separable.pointwise(mid, point, tally)
    assert tally.count == formula.separable
    tally = separable.Tally()
    separable.separable(x, depth, point, tally)
    assert tally.count == formula.separable


def test_separable_equals_its_equivalent_standard_layer_and_a_reference():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 8, 9))
    depth, point = rng.normal(size=(3, 3, 3)), rng.normal(size=(4, 3))
    bank = separable.equivalent_bank(depth, point)
    assert bank.shape == (4, 3, 3, 3)
    sep = separable.separable(x, depth, point)
    np.testing.assert_allclose(separable.standard(x, bank), sep, atol=1e-9)
    # "same" zero padding, stride 1: the generic filter-bank loop is the reference
    np.testing.assert_allclose(sep, conv_layer.conv2d_loop(x, bank, padding=1), atol=1e-9)
    # depthwise: each channel correlated with its own kernel, nothing mixed
    mid = separable.depthwise(x, depth)
    for c in range(3):
        np.testing.assert_allclose(mid[c], signal.correlate2d(x[c], depth[c], "same"),
                                   atol=1e-9)
    np.testing.assert_allclose(separable.pointwise(mid, point),
                               np.einsum("nm,mhw->nhw", point, mid), atol=1e-9)


def test_compare_runs_counts_and_times_both():
    x = np.random.default_rng(2).normal(size=(3, 12, 10))
    result = separable.compare(x, 3, 8, np.random.default_rng(0), repeat=2)
    assert result.costs == separable.costs(3, 3, 8, 12, 10)
    assert result.counted_standard == result.costs.standard
    assert result.counted_depthwise == result.costs.depthwise
    assert result.counted_pointwise == result.costs.pointwise
    assert result.difference < 1e-9
    assert min(result.seconds_standard, result.seconds_depthwise, result.seconds_pointwise) > 0
    again = separable.compare(x, 3, 8, np.random.default_rng(0), repeat=1)
    assert again.difference == result.difference   # same seed, same weights


@pytest.mark.parametrize(("call", "message"), [
    (lambda: separable.costs(0, 3, 3, 5), "kernel size D_K must be a whole number"),
    (lambda: separable.costs(3, 2.5, 3, 5), "input channels M"),
    (lambda: separable.costs(3, 3, True, 5), "filters N"),
    (lambda: separable.costs(3, 3, 3, 5, 0), "map width"),
    (lambda: separable.costs(3, 3, 3, -5), "map size"),
    (lambda: separable.depthwise(np.ones((2, 5, 5)), np.ones((2, 2, 2))), "no centre pixel"),
    (lambda: separable.depthwise(np.ones((2, 5, 5)), np.ones((3, 3, 3))), "depthwise kernels"),
    (lambda: separable.pointwise(np.ones((2, 5, 5)), np.ones((4, 3))), "pointwise weights"),
    (lambda: separable.standard(np.ones((2, 5, 5)), np.ones((4, 3, 3, 3))), "the bank must"),
    (lambda: separable.standard(np.ones((5, 5)), np.ones((4, 1, 3, 3))), "3-D"),
    (lambda: separable.compare(np.full((1, 4, 4), np.nan), 3, 2, np.random.default_rng()),
     "NaN"),
])
def test_bad_input_gets_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_costs_keep_their_inputs():
    c = separable.costs(5, 16, 32, 10)
    assert (c.kernel, c.channels, c.filters, c.positions) == (5, 16, 32, 100)


def test_compare_takes_the_median_of_repeat_runs():
    ticks = []

    def clock():             # a fake clock: every reading is one second after the last
        ticks.append(len(ticks))
        return float(len(ticks))

    x = np.ones((2, 5, 5))
    result = separable.compare(x, 3, 2, np.random.default_rng(0), clock=clock)
    assert len(ticks) == 3 * 2 * 3          # three layers, default repeat 3, two readings each
    assert result.seconds_standard == result.seconds_depthwise == 1.0
    ticks.clear()
    separable.compare(x, 3, 2, np.random.default_rng(0), repeat=0, clock=clock)
    assert len(ticks) == 3 * 2               # at least one run each
    ticks.clear()
    separable.compare(x, 3, 2, np.random.default_rng(0), repeat=1, clock=clock)
    assert len(ticks) == 3 * 2


@pytest.mark.parametrize(("call", "message"), [
    (lambda: separable.costs(3, 0, 3, 5), "^the input channels M must be a whole number of at "
                                          "least 1, got 0$"),
    (lambda: separable.costs(3, 3, 0, 5), "^the filters N must be"),
    (lambda: separable.costs(3, 3, 3, 0), "^the map size must be"),
    (lambda: separable.costs(3, 3, 3, 5, 0.5), "^the map width must be"),
    (lambda: separable.compare(np.ones((1, 4, 4)), 0, 2, np.random.default_rng()),
     "^the kernel size D_K must be"),
    (lambda: separable.compare(np.ones((1, 4, 4)), 3, 0, np.random.default_rng()),
     "^the filters N must be"),
    (lambda: separable.depthwise(np.ones((5, 5)), np.ones((1, 3, 3))),
     "^the input must be a non-empty 3-D"),
    (lambda: separable.standard(np.ones((2, 5, 5)), np.ones((2, 3, 3))),
     "^the filter bank must be a non-empty 4-D"),
    (lambda: separable.depthwise(np.ones((2, 5, 5)), np.ones((3, 3))),
     "^the depthwise kernels must be a non-empty 3-D"),
    (lambda: separable.pointwise(np.ones((2, 5, 5)), np.ones(3)),
     "^the pointwise weights must be a non-empty 2-D"),
    (lambda: separable.standard(np.ones((2, 5, 5)), np.ones((4, 3, 3, 3))),
     r"^the bank must be \(N, M, D_K, D_K\) with M the input's channels$"),
    (lambda: separable.depthwise(np.ones((2, 5, 5)), np.ones((3, 3, 3))),
     r"^depthwise kernels must be \(M, D_K, D_K\) with M the input's channels$"),
    (lambda: separable.pointwise(np.ones((2, 5, 5)), np.ones((4, 3))),
     r"^pointwise weights must be \(N, M\) with M the input's channels$"),
])
def test_messages(call, message):
    with pytest.raises(ValueError, match=message):
        call()
