"""The ``corrgan`` command line: train, sample, report.

Each command's docstring is its ``--help``. A user's mistake (a
:class:`~corrgan.errors.CorrganError`) becomes one ``Error: ...`` line on
stderr and exit code 2; no traceback, no partial output file.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from corrgan import __version__
from corrgan.config import DataConfig, ModelConfig, TrainConfig, default, load_config
from corrgan.errors import CorrganError

EXIT_USER_ERROR = 2
# the signals that stop a command cleanly; it exits with 128 + the signal's
# number, as a shell reports a process the signal ended (SIGTERM: 143).
# SIGHUP comes when the terminal closes
STOP_SIGNALS = (signal.SIGTERM, signal.SIGUSR1, signal.SIGHUP)

app = typer.Typer(
    name="corrgan",
    help="Synthetic tables that keep their correlation structure.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class _Terminated(BaseException):
    """A stop signal, raised where the process is, so that partial outputs are
    removed."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum, frame) -> None:
    raise _Terminated(signum)


def _user_errors(command):
    """Print a CorrganError as one line and exit 2; SIGTERM, SIGUSR1 or SIGHUP
    cleans up and exits 143, 138 or 129.

    ``timeout``, ``docker stop`` and SLURM's time limit send SIGTERM: raised as
    an exception, it unwinds through the writers, which remove their temporary
    files. The training loop installs its own handler (checkpoint and exit 75)
    while it runs; before and after the loop, in data preparation and the
    final report, the signals stop the command as they stop the others. A
    signal the caller ignores (``nohup`` ignores SIGHUP) stays ignored.
    """

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        previous = {}
        try:
            for signum in STOP_SIGNALS:
                if signal.getsignal(signum) is not signal.SIG_IGN:
                    previous[signum] = signal.signal(signum, _raise_terminated)
        except ValueError:  # not the main thread: leave signals alone
            pass
        try:
            return command(*args, **kwargs)
        except CorrganError as err:
            typer.echo(f"Error: {err}", err=True)
            raise typer.Exit(EXIT_USER_ERROR) from None
        except _Terminated as stop:
            name = signal.Signals(stop.signum).name
            typer.echo(f"stopped by {name}; partial outputs were removed", err=True)
            raise typer.Exit(128 + stop.signum) from None
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    return wrapper


def _setup_logging() -> None:
    """Rich output on a terminal, plain timestamped lines in batch logs."""
    rank = int(os.environ.get("RANK", "0"))
    level = logging.INFO if rank == 0 else logging.WARNING
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        handler: logging.Handler = RichHandler(show_path=False, show_time=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S")
        )
    root = logging.getLogger("corrgan")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"corrgan {__version__}")
        raise typer.Exit()


@app.callback()
def cli(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    """Synthetic tables that keep their correlation structure.

    corrgan learns a table (Parquet or CSV) with an attention GAN and a
    correlation constraint, then generates new rows.

    Example: corrgan train && corrgan sample --parquet synthetic.parquet
    """


@app.command()
@_user_errors
def train(
    data: Annotated[
        Path | None,
        typer.Option(help="Parquet file or directory, or CSV. [default: wine table]"),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Run directory. [default: a new one under runs/]"),
    ] = None,
    steps: Annotated[
        int | None,
        typer.Option(
            help=f"Generator updates. [default: {default(TrainConfig, 'auto_steps')}, "
            f"at most {default(TrainConfig, 'auto_max_epochs'):g} passes over a "
            "small table]"
        ),
    ] = None,
    epochs: Annotated[
        float | None,
        typer.Option(help="Passes over the training rows; overrides --steps."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help=f"[default: {default(TrainConfig, 'seed')}]")
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(help="Categorical column to stratify on and score within."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="TOML file with [data], [model], [train].")
    ] = None,
    categorical: Annotated[
        str | None,
        typer.Option(help="Comma-separated columns to treat as categorical."),
    ] = None,
    continuous: Annotated[
        str | None, typer.Option(help="Comma-separated columns to treat as numbers.")
    ] = None,
    drop: Annotated[
        str | None, typer.Option(help="Comma-separated columns to leave out.")
    ] = None,
    max_categories: Annotated[
        int | None,
        typer.Option(
            help="Most distinct values a categorical column may have. "
            f"[default: {default(DataConfig, 'max_categories')}]"
        ),
    ] = None,
    test_fraction: Annotated[
        float | None,
        typer.Option(
            help="Share of rows held out for the report. "
            f"[default: {default(DataConfig, 'test_fraction')}]"
        ),
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(help=f"[default: {default(TrainConfig, 'batch_size')}]"),
    ] = None,
    corr_weight: Annotated[
        float | None,
        typer.Option(
            help="Weight of the correlation loss; 0 turns it off. "
            f"[default: {default(TrainConfig, 'corr_weight')}]"
        ),
    ] = None,
    architecture: Annotated[
        str | None,
        typer.Option(
            help="attention or mlp (ablation). "
            f"[default: {default(ModelConfig, 'architecture')}]"
        ),
    ] = None,
    checkpoint_every: Annotated[
        int | None,
        typer.Option(
            help="Steps between checkpoints. "
            f"[default: {default(TrainConfig, 'checkpoint_every')}]"
        ),
    ] = None,
    log_every: Annotated[
        int | None,
        typer.Option(
            help="Steps between log lines. "
            f"[default: {default(TrainConfig, 'log_every')}]"
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="Continue from the latest checkpoint in --out, if any."
        ),
    ] = False,
    mixed_precision: Annotated[
        str | None, typer.Option(help="no or bf16 (GPUs). [default: no]")
    ] = None,
    log_with: Annotated[
        str | None, typer.Option(help="Tracker: tensorboard, wandb or mlflow.")
    ] = None,
    threads: Annotated[
        int | None, typer.Option(help="CPU threads per training process. [default: 1]")
    ] = None,
) -> None:
    """Train a model on a table and write a run directory with a report.

    With no --data, trains on the built-in wine table (178 rows, 13 numbers and
    a cultivar class). The run directory gets the model (safetensors and
    JSON), the splits, metrics.jsonl, checkpoints/ and report.json;
    runs/latest points at the newest run. Also runs under
    `accelerate launch -m corrgan train`.

    Example: corrgan train --data crop.csv --target label --steps 1500
    """
    _setup_logging()
    from corrgan.pipeline import run_training
    from corrgan.training import EXIT_INTERRUPTED

    overrides = {
        "data": {
            "data": str(data) if data else None,
            "target": target,
            "categorical": _names(categorical),
            "continuous": _names(continuous),
            "drop": _names(drop),
            "max_categories": max_categories,
            "test_fraction": test_fraction,
        },
        "model": {"architecture": architecture},
        "train": {
            "steps": steps,
            "epochs": epochs,
            "seed": seed,
            "batch_size": batch_size,
            "corr_weight": corr_weight,
            "checkpoint_every": checkpoint_every,
            "log_every": log_every,
            "mixed_precision": mixed_precision,
            "log_with": log_with,
            "threads": threads,
        },
    }
    if resume and out is not None and (out / "config.json").exists():
        run_config = _resumed_config(out / "config.json", config, overrides)
    else:
        run_config = load_config(config, overrides)
    outcome = run_training(run_config, out, resume)
    if int(os.environ.get("RANK", "0")) != 0:
        # the other ranks of a launch leave the talking to rank 0
        if outcome.result.interrupted:
            raise typer.Exit(EXIT_INTERRUPTED)
        return
    if outcome.result.interrupted:
        typer.echo(
            f"interrupted at step {outcome.result.steps_done}; checkpoint written. "
            f"Continue with: corrgan train --out {outcome.run_dir} --resume",
            err=True,
        )
        raise typer.Exit(EXIT_INTERRUPTED)
    if outcome.report is not None:
        from corrgan.final_report import print_summary

        print_summary(outcome.report, outcome.run_dir)
    typer.echo(f"run directory: {outcome.run_dir}")


def _resumed_config(path: Path, config: Path | None, overrides: dict):
    """The run's saved settings, then the --config file's values, then flags."""
    import json

    from corrgan.config import RunConfig

    try:
        values = json.loads(path.read_text())
        problem = None if isinstance(values, dict) else "not a JSON object"
    except (OSError, ValueError) as err:
        problem = str(err)
    if problem is not None:
        raise CorrganError(
            f"{path} cannot be read as the run's settings ({problem}), so the run "
            "cannot be resumed; restore that file, or start a new run with "
            "another --out"
        )
    saved = RunConfig.from_dict(values, where=str(path))
    return load_config(config, overrides, base=saved)


@app.command()
@_user_errors
def sample(
    parquet: Annotated[
        Path | None, typer.Option(help="Write the rows to this Parquet file.")
    ] = None,
    csv: Annotated[
        Path | None, typer.Option(help="Write the rows to this CSV.")
    ] = None,
    model: Annotated[
        Path, typer.Option(help="Run directory of a trained model.")
    ] = Path("runs/latest"),
    rows: Annotated[
        int | None,
        typer.Option(help="Rows to generate. [default: the training row count]"),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    batch_size: Annotated[int, typer.Option(help="Rows per batch and row group.")] = (
        100_000
    ),
    where: Annotated[
        list[str] | None,
        typer.Option(
            metavar="<column=value>",
            help="COLUMN=VALUE: fix a categorical column (repeatable). VALUE is "
            "a category's text, any case, or its number (1 for 1.0); null, "
            "none or an empty VALUE names the null category.",
        ),
    ] = None,
    device: Annotated[str, typer.Option(help="cpu, cuda or cuda:N.")] = "cpu",
    threads: Annotated[
        int | None,
        typer.Option(
            help="CPU threads that generate; the rows do not depend on it. "
            "[default: every usable core]"
        ),
    ] = None,
) -> None:
    """Generate synthetic rows from a trained model into Parquet or CSV.

    Rows are streamed batch by batch, so memory stays flat; the file appears
    under its name only when complete. The same model, seed, row count and
    batch size give the same file.

    Example: corrgan sample --model runs/latest --rows 1000000 --parquet out.parquet
    """
    _setup_logging()
    from corrgan.model_store import check_sample_output, load_model
    from corrgan.sampling import parse_where, sample_to_file

    if (parquet is None) == (csv is None):
        raise CorrganError("give exactly one of --parquet FILE and --csv FILE")
    path, file_format = (parquet, "parquet") if parquet else (csv, "csv")
    flag = "--parquet" if parquet else "--csv"
    check_sample_output(model, path, flag)
    trained = load_model(model, device=_device(device))
    levels = parse_where(trained, where or [])
    count = rows if rows is not None else trained.transform.num_rows
    summary = sample_to_file(
        trained,
        count,
        path,
        file_format,
        seed,
        batch_size,
        levels,
        _device(device),
        threads,
    )
    typer.echo(
        f"wrote {summary.rows} rows to {summary.path} in {summary.seconds:.2f} s "
        f"({summary.rows_per_second:,.0f} rows/s)"
    )


def _device(name: str):
    import torch

    if name.startswith("cuda") and not torch.cuda.is_available():
        raise CorrganError(f"--device {name}: no CUDA device is available; use cpu")
    try:
        return torch.device(name)
    except RuntimeError:
        raise CorrganError(
            f"--device {name!r} is not a device; use cpu or cuda"
        ) from None


@app.command()
@_user_errors
def report(
    real: Annotated[Path, typer.Option(help="Real (held-out) rows: Parquet or CSV.")],
    synthetic: Annotated[Path, typer.Option(help="Synthetic rows: Parquet or CSV.")],
    json_path: Annotated[
        Path, typer.Option("--json", help="Write the JSON report here.")
    ],
    train_path: Annotated[
        Path | None,
        typer.Option("--train", help="Training rows, for privacy and efficacy."),
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="Class column for within-class errors.")
    ] = None,
    plots: Annotated[
        Path | None, typer.Option(help="Write PNG heatmaps and marginals here.")
    ] = None,
    categorical: Annotated[
        str | None,
        typer.Option(help="Comma-separated columns to treat as categorical."),
    ] = None,
    drop: Annotated[
        str | None,
        typer.Option(help="Comma-separated columns to leave out of the scoring."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of subsamples and classifiers.")] = 0,
) -> None:
    """Score synthetic rows against real ones and write a JSON fidelity report.

    Correlation errors (Pearson, Spearman, mixed associations), within-class
    errors for --target, column shapes and pair trends, efficacy and privacy
    (with --train), next to the floor (real holdout vs training rows) and an
    independent-columns baseline.

    Example: corrgan report --real test.parquet --synthetic out.parquet --json r.json
    """
    _setup_logging()
    from corrgan.final_report import report_files

    summary = report_files(
        real,
        synthetic,
        json_path,
        train_path,
        target,
        plots,
        _names(categorical),
        seed,
        drop=_names(drop),
    )
    typer.echo(summary)


def main() -> None:
    """Entry point of the ``corrgan`` console script."""
    app(prog_name="corrgan")
