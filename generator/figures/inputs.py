"""Inputs that figure specs name: image files relative to the article, or `sample:NAME`."""

from __future__ import annotations

from pathlib import Path

from ..errors import SpecError
from .base import FigureContext, check_input_file


def resolve_image_source(value: str, ctx: FigureContext, key: str) -> Path:
    """The file behind `value`: a sample photo an installed package ships, or a path."""
    if value.startswith("sample:"):
        from ..interpret.samples import SAMPLES, sample_path
        from ..errors import did_you_mean

        name = value.split(":", 1)[1]
        if name not in SAMPLES:
            raise SpecError(f"unknown sample image '{name}'", did_you_mean(name, SAMPLES), field=key)
        return sample_path(name)
    return check_input_file(value, ctx, key)


def named_photos(spec: dict) -> list[tuple[str, str]]:
    """(field, value) of every photo a spec names: `image`, `src`, each of `images` (as
    `images[N]`), in that order; what a figure's cache keys hash and its warnings name."""
    found = [(name, spec[name]) for name in ("image", "src") if isinstance(spec.get(name), str)]
    return found + [(f"images[{n}]", photo["image"]) for n, photo in enumerate(spec.get("images") or [])]
