"""What the keys of a build's cached plans and renderings hash besides their inputs: the
source of the code that makes them (`code_digest`). Every key is `pipeline.jobs.key_of`:
the sha256 of the canonical JSON of everything it depends on."""

from __future__ import annotations

import hashlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent     # generator/
_code_digests: dict[tuple[str, ...], str] = {}        # the source does not change while we run


def code_digest(*folders: str) -> str:
    """sha256 of the Python source of the package's `folders` (e.g. "figures"), once per process."""
    if folders not in _code_digests:
        digest = hashlib.sha256()
        for folder in folders:
            for path in sorted((PACKAGE / folder).glob("*.py")):
                digest.update(f"{folder}/{path.name}".encode() + b"\0" + path.read_bytes())
        _code_digests[folders] = digest.hexdigest()
    return _code_digests[folders]
