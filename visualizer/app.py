"""Command line and application start-up. main.py only calls main()."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_USAGE = 2


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one clear line, not a usage dump
        raise SystemExit(fail(message))


OFFSCREEN_SCREEN = Path(__file__).resolve().parents[1] / "resources" / "offscreen_screen.json"

def fail(message: str) -> int:
    print(f"stepwise: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def parse(argv):
    p = Parser(prog="stepwise", description="Machine-learning algorithms, one step at a time.")
    p.add_argument("--list-panels", action="store_true", help="list the panels and exit")
    p.add_argument("--panel", metavar="ID", help="open this panel (see --list-panels)")
    p.add_argument("--data", metavar="FILE",
                   help="load a CSV file, or an image or a video (NMS and convolution panels)")
    p.add_argument("--camera", type=int, metavar="N",
                   help="play webcam N live (0 is the first; panels that take a webcam)")
    p.add_argument("--columns", metavar="X,Y[,LABEL]", help="CSV columns to use")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--steps", type=int, default=0, metavar="N", help="advance N steps first")
    p.add_argument("--screenshot", metavar="PNG", help="save the window as a PNG and exit")
    p.add_argument("--export", metavar="GIF|MP4",
                   help="write the animation of --steps N, no window")
    p.add_argument("--presentation", action="store_true", help="start in presentation mode")
    p.add_argument("--session", metavar="FILE",
                   help="open a saved session (File ▸ Save session…): panel, data, step")
    args = p.parse_args(argv)
    if args.steps < 0:
        p.error("--steps must be 0 or more")
    if args.seed < 0:
        p.error(f"--seed must be 0 or more, got {args.seed}")
    if args.export and not args.export.lower().endswith((".gif", ".mp4")):
        p.error(f"--export needs a .gif or .mp4 file name, got '{args.export}'")
    if args.export and args.steps < 1:
        p.error("--export needs --steps N with N ≥ 1")
    if args.screenshot and not args.screenshot.lower().endswith(".png"):
        p.error(f"--screenshot needs a .png file name, got '{args.screenshot}'")
    if args.camera is not None and args.data:
        p.error("--camera and --data each give the data: choose one")
    if args.camera is not None and args.camera < 0:
        p.error(f"--camera must be 0 or more, got {args.camera}")
    if args.columns and not args.data:
        p.error("--columns goes with --data")
    columns = args.columns.split(",") if args.columns else None
    if columns is not None and len(columns) not in (2, 3):
        p.error("--columns takes X,Y or X,Y,LABEL")
    args.columns = columns
    return args


def qt_message(kind, context, text) -> None:
    """Qt's own chatter goes to the log, not the terminal; its criticals still say so."""
    from PySide6 import QtCore

    from visualizer.errors import LOG

    if kind in (QtCore.QtMsgType.QtCriticalMsg, QtCore.QtMsgType.QtFatalMsg):
        print(f"stepwise: Qt: {text}", file=sys.stderr)
    elif kind == QtCore.QtMsgType.QtWarningMsg and LOG.handlers:
        LOG.warning("Qt: %s", text)


def settings():
    from PySide6 import QtCore

    path = os.environ.get("STEPWISE_SETTINGS")
    if path:
        return QtCore.QSettings(path, QtCore.QSettings.IniFormat)
    return QtCore.QSettings("Stepwise", "Stepwise")


def main(argv=None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    from visualizer import registry

    if args.list_panels:
        for panel in registry.PANELS:
            print(f"{panel.id}\t{panel.title}")
        return 0
    if args.panel:
        try:
            registry.by_id(args.panel)
        except KeyError as err:
            return fail(err.args[0])
    batch = bool(args.screenshot or args.export)

    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        # Headless (screenshots, exports): a 1280 × 800 screen like a classroom projector,
        # not Qt's 800 × 800, which is narrower than the window and squeezed its plots.
        os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={OFFSCREEN_SCREEN}"
    import pyqtgraph as pg
    from PySide6 import QtCore

    QtCore.qInstallMessageHandler(qt_message)
    app = pg.mkQApp("Stepwise")
    app.setOrganizationName("Stepwise")
    if args.export:
        return export_without_window(args)

    from visualizer.main_window import MainWindow

    window = MainWindow(args.panel, seed=args.seed, settings=None if batch else settings())
    if args.session and not window.open_session(args.session):
        said = window.banner.text.text().lstrip("⚠ ")
        close(app, window)
        return fail(said)
    try:
        return run_window(app, window, args, batch)
    finally:
        close(app, window)


def run_window(app, window, args, batch: bool) -> int:
    problems = []
    window.session.problem.connect(problems.append)
    loaded = load(window.session.panel, args) if args.data or args.camera is not None else ""
    if loaded is None:
        return EXIT_USAGE
    if args.presentation:
        window.set_presentation(True)
    window.show()
    if not batch:
        return app.exec()
    app.processEvents()
    window.session.advance(args.steps)
    window.session.panel.background.wait()
    app.processEvents()
    if problems:  # a picture of an error banner is no screenshot: say it and fail
        return fail(problems[0])
    if not window.grab().save(args.screenshot, "PNG"):
        return fail(f"could not write {args.screenshot}")
    if loaded:
        print(loaded, file=sys.stderr)
    return 0


def close(app, window) -> None:
    """Tear the window down while Python is still whole: left to interpreter exit, PySide
    destroyed the scene's items in an order that called back into Python overrides of
    already-finalised objects (a SIGSEGV after the PNG was written, ~3 runs in 8)."""
    import gc

    from PySide6 import QtCore

    window.close()
    if window.session is not None:
        window.session.close()
    window.deleteLater()
    app.sendPostedEvents(None, QtCore.QEvent.DeferredDelete)
    app.processEvents()
    gc.collect()


def load(panel, args) -> str | None:
    """--data FILE: the same protocol as File ▸ Open data…, without a dialog. Returns the
    loader's message (said once the run has succeeded), or None after saying what failed."""
    from visualizer import sources

    try:
        if args.camera is not None:
            if sources.CAMERA not in panel.accepts:
                raise ValueError(f"the {panel.id} panel does not take a webcam")
            return panel.load(sources.open_camera(args.camera))
        kind = sources.kind_of(args.data)
        if kind not in panel.accepts:
            raise ValueError(f"the {panel.id} panel cannot open {sources.KIND_NAMES[kind]} "
                             f"({args.data})")
        found = sources.read_file(args.data)
        if kind == sources.TABLE:
            x, y, label = (args.columns + [None])[:3] if args.columns else (None, None, None)
            found = sources.TableChoice(found, x, y, label)
        message = panel.load(found)
    except Exception as err:  # noqa: BLE001 - a bug says so in one line too, and logs
        from visualizer.errors import describe

        fail(describe(err))
        return None
    return message


def export_without_window(args) -> int:
    from PySide6 import QtCore

    from visualizer import export, registry
    from visualizer.session import Session

    session = Session(registry.panel_class(args.panel or registry.PANELS[0].id),
                      seed=args.seed)
    problems = []
    session.problem.connect(problems.append)
    try:
        loaded = load(session.panel, args) if args.data or args.camera is not None else ""
        if loaded is None:
            return EXIT_USAGE
        canvas = session.panel.canvas
        canvas.setAttribute(QtCore.Qt.WA_DontShowOnScreen)
        canvas.resize(1200, 750)
        canvas.show()
        session.advance(args.steps)
        session.panel.background.wait()
        if problems:
            return fail(problems[0])
        try:
            written = export.write_animation(args.export, export.replay(session), fps=4)
        except ValueError as err:
            return fail(str(err))
        print(" ".join(filter(None, (loaded, f"Wrote {written} frames to {args.export}."))),
              file=sys.stderr)
        return 0
    finally:
        session.close()
        session.panel.canvas.deleteLater()
        QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.DeferredDelete)
