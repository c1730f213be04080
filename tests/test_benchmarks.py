"""The benchmark harness: the generated table keeps its promises, the runner its fields.

The copula table is checked against what its module docstring promises
(marginal shapes, rank correlations, categorical columns that follow numeric
ones, sizes, determinism). The runner is smoke-tested with two corrgan steps
and SDV's Gaussian copula on a small copula table, and the speed worker on the
model that run leaves; both are skipped without SDV.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from benchmarks import common, fidelity, tables
from benchmarks.datasets import (
    CATEGORICAL_COLUMNS,
    NUMERIC_COLUMNS,
    TAG_LEVELS,
    copula_table,
    expected_spearman,
    tagged_table,
)

SUMMARY_KEYS = {
    "pearson_mean_abs_delta",
    "within_class_pearson_mean_abs_delta",
    "within_class_pooled_pearson_mean_abs_delta",
    "association_mean_abs_delta",
    "column_shapes",
    "pair_trends_all_pairs",
    "pair_trends_trend_pairs",
    "quality_all_pairs",
    "quality_trend_pairs",
    "macro_f1",
    "accuracy",
}


@pytest.fixture(scope="module")
def copula() -> pd.DataFrame:
    return copula_table(20_000, seed=0)


def test_copula_columns_and_size(copula):
    assert list(copula.columns) == NUMERIC_COLUMNS + CATEGORICAL_COLUMNS
    assert len(copula) == 20_000
    assert len(copula_table(7, seed=3)) == 7
    assert copula["visits"].dtype == np.int64
    assert copula["claims"].dtype == np.int64
    # object under pandas 2, the str dtype under pandas 3
    assert pd.api.types.is_string_dtype(copula["segment"])


def test_copula_marginals(copula):
    income, share, bimodal = copula["income"], copula["share"], copula["bimodal"]
    assert (income > 0).all() and income.skew() > 1.5
    assert share.between(0, 1, inclusive="neither").all()
    assert abs(share.mean() - 2 / 7) < 0.01

    # two modes near -2 and 2 with a valley between them
    near_centre = (bimodal.abs() < 0.5).mean()
    near_mode = ((bimodal - 2).abs() < 0.5).mean()
    assert near_mode > 5 * near_centre

    # counts: Poisson mean = variance, negative binomial overdispersed
    visits, claims = copula["visits"], copula["claims"]
    assert (visits >= 0).all() and (claims >= 0).all()
    assert abs(visits.mean() - 6) < 0.1 and abs(visits.var() / visits.mean() - 1) < 0.1
    assert abs(claims.mean() - 6) < 0.2 and claims.var() > 3 * claims.mean()


@pytest.mark.parametrize(
    "first, second",
    [
        ("income", "share"),
        ("income", "score"),
        ("share", "score"),
        ("income", "bimodal"),
    ],
)
def test_copula_rank_correlations(copula, first, second):
    measured = copula[first].corr(copula[second], method="spearman")
    assert abs(measured - expected_spearman(first, second)) < 0.03


def test_copula_categoricals_follow_numbers(copula):
    assert copula["segment"].value_counts().min() >= 20_000 // 3 - 1
    medians = copula.groupby("segment")["income"].median()
    assert medians["low"] < medians["mid"] < medians["high"]
    share_by_region = copula.groupby("region")["share"].mean()
    assert share_by_region["north"] > share_by_region["south"] + 0.1
    assert set(copula["region"]) == {"north", "south", "east", "west"}


def test_copula_is_deterministic():
    pd.testing.assert_frame_equal(copula_table(500, seed=4), copula_table(500, seed=4))
    assert not copula_table(500, seed=4).equals(copula_table(500, seed=5))
    with pytest.raises(ValueError, match="at least 1"):
        copula_table(0)


def test_numeric_copula_has_no_categorical_column_and_no_target(tmp_path):
    dataset = fidelity.prepare_dataset("copula_numeric", Path("unused"), 500, tmp_path)
    assert dataset["name"] == "copula_numeric_500"
    assert dataset["columns"] == NUMERIC_COLUMNS
    assert dataset["categorical"] == []
    assert dataset["target"] is None
    # the numbers are those of the full copula table, without its categoricals
    full = copula_table(500, seed=0)
    table = pd.read_parquet(dataset["path"])
    pd.testing.assert_frame_equal(table, full[NUMERIC_COLUMNS])


def test_tagged_copula_adds_independent_uniform_tags(tmp_path):
    dataset = fidelity.prepare_dataset("copula_tags", Path("unused"), 20_000, tmp_path)
    tags = [f"tag{number}" for number in range(1, len(TAG_LEVELS) + 1)]
    assert dataset["columns"] == NUMERIC_COLUMNS + CATEGORICAL_COLUMNS + tags
    assert sorted(dataset["categorical"]) == sorted(CATEGORICAL_COLUMNS + tags)
    table = pd.read_parquet(dataset["path"])
    pd.testing.assert_frame_equal(
        table[NUMERIC_COLUMNS + CATEGORICAL_COLUMNS], copula_table(20_000, seed=0)
    )
    for tag, levels in zip(tags, TAG_LEVELS, strict=True):
        shares = table[tag].value_counts(normalize=True)
        assert len(shares) == levels
        assert np.abs(shares - 1 / levels).max() < 5 * np.sqrt(1 / levels / 20_000)
    # independent of the numbers: no level moves the mean score
    means = table.groupby("tag1")["score"].mean()
    assert means.max() - means.min() < 0.5
    pd.testing.assert_frame_equal(tagged_table(300, seed=2), tagged_table(300, seed=2))


def test_convergence_times_add_up(tmp_path):
    records = [
        {"step": 100, "probe_corr_error": 0.2, "ms_per_step": 10.0},
        {"step": 200, "probe_corr_error": 0.04, "ms_per_step": 20.0},
        {"step": 300, "probe_corr_error": 0.01, "ms_per_step": 10.0},
    ]
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    result = fidelity.convergence(path, final_seconds=4.5)
    assert [point["seconds"] for point in result["curve"]] == pytest.approx(
        [1.0, 3.0, 4.0]
    )
    assert result["thresholds"]["0.05"] == {"step": 200, "seconds": 3.0}
    assert result["thresholds"]["0.02"]["step"] == 300
    assert result["within_10_percent_of_final"]["step"] == 300
    assert result["final_probe_corr_error"] == 0.01


def test_mean_and_std_skips_missing_values():
    assert common.mean_and_std([1.0, None, 3.0]) == {
        "mean": 2.0,
        "std": pytest.approx(np.sqrt(2)),
        "n": 2,
    }
    assert common.mean_and_std([None]) == {"mean": None, "std": None, "n": 0}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> tuple[dict, Path]:
    pytest.importorskip("sdv")
    work = tmp_path_factory.mktemp("bench")
    out = work / "fidelity.json"
    fidelity.main(
        [
            "--dataset",
            "copula",
            "--rows",
            "300",
            "--quick",
            "--seeds",
            "0",
            "--models",
            "corrgan",
            "gaussian_copula",
            "--draws",
            "2",
            "--work",
            str(work),
            "--out",
            str(out),
        ]
    )
    return json.loads(out.read_text()), work


@pytest.mark.slow
def test_fidelity_smoke_writes_the_promised_fields(smoke):
    result, _ = smoke
    assert result["complete"] is True
    assert result["settings"]["quick"] is True
    assert {"cpu_model", "logical_cores", "torch"} <= set(result["machine"])
    assert result["command"].startswith("python -m benchmarks.")
    assert result["dataset"]["name"] == "copula_300"
    assert result["dataset"]["test_rows"] + result["dataset"]["train_rows"] == 300

    # one run per model, each with its times and every summary metric
    runs = {run["model"]: run for run in result["runs"]}
    assert set(runs) == {"corrgan", "gaussian_copula"}
    for run in runs.values():
        assert run["fit_seconds"] > 0
        assert set(run["summary"]) >= SUMMARY_KEYS
        assert set(run["references"]) == {*fidelity.REFERENCE_ROLES, "train_resample"}
        # every model generated as many rows as the training split
        assert run["synthetic_rows"] == result["dataset"]["train_rows"]
        # two further draws, with seeds other than the split's, and their mean
        assert run["draws"]["seeds"] == fidelity.draw_seeds(0, 2)
        assert 0 not in run["draws"]["seeds"]
        values = run["draws"]["values"]["pearson_mean_abs_delta"]
        assert len(values) == 2
        drawn = run["summary"]["pearson_mean_abs_delta_mean_of_draws"]
        assert drawn == pytest.approx(sum(values) / 2)
    # the resampled training rows are scored for every run of the seed alike
    resampled = [run["references"]["train_resample"] for run in runs.values()]
    assert resampled[0] == resampled[1]
    assert resampled[0]["pearson_mean_abs_delta_mean_of_draws"] is not None
    assert runs["corrgan"]["steps"] == fidelity.QUICK_CORRGAN["steps"]
    assert runs["corrgan"]["split_matches"] is True
    assert runs["corrgan"]["convergence"]["curve"]

    # aggregates: every model and reference, and the floor among them
    aggregate = result["aggregate"]
    assert set(aggregate["models"]) == {"corrgan", "gaussian_copula"}
    assert set(aggregate["models"]["corrgan"]) >= SUMMARY_KEYS
    assert aggregate["models"]["corrgan"]["pearson_mean_abs_delta"]["n"] == 1
    assert {"floor", "independent", "train_resample"} <= set(aggregate["references"])
    drawn = aggregate["models"]["corrgan"]["pearson_mean_abs_delta_mean_of_draws"]
    assert drawn["n"] == 1


def test_train_resample_draws_training_rows_with_replacement(tmp_path):
    table = pa.table({"x": list(range(200)), "label": ["a", "b"] * 100})
    split = common.split_table(table, "label", seed=3)
    draw = fidelity.train_resample(split, rows=500)
    first, again, other = draw(7), draw(7), draw(8)
    assert len(first) == 500
    # every row is a training row, none a held-out one, and rows repeat
    assert set(first["x"]) <= set(split.train["x"])
    assert not set(first["x"]) & set(split.test["x"])
    assert first["x"].duplicated().any()
    assert first.equals(again)
    assert not first.equals(other)


def test_draw_means_average_the_defined_values_only():
    drawn = {
        "seeds": [1000, 2000, 3000],
        "values": {
            "pearson_mean_abs_delta": [0.02, 0.04, None],
            "association_mean_abs_delta": [None, None, None],
        },
    }
    assert fidelity.draw_means(drawn) == {
        "pearson_mean_abs_delta_mean_of_draws": pytest.approx(0.03)
    }
    assert fidelity.draw_means({"seeds": [], "values": {}}) == {}
    assert fidelity.draw_means(None) == {}


@pytest.mark.slow
def test_speed_worker_reports_rate_and_memory(smoke):
    from benchmarks import speed

    _, work = smoke
    run_dir = work / "fidelity-copula_300-corrgan-seed0"
    measured = speed.measure("corrgan", run_dir, 2_000, work, seed=0)
    assert measured["rows"] == 2_000
    assert measured["rows_per_second"] > 0
    assert measured["peak_rss_mib"] >= measured["rss_before_sampling_mib"] > 0
    assert not (work / "speed-corrgan-2000.parquet").exists()


def _stat(mean: float) -> dict:
    return {"mean": mean, "std": 0.0, "n": 3}


def test_tables_state_each_target_and_its_verdict():
    from benchmarks import tables

    card = {
        "pearson_mean_abs_delta": 0.045,
        "within_class_pooled_pearson_mean_abs_delta": 0.06,
        "column_shapes": 0.95,
        "pair_trends_all_pairs": 0.94,
        "macro_f1": 0.96,
    }
    peer = {**card, "pearson_mean_abs_delta": 0.15, "column_shapes": 0.96}
    floor = {**card, "pearson_mean_abs_delta": 0.03, "macro_f1": 0.99}
    result = {
        "benchmark": "fidelity",
        "command": "python -m benchmarks.fidelity",
        "runs": [{"train_loop_seconds": 30.0}],
        "aggregate": {
            "models": {
                "corrgan": {k: _stat(v) for k, v in card.items()},
                "ctgan": {k: _stat(v) for k, v in peer.items()},
            },
            "references": {"floor": {k: _stat(v) for k, v in floor.items()}},
            "train_on_real_macro_f1": _stat(0.99),
        },
        "training_time": {"ctgan_seconds_over_model_seconds": {"corrgan": _stat(2.0)}},
    }
    targets = tables.targets_table(result).splitlines()

    def verdict(start: str) -> str:
        (line,) = [line for line in targets if line.startswith(f"| {start}")]
        return line.rsplit("|", 2)[-2].strip()

    assert verdict("Pearson mean abs delta <= 1.2x the floor |") == "**not met**"
    # the mean of the extra draws is judged on its own row, beside the
    # resampled training rows' ratio
    assert not [line for line in targets if "mean of 10 draws" in line]
    result["settings"] = {"draws": 10}
    corrgan_card = result["aggregate"]["models"]["corrgan"]
    corrgan_card["pearson_mean_abs_delta_mean_of_draws"] = _stat(0.0346)
    result["aggregate"]["references"]["train_resample"] = {
        "pearson_mean_abs_delta_mean_of_draws": _stat(0.036)
    }
    targets = tables.targets_table(result).splitlines()
    assert verdict("Pearson mean abs delta <= 1.2x the floor, mean of 10") == "met"
    assert "0.035 against 0.030: 1.15x (resampled training rows: 1.20x)" in (
        "\n".join(targets)
    )
    assert verdict("Pearson mean abs delta <= half") == "met"  # 0.3x
    assert verdict("Column Shapes") == "**not met**"  # 0.95 < 0.96
    assert verdict("Column Pair Trends") == "met"
    assert verdict("train-on-synthetic") == "met"  # 0.970x
    assert verdict("training") == "**not met**"  # 2x
    table = tables.fidelity_table(result)
    row = "| Pearson mean abs delta (lower) | 0.045 ± 0.000 | 0.150 ± 0.000 |"
    assert row in table
    assert "| Train-on-real macro-F1" in table

    # without a target, the within-class and efficacy rows are left out
    aggregate = result["aggregate"]
    del aggregate["train_on_real_macro_f1"]
    for card in [*aggregate["models"].values(), *aggregate["references"].values()]:
        card.pop("macro_f1", None)
        card.pop("within_class_pooled_pearson_mean_abs_delta", None)
    table = tables.fidelity_table(result)
    assert "macro-F1" not in table
    assert "Within-class" not in table
    assert row in table


@pytest.mark.slow
def test_device_script_measures_the_cpu_and_marks_missing_gpus(tmp_path, crop_path):
    import torch

    from benchmarks import device

    out = tmp_path / "device.json"
    device.main(
        ["--data", str(crop_path), "--rows", "2000", "--steps", "4"]
        + ["--work", str(tmp_path), "--out", str(out)]
    )
    result = json.loads(out.read_text())
    by_place = {"cuda": [], "cpu": []}
    for item in result["training"] + result["sampling"]:
        by_place[item["device"]].append(item)
    (train,) = [item for item in result["training"] if item["device"] == "cpu"]
    assert train["steps"] == 4 and train["median_ms_per_step"] > 0
    (sample,) = [item for item in result["sampling"] if item["device"] == "cpu"]
    assert sample["rows"] == 2000
    assert (
        sample["rows_per_second"] > 0 and sample["generator_only_rows_per_second"] > 0
    )
    # both precisions are planned on the GPU; without one they say so
    gpu = by_place["cuda"]
    assert {item["precision"] for item in gpu} == set(device.PRECISIONS)
    if not torch.cuda.is_available():
        assert all(item["skipped"] == "no GPU" for item in gpu)


@pytest.mark.slow
def test_threads_benchmark_runs_each_count_and_stops_its_busy_process(
    tmp_path, crop_path
):
    import os

    import psutil

    from benchmarks import threads

    out = tmp_path / "threads.json"
    threads.main(
        ["--data", str(crop_path), "--steps", "4", "--loads", "idle", "busy_nice19"]
        + ["--waits", "passive", "spin_30k"]
        + ["--work", str(tmp_path), "--out", str(out)]
    )
    result = json.loads(out.read_text())
    cores = len(os.sched_getaffinity(0))
    runs = [(run["load"], run["threads"], run["wait"]) for run in result["runs"]]
    # one run at one thread, one per wait setting at more
    expected = [
        (load, n, wait)
        for load in ("idle", "busy_nice19")
        for n in range(1, cores + 1)
        for wait in (["any"] if n == 1 else ["passive", "spin_30k"])
    ]
    assert runs == expected
    for run in result["runs"]:
        assert run["steps"] == 4
        assert (
            0 < run["median_interval_ms_per_step"] <= run["worst_interval_ms_per_step"]
        )
    # the competing loop is gone, and the workers left no run directory
    assert psutil.Process().children(recursive=True) == []
    assert not list(tmp_path.glob("threads-*"))


def test_threads_table_compares_each_run_with_one_thread_under_its_load():
    runs = [
        {"load": load, "threads": threads, "mean_ms_per_step": ms,
         "median_interval_ms_per_step": ms, "worst_interval_ms_per_step": ms + 1}
        for load, threads, ms in [("idle", 1, 40.0), ("idle", 2, 32.0),
                                  ("busy", 1, 40.0), ("busy", 2, 50.0)]
    ]  # fmt: skip
    runs[-1]["wait"] = "spin_30k"
    table = tables.threads_table({"runs": runs}).splitlines()
    assert table[2] == "| idle | 1 | any | 40.0 | 40.0 | 41.0 | 1.00x |"
    assert table[3] == "| idle | 2 | passive | 32.0 | 32.0 | 33.0 | 1.25x |"
    assert table[5] == "| busy | 2 | spin_30k | 50.0 | 50.0 | 51.0 | 0.80x |"


def test_aggregate_finds_each_reference_in_any_run_of_its_seed():
    def run(model, seed, pearson, resampled=None):
        references = {role: {"pearson_mean_abs_delta": 0.02} for role in ["floor"]}
        if resampled is not None:
            references["train_resample"] = {
                "pearson_mean_abs_delta": resampled,
                "draws": {"seeds": [1000], "values": {}},
            }
        return {
            "model": model,
            "seed": seed,
            "fit_seconds": 1.0,
            "summary": {"pearson_mean_abs_delta": pearson},
            "references": references,
            "train_on_real": None,
        }

    # an included run from an earlier result comes first and lacks the new
    # reference; the run measured now has it
    runs = [run("ctgan", 0, 0.15), run("corrgan", 0, 0.03, resampled=0.025)]
    aggregate = fidelity.aggregate(runs)
    resampled = aggregate["references"]["train_resample"]
    assert resampled["pearson_mean_abs_delta"]["mean"] == 0.025
    assert "draws" not in resampled
    assert aggregate["references"]["floor"]["pearson_mean_abs_delta"]["n"] == 1
    # a seed where no run has it leaves the reference out
    runs.append(run("corrgan", 1, 0.04))
    assert "train_resample" not in fidelity.aggregate(runs)["references"]


def test_sizes_benchmark_measures_the_default_and_every_size(tmp_path, crop_path):
    import torch

    from benchmarks import sizes
    from corrgan.config import ModelConfig

    out = tmp_path / "sizes.json"
    threads = torch.get_num_threads()
    sizes.main(
        ["--data", str(crop_path), "--warmup", "1", "--steps", "2"]
        + ["--rows", "3000", "--repeats", "1", "--out", str(out)]
    )
    result = json.loads(out.read_text())
    measured = [(s["width"], s["depth"], s["heads"]) for s in result["sizes"]]
    default = ModelConfig()
    assert measured == [(default.width, default.depth, default.heads), *fidelity.SIZES]
    assert [s["default"] for s in result["sizes"]] == [True] + [False] * len(
        fidelity.SIZES
    )
    by_size = dict(zip(measured, result["sizes"], strict=True))
    # more width or more blocks is more weights
    assert (
        by_size[(16, 1, 2)]["generator_parameters"]
        < by_size[(16, 2, 2)]["generator_parameters"]
        < by_size[(32, 2, 4)]["generator_parameters"]
    )
    for size in result["sizes"]:
        assert size["train_ms_per_step"] > 0
        assert size["sample_rows_per_second"] > 0
    torch.set_num_threads(threads)
