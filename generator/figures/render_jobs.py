"""Jobs that render feature visualizations, each written as what it asks for and what it makes
of the images:

    def icon_request(params) -> Render: ...            # objectives, seed, size, steps, quality
    def icon_artifacts(params, render, images) -> dict: # uint8 (N, S, S, 3) -> the job's files
    render_icons = render_job(icon_request, icon_artifacts, "Job: the channel icons of ...")

On the CPU each job renders alone with `vi.feature_vis` (one thread: the same bytes on every
machine). The function also carries a `Stack` (see pipeline/executors.py): on a GPU the
build hands every pending job of one function and settings to it at once, and they render
together with `vi.feature_vis_many`, hundreds of images an optimization step, where sixteen
left the GPU waiting on kernel launches. Each job's images are those it gets alone (its own
seed, starting image and transform draws), up to the last bits of a larger batch's arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..pipeline.executors import Stack
from ..pipeline.runtime import Runtime
from .model_cards import job_model


@dataclass
class Render:
    """What a render job asks for: one image per objective, rendered from `seed` at `size`
    pixels for `steps` steps with the settings of the quality profile named `quality`;
    `found`: what the request learnt that the job's artifacts need (a grid's shape, say);
    `diversity` and `batch_size` as `vi.feature_vis` takes them."""

    objectives: list[Any]
    seed: int
    size: int
    steps: int
    quality: str
    found: dict = field(default_factory=dict)
    diversity: float = 0.0
    batch_size: int | None = None


def stack_key(params: dict) -> tuple:
    """Jobs render together when they share the model (its name and the files it is loaded
    from), the profile, the size and the steps."""
    files = params.get("files") or {}
    return (params["model"], files.get("model"), files.get("weights"), params["quality"], params.get("profile"),
            params["size"], params["steps"])


def render_job(request: Callable[[dict], Render], artifacts: Callable[[dict, Render, np.ndarray], dict[str, bytes]],
               doc: str) -> Callable[[dict, Runtime], dict[str, bytes]]:
    """A job function that renders what `request(params)` asks for and returns
    `artifacts(params, request, images)`; it carries a `Stack` that renders many such jobs at once."""
    from .. import interpret as vi

    def job(params: dict, runtime: Runtime) -> dict[str, bytes]:
        r = request(params)
        images = vi.feature_vis(job_model(params, runtime.device), r.objectives, size=r.size, steps=r.steps,
                                seed=r.seed, quality=vi.QUALITY[r.quality], diversity=r.diversity,
                                batch_size=r.batch_size, threads=runtime.threads)
        return artifacts(params, r, images)

    def together(many: list[dict], runtime: Runtime) -> list[dict[str, bytes]]:
        renders = [request(params) for params in many]
        model = job_model(many[0], runtime.device)
        alike: dict[tuple, list[int]] = {}                 # renders with the same settings, together
        for i, r in enumerate(renders):
            alike.setdefault((r.size, r.steps, r.quality, r.diversity, r.batch_size), []).append(i)
        images: list[np.ndarray | None] = [None] * len(renders)
        for (size, steps, quality, diversity, batch_size), which in alike.items():
            done = vi.feature_vis_many(model, [renders[i].objectives for i in which], [renders[i].seed for i in which],
                                       size=size, steps=steps, quality=vi.QUALITY[quality], diversity=diversity,
                                       batch_size=batch_size, threads=runtime.threads)
            for i, tiles in zip(which, done, strict=True):
                images[i] = tiles
        return [artifacts(params, r, tiles) for params, r, tiles in zip(many, renders, images, strict=True)]

    job.__doc__ = doc
    job.stack = Stack(key=stack_key, run=together)
    return job
