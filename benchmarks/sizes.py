"""What each generator size costs on the crop table: training step and sampling.

The fidelity of the sizes comes from ``benchmarks.fidelity`` (its
``corrgan_wW_dD_hH`` variants); this measures their cost on the same
machine, one size after another in one process. For each size it trains
corrgan's defaults, with only the generator's width, blocks and heads
changed, on the crop table's seed-0 split: ``--warmup`` steps, then
``--steps`` timed steps (ms/step, the loop alone, no checkpoints or report).
Then it generates ``--rows`` rows through ``generate_batches``, the path of
``corrgan sample`` without the file, at its defaults (one single-threaded
worker per core) and with a single worker: best of ``--repeats`` runs each.

Example: python -m benchmarks.sizes --out benchmarks/results/sizes_cost.json
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import common
from benchmarks.fidelity import SIZES

logger = logging.getLogger("benchmarks.sizes")


def measure_size(
    data: Path, size: tuple[int, int, int] | None, args: argparse.Namespace
) -> dict[str, Any]:
    """Training ms/step and sampling rows/s of one generator size."""
    from benchmarks.fidelity import corrgan_config
    from corrgan.config import ModelConfig
    from corrgan.model_store import TrainedModel
    from corrgan.pipeline import _prepare_data
    from corrgan.sampling import generate_batches
    from corrgan.training import Trainer, make_accelerator

    config = corrgan_config(str(data), common.CROP_TARGET, 0, "corrgan", False)
    if size is not None:
        width, depth, heads = size
        config.model = ModelConfig(width=width, depth=depth, heads=heads)
    with tempfile.TemporaryDirectory() as folder:
        run_dir = Path(folder)
        accelerator = make_accelerator("no", None, run_dir)
        train, _, transform = _prepare_data(config, run_dir, resume=False)
        trainer = Trainer(
            config, transform, transform.transform(train), run_dir, accelerator
        )

        # training: warm-up steps, then the timed ones
        for _ in range(args.warmup):
            trainer.train_step()
        started = time.perf_counter()
        for _ in range(args.steps):
            trainer.train_step()
        ms_per_step = 1000 * (time.perf_counter() - started) / args.steps

    # sampling through generate_batches, workers as corrgan sample uses them
    model = TrainedModel(
        trainer.ema, transform, trainer.sampler, trainer.layout, config.model, None
    )
    rates = {}
    for name, workers in (("workers", None), ("one_worker", 1)):
        for _ in generate_batches(model, 10_000, seed=1, workers=workers):
            pass
        best = 0.0
        for repeat in range(args.repeats):
            started = time.perf_counter()
            for _ in generate_batches(model, args.rows, seed=repeat, workers=workers):
                pass
            best = max(best, args.rows / (time.perf_counter() - started))
        rates[name] = best
    parameters = sum(p.numel() for p in trainer.generator.parameters())
    return {
        "width": config.model.width,
        "depth": config.model.depth,
        "heads": config.model.heads,
        "default": size is None,
        "generator_parameters": parameters,
        "train_ms_per_step": ms_per_step,
        "sample_rows_per_second": rates["workers"],
        "sample_rows_per_second_one_worker": rates["one_worker"],
    }


def main(argv: list[str] | None = None) -> None:
    """Measure the default and every size of ``benchmarks.fidelity.SIZES``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.sizes", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--data", type=Path, default=common.CROP_CSV)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--out", type=Path, default=common.RESULTS_DIR / "sizes_cost.json"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if not args.data.exists():
        raise SystemExit(f"no table at {args.data}; pass --data PATH")
    payload: dict[str, Any] = {
        "benchmark": "sizes",
        "command": common.command_line(),
        "machine": common.machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "sizes": [],
    }
    for size in [None, *SIZES]:
        result = measure_size(args.data, size, args)
        logger.info(
            "width %d, %d block(s), %d heads: %.1f ms/step, %.0f rows/s",
            result["width"],
            result["depth"],
            result["heads"],
            result["train_ms_per_step"],
            result["sample_rows_per_second"],
        )
        payload["sizes"].append(result)
    payload["load_average_at_end"] = list(os.getloadavg())
    common.write_result(payload, args.out)
    logger.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
