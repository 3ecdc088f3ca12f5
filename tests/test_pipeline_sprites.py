"""Sprite sheets and quantized arrays: exact or bounded round trips, stable bytes."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from generator.pipeline.quantize import dequantize, quantize
from generator.pipeline.sprites import grid, pack_sprite, unpack_sprite

REPO = Path(__file__).resolve().parents[1]


def tiles(n=7, h=12, w=10, c=3, seed=0):
    rng = np.random.default_rng(seed)
    smooth = rng.integers(0, 256, (n, 3, 3, c)).astype(np.float64)
    ys, xs = np.linspace(0, 2, h), np.linspace(0, 2, w)
    y0, x0 = np.floor(ys).astype(int).clip(0, 1), np.floor(xs).astype(int).clip(0, 1)
    img = smooth[:, y0][:, :, x0]  # (N, H, W, C), blocky but image-like
    return (img + rng.integers(-8, 8, img.shape)).clip(0, 255).astype(np.uint8)


@pytest.mark.parametrize("count, columns, expected", [(1, None, (1, 1)), (7, None, (3, 3)), (9, None, (3, 3)),
                                                      (10, None, (4, 3)), (5, 2, (2, 3)), (3, 8, (3, 1))])
def test_grid_is_near_square(count, columns, expected):
    assert grid(count, columns) == expected


@pytest.mark.parametrize("channels", [3, 4])
def test_lossless_pack_unpack_is_exact(channels):
    images = tiles(c=channels)
    data, index = pack_sprite(images, webp_quality=None)
    assert index["count"] == 7 and index["columns"] == 3 and index["tile"] == [10, 12]
    assert (index["width"], index["height"]) == (30, 36)
    assert index["format"] in ("png", "webp")
    np.testing.assert_array_equal(unpack_sprite(data, index), images)


def test_the_smaller_encoding_wins():
    images = tiles(n=16, h=32, w=32)
    data, index = pack_sprite(images)
    png, png_index = pack_sprite(images, webp_quality=None)
    assert len(data) <= len(png)
    assert data[:4] == (b"RIFF" if index["format"] == "webp" else b"\x89PNG")
    flat = np.zeros((4, 16, 16, 3), np.uint8)  # PNG crushes a flat image; either way the index says which
    data, index = pack_sprite(flat)
    assert data[:4] == (b"RIFF" if index["format"] == "webp" else b"\x89PNG")


def test_lossy_default_stays_close_on_smooth_images():
    y, x = np.mgrid[0:32, 0:32] / 32.0
    images = np.stack([np.stack([np.sin(3 * x + k), np.cos(2 * y - k), np.sin(x * y * 4 + k)], -1)
                       for k in range(9)])  # (9, 32, 32, 3), smooth like feature visualizations
    images = ((images + 1) * 127.5).astype(np.uint8)
    data, index = pack_sprite(images)
    error = np.abs(unpack_sprite(data, index).astype(int) - images.astype(int))
    assert index["format"] == "webp"  # lossy WebP beats PNG several times over here
    assert error.mean() < 4


def test_pack_is_byte_stable_within_and_across_processes():
    images = tiles(n=9, h=32, w=32)
    first = pack_sprite(images)
    assert pack_sprite(images.copy()) == first
    code = ("import sys, hashlib, json, numpy as np; from generator.pipeline.sprites import pack_sprite;"
            "a = np.frombuffer(sys.stdin.buffer.read(), np.uint8).reshape(9, 32, 32, 3);"
            "d, i = pack_sprite(a); print(hashlib.sha256(d).hexdigest(), json.dumps(i, sort_keys=True))")
    out = subprocess.run([sys.executable, "-c", code], input=images.tobytes(), capture_output=True,
                         check=True, env={"PYTHONPATH": str(REPO)}, cwd=REPO).stdout.decode().split(" ", 1)
    import hashlib
    assert out[0] == hashlib.sha256(first[0]).hexdigest()
    assert json.loads(out[1]) == first[1]


@pytest.mark.parametrize("bad", [np.zeros((2, 4, 4, 3), np.float32), np.zeros((4, 4, 3), np.uint8),
                                 np.zeros((2, 4, 4, 2), np.uint8), np.zeros((0, 4, 4, 3), np.uint8)])
def test_pack_refuses_what_is_not_a_batch_of_images(bad):
    with pytest.raises(ValueError):
        pack_sprite(bad)


def test_uint8_quantize_error_is_at_most_half_a_step():
    x = np.random.default_rng(1).normal(0, 3, (5, 7, 7)).astype(np.float32)
    data, meta = quantize(x)
    assert len(data) == x.size and meta["dtype"] == "uint8" and meta["shape"] == [5, 7, 7]
    json.dumps(meta)
    back = dequantize(data, meta)
    assert back.dtype == np.float32 and back.shape == x.shape
    step = (x.max() - x.min()) / 255
    assert meta["scale"] == pytest.approx(step)
    assert np.abs(back - x).max() <= step / 2 + 1e-5
    assert back.min() == pytest.approx(x.min(), abs=1e-5) and back.max() == pytest.approx(x.max(), abs=1e-5)


def test_per_axis_quantize_keeps_small_slices_precise():
    x = np.stack([np.linspace(0, 1, 50), np.linspace(0, 1000, 50)]).astype(np.float32)  # (2, 50)
    data, meta = quantize(x, axis=0)
    back = dequantize(data, meta)
    assert np.abs(back[0] - x[0]).max() <= 1 / 255 / 2 + 1e-6
    assert np.abs(back[1] - x[1]).max() <= 1000 / 255 / 2 + 1e-3
    whole = dequantize(*quantize(x))
    assert np.abs(whole[0] - x[0]).max() > np.abs(back[0] - x[0]).max()


def test_constant_and_float16_arrays():
    data, meta = quantize(np.full((3, 3), 2.5))
    np.testing.assert_array_equal(dequantize(data, meta), np.full((3, 3), 2.5, np.float32))
    x = np.random.default_rng(2).uniform(-100, 100, 64)
    data, meta = quantize(x, "float16")
    assert len(data) == 128 and meta == {"dtype": "float16", "shape": [64]}
    assert np.all(np.abs(dequantize(data, meta) - x) <= np.abs(x) * 2 ** -11 + 1e-7)


@pytest.mark.parametrize("x, dtype, needle", [(np.array([1.0, np.nan]), "uint8", "NaN"),
                                              (np.array([1e6]), "float16", "float16"),
                                              (np.array([1.0]), "float64", "expected")])
def test_quantize_refuses_what_it_cannot_keep(x, dtype, needle):
    with pytest.raises(ValueError, match=needle):
        quantize(x, dtype)
