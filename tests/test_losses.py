"""The correlation constraint and the other losses."""

import numpy as np
import torch

from corrgan.losses import condition_loss, correlation, correlation_loss


def _correlated(rows: int, rho: float, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    base = torch.randn(rows, 3, generator=generator)
    second = rho * base[:, 0] + (1 - rho**2) ** 0.5 * base[:, 1]
    return torch.stack([base[:, 0], second, base[:, 2]], dim=1)


def test_correlation_matches_numpy():
    x = _correlated(400, 0.6, 0)
    expected = np.corrcoef(x.numpy(), rowvar=False)
    np.testing.assert_allclose(correlation(x).numpy(), expected, atol=1e-4)


def test_loss_is_zero_when_the_matrices_match():
    x = _correlated(300, 0.7, 1)
    assert correlation_loss(x, correlation(x)).item() < 1e-10


def test_loss_is_the_mean_squared_gap_over_the_upper_triangle():
    x = _correlated(300, 0.0, 2)
    target = correlation(x).clone()
    target[0, 1] = target[1, 0] = target[0, 1] + 0.3
    # three pairs, one of them off by 0.3
    assert abs(correlation_loss(x, target).item() - 0.09 / 3) < 1e-6


def test_one_step_moves_the_fake_correlations_towards_the_target():
    target = correlation(_correlated(2000, 0.8, 3))
    fake = _correlated(500, 0.0, 4).requires_grad_(True)
    before = (correlation(fake) - target).abs()[0, 1].item()
    loss = correlation_loss(fake, target)
    loss.backward()
    with torch.no_grad():
        moved = fake - 200.0 * fake.grad
    after = (correlation(moved) - target).abs()[0, 1].item()
    assert after < before - 0.05
    assert correlation_loss(moved, target).item() < loss.item()


def test_constant_column_gives_finite_loss_and_gradient():
    x = _correlated(100, 0.5, 5)
    x[:, 2] = 1.0
    x.requires_grad_(True)
    target = torch.eye(3)
    loss = correlation_loss(x, target)
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(x.grad).all()


def test_condition_loss_counts_only_conditioned_rows():
    logits = torch.tensor([[5.0, -5.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    # row 0 is conditioned on category 0 of the first group; row 1 on nothing
    condition = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    loss = condition_loss(logits, condition, [(0, 2)], [(0, 2)])
    expected = (
        torch.nn.functional.cross_entropy(
            logits[:1, 0:2], torch.tensor([0]), reduction="sum"
        )
        / 2
    )
    assert torch.allclose(loss, expected)
    # conditioning row 0 on the other category makes the loss large
    wrong = condition_loss(
        logits, torch.tensor([[0.0, 1.0], [0.0, 0.0]]), [(0, 2)], [(0, 2)]
    )
    assert wrong.item() > 4.0
