"""YOLO v1's loss against a 2×2 example worked by hand, and its properties: the square root
on w and h, a perfect box costs nothing, the responsible predictor is the best overlap."""

import re

import numpy as np
import pytest

from algorithms import yolo_loss as yl
from algorithms.yolo_loss import NOOBJ, OBJ, WH, XY, Params, Predictions


def hand_example():
    """S = 2, B = 2, C = 2. One object: centre (0.25, 0.25), size 0.25 × 0.25, class 0, so
    cell (row 0, column 0), and inside that cell x = 0.25·2 − 0 = 0.5, y = 0.5.

    Predictor 0 of that cell: x 0.6, y 0.5, w 0.16, h 0.25 → image centre (0.3, 0.25).
      Truth spans [0.125, 0.375] both ways; the prediction [0.22, 0.38] × [0.125, 0.375].
      Overlap 0.155 × 0.25 = 0.03875; union 0.0625 + 0.04 − 0.03875 = 0.06375;
      IoU = 0.03875 / 0.06375 = 31/51 ≈ 0.6078.
    Predictor 1: x 0.5, y 0.5, w 0.64, h 0.64: it contains the truth, so
      IoU = 0.0625 / 0.4096 = 0.152587890625.  Predictor 0 is responsible.
    Confidences: cell (0,0) 0.8, 0.4; (0,1) 0.1, 0.2; (1,0) 0.0, 0.3; (1,1) 0.2, 0.2.
    Class probabilities of cell (0,0): 0.7, 0.3 (the others do not count).

    λcoord = 5, λnoobj = 0.5, objectness target 1:
      x, y     = 5 · ((0.5 − 0.6)² + (0.5 − 0.5)²)             = 5 · 0.01 = 0.05
      √w, √h   = 5 · ((√0.25 − √0.16)² + (√0.25 − √0.25)²)      = 5 · 0.01 = 0.05
      object   = (1 − 0.8)²                                      = 0.04
      no obj   = 0.5 · (0.4²) in (0,0)                           = 0.08
               + 0.5 · (0.1² + 0.2²) in (0,1)                    = 0.025
               + 0.5 · (0² + 0.3²) in (1,0)                      = 0.045
               + 0.5 · (0.2² + 0.2²) in (1,1)                    = 0.04   → 0.19
      classes  = (1 − 0.7)² + (0 − 0.3)²                         = 0.18
      total    = 0.05 + 0.05 + 0.04 + 0.19 + 0.18                = 0.51
    With the IoU as objectness target: object = (31/51 − 0.8)².
    """
    truths = [[0.25, 0.25, 0.25, 0.25, 0]]
    boxes = np.full((2, 2, 2, 4), 0.5)
    boxes[0, 0, 0] = 0.6, 0.5, 0.16, 0.25
    boxes[0, 0, 1] = 0.5, 0.5, 0.64, 0.64
    conf = np.array([[[0.8, 0.4], [0.1, 0.2]], [[0.0, 0.3], [0.2, 0.2]]])
    probs = np.full((2, 2, 2), 0.5)
    probs[0, 0] = 0.7, 0.3
    probs[1, 1] = 0.0, 1.0   # a cell without an object: must not count
    return truths, Predictions(boxes, conf, probs)


def test_hand_worked_2x2_example_term_by_term():
    truths, pred = hand_example()
    loss = yl.yolo_loss(truths, pred, Params(grid=2, boxes=2, target="1"))
    np.testing.assert_allclose(loss.ious[0, 0], [31 / 51, 0.152587890625], rtol=1e-12)
    assert loss.responsible[0, 0] == 0 and loss.owner[0, 0] == 0
    assert (loss.owner.ravel()[1:] == -1).all() and (loss.responsible.ravel()[1:] == -1).all()
    np.testing.assert_allclose(loss.totals, [0.05, 0.05, 0.04, 0.19, 0.18], atol=1e-12)
    np.testing.assert_allclose(loss.terms[0, 0], [0.05, 0.05, 0.04, 0.08, 0.18], atol=1e-12)
    np.testing.assert_allclose(loss.cells, [[0.4, 0.025], [0.045, 0.04]], atol=1e-12)
    assert loss.total == pytest.approx(0.51, abs=1e-12)
    with_iou = yl.yolo_loss(truths, pred, Params(grid=2, boxes=2, target="IoU"))
    assert with_iou.terms[0, 0, OBJ] == pytest.approx((31 / 51 - 0.8) ** 2, rel=1e-12)


def test_weights_scale_their_terms_only():
    truths, pred = hand_example()
    base = yl.yolo_loss(truths, pred, Params(grid=2, boxes=2, target="1"))
    heavy = yl.yolo_loss(truths, pred, Params(grid=2, boxes=2, target="1", lambda_coord=10.0,
                                              lambda_noobj=2.0))
    np.testing.assert_allclose(heavy.totals, base.totals * [2, 2, 1, 4, 1], atol=1e-12)


def one_box(truth_wh, pred_wh):
    """S = 1, B = 1: one object at the centre, one prediction at the same centre."""
    truths = [[0.5, 0.5, truth_wh, truth_wh, 0]]
    boxes = np.array([0.5, 0.5, pred_wh, truth_wh]).reshape(1, 1, 1, 4)
    pred = Predictions(boxes, np.full((1, 1, 1), 0.5), np.ones((1, 1, 1)))
    return yl.yolo_loss(truths, pred, Params(grid=1, boxes=1))


def test_square_root_penalises_the_same_error_more_on_a_small_box():
    small, large = one_box(0.1, 0.15), one_box(0.8, 0.85)
    assert small.terms[0, 0, WH] == pytest.approx(5 * (np.sqrt(0.1) - np.sqrt(0.15)) ** 2)
    assert large.terms[0, 0, WH] == pytest.approx(5 * (np.sqrt(0.8) - np.sqrt(0.85)) ** 2)
    assert small.terms[0, 0, WH] > 4 * large.terms[0, 0, WH]
    assert small.terms[0, 0, XY] == large.terms[0, 0, XY] == 0


def test_a_prediction_moved_onto_its_truth_has_no_coordinate_error():
    rng = np.random.default_rng(3)
    params = Params(grid=3, boxes=2)
    truths = np.array([[0.41, 0.72, 0.3, 0.2, 1], [0.9, 0.1, 0.15, 0.12, 2]])
    pred = yl.toy_predictions(truths, params, 3, rng)
    before = yl.yolo_loss(truths, pred, params)
    boxes = np.array(pred.boxes)
    for cx, cy, w, h, _ in truths:
        r, c = yl.cell_of(cx, cy, 3)
        j = before.responsible[r, c]
        assert before.terms[r, c, XY] + before.terms[r, c, WH] > 0
        boxes[r, c, j] = cx * 3 - c, cy * 3 - r, w, h
    after = yl.yolo_loss(truths, Predictions(boxes, pred.confidence, pred.probs), params)
    assert after.totals[XY] == pytest.approx(0, abs=1e-20)
    assert after.totals[WH] == pytest.approx(0, abs=1e-20)
    for cx, cy, *_ in truths:
        r, c = yl.cell_of(cx, cy, 3)
        assert after.ious[r, c, after.responsible[r, c]] == pytest.approx(1.0)


def test_the_responsible_predictor_is_the_higher_iou_one():
    truths, pred = hand_example()
    params = Params(grid=2, boxes=2)
    swapped = Predictions(pred.boxes[:, :, ::-1], pred.confidence[:, :, ::-1], pred.probs)
    assert yl.yolo_loss(truths, swapped, params).responsible[0, 0] == 1
    # ties (no overlap at all) go to the lower index
    far = np.array(pred.boxes)
    far[0, 0] = [[0.0, 0.0, 0.01, 0.01], [1.0, 1.0, 0.01, 0.01]]
    loss = yl.yolo_loss(truths, Predictions(far, pred.confidence, pred.probs), params)
    assert loss.responsible[0, 0] == 0 and (loss.ious[0, 0] == 0).all()
    # the other predictor counts as "no object": its confidence 0.4 in cell (0, 0)
    assert loss.terms[0, 0, NOOBJ] == pytest.approx(0.5 * 0.4 ** 2)


def test_cells_and_a_second_object_in_a_cell():
    assert yl.cell_of(0.5, 0.5, 2) == (1, 1)
    assert yl.cell_of(1.0, 0.0, 3) == (0, 2)
    assert yl.cell_of(0.49, 0.99, 2) == (1, 0)
    truths = [[0.1, 0.1, 0.1, 0.1, 0], [0.2, 0.2, 0.2, 0.2, 1], [0.8, 0.8, 0.2, 0.2, 1]]
    params = Params(grid=2, boxes=1)
    pred = yl.toy_predictions(truths, params, 2, np.random.default_rng(0))
    loss = yl.yolo_loss(truths, pred, params)
    assert list(loss.left_out) == [1]
    assert loss.owner[0, 0] == 0 and loss.owner[1, 1] == 2
    first = next(yl.run(truths, pred, params))
    assert "Left out: object 2" in first.caption


def test_to_image_places_boxes_in_their_cells():
    boxes = np.zeros((2, 2, 1, 4))
    boxes[1, 0, 0] = 0.5, 0.25, 0.3, 0.4
    placed = yl.to_image(boxes)
    np.testing.assert_allclose(placed[1, 0, 0], [0.25, 0.625, 0.3, 0.4])
    np.testing.assert_allclose(placed[0, 1, 0], [0.5, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(yl.corner_form([[0.5, 0.5, 0.2, 0.4]]), [[0.4, 0.3, 0.2, 0.4]])


def test_run_totals_equal_the_one_shot_loss_and_captions_are_clean():
    rng = np.random.default_rng(7)
    params = Params(grid=3, boxes=2)
    truths = yl.sample_truths(rng, 4, 3)
    pred = yl.toy_predictions(truths, params, 3, rng)
    loss = yl.yolo_loss(truths, pred, params)
    steps = list(yl.run(truths, pred, params))
    assert len(steps) == 9 + 2
    assert [s.index for s in steps] == list(range(11))
    assert [s.cell for s in steps[1:-1]] == [(r, c) for r in range(3) for c in range(3)]
    np.testing.assert_allclose(steps[-1].totals, loss.totals, rtol=1e-12)
    assert steps[-1].metrics["total"] == pytest.approx(loss.total)
    assert steps[0].visited.sum() == 0 and steps[-1].visited.all()
    for s in steps[1:-1]:
        r, c = s.cell
        np.testing.assert_array_equal(s.terms, loss.terms[r, c])
        assert s.owner == loss.owner[r, c] and s.responsible == loss.responsible[r, c]
        assert s.visited.sum() == r * 3 + c + 1
        assert f"row {r + 1}, column {c + 1}" in s.caption
        assert f"Running total {yl.num(s.totals.sum(), 4)}." in s.caption
        with pytest.raises(ValueError):
            s.totals[0] = 1.0
    for s in steps:
        assert not re.search(r"\bnan\b|−0\b|-0\b|\b1 (objects|cells|boxes)\b", s.caption)
    assert f"the loss is {yl.num(loss.total, 4)}" in steps[-1].caption
    owned = [s for s in steps if s.owner >= 0]
    assert owned and all("responsible" in s.caption for s in owned)
    # an empty cell's caption shows its confidences and the λnoobj product
    empty = next(s for s in steps[1:-1] if s.owner < 0)
    r, c = empty.cell
    assert f"{yl.num(pred.confidence[r, c, 0], 2)}²" in empty.caption
    assert f"= {yl.num(loss.terms[r, c, NOOBJ], 3)}." in empty.caption


def test_toy_predictor_is_deterministic_and_leans_to_the_truth():
    params = Params(grid=4, boxes=3)
    truths = yl.sample_truths(np.random.default_rng(1), 3, 3)
    a = yl.toy_predictions(truths, params, 3, np.random.default_rng(5))
    b = yl.toy_predictions(truths, params, 3, np.random.default_rng(5))
    np.testing.assert_array_equal(a.boxes, b.boxes)
    np.testing.assert_array_equal(a.probs, b.probs)
    assert a.boxes.shape == (4, 4, 3, 4) and a.probs.shape == (4, 4, 3)
    np.testing.assert_allclose(a.probs.sum(axis=2), 1.0)
    loss = yl.yolo_loss(truths, a, params)
    for k, (cx, cy, *_rest, cls) in enumerate(truths):
        r, c = yl.cell_of(cx, cy, 4)
        if loss.owner[r, c] == k:
            assert a.probs[r, c].argmax() == cls
            assert loss.ious[r, c].max() > 0.3


def test_bad_input_is_refused_in_a_sentence():
    truths, pred = hand_example()
    params = Params(grid=2, boxes=2)
    for bad, words in [([[np.nan, 0.2, 0.1, 0.1, 0]], "NaN"),
                       ([[0.2, 0.2, 0.1]], "rows of cx"),
                       ([[1.2, 0.2, 0.1, 0.1, 0]], "centre"),
                       ([[0.2, 0.2, 0.0, 0.1, 0]], "width and height"),
                       ([[0.2, 0.2, 0.1, 0.1, 2]], "from 0 to 1"),
                       ([[0.2, 0.2, 0.1, 0.1, 0.5]], "whole number"),
                       ("abc", "must be numbers")]:
        with pytest.raises(ValueError, match=words):
            yl.yolo_loss(bad, pred, params)
    with pytest.raises(ValueError, match=r"3 × 3 cells.*\(2, 2, 2, 4\)"):
        yl.yolo_loss(truths, pred, Params(grid=3, boxes=2))
    negative = np.array(pred.boxes)
    negative[1, 1, 0, 2] = -0.1
    with pytest.raises(ValueError, match="negative"):
        yl.yolo_loss(truths, Predictions(negative, pred.confidence, pred.probs), params)
    nan_conf = np.array(pred.confidence)
    nan_conf[0, 1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        yl.yolo_loss(truths, Predictions(pred.boxes, nan_conf, pred.probs), params)
    with pytest.raises(ValueError, match="lambda_coord"):
        yl.yolo_loss(truths, pred, Params(grid=2, boxes=2, lambda_coord=-1.0))
    assert yl.yolo_loss([], pred, params).total == pytest.approx(
        0.5 * (pred.confidence ** 2).sum())


def test_captions_of_the_hand_example_word_for_word():
    """The numbers of `hand_example`'s working, as a student reads them."""
    truths, pred = hand_example()
    steps = list(yl.run(truths, pred, Params(grid=2, boxes=2, target="1")))
    assert [s.phase for s in steps] == ["start", "cell", "cell", "cell", "cell", "done"]
    assert steps[0].caption == ("1 object on a 2 × 2 grid; 1 cell must find one, 3 cells "
                                "should see nothing. Each cell predicts 2 boxes.")
    assert steps[1].caption == (
        "Cell (row 1, column 1) holds object 1's centre; predictor 1 overlaps it most "
        "(IoU 0.61; the others 0.15), so it is responsible. It adds x, y 0.05, √w, √h 0.05, "
        "objectness (1 − 0.8)² = 0.04, classes 0.18, no object (the other predictors' "
        "confidences) 0.08; this cell: 0.4. Running total 0.4.")
    assert steps[2].caption == (
        "Cell (row 1, column 2) holds no object centre, so its confidences should be 0: "
        "λnoobj × (0.1² + 0.2²) = 0.5 × 0.05 = 0.025. Running total 0.425.")
    assert steps[-1].caption == ("Done: the loss is 0.51 = x, y 0.05, √w, √h 0.05, "
                                 "objectness 0.04, no object 0.19, classes 0.18.")
    for s in (steps[0], steps[-1]):
        assert s.cell == (-1, -1) and s.owner == -1 and s.responsible == -1
        np.testing.assert_array_equal(s.ious, np.zeros(2))
        np.testing.assert_array_equal(s.terms, np.zeros(5))
    assert steps[1].owner == 0 and steps[1].responsible == 0
    assert steps[2].owner == -1 and steps[2].responsible == -1
    np.testing.assert_allclose(steps[1].ious, [31 / 51, 0.152587890625])
    assert steps[-1].loss is steps[1].loss
    assert steps[2].metrics == pytest.approx({"x, y": 0.05, "√w, √h": 0.05, "objectness": 0.04,
                                              "no object": 0.105, "classes": 0.18,
                                              "total": 0.425})
    assert steps[0].visited.dtype == bool


def test_one_predictor_per_cell_and_errors_in_y_and_h():
    """S = 1, B = 1. Truth centre (0.5, 0.5), 0.25 × 0.25; prediction x 0.5, y 0.3,
    w 0.25, h 0.16: x, y = 5 · (0.5 − 0.3)² = 0.2; √w, √h = 5 · (0.5 − 0.4)² = 0.05."""
    truths = [[0.5, 0.5, 0.25, 0.25, 0]]
    boxes = np.array([0.5, 0.3, 0.25, 0.16]).reshape(1, 1, 1, 4)
    pred = Predictions(boxes, np.full((1, 1, 1), 0.5), np.array([[[0.6, 0.4]]]))
    params = Params(grid=1, boxes=1, target="1")
    loss = yl.yolo_loss(truths, pred, params)
    assert loss.terms[0, 0, XY] == pytest.approx(0.2)
    assert loss.terms[0, 0, WH] == pytest.approx(0.05)
    assert loss.terms[0, 0, NOOBJ] == 0 and loss.left_out.dtype.kind == "i"
    caption = list(yl.run(truths, pred, params))[1].caption
    assert "its one predictor is responsible (IoU " in caption
    assert "no object" not in caption and "1 box." in next(yl.run(truths, pred, params)).caption


def test_two_objects_left_out_are_both_named():
    truths = [[0.1, 0.1, 0.1, 0.1, 0], [0.2, 0.2, 0.2, 0.2, 1], [0.3, 0.3, 0.1, 0.1, 1]]
    params = Params(grid=2, boxes=1)
    pred = yl.toy_predictions(truths, params, 2, np.random.default_rng(0))
    caption = next(yl.run(truths, pred, params)).caption
    assert caption.endswith(" Left out: object 2, 3 (another object's centre is in the same "
                            "cell, and YOLO v1 finds one object per cell).")


def test_the_toy_predictor_with_no_error_predicts_the_truth_exactly():
    truths = np.array([[0.3, 0.6, 0.2, 0.3, 1], [0.8, 0.2, 0.3, 0.2, 0]])
    params = Params(grid=3, boxes=2)
    pred = yl.toy_predictions(truths, params, 2, np.random.default_rng(4), jitter=0.0)
    loss = yl.yolo_loss(truths, pred, Params(grid=3, boxes=2, target="1"))
    assert loss.totals[XY] == pytest.approx(0, abs=1e-24)
    assert loss.totals[WH] == pytest.approx(0, abs=1e-24)
    owned = loss.owner >= 0
    best = pred.confidence[owned, loss.responsible[owned]]
    assert ((best >= 0.5) & (best <= 0.95)).all()
    idle = np.ones(pred.confidence.shape, bool)
    rs, cs = np.nonzero(owned)
    idle[rs, cs, loss.responsible[rs, cs]] = False
    assert (pred.confidence[idle] <= 0.3).all()
    assert ((pred.boxes[..., :2] >= 0.1) & (pred.boxes[..., :2] <= 0.9))[idle].all()
    assert ((pred.boxes[..., 2:] >= 0.05) & (pred.boxes[..., 2:] <= 0.3))[idle].all()
    assert (pred.probs[owned].max(axis=1) > 0.5).all()
    # a box shaken off the picture is clipped: its centre stays in its cell, its size in 0…1
    far = yl.toy_predictions(truths, params, 2, np.random.default_rng(4), jitter=5.0)
    assert ((far.boxes[..., :2] >= 0) & (far.boxes[..., :2] <= 1)).all()
    assert ((far.boxes[..., 2:] >= 0.02) & (far.boxes[..., 2:] <= 1)).all()
    shaken = far.boxes[owned, loss.responsible[owned]]
    assert ((shaken[:, :2] == 0) | (shaken[:, :2] == 1)).any(), "something was clipped"


def test_sample_truths_lie_inside_the_image():
    t = yl.sample_truths(np.random.default_rng(2), 200, 4)
    assert t.shape == (200, 5)
    assert (t[:, 0] - t[:, 2] / 2 >= 0).all() and (t[:, 0] + t[:, 2] / 2 <= 1).all()
    assert (t[:, 1] - t[:, 3] / 2 >= 0).all() and (t[:, 1] + t[:, 3] / 2 <= 1).all()
    assert set(t[:, 4]) == {0, 1, 2, 3}
    assert t[:, 0].std() > 0.15 and t[:, 1].std() > 0.15, "spread over the image"


def test_boundaries_of_the_checks():
    _, pred = hand_example()
    params = Params(grid=2, boxes=2)
    ok = [[0.0, 1.0, 1.0, 1.0, 1]]   # a centre on the corner, a box as big as the image
    assert yl.yolo_loss(ok, pred, params).owner[1, 0] == 0
    assert yl.cell_of(0.0, 1.0, 3) == (2, 0)
    assert yl.check_truths([], 2).shape == (0, 5)
    for bad in ([[0.5, 0.5, 1.5, 0.5, 0]], [[0.5, 0.5, 0.5, 1.01, 0]],
                [[-0.01, 0.5, 0.5, 0.5, 0]], [[0.5, 0.5, 0.5, 0.5, -1]]):
        with pytest.raises(ValueError):
            yl.yolo_loss(bad, pred, params)
    zero = np.array(pred.boxes)
    zero[1, 1, 1, 2:] = 0.0   # an empty predicted box is allowed (√0 = 0)
    assert yl.yolo_loss([], Predictions(zero, pred.confidence, pred.probs), params).total > 0
    for boxes, conf, probs in ((pred.boxes, pred.confidence[:, :, :1], pred.probs),
                               (pred.boxes, pred.confidence, pred.probs[..., 0]),
                               (pred.boxes, pred.confidence, pred.probs[..., :0]),
                               (pred.boxes[:1], pred.confidence, pred.probs)):
        with pytest.raises(ValueError, match="predictions must be"):
            yl.yolo_loss([], Predictions(boxes, conf, probs), params)
    with pytest.raises(ValueError, match=r"2 × 2 cells of 1 box and"):
        yl.yolo_loss([], pred, Params(grid=2, boxes=1))


def test_integer_inputs_are_taken_as_numbers():
    np.testing.assert_allclose(yl.corner_form([[1, 1, 1, 1]]), [[0.5, 0.5, 1, 1]])
    placed = yl.to_image(np.zeros((2, 2, 1, 4), int))
    np.testing.assert_allclose(placed[1, 1, 0, :2], [0.5, 0.5])


def test_captions_carry_the_terms_at_their_precision_on_a_random_example():
    """Non-round numbers: each figure in a caption is the term rounded to 3 digits (IoUs
    and confidences to 2), with the IoU as the objectness target."""
    rng = np.random.default_rng(11)
    params = Params(grid=3, boxes=2)
    truths = yl.sample_truths(rng, 5, 3)
    pred = yl.toy_predictions(truths, params, 3, rng)
    loss = yl.yolo_loss(truths, pred, params)
    steps = list(yl.run(truths, pred, params))
    n = yl.num
    assert steps[1].loss.total == pytest.approx(loss.total)
    for s in steps[1:-1]:
        r, c = s.cell
        t = loss.terms[r, c]
        if s.owner >= 0:
            j, conf = s.responsible, pred.confidence[r, c, s.responsible]
            assert (f"x, y {n(t[XY], 3)}, √w, √h {n(t[WH], 3)}, objectness "
                    f"({n(loss.ious[r, c, j], 2)} − {n(conf, 2)})² = {n(t[OBJ], 3)}, "
                    f"classes {n(t[yl.CLS], 3)}, no object (the other predictors' "
                    f"confidences) {n(t[NOOBJ], 3)}; this cell: {n(t.sum(), 3)}. "
                    f"Running total {n(s.totals.sum(), 4)}.") in s.caption
        else:
            squares = float((pred.confidence[r, c] ** 2).sum())
            assert "λnoobj × (" in s.caption
            assert f") = 0.5 × {n(squares, 3)} = {n(t[NOOBJ], 3)}." in s.caption
    parts = ", ".join(f"{name} {n(v, 3)}" for name, v in zip(yl.TERMS, loss.totals,
                                                             strict=True))
    assert steps[-1].caption == f"Done: the loss is {n(loss.total, 4)} = {parts}."
    odd = Params(grid=1, boxes=1, lambda_noobj=0.37)
    one = yl.toy_predictions([[0.5, 0.5, 0.3, 0.3, 0]], odd, 1, rng, jitter=0.4)
    loss = yl.yolo_loss([[0.5, 0.5, 0.3, 0.3, 0]], one, odd)
    caption = list(yl.run([[0.5, 0.5, 0.3, 0.3, 0]], one, odd))[1].caption
    assert f"(IoU {n(loss.ious[0, 0, 0], 2)})" in caption
    empty = list(yl.run([], one, odd))[1].caption
    assert f"= 0.37 × {n(float(one.confidence[0, 0, 0]) ** 2, 3)} = " in empty


def test_start_and_done_steps_name_no_cell_even_when_the_last_cell_has_an_object():
    truths = [[0.9, 0.9, 0.1, 0.1, 0], [0.1, 0.1, 0.1, 0.1, 0], [0.15, 0.15, 0.1, 0.1, 0]]
    params = Params(grid=2, boxes=2)
    pred = yl.toy_predictions(truths, params, 1, np.random.default_rng(0))
    steps = list(yl.run(truths, pred, params))
    for s in (steps[0], steps[-1]):
        assert s.owner == -1 and s.responsible == -1
    assert steps[0].caption.startswith("3 objects on a 2 × 2 grid; 2 cells must find one")
    with pytest.raises(ValueError, match="3 × 3 cells of 2 boxes"):
        yl.yolo_loss(truths, pred, Params(grid=3, boxes=2))


def test_the_toy_predictor_on_many_objects():
    rng = np.random.default_rng(9)
    params = Params(grid=12, boxes=2)
    truths = yl.sample_truths(rng, 60, 3)
    exact = yl.toy_predictions(truths, params, 3, np.random.default_rng(1), jitter=0.0)
    loss = yl.yolo_loss(truths, exact, Params(grid=12, boxes=2, target="1"))
    owned = loss.owner >= 0
    assert loss.left_out.size > 0, "some cells hold two centres"
    # the first object listed in each cell is the one predicted, every such cell has one
    assert (loss.ious[owned, loss.responsible[owned]] == pytest.approx(1.0))
    assert loss.totals[XY] == pytest.approx(0, abs=1e-20)
    best = exact.confidence[owned, loss.responsible[owned]]
    assert ((best >= 0.5) & (best <= 0.95)).all()
    right = exact.probs[owned].argmax(axis=1) == truths[loss.owner[owned], 4]
    assert right.mean() > 0.85, "the toy's probabilities lean to the right class"
    far = yl.toy_predictions(truths, params, 3, np.random.default_rng(1), jitter=5.0)
    assert ((far.boxes[..., :2] >= 0) & (far.boxes[..., :2] <= 1)).all()
    assert ((far.boxes[..., 2:] >= 0.02) & (far.boxes[..., 2:] <= 1)).all()
    assert (far.boxes[..., :2] == 0).any() and (far.boxes[..., :2] == 1).any()
    assert (far.boxes[..., 2:] == 0.02).any() and (far.boxes[..., 2:] == 1).any()
    # the shake is per coordinate, in proportion to the box: small jitter, small errors
    near = yl.toy_predictions(truths, params, 3, np.random.default_rng(1), jitter=0.05)
    near_loss = yl.yolo_loss(truths, near, params)
    got = near.boxes[owned, near_loss.responsible[owned]]
    want = truths[loss.owner[owned]]
    rel = (got[:, 2:] - want[:, 2:4]) / want[:, 2:4]
    assert 0.02 < np.abs(rel).mean() < 0.08
    assert abs(np.corrcoef(rel[:, 0], rel[:, 1])[0, 1]) < 0.5, "w and h shaken apart"


def test_sample_truths_defaults():
    t = yl.sample_truths(np.random.default_rng(0))
    assert t.shape == (3, 5)
    assert set(yl.sample_truths(np.random.default_rng(0), 300)[:, 4]) == {0, 1, 2}
