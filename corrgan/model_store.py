"""A trained model on disk: safetensors weights and JSON metadata, no pickle.

A run directory holds ``generator.safetensors`` (the averaged generator
weights), ``transform.json`` and ``model.json``; ``model.json`` records the
sizes needed to rebuild the generator and the sha256 of the other two files,
so a missing, truncated or altered file is reported instead of loaded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from corrgan import __version__
from corrgan.conditioning import ConditionSampler
from corrgan.config import ModelConfig
from corrgan.errors import CorrganError
from corrgan.io import atomic_path, check_not_an_input
from corrgan.nn.generator import build_generator
from corrgan.nn.heads import HeadLayout
from corrgan.transform import TableTransform, read_transform

MODEL_FILE = "model.json"
WEIGHTS_FILE = "generator.safetensors"
TRANSFORM_FILE = "transform.json"
MODEL_FORMAT_VERSION = 1


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class TrainedModel:
    """A generator ready to sample, with its transform and condition groups."""

    generator: nn.Module
    transform: TableTransform
    sampler: ConditionSampler
    layout: HeadLayout
    model_config: ModelConfig
    target: str | None


def _resume_hint(run_dir: Path, lead: str) -> str:
    """How to rebuild the model of a run that still has its checkpoints."""
    if not (run_dir / "checkpoints").is_dir():
        return ""
    return f"{lead} with corrgan train --out {run_dir} --resume"


def check_sample_output(run_dir: Path, output: Path, flag: str) -> None:
    """Refuse to write samples over a file of the run or over the table it was
    trained on (the ``data`` its config.json names)."""
    check_not_an_input(output, flag, run_dir.glob("*") if run_dir.is_dir() else [])
    try:
        config = json.loads((run_dir / "config.json").read_text())
        trained_on = config["data"]["data"]
    except (OSError, ValueError, KeyError, TypeError):
        return
    if isinstance(trained_on, str):
        check_not_an_input(
            output, flag, [Path(trained_on)], "the table this model was trained on"
        )


def save_model(
    run_dir: Path,
    generator: nn.Module,
    transform: TableTransform,
    model_config: ModelConfig,
    target: str | None,
) -> None:
    """Write the transform, the weights and ``model.json`` (last) atomically."""
    with atomic_path(run_dir / TRANSFORM_FILE) as path:
        path.write_text(transform.to_json())
    weights = {
        k: v.detach().cpu().contiguous() for k, v in generator.state_dict().items()
    }
    with atomic_path(run_dir / WEIGHTS_FILE) as path:
        save_file(weights, path)
    metadata = {
        "format_version": MODEL_FORMAT_VERSION,
        "corrgan_version": __version__,
        "model": asdict(model_config),
        "target": target,
        "files": {
            name: sha256_of(run_dir / name) for name in (TRANSFORM_FILE, WEIGHTS_FILE)
        },
    }
    with atomic_path(run_dir / MODEL_FILE) as path:
        path.write_text(json.dumps(metadata, indent=1))


def load_model(run_dir: Path | str, device: str | torch.device = "cpu") -> TrainedModel:
    """Rebuild a trained generator from a run directory, checking every file."""
    run_dir = Path(run_dir)
    if run_dir.is_file():
        raise CorrganError(
            f"--model {run_dir} is a file, not a run directory; pass the folder "
            "that `corrgan train` wrote (it holds model.json)"
        )
    if not run_dir.is_dir():
        raise CorrganError(
            f"model directory {run_dir} does not exist; train one with "
            "`corrgan train` or pass --model RUN_DIR"
        )
    metadata_path = run_dir / MODEL_FILE
    try:
        metadata = json.loads(metadata_path.read_text())
        files = dict(metadata["files"])
        model_config = ModelConfig(**metadata["model"])
    except FileNotFoundError:
        # a run stopped by a signal or killed has checkpoints but no model yet
        raise CorrganError(
            f"{metadata_path} is missing: {run_dir} is not a finished corrgan "
            f"run{_resume_hint(run_dir, '; finish it')}"
        ) from None
    except CorrganError as err:
        # a value of the model's settings edited out of range
        raise CorrganError(f"{metadata_path}: {err}; retrain the model") from None
    except (ValueError, KeyError, TypeError):
        raise CorrganError(f"{metadata_path} is damaged; retrain the model") from None
    for name, expected in files.items():
        path = run_dir / name
        if not path.is_file():
            raise CorrganError(f"{path} is missing; the model directory is incomplete")
        if sha256_of(path) != expected:
            raise CorrganError(
                f"{path} does not match the checksum in {MODEL_FILE}: it was "
                "altered or truncated, or the run was killed while it saved its "
                "model; restore it or retrain"
                f"{_resume_hint(run_dir, ', or rebuild it from the last checkpoint')}"
            )
    transform = read_transform(run_dir / TRANSFORM_FILE)
    layout = HeadLayout.from_blocks(transform.layout)
    sampler = ConditionSampler(transform)
    generator = build_generator(layout, sampler.dim, model_config)
    try:
        generator.load_state_dict(load_file(run_dir / WEIGHTS_FILE))
    except (SafetensorError, RuntimeError) as err:
        raise CorrganError(
            f"{run_dir / WEIGHTS_FILE} does not fit the model ({type(err).__name__}); "
            "retrain the model"
        ) from None
    if not all(bool(p.isfinite().all()) for p in generator.parameters()):
        # only a run saved before training checked for divergence holds these
        raise CorrganError(
            f"{run_dir / WEIGHTS_FILE} holds weights that are not finite numbers: "
            "the training diverged; train again with lower learning rates"
        )
    generator.to(device).eval()
    return TrainedModel(
        generator, transform, sampler, layout, model_config, metadata.get("target")
    )
