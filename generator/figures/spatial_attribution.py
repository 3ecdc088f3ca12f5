"""`{spatial-attribution}`: where in the image a layer's positions matter, and for what.

Two forms (Building Blocks of Interpretability's spatial attribution):

```{spatial-attribution}
image: sample:chelsea
layers: [blocks.6, blocks.10]   # layer to layer: hover a cell of one, see the other
```

```{spatial-attribution}
image: sample:chelsea
layer: blocks.10
classes: [285, 282]             # to classes: one map per class, and A minus B for two
steps: 50                       # optional, to classes: integrated gradients, 50 steps
```

Layer to layer, the job stores `vi.layer_attribution` [H2, W2, H1, W1] as uint8 with one
offset and scale per later position; the page reads it both ways (a later cell's map over
the earlier layer, or an earlier cell's effect on every later cell). To classes, it stores
one map per target (A, B, A - B), uint8 with a scale per map. `assets/js/attribution-explorer.js`
draws the maps over the image; the hovered (or arrow-key) cell is highlighted in every panel.
To classes, the hovered position also shows its semantic dictionary and what it does (the
grid's panel, `assets/js/position-panel.js`): the channels there that push toward A rather
than B, and its share of the layer's neuron groups; pointing at one veils every map except
where it is. Those come from the dictionary and positions jobs the activation grid runs
(on the photo at the model's input size), and the layer's shared icons.
"""

from __future__ import annotations

import html
import json

from .. import schema as s
from ..errors import SpecError
from ..pipeline.jobs import Job
from ..pipeline.runtime import Runtime
from .attribution_common import (
    named_classes,
    CLASSES_OPTION,
    emit_data,
    encode,
    fallback_img,
    image_srcset,
    photo_params,
    photo_shape,
    jpeg,
    load_input,
    model_and_image,
    overlay_png,
)
from . import cells
from .activation_grid import named_positions, panel_layout, positions_job, pushing_channels
from .base import FigureContext, PHOTO_OPTIONS, KINDS, MODEL_OPTIONS, Plan, figure_html, figure_label, units_url
from .icons import icon_jobs, icon_sprite
from .model_cards import label
from .semantic_dictionary import dictionary_job, dictionary_of, used_channels

SCHEMA_ID = "https://vellum.example.org/schemas/spatial-attribution/1.json"
JOB_VERSION = 2        # the job's own version (the kind's changed without changing the job)


@KINDS.register
class SpatialAttribution:
    name = "spatial-attribution"
    version = 4       # 2: magenta and green, square cells; 3: a position's dictionary and what it does; 4: its layout drawn first
    options = {
        **{k: v for k, v in MODEL_OPTIONS.items() if k != "steps"},
        **PHOTO_OPTIONS,
        "layer": s.Option(s.optional(s.text), doc="the layer whose positions are attributed to `classes`"),
        "layers": s.Option(s.optional(s.list_of(s.text)), doc="two layers, earlier first: layer to layer"),
        "classes": CLASSES_OPTION,
        "steps": s.Option(s.optional(s.integer(1, 1000)),
                          doc="with classes: integrated gradients with this many steps instead of "
                              "gradient x activation"),
    }

    def plan(self, spec: dict, ctx: FigureContext) -> Plan:
        model, path, inputs, files = model_and_image(spec, ctx)
        params = {"model": model.job_model, **photo_params(spec, model)}
        if spec.get("layers") is not None:
            if spec.get("layer") or spec.get("classes"):
                raise SpecError("give either `layers:` or `layer:` with `classes:`, not both",
                                "remove `layers:` or `layer:`/`classes:`", field="layers")
            if spec.get("steps") is not None:
                raise SpecError("`steps:` path-integrates attribution to classes, not layer to layer",
                                "remove `steps:`, or attribute `layer:` to `classes:`", field="steps")
            params.update(mode="layers", layers=_check_layer_pair(model, spec["layers"]))
        else:
            if not spec.get("layer"):
                raise SpecError("missing `layer:` (with `classes:`) or `layers:`",
                                "add `layers: [blocks.6, blocks.10]` or `layer:` and `classes:`", field="layer")
            _check_spatial(model, spec["layer"], "layer")
            if spec.get("classes") is None:
                raise SpecError("missing `classes:`", "add one or two class indices, e.g. `classes: [285, 282]`",
                                field="classes")
            params.update(mode="classes", layer=spec["layer"], classes=model.check_classes(spec["classes"]))
            if spec.get("steps") is not None:   # absent otherwise, so earlier figures keep their keys
                params["steps"] = spec["steps"]
        job = Job("generator.figures.spatial_attribution:run_spatial_attribution", JOB_VERSION,
                  params=params, inputs=inputs, files=files, label=f"{figure_label(spec, ctx)}: spatial attribution")
        if params["mode"] != "classes" or params["size"] != model.input_size:
            return Plan([job])
        info = model.channel_map(spec["layer"])            # the position panel: dictionary and what it does
        name = figure_label(spec, ctx)
        return Plan([job, dictionary_job(model, path, spec["crop"], info.name, min(4, info.channels), name),
                     positions_job(model, path, spec["crop"], info, name, params["classes"])], more=True)

    def plan_more(self, spec: dict, ctx: FigureContext, plan: Plan, results: list) -> Plan:
        """The icons of every channel the position panel shows."""
        used = sorted(set(used_channels(dictionary_of(results[1])))
                      | pushing_channels(json.loads(results[2]["positions.json"])))
        return Plan(plan.jobs + icon_jobs(ctx.card(), spec["layer"], used, ctx.quality), {"channels": used})

    def notebook(self, spec: dict, ctx: FigureContext) -> cells.Cells:
        """The figure reproduced with the public API, in a notebook."""
        size = spec.get("size") or "model.input_size"
        if spec.get("layers"):
            earlier, later = spec["layers"]
            code = (f"maps = vi.layer_attribution(model, image, {earlier!r}, {later!r})   # (H2, W2, H1, W1)\n"
                    "print(maps.shape)")
        else:
            steps = f", steps={spec['steps']}" if spec.get("steps") else ""
            code = (f"target = {cells.target(ctx.card().check_classes(spec['classes']))}   # a class, or (A, B) for logit A minus logit B\n"
                    f"attribution = vi.spatial_attribution(model, image, {spec['layer']!r}, target{steps})   # (H, W)\n"
                    "print(attribution.numpy().round(2))")
        return [("code", f"{cells.setup(spec, ctx, str(size))}\n{code}")]

    def render(self, spec: dict, ctx: FigureContext, plan: Plan, results: list[dict[str, bytes]]) -> str:
        artifacts = results[0]
        data = named_classes(json.loads(artifacts["attribution.json"]))
        image_url = ctx.emit.data("image", "jpg", artifacts["image.jpg"])
        fallback_url = ctx.emit.data("spatial-attribution", "png", artifacts["fallback.png"])
        ctx.emit.script("js/figure-data.js")
        if len(results) > 1:                                     # a position's dictionary and what it does
            data["position"] = self._position(spec, ctx, plan, results)
            ctx.emit.style("css/semantic-dictionary.css")
            ctx.emit.style("css/position-panel.css")
            ctx.emit.script("js/semantic-dictionary.js")
            ctx.emit.script("js/position-panel.js")
        data["image_srcset"] = image_srcset(spec, ctx, image_url)
        url, key = emit_data(spec, ctx, {**data, "image": image_url})
        ctx.emit.style("css/attribution-explorer.css")
        ctx.emit.script("js/attribution-explorer.js")
        alt = spec.get("alt") or _describe(data)
        inner = (f'<vellum-attribution role="group" class="attribution-explorer" data-src="{html.escape(url)}" '
                 f'data-key="{html.escape(key)}" aria-label="{html.escape(alt, quote=True)}" '
                 f'data-layout="{html.escape(_layout(data, image_url), quote=True)}">\n'
                 f'{fallback_img(fallback_url, alt, data["photo"])}\n</vellum-attribution>')
        return figure_html(spec, ctx, inner, extra_class="figure-spatial-attribution")

    def _position(self, spec: dict, ctx: FigureContext, plan: Plan, results: list) -> dict:
        """The layer's dictionaries, positions and icons, as the position panel reads them."""
        card = ctx.card()
        data = dictionary_of(results[1])
        positions, data["maps"] = named_positions(results[2], card, data["rows"], data["cols"], data["maps"])
        sprite, icons = icon_sprite(results[3:], plan.data["channels"])
        icon_src = ctx.emit.data(f"{spec['layer'].replace('.', '-')}-icons", icons["format"], sprite)
        return {**data, "layer": spec["layer"], "units": units_url(ctx.model, spec["layer"]),
                "positions": positions, "icons": {**icons, "src": icon_src}}


def _layout(data: dict, image_url: str) -> str:
    """What the component draws before its data loads (the panels, the readout, the position's
    panel, empty): the figure's data without its maps, as JSON."""
    layout = {k: v for k, v in data.items() if k not in ("attribution", "maps", "position")}
    if "position" in data:
        p = data["position"]
        layout["position"] = panel_layout(p["layer"], p, p["icons"], p["positions"])
    return json.dumps({**layout, "image": image_url}, separators=(",", ":"))


def _check_spatial(model, layer: str, field: str):
    info = model.channel_map(layer, field)
    if info.height * info.width < 2:
        raise SpecError(f"layer '{layer}' has a single position ({info.height}x{info.width}), "
                        "so there is nothing spatial to attribute", "pick a convolutional layer", field=field)
    return info


def _check_layer_pair(model, layers: list[str]) -> list[str]:
    if len(layers) != 2:
        raise SpecError(f"expected two layers, got {len(layers)}", "write `layers: [blocks.6, blocks.10]`",
                        field="layers")
    for i, layer in enumerate(layers):
        _check_spatial(model, layer, f"layers[{i}]")
    model.check_order(layers)
    return list(layers)


def _describe(data: dict) -> str:
    if data["mode"] == "layers":
        a, b = data["layers"]
        return f"Attribution from the positions of {a['name']} to those of {b['name']}, over the input image."
    names = " minus ".join(c["label"] for c in data["classes"])
    method = f" (integrated gradients, {data['steps']} steps)" if data.get("steps") else ""
    return f"Attribution of the positions of {data['layer']['name']} to {names}{method}, over the input image."


def run_spatial_attribution(params: dict, runtime: Runtime) -> dict[str, bytes]:
    """Job: the attribution tensors, the image the model saw, and a static fallback."""
    from .. import interpret as vi
    import torch

    model, image = load_input(params)
    with torch.no_grad():
        probs = model(image[None]).softmax(1)[0]                              # (K,)
    if params["mode"] == "layers":
        earlier, later = params["layers"]
        tensor = vi.layer_attribution(model, image, earlier, later)           # (H2, W2, H1, W1)
        h2, w2, h1, w1 = tensor.shape
        rows = tensor.reshape(h2 * w2, h1 * w1).numpy()                        # (P2, P1)
        data = {"mode": "layers",
                "layers": [{"name": earlier, "height": h1, "width": w1},
                           {"name": later, "height": h2, "width": w2}],
                "attribution": encode(rows, "uint8", axis=0)}
        summary = tensor.sum((0, 1)).numpy()                                  # (H1, W1)
    else:
        layer, classes = params["layer"], params["classes"]
        targets = [*classes, tuple(classes)] if len(classes) == 2 else list(classes)
        steps = params.get("steps")
        _, maps = vi.class_attribution_maps(model, image, layer, targets, steps=steps)  # (T, H, W)
        t, h, w = maps.shape
        data = {"mode": "classes",
                "layer": {"name": layer, "height": h, "width": w},
                "classes": [{"index": c, "label": label(model, c), "probability": round(float(probs[c]), 4)}
                            for c in classes],
                "targets": [label(model, c) for c in classes]
                + ([f"{label(model, classes[0])} − {label(model, classes[1])}"] if len(classes) == 2 else []),
                "maps": encode(maps.reshape(t, h * w).numpy(), "uint8", axis=0)}
        if steps is not None:
            data["steps"] = steps
        summary = maps[-1].numpy()                                            # (H, W)
    data.update({"$schema": SCHEMA_ID, "model": params["model"], "size": params["size"], "photo": photo_shape(image)})
    return {"attribution.json": json.dumps(data, sort_keys=True, separators=(",", ":")).encode(),
            "image.jpg": jpeg(image), "fallback.png": overlay_png(image, summary)}
