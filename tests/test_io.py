"""Reading Parquet files, Parquet datasets and CSV; writing atomically."""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corrgan.config import DataConfig
from corrgan.errors import CorrganError
from corrgan.io import (
    TableSource,
    TableWriter,
    atomic_path,
    check_output_folder,
    first_line,
    make_folder,
    read_table,
    sniff_csv,
    write_table,
)
from corrgan.schema import infer_schema


def typed_table(rows: int = 30) -> pa.Table:
    """One column of each declared type the reader must keep as it is."""
    rng = np.random.default_rng(3)
    start = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
    return pa.table(
        {
            "count": pa.array(rng.integers(-50, 50, rows), pa.int32()),
            "label": pa.array(rng.choice(["a", "b", "c"], rows)).dictionary_encode(),
            "seen": pa.array(
                [start + dt.timedelta(minutes=int(m)) for m in range(rows)],
                pa.timestamp("ms", tz="Europe/Berlin"),
            ),
            "day": pa.array(
                [dt.date(2020, 1, 1) + dt.timedelta(days=d) for d in range(rows)],
                pa.date32(),
            ),
            "ratio": pa.array(rng.normal(size=rows).astype(np.float32)),
            "flag": pa.array(rng.random(rows) > 0.5),
            "maybe": pa.array(
                [None if i % 4 == 0 else i for i in range(rows)], pa.int64()
            ),
        }
    )


def test_parquet_file_keeps_declared_types(tmp_table):
    table = typed_table()
    source = TableSource(tmp_table(table, "typed.parquet"))

    assert source.format == "parquet"
    assert source.num_rows == table.num_rows
    assert source.schema == table.schema
    assert source.read().equals(table)
    assert source.read(["flag", "count"]).schema.names == ["flag", "count"]


def test_directory_of_parquet_files_is_one_dataset(tmp_path, tmp_table):
    parts = [pa.table({"id": np.arange(start, start + 25)}) for start in (0, 25, 50)]
    tmp_table(parts[0], "parts/a.parquet")
    tmp_table(parts[1], "parts/b.parquet")
    tmp_table(parts[2], "parts/nested/c.parquet")

    source = TableSource(tmp_path / "parts")

    assert source.format == "parquet"
    assert source.num_rows == 75
    assert sorted(source.read().column("id").to_pylist()) == list(range(75))
    batches = list(source.iter_batches(batch_rows=10))
    assert all(0 < batch.num_rows <= 10 for batch in batches)
    streamed = [v for batch in batches for v in batch.column("id").to_pylist()]
    assert sorted(streamed) == list(range(75))


def test_csv_column_types_are_inferred_by_arrow(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text(
        "n,x,name,ok,when,day\n"
        "1,1.5,a,true,2020-01-01 10:00:00,2020-01-01\n"
        "2,2.5,b,false,2020-01-02 11:30:00,2020-01-02\n"
        "3,,c,true,2020-01-03 12:00:00,2020-01-03\n"
    )
    source = TableSource(path)

    assert source.format == "csv"
    assert source.num_rows == 3
    assert [str(field.type) for field in source.schema] == [
        "int64",
        "double",
        "string",
        "bool",
        "timestamp[s]",
        "date32[day]",
    ]
    assert source.read().column("x").null_count == 1


def test_text_file_without_csv_suffix_is_read_as_csv(tmp_path):
    path = tmp_path / "export.dat"
    path.write_text("a,b\n1,x\n2,y\n")
    assert TableSource(path).format == "csv"
    assert TableSource(path).read().column("b").to_pylist() == ["x", "y"]


def test_crop_csv_reads_with_its_eight_columns(crop_path):
    source = TableSource(crop_path)
    assert source.num_rows == 2200
    assert source.schema.names == [
        "N",
        "P",
        "K",
        "temperature",
        "humidity",
        "ph",
        "rainfall",
        "label",
    ]
    assert source.schema.field("N").type == pa.int64()
    assert source.schema.field("label").type == pa.string()


@pytest.mark.parametrize("where", ["memory", "dataset"])
def test_sample_is_seeded_and_draws_without_replacement(tmp_table, where):
    table = pa.table({"id": np.arange(500)})
    if where == "memory":
        source = TableSource.from_table(table)
    else:
        source = TableSource(tmp_table(table, "ids.parquet"))

    first = source.sample(60, seed=1).column("id").to_pylist()
    again = source.sample(60, seed=1).column("id").to_pylist()
    other = source.sample(60, seed=2).column("id").to_pylist()

    assert first == again
    assert first != other
    assert len(first) == len(set(first)) == 60
    assert first == sorted(first)
    assert source.sample(500, seed=1).equals(table)


def test_iter_batches_of_a_table_in_memory_cover_it_in_order():
    table = pa.table({"id": np.arange(23)})
    batches = list(TableSource.from_table(table).iter_batches(batch_rows=5))
    assert [batch.num_rows for batch in batches] == [5, 5, 5, 5, 3]
    assert pa.concat_tables(batches).equals(table)


def test_missing_path_names_it(tmp_path):
    with pytest.raises(CorrganError, match="no such file or directory: .*absent.csv"):
        TableSource(tmp_path / "absent.csv")


def test_directory_without_parquet_files_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("a,b\n1,2\n")
    with pytest.raises(CorrganError, match="holds no \\*.parquet files"):
        TableSource(tmp_path)


@pytest.mark.parametrize(
    ("name", "packed", "fragment"),
    [
        ("t.csv.gz", gzip.compress(b"a,b\n1,2\n"), "gzip-compressed"),
        ("t.csv", gzip.compress(b"a,b\n1,2\n"), "gzip-compressed"),
        ("t.csv.bz2", bz2.compress(b"a,b\n1,2\n"), "bzip2-compressed"),
        ("t.xlsx", b"PK\x03\x04" + bytes(60), "a ZIP archive (as an Excel"),
    ],
    ids=["gzip", "gzip named csv", "bzip2", "excel"],
)
def test_a_packed_file_says_what_it_is_and_how_to_unpack_it(
    tmp_path, name, packed, fragment
):
    path = tmp_path / name
    path.write_bytes(packed)
    with pytest.raises(CorrganError) as caught:
        TableSource(path)
    message = str(caught.value)
    assert message.startswith(f"{path} is {fragment}")
    assert "corrgan reads plain CSV and Parquet" in message
    fixes = {"gzip": f"gunzip -k {name}", "bzip2": f"bunzip2 -k {name}"}
    assert fixes.get(fragment.split("-")[0], "save the sheet as CSV") in message


def test_binary_file_is_neither_parquet_nor_csv(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(CorrganError, match="x.bin is neither Parquet nor CSV"):
        TableSource(path)


def test_truncated_parquet_fails_when_opened(tmp_table):
    path = tmp_table(typed_table(200), "cut.parquet")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorrganError, match="cannot read .*cut.parquet as PARQUET"):
        TableSource(path)


def test_empty_csv_is_refused(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(CorrganError, match="empty.csv is empty"):
        TableSource(path)


def test_duplicate_csv_header_names_the_column(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("a,a,b\n1,2,3\n4,5,6\n")
    with pytest.raises(CorrganError, match="duplicate column names: a;"):
        TableSource(path)


def test_duplicate_parquet_names_are_reported_as_such(tmp_path):
    path = tmp_path / "dup.parquet"
    table = pa.Table.from_arrays([pa.array([1, 2]), pa.array([3, 4])], ["a", "a"])
    pq.write_table(table, path)
    with pytest.raises(CorrganError, match="duplicate column names: a;"):
        TableSource(path)
    with pytest.raises(CorrganError, match="duplicate column names: a;"):
        TableSource.from_table(table)


def test_atomic_path_renames_on_success_and_honours_the_umask(tmp_path):
    final = tmp_path / "deep" / "out.txt"
    previous = os.umask(0o027)
    try:
        with atomic_path(final) as temporary:
            assert temporary.parent == final.parent
            assert not final.exists()
            temporary.write_text("done")
    finally:
        os.umask(previous)
    assert final.read_text() == "done"
    assert stat.S_IMODE(final.stat().st_mode) == 0o640
    assert list(final.parent.iterdir()) == [final]


def test_atomic_path_keeps_the_old_file_on_error(tmp_path):
    final = tmp_path / "out.txt"
    final.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(final) as temporary:
        temporary.write_text("half")
        raise RuntimeError("interrupted")
    assert final.read_text() == "old"
    assert list(tmp_path.iterdir()) == [final]


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_table_writer_appears_only_when_closed(tmp_path, file_format):
    table = pa.table({"x": [1.5, 2.5, 3.5], "s": ["a", "b", "c"]})
    path = tmp_path / f"out.{file_format}"
    writer = TableWriter(path, table.schema, file_format)
    writer.write(table)
    writer.write(table)
    assert not path.exists()
    writer.close()

    assert writer.rows_written == 6
    back = read_table(path)
    assert back.equals(pa.concat_tables([table, table]))
    if file_format == "parquet":
        assert pq.ParquetFile(path).num_row_groups == 2
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_table_writer_drops_the_partial_file_on_error(tmp_path):
    table = pa.table({"x": [1, 2, 3]})
    path = tmp_path / "out.parquet"
    with pytest.raises(ValueError), TableWriter(path, table.schema, "parquet") as w:
        w.write(table)
        raise ValueError("generator failed")
    assert list(tmp_path.iterdir()) == []


def test_table_writer_refuses_an_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="unknown format 'json'"):
        TableWriter(tmp_path / "x.json", pa.schema([("x", pa.int64())]), "json")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["round.parquet", "round.csv"])
def test_write_table_follows_the_suffix(tmp_path, name):
    table = pa.table({"n": pa.array([1, 2, 3], pa.int64()), "s": ["x", "y", "z"]})
    path = tmp_path / name
    write_table(table, path)
    assert TableSource(path).format == Path(name).suffix[1:]
    assert read_table(path).equals(table)


def test_empty_csv_fields_in_a_text_column_are_nulls(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text('n,s\n1,a\n2,\n,b\n4,""\n')
    table = read_table(path)
    assert table.schema.field("s").type == pa.string()
    assert table.column("s").to_pylist() == ["a", None, "b", ""]
    assert table.column("n").to_pylist() == [1, 2, None, 4]


def test_nulls_and_empty_strings_survive_a_csv_round_trip(tmp_path):
    table = pa.table(
        {
            "x": [1.5, None, 3.5, 4.5],
            "s": ["a", None, "", "NA"],
            "d": pa.array(["u", None, "v", "u"]).dictionary_encode(),
        }
    )
    path = tmp_path / "round.csv"
    write_table(table, path)
    back = read_table(path)
    assert back.column("x").equals(table.column("x"))
    assert back.column("s").to_pylist() == ["a", None, "", "NA"]
    assert back.column("d").to_pylist() == ["u", None, "v", "u"]


def test_text_that_looks_like_numbers_reads_back_from_csv_as_text(tmp_path):
    # corrgan quotes its text: zip codes keep their zeros, codes and the words
    # true and false stay text, so a CSV sample matches its Parquet training data
    table = pa.table(
        {
            "zip": ["00501", "02134", None, "90210"],
            "code": ["1", "2", "3", "1"],
            "answer": ["true", "false", "false", ""],
            "x": [0.5, 1.5, None, 2.0],
            "n": pa.array([1, 2, 3, 4], pa.int64()),
            "flag": [True, False, None, True],
        }
    )
    path = tmp_path / "codes.csv"
    write_table(table, path)
    assert read_table(path).equals(table)


def test_time_stamps_past_the_nanosecond_range_read_back_from_csv(tmp_path):
    # 9999-12-31 marks "no end"; nanoseconds, which the parser infers, end in 2262
    ends = [dt.datetime(9999, 12, 31, 23, 59, 59), None, dt.datetime(2020, 1, 1)]
    starts = [dt.datetime(2500, 1, 1, 12, tzinfo=dt.timezone.utc)] * 3
    table = pa.table(
        {
            "valid_to": pa.array(ends, pa.timestamp("us")),
            "valid_from": pa.array(starts, pa.timestamp("us", tz="Europe/Paris")),
            "note": ["2020-01-01 00:00 x", "b", "c"],
        }
    )
    path = tmp_path / "history.csv"
    write_table(table, path)
    back = read_table(path)
    assert back.column("valid_to").equals(table.column("valid_to"))
    assert back.column("valid_from").type == pa.timestamp("us", tz="UTC")
    assert back.column("valid_from").to_pylist() == starts
    assert back.column("note").to_pylist() == ["2020-01-01 00:00 x", "b", "c"]


def test_quotes_on_every_field_say_nothing_of_the_types(tmp_path):
    path = tmp_path / "all.csv"
    path.write_text('"zip","x"\n"00501","0.5"\n"02134","1.5"\n')
    table = read_table(path)
    assert table.column("zip").to_pylist() == [501, 2134]
    assert table.column("x").to_pylist() == [0.5, 1.5]


def test_quoted_dates_beside_unquoted_numbers_stay_dates(tmp_path):
    # R's write.csv quotes dates along with its text
    path = tmp_path / "r.csv"
    path.write_text('"row","day","n"\n"1","2020-01-01",3\n"2","2020-01-02",4\n')
    table = read_table(path)
    assert table.column("day").type == pa.date32()
    assert table.column("row").to_pylist() == ["1", "2"]
    assert table.column("n").to_pylist() == [3, 4]


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_csv_delimiter_is_found_from_the_lines(tmp_path, delimiter):
    # quoted fields may hold the other delimiters, and the suffix says nothing
    rows = [["n", "note", "x"], ["1", "a,b", "0.5"], ["2", "c;d|e", "1.5"]]
    path = tmp_path / "table.txt"
    path.write_text("".join(delimiter.join(f'"{v}"' for v in r) + "\n" for r in rows))
    table = read_table(path)
    assert table.schema.names == ["n", "note", "x"]
    assert table.column("note").to_pylist() == ["a,b", "c;d|e"]
    assert table.column("x").to_pylist() == [0.5, 1.5]


def test_decimal_commas_are_read_as_numbers_beside_a_semicolon(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("temp;count;city\n20,5;3;Lyon\n-1,25;4;Gent\n7;5;Lyon\n")
    table = read_table(path)
    assert table.column("temp").to_pylist() == [20.5, -1.25, 7.0]
    assert table.column("count").to_pylist() == [3, 4, 5]


def test_decimal_points_beside_a_semicolon_stay_points(tmp_path):
    # one field with a point is enough: "1,5" is then text, not a number
    path = tmp_path / "mixed.csv"
    path.write_text("a;b\n1,5;0.5\n2,5;1.5\n")
    assert sniff_csv(path).decimal_point == "."
    assert read_table(path).column("b").to_pylist() == [0.5, 1.5]


def test_a_comma_csv_with_one_column_stays_one_column(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("remark\nfoo;bar\nbaz;qux\n")
    assert read_table(path).column("remark").to_pylist() == ["foo;bar", "baz;qux"]


def test_a_short_line_is_named_in_the_sniffed_delimiter(tmp_path):
    # the header splits on ';', so the parser complains about the short line
    # rather than reading one column called "a;b"
    path = tmp_path / "short.csv"
    path.write_text("a;b\n1;2\n3\n")
    with pytest.raises(CorrganError, match="Expected 2 columns, got 1: 3"):
        TableSource(path)


def test_the_sniffer_reads_only_the_head_of_a_long_file(tmp_path):
    path = tmp_path / "long.csv"
    line = "1;2,5;x\n"
    path.write_text("a;b;c\n" + line * 20_000)
    assert path.stat().st_size > 2 * 65_536
    assert sniff_csv(path).delimiter == ";"
    assert read_table(path).num_rows == 20_000


def test_a_csv_that_is_not_utf8_names_the_column_row_and_fix(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("x,city\n1,Lyon\n2,Besan\u00e7on\n".encode("latin-1"))
    with pytest.raises(CorrganError) as caught:
        TableSource(path)
    message = str(caught.value)
    assert "latin.csv is not UTF-8 text: column 'city', data row 2" in message
    assert "iconv -f latin1 -t utf-8 latin.csv > latin-utf8.csv" in message
    assert message.isprintable()


def test_null_tokens_are_nulls_in_numbers_but_text_in_text_columns(tmp_path):
    # NA is a missing number, but a region called NA is North America
    path = tmp_path / "regions.csv"
    path.write_text("x,region\n1.5,NA\nNA,EU\nnull,N/A\n4.5,\n")
    table = read_table(path)
    assert table.column("x").to_pylist() == [1.5, None, None, 4.5]
    assert table.column("region").to_pylist() == ["NA", "EU", "N/A", None]


def test_a_trailing_delimiter_column_is_left_out(tmp_path, caplog):
    path = tmp_path / "trailing.csv"
    path.write_text("a,b,\n1,x,\n2,y,\n")
    table = read_table(path)
    assert table.schema.names == ["a", "b"]
    assert "column 3 has no name and no values" in caplog.text


def test_an_unnamed_column_with_values_is_an_error(tmp_path):
    path = tmp_path / "unnamed.csv"
    path.write_text("a,,c\n1,x,3\n2,y,4\n")
    with pytest.raises(CorrganError, match="column 2 has values but no name"):
        TableSource(path)


def test_parquet_files_with_different_columns_are_refused(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    pq.write_table(pa.table({"x": [1.0, 2.0], "cat": ["a", "b"]}), folder / "a.parquet")
    pq.write_table(pa.table({"x": [3.0], "z": [7]}), folder / "b.parquet")
    with pytest.raises(CorrganError) as caught:
        TableSource(folder)
    message = str(caught.value)
    assert "do not hold the same columns" in message
    assert "b.parquet has z, which" in message and "and no cat" in message


def test_the_row_index_pandas_stored_is_left_out_and_a_named_one_kept(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "cat": list("abab")})
    # rows out of order: an index that is no range, so pandas stores it
    unnamed = tmp_path / "shuffled.parquet"
    frame.iloc[[3, 1, 0]].to_parquet(unnamed)
    assert "__index_level_0__" in pq.read_schema(unnamed).names
    source = TableSource(unnamed)
    assert source.schema.names == ["x", "cat"]
    assert source.read().column("x").to_pylist() == [4.0, 2.0, 1.0]
    for table in (source.read(), source.sample(2, 0), *source.iter_batches(2)):
        assert table.schema.names == ["x", "cat"]
        # no pandas metadata, so to_pandas makes no column an index
        assert list(table.to_pandas().columns) == ["x", "cat"]

    named = tmp_path / "named.parquet"
    frame.set_index("cat").to_parquet(named)
    table = read_table(named)
    assert sorted(table.schema.names) == ["cat", "x"]
    assert sorted(table.to_pandas().columns) == ["cat", "x"]


def binary_csv(path: Path) -> Path:
    """A PNG-like file named .csv whose second line is a long run of raw bytes."""
    path.write_bytes(b"\x89PNG\r\n" + b"\x1a\x00\xff,\x07\x1b\x9c" * 400 + b"\n")
    return path


def test_binary_file_named_csv_gives_a_short_readable_message(tmp_path):
    path = binary_csv(tmp_path / "image.csv")
    with pytest.raises(CorrganError) as caught:
        TableSource(path)
    message = str(caught.value)
    assert "image.csv as CSV: the file does not look like CSV text" in message
    assert message.isprintable()
    assert len(message) < 400


def test_a_quoted_parser_message_is_one_short_printable_line():
    err = ValueError("bad row: " + "\x07\ufffd" * 600 + "\nsecond line")
    text = first_line(err)
    assert text.startswith("bad row: ??")
    assert text.endswith(" ...")
    assert text.isprintable()
    assert len(text) <= 204


def test_atomic_path_refuses_a_folder_before_the_work(tmp_path):
    folder = tmp_path / "taken"
    folder.mkdir()
    refused = pytest.raises(CorrganError, match="taken is a folder, not a file")
    with refused, atomic_path(folder):
        pytest.fail("the body ran although the output is a folder")
    assert list(folder.iterdir()) == []
    assert list(tmp_path.iterdir()) == [folder]


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_table_writer_refuses_a_folder(tmp_path, file_format):
    folder = tmp_path / "taken"
    folder.mkdir()
    schema = pa.schema([("x", pa.int64())])
    with pytest.raises(CorrganError, match="taken is a folder, not a file"):
        TableWriter(folder, schema, file_format)
    assert list(tmp_path.iterdir()) == [folder]


def test_atomic_path_names_a_file_in_the_way_of_its_folder(tmp_path):
    (tmp_path / "afile").write_text("keep")
    final = tmp_path / "afile" / "sub" / "out.txt"
    with pytest.raises(CorrganError) as caught, atomic_path(final):
        pytest.fail("the body ran although the folder cannot exist")
    message = str(caught.value)
    assert f"{tmp_path / 'afile'} is a file, not a folder" in message
    assert f"pick another place for {final}" in message
    assert (tmp_path / "afile").read_text() == "keep"


def test_atomic_path_says_why_its_folder_takes_no_files(tmp_path, monkeypatch):
    def refuse(**kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("corrgan.io.tempfile.mkstemp", refuse)
    final = tmp_path / "out.txt"
    with pytest.raises(CorrganError) as caught, atomic_path(final):
        pytest.fail("the body ran without a temporary file")
    message = str(caught.value)
    assert f"cannot write {final}: the folder {tmp_path}" in message
    assert "(Permission denied)" in message


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_atomic_path_in_a_folder_that_takes_no_files():
    with pytest.raises(CorrganError) as caught, atomic_path("/proc/x.csv"):
        pytest.fail("the body ran without a temporary file")
    message = str(caught.value)
    assert message.startswith("cannot write /proc/x.csv: the folder /proc")
    assert "\n" not in message


def test_atomic_path_reports_a_failed_rename(tmp_path, monkeypatch):
    final = tmp_path / "out.txt"

    def refuse(source, target):
        raise IsADirectoryError(21, "Is a directory")

    monkeypatch.setattr("corrgan.io.os.replace", refuse)
    refused = pytest.raises(CorrganError, match="cannot write .*out.txt: Is a dir")
    with refused, atomic_path(final) as temporary:
        temporary.write_text("done")
    assert list(tmp_path.iterdir()) == []


def test_make_folder_refuses_a_file_and_names_the_fix(tmp_path):
    (tmp_path / "afile").write_text("keep")
    with pytest.raises(CorrganError, match="afile is a file, not a folder; pick --out"):
        make_folder(tmp_path / "afile", fix="pick --out")
    with pytest.raises(CorrganError, match="cannot create the folder .*afile/deeper"):
        make_folder(tmp_path / "afile" / "deeper", fix="pick --out")
    assert make_folder(tmp_path / "new" / "deeper").is_dir()


def test_check_output_folder_creates_nothing(tmp_path):
    assert check_output_folder(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert list(tmp_path.iterdir()) == []


def test_parquet_files_may_differ_in_number_types_but_not_in_kind(tmp_path):
    widths = tmp_path / "widths"
    widths.mkdir()
    pq.write_table(pa.table({"x": pa.array([1, 2], pa.int32())}), widths / "a.parquet")
    pq.write_table(pa.table({"x": pa.array([1.5, 2.5])}), widths / "b.parquet")
    assert read_table(widths).column("x").to_pylist() == [1.0, 2.0, 1.5, 2.5]

    kinds = tmp_path / "kinds"
    kinds.mkdir()
    pq.write_table(pa.table({"x": pa.array([1, 2])}), kinds / "a.parquet")
    pq.write_table(pa.table({"x": pa.array(["u", "v"])}), kinds / "b.parquet")
    with pytest.raises(CorrganError, match="column 'x' holds different kinds"):
        TableSource(kinds)


def test_hive_partition_folders_are_columns(tmp_path):
    for year in (2020, 2021):
        folder = tmp_path / "data" / f"year={year}"
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"x": [1.0, 2.0]}), folder / "part.parquet")
    table = read_table(tmp_path / "data")
    assert sorted(table.schema.names) == ["x", "year"]
    assert sorted(table.column("year").to_pylist()) == [2020, 2020, 2021, 2021]


def test_hive_partitions_may_differ_in_number_types(tmp_path):
    # integers in one file and floats in another, as in a flat folder
    for year, x in ((2020, pa.array([1, 2])), (2021, pa.array([1.5, 2.5]))):
        folder = tmp_path / "data" / f"year={year}"
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"x": x}), folder / "part.parquet")
    table = read_table(tmp_path / "data")
    assert table.schema.field("x").type == pa.float64()
    assert table.column("x").to_pylist() == [1.0, 2.0, 1.5, 2.5]
    assert table.column("year").to_pylist() == [2020, 2020, 2021, 2021]


def test_a_run_directory_is_not_read_as_a_table(trained_run, tmp_path):
    with pytest.raises(CorrganError, match="is a corrgan run directory, not a table"):
        TableSource(trained_run.run_dir)
    # a user's own folder of splits is a dataset like any other
    for name in ("train", "test"):
        pq.write_table(pa.table({"x": [1.0, 2.0]}), tmp_path / f"{name}.parquet")
    assert read_table(tmp_path).num_rows == 4


@pytest.mark.skipif(
    not hasattr(pa, "string_view"), reason="this pyarrow has no string view"
)
def test_string_views_are_read_as_plain_strings(tmp_path):
    # Polars and DuckDB may write the view layout, which compute kernels lack
    views = pa.array(["x", None, "y"] * 20, pa.string_view())
    table = pa.table({"a": np.arange(60.0), "s": views})
    pq.write_table(table, tmp_path / "views.parquet")
    for source in (
        TableSource(tmp_path / "views.parquet"),
        TableSource.from_table(table),
    ):
        assert source.schema.field("s").type == pa.string()
        read = source.read()
        assert read.schema.field("s").type == pa.string()
        assert read.column("s").to_pylist() == views.to_pylist()
        sampled = source.sample(10, seed=0)
        assert sampled.schema.field("s").type == pa.string()
    schema = infer_schema(read, DataConfig(), "views.parquet")
    kinds = {column.name: column.kind for column in schema.columns}
    assert kinds == {"a": "continuous", "s": "categorical"}


def test_pandas_reads_nullable_integers_and_booleans_as_written(tmp_path):
    table = pa.table(
        {
            "count": pa.array([1, None, 3], pa.int32()),
            "flag": pa.array([True, None, False]),
            "whole": pa.array([4, 5, 6], pa.uint8()),
            "x": pa.array([0.5, None, 1.5]),
        }
    )
    write_table(table, tmp_path / "named.parquet", nullable=["count", "flag", "x"])
    frame = pd.read_parquet(tmp_path / "named.parquet")
    assert dict(frame.dtypes.astype(str)) == {
        "count": "Int32",
        "flag": "boolean",
        "whole": "uint8",
        "x": "float64",
    }
    assert frame["count"].isna().tolist() == [False, True, False]

    # without such a column the file carries no pandas metadata, as Arrow's
    write_table(table, tmp_path / "plain.parquet", nullable=["x"])
    assert b"pandas" not in (pq.read_schema(tmp_path / "plain.parquet").metadata or {})
    assert pd.read_parquet(tmp_path / "plain.parquet")["count"].dtype == "float64"
    # corrgan reads its own files as it reads any other
    assert read_table(tmp_path / "named.parquet").equals(table)
