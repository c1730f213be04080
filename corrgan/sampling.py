"""Streaming generated rows to Parquet or CSV, batch by batch.

Each batch goes through the generator (``eval()``, inference mode), the
inverse transform and the writer as one row group, so memory stays flat for
any row count; the file appears under its final name only when complete.
Batch ``i`` draws from a random stream seeded by ``(seed, i)``: the same
model, seed, row count and batch size give the same file.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch

from corrgan.config import MAX_SEED
from corrgan.errors import CorrganError
from corrgan.generation import generate_rows
from corrgan.io import TableWriter
from corrgan.model_store import TrainedModel
from corrgan.transform import CategoricalColumn

logger = logging.getLogger(__name__)

GENERATOR_CHUNK_ROWS = 8192
"""Rows per generator call on CPU: larger chunks fall out of the caches and
run about a quarter slower (docs/benchmarks.md)."""
MAX_LISTED_VALUES = 20
"""An unknown --where value lists at most this many of the known ones."""


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
        column_name, separator, value = text.partition("=")
        if not separator:
            raise CorrganError(f"--where {text!r} is not COLUMN=VALUE")
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
        known = [str(category) for category in column.categories]
        matches = [i for i, name in enumerate(known) if name == value]
        if not matches:
            lowered = [
                i for i, name in enumerate(known) if name.lower() == value.lower()
            ]
            matches = lowered
        if not matches:
            shown = ", ".join(repr(name) for name in known[:MAX_LISTED_VALUES])
            if len(known) > MAX_LISTED_VALUES:
                shown += f" and {len(known) - MAX_LISTED_VALUES} more"
            raise CorrganError(
                f"--where {text!r}: the model never saw {value!r} in {column_name}; "
                f"known values: {shown}"
            )
        if column.constant:
            continue
        levels[column_name] = matches[0]
    return levels


def generate_batches(
    model: TrainedModel,
    rows: int,
    seed: int = 0,
    batch_size: int = 100_000,
    where: dict[str, int] | None = None,
    device: str | torch.device = "cpu",
) -> Iterator[pa.Table]:
    """Yield generated tables of at most ``batch_size`` rows, ``rows`` in all."""
    groups = model.sampler.model_groups
    condition_groups = model.sampler.condition_groups
    chunk = GENERATOR_CHUNK_ROWS if torch.device(device).type == "cpu" else batch_size
    for number, start in enumerate(range(0, rows, batch_size)):
        size = min(batch_size, rows - start)
        rng = np.random.default_rng([seed, number])
        if where:
            condition = model.sampler.fixed(size, where)
        else:
            condition = model.sampler.sample_generation(size, rng)
        random = torch.Generator(device=device)
        random.manual_seed(int(rng.integers(0, 2**62)))

        # the generator runs on chunks whose activations stay in the CPU's
        # caches; the batch stays one row group
        chunks = [
            generate_rows(
                model.generator,
                model.layout,
                torch.from_numpy(part).to(device),
                groups,
                condition_groups,
                random,
            )
            for part in np.split(condition, range(chunk, size, chunk))
        ]
        matrix = torch.cat(chunks).float().cpu().numpy()
        yield model.transform.inverse(matrix)


def sample_to_file(
    model: TrainedModel,
    rows: int,
    path: Path,
    file_format: str,
    seed: int = 0,
    batch_size: int = 100_000,
    where: dict[str, int] | None = None,
    device: str | torch.device = "cpu",
) -> SampleSummary:
    """Write ``rows`` generated rows to ``path`` atomically."""
    if rows < 1:
        raise CorrganError(f"--rows must be at least 1, got {rows}")
    if batch_size < 1:
        raise CorrganError(f"--batch-size must be at least 1, got {batch_size}")
    if not 0 <= seed <= MAX_SEED:
        raise CorrganError(f"--seed must be in [0, {MAX_SEED}], got {seed}")
    started = time.perf_counter()
    batches = generate_batches(model, rows, seed, batch_size, where, device)
    schema = model.transform.output_schema
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
