"""`{neuron-groups}`: a layer's activations factored into a few groups of neurons (NMF), each
shown as where it is present in the image, what it looks like, and what it votes for.

```{neuron-groups}
image: sample:chelsea
layer: blocks.10          # or layers: [blocks.6, blocks.10] for groups of two layers
groups: 6
classes: [285, 282]       # optional; default: the model's top 4 classes for the image
```

One job (the icons depend on the factorization, so they cannot be shared chunks): NMF of each
layer (`vi.neuron_groups`, negative activations split into two channels), each group's map
(uint8, a scale per group), its icon (`vi.direction` feature vis at the profile's
group icon size, `generator.quality`), group -> class attribution (float16) and, for two layers, group -> group.
`js/neuron-groups.js` shows the groups as cards; hovering one shows its map over the image
and highlights its rows in the attribution tables.
"""

from __future__ import annotations

import html
import io
import json

import numpy as np
from PIL import Image

from .. import schema as s
from ..errors import SpecError
from ..pipeline.jobs import Job
from ..pipeline.runtime import Runtime
from ..pipeline.sprites import pack_sprite
from ..quality import PROFILES
from .attribution_common import (
    named_classes,
    class_value,
    emit_data,
    encode,
    fallback_img,
    image_srcset,
    photo_params,
    photo_shape,
    jpeg,
    load_input,
    model_and_image,
    to_uint8,
)
from . import cells
from .base import FigureContext, PHOTO_OPTIONS, KINDS, MODEL_OPTIONS, Plan, figure_html, figure_label
from .model_cards import job_model, label

SCHEMA_ID = "https://vellum.example.org/schemas/neuron-groups/1.json"
TOP_CLASSES = 4
# Okabe & Ito's colour-blind-safe categorical palette (no black: it is the outline colour),
# its green and pink last: they are near the sign colours (magenta and green) of attribution.
GROUP_COLOURS = ["#E69F00", "#56B4E9", "#F0E442", "#0072B2", "#D55E00", "#999999", "#009E73", "#CC79A7"]


@KINDS.register
class NeuronGroupsFigure:
    name = "neuron-groups"
    version = 2       # 2: the palette's green and pink last
    options = {
        **MODEL_OPTIONS,
        **PHOTO_OPTIONS,
        "layer": s.Option(s.optional(s.text), doc="the layer to factor"),
        "layers": s.Option(s.optional(s.list_of(s.text)), doc="two layers, earlier first: groups of each"),
        "groups": s.Option(s.integer(1, len(GROUP_COLOURS)), default=6, doc="number of groups per layer"),
        "classes": s.Option(s.optional(s.list_of(class_value, single_ok=True)),
                            doc=f"classes to attribute to (default: the model's top {TOP_CLASSES})"),
    }

    def plan(self, spec: dict, ctx: FigureContext) -> Plan:
        model, path, inputs, files = model_and_image(spec, ctx)
        if spec.get("layers") is not None and spec.get("layer"):
            raise SpecError("give `layer:` or `layers:`, not both", "remove one of them", field="layers")
        layers = spec["layers"] if spec.get("layers") is not None else ([spec["layer"]] if spec.get("layer") else [])
        if not 1 <= len(layers) <= 2:
            raise SpecError(f"expected one layer or two, got {len(layers)}",
                            "write `layer: blocks.10` or `layers: [blocks.6, blocks.10]`",
                            field="layers" if spec.get("layers") is not None else "layer")
        field = "layers" if spec.get("layers") is not None else "layer"
        for i, layer in enumerate(layers):
            info = model.channel_map(layer, field if len(layers) == 1 else f"{field}[{i}]")
            if spec["groups"] > info.channels:
                raise SpecError(f"{spec['groups']} groups is more than the {info.channels} channels of '{layer}'",
                                f"use at most {info.channels}", field="groups")
        if len(layers) == 2:
            model.check_order(layers)
        classes = (model.check_classes(spec["classes"], most=8) if spec.get("classes") is not None else None)
        profile = PROFILES[ctx.quality]
        params = {"model": model.job_model, **photo_params(spec, model), "layers": layers, "groups": spec["groups"],
                  "classes": classes, "icons": {"quality": ctx.quality, "profile": repr(profile.render),
                                                "size": profile.group_icon_size,
                                                "steps": spec.get("steps") or profile.render.steps,
                                                "seed": 0}}
        return Plan([Job("generator.figures.neuron_groups:run_neuron_groups", self.version, params=params,
                    inputs=inputs, files=files, label=f"{figure_label(spec, ctx)}: neuron groups")])

    def notebook(self, spec: dict, ctx: FigureContext) -> cells.Cells:
        """The figure reproduced with the public API, in a notebook."""
        size = spec.get("size") or "model.input_size"
        layers = spec.get("layers") or [spec["layer"]]
        classes = ctx.card().check_classes(spec["classes"], most=8) if spec.get("classes") else None
        pick = (f"classes = {classes!r}" if classes else
                "classes = [index for index, _, _ in vi.predict(model, image, top=4)]")
        return [("code", f"{cells.setup(spec, ctx, str(size))}\n{pick}\n"
                         f"for layer in {layers!r}:\n"
                         f"    groups = vi.neuron_groups(model, image, layer, n={spec['groups']}, nonneg='split')\n"
                         "    print(layer, 'reconstruction error', round(groups.reconstruction_error, 3))\n"
                         "    print(groups.attribution_to_classes(classes).numpy().round(2))   # (groups, classes)")]

    def render(self, spec: dict, ctx: FigureContext, plan: Plan, results: list[dict[str, bytes]]) -> str:
        artifacts = results[0]
        data = named_classes(json.loads(artifacts["groups.json"]))
        icons_url = ctx.emit.data("group-icons", data["icons"]["format"], artifacts["icons"])
        image_url = ctx.emit.data("image", "jpg", artifacts["image.jpg"])
        fallback_url = ctx.emit.data("neuron-groups", "png", artifacts["fallback.png"])
        url, key = emit_data(spec, ctx, {**data, "image": image_url, "image_srcset": image_srcset(spec, ctx, image_url),
                                         "icons": {**data["icons"], "src": icons_url}})
        ctx.emit.style("css/neuron-groups.css")
        ctx.emit.script("js/figure-data.js")
        ctx.emit.script("js/neuron-groups.js")
        names = " and ".join(layer["name"] for layer in data["layers"])
        alt = spec.get("alt") or f"{data['groups']} groups of neurons of {names}, coloured over the input image."
        # A few kilobytes (each group's map at the layer's resolution, its attribution to a
        # few classes): the figure draws with the page, at its final height (`data-eager`).
        inner = (f'<vellum-neuron-groups role="group" class="neuron-groups" data-src="{html.escape(url)}" '
                 f'data-key="{html.escape(key)}" data-eager aria-label="{html.escape(alt, quote=True)}">\n'
                 f'{fallback_img(fallback_url, alt, data["photo"])}\n</vellum-neuron-groups>')
        return figure_html(spec, ctx, inner, extra_class="figure-neuron-groups")


def run_neuron_groups(params: dict, runtime: Runtime) -> dict[str, bytes]:
    """Job: factor each layer, attribute its groups, render their icons."""
    from .. import interpret as vi
    import torch

    model, image = load_input(params)
    classes = params["classes"]
    if classes is None:
        with torch.no_grad():
            logits = model(image[None])[0]                                          # (K,)
        classes = logits.topk(min(TOP_CLASSES, logits.shape[0])).indices.tolist()
    n = params["groups"]
    found = [vi.neuron_groups(model, image, layer, n, nonneg="split") for layer in params["layers"]]
    layers, objectives = [], []
    for groups in found:
        _, h, w = groups.maps.shape
        layers.append({"name": groups.layer, "height": h, "width": w,
                       "error": round(groups.reconstruction_error, 4),
                       "maps": encode(groups.maps.reshape(n, h * w).numpy(), "uint8", axis=0),
                       "to_classes": encode(groups.attribution_to_classes(classes).numpy(), "float16")})
        objectives += [vi.direction(groups.layer, d) for d in groups.directions]
    icon = params["icons"]
    tiles = vi.feature_vis(job_model(params, runtime.device), objectives, size=icon["size"],
                           steps=icon["steps"], seed=icon["seed"],
                           quality=vi.QUALITY[icon["quality"]], threads=runtime.threads)  # (L*n, S, S, 3)
    sprite, index = pack_sprite(tiles)
    data = {"$schema": SCHEMA_ID, "model": params["model"], "size": params["size"], "photo": photo_shape(image), "groups": n,
            "colours": GROUP_COLOURS[:n], "layers": layers, "icons": index,
            "classes": [{"index": c, "label": label(model, c)} for c in classes],
            "between": (encode(found[0].attribution_to_groups(found[1]).numpy(), "float16")
                        if len(found) == 2 else None)}
    return {"groups.json": json.dumps(data, sort_keys=True, separators=(",", ":")).encode(),
            "icons": sprite, "image.jpg": jpeg(image), "fallback.png": composite_png(image, found[-1].maps.numpy())}


def composite_png(image, maps: np.ndarray) -> bytes:
    """The static fallback: each position coloured by its strongest group, opacity by how
    strong it is (relative to that group's peak), over the image (3, H, W)."""
    n = maps.shape[0]
    relative = maps / np.maximum(maps.reshape(n, -1).max(1), 1e-12)[:, None, None]   # (n, h, w)
    winner = relative.argmax(0)                                                       # (h, w)
    colours = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in GROUP_COLOURS[:n]], dtype=np.uint8)
    rgba = np.concatenate([colours[winner], (relative.max(0) * 200)[..., None].astype(np.uint8)], axis=-1)
    base = Image.fromarray(to_uint8(image)).convert("RGBA")
    heat = Image.fromarray(rgba, "RGBA").resize(base.size, Image.NEAREST)
    out = io.BytesIO()
    Image.alpha_composite(base, heat).convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()
