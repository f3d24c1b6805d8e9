"""Image, video and webcam sources: frames arrive as RGB, slow consumers skip frames
instead of queueing them, and every bad file or missing camera is a sentence, not a
traceback."""

import time

import cv2
import numpy as np
import pytest

from visualizer.sources import frames
from visualizer.sources.frames import Capture, StreamSpec


def write_clip(path, count=30, fps=25.0, size=(64, 48)):
    """A clip whose frame i is filled with grey level 8·i (and a red corner)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    assert writer.isOpened()
    for i in range(count):
        frame = np.full((size[1], size[0], 3), 8 * i % 256, np.uint8)
        frame[:8, :8] = (0, 0, 255)  # BGR red
        writer.write(frame)
    writer.release()
    return path


def test_an_image_arrives_as_rgb(tmp_path):
    bgr = np.zeros((30, 40, 3), np.uint8)
    bgr[:, :, 2] = 255  # red in OpenCV's order
    cv2.imwrite(str(tmp_path / "red.png"), bgr)
    picture = frames.read_image(tmp_path / "red.png")
    assert picture.image.shape == (30, 40, 3) and picture.name == "red.png"
    assert tuple(picture.image[5, 5]) == (255, 0, 0) and picture.note == ""


def test_a_large_image_is_scaled_down_with_a_note(tmp_path):
    cv2.imwrite(str(tmp_path / "big.png"), np.zeros((1000, 4000, 3), np.uint8))
    picture = frames.read_image(tmp_path / "big.png", max_side=800)
    assert picture.image.shape == (200, 800, 3)
    assert "4,000 × 1,000" in picture.note


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("empty.png", b"", r"empty \(0 bytes\)"),
    ("notes.png", b"these are words, not pixels\n", "not an image OpenCV can read"),
    ("missing.png", None, "no such file"),
])
def test_a_bad_image_is_one_sentence(tmp_path, name, content, expected):
    if content is not None:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(ValueError, match=expected):
        frames.read_image(tmp_path / name)


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("empty.mp4", b"", r"empty \(0 bytes\)"),
    ("notes.mp4", b"these are words, not frames\n" * 50, "not a video OpenCV can read"),
])
def test_a_bad_video_is_one_sentence(tmp_path, name, content, expected):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ValueError, match=expected):
        frames.check_stream(StreamSpec(path=str(tmp_path / name)))


def test_a_missing_camera_is_one_sentence():
    with pytest.raises(ValueError, match="No webcam answers at index 97"):
        frames.check_stream(StreamSpec(camera=97))


def test_a_clip_plays_in_order_and_ends_cleanly(tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", count=12, fps=200)
    first = frames.check_stream(StreamSpec(path=str(clip)))
    assert first.image.shape == (48, 64, 3)
    assert first.image[2, 2, 0] > 200 and first.image[2, 2, 2] < 60  # red stays red
    capture = Capture(StreamSpec(path=str(clip), loop=False)).start()
    seen = []
    deadline = time.monotonic() + 10
    while not capture.ended and time.monotonic() < deadline:
        newest = capture.latest()
        if newest is not None and (not seen or newest[0] != seen[-1]):
            seen.append(newest[0])
        time.sleep(0.001)
    capture.stop()
    assert capture.ended and capture.problem == "clip.mp4 has ended."
    assert seen == sorted(seen) and seen[-1] == 12


def test_a_slow_consumer_skips_frames_instead_of_queueing_them(tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", count=40, fps=200)
    capture = Capture(StreamSpec(path=str(clip), loop=False)).start()
    taken = []
    deadline = time.monotonic() + 10
    while not capture.ended and time.monotonic() < deadline:
        newest = capture.latest()
        if newest is not None:
            taken.append(newest[0])
        time.sleep(0.05)  # a consumer ten times slower than the clip
    capture.stop()
    assert capture.ended
    assert capture.dropped > 10 and len(set(taken)) < 20
    # what the consumer took was always the newest frame: numbers only ever rise
    assert taken == sorted(taken)


def test_a_video_loops_when_asked(tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", count=5, fps=200)
    capture = Capture(StreamSpec(path=str(clip), loop=True)).start()
    deadline = time.monotonic() + 10
    while (capture.latest() or (0,))[0] < 12 and time.monotonic() < deadline:
        time.sleep(0.005)
    capture.stop()
    assert capture.latest()[0] >= 12 and not capture.ended


def test_the_sample_clip_gives_its_frames():
    picture = frames.sample_frame(40)
    assert picture.image.shape == (480, 640, 3) and "frame 40" in picture.name
