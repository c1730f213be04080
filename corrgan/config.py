"""Configuration dataclasses: the single source of every default.

A run's configuration is built in three layers: these defaults, then a TOML
file (``--config``, sections ``[data]``, ``[model]`` and ``[train]``), then
command-line flags. The effective result is saved as ``config.json`` in the
run directory.

Every value is checked when its dataclass is built: first its type against the
field's annotation, then its range, so a mistake stops the run before a run
directory exists.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corrgan.errors import CorrganError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

FLAGS = frozenset(
    {
        "data",
        "target",
        "categorical",
        "continuous",
        "drop",
        "max_categories",
        "test_fraction",
        "steps",
        "epochs",
        "seed",
        "batch_size",
        "corr_weight",
        "architecture",
        "checkpoint_every",
        "log_every",
        "mixed_precision",
        "log_with",
        "threads",
    }
)
"""Fields that ``corrgan train`` also sets by a flag, named ``--field-name``."""

MAX_SEED = 2**32 - 1


class FieldError(CorrganError):
    """A bad config value; ``names`` are the fields the check looked at."""

    def __init__(self, message: str, *names: str) -> None:
        super().__init__(message)
        self.names = names


def label(name: str) -> str:
    """A field's name, followed by its flag where ``corrgan train`` has one."""
    if name in FLAGS:
        return f"{name} (--{name.replace('_', '-')})"
    return name


@dataclass
class DataConfig:
    """How a table is read, typed and split."""

    data: str | None = None
    """Parquet file or directory, or CSV; None means the built-in wine table."""
    categorical: list[str] = field(default_factory=list)
    """Columns forced to categorical."""
    continuous: list[str] = field(default_factory=list)
    """Columns forced to continuous (or integer, for integer columns)."""
    drop: list[str] = field(default_factory=list)
    """Columns left out of the model and of the generated table."""
    target: str | None = None
    """Categorical column the split is stratified on and the report scores."""
    test_fraction: float = 0.2
    """Share of rows held out for the report; 0 trains on every row."""
    max_categories: int = 1000
    """A categorical column with more distinct values than this is an error."""
    integer_categorical_max: int = 10
    """Integer columns with at most this many distinct values are categorical."""
    fit_sample_rows: int = 100_000
    """Rows of the seeded sample that the continuous transforms are fitted on."""

    def __post_init__(self) -> None:
        _check_types(self)
        _check(self, "test_fraction", 0.0 <= self.test_fraction < 1.0, "in [0, 1)")
        _check(self, "max_categories", self.max_categories >= 2, ">= 2")
        _check(
            self, "integer_categorical_max", self.integer_categorical_max >= 0, ">= 0"
        )
        _check(self, "fit_sample_rows", self.fit_sample_rows >= 1, ">= 1")


@dataclass
class ModelConfig:
    """Sizes of the attention generator and the discriminator."""

    width: int = 24
    """Width of each column token."""
    depth: int = 1
    """Number of pre-norm transformer blocks over the column tokens."""
    heads: int = 2
    """Attention heads; must divide width. The defaults are the fastest of the
    sizes compared in docs/benchmarks.md that kept the fidelity of width 32,
    depth 2 and 4 heads on every table there; sampling is 2.6x faster."""
    noise_dim: int = 32
    """Dimension of the noise vector drawn per row."""
    discriminator_width: int = 128
    """Hidden width of the discriminator MLP."""
    discriminator_depth: int = 2
    """Hidden layers of the discriminator MLP."""
    pac: int = 1
    """Rows packed into one discriminator input (PacGAN); 1 disables packing."""
    architecture: str = "attention"
    """``attention`` (the corrgan generator) or ``mlp`` (for ablations)."""

    def __post_init__(self) -> None:
        _check_types(self)
        for name in ("width", "depth", "heads", "noise_dim", "pac"):
            _check(self, name, getattr(self, name) >= 1, ">= 1")
        for name in ("discriminator_width", "discriminator_depth"):
            _check(self, name, getattr(self, name) >= 1, ">= 1")
        # checked after heads >= 1, so that the modulo cannot divide by zero
        if self.width % self.heads:
            raise FieldError(
                f"width {self.width} is not divisible by heads {self.heads}; "
                "choose heads that divide width",
                "width",
                "heads",
            )
        choices = {"attention", "mlp"}
        _check(self, "architecture", self.architecture in choices, "attention or mlp")


@dataclass
class TrainConfig:
    """The training budget, optimisers, loss weights and bookkeeping."""

    steps: int | None = None
    """Generator updates, the unit of the training budget. None means
    ``auto_steps``, or fewer on a small table so that training makes at most
    ``auto_max_epochs`` passes over its rows."""
    epochs: float | None = None
    """If set, overrides steps with this many passes over the training rows."""
    auto_steps: int = 1000
    auto_max_epochs: float = 500.0
    batch_size: int = 256
    """Rows per generator and discriminator batch (global, over all ranks)."""
    generator_lr: float = 1e-3
    discriminator_lr: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.9)
    weight_decay: float = 1e-6
    gradient_penalty: float = 10.0
    """Weight of the WGAN-GP gradient penalty."""
    corr_weight: float = 10.0
    """Weight of the correlation-constraint loss; 0 turns it off."""
    moment_weight: float = 5.0
    """Weight of the per-condition mean/std loss; 0 turns it off."""
    marginal_weight: float = 5.0
    """Weight of the per-column sorted-values (1-D Wasserstein) loss; 0 turns
    it off."""
    gumbel_tau: float = 0.2
    """Gumbel-softmax temperature of categorical heads while training."""
    ema_decay: float = 0.999
    """Exponential moving average of the generator's weights; 0 disables it."""
    seed: int = 0
    checkpoint_every: int = 500
    """Steps between checkpoints; 0 keeps only the final one."""
    keep_checkpoints: int = 2
    """Complete checkpoints kept on disk; older ones are deleted."""
    log_every: int = 100
    """Steps between plain log lines (batch logs) and probe evaluations."""
    probe_rows: int = 2000
    """Rows generated to measure the correlation error during training; a
    correlation needs at least two."""
    mixed_precision: str = "no"
    """Accelerate's mixed precision on GPUs: no or bf16. fp16 is refused: its
    loss scaling does not fit the gradient penalty's double backward."""
    log_with: str | None = None
    """Accelerate tracker: tensorboard, wandb or mlflow."""
    threads: int | None = None
    """CPU threads per training process; None means one, the fastest on the
    tables benchmarked (docs/benchmarks.md). Sampling uses every core."""

    def __post_init__(self) -> None:
        _check_types(self)
        self.betas = tuple(self.betas)

        # the budget
        if self.steps is not None:
            _check(self, "steps", self.steps >= 1, ">= 1")
        if self.epochs is not None:
            _check(self, "epochs", _finite(self.epochs) > 0, "finite and > 0")
        _check(self, "auto_steps", self.auto_steps >= 1, ">= 1")
        positive = _finite(self.auto_max_epochs) > 0
        _check(self, "auto_max_epochs", positive, "finite and > 0")
        _check(self, "batch_size", self.batch_size >= 2, ">= 2")

        # optimisers and losses
        for name in ("generator_lr", "discriminator_lr", "gumbel_tau"):
            _check(self, name, _finite(getattr(self, name)) > 0, "finite and > 0")
        _check(self, "betas", all(0 <= beta < 1 for beta in self.betas), "in [0, 1)")
        weights = (
            "weight_decay",
            "gradient_penalty",
            "corr_weight",
            "moment_weight",
            "marginal_weight",
        )
        for name in weights:
            _check(self, name, _finite(getattr(self, name)) >= 0, "finite and >= 0")
        _check(self, "ema_decay", 0 <= self.ema_decay < 1, "in [0, 1)")

        # bookkeeping
        _check(self, "seed", 0 <= self.seed <= MAX_SEED, f"in [0, {MAX_SEED}]")
        _check(self, "checkpoint_every", self.checkpoint_every >= 0, ">= 0")
        _check(self, "keep_checkpoints", self.keep_checkpoints >= 1, ">= 1")
        _check(self, "log_every", self.log_every >= 1, ">= 1")
        _check(self, "probe_rows", self.probe_rows >= 2, ">= 2")
        if self.threads is not None:
            _check(self, "threads", self.threads >= 1, ">= 1")
        if self.log_with is not None:
            known = self.log_with in {"tensorboard", "wandb", "mlflow"}
            _check(self, "log_with", known, "tensorboard, wandb or mlflow")
        ok = self.mixed_precision in {"no", "bf16"}
        _check(
            self,
            "mixed_precision",
            ok,
            "no or bf16 (fp16 is not supported: the gradient penalty needs "
            "unscaled gradients)",
        )

    def total_steps(self, rows: int) -> int:
        """The step budget for a table of ``rows`` training rows."""
        if self.epochs is not None:
            return max(1, math.ceil(self.epochs * rows / self.batch_size))
        if self.steps is not None:
            return self.steps
        capped = math.ceil(self.auto_max_epochs * rows / self.batch_size)
        return max(1, min(self.auto_steps, capped))


SECTIONS = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}


@dataclass
class RunConfig:
    """Everything a training run needs, saved as ``config.json``."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(
        cls,
        values: dict[str, Any],
        where: str = "config",
        flagged: frozenset[tuple[str, str]] = frozenset(),
    ) -> RunConfig:
        """Build a config from nested dicts, rejecting unknown keys.

        Args:
            values: one dict of settings per section.
            where: the file the values came from, named in error messages.
            flagged: ``(section, key)`` pairs set by flags rather than by
                ``where``; an error in one of them names the flag alone.
        """
        _check_sections(values, where)
        built = {}
        for name, section in SECTIONS.items():
            built[name] = _build_section(
                section, values.get(name, {}), where, name, flagged
            )
        return cls(**built)


def _check_sections(values: dict[str, Any], where: str) -> None:
    """Every top-level entry must be one of the known sections, as a table."""
    homes = {
        item.name: name
        for name, section in SECTIONS.items()
        for item in dataclasses.fields(section)
    }
    loose = sorted(key for key, value in values.items() if not isinstance(value, dict))
    # data is a section and a setting too; as a value, it is the setting
    tables = [key for key in loose if key in SECTIONS and key not in homes]
    if tables:
        raise CorrganError(
            f"{where}: {tables[0]} must be a section, not a value; write "
            f"[{tables[0]}] on a line of its own with its keys below it"
        )
    strays = [key for key in loose if key not in homes]
    if strays:
        raise CorrganError(
            f"{where}: unknown key(s) outside any section: {', '.join(strays)}; "
            "settings go under [data], [model] and [train]"
        )
    if loose:
        if len(loose) == 1:
            placement = f"it under [{homes[loose[0]]}]"
        else:
            placement = ", ".join(f"{key} under [{homes[key]}]" for key in loose)
        raise CorrganError(
            f"{where}: {', '.join(loose)} must be inside a section; put {placement}"
        )
    unknown = set(values) - set(SECTIONS)
    if unknown:
        raise CorrganError(
            f"{where}: unknown section(s) {', '.join(sorted(unknown))}; "
            "use [data], [model] and [train]"
        )


def _build_section(
    section: type,
    values: dict[str, Any],
    where: str,
    name: str,
    flagged: frozenset[tuple[str, str]],
):
    known = {item.name for item in dataclasses.fields(section)}
    unknown = set(values) - known
    if unknown:
        raise CorrganError(
            f"{where}: unknown key(s) in [{name}]: {', '.join(sorted(unknown))}; "
            f"known keys are {', '.join(sorted(known))}"
        )
    try:
        return section(**values)
    except FieldError as err:
        # name the file only if it gave one of the values the check looked at
        if any(key in values and (name, key) not in flagged for key in err.names):
            raise CorrganError(f"{where}: [{name}] {err}") from None
        raise


def load_config(
    path: Path | str | None,
    overrides: dict[str, dict[str, Any]],
    base: RunConfig | None = None,
):
    """Defaults, then the TOML file (if any), then the non-None ``overrides``.

    ``base`` replaces the defaults: a resumed run's settings, which a file
    given to the resumed run changes only where it names a value.
    """
    values: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if path.is_dir():
            raise CorrganError(
                f"config file {path} is a folder; pass the TOML file itself"
            )
        try:
            # utf-8-sig: a byte-order mark (Windows editors write one) is no TOML
            values = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise CorrganError(f"config file {path} does not exist") from None
        except UnicodeDecodeError:
            raise CorrganError(
                f"config file {path} is not UTF-8 text; save it as UTF-8"
            ) from None
        except tomllib.TOMLDecodeError as err:
            raise CorrganError(f"config file {path} is not valid TOML: {err}") from None
        _check_sections(values, str(path))
    flagged = merge_flags(values, overrides)
    where = str(path) if path else "flags"
    if base is not None:
        # base is a valid config: a value found wrong is the file's or a flag's
        merged = base.to_dict()
        for name, section in values.items():
            merged[name].update(section)
        values = merged
    return RunConfig.from_dict(values, where=where, flagged=flagged)


def merge_flags(
    values: dict[str, Any], overrides: dict[str, dict[str, Any]]
) -> frozenset[tuple[str, str]]:
    """Set the non-None ``overrides`` in ``values``; return the keys they set.

    The keys go to :meth:`RunConfig.from_dict` as ``flagged``, so that a bad
    flag is blamed on the flag rather than on the file the rest came from.
    """
    flagged = set()
    # a step budget given beside the file's (or a resumed run's) epochs
    # replaces them: epochs override steps, so the flag would go unheard
    train = overrides.get("train", {})
    if train.get("steps") is not None and train.get("epochs") is None:
        values.setdefault("train", {})["epochs"] = None
    for section, items in overrides.items():
        for key, value in items.items():
            if value is not None:
                values.setdefault(section, {})[key] = value
                flagged.add((section, key))
    return frozenset(flagged)


def default(section: type, name: str) -> Any:
    """The default of one config field, for help texts."""
    for item in dataclasses.fields(section):
        if item.name == name:
            if item.default_factory is not dataclasses.MISSING:
                return item.default_factory()
            return item.default
    raise KeyError(name)


# checks


def _check(config: Any, name: str, ok: bool, rule: str) -> None:
    if not ok:
        value = getattr(config, name)
        shown = list(value) if isinstance(value, tuple) else value
        raise FieldError(f"{label(name)} must be {rule}, got {shown!r}", name)


def _finite(value: float) -> float:
    """The value itself, or NaN (which fails every comparison) if infinite."""
    return value if math.isfinite(value) else math.nan


@functools.cache
def _hints(section: type) -> dict[str, Any]:
    return typing.get_type_hints(section)


def _check_types(config: Any) -> None:
    """Each field's value must have the field's annotated type."""
    for name, hint in _hints(type(config)).items():
        value = getattr(config, name)
        if not _matches(value, hint):
            raise FieldError(
                f"{label(name)} must be {_describe(hint)}, "
                f"got {value!r} ({_kind(value)})",
                name,
            )


def _matches(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in args)
    if hint is type(None):
        return value is None
    if hint is int:
        # bool is an int to Python, but true is no step count
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if origin is list:
        return isinstance(value, (list, tuple)) and all(
            _matches(item, args[0]) for item in value
        )
    if origin is tuple:
        return (
            isinstance(value, (list, tuple))
            and len(value) == len(args)
            and all(_matches(item, arg) for item, arg in zip(value, args, strict=True))
        )
    return isinstance(value, hint)


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        named = [_describe(arg) for arg in args if arg is not type(None)]
        return " or ".join(named) + (" or none" if type(None) in args else "")
    if origin is list:
        return f"a list of {_describe(args[0]).split(' ', 1)[1]}s"
    if origin is tuple:
        return f"a list of {len(args)} {_describe(args[0]).split(' ', 1)[1]}s"
    return {int: "an integer", float: "a number", str: "a string"}.get(
        hint, f"a {getattr(hint, '__name__', hint)}"
    )


def _kind(value: Any) -> str:
    kinds = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    kinds.update({list: "a list", tuple: "a list", dict: "a table", type(None): "none"})
    return kinds.get(type(value), type(value).__name__)
