"""build_report: behaviour on constructed tables, bad inputs and the crop table."""

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from corrgan.errors import CorrganError
from corrgan.report import REPORT_SCHEMA_VERSION, build_report
from corrgan.report.checks import check_tables
from corrgan.report.encoding import encode_tables
from corrgan.report.privacy import privacy_report
from corrgan.report.within_class import class_references, within_class_report

CROP_TABLE = Path("/work/shared/data/crop_recommendation.csv")


def mixed_table(n_rows: int = 600, seed: int = 0) -> pd.DataFrame:
    """Three correlated numeric columns, a categorical, a boolean and some nulls."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], size=n_rows)
    shift = pd.Series(group).map({"a": 0.0, "b": 2.0, "c": 4.0}).to_numpy()
    base = rng.normal(size=n_rows)
    table = pd.DataFrame(
        {
            "x": base + shift,
            "y": 0.8 * base + 0.6 * rng.normal(size=n_rows) + shift,
            "z": -0.7 * base + 0.7 * rng.normal(size=n_rows),
            "count": rng.poisson(3, size=n_rows),
            "group": group,
            "flag": base > 0,
        }
    )
    table.loc[rng.choice(n_rows, 20, replace=False), "z"] = np.nan
    table.loc[rng.choice(n_rows, 10, replace=False), "group"] = None
    return table


def upper_pairs(section: dict) -> dict[tuple[str, str], float | None]:
    """The upper triangle of a {"columns", "values"} matrix, keyed by pair."""
    names, values = section["columns"], section["values"]
    return {
        (names[i], names[j]): values[i][j]
        for i in range(len(names))
        for j in range(i + 1, len(names))
    }


def errors_of(card: dict) -> list[dict]:
    return [
        card["correlations"]["pearson"]["error"],
        card["correlations"]["spearman"]["error"],
        card["associations"]["error"],
    ]


# a table against itself


def test_table_against_itself_has_zero_errors_and_full_scores():
    table = mixed_table()
    report = build_report(table, table, categorical=["group"])
    card = report["synthetic"]
    for error in errors_of(card):
        assert error["mean_abs_delta"] == 0.0
        assert error["max_abs_delta"] == 0.0
        assert error["frobenius"] == 0.0
        assert error["n_pairs"] > 0
    assert card["column_shapes"]["score"] == 1.0
    assert all(c["score"] == 1.0 for c in card["column_shapes"]["columns"])
    assert card["pair_trends"]["all_pairs"]["score"] == pytest.approx(1.0)
    assert card["pair_trends"]["trend_pairs"]["score"] == pytest.approx(1.0)
    assert card["pair_trends"]["trend_pairs"]["n_pairs"] > 0
    assert card["quality"]["all_pairs"] == pytest.approx(1.0)
    assert card["quality"]["trend_pairs"] == pytest.approx(1.0)
    assert report["schema_version"] == REPORT_SCHEMA_VERSION
    assert "inputs" not in report


def test_table_against_itself_within_class_and_privacy():
    table = mixed_table(150)
    report = build_report(
        table, table, categorical=["group"], train=table, target="group"
    )
    within = report["synthetic"]["within_class"]
    assert within["n_skipped"] == 0
    assert within["n_classes"] == 4  # a, b, c and the null level
    assert all(value == 0.0 for value in within["mean"].values())
    assert within["pooled_pearson"]["error"]["mean_abs_delta"] == 0.0
    efficacy = report["synthetic"]["efficacy"]
    assert efficacy["train_on_synthetic"] == efficacy["train_on_train"]
    privacy = report["privacy"]
    assert privacy["exact_copy_share"] == 1.0
    assert privacy["synthetic_to_train"]["median"] == pytest.approx(0.0, abs=1e-6)


# one shuffled column


def test_shuffling_one_column_changes_only_its_pairs():
    real = mixed_table(2000)
    synthetic = real.copy()
    rng = np.random.default_rng(5)
    synthetic["y"] = rng.permutation(synthetic["y"].to_numpy())
    card = build_report(real, synthetic, categorical=["group"])["synthetic"]

    for kind in ("pearson", "spearman"):
        section = card["correlations"][kind]
        deltas = upper_pairs(section["delta"])
        real_values = upper_pairs(section["real"])
        synthetic_values = upper_pairs(section["synthetic"])
        for pair, delta in deltas.items():
            if "y" in pair:
                assert abs(synthetic_values[pair]) < abs(real_values[pair]) or (
                    abs(real_values[pair]) < 0.05
                )
                assert abs(synthetic_values[pair]) < 0.1
            else:
                assert delta == 0.0, pair
        assert section["error"]["max_abs_delta_pair"][0] == "y" or (
            "y" in section["error"]["max_abs_delta_pair"]
        )

    associations = upper_pairs(card["associations"]["delta"])
    assert all(delta == 0.0 for pair, delta in associations.items() if "y" not in pair)
    assert associations[("x", "y")] < -0.5
    shapes = {c["column"]: c["score"] for c in card["column_shapes"]["columns"]}
    assert shapes["y"] == 1.0  # a permutation keeps the marginal


# categorical and target handling


def test_label_shuffle_keeps_pooled_correlations_but_not_within_class():
    # inside each class y follows x closely; the class means lie the other
    # way round, so the pooled correlation is negative
    rng = np.random.default_rng(2)
    n = 400
    label = np.repeat(["left", "right"], n // 2)
    offset = np.where(label == "left", 0.0, 4.0)
    x = rng.normal(size=n) + offset
    y = (x - offset) + 0.3 * rng.normal(size=n) - offset
    real = pd.DataFrame({"x": x, "y": y, "label": label})
    synthetic = real.copy()
    synthetic["label"] = rng.permutation(real["label"].to_numpy())

    report = build_report(real, synthetic, categorical=["label"], target="label")
    card = report["synthetic"]
    assert card["correlations"]["pearson"]["error"]["mean_abs_delta"] == 0.0
    within = card["within_class"]
    assert within["mean"]["pearson_mean_abs_delta"] > 0.7
    assert within["pooled_pearson"]["error"]["mean_abs_delta"] > 0.5


def test_missing_and_tiny_classes_are_reported_not_dropped():
    real = mixed_table(300)
    synthetic = real[real["group"] != "c"].copy()
    few_a = synthetic.index[synthetic["group"] == "a"][2:]
    synthetic = synthetic.drop(index=few_a)  # two rows of class "a" remain
    report = build_report(real, synthetic, categorical=["group"], target="group")
    within = report["synthetic"]["within_class"]
    notes = {entry["class"]: entry["note"] for entry in within["classes"]}
    assert "absent" in notes["c"]
    assert "only 2 synthetic rows" in notes["a"]
    assert notes["b"] is None
    assert within["n_skipped"] == 2
    assert sorted(within["skipped_classes"]) == ["a", "c"]

    tstr = report["synthetic"]["efficacy"]["train_on_synthetic"]
    assert "c" in tstr["missing_classes"]
    assert tstr["macro_f1"] < 0.9


def test_single_class_synthetic_table_predicts_that_class():
    real = mixed_table(200)
    synthetic = real[real["group"] == "b"]
    report = build_report(real, synthetic, categorical=["group"], target="group")
    tstr = report["synthetic"]["efficacy"]["train_on_synthetic"]
    assert "single class" in tstr["note"]
    share_b = (real["group"] == "b").mean()
    assert tstr["accuracy"] == pytest.approx(share_b)
    assert set(tstr["missing_classes"]) == {"a", "c", None}


def test_efficacy_trains_when_a_column_of_the_training_rows_is_empty():
    # a column with no value carries nothing to learn: the classifier trains
    # on the other columns as if it were not there
    real, synthetic = mixed_table(300), mixed_table(200, seed=1)
    train = mixed_table(250, seed=2)
    synthetic["x"] = np.nan
    train["x"] = np.nan
    efficacy = build_report(
        real, synthetic, categorical=["group"], train=train, target="group"
    )["synthetic"]["efficacy"]
    without = build_report(
        *(table.drop(columns="x") for table in (real, synthetic)),
        categorical=["group"],
        train=train.drop(columns="x"),
        target="group",
    )["synthetic"]["efficacy"]
    for fit in ("train_on_synthetic", "train_on_train"):
        assert efficacy[fit]["note"] is None
        assert efficacy[fit]["n_train_classes"] == 4
        assert efficacy[fit] == without[fit]
    assert efficacy["train_on_train"]["macro_f1"] > 0.5


def test_efficacy_of_values_near_the_float64_maximum():
    # the classifier only sees the order of a column's values, so a column
    # scaled up to the float64 maximum gives the same fits as the plain one
    real, synthetic = mixed_table(300), mixed_table(200, seed=1)
    train = mixed_table(250, seed=2)
    plain = build_report(
        real, synthetic, categorical=["group"], train=train, target="group"
    )
    tables = (real, synthetic, train)
    scale = np.finfo(np.float64).max / max(table["x"].abs().max() for table in tables)
    for table in tables:
        table["x"] = table["x"] * scale
    huge = build_report(
        real, synthetic, categorical=["group"], train=train, target="group"
    )
    for fit in ("train_on_synthetic", "train_on_train"):
        want = plain["synthetic"]["efficacy"][fit]
        assert huge["synthetic"]["efficacy"][fit] == want


@pytest.mark.filterwarnings("error")
def test_efficacy_of_a_column_spread_over_the_float64_range():
    # the classifier only sees the order of a column's values, so powers of ten
    # from 1e-300 to 1e300 give the same fits as their exponents; brought
    # within 1 as a whole, the powers below 1e-24 would underflow to a tie at 0

    def table(rows: int, seed: int) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        power = 10.0 * rng.integers(-30, 31, size=rows)
        label = np.where(power // 50 % 2 == 0, "even", "odd")
        noise = rng.normal(size=rows)
        return pd.DataFrame({"power": power, "noise": noise, "label": label})

    real, synthetic = table(400, seed=0), table(400, seed=1)
    exponents = build_report(real, synthetic, categorical=["label"], target="label")
    for frame in (real, synthetic):
        frame["power"] = 10.0 ** frame["power"]
    powers = build_report(real, synthetic, categorical=["label"], target="label")
    want = exponents["synthetic"]["efficacy"]["train_on_synthetic"]
    assert want["accuracy"] > 0.9
    assert powers["synthetic"]["efficacy"]["train_on_synthetic"] == want


def test_all_null_synthetic_target_is_one_class_with_a_note():
    real, synthetic = mixed_table(200), mixed_table(150, seed=1)
    synthetic["group"] = None
    report = build_report(real, synthetic, categorical=["group"], target="group")
    tstr = report["synthetic"]["efficacy"]["train_on_synthetic"]
    assert tstr["n_train_classes"] == 1
    assert "single class" in tstr["note"]
    assert tstr["accuracy"] == pytest.approx(real["group"].isna().mean())
    assert set(tstr["missing_classes"]) == {"a", "b", "c"}


def test_boolean_and_datetime_columns():
    table = mixed_table(200)
    table["when"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(table["x"], "D")
    table.loc[3, "when"] = pd.NaT
    report = build_report(table, table.iloc[::-1], categorical=["group"])
    kinds = {c["name"]: c["kind"] for c in report["settings"]["columns"]}
    assert kinds["flag"] == "categorical"
    assert kinds["when"] == "numeric"
    pearson = report["synthetic"]["correlations"]["pearson"]
    pairs = upper_pairs(pearson["real"])
    assert pairs[("x", "when")] == pytest.approx(1.0, abs=1e-6)


def test_date_columns_are_numbers_like_datetimes():
    # Arrow date32 columns arrive in pandas as datetime.date objects
    table = mixed_table(200)
    days = pd.to_timedelta((100 * table["x"]).round(), "D")
    table["day"] = (pd.Timestamp("2024-01-01") + days).dt.date
    table.loc[5, "day"] = None
    report = build_report(table, table.iloc[::-1], categorical=["group"])
    kinds = {c["name"]: c["kind"] for c in report["settings"]["columns"]}
    assert kinds["day"] == "numeric"
    pairs = upper_pairs(report["synthetic"]["correlations"]["pearson"]["real"])
    assert pairs[("x", "day")] > 0.999


def test_dates_past_the_nanosecond_range_keep_their_values():
    # 9999-12-31 marks "no end" in many tables; nanoseconds in int64 end in 2262
    days = [dt.date(9999, 12, 31), dt.date(2020, 1, 1), None, dt.date(1500, 1, 1)]
    stamps = [dt.datetime(9999, 12, 31), dt.datetime(2020, 1, 1), None, None]
    frame = pa.table(
        {
            "day": pa.array(days, pa.date32()),
            "seen": pa.array(stamps, pa.timestamp("us")),
            "span": pa.array([10**17, 1, None, 2], pa.duration("ms")),
        }
    ).to_pandas()
    schema, encoded = encode_tables(
        {"real": frame}, check_tables(frame, frame.iloc[::-1], categorical=[])
    )
    day_ns = 86_400 * 10**9
    expected_days = np.array([2_932_896, 18_262, np.nan, -171_664]) * day_ns
    np.testing.assert_array_equal(encoded["real"].columns["day"], expected_days)
    np.testing.assert_array_equal(
        encoded["real"].columns["seen"],
        np.array([2_932_896, 18_262, np.nan, np.nan]) * day_ns,
    )
    np.testing.assert_array_equal(
        encoded["real"].columns["span"], [1e17 * 1e6, 1e6, np.nan, 2e6]
    )
    report = build_report(frame, frame.iloc[::-1], categorical=[])
    assert report["synthetic"]["column_shapes"]["score"] == pytest.approx(1.0)


def test_constant_column_gives_none_and_the_report_is_strict_json():
    real = mixed_table(200)
    synthetic = mixed_table(150, seed=1)
    synthetic["count"] = 7
    report = build_report(
        real, synthetic, categorical=["group"], train=mixed_table(250, seed=2)
    )
    text = json.dumps(report, allow_nan=False)
    assert json.loads(text) == report
    pearson = report["synthetic"]["correlations"]["pearson"]
    synthetic_pairs = upper_pairs(pearson["synthetic"])
    assert synthetic_pairs[("x", "count")] is None
    assert upper_pairs(pearson["delta"])[("x", "count")] is None
    # the real table defines those pairs: they count as a synthetic value of 0
    assert pearson["error"]["n_undefined_pairs"] == 0
    assert pearson["error"]["n_candidate_undefined_pairs"] == 3
    assert pearson["error"]["n_pairs"] == 6


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_tiny_and_huge_values_keep_their_correlations(scale):
    # Pearson r and eta do not depend on a column's scale; squares of values
    # near 1e-300 underflow and those near 1e300 overflow unless scaled first
    real, synthetic = mixed_table(300), mixed_table(200, seed=1)
    plain = build_report(real, synthetic, categorical=["group"])
    for table in (real, synthetic):
        table[["x", "z"]] = table[["x", "z"]] * scale
    scaled = build_report(real, synthetic, categorical=["group"])

    def matrices(report: dict) -> list[dict]:
        card = report["synthetic"]
        pearson, associations = card["correlations"]["pearson"], card["associations"]
        return [
            section[role]
            for section in (pearson, associations)
            for role in ("real", "synthetic")
        ]

    for got, want in zip(matrices(scaled), matrices(plain), strict=True):
        assert got["columns"] == want["columns"]
        np.testing.assert_allclose(
            np.array(got["values"], dtype=float),
            np.array(want["values"], dtype=float),
            atol=1e-9,
        )


# values near the float64 limits

LARGEST = np.finfo(np.float64).max


def scale_to_largest(tables: list[pd.DataFrame], column: str) -> None:
    """Scale ``column`` of every table so that its largest magnitude is the max."""
    scale = LARGEST / max(table[column].abs().max() for table in tables)
    for table in tables:
        table[column] = table[column] * scale


def encoded_tables(tables: dict[str, pd.DataFrame], target: str | None = None):
    """The schema and encoded tables of mixed tables, as build_report makes them."""
    specs = check_tables(
        tables["real"],
        tables["synthetic"],
        categorical=["group"],
        train=tables.get("train"),
        target=target,
    )
    return encode_tables(tables, specs)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("with_null", [False, True])
def test_spearman_of_values_spread_over_the_float64_range(with_null):
    # ranks need only the order; scaled into [-1, 1], as Pearson needs, the
    # values below 1e-24 would underflow to a tie at 0
    rows = 200
    table = pd.DataFrame(
        {
            "wide": 10.0 ** np.linspace(-300, 300, rows),
            "order": np.arange(rows, dtype=float),
        }
    )
    if with_null:
        table.loc[3, "order"] = np.nan
    report = build_report(table, table, categorical=[])
    spearman = report["synthetic"]["correlations"]["spearman"]
    assert upper_pairs(spearman["real"])[("wide", "order")] == pytest.approx(1.0)


@pytest.mark.filterwarnings("error")
def test_pooled_within_class_correlations_of_values_near_the_float64_maximum():
    # the class means come from sums of a column's values, which overflow near
    # the float64 maximum; the correlations must not notice the scale
    tables = {"real": mixed_table(300), "synthetic": mixed_table(200, seed=1)}

    def pooled() -> dict:
        schema, encoded = encoded_tables(tables, target="group")
        classes = np.unique(encoded["real"].columns["group"])
        reference = class_references(encoded["real"], schema, "group", classes)
        within = within_class_report(
            reference, encoded["synthetic"], schema, detail=True
        )
        return within["pooled_pearson"]

    plain = pooled()
    scale_to_largest(list(tables.values()), "x")
    huge = pooled()
    assert huge["error"]["n_undefined_pairs"] == 0
    for role in ("real", "synthetic"):
        np.testing.assert_allclose(
            np.array(huge[role]["values"], dtype=float),
            np.array(plain[role]["values"], dtype=float),
            rtol=0,
            atol=1e-12,
        )


def test_pooled_within_class_columns_constant_in_every_class_are_undefined():
    # g and h are functions of the class: inside a class they do not vary, so
    # their within-class correlations are undefined, whatever the class sizes
    def table(counts: tuple[int, int, int], seed: int) -> pd.DataFrame:
        group = np.repeat(["a", "b", "c"], counts)
        rng = np.random.default_rng(seed)
        frame = pd.DataFrame({"x": rng.normal(size=len(group)), "group": group})
        frame["g"] = frame["group"].map({"a": 0.1, "b": 0.7, "c": 0.3})
        frame["h"] = frame["group"].map({"a": 1.1, "b": 2.3, "c": 0.9})
        return frame

    report = build_report(
        table((30, 30, 30), 1),
        table((31, 29, 33), 2),
        categorical=["group"],
        target="group",
    )
    pooled = report["synthetic"]["within_class"]["pooled_pearson"]
    for role in ("real", "synthetic"):
        pairs = upper_pairs(pooled[role])
        assert pairs[("g", "h")] is None
        assert pairs[("x", "g")] is None
    assert pooled["error"]["n_pairs"] == 0
    assert pooled["error"]["n_undefined_pairs"] == 3
    assert pooled["error"]["mean_abs_delta"] is None


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("scale", ["largest", 1e-300])
def test_privacy_distances_of_values_near_the_float64_limits(scale):
    # every column is standardised, so scaling one changes no distance; the
    # training mean and spread overflow near the maximum and the squares
    # behind the spread underflow near 1e-300, which dropped the column
    tables = {
        "real": mixed_table(200),
        "synthetic": mixed_table(150, seed=1),
        "train": mixed_table(250, seed=2),
    }

    def privacy() -> dict:
        schema, encoded = encoded_tables(tables)
        rows = [encoded[role] for role in ("synthetic", "real", "train")]
        return privacy_report(*rows, schema, max_rows=10_000, seed=0)

    plain = privacy()
    if scale == "largest":
        scale_to_largest(list(tables.values()), "x")
    else:
        for table in tables.values():
            table["x"] = table["x"] * scale
    scaled = privacy()
    for role in ("synthetic_to_train", "real_to_train"):
        assert scaled[role] == pytest.approx(plain[role], rel=1e-12)
    for ratio in ("median_ratio", "p05_ratio"):
        assert scaled[ratio] == pytest.approx(plain[ratio], rel=1e-12)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("train_scale", [1.0, 1e-300])
def test_privacy_of_synthetic_values_far_outside_the_training_range(train_scale):
    # standardised, these values are 1e300 or more standard deviations away;
    # squared in the neighbour search they overflowed, and a synthetic table
    # nowhere near the training rows came out as close to them as copies
    real, train = mixed_table(200, seed=1), mixed_table(300, seed=2)
    for table in (real, train):
        table["x"] = table["x"] * train_scale
    synthetic = train.copy()
    synthetic["x"] = 1.7e308
    privacy = build_report(real, synthetic, categorical=["group"], train=train)[
        "privacy"
    ]
    assert privacy["synthetic_to_train"]["p05"] >= 1e100
    assert privacy["p05_ratio"] > 1e99
    assert privacy["exact_copy_share"] == 0.0


def report_leaves(value, path: str = "") -> dict[str, object]:
    """Every number, text and null of a report, keyed by its path."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return {path: value}
    leaves = {}
    for key, item in items:
        leaves.update(report_leaves(item, f"{path}/{key}"))
    return leaves


@pytest.mark.filterwarnings("error")
def test_report_is_the_same_with_columns_scaled_to_the_float64_limits():
    # every number in the report is scale-invariant by its definition
    # (correlations, eta, KS, bins on the real range, DCR of standardised
    # values, a classifier that sees only the order), so a column scaled up
    # to the float64 maximum and another down to 1e-300 change none of them
    tables = [mixed_table(300), mixed_table(200, seed=1), mixed_table(250, seed=2)]
    options = {"categorical": ["group"], "target": "group"}
    plain = report_leaves(build_report(*tables[:2], train=tables[2], **options))
    scale_to_largest(tables, "x")
    for table in tables:
        table["z"] = table["z"] * 1e-300
    scaled = report_leaves(build_report(*tables[:2], train=tables[2], **options))
    assert scaled.keys() == plain.keys()
    differing = {
        path: (scaled[path], want)
        for path, want in plain.items()
        if not (
            scaled[path] == want
            or isinstance(want, float)
            and scaled[path] == pytest.approx(want, rel=0, abs=1e-12)
        )
    }
    assert differing == {}
    assert plain["/synthetic/within_class/pooled_pearson/error/n_pairs"] == 6
    assert plain["/privacy/synthetic_to_train/median"] > 0


# determinism and subsampling


def test_same_seed_same_report_and_seed_matters():
    real, synthetic, train = mixed_table(150), mixed_table(150, 1), mixed_table(200, 2)
    options = {
        "categorical": ["group"],
        "train": train,
        "target": "group",
        "max_pair_rows": 100,
    }
    first = build_report(real, synthetic, seed=4, **options)
    second = build_report(real, synthetic, seed=4, **options)
    other = build_report(real, synthetic, seed=5, **{**options, "target": None})
    assert json.dumps(first) == json.dumps(second)
    assert first["references"]["independent"] != other["references"]["independent"]


def test_row_limits_subsample_pairs_and_privacy():
    real, synthetic, train = mixed_table(300), mixed_table(500, 1), mixed_table(400, 2)
    report = build_report(
        real,
        synthetic,
        categorical=["group"],
        train=train,
        max_pair_rows=120,
        max_privacy_rows=90,
    )
    assert report["synthetic"]["pair_rows"] == 120
    assert report["synthetic"]["rows"] == 500
    assert report["privacy"]["rows"] == {"synthetic": 90, "real": 90, "train": 90}
    floor = report["references"]["floor"]
    assert floor["rows"] == 400  # the synthetic size is more than train has


# bad inputs


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.drop(columns=["y"]), r"missing \['y'\]"),
        (lambda t: t.assign(extra=1), r"extra \['extra'\]"),
        (lambda t: t.assign(x=t["x"].astype(str)), r"Column 'x' holds numbers"),
        (lambda t: t.iloc[:0], r"synthetic table has no rows"),
    ],
)
def test_synthetic_table_mistakes(change, message):
    real = mixed_table(50)
    with pytest.raises(CorrganError, match=message):
        build_report(real, change(real), categorical=["group"])


def test_times_and_durations_are_not_taken_for_plain_numbers():
    real = mixed_table(50)
    real["wait"] = pd.to_timedelta(np.arange(50), unit="min")
    real["seen"] = pd.Timestamp("2024-01-01") + real["wait"]
    assert build_report(real, real, categorical=["group"])["synthetic"]["rows"] == 50
    # what a CSV of durations, or of epoch nanoseconds, reads back as
    as_numbers = real.assign(wait=real["wait"].astype("int64"))
    with pytest.raises(CorrganError, match="'wait' holds durations in the real"):
        build_report(real, as_numbers, categorical=["group"])
    as_numbers = real.assign(seen=real["seen"].astype("int64"))
    with pytest.raises(CorrganError, match="'seen' holds dates or times in the"):
        build_report(real, as_numbers, categorical=["group"])


def test_time_stamps_with_and_without_a_time_zone_are_refused():
    real = mixed_table(50)
    real["seen"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(50), unit="h")
    zoned = real.assign(seen=real["seen"].dt.tz_localize("Europe/Paris"))
    # two zones are the same instants, written differently: comparable
    in_utc = zoned.assign(seen=zoned["seen"].dt.tz_convert("UTC"))
    report = build_report(zoned, in_utc, categorical=["group"])
    shapes = report["synthetic"]["column_shapes"]["columns"]
    assert next(c["score"] for c in shapes if c["column"] == "seen") == 1.0
    with pytest.raises(
        CorrganError,
        match=r"'seen' holds time stamps with a time "
        r"zone in the real table and without one in the synthetic",
    ):
        build_report(zoned, real, categorical=["group"])
    with pytest.raises(CorrganError, match="in the train table and without one"):
        build_report(real, real, train=zoned, categorical=["group"])


def test_empty_real_table():
    table = mixed_table(50)
    with pytest.raises(CorrganError, match="real table has no rows"):
        build_report(table.iloc[:0], table, categorical=["group"])


def test_text_column_not_listed_as_categorical():
    table = mixed_table(50)
    with pytest.raises(CorrganError, match="'group' holds text but is not listed"):
        build_report(table, table, categorical=[])


def test_unknown_categorical_column():
    table = mixed_table(50)
    with pytest.raises(CorrganError, match=r"names \['colour'\]"):
        build_report(table, table, categorical=["group", "colour"])


def test_target_that_is_not_a_column_lists_the_columns():
    table = mixed_table(50)
    with pytest.raises(CorrganError, match=r"target 'crop'.*\['x', 'y', 'z'"):
        build_report(table, table, categorical=["group"], target="crop")


def test_numeric_target_is_refused():
    table = mixed_table(50)
    with pytest.raises(
        CorrganError, match=r"target 'x' is numeric.*\['group', 'flag'\]"
    ):
        build_report(table, table, categorical=["group"], target="x")


def test_train_with_other_columns():
    table = mixed_table(50)
    with pytest.raises(CorrganError, match=r"train table's columns.*missing \['z'\]"):
        build_report(
            table, table, categorical=["group"], train=table.drop(columns=["z"])
        )


def test_bad_settings():
    table = mixed_table(50)
    with pytest.raises(CorrganError, match="max_pair_rows"):
        build_report(table, table, categorical=["group"], max_pair_rows=0)
    with pytest.raises(CorrganError, match="seed"):
        build_report(table, table, categorical=["group"], seed=-1)


# the crop table


@pytest.fixture(scope="module")
def crop_report():
    if not CROP_TABLE.exists():
        pytest.skip(f"the crop table is not at {CROP_TABLE}")
    table = pd.read_csv(CROP_TABLE)
    order = np.random.default_rng(0).permutation(len(table))
    holdout = table.iloc[order[:440]].reset_index(drop=True)
    train = table.iloc[order[440:]].reset_index(drop=True)
    # a second, disjoint draw of real rows plays the synthetic table
    stand_in = train.iloc[:440]
    rest = train.iloc[440:]
    return build_report(
        holdout, stand_in, categorical=["label"], train=rest, target="label"
    )


def test_crop_real_rows_score_near_the_floor(crop_report):
    summary = crop_report["summary"]
    synthetic, floor = summary["synthetic"], summary["floor"]
    assert synthetic["pearson_mean_abs_delta"] < 0.08
    assert synthetic["association_mean_abs_delta"] < 0.08
    assert synthetic["within_class_pooled_pearson_mean_abs_delta"] < 0.1
    assert synthetic["column_shapes"] > 0.9
    assert synthetic["macro_f1"] > 0.9
    for key in ("pearson_mean_abs_delta", "within_class_pearson_mean_abs_delta"):
        assert synthetic[key] < 2 * floor[key]
    privacy = crop_report["privacy"]
    assert privacy["exact_copy_share"] == 0.0
    assert 0.7 < privacy["median_ratio"] < 1.4


def test_crop_independent_baseline_loses_the_pairs(crop_report):
    summary = crop_report["summary"]
    floor, independent = summary["floor"], summary["independent"]
    assert independent["pearson_mean_abs_delta"] > 2.5 * floor["pearson_mean_abs_delta"]
    assert independent["association_frobenius"] > 4 * floor["association_frobenius"]
    assert (
        independent["pair_trends_trend_pairs"] < floor["pair_trends_trend_pairs"] - 0.2
    )
    assert independent["macro_f1"] < 0.2
    # keeping each crop's marginals recovers most of the pooled structure and
    # the efficacy, which is why neither can be read alone
    class_independent = summary["class_independent"]
    assert class_independent["macro_f1"] > 0.9
    assert (
        class_independent["pearson_mean_abs_delta"]
        < independent["pearson_mean_abs_delta"] / 2
    )


def test_crop_report_layout(crop_report):
    assert set(crop_report) == {
        "schema_version",
        "settings",
        "summary",
        "synthetic",
        "references",
        "privacy",
    }
    within = crop_report["synthetic"]["within_class"]
    assert within["n_classes"] == 22
    assert within["n_evaluated"] == 22
    json.dumps(crop_report, allow_nan=False)


def test_crop_within_class_catches_pooled_structure_inside_classes():
    # a multivariate Gaussian fitted to all rows, labels drawn on their own:
    # pooled correlations right, but every crop gets the pooled P-K link
    if not CROP_TABLE.exists():
        pytest.skip(f"the crop table is not at {CROP_TABLE}")
    table = pd.read_csv(CROP_TABLE)
    order = np.random.default_rng(0).permutation(len(table))
    holdout, train = table.iloc[order[:440]], table.iloc[order[440:]]
    numeric = list(table.columns[:-1])
    rng = np.random.default_rng(0)
    gaussian = pd.DataFrame(
        rng.multivariate_normal(train[numeric].mean(), train[numeric].cov(), 440),
        columns=numeric,
    )
    gaussian["label"] = rng.choice(train["label"].to_numpy(), 440)

    tables = {"real": holdout, "gaussian": gaussian, "fresh": train.iloc[:440]}
    specs = check_tables(holdout, gaussian, categorical=["label"], target="label")
    schema, encoded = encode_tables(tables, specs)
    classes = np.unique(encoded["real"].columns["label"])
    reference = class_references(encoded["real"], schema, "label", classes)

    def pooled_error(role):
        within = within_class_report(reference, encoded[role], schema, detail=False)
        return within["pooled_pearson"]["error"]["mean_abs_delta"]

    assert pooled_error("gaussian") > 1.4 * pooled_error("fresh")
