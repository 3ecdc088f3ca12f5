"""Inputs that figure specs name: image files relative to the article, or `sample:NAME`;
and the photo as a figure shows it (`emit_photo`, `photo_srcset`)."""

from __future__ import annotations

from pathlib import Path

from ..errors import SpecError
from ..pipeline.sprites import pack_sprite
from .base import FigureContext, check_input_file

SHARPER = 1.2       # a sharper photo is offered when the file has this many times the pixels


def resolve_image_source(value: str, ctx: FigureContext, key: str) -> Path:
    """The file behind `value`: a sample photo an installed package ships, or a path."""
    if value.startswith("sample:"):
        from ..interpret.samples import SAMPLES, sample_path
        from ..errors import did_you_mean

        name = value.split(":", 1)[1]
        if name not in SAMPLES:
            raise SpecError(f"unknown sample image '{name}'", did_you_mean(name, SAMPLES), field=key)
        return sample_path(name)
    path = check_input_file(value, ctx, key)
    check_picture(path, value, key)
    return path


def check_picture(path: Path, shown: str, key: str) -> None:
    """A SpecError unless `path` is a whole picture Pillow reads, of at most Pillow's safe
    number of pixels (about 89 million): checked where specs are, so `check` says it."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    most = Image.MAX_IMAGE_PIXELS or 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as picture:
                width, height = picture.size
                if most and width * height > most:
                    raise SpecError(f"'{shown}' is {width}x{height} pixels, more than the {most // 10**6} million "
                                    "Vellum reads", "shrink it: a figure shows a few thousand pixels across at most",
                                    field=key)
                picture.load()                           # a truncated file fails here
    except SpecError:
        raise
    except Image.DecompressionBombError:
        raise SpecError(f"'{shown}' has more than {2 * most // 10**6} million pixels", "shrink it", field=key) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        reason = ("is not an image Pillow can read" if isinstance(exc, UnidentifiedImageError) else
                  "is cut short: the file ends before the picture does" if "truncated" in str(exc).lower() else
                  f"cannot be read whole ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})")
        raise SpecError(f"'{shown}' {reason}", "use a PNG, JPEG or WebP file (save it again if it is damaged)",
                        field=key) from None


def named_photos(spec: dict) -> list[tuple[str, str]]:
    """(field, value) of every photo a spec names: `image`, `src`, each of `images` (as
    `images[N]`), in that order; what a figure's cache keys hash and its warnings name."""
    found = [(name, spec[name]) for name in ("image", "src") if isinstance(spec.get(name), str)]
    return found + [(f"images[{n}]", item["image"]) for n, item in enumerate(spec.get("images") or [])]


def emit_photo(ctx: FigureContext, size: int, image_path: Path, crop: str) -> tuple[str, str, dict]:
    """The photo as a figure shows it, read once: (the URL of what the model sees, shorter side
    `size`, seen with `crop`; its `srcset` with a sharper copy for dense screens, see
    `photo_srcset`; {"width", "height"})."""
    from .. import interpret as vi

    source = vi.load_image(image_path)                             # (3, H, W), as the file has it
    data, index = _sheet(vi.fit_image(source, size, crop))
    src = ctx.emit.data("photo", index["format"], data)
    return src, f"{src} 1x{_sharper(ctx, source, size, crop)}", {"width": index["width"], "height": index["height"]}


def photo_srcset(ctx: FigureContext, src: str, size: int, image_path: Path, crop: str) -> str:
    """`srcset` for the photo at `src` (what the model sees, shorter side `size`): it, and the
    same crop with up to twice the pixels (as many as the file has) for dense screens, so the
    photo is as sharp there as it can be; only `src` when the file has barely more pixels
    (nothing is upscaled). Named by its content alone, so figures of one photo share the file."""
    from .. import interpret as vi

    return f"{src} 1x{_sharper(ctx, vi.load_image(image_path), size, crop)}"


def _sharper(ctx: FigureContext, source, size: int, crop: str) -> str:
    """`, URL Nx` of `source` (3, H, W) fitted to up to twice `size`, or "" when it has not
    SHARPER times the pixels."""
    from .. import interpret as vi

    larger = min(2 * size, min(source.shape[-2:]))
    if larger < SHARPER * size:
        return ""
    data, index = _sheet(vi.fit_image(source, larger, crop))
    return f", {ctx.emit.data('photo-sharp', index['format'], data)} {larger / size:.3g}x"


def _sheet(image) -> tuple[bytes, dict]:
    """A photo (3, H, W) in [0, 1] as an image file and its sprite index."""
    pixels = (image.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()  # (H, W, 3)
    return pack_sprite(pixels[None])
