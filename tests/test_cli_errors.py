"""The command line on bad input: one ``Error:`` line, exit 2, nothing left.

Also the plain behaviour around it: ``--version``, the help texts, and a tiny
model trained, sampled and tampered with.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq
import pytest
import torch
import typer
from safetensors.torch import load_file, save_file

from corrgan import __version__
from corrgan.cli import _user_errors
from corrgan.io import atomic_path, read_table
from corrgan.model_store import sha256_of
from corrgan.pipeline import split_rows
from corrgan.transform import read_transform

EXIT_USER_ERROR = 2
ROWS = 30


def assert_user_error(exit_code: int, stdout: str, stderr: str, *fragments: str):
    """Exit 2, exactly one ``Error:`` line naming the problem, no traceback."""
    assert exit_code == EXIT_USER_ERROR, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, stderr
    for fragment in fragments:
        assert fragment in errors[0]
    assert "Traceback" not in stdout + stderr
    return errors[0]


def assert_no_model_left(root: Path) -> None:
    leftovers = [p for p in root.rglob("*") if p.suffix in {".json", ".safetensors"}]
    assert leftovers == []
    assert not (root / "run").exists()


def numbers(rows: int = ROWS) -> np.ndarray:
    return np.random.default_rng(0).normal(size=rows)


def write_bad_input(case: str, root: Path) -> tuple[list[str], tuple[str, ...]]:
    """Write the input of one failing case: extra flags and expected fragments."""
    if case == "missing":
        return ["--data", "absent.csv"], ("no such file or directory", "absent.csv")
    if case == "not a table":
        (root / "x.bin").write_bytes(bytes(range(256)) * 8)
        return ["--data", "x.bin"], ("x.bin is neither Parquet nor CSV",)
    if case == "truncated":
        pq.write_table(
            pa.table({"a": numbers(500), "b": numbers(500)}), root / "t.parquet"
        )
        data = (root / "t.parquet").read_bytes()
        (root / "t.parquet").write_bytes(data[: len(data) // 2])
        return ["--data", "t.parquet"], ("cannot read t.parquet", "not corrupted")
    if case == "empty":
        (root / "empty.csv").write_bytes(b"")
        return ["--data", "empty.csv"], ("empty.csv is empty",)
    if case == "header only":
        (root / "head.csv").write_text("a,b,c\n")
        return ["--data", "head.csv"], ("head.csv has no rows",)
    if case == "entirely null":
        lines = "".join(f"{i},\n" for i in range(ROWS))
        (root / "nulls.csv").write_text("a,b\n" + lines)
        return ["--data", "nulls.csv"], ("column 'b' in nulls.csv is entirely null",)
    if case == "infinite":
        values = [str(v) for v in numbers()]
        values[4], values[9] = "inf", "-inf"
        (root / "inf.csv").write_text("v\n" + "\n".join(values) + "\n")
        return ["--data", "inf.csv"], ("column 'v' in inf.csv holds +-inf",)
    if case == "duplicate names":
        lines = "".join(f"{i},{i + 1},{i * 2}\n" for i in range(ROWS))
        (root / "dup.csv").write_text("a,a,b\n" + lines)
        return ["--data", "dup.csv"], ("dup.csv has duplicate column names: a",)
    if case == "too many categories":
        lines = "".join(f"{v},city{i % 12}\n" for i, v in enumerate(numbers()))
        (root / "cities.csv").write_text("x,city\n" + lines)
        return ["--data", "cities.csv", "--max-categories", "5"], (
            "'city' in cities.csv has 12 distinct values",
            "--drop city or raise --max-categories",
        )
    if case == "unknown override":
        pq.write_table(pa.table({"a": numbers(), "b": numbers()}), root / "ok.parquet")
        return ["--data", "ok.parquet", "--categorical", "nope"], (
            "--categorical names column(s) not in ok.parquet: nope",
        )
    if case == "comma in a column name":
        table = pa.table({"income, usd": numbers(), "b": numbers()})
        pq.write_table(table, root / "ok.parquet")
        return ["--data", "ok.parquet", "--drop", "income, usd"], (
            "--drop names column(s) not in ok.parquet: 'income', 'usd'",
            "the columns are 'income, usd', 'b'",
            "--drop splits on commas",
            "--config file",
        )
    if case == "one row":
        (root / "one.csv").write_text("a,b\n1.5,x\n")
        return ["--data", "one.csv"], ("one.csv has 1 row(s)", "at least 10 rows")
    if case == "too few training rows":
        # ten rows are enough, but not after a fifth of them is held out
        lines = "".join(f"{v},{i % 3}\n" for i, v in enumerate(numbers(10)))
        (root / "ten.csv").write_text("x,k\n" + lines)
        return ["--data", "ten.csv"], (
            "the training split of ten.csv has 8 row(s) after 2 are held out "
            "(--test-fraction 0.2)",
            "at least 10 rows",
            "lower --test-fraction (0 trains on every row)",
        )
    if case == "every row held out":
        lines = "".join(f"{v},{i % 3}\n" for i, v in enumerate(numbers(10)))
        (root / "ten.csv").write_text("x,k\n" + lines)
        return ["--data", "ten.csv", "--test-fraction", "0.99"], (
            "the training split of ten.csv has 0 row(s) after 10 are held out "
            "(--test-fraction 0.99)",
            "lower --test-fraction",
        )
    if case == "unknown config key":
        pq.write_table(pa.table({"a": numbers()}), root / "ok.parquet")
        (root / "bad.toml").write_text("[data]\nmax_categoriez = 3\n")
        return ["--data", "ok.parquet", "--config", "bad.toml"], (
            "bad.toml: unknown key(s) in [data]: max_categoriez",
        )
    if case == "config not toml":
        pq.write_table(pa.table({"a": numbers()}), root / "ok.parquet")
        (root / "bad.toml").write_text("[train\nsteps = 3\n")
        return ["--data", "ok.parquet", "--config", "bad.toml"], (
            "config file bad.toml is not valid TOML",
        )
    if case == "binary named csv":
        (root / "image.csv").write_bytes(
            b"\x89PNG\r\n" + b"\x1a\x00\xff,\x07\x1b\x9c" * 400 + b"\n"
        )
        return ["--data", "image.csv"], (
            "cannot read image.csv as CSV",
            "does not look like CSV text",
        )
    if case == "constant columns":
        table = pa.table({"a": [3] * ROWS, "b": ["x"] * ROWS, "c": [1.5] * ROWS})
        pq.write_table(table, root / "same.parquet")
        return ["--data", "same.parquet"], (
            "every column of same.parquet holds a single value",
            "(a, b, c)",
            "at least one column whose values vary",
        )
    if case == "values only held out":
        # the one value of "rare" sits in a row that the seeded split holds out
        held_out = split_rows(pa.table({"row": range(ROWS)}), 0.2, None, 0)[1]
        rare = [None] * ROWS
        rare[held_out.column("row")[0].as_py()] = 2.5
        table = pa.table({"a": numbers(), "rare": pa.array(rare, pa.float64())})
        pq.write_table(table, root / "rare.parquet")
        return ["--data", "rare.parquet"], (
            "column 'rare' in rare.parquet has values only in rows drawn into "
            "the held-out split (1 of them)",
            "--drop rare",
        )
    if case == "categories beyond the sample":
        # the kinds come from a sample of 5 rows, which shows 5 codes; the
        # training split has 24, and the limit held only on the sample
        codes = "".join(f"{v},code{i}\n" for i, v in enumerate(numbers()))
        (root / "codes.csv").write_text("x,code\n" + codes)
        (root / "small.toml").write_text("[data]\nfit_sample_rows = 5\n")
        flags = ["--data", "codes.csv", "--config", "small.toml"]
        return [*flags, "--max-categories", "10"], (
            "column 'code' in the training split of codes.csv has 24 distinct "
            "values, more than the categorical limit of 10",
            "--drop code or raise --max-categories",
        )
    if case == "empty target":
        pq.write_table(pa.table({"a": numbers(), "b": numbers()}), root / "ok.parquet")
        return ["--data", "ok.parquet", "--target", ""], (
            "--target names column(s) not in ok.parquet: ''",
        )
    if case == "threads beyond the cores":
        # tens of thousands of OpenMP threads crashed the run halfway through
        pq.write_table(pa.table({"a": numbers(), "b": numbers()}), root / "ok.parquet")
        return ["--data", "ok.parquet", "--threads", "100000"], (
            "threads (--threads) is 100000",
            "core(s)",
            "or fewer",
        )
    raise ValueError(case)


BAD_INPUTS = [
    "missing",
    "not a table",
    "truncated",
    "empty",
    "header only",
    "entirely null",
    "infinite",
    "duplicate names",
    "too many categories",
    "unknown override",
    "comma in a column name",
    "one row",
    "too few training rows",
    "every row held out",
    "unknown config key",
    "config not toml",
    "binary named csv",
    "constant columns",
    "values only held out",
    "threads beyond the cores",
    "categories beyond the sample",
    "empty target",
]


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_train_on_bad_input_fails_with_one_error_line(case, tmp_path, run_cli):
    flags, fragments = write_bad_input(case, tmp_path)
    result = run_cli("train", *flags, "--steps", "2", "--out", "run")
    assert_user_error(result.exit_code, result.stdout, result.stderr, *fragments)
    assert_no_model_left(tmp_path)


def test_a_config_file_names_a_column_that_holds_a_comma(tmp_path, run_cli):
    # what the error for "--drop 'income, usd'" tells the user to do
    table = pa.table({"income, usd": numbers(), "b": numbers(), "c": numbers()})
    pq.write_table(table, tmp_path / "ok.parquet")
    (tmp_path / "run.toml").write_text('[data]\ndrop = ["income, usd"]\n')
    flags = ["--data", "ok.parquet", "--config", "run.toml", "--steps", "2"]
    result = run_cli("train", *flags, "--out", "run")
    assert result.exit_code == 0, result.stderr
    assert read_table(tmp_path / "run" / "train.parquet").column_names == ["b", "c"]


def test_a_binary_csv_gives_a_short_printable_error(tmp_path, run_cli):
    flags, fragments = write_bad_input("binary named csv", tmp_path)
    result = run_cli("train", *flags, "--steps", "2", "--out", "run")
    line = assert_user_error(result.exit_code, result.stdout, result.stderr, *fragments)
    assert line.isprintable()
    assert len(line) < 400


def test_train_refuses_an_out_that_is_a_file(tmp_path, run_cli):
    lines = "".join(f"{v},{i % 3}\n" for i, v in enumerate(numbers()))
    (tmp_path / "data.csv").write_text("x,k\n" + lines)
    (tmp_path / "taken.csv").write_text("keep")
    result = run_cli(
        "train", "--data", "data.csv", "--out", "taken.csv", "--steps", "2"
    )
    assert_user_error(
        result.exit_code,
        result.stdout,
        result.stderr,
        "taken.csv is a file, not a folder",
        "pick another --out",
    )
    assert (tmp_path / "taken.csv").read_text() == "keep"
    assert_no_model_left(tmp_path)


@pytest.mark.parametrize("out", ["folder", "."])
def test_train_refuses_an_out_folder_that_holds_other_files(tmp_path, run_cli, out):
    # the data itself is named as a run's training split would be
    (tmp_path / "folder").mkdir()
    lines = "".join(f"{v},{i % 3}\n" for i, v in enumerate(numbers()))
    data = tmp_path / "folder" / "train.parquet"
    pq.write_table(pa.csv.read_csv(pa.py_buffer(("x,k\n" + lines).encode())), data)
    before = data.read_bytes()
    flags = ["--data", "folder/train.parquet", "--steps", "2"]
    result = run_cli("train", *flags, "--out", out)
    assert_user_error(
        result.exit_code,
        result.stdout,
        result.stderr,
        "is not a corrgan run and already holds files",
        "pick a new or empty folder for --out",
    )
    assert data.read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "folder").iterdir()) == ["train.parquet"]
    # another tool's config.json does not make a folder a run
    (tmp_path / "folder" / "config.json").write_text('{"lr": 0.1}')
    result = run_cli("train", *flags, "--out", "folder")
    assert_user_error(
        result.exit_code, result.stdout, result.stderr, "is not a corrgan run"
    )
    assert (tmp_path / "folder" / "config.json").read_text() == '{"lr": 0.1}'
    (tmp_path / "folder" / "config.json").unlink()
    # an empty folder is a fine place for a run
    (tmp_path / "empty").mkdir()
    result = run_cli("train", *flags, "--out", "empty")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "empty" / "model.json").exists()


def write_report_inputs(root: Path) -> list[str]:
    """A real and a synthetic table for ``corrgan report``, as its flags."""
    rng = np.random.default_rng(1)
    for name in ("real.parquet", "syn.parquet"):
        x = rng.normal(size=ROWS)
        table = {"x": x, "y": x + rng.normal(size=ROWS), "k": ["a", "b"] * (ROWS // 2)}
        pq.write_table(pa.table(table), root / name)
    return ["--real", "real.parquet", "--synthetic", "syn.parquet"]


def test_report_refuses_a_json_path_that_is_a_folder(tmp_path, run_cli):
    (tmp_path / "taken").mkdir()
    inputs = write_report_inputs(tmp_path)
    result = run_cli("report", *inputs, "--json", "taken")
    assert_user_error(
        result.exit_code, result.stdout, result.stderr, "taken is a folder, not a file"
    )
    assert list((tmp_path / "taken").iterdir()) == []


@pytest.mark.parametrize("plots", ["afile", "afile/sub"])
def test_report_refuses_a_plots_file_before_writing_the_json(tmp_path, run_cli, plots):
    (tmp_path / "afile").write_text("keep")
    inputs = write_report_inputs(tmp_path)
    result = run_cli("report", *inputs, "--json", "r.json", "--plots", plots)
    assert_user_error(
        result.exit_code,
        result.stdout,
        result.stderr,
        "afile is a file, not a folder",
        "pick another --plots folder",
    )
    assert not (tmp_path / "r.json").exists()
    assert (tmp_path / "afile").read_text() == "keep"


@pytest.mark.slow
@pytest.mark.parametrize("flag", ["--csv", "--parquet"])
def test_sample_refuses_an_output_that_is_a_folder(
    tmp_path, run_cli, trained_run, flag
):
    (tmp_path / "taken").mkdir()
    result = run_cli("sample", "--model", trained_run.run_dir, flag, "taken")
    assert_user_error(
        result.exit_code, result.stdout, result.stderr, "taken is a folder, not a file"
    )
    assert list((tmp_path / "taken").iterdir()) == []


@pytest.mark.slow
def test_sample_refuses_an_output_inside_a_file(tmp_path, run_cli, trained_run):
    (tmp_path / "afile").write_text("keep")
    args = ["--model", trained_run.run_dir, "--csv", "afile/out.csv"]
    result = run_cli("sample", *args)
    assert_user_error(
        result.exit_code,
        result.stdout,
        result.stderr,
        "afile is a file, not a folder",
        "pick another place for afile/out.csv",
    )
    assert (tmp_path / "afile").read_text() == "keep"


@pytest.mark.slow
def test_sample_refuses_to_write_over_the_table_the_model_learned(
    tmp_path, run_cli, trained_run
):
    # the session's run was trained on tiny.parquet, named by absolute path
    data = trained_run.data
    before = data.read_bytes()
    args = ["--model", trained_run.run_dir, "--parquet", data, "--rows", "5"]
    result = run_cli("sample", *args)
    assert_user_error(
        result.exit_code,
        result.stdout,
        result.stderr,
        "the table this model was trained on",
    )
    assert data.read_bytes() == before


@pytest.mark.slow
def test_nulls_in_a_csv_text_column_round_trip_through_train_sample_report(
    tmp_path, run_cli
):
    rows = 60
    values = numbers(rows)
    kinds = ["", "red", "blue"]
    lines = "".join(f"{v},{kinds[i % 3]}\n" for i, v in enumerate(values))
    (tmp_path / "gaps.csv").write_text("x,colour\n" + lines)

    # the empty fields are learned as nulls, not as a category ""
    flags = ["--steps", "5", "--threads", "1", "--batch-size", "16"]
    result = run_cli("train", "--data", "gaps.csv", "--out", "run", *flags)
    assert result.exit_code == 0, result.stderr
    colour = read_transform(tmp_path / "run" / "transform.json").column("colour")
    assert sorted(colour.categories) == ["blue", "red"]
    assert colour.has_null

    # sampled nulls are written as empty fields and read back as nulls
    result = run_cli("sample", "--model", "run", "--rows", "300", "--csv", "s.csv")
    assert result.exit_code == 0, result.stderr
    sampled = read_table(tmp_path / "s.csv").column("colour").to_pylist()
    assert set(sampled) <= {"red", "blue", None}
    assert None in sampled

    inputs = ["--real", "run/test.parquet", "--synthetic", "s.csv"]
    result = run_cli("report", *inputs, "--json", "r.json")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "r.json").is_file()


def test_a_failed_run_without_out_leaves_no_run_directory(tmp_path, run_cli):
    flags, fragments = write_bad_input("entirely null", tmp_path)
    result = run_cli("train", *flags, "--steps", "2")
    assert_user_error(result.exit_code, result.stdout, result.stderr, *fragments)
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_a_real_process_exits_2_without_a_traceback(tmp_path, run_process):
    flags, fragments = write_bad_input("truncated", tmp_path)
    done = run_process("train", *flags, "--steps", "2", "--out", "run")
    assert_user_error(done.returncode, done.stdout, done.stderr, *fragments)
    assert_no_model_left(tmp_path)


@pytest.mark.slow
def test_a_real_process_reports_a_missing_model(tmp_path, run_process):
    done = run_process("sample", "--model", "nowhere", "--parquet", "out.parquet")
    assert_user_error(
        done.returncode,
        done.stdout,
        done.stderr,
        "model directory nowhere does not exist",
    )
    assert not (tmp_path / "out.parquet").exists()


def test_sample_with_a_missing_model_directory(tmp_path, run_cli):
    result = run_cli("sample", "--parquet", "out.parquet")
    assert_user_error(
        result.exit_code,
        result.stdout,
        result.stderr,
        "model directory runs/latest does not exist",
        "corrgan train",
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("outputs", [[], ["--parquet", "a.parquet", "--csv", "b.csv"]])
def test_sample_needs_exactly_one_output(tmp_path, run_cli, outputs):
    result = run_cli("sample", "--model", "nowhere", *outputs)
    assert_user_error(
        result.exit_code, result.stdout, result.stderr, "exactly one of --parquet"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_sample_with_tampered_weights_is_refused(tmp_path, run_cli, trained_run):
    model = tmp_path / "model"
    shutil.copytree(trained_run.run_dir, model)
    weights = model / "generator.safetensors"
    data = bytearray(weights.read_bytes())
    data[-5] ^= 0xFF
    weights.write_bytes(bytes(data))

    result = run_cli("sample", "--model", "model", "--parquet", "out.parquet")
    assert_user_error(
        result.exit_code,
        result.stdout,
        result.stderr,
        "generator.safetensors does not match the checksum",
    )
    assert not (tmp_path / "out.parquet").exists()


def test_weights_of_a_run_killed_while_saving_can_be_rebuilt(
    tmp_path, run_cli, trained_run
):
    # a resumed run killed between writing its weights and model.json
    model = tmp_path / "model"
    shutil.copytree(trained_run.run_dir, model)
    weights = model / "generator.safetensors"
    tensors = load_file(weights)
    save_file({name: value * 0.5 for name, value in tensors.items()}, weights)

    result = run_cli("sample", "--model", "model", "--parquet", "out.parquet")
    assert_user_error(
        result.exit_code,
        result.stdout,
        result.stderr,
        "or the run was killed while it saved its model; restore it or retrain, "
        "or rebuild it from the last checkpoint with corrgan train --out model "
        "--resume",
    )
    rebuilt = run_cli("train", "--out", "model", "--resume")
    assert rebuilt.exit_code == 0, rebuilt.stderr
    result = run_cli("sample", "--model", "model", "--parquet", "out.parquet")
    assert result.exit_code == 0, result.stderr
    assert _same_tensors(load_file(weights), tensors)


def _same_tensors(first: dict, second: dict) -> bool:
    return first.keys() == second.keys() and all(
        first[name].equal(second[name]) for name in first
    )


def test_sample_refuses_weights_that_are_not_finite(tmp_path, run_cli, trained_run):
    # as a run saved before divergence was checked could hold, checksum intact
    model = tmp_path / "model"
    shutil.copytree(trained_run.run_dir, model)
    weights = load_file(model / "generator.safetensors")
    first = sorted(weights)[0]
    weights[first] = torch.full_like(weights[first], float("nan"))
    save_file(weights, model / "generator.safetensors")
    metadata = json.loads((model / "model.json").read_text())
    metadata["files"]["generator.safetensors"] = sha256_of(
        model / "generator.safetensors"
    )
    (model / "model.json").write_text(json.dumps(metadata))

    result = run_cli("sample", "--model", "model", "--parquet", "out.parquet")
    assert_user_error(
        result.exit_code,
        result.stdout,
        result.stderr,
        "holds weights that are not finite numbers",
    )
    assert not (tmp_path / "out.parquet").exists()


@pytest.mark.slow
def test_training_that_diverges_stops_with_an_error_and_saves_no_model(
    tmp_path, run_cli
):
    lines = "".join(f"{v},{i % 3}\n" for i, v in enumerate(numbers()))
    (tmp_path / "data.csv").write_text("x,k\n" + lines)
    (tmp_path / "wild.toml").write_text(
        "[train]\ngenerator_lr = 1e30\ndiscriminator_lr = 1e30\n"
    )
    flags = ["--data", "data.csv", "--config", "wild.toml", "--steps", "30"]
    result = run_cli("train", *flags, "--out", "run")
    assert_user_error(
        result.exit_code,
        result.stdout,
        result.stderr,
        "training diverged by step",
        "no model was saved",
        "lower generator_lr and discriminator_lr",
    )
    assert not (tmp_path / "run" / "model.json").exists()
    assert not (tmp_path / "run" / "generator.safetensors").exists()


@pytest.mark.slow
def test_sample_with_a_truncated_transform_is_refused(tmp_path, run_cli, trained_run):
    model = tmp_path / "model"
    shutil.copytree(trained_run.run_dir, model)
    transform = model / "transform.json"
    transform.write_text(transform.read_text()[:100])

    result = run_cli("sample", "--model", "model", "--csv", "out.csv")
    assert_user_error(
        result.exit_code, result.stdout, result.stderr, "transform.json does not match"
    )
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda meta: meta["model"].update(width=-1),
            "model.json: width must be >= 1, got -1; retrain the model",
        ),
        (
            lambda meta: meta["model"].update(architecture="foo"),
            "model.json: architecture (--architecture) must be attention or mlp",
        ),
        (lambda meta: meta.update(files=[1]), "model.json is damaged"),
    ],
    ids=["width", "architecture", "files"],
)
def test_sample_with_an_edited_model_json_names_it(
    tmp_path, run_cli, trained_run, change, message
):
    model = tmp_path / "model"
    shutil.copytree(trained_run.run_dir, model)
    metadata = json.loads((model / "model.json").read_text())
    change(metadata)
    (model / "model.json").write_text(json.dumps(metadata))

    result = run_cli("sample", "--model", "model", "--csv", "out.csv")
    assert_user_error(result.exit_code, result.stdout, result.stderr, message)
    assert not (tmp_path / "out.csv").exists()


def test_sample_from_a_stopped_run_says_how_to_finish_it(
    tmp_path, run_cli, trained_run
):
    # a run stopped by a signal has its checkpoints but no model yet
    model = tmp_path / "model"
    shutil.copytree(trained_run.run_dir, model)
    (model / "model.json").unlink()

    result = run_cli("sample", "--model", "model", "--csv", "out.csv")
    assert_user_error(
        result.exit_code,
        result.stdout,
        result.stderr,
        "model.json is missing: model is not a finished corrgan run; finish it "
        "with corrgan train --out model --resume",
    )
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("text", ['{"data": {', "[1, 2]"])
def test_resume_with_a_damaged_config_json_is_refused(
    tmp_path, run_cli, trained_run, text
):
    run = tmp_path / "run"
    shutil.copytree(trained_run.run_dir, run)
    (run / "config.json").write_text(text)

    result = run_cli("train", "--out", "run", "--resume", "--steps", "3")
    assert_user_error(
        result.exit_code,
        result.stdout,
        result.stderr,
        "config.json cannot be read as the run's settings",
        "start a new run with another --out",
    )
    assert (run / "config.json").read_text() == text


@pytest.mark.slow
def test_a_constant_column_is_trained_and_generated_constant(
    tmp_path, run_cli, trained_run
):
    transform = read_transform(trained_run.run_dir / "transform.json")
    assert transform.blocks_of("level") == [] and transform.blocks_of("site") == []

    result = run_cli(
        "sample", "--model", trained_run.run_dir, "--rows", "300", "--parquet", "s.pq"
    )
    assert result.exit_code == 0, result.stderr
    assert "wrote 300 rows to s.pq" in result.stdout
    generated = read_table(tmp_path / "s.pq")
    assert generated.schema == read_table(trained_run.data).schema
    assert generated.num_rows == 300
    assert set(generated.column("level").to_pylist()) == {3.5}
    assert set(generated.column("site").to_pylist()) == {"north"}
    assert set(generated.column("colour").to_pylist()) <= {"red", "green", "blue"}
    counts = generated.column("count").to_numpy()
    assert counts.min() >= 0 and counts.max() < 1000


@pytest.mark.slow
def test_sampling_is_repeatable(tmp_path, run_cli, trained_run):
    for name, seed in (("a.csv", "4"), ("b.csv", "4"), ("c.csv", "5")):
        args = ["--rows", "50", "--seed", seed, "--csv", name]
        result = run_cli("sample", "--model", trained_run.run_dir, *args)
        assert result.exit_code == 0, result.stderr
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
    # the seed decides the rows, and the rows of one draw differ
    assert (tmp_path / "a.csv").read_text() != (tmp_path / "c.csv").read_text()
    x = read_table(tmp_path / "a.csv").column("x").to_numpy()
    assert len(np.unique(x)) > 40


@pytest.mark.slow
def test_the_trained_run_directory_is_complete(trained_run):
    names = {path.name for path in trained_run.run_dir.iterdir()}
    expected = {"config.json", "model.json", "transform.json", "generator.safetensors"}
    assert expected | {"train.parquet", "test.parquet"} <= names
    assert read_table(trained_run.run_dir / "test.parquet").num_rows == 0
    assert f"run directory: {trained_run.run_dir}" in trained_run.result.stdout


def test_version(run_cli):
    result = run_cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"corrgan {__version__}\n"


@pytest.mark.slow
def test_version_of_a_real_process(run_process):
    done = run_process("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"corrgan {__version__}"


def help_text(run_cli, command: str) -> str:
    result = run_cli(command, "--help")
    assert result.exit_code == 0
    return result.stdout


@pytest.mark.parametrize(
    ("command", "summary"),
    [
        ("train", "Train a model on a table and write a run directory with a report."),
        ("sample", "Generate synthetic rows from a trained model into Parquet or CSV."),
        ("report", "Score synthetic rows against real ones and write a JSON fidelity"),
    ],
)
def test_help_opens_with_a_summary_and_shows_an_example(run_cli, command, summary):
    lines = [line.strip(" │") for line in help_text(run_cli, command).splitlines()]
    text = [line for line in lines if line]
    assert text[0] == f"Usage: corrgan {command} [OPTIONS]"
    assert text[1].startswith(summary)
    assert any(line.startswith(f"Example: corrgan {command} ") for line in text)


def test_flags_are_kebab_case(run_cli):
    flags = set()
    for command in ("train", "sample", "report"):
        flags |= set(re.findall(r"--[a-z][a-z0-9_-]*", help_text(run_cli, command)))
    assert {"--max-categories", "--test-fraction", "--batch-size"} <= flags
    assert {"--log-every", "--checkpoint-every", "--corr-weight"} <= flags
    assert [flag for flag in flags if "_" in flag] == []


def test_help_shows_the_dataclass_defaults(run_cli):
    from corrgan.config import TrainConfig

    text = " ".join(run_cli("train", "--help").stdout.split())
    train = TrainConfig()
    assert (
        f"Generator updates. [default: {train.auto_steps}, at most "
        f"{train.auto_max_epochs:g} passes over a small table]"
    ) in text
    assert "TOML file with [data], [model], [train]." in text


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGUSR1, signal.SIGHUP])
def test_a_stop_signal_outside_the_training_loop_removes_partial_outputs(
    tmp_path, stop
):
    # what train's data preparation and final report, sample and report do
    # with a signal: unwind through their writers and exit 128 + the signal
    @_user_errors
    def write_then_stop() -> None:
        with atomic_path(tmp_path / "report.json") as path:
            path.write_text("{")
            os.kill(os.getpid(), stop)

    previous = signal.getsignal(stop)
    with pytest.raises(typer.Exit) as stopped:
        write_then_stop()
    assert stopped.value.exit_code == 128 + stop
    assert list(tmp_path.iterdir()) == []
    # the caller's handler is back
    assert signal.getsignal(stop) is previous


def test_where_shows_the_form_of_its_value(run_cli):
    # not typer's <list[str]>: each --where takes one COLUMN=VALUE
    text = " ".join(help_text(run_cli, "sample").split())
    assert "--where <column=value> COLUMN=VALUE: fix a categorical column" in text


def test_a_signal_the_caller_ignores_stays_ignored(tmp_path):
    # nohup ignores SIGHUP: a closed terminal must not stop the command then
    @_user_errors
    def write_through_a_hangup() -> None:
        with atomic_path(tmp_path / "out.json") as path:
            os.kill(os.getpid(), signal.SIGHUP)
            path.write_text("{}")

    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        write_through_a_hangup()
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert (tmp_path / "out.json").read_text() == "{}"
