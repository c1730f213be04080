"""Sampling throughput and training time: corrgan next to CTGAN, same machine.

Each sampling measurement runs in a fresh process (this module with
``--worker``) that loads the model, generates the rows, writes them to Parquet
and reports its own peak resident memory, so the memory is that run's alone.
corrgan samples through ``sample_to_file``, the code path of ``corrgan
sample``; CTGAN through SDV's ``sample(num_rows)`` followed by
``DataFrame.to_parquet``. Model loading is timed apart and not counted.

Training: corrgan's defaults through ``run_training`` (end to end) and CTGAN's
default ``fit`` on the same training split of the crop table. Given both
``--model`` and ``--ctgan-model``, nothing is trained and the training times
are left to the fidelity benchmark.

Example: python -m benchmarks.speed --rows 1000000 10000000
"""

from __future__ import annotations

import argparse
import inspect
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import common

logger = logging.getLogger("benchmarks.speed")

SAMPLING_TARGET_ROWS_PER_SECOND = 1_000_000
SAMPLING_TARGET_RATIO = 20.0
TRAINING_TARGET_RATIO = 5.0
CTGAN_PROBE_ROWS = 100_000
WARMUP_ROWS = 1_000


def _sample_batch_size() -> int:
    from corrgan.sampling import sample_to_file

    return inspect.signature(sample_to_file).parameters["batch_size"].default


def worker(kind: str, model: Path, rows: int, output: Path, seed: int) -> None:
    """Load one model, write ``rows`` rows to Parquet, print one JSON line."""
    import torch

    started = time.perf_counter()
    if kind == "corrgan":
        from corrgan.model_store import load_model

        trained = load_model(model)
    else:
        from sdv.utils import load_synthesizer

        trained = load_synthesizer(str(model))
        common.seed_everything(seed)
    load_seconds = time.perf_counter() - started

    # a small warm-up run, so one-time costs (lazy imports, first kernel
    # calls) are not charged to the measured rows
    from corrgan.sampling import generate_batches, sample_to_file

    with common.stopwatch() as warmup:
        if kind == "corrgan":
            for _ in generate_batches(trained, WARMUP_ROWS, seed + 1):
                pass
        else:
            common.sdv_sample(trained, WARMUP_ROWS)
    before = common.current_rss_mib()

    # generation and the Parquet file, timed together
    with common.stopwatch() as timing:
        if kind == "corrgan":
            sample_to_file(trained, rows, output, "parquet", seed)
        else:
            common.sdv_sample(trained, rows).to_parquet(output, index=False)
    print(
        json.dumps(
            {
                "model": kind,
                "rows": rows,
                "seconds": timing["seconds"],
                "rows_per_second": rows / timing["seconds"],
                "load_seconds": load_seconds,
                "warmup_rows": WARMUP_ROWS,
                "warmup_seconds": warmup["seconds"],
                "rss_before_sampling_mib": before,
                "peak_rss_mib": common.peak_rss_mib(),
                "file_bytes": output.stat().st_size,
                "torch_threads": torch.get_num_threads(),
                "load_average_after": list(os.getloadavg()),
            }
        )
    )


def measure(kind: str, model: Path, rows: int, work_dir: Path, seed: int) -> dict:
    """One sampling run in a fresh process; the file is removed afterwards."""
    output = work_dir / f"speed-{kind}-{rows}.parquet"
    command = [
        sys.executable,
        "-m",
        "benchmarks.speed",
        "--worker",
        kind,
        "--model",
        str(model),
        "--rows",
        str(rows),
        "--output",
        str(output),
        "--seed",
        str(seed),
    ]
    logger.info("sampling %d rows with %s", rows, kind)
    try:
        result = common.run_measured(command, timeout=3600)
    finally:
        output.unlink(missing_ok=True)
    logger.info(
        "%s: %d rows in %.2f s (%.0f rows/s), peak %.0f MiB",
        kind,
        rows,
        result["seconds"],
        result["rows_per_second"],
        result["peak_rss_mib"],
    )
    return result


def train_corrgan(data: Path, work_dir: Path, quick: bool) -> tuple[Path, dict]:
    """corrgan with its defaults on the crop table's seed-0 split, timed."""
    from benchmarks.fidelity import corrgan_config
    from corrgan.pipeline import run_training

    config = corrgan_config(str(data), common.CROP_TARGET, 0, "corrgan", quick)
    run_dir = work_dir / "speed-corrgan"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    with common.stopwatch() as timing:
        outcome = run_training(config, run_dir, resume=False)
    return run_dir, {
        "seconds": timing["seconds"],
        "means": "run_training end to end, its own report and plots included",
        "train_loop_seconds": outcome.result.seconds,
        "steps": outcome.result.steps_done,
    }


def train_ctgan(data: Path, work_dir: Path, quick: bool) -> tuple[Path, dict]:
    """CTGAN with its defaults on the same split, timed, saved for the workers."""
    table = common.read_table(data)
    split = common.split_table(table, common.CROP_TARGET, 0)
    categorical = common.categorical_columns(table, common.CROP_TARGET, str(data))
    synthesizer, settings = common.make_peer("ctgan", split.train, categorical, quick)
    # SDV's default threads, whatever corrgan's training in this process set
    import torch

    torch.set_num_threads(common.peer_default_threads())
    common.seed_everything(0)
    with common.stopwatch() as timing:
        common.sdv_fit(synthesizer, split.train)
    saved = work_dir / "speed-ctgan.pkl"
    saved.parent.mkdir(parents=True, exist_ok=True)
    synthesizer.save(str(saved))
    return saved, {
        "seconds": timing["seconds"],
        "means": "fit(), preprocessing included",
        "settings": settings,
        "torch_threads": torch.get_num_threads(),
    }


def verdict(value: float | None, target: float) -> str | None:
    if value is None:
        return None
    return "met" if value >= target else "not met"


def ctgan_sampling(
    model: Path, rows: int, work_dir: Path, max_seconds: float
) -> dict[str, Any]:
    """CTGAN at ``rows`` rows if its 100k-row rate says it fits, else extrapolated."""
    probe = measure("ctgan", model, min(CTGAN_PROBE_ROWS, rows), work_dir, 0)
    if probe["rows"] == rows:
        return {"measured": probe, "probe": probe, "extrapolated": False}
    predicted = rows / probe["rows_per_second"]
    if predicted <= max_seconds:
        return {
            "measured": measure("ctgan", model, rows, work_dir, 0),
            "probe": probe,
            "extrapolated": False,
        }
    return {
        "measured": None,
        "probe": probe,
        "extrapolated": True,
        "predicted_seconds": predicted,
        "note": (
            f"{rows} rows would take about {predicted:.0f} s at the rate measured "
            f"at {probe['rows']} rows, over the {max_seconds:.0f} s allowed; the "
            "ratio uses the measured rate at that size"
        ),
    }


def main(argv: list[str] | None = None) -> None:
    """Parse the flags, run the measurements, write the JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.speed", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--model", type=Path, help="a trained corrgan run directory")
    parser.add_argument("--ctgan-model", type=Path, help="a saved SDV CTGAN (.pkl)")
    parser.add_argument("--data", type=Path, default=common.CROP_CSV)
    parser.add_argument(
        "--ctgan-rows",
        type=int,
        default=1_000_000,
        help="rows CTGAN samples, if its rate at 100k rows says it fits",
    )
    parser.add_argument(
        "--ctgan-max-seconds",
        type=float,
        default=600.0,
        help="longest CTGAN sampling run allowed before extrapolating",
    )
    parser.add_argument("--work", type=Path, default=common.WORK_DIR)
    parser.add_argument("--out", type=Path, default=common.RESULTS_DIR / "speed.json")
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument(
        "--worker", choices=["corrgan", "ctgan"], help=argparse.SUPPRESS
    )
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.model, args.rows[0], args.output, args.seed)
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    from benchmarks.fidelity import quiet_peer_logs

    quiet_peer_logs()
    args.work.mkdir(parents=True, exist_ok=True)
    payload: dict[str, Any] = {
        "benchmark": "speed",
        "command": common.command_line(),
        "machine": common.machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "data": str(args.data),
        "sample_batch_size": _sample_batch_size(),
    }

    # training: corrgan defaults and CTGAN defaults, unless both are given
    training: dict[str, Any] = {}
    corrgan_model, ctgan_model = args.model, args.ctgan_model
    if corrgan_model is None or ctgan_model is None:
        payload["imported_before_timing"] = common.warm_imports()
    if corrgan_model is None:
        corrgan_model, training["corrgan"] = train_corrgan(
            args.data, args.work, args.quick
        )
    if ctgan_model is None:
        ctgan_model, training["ctgan"] = train_ctgan(args.data, args.work, args.quick)
    if "corrgan" in training and "ctgan" in training:
        ratio = training["ctgan"]["seconds"] / training["corrgan"]["seconds"]
        training["ctgan_over_corrgan"] = ratio
        training["target"] = f">= {TRAINING_TARGET_RATIO}x faster than CTGAN"
        training["verdict"] = verdict(ratio, TRAINING_TARGET_RATIO)
    else:
        training["note"] = (
            "not both trained in this run; see the fidelity benchmark, which "
            "times both on the same splits"
        )
    payload["training"] = training
    payload["models"] = {"corrgan": str(corrgan_model), "ctgan": str(ctgan_model)}

    # sampling: corrgan at each size, CTGAN at one
    payload["corrgan_sampling"] = [
        measure("corrgan", corrgan_model, rows, args.work, 0) for rows in args.rows
    ]
    ctgan = ctgan_sampling(
        ctgan_model, args.ctgan_rows, args.work, args.ctgan_max_seconds
    )
    payload["ctgan_sampling"] = ctgan

    # the ratio at the CTGAN size (or the nearest corrgan size), and the verdicts
    ctgan_run = ctgan["measured"] or ctgan["probe"]
    nearest = min(
        payload["corrgan_sampling"], key=lambda run: abs(run["rows"] - args.ctgan_rows)
    )
    ratio = nearest["rows_per_second"] / ctgan_run["rows_per_second"]
    at_million = [
        run for run in payload["corrgan_sampling"] if run["rows"] >= 1_000_000
    ]
    slowest = min((run["rows_per_second"] for run in at_million), default=None)
    payload["targets"] = {
        "corrgan_rows_per_second": {
            "target": f">= {SAMPLING_TARGET_ROWS_PER_SECOND} rows/s at 1M+ rows",
            "value": slowest,
            "verdict": verdict(slowest, SAMPLING_TARGET_ROWS_PER_SECOND),
        },
        "sampling_ratio": {
            "target": f">= {SAMPLING_TARGET_RATIO}x CTGAN",
            "corrgan_rows": nearest["rows"],
            "ctgan_rows": ctgan_run["rows"],
            "ctgan_extrapolated": ctgan["extrapolated"],
            "value": ratio,
            "verdict": verdict(ratio, SAMPLING_TARGET_RATIO),
        },
        "training_ratio": {
            "target": training.get("target"),
            "value": training.get("ctgan_over_corrgan"),
            "verdict": training.get("verdict"),
        },
    }
    common.write_result(payload, args.out)
    logger.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
