"""corrgan: correlation-preserving synthetic tables from an attention GAN."""

import os
from importlib.metadata import PackageNotFoundError, version

# OpenMP threads that spin while they wait for each other slow every operator
# down several times over as soon as another process shares the cores; on an
# idle machine spinning is faster (benchmarks.threads, in docs/benchmarks.md).
# Training uses one thread by default, which has no team to wait for, so this
# matters for --threads 2 and more. It must be set before torch loads its
# OpenMP runtime; a policy already in the environment wins, and so does a
# GOMP_SPINCOUNT.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

try:
    __version__ = version("corrgan")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["Synthesizer", "__version__", "evaluate", "fit", "load"]


def __getattr__(name: str):
    # the Python interface loads torch and pandas: only when it is used, so
    # that `corrgan --version` and `--help` stay quick
    if name in {"Synthesizer", "evaluate", "fit", "load"}:
        from corrgan import api

        return getattr(api, name)
    raise AttributeError(f"module 'corrgan' has no attribute {name!r}")
