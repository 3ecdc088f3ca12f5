"""Channel icons shared by every figure: the feature visualization of one channel of a layer.

An icon of (model, layer, channel, quality settings) is rendered once, whichever figures show
it. Icons are computed in fixed chunks of `CHUNK` consecutive channels (0-15, 16-31, ...), one
job per chunk, so two figures that need channels 3 and 7 of the same layer ask for the same
job and the cache runs it once:

    jobs = icon_jobs(ctx.card(), "blocks.10", [3, 7, 40], "draft")   # 2 jobs
    ...                                                      # the build runs them
    tiles = icon_lookup(results, [3, 7, 40])                 # uint8 [3, S, S, 3]
    data, index = icon_sprite(results, [3, 7, 40])           # one sprite sheet for the page

`results` are the artifacts of those jobs, in any order: each chunk carries its own channel
range. Each chunk's artifacts are `icons.png` (a lossless strip of its tiles) and
`meta.json` ({"layer", "start", "stop", "size"}).

Icon settings come from the quality profile (`generator.quality`), never from a figure, so
every figure shares them. `icon_jobs` checks the layer and the channels against the model's
card before any compute.
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
from ..quality import PROFILES
from .model_cards import ModelCard
from .render_jobs import Render, render_job

log = logging.getLogger(__name__)

CHUNK = 16            # channels per icon job
ICON_VERSION = 1      # bump when icons would look different for the same settings
ICON_SEED = 0


def icon_settings(quality: str, size: int | None = None, steps: int | None = None) -> dict:
    """The settings icons are rendered with (part of the job key): the profile's icon size
    and steps unless a figure overrides them (then only figures with the same override share)."""
    profile = PROFILES[quality]
    return {"quality": quality, "size": size or profile.icon_size, "steps": steps or profile.icon_steps,
            "profile": repr(profile.render), "seed": ICON_SEED}


def chunks_of(units: Sequence[int]) -> list[int]:
    """The chunk starts (multiples of CHUNK) that hold `units`, ascending."""
    return sorted({int(u) // CHUNK * CHUNK for u in units})


def icon_jobs(card: ModelCard, layer: str, units: Sequence[int], quality: str, *,
              size: int | None = None, steps: int | None = None) -> list[Job]:
    """One job per chunk of CHUNK channels that holds any of `units`, whose artifacts are
    the icons of every channel of the chunk. Validates the layer and the channels.
    `size`/`steps` override the profile's icon settings (a figure's `size:`/`steps:`)."""
    info = card.channel_map(layer)
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
            params={"model": card.job_model, "layer": layer, "start": start, "stop": stop, **settings},
            **card.job_io(),
            label=f"icons {layer} {start}-{stop - 1} (a chunk every figure of the layer shares)",
        ))
    return jobs


def _icon_request(params: dict) -> Render:
    from .. import interpret as vi

    return Render([vi.channel(params["layer"], c) for c in range(params["start"], params["stop"])],
                  params["seed"], params["size"], params["steps"], params["quality"])


def _icon_artifacts(params: dict, render: Render, images: np.ndarray) -> dict[str, bytes]:
    strip = np.concatenate(list(images), axis=1)  # (S, n*S, 3)
    out = io.BytesIO()
    Image.fromarray(strip).save(out, format="PNG", optimize=True)
    meta = {"layer": params["layer"], "start": params["start"], "stop": params["stop"], "size": params["size"]}
    return {"icons.png": out.getvalue(), "meta.json": json.dumps(meta, sort_keys=True).encode()}


render_icons = render_job(_icon_request, _icon_artifacts, "Job: the channel icons of channels start..stop-1 of a layer.")


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
