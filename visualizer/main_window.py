"""The main window: sidebar of panels, canvas, caption, transport, parameters, explanation."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import shiboken6
from PySide6 import QtCore, QtGui, QtWidgets

from visualizer import registry, sources
from visualizer.banner import Banner, format_metrics
from visualizer.keys import KeyRouter
from visualizer.params import PanelControls
from visualizer.session import Session
from visualizer.sidebar import Sidebar
from visualizer.sources.column_dialog import ask_columns
from visualizer.style import STYLE
from visualizer.transport import TransportBar

KEYS = {  # action name → shortcuts; clickers send Page Up / Page Down
    "play": ["Space"], "step": ["Right", "PgDown"], "back": ["Left", "PgUp"],
    "reset": ["Home"], "fullscreen": ["F11"], "presentation": ["F5"],
    "bigger": ["Ctrl+=", "Ctrl++"], "smaller": ["Ctrl+-"], "export": ["Ctrl+S"],
    "open": ["Ctrl+O"], "quit": ["Ctrl+Q"], "leave": ["Esc"],
    "undo": ["Ctrl+Z"], "redo": ["Ctrl+Shift+Z", "Ctrl+Y"], "numbers": ["N"],
    "save_session": ["Ctrl+Shift+S"], "open_session": ["Ctrl+Shift+O"],
}


class MainWindow(QtWidgets.QMainWindow):
    data_loaded = QtCore.Signal(bool)  # a load finished: True if the new data is in use

    def __init__(self, panel_id: str | None = None, seed: int = 0,
                 settings: QtCore.QSettings | None = None):
        super().__init__()
        self.setWindowTitle("Stepwise")
        self.setAcceptDrops(True)
        self.resize(1280, 800)
        self.seed = seed
        self.settings = settings
        self.session: Session | None = None
        self.actions: dict[str, QtGui.QAction] = {}
        self.folded: set = set()   # docks hidden to make room for large text
        self._build_central()
        self._build_docks()
        self._build_menus()
        self.keys = KeyRouter(self, self.canvas_holder)
        STYLE.changed.connect(self.restyle)
        if settings is not None:
            self._restore()
            panel_id = panel_id or settings.value("panel", None)
        try:
            registry.by_id(panel_id or "")
        except KeyError:
            panel_id = registry.PANELS[0].id
        self.open_panel(panel_id)
        self.restyle()

    # --- construction -------------------------------------------------------------------
    def _build_central(self) -> None:
        central = QtWidgets.QWidget()
        self.column = QtWidgets.QVBoxLayout(central)
        self.column.setContentsMargins(6, 4, 6, 4)

        self.heading = QtWidgets.QLabel()
        self.canvas_holder = QtWidgets.QStackedWidget()
        self.canvas_holder.setFocusPolicy(QtCore.Qt.StrongFocus)  # where the keys go back to
        self.banner = Banner(self.canvas_holder)
        self.caption = QtWidgets.QLabel()
        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        self.metrics = QtWidgets.QLabel()
        self.metrics.setWordWrap(True)  # six optimizers' losses must not widen the window
        self.transport = TransportBar()
        self.column.addWidget(self.heading)
        self.column.addWidget(self.canvas_holder, 1)
        # The caption's first line says the step in words; the numbers behind it (each
        # optimizer's gradient and step, …) show when the user asks for them.
        self.details = QtWidgets.QToolButton(text="numbers", checkable=True)
        self.details.setToolTip("Show the numbers behind this step (N)")
        self.details.setFocusPolicy(QtCore.Qt.NoFocus)
        self.details.toggled.connect(self._details_toggled)
        # The caption has a height of its own, set from the text size (restyle): a caption
        # that grew and shrank with its text would resize the canvas at every step, making
        # it jump and re-laying it out. Longer text scrolls.
        self.caption_box = QtWidgets.QScrollArea()
        self.caption_box.setWidget(self.caption)
        self.caption_box.setWidgetResizable(True)
        self.caption_box.setFrameShape(QtWidgets.QFrame.NoFrame)
        self.caption_box.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)
        self.caption.setAlignment(QtCore.Qt.AlignLeft | QtCore.Qt.AlignTop)
        line = QtWidgets.QHBoxLayout()
        line.addWidget(self.caption_box, 1)
        line.addWidget(self.details, 0, QtCore.Qt.AlignTop)
        self.column.addLayout(line)
        for widget in (self.metrics, self.transport):
            self.column.addWidget(widget)
        self.setCentralWidget(central)

    def _build_docks(self) -> None:
        self.sidebar = Sidebar()
        self.sidebar.chosen.connect(self._sidebar_chosen)
        side = self.sidebar
        self.sidebar_dock = self._dock("Algorithms", side, QtCore.Qt.LeftDockWidgetArea)

        self.trees = QtWidgets.QStackedWidget()   # one parameter tree per panel opened
        self.panel_controls: dict[str, PanelControls] = {}
        self.params_dock = self._dock("Parameters", self.trees, QtCore.Qt.RightDockWidgetArea)
        self.explanation = QtWidgets.QTextBrowser()
        self.explanation.setOpenExternalLinks(False)
        self.explain_dock = self._dock("Explanation", self.explanation,
                                       QtCore.Qt.RightDockWidgetArea)
        self.resizeDocks([self.sidebar_dock, self.params_dock], [250, 300], QtCore.Qt.Horizontal)

    def _dock(self, title, widget, area) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(title)  # saveState needs a name
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, name, text, slot, menu, checkable=False) -> QtGui.QAction:
        action = QtGui.QAction(text, self)
        action.setShortcuts([QtGui.QKeySequence(k) for k in KEYS.get(name, [])])
        action.setShortcutContext(QtCore.Qt.WindowShortcut)
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        if menu is not None:
            menu.addAction(action)
        self.addAction(action)  # keeps shortcuts alive while the menu bar is hidden
        self.actions[name] = action
        return action

    def _undo_or_redo(self, which: str) -> None:
        """Undo or redo, and say which change it was (the banner may still describe the
        change being taken back)."""
        stack = self.undo_stack
        text = stack.undoText() if which == "undo" else stack.redoText()
        if not text:
            return
        getattr(stack, which)()
        self.banner.say("info", f"{'Undone' if which == 'undo' else 'Redone'}: {text}.")

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action("open", "&Open data…", self.open_data, file)
        self._action("camera", "Open &webcam…", self.open_webcam, file)
        file.addSeparator()
        self._action("open_session", "Open &session…", self.open_session_dialog, file)
        self._action("save_session", "Save s&ession…", self.save_session_dialog, file)
        file.addSeparator()
        self._action("export", "&Export…", lambda: self.export_dialog("png"), file)
        self._action("export_gif", "Export run as &GIF…", lambda: self.export_dialog("gif"), file)
        self._action("export_mp4", "Export run as &MP4…", lambda: self.export_dialog("mp4"), file)
        self._action("record", "&Record the live view to MP4…", self.toggle_recording, file, True)
        file.addSeparator()
        self._action("quit", "&Quit", self.close, file)
        edit = bar.addMenu("&Edit")
        self.undo_stack = QtGui.QUndoStack(self)
        self._action("undo", "&Undo", lambda: self._undo_or_redo("undo"), edit)
        self._action("redo", "&Redo", lambda: self._undo_or_redo("redo"), edit)
        self.undo_stack.canUndoChanged.connect(self.actions["undo"].setEnabled)
        self.undo_stack.canRedoChanged.connect(self.actions["redo"].setEnabled)
        self.undo_stack.undoTextChanged.connect(
            lambda text: self.actions["undo"].setText(f"&Undo {text}".rstrip()))
        self.undo_stack.redoTextChanged.connect(
            lambda text: self.actions["redo"].setText(f"&Redo {text}".rstrip()))
        self.actions["undo"].setEnabled(False)
        self.actions["redo"].setEnabled(False)
        run = bar.addMenu("&Run")
        self._action("play", "Play / pause", lambda: self.session.player.toggle(), run)
        self._action("step", "Step", lambda: self.session.player.step(), run)
        self._action("back", "Step back", lambda: self.session.player.back(), run)
        self._action("reset", "Reset", lambda: self.session.player.reset(), run)
        view = bar.addMenu("&View")
        self._action("presentation", "&Presentation mode", self.set_presentation, view, True)
        self._action("fullscreen", "&Full screen", self.toggle_fullscreen, view, True)
        self._action("leave", "Leave presentation", lambda: self.set_presentation(False), None)
        self._action("numbers", "Show the &numbers behind each step",
                     lambda: self.details.toggle(), view)
        view.addSeparator()
        self._action("bigger", "&Larger text", lambda: STYLE.set_scale(STYLE.scale * 1.15), view)
        self._action("smaller", "&Smaller text", lambda: STYLE.set_scale(STYLE.scale / 1.15),
                     view)
        view.addSeparator()
        for dock in (self.sidebar_dock, self.params_dock, self.explain_dock):
            view.addAction(dock.toggleViewAction())

    # --- panels -------------------------------------------------------------------------
    def open_panel(self, panel_id: str, state: dict | None = None) -> None:
        """Open a panel as it was left (or as `state`, a session's, says)."""
        panel_cls = registry.panel_class(panel_id)
        if self.session is not None:
            old = self.session
            self.panel_controls[old.panel.id].remember(old.panel)
            old.close()
            self.canvas_holder.removeWidget(old.panel.canvas)
            old.panel.canvas.deleteLater()
            old.setParent(None)  # nothing holds it now: it goes as soon as Python drops it
            old.deleteLater()
        controls = self._controls(panel_cls)
        if state is not None:
            controls.apply(state, panel_cls)
        self.session = session = Session(panel_cls, seed=self.seed, parent=self,
                                         **controls.initial())
        panel = session.panel
        self.canvas_holder.addWidget(panel.canvas)
        self.canvas_holder.setCurrentWidget(panel.canvas)
        self.heading.setText(panel.title)
        self.explanation.setHtml(panel.explanation())
        controls.attach(panel)
        controls.bring_back(panel)
        self.undo_stack.clear()  # edits belong to the panel they were made on
        panel.edited.connect(self.undo_stack.push)
        self.controls = controls
        self.binders = controls.binders
        self.trees.setCurrentWidget(controls.tree)
        self.actions["open"].setEnabled(bool(panel.accepts))
        self.actions["camera"].setEnabled(sources.CAMERA in panel.accepts)
        panel.message.connect(self.banner.say)
        session.problem.connect(lambda text: self.banner.say("error", text))
        session.shown.connect(self._show_text)
        self.transport.bind(session.player)
        self.banner.hide()
        self._keep_room()
        # A panel that needed more room squeezed the docks; the next one gives it back.
        narrow = [(d, w) for d, w in ((self.sidebar_dock, 250), (self.params_dock, 300))
                  if d.isVisible() and d.width() < w]
        if narrow:
            self.resizeDocks([d for d, _ in narrow], [w for _, w in narrow],
                             QtCore.Qt.Horizontal)
        self._show_text(session.player.current)
        self.sidebar.select(panel_id)
        if self.settings is not None:
            self.settings.setValue("panel", panel_id)

    def _controls(self, panel_cls) -> PanelControls:
        """The panel's parameter tree: made the first time, then kept with its values."""
        if panel_cls.id not in self.panel_controls:
            controls = PanelControls(panel_cls)
            controls.said.connect(self.banner.say)
            self.panel_controls[panel_cls.id] = controls
            self.trees.addWidget(controls.tree)
            saved = self.settings.value(f"panels/{panel_cls.id}") if self.settings else None
            if saved:  # as the panel was left in the last run of the app
                try:
                    controls.apply(json.loads(saved), panel_cls)
                except (ValueError, TypeError, KeyError) as err:
                    self.banner.say("info", f"“{panel_cls.title}” starts afresh: its "
                                            f"saved state could not be used ({err}).")
        return self.panel_controls[panel_cls.id]

    def _details_toggled(self, _on: bool) -> None:
        self._size_text_lines()
        self._show_text(self.session.player.current)

    def _size_text_lines(self) -> None:
        """Fixed heights: two caption lines (five with the numbers) and two metric lines."""
        lines = 5 if self.details.isChecked() else 2
        spacing = QtGui.QFontMetrics(self.caption.font()).lineSpacing()
        self.caption_box.setFixedHeight(lines * spacing + 6)
        self.metrics.setFixedHeight(2 * QtGui.QFontMetrics(self.metrics.font()).lineSpacing()
                                    + 4)

    def _show_text(self, step) -> None:
        text = self.session.caption()
        summary, _, numbers = text.partition("\n")
        self.details.setVisible(bool(numbers.strip()))
        self.caption.setText(text if self.details.isChecked() else summary)
        self.metrics.setText(format_metrics(step.metrics) if step is not None else "")

    def _sidebar_chosen(self, panel_id: str) -> None:
        if panel_id != self.session.panel.id:
            self.open_panel(panel_id)

    # --- files --------------------------------------------------------------------------
    def open_data(self, path: str | None = None) -> None:
        """Load a file into the panel; `data_loaded(ok)` says how it went.

        The file is read in the background (a large CSV takes seconds), then the user picks
        the columns, then the panel validates the data before it replaces anything: a
        failure at any point keeps the data shown before.
        """
        panel = self.session.panel
        if not panel.accepts:
            self._loaded(False, "error", f"“{panel.title}” does not load files.")
            return
        if not path:
            path, _ = QtWidgets.QFileDialog.getOpenFileName(
                self, "Open data", "", sources.file_filter(panel.accepts))
            if not path:
                return
        kind = sources.kind_of(path)
        if kind not in panel.accepts:
            takes = " or ".join(sources.KIND_NAMES[k] for k in panel.accepts)
            self._loaded(False, "error", f"“{panel.title}” takes {takes}; "
                                         f"{Path(path).name} looks like "
                                         f"{sources.KIND_NAMES[kind]}.")
            return
        self.banner.say("info", f"Loading {Path(path).name}…")
        panel.background.submit("load", lambda: sources.read_file(path),
                                lambda result: self._file_read(panel, result),
                                reads_file=True)

    def open_webcam(self, index: int | None = None) -> None:
        """Play a webcam live in the panel (asks which one; 0 is the first)."""
        panel = self.session.panel
        if sources.CAMERA not in panel.accepts:
            self._loaded(False, "error", f"“{panel.title}” does not take a webcam.")
            return
        if index is None:
            index, ok = QtWidgets.QInputDialog.getInt(
                self, "Open webcam", "Webcam number (0 is the first):", 0, 0, 63)
            if not ok:
                return
        self.banner.say("info", f"Opening webcam {index}…")
        panel.background.submit("load", lambda: sources.open_camera(index),
                                lambda result: self._file_read(panel, result),
                                reads_file=True)

    def _file_read(self, panel, result) -> None:
        if panel is not self.session.panel:
            return  # the user moved on to another panel meanwhile
        try:
            if isinstance(result, Exception):
                raise result
            if hasattr(result, "numeric_columns"):  # a CSV's Table: its columns to choose
                columns = ask_columns(result, self)
                if columns is None:
                    self._loaded(False, "info",
                                 "Loading cancelled; the data shown before is kept.")
                    return
                result = sources.TableChoice(result, *columns)
            self._loaded(True, "info", panel.load(result))
        except ValueError as err:
            self._loaded(False, "error", f"{err} — the data shown before is kept.")
        except Exception as err:  # e.g. out of memory: still say so and keep going
            self._loaded(False, "error", f"could not load the file ({type(err).__name__}: "
                                         f"{err}) — the data shown before is kept.")

    def _loaded(self, ok: bool, level: str, text: str) -> None:
        if text:
            self.banner.say(level, text)
        else:
            self.banner.hide()
        self.data_loaded.emit(ok)

    def export_dialog(self, kind: str = "png") -> None:
        """Ask where (starting in the user's Pictures folder) and, for a PNG or a film, at
        what size; then export."""
        from visualizer import export

        filters = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)",
                   "gif": "Animated GIF (*.gif)", "mp4": "MP4 video, H.264 (*.mp4)"}
        start = Path(self.export_folder()) / f"{self.session.panel.id}.{kind}"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Export", str(start), ";;".join(filters.values()), filters[kind])
        if not path:
            return
        size = None
        if not path.lower().endswith(".svg"):
            names = [label or f"as on screen ({self.session.panel.canvas.width()} × "
                     f"{self.session.panel.canvas.height()})"
                     for label in export.SIZES.values()]
            choice, ok = QtWidgets.QInputDialog.getItem(self, "Export size", "Size:", names, 0,
                                                        False)
            if not ok:
                return
            size = list(export.SIZES)[names.index(choice)]
        if self.settings is not None:
            self.settings.setValue("export_folder", str(Path(path).parent))
        self.export_to(path, size)

    recording = None   # export.LiveRecording while the live view is being filmed

    def toggle_recording(self, on: bool) -> None:
        """File ▸ Record: ask where, then film the live view until unticked, frozen or ended."""
        if not on:
            if self.recording is not None:
                self.recording.stop()
            return
        live = getattr(self.session.panel, "live", None)
        if live is None or not live.running:
            self.actions["record"].setChecked(False)
            self.banner.say("error", "Recording films a video or a webcam playing live: tick "
                                     "“live” or open a video first.")
            return
        start = Path(self.export_folder()) / f"{self.session.panel.id}-live.mp4"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Record the live view", str(start), "MP4 video, H.264 (*.mp4)")
        if not path:
            self.actions["record"].setChecked(False)
            return
        self.record_live(path)

    def record_live(self, path: str) -> None:
        from visualizer import export

        panel = self.session.panel
        try:
            self.recording = export.LiveRecording(
                panel, path, fps=round(panel.live.frames_per_second()) or 25)
        except ValueError as err:
            self.actions["record"].setChecked(False)
            self.banner.say("error", str(err))
            return
        self.recording.finished.connect(self._recorded)
        self.actions["record"].setChecked(True)
        self.banner.say("info", f"Recording the live view to {path}; untick File ▸ Record to "
                                "stop.")

    def _recorded(self, frames: int, message: str) -> None:
        self.recording = None
        self.actions["record"].setChecked(False)
        # Said once the stream's own news (frozen on this frame…) is out: where the film
        # went matters more to the user who asked for it.
        QtCore.QTimer.singleShot(0, lambda: self.banner.say("info" if frames else "error",
                                                            message))

    def export_folder(self) -> str:
        """Where a save dialog starts: the last export folder, else Pictures, else Documents."""
        if self.settings is not None and self.settings.value("export_folder"):
            return str(self.settings.value("export_folder"))
        for place in (QtCore.QStandardPaths.PicturesLocation,
                      QtCore.QStandardPaths.DocumentsLocation,
                      QtCore.QStandardPaths.HomeLocation):
            folder = QtCore.QStandardPaths.writableLocation(place)
            if folder and Path(folder).is_dir():
                return folder
        return str(Path.home())

    def export_to(self, path: str, size: str | None = None, ask: bool = True) -> None:
        from visualizer import export  # FFmpeg and OpenCV: only when needed

        try:
            if path.lower().endswith(export.PICTURES):
                export.save_picture(self.session.panel.canvas, path, size)
                self.banner.say("info", f"Saved the canvas to {path}.")
                return
            count = len(self.session.player.snapshots())
            fps = min(self.session.player.speed, 30)
            if ask and count > export.ASK_ABOVE and QtWidgets.QMessageBox.question(
                    self, "A long export", f"This exports {count:,} frames, a film of "
                    f"{count / fps:,.0f} s at {fps:g} steps per second. Go ahead?"
                    ) != QtWidgets.QMessageBox.StandardButton.Yes:
                self.banner.say("info", "Export cancelled; no file was written.")
                return
            progress = QtWidgets.QProgressDialog("Exporting the run…", "Cancel", 0, count, self)
            progress.setWindowModality(QtCore.Qt.WindowModal)
            progress.setMinimumDuration(300)

            def tick(n):
                progress.setValue(n)
                return not progress.wasCanceled()

            written = export.write_animation(path, export.replay(self.session, size), fps=fps,
                                             progress=tick)
            progress.close()
            if written:
                self.banner.say("info", f"Saved {written} steps to {path}.")
            else:
                self.banner.say("info", "Export cancelled; no file was written.")
        except ValueError as err:
            self.banner.say("error", str(err))

    # --- sessions -----------------------------------------------------------------------
    def save_session(self, path: str) -> None:
        from visualizer import sessions

        try:
            panel = self.session.panel
            state = sessions.capture(panel, self.session.player.position + 1, self.seed)
            sessions.save(path, state)
            self.banner.say("info", f"Saved the session to {path}.")
        except ValueError as err:
            self.banner.say("error", str(err))

    def open_session(self, path: str) -> bool:
        """Put a saved lesson back: its panel, parameters, data, points, seed and step.
        A file that cannot be used leaves everything as it was."""
        from visualizer import sessions

        try:
            state = sessions.read(path)
            panel_cls = registry.panel_class(state["panel"])
            # Checked before anything changes: the values must fit the panel.
            sessions.decode_params(panel_cls.Params, state.get("params"))
            sessions.decode_params(panel_cls.Data, state.get("data_params"))
            sessions.decode_source(state.get("source") or {})
        except (ValueError, KeyError, TypeError) as err:
            message = err.args[0] if isinstance(err, KeyError) else str(err)
            self.banner.say("error", f"{message} — nothing was changed.")
            return False
        self.seed = int(state.get("seed", self.seed))
        self.open_panel(state["panel"], state)
        self.session.advance(int(state.get("step", 0)))
        self.banner.say("info", f"Opened the session {Path(path).name}.")
        return True

    def save_session_dialog(self) -> None:
        start = Path(self.export_folder()) / f"{self.session.panel.id}.stepwise.json"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save session", str(start),
                                                        "Stepwise sessions (*.json)")
        if path:
            self.save_session(path)

    def open_session_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open session",
                                                        self.export_folder(),
                                                        "Stepwise sessions (*.json)")
        if path:
            self.open_session(path)

    # --- view ---------------------------------------------------------------------------
    def set_presentation(self, on: bool) -> None:
        self.actions["presentation"].setChecked(on)
        for widget in (self.sidebar_dock, self.params_dock, self.explain_dock, self.transport,
                       self.menuBar(), self.heading):
            widget.setVisible(not on and widget not in self.folded)
        STYLE.set_presentation(on)  # restyles: folds the docks large text has no room for
        if on:
            self.showFullScreen()
        elif not self.actions["fullscreen"].isChecked():
            self.showNormal()

    def toggle_fullscreen(self, on: bool) -> None:
        self.showFullScreen() if on else self.showNormal()

    def restyle(self) -> None:
        if not shiboken6.isValid(self) or self.session is None:
            return  # a deleted window still on STYLE's list, or one still being built
        self.session.panel.restyle()
        self.session.redraw()  # restyling resets pens and sizes; the step must be drawn again
        font = QtWidgets.QApplication.font()
        font.setPointSizeF(10 * STYLE.scale)  # points: parameter-tree fonts derive from them
        QtWidgets.QApplication.setFont(font)
        self.caption.setFont(STYLE.font(STYLE.caption_px))
        self.metrics.setFont(STYLE.font(STYLE.text_px))
        self._size_text_lines()
        self.heading.setFont(STYLE.font(STYLE.text_px + 4, bold=True))
        self.banner.text.setFont(STYLE.font(STYLE.text_px))
        if self.banner.isVisible():
            self.banner.place()
        self.explanation.document().setDefaultFont(STYLE.font(STYLE.text_px))
        self._fold_docks()
        for controls in self.panel_controls.values():
            controls.restyle()
        self._keep_room()
        # Once more when the new fonts have reached every item: a plot's title and a
        # legend's rows are measured again only then, and may need a few pixels more.
        QtCore.QTimer.singleShot(0, self._keep_room)

    def _keep_room(self) -> None:
        """After the fonts change: the canvas may take the window's width less the docks'
        narrowest, and no more (the window never grows off the screen). The docks keep
        room for a parameter's name and value and for a short title: squeezed narrower,
        a wide canvas pushed the values out of sight."""
        if not shiboken6.isValid(self) or self.session is None:
            return
        # Characters at normal text size: with large text the docks shrink (their text then
        # shows less) before the canvas does.
        chars = QtGui.QFontMetrics(QtWidgets.QApplication.font()).averageCharWidth() / STYLE.scale
        for dock, wanted, share in ((self.params_dock, 32, 0.22), (self.sidebar_dock, 16, 0.15)):
            dock.setMinimumWidth(int(min(wanted * chars, share * self.width())))
        # Docks in one area are stacked (parameters over explanation): the area is as wide
        # as its widest dock, not the sum (counted twice, the canvas was offered ~200 px too
        # little and the plots' titles wrapped word by word).
        areas: dict = {}
        for dock in (self.sidebar_dock, self.params_dock, self.explain_dock):
            area = self.dockWidgetArea(dock)
            if not dock.isHidden() and not dock.isFloating() and \
                    area != QtCore.Qt.NoDockWidgetArea:
                areas[area] = max(areas.get(area, 0), dock.minimumSizeHint().width() + 8)
        docks = sum(areas.values())
        screen = self.screen().availableGeometry().width() if self.screen() else 1280
        room = min(self.width(), screen) - docks - 24
        # Buttons with words while they fit beside the timeline; icons only otherwise.
        self.transport.restyle(compact=False)
        self.transport.restyle(compact=STYLE.scale > 1.3 or STYLE.presentation
                               or self.transport.minimumSizeHint().width() > room)
        self.session.panel.keep_room(max(300, room))

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        """A file dropped on the window opens as File ▸ Open data… would open it."""
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_data(paths[0])

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # The room the canvas may claim depends on the window's width: measured again
        # whenever it changes, once the docks are laid out (the first time, when the
        # window is shown at its real size and its docks become visible).
        if self.session is not None and event.size().width() != event.oldSize().width():
            QtCore.QTimer.singleShot(0, self._keep_room)

    FOLD_AT = {"Explanation": 1.5, "Algorithms": 1.75}  # text scale that hides each dock

    def _fold_docks(self) -> None:
        """Large text: the explanation, then the sidebar, step aside so the canvas keeps its
        room; they come back when the text is smaller again (View menu: at any time)."""
        if STYLE.presentation:
            return  # presentation mode hides every dock itself
        for dock in (self.explain_dock, self.sidebar_dock):
            fold = STYLE.scale >= self.FOLD_AT[dock.objectName()]
            if fold and dock.isVisible():
                dock.hide()
                self.folded.add(dock)
            elif not fold and dock in self.folded:
                dock.show()
                self.folded.discard(dock)

    # --- settings -----------------------------------------------------------------------
    def _restore(self) -> None:
        geometry = self.settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value("state")
        if state is not None:
            self.restoreState(state)
        STYLE.set_scale(float(self.settings.value("font_scale", 1.0)))

    SETTINGS_ROWS = 5_000  # a bigger table is remembered by its path, not its values

    def _remember_panels(self) -> None:
        """Each panel's values, data and hand-made points, for the next run of the app."""
        for panel_id, controls in self.panel_controls.items():
            open_now = self.session is not None and self.session.panel.id == panel_id
            state = controls.state(self.session.panel if open_now else None)
            data = state["source"].get("data")
            if data and len(next(iter(data.values()))) > self.SETTINGS_ROWS:
                state["source"] = {"kind": "generated"}  # too big for the settings file
            self.settings.setValue(f"panels/{panel_id}", json.dumps(state))

    def closeEvent(self, event) -> None:
        with contextlib.suppress(RuntimeError):  # a second close finds it gone already
            STYLE.changed.disconnect(self.restyle)  # a closed window restyles nothing
        if self.session is not None:
            self.session.close()
        for controls in self.panel_controls.values():
            # The tree's items are Python objects Qt would delete behind Python's back
            # (they are not QObjects): take them out so Python owns and frees them.
            controls.tree.clear()
        if self.settings is not None:
            self._remember_panels()
            self.settings.setValue("geometry", self.saveGeometry())
            self.settings.setValue("state", self.saveState())
            self.settings.setValue("font_scale", STYLE.scale)
            self.settings.sync()
        super().closeEvent(event)
