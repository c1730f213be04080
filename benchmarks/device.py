"""Training and sampling speed on a GPU in fp32 and bf16, next to the CPU.

The one prepared script for a machine with a GPU (about 3 to 6 minutes on
one GPU, well inside a 10-minute slot): on the crop table's seed-0 split, it
measures corrgan's training milliseconds per step with its defaults, and its
sampling rows/s to Parquet at each ``--rows`` size, once per precision on the
GPU (fp32, and bf16 through ``--mixed-precision bf16`` for training and
``torch.autocast`` for sampling), and the same in fp32 on the same machine's
CPU (sampling on the CPU at the smallest size only, to stay inside the
slot). Each measurement runs in a fresh process; sampling also reports the
generator alone (no inverse transform, no file) so that the GPU's share is
visible. Without a GPU every GPU row is recorded as skipped, so the script
can be smoke-tested anywhere.

Example: python -m benchmarks.device --out benchmarks/results/device.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import common

logger = logging.getLogger("benchmarks.device")

PRECISIONS = ["fp32", "bf16"]
GENERATOR_ONLY_ROWS = 1_000_000
WARMUP_ROWS = 10_000


def _autocast(device: str, precision: str):
    import torch

    kind = "cuda" if device.startswith("cuda") else "cpu"
    return torch.autocast(kind, dtype=torch.bfloat16, enabled=precision == "bf16")


def train_worker(data: Path, precision: str, steps: int, run_dir: Path) -> dict:
    """corrgan's defaults for ``steps`` steps; ms/step from metrics.jsonl."""
    import torch

    from benchmarks.fidelity import corrgan_config
    from corrgan.pipeline import run_training

    config = corrgan_config(str(data), common.CROP_TARGET, 0, "corrgan", False)
    config.train.steps = steps
    config.train.log_every = max(1, steps // 10)
    config.train.checkpoint_every = 0
    config.train.mixed_precision = "bf16" if precision == "bf16" else "no"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    with common.stopwatch() as timing:
        outcome = run_training(config, run_dir, resume=False)
    records = [
        json.loads(line)
        for line in (run_dir / "metrics.jsonl").read_text().splitlines()
        if line.strip()
    ]
    # the first interval carries the warm-up (first kernels, allocator)
    per_step = [record["ms_per_step"] for record in records[1:]] or [
        record["ms_per_step"] for record in records
    ]
    return {
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "device_name": torch.cuda.get_device_name(0)
        if torch.cuda.is_available()
        else common.machine()["cpu_model"],
        "precision": precision,
        "steps": outcome.result.steps_done,
        "median_ms_per_step": statistics.median(per_step),
        "steps_per_second": 1000.0 / statistics.median(per_step),
        "train_loop_seconds": outcome.result.seconds,
        "run_training_seconds": timing["seconds"],
        "torch_threads": torch.get_num_threads(),
    }


def sample_worker(model: Path, device: str, precision: str, rows: int) -> dict:
    """Rows/s to Parquet through sample_to_file, and of the generator alone."""
    import numpy as np
    import torch

    from corrgan.generation import generate_rows
    from corrgan.model_store import load_model
    from corrgan.sampling import sample_to_file

    def synchronize() -> None:
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    trained = load_model(model, device=device)
    output = model.parent / f"device-sample-{os.getpid()}.parquet"
    try:
        with _autocast(device, precision):
            sample_to_file(trained, WARMUP_ROWS, output, "parquet", 1, device=device)
            synchronize()
            with common.stopwatch() as timing:
                sample_to_file(trained, rows, output, "parquet", 0, device=device)
                synchronize()

            # the generator alone, on batches of conditions already on the device
            total = min(GENERATOR_ONLY_ROWS, rows)
            batch = min(100_000, total)
            condition = torch.from_numpy(
                trained.sampler.sample_generation(batch, np.random.default_rng(0))
            ).to(device)
            groups = trained.sampler.model_groups, trained.sampler.condition_groups
            generate_rows(trained.generator, trained.layout, condition, *groups)
            synchronize()
            started = time.perf_counter()
            for _ in range(total // batch):
                generate_rows(trained.generator, trained.layout, condition, *groups)
            synchronize()
            generator_seconds = time.perf_counter() - started
    finally:
        output.unlink(missing_ok=True)
    return {
        "device": device,
        "precision": precision,
        "rows": rows,
        "seconds": timing["seconds"],
        "rows_per_second": rows / timing["seconds"],
        "generator_only_rows_per_second": total // batch * batch / generator_seconds,
        "peak_rss_mib": common.peak_rss_mib(),
        "torch_threads": torch.get_num_threads(),
    }


def _worker_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "benchmarks.device", *args]


def main(argv: list[str] | None = None) -> None:
    """Run every measurement in its own process and write one JSON file."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.device", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--data", type=Path, default=common.CROP_CSV)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--steps", type=int, default=300, help="training steps per run")
    parser.add_argument("--work", type=Path, default=common.WORK_DIR)
    parser.add_argument("--out", type=Path, default=common.RESULTS_DIR / "device.json")
    parser.add_argument("--worker", choices=["train", "sample"], help=argparse.SUPPRESS)
    parser.add_argument("--device", default="cpu", help=argparse.SUPPRESS)
    parser.add_argument("--precision", default="fp32", help=argparse.SUPPRESS)
    parser.add_argument("--model", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "train":
        result = train_worker(args.data, args.precision, args.steps, args.run_dir)
        print(json.dumps(result))
        return
    if args.worker == "sample":
        result = sample_worker(args.model, args.device, args.precision, args.rows[0])
        print(json.dumps(result))
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    import torch

    has_gpu = torch.cuda.is_available()
    payload: dict[str, Any] = {
        "benchmark": "device",
        "command": common.command_line(),
        "machine": common.machine(),
        "gpu": torch.cuda.get_device_name(0) if has_gpu else None,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "training": [],
        "sampling": [],
    }
    cpu_only = {"CUDA_VISIBLE_DEVICES": ""}

    # training: each precision on the GPU, fp32 on the CPU
    plans = [("gpu", precision) for precision in PRECISIONS] + [("cpu", "fp32")]
    models: dict[str, Path] = {}
    for where, precision in plans:
        if where == "gpu" and not has_gpu:
            payload["training"].append(
                {"device": "cuda", "precision": precision, "skipped": "no GPU"}
            )
            continue
        run_dir = args.work / f"device-train-{where}-{precision}"
        command = _worker_command(
            "--worker", "train", "--precision", precision, "--steps", str(args.steps),
            "--data", str(args.data), "--run-dir", str(run_dir),
        )  # fmt: skip
        env = cpu_only if where == "cpu" else None
        logger.info("training on %s in %s for %d steps", where, precision, args.steps)
        measured = common.run_measured(command, timeout=1800, env=env)
        logger.info(
            "%s %s: %.1f ms/step", where, precision, measured["median_ms_per_step"]
        )
        payload["training"].append(measured)
        models.setdefault(where, run_dir)
        common.write_result(payload, args.out)

    # sampling: the GPU-trained model where there is one, else the CPU's
    model = models.get("gpu", models.get("cpu"))
    for rows in args.rows:
        for where, precision in [("gpu", p) for p in PRECISIONS] + [("cpu", "fp32")]:
            if where == "gpu" and not has_gpu:
                payload["sampling"].append(
                    {"device": "cuda", "precision": precision, "rows": rows,
                     "skipped": "no GPU"}
                )  # fmt: skip
                continue
            if where == "cpu" and rows != min(args.rows):
                continue
            device = "cuda" if where == "gpu" else "cpu"
            command = _worker_command(
                "--worker", "sample", "--model", str(model), "--device", device,
                "--precision", precision, "--rows", str(rows),
            )  # fmt: skip
            env = cpu_only if where == "cpu" else None
            logger.info("sampling %d rows on %s in %s", rows, where, precision)
            measured = common.run_measured(command, timeout=1800, env=env)
            logger.info(
                "%s %s: %.0f rows/s to Parquet, generator alone %.0f rows/s",
                where,
                precision,
                measured["rows_per_second"],
                measured["generator_only_rows_per_second"],
            )
            payload["sampling"].append(measured)
            common.write_result(payload, args.out)
    payload["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    common.write_result(payload, args.out)
    logger.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
