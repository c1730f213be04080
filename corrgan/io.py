"""Reading tables (Parquet or CSV) and writing them atomically.

Reading goes through pyarrow so that column types are the ones the file
declares. A :class:`TableSource` never hands out the whole table unless asked:
statistics are fitted on a bounded, seeded sample and the transform runs batch
by batch, so that a larger-than-memory mode needs no new reader.
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.dataset as pa_ds
import pyarrow.parquet as pq

from corrgan.errors import CorrganError

logger = logging.getLogger(__name__)

PARQUET_MAGIC = b"PAR1"
# the first bytes of packed files that a user may take for a table
PACKED_FORMATS = {
    b"\x1f\x8b": ("gzip-compressed", "decompress it first (gunzip -k {name})"),
    b"BZh": ("bzip2-compressed", "decompress it first (bunzip2 -k {name})"),
    b"\x28\xb5\x2f\xfd": ("zstd-compressed", "decompress it first (unzstd {name})"),
    b"PK\x03\x04": (
        "a ZIP archive (as an Excel workbook is)",
        "unzip it, or save the sheet as CSV",
    ),
}

# the delimiters a CSV is sniffed for, in the order that breaks ties
CSV_DELIMITERS = (",", ";", "\t", "|")
# how much of a CSV the sniffer reads
CSV_SNIFF_BYTES = 65_536

_COMMA_DECIMAL = re.compile(r"[+-]?\d+,\d+")
_POINT_DECIMAL = re.compile(r"[+-]?\d*\.\d+")
_TIME_STAMP = re.compile(r"[+-]?\d{4,}-\d\d-\d\d[ T]\d\d:\d\d")

# the longest parser message an error line quotes; shorter for a binary file,
# whose quoted row is noise
MAX_DETAIL_CHARS = 200
MAX_BINARY_DETAIL_CHARS = 60


class TableSource:
    """A table on disk: its schema, row count, samples and batches.

    A Parquet dataset is read lazily, file by file. A CSV is parsed into
    Arrow memory (about the size of the numbers it holds; its text columns
    are parsed a second time, see :func:`_read_csv`); convert a CSV that does
    not fit in memory to Parquet first.

    Args:
        path: a Parquet file, a directory of Parquet files read as one dataset,
            or a CSV file.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.format = _detect_format(self.path)
        self._table: pa.Table | None = None
        self._dataset: pa_ds.Dataset | None = None
        try:
            if self.format == "csv":
                self._table = _read_csv(self.path)
            else:
                files = _parquet_files(self.path)
                # a dataset fails on duplicate names with a misleading message,
                # and silently takes the first file's columns for all of them
                unified = _check_parquet_schemas(self.path, files)
                # year=2020/month=1/part.parquet: the folders hold columns too
                hive = isinstance(files, list) and any(
                    "=" in part
                    for file in files
                    for part in Path(file).relative_to(self.path).parts[:-1]
                )
                folders = {}
                if hive:
                    folders = {
                        "partitioning": "hive",
                        "partition_base_dir": str(self.path),
                    }
                if hive and unified is not None:
                    # the folders' columns join the widened columns of the files
                    found = pa_ds.dataset(files, format="parquet", **folders).schema
                    unified = pa.schema(
                        [*unified, *(f for f in found if f.name not in unified.names)],
                        metadata=unified.metadata,
                    )
                self._dataset = pa_ds.dataset(
                    files, format="parquet", schema=unified, **folders
                )
                # touch every file's footer now, so a truncated file fails here
                self.num_rows = self._dataset.count_rows()
        except (pa.ArrowInvalid, pa.ArrowIOError, OSError, UnicodeDecodeError) as err:
            raise CorrganError(_open_error(self.path, self.format, err)) from None
        if self._table is not None:
            self.num_rows = self._table.num_rows
        else:
            self._dataset = self._dataset.replace_schema(
                without_pandas_index(self._dataset.schema, self.path)
            )
        self.schema: pa.Schema = _without_views(
            self._table.schema if self._table is not None else self._dataset.schema
        )
        _check_unique_names(self.schema.names, self.path)

    @classmethod
    def from_table(cls, table: pa.Table, name: str = "<memory>") -> TableSource:
        """A source over a table already in memory."""
        source = cls.__new__(cls)
        source.path, source.format = Path(name), "memory"
        table = _cast_views(table)
        source._table, source._dataset = table, None
        source.num_rows, source.schema = table.num_rows, table.schema
        _check_unique_names(table.schema.names, source.path)
        return source

    def read(self, columns: list[str] | None = None) -> pa.Table:
        """Return the whole table (or some of its columns) in memory."""
        if self._table is not None:
            return self._table.select(columns) if columns else self._table
        return self._guard(lambda: self._scanner(columns).to_table())

    def sample(self, max_rows: int, seed: int) -> pa.Table:
        """Return at most ``max_rows`` rows drawn without replacement, seeded.

        The whole table when it has no more rows than that, in file order.
        """
        if self.num_rows <= max_rows:
            return self.read()
        rng = np.random.default_rng(seed)
        indices = np.sort(rng.choice(self.num_rows, size=max_rows, replace=False))
        if self._table is not None:
            return self._table.take(indices)
        return self._guard(lambda: self._scanner().take(indices))

    def iter_batches(self, batch_rows: int = 65_536) -> Iterator[pa.Table]:
        """Yield the table in consecutive batches of at most ``batch_rows`` rows."""
        if self._table is not None:
            for start in range(0, self.num_rows, batch_rows):
                yield self._table.slice(start, batch_rows)
            return
        try:
            for batch in self._scanner(batch_size=batch_rows).to_batches():
                if batch.num_rows:
                    yield pa.Table.from_batches([batch])
        except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as err:
            raise CorrganError(
                f"cannot read {self.path}: {first_line(err)}; check that the "
                "file is complete and not corrupted"
            ) from None

    def _scanner(self, columns: list[str] | None = None, **options) -> pa_ds.Scanner:
        """A scan of the dataset that reads string and binary views as plain
        strings and binaries, as ``schema`` says."""
        names = columns or self.schema.names
        projection = {
            name: pc.field(name).cast(self.schema.field(name).type)
            if self.schema.field(name).type != self._dataset.schema.field(name).type
            else pc.field(name)
            for name in names
        }
        return self._dataset.scanner(columns=projection, **options)

    def _guard(self, read):
        try:
            return read()
        except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as err:
            raise CorrganError(
                f"cannot read {self.path}: {first_line(err)}; check that the "
                "file is complete and not corrupted"
            ) from None


def _parquet_files(path: Path) -> Path | list[str]:
    """A file as it is; a directory as its ``*.parquet`` files, sorted.

    Other files beside them (a README, a ``_SUCCESS`` marker) are ignored,
    as are hidden and underscore-prefixed files.
    """
    if not path.is_dir():
        return str(path)
    return [
        str(file)
        for file in sorted(path.rglob("*.parquet"))
        if not any(part.startswith((".", "_")) for part in file.relative_to(path).parts)
    ]


def _type_family(arrow_type: pa.DataType) -> str:
    """Types that one column may hold in different files of a dataset."""
    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type):
        return "number"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "text"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    return str(arrow_type)


def _check_parquet_schemas(path: Path, files: Path | list[str]) -> pa.Schema | None:
    """Every file of a dataset has the same column names, each once, and
    each column the same kind of values in every file.

    Columns may come in another order. A column of integers in one file and
    floats (or integers of another width) in another is read as float64
    (int64) from all of them: the schema to read with is returned, or None
    when the first file's schema serves.
    """
    paths = [files] if isinstance(files, (str, Path)) else files
    first: tuple[str, pa.Schema] | None = None
    types: dict[str, dict[str, pa.DataType]] = {}
    for file in paths:
        schema = pq.read_schema(file)
        for field in schema:
            types.setdefault(field.name, {})[str(file)] = field.type
        names = schema.names
        _check_unique_names(names, Path(file))
        empty = [i + 1 for i, name in enumerate(names) if not name.strip()]
        if empty:
            raise CorrganError(
                f"{file}: column {empty[0]} has no name; give every column a "
                "name before training on the file"
            )
        if first is None:
            first = (str(file), schema)
        elif set(names) != set(first[1].names):
            extra = sorted(set(names) - set(first[1].names))
            missing = sorted(set(first[1].names) - set(names))
            differences = []
            if extra:
                differences.append(f"{', '.join(extra)}, which {first[0]} lacks")
            if missing:
                differences.append(f"no {', '.join(missing)}")
            raise CorrganError(
                f"the files of {path} do not hold the same columns: {file} has "
                f"{' and '.join(differences)}; give every file of a dataset the "
                "same columns, or point at one file"
            )

    # one kind of values per column; numbers of several types are widened
    widened = {}
    for name, by_file in types.items():
        if len({str(kind) for kind in by_file.values()}) == 1:
            continue
        families = {_type_family(kind) for kind in by_file.values()}
        if len(families) > 1:
            shown = "; ".join(f"{kind} in {file}" for file, kind in by_file.items())
            raise CorrganError(
                f"column {name!r} holds different kinds of values in the files of "
                f"{path}: {shown}; write it with one type in every file"
            )
        if families == {"number"}:
            floating = any(pa.types.is_floating(kind) for kind in by_file.values())
            widened[name] = pa.float64() if floating else pa.int64()
    if not widened or first is None:
        return None
    base = first[1]
    return pa.schema(
        [pa.field(field.name, widened.get(field.name, field.type)) for field in base],
        metadata=base.metadata,
    )


def _without_views(schema: pa.Schema) -> pa.Schema:
    """``schema`` with string and binary views as plain strings and binaries.

    Arrow's compute functions (distinct counts, sorts) have no kernels for
    the view layouts, which Polars and DuckDB may write to Parquet.
    """
    # pyarrow before 16 has neither layout nor their tests
    is_string_view = getattr(pa.types, "is_string_view", lambda _: False)
    is_binary_view = getattr(pa.types, "is_binary_view", lambda _: False)
    plain = []
    for field in schema:
        if is_string_view(field.type):
            field = field.with_type(pa.string())
        elif is_binary_view(field.type):
            field = field.with_type(pa.binary())
        plain.append(field)
    return pa.schema(plain, metadata=schema.metadata)


def _cast_views(table: pa.Table) -> pa.Table:
    plain = _without_views(table.schema)
    return table if plain.equals(table.schema) else table.cast(plain)


def without_pandas_index(schema: pa.Schema, path: Path) -> pa.Schema:
    """The schema to read a Parquet dataset with: no pandas metadata, so that
    ``to_pandas`` turns no column into an index and every reader sees the same
    columns, and no unnamed row index that pandas stored as a column
    (``__index_level_0__``). A named index is data the user chose to keep,
    and stays a column.
    """
    metadata = dict(schema.metadata or {})
    try:
        pandas = json.loads(metadata.pop(b"pandas", b"{}"))
    except ValueError:
        pandas = {}
    stored = pandas.get("index_columns", []) if isinstance(pandas, dict) else []
    index = [
        name
        for name in stored
        if isinstance(name, str) and re.fullmatch(r"__index_level_\d+__", name)
    ]
    if index:
        logger.info(
            "%s: leaving out %s, the row index pandas stored with the data",
            path,
            ", ".join(index),
        )
    return pa.schema(
        [field for field in schema if field.name not in index], metadata=metadata
    )


def _read_csv(path: Path) -> pa.Table:
    """Parse a CSV whose dialect is sniffed; text columns keep null tokens.

    The parser reads ``NA``, ``N/A``, ``null``, ``NaN`` and the like as nulls
    (pandas' defaults), which is right for numbers; a text column is read a
    second time so that only its empty fields are nulls, and a category
    ``NA`` (North America, not applicable) stays one.
    """
    dialect = sniff_csv(path)
    _check_csv_header(path, dialect.delimiter)
    parse = pa_csv.ParseOptions(delimiter=dialect.delimiter)
    table = pa_csv.read_csv(
        path, parse_options=parse, convert_options=dialect.convert_options()
    )
    _check_utf8(table, path)
    quoted = {
        table.schema.names[index]
        for index in _quoted_columns(path, dialect)
        if index < table.num_columns
    }
    table = _drop_unnamed_empty_columns(table, path)
    for index, field in enumerate(table.schema):
        if pa.types.is_string(field.type):
            stamps = _wide_time_stamps(table.column(index))
            if stamps is not None:
                table = table.set_column(index, field.name, stamps)
    text = [
        field.name
        for field in table.schema
        if pa.types.is_string(field.type)
        # digits in quotes ("00501") are codes where the file quotes only text;
        # dates are left alone, as R's write.csv quotes them with the text
        or field.name in quoted
        and (
            pa.types.is_integer(field.type)
            or pa.types.is_floating(field.type)
            or pa.types.is_boolean(field.type)
        )
    ]
    if text:
        verbatim = pa_csv.read_csv(
            path, parse_options=parse, convert_options=dialect.convert_options(text)
        )
        for name in text:
            index = table.schema.get_field_index(name)
            table = table.set_column(index, name, verbatim.column(name))
    return table


def _wide_time_stamps(values: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """Time stamps that the parser left as text, or None.

    The parser reads time stamps with decimals as nanoseconds, which end in
    2262 and begin in 1677: a column holding 9999-12-31 23:59:59.000000 (a
    common "no end" marker) stays text. Microseconds hold any year.
    """
    # most text is no time stamp, which one value shows; look for it in the
    # first rows rather than copying the whole column without its nulls
    present = pc.drop_null(values.slice(0, 1000))
    if not len(present):
        present = pc.drop_null(values)
    if not len(present) or not _TIME_STAMP.match(present[0].as_py()):
        return None
    for unit in (pa.timestamp("us"), pa.timestamp("us", tz="UTC")):
        with contextlib.suppress(pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return pc.cast(values, unit)
    return None


def _quoted_columns(path: Path, dialect: CsvDialect) -> list[int]:
    """The columns whose every value is quoted, where other columns are not.

    Writers that quote only their text (corrgan's own CSVs, R's write.csv)
    tell text from numbers by the quotes, which the parser's type inference
    ignores: ``"00501"`` would become the number 501. Where every field is
    quoted, or none, the quotes say nothing and the result is empty.
    Columns are counted from 0, as in the header.

    NOTE: only the lines the sniffer reads are looked at; a column quoted
    there and not further down is still read as text.
    """
    with path.open("rb") as handle:
        head = handle.read(CSV_SNIFF_BYTES)
        complete = not handle.read(1)
    text = head.decode("utf-8", errors="replace")
    rows = _quoting_of_fields(text, dialect.delimiter, complete)[1:]
    width = max((len(row) for row in rows), default=0)
    quoted = [False] * width
    unquoted = [False] * width
    for row in rows:
        for index, (is_quoted, is_empty) in enumerate(row):
            if is_quoted:
                quoted[index] = True
            elif not is_empty:
                unquoted[index] = True
    if not any(unquoted):
        return []
    return [index for index in range(width) if quoted[index] and not unquoted[index]]


def _quoting_of_fields(
    text: str, delimiter: str, complete: bool
) -> list[list[tuple[bool, bool]]]:
    """Each row of ``text`` as ``(quoted, empty)`` per field; the last row
    only when ``text`` is the whole file, as it may be cut short otherwise."""
    rows: list[list[tuple[bool, bool]]] = []
    row: list[tuple[bool, bool]] = []
    position, end = 0, len(text)
    while position < end:
        quoted = text[position] == '"'
        if quoted:
            # a quoted field runs to the first quote that is not doubled
            close = text.find('"', position + 1)
            while close != -1 and text.startswith('""', close):
                close = text.find('"', close + 2)
            if close == -1:
                return rows
            position = close + 1
        stop = position
        while stop < end and text[stop] not in (delimiter, "\n", "\r"):
            stop += 1
        row.append((quoted, not quoted and not text[position:stop].strip()))
        if stop == end:
            break
        position = stop + 1
        if text[stop] != delimiter:
            # a line ends: \r\n counts once, and a blank line is no row
            if text[stop] == "\r" and text.startswith("\n", position):
                position += 1
            rows.append(row)
            row = []
    if complete and row:
        rows.append(row)
    return [row for row in rows if any(quoted or not empty for quoted, empty in row)]


def _drop_unnamed_empty_columns(table: pa.Table, path: Path) -> pa.Table:
    # a trailing delimiter makes a column with no name and no values
    for index in reversed(range(table.num_columns)):
        name = table.schema.names[index]
        if name.strip():
            continue
        if table.column(index).null_count == table.num_rows:
            logger.warning(
                "%s: column %d has no name and no values (a trailing delimiter?) "
                "and is left out",
                path,
                index + 1,
            )
            table = table.remove_column(index)
        else:
            raise CorrganError(
                f"{path}: column {index + 1} has values but no name in the header "
                "line; give it a name"
            )
    return table


def read_table(path: Path | str) -> pa.Table:
    """Read a whole Parquet or CSV table into memory."""
    return TableSource(path).read()


def _detect_format(path: Path) -> str:
    """Tell Parquet from CSV by content where possible, by suffix otherwise."""
    if not path.exists():
        raise CorrganError(
            f"no such file or directory: {path}; check the path (Parquet file, "
            "directory of Parquet files, or CSV file)"
        )
    if path.is_dir():
        # what corrgan train writes there (a folder of a user's own
        # train.parquet and test.parquet is a dataset like any other)
        written = [path / name for name in ("config.json", "transform.json")]
        if (path / "model.json").is_file() or all(f.is_file() for f in written):
            raise CorrganError(
                f"{path} is a corrgan run directory, not a table: reading it "
                "whole would mix its splits and its synthetic rows; pass "
                f"{path / 'train.parquet'} or {path / 'test.parquet'}"
            )
        if not any(path.rglob("*.parquet")):
            raise CorrganError(
                f"directory {path} holds no *.parquet files; point at a Parquet "
                "file, a directory of Parquet files, or a CSV file"
            )
        return "parquet"
    with path.open("rb") as handle:
        head = handle.read(4)
    for magic, (what, fix) in PACKED_FORMATS.items():
        if head.startswith(magic):
            raise CorrganError(
                f"{path} is {what}; corrgan reads plain CSV and Parquet: "
                f"{fix.format(name=path.name)}"
            )
    if head == PARQUET_MAGIC or path.suffix.lower() in {".parquet", ".pq"}:
        return "parquet"
    if path.suffix.lower() in {".csv", ".txt", ".tsv"} or _looks_like_text(path):
        return "csv"
    raise CorrganError(
        f"{path} is neither Parquet nor CSV; convert it to one of those formats"
    )


def _looks_like_text(path: Path) -> bool:
    with path.open("rb") as handle:
        chunk = handle.read(4096)
    if not chunk or b"\x00" in chunk:
        return False
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV is written: its delimiter and its decimal mark."""

    delimiter: str = ","
    decimal_point: str = "."

    def convert_options(
        self, text_columns: list[str] | None = None
    ) -> pa_csv.ConvertOptions:
        """Options for every column, or for reading ``text_columns`` as text.

        An empty field in a text column is a null, as corrgan writes nulls to
        CSV; a quoted empty field ("") stays an empty string, so corrgan's
        own CSVs (which quote every string) read back exactly as written.
        """
        if text_columns is None:
            return pa_csv.ConvertOptions(
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                decimal_point=self.decimal_point,
            )
        return pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in text_columns},
            include_columns=text_columns,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        )


def sniff_csv(path: Path) -> CsvDialect:
    """Find a CSV's delimiter and decimal mark from its first lines.

    The delimiter is the one of :data:`CSV_DELIMITERS` that splits the header
    into the most fields while every following line splits into as many
    (quotes respected); without such a delimiter, the one that splits the
    header most, so that the parser names the line that does not fit.
    Decimal commas are recognised when the delimiter is not a comma, some
    fields look like ``12,5`` and none like ``12.5``.
    """
    with path.open("rb") as handle:
        head = handle.read(CSV_SNIFF_BYTES)
        truncated = bool(handle.read(1))
    text = head.decode("utf-8", errors="replace")
    if truncated:
        # the last line may be cut short; a row cut inside quotes is dropped
        text = text[: text.rfind("\n") + 1] or text
    lines = text.splitlines()

    # the delimiter with the most fields on consistent lines wins
    candidates = []
    for order, delimiter in enumerate(CSV_DELIMITERS):
        rows = [row for row in csv.reader(lines, delimiter=delimiter) if row]
        if not rows:
            continue
        body = rows[1:-1] if truncated else rows[1:]
        consistent = all(len(row) == len(rows[0]) for row in body)
        fields = len(rows[0])
        candidates.append((fields > 1, consistent, fields, -order, delimiter, rows[1:]))
    if not candidates:
        return CsvDialect()
    splits, _, _, _, delimiter, body = max(candidates)
    if not splits:
        delimiter, body = ",", []

    # decimal commas only where commas cannot be the delimiter
    decimal_point = "."
    if delimiter != ",":
        values = [value.strip() for row in body for value in row]
        commas = sum(bool(_COMMA_DECIMAL.fullmatch(value)) for value in values)
        points = sum(bool(_POINT_DECIMAL.fullmatch(value)) for value in values)
        if commas and not points:
            decimal_point = ","
    dialect = CsvDialect(delimiter, decimal_point)
    if dialect != CsvDialect():
        logger.info(
            "reading %s as CSV with delimiter %r and decimal mark %r",
            path,
            delimiter,
            decimal_point,
        )
    return dialect


def _check_utf8(table: pa.Table, path: Path) -> None:
    # the CSV parser reads a column with bytes that are not UTF-8 as binary
    for name in table.schema.names:
        if not pa.types.is_binary(table.schema.field(name).type):
            continue
        values = table.column(name).to_pylist()
        row = next(
            (i for i, value in enumerate(values) if value and not _is_utf8(value)), 0
        )
        shown = repr(values[row])[:MAX_BINARY_DETAIL_CHARS]
        raise CorrganError(
            f"{path} is not UTF-8 text: column {name!r}, data row {row + 1} holds "
            f"{shown}; save the file as UTF-8 (for a Latin-1 file: iconv -f "
            f"latin1 -t utf-8 {path.name} > {path.stem}-utf8.csv)"
        )


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _check_csv_header(path: Path, delimiter: str = ",") -> None:
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        header = next(csv.reader(handle, delimiter=delimiter), None)
    if not header:
        raise CorrganError(
            f"{path} is empty: a CSV needs a header line and rows of data"
        )
    _check_unique_names(header, path)


def _check_unique_names(names: list[str], path: Path) -> None:
    # columns with no name are dealt with once their values are known
    seen: set[str] = set()
    duplicates = sorted(
        {name for name in names if name.strip() and (name in seen or seen.add(name))}
    )
    if duplicates:
        raise CorrganError(
            f"{path} has duplicate column names: {', '.join(duplicates)}; "
            "rename them so that every column name is unique"
        )


def first_line(err: BaseException, limit: int = MAX_DETAIL_CHARS) -> str:
    """The first line of an error, printable and short enough to quote.

    A parser quotes the row it choked on, which for a binary file is raw bytes:
    control and replacement characters become ``?`` and the text is cut.
    """
    lines = str(err).strip().splitlines()
    if not lines:
        return type(err).__name__
    text = "".join(
        char if char.isprintable() and char != "\ufffd" else "?" for char in lines[0]
    )
    if len(text) > limit:
        text = text[:limit].rstrip() + " ..."
    return text


def _open_error(path: Path, file_format: str, err: BaseException) -> str:
    """The message for a table that could not be opened or parsed."""
    if file_format == "csv" and path.is_file() and not _looks_like_text(path):
        detail = first_line(err, MAX_BINARY_DETAIL_CHARS)
        return (
            f"cannot read {path} as CSV: the file does not look like CSV text "
            f"(it holds binary data or is not UTF-8; the parser says: {detail}); "
            "check that this is the file you meant, or convert it to a UTF-8 CSV "
            "or to Parquet"
        )
    detail = first_line(err)
    return (
        f"cannot read {path} as {file_format.upper()}: {detail}; check that the "
        "file is complete and not corrupted"
    )


def check_output_file(path: Path | str) -> Path:
    """Refuse an output file that could not be written, creating nothing.

    Call it before the work whose result goes to ``path``, so that a bad path
    fails in a second rather than after the work. :func:`atomic_path` checks
    again when it writes.

    Raises:
        CorrganError: If ``path`` is a folder, or its folder cannot be made.
    """
    path = Path(path)
    if path.is_dir():
        raise CorrganError(
            f"{path} is a folder, not a file; give the path of a file to write, "
            "for example a name inside that folder"
        )
    check_output_folder(path.parent, fix=f"pick another place for {path}")
    return path


def check_not_an_input(
    output: Path,
    flag: str,
    inputs: Iterable[Path],
    role: str = "an input of this command",
) -> None:
    """Refuse an output path that is one of the command's input files.

    Writing there would replace the input (a held-out split, the model's
    weights) with the output, and the run would still end with exit code 0.
    ``role`` says what the inputs are, for the message.
    """
    if not output.exists():
        return
    for item in inputs:
        if Path(item).exists() and output.resolve() == Path(item).resolve():
            raise CorrganError(
                f"{flag} {output} would overwrite {item}, {role}; write {flag} "
                "somewhere else"
            )


def check_output_folder(path: Path | str, fix: str = "pick another folder") -> Path:
    """Refuse an output folder that could not be created or written to.

    Nothing is created: the nearest part of ``path`` that exists must be a
    folder this process may write in.

    Args:
        path: The folder, existing or not.
        fix: How the user can fix it, ending the message (e.g. "pick another
            --out").

    Raises:
        CorrganError: If a part of ``path`` is a file, or the folder is not
            writable.
    """
    path = Path(path)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        if existing == path:
            raise CorrganError(f"{path} is a file, not a folder; {fix}")
        raise CorrganError(
            f"cannot create the folder {path}: {existing} is a file, not a folder; "
            f"{fix}"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CorrganError(
            f"cannot write in the folder {existing}: permission denied; {fix}"
        )
    return path


def make_folder(path: Path | str, fix: str = "pick another folder") -> Path:
    """Create an output folder and its parents, or say why it cannot be made.

    Raises:
        CorrganError: As :func:`check_output_folder` does, or with the system's
            reason when creating the folder fails.
    """
    path = check_output_folder(path, fix)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CorrganError(
            f"cannot create the folder {path}: {err.strerror or err}; {fix}"
        ) from None
    return path


@contextlib.contextmanager
def atomic_path(final: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; rename it to ``final`` on success.

    On any exception the temporary file is removed and ``final`` is left as it
    was, so a reader never sees a half-written output.

    Raises:
        CorrganError: If ``final`` is a folder, or its folder cannot be created
            or written to; checked before the caller writes anything.
    """
    final = check_output_file(final)
    make_folder(final.parent, fix=f"pick another place for {final}")
    try:
        handle, name = tempfile.mkstemp(
            prefix=f".{final.name}.", suffix=".tmp", dir=final.parent
        )
    except OSError as err:
        raise CorrganError(
            f"cannot write {final}: the folder {final.parent} does not take new "
            f"files ({err.strerror or err}); pick another place for it"
        ) from None
    os.close(handle)
    temporary = Path(name)
    # mkstemp creates the file private; give it the permissions of a plain open
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)
    try:
        yield temporary
        _replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _replace(temporary: Path, final: Path) -> None:
    # the checks above ran before the work; the path may have changed since
    try:
        os.replace(temporary, final)
    except OSError as err:
        raise CorrganError(
            f"cannot write {final}: {err.strerror or err}; remove what is in the "
            "way or pick another place for it"
        ) from None


class TableWriter:
    """Write a table batch by batch to Parquet or CSV under a temporary name.

    The file appears under its final name only when :meth:`close` succeeds;
    used as a context manager, an exception removes the partial file.
    """

    def __init__(self, path: Path | str, schema: pa.Schema, file_format: str):
        if file_format not in {"parquet", "csv"}:
            raise ValueError(f"unknown format {file_format!r}")
        self.path = Path(path)
        self.schema = schema
        self.rows_written = 0
        self._atomic = atomic_path(self.path)
        self._temporary = self._atomic.__enter__()
        try:
            if file_format == "parquet":
                self._writer = pq.ParquetWriter(self._temporary, schema)
            else:
                self._writer = pa_csv.CSVWriter(self._temporary, schema)
        except BaseException as err:
            # no writer to close: just drop the empty temporary file
            self._atomic.__exit__(type(err), err, err.__traceback__)
            raise

    def write(self, table: pa.Table) -> None:
        """Append one batch (a row group, for Parquet)."""
        self._writer.write_table(table)
        self.rows_written += table.num_rows

    def close(self) -> None:
        """Finish the file and move it to its final name."""
        self._writer.close()
        self._atomic.__exit__(None, None, None)

    def abort(self, exc: BaseException) -> None:
        """Drop the partial file."""
        with contextlib.suppress(Exception):
            self._writer.close()
        with contextlib.suppress(BaseException):
            self._atomic.__exit__(type(exc), exc, exc.__traceback__)

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc is None:
            self.close()
        else:
            self.abort(exc)


def write_table(
    table: pa.Table, path: Path | str, nullable: Iterable[str] = ()
) -> None:
    """Write a whole table atomically; the format follows the suffix.

    ``nullable`` names the columns that pandas should read with its nullable
    dtypes (see :func:`with_pandas_dtypes`).
    """
    path = Path(path)
    file_format = "csv" if path.suffix.lower() == ".csv" else "parquet"
    schema = with_pandas_dtypes(table.schema, nullable)
    with TableWriter(path, schema, file_format) as writer:
        writer.write(table.replace_schema_metadata(schema.metadata))


# pandas' nullable dtypes for the Arrow types whose nulls plain NumPy dtypes
# cannot hold (integers would become floats, booleans objects)
NULLABLE_PANDAS_DTYPES = {
    **{
        getattr(pa, name)(): getattr(pd, name.capitalize() + "Dtype")()
        for name in ("int8", "int16", "int32", "int64")
    },
    **{
        getattr(pa, name)(): getattr(pd, "UInt" + name[4:] + "Dtype")()
        for name in ("uint8", "uint16", "uint32", "uint64")
    },
    pa.bool_(): pd.BooleanDtype(),
}


def with_pandas_dtypes(schema: pa.Schema, nullable: Iterable[str]) -> pa.Schema:
    """``schema`` with the pandas metadata under which ``pandas.read_parquet``
    reads the integer and boolean columns named in ``nullable`` as ``Int64``,
    ``boolean`` and the like, as corrgan's Python interface returns them.

    Without it pandas reads an integer column that holds nulls as floats and
    a boolean one as objects. Other columns read as they would without the
    metadata; a schema with no such column is returned without pandas
    metadata, as Arrow writes it.
    """
    metadata = dict(schema.metadata or {})
    metadata.pop(b"pandas", None)
    chosen = set(nullable)
    names = [
        field.name
        for field in schema
        if field.name in chosen and field.type in NULLABLE_PANDAS_DTYPES
    ]
    if not names:
        return schema.with_metadata(metadata)

    # pandas writes the metadata it reads back: ask it, for an empty frame
    frame = schema.with_metadata({}).empty_table().to_pandas()
    for name in names:
        frame[name] = frame[name].astype(
            NULLABLE_PANDAS_DTYPES[schema.field(name).type]
        )
    described = pa.Schema.from_pandas(frame, preserve_index=False).metadata
    return schema.with_metadata({**metadata, b"pandas": described[b"pandas"]})
