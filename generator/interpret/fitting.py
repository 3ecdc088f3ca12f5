"""How a photo is fitted to a model's input size, as plain arithmetic (no torch), so a site
can plan figures without loading the engine: the shorter side goes to the input size, and the
photo is kept whole (`"none"`) or cropped to its centre square (`"center"`)."""

from __future__ import annotations

CROPS = ("none", "center")
"""How `fit_image` fits a photo to a model's input size: keep it whole, or crop the centre."""


def fitted_shape(height: int, width: int, size: int, crop: str = "none") -> tuple[int, int]:
    """The (height, width) `fit_image` gives an image of `height` x `width` pixels."""
    if crop == "center":
        return size, size
    scale = size / min(height, width)
    return max(size, round(height * scale)), max(size, round(width * scale))
