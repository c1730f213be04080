"""Assemble the correlation-fidelity report as one JSON-ready dict.

The synthetic table is scored against the real (held-out) table, and so is
each reference table (see :mod:`corrgan.report.references`), with the same
metrics on the same real rows, so every number can be read against the floor
and the baselines. docs/report.md describes every field.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from corrgan.report.associations import (
    Structure,
    structure_errors,
    structure_json,
    table_structure,
)
from corrgan.report.checks import check_settings, check_tables
from corrgan.report.efficacy import (
    MAX_EFFICACY_ROWS,
    describe_classifier,
    train_and_test,
)
from corrgan.report.encoding import (
    EncodedTable,
    TableSchema,
    encode_tables,
    stream,
    subsample,
)
from corrgan.report.privacy import privacy_report
from corrgan.report.quality import (
    CRAMERS_V_TREND_THRESHOLD,
    N_BINS,
    PEARSON_TREND_THRESHOLD,
    TrendReference,
    column_shapes,
    overall_quality,
    pair_trends,
    trend_reference,
)
from corrgan.report.references import (
    class_independent_table,
    floor_table,
    independent_table,
)
from corrgan.report.within_class import (
    WithinClassReference,
    class_references,
    within_class_report,
)

logger = logging.getLogger(__name__)

REPORT_SCHEMA_VERSION: int = 1

_REFERENCE_DESCRIPTIONS = {
    "floor": (
        "training rows at the synthetic table's size, scored against the same "
        "real rows: what a perfect generator would reach"
    ),
    "independent": (
        "each column resampled independently from the source table: marginals "
        "kept, all associations destroyed"
    ),
    "class_independent": (
        "target resampled, then each column resampled within the row's class: "
        "per-class marginals kept, associations within a class destroyed"
    ),
}


@dataclass(frozen=True)
class _RealSide:
    """Everything about the real rows that every candidate is compared with."""

    schema: TableSchema
    full: EncodedTable
    pairs: EncodedTable
    structure: Structure
    trends: TrendReference
    classes: WithinClassReference | None
    target: str | None
    seed: int
    max_pair_rows: int


def _real_side(
    real: EncodedTable,
    schema: TableSchema,
    target: str | None,
    seed: int,
    max_pair_rows: int,
) -> _RealSide:
    pairs = subsample(real, max_pair_rows, stream(seed, "pairs/real"))
    structure = table_structure(pairs, schema, schema.names)
    classes = None
    if target is not None:
        present = np.unique(real.columns[target])
        classes = class_references(pairs, schema, target, present)
    return _RealSide(
        schema=schema,
        full=real,
        pairs=pairs,
        structure=structure,
        trends=trend_reference(real, pairs, structure, schema),
        classes=classes,
        target=target,
        seed=seed,
        max_pair_rows=max_pair_rows,
    )


def _scorecard(
    real: _RealSide,
    role: str,
    candidate: EncodedTable,
    efficacy: dict[str, Any] | None,
    *,
    detail: bool,
) -> dict[str, Any]:
    # the pair metrics run on at most max_pair_rows candidate rows
    schema = real.schema
    pairs = subsample(candidate, real.max_pair_rows, stream(real.seed, f"pairs/{role}"))
    structure = table_structure(pairs, schema, schema.names)

    # correlation and association matrices: full sections or errors only
    if detail:
        sections = structure_json(real.structure, structure, schema)
    else:
        errors = structure_errors(real.structure, structure)
        sections = {name: {"error": error} for name, error in errors.items()}

    # marginals and pair trends in SDMetrics' terms
    shapes = column_shapes(real.full, candidate, schema, detail=detail)
    trends = pair_trends(real.trends, pairs, structure, schema, detail=detail)

    within = None
    if real.classes is not None:
        within = within_class_report(real.classes, pairs, schema, detail=detail)
    return {
        "rows": candidate.n_rows,
        "pair_rows": pairs.n_rows,
        "correlations": {
            "pearson": sections["pearson"],
            "spearman": sections["spearman"],
        },
        "associations": sections["association"],
        "within_class": within,
        "column_shapes": shapes,
        "pair_trends": trends,
        "quality": overall_quality(shapes, trends),
        "efficacy": efficacy,
    }


def _headline(card: dict[str, Any] | None) -> dict[str, Any] | None:
    # the few numbers worth a glance, taken from a scorecard
    if card is None:
        return None
    within = card["within_class"]
    efficacy = card["efficacy"]
    tstr = None if efficacy is None else efficacy["train_on_synthetic"]
    return {
        "pearson_mean_abs_delta": card["correlations"]["pearson"]["error"][
            "mean_abs_delta"
        ],
        "spearman_mean_abs_delta": card["correlations"]["spearman"]["error"][
            "mean_abs_delta"
        ],
        "association_mean_abs_delta": card["associations"]["error"]["mean_abs_delta"],
        "association_frobenius": card["associations"]["error"]["frobenius"],
        "within_class_pearson_mean_abs_delta": (
            None if within is None else within["mean"]["pearson_mean_abs_delta"]
        ),
        "within_class_association_mean_abs_delta": (
            None if within is None else within["mean"]["association_mean_abs_delta"]
        ),
        "within_class_pooled_pearson_mean_abs_delta": (
            None
            if within is None
            else within["pooled_pearson"]["error"]["mean_abs_delta"]
        ),
        "column_shapes": card["column_shapes"]["score"],
        "pair_trends_all_pairs": card["pair_trends"]["all_pairs"]["score"],
        "pair_trends_trend_pairs": card["pair_trends"]["trend_pairs"]["score"],
        "quality_all_pairs": card["quality"]["all_pairs"],
        "quality_trend_pairs": card["quality"]["trend_pairs"],
        "macro_f1": None if tstr is None else tstr["macro_f1"],
        "accuracy": None if tstr is None else tstr["accuracy"],
    }


def _reference_tables(
    real: EncodedTable,
    train: EncodedTable | None,
    size: int,
    target: str | None,
    seed: int,
) -> dict[str, EncodedTable]:
    # every reference has the synthetic table's size (the floor at most the
    # training table's) and draws from the training rows when there are any
    references: dict[str, EncodedTable] = {}
    if train is not None:
        references["floor"] = floor_table(train, size, stream(seed, "floor"))
    source = real if train is None else train
    references["independent"] = independent_table(
        source, size, stream(seed, "independent")
    )
    if target is not None:
        references["class_independent"] = class_independent_table(
            source, size, target, stream(seed, "class_independent")
        )
    return references


def _efficacy_results(
    candidates: dict[str, EncodedTable],
    real: EncodedTable,
    train: EncodedTable | None,
    schema: TableSchema,
    target: str,
    seed: int,
) -> dict[str, dict[str, Any] | None]:
    # one fit per table, each on at most MAX_EFFICACY_ROWS rows and tested on
    # the same real rows; a floor that is the whole training table shares the
    # training table's fit
    test = subsample(real, MAX_EFFICACY_ROWS, stream(seed, "efficacy/real"))

    def fit(role: str, table: EncodedTable) -> dict[str, Any]:
        rows = subsample(table, MAX_EFFICACY_ROWS, stream(seed, f"efficacy/{role}"))
        return train_and_test(rows, test, schema, target, seed)

    results: dict[str, dict[str, Any] | None] = {"train": None}
    if train is not None:
        results["train"] = fit("train", train)
    for role, table in candidates.items():
        is_train = table is train
        results[role] = results["train"] if is_train else fit(role, table)
    return results


def _settings(
    specs: Sequence[Any],
    encoded: dict[str, EncodedTable],
    target: str | None,
    seed: int,
    max_pair_rows: int,
    max_privacy_rows: int,
) -> dict[str, Any]:
    train = encoded.get("train")
    return {
        "seed": int(seed),
        "max_pair_rows": int(max_pair_rows),
        "max_privacy_rows": int(max_privacy_rows),
        "target": target,
        "columns": [{"name": spec.name, "kind": spec.kind} for spec in specs],
        "rows": {
            "real": encoded["real"].n_rows,
            "synthetic": encoded["synthetic"].n_rows,
            "train": None if train is None else train.n_rows,
        },
        "contingency_bins": N_BINS,
        "trend_thresholds": {
            "pearson": PEARSON_TREND_THRESHOLD,
            "cramers_v": CRAMERS_V_TREND_THRESHOLD,
        },
    }


def build_report(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    categorical: Sequence[str],
    train: pd.DataFrame | None = None,
    target: str | None = None,
    seed: int = 0,
    max_pair_rows: int = 50_000,
    max_privacy_rows: int = 10_000,
) -> dict[str, Any]:
    """Score a synthetic table against real rows and against reference tables.

    Args:
        real: The real held-out rows the synthetic table is compared with.
        synthetic: The synthetic rows, with the real table's columns.
        categorical: The categorical columns; every other column is numeric
            (boolean columns are categorical even when not listed).
        train: The rows the generator was trained on; enables the floor
            reference, efficacy trained on real rows and the privacy section.
        target: A categorical column; enables the within-class correlations,
            the class-independent reference and machine-learning efficacy.
        seed: Seeds every subsample, resample and classifier.
        max_pair_rows: Pair metrics use at most this many rows per table.
        max_privacy_rows: Distances use at most this many rows per table.

    Returns:
        The report: plain JSON types only, with None for undefined values.

    Raises:
        CorrganError: If the tables do not fit together (see
            :func:`corrgan.report.checks.check_tables`) or a setting is invalid.
    """
    started = time.perf_counter()

    # check the inputs and encode every table on one code book
    specs = check_tables(
        real, synthetic, categorical=categorical, train=train, target=target
    )
    check_settings(seed, max_pair_rows, max_privacy_rows)
    tables = {"real": real, "synthetic": synthetic}
    if train is not None:
        tables["train"] = train
    schema, encoded = encode_tables(tables, specs)
    real_rows, synthetic_rows = encoded["real"], encoded["synthetic"]
    train_rows = encoded.get("train")

    # the real side of every comparison, then the tables compared with it
    real_side = _real_side(real_rows, schema, target, seed, max_pair_rows)
    references = _reference_tables(
        real_rows, train_rows, synthetic_rows.n_rows, target, seed
    )
    candidates = {"synthetic": synthetic_rows, **references}

    # efficacy: one classifier per table, all tested on the real rows
    efficacy: dict[str, dict[str, Any] | None] = dict.fromkeys(candidates)
    if target is not None:
        results = _efficacy_results(
            candidates, real_rows, train_rows, schema, target, seed
        )
        efficacy["synthetic"] = {
            "classifier": describe_classifier(),
            "target": target,
            "test": "real",
            "train_on_synthetic": results["synthetic"],
            "train_on_train": results["train"],
        }
        for role in references:
            efficacy[role] = {"train_on_synthetic": results[role]}
        logger.debug("efficacy done after %.2f s", time.perf_counter() - started)

    # score the synthetic table in full and the references in brief
    cards: dict[str, dict[str, Any] | None] = dict.fromkeys(
        ["synthetic", "floor", "independent", "class_independent"]
    )
    for role, table in candidates.items():
        detail = role == "synthetic"
        cards[role] = _scorecard(real_side, role, table, efficacy[role], detail=detail)
        if not detail:
            cards[role]["description"] = _REFERENCE_DESCRIPTIONS[role]
            cards[role]["source"] = "real" if train_rows is None else "train"

    # privacy needs the training rows
    privacy = None
    if train_rows is not None:
        privacy = privacy_report(
            synthetic_rows,
            real_rows,
            train_rows,
            schema,
            max_rows=max_privacy_rows,
            seed=seed,
        )

    report = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "settings": _settings(
            specs, encoded, target, seed, max_pair_rows, max_privacy_rows
        ),
        "summary": {role: _headline(card) for role, card in cards.items()},
        "synthetic": cards["synthetic"],
        "references": {
            role: card for role, card in cards.items() if role != "synthetic"
        },
        "privacy": privacy,
    }
    logger.info("report built in %.2f s", time.perf_counter() - started)
    return report
