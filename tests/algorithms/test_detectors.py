"""The Haar detectors against OpenCV's own detectMultiScale, on the bundled pictures and clip."""

import importlib.util
import math
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

from algorithms import detectors, nms

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
CLIP = RESOURCES / "sample_faces.mp4"
# The astronaut's face in pictures/astronaut.jpg (512×512), located by eye and confirmed by
# OpenCV's own merged answer (detectMultiScale, minNeighbors=3) on the picture.
ASTRONAUT_FACE = np.array([177, 66, 95, 95])


def astronaut():
    image = cv2.imread(str(RESOURCES / "pictures" / "astronaut.jpg"))
    assert image is not None
    return image


def clip_frame(index):
    capture = cv2.VideoCapture(str(CLIP))
    capture.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, frame = capture.read()
    capture.release()
    assert ok
    return frame


def scene():
    """The clip's own record of where every sprite is (resources/make_clip.py)."""
    spec = importlib.util.spec_from_file_location("make_clip", RESOURCES / "make_clip.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, module.Scene()


def inside(boxes, region):
    """Which boxes have their centre inside the region (x, y, w, h)."""
    centre = boxes[:, :2] + boxes[:, 2:] / 2
    return ((centre >= region[:2]) & (centre <= region[:2] + region[2:])).all(1)


def test_raw_boxes_are_exactly_opencvs_unmerged_windows():
    image = astronaut()
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    found = detectors.detect(image, detectors.Params(working_width=512, min_size=24))
    classifier = detectors.cascade("face")
    raw = classifier.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=0, minSize=(24, 24))
    assert len(found) == len(raw) >= 20
    assert sorted(map(tuple, found.boxes.tolist())) == sorted(map(tuple, np.asarray(raw,
                                                                                  float).tolist()))
    # and OpenCV's merged answer is what grouping our raw boxes gives
    for neighbours in (1, 3, 5):
        merged = classifier.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=neighbours,
                                             minSize=(24, 24))
        np.testing.assert_array_equal(
            np.array(sorted(detectors.group(found.boxes, neighbours).tolist())),
            np.array(sorted(np.asarray(merged, float).tolist())))


def test_finds_the_astronauts_face_with_many_overlapping_boxes_that_nms_reduces_to_one():
    found = detectors.detect(astronaut())
    on_face = nms.iou(ASTRONAUT_FACE, found.boxes) > 0.5
    assert on_face.sum() >= 10                       # raw material for NMS
    kept = nms.nms(found.boxes, found.scores, 0.3, 0.5)
    assert (nms.iou(ASTRONAUT_FACE, found.boxes[kept]) > 0.5).sum() == 1
    best = kept[0]                                   # the highest score is on the face
    assert nms.iou(ASTRONAUT_FACE, found.boxes[best : best + 1])[0] > 0.5


def test_finds_every_face_in_view_on_frames_of_the_bundled_clip():
    make_clip, sc = scene()
    frames = make_clip.FPS * make_clip.SECONDS
    for index in (20, 75, 130):
        found = detectors.detect(clip_frame(index))
        heads = [box for name, box in sc.truth(index / (frames - 1)) if name == "head"]
        assert len(heads) >= 2
        assert len(found) >= 10
        for head in heads:
            assert inside(found.boxes, head).any(), f"frame {index}: no box on {head}"
        kept = nms.nms(found.boxes, found.scores, 0.3, 0.5)
        assert len(heads) <= len(kept) < len(found)


def test_the_cat_cascade_finds_the_cat_on_the_clip():
    make_clip, sc = scene()
    frames = make_clip.FPS * make_clip.SECONDS
    hits = []
    for index in (60, 75, 90):
        cat = [box for name, box in sc.truth(index / (frames - 1)) if name == "cat"]
        assert cat
        found = detectors.detect(clip_frame(index), detectors.Params(detector="cat face"))
        hits.append(bool(inside(found.boxes, cat[0]).any()))
    assert all(hits)


def test_working_size_keeps_the_aspect_ratio_and_boxes_are_scaled_back():
    assert detectors.working_size(640, 480, 320) == (320, 240)
    assert detectors.working_size(641, 480, 320) == (320, 240)
    assert detectors.working_size(300, 200, 320) == (300, 200)   # never enlarged
    assert detectors.working_size(5000, 1, 320) == (320, 1)
    frame = clip_frame(75)
    found = detectors.detect(frame, detectors.Params(working_width=320, min_size=48))
    assert found.work_size == (320, 240) and found.frame_size == (640, 480)
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(gray, (320, 240), interpolation=cv2.INTER_AREA)
    direct = detectors.detect(small, detectors.Params(working_width=320, min_size=24))
    np.testing.assert_array_equal(found.boxes, direct.boxes * 2)
    np.testing.assert_array_equal(found.weights, direct.weights)


def test_min_size_is_in_full_frame_pixels():
    frame = clip_frame(75)
    found = detectors.detect(frame, detectors.Params(min_size=90))
    assert len(found) and found.boxes[:, 2].min() >= 90 - 2   # rounding at the working size
    assert detectors.detect(frame, detectors.Params(min_size=2000)).boxes.shape == (0, 4)


def test_the_frame_is_never_modified_and_may_be_read_only():
    frame = clip_frame(75)
    before = frame.copy()
    frame.flags.writeable = False
    found = detectors.detect(frame)
    np.testing.assert_array_equal(frame, before)
    assert len(found)


def test_grey_bgr_and_bgra_frames_give_the_same_boxes():
    frame = clip_frame(75)
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    bgra = cv2.cvtColor(frame, cv2.COLOR_BGR2BGRA)
    results = [detectors.detect(f) for f in (frame, gray, gray[:, :, None], bgra)]
    for other in results[1:]:
        np.testing.assert_array_equal(other.boxes, results[0].boxes)


def test_scores_are_the_logistic_of_the_level_weights():
    found = detectors.detect(astronaut())
    expected = [1 / (1 + math.exp(-w)) for w in found.weights]
    np.testing.assert_allclose(found.scores, expected, rtol=1e-12)
    assert ((found.scores > 0) & (found.scores < 1)).all()
    # the face cascade's last stage passes nothing below its threshold of −2.99
    assert found.weights.min() >= -2.9929
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        extreme = detectors.score_of([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    np.testing.assert_allclose(extreme, [0, 1 / (1 + math.exp(40)), 0.5,
                                         1 / (1 + math.exp(-40)), 1])
    assert np.all(np.diff(detectors.score_of([-30.0, -29.0, 29.0, 30.0])) > 0)


def test_detections_are_immutable_and_timed():
    found = detectors.detect(astronaut())
    for array in (found.boxes, found.scores, found.weights):
        with pytest.raises(ValueError):
            array[0] = 0
    assert set(found.seconds) == {"prepare", "detect"}
    assert all(v >= 0 for v in found.seconds.values())
    assert found.detector == "face" and len(found) == len(found.boxes)
    with pytest.raises(TypeError):
        found.seconds["detect"] = 0


def test_detection_in_worker_threads_matches_detection_in_this_one():
    # OpenCV's own threads report windows in any order; detect() sorts them by position,
    # so box numbers are the same every time
    frames = [clip_frame(i) for i in (40, 75, 110)]
    here = [detectors.detect(f).boxes for f in frames]
    for boxes in here:
        assert (np.diff(boxes[:, 0]) >= 0).all()
    with ThreadPoolExecutor(3) as pool:
        there = list(pool.map(lambda f: detectors.detect(f).boxes, frames))
    for a, b in zip(here, there, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("frame", "message"), [
    (np.zeros((48, 64, 3), np.float32), "8-bit"),
    (np.zeros((0, 64, 3), np.uint8), "empty"),
    (np.zeros((48, 64, 2), np.uint8), "grey, BGR or BGRA"),
    (np.zeros(64, np.uint8), "grey, BGR or BGRA"),
])
def test_bad_frames_get_a_clear_message(frame, message):
    with pytest.raises(ValueError, match=message):
        detectors.detect(frame)


def test_bad_parameters_get_a_clear_message():
    frame = np.zeros((48, 64), np.uint8)
    with pytest.raises(ValueError, match="detector must be one of"):
        detectors.detect(frame, detectors.Params(detector="dog"))
    with pytest.raises(ValueError, match="scale_factor must be between"):
        detectors.detect(frame, detectors.Params(scale_factor=1.0))
    with pytest.raises(ValueError, match="detector must be one of"):
        detectors.cascade("dog")
    with pytest.raises(ValueError, match="min_neighbors must not be negative"):
        detectors.group([[0, 0, 1, 1]], -1)
    assert detectors.group(np.zeros((0, 4))).shape == (0, 4)


def test_a_missing_cascade_file_says_so(monkeypatch, tmp_path):
    monkeypatch.setattr(cv2.data, "haarcascades", str(tmp_path))
    monkeypatch.setattr(detectors, "_local", type(detectors._local)())
    with pytest.raises(ValueError, match="missing or unreadable"):
        detectors.cascade("cat face")


def test_a_plain_frame_gives_no_boxes():
    found = detectors.detect(np.full((240, 320, 3), 128, np.uint8))
    assert found.boxes.shape == (0, 4) and found.scores.shape == (0,)
