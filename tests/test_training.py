"""Training on Accelerate: seeds, resume, signals, two processes."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file

from corrgan.checkpoint import latest_checkpoint
from corrgan.config import RunConfig
from corrgan.pipeline import run_training
from corrgan.training import make_accelerator

TINY = {
    "data": {"test_fraction": 0.0},
    "model": {"width": 8, "heads": 2, "depth": 1, "discriminator_width": 32},
    "train": {"batch_size": 32, "log_every": 2, "probe_rows": 64},
}


def _config(**train) -> RunConfig:
    values = json.loads(json.dumps(TINY))
    values["train"].update(train)
    return RunConfig.from_dict(values)


def _weights(run_dir: Path) -> dict:
    return load_file(run_dir / "generator.safetensors")


def _same(first: dict, second: dict) -> bool:
    return first.keys() == second.keys() and all(
        first[name].equal(second[name]) for name in first
    )


@pytest.mark.slow
def test_same_seed_gives_the_same_model(tmp_path):
    run_training(_config(steps=6, seed=3), tmp_path / "a", resume=False)
    run_training(_config(steps=6, seed=3), tmp_path / "b", resume=False)
    run_training(_config(steps=6, seed=4), tmp_path / "c", resume=False)
    assert _same(_weights(tmp_path / "a"), _weights(tmp_path / "b"))
    assert not _same(_weights(tmp_path / "a"), _weights(tmp_path / "c"))


@pytest.mark.slow
def test_resumed_run_ends_with_the_weights_of_an_uninterrupted_one(tmp_path):
    whole = run_training(
        _config(steps=8, checkpoint_every=4), tmp_path / "whole", False
    )
    assert whole.result.steps_done == 8

    # stop after 4 steps, then continue to 8 from the checkpoint
    run_training(_config(steps=4, checkpoint_every=4), tmp_path / "split", False)
    resumed = run_training(
        _config(steps=8, checkpoint_every=4), tmp_path / "split", resume=True
    )
    assert resumed.result.resumed_from == 4
    assert _same(_weights(tmp_path / "whole"), _weights(tmp_path / "split"))
    records = [
        json.loads(line)
        for line in (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()
    ]
    assert [record["step"] for record in records] == [2, 4, 6, 8]


def test_metrics_and_run_files(tmp_path, monkeypatch):
    # keep what every step returned, to check the records against
    from corrgan.training import Trainer

    steps = []
    real_step = Trainer.train_step

    def recorded_step(self):
        values = real_step(self)
        steps.append({key: float(value) for key, value in values.items()})
        return values

    monkeypatch.setattr(Trainer, "train_step", recorded_step)
    outcome = run_training(_config(steps=4), tmp_path / "run", resume=False)
    run_dir = outcome.run_dir
    for name in (
        "config.json",
        "transform.json",
        "model.json",
        "generator.safetensors",
        "metrics.jsonl",
        "train.parquet",
        "test.parquet",
    ):
        assert (run_dir / name).is_file(), name
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").open()]
    assert [record["step"] for record in records] == [2, 4]
    for key in ("d_loss", "g_loss", "corr", "probe_corr_error", "ms_per_step", "epoch"):
        assert isinstance(records[-1][key], float), key
    # each record holds the mean of its two steps' losses
    assert len(steps) == 4
    for record, interval in zip(records, (steps[:2], steps[2:]), strict=True):
        for key in interval[0]:
            mean = sum(step[key] for step in interval) / 2
            assert record[key] == pytest.approx(mean, rel=1e-6, abs=1e-9), key
    assert records[0]["d_loss"] != records[1]["d_loss"]
    # an epoch is one pass of batches over the training rows
    train_rows = pd.read_parquet(run_dir / "train.parquet").shape[0]
    for record in records:
        assert record["epoch"] == pytest.approx(record["step"] * 32 / train_rows)
    assert all(record["probe_corr_error"] >= 0 for record in records)
    saved = json.loads((run_dir / "config.json").read_text())
    assert saved["train"]["steps"] == 4 and saved["model"]["width"] == 8
    assert latest_checkpoint(run_dir / "checkpoints").name == "step-000004"


def test_resume_drops_the_half_record_of_a_killed_run(tmp_path):
    # a run killed while it wrote a metrics line leaves half of it behind
    run_dir = tmp_path / "run"
    run_training(_config(steps=4, checkpoint_every=2), run_dir, resume=False)
    metrics = run_dir / "metrics.jsonl"
    with open(metrics, "a", encoding="utf-8") as handle:
        handle.write('{"step": 5, "epoch": 0.')
    run_training(_config(steps=6, checkpoint_every=2), run_dir, resume=True)
    records = [json.loads(line) for line in metrics.open()]
    assert [record["step"] for record in records] == [2, 4, 6]


def test_resume_removes_what_killed_checkpoint_writers_left(tmp_path):
    run_dir = tmp_path / "run"
    run_training(_config(steps=4, checkpoint_every=2), run_dir, resume=False)
    checkpoints = run_dir / "checkpoints"
    # a writer killed halfway through a checkpoint and through a rank file
    partial = checkpoints / ".partial-step-000006-4321"
    partial.mkdir()
    (partial / "generator.safetensors").write_bytes(b"\x00" * 64)
    (checkpoints / "ranks" / ".rank-0-step-6.json").write_text("{")
    run_training(_config(steps=6, checkpoint_every=2), run_dir, resume=True)
    hidden = sorted(p.name for p in checkpoints.rglob(".*"))
    assert hidden == []
    assert latest_checkpoint(checkpoints).name == "step-000006"


def _cli(*args, cwd, env=None):
    return subprocess.Popen(
        [sys.executable, "-m", "corrgan", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )


def _tiny_toml(path: Path) -> Path:
    lines = []
    for section, values in TINY.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.slow
def test_sigterm_checkpoints_exits_75_and_resume_finishes(tmp_path):
    config = _tiny_toml(tmp_path / "tiny.toml")
    run_dir = tmp_path / "run"
    args = ["train", "--config", str(config), "--out", str(run_dir)]
    process = _cli(*args, "--steps", "100000", "--checkpoint-every", "0", cwd=tmp_path)

    # wait for training to be under way, then ask it to stop
    deadline = time.monotonic() + 120
    metrics = run_dir / "metrics.jsonl"
    while not (metrics.exists() and metrics.read_text().strip()):
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, "training did not start"
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 75, output
    assert "--resume" in output
    checkpoint = latest_checkpoint(run_dir / "checkpoints")
    stopped_at = json.loads((checkpoint / "train_state.json").read_text())["step"]
    assert 0 < stopped_at < 100000

    # resume to a few steps past the stop
    process = _cli(
        *args,
        "--resume",
        "--steps",
        str(stopped_at + 4),
        "--log-every",
        "1",
        cwd=tmp_path,
    )
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output
    assert f"resumed from step {stopped_at}" in output
    assert (run_dir / "generator.safetensors").is_file()


@pytest.mark.slow
def test_two_cpu_processes_train_together(tmp_path):
    config = _tiny_toml(tmp_path / "tiny.toml")
    run_dir = tmp_path / "run"
    launcher = Path(sys.executable).parent / "accelerate"
    command = [
        str(launcher),
        "launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "--main_process_port",
        "0",
        "-m",
        "corrgan",
        "train",
        "--config",
        str(config),
        "--out",
        str(run_dir),
        "--steps",
        "4",
    ]
    env = {**os.environ, "ACCELERATE_USE_CPU": "true", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    ranks = run_dir / "checkpoints" / "ranks"
    states = [
        json.loads((ranks / f"rank-{r}-step-000004.json").read_text()) for r in (0, 1)
    ]
    assert [state["rank"] for state in states] == [0, 1]
    assert all(state["world_size"] == 2 for state in states)
    # both ranks applied the same averaged updates
    assert states[0]["generator_sha256"] == states[1]["generator_sha256"]
    # and drew different rows and noise
    assert states[0]["numpy_random"] != states[1]["numpy_random"]


def test_unknown_or_missing_trackers_are_user_errors():
    from corrgan.errors import CorrganError
    from corrgan.training import _check_tracker

    with pytest.raises(CorrganError, match="must be tensorboard, wandb or mlflow"):
        _config(log_with="nope")
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        with pytest.raises(CorrganError, match="pip install tensorboard"):
            _check_tracker("tensorboard")


def test_an_existing_run_is_never_overwritten(tmp_path):
    from corrgan.errors import CorrganError

    run_training(_config(steps=2), tmp_path / "run", resume=False)
    before = (tmp_path / "run" / "generator.safetensors").read_bytes()
    with pytest.raises(CorrganError, match="already holds a run; continue it with"):
        run_training(_config(steps=2, seed=9), tmp_path / "run", resume=False)
    assert (tmp_path / "run" / "generator.safetensors").read_bytes() == before


def test_resuming_with_settings_that_change_the_run_is_refused(tmp_path):
    from corrgan.errors import CorrganError

    run_dir = tmp_path / "run"
    run_training(_config(steps=2, checkpoint_every=1), run_dir, resume=False)
    before = (run_dir / "config.json").read_text()
    changed = _config(steps=4, seed=9, corr_weight=1.0)
    with pytest.raises(CorrganError) as caught:
        run_training(changed, run_dir, resume=True)
    message = str(caught.value)
    assert "seed (--seed) 9 (the run has 0)" in message
    assert "corr_weight (--corr-weight) 1.0 (the run has 10.0)" in message
    assert (run_dir / "config.json").read_text() == before

    # another data file is refused too; the budget and bookkeeping may change
    other = _config(steps=4)
    other.data.data = str(tmp_path / "elsewhere.csv")
    with pytest.raises(CorrganError, match="data \\(--data\\)"):
        run_training(other, run_dir, resume=True)
    resumed = run_training(_config(steps=4, log_every=1), run_dir, resume=True)
    assert resumed.result.steps_done == 4


def test_resuming_to_fewer_steps_than_trained_is_refused(tmp_path):
    from corrgan.errors import CorrganError

    run_dir = tmp_path / "run"
    run_training(_config(steps=4, checkpoint_every=2), run_dir, resume=False)
    before = {
        name: (run_dir / name).read_bytes() for name in ("config.json", "model.json")
    }
    with pytest.raises(CorrganError) as caught:
        run_training(_config(steps=2), run_dir, resume=True)
    assert str(caught.value) == (
        f"--resume would train {run_dir} to 2 steps, but its checkpoint "
        "step-000004 has trained 4; give --steps 4 or more (or --epochs to "
        "match), or start a new run with another --out"
    )
    assert before == {name: (run_dir / name).read_bytes() for name in before}
    # the same budget again rebuilds the finished run's model and report
    assert run_training(_config(steps=4), run_dir, resume=True).result.steps_done == 4


def test_a_config_file_given_to_resume_changes_only_what_it_names(tmp_path, run_cli):
    rng = np.random.default_rng(0)
    data = tmp_path / "tiny.parquet"
    pd.DataFrame(
        {"x": rng.normal(size=40), "colour": rng.choice(["red", "blue"], 40)}
    ).to_parquet(data)
    config = _tiny_toml(tmp_path / "tiny.toml")
    args = ["train", "--config", config, "--out", "run", "--checkpoint-every", "2"]
    first = run_cli(*args, "--data", data, "--target", "colour", "--steps", "2")
    assert first.exit_code == 0, first.stderr

    # a file of bookkeeping alone: the data and target stay the run's own
    (tmp_path / "logging.toml").write_text("[train]\nlog_every = 1\n")
    resumed = run_cli(
        "train", "--out", "run", "--resume", "--config", "logging.toml", "--steps", "4"
    )
    assert resumed.exit_code == 0, resumed.stderr
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["data"]["data"] == str(data)
    assert saved["data"]["target"] == "colour"
    assert saved["model"]["width"] == TINY["model"]["width"]
    assert saved["train"]["log_every"] == 1 and saved["train"]["steps"] == 4

    # a file that changes the model is still refused, and names only that
    (tmp_path / "wide.toml").write_text("[model]\nwidth = 16\n")
    refused = run_cli("train", "--out", "run", "--resume", "--config", "wide.toml")
    assert refused.exit_code == 2
    assert refused.error_lines == [
        "Error: --resume continues run with the settings it started with, and "
        "these differ from its config.json: width 16 (the run has 8); leave them "
        "out of the flags and --config file to resume, or start a new run with "
        "another --out"
    ]


def test_a_checkpoint_missing_a_weights_file_is_a_clear_error(tmp_path):
    from corrgan.errors import CorrganError

    run_dir = tmp_path / "run"
    run_training(_config(steps=2, checkpoint_every=1), run_dir, resume=False)
    newest = latest_checkpoint(run_dir / "checkpoints")
    (newest / "generator.safetensors").unlink()
    with pytest.raises(CorrganError, match="generator.safetensors missing"):
        run_training(_config(steps=4), run_dir, resume=True)
    (newest / "critic.safetensors").write_bytes(b"\x00" * 10)
    with pytest.raises(CorrganError, match="is damaged"):
        run_training(_config(steps=4), run_dir, resume=True)


def _rewrite_state(checkpoint: Path, change) -> None:
    path = checkpoint / "train_state.json"
    state = json.loads(path.read_text())
    change(state)
    path.write_text(json.dumps(state))


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda c: _rewrite_state(c, lambda s: s.update(step="4")), "the step"),
        (lambda c: _rewrite_state(c, lambda s: s.update(step=10**9)), "the step"),
        (lambda c: (c / "train_state.json").write_text("[1, 2]"), "the step"),
        (
            lambda c: (c.parent / "ranks" / "rank-0-step-000004.json").write_text("{"),
            "random state",
        ),
        (
            lambda c: (
                (c.parent / "ranks" / "rank-0-step-000004.json").unlink(),
                _rewrite_state(c, lambda s: s.pop("numpy_random")),
            ),
            "random state",
        ),
    ],
    ids=["step-text", "step-elsewhere", "not-an-object", "rank-file", "no-random"],
)
def test_a_checkpoint_with_altered_json_is_a_clear_error(tmp_path, damage, why):
    from corrgan.errors import CorrganError

    run_dir = tmp_path / "run"
    run_training(_config(steps=4, checkpoint_every=2), run_dir, resume=False)
    damage(latest_checkpoint(run_dir / "checkpoints"))
    with pytest.raises(CorrganError, match="step-000004 is damaged") as caught:
        run_training(_config(steps=6), run_dir, resume=True)
    assert why in str(caught.value)
    assert "delete that folder" in str(caught.value)


def test_a_rank_without_streams_in_the_checkpoint_does_not_share_rank_0s(tmp_path):
    # a checkpoint of one process, resumed by two: rank 1 has no streams of
    # its own there, and must not draw rank 0's rows and noise
    from corrgan.pipeline import _prepare_data
    from corrgan.training import Trainer

    run_dir = tmp_path / "run"
    config = _config(steps=4, checkpoint_every=2)
    outcome = run_training(config, run_dir, resume=False)
    train, _, transform = _prepare_data(config, run_dir, resume=True)
    data = transform.transform(train)
    accelerator = make_accelerator("no", None, run_dir)
    draws = []
    for rank in (0, 1):
        trainer = Trainer(config, transform, data, run_dir, accelerator)
        trainer.rank = rank
        trainer.restore(latest_checkpoint(run_dir / "checkpoints"))
        assert trainer.step == outcome.result.steps_done
        draws.append(
            (trainer.rng.random(4), torch.rand(4, generator=trainer.torch_rng))
        )
    assert not (draws[0][0] == draws[1][0]).any()
    assert not (draws[0][1] == draws[1][1]).any()


def test_the_log_says_how_many_processes_train(trained_run):
    assert "training on 1 process(es), device cpu" in trained_run.result.stderr


def test_training_on_cpu_uses_one_thread_unless_told(tmp_path, monkeypatch):
    # three threads are allowed on a machine of two cores or more
    monkeypatch.setattr("corrgan.pipeline.usable_cores", lambda: 4)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        run_training(_config(steps=1), tmp_path / "default", resume=False)
        assert torch.get_num_threads() == 1
        run_training(_config(steps=1, threads=3), tmp_path / "three", resume=False)
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize(
    ("given", "expected"), [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")]
)
def test_openmp_threads_wait_passively_unless_the_user_says_otherwise(given, expected):
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if given:
        env["OMP_WAIT_POLICY"] = given
    code = "import os, corrgan; print(os.environ['OMP_WAIT_POLICY'])"
    shown = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert shown.stdout.strip() == expected


def test_fused_adam_takes_the_same_steps_as_the_default():
    import torch

    from corrgan.training import make_adam

    torch.manual_seed(0)
    fused_model = torch.nn.Linear(6, 3)
    plain_model = torch.nn.Linear(6, 3)
    plain_model.load_state_dict(fused_model.state_dict())
    fused = make_adam(fused_model, 1e-2, (0.5, 0.9), 1e-6)
    plain = torch.optim.Adam(
        plain_model.parameters(), lr=1e-2, betas=(0.5, 0.9), weight_decay=1e-6
    )
    major, minor = (int(part) for part in torch.__version__.split(".")[:2])
    if (major, minor) >= (2, 4):
        assert fused.defaults["fused"] is True
    start = [param.detach().clone() for param in fused_model.parameters()]
    inputs = torch.randn(32, 6)
    for _ in range(5):
        for model, optimizer in ((fused_model, fused), (plain_model, plain)):
            optimizer.zero_grad()
            model(inputs).pow(2).mean().backward()
            optimizer.step()
    for fused_param, plain_param, first in zip(
        fused_model.parameters(), plain_model.parameters(), start, strict=True
    ):
        torch.testing.assert_close(fused_param, plain_param)
        assert not torch.equal(fused_param, first)


def test_a_run_without_held_out_rows_says_why_it_has_no_report(trained_run):
    # the shared run trains with --test-fraction 0
    assert not (trained_run.run_dir / "report.json").exists()
    assert "no held-out rows (--test-fraction 0.0), so no report.json" in (
        trained_run.result.stderr
    )


def test_a_report_on_a_few_held_out_rows_says_what_it_lacks(tmp_path, caplog):
    # the built-in table's 178 rows hold out one at this fraction; the
    # summary left out its undefined correlations without a word
    config = _config(steps=1)
    config.data.test_fraction = 0.005
    with caplog.at_level("WARNING", logger="corrgan"):
        outcome = run_training(config, tmp_path / "run", resume=False)
    report = json.loads((outcome.run_dir / "report.json").read_text())
    assert report["summary"]["synthetic"]["pearson_mean_abs_delta"] is None
    warned = [r.getMessage() for r in caplog.records if "held-out" in r.getMessage()]
    assert len(warned) == 1
    assert "only 1 held-out row(s) (--test-fraction 0.005)" in warned[0]
    assert "correlations need at least 2 rows" in warned[0]
    assert "raise --test-fraction" in warned[0]


@pytest.mark.parametrize(
    ("fraction", "target", "why"),
    [
        (0.2, "id", "--test-fraction 0.2, stratified on --target id: no class has"),
        (0.01, None, "--test-fraction 0.01 of 30 rows rounds to none"),
    ],
)
def test_a_run_with_a_fraction_but_no_held_out_rows_says_why(
    tmp_path, caplog, fraction, target, why
):
    # a target of one row per class held out nothing, and the warning blamed
    # a --test-fraction that was not zero
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=30), "y": rng.normal(size=30)})
    frame["id"] = [f"c{i}" for i in range(30)]
    frame.to_parquet(tmp_path / "t.parquet")
    config = _config(steps=1)
    config.data.data = str(tmp_path / "t.parquet")
    config.data.target = target
    config.data.test_fraction = fraction
    with caplog.at_level("WARNING", logger="corrgan"):
        outcome = run_training(config, tmp_path / "run", resume=False)
    assert not (outcome.run_dir / "report.json").exists()
    warned = [r.getMessage() for r in caplog.records if "no held-out" in r.getMessage()]
    assert len(warned) == 1
    assert warned[0].startswith(f"no held-out rows ({why}")


def test_the_built_in_table_trains_without_its_class_as_the_target(tmp_path):
    from corrgan.errors import CorrganError

    # --drop cultivar was refused as "--target cultivar is also given to
    # --drop", a --target the user never gave
    config = _config(steps=1)
    config.data.drop = ["cultivar"]
    outcome = run_training(config, tmp_path / "run", resume=False)
    saved = json.loads((outcome.run_dir / "config.json").read_text())
    assert saved["data"]["target"] is None
    columns = pd.read_parquet(outcome.run_dir / "train.parquet").columns
    assert "cultivar" not in columns

    # the class names are text: --continuous is refused for that, not as a target
    config = _config(steps=1)
    config.data.continuous = ["cultivar"]
    with pytest.raises(CorrganError) as caught:
        run_training(config, tmp_path / "numbers", resume=False)
    assert str(caught.value) == (
        "column 'cultivar' in wine holds text, not numbers, so it "
        "cannot be continuous; remove --continuous cultivar"
    )


def test_a_checkpoint_of_another_model_is_a_clear_error(tmp_path):
    from corrgan.errors import CorrganError

    # the optimiser state of a generator with one parameter fewer, as an
    # older corrgan whose heads had other parameters would have written
    run_dir = tmp_path / "run"
    run_training(_config(steps=2, checkpoint_every=1), run_dir, resume=False)
    newest = latest_checkpoint(run_dir / "checkpoints")
    state_path = newest / "train_state.json"
    state = json.loads(state_path.read_text())
    state["generator_optimizer"]["param_groups"][0]["params"].pop()
    state_path.write_text(json.dumps(state))
    with pytest.raises(CorrganError, match="does not fit this model") as caught:
        run_training(_config(steps=4), run_dir, resume=True)
    assert "without --resume" in str(caught.value)


def test_epochs_below_one_batch_say_what_is_trained(tmp_path, caplog):
    # the built-in table's training split is far smaller than 64 batches of
    # 32 rows; a step is still one whole batch
    config = _config(epochs=0.01)
    with caplog.at_level("WARNING", logger="corrgan"):
        outcome = run_training(config, tmp_path / "run", resume=False)
    assert outcome.result.steps_done == 1
    warned = [r.getMessage() for r in caplog.records if "--epochs" in r.getMessage()]
    assert len(warned) == 1
    assert "less than one batch of 32 rows; training 1 step(s)" in warned[0]

    # a budget of whole batches says nothing
    caplog.clear()
    with caplog.at_level("WARNING", logger="corrgan"):
        run_training(_config(epochs=1.0), tmp_path / "again", resume=False)
    assert not [r for r in caplog.records if "--epochs" in r.getMessage()]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU's warning")
def test_mixed_precision_on_a_cpu_says_it_is_meant_for_gpus(tmp_path, caplog):
    with caplog.at_level("WARNING", logger="corrgan"):
        make_accelerator("no", None, tmp_path)
    assert not caplog.records
    with caplog.at_level("WARNING", logger="corrgan"):
        accelerator = make_accelerator("bf16", None, tmp_path)
    assert accelerator.mixed_precision == "bf16"
    (record,) = caplog.records
    assert "bf16 on a CPU" in record.getMessage()
    assert "meant for GPUs" in record.getMessage()
