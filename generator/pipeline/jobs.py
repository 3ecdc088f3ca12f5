"""A job: one pure function of its inputs, named by the hash of everything it depends on.

A `Job` says *what* to compute, never *where* or *when*: a dotted path to the function (so any
worker process can import it), the algorithm version of the figure kind, JSON-able parameters
and the sha256 of every input file (an image, model weights). `job.key` hashes exactly those
four things, so an unchanged job is never run twice and two figures that need the same work
share it. The label is for people watching progress and is not part of the key; nor are
`files`, the local paths where the function finds its inputs (their bytes are in the key
through `inputs`, so moving a file does not invalidate anything).

    job = Job("generator.figures.feature_vis:render_icons", version=2,
              params={"layer": "blocks.10", "units": [7, 9], "size": 128},
              inputs={"weights": sha256_file(weights_path)},
              files={"weights": str(weights_path)},     # the function reads params["files"]
              label="fig-grid: icons blocks.10")
    job.key   # '3f1c…' (64 hex digits)
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, Mapping

from ..interpret.digest import sha256_file as file_digest

_FN = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys, no spaces, ASCII only, and no NaN: equal values, equal text.

    Floats are written as Python's shortest round-tripping `repr`, so a float survives a
    write and a read unchanged and the text never depends on the platform.
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def sha256_bytes(data: bytes) -> str:
    """The sha256 of `data`, as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


def key_of(identity: Any) -> str:
    """The key of anything named by what it depends on: the sha256 of the canonical JSON of
    `identity`. Jobs, plans and renderings are all keyed this way."""
    return sha256_bytes(canonical_json(identity).encode("ascii"))


_file_hashes: dict[tuple[str, int, int], str] = {}
_file_hashes_lock = threading.Lock()


def sha256_file(path: str | os.PathLike) -> str:
    """The sha256 of a file's bytes, read in 1 MiB chunks.

    Remembered in this process per (absolute path, size, mtime_ns): figures that share one
    18 MB weights file hash it once. A file rewritten in place changes size or mtime, and is
    hashed again.
    """
    path = Path(path).resolve()
    st = path.stat()
    memo = (str(path), st.st_size, st.st_mtime_ns)
    with _file_hashes_lock:
        known = _file_hashes.get(memo)
    if known is not None:
        return known
    value = file_digest(path)
    with _file_hashes_lock:
        _file_hashes[memo] = value
    return value


def normalize_params(value: Any, where: str = "params") -> Any:
    """A JSON-able copy of `value`: dict keys sorted, tuples as lists, numpy values as Python.

    Refuses what would make a key unstable or machine-specific: sets (no order), paths (hash
    the file into `inputs` instead), NaN and infinity (not JSON), non-string dict keys.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value!r} is not allowed in job params — use a finite number")
        return float(value)
    if isinstance(value, Mapping):
        out = {}
        for k in sorted(value, key=lambda k: str(k)):
            if not isinstance(k, str):
                raise TypeError(f"{where}: key {k!r} is not a string — job params need string keys")
            out[k] = normalize_params(value[k], f"{where}.{k}")
        return out
    if isinstance(value, (list, tuple)):
        return [normalize_params(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, PurePath):
        raise TypeError(
            f"{where}: a path ({value}) cannot be part of a job's key — "
            "put the file's sha256 in `inputs` and pass a name in params"
        )
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays
    if callable(tolist) and type(value).__module__.startswith("numpy"):
        return normalize_params(tolist(), where)
    raise TypeError(f"{where}: {type(value).__name__} is not JSON-able — use dicts, lists, str, numbers")


@dataclass(frozen=True, eq=False)
class Job:
    """One unit of precompute work; see the module docstring.

    `fn` is `"package.module:function"`; the function takes `params` (a dict) and returns
    `dict[str, bytes]` of named artifacts. `files` maps input names to paths on this machine:
    the function reads them as `params["files"][name]`; the key holds their sha256 (in
    `inputs`), never the path, so a moved article keeps its keys. `version` is the figure kind's algorithm version:
    bump it when the output would change for the same params. Params are normalised on
    construction (see `normalize_params`). Two jobs are equal when their keys and labels are.

    `files` maps input names to local paths; every name must also be in `inputs` (so the
    key sees the file's bytes), and the function receives them as `params["files"]`. On a
    cluster, the paths must be readable by the workers.
    """

    fn: str
    version: int
    params: Mapping[str, Any] = field(default_factory=dict)
    inputs: Mapping[str, str] = field(default_factory=dict)
    label: str = ""
    files: Mapping[str, str] = field(default_factory=dict)
    key: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.fn, str) or not _FN.fullmatch(self.fn):
            raise ValueError(f"job fn {self.fn!r} is not a dotted path — write it as 'package.module:function'")
        if isinstance(self.version, bool) or not isinstance(self.version, int):
            raise TypeError(f"job version {self.version!r} must be an int")
        params = normalize_params(dict(self.params))
        inputs = {}
        for name in sorted(self.inputs):
            digest = self.inputs[name]
            if not isinstance(name, str) or not isinstance(digest, str) or not _HEX64.fullmatch(digest):
                raise ValueError(
                    f"job input {name!r} = {digest!r} is not a sha256 — pass sha256_file(path) or sha256_bytes(data)"
                )
            inputs[name] = digest
        files = {str(name): os.fspath(path) for name, path in sorted(self.files.items())}
        unhashed = sorted(set(files) - set(inputs))
        if unhashed:
            raise ValueError(f"job files {unhashed} have no sha256 in inputs — add inputs[name] = sha256_file(path)")
        if files and "files" in params:
            raise ValueError("job params may not have a 'files' entry when the job has files — rename it")
        object.__setattr__(self, "files", files)
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "inputs", inputs)
        object.__setattr__(self, "label", str(self.label))
        identity = {"fn": self.fn, "version": self.version, "params": params, "inputs": inputs}
        object.__setattr__(self, "key", key_of(identity))

    def call_params(self) -> dict[str, Any]:
        """A private deep copy of the params, so the function cannot change the job, plus
        `files`: where this machine finds the inputs (name -> path), when the job has any."""
        params = copy.deepcopy(dict(self.params))
        if self.files:
            params["files"] = dict(self.files)
        return params

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Job):
            return NotImplemented
        return (self.key, self.label) == (other.key, other.label)

    def __hash__(self) -> int:
        return hash(self.key)


def is_key(value: object) -> bool:
    """Whether `value` looks like a job key (64 lowercase hex digits)."""
    return isinstance(value, str) and bool(_HEX64.fullmatch(value))
