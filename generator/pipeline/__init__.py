"""Precompute: jobs keyed by content, a cache and a freeze, executors, and the site's files.

A figure kind turns its spec into `Job`s; `run_jobs` returns their artifacts, computing only
what neither the article's `_freeze/` nor the `.cache/` holds; the build packs images with
`pack_sprite`, numbers with `quantize`, data with `data_script`, collects every file in an
`OutputTree` under content-hashed names, and publishes it atomically.

This package imports nothing from the rest of `generator` but `generator.errors` and the
engine (`generator.interpret`, below it).
"""

from .cache import Cache
from .data_script import data_script, script_safe_json
from .executors import DaskExecutor, Executor, InProcessExecutor, JobFailed, LocalPoolExecutor, execute, run_jobs
from .freeze import FreezeStore
from .jobs import Job, canonical_json, normalize_params, sha256_bytes, sha256_file
from .output import OutputConflict, OutputTree, hashed_name
from .progress import NullProgress, Progress, TqdmProgress
from .quantize import dequantize, quantize
from .runtime import Runtime
from .sprites import pack_sprite, unpack_sprite

__all__ = [
    "Cache", "DaskExecutor", "Executor", "FreezeStore", "InProcessExecutor", "Job", "JobFailed", "LocalPoolExecutor",
    "NullProgress", "OutputConflict", "OutputTree", "Progress", "Runtime", "TqdmProgress",
    "canonical_json", "data_script", "dequantize", "execute", "hashed_name", "normalize_params",
    "pack_sprite", "quantize", "run_jobs", "script_safe_json", "sha256_bytes", "sha256_file",
    "unpack_sprite",
]
