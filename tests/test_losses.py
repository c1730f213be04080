"""The correlation constraint and the other losses."""

import numpy as np
import pytest
import torch

from corrgan.losses import (
    condition_loss,
    conditional_moment_loss,
    correlation,
    correlation_loss,
    gradient_penalty,
    marginal_loss,
)


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
    # the constant column correlates 0 with the others, so against the
    # identity only the (0, 1) pair counts: its numpy correlation squared,
    # averaged over the three pairs
    matrix = correlation(x.detach())
    assert matrix[0, 2].item() == 0.0 and matrix[1, 2].item() == 0.0
    pearson = np.corrcoef(x.detach().numpy()[:, :2], rowvar=False)[0, 1]
    assert loss.item() == pytest.approx(pearson**2 / 3, rel=1e-4)
    # nothing pulls on a column that has no correlation to give
    assert x.grad[:, 2].abs().max().item() == 0.0


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


def _rank_loss(rank: int, world: int, port: int, queue) -> None:
    import torch.distributed as dist

    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world
    )
    torch.set_num_threads(1)
    full = _correlated(400, 0.6, 7)
    target = torch.eye(3)
    mine = full[rank::world].clone().requires_grad_(True)
    loss = correlation_loss(mine, target, all_ranks=True)
    loss.backward()
    queue.put((rank, loss.item(), mine.grad.numpy()))
    dist.destroy_process_group()


def test_under_two_ranks_the_loss_is_that_of_the_global_batch():
    import socket

    import torch.multiprocessing as mp

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    context = mp.get_context("spawn")
    queue = context.Queue()
    processes = [
        context.Process(target=_rank_loss, args=(rank, 2, port, queue))
        for rank in range(2)
    ]
    for process in processes:
        process.start()
    results = dict(
        (rank, (loss, grad))
        for rank, loss, grad in (queue.get(timeout=120) for _ in processes)
    )
    for process in processes:
        process.join(timeout=60)

    # one process on the whole batch
    full = _correlated(400, 0.6, 7).requires_grad_(True)
    loss = correlation_loss(full, torch.eye(3))
    loss.backward()
    for rank in range(2):
        rank_loss, rank_grad = results[rank]
        assert abs(rank_loss - loss.item()) < 1e-5
        # every rank back-propagates the same loss: the sum over ranks
        # reaches each row, which the trainer's gradient averaging divides out
        np.testing.assert_allclose(
            rank_grad / 2, full.grad[rank::2].numpy(), rtol=1e-4, atol=1e-7
        )


def test_moment_loss_compares_each_class_mean_and_spread():
    # two classes; the fake rows get class 1's mean wrong by 0.5, nothing else
    generator = torch.Generator().manual_seed(5)
    real = torch.randn(400, 2, generator=generator)
    condition = torch.zeros(400, 2)
    condition[:200, 0] = condition[200:, 1] = 1.0
    fake = real.clone()
    fake[200:, 0] += 0.5
    loss = conditional_moment_loss(fake, real, condition, [(0, 2)])
    # one of the four (class, column) means is 0.5 off; the spreads all match
    torch.testing.assert_close(loss, torch.tensor(0.25 / 4))
    assert conditional_moment_loss(real, real, condition, [(0, 2)]).item() < 1e-10


def test_without_conditions_the_moment_loss_holds_the_whole_batch_spread():
    # a table without categorical columns: the spread of the batch still counts
    generator = torch.Generator().manual_seed(6)
    real = torch.randn(500, 3, generator=generator)
    fake = (0.1 * real).requires_grad_(True)
    no_condition = torch.zeros(500, 0)
    loss = conditional_moment_loss(fake, real, no_condition, [])
    real_std = real.std(dim=0, correction=0)
    expected = ((0.9 * real.mean(dim=0)) ** 2 + (0.9 * real_std) ** 2).mean()
    torch.testing.assert_close(loss, expected, rtol=1e-3, atol=1e-6)
    loss.backward()
    # the gradient widens the collapsed fake rows
    widened = fake - 0.5 * fake.grad
    assert bool((widened.std(dim=0) > fake.std(dim=0)).all())


def test_marginal_loss_is_the_sorted_gap_and_ignores_row_order():
    generator = torch.Generator().manual_seed(7)
    real = torch.randn(300, 2, generator=generator)
    # the same values in another order match exactly: only the marginals count
    shuffled = real[torch.randperm(300, generator=generator)]
    assert marginal_loss(shuffled, real).item() == 0.0
    # a shift of 0.3 in one of two columns: 0.3 ** 2 averaged over the columns
    shifted = real.clone()
    shifted[:, 1] += 0.3
    torch.testing.assert_close(marginal_loss(shifted, real), torch.tensor(0.045))


def test_one_step_on_the_marginal_loss_moves_a_column_towards_its_shape():
    generator = torch.Generator().manual_seed(8)
    real = torch.randn(400, 1, generator=generator).exp()  # skewed
    fake = torch.randn(400, 1, generator=generator).requires_grad_(True)
    before = marginal_loss(fake, real)
    before.backward()
    # the gradient of a mean over 400 rows: a step of 100 moves each sorted
    # value half way to its real counterpart, a quarter of the loss is left
    with torch.no_grad():
        after = marginal_loss(fake - 100 * fake.grad, real)
    torch.testing.assert_close(after, 0.25 * before.detach())


class _Packed(torch.nn.Module):
    """A critic of packs of ``pac`` rows that scores each pack as given."""

    def __init__(self, pac: int, score) -> None:
        super().__init__()
        self.pac, self.score = pac, score

    def forward(self, rows: torch.Tensor) -> torch.Tensor:
        return self.score(rows.reshape(-1, rows.shape[1] * self.pac))


def test_gradient_penalty_of_a_linear_critic_is_its_slope_off_one():
    # a linear critic has the gradient w at every point: (||w|| - 1)^2
    weight = torch.tensor([3.0, 0.0, 4.0, 0.0])  # norm 5 per pack of two rows
    critic = _Packed(2, lambda packs: packs @ weight)
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    penalty = gradient_penalty(critic, real, fake)
    torch.testing.assert_close(penalty, torch.tensor(16.0))
    unit = _Packed(1, lambda rows: rows @ torch.tensor([0.6, 0.8]))
    assert gradient_penalty(unit, real, fake).item() == pytest.approx(0.0, abs=1e-12)


def test_gradient_penalty_interpolates_each_pack_on_one_line():
    # half the squared norm has the point itself as its gradient; between
    # fake rows at 0 and real rows at 1, a pack at a * 1 has the norm
    # a * sqrt(pac * columns), with one a per pack of the seeded draw
    pac, columns, packs = 3, 2, 5
    critic = _Packed(pac, lambda flat: 0.5 * (flat**2).sum(dim=1))
    real, fake = torch.ones(pac * packs, columns), torch.zeros(pac * packs, columns)
    penalty = gradient_penalty(critic, real, fake, torch.Generator().manual_seed(11))
    alpha = torch.rand(packs, 1, 1, generator=torch.Generator().manual_seed(11))
    norms = alpha.flatten() * (pac * columns) ** 0.5
    torch.testing.assert_close(penalty, ((norms - 1) ** 2).mean())
    # the penalty is differentiable, as the critic's update needs
    weight = torch.ones(pac * columns, requires_grad=True)
    linear = _Packed(pac, lambda flat: flat @ weight)
    gradient_penalty(linear, real, fake).backward()
    slope = (pac * columns) ** 0.5
    expected = 2 * (slope - 1) / slope * torch.ones(pac * columns)
    torch.testing.assert_close(weight.grad, expected)
