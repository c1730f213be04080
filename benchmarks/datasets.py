"""A generated benchmark table: a Gaussian copula over mixed marginals.

Six latent standard normals with a fixed correlation matrix are pushed through
the inverse CDFs of deliberately awkward marginals, and two categorical
columns are drawn from the latent values, so the table has known structure at
any size:

- ``income``: lognormal (skewed), ``share``: beta(2, 5) (bounded in (0, 1)),
- ``bimodal``: an equal mixture of N(-2, 0.6) and N(2, 0.6),
- ``visits``: Poisson(6) counts, ``claims``: negative binomial(2, 0.25) counts
  (overdispersed), ``score``: normal,
- ``segment``: low/mid/high from a noisy score of income and bimodal,
- ``region``: four levels whose odds follow ``share`` and ``visits``.

Spearman correlations of the numeric columns follow from the latent Pearson
matrix (``6 / pi * asin(r / 2)`` for continuous marginals), since the marginal
transforms are monotone.

``tagged_table`` adds eight categorical ``tag`` columns of 3 to 50 equally
likely levels, independent of everything else: ten categorical columns in
all, so a generator conditioned on any one of them must keep every other
column's marginal, and the tags' own shares are known to be uniform.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

NUMERIC_COLUMNS = ["income", "share", "bimodal", "visits", "claims", "score"]
CATEGORICAL_COLUMNS = ["segment", "region"]
TARGET = "segment"
REGIONS = ["north", "south", "east", "west"]

# latent correlations, in the order of NUMERIC_COLUMNS; positive definite
LATENT_CORRELATION = np.array(
    [
        [1.0, 0.6, 0.3, 0.2, 0.0, -0.4],
        [0.6, 1.0, 0.0, 0.4, -0.2, -0.3],
        [0.3, 0.0, 1.0, 0.0, 0.5, 0.0],
        [0.2, 0.4, 0.0, 1.0, 0.3, 0.0],
        [0.0, -0.2, 0.5, 0.3, 1.0, 0.2],
        [-0.4, -0.3, 0.0, 0.0, 0.2, 1.0],
    ]
)

MIXTURE_MODES = (-2.0, 2.0)
MIXTURE_SCALE = 0.6


def _mixture_quantile(probabilities: np.ndarray) -> np.ndarray:
    # the two-mode mixture has no closed-form quantile: invert its CDF on a
    # fine grid, which is exact to well below the spread of any sample
    grid = np.linspace(-6.0, 6.0, 20_001)
    cdf = np.mean(
        [stats.norm.cdf(grid, loc=mode, scale=MIXTURE_SCALE) for mode in MIXTURE_MODES],
        axis=0,
    )
    return np.interp(probabilities, cdf, grid)


def copula_table(rows: int, seed: int = 0) -> pd.DataFrame:
    """Generate ``rows`` rows of the copula table; the same seed, the same table.

    Args:
        rows: Number of rows (at least 1).
        seed: Seed of every random draw.

    Returns:
        A frame with float columns income, share, bimodal and score, int64
        columns visits and claims, and string columns segment and region.
    """
    if rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    rng = np.random.default_rng([seed, 2024])

    # correlated latent normals, then uniforms through the normal CDF
    latent = rng.multivariate_normal(
        np.zeros(len(NUMERIC_COLUMNS)), LATENT_CORRELATION, size=rows, method="cholesky"
    )
    uniform = np.clip(stats.norm.cdf(latent), 1e-12, 1 - 1e-12)

    # each marginal by its inverse CDF
    frame = pd.DataFrame(
        {
            "income": stats.lognorm.ppf(uniform[:, 0], s=0.8, scale=np.exp(10.0)),
            "share": stats.beta.ppf(uniform[:, 1], 2.0, 5.0),
            "bimodal": _mixture_quantile(uniform[:, 2]),
            "visits": stats.poisson.ppf(uniform[:, 3], 6.0).astype(np.int64),
            "claims": stats.nbinom.ppf(uniform[:, 4], 2, 0.25).astype(np.int64),
            "score": 50.0 + 10.0 * latent[:, 5],
        }
    )

    # segment: tertiles of a noisy score, so it depends on income and bimodal
    drive = latent[:, 0] + 0.5 * latent[:, 2] + 0.5 * rng.standard_normal(rows)
    cuts = np.quantile(drive, [1 / 3, 2 / 3])
    frame["segment"] = np.array(["low", "mid", "high"])[np.searchsorted(cuts, drive)]

    # region: a softmax draw whose logits move with share and visits
    logits = np.stack(
        [
            1.5 * latent[:, 1],
            -1.5 * latent[:, 1],
            1.0 * latent[:, 3],
            np.zeros(rows),
        ],
        axis=1,
    )
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    choice = (weights.cumsum(axis=1) < rng.random((rows, 1))).sum(axis=1)
    frame["region"] = np.array(REGIONS)[np.minimum(choice, len(REGIONS) - 1)]
    return frame


TAG_LEVELS = [3, 6, 10, 15, 20, 30, 40, 50]


def tagged_table(rows: int, seed: int = 0) -> pd.DataFrame:
    """The copula table with eight independent, uniform ``tag`` columns.

    Args:
        rows: Number of rows (at least 1).
        seed: Seed of every random draw; the copula part is ``copula_table``'s.

    Returns:
        ``copula_table(rows, seed)`` with string columns tag1 to tag8 added,
        tag ``i`` holding ``TAG_LEVELS[i - 1]`` levels ``t0``, ``t1``, ...
    """
    frame = copula_table(rows, seed)
    rng = np.random.default_rng([seed, 2025])
    for number, levels in enumerate(TAG_LEVELS, start=1):
        names = np.array([f"t{level}" for level in range(levels)])
        frame[f"tag{number}"] = names[rng.integers(0, levels, size=rows)]
    return frame


def expected_spearman(first: str, second: str) -> float:
    """Spearman correlation the copula implies for two continuous columns."""
    i, j = NUMERIC_COLUMNS.index(first), NUMERIC_COLUMNS.index(second)
    return float(6 / np.pi * np.arcsin(LATENT_CORRELATION[i, j] / 2))
