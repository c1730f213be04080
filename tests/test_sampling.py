"""corrgan sample: streaming, --where, determinism, atomic output."""

import hashlib
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pa_ds
import pyarrow.parquet as pq
import pytest
import torch

from corrgan import sampling
from corrgan.errors import CorrganError
from corrgan.model_store import load_model
from corrgan.sampling import parse_where, sample_to_file


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_rows_are_streamed_one_row_group_per_batch(trained_run, tmp_path):
    model = load_model(trained_run.run_dir)
    out = tmp_path / "out.parquet"
    summary = sample_to_file(model, 2500, out, "parquet", seed=1, batch_size=1000)
    metadata = pq.ParquetFile(out).metadata
    assert summary.rows == metadata.num_rows == 2500
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [
        1000,
        1000,
        500,
    ]
    assert pq.read_schema(out) == model.transform.output_schema


def test_same_model_seed_and_rows_give_the_same_file(trained_run, tmp_path):
    model = load_model(trained_run.run_dir)
    first, second, other = (tmp_path / f"{n}.parquet" for n in "abc")
    sample_to_file(model, 3000, first, "parquet", seed=5)
    sample_to_file(model, 3000, second, "parquet", seed=5)
    sample_to_file(model, 3000, other, "parquet", seed=6)
    assert _digest(first) == _digest(second)
    assert _digest(first) != _digest(other)


def test_rows_do_not_depend_on_the_number_of_workers(trained_run):
    model = load_model(trained_run.run_dir)
    threads = torch.get_num_threads()
    # several chunks per batch, so that the workers really share a batch
    rows = 3 * sampling.GENERATOR_CHUNK_ROWS + 17
    tables = [
        pa.concat_tables(
            sampling.generate_batches(
                model, rows, seed=3, batch_size=rows // 2, workers=n
            )
        )
        for n in (1, 3)
    ]
    assert tables[0].num_rows == rows
    assert tables[0].equals(tables[1])
    # the workers' single-threaded torch is not left behind
    assert torch.get_num_threads() == threads


def test_where_conditions_exactly_and_lists_known_values(
    trained_run, tmp_path, run_cli
):
    out = tmp_path / "red.csv"
    result = run_cli(
        "sample",
        "--model",
        trained_run.run_dir,
        "--rows",
        "400",
        "--csv",
        out,
        "--where",
        "colour=red",
    )
    assert result.exit_code == 0, result.stderr
    table = pa_ds.dataset(out, format="csv").to_table()
    assert table.num_rows == 400
    assert set(table.column("colour").to_pylist()) == {"red"}

    model = load_model(trained_run.run_dir)
    # quoted, so that '' and ' red' could be told from 'red'
    with pytest.raises(
        CorrganError, match="never saw 'purple'.*'blue', 'green', 'red'"
    ):
        parse_where(model, ["colour=purple"])
    with pytest.raises(CorrganError, match="not categorical"):
        parse_where(model, ["x=1"])
    with pytest.raises(CorrganError, match="no column 'shade'"):
        parse_where(model, ["shade=red"])
    with pytest.raises(CorrganError, match="already fixed by --where 'colour=red'"):
        parse_where(model, ["colour=red", "colour=blue"])


def test_without_where_the_class_mix_follows_the_training_data(trained_run, tmp_path):
    model = load_model(trained_run.run_dir)
    out = tmp_path / "mix.parquet"
    sample_to_file(model, 30_000, out, "parquet", seed=2)
    counts = pq.read_table(out).column("colour").value_counts().to_pylist()
    shares = {item["values"]: item["counts"] / 30_000 for item in counts}
    column = model.transform.column("colour")
    for category, frequency in zip(column.categories, column.frequencies, strict=True):
        # colour is the only condition, so every row's colour is drawn from
        # the training frequencies
        assert shares[category] == pytest.approx(frequency, abs=0.02)


def test_a_failure_mid_stream_leaves_no_file(trained_run, tmp_path, monkeypatch):
    model = load_model(trained_run.run_dir)
    real_batches = sampling.generate_batches

    def failing(*args, **kwargs):
        batches = real_batches(*args, **kwargs)
        yield next(batches)
        raise KeyboardInterrupt

    monkeypatch.setattr(sampling, "generate_batches", failing)
    out = tmp_path / "partial.parquet"
    with pytest.raises(KeyboardInterrupt):
        sample_to_file(model, 5000, out, "parquet", batch_size=1000)
    assert list(tmp_path.iterdir()) == []


def test_bad_row_counts_are_user_errors(trained_run, tmp_path, run_cli):
    result = run_cli(
        "sample",
        "--model",
        trained_run.run_dir,
        "--rows",
        "0",
        "--parquet",
        "x.parquet",
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --rows must be at least 1")


def test_the_thread_count_does_not_change_the_file(trained_run, tmp_path, run_cli):
    paths = [tmp_path / f"{n}.parquet" for n in (1, 3)]
    for threads, path in zip((1, 3), paths, strict=True):
        result = run_cli(
            "sample", "--model", trained_run.run_dir, "--rows", "5000",
            "--threads", str(threads), "--parquet", path,
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
    assert _digest(paths[0]) == _digest(paths[1])
    result = run_cli(
        "sample", "--model", trained_run.run_dir, "--rows", "5",
        "--threads", "0", "--parquet", tmp_path / "x.parquet",
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --threads must be at least 1, got 0")
    assert not (tmp_path / "x.parquet").exists()


def test_seeds_outside_the_train_range_are_user_errors(trained_run, run_cli):
    for seed in ("-1", str(2**32)):
        result = run_cli(
            "sample", "--model", trained_run.run_dir, "--rows", "5",
            "--seed", seed, "--parquet", "x.parquet",
        )  # fmt: skip
        assert result.exit_code == 2, result.stderr
        assert result.stderr.startswith("Error: --seed must be in [0, 4294967295]")


def test_an_output_that_is_a_file_of_the_model_is_refused(
    trained_run, tmp_path, run_cli
):
    run_dir = tmp_path / "run"
    shutil.copytree(trained_run.run_dir, run_dir)
    for name, flag in (("generator.safetensors", "--parquet"), ("model.json", "--csv")):
        before = (run_dir / name).read_bytes()
        result = run_cli(
            "sample", "--model", run_dir, "--rows", "5", flag, run_dir / name
        )
        assert result.exit_code == 2, result.stderr
        assert f"would overwrite {run_dir / name}, an input" in result.stderr
        assert (run_dir / name).read_bytes() == before
    # a new file in the run directory is fine
    result = run_cli(
        "sample",
        "--model",
        run_dir,
        "--rows",
        "5",
        "--parquet",
        run_dir / "more.parquet",
    )
    assert result.exit_code == 0, result.stderr


def test_a_model_path_that_is_a_file_says_so(trained_run, run_cli):
    result = run_cli(
        "sample", "--model", trained_run.data, "--rows", "5", "--parquet", "x.parquet"
    )
    assert result.exit_code == 2
    assert "is a file, not a run directory" in result.stderr


def test_a_long_list_of_known_values_is_cut(trained_run):
    # a model of its own, loaded afresh, given 45 categories
    model = load_model(trained_run.run_dir)
    column = next(c for c in model.transform.columns if c.name == "colour")
    column.categories = [f"c{i}" for i in range(45)]
    with pytest.raises(CorrganError) as caught:
        parse_where(model, ["colour=purple"])
    message = str(caught.value)
    assert "'c19' and 25 more" in message
    assert "'c20'" not in message


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGUSR1])
def test_a_stop_signal_while_sampling_leaves_no_partial_file(
    trained_run, tmp_path, stop
):
    out = tmp_path / "huge.parquet"
    process = subprocess.Popen(
        [sys.executable, "-m", "corrgan", "sample", "--model", str(trained_run.run_dir),
         "--rows", "1000000000000", "--batch-size", "2000", "--parquet", str(out)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    # wait until the temporary file is being written, then stop the process
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".huge.parquet.*.tmp")):
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, "sampling did not start"
        time.sleep(0.1)
    process.send_signal(stop)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 128 + stop, output
    assert f"stopped by {stop.name}" in output
    assert "Traceback" not in output
    assert list(tmp_path.iterdir()) == []


def train_briefly(run_cli, data: str, *extra: str) -> None:
    """Train ``data`` (in the test's folder) for 2 steps into ``run``."""
    flags = ["--data", data, "--steps", "2", "--test-fraction", "0", *extra]
    result = run_cli("train", *flags, "--out", "run")
    assert result.exit_code == 0, result.stderr


def test_where_takes_columns_and_values_that_hold_an_equals_sign(tmp_path, run_cli):
    rows = 40
    table = pa.table(
        {
            "x": [float(i % 7) for i in range(rows)],
            "a=b": ["c=d" if i % 2 else "e" for i in range(rows)],
        }
    )
    pq.write_table(table, tmp_path / "eq.parquet")
    train_briefly(run_cli, "eq.parquet")
    model = load_model(tmp_path / "run")
    level = [str(c) for c in model.transform.column("a=b").categories].index("c=d")
    assert parse_where(model, ["a=b=c=d"]) == {"a=b": level}
    with pytest.raises(CorrganError, match="never saw 'c'"):
        parse_where(model, ["a=b=c"])


def test_where_names_categories_by_number_and_the_null_category(tmp_path, run_cli):
    rows = 60
    regions = [None if i % 3 == 0 else ("north", "south")[i % 2] for i in range(rows)]
    table = pa.table(
        {
            "x": [float(i % 7) for i in range(rows)],
            "grade": [float(1 + i % 2) for i in range(rows)],
            "region": regions,
            "flag": [i % 2 == 0 for i in range(rows)],
        }
    )
    pq.write_table(table, tmp_path / "levels.parquet")
    train_briefly(run_cli, "levels.parquet", "--categorical", "grade")
    model = load_model(tmp_path / "run")
    region = model.transform.column("region")
    null_level = len(region.categories)

    # a number names the category it equals, whatever its spelling
    assert parse_where(model, ["grade=1"]) == {"grade": 0}
    assert parse_where(model, ["grade=2.00"]) == {"grade": 1}
    with pytest.raises(CorrganError, match="never saw '3'"):
        parse_where(model, ["grade=3"])
    # booleans by name only, any case
    assert parse_where(model, ["flag=true"]) == {"flag": 1}
    with pytest.raises(CorrganError, match="never saw '1' in flag"):
        parse_where(model, ["flag=1"])
    # the null category, by any null spelling, and listed when a value is unknown
    for spelling in ("null", "None", "", "NaN"):
        assert parse_where(model, [f"region={spelling}"]) == {"region": null_level}
    with pytest.raises(CorrganError, match=r"'south', and null \(--where region=null"):
        parse_where(model, ["region=west"])
    with pytest.raises(CorrganError, match="never saw 'null' in grade"):
        parse_where(model, ["grade=null"])

    # sampled rows honour a null condition exactly
    out = tmp_path / "nulls.parquet"
    args = ["--model", "run", "--rows", "50", "--parquet", out]
    result = run_cli("sample", *args, "--where", "region=null", "--where", "grade=2")
    assert result.exit_code == 0, result.stderr
    written = pq.read_table(out)
    assert written.column("region").null_count == 50
    assert set(written.column("grade").to_pylist()) == {2.0}


def test_an_ordered_categorical_keeps_its_order_in_every_row_group(tmp_path, run_cli):
    rng = np.random.default_rng(0)
    sizes = ["small", "medium", "large"]
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=200),
            "size": pd.Categorical(
                rng.choice(sizes, 200), categories=sizes, ordered=True
            ),
        }
    )
    frame.to_parquet(tmp_path / "ordered.parquet")
    train_briefly(run_cli, "ordered.parquet")
    args = ["--model", "run", "--rows", "50", "--batch-size", "10"]
    result = run_cli("sample", *args, "--parquet", "out.parquet")
    assert result.exit_code == 0, result.stderr

    written = pq.ParquetFile(tmp_path / "out.parquet")
    assert written.schema_arrow.field("size").type.ordered
    for group in range(written.num_row_groups):
        column = written.read_row_group(group).column("size")
        assert column.chunk(0).dictionary.to_pylist() == sizes, group
    generated = pd.read_parquet(tmp_path / "out.parquet")["size"]
    assert generated.cat.ordered and generated.cat.categories.tolist() == sizes
    assert set(generated) == set(sizes)
    assert (generated < "medium").tolist() == (generated == "small").tolist()


def test_64_bit_integers_past_float_precision_are_sampled_inside_their_range(
    tmp_path, run_cli
):
    rng = np.random.default_rng(1)
    signed = [2**62 + int(k) for k in rng.choice(np.arange(13, 4987), 200)]
    unsigned = [2**63 + int(k) for k in rng.choice(np.arange(2, 975), 200)]
    table = pa.table(
        {
            "signed": pa.array(signed, pa.int64()),
            "unsigned": pa.array(unsigned, pa.uint64()),
            "x": rng.normal(size=200),
        }
    )
    pq.write_table(table, tmp_path / "big.parquet")
    train_briefly(run_cli, "big.parquet")
    args = ["--model", "run", "--rows", "2000", "--batch-size", "700"]
    result = run_cli("sample", *args, "--parquet", "out.parquet")
    assert result.exit_code == 0, result.stderr

    written = pq.read_table(tmp_path / "out.parquet")
    assert written.schema == table.schema
    for name, values in (("signed", signed), ("unsigned", unsigned)):
        generated = written.column(name).to_pylist()
        assert min(values) <= min(generated) and max(generated) <= max(values)
        # float64 would have left a handful of values (or a single one)
        assert len(set(generated)) > 100, name
