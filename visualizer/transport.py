"""The transport bar: play/pause, step, step back, reset, speed and the timeline."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from visualizer.player import Player

SP = QtWidgets.QStyle.StandardPixmap


def position_text(p: Player) -> str:
    """'step 12 / 40' for a finished run of 40 steps, 'step 12 / 13+' while more may come,
    'start' before the first step."""
    if p.position < 0:
        return "start" if p.computed == 0 or not p.finished else f"start / {p.computed}"
    total = f"{p.computed}" if p.finished else f"{p.computed}+"
    return f"step {p.position + 1} / {total}"


class TransportBar(QtWidgets.QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.player: Player | None = None
        icons = self.style().standardIcon
        self.reset_button = self._button(icons(SP.SP_MediaSkipBackward), "Reset",
                                         "Start again from step 0 (Home)")
        self.back_button = self._button(icons(SP.SP_MediaSeekBackward), "Back",
                                         "Step back (← or Page Up)")
        self.play_button = self._button(icons(SP.SP_MediaPlay), "Play", "Play / pause (Space)")
        self.step_button = self._button(icons(SP.SP_MediaSeekForward), "Step",
                                        "One step forward (→ or Page Down)")
        self.speed = QtWidgets.QComboBox()
        self.speed.setToolTip("Steps per second while playing")
        for s in Player.SPEEDS:
            self.speed.addItem(f"{s:g} steps/s", s)
        self.speed.setCurrentIndex(Player.SPEEDS.index(4))
        self.timeline = QtWidgets.QSlider(QtCore.Qt.Horizontal)
        self.timeline.setToolTip("Drag to any step computed so far")
        self.timeline.setFocusPolicy(QtCore.Qt.NoFocus)  # arrow keys belong to the player
        self.position = QtWidgets.QLabel()
        self.position.setMinimumWidth(110)

        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 2)
        for w in (self.reset_button, self.back_button, self.play_button, self.step_button):
            row.addWidget(w)
        row.addWidget(self.speed)
        row.addWidget(self.timeline, 1)
        row.addWidget(self.position)
        self.timeline.valueChanged.connect(self._scrubbed)
        self.speed.currentIndexChanged.connect(self._speed_chosen)

    def restyle(self, compact: bool) -> None:
        """Large text: icons only on the buttons, so the timeline keeps its room."""
        style = QtCore.Qt.ToolButtonIconOnly if compact else QtCore.Qt.ToolButtonTextBesideIcon
        for button in (self.reset_button, self.back_button, self.play_button, self.step_button):
            button.setToolButtonStyle(style)
        metrics = self.position.fontMetrics()
        self.position.setMinimumWidth(metrics.horizontalAdvance("step 9999 / 9999+") + 8)

    def _button(self, icon, text, tip) -> QtWidgets.QToolButton:
        button = QtWidgets.QToolButton()
        button.setIcon(icon)
        button.setText(text)
        button.setToolTip(tip)
        button.setToolButtonStyle(QtCore.Qt.ToolButtonTextBesideIcon)
        button.setFocusPolicy(QtCore.Qt.NoFocus)
        return button

    def bind(self, player: Player) -> None:
        if self.player is not None:
            self.player.changed.disconnect(self.refresh)
            for button in (self.reset_button, self.back_button, self.play_button,
                           self.step_button):
                button.clicked.disconnect()
        self.player = player
        self.reset_button.clicked.connect(player.reset)
        self.back_button.clicked.connect(player.back)
        self.play_button.clicked.connect(player.toggle)
        self.step_button.clicked.connect(player.step)
        player.changed.connect(self.refresh)
        self._speed_chosen()
        self.refresh()

    def refresh(self) -> None:
        p = self.player
        icons = self.style().standardIcon
        self.play_button.setIcon(icons(SP.SP_MediaPause if p.playing else SP.SP_MediaPlay))
        self.play_button.setText("Pause" if p.playing else "Play")
        self.timeline.blockSignals(True)  # set from code: not a user's scrub
        self.timeline.setRange(0 if p.first == 0 else p.first + 1, p.computed)
        self.timeline.setValue(p.position + 1)
        self.timeline.blockSignals(False)
        self.position.setText(position_text(p))
        self.back_button.setEnabled(p.position >= 0)
        self.step_button.setEnabled(not (p.finished and p.position == p.computed - 1))

    def _scrubbed(self, value: int) -> None:
        if self.player is not None:
            self.player.pause()
            self.player.seek(value - 1)

    def _speed_chosen(self) -> None:
        if self.player is not None:
            self.player.set_speed(self.speed.currentData())
