"""What a layer's units do downstream, for the unit pages: the classes each unit supports most
(its direct effect on the logits) and the units of the next layer with pages that it excites
most (so a page can also list the units of the previous layer that excite it).

One job per layer, on a sample of the site's dataset. For each photo (whole, at the model's
input size) the layer's output is computed once, then the rest of the network runs on a
batch of copies of it, copy c with channel c raised by a small step everywhere: the change
in each logit (and in each next-layer channel's mean) per unit of step, averaged over the
photos, is the unit's effect: a finite-difference derivative of what follows with respect to
the unit, at the photos the dataset holds. Positive effects support a class (or excite a
unit); the page lists the strongest.
"""

from __future__ import annotations

import json

import numpy as np

from ..pipeline.jobs import Job
from ..pipeline.runtime import Runtime
from .model_cards import job_model

VERSION = 1
PHOTOS = 12         # photos of the dataset the effects average over
STEP = 0.05         # the step, as a fraction of the layer's mean absolute activation on the photo
TOP = 5             # classes (and next-layer units) kept per unit


def effects_job(card, dataset, layer: str, following: str | None, label: str) -> Job:
    """The job computing `layer`'s effects on the logits and on `following` (a later layer,
    or None), on the first PHOTOS photos of an evenly spaced sample of `dataset`."""
    n = len(dataset.images)
    picks = sorted({round(i * (n - 1) / max(PHOTOS - 1, 1)) for i in range(min(PHOTOS, n))})
    io = card.job_io()
    return Job(
        "generator.figures.unit_effects:run_effects", VERSION,
        params={"model": card.job_model, "layer": layer, "following": following, "size": card.input_size,
                "crop": "none", "step": STEP, "top": TOP, "photos": [f"image{i}" for i in picks]},
        inputs={**io["inputs"], **{f"image{i}": dataset.images[i].sha256 for i in picks}},
        files={**io["files"], **{f"image{i}": str(dataset.file(dataset.images[i])) for i in picks}},
        label=f"{label}: effects of {layer}",
    )


def run_effects(params: dict, runtime: Runtime) -> dict[str, bytes]:
    """Job: `effects.json`, {"classes": [[[class, effect], ...] per unit], "following":
    [[[unit, effect], ...] per unit] or null, "following_matrix": the mean effect of each unit
    on each later unit, rounded (for the later layer's "excited by" lists)}."""
    from .. import interpret as vi
    from ..interpret.render import torch_threads
    import torch

    model = job_model(params)
    layer, following = params["layer"], params["following"]
    module = vi.get_layer(model, layer)
    totals, later_totals = None, None
    with torch.no_grad(), torch_threads(runtime.threads):
        for name in params["photos"]:
            image = vi.load_image(params["files"][name], params["size"], params["crop"])[None]   # (1, 3, H, W)
            state = {}

            def widen(_module, _inputs, out):
                if out.shape[0] == 1:               # one photo in: the copies start here
                    out = out.repeat(channels + 1, 1, 1, 1)
                step = params["step"] * float(out[-1].abs().mean()) or params["step"]
                out = out.clone()
                out[torch.arange(channels), torch.arange(channels)] += step       # copy c: channel c raised
                state.update(step=step)
                return out

            seen = {}

            def record(_module, _inputs, out):      # returns None: the output stays as it is
                seen["later"] = out.mean((2, 3))

            channels = next(i.channels for i in vi.layers(model) if i.name == layer)
            handle = module.register_forward_hook(widen)
            later = vi.get_layer(model, following).register_forward_hook(record) if following else None
            try:
                try:
                    logits = model(image)                                           # (C + 1, K)
                except RuntimeError:                # a model that keeps its input's batch size:
                    logits = model(image.repeat(channels + 1, 1, 1, 1))             # copies from the start
            finally:
                handle.remove()
                if later is not None:
                    later.remove()
            effect = ((logits[:-1] - logits[-1:]) / state["step"]).double().numpy()  # (C, K)
            totals = effect if totals is None else totals + effect
            if following:
                moved = ((seen["later"][:-1] - seen["later"][-1:]) / state["step"]).double().numpy()  # (C, C')
                later_totals = moved if later_totals is None else later_totals + moved
    n = len(params["photos"])
    mean = totals / n
    out = {"classes": _strongest(mean, params["top"]), "following": None, "following_matrix": None}
    if following:
        later_mean = later_totals / n
        out["following"] = _strongest(later_mean, params["top"])
        out["following_matrix"] = np.round(later_mean, 4).tolist()
    return {"effects.json": json.dumps(out, sort_keys=True, separators=(",", ":")).encode()}


def _strongest(matrix: np.ndarray, top: int) -> list:
    """Per row, the `top` columns with the largest values: [[column, value], ...]."""
    order = np.argsort(-matrix, axis=1, kind="stable")[:, :top]
    return [[[int(j), round(float(matrix[i, j]), 4)] for j in row] for i, row in enumerate(order)]
