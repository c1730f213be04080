"""The attention generator, its heads and the conditions."""

import numpy as np
import pyarrow as pa
import pytest
import torch

from corrgan.conditioning import ConditionSampler
from corrgan.config import DataConfig, ModelConfig
from corrgan.generation import generate_rows
from corrgan.nn.generator import AttentionGenerator, MLPGenerator
from corrgan.nn.heads import HeadLayout, LayoutHeads, activate
from corrgan.schema import infer_schema
from corrgan.transform import TableTransform


def _mixed_table(rows: int = 300, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    label = rng.choice(["common", "rare"], size=rows, p=[0.95, 0.05])
    colour = rng.choice(["red", "green", "blue"], size=rows)
    value = rng.normal(size=rows) + (label == "rare") * 3
    nullable = np.where(rng.random(rows) < 0.2, np.nan, rng.normal(size=rows))
    return pa.table(
        {
            "value": value,
            "nullable": pa.array(nullable, from_pandas=True),
            "label": label,
            "colour": colour,
        }
    )


@pytest.fixture
def fitted():
    table = _mixed_table()
    schema = infer_schema(table, DataConfig(), "mixed")
    transform = TableTransform.fit(table, schema)
    return table, transform


@pytest.mark.parametrize("generator_class", [AttentionGenerator, MLPGenerator])
def test_output_follows_the_layout(fitted, generator_class):
    _, transform = fitted
    layout = HeadLayout.from_blocks(transform.layout)
    generator = generator_class(layout, 5, ModelConfig(width=16, heads=2, depth=1))
    logits = generator(torch.randn(7, 32), torch.zeros(7, 5))
    assert logits.shape == (7, transform.width)
    rows = activate(logits, layout, tau=0.2, hard=True)
    for kind, start, end in layout.blocks:
        if kind == "categorical":
            block = rows[:, start:end]
            assert torch.equal(block.sum(dim=1), torch.ones(7))
            assert set(block.unique().tolist()) <= {0.0, 1.0}


def test_activate_passes_numbers_through_and_draws_categories_by_softmax():
    # one number, a 3-level category, another number
    layout = HeadLayout(
        width=5,
        columns=("a", "c", "b"),
        token_of_block=(0, 1, 2),
        blocks=(("continuous", 0, 1), ("categorical", 1, 4), ("continuous", 4, 5)),
    )
    rows = 20_000
    probabilities = torch.tensor([0.7, 0.2, 0.1])
    logits = torch.cat(
        [
            torch.randn(rows, 1),
            probabilities.log().expand(rows, 3),
            torch.randn(rows, 1),
        ],
        dim=1,
    )
    hard = activate(logits, layout, 0.2, True, torch.Generator().manual_seed(0))
    soft = activate(logits, layout, 0.2, False, torch.Generator().manual_seed(0))
    for sampled in (hard, soft):
        torch.testing.assert_close(sampled[:, [0, 4]], logits[:, [0, 4]])
    # Gumbel-max: each category is drawn as often as its softmax share
    shares = hard[:, 1:4].mean(dim=0)
    torch.testing.assert_close(shares, probabilities, atol=0.015, rtol=0)
    # the soft rows are distributions, peaked where the same noise puts the
    # hard draw
    torch.testing.assert_close(soft[:, 1:4].sum(dim=1), torch.ones(rows))
    assert torch.equal(soft[:, 1:4].argmax(dim=1), hard[:, 1:4].argmax(dim=1))
    # a category the logits make overwhelming is always the one drawn
    certain = logits.clone()
    certain[:, 1:4] = torch.tensor([0.0, 40.0, 0.0])
    assert bool((activate(certain, layout, 0.2, True)[:, 2] == 1.0).all())


def test_a_row_does_not_depend_on_its_batch(fitted):
    _, transform = fitted
    layout = HeadLayout.from_blocks(transform.layout)
    torch.manual_seed(0)
    generator = AttentionGenerator(layout, 4, ModelConfig(width=16, heads=4, depth=2))
    generator.eval()
    noise = torch.randn(64, 32)
    condition = torch.zeros(64, 4)
    condition[:, 1] = 1.0
    together = generator(noise, condition)
    alone = torch.cat(
        [generator(noise[i : i + 1], condition[i : i + 1]) for i in range(64)]
    )
    torch.testing.assert_close(together, alone, rtol=1e-5, atol=1e-5)
    # shuffling the other rows leaves row 0 unchanged
    order = torch.cat([torch.tensor([0]), torch.randperm(63) + 1])
    shuffled = generator(noise[order], condition[order])
    torch.testing.assert_close(shuffled[0], together[0], rtol=1e-5, atol=1e-5)


def test_training_conditions_find_matching_rows_and_oversample_rare(fitted):
    _, transform = fitted
    data = transform.transform(_mixed_table())
    sampler = ConditionSampler(transform, data)
    assert [group.column for group in sampler.groups] == ["label", "colour"]
    condition, indices = sampler.sample_train(4000, np.random.default_rng(0))
    # one column fixed per row, as generation fixes one, each column as often
    assert np.all(condition.sum(axis=1) == 1)
    label_rows = condition[:, 0:2].sum()
    assert 0.45 < label_rows / 4000 < 0.55
    for group, (c_start, c_end) in zip(
        sampler.groups, sampler.condition_groups, strict=True
    ):
        fixed = condition[:, c_start:c_end]
        active = fixed.sum(axis=1) > 0
        real_category = data[indices][:, group.start : group.end].argmax(axis=1)
        assert np.array_equal(fixed[active].argmax(axis=1), real_category[active])
    # the rare label (5% of rows) is drawn far more often than 5% when chosen
    label_block = condition[:, 0:2]
    rare_share = label_block[:, 1].sum() / label_block.sum()
    assert rare_share > 0.3


def test_generation_conditions_follow_the_data_frequencies(fitted):
    table, transform = fitted
    sampler = ConditionSampler(transform)
    condition = sampler.sample_generation(20_000, np.random.default_rng(1))
    label = condition[:, 0:2]
    chosen = label.sum(axis=1) > 0
    share = label[chosen, 1].mean()
    truth = np.mean(np.asarray(table.column("label")) == "rare")
    assert abs(share - truth) < 0.02


def test_generation_class_mix_is_exact_to_one_row(fitted):
    from corrgan.conditioning import systematic_draw

    _, transform = fitted
    sampler = ConditionSampler(transform)
    rows = 999
    condition = sampler.sample_generation(rows, np.random.default_rng(3))
    # every row conditions on exactly one column
    assert np.array_equal(condition.sum(axis=1), np.ones(rows))
    groups = sampler.groups
    conditioned = [
        condition[:, g.condition_start : g.condition_start + g.width] for g in groups
    ]
    per_group = np.array([block.sum() for block in conditioned])
    assert np.all(np.abs(per_group - rows / len(groups)) <= 1)
    for group, block in zip(groups, conditioned, strict=True):
        expected = block.sum() * group.frequencies / group.frequencies.sum()
        assert np.all(np.abs(block.sum(axis=0) - expected) < 1)

    # any weights: counts within one of their expectation, shuffled, seeded
    weights = np.array([0.5, 0.0, 0.3, 0.15, 0.05])
    drawn = systematic_draw(weights, 1_001, np.random.default_rng(0))
    counts = np.bincount(drawn, minlength=5)
    assert np.all(np.abs(counts - 1_001 * weights) < 1) and counts[1] == 0
    assert not np.all(np.diff(drawn) >= 0)
    again = systematic_draw(weights, 1_001, np.random.default_rng(0))
    assert np.array_equal(drawn, again)


def test_where_conditions_are_exact(fitted):
    _, transform = fitted
    layout = HeadLayout.from_blocks(transform.layout)
    sampler = ConditionSampler(transform)
    generator = AttentionGenerator(layout, sampler.dim, ModelConfig(width=16, depth=1))
    condition = torch.from_numpy(sampler.fixed(500, {"label": 1, "colour": 2}))
    rows = generate_rows(
        generator, layout, condition, sampler.model_groups, sampler.condition_groups
    )
    table = transform.inverse(rows.numpy())
    assert set(table.column("label").to_pylist()) == {"rare"}
    assert set(table.column("colour").to_pylist()) == {"red"}


def _wide_layout() -> HeadLayout:
    # numbers one wide (one with a null indicator), a 3-level and a 300-level
    # category, interleaved, as a wide table with one high-cardinality column
    blocks, start = [], 0
    columns = [("a", [1]), ("city", [300]), ("b", [1, 1]), ("c", [3]), ("d", [1])]
    for column, widths in columns:
        for width in widths:
            kind = "categorical" if width > 1 else "continuous"
            blocks.append((column, kind, start, start + width))
            start += width
    return HeadLayout(
        width=start,
        columns=tuple(name for name, _ in columns),
        token_of_block=tuple(
            [name for name, _ in columns].index(column) for column, *_ in blocks
        ),
        blocks=tuple((kind, s, e) for _, kind, s, e in blocks),
    )


def _padded_reference(heads: LayoutHeads, weight, bias, tokens):
    # the single padded projection the grouped heads replace: every token
    # projected to the widest width, then the real outputs picked
    layout = heads.layout
    max_width = weight.shape[2]
    index, filled = [], [0] * len(layout.columns)
    pairs = zip(layout.token_of_block, layout.blocks, strict=True)
    for token, (_, start, end) in pairs:
        for _ in range(end - start):
            index.append(token * max_width + filled[token])
            filled[token] += 1
    padded = torch.einsum("btd,tdw->btw", tokens, weight) + bias
    return padded.flatten(1)[:, index]


def test_heads_pad_each_token_to_its_group_not_to_the_widest():
    layout = _wide_layout()
    heads = LayoutHeads(layout, token_width=8)
    # a (d, w) projection and w biases per output, padded at most twice over:
    # the 300-level column is not the width every token pays for
    parameters = sum(parameter.numel() for parameter in heads.parameters())
    assert parameters <= 2 * (8 + 1) * layout.width
    assert heads(torch.randn(5, 5, 8)).shape == (5, layout.width)


def test_heads_load_weights_saved_in_the_padded_form():
    torch.manual_seed(0)
    layout = _wide_layout()
    weight = torch.randn(5, 8, 300)
    bias = torch.randn(5, 300)
    heads = LayoutHeads(layout, token_width=8)
    heads.load_state_dict({"weight": weight, "bias": bias})
    tokens = torch.randn(4, 5, 8)
    expected = _padded_reference(heads, weight, bias, tokens)
    torch.testing.assert_close(heads(tokens), expected)

    # padded weights of another layout are refused as load_state_dict does
    with pytest.raises(RuntimeError, match="weight"):
        heads.load_state_dict({"weight": weight[:3], "bias": bias[:3]})
