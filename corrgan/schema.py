"""Column kinds: inferred from the file's declared types, overridden by flags.

Kinds:
    continuous: floating-point values, generated as floats.
    integer: integers with many distinct values; generated values stay integers.
    categorical: strings, booleans, integers with few distinct values, or any
        column named by ``--categorical``; only categories seen are generated.
    datetime: dates and timestamps, modelled as a number, restored as such.

A column whose values are all distinct strings (an identifier) carries no
learnable structure and is left out with a warning.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from corrgan.config import DataConfig
from corrgan.errors import CorrganError

logger = logging.getLogger(__name__)

ColumnKind = Literal["continuous", "integer", "categorical", "datetime"]

# an all-distinct string column is an identifier only past this many rows;
# in a tiny table every column looks unique
IDENTIFIER_MIN_ROWS = 20


@dataclass
class ColumnSchema:
    """One modelled column: its name, kind and declared Arrow type."""

    name: str
    kind: ColumnKind
    arrow_type: str


@dataclass
class TableSchema:
    """The modelled columns in table order, and the columns left out."""

    columns: list[ColumnSchema]
    dropped: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TableSchema:
        columns = [ColumnSchema(**column) for column in values["columns"]]
        return cls(columns=columns, dropped=list(values.get("dropped", [])))


def value_type(arrow_type: pa.DataType) -> pa.DataType:
    """The type of the values, looking through dictionary encoding."""
    if pa.types.is_dictionary(arrow_type):
        return arrow_type.value_type
    return arrow_type


def _is_text(arrow_type: pa.DataType) -> bool:
    return (
        pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or getattr(pa.types, "is_string_view", lambda _: False)(arrow_type)
    )


def _is_temporal(arrow_type: pa.DataType) -> bool:
    return (
        pa.types.is_timestamp(arrow_type)
        or pa.types.is_date(arrow_type)
        or pa.types.is_duration(arrow_type)
    )


def _is_number(arrow_type: pa.DataType) -> bool:
    return (
        pa.types.is_integer(arrow_type)
        or pa.types.is_floating(arrow_type)
        or pa.types.is_decimal(arrow_type)
    )


def unknown_columns(
    flag: str, unknown: list[str], names: list[str], where: str, fix: str
) -> CorrganError:
    """The error for a flag that names columns a table lacks.

    Names are quoted when one of them holds a comma, since the list flags
    split on commas; where a column holding one was split that way, ``fix``
    says how to name it instead.
    """
    # also an empty name, or one with spaces at an end, which is otherwise lost
    quoted = any(
        "," in name or name != name.strip() or not name for name in [*unknown, *names]
    )
    shown = (lambda name: repr(name)) if quoted else str
    message = (
        f"{flag} names column(s) not in {where}: {', '.join(map(shown, unknown))}; "
        f"the columns are {', '.join(map(shown, names))}"
    )
    # a column like "a, b" arrives split into "a" and "b"
    pieces = {
        piece.strip() for name in names if "," in name for piece in name.split(",")
    }
    if flag != "--target" and pieces & set(unknown):
        message += f"; {flag} splits on commas, so {fix}"
    return CorrganError(message)


def check_overrides(names: list[str], config: DataConfig, where: str) -> None:
    """Fail if an override names an unknown column or a column twice."""
    for flag, requested in (
        ("--categorical", config.categorical),
        ("--continuous", config.continuous),
        ("--drop", config.drop),
        ("--target", [] if config.target is None else [config.target]),
    ):
        unknown = [name for name in requested if name not in names]
        if unknown:
            section = flag.removeprefix("--")
            raise unknown_columns(
                flag,
                unknown,
                names,
                where,
                "name a column that holds one in a --config file "
                f'([data] {section} = ["a, b"])',
            )
    pairs = (
        ("categorical", "continuous"),
        ("drop", "categorical"),
        ("drop", "continuous"),
    )
    for first, second in pairs:
        both = set(getattr(config, first)) & set(getattr(config, second))
        if both:
            raise CorrganError(
                f"column(s) {', '.join(sorted(both))} given to both --{first} and "
                f"--{second}; name each column once"
            )
    if config.target is not None and config.target in config.drop:
        raise CorrganError(
            f"--target {config.target} is also given to --drop; a dropped column "
            f"cannot be the target: take {config.target} out of --drop or choose "
            "another --target"
        )
    if config.target is not None and config.target in config.continuous:
        raise CorrganError(
            f"--target {config.target} must be categorical, but it is given to "
            "--continuous"
        )


def infer_schema(
    sample: pa.Table, config: DataConfig, where: str, command: str = "train"
) -> TableSchema:
    """Decide each column's kind from its Arrow type, its values and the flags.

    Args:
        sample: the table, or a seeded sample of it.
        config: overrides and limits.
        where: the file name, for error messages.
        command: the command reading the table (``train`` or ``report``), so
            that a message suggests only flags that command has.
    """
    check_overrides(sample.schema.names, config, where)
    columns: list[ColumnSchema] = []
    dropped = list(config.drop)
    for name in sample.schema.names:
        if name in config.drop:
            continue
        values = sample.column(name)
        kind = _infer_kind(name, values, config, where, command)
        if kind is None:
            dropped.append(name)
            continue
        columns.append(ColumnSchema(name, kind, str(sample.schema.field(name).type)))
    if not columns:
        raise CorrganError(
            f"{where}: no column is left to model after dropping "
            f"{', '.join(dropped)}; keep at least one column"
        )
    return TableSchema(columns=columns, dropped=dropped)


def _infer_kind(
    name: str, values: pa.ChunkedArray, config: DataConfig, where: str, command: str
) -> ColumnKind | None:
    arrow_type = value_type(values.type)
    non_null = len(values) - values.null_count
    if pa.types.is_floating(arrow_type):
        non_null -= pc.sum(pc.is_nan(values)).as_py() or 0

    # a column with no values at all cannot be learned
    if pa.types.is_null(arrow_type) or non_null == 0:
        raise CorrganError(
            f"column {name!r} in {where} is entirely null or NaN; remove it with "
            f"--drop {name}"
        )
    supported = (
        _is_text(arrow_type)
        or _is_number(arrow_type)
        or _is_temporal(arrow_type)
        or pa.types.is_boolean(arrow_type)
    )
    if not supported:
        raise CorrganError(
            f"column {name!r} in {where} has type {arrow_type}, which corrgan "
            f"cannot model; remove it with --drop {name}"
        )
    if pa.types.is_floating(arrow_type) and pc.any(pc.is_inf(values)).as_py():
        raise CorrganError(
            f"column {name!r} in {where} holds +-inf; replace those values with "
            f"finite numbers or nulls, or remove the column with --drop {name}"
        )
    distinct = pc.count_distinct(values.cast(arrow_type), mode="only_valid").as_py()

    # flags come first
    # --categorical cannot help a decimal target: decimals are never classes
    is_float = pa.types.is_floating(arrow_type)
    if name == config.target and name not in config.categorical and is_float:
        raise CorrganError(
            f"--target {name} in {where} holds continuous numbers; a target "
            f"must be a class column (add --categorical {name} to treat each "
            "value as a class)"
        )
    if name in config.categorical or name == config.target:
        # a target can be neither numeric nor dropped
        is_target = name == config.target
        numeric = "choose another --target" if is_target else "leave it numeric"
        if pa.types.is_decimal(arrow_type):
            raise CorrganError(
                f"column {name!r} in {where} holds decimals and cannot be "
                f"categorical; cast it to text or integers, or {numeric}"
            )
        if is_float and pc.any(pc.is_nan(values)).as_py():
            raise CorrganError(
                f"column {name!r} in {where} holds NaN and cannot be categorical; "
                f"write missing values as nulls, or {numeric}"
            )
        if _is_temporal(arrow_type):
            fix = "leave it as datetime or remove it with --drop"
            raise CorrganError(
                f"column {name!r} in {where} holds dates or times and cannot be "
                f"categorical; {'choose another --target' if is_target else fix}"
            )
        check_category_count(name, arrow_type, distinct, config, where, command)
        if name == config.target and distinct > non_null / 2:
            logger.warning(
                "--target %s has %d classes in %d rows of %s: within-class "
                "errors and efficacy need several rows of each class",
                name,
                distinct,
                non_null,
                where,
            )
        return "categorical"
    if name in config.continuous:
        if not _is_number(arrow_type):
            # text, whether Arrow calls it string or large_string
            held = "text" if _is_text(arrow_type) else f"{arrow_type} values"
            raise CorrganError(
                f"column {name!r} in {where} holds {held}, not numbers, so it "
                f"cannot be continuous; remove --continuous {name}"
            )
        return "integer" if pa.types.is_integer(arrow_type) else "continuous"

    # then the declared type
    if _is_temporal(arrow_type):
        return "datetime"
    if pa.types.is_boolean(arrow_type):
        return "categorical"
    if _is_text(arrow_type):
        identifier = distinct == non_null and non_null >= IDENTIFIER_MIN_ROWS
        many = distinct > config.integer_categorical_max
        if many and _warn_numbers_as_text(name, values, distinct, where, identifier):
            return None if identifier else "categorical"
        if identifier:
            logger.warning(
                "column %r looks like an identifier (all %d values distinct) and "
                "is left out; add --categorical %s to keep it",
                name,
                distinct,
                name,
            )
            return None
        check_category_count(name, arrow_type, distinct, config, where, command)
        return "categorical"
    if pa.types.is_integer(arrow_type):
        if distinct <= config.integer_categorical_max:
            check_category_count(name, arrow_type, distinct, config, where, command)
            return "categorical"
        return "integer"
    return "continuous"


_NUMBER = r"\s*[+-]?((\d+|\d{1,3}(,\d{3})+)(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*"
_PLAIN_NUMBER = r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*"
NUMBERS_AS_TEXT_SHARE = 0.9
"""A text column whose values are at least this share numbers is most likely
a column of numbers with a few stray values, and gets a warning."""


def _warn_numbers_as_text(
    name: str, values: pa.ChunkedArray, distinct: int, where: str, identifier: bool
) -> bool:
    """Warn, and return True, when a text column is numbers but for a few
    values (a stray ``oops``, thousands separators) that made the reader keep
    it as text: as text it is a category of many levels, or an identifier."""
    text = pc.drop_null(values.cast(value_type(values.type)))
    number = pc.match_substring_regex(text, f"^{_NUMBER}$")
    numbers = pc.sum(number).as_py() or 0
    if len(text) == 0 or numbers < NUMBERS_AS_TEXT_SHARE * len(text):
        return False
    plain = pc.match_substring_regex(text, f"^{_PLAIN_NUMBER}$")
    stray = pc.unique(pc.filter(text, pc.invert(plain))).to_pylist()
    if not stray:
        # every value is a plain number, so the column is text by choice:
        # quoted digits in a CSV ("00501"), or a string column in Parquet
        return False
    if identifier:
        fate = "as text its values are all distinct, so it is left out"
    else:
        fate = f"it is modelled as categorical with {distinct} levels"
    logger.warning(
        "column %r in %s is text, yet %d of its %d values are numbers; values "
        "such as %s are not plain numbers, and %s: fix those values (or remove "
        "thousands separators) to model it as numbers",
        name,
        where,
        numbers,
        len(text),
        ", ".join(repr(value) for value in stray[:3]),
        fate,
    )
    return True


def check_category_count(
    name: str,
    arrow_type: pa.DataType,
    distinct: int,
    config: DataConfig,
    where: str,
    command: str,
) -> None:
    """Fail if a categorical column has more than ``max_categories`` values."""
    if distinct <= config.max_categories:
        return
    # only numbers can be continuous, and only train has the limit as a flag;
    # the target can be neither dropped nor continuous
    fixes = [f"remove it with --drop {name}"]
    if name == config.target:
        fixes = ["choose another --target"]
    if command == "train":
        if _is_number(arrow_type) and name != config.target:
            # both flags on one column are refused
            instead = " instead of --categorical" if name in config.categorical else ""
            fixes.insert(0, f"treat it as a number with --continuous {name}{instead}")
        fixes.append("raise --max-categories")
    fix = fixes[-1] if len(fixes) == 1 else f"{', '.join(fixes[:-1])} or {fixes[-1]}"
    raise CorrganError(
        f"column {name!r} in {where} has {distinct} distinct values, more than "
        f"the categorical limit of {config.max_categories}; {fix}"
    )
