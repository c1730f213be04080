"""``corrgan train`` end to end: read, type, split, fit, train, save, report."""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from accelerate.utils import broadcast_object_list

from corrgan.checkpoint import checkpoint_step, latest_checkpoint
from corrgan.config import SECTIONS, RunConfig, label
from corrgan.datasets import DEFAULT_NAME, DEFAULT_TARGET, load_wine
from corrgan.errors import CorrganError
from corrgan.io import (
    TableSource,
    atomic_path,
    check_output_folder,
    make_folder,
    read_table,
    write_table,
)
from corrgan.model_store import TRANSFORM_FILE, save_model
from corrgan.sampling import usable_cores
from corrgan.schema import check_category_count, infer_schema, value_type
from corrgan.training import Trainer, TrainResult, make_accelerator
from corrgan.transform import CategoricalColumn, TableTransform, read_transform

logger = logging.getLogger(__name__)

MIN_ROWS = 10
RUNS_ROOT = Path("runs")


@dataclass
class RunOutcome:
    """Where a run went and how training ended."""

    run_dir: Path
    result: TrainResult
    report: dict | None = None


def load_source(config: RunConfig) -> tuple[TableSource, str]:
    """The table to learn (the built-in wine table when no path is given)."""
    if config.data.data is None:
        return TableSource.from_table(load_wine(), DEFAULT_NAME), DEFAULT_NAME
    source = TableSource(config.data.data)
    return source, str(source.path)


def check_rows(num_rows: int, where: str) -> None:
    if num_rows == 0:
        raise CorrganError(
            f"{where} has no rows (only a header, or an empty dataset); corrgan "
            f"needs at least {MIN_ROWS} rows to learn from"
        )
    if num_rows < MIN_ROWS:
        raise CorrganError(
            f"{where} has {num_rows} row(s); corrgan needs at least {MIN_ROWS} "
            "rows to learn from"
        )


def check_training_rows(train: pa.Table, test: pa.Table, fraction: float, where: str):
    """Fail if the held-out rows leave fewer than ``MIN_ROWS`` to train on."""
    if train.num_rows < MIN_ROWS:
        raise CorrganError(
            f"the training split of {where} has {train.num_rows} row(s) after "
            f"{test.num_rows} are held out (--test-fraction {fraction:g}); corrgan "
            f"needs at least {MIN_ROWS} rows to learn from: lower --test-fraction "
            "(0 trains on every row)"
        )


def check_training_values(train: pa.Table, test: pa.Table, where: str) -> None:
    """Fail if a column has no values in the training split.

    A column with a few values may have all of them drawn into the held-out
    split: the transform, fitted on the training split only, has nothing to
    learn from there.
    """
    for name in train.schema.names:
        if _count_values(train.column(name)) == 0:
            held_out = _count_values(test.column(name))
            raise CorrganError(
                f"column {name!r} in {where} has values only in rows drawn into "
                f"the held-out split ({held_out} of them), so the training split "
                f"holds none to learn from; remove it with --drop {name}, or fill "
                "in more of its values"
            )


def _count_values(values: pa.ChunkedArray) -> int:
    # NaN in a float column counts as a null, as when the schema is inferred
    present = len(values) - values.null_count
    plain = value_type(values.type)
    if pa.types.is_floating(plain):
        present -= pc.sum(pc.is_nan(values.cast(plain))).as_py() or 0
    return present


def check_category_counts(
    transform: TableTransform, config: RunConfig, where: str
) -> None:
    """Fail if a categorical column has more values in the training split
    than the limit allows.

    The kinds are inferred from a sample of ``fit_sample_rows`` rows, which
    can hold far fewer of a column's values than the whole table: a long
    tail of rare text values, or an integer column that looks like a handful
    of classes in a small sample.
    """
    for column, field in zip(transform.columns, transform.output_schema, strict=True):
        if isinstance(column, CategoricalColumn):
            distinct = len(column.categories)
            kind = value_type(field.type)
            check_category_count(
                column.name, kind, distinct, config.data, where, "train"
            )


def check_varies(transform: TableTransform, where: str) -> None:
    """Fail if every modelled column holds a single value: the model would
    have no output to generate."""
    if transform.width == 0:
        raise CorrganError(
            f"every column of {where} holds a single value in the training split "
            f"({', '.join(transform.schema.names)}), so there is nothing to learn; "
            "corrgan needs at least one column whose values vary"
        )


def split_rows(
    table: pa.Table, fraction: float, target: str | None, seed: int
) -> tuple[pa.Table, pa.Table]:
    """A seeded train/test split, stratified on ``target`` when given.

    The test split gets ``round(fraction * rows)`` rows. Stratified, each
    class sends ``fraction * size`` of its rows, rounded down, and the rows
    still owed go one each to the classes with the largest remainders (ties in
    random order); a class always keeps at least one row for training. So
    a table of many small classes still gets its test split.
    """
    rng = np.random.default_rng([seed, 7])
    if fraction == 0:
        return table, table.slice(0, 0)
    if target is None:
        order = rng.permutation(table.num_rows)
        cut = int(round(fraction * table.num_rows))
        test, train = np.sort(order[:cut]), np.sort(order[cut:])
    else:
        labels = pc.cast(table.column(target), pa.string()).to_numpy(
            zero_copy_only=False
        )
        labels = np.array(
            ["\x00null" if v is None else v for v in labels], dtype=object
        )
        classes = sorted(set(labels))
        members = [rng.permutation(np.nonzero(labels == c)[0]) for c in classes]
        cuts = _stratified_cuts(
            np.array([len(rows) for rows in members]),
            fraction,
            np.random.default_rng([seed, 8]),
        )
        test_parts = [rows[:cut] for rows, cut in zip(members, cuts, strict=True)]
        train_parts = [rows[cut:] for rows, cut in zip(members, cuts, strict=True)]
        test = np.sort(np.concatenate(test_parts))
        train = np.sort(np.concatenate(train_parts))
    return table.take(train), table.take(test)


def _stratified_cuts(
    sizes: np.ndarray, fraction: float, rng: np.random.Generator
) -> np.ndarray:
    """Test rows per class: largest remainders, at least one training row.

    Where the classes' last rows must stay in training, the test split can
    fall short of ``round(fraction * rows)``; no class exceeds its rounded-up
    share to make up for it.
    """
    exact = fraction * sizes
    capacity = sizes - 1
    # below 1, a share rounded down never takes a class's last row
    cuts = np.floor(exact).astype(np.int64)
    owed = int(round(fraction * sizes.sum())) - int(cuts.sum())
    # the largest remainders first, ties broken at random
    remainder = exact - cuts
    order = np.lexsort((rng.random(len(sizes)), -remainder))
    for index in order:
        if owed <= 0:
            break
        # one more row at most, and only to a class whose share it rounds up
        if remainder[index] > 0 and cuts[index] < capacity[index]:
            cuts[index] += 1
            owed -= 1
    return cuts


MAX_LISTED_FILES = 5
"""A folder refused as --out names at most this many of its files."""


def new_run_dir(name: str) -> Path:
    """A fresh ``runs/<time>-<name>`` folder name (not created)."""
    stem = Path(name).stem or "run"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = RUNS_ROOT / f"{stamp}-{stem}"
    suffix = 1
    while run_dir.exists():
        suffix += 1
        run_dir = RUNS_ROOT / f"{stamp}-{stem}-{suffix}"
    return run_dir


def holds_a_run(folder: Path) -> bool:
    """Whether ``folder`` holds a corrgan run: a config.json with the run's
    sections (another tool's config.json is just a file)."""
    try:
        saved = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(saved, dict) and set(SECTIONS) <= set(saved)


def check_new_run_folder(
    out: Path, own: frozenset[str] = frozenset(), flag: str = "--out"
) -> None:
    """Refuse an existing folder that holds anything but ``own``.

    A run writes its splits, model, report and plots under fixed names, so
    in a folder of other files it could replace one of them: the training
    data itself, were it called ``train.parquet``.
    """
    if not out.is_dir():
        return
    others = sorted(entry.name for entry in out.iterdir() if entry.name not in own)
    if not others:
        return
    shown = ", ".join(others[:MAX_LISTED_FILES])
    if len(others) > MAX_LISTED_FILES:
        shown += f" and {len(others) - MAX_LISTED_FILES} more"
    raise CorrganError(
        f"{flag} {out} is not a corrgan run and already holds files ({shown}), "
        "which the run could replace (its splits, model, report and plots go "
        f"there under fixed names): pick a new or empty folder for {flag}"
    )


def _point_latest(run_dir: Path) -> None:
    """Make ``runs/latest`` a relative symlink to the newest run, atomically."""
    if run_dir.parent.resolve() != RUNS_ROOT.resolve():
        return
    link = RUNS_ROOT / "latest"
    temporary = RUNS_ROOT / f".latest-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(run_dir.name)
    os.replace(temporary, link)


def _prepare_data(
    config: RunConfig, run_dir: Path, resume: bool
) -> tuple[pa.Table, pa.Table, TableTransform]:
    """Splits and transform: reused from the run directory when resuming."""
    train_path, test_path = run_dir / "train.parquet", run_dir / "test.parquet"
    transform_path = run_dir / TRANSFORM_FILE
    if resume and train_path.exists() and transform_path.exists():
        return (
            read_table(train_path),
            read_table(test_path),
            read_transform(transform_path),
        )
    source, where = load_source(config)
    num_rows = source.num_rows
    check_rows(num_rows, where)
    data = config.data
    sample = source.sample(data.fit_sample_rows, config.train.seed)
    schema = infer_schema(sample, data, where)
    table = source.read(schema.names)
    train, test = split_rows(table, data.test_fraction, data.target, config.train.seed)
    check_training_rows(train, test, data.test_fraction, where)
    check_training_values(train, test, where)
    transform = TableTransform.fit(
        train, schema, data.fit_sample_rows, config.train.seed
    )
    check_category_counts(transform, config, f"the training split of {where}")
    check_varies(transform, where)
    return train, test, transform


# what a resumed run may set differently: its budget and its bookkeeping
RESUMABLE_CHANGES = frozenset(
    {
        "steps",
        "epochs",
        "auto_steps",
        "auto_max_epochs",
        "checkpoint_every",
        "keep_checkpoints",
        "log_every",
        "probe_rows",
        "mixed_precision",
        "log_with",
        "threads",
    }
)


def check_resumable(config: RunConfig, run_dir: Path) -> None:
    """Refuse to resume a run with settings that would change what it learns.

    The splits, the transform and the weights come from the run directory, so
    a new --data, --target or --seed would be recorded in config.json but not
    used, and a new batch size or loss weight would change the run halfway.
    """
    saved_path = run_dir / "config.json"
    saved = RunConfig.from_dict(
        json.loads(saved_path.read_text()), where=str(saved_path)
    ).to_dict()
    changed = []
    for section, values in config.to_dict().items():
        for key, value in values.items():
            before = saved[section][key]
            if key in RESUMABLE_CHANGES or value == before:
                continue
            if key == "data" and _same_file(value, before):
                continue
            changed.append(f"{label(key)} {value!r} (the run has {before!r})")
    if changed:
        raise CorrganError(
            f"--resume continues {run_dir} with the settings it started with, "
            f"and these differ from its config.json: {'; '.join(changed)}; leave "
            "them out of the flags and --config file to resume, or start a new "
            "run with another --out"
        )


def check_budget_covers_checkpoint(
    config: RunConfig, run_dir: Path, num_rows: int
) -> None:
    """Refuse a step budget below the steps the run's checkpoint has trained.

    Such a run would train nothing and save the checkpoint's model, while its
    config.json recorded the smaller budget.
    """
    found = latest_checkpoint(run_dir / "checkpoints")
    if found is None:
        return
    # the folder's step: restoring refuses a train_state.json that differs
    done = checkpoint_step(found)
    budget = config.train.total_steps(num_rows)
    if budget < done:
        raise CorrganError(
            f"--resume would train {run_dir} to {budget} steps, but its checkpoint "
            f"{found.name} has trained {done}; give --steps {done} or more (or "
            "--epochs to match), or start a new run with another --out"
        )


def check_threads(threads: int | None) -> None:
    """Refuse more training threads than the cores this process may run on.

    Threads beyond the cores only wait for each other at the barrier after
    every operator, and a count in the tens of thousands makes OpenMP fail to
    create them, which kills the process halfway through the run.
    """
    cores = usable_cores()
    if threads is not None and threads > cores:
        raise CorrganError(
            f"threads (--threads) is {threads}, but this process may run on "
            f"{cores} core(s); give --threads {cores} or fewer (threads beyond "
            "the cores only wait for each other)"
        )


def _same_file(first: str | None, second: str | None) -> bool:
    if first is None or second is None:
        return False
    try:
        return Path(first).samefile(second)
    except OSError:
        return False


def run_training(
    config: RunConfig,
    out: Path | None,
    resume: bool,
    own_files: frozenset[str] = frozenset(),
) -> RunOutcome:
    """Train a model as ``config`` says and leave a complete run directory.

    ``out`` must be a run to resume, or new, or empty but for ``own_files``:
    names the caller put there for this run (the Python interface's copy of
    an in-memory table).
    """
    if resume and out is None:
        raise CorrganError("--resume needs --out RUN_DIR: the run to continue")
    if out is not None and not resume and holds_a_run(out):
        raise CorrganError(
            f"run directory {out} already holds a run; continue it with --resume, "
            "or pick another --out"
        )
    if out is not None:
        check_output_folder(out, fix="pick another --out for the run directory")
        if not holds_a_run(out):
            check_new_run_folder(out, own=own_files)
    # the built-in table comes with its class column as the target, unless
    # the flags leave that column out or make it a number
    kept_class = DEFAULT_TARGET not in (*config.data.drop, *config.data.continuous)
    if config.data.data is None and config.data.target is None and kept_class:
        config.data.target = DEFAULT_TARGET
    if resume and holds_a_run(out):
        check_resumable(config, out)
    check_threads(config.train.threads)
    run_dir = out

    # one process picks the run directory; the others follow it
    name = config.data.data or DEFAULT_NAME
    chosen = [str(run_dir) if run_dir else str(new_run_dir(name))]
    accelerator = make_accelerator(
        config.train.mixed_precision, config.train.log_with, Path(chosen[0])
    )
    if accelerator.num_processes > 1:
        broadcast_object_list(chosen)
    run_dir = Path(chosen[0])

    # the data, typed, split and transformed
    with accelerator.main_process_first():
        train, test, transform = _prepare_data(config, run_dir, resume)
    if resume:
        check_budget_covers_checkpoint(config, run_dir, train.num_rows)
    if accelerator.is_main_process:
        make_folder(run_dir, fix="pick another --out for the run directory")
        _point_latest(run_dir)
        with atomic_path(run_dir / "config.json") as path:
            path.write_text(json.dumps(config.to_dict(), indent=1))
        # both splits read back in pandas with the same dtypes
        nullable = {
            name
            for name in train.schema.names
            if train.column(name).null_count or test.column(name).null_count
        }
        write_table(train, run_dir / "train.parquet", nullable)
        write_table(test, run_dir / "test.parquet", nullable)
        with atomic_path(run_dir / TRANSFORM_FILE) as path:
            path.write_text(transform.to_json())
        logger.info(
            "run directory %s: %d training rows, %d held out, %d model-space columns",
            run_dir,
            train.num_rows,
            test.num_rows,
            transform.width,
        )
        # `accelerate launch --cpu --num_processes 2` starts one process: say
        # how many train, so that a launch that did not spread is visible
        logger.info(
            "training on %d process(es), device %s",
            accelerator.num_processes,
            accelerator.device,
        )
    accelerator.wait_for_everyone()
    if config.train.log_with:
        accelerator.init_trackers("corrgan", config=_flat_config(config))

    # training
    trainer = Trainer(
        config, transform, transform.transform(train), run_dir, accelerator
    )
    result = trainer.train(resume=resume)
    outcome = RunOutcome(run_dir, result)
    if result.interrupted:
        return outcome

    # the trained model, then the fidelity report on the held-out rows
    if accelerator.is_main_process:
        save_model(run_dir, trainer.ema, transform, config.model, config.data.target)
        logger.info("trained %d steps in %.1f s", result.steps_done, result.seconds)
        if 0 < test.num_rows < MIN_ROWS:
            # a correlation of one row is undefined: those lines of the
            # summary would be missing without a word
            logger.warning(
                "the report scores only %d held-out row(s) (--test-fraction %g): "
                "its correlations need at least 2 rows and any score of fewer "
                "than %d means little; raise --test-fraction for a report to "
                "rely on",
                test.num_rows,
                config.data.test_fraction,
                MIN_ROWS,
            )
        if test.num_rows:
            from corrgan.final_report import write_run_report

            outcome.report = write_run_report(run_dir, train, test, config)
        else:
            logger.warning(
                "no held-out rows (%s), so no report.json: score the model with "
                "corrgan sample and corrgan report on rows it did not see",
                _why_none_held_out(config, train.num_rows),
            )
    accelerator.wait_for_everyone()
    if config.train.log_with:
        accelerator.end_training()
    return outcome


def _why_none_held_out(config: RunConfig, rows: int) -> str:
    """Why a run's split holds out no rows, for the warning that it has no
    report."""
    fraction, target = config.data.test_fraction, config.data.target
    if fraction == 0:
        return f"--test-fraction {fraction}"
    if target is None or round(fraction * rows) == 0:
        return f"--test-fraction {fraction:g} of {rows} rows rounds to none"
    # every class keeps a row for training, and a share below one rounds down
    return (
        f"--test-fraction {fraction:g}, stratified on --target {target}: no "
        "class has rows to spare beyond the one it keeps for training; choose a "
        "--target whose classes have several rows each"
    )


def _flat_config(config: RunConfig) -> dict:
    flat = {}
    for section, values in config.to_dict().items():
        for key, value in values.items():
            if isinstance(value, (int, float, str, bool)) or value is None:
                flat[f"{section}.{key}"] = value
    return flat
