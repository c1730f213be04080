"""The built-in default table: scikit-learn's bundled wine data.

178 wines from three cultivars, 13 chemical measurements each. It ships inside
scikit-learn, so ``corrgan train`` with no ``--data`` needs no network.
"""

from __future__ import annotations

import pyarrow as pa

DEFAULT_NAME = "wine"
DEFAULT_TARGET = "cultivar"


def load_wine() -> pa.Table:
    """The wine table with a string ``cultivar`` column as the class."""
    from sklearn.datasets import load_wine as sklearn_wine

    bunch = sklearn_wine(as_frame=True)
    frame = bunch.frame.rename(columns={"target": DEFAULT_TARGET})
    names = list(bunch.target_names)
    frame[DEFAULT_TARGET] = [names[index] for index in frame[DEFAULT_TARGET]]
    frame = frame.rename(columns=lambda name: name.replace("/", "_per_"))
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.replace_schema_metadata(None)
