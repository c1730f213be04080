"""write_plots and file_sha256: the files the report writes and reads."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from corrgan.errors import CorrganError
from corrgan.report import file_sha256, write_plots

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
