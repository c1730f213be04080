"""corrgan report on files, and the report that training leaves."""

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corrgan import __version__, evaluate
from corrgan.report import file_sha256


def _table(rows: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    return pa.table(
        {
            "x": x,
            "y": x + rng.normal(scale=0.5, size=rows),
            "kind": rng.choice(["a", "b"], rows),
        }
    )


def test_report_writes_json_with_inputs_and_plots(tmp_path, run_cli):
    real, synthetic = tmp_path / "real.parquet", tmp_path / "syn.csv"
    pq.write_table(_table(300, 0), real)
    _table(200, 1).to_pandas().to_csv(synthetic, index=False)
    result = run_cli(
        "report",
        "--real",
        real,
        "--synthetic",
        synthetic,
        "--json",
        tmp_path / "r.json",
        "--target",
        "kind",
        "--plots",
        tmp_path / "plots",
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["schema_version"] == 1
    assert report["inputs"]["real"]["rows"] == 300
    assert report["inputs"]["synthetic"]["rows"] == 200
    assert report["inputs"]["real"]["sha256"] == file_sha256(real)
    assert report["inputs"]["synthetic"]["sha256"] == file_sha256(synthetic)
    assert report["inputs"]["train"] is None
    assert report["inputs"]["corrgan_version"] == __version__
    assert report["settings"]["target"] == "kind"
    # both tables come from the same distribution: small pooled error
    assert report["summary"]["synthetic"]["pearson_mean_abs_delta"] < 0.15
    # and the report is the one corrgan.evaluate gives for the two tables
    evaluated = evaluate(
        _table(300, 0).to_pandas(), _table(200, 1).to_pandas(), target="kind"
    )
    report.pop("inputs")
    assert report == json.loads(json.dumps(evaluated))
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "association_delta.png",
        "association_real.png",
        "association_synthetic.png",
        "marginals.png",
    ]


def test_report_on_itself_is_perfect(tmp_path, run_cli):
    real = tmp_path / "real.parquet"
    pq.write_table(_table(300, 0), real)
    out = tmp_path / "r.json"
    result = run_cli("report", "--real", real, "--synthetic", real, "--json", out)
    assert result.exit_code == 0, result.stderr
    summary = json.loads(out.read_text())["summary"]["synthetic"]
    assert summary["pearson_mean_abs_delta"] == 0.0
    assert summary["column_shapes"] == 1.0


def test_report_bad_inputs_are_one_error_line(tmp_path, run_cli):
    real = tmp_path / "real.parquet"
    pq.write_table(_table(100, 0), real)
    other = tmp_path / "other.parquet"
    pq.write_table(_table(100, 1).rename_columns(["x", "z", "kind"]), other)
    empty = tmp_path / "empty.parquet"
    pq.write_table(_table(100, 1).slice(0, 0), empty)
    cases = [
        (["--synthetic", other], "z"),
        (["--synthetic", empty], "no rows"),
        (["--synthetic", real, "--target", "nope"], "--target nope"),
        (["--synthetic", tmp_path / "missing.csv"], "no such file"),
        # continuous numbers are no classes, as corrgan train also says
        (["--synthetic", real, "--target", "x"], "holds continuous numbers"),
    ]
    for extra, fragment in cases:
        out = tmp_path / "r.json"
        result = run_cli("report", "--real", real, "--json", out, *extra)
        assert result.exit_code == 2, (extra, result.stderr)
        assert result.stderr.startswith("Error: "), result.stderr
        assert fragment in result.stderr, result.stderr
        assert not out.exists()


def test_report_leaves_out_identifiers_and_dropped_columns(tmp_path, run_cli):
    # an identifier column is left out of both tables, as corrgan train
    # leaves it out; --drop leaves out a column that could not be scored
    tables = []
    for seed in (0, 1):
        table = _table(300, seed)
        ids = pa.array([f"r{seed}-{i}" for i in range(300)])
        table = table.append_column("id", ids)
        tables.append(table.append_column("empty", pa.nulls(300, pa.float64())))
    real, synthetic = tmp_path / "real.parquet", tmp_path / "syn.parquet"
    pq.write_table(tables[0], real)
    pq.write_table(tables[1], synthetic)
    out = tmp_path / "r.json"
    base = ["report", "--real", real, "--synthetic", synthetic, "--json", out]

    refused = run_cli(*base)
    assert refused.exit_code == 2
    assert "'empty'" in refused.stderr and "--drop empty" in refused.stderr

    result = run_cli(*base, "--drop", "empty")
    assert result.exit_code == 0, result.stderr
    assert "'id' looks like an identifier" in result.stderr
    settings = json.loads(out.read_text())["settings"]
    assert [column["name"] for column in settings["columns"]] == ["x", "y", "kind"]
    assert sorted(settings["left_out"]) == ["empty", "id"]

    unknown = run_cli(*base, "--drop", "nope")
    assert unknown.exit_code == 2
    assert "--drop names column(s) that no table has: nope" in unknown.stderr


def test_report_reads_a_semicolon_csv_with_decimal_commas(tmp_path, run_cli):
    real = tmp_path / "real.parquet"
    pq.write_table(_table(300, 0), real)
    frame = _table(300, 0).to_pandas()
    european = tmp_path / "eu.csv"
    frame.to_csv(european, sep=";", decimal=",", index=False)
    out = tmp_path / "r.json"
    result = run_cli("report", "--real", real, "--synthetic", european, "--json", out)
    assert result.exit_code == 0, result.stderr
    summary = json.loads(out.read_text())["summary"]["synthetic"]
    assert summary["pearson_mean_abs_delta"] < 1e-9
    assert summary["column_shapes"] == 1.0


def test_report_drop_takes_a_column_only_the_synthetic_table_has(tmp_path, run_cli):
    real, synthetic = tmp_path / "real.parquet", tmp_path / "syn.parquet"
    pq.write_table(_table(300, 0), real)
    pq.write_table(
        _table(300, 1).append_column("extra", pa.array([1.0] * 300)), synthetic
    )
    out = tmp_path / "r.json"
    base = ["report", "--real", real, "--synthetic", synthetic, "--json", out]
    assert run_cli(*base).exit_code == 2
    result = run_cli(*base, "--drop", "extra")
    assert result.exit_code == 0, result.stderr
    assert json.loads(out.read_text())["settings"]["left_out"] == ["extra"]


def test_report_refuses_to_write_its_json_over_an_input(tmp_path, run_cli):
    real, synthetic = tmp_path / "real.parquet", tmp_path / "syn.parquet"
    pq.write_table(_table(300, 0), real)
    pq.write_table(_table(300, 1), synthetic)
    before = real.read_bytes()
    result = run_cli("report", "--real", real, "--synthetic", synthetic, "--json", real)
    assert result.exit_code == 2
    assert f"--json {real} would overwrite {real}, an input" in result.stderr
    assert real.read_bytes() == before


def test_a_collapsed_synthetic_column_never_improves_the_scores(tmp_path, run_cli):
    # the same synthetic table, once as it is and once with x constant or empty
    real, synthetic = tmp_path / "real.parquet", tmp_path / "syn.parquet"
    pq.write_table(_table(400, 0), real)
    table = _table(400, 1)
    pq.write_table(table, synthetic)

    def summary(path):
        out = tmp_path / f"{path.stem}.json"
        result = run_cli("report", "--real", real, "--synthetic", path, "--json", out)
        assert result.exit_code == 0, result.stderr
        report = json.loads(out.read_text())
        return report["summary"]["synthetic"], report["synthetic"]

    healthy, _ = summary(synthetic)
    for name, values in (
        ("constant", pa.array([0.5] * 400)),
        ("empty", pa.nulls(400, pa.float64())),
    ):
        path = tmp_path / f"{name}.parquet"
        pq.write_table(table.set_column(0, "x", values), path)
        broken, card = summary(path)
        pearson = card["correlations"]["pearson"]["error"]
        assert pearson["n_candidate_undefined_pairs"] == 1
        # x and y correlate strongly in the real table: losing that pair costs
        assert (
            broken["pearson_mean_abs_delta"] > healthy["pearson_mean_abs_delta"] + 0.5
        )
        assert broken["column_shapes"] < healthy["column_shapes"]


def test_report_refuses_infinite_synthetic_values(tmp_path, run_cli):
    real, synthetic = tmp_path / "real.parquet", tmp_path / "syn.parquet"
    pq.write_table(_table(300, 0), real)
    x = np.arange(300.0)
    x[5] = np.inf
    pq.write_table(_table(300, 1).set_column(0, "x", pa.array(x)), synthetic)
    out = tmp_path / "r.json"
    result = run_cli("report", "--real", real, "--synthetic", synthetic, "--json", out)
    assert result.exit_code == 2
    assert "Column 'x' holds +-inf in the synthetic table" in result.stderr
    assert "Warning" not in result.stderr
    assert not out.exists()


def test_report_prints_no_library_warnings(tmp_path, run_cli):
    # an integer target with a class for nearly every row makes scikit-learn
    # warn; the report's output stays its own lines
    frames = []
    for seed in (0, 1, 2):
        rng = np.random.default_rng(seed)
        frames.append(
            pa.table({"x": rng.normal(size=60), "k": pa.array(rng.integers(0, 40, 60))})
        )
    paths = []
    for name, table in zip(("real", "syn", "train"), frames, strict=True):
        paths.append(tmp_path / f"{name}.parquet")
        pq.write_table(table, paths[-1])
    result = run_cli(
        "report", "--real", paths[0], "--synthetic", paths[1], "--train", paths[2],
        "--target", "k", "--categorical", "k", "--json", tmp_path / "r.json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "Warning" not in result.stderr


def test_plots_of_a_constant_column_far_from_zero(tmp_path, run_cli):
    # 1e16 (or a date) everywhere leaves no room for 30 finite bins
    table = _table(100, 0).append_column("big", pa.array([1e16] * 100))
    real = tmp_path / "real.parquet"
    pq.write_table(table, real)
    plots = tmp_path / "plots"
    result = run_cli(
        "report", "--real", real, "--synthetic", real, "--json", tmp_path / "r.json",
        "--plots", plots,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert len(list(plots.glob("*.png"))) >= 4


def test_report_refuses_to_drop_its_target(tmp_path, run_cli):
    real = tmp_path / "real.parquet"
    pq.write_table(_table(60, 0), real)
    out = tmp_path / "r.json"
    result = run_cli(
        "report", "--real", real, "--synthetic", real, "--json", out,
        "--target", "kind", "--drop", "kind",
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --target kind is also given to --drop")
    assert "take kind out of --drop or choose another --target" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
