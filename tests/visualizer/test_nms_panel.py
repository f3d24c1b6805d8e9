"""The NMS panel: the detector's boxes on a frame, pruned one kept box per step, live on a
video; what is drawn is read back from the screen, the kept set checked against OpenCV."""

import shutil

import cv2
import numpy as np
import pytest
from PySide6 import QtCore

from algorithms import nms
from tests.visualizer.helpers import load
from visualizer.panels.nms import CURRENT, KEPT
from visualizer.pixels import count_near, view_pixels
from visualizer.sources.frames import SAMPLE_CLIP, StreamSpec


@pytest.fixture
def window(make_window):
    return make_window("nms")


def control(window, group, name):
    return window.binders[group].group.child(name)


def run_to_the_end(window):
    player = window.session.player
    window.session.advance(10_000)
    return player.current


def test_the_sample_frame_has_faces_and_their_many_boxes(window):
    frame = window.session.panel.frame
    assert len(frame.boxes) > 20, "the detector's raw, overlapping boxes"
    assert 1 <= len(frame.kept) <= 6, "a few faces once NMS has pruned them"


def test_kept_boxes_match_opencv_on_the_frame_shown(window):
    panel = window.session.panel
    last = run_to_the_end(window)
    assert last.phase == "done"
    f, p = panel.frame, panel.params
    reference = cv2.dnn.NMSBoxes(f.boxes.tolist(), f.scores.tolist(), p.score_threshold,
                                 p.iou_threshold)
    assert sorted(last.kept.tolist()) == sorted(np.asarray(reference).ravel().tolist())


def test_each_step_is_drawn_kept_box_current_box_and_crossed_victims(window):
    panel = window.session.panel
    window.session.advance(2)  # the start, then the first kept box
    step = window.session.player.current
    assert step.current >= 0
    pixels = view_pixels(panel, panel.main)
    assert count_near(pixels, CURRENT, 40) > 200, "this step's box is drawn"
    window.session.advance(1)
    pixels = view_pixels(panel, panel.main)
    assert count_near(pixels, KEPT, 40) > 200, "the box kept before is drawn green"
    assert any(label.isVisible() and label.textItem.toPlainText().startswith("IoU")
               for label in panel.labels), "rivals carry their IoU"


def test_the_first_picture_shows_raw_boxes_and_what_nms_keeps(window):
    panel = window.session.panel
    pixels = view_pixels(panel, panel.main)
    assert count_near(pixels, KEPT, 40) > 200
    assert "raw" in window.caption.text() and "keeps" in window.caption.text()


def test_a_tighter_threshold_keeps_fewer_boxes_and_a_detector_change_detects_again(window):
    panel = window.session.panel
    before = len(panel.frame.boxes)
    control(window, 0, "min_size").setValue(120)
    assert len(panel.frame.boxes) < before, "bigger windows only: fewer raw boxes"
    kept_at_half = len(run_to_the_end(window).kept)
    control(window, 0, "score_threshold").setValue(0.95)
    assert len(run_to_the_end(window).kept) <= kept_at_half


def test_soft_nms_lowers_scores_instead_of_removing(window):
    control(window, 0, "method").setValue("soft-gaussian")
    window.session.advance(3)
    step = window.session.player.current
    assert (step.scores < window.session.panel.frame.scores).any()


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("empty.png", b"", "empty"),
    ("words.mp4", b"not a video at all\n" * 40, "not a video"),
])
def test_a_bad_file_is_refused_and_the_frame_kept(qtbot, window, tmp_path, name, content,
                                                  expected):
    before = window.session.panel.frame
    (tmp_path / name).write_bytes(content)
    assert not load(qtbot, window, tmp_path / name)
    assert window.banner.level == "error" and expected in window.banner.text.text()
    assert window.session.panel.frame is before


def test_an_image_opens_and_is_named_in_the_data_group(qtbot, window):
    assert load(qtbot, window, SAMPLE_CLIP.parent / "pictures" / "astronaut.jpg")
    group = window.panel_controls["nms"].data.group
    assert group.child("shown file").value() == "astronaut.jpg"
    assert len(window.session.panel.frame.kept) >= 1, "the astronaut's face"


def test_a_session_brings_the_picture_and_the_step_back(qtbot, window, make_window, tmp_path):
    picture = shutil.copy(SAMPLE_CLIP.parent / "pictures" / "astronaut.jpg", tmp_path / "a.jpg")
    assert load(qtbot, window, picture)
    control(window, 0, "iou_threshold").setValue(0.3)
    window.session.advance(3)
    window.save_session(str(tmp_path / "lesson.json"))
    again = make_window("kmeans")
    assert again.open_session(str(tmp_path / "lesson.json"))
    panel = again.session.panel
    assert panel.id == "nms" and panel.frame.name == "a.jpg"
    assert panel.params.iou_threshold == 0.3 and again.session.player.position == 2
    np.testing.assert_array_equal(again.session.player.current.kept,
                                  window.session.player.current.kept)


def test_live_frames_arrive_and_a_step_freezes_one(qtbot, window):
    panel = window.session.panel
    control(window, 1, "live").setValue(True)
    assert panel.live.running
    qtbot.waitUntil(lambda: len(panel.live.shown_at) >= 4, timeout=15_000)
    assert "frame" in panel.frame.name and "live" in panel.status.item.textItem.toPlainText()
    qtbot.keyClick(window, QtCore.Qt.Key_Space)  # Play, as a teacher would
    assert not panel.live.running and not panel.data_params.live
    qtbot.waitUntil(lambda: window.session.player.position >= 1, timeout=5000)
    frozen = panel.frame
    qtbot.wait(200)
    assert panel.frame is frozen, "no frame replaces the one being stepped through"
    assert not control(window, 1, "live").value(), "the control shows it is no longer live"


def test_a_video_file_plays_live(qtbot, window, tmp_path):
    clip = shutil.copy(SAMPLE_CLIP, tmp_path / "faces.mp4")
    assert load(qtbot, window, clip)
    panel = window.session.panel
    assert panel.live.running
    qtbot.waitUntil(lambda: len(panel.live.shown_at) >= 3, timeout=15_000)
    assert panel.frame.name.startswith("faces.mp4, frame")


def test_the_steps_agree_with_the_algorithm_run_directly(window):
    panel = window.session.panel
    last = run_to_the_end(window)
    direct = list(nms.run(panel.frame.boxes, panel.frame.scores, panel.params.for_nms()))[-1]
    assert np.array_equal(last.kept, direct.kept)


def click(qtbot, panel, x, y, button=QtCore.Qt.LeftButton):
    """A real mouse click on the frame at image coordinates (x, y)."""
    scene = panel.main.vb.mapViewToScene(QtCore.QPointF(x, y))
    qtbot.mouseClick(panel.canvas.viewport(), button, pos=panel.canvas.mapFromScene(scene))


def test_boxes_drawn_by_hand_replace_the_detector_and_teach_iou(qtbot, window):
    panel = window.session.panel
    click(qtbot, panel, 200, 200)
    control(window, 1, "new_box_score").setValue(0.8)
    click(qtbot, panel, 220, 200)
    assert len(panel.frame.boxes) == 2 and "drawn by hand" in window.caption.text()
    side = 0.25 * 480
    np.testing.assert_allclose(panel.frame.boxes, [[200 - side / 2, 200 - side / 2, side, side],
                                                   [220 - side / 2, 200 - side / 2, side, side]],
                               atol=1.0)
    np.testing.assert_allclose(panel.frame.scores, [0.9, 0.8])
    last = run_to_the_end(window)
    # by hand: overlap 100 × 120 of two 120 × 120 squares, IoU = 12000 / 16800 ≈ 0.71 > 0.5
    first_keep = window.session.player.history[1]
    assert first_keep.ious[1] == pytest.approx(12000 / 16800, abs=0.02)
    assert last.kept.tolist() == [0]
    click(qtbot, panel, 220 + side / 2 - 2, 200, QtCore.Qt.RightButton)  # inside box 2 only
    assert len(panel.frame.boxes) == 1
    qtbot.keyClick(window, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier)
    assert len(panel.frame.boxes) == 2
    for _ in range(2):
        qtbot.keyClick(window, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier)
    assert panel.frame is panel.detected, "with no box drawn, the detector's boxes are back"


def test_the_live_view_records_to_mp4_until_a_step_freezes_it(qtbot, window, tmp_path):
    panel = window.session.panel
    window.actions["record"].trigger()      # not live yet: refused, nothing ticked
    assert not window.actions["record"].isChecked() and "live" in window.banner.text.text()
    panel.live.follow(StreamSpec(path=str(SAMPLE_CLIP), loop=True, realtime=False))
    qtbot.waitUntil(lambda: len(panel.live.shown_at) >= 2, timeout=15_000)
    film = tmp_path / "live.mp4"
    window.record_live(str(film))
    assert window.actions["record"].isChecked()
    qtbot.waitUntil(lambda: window.recording is not None and window.recording.frames >= 6,
                    timeout=20_000)
    window.session.player.step_now()          # Step freezes the stream: the film is closed
    qtbot.waitUntil(lambda: "Saved" in window.banner.text.text(), timeout=10_000)
    assert window.recording is None and not window.actions["record"].isChecked()
    video = cv2.VideoCapture(str(film))
    frames = int(video.get(cv2.CAP_PROP_FRAME_COUNT))
    ok, first = video.read()
    video.release()
    assert ok and frames >= 6 and f"Saved {frames} live frames" in window.banner.text.text()
    # the film is the canvas, at its size (codecs want even sides), with the kept boxes
    canvas = panel.canvas
    assert abs(first.shape[1] - canvas.width()) <= 1 and abs(first.shape[0] - canvas.height()) <= 1
    assert count_near(first[..., ::-1], KEPT, tolerance=40) > 200
