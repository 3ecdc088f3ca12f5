"""Image parameterizations: the tensors the optimizer changes, and how they become an image.

Following Lucid: an FFT parameterization whose spectrum is scaled by 1 / f^decay_power (so
every frequency learns at a comparable rate, and high frequencies start small), colours
decorrelated with ImageNet's colour covariance square root, and a sigmoid to [0, 1].

`fft_image`, `pixel_image` and `lowres_image` build an `ImageParam` directly. A `ParamRecipe`
is the same choice as plain data (hashable, printable), for quality profiles and for
`feature_vis(param=...)`, which builds it once the batch shape is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn.functional as F

from .errors import InterpretError

# Lucid's square root of ImageNet's colour correlation, normalised by its largest column norm.
_COLOR_SVD_SQRT = torch.tensor(
    [[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], dtype=torch.float32
)
COLOR_CORRELATION = _COLOR_SVD_SQRT / _COLOR_SVD_SQRT.norm(dim=0).max()
COLOR_MEAN = torch.tensor([0.48, 0.46, 0.41], dtype=torch.float32)


class ImageParam:
    """A batch of images as a function of `params` (leaf tensors with requires_grad).
    Calling it returns the images, (N, 3, H, W) in [0, 1]."""

    def __init__(self, params: list[torch.Tensor], to_image, shape: tuple[int, int, int, int]):
        self.params = params
        self._to_image = to_image
        self.shape = shape

    def __call__(self) -> torch.Tensor:
        return self._to_image()


def _check_shape(shape: Sequence[int]) -> tuple[int, int, int, int]:
    shape = tuple(int(s) for s in shape)
    if len(shape) != 4 or shape[1] != 3 or min(shape) < 1:
        raise InterpretError(f"image shape {shape} is not (N, 3, H, W)", "give e.g. (4, 3, 128, 128)")
    return shape  # type: ignore[return-value]


Seed = int | Sequence[tuple[int, int]]   # a seed, or (images, seed) of consecutive parts


def _normal(shape, sd: float, seed: Seed, device) -> torch.Tensor:
    """Seeded N(0, sd) drawn on the CPU, so a seed gives the same start on every device.
    With parts, (images, seed) each, each part is drawn as it would be alone."""
    if isinstance(seed, int):
        gen = torch.Generator().manual_seed(seed)
        return (torch.randn(shape, generator=gen) * sd).to(device).requires_grad_(True)
    if sum(k for k, _ in seed) != shape[0]:
        raise InterpretError(f"parts of {sum(k for k, _ in seed)} images for a batch of {shape[0]}",
                             "give (images, seed) pairs that add up to the batch")
    parts = [torch.randn((k, *shape[1:]), generator=torch.Generator().manual_seed(s)) * sd for k, s in seed]
    return torch.cat(parts).to(device).requires_grad_(True)


def to_valid_rgb(t: torch.Tensor, decorrelate: bool = True, sigmoid: bool = True) -> torch.Tensor:
    """Map unconstrained (N, 3, H, W) values to RGB in [0, 1]: decorrelated colour, then a
    sigmoid (or the colour mean and a clamp without it)."""
    if decorrelate:
        m = COLOR_CORRELATION.to(t.device, t.dtype)
        t = torch.einsum("nchw,dc->ndhw", t, m)  # (N, 3, H, W)
    if sigmoid:
        return torch.sigmoid(t)
    return (t + COLOR_MEAN.to(t.device, t.dtype).view(1, 3, 1, 1)).clamp(0, 1)


def rfft2d_freqs(h: int, w: int) -> torch.Tensor:
    """The frequency magnitude of every rfft2 coefficient, (h, w // 2 + 1)."""
    fy = torch.fft.fftfreq(h)[:, None]
    fx = torch.fft.rfftfreq(w)[None, :]
    return (fx * fx + fy * fy).sqrt()


def fft_image(
    shape: Sequence[int], sd: float = 0.01, decay_power: float = 1.0, decorrelate: bool = True,
    sigmoid: bool = True, seed: Seed = 0, device=None,
) -> ImageParam:
    """Lucid's FFT image: a spectrum ~ N(0, sd), scaled by 1 / max(f, 1/max(h, w))^decay_power
    and sqrt(h*w), transformed back and divided by 4. Higher `decay_power` -> smoother."""
    n, c, h, w = _check_shape(shape)
    freqs = rfft2d_freqs(h, w)  # (h, w//2+1)
    scale = 1.0 / freqs.clamp(min=1.0 / max(h, w)) ** decay_power * (h * w) ** 0.5
    scale = scale.to(device)
    spectrum = _normal((n, c, h, w // 2 + 1, 2), sd, seed, device)  # real and imaginary parts

    def to_image() -> torch.Tensor:
        coeffs = torch.view_as_complex(spectrum) * scale  # (N, 3, h, w//2+1)
        t = torch.fft.irfft2(coeffs, s=(h, w)) / 4.0  # (N, 3, h, w)
        return to_valid_rgb(t, decorrelate, sigmoid)

    return ImageParam([spectrum], to_image, (n, c, h, w))


def pixel_image(
    shape: Sequence[int], sd: float = 0.01, decorrelate: bool = True, sigmoid: bool = True,
    seed: Seed = 0, device=None,
) -> ImageParam:
    """One free value per pixel and channel: the simplest, and the noisiest."""
    n, c, h, w = _check_shape(shape)
    pixels = _normal((n, c, h, w), sd, seed, device)
    return ImageParam([pixels], lambda: to_valid_rgb(pixels, decorrelate, sigmoid), (n, c, h, w))


def lowres_image(
    shape: Sequence[int], factor: int = 4, sd: float = 0.01, decorrelate: bool = True,
    sigmoid: bool = True, seed: Seed = 0, device=None,
) -> ImageParam:
    """Pixels at 1/`factor` of the resolution, upsampled bilinearly: smooth by construction."""
    n, c, h, w = _check_shape(shape)
    if factor < 1:
        raise InterpretError(f"lowres factor {factor} is below 1", "give an integer >= 1")
    small = _normal((n, c, max(1, h // factor), max(1, w // factor)), sd, seed, device)

    def to_image() -> torch.Tensor:
        t = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)  # (N, 3, h, w)
        return to_valid_rgb(t, decorrelate, sigmoid)

    return ImageParam([small], to_image, (n, c, h, w))


_KINDS = {"fft": fft_image, "pixel": pixel_image, "lowres": lowres_image}


@dataclass(frozen=True)
class ParamRecipe:
    """A parameterization as plain data. `kind` is "fft", "pixel" or "lowres";
    `decay_power` applies to fft, `factor` to lowres."""

    kind: str = "fft"
    sd: float = 0.01
    decay_power: float = 1.0
    factor: int = 4
    decorrelate: bool = True

    def __post_init__(self):
        if self.kind not in _KINDS:
            raise InterpretError(
                f"unknown parameterization '{self.kind}'", f"expected one of {', '.join(_KINDS)}"
            )

    def build(self, shape: Sequence[int], seed: Seed = 0, device=None) -> ImageParam:
        """The images' parameters, drawn from `seed`, or from (images, seed) for consecutive
        parts of the batch, each as it would start alone."""
        common = dict(sd=self.sd, decorrelate=self.decorrelate, seed=seed, device=device)
        if self.kind == "fft":
            return fft_image(shape, decay_power=self.decay_power, **common)
        if self.kind == "lowres":
            return lowres_image(shape, factor=self.factor, **common)
        return pixel_image(shape, **common)
