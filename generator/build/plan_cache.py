"""A figure's plan, kept by the hash of everything the plan reads.

Planning a model figure checks its spec and lists its jobs, and some kinds look at the model
to do it: an activation grid picks each position's top channels from a forward pass, and
`units: top` ranks channels on the image. That means importing torch and loading the model,
seconds that a build whose figures did not change should not pay. So the plan (the kind's
`Plan`: its jobs and the data it keeps for rendering) is stored in the cache
under a key that hashes: the engine version, the source of the figure kinds, the pipeline and
the engine, the kind, the spec but its caption, alt text and layout (so editing them replans
nothing), the model with the sha256 of its weights, the quality and the
status, the bytes of the image the spec names (the manifest of the dataset it names) and
of every file in the article's folder
(photos, `figures.py`) except `index.md`, `_freeze/` and `reviews/`. A model known only by
loading it (a `package.module:factory` spec) has no fingerprint, so its figures always plan.

Entries are pickles written by this machine's builds into its own `.cache/`.
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import __version__
from ..article import is_scratch
from ..figures.base import Plan, clean_spec
from ..figures.inputs import named_photos, resolve_image_source
from ..interpret.registry import weights_identity
from ..pipeline.cache import Cache
from ..pipeline.jobs import key_of, sha256_file
from .keys import code_digest, remembered

_SKIP = {"index.md", "_freeze", "reviews"}
DISPLAY = ("caption", "alt", "layout")  # read when rendering, never when planning


def _code() -> str:
    """sha256 of the code a plan runs: figure kinds, pipeline and engine."""
    return code_digest("figures", "pipeline", "interpret")


def _folder_files(folder: Path) -> dict[str, str]:
    """sha256 of every file under the article's folder that a plan may read (editors'
    temporaries aside; a file that vanishes while it is read is left out)."""
    out = {}
    for base, dirs, files in os.walk(folder):
        here = Path(base)
        dirs[:] = sorted(d for d in dirs if not is_scratch(d) and d != "__pycache__"
                         and not (here == folder and d in _SKIP))
        for name in sorted(files):
            if here == folder and name in _SKIP or is_scratch(name):
                continue
            path = here / name
            try:
                out[path.relative_to(folder).as_posix()] = sha256_file(path)
            except FileNotFoundError:
                continue
    return out


def _library_versions() -> dict[str, str]:
    """Versions of the libraries a plan computes with, read without importing them."""
    from importlib import metadata

    out = {}
    for name in ("torch", "numpy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = ""
    return out


def plan_key(kind, spec: dict, ctx) -> str | None:
    """The key of a figure's plan, or None when it cannot be known without planning."""
    weights = weights_identity(ctx.model)
    if weights is None:
        return None
    clean = {k: v for k, v in clean_spec(spec).items() if k not in DISPLAY}
    inputs = {}
    for field, value in named_photos(clean):
        try:
            inputs[field] = sha256_file(resolve_image_source(value, ctx, field))
        except Exception:  # a bad path: planning reports it
            return None
    if isinstance(clean.get("dataset"), str):   # a dataset is named by its manifest
        dataset = ctx.datasets.get(clean["dataset"])
        if not hasattr(dataset, "manifest_sha256"):      # unknown or missing: planning says so
            return None
        inputs["dataset"] = dataset.manifest_sha256
    identity = {
        "engine": __version__, "code": _code(), "kind": kind.name, "version": kind.version,
        "spec": clean, "model": ctx.model, "weights": weights, "quality": ctx.quality,
        "status": ctx.status, "folder": str(ctx.article_dir), "inputs": inputs,
        "libraries": _library_versions(),
        "files": _folder_files(Path(ctx.article_dir)),
    }
    return key_of(identity)


def plan(kind, spec: dict, ctx, cache: Cache | None) -> tuple[Plan, str | None]:
    """The figure's plan and its key (None: not kept): from the cache when it is there, else
    from `kind.plan`, which is then kept."""
    key = plan_key(kind, spec, ctx) if cache is not None else None
    return remembered(cache, key, lambda: kind.plan(spec, ctx)), key


def plan_more(kind, spec: dict, ctx, planned: Plan, key: str | None, results: dict,
              cache: Cache | None) -> tuple[Plan, str | None]:
    """The next stage of a plan that names more jobs once its first ones ran, and its key:
    the key of the plan before it and the keys of the jobs it reads (their results are
    named by their keys), so a rebuild of an unchanged figure replays it without torch."""
    more_key = key_of({"plan": key, "read": [job.key for job in planned.jobs]}) if key else None
    return remembered(cache, more_key, lambda: kind.plan_more(
        spec, ctx, planned, [results[job.key] for job in planned.jobs])), more_key

