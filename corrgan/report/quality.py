"""Column Shapes, Column Pair Trends and overall quality, as SDMetrics defines them.

- Column Shapes: the mean over columns of KSComplement (numeric) or
  TVComplement (categorical).
- Column Pair Trends: the mean over column pairs of CorrelationSimilarity
  (two numeric columns, Pearson) or ContingencySimilarity (any pair with a
  categorical column; the numeric side cut into 10 equal-width bins on the
  real data's range with open outer bins, nulls a level).
- Quality: the mean of the two.

Pair trends are given twice: over all pairs (SDMetrics before 0.27 and the
published benchmark tables) and over the pairs with a real trend only
(SDMetrics 0.27 and later): ``|Pearson_r| > 0.5`` for numeric pairs and plain
Cramer's V of the (binned) real pair ``> 0.3`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from corrgan.report.associations import Structure
from corrgan.report.encoding import EncodedTable, TableSchema
from corrgan.report.metrics import (
    contingency_counts,
    contingency_similarity_counts,
    correlation_similarity,
    cramers_v_counts,
    equal_width_bins,
    finite_or_none,
    ks_complement_values,
    tv_complement_codes,
)

N_BINS = 10
PEARSON_TREND_THRESHOLD = 0.5
CRAMERS_V_TREND_THRESHOLD = 0.3


def _mean(values: list[float | None]) -> float | None:
    defined = [value for value in values if value is not None]
    return float(np.mean(defined)) if defined else None


def _error_percent(score: float | None) -> float | None:
    return None if score is None else 100.0 * (1.0 - score)


def column_shapes(
    real: EncodedTable, synthetic: EncodedTable, schema: TableSchema, *, detail: bool
) -> dict[str, Any]:
    """KSComplement or TVComplement of every column, and their mean.

    Args:
        real: All real rows.
        synthetic: All candidate rows.
        schema: The shared schema.
        detail: Whether to list the per-column scores.
    """
    columns = []
    for spec in schema.specs:
        if spec.kind == "numeric":
            metric = "KSComplement"
            score = ks_complement_values(
                real.columns[spec.name], synthetic.columns[spec.name]
            )
        else:
            metric = "TVComplement"
            score = tv_complement_codes(
                real.columns[spec.name],
                synthetic.columns[spec.name],
                schema.n_levels(spec.name),
            )
        columns.append(
            {"column": spec.name, "kind": spec.kind, "metric": metric, "score": score}
        )
    score = _mean([column["score"] for column in columns])
    result: dict[str, Any] = {"score": score, "error_percent": _error_percent(score)}
    if detail:
        result["columns"] = columns
    return result


@dataclass(frozen=True)
class _RealPair:
    first: str
    second: str
    metric: str
    real_value: float | None
    real_trend: bool
    real_counts: np.ndarray | None


@dataclass(frozen=True)
class TrendReference:
    """The real side of every column pair, computed once for all candidates."""

    pairs: list[_RealPair]
    bin_edges_from: dict[str, np.ndarray]
    pearson_position: dict[str, int]


def _pair_codes(
    table: EncodedTable, schema: TableSchema, name: str, edges_from: dict
) -> tuple[np.ndarray, int]:
    if schema.is_numeric(name):
        codes = equal_width_bins(edges_from[name], table.columns[name], N_BINS)
        return codes, N_BINS + 1
    return table.columns[name], schema.n_levels(name)


def _counts(
    table: EncodedTable, schema: TableSchema, first: str, second: str, edges_from
) -> np.ndarray:
    first_codes, first_levels = _pair_codes(table, schema, first, edges_from)
    second_codes, second_levels = _pair_codes(table, schema, second, edges_from)
    return contingency_counts(first_codes, second_codes, first_levels, second_levels)


def trend_reference(
    real_full: EncodedTable,
    real_pairs: EncodedTable,
    real_structure: Structure,
    schema: TableSchema,
) -> TrendReference:
    """Precompute the real value and trend flag of every column pair.

    Args:
        real_full: All real rows; their range sets the bin edges.
        real_pairs: The real rows used for pair metrics.
        real_structure: The real structure over all columns, from those rows.
        schema: The shared schema.
    """
    edges_from = {name: real_full.columns[name] for name in schema.numeric}
    position = {name: index for index, name in enumerate(real_structure.numeric)}
    names = schema.names
    pairs = []
    for row, first in enumerate(names):
        for second in names[row + 1 :]:
            if schema.is_numeric(first) and schema.is_numeric(second):
                value = finite_or_none(
                    real_structure.pearson[position[first], position[second]]
                )
                trend = value is not None and abs(value) > PEARSON_TREND_THRESHOLD
                pairs.append(
                    _RealPair(
                        first, second, "CorrelationSimilarity", value, trend, None
                    )
                )
                continue
            counts = _counts(real_pairs, schema, first, second, edges_from)
            value = cramers_v_counts(counts, bias_corrected=False)
            trend = value is not None and value > CRAMERS_V_TREND_THRESHOLD
            pairs.append(
                _RealPair(first, second, "ContingencySimilarity", value, trend, counts)
            )
    return TrendReference(pairs, edges_from, position)


def _summary(scores: list[float | None]) -> dict[str, Any]:
    score = _mean(scores)
    return {
        "score": score,
        "error_percent": _error_percent(score),
        "n_pairs": sum(value is not None for value in scores),
        "n_undefined": sum(value is None for value in scores),
    }


def pair_trends(
    reference: TrendReference,
    synthetic_pairs: EncodedTable,
    synthetic_structure: Structure,
    schema: TableSchema,
    *,
    detail: bool,
) -> dict[str, Any]:
    """Column Pair Trends of a candidate, over all pairs and over trend pairs.

    Args:
        reference: The real side, from :func:`trend_reference`.
        synthetic_pairs: The candidate rows used for pair metrics.
        synthetic_structure: The candidate's structure over all columns.
        schema: The shared schema.
        detail: Whether to list every pair.
    """
    position = reference.pearson_position
    entries = []
    for pair in reference.pairs:
        if pair.metric == "CorrelationSimilarity":
            synthetic_value = finite_or_none(
                synthetic_structure.pearson[position[pair.first], position[pair.second]]
            )
            score = correlation_similarity(pair.real_value, synthetic_value)
        else:
            counts = _counts(
                synthetic_pairs,
                schema,
                pair.first,
                pair.second,
                reference.bin_edges_from,
            )
            score = contingency_similarity_counts(pair.real_counts, counts)
            synthetic_value = cramers_v_counts(counts, bias_corrected=False)
        entries.append(
            {
                "columns": [pair.first, pair.second],
                "metric": pair.metric,
                "score": score,
                "real_association": pair.real_value,
                "synthetic_association": synthetic_value,
                "real_trend": pair.real_trend,
            }
        )
    result: dict[str, Any] = {
        "all_pairs": _summary([entry["score"] for entry in entries]),
        "trend_pairs": _summary(
            [entry["score"] for entry in entries if entry["real_trend"]]
        ),
    }
    if detail:
        result["pairs"] = entries
    return result


def overall_quality(shapes: dict[str, Any], trends: dict[str, Any]) -> dict[str, Any]:
    """Quality = mean(Column Shapes, Column Pair Trends), both ways of counting pairs.

    A part that is undefined (no pairs at all) is left out of the mean.
    """
    return {
        key: _mean([shapes["score"], trends[key]["score"]])
        for key in ("all_pairs", "trend_pairs")
    }
