"""Pictures and films of a run for slides: PNG (canvas, 2× or a 16:9 slide), SVG, and GIF
or MP4 of the run from step 1 to the step shown.

Animations are encoded by FFmpeg (the binary imageio-ffmpeg ships), fed raw frames through
a pipe: GIFs get a palette made for the run (palettegen/paletteuse, no dithering), so a grey
point stays grey, and MP4 is H.264 in yuv420p, which every browser and slide program plays.
OpenCV's writers could do neither: a poor global GIF palette (halos, tinted text) and only
MPEG-4 Part 2 in MP4.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

ANIMATIONS = (".gif", ".mp4")
PICTURES = (".png", ".svg")
GIF_MAX_WIDTH = 1280     # GIF frames wait in the palette filter until the end: keep them modest
SIZES = {"canvas": None, "double": "2× the canvas (sharp on a projector)",
         "slide": "1920 × 1080 (a 16:9 slide)"}
SLIDE = QtCore.QSize(1920, 1080)
ASK_ABOVE = 300          # frames: a longer export asks first


def grab(widget: QtWidgets.QWidget, size: str | None = None) -> np.ndarray:
    """The widget as it looks now, as an (h, w, 3) RGB array, at the size asked for."""
    image = render(widget, size).convertToFormat(QtGui.QImage.Format.Format_RGB888)
    h, w = image.height(), image.width()
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())
    return rows[:, : w * 3].reshape(h, w, 3).copy()


def render(widget: QtWidgets.QWidget, size: str | None = None) -> QtGui.QImage:
    """Paint the widget into an image: as shown, twice as sharp ("double"), or laid out
    again at 16:9 and painted at 1920 × 1080 ("slide")."""
    if size in (None, "canvas"):
        return widget.grab().toImage()
    if size == "double":
        return _painted(widget, widget.size() * 2)
    if size != "slide":
        raise ValueError(f"unknown picture size {size!r}; choose one of {', '.join(SIZES)}")
    old_min, old_max = widget.minimumSize(), widget.maximumSize()
    logical = SLIDE / 1.5  # laid out at 1280 × 720, painted 1.5× sharper
    widget.setFixedSize(logical)
    _settle(widget)
    try:
        return _painted(widget, SLIDE)
    finally:
        widget.setMinimumSize(old_min)
        widget.setMaximumSize(old_max)
        QtWidgets.QApplication.processEvents()


def _settle(widget) -> None:
    """Let a new size take effect and what it starts arrive before the picture is painted:
    the legends' reflow, then the regions shaded again for the new view (on a busy machine
    they came after the paint, and the slide showed part of the plot unshaded)."""
    QtWidgets.QApplication.processEvents()
    QtWidgets.QApplication.processEvents()   # what the resize queued for the next pass
    work = getattr(widget, "work", None)
    if work is not None:
        work.wait()


def _painted(widget, target: QtCore.QSize) -> QtGui.QImage:
    image = QtGui.QImage(target, QtGui.QImage.Format.Format_RGB32)
    image.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(image)
    painter.setRenderHints(QtGui.QPainter.Antialiasing | QtGui.QPainter.TextAntialiasing
                           | QtGui.QPainter.SmoothPixmapTransform)
    painter.scale(target.width() / widget.width(), target.height() / widget.height())
    # QWidget's own render: a graphics view overrides it with one that draws its scene only
    QtWidgets.QWidget.render(widget, painter, QtCore.QPoint(), QtGui.QRegion(),
                             QtWidgets.QWidget.RenderFlag.DrawChildren)
    painter.end()
    return image


def save_picture(canvas, path, size: str | None = None) -> None:
    """PNG at the chosen size, or SVG (see save_svg)."""
    path = Path(path)
    _settle(canvas)   # what the last step or resize started is in the picture
    if path.suffix.lower() == ".svg":
        save_svg(canvas, path)
        return
    if path.suffix.lower() != ".png":
        raise ValueError(f"cannot save '{path.name}' as a picture: use a .png or .svg name")
    if not render(canvas, size).save(str(path), "PNG"):
        raise ValueError(f"could not write {path}")


def save_svg(canvas, path) -> None:
    """The canvas as SVG, painted by Qt's SVG generator: lines, curves and text stay vectors
    (markers and images stay pictures). Items cached as bitmaps for speed (the axes) are
    painted directly while it draws. pyqtgraph's own SVG exporter cannot read the paths
    today's Qt writes (pyqtgraph issue 3485)."""
    from PySide6 import QtSvg

    scene = canvas.scene()
    cached = [(item, item.cacheMode()) for item in scene.items()
              if item.cacheMode() != QtWidgets.QGraphicsItem.CacheMode.NoCache]
    for item, _ in cached:
        item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.NoCache)
    generator = QtSvg.QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(canvas.size())
    generator.setViewBox(QtCore.QRect(0, 0, canvas.width(), canvas.height()))
    generator.setTitle("Stepwise")
    painter = QtGui.QPainter(generator)
    try:
        visible = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
        scene.render(painter, QtCore.QRectF(0, 0, canvas.width(), canvas.height()), visible)
    finally:
        painter.end()
        for item, mode in cached:
            item.setCacheMode(mode)
    if not Path(path).exists():
        raise ValueError(f"could not write {path}")


def save_png(widget: QtWidgets.QWidget, path) -> None:
    save_picture(widget, path)


def write_animation(path, frames: Iterable[np.ndarray], fps: float,
                    progress: Callable[[int], bool] | None = None) -> int:
    """Write RGB frames to a .gif or .mp4; `progress(n)` returning False cancels.

    Returns the number of frames written (0 when cancelled: no file is left behind).
    """
    path = Path(path)
    kind = path.suffix.lower()
    if kind not in ANIMATIONS:
        raise ValueError(f"cannot export '{path.name}': use a .gif or .mp4 file name")
    film = Film(path, fps, GIF if kind == ".gif" else MP4)
    count = 0
    try:
        for frame in frames:
            film.add(frame)
            count += 1
            if progress is not None and progress(count) is False:
                film.abandon()
                return 0
        if count == 0:
            raise ValueError("nothing to export: take at least one step first")
        film.finish()
    except BaseException:
        film.abandon()
        raise
    return count


# What FFmpeg does with the frames. H.264 in yuv420p plays in every browser and slide
# program; the GIF's palette is made from all the frames of the run (palettegen) and applied
# without dithering (paletteuse), so flat colours stay exactly what they were.
MP4 = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "20", "-preset", "medium",
       "-movflags", "+faststart"]
GIF = ["-filter_complex",
       "[0:v]split[a][b];[a]palettegen=stats_mode=full[p];[b][p]paletteuse=dither=none",
       "-loop", "0"]


class Film:
    """RGB frames piped into an ffmpeg process (imageio-ffmpeg's binary). A separate
    process: FFmpeg's libraries loaded beside OpenCV's own copy in one process are known to
    clash (PyAV issue 978), and the video panels use OpenCV."""

    def __init__(self, path: Path, fps: float, options: list[str]):
        self.path, self.fps, self.options = path, fps, options
        self.process = None
        self.size = None

    def _start(self, frame: np.ndarray) -> None:
        import subprocess

        import imageio_ffmpeg

        h, w = (frame.shape[0] // 2) * 2, (frame.shape[1] // 2) * 2  # codecs want even sizes
        self.size = (w, h)
        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error",
                   "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
                   "-r", f"{self.fps:g}", "-i", "-", *self.options, str(self.path)]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE,
                                        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)

    def add(self, frame: np.ndarray) -> None:
        if frame.shape[1] > GIF_MAX_WIDTH and self.options is GIF:
            import cv2

            scale = GIF_MAX_WIDTH / frame.shape[1]
            frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        if self.process is None:
            self._start(frame)
        w, h = self.size
        if frame.shape[0] < h or frame.shape[1] < w:   # a live canvas resized while filmed
            import cv2

            frame = cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA)
        try:
            self.process.stdin.write(np.ascontiguousarray(frame[:h, :w, :3]).tobytes())
        except BrokenPipeError:
            raise ValueError(f"could not write {self.path.name}: {self._complaint()}") from None

    def finish(self) -> None:
        self.process.stdin.close()
        if self.process.wait(timeout=600) != 0:
            raise ValueError(f"could not write {self.path.name}: {self._complaint()}")

    def _complaint(self) -> str:
        self.process.wait(timeout=60)
        text = self.process.stderr.read().decode(errors="replace").strip()
        return text.splitlines()[-1] if text else "ffmpeg stopped"

    def abandon(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.path.unlink(missing_ok=True)


def replay(session, size: str | None = None) -> Iterable[np.ndarray]:
    """Frames of the kept steps up to the one shown, drawn again on the live canvas."""
    try:
        for snapshot in session.player.snapshots():
            session.panel.draw(snapshot)
            session.panel.background.wait()  # regions and the like arrive before the grab
            yield grab(session.panel.canvas, size)
    finally:
        session.redraw()


class LiveRecording(QtCore.QObject):
    """The canvas of a panel in live mode filmed to an MP4, a frame each time the stream
    shows one, until `stop()` or the stream ends (frozen by Step, switched off, a video's
    end); `finished(frames, message)` says what was written, or why not."""

    finished = QtCore.Signal(int, str)

    def __init__(self, panel, path, fps: float):
        super().__init__(panel)
        self.panel, self.path, self.frames = panel, Path(path), 0
        if self.path.suffix.lower() != ".mp4":
            raise ValueError(f"cannot record to '{self.path.name}': use a .mp4 file name")
        self.film = Film(self.path, fps, MP4)
        panel.live.shown.connect(self._add)
        panel.live.ended.connect(self.stop)

    def _add(self) -> None:
        try:
            self.film.add(grab(self.panel.canvas))
            self.frames += 1
        except ValueError as err:
            self._done(0, str(err))

    def stop(self) -> None:
        if self.film is None:
            return
        if not self.frames:
            self._done(0, "Nothing recorded: no live frame came while recording.")
            return
        try:
            self.film.finish()
            self._done(self.frames, f"Saved {self.frames} live frames to {self.path}.")
        except ValueError as err:
            self._done(0, str(err))

    def _done(self, frames: int, message: str) -> None:
        film, self.film = self.film, None
        if frames == 0 and film is not None:
            film.abandon()
        for signal, slot in ((self.panel.live.shown, self._add),
                             (self.panel.live.ended, self.stop)):
            signal.disconnect(slot)
        self.finished.emit(frames, message)
