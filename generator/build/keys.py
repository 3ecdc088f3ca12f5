"""What a build keeps between builds besides job results: values (front matter, parses,
plans) under the key of what they read (`remembered`), and the part of those keys that is
the source of the code that made them (`code_digest`). Every key is `pipeline.jobs.key_of`:
the sha256 of the canonical JSON of everything it depends on."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")

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


def remembered(cache, key: str | None, make: Callable[[], T]) -> T:
    """The value kept in `cache` under `key`, else `make()`, then kept there. No cache or no
    key: just `make()`. A value that cannot be read back (written by other code, whose key
    should have changed) is made again. Entries are pickles this machine's builds wrote."""
    if cache is not None and key is not None:
        found = cache.get(key)
        if found is not None and "value.pickle" in found:
            try:
                return pickle.loads(found["value.pickle"])
            except Exception:
                pass
    value = make()
    if cache is not None and key is not None:
        cache.put(key, {"value.pickle": pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)})
    return value
