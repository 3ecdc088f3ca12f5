"""`LayerInfo`, what `layers(model)` lists: plain data, importable without torch (a build
checks specs against cached layer lists without loading the model)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LayerInfo:
    """A hookable layer: its name (module path), output channels and spatial size at the
    model's input size, the module's class name, and for EfficientNet blocks their stage."""

    name: str
    channels: int
    height: int
    width: int
    kind: str
    stage: int | None = None
