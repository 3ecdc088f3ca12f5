"""Random transforms applied to the image before the model at every step (transformation
robustness): the picture must work for the model when shifted, scaled and rotated a little.

Transforms are values: `pad(12)`, `jitter(8)`, `random_scale([...])`, `random_rotate([...])`,
combined with `compose([...])`. Each is called as `t(x, generator)` with x (N, 3, H, W) and an
explicit `torch.Generator`, so a seed fixes every draw (draws are per image, on the
generator's device; `feature_vis` passes a CPU generator, so a GPU render makes the same
draws as a CPU one). They are frozen dataclasses, so a recipe prints and hashes stably.

Speed: pad, jitter, scale and rotate are all affine maps of pixel coordinates, so `compose`
multiplies a run of them into one matrix per image and resamples once with `grid_sample`,
instead of one pass per transform. Integer shifts land on pixel centres, so jitter and pad
stay exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
import torch.nn.functional as F

from .errors import InterpretError

Size = tuple[int, int]  # (H, W)


class Geometric:
    """An affine transform of pixel coordinates. `matrices` maps each image's output pixel
    coordinates (x, y, 1) to its input pixel coordinates, (N, 3, 3)."""

    fill: float | None = None  # the value shown outside the image, if this transform sets it

    def out_size(self, size: Size) -> Size:
        return size

    def matrices(self, n: int, size: Size, generator: torch.Generator) -> torch.Tensor:
        raise NotImplementedError

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return _warp(x, [self], generator)


def _eye(n: int, device) -> torch.Tensor:
    return torch.eye(3, device=device).expand(n, 3, 3).clone()  # (N, 3, 3)


def _choose(options: Sequence[float], n: int, generator: torch.Generator) -> torch.Tensor:
    """n values drawn uniformly from `options`, on the generator's device."""
    table = torch.tensor(list(options), dtype=torch.float32, device=generator.device)
    return table[torch.randint(len(table), (n,), generator=generator, device=generator.device)]


def _about_centre(a: torch.Tensor, size: Size) -> torch.Tensor:
    """Wrap linear maps a (N, 2, 2) so they act about the image centre, (N, 3, 3)."""
    h, w = size
    m = _eye(a.shape[0], a.device)
    c = torch.tensor([w / 2, h / 2], device=a.device)
    m[:, :2, :2] = a
    m[:, :2, 2] = c - a @ c
    return m


@dataclass(frozen=True)
class Pad(Geometric):
    width: int
    value: float = 0.5

    @property
    def fill(self) -> float:  # type: ignore[override]
        return self.value

    def out_size(self, size: Size) -> Size:
        return size[0] + 2 * self.width, size[1] + 2 * self.width

    def matrices(self, n, size, generator):
        m = _eye(n, generator.device)
        m[:, :2, 2] = -float(self.width)
        return m


@dataclass(frozen=True)
class Jitter(Geometric):
    """A random crop `d` pixels smaller: a shift of 0..d pixels in x and y."""

    d: int

    def out_size(self, size: Size) -> Size:
        if min(size) <= self.d:
            raise InterpretError(f"jitter({self.d}) needs an image larger than {self.d} px, got {size}")
        return size[0] - self.d, size[1] - self.d

    def matrices(self, n, size, generator):
        m = _eye(n, generator.device)
        shift = torch.randint(self.d + 1, (n, 2), generator=generator, device=generator.device)
        m[:, :2, 2] = shift.float()
        return m


@dataclass(frozen=True)
class RandomScale(Geometric):
    """Zoom about the centre by a factor drawn from `scales` (the canvas keeps its size)."""

    scales: tuple[float, ...]

    def matrices(self, n, size, generator):
        s = _choose(self.scales, n, generator)  # (N,)
        return _about_centre(torch.diag_embed((1 / s)[:, None].expand(n, 2)), size)


@dataclass(frozen=True)
class RandomRotate(Geometric):
    """Rotate about the centre by an angle in degrees drawn from `angles`."""

    angles: tuple[float, ...]

    def matrices(self, n, size, generator):
        theta = _choose(self.angles, n, generator) * (math.pi / 180)  # (N,)
        cos, sin = theta.cos(), theta.sin()
        rot = torch.stack([torch.stack([cos, sin], -1), torch.stack([-sin, cos], -1)], -2)
        return _about_centre(rot, size)  # output -> input: the inverse rotation


@dataclass(frozen=True)
class Compose:
    """Transforms applied in order; runs of geometric ones are fused into one resampling."""

    transforms: tuple

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        run: list[Geometric] = []
        for t in self.transforms:
            if isinstance(t, Geometric):
                run.append(t)
                continue
            if run:
                x, run = _warp(x, run, generator), []
            x = t(x, generator)
        return _warp(x, run, generator) if run else x

    def out_size(self, size: Size) -> Size:
        for t in self.transforms:
            size = t.out_size(size) if isinstance(t, Geometric) else size
        return size


def _warp(x: torch.Tensor, run: Sequence[Geometric], generator: torch.Generator) -> torch.Tensor:
    """Apply a run of geometric transforms to x (N, C, H, W) with one grid_sample."""
    return _resample(x, run, _matrices(run, x.shape[0], tuple(x.shape[-2:]), generator))


def _matrices(run: Sequence[Geometric], n: int, size: Size, generator: torch.Generator) -> torch.Tensor:
    """The run's composed matrices for n images of `size`, drawn from `generator`, (N, 3, 3)."""
    m = _eye(n, generator.device)  # output pixel -> input pixel, composed
    for t in run:
        m = m @ t.matrices(n, size, generator)
        size = t.out_size(size)
    return m


def _resample(x: torch.Tensor, run: Sequence[Geometric], m: torch.Tensor) -> torch.Tensor:
    """x (N, C, H, W) resampled through the run's composed matrices `m` (N, 3, 3)."""
    n, c, h, w = x.shape
    fill = next((t.fill for t in run if t.fill is not None), 0.5)
    size: Size = (h, w)
    for t in run:
        size = t.out_size(size)
    ho, wo = size
    to_pixels = torch.tensor([[wo / 2, 0, wo / 2], [0, ho / 2, ho / 2], [0, 0, 1]], device=m.device)
    to_unit = torch.tensor([[2 / w, 0, -1], [0, 2 / h, -1], [0, 0, 1]], device=m.device)
    theta = (to_unit @ m @ to_pixels)[:, :2].to(dtype=x.dtype)  # (N, 2, 3), drawn on the CPU
    if x.device.type == "cuda" and theta.device.type == "cpu":   # copied without waiting for the GPU
        theta = theta.pin_memory().to(x.device, non_blocking=True)
    else:
        theta = theta.to(x.device)
    grid = F.affine_grid(theta, [n, c, ho, wo], align_corners=False)  # (N, ho, wo, 2)
    out = F.grid_sample(x - fill, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out + fill  # (N, C, ho, wo)


def by_parts(transform: Callable, x: torch.Tensor, parts: Sequence[tuple[int, torch.Generator]]) -> torch.Tensor:
    """`transform` applied to consecutive parts of x, (images, generator) each, every part
    drawing from its own generator as it would alone. Geometric transforms (and compositions
    of them alone) resample the whole batch at once; others run part by part."""
    run = [transform] if isinstance(transform, Geometric) else (
        list(transform.transforms) if isinstance(transform, Compose) else None)
    if run is None or not all(isinstance(t, Geometric) for t in run):
        out, at = [], 0
        for k, generator in parts:
            out.append(transform(x[at:at + k], generator))
            at += k
        return torch.cat(out)
    size: Size = tuple(x.shape[-2:])
    return _resample(x, run, torch.cat([_matrices(run, k, size, generator) for k, generator in parts]))


def pad(width: int, value: float = 0.5) -> Pad:
    """Pad every side by `width` pixels of a constant `value`."""
    return Pad(int(width), float(value))


def jitter(d: int) -> Jitter:
    return Jitter(int(d))


def random_scale(scales: Sequence[float]) -> RandomScale:
    return RandomScale(tuple(float(s) for s in scales))


def random_rotate(angles: Sequence[float]) -> RandomRotate:
    return RandomRotate(tuple(float(a) for a in angles))


def compose(transforms: Sequence[Callable]) -> Compose:
    """Apply `transforms` in order. Any `f(x, generator) -> x` may appear among them."""
    return Compose(tuple(transforms))


def standard_transforms() -> Compose:
    """Lucid's standard set: pad 12 (grey), jitter 8, scale 0.9..1.1, rotate -10..10 degrees
    (with extra weight on 0), jitter 4. A 128 px image reaches the model at 140 px."""
    return compose(
        [
            pad(12, 0.5),
            jitter(8),
            random_scale([1 + (i - 5) / 50 for i in range(11)]),
            random_rotate(list(range(-10, 11)) + 5 * [0]),
            jitter(4),
        ]
    )


def same_size_transforms() -> Compose:
    """Lucid's set balanced so the model sees the image at its own size: pad 8, jitter 8,
    scale 0.9..1.1, rotate -10..10 degrees, jitter 8. The same kinds of draws with a little
    more shift, and 128 px in, 128 px out: a fifth fewer pixels per step than 140 px."""
    return compose(
        [
            pad(8, 0.5),
            jitter(8),
            random_scale([1 + (i - 5) / 50 for i in range(11)]),
            random_rotate(list(range(-10, 11)) + 5 * [0]),
            jitter(8),
        ]
    )
