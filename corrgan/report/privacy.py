"""Distance to closest record (DCR) and exact copies of training rows.

Each row becomes a vector: numeric columns standardised with the training
table's mean and standard deviation (a null becomes 0, the training mean, and
sets a 0/1 missing indicator for that column), categorical columns one-hot
over the shared code book (the null level included). A row's DCR is the
Euclidean distance to its nearest training row. Synthetic rows much closer to
the training rows than real held-out rows are suggests the generator copies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from corrgan.report.encoding import EncodedTable, TableSchema, stream, subsample
from corrgan.report.metrics import binary_exponent

if TYPE_CHECKING:
    from scipy import sparse

LOWER_PERCENTILE = 5

# up to this many one-hot and numeric features the vectors are dense, which
# the neighbour search handles many times faster than sparse ones
_MAX_DENSE_FEATURES = 2048

# a standardised value counts as at most this many standard deviations
# from the training mean. The neighbour search squares the values, and past
# about 1e154 the squares overflow and the distances come out capped or, near
# the float64 maximum, as 0; below the cap nothing changes.
_FARTHEST = 1e100


def _scaling(
    train: EncodedTable, schema: TableSchema
) -> dict[str, tuple[int, float, float]]:
    # per numeric column: a power of two, and the training mean and standard
    # deviation of the values divided by it
    scaling = {}
    for name in schema.numeric:
        values = train.columns[name]
        values = values[~np.isnan(values)]
        # the sums behind the mean and the spread overflow near the float64
        # maximum and the squares underflow near its smallest values; within 1
        # by an exact power of two they do neither, and the standardised values
        # come out as they would unscaled
        exponent = binary_exponent(values)
        values = np.ldexp(values, -exponent)
        mean = float(values.mean()) if len(values) else 0.0
        spread = float(values.std()) if len(values) else 0.0
        if spread == 0:
            # a constant column is measured in units of 1 of its own values
            # (no more than the float64 maximum, for a column of subnormals)
            spread = float(np.ldexp(1.0, min(-exponent, 1023)))
        scaling[name] = (exponent, mean, spread)
    return scaling


def _vectors(
    table: EncodedTable,
    schema: TableSchema,
    scaling: dict[str, tuple[int, float, float]],
    indicators: list[str],
) -> sparse.csr_matrix:
    from scipy import sparse

    blocks = []
    for name in schema.names:
        values = table.columns[name]
        if schema.is_numeric(name):
            exponent, mean, spread = scaling[name]
            # a value far outside the training range may overflow here; the
            # cap brings it back, and a null becomes the training mean
            with np.errstate(over="ignore"):
                scaled = (np.ldexp(values, -exponent) - mean) / spread
            scaled = np.nan_to_num(np.clip(scaled, -_FARTHEST, _FARTHEST), nan=0.0)
            blocks.append(sparse.csr_matrix(scaled[:, None]))
            if name in indicators:
                missing = np.isnan(values).astype(np.float64)
                blocks.append(sparse.csr_matrix(missing[:, None]))
            continue
        ones = np.ones(table.n_rows)
        positions = (ones, (np.arange(table.n_rows), values))
        shape = (table.n_rows, schema.n_levels(name))
        blocks.append(sparse.csr_matrix(positions, shape=shape))
    return sparse.hstack(blocks, format="csr")


def _row_keys(table: EncodedTable, schema: TableSchema) -> np.ndarray:
    # adding 0.0 folds -0.0 into 0.0 so that equal numbers hash equally
    frame = pd.DataFrame(
        {name: table.columns[name].astype(np.float64) + 0.0 for name in schema.names}
    )
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _distances(values: np.ndarray) -> dict[str, float]:
    return {
        "median": float(np.median(values)),
        "p05": float(np.percentile(values, LOWER_PERCENTILE)),
    }


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def privacy_report(
    synthetic: EncodedTable,
    real: EncodedTable,
    train: EncodedTable,
    schema: TableSchema,
    *,
    max_rows: int,
    seed: int,
) -> dict[str, Any]:
    """DCR of synthetic and real rows to the training rows, and exact copies.

    Args:
        synthetic: All synthetic rows.
        real: All real held-out rows.
        train: All training rows.
        schema: The shared schema.
        max_rows: Each table is subsampled to at most this many rows for the
            distances; exact copies are counted on all rows.
        seed: The report's seed.
    """
    # scikit-learn takes seconds to import, so only a report with train pays
    from sklearn.neighbors import NearestNeighbors

    # subsample each table for the neighbour search
    samples = {
        role: subsample(table, max_rows, stream(seed, f"privacy/{role}"))
        for role, table in (("synthetic", synthetic), ("real", real), ("train", train))
    }

    # one vector space for all three, scaled on the training rows
    scaling = _scaling(train, schema)
    indicators = [
        name
        for name in schema.numeric
        if any(np.isnan(sample.columns[name]).any() for sample in samples.values())
    ]
    vectors = {
        role: _vectors(sample, schema, scaling, indicators)
        for role, sample in samples.items()
    }
    if vectors["train"].shape[1] <= _MAX_DENSE_FEATURES:
        vectors = {role: matrix.toarray() for role, matrix in vectors.items()}

    # nearest training row of every synthetic and every real row
    search = NearestNeighbors(n_neighbors=1, algorithm="brute", metric="euclidean")
    search.fit(vectors["train"])
    synthetic_dcr = _distances(search.kneighbors(vectors["synthetic"])[0][:, 0])
    real_dcr = _distances(search.kneighbors(vectors["real"])[0][:, 0])

    # exact copies over all rows, every column equal (nulls equal nulls)
    train_keys = _row_keys(train, schema)
    synthetic_copies = np.isin(_row_keys(synthetic, schema), train_keys).mean()
    real_copies = np.isin(_row_keys(real, schema), train_keys).mean()
    return {
        "rows": {role: sample.n_rows for role, sample in samples.items()},
        "synthetic_to_train": synthetic_dcr,
        "real_to_train": real_dcr,
        "median_ratio": _ratio(synthetic_dcr["median"], real_dcr["median"]),
        "p05_ratio": _ratio(synthetic_dcr["p05"], real_dcr["p05"]),
        "exact_copy_share": float(synthetic_copies),
        "real_exact_copy_share": float(real_copies),
    }
