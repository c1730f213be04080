"""Column kinds from declared types, values and override flags."""

from __future__ import annotations

import datetime as dt
import decimal
import logging

import numpy as np
import pyarrow as pa
import pytest

from corrgan.config import DataConfig
from corrgan.errors import CorrganError
from corrgan.io import TableSource
from corrgan.schema import IDENTIFIER_MIN_ROWS, TableSchema, infer_schema, value_type

ROWS = 40


def kinds(table: pa.Table, **overrides) -> dict[str, str]:
    schema = infer_schema(table, DataConfig(**overrides), "table.parquet")
    return {column.name: column.kind for column in schema.columns}


def repeated(values: list, rows: int = ROWS) -> list:
    return [values[i % len(values)] for i in range(rows)]


def test_kinds_follow_the_declared_types():
    start = dt.datetime(2021, 5, 1, tzinfo=dt.timezone.utc)
    table = pa.table(
        {
            "weight": np.linspace(0.0, 1.0, ROWS),
            "small": pa.array(np.linspace(0, 1, ROWS), pa.float32()),
            "count": pa.array(np.arange(ROWS) * 3, pa.int32()),
            "colour": repeated(["red", "green"]),
            "coded": pa.array(repeated(["x", "y", "z"])).dictionary_encode(),
            "large": pa.array(repeated(["p", "q"]), pa.large_string()),
            "flag": repeated([True, False]),
            "stamp": pa.array(
                [start + dt.timedelta(hours=h) for h in range(ROWS)],
                pa.timestamp("us", tz="UTC"),
            ),
            "day": pa.array(
                [dt.date(2020, 1, 1) + dt.timedelta(days=d) for d in range(ROWS)],
                pa.date32(),
            ),
            "wait": pa.array(np.arange(ROWS), pa.duration("s")),
            "price": pa.array(
                [decimal.Decimal(i) / 4 for i in range(ROWS)], pa.decimal128(6, 2)
            ),
        }
    )
    assert kinds(table) == {
        "weight": "continuous",
        "small": "continuous",
        "count": "integer",
        "colour": "categorical",
        "coded": "categorical",
        "large": "categorical",
        "flag": "categorical",
        "stamp": "datetime",
        "day": "datetime",
        "wait": "datetime",
        "price": "continuous",
    }


def test_the_declared_type_is_recorded_as_text():
    table = pa.table(
        {
            "count": pa.array(np.arange(ROWS), pa.int16()),
            "coded": pa.array(repeated(["x", "y"])).dictionary_encode(),
        }
    )
    schema = infer_schema(table, DataConfig(), "t")
    assert [column.arrow_type for column in schema.columns] == [
        "int16",
        "dictionary<values=string, indices=int32, ordered=0>",
    ]


@pytest.mark.parametrize("limit", [3, 10])
def test_integers_with_few_distinct_values_are_categorical(limit):
    at_limit = repeated(list(range(limit)))
    past_limit = repeated(list(range(limit + 1)))
    table = pa.table({"at": at_limit, "past": past_limit})
    assert kinds(table, integer_categorical_max=limit) == {
        "at": "categorical",
        "past": "integer",
    }


def test_nulls_do_not_count_as_a_distinct_integer_value():
    values = [None if i % 3 == 0 else i % 10 for i in range(ROWS)]
    assert kinds(pa.table({"n": pa.array(values, pa.int64())})) == {"n": "categorical"}


def test_an_all_distinct_string_column_is_left_out_with_a_warning(caplog):
    rows = IDENTIFIER_MIN_ROWS
    table = pa.table(
        {"user_id": [f"u{i:04d}" for i in range(rows)], "x": np.arange(rows) * 1.0}
    )
    with caplog.at_level(logging.WARNING, logger="corrgan.schema"):
        schema = infer_schema(table, DataConfig(), "users.csv")

    assert schema.names == ["x"]
    assert schema.dropped == ["user_id"]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "'user_id'" in warnings[0].getMessage()
    assert "identifier" in warnings[0].getMessage()


def test_a_short_all_distinct_string_column_is_kept(caplog):
    rows = IDENTIFIER_MIN_ROWS - 1
    table = pa.table({"name": [f"n{i}" for i in range(rows)]})
    with caplog.at_level(logging.WARNING, logger="corrgan.schema"):
        assert kinds(table) == {"name": "categorical"}
    assert caplog.records == []


def test_categorical_flag_keeps_an_identifier():
    table = pa.table({"code": [f"c{i}" for i in range(ROWS)], "x": np.ones(ROWS)})
    assert kinds(table, categorical=["code"]) == {
        "code": "categorical",
        "x": "continuous",
    }


def test_overrides_set_and_remove_kinds():
    table = pa.table(
        {
            "a": np.arange(ROWS) * 1.5,
            "b": pa.array(np.arange(ROWS), pa.int64()),
            "c": pa.array(repeated([1, 2, 3]), pa.int8()),
            "d": repeated(["x", "y"]),
            "e": np.ones(ROWS),
        }
    )
    schema = infer_schema(
        table,
        DataConfig(categorical=["a", "b"], continuous=["c"], drop=["d"]),
        "t",
    )
    assert {c.name: c.kind for c in schema.columns} == {
        "a": "categorical",
        "b": "categorical",
        "c": "integer",
        "e": "continuous",
    }
    assert schema.dropped == ["d"]


@pytest.mark.parametrize("flag", ["categorical", "continuous", "drop"])
def test_an_override_naming_an_unknown_column_is_an_error(flag):
    table = pa.table({"a": np.arange(ROWS) * 1.0, "b": np.ones(ROWS)})
    pattern = f"--{flag} names column\\(s\\) not in t.csv: nope; the columns are a, b"
    with pytest.raises(CorrganError, match=pattern):
        infer_schema(table, DataConfig(**{flag: ["a", "nope"]}), "t.csv")


def test_unknown_target_is_an_error():
    table = pa.table({"a": np.arange(ROWS) * 1.0})
    with pytest.raises(CorrganError, match="--target names column\\(s\\) .*: label"):
        infer_schema(table, DataConfig(target="label"), "t.csv")


def test_an_empty_target_is_an_unknown_column():
    # --target '' was taken for no target here, and crashed in the split
    table = pa.table({"a": np.arange(ROWS) * 1.0, "b": np.arange(ROWS) * 2.0})
    with pytest.raises(CorrganError) as caught:
        infer_schema(table, DataConfig(target=""), "t.csv")
    assert str(caught.value) == (
        "--target names column(s) not in t.csv: ''; the columns are 'a', 'b'"
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [("categorical", "continuous"), ("drop", "categorical"), ("drop", "continuous")],
)
def test_a_column_given_to_two_flags_is_an_error(first, second):
    # --drop with --continuous used to drop the column without a word
    table = pa.table({"a": np.arange(ROWS) * 1.0, "b": np.arange(ROWS) * 2.0})
    config = DataConfig(**{first: ["a"], second: ["a"]})
    message = f"column\\(s\\) a given to both --{first} and --{second}; name each"
    with pytest.raises(CorrganError, match=message):
        infer_schema(table, config, "t")


def test_continuous_flag_on_strings_is_an_error():
    table = pa.table({"s": repeated(["x", "y"])})
    with pytest.raises(CorrganError, match="'s' .* cannot be continuous"):
        infer_schema(table, DataConfig(continuous=["s"]), "t")


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (
            pa.array(np.arange(ROWS), pa.timestamp("s")),
            "'t' in t holds dates or times and cannot be categorical; choose "
            "another --target",
        ),
        # --categorical, which the float message offers, cannot take decimals
        (
            pa.array([1, 2] * (ROWS // 2), pa.decimal128(5, 2)),
            "'t' in t holds decimals and cannot be categorical; cast it to text "
            "or integers, or choose another --target",
        ),
    ],
)
def test_a_target_that_cannot_be_a_class_is_not_told_to_be_dropped(column, message):
    # the fixes used to be --drop and --categorical, refused for such a target
    table = pa.table({"t": column, "x": np.ones(ROWS)})
    with pytest.raises(CorrganError) as caught:
        infer_schema(table, DataConfig(target="t"), "t")
    assert str(caught.value) == f"column {message}"


def test_categorical_flag_on_timestamps_is_an_error():
    stamps = pa.array(np.arange(ROWS), pa.timestamp("s"))
    with pytest.raises(CorrganError, match="'t' .* cannot be categorical"):
        infer_schema(pa.table({"t": stamps}), DataConfig(categorical=["t"]), "t")


@pytest.mark.parametrize(
    "column",
    [
        pa.nulls(ROWS),
        pa.nulls(ROWS, pa.float64()),
        # NaN is not null to Arrow, but it is no more a value
        pa.array(np.full(ROWS, np.nan), from_pandas=False),
        pa.array([np.nan, None] * (ROWS // 2), pa.float64(), from_pandas=False),
    ],
)
def test_an_entirely_null_column_is_an_error(column):
    table = pa.table({"x": np.ones(ROWS), "empty": column})
    with pytest.raises(CorrganError) as caught:
        infer_schema(table, DataConfig(), "t.csv")
    assert str(caught.value) == (
        "column 'empty' in t.csv is entirely null or NaN; remove it with --drop empty"
    )


def test_dropping_the_null_column_resolves_the_error():
    table = pa.table({"x": np.ones(ROWS), "empty": pa.nulls(ROWS)})
    schema = infer_schema(table, DataConfig(drop=["empty"]), "t.csv")
    assert schema.names == ["x"]


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_values_are_an_error(bad):
    values = np.arange(ROWS) * 1.0
    values[7] = bad
    with pytest.raises(CorrganError, match="'v' in t.csv holds \\+-inf"):
        infer_schema(pa.table({"v": values}), DataConfig(), "t.csv")


def test_too_many_text_categories_suggests_drop_or_a_higher_limit():
    table = pa.table({"city": repeated([f"city{i}" for i in range(12)])})
    with pytest.raises(CorrganError) as caught:
        infer_schema(table, DataConfig(max_categories=5), "t.csv")
    message = str(caught.value)
    assert "'city' in t.csv has 12 distinct values" in message
    # text can never be continuous, so that flag is not offered
    assert "--continuous" not in message
    assert "--drop city" in message
    assert "--max-categories" in message
    assert kinds(table, max_categories=12) == {"city": "categorical"}


def test_too_many_numeric_categories_also_suggests_continuous():
    table = pa.table({"code": repeated(list(range(12)))})
    # inferred categorical: --continuous alone is the fix
    inferred = DataConfig(max_categories=5, integer_categorical_max=12)
    with pytest.raises(CorrganError) as caught:
        infer_schema(table, inferred, "t")
    assert "treat it as a number with --continuous code, remove" in str(caught.value)
    # named by --categorical: the fix replaces that flag, since both are refused
    with pytest.raises(CorrganError) as caught:
        infer_schema(table, DataConfig(max_categories=5, categorical=["code"]), "t")
    assert "with --continuous code instead of --categorical, remove" in str(
        caught.value
    )
    config = DataConfig(max_categories=5, continuous=["code"])
    assert infer_schema(table, config, "t").columns[0].kind == "integer"


@pytest.mark.parametrize(
    ("command", "fix"),
    [
        ("train", "choose another --target or raise --max-categories"),
        ("report", "choose another --target"),
    ],
)
def test_a_target_of_too_many_classes_is_not_told_to_be_dropped(command, fix):
    # --drop and --continuous are both refused for the target
    table = pa.table({"code": repeated(list(range(12))), "x": np.ones(ROWS)})
    config = DataConfig(max_categories=5, target="code")
    with pytest.raises(CorrganError) as caught:
        infer_schema(table, config, "t", command=command)
    message = str(caught.value)
    assert message.endswith(f"the categorical limit of 5; {fix}")


def test_report_messages_offer_only_the_flags_report_has():
    table = pa.table({"code": repeated(list(range(12)))})
    config = DataConfig(max_categories=5, categorical=["code"])
    with pytest.raises(CorrganError) as caught:
        infer_schema(table, config, "t", command="report")
    message = str(caught.value)
    assert message.endswith("remove it with --drop code")


def test_an_unsupported_type_is_an_error():
    table = pa.table({"blob": pa.array([b"x"] * ROWS), "x": np.ones(ROWS)})
    with pytest.raises(CorrganError, match="'blob' .* type binary.*--drop blob"):
        infer_schema(table, DataConfig(), "t")


def test_dropping_every_column_is_an_error():
    table = pa.table({"a": np.ones(ROWS)})
    with pytest.raises(CorrganError, match="no column is left to model"):
        infer_schema(table, DataConfig(drop=["a"]), "t")


def test_the_target_is_categorical_whatever_its_type():
    # 15 distinct integers would be an integer column, but a class is categorical
    table = pa.table({"grade": pa.array(repeated(list(range(15))), pa.int64())})
    assert kinds(table) == {"grade": "integer"}
    assert kinds(table, target="grade") == {"grade": "categorical"}


def test_a_target_given_to_continuous_is_an_error():
    table = pa.table({"grade": repeated([1, 2, 3])})
    with pytest.raises(CorrganError, match="--target grade must be categorical"):
        infer_schema(table, DataConfig(target="grade", continuous=["grade"]), "t")


def test_an_all_distinct_target_is_kept_as_categorical():
    table = pa.table({"code": [f"c{i}" for i in range(ROWS)], "x": np.ones(ROWS)})
    schema = infer_schema(table, DataConfig(target="code"), "t")
    assert [(c.name, c.kind) for c in schema.columns][0] == ("code", "categorical")
    assert schema.dropped == []


def test_schema_round_trips_through_a_dict():
    table = pa.table(
        {"a": np.arange(ROWS) * 1.0, "b": repeated(["x", "y"]), "c": np.ones(ROWS)}
    )
    schema = infer_schema(table, DataConfig(drop=["c"]), "t")
    assert TableSchema.from_dict(schema.to_dict()) == schema


def test_value_type_looks_through_dictionaries():
    assert value_type(pa.dictionary(pa.int8(), pa.string())) == pa.string()
    assert value_type(pa.int32()) == pa.int32()


def test_crop_columns(crop_path):
    source = TableSource(crop_path)
    schema = infer_schema(source.read(), DataConfig(), str(crop_path))
    assert {c.name: c.kind for c in schema.columns} == {
        "N": "integer",
        "P": "integer",
        "K": "integer",
        "temperature": "continuous",
        "humidity": "continuous",
        "ph": "continuous",
        "rainfall": "continuous",
        "label": "categorical",
    }


def test_a_float_target_is_refused_unless_made_categorical():
    table = pa.table({"x": np.linspace(0, 1, 30), "y": np.linspace(1, 2, 30)})
    with pytest.raises(CorrganError, match="--target y .* --categorical y"):
        infer_schema(table, DataConfig(target="y"), "t.csv")
    schema = infer_schema(table, DataConfig(target="y", categorical=["y"]), "t.csv")
    assert [c.kind for c in schema.columns] == ["continuous", "categorical"]


def test_categorical_floats_with_nan_and_decimals_are_refused():
    nan = pa.table({"x": [1.0, float("nan")] * 15})
    with pytest.raises(CorrganError, match="NaN"):
        infer_schema(nan, DataConfig(categorical=["x"]), "t.csv")
    decimals = pa.table({"d": pa.array([decimal.Decimal("1.5")] * 30)})
    with pytest.raises(CorrganError, match="decimals"):
        infer_schema(decimals, DataConfig(categorical=["d"]), "t.csv")


def test_a_target_with_a_class_for_nearly_every_row_is_warned_about(caplog):
    table = pa.table({"id": pa.array(np.arange(ROWS) % (ROWS - 2)), "x": np.ones(ROWS)})
    schema = infer_schema(table, DataConfig(target="id"), "t.csv")
    assert schema.columns[0].kind == "categorical"
    assert f"--target id has {ROWS - 2} classes in {ROWS} rows of t.csv" in caplog.text
    caplog.clear()
    infer_schema(
        pa.table({"k": pa.array(np.arange(ROWS) % 3)}), DataConfig(target="k"), "t"
    )
    assert "classes in" not in caplog.text


def test_numbers_kept_as_text_by_a_few_stray_values_are_warned_about(caplog):
    numbers = [f"{value:.3f}" for value in np.random.default_rng(0).normal(size=60)]
    # repeated values, so that these are not taken for identifiers
    stray = [*numbers[:39], "oops"] + numbers[:20]
    separated = [f"{1000 + 37 * (i % 40):,}.50" for i in range(60)]
    codes = [f"c{i % 30}" for i in range(60)]
    few = [str(i % 3) for i in range(59)] + ["x"]
    columns = {"stray": stray, "sep": separated, "codes": codes, "few": few}
    # all distinct: an identifier, were it not numbers
    table = pa.table({**columns, "ids": [*numbers[:-1], "n/a?"]})
    with caplog.at_level(logging.WARNING, logger="corrgan.schema"):
        schema = infer_schema(table, DataConfig(), "t.csv")
    kinds = {column.name: column.kind for column in schema.columns}
    assert kinds == dict.fromkeys(columns, "categorical")
    warned = {
        record.args[0]: record.getMessage()
        for record in caplog.records
        if "plain numbers" in record.getMessage()
    }
    # codes are not numbers, and three levels are a plain category
    assert sorted(warned) == ["ids", "sep", "stray"]
    assert "59 of its 60 values are numbers" in warned["ids"]
    assert "such as 'n/a?'" in warned["ids"]
    assert "all distinct, so it is left out" in warned["ids"]
    assert "such as 'oops'" in warned["stray"]
    assert "categorical with 40 levels" in warned["stray"]
    assert "'1,000.50'" in warned["sep"]


def test_text_of_plain_numbers_has_no_stray_values_to_warn_about(caplog):
    # quoted digits in a CSV, or a string column: text by choice, as README says
    codes = [f"{i % 40:05d}" for i in range(60)]
    ids = [f"{i:05d}" for i in range(60)]
    table = pa.table({"codes": codes, "ids": ids, "x": np.arange(60.0)})
    with caplog.at_level(logging.WARNING, logger="corrgan.schema"):
        schema = infer_schema(table, DataConfig(), "t.csv")
    assert {column.name: column.kind for column in schema.columns} == {
        "codes": "categorical",
        "x": "continuous",
    }
    assert schema.dropped == ["ids"]
    assert "plain numbers" not in caplog.text
    assert "'ids' looks like an identifier (all 60 values distinct)" in caplog.text
