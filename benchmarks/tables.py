"""Markdown tables of benchmark results, for docs/benchmarks.md and the README.

Reads the JSON files the benchmarks write and prints their tables, so every
table in the docs comes from a result file by a command and none is typed by
hand. A fidelity or ablation result gives the metric table (mean and standard
deviation over seeds) and, for the crop table, the targets of the benchmark
issue with their verdicts; a speed result gives the sampling table.

Example: python -m benchmarks.tables benchmarks/results/fidelity_crop.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

# (summary key, label, better) in the order the tables show them
METRICS = [
    ("pearson_mean_abs_delta", "Pearson mean abs delta", "lower"),
    (
        "pearson_mean_abs_delta_mean_of_draws",
        "Pearson mean abs delta, mean of the extra draws",
        "lower",
    ),
    (
        "within_class_pearson_mean_abs_delta",
        "Within-class Pearson mean abs delta",
        "lower",
    ),
    (
        "within_class_pooled_pearson_mean_abs_delta",
        "Within-class pooled Pearson mean abs delta",
        "lower",
    ),
    ("association_mean_abs_delta", "Association mean abs delta", "lower"),
    (
        "association_mean_abs_delta_mean_of_draws",
        "Association mean abs delta, mean of the extra draws",
        "lower",
    ),
    ("column_shapes", "Column Shapes", "higher"),
    ("pair_trends_all_pairs", "Column Pair Trends, all pairs", "higher"),
    ("pair_trends_trend_pairs", "Column Pair Trends, trend pairs", "higher"),
    ("macro_f1", "Train-on-synthetic macro-F1", "higher"),
    ("accuracy", "Train-on-synthetic accuracy", "higher"),
]
REFERENCES = ["floor", "train_resample", "independent", "class_independent"]
PEERS = ["ctgan", "tvae", "gaussian_copula"]


def _cell(stat: dict[str, Any] | None, digits: int = 3) -> str:
    if not stat or stat.get("mean") is None:
        return ""
    mean = f"{stat['mean']:.{digits}f}"
    if stat.get("n", 0) > 1 and stat.get("std") is not None:
        return f"{mean} ± {stat['std']:.{digits}f}"
    return mean


def _mean(stat: dict[str, Any] | None) -> float | None:
    return None if not stat else stat.get("mean")


def fidelity_table(result: dict[str, Any]) -> str:
    """Every model and reference, every metric, mean ± std over seeds."""
    aggregate = result["aggregate"]
    models = list(aggregate["models"])
    references = [role for role in REFERENCES if role in aggregate["references"]]
    columns = models + references
    lines = [
        "| metric | " + " | ".join(columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for key, label, better in METRICS:
        cells = [_cell(aggregate["models"][model].get(key)) for model in models]
        cells += [_cell(aggregate["references"][role].get(key)) for role in references]
        # a table without a target has no within-class or efficacy metrics
        if any(cells):
            lines.append(f"| {label} ({better}) | " + " | ".join(cells) + " |")
    train_on_real = _cell(aggregate.get("train_on_real_macro_f1"))
    if train_on_real:
        lines.append(
            "| Train-on-real macro-F1 (same classifier, training split) | "
            + " | ".join([train_on_real] * len(models) + [""] * len(references))
            + " |"
        )
    fit = [_cell(aggregate["models"][m].get("fit_seconds"), 1) for m in models]
    lines.append(
        "| fit wall time, s | " + " | ".join(fit + [""] * len(references)) + " |"
    )
    ratios = result.get("training_time", {}).get("ctgan_seconds_over_model_seconds")
    if ratios and "ctgan" in models:
        cells = [_cell(ratios.get(model), 2) for model in models]
        lines.append(
            "| CTGAN fit time / this model's | "
            + " | ".join(cells + [""] * len(references))
            + " |"
        )
    runs = result["runs"]
    loops = [run["train_loop_seconds"] for run in runs if "train_loop_seconds" in run]
    if loops:
        lines.append("")
        lines.append(
            f"corrgan's training loop alone: {min(loops):.1f} to {max(loops):.1f} s "
            f"over {len(loops)} run(s)."
        )
    return "\n".join(lines)


def targets_table(result: dict[str, Any]) -> str:
    """The benchmark issue's targets, each with the measured means."""
    aggregate = result["aggregate"]
    models, references = aggregate["models"], aggregate["references"]
    corrgan, floor = models.get("corrgan"), references.get("floor")
    if corrgan is None or floor is None:
        return ""
    peers = [name for name in PEERS if name in models]

    def get(card: dict[str, Any], key: str) -> float | None:
        return _mean(card.get(key))

    def row(target: str, measured: str, met: bool | None) -> str:
        verdict = "n/a" if met is None else ("met" if met else "**not met**")
        return f"| {target} | {measured} | {verdict} |"

    lines = ["| target | measured (means over seeds) | verdict |", "|---|---|---|"]
    pearson = get(corrgan, "pearson_mean_abs_delta")
    floor_pearson = get(floor, "pearson_mean_abs_delta")
    ratio = pearson / floor_pearson
    lines.append(
        row(
            "Pearson mean abs delta <= 1.2x the floor",
            f"{pearson:.3f} against {floor_pearson:.3f}: {ratio:.2f}x",
            ratio <= 1.2,
        )
    )
    # the same target on the mean of the extra draws: less sampling noise
    drawn = get(corrgan, "pearson_mean_abs_delta_mean_of_draws")
    if drawn is not None:
        count = result.get("settings", {}).get("draws", "the")
        ratio = drawn / floor_pearson
        measured = f"{drawn:.3f} against {floor_pearson:.3f}: {ratio:.2f}x"
        resampled = references.get("train_resample")
        if resampled and get(resampled, "pearson_mean_abs_delta_mean_of_draws"):
            copy = get(resampled, "pearson_mean_abs_delta_mean_of_draws")
            measured += f" (resampled training rows: {copy / floor_pearson:.2f}x)"
        lines.append(
            row(
                f"Pearson mean abs delta <= 1.2x the floor, mean of {count} draws",
                measured,
                ratio <= 1.2,
            )
        )
    if "ctgan" in models:
        ctgan = get(models["ctgan"], "pearson_mean_abs_delta")
        lines.append(
            row(
                "Pearson mean abs delta <= half of CTGAN's",
                f"{pearson:.3f} against {ctgan:.3f}: {pearson / ctgan:.2f}x",
                pearson <= 0.5 * ctgan,
            )
        )
    key = "within_class_pooled_pearson_mean_abs_delta"
    within, floor_within = get(corrgan, key), get(floor, key)
    lines.append(
        row(
            "within-class (pooled) Pearson error <= 1.5x the floor",
            f"{within:.3f} against {floor_within:.3f}: {within / floor_within:.2f}x",
            within <= 1.5 * floor_within,
        )
    )
    for key, label in [
        ("column_shapes", "Column Shapes"),
        ("pair_trends_all_pairs", "Column Pair Trends"),
    ]:
        if not peers:
            break
        best = max(peers, key=lambda name: get(models[name], key))
        ours, theirs = get(corrgan, key), get(models[best], key)
        lines.append(
            row(
                f"{label} >= the best peer's",
                f"{ours:.3f} against {theirs:.3f} ({best})",
                ours >= theirs,
            )
        )
    f1 = get(corrgan, "macro_f1")
    real_f1 = _mean(aggregate.get("train_on_real_macro_f1"))
    if f1 is not None and real_f1:
        lines.append(
            row(
                "train-on-synthetic macro-F1 >= 0.95x train-on-real",
                f"{f1:.3f} against {real_f1:.3f}: {f1 / real_f1:.3f}x",
                f1 >= 0.95 * real_f1,
            )
        )
    ratios = result.get("training_time", {}).get("ctgan_seconds_over_model_seconds")
    if ratios and "corrgan" in ratios and "ctgan" in models:
        speedup = _mean(ratios["corrgan"])
        lines.append(
            row(
                "training >= 5x faster than CTGAN's default fit",
                f"CTGAN's fit time / corrgan's run_training: {speedup:.2f}x",
                speedup >= 5.0,
            )
        )
    return "\n".join(lines)


def convergence_table(result: dict[str, Any]) -> str:
    """corrgan's probe error over training, one row per corrgan run."""
    lines = [
        "| model | seed | probe error at the first log | final probe error "
        "| first step within 10% of final | training loop, s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for run in result["runs"]:
        convergence = run.get("convergence")
        if not convergence or not convergence.get("curve"):
            continue
        first = convergence["curve"][0]
        near = convergence.get("within_10_percent_of_final") or {}
        reached = (
            f"step {near['step']:,} ({near['seconds']:.1f} s)" if near else "never"
        )
        lines.append(
            f"| {run['model']} | {run['seed']} "
            f"| {first['probe_corr_error']:.4f} (step {first['step']:,}) "
            f"| {convergence['final_probe_corr_error']:.4f} | {reached} "
            f"| {convergence['loop_seconds']:.1f} |"
        )
    return "\n".join(lines)


def speed_table(result: dict[str, Any]) -> str:
    """Rows/s and memory of every sampling measurement."""
    lines = [
        "| model | rows | seconds | rows/s | RSS before sampling, MiB "
        "| peak RSS, MiB | Parquet size |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    ctgan = result.get("ctgan_sampling") or {}
    measured = list(result.get("corrgan_sampling", []))
    measured += [ctgan[key] for key in ("probe", "measured") if ctgan.get(key)]
    for item in measured:
        if item.get("skipped") or "rows_per_second" not in item:
            continue
        before, peak = item["rss_before_sampling_mib"], item["peak_rss_mib"]
        lines.append(
            f"| {item['model']} | {item['rows']:,} | {item['seconds']:.1f} "
            f"| {item['rows_per_second']:,.0f} | {before:,.0f} | {peak:,.0f} "
            f"| {item['file_bytes'] / 1e6:.1f} MB |"
        )
    return "\n".join(lines)


def threads_table(result: dict[str, Any]) -> str:
    """Training ms/step by load, thread count and OpenMP wait, against 1 thread."""
    lines = [
        "| beside the training | threads | OpenMP wait | ms/step | median interval "
        "| worst interval | speed vs 1 thread |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    single = {
        run["load"]: run["mean_ms_per_step"]
        for run in result["runs"]
        if run["threads"] == 1
    }
    for run in result["runs"]:
        ratio = single[run["load"]] / run["mean_ms_per_step"]
        # results from before the wait was varied all waited passively
        wait = run.get("wait", "any" if run["threads"] == 1 else "passive")
        lines.append(
            f"| {run['load']} | {run['threads']} | {wait} "
            f"| {run['mean_ms_per_step']:.1f} "
            f"| {run['median_interval_ms_per_step']:.1f} "
            f"| {run['worst_interval_ms_per_step']:.1f} | {ratio:.2f}x |"
        )
    return "\n".join(lines)


def sizes_table(result: dict[str, Any]) -> str:
    """Training ms/step and sampling rows/s of each generator size."""
    lines = [
        "| width | blocks | heads | parameters | training ms/step "
        "| sampling rows/s | rows/s, one worker |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in result["sizes"]:
        mark = " (default)" if size["default"] else ""
        lines.append(
            f"| {size['width']}{mark} | {size['depth']} | {size['heads']} "
            f"| {size['generator_parameters']:,} | {size['train_ms_per_step']:.1f} "
            f"| {size['sample_rows_per_second']:,.0f} "
            f"| {size['sample_rows_per_second_one_worker']:,.0f} |"
        )
    return "\n".join(lines)


def render(path: Path, convergence: bool = False) -> str:
    """The tables of one result file, with the command that produced it."""
    result = json.loads(path.read_text())
    parts = [f"Command: `{result.get('command', '?')}`", ""]
    if result.get("benchmark") == "threads":
        parts.append(threads_table(result))
    elif result.get("benchmark") == "sizes":
        parts.append(sizes_table(result))
    elif result.get("benchmark") == "speed":
        parts += [speed_table(result), ""]
        for name, target in result.get("targets", {}).items():
            if target.get("value") is not None:
                parts.append(
                    f"- {name}: {target['value']:,.2f} (target {target['target']}): "
                    f"{target['verdict']}"
                )
    else:
        parts.append(fidelity_table(result))
        if convergence:
            parts += ["", convergence_table(result)]
        # the targets are stated for the crop table only
        crop = result.get("dataset", {}).get("name") == "crop"
        if result.get("benchmark") == "fidelity" and crop:
            targets = targets_table(result)
            if targets:
                parts += ["", targets]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    """Print the tables of each result file given."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.tables", description=__doc__.split("\n")[0]
    )
    parser.add_argument("results", type=Path, nargs="+", help="result JSON files")
    parser.add_argument(
        "--convergence",
        action="store_true",
        help="also corrgan's probe error over training, run by run",
    )
    args = parser.parse_args(argv)
    print("\n\n".join(render(path, args.convergence) for path in args.results))


if __name__ == "__main__":
    main()
