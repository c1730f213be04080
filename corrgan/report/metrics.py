"""Pure metric functions: marginal similarities and pairwise associations.

The public functions take array-likes of raw values. Numeric metrics drop
nulls (pairwise, for pairs); categorical metrics count the null as one more
level. Each returns a float, or None where the value is undefined (too few
rows, a constant column), so results can go straight into JSON.

The ``*_codes`` and ``*_counts`` variants do the same on already-encoded data
(categorical codes ``0 .. n_levels - 1``, numeric float64 with NaN) and are
what the report calls on its shared encoding.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

# a correlation or association from fewer complete rows than this is not
# reported: two points always lie on a line
MIN_PAIR_ROWS = 3


def finite_or_none(value: float | None) -> float | None:
    """A plain float, or None for None, NaN and infinities."""
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def codes_with_null_level(*columns: Sequence) -> tuple[list[np.ndarray], int]:
    """Factorise raw categorical values over all columns, null as a level.

    Returns:
        The codes of each column and the number of levels; nulls take the last
        code.
    """
    stacked = pd.Series(
        np.concatenate([np.asarray(pd.Series(c), dtype=object) for c in columns])
    )
    codes, uniques = pd.factorize(stacked, use_na_sentinel=True)
    n_levels = len(uniques) + 1
    codes = np.where(codes < 0, n_levels - 1, codes).astype(np.int64)
    pieces = np.split(codes, np.cumsum([len(c) for c in columns])[:-1])
    return pieces, n_levels


def _floats(values: Sequence) -> np.ndarray:
    series = pd.Series(values)
    return series.to_numpy(dtype="float64", na_value=np.nan)


def unit_scaled(values: np.ndarray) -> np.ndarray:
    """Each column divided by its largest finite magnitude (1 where it has none).

    Pearson's r and the correlation ratio do not change when a column is
    scaled, but their sums of squares do: values near 1e-300 square to zero
    and values near 1e300 to infinity. Scaled to at most 1 they do neither.
    """
    magnitude = np.abs(values)
    magnitude = np.where(np.isfinite(magnitude), magnitude, 0.0)
    scale = magnitude.max(axis=0, initial=0.0)
    return values / np.where(scale > 0.0, scale, 1.0)


def binary_exponent(values: np.ndarray) -> int:
    """The power of two that brings every finite magnitude of ``values`` below 1.

    ``np.ldexp(values, -binary_exponent(values))`` puts the largest magnitude in
    ``[0.5, 1)``, where sums of many values stay finite and the squares of the
    largest ones stay clear of the subnormal range, and it changes no ratio and
    no order: a power of two scales exactly (short of the subnormal range). 0
    when no value is finite.
    """
    magnitude = np.abs(values[np.isfinite(values)])
    return int(np.frexp(magnitude.max(initial=0.0))[1])


def ks_complement(real: Sequence[float], synthetic: Sequence[float]) -> float | None:
    """KSComplement: one minus the two-sample Kolmogorov-Smirnov statistic.

    ``1 - sup_x |F_r(x) - F_s(x)|`` with nulls dropped; None when the real
    side has no values, 0 when only the synthetic side has none (it
    reproduces nothing of the column).
    """
    return ks_complement_values(_floats(real), _floats(synthetic))


def ks_complement_values(real: np.ndarray, synthetic: np.ndarray) -> float | None:
    """KSComplement on float64 arrays (NaN is dropped)."""
    real = np.sort(real[~np.isnan(real)])
    synthetic = np.sort(synthetic[~np.isnan(synthetic)])
    if len(real) == 0:
        return None
    if len(synthetic) == 0:
        return 0.0
    # both empirical CDFs are step functions that only jump at the pooled
    # values, so the supremum is reached at one of them
    points = np.concatenate([real, synthetic])
    real_cdf = np.searchsorted(real, points, side="right") / len(real)
    synthetic_cdf = np.searchsorted(synthetic, points, side="right") / len(synthetic)
    return float(1.0 - np.max(np.abs(real_cdf - synthetic_cdf)))


def tv_complement(real: Sequence, synthetic: Sequence) -> float | None:
    """TVComplement: one minus the total variation distance of the levels.

    ``1 - 1/2 * sum_c |p_s(c) - p_r(c)|`` over the union of levels, the null
    counted as a level.
    """
    (real_codes, synthetic_codes), n_levels = codes_with_null_level(real, synthetic)
    return tv_complement_codes(real_codes, synthetic_codes, n_levels)


def tv_complement_codes(
    real: np.ndarray, synthetic: np.ndarray, n_levels: int
) -> float | None:
    """TVComplement on integer codes ``0 .. n_levels - 1``."""
    if len(real) == 0 or len(synthetic) == 0:
        return None
    real_share = np.bincount(real, minlength=n_levels) / len(real)
    synthetic_share = np.bincount(synthetic, minlength=n_levels) / len(synthetic)
    return float(1.0 - 0.5 * np.abs(real_share - synthetic_share).sum())


def correlation_similarity(
    real_correlation: float | None, synthetic_correlation: float | None
) -> float | None:
    """CorrelationSimilarity: ``1 - |rho_r - rho_s| / 2``; None if either is None."""
    if real_correlation is None or synthetic_correlation is None:
        return None
    return float(1.0 - abs(real_correlation - synthetic_correlation) / 2.0)


def contingency_counts(
    first: np.ndarray, second: np.ndarray, first_levels: int, second_levels: int
) -> np.ndarray:
    """The ``first_levels x second_levels`` table of joint counts of two codes."""
    joint = first * second_levels + second
    counts = np.bincount(joint, minlength=first_levels * second_levels)
    return counts.reshape(first_levels, second_levels)


def contingency_similarity_counts(
    real: np.ndarray, synthetic: np.ndarray
) -> float | None:
    """ContingencySimilarity from two joint-count tables of the same shape.

    ``1 - 1/2 * sum_(a,b) |P_r(a,b) - P_s(a,b)|``; None when a table is empty.
    """
    real_total, synthetic_total = real.sum(), synthetic.sum()
    if real_total == 0 or synthetic_total == 0:
        return None
    difference = np.abs(real / real_total - synthetic / synthetic_total)
    return float(1.0 - 0.5 * difference.sum())


def _observed(counts: np.ndarray) -> np.ndarray:
    # levels that never occur carry no information and would divide by zero
    return counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]


def _chi_square(counts: np.ndarray) -> float:
    total = counts.sum()
    expected = np.outer(counts.sum(axis=1), counts.sum(axis=0)) / total
    return float(((counts - expected) ** 2 / expected).sum())


def cramers_v_counts(
    counts: np.ndarray, *, bias_corrected: bool = True
) -> float | None:
    """Cramer's V of a contingency table, bias-corrected by default.

    Plain: ``V = sqrt(chi2 / (n * (min(r, k) - 1)))``. Bias-corrected (Bergsma
    2013): ``phi2 = max(0, chi2 / n - (r - 1)(k - 1) / (n - 1))``,
    ``r~ = r - (r - 1)^2 / (n - 1)``, ``k~ = k - (k - 1)^2 / (n - 1)`` and
    ``V~ = sqrt(phi2 / min(r~ - 1, k~ - 1))``. Rows and columns that never
    occur are dropped first; None when fewer than two levels remain on a side
    or there are fewer than three rows.
    """
    counts = _observed(np.asarray(counts, dtype=np.float64))
    total = counts.sum()
    rows, cols = counts.shape
    if rows < 2 or cols < 2 or total < MIN_PAIR_ROWS:
        return None
    phi2 = _chi_square(counts) / total
    if not bias_corrected:
        return float(np.sqrt(min(1.0, phi2 / (min(rows, cols) - 1))))
    phi2 = max(0.0, phi2 - (rows - 1) * (cols - 1) / (total - 1))
    rows_corrected = rows - (rows - 1) ** 2 / (total - 1)
    cols_corrected = cols - (cols - 1) ** 2 / (total - 1)
    denominator = min(rows_corrected - 1, cols_corrected - 1)
    if denominator <= 0:
        return None
    return float(np.sqrt(min(1.0, phi2 / denominator)))


def cramers_v(
    first: Sequence, second: Sequence, *, bias_corrected: bool = True
) -> float | None:
    """Cramer's V between two categorical columns, null counted as a level.

    See :func:`cramers_v_counts` for the formula.
    """
    (first_codes,), first_levels = codes_with_null_level(first)
    (second_codes,), second_levels = codes_with_null_level(second)
    counts = contingency_counts(first_codes, second_codes, first_levels, second_levels)
    return cramers_v_counts(counts, bias_corrected=bias_corrected)


def correlation_ratio_codes(
    categories: np.ndarray, values: np.ndarray, n_levels: int
) -> float | None:
    """The correlation ratio eta of numeric ``values`` given category codes.

    ``eta^2 = sum_c n_c (mean_c - mean)^2 / sum_i (x_i - mean)^2`` over the
    rows where the value is not null; None when fewer than three such rows
    remain or the values are constant.
    """
    present = ~np.isnan(values)
    categories, values = categories[present], unit_scaled(values[present])
    if len(values) < MIN_PAIR_ROWS:
        return None
    mean = values.mean()
    total = float(((values - mean) ** 2).sum())
    if total <= 0.0:
        return None
    sizes = np.bincount(categories, minlength=n_levels)
    sums = np.bincount(categories, weights=values, minlength=n_levels)
    used = sizes > 0
    group_means = sums[used] / sizes[used]
    between = float((sizes[used] * (group_means - mean) ** 2).sum())
    return float(np.sqrt(min(1.0, between / total)))


def correlation_ratio(categories: Sequence, values: Sequence[float]) -> float | None:
    """The correlation ratio eta of a numeric column given a categorical one.

    Rows with a null value are dropped; a null category is a level. See
    :func:`correlation_ratio_codes` for the formula.
    """
    (codes,), n_levels = codes_with_null_level(categories)
    return correlation_ratio_codes(codes, _floats(values), n_levels)


def equal_width_bins(
    reference: np.ndarray, values: np.ndarray, n_bins: int = 10
) -> np.ndarray:
    """Codes of ``values`` in equal-width bins cut on ``reference``'s range.

    The edges split ``[min, max]`` of the non-null reference values into
    ``n_bins`` right-closed intervals; the outer bins are open-ended, so values
    outside the reference range fall into the first or last bin. Nulls take
    code ``n_bins``. A reference without values puts everything in bin 0.
    """
    present = reference[~np.isnan(reference)]
    codes = np.full(len(values), n_bins, dtype=np.int64)
    known = ~np.isnan(values)
    if len(present) == 0:
        codes[known] = 0
        return codes
    # a range wider than the float64 maximum (from -1e308 to 1e308) overflows,
    # so its edges are cut at half scale and doubled back; halving is exact for
    # values that large, and a finite range keeps the plain cut
    low, high = present.min(), present.max()
    with np.errstate(over="ignore"):
        scale = 1.0 if np.isfinite(high - low) else 0.5
    edges = np.linspace(low * scale, high * scale, n_bins + 1)[1:-1] / scale
    codes[known] = np.searchsorted(edges, values[known], side="left")
    return codes
