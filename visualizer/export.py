"""PNG of the canvas; GIF and MP4 of a run. OpenCV writes both animations."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import cv2
import numpy as np
from PySide6 import QtGui, QtWidgets

ANIMATIONS = (".gif", ".mp4")
GIF_MAX_WIDTH = 960  # GIF frames are kept in memory until written: keep them modest


def grab(widget: QtWidgets.QWidget) -> np.ndarray:
    """The widget as it looks now, as an (h, w, 3) RGB array."""
    image = widget.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB888)
    h, w = image.height(), image.width()
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())
    return rows[:, : w * 3].reshape(h, w, 3).copy()


def save_png(widget: QtWidgets.QWidget, path: str) -> None:
    if not widget.grab().save(str(path), "PNG"):
        raise ValueError(f"could not write {path}")


def write_animation(path: str, frames: Iterable[np.ndarray], fps: float,
                    progress: Callable[[int], bool] | None = None) -> int:
    """Write RGB frames to a .gif or .mp4; `progress(n)` returning False cancels.

    Returns the number of frames written (0 when cancelled: no file is left behind).
    """
    path = Path(path)
    kind = path.suffix.lower()
    if kind not in ANIMATIONS:
        raise ValueError(f"cannot export '{path.name}': use a .gif or .mp4 file name")
    if kind == ".gif":
        return _write_gif(path, frames, fps, progress)
    return _write_mp4(path, frames, fps, progress)


def _bgr(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)


def _write_gif(path, frames, fps, progress) -> int:
    kept = []
    for i, frame in enumerate(frames):
        if frame.shape[1] > GIF_MAX_WIDTH:
            scale = GIF_MAX_WIDTH / frame.shape[1]
            frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        kept.append(_bgr(frame))
        if progress is not None and progress(i + 1) is False:
            return 0
    if not kept:
        raise ValueError("nothing to export: take at least one step first")
    animation = cv2.Animation()
    animation.frames = kept
    animation.durations = [max(20, round(1000 / fps))] * len(kept)
    animation.loop_count = 0
    if not cv2.imwriteanimation(str(path), animation):
        raise ValueError(f"could not write {path}")
    return len(kept)


def _write_mp4(path, frames, fps, progress) -> int:
    writer, count = None, 0
    try:
        for frame in frames:
            h, w = (frame.shape[0] // 2) * 2, (frame.shape[1] // 2) * 2  # codecs want even sizes
            if writer is None:
                writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
                if not writer.isOpened():
                    raise ValueError(f"could not open {path} for writing")
            writer.write(_bgr(frame[:h, :w]))
            count += 1
            if progress is not None and progress(count) is False:
                writer.release()
                writer = None
                path.unlink(missing_ok=True)
                return 0
    finally:
        if writer is not None:
            writer.release()
    if count == 0:
        raise ValueError("nothing to export: take at least one step first")
    return count


def replay(session) -> Iterable[np.ndarray]:
    """Frames of the kept steps up to the one shown, drawn again on the live canvas."""
    try:
        for snapshot in session.player.snapshots():
            session.panel.draw(snapshot)
            session.panel.background.wait()  # regions and the like arrive before the grab
            yield grab(session.panel.canvas)
    finally:
        session.redraw()
