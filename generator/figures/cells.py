"""What the model kinds' notebook cells share: the lines that load the model and the image,
a target written as the API takes it, and `show`, which lays images out in one picture.

A kind's `notebook(spec, ctx)` returns (cell type, source) pairs that reproduce its figure
with the public API (`generator.interpret`) in the few lines a reader would write; the
notebook then recomputes the build's exact artifacts from the figure's jobs (see
`generator.site.notebooks`).
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


def image_source(spec: dict, ctx: FigureContext) -> str:
    """The spec's `image` as a Python literal a notebook in the project root can load."""
    value = spec["image"]
    if value.startswith("sample:"):
        return repr(value)
    return repr((Path(ctx.source).parent / value).as_posix())


def setup(spec: dict, ctx: FigureContext, size: str = "model.input_size") -> str:
    """Lines that load the figure's model and, when it has one, its image."""
    lines = [f"model = vi.load_model({ctx.model_shown!r})"]
    if spec.get("image"):
        crop = spec.get("crop", "none")
        view = ("   # (3, S, S): the centre square" if crop == "center" else
                "   # (3, H, W): the whole photo, shorter side S")
        lines.append(f"image = vi.load_image({image_source(spec, ctx)}, {size}, crop={crop!r}){view}, in [0, 1]")
    return "\n".join(lines)


def target(classes: list[int]) -> str:
    """One class id, or (A, B) for logit A minus logit B, as the attribution API takes it
    (labels are resolved to ids first: the API takes ids)."""
    return f"({classes[0]}, {classes[1]})" if len(classes) == 2 else str(classes[0])
