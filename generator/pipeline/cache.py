"""The content-addressed cache: job key -> named artifacts, written atomically.

Layout under the root (`.cache/` by default, outside `build/`):

    .cache/ab/ab12…ef/_manifest.json   names, sizes and sha256 of the artifacts
    .cache/ab/ab12…ef/<name>           one file per artifact
    .cache/tmp/                        entries being written; never read

A `put` writes every file into a fresh directory under `tmp/`, fsyncs them, then renames the
directory into place: readers see a whole entry or none, and a process killed midway leaves
only a temp directory, which is ignored and swept later. A `get` checks every file against the
manifest; an entry that does not match (a disk error, a hand edit) is removed and reads as a
miss, so the job simply runs again.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import time
import uuid
from pathlib import Path
from typing import Callable, Mapping

from .fsutil import fsync_dir, remove_tree, write_synced
from .jobs import canonical_json, is_key, sha256_bytes

log = logging.getLogger(__name__)

MANIFEST = "_manifest.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_STALE_TEMP_SECONDS = 3600.0

Writer = Callable[[Path, bytes], None]


def check_artifacts(artifacts: Mapping[str, bytes], origin: str = "artifacts") -> dict[str, bytes]:
    """`artifacts` as a plain `dict[str, bytes]`, or a `TypeError`/`ValueError` saying what is wrong.

    Names become file names: letters, digits, `.`, `_`, `-`, starting with a letter or digit.
    """
    if not isinstance(artifacts, Mapping):
        raise TypeError(f"{origin}: expected dict[str, bytes], got {type(artifacts).__name__}")
    out = {}
    for name, data in artifacts.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(
                f"{origin}: artifact name {name!r} is not a safe file name — "
                "use letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"{origin}: artifact {name!r} is {type(data).__name__}, expected bytes")
        out[name] = bytes(data)
    return out


def manifest_for(key: str, artifacts: Mapping[str, bytes]) -> dict:
    """The manifest stored beside an entry: every artifact's size and sha256."""
    files = {name: {"sha256": sha256_bytes(data), "size": len(data)} for name, data in artifacts.items()}
    return {"key": key, "files": files}


def read_verified(directory: Path, files: Mapping[str, Mapping]) -> dict[str, bytes] | None:
    """Read the listed files from `directory`; None when any is missing or differs."""
    out = {}
    for name, meta in files.items():
        if not _NAME.fullmatch(name):
            return None
        try:
            data = (directory / name).read_bytes()
        except OSError:
            return None
        if len(data) != meta.get("size") or sha256_bytes(data) != meta.get("sha256"):
            return None
        out[name] = data
    return out


class Cache:
    """A content-addressed store of job results under `root`.

    `writer(path, data)` writes one new file; it is injectable so tests can fail a write
    midway. `clock` gives the time used to judge abandoned temp directories.
    """

    def __init__(self, root: str | os.PathLike, *, writer: Writer = write_synced,
                 clock: Callable[[], float] = time.time):
        self.root = Path(root)
        self.tmp = self.root / "tmp"
        self._writer = writer
        self._clock = clock
        self._swept = False

    def __repr__(self) -> str:
        return f"Cache({str(self.root)!r})"

    def path(self, key: str) -> Path:
        """The directory of the entry for `key` (which may not exist)."""
        if not is_key(key):
            raise ValueError(f"{key!r} is not a job key (64 lowercase hex digits)")
        return self.root / key[:2] / key

    def has(self, key: str) -> bool:
        """Whether an entry exists; cheap, so it does not verify the files (`get` does)."""
        return (self.path(key) / MANIFEST).is_file()

    def get(self, key: str) -> dict[str, bytes] | None:
        """The artifacts stored for `key`, or None. A corrupt entry is removed and reads as None."""
        entry = self.path(key)
        try:
            manifest = json.loads((entry / MANIFEST).read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            manifest = None
        artifacts = None
        if isinstance(manifest, dict) and manifest.get("key") == key and isinstance(manifest.get("files"), dict):
            artifacts = read_verified(entry, manifest["files"])
        if artifacts is None:
            log.warning("cache entry %s is corrupt; removing it, the job will run again", key[:12])
            remove_tree(entry, self.tmp)
        return artifacts

    def put(self, key: str, artifacts: Mapping[str, bytes]) -> None:
        """Store `artifacts` under `key`, replacing any entry there, atomically."""
        entry = self.path(key)
        artifacts = check_artifacts(artifacts, f"cache entry {key[:12]}")
        self._sweep_once()
        self.tmp.mkdir(parents=True, exist_ok=True)
        staging = self.tmp / f"{key}__{socket.gethostname()}__{os.getpid()}__{uuid.uuid4().hex[:8]}"
        staging.mkdir()
        try:
            for name in sorted(artifacts):
                self._writer(staging / name, artifacts[name])
            self._writer(staging / MANIFEST, canonical_json(manifest_for(key, artifacts)).encode("ascii"))
            fsync_dir(staging)
            entry.parent.mkdir(parents=True, exist_ok=True)
            if entry.exists():
                remove_tree(entry, self.tmp)
            try:
                os.rename(staging, entry)
            except OSError:
                if not entry.exists():  # another process won the race: its entry is as good
                    raise
            fsync_dir(entry.parent)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def sweep(self) -> int:
        """Remove temp directories left by killed processes; returns how many went.

        A temp directory is abandoned when its process (on this host) is gone, or when it
        is more than an hour old (a process on another host sharing the cache).
        """
        if not self.tmp.is_dir():
            return 0
        removed = 0
        host = socket.gethostname()
        for child in self.tmp.iterdir():
            if _abandoned(child, host, self._clock()):
                shutil.rmtree(child, ignore_errors=True)
                removed += 1
        return removed

    def _sweep_once(self) -> None:
        if not self._swept:
            self._swept = True
            self.sweep()


def _abandoned(path: Path, host: str, now: float) -> bool:
    """Whether a temp directory belongs to no live writer."""
    if path.name.startswith("gone-"):
        return True
    try:
        age = now - path.stat().st_mtime
    except OSError:
        return False
    parts = path.name.split("__")  # key__host__pid__random
    if len(parts) == 4 and parts[1] == host and parts[2].isdigit():
        pid = int(parts[2])
        if pid == os.getpid():
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass
    return age > _STALE_TEMP_SECONDS


class ReadOnlyCache:
    """A cache that is read and never written: what `check` plans with, so checking leaves
    `.cache/` as it was."""

    def __init__(self, cache: Cache):
        self.cache = cache

    def get(self, key: str) -> dict[str, bytes] | None:
        return self.cache.get(key)

    def put(self, key: str, artifacts: Mapping[str, bytes]) -> None:
        pass
