"""Training speed on the CPU by thread count, alone and beside a busy process.

corrgan's step is many small operators. With several OpenMP threads each one
ends at a barrier, so a thread that the scheduler takes off its core holds up
the others; a single thread has no barrier to wait at. This benchmark puts
numbers on that trade: for each thread count from 1 to the usable cores, it
trains corrgan's defaults on the crop table's seed-0 split for ``--steps``
steps: on an otherwise idle machine; beside one CPU-bound process at the
same priority (a pure-Python loop standing in for a browser tab, a notebook
kernel or a second job); beside the same process at the lowest priority
(``nice 19``); beside one such process per core (a machine that other jobs
already fill); beside another PyTorch job at torch's defaults (all cores,
small matrix products), as when two trainings share a machine; and beside a
process that works in bursts of a millisecond with a millisecond's sleep
between them (as a package install or a test suite does). Each run is a
fresh process; ms/step comes from the loop's own clock (no report is
built).

With more than one thread, ``--waits`` also varies how an idle OpenMP
thread waits for the next operator: passively (it sleeps at once), or
spinning for a bounded count before it sleeps (``GOMP_SPINCOUNT``, read by
GNU OpenMP, the runtime of the Linux wheels of torch). One thread has no
team to wait for, so it runs once per load.

Example: python -m benchmarks.threads --out benchmarks/results/threads.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import common

logger = logging.getLogger("benchmarks.threads")

# a CPU-bound process of one thread, and another PyTorch job at torch's
# defaults (every core, OpenMP's own wait policy) doing small matrix products
BUSY_LOOP = "while True:\n    pass\n"
TORCH_JOB = (
    "import torch\na = torch.randn(256, 256)\nwhile True:\n    a = torch.tanh(a @ a)\n"
)
# work in short bursts, a millisecond on and a millisecond off, as a package
# install, a test suite or an editor's background work does
BURSTS = (
    "import time\n"
    "while True:\n"
    "    started = time.perf_counter()\n"
    "    while time.perf_counter() - started < 0.001:\n"
    "        pass\n"
    "    time.sleep(0.001)\n"
)
# what runs beside the training process: how many of which program (None:
# one per usable core) at which niceness
LOADS: dict[str, tuple[int | None, str, int]] = {
    "idle": (0, BUSY_LOOP, 0),
    "busy": (1, BUSY_LOOP, 0),
    "busy_nice19": (1, BUSY_LOOP, 19),
    "saturated": (None, BUSY_LOOP, 0),
    "torch_job": (1, TORCH_JOB, 0),
    "bursts": (1, BURSTS, 0),
}
# how idle OpenMP threads wait, as environment variables of the training
# process: both are always set, so nothing of this process's leaks in
WAITS: dict[str, dict[str, str]] = {
    "passive": {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "0"},
    "spin_10k": {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "10000"},
    "spin_30k": {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "30000"},
    "spin_300k": {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "300000"},
}


def train_worker(data: Path, threads: int, steps: int, run_dir: Path) -> dict:
    """corrgan's defaults on ``threads`` threads; ms/step per logged interval."""
    from benchmarks.fidelity import corrgan_config
    from corrgan.pipeline import run_training

    config = corrgan_config(str(data), common.CROP_TARGET, 0, "corrgan", False)
    config.train.steps = steps
    config.train.threads = threads
    config.train.log_every = max(1, steps // 20)
    config.train.checkpoint_every = 0
    # no held-out rows, so no final report: only the loop is of interest
    config.data.test_fraction = 0.0
    if run_dir.exists():
        shutil.rmtree(run_dir)
    outcome = run_training(config, run_dir, resume=False)
    records = [
        json.loads(line)
        for line in (run_dir / "metrics.jsonl").read_text().splitlines()
        if line.strip()
    ]
    # the first interval carries the warm-up (first kernels, allocator)
    intervals = [record["ms_per_step"] for record in records[1:]]
    shutil.rmtree(run_dir, ignore_errors=True)
    return {
        "threads": threads,
        "steps": outcome.result.steps_done,
        "mean_ms_per_step": 1000 * outcome.result.seconds / outcome.result.steps_done,
        "median_interval_ms_per_step": statistics.median(intervals),
        "worst_interval_ms_per_step": max(intervals),
    }


OPENMP_KEYS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


def _start_load(count: int, program: str, niceness: int) -> list[subprocess.Popen]:
    # the competitor gets the environment corrgan would find, not corrgan's
    # own OpenMP settings
    env = {key: value for key, value in os.environ.items() if key not in OPENMP_KEYS}
    return [
        subprocess.Popen(
            [sys.executable, "-c", program],
            preexec_fn=(lambda: os.nice(niceness)) if niceness else None,
            env=env,
        )
        for _ in range(count)
    ]


def _measure(
    args: argparse.Namespace, load: str, threads: int, wait: str, cores: int
) -> dict[str, Any]:
    """One training worker under one load and wait setting."""
    command = [
        sys.executable, "-m", "benchmarks.threads", "--worker",
        "--threads", str(threads), "--steps", str(args.steps),
        "--data", str(args.data),
        "--run-dir", str(args.work / f"threads-{load}-{threads}-{wait}"),
    ]  # fmt: skip
    count, program, niceness = LOADS[load]
    competitors = _start_load(cores if count is None else count, program, niceness)
    try:
        measured = common.run_measured(command, timeout=3600, env=WAITS[wait])
    finally:
        for competitor in competitors:
            competitor.kill()
            competitor.wait()
    measured["load"] = load
    measured["busy_processes"] = len(competitors)
    measured["wait"] = "any" if threads == 1 else wait
    measured["wait_environment"] = WAITS[wait]
    return measured


def main(argv: list[str] | None = None) -> None:
    """Every (load, threads) pair in its own process; one JSON file."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.threads", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--data", type=Path, default=common.CROP_CSV)
    parser.add_argument("--steps", type=int, default=300, help="training steps per run")
    parser.add_argument("--loads", nargs="+", choices=list(LOADS), default=list(LOADS))
    parser.add_argument(
        "--waits",
        nargs="+",
        choices=list(WAITS),
        default=["passive"],
        help="OpenMP wait settings to compare at two or more threads",
    )
    parser.add_argument("--work", type=Path, default=common.WORK_DIR)
    parser.add_argument("--out", type=Path, default=common.RESULTS_DIR / "threads.json")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        result = train_worker(args.data, args.threads, args.steps, args.run_dir)
        print(json.dumps(result))
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if not args.data.exists():
        raise SystemExit(f"no table at {args.data}; pass --data PATH")

    cores = len(os.sched_getaffinity(0))
    payload: dict[str, Any] = {
        "benchmark": "threads",
        "command": common.command_line(),
        "machine": common.machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "steps": args.steps,
        "runs": [],
    }
    for load in args.loads:
        for threads in range(1, cores + 1):
            # one thread has no team to wait for: the wait setting is moot
            for wait in args.waits[:1] if threads == 1 else args.waits:
                measured = _measure(args, load, threads, wait, cores)
                logger.info(
                    "%s, %d thread(s), %s: %.1f ms/step "
                    "(median interval %.1f, worst %.1f)",
                    load,
                    threads,
                    measured["wait"],
                    measured["mean_ms_per_step"],
                    measured["median_interval_ms_per_step"],
                    measured["worst_interval_ms_per_step"],
                )
                payload["runs"].append(measured)
                common.write_result(payload, args.out)
    payload["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    common.write_result(payload, args.out)
    logger.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
