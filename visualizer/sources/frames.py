"""Pictures and moving pictures: an image file, a video file, a webcam. No Qt here.

Every source hands a panel RGB frames, (height, width, 3) uint8 arrays, and a name. An
image is read once (`read_image`). A video or a webcam is a `Capture`: a thread of its own
reads frames as fast as they come (a video file at its own frame rate) and keeps only the
newest, so a consumer slower than the camera skips frames instead of falling behind; the
UI thread only ever takes the newest frame, which never blocks.

Bad input is a ValueError with one sentence for the user: a 0-byte file, a file OpenCV
cannot read, a camera index with no camera. A stream that fails later (a camera unplugged,
a video that ends) says so through `Capture.problem` and `Capture.ended`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

# A missing camera is said once, in the banner, not also in OpenCV's warnings on stderr.
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)

MAX_SIDE = 1920        # larger pictures are scaled down for display (a note says so)
CAMERA_WAIT = 2.0      # seconds a camera may take to deliver its first frame
SAMPLE_CLIP = Path(__file__).resolve().parents[2] / "resources" / "sample_faces.mp4"


@dataclass(frozen=True, eq=False)
class Picture:
    """One frame to show: from an image file, or taken from a video or a webcam."""

    name: str
    image: np.ndarray          # (h, w, 3) uint8 RGB
    note: str = ""             # e.g. "scaled down from 4000 × 3000"
    path: str = ""             # the file it was read from, if any (sessions refer to it)


def _empty_or_missing(path: Path) -> None:
    if not path.exists():
        raise ValueError(f"{path.name}: no such file.")
    if path.is_dir():
        raise ValueError(f"{path.name} is a folder, not a file.")
    if path.stat().st_size == 0:
        raise ValueError(f"{path.name} is empty (0 bytes).")


def fit_for_display(rgb: np.ndarray, max_side: int = MAX_SIDE) -> tuple[np.ndarray, str]:
    """The frame, scaled down (aspect kept) if its longer side passes `max_side`."""
    h, w = rgb.shape[:2]
    if max(h, w) <= max_side:
        return rgb, ""
    scale = max_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return (cv2.resize(rgb, size, interpolation=cv2.INTER_AREA),
            f"scaled down from {w:,} × {h:,} to {size[0]:,} × {size[1]:,} for display")


def to_rgb(frame: np.ndarray) -> np.ndarray:
    """OpenCV's BGR, BGRA or grey uint8 frame as RGB."""
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def read_image(path, max_side: int = MAX_SIDE) -> Picture:
    """An image file as a Picture, or a ValueError that says what is wrong with it."""
    path = Path(path)
    _empty_or_missing(path)
    raw = np.fromfile(path, dtype=np.uint8)  # imdecode: any path, any characters in it
    frame = cv2.imdecode(raw, cv2.IMREAD_COLOR)
    if frame is None:
        raise ValueError(f"{path.name} is not an image OpenCV can read "
                         "(PNG, JPEG, BMP, TIFF and WebP are).")
    image, note = fit_for_display(to_rgb(frame), max_side)
    return Picture(path.name, np.ascontiguousarray(image), note, str(path))


@dataclass(frozen=True)
class StreamSpec:
    """Where frames come from: a video file (path) or a webcam (camera index)."""

    path: str | None = None
    camera: int | None = None
    loop: bool = True          # a video starts again when it ends
    realtime: bool = True      # a video plays at its own frame rate (False: each frame is
                               # read once the one before was taken, as fast as it is used)

    @property
    def name(self) -> str:
        return f"webcam {self.camera}" if self.camera is not None else Path(self.path).name

    def open(self) -> cv2.VideoCapture:
        if self.camera is not None:
            return cv2.VideoCapture(self.camera)
        return cv2.VideoCapture(str(self.path))


def check_stream(spec: StreamSpec) -> Picture:
    """Open the stream once and take its first frame: a ValueError if that fails."""
    if spec.path is not None:
        _empty_or_missing(Path(spec.path))
    capture = spec.open()
    try:
        if not capture.isOpened():
            if spec.camera is not None:
                raise ValueError(f"No webcam answers at index {spec.camera}: is one plugged "
                                 "in, and not in use by another program?")
            raise ValueError(f"{spec.name} is not a video OpenCV can read.")
        deadline = time.monotonic() + CAMERA_WAIT
        ok, frame = capture.read()
        while not ok and spec.camera is not None and time.monotonic() < deadline:
            time.sleep(0.05)
            ok, frame = capture.read()
        if not ok or frame is None:
            raise ValueError(f"{spec.name} gave no picture"
                             + (": the camera may be in use." if spec.camera is not None
                                else ": the file may be damaged."))
    finally:
        capture.release()
    image, note = fit_for_display(to_rgb(frame))
    return Picture(spec.name, image, note)


@dataclass
class Capture:
    """Frames of a video or a webcam read on a thread of their own; only the newest kept.

    `latest()` returns (number, frame) of the newest frame (numbered from 1 since start),
    or None before the first. `dropped` counts frames read but replaced before anyone took
    them. `ended` is set when a video ends without looping or a camera stops answering;
    `problem` then says why in a sentence.
    """

    spec: StreamSpec
    read_seconds: float = 0.0                 # the last frame's read + convert time
    dropped: int = 0
    ended: bool = False
    problem: str = ""
    _frame: tuple | None = None
    _taken: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def start(self) -> Capture:
        self._thread = threading.Thread(target=self._read, name="capture", daemon=True)
        self._thread.start()
        return self

    def latest(self) -> tuple[int, np.ndarray] | None:
        with self._lock:
            if self._frame is not None:
                self._taken = self._frame[0]
            return self._frame

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    def _read(self) -> None:
        capture = self.spec.open()
        try:
            if not capture.isOpened():
                self._end(f"{self.name} could not be opened.")
                return
            fps = capture.get(cv2.CAP_PROP_FPS) if self.spec.camera is None else 0
            fps = fps if self.spec.realtime else 0
            period = 1 / fps if fps and 1 <= fps <= 240 else 0  # a file plays in real time
            number, failures, due = 0, 0, time.monotonic()
            pace = self.spec.camera is None and not self.spec.realtime
            while not self._stop.is_set():
                if pace and not self._wanted():
                    # As fast as it is used, no faster: decoding frames nobody takes would
                    # only take a core from the analysis.
                    self._stop.wait(0.001)
                    continue
                start = time.monotonic()
                ok, frame = capture.read()
                if not ok or frame is None:
                    if self.spec.camera is not None:
                        failures += 1
                        if failures < 20:   # a camera may hiccup: give it a second
                            time.sleep(0.05)
                            continue
                        self._end(f"{self.name} stopped sending pictures (unplugged?). "
                                  "The last picture stays on screen.")
                        return
                    if self.spec.loop and number > 0:
                        capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                        continue
                    self._end(f"{self.name} has ended." if number else
                              f"{self.name} gave no picture: the file may be damaged.")
                    return
                failures = 0
                rgb = to_rgb(frame)
                rgb, _ = fit_for_display(rgb)
                number += 1
                with self._lock:
                    if self._frame is not None and self._taken != self._frame[0]:
                        self.dropped += 1
                    self._frame = (number, rgb)
                self.read_seconds = time.monotonic() - start
                if period:
                    due = max(due + period, time.monotonic() - period)
                    self._stop.wait(max(0.0, due - time.monotonic()))
        finally:
            capture.release()

    def _wanted(self) -> bool:
        """Whether the newest frame has been taken (or there is none yet)."""
        with self._lock:
            return self._frame is None or self._taken == self._frame[0]

    def _end(self, problem: str) -> None:
        self.problem = problem
        self.ended = True


def sample_frame(number: int = 0) -> Picture:
    """Frame `number` of the bundled sample clip (several faces in view, moving)."""
    capture = cv2.VideoCapture(str(SAMPLE_CLIP))
    try:
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or 1
        capture.set(cv2.CAP_PROP_POS_FRAMES, min(max(0, number), count - 1))
        ok, frame = capture.read()
    finally:
        capture.release()
    if not ok:
        raise ValueError(f"the sample clip {SAMPLE_CLIP.name} could not be read.")
    return Picture(f"{SAMPLE_CLIP.name}, frame {number}", to_rgb(frame))
