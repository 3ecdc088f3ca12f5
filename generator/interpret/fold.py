"""Folding eval-mode batch norms into the convolutions that feed them, for speed.

In eval mode a BatchNorm2d is a per-channel affine map, so `bn(conv(x))` equals one
convolution with rescaled weights and a bias. On a CPU, batch norm forward and backward were
over a third of a feature-visualization step of EfficientNet-Lite0; folding removes it.

`folded(model, keep)` returns a folded copy and never changes `model`. The pairs are found by
running the model once with hooks (a batch norm whose input is exactly a convolution's
output), and the copy is checked against the original on a random input: if any output
differs, the original is used instead. Convolutions named in `keep` (layers an objective
reads) are not folded, since their own output would change. On a CPU the copy is also
converted to channels_last memory, which its convolutions run faster in.
"""

from __future__ import annotations

import copy
import logging
import weakref
from typing import Iterable

import torch
from torch import nn

from .hooks import run_to_layers

log = logging.getLogger(__name__)

_CACHE: "weakref.WeakKeyDictionary[nn.Module, dict]" = weakref.WeakKeyDictionary()


def _fingerprint(model: nn.Module) -> tuple:
    """Changes when any weight or buffer is replaced or modified in place."""
    return tuple((t.data_ptr(), t._version) for t in list(model.parameters()) + list(model.buffers()))


def _pairs(model: nn.Module, x: torch.Tensor) -> list[tuple[str, str]]:
    """(conv name, batch-norm name) for every batch norm fed directly by a convolution."""
    outputs: dict[int, str] = {}
    pairs: list[tuple[str, str]] = []
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            handles.append(module.register_forward_hook(
                lambda m, i, o, name=name: outputs.__setitem__(id(o), name)))
        elif isinstance(module, nn.BatchNorm2d):
            handles.append(module.register_forward_hook(
                lambda m, i, o, name=name: pairs.append((outputs[id(i[0])], name)) if id(i[0]) in outputs else None))
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return pairs


def _fold_pair(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)  # (C,)
    bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    conv.weight.copy_(conv.weight * scale.view(-1, 1, 1, 1))
    conv.bias = nn.Parameter((bias - bn.running_mean) * scale + bn.bias, requires_grad=False)


def folded(model: nn.Module, keep: Iterable[str] = (), size: int = 64) -> nn.Module:
    """A copy of eval-mode `model` with batch norms folded into convolutions, or `model`
    itself when there is nothing to fold or the copy does not match it."""
    keep = frozenset(keep)
    entries = _CACHE.setdefault(model, {})
    fingerprint = _fingerprint(model)
    if keep in entries and entries[keep][0] == fingerprint:
        return entries[keep][1] or model  # None stands for the model itself (no strong cycle)
    device = next(model.parameters()).device
    x = torch.rand(2, 3, size, size, generator=torch.Generator().manual_seed(0)).to(device)
    pairs = [(c, b) for c, b in _pairs(model, x) if c not in keep]
    result = None
    if pairs:
        copy_ = copy.deepcopy(model)
        modules = dict(copy_.named_modules())
        with torch.no_grad():
            for conv_name, bn_name in pairs:
                _fold_pair(modules[conv_name], modules[bn_name])
                parent, _, leaf = bn_name.rpartition(".")
                setattr(modules[parent] if parent else copy_, leaf, nn.Identity())
        for p in copy_.parameters():
            p.requires_grad_(False)
        if device.type == "cpu":
            copy_.to(memory_format=torch.channels_last)  # faster convolutions on CPU
        if _same_outputs(model, copy_, x, keep):
            result = copy_
        else:
            log.info("batch-norm folding changed the model's outputs; rendering without it")
    entries[keep] = (fingerprint, result)
    return result or model


def _same_outputs(a: nn.Module, b: nn.Module, x: torch.Tensor, keep: frozenset[str]) -> bool:
    with torch.no_grad():
        if not torch.allclose(a(x), b(x), rtol=1e-3, atol=1e-4):
            return False
        layers = sorted(k for k in keep if k)
        if layers:
            ra, rb = run_to_layers(a, x, layers), run_to_layers(b, x, layers)
            return all(torch.allclose(ra[k], rb[k], rtol=1e-3, atol=1e-4) for k in layers)
    return True
