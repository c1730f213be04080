"""The arrays the report's metrics work on, shared by every compared table.

Each numeric column becomes a float64 array with NaN for nulls; datetimes and
timedeltas become int64 nanoseconds (as floats). Each categorical column
becomes int64 codes into one code book built over all the tables at once, so a
level has the same code in the real, synthetic and training tables. The last
code of every column is the null level, present even when no value is null,
which is how the categorical metrics count nulls as a level.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from corrgan.report.checks import ColumnSpec


@dataclass(frozen=True)
class TableSchema:
    """The columns in report order and the code book of each categorical one."""

    specs: tuple[ColumnSpec, ...]
    labels: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """All column names, in report order."""
        return [spec.name for spec in self.specs]

    @property
    def numeric(self) -> list[str]:
        """The numeric column names, in report order."""
        return [spec.name for spec in self.specs if spec.kind == "numeric"]

    @property
    def categorical(self) -> list[str]:
        """The categorical column names, in report order."""
        return [spec.name for spec in self.specs if spec.kind == "categorical"]

    def is_numeric(self, name: str) -> bool:
        """Whether ``name`` is a numeric column."""
        return name not in self.labels

    def n_levels(self, name: str) -> int:
        """The number of codes of a categorical column, the null level included."""
        return len(self.labels[name]) + 1

    def label_text(self, name: str, code: int) -> str | None:
        """The level behind ``code`` as text, or None for the null level."""
        labels = self.labels[name]
        return None if code >= len(labels) else str(labels[code])


@dataclass(frozen=True)
class EncodedTable:
    """One table as arrays: float64 for numeric columns, codes for categorical."""

    columns: Mapping[str, np.ndarray]
    n_rows: int

    def take(self, rows: np.ndarray) -> EncodedTable:
        """The table restricted to the given row positions."""
        return EncodedTable(
            {name: values[rows] for name, values in self.columns.items()},
            len(rows),
        )


def numeric_values(values: pd.Series) -> np.ndarray:
    """A numeric column as float64 with NaN for nulls.

    Datetimes (time-zone aware ones in UTC) and timedeltas are read as
    nanoseconds, counted in their own unit and scaled as floats, so that dates
    past what int64 nanoseconds hold (9999-12-31, the year 1500) keep their
    value.
    """
    dtype = values.dtype
    if not (
        pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
        or pd.api.types.is_numeric_dtype(dtype)
    ):
        inferred = pd.api.types.infer_dtype(values, skipna=True)
        if inferred == "date":
            # datetime.date objects, as Arrow dates arrive: days, whatever year
            dates = values.to_numpy(dtype=object)
            present = ~pd.isna(dates)
            days = np.full(len(dates), np.datetime64("NaT"), dtype="datetime64[D]")
            days[present] = np.array(dates[present].tolist(), dtype="datetime64[D]")
            return _nanoseconds(days)
        if inferred in ("datetime", "datetime64"):
            values = pd.to_datetime(values, utc=True)
        else:
            values = pd.to_numeric(values, errors="coerce")
        dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
        dtype = values.dtype
    temporal = pd.api.types.is_datetime64_any_dtype(dtype)
    if temporal or pd.api.types.is_timedelta64_dtype(dtype):
        return _nanoseconds(values.to_numpy())
    return values.to_numpy(dtype="float64", na_value=np.nan)


def _nanoseconds(times: np.ndarray) -> np.ndarray:
    # a cast to nanoseconds would wrap around silently past the years 1677-2262
    unit, count = np.datetime_data(times.dtype)
    scale = np.timedelta64(count, unit) / np.timedelta64(1, "ns")
    result = times.view("int64").astype("float64") * scale
    result[np.isnat(times)] = np.nan
    return result


def _sorted_labels(uniques: np.ndarray) -> np.ndarray:
    # sort the levels so the code book does not depend on which table listed a
    # level first; mixed types that cannot be compared sort by their text
    try:
        return np.argsort(np.asarray(uniques, dtype=object), kind="stable")
    except TypeError:
        texts = np.array([f"{type(u).__name__}:{u}" for u in uniques], dtype=object)
        return np.argsort(texts, kind="stable")


def _encode_categorical(columns: list[pd.Series]) -> tuple[list[np.ndarray], tuple]:
    # one code book over every table's values; nulls get the last code
    stacked = pd.concat(
        [pd.Series(column.to_numpy(dtype=object)) for column in columns],
        ignore_index=True,
    )
    codes, uniques = pd.factorize(stacked, use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    order = _sorted_labels(uniques)
    recode = np.empty(len(uniques) + 1, dtype=np.int64)
    recode[order] = np.arange(len(uniques))
    recode[-1] = len(uniques)
    codes = recode[codes]
    labels = tuple(uniques[order].tolist())
    pieces = np.split(codes, np.cumsum([len(column) for column in columns])[:-1])
    return pieces, labels


def encode_tables(
    tables: Mapping[str, pd.DataFrame], specs: list[ColumnSpec]
) -> tuple[TableSchema, dict[str, EncodedTable]]:
    """Encode checked tables onto one shared code book.

    Args:
        tables: The tables by role ("real", "synthetic", "train"), already
            checked by :func:`corrgan.report.checks.check_tables`.
        specs: The column specs that the check returned.

    Returns:
        The schema (column kinds and code books) and each table's arrays.
    """
    roles = list(tables)
    arrays: dict[str, dict[str, np.ndarray]] = {role: {} for role in roles}
    labels: dict[str, tuple] = {}
    for spec in specs:
        if spec.kind == "numeric":
            for role in roles:
                arrays[role][spec.name] = numeric_values(tables[role][spec.key])
            continue
        pieces, labels[spec.name] = _encode_categorical(
            [tables[role][spec.key] for role in roles]
        )
        for role, codes in zip(roles, pieces, strict=True):
            arrays[role][spec.name] = codes
    schema = TableSchema(tuple(specs), labels)
    encoded = {role: EncodedTable(arrays[role], len(tables[role])) for role in roles}
    return schema, encoded


def stream(seed: int, purpose: str) -> np.random.Generator:
    """A random generator for one purpose, independent of the others.

    The same seed and purpose always give the same stream, so adding a new
    random step elsewhere never shifts the draws of an existing one.
    """
    return np.random.default_rng([seed, zlib.crc32(purpose.encode("utf-8"))])


def subsample(
    table: EncodedTable, limit: int, rng: np.random.Generator
) -> EncodedTable:
    """At most ``limit`` rows of ``table``, drawn without replacement.

    A table within the limit is returned whole and unshuffled.
    """
    if table.n_rows <= limit:
        return table
    rows = np.sort(rng.choice(table.n_rows, size=limit, replace=False))
    return table.take(rows)
