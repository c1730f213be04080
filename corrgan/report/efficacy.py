"""Machine-learning efficacy: train a classifier on one table, test it on real rows.

Train on synthetic, test on real (TSTR) asks whether the synthetic rows carry
what a model needs to predict the target of real rows; the same classifier
trained on the training rows (TRTR) is the number to read it against.

The classifier is scikit-learn's HistGradientBoostingClassifier with the
settings in :data:`CLASSIFIER_PARAMS`, seeded by the report's seed; tables
above :data:`MAX_EFFICACY_ROWS` rows are subsampled first. Numeric
columns go in by the order of their values (nulls are native missing values),
except one with no value at all in the training rows: it carries nothing to
learn from, and goes in as a constant on both sides; categorical columns go
in as native categorical features. A class the training table lacks can never
be predicted, which the macro-F1 over the test table's classes counts as an F1
of zero for that class.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np

from corrgan.report.encoding import EncodedTable, TableSchema

logger = logging.getLogger(__name__)

# modest on purpose: the report fits several of these (synthetic, train and
# each reference row) and must stay fast; early stopping is off so the fit
# never depends on a random validation split
CLASSIFIER_PARAMS: dict[str, Any] = {
    "max_iter": 30,
    "learning_rate": 0.15,
    "max_leaf_nodes": 8,
    "early_stopping": False,
}

# each fit trains on, and is tested on, at most this many rows (a seeded
# subsample), which keeps a report on a million rows to a minute at most
MAX_EFFICACY_ROWS = 50_000


def min_leaf_rows(rows: int, classes: int) -> int:
    """Smallest leaf: scikit-learn's 20, less when each class has few rows.

    A fixed 20 cannot isolate a class that has only about 20 rows, which is
    what a holdout-sized table of many classes has (the crop table's 440 rows
    hold 22 crops), and the classifier then scores the table's size, not
    its quality.
    """
    return int(np.clip(rows // (10 * max(classes, 1)), 1, 20))


# the classifier bins a categorical feature into at most 255 categories (one of
# them kept for missing values); rarer levels of wider columns become missing
_MAX_CATEGORIES = 254


def _category_map(train_codes: np.ndarray, n_levels: int) -> np.ndarray:
    # the most frequent training levels get dense codes, the rest become NaN
    counts = np.bincount(train_codes, minlength=n_levels)
    order = np.argsort(-counts, kind="stable")
    kept = order[: min(_MAX_CATEGORIES, int((counts > 0).sum()))]
    mapping = np.full(n_levels, np.nan)
    mapping[kept] = np.arange(len(kept))
    return mapping


# the classifier caps its bin edges at 1e300; magnitudes below 2**996 stay
# clear of that cap, and midpoints between them cannot overflow
_LARGEST_EXPONENT = 996


def _numeric_range(train_values: np.ndarray) -> tuple[float, float, int] | None:
    # the training rows' smallest and largest value and the power of two the
    # column is divided by; None for a column without values
    present = train_values[~np.isnan(train_values)]
    if len(present) == 0:
        return None
    low, high = float(present.min()), float(present.max())
    largest = int(np.frexp(max(abs(low), abs(high)))[1])
    # a column reaching past 2**996 comes down just below it, and one of tiny
    # values up to within 1, away from the subnormals, whose midpoints round
    # onto a neighbour; any other column stays as it is, as dividing one that
    # reaches from 1e-300 to 1e300 down to within 1 would flush its smallest
    # values to a tie at 0
    if largest > _LARGEST_EXPONENT:
        return low, high, largest - _LARGEST_EXPONENT
    return low, high, min(largest, 0)


def _features(
    table: EncodedTable,
    names: list[str],
    maps: dict[str, np.ndarray],
    ranges: dict[str, tuple[float, float, int] | None],
) -> np.ndarray:
    columns = []
    for name in names:
        values = table.columns[name]
        if name in maps:
            values = maps[name][values]
        elif ranges[name] is None:
            values = np.zeros(table.n_rows)
        else:
            # the classifier caps its bin edges at 1e300 and takes midpoints
            # that overflow past 9e307, so a column near those values is
            # scaled by a power of two, which keeps the values' order exactly;
            # a value outside the training range lands in an outer bin either
            # way, so clipping it there first changes nothing and cannot
            # overflow
            low, high, exponent = ranges[name]
            values = np.ldexp(np.clip(values, low, high), -exponent)
        columns.append(values)
    return np.column_stack(columns) if columns else np.zeros((table.n_rows, 0))


def train_and_test(
    train: EncodedTable,
    test: EncodedTable,
    schema: TableSchema,
    target: str,
    seed: int,
) -> dict[str, Any]:
    """Fit the classifier on ``train`` and score it on ``test``.

    Returns:
        ``macro_f1`` (over the classes in ``test``), ``accuracy``, the row
        counts, the number of classes seen in training, the test classes the
        training rows lack and a note when no model could be fitted.
    """
    # scikit-learn takes seconds to import, so only a report with a target pays
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import accuracy_score, f1_score
    from threadpoolctl import threadpool_limits

    names = [name for name in schema.names if name != target]
    train_labels, test_labels = train.columns[target], test.columns[target]
    train_classes = np.unique(train_labels)
    test_classes = np.unique(test_labels)
    missing = sorted(set(test_classes.tolist()) - set(train_classes.tolist()))

    # categorical features get dense codes from the training table's levels
    maps = {
        name: _category_map(train.columns[name], schema.n_levels(name))
        for name in names
        if not schema.is_numeric(name)
    }
    # numeric features are scaled by the training rows' range; a column the
    # training rows never fill holds nothing to learn from, and the classifier
    # cannot bin a column without values: it goes in as a constant, in the
    # test rows too, so both sides stay the same feature
    ranges = {
        name: _numeric_range(train.columns[name]) for name in names if name not in maps
    }
    empty = sorted(name for name, extent in ranges.items() if extent is None)
    if empty:
        logger.debug(
            "efficacy: columns %s have no value in the training rows and go in "
            "as constants",
            empty,
        )
    note = None
    if len(train_classes) < 2 or not names:
        # nothing to learn: predict the most frequent training class everywhere
        note = (
            "the training rows hold a single class"
            if len(train_classes) < 2
            else "the table has no columns besides the target"
        )
        note += "; the most frequent training class is predicted for every row"
        majority = np.bincount(train_labels).argmax()
        predicted = np.full(test.n_rows, majority)
    else:
        categorical_mask = [name in maps for name in names]
        model = HistGradientBoostingClassifier(
            **CLASSIFIER_PARAMS,
            min_samples_leaf=min_leaf_rows(train.n_rows, len(train_classes)),
            categorical_features=categorical_mask if any(categorical_mask) else None,
            random_state=seed,
        )
        # one thread: these fits are small, and OpenMP threads that compete
        # with other work for the cores can run tens of times slower
        # scikit-learn's hints (many classes for few rows, say) are no
        # problem of the report's, and must not break its one-line output
        with threadpool_limits(limits=1, user_api="openmp"), warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, module="sklearn")
            model.fit(_features(train, names, maps, ranges), train_labels)
            predicted = model.predict(_features(test, names, maps, ranges))
    return {
        "macro_f1": float(
            f1_score(
                test_labels,
                predicted,
                labels=test_classes,
                average="macro",
                zero_division=0,
            )
        ),
        "accuracy": float(accuracy_score(test_labels, predicted)),
        "train_rows": train.n_rows,
        "test_rows": test.n_rows,
        "n_train_classes": len(train_classes),
        "missing_classes": [schema.label_text(target, code) for code in missing],
        "note": note,
    }


def describe_classifier() -> dict[str, Any]:
    """The classifier's name and settings, as the report records them."""
    return {
        "name": "HistGradientBoostingClassifier",
        "params": dict(CLASSIFIER_PARAMS),
        "min_samples_leaf": "clip(train_rows // (10 * classes), 1, 20)",
    }
