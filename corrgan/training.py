"""The training loop on Hugging Face Accelerate.

The same code runs on a CPU, one GPU, or many processes: Accelerate sets up
the process group, the device and autocast. The networks are not wrapped in
DistributedDataParallel: the critic's gradient penalty differentiates through
a gradient, which DDP's reducer does not support, so each update averages the
gradients over ranks with one flat all-reduce per network instead. Every rank
starts from the same seeded weights and applies the same averaged update, so
the weights stay identical on all ranks.
"""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from accelerate import Accelerator
from accelerate.state import AcceleratorState

from corrgan.checkpoint import (
    damaged_checkpoint,
    latest_checkpoint,
    load_checkpoint,
    load_optimizer,
    optimizer_tensors,
    remove_partial_checkpoints,
    save_checkpoint,
)
from corrgan.conditioning import ConditionSampler
from corrgan.config import RunConfig
from corrgan.errors import CorrganError
from corrgan.generation import generate_rows
from corrgan.losses import (
    condition_loss,
    conditional_moment_loss,
    correlation,
    correlation_loss,
    gradient_penalty,
    marginal_loss,
)
from corrgan.nn.discriminator import Discriminator
from corrgan.nn.generator import build_generator
from corrgan.nn.heads import HeadLayout, activate
from corrgan.transform import TableTransform

logger = logging.getLogger(__name__)

EXIT_INTERRUPTED = 75
"""Exit code after SIGTERM/SIGUSR1: a checkpoint was written, resume later."""


def make_accelerator(mixed_precision: str, log_with: str | None, project_dir: Path):
    """An Accelerator that really distributes on CPU-only machines too.

    ``Accelerator()`` alone on a machine without CUDA leaves every launched
    process as rank 0 of 1, each silently training alone; ``cpu=True`` makes it
    join the gloo process group the launcher set up.
    """
    if log_with is not None:
        _check_tracker(log_with)
    _forget_other_precision(mixed_precision)
    accelerator = Accelerator(
        cpu=not torch.cuda.is_available(),
        mixed_precision=mixed_precision,
        log_with=log_with,
        project_dir=str(project_dir),
    )
    if mixed_precision != "no" and accelerator.device.type == "cpu":
        # CPU autocast exists, but this model's small operators only pay
        # for the casts
        logger.warning(
            "--mixed-precision %s on a CPU runs through torch's CPU autocast, "
            "which was slower than --mixed-precision no for corrgan on the CPUs "
            "measured; it is meant for GPUs",
            mixed_precision,
        )
    expected = int(os.environ.get("WORLD_SIZE", "1"))
    if accelerator.num_processes != expected:
        raise RuntimeError(
            f"the launcher started {expected} processes but Accelerate sees "
            f"{accelerator.num_processes}; the run would not be distributed"
        )
    return accelerator


def _forget_other_precision(mixed_precision: str) -> None:
    """Let a second run in one process use another mixed precision.

    Accelerate keeps one state per process and refuses an Accelerator whose
    precision differs from the first one's: a notebook that trained once
    could not train again with bf16. A single process drops that state (the
    process group, if any, is kept); a launched rank never trains twice.
    """
    previous = AcceleratorState._shared_state.get("_mixed_precision")
    if previous in (None, mixed_precision):
        return
    reset = getattr(AcceleratorState, "_reset_state", None)
    if int(os.environ.get("WORLD_SIZE", "1")) == 1 and reset is not None:
        reset()
        return
    raise CorrganError(
        f"this process already trained with --mixed-precision {previous}, and "
        "Accelerate keeps one setting per process; train with "
        f"--mixed-precision {mixed_precision} in a new process"
    )


def make_adam(
    module: torch.nn.Module,
    lr: float,
    betas: tuple[float, float],
    weight_decay: float,
) -> torch.optim.Adam:
    """Adam with the fused kernel where this torch has one for the device.

    The fused step is one kernel over all parameters instead of a dozen small
    ones per tensor: on the crop table's step it saves about a tenth of the
    time on CPU. torch before 2.4 has no fused CPU kernel and refuses it, so
    that case falls back to the default implementation (same arithmetic).
    """
    params = list(module.parameters())
    try:
        return torch.optim.Adam(
            params, lr=lr, betas=betas, weight_decay=weight_decay, fused=True
        )
    except (RuntimeError, ValueError):
        return torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=weight_decay)


def _check_tracker(name: str) -> None:
    """Fail early, with the fix, when a tracker's package is not installed.

    The name itself is one of the three: TrainConfig checks it.
    """
    from accelerate.utils import imports

    checks = {
        "tensorboard": (imports.is_tensorboard_available, "tensorboard"),
        "wandb": (imports.is_wandb_available, "wandb"),
        "mlflow": (imports.is_mlflow_available, "mlflow"),
    }
    available, package = checks[name]
    if not available():
        raise CorrganError(
            f"--log-with {name} needs the {package} package; pip install {package}"
        )


class _StopRequest:
    """Turns SIGTERM and SIGUSR1 into a flag the loop checks at every step."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = {}

    def __enter__(self) -> _StopRequest:
        # Python lets only the main thread set handlers; a run started from
        # another thread (a Python caller's) leaves the signals to its host
        if threading.current_thread() is not threading.main_thread():
            return self
        for signum in (signal.SIGTERM, signal.SIGUSR1):
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        self.requested = True

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


@dataclass
class TrainResult:
    """What a call to :meth:`Trainer.train` did."""

    steps_done: int
    interrupted: bool
    seconds: float
    resumed_from: int | None


class _RunningMeans:
    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.count = 0

    def add(self, values: dict[str, torch.Tensor]) -> None:
        for key, value in values.items():
            self.sums[key] = self.sums.get(key, 0.0) + float(value)
        self.count += 1

    def pop(self) -> dict[str, float]:
        means = {key: total / max(self.count, 1) for key, total in self.sums.items()}
        self.sums, self.count = {}, 0
        return means


class Trainer:
    """Trains the generator of one run on a model-space data matrix."""

    def __init__(
        self,
        config: RunConfig,
        transform: TableTransform,
        data: np.ndarray,
        run_dir: Path,
        accelerator: Accelerator,
    ) -> None:
        self.config = config
        self.run_dir = run_dir
        self.accelerator = accelerator
        self.device = accelerator.device
        train = config.train
        self.world = accelerator.num_processes
        self.rank = accelerator.process_index
        # on CPU one thread per process unless told otherwise: the step is
        # hundreds of small operators, and a team of threads meets at a
        # barrier after each one (docs/benchmarks.md, training threads)
        if train.threads:
            torch.set_num_threads(train.threads)
        elif self.device.type == "cpu":
            torch.set_num_threads(1)

        # the data, the layout and the conditions
        self.layout = HeadLayout.from_blocks(transform.layout)
        self.sampler = ConditionSampler(transform, data)
        self.data = torch.from_numpy(data).to(self.device)
        pac = config.model.pac
        per_rank = max(train.batch_size // self.world, pac)
        self.rows_per_rank = per_rank - per_rank % pac
        self.total_steps = train.total_steps(len(data))
        if train.epochs is not None and accelerator.is_main_process:
            trained = self.total_steps * train.batch_size / max(len(data), 1)
            if trained > 1.5 * train.epochs:
                # a step is one whole batch, however few rows were asked for
                logger.warning(
                    "--epochs %g of %d training rows is less than one batch of "
                    "%d rows; training %d step(s), %.1f epochs (a smaller "
                    "--batch-size trains fewer)",
                    train.epochs,
                    len(data),
                    train.batch_size,
                    self.total_steps,
                    trained,
                )

        # networks, seeded identically on every rank
        torch.manual_seed(train.seed)
        self.generator = build_generator(self.layout, self.sampler.dim, config.model)
        self.critic = Discriminator(self.layout.width + self.sampler.dim, config.model)
        self.generator.to(self.device)
        self.critic.to(self.device)
        self.ema = build_generator(self.layout, self.sampler.dim, config.model)
        self.ema.load_state_dict(self.generator.state_dict())
        self.ema.to(self.device).eval().requires_grad_(False)
        self.generator_optimizer = make_adam(
            self.generator, train.generator_lr, train.betas, train.weight_decay
        )
        self.critic_optimizer = make_adam(
            self.critic, train.discriminator_lr, train.betas, train.weight_decay
        )

        # random sources: per rank, so ranks draw different rows and noise
        self.rng = np.random.default_rng([train.seed, self.rank])
        self.torch_rng = torch.Generator(device=self.device)
        self.torch_rng.manual_seed(train.seed * 1000 + self.rank)

        # the fixed probe: same noise and conditions at every evaluation
        probe_rng = np.random.default_rng([train.seed, 10_000])
        probe_rows = min(train.probe_rows, 50_000)
        self.probe_condition = torch.from_numpy(
            self.sampler.sample_generation(probe_rows, probe_rng)
        ).to(self.device)
        self.real_corr = correlation(self.data).nan_to_num(0.0)
        self.step = 0

    # state

    def _tensors(self) -> dict[str, dict[str, torch.Tensor]]:
        generator_opt, _ = optimizer_tensors(self.generator_optimizer)
        critic_opt, _ = optimizer_tensors(self.critic_optimizer)
        return {
            "generator": self.generator.state_dict(),
            "critic": self.critic.state_dict(),
            "ema": self.ema.state_dict(),
            "generator_optimizer": generator_opt,
            "critic_optimizer": critic_opt,
            "random": {"torch": self.torch_rng.get_state()},
        }

    def _json_state(self) -> dict:
        _, generator_opt = optimizer_tensors(self.generator_optimizer)
        _, critic_opt = optimizer_tensors(self.critic_optimizer)
        return {
            "total_steps": self.total_steps,
            "world_size": self.world,
            "generator_optimizer": generator_opt,
            "critic_optimizer": critic_opt,
            "numpy_random": self.rng.bit_generator.state,
        }

    def save(self) -> None:
        """Write a checkpoint (main process; every rank holds the same weights).

        Each rank's random state is saved beside it, so that a resumed run
        continues every rank's stream where it stopped.
        """
        self._check_finite()
        checkpoints = self.run_dir / "checkpoints"
        rank_dir = checkpoints / "ranks"
        rank_dir.mkdir(parents=True, exist_ok=True)
        rank_state = {
            "rank": self.rank,
            "world_size": self.world,
            "generator_sha256": _weights_digest(self.generator),
            "numpy_random": self.rng.bit_generator.state,
            "torch_random": self.torch_rng.get_state().tolist(),
        }
        tmp = rank_dir / f".rank-{self.rank}-step-{self.step}.json"
        tmp.write_text(json.dumps(rank_state))
        os.replace(tmp, rank_dir / f"rank-{self.rank}-step-{self.step:06d}.json")
        self.accelerator.wait_for_everyone()
        if self.accelerator.is_main_process:
            save_checkpoint(
                checkpoints,
                self.step,
                self._tensors(),
                self._json_state(),
                keep=self.config.train.keep_checkpoints,
            )
            kept = {p.name for p in checkpoints.glob("step-*")}
            for old in rank_dir.glob("rank-*-step-*.json"):
                if f"step-{old.stem.rsplit('-', 1)[1]}" not in kept:
                    old.unlink(missing_ok=True)
        self.accelerator.wait_for_everyone()

    def _check_finite(self, record: dict | None = None) -> None:
        """Stop once training has diverged, before such weights are saved.

        The weights are the same on every rank, so every rank stops together.
        """
        modules = (self.generator, self.ema, self.critic)
        if all(bool(p.isfinite().all()) for m in modules for p in m.parameters()):
            return
        broken = [
            name
            for name, value in (record or {}).items()
            if isinstance(value, float) and not math.isfinite(value)
        ]
        losses = f" ({', '.join(broken)} not finite)" if broken else ""
        raise CorrganError(
            f"training diverged by step {self.step}: the networks' weights are "
            f"no longer finite numbers{losses}, so no model was saved; lower "
            "generator_lr and discriminator_lr (or the loss weights) in a "
            "--config file, or look for extreme values in the data"
        )

    def restore(self, path: Path) -> None:
        tensors, state = load_checkpoint(path, parts=self._tensors())
        if state.get("world_size") != self.world and self.accelerator.is_main_process:
            logger.warning(
                "checkpoint %s was written by %s process(es), this run has %s: "
                "the result will differ from an uninterrupted run",
                path,
                state.get("world_size"),
                self.world,
            )
        try:
            self.generator.load_state_dict(tensors["generator"])
            self.critic.load_state_dict(tensors["critic"])
            self.ema.load_state_dict(tensors["ema"])
            load_optimizer(
                self.generator_optimizer,
                tensors["generator_optimizer"],
                state["generator_optimizer"],
            )
            load_optimizer(
                self.critic_optimizer,
                tensors["critic_optimizer"],
                state["critic_optimizer"],
            )
        except (RuntimeError, ValueError, KeyError, TypeError, AttributeError) as err:
            # the weights or optimiser state of another model: an older corrgan
            # whose generator had other parameters, or another table's run
            raise CorrganError(
                f"{path} does not fit this model ({type(err).__name__}: "
                f"{str(err).splitlines()[0]}); resume it with the corrgan "
                "version that wrote it, or start again without --resume"
            ) from None
        self.step = state["step"]
        try:
            self._restore_random(path, state, tensors)
        except (OSError, RuntimeError, ValueError, KeyError, TypeError) as err:
            raise damaged_checkpoint(
                path, f"its random state cannot be restored: {type(err).__name__}"
            ) from None

    def _restore_random(self, path: Path, state: dict, tensors: dict) -> None:
        """Continue this rank's random streams where the checkpoint left them.

        A rank the checkpoint has no streams for (the run now has more
        processes) starts new ones of its own: taking rank 0's would make it
        draw the same rows and noise as rank 0 for the rest of the run.
        """
        rank_file = (
            path.parent / "ranks" / f"rank-{self.rank}-step-{self.step:06d}.json"
        )
        if rank_file.is_file():
            rank_state = json.loads(rank_file.read_text())
            self.rng.bit_generator.state = rank_state["numpy_random"]
            self.torch_rng.set_state(
                torch.tensor(rank_state["torch_random"], dtype=torch.uint8)
            )
        elif self.rank == 0:
            self.rng.bit_generator.state = state["numpy_random"]
            self.torch_rng.set_state(tensors["random"]["torch"])
        else:
            seed = self.config.train.seed
            self.rng = np.random.default_rng([seed, self.rank, self.step])
            self.torch_rng.manual_seed(int(self.rng.integers(2**62)))

    # one update

    def _average_gradients(self, module: torch.nn.Module) -> None:
        if self.world == 1:
            return
        grads = [p.grad for p in module.parameters() if p.grad is not None]
        flat = torch.cat([grad.reshape(-1) for grad in grads])
        dist.all_reduce(flat)
        flat /= self.world
        offset = 0
        for grad in grads:
            grad.copy_(flat[offset : offset + grad.numel()].view_as(grad))
            offset += grad.numel()

    def _draw(self) -> tuple[torch.Tensor, torch.Tensor]:
        condition, indices = self.sampler.sample_train(self.rows_per_rank, self.rng)
        condition = torch.from_numpy(condition).to(self.device)
        real = self.data[torch.from_numpy(indices).to(self.device)]
        return condition, real

    def _fake(self, condition: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        noise = torch.randn(
            condition.shape[0],
            self.config.model.noise_dim,
            generator=self.torch_rng,
            device=self.device,
        )
        with self.accelerator.autocast():
            logits = self.generator(noise, condition).float()
        rows = activate(
            logits, self.layout, self.config.train.gumbel_tau, False, self.torch_rng
        )
        return logits, rows

    def train_step(self) -> dict[str, torch.Tensor]:
        train = self.config.train

        # one fake batch serves both updates: detached for the critic, then
        # scored by the updated critic for the generator
        condition, real = self._draw()
        logits, fake = self._fake(condition)

        # critic: Wasserstein loss plus gradient penalty
        real_in = torch.cat([real, condition], dim=1)
        fake_in = torch.cat([fake.detach(), condition], dim=1)
        with self.accelerator.autocast():
            scores = self.critic(torch.cat([real_in, fake_in])).float()
        real_score, fake_score = scores.chunk(2)
        penalty = gradient_penalty(self.critic, real_in, fake_in, self.torch_rng)
        critic_loss = fake_score.mean() - real_score.mean()
        self.critic_optimizer.zero_grad(set_to_none=False)
        (critic_loss + train.gradient_penalty * penalty).backward()
        self._average_gradients(self.critic)
        self.critic_optimizer.step()

        # generator: fool the critic, honour the condition, match correlations
        self.critic.requires_grad_(False)
        with self.accelerator.autocast():
            adversarial = (
                -self.critic(torch.cat([fake, condition], dim=1)).float().mean()
            )
        self.critic.requires_grad_(True)
        honour = condition_loss(
            logits, condition, self.sampler.model_groups, self.sampler.condition_groups
        )
        all_ranks = self.world > 1
        if train.corr_weight > 0:
            with torch.no_grad():
                real_corr = correlation(real, all_ranks)
            corr = correlation_loss(fake, real_corr, all_ranks)
        else:
            corr = fake.new_zeros(())
        if train.moment_weight > 0:
            moments = conditional_moment_loss(
                fake, real, condition, self.sampler.condition_groups
            )
        else:
            moments = fake.new_zeros(())
        if train.marginal_weight > 0:
            marginals = marginal_loss(fake, real)
        else:
            marginals = fake.new_zeros(())
        generator_loss = (
            adversarial
            + honour
            + train.corr_weight * corr
            + train.moment_weight * moments
            + train.marginal_weight * marginals
        )
        self.generator_optimizer.zero_grad(set_to_none=False)
        generator_loss.backward()
        self._average_gradients(self.generator)
        self.generator_optimizer.step()
        self._update_ema()
        self.step += 1
        return {
            "d_loss": critic_loss.detach(),
            "gp": penalty.detach(),
            "g_loss": adversarial.detach(),
            "cond": honour.detach(),
            "corr": corr.detach(),
            "moments": moments.detach(),
            "marginals": marginals.detach(),
        }

    @torch.no_grad()
    def _update_ema(self) -> None:
        decay = self.config.train.ema_decay
        if decay <= 0:
            self.ema.load_state_dict(self.generator.state_dict())
            return
        # a short warm-up, so early weights do not linger in the average
        decay = min(decay, (1 + self.step) / (10 + self.step))
        torch._foreach_lerp_(
            list(self.ema.parameters()), list(self.generator.parameters()), 1.0 - decay
        )

    @torch.no_grad()
    def probe(self) -> float:
        """Mean |correlation gap| of a fixed generated sample, in model space."""
        random = torch.Generator(device=self.device)
        random.manual_seed(self.config.train.seed + 99)
        rows = generate_rows(
            self.ema,
            self.layout,
            self.probe_condition,
            self.sampler.model_groups,
            self.sampler.condition_groups,
            random,
        )
        gap = (correlation(rows).nan_to_num(0.0) - self.real_corr).abs()
        width = gap.shape[0]
        if width < 2:
            return 0.0
        return float(gap.triu(1).sum() / (width * (width - 1) / 2))

    # the loop

    def train(self, resume: bool = False) -> TrainResult:
        """Run until the step budget is spent or a stop signal arrives."""
        train = self.config.train
        resumed_from = None
        checkpoints = self.run_dir / "checkpoints"
        if resume:
            if self.accelerator.is_main_process:
                remove_partial_checkpoints(checkpoints)
            found = latest_checkpoint(checkpoints)
            if found is None:
                logger.info("no checkpoint in %s: starting from step 0", checkpoints)
            else:
                self.restore(found)
                resumed_from = self.step
                logger.info("resumed from step %d (%s)", self.step, found)
        metrics_path = self.run_dir / "metrics.jsonl"
        if self.accelerator.is_main_process:
            _truncate_metrics(metrics_path, self.step)

        started = time.perf_counter()
        interval_start, interval_first = started, self.step
        means = _RunningMeans()
        interrupted = False
        progress = _Progress(self.total_steps, self.step, self.accelerator)
        with _StopRequest() as stop, progress:
            while self.step < self.total_steps:
                # agree on stopping, so all ranks checkpoint the same step
                if self._should_stop(stop):
                    interrupted = True
                    break
                means.add(self.train_step())
                progress.advance(self.step)

                # timing, probe and logging
                if self.step % train.log_every == 0 or self.step == self.total_steps:
                    now = time.perf_counter()
                    record = {
                        "step": self.step,
                        "epoch": self.step * train.batch_size / len(self.data),
                        **means.pop(),
                        "probe_corr_error": self.probe()
                        if self.accelerator.is_main_process
                        else None,
                        "ms_per_step": 1000
                        * (now - interval_start)
                        / max(self.step - interval_first, 1),
                    }
                    interval_start, interval_first = now, self.step
                    self._check_finite(record)
                    if self.accelerator.is_main_process:
                        self._write_record(metrics_path, record)
                        progress.show(record)
                if train.checkpoint_every and self.step % train.checkpoint_every == 0:
                    self.save()
        saved = bool(train.checkpoint_every) and self.step % train.checkpoint_every == 0
        if not saved or interrupted:
            self.save()
        seconds = time.perf_counter() - started
        if interrupted:
            logger.info("stopped by a signal at step %d; checkpoint written", self.step)
        return TrainResult(self.step, interrupted, seconds, resumed_from)

    def _should_stop(self, stop: _StopRequest) -> bool:
        if self.world == 1:
            return stop.requested
        flag = torch.tensor([float(stop.requested)], device=self.device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item() > 0)

    def _write_record(self, path: Path, record: dict) -> None:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        if self.config.train.log_with:
            self.accelerator.log(
                {k: v for k, v in record.items() if v is not None}, step=self.step
            )


def _weights_digest(module: torch.nn.Module) -> str:
    """sha256 of a module's weights: equal on every rank of a healthy run."""
    import hashlib

    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def _truncate_metrics(path: Path, step: int) -> None:
    """Drop records past ``step``: a resumed run writes them again.

    A line that is not a whole record goes too: a run killed while it wrote
    one leaves half a line at the end of the file.
    """
    if not path.exists():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        whole = isinstance(record, dict) and isinstance(record.get("step"), int)
        if whole and record["step"] <= step:
            kept.append(line)
    path.write_text("".join(line + "\n" for line in kept))


class _Progress:
    """A rich bar on a terminal; plain fixed-format log lines otherwise."""

    def __init__(self, total: int, done: int, accelerator: Accelerator) -> None:
        self.enabled = accelerator.is_main_process
        self.interactive = self.enabled and sys.stderr.isatty()
        self.total, self.done = total, done
        self._bar = None

    def __enter__(self) -> _Progress:
        if self.interactive:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("training"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[losses]}"),
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(
                "train", total=self.total, completed=self.done, losses=""
            )
        return self

    def advance(self, step: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=step)

    def show(self, record: dict) -> None:
        line = (
            f"epoch {record['epoch']:.1f} step {record['step']} | "
            f"d_loss {record['d_loss']:.3f} | g_loss {record['g_loss']:.3f} | "
            f"corr {record['corr']:.4f} | probe {record['probe_corr_error']:.4f} | "
            f"{record['ms_per_step']:.1f} ms/step"
        )
        if self._bar is not None:
            self._bar.update(self._task, losses=line.split(" | ", 1)[1])
        elif self.enabled:
            logger.info(line)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
