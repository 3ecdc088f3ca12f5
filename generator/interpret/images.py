"""Loading images into the engine's one format: a float tensor (3, H, W) of RGB in [0, 1].

`load_image` accepts a path, `"sample:NAME"` (a photo shipped with scikit-image,
scikit-learn or matplotlib), a PIL image, a numpy array (H, W), (H, W, 1), (H, W, 3) or
(H, W, 4), or a tensor (H, W), (1|3|4, H, W). Grayscale becomes RGB; transparency is
composited on white. With `size`, the shorter side is resized to `size` (antialiased) and the
whole photo kept (`crop="none"`, what a fully convolutional model can see: a 451x300 photo
becomes 337x224), or the centre cropped to a square (`crop="center"`, the usual ImageNet
evaluation view).
"""

from __future__ import annotations

from pathlib import Path
from typing import Union

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError

from .errors import ImageError, whole
from .fitting import CROPS, fitted_shape
from .samples import SAMPLES, sample_path  # noqa: F401  (part of this module's API)

ImageSource = Union[str, Path, Image.Image, np.ndarray, torch.Tensor]

MIN_SIDE = 32
"""The smallest image side the engine accepts, in pixels. Smaller images carry too little
to resize into a model's input without becoming mush; the error says so instead."""

def load_image(src: ImageSource, size: int | None = None, crop: str = "none") -> torch.Tensor:
    """Read `src` as a float tensor (3, H, W) of RGB in [0, 1], optionally resized so its
    shorter side is `size` (see `fit_image` for `crop`). See the module docstring for what
    `src` may be. Resizing an image smaller than `MIN_SIDE` is refused (`ImageError`)."""
    if crop not in CROPS:
        raise ImageError(f"unknown crop {crop!r}", f"use one of {', '.join(CROPS)}")
    if size is not None:
        size = whole("size", size, 1, "the side in pixels, e.g. size=224", ImageError)
    if crop != "none" and size is None:
        raise ImageError(f"crop={crop!r} needs a size: the side of the square to keep", "e.g. size=224, crop=\"center\"")
    image = _to_tensor(src)                                   # (3, H, W)
    if image.shape[-1] == 0 or image.shape[-2] == 0:
        raise ImageError(f"image {_describe(src)} has no pixels (shape {tuple(image.shape)})", "give a picture")
    if size is not None:
        check_size(image, f"image {_describe(src)}")
        image = fit_image(image, size, crop)
    return image.contiguous()


def check_size(image: torch.Tensor, what: str, minimum: int = MIN_SIDE) -> None:
    """Refuse an image (…, H, W) whose shorter side is below `minimum` pixels."""
    h, w = image.shape[-2:]
    if min(h, w) < minimum:
        raise ImageError(
            f"{what} is {w}x{h} px, smaller than the {minimum} px minimum", "use a larger "
            "image (upscaling it would only show the model blur)"
        )


def fit_image(image: torch.Tensor, size: int, crop: str = "none") -> torch.Tensor:
    """Resize (3, H, W) or (N, 3, H, W) so the shorter side is `size` (antialiased bicubic).
    `crop="none"` keeps the whole photo (the aspect ratio too); `crop="center"` then crops
    the centre `size` x `size`."""
    if size < 1:
        raise ImageError(f"image size must be a positive number of pixels, got {size}")
    if crop not in CROPS:
        raise ImageError(f"unknown crop {crop!r}", f"use one of {', '.join(CROPS)}")
    h, w = image.shape[-2:]
    new_h, new_w = fitted_shape(h, w, size)
    batch = image if image.dim() == 4 else image[None]        # (N, 3, H, W)
    if (new_h, new_w) != (h, w):
        batch = F.interpolate(batch, size=(new_h, new_w), mode="bicubic",
                              antialias=True, align_corners=False).clamp_(0.0, 1.0)
    if crop == "center":
        top, left = (new_h - size) // 2, (new_w - size) // 2
        batch = batch[..., top:top + size, left:left + size]  # (N, 3, size, size)
    return batch if image.dim() == 4 else batch[0]


def _describe(src: object) -> str:
    if isinstance(src, (str, Path)):
        return f"'{src}'"
    return f"({type(src).__name__})"


def _to_tensor(src: ImageSource) -> torch.Tensor:
    if isinstance(src, (str, Path)):
        return _from_pil(_open(src))
    if isinstance(src, Image.Image):
        return _from_pil(src)
    if isinstance(src, np.ndarray):
        return _from_array(src, channels_last=True)
    if isinstance(src, torch.Tensor):
        tensor = src.detach().cpu()
        if tensor.is_floating_point() and tensor.dtype not in (torch.float32, torch.float64):
            tensor = tensor.float()                            # bfloat16, float16: numpy has no bfloat16
        return _from_array(tensor.numpy(), channels_last=False)
    raise ImageError(
        f"cannot read an image from a {type(src).__name__}", "pass a path, 'sample:NAME', "
        "a PIL image, a numpy array or a tensor"
    )


def _open(src: str | Path) -> Image.Image:
    text = str(src)
    if "://" in text:
        raise ImageError(f"'{text}' is an address: the engine reads files, not the network",
                         "download it first and give its path")
    path = sample_path(text[len("sample:"):]) if text.startswith("sample:") else Path(src)
    if not path.is_file():
        raise ImageError(f"image file '{path}' not found", "check the path")
    try:
        with Image.open(path) as image:
            image.load()
            return image
    except (UnidentifiedImageError, OSError) as exc:
        raise ImageError(
            f"'{path}' is not an image PIL can read", "use a PNG, JPEG or other image file"
        ) from exc


def _from_pil(image: Image.Image) -> torch.Tensor:
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):     # 16-bit / float grayscale
        return _from_array(np.asarray(image), channels_last=True)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    rgb = np.asarray(image.convert("RGB"))                    # (H, W, 3) uint8
    return torch.from_numpy(rgb.copy()).permute(2, 0, 1).float().div_(255.0)


def _unit_range(array: np.ndarray) -> np.ndarray:
    """Integer pixels scaled to [0, 1] by their type's range; floats checked to be in it."""
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if array.dtype == np.uint16:
        return array.astype(np.float32) / 65535.0
    if np.issubdtype(array.dtype, np.integer):
        top = 255.0 if array.max(initial=0) <= 255 else 65535.0
        return array.astype(np.float32) / top
    if np.issubdtype(array.dtype, np.floating):
        if np.isnan(array).any():
            raise ImageError("the image holds NaN values", "give pixels as floats in [0, 1] (or uint8), without NaN")
        low, high = float(array.min(initial=0.0)), float(array.max(initial=0.0))
        if low < -1e-3 or high > 1 + 1e-3:
            raise ImageError(
                f"float image values must lie in [0, 1], found {low:g} to {high:g}", ""
                "divide 0-255 pixels by 255, or pass them as uint8"
            )
        return np.clip(array, 0.0, 1.0).astype(np.float32)
    raise ImageError(f"cannot read an image from an array of {array.dtype}", "use uint8 or float in [0, 1]")


def _from_array(array: np.ndarray, *, channels_last: bool) -> torch.Tensor:
    if array.ndim == 2:
        array = array[..., None] if channels_last else array[None]
    if array.ndim != 3:
        layout = "(H, W, C)" if channels_last else "(C, H, W)"
        raise ImageError(
            f"an image array must be (H, W) or {layout}, got shape {tuple(array.shape)}", ""
            "pass one image (a batch of images goes to activations() as a (N, 3, H, W) tensor)"
        )
    hwc = array if channels_last else np.moveaxis(array, 0, -1)
    channels = hwc.shape[-1]
    if channels not in (1, 3, 4):
        raise ImageError(
            f"an image needs 1 (gray), 3 (RGB) or 4 (RGBA) channels, got {channels} "
            f"in shape {tuple(array.shape)}", "numpy arrays are (H, W, C), tensors (C, H, W)"
        )
    pixels = _unit_range(hwc)                                 # (H, W, C) float32 in [0, 1]
    if channels == 1:
        pixels = np.repeat(pixels, 3, axis=-1)
    elif channels == 4:
        alpha = pixels[..., 3:]
        pixels = pixels[..., :3] * alpha + (1.0 - alpha)      # composited on white
    return torch.from_numpy(np.ascontiguousarray(pixels)).permute(2, 0, 1).contiguous()
