"""Sample photos that installed packages ship, by name: `sample:chelsea` in a spec.

Finding a sample imports nothing (not even the package that ships it), so specs naming
samples can be checked without the engine's heavy imports.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .errors import ImageError

# name -> (package, path inside the package)
SAMPLES: dict[str, tuple[str, str]] = {
    "chelsea": ("skimage", "data/chelsea.png"),
    "coffee": ("skimage", "data/coffee.png"),
    "astronaut": ("skimage", "data/astronaut.png"),
    "rocket": ("skimage", "data/rocket.jpg"),
    "motorcycle_left": ("skimage", "data/motorcycle_left.png"),
    "china": ("sklearn", "datasets/images/china.jpg"),
    "flower": ("sklearn", "datasets/images/flower.jpg"),
    "grace_hopper": ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
}


def sample_path(name: str) -> Path:
    """The file of the sample image `name` (one of `SAMPLES`)."""
    if name not in SAMPLES:
        raise ImageError(f"unknown sample image '{name}'", f"use one of: {', '.join(sorted(SAMPLES))}")
    package, inner = SAMPLES[name]
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ImageError(f"sample image '{name}' comes with the package '{package}'", "install it")
    path = Path(spec.origin).parent / inner
    if not path.is_file():
        raise ImageError(f"sample image '{name}' is missing from {path.parent}", f"reinstall '{package}'")
    return path
