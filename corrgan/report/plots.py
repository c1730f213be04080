"""PNG figures of the report: association heatmaps and marginal overlays.

Figures are drawn on matplotlib's Agg canvas without pyplot, so nothing here
touches a display or pyplot's global state. Every file is written under a
temporary name in the target folder and then renamed over the final name, so
a reader never sees half a PNG.
"""

from __future__ import annotations

import logging
import math
import os
import uuid
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from corrgan.io import make_folder
from corrgan.report.associations import association_matrix
from corrgan.report.checks import check_tables
from corrgan.report.encoding import (
    EncodedTable,
    TableSchema,
    encode_tables,
    stream,
    subsample,
)
from corrgan.report.metrics import ks_complement_values, tv_complement_codes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

# the heatmaps follow the report's pair metrics in how many rows they use
PLOT_MAX_ROWS = 50_000
HISTOGRAM_BINS = 30
MAX_BARS = 25
# cell values are printed only while they stay legible
MAX_ANNOTATED_COLUMNS = 12
# a heatmap grows with its columns up to this side, in inches; past it the
# labels shrink instead, so a wide table's figure stays quick to draw and a
# size a screen can show
MAX_HEATMAP_INCHES = 16.0
# marginal panels per row, and their size in inches, for narrow and wide tables
PANELS_PER_ROW, WIDE_PANELS_PER_ROW, WIDE_TABLE_COLUMNS = 4, 6, 24

# matplotlib's ticks and axis transforms take spans, multiples and inverses of
# the plotted values, which overflow for values far outside this range of
# magnitudes (a span past 1.8e308, the inverse of a 1e-310 span); a column
# whose largest magnitude lies outside it is drawn divided by a power of ten
PLAIN_MAGNITUDES = (1e-100, 1e100)

REAL_COLOR = "#4c72b0"
SYNTHETIC_COLOR = "#dd8452"


def _figure(**options: Any) -> Figure:
    # matplotlib loads slowly, so it is imported once a figure is needed; a
    # bare Figure draws on the Agg canvas and never touches pyplot
    from matplotlib.figure import Figure

    return Figure(layout="constrained", **options)


def _colormap(name: str) -> Colormap:
    from matplotlib import colormaps

    return colormaps[name].with_extremes(bad="#d9d9d9")


def _save(figure: Figure, path: Path) -> Path:
    # a hidden temporary name in the same folder, so the rename is atomic; a
    # plain open keeps the usual permissions (tempfile's files are private)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        # a glyph the font lacks (CJK names) or a layout that does not fit
        # (very long names) still draws; matplotlib's warnings say nothing new.
        # It attributes them to its caller (this module), so a filter on the
        # module "matplotlib" would never match them
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            figure.savefig(temporary, format="png", dpi=110)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    logger.debug("wrote %s", path)
    return path


def _heatmap(
    matrix: np.ndarray,
    names: list[str],
    title: str,
    *,
    limit: float,
    cmap: str,
    label: str,
) -> Figure:
    side = min(max(4.5, 0.55 * len(names) + 2.5), MAX_HEATMAP_INCHES)
    # labels a little under the height of their row (72 points an inch)
    font = min(10.0, max(3.0, 0.7 * 72 * (side - 2.5) / max(len(names), 1)))
    figure = _figure(figsize=(side + 1.0, side))
    axes = figure.subplots()
    masked = np.ma.masked_invalid(matrix)
    image = axes.imshow(masked, cmap=_colormap(cmap), vmin=-limit, vmax=limit)
    axes.set_xticks(
        range(len(names)), labels=names, rotation=45, ha="right", fontsize=font
    )
    axes.set_yticks(range(len(names)), labels=names, fontsize=font)
    axes.set_title(title)
    if len(names) <= MAX_ANNOTATED_COLUMNS:
        for (row, col), value in np.ndenumerate(matrix):
            text = "n/a" if np.isnan(value) else f"{value:.2f}"
            dark = not np.isnan(value) and abs(value) > 0.6 * limit
            axes.text(
                col,
                row,
                text,
                ha="center",
                va="center",
                fontsize=8,
                color="white" if dark else "black",
            )
    figure.colorbar(image, ax=axes, shrink=0.8, label=label)
    return figure


def plot_exponent(values: np.ndarray) -> int:
    """The power of ten a numeric column is divided by in its marginal panel.

    0 while the largest magnitude of ``values`` (finite, without NaN) lies in
    :data:`PLAIN_MAGNITUDES` or is 0, else that magnitude's decimal exponent.
    """
    largest = float(np.abs(values).max(initial=0.0))
    low, high = PLAIN_MAGNITUDES
    if largest == 0.0 or low <= largest <= high:
        return 0
    return math.floor(math.log10(largest))


def _divided_by_power_of_ten(values: np.ndarray, exponent: int) -> np.ndarray:
    # two factors, each a normal float64, reach from the subnormal values up
    # to the largest ones, where a single power of ten would overflow
    first = exponent // 2
    return values * 10.0 ** (-first) * 10.0 ** (first - exponent)


def _histogram_edges(pooled: np.ndarray) -> np.ndarray:
    try:
        return np.histogram_bin_edges(pooled, bins=HISTOGRAM_BINS)
    except ValueError:
        # a constant column far from zero (a date, 1e16) leaves no room for
        # 30 finite-sized bins: one bin around the value shows it as it is
        low, high = float(pooled.min()), float(pooled.max())
        spread = max(abs(low), 1.0) * 1e-6
        return np.array([low - spread, high + spread])


def _numeric_panel(axes: Axes, name: str, real: np.ndarray, synthetic: np.ndarray):
    real = real[~np.isnan(real)]
    synthetic = synthetic[~np.isnan(synthetic)]
    score = ks_complement_values(real, synthetic)
    suffix = "" if score is None else f"  (KS compl. {score:.3f})"
    axes.set_title(f"{name}{suffix}", fontsize=9)
    axes.set_yticks([])
    pooled = np.concatenate([real, synthetic])
    if len(pooled) == 0:
        axes.text(0.5, 0.5, "no values", ha="center", transform=axes.transAxes)
        return

    # values near the float64 limits are drawn rescaled, as the label says
    exponent = plot_exponent(pooled)
    if exponent:
        real, synthetic, pooled = (
            _divided_by_power_of_ten(values, exponent)
            for values in (real, synthetic, pooled)
        )
        axes.set_xlabel(f"value / 1e{exponent:+d}", fontsize=8)

    # one side without values draws no histogram (its density would be 0/0)
    edges = _histogram_edges(pooled)
    if len(real):
        axes.hist(real, bins=edges, density=True, color=REAL_COLOR, alpha=0.55)
    if len(synthetic):
        axes.hist(
            synthetic, bins=edges, density=True, histtype="step", color=SYNTHETIC_COLOR
        )
    for role, values in (("real", real), ("synthetic", synthetic)):
        if len(values) == 0:
            axes.text(
                0.5,
                0.9,
                f"no {role} values",
                ha="center",
                transform=axes.transAxes,
                bbox={"facecolor": "white", "edgecolor": "none"},
            )


def _categorical_panel(
    axes: Axes,
    name: str,
    schema: TableSchema,
    real: np.ndarray,
    synthetic: np.ndarray,
):
    n_levels = schema.n_levels(name)
    real_share = np.bincount(real, minlength=n_levels) / max(len(real), 1)
    synthetic_share = np.bincount(synthetic, minlength=n_levels) / max(
        len(synthetic), 1
    )

    # the most common levels by name, the rest pooled into one bar
    order = np.argsort(-(real_share + synthetic_share), kind="stable")
    order = order[(real_share + synthetic_share)[order] > 0]
    shown, rest = order[:MAX_BARS], order[MAX_BARS:]
    labels = [schema.label_text(name, code) or "(null)" for code in shown]
    real_bars, synthetic_bars = list(real_share[shown]), list(synthetic_share[shown])
    if len(rest):
        labels.append(f"other ({len(rest)})")
        real_bars.append(real_share[rest].sum())
        synthetic_bars.append(synthetic_share[rest].sum())
    positions = np.arange(len(labels))
    axes.bar(positions - 0.2, real_bars, width=0.4, color=REAL_COLOR)
    axes.bar(positions + 0.2, synthetic_bars, width=0.4, color=SYNTHETIC_COLOR)
    axes.set_xticks(positions, labels=labels, rotation=60, ha="right", fontsize=7)
    score = tv_complement_codes(real, synthetic, n_levels)
    suffix = "" if score is None else f"  (TV compl. {score:.3f})"
    axes.set_title(f"{name}{suffix}", fontsize=9)


def _marginals(real: EncodedTable, synthetic: EncodedTable, schema: TableSchema):
    names = schema.names
    wide = len(names) > WIDE_TABLE_COLUMNS
    n_cols = min(WIDE_PANELS_PER_ROW if wide else PANELS_PER_ROW, len(names))
    n_rows = math.ceil(len(names) / n_cols)
    width, height = (3.0, 2.4) if wide else (3.6, 2.9)
    figure = _figure(figsize=(width * n_cols, height * n_rows + 0.6))
    grid = np.atleast_1d(figure.subplots(n_rows, n_cols, squeeze=False)).ravel()
    for axes, name in zip(grid, names, strict=False):
        if schema.is_numeric(name):
            _numeric_panel(axes, name, real.columns[name], synthetic.columns[name])
        else:
            _categorical_panel(
                axes, name, schema, real.columns[name], synthetic.columns[name]
            )
    for axes in grid[len(names) :]:
        axes.set_visible(False)
    from matplotlib.patches import Patch

    handles = [
        Patch(color=REAL_COLOR, label="real"),
        Patch(color=SYNTHETIC_COLOR, label="synthetic"),
    ]
    figure.legend(handles=handles, loc="outside lower center", ncols=2)
    figure.suptitle("Marginals: real and synthetic", fontsize=11)
    return figure


def write_plots(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    categorical: Sequence[str],
    out_dir: Path,
) -> list[Path]:
    """Write the association heatmaps and the marginal overlays as PNG files.

    Writes ``association_real.png`` and ``association_synthetic.png`` (the
    mixed association matrix, on one colour scale from -1 to 1),
    ``association_delta.png`` (synthetic minus real, on a scale symmetric
    around 0) and ``marginals.png`` (a histogram per numeric column on bins
    shared by both tables, a bar chart of level shares per categorical one).
    A numeric column with magnitudes near float64's limits is drawn divided by
    a power of ten that its axis label names (see :func:`plot_exponent`), and
    a table with no value in a column is named in that column's panel.

    Args:
        real: The real table.
        synthetic: The synthetic table, with the same columns.
        categorical: The categorical columns.
        out_dir: The folder to write to; created when missing.

    Returns:
        The paths written, in the order above.

    Raises:
        CorrganError: If the tables do not fit together.
    """
    # check and encode as the report does, and sample the pair rows the same way
    specs = check_tables(real, synthetic, categorical=categorical)
    schema, encoded = encode_tables({"real": real, "synthetic": synthetic}, specs)
    names = schema.names
    matrices = {
        role: association_matrix(
            subsample(table, PLOT_MAX_ROWS, stream(0, f"plots/{role}")), schema, names
        )
        for role, table in encoded.items()
    }
    delta = matrices["synthetic"] - matrices["real"]
    delta_limit = float(np.nanmax(np.abs(delta), initial=0.0))
    delta_limit = max(delta_limit, 0.05)

    # heatmaps and marginals, each written atomically
    out_dir = make_folder(out_dir, fix="pick another folder for the plots")
    label = "Pearson r / eta / Cramer's V"
    figures = {
        "association_real.png": _heatmap(
            matrices["real"],
            names,
            "Real: mixed association",
            limit=1.0,
            cmap="RdBu_r",
            label=label,
        ),
        "association_synthetic.png": _heatmap(
            matrices["synthetic"],
            names,
            "Synthetic: mixed association",
            limit=1.0,
            cmap="RdBu_r",
            label=label,
        ),
        "association_delta.png": _heatmap(
            delta,
            names,
            "Synthetic minus real",
            limit=delta_limit,
            cmap="PuOr_r",
            label="difference",
        ),
        "marginals.png": _marginals(encoded["real"], encoded["synthetic"], schema),
    }
    return [_save(figure, out_dir / name) for name, figure in figures.items()]
