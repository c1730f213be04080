"""Condition vectors over the categorical columns (training-by-sampling).

The condition vector holds one one-hot group per categorical column. While
training, each row picks one column uniformly and one of its categories with
probability proportional to log(1 + count), so rare categories are seen often
enough to be learned; the real rows shown to the critic (and used as the
correlation target) are drawn with the same conditions. Each row fixes one
column, as each generated row does: the losses see whole batches, so a batch
that mixed rows of one and of several conditions let each kind drift as long
as the mixture fit. Several ``--where`` still combine, their condition groups
added. At sampling time each row again fixes one column, the columns in equal
shares, and a column's categories come in the training data's own proportions
over its share (systematic sampling, so they match without the noise of
independent draws); in the other rows the generator picks the category.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from corrgan.errors import CorrganError
from corrgan.transform import CategoricalColumn, TableTransform


def systematic_draw(
    weights: np.ndarray, size: int, rng: np.random.Generator
) -> np.ndarray:
    """``size`` indices into ``weights``, in proportion, in random order.

    One uniform offset places ``size`` evenly spaced points on the cumulative
    weights, so index ``i`` is drawn ``size * p_i`` times rounded up or down
    (its expected count exactly), and a permutation shuffles them.
    """
    cumulative = np.cumsum(np.asarray(weights, dtype=np.float64))
    if not cumulative[-1] > 0:
        cumulative = np.arange(1.0, len(cumulative) + 1)
    cumulative /= cumulative[-1]
    points = (rng.random() + np.arange(size)) / max(size, 1)
    drawn = np.searchsorted(cumulative, points, side="right")
    return rng.permutation(np.minimum(drawn, len(cumulative) - 1))


@dataclass
class ConditionGroup:
    """One conditionable column: its model-space block and condition block."""

    column: str
    start: int
    end: int
    condition_start: int
    frequencies: np.ndarray

    @property
    def width(self) -> int:
        return self.end - self.start


class ConditionSampler:
    """Draws conditions, and real rows that satisfy them, from a data matrix."""

    def __init__(self, transform: TableTransform, data: np.ndarray | None = None):
        self.groups: list[ConditionGroup] = []
        offset = 0
        for block in transform.layout:
            column = transform.column(block.column)
            if block.role != "value" or not isinstance(column, CategoricalColumn):
                continue
            group = ConditionGroup(
                block.column,
                block.start,
                block.end,
                offset,
                np.asarray(column.frequencies, dtype=np.float64),
            )
            self.groups.append(group)
            offset += block.width
        self.dim = offset
        self.num_rows = 0 if data is None else data.shape[0]
        if data is not None:
            self._index_rows(data)

    def _index_rows(self, data: np.ndarray) -> None:
        """Sort the rows by category per group, for vectorised matching."""
        self._order, self._starts, self._counts = [], [], []
        for group in self.groups:
            category = data[:, group.start : group.end].argmax(axis=1)
            counts = np.bincount(category, minlength=group.width)
            self._order.append(np.argsort(category, kind="stable"))
            self._starts.append(np.concatenate([[0], np.cumsum(counts)[:-1]]))
            self._counts.append(counts)
        self._train_probs = []
        for counts in self._counts:
            weights = np.log1p(counts.astype(np.float64))
            self._train_probs.append(weights / weights.sum())

    @property
    def model_groups(self) -> list[tuple[int, int]]:
        return [(group.start, group.end) for group in self.groups]

    @property
    def condition_groups(self) -> list[tuple[int, int]]:
        return [
            (group.condition_start, group.condition_start + group.width)
            for group in self.groups
        ]

    def sample_train(
        self, rows: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Conditions ``(rows, dim)`` and indices of real rows that match them."""
        condition = np.zeros((rows, self.dim), dtype=np.float32)
        if not self.groups:
            return condition, rng.integers(0, self.num_rows, size=rows)
        chosen_group = rng.integers(0, len(self.groups), size=rows)
        indices = np.empty(rows, dtype=np.int64)
        for number, group in enumerate(self.groups):
            members = np.nonzero(chosen_group == number)[0]
            if not len(members):
                continue
            probs = self._train_probs[number]
            category = rng.choice(group.width, size=len(members), p=probs)
            offset = rng.random(len(members)) * self._counts[number][category]
            position = self._starts[number][category] + offset.astype(np.int64)
            indices[members] = self._order[number][position]
            condition[members, group.condition_start + category] = 1.0
        return condition, indices

    def sample_generation(self, rows: int, rng: np.random.Generator) -> np.ndarray:
        """Conditions for generation, in the data's category proportions.

        Each row conditions on one column (the columns take equal shares of
        the rows) and one of its categories. The shares are drawn by
        systematic sampling, not independently: every category gets
        ``rows * frequency`` rows rounded up or down, in shuffled order. An
        independent draw would add a random error of about the square root
        of each count to the class mix, and with it to every correlation
        that the classes carry.
        """
        return self.one_hot(self.sample_generation_levels(rows, rng))

    def sample_generation_levels(
        self, rows: int, rng: np.random.Generator
    ) -> np.ndarray:
        """:meth:`sample_generation` as the condition column of each row, the
        same draws from ``rng``; -1 where nothing is conditionable.

        Sampling builds each chunk's one-hot rows from these in its worker,
        rather than one condition matrix per batch up front.
        """
        levels = np.full(rows, -1, dtype=np.int64)
        if not self.groups:
            return levels
        equal = np.full(len(self.groups), 1.0 / len(self.groups))
        chosen_group = systematic_draw(equal, rows, rng)
        for number, group in enumerate(self.groups):
            members = np.nonzero(chosen_group == number)[0]
            category = systematic_draw(group.frequencies, len(members), rng)
            levels[members] = group.condition_start + category
        return levels

    def one_hot(self, levels: np.ndarray) -> np.ndarray:
        """Condition rows with a 1 at each row's condition column."""
        condition = np.zeros((len(levels), self.dim), dtype=np.float32)
        if self.dim:
            condition[np.arange(len(levels)), levels] = 1.0
        return condition

    def fixed(self, rows: int, levels: dict[str, int]) -> np.ndarray:
        """Conditions that fix ``column -> level index`` on every row."""
        condition = np.zeros((rows, self.dim), dtype=np.float32)
        by_name = {group.column: group for group in self.groups}
        for column, level in levels.items():
            if column not in by_name:
                raise CorrganError(
                    f"--where {column}=...: {column} is not a categorical column "
                    f"of this model; conditionable columns: "
                    f"{', '.join(by_name) or 'none'}"
                )
            condition[:, by_name[column].condition_start + level] = 1.0
        return condition
