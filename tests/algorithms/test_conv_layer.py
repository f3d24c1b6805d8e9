"""A multi-channel filter bank three ways (loop, im2col GEMM, filter2D), against scipy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from algorithms import conv_layer as layer
from algorithms import convolution as conv

GEOMETRIES = [dict(), dict(padding=1), dict(padding=2, mode="reflect", stride=2, dilation=2),
              dict(padding=1, mode="replicate", stride=3)]


def scipy_layer(x, w, b):
    """Valid cross-correlation of every channel, summed per filter, plus the bias."""
    return np.stack([sum(signal.correlate2d(x[c], w[n, c], "valid") for c in range(len(x)))
                     + b[n] for n in range(len(w))])


def test_loop_and_gemm_equal_scipy_summed_over_channels():
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(3, 10, 12)), rng.normal(size=(4, 3, 3, 5)), rng.normal(size=4)
    ref = scipy_layer(x, w, b)
    np.testing.assert_allclose(layer.conv2d_loop(x, w, b), ref, atol=1e-9)
    np.testing.assert_allclose(layer.conv2d_gemm(x, w, b), ref, atol=1e-9)
    np.testing.assert_allclose(layer.conv2d_fast(x, w, b), ref, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(c=st.integers(1, 3), n=st.integers(1, 4), h=st.integers(4, 11), w=st.integers(4, 11),
       k=st.integers(1, 4), geometry=st.sampled_from(GEOMETRIES), seed=st.integers(0, 99))
def test_im2col_gemm_equals_the_direct_loop(c, n, h, w, k, geometry, seed):
    rng = np.random.default_rng(seed)
    x, bank, bias = rng.normal(size=(c, h, w)), rng.normal(size=(n, c, k, k)), rng.normal(size=n)
    try:
        loop = layer.conv2d_loop(x, bank, bias, **geometry)
    except ValueError:       # the kernel does not fit this small map at this geometry
        return
    np.testing.assert_allclose(layer.conv2d_gemm(x, bank, bias, **geometry), loop, atol=1e-9)
    np.testing.assert_allclose(layer.conv2d_fast(x, bank, bias, **geometry), loop, atol=1e-9)
    rows, cols = layer.im2col_shape(c, h, w, k, k, geometry.get("padding", 0),
                                    geometry.get("stride", 1), geometry.get("dilation", 1))
    assert (rows, cols) == (c * k * k, loop.shape[1] * loop.shape[2])


def test_one_channel_one_filter_is_the_2d_correlation():
    x = np.random.default_rng(1).normal(size=(9, 8))
    k = np.random.default_rng(2).normal(size=(3, 3))
    ours = layer.conv2d_gemm(x, k, padding=1, mode="reflect", stride=2)
    np.testing.assert_allclose(ours[0], conv.correlate(x, k, 1, "reflect", 2), atol=1e-12)


def test_im2col_columns_are_the_windows_in_reading_order():
    x = np.arange(2 * 4 * 5, dtype=float).reshape(2, 4, 5)
    cols = layer.im2col(x, 2, 3)                 # 3×3 positions, 2·2·3 = 12 rows
    assert cols.shape == (12, 9)
    # column 4 is output row 1, column 1: the window x[:, 1:3, 1:4], channel by channel
    np.testing.assert_array_equal(cols[:, 4], x[:, 1:3, 1:4].ravel())
    np.testing.assert_array_equal(cols[:, 0], x[:, 0:2, 0:3].ravel())
    padded = layer.im2col(x[0], 3, 3, padding=1)    # zero padding: the first window's corner
    assert padded[0, 0] == 0 and padded[4, 0] == x[0, 0, 0]


def test_gemm_keeps_the_three_matrices():
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=(3, 6, 7)), rng.normal(size=(5, 3, 3, 3)), rng.normal(size=5)
    g = layer.gemm(x, w, b, padding=1)
    assert g.weights.shape == (5, 27) and g.columns.shape == (27, 42)
    assert g.product.shape == (5, 42) and g.out_shape == (5, 6, 7)
    np.testing.assert_allclose(g.product, g.weights @ g.columns + b[:, None])
    np.testing.assert_array_equal(g.weights[2], w[2].ravel())
    np.testing.assert_allclose(g.maps, layer.conv2d_loop(x, w, b, padding=1), atol=1e-9)


def test_fast_bank_on_integer_frames():
    rng = np.random.default_rng(4)
    frame = rng.integers(0, 256, (3, 30, 40), dtype=np.uint8)
    w = rng.normal(size=(2, 3, 5, 5))
    fast = layer.conv2d_fast(frame, w, padding=2)
    assert fast.dtype == np.float32
    np.testing.assert_allclose(fast, layer.conv2d_gemm(frame, w, padding=2), rtol=1e-5,
                               atol=1e-2)
    as32 = layer.conv2d_fast(frame.astype(np.float32), w, padding=2)
    np.testing.assert_allclose(as32, fast, atol=1e-3)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: layer.conv2d_loop(np.ones((3, 5, 5)), np.ones((2, 2, 3, 3))),
     "each filter has 2 channel"),
    (lambda: layer.conv2d_gemm(np.ones((2, 5, 5)), np.ones((2, 2, 3, 3)), np.ones(3)),
     "one value per filter"),
    (lambda: layer.conv2d_fast(np.ones((1, 5, 5)), np.ones((1, 3, 3))), "4-D"),
    (lambda: layer.conv2d_gemm(np.ones((1, 2, 2)), np.ones((1, 1, 3, 3))), "reaches 3 pixels"),
    (lambda: layer.conv2d_gemm(np.full((1, 5, 5), np.nan), np.ones((1, 1, 3, 3))), "NaN"),
    (lambda: layer.conv2d_loop(np.full((1, 4, 4), 1e299), np.full((1, 1, 3, 3), 10.0)),
     "would overflow"),
    (lambda: layer.conv2d_loop(np.ones((1, 4, 4)), np.ones((1, 1, 3, 3)), [1e301]),
     "would overflow"),
    (lambda: layer.im2col(np.ones((4, 4)), 3, 3, mode="circular"), "padding mode must be"),
    (lambda: layer.conv2d_gemm(np.ones((1, 4, 6)), np.ones((1, 1, 3, 3)), padding=4,
                               mode="reflect"), "needs an image at least 5×5; it is 4×6"),
    (lambda: layer.im2col_shape(1, 4, 4, 3, 3, stride=0), "stride must be at least 1"),
])
def test_bad_input_gets_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_defaults_and_a_two_dimensional_input():
    x = np.random.default_rng(5).normal(size=(6, 7))
    k = np.random.default_rng(6).normal(size=(3, 3))
    valid = conv.correlate(x, k)
    np.testing.assert_allclose(layer.gemm(x, k).maps[0], valid, atol=1e-12)   # no padding
    np.testing.assert_allclose(layer.conv2d_fast(x, k)[0], valid, atol=1e-12)
    np.testing.assert_allclose(layer.conv2d_loop(x, k)[0], valid, atol=1e-12)
    assert layer.im2col_shape(3, 5, 5, 3, 3) == (27, 9)
    # 9 rows: (9 + 2 − 5)//2 + 1 = 4; 7 columns: (7 + 2 − 5)//2 + 1 = 3
    assert layer.im2col_shape(2, 9, 7, 3, 3, 1, 2, 2) == (18, 12)
    assert layer.im2col(np.ones((2, 9, 7)), 3, 3, 1, "zero", 2, 2).shape == (18, 12)


def test_overflow_bound_is_per_filter():
    # four filters whose weights add up to 0.5 each: 0.5·6e299 fits, 4·0.5·6e299 would not
    x = np.full((1, 4, 4), 6e299)
    out = layer.conv2d_loop(x, np.full((4, 1, 1, 2), 0.25))
    assert np.isfinite(out).all()


@pytest.mark.parametrize(("call", "message"), [
    (lambda: layer.conv2d_loop(np.ones((3, 5, 5)), np.ones((2, 2, 3, 3))),
     r"^each filter has 2 channel\(s\) but the input has 3; they must match$"),
    (lambda: layer.conv2d_gemm(np.ones((2, 5, 5)), np.ones((2, 2, 3, 3)), np.ones(3)),
     r"^the bias needs one value per filter \(2\), got 3$"),
    (lambda: layer.conv2d_gemm(np.ones((2, 5, 5)), np.ones((2, 2, 3, 3)), np.ones((1, 2))),
     "^the bias must be a non-empty 1-D array"),
    (lambda: layer.conv2d_fast(np.ones((1, 5, 5)), np.ones((1, 3, 3))),
     "^the filter bank must be a non-empty 4-D array"),
    (lambda: layer.im2col(np.ones((1, 1, 5, 5)), 3, 3), "^the input must be a non-empty 3-D"),
    (lambda: layer.conv2d_gemm(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3))),
     "^the input must be a non-empty 3-D"),
    (lambda: layer.conv2d_loop(np.full((1, 4, 4), 1e299), np.full((1, 1, 3, 3), 10.0)),
     r"^values this large \(input up to 1e\+299\) would overflow in this layer; rescale the "
     "input or the filters$"),
])
def test_messages(call, message):
    with pytest.raises(ValueError, match=message):
        call()
