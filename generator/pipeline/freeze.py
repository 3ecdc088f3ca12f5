"""Committed artifacts: `articles/<slug>/_freeze/`, so a published article rebuilds anywhere.

Like Quarto's `_freeze/`, the folder holds the results of an article's jobs, meant to be
committed to git. A build looks here first (unless `fresh`); a missing or stale key is simply
not found and is recomputed. Layout, chosen to diff well:

    _freeze/index.json        provenance and, per key: fn, version, params, inputs, label,
                              and every file's size and sha256 (indented, sorted keys)
    _freeze/<key>/<name>      one file per artifact

`FreezeStore.freeze(jobs, cache)` rewrites the folder with exactly the listed entries, taken
from the cache, and swaps it into place atomically. `put` adds one entry; a freeze puts each
result as it comes, marked `pending` (for the quality it freezes at) until it ends.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import BuildError, Problem
from .cache import Cache, check_artifacts, manifest_for, read_verified
from .fsutil import atomic_write, remove_tree, sibling, swap_dir, write_synced
from .jobs import Job, is_key

log = logging.getLogger(__name__)

INDEX = "index.json"
FORMAT = 1


def _index_bytes(index: Mapping) -> bytes:
    return (json.dumps(index, sort_keys=True, indent=1, ensure_ascii=True, allow_nan=False) + "\n").encode("ascii")


def _describe(job: Job | None, key: str, artifacts: Mapping[str, bytes]) -> dict[str, Any]:
    record: dict[str, Any] = {"files": manifest_for(key, artifacts)["files"]}
    if job is not None:
        record.update(fn=job.fn, version=job.version, params=job.params, inputs=job.inputs, label=job.label)
    return record


class FreezeStore:
    """Read committed artifacts under `root`; write them with `freeze` (or `put`)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._index: dict | None = None

    def __repr__(self) -> str:
        return f"FreezeStore({str(self.root)!r})"

    @property
    def index(self) -> dict:
        """The parsed `index.json` (empty when there is none or it cannot be read)."""
        if self._index is None:
            self._index = self._load_index()
        return self._index

    def _load_index(self) -> dict:
        try:
            index = json.loads((self.root / INDEX).read_bytes())
        except FileNotFoundError:
            return {"entries": {}, "format": FORMAT, "provenance": {}}
        except (OSError, ValueError) as e:
            log.warning("%s cannot be read (%s); ignoring the freeze", self.root / INDEX, e)
            return {"entries": {}, "format": FORMAT, "provenance": {}}
        if not isinstance(index, dict) or not isinstance(index.get("entries"), dict):
            log.warning("%s has no entries; ignoring the freeze", self.root / INDEX)
            return {"entries": {}, "format": FORMAT, "provenance": {}}
        return index

    def keys(self) -> list[str]:
        """The keys listed in the index, sorted."""
        return sorted(k for k in self.index["entries"] if is_key(k))

    def has(self, key: str) -> bool:
        """Whether the index lists `key` and its folder exists (files are checked by `get`)."""
        return is_key(key) and key in self.index["entries"] and (self.root / key).is_dir()

    def get(self, key: str) -> dict[str, bytes] | None:
        """The frozen artifacts of `key`, or None when absent or not matching the index.

        A mismatch is logged and read as a miss; committed files are never deleted here.
        """
        if not self.has(key):
            return None
        files = self.index["entries"][key].get("files")
        artifacts = read_verified(self.root / key, files) if isinstance(files, dict) else None
        if artifacts is None:
            log.warning("frozen entry %s in %s does not match its index; it will be recomputed", key[:12], self.root)
        return artifacts

    def put(self, key: str, artifacts: Mapping[str, bytes], job: Job | None = None,
            pending: str | None = None) -> None:
        """Add or replace one entry, then rewrite the index (each step atomic). `pending`
        says what a freeze that has not finished put it there for (e.g. "final")."""
        if not is_key(key):
            raise ValueError(f"{key!r} is not a job key (64 lowercase hex digits)")
        artifacts = check_artifacts(artifacts, f"frozen entry {key[:12]}")
        self.root.mkdir(parents=True, exist_ok=True)
        staging = sibling(self.root / key, "new")
        staging.mkdir()
        try:
            for name in sorted(artifacts):
                write_synced(staging / name, artifacts[name])
            if (self.root / key).exists():
                remove_tree(self.root / key)
            os.rename(staging, self.root / key)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        index = self.index
        index["entries"][key] = _describe(job, key, artifacts)
        if pending:
            index["entries"][key]["pending"] = pending
        atomic_write(self.root / INDEX, _index_bytes(index))

    def freeze(self, entries: Iterable[Job | str], source: Cache, *,
               provenance: Mapping[str, Any] | None = None) -> list[str]:
        """Replace the whole folder with the listed entries copied from `source`.

        `entries` are jobs (their fn, params and label are recorded) or bare keys.
        `provenance` (e.g. quality profile, model id, package versions) goes into the index
        as given; pass no clock time if two freezes of the same work should be identical.
        Raises `BuildError` before touching anything when an entry is not in the cache.
        Returns the frozen keys, sorted.
        """
        wanted: dict[str, Job | None] = {}
        for item in entries:
            key = item.key if isinstance(item, Job) else item
            if not is_key(key):
                raise ValueError(f"{item!r} is neither a Job nor a job key")
            if wanted.get(key) is None:
                wanted[key] = item if isinstance(item, Job) else None
        found = {key: source.get(key) for key in sorted(wanted)}
        missing = [key for key, artifacts in found.items() if artifacts is None]
        if missing:
            labels = ", ".join((wanted[k].label if wanted[k] else "") or k[:12] for k in missing)
            raise BuildError([Problem(
                str(self.root), None, f"{len(missing)} result(s) to freeze are not in the cache: {labels}",
                "build the article first (python -m generator build --article SLUG), then freeze it",
            )])
        self.root.parent.mkdir(parents=True, exist_ok=True)
        staging = sibling(self.root, "new")
        staging.mkdir()
        try:
            index = {"entries": {}, "format": FORMAT, "provenance": dict(provenance or {})}
            for key, artifacts in found.items():
                (staging / key).mkdir()
                for name in sorted(artifacts):
                    write_synced(staging / key / name, artifacts[name])
                index["entries"][key] = _describe(wanted[key], key, artifacts)
            write_synced(staging / INDEX, _index_bytes(index))
            swap_dir(staging, self.root)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        self._index = index
        return sorted(found)
