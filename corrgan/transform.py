"""The reversible transform: table -> model space -> table.

Numeric columns (continuous, integer, datetime) pass through a quantile-to-
normal map: the empirical CDF, fitted on a bounded seeded sample, sends each
value to a probability u, and the standard normal quantile of u is the model-
space value. The inverse runs the same map backwards, so generated values keep
the real marginal, stay inside the observed [min, max] and come back on the
data's own grid: floats with the decimals the data was written with, and
integers, dates and time stamps on the largest step that every observed value
keeps (dates at midnight stay at midnight, prices in hundreds stay in
hundreds). Integer-like values are counted from the column's exact minimum
before the map, and mapped back in exact integer arithmetic, so that float64
(exact only up to 2**53) costs no step of a narrower span, however far from
zero it lies: nanosecond time stamps, 64-bit identifiers, unsigned integers
past int64. A numeric column with nulls adds a two-wide [present, null]
indicator block.

Categorical columns become one-hot blocks over the categories seen while
fitting; a null is one more category. The categories of a dictionary-encoded
column (a pandas Categorical) keep the dictionary's order, which an ordered
dictionary gives meaning to, and every generated batch carries that whole
list as its dictionary; other categories are sorted. A column with a single
value (and no nulls) takes no model-space width and is generated constant.

The fitted transform serialises to JSON (no pickle) and its ``layout`` tells
which model-space columns belong to which table column and of which kind: the
generator's output heads are built from it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import ndtr, ndtri

from corrgan.errors import CorrganError
from corrgan.io import TableSource
from corrgan.schema import TableSchema, value_type

logger = logging.getLogger(__name__)

TRANSFORM_FORMAT_VERSION = 1
MAX_QUANTILES = 1000
MAX_DECIMALS = 10
"""Floats with more decimals than this are generated unrounded."""
# keeps ndtri finite at the two ends of the empirical CDF
PROBABILITY_EPS = 1e-6


@dataclass
class Block:
    """A contiguous slice ``[start, end)`` of model space.

    ``kind`` is ``continuous`` (one column, a normal score) or ``categorical``
    (a one-hot group). ``role`` is ``value`` for the column's own values or
    ``null`` for the [present, null] indicator of a nullable numeric column.
    """

    column: str
    kind: Literal["continuous", "categorical"]
    start: int
    end: int
    role: Literal["value", "null"] = "value"

    @property
    def width(self) -> int:
        return self.end - self.start


@dataclass
class NumericColumn:
    """Fitted state of a continuous, integer or datetime column.

    For integer-like columns (integers, dates, time stamps, durations, counted
    in their own unit) ``minimum``, ``maximum``, ``origin`` and ``offset`` are
    exact Python integers, as JSON keeps them.
    """

    name: str
    kind: str
    quantiles: list[float]
    minimum: float
    maximum: float
    null_rate: float
    decimals: int | None = None
    """Generated floats are rounded to this many decimals (None: not rounded)."""
    unit: int | None = None
    """Integer-like columns: every observed value is ``origin + k * unit``, and
    so is every generated one. None: plain integer rounding."""
    origin: int | None = None
    offset: int | None = None
    """Integer-like columns: the minimum, which the quantiles count from (they
    hold ``value - offset``). None for other columns, and in transforms saved
    before it, whose quantiles and float bounds hold the values themselves."""

    @property
    def constant(self) -> bool:
        return self.minimum == self.maximum


@dataclass
class CategoricalColumn:
    """Fitted state of a categorical column; a null is the last category."""

    name: str
    categories: list[Any]
    frequencies: list[float]
    has_null: bool

    @property
    def num_levels(self) -> int:
        return len(self.categories) + int(self.has_null)

    @property
    def constant(self) -> bool:
        return self.num_levels == 1


@dataclass
class TableTransform:
    """A fitted, reversible map between a table and its model space."""

    schema: TableSchema
    columns: list[NumericColumn | CategoricalColumn]
    output_schema: pa.Schema
    num_rows: int
    layout: list[Block] = field(init=False)

    def __post_init__(self) -> None:
        self.layout = _build_layout(self.columns)
        self._by_name = {column.name: column for column in self.columns}

    @property
    def width(self) -> int:
        """Number of model-space columns."""
        return self.layout[-1].end if self.layout else 0

    def blocks_of(self, name: str) -> list[Block]:
        """The blocks of one table column, in order."""
        return [block for block in self.layout if block.column == name]

    def column(self, name: str) -> NumericColumn | CategoricalColumn:
        return self._by_name[name]

    def nullable_columns(self) -> set[str]:
        """The columns whose generated values may be null."""
        return {
            column.name
            for column in self.columns
            if getattr(column, "null_rate", 0) > 0 or getattr(column, "has_null", False)
        }

    # fitting

    @classmethod
    def fit(
        cls,
        data: TableSource | pa.Table,
        schema: TableSchema,
        sample_rows: int = 100_000,
        seed: int = 0,
    ) -> TableTransform:
        """Fit on a table: counts in one streaming pass, quantiles on a sample.

        Args:
            data: the table, on disk or in memory.
            schema: the modelled columns and their kinds.
            sample_rows: rows of the seeded sample that quantiles are fitted on.
            seed: seed of that sample.
        """
        source = data if isinstance(data, TableSource) else TableSource.from_table(data)
        names = schema.names
        sample = source.sample(sample_rows, seed).select(names)
        stats = _StreamingStats(schema)
        for batch in source.iter_batches():
            stats.update(batch.select(names))
        fitted: list[NumericColumn | CategoricalColumn] = []
        for spec in schema.columns:
            if spec.kind == "categorical":
                fitted.append(stats.categorical(spec.name, source.num_rows))
            else:
                column = sample.column(spec.name)
                fitted.append(
                    _fit_numeric(spec.name, spec.kind, column, stats, source.num_rows)
                )
        output_schema = pa.schema([source.schema.field(name) for name in names])
        return cls(schema, fitted, output_schema, source.num_rows)

    # forward and inverse, batch by batch

    def transform(self, table: pa.Table) -> np.ndarray:
        """Map a table (all modelled columns present) to a float32 matrix."""
        missing = [name for name in self.schema.names if name not in table.schema.names]
        if missing:
            raise CorrganError(
                f"the table lacks the modelled column(s) {', '.join(missing)}"
            )
        out = np.zeros((table.num_rows, self.width), dtype=np.float32)
        for column in self.columns:
            blocks = self.blocks_of(column.name)
            values = table.column(column.name)
            if isinstance(column, CategoricalColumn):
                _encode_categorical(column, values, blocks, out)
            else:
                _encode_numeric(column, values, blocks, out)
        return out

    def inverse(self, matrix: np.ndarray) -> pa.Table:
        """Map a model-space matrix back to a table with the original types.

        Categorical blocks are decoded by argmax, null indicators likewise.
        """
        if matrix.ndim != 2 or matrix.shape[1] != self.width:
            raise ValueError(
                f"expected a matrix with {self.width} columns, got {matrix.shape}"
            )
        arrays = []
        for column, target in zip(self.columns, self.output_schema, strict=True):
            blocks = self.blocks_of(column.name)
            if isinstance(column, CategoricalColumn):
                array = _decode_categorical(column, matrix, blocks, target.type)
            else:
                array = _decode_numeric(column, matrix, blocks, target.type)
            arrays.append(array)
        return pa.Table.from_arrays(arrays, schema=self.output_schema)

    # serialisation

    def to_dict(self) -> dict[str, Any]:
        schema_bytes = self.output_schema.serialize().to_pybytes()
        return {
            "format_version": TRANSFORM_FORMAT_VERSION,
            "num_rows": self.num_rows,
            "schema": self.schema.to_dict(),
            "columns": [
                {"type": type(column).__name__, **asdict(column)}
                for column in self.columns
            ],
            "arrow_schema": base64.b64encode(schema_bytes).decode("ascii"),
            "layout": [asdict(block) for block in self.layout],
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TableTransform:
        if values.get("format_version") != TRANSFORM_FORMAT_VERSION:
            raise CorrganError(
                f"transform format version {values.get('format_version')} is not "
                f"supported (expected {TRANSFORM_FORMAT_VERSION}); retrain the model"
            )
        kinds = {"NumericColumn": NumericColumn, "CategoricalColumn": CategoricalColumn}
        columns = []
        for item in values["columns"]:
            item = dict(item)
            columns.append(kinds[item.pop("type")](**item))
        schema_bytes = base64.b64decode(values["arrow_schema"])
        output_schema = pa.ipc.read_schema(pa.py_buffer(schema_bytes))
        schema = TableSchema.from_dict(values["schema"])
        return cls(schema, columns, output_schema, int(values["num_rows"]))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> TableTransform:
        return cls.from_dict(json.loads(text))


def _build_layout(columns: list[NumericColumn | CategoricalColumn]) -> list[Block]:
    layout: list[Block] = []
    start = 0
    for column in columns:
        if isinstance(column, CategoricalColumn):
            if not column.constant:
                layout.append(
                    Block(column.name, "categorical", start, start + column.num_levels)
                )
                start += column.num_levels
            continue
        if not column.constant:
            layout.append(Block(column.name, "continuous", start, start + 1))
            start += 1
        if column.null_rate > 0:
            layout.append(Block(column.name, "categorical", start, start + 2, "null"))
            start += 2
    return layout


class _StreamingStats:
    """Null counts, min/max and category counts, accumulated batch by batch."""

    def __init__(self, schema: TableSchema) -> None:
        self.schema = schema
        self.nulls = {name: 0 for name in schema.names}
        self.minimum: dict[str, float] = {}
        self.maximum: dict[str, float] = {}
        self.counts: dict[str, dict[Any, int]] = {}
        # the values of a dictionary-encoded column's dictionaries, in order
        self.dictionary_order: dict[str, dict[Any, None]] = {}

    def update(self, batch: pa.Table) -> None:
        for spec in self.schema.columns:
            values = batch.column(spec.name)
            if spec.kind == "categorical":
                if pa.types.is_dictionary(values.type):
                    order = self.dictionary_order.setdefault(spec.name, {})
                    for chunk in _chunks(values):
                        order.update(dict.fromkeys(chunk.dictionary.to_pylist()))
                counts = self.counts.setdefault(spec.name, {})
                decoded = _decode_dictionary(values)
                for item in pc.value_counts(decoded).to_pylist():
                    key = item["values"]
                    counts[key] = counts.get(key, 0) + item["counts"]
                continue
            # integer-like bounds exactly: float64 rounds them past 2**53
            integers = _integer_counts(values)
            if integers is not None:
                self.nulls[spec.name] += len(values) - len(integers)
                if not len(integers):
                    continue
                low, high = int(integers.min()), int(integers.max())
            else:
                numbers = _numeric_values(values)
                finite = numbers[~np.isnan(numbers)]
                self.nulls[spec.name] += len(numbers) - len(finite)
                if not len(finite):
                    continue
                low, high = float(finite.min()), float(finite.max())
            self.minimum[spec.name] = min(low, self.minimum.get(spec.name, low))
            self.maximum[spec.name] = max(high, self.maximum.get(spec.name, high))

    def categorical(self, name: str, num_rows: int) -> CategoricalColumn:
        """The categories that occur, in dictionary order or else sorted.

        Where the dictionaries of the batches differ (files of a dataset), the
        first one's order leads and the values that later ones add follow.
        """
        counts = dict(self.counts.get(name, {}))
        null_count = counts.pop(None, 0)
        ordered = [
            value
            for value in self.dictionary_order.get(name, {})
            if value is not None and value in counts
        ]
        listed = set(ordered)
        rest = [value for value in counts if value not in listed]
        with contextlib.suppress(TypeError):
            rest = sorted(rest)
        categories = ordered + rest
        total = max(num_rows, 1)
        frequencies = [counts[category] / total for category in categories]
        if null_count:
            frequencies.append(null_count / total)
        return CategoricalColumn(
            name, [_json_value(c) for c in categories], frequencies, null_count > 0
        )


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _chunks(values: pa.ChunkedArray | pa.Array) -> list[pa.Array]:
    return values.chunks if isinstance(values, pa.ChunkedArray) else [values]


def _decode_dictionary(values: pa.ChunkedArray | pa.Array):
    if pa.types.is_dictionary(values.type):
        return values.cast(values.type.value_type)
    return values


def _numeric_values(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Float64 numbers with NaN for nulls; dates and times as integer counts.

    A floating-point NaN is treated as a null, as pandas does.
    """
    values = _decode_dictionary(values)
    arrow_type = values.type
    if pa.types.is_timestamp(arrow_type) or pa.types.is_duration(arrow_type):
        values = pc.cast(values, pa.int64())
    elif pa.types.is_date32(arrow_type):
        values = pc.cast(values, pa.int32())
    elif pa.types.is_date64(arrow_type):
        values = pc.cast(values, pa.int64())
    elif pa.types.is_decimal(arrow_type):
        # Arrow's own cast can miss the nearest float (0.15 by one step), and
        # then the decimals the values were written with are not found
        values = pc.cast(values, pa.string())
    numbers = pc.cast(values, pa.float64(), safe=False)
    if isinstance(numbers, pa.ChunkedArray):
        numbers = (
            numbers.combine_chunks()
            if numbers.num_chunks
            else pa.array([], pa.float64())
        )
    return numbers.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)


def _fit_numeric(
    name: str,
    kind: str,
    column: pa.ChunkedArray,
    stats: _StreamingStats,
    num_rows: int,
) -> NumericColumn:
    minimum, maximum = stats.minimum[name], stats.maximum[name]
    counts = _integer_counts(column)
    if counts is None:
        values = _numeric_values(column)
        finite = np.sort(values[~np.isnan(values)])
        offset, bounds = None, (minimum, maximum)
    else:
        # integer-like values counted from the minimum, exactly, so that
        # float64 keeps every step however far from zero they lie
        finite = np.sort(_counted_from(counts, minimum))
        offset, bounds = minimum, (0.0, float(maximum - minimum))
    count = min(MAX_QUANTILES, len(finite))
    quantiles = np.quantile(finite, np.linspace(0.0, 1.0, count))
    # the sample may miss the extremes of a large table: the full pass has them
    quantiles[0], quantiles[-1] = bounds

    # the grid the values lie on, from the sample
    grid = None if counts is None else _grid(counts)
    # decimals too: a decimal(38, 18) of prices in cents stays in cents
    declared = value_type(column.type)
    floats = counts is None and (
        pa.types.is_floating(declared) or pa.types.is_decimal(declared)
    )
    return NumericColumn(
        name=name,
        kind=kind,
        quantiles=[float(q) for q in quantiles],
        minimum=minimum,
        maximum=maximum,
        null_rate=stats.nulls[name] / max(num_rows, 1),
        decimals=_decimals(finite, _float_precision(declared)) if floats else None,
        unit=None if grid is None else grid[0],
        origin=None if grid is None else grid[1],
        offset=offset,
    )


def _float_precision(arrow_type: pa.DataType) -> type:
    """The NumPy float type a column's values are stored in (float64 for
    decimals, whose digits the generated floats are rounded to)."""
    if pa.types.is_float32(arrow_type):
        return np.float32
    if pa.types.is_float16(arrow_type):
        return np.float16
    return np.float64


def _integer_counts(values: pa.ChunkedArray) -> np.ndarray | None:
    """The exact counts of an integer, date, time stamp or duration column.

    Nulls are left out. int64, or uint64 for unsigned 64-bit integers (which
    int64 cannot hold); None for other types.
    """
    values = _decode_dictionary(values)
    arrow_type = values.type
    if pa.types.is_date32(arrow_type):
        values = pc.cast(values, pa.int32())
    elif (
        pa.types.is_timestamp(arrow_type)
        or pa.types.is_duration(arrow_type)
        or pa.types.is_date64(arrow_type)
    ):
        values = pc.cast(values, pa.int64())
    elif not pa.types.is_integer(arrow_type):
        return None
    present = pc.drop_null(values)
    if pa.types.is_uint64(arrow_type):
        return np.asarray(present.to_numpy(zero_copy_only=False), dtype=np.uint64)
    counts = pc.cast(present, pa.int64())
    return np.asarray(counts.to_numpy(zero_copy_only=False), dtype=np.int64)


def _counted_from(integers: np.ndarray, offset: int) -> np.ndarray:
    """``integers - offset`` as float64, for int64 or uint64 values at or above
    ``offset``: exact below 2**53, rounded relative to the difference beyond.

    The subtraction wraps modulo 2**64 in unsigned arithmetic; the difference
    itself is below 2**64, so it comes out exact for any two 64-bit values,
    where int64 would overflow across a span wider than 2**63.
    """
    unsigned = integers.astype(np.uint64)
    return (unsigned - np.uint64(offset % 2**64)).astype(np.float64)


def _grid(counts: np.ndarray) -> tuple[int, int] | None:
    """``(unit, origin)``: the largest step every value keeps from the smallest.

    The greatest common divisor of the gaps between the distinct values: days
    for time stamps at midnight, 7 days for weekly ones, 100 for prices in
    hundreds. None when it is 1, or with fewer than three distinct values.
    """
    distinct = np.unique(counts)
    if len(distinct) < 3:
        return None
    # unsigned gaps are exact for any two 64-bit values, as in _counted_from
    unit = int(np.gcd.reduce(np.diff(distinct.astype(np.uint64))))
    return (unit, int(distinct[0])) if unit > 1 else None


def _decimals(finite: np.ndarray, precision: type = np.float64) -> int | None:
    """The fewest decimals (at most ``MAX_DECIMALS``) that hold every value.

    Exactly, in the column's own ``precision``: rounding to them must give
    back each stored float itself, so values that carry float noise
    (0.1 + 0.2) are not rounded at all, while 12.34 stored as float32
    (12.340000152... as float64) keeps its two decimals. Fewer decimals
    than the precision's significant digits count, so that noise in float32
    is not taken for values written with 10 decimals.
    """
    distinct = np.unique(finite)
    if not len(distinct):
        return None
    stored = distinct.astype(precision)
    # at the digits its precision holds, any float32 "keeps its decimals"
    most = min(MAX_DECIMALS, np.finfo(precision).precision - 1)
    with np.errstate(over="ignore", invalid="ignore"):
        for decimals in range(most + 1):
            rounded = np.round(distinct, decimals).astype(precision)
            if np.array_equal(rounded, stored):
                return decimals
    return None


def _model_range(column: NumericColumn) -> tuple[float, float]:
    """The bounds in the quantiles' terms: counted from ``offset`` if it is set."""
    if column.offset is None:
        return column.minimum, column.maximum
    return 0.0, float(column.maximum - column.offset)


def _model_values(column: NumericColumn, values: pa.ChunkedArray) -> np.ndarray:
    """The numbers the quantiles map: float64, NaN where null.

    Integer-like values are counted from ``offset`` exactly, once held inside
    the fitted range (outside it the map is flat anyway).
    """
    numbers = _numeric_values(values)
    if column.offset is None:
        return numbers
    integers = _integer_counts(values)
    kind = integers.dtype.type
    inside = np.clip(integers, kind(column.minimum), kind(column.maximum))
    counted = np.full(len(numbers), np.nan)
    counted[~np.isnan(numbers)] = _counted_from(inside, column.offset)
    return counted


def _to_probability(column: NumericColumn, values: np.ndarray) -> np.ndarray:
    quantiles = np.asarray(column.quantiles)
    references = np.linspace(0.0, 1.0, len(quantiles))
    # interpolating upwards and downwards and averaging spreads ties (many equal
    # values, as in integer columns) to the middle of their probability range
    upward = np.interp(values, quantiles, references)
    downward = -np.interp(-values, -quantiles[::-1], -references[::-1])
    return 0.5 * (upward + downward)


def _quantile_at(quantiles: np.ndarray, probability: np.ndarray) -> np.ndarray:
    """Linear interpolation between quantiles at evenly spaced probabilities.

    The same as ``np.interp(probability, linspace(0, 1, n), quantiles)``, but
    the evenly spaced grid turns the search into one multiplication.
    """
    if len(quantiles) < 2:
        return np.full_like(probability, quantiles[0])
    position = np.clip(probability, 0.0, 1.0) * (len(quantiles) - 1)
    lower = np.minimum(position.astype(np.int64), len(quantiles) - 2)
    fraction = position - lower
    return quantiles[lower] + fraction * (quantiles[lower + 1] - quantiles[lower])


def _encode_numeric(
    column: NumericColumn, values: pa.ChunkedArray, blocks: list[Block], out: np.ndarray
) -> None:
    numbers = _model_values(column, values)
    missing = np.isnan(numbers)
    lowest = _model_range(column)[0]
    for block in blocks:
        if block.role == "null":
            out[:, block.start] = ~missing
            out[:, block.start + 1] = missing
            continue
        probability = _to_probability(column, np.where(missing, lowest, numbers))
        # squeeze [0, 1] into [eps, 1 - eps] (undone on decoding) so that
        # the normal quantile stays finite and the extremes come back exactly
        probability = PROBABILITY_EPS + (1.0 - 2.0 * PROBABILITY_EPS) * probability
        scores = ndtri(probability)
        scores[missing] = 0.0
        out[:, block.start] = scores


def _decode_numeric(
    column: NumericColumn, matrix: np.ndarray, blocks: list[Block], target: pa.DataType
) -> pa.Array:
    rows = matrix.shape[0]
    lowest, highest = _model_range(column)
    numbers = np.full(rows, lowest, dtype=np.float64)
    missing = np.zeros(rows, dtype=bool)
    for block in blocks:
        if block.role == "null":
            missing = matrix[:, block.start + 1] > matrix[:, block.start]
            continue
        probability = ndtr(matrix[:, block.start].astype(np.float64))
        probability = (probability - PROBABILITY_EPS) / (1.0 - 2.0 * PROBABILITY_EPS)
        numbers = _quantile_at(np.asarray(column.quantiles), probability)
    numbers = np.clip(numbers, lowest, highest)
    return _restore_numeric(numbers, missing, value_type(target), column)


def _restore_numeric(
    numbers: np.ndarray,
    missing: np.ndarray,
    target: pa.DataType,
    column: NumericColumn,
) -> pa.Array:
    mask = missing if missing.any() else None
    if column.kind in {"integer", "datetime"} or pa.types.is_integer(target):
        if column.offset is not None:
            rounded = _exact_on_grid(numbers, column, pa.types.is_uint64(target))
        # a transform saved before the offset: float bounds and values
        elif column.unit is not None and column.origin is not None:
            rounded = _on_grid(numbers, column)
        else:
            unsigned = pa.types.is_unsigned_integer(target)
            dtype = np.uint64 if unsigned else np.int64
            # float64 rounds the largest 64-bit integers up past the type's
            # range, where the cast would wrap around; the largest double below
            # 2**63 (2**64 unsigned) is the last value that converts
            limits = np.iinfo(dtype)
            highest = np.nextafter(float(limits.max) + 1.0, 0.0)
            rounded = np.clip(np.rint(numbers), float(limits.min), highest)
            rounded = rounded.astype(dtype)
        if pa.types.is_date32(target):
            return pa.array(rounded.astype(np.int32), mask=mask).cast(target)
        return pa.array(rounded, mask=mask).cast(target)
    if pa.types.is_decimal(target):
        decimals = target.scale
        if column.decimals is not None and column.decimals < decimals:
            decimals = column.decimals
        rounded = np.clip(np.round(numbers, decimals), column.minimum, column.maximum)
        # through the shortest text of each float: 351.84, not 351.8399999...
        text = pc.cast(pa.array(rounded, mask=mask), pa.string())
        return pc.cast(text, target, safe=False)
    if column.decimals is not None:
        # the bounds were observed, so they lie on the grid themselves
        rounded = np.round(numbers, column.decimals)
        numbers = np.clip(rounded, column.minimum, column.maximum)
    return pa.array(numbers, mask=mask).cast(target)


def _exact_on_grid(
    numbers: np.ndarray, column: NumericColumn, unsigned: bool
) -> np.ndarray:
    """The value of the grid nearest each number counted from ``offset``.

    The grid is ``origin + k * unit`` (every integer where there is no unit)
    inside [minimum, maximum], all exact integers. Values are built as steps
    from the grid's first value, summed in unsigned arithmetic that wraps as in
    :func:`_counted_from`: exact for int64 and uint64 alike.
    """
    unit = column.unit or 1
    origin = column.minimum if column.origin is None else column.origin
    # the origin comes from the sample; the bounds, from every row
    first = origin - (origin - column.minimum) // unit * unit
    last_step = (column.maximum - first) // unit
    steps = np.rint((numbers - (first - column.offset)) / unit)
    # as float64 the last step may round up, past 2**64 even, or down: it is
    # cut exactly after the cast, and the top of the range reaches it exactly
    largest = min(float(last_step), np.nextafter(2.0**64, 0.0))
    steps = np.clip(steps, 0.0, largest).astype(np.uint64)
    steps = np.minimum(steps, np.uint64(last_step))
    steps[numbers >= _model_range(column)[1]] = np.uint64(last_step)
    values = np.uint64(first % 2**64) + steps * np.uint64(unit)
    return values if unsigned else values.view(np.int64)


def _on_grid(numbers: np.ndarray, column: NumericColumn) -> np.ndarray:
    """``origin + k * unit`` nearest each number, in exact int64 arithmetic
    (float64 cannot hold a nanosecond time stamp), inside [min, max].

    For transforms saved before ``offset``, whose numbers and bounds are the
    values themselves as float64.
    """
    unit, origin = column.unit, column.origin
    steps = np.rint((numbers - origin) / unit)
    # the bounds are observed values, so on the grid; as float64 they may be
    # off by up to 1024 counts (a nanosecond time stamp), so round, not floor
    lowest = round((column.minimum - origin) / unit)
    highest = round((column.maximum - origin) / unit)
    steps = np.clip(steps, lowest, highest).astype(np.int64)
    return np.int64(origin) + steps * np.int64(unit)


def _category_array(column: CategoricalColumn, target: pa.DataType) -> pa.Array:
    levels = list(column.categories) + ([None] if column.has_null else [])
    return pa.array(levels, type=value_type(target))


def _encode_categorical(
    column: CategoricalColumn,
    values: pa.ChunkedArray,
    blocks: list[Block],
    out: np.ndarray,
) -> None:
    if not blocks:
        return
    block = blocks[0]
    values = _decode_dictionary(values)
    known = pa.array(column.categories, type=values.type)
    index = pc.index_in(values, value_set=known)
    if column.has_null:
        index = pc.if_else(pc.is_null(values), len(column.categories), index)
    # a value never seen while fitting encodes as an all-zero block
    index = pc.fill_null(index, -1).to_numpy(zero_copy_only=False)
    rows = np.nonzero(index >= 0)[0]
    out[rows, block.start + index[rows]] = 1.0


def _decode_categorical(
    column: CategoricalColumn,
    matrix: np.ndarray,
    blocks: list[Block],
    target: pa.DataType,
) -> pa.Array:
    if not blocks:
        chosen = np.zeros(matrix.shape[0], dtype=np.int64)
    else:
        block = blocks[0]
        chosen = np.argmax(matrix[:, block.start : block.end], axis=1)
    if not pa.types.is_dictionary(target):
        return _category_array(column, target).take(pa.array(chosen))

    # the level indices are the dictionary indices: every batch gets the whole
    # category list in the fitted order, so that an ordered dictionary compares
    # as the input did and all row groups of a file share one dictionary
    dictionary = pa.array(column.categories, type=target.value_type)
    is_null = chosen == len(column.categories)
    indices = pa.array(chosen, type=target.index_type, mask=is_null)
    return pa.DictionaryArray.from_arrays(indices, dictionary, ordered=target.ordered)


def read_transform(path) -> TableTransform:
    """Load a transform saved as JSON, with a clear error when it is damaged."""
    try:
        with open(path, encoding="utf-8") as handle:
            return TableTransform.from_json(handle.read())
    except FileNotFoundError:
        raise CorrganError(
            f"{path} is missing; the model directory is incomplete"
        ) from None
    except (ValueError, KeyError, TypeError, pa.ArrowInvalid) as err:
        raise CorrganError(
            f"{path} is damaged ({type(err).__name__}); retrain or restore it"
        ) from None
