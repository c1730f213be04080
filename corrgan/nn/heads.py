"""Output heads built from the transform's layout.

Each column token is projected to that column's model-space slice (a normal
score, a one-hot group, a null indicator). Continuous outputs are raw scores;
categorical groups are Gumbel-softmax samples while training and exact
one-hot samples from the softmax at sampling time.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from corrgan.transform import Block


@dataclass(frozen=True)
class HeadLayout:
    """The layout as the networks need it: token per column, and the groups."""

    width: int
    columns: tuple[str, ...]
    token_of_block: tuple[int, ...]
    blocks: tuple[tuple[str, int, int], ...]

    @classmethod
    def from_blocks(cls, layout: list[Block]) -> HeadLayout:
        columns: list[str] = []
        for block in layout:
            if block.column not in columns:
                columns.append(block.column)
        return cls(
            width=layout[-1].end if layout else 0,
            columns=tuple(columns),
            token_of_block=tuple(columns.index(block.column) for block in layout),
            blocks=tuple((block.kind, block.start, block.end) for block in layout),
        )

    @property
    def categorical_groups(self) -> list[tuple[int, int]]:
        return [(s, e) for kind, s, e in self.blocks if kind == "categorical"]

    @property
    def continuous_index(self) -> list[int]:
        return [s for kind, s, _ in self.blocks if kind == "continuous"]


class LayoutHeads(nn.Module):
    """Project ``(b, t, d)`` tokens to ``(b, width)`` model-space logits."""

    def __init__(self, layout: HeadLayout, token_width: int) -> None:
        super().__init__()
        self.layout = layout
        num_tokens = len(layout.columns)
        per_token = [0] * num_tokens
        for token, (_, start, end) in zip(
            layout.token_of_block, layout.blocks, strict=True
        ):
            per_token[token] += end - start
        max_width = max(per_token) if per_token else 1
        self.weight = nn.Parameter(torch.empty(num_tokens, token_width, max_width))
        self.bias = nn.Parameter(torch.zeros(num_tokens, max_width))
        nn.init.normal_(self.weight, std=token_width**-0.5)

        # where each model-space column sits in the padded (t, max_width) output
        flat_index, filled = [], [0] * num_tokens
        for token, (_, start, end) in zip(
            layout.token_of_block, layout.blocks, strict=True
        ):
            for _ in range(end - start):
                flat_index.append(token * max_width + filled[token])
                filled[token] += 1
        self.register_buffer(
            "flat_index", torch.tensor(flat_index, dtype=torch.long), persistent=False
        )

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        padded = torch.einsum("btd,tdw->btw", tokens, self.weight) + self.bias
        return padded.flatten(1).index_select(1, self.flat_index)


def activate(
    logits: torch.Tensor,
    layout: HeadLayout,
    tau: float,
    hard: bool,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Turn raw head outputs into model-space rows.

    Args:
        logits: ``(b, width)`` raw outputs.
        tau: Gumbel-softmax temperature (training).
        hard: draw exact one-hot samples from each softmax (sampling).
        generator: random source for the Gumbel noise.
    """
    parts = []
    for kind, start, end in layout.blocks:
        part = logits[:, start:end]
        if kind == "categorical":
            uniform = torch.rand(
                part.shape, generator=generator, device=part.device, dtype=part.dtype
            )
            exponential = -torch.log(uniform.clamp_min(1e-10))
            gumbel = -torch.log(exponential.clamp_min(1e-10))
            if hard:
                index = (part + gumbel).argmax(dim=1)
                part = F.one_hot(index, end - start).to(logits.dtype)
            else:
                part = torch.softmax((part + gumbel) / tau, dim=1)
        parts.append(part)
    return torch.cat(parts, dim=1)
