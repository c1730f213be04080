"""Shared fixtures: table writers, the two ways of running the CLI, a tiny model.

The command line is run in two ways. ``run_cli`` calls the Typer app in this
process (fast: torch is imported once); click's runner keeps stdout and stderr
apart and reports the exit code the process would have had. ``run_process``
starts ``python -m corrgan`` for the few checks that need a real process.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from corrgan.cli import app

REPO = Path(__file__).parents[1]
CROP_CSV = REPO / ".." / "shared" / "data" / "crop_recommendation.csv"

# rows of the table the shared tiny model is trained on
TINY_ROWS = 40


@dataclass
class CliResult:
    """What one command-line run left: exit code and the two streams."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("Error: ")]


def clean_env() -> dict[str, str]:
    """The current environment without corrgan's or a launcher's variables."""
    launcher = {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"}
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CORRGAN_") and key not in launcher
    }


def invoke(args: list[str], cwd: Path) -> CliResult:
    """Run the CLI in this process, from ``cwd``, and restore the logging setup.

    The commands point the ``corrgan`` logger at the runner's stderr and stop
    it propagating; putting it back keeps ``caplog`` working in later tests.
    """
    logger = logging.getLogger("corrgan")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, args, prog_name="corrgan")
    finally:
        os.chdir(previous)
        logger.handlers[:], logger.level, logger.propagate = saved
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CliResult(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., CliResult]:
    """Run ``corrgan ARGS`` in this process with ``tmp_path`` as working directory.

    An exception other than the CLI's own exit is re-raised, so a crash shows
    its traceback in the test report instead of passing as exit code 1.
    """

    def run(*args: str | Path) -> CliResult:
        return invoke([str(arg) for arg in args], tmp_path)

    return run


@pytest.fixture
def run_process(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess]:
    """Run ``python -m corrgan ARGS`` as a child process in ``tmp_path``."""

    def run(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "corrgan", *map(str, args)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=timeout,
        )

    return run


def write_table(table: pa.Table, path: Path) -> Path:
    """Write ``table`` as Parquet or CSV, as the suffix says."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        pa_csv.write_csv(table, path)
    else:
        pq.write_table(table, path)
    return path


@pytest.fixture
def tmp_table(tmp_path: Path) -> Callable[..., Path]:
    """Write a table (an Arrow table or a dict of columns) under ``tmp_path``."""

    def write(table: pa.Table | dict, name: str = "table.parquet") -> Path:
        if isinstance(table, dict):
            table = pa.table(table)
        return write_table(table, tmp_path / name)

    return write


@pytest.fixture
def crop_path() -> Path:
    """The crop recommendation CSV from the shared data folder."""
    if not CROP_CSV.is_file():
        pytest.skip(f"shared data file {CROP_CSV.resolve()} is absent")
    return CROP_CSV


def tiny_table(rows: int = TINY_ROWS, seed: int = 0) -> pa.Table:
    """A small mixed table with two constant columns (one number, one string)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    return pa.table(
        {
            "x": x,
            "y": 2.0 * x + rng.normal(scale=0.1, size=rows),
            "count": pa.array(rng.integers(0, 1000, rows), pa.int32()),
            "colour": rng.choice(["red", "green", "blue"], rows),
            "level": pa.array(3.5 * np.ones(rows), pa.float32()),
            "site": pa.array(["north"] * rows),
        }
    )


# a config small enough to train in seconds; the flags below override two keys
TINY_CONFIG = """\
[data]
test_fraction = 0.5

[model]
width = 16
heads = 2
discriminator_width = 32

[train]
steps = 40
batch_size = 16
log_every = 1
probe_rows = 64
checkpoint_every = 0
"""


@dataclass
class TrainedRun:
    """A finished ``corrgan train`` run on :func:`tiny_table`."""

    run_dir: Path
    data: Path
    config: Path
    result: CliResult


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> TrainedRun:
    """Train one tiny model per test session and share its run directory.

    Treat it as read-only: copy it before altering any file.
    """
    root = tmp_path_factory.mktemp("trained")
    data = write_table(tiny_table(), root / "tiny.parquet")
    config = root / "tiny.toml"
    config.write_text(TINY_CONFIG)
    run_dir = root / "run"
    args = ["train", "--data", str(data), "--config", str(config), "--out"]
    args += [str(run_dir), "--steps", "2", "--test-fraction", "0"]
    result = invoke(args, root)
    assert result.exit_code == 0, result.stderr
    return TrainedRun(run_dir, data, config, result)
