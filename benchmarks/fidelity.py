"""Fidelity of corrgan and its peers on one table, over seeded splits.

For every seed the table is split once with corrgan's own seeded split; every
model trains on the same training rows with its own defaults, generates as
many rows as the training split (``--synthetic-rows test``: as the held-out
split), and is scored by corrgan's report against the held-out rows. The
floor and the independent-column baselines come from the same report.

One synthetic table of 1,760 rows is a noisy measurement of a model: its
pooled Pearson error moves by about 0.1x the floor from one sampling seed to
the next. So each model also draws ``--draws`` further tables with other
seeds, and their mean Pearson and association errors are recorded beside the
single table's. The ``train_resample`` reference is the training split
itself, drawn with replacement to the same row count and scored like a
model (``--draws`` times as well): what a model that reproduced the training
rows exactly would score, sampling noise included.
Results go to ``benchmarks/results/fidelity_<dataset>.json``, rewritten after
every finished model, so an interrupted run keeps what it measured.

Example: python -m benchmarks.fidelity --seeds 0 1 2 --models corrgan ctgan
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks import common
from corrgan.model_store import sha256_of

logger = logging.getLogger("benchmarks.fidelity")

MODELS = ["corrgan", "ctgan", "tvae", "gaussian_copula"]

# generator sizes compared with the default (docs/benchmarks.md)
SIZES = [(32, 2, 4), (32, 1, 4), (32, 1, 2), (16, 2, 2), (16, 1, 2)]

# step budgets and batch sizes compared with the defaults (docs/benchmarks.md)
STEP_BUDGETS = [500, 600, 700, 800]
BATCH_SIZES = [128, 192]

# corrgan variants: overrides of the config sections, on top of the defaults
CORRGAN_VARIANTS: dict[str, dict[str, dict[str, Any]]] = {
    "corrgan": {},
    "corrgan_no_corr": {"train": {"corr_weight": 0.0}},
    "corrgan_mlp": {"model": {"architecture": "mlp"}},
    "corrgan_no_moments": {"train": {"moment_weight": 0.0}},
    "corrgan_no_moments_no_corr": {"train": {"moment_weight": 0.0, "corr_weight": 0.0}},
    "corrgan_no_marginals": {"train": {"marginal_weight": 0.0}},
    "corrgan_critic_w64": {"model": {"discriminator_width": 64}},
    # generator sizes (width, blocks, heads); w32_d2_h4 is the former default
    **{
        f"corrgan_w{width}_d{depth}_h{heads}": {
            "model": {"width": width, "depth": depth, "heads": heads}
        }
        for width, depth, heads in SIZES
    },
    # fewer generator updates, so the step count's share of the fit is measured
    **{
        f"corrgan_steps{steps}": {"train": {"auto_steps": steps}}
        for steps in STEP_BUDGETS
    },
    **{f"corrgan_batch{size}": {"train": {"batch_size": size}} for size in BATCH_SIZES},
}

# what --quick changes: a smoke run, not a measurement
QUICK_CORRGAN = {"steps": 2, "log_every": 1, "checkpoint_every": 0}

REFERENCE_ROLES = ["floor", "independent", "class_independent"]

# the summary metrics that are also averaged over the extra draws
DRAWN_METRICS = ["pearson_mean_abs_delta", "association_mean_abs_delta"]
DRAWS_SUFFIX = "_mean_of_draws"

# probe errors at which the time to reach them is reported
CORR_ERROR_THRESHOLDS = [0.1, 0.05, 0.03, 0.02]
FINAL_ERROR_MARGIN = 1.1


def prepare_dataset(
    dataset: str, data: Path, rows: int, work_dir: Path
) -> dict[str, Any]:
    """The table to benchmark on: the crop CSV or a generated copula table.

    ``copula_numeric`` is the copula table without its categorical columns
    and so without a target: the one kind of table where no conditioning
    carries the correlations and the correlation constraint is on its own.
    ``copula_tags`` adds eight independent categorical columns to it.
    """
    if dataset == "crop":
        path, target, name = data, common.CROP_TARGET, "crop"
    else:
        from benchmarks.datasets import (
            CATEGORICAL_COLUMNS,
            TARGET,
            copula_table,
            tagged_table,
        )

        path = work_dir / f"{dataset.replace('_', '-')}-{rows}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        make = tagged_table if dataset == "copula_tags" else copula_table
        frame = make(rows, seed=0)
        if dataset == "copula_numeric":
            frame, target = frame.drop(columns=CATEGORICAL_COLUMNS), None
        else:
            target = TARGET
        frame.to_parquet(path, index=False)
        name = f"{dataset}_{rows}"
    table = common.read_table(path)
    return {
        "name": name,
        "path": str(path),
        "sha256": sha256_of(path),
        "rows": table.num_rows,
        "columns": table.schema.names,
        "target": target,
        "categorical": common.categorical_columns(table, target, str(path)),
        "table": table,
    }


def corrgan_config(path: str, target: str, seed: int, variant: str, quick: bool):
    """corrgan's defaults (read from the dataclasses), the variant, the seed."""
    from corrgan.config import DataConfig, ModelConfig, RunConfig, TrainConfig

    overrides = CORRGAN_VARIANTS[variant]
    train = {"seed": seed, **overrides.get("train", {})}
    if quick:
        train.update(QUICK_CORRGAN)
    return RunConfig(
        data=DataConfig(data=path, target=target),
        model=ModelConfig(**overrides.get("model", {})),
        train=TrainConfig(**train),
    )


def convergence(metrics_path: Path, final_seconds: float) -> dict[str, Any]:
    """Wall time of the training loop until the probe error first drops below e.

    The probe error is corrgan's own ``probe_corr_error``: the mean absolute
    gap between the Pearson matrices of a fixed generated sample and of the
    training rows, both in model space (after corrgan's transform), logged
    every ``log_every`` steps. The time at a logged step is the sum of
    ``ms_per_step`` times the steps of every interval up to it.
    """
    records = [
        json.loads(line) for line in metrics_path.read_text().splitlines() if line
    ]
    curve, elapsed, previous = [], 0.0, 0
    for record in records:
        elapsed += record["ms_per_step"] * (record["step"] - previous) / 1000
        previous = record["step"]
        curve.append(
            {
                "step": record["step"],
                "seconds": elapsed,
                "probe_corr_error": record["probe_corr_error"],
            }
        )
    final = curve[-1]["probe_corr_error"] if curve else None

    def first_below(level: float) -> dict[str, Any] | None:
        for point in curve:
            if point["probe_corr_error"] <= level:
                return {"step": point["step"], "seconds": point["seconds"]}
        return None

    return {
        "final_probe_corr_error": final,
        "loop_seconds": final_seconds,
        "thresholds": {
            str(level): first_below(level) for level in CORR_ERROR_THRESHOLDS
        },
        "within_10_percent_of_final": None
        if final is None
        else first_below(FINAL_ERROR_MARGIN * final),
        "curve": curve,
    }


def run_corrgan(
    dataset,
    split,
    variant: str,
    quick: bool,
    work_dir: Path,
    benchmark: str,
    rows: int,
):
    """Train one corrgan variant through ``run_training``; sample ``rows``.

    Returns the sample, what is recorded of the run, and a function that
    draws another ``rows`` rows with a given seed.
    """
    from corrgan.model_store import load_model
    from corrgan.pipeline import run_training
    from corrgan.sampling import sample_to_file

    config = corrgan_config(
        dataset["path"], dataset["target"], split.seed, variant, quick
    )
    # one directory per benchmark, so an ablation never replaces a fidelity run
    run_dir = work_dir / f"{benchmark}-{dataset['name']}-{variant}-seed{split.seed}"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    with common.stopwatch() as timing:
        outcome = run_training(config, run_dir, resume=False)
    if outcome.result.interrupted:
        raise SystemExit(f"training in {run_dir} was stopped by a signal")
    # the run's own synthetic.parquet has the held-out split's size; the
    # benchmark draws its own sample of the size every model is asked for
    sampled = sample_to_file(
        load_model(run_dir),
        rows,
        run_dir / "benchmark-synthetic.parquet",
        "parquet",
        seed=split.seed,
    )
    synthetic = pd.read_parquet(sampled.path)
    trained_on = common.read_table(run_dir / "train.parquet")
    info = {
        "fit_seconds": timing["seconds"],
        "fit_seconds_means": (
            "run_training end to end: reading, transform fit, training loop, "
            "saving, and its own sampling, report and plots"
        ),
        "train_loop_seconds": outcome.result.seconds,
        "steps": outcome.result.steps_done,
        "config": config.to_dict(),
        "run_dir": str(run_dir),
        "split_matches": trained_on.equals(split.train_table),
        "convergence": convergence(run_dir / "metrics.jsonl", outcome.result.seconds),
    }
    model = load_model(run_dir)

    def draw(draw_seed: int) -> pd.DataFrame:
        path = run_dir / "benchmark-draw.parquet"
        sample_to_file(model, rows, path, "parquet", seed=draw_seed)
        drawn = pd.read_parquet(path)
        path.unlink()
        return drawn

    return synthetic, info, draw


def score(dataset, split, synthetic: pd.DataFrame) -> dict[str, Any]:
    """corrgan's report of one synthetic table, reduced to what is compared."""
    from corrgan.report import build_report

    report = build_report(
        split.test,
        synthetic,
        categorical=dataset["categorical"],
        train=split.train,
        target=dataset["target"],
        seed=split.seed,
    )
    efficacy = report["synthetic"]["efficacy"]
    privacy = report["privacy"]
    return {
        "summary": report["summary"]["synthetic"],
        "references": {role: report["summary"][role] for role in REFERENCE_ROLES},
        "train_on_real": None if efficacy is None else efficacy["train_on_train"],
        "privacy": None
        if privacy is None
        else {
            key: privacy[key]
            for key in ("median_ratio", "exact_copy_share", "real_exact_copy_share")
        },
    }


def draw_seeds(seed: int, draws: int) -> list[int]:
    """Sampling seeds of the extra draws: never the split's own seed."""
    return [1000 * (index + 1) + seed for index in range(draws)]


def score_draws(
    dataset, split, draw: Callable[[int], pd.DataFrame], draws: int
) -> dict[str, Any]:
    """The drawn metrics of ``draws`` further tables, each and their mean.

    The report runs without the training rows and the target here: the
    pooled metrics need neither, and the classifiers would cost seconds a
    table.
    """
    from corrgan.report import build_report

    seeds = draw_seeds(split.seed, draws)
    values: dict[str, list[float]] = {key: [] for key in DRAWN_METRICS}
    for draw_seed in seeds:
        drawn = draw(draw_seed)
        report = build_report(
            split.test, drawn, categorical=dataset["categorical"], seed=split.seed
        )
        for key in DRAWN_METRICS:
            values[key].append(report["summary"]["synthetic"][key])
    return {"seeds": seeds, "values": values}


def draw_means(drawn: dict[str, Any] | None) -> dict[str, float]:
    """``{metric + DRAWS_SUFFIX: mean over the draws}`` for a summary."""
    if not drawn or not drawn["seeds"]:
        return {}
    means = {}
    for key, values in drawn["values"].items():
        finite = [value for value in values if value is not None]
        if finite:
            means[key + DRAWS_SUFFIX] = sum(finite) / len(finite)
    return means


def train_resample(split, rows: int) -> Callable[[int], pd.DataFrame]:
    """Draws of ``rows`` training rows with replacement, seeded."""

    def draw(draw_seed: int) -> pd.DataFrame:
        return split.train.sample(
            n=rows, replace=True, random_state=draw_seed
        ).reset_index(drop=True)

    return draw


def resample_reference(dataset, split, rows: int, draws: int) -> dict[str, Any]:
    """The ``train_resample`` reference card of one split."""
    draw = train_resample(split, rows)
    scored = score(dataset, split, draw(split.seed))
    drawn = score_draws(dataset, split, draw, draws)
    return {**scored["summary"], **draw_means(drawn), "draws": drawn}


def match_dtypes(synthetic: pd.DataFrame, real: pd.DataFrame) -> pd.DataFrame:
    """Give a peer's output the real table's column order and integer types."""
    synthetic = synthetic[list(real.columns)].copy()
    for name, dtype in real.dtypes.items():
        if pd.api.types.is_integer_dtype(dtype) and synthetic[name].notna().all():
            synthetic[name] = synthetic[name].round().astype(dtype)
    return synthetic


def matched_draws(
    draw: Callable[[int], pd.DataFrame], real: pd.DataFrame
) -> Callable[[int], pd.DataFrame]:
    """A peer's draws with the real table's column order and integer types."""
    return lambda draw_seed: match_dtypes(draw(draw_seed), real)


def aggregate(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and std over seeds of every summary metric, per model and reference."""
    metrics = sorted(
        {
            key
            for run in runs
            for card in [run["summary"], *run["references"].values()]
            if card
            for key, value in card.items()
            if not isinstance(value, dict)
        }
    )
    by_model: dict[str, dict[str, Any]] = {}
    for model in dict.fromkeys(run["model"] for run in runs):
        chosen = [run for run in runs if run["model"] == model]
        by_model[model] = {
            key: common.mean_and_std([run["summary"].get(key) for run in chosen])
            for key in metrics
        }
        by_model[model]["fit_seconds"] = common.mean_and_std(
            [run["fit_seconds"] for run in chosen]
        )

    # references depend on the split and the synthetic size only: one per seed
    first_per_seed = {}
    for run in runs:
        first_per_seed.setdefault(run["seed"], run)
    references = {}
    for role in [*REFERENCE_ROLES, "train_resample"]:
        # the first run of each seed that has it: runs of earlier results
        # may lack the train_resample reference
        cards = [
            next(
                (
                    run["references"][role]
                    for run in runs
                    if run["seed"] == seed and run["references"].get(role)
                ),
                None,
            )
            for seed in first_per_seed
        ]
        if any(card is None for card in cards):
            continue
        references[role] = {
            key: common.mean_and_std([card.get(key) for card in cards])
            for key in metrics
        }
    train_on_real = [
        run["train_on_real"]["macro_f1"]
        for run in first_per_seed.values()
        if run["train_on_real"]
    ]
    return {
        "models": by_model,
        "references": references,
        "train_on_real_macro_f1": common.mean_and_std(train_on_real),
    }


def training_ratios(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each model's mean fit time over CTGAN's, seed for seed."""
    ctgan = {run["seed"]: run["fit_seconds"] for run in runs if run["model"] == "ctgan"}
    ratios: dict[str, Any] = {}
    for model in dict.fromkeys(run["model"] for run in runs):
        paired = [
            ctgan[run["seed"]] / run["fit_seconds"]
            for run in runs
            if run["model"] == model and run["seed"] in ctgan
        ]
        ratios[model] = common.mean_and_std(paired)
    return {"ctgan_seconds_over_model_seconds": ratios}


def run_benchmark(
    dataset: dict[str, Any],
    seeds: list[int],
    models: list[str],
    quick: bool,
    work_dir: Path,
    out: Path,
    benchmark: str = "fidelity",
    reused: list[dict[str, Any]] | None = None,
    synthetic_rows: str = "train",
    draws: int = 20,
    peer_threads: int | None = None,
) -> dict[str, Any]:
    """Train and score every model on every seed; write the JSON as it goes."""
    started = time.time()
    warmed = common.warm_imports()
    payload: dict[str, Any] = {
        "benchmark": benchmark,
        "complete": False,
        "command": common.command_line(),
        "earlier_commands": sorted(
            {run["command"] for run in reused or [] if "command" in run}
        ),
        "machine": common.machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "dataset": {key: value for key, value in dataset.items() if key != "table"},
        "imported_before_timing": warmed,
        "settings": {
            "seeds": seeds,
            "models": models,
            "quick": quick,
            "corrgan_variants": {
                name: CORRGAN_VARIANTS[name]
                for name in models
                if name in CORRGAN_VARIANTS
            },
            "synthetic_rows": f"as many as the {synthetic_rows} split",
            "draws": draws,
        },
        "runs": list(reused or []),
    }
    runs = payload["runs"]
    done = {(run["model"], run["seed"]) for run in runs}
    for seed in seeds:
        split = common.split_table(dataset["table"], dataset["target"], seed)
        payload["dataset"]["train_rows"] = len(split.train)
        payload["dataset"]["test_rows"] = len(split.test)
        payload["dataset"]["test_fraction"] = split.test_fraction
        rows = len(split.train if synthetic_rows == "train" else split.test)
        resampled = None
        for model in models:
            if (model, seed) in done:
                continue
            logger.info("seed %d: training %s", seed, model)

            # fit and sample with the model's own defaults
            if model in CORRGAN_VARIANTS:
                synthetic, info, draw = run_corrgan(
                    dataset, split, model, quick, work_dir, benchmark, rows
                )
            else:
                synthetic, info, peer_draw = common.fit_peer(
                    model, split, dataset, seed, quick, rows, work_dir, peer_threads
                )
                synthetic = match_dtypes(synthetic, split.test)
                draw = matched_draws(peer_draw, split.test)

            # score against the held-out rows, then the extra draws, and record
            with common.stopwatch() as timing:
                scored = score(dataset, split, synthetic)
            with common.stopwatch() as draw_timing:
                drawn = score_draws(dataset, split, draw, draws)
            scored["summary"].update(draw_means(drawn))
            if resampled is None:
                resampled = resample_reference(dataset, split, rows, draws)
            scored["references"]["train_resample"] = resampled
            run = {"model": model, "seed": seed, **info, **scored, "draws": drawn}
            run["synthetic_rows"] = len(synthetic)
            run["command"] = payload["command"]
            run["load_average_after"] = list(os.getloadavg())
            run["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            run["git"] = payload["machine"]["git"]
            run["report_seconds"] = timing["seconds"]
            run["draws_seconds"] = draw_timing["seconds"]
            runs.append(run)
            logger.info(
                "seed %d %s: fit %.1f s, pearson |delta| %.4f, pair trends %.4f",
                seed,
                model,
                info["fit_seconds"],
                scored["summary"]["pearson_mean_abs_delta"],
                scored["summary"]["pair_trends_all_pairs"],
            )
            payload["aggregate"] = aggregate(runs)
            payload["training_time"] = training_ratios(runs)
            common.write_result(payload, out)

    # the final file, marked complete
    payload["complete"] = True
    payload["this_invocation_wall_seconds"] = time.time() - started
    payload["aggregate"] = aggregate(runs)
    payload["training_time"] = training_ratios(runs)
    common.write_result(payload, out)
    return payload


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags fidelity and ablation share."""
    parser.add_argument(
        "--data",
        type=Path,
        default=common.CROP_CSV,
        help="the crop table (CSV or Parquet); default: %(default)s",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 2 corrgan steps, 1 peer epoch; not a measurement",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=common.WORK_DIR,
        help="where run directories and generated tables go; default: %(default)s",
    )
    parser.add_argument("--out", type=Path, default=None, help="result JSON path")
    parser.add_argument(
        "--include",
        type=Path,
        nargs="+",
        default=[],
        help="earlier result JSONs whose runs to keep where this run would "
        "repeat them exactly (same table, seed, config or SDV version)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the runs already in --out (same table) and run only the rest",
    )
    parser.add_argument(
        "--draws",
        type=int,
        default=20,
        help="further synthetic tables per model whose mean Pearson and "
        "association errors are recorded too; default: %(default)s",
    )
    parser.add_argument(
        "--synthetic-rows",
        choices=["train", "test"],
        default="train",
        help="generate as many rows as this split (train: the SDV convention, "
        "so train-on-synthetic and train-on-real fit on equal row counts); "
        "default: %(default)s",
    )


def quiet_peer_logs() -> None:
    """SDV and RDT log every transformer step at INFO; keep warnings only."""
    for name in ("sdv", "rdt", "copulas", "SingleTableSynthesizer"):
        logging.getLogger(name).setLevel(logging.WARNING)


def included_runs(
    paths: list[Path],
    dataset: dict[str, Any],
    seeds: list[int],
    models: list[str],
    quick: bool,
    synthetic_rows: str = "train",
    draws: int = 20,
) -> list[dict[str, Any]]:
    """Runs of earlier results that this invocation would repeat exactly.

    A run is kept when it is on the same table (same sha256), for a requested
    model and seed, and was measured the same way: a corrgan run only if its
    recorded config equals the one built now from today's defaults, a peer run
    only if it was fitted by the same SDV version; and any run only if it
    generated as many rows as ``synthetic_rows`` asks and made ``draws``
    extra draws.
    """
    kept: dict[tuple[str, int], dict[str, Any]] = {}
    for path in paths:
        earlier = json.loads(path.read_text())
        if earlier["dataset"]["sha256"] != dataset["sha256"]:
            raise SystemExit(f"--include: {path} was measured on another table")
        for run in earlier["runs"]:
            key = (run["model"], run["seed"])
            if run["model"] not in models or run["seed"] not in seeds or key in kept:
                continue
            if run["model"] in CORRGAN_VARIANTS:
                expected = corrgan_config(
                    dataset["path"], dataset["target"], run["seed"], run["model"], quick
                ).to_dict()
                same = json.loads(json.dumps(expected)) == run["config"]
            else:
                import sdv

                same = earlier["machine"]["sdv"] == sdv.__version__
            rows = earlier["dataset"].get(f"{synthetic_rows}_rows")
            same = same and run.get("synthetic_rows") == rows
            same = same and len(run.get("draws", {}).get("seeds", [])) == draws
            if not same:
                logger.info("%s seed %d in %s was set up differently", *key, path)
                continue
            kept[key] = {**run, "included_from": str(path)}
    logger.info("including %d run(s) from earlier results", len(kept))
    return list(kept.values())


def earlier_runs(out: Path, dataset: dict[str, Any], resume: bool) -> list[dict]:
    """The runs of an earlier result on the same table, when resuming."""
    if not resume or not out.exists():
        return []
    earlier = json.loads(out.read_text())
    if earlier["dataset"]["sha256"] != dataset["sha256"]:
        raise SystemExit(
            f"--resume: {out} was measured on another table; remove --resume "
            "or pick another --out"
        )
    logger.info("resuming: %d runs kept from %s", len(earlier["runs"]), out)
    return earlier["runs"]


def main(argv: list[str] | None = None) -> None:
    """Parse the flags, run the benchmark, write the JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.fidelity", description=__doc__.split("\n")[0]
    )
    add_common_arguments(parser)
    parser.add_argument(
        "--dataset",
        choices=["crop", "copula", "copula_numeric", "copula_tags"],
        default="crop",
    )
    parser.add_argument(
        "--rows", type=int, default=10_000, help="rows of the copula table"
    )
    parser.add_argument(
        "--models",
        nargs="+",
        default=MODELS,
        choices=sorted([*CORRGAN_VARIANTS, *common.PEERS]),
    )
    parser.add_argument(
        "--peer-threads",
        type=int,
        default=None,
        help="torch threads of the SDV peers; default: torch's, every core",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    quiet_peer_logs()
    dataset = prepare_dataset(args.dataset, args.data, args.rows, args.work)
    suffix = "_quick" if args.quick else ""
    out = args.out or common.RESULTS_DIR / f"fidelity_{dataset['name']}{suffix}.json"
    reused = earlier_runs(out, dataset, args.resume)
    have = {(run["model"], run["seed"]) for run in reused}
    reused += [
        run
        for run in included_runs(
            args.include,
            dataset,
            args.seeds,
            args.models,
            args.quick,
            args.synthetic_rows,
            args.draws,
        )
        if (run["model"], run["seed"]) not in have
    ]
    run_benchmark(
        dataset,
        args.seeds,
        args.models,
        args.quick,
        args.work,
        out,
        reused=reused,
        synthetic_rows=args.synthetic_rows,
        draws=args.draws,
        peer_threads=args.peer_threads,
    )
    logger.info("wrote %s", out)


if __name__ == "__main__":
    main()
