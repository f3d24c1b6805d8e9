"""Turn a user's CSV file into points to plot, or into one plain sentence saying why not.

No Qt here on purpose: the panels wrap these two calls, and the tests drive them without a
display. ``load_table`` reads and cleans the whole file once; ``select`` then picks the x,
y and label columns the user chose, so switching columns never rereads the file.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SNIFF_BYTES = 64 * 1024  # enough lines to judge the layout, small enough to read at once
BIG_FILE_BYTES = 200 * 1024 * 1024  # beyond this only the first BIG_FILE_ROWS rows are read
BIG_FILE_ROWS = 1_000_000
FEW_LABELS = 20  # a whole-number column with at most this many values can also be a label
WHITESPACE = r"\s+"  # pandas' spelling of "any run of spaces or tabs"
# Spellings of "no value" that must not make a data row look like a header.
NA_WORDS = {"", "na", "n/a", "nan", "null", "none", "-", "?", "missing"}


@dataclass(frozen=True, eq=False)  # eq=False: comparing DataFrames field-wise is ambiguous
class Table:
    """A successfully loaded file.

    ``frame`` holds the rows left after dropping those with a missing or non-numeric value
    in any numeric column (``dropped_rows`` counts them), then sampled down to ``max_rows``;
    ``sampled_from`` is the number of clean rows the sample was drawn from, or None.
    ``text_columns`` are the columns offered as labels: every non-numeric column, plus
    whole-number columns with few distinct values (those are in ``numeric_columns`` too).
    """

    path: str
    frame: pd.DataFrame
    numeric_columns: list[str]
    text_columns: list[str]
    dropped_rows: int
    sampled_from: int | None
    message: str


class CsvError(ValueError):
    """A problem with the user's file; the message is written to be shown as it is."""


def load_table(path: str | Path, max_rows: int = 50_000, seed: int = 0) -> Table:
    """Read, clean and if need be sample the CSV file at ``path``; raise CsvError if unusable."""
    if max_rows < 1:
        raise ValueError(f"max_rows must be at least 1, got {max_rows}")
    path = Path(path)
    name = path.name
    size, text, encoding = _read_head(path)
    layout = _sniff(text, complete=size <= SNIFF_BYTES)
    truncated = size > BIG_FILE_BYTES
    frame = _read_frame(path, layout, encoding, nrows=BIG_FILE_ROWS if truncated else None)
    truncated = truncated and len(frame) == BIG_FILE_ROWS

    if len(frame) == 0:
        raise CsvError(f"{name} has a header row but no data rows.")
    numeric, coerced = _numeric_columns(frame)
    if len(numeric) < 2:
        found = f"only one ({numeric[0]})" if numeric else "none"
        raise CsvError(f"{name} needs at least two numeric columns to plot one against "
                       f"the other; it has {found}.")

    # an infinity can be neither drawn nor averaged, so it counts as a gap too
    infinite = np.isinf(frame[numeric].to_numpy(np.float64))
    if infinite.any():
        frame[numeric] = frame[numeric].mask(infinite)
        coerced = True
    before = len(frame)
    frame = frame.dropna(subset=numeric).reset_index(drop=True)
    dropped = before - len(frame)
    what = "missing or non-numeric values" if coerced else "missing values"
    if len(frame) == 0:
        raise CsvError(f"{name} has no rows left: every one of its {before:,} rows has "
                       f"{what} in a numeric column ({', '.join(numeric)}).")

    sampled_from = None
    if len(frame) > max_rows:
        sampled_from = len(frame)
        keep = np.sort(np.random.default_rng(seed).choice(len(frame), max_rows, replace=False))
        frame = frame.iloc[keep].reset_index(drop=True)

    notes = []
    if dropped:
        notes.append(f"{dropped:,} {_rows(dropped)} with {what} dropped")
    if sampled_from is not None:
        notes.append(f"showing a random {max_rows:,} of {sampled_from:,} rows")
    if truncated:
        notes.append(f"the file is {size / 2**20:,.0f} MB, so only its first "
                     f"{BIG_FILE_ROWS:,} rows were read")
    message = f"Loaded {len(frame):,} {_rows(len(frame))} from {name}"
    if notes:
        message += f" ({'; '.join(notes)})"
    return Table(path=str(path), frame=frame, numeric_columns=numeric,
                 text_columns=_label_columns(frame, numeric), dropped_rows=dropped,
                 sampled_from=sampled_from, message=message)


def select(table: Table, x: str | None = None, y: str | None = None,
           label: str | None = None) -> tuple[np.ndarray, np.ndarray | None, list[str] | None]:
    """The chosen columns as an (n, 2) float array, plus integer labels and their names.

    x and y default to the first two numeric columns. Rows missing any chosen value are
    left out. Labels are numbered in sorted order of their values; without a label column
    both label results are None.
    """
    name = Path(table.path).name
    numeric = table.numeric_columns
    x = numeric[0] if x is None else x
    y = next(c for c in numeric if c != x) if y is None else y
    for axis, column in (("x", x), ("y", y)):
        if column not in table.frame.columns:
            raise CsvError(f"{name}: no column named {column!r}; the numeric columns are: "
                           f"{', '.join(numeric)}")
        if column not in numeric:
            raise CsvError(f"{name}: column {column!r} is not numeric, so it cannot be the "
                           f"{axis} axis; the numeric columns are: {', '.join(numeric)}")
    if label is not None and label not in table.text_columns:
        choices = ", ".join(table.text_columns) or "none in this file"
        problem = "no column named" if label not in table.frame.columns else "cannot label by"
        raise CsvError(f"{name}: {problem} {label!r}; the label columns are: {choices}")

    frame = table.frame
    keep = frame[x].notna() & frame[y].notna()
    if label is not None:
        keep &= frame[label].notna()
    if not keep.any():
        raise CsvError(f"{name}: no row has values in all of the chosen columns.")
    points = np.column_stack([frame.loc[keep, x].to_numpy(np.float64),
                              frame.loc[keep, y].to_numpy(np.float64)])
    if label is None:
        return points, None, None
    values = frame.loc[keep, label]
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        values = values.astype(str)  # one type throughout, so sorting cannot fail
    codes, uniques = pd.factorize(values, sort=True)
    return points, codes.astype(np.int64), [_label_name(u) for u in uniques]


# --- reading -----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Layout:
    """What sniffing found out about the file's format."""

    sep: str
    decimal: str
    header: bool
    n_columns: int


def _read_head(path: Path) -> tuple[int, str, str]:
    """File size, the decoded first SNIFF_BYTES, and the encoding to read the rest with."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise CsvError(f"{path} is a folder, not a CSV file.")
        with path.open("rb") as f:
            head = f.read(SNIFF_BYTES)
    except FileNotFoundError:
        raise CsvError(f"Cannot open {path}: there is no such file.") from None
    except OSError as e:
        raise CsvError(f"Cannot open {path}: {e.strerror or e}.") from None
    if size == 0:
        raise CsvError(f"{path.name} is empty (0 bytes).")

    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"  # Excel's "Unicode text" export; its NUL bytes are fine
    elif b"\0" in head:
        raise CsvError(_binary_message(path.name, head))
    else:
        encoding = "utf-8-sig"
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        # final=False tolerates a character cut in half by the SNIFF_BYTES limit
        text = decoder.decode(head, final=size <= SNIFF_BYTES)
    except UnicodeDecodeError:
        # Not UTF-8: accept an old Windows ("cp1252") text file, unless it is mostly
        # control characters, which means it is not text at all.
        encoding = "cp1252"
        text = head.decode(encoding, errors="replace")
        odd = sum(1 for ch in text
                  if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f"))
        if odd > 0.01 * len(text):
            raise CsvError(_binary_message(path.name, head)) from None
    if not text.strip():
        raise CsvError(f"{path.name} has no data: it contains only blank lines.")
    return size, text, encoding


def _binary_message(name: str, head: bytes) -> str:
    if head.startswith(b"PK\x03\x04"):
        return (f"{name} is a zip archive or an Excel workbook, not a CSV file; "
                "save it as CSV first.")
    return f"{name} is not a text file (it contains binary data), so it cannot be read as CSV."


def _sniff(text: str, complete: bool) -> _Layout:
    """Guess the delimiter, the decimal mark and whether the first line is a header."""
    lines = text.splitlines()
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the last line was probably cut off by the SNIFF_BYTES limit
    lines = [line for line in lines if line.strip()][:500]
    sep = _delimiter(lines)
    rows = [line.split() for line in lines] if sep == WHITESPACE else list(
        csv.reader(lines, delimiter=sep, skipinitialspace=True))
    fields = [f.strip() for row in rows for f in row]
    # Decimal commas ("3,14") only make sense when the comma is not the separator, and
    # only if no field uses a decimal point.
    commas = any(re.fullmatch(r"[+-]?\d*,\d+", f) for f in fields)
    points = any(re.fullmatch(r"[+-]?\d*\.\d+(e[+-]?\d+)?", f, re.I) for f in fields)
    decimal = "," if sep != "," and commas and not points else "."
    return _Layout(sep=sep, decimal=decimal, header=_has_header(rows, decimal),
                   n_columns=max(len(row) for row in rows))


def _delimiter(lines: list[str]) -> str:
    """The field separator: the sniffer's guess when it splits lines evenly, else a search."""
    try:
        guess = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        guess = None
    # On a tie the sniffer prefers a comma, but a semicolon splitting every line alike is
    # the separator and the commas are decimal commas (the European Excel export).
    if guess in (None, ",") and _splits_evenly(lines, ";"):
        return ";"
    if guess is not None and _splits_evenly(lines, guess):
        return guess
    for sep in ("\t", ",", ";", "|"):
        if _splits_evenly(lines, sep):
            return sep
    counts = Counter(len(line.split()) for line in lines)
    if counts.most_common(1)[0][0] >= 2:
        return WHITESPACE
    return guess or ","  # a single column; loading will say there is too little to plot


def _splits_evenly(lines: list[str], sep: str) -> bool:
    """True if ``sep`` cuts (nearly) every line into the same number (2 or more) of fields."""
    counts = Counter(len(row) for row in csv.reader(lines, delimiter=sep, skipinitialspace=True))
    fields, lines_agreeing = counts.most_common(1)[0]
    return fields >= 2 and lines_agreeing >= 0.9 * len(lines)


def _is_number(field: str, decimal: str) -> bool:
    try:
        float(field.replace(",", ".") if decimal == "," else field)
    except ValueError:
        return False
    return True


def _has_header(rows: list[list[str]], decimal: str) -> bool:
    """A header is a first row with a word above a column that is mostly numbers.

    A first row holding only "NA"-like placeholders and numbers is data; a file whose
    only row has no numbers is taken as a header (with no data under it).
    """
    first, rest = rows[0], rows[1:]
    if not rest:
        return not any(_is_number(f, decimal) for f in first)
    for i, field in enumerate(first):
        if _is_number(field, decimal) or field.strip().lower() in NA_WORDS:
            continue
        below = [row[i].strip() for row in rest if i < len(row)]
        below = [f for f in below if f.lower() not in NA_WORDS]
        if below and sum(_is_number(f, decimal) for f in below) >= 0.5 * len(below):
            return True
    return False


def _read_frame(path: Path, layout: _Layout, encoding: str, nrows: int | None) -> pd.DataFrame:
    names = None if layout.header else [f"column {i + 1}" for i in range(layout.n_columns)]
    try:
        frame = pd.read_csv(
            path, sep=layout.sep, decimal=layout.decimal, header=0 if layout.header else None,
            names=names, encoding=encoding, encoding_errors="replace", skipinitialspace=True,
            nrows=nrows, low_memory=False)
    except pd.errors.EmptyDataError:
        raise CsvError(f"{path.name} has no data.") from None
    except pd.errors.ParserError as e:
        detail = str(e).strip().splitlines()[-1]
        raise CsvError(f"{path.name} is not a regular table: {detail}") from None
    except MemoryError:
        raise CsvError(f"{path.name} is too large to load into memory.") from None
    stripped = [str(c).strip() for c in frame.columns]
    if len(set(stripped)) == len(stripped):  # tidy names only when that keeps them unique
        frame.columns = stripped
    else:
        frame.columns = [str(c) for c in frame.columns]
    return frame


# --- column roles ------------------------------------------------------------------------

def _numeric_columns(frame: pd.DataFrame) -> tuple[list[str], bool]:
    """Names of the numeric columns, converting mostly-numeric text columns in place.

    A column of numbers with a few placeholders such as "?" or "n/a" is read by pandas as
    text; when at least half its filled cells are numbers, the rest become missing values.
    Returns the names and whether any such conversion happened.
    """
    numeric, coerced = [], False
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values):
            continue
        if not pd.api.types.is_numeric_dtype(values):
            filled = values.notna() & (values.astype(str).str.strip() != "")
            as_numbers = pd.to_numeric(values.where(filled), errors="coerce")
            if not filled.any() or as_numbers[filled].notna().mean() < 0.5:
                continue
            frame[column] = as_numbers
            coerced = coerced or bool(as_numbers[filled].isna().any())
            values = as_numbers
        if values.notna().any():  # an entirely empty column has nothing to plot
            numeric.append(column)
    return numeric, coerced


def _label_columns(frame: pd.DataFrame, numeric: list[str]) -> list[str]:
    """Columns that make sense as class labels: text, or whole numbers with few values."""
    text, whole = [], []
    for column in frame.columns:
        values = frame[column].dropna()
        if column not in numeric:
            if len(values):
                text.append(column)
        elif (values == np.round(values)).all() and values.nunique() <= FEW_LABELS:
            whole.append(column)
    return text + whole  # real text first: it is the likelier label


def _label_name(value) -> str:
    """Show 2.0 as "2": whole-number labels often turn float when a value is missing."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _rows(n: int) -> str:
    return "row" if n == 1 else "rows"
