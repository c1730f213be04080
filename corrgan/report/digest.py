"""Content hashes of the report's input files, so a report names its data."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from corrgan.errors import CorrganError

_CHUNK = 1 << 20

# parquet readers skip these, so they are not part of a dataset's content
_IGNORED_PREFIXES = (".", "_")


def _feed_file(update: Callable[[bytes], None], path: Path) -> None:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            update(chunk)


def file_sha256(path: Path) -> str:
    """The SHA-256 hex digest of a file, or of a directory of data files.

    For a directory (a partitioned parquet dataset, say), every regular file
    below it whose name does not start with "." or "_" is taken in order of
    its relative POSIX path; the digest runs over, for each file, the path's
    UTF-8 length (8 bytes, big-endian), the path, the file's size (8 bytes,
    big-endian) and its bytes. Moving or renaming the directory itself keeps
    the digest; renaming, adding or changing a file inside it changes it.

    Raises:
        CorrganError: If the path does not exist.
    """
    path = Path(path)
    digest = hashlib.sha256()
    if path.is_file():
        _feed_file(digest.update, path)
        return digest.hexdigest()
    if not path.is_dir():
        raise CorrganError(
            f"Cannot hash '{path}': no such file or directory. Check the path."
        )
    members = sorted(
        (member.relative_to(path).as_posix(), member)
        for member in path.rglob("*")
        if member.is_file()
        and not any(
            part.startswith(_IGNORED_PREFIXES)
            for part in member.relative_to(path).parts
        )
    )
    for relative, member in members:
        name = relative.encode("utf-8")
        digest.update(len(name).to_bytes(8, "big"))
        digest.update(name)
        digest.update(member.stat().st_size.to_bytes(8, "big"))
        _feed_file(digest.update, member)
    return digest.hexdigest()
