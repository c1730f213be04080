"""What every benchmark shares: the table, the split, timing, memory, the machine.

Every benchmark reads the crop table (or the generated copula table), splits it
with corrgan's own seeded split so that every model sees the same training and
held-out rows, times what it runs, and writes one JSON file that names the
command and the machine it ran on. The SDV peers are built, fitted and sampled
here too, the same way for the fidelity and the speed benchmarks.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

REPO = Path(__file__).resolve().parents[1]
CROP_CSV = REPO.parent / "shared" / "data" / "crop_recommendation.csv"
CROP_TARGET = "label"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
WORK_DIR = Path("/tmp/corrgan-benchmarks")


@dataclass
class Split:
    """One seeded train/test split of a table, as frames and as Arrow tables."""

    train: pd.DataFrame
    test: pd.DataFrame
    train_table: pa.Table
    test_table: pa.Table
    seed: int
    test_fraction: float


def read_table(path: Path | str) -> pa.Table:
    """Read a CSV or Parquet table the way ``corrgan train`` reads it."""
    from corrgan.io import TableSource

    return TableSource(path).read()


def split_table(table: pa.Table, target: str | None, seed: int) -> Split:
    """corrgan's stratified split, at corrgan's default test fraction."""
    from corrgan.config import DataConfig, default
    from corrgan.pipeline import split_rows

    fraction = default(DataConfig, "test_fraction")
    train, test = split_rows(table, fraction, target, seed)
    return Split(train.to_pandas(), test.to_pandas(), train, test, seed, fraction)


def categorical_columns(table: pa.Table, target: str | None, where: str) -> list[str]:
    """The columns corrgan's schema inference calls categorical."""
    from corrgan.config import DataConfig
    from corrgan.schema import infer_schema

    config = DataConfig(target=target)
    schema = infer_schema(table, config, where)
    return [column.name for column in schema.columns if column.kind == "categorical"]


SHARED_IMPORTS = ("torch._dynamo", "sklearn.ensemble", "matplotlib.figure")
"""Libraries that the first fit in a process would otherwise import inside its
timing: torch's optimisers import ``torch._dynamo`` when first built (about
1.5 s), and corrgan's final stage imports scikit-learn and matplotlib. The
models share one process, so whichever ran first paid them."""


def warm_imports() -> dict[str, float]:
    """Import ``SHARED_IMPORTS`` before any fit is timed; seconds per module."""
    import importlib

    seconds = {}
    for name in SHARED_IMPORTS:
        started = time.perf_counter()
        importlib.import_module(name)
        seconds[name] = round(time.perf_counter() - started, 3)
    return seconds


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """Measure the wall time of a block into ``timing["seconds"]``."""
    timing: dict[str, float] = {}
    started = time.perf_counter()
    try:
        yield timing
    finally:
        timing["seconds"] = time.perf_counter() - started


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux: KiB units)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    """Resident memory of this process now, in MiB."""
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def run_measured(
    command: list[str], timeout: float, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run a worker command in a fresh process and parse its last JSON line.

    The worker reports its own peak memory (``getrusage`` of itself), so the
    number belongs to that run alone and not to anything this process did.
    ``env`` is added to this process's environment.
    """
    completed = subprocess.run(
        command,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=None if env is None else {**os.environ, **env},
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"worker {shlex.join(command)} failed with exit code "
            f"{completed.returncode}:\n{completed.stderr[-3000:]}"
        )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1])


def _lscpu_model() -> str:
    try:
        text = subprocess.run(
            ["lscpu"], capture_output=True, text=True, check=False
        ).stdout
    except OSError:
        return platform.processor() or "unknown"
    for line in text.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _git_revision() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=False
        ).stdout.strip()

    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "-s"))}


def machine() -> dict[str, Any]:
    """The machine and software a result was measured on."""
    import torch

    import corrgan

    try:
        import sdv

        sdv_version = sdv.__version__
    except ImportError:
        sdv_version = None
    return {
        "cpu_model": _lscpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "load_average_at_start": list(os.getloadavg()),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "pandas": pd.__version__,
        "sdv": sdv_version,
        "corrgan": corrgan.__version__,
        "git": _git_revision(),
        "platform": platform.platform(),
    }


def command_line() -> str:
    """The command that produced a result, as it would be typed."""
    module = Path(sys.argv[0]).stem
    return shlex.join(["python", "-m", f"benchmarks.{module}", *sys.argv[1:]])


def write_result(payload: dict[str, Any], path: Path) -> Path:
    """Write a result JSON (with a trailing newline), creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(payload, indent=1, allow_nan=False) + "\n")
    os.replace(temporary, path)
    return path


def mean_and_std(values: list[float | None]) -> dict[str, float | int | None]:
    """Mean and sample standard deviation of the defined values."""
    import numpy as np

    present = [float(value) for value in values if value is not None]
    if not present:
        return {"mean": None, "std": None, "n": 0}
    spread = float(np.std(present, ddof=1)) if len(present) > 1 else None
    return {"mean": float(np.mean(present)), "std": spread, "n": len(present)}


# the peers: SDV synthesizers, each with its own defaults; SDV is imported
# only where a peer is used, so corrgan's own runs never need it
PEERS = {
    "ctgan": "CTGANSynthesizer",
    "tvae": "TVAESynthesizer",
    "gaussian_copula": "GaussianCopulaSynthesizer",
}
SDV_TABLE = "table"
QUICK_EPOCHS = 1


def _sdv_major() -> int:
    import sdv

    return int(sdv.__version__.split(".")[0])


def make_peer(name: str, train: pd.DataFrame, categorical: list[str], quick: bool):
    """An SDV synthesizer at its defaults (one epoch under --quick)."""
    import inspect

    import sdv.single_table as single_table
    from sdv.metadata import Metadata

    metadata = Metadata.detect_from_dataframes({SDV_TABLE: train})
    for column in categorical:
        metadata.update_column(column, table_name=SDV_TABLE, sdtype="categorical")
    synthesizer_class = getattr(single_table, PEERS[name])
    parameters = inspect.signature(synthesizer_class.__init__).parameters
    options = {}
    if quick and "epochs" in parameters:
        options["epochs"] = QUICK_EPOCHS
    synthesizer = synthesizer_class(metadata, **options)
    settings = {
        key: value
        for key, value in synthesizer.get_parameters().items()
        if isinstance(value, (int, float, str, bool, type(None), list, tuple))
    }
    return synthesizer, settings


def sdv_fit(synthesizer, train: pd.DataFrame) -> None:
    """Fit across SDV versions: 2.x takes a dict of tables, 1.x a frame."""
    synthesizer.fit({SDV_TABLE: train} if _sdv_major() >= 2 else train)


def sdv_sample(synthesizer, rows: int) -> pd.DataFrame:
    """Sample across SDV versions: 2.x returns a dict of tables."""
    sampled = synthesizer.sample(num_rows=rows)
    return sampled[SDV_TABLE] if isinstance(sampled, dict) else sampled


def peer_default_threads() -> int:
    """torch's default thread count, which the SDV peers run at: every core."""
    from corrgan.sampling import usable_cores

    return usable_cores()


def seed_everything(seed: int) -> None:
    """Seed the global generators SDV draws from."""
    import random

    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def fit_peer(
    name: str,
    split: Split,
    dataset: dict[str, Any],
    seed: int,
    quick: bool,
    rows: int,
    work_dir: Path,
    threads: int | None = None,
) -> tuple[pd.DataFrame, dict[str, Any], Callable[[int], pd.DataFrame]]:
    """Fit a peer on the training split, time it, sample ``rows`` rows, save it.

    The peer runs on ``threads`` torch threads, by default torch's own default
    (every usable core), whatever an earlier corrgan run in this process set.
    Also returns a function that draws another ``rows`` rows from the fitted
    peer with a given seed.
    """
    import torch

    torch.set_num_threads(threads or peer_default_threads())
    synthesizer, settings = make_peer(name, split.train, dataset["categorical"], quick)
    seed_everything(seed)
    with stopwatch() as fit_timing:
        sdv_fit(synthesizer, split.train)
    with stopwatch() as sample_timing:
        synthetic = sdv_sample(synthesizer, rows)
    saved = work_dir / f"{dataset['name']}-{name}-seed{seed}.pkl"
    saved.parent.mkdir(parents=True, exist_ok=True)
    synthesizer.save(str(saved))
    info = {
        "fit_seconds": fit_timing["seconds"],
        "fit_seconds_means": "the synthesizer's fit(), preprocessing included",
        "sample_seconds": sample_timing["seconds"],
        "settings": settings,
        "saved_model": str(saved),
        "torch_threads": torch.get_num_threads(),
    }

    def draw(draw_seed: int) -> pd.DataFrame:
        seed_everything(draw_seed)
        return sdv_sample(synthesizer, rows)

    return synthetic, info, draw
