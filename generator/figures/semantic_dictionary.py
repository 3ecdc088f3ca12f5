"""`{semantic-dictionary}`: a position's activation vector as channel icons sized by activation.

```{semantic-dictionary}
id: fig-dict
image: sample:chelsea
layer: blocks.10
at: [7, 4]        # optional: a fixed position (x, y) of the layer's grid; without it the
top: 4            # reader hovers the photo and sees each position's dictionary
```

The top-k channels of each position come from one forward pass, a job of its own
(`run_dictionary`); which icons to render depends on its result, so the kind plans twice:
`plan` names the dictionary job, `plan_more` the icon jobs once it ran. The icons are the
shared channel icons of `generator.figures.icons`. With `at`, the figure is static HTML. Without it,
`assets/js/semantic-dictionary.js` (`<vellum-dictionary>`) lays a grid over the photo and
shows the dictionary of the position under the pointer or the keyboard; its static fallback
is the strongest position, outlined on the photo, and its dictionary. The same script exposes
`window.VellumDictionary.render(panel, data, cell)`, which the activation grid reuses.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import numpy as np

from .. import schema as s
from ..errors import SpecError
from ..pipeline.data_script import data_script
from ..pipeline.jobs import Job
from ..pipeline.runtime import Runtime
from . import cells
from .base import FigureContext, KINDS, MODEL_OPTIONS, PHOTO_OPTIONS, Plan, figure_html, figure_label, figure_stem, units_url
from .icons import icon_jobs, icon_sprite
from .model_cards import job_model
from .inputs import emit_photo, resolve_image_source

ICON_SIDE = 72   # display side of the most active channel's icon, pixels (as the component)
DICTIONARY_VERSION = 2     # 2: each shown channel's map over the photo


def dictionary_job(card, image_path: Path, crop: str, layer: str, k: int, label: str) -> Job:
    """The job that computes the semantic dictionary of every position of `layer` on the
    image seen with `crop` (one forward pass); read its result with `dictionary_of`."""
    return Job("generator.figures.semantic_dictionary:run_dictionary", DICTIONARY_VERSION,
               params={"model": card.job_model, "layer": layer, "k": k, "size": card.input_size, "crop": crop},
               **card.job_io(image_path), label=f"{label}: dictionary {layer}")


def run_dictionary(params: dict, runtime: Runtime) -> dict[str, bytes]:
    """Job: the dictionary as plain lists: rows, cols, k, channels/values [rows*cols][k]
    (row-major cells, most active first), magnitude [rows*cols] (the length of each
    position's activation vector) and `maps`: where each channel the dictionary shows fires
    over the photo ({channels: ascending, data: base64 of uint8 (channels, rows*cols), each
    channel's activation over its own peak, 0 where negative})."""
    from .. import interpret as vi

    model = job_model(params)
    image = vi.load_image(params["files"]["image"], params["size"], params["crop"])  # (3, H, W)
    k = params["k"]
    d = vi.semantic_dictionary(model, image, params["layer"], k)
    rows, cols = d.magnitude.shape
    data = {
        "rows": rows, "cols": cols, "k": k,
        "channels": d.indices.reshape(rows * cols, k).tolist(),                 # (H*W, k)
        "values": rounded(d.values.reshape(rows * cols, k)),
        "magnitude": rounded(d.magnitude.flatten()),                            # (H*W,)
    }
    shown = used_channels(data)
    act = d.activation.float().numpy()                                      # (C, H, W)
    maps = np.clip(act[shown].reshape(len(shown), rows * cols), 0, None)
    peaks = np.maximum(maps.max(axis=1, keepdims=True), 1e-9)
    data["maps"] = {"channels": shown,
                    "data": base64.b64encode(np.round(maps / peaks * 255).astype(np.uint8).tobytes()).decode("ascii")}
    return {"dictionary.json": json.dumps(data, sort_keys=True, separators=(",", ":")).encode()}


def dictionary_of(result: dict[str, bytes]) -> dict:
    """The dictionary in the result of `dictionary_job`."""
    return json.loads(result["dictionary.json"])


def rounded(tensor) -> list:
    """A tensor as nested lists of numbers with 3 decimals (short, stable JSON)."""
    return np.round(tensor.numpy().astype(np.float64), 3).tolist()


def used_channels(data: dict) -> list[int]:
    """Every channel some position's dictionary shows, ascending."""
    return sorted({c for cell in data["channels"] for c in cell})


def dictionary_html(data: dict, cell: int, icons: dict, icon_src: str, units: str) -> str:
    """Static HTML of one position's dictionary: its icons, sized by activation, with values,
    each channel a link to its unit page (under `units`, see `units_url`). `icons` is the
    sprite index with `channels`; the biggest value gets ICON_SIDE pixels."""
    tile, cols = icons["tile"][0], icons["columns"]
    slot = {c: i for i, c in enumerate(icons["channels"])}
    top = max(max(data["values"][cell]), 1e-6)
    items = []
    for channel, value in zip(data["channels"][cell], data["values"][cell]):
        i = slot[channel]
        side = round(min(tile, ICON_SIDE) * max(0.35, min(1.0, value / top)))
        scale = side / tile
        x, y = (i % cols) * side, (i // cols) * side
        items.append(
            f'<li class="sd-item"><span class="sd-crop" style="width:{side}px;height:{side}px">'
            f'<img src="{html.escape(icon_src)}" alt="" width="{round(icons["width"] * scale)}" '
            f'height="{round(icons["height"] * scale)}" style="margin:-{y}px 0 0 -{x}px" '
            f'loading="lazy"></span>'
            f'<a class="sd-label" href="{html.escape(units)}{channel}/index.html">channel {channel}</a> '
            f'<span class="sd-value">{value:.2f}</span></li>')
    x, y = cell % data["cols"], cell // data["cols"]
    return (f'<div class="sd-panel sd-static"><p class="sd-where">position ({x}, {y})</p>'
            f'<ol class="sd-list">{"".join(items)}</ol></div>')


@KINDS.register
class SemanticDictionaryFigure:
    name = "semantic-dictionary"
    version = 1
    options = {
        **MODEL_OPTIONS,
        **PHOTO_OPTIONS,
        "layer": s.Option(s.text, required=True, doc="the layer (module path), e.g. blocks.10"),
        "at": s.Option(s.optional(s.list_of(s.integer(0))), doc="a position [x, y] of the layer's grid"),
        "top": s.Option(s.integer(1, 16), default=4, doc="how many channels to show"),
    }

    def plan(self, spec: dict, ctx: FigureContext) -> Plan:
        card = ctx.card()
        info = card.channel_map(spec["layer"])
        path = resolve_image_source(spec["image"], ctx, "image")
        if spec["top"] > info.channels:
            raise SpecError(f"top {spec['top']} is more than the {info.channels} channels of '{info.name}'",
                            f"use at most {info.channels}", field="top")
        if spec.get("at") is not None:      # checked against the grid the photo will give
            _cell(spec["at"], *card.grid(info, card.view(path, spec["crop"])))
        job = dictionary_job(card, path, spec["crop"], info.name, spec["top"], figure_label(spec, ctx))
        return Plan([job], {"path": str(path)}, more=True)

    def plan_more(self, spec: dict, ctx: FigureContext, plan: Plan, results: list) -> Plan:
        """The icon jobs of the channels the dictionary shows (at `at`, or anywhere)."""
        data = dictionary_of(results[0])
        cell = _cell(spec["at"], data["rows"], data["cols"]) if spec.get("at") is not None else None
        channels = sorted(data["channels"][cell]) if cell is not None else used_channels(data)
        icons = icon_jobs(ctx.card(), spec["layer"], channels, ctx.quality, size=spec.get("size"),
                          steps=spec.get("steps"))
        return Plan(plan.jobs + icons, {**plan.data, "cell": cell, "channels": channels})

    def notebook(self, spec: dict, ctx: FigureContext) -> cells.Cells:
        """The figure reproduced with the public API, in a notebook."""
        at = spec.get("at")
        where = (f"x, y = {at[0]}, {at[1]}" if at else
                 "y, x = divmod(int(d.magnitude.argmax()), d.magnitude.shape[1])   # the strongest position")
        return [("code", f"{cells.setup(spec, ctx)}\n"
                         f"d = vi.semantic_dictionary(model, image, {spec['layer']!r}, k={spec['top']})\n"
                         f"{where}\n"
                         "for channel, value in zip(d.indices[y, x].tolist(), d.values[y, x].tolist()):\n"
                         "    print(f'channel {channel}: {value:.2f}')")]

    def render(self, spec: dict, ctx: FigureContext, plan: Plan, results: list[dict[str, bytes]]) -> str:
        data, cell = dictionary_of(results[0]), plan.data["cell"]
        stem = figure_stem(spec, ctx)
        sprite, icons = icon_sprite(results[1:], plan.data["channels"])
        icon_src = ctx.emit.data(f"{stem}-icons", icons["format"], sprite)
        alt = html.escape(spec.get("alt") or "", quote=True)
        photo_src, srcset, shape = emit_photo(ctx, ctx.card().input_size, Path(plan.data["path"]), spec["crop"])
        size = f'srcset="{html.escape(srcset)}" width="{shape["width"]}" height="{shape["height"]}"'
        units = units_url(ctx.model, spec["layer"])
        if cell is not None:
            inner = (f'<div class="vellum-dictionary-static" role="group" aria-label="{alt}">'
                     f'{_marked_photo(photo_src, size, data, cell)}{dictionary_html(data, cell, icons, icon_src, units)}</div>')
            ctx.emit.style("css/semantic-dictionary.css")
            return figure_html(spec, ctx, inner, extra_class="figure-semantic-dictionary")
        payload = {**data, "layer": spec["layer"], "icons": {**icons, "src": icon_src}, "photo": photo_src,
                   "units": units}
        src = ctx.emit.data(stem, "js", data_script(stem, payload))
        strongest = int(np.argmax(data["magnitude"]))
        ctx.emit.style("css/semantic-dictionary.css")
        ctx.emit.script("js/figure-data.js")
        ctx.emit.script("js/semantic-dictionary.js")
        inner = (f'<vellum-dictionary data-src="{html.escape(src)}" data-key="{html.escape(stem)}" '
                 f'role="group" aria-label="{alt}">\n'
                 f'<div class="sd-frame">'
                 f'<img class="sd-photo" src="{html.escape(photo_src)}" alt="{alt}" {size}>'
                 f'<span class="sd-fallback sd-box" style="{_box(data, strongest)}"></span></div>\n'
                 f'<div class="sd-fallback">{dictionary_html(data, strongest, icons, icon_src, units)}</div>\n'
                 f"</vellum-dictionary>")
        return figure_html(spec, ctx, inner, extra_class="figure-semantic-dictionary")


def _box(data: dict, cell: int) -> str:
    """Where the outline (`.sd-box`) of position `cell` lies on the photo, as an inline style."""
    x, y, cols, rows = cell % data["cols"], cell // data["cols"], data["cols"], data["rows"]
    return (f"left:{100 * x / cols:.3f}%;top:{100 * y / rows:.3f}%;"
            f"width:{100 / cols:.3f}%;height:{100 / rows:.3f}%")


def _marked_photo(src: str, size: str, data: dict, cell: int) -> str:
    """The photo (its `width` and `height` attributes in `size`) with the position of `cell`
    outlined (static HTML)."""
    return (f'<div class="sd-photo-static"><img src="{html.escape(src)}" alt="" {size}>'
            f'<span class="sd-box" style="{_box(data, cell)}"></span></div>')


def _cell(at: list[int], rows: int, cols: int) -> int:
    """The row-major cell index of `at: [x, y]`, checked against the layer's grid of
    `cols` x `rows` positions on the photo."""
    if len(at) != 2:
        raise SpecError(f"expected [x, y], got {len(at)} numbers", "write at: [x, y]", field="at")
    x, y = at
    if x >= cols or y >= rows:
        raise SpecError(f"position ({x}, {y}) is outside the layer's {cols}x{rows} grid on this photo",
                        f"use x from 0 to {cols - 1} and y from 0 to {rows - 1}", field="at")
    return y * cols + x
