"""The feature-map stages: every stage against the reference operation on the previous one."""

import cv2
import numpy as np
import pytest

from algorithms import conv_layer, feature_maps, kernels, pooling


def photo(h=40, w=56, seed=0):
    """A smooth RGB test picture: a red disc and a blue bar on a grey gradient, plus noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w]
    img = np.stack([xx / w * 120 + 60] * 3, axis=-1)
    img[(yy - h / 2) ** 2 + (xx - w / 3) ** 2 < (h / 4) ** 2] = (230, 30, 30)
    img[5:9, w // 2:] = (20, 40, 220)
    return np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)


def test_stages_follow_each_other_with_their_shapes():
    image = photo()
    stages = list(feature_maps.run(image, feature_maps.Params(filters=6, size=5)))
    assert [s.name for s in stages] == ["input", "convolution", "relu", "pool"]
    assert [s.shape for s in stages] == [(3, 40, 56), (6, 40, 56), (6, 40, 56), (6, 20, 28)]
    assert [s.index for s in stages] == [0, 1, 2, 3]
    x = image.transpose(2, 0, 1) / 255.0
    np.testing.assert_allclose(stages[0].maps, x, atol=1e-6)
    bank, names = feature_maps.default_bank(6, 5)
    np.testing.assert_array_equal(stages[1].filters, bank)
    assert stages[1].labels == names and stages[0].labels == ("red", "green", "blue")
    np.testing.assert_allclose(stages[1].maps, conv_layer.conv2d_loop(x, bank, padding=2),
                               atol=1e-5)
    np.testing.assert_array_equal(stages[2].maps, np.maximum(stages[1].maps, 0))
    np.testing.assert_array_equal(stages[3].maps,
                                  stages[2].maps.reshape(6, 20, 2, 28, 2).max(axis=(2, 4)))
    assert stages[1].caption == ("Layer 1: 6 hand-made filters of 3×5×5 turn 3×40×56 into "
                                 "6×40×56 (450 weights).")
    negative = (stages[1].maps < 0).mean() * 100
    assert stages[2].caption == (f"ReLU: {feature_maps.num(negative, 3)}% of the values were "
                                 "negative and became 0.")
    assert stages[3].caption == "Max pooling 2×2, stride 2: 6×40×56 → 6×20×28."
    assert stages[3].metrics["maps"] == 6 and stages[3].metrics["width"] == 28
    assert stages[2].metrics["min"] == 0.0


def test_the_hand_made_filters_answer_what_they_are_named_for():
    image = photo()
    stages = list(feature_maps.run(image, feature_maps.Params(filters=8, activation="none",
                                                              pool_size=1, pool_stride=1)))
    maps = dict(zip(stages[1].labels, stages[1].maps, strict=True))
    # the red disc (230, 30, 30): half the filter's weight on red, half on −green, so
    # 0.5·(230 − 30)/255 inside it, and about 0 on the grey background
    assert maps["red − green"][20, 18] == pytest.approx(0.5 * 200 / 255, abs=0.03)
    assert abs(maps["red − green"][35, 50]) < 0.03
    assert maps["blue − yellow"][7, 45] > 0.3          # inside the blue bar
    # the grey gradient brightens to the right: Sobel x positive away from the shapes
    assert maps["Sobel x"][30, 50] > 0 and abs(maps["Sobel y"][30, 50]) < 0.02
    assert len(stages) == 3 and stages[2].name == "pool"   # no activation stage


def test_the_default_bank_is_scaled_and_grows_to_sixteen():
    bank, names = feature_maps.default_bank(16, 7)
    assert bank.shape == (16, 3, 7, 7) and len(set(names)) == 16
    np.testing.assert_allclose(np.abs(bank).sum(axis=(1, 2, 3)), 1.0)
    grey_part = bank[0] / np.array(feature_maps.LUMA)[:, None, None]
    np.testing.assert_allclose(grey_part[0], grey_part[2])   # Sobel x on brightness
    assert names[:2] == ("Sobel x", "Sobel y")
    np.testing.assert_allclose(grey_part[0] / np.abs(grey_part[0]).max(),
                               kernels.sobel(7) / np.abs(kernels.sobel(7)).max())
    with pytest.raises(ValueError, match="1 to 16 filters"):
        feature_maps.default_bank(17)


def test_second_layer_random_filters_seeded():
    image = photo()
    params = feature_maps.Params(filters=4, second_layer=True, second_filters=5,
                                 activation="leaky relu", leak=0.2, pool_kind="average")
    a = list(feature_maps.run(image, params, np.random.default_rng(3)))
    b = list(feature_maps.run(image, params, np.random.default_rng(3)))
    c = list(feature_maps.run(image, params, np.random.default_rng(4)))
    assert [s.name for s in a] == ["input", "convolution", "leaky relu", "pool",
                                   "convolution 2", "leaky relu 2", "pool 2"]
    assert [s.shape for s in a[4:]] == [(5, 20, 28), (5, 20, 28), (5, 10, 14)]
    np.testing.assert_array_equal(a[4].filters, b[4].filters)
    assert not np.array_equal(a[4].filters, c[4].filters)
    np.testing.assert_allclose(a[4].maps, conv_layer.conv2d_loop(a[3].maps, a[4].filters,
                                                                 padding=1), atol=1e-5)
    prev = a[1].maps
    np.testing.assert_allclose(a[2].maps, np.where(prev > 0, prev, 0.2 * prev), atol=1e-7)
    np.testing.assert_allclose(a[6].maps, pooling.pool(a[5].maps, 2, 2, "average"), atol=1e-6)
    assert a[4].caption.startswith("Layer 2: 5 random (untrained) filters of 4×3×3")
    assert "were scaled by 0.2" in a[2].caption and a[2].caption.startswith("Leaky ReLU: ")
    assert a[3].caption.startswith("Average pooling 2×2")
    assert a[4].layer == 2 and a[0].layer == 0


def test_a_given_bank_and_its_names():
    bank = np.zeros((2, 3, 1, 1))
    bank[0, 0] = 1    # copies the red channel
    bank[1, 2] = -1   # minus the blue channel
    stages = list(feature_maps.run(photo(), feature_maps.Params(activation="none",
                                                                pool_size=1), bank=bank))
    np.testing.assert_allclose(stages[1].maps[0], stages[0].maps[0])
    np.testing.assert_allclose(stages[1].maps[1], -stages[0].maps[2])
    assert stages[1].labels == ("filter 1", "filter 2")
    assert stages[1].caption.startswith("Layer 1: 2 given filters of 3×1×1")
    named = list(feature_maps.run(photo(), bank=bank, names=("red", "not blue")))
    assert named[1].labels == ("red", "not blue")


def test_input_conversion_and_working_size():
    grey = np.linspace(0, 1, 30 * 40).reshape(30, 40)
    x = feature_maps.as_rgb(grey)
    assert x.shape == (3, 30, 40) and x.dtype == np.float32
    np.testing.assert_allclose(x[1], grey, atol=1e-6)
    small = feature_maps.as_rgb(photo(60, 80), max_side=40)
    assert small.shape == (3, 30, 40)
    ref = cv2.resize(photo(60, 80), (40, 30), interpolation=cv2.INTER_AREA)
    np.testing.assert_allclose(small, ref.transpose(2, 0, 1) / 255.0, atol=1 / 255 + 1e-6)
    stages = list(feature_maps.run(photo(60, 80), feature_maps.Params(max_side=40)))
    assert stages[0].shape == (3, 30, 40)


def test_histogram_and_immutability():
    stages = list(feature_maps.run(photo()))
    counts, edges = stages[1].histogram(0, bins=10)
    assert counts.sum() == 40 * 56 and len(edges) == 11
    assert edges[0] == stages[1].maps[0].min() and edges[-1] == stages[1].maps[0].max()
    for s in stages:
        with pytest.raises(ValueError):
            s.maps[0, 0, 0] = 1.0
        assert "nan" not in s.caption


@pytest.mark.parametrize(("image", "kwargs", "message"), [
    (np.zeros((10, 10, 4)), {}, "needs an RGB image"),
    (np.zeros((2, 10, 10, 3)), {}, "height × width × 3"),
    (np.full((10, 10, 3), np.nan), {}, "NaN"),
    (np.zeros((10, 10, 3)), {"bank": np.zeros((2, 4, 3, 3))}, "each filter has 4 channel"),
    (np.zeros((10, 10, 3)), {"bank": np.zeros((2, 3, 3, 3)), "names": ("a",)},
     "1 name given for 2 filters"),
    (np.zeros((3, 3, 3)), {"params": feature_maps.Params(pool_size=4)}, "does not fit"),
    (np.zeros((10, 10, 3)), {"params": feature_maps.Params(filters=0)}, "filters must be"),
])
def test_bad_input_gets_a_clear_message(image, kwargs, message):
    with pytest.raises(ValueError, match=message):
        list(feature_maps.run(image, **kwargs))


@pytest.mark.parametrize("size", [3, 5, 7])
def test_every_filter_is_what_its_name_says(size):
    """The documented recipe, filter by filter: the labels a student reads are honest."""
    bank, names = feature_maps.default_bank(16, size)
    luma = np.array(feature_maps.LUMA)[:, None, None]
    blob = cv2.getGaussianKernel(size, size / 4, cv2.CV_64F)
    blob = blob @ blob.T

    def gabor(degrees):
        k = cv2.getGaborKernel((size, size), size / 4, np.radians(degrees),
                               max(2.0, 0.7 * size), 0.5, 0, ktype=cv2.CV_64F)
        return luma * (k - k.mean())

    dx, smooth = cv2.getDerivKernels(1, 0, size)
    lap = np.zeros((size, size))
    at = size // 2 - 1
    lap[at:at + 3, at:at + 3] = [[0, 1, 0], [1, -4, 1], [0, 1, 0]]
    expected = {"Sobel x": luma * (smooth @ dx.T), "Sobel y": luma * (dx @ smooth.T),
                "red − green": np.array([1, -1, 0])[:, None, None] * blob,
                "blue − yellow": np.array([-0.5, -0.5, 1])[:, None, None] * blob,
                "Laplacian": luma * lap, "blur": luma * blob}
    for name, w in zip(names, bank, strict=True):
        if name.startswith("Gabor"):
            want = gabor(float(name.split()[1].rstrip("°")))
        else:
            want = expected[name]
        np.testing.assert_allclose(w, want / np.abs(want).sum(), atol=1e-12, err_msg=name)
    angles = sorted(float(n.split()[1].rstrip("°")) for n in names if n.startswith("Gabor"))
    assert angles == [0, 22.5, 30, 45, 67.5, 90, 112.5, 120, 135, 157.5]


def test_defaults():
    bank, names = feature_maps.default_bank()
    assert bank.shape == (8, 3, 5, 5) and len(names) == 8
    one, names = feature_maps.default_bank(1)
    assert one.shape == (1, 3, 5, 5) and names == ("Sobel x",)
    with pytest.raises(ValueError, match="^the bank holds 1 to 16 filters, got 0$"):
        feature_maps.default_bank(0)
    image = photo()
    a = list(feature_maps.run(image, feature_maps.Params(second_layer=True)))
    b = list(feature_maps.run(image, feature_maps.Params(second_layer=True),
                              np.random.default_rng(0)))
    np.testing.assert_array_equal(a[4].filters, b[4].filters)   # rng None means seed 0
    counts, edges = a[1].histogram(2)
    assert len(counts) == 32
    small = list(feature_maps.run(image, feature_maps.Params(size=3)))
    assert small[1].filters.shape == (8, 3, 3, 3)


def test_stage_fields_a_panel_relies_on():
    stages = list(feature_maps.run(photo(), feature_maps.Params(filters=3)))
    for s in stages:
        assert s.phase == s.name and s.maps.dtype == np.float32
        assert s.metrics == {"maps": s.shape[0], "height": s.shape[1], "width": s.shape[2],
                             "min": float(s.maps.min()), "max": float(s.maps.max())}
    assert [s.layer for s in stages] == [0, 1, 1, 1]
    assert stages[0].caption == "The input: 3 colour channels of 40×56 (3×40×56)."
    assert stages[2].filters is None and stages[3].filters is None


def test_second_layer_weights_are_he_scaled_and_labelled():
    stages = list(feature_maps.run(photo(), feature_maps.Params(
        filters=8, second_layer=True, second_filters=16), np.random.default_rng(5)))
    w = stages[4].filters
    assert w.shape == (16, 8, 3, 3)
    # He initialisation: standard deviation √(2 / fan-in), fan-in = 8 maps × 3 × 3
    assert w.std() / np.sqrt(2 / 72) == pytest.approx(1, abs=0.03)
    assert stages[4].labels == tuple(f"random {i}" for i in range(1, 17))
    assert [s.layer for s in stages] == [0, 1, 1, 1, 2, 2, 2]


def test_flat_black_image_has_no_negative_responses():
    stages = list(feature_maps.run(np.zeros((12, 12, 3), np.uint8)))
    assert stages[2].caption == "ReLU: 0% of the values were negative and became 0."


def test_working_size_rounding():
    wide = feature_maps.as_rgb(np.zeros((2, 1281, 3)))
    assert wide.shape == (3, 2, 1280)                 # default working size 1280
    sliver = feature_maps.as_rgb(np.zeros((1, 100, 3)), max_side=16)
    assert sliver.shape == (3, 1, 16)                 # never shrunk to nothing
    tall = feature_maps.as_rgb(np.zeros((100, 1, 3)), max_side=16)
    assert tall.shape == (3, 16, 1)                   # the longer side may be the height
    assert feature_maps.as_rgb(np.zeros((100, 10, 3)), max_side=16).shape == (3, 16, 2)
    pic = photo(60, 80)
    shrunk = feature_maps.as_rgb(pic, max_side=25)    # a factor of 0.3125: 25 × 19
    ref = cv2.resize(pic.astype(float), (25, 19), interpolation=cv2.INTER_AREA)
    np.testing.assert_allclose(shrunk, ref.transpose(2, 0, 1) / 255, atol=1e-6)


def test_a_given_bank_must_be_square_and_odd():
    for shape in ((2, 3, 3, 5), (2, 3, 2, 2)):
        with pytest.raises(ValueError, match="must be square with an odd size"):
            list(feature_maps.run(photo(), bank=np.ones(shape)))
    with pytest.raises(ValueError, match="^the filter bank must be a non-empty 4-D"):
        list(feature_maps.run(photo(), bank=np.ones((3, 3, 3))))
    with pytest.raises(ValueError, match="^the image contains NaN"):
        list(feature_maps.run(np.full((4, 4, 3), np.nan)))
