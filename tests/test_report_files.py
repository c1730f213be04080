"""write_plots and file_sha256: the files the report writes and reads."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from corrgan.errors import CorrganError
from corrgan.report import file_sha256, write_plots
from corrgan.report.plots import plot_exponent

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def small_table(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=120)
    return pd.DataFrame(
        {
            "x": x,
            "y": x + rng.normal(size=120),
            "colour": rng.choice(["red", "green", None], size=120),
            "constant": 1.0,
        }
    )


def test_write_plots_writes_every_png_and_no_temporary_file(tmp_path):
    out_dir = tmp_path / "plots"
    paths = write_plots(
        small_table(0), small_table(1), categorical=["colour"], out_dir=out_dir
    )
    assert [path.name for path in paths] == [
        "association_real.png",
        "association_synthetic.png",
        "association_delta.png",
        "marginals.png",
    ]
    for path in paths:
        assert path.parent == out_dir
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        assert path.stat().st_size > 5_000
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(p.name for p in paths)


def test_write_plots_checks_its_tables(tmp_path):
    with pytest.raises(CorrganError, match=r"missing \['y'\]"):
        write_plots(
            small_table(0),
            small_table(1).drop(columns=["y"]),
            categorical=["colour"],
            out_dir=tmp_path,
        )


LARGEST = np.finfo(np.float64).max


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(
    "values",
    [
        np.r_[LARGEST, -LARGEST, np.linspace(-1, 1, 118)],
        np.r_[LARGEST, 0.9 * LARGEST, np.linspace(-1, 1, 118)],
        np.full(120, LARGEST),
        np.linspace(-1e-308, 1e-308, 120),
        np.full(120, 5e-324),
    ],
    ids=["both-extremes", "two-near-max", "constant-max", "tiny", "constant-subnormal"],
)
@pytest.mark.parametrize("synthetic_side", ["values", "empty"])
def test_write_plots_draws_values_near_the_float64_limits(
    tmp_path, values, synthetic_side
):
    # finite values whose span or its inverse overflows float64 are drawn
    # rescaled, with no warning; an empty synthetic column draws real values
    real = small_table(0).assign(v=values)
    synthetic = small_table(1).assign(v=values[::-1])
    if synthetic_side == "empty":
        synthetic["v"] = np.nan
    paths = write_plots(real, synthetic, categorical=["colour"], out_dir=tmp_path)
    assert len(paths) == 4
    for path in paths:
        assert path.read_bytes()[:8] == PNG_SIGNATURE


def test_plot_exponent_rescales_only_extreme_columns():
    assert plot_exponent(np.array([LARGEST, -LARGEST, 0.5])) == 308
    assert plot_exponent(np.array([1e-308, -3e-309])) == -308
    assert plot_exponent(np.array([5e-324])) == -324
    assert plot_exponent(np.array([1e16, -2.5, 0.0])) == 0
    assert plot_exponent(np.array([0.0, 0.0])) == 0
    assert plot_exponent(np.array([])) == 0


def test_file_sha256_of_a_file(tmp_path):
    path = tmp_path / "table.csv"
    path.write_bytes(b"a,b\n1,2\n")
    assert file_sha256(path) == hashlib.sha256(b"a,b\n1,2\n").hexdigest()


def test_file_sha256_of_a_directory(tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    for folder, order in ((first, ["b", "a"]), (second, ["a", "b"])):
        (folder / "part=1").mkdir(parents=True)
        for name in order:
            (folder / "part=1" / f"{name}.parquet").write_bytes(name.encode() * 10)
    # bookkeeping files that parquet readers skip do not count
    (second / "_SUCCESS").write_bytes(b"")
    (second / "part=1" / ".a.parquet.crc").write_bytes(b"crc")
    digest = file_sha256(first)
    assert digest == file_sha256(second)
    assert len(digest) == 64

    # changing, renaming or adding a data file changes the digest
    (second / "part=1" / "a.parquet").write_bytes(b"changed")
    assert file_sha256(second) != digest
    (first / "part=1" / "a.parquet").rename(first / "part=1" / "c.parquet")
    assert file_sha256(first) != digest


def test_file_sha256_of_a_missing_path(tmp_path):
    with pytest.raises(CorrganError, match="no such file or directory"):
        file_sha256(tmp_path / "absent.parquet")


@pytest.mark.filterwarnings("error")
def test_write_plots_of_names_the_font_lacks_or_too_long_to_fit_warns_nothing(
    tmp_path,
):
    # matplotlib warns about a missing glyph and a layout that does not fit;
    # the figures still draw, and the report's output stays its own lines
    names = {"x": "温度_日本", "y": "y" * 300}
    real = small_table(0).rename(columns=names)
    synthetic = small_table(1).rename(columns=names)
    paths = write_plots(real, synthetic, categorical=["colour"], out_dir=tmp_path)
    assert len(paths) == 4
    for path in paths:
        assert path.read_bytes()[:8] == PNG_SIGNATURE
