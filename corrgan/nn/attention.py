"""Pre-norm transformer block whose self-attention runs across column tokens.

Shapes: ``b`` rows, ``t`` column tokens, ``d`` token width, ``h`` heads.
Attention mixes the tokens of one row only, never rows of a batch, so a
generated row does not depend on which other rows share its batch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ColumnAttention(nn.Module):
    """Multi-head self-attention over the ``t`` tokens of each row."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).unbind(2)
        # (b, h, t, d/h): every row is its own attention problem
        q, k, v = (tensor.transpose(1, 2) for tensor in (q, k, v))
        mixed = F.scaled_dot_product_attention(q, k, v)
        return self.out(mixed.transpose(1, 2).reshape(b, t, d))


class TransformerBlock(nn.Module):
    """x + attention(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, width: int, heads: int, mlp_ratio: int = 2) -> None:
        super().__init__()
        self.attention_norm = nn.LayerNorm(width)
        self.attention = ColumnAttention(width, heads)
        self.mlp_norm = nn.LayerNorm(width)
        self.mlp = nn.Sequential(
            nn.Linear(width, mlp_ratio * width),
            nn.ReLU(),
            nn.Linear(mlp_ratio * width, width),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.attention_norm(x))
        return x + self.mlp(self.mlp_norm(x))
