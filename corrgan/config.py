"""Configuration dataclasses: the single source of every default.

A run's configuration is built in three layers: these defaults, then a TOML
file (``--config``, sections ``[data]``, ``[model]`` and ``[train]``), then
command-line flags. The effective result is saved as ``config.json`` in the
run directory.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corrgan.errors import CorrganError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


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
        if not 0.0 <= self.test_fraction < 1.0:
            raise CorrganError(
                f"test_fraction must be in [0, 1), got {self.test_fraction}"
            )
        if self.max_categories < 2:
            raise CorrganError(
                f"max_categories must be >= 2, got {self.max_categories}"
            )


@dataclass
class ModelConfig:
    """Sizes of the attention generator and the discriminator."""

    width: int = 32
    """Width of each column token."""
    depth: int = 2
    """Number of pre-norm transformer blocks over the column tokens."""
    heads: int = 4
    """Attention heads; must divide width."""
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
        if self.width % self.heads:
            raise CorrganError(
                f"model width {self.width} is not divisible by heads {self.heads}"
            )
        if self.architecture not in {"attention", "mlp"}:
            raise CorrganError(
                f"unknown architecture {self.architecture!r}; use attention or mlp"
            )


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
    gumbel_tau: float = 0.2
    """Gumbel-softmax temperature of categorical heads while training."""
    ema_decay: float = 0.999
    """Exponential moving average of the generator's weights; 0 disables it."""
    seed: int = 0
    checkpoint_every: int = 500
    """Steps between checkpoints; 0 keeps only the final one."""
    keep_checkpoints: int = 2
    log_every: int = 100
    """Steps between plain log lines (batch logs) and probe evaluations."""
    probe_rows: int = 2000
    """Rows generated to measure the correlation error during training."""
    mixed_precision: str = "no"
    log_with: str | None = None
    """Accelerate tracker: tensorboard, wandb or mlflow."""
    threads: int | None = None
    """CPU threads per process; None shares this machine's cores out among the
    processes launched on it."""

    def __post_init__(self) -> None:
        if self.steps is not None and self.steps < 1:
            raise CorrganError(f"steps must be >= 1, got {self.steps}")
        if self.auto_steps < 1 or self.auto_max_epochs <= 0:
            raise CorrganError(
                "auto_steps must be >= 1 and auto_max_epochs > 0, got "
                f"{self.auto_steps} and {self.auto_max_epochs}"
            )
        if self.batch_size < 2:
            raise CorrganError(f"batch_size must be >= 2, got {self.batch_size}")
        if self.corr_weight < 0:
            raise CorrganError(f"corr_weight must be >= 0, got {self.corr_weight}")
        if self.mixed_precision not in {"no", "fp16", "bf16", "fp8"}:
            raise CorrganError(
                f"unknown mixed precision {self.mixed_precision!r}; "
                "use no, fp16, bf16 or fp8"
            )
        self.betas = tuple(self.betas)

    def total_steps(self, rows: int) -> int:
        """The step budget for a table of ``rows`` training rows."""
        if self.epochs is not None:
            return max(1, math.ceil(self.epochs * rows / self.batch_size))
        if self.steps is not None:
            return self.steps
        capped = math.ceil(self.auto_max_epochs * rows / self.batch_size)
        return max(1, min(self.auto_steps, capped))


@dataclass
class RunConfig:
    """Everything a training run needs, saved as ``config.json``."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any], where: str = "config") -> RunConfig:
        """Build a config from nested dicts, rejecting unknown keys."""
        sections = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}
        unknown = set(values) - set(sections)
        if unknown:
            raise CorrganError(
                f"{where}: unknown section(s) {', '.join(sorted(unknown))}; "
                "use [data], [model] and [train]"
            )
        built = {}
        for name, section in sections.items():
            built[name] = _build_section(section, values.get(name, {}), where, name)
        return cls(**built)


def _build_section(section: type, values: dict[str, Any], where: str, name: str):
    known = {item.name for item in dataclasses.fields(section)}
    unknown = set(values) - known
    if unknown:
        raise CorrganError(
            f"{where}: unknown key(s) in [{name}]: {', '.join(sorted(unknown))}; "
            f"known keys are {', '.join(sorted(known))}"
        )
    try:
        return section(**values)
    except TypeError as err:
        raise CorrganError(f"{where}: bad value in [{name}]: {err}") from None


def load_config(path: Path | str | None, overrides: dict[str, dict[str, Any]]):
    """Defaults, then the TOML file (if any), then the non-None ``overrides``."""
    values: dict[str, dict[str, Any]] = {}
    if path is not None:
        path = Path(path)
        try:
            values = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise CorrganError(f"config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as err:
            raise CorrganError(f"config file {path} is not valid TOML: {err}") from None
    for section, items in overrides.items():
        for key, value in items.items():
            if value is not None:
                values.setdefault(section, {})[key] = value
    return RunConfig.from_dict(values, where=str(path) if path else "flags")


def default(section: type, name: str) -> Any:
    """The default of one config field, for help texts."""
    for item in dataclasses.fields(section):
        if item.name == name:
            if item.default_factory is not dataclasses.MISSING:
                return item.default_factory()
            return item.default
    raise KeyError(name)
