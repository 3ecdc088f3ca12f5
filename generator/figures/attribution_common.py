"""What the attribution kinds share (`spatial-attribution`, `channel-attribution`,
`neuron-groups`): the input image of a job,
compact encodings of arrays for the page, the diverging palette, and the page's data script.

Arrays reach the page as `{"dtype", "shape", "offset", "scale", "axis"?, "data"}` where
`data` is the base64 of the bytes `quantize` wrote (uint8 with offset and scale, or
float16); `assets/js/*` decode them with `atob` into typed arrays. Never float64.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .. import schema as s
from ..errors import SpecError
from ..pipeline.data_script import data_script
from ..pipeline.quantize import quantize
from .base import FigureContext, figure_stem
from .model_cards import job_model
from .inputs import photo_srcset, resolve_image_source

# Green (negative) to magenta (positive), the ends of ColorBrewer's PiYG, readable with every
# common colour-vision deficiency and unlike any colour of a photo of fur or skin (orange
# fought a ginger cat); the neuron groups' palette leads with other hues. Same values in the JS.
NEGATIVE = (77, 146, 33)
POSITIVE = (197, 27, 125)

def class_value(value) -> int | str:
    """Validator of one class: an id (`285`) or a label (`Egyptian cat`), resolved against the
    model's card when the figure is planned."""
    if isinstance(value, bool):
        raise SpecError(f"expected a class, got {value!r}", "write a label such as Egyptian cat, or an id such as 285")
    if isinstance(value, int):
        return s.integer(0)(value)
    return s.text(value)


CLASSES_OPTION = s.Option(s.optional(s.list_of(class_value, single_ok=True)),
                          doc="one or two classes, by label or id (two: A minus B); "
                              "`python -m generator classes` lists them")


def model_and_image(spec: dict, ctx: FigureContext, field: str = "image"):
    """(model card, image path, job inputs, job files) for a figure that runs the model on `image`."""
    model = ctx.card()
    path = resolve_image_source(spec["image"], ctx, field)
    io = model.job_io(path)
    return model, path, io["inputs"], io["files"]


def image_srcset(spec: dict, ctx: FigureContext, image_url: str) -> str:
    """`srcset` of the photo a job wrote (`image_url`, what the model saw) with the same crop at
    twice the size for dense screens (see `photo_srcset`)."""
    size = photo_params(spec, ctx.card())["size"]
    path = resolve_image_source(spec["image"], ctx, "image")
    return photo_srcset(ctx, image_url, size, path, spec["crop"])


def photo_params(spec: dict, model) -> dict:
    """The job params that say how the model sees the photo: the shorter side (`size:` or
    the model's input size) and the `crop:` (`none` keeps the whole photo)."""
    return {"size": int(spec.get("size") or model.input_size), "crop": spec["crop"]}


def named_classes(data: dict) -> dict:
    """A job's data with each class named as the page names it, label and id: "Egyptian cat
    (285)" (a model without labels keeps "class 285"). Spatial attribution's `targets`
    follow."""
    if not data.get("classes"):
        return data
    classes = [{**c, "label": c["label"] if c["label"] == f"class {c['index']}" else f"{c['label']} ({c['index']})"}
               for c in data["classes"]]
    named = {**data, "classes": classes}
    if "targets" in data:
        labels = [c["label"] for c in classes]
        named["targets"] = labels + ([f"{labels[0]} − {labels[1]}"] if len(labels) == 2 else [])
    return named


def load_input(params: dict):
    """In a job: the model (on the CPU) and the image tensor (3, H, W) it sees."""
    from .. import interpret as vi

    model = job_model(params)
    image = vi.load_image(Path(params["files"]["image"]), params["size"], params["crop"])  # (3, H, W)
    return model, image


def photo_shape(image) -> dict:
    """The size of the image (3, H, W) the model saw, as the page needs it: {"width", "height"}."""
    return {"width": int(image.shape[-1]), "height": int(image.shape[-2])}


def encode(array, dtype: str = "uint8", *, axis: int | None = None) -> dict:
    """`array` quantized (see `generator.pipeline.quantize`), its bytes as base64."""
    data, meta = quantize(np.asarray(array, dtype=np.float32), dtype, axis=axis)
    return {**meta, "data": base64.b64encode(data).decode("ascii")}


def jpeg(image) -> bytes:
    """The image tensor (3, H, W) in [0, 1] as JPEG bytes (what the page shows under maps)."""
    out = io.BytesIO()
    Image.fromarray(to_uint8(image)).save(out, format="JPEG", quality=88, optimize=True)
    return out.getvalue()


def to_uint8(image) -> np.ndarray:
    """(3, H, W) float in [0, 1] -> uint8 (H, W, 3)."""
    array = np.asarray(image.detach().cpu().numpy() if hasattr(image, "detach") else image)
    return (np.clip(array.transpose(1, 2, 0), 0, 1) * 255 + 0.5).astype(np.uint8)


def diverging_rgba(values: np.ndarray) -> np.ndarray:
    """Signed values -> RGBA uint8 (…, 4): magenta for positive, green for negative, alpha by
    magnitude relative to the largest |value|. The page draws maps the same way."""
    values = np.asarray(values, dtype=np.float32)
    peak = float(np.abs(values).max()) or 1.0
    t = np.clip(values / peak, -1, 1)
    rgba = np.zeros(values.shape + (4,), dtype=np.float32)
    rgba[..., :3] = np.where(t[..., None] >= 0, POSITIVE, NEGATIVE)
    rgba[..., 3] = np.abs(t) ** 0.8 * 215
    return rgba.astype(np.uint8)


def overlay_png(image, values: np.ndarray) -> bytes:
    """The static fallback: a map [h, w] of signed values drawn over the image (3, H, W)."""
    base = Image.fromarray(to_uint8(image)).convert("RGBA")
    heat = Image.fromarray(diverging_rgba(values), "RGBA").resize(base.size, Image.NEAREST)   # square cells
    washed = Image.blend(base, Image.new("RGBA", base.size, (255, 255, 255, 255)), 0.35)
    out = io.BytesIO()
    Image.alpha_composite(washed, heat).convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()


def emit_data(spec: dict, ctx: FigureContext, obj: Any) -> tuple[str, str]:
    """Write the figure's data as a classic script; return (url, key) for `data-src`/`data-key`."""
    key = figure_stem(spec, ctx)
    return ctx.emit.data(key, "js", data_script(key, obj)), key


def fallback_img(url: str, alt: str, photo: dict) -> str:
    """The `<img>` a component replaces when its script runs (print, no-JS, feeds), at the
    size of the photo the model saw (`photo_shape`)."""
    return (f'<img class="figure-fallback" src="{html.escape(url)}" alt="{html.escape(alt, quote=True)}" '
            f'width="{photo["width"]}" height="{photo["height"]}" loading="lazy" decoding="async">')
