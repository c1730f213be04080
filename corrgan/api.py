"""The Python interface: train on a table and draw rows without a shell.

What ``corrgan train`` and ``corrgan sample`` do, for a notebook or a script::

    import corrgan

    model = corrgan.fit(frame, target="label")        # a DataFrame or a path
    rows = model.sample(10_000, seed=1, where={"label": "rice"})
    model.sample_to_file("synthetic.parquet", 1_000_000)
    print(model.report["summary"]["synthetic"])       # the final stage's report
    model = corrgan.load("runs/latest")               # a run trained earlier
    report = corrgan.evaluate(holdout, rows, target="label")  # corrgan report

Every setting of ``corrgan/config.py`` is a keyword of :func:`fit` (``steps``,
``batch_size``, ``width``, ...); a run directory is written exactly as the
command line writes it, so either side can load what the other trained.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import torch

from corrgan.config import SECTIONS, RunConfig, load_config, merge_flags
from corrgan.errors import CorrganError
from corrgan.io import (
    NULLABLE_PANDAS_DTYPES,
    TableSource,
    check_output_folder,
    first_line,
    without_pandas_index,
    write_table,
)
from corrgan.model_store import TrainedModel, check_sample_output, load_model
from corrgan.pipeline import (
    RUNS_ROOT,
    check_new_run_folder,
    holds_a_run,
    new_run_dir,
    run_training,
)
from corrgan.sampling import (
    SampleSummary,
    check_sample_request,
    generate_batches,
    parse_where,
    sample_to_file,
)

Table = pd.DataFrame | pa.Table | Path | str
"""A table given to the Python interface: in memory, or a Parquet/CSV path."""

INPUT_FILE = "input.parquet"
"""Where :func:`fit` keeps an in-memory table, inside the run directory, so
that the run can be resumed and retraced like one trained from a file."""


class Synthesizer:
    """A trained corrgan model and the run directory it lives in."""

    def __init__(self, run_dir: Path | str) -> None:
        self.run_dir = Path(run_dir)
        self._model: TrainedModel = load_model(self.run_dir)

    def __repr__(self) -> str:
        columns = ", ".join(self._model.transform.schema.names)
        return f"Synthesizer({str(self.run_dir)!r}; columns: {columns})"

    @property
    def columns(self) -> list[str]:
        """The generated columns, in order."""
        return list(self._model.transform.schema.names)

    @property
    def report(self) -> dict[str, Any] | None:
        """The run's ``report.json`` (None when it held no rows out)."""
        path = self.run_dir / "report.json"
        return json.loads(path.read_text()) if path.exists() else None

    def sample(
        self,
        rows: int,
        *,
        seed: int = 0,
        where: dict[str, Any] | None = None,
        batch_size: int = 100_000,
    ) -> pd.DataFrame:
        """Generate ``rows`` rows as a DataFrame (same seed, same rows).

        Args:
            rows: How many rows.
            seed: The same seed gives the same rows as ``corrgan sample``'s.
            where: ``{column: value}``: categorical columns fixed to a value.
            batch_size: Rows generated and decoded at a time.
        """
        check_sample_request(rows, seed, batch_size, flags=False)
        levels = parse_where(self._model, _conditions(where))
        batches = generate_batches(self._model, rows, seed, batch_size, levels)
        nullable = self._model.transform.nullable_columns()
        return _to_pandas(pa.concat_tables(batches), nullable)

    def sample_to_file(
        self,
        path: Path | str,
        rows: int,
        *,
        seed: int = 0,
        where: dict[str, Any] | None = None,
        batch_size: int = 100_000,
    ) -> SampleSummary:
        """Stream ``rows`` rows to Parquet (or CSV, by suffix), atomically."""
        path = Path(path)
        file_format = "csv" if path.suffix.lower() == ".csv" else "parquet"
        check_sample_output(self.run_dir, path, "path")
        check_sample_request(rows, seed, batch_size, flags=False)
        levels = parse_where(self._model, _conditions(where))
        return sample_to_file(
            self._model, rows, path, file_format, seed, batch_size, levels
        )


def fit(
    data: pd.DataFrame | pa.Table | Path | str | None = None,
    *,
    out: Path | str | None = None,
    config: Path | str | Any | None = None,
    **settings: Any,
) -> Synthesizer:
    """Train on a table and return the model, as ``corrgan train`` does.

    Args:
        data: A DataFrame, an Arrow table, or a Parquet/CSV path; None trains
            on the built-in wine table.
        out: The run directory (default: a new one under ``runs/``).
        config: A TOML file, as ``--config``, or a ``RunConfig`` or one of
            its sections (``TrainConfig(steps=500)``); ``settings`` override it.
        settings: Any field of the config dataclasses, by name: ``target``,
            ``steps``, ``batch_size``, ``width``, ``test_fraction``, ...

    The training thread count is restored afterwards: corrgan trains on one
    thread by default, which would otherwise slow the rest of the session.
    """
    overrides = _sections(settings)
    run_dir = Path(out) if out is not None else None
    table = _in_memory(data)
    if table is not None:
        # in memory: kept in the run directory, which must be chosen first
        run_dir = run_dir or new_run_dir("table")
        data = run_dir / INPUT_FILE
    if data is not None:
        overrides["data"]["data"] = str(data)
    run_config = _run_config(config, overrides)
    if table is not None:
        if holds_a_run(run_dir):
            raise CorrganError(
                f"run directory {run_dir} already holds a run; pick another out"
            )
        check_output_folder(run_dir, fix="pick another out for the run directory")
        check_new_run_folder(run_dir, flag="out")
        with_nulls = [name for name in table.column_names if table[name].null_count]
        write_table(table, run_dir / INPUT_FILE, with_nulls)
    threads = torch.get_num_threads()
    own = frozenset({INPUT_FILE} if table is not None else ())
    try:
        outcome = run_training(run_config, run_dir, resume=False, own_files=own)
    except BaseException:
        # a run that failed before it began leaves no copy of the table behind
        if table is not None and not (run_dir / "config.json").exists():
            (run_dir / INPUT_FILE).unlink(missing_ok=True)
            if not any(run_dir.iterdir()):
                run_dir.rmdir()
        raise
    finally:
        torch.set_num_threads(threads)
    if outcome.result.interrupted:
        raise CorrganError(
            f"training was stopped by a signal; a checkpoint is in "
            f"{outcome.run_dir}: continue it with corrgan train --resume --out "
            f"{outcome.run_dir}"
        )
    return Synthesizer(outcome.run_dir)


def evaluate(
    real: Table,
    synthetic: Table,
    *,
    train: Table | None = None,
    target: str | None = None,
    categorical: list[str] | None = None,
    drop: list[str] | None = None,
    seed: int = 0,
    plots: Path | str | None = None,
) -> dict[str, Any]:
    """Score a synthetic table against real rows, as ``corrgan report`` does.

    Args:
        real: The real rows held out from training (a DataFrame, an Arrow
            table or a Parquet/CSV path).
        synthetic: The generated rows, with the real table's columns.
        train: The rows the generator learned from: adds the floor,
            train-on-real efficacy and the privacy section.
        target: A categorical column: adds within-class errors and efficacy.
        categorical: Columns to score as categorical besides the inferred ones.
        drop: Columns to leave out of every table.
        seed: Seeds every subsample and classifier.
        plots: A folder for the PNG heatmaps and marginal overlays.

    Returns:
        The report, as ``report.json`` holds it (docs/report.md), without the
        ``inputs`` section that names files.
    """
    from corrgan.final_report import score_tables
    from corrgan.report import write_plots

    # a lone name would be read letter by letter as column names
    for keyword, names in (("categorical", categorical), ("drop", drop)):
        if isinstance(names, str):
            raise CorrganError(
                f"evaluate's {keyword} must be a list of column names, got "
                f"{names!r} (a string); write {keyword}=[{names!r}]"
            )
    tables = [
        _arrow(real, "real"),
        _arrow(synthetic, "synthetic"),
        _arrow(train, "train"),
    ]
    names = tuple(
        str(t) if isinstance(t, (str, Path)) else "" for t in (real, synthetic)
    )
    report, kinds, scored = score_tables(
        *tables,
        target=target,
        categorical=categorical,
        drop=drop,
        seed=seed,
        names=names,
    )
    if plots is not None:
        write_plots(
            scored[0].to_pandas(),
            scored[1].to_pandas(),
            categorical=kinds,
            out_dir=Path(plots),
        )
    return report


def load(run_dir: Path | str = RUNS_ROOT / "latest") -> Synthesizer:
    """A model trained earlier, from its run directory (safetensors and JSON)."""
    return Synthesizer(run_dir)


def _run_config(config: Any, overrides: dict[str, dict[str, Any]]) -> RunConfig:
    """The run's settings from fit's ``config=`` and its keyword settings."""
    if config is None or isinstance(config, (str, os.PathLike)):
        return load_config(config, overrides)
    section = next(
        (name for name, cls in SECTIONS.items() if cls is type(config)), None
    )
    if isinstance(config, RunConfig):
        values = config.to_dict()
    elif section is not None:
        values = {section: dataclasses.asdict(config)}
    else:
        raise CorrganError(
            "config must be the path of a TOML file, a corrgan.config.RunConfig "
            "or one of its sections (DataConfig, ModelConfig, TrainConfig); got "
            f"{type(config).__name__}"
        )
    flagged = merge_flags(values, overrides)
    return RunConfig.from_dict(values, where="config", flagged=flagged)


def _sections(settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Keyword settings sorted into the config's sections, by field name."""
    # the table is fit's first argument, not a setting
    owners = {
        item.name: section
        for section, cls in SECTIONS.items()
        for item in dataclasses.fields(cls)
        if item.name != "data"
    }
    unknown = sorted(set(settings) - set(owners))
    if unknown:
        raise CorrganError(
            f"unknown setting(s) {', '.join(unknown)}; the settings are the "
            f"fields of corrgan.config: {', '.join(sorted(owners))}"
        )
    sections: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    for name, value in settings.items():
        sections[owners[name]][name] = value
    return sections


def _to_pandas(table: pa.Table, nullable: set[str]) -> pd.DataFrame:
    """``table`` as a DataFrame in which an integer or boolean column that may
    hold nulls stays integer or boolean (pandas' nullable dtypes), whether
    or not this sample drew a null."""
    frame = table.to_pandas()
    for name, column in zip(table.column_names, table.columns, strict=True):
        dtype = NULLABLE_PANDAS_DTYPES.get(column.type)
        if dtype is not None and (name in nullable or column.null_count):
            frame[name] = column.to_pandas(types_mapper={column.type: dtype}.get)
    return frame


def _in_memory(table: Table | None, role: str = "data") -> pa.Table | None:
    """A DataFrame or Arrow table as Arrow without pandas metadata; None for
    a path or None.

    As when pandas writes Parquet and corrgan reads it, a named index becomes
    a column and a plain or unnamed index is left out.
    """
    if isinstance(table, pd.DataFrame):
        table = _from_pandas(table, role)
    if isinstance(table, pa.Table):
        kept = without_pandas_index(table.schema, Path(f"the {role} table"))
        return table.select(kept.names).replace_schema_metadata(None)
    if table is None or isinstance(table, (str, os.PathLike)):
        return None
    hint = " (pandas.DataFrame(...) makes one of it)" if _tabular(table) else ""
    raise CorrganError(
        f"{role} must be a pandas DataFrame, a pyarrow Table or the path of a "
        f"Parquet or CSV file; got {type(table).__name__}{hint}"
    )


def _tabular(value: object) -> bool:
    return isinstance(value, (dict, list, tuple)) or hasattr(value, "__array__")


def _from_pandas(frame: pd.DataFrame, role: str) -> pa.Table:
    """``frame`` as Arrow, or an error naming the column Arrow cannot hold."""
    names = [str(name) for name in frame.columns]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise CorrganError(
            f"the {role} DataFrame has more than one column named "
            f"{', '.join(repr(name) for name in repeated)}; rename them so that "
            "every column name is unique"
        )
    try:
        return pa.Table.from_pandas(frame)
    except (pa.ArrowException, TypeError, ValueError) as err:
        failing = _failing_column(frame)
        where = f"column {failing!r} of the {role} DataFrame" if failing else role
        raise CorrganError(
            f"{where} cannot be converted to an Arrow table ({first_line(err)}); "
            "give it one type that Arrow holds (df[column].astype(str) for text "
            "mixed with numbers, dense for sparse data), or leave it out"
        ) from None


def _failing_column(frame: pd.DataFrame) -> str | None:
    for name in frame.columns:
        try:
            pa.Table.from_pandas(frame[[name]], preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError):
            return str(name)
    return None


def _arrow(table: Table | None, role: str) -> pa.Table | None:
    if table is None:
        return None
    in_memory = _in_memory(table, role)
    return in_memory if in_memory is not None else TableSource(table).read()


def _conditions(where: dict[str, Any] | None) -> list[str]:
    return [f"{column}={value}" for column, value in (where or {}).items()]
