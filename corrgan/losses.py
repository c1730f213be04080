"""Losses: the correlation constraint, the gradient penalty, the condition loss,
the per-class moments and the marginals.

Shapes: ``b`` rows, ``w`` model-space columns.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F

# keeps the correlation of a (nearly) constant column finite
STD_EPS = 1e-6


class _SumOverRanks(torch.autograd.Function):
    """All-reduce (sum) whose backward all-reduces the incoming gradient.

    Every rank computes the same loss from the summed moments, so the gradient
    reaching one rank's rows is the sum of all ranks' gradients of that loss.
    """

    @staticmethod
    def forward(ctx, tensor: torch.Tensor) -> torch.Tensor:
        summed = tensor.clone()
        dist.all_reduce(summed)
        return summed

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        summed = grad.clone()
        dist.all_reduce(summed)
        return summed


def batch_moments(x: torch.Tensor, all_ranks: bool = False) -> tuple[torch.Tensor, ...]:
    """Row count, column sums and cross-product sums of ``x`` ``(b, w)``.

    With ``all_ranks`` the three are summed over every process with an
    autograd-aware all-reduce, so the moments (and any loss built on them) are
    those of the global batch and identical on every rank, while gradients
    still reach each rank's own rows.
    """
    count = torch.tensor(float(x.shape[0]), device=x.device, dtype=x.dtype)
    total = x.sum(dim=0)
    cross = x.T @ x
    if all_ranks and dist.is_available() and dist.is_initialized():
        if x.requires_grad:
            total, cross = _SumOverRanks.apply(total), _SumOverRanks.apply(cross)
        else:
            total, cross = total.clone(), cross.clone()
            dist.all_reduce(total)
            dist.all_reduce(cross)
        count = count * dist.get_world_size()
    return count, total, cross


def correlation_from_moments(
    count: torch.Tensor, total: torch.Tensor, cross: torch.Tensor
) -> torch.Tensor:
    """Pearson correlation matrix ``(w, w)`` from :func:`batch_moments`."""
    mean = total / count
    covariance = (cross - count * torch.outer(mean, mean)) / (count - 1)
    std = torch.sqrt(torch.clamp(torch.diagonal(covariance), min=0.0) + STD_EPS)
    return covariance / torch.outer(std, std)


def correlation(x: torch.Tensor, all_ranks: bool = False) -> torch.Tensor:
    """Pearson correlation matrix of the columns of ``x``."""
    return correlation_from_moments(*batch_moments(x, all_ranks))


def correlation_loss(
    fake: torch.Tensor, real_corr: torch.Tensor, all_ranks: bool = False
) -> torch.Tensor:
    """Mean squared gap between the fake batch's correlations and the target.

    ``d(C_fake, C_real) = mean_{i<j} (C_fake[i, j] - C_real[i, j])^2`` over
    the upper triangle of the ``(w, w)`` Pearson matrices of the model-space
    batch (normal scores and category indicators). Squared, so that large
    gaps dominate and the gradient vanishes smoothly at the target; it costs
    one ``(w, b) @ (b, w)`` product. Columns that are constant within the batch
    get correlation 0 with every other column.
    """
    fake_corr = correlation(fake, all_ranks)
    rows, cols = torch.triu_indices(*fake_corr.shape, offset=1, device=fake.device)
    gap = fake_corr[rows, cols] - real_corr[rows, cols]
    return (gap**2).mean() if gap.numel() else fake.sum() * 0.0


def gradient_penalty(
    critic: torch.nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """WGAN-GP: ``E[(||grad_x D(x_hat)||_2 - 1)^2]`` on real/fake interpolates.

    ``x_hat = a * real + (1 - a) * fake`` with ``a ~ U(0, 1)`` drawn per pack of
    ``critic.pac`` rows, so each packed input stays on one interpolation line.
    """
    pac = getattr(critic, "pac", 1)
    packs = real.shape[0] // pac
    alpha = torch.rand(packs, 1, 1, generator=generator, device=real.device)
    alpha = alpha.expand(packs, pac, 1).reshape(-1, 1).to(real.dtype)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = critic(mixed)
    (gradients,) = torch.autograd.grad(
        scores.sum(), mixed, create_graph=True, only_inputs=True
    )
    norms = gradients.reshape(packs, -1).norm(2, dim=1)
    return ((norms - 1) ** 2).mean()


def condition_loss(
    logits: torch.Tensor,
    condition: torch.Tensor,
    groups: list[tuple[int, int]],
    condition_groups: list[tuple[int, int]],
) -> torch.Tensor:
    """Cross-entropy between the conditioned group's logits and its category.

    ``groups[k]`` is the k-th conditionable block in model space and
    ``condition_groups[k]`` the same block in the condition vector. Rows whose
    condition is not on a group contribute nothing to that group's term.
    """
    total = logits.new_zeros(())
    for (start, end), (c_start, c_end) in zip(groups, condition_groups, strict=True):
        target = condition[:, c_start:c_end]
        active = target.sum(dim=1)
        per_row = F.cross_entropy(
            logits[:, start:end], target.argmax(dim=1), reduction="none"
        )
        total = total + (per_row * active).sum()
    return total / logits.shape[0]


def marginal_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Squared 1-D Wasserstein-2 distance between each column's batch values.

    ``mean over (i, j) of (sort(fake[:, j])[i] - sort(real[:, j])[i])^2``: in
    one dimension the optimal coupling of two equal-sized samples pairs them
    in sorted order, so this is exact and costs one sort per column. The real
    rows were drawn with the same conditions as the fake ones, so both sides
    follow the same class mix. It matches each column's whole distribution in
    model space, where the moment loss only matches its mean and spread, and
    the correlation loss nothing of it.
    """
    fake_sorted, _ = fake.sort(dim=0)
    real_sorted, _ = real.sort(dim=0)
    return (fake_sorted - real_sorted).pow(2).mean()


def conditional_moment_loss(
    fake: torch.Tensor,
    real: torch.Tensor,
    condition: torch.Tensor,
    condition_groups: list[tuple[int, int]],
    min_rows: int = 2,
) -> torch.Tensor:
    """Gap between per-condition means and standard deviations, fake vs real.

    For each conditioned category c with at least ``min_rows`` rows in the
    batch, and each model-space column j:
    ``(mean_f[c, j] - mean_r[c, j])^2 + (std_f[c, j] - std_r[c, j])^2``,
    averaged over (c, j). The real rows were drawn with the same conditions,
    so both sides have the same rows per category; the term pins down each
    class's marginals, which the pooled correlation loss cannot see. A table
    without categorical columns has no conditions, and the whole batch is
    then the one category: the correlation loss is blind to each column's
    scale, and without this term the generator's spread can collapse.
    """
    total = fake.new_zeros(())
    terms = 0
    if not condition_groups:
        condition_groups, condition = [(0, 1)], fake.new_ones(fake.shape[0], 1)
    for start, end in condition_groups:
        members = condition[:, start:end]
        counts = members.sum(dim=0)
        keep = counts >= min_rows
        if not bool(keep.any()):
            continue
        members, counts = members[:, keep], counts[keep].unsqueeze(1)
        gaps = []
        for rows in (fake, real):
            mean = members.T @ rows / counts
            square = members.T @ (rows * rows) / counts
            std = torch.sqrt(torch.clamp(square - mean * mean, min=0.0) + STD_EPS)
            gaps.append((mean, std))
        (fake_mean, fake_std), (real_mean, real_std) = gaps
        total = (
            total + ((fake_mean - real_mean) ** 2 + (fake_std - real_std) ** 2).sum()
        )
        terms += fake_mean.numel()
    return total / max(terms, 1)
