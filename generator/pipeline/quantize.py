"""Compact numbers for the page: arrays as uint8 (with offset and scale) or float16 bytes.

    data, meta = quantize(scores)            # bytes, {"dtype": "uint8", "shape": [...], ...}
    approx = dequantize(data, meta)          # float32, |approx - scores| <= meta["scale"] / 2

Attribution maps and activation magnitudes are read by eye; 256 levels are plenty and cost
an eighth of float64. The bytes are little-endian and C-ordered, so JavaScript reads them with
a `Uint8Array` or a float16 decode; `meta` is small JSON. No float64 ever reaches the output.
"""

from __future__ import annotations

import numpy as np

FLOAT16_MAX = float(np.finfo(np.float16).max)


def _finite(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"quantize expects a numeric array, got {array.dtype}")
    array = array.astype(np.float64)  # exact for every input dtype; never written out
    if not np.isfinite(array).all():
        raise ValueError("quantize: the array holds NaN or infinity — clean it before writing")
    return array


def quantize(array, dtype: str = "uint8", *, axis: int | None = None) -> tuple[bytes, dict]:
    """Encode a numeric array compactly; return (bytes, meta). See `dequantize`.

    `uint8`: value = offset + scale * q, with q in 0..255 and error at most scale / 2.
    With `axis`, each slice along that axis gets its own offset and scale (lists in meta),
    so a map with one bright cell does not flatten the rest. `float16`: relative error at
    most 2**-11; values beyond ±65504 are refused.
    """
    x = _finite(array)
    shape = list(x.shape)
    if dtype == "float16":
        if x.size and np.abs(x).max() > FLOAT16_MAX:
            raise ValueError(f"quantize: values beyond ±{FLOAT16_MAX:g} do not fit float16 — use uint8")
        return x.astype("<f2").tobytes(), {"dtype": "float16", "shape": shape}
    if dtype != "uint8":
        raise ValueError(f"quantize dtype {dtype!r}: expected 'uint8' or 'float16'")
    if axis is None:
        low = x.min() if x.size else 0.0
        high = x.max() if x.size else 0.0
        scale = (high - low) / 255.0 or 1.0
        q = np.rint((x - low) / scale)
        meta = {"dtype": "uint8", "shape": shape, "offset": float(low), "scale": float(scale)}
    else:
        axis = axis % x.ndim
        moved = np.moveaxis(x, axis, 0).reshape(x.shape[axis], -1)  # (A, rest)
        low = moved.min(axis=1) if moved.shape[1] else np.zeros(moved.shape[0])
        high = moved.max(axis=1) if moved.shape[1] else np.zeros(moved.shape[0])
        scale = np.where(high > low, (high - low) / 255.0, 1.0)
        bshape = [1] * x.ndim
        bshape[axis] = -1
        q = np.rint((x - low.reshape(bshape)) / scale.reshape(bshape))
        meta = {"dtype": "uint8", "shape": shape, "axis": axis,
                "offset": [float(v) for v in low], "scale": [float(v) for v in scale]}
    return np.clip(q, 0, 255).astype(np.uint8).tobytes(), meta


def dequantize(data: bytes, meta: dict) -> np.ndarray:
    """The float32 array that `quantize` encoded."""
    shape = tuple(meta["shape"])
    if meta["dtype"] == "float16":
        return np.frombuffer(data, dtype="<f2").reshape(shape).astype(np.float32)
    if meta["dtype"] != "uint8":
        raise ValueError(f"unknown quantized dtype {meta['dtype']!r}")
    q = np.frombuffer(data, dtype=np.uint8).reshape(shape).astype(np.float64)
    offset, scale = np.asarray(meta["offset"]), np.asarray(meta["scale"])
    if "axis" in meta:
        bshape = [1] * len(shape)
        bshape[meta["axis"]] = -1
        offset, scale = offset.reshape(bshape), scale.reshape(bshape)
    return (offset + scale * q).astype(np.float32)
