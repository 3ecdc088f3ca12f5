"""`{semantic-dictionary}`: a position's activation vector as channel icons sized by activation.

```{semantic-dictionary}
id: fig-dict
image: sample:chelsea
layer: blocks.10
at: [7, 4]        # optional: a fixed position (x, y) of the layer's grid; without it the
top: 4            # reader hovers the photo and sees each position's dictionary
```

The top-k channels of each position come from one forward pass at plan time (cheap, and
the icons to render depend on them); the icons are the shared channel icons of
`generator.figures.icons`. With `at`, the figure is static HTML. Without it,
`assets/js/semantic-dictionary.js` (`<vellum-dictionary>`) lays a grid over the photo and
shows the dictionary of the position under the pointer or the keyboard; its static fallback
is the strongest position, outlined on the photo, and its dictionary. The same script exposes
`window.VellumDictionary.render(panel, data, cell)`, which the activation grid reuses.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from .. import schema as s
from ..errors import SpecError
from ..pipeline.data_script import data_script
from ..pipeline.jobs import sha256_file
from ..pipeline.sprites import pack_sprite
from . import cells
from .base import IMAGE_OPTION, KINDS, MODEL_OPTIONS, FigureContext, figure_html
from .icons import icon_jobs, icon_sprite
from .model_cards import loaded_model
from .inputs import resolve_image_source

ICON_SIDE = 72   # display side of the most active channel's icon, pixels (as the component)
_DICTIONARIES: dict = {}


def dictionary_data(model, image_path: Path, layer: str, k: int) -> dict:
    """The semantic dictionary of every position of `layer` on the image, as plain lists:
    rows, cols, k, channels/values [rows*cols][k] (row-major cells, most active first) and
    magnitude [rows*cols] (length of each activation vector). Cached per process."""
    from .. import interpret as vi

    memo = (model.model_id, sha256_file(image_path), layer, k)
    if memo not in _DICTIONARIES:
        image = vi.load_image(image_path, model.input_size)                    # (3, S, S)
        d = vi.semantic_dictionary(model, image, layer, k)
        rows, cols = d.magnitude.shape
        _DICTIONARIES[memo] = {
            "rows": rows, "cols": cols, "k": k,
            "channels": d.indices.reshape(rows * cols, k).tolist(),           # (H*W, k)
            "values": rounded(d.values.reshape(rows * cols, k)),
            "magnitude": rounded(d.magnitude.flatten()),                      # (H*W,)
        }
    return _DICTIONARIES[memo]


def rounded(tensor) -> list:
    """A tensor as nested lists of numbers with 3 decimals (short, stable JSON)."""
    return np.round(tensor.numpy().astype(np.float64), 3).tolist()


def used_channels(data: dict) -> list[int]:
    """Every channel some position's dictionary shows, ascending."""
    return sorted({c for cell in data["channels"] for c in cell})


def photo(size: int, image_path: Path) -> tuple[bytes, str]:
    """The picture the model sees (its input `size`, centre crop) as (file bytes, extension)."""
    from .. import interpret as vi

    image = vi.load_image(image_path, size)                        # (3, S, S)
    pixels = (image.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()  # (S, S, 3)
    data, index = pack_sprite(pixels[None])
    return data, index["format"]


def dictionary_html(data: dict, cell: int, icons: dict, icon_src: str) -> str:
    """Static HTML of one position's dictionary: its icons, sized by activation, with values.
    `icons` is the sprite index with `channels`; the biggest value gets ICON_SIDE pixels."""
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
            f'<li class="sd-item" style="display:flex;gap:.5rem;align-items:center;margin:.3rem 0">'
            f'<span class="sd-crop" style="display:block;overflow:hidden;width:{side}px;height:{side}px">'
            f'<img src="{html.escape(icon_src)}" alt="" width="{round(icons["width"] * scale)}" '
            f'height="{round(icons["height"] * scale)}" style="max-width:none;margin:-{y}px 0 0 -{x}px" '
            f'loading="lazy"></span>'
            f'<span class="sd-label">channel {channel}</span> <span class="sd-value">{value:.2f}</span></li>')
    x, y = cell % data["cols"], cell // data["cols"]
    return (f'<div class="sd-panel"><p class="sd-where">position ({x}, {y})</p>'
            f'<ol class="sd-list" style="list-style:none;margin:0;padding:0">{"".join(items)}</ol></div>')


@KINDS.register
class SemanticDictionaryFigure:
    name = "semantic-dictionary"
    version = 1
    options = {
        **MODEL_OPTIONS,
        "image": IMAGE_OPTION,
        "layer": s.Option(s.text, required=True, doc="the layer (module path), e.g. blocks.10"),
        "at": s.Option(s.optional(s.list_of(s.integer(0))), doc="a position [x, y] of the layer's grid"),
        "top": s.Option(s.integer(1, 16), default=4, doc="how many channels to show"),
    }

    def plan(self, spec: dict, ctx: FigureContext) -> list:
        card = ctx.card()
        info = card.channel_map(spec["layer"])
        path = resolve_image_source(spec["image"], ctx, "image")
        if spec["top"] > info.channels:
            raise SpecError(f"top {spec['top']} is more than the {info.channels} channels of '{info.name}'",
                            f"use at most {info.channels}", field="top")
        data = dictionary_data(loaded_model(ctx.model), path, info.name, spec["top"])
        cell = None
        if spec.get("at") is not None:
            cell = _cell(spec["at"], data)
            channels = sorted(data["channels"][cell])
        else:
            channels = used_channels(data)
        spec["_dict"] = {"data": data, "cell": cell, "channels": channels, "path": path}
        return icon_jobs(card, info.name, channels, ctx.quality, size=spec.get("size"),
                         steps=spec.get("steps"))

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

    def render(self, spec: dict, ctx: FigureContext, results: list[dict[str, bytes]]) -> str:
        plan = spec["_dict"]
        data, cell = plan["data"], plan["cell"]
        stem = spec.get("id") or f"figure-{ctx.number}"
        sprite, icons = icon_sprite(results, plan["channels"])
        icon_src = ctx.emit.data(f"{stem}-icons", icons["format"], sprite)
        alt = html.escape(spec.get("alt") or "", quote=True)
        photo_bytes, ext = photo(ctx.card().input_size, plan["path"])
        photo_src = ctx.emit.data(f"{stem}-photo", ext, photo_bytes)
        if cell is not None:
            inner = (f'<div class="vellum-dictionary-static" role="group" aria-label="{alt}" '
                     f'style="display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start">'
                     f'{_marked_photo(photo_src, data, cell)}{dictionary_html(data, cell, icons, icon_src)}</div>')
            ctx.emit.script("js/figure-data.js")           # before the next, whatever comes later
            ctx.emit.script("js/semantic-dictionary.js")   # its styles
            return figure_html(spec, ctx, inner, extra_class="figure-semantic-dictionary")
        payload = {**data, "layer": spec["layer"], "icons": {**icons, "src": icon_src}, "photo": photo_src}
        src = ctx.emit.data(stem, "js", data_script(stem, payload))
        strongest = int(np.argmax(data["magnitude"]))
        ctx.emit.script("js/figure-data.js")
        ctx.emit.script("js/semantic-dictionary.js")
        inner = (f'<vellum-dictionary data-src="{html.escape(src)}" data-key="{html.escape(stem)}" '
                 f'role="group" aria-label="{alt}" '
                 f'style="display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start">\n'
                 f'<div class="sd-frame" style="position:relative;width:min(100%,320px)">'
                 f'<img class="sd-photo" src="{html.escape(photo_src)}" alt="{alt}" '
                 f'style="display:block;width:100%;height:auto">'
                 f'<span class="sd-fallback" style="{_box(data, strongest)}"></span></div>\n'
                 f'<div class="sd-fallback">{dictionary_html(data, strongest, icons, icon_src)}</div>\n'
                 f"</vellum-dictionary>")
        return figure_html(spec, ctx, inner, extra_class="figure-semantic-dictionary")


def _box(data: dict, cell: int) -> str:
    """Inline style of an outline over position `cell` of the photo (static HTML)."""
    x, y, cols, rows = cell % data["cols"], cell // data["cols"], data["cols"], data["rows"]
    return (f"position:absolute;left:{100 * x / cols:.3f}%;top:{100 * y / rows:.3f}%;"
            f"width:{100 / cols:.3f}%;height:{100 / rows:.3f}%;box-sizing:border-box;"
            "border:2px solid #fff;box-shadow:0 0 0 1px #000;pointer-events:none")


def _marked_photo(src: str, data: dict, cell: int) -> str:
    """The photo with the position of `cell` outlined (static HTML)."""
    return (f'<div class="sd-photo-static" style="position:relative;width:min(100%,200px)">'
            f'<img src="{html.escape(src)}" alt="" style="display:block;width:100%;height:auto">'
            f'<span style="{_box(data, cell)}"></span></div>')


def _cell(at: list[int], data: dict) -> int:
    """The row-major cell index of `at: [x, y]`, checked against the layer's grid."""
    if len(at) != 2:
        raise SpecError(f"expected [x, y], got {len(at)} numbers", "write at: [x, y]", field="at")
    x, y = at
    if x >= data["cols"] or y >= data["rows"]:
        raise SpecError(f"position ({x}, {y}) is outside the layer's {data['cols']}x{data['rows']} grid",
                        f"use x from 0 to {data['cols'] - 1} and y from 0 to {data['rows'] - 1}", field="at")
    return y * data["cols"] + x
