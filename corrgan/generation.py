"""Drawing model-space rows from a generator: shared by training and sampling."""

from __future__ import annotations

import torch
from torch import nn

from corrgan.nn.heads import HeadLayout, activate


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
    return overwrite_conditions(rows, condition, model_groups, condition_groups)


def overwrite_conditions(
    rows: torch.Tensor,
    condition: torch.Tensor,
    model_groups: list[tuple[int, int]],
    condition_groups: list[tuple[int, int]],
) -> torch.Tensor:
    """Set every conditioned categorical group of one-hot ``rows`` to its
    condition, exactly; a row whose condition leaves a group empty keeps the
    generated category.

    Every entry is 0 or 1, so a selection per group does what a blend of
    condition and row would, in one pass instead of four.
    """
    for (start, end), (c_start, c_end) in zip(
        model_groups, condition_groups, strict=True
    ):
        fixed = condition[:, c_start:c_end]
        active = fixed.amax(dim=1, keepdim=True) > 0
        rows[:, start:end] = torch.where(active, fixed, rows[:, start:end])
    return rows
