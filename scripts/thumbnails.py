"""The example articles' thumbnails (400 x 300 JPEG), made from their frozen renders.

    .venv/bin/python scripts/thumbnails.py

The flagship's is the middle of its `blocks.14` activation grid; the guide's, the first
twelve channel icons of `blocks.10`. Run it after re-freezing, so the index page shows what
the articles show.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.pipeline.sprites import unpack_sprite  # noqa: E402

SIZE = (400, 300)


def entries(slug: str):
    """(folder, index record) of every frozen result the article builds from (not the
    results a freeze that has not finished put beside them)."""
    freeze = ROOT / "articles" / slug / "_freeze"
    for key, record in json.loads((freeze / "index.json").read_text())["entries"].items():
        if not record.get("pending"):
            yield freeze / key, record


def grid_cells(slug: str, layer: str) -> np.ndarray:
    """The activation grid of `layer` as one image, uint8 (rows*s, cols*s, 3)."""
    for folder, record in entries(slug):
        if record["fn"].endswith(":render_grid") and record["params"]["layer"] == layer:
            index = json.loads((folder / "index.json").read_text())
            cells = unpack_sprite((folder / "cells").read_bytes(), index["cells"])[..., :3]
            rows, cols, s = index["rows"], index["cols"], cells.shape[1]
            return cells.reshape(rows, cols, s, s, 3).transpose(0, 2, 1, 3, 4).reshape(rows * s, cols * s, 3)
    raise SystemExit(f"{slug}: no frozen activation grid of {layer}")


def icons(slug: str, layer: str, count: int, cols: int) -> np.ndarray:
    """The first `count` channel icons of `layer`, `cols` to a row, uint8."""
    for folder, record in entries(slug):
        if record["fn"].endswith(":render_icons") and record["params"]["layer"] == layer \
                and record["params"]["start"] == 0:
            strip = np.asarray(Image.open(folder / "icons.png").convert("RGB"))
            s = strip.shape[0]
            tiles = strip.reshape(s, -1, s, 3).transpose(1, 0, 2, 3)[:count]
            rows = count // cols
            return tiles.reshape(rows, cols, s, s, 3).transpose(0, 2, 1, 3, 4).reshape(rows * s, cols * s, 3)
    raise SystemExit(f"{slug}: no frozen icons of {layer}")


def fit(picture: np.ndarray) -> Image.Image:
    """Scale to cover SIZE, then crop the middle."""
    image = Image.fromarray(picture)
    scale = max(SIZE[0] / image.width, SIZE[1] / image.height)
    image = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
    left, top = (image.width - SIZE[0]) // 2, (image.height - SIZE[1]) // 2
    return image.crop((left, top, left + SIZE[0], top + SIZE[1]))


def main() -> None:
    made = {
        "what-a-small-network-sees": fit(grid_cells("what-a-small-network-sees", "blocks.14")),
        "writing-with-vellum": fit(icons("writing-with-vellum", "blocks.10", 12, 4)),
    }
    for slug, image in made.items():
        path = ROOT / "articles" / slug / "thumbnail.jpg"
        image.save(path, quality=85, optimize=True)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
