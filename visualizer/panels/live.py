"""Live mode: a panel fed by a video or a webcam, frame after frame, beside the stepping.

The contract (docs/ARCHITECTURE.md, "Live mode"): while live, each new frame is analysed
in the background by the panel's `analyse_frame(image, params, name, capture_seconds)` (a
static method: pure, no Qt, it runs on a worker); what it returns is adopted as the
panel's data and the player restarts on it, so the panel shows the data alone
(`draw(None)`) at video rate. Step or Play calls the panel's `before_steps`, which
freezes the stream (`Live.freeze`): the frame shown stays as the data, and the usual
transport steps through the algorithm on it. At most two frames are analysed at once and
a result older than the frame shown is dropped; the capture keeps only its newest frame,
so a slow machine shows fewer frames, never older ones.
"""

from __future__ import annotations

import collections
import dataclasses
import time

from PySide6 import QtCore

from algorithms.base import num
from visualizer.panels.base import AlgorithmPanel
from visualizer.sources import CAMERA, IMAGE, VIDEO, Generated
from visualizer.sources.frames import SAMPLE_CLIP, Capture, Picture, StreamSpec, check_stream

POLL_MS = 10           # how often the UI thread looks for a new frame (it never waits)
IN_FLIGHT = 2          # frames analysed at once: detection is most of the work, and two
                       # cores detect two frames in about the time one takes


class Live(QtCore.QObject):
    """The stream behind a panel in live mode (see the module docstring)."""

    shown = QtCore.Signal()    # a new frame has been drawn (a recording takes it then)
    ended = QtCore.Signal()    # the stream stopped: frozen, switched off, or at its end

    def __init__(self, panel):
        super().__init__(panel)
        self.panel = panel
        self.capture: Capture | None = None
        self.number = 0                      # the newest frame handed to analysis
        self.shown_number = 0                # the newest frame shown
        self.in_flight: set[str] = set()     # background keys of frames being analysed
        self.shown_at: collections.deque = collections.deque(maxlen=30)
        self.timer = QtCore.QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self._tick)

    @property
    def running(self) -> bool:
        return self.capture is not None

    def follow(self, spec) -> None:
        """Play `spec` (a StreamSpec) live, or stop playing when it is None."""
        self.stop()
        if spec is not None:
            self.capture = Capture(spec).start()
            self.number, self.shown_number = 0, 0
            self.in_flight.clear()
            self.shown_at.clear()
            self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        if self.capture is not None:
            self.capture.stop()
            self.capture = None
            self.ended.emit()

    def freeze(self) -> None:
        """Keep the frame shown and stop the stream; untick "live" in the Data group."""
        self.stop()
        panel = self.panel
        if panel.data_params is not None and getattr(panel.data_params, "live", False):
            panel.data_params = dataclasses.replace(panel.data_params, live=False)
            panel.data_params_shown.emit(panel.data_params)
        panel.message.emit("info", f"Frozen on this frame: step through {panel.stepped} on "
                                   "it. Tick “live” to play again.")

    def frames_per_second(self) -> float:
        if len(self.shown_at) < 2:
            return 0.0
        return (len(self.shown_at) - 1) / max(1e-9, self.shown_at[-1] - self.shown_at[0])

    def status(self) -> str:
        """"live · 24 frames/s · capture 3 ms": what the stream itself costs."""
        read = self.capture.read_seconds if self.capture is not None else 0.0
        return (f"live · {num(self.frames_per_second(), 2)} frames/s · "
                f"capture {num(read * 1e3, 2)} ms")

    def _tick(self) -> None:
        capture = self.capture
        if capture is None:
            return
        if capture.ended:
            self.stop()
            self.panel.message.emit("error", capture.problem)
            return
        newest = capture.latest()
        if newest is None or newest[0] == self.number or len(self.in_flight) >= IN_FLIGHT:
            return
        self.number, image = newest
        key = next(k for k in ("live-a", "live-b") if k not in self.in_flight)
        self.in_flight.add(key)
        params, name = self.panel.params, f"{capture.name}, frame {newest[0]}"
        seconds, number = capture.read_seconds, newest[0]
        analyse = type(self.panel).analyse_frame  # pure: nothing of the panel's state
        self.panel.background.submit(
            key, lambda: analyse(image, params, name, seconds),
            lambda result: self._arrived(key, number, result))

    def _arrived(self, key, number, result) -> None:
        self.in_flight.discard(key)
        if not self.running or number < self.shown_number:
            return  # frozen or stopped meanwhile, or a newer frame is already shown
        if isinstance(result, Exception):
            self.stop()
            self.panel.failed.emit(result)
            return
        self.shown_number = number
        self.shown_at.append(time.perf_counter())
        self.panel.adopt(result)
        self.panel.restart.emit()  # the player starts over on this frame: draw(None)
        self.shown.emit()


class LivePanel(AlgorithmPanel):
    """A panel on pictures that can also play a video or a webcam live (NMS, convolution,
    feature maps). A subclass writes `generated_picture(data_params)` (its bundled picture),
    `analysed(picture)` (its data for a frame, pure) and `analyse_frame`; this class turns
    any source into a picture, follows the "live" control and freezes on Step or Play."""

    accepts = (IMAGE, VIDEO, CAMERA)
    stepped = "the algorithm"   # what Step goes through on a frozen frame, in words

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.live = Live(self)

    def generated_picture(self, data_params) -> Picture:
        raise NotImplementedError

    def analysed(self, picture: Picture):
        """The panel's data for one picture (on the UI thread when a file is opened)."""
        return type(self).analyse_frame(picture.image, self.params, picture.name)

    def prepare(self, source):
        if isinstance(source, Generated):
            picture = self.generated_picture(source.params)
        elif isinstance(source, Picture):
            picture = source
        elif isinstance(source, StreamSpec):
            picture = check_stream(source)
        else:
            return super().prepare(source)
        return self.analysed(picture), picture.note

    def load(self, source):
        message = super().load(source)
        if isinstance(source, StreamSpec):
            self.live.follow(source)
        elif isinstance(source, Generated) and source.params.live:
            self.live.follow(StreamSpec(path=str(SAMPLE_CLIP), loop=True))
        else:
            self.live.follow(None)
        return message

    def set_data_params(self, data_params):
        if self.live.running and not data_params.live:
            self.live.follow(None)  # unticking "live" freezes the frame shown
            self.data_params = data_params
            return
        super().set_data_params(data_params)

    def stop(self):
        self.live.stop()

    def before_steps(self):
        if self.live.running:
            self.live.freeze()
