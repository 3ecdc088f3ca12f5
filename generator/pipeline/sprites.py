"""Sprite sheets: many small images in one file, so a figure loads one image, not hundreds.

    data, index = pack_sprite(images)          # images: uint8 [N, H, W, 3] (or 4 for RGBA)
    index  # {"format": "webp", "tile": [w, h], "columns": 8, "count": 50, "width": W, "height": H}

Tile `i` sits at column `i % columns`, row `i // columns`; a page shows it with CSS
`background-position`. The sheet is encoded as PNG and as WebP and the smaller file wins.
Both encoders are byte-stable for the same pixels (no timestamps, fixed settings), so two
builds produce the same file and the same content-hashed name.
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image

WEBP_MAX_SIDE = 16383
WEBP_METHOD = 4


def grid(count: int, columns: int | None = None) -> tuple[int, int]:
    """(columns, rows) of a near-square grid holding `count` tiles."""
    if count < 1:
        raise ValueError("a sprite sheet needs at least one image")
    if columns is None:
        columns = math.ceil(math.sqrt(count))
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}")
    columns = min(columns, count)
    return columns, math.ceil(count / columns)


def _encode_png(sheet: Image.Image) -> bytes:
    out = io.BytesIO()
    sheet.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _encode_webp(sheet: Image.Image, quality: int | None) -> bytes:
    out = io.BytesIO()
    if quality is None:
        sheet.save(out, format="WEBP", lossless=True, quality=100, method=WEBP_METHOD, exact=True)
    else:
        sheet.save(out, format="WEBP", quality=quality, method=WEBP_METHOD, alpha_quality=100)
    return out.getvalue()


def pack_sprite(images: np.ndarray, columns: int | None = None, *,
                webp_quality: int | None = 90) -> tuple[bytes, dict]:
    """Pack `images` (uint8 [N, H, W, 3|4]) into one sheet; return (file bytes, index).

    `webp_quality` 90 (the default) tries lossy WebP, which is several times smaller on
    feature visualizations and looks the same; None tries lossless WebP, so `unpack_sprite`
    returns the exact pixels. PNG (lossless) is always tried; the smaller file is kept, PNG
    on a tie. Cells past the last image are black (transparent for RGBA).
    """
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] not in (3, 4):
        raise ValueError(f"pack_sprite expects uint8 [N, H, W, 3|4], got {images.dtype} {list(images.shape)}")
    n, h, w, c = images.shape
    cols, rows = grid(n, columns)
    sheet = np.zeros((rows * h, cols * w, c), dtype=np.uint8)  # (rows*H, cols*W, C)
    for i in range(n):
        r, q = divmod(i, cols)
        sheet[r * h:(r + 1) * h, q * w:(q + 1) * w] = images[i]
    picture = Image.fromarray(sheet)  # RGB or RGBA, from the channel count
    candidates = [("png", _encode_png(picture))]
    if max(sheet.shape[:2]) <= WEBP_MAX_SIDE:
        candidates.append(("webp", _encode_webp(picture, webp_quality)))
    fmt, data = min(candidates, key=lambda item: len(item[1]))  # first (png) wins a tie
    index = {"format": fmt, "tile": [w, h], "columns": cols, "count": n,
             "width": cols * w, "height": rows * h}
    return data, index


def unpack_sprite(data: bytes, index: dict) -> np.ndarray:
    """The tiles of a sheet made by `pack_sprite`, as uint8 [N, H, W, C]."""
    with Image.open(io.BytesIO(data)) as picture:
        sheet = np.asarray(picture.convert("RGBA" if "A" in picture.getbands() else "RGB"))
    w, h = index["tile"]
    cols, n = index["columns"], index["count"]
    if sheet.shape[:2] != (index["height"], index["width"]):
        raise ValueError(f"sheet is {sheet.shape[1]}x{sheet.shape[0]}, index says {index['width']}x{index['height']}")
    tiles = [sheet[(i // cols) * h:(i // cols + 1) * h, (i % cols) * w:(i % cols + 1) * w] for i in range(n)]
    return np.stack(tiles)  # (N, H, W, C)
