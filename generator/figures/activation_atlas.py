"""`{activation-atlas}`: a map of the activations a layer produced over a dataset, each grid
cell drawn as a feature visualization of the mean activation that falls in it (Carter et al.,
"Activation Atlas", Distill 2019). The reader pans and zooms; deeper zoom swaps in finer
grids; hovering a cell shows its photos, its classes and its count.

```{activation-atlas}
dataset: example-photos
layer: blocks.10
grid: [20, 40]           # one size, or several zoom levels, each a multiple of the one before
class: fireboat          # optional: the activations that push most toward this class
samples: 2000            # optional: activation vectors laid out (default all; with class, a quarter)
```

Planned in three steps, each from the results of the one before:
1. `plan`: the dataset pass over the layer (`dataset_pass.pass_jobs`, shared with every
   figure and unit page of the layer), whose statistics keep a sample of activation vectors.
2. `plan_more`: the layout job (`run_layout`): for a class, every vector's attribution toward
   it and the `samples` highest kept; UMAP to two dimensions; the cells of every zoom level,
   with their whitened mean direction, their classes and the members nearest their mean.
3. `plan_more`: the icons of every level's cells (`render_atlas_icons`, `CELLS` cells a job)
   and the crops of the cells' photos (`dataset_pass.example_job`, shared positions cropped
   once).
`render` composes each level into one picture (icons sized by how many activations their
cell holds, on white), the coarsest also the static picture shown without script and in
print; `js/activation-atlas.js` pans, zooms and answers hovers from a data script.
"""

from __future__ import annotations

import html
import json

import numpy as np

from .. import schema as s
from ..errors import SpecError
from ..pipeline.data_script import data_script
from ..pipeline.jobs import Job
from ..pipeline.runtime import Runtime
from ..pipeline.sprites import pack_sprite, unpack_sprite
from ..quality import PROFILES
from . import cells as notebook_cells
from .base import FigureContext, KINDS, MODEL_OPTIONS, Plan, figure_html, figure_label, figure_stem
from .dataset_pass import example_job, pass_jobs, reduce_pass
from .icons import ICON_SEED
from .render_jobs import Render, render_job
from .model_cards import job_model

VERSION = 1             # the figure's rendering
LAYOUT_VERSION = 2      # the layout job (2: each cell's probability of the atlas's class)
ICON_VERSION = 2        # the icon jobs (2: lossy WebP, a quarter of the size)
CELLS = 48              # cells whose icons one job renders (each level's cells chunked apart)
EXAMPLES = 4            # photos shown per cell: the members nearest its mean
CLASSES = 3             # classes shown per cell
COSSIM = 1.0            # cossim_pow of each cell's direction, as the activation grid's cells
MIN_COUNT = 3           # activations a cell needs to be drawn
MOST_CELLS = 100        # largest grid side
CROP = 64               # pixels of a cell's photo crops


def grid_value(value) -> list[int]:
    """`grid: 20` or `grid: [20, 40, 80]`: ascending sizes, each a multiple of the one before
    (so every fine cell lies inside one coarse cell)."""
    sizes = s.list_of(s.integer(2, MOST_CELLS), single_ok=True)(value)
    for small, large in zip(sizes, sizes[1:]):
        if large <= small or large % small:
            raise SpecError(f"grid sizes must grow, each a multiple of the one before; got {small} then {large}",
                            f"use e.g. [{small}, {2 * small}]")
    return sizes


@KINDS.register
class ActivationAtlasFigure:
    name = "activation-atlas"
    version = VERSION
    options = {
        **{k: v for k, v in MODEL_OPTIONS.items() if k == "model"},
        "dataset": s.Option(s.text, required=True, doc="a dataset site.yml declares under `datasets:`"),
        "layer": s.Option(s.text, required=True, doc="the layer (module path), e.g. blocks.10"),
        "grid": s.Option(grid_value, default=[20, 40], doc="cells per side, or zoom levels [20, 40, 80]"),
        "class": s.Option(s.optional(s.text), doc="a class: keep the activations that push most toward it"),
        "samples": s.Option(s.optional(s.integer(16, 1 << 20)),
                            doc="activation vectors laid out (default all the pass keeps; with class, a quarter)"),
        "min_count": s.Option(s.integer(1, 1000), default=MIN_COUNT, doc="activations a cell needs to be drawn"),
        "seed": s.Option(s.integer(0, 2**31 - 1), default=0, doc="the layout's random seed"),
    }

    def plan(self, spec: dict, ctx: FigureContext) -> Plan:
        card = ctx.card()
        info = card.channel_map(spec["layer"])
        dataset = ctx.dataset(spec["dataset"])
        target = card.check_class(spec["class"], "class") if spec.get("class") is not None else None
        passes = pass_jobs(card, dataset, [info.name], figure_label(spec, ctx))
        return Plan(passes, {"stage": "layout", "layer": info.name, "passes": len(passes), "class": target},
                    more=True)

    def plan_more(self, spec: dict, ctx: FigureContext, plan: Plan, results: list) -> Plan:
        data, card, label = plan.data, ctx.card(), figure_label(spec, ctx)
        if data["stage"] == "layout":
            stats = reduce_pass(results[:data["passes"]], data["layer"])
            vectors, where = stats.sampled_vectors()
            if len(vectors) < 16:
                raise SpecError(f"the dataset's pass kept {len(vectors)} activation vectors of '{data['layer']}', "
                                "too few for an atlas", "use a dataset of more photos", field="dataset")
            job = layout_job(card, data["layer"], vectors, where, spec, data["class"], label, ctx.blob)
            return Plan(plan.jobs + [job], {**data, "stage": "icons", "images": stats.images}, more=True)
        layout = json.loads(results[-1]["layout.json"])
        directions = np.frombuffer(results[-1]["directions"], np.float32).reshape(-1, layout["channels"])
        profile = PROFILES[ctx.quality]
        settings = {"quality": ctx.quality, "size": profile.cell_size, "steps": profile.cell_steps,
                    "profile": repr(profile.render), "seed": ICON_SEED}
        icons, first = [], 0
        for level in layout["levels"]:              # a level's icons do not depend on another's
            count = len(level["cells"])
            icons += icon_jobs(card, data["layer"], directions[first:first + count], settings,
                               f"{label}: atlas icons {level['grid']}x{level['grid']}", ctx.blob)
            first += count
        spots = sorted({tuple(w) for level in layout["levels"] for cell in level["cells"] for w in cell["examples"]})
        crops = example_job(card, ctx.dataset(spec["dataset"]), data["layer"], {0: spots}, label, side=CROP,
                            webp_quality=75, veil=False)
        return Plan(plan.jobs + icons + [crops],
                    {**data, "stage": "done", "icon_jobs": len(icons), "spots": [list(w) for w in spots]})

    def notebook(self, spec: dict, ctx: FigureContext) -> notebook_cells.Cells:
        """The pass, the layout and one cell's icon with the public API."""
        dataset, layer = ctx.dataset(spec["dataset"]), spec["layer"]
        grid = spec["grid"][0]
        return [
            ("markdown", f"The activation atlas of `{layer}` over the dataset `{dataset.name}` "
                         f"({len(dataset.images)} photos): a sample of activation vectors, laid out by UMAP, "
                         f"binned into a {grid} x {grid} grid, each cell drawn as its whitened mean direction."),
            ("code", "from pathlib import Path\nfrom generator import interpret as vi\n\n"
                     f"model = vi.load_model({ctx.model_shown!r})\n"
                     f"paths = sorted(p for p in Path({ctx.shown(dataset.folder)!r}).rglob('*') "
                     "if p.suffix.lower() in {'.jpg', '.jpeg', '.png', '.webp'})\n"
                     f"stats = vi.UnitStats.empty({layer!r}, channels={ctx.card().channel_map(layer).channels})\n"
                     "for i, path in enumerate(paths):\n"
                     f"    stats.add(i, vi.activations(model, path, [{layer!r}])[{layer!r}])\n"
                     "vectors, where = stats.sampled_vectors()\n"
                     f"xy = vi.atlas_layout(vectors, seed={spec['seed']})\n"
                     f"cells = vi.atlas_cells(xy, grid={grid}, min_count={spec['min_count']})\n"
                     "S = vi.whitening(vectors)\n"
                     "busiest = max(cells, key=lambda c: c.count)\n"
                     f"icon = vi.feature_vis(model, [vi.direction({layer!r}, S @ vectors[busiest.members].mean(0), "
                     f"cossim_pow={COSSIM})])"),
        ]

    def render(self, spec: dict, ctx: FigureContext, plan: Plan, results: list[dict[str, bytes]]) -> str:
        data, card = plan.data, ctx.card()
        stem = figure_stem(spec, ctx)
        dataset = ctx.dataset(spec["dataset"])
        at = data["passes"]
        layout = json.loads(results[at]["layout.json"])
        icons = np.concatenate([_tiles(r) for r in results[at + 1:at + 1 + data["icon_jobs"]]])
        crops = results[-1]
        crop_index = json.loads(crops["index.json"])
        crops_src = ctx.emit.data(f"{stem}-photos", crop_index["format"], crops["examples"])
        spots = {tuple(w): i for i, w in enumerate(data["spots"])}
        levels, first, static = [], 0, None
        for level in layout["levels"]:
            picture = compose(level, icons[first:first + len(level["cells"])])
            first += len(level["cells"])
            blob, index = pack_sprite(picture[None], webp_quality=80)
            src = ctx.emit.data(f"{stem}-level-{level['grid']}", index["format"], blob)
            static = static or (src, index)
            levels.append({
                "grid": level["grid"], "src": src, "side": index["width"],
                "cells": [[c["row"], c["col"], c["count"],
                           [[card.labels[k] if card.labels else f"class {k}", k, round(p, 3)] for k, p in c["classes"]],
                           [spots[tuple(w)] for w in c["examples"]],
                           [dataset.images[w[0]].path for w in c["examples"]],
                           None if c["target"] is None else round(c["target"], 4)] for c in level["cells"]],
            })
        payload = {"layer": data["layer"], "levels": levels, "vectors": layout["kept"], "images": data["images"],
                   "class": card.labels[data["class"]] if data["class"] is not None and card.labels else None,
                   "photos": {"src": crops_src, **{k: crop_index[k] for k in ("tile", "columns", "width", "height")}}}
        src = ctx.emit.data(stem, "js", data_script(stem, payload))
        ctx.emit.style("css/activation-atlas.css")
        ctx.emit.script("js/figure-data.js")
        ctx.emit.script("js/activation-atlas.js")
        alt = html.escape(spec.get("alt") or "", quote=True)
        url, index = static
        what = (f"{layout['kept']} activations of {data['layer']} over {data['images']} photos of {dataset.name}"
                + (f", those that push most toward {card.class_name(data['class'])}" if data["class"] is not None else ""))
        inner = (f'<vellum-activation-atlas data-src="{html.escape(src)}" data-key="{html.escape(stem)}" '
                 f'role="group" aria-label="{alt}">\n'
                 f'<p class="aa-what">{html.escape(what)}.</p>\n'
                 f'<div class="aa-view"><img class="aa-static" src="{html.escape(url)}" alt="{alt}" '
                 f'width="{index["width"]}" height="{index["height"]}" loading="lazy" decoding="async"></div>\n'
                 f"</vellum-activation-atlas>")
        return figure_html(spec, ctx, inner, extra_class="figure-activation-atlas")


def layout_job(card, layer: str, vectors: np.ndarray, where: np.ndarray, spec: dict, target: int | None,
               label: str, blob) -> Job:
    """The job laying out `vectors` (n, C; half-precision values, as the pass keeps them),
    taken at `where` (n, 5). The vectors travel as a file (`blob(data)` keeps it: see
    `FigureContext.blob`), named by its hash, not in the parameters."""
    digest, path = blob(pack_vectors(vectors, where))
    return Job(
        "generator.figures.activation_atlas:run_layout", LAYOUT_VERSION,
        params={"model": card.job_model, "layer": layer, "class": target, "samples": spec.get("samples"),
                "grid": spec["grid"], "min_count": spec["min_count"], "seed": spec["seed"],
                "examples": EXAMPLES, "classes": CLASSES},
        inputs={**card.job_io()["inputs"], "vectors": digest},
        files={**card.job_io()["files"], "vectors": str(path)},
        label=f"{label}: atlas layout of {layer}",
    )


def pack_vectors(vectors: np.ndarray, where: np.ndarray) -> bytes:
    """Vectors (n, C) at half precision and their places (n, 5), as bytes: a JSON header
    line, then the raw arrays."""
    half = np.ascontiguousarray(vectors, np.float16)
    places = np.ascontiguousarray(where, np.int64)
    header = json.dumps({"vectors": list(half.shape), "where": list(places.shape)}, sort_keys=True)
    return header.encode() + b"\n" + half.tobytes() + places.tobytes()


def unpack_vectors(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """What `pack_vectors` packed: float32 (n, C) and int64 (n, 5)."""
    head, _, body = data.partition(b"\n")
    shapes = json.loads(head)
    size = int(np.prod(shapes["vectors"])) * 2
    vectors = np.frombuffer(body[:size], np.float16).reshape(shapes["vectors"]).astype(np.float32)
    return vectors, np.frombuffer(body[size:], np.int64).reshape(shapes["where"])


def run_layout(params: dict, runtime: Runtime) -> dict[str, bytes]:
    """Job: `layout.json` (the kept vectors' places and every level's cells: row, col, count,
    members, classes, the probability of the atlas's class (`target`), example positions) and `directions` (float32 (cells, C), every level's
    cells in order: the whitened mean activation each icon renders)."""
    from .. import interpret as vi
    from ..interpret.render import torch_threads

    from pathlib import Path

    vectors, where = unpack_vectors(Path(params["files"]["vectors"]).read_bytes())
    model = job_model(params)
    with torch_threads(runtime.threads):
        kept = select(model, params["layer"], vectors, params["class"], params["samples"])
        chosen = vectors[kept]
        xy = vi.atlas_layout(chosen, seed=params["seed"])
        whiten = vi.whitening(vectors)
        levels, directions = [], []
        for grid in params["grid"]:
            found = vi.atlas_cells(xy, grid, params["min_count"])
            means = np.stack([chosen[c.members].mean(0) for c in found]) if found else np.zeros((0, vectors.shape[1]))
            probabilities = _softmax(vi.tiled_logits(model, params["layer"], means)) if found else np.zeros((0, 0))
            cells = []
            for cell, mean, p in zip(found, means, probabilities):
                top = np.argsort(-p, kind="stable")[:params["classes"]]
                cells.append({"row": cell.row, "col": cell.col, "count": cell.count,
                              "members": cell.members.tolist(),
                              "classes": [[int(k), float(p[k])] for k in top],
                              "target": float(p[params["class"]]) if params["class"] is not None else None,
                              "examples": [where[kept[m]].tolist() for m in nearest(chosen, cell.members, mean,
                                                                                     params["examples"])]})
                directions.append((whiten @ mean.astype(np.float64)).astype(np.float32))
            levels.append({"grid": grid, "cells": cells})
    layout = {"channels": int(vectors.shape[1]), "kept": len(kept), "indices": kept.tolist(),
              "xy": np.round(xy, 6).tolist(), "levels": levels}
    stacked = np.stack(directions) if directions else np.zeros((0, vectors.shape[1]), np.float32)
    return {"layout.json": json.dumps(layout, sort_keys=True, separators=(",", ":")).encode(),
            "directions": np.ascontiguousarray(stacked, np.float32).tobytes()}


def select(model, layer: str, vectors: np.ndarray, target: int | None, samples: int | None) -> np.ndarray:
    """Indices of the vectors an atlas lays out, ascending: without a class the first
    `samples` (the pass's sample is already in random order), all by default; with a class,
    the `samples` (a quarter by default) whose attribution toward it is highest: the class's
    logit when the vector fills the layer, less its logit for the mean vector (ties to the
    earlier vector)."""
    from .. import interpret as vi

    n = len(vectors)
    if target is None:
        return np.arange(min(samples or n, n))
    keep = min(samples or max(n // 4, 16), n)
    logits = vi.tiled_logits(model, layer, vectors)[:, target]
    baseline = vi.tiled_logits(model, layer, vectors.mean(0, keepdims=True))[0, target]
    order = np.lexsort((np.arange(n), -(logits - baseline)))
    return np.sort(order[:keep])


def nearest(vectors: np.ndarray, members: np.ndarray, mean: np.ndarray, count: int) -> list[int]:
    """The `count` members whose vectors are most similar (cosine) to `mean`, closest first."""
    chosen = vectors[members]
    similarity = chosen @ mean / (np.linalg.norm(chosen, axis=1) * np.linalg.norm(mean) + 1e-9)
    order = np.lexsort((members, -similarity))
    return [int(members[i]) for i in order[:count]]


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def icon_jobs(card, layer: str, directions: np.ndarray, settings: dict, label: str, blob) -> list[Job]:
    """The jobs rendering one icon per direction (the whitened mean activations of a level's
    cells), `CELLS` a job; the directions travel as one file (`blob`), each job its rows."""
    digest, path = blob(np.ascontiguousarray(directions, np.float32).tobytes())
    io = card.job_io()
    return [Job("generator.figures.activation_atlas:render_atlas_icons", ICON_VERSION,
                params={"model": card.job_model, "layer": layer, "cossim_pow": COSSIM, **settings,
                        "channels": int(directions.shape[1]), "rows": [start, min(start + CELLS, len(directions))]},
                inputs={**io["inputs"], "directions": digest}, files={**io["files"], "directions": str(path)},
                label=f"{label} {start}-{min(start + CELLS, len(directions)) - 1}")
            for start in range(0, len(directions), CELLS)]


def job_directions(params: dict) -> np.ndarray:
    """An icon job's directions (n, C), float32."""
    from pathlib import Path

    every = np.frombuffer(Path(params["files"]["directions"]).read_bytes(), np.float32).reshape(-1, params["channels"])
    start, stop = params["rows"]
    return every[start:stop].copy()          # writable, as torch wants


def _atlas_icons_request(params: dict) -> Render:
    from .. import interpret as vi

    objectives = [vi.direction(params["layer"], d, cossim_pow=params["cossim_pow"]) for d in job_directions(params)]
    return Render(objectives, params["seed"], params["size"], params["steps"], params["quality"])


def _atlas_icons_artifacts(params: dict, render: Render, tiles: np.ndarray) -> dict[str, bytes]:
    blob, index = pack_sprite(tiles, webp_quality=90)
    return {"icons": blob, "index.json": json.dumps(index, sort_keys=True).encode()}


render_atlas_icons = render_job(_atlas_icons_request, _atlas_icons_artifacts, """Job: `icons`, a sprite (WebP, quality 90)
    of one feature visualization per direction, in order.""")


def _tiles(result: dict[str, bytes]) -> np.ndarray:
    return unpack_sprite(result["icons"], json.loads(result["index.json"]))


def compose(level: dict, icons: np.ndarray) -> np.ndarray:
    """A level's picture: its grid of cells on white, each cell's icon scaled by the share of
    activations it holds (the fullest cell fills its square; the emptiest is 60% as wide):
    uint8 (grid * S, grid * S, 3)."""
    from PIL import Image

    grid, side = level["grid"], icons.shape[1] if len(icons) else 8
    picture = np.full((grid * side, grid * side, 3), 255, np.uint8)
    most = max((c["count"] for c in level["cells"]), default=1)
    for cell, icon in zip(level["cells"], icons):
        size = max(4, int(round(side * (0.6 + 0.4 * np.sqrt(cell["count"] / most)))))
        tile = np.asarray(Image.fromarray(icon).resize((size, size), Image.LANCZOS)) if size != side else icon
        top, left = cell["row"] * side + (side - size) // 2, cell["col"] * side + (side - size) // 2
        picture[top:top + size, left:left + size] = tile
    return picture
