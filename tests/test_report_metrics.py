"""The report's scalar metrics against values worked out by hand."""

import math

import numpy as np
import pytest
from scipy.stats import ks_2samp

from corrgan.report import (
    correlation_ratio,
    correlation_similarity,
    cramers_v,
    ks_complement,
    tv_complement,
)
from corrgan.report.metrics import (
    contingency_counts,
    contingency_similarity_counts,
    equal_width_bins,
)

# a 2 x 2 table of counts, rows x/y and columns p/q:
#        p   q
#   x   10   2
#   y    3   5
FIRST = ["x"] * 12 + ["y"] * 8
SECOND = ["p"] * 10 + ["q"] * 2 + ["p"] * 3 + ["q"] * 5


def test_cramers_v_matches_a_hand_computed_two_by_two_table():
    # row totals 12, 8; column totals 13, 7; n = 20, so the expected counts
    # are 7.8, 4.2, 5.2, 2.8 and every cell is 2.2 away from its expectation
    chi2 = 2.2**2 * (1 / 7.8 + 1 / 4.2 + 1 / 5.2 + 1 / 2.8)
    phi2 = chi2 / 20
    plain = math.sqrt(phi2 / 1)
    # Bergsma: phi2 - (r-1)(k-1)/(n-1), r~ = k~ = 2 - 1/19
    corrected = math.sqrt((phi2 - 1 / 19) / (2 - 1 / 19 - 1))

    assert cramers_v(FIRST, SECOND, bias_corrected=False) == pytest.approx(plain)
    assert cramers_v(FIRST, SECOND) == pytest.approx(corrected)
    assert corrected == pytest.approx(0.42234, abs=1e-5)


def test_cramers_v_counts_null_as_a_level():
    # a null in the first column is a third row of the table:
    #        p   q
    #   x    2   0
    #   y    0   2
    #  null  2   0
    first = ["x", "x", "y", "y", None, None]
    second = ["p", "p", "q", "q", "p", "p"]
    # expected counts: rows 2, 2, 2 and columns 4, 2 over n = 6
    expected = np.array([[4, 2], [4, 2], [4, 2]]) * 2 / 6
    observed = np.array([[2, 0], [0, 2], [2, 0]])
    chi2 = ((observed - expected) ** 2 / expected).sum()
    assert cramers_v(first, second, bias_corrected=False) == pytest.approx(
        math.sqrt(chi2 / 6 / 1)
    )


def test_cramers_v_is_undefined_for_a_single_level():
    assert cramers_v(["a", "a", "a", "a"], ["p", "q", "p", "q"]) is None


def test_correlation_ratio_matches_hand_computation():
    # groups a: 1, 3 (mean 2) and b: 4, 6, 8 (mean 6); overall mean 4.4
    between = 2 * (2 - 4.4) ** 2 + 3 * (6 - 4.4) ** 2
    total = sum((x - 4.4) ** 2 for x in (1, 3, 4, 6, 8))
    categories = ["a", "a", "b", "b", "b"]
    values = [1.0, 3.0, 4.0, 6.0, 8.0]
    assert correlation_ratio(categories, values) == pytest.approx(
        math.sqrt(between / total)
    )
    # a null value drops its row; the answer stays the same
    assert correlation_ratio([*categories, "a"], [*values, None]) == pytest.approx(
        math.sqrt(between / total)
    )


def test_correlation_ratio_undefined_for_constant_values():
    assert correlation_ratio(["a", "b", "a"], [2.0, 2.0, 2.0]) is None


def test_ks_complement_on_tiny_inputs():
    # at x = 2 the real CDF is 0.5 and the synthetic 0, the largest gap
    assert ks_complement([1, 2, 3, 4], [3, 4, 5, 6]) == pytest.approx(0.5)
    assert ks_complement([1, 2, 3], [1, 2, 3]) == 1.0
    assert ks_complement([1, 2], [5, 6]) == 0.0
    assert ks_complement([1.0, None, 2.0], [2.0, 1.0]) == 1.0
    assert ks_complement([None, None], [1.0]) is None


def test_ks_complement_agrees_with_scipy():
    rng = np.random.default_rng(3)
    real, synthetic = rng.normal(size=200), rng.normal(0.3, 1.2, size=150)
    expected = 1 - ks_2samp(real, synthetic).statistic
    assert ks_complement(real, synthetic) == pytest.approx(expected)


def test_tv_complement_on_tiny_inputs():
    # shares a .5/.25, b .25/.5, c .25/0, null 0/.25: half the sum is 0.5
    assert tv_complement(["a", "a", "b", "c"], ["a", "b", "b", None]) == 0.5
    assert tv_complement(["a", "b"], ["b", "a"]) == 1.0
    assert tv_complement(["a"], ["b"]) == 0.0


def test_correlation_similarity():
    assert correlation_similarity(0.8, 0.2) == pytest.approx(0.7)
    assert correlation_similarity(-1.0, 1.0) == 0.0
    assert correlation_similarity(None, 0.5) is None


def test_equal_width_bins_use_reference_edges_with_open_ends():
    reference = np.array([0.0, 10.0])
    values = np.array([-5.0, 0.0, 1.0, 1.5, 9.5, 10.0, 15.0, np.nan])
    # interior edges 1..9, right-closed: 1.0 stays in the first bin
    assert equal_width_bins(reference, values).tolist() == [0, 0, 0, 1, 9, 9, 9, 10]


@pytest.mark.filterwarnings("error")
def test_equal_width_bins_on_ranges_at_the_float64_limits():
    # from -max to max the range itself is past the float64 maximum; the
    # values at each bin's centre must still land in that bin
    largest = np.finfo(np.float64).max
    centres = np.linspace(-0.9, 0.9, 10)
    huge = equal_width_bins(np.array([-largest, largest]), centres * largest)
    assert huge.tolist() == list(range(10))
    tiny = equal_width_bins(np.array([-1e-308, 1e-308]), centres * 1e-308)
    assert tiny.tolist() == list(range(10))


def test_contingency_similarity_counts():
    real = contingency_counts(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), 2, 2)
    synthetic = contingency_counts(np.array([0, 0]), np.array([0, 0]), 2, 2)
    # real puts a quarter in each cell, synthetic everything in one:
    # half of |0.75| + 3 * |0.25| is 0.75
    assert contingency_similarity_counts(real, synthetic) == pytest.approx(0.25)
    assert contingency_similarity_counts(real, real) == 1.0
