"""Max and average pooling against a hand-worked example and reshape-based references."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms import pooling

# Worked by hand:
#   M = 1 3 2 0     2×2, stride 2:  max  6 2    mean (1+3+4+6)/4 = 3.5  (2+0+1+1)/4 = 1
#       4 6 1 1                          3 8         (0+2+3+1)/4 = 1.5  (5+7+8+4)/4 = 6
#       0 2 5 7     3×3, stride 1:  max  6 7   (the windows start at rows/columns 0 and 1)
#       3 1 8 4                          8 8
M = np.array([[1, 3, 2, 0], [4, 6, 1, 1], [0, 2, 5, 7], [3, 1, 8, 4]], dtype=float)


def reshape_pool(x, f, kind):
    """Reference for stride = window on sizes divisible by it: split into blocks."""
    h, w = x.shape[-2] // f * f, x.shape[-1] // f * f
    blocks = x[..., :h, :w].reshape(*x.shape[:-2], h // f, f, w // f, f)
    return blocks.max(axis=(-3, -1)) if kind == "max" else blocks.mean(axis=(-3, -1))


def test_hand_worked_example():
    np.testing.assert_array_equal(pooling.pool(M, 2, 2, "max"), [[6, 2], [3, 8]])
    np.testing.assert_array_equal(pooling.pool(M, 2, 2, "average"), [[3.5, 1], [1.5, 6]])
    np.testing.assert_array_equal(pooling.pool(M, 3, 1, "max"), [[6, 7], [8, 8]])
    np.testing.assert_array_equal(pooling.pool_windows(M, 3, 1, "max"), [[6, 7], [8, 8]])
    np.testing.assert_array_equal(pooling.pool(M, 1, 1), M)


@settings(max_examples=50, deadline=None)
@given(c=st.integers(1, 3), h=st.integers(1, 13), w=st.integers(1, 13), f=st.integers(1, 4),
       kind=st.sampled_from(pooling.KINDS), seed=st.integers(0, 99))
def test_non_overlapping_pooling_equals_the_reshape_reference(c, h, w, f, kind, seed):
    x = np.random.default_rng(seed).normal(size=(c, h, w))
    if f > min(h, w):
        with pytest.raises(ValueError, match="does not fit"):
            pooling.pool(x, f, f, kind)
        return
    ref = reshape_pool(x, f, kind)
    np.testing.assert_allclose(pooling.pool(x, f, f, kind), ref, atol=1e-12)
    np.testing.assert_allclose(pooling.pool_windows(x, f, f, kind), ref, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(h=st.integers(1, 12), w=st.integers(1, 12), f=st.integers(1, 4), s=st.integers(1, 4),
       kind=st.sampled_from(pooling.KINDS), seed=st.integers(0, 99))
def test_overlapping_windows_equal_a_loop_and_the_shape_formula(h, w, f, s, kind, seed):
    if f > min(h, w):
        return
    x = np.random.default_rng(seed).normal(size=(h, w))
    oh, ow = (h - f) // s + 1, (w - f) // s + 1
    reduce = np.max if kind == "max" else np.mean
    loop = np.array([[reduce(x[i * s:i * s + f, j * s:j * s + f]) for j in range(ow)]
                     for i in range(oh)])
    np.testing.assert_allclose(pooling.pool(x, f, s, kind), loop, atol=1e-12)
    np.testing.assert_allclose(pooling.pool_windows(x, f, s, kind), loop, atol=1e-12)
    assert pooling.out_shape(h, w, f, s) == (oh, ow)


def test_integer_maps():
    frame = np.array([[250, 251], [252, 253]], dtype=np.uint8)
    assert pooling.pool(frame, 2, 2, "max").tolist() == [[253]]
    assert pooling.pool(frame, 2, 2, "max").dtype == np.uint8
    assert pooling.pool(frame, 2, 2, "average").tolist() == [[251.5]]   # no uint8 overflow
    kept = np.arange(16, dtype=np.float32).reshape(4, 4)
    assert pooling.pool(kept).dtype == np.float32
    np.testing.assert_array_equal(kept, np.arange(16).reshape(4, 4))    # input untouched


def test_run_steps_through_the_windows():
    steps = list(pooling.run(M, pooling.Params("max", 2, 2)))
    assert [s.phase for s in steps] == ["start"] + ["position"] * 4 + ["done"]
    assert [s.index for s in steps] == list(range(6))
    assert steps[0].caption == ("Max pooling of the 4×4 map with a 2×2 window, stride 2: "
                                "4 windows, so the output is 2×2: (W − K + 2P)/S + 1 = "
                                "(4 − 2 + 2·0)/2 + 1 = 2.")
    assert steps[1].caption == "Row 1, column 1: max(1, 3, 4, 6) = 6."
    assert [s.value for s in steps[1:5]] == [6, 2, 3, 8]
    assert [s.winner for s in steps[1:5]] == [(1, 1), (0, 0), (1, 0), (1, 0)]
    assert [s.window() for s in steps[1:5]] == [(0, 0), (0, 2), (2, 0), (2, 2)]
    assert steps[0].window() == (0, 0)
    np.testing.assert_array_equal(steps[3].patch, [[0, 2], [3, 1]])
    assert steps[-1].caption == ("Done: max pooling turned 16 values into 4 values (4× fewer), "
                                 "from 2 to 8.")
    assert steps[2].metrics == {"row": 1, "column": 2, "value": 2.0, "filled": 2}
    partial = steps[2].so_far()
    np.testing.assert_array_equal(partial[0], [6, 2])
    assert np.isnan(partial[1]).all()
    assert np.isnan(steps[0].so_far()).all()


def test_run_average_rows_and_big_windows():
    avg = list(pooling.run(M, pooling.Params("average", 2, 2)))
    assert avg[4].caption == "Row 2, column 2: mean(5, 7, 8, 4) = 6."
    assert avg[4].winner is None
    rows = list(pooling.run(M, pooling.Params("max", 2, 1, "row")))
    assert [s.phase for s in rows] == ["start", "row", "row", "row", "done"]
    assert rows[2].caption == "Output row 2 of 3 done: 3 windows, values from 6 to 7."
    assert [s.filled for s in rows] == [0, 3, 6, 9, 9]
    big = np.arange(36.0).reshape(6, 6)
    four = list(pooling.run(big, pooling.Params("max", 4, 2)))
    assert four[1].caption == "Row 1, column 1: the largest of 16 values is 21."
    mean = list(pooling.run(big, pooling.Params("average", 4, 2)))
    assert mean[1].caption == "Row 1, column 1: the mean of 16 values is 10.5."
    one = list(pooling.run(M, pooling.Params("max", 4, 4)))
    assert "1 window, so the output is 1×1" in one[0].caption
    assert "into 1 value (16× fewer)" in one[-1].caption
    odd = list(pooling.run(np.arange(25.0).reshape(5, 5), pooling.Params("max", 2, 2)))
    assert "rounded down: the last pixel is not covered" in odd[0].caption


def test_run_ends_with_the_fast_map_and_snapshots_stay_put():
    x = np.random.default_rng(3).normal(size=(9, 7))
    steps = list(pooling.run(x, pooling.Params("max", 3, 2)))
    np.testing.assert_array_equal(steps[-1].output, pooling.pool(x, 3, 2))
    np.testing.assert_array_equal([s.value for s in steps[1:-1]],
                                  pooling.pool(x, 3, 2).ravel())
    assert all(s.feature is steps[0].feature for s in steps)
    with pytest.raises(ValueError):
        steps[1].patch[0, 0] = 0.0
    with pytest.raises(ValueError):
        steps[0].output[0, 0] = 0.0
    for s in steps[1:-1]:
        assert s.patch[s.winner] == s.value == s.patch.max()
        assert "nan" not in s.caption and "-0" not in s.caption


@pytest.mark.parametrize(("feature", "params", "message"), [
    (np.ones((1, 1)), pooling.Params(), "2×2 pooling window does not fit in the 1×1 map"),
    (np.full((4, 4), np.nan), pooling.Params(), "NaN"),
    (np.ones(4), pooling.Params(), "non-empty 2-D"),
    (np.ones((2, 4, 4)), pooling.Params(), "give a 2-D array"),
    (np.array([["a"]]), pooling.Params(), "array of numbers"),
    (M, pooling.Params(stride=0), "stride must be between 1 and 8"),
    (M, pooling.Params(kind="min"), "kind must be one of"),
])
def test_bad_input_gets_a_clear_message(feature, params, message):
    with pytest.raises(ValueError, match=message):
        next(pooling.run(feature, params))


@pytest.mark.parametrize(("args", "message"), [
    ((M, 2, 0), "stride must be at least 1"),
    ((M, 0, 1), "window must be a whole number of at least 1"),
    ((M, 1.5, 1), "window must be a whole number"),
    ((M, 2, 2, "median"), "kind must be one of max, average"),
])
def test_bad_arguments_to_pool(args, message):
    with pytest.raises(ValueError, match=message):
        pooling.pool(*args)


def test_defaults_are_two_by_two_max_stride_two():
    x = np.random.default_rng(5).normal(size=(6, 8))
    np.testing.assert_array_equal(pooling.pool(x), reshape_pool(x, 2, "max"))
    np.testing.assert_array_equal(pooling.pool_windows(x), reshape_pool(x, 2, "max"))
    steps = list(pooling.run(x))
    assert steps[0].kind == "max" and steps[0].size == steps[0].stride == 2


def test_signed_integer_and_boolean_maps_are_numbers_too():
    signed = np.array([[-3, 1], [2, -8]], dtype=np.int32)
    assert pooling.pool(signed).tolist() == [[2]]
    assert pooling.pool(signed, kind="average").tolist() == [[-2.0]]
    assert pooling.pool(np.eye(2, dtype=bool)).tolist() == [[True]]


def test_average_keeps_float32():
    x = np.arange(16, dtype=np.float32).reshape(4, 4)
    assert pooling.pool(x, 2, 2, "average").dtype == np.float32


def test_run_details_a_panel_relies_on():
    x = np.arange(49.0).reshape(7, 7) / 7
    steps = list(pooling.run(x, pooling.Params("average", 3, 2)))
    np.testing.assert_array_equal(steps[0].feature, x)
    np.testing.assert_allclose(steps[-1].output, pooling.pool(x, 3, 2, "average"))
    assert steps[0].metrics == {"positions": 9}
    assert steps[-1].metrics == {"min": float(steps[-1].output.min()),
                                 "max": float(steps[-1].output.max()), "filled": 9}
    # a 3×3 window still lists its 9 values, to 3 digits
    assert steps[1].caption == ("Row 1, column 1: mean(0, 0.143, 0.286, 1, 1.14, 1.29, 2, 2.14, "
                                "2.29) = 1.14.")
    assert "turned 49 values into 9 values (5.44× fewer)" in steps[-1].caption
    done, last = steps[-1], steps[-2]
    assert done.position == last.position == (2, 2)
    assert done.value == last.value and done.winner is None
    np.testing.assert_array_equal(done.patch, last.patch)
    maxed = list(pooling.run(x, pooling.Params("max", 3, 2)))
    assert maxed[-1].winner == maxed[-2].winner == (2, 2)
    assert maxed[1].caption.endswith("= 2.29.")
