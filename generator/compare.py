"""Comparing two versions of an artifact, for `verify` and `reproduce`.

Each kind of file has a stated tolerance:

| artifact | measured | passes when |
|---|---|---|
| images (.png, .webp, .jpg) | mean and largest absolute pixel difference, in [0, 1] | mean <= 0.02 |
| JSON | largest absolute difference of any number, relative to the largest value | <= 1e-3, and all other values equal |
| quantized arrays (.u8) | largest absolute byte difference | <= 2 steps |
| anything else | bytes | equal |

Images use the mean, not the largest difference: feature visualizations are the end of
hundreds of optimizer steps, and a few pixels can differ in the last bits on another CPU.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import numpy as np

IMAGE_TOLERANCE = 0.02
NUMBER_TOLERANCE = 1e-3
QUANTIZED_STEPS = 2
IGNORED = {"run-record.json"}


@dataclass(frozen=True)
class Difference:
    name: str
    measure: str
    value: float
    tolerance: float
    passed: bool

    def __str__(self) -> str:
        verdict = "pass" if self.passed else "FAIL"
        return f"{verdict}  {self.name}: {self.measure} {self.value:.4g} (tolerance {self.tolerance:g})"


def compare_artifacts(expected: dict[str, bytes], actual: dict[str, bytes]) -> list[Difference]:
    """One `Difference` per artifact name in either set (run records aside)."""
    out = []
    for name in sorted((set(expected) | set(actual)) - IGNORED):
        if name not in expected or name not in actual:
            out.append(Difference(name, "missing in " + ("expected" if name not in expected else "actual"),
                                  1.0, 0.0, False))
            continue
        out.append(compare(name, expected[name], actual[name]))
    return out


def compare(name: str, a: bytes, b: bytes) -> Difference:
    if a == b:
        return Difference(name, "identical bytes", 0.0, 0.0, True)
    suffix = name.rsplit(".", 1)[-1].lower()
    if suffix in ("png", "webp", "jpg", "jpeg"):
        return _images(name, a, b)
    if suffix == "json":
        return _json(name, a, b)
    if suffix == "u8":
        return _bytes(name, a, b)
    return Difference(name, "bytes differ", 1.0, 0.0, False)


def _images(name: str, a: bytes, b: bytes) -> Difference:
    from PIL import Image

    x = np.asarray(Image.open(io.BytesIO(a)).convert("RGB"), dtype=np.float32) / 255
    y = np.asarray(Image.open(io.BytesIO(b)).convert("RGB"), dtype=np.float32) / 255
    if x.shape != y.shape:
        return Difference(name, f"image size {x.shape[:2]} vs {y.shape[:2]}", 1.0, 0.0, False)
    mean = float(np.abs(x - y).mean())
    return Difference(name, f"mean pixel difference (largest {float(np.abs(x - y).max()):.3f})",
                      mean, IMAGE_TOLERANCE, mean <= IMAGE_TOLERANCE)


def _json(name: str, a: bytes, b: bytes) -> Difference:
    x, y = json.loads(a), json.loads(b)
    try:
        diff, scale = _walk(x, y)
    except ValueError as err:
        return Difference(name, f"structure differs ({err})", 1.0, 0.0, False)
    value = diff / max(scale, 1e-12)
    return Difference(name, "largest relative number difference", value, NUMBER_TOLERANCE,
                      value <= NUMBER_TOLERANCE)


def _walk(x, y) -> tuple[float, float]:
    if isinstance(x, bool) or isinstance(y, bool) or isinstance(x, str) or x is None:
        if x != y:
            raise ValueError(f"{x!r} != {y!r}")
        return 0.0, 0.0
    if isinstance(x, (int, float)) and isinstance(y, (int, float)):
        return abs(float(x) - float(y)), abs(float(x))
    if isinstance(x, list) and isinstance(y, list):
        if len(x) != len(y):
            raise ValueError(f"list of {len(x)} vs {len(y)}")
        pairs = [_walk(p, q) for p, q in zip(x, y)]
    elif isinstance(x, dict) and isinstance(y, dict):
        if set(x) != set(y):
            raise ValueError(f"keys {sorted(set(x) ^ set(y))}")
        pairs = [_walk(x[k], y[k]) for k in x]
    else:
        raise ValueError(f"{type(x).__name__} vs {type(y).__name__}")
    return max((p[0] for p in pairs), default=0.0), max((p[1] for p in pairs), default=0.0)


def _bytes(name: str, a: bytes, b: bytes) -> Difference:
    if len(a) != len(b):
        return Difference(name, f"length {len(a)} vs {len(b)}", 1.0, 0.0, False)
    steps = int(np.abs(np.frombuffer(a, np.uint8).astype(int) - np.frombuffer(b, np.uint8).astype(int)).max())
    return Difference(name, "largest quantized step difference", steps, QUANTIZED_STEPS, steps <= QUANTIZED_STEPS)
