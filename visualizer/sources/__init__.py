"""Where a panel's data comes from, and how it reaches the panel.

The protocol, the same for every kind of data:

1. The window (or the command line) finds the kind of a file (`kind_of`) and refuses it
   at once if the panel does not accept that kind (`AlgorithmPanel.accepts`).
2. It reads the file off the UI thread (`read_table`, …) and asks the user what is needed
   (which CSV columns).
3. It hands the panel a *source* — `Generated`, `TableChoice`, … — through
   `AlgorithmPanel.load(source)`. The panel's `prepare` validates it and builds the data
   without touching the panel (raising `ValueError` with a sentence for the user); only
   then does `adopt` swap the data in. A file that fails anywhere leaves the panel exactly
   as it was.

The entry points import pandas only when a file is actually opened: importing it at
start-up costs ~0.4 s and ~40 MB that most sessions never need.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

TABLE, IMAGE, VIDEO, CAMERA = "table", "image", "video", "camera"
KIND_NAMES = {TABLE: "a CSV table", IMAGE: "an image", VIDEO: "a video", CAMERA: "a webcam"}
SUFFIXES = {
    TABLE: (".csv", ".tsv", ".txt", ".dat"),
    IMAGE: (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"),
    VIDEO: (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"),
}
FILTERS = {TABLE: "CSV files (*.csv *.tsv *.txt *.dat)",
           IMAGE: "Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp)",
           VIDEO: "Videos (*.mp4 *.avi *.mov *.mkv *.webm *.m4v *.mpg *.mpeg)"}


def kind_of(path) -> str:
    """The kind of data a file holds, judged by its name; unknown names count as tables
    (the CSV reader then says clearly what it found)."""
    suffix = Path(path).suffix.lower()
    return next((kind for kind, ends in SUFFIXES.items() if suffix in ends), TABLE)


def file_filter(kinds) -> str:
    """A file dialog filter for the kinds a panel accepts."""
    parts = [FILTERS[k] for k in kinds if k in FILTERS]
    return ";;".join(parts + ["All files (*)"]) if parts else ""


@dataclass(frozen=True)
class Generated:
    """Data the panel makes itself, described by its Data parameters."""

    params: Any


@dataclass(frozen=True)
class TableChoice:
    """A CSV table that was read, with the columns the user picked (None: the default)."""

    table: Any
    x: str | None = None
    y: str | None = None
    label: str | None = None

    @property
    def name(self) -> str:
        return Path(self.table.path).name

    def columns(self) -> tuple[str, str, str | None]:
        """(x, y, label) as chosen, or the defaults a user would take when none were."""
        if self.x is None and self.y is None:
            return default_columns(self.table)
        x, y = self.x, self.y
        if x is None or y is None:
            others = [c for c in self.table.numeric_columns if c not in (x, y)]
            x, y = x or others[0], y or others[0]
        return x, y, self.label


def read_table(path, **options):
    """See csv_source.load_table."""
    from visualizer.sources import csv_source

    return csv_source.load_table(path, **options)


load_table = read_table  # the older name, kept for the CSV tests


def read_file(path):
    """Read a file of any kind (off the UI thread): a CSV gives a Table (its columns still
    to be chosen), an image a frames.Picture, a video a checked frames.StreamSpec. Raises
    ValueError with a sentence for the user when the file cannot be used."""
    kind = kind_of(path)
    if kind == TABLE:
        return read_table(path)
    from visualizer.sources import frames

    if kind == IMAGE:
        return frames.read_image(path)
    spec = frames.StreamSpec(path=str(path))
    frames.check_stream(spec)
    return spec


def open_camera(index: int):
    """A checked webcam stream (ValueError: no camera there)."""
    from visualizer.sources import frames

    spec = frames.StreamSpec(camera=index)
    frames.check_stream(spec)
    return spec


def select_columns(table, x=None, y=None, label=None):
    """See csv_source.select."""
    from visualizer.sources import csv_source

    return csv_source.select(table, x, y, label)


def default_columns(table) -> tuple[str, str, str | None]:
    """The columns a user taking the defaults would pick: the first two numeric ones and
    the first label-like column that is not one of them, if any."""
    x, y = table.numeric_columns[:2]
    for label in table.text_columns:
        rest = [c for c in table.numeric_columns if c != label]
        if len(rest) >= 2:
            return rest[0], rest[1], label
    return x, y, None
