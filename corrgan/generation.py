"""Drawing model-space rows from a generator: shared by training and sampling."""

from __future__ import annotations

import torch
from torch import nn

from corrgan.nn.heads import HeadLayout, activate


def overwrite_conditions(
    rows: torch.Tensor,
    condition: torch.Tensor,
    model_groups: list[tuple[int, int]],
    condition_groups: list[tuple[int, int]],
) -> torch.Tensor:
    """Set every conditioned categorical group to its condition, exactly.

    A row whose condition leaves a group empty keeps the generated category.
    """
    for (start, end), (c_start, c_end) in zip(
        model_groups, condition_groups, strict=True
    ):
        fixed = condition[:, c_start:c_end]
        active = fixed.sum(dim=1, keepdim=True)
        rows[:, start:end] = active * fixed + (1 - active) * rows[:, start:end]
    return rows


@torch.inference_mode()
def generate_rows(
    generator: nn.Module,
    layout: HeadLayout,
    condition: torch.Tensor,
    model_groups: list[tuple[int, int]],
    condition_groups: list[tuple[int, int]],
    random: torch.Generator | None = None,
) -> torch.Tensor:
    """Generate one model-space row per condition row, categories one-hot."""
    noise = torch.randn(
        condition.shape[0],
        generator.noise_dim,
        generator=random,
        device=condition.device,
    )
    rows = activate(
        generator(noise, condition), layout, 1.0, hard=True, generator=random
    )
    return _overwrite_one_hot(rows, condition, model_groups, condition_groups)


def _overwrite_one_hot(
    rows: torch.Tensor,
    condition: torch.Tensor,
    model_groups: list[tuple[int, int]],
    condition_groups: list[tuple[int, int]],
) -> torch.Tensor:
    """:func:`overwrite_conditions` for exact one-hot rows and conditions.

    With every entry 0 or 1, its blend of condition and row picks one or the
    other exactly, so one selection per group gives the same rows in one pass
    instead of four.
    """
    for (start, end), (c_start, c_end) in zip(
        model_groups, condition_groups, strict=True
    ):
        fixed = condition[:, c_start:c_end]
        active = fixed.amax(dim=1, keepdim=True) > 0
        rows[:, start:end] = torch.where(active, fixed, rows[:, start:end])
    return rows
