"""Output heads built from the transform's layout.

Each column token is projected to that column's model-space slice (a normal
score, a one-hot group, a null indicator). Continuous outputs are raw scores;
categorical groups are Gumbel-softmax samples while training and exact
one-hot samples from the softmax at sampling time.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
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
    """Project ``(b, t, d)`` tokens to ``(b, width)`` model-space logits.

    Each token has its own ``(d, w_t)`` projection, ``w_t`` being its
    column's model-space width. Tokens are grouped by that width rounded up to
    a power of two, and each group is one batched product, so a table with
    one 500-level category and many one-wide numbers pads the numbers to 1,
    not to 500: the padding costs at most twice the real outputs.
    """

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

        # one initial draw for every token at the widest width, then sliced
        # per group, so that the initial weights do not depend on the grouping
        full = torch.empty(num_tokens, token_width, max_width)
        nn.init.normal_(full, std=token_width**-0.5)
        groups: dict[int, list[int]] = {}
        for token, width in enumerate(per_token):
            padded = min(1 << max(width - 1, 0).bit_length(), max_width)
            groups.setdefault(padded, []).append(token)
        self.group_widths = sorted(groups)
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for index, width in enumerate(self.group_widths):
            tokens = torch.tensor(groups[width], dtype=torch.long)
            self.register_buffer(f"tokens_{index}", tokens, persistent=False)
            self.weights.append(nn.Parameter(full[tokens][:, :, :width].clone()))
            self.biases.append(nn.Parameter(torch.zeros(len(tokens), width)))

        # where each model-space column sits in the groups' concatenated output
        offset_of_token, offset = {}, 0
        for width in self.group_widths:
            for token in groups[width]:
                offset_of_token[token] = offset
                offset += width
        flat_index, filled = [], [0] * num_tokens
        for token, (_, start, end) in zip(
            layout.token_of_block, layout.blocks, strict=True
        ):
            for _ in range(end - start):
                flat_index.append(offset_of_token[token] + filled[token])
                filled[token] += 1
        self.register_buffer(
            "flat_index", torch.tensor(flat_index, dtype=torch.long), persistent=False
        )
        self._register_load_state_dict_pre_hook(self._split_padded_weights)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        outputs = []
        for index, (weight, bias) in enumerate(
            zip(self.weights, self.biases, strict=True)
        ):
            grouped = tokens.index_select(1, getattr(self, f"tokens_{index}"))
            projected = torch.einsum("btd,tdw->btw", grouped, weight) + bias
            outputs.append(projected.flatten(1))
        joined = outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=1)
        return joined.index_select(1, self.flat_index)

    def _split_padded_weights(self, state_dict, prefix, *args) -> None:
        # weights saved before the grouping (corrgan 0.1.0 runs): one
        # (t, d, max_width) tensor, padded for every token to the widest
        weight = state_dict.pop(prefix + "weight", None)
        bias = state_dict.pop(prefix + "bias", None)
        if weight is None or bias is None:
            return
        tokens, widest = len(self.layout.columns), max(self.group_widths)
        if weight.dim() != 3 or weight.shape[0] != tokens or weight.shape[2] < widest:
            # not this layout's: put them back for load_state_dict to refuse
            state_dict[prefix + "weight"], state_dict[prefix + "bias"] = weight, bias
            return
        for index, width in enumerate(self.group_widths):
            tokens = getattr(self, f"tokens_{index}").to(weight.device)
            state_dict[f"{prefix}weights.{index}"] = weight[tokens][:, :, :width]
            state_dict[f"{prefix}biases.{index}"] = bias[tokens][:, :width]


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
    if hard:
        return _activate_hard(logits, layout, generator)
    parts = []
    for kind, start, end in layout.blocks:
        part = logits[:, start:end]
        if kind == "categorical":
            uniform = torch.rand(
                part.shape, generator=generator, device=part.device, dtype=part.dtype
            )
            exponential = -torch.log(uniform.clamp_min(1e-10))
            gumbel = -torch.log(exponential.clamp_min(1e-10))
            part = torch.softmax((part + gumbel) / tau, dim=1)
        parts.append(part)
    return torch.cat(parts, dim=1)


def _activate_hard(
    logits: torch.Tensor, layout: HeadLayout, generator: torch.Generator | None
) -> torch.Tensor:
    # the numbers pass through as they are, so one copy of the logits holds
    # them all and only the categorical blocks are written over: a wide table
    # has dozens of one-wide numbers, each a slice to concatenate otherwise
    rows = logits.clone()
    for kind, start, end in layout.blocks:
        if kind != "categorical":
            continue
        part = logits[:, start:end]
        # Gumbel noise as in the soft case, computed in place, then the
        # logits added (the sum is the same either way round)
        noise = torch.rand(
            part.shape, generator=generator, device=part.device, dtype=part.dtype
        )
        noise.clamp_min_(1e-10).log_().neg_().clamp_min_(1e-10).log_().neg_()
        index = noise.add_(part).argmax(dim=1, keepdim=True)
        block = rows[:, start:end]
        block.zero_()
        block.scatter_(1, index, 1.0)
    return rows
