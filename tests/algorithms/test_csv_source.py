"""Loading users' CSV files: good files match pandas, bad files get a plain CsvError."""

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from visualizer.sources import csv_source
from visualizer.sources.csv_source import CsvError, Table, load_table, select

DATA = Path(__file__).parents[1] / "data"
SAMPLE = Path(__file__).parents[2] / "resources" / "sample_clusters.csv"


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


# --- committed fixtures -----------------------------------------------------------------

def test_semicolon_file_with_decimal_commas_matches_pandas():
    path = DATA / "good_semicolon.csv"
    table = load_table(path)
    expected = pd.read_csv(path, sep=";", decimal=",")
    pd.testing.assert_frame_equal(table.frame, expected)
    assert table.numeric_columns == ["length", "width", "depth", "count"]
    assert table.text_columns == ["kind", "count"]  # "count" is whole numbers, 3 values
    assert table.dropped_rows == 0 and table.sampled_from is None
    assert table.message == "Loaded 6 rows from good_semicolon.csv"
    assert table.frame["length"].iloc[1] == 2.75


def test_file_without_header_gets_numbered_column_names():
    path = DATA / "no_header.csv"
    table = load_table(path)
    names = ["column 1", "column 2", "column 3", "column 4"]
    expected = pd.read_csv(path, sep=",", header=None, names=names)
    pd.testing.assert_frame_equal(table.frame, expected)
    assert table.numeric_columns == names[:3]
    assert table.text_columns == ["column 4"]
    assert len(table.frame) == 5  # the first line is data, not a header


def test_rows_with_missing_numbers_are_dropped_and_counted():
    path = DATA / "with_nans.csv"
    table = load_table(path)
    expected = pd.read_csv(path, sep=",").dropna(subset=["x", "y", "z"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(table.frame, expected)
    assert table.dropped_rows == 3
    assert table.message == "Loaded 4 rows from with_nans.csv (3 rows with missing values dropped)"
    # a missing label only matters once that label is chosen
    X, labels, names = select(table, label="group")
    np.testing.assert_array_equal(X, [[1.0, 2.0], [5.0, 6.0], [7.0, 9.0]])
    assert labels.tolist() == [0, 1, 1] and names == ["a", "b"]
    assert select(table)[0].shape == (4, 2)


@pytest.mark.parametrize(("fixture", "words"), [
    ("one_numeric.csv", r"one_numeric\.csv needs at least two numeric columns.*only one \(score\)"),
    ("empty.csv", r"empty\.csv is empty \(0 bytes\)"),
    ("binary.csv", r"binary\.csv is not a text file"),
])
def test_bad_fixtures_say_what_is_wrong(fixture, words):
    with pytest.raises(CsvError, match=words):
        load_table(DATA / fixture)


def test_bundled_sample_loads_with_three_species():
    table = load_table(SAMPLE)
    assert len(table.frame) == 300 and table.dropped_rows == 0
    assert table.numeric_columns == ["length_cm", "width_cm"]
    assert table.text_columns == ["species"]
    X, labels, names = select(table, label="species")
    assert X.shape == (300, 2) and len(names) == 3
    assert np.bincount(labels).tolist() == [100, 100, 100]


# --- bad input made on the spot -----------------------------------------------------------

def test_missing_file(tmp_path):
    with pytest.raises(CsvError, match=r"Cannot open .*nope\.csv: there is no such file"):
        load_table(tmp_path / "nope.csv")


def test_folder(tmp_path):
    with pytest.raises(CsvError, match="is a folder"):
        load_table(tmp_path)


@pytest.mark.parametrize(("content", "words"), [
    ("\n\n   \n", "only blank lines"),
    ("x,y,label\n", "header row but no data rows"),
    ("x,y\n1,\n,2\nNA,NA\n", r"no rows left: every one of its 3 rows has missing values"),
    ("value\n1\n2\n3\n", r"only one \(value\)"),
    ("name,city\nann,Oslo\nbob,Lima\n", "it has none"),
    ("a,b,c\n1,2,3\n4,5,6,7,8\n", "not a regular table"),
])
def test_unusable_text_files(tmp_path, content, words):
    path = write(tmp_path, "bad.csv", content)
    with pytest.raises(CsvError, match=words) as caught:
        load_table(path)
    assert "bad.csv" in str(caught.value)


def test_undecodable_bytes_without_nul_are_binary(tmp_path):
    path = write(tmp_path, "noise.csv", bytes(range(1, 256)) * 40)
    with pytest.raises(CsvError, match=r"noise\.csv is not a text file"):
        load_table(path)


def test_excel_workbook_gets_a_hint(tmp_path):
    path = write(tmp_path, "book.csv", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00")
    with pytest.raises(CsvError, match="Excel workbook.*save it as CSV"):
        load_table(path)


def test_csv_error_is_a_value_error():
    assert issubclass(CsvError, ValueError)


# --- layouts and encodings ----------------------------------------------------------------

ROWS = [("1.5", "-2", "cat"), ("3.25", "4", "dog"), ("5", "6.5e-3", "cat")]


@pytest.mark.parametrize(("written", "told"), [
    (",", ","), (";", ";"), ("\t", "\t"), ("|", "|"), (" ", r"\s+"), ("   ", r"\s+"),
])
def test_delimiters_are_sniffed(tmp_path, written, told):
    lines = [written.join(("x", "y", "animal"))] + [written.join(r) for r in ROWS]
    path = write(tmp_path, "t.csv", "\n".join(lines) + "\n")
    table = load_table(path)
    pd.testing.assert_frame_equal(table.frame, pd.read_csv(path, sep=told))
    assert table.numeric_columns == ["x", "y"] and table.text_columns == ["animal"]


def test_quoted_fields_crlf_and_spaces_after_commas(tmp_path):
    text = 'x, y, place\r\n1, 2, "Paris, France"\r\n3, 4, "Lima, Peru"\r\n'
    path = write(tmp_path, "q.csv", text)
    table = load_table(path)
    assert table.numeric_columns == ["x", "y"]
    assert table.frame["place"].tolist() == ["Paris, France", "Lima, Peru"]


@pytest.mark.parametrize(("encoding", "sep"), [
    ("utf-8-sig", ","),  # a byte-order mark must not end up in the first column's name
    ("cp1252", ","),     # an old Windows export
    ("utf-16", "\t"),    # Excel's "Unicode text": tabs and NUL bytes
])
def test_text_encodings(tmp_path, encoding, sep):
    text = sep.join(["x", "y", "name"]) + "\n" + sep.join(["1", "2", "café"]) + "\n" \
        + sep.join(["3", "4", "naïve"]) + "\n"
    path = write(tmp_path, "enc.csv", text.encode(encoding))
    table = load_table(path)
    assert table.numeric_columns == ["x", "y"]
    assert select(table, label="name")[2] == ["café", "naïve"]


def test_character_cut_at_the_sniffing_limit_is_not_mangled(tmp_path):
    row = "1,2,é\n"  # 7 bytes, the é being bytes 5 and 6
    header = "x,y,lab"
    while (csv_source.SNIFF_BYTES - 1 - 4 - len(header) - 1) % 7:
        header += "x"  # shift rows until one é straddles the limit
    path = write(tmp_path, "long.csv", header + "\n" + row * 12000)
    table = load_table(path)
    assert len(table.frame) == 12000
    assert select(table, label=table.text_columns[0])[2] == ["é"]


def test_semicolons_win_over_decimal_commas_without_a_header(tmp_path):
    # with no header to go by, the plain sniffer takes the commas for the separator
    path = write(tmp_path, "eu.csv", "1,5;2,5\n3,5;4,25\n")
    table = load_table(path)
    np.testing.assert_array_equal(select(table)[0], [[1.5, 2.5], [3.5, 4.25]])


def test_a_separator_only_some_lines_contain_is_not_the_separator(tmp_path):
    text = "x y note\n1 2 a,b\n3 4 c,d\n5 6 e,f\n7 8 g\n"
    table = load_table(write(tmp_path, "ws.csv", text))
    assert table.numeric_columns == ["x", "y"] and len(table.frame) == 4
    assert table.frame["note"].tolist() == ["a,b", "c,d", "e,f", "g"]


def test_placeholders_in_a_numeric_column_count_as_missing(tmp_path):
    path = write(tmp_path, "uci.csv", "a,b\n1,2\n?,3\n4,n/a\n5,6\n7,8\n")
    table = load_table(path)
    assert table.numeric_columns == ["a", "b"]
    assert table.dropped_rows == 2
    assert "2 rows with missing or non-numeric values dropped" in table.message
    assert table.frame["a"].tolist() == [1.0, 5.0, 7.0]


def test_infinities_count_as_missing(tmp_path):
    table = load_table(write(tmp_path, "inf.csv", "a,b\n1,2\ninf,3\n4,-inf\n5,6\n"))
    assert table.dropped_rows == 2 and np.isfinite(select(table)[0]).all()


@pytest.mark.parametrize(("text", "header"), [
    ("id,2019,2020\n1,5,6\n2,7,8\n", True),     # number-like names still make a header
    ("NA,3.5,a\n1,2,b\n3,4,c\n", False),        # a missing value is not a column name
    ("1,2\n3,4\n", False),
    ("x,y\n1,2\n", True),
])
def test_header_detection(tmp_path, text, header):
    table = load_table(write(tmp_path, "h.csv", text))
    assert (table.numeric_columns[0] != "column 1") == header
    assert len(table.frame) + table.dropped_rows == text.count("\n") - header


# --- sampling and big files ---------------------------------------------------------------

@pytest.fixture
def thousand_rows(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": np.arange(1000), "v": rng.normal(size=1000)})
    path = tmp_path / "many.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_large_tables_are_sampled_reproducibly(thousand_rows):
    path, original = thousand_rows
    a = load_table(path, max_rows=100, seed=1)
    b = load_table(path, max_rows=100, seed=1)
    c = load_table(path, max_rows=100, seed=2)
    assert len(a.frame) == 100 and a.sampled_from == 1000
    assert a.message == "Loaded 100 rows from many.csv (showing a random 100 of 1,000 rows)"
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert not a.frame["id"].equals(c.frame["id"])
    # the sample is real rows, in file order, each once
    ids = a.frame["id"].to_numpy()
    assert (np.diff(ids) > 0).all()
    np.testing.assert_array_equal(a.frame["v"], original["v"].to_numpy()[ids])
    # and it is not just the first rows
    assert ids.max() > 500


def test_small_tables_are_not_sampled(thousand_rows):
    table = load_table(thousand_rows[0], max_rows=1000)
    assert table.sampled_from is None and len(table.frame) == 1000


def test_huge_files_are_only_partly_read(thousand_rows, monkeypatch):
    monkeypatch.setattr(csv_source, "BIG_FILE_BYTES", 100)
    monkeypatch.setattr(csv_source, "BIG_FILE_ROWS", 300)
    table = load_table(thousand_rows[0], max_rows=50)
    assert table.frame["id"].max() < 300
    assert table.sampled_from == 300 and len(table.frame) == 50
    assert "showing a random 50 of 300 rows" in table.message
    assert "only its first 300 rows were read" in table.message


def test_max_rows_must_be_positive(thousand_rows):
    with pytest.raises(ValueError, match="max_rows"):
        load_table(thousand_rows[0], max_rows=0)


# --- select ---------------------------------------------------------------------------------

@pytest.fixture
def semicolon():
    return load_table(DATA / "good_semicolon.csv")


def test_select_defaults_to_the_first_two_numeric_columns(semicolon):
    X, labels, names = select(semicolon)
    assert X.dtype == np.float64 and X.shape == (6, 2)
    np.testing.assert_array_equal(X, semicolon.frame[["length", "width"]].to_numpy())
    assert labels is None and names is None
    # naming only x keeps y on the first other numeric column
    X, _, _ = select(semicolon, x="width")
    np.testing.assert_array_equal(X, semicolon.frame[["width", "length"]].to_numpy())


def test_select_numbers_labels_in_sorted_order(semicolon):
    _, labels, names = select(semicolon, x="depth", y="count", label="kind")
    assert names == ["alpha", "beta", "gamma"]
    assert labels.dtype == np.int64
    assert [names[i] for i in labels] == semicolon.frame["kind"].tolist()
    _, labels, names = select(semicolon, label="count")
    assert names == ["1", "2", "3"] and labels.tolist() == [0, 1, 0, 2, 1, 2]


def test_label_numbers_follow_sorted_names_not_file_order(tmp_path):
    table = load_table(write(tmp_path, "o.csv", "x,y,c\n1,2,pear\n3,4,apple\n5,6,fig\n"))
    _, labels, names = select(table, label="c")
    assert names == ["apple", "fig", "pear"] and labels.tolist() == [2, 0, 1]


def test_whole_number_labels_stay_whole_after_a_gap(tmp_path):
    table = load_table(write(tmp_path, "g.csv", "x,y,class\n1,2,1\n3,4,\n5,6,2\n"))
    assert "class" in table.text_columns
    _, labels, names = select(table, label="class")
    assert names == ["1", "2"] and labels.tolist() == [0, 1]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"x": "foo"}, "good_semicolon.csv: no column named 'foo'; "
                   "the numeric columns are: length, width, depth, count"),
    ({"y": "kind"}, "good_semicolon.csv: column 'kind' is not numeric, so it cannot be the "
                    "y axis; the numeric columns are: length, width, depth, count"),
    ({"label": "colour"}, "good_semicolon.csv: no column named 'colour'; "
                          "the label columns are: kind, count"),
    ({"label": "length"}, "good_semicolon.csv: cannot label by 'length'; "
                          "the label columns are: kind, count"),
])
def test_select_rejects_bad_columns(semicolon, kwargs, message):
    with pytest.raises(CsvError) as caught:
        select(semicolon, **kwargs)
    assert str(caught.value) == message


def test_select_with_no_complete_row(tmp_path):
    table = load_table(write(tmp_path, "l.csv", "x,y,tag\n1,2,\n3,4,\n5,6,a\n"))
    frame = table.frame.assign(tag=[None, None, None])
    emptied = dataclasses.replace(table, frame=frame)
    with pytest.raises(CsvError, match="no row has values in all of the chosen columns"):
        select(emptied, label="tag")


def test_table_is_frozen(semicolon):
    assert isinstance(semicolon, Table)
    with pytest.raises(dataclasses.FrozenInstanceError):
        semicolon.message = "changed"


def test_module_does_not_pull_in_qt():
    code = ("import sys, visualizer.sources.csv_source; "
            "sys.exit(any(m.split('.')[0] in ('PySide6', 'pyqtgraph') for m in sys.modules))")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


# --- any well-formed table round-trips ------------------------------------------------------

# tmp_path is shared by the examples, which is fine: each one rewrites the same file
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    columns=st.integers(2, 4),
    rows=st.integers(1, 25),
    sep=st.sampled_from([",", ";", "\t", "|", " "]),
    header=st.booleans(),
    with_label=st.booleans(),
    data=st.data(),
)
def test_round_trip(tmp_path, columns, rows, sep, header, with_label, data):
    number = st.floats(-1e6, 1e6, allow_nan=False) | st.integers(-1000, 1000).map(float)
    values = np.array(data.draw(st.lists(st.lists(number, min_size=columns, max_size=columns),
                                         min_size=rows, max_size=rows)))
    labels = data.draw(st.lists(st.sampled_from(["cat", "dog", "emu"]),
                                min_size=rows, max_size=rows))
    names = [f"col{i}" for i in range(columns)] + ["kind"] * with_label
    lines = [sep.join(names)] * header
    for i in range(rows):
        lines.append(sep.join([repr(float(v)) for v in values[i]] + [labels[i]] * with_label))
    path = write(tmp_path, "r.csv", "\n".join(lines) + "\n")

    table = load_table(path)
    if not header:
        names = [f"column {i + 1}" for i in range(columns + with_label)]
    assert table.numeric_columns == names[:columns]
    assert table.dropped_rows == 0
    np.testing.assert_array_equal(table.frame[names[:columns]].to_numpy(), values)
    if with_label:
        _, codes, found = select(table, label=names[-1])
        assert [found[c] for c in codes] == labels
