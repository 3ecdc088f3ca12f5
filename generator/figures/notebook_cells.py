"""The notebook cells of the model figure kinds: each figure reproduced with the public API
(`generator.interpret`), in the few lines a reader would write. The notebook then recomputes
the build's exact artifacts from the figure's jobs (see `generator.notebooks`).

Each function takes the figure's checked spec and context and returns (cell type, source)
pairs; the kinds expose them as their `notebook` method.
"""

from __future__ import annotations

from pathlib import Path

from .base import FigureContext

Cells = list[tuple[str, str]]
SHOW = ("from PIL import Image\nimport numpy as np\n\n"
        "def show(images, columns=8):\n"
        "    \"\"\"uint8 [N, H, W, 3] as one picture, `columns` images a row.\"\"\"\n"
        "    rows = [np.concatenate(list(images[i:i + columns]), axis=1) for i in range(0, len(images), columns)]\n"
        "    width = max(r.shape[1] for r in rows)\n"
        "    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]\n"
        "    return Image.fromarray(np.concatenate(rows, axis=0))")


def _image(spec: dict, ctx: FigureContext) -> str:
    value = spec["image"]
    if value.startswith("sample:"):
        return repr(value)
    return repr((Path(ctx.source).parent / value).as_posix())


def _setup(spec: dict, ctx: FigureContext, size: str = "model.input_size") -> str:
    lines = [f"model = vi.load_model({ctx.model!r})"]
    if spec.get("image"):
        lines.append(f"image = vi.load_image({_image(spec, ctx)}, {size})   # (3, S, S) in [0, 1]")
    return "\n".join(lines)


def _target(classes: list[int]) -> str:
    return f"({classes[0]}, {classes[1]})" if len(classes) == 2 else str(classes[0])


def feature_vis(spec: dict, ctx: FigureContext) -> Cells:
    from .icons import icon_settings

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
        ("code", f"{_setup(spec, ctx)}\n{pick}\n"
                 f"images = vi.feature_vis(model, {objectives}, size={settings['size']}, "
                 f"steps={settings['steps']},\n"
                 f"                        seed={settings['seed']}, quality=vi.QUALITY[{ctx.quality!r}])   # uint8 [N, S, S, 3]\n"
                 f"{SHOW}\n\nshow(images)"),
    ]


def activation_grid(spec: dict, ctx: FigureContext) -> Cells:
    from .activation_grid import CELL_SIZE, CELL_STEPS, GRID_COSSIM

    layers = spec.get("layers") or [spec["layer"]]
    size = spec.get("size") or CELL_SIZE[ctx.quality]
    steps = spec.get("steps") or CELL_STEPS[ctx.quality]
    return [
        ("markdown", "Each position's whole activation vector becomes one direction objective; "
                     "all positions of a layer render together."),
        ("code", f"{_setup(spec, ctx)}\n{SHOW}\n\nlayer = {layers[-1]!r}   # the figure shows {', '.join(layers)}\n"
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


def semantic_dictionary(spec: dict, ctx: FigureContext) -> Cells:
    at = spec.get("at")
    where = (f"x, y = {at[0]}, {at[1]}" if at else
             "y, x = divmod(int(d.magnitude.argmax()), d.magnitude.shape[1])   # the strongest position")
    return [("code", f"{_setup(spec, ctx)}\n"
                     f"d = vi.semantic_dictionary(model, image, {spec['layer']!r}, k={spec['top']})\n"
                     f"{where}\n"
                     "for channel, value in zip(d.indices[y, x].tolist(), d.values[y, x].tolist()):\n"
                     "    print(f'channel {channel}: {value:.2f}')")]


def spatial_attribution(spec: dict, ctx: FigureContext) -> Cells:
    size = spec.get("size") or "model.input_size"
    if spec.get("layers"):
        earlier, later = spec["layers"]
        code = (f"maps = vi.layer_attribution(model, image, {earlier!r}, {later!r})   # (H2, W2, H1, W1)\n"
                "print(maps.shape)")
    else:
        steps = f", steps={spec['steps']}" if spec.get("steps") else ""
        code = (f"target = {_target(spec['classes'])}   # a class, or (A, B) for logit A minus logit B\n"
                f"attribution = vi.spatial_attribution(model, image, {spec['layer']!r}, target{steps})   # (H, W)\n"
                "print(attribution.numpy().round(2))")
    return [("code", f"{_setup(spec, ctx, str(size))}\n{code}")]


def channel_attribution(spec: dict, ctx: FigureContext) -> Cells:
    size = spec.get("size") or "model.input_size"
    steps = f", steps={spec['steps']}" if spec.get("steps") else ""
    return [("code", f"{_setup(spec, ctx, str(size))}\n"
                     f"scores = vi.channel_attribution(model, image, {spec['layer']!r}, "
                     f"{_target(spec['classes'])}{steps})   # (C,)\n"
                     f"print('toward the first class:', scores.topk({spec['top']}).indices.tolist())\n"
                     f"print('toward the second:', (-scores).topk({spec['top']}).indices.tolist())")]


def neuron_groups(spec: dict, ctx: FigureContext) -> Cells:
    size = spec.get("size") or "model.input_size"
    layers = spec.get("layers") or [spec["layer"]]
    classes = spec.get("classes")
    pick = (f"classes = {classes!r}" if classes else
            "classes = [index for index, _, _ in vi.predict(model, image, top=4)]")
    return [("code", f"{_setup(spec, ctx, str(size))}\n{pick}\n"
                     f"for layer in {layers!r}:\n"
                     f"    groups = vi.neuron_groups(model, image, layer, n={spec['groups']}, nonneg='split')\n"
                     "    print(layer, 'reconstruction error', round(groups.reconstruction_error, 3))\n"
                     "    print(groups.attribution_to_classes(classes).numpy().round(2))   # (groups, classes)")]
