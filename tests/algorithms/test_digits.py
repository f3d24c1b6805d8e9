"""The generated digit set and the normalisation every picture goes through."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy import ndimage

from algorithms import digits


def ring(size=60, thickness=6) -> np.ndarray:
    """A dark 0 on white paper, off centre, 8-bit: a picture as a user might load it."""
    paper = np.full((size, size + 20), 255, np.uint8)
    cv2.ellipse(paper, (25, 30), (12, 20), 0, 0, 360, 0, thickness)
    return paper


def test_make_digits_is_balanced_in_range_and_repeatable():
    images, labels = digits.make_digits(57, seed=4)
    assert images.shape == (57, 28, 28) and images.dtype == np.float32
    assert labels.dtype == np.int64
    assert images.min() >= 0.0 and images.max() <= 1.0
    counts = np.bincount(labels, minlength=10)
    assert counts.max() - counts.min() <= 1            # 57 = 7 × 6 + 3 × 5
    assert sorted(labels.tolist()) != labels.tolist()   # shuffled
    again, again_labels = digits.make_digits(57, seed=4)
    np.testing.assert_array_equal(again, images)
    np.testing.assert_array_equal(again_labels, labels)
    other, _ = digits.make_digits(57, seed=5)
    assert not np.array_equal(other, images)


def test_generated_digits_look_like_mnist_digits():
    images, _ = digits.make_digits(40, seed=1)
    for image in images:
        ink = image > 0.5
        rows, cols = np.nonzero(ink)
        # the ink fits a 22-pixel box (20 ± the random scale) and keeps a margin
        assert rows.max() - rows.min() <= 23 and cols.max() - cols.min() <= 23
        cy, cx = ndimage.center_of_mass(np.where(ink, image, 0))
        assert abs(cy - 13.5) < 4 and abs(cx - 13.5) < 4   # centred, give or take the shift
        assert 0.03 < (image > 0.5).mean() < 0.5            # strokes, not blobs or dust


def test_generated_digits_are_learnable_by_an_independent_classifier():
    """A plain logistic regression (scikit-learn) on the raw pixels tells the classes apart
    far above chance: each label is drawn as its own digit, and the test digits are new."""
    from sklearn.linear_model import LogisticRegression

    x, y = digits.make_digits(600, seed=7)
    x_new, y_new = digits.make_digits(200, seed=8)
    model = LogisticRegression(max_iter=300).fit(x.reshape(600, -1), y)
    assert model.score(x_new.reshape(200, -1), y_new) > 0.7
    assert set(y.tolist()) == set(range(10))


def test_generated_digits_are_noised_and_placed_at_random():
    images, _ = digits.make_digits(60, seed=3)
    faint = ((images > 0) & (images < 0.15)).mean()
    assert faint > 0.2, "noise on the background (σ 0.08, clipped at 0: about 40 % faint)"
    centres = np.array([ndimage.center_of_mass(np.where(i > 0.5, i, 0)) for i in images])
    assert centres.std(axis=0).min() > 0.5, "shifted by up to 2 pixels each way"
    assert len(digits.make_digits(1)[0]) == 1


def test_to_input_worked_by_hand():
    """A 10 × 5 block of ink: cropped to 10 × 5, scaled by 2 to 20 × 10, its centre of mass
    (9.5, 4.5) put at (14, 14): top = round(4.5) = 4, left = round(9.5) = 10 (round half to
    even), so rows 4–23 and columns 10–19 are ink."""
    picture = np.zeros((40, 40))
    picture[25:35, 2:7] = 1.0
    expected = np.zeros((28, 28), np.float32)
    expected[4:24, 10:20] = 1.0
    np.testing.assert_allclose(digits.to_input(picture), expected, atol=1e-6)
    line = np.zeros((1, 12))                # a picture one pixel tall: 1 × 4 of ink → 5 × 20
    line[0, 4:8] = 1.0
    assert digits.to_input(line).sum() == pytest.approx(100.0)


def test_ink_near_an_edge_is_kept_inside_the_picture():
    ink = np.zeros((20, 20))
    ink[:, 9:11] = 1.0
    for shift in ((-30, -30), (30, 30)):
        out = digits._place(ink, 20, shift)
        assert out.sum() == pytest.approx(40.0, rel=0.02), "nothing cut off"
        rows, cols = np.nonzero(out > 0.5)
        assert rows.min() == (0 if shift[0] < 0 else 8)
        assert cols.min() == (0 if shift[1] < 0 else 26)


def test_to_input_reads_colour_as_opencv_reads_its_brightness():
    paper = np.full((60, 60, 3), 255, np.uint8)
    cv2.circle(paper, (30, 30), 18, (200, 40, 90), 6)     # a pink 0 on white
    grey = cv2.cvtColor(paper, cv2.COLOR_RGB2GRAY)
    np.testing.assert_allclose(digits.to_input(paper), digits.to_input(grey), atol=0.02)
    rgba = np.dstack([paper, np.full((60, 60), 255, np.uint8)])
    np.testing.assert_allclose(digits.to_input(rgba), digits.to_input(paper), atol=1e-6)


def test_make_digits_refuses_a_count_that_is_not_a_count():
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="whole number of at least 1"):
            digits.make_digits(bad)


def test_to_input_turns_dark_ink_on_paper_into_a_centred_digit():
    out = digits.to_input(ring())
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.max() == pytest.approx(1.0, abs=0.01) and out.min() == 0.0
    rows, cols = np.nonzero(out > digits.INK)
    assert max(rows.max() - rows.min(), cols.max() - cols.min()) + 1 <= 21  # fits 20×20
    assert rows.max() - rows.min() > cols.max() - cols.min()    # the 0's aspect kept
    cy, cx = ndimage.center_of_mass(out)
    assert cy == pytest.approx(14, abs=0.75) and cx == pytest.approx(14, abs=0.75)
    # the same ring written light on dark, or in colour, or as floats, gives the same digit
    np.testing.assert_allclose(digits.to_input(255 - ring()), out, atol=1e-6)
    colour = np.dstack([ring()] * 3)
    np.testing.assert_allclose(digits.to_input(colour), out, atol=1e-3)
    np.testing.assert_allclose(digits.to_input(ring() / 255.0), out, atol=1e-6)


def test_to_input_of_a_small_drawing_scales_it_up():
    pad = np.zeros((28, 28))
    pad[3:10, 20:22] = 1.0                          # a short stroke in the corner
    out = digits.to_input(pad)
    rows, cols = np.nonzero(out > digits.INK)
    assert rows.max() - rows.min() + 1 >= 19       # 7 pixels tall became ~20
    cy, cx = ndimage.center_of_mass(out)
    assert cy == pytest.approx(14, abs=0.75) and cx == pytest.approx(14, abs=0.75)


@pytest.mark.parametrize("picture, words", [
    (np.zeros((28, 28)), "no ink"), (np.full((10, 12, 3), 200, np.uint8), "no ink"),
    (np.zeros((4, 4, 2)), "grey or colour image"), (np.zeros(5), "grey or colour image"),
    (np.array([[0.0, np.nan], [1.0, 0.0]]), "NaN")])
def test_to_input_refuses_pictures_without_a_digit(picture, words):
    with pytest.raises(ValueError, match=words):
        digits.to_input(picture)
