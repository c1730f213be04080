"""Writing fidelity reports: after training, and for ``corrgan report``.

Both add an ``inputs`` section (paths, row counts, sha256, corrgan version) to
the report that :func:`corrgan.report.build_report` computes, write it
atomically, and draw the plots.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pyarrow as pa

from corrgan import __version__
from corrgan.config import DataConfig, RunConfig
from corrgan.errors import CorrganError
from corrgan.io import (
    TableSource,
    atomic_path,
    check_not_an_input,
    check_output_file,
    check_output_folder,
)
from corrgan.schema import infer_schema, unknown_columns

logger = logging.getLogger(__name__)

REPORT_FILE = "report.json"
SYNTHETIC_FILE = "synthetic.parquet"


def _categorical_columns(
    table: pa.Table,
    forced: list[str] | None,
    where: str,
    target: str | None = None,
    drop: list[str] | None = None,
):
    # the target goes in as the target, so that continuous numbers are refused
    # as a target here as they are by corrgan train
    config = DataConfig(
        categorical=list(forced or []), target=target, drop=list(drop or [])
    )
    schema = infer_schema(table, config, where, command="report")
    kinds = {column.name: column.kind for column in schema.columns}
    return [name for name, kind in kinds.items() if kind == "categorical"], schema


def _kind_sample(real: pa.Table, train: pa.Table) -> pa.Table:
    """The rows the columns' kinds are inferred from: the real rows, and the
    training rows beside them where their types agree, so that a small
    holdout that happens to show few distinct counts does not turn a column
    the model learned as numeric into a categorical one."""
    names = real.schema.names
    if not set(names) <= set(train.schema.names):
        return real
    try:
        return pa.concat_tables(
            [real, train.select(names)], promote_options="permissive"
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        # the type checks that follow name the disagreement
        return real


def _without(table: pa.Table | None, names: list[str]) -> pa.Table | None:
    if table is None:
        return None
    return table.drop_columns([name for name in names if name in table.schema.names])


def _frame(table: pa.Table):
    return table.to_pandas()


def _describe(path: Path | None, rows: int, role: str) -> dict[str, Any]:
    from corrgan.report import file_sha256

    return {
        "role": role,
        "path": None if path is None else str(path),
        "rows": rows,
        "sha256": None if path is None else file_sha256(path),
    }


def _write(report: dict[str, Any], path: Path) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(report, indent=1, allow_nan=False))


def write_run_report(
    run_dir: Path, train: pa.Table, test: pa.Table, config: RunConfig
) -> dict[str, Any]:
    """The final stage of training: sample, score against the holdout, plot."""
    from corrgan.model_store import load_model
    from corrgan.report import build_report, write_plots
    from corrgan.sampling import sample_to_file

    # as many synthetic rows as the test split, from the saved model
    model = load_model(run_dir)
    synthetic_path = run_dir / SYNTHETIC_FILE
    sample_to_file(model, test.num_rows, synthetic_path, "parquet", config.train.seed)
    synthetic = TableSource(synthetic_path).read()

    # the report on the held-out split, with the training split as reference
    categorical = [
        column.name
        for column in model.transform.schema.columns
        if column.kind == "categorical"
    ]
    report = build_report(
        _frame(test),
        _frame(synthetic),
        categorical=categorical,
        train=_frame(train),
        target=config.data.target,
        seed=config.train.seed,
    )
    report["inputs"] = {
        "corrgan_version": __version__,
        "real": _describe(run_dir / "test.parquet", test.num_rows, "held-out split"),
        "synthetic": _describe(synthetic_path, synthetic.num_rows, "generated"),
        "train": _describe(run_dir / "train.parquet", train.num_rows, "training split"),
    }
    _write(report, run_dir / REPORT_FILE)
    write_plots(
        _frame(test),
        _frame(synthetic),
        categorical=categorical,
        out_dir=run_dir / "plots",
    )
    return report


def score_tables(
    real_table: pa.Table,
    synthetic_table: pa.Table,
    train_table: pa.Table | None = None,
    *,
    target: str | None = None,
    categorical: list[str] | None = None,
    drop: list[str] | None = None,
    seed: int = 0,
    names: tuple[str, str] = ("", ""),
) -> tuple[dict[str, Any], list[str], list[pa.Table | None]]:
    """Check, type and score tables in memory: what ``corrgan report`` does
    between reading its inputs and writing its outputs.

    Columns named by ``drop``, and identifier columns (all values distinct
    text), are left out of every table before scoring; ``names`` are the real
    and synthetic tables' files, for the messages.

    Returns:
        The report (without ``inputs``), the categorical columns, and the three
        tables as scored.
    """
    from corrgan.report import build_report

    real_name, synthetic_name = (
        f"the {role} table {name}".rstrip()
        for role, name in zip(("real", "synthetic"), names, strict=True)
    )
    if synthetic_table.num_rows == 0:
        raise CorrganError(f"{synthetic_name} has no rows")
    if real_table.num_rows == 0:
        raise CorrganError(f"{real_name} has no rows")
    unknown = [
        name for name in categorical or [] if name not in real_table.schema.names
    ]
    if unknown:
        raise unknown_columns(
            "--categorical",
            unknown,
            real_table.schema.names,
            real_name,
            "rename a column that holds one to score it as categorical",
        )
    if target is not None and target not in real_table.schema.names:
        raise CorrganError(
            f"--target {target} is not a column of {real_name}; the columns are "
            f"{', '.join(real_table.schema.names)}"
        )
    # --drop may name a column of any table: one the synthetic table has in
    # excess is left out like one of the real table
    tables = [real_table, synthetic_table, train_table]
    present = {n for table in tables if table is not None for n in table.schema.names}
    missing = [name for name in drop or [] if name not in present]
    if missing:
        raise CorrganError(
            f"--drop names column(s) that no table has: {', '.join(missing)}; "
            f"the columns of {real_name} are {', '.join(real_table.schema.names)}"
        )
    real_names = real_table.schema.names
    settings = dict(
        target=target, drop=[name for name in drop or [] if name in real_names]
    )
    kinds, schema = _categorical_columns(real_table, categorical, real_name, **settings)
    if train_table is not None:
        # the real table is checked on its own above, and typed with the
        # training rows beside it
        pooled = _kind_sample(real_table, train_table)
        kinds, schema = _categorical_columns(pooled, categorical, real_name, **settings)
    left_out = list(dict.fromkeys([*schema.dropped, *(drop or [])]))
    tables = [_without(table, left_out) for table in tables]
    real_table, synthetic_table, train_table = tables
    report = build_report(
        _frame(real_table),
        _frame(synthetic_table),
        categorical=kinds,
        train=None if train_table is None else _frame(train_table),
        target=target,
        seed=seed,
    )
    report["settings"]["left_out"] = left_out
    return report, kinds, tables


def report_files(
    real_path: Path,
    synthetic_path: Path,
    json_path: Path,
    train_path: Path | None,
    target: str | None,
    plots: Path | None,
    categorical: list[str] | None,
    seed: int,
    drop: list[str] | None = None,
) -> str:
    """``corrgan report``: read the files, build, write; return a summary line.

    Columns named by ``drop``, and identifier columns (all values distinct
    text), are left out of every table before scoring.
    """
    from corrgan.report import write_plots

    # refuse outputs that cannot be written before the scoring, rather than a
    # bad --plots folder failing after the JSON has been written
    check_output_file(json_path)
    inputs = [path for path in (real_path, synthetic_path, train_path) if path]
    check_not_an_input(json_path, "--json", inputs)
    if plots is not None:
        check_output_folder(plots, fix="pick another --plots folder")

    real_table = TableSource(real_path).read()
    synthetic_table = TableSource(synthetic_path).read()
    train_table = TableSource(train_path).read() if train_path else None
    report, kinds, (real_table, synthetic_table, train_table) = score_tables(
        real_table,
        synthetic_table,
        train_table,
        target=target,
        categorical=categorical,
        drop=drop,
        seed=seed,
        names=(str(real_path), str(synthetic_path)),
    )
    report["inputs"] = {
        "corrgan_version": __version__,
        "real": _describe(real_path, real_table.num_rows, "real"),
        "synthetic": _describe(synthetic_path, synthetic_table.num_rows, "synthetic"),
        "train": None
        if train_table is None
        else _describe(train_path, train_table.num_rows, "train"),
    }
    _write(report, json_path)
    if plots is not None:
        write_plots(
            _frame(real_table),
            _frame(synthetic_table),
            categorical=kinds,
            out_dir=plots,
        )
    headline = report["summary"]["synthetic"]
    return (
        f"wrote {json_path}: Pearson mean |delta| "
        f"{_fmt(headline['pearson_mean_abs_delta'])}, column shapes "
        f"{_fmt(headline['column_shapes'])}, pair trends "
        f"{_fmt(headline['pair_trends_all_pairs'])}"
    )


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


SUMMARY_ROWS = [
    ("Pearson mean |delta| (pooled)", "pearson_mean_abs_delta"),
    ("Pearson mean |delta| (within class)", "within_class_pearson_mean_abs_delta"),
    ("Association mean |delta|", "association_mean_abs_delta"),
    ("Column Shapes", "column_shapes"),
    ("Column Pair Trends (all pairs)", "pair_trends_all_pairs"),
    ("Column Pair Trends (trend pairs)", "pair_trends_trend_pairs"),
    ("Train-on-synthetic macro-F1", "macro_f1"),
]


def print_summary(report: dict[str, Any], run_dir: Path) -> None:
    """A short table: the model against the floor and the baseline."""
    from rich.console import Console
    from rich.table import Table

    summary = report["summary"]
    roles = [
        role for role in ("synthetic", "floor", "independent") if summary.get(role)
    ]
    table = Table(title=f"fidelity on the held-out split ({run_dir / REPORT_FILE})")
    table.add_column("metric")
    for role in roles:
        table.add_column({"synthetic": "corrgan"}.get(role, role), justify="right")
    for label, key in SUMMARY_ROWS:
        values = [summary[role].get(key) for role in roles]
        if all(value is None for value in values):
            continue
        table.add_row(label, *(_fmt(value) for value in values))
    Console(stderr=False, width=100).print(table)
