"""The Python interface: corrgan.fit, Synthesizer.sample, corrgan.load."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

import corrgan
from corrgan.errors import CorrganError
from corrgan.io import read_table
from corrgan.report import file_sha256


def frame(rows: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    colour = rng.choice(["red", "green", "blue"], size=rows)
    base = rng.normal(size=rows)
    return pd.DataFrame(
        {
            "x": base,
            "y": 2 * base + rng.normal(size=rows),
            "count": rng.poisson(4, size=rows),
            "colour": colour,
        },
        index=pd.RangeIndex(100, 100 + rows, name="row"),
    )


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> corrgan.Synthesizer:
    out = tmp_path_factory.mktemp("api") / "run"
    return corrgan.fit(frame(), out=out, target="colour", steps=4, log_every=2)


def test_fit_trains_on_a_data_frame_and_keeps_it_in_the_run(fitted):
    assert fitted.columns == ["x", "y", "count", "colour"]
    kept = read_table(fitted.run_dir / "input.parquet").to_pandas()
    pd.testing.assert_frame_equal(kept, frame().reset_index(drop=True))
    saved = (fitted.run_dir / "config.json").read_text()
    assert '"steps": 4' in saved and '"target": "colour"' in saved

    # the two splits share out the rows of the frame, none lost or repeated
    run = fitted.run_dir
    train, test, synthetic = (
        read_table(run / name).to_pandas()
        for name in ("train.parquet", "test.parquet", "synthetic.parquet")
    )
    assert len(train) + len(test) == 120 and len(test) > 0
    both = pd.concat([train, test]).sort_values(["x", "y"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        both, frame().sort_values(["x", "y"]).reset_index(drop=True)
    )
    # the final report scores the model's draw with the run's seed against
    # the held-out split, as corrgan.evaluate scores those files
    pd.testing.assert_frame_equal(synthetic, fitted.sample(len(test), seed=0))
    report = dict(fitted.report)
    inputs = report.pop("inputs")
    assert (inputs["real"]["rows"], inputs["synthetic"]["rows"]) == (len(test),) * 2
    assert inputs["real"]["sha256"] == file_sha256(run / "test.parquet")
    assert inputs["train"]["rows"] == len(train)
    expected = corrgan.evaluate(test, synthetic, train=train, target="colour")
    expected = json.loads(json.dumps(expected))
    # left_out is corrgan report's own setting (docs/report.md)
    assert expected["settings"].pop("left_out") == []
    assert report == expected


def test_sample_matches_the_file_of_the_same_seed(fitted, tmp_path):
    rows = fitted.sample(500, seed=7)
    assert list(rows.columns) == fitted.columns
    assert len(rows) == 500
    assert rows["count"].dtype == np.int64
    summary = fitted.sample_to_file(tmp_path / "out.parquet", 500, seed=7)
    assert summary.rows == 500
    written = read_table(tmp_path / "out.parquet").to_pandas()
    pd.testing.assert_frame_equal(rows, written)
    assert not rows.equals(fitted.sample(500, seed=8))


def test_where_fixes_a_column_and_load_gives_the_same_model(fitted):
    rows = fitted.sample(300, seed=1, where={"colour": "blue"})
    assert set(rows["colour"]) == {"blue"}
    again = corrgan.load(fitted.run_dir).sample(300, seed=1, where={"colour": "blue"})
    pd.testing.assert_frame_equal(rows, again)
    with pytest.raises(CorrganError, match="never saw 'purple'"):
        fitted.sample(10, where={"colour": "purple"})
    with pytest.raises(CorrganError, match="rows must be at least 1"):
        fitted.sample(0)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"rows": 5, "batch_size": 0}, "batch_size must be at least 1, got 0"),
        ({"rows": 5, "batch_size": -1}, "batch_size must be at least 1, got -1"),
        ({"rows": 5, "seed": -1}, "seed must be in [0, 4294967295], got -1"),
        ({"rows": 2.5}, "rows must be a whole number, got 2.5 (float)"),
        ({"rows": "10"}, "rows must be a whole number, got '10' (str)"),
    ],
)
def test_sample_refuses_arguments_out_of_range(fitted, tmp_path, arguments, message):
    with pytest.raises(CorrganError) as caught:
        fitted.sample(**arguments)
    assert str(caught.value) == message
    path = tmp_path / "rows.parquet"
    with pytest.raises(CorrganError) as caught:
        fitted.sample_to_file(path, **arguments)
    assert str(caught.value) == message
    assert list(tmp_path.iterdir()) == []


def test_fit_leaves_torch_threads_as_it_found_them(tmp_path):
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        corrgan.fit(frame(), out=tmp_path / "run", steps=2, test_fraction=0.0)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_bad_settings_fail_before_anything_is_written(tmp_path):
    with pytest.raises(CorrganError, match="unknown setting.*stepz.*steps"):
        corrgan.fit(frame(), out=tmp_path / "a", stepz=3)
    with pytest.raises(CorrganError, match=r"steps \(--steps\) must be >= 1"):
        corrgan.fit(frame(), out=tmp_path / "b", steps=0)
    # a table too small to learn fails in training, and takes its copy along
    with pytest.raises(CorrganError, match="3 row"):
        corrgan.fit(frame(3), out=tmp_path / "c", steps=2)
    assert list(tmp_path.iterdir()) == []


def test_fit_takes_its_config_as_dataclasses_with_settings_on_top(tmp_path):
    from corrgan.config import ModelConfig, RunConfig, TrainConfig

    whole = RunConfig(train=TrainConfig(steps=3, log_every=1))
    whole.model.width = 16
    model = corrgan.fit(frame(), out=tmp_path / "a", config=whole, test_fraction=0.0)
    saved = json.loads((model.run_dir / "config.json").read_text())
    assert saved["train"]["steps"] == 3 and saved["model"]["width"] == 16
    assert saved["data"]["test_fraction"] == 0.0
    assert whole.data.test_fraction == 0.2  # the caller's config is left alone

    section = TrainConfig(steps=3)
    model = corrgan.fit(frame(), out=tmp_path / "b", config=section, steps=2)
    saved = json.loads((model.run_dir / "config.json").read_text())
    assert saved["train"]["steps"] == 2 and saved["model"] == vars(ModelConfig())

    with pytest.raises(CorrganError, match="config must be the path of a TOML"):
        corrgan.fit(frame(), out=tmp_path / "c", config={"train": {"steps": 2}})
    with pytest.raises(CorrganError, match=r"steps \(--steps\) must be >= 1"):
        corrgan.fit(frame(), out=tmp_path / "c", config=section, steps=0)
    assert not (tmp_path / "c").exists()


def test_fit_never_writes_over_files_in_its_out_folder(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "input.parquet").write_text("not corrgan's")
    with pytest.raises(CorrganError, match="out .*mine is not a corrgan run"):
        corrgan.fit(frame(), out=folder, steps=2)
    assert [p.name for p in folder.iterdir()] == ["input.parquet"]
    assert (folder / "input.parquet").read_text() == "not corrgan's"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (frame().assign(mixed=[1, "one"] * 60), "column 'mixed' of the data Data"),
        (pd.concat([frame(), frame()[["x"]]], axis=1), "more than one column named"),
        (frame().to_numpy(), "got ndarray .pandas.DataFrame"),
        ({"x": [1.0, 2.0]}, "got dict"),
    ],
)
def test_fit_refuses_what_it_cannot_read_with_one_error(tmp_path, data, message):
    with pytest.raises(CorrganError, match=message):
        corrgan.fit(data, out=tmp_path / "run", steps=2)
    assert list(tmp_path.iterdir()) == []


def test_an_unnamed_index_is_left_out_as_when_read_from_parquet(tmp_path):
    labelled = frame().set_axis([f"r{i}" for i in range(120)])
    model = corrgan.fit(labelled, out=tmp_path / "run", steps=2, test_fraction=0.0)
    assert model.columns == ["x", "y", "count", "colour"]
    with pytest.raises(CorrganError, match="synthetic must be a pandas DataFrame"):
        corrgan.evaluate(frame(), [1, 2, 3])


def test_load_reads_a_run_the_command_line_trained(trained_run, tmp_path, run_cli):
    model = corrgan.load(trained_run.run_dir)
    rows = model.sample(50, seed=2)
    assert list(rows.columns) == model.columns
    # the rows corrgan sample writes for the same seed, and no others
    out = tmp_path / "rows.parquet"
    args = ["--model", trained_run.run_dir, "--rows", "50", "--seed", "2"]
    result = run_cli("sample", *args, "--parquet", out)
    assert result.exit_code == 0, result.stderr
    pd.testing.assert_frame_equal(rows, read_table(out).to_pandas())
    assert not rows.equals(model.sample(50, seed=3))
    with pytest.raises(CorrganError, match="does not exist"):
        corrgan.load(trained_run.run_dir / "absent")


def test_importing_corrgan_does_not_load_torch():
    # the command line's --version and --help must stay quick
    code = "import sys, corrgan; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_fit_runs_outside_the_main_thread(tmp_path):
    # signal handlers can only be set from the main thread
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(
            corrgan.fit, frame(), out=tmp_path / "run", steps=2, test_fraction=0.0
        )
        model = future.result()
    assert len(model.sample(10)) == 10


def test_evaluate_gives_what_corrgan_report_writes(fitted, tmp_path, run_cli):
    run = fitted.run_dir
    flags = ["--real", run / "test.parquet", "--synthetic", run / "synthetic.parquet"]
    flags += ["--train", run / "train.parquet", "--target", "colour"]
    result = run_cli("report", *flags, "--json", tmp_path / "report.json")
    assert result.exit_code == 0, result.stderr
    written = json.loads((tmp_path / "report.json").read_text())
    written.pop("inputs")

    # the same tables as DataFrames, and as paths
    test, synthetic, train = (
        read_table(run / name).to_pandas()
        for name in ("test.parquet", "synthetic.parquet", "train.parquet")
    )
    report = corrgan.evaluate(
        test, synthetic, train=train, target="colour", plots=tmp_path / "plots"
    )
    assert json.loads(json.dumps(report)) == written
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "association_delta.png",
        "association_real.png",
        "association_synthetic.png",
        "marginals.png",
    ]
    from_paths = corrgan.evaluate(run / "test.parquet", run / "synthetic.parquet")
    assert from_paths["settings"]["target"] is None
    with pytest.raises(CorrganError, match="the synthetic table has no rows"):
        corrgan.evaluate(test, synthetic.iloc[:0])
    with pytest.raises(CorrganError, match="--target nope is not a column"):
        corrgan.evaluate(test, synthetic, target="nope")


@pytest.mark.parametrize("keyword", ["categorical", "drop"])
def test_evaluate_refuses_a_string_for_a_list_of_columns(keyword):
    # "xy" would otherwise name the columns x and y, one letter each
    table = frame()
    with pytest.raises(CorrganError) as caught:
        corrgan.evaluate(table, table, **{keyword: "xy"})
    message = str(caught.value)
    assert f"evaluate's {keyword} must be a list of column names" in message
    assert f"got 'xy' (a string); write {keyword}=['xy']" in message


def test_with_training_rows_a_small_holdout_does_not_change_a_column_kind():
    # 12 held-out counts show few distinct values; the 400 training rows many
    rng = np.random.default_rng(0)

    def counts(rows: int) -> pd.DataFrame:
        x = rng.normal(size=rows)
        return pd.DataFrame({"x": x, "count": rng.poisson(20, size=rows)})

    real, synthetic, train = counts(12), counts(200), counts(400)
    assert real["count"].nunique() <= 10 < train["count"].nunique()

    def kinds(report: dict) -> dict[str, str]:
        columns = report["synthetic"]["column_shapes"]["columns"]
        return {column["column"]: column["kind"] for column in columns}

    alone = corrgan.evaluate(real, synthetic)
    assert kinds(alone) == {"x": "numeric", "count": "categorical"}
    with_train = corrgan.evaluate(real, synthetic, train=train)
    assert kinds(with_train) == {"x": "numeric", "count": "numeric"}


def test_sample_to_file_never_writes_over_the_run(tmp_path):
    model = corrgan.fit(frame(), out=tmp_path / "run", steps=2)
    split = tmp_path / "run" / "test.parquet"
    before = split.read_bytes()
    with pytest.raises(CorrganError, match="an input of this command"):
        model.sample_to_file(split, 10)
    assert split.read_bytes() == before


def test_sampled_integer_and_boolean_columns_with_nulls_keep_their_kind(tmp_path):
    rows = 200
    scores = [None if i % 5 == 0 else i % 37 for i in range(rows)]
    flags = [None if i % 7 == 0 else i % 2 == 0 for i in range(rows)]
    table = frame(rows).assign(
        score=pd.array(scores, "Int64"), flag=pd.array(flags, "boolean")
    )
    model = corrgan.fit(table, out=tmp_path / "run", steps=2, test_fraction=0.0)
    for count in (400, 1):
        # one row may draw no null: the dtype is the column's, not the draw's
        sampled = model.sample(count, seed=3)
        assert sampled["score"].dtype == "Int64"
        assert sampled["flag"].dtype == "boolean"
        assert sampled["count"].dtype == "int64"
    many = model.sample(400, seed=3)
    assert many["score"].isna().any() and many["flag"].isna().any()

    # pandas reads the files as the Python interface returns the rows
    model.sample_to_file(tmp_path / "many.parquet", 400, seed=3)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "many.parquet"), many)
    model.sample_to_file(tmp_path / "one.parquet", 1, seed=3)
    one = pd.read_parquet(tmp_path / "one.parquet")
    assert (one["score"].dtype, one["flag"].dtype) == ("Int64", "boolean")
    split = pd.read_parquet(tmp_path / "run" / "train.parquet")
    assert (split["score"].dtype, split["flag"].dtype) == ("Int64", "boolean")
    assert split["count"].dtype == "int64"
