"""Kernel presets against OpenCV's own kernels and filters."""

import math

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms import convolution as conv
from algorithms import kernels


def image(seed=0, h=16, w=20):
    return np.random.default_rng(seed).uniform(0, 255, size=(h, w))


@settings(max_examples=40, deadline=None)
@given(size=st.sampled_from([1, 3, 5, 7, 9, 15]), sigma=st.floats(0.2, 8.0))
def test_gaussian_sums_to_one_and_equals_cv2(size, sigma):
    g = kernels.gaussian(size, sigma)
    assert g.sum() == pytest.approx(1.0, abs=1e-12)
    ref = cv2.getGaussianKernel(size, sigma, cv2.CV_64F)
    np.testing.assert_allclose(g, ref @ ref.T, atol=1e-12)
    np.testing.assert_allclose(g, g.T)


@pytest.mark.parametrize(("size", "sigma", "theta", "wavelength", "gamma", "psi"), [
    (9, 2.0, 0.0, 4.0, 0.5, 0.0),
    (7, 1.5, math.pi / 4, 3.0, 0.8, 0.0),
    (11, 3.0, 2.5, 6.0, 1.3, -1.0),     # ψ ≠ 0: OpenCV's reversed axes matter here
    (5, 1.0, 1.0, 2.5, 0.3, math.pi / 2),
])
def test_gabor_equals_cv2_get_gabor_kernel(size, sigma, theta, wavelength, gamma, psi):
    # OpenCV's argument order: ksize, sigma, theta, lambd (wavelength), gamma, psi
    ref = cv2.getGaborKernel((size, size), sigma, theta, wavelength, gamma, psi,
                             ktype=cv2.CV_64F)
    np.testing.assert_allclose(kernels.gabor(size, sigma, theta, wavelength, gamma, psi), ref,
                               atol=1e-12)


def test_gabor_at_zero_degrees_answers_vertical_stripes():
    stripes = np.tile([0.0, 0.0, 1.0, 1.0], (16, 4))           # vertical stripes, period 4
    k = kernels.gabor(9, 2.0, 0.0, 4.0, 0.5)
    across = conv.correlate(stripes, k - k.mean())
    along = conv.correlate(stripes.T, k - k.mean())             # the same stripes turned 90°
    assert np.abs(across).max() > 10 * np.abs(along).max()


@pytest.mark.parametrize("size", [3, 5, 7])
def test_sobel_equals_cv2_deriv_kernels_and_cv2_sobel(size):
    dx, smooth = cv2.getDerivKernels(1, 0, size)                # derivative, smoothing
    np.testing.assert_array_equal(kernels.sobel(size, "x"), smooth @ dx.T)
    np.testing.assert_array_equal(kernels.sobel(size, "y"), dx @ smooth.T)
    x = image(size)
    p = size // 2
    for axis, (ox, oy) in (("x", (1, 0)), ("y", (0, 1))):
        ref = cv2.Sobel(x, cv2.CV_64F, ox, oy, ksize=size, borderType=cv2.BORDER_REFLECT_101)
        np.testing.assert_allclose(conv.correlate(x, kernels.sobel(size, axis), p, "reflect"),
                                   ref, atol=1e-8)


def test_fixed_kernels_equal_their_opencv_filters():
    x = image(1)
    lap = kernels.make(kernels.Params("laplacian", 3)).kernel
    np.testing.assert_allclose(conv.correlate(x, lap, 1, "reflect"),
                               cv2.Laplacian(x, cv2.CV_64F, ksize=1), atol=1e-9)
    box = kernels.make(kernels.Params("box blur", 5)).kernel
    np.testing.assert_allclose(conv.correlate(x, box, 2, "reflect"), cv2.blur(x, (5, 5)),
                               atol=1e-9)
    ident = kernels.make(kernels.Params("identity", 7)).kernel
    np.testing.assert_allclose(conv.correlate(x, ident, 3), x)
    sharpen = kernels.make(kernels.Params("sharpen", 3)).kernel
    np.testing.assert_array_equal(sharpen, kernels.identity(3) - lap)   # pixel minus Laplacian
    assert kernels.make(kernels.Params("emboss", 3)).kernel.sum() == 1


def test_fixed_kernels_sit_in_the_centre_of_a_bigger_grid():
    big = kernels.make(kernels.Params("laplacian", 7)).kernel
    assert big.shape == (7, 7)
    np.testing.assert_array_equal(big[2:5, 2:5], kernels.LAPLACIAN)
    assert np.count_nonzero(big) == 5
    x = image(2)
    np.testing.assert_allclose(conv.correlate(x, big, 3),
                               conv.correlate(x, np.array(kernels.LAPLACIAN, float), 1),
                               atol=1e-9)


@pytest.mark.parametrize("name", kernels.PRESETS)
def test_every_preset_is_made_at_every_odd_size(name):
    for size in (3, 5, 7):
        preset = kernels.make(kernels.Params(name, size))
        assert preset.kernels.shape[1:] == (size, size)
        assert not preset.kernels.flags.writeable
        assert preset.description
        assert preset.name == name
    blur_like = ("identity", "box blur", "gaussian blur", "sharpen", "emboss")
    if name in blur_like:
        assert preset.kernel.sum() == pytest.approx(1.0)   # flat regions keep their value
    if name in ("sobel x", "sobel y", "laplacian", "gradient magnitude"):
        assert np.allclose(preset.kernels.sum(axis=(1, 2)), 0)   # flat regions give 0


def test_preset_parameters_reach_the_kernel():
    p = kernels.Params("gabor", 9, sigma=2.0, theta=30.0, wavelength=5.0, gamma=0.7, psi=90.0)
    np.testing.assert_allclose(kernels.make(p).kernel,
                               cv2.getGaborKernel((9, 9), 2.0, math.radians(30), 5.0, 0.7,
                                                  math.radians(90), ktype=cv2.CV_64F),
                               atol=1e-12)
    g = kernels.make(kernels.Params("gaussian blur", 5, sigma=0.7)).kernel
    np.testing.assert_allclose(g, kernels.gaussian(5, 0.7))
    assert "30°" in kernels.make(p).description
    mag = kernels.make(kernels.Params("gradient magnitude", 5))
    assert mag.combine == "magnitude" and mag.kernels.shape == (2, 5, 5)
    np.testing.assert_array_equal(mag.kernels[1], kernels.sobel(5, "y"))
    np.testing.assert_allclose(mag.combined(np.array([[3.0], [4.0]])), [5.0])
    single = kernels.make(kernels.Params("emboss"))
    np.testing.assert_array_equal(single.combined(np.array([[3.0], [4.0]])), [3.0])


def test_normalise():
    k, note = kernels.normalise(np.ones((3, 3)))
    np.testing.assert_allclose(k, np.full((3, 3), 1 / 9))
    assert note == "divided every weight by their sum, 9"
    k, _ = kernels.normalise([[1.0, -3.0]])   # sum −2: dividing flips the signs, sums to 1
    np.testing.assert_allclose(k, [[-0.5, 1.5]])
    k, note = kernels.normalise(kernels.sobel(3))
    assert k.sum() == pytest.approx(0) and k[k > 0].sum() == pytest.approx(1)
    assert k[k < 0].sum() == pytest.approx(-1)
    assert note.startswith("the weights sum to 0 (an edge detector)")
    assert "divided by 4" in note
    for bad, message in ((np.zeros((3, 3)), "all-zero"), (np.ones(3), "2-D"),
                         ([[np.nan]], "NaN")):
        with pytest.raises(ValueError, match=message):
            kernels.normalise(bad)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: kernels.make(kernels.Params("box blur", 4)), "odd size"),
    (lambda: kernels.make(kernels.Params("sobel x", 1)), "at least 3"),
    (lambda: kernels.make(kernels.Params("sharpen", 1)), "at least 3"),
    (lambda: kernels.make(kernels.Params("blur")), "preset must be one of"),
    (lambda: kernels.make(kernels.Params("gabor", 99)), "size must be between 1 and 15"),
    (lambda: kernels.gaussian(5, 0.0), "σ must be positive"),
    (lambda: kernels.gabor(5, wavelength=0.0), "wavelength λ must be positive"),
    (lambda: kernels.gabor(5, gamma=-1.0), "aspect γ must be positive"),
    (lambda: kernels.identity(2.5), "odd size"),
    (lambda: kernels.Preset("x", np.ones((1, 3, 3)), "sum"), "combine must be one of"),
    (lambda: kernels.Preset("x", np.ones((1, 3, 3)), "magnitude"), "needs 2 kernel"),
    (lambda: kernels.Preset("x", np.ones((3, 3))), "needs 1 kernel"),
])
def test_bad_presets_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_defaults_are_the_textbook_kernels():
    np.testing.assert_array_equal(kernels.identity(), [[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    np.testing.assert_allclose(kernels.box(), np.full((3, 3), 1 / 9))
    np.testing.assert_allclose(kernels.gaussian(), kernels.gaussian(5, 1.0))
    assert kernels.gaussian().shape == (5, 5)
    np.testing.assert_array_equal(kernels.sobel(), [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_allclose(kernels.gabor(), cv2.getGaborKernel((9, 9), 2.0, 0.0, 4.0, 0.5,
                                                                   0.0, ktype=cv2.CV_64F),
                               atol=1e-12)


@pytest.mark.parametrize("size", [3, 5])
def test_sobel_presets_are_named_for_their_axis(size):
    dx, smooth = cv2.getDerivKernels(1, 0, size)
    np.testing.assert_array_equal(kernels.make(kernels.Params("sobel x", size)).kernel,
                                  smooth @ dx.T)
    np.testing.assert_array_equal(kernels.make(kernels.Params("sobel y", size)).kernel,
                                  dx @ smooth.T)
    mag = kernels.make(kernels.Params("gradient magnitude", size)).kernels
    np.testing.assert_array_equal(mag, [smooth @ dx.T, dx @ smooth.T])


def test_normalise_treats_a_rounding_error_sum_as_zero():
    # weights near a million whose sum is only rounding noise: still an edge detector
    k = kernels.sobel(3) * 1e6
    k[0, 0] += 1e-5
    out, note = kernels.normalise(k)
    assert note.startswith("the weights sum to 0")
    assert out[out > 0].sum() == pytest.approx(1)
    small, note = kernels.normalise([[1e-3, 2e-3]])    # a small but real sum is divided by
    np.testing.assert_allclose(small, [[1 / 3, 2 / 3]])
    assert note == "divided every weight by their sum, 0.003"


@pytest.mark.parametrize(("make", "message"), [
    (lambda: kernels.identity(4), "the identity kernel needs an odd size of at least 1 "
                                  r"\(so it has a centre pixel\), got 4"),
    (lambda: kernels.box(2), "the box blur kernel needs an odd size"),
    (lambda: kernels.gaussian(4), "the Gaussian kernel needs an odd size"),
    (lambda: kernels.sobel(1), "the Sobel kernel needs an odd size of at least 3"),
    (lambda: kernels.sobel(3, "z"), "a Sobel kernel differentiates along x or y, got 'z'"),
    (lambda: kernels.gabor(6), "the Gabor kernel needs an odd size"),
    (lambda: kernels.gabor(5, sigma=0), "the Gabor kernel's σ must be positive, got 0"),
    (lambda: kernels.make(kernels.Params("sharpen", 1)), "the sharpen kernel needs an odd size "
                                                         "of at least 3"),
    (lambda: kernels.make(kernels.Params("laplacian", 1)), "the Laplacian kernel needs"),
    (lambda: kernels.make(kernels.Params("emboss", 2)), "the emboss kernel needs an odd size "
                                                        "of at least 3"),
    (lambda: kernels.Preset("x", np.ones((1, 3, 3)), "sum"),
     "combine must be one of single, magnitude, got 'sum'"),
    (lambda: kernels.Preset("x", np.ones((1, 3, 3)), "magnitude"),
     r"a 'magnitude' preset needs 2 kernel\(s\) stacked as \(n, height, width\)"),
    (lambda: kernels.normalise(np.ones(3)), "a kernel must be a non-empty 2-D grid of numbers"),
    (lambda: kernels.normalise([[np.inf]]), "the kernel contains NaN or infinite values"),
    (lambda: kernels.normalise([[0.0]]), "an all-zero kernel cannot be normalised"),
])
def test_messages_name_the_kernel(make, message):
    with pytest.raises(ValueError, match=f"^{message}"):
        make()
