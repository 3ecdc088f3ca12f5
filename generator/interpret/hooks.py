"""Reading a model's layers by name, and stopping the forward pass once they are read.

A layer's name is its module path in `model.named_modules()`; its activation is that module's
output. Feature visualization only needs the target layers, so `run_to_layers` stops the
forward pass as soon as every requested layer has produced its output: the layers after the
target never run.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .errors import LayerNotFound


class _ForwardStopped(Exception):
    """Raised inside a hook to end the forward pass early; never escapes this module."""


def get_layer(model: nn.Module, name: str) -> nn.Module:
    """The module at dotted path `name`, or `LayerNotFound` with the closest names."""
    modules = dict(model.named_modules())
    if name not in modules or name == "":
        raise LayerNotFound(name, [n for n in modules if n])
    return modules[name]


def run_to_layers(
    model: nn.Module, x: torch.Tensor, layers: Sequence[str], *, stop: bool = True
) -> dict[str, torch.Tensor]:
    """Run `model` on `x` and return {layer: output}. With `stop`, the forward pass ends as
    soon as all `layers` have been seen; otherwise it runs to the end (the logits are then
    available as the layer named "" — the model's own output)."""
    wanted = [name for name in dict.fromkeys(layers) if name != ""]
    captured: dict[str, torch.Tensor] = {}
    handles = []

    def make_hook(name: str):
        def hook(_module, _inputs, output):
            captured[name] = output
            if stop and len(captured) == len(wanted) and "" not in layers:
                raise _ForwardStopped

        return hook

    try:
        for name in wanted:
            handles.append(get_layer(model, name).register_forward_hook(make_hook(name)))
        try:
            out = model(x)
            if "" in layers:
                captured[""] = out
        except _ForwardStopped:
            pass
    finally:
        for handle in handles:
            handle.remove()
    missing = [name for name in wanted if name not in captured]
    if missing:
        raise LayerNotFound(missing[0], [], never_runs=True)
    return captured
