"""`images:` on every photo-based kind: the reader picks the photo.

```{activation-grid}
id: fig-grid
images:                       # up to eight; `image:` stays for one
  - sample:chelsea
  - {image: photos/dog.jpg, label: dog and cat}
layer: blocks.10
```

A kind with an `image:` option accepts `images:` instead. `PhotoChoices` wraps the kind: it
plans the figure once per photo (each photo's figure is the kind's own, with the id
`<id>-photo<N>`, so its data files and keys are its own), and renders the first photo's views
in the figure with a row of thumbnails above them; every other photo's views wait in a
`<template>` (inert: nothing of theirs loads) until the reader picks it
(`assets/js/photo-choice.js`). Every choice is precomputed, frozen and verified like any job.
Without script the figure shows the first photo.
"""

from __future__ import annotations

import html
import io
from dataclasses import replace
from pathlib import Path, PurePath

from .. import schema as s
from ..errors import SpecError
from .base import FigureContext, FigureKind, Plan, figure_stem, frame_figure
from .inputs import resolve_image_source

VERSION = 1
MOST = 8               # photos a figure offers
THUMB = 64             # thumbnail height, CSS pixels (drawn at twice that for dense screens)

PHOTO_SCHEMA = s.Schema("photo", {
    "image": s.Option(s.text, required=True, doc="sample:NAME or a path relative to the article"),
    "label": s.Option(s.optional(s.text), doc="the thumbnail's name (default: the photo's name)"),
})


def photo_entry(value) -> dict:
    """One `images:` item: `sample:NAME`, a path, or `{image: ..., label: ...}`."""
    if isinstance(value, dict):
        return s.record(PHOTO_SCHEMA)(value)
    return {"image": s.text(value), "label": None}


def photo_label(entry: dict) -> str:
    """What a thumbnail is called: its label, or the photo's name without folder or suffix."""
    if entry.get("label"):
        return entry["label"]
    name = entry["image"].split(":", 1)[1] if entry["image"].startswith("sample:") else PurePath(entry["image"]).stem
    return name.replace("_", " ")


def kind_for(kind: FigureKind, spec: dict) -> FigureKind:
    """The kind that handles `spec`: `PhotoChoices(kind)` when a photo-based kind's spec
    names `images:`, else the kind itself."""
    if "image" in kind.options and "images" in spec:
        return PhotoChoices(kind)
    return kind


class PhotoChoices:
    """A photo-based kind, computed for each of `images:` and shown with a picker."""

    def __init__(self, kind: FigureKind):
        self.kind = kind
        self.name = kind.name
        self.version = f"{kind.version}+photos{VERSION}"
        self.options = {
            **kind.options,
            "image": s.Option(s.optional(s.text), doc="one photo (or `images:`, several)"),
            "images": s.Option(s.list_of(photo_entry), required=True,
                               doc=f"up to {MOST} photos the reader picks from"),
        }

    def photos(self, spec: dict) -> list[dict]:
        if spec.get("image"):
            raise SpecError("give either `image` or `images`, not both",
                            "move the photo into the `images:` list", field="image")
        photos = spec["images"]
        if not 1 <= len(photos) <= MOST:
            raise SpecError(f"`images` lists {len(photos)} photos", f"list 1 to {MOST}", field="images")
        seen = [p["image"] for p in photos]
        if len(set(seen)) != len(seen):
            raise SpecError("`images` lists a photo twice", "list each photo once", field="images")
        return photos

    def one(self, spec: dict, ctx: FigureContext, n: int) -> dict:
        """The kind's own spec for the `n`-th photo."""
        photo = spec["images"][n]
        one = {k: v for k, v in spec.items() if k != "images"}
        return {**one, "image": photo["image"], "id": f"{figure_stem(spec, ctx)}-photo{n + 1}"}

    def _each(self, spec, ctx, n, call):
        try:
            return call(self.one(spec, ctx, n))
        except SpecError as err:
            field = f"images[{n}]" if err.field == "image" else err.field
            raise SpecError(err.message, err.fix, field=field, line=err.line) from None

    def plan(self, spec: dict, ctx: FigureContext) -> Plan:
        photos = self.photos(spec)
        parts = [self._each(spec, ctx, n, lambda one: self.kind.plan(one, ctx)) for n in range(len(photos))]
        return _joined(parts)

    def plan_more(self, spec: dict, ctx: FigureContext, plan: Plan, results: list) -> Plan:
        parts = []
        for n, (part, mine) in enumerate(zip(plan.data["parts"], _split(plan.data["parts"], results))):
            if part.more:
                part = self._each(spec, ctx, n, lambda one: self.kind.plan_more(one, ctx, part, mine))
            parts.append(part)
        return _joined(parts)

    def notebook(self, spec: dict, ctx: FigureContext):
        cells = list(self._each(spec, ctx, 0, lambda one: self.kind.notebook(one, ctx)))
        others = ", ".join(f"`{p['image']}`" for p in spec["images"][1:])
        if others:
            cells.insert(0, ("markdown", f"The figure lets the reader pick its photo; these cells compute the "
                                         f"first, `{spec['images'][0]['image']}`. Change `image` to compute "
                                         f"another: {others}."))
        return cells

    def render(self, spec: dict, ctx: FigureContext, plan: Plan, results: list) -> str:
        photos, parts = spec["images"], plan.data["parts"]
        chunks = _split(parts, results)
        inner = []
        for n in range(1, len(photos)):           # the other photos' views: inner HTML only
            quiet = replace(ctx, frame=lambda body, extra_class: body)
            inner.append(self.kind.render(self.one(spec, ctx, n), quiet, parts[n], chunks[n]))
        thumbs = [self._thumb(spec, ctx, n) for n in range(len(photos))]

        def framed(body: str, extra_class: str) -> str:
            return frame_figure(spec, ctx, choice_html(photos, thumbs, body, inner), extra_class=extra_class)

        ctx.emit.style("css/photo-choice.css")
        ctx.emit.script("js/photo-choice.js")
        return self.kind.render(self.one(spec, ctx, 0), replace(ctx, frame=framed), parts[0], chunks[0])

    def _thumb(self, spec: dict, ctx: FigureContext, n: int) -> tuple[str, int, int]:
        """(URL, width, height) of the `n`-th photo's thumbnail, cropped as the model sees it."""
        path = resolve_image_source(spec["images"][n]["image"], ctx, f"images[{n}]")
        data, width, height = thumbnail(path, spec.get("crop", "none"))
        return ctx.emit.data(f"{figure_stem(spec, ctx)}-thumb{n + 1}", "webp", data), width, height


def thumbnail(path: Path, crop: str) -> tuple[bytes, int, int]:
    """WebP bytes of the photo at twice THUMB pixels high (the centre square with
    `crop: center`), and its CSS size."""
    from PIL import Image

    with Image.open(path) as opened:
        image = opened.convert("RGB")
    if crop == "center":
        side = min(image.size)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        image = image.crop((left, top, left + side, top + side))
    high = 2 * THUMB
    wide = max(1, round(image.width * high / image.height))
    image = image.resize((wide, high), Image.LANCZOS)
    out = io.BytesIO()
    image.save(out, "WEBP", quality=82, method=6)
    return out.getvalue(), max(1, round(wide / 2)), THUMB


def choice_html(photos: list[dict], thumbs: list, first: str, others: list[str]) -> str:
    """The picker (a radio group of thumbnails), the first photo's views, and the others'
    views in templates."""
    buttons = []
    for n, (photo, (src, width, height)) in enumerate(zip(photos, thumbs)):
        label = html.escape(photo_label(photo))
        buttons.append(
            f'<button type="button" class="pc-thumb" role="radio" aria-checked="{"true" if n == 0 else "false"}" '
            f'tabindex="{0 if n == 0 else -1}" data-choice="{n}">'
            f'<img src="{html.escape(src)}" alt="" width="{width}" height="{height}" loading="lazy" decoding="async">'
            f'<span class="pc-label">{label}</span></button>')
    templates = "".join(f'<template class="pc-template" data-choice="{n + 1}">\n{body}\n</template>'
                        for n, body in enumerate(others))
    return (f'<vellum-photo-choice>\n<div class="pc-picker" role="radiogroup" aria-label="Photo">'
            f'{"".join(buttons)}</div>\n<div class="pc-view" data-choice="0">\n{first}\n</div>\n'
            f"{templates}</vellum-photo-choice>")


def _joined(parts: list[Plan]) -> Plan:
    return Plan([job for part in parts for job in part.jobs], {"parts": parts},
                more=any(part.more for part in parts))


def _split(parts: list[Plan], results: list) -> list[list]:
    """`results` (in the order of the joined jobs) cut into each part's own."""
    out, at = [], 0
    for part in parts:
        out.append(results[at:at + len(part.jobs)])
        at += len(part.jobs)
    return out
