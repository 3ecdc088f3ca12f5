"""Channel icons shared by every figure: the feature visualization of one channel of a layer.

An icon of (model, layer, channel, quality settings) is rendered once, whichever figures show
it. Icons are computed in fixed chunks of `CHUNK` consecutive channels (0-15, 16-31, ...), one
job per chunk, so two figures that need channels 3 and 7 of the same layer ask for the same
job and the cache runs it once:

    jobs = icon_jobs("efficientnet_lite0", "blocks.10", [3, 7, 40], "draft")   # 2 jobs
    ...                                                      # the build runs them
    tiles = icon_lookup(results, [3, 7, 40])                 # uint8 [3, S, S, 3]
    data, index = icon_sprite(results, [3, 7, 40])           # one sprite sheet for the page

`results` are the artifacts of those jobs, in any order: each chunk carries its own channel
range. Each chunk's artifacts are `icons.png` (a lossless strip of its tiles) and
`meta.json` ({"layer", "start", "stop", "size"}).

Icon settings come from the quality profile (`icon_size`, `steps`), never from a figure, so
every figure shares them. `model_for(name)` keeps one loaded model per process; figure kinds
use it in `plan` to validate layers and channels before any compute.
"""

from __future__ import annotations

import io
import json
import logging
from typing import Sequence

import numpy as np
from PIL import Image

from ..errors import SpecError
from ..pipeline.jobs import Job
from ..pipeline.sprites import pack_sprite
from .model_cards import ModelCard, compute_device, loaded_model, model_card

log = logging.getLogger(__name__)

CHUNK = 16            # channels per icon job
ICON_VERSION = 1      # bump when icons would look different for the same settings
ICON_SEED = 0

def model_for(name: str):
    """The engine model `name`, loaded once per process (eval mode, frozen weights). To check
    a spec, `model_card(name)` answers the same questions without loading it."""
    return loaded_model(name)


def render_model(name: str):
    """The model that renders feature visualizations: on the compute device (`--device`), where
    the bulk of a build's work is. Activations, attribution and groups take seconds and stay on
    the CPU model of `model_for`."""
    return loaded_model(name, compute_device())


def weights_key(model) -> str:
    """The sha256 of the model's weights, or 64 zeros for a seeded model without a file."""
    return getattr(model, "weights_sha256", None) or "0" * 64


def layer_table(model) -> list:
    """The layers of a model card, or of a loaded model (one dummy forward pass, cached)."""
    from .. import interpret as vi

    return list(model.layers) if isinstance(model, ModelCard) else vi.layers(model)


def layer_info(model, layer: str, field: str = "layer"):
    """`vi.LayerInfo` of `layer`; a SpecError naming the closest layers when it is unknown or
    has no channel map (e.g. the logits)."""
    from ..errors import did_you_mean

    infos = {info.name: info for info in layer_table(model)}
    info = infos.get(layer)
    if info is None:
        raise SpecError(f"model '{model.model_id}' has no layer '{layer}'", did_you_mean(layer, infos)
                        + " (`python -m generator layers MODEL` lists them)", field=field)
    if info.height == 1 and info.width == 1 and layer == list(infos)[-1]:
        raise SpecError(f"layer '{layer}' is the model's output, not a channel map",
                        "pick a convolutional layer", field=field)
    return info


# Icons are many (every channel a dictionary or a chart shows) and small on the page: at draft
# quality they render at 96 px for 128 steps, a third of the cost of 110 px for 256 steps and
# hard to tell apart at icon size (measured on blocks.10: 9 s against 30 s for 8 channels).
ICON_RENDER = {"draft": (96, 128)}


def icon_settings(quality: str, size: int | None = None, steps: int | None = None) -> dict:
    """The settings icons are rendered with (part of the job key): the profile's icon size
    and steps (or ICON_RENDER's cheaper ones) unless a figure overrides them (then only
    figures with the same override share)."""
    from .. import interpret as vi

    profile = vi.QUALITY[quality]
    default_size, default_steps = ICON_RENDER.get(quality, (profile.icon_size, profile.steps))
    return {"quality": quality, "size": size or default_size, "steps": steps or default_steps,
            "profile": repr(profile), "seed": ICON_SEED}


def chunks_of(units: Sequence[int]) -> list[int]:
    """The chunk starts (multiples of CHUNK) that hold `units`, ascending."""
    return sorted({int(u) // CHUNK * CHUNK for u in units})


def icon_jobs(model_name: str, layer: str, units: Sequence[int], quality: str, *,
              size: int | None = None, steps: int | None = None) -> list[Job]:
    """One job per chunk of CHUNK channels that holds any of `units`, whose artifacts are
    the icons of every channel of the chunk. Validates the layer and the channels.
    `size`/`steps` override the profile's icon settings (a figure's `size:`/`steps:`)."""
    model = model_card(model_name)
    info = layer_info(model, layer)
    bad = [u for u in units if not 0 <= int(u) < info.channels]
    if bad:
        raise SpecError(f"channel {bad[0]} is out of range for layer '{layer}', which has "
                        f"{info.channels} channels", f"use 0 to {info.channels - 1}", field="units")
    settings = icon_settings(quality, size, steps)
    jobs = []
    for start in chunks_of(units):
        stop = min(start + CHUNK, info.channels)
        jobs.append(Job(
            "generator.figures.icons:render_icons", ICON_VERSION,
            params={"model": model_name, "layer": layer, "start": start, "stop": stop, **settings},
            inputs={"weights": weights_key(model)},
            label=f"icons {layer} {start}-{stop - 1}",
        ))
    return jobs


def render_icons(params: dict) -> dict[str, bytes]:
    """Job: the channel icons of channels start..stop-1 of a layer."""
    from .. import interpret as vi

    layer, start, stop = params["layer"], params["start"], params["stop"]
    objectives = [vi.channel(layer, c) for c in range(start, stop)]
    images = vi.feature_vis(render_model(params["model"]), objectives, size=params["size"],
                            steps=params["steps"], seed=params["seed"],
                            quality=vi.QUALITY[params["quality"]])  # (n, S, S, 3)
    strip = np.concatenate(list(images), axis=1)  # (S, n*S, 3)
    out = io.BytesIO()
    Image.fromarray(strip).save(out, format="PNG", optimize=True)
    meta = {"layer": layer, "start": start, "stop": stop, "size": params["size"]}
    return {"icons.png": out.getvalue(), "meta.json": json.dumps(meta, sort_keys=True).encode()}


def icon_lookup(results: Sequence[dict[str, bytes]], units: Sequence[int]) -> np.ndarray:
    """The icons of `units`, in that order, from the artifacts of `icon_jobs`: uint8 [N, S, S, 3].
    Results of other jobs in the list are ignored (anything without an icon strip)."""
    tiles: dict[int, np.ndarray] = {}
    for result in results:
        if "icons.png" not in result or "meta.json" not in result:
            continue
        meta = json.loads(result["meta.json"])
        with Image.open(io.BytesIO(result["icons.png"])) as picture:
            strip = np.asarray(picture.convert("RGB"))  # (S, n*S, 3)
        size = meta["size"]
        for i, channel in enumerate(range(meta["start"], meta["stop"])):
            tiles[channel] = strip[:, i * size:(i + 1) * size]
    missing = [u for u in units if int(u) not in tiles]
    if missing:
        raise KeyError(f"no icon for channel {missing[0]} in the results — pass the results of icon_jobs")
    return np.stack([tiles[int(u)] for u in units])  # (N, S, S, 3)


def icon_sprite(results: Sequence[dict[str, bytes]], units: Sequence[int]) -> tuple[bytes, dict]:
    """One sprite sheet of the icons of `units` (tile i is units[i]) and its index, with
    `channels` added to the index so a page can find a channel's tile."""
    data, index = pack_sprite(icon_lookup(results, units))
    return data, {**index, "channels": [int(u) for u in units]}
