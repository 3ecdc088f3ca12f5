"""`{feature-vis}`: units of a layer as optimized images, in a gallery with unit labels.

```{feature-vis}
id: fig-units
layer: blocks.10
units: 0-15            # a list, `0-15`, {from: 0, to: 15}, `all`, or {top: 8} (needs `image`)
objective: channel     # channel (default) | neuron | direction | an expression
diversity: 3           # optional: 3 more images per unit, made to differ, shown on hover
```

Channel galleries reuse the shared channel icons (`generator.figures.icons`), so a gallery
and a semantic dictionary of the same layer render each channel once (a `size`/`steps`
override shares only with figures that override alike). Other objectives get a job of their
own. Size and steps default to the quality profile's icon size and steps.
An expression (`channel(5) - channel(9)`) is one image and takes no `units`.

The gallery is plain HTML (tiles cut from one sprite by CSS), so it shows without script and
in print; `assets/js/feature-vis-gallery.js` adds the hover/focus card with the unit, its
objective and its diversity images.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

import numpy as np

from .. import schema as s
from ..errors import SpecError
from ..pipeline.data_script import script_safe_json
from ..pipeline.jobs import Job
from ..pipeline.runtime import Runtime
from ..pipeline.sprites import pack_sprite, unpack_sprite
from . import cells
from .base import CROP_OPTION, FigureContext, KINDS, MODEL_OPTIONS, Plan, figure_html, figure_label, figure_stem
from .icons import icon_jobs, icon_lookup, icon_settings
from .inputs import resolve_image_source
from .render_jobs import Render, render_job
from .model_cards import job_model

VERSION = 1
UNIT_OBJECTIVES = ("channel", "neuron", "direction")
DIVERSITY_WEIGHT = 10.0   # weight of Lucid's diversity term among a unit's extra images
DIRECTION_COSSIM = 1.0    # cossim_pow of the `direction` objective
_RANGE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")
_UNITS_FIX = "write a list [3, 7], a range 0-15, {from: 0, to: 15}, all, or {top: 8}"


def units_value(value: Any) -> dict:
    """Validator of `units:`: {"list": [...]}, {"all": True} or {"top": k}."""
    if isinstance(value, bool):
        raise SpecError(f"expected units, got {value!r}", _UNITS_FIX)
    if isinstance(value, int):
        value = [value]
    if isinstance(value, str):
        if value.strip() == "all":
            return {"all": True}
        match = _RANGE.match(value)
        if not match:
            raise SpecError(f"expected units, got '{value}'", _UNITS_FIX)
        value = {"from": int(match[1]), "to": int(match[2])}
    if isinstance(value, dict):
        if set(value) == {"top"}:
            return {"top": s.integer(1, 512)(value["top"])}
        if set(value) == {"from", "to"}:
            low, high = s.integer(0)(value["from"]), s.integer(0)(value["to"])
            if high < low:
                raise SpecError(f"the range {low}-{high} is empty", f"write it as {high}-{low}")
            return {"list": list(range(low, high + 1))}
        raise SpecError("expected {from: a, to: b} or {top: k}", _UNITS_FIX)
    if isinstance(value, list):
        units = s.list_of(s.integer(0))(value)
        if not units:
            raise SpecError("units is an empty list", _UNITS_FIX)
        if len(set(units)) != len(units):
            raise SpecError("units lists a unit twice", "list each unit once")
        return {"list": units}
    raise SpecError("expected units", _UNITS_FIX)


def run_top_channels(params: dict, runtime: Runtime) -> dict[str, bytes]:
    """Job: the k channels of a layer with the highest mean activation on the image, highest
    first (one forward pass), as `units.json`."""
    from .. import interpret as vi

    model = job_model(params)
    image = vi.load_image(params["files"]["image"], params["size"], params["crop"])  # (3, H, W)
    layer = params["layer"]
    mean = vi.activations(model, image, [layer])[layer].mean((1, 2))           # (C,)
    units = [int(c) for c in mean.topk(min(params["k"], mean.numel())).indices]
    return {"units.json": json.dumps(units).encode()}


def unit_objective(kind: str, layer: str, unit: int, channels: int):
    """The engine objective of one unit of a `units` gallery."""
    from .. import interpret as vi

    if kind == "neuron":
        return vi.neuron(layer, unit)
    if kind == "direction":
        vector = np.zeros(channels, dtype=np.float32)
        vector[unit] = 1.0
        return vi.direction(layer, vector, cossim_pow=DIRECTION_COSSIM)
    return vi.channel(layer, unit)


@KINDS.register
class FeatureVisFigure:
    name = "feature-vis"
    version = VERSION
    options = {
        **MODEL_OPTIONS,
        "layer": s.Option(s.text, required=True, doc="the layer (module path), e.g. blocks.10"),
        "units": s.Option(s.optional(units_value), doc="which units: list, range, all, or {top: k}"),
        "objective": s.Option(s.text, default="channel",
                              doc="channel, neuron, direction, or an expression like channel(5) - channel(9)"),
        "diversity": s.Option(s.optional(s.integer(2, 8)), doc="extra images per unit, made to differ"),
        "image": s.Option(s.optional(s.text), doc="sample:NAME or a path; needed by units: {top: k}"),
        "crop": CROP_OPTION,
        "columns": s.Option(s.optional(s.integer(1, 32)), doc="tiles per row (default: fit the width)"),
    }

    def plan(self, spec: dict, ctx: FigureContext) -> Plan:
        model = ctx.card()
        info = model.channel_map(spec["layer"])
        objective = spec["objective"]
        units = spec.get("units") or {"all": True}
        if objective not in UNIT_OBJECTIVES:
            if spec.get("units") is not None:
                raise SpecError("an objective expression names its own units",
                                "remove `units:`, or use objective: channel", field="units")
            return self._gallery(spec, ctx, [], [])       # which parses and checks the expression
        if "top" in units:   # ranked on the image by a forward pass: the gallery comes in plan_more
            if not spec.get("image"):
                raise SpecError("units: {top: k} ranks channels on an image", "add `image:`", field="units")
            job = Job("generator.figures.feature_vis:run_top_channels", VERSION,
                      params={"model": model.job_model, "layer": info.name, "k": units["top"], "size": model.input_size,
                              "crop": spec["crop"]},
                      **model.job_io(resolve_image_source(spec["image"], ctx, "image")),
                      label=f"{figure_label(spec, ctx)}: top channels {info.name}")
            return Plan([job], more=True)
        if "all" in units:
            return self._gallery(spec, ctx, list(range(info.channels)), [])
        bad = [u for u in units["list"] if u >= info.channels]
        if bad:
            raise SpecError(f"unit {bad[0]} is out of range for layer '{info.name}', which has "
                            f"{info.channels} channels", f"use 0 to {info.channels - 1}", field="units")
        return self._gallery(spec, ctx, list(units["list"]), [])

    def plan_more(self, spec: dict, ctx: FigureContext, plan: Plan, results: list) -> Plan:
        """The gallery of the channels the forward pass ranked highest."""
        return self._gallery(spec, ctx, json.loads(results[0]["units.json"]), plan.jobs)

    def _gallery(self, spec: dict, ctx: FigureContext, units: list[int], before: list) -> Plan:
        """The jobs that render `units` (or the expression), after the jobs `before`."""
        model = ctx.card()
        info = model.channel_map(spec["layer"])
        objective = spec["objective"]
        label = figure_label(spec, ctx)
        if objective in UNIT_OBJECTIVES:
            descriptions = [str(unit_objective(objective, info.name, u, info.channels)) for u in units]
        else:
            descriptions = [str(_parse(objective, info.name, model, self._settings(spec, ctx.quality)["size"]))]
        shared = objective == "channel"
        base = {"model": model.job_model, "layer": info.name, "objective": objective, "units": units,
                **self._settings(spec, ctx.quality)}
        io = model.job_io()
        if shared:
            jobs = icon_jobs(model, info.name, units, ctx.quality, size=spec.get("size"),
                             steps=spec.get("steps"))
        else:
            jobs = [Job("generator.figures.feature_vis:render_units", VERSION, params=base, **io,
                        label=f"{label}: {objective} {info.name}")]
        data = {"units": units, "objectives": descriptions, "shared": shared,
                "first": len(before), "main_jobs": len(jobs)}
        if spec.get("diversity"):
            jobs.append(Job("generator.figures.feature_vis:render_diverse", VERSION,
                            params={**base, "n": spec["diversity"], "weight": DIVERSITY_WEIGHT},
                            **io, label=f"{label}: diversity {info.name}"))
        return Plan(list(before) + jobs, data)

    @staticmethod
    def _settings(spec: dict, quality: str) -> dict:
        return icon_settings(quality, spec.get("size"), spec.get("steps"))

    def notebook(self, spec: dict, ctx: FigureContext) -> cells.Cells:
        """The figure reproduced with the public API, in a notebook."""
        settings = icon_settings(ctx.quality, spec.get("size"), spec.get("steps"))
        units = spec.get("units") or {"all": True}
        layer = spec["layer"]
        if "list" in units:
            pick = f"units = {units['list']!r}"
        elif "top" in units:
            pick = (f"mean = vi.activations(model, image, [{layer!r}])[{layer!r}].mean((1, 2))   # (C,)\n"
                    f"units = mean.topk({units['top']}).indices.tolist()   # the most active channels")
        else:
            pick = f"units = range(next(l.channels for l in vi.layers(model) if l.name == {layer!r}))"
        if spec["objective"] == "channel":
            objectives = f"[vi.channel({layer!r}, u) for u in units]"
        else:
            objectives = f"[vi.parse_objective({spec['objective']!r}, layer={layer!r})]"
        return [
            ("markdown", f"Each unit of `{layer}` is rendered as the image that excites it most, "
                         "all units in one batch."),
            ("code", f"{cells.setup(spec, ctx)}\n{pick}\n"
                     f"images = vi.feature_vis(model, {objectives}, size={settings['size']}, "
                     f"steps={settings['steps']},\n"
                     f"                        seed={settings['seed']}, quality=vi.QUALITY[{ctx.quality!r}])   # uint8 [N, S, S, 3]\n"
                     f"{cells.SHOW}\n\nshow(images)"),
        ]

    def render(self, spec: dict, ctx: FigureContext, plan: Plan, results: list[dict[str, bytes]]) -> str:
        gallery = plan.data
        main = results[gallery["first"]:gallery["first"] + gallery["main_jobs"]]
        if gallery["shared"]:
            images = icon_lookup(main, gallery["units"])
        else:
            images = _images(main[0])
        stem = figure_stem(spec, ctx)
        data, index = pack_sprite(images)
        sprite = ctx.emit.data(f"{stem}-units", index["format"], data)
        payload: dict = {"layer": spec["layer"], "units": gallery["units"],
                         "objectives": gallery["objectives"], "tile": index["tile"][0]}
        if spec.get("diversity"):
            extra = _images(results[-1])
            d_data, d_index = pack_sprite(extra, columns=spec["diversity"])
            payload["diversity"] = {"src": ctx.emit.data(f"{stem}-diversity", d_index["format"], d_data),
                                    "per": spec["diversity"], "index": d_index}
        ctx.emit.style("css/feature-vis-gallery.css")
        ctx.emit.script("js/feature-vis-gallery.js")
        return figure_html(spec, ctx, gallery_html(spec, sprite, index, payload),
                           extra_class="figure-feature-vis")


def gallery_html(spec: dict, sprite: str, index: dict, payload: dict) -> str:
    """The gallery as plain HTML: one labelled tile per image, cut from the sprite (the tile
    size and offsets are the only styles written here; the rest is the component's CSS)."""
    tile = index["tile"][0]
    alt = html.escape(spec.get("alt") or "", quote=True)
    columns = spec.get("columns")
    grid = f' fv-columns" style="grid-template-columns:repeat({columns},{tile}px)' if columns else ""
    tiles = []
    labels = payload["units"] or [None]
    for i, unit in enumerate(labels):
        x, y = (i % index["columns"]) * tile, (i // index["columns"]) * tile
        name = f"{payload['layer']}:{unit}" if unit is not None else payload["objectives"][0]
        tiles.append(
            f'<li class="fv-unit" tabindex="0" data-i="{i}" aria-label="{html.escape(name, quote=True)}">'
            f'<span class="fv-crop" style="width:{tile}px;height:{tile}px">'
            f'<img src="{html.escape(sprite)}" alt="" width="{index["width"]}" height="{index["height"]}" '
            f'style="margin:-{y}px 0 0 -{x}px" loading="lazy" decoding="async"></span>'
            f'<span class="fv-label">{html.escape(str(unit) if unit is not None else "objective")}</span></li>')
    data = script_safe_json(payload)
    return (f'<vellum-feature-vis role="group" aria-label="{alt}">\n'
            f'<ul class="fv-gallery{grid}">\n' + "\n".join(tiles) + "\n</ul>\n"
            f'<script type="application/json" class="fv-data">{data}</script>\n'
            f"</vellum-feature-vis>")


def _parse(expression: str, layer: str, model, size: int | None = None):
    """The objective of an expression; its layers must exist in the model, and with `size`
    (the side it renders at) its channels and positions must too."""
    from .. import interpret as vi

    objective = vi.parse_objective(expression, layer=layer)
    for name in objective.layers:
        if name:
            model.channel_map(name, field="objective")
    if size:
        _try(objective, model, size)
    return objective


def _try(objective, model, size: int) -> None:
    """Evaluate `objective` on zeros shaped as the model's layers are at `size`: a channel, a
    class or a position out of range is a SpecError when the figure is planned (and `check`
    says it), not a job's failure minutes later."""
    import math

    import torch

    from .. import interpret as vi
    from ..interpret.objectives import Context

    scale = size / model.input_size
    acts = {"": torch.zeros(1, max(1, model.classes))}
    for name in objective.layers:
        if name:
            info = model.layer(name)
            acts[name] = torch.zeros(1, info.channels, max(1, math.ceil(info.height * scale)),
                                     max(1, math.ceil(info.width * scale)))
    try:
        objective(Context(acts, torch.zeros(1, 3, size, size)))
    except vi.InterpretError as err:
        raise SpecError(err.message, err.fix, field="objective") from None
    except Exception:  # noqa: BLE001 - anything else the render itself will say
        pass


def _objectives(params: dict) -> list:
    """The engine objectives of a job's units (or of its expression), checked when planned."""
    from .. import interpret as vi

    if params["objective"] in UNIT_OBJECTIVES:
        channels = next(i.channels for i in vi.layers(job_model(params)) if i.name == params["layer"])
        return [unit_objective(params["objective"], params["layer"], u, channels) for u in params["units"]]
    return [vi.parse_objective(params["objective"], layer=params["layer"])]


def _encode(images: np.ndarray, webp_quality: int | None = None) -> dict[str, bytes]:
    """A job's images as a sprite: lossless (re-packed at render) unless a quality is given."""
    data, index = pack_sprite(images, webp_quality=webp_quality)
    return {"images": data, "index.json": json.dumps(index, sort_keys=True).encode()}


def _images(result: dict[str, bytes]) -> np.ndarray:
    return unpack_sprite(result["images"], json.loads(result["index.json"]))[..., :3]


render_units = render_job(
    lambda params: Render(_objectives(params), params["seed"], params["size"], params["steps"], params["quality"]),
    lambda params, render, images: _encode(images),
    "Job: one image per unit (or one for an expression), uint8 tiles in a lossless sprite.")


def _diverse_request(params: dict) -> Render:
    """`n` copies of each unit's objective, a unit's copies in one batch, seed + 1."""
    from .. import interpret as vi

    n = params["n"]
    objectives = [o for o in _objectives(params) for _ in range(n)]
    batch = max(n, vi.QUALITY[params["quality"]].batch_size // n * n)   # keep a unit's images in one batch
    return Render(objectives, params["seed"] + 1, params["size"], params["steps"], params["quality"],
                  diversity=params["weight"], batch_size=batch)


render_diverse = render_job(_diverse_request, lambda params, render, images: _encode(images, params.get("webp")),
                            """Job: `n` images per unit, optimized together with a diversity penalty among them.
    Tiles are grouped by unit: unit i's images are tiles i*n .. i*n+n-1.""")
