"""NMS against OpenCV (cv2.dnn.NMSBoxes, cv2.dnn.softNMSBoxes), IoU against hand-worked
values and pixel counting, the literal loop against the vectorized version."""

import math
import re

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from algorithms import nms
from algorithms.base import num
from algorithms.nms import BELOW, KEPT, PENDING, SUPPRESSED

THRESHOLDS = (0.0, 0.005, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)


def opencv_nms(boxes, scores, iou_threshold, score_threshold=0.0):
    kept = cv2.dnn.NMSBoxes(np.asarray(boxes, float).tolist(), np.asarray(scores).tolist(),
                            score_threshold, iou_threshold)
    return np.asarray(kept, dtype=int).reshape(-1)


def uniform_boxes(n, rng, frame=200):
    xy = rng.uniform(0, frame, (n, 2))
    wh = rng.uniform(5, 60, (n, 2))
    return np.column_stack([xy, wh]), rng.random(n)


def box_sets():
    """(name, boxes, scores). Scores are rounded to 4 decimals: distinct float64 scores
    closer than float32 can tell apart would be ties for OpenCV (see the float32 test);
    rounding to 1 decimal makes many exact ties, broken by index."""
    rng = np.random.default_rng(20)
    for n in (1, 2, 30, 300):
        b, s = uniform_boxes(n, rng)
        yield f"uniform {n}", b, np.round(s, 4)
        b, s = nms.sample_boxes(n, rng)
        yield f"clustered {n}", b, np.round(s, 4)
    b, s = nms.sample_boxes(120, rng, objects=4)
    yield "clustered, tied scores", b, np.round(s, 1)
    base, s = nms.sample_boxes(40, rng, objects=3)
    dup = np.vstack([base, base, base[:10]])             # every box two or three times
    yield "identical boxes", dup, np.round(np.tile(s, 3)[:len(dup)], 4)
    yield "identical boxes, one score", dup, np.full(len(dup), 0.5)
    b, s = nms.sample_boxes(1500, rng)                  # big enough for the float32 pass
    yield "clustered 1500", b, np.round(s, 4)
    b, s = nms.sample_boxes(1500, rng)
    far = np.array([[1e5, 1e5, 30, 30]] * 3)              # span 1e5, sides < span / 1024:
    b, s = np.vstack([b, far]), np.concatenate([s, [0.2, 0.3, 0.1]])   # float64 only
    yield "small boxes, one far away", b, np.round(s, 4)
    b, s = nms.sample_boxes(1500, rng)
    yield "offset by 1e8", b + [1e8, 1e8, 0, 0], np.round(s, 4)
    b, s = nms.sample_boxes(200, rng)
    yield "integer boxes", np.round(b), np.round(s, 4)


SETS = list(box_sets())


@pytest.mark.parametrize(("name", "boxes", "scores"), SETS, ids=[s[0] for s in SETS])
def test_greedy_nms_keeps_what_opencv_keeps(name, boxes, scores):
    for threshold in THRESHOLDS:
        for floor in (0.0, 0.3):
            ref = opencv_nms(boxes, scores, threshold, floor)
            ours = nms.nms(boxes, scores, threshold, floor)
            np.testing.assert_array_equal(ours, ref, err_msg=f"IoU {threshold}, score {floor}")
            if len(boxes) <= 400:
                np.testing.assert_array_equal(nms.nms_literal(boxes, scores, threshold, floor),
                                              ref)


def test_equal_scores_go_in_index_order_and_identical_boxes_keep_the_first():
    boxes = [[0, 0, 10, 10]] * 4 + [[100, 100, 10, 10]] * 2
    scores = [0.5, 0.7, 0.7, 0.7, 0.2, 0.2]
    # best score first; among the three 0.7s the lowest index (1); its copies go
    np.testing.assert_array_equal(nms.nms(boxes, scores), [1, 4])
    np.testing.assert_array_equal(nms.nms(boxes, scores), opencv_nms(boxes, scores, 0.5))


def test_iou_equal_to_the_threshold_survives_as_in_opencv():
    # (0,0,2,1) and (0,0,1,1): intersection 1, union 2, IoU exactly 0.5
    boxes, scores = [[0, 0, 2, 1], [0, 0, 1, 1]], [0.9, 0.8]
    assert nms.iou(boxes[0], boxes[1:])[0] == 0.5
    np.testing.assert_array_equal(nms.nms(boxes, scores, 0.5), [0, 1])
    np.testing.assert_array_equal(opencv_nms(boxes, scores, 0.5), [0, 1])
    np.testing.assert_array_equal(nms.nms(boxes, scores, 0.49), [0])
    np.testing.assert_array_equal(nms.nms_literal(boxes, scores, 0.5), [0, 1])


def test_score_threshold_is_strict_as_in_opencv():
    boxes, scores = [[0, 0, 1, 1], [5, 5, 1, 1]], [0.5, 0.6]
    np.testing.assert_array_equal(nms.nms(boxes, scores, 0.5, 0.5), [1])
    np.testing.assert_array_equal(opencv_nms(boxes, scores, 0.5, 0.5), [1])


def test_scores_are_compared_in_float64_where_opencv_rounds_them_to_float32():
    # documented difference: these two scores are equal in float32, so OpenCV takes them
    # in index order; we take the truly higher one first
    low, high = 0.26434012, 0.264340125
    assert np.float32(low) == np.float32(high) and low < high
    boxes, scores = [[0, 0, 10, 10], [50, 50, 10, 10]], [low, high]
    np.testing.assert_array_equal(nms.nms(boxes, scores), [1, 0])
    np.testing.assert_array_equal(opencv_nms(boxes, scores, 0.5), [0, 1])


# --- empty boxes ----------------------------------------------------------------------------
def test_an_empty_box_overlaps_nothing_not_even_itself():
    empty = [5, 5, 0, 3]
    others = [[5, 5, 0, 3], [0, 0, 10, 10], [5, 5, 0, 0], [100, 100, 0, 0]]
    np.testing.assert_array_equal(nms.iou(empty, others), 0.0)
    assert not nms.iou_matrix([[1, 1, 0, 0]]).any()


def test_empty_boxes_never_suppress_and_opencv_differs_only_between_two_empties():
    boxes = [[0, 0, 0, 0], [100, 100, 0, 5], [0, 0, 10, 10], [2, 2, 0, 0]]
    scores = [0.9, 0.8, 0.7, 0.6]
    np.testing.assert_array_equal(nms.nms(boxes, scores, 0.5), [0, 1, 2, 3])
    np.testing.assert_array_equal(nms.nms_literal(boxes, scores, 0.5), [0, 1, 2, 3])
    # OpenCV counts the empty boxes 0, 1 and 3 as identical: 0 suppresses 1 and 3
    np.testing.assert_array_equal(opencv_nms(boxes, scores, 0.5), [0, 2])


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 8), st.floats(0.0, 1.0))
def test_adding_empty_boxes_never_changes_which_real_boxes_are_kept(seed, extra, threshold):
    rng = np.random.default_rng(seed)
    boxes, scores = nms.sample_boxes(40, rng, objects=3)
    empties = np.column_stack([rng.uniform(0, 600, (extra, 2)),
                               rng.choice([0.0, 7.0], (extra, 2)) * [1, 0]])
    more = np.vstack([boxes, empties])
    more_scores = np.concatenate([scores, rng.uniform(0, 1.2, extra)])   # some score highest
    kept = nms.nms(more, more_scores, threshold)
    assert set(kept[kept < 40]) == set(nms.nms(boxes, scores, threshold))
    assert set(kept[kept >= 40]) == set(range(40, 40 + extra))   # and they are all kept


# --- IoU ------------------------------------------------------------------------------------
def test_iou_hand_worked():
    # A = [0,4]×[0,4], B = [2,6]×[2,6]: overlap [2,4]×[2,4] = 4, union 16 + 16 − 4 = 28
    assert nms.iou([0, 0, 4, 4], [[2, 2, 4, 4]])[0] == pytest.approx(4 / 28)
    # A = [0,10]×[0,10], B = [1,11]×[0,10]: overlap 9×10 = 90, union 110
    assert nms.iou([0, 0, 10, 10], [[1, 0, 10, 10]])[0] == pytest.approx(90 / 110)
    # B inside A: overlap = area(B) = 4, union = area(A) = 100
    assert nms.iou([0, 0, 10, 10], [[3, 3, 2, 2]])[0] == pytest.approx(0.04)
    # touching edges share no area
    assert nms.iou([0, 0, 10, 10], [[10, 0, 5, 5], [0, 10, 5, 5]]).tolist() == [0.0, 0.0]


def pixel_iou(a, b, size=40):
    """IoU by counting the unit cells each integer box covers."""
    masks = []
    for x, y, w, h in (a, b):
        m = np.zeros((size, size), bool)
        m[y:y + h, x:x + w] = True
        masks.append(m)
    union = (masks[0] | masks[1]).sum()
    return (masks[0] & masks[1]).sum() / union if union else 0.0


integer_box = st.tuples(st.integers(0, 19), st.integers(0, 19),
                        st.integers(1, 20), st.integers(1, 20))


@settings(max_examples=200, deadline=None)
@given(integer_box, integer_box)
def test_iou_equals_pixel_counting_and_is_symmetric(a, b):
    ours = nms.iou(a, [b])[0]
    assert ours == pytest.approx(pixel_iou(a, b), abs=1e-12)
    assert ours == nms.iou(b, [a])[0]
    assert nms.iou(a, [a])[0] == 1.0


side = st.one_of(st.just(0.0), st.floats(1e-100, 1e6))
finite_box = st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6), side, side)


@settings(max_examples=100, deadline=None)
@given(st.lists(finite_box, min_size=1, max_size=12))
def test_iou_matrix_is_symmetric_in_range_and_one_on_the_diagonal(boxes):
    m = nms.iou_matrix(boxes)
    np.testing.assert_array_equal(m, m.T)
    assert ((m >= 0) & (m <= 1)).all()
    # a box is empty when its width or height is lost against its corner in rounding
    # (x + w == x), as with w = 1e-20 at x = 1
    solid = np.array([(x + w) - x > 0 and (y + h) - y > 0 for x, y, w, h in boxes])
    np.testing.assert_array_equal(np.diag(m), np.where(solid, 1.0, 0.0))
    np.testing.assert_array_equal(m[0], nms.iou(boxes[0], boxes))
    np.testing.assert_array_equal(nms.iou_matrix(boxes[:1], boxes), m[:1])


@pytest.mark.parametrize("box", [(0.0, 0.0, 1.0, 5e-324), (0.0, 0.0, 5e-324, 5e-324),
                                 (1e300, -1e300, 1e300, 1e299)])
def test_a_box_with_extreme_sides_overlaps_itself_fully(box):
    assert nms.iou(box, [box])[0] == 1.0
    assert nms.iou_matrix([box, (0.0, 0.0, 0.0, 5e-324)]).tolist() == [[1.0, 0.0], [0.0, 0.0]]


def test_disjoint_boxes_have_iou_zero():
    assert nms.iou([0, 0, 1, 1], [[2, 2, 1, 1], [0, 5, 1, 1], [-3, 0, 2, 1]]).tolist() == [0, 0, 0]


@pytest.mark.parametrize("factor", [2.0**600, 1e200, 1e-300, 2.0**-900])
def test_extreme_coordinates_neither_overflow_nor_underflow(factor):
    boxes, scores = nms.sample_boxes(200, np.random.default_rng(3))
    m = nms.iou_matrix(boxes * factor)
    assert np.isfinite(m).all()
    np.testing.assert_allclose(m, nms.iou_matrix(boxes), atol=1e-12)
    np.testing.assert_array_equal(nms.nms(boxes * factor, scores), nms.nms(boxes, scores))
    np.testing.assert_array_equal(nms.nms_literal(boxes * factor, scores),
                                  nms.nms(boxes, scores))


def test_a_1e8_offset_changes_iou_only_by_rounding():
    boxes, _ = nms.sample_boxes(50, np.random.default_rng(4))
    moved = boxes + [1e8, -1e8, 0, 0]
    np.testing.assert_allclose(nms.iou_matrix(moved), nms.iou_matrix(boxes), atol=1e-6)


# --- literal and vectorized agree -----------------------------------------------------------
box_rows = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30),
                              st.integers(0, 12), st.integers(0, 12)), max_size=70)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(box_rows, st.integers(0, 2**32 - 1), st.sampled_from(THRESHOLDS + (0.25, 0.6)),
       st.sampled_from([0.0, 0.3]), st.booleans())
def test_literal_and_vectorized_agree(rows, seed, threshold, floor, ties):
    boxes = np.array(rows, float).reshape(-1, 4)
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 4, len(boxes)) / 4 if ties else rng.random(len(boxes))
    fast = nms.nms(boxes, scores, threshold, floor)
    np.testing.assert_array_equal(fast, nms.nms_literal(boxes, scores, threshold, floor))
    last = list(nms.run(boxes, scores, nms.Params(iou_threshold=threshold,
                                                  score_threshold=floor)))[-1]
    np.testing.assert_array_equal(last.kept, fast)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(100, 1200), st.sampled_from(THRESHOLDS))
def test_literal_and_vectorized_agree_on_many_clustered_boxes(seed, n, threshold):
    boxes, scores = nms.sample_boxes(n, np.random.default_rng(seed))
    np.testing.assert_array_equal(nms.nms(boxes, scores, threshold),
                                  nms.nms_literal(boxes, scores, threshold))


def test_kept_boxes_overlap_each_other_at_most_the_threshold_and_cover_the_rest():
    boxes, scores = nms.sample_boxes(800, np.random.default_rng(8))
    for threshold in (0.2, 0.5):
        kept = nms.nms(boxes, scores, threshold)
        m = nms.iou_matrix(boxes[kept])
        np.fill_diagonal(m, 0)
        assert m.max() <= threshold
        # every dropped box overlaps a kept box with a higher (or equal, earlier) score
        dropped = np.setdiff1d(np.arange(len(boxes)), kept)
        cover = nms.iou_matrix(boxes[dropped], boxes[kept]) > threshold
        better = scores[kept][None, :] >= scores[dropped][:, None]
        assert (cover & better).any(axis=1).all()


# --- soft-NMS -------------------------------------------------------------------------------
SOFT_METHODS = {"linear": cv2.dnn.SOFT_NMSMETHOD_SOFTNMS_LINEAR,
                "gaussian": cv2.dnn.SOFT_NMSMETHOD_SOFTNMS_GAUSSIAN}


def opencv_soft(boxes, scores, method, iou_threshold, sigma, score_threshold):
    # softNMSBoxes only takes integer boxes (cv::Rect)
    new, kept = cv2.dnn.softNMSBoxes(np.asarray(boxes).astype(int).tolist(),
                                     np.asarray(scores).tolist(), score_threshold,
                                     iou_threshold, sigma=sigma, method=SOFT_METHODS[method])
    return np.asarray(kept, int).reshape(-1), np.asarray(new, float).reshape(-1)


@pytest.mark.parametrize("method", ["linear", "gaussian"])
@pytest.mark.parametrize(("iou_threshold", "sigma"), [(0.3, 0.5), (0.5, 0.1), (0.7, 2.0)])
@pytest.mark.parametrize("score_threshold", [0.001, 0.2, 0.5])
def test_soft_nms_matches_opencv(method, iou_threshold, sigma, score_threshold):
    rng = np.random.default_rng(11)
    boxes, scores = nms.sample_boxes(150, rng, objects=6)
    boxes = np.round(boxes)
    scores = np.round(scores, 4)
    ref_kept, ref_scores = opencv_soft(boxes, scores, method, iou_threshold, sigma,
                                       score_threshold)
    kept, new = nms.soft_nms(boxes, scores, method=method, iou_threshold=iou_threshold,
                             sigma=sigma, score_threshold=score_threshold)
    np.testing.assert_array_equal(kept, ref_kept)
    np.testing.assert_allclose(new, ref_scores, rtol=1e-5)   # OpenCV works in float32
    last = list(nms.run(boxes, scores, nms.Params(method=f"soft-{method}",
                                                  iou_threshold=iou_threshold, sigma=sigma,
                                                  score_threshold=score_threshold)))[-1]
    np.testing.assert_array_equal(last.kept, kept)
    np.testing.assert_allclose(last.scores[kept], new, rtol=1e-12)


def test_soft_nms_hand_worked():
    # A = (0,0,10,10) score 0.9 and B = (0,5,10,10) score 0.8: IoU = 50 / 150 = 1/3
    boxes, scores = [[0, 0, 10, 10], [0, 5, 10, 10]], [0.9, 0.8]
    kept, new = nms.soft_nms(boxes, scores, method="gaussian", sigma=0.5)
    np.testing.assert_array_equal(kept, [0, 1])
    assert new[1] == pytest.approx(0.8 * math.exp(-(1 / 9) / 0.5))   # 0.6406
    kept, new = nms.soft_nms(boxes, scores, method="linear", iou_threshold=0.3)
    assert new[1] == pytest.approx(0.8 * (1 - 1 / 3))                 # 0.5333
    kept, new = nms.soft_nms(boxes, scores, method="linear", iou_threshold=0.4)
    assert new[1] == 0.8                                              # IoU ≤ 0.4: untouched
    kept, _ = nms.soft_nms(boxes, scores, method="linear", iou_threshold=0.3,
                           score_threshold=0.55)
    np.testing.assert_array_equal(kept, [0])                         # 0.533 < 0.55: dropped


def test_linear_soft_nms_leaves_an_iou_equal_to_the_threshold_alone():
    # IoU of (0,0,2,1) and (0,0,1,1) is exactly 0.5: not above 0.5, so no decay (OpenCV too)
    boxes, scores = [[0, 0, 2, 1], [0, 0, 1, 1]], [0.9, 0.8]
    kept, new = nms.soft_nms(boxes, scores, method="linear", iou_threshold=0.5)
    assert new.tolist() == [0.9, 0.8]
    assert opencv_soft(boxes, scores, "linear", 0.5, 0.5, 0.001)[1].tolist() == \
        pytest.approx([0.9, 0.8])
    kept, new = nms.soft_nms(boxes, scores, method="linear", iou_threshold=0.49)
    assert new.tolist() == [0.9, 0.4]


def test_soft_nms_ties_go_to_the_lower_index_and_equal_threshold_stays():
    boxes, scores = [[0, 0, 10, 10], [50, 0, 10, 10], [0, 50, 10, 10]], [0.5, 0.7, 0.7]
    kept, new = nms.soft_nms(boxes, scores, score_threshold=0.5)
    np.testing.assert_array_equal(kept, [1, 2, 0])     # score 0.5 ≥ 0.5 stays, as in OpenCV
    np.testing.assert_array_equal(kept, opencv_soft(boxes, scores, "gaussian", 0.3, 0.5,
                                                    0.5)[0])


def test_decay_closed_forms():
    ious = np.array([0.0, 0.3, 0.5, 1.0])
    np.testing.assert_allclose(nms.decay(ious, "linear", 0.3, 0.5), [1, 1, 0.5, 0])
    np.testing.assert_allclose(nms.decay(ious, "gaussian", 0.3, 0.5),
                               [1, math.exp(-0.18), math.exp(-0.5), math.exp(-2)])
    with pytest.raises(ValueError, match="linear or gaussian"):
        nms.decay(ious, "cubic", 0.3, 0.5)


# --- the stepwise run -----------------------------------------------------------------------
def test_run_hand_worked_three_boxes():
    # A and B overlap by IoU 90/110 = 0.82; C is far away
    boxes = [[0, 0, 10, 10], [1, 0, 10, 10], [50, 50, 10, 10]]
    steps = list(nms.run(boxes, [0.9, 0.8, 0.7], nms.Params()))
    assert [s.phase for s in steps] == ["start", "keep", "keep", "done"]
    assert [s.index for s in steps] == [0, 1, 2, 3]
    assert steps[0].caption == "3 boxes to sort by score. 3 boxes in play, highest score first."
    assert steps[1].caption == ("Kept box 1 (score 0.9); suppressed 1 box with IoU > 0.5: "
                                "0.82; 1 box left in play.")
    assert steps[2].caption == "Kept box 3 (score 0.7); no other box was in play; " \
                               "0 boxes left in play."
    assert steps[3].caption == "Done: kept 2 of 3 boxes; 1 suppressed, 0 below the score " \
                               "threshold."
    assert steps[1].current == 0 and steps[2].current == 2
    np.testing.assert_allclose(steps[1].ious, [1, 90 / 110, 0])
    assert steps[1].status.tolist() == [KEPT, SUPPRESSED, PENDING]
    assert steps[1].suppressed_by.tolist() == [-1, 0, -1]
    assert steps[1].rivals.tolist() == [False, True, True]
    assert steps[1].changed.tolist() == [False, True, False]
    assert steps[3].status.tolist() == [KEPT, SUPPRESSED, KEPT]
    assert steps[3].kept.tolist() == [0, 2]
    assert steps[3].metrics == {"kept": 2, "suppressed": 1, "pending": 0,
                                "below threshold": 0}


def test_run_caption_when_nothing_overlaps_enough_and_when_many_are_suppressed():
    boxes = [[0, 0, 10, 10], [5, 0, 10, 10]] + [[0, 0, 10, 10 + k] for k in range(1, 8)]
    scores = [0.9, 0.85] + [0.5] * 7
    steps = list(nms.run(boxes, scores, nms.Params(iou_threshold=0.4)))
    first = steps[1]
    hit = np.flatnonzero(first.changed)
    assert len(hit) == 7
    values = sorted(first.ious[hit], reverse=True)
    listed = ", ".join(num(v, 2) for v in values[:5])
    assert f"suppressed 7 boxes with IoU > 0.4: {listed}, …; 1 box left in play." in first.caption
    # box 2 overlaps box 1 by 50/150 = 0.33 ≤ 0.4; box 2 is then alone
    assert "Kept box 2 (score 0.85)" in steps[2].caption


def test_run_caption_names_the_largest_overlap_when_none_exceeds():
    boxes, scores = [[0, 0, 10, 10], [5, 0, 10, 10], [40, 0, 10, 10]], [0.9, 0.8, 0.7]
    steps = list(nms.run(boxes, scores, nms.Params(iou_threshold=0.5)))
    assert steps[1].caption == ("Kept box 1 (score 0.9); no box in play overlaps it by IoU > "
                                "0.5 (the largest is 0.33); 2 boxes left in play.")


def check_captions(steps):
    for s in steps:
        text = s.caption + " " + " ".join(f"{k}={v}" for k, v in s.metrics.items())
        assert "nan" not in text.lower() and "-0" not in text and "−0 " not in text
        assert " 1 boxes" not in text and " 1 scores" not in text


@pytest.mark.parametrize("method", nms.METHODS)
def test_run_steps_are_consistent_with_their_state(method):
    boxes, scores = nms.sample_boxes(120, np.random.default_rng(5), objects=5)
    params = nms.Params(method=method, score_threshold=0.2, iou_threshold=0.4)
    steps = list(nms.run(boxes, scores, params))
    check_captions(steps)
    assert steps[0].phase == "start" and steps[-1].phase == "done"
    below = scores < 0.2 if method != "greedy" else scores <= 0.2
    np.testing.assert_array_equal(steps[0].status == BELOW, below)
    for before, step in zip(steps, steps[1:-1], strict=False):
        i = step.current
        in_play = before.status == PENDING
        # the box kept is the best still in play, at its current score
        assert before.status[i] == PENDING
        assert before.scores[i] == before.scores[in_play].max()
        np.testing.assert_array_equal(step.rivals, in_play & (np.arange(len(boxes)) != i))
        np.testing.assert_allclose(step.ious, nms.iou(boxes[i], boxes), rtol=0, atol=1e-15)
        assert step.kept.tolist() == before.kept.tolist() + [i]
        assert not (step.changed & ~step.rivals).any()
        newly = (before.status == PENDING) & (step.status == SUPPRESSED)
        np.testing.assert_array_equal(step.suppressed_by[newly], i)
        assert f"Kept box {i + 1} (score {num(before.scores[i], 3)})" in step.caption
        if method == "greedy":
            np.testing.assert_array_equal(newly, step.changed)
            np.testing.assert_array_equal(newly, step.rivals & (step.ious > 0.4))
            assert step.scores is before.scores      # shared, never copied
        else:
            lower = step.scores < before.scores
            np.testing.assert_array_equal(lower, step.changed)
            np.testing.assert_array_equal(newly, step.rivals & (step.scores < 0.2))
        assert f"{int((step.status == PENDING).sum()):,} box" in step.caption
    assert not (steps[-1].status == PENDING).any()
    assert steps[-1].metrics["kept"] == len(steps[-1].kept) == len(steps) - 2


def test_run_ends_with_the_kept_set_of_nms_on_detector_like_boxes():
    for seed in range(5):
        boxes, scores = nms.sample_boxes(200, np.random.default_rng(seed))
        for threshold in (0.3, 0.5):
            last = list(nms.run(boxes, scores, nms.Params(iou_threshold=threshold)))[-1]
            np.testing.assert_array_equal(last.kept, nms.nms(boxes, scores, threshold))
            np.testing.assert_array_equal(np.sort(last.kept),
                                          np.flatnonzero(last.status == KEPT))


def test_run_snapshots_are_immutable_and_share_unchanged_arrays():
    boxes, scores = nms.sample_boxes(60, np.random.default_rng(1), objects=3)
    steps, copies = [], []
    for s in nms.run(boxes, scores, nms.Params(method="soft-gaussian", score_threshold=0.3)):
        steps.append(s)
        copies.append([a.copy() for a in (s.scores, s.status, s.ious, s.kept, s.rivals)])
    for s, saved in zip(steps, copies, strict=True):
        for a, b in zip((s.scores, s.status, s.ious, s.kept, s.rivals), saved, strict=True):
            np.testing.assert_array_equal(a, b)
            with pytest.raises(ValueError):
                a[...] = 0
        assert s.boxes is steps[0].boxes
    boxes[0, 0] = -99.0                        # the caller's array is not the one shown
    assert steps[0].boxes[0, 0] != -99.0


def test_run_is_deterministic_and_ignores_the_rng():
    boxes, scores = nms.sample_boxes(80, np.random.default_rng(2), objects=4)
    a = list(nms.run(boxes, scores, nms.Params(), np.random.default_rng(0)))
    b = list(nms.run(boxes, scores, nms.Params(), np.random.default_rng(99)))
    assert [s.caption for s in a] == [s.caption for s in b]
    assert all(np.array_equal(x.status, y.status) for x, y in zip(a, b, strict=True))


def test_run_on_no_boxes_and_on_boxes_all_below_the_threshold():
    steps = list(nms.run(np.zeros((0, 4)), [], nms.Params()))
    assert [s.caption for s in steps] == ["No boxes: nothing to suppress.",
                                          "Done: kept 0 of 0 boxes; 0 suppressed, 0 below the "
                                          "score threshold."]
    steps = list(nms.run([[0, 0, 1, 1]], [0.1], nms.Params(score_threshold=0.5)))
    assert steps[0].caption == ("1 box to sort by score; 1 box with score ≤ 0.5 set aside. "
                                "0 boxes in play, highest score first.")
    assert steps[-1].caption == "Done: kept 0 of 1 box; 0 suppressed, 1 below the score " \
                                "threshold."


def test_soft_run_captions_show_old_and_new_scores():
    boxes, scores = [[0, 0, 10, 10], [0, 5, 10, 10], [40, 40, 10, 10]], [0.9, 0.8, 0.3]
    steps = list(nms.run(boxes, scores, nms.Params(method="soft-linear", iou_threshold=0.3,
                                                   score_threshold=0.6)))
    # B: 0.8 × (1 − 1/3) = 0.533 < 0.6: it leaves; C (0.3) was set aside from the start
    assert steps[0].caption.startswith("3 boxes to sort by score; 1 box with score < 0.6")
    assert steps[1].caption == ("Kept box 1 (score 0.9); lowered the scores of 1 box (IoU > "
                                "0.3, score × (1 − IoU)): 0.8→0.533; 1 box fell below 0.6 and "
                                "left; 0 boxes left in play.")
    assert steps[-1].caption == ("Done: kept 1 of 3 boxes; 1 dropped when their scores fell "
                                 "below 0.6, 1 below the score threshold.")
    steps = list(nms.run(boxes, scores, nms.Params(method="soft-gaussian", sigma=0.5)))
    assert "(score × exp(−IoU²/0.5)): 0.8→0.641" in steps[1].caption
    assert steps[2].caption.startswith("Kept box 2 (score 0.641); no box in play overlaps it, "
                                       "so no score changed")


# --- sample boxes and bad input -------------------------------------------------------------
def test_sample_boxes_are_seeded_clustered_detections():
    a = nms.sample_boxes(500, np.random.default_rng(0))
    b = nms.sample_boxes(500, np.random.default_rng(0))
    np.testing.assert_array_equal(a[0], b[0])
    boxes, scores = a
    assert boxes.shape == (500, 4) and scores.shape == (500,)
    assert (boxes[:, 2:] > 0).all() and ((scores >= 0.01) & (scores <= 1)).all()
    # 20 objects: NMS leaves far fewer boxes than it was given, but at least one each
    assert 20 <= len(nms.nms(boxes, scores, 0.3)) < 150
    centres = boxes[:, :2] + boxes[:, 2:] / 2      # around objects spread over the frame
    assert np.abs(centres.mean(0) - [320, 240]).max() < 60


def test_sample_boxes_of_one_object_score_higher_the_closer_they_sit():
    # fewer than 50 boxes: one object by default; all boxes jitter around it
    boxes, scores = nms.sample_boxes(40, np.random.default_rng(6))
    middle = np.median(boxes, axis=0)
    closeness = nms.iou(middle, boxes)
    assert np.mean(closeness > 0.3) > 0.8
    rank = np.argsort(np.argsort(closeness)), np.argsort(np.argsort(scores))
    assert np.corrcoef(*rank)[0, 1] > 0.5          # Spearman: closer → higher score
    assert nms.sample_boxes(0, np.random.default_rng(0))[0].shape == (0, 4)
    # at the tails the scores are clipped into [0.01, 1], and both ends are reached
    _, many = nms.sample_boxes(20_000, np.random.default_rng(0))
    assert many.min() == 0.01 and many.max() == 1.0
    assert nms.sample_boxes(5, np.random.default_rng(0), objects=1)[1].shape == (5,)


def exactly(message):
    return "^" + re.escape(message) + "$"


@pytest.mark.parametrize(("boxes", "scores", "message"), [
    ([[0, 0, 1, np.nan]], [0.5], "boxes contain NaN or infinite values"),
    ([[0, 0, 1, np.inf]], [0.5], "boxes contain NaN or infinite values"),
    ([[0, 0, -1, 1]], [0.5], "box widths and heights must not be negative"),
    ([[0, 0, 1, 1], [1, 1, 1, 1]], [0.5], "there must be one score per box: 2 boxes, 1 score"),
    ([[0, 0, 1, 1]], [0.5, 0.6], "there must be one score per box: 1 box, 2 scores"),
    ([[0, 0, 1]], [0.5], "boxes must be rows of x, y, width, height; got shape (1, 3)"),
    (np.zeros((0, 3)), [], "boxes must be rows of x, y, width, height; got shape (0, 3)"),
    ([["a", 0, 1, 1]], [0.5], "boxes must be numbers: rows of x, y, width, height"),
    ([[0, 0, 1, 1]], [np.nan], "scores contain NaN or infinite values"),
    ([[0, 0, 1, 1]], ["high"], "scores must be numbers, one per box"),
    ([[0, 0, 1, 1]], [[0.5]], "scores must be one number per box"),
])
def test_bad_input_gets_a_clear_message(boxes, scores, message):
    for fn in (nms.nms, nms.nms_literal, nms.soft_nms):
        with pytest.raises(ValueError, match=exactly(message)):
            fn(boxes, scores)
    with pytest.raises(ValueError, match=exactly(message)):
        next(nms.run(boxes, scores, nms.Params()))


def test_bad_thresholds_and_parameters_get_a_clear_message():
    boxes, scores = [[0, 0, 1, 1]], [0.5]
    for bad in (-0.1, 1.5, np.nan):
        message = exactly(f"iou_threshold must be between 0 and 1, got {bad}")
        for fn in (nms.nms, nms.nms_literal):
            with pytest.raises(ValueError, match=message):
                fn(boxes, scores, bad)
        with pytest.raises(ValueError, match=message):
            nms.soft_nms(boxes, scores, method="linear", iou_threshold=bad)
    with pytest.raises(ValueError, match=exactly("soft-NMS method must be linear or gaussian, "
                                                 "got 'cubic'")):
        nms.soft_nms(boxes, scores, method="cubic")
    for sigma in (0.0, -1.0, np.inf, np.nan):
        with pytest.raises(ValueError, match=exactly(f"sigma must be a positive number, "
                                                     f"got {sigma}")):
            nms.soft_nms(boxes, scores, sigma=sigma)
    with pytest.raises(ValueError, match="method must be one of"):
        next(nms.run(boxes, scores, nms.Params(method="fast")))
    with pytest.raises(ValueError, match="iou_threshold must be between"):
        next(nms.run(boxes, scores, nms.Params(iou_threshold=2.0)))
    with pytest.raises(ValueError, match=exactly("iou() compares one box (x, y, width, height) "
                                                 "with many")):
        nms.iou([[0, 0, 1, 1], [1, 1, 1, 1]], boxes)
    with pytest.raises(ValueError, match=exactly("the number of boxes must not be negative, "
                                                 "got -1")):
        nms.sample_boxes(-1, np.random.default_rng(0))
    with pytest.raises(ValueError, match=exactly("there must be at least one object to detect")):
        nms.sample_boxes(5, np.random.default_rng(0), objects=0)


def test_no_boxes_is_not_an_error_and_indices_stay_integers():
    for kept in (nms.nms(np.zeros((0, 4)), []), nms.nms_literal([], []),
                 nms.soft_nms(np.zeros((0, 4)), np.zeros(0))[0]):
        assert kept.shape == (0,) and kept.dtype == np.intp
    assert nms.soft_nms([], [])[1].shape == (0,)
    assert nms.iou([0, 0, 1, 1], np.zeros((0, 4))).shape == (0,)


# --- more on extremes, the float32 first pass and the captions -------------------------------
def test_one_huge_box_beside_small_ones_stays_finite():
    big, small = (1e300, 1e300, 1e300, 1e300), (0.0, 0.0, 1.0, 1.0)
    assert nms.iou(big, [small, small]).tolist() == [0.0, 0.0]
    assert nms.iou(small, [big]).tolist() == [0.0]
    assert nms.iou_matrix([big], [small]).tolist() == [[0.0]]
    assert nms.iou_matrix([small], [big]).tolist() == [[0.0]]
    assert nms.iou(big, [big]).tolist() == [1.0]


@pytest.mark.parametrize("factor", [1e200, 1e-300])
def test_soft_nms_and_run_handle_extreme_coordinates(factor):
    boxes, scores = nms.sample_boxes(80, np.random.default_rng(9), objects=4)
    for method in ("linear", "gaussian"):
        kept, new = nms.soft_nms(boxes, scores, method=method)
        kept_far, new_far = nms.soft_nms(boxes * factor, scores, method=method)
        np.testing.assert_array_equal(kept_far, kept)
        np.testing.assert_allclose(new_far, new, rtol=1e-9)
    last = list(nms.run(boxes * factor, scores, nms.Params()))[-1]
    np.testing.assert_array_equal(last.kept, nms.nms(boxes, scores))
    assert np.isfinite(last.ious).all()


def thin_boxes(n, rng, along):
    """Boxes 1 unit thick and 200 long, in a strip 1e5 long: their short side is far below
    span / 1024, where float32 would misjudge their IoU."""
    far, near = rng.uniform(5e4, 1e5, n), rng.uniform(0, 10, n)
    thin, long = np.ones(n), np.full(n, 200.0)
    return {"x, tall": np.column_stack([far, near, thin, long]),
            "y, tall": np.column_stack([near, far, thin, long]),
            "y, wide": np.column_stack([near, far, long, thin]),
            "x, wide": np.column_stack([far, near, long, thin])}[along]


def live_hits(boxes, threshold, rows=40):
    live = nms._Live(boxes, threshold)
    got = live.hits(np.arange(rows), slice(rows, None))
    exact = nms._exceeds(live.exact[:, :rows, None], live.exact[:, rows:], threshold)
    np.testing.assert_array_equal(got, exact)
    return live


def test_the_float32_first_pass_is_used_where_it_is_safe_and_gives_exact_answers():
    boxes, scores = nms.sample_boxes(1500, np.random.default_rng(12))
    boxes = np.vstack([boxes[nms.ranking(scores, 0.0)], [[5, 5, 0, 0]]])  # an empty box too
    live = live_hits(boxes, 0.5)
    assert live.rough is not None and live.rough.dtype == np.float32
    live.keep(np.arange(0, len(boxes), 2))          # both copies follow the boxes kept
    assert live.rough.shape == live.exact.shape == (5, 751)
    rows = np.arange(40)
    np.testing.assert_array_equal(live.hits(rows, slice(40, None)),
                                  nms._exceeds(live.exact[:, rows, None],
                                               live.exact[:, 40:], 0.5))
    few = live_hits(boxes[:60], 0.5)                # 40 × 20 pairs: float64 at once
    assert few.rough is None


@pytest.mark.parametrize("along", ["x, tall", "y, tall", "y, wide", "x, wide"])
def test_no_float32_pass_for_boxes_too_small_for_it(along):
    live = live_hits(thin_boxes(600, np.random.default_rng(3), along), 0.5)
    assert live.rough is None


def test_no_float32_pass_below_its_margin_or_without_any_area():
    boxes, _ = nms.sample_boxes(600, np.random.default_rng(4))
    assert live_hits(boxes, nms.MARGIN / 2).rough is None
    flat = boxes.copy()
    flat[:, 3] = 0
    assert live_hits(flat, 0.5).rough is None


def test_soft_nms_defaults_are_opencvs():
    boxes, scores = nms.sample_boxes(100, np.random.default_rng(13), objects=4)
    boxes, scores = np.round(boxes), np.round(scores, 4)
    # cv2.dnn.softNMSBoxes defaults: sigma 0.5, Gaussian; we also default to a score
    # threshold of 0.001 and an IoU threshold of 0.3 (used by the linear method only)
    ref_kept, ref_scores = opencv_soft(boxes, scores, "gaussian", 0.3, 0.5, 0.001)
    kept, new = nms.soft_nms(boxes, scores)
    np.testing.assert_array_equal(kept, ref_kept)
    np.testing.assert_allclose(new, ref_scores, rtol=1e-5)


def test_soft_nms_keeps_a_score_lowered_exactly_to_the_threshold():
    # IoU of (0,0,2,1) and (0,0,1,1) is exactly 0.5: 0.8 × (1 − 0.5) = 0.4, not below 0.4
    boxes, scores = [[0, 0, 2, 1], [0, 0, 1, 1]], [0.9, 0.8]
    kept, new = nms.soft_nms(boxes, scores, method="linear", iou_threshold=0.3,
                             score_threshold=0.4)
    assert kept.tolist() == [0, 1] and new.tolist() == [0.9, 0.4]
    assert opencv_soft(boxes, scores, "linear", 0.3, 0.5, 0.4)[0].tolist() == [0, 1]
    params = nms.Params(method="soft-linear", iou_threshold=0.3, score_threshold=0.4)
    assert list(nms.run(boxes, scores, params))[-1].kept.tolist() == [0, 1]


def test_a_score_equal_to_the_threshold_is_set_aside_by_greedy_but_not_by_soft_nms():
    boxes, scores = [[0, 0, 1, 1], [5, 5, 1, 1]], [0.9, 0.25]
    greedy = next(nms.run(boxes, scores, nms.Params(score_threshold=0.25)))
    soft = next(nms.run(boxes, scores, nms.Params(method="soft-gaussian",
                                                  score_threshold=0.25)))
    assert greedy.status.tolist() == [PENDING, BELOW]
    assert soft.status.tolist() == [PENDING, PENDING]


def test_the_start_step_shows_the_data_alone():
    boxes, scores = nms.sample_boxes(30, np.random.default_rng(0))
    start = next(nms.run(boxes, scores, nms.Params()))
    assert start.current == -1
    assert start.ious.dtype == float and not start.ious.any() and start.ious.shape == (30,)
    for mask in (start.rivals, start.changed):
        assert mask.dtype == bool and mask.shape == (30,) and not mask.any()
    assert start.suppressed_by.tolist() == [-1] * 30
    assert start.kept.dtype == np.intp and start.kept.shape == (0,)
    assert start.status.dtype == np.int8
    np.testing.assert_array_equal(start.boxes, boxes)
    np.testing.assert_array_equal(start.scores, scores)


def suppression_demo(copies):
    """Box 1 (score 0.9) and `copies` taller boxes sharing its top-left corner (IoU with it
    10/11, 10/12, …, all above 0.4567), box 8 beside it (IoU 1/3) and box 9 far away;
    two more boxes score at or below 0.1234."""
    rivals = [[0, 0, 10, 10 + k] for k in range(1, copies + 1)]
    boxes = [[0, 0, 10, 10], *rivals, [5, 0, 10, 10], [40, 0, 10, 10],
             [100, 100, 5, 5], [200, 200, 5, 5]]
    scores = [0.9] + [0.8123] * copies + [0.85, 0.8, 0.1, 0.1234]
    return boxes, scores


def test_greedy_captions_word_by_word():
    boxes, scores = suppression_demo(6)
    steps = list(nms.run(boxes, scores, nms.Params(iou_threshold=0.4567,
                                                   score_threshold=0.1234)))
    assert [s.caption for s in steps] == [
        "11 boxes to sort by score; 2 boxes with score ≤ 0.123 set aside. 9 boxes in play, "
        "highest score first.",
        "Kept box 1 (score 0.9); suppressed 6 boxes with IoU > 0.457: 0.91, 0.83, 0.77, 0.71, "
        "0.67, …; 2 boxes left in play.",
        "Kept box 8 (score 0.85); no box in play overlaps it by IoU > 0.457 (the largest is 0); "
        "1 box left in play.",
        "Kept box 9 (score 0.8); no other box was in play; 0 boxes left in play.",
        "Done: kept 3 of 11 boxes; 6 suppressed, 2 below the score threshold."]
    boxes, scores = suppression_demo(5)
    second = list(nms.run(boxes, scores, nms.Params(iou_threshold=0.4567)))[1]
    # no score threshold this time: the two low boxes are in play too
    assert second.caption.endswith("suppressed 5 boxes with IoU > 0.457: 0.91, 0.83, 0.77, "
                                   "0.71, 0.67; 4 boxes left in play.")
    one = next(nms.run([[0, 0, 1, 1], [5, 5, 1, 1]], [0.9, 0.1],
                       nms.Params(score_threshold=0.5)))
    assert one.caption == ("2 boxes to sort by score; 1 box with score ≤ 0.5 set aside. "
                           "1 box in play, highest score first.")


def test_soft_captions_word_by_word():
    # linear, threshold 0.4567: the six rivals of box 1 keep 1 − IoU = k / (10 + k) of
    # 0.8123: 0.0738, 0.135, 0.187, 0.232, 0.271, 0.305; the first four fall below 0.2345
    boxes, scores = suppression_demo(6)
    steps = list(nms.run(boxes, scores, nms.Params(method="soft-linear", iou_threshold=0.4567,
                                                   score_threshold=0.2345)))
    assert steps[0].caption.startswith("11 boxes to sort by score; 2 boxes with score < 0.234 "
                                       "set aside.")
    assert steps[1].caption == (
        "Kept box 1 (score 0.9); lowered the scores of 6 boxes (IoU > 0.457, score × (1 − IoU))"
        ": 0.812→0.0738, 0.812→0.135, 0.812→0.187, 0.812→0.232, 0.812→0.271, …; 4 boxes fell "
        "below 0.234 and left; 4 boxes left in play.")
    # later, box 7 (0.305) is kept and box 6 (IoU 150/160 with it) drops to 0.017
    assert steps[-1].caption == ("Done: kept 4 of 11 boxes; 5 dropped when their scores fell "
                                 "below 0.234, 2 below the score threshold.")
    boxes, scores = suppression_demo(5)
    second = list(nms.run(boxes, scores, nms.Params(method="soft-linear",
                                                    iou_threshold=0.4567)))[1]
    assert "0.812→0.0738, 0.812→0.135, 0.812→0.187, 0.812→0.232, 0.812→0.271;" in second.caption
    gauss = list(nms.run(boxes, scores, nms.Params(method="soft-gaussian", sigma=0.3333)))[1]
    assert "(score × exp(−IoU²/0.333)):" in gauss.caption
    alone = list(nms.run([[0, 0, 1, 1]], [0.5], nms.Params(method="soft-linear",
                                                             score_threshold=0.1234)))
    assert alone[-1].caption == ("Done: kept 1 of 1 box; 0 dropped when their scores fell "
                                 "below 0.123, 0 below the score threshold.")


# --- the two vectorized paths of `nms` -------------------------------------------------
# `nms` tests every pair at once up to nms.SMALL boxes in play (`_greedy_small`) and goes
# block by block above (`_greedy_blocks`). Both must decide each pair as `_exceeds` does.

def both_paths(boxes, scores, threshold, floor=0.0):
    """(small path, block path) kept indices on the same ranked boxes."""
    boxes, scores = nms.check_boxes(boxes, scores)
    order = nms.ranking(scores, floor)
    ranked = boxes[order]
    return (order.take(nms._greedy_small(ranked, threshold)),
            order.take(nms._greedy_blocks(ranked, threshold)))


def reference_ranking(scores, floor):
    """The candidates first, then a stable sort of their scores: the plain way."""
    candidates = np.flatnonzero(scores > floor)
    return candidates[np.argsort(-scores[candidates], kind="stable")]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 16),
                          st.integers(0, 16)), max_size=90),
       st.integers(0, 2**32 - 1), st.sampled_from(THRESHOLDS + (0.25, 0.75)),
       st.sampled_from([0.0, 0.5]), st.booleans(), st.integers(0, 3))
def test_small_path_equals_block_path_literal_loop_and_opencv(rows, seed, threshold, floor,
                                                              ties, copies):
    # Integer boxes in a small frame overlap a lot, with many IoUs exactly at thresholds
    # like 0.5 or 0.25; some boxes are empty (a zero side); `copies` repeats the first few
    # boxes exactly; tied scores (quarters) are broken by index.
    boxes = np.array(rows + rows[:copies], float).reshape(-1, 4)
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 4, len(boxes)) / 4 if ties else np.round(rng.random(len(boxes)), 4)
    small, blocks = both_paths(boxes, scores, threshold, floor)
    np.testing.assert_array_equal(small, blocks)
    np.testing.assert_array_equal(small, nms.nms_literal(boxes, scores, threshold, floor))
    np.testing.assert_array_equal(small, nms.nms(boxes, scores, threshold, floor))
    # OpenCV counts two empty boxes as identical (see the empty-box tests), so it is a
    # reference only where at most one box is empty; it works in float32, so only the
    # thresholds float32 holds exactly are compared with it.
    empty = (boxes[:, 2] == 0) | (boxes[:, 3] == 0)
    if empty.sum() <= 1 and threshold in (0.0, 0.25, 0.5, 0.75, 1.0):
        np.testing.assert_array_equal(small, opencv_nms(boxes, scores, threshold, floor))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 200), st.sampled_from(THRESHOLDS))
def test_small_path_equals_block_path_on_clustered_boxes(seed, n, threshold):
    # sizes on both sides of nms.SMALL, odd and even (the pairs by offset wrap differently)
    boxes, scores = nms.sample_boxes(n, np.random.default_rng(seed))
    small, blocks = both_paths(boxes, scores, threshold)
    np.testing.assert_array_equal(small, blocks)
    np.testing.assert_array_equal(small, nms.nms_literal(boxes, scores, threshold))


@pytest.mark.parametrize("n", [nms.SMALL - 1, nms.SMALL, nms.SMALL + 1])
def test_nms_agrees_with_opencv_either_side_of_the_small_path(n):
    boxes, scores = nms.sample_boxes(n, np.random.default_rng(n))
    scores = np.round(scores, 4)
    for threshold in (0.3, 0.5, 0.7):
        np.testing.assert_array_equal(nms.nms(boxes, scores, threshold),
                                      opencv_nms(boxes, scores, threshold))


@pytest.mark.parametrize("factor", [1e-300, 1e-160, 1e160, 1e300])
def test_small_path_equals_block_path_at_extreme_scales(factor):
    # Rescaled boxes: the power-of-two shift brings both paths back to the same numbers;
    # at 1e-300 some areas are tiny enough to count as empty, the same way in both.
    boxes, scores = nms.sample_boxes(60, np.random.default_rng(5))
    boxes = np.vstack([boxes * factor, [[0.0, 0.0, 1e-320, 1e-320], [1.0, 1.0, 0.0, 3.0]]])
    scores = np.concatenate([scores, [0.99, 0.98]])
    for threshold in (0.0, 0.3, 0.5, 1.0):
        small, blocks = both_paths(boxes, scores, threshold)
        np.testing.assert_array_equal(small, blocks)
        np.testing.assert_array_equal(small, nms.nms_literal(boxes, scores, threshold))


def test_small_path_hand_worked():
    # Five boxes in score order. IoU(A, B) = 50/150 = 1/3 (x overlap 5, height 10);
    # C is a copy of A (IoU 1); IoU(B, D) = 80/100 = 0.8 (D lies inside B);
    # IoU(A, D) = 30/150 = 0.2; E is empty and overlaps nothing.
    # At 0.5: keep A (C goes), keep B (D goes), keep E.
    # At 0.25: keep A (B and C go), keep D (0.2 with A), keep E.
    a, b, c = [0, 0, 10, 10], [5, 0, 10, 10], [0, 0, 10, 10]
    d, e = [7, 0, 8, 10], [3, 3, 0, 4]
    boxes = np.array([a, b, c, d, e], float)
    assert nms._greedy_small(boxes, 0.5) == [0, 1, 4]
    assert nms._greedy_small(boxes, 0.25) == [0, 3, 4]
    assert nms._greedy_small(boxes[:1], 0.5) == [0]
    assert nms._greedy_small(boxes[:0], 0.5) == []


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([0.0, -0.0, 0.1, 0.25, 0.5, 0.9, 1.0]), max_size=30),
       st.sampled_from([0.0, 0.25, 0.5]))
def test_ranking_sorts_then_cuts_as_the_plain_way_picks_then_sorts(scores, floor):
    scores = np.array(scores, float)
    np.testing.assert_array_equal(nms.ranking(scores, floor), reference_ranking(scores, floor))


@pytest.mark.parametrize("n", [2, 3, 8, 31, 64])
def test_pair_hits_decide_every_pair_by_offset_as_exceeds_does(n):
    boxes, _ = nms.sample_boxes(n, np.random.default_rng(n))
    boxes[n // 3] = boxes[0]                   # an exact copy: IoU 1
    boxes[n // 2, 2] = 0.0                     # an empty box
    for threshold in (0.0, 0.5, 1.0):
        hit = nms._pair_hits(boxes, threshold)
        assert hit.shape == (n // 2, 2 * n - 1) and not hit[:, n:].any()
        rows = nms.corners(boxes, nms._scale(boxes)).T.tolist()
        for i in range(n):                     # pair by pair, in plain Python floats
            for d in range(1, n // 2 + 1):
                j = (i + d) % n
                assert hit[d - 1, i] == nms._exceeds_pair(rows[i], rows[j], threshold)
        if n >= 8:                             # box 0 and its copy, n // 3 places on
            assert hit[n // 3 - 1, 0] == (threshold < 1.0)


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
def test_an_iou_a_hair_above_the_threshold_is_suppressed_on_both_paths(threshold):
    # Box B is box A cut to a height h = threshold + 2⁻⁴⁰: IoU(A, B) = h / 1 = h, which is
    # above the threshold (exact arithmetic; float32, as in OpenCV, would round it away).
    # A box far away keeps the sets from being trivial.
    h = threshold + 2.0**-40
    boxes = np.array([[0, 0, 1, 1], [0, 0, 1, h], [5, 5, 1, 1]], float)
    for path in (nms._greedy_small, nms._greedy_blocks):
        np.testing.assert_array_equal(path(boxes, threshold), [0, 2])
        np.testing.assert_array_equal(path(boxes, threshold + 2.0**-39), [0, 1, 2])
    np.testing.assert_array_equal(nms.nms_literal(boxes, [0.9, 0.8, 0.7], threshold), [0, 2])


def test_nms_takes_the_small_path_up_to_small_boxes_in_play(monkeypatch):
    # Which path runs is a speed choice (both keep the same boxes), so only a spy sees it.
    taken = []
    for name in ("_greedy_small", "_greedy_blocks"):
        path = getattr(nms, name)
        monkeypatch.setattr(nms, name, lambda b, t, path=path, name=name:
                            taken.append(name) or path(b, t))
    for n, floor in ((nms.SMALL, 0.0), (nms.SMALL + 1, 0.0), (nms.SMALL + 1, 0.5)):
        boxes, scores = nms.sample_boxes(n, np.random.default_rng(n))
        nms.nms(boxes, scores, 0.5, floor)
    # the last set has fewer than SMALL boxes above the score threshold: small path again
    assert taken == ["_greedy_small", "_greedy_blocks", "_greedy_small"]
