"""`build/<slug>/provenance.json`: where every figure's numbers came from.

For each figure: its spec, the keys of its jobs, the model and the sha256 of its weights,
the engine version, seed and quality, and for each job the device, library versions and
seconds it took when it was computed (from the run record that travels with its result
through the cache and the freeze, so a rebuild from cache reports the same).
"""

from __future__ import annotations

import json
from typing import Any

from .. import __version__
from ..figures.base import clean_spec
from ..pipeline.executors import RUN_RECORD


def article_provenance(page, results: dict) -> bytes:
    figures = [figure_provenance(f, results) for f in page.figures]
    doc = {"article": page.article.slug, "engine_version": __version__, "figures": figures}
    return (json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def figure_provenance(figure, results: dict) -> dict[str, Any]:
    jobs = []
    for job in figure.jobs:
        record = {}
        raw = results.get(job.key, {}).get(RUN_RECORD)
        if raw:
            record = json.loads(raw)
        jobs.append({
            "key": job.key, "label": job.label, "fn": job.fn, "version": job.version,
            "inputs": dict(job.inputs), "seed": job.params.get("seed"),
            "seconds": record.get("seconds"), "device": record.get("device"),
            "versions": record.get("versions"),
        })
    weights = sorted({j.inputs["weights"] for j in figure.jobs if "weights" in j.inputs})
    seeds = sorted({j["seed"] for j in jobs if j["seed"] is not None})
    model_kind = bool(weights) or "model" in figure.kind.options
    return {
        "id": figure.directive.id,
        "number": figure.directive.number,
        "kind": figure.kind.name,
        "kind_version": figure.kind.version,
        "spec": clean_spec(figure.spec),
        "quality": figure.ctx.quality if figure.ctx and model_kind else None,
        "model": figure.ctx.model_shown if figure.ctx and model_kind else None,
        "weights_sha256": weights[0] if len(weights) == 1 else (weights or None),
        "seed": seeds[0] if len(seeds) == 1 else (seeds or None),
        "seconds": round(sum(j["seconds"] or 0 for j in jobs), 3),
        "jobs": jobs,
    }
