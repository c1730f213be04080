"""Checkpoints of a training run: safetensors for tensors, JSON for the rest.

A checkpoint is a directory ``checkpoints/step-000500`` holding the networks'
and optimisers' tensors (``*.safetensors``) and ``train_state.json`` (step,
random-generator states, optimiser hyper-parameters). It is written under a
temporary name and renamed into place, and ``train_state.json`` is written
last, so a kill at any moment leaves either a complete checkpoint or none:
nothing is ever unpickled on resume.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from corrgan.errors import CorrganError

logger = logging.getLogger(__name__)

STATE_FILE = "train_state.json"
_STEP_DIR = re.compile(r"^step-(\d{6,})$")


def optimizer_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict, dict]:
    """Split an optimiser's state dict into flat tensors and JSON values."""
    state = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, Any] = {}
    for index, values in state["state"].items():
        for key, value in values.items():
            name = f"{index}.{key}"
            if torch.is_tensor(value):
                tensors[name] = value.detach().cpu().contiguous()
            else:
                scalars[name] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def load_optimizer(
    optimizer: torch.optim.Optimizer, tensors: dict, extra: dict
) -> None:
    """Inverse of :func:`optimizer_tensors`."""
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        index, key = name.split(".", 1)
        state.setdefault(int(index), {})[key] = value
    for name, value in extra["scalars"].items():
        index, key = name.split(".", 1)
        state.setdefault(int(index), {})[key] = value
    groups = extra["param_groups"]
    for group in groups:
        if "betas" in group:
            group["betas"] = tuple(group["betas"])
    optimizer.load_state_dict({"state": state, "param_groups": groups})


def save_checkpoint(
    directory: Path,
    step: int,
    tensors: dict[str, dict[str, torch.Tensor]],
    state: dict[str, Any],
    keep: int = 2,
) -> Path:
    """Write one complete checkpoint atomically and prune old ones.

    Args:
        directory: the run's ``checkpoints/`` folder.
        step: training step the checkpoint is taken after.
        tensors: file stem -> flat tensor dict (e.g. ``generator``).
        state: JSON-serialisable training state; written last.
        keep: complete checkpoints to keep (at least 1).
    """
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"step-{step:06d}"
    partial = directory / f".partial-step-{step:06d}-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    for stem, values in tensors.items():
        values = {k: v.detach().cpu().contiguous() for k, v in values.items()}
        save_file(values, partial / f"{stem}.safetensors")
    with open(partial / STATE_FILE, "w", encoding="utf-8") as handle:
        json.dump({"step": step, **state}, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    if final.exists():
        shutil.rmtree(final)
    os.replace(partial, final)
    for old in list_checkpoints(directory)[: -max(keep, 1)]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def remove_partial_checkpoints(directory: Path) -> None:
    """Delete what killed writers left: checkpoints and rank files half made.

    Only for a run being resumed, when no other process writes there; each
    half-made checkpoint is as large as a whole one.
    """
    if not directory.is_dir():
        return
    for partial in directory.glob(".partial-step-*"):
        shutil.rmtree(partial, ignore_errors=True)
    for partial in directory.glob("ranks/.rank-*.json"):
        partial.unlink(missing_ok=True)


def list_checkpoints(directory: Path) -> list[Path]:
    """Complete checkpoints, oldest first."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = _STEP_DIR.match(path.name)
        if match and (path / STATE_FILE).is_file():
            found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found)]


def checkpoint_step(path: Path) -> int:
    """The step a checkpoint folder is named for."""
    return int(_STEP_DIR.match(path.name).group(1))


def latest_checkpoint(directory: Path) -> Path | None:
    """The newest complete checkpoint, or None."""
    found = list_checkpoints(directory)
    return found[-1] if found else None


def load_checkpoint(
    path: Path, parts: Iterable[str] = ()
) -> tuple[dict[str, dict[str, torch.Tensor]], dict]:
    """Read a checkpoint's tensors (by file stem) and its training state.

    ``parts`` are the stems the caller needs; one without its file is an
    error, as a file safetensors cannot read is.
    """
    try:
        state = json.loads((path / STATE_FILE).read_text())
        tensors = {
            file.stem: load_file(file) for file in sorted(path.glob("*.safetensors"))
        }
    except (OSError, ValueError, SafetensorError) as err:
        raise damaged_checkpoint(path, str(err)) from None
    missing = sorted(set(parts) - set(tensors))
    if missing:
        files = ", ".join(f"{name}.safetensors" for name in missing)
        raise damaged_checkpoint(path, f"{files} missing")
    # the folder's name is the step that resuming reports and counts from
    match = _STEP_DIR.match(path.name)
    step = state.get("step") if isinstance(state, dict) else None
    if match is None or type(step) is not int or step != int(match.group(1)):
        raise damaged_checkpoint(
            path, f"{STATE_FILE} does not record the step its folder is named for"
        )
    return tensors, state


def damaged_checkpoint(path: Path, why: str) -> CorrganError:
    """The error for a checkpoint that cannot be read, with the two ways out."""
    return CorrganError(
        f"checkpoint {path} is damaged ({why}); delete that folder to resume from "
        "an older checkpoint, or train without --resume"
    )
