"""Reference tables that are scored like the synthetic one, to read it against.

- The floor: real rows the generator never saw, drawn from the training
  table at the synthetic table's size. Scored against the same real holdout,
  it is what a perfect generator (fresh draws from the data distribution)
  would reach at these sample sizes; no model should beat it by much.
- Independent columns: every column resampled on its own, with replacement,
  from the source table (the training table when given, else the real one).
  It keeps every marginal and destroys every association, so it is the score
  of a generator that learned nothing about pairs.
- Class-independent columns (with a target): the target resampled, then
  every other column resampled from the source rows of the same class. It
  keeps the per-class marginals and so the pooled correlations that come from
  differences between classes, and nothing within a class.
"""

from __future__ import annotations

import numpy as np

from corrgan.report.encoding import EncodedTable, subsample


def floor_table(
    train: EncodedTable, n_rows: int, rng: np.random.Generator
) -> EncodedTable:
    """``n_rows`` training rows drawn without replacement (all of them if fewer)."""
    return subsample(train, n_rows, rng)


def independent_table(
    source: EncodedTable, n_rows: int, rng: np.random.Generator
) -> EncodedTable:
    """Every column of ``source`` resampled independently, ``n_rows`` rows."""
    columns = {
        name: values[rng.integers(0, source.n_rows, size=n_rows)]
        for name, values in source.columns.items()
    }
    return EncodedTable(columns, n_rows)


def class_independent_table(
    source: EncodedTable, n_rows: int, target: str, rng: np.random.Generator
) -> EncodedTable:
    """The target resampled, each other column resampled within the row's class."""
    source_classes = source.columns[target]
    classes = source_classes[rng.integers(0, source.n_rows, size=n_rows)]

    # the source rows grouped by class: where each class starts and its size
    by_class = np.argsort(source_classes, kind="stable")
    sorted_classes = source_classes[by_class]
    starts = np.searchsorted(sorted_classes, classes, side="left")
    sizes = np.searchsorted(sorted_classes, classes, side="right") - starts

    columns = {target: classes}
    for name, values in source.columns.items():
        if name == target:
            continue
        offsets = np.floor(rng.random(n_rows) * sizes).astype(np.int64)
        columns[name] = values[by_class[starts + offsets]]
    return EncodedTable(columns, n_rows)
