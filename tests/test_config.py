"""Configuration layers (defaults, TOML, flags), config.json, and the split.

The split is here because ``test_fraction`` and ``target`` are the two
settings that decide it.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter

import numpy as np
import pyarrow as pa
import pytest
import typer.main
from hypothesis import given, settings
from hypothesis import strategies as st

from corrgan.cli import app
from corrgan.config import (
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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[data]\nmax_categoriez = 3\n", "unknown key(s) in [data]: max_categoriez"),
        ("[train]\nstep = 3\nlr = 1\n", "unknown key(s) in [train]: lr, step"),
        ("[optimiser]\nlr = 1\n", "unknown section(s) optimiser"),
        ("[train]\nsteps = 'many'\n", "bad value in [train]"),
        ("[train\nsteps = 3\n", "is not valid TOML"),
    ],
)
def test_a_bad_toml_file_is_an_error_naming_it(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(CorrganError) as caught:
        load_config(path, NO_FLAGS)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


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
        (DataConfig, {"test_fraction": 1.0}, "test_fraction must be in [0, 1)"),
        (DataConfig, {"test_fraction": -0.1}, "test_fraction must be in [0, 1)"),
        (DataConfig, {"max_categories": 1}, "max_categories must be >= 2"),
        (ModelConfig, {"width": 30, "heads": 4}, "width 30 is not divisible by"),
        (ModelConfig, {"architecture": "rnn"}, "unknown architecture 'rnn'"),
        (TrainConfig, {"steps": 0}, "steps must be >= 1"),
        (TrainConfig, {"batch_size": 1}, "batch_size must be >= 2"),
        (TrainConfig, {"corr_weight": -1.0}, "corr_weight must be >= 0"),
        (TrainConfig, {"mixed_precision": "fp4"}, "unknown mixed precision 'fp4'"),
    ],
)
def test_out_of_range_values_are_errors(section, values, message):
    with pytest.raises(CorrganError) as caught:
        section(**values)
    assert message in str(caught.value)


def test_a_flag_out_of_range_fails_on_the_command_line(run_cli):
    result = run_cli("train", "--test-fraction", "1.5", "--out", "run")
    assert result.exit_code == 2
    assert result.error_lines == ["Error: test_fraction must be in [0, 1), got 1.5"]


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
        assert test_sizes[label] == min(round(fraction * size), size - 1), label
        assert train_sizes[label] >= 1, label
    rows = train.column("row").to_pylist() + test.column("row").to_pylist()
    assert sorted(rows) == list(range(table.num_rows))
    # each side keeps the table's row order
    assert train.column("row").to_pylist() == sorted(train.column("row").to_pylist())
    assert test.column("row").to_pylist() == sorted(test.column("row").to_pylist())


def test_stratified_split_keeps_every_class_in_training():
    table = labelled({"rare": 1, "pair": 2, "few": 7, "many": 50, "odd": 13})
    check_stratified(table, 0.2, seed=0)
    train, test = split_rows(table, 0.2, "label", seed=0)
    # 0.2 * 2 rounds to 0; a lone row always stays in training
    assert Counter(test.column("label").to_pylist()) == {"few": 1, "many": 10, "odd": 3}


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
