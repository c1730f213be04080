"""Configuration layers (defaults, TOML, flags), config.json, and the split.

The split is here because ``test_fraction`` and ``target`` are the two
settings that decide it.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import typer.main
from hypothesis import given, settings
from hypothesis import strategies as st

from corrgan.cli import _resumed_config, app
from corrgan.config import (
    FLAGS,
    SECTIONS,
    DataConfig,
    ModelConfig,
    RunConfig,
    TrainConfig,
    default,
    load_config,
)
from corrgan.errors import CorrganError
from corrgan.pipeline import MIN_ROWS, check_rows, split_rows

# what the CLI passes when no flag is given: every override None
NO_FLAGS = {
    "data": {"test_fraction": None, "max_categories": None, "categorical": None},
    "train": {"steps": None, "seed": None, "batch_size": None},
    "model": {"architecture": None},
}


def test_defaults_come_from_the_dataclasses():
    config = load_config(None, NO_FLAGS)
    assert config == RunConfig()
    assert config.data.test_fraction == DataConfig().test_fraction
    assert config.train.steps == TrainConfig().steps
    assert config.model.width == ModelConfig().width
    assert default(DataConfig, "categorical") == []
    assert default(TrainConfig, "betas") == (0.5, 0.9)


def test_cli_help_defaults_are_the_dataclass_defaults():
    params = {p.name: p for p in typer.main.get_command(app).commands["train"].params}
    shown = {
        "seed": TrainConfig().seed,
        "batch_size": TrainConfig().batch_size,
        "corr_weight": TrainConfig().corr_weight,
        "checkpoint_every": TrainConfig().checkpoint_every,
        "log_every": TrainConfig().log_every,
        "max_categories": DataConfig().max_categories,
        "test_fraction": DataConfig().test_fraction,
        "architecture": ModelConfig().architecture,
    }
    for name, value in shown.items():
        assert params[name].help.endswith(f"[default: {value}]"), name
        # the flag itself defaults to None, so that it overrides nothing
        assert params[name].default is None, name
    train = TrainConfig()
    assert params["steps"].help.endswith(
        f"[default: {train.auto_steps}, at most {train.auto_max_epochs:g} passes "
        "over a small table]"
    )
    assert params["steps"].default is None


def test_a_toml_file_overrides_the_defaults(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(
        "[data]\ncategorical = ['a', 'b']\ntest_fraction = 0.3\n"
        "[model]\nwidth = 64\nheads = 8\n"
        "[train]\nsteps = 12\nbetas = [0.4, 0.8]\n"
    )
    config = load_config(path, NO_FLAGS)
    assert config.data.categorical == ["a", "b"]
    assert config.data.test_fraction == 0.3
    assert (config.model.width, config.model.heads) == (64, 8)
    assert config.train.steps == 12
    assert config.train.betas == (0.4, 0.8)
    # untouched keys keep their defaults
    assert config.data.max_categories == DataConfig().max_categories
    assert config.model.depth == ModelConfig().depth
    assert config.train.batch_size == TrainConfig().batch_size


def test_flags_override_the_toml_file(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("[train]\nsteps = 12\nseed = 3\n[data]\ntest_fraction = 0.3\n")
    flags = {"train": {"steps": 99, "seed": None}, "data": {"test_fraction": 0.0}}
    config = load_config(path, flags)
    assert config.train.steps == 99
    assert config.train.seed == 3
    assert config.data.test_fraction == 0.0


def test_flags_alone_override_the_defaults():
    config = load_config(None, {"data": {"drop": ["x"]}, "model": {"pac": 4}})
    assert config.data.drop == ["x"]
    assert config.model.pac == 4


def toml_error(tmp_path, text: str, name: str = "run.toml") -> tuple[Path, str]:
    """Write ``text`` as a TOML file; the file and the error loading it gives."""
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(CorrganError) as caught:
        load_config(path, NO_FLAGS)
    return path, str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[data]\nmax_categoriez = 3\n", "unknown key(s) in [data]: max_categoriez"),
        ("[train]\nstep = 3\nlr = 1\n", "unknown key(s) in [train]: lr, step"),
        ("[optimiser]\nlr = 1\n", "unknown section(s) optimiser"),
        ("[train]\nsteps = 'many'\n", "[train] steps (--steps) must be an integer"),
        ("[train\nsteps = 3\n", "is not valid TOML"),
    ],
)
def test_a_bad_toml_file_is_an_error_naming_it(tmp_path, text, message):
    path, error = toml_error(tmp_path, text, "bad.toml")
    assert str(path) in error
    assert message in error


def test_unknown_keys_lists_the_known_ones(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[model]\ndepht = 3\n")
    with pytest.raises(CorrganError) as caught:
        load_config(path, {})
    known = ", ".join(sorted(f.name for f in dataclasses.fields(ModelConfig)))
    assert str(caught.value).endswith(f"known keys are {known}")


def test_a_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(CorrganError, match="config file .*absent.toml does not exist"):
        load_config(tmp_path / "absent.toml", {})


@pytest.mark.parametrize(
    ("section", "values", "message"),
    [
        (DataConfig, {"test_fraction": 1.0}, "(--test-fraction) must be in [0, 1)"),
        (DataConfig, {"test_fraction": -0.1}, "(--test-fraction) must be in [0, 1)"),
        (DataConfig, {"max_categories": 1}, "(--max-categories) must be >= 2"),
        (DataConfig, {"integer_categorical_max": -1}, "_max must be >= 0, got -1"),
        (DataConfig, {"fit_sample_rows": 0}, "fit_sample_rows must be >= 1, got 0"),
        (ModelConfig, {"width": 30, "heads": 4}, "width 30 is not divisible by"),
        (ModelConfig, {"heads": 0}, "heads must be >= 1, got 0"),
        (ModelConfig, {"width": 0}, "width must be >= 1, got 0"),
        (ModelConfig, {"depth": 0}, "depth must be >= 1, got 0"),
        (ModelConfig, {"noise_dim": 0}, "noise_dim must be >= 1, got 0"),
        (ModelConfig, {"discriminator_width": 0}, "_width must be >= 1, got 0"),
        (ModelConfig, {"discriminator_depth": 0}, "_depth must be >= 1, got 0"),
        (ModelConfig, {"pac": 0}, "pac must be >= 1, got 0"),
        (
            ModelConfig,
            {"architecture": "rnn"},
            "architecture (--architecture) must be attention or mlp, got 'rnn'",
        ),
        (TrainConfig, {"steps": 0}, "steps (--steps) must be >= 1, got 0"),
        (TrainConfig, {"epochs": 0.0}, "epochs (--epochs) must be finite and > 0"),
        (TrainConfig, {"epochs": math.inf}, "(--epochs) must be finite and > 0"),
        (TrainConfig, {"auto_steps": 0}, "auto_steps must be >= 1, got 0"),
        (TrainConfig, {"auto_max_epochs": 0}, "auto_max_epochs must be finite and"),
        (TrainConfig, {"batch_size": 1}, "batch_size (--batch-size) must be >= 2"),
        (TrainConfig, {"generator_lr": 0.0}, "generator_lr must be finite and > 0"),
        (TrainConfig, {"discriminator_lr": -1}, "discriminator_lr must be finite"),
        (TrainConfig, {"generator_lr": math.nan}, "generator_lr must be finite"),
        (TrainConfig, {"betas": (0.5, 1.0)}, "betas must be in [0, 1), got [0.5, 1.0]"),
        (TrainConfig, {"betas": (-0.1, 0.9)}, "betas must be in [0, 1)"),
        (TrainConfig, {"weight_decay": -1.0}, "weight_decay must be finite and >= 0"),
        (TrainConfig, {"gradient_penalty": -1.0}, "gradient_penalty must be finite"),
        (TrainConfig, {"corr_weight": -1.0}, "(--corr-weight) must be finite and >= 0"),
        (TrainConfig, {"moment_weight": math.inf}, "moment_weight must be finite"),
        (TrainConfig, {"gumbel_tau": 0.0}, "gumbel_tau must be finite and > 0, got"),
        (TrainConfig, {"ema_decay": 1.0}, "ema_decay must be in [0, 1), got 1.0"),
        (TrainConfig, {"ema_decay": -0.5}, "ema_decay must be in [0, 1), got -0.5"),
        (TrainConfig, {"seed": -1}, "seed (--seed) must be in [0, 4294967295]"),
        (TrainConfig, {"checkpoint_every": -1}, "(--checkpoint-every) must be >= 0"),
        (TrainConfig, {"keep_checkpoints": 0}, "keep_checkpoints must be >= 1, got 0"),
        (TrainConfig, {"log_every": 0}, "log_every (--log-every) must be >= 1, got 0"),
        (TrainConfig, {"probe_rows": 1}, "probe_rows must be >= 2, got 1"),
        (TrainConfig, {"threads": 0}, "threads (--threads) must be >= 1, got 0"),
        (
            TrainConfig,
            {"mixed_precision": "fp4"},
            "mixed_precision (--mixed-precision) must be no or bf16",
        ),
        (
            TrainConfig,
            {"mixed_precision": "fp16"},
            "must be no or bf16 (fp16 is not supported: the gradient penalty",
        ),
    ],
)
def test_out_of_range_values_are_errors(section, values, message):
    with pytest.raises(CorrganError) as caught:
        section(**values)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_edges_of_each_range_are_accepted():
    TrainConfig(
        epochs=0.5,
        betas=(0.0, 0.99),
        gradient_penalty=0,
        corr_weight=0,
        moment_weight=0,
        ema_decay=0.0,
        checkpoint_every=0,
        keep_checkpoints=1,
        log_every=1,
        probe_rows=2,
        threads=1,
        seed=2**32 - 1,
    )
    ModelConfig(width=1, heads=1, depth=1, noise_dim=1, pac=1)
    DataConfig(test_fraction=0, integer_categorical_max=0, fit_sample_rows=1)


def test_zero_heads_in_a_toml_file_is_an_error_not_a_crash(tmp_path):
    path, error = toml_error(tmp_path, "[model]\nheads = 0\n")
    assert error == f"{path}: [model] heads must be >= 1, got 0"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[train]\nlog_every = '10'\n",
            "[train] log_every (--log-every) must be an integer, got '10' (a string)",
        ),
        (
            "[train]\nbatch_size = '64'\n",
            "[train] batch_size (--batch-size) must be an integer, got '64' (a string)",
        ),
        (
            "[data]\ncategorical = 's'\n",
            "[data] categorical (--categorical) must be a list of strings, "
            "got 's' (a string)",
        ),
        (
            "[data]\ndrop = ['a', 1]\n",
            "[data] drop (--drop) must be a list of strings, got ['a', 1] (a list)",
        ),
        (
            "[model]\npac = true\n",
            "[model] pac must be an integer, got True (a boolean)",
        ),
        (
            "[train]\nsteps = 2.5\n",
            "[train] steps (--steps) must be an integer or none, got 2.5 (a number)",
        ),
        (
            "[train]\nbetas = [0.5]\n",
            "[train] betas must be a list of 2 numbers, got [0.5] (a list)",
        ),
        (
            "[train]\nbetas = 0.5\n",
            "[train] betas must be a list of 2 numbers, got 0.5 (a number)",
        ),
        (
            "[train]\ngenerator_lr = '1e-3'\n",
            "[train] generator_lr must be a number, got '1e-3' (a string)",
        ),
        (
            "[data]\ntarget = 3\n",
            "[data] target (--target) must be a string or none, got 3 (an integer)",
        ),
        (
            "[train]\nseed = {value = 1}\n",
            "[train] seed (--seed) must be an integer, got {'value': 1} (a table)",
        ),
    ],
)
def test_a_toml_value_of_the_wrong_type_is_an_error(tmp_path, text, message):
    path, error = toml_error(tmp_path, text)
    assert error == f"{path}: {message}"


def test_a_toml_integer_is_a_number_where_a_float_is_expected(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("[train]\ncorr_weight = 3\nbetas = [0, 0.9]\nepochs = 2\n")
    config = load_config(path, NO_FLAGS)
    assert config.train.corr_weight == 3
    assert config.train.betas == (0, 0.9)
    assert config.train.epochs == 2


def test_wrong_types_are_errors_in_the_dataclasses_too():
    with pytest.raises(CorrganError, match=r"log_every \(--log-every\) must be an"):
        TrainConfig(log_every="10")
    with pytest.raises(CorrganError, match="threads .* must be an integer or none"):
        TrainConfig(threads=True)
    with pytest.raises(CorrganError, match="must be a list of strings, got 's'"):
        DataConfig(categorical="s")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("steps = 5\n", "steps must be inside a section; put it under [train]"),
        ("data = 'a.csv'\n", "data must be inside a section; put it under [data]"),
        (
            "heads = 2\nseed = 1\n[train]\nsteps = 3\n",
            "heads, seed must be inside a section; put heads under [model], "
            "seed under [train]",
        ),
        (
            "train = 5\n",
            "train must be a section, not a value; write [train] on a line of its "
            "own with its keys below it",
        ),
        (
            "stepz = 5\n",
            "unknown key(s) outside any section: stepz; settings go under [data], "
            "[model] and [train]",
        ),
    ],
)
def test_a_key_outside_any_section_says_where_it_belongs(tmp_path, text, message):
    path, error = toml_error(tmp_path, text)
    assert error == f"{path}: {message}"
    assert "unknown section" not in error


def test_an_unknown_tracker_in_a_file_is_the_file_s_error(tmp_path):
    # it was found only when the accelerator was made, and blamed on the flag
    path, error = toml_error(tmp_path, "[train]\nlog_with = 'none'\n")
    assert error == (
        f"{path}: [train] log_with (--log-with) must be tensorboard, wandb or "
        "mlflow, got 'none'"
    )


def test_a_steps_flag_replaces_the_epochs_of_a_file_or_a_resumed_run(tmp_path):
    # epochs override steps, so the file's epochs silently beat --steps
    path = tmp_path / "run.toml"
    path.write_text("[train]\nepochs = 1.0\n")
    config = load_config(path, {"train": {"steps": 20}})
    assert (config.train.steps, config.train.epochs) == (20, None)
    # --epochs still overrides a file's steps, and a file alone keeps its epochs
    path.write_text("[train]\nsteps = 20\n")
    assert load_config(path, {"train": {"epochs": 2.0}}).train.epochs == 2.0
    path.write_text("[train]\nepochs = 1.0\n")
    assert load_config(path, NO_FLAGS).train.epochs == 1.0

    # a run started with --epochs, resumed with --steps
    saved = tmp_path / "config.json"
    saved.write_text(json.dumps(RunConfig(train=TrainConfig(epochs=1.0)).to_dict()))
    resumed = _resumed_config(saved, None, {"train": {"steps": 20}})
    assert (resumed.train.steps, resumed.train.epochs) == (20, None)


def test_a_range_error_names_the_file_only_when_the_file_gave_the_value(tmp_path):
    text = "[train]\nlog_every = 0\n[data]\ntest_fraction = 0.1\n"
    path, error = toml_error(tmp_path, text)
    assert error == f"{path}: [train] log_every (--log-every) must be >= 1, got 0"
    # a flag overrides the file's bad value ...
    assert load_config(path, {"train": {"log_every": 5}}).train.log_every == 5
    # ... and a bad flag is reported as the flag's, not the file's
    with pytest.raises(CorrganError) as caught:
        load_config(path, {"train": {"log_every": 1}, "data": {"test_fraction": 2.0}})
    assert (
        str(caught.value)
        == "test_fraction (--test-fraction) must be in [0, 1), got 2.0"
    )


def test_the_flags_named_in_messages_are_the_train_commands_flags():
    params = typer.main.get_command(app).commands["train"].params
    flags = {p.name for p in params} - {"out", "config", "resume"}
    assert flags == FLAGS
    fields = {
        f.name for section in SECTIONS.values() for f in dataclasses.fields(section)
    }
    assert flags <= fields


def test_a_flag_out_of_range_fails_on_the_command_line(run_cli):
    result = run_cli("train", "--test-fraction", "1.5", "--out", "run")
    assert result.exit_code == 2
    assert result.error_lines == [
        "Error: test_fraction (--test-fraction) must be in [0, 1), got 1.5"
    ]


def test_log_every_zero_fails_before_a_run_directory_exists(run_cli, tmp_path):
    result = run_cli("train", "--log-every", "0", "--steps", "3", "--out", "run")
    assert result.exit_code == 2
    assert result.error_lines == ["Error: log_every (--log-every) must be >= 1, got 0"]
    assert not (tmp_path / "run").exists()
    assert not (tmp_path / "runs").exists()


def test_a_bad_toml_value_fails_before_a_run_directory_exists(run_cli, tmp_path):
    (tmp_path / "run.toml").write_text("[train]\nlog_every = '10'\n")
    result = run_cli("train", "--config", "run.toml", "--steps", "3", "--out", "run")
    assert result.exit_code == 2
    assert result.error_lines == [
        "Error: run.toml: [train] log_every (--log-every) must be an integer, "
        "got '10' (a string)"
    ]
    assert not (tmp_path / "run").exists()


def test_run_config_round_trips_through_json():
    config = RunConfig(
        DataConfig(categorical=["a"], target="a"),
        ModelConfig(width=8, heads=2),
        TrainConfig(steps=5, betas=(0.1, 0.2)),
    )
    values = json.loads(json.dumps(config.to_dict()))
    assert RunConfig.from_dict(values) == config


@pytest.mark.slow
def test_config_json_holds_the_effective_values(trained_run):
    saved = json.loads((trained_run.run_dir / "config.json").read_text())
    expected = RunConfig(
        # test_fraction 0 and steps 2 from the flags, over the TOML's values
        DataConfig(data=str(trained_run.data), test_fraction=0.0),
        ModelConfig(width=16, heads=2, discriminator_width=32),
        TrainConfig(
            steps=2, batch_size=16, log_every=1, probe_rows=64, checkpoint_every=0
        ),
    )
    assert RunConfig.from_dict(saved) == expected
    assert saved["train"]["betas"] == list(TrainConfig().betas)


# the split


def labelled(sizes: dict[str | None, int]) -> pa.Table:
    labels = [label for label, size in sizes.items() for _ in range(size)]
    order = np.random.default_rng(9).permutation(len(labels))
    return pa.table(
        {
            "row": np.arange(len(labels)),
            "label": pa.array([labels[i] for i in order], pa.string()),
        }
    )


def check_stratified(table: pa.Table, fraction: float, seed: int) -> None:
    train, test = split_rows(table, fraction, "label", seed)
    sizes = Counter(table.column("label").to_pylist())
    train_sizes = Counter(train.column("label").to_pylist())
    test_sizes = Counter(test.column("label").to_pylist())
    for label, size in sizes.items():
        # the class's share, rounded down or up, never its last row
        share = fraction * size
        assert math.floor(share) <= test_sizes[label] <= math.ceil(share), label
        assert train_sizes[label] >= 1, label
    # the test split holds the rounded share of all rows, where classes allow
    room = sum(min(math.ceil(fraction * n), n - 1) for n in sizes.values())
    assert test.num_rows == min(round(fraction * table.num_rows), room)
    rows = train.column("row").to_pylist() + test.column("row").to_pylist()
    assert sorted(rows) == list(range(table.num_rows))
    # each side keeps the table's row order
    assert train.column("row").to_pylist() == sorted(train.column("row").to_pylist())
    assert test.column("row").to_pylist() == sorted(test.column("row").to_pylist())


def test_stratified_split_keeps_every_class_in_training():
    table = labelled({"rare": 1, "pair": 2, "few": 7, "many": 50, "odd": 13})
    check_stratified(table, 0.2, seed=0)
    train, test = split_rows(table, 0.2, "label", seed=0)
    # 15 test rows (0.2 * 73): the shares rounded down make 13, the largest
    # remainders get the other two (odd 2.6, then pair or few at 0.4 each); a
    # lone row always stays in training
    counts = Counter(test.column("label").to_pylist())
    assert counts["rare"] == 0 and counts["many"] == 10 and counts["odd"] == 3
    assert counts["pair"] + counts["few"] == 2 and counts["few"] >= 1


def test_many_small_classes_still_get_a_test_split():
    # 30 classes of 2 rows: each share rounds to 0, yet 12 rows are held out
    table = labelled({f"c{i}": 2 for i in range(30)})
    check_stratified(table, 0.2, seed=3)
    _, test = split_rows(table, 0.2, "label", seed=3)
    assert test.num_rows == 12
    assert set(Counter(test.column("label").to_pylist()).values()) == {1}


def test_null_labels_are_a_class_of_their_own():
    table = labelled({"a": 20, None: 10})
    check_stratified(table, 0.3, seed=1)
    _, test = split_rows(table, 0.3, "label", seed=1)
    assert test.column("label").null_count == 3


def test_an_integer_target_is_split_by_value():
    table = pa.table({"row": np.arange(40), "label": np.arange(40) % 4})
    _, test = split_rows(table, 0.5, "label", seed=0)
    assert Counter(test.column("label").to_pylist()) == {0: 5, 1: 5, 2: 5, 3: 5}


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 60), min_size=1, max_size=6),
    fraction=st.floats(0.01, 0.95),
    seed=st.integers(0, 2**31),
)
def test_stratified_split_shares_per_class(sizes, fraction, seed):
    table = labelled({f"class{i}": size for i, size in enumerate(sizes)})
    check_stratified(table, fraction, seed)


def test_the_split_is_seeded_and_deterministic():
    table = labelled({"a": 40, "b": 40})
    first = split_rows(table, 0.25, "label", seed=5)
    again = split_rows(table, 0.25, "label", seed=5)
    other = split_rows(table, 0.25, "label", seed=6)
    assert first[0].equals(again[0]) and first[1].equals(again[1])
    assert not first[1].equals(other[1])
    unstratified = split_rows(table, 0.25, None, seed=5)
    assert unstratified[1].equals(split_rows(table, 0.25, None, seed=5)[1])


@pytest.mark.parametrize("rows", [10, 33, 101])
def test_split_without_target_holds_out_the_rounded_share(rows):
    table = pa.table({"row": np.arange(rows)})
    train, test = split_rows(table, 0.3, None, seed=2)
    assert test.num_rows == round(0.3 * rows)
    assert train.num_rows + test.num_rows == rows
    assert set(train.column("row").to_pylist()).isdisjoint(
        test.column("row").to_pylist()
    )


def test_a_zero_fraction_trains_on_every_row():
    table = labelled({"a": 5, "b": 5})
    train, test = split_rows(table, 0.0, "label", seed=0)
    assert train.equals(table)
    assert test.num_rows == 0 and test.schema == table.schema


def test_check_rows_needs_enough_rows():
    with pytest.raises(CorrganError, match="t.csv has no rows"):
        check_rows(0, "t.csv")
    with pytest.raises(
        CorrganError, match=f"t.csv has 3 row\\(s\\).*at least {MIN_ROWS}"
    ):
        check_rows(3, "t.csv")
    check_rows(MIN_ROWS, "t.csv")


def test_the_step_budget_caps_passes_over_a_small_table_unless_told():
    train = TrainConfig(batch_size=100)
    # a large table gets auto_steps; a small one at most auto_max_epochs passes
    assert train.total_steps(1_000_000) == train.auto_steps
    assert train.total_steps(20) == math.ceil(train.auto_max_epochs * 20 / 100)
    # an explicit step count or epoch count is kept as given
    assert TrainConfig(batch_size=100, steps=5000).total_steps(20) == 5000
    assert TrainConfig(batch_size=100, epochs=2.5).total_steps(1000) == 25


def test_a_bad_flag_on_resume_names_the_flag_not_the_saved_config(tmp_path, run_cli):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.json").write_text(json.dumps(RunConfig().to_dict()))
    result = run_cli("train", "--out", run_dir, "--resume", "--log-every", "0")
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: log_every (--log-every) must be >= 1"), line
    assert "config.json" not in line


def test_a_config_folder_and_a_byte_order_mark(tmp_path):
    with pytest.raises(CorrganError, match="is a folder; pass the TOML file"):
        load_config(tmp_path, {})
    path = tmp_path / "bom.toml"
    path.write_bytes("\ufeff[train]\nsteps = 7\n".encode())
    assert load_config(path, {}).train.steps == 7
