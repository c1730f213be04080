"""Input checks for the report: every table must describe the same columns.

The report compares a synthetic table with a real one, so the two (and the
optional training table) must share their column names and, column by column,
the kind of values they hold. Each check raises :class:`CorrganError` with a
message naming the table, the columns at fault and the fix.

A column is *categorical* when the caller lists it in ``categorical`` or when
it holds booleans; every other column must hold numbers (integers, floats,
datetimes or timedeltas, the last two read as int64 nanoseconds).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from corrgan.errors import CorrganError

ColumnKind = Literal["numeric", "categorical"]

# how the values of one column look, before the caller's categorical list
# decides what the report does with them
# ("zoned": time stamps with a time zone, instants rather than wall-clock times)
ValueKind = Literal[
    "number", "datetime", "zoned", "duration", "boolean", "text", "empty"
]

_NUMBER_INFERRED = {"integer", "floating", "mixed-integer-float", "decimal"}
# "date": datetime.date objects, which is what Arrow date32 columns become
_DATETIME_INFERRED = {"datetime", "datetime64", "date"}


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the compared tables and what the report treats it as.

    ``name`` is the column's label as text (what the report writes); ``key``
    is the label as the tables spell it, used to look the column up.
    """

    name: str
    kind: ColumnKind
    key: Hashable


def value_kind(values: pd.Series) -> ValueKind:
    """Say whether a column holds numbers, dates or times, durations, booleans
    or text (or only nulls).

    Object columns are looked at value by value, so a column of Python ints
    stored as ``object`` still counts as numbers.
    """
    if values.isna().all():
        return "empty"
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if isinstance(dtype, pd.CategoricalDtype):
        return "text"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "zoned"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "duration"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in _NUMBER_INFERRED:
        return "number"
    if inferred in _DATETIME_INFERRED:
        return "datetime"
    if inferred == "timedelta":
        return "duration"
    if inferred == "boolean":
        return "boolean"
    return "text"


def _describe(kind: ValueKind) -> str:
    return {
        "number": "numbers",
        "datetime": "dates or times",
        "zoned": "time stamps with a time zone",
        "duration": "durations",
        "boolean": "booleans",
        "text": "text",
        "empty": "only nulls",
    }[kind]


def _check_not_empty(table: pd.DataFrame, role: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"the {role} table must be a pandas DataFrame")
    if table.shape[1] == 0:
        raise CorrganError(
            f"The {role} table has no columns; pass the table that was read "
            "from the data file."
        )
    if len(table) == 0:
        raise CorrganError(
            f"The {role} table has no rows; the report needs at least one "
            f"{role} row. Check the file or the sampling step that wrote it."
        )
    duplicated = sorted({str(c) for c in table.columns[table.columns.duplicated()]})
    if duplicated:
        raise CorrganError(
            f"The {role} table has duplicated column names {duplicated}; "
            "rename them so that every column name is unique."
        )


def _check_same_columns(
    reference: pd.DataFrame, other: pd.DataFrame, role: str
) -> None:
    expected = list(reference.columns)
    missing = [c for c in expected if c not in set(other.columns)]
    extra = [c for c in other.columns if c not in set(expected)]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {missing}")
        if extra:
            parts.append(f"extra {extra}")
        raise CorrganError(
            f"The {role} table's columns differ from the real table's: "
            f"{' and '.join(parts)}. Both tables must have the same columns "
            f"(the real table has {expected}); drop or rename columns so "
            "they match."
        )


def _column_kind(
    name: str,
    kinds: dict[str, ValueKind],
    listed: set[str],
) -> ColumnKind:
    # the tables must agree on what the column holds (a column of nulls only
    # agrees with anything)
    seen = {role: kind for role, kind in kinds.items() if kind != "empty"}
    if set(seen.values()) == {"datetime", "zoned"}:
        # compared as they are, the values would be off by the zone's offset
        zoned = [role for role, kind in seen.items() if kind == "zoned"]
        naive = [role for role, kind in seen.items() if kind == "datetime"]
        raise CorrganError(
            f"Column '{name}' holds time stamps with a time zone in the "
            f"{' and '.join(zoned)} table and without one in the "
            f"{' and '.join(naive)} table, so their values cannot be compared; "
            "give every table the same zone (in pandas, .dt.tz_localize(ZONE) "
            "on the one without, or .dt.tz_localize(None) on the others)."
        )
    if len(set(seen.values())) > 1:
        described = ", ".join(
            f"{_describe(kind)} in the {role} table" for role, kind in seen.items()
        )
        raise CorrganError(
            f"Column '{name}' holds {described}. A column must hold the same "
            "kind of values in every table; convert it (for example with "
            "astype) so the tables agree."
        )
    kind = next(iter(seen.values()), "empty")
    if name in listed or kind == "boolean":
        return "categorical"
    if kind == "text":
        raise CorrganError(
            f"Column '{name}' holds text but is not listed in categorical; "
            f"add '{name}' to the categorical columns."
        )
    return "numeric"


def _check_finite(name: str, tables: dict[str, pd.DataFrame]) -> None:
    for role, table in tables.items():
        values = table[name]
        if not pd.api.types.is_float_dtype(values.dtype):
            continue
        if np.isinf(values.to_numpy(dtype=float, na_value=np.nan)).any():
            raise CorrganError(
                f"Column '{name}' holds +-inf in the {role} table; replace those "
                "values with finite numbers or nulls, or leave the column out."
            )


def check_tables(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    categorical: Sequence[str],
    train: pd.DataFrame | None = None,
    target: str | None = None,
) -> list[ColumnSpec]:
    """Check the report's input tables and settle each column's kind.

    Args:
        real: The real (held-out) table; its column order is the report's.
        synthetic: The synthetic table, with the same columns in any order.
        categorical: Names of the categorical columns.
        train: Optional training table, with the same columns.
        target: Optional categorical column to condition on.

    Returns:
        One :class:`ColumnSpec` per column, in the real table's order.

    Raises:
        CorrganError: If a table is empty, the column sets differ, a column
            holds different kinds of values in different tables, a text column
            is not listed as categorical, or ``target`` is not a categorical
            column.
    """
    # every table is non-empty and has the real table's columns
    if isinstance(categorical, str):
        raise TypeError("categorical must be a sequence of column names, not a str")
    _check_not_empty(real, "real")
    _check_not_empty(synthetic, "synthetic")
    _check_same_columns(real, synthetic, "synthetic")
    if train is not None:
        _check_not_empty(train, "train")
        _check_same_columns(real, train, "train")
    columns = list(real.columns)
    listed = set(categorical)
    unknown = [c for c in categorical if c not in set(columns)]
    if unknown:
        raise CorrganError(
            f"The categorical list names {unknown}, which the tables do not "
            f"have; the columns are {columns}."
        )

    # each column's kind, agreed by all tables
    tables = {"real": real, "synthetic": synthetic}
    if train is not None:
        tables["train"] = train
    specs = []
    for name in columns:
        kinds = {role: value_kind(table[name]) for role, table in tables.items()}
        kind = _column_kind(name, kinds, listed)
        if kind == "numeric":
            _check_finite(name, tables)
        specs.append(ColumnSpec(name=str(name), kind=kind, key=name))

    # the target, when given, is one of the categorical columns
    if target is not None:
        if target not in set(columns):
            raise CorrganError(
                f"The target '{target}' is not a column of the tables; choose "
                f"one of {columns}."
            )
        kind = next(spec.kind for spec in specs if spec.key == target)
        if kind != "categorical":
            choices = [spec.name for spec in specs if spec.kind == "categorical"]
            raise CorrganError(
                f"The target '{target}' is numeric, but efficacy and the "
                "within-class correlations need a categorical target; list it "
                f"in categorical or choose one of {choices}."
            )
    return specs


def check_settings(seed: int, max_pair_rows: int, max_privacy_rows: int) -> None:
    """Check the report's numeric settings.

    Raises:
        CorrganError: If the seed is negative or a row limit is below 1.
    """
    if int(seed) != seed or seed < 0:
        raise CorrganError(f"The seed must be a non-negative integer, got {seed}.")
    for name, value in (
        ("max_pair_rows", max_pair_rows),
        ("max_privacy_rows", max_privacy_rows),
    ):
        if int(value) != value or value < 1:
            raise CorrganError(
                f"{name} must be a positive number of rows, got {value}."
            )
