"""`{image}`: a plain captioned image, copied into the page's data folder under a
content-hashed name, with its pixel size so the page does not jump while it loads."""

from __future__ import annotations

import html
import io
from pathlib import Path

from PIL import Image

from .. import schema as s
from .base import KINDS, FigureContext, Plan, figure_html
from .inputs import resolve_image_source


@KINDS.register
class ImageFigure:
    name = "image"
    version = 1
    options = {
        "src": s.Option(s.text, required=True, doc="a path relative to the article, or sample:NAME"),
    }

    def plan(self, spec: dict, ctx: FigureContext) -> Plan:
        return Plan([], {"path": str(resolve_image_source(spec["src"], ctx, "src"))})

    def notebook(self, spec: dict, ctx: FigureContext) -> list:
        """Nothing to reproduce: the picture is the author's."""
        return []

    def render(self, spec: dict, ctx: FigureContext, plan: Plan, results: list) -> str:
        path = Path(plan.data["path"])
        data = path.read_bytes()
        with Image.open(io.BytesIO(data)) as img:      # read whole when planned (`check_picture`)
            width, height = img.size
        url = ctx.emit.data(path.stem, path.suffix.lstrip(".").lower(), data)
        alt = html.escape(spec.get("alt") or "", quote=True)
        inner = (f'<img src="{html.escape(url)}" alt="{alt}" width="{width}" height="{height}" '
                 f'loading="lazy" decoding="async">')
        return figure_html(spec, ctx, inner)
