"""Data a job reads as a file that is not a user's file: computed by the build (the activation
vectors an atlas lays out, the directions its icons render), kept by the sha256 of its bytes
under `.cache/blobs/`, and named in a job by that hash (`inputs`) and path (`files`). A job's
key then follows the data without the data being part of its parameters, so a freeze's index,
which records parameters, stays small. Like photos, a blob must be readable where the job
runs (a Dask cluster shares the project's folder).
"""

from __future__ import annotations

from pathlib import Path

from .fsutil import atomic_write
from .jobs import sha256_bytes


def stored(folder: Path, data: bytes) -> tuple[str, Path]:
    """(sha256, path) of `data`, written under `folder` unless it is already there."""
    digest = sha256_bytes(data)
    path = folder / digest[:2] / digest
    if not path.is_file() or path.stat().st_size != len(data):
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data)
    return digest, path
