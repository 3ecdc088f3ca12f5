"""load_image: every accepted source becomes (3, H, W) RGB in [0, 1]; bad sources fail clearly."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from generator import interpret as vi
from generator.interpret.errors import ImageError, InterpretError


def rgb_array(h: int = 40, w: int = 60) -> np.ndarray:
    """A uint8 (H, W, 3) gradient with different values per channel."""
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 4 % 256, y * 6 % 256, (x + y) % 256], axis=-1).astype(np.uint8)


def test_uint8_rgb_array_is_scaled_to_unit_range_channels_first():
    array = rgb_array()
    image = vi.load_image(array)
    assert image.shape == (3, 40, 60) and image.dtype == torch.float32
    assert torch.allclose(image, torch.from_numpy(array).permute(2, 0, 1).float() / 255)


def test_grayscale_array_becomes_three_equal_channels():
    gray = rgb_array()[..., 0]
    image = vi.load_image(gray)
    assert image.shape == (3, 40, 60)
    assert torch.equal(image[0], image[1]) and torch.equal(image[1], image[2])
    assert torch.allclose(image[0], torch.from_numpy(gray).float() / 255)


def test_rgba_is_composited_on_white():
    rgba = np.zeros((40, 40, 4), dtype=np.uint8)
    rgba[..., 0] = 255                 # red ...
    rgba[:20, :, 3] = 255              # ... opaque on the top half, transparent below
    image = vi.load_image(rgba)
    assert torch.allclose(image[:, :20], torch.tensor([1.0, 0, 0]).view(3, 1, 1).expand(3, 20, 40))
    assert torch.allclose(image[:, 20:], torch.ones(3, 20, 40))


def test_rgba_pil_image_is_composited_on_white_too():
    pil = Image.new("RGBA", (40, 40), (0, 0, 255, 0))
    assert torch.allclose(vi.load_image(pil), torch.ones(3, 40, 40))


def test_float_array_in_unit_range_is_kept():
    array = rgb_array().astype(np.float64) / 255
    assert torch.allclose(vi.load_image(array), torch.from_numpy(array).permute(2, 0, 1).float())


def test_float_array_in_0_255_is_refused_with_the_fix():
    with pytest.raises(ImageError, match=r"\[0, 1\].*divide"):
        vi.load_image(rgb_array().astype(np.float32))


def test_tensor_and_pil_and_array_agree():
    array = rgb_array()
    from_array = vi.load_image(array)
    assert torch.equal(vi.load_image(Image.fromarray(array)), from_array)
    assert torch.equal(vi.load_image(torch.from_numpy(array).permute(2, 0, 1)), from_array)  # uint8 CHW
    assert torch.equal(vi.load_image(from_array.clone()), from_array)                        # float CHW


def test_path_and_str_load_a_saved_png(tmp_path):
    array = rgb_array()
    path = tmp_path / "pic.png"
    Image.fromarray(array).save(path)
    assert torch.equal(vi.load_image(path), vi.load_image(array))
    assert torch.equal(vi.load_image(str(path)), vi.load_image(array))


def test_size_keeps_the_whole_photo_by_default():
    array = np.zeros((40, 80, 3), dtype=np.uint8)
    array[:, 20:60] = 255                         # a white centre square on black sides
    image = vi.load_image(array, size=32)
    assert image.shape == (3, 32, 64)             # shorter side 32, aspect ratio kept
    assert image[:, :, :8].max() < 0.05 and image[:, :, -8:].max() < 0.05   # the sides are there
    assert image[:, :, 24:40].min() > 0.95
    assert vi.fitted_shape(40, 80, 32) == (32, 64)
    assert vi.fitted_shape(300, 451, 224) == (224, 337)


def test_size_with_crop_center_keeps_the_centre_square():
    array = np.zeros((40, 80, 3), dtype=np.uint8)
    array[:, 20:60] = 255
    image = vi.load_image(array, size=32, crop="center")
    assert image.shape == (3, 32, 32)
    assert image.min() > 0.95                     # the crop kept only the centre
    assert image.max() <= 1.0
    assert vi.fitted_shape(40, 80, 32, "center") == (32, 32)


def test_an_unknown_crop_is_refused():
    with pytest.raises(ImageError, match="crop"):
        vi.load_image(np.zeros((40, 40, 3), dtype=np.uint8), size=32, crop="square")


def test_resize_is_antialiased():
    stripes = np.zeros((64, 64), dtype=np.uint8)
    stripes[:, ::2] = 255                         # 1 px stripes: aliasing would keep them
    image = vi.load_image(stripes, size=32)
    assert image.std() < 0.1 and abs(image.mean().item() - 0.5) < 0.05


@pytest.mark.parametrize("name", sorted(vi.SAMPLES))
def test_every_sample_loads(name):
    assert vi.sample_path(name).is_file()
    image = vi.load_image(f"sample:{name}", size=64)
    assert min(image.shape[1:]) == 64 and 0 <= image.min() and image.max() <= 1
    assert vi.load_image(f"sample:{name}", size=64, crop="center").shape == (3, 64, 64)


def test_unknown_sample_lists_the_names():
    with pytest.raises(ImageError) as info:
        vi.load_image("sample:kitten")
    assert "kitten" in str(info.value) and "chelsea" in str(info.value) and "grace_hopper" in str(info.value)


def test_non_image_file_names_the_file(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not a picture")
    with pytest.raises(ImageError, match="notes.png.*not an image"):
        vi.load_image(path)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(ImageError, match="missing.jpg.*not found"):
        vi.load_image(tmp_path / "missing.jpg")


def test_too_small_image_is_refused_rather_than_upscaled():
    with pytest.raises(ImageError, match=r"20x16 px.*32 px minimum"):
        vi.load_image(np.zeros((16, 20, 3), dtype=np.uint8), size=224)


@pytest.mark.parametrize("bad", [np.zeros((8, 40, 40, 3)), np.zeros((40, 40, 2)), object()])
def test_unreadable_inputs_say_what_is_accepted(bad):
    with pytest.raises(InterpretError):
        vi.load_image(bad)


@pytest.mark.parametrize("call, message", [
    (lambda: vi.load_image("sample:chelsea", crop="center"), "crop='center' needs a size"),
    (lambda: vi.load_image("sample:chelsea", 64, crop="centre"), "unknown crop 'centre'"),
    (lambda: vi.load_image("sample:chelsea", 64.0), "size must be a whole number from 1, got 64.0"),
    (lambda: vi.load_image(torch.rand(3, 0, 50)), "image (Tensor) has no pixels"),
    (lambda: vi.load_image(torch.full((3, 40, 40), float("nan"))), "the image holds NaN values"),
    (lambda: vi.load_image("https://example.com/a.jpg"), "'https://example.com/a.jpg' is an address"),
])
def test_mistakes_in_reading_an_image_are_named(call, message):
    with pytest.raises(vi.ImageError) as err:
        call()
    assert err.value.message.startswith(message), err.value.message


def test_a_bfloat16_tensor_reads_as_float32():
    image = torch.rand(3, 40, 40).bfloat16()
    assert vi.load_image(image).dtype == torch.float32
