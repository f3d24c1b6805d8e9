"""What the user is told when something goes wrong, and where the details go.

A `ValueError` is the user's mistake (a bad file, k larger than the data): its message is
written for them and shown as it is. Anything else is a bug: the banner says so in one
line and the traceback goes to the log file, so the app keeps running and the report
keeps its details.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import traceback
from pathlib import Path

LOG = logging.getLogger("stepwise")


def log_path() -> Path:
    """STEPWISE_LOG if set, else stepwise.log in the user's cache folder."""
    if os.environ.get("STEPWISE_LOG"):
        return Path(os.environ["STEPWISE_LOG"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA", Path.home())
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Logs"
    return Path(base) / "stepwise" / "stepwise.log"


def _handler() -> logging.Handler:
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=1,
                                                    encoding="utf-8")
    except OSError:  # a read-only home: the details still reach stderr
        return logging.StreamHandler(sys.stderr)


def describe(err: BaseException) -> str:
    """One line for the banner; a bug's traceback is logged first."""
    if isinstance(err, ValueError):
        return str(err)
    if not LOG.handlers:
        LOG.addHandler(_handler())
        LOG.propagate = False
    LOG.error("internal error\n%s", "".join(traceback.format_exception(err)))
    return (f"internal error: {type(err).__name__}: {err} — the app carries on; details "
            f"are in {log_path()}")
