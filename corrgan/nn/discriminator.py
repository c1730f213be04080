"""The critic: an MLP over (row, condition), optionally PacGAN-packed.

Trained with the WGAN-GP objective (as CTGAN is): a Wasserstein critic with a
gradient penalty stays informative when real and generated rows are far apart,
which a saturating classifier does not, and it needs no batch normalisation,
so every row is scored on its own.
"""

from __future__ import annotations

import torch
from torch import nn

from corrgan.config import ModelConfig


class Discriminator(nn.Module):
    """Score packs of ``pac`` rows: higher means more real."""

    def __init__(self, input_dim: int, config: ModelConfig) -> None:
        super().__init__()
        self.pac = config.pac
        layers: list[nn.Module] = []
        width = input_dim * config.pac
        for _ in range(config.discriminator_depth):
            layers += [nn.Linear(width, config.discriminator_width), nn.LeakyReLU(0.2)]
            width = config.discriminator_width
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, rows: torch.Tensor) -> torch.Tensor:
        return self.net(rows.reshape(-1, rows.shape[1] * self.pac))
