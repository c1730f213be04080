"""corrgan sample: streaming, --where, determinism, atomic output."""

import hashlib

import pyarrow.dataset as pa_ds
import pyarrow.parquet as pq
import pytest

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
    with pytest.raises(CorrganError, match="never saw 'purple'.*blue, green, red"):
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
