"""The correlation-fidelity report: how well a synthetic table keeps real structure.

:func:`build_report` scores a synthetic table against real held-out rows and
against reference tables (the floor and independent-column baselines) and
returns a JSON-ready dict; :func:`write_plots` draws the association matrices
and the marginals; :func:`file_sha256` names the input files by content.
"""

from corrgan.report.build import REPORT_SCHEMA_VERSION, build_report
from corrgan.report.digest import file_sha256
from corrgan.report.metrics import (
    correlation_ratio,
    correlation_similarity,
    cramers_v,
    ks_complement,
    tv_complement,
)
from corrgan.report.plots import write_plots

__all__ = [
    "REPORT_SCHEMA_VERSION",
    "build_report",
    "correlation_ratio",
    "correlation_similarity",
    "cramers_v",
    "file_sha256",
    "ks_complement",
    "tv_complement",
    "write_plots",
]
