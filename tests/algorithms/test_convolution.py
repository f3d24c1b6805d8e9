"""2-D convolution against a hand-worked example, cv2.filter2D, scipy.signal and scipy.ndimage."""

import re

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage, signal

from algorithms import convolution as conv
from algorithms import kernels
from algorithms.conv_geometry import (
    effective_size,
    output_size,
    same_padding,
    size_formula,
)

# A 4×4 image and an asymmetric 3×3 kernel, worked by hand (no padding, stride 1):
#
#   I = 1 2 0 1      K = 1 0  2      flip(K) = −1 0 0
#       0 1 3 1          0 1  0                 0 1 0
#       2 1 0 2          0 0 −1                 2 0 1
#       1 0 1 3
#
# Cross-correlation lays K on each 3×3 window as it is:
#   (0,0): window 1 2 0 / 0 1 3 / 2 1 0 → 1·1 + 0·2 + 1·1 − 0·1 = 2
#   (0,1): window 2 0 1 / 1 3 1 / 1 0 2 → 2·1 + 1·2 + 3·1 − 2·1 = 5
#   (1,0): window 0 1 3 / 2 1 0 / 1 0 1 → 0·1 + 3·2 + 1·1 − 1·1 = 6
#   (1,1): window 1 3 1 / 1 0 2 / 0 1 3 → 1·1 + 1·2 + 0·1 − 3·1 = 0
# True convolution lays flip(K) on them:
#   (0,0): −1·1 + 1·1 + 2·2 + 1·0 = 4      (0,1): −1·2 + 1·3 + 2·1 + 1·2 = 5
#   (1,0): −1·0 + 1·1 + 2·1 + 1·1 = 4      (1,1): −1·1 + 1·0 + 2·0 + 1·3 = 2
IMAGE = np.array([[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 2], [1, 0, 1, 3]], dtype=float)
KERNEL = np.array([[1, 0, 2], [0, 1, 0], [0, 0, -1]], dtype=float)
CORRELATION = np.array([[2, 5], [6, 0]], dtype=float)
CONVOLUTION = np.array([[4, 5], [4, 2]], dtype=float)

CV2_BORDER = {"zero": cv2.BORDER_CONSTANT, "reflect": cv2.BORDER_REFLECT_101,
              "replicate": cv2.BORDER_REPLICATE}
NDIMAGE_MODE = {"zero": "constant", "reflect": "mirror", "replicate": "nearest"}


def random_image(h=23, w=31, seed=0):
    return np.random.default_rng(seed).normal(size=(h, w)) * 10


def test_hand_worked_example():
    np.testing.assert_array_equal(conv.correlate(IMAGE, KERNEL), CORRELATION)
    np.testing.assert_array_equal(conv.convolve(IMAGE, KERNEL), CONVOLUTION)
    np.testing.assert_allclose(conv.correlate_fast(IMAGE, KERNEL), CORRELATION, atol=1e-12)
    # the same numbers from scipy.signal
    np.testing.assert_array_equal(signal.correlate2d(IMAGE, KERNEL, "valid"), CORRELATION)
    np.testing.assert_array_equal(signal.convolve2d(IMAGE, KERNEL, "valid"), CONVOLUTION)


@pytest.mark.parametrize("mode", conv.PADDINGS)
@pytest.mark.parametrize("size", [3, 5, 7])
def test_same_padding_equals_cv2_filter2d(mode, size):
    x = random_image()
    k = np.random.default_rng(size).normal(size=(size, size))
    ref = cv2.filter2D(x, -1, k, borderType=CV2_BORDER[mode])   # correlation, centred kernel
    p = same_padding(size)
    np.testing.assert_allclose(conv.correlate(x, k, p, mode), ref, atol=1e-9)
    np.testing.assert_allclose(conv.correlate_fast(x, k, p, mode), ref, atol=1e-9)


@pytest.mark.parametrize("mode", conv.PADDINGS)
def test_padding_modes_equal_scipy_ndimage(mode):
    x = random_image(12, 9, seed=3)
    k = np.random.default_rng(1).normal(size=(3, 5))
    ref = ndimage.correlate(x, k, mode=NDIMAGE_MODE[mode], cval=0.0)
    # ndimage centres the kernel; rows need padding 1 and columns 2, so pad by 2 and
    # drop the extra row at top and bottom
    ours = conv.correlate(x, k, 2, mode)[1:-1]
    np.testing.assert_allclose(ours, ref, atol=1e-9)


def test_reflect_does_not_repeat_the_edge_and_replicate_does():
    x = np.array([[1.0, 2.0, 3.0]] * 2)
    pick_left = np.zeros((1, 3))
    pick_left[0, 0] = 1          # output (i, j) reads padded pixel (i, j): the left neighbour
    assert conv.correlate(x, pick_left, 1, "reflect")[1].tolist() == [2.0, 1.0, 2.0]
    assert conv.correlate(x, pick_left, 1, "replicate")[1].tolist() == [1.0, 1.0, 2.0]
    assert conv.correlate(x, pick_left, 1, "zero")[1].tolist() == [0.0, 1.0, 2.0]


def test_zero_padding_equals_scipy_signal_same_and_full():
    x = random_image(10, 13, seed=4)
    k = np.random.default_rng(2).normal(size=(3, 3))
    np.testing.assert_allclose(conv.correlate(x, k, 1), signal.correlate2d(x, k, "same"),
                               atol=1e-9)
    np.testing.assert_allclose(conv.convolve(x, k, 2), signal.convolve2d(x, k, "full"),
                               atol=1e-9)


def test_flipping_the_kernel_turns_correlation_into_convolution():
    x = random_image(seed=5)
    k = np.random.default_rng(3).normal(size=(4, 3))
    np.testing.assert_allclose(conv.correlate(x, conv.flip(k)),
                               signal.convolve2d(x, k, "valid"), atol=1e-9)
    sym = kernels.gaussian(5, 1.2)   # symmetric: both agree
    np.testing.assert_allclose(conv.correlate(x, sym), conv.convolve(x, sym), atol=1e-12)


def test_stride_keeps_every_sth_output_and_dilation_spreads_the_taps():
    x = random_image(seed=6)
    k = np.random.default_rng(4).normal(size=(3, 3))
    full = conv.correlate(x, k, 1, "reflect")
    np.testing.assert_allclose(conv.correlate(x, k, 1, "reflect", stride=3), full[::3, ::3])
    spread = np.zeros((5, 5))
    spread[::2, ::2] = k    # a dilation-2 kernel is the kernel with a zero between taps
    np.testing.assert_allclose(conv.correlate(x, k, dilation=2),
                               signal.correlate2d(x, spread, "valid"), atol=1e-9)


settings_fast = settings(max_examples=60, deadline=None)


@settings_fast
@given(h=st.integers(1, 14), w=st.integers(1, 14), kh=st.integers(1, 5), kw=st.integers(1, 5),
       p=st.integers(0, 3), s=st.integers(1, 4), d=st.integers(1, 3),
       mode=st.sampled_from(conv.PADDINGS), seed=st.integers(0, 99))
def test_output_shape_follows_the_formula_and_both_paths_agree(h, w, kh, kw, p, s, d, mode,
                                                               seed):
    reach_h, reach_w = d * (kh - 1) + 1, d * (kw - 1) + 1
    if reach_h > h + 2 * p or reach_w > w + 2 * p or (mode == "reflect" and p >= min(h, w)):
        with pytest.raises(ValueError):
            conv.correlate(np.zeros((h, w)), np.ones((kh, kw)), p, mode, s, d)
        return
    rng = np.random.default_rng(seed)
    x, k = rng.normal(size=(h, w)), rng.normal(size=(kh, kw))
    expected = ((h - reach_h + 2 * p) // s + 1, (w - reach_w + 2 * p) // s + 1)
    teach = conv.correlate(x, k, p, mode, s, d)
    fast = conv.correlate_fast(x, k, p, mode, s, d)
    assert teach.shape == fast.shape == expected
    assert output_size(w, kw, p, s, d) == expected[1]
    assert size_formula(w, kw, p, s, d).split(" = ")[-1].split(" ")[0] == str(expected[1])
    # a direct loop over the positions, from the definition
    xp = np.pad(x, p, mode={"zero": "constant", "reflect": "reflect",
                            "replicate": "edge"}[mode])
    loop = np.array([[sum(k[u, v] * xp[i * s + u * d, j * s + v * d]
                          for u in range(kh) for v in range(kw))
                      for j in range(expected[1])] for i in range(expected[0])])
    np.testing.assert_allclose(teach, loop, atol=1e-9)
    np.testing.assert_allclose(fast, loop, atol=1e-9)


def test_integer_frames_take_the_float32_path_with_the_same_numbers():
    frame = np.random.default_rng(7).integers(0, 256, (48, 64), dtype=np.uint8)
    k = kernels.gaussian(5, 1.0)
    fast = conv.correlate_fast(frame, k, 2, "replicate")
    assert fast.dtype == np.float32
    np.testing.assert_allclose(fast, conv.correlate(frame, k, 2, "replicate"), atol=1e-3)
    as_float32 = conv.correlate_fast(frame.astype(np.float32), k, 2, "replicate")
    assert as_float32.dtype == np.float32
    assert conv.correlate_fast(frame.astype(float), k, 2).dtype == np.float64
    # weights so large that float32 would overflow: the fast path switches to float64
    big = conv.correlate_fast(frame, k * 1e35, 2, "replicate")
    assert big.dtype == np.float64 and np.isfinite(big).all()


def test_size_formula_text():
    assert size_formula(6, 3, 1, 1) == "(W − K + 2P)/S + 1 = (6 − 3 + 2·1)/1 + 1 = 6"
    assert size_formula(7, 3, 0, 2, 2) == ("K = D·(K − 1) + 1 = 2·(3 − 1) + 1 = 5; "
                                           "(W − K + 2P)/S + 1 = (7 − 5 + 2·0)/2 + 1 = 2")
    # (8 − 3)/2 = 2.5: rounded down, and one pixel is never reached
    assert size_formula(8, 3, 0, 2).endswith("= 3 (rounded down: the last pixel is not "
                                             "covered by any window)")
    assert "last 2 pixels are" in size_formula(9, 3, 0, 4)
    assert size_formula(2, 3).endswith("< 1: the kernel does not fit")
    assert effective_size(3, 3) == 7
    assert output_size(640, 5, 2, 1) == 640 and output_size(5, 5) == 1


def test_same_padding_keeps_the_size_and_refuses_even_kernels():
    assert [same_padding(k, d) for k, d in ((1, 1), (3, 1), (5, 1), (3, 2), (5, 3))] == \
        [0, 1, 2, 2, 6]
    x = random_image(9, 11)
    assert conv.correlate(x, np.ones((3, 3)), same_padding(3, 2), dilation=2).shape == x.shape
    with pytest.raises(ValueError, match="no centre pixel"):
        same_padding(4)


def test_activations():
    v = np.array([-2.0, -0.5, 0.0, 3.0])
    np.testing.assert_array_equal(conv.relu(v), [0, 0, 0, 3])
    np.testing.assert_array_equal(conv.leaky_relu(v, 0.1), [-0.2, -0.05, 0, 3])
    np.testing.assert_array_equal(conv.activate(v, "none"), v)
    np.testing.assert_array_equal(conv.activate(v, "leaky relu", 0.5), [-1, -0.25, 0, 3])
    np.testing.assert_array_equal(conv.activate(v, "relu"), [0, 0, 0, 3])
    with pytest.raises(ValueError, match="leak"):
        conv.leaky_relu(v, 1.0)
    with pytest.raises(ValueError, match="activation must be one of"):
        conv.activate(v, "tanh")


def test_filter_image_gradient_magnitude_equals_cv2_sobel():
    x = random_image(20, 24, seed=8)
    preset = kernels.make(kernels.Params("gradient magnitude", 3))
    gx = cv2.Sobel(x, cv2.CV_64F, 1, 0, ksize=3, borderType=cv2.BORDER_REPLICATE)
    gy = cv2.Sobel(x, cv2.CV_64F, 0, 1, ksize=3, borderType=cv2.BORDER_REPLICATE)
    params = conv.Params(padding_mode="replicate", padding=1)
    for fast in (True, False):
        np.testing.assert_allclose(conv.filter_image(x, preset, params, fast), np.hypot(gx, gy),
                                   atol=1e-9)
    relu = conv.filter_image(x, kernels.sobel(3), conv.Params(activation="relu"))
    np.testing.assert_allclose(relu, np.maximum(conv.correlate(x, kernels.sobel(3), 1), 0),
                               atol=1e-9)
    np.testing.assert_allclose(conv.filter_image(x, KERNEL), conv.correlate(x, KERNEL, 1),
                               atol=1e-9)


# --- the stepwise run --------------------------------------------------------------------------
def steps_of(image, kernel, **params):
    return list(conv.run(image, kernel, conv.Params(**params)))


def test_run_walks_the_hand_worked_example():
    steps = steps_of(IMAGE, KERNEL, padding=0)
    assert [s.phase for s in steps] == ["start"] + ["position"] * 4 + ["done"]
    assert [s.index for s in steps] == list(range(6))
    assert steps[0].caption == (
        "No padding: the kernel stays inside the 4×4 image. The 3×3 kernel fits 4 positions, "
        "so the output map is 2×2: (W − K + 2P)/S + 1 = (4 − 3 + 2·0)/1 + 1 = 2.")
    first = steps[1]
    assert first.caption == ("Row 1, column 1: 1·1 + 2·0 + 0·2 + 0·0 + 1·1 + 3·0 + 2·0 + "
                             "1·0 + 0·(−1) = 2.")
    np.testing.assert_array_equal(first.patch, IMAGE[:3, :3])
    np.testing.assert_array_equal(first.products[0], IMAGE[:3, :3] * KERNEL)
    assert [s.value for s in steps[1:5]] == CORRELATION.ravel().tolist()
    assert [s.position for s in steps[1:5]] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert [s.filled for s in steps] == [0, 1, 2, 3, 4, 4]
    np.testing.assert_array_equal(steps[-1].output, CORRELATION)
    assert steps[-1].caption == ("Done: 4 positions filled the 2×2 output map, values from "
                                 "0 to 6.")
    assert steps[3].metrics == {"row": 2, "column": 1, "value": 6.0, "filled": 3}


def test_run_so_far_and_taps():
    steps = steps_of(IMAGE, KERNEL, padding=1, stride=2, dilation=2)
    # padded 6×6, reach 5, stride 2: (4 − 5 + 2)/2 + 1 = 1 per side
    assert steps[-1].output.shape == (1, 1)
    step = steps[1]
    rows, cols = step.taps()
    np.testing.assert_array_equal(rows, [0, 2, 4])
    np.testing.assert_array_equal(step.patch, step.padded[np.ix_(rows, cols)])
    big = steps_of(random_image(5, 6), KERNEL, padding=1, stride=2)
    mid = big[3]
    assert mid.position == (0, 2)
    rows, cols = mid.taps()
    np.testing.assert_array_equal(cols, [4, 5, 6])
    partial = mid.so_far()
    assert np.isnan(partial).sum() == partial.size - 3
    np.testing.assert_array_equal(partial[0, :3], mid.output[0, :3])
    assert np.isnan(big[0].so_far()).all()
    assert not np.isnan(big[-1].so_far()).any()
    np.testing.assert_array_equal(big[0].taps()[0], [0, 1, 2])  # the start shows position 1


@pytest.mark.parametrize("mode", conv.PADDINGS)
@pytest.mark.parametrize("activation", conv.ACTIVATIONS)
def test_run_ends_with_the_fast_path_map(mode, activation):
    x = random_image(9, 8, seed=9)
    k = np.random.default_rng(5).normal(size=(3, 3))
    params = conv.Params(padding_mode=mode, padding=1, stride=2, activation=activation,
                         leak=0.2)
    steps = list(conv.run(x, k, params))
    fast = conv.filter_image(x, k, params, fast=True)
    np.testing.assert_allclose(steps[-1].output, fast, atol=1e-9)
    values = np.array([s.value for s in steps if s.phase == "position"])
    np.testing.assert_allclose(values, fast.ravel(), atol=1e-9)
    for s in steps[1:-1]:
        np.testing.assert_allclose(s.sums, s.products.sum(axis=(1, 2)))
        np.testing.assert_allclose(s.products[0], s.patch * k)


def test_run_captions_for_activations_magnitude_and_big_kernels():
    # corner minus opposite corner: the four sums are 9 − 0, 0 − 0, 0 − 0 and 0 − 4
    corners = np.array([[9.0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 4]])
    diagonal = np.array([[1.0, 0, 0], [0, 0, 0], [0, 0, -1]])
    relu = steps_of(corners, diagonal, padding=0, activation="relu")
    assert [s.value for s in relu[1:5]] == [9, 0, 0, 0]
    assert relu[1].caption.endswith("= 9; ReLU: max(9, 0) = 9.")
    assert relu[4].caption.endswith("= −4; ReLU: max(−4, 0) = 0.")
    assert relu[-1].caption.endswith("; ReLU set 1 negative sum to 0.")
    leaky = steps_of(corners, diagonal, padding=0, activation="leaky relu", leak=0.5)
    assert [s.value for s in leaky[1:5]] == [9, 0, 0, -2]
    assert leaky[4].caption.endswith("= −4; leaky ReLU: 0.5·(−4) = −2.")
    assert leaky[1].caption.endswith("= 9; leaky ReLU keeps 9.")
    assert leaky[-1].caption.endswith("; leaky ReLU scaled 1 negative sum by 0.5.")
    x = np.array([[0.0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 9, 9], [0, 0, 9, 9]])
    every = steps_of(x, -np.ones((3, 3)), padding=0, activation="relu")
    assert every[-1].caption.endswith("; ReLU set 4 negative sums to 0.")
    one = steps_of(x, -np.ones((3, 3)), padding=0, activation="relu", stride=2)
    assert one[-1].caption.endswith("ReLU set 1 negative sum to 0.")
    assert "1 position filled the 1×1" in one[-1].caption
    mag = steps_of(x, kernels.make(kernels.Params("gradient magnitude")), padding=0)
    # window rows 1–3, columns 1–3 of x: Sobel x gives 9·(0 − 1) … worked: gx = 27, gy = 27
    assert mag[4].caption == "Row 2, column 2: gx = 27, gy = 27, √(gx² + gy²) = 38.18."
    assert mag[4].products.shape == (2, 3, 3)
    big = steps_of(random_image(6, 6), np.ones((5, 5)), padding=0)
    assert re.search(r"the 25 products sum to [−\d.]+\.$", big[1].caption)
    padded = steps_of(IMAGE, KERNEL, padding=2, padding_mode="reflect")
    assert padded[0].caption.startswith("Padded the 4×4 image with 2 rings of mirrored "
                                        "pixels (8×8).")
    one_ring = steps_of(IMAGE, KERNEL, padding=1)
    assert "with 1 ring of zeros (6×6)" in one_ring[0].caption


def test_run_by_rows():
    x = random_image(7, 5, seed=10)
    steps = steps_of(x, KERNEL, padding=1, granularity="row")
    assert [s.phase for s in steps] == ["start"] + ["row"] * 7 + ["done"]
    assert [s.filled for s in steps[1:-1]] == [5 * (r + 1) for r in range(7)]
    assert [s.position for s in steps[1:-1]] == [(r, 4) for r in range(7)]
    row = steps[3].output[2]
    assert steps[3].caption == (f"Output row 3 of 7 done: 5 positions, values from "
                                f"{conv.num(row.min())} to {conv.num(row.max())}.")


def test_captions_never_say_nan_or_minus_zero_or_one_positions():
    x = np.zeros((3, 3))
    x[1, 1] = -1e-20  # tiny negative products must not print as "−0"
    for s in steps_of(x, np.ones((1, 1)), padding=0, activation="leaky relu", leak=0.01):
        assert "nan" not in s.caption.lower() and "−0 " not in s.caption + " "
        assert "-0" not in s.caption and "1 positions" not in s.caption
        assert all(np.isfinite(v) for v in s.metrics.values())


def test_snapshots_share_the_big_arrays_and_never_change():
    x = random_image(6, 7, seed=11)
    steps = steps_of(x, KERNEL, padding=1)
    assert all(s.output is steps[0].output and s.padded is steps[0].padded for s in steps)
    copies = [(s.patch.copy(), s.products.copy()) for s in steps[1:-1]]
    for s, (patch, products) in zip(steps[1:-1], copies, strict=True):
        np.testing.assert_array_equal(s.patch, patch)
        np.testing.assert_array_equal(s.products, products)
        with pytest.raises(ValueError):
            s.products[0, 0, 0] = 1.0
    for array in (steps[0].output, steps[0].padded, steps[0].kernels):
        with pytest.raises(ValueError):
            array[0, 0] = 1.0
    again = steps_of(x, KERNEL, padding=1)
    assert [s.caption for s in again] == [s.caption for s in steps]


def test_extreme_but_finite_values_work_or_are_refused():
    tiny = conv.correlate(np.full((4, 4), 1e-300), np.ones((3, 3)))
    np.testing.assert_allclose(tiny, 9e-300)
    offset = conv.correlate(np.full((4, 4), 1e8) + np.eye(4), np.ones((3, 3)))
    np.testing.assert_allclose(offset, 9e8 + np.array([[3, 2], [2, 3]]))
    with pytest.raises(ValueError, match="would overflow"):
        conv.correlate(np.full((4, 4), 1e200), np.full((3, 3), 1e200))
    with pytest.raises(ValueError, match="would overflow"):
        list(conv.run(np.full((4, 4), 1e299), np.full((3, 3), 10.0)))
    with pytest.raises(ValueError, match="would overflow"):
        conv.correlate_fast(np.full((4, 4), 1e299), np.full((3, 3), 10.0))


@pytest.mark.parametrize(("image", "kernel", "params", "message"), [
    (IMAGE, np.ones(3), {}, "kernel must be a non-empty 2-D"),
    (IMAGE, np.ones((2, 2, 2)), {}, "kernel must be a non-empty 2-D"),
    (IMAGE, np.ones((0, 3)), {}, "kernel must be a non-empty 2-D"),
    (np.ones(4), KERNEL, {}, "image must be a non-empty 2-D"),
    (IMAGE, KERNEL, {"stride": 0}, "stride must be between 1 and 8"),
    (IMAGE, KERNEL, {"dilation": 0}, "dilation must be between 1 and 8"),
    (np.where(IMAGE > 2, np.nan, IMAGE), KERNEL, {}, "image contains NaN"),
    (IMAGE, np.where(KERNEL > 1, np.inf, KERNEL), {}, "kernel contains NaN or infinite"),
    (IMAGE, np.ones((5, 5)), {"padding": 0}, "the kernel reaches 5 pixels but the padded "
                                             "image side is only 4"),
    (IMAGE, KERNEL, {"padding": 0, "dilation": 2}, "reaches 5 pixels"),
    (IMAGE, KERNEL, {"padding": 4, "padding_mode": "reflect"}, "reflect padding of 4"),
    (IMAGE, KERNEL, {"padding_mode": "wrap"}, "padding_mode must be one of"),
    ([["a", "b"]], KERNEL, {}, "array of numbers"),
])
def test_bad_input_gets_a_clear_message(image, kernel, params, message):
    with pytest.raises(ValueError, match=message):
        next(conv.run(image, kernel, conv.Params(**params)))


@pytest.mark.parametrize(("call", "message"), [
    (lambda: conv.correlate(IMAGE, KERNEL, stride=0), "stride must be at least 1, got 0"),
    (lambda: conv.correlate(IMAGE, KERNEL, padding=-1), "padding must be at least 0"),
    (lambda: conv.correlate(IMAGE, KERNEL, dilation=1.5), "dilation must be a whole number"),
    (lambda: conv.correlate(IMAGE, KERNEL, stride=True), "stride must be a whole number"),
    (lambda: conv.correlate(IMAGE, KERNEL, mode="wrap"), "padding mode must be one of"),
    (lambda: conv.correlate_fast(IMAGE, np.ones((5, 5))), "reaches 5 pixels"),
    (lambda: conv.correlate_fast(np.array([[np.nan]], np.float32), [[1.0]]), "NaN"),
    (lambda: conv.correlate_fast(np.zeros((2, 2, 2), np.uint8), [[1.0]]), "2-D"),
    (lambda: conv.filter_image(IMAGE, KERNEL, conv.Params(stride=0)), "stride must be"),
    (lambda: conv.correlate(IMAGE, KERNEL, 4, "reflect"), "reflect padding of 4 needs an "
                                                         "image at least 5×5; it is 4×4"),
])
def test_bad_arguments_to_the_operations(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_reflect_padding_up_to_one_less_than_the_side_works():
    x = random_image(3, 4)
    k = np.ones((1, 1))
    ours = conv.correlate(x, k, 2, "reflect")
    np.testing.assert_array_equal(ours, np.pad(x, 2, mode="reflect"))
    np.testing.assert_allclose(conv.correlate_fast(x, k, 2, "reflect"), ours)


def test_defaults_and_validation_of_the_size_helpers():
    assert output_size(7, 3) == 5                  # no padding, stride 1, dilation 1
    assert size_formula(5, 3) == "(W − K + 2P)/S + 1 = (5 − 3 + 2·0)/1 + 1 = 3"
    for bad in ({"stride": 0}, {"padding": -1}, {"dilation": 0}):
        with pytest.raises(ValueError, match="must be at least"):
            size_formula(5, 3, **bad)


def test_shape_messages_say_what_shape_is_wanted():
    with pytest.raises(ValueError, match=r"non-empty 2-D array \(height × width\), got shape"):
        conv.correlate(np.ones((2, 2, 2)), KERNEL)
    from algorithms.conv_layer import conv2d_gemm
    with pytest.raises(ValueError, match=r"the input must be a non-empty 3-D array \(channels × "
                                         r"height × width\)"):
        conv2d_gemm(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="reflect padding of 4 needs an image at least 5×5; "
                                         "it is 4×6"):
        conv.correlate(np.ones((4, 6)), KERNEL, 4, "reflect")


def test_true_convolution_with_stride_and_dilation_equals_scipy():
    x = random_image(seed=12)
    k = np.random.default_rng(6).normal(size=(3, 2))
    np.testing.assert_allclose(conv.convolve(x, k, stride=2),
                               signal.convolve2d(x, k, "valid")[::2, ::2], atol=1e-9)
    spread = np.zeros((5, 3))
    spread[::2, ::2] = k
    np.testing.assert_allclose(conv.convolve(x, k, dilation=2),
                               signal.convolve2d(x, spread, "valid"), atol=1e-9)


@pytest.mark.parametrize(("kh", "kw"), [(4, 4), (2, 2), (5, 3), (3, 5), (1, 3), (3, 1), (5, 5),
                                       (4, 5), (5, 4)])
@pytest.mark.parametrize("p", [0, 1, 2, 3])
def test_fast_path_with_even_and_oblong_kernels(kh, kw, p):
    x = random_image(9, 10, seed=kh * 10 + kw)
    k = np.random.default_rng(p).normal(size=(kh, kw))
    for s in (1, 2):
        np.testing.assert_allclose(conv.correlate_fast(x, k, p, "replicate", s),
                                   conv.correlate(x, k, p, "replicate", s), atol=1e-9)


def test_fast_path_dtypes_on_tiny_and_empty_frames():
    one = conv.correlate_fast(np.array([[7]], np.uint8), [[2.0]])
    assert one.dtype == np.float32 and one.tolist() == [[14.0]]
    with pytest.raises(ValueError, match="non-empty 2-D"):
        conv.correlate_fast(np.zeros((0, 3), np.uint8), [[1.0]])
    for dtype in (np.int16, np.uint16, np.int8, bool):
        frame = np.ones((3, 3), dtype)
        assert conv.correlate_fast(frame, [[2.0]]).dtype == np.float32, dtype


def test_activation_defaults():
    v = np.array([-1.0, 2.0])
    np.testing.assert_allclose(conv.leaky_relu(v), [-0.01, 2])
    np.testing.assert_array_equal(conv.leaky_relu(v, 0.0), [0, 2])   # leak 0 is plain ReLU
    assert conv.activate(v) is v
    np.testing.assert_allclose(conv.activate(v, "leaky relu"), [-0.01, 2])


def test_filter_image_defaults_to_the_fast_path_and_passes_every_setting():
    frame = np.random.default_rng(9).integers(0, 256, (20, 24), dtype=np.uint8)
    assert conv.filter_image(frame, KERNEL).dtype == np.float32
    assert conv.filter_image(frame, KERNEL, fast=False).dtype == np.float64
    params = conv.Params(padding=3, padding_mode="reflect", stride=2, dilation=3)
    np.testing.assert_allclose(conv.filter_image(frame, KERNEL, params),
                               conv.correlate(frame, KERNEL, 3, "reflect", 2, 3), atol=1e-3)


def test_run_details_a_panel_relies_on():
    steps = steps_of(IMAGE, KERNEL, padding=0)
    assert steps[0].metrics == {"positions": 4}
    assert steps[-1].metrics == {"min": 0.0, "max": 6.0, "filled": 4}
    done, last = steps[-1], steps[-2]
    assert done.position == last.position == (1, 1) and done.value == last.value == 0.0
    for name in ("patch", "products", "sums"):
        np.testing.assert_array_equal(getattr(done, name), getattr(last, name))
    start_rows, start_cols = steps[0].taps()
    np.testing.assert_array_equal(start_cols, [0, 1, 2])
    assert steps[0].position is None and steps[0].products is None
    oblong = steps_of(IMAGE[:3], KERNEL, padding=1)
    assert "with 1 ring of zeros (5×6)" in oblong[0].caption
    strided = steps_of(random_image(7, 7), KERNEL, padding=0, stride=2)
    assert strided[0].caption.endswith("(7 − 3 + 2·0)/2 + 1 = 3.")
    dilated = steps_of(random_image(7, 7), KERNEL, padding=0, dilation=2)
    assert "2·(3 − 1) + 1 = 5; " in dilated[0].caption
    leaky = steps_of(IMAGE, KERNEL, padding=0, activation="leaky relu")
    assert leaky[-1].caption.startswith("Done: 4 positions")


def test_run_captions_round_pixels_and_weights_to_three_digits():
    steps = steps_of([[1.23456]], [[0.123456]], padding=0)
    assert steps[1].caption == "Row 1, column 1: 1.23·0.123 = 0.1524."
    leaky = steps_of(np.zeros((3, 3)), np.ones((3, 3)), padding=0, activation="leaky relu")
    assert leaky[1].caption.endswith("= 0; leaky ReLU keeps 0.")


def test_run_gradient_magnitude_names_gx_and_gy():
    x = np.zeros((4, 4))
    x[2, 3] = x[3, 3] = 9
    # window at output (1, 1): 0 0 0 / 0 0 9 / 0 0 9
    #   Sobel x: 2·9 + 1·9 = 27;  Sobel y: bottom row 1·9 = 9;  √(27² + 9²) = √810 = 28.46
    steps = steps_of(x, kernels.make(kernels.Params("gradient magnitude")), padding=0)
    assert steps[4].caption == "Row 2, column 2: gx = 27, gy = 9, √(gx² + gy²) = 28.46."
    np.testing.assert_array_equal(steps[4].sums, [27, 9])


def test_overflow_bound_is_per_kernel():
    # each Sobel kernel's weights add up to 8: 8·1e299 fits, though both together would not
    flat = np.full((5, 5), 1e299)
    steps = steps_of(flat, kernels.make(kernels.Params("gradient magnitude")), padding=1)
    assert np.isfinite(steps[-1].output).all() and steps[-1].output.max() > 1e299
