"""Ablation on the crop table: corrgan's defaults against two of its parts removed.

``corrgan`` is the default configuration, ``corrgan_no_corr`` sets
``corr_weight=0`` (no correlation-constraint loss) and ``corrgan_mlp`` swaps
the attention generator for an MLP (``architecture="mlp"``); everything else
stays at the defaults. On request (``--variants``), ``corrgan_no_moments``
sets ``moment_weight=0`` and ``corrgan_no_moments_no_corr`` turns off both
losses, to see what the constraint does without the per-class moment loss,
and ``corrgan_no_marginals`` sets ``marginal_weight=0``.
Splits, scoring, ``--include`` and the JSON are those of
:mod:`benchmarks.fidelity`, so variants run as separate processes can be
merged into one result.

Example: python -m benchmarks.ablation --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import logging

from benchmarks import common, fidelity

logger = logging.getLogger("benchmarks.ablation")

VARIANTS = ["corrgan", "corrgan_no_corr", "corrgan_mlp"]
EXTRA_VARIANTS = [
    "corrgan_no_moments",
    "corrgan_no_moments_no_corr",
    "corrgan_no_marginals",
]


def main(argv: list[str] | None = None) -> None:
    """Parse the flags, run the three variants, write the JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.ablation", description=__doc__.split("\n")[0]
    )
    fidelity.add_common_arguments(parser)
    parser.add_argument(
        "--variants",
        nargs="+",
        default=VARIANTS,
        choices=VARIANTS + EXTRA_VARIANTS,
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    fidelity.quiet_peer_logs()
    dataset = fidelity.prepare_dataset("crop", args.data, 0, args.work)
    suffix = "_quick" if args.quick else ""
    out = args.out or common.RESULTS_DIR / f"ablation_crop{suffix}.json"
    reused = fidelity.earlier_runs(out, dataset, args.resume)
    have = {(run["model"], run["seed"]) for run in reused}
    reused += [
        run
        for run in fidelity.included_runs(
            args.include,
            dataset,
            args.seeds,
            args.variants,
            args.quick,
            args.synthetic_rows,
            args.draws,
        )
        if (run["model"], run["seed"]) not in have
    ]
    fidelity.run_benchmark(
        dataset,
        args.seeds,
        args.variants,
        args.quick,
        args.work,
        out,
        benchmark="ablation",
        reused=reused,
        synthetic_rows=args.synthetic_rows,
        draws=args.draws,
    )
    logger.info("wrote %s", out)


if __name__ == "__main__":
    main()
