"""Correlation and association matrices of a table, and how far two differ.

Three matrices describe a table's pairwise structure:

- Pearson and Spearman correlations of the numeric columns, each pair over the
  rows where both values are present;
- the mixed association matrix over all columns: Pearson for two numeric
  columns, the correlation ratio eta for a numeric and a categorical column,
  bias-corrected Cramer's V for two categorical columns (null a level).

Undefined entries (a constant column, fewer than three complete rows) are NaN
here and None in the report. The errors compare the upper triangles of a real
and a candidate matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from corrgan.report.encoding import EncodedTable, TableSchema
from corrgan.report.metrics import (
    MIN_PAIR_ROWS,
    contingency_counts,
    correlation_ratio_codes,
    cramers_v_counts,
    finite_or_none,
    unit_scaled,
)

Method = Literal["pearson", "spearman"]


@dataclass(frozen=True)
class Structure:
    """The pairwise structure of one table (NaN marks an undefined entry)."""

    numeric: list[str]
    names: list[str]
    pearson: np.ndarray
    spearman: np.ndarray
    association: np.ndarray


def correlation_matrix(
    table: EncodedTable, names: list[str], method: Method
) -> np.ndarray:
    """Pearson or Spearman correlations of numeric columns, nulls dropped pairwise."""
    size = len(names)
    if size == 0:
        return np.empty((0, 0))
    # Pearson's sums need scaled values, or tiny ones underflow and huge ones
    # overflow; ranks need only the order, which scaling a column spread over
    # hundreds of orders of magnitude would blur by flushing its smallest
    # values to a tie at 0
    values = np.column_stack([table.columns[name] for name in names])
    if method == "pearson":
        values = unit_scaled(values)
    if np.isnan(values).any():
        # pandas drops incomplete rows pair by pair (and ranks per pair)
        frame = pd.DataFrame(values)
        matrix = frame.corr(method=method, min_periods=MIN_PAIR_ROWS).to_numpy()
    elif len(values) < MIN_PAIR_ROWS:
        matrix = np.full((size, size), np.nan)
    else:
        if method == "spearman":
            values = pd.DataFrame(values).rank(method="average").to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            matrix = np.atleast_2d(np.corrcoef(values, rowvar=False))
        constant = np.ptp(values, axis=0) == 0
        matrix[constant, :] = np.nan
        matrix[:, constant] = np.nan
    matrix = np.clip(matrix, -1.0, 1.0)
    defined = ~np.isnan(np.diag(matrix))
    matrix[np.diag_indices(size)] = np.where(defined, 1.0, np.nan)
    return matrix


def association_matrix(
    table: EncodedTable,
    schema: TableSchema,
    names: list[str],
    pearson: np.ndarray | None = None,
) -> np.ndarray:
    """The mixed association matrix over ``names``.

    Args:
        table: The encoded table.
        schema: Its schema, for column kinds and level counts.
        names: The columns of the matrix, in order.
        pearson: The Pearson matrix of the numeric columns among ``names`` (in
            their order), when already computed.
    """
    numeric = [name for name in names if schema.is_numeric(name)]
    if pearson is None:
        pearson = correlation_matrix(table, numeric, "pearson")
    position = {name: index for index, name in enumerate(numeric)}
    size = len(names)
    matrix = np.full((size, size), np.nan)
    for row, first in enumerate(names):
        for col in range(row, size):
            second = names[col]
            value = _association(table, schema, first, second, pearson, position)
            matrix[row, col] = matrix[col, row] = value
    return matrix


def _association(
    table: EncodedTable,
    schema: TableSchema,
    first: str,
    second: str,
    pearson: np.ndarray,
    position: dict[str, int],
) -> float:
    first_numeric, second_numeric = schema.is_numeric(first), schema.is_numeric(second)
    if first_numeric and second_numeric:
        return pearson[position[first], position[second]]
    if first_numeric or second_numeric:
        numeric, categorical = (first, second) if first_numeric else (second, first)
        value = correlation_ratio_codes(
            table.columns[categorical],
            table.columns[numeric],
            schema.n_levels(categorical),
        )
    else:
        counts = contingency_counts(
            table.columns[first],
            table.columns[second],
            schema.n_levels(first),
            schema.n_levels(second),
        )
        value = cramers_v_counts(counts)
    return np.nan if value is None else value


def association_measures(schema: TableSchema, names: list[str]) -> list[list[str]]:
    """Which measure each entry of the mixed association matrix uses."""

    def measure(first: str, second: str) -> str:
        numeric = schema.is_numeric(first) + schema.is_numeric(second)
        return ("cramers_v", "eta", "pearson")[numeric]

    return [[measure(first, second) for second in names] for first in names]


def table_structure(
    table: EncodedTable, schema: TableSchema, names: list[str]
) -> Structure:
    """All three matrices of a table over ``names`` (numeric ones for correlations)."""
    numeric = [name for name in names if schema.is_numeric(name)]
    pearson = correlation_matrix(table, numeric, "pearson")
    return Structure(
        numeric=numeric,
        names=names,
        pearson=pearson,
        spearman=correlation_matrix(table, numeric, "spearman"),
        association=association_matrix(table, schema, names, pearson),
    )


def matrix_json(matrix: np.ndarray, names: list[str]) -> dict[str, Any]:
    """A matrix as ``{"columns": [...], "values": [[...]]}`` with None for NaN."""
    return {
        "columns": list(names),
        "values": [[finite_or_none(value) for value in row] for row in matrix],
    }


def matrix_error(
    real: np.ndarray, candidate: np.ndarray, names: list[str]
) -> dict[str, Any]:
    """How far a candidate matrix is from the real one, over the upper triangle.

    With ``delta = candidate - real`` over pairs ``i < j`` that the real
    table defines: ``mean_abs_delta`` is the mean of ``|delta|``,
    ``max_abs_delta`` its largest value (``max_abs_delta_pair`` names the
    pair) and ``frobenius`` is the Frobenius norm of the full difference
    matrix, ``sqrt(2 * sum delta^2)``. A pair the candidate leaves undefined
    (a constant or empty column) counts with a candidate value of 0, no
    association, so that a collapsed column never improves the score; those
    pairs are also counted in ``n_candidate_undefined_pairs``. Pairs the real
    table leaves undefined are counted in ``n_undefined_pairs`` and skipped.
    """
    upper_rows, upper_cols = np.triu_indices(len(names), k=1)
    real_upper = real[upper_rows, upper_cols]
    candidate_upper = candidate[upper_rows, upper_cols]
    defined = ~np.isnan(real_upper)
    collapsed = defined & np.isnan(candidate_upper)
    delta = np.where(collapsed, 0.0, candidate_upper) - real_upper
    result: dict[str, Any] = {
        "mean_abs_delta": None,
        "max_abs_delta": None,
        "max_abs_delta_pair": None,
        "frobenius": None,
        "n_pairs": int(defined.sum()),
        "n_undefined_pairs": int((~defined).sum()),
        "n_candidate_undefined_pairs": int(collapsed.sum()),
    }
    if not defined.any():
        return result
    magnitude = np.abs(delta[defined])
    worst = int(np.argmax(magnitude))
    pair = (upper_rows[defined][worst], upper_cols[defined][worst])
    result["mean_abs_delta"] = float(magnitude.mean())
    result["max_abs_delta"] = float(magnitude[worst])
    result["max_abs_delta_pair"] = [names[pair[0]], names[pair[1]]]
    result["frobenius"] = float(np.sqrt(2.0 * np.square(magnitude).sum()))
    return result


def structure_errors(real: Structure, candidate: Structure) -> dict[str, Any]:
    """The matrix errors of all three matrices, keyed by matrix name."""
    return {
        "pearson": matrix_error(real.pearson, candidate.pearson, real.numeric),
        "spearman": matrix_error(real.spearman, candidate.spearman, real.numeric),
        "association": matrix_error(
            real.association, candidate.association, real.names
        ),
    }


def structure_json(
    real: Structure, candidate: Structure, schema: TableSchema
) -> dict[str, Any]:
    """The real, candidate and difference matrices with their errors."""
    errors = structure_errors(real, candidate)

    def section(real_matrix: np.ndarray, candidate_matrix: np.ndarray, names, error):
        return {
            "real": matrix_json(real_matrix, names),
            "synthetic": matrix_json(candidate_matrix, names),
            "delta": matrix_json(candidate_matrix - real_matrix, names),
            "error": error,
        }

    association = section(
        real.association, candidate.association, real.names, errors["association"]
    )
    association["measures"] = association_measures(schema, real.names)
    return {
        "pearson": section(
            real.pearson, candidate.pearson, real.numeric, errors["pearson"]
        ),
        "spearman": section(
            real.spearman, candidate.spearman, real.numeric, errors["spearman"]
        ),
        "association": association,
    }
