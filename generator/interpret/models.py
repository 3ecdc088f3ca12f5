"""Models: loading them by name, listing their layers, reading activations, predicting.

    model = load_model("efficientnet_lite0")       # eval mode, frozen, RGB in [0, 1]
    layers(model)                                  # [LayerInfo(name="blocks.10", channels=112, ...)]
    activations(model, load_image("sample:chelsea"), ["blocks.10"])   # {"blocks.10": (112, 14, 14)}
    predict(model, "sample:coffee")                # [(967, "espresso", 0.94), ...]

A loaded model carries `input_size`, `labels` (class names or None), `model_id`,
`weights_sha256` (of its weights file, or of its state dict's tensors when it was not loaded
from a file) and `min_size` (the smallest image side
it accepts).
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import importlib
import importlib.util
import io
import sys
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence, Tuple

import torch
from torch import nn

from .errors import ChannelOutOfRange, ImageError, InterpretError, ModelError, whole
from .hooks import get_layer, run_to_layers
from .images import MIN_SIDE, ImageSource, check_size, fit_image, load_image
from .imagenet import imagenet_labels
from .layer_info import LayerInfo
from .registry import BUILTIN
from .weights import load_checked, read_state_dict, resolve_weights, sha256_file, state_sha256

DEFAULT_INPUT_SIZE = 224


# --- loading -------------------------------------------------------------------------------


# A builder makes a model from an optional weights file and returns it with the file it
# actually loaded (its packaged weights when none was given), whose sha256 the model records.
Builder = Callable[[Optional[Path]], Tuple[nn.Module, Optional[Path]]]


def build_efficientnet_lite0(path: Path | None) -> tuple[nn.Module, Path | None]:
    from .efficientnet import EfficientNetLite, efficientnet_lite0_weights_path, load_lukemelas_state

    path = path or Path(efficientnet_lite0_weights_path())
    model, state = EfficientNetLite(), read_state_dict(path)
    if any(key.startswith("_blocks.") for key in state):   # the packaged, lukemelas-named file
        load_lukemelas_state(model, state)
    else:
        load_checked(model, state, f"weights file '{path}'")
    model.labels = imagenet_labels()
    return model, path


def build_inceptionv1(path: Path | None) -> tuple[nn.Module, Path | None]:
    from .inception import InceptionV1

    if path is None:
        raise ModelError(
            "inceptionv1 needs its weights", "pass weights='path/to/inceptionv1.pth' (a state "
            "dict with Lucent's parameter names) or a URL with sha256="
        )
    model = InceptionV1()
    load_checked(model, read_state_dict(path), f"weights file '{path}'")
    return model, path


def build_tiny(path: Path | None) -> tuple[nn.Module, Path | None]:
    from .tiny import tiny_cnn

    model = tiny_cnn()
    if path is not None:
        load_checked(model, read_state_dict(path), f"weights file '{path}'")
    return model, path


@dataclass
class ModelInfo:
    """What a factory may return instead of a bare module: the module and what the engine
    should know of it. `input_size`: the side of the images it was trained on; `mean`, `std`:
    its input normalisation, applied to RGB in [0, 1] before its first layer (None when the
    module normalises inside); `labels`: its class names, index i is class i.

        def make():
            net = torchvision_free_resnet()            # any nn.Module
            return vi.ModelInfo(net, input_size=224, mean=(0.485, 0.456, 0.406),
                                std=(0.229, 0.224, 0.225), labels=my_labels)
    """

    model: nn.Module
    input_size: int | None = None
    mean: Sequence[float] | None = None
    std: Sequence[float] | None = None
    labels: Sequence[str] | None = None


def _normalising(model: nn.Module, mean: Sequence[float], std: Sequence[float]) -> None:
    """Make `model` take RGB in [0, 1]: a forward pre-hook normalises its input, so its layer
    names stay its own module paths."""
    shift = torch.tensor(list(mean), dtype=torch.float32).view(1, -1, 1, 1)  # (1, 3, 1, 1)
    scale = torch.tensor(list(std), dtype=torch.float32).view(1, -1, 1, 1)   # (1, 3, 1, 1)

    def normalise(module, args):
        x = args[0]
        return ((x - shift.to(x.device, x.dtype)) / scale.to(x.device, x.dtype), *args[1:])

    model.register_forward_pre_hook(normalise)


def _factory_module(spec: str, source: str):
    """The module that holds a factory: a Python file (`path/to/mynet.py`), or an importable
    module (`package.module`)."""
    if source.endswith(".py"):
        path = Path(source).expanduser().resolve()
        if not path.is_file():
            raise ModelError(f"model spec '{spec}': file '{source}' not found", "check the path")
        name = f"vellum_model_{hashlib.sha256(str(path).encode()).hexdigest()[:12]}"
        loader = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(loader)
        sys.modules[name] = module          # pickling and dataclasses look modules up by name
        try:
            loader.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(name, None)
            raise ModelError(f"model spec '{spec}': {path.name} raised {type(exc).__name__}: {exc}",
                             "fix the error in the model file") from exc
        return module
    try:
        return importlib.import_module(source)
    except ImportError as exc:
        raise ModelError(
            f"model spec '{spec}': cannot import '{source}' ({exc})", "check the module path "
            "and that its folder is on PYTHONPATH, or name a file: ./mynet.py:make"
        ) from exc


def _from_factory(spec: str, path: Path | None) -> tuple[nn.Module, Path | None]:
    source, _, attr = spec.rpartition(":")
    if not source or not attr:
        raise ModelError(f"model spec '{spec}' must look like 'package.module:factory' or 'file.py:factory'")
    module = _factory_module(spec, source)
    factory = getattr(module, attr, None)
    if not callable(factory):
        found = sorted(name for name, value in vars(module).items()
                       if callable(value) and not name.startswith("_") and getattr(value, "__module__", None) == module.__name__)
        raise ModelError(f"model spec '{spec}': '{source}' has no callable '{attr}'",
                         f"write `:NAME` with the function that returns the model ({', '.join(found) or 'it defines none'})")
    try:
        with contextlib.redirect_stdout(io.StringIO()):    # a library's "Loaded weights" chatter: not ours to print
            made = factory()
    except Exception as exc:  # the author's code: name its own error
        raise ModelError(f"model spec '{spec}': {attr}() raised {type(exc).__name__}: {exc}",
                         "fix the factory") from exc
    info = made if isinstance(made, ModelInfo) else ModelInfo(made)
    model = info.model
    if not isinstance(model, nn.Module):
        raise ModelError(f"model spec '{spec}': the factory returned a {type(model).__name__}",
                         "return a torch nn.Module, or vi.ModelInfo(module, ...)")
    if info.input_size is not None:
        model.input_size = int(info.input_size)
    if info.labels is not None:
        model.labels = list(info.labels)
    if (info.mean is None) != (info.std is None):
        raise ModelError(f"model spec '{spec}': give both mean and std, or neither")
    if info.mean is not None:
        _normalising(model, info.mean, info.std)
    if path is not None:
        load_checked(model, read_state_dict(path), f"weights file '{path}'")
    return model, path


def load_model(
    name_or_spec: str,
    weights: str | Path | None = None,
    *,
    device: str | torch.device | None = None,
    sha256: str | None = None,
) -> nn.Module:
    """A model in eval mode with frozen parameters, taking RGB in [0, 1] (N, 3, H, W).

    `name_or_spec` is "efficientnet_lite0" (packaged ImageNet weights), "inceptionv1" (needs
    `weights`), "tiny" (a seeded random CNN for tests), "package.module:factory" or
    "path/to/file.py:factory": a function returning an nn.Module that takes RGB in [0, 1],
    or a `ModelInfo` with the module, its input size, normalisation and labels. `weights` is a state-dict file or
    an http(s) URL pinned by `sha256` (or a `#sha256=<hex>` URL fragment); a local file is
    checked against `sha256` when given. Keys are checked: missing or unexpected ones are an
    error that lists them."""
    path = resolve_weights(weights, sha256) if weights is not None else None
    if name_or_spec in BUILTIN:
        module, _, function = BUILTIN[name_or_spec].builder.partition(":")
        build = getattr(importlib.import_module(f".{module}", __package__), function)
        model, path = build(path)
    elif ":" in name_or_spec:
        model, path = _from_factory(name_or_spec, path)
    else:
        close = difflib.get_close_matches(name_or_spec, list(BUILTIN), n=2, cutoff=0.5)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        if name_or_spec.endswith(".py"):                 # a file without the function that makes it
            hint = f"name the function that returns the model: '{name_or_spec}:make'; "
        raise ModelError(
            f"unknown model '{name_or_spec}'", f"{hint}use one of {', '.join(BUILTIN)} "
            "or a 'package.module:factory' spec"
        )
    return _prepare(model, name_or_spec, path, device)


def device_of(device) -> torch.device:
    """`device` ("cpu", "cuda", "cuda:1", a torch.device) as torch names it, if this machine has it."""
    try:
        found = torch.device(device)
    except (RuntimeError, TypeError):
        raise ModelError(f"unknown device {device!r}", 'use "cpu" or "cuda" (or "cuda:N")') from None
    if found.type == "cuda" and not torch.cuda.is_available():
        raise ModelError(f"device {device!r}: this torch sees no GPU", 'use "cpu", or a torch built with CUDA')
    return found


def _prepare(model: nn.Module, model_id: str, path: Path | None, device) -> nn.Module:
    model.eval().requires_grad_(False)
    model.weights_sha256 = sha256_file(path) if path is not None else state_sha256(model)   # before a move
    if device is not None:
        model.to(device_of(device))
    model.input_size = int(getattr(model, "input_size", DEFAULT_INPUT_SIZE))
    model.min_size = int(getattr(model, "min_size", MIN_SIDE))
    labels = getattr(model, "labels", None)
    model.labels = list(labels) if labels is not None else None
    model.model_id = model_id
    return model


def check_model(model: nn.Module) -> None:
    """Refuse a model any of whose modules is in train mode (batch norm and dropout would
    change every activation and the statistics of the model itself)."""
    if any(module.training for module in model.modules()):
        raise ModelError(
            "model is in train mode", "call model.eval() before using it with the engine "
            "(load_model returns models in eval mode)"
        )
    layers(model)   # its forward pass runs on an RGB input (once a model: kept), or a ModelError says why not


def _device(model: nn.Module) -> torch.device:
    for tensor in model.parameters():
        return tensor.device
    for tensor in model.buffers():
        return tensor.device
    return torch.device("cpu")


# --- layers --------------------------------------------------------------------------------


_LAYERS: "weakref.WeakKeyDictionary[nn.Module, list[LayerInfo]]" = weakref.WeakKeyDictionary()


def layers(model: nn.Module) -> list[LayerInfo]:
    """Every module whose output is a (N, C, H, W) map at the model's input size, plus the
    module producing the logits, in forward order. One forward pass on a dummy input; the
    result is cached per model."""
    if model in _LAYERS:
        return list(_LAYERS[model])
    size = int(getattr(model, "input_size", DEFAULT_INPUT_SIZE))
    modules = {name: module for name, module in model.named_modules() if name}
    order: list[str] = []                                   # names by the start of their forward
    seen: dict[str, tuple[nn.Module, torch.Tensor]] = {}

    def started(name: str):
        def hook(_module, _inputs):
            if name not in order:
                order.append(name)
        return hook

    def finished(name: str):
        def hook(module, _inputs, output):
            seen.setdefault(name, (module, output))
        return hook

    handles = [module.register_forward_pre_hook(started(name)) for name, module in modules.items()]
    handles += [module.register_forward_hook(finished(name)) for name, module in modules.items()]
    try:
        with torch.no_grad():
            logits = model(torch.zeros(1, 3, size, size, device=_device(model)))
    except Exception as exc:  # the author's forward: say what it was given and what failed
        raise ModelError(f"the model's forward pass fails on a (1, 3, {size}, {size}) float32 input: "
                         f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": "),
                         "a model takes RGB in [0, 1], shape (N, 3, H, W), float32; set its side with "
                         "`vi.ModelInfo(net, input_size=...)`") from None
    finally:
        for handle in handles:
            handle.remove()
    if not isinstance(logits, torch.Tensor):
        raise ModelError(f"the model's forward returns a {type(logits).__name__}, not a tensor of class scores",
                         "return the logits, shape (N, classes), from forward")
    found = []
    for name in order:
        module, out = seen[name]
        if not isinstance(out, torch.Tensor):
            continue
        if out.dim() == 4:
            found.append(LayerInfo(name, out.shape[1], out.shape[2], out.shape[3],
                                   type(module).__name__, _stage(model, name)))
        elif out is logits and out.dim() == 2:
            found.append(LayerInfo(name, out.shape[1], 1, 1, type(module).__name__, None))
    _LAYERS[model] = found
    return list(found)


def receptive_field(model: nn.Module, layer: str) -> int:
    """The side in pixels of the square of input that can move the middle position of
    `layer` (its theoretical receptive field, found by the gradient on a random image of the
    model's input size; at most that size). Dataset examples are cropped to it."""
    check_model(model)
    resolve_layer(model, layer)
    size = int(getattr(model, "input_size", DEFAULT_INPUT_SIZE))
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(1, 3, size, size, generator=generator).to(_device(model)).requires_grad_(True)
    out = run_to_layers(model, x, [layer])[layer]                   # (1, C, H, W)
    h, w = out.shape[-2:]
    (grad,) = torch.autograd.grad(out[0, :, h // 2, w // 2].sum(), x)
    touched = grad[0].abs().sum(0) > 0                              # (S, S)
    rows, cols = touched.any(1).nonzero(), touched.any(0).nonzero()
    if not len(rows):
        return size
    return int(max(rows.max() - rows.min() + 1, cols.max() - cols.min() + 1))


def _stage(model: nn.Module, name: str) -> int | None:
    """The `stage` attribute of the module `name` or of its nearest ancestor."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        stage = getattr(get_layer(model, ".".join(parts[:end])), "stage", None)
        if isinstance(stage, int):
            return stage
    return None


def resolve_layer(model: nn.Module, name: str) -> nn.Module:
    """The module named `name`; `LayerNotFound` with the closest names otherwise."""
    return get_layer(model, name)


def check_channel(model: nn.Module, layer: str, index: int) -> None:
    """Refuse a channel index outside `layer`'s channels (the error names the count)."""
    info = next((item for item in layers(model) if item.name == layer), None)
    if info is None:
        resolve_layer(model, layer)  # raises LayerNotFound for an unknown name
        raise ChannelOutOfRange(f"layer '{layer}' has no (N, C, H, W) output, so no channels to pick")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < info.channels:
        raise ChannelOutOfRange(
            f"channel {index!r} is out of range for layer '{layer}', which has {info.channels} "
            f"channels", f"use 0 to {info.channels - 1}"
        )


# --- running -------------------------------------------------------------------------------


def _batch(model: nn.Module, images, crop: str) -> tuple[torch.Tensor, bool]:
    """(N, 3, H, W) with the shorter side at the model's input size (see `fit_image` for
    `crop`), and whether one image (not a batch) was given."""
    size, minimum = int(getattr(model, "input_size", DEFAULT_INPUT_SIZE)), getattr(model, "min_size", MIN_SIDE)
    if isinstance(images, (list, tuple)):
        if not images:
            raise ImageError("no images given: the list is empty", "give one image or more")
        loaded = [load_image(image, size, crop) for image in images]
        shapes = sorted({tuple(image.shape[-2:]) for image in loaded})
        if len(shapes) > 1:
            raise ModelError(
                f"the images have different shapes once fitted ({', '.join(f'{w}x{h}' for h, w in shapes)}), "
                "so they cannot run as one batch", "pass crop=\"center\" to see each as a square, "
                "or run them one at a time")
        return torch.stack(loaded), False
    if isinstance(images, torch.Tensor) and images.dim() == 4:
        if images.shape[1] != 3 or images.shape[0] == 0:
            raise ModelError(f"a batch must be (N, 3, H, W) RGB, got shape {tuple(images.shape)}")
        check_size(images, f"batch of shape {tuple(images.shape)}", minimum)
        return fit_image(_unit_range(images), size, crop), False
    image = load_image(images)                                      # (3, H, W)
    check_size(image, "image", minimum)
    return fit_image(image, size, crop)[None], True


def _unit_range(batch: torch.Tensor) -> torch.Tensor:
    """A batch as float RGB in [0, 1]: uint8 pixels divided by 255, floats checked, as
    `load_image` does for one image."""
    if batch.dtype == torch.uint8:
        return batch.float() / 255
    if not batch.is_floating_point():
        raise ImageError(f"a batch of {batch.dtype} pixels", "give uint8 pixels (0-255) or floats in [0, 1]")
    batch = batch.float()
    low, high = float(batch.min()), float(batch.max())
    if not (-1e-3 <= low and high <= 1 + 1e-3):
        raise ImageError(f"a batch must hold RGB in [0, 1], found {low:.4g} to {high:.4g}",
                         "divide 0-255 pixels by 255" if high > 1 else "undo the normalisation: models normalise inside")
    return batch


def activations(
    model: nn.Module,
    image_or_batch: ImageSource | Sequence[ImageSource],
    layers: Sequence[str] | str,
    *,
    batch_size: int = 32,
    crop: str = "none",
) -> dict[str, torch.Tensor]:
    """{layer: activation} for one image ((C, H, W) each) or a batch ((N, C, H, W) each).

    Images are resized so their shorter side is the model's input size, whole
    (`crop="none"`: a 451x300 photo gives EfficientNet's blocks.10 a 22x14 grid) or as their
    centre square (`crop="center"`). No gradients; batches run `batch_size` images at a
    time; the forward pass stops after the last requested layer. Results are on the model's
    device."""
    check_model(model)
    whole("batch_size", batch_size, 1, "e.g. batch_size=32")
    names = [layers] if isinstance(layers, str) else list(layers)
    for name in names:
        if name:
            resolve_layer(model, name)
    batch, single = _batch(model, image_or_batch, crop)
    device = _device(model)
    chunks: dict[str, list[torch.Tensor]] = {name: [] for name in names}
    with torch.no_grad():
        for start in range(0, batch.shape[0], batch_size):
            x = batch[start:start + batch_size].to(device)          # (n, 3, H, W)
            for name, value in run_to_layers(model, x, names).items():
                chunks[name].append(value)
    out = {name: torch.cat(parts) for name, parts in chunks.items()}
    return {name: value[0] for name, value in out.items()} if single else out


def predict(model: nn.Module, image: ImageSource | Sequence[ImageSource], top: int = 5,
            crop: str = "none") -> list:
    """The `top` classes of one image: [(class index, label, probability)], most likely first;
    of a list of images or a batch (N, 3, H, W), one such list per image. Labels come from
    `model.labels` (the index as text when the model has none); `crop` as in `activations`."""
    check_model(model)
    whole("top", top, 1, "e.g. top=5")
    batch, one = _batch(model, image, crop)
    with torch.no_grad():
        probs = model(batch.to(_device(model))).softmax(dim=-1)     # (N, classes)
    labels = getattr(model, "labels", None)
    ranked = []
    for row in probs:
        values, indices = row.topk(min(top, row.shape[0]))
        ranked.append([(int(i), labels[i] if labels is not None and i < len(labels) else str(int(i)), float(p))
                       for p, i in zip(values.tolist(), indices.tolist())])
    return ranked[0] if one else ranked
