"""One way to name a build's cached work: the sha256 of the canonical JSON of everything it
depends on. Jobs hash their function, version, params and inputs (`pipeline.jobs`); a plan
and a rendering hash what `plan_cache.py` and `render_cache.py` list, which includes the
source of the code that makes them (`code_digest`)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from ..pipeline.jobs import canonical_json

PACKAGE = Path(__file__).resolve().parent.parent     # generator/
_code_digests: dict[tuple[str, ...], str] = {}        # the source does not change while we run


def key_of(identity: Any) -> str:
    """The key of a JSON-able identity: 64 hex digits."""
    return hashlib.sha256(canonical_json(identity).encode("utf-8")).hexdigest()


def code_digest(*folders: str) -> str:
    """sha256 of the Python source of the package's `folders` (e.g. "figures"), once per process."""
    if folders not in _code_digests:
        digest = hashlib.sha256()
        for folder in folders:
            for path in sorted((PACKAGE / folder).glob("*.py")):
                digest.update(f"{folder}/{path.name}".encode() + b"\0" + path.read_bytes())
        _code_digests[folders] = digest.hexdigest()
    return _code_digests[folders]
