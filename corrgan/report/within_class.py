"""Correlation errors inside each class of the target column.

Pooled over all rows, a table's correlations are often driven by differences
between classes (crops with more rain also get more potassium), which a
generator can reproduce without learning anything about the rows of one
class. Comparing the matrices class by class shows whether it did.

For every class present in the real table the real and synthetic rows of that
class are compared with the matrix errors of
:mod:`corrgan.report.associations`, over all columns but the target. A class
with fewer than three rows on either side is listed with a note and counted as
skipped; the means run over the classes that were evaluated.

With a few dozen rows per class those per-class correlations are noisy, so a
pooled within-class Pearson matrix is given as well: every numeric value minus
its class's mean, then one Pearson matrix over all rows. It measures the same
thing (how columns move together inside a class) from all rows at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from corrgan.report.associations import (
    Structure,
    correlation_matrix,
    matrix_error,
    matrix_json,
    structure_errors,
    table_structure,
)
from corrgan.report.encoding import EncodedTable, TableSchema
from corrgan.report.metrics import MIN_PAIR_ROWS, binary_exponent

_AVERAGED = [
    (matrix, measure)
    for matrix in ("pearson", "spearman", "association")
    for measure in ("mean_abs_delta", "frobenius")
]


@dataclass(frozen=True)
class ClassReference:
    """The real side of one class: its rows and, with enough rows, structure."""

    code: int
    label: str | None
    real_rows: int
    structure: Structure | None


@dataclass(frozen=True)
class WithinClassReference:
    """The real side of the within-class comparison, computed once."""

    target: str
    classes: list[ClassReference]
    pooled_pearson: np.ndarray


def class_centred_pearson(
    table: EncodedTable, schema: TableSchema, target: str, classes: np.ndarray
) -> np.ndarray:
    """Pearson matrix of the numeric columns after removing each class's mean.

    Only rows whose class is in ``classes`` take part; nulls stay null and are
    dropped pairwise, as in the pooled matrix.
    """
    rows = np.flatnonzero(np.isin(table.columns[target], classes))
    table = table.take(rows)
    codes = table.columns[target]
    n_levels = schema.n_levels(target)
    centred = {}
    for name in schema.numeric:
        # the class sums of values near the float64 maximum overflow; brought
        # within 1 by a power of two they do not, and since that scaling is
        # exact the correlations come out as they would unscaled
        values = table.columns[name]
        values = np.ldexp(values, -binary_exponent(values))
        present = ~np.isnan(values)
        sizes = np.bincount(codes[present], minlength=n_levels)
        sums = np.bincount(codes[present], weights=values[present], minlength=n_levels)
        means = sums / np.maximum(sizes, 1)

        # a class whose values are all equal is centred on that value, not on
        # its rounded mean: leftovers near 1e-17 would make a column that is
        # a function of the class look correlated instead of undefined
        lowest = np.full(n_levels, np.inf)
        highest = np.full(n_levels, -np.inf)
        np.minimum.at(lowest, codes[present], values[present])
        np.maximum.at(highest, codes[present], values[present])
        means = np.where(lowest == highest, lowest, means)
        centred[name] = values - means[codes]
    return correlation_matrix(
        EncodedTable(centred, table.n_rows), schema.numeric, "pearson"
    )


def class_references(
    real_pairs: EncodedTable,
    schema: TableSchema,
    target: str,
    classes: np.ndarray,
) -> WithinClassReference:
    """The real structure of each class, computed once for every candidate.

    Args:
        real_pairs: The real rows used for pair metrics.
        schema: The shared schema.
        target: The categorical column whose classes split the rows.
        classes: The class codes present in the real table, in order.
    """
    names = [name for name in schema.names if name != target]
    target_codes = real_pairs.columns[target]
    references = []
    for code in classes:
        rows = np.flatnonzero(target_codes == code)
        structure = None
        if len(rows) >= MIN_PAIR_ROWS:
            structure = table_structure(real_pairs.take(rows), schema, names)
        label = schema.label_text(target, int(code))
        references.append(ClassReference(int(code), label, len(rows), structure))
    pooled = class_centred_pearson(real_pairs, schema, target, classes)
    return WithinClassReference(target, references, pooled)


def _skip_note(real_rows: int, synthetic_rows: int) -> str | None:
    if synthetic_rows == 0:
        return "class absent from the synthetic rows"
    if synthetic_rows < MIN_PAIR_ROWS:
        return f"only {synthetic_rows} synthetic rows (need {MIN_PAIR_ROWS})"
    if real_rows < MIN_PAIR_ROWS:
        return f"only {real_rows} real rows (need {MIN_PAIR_ROWS})"
    return None


def within_class_report(
    reference: WithinClassReference,
    synthetic_pairs: EncodedTable,
    schema: TableSchema,
    *,
    detail: bool,
) -> dict[str, Any]:
    """Per-class, averaged and pooled correlation errors of a candidate table.

    Args:
        reference: The real side, from :func:`class_references`.
        synthetic_pairs: The candidate rows used for pair metrics.
        schema: The shared schema.
        detail: Whether to include the pooled matrices themselves.
    """
    target = reference.target
    real_classes = reference.classes
    names = [name for name in schema.names if name != target]
    target_codes = synthetic_pairs.columns[target]

    # compare each real class with the candidate's rows of the same class
    classes = []
    for real_class in real_classes:
        rows = np.flatnonzero(target_codes == real_class.code)
        entry: dict[str, Any] = {
            "class": real_class.label,
            "real_rows": real_class.real_rows,
            "synthetic_rows": len(rows),
            "pearson": None,
            "spearman": None,
            "association": None,
            "note": _skip_note(real_class.real_rows, len(rows)),
        }
        if entry["note"] is None:
            structure = table_structure(synthetic_pairs.take(rows), schema, names)
            entry.update(structure_errors(real_class.structure, structure))
        classes.append(entry)

    # the unweighted mean over the evaluated classes
    evaluated = [entry for entry in classes if entry["note"] is None]
    mean: dict[str, float | None] = {}
    for matrix, measure in _AVERAGED:
        values = [entry[matrix][measure] for entry in evaluated]
        values = [value for value in values if value is not None]
        mean[f"{matrix}_{measure}"] = float(np.mean(values)) if values else None

    # the pooled within-class matrix over the rows of the real classes
    real_codes = np.array([entry.code for entry in real_classes], dtype=np.int64)
    pooled = class_centred_pearson(synthetic_pairs, schema, target, real_codes)
    pooled_section: dict[str, Any] = {
        "error": matrix_error(reference.pooled_pearson, pooled, schema.numeric)
    }
    if detail:
        pooled_section["real"] = matrix_json(reference.pooled_pearson, schema.numeric)
        pooled_section["synthetic"] = matrix_json(pooled, schema.numeric)
        pooled_section["delta"] = matrix_json(
            pooled - reference.pooled_pearson, schema.numeric
        )

    # classes that only the candidate has are listed, not scored
    extra = sorted(set(np.unique(target_codes).tolist()) - set(real_codes.tolist()))
    return {
        "target": target,
        "n_classes": len(classes),
        "n_evaluated": len(evaluated),
        "n_skipped": len(classes) - len(evaluated),
        "skipped_classes": [e["class"] for e in classes if e["note"] is not None],
        "synthetic_only_classes": [schema.label_text(target, code) for code in extra],
        "mean": mean,
        "pooled_pearson": pooled_section,
        "classes": classes,
    }
