"""`{activation-grid}`: the image as a grid of what the network sees at each position.

```{activation-grid}
id: fig-grid
image: sample:chelsea
layer: blocks.10          # or layers: [blocks.6, blocks.10] for a layer switcher
top: 4                    # channels in each cell's semantic dictionary
```

Each cell is the feature visualization of that position's whole activation vector v_xy:
Lucid's `direction(layer, v_xy, cossim_pow=GRID_COSSIM)`, all cells of a layer optimized in
batches of the profile's batch size (Building Blocks' method). The grid is shown at full
strength; a checkbox fades each cell with the length of its vector (faint where little is
active). Hovering a cell, or moving over the grid with
the arrow keys, shows its semantic dictionary beside it (`assets/js/activation-grid.js`,
which reuses `semantic-dictionary.js`), and what that position does (`run_positions`, one
forward and backward pass): its attribution (gradient x activation, summed over channels) to
the photo's two likeliest classes, the channels there that push toward the first rather than
the second (Building Blocks' channel attribution at a position), and its share of each of
the layer's neuron groups (NMF, as `{neuron-groups}`), whose map a hover shows over the
photo. The same position is outlined on the photo and in the grid. Without script, the grid
is one composite image.

Cost: one image per position. EfficientNet-Lite0's blocks.10 at 224 px is 14x14 = 196 cells;
at draft quality (56 px cells, 128 steps) that is 25,088 image-steps of a 56 px image, about
70 s on an idle 2-core CPU (~350 image-steps/s at batch 16). The dictionaries' channel icons
come on top, once per layer for every figure: on chelsea, blocks.10's top-4 channels cover 95
of its 112 channels, i.e. all 7 icon chunks, 112 x 256 steps at 110 px (~110 image-steps/s),
about 4 minutes at draft quality.
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
from ..pipeline.sprites import pack_sprite
from ..quality import PROFILES
from . import cells
from ..pipeline.runtime import Runtime
from .base import FigureContext, KINDS, MODEL_OPTIONS, PHOTO_OPTIONS, Plan, figure_html, figure_label, figure_stem, units_url
from .icons import icon_jobs, icon_sprite
from .model_cards import job_model, label
from .neuron_groups import GROUP_COLOURS
from .render_jobs import Render, render_job
from .inputs import emit_photo, resolve_image_source
from .semantic_dictionary import dictionary_job, dictionary_of, used_channels

VERSION = 3                                            # the kind (its page data)
GRID_VERSION = 2                                       # the grid job
GRID_COSSIM = 1.0                                      # cossim_pow of each cell's direction
POSITIONS_VERSION = 1
MOST_CELLS = 64 * 64  # positions a grid's layer may have at the model's input size (EfficientNet's blocks.1: 56x56)
GROUPS = 6          # neuron groups a position's share is told in: a `{neuron-groups}` figure's default,
                    # so a figure of the same photo and layer shows the same groups in the same colours
PUSHING = 3                                            # channels shown toward each class at a position


@KINDS.register
class ActivationGridFigure:
    name = "activation-grid"
    version = VERSION
    options = {
        **MODEL_OPTIONS,
        **PHOTO_OPTIONS,
        "layer": s.Option(s.optional(s.text), doc="the layer (module path), e.g. blocks.10"),
        "layers": s.Option(s.optional(s.list_of(s.text)), doc="several layers, with a switcher"),
        "top": s.Option(s.integer(1, 16), default=4, doc="channels in each cell's dictionary"),
    }

    def plan(self, spec: dict, ctx: FigureContext) -> Plan:
        """For each layer, its grid job and its dictionary job (one forward pass); the icons
        come in `plan_more`, once the dictionaries say which channels they show."""
        names = _layer_names(spec)
        profile = PROFILES[ctx.quality]
        card = ctx.card()
        path = resolve_image_source(spec["image"], ctx, "image")
        field = "layer" if spec.get("layer") else "layers"
        label = figure_label(spec, ctx)
        jobs, layers = [], []
        for name in names:
            info = card.channel_map(name, field=field)
            if info.height * info.width > MOST_CELLS:
                raise SpecError(f"layer '{name}' has {info.width}x{info.height} positions at the model's input size: "
                                f"a grid of {info.width * info.height:,} cells or more, each a rendered picture",
                                f"pick a later, coarser layer (at most {MOST_CELLS:,} positions)", field=field)
            jobs.append(Job(
                "generator.figures.activation_grid:render_grid", GRID_VERSION,
                params={"model": card.job_model, "layer": info.name, "quality": ctx.quality,
                        "profile": repr(profile.render),
                        "size": spec.get("size") or profile.cell_size,
                        "steps": spec.get("steps") or profile.cell_steps,
                        "cossim_pow": GRID_COSSIM, "seed": 0, "crop": spec["crop"]},
                **card.job_io(path),
                label=f"{label}: grid {info.name}",
            ))
            jobs.append(dictionary_job(card, path, spec["crop"], info.name, min(spec["top"], info.channels), label))
            jobs.append(positions_job(card, path, spec["crop"], info, label))
            layers.append(info.name)
        return Plan(jobs, {"layers": layers, "path": str(path)}, more=True)

    def plan_more(self, spec: dict, ctx: FigureContext, plan: Plan, results: list) -> Plan:
        """Each layer's icon jobs: every channel some position's dictionary shows."""
        jobs, channels, counts = list(plan.jobs), [], []
        for n, layer in enumerate(plan.data["layers"]):
            used = sorted(set(used_channels(dictionary_of(results[PER_LAYER * n + 1])))
                          | pushing_channels(json.loads(results[PER_LAYER * n + 2]["positions.json"])))
            icons = icon_jobs(ctx.card(), layer, used, ctx.quality)
            jobs += icons
            channels.append(used)
            counts.append(len(icons))
        return Plan(jobs, {**plan.data, "channels": channels, "icon_jobs": counts})

    def notebook(self, spec: dict, ctx: FigureContext) -> cells.Cells:
        """The figure reproduced with the public API, in a notebook."""
        layers = spec.get("layers") or [spec["layer"]]
        size = spec.get("size") or PROFILES[ctx.quality].cell_size
        steps = spec.get("steps") or PROFILES[ctx.quality].cell_steps
        return [
            ("markdown", "Each position's whole activation vector becomes one direction objective; "
                         "all positions of a layer render together."),
            ("code", f"{cells.setup(spec, ctx)}\n{cells.SHOW}\n\nlayer = {layers[-1]!r}   # the figure shows {', '.join(layers)}\n"
                     "acts = vi.activations(model, image, [layer])[layer]   # (C, H, W)\n"
                     "C, H, W = acts.shape\n"
                     f"objectives = [vi.direction(layer, acts[:, y, x], cossim_pow={GRID_COSSIM}) "
                     "for y in range(H) for x in range(W)]\n"
                     f"cells = vi.feature_vis(model, objectives, size={size}, steps={steps}, seed=0,\n"
                     f"                       quality=vi.QUALITY[{ctx.quality!r}])   # uint8 [H*W, S, S, 3]\n"
                     "show(cells, columns=W)"),
            ("code", "top = vi.semantic_dictionary(model, image, layer, k=4)\n"
                     "print('channels at the strongest position:', top.indices.flatten(0, 1)[top.magnitude.argmax()].tolist())"),
        ]

    def render(self, spec: dict, ctx: FigureContext, plan: Plan, results: list[dict[str, bytes]]) -> str:
        stem = figure_stem(spec, ctx)
        src, srcset, shape = emit_photo(ctx, ctx.card().input_size, Path(plan.data["path"]), spec["crop"])
        payload = {"photo": src, "photo_size": shape, "layers": []}
        layout = {"photo": src, "photo_size": shape, "photo_srcset": srcset, "layers": []}   # drawn before the data
        fallback = None
        layers = plan.data["layers"]
        at = PER_LAYER * len(layers)              # the icon jobs follow every layer's own jobs
        card = ctx.card()
        for n, layer in enumerate(layers):
            grid, data = results[PER_LAYER * n], dictionary_of(results[PER_LAYER * n + 1])
            positions, data["maps"] = named_positions(results[PER_LAYER * n + 2], card, data["rows"], data["cols"],
                                                      data["maps"])
            count = plan.data["icon_jobs"][n]
            icon_results = results[at:at + count]
            at += count
            meta = json.loads(grid["index.json"])
            slug = layer.replace(".", "-")
            cells = ctx.emit.data(f"{stem}-{slug}-cells", meta["cells"]["format"], grid["cells"])
            sprite, icons = icon_sprite(icon_results, plan.data["channels"][n])
            icon_src = ctx.emit.data(f"{slug}-icons", icons["format"], sprite)   # photos of a layer often share it
            if fallback is None:                  # without script: the first layer's grid, the same file
                fallback = (cells, meta["cells"])
            payload["layers"].append({
                **data, "layer": layer, "units": units_url(ctx.model, layer), "positions": positions,
                "cells": {**meta["cells"], "src": cells},
                "icons": {**icons, "src": icon_src},
            })
            layout["layers"].append({**panel_layout(layer, data, icons, positions), "rows": data["rows"],
                                     "cols": data["cols"], "cells": {**meta["cells"], "src": cells}})
        src = ctx.emit.data(stem, "js", data_script(stem, payload))
        ctx.emit.style("css/semantic-dictionary.css")
        ctx.emit.style("css/activation-grid.css")
        ctx.emit.script("js/figure-data.js")
        ctx.emit.script("js/semantic-dictionary.js")
        ctx.emit.style("css/position-panel.css")
        ctx.emit.script("js/position-panel.js")
        ctx.emit.script("js/activation-grid.js")
        alt = html.escape(spec.get("alt") or "", quote=True)
        url, index = fallback
        inner = (f'<vellum-activation-grid data-src="{html.escape(src)}" data-key="{html.escape(stem)}" '
                 f'data-layout="{html.escape(json.dumps(layout, separators=(",", ":")), quote=True)}" '
                 f'role="group" aria-label="{alt}">\n'
                 f'<img class="figure-fallback" src="{html.escape(url)}" alt="{alt}" '
                 f'width="{index["width"]}" height="{index["height"]}" loading="lazy" decoding="async">\n'
                 f"</vellum-activation-grid>")
        return figure_html(spec, ctx, inner, extra_class="figure-activation-grid")


PER_LAYER = 3        # a layer's jobs, in order: its grid, its dictionary, its positions


def positions_job(card, path: Path, crop: str, info, label: str, classes: list[int] | None = None) -> Job:
    """The job that tells what each position of the layer `info` does (`run_positions`):
    toward `classes`, or the photo's two likeliest classes."""
    params = {"model": card.job_model, "layer": info.name, "crop": crop, "size": card.input_size,
              "groups": min(GROUPS, info.channels), "pushing": min(PUSHING, info.channels)}
    if classes:                               # absent otherwise, so the grid's jobs keep their keys
        params["classes"] = list(classes)
    return Job("generator.figures.activation_grid:run_positions", POSITIONS_VERSION, params=params,
               **card.job_io(path), label=f"{label}: positions {info.name}")


def panel_layout(layer: str, dictionary: dict, icons: dict, positions: dict) -> dict:
    """What a position's dictionary and panel show before the data loads (semantic-dictionary.js
    and position-panel.js with no cell): the layer, the entries a dictionary lists, the
    icons' side, the classes and the groups' colours."""
    return {"layer": layer, "top": len(dictionary["channels"][0]), "icon_tile": icons["tile"][0],
            "labels": positions["labels"], "colours": positions["colours"]}


def named_positions(result: dict, card, rows: int, cols: int, maps: dict) -> tuple[dict, dict]:
    """(the positions of a `run_positions` result, with class labels and group colours; the
    dictionary's channel `maps` with the pushing channels' maps added)."""
    positions = json.loads(result["positions.json"])
    positions["labels"] = [label(card, c) for c in positions["classes"]]
    positions["colours"] = GROUP_COLOURS[:len(positions["groups"]["share"][0])] if positions["groups"] else []
    return positions, merged_maps(maps, positions.pop("maps"), rows * cols)


def _layer_names(spec: dict) -> list[str]:
    if spec.get("layer") and spec.get("layers"):
        raise SpecError("give either `layer` or `layers`, not both",
                        "move the layer into the `layers:` list", field="layers")
    if spec.get("layers") == []:
        raise SpecError("`layers` is an empty list", "list one layer or more, e.g. `layers: [blocks.7, blocks.10]`",
                        field="layers")
    if not spec.get("layer") and not spec.get("layers"):
        raise SpecError("no layer given", "add `layer: blocks.10` (or `layers: [...]`)", field="layer")
    names = spec.get("layers") or [spec["layer"]]
    if len(set(names)) != len(names):
        raise SpecError("`layers` lists a layer twice", "list each layer once", field="layers")
    return names


def _grid_request(params: dict) -> Render:
    """One direction objective per position of the layer: the photo's activation vector there."""
    from .. import interpret as vi

    model = job_model(params)
    layer = params["layer"]
    image = vi.load_image(params["files"]["image"], model.input_size, params["crop"])  # (3, H, W)
    activation = vi.activations(model, image, [layer])[layer].float().cpu()  # (C, H, W)
    channels, rows, cols = activation.shape
    vectors = activation.permute(1, 2, 0).reshape(rows * cols, channels)    # (H*W, C)
    objectives = [vi.direction(layer, v, cossim_pow=params["cossim_pow"]) for v in vectors]
    return Render(objectives, params["seed"], params["size"], params["steps"], params["quality"],
                  {"rows": rows, "cols": cols})


def _grid_artifacts(params: dict, render: Render, tiles: np.ndarray) -> dict[str, bytes]:
    rows, cols = render.found["rows"], render.found["cols"]
    cells_data, cells_index = pack_sprite(tiles, columns=cols)
    index = {"cells": cells_index, "rows": rows, "cols": cols}
    return {"cells": cells_data, "index.json": json.dumps(index, sort_keys=True).encode()}


render_grid = render_job(_grid_request, _grid_artifacts, """Job: one direction visualization per position of the layer.

    Artifacts: `cells` (a sprite whose tiles are laid out as the layer's grid: tile i is
    position (i % cols, i // cols); it is also the figure's picture without script) and
    `index.json` with its index.""")


def _short(value) -> float:
    """A number kept to four significant digits (short, stable JSON)."""
    return float(f"{float(value):.4g}")


def merged_maps(first: dict, second: dict, positions: int) -> dict:
    """Two sets of channel maps ({channels, data: base64 of `positions` bytes a channel}) as
    one, each channel once, ascending."""
    rows = {}
    for maps in (first, second):
        raw = np.frombuffer(base64.b64decode(maps["data"]), dtype=np.uint8).reshape(len(maps["channels"]), positions)
        rows.update({c: raw[i] for i, c in enumerate(maps["channels"])})
    channels = sorted(rows)
    data = np.stack([rows[c] for c in channels]) if channels else np.zeros((0, positions), np.uint8)
    return {"channels": channels, "data": base64.b64encode(data.tobytes()).decode("ascii")}


def pushing_channels(positions: dict) -> set[int]:
    """Every channel some position shows as pushing toward a class."""
    return {c for cell in positions["pushing"] for side in cell for c, _ in side}


def run_positions(params: dict, runtime: Runtime) -> dict[str, bytes]:
    """Job: what each position of the layer does, for the grid's panel.

    `positions.json`: `classes`, the photo's two likeliest classes (A, B), or `params["classes"]`
    when given (one or two); `attribution`, per position, its gradient x activation summed
    over channels toward each class; `pushing`, per position, the `pushing` channels whose
    attribution to A minus B (with one class: to A) is largest ([channel, value] pairs) and
    those whose is most negative (their values made positive); `groups`, per position, its
    share of each of `groups` NMF neuron groups (as `{neuron-groups}` factors them: maps over
    their sum; null when the layer is all zeros) and each group's map over its own peak (0-255)."""
    from .. import interpret as vi
    from ..interpret.attribution import layer_gradient, model_input

    import torch

    model = job_model(params)
    image = vi.load_image(params["files"]["image"], params["size"], params["crop"])    # (3, H, W)
    with torch.no_grad():
        logits = model(model_input(model, image))[0]
    classes = params.get("classes") or [int(c) for c in logits.argsort(descending=True)[:2]]
    activation, grads = layer_gradient(model, image, params["layer"], classes)   # (C, H, W), (T, C, H, W)
    attribution = (grads * activation).flatten(2)                                 # (T, C, H*W)
    channels, positions = attribution.shape[1], attribution.shape[2]
    difference = (attribution[0] - attribution[1] if len(classes) == 2 else attribution[0]).T   # (H*W, C)
    k = params["pushing"]
    toward_a = difference.topk(k, dim=1)
    toward_b = (-difference).topk(k, dim=1)
    def side(found, p: int) -> list:
        return [[int(c), _short(v)] for c, v in zip(found.indices[p], found.values[p]) if _short(v) > 0]

    pushing = [[side(toward_a, p), side(toward_b, p)] for p in range(positions)]
    groups = None
    try:
        found = vi.neuron_groups(model, image, params["layer"], n=params["groups"], nonneg="split")
        maps = found.maps.flatten(1).double().numpy()                             # (n, H*W)
        share = maps / np.maximum(maps.sum(0, keepdims=True), 1e-12)
        peaks = np.maximum(maps.max(1, keepdims=True), 1e-12)
        groups = {"share": np.round(share.T, 3).tolist(),                          # (H*W, n)
                  "maps": np.round(maps / peaks * 255).astype(int).tolist()}       # (n, H*W)
    except vi.InterpretError:
        pass                                                                      # no groups for this layer
    shown = sorted(pushing_channels({"pushing": pushing}))
    act = np.clip(activation.float().numpy().reshape(channels, positions)[shown], 0, None)
    peaks = np.maximum(act.max(axis=1, keepdims=True), 1e-9) if shown else act
    data = {"classes": classes, "attribution": [[_short(v) for v in row] for row in attribution.sum(1)],
            "pushing": pushing, "groups": groups, "channels": channels,
            "maps": {"channels": shown,
                     "data": base64.b64encode(np.round(act / peaks * 255).astype(np.uint8).tobytes()).decode("ascii")}}
    return {"positions.json": json.dumps(data, sort_keys=True, separators=(",", ":")).encode()}
