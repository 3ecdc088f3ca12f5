"""`{channel-attribution}`: which channels of a layer push the model toward class A, and
which toward class B (Building Blocks of Interpretability's channel attribution).

```{channel-attribution}
image: sample:chelsea
layer: blocks.10
classes: [285, 282]      # score = logit A - logit B (one class: its logit)
top: 8                   # channels shown on each side
steps: 100               # optional: also the path-integrated version, with 100 steps
```

One job computes gradient x activation summed over positions for every channel (float16),
and with `steps:` the path-integrated scores too, which then rank the channels. The icons
are the shared channel icons of the layer (`generator.figures.icons`): every channel's, since
which channels rank highest is known only after the job ran, and the chunks are shared with
every other figure on the layer. The chart is Bokeh (`json_item`, drawn by
`js/bokeh-figure.js`); `js/channel-attribution.js` links its bars and the icons both ways,
and hovering or focusing a channel (its icon or its bar) veils the photo beside the lists
except where that channel fires (the job keeps every channel's map; the page gets the shown
channels').
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import numpy as np

from .. import schema as s
from ..pipeline.jobs import Job
from ..pipeline.runtime import Runtime
from ..pipeline.quantize import dequantize
from .attribution_common import (
    named_classes,
    CLASSES_OPTION,
    NEGATIVE,
    POSITIVE,
    encode,
    photo_params,
    load_input,
    model_and_image,
)
from . import cells
from .base import FigureContext, PHOTO_OPTIONS, KINDS, MODEL_OPTIONS, Plan, figure_html, figure_label, figure_stem, units_url
from .bokeh import calm_tools, embed_chart, site_tooltips, stable_ids
from .chart_fallback import chart_png
from .icons import icon_jobs, icon_sprite
from .model_cards import label
from .numbers import decimals_for, number
from .inputs import emit_photo

SCHEMA_ID = "https://vellum.example.org/schemas/channel-attribution/1.json"
ICON_DISPLAY = 72


@KINDS.register
class ChannelAttribution:
    name = "channel-attribution"
    version = 2
    options = {
        **MODEL_OPTIONS,
        **PHOTO_OPTIONS,
        "layer": s.Option(s.text, required=True, doc="the layer whose channels are scored"),
        "classes": s.Option(CLASSES_OPTION.check, required=True, doc=CLASSES_OPTION.doc),
        "top": s.Option(s.integer(1, 32), default=8, doc="channels shown on each side"),
        "steps": s.Option(s.optional(s.integer(1, 1000)),
                          doc="path-integration steps; without it, the linear approximation only"),
    }

    def plan(self, spec: dict, ctx: FigureContext) -> Plan:
        model, path, inputs, files = model_and_image(spec, ctx)
        info = model.channel_map(spec["layer"])
        params = {"model": model.job_model, **photo_params(spec, model), "layer": spec["layer"],
                  "classes": model.check_classes(spec["classes"]), "steps": spec.get("steps")}
        job = Job("generator.figures.channel_attribution:run_channel_attribution", self.version,
                  params=params, inputs=inputs, files=files,
                  label=f"{figure_label(spec, ctx)}: channel attribution")
        return Plan([job, *icon_jobs(model, spec["layer"], range(info.channels), ctx.quality)],
                    {"path": str(path)})

    def notebook(self, spec: dict, ctx: FigureContext) -> cells.Cells:
        """The figure reproduced with the public API, in a notebook."""
        size = spec.get("size") or "model.input_size"
        steps = f", steps={spec['steps']}" if spec.get("steps") else ""
        return [("code", f"{cells.setup(spec, ctx, str(size))}\n"
                         f"scores = vi.channel_attribution(model, image, {spec['layer']!r}, "
                         f"{cells.target(ctx.card().check_classes(spec['classes']))}{steps})   # (C,)\n"
                         f"print('toward the first class:', scores.topk({spec['top']}).indices.tolist())\n"
                         f"print('toward the second:', (-scores).topk({spec['top']}).indices.tolist())")]

    def render(self, spec: dict, ctx: FigureContext, plan: Plan, results: list[dict[str, bytes]]) -> str:
        data = named_classes(json.loads(results[0]["scores.json"]))
        rows = ranked(data, spec["top"])
        sprite, index = icon_sprite(results[1:], [r["channel"] for r in rows])
        sprite_url = ctx.emit.data(f"{spec['layer']}-icons", index["format"], sprite)
        target = f"{figure_stem(spec, ctx)}-chart"
        alt = spec.get("alt") or (f"Channels of {data['layer']} ranked by how much they push the model "
                                  f"toward {data['classes'][0]['label']}"
                                  + (f" rather than {data['classes'][1]['label']}." if len(data["classes"]) == 2 else "."))
        item, picture = chart_item(data, rows, target)
        chart = embed_chart(ctx, item, target, alt, chart_height(rows), css="ca-chart", picture=picture)
        ctx.emit.style("css/channel-attribution.css")
        ctx.emit.script("js/channel-attribution.js")   # after BokehJS, which it listens to
        ctx.emit.style("css/semantic-dictionary.css")
        ctx.emit.script("js/figure-data.js")
        ctx.emit.script("js/semantic-dictionary.js")   # draws a channel's map (VellumDictionary.showValues)
        inner = (f'<vellum-channel-attribution class="channel-attribution" data-chart="{html.escape(target)}">\n'
                 f'{chart}\n<div class="ca-below">{self._photo(spec, ctx, plan, data, results[0]["maps"], rows)}'
                 f'{icon_lists(data, rows, sprite_url, index, units_url(ctx.model, spec["layer"]))}</div>\n'
                 f'</vellum-channel-attribution>')
        return figure_html(spec, ctx, inner, extra_class="figure-channel-attribution")


    def _photo(self, spec: dict, ctx: FigureContext, plan: Plan, data: dict, maps_bytes: bytes,
               rows: list[dict]) -> str:
        """The photo the model saw, with a canvas for a channel's map and the shown channels'
        maps (uint8 over each channel's peak, base64) in a JSON script. `data`: the job's
        scores, `maps_bytes`: its `maps`."""
        grid = data["grid"]
        every = np.frombuffer(maps_bytes, dtype=np.uint8).reshape(data["channels"], grid["rows"] * grid["cols"])
        shown = sorted({r["channel"] for r in rows})
        maps = {"rows": grid["rows"], "cols": grid["cols"], "channels": shown,
                "data": base64.b64encode(every[shown].tobytes()).decode("ascii")}
        src, srcset, shape = emit_photo(ctx, int(spec.get("size") or ctx.card().input_size), Path(plan.data["path"]),
                                        spec["crop"])
        return (f'<div class="ca-photo"><div class="ca-stage"><img src="{html.escape(src)}" alt="" '
                f'srcset="{html.escape(srcset)}" '
                f'width="{shape["width"]}" height="{shape["height"]}" loading="lazy" decoding="async">'
                f'<canvas class="sd-map" hidden></canvas></div>'
                f'<script type="application/json" class="ca-maps">{json.dumps(maps, separators=(",", ":"))}</script>'
                f'<p class="ca-photo-note">Point at a channel: the photo stays clear where it fires.</p></div>')


def run_channel_attribution(params: dict, runtime: Runtime) -> dict[str, bytes]:
    """Job: every channel's score, linear and (with `steps`) path-integrated; and where each
    channel fires (`maps`: channels x positions bytes, each channel over its own peak)."""
    from .. import interpret as vi
    import torch

    model, image = load_input(params)
    classes = params["classes"]
    target = tuple(classes) if len(classes) == 2 else classes[0]
    linear = vi.channel_attribution(model, image, params["layer"], target)                 # (C,)
    integrated = (vi.channel_attribution(model, image, params["layer"], target, steps=params["steps"])
                  if params["steps"] else None)                                            # (C,)
    with torch.no_grad():
        logits = model(image[None])[0]                                                     # (K,)
    activation = vi.activations(model, image, [params["layer"]])[params["layer"]].float().clamp(min=0)  # (C, H, W)
    channels, rows, cols = activation.shape
    peaks = activation.flatten(1).max(1).values.clamp(min=1e-9)[:, None, None]
    maps = (activation / peaks * 255).round().to(torch.uint8).numpy()
    data = {"$schema": SCHEMA_ID, "model": params["model"], "size": params["size"],
            "layer": params["layer"], "channels": int(linear.shape[0]), "steps": params["steps"],
            "grid": {"rows": int(rows), "cols": int(cols)},
            "classes": [{"index": c, "label": label(model, c), "logit": round(float(logits[c]), 4)} for c in classes],
            "linear": encode(linear.numpy(), "float16"),
            "integrated": encode(integrated.numpy(), "float16") if integrated is not None else None}
    return {"scores.json": json.dumps(data, sort_keys=True, separators=(",", ":")).encode(), "maps": maps.tobytes()}


def scores(encoded: dict) -> np.ndarray:
    """The float32 scores of an encoded array in a job's `scores.json`."""
    import base64

    return dequantize(base64.b64decode(encoded["data"]), encoded)


def ranked(data: dict, top: int) -> list[dict]:
    """The `top` channels with the largest scores, then the `top` with the most negative,
    ranked by the path-integrated scores when present. Each row: channel, score, linear,
    integrated (or None), side ("a" or "b")."""
    linear = scores(data["linear"])
    integrated = scores(data["integrated"]) if data["integrated"] else None
    rank = integrated if integrated is not None else linear
    order = np.argsort(-rank, kind="stable")
    top = min(top, len(order) // 2 or 1)
    picked = [(int(c), "a") for c in order[:top]] + [(int(c), "b") for c in order[::-1][:top][::-1]]
    return [{"channel": c, "side": side, "score": float(rank[c]), "linear": float(linear[c]),
             "integrated": float(integrated[c]) if integrated is not None else None} for c, side in picked]


def chart_height(rows: list[dict]) -> int:
    return 60 + 22 * len(rows)


def chart_item(data: dict, rows: list[dict], target: str) -> tuple[str, bytes | None]:
    """The Bokeh bar chart as stable `json_item` text, and its static picture (PNG, for
    print). Hovering a bar dispatches `vellum:bar-hover` ({chart, index}) on the document; the
    source is named `<target>-source` so the page can select a bar. The chart neither pans
    nor zooms (`calm_tools`)."""
    from bokeh.embed import json_item
    from bokeh.models import ColumnDataSource, CustomJS, HoverTool
    from bokeh.plotting import figure

    names = [f"ch {r['channel']}" for r in rows][::-1]   # Bokeh draws the first factor at the bottom
    hex_of = {"a": "#%02x%02x%02x" % POSITIVE, "b": "#%02x%02x%02x" % NEGATIVE}
    places = decimals_for([r["score"] for r in rows] + [r["linear"] for r in rows])
    source = ColumnDataSource({
        "name": [f"ch {r['channel']}" for r in rows], "channel": [r["channel"] for r in rows],
        "score": [r["score"] for r in rows], "linear": [r["linear"] for r in rows],
        "score_text": [number(r["score"], places, sign=True) for r in rows],
        "linear_text": [number(r["linear"], places, sign=True) for r in rows],
        "color": [hex_of[r["side"]] for r in rows],
    }, name=f"{target}-source")
    integrated = data["integrated"] is not None
    a, b = data["classes"][0]["label"], (data["classes"][1]["label"] if len(data["classes"]) == 2 else None)
    axis = f"attribution to {a} − {b}" if b else f"attribution to {a}"
    plot = figure(y_range=names, height=chart_height(rows), sizing_mode="stretch_width", toolbar_location=None,
                  x_axis_label=axis + (f" (path-integrated, {data['steps']} steps)" if integrated else ""))
    bars = plot.hbar(y="name", right="score", height=0.72, color="color", source=source,
                     nonselection_fill_alpha=0.25, nonselection_line_alpha=0.25)
    if integrated:
        plot.scatter(x="linear", y="name", source=source, marker="diamond", size=9, color="#1b1b1b",
                     legend_label="linear (gradient × activation)")
        plot.legend.location = "bottom_right"
        plot.legend.label_text_font_size = "11px"
    notify = CustomJS(args={"chart": target}, code=(
        "const i = cb_data.index.indices;"
        "document.dispatchEvent(new CustomEvent('vellum:bar-hover',"
        " {detail: {chart: chart, index: i.length ? i[0] : -1}}));"))
    tooltips = [("channel", "@channel"), ("score", "@score_text")] + ([("linear", "@linear_text")] if integrated else [])
    plot.add_tools(HoverTool(renderers=[bars], tooltips=tooltips, callback=notify))
    site_tooltips(plot)
    plot.ygrid.grid_line_color = None
    plot.outline_line_color = None
    plot.toolbar.logo = None
    calm_tools(plot, interactive=False)
    # Keys keep Bokeh's order: a model must be defined before it is referenced, which sorting
    # the keys would break. The order is deterministic for the same chart.
    return stable_ids(json.dumps(json_item(plot), separators=(",", ":"))), chart_png(plot)


def icon_lists(data: dict, rows: list[dict], sprite_url: str, index: dict, units: str | None = None) -> str:
    """Two lists of channel icons with their scores, toward A and toward B; readable without
    JavaScript. Tile i of the sprite is rows[i]'s channel. With `units` (see `units_url`),
    each channel's name links to its unit page (and, with script, shows its card)."""
    tile_w, tile_h = index["tile"]
    k = min(1.0, ICON_DISPLAY / tile_w)      # icons are shown at most ICON_DISPLAY px wide
    classes = data["classes"]
    places = decimals_for([row["score"] for row in rows])
    titles = {"a": f"Toward {classes[0]['label']}",
              "b": f"Toward {classes[1]['label']}" if len(classes) == 2 else f"Against {classes[0]['label']}"}
    parts = []
    for side in ("a", "b"):
        items = []
        for i, row in enumerate(rows):
            if row["side"] != side:
                continue
            x, y = (i % index["columns"]) * tile_w * k, (i // index["columns"]) * tile_h * k
            score = number(row["score"], places, sign=True)
            style = (f"background-image:url({html.escape(sprite_url)});background-position:-{x:g}px -{y:g}px;"
                     f"background-size:{index['width'] * k:g}px {index['height'] * k:g}px;"
                     f"width:{tile_w * k:g}px;height:{tile_h * k:g}px")
            name = (f'<a class="ca-name" href="{html.escape(units)}{row["channel"]}/index.html" '
                    f'aria-label="ch {row["channel"]}, score {score}">ch {row["channel"]}</a>' if units else
                    f'<span class="ca-name">ch {row["channel"]}</span>')
            focus = "" if units else f' tabindex="0" aria-label="channel {row["channel"]}, score {score}"'
            items.append(f'<li class="ca-icon"{focus} data-index="{i}" data-channel="{row["channel"]}">'
                         f'<span class="ca-tile" style="{style}"></span>{name}'
                         f'<span class="ca-score">{score}</span></li>')
        parts.append(f'<div class="ca-side ca-side-{side}"><p class="ca-title">{html.escape(titles[side])}</p>'
                     f'<ol class="ca-icons">{"".join(items)}</ol></div>')
    return f'<div class="ca-lists">{"".join(parts)}</div>'
