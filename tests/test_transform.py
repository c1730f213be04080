"""The reversible transform: round trips, layout, nulls, constants, JSON.

How close a round trip is, read from the code: a numeric value goes to the
probability of its place in the quantile table, clipped to
``[PROBABILITY_EPS, 1 - PROBABILITY_EPS]``, then to a normal score stored as
float32; the inverse interpolates the same table. Between two neighbouring
quantiles the map is linear, so a value comes back moved by a fraction of the
spacing of the quantiles around it. That fraction is at most
``(count - 1) * PROBABILITY_EPS`` at the two ends (the clip) and about
``(count - 1) * 1.5e-8`` inside (the float32 score), where ``count`` is the
number of quantiles, ``min(rows, MAX_QUANTILES)``. With at most 1000 rows the
quantiles are the sorted values themselves, so tied values come back exactly
and a distinct value moves by at most about 1e-3 of the gap to a neighbour.
Integers and times are rounded afterwards, so an integer column whose gaps
are small enough, ``(count - 1) * PROBABILITY_EPS * gap < 0.5``, comes back
exactly.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corrgan.config import DataConfig
from corrgan.errors import CorrganError
from corrgan.io import TableSource
from corrgan.schema import infer_schema
from corrgan.transform import (
    MAX_QUANTILES,
    PROBABILITY_EPS,
    CategoricalColumn,
    NumericColumn,
    TableTransform,
    read_transform,
)

PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# the fraction of a quantile spacing a round trip may move a value, for
# ``count`` quantiles; the margin covers the float32 score inside the table
def allowed_shift(count: int) -> float:
    return (count - 1) * PROBABILITY_EPS * 1.1


def fit(table: pa.Table, **overrides) -> TableTransform:
    schema = infer_schema(table, DataConfig(**overrides), "table")
    return TableTransform.fit(table, schema)


def spacing_around(quantiles: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The wider of the two quantile spacings on either side of each value."""
    gaps = np.diff(quantiles)
    if not len(gaps):
        return np.zeros(len(values))
    right = np.clip(np.searchsorted(quantiles, values, side="left"), 0, len(gaps) - 1)
    left = np.clip(right - 1, 0, len(gaps) - 1)
    return np.maximum(gaps[left], gaps[right])


# random mixed tables

KINDS = ["float64", "float32", "int64", "int32", "string", "dictionary", "bool"]
KINDS += ["timestamp", "date"]
EPOCH = dt.datetime(2022, 1, 1, tzinfo=dt.timezone.utc)


def make_column(kind: str, rng: np.random.Generator, pool: int, picks, nulls):
    """``len(picks)`` values drawn from ``pool`` distinct ones, nulls masked."""
    if kind.startswith("float"):
        scale = 10.0 ** rng.integers(-3, 7)
        offset = rng.normal() * scale
        values = (offset + scale * rng.normal(size=pool))[picks]
        return pa.array(values, mask=nulls).cast(kind)
    if kind.startswith("int"):
        # gaps of at most 2000 keep the clip below half a unit (see the top)
        values = rng.integers(-1000, 1001, pool)[picks]
        return pa.array(values, mask=nulls).cast(kind)
    if kind in {"string", "dictionary"}:
        # at most six distinct strings: never mistaken for an identifier
        words = np.array([f"w{i}" for i in range(min(pool, 6))])
        values = words[picks % len(words)]
        array = pa.array(values, mask=nulls)
        return array.dictionary_encode() if kind == "dictionary" else array
    if kind == "bool":
        values = (picks % min(pool, 2)).astype(bool)
        return pa.array(values, mask=nulls)
    if kind == "timestamp":
        seconds = rng.integers(0, 10**7, pool)[picks]
        stamps = [EPOCH + dt.timedelta(seconds=int(s)) for s in seconds]
        unit, zone = ("ms", "America/New_York") if pool % 2 else ("s", "UTC")
        return pa.array(stamps, pa.timestamp(unit, tz=zone), mask=nulls)
    days = rng.integers(0, 300, pool)[picks]
    dates = [dt.date(2000, 1, 1) + dt.timedelta(days=int(d)) for d in days]
    return pa.array(dates, pa.date32(), mask=nulls)


@st.composite
def mixed_tables(draw) -> pa.Table:
    rows = draw(st.integers(10, 200))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    columns = {}
    for number, kind in enumerate(kinds):
        # one distinct value makes a constant column, a few make ties
        pool = draw(st.sampled_from([1, 2, 5, rows]))
        null_rate = draw(st.sampled_from([0.0, 0.0, 0.2, 0.9]))
        picks = rng.integers(0, pool, rows)
        nulls = rng.random(rows) < null_rate
        nulls[rng.integers(rows)] = False  # an entirely null column is an error
        columns[f"{kind}_{number}"] = make_column(kind, rng, pool, picks, nulls)
    return pa.table(columns)


def decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column


def as_numbers(column: pa.ChunkedArray) -> np.ndarray:
    """Numbers, days or time ticks as float64, NaN where null."""
    if pa.types.is_timestamp(column.type):
        column = pc.cast(column, pa.int64())
    elif pa.types.is_date32(column.type):
        column = pc.cast(column, pa.int32())
    return pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)


@PROPERTY
@given(table=mixed_tables())
def test_round_trip_keeps_types_nulls_categories_and_values(table):
    transform = fit(table)
    back = transform.inverse(transform.transform(table))

    assert back.schema == table.schema
    for name in table.schema.names:
        original, restored = table.column(name), back.column(name)
        assert restored.is_null().equals(original.is_null()), name
        column = transform.column(name)
        if isinstance(column, CategoricalColumn) or column.kind == "integer":
            assert restored.equals(original), name
            continue

        # continuous and datetime columns: inside the range, moved by little
        present = ~np.isnan(as_numbers(original))
        before = as_numbers(original)[present]
        after = as_numbers(restored)[present]
        assert after.min() >= column.minimum and after.max() <= column.maximum
        # integer-like quantiles count from the column's minimum
        quantiles = np.asarray(column.quantiles) + (column.offset or 0)
        shift = allowed_shift(len(quantiles)) * spacing_around(quantiles, before)
        if column.kind == "datetime":
            shift += 0.5  # rounding back to a whole tick or day
        if pa.types.is_float32(original.type):
            shift += np.abs(before) * np.finfo(np.float32).eps
        assert np.all(np.abs(after - before) <= shift), name


@PROPERTY
@given(table=mixed_tables())
def test_layout_nulls_and_constants(table):
    transform = fit(table)

    # the blocks tile [0, width) in column order
    starts = [block.start for block in transform.layout]
    ends = [block.end for block in transform.layout]
    assert starts == ([0, *ends[:-1]] if ends else [])
    assert transform.width == (ends[-1] if ends else 0)
    order = [block.column for block in transform.layout]
    assert order == sorted(order, key=table.schema.names.index)

    for name in table.schema.names:
        column, values = transform.column(name), decoded(table.column(name))
        blocks = [(b.kind, b.width, b.role) for b in transform.blocks_of(name)]
        null_rate = values.null_count / table.num_rows
        if isinstance(column, CategoricalColumn):
            levels = pc.count_distinct(values, mode="all").as_py()
            assert column.num_levels == levels
            assert column.has_null == (values.null_count > 0)
            assert sum(column.frequencies) == pytest.approx(1.0)
            if column.has_null:
                assert column.frequencies[-1] == pytest.approx(null_rate)
            expected = [] if levels == 1 else [("categorical", levels, "value")]
        else:
            assert column.null_rate == pytest.approx(null_rate)
            distinct = pc.count_distinct(values, mode="only_valid").as_py()
            assert column.constant == (distinct == 1)
            expected = [] if distinct == 1 else [("continuous", 1, "value")]
            if values.null_count:
                expected.append(("categorical", 2, "null"))
        assert blocks == expected, name


@PROPERTY
@given(table=mixed_tables(), seed=st.integers(0, 2**16))
def test_inverse_of_any_matrix_stays_inside_what_was_seen(table, seed):
    transform = fit(table)
    noise = np.random.default_rng(seed).normal(scale=3.0, size=(64, transform.width))
    generated = transform.inverse(noise.astype(np.float32))

    assert generated.schema == table.schema
    assert generated.num_rows == 64
    for name in table.schema.names:
        column, values = transform.column(name), generated.column(name)
        if isinstance(column, CategoricalColumn):
            seen = set(pc.unique(table.column(name)).to_pylist())
            assert set(pc.unique(values).to_pylist()) <= seen, name
        else:
            numbers = as_numbers(values)
            present = numbers[~np.isnan(numbers)]
            assert np.all((present >= column.minimum) & (present <= column.maximum))
            if column.null_rate == 0:
                assert values.null_count == 0, name


@PROPERTY
@given(table=mixed_tables())
def test_json_round_trip_gives_the_same_transform(table):
    transform = fit(table)
    loaded = TableTransform.from_json(transform.to_json())

    assert loaded.to_dict() == transform.to_dict()
    assert loaded.layout == transform.layout
    assert loaded.output_schema == transform.output_schema
    matrix = transform.transform(table)
    assert np.array_equal(loaded.transform(table), matrix)
    assert loaded.inverse(matrix).equals(transform.inverse(matrix))


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(10, MAX_QUANTILES), seed=st.integers(0, 2**32 - 1))
def test_distinct_continuous_values_come_back_almost_exactly(rows, seed):
    # gaps between neighbours within a factor of 10: every value comes back
    # far closer to itself than to either neighbour
    rng = np.random.default_rng(seed)
    values = rng.permutation(np.cumsum(rng.uniform(0.1, 1.0, rows)) - rows / 3)
    table = pa.table({"x": values})
    transform = fit(table)
    back = transform.inverse(transform.transform(table)).column("x").to_numpy()

    ordered = np.sort(values)
    assert transform.column("x").quantiles == pytest.approx(ordered.tolist())
    gaps = spacing_around(ordered, values)
    assert np.all(np.abs(back - values) <= allowed_shift(rows) * gaps)
    nearest = ordered[np.abs(ordered[None, :] - back[:, None]).argmin(axis=1)]
    assert np.array_equal(nearest, values)


def test_more_rows_than_quantiles_still_round_trip_closely():
    values = np.random.default_rng(5).normal(size=4 * MAX_QUANTILES)
    transform = fit(pa.table({"x": values}))
    column = transform.column("x")
    back = transform.inverse(transform.transform(pa.table({"x": values})))

    quantiles = np.asarray(column.quantiles)
    assert len(quantiles) == MAX_QUANTILES
    shift = allowed_shift(MAX_QUANTILES) * spacing_around(quantiles, values)
    assert np.all(np.abs(back.column("x").to_numpy() - values) <= shift)


def test_integer_columns_with_ties_come_back_exactly():
    values = np.repeat([3, 3, 4, 9, 10, 250, 251, 252, 900, 901, 902, 1000], 7)
    table = pa.table({"n": pa.array(values, pa.int16())})
    transform = fit(table)
    assert transform.column("n").kind == "integer"
    assert transform.inverse(transform.transform(table)).equals(table)


@pytest.mark.parametrize("arrow_type", [pa.int64(), pa.uint64()])
def test_the_largest_64_bit_integers_do_not_wrap_around(arrow_type):
    # float64 rounds these up past the type's range; they must stay in range
    top = np.iinfo(arrow_type.to_pandas_dtype()).max
    values = np.array([top - k for k in (0, 1, 5000, 10**6, 10**12)] * 4)
    table = pa.table({"big": pa.array(values, arrow_type)})
    transform = fit(table)
    back = transform.inverse(transform.transform(table)).column("big").to_numpy()
    low = np.float64(values.min())
    assert back.min() >= low - 2**11 and back.max() <= top
    # the values keep their order of magnitude: no wrap to the other end
    np.testing.assert_allclose(back.astype(np.float64), values, rtol=1e-9)


FAR_INTEGERS = {
    "int64 near its top": (pa.int64(), 2**62, 1),
    "int64 near its bottom, a step of 7": (pa.int64(), -(2**63) + 5, 7),
    "uint64 past int64": (pa.uint64(), 2**63, 1),
    "uint64 near its top, a step of 3": (pa.uint64(), 2**64 - 3 * 5000, 3),
}


@pytest.mark.parametrize("case", FAR_INTEGERS, ids=list(FAR_INTEGERS))
def test_integers_past_two_to_the_53_keep_their_grid_and_exact_range(case):
    # float64 steps by 1024 to 4096 out there: the values would collapse
    arrow_type, start, step = FAR_INTEGERS[case]
    rng = np.random.default_rng(3)
    steps = rng.choice(np.arange(1, 4999), size=198, replace=False)
    values = [start + step * int(k) for k in [0, 4999, *steps]]
    table = pa.table({"n": pa.array(values, arrow_type), "x": rng.normal(size=200)})
    transform = fit(table)
    column = transform.column("n")
    assert column.kind == "integer"
    assert (column.minimum, column.maximum) == (min(values), max(values))
    assert column.unit == (step if step > 1 else None)

    # with at most 1000 rows the quantiles are the values: they come back
    back = transform.inverse(transform.transform(table))
    assert back.column("n").type == arrow_type
    assert back.column("n").to_pylist() == values

    # arbitrary scores stay on the grid inside the exact range, spread over it
    generated = random_inverse(transform).column("n").to_pylist()
    assert min(values) <= min(generated) and max(generated) <= max(values)
    assert all((value - start) % step == 0 for value in generated)
    assert len(set(generated)) > 1000
    ends = np.zeros((2, transform.width), dtype=np.float32)
    ends[0], ends[1] = -10.0, 10.0
    extremes = transform.inverse(ends).column("n").to_pylist()
    assert extremes == [min(values), max(values)]

    # JSON keeps the bounds as exact integers
    saved = json.loads(transform.to_json())["columns"][0]
    assert (saved["minimum"], saved["maximum"], saved["offset"]) == (
        min(values),
        max(values),
        min(values),
    )
    loaded = TableTransform.from_json(transform.to_json())
    assert loaded.inverse(transform.transform(table)).equals(back)


def test_a_span_wider_than_int64_keeps_its_ends_and_its_grid():
    # from the lowest int64 to the highest, every third value: the span itself
    # overflows int64, and float64 cannot tell the ends from their neighbours
    low, high = -(2**63), 2**63 - 1
    inner = np.random.default_rng(4).integers(1, (high - low) // 3, 98)
    values = [low, high, *(low + 3 * int(k) for k in inner)]
    table = pa.table({"n": pa.array(values, pa.int64())})
    transform = fit(table)
    assert transform.column("n").unit == 3

    ends = np.array([[-10.0], [10.0]], dtype=np.float32)
    assert transform.inverse(ends).column("n").to_pylist() == [low, high]
    generated = random_inverse(transform).column("n").to_pylist()
    assert all(low <= value <= high for value in generated)
    assert all((value - low) % 3 == 0 for value in generated)
    # a round trip moves a value by a sliver of the span (the float32 score),
    # and wraps none around to the other end
    back = transform.inverse(transform.transform(table)).column("n").to_pylist()
    moved = [abs(after - before) for after, before in zip(back, values, strict=True)]
    assert max(moved) <= 1e-6 * (high - low)


def test_a_transform_saved_before_the_offset_decodes_as_before():
    # written by the version whose integer bounds and quantiles were absolute
    # floats; the decoded rows are the ones that version gave
    path = Path(__file__).parent / "data" / "transform_before_offset.json"
    transform = read_transform(path)
    assert all(
        column.offset is None
        for column in transform.columns
        if isinstance(column, NumericColumn)
    )
    scores = np.array([-10.0, -1.2, -0.3, 0.0, 0.4, 1.1, 10.0], dtype=np.float32)
    matrix = np.zeros((len(scores), transform.width), dtype=np.float32)
    for block in transform.layout:
        if block.role == "value":
            matrix[:, block.start] = scores
        else:
            says_null = np.array([0, 1, 0, 0, 1, 0, 0])
            matrix[:, block.start] = 1 - says_null
            matrix[:, block.start + 1] = says_null
    decoded = transform.inverse(matrix)
    day = pc.cast(decoded.column("day"), pa.int32())
    at = pc.cast(decoded.column("at"), pa.int64())
    assert decoded.column("count").to_pylist() == [3, 6, 10, 16, 26, 46, 60]
    assert decoded.column("salary").to_pylist() == [
        1003, 1503, 3003, 4003, 5503, 8003, 10003
    ]  # fmt: skip
    assert day.to_pylist() == [18262, 18264, 18269, 18274, 18281, 18302, 18303]
    assert at.to_pylist() == [
        1609718400000000000, 1610323200000000000, 1611532800000000000,
        1612137600000000000, 1614556800000000000, 1617580800000000000,
        1618185600000000000,
    ]  # fmt: skip
    assert decoded.column("maybe").to_pylist() == [2, None, 5, 7, None, 19, 30]
    assert decoded.column("price").to_pylist() == [
        1.25, 2.46, 4.01, 5.12, 7.03, 8.58, 10.0
    ]  # fmt: skip


def test_declared_types_survive_a_parquet_round_trip(tmp_table, tmp_path):
    rows = 60
    rng = np.random.default_rng(11)
    table = pa.table(
        {
            "count": pa.array(rng.integers(0, 500, rows), pa.int32()),
            "label": pa.array(rng.choice(["a", "b", "c"], rows)).dictionary_encode(),
            "seen": pa.array(
                [
                    EPOCH + dt.timedelta(hours=int(h))
                    for h in rng.integers(0, 999, rows)
                ],
                pa.timestamp("us", tz="Asia/Tokyo"),
            ),
            "day": pa.array(
                [dt.date(2001, 1, 1) + dt.timedelta(days=int(d)) for d in range(rows)],
                pa.date32(),
            ),
            "ratio": pa.array(rng.normal(size=rows).astype(np.float32)),
            "flag": pa.array(rng.random(rows) > 0.3),
            "maybe": pa.array(
                [
                    None if i % 5 == 0 else int(v)
                    for i, v in enumerate(rng.integers(0, 99, rows))
                ],
                pa.int64(),
            ),
        }
    )
    source = TableSource(tmp_table(table, "typed.parquet"))
    schema = infer_schema(source.read(), DataConfig(), "typed.parquet")
    transform = TableTransform.fit(source, schema)
    back = transform.inverse(transform.transform(source.read()))
    pq.write_table(back, tmp_path / "back.parquet")
    reread = pq.read_table(tmp_path / "back.parquet")

    assert reread.schema == table.schema
    for name in ["count", "label", "day", "flag", "maybe"]:
        assert reread.column(name).to_pylist() == table.column(name).to_pylist(), name
    assert reread.column("maybe").null_count == 12


def test_dictionaries_of_numbers_and_strings_keep_their_type():
    # as pandas writes a Categorical: int8 indices into the categories
    indices = pa.array(np.arange(30) % 3, pa.int8())
    table = pa.table(
        {
            "code": pa.DictionaryArray.from_arrays(indices, pa.array([7, 8, 9])),
            "name": pa.DictionaryArray.from_arrays(
                indices, pa.array(["x", "y", "z"], pa.large_string())
            ),
        }
    )
    transform = fit(table)
    back = transform.inverse(transform.transform(table))
    assert back.schema == table.schema
    assert back.column("code").to_pylist() == [7, 8, 9] * 10
    assert back.column("name").to_pylist() == ["x", "y", "z"] * 10


def test_dictionary_columns_keep_their_order_and_one_dictionary_per_batch():
    # as pandas writes a Categorical; no row is "huge", one row is null
    codes = np.array([2, 0, 1, 0, 2, 1] * 5)
    sizes = pa.DictionaryArray.from_arrays(
        pa.array(codes, pa.int8(), mask=np.arange(30) == 4),
        pa.array(["small", "medium", "large", "huge"]),
        ordered=True,
    )
    tags = pa.DictionaryArray.from_arrays(
        pa.array(codes, pa.int8()), pa.array(["zeta", "alpha", "mu"])
    )
    table = pa.table({"size": sizes, "tag": tags})
    transform = fit(table)
    assert transform.column("size").categories == ["small", "medium", "large"]
    assert transform.column("size").has_null
    assert transform.column("tag").categories == ["zeta", "alpha", "mu"]

    # batches that draw other levels, or a single one, carry the same dictionary
    (size_block,) = transform.blocks_of("size")
    (tag_block,) = transform.blocks_of("tag")
    for size_levels, tag_levels in [([2, 0, 1, 3], [2, 2, 0, 1]), ([1] * 4, [2] * 4)]:
        matrix = np.zeros((4, transform.width), dtype=np.float32)
        matrix[np.arange(4), size_block.start + np.array(size_levels)] = 1.0
        matrix[np.arange(4), tag_block.start + np.array(tag_levels)] = 1.0
        generated = transform.inverse(matrix)
        assert generated.schema == table.schema
        size, tag = generated.column("size").chunk(0), generated.column("tag").chunk(0)
        assert size.dictionary.to_pylist() == ["small", "medium", "large"]
        assert tag.dictionary.to_pylist() == ["zeta", "alpha", "mu"]
    levels = [*transform.column("size").categories, None]
    assert generated.column("size").to_pylist() == [levels[1]] * 4

    # an ordered dictionary compares in its own order once in pandas
    matrix = np.zeros((3, transform.width), dtype=np.float32)
    matrix[np.arange(3), size_block.start + np.array([2, 0, 1])] = 1.0
    frame = transform.inverse(matrix).to_pandas()
    assert frame["size"].cat.ordered
    assert (frame["size"] < "medium").tolist() == [False, True, False]


def test_dictionaries_of_a_dataset_are_merged_in_order_and_plain_text_is_sorted(
    tmp_path, tmp_table
):
    # each file has its own dictionary: the first file's order leads
    for part, (words, codes) in enumerate(
        [(["pear", "fig"], [0, 1, 1, 0]), (["kiwi", "fig", "pear"], [1, 0, 2, 0])]
    ):
        words = pa.DictionaryArray.from_arrays(pa.array(codes, pa.int8()), words)
        table = pa.table({"fruit": words, "x": np.arange(4.0) + part})
        tmp_table(table, f"parts/part{part}.parquet")
    source = TableSource(tmp_path / "parts")
    schema = infer_schema(source.read(), DataConfig(), "parts")
    transform = TableTransform.fit(source, schema)
    assert transform.column("fruit").categories == ["pear", "fig", "kiwi"]

    # without a dictionary (a CSV, plain strings) the categories are sorted
    plain = source.read().cast(pa.schema([("fruit", pa.string()), ("x", pa.float64())]))
    path = tmp_table(plain, "plain.csv")
    source = TableSource(path)
    schema = infer_schema(source.read(), DataConfig(), "plain.csv")
    transform = TableTransform.fit(source, schema)
    assert transform.column("fruit").categories == ["fig", "kiwi", "pear"]


def test_null_indicator_decides_where_nulls_are_generated():
    table = pa.table(
        {
            "x": pa.array([None, 1.0, 2.5, None, 4.0] * 4),
            "s": pa.array(["a", None, "b", "b", "a"] * 4),
        }
    )
    transform = fit(table)
    assert transform.column("x").null_rate == pytest.approx(0.4)
    assert transform.column("s").frequencies == pytest.approx([0.4, 0.4, 0.2])

    matrix = np.zeros((4, transform.width), dtype=np.float32)
    (null_block,) = [b for b in transform.blocks_of("x") if b.role == "null"]
    (levels,) = transform.blocks_of("s")
    says_null = np.array([True, False, True, False])
    matrix[:, null_block.start] = ~says_null
    matrix[:, null_block.start + 1] = says_null
    matrix[np.arange(4), levels.start + np.array([2, 0, 1, 2])] = 1.0
    generated = transform.inverse(matrix)

    assert generated.column("x").is_null().to_pylist() == says_null.tolist()
    assert generated.column("s").to_pylist() == [None, "a", "b", None]


def test_a_constant_column_takes_no_width_and_is_generated_constant():
    table = pa.table(
        {
            "x": np.linspace(0, 1, 30),
            "level": pa.array([7] * 30, pa.int8()),
            "unit": ["kg"] * 30,
            "gain": [2.5] * 30,
        }
    )
    transform = fit(table)
    assert transform.width == 1
    assert [b.column for b in transform.layout] == ["x"]
    for name in ["level", "unit", "gain"]:
        assert transform.blocks_of(name) == []
        assert transform.column(name).constant

    noise = np.random.default_rng(0).normal(size=(50, 1)).astype(np.float32)
    generated = transform.inverse(noise)
    assert generated.column("level").to_pylist() == [7] * 50
    assert generated.column("unit").to_pylist() == ["kg"] * 50
    assert generated.column("gain").to_pylist() == [2.5] * 50
    assert generated.schema == table.schema


def test_a_constant_numeric_column_with_nulls_keeps_only_its_null_block():
    table = pa.table({"gain": pa.array([2.5, None, 2.5, 2.5] * 5)})
    transform = fit(table)
    assert [(b.kind, b.role) for b in transform.layout] == [("categorical", "null")]
    assert transform.inverse(transform.transform(table)).equals(table)


def test_unseen_categories_encode_as_all_zero_blocks():
    table = pa.table({"s": ["a", "b", "c"] * 5, "x": np.arange(15.0)})
    transform = fit(table)
    (block,) = transform.blocks_of("s")
    fresh = pa.table({"s": ["b", "never", None], "x": [1.0, 2.0, 3.0]})
    matrix = transform.transform(fresh)[:, block.start : block.end]
    assert matrix.tolist() == [[0, 1, 0], [0, 0, 0], [0, 0, 0]]


def test_fit_on_a_dataset_sees_every_category_and_the_true_range(tmp_path, tmp_table):
    rng = np.random.default_rng(2)
    for part in range(4):
        values = rng.normal(size=100)
        labels = rng.choice(["a", "b"], 100).astype(object)
        if part == 2:
            values[17], labels[5] = 1000.0, "rare"
        if part == 3:
            values[4] = -500.0
        table = pa.table({"x": values, "s": pa.array(labels.tolist(), pa.string())})
        tmp_table(table, f"parts/part{part}.parquet")
    source = TableSource(tmp_path / "parts")
    sample = source.sample(50, 0)
    # the seeded sample the quantiles come from misses the extremes and "rare"
    assert "rare" not in sample.column("s").to_pylist()
    assert pc.min(sample.column("x")).as_py() > -500.0
    assert pc.max(sample.column("x")).as_py() < 1000.0
    schema = infer_schema(sample, DataConfig(), "parts")
    transform = TableTransform.fit(source, schema, sample_rows=50, seed=0)

    x, s = transform.column("x"), transform.column("s")
    assert isinstance(x, NumericColumn) and isinstance(s, CategoricalColumn)
    assert s.categories == ["a", "b", "rare"]
    assert sum(s.frequencies) == pytest.approx(1.0)
    assert s.frequencies[2] == pytest.approx(1 / 400)
    assert (x.minimum, x.maximum) == (-500.0, 1000.0)
    assert len(x.quantiles) == 50
    assert (x.quantiles[0], x.quantiles[-1]) == (-500.0, 1000.0)
    assert transform.num_rows == 400


def test_transform_needs_every_modelled_column():
    transform = fit(pa.table({"a": np.arange(20.0), "b": np.arange(20.0) ** 2}))
    with pytest.raises(CorrganError, match="lacks the modelled column\\(s\\) b"):
        transform.transform(pa.table({"a": [1.0]}))


def test_inverse_needs_the_model_space_width():
    transform = fit(pa.table({"a": np.arange(20.0)}))
    with pytest.raises(ValueError, match="expected a matrix with 1 columns"):
        transform.inverse(np.zeros((3, 2), dtype=np.float32))


def test_a_transform_of_another_format_version_is_refused():
    values = fit(pa.table({"a": np.arange(20.0)})).to_dict()
    values["format_version"] = 99
    with pytest.raises(CorrganError, match="format version 99 is not supported"):
        TableTransform.from_dict(values)


def test_read_transform_reports_missing_and_damaged_files(tmp_path):
    path = tmp_path / "transform.json"
    with pytest.raises(CorrganError, match="transform.json is missing"):
        read_transform(path)
    path.write_text(fit(pa.table({"a": np.arange(20.0)})).to_json()[:-40])
    with pytest.raises(CorrganError, match="transform.json is damaged"):
        read_transform(path)


def test_extremes_of_widely_spaced_integers_come_back_exactly():
    table = pa.table({"k": pa.array(np.arange(200) * 10_000, pa.int64())})
    transform = fit(table)
    back = transform.inverse(transform.transform(table))
    assert back.column("k").to_pylist() == table.column("k").to_pylist()


def test_unsigned_64_bit_values_past_the_signed_range_are_restored():
    values = np.array([2**63 + 2**12 * i for i in range(50)], dtype=np.uint64)
    table = pa.table({"u": pa.array(values, pa.uint64())})
    transform = fit(table)
    back = transform.inverse(transform.transform(table)).column("u")
    assert back.type == pa.uint64()
    restored = np.asarray(back.to_pylist(), dtype=np.float64)
    assert restored.min() >= float(values.min()) and restored.max() <= float(
        values.max()
    )


# the grid of generated values


def random_inverse(transform: TableTransform, rows: int = 2000) -> pa.Table:
    """The inverse of arbitrary model-space rows: what a generator may emit."""
    scores = np.random.default_rng(5).normal(size=(rows, transform.width))
    return transform.inverse(scores.astype(np.float32))


def test_time_stamps_at_midnight_and_weekly_dates_stay_on_their_grid():
    rng = np.random.default_rng(0)
    start = np.datetime64("2021-01-04", "ns")  # a Monday
    days = rng.integers(0, 900, size=300)
    table = pa.table(
        {
            "day": pa.array(start + days.astype("timedelta64[D]")),
            "monday": pa.array(start + (7 * days).astype("timedelta64[D]")),
            "x": rng.normal(size=300),
        }
    )
    transform = fit(table)
    assert transform.column("day").unit == 86_400 * 10**9
    assert transform.column("monday").unit == 7 * 86_400 * 10**9
    back = random_inverse(transform)
    for name in ("day", "monday"):
        ticks = pc.cast(back.column(name), pa.int64()).to_numpy()
        seen = pc.cast(table.column(name), pa.int64()).to_numpy()
        assert np.all((ticks - seen.min()) % transform.column(name).unit == 0)
        assert seen.min() <= ticks.min() and ticks.max() <= seen.max()
    # the generated days spread over the range, not onto a few grid points
    assert len(np.unique(back.column("day").to_numpy())) > 300
    # scores past both ends give the observed extremes exactly, although a
    # nanosecond time stamp does not fit a float64
    ends = np.zeros((2, transform.width), dtype=np.float32)
    ends[0], ends[1] = -10.0, 10.0
    extremes = transform.inverse(ends)
    for name in ("day", "monday"):
        got = pc.cast(extremes.column(name), pa.int64()).to_pylist()
        seen = pc.cast(table.column(name), pa.int64())
        assert got == [pc.min(seen).as_py(), pc.max(seen).as_py()]


def test_floats_keep_their_decimals_and_integers_their_step():
    rng = np.random.default_rng(1)
    table = pa.table(
        {
            "price": np.round(rng.gamma(2.0, 30.0, size=400), 2),
            "rating": rng.integers(1, 50, size=400) / 10,
            "salary": 3 + 500 * rng.integers(40, 400, size=400),
            "noise": rng.normal(size=400),
        }
    )
    transform = fit(table)
    assert transform.column("price").decimals == 2
    assert transform.column("rating").decimals == 1
    assert transform.column("noise").decimals is None
    assert (transform.column("salary").unit, transform.column("salary").origin) == (
        500,
        3 + 500 * int(table.column("salary").to_numpy().min() // 500),
    )
    back = random_inverse(transform)
    price = back.column("price").to_numpy()
    assert np.array_equal(np.round(price, 2), price)
    assert len(np.unique(price)) > 1000
    rating = back.column("rating").to_numpy()
    assert np.array_equal(np.round(rating, 1), rating)
    assert np.all(back.column("salary").to_numpy() % 500 == 3)
    # unrounded floats keep every digit the quantile map gives them
    assert len(np.unique(back.column("noise").to_numpy())) == 2000


def test_float32_values_keep_the_decimals_they_were_written_with():
    # 12.34 as float32 is 12.340000152587890625 as float64
    rng = np.random.default_rng(4)
    table = pa.table(
        {
            "price": np.round(rng.uniform(0, 100, size=400), 2).astype(np.float32),
            "noise": rng.normal(size=400).astype(np.float32),
        }
    )
    transform = fit(table)
    assert transform.column("price").decimals == 2
    assert transform.column("noise").decimals is None
    back = random_inverse(transform)
    price = back.column("price").to_numpy()
    assert back.column("price").type == pa.float32()
    on_grid = np.round(price.astype(np.float64), 2).astype(np.float32)
    assert np.array_equal(on_grid, price)
    assert len(np.unique(price)) > 1000
    assert len(np.unique(back.column("noise").to_numpy())) > 1900


@pytest.mark.parametrize("scale", [2, 4, 18])
def test_decimals_keep_the_decimals_they_were_written_with(scale):
    # a database or Spark may store prices in cents as decimal(38, 18)
    rng = np.random.default_rng(3)
    cents = [decimal.Decimal(f"{v:.2f}") for v in rng.uniform(0.1, 500, size=400)]
    table = pa.table({"price": pa.array(cents, pa.decimal128(38, scale))})
    transform = fit(table)
    assert transform.column("price").decimals == 2
    back = random_inverse(transform).column("price")
    assert back.type == pa.decimal128(38, scale)
    prices = back.to_pylist()
    assert all(price == price.quantize(decimal.Decimal("0.01")) for price in prices)
    assert min(cents) <= min(prices) and max(prices) <= max(cents)
    assert len(set(prices)) > 1000


def test_a_transform_saved_before_the_grid_still_loads_unrounded():
    rng = np.random.default_rng(2)
    table = pa.table({"price": np.round(rng.gamma(2.0, 30.0, size=400), 2)})
    transform = fit(table)
    saved = transform.to_dict()
    for column in saved["columns"]:
        for key in ("decimals", "unit", "origin"):
            column.pop(key)
    old = TableTransform.from_dict(saved)
    assert old.column("price").decimals is None
    price = random_inverse(old).column("price").to_numpy()
    assert not np.array_equal(np.round(price, 2), price)


def test_microsecond_time_stamps_reach_their_observed_extremes():
    # stored in nanoseconds, such values do not fit a float64 exactly, and a
    # grid bound taken by floor from the float maximum falls one step short
    rng = np.random.default_rng(0)
    for _ in range(10):
        micro = rng.integers(1_600_000_000_000_000, 1_700_000_000_000_000, size=200)
        table = pa.table({"at": pa.array(micro * 1000, pa.timestamp("ns"))})
        transform = fit(table)
        assert transform.column("at").unit % 1000 == 0
        ends = np.zeros((2, transform.width), dtype=np.float32)
        ends[0], ends[1] = -10.0, 10.0
        got = pc.cast(transform.inverse(ends).column("at"), pa.int64()).to_pylist()
        seen = pc.cast(table.column("at"), pa.int64())
        assert got == [pc.min(seen).as_py(), pc.max(seen).as_py()]
