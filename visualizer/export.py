"""Pictures and films of a run for slides: PNG (canvas, 2× or a 16:9 slide), SVG, and GIF
or MP4 of the run from step 1 to the step shown.

Animations are encoded by PyAV (FFmpeg's libraries, in-process): GIFs get a palette made
for the run (palettegen/paletteuse, no dithering), so a grey point stays grey, and MP4 is
H.264 in yuv420p, which every browser and slide program plays. OpenCV's writers could do
neither: a poor global GIF palette (halos, tinted text) and only MPEG-4 Part 2 in MP4.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from fractions import Fraction
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
    QtWidgets.QApplication.processEvents()
    try:
        return _painted(widget, SLIDE)
    finally:
        widget.setMinimumSize(old_min)
        widget.setMaximumSize(old_max)
        QtWidgets.QApplication.processEvents()


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
    import av  # FFmpeg: only when a film is made

    path = Path(path)
    kind = path.suffix.lower()
    if kind not in ANIMATIONS:
        raise ValueError(f"cannot export '{path.name}': use a .gif or .mp4 file name")
    writer = _Gif(path, fps) if kind == ".gif" else _Mp4(path, fps)
    count = 0
    try:
        for frame in frames:
            writer.add(frame)
            count += 1
            if progress is not None and progress(count) is False:
                writer.abandon()
                return 0
        if count == 0:
            raise ValueError("nothing to export: take at least one step first")
        writer.finish()
    except av.error.FFmpegError as err:
        writer.abandon()
        raise ValueError(f"could not write {path.name}: {err}") from None
    except BaseException:
        writer.abandon()
        raise
    return count


class _Film:
    """Frames into a container; sizes are fixed by the first frame (even, for the codecs)."""

    codec, pix_fmt = "", ""
    container_options: dict = {}

    def __init__(self, path: Path, fps: float):
        self.path, self.fps = path, Fraction(fps).limit_denominator(1000)
        self.out = self.stream = None
        self.size = None

    def open(self, frame: np.ndarray) -> None:
        import av

        h, w = (frame.shape[0] // 2) * 2, (frame.shape[1] // 2) * 2
        self.size = (w, h)
        self.out = av.open(str(self.path), "w", options=self.container_options)
        self.stream = self.out.add_stream(self.codec, rate=self.fps)
        self.stream.width, self.stream.height, self.stream.pix_fmt = w, h, self.pix_fmt

    def fit(self, frame: np.ndarray) -> np.ndarray:
        if self.size is None:
            self.open(frame)
        w, h = self.size
        return np.ascontiguousarray(frame[:h, :w])

    def encode(self, video_frame) -> None:
        for packet in self.stream.encode(video_frame):
            self.out.mux(packet)

    def finish(self) -> None:
        self.encode(None)
        self.out.close()

    def abandon(self) -> None:
        if self.out is not None:
            with contextlib.suppress(Exception):  # a broken file is removed either way
                self.out.close()
        self.path.unlink(missing_ok=True)


class _Mp4(_Film):
    codec, pix_fmt = "libx264", "yuv420p"
    container_options = {"movflags": "+faststart"}  # plays while it downloads

    def open(self, frame):
        super().open(frame)
        self.stream.options = {"crf": "20", "preset": "medium"}

    def add(self, frame: np.ndarray) -> None:
        import av

        self.encode(av.VideoFrame.from_ndarray(self.fit(frame), format="rgb24"))


class _Gif(_Film):
    """palettegen sees every frame, then paletteuse maps each frame onto that palette."""

    codec, pix_fmt = "gif", "pal8"

    def open(self, frame):
        import av.filter

        super().open(frame)
        w, h = self.size
        graph = av.filter.Graph()
        source = graph.add_buffer(width=w, height=h, format="rgb24", time_base=1 / self.fps)
        split = graph.add("split", "2")
        palette = graph.add("palettegen", "stats_mode=full")
        mapped = graph.add("paletteuse", "dither=none")
        sink = graph.add("buffersink")
        source.link_to(split)
        split.link_to(palette, 0, 0)
        split.link_to(mapped, 1, 0)
        palette.link_to(mapped, 0, 1)
        mapped.link_to(sink)
        graph.configure()
        self.graph, self.pts = graph, 0

    def add(self, frame: np.ndarray) -> None:
        import av

        if frame.shape[1] > GIF_MAX_WIDTH:
            import cv2

            scale = GIF_MAX_WIDTH / frame.shape[1]
            frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        video_frame = av.VideoFrame.from_ndarray(self.fit(frame), format="rgb24")
        video_frame.pts, video_frame.time_base = self.pts, 1 / self.fps
        self.pts += 1
        self.graph.push(video_frame)

    def finish(self) -> None:
        import av

        self.graph.push(None)
        while True:
            try:
                self.encode(self.graph.pull())
            except (av.error.EOFError, av.error.BlockingIOError):
                break
        super().finish()


def replay(session, size: str | None = None) -> Iterable[np.ndarray]:
    """Frames of the kept steps up to the one shown, drawn again on the live canvas."""
    try:
        for snapshot in session.player.snapshots():
            session.panel.draw(snapshot)
            session.panel.background.wait()  # regions and the like arrive before the grab
            yield grab(session.panel.canvas, size)
    finally:
        session.redraw()
