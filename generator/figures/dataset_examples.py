"""`{dataset-examples}`: units of a layer, each beside the photos of a dataset that excite it
most, so a reader can check a feature visualization against real images.

```{dataset-examples}
dataset: photos          # a dataset site.yml declares
layer: blocks.10
units: 0-7               # a list, a range, {from, to} or `all`
top: 8                   # examples per unit (at most 16)
```

Planned in two steps: `plan` names the dataset pass over the layer (`dataset_pass.pass_jobs`,
shared with every figure and unit page of the layer on that dataset) and the units' shared
icons; `plan_more` reduces the pass to each unit's strongest images and names the job that
crops them. The figure is static HTML: a row per unit, its icon then its examples, each
example titled with its file and activation, strongest first; CSS only
(`css/dataset-examples.css`).
"""

from __future__ import annotations

import html
import json

from .. import schema as s
from ..errors import SpecError
from . import cells
from .base import FigureContext, KINDS, MODEL_OPTIONS, Plan, figure_html, figure_label, figure_stem
from .dataset_pass import TOP, example_job, pass_jobs, reduce_pass
from .feature_vis import units_value
from .icons import icon_jobs, icon_sprite

VERSION = 1
MOST_UNITS = 64       # rows a figure shows


@KINDS.register
class DatasetExamplesFigure:
    name = "dataset-examples"
    version = VERSION
    options = {
        **{k: v for k, v in MODEL_OPTIONS.items() if k == "model"},
        "dataset": s.Option(s.text, required=True, doc="a dataset site.yml declares under `datasets:`"),
        "layer": s.Option(s.text, required=True, doc="the layer (module path), e.g. blocks.10"),
        "units": s.Option(units_value, required=True, doc="a list [3, 7], a range 0-15, or all"),
        "top": s.Option(s.integer(1, TOP), default=8, doc=f"examples per unit (at most {TOP})"),
    }

    def plan(self, spec: dict, ctx: FigureContext) -> Plan:
        card = ctx.card()
        info = card.channel_map(spec["layer"])
        dataset = ctx.dataset(spec["dataset"])
        units = _units(spec["units"], info.channels)
        label = figure_label(spec, ctx)
        passes = pass_jobs(card, dataset, [info.name], label)
        icons = icon_jobs(card, info.name, units, ctx.quality)
        return Plan(passes + icons, {"units": units, "passes": len(passes), "layer": info.name}, more=True)

    def plan_more(self, spec: dict, ctx: FigureContext, plan: Plan, results: list) -> Plan:
        """The crops of each unit's strongest images, now that the pass says which they are."""
        stats = reduce_pass(results[:plan.data["passes"]], plan.data["layer"])
        top = {unit: [where for _, where in stats.top(unit)[:spec["top"]]] for unit in plan.data["units"]}
        values = {unit: [round(value, 3) for value, _ in stats.top(unit)[:spec["top"]]] for unit in plan.data["units"]}
        job = example_job(ctx.card(), ctx.dataset(spec["dataset"]), plan.data["layer"], top, figure_label(spec, ctx))
        return Plan(plan.jobs + [job], {**plan.data, "examples": {str(u): w for u, w in top.items()},
                                        "values": {str(u): v for u, v in values.items()}, "images": stats.images})

    def notebook(self, spec: dict, ctx: FigureContext) -> cells.Cells:
        """The pass over the dataset's photos with the public API, in a notebook."""
        dataset = ctx.dataset(spec["dataset"])
        units = _units(spec["units"], ctx.card().channel_map(spec["layer"]).channels)
        layer = spec["layer"]
        folder = ctx.shown(dataset.folder)
        return [
            ("markdown", f"Every photo of the dataset `{dataset.name}` ({len(dataset.images)} images), whole, "
                         f"through the model; `vi.UnitStats` keeps each channel's strongest images."),
            ("code", f"from pathlib import Path\nfrom generator import interpret as vi\n\n"
                     f"model = vi.load_model({ctx.model_shown!r})\n"
                     f"paths = sorted(p for p in Path({folder!r}).rglob('*') "
                     f"if p.suffix.lower() in {{'.jpg', '.jpeg', '.png', '.webp'}})\n"
                     f"stats = vi.UnitStats.empty({layer!r}, channels={ctx.card().channel_map(layer).channels})\n"
                     "for i, path in enumerate(paths):\n"
                     f"    stats.add(i, vi.activations(model, path, [{layer!r}])[{layer!r}])   # (C, H, W)\n"
                     f"for unit in {units[:8]!r}:\n"
                     f"    print(unit, [(paths[w[0]].name, round(v, 2)) for v, w in stats.top(unit)[:{spec['top']}]])"),
        ]

    def render(self, spec: dict, ctx: FigureContext, plan: Plan, results: list[dict[str, bytes]]) -> str:
        data = plan.data
        stem = figure_stem(spec, ctx)
        dataset = ctx.dataset(spec["dataset"])
        crops = results[-1]
        index = json.loads(crops["index.json"])
        examples_src = ctx.emit.data(f"{stem}-examples", index["format"], crops["examples"])
        icon_data, icons = icon_sprite(results[data["passes"]:-1], data["units"])
        icons_src = ctx.emit.data(f"{stem}-icons", icons["format"], icon_data)
        ctx.emit.style("css/dataset-examples.css")
        first, at = {}, 0                          # the crops come channel by channel, ascending
        for unit in sorted(data["units"]):
            first[unit], at = at, at + len(data["examples"][str(unit)])
        rows = []
        for row, unit in enumerate(data["units"]):
            cells_html = []
            for tile, (where, value) in enumerate(zip(data["examples"][str(unit)], data["values"][str(unit)]),
                                                  start=first[unit]):
                name = dataset.images[where[0]].path
                title = html.escape(f"{name}: {value:.2f} at ({where[2]}, {where[1]})", quote=True)
                cells_html.append(f'<li title="{title}">{_tile(examples_src, index, tile, alt=title)}</li>')
            name = f"{data['layer']}:{unit}"
            rows.append(
                f'<li class="dx-unit"><div class="dx-icon">{_tile(icons_src, icons, row, alt="")}'
                f'<span class="dx-name">channel {unit}</span></div>'
                f'<ol class="dx-examples" aria-label="{html.escape(name)}: its {len(cells_html)} strongest photos">'
                f'{"".join(cells_html)}</ol></li>')
        alt = html.escape(spec.get("alt") or "", quote=True)
        inner = (f'<div class="vellum-dataset-examples" role="group" aria-label="{alt}">'
                 f'<p class="dx-source">{html.escape(dataset.name)}: {data["images"]} photos, '
                 f'strongest first; a veil fades what the channel ignores.</p>'
                 f'<ul class="dx-units">{"".join(rows)}</ul></div>')
        return figure_html(spec, ctx, inner, extra_class="figure-dataset-examples")


def _units(value: dict, channels: int) -> list[int]:
    if "top" in value:
        raise SpecError("units: {top: k} ranks channels on one image", "list the units, e.g. units: 0-7",
                        field="units")
    units = list(range(channels)) if value.get("all") else value["list"]
    bad = [u for u in units if not 0 <= u < channels]
    if bad:
        raise SpecError(f"channel {bad[0]} is out of range: the layer has {channels} channels",
                        f"use 0 to {channels - 1}", field="units")
    if len(units) > MOST_UNITS:
        raise SpecError(f"{len(units)} units is more than a figure shows ({MOST_UNITS})",
                        "pick fewer units; unit pages show every unit", field="units")
    return units


def _tile(src: str, index: dict, i: int, alt: str) -> str:
    """Tile `i` of a sprite (its index) as a cropped <img>."""
    side, columns = index["tile"][0], index["columns"]
    x, y = (i % columns) * side, (i // columns) * side
    return (f'<span class="dx-crop" style="width:{side}px;height:{side}px">'
            f'<img src="{html.escape(src)}" alt="{alt}" width="{index["width"]}" height="{index["height"]}" '
            f'style="margin:-{y}px 0 0 -{x}px" loading="lazy" decoding="async"></span>')
