"""Generators: the column-token attention generator and an MLP for ablations.

Shapes: ``b`` rows, ``t`` column tokens, ``d`` token width, ``z`` noise size,
``c`` condition size.
"""

from __future__ import annotations

import torch
from torch import nn

from corrgan.config import ModelConfig
from corrgan.nn.attention import TransformerBlock
from corrgan.nn.heads import HeadLayout, LayoutHeads


class AttentionGenerator(nn.Module):
    """Noise and condition -> one token per column -> attention -> heads.

    Each token is a learned column embedding plus a projection of the
    (noise, condition) vector; pre-norm transformer blocks mix the tokens of a
    row; each token's head emits its column's slice of model space.
    """

    def __init__(self, layout: HeadLayout, condition_dim: int, config: ModelConfig):
        super().__init__()
        self.layout = layout
        self.noise_dim = config.noise_dim
        num_tokens = len(layout.columns)
        self.num_tokens, self.width = num_tokens, config.width
        self.input = nn.Linear(
            config.noise_dim + condition_dim, num_tokens * config.width
        )
        self.column_embedding = nn.Parameter(
            torch.randn(num_tokens, config.width) * 0.02
        )
        self.blocks = nn.ModuleList(
            TransformerBlock(config.width, config.heads) for _ in range(config.depth)
        )
        self.norm = nn.LayerNorm(config.width)
        self.heads = LayoutHeads(layout, config.width)

    def forward(self, noise: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        b = noise.shape[0]
        x = self.input(torch.cat([noise, condition], dim=1))
        x = x.view(b, self.num_tokens, self.width) + self.column_embedding
        for block in self.blocks:
            x = block(x)
        return self.heads(self.norm(x))


class MLPGenerator(nn.Module):
    """Residual MLP of similar size: the no-attention ablation."""

    def __init__(self, layout: HeadLayout, condition_dim: int, config: ModelConfig):
        super().__init__()
        self.layout = layout
        self.noise_dim = config.noise_dim
        hidden = config.width * max(len(layout.columns), 4)
        self.input = nn.Linear(config.noise_dim + condition_dim, hidden)
        self.hidden = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(hidden), nn.Linear(hidden, hidden), nn.GELU())
            for _ in range(config.depth)
        )
        self.output = nn.Linear(hidden, layout.width)

    def forward(self, noise: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        x = self.input(torch.cat([noise, condition], dim=1))
        for layer in self.hidden:
            x = x + layer(x)
        return self.output(x)


def build_generator(
    layout: HeadLayout, condition_dim: int, config: ModelConfig
) -> nn.Module:
    """The generator that ``config.architecture`` names."""
    if config.architecture == "mlp":
        return MLPGenerator(layout, condition_dim, config)
    return AttentionGenerator(layout, condition_dim, config)
