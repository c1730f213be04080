"""Streaming generated rows to Parquet or CSV, batch by batch.

Each batch goes through the generator (``eval()``, inference mode), the
inverse transform and the writer as one row group, so memory stays flat for
any row count; the file appears under its final name only when complete.
Batch ``i`` draws from a random stream seeded by ``(seed, i)``: the same
model, seed, row count and batch size give the same file.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch

from corrgan.config import MAX_SEED
from corrgan.errors import CorrganError
from corrgan.generation import generate_rows
from corrgan.io import TableWriter, with_pandas_dtypes
from corrgan.model_store import TrainedModel
from corrgan.transform import CategoricalColumn

logger = logging.getLogger(__name__)

GENERATOR_CHUNK_ROWS = 2048
"""Rows per generator call on CPU. Small chunks on single-threaded workers
beat torch's own threads on large ones: the generator's operators are too
small to split well (docs/benchmarks.md)."""
MAX_LISTED_VALUES = 20
"""An unknown --where value lists at most this many of the known ones."""
NULL_SPELLINGS = {"", "null", "none", "nan", "na", "<na>", "<null>"}
"""How ``--where COLUMN=VALUE`` names a column's null category, case aside,
where no category has that text."""


@dataclass
class SampleSummary:
    rows: int
    seconds: float
    path: Path

    @property
    def rows_per_second(self) -> float:
        return self.rows / max(self.seconds, 1e-9)


def parse_where(model: TrainedModel, conditions: list[str]) -> dict[str, int]:
    """Turn ``COLUMN=VALUE`` strings into ``column -> level index``."""
    levels: dict[str, int] = {}
    seen: dict[str, str] = {}
    for text in conditions:
        if "=" not in text:
            raise CorrganError(f"--where {text!r} is not COLUMN=VALUE")
        column_name, value = _split_condition(text, model.transform.schema.names)
        if column_name in seen:
            raise CorrganError(
                f"--where {text!r}: {column_name} is already fixed by "
                f"--where {seen[column_name]!r}; a column takes one value per "
                "sample, so run corrgan sample once per value"
            )
        seen[column_name] = text
        names = model.transform.schema.names
        if column_name not in names:
            raise CorrganError(
                f"--where {text!r}: no column {column_name!r}; the columns are "
                f"{', '.join(names)}"
            )
        column = model.transform.column(column_name)
        if not isinstance(column, CategoricalColumn):
            raise CorrganError(
                f"--where {text!r}: {column_name} is not categorical; only "
                "categorical columns can be conditioned on"
            )
        level = _match_level(column, value)
        if level is None:
            known = [str(category) for category in column.categories]
            shown = ", ".join(repr(name) for name in known[:MAX_LISTED_VALUES])
            if len(known) > MAX_LISTED_VALUES:
                shown += f" and {len(known) - MAX_LISTED_VALUES} more"
            if column.has_null:
                shown += f", and null (--where {column_name}=null)"
            raise CorrganError(
                f"--where {text!r}: the model never saw {value!r} in {column_name}; "
                f"known values: {shown}"
            )
        if column.constant:
            continue
        levels[column_name] = level
    return levels


def _match_level(column: CategoricalColumn, value: str) -> int | None:
    """The level that ``value`` names: its text exactly, else ignoring case,
    else the same number (``1`` names the category ``1.0``), else the null
    level by a null spelling (``null``, ``none``, ``nan``, ``na`` or empty)."""
    known = [str(category) for category in column.categories]
    for same in (str.__eq__, lambda a, b: a.casefold() == b.casefold()):
        matches = [index for index, name in enumerate(known) if same(name, value)]
        if matches:
            return matches[0]
    number = _as_number(value)
    if number is not None:
        for index, category in enumerate(column.categories):
            if _as_number(category) == number:
                return index
    if column.has_null and value.strip().casefold() in NULL_SPELLINGS:
        return len(column.categories)
    return None


def _as_number(value: object) -> float | None:
    """``value`` as a finite float, or None for text that is not a number
    and for booleans, which name ``True``/``False`` only."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _split_condition(text: str, names: list[str]) -> tuple[str, str]:
    """``COLUMN=VALUE`` split at the first ``=`` that leaves a known column,
    so a column or a value may itself hold ``=``."""
    cuts = [index for index, character in enumerate(text) if character == "="]
    for cut in cuts:
        if text[:cut] in names:
            return text[:cut], text[cut + 1 :]
    return text[: cuts[0]], text[cuts[0] + 1 :]


def generate_batches(
    model: TrainedModel,
    rows: int,
    seed: int = 0,
    batch_size: int = 100_000,
    where: dict[str, int] | None = None,
    device: str | torch.device = "cpu",
    workers: int | None = None,
) -> Iterator[pa.Table]:
    """Yield generated tables of at most ``batch_size`` rows, ``rows`` in all.

    On CPU each batch is cut into chunks of ``GENERATOR_CHUNK_ROWS`` that
    ``workers`` threads (default: one per usable core) generate in parallel,
    one torch thread each, while the caller writes the previous batch. Each
    chunk draws from its own seeded stream, so the rows do not depend on the
    number of workers. While the iterator is open, torch runs on one thread
    in this process; its thread count is restored when the iterator ends or
    is closed.
    """
    if torch.device(device).type != "cpu":
        for chunks in _planned_chunks(model, rows, seed, batch_size, where, None):
            parts = [
                _generate_chunk(model, part, chunk_seed, device)
                for part, chunk_seed in chunks
            ]
            yield _inverse(model, parts)
        return

    workers = workers or usable_cores()
    pool = ThreadPoolExecutor(workers, thread_name_prefix="corrgan-sample")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        # batch i + 1 is generated while the caller writes batch i
        pending: list[Future] | None = None
        plan = _planned_chunks(
            model, rows, seed, batch_size, where, GENERATOR_CHUNK_ROWS
        )
        for chunks in plan:
            submitted = [
                pool.submit(_generate_chunk, model, part, chunk_seed, device)
                for part, chunk_seed in chunks
            ]
            if pending is not None:
                yield _inverse(model, [future.result() for future in pending])
            pending = submitted
        if pending is not None:
            yield _inverse(model, [future.result() for future in pending])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        torch.set_num_threads(threads)


def usable_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover - macOS and Windows


def _planned_chunks(
    model: TrainedModel,
    rows: int,
    seed: int,
    batch_size: int,
    where: dict[str, int] | None,
    chunk_rows: int | None,
) -> Iterator[list[tuple[np.ndarray, int]]]:
    """Per batch, its (conditions, seed) chunks; batch ``i`` seeded by
    ``(seed, i)``. The conditions are rows, or condition columns (one a row)
    for :func:`_generate_chunk` to expand."""
    for number, start in enumerate(range(0, rows, batch_size)):
        size = min(batch_size, rows - start)
        rng = np.random.default_rng([seed, number])
        # without --where, the condition column of each row: the workers build
        # their chunks' one-hot rows, a fraction of a batch's matrix each
        if where:
            condition = model.sampler.fixed(size, where)
        else:
            condition = model.sampler.sample_generation_levels(size, rng)
        step = chunk_rows or size
        parts = np.split(condition, range(step, size, step))
        seeds = rng.integers(0, 2**62, size=len(parts))
        yield [
            (part, int(chunk_seed))
            for part, chunk_seed in zip(parts, seeds, strict=True)
        ]


def _generate_chunk(
    model: TrainedModel,
    condition: np.ndarray,
    seed: int,
    device: str | torch.device,
) -> torch.Tensor:
    if condition.ndim == 1:
        condition = model.sampler.one_hot(condition)
    random = torch.Generator(device=device)
    random.manual_seed(seed)
    return generate_rows(
        model.generator,
        model.layout,
        torch.from_numpy(condition).to(device),
        model.sampler.model_groups,
        model.sampler.condition_groups,
        random,
    )


def _inverse(model: TrainedModel, parts: list[torch.Tensor]) -> pa.Table:
    matrix = parts[0] if len(parts) == 1 else torch.cat(parts)
    return model.transform.inverse(matrix.float().cpu().numpy())


def check_sample_request(
    rows: int,
    seed: int,
    batch_size: int,
    workers: int | None = None,
    flags: bool = True,
) -> None:
    """Refuse a row count, seed, batch size or thread count out of range.

    ``flags`` names them as the command line's flags; otherwise as the
    Python interface's arguments.
    """
    names = ("--rows", "--seed", "--batch-size", "--threads")
    if not flags:
        names = ("rows", "seed", "batch_size", "workers")
    checks = [
        (names[0], rows, 1, None),
        (names[1], seed, 0, MAX_SEED),
        (names[2], batch_size, 1, None),
    ]
    if workers is not None:
        checks.append((names[3], workers, 1, None))
    for name, value, low, high in checks:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise CorrganError(
                f"{name} must be a whole number, got {value!r} ({type(value).__name__})"
            )
        if high is not None and not low <= value <= high:
            raise CorrganError(f"{name} must be in [{low}, {high}], got {value}")
        if value < low:
            raise CorrganError(f"{name} must be at least {low}, got {value}")


def sample_to_file(
    model: TrainedModel,
    rows: int,
    path: Path,
    file_format: str,
    seed: int = 0,
    batch_size: int = 100_000,
    where: dict[str, int] | None = None,
    device: str | torch.device = "cpu",
    workers: int | None = None,
) -> SampleSummary:
    """Write ``rows`` generated rows to ``path`` atomically.

    ``workers`` is the number of CPU threads that generate (default: one per
    usable core); the file does not depend on it.
    """
    check_sample_request(rows, seed, batch_size, workers)
    started = time.perf_counter()
    batches = generate_batches(model, rows, seed, batch_size, where, device, workers)
    # pandas reads integer and boolean columns with nulls as Int64, boolean
    schema = with_pandas_dtypes(
        model.transform.output_schema, model.transform.nullable_columns()
    )
    with TableWriter(path, schema, file_format) as writer, _progress(rows) as advance:
        for table in batches:
            writer.write(table)
            advance(table.num_rows)
    return SampleSummary(rows, time.perf_counter() - started, Path(path))


class _progress:
    """A rich progress bar on a terminal, nothing otherwise."""

    def __init__(self, total: int) -> None:
        self.total = total
        self._bar = None

    def __enter__(self):
        if sys.stderr.isatty():
            from rich.progress import Progress

            self._bar = Progress(transient=True)
            self._bar.__enter__()
            task = self._bar.add_task("sampling", total=self.total)
            return lambda n: self._bar.advance(task, n)
        return lambda n: None

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
