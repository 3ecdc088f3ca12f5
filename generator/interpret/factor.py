"""Describing a layer's activations with fewer numbers.

- `semantic_dictionary`: at each position, the top k channels by activation (Building Blocks
  shows them as channel icons) and the length of the activation vector.
- `neuron_groups`: non-negative matrix factorization of the activations [H*W, C] into n
  groups: a spatial map per group (where it is present) and a channel factor per group
  (which channels it is made of), with attribution of each group to classes or to the groups
  of a later layer.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
from torch import nn

from .attribution import (
    Target,
    finite,
    layer_gradient,
    layer_gradients,
    model_input,
)
from .errors import InterpretError, NegativeActivations
from .hooks import run_to_layers
from .models import check_model

log = logging.getLogger(__name__)


def layer_activation(model: nn.Module, image: torch.Tensor, layer: str) -> torch.Tensor:
    """The activation of `layer` for one image, (C, H, W) float32 on the CPU."""
    check_model(model)
    x = model_input(model, image)
    with torch.no_grad():
        activation = run_to_layers(model, x, [layer])[layer]
    if not isinstance(activation, torch.Tensor) or activation.dim() != 4:
        shape = list(activation.shape) if isinstance(activation, torch.Tensor) else type(activation).__name__
        raise InterpretError(f"layer '{layer}' gives {shape}, not (1, C, H, W)", "pick a convolutional layer")
    return finite(activation[0], f"layer '{layer}'")  # (C, H, W)


# --- semantic dictionary ----------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class SemanticDictionary:
    """The top k channels at each position of a layer, most active first."""

    indices: torch.Tensor    # (H, W, k) int64, channel indices
    values: torch.Tensor     # (H, W, k) float32, their activations, descending
    magnitude: torch.Tensor  # (H, W) float32, L2 norm of the whole activation vector
    activation: torch.Tensor = field(repr=False)  # (C, H, W) the layer's activation it was read from

    def __repr__(self) -> str:
        h, w, k = self.indices.shape
        return f"SemanticDictionary({w}x{h} positions, top {k} channels each, of {self.activation.shape[0]})"


def semantic_dictionary(model: nn.Module, image: torch.Tensor, layer: str, k: int = 4) -> SemanticDictionary:
    """The k most active channels at each position of `layer`, and each position's
    activation magnitude (Building Blocks' semantic dictionary)."""
    activation = layer_activation(model, image, layer).permute(1, 2, 0)  # (H, W, C)
    channels = activation.shape[-1]
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= channels:
        raise InterpretError(f"k must be between 1 and {channels} (the channels of '{layer}'), got {k!r}")
    top = activation.topk(k, dim=-1)                                      # (H, W, k)
    return SemanticDictionary(
        indices=top.indices.to(torch.int64),
        values=top.values.contiguous(),
        magnitude=activation.norm(dim=-1),                                # (H, W)
        activation=activation.permute(2, 0, 1),
    )


# --- neuron groups ----------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class NeuronGroups:
    """n groups of a layer's channels, from NMF of its activations: A ≈ maps^T · factors.

    Groups are ordered left to right by the column where their map peaks (as Building Blocks
    lays them out). The model, image and layer are kept to compute attributions.
    """

    maps: torch.Tensor        # (n, H, W) float32 >= 0, how much each group is present where
    factors: torch.Tensor     # (n, C) float32, each group's channel factor
    directions: torch.Tensor  # (n, C) float32, factors with unit L2 norm, for feature-vis icons
    reconstruction_error: float  # ||A - maps^T · factors||_F / ||A||_F, A: (H*W, C)
    layer: str
    model: nn.Module = field(repr=False, compare=False)
    image: torch.Tensor = field(repr=False, compare=False)

    def __repr__(self) -> str:
        n, h, w = self.maps.shape
        return (f"NeuronGroups({n} groups of the {self.factors.shape[1]} channels of {self.layer!r}, over {w}x{h} "
                f"positions, reconstruction error {self.reconstruction_error:.3f})")

    def attribution_to_classes(self, classes: Sequence[Target]) -> torch.Tensor:
        """Attribution of each group to each class [n, len(classes)]: the group's factor dotted
        with the gradient of the class logit (or of logit a - logit b for a pair) with respect
        to the layer, summed over positions weighted by the group's map. Over the groups it
        sums to gradient x (reconstructed) activation."""
        classes = list(classes)
        if not classes:
            raise InterpretError("classes is empty", "give at least one class")
        _, grads = layer_gradient(self.model, self.image, self.layer, classes)  # (T, C, H, W)
        return self._attribution(grads)

    def attribution_to_groups(self, later: "NeuronGroups") -> torch.Tensor:
        """Attribution of each group to each group of a later layer [n, later.n].

        Group j of the later layer scores sum over positions of map_j(x, y) times
        factor_j · activation(x, y) (how much of it is present, where it is present); this
        layer's groups are attributed to that score as in `attribution_to_classes`."""
        if later.model is not self.model or not torch.equal(later.image, self.image):
            raise InterpretError("both neuron groups must come from the same model and image")
        check_model(self.model)
        x = model_input(self.model, self.image)
        weights = later.maps.unsqueeze(1) * later.factors[:, :, None, None]  # (m, C2, H2, W2)
        chunks = layer_gradients(
            self.model, x, self.layer, later.layer, len(weights), lambda i, j, _out: weights[i:j]
        )
        return self._attribution(torch.cat([grads for _, grads in chunks]))  # (n, m)

    def _attribution(self, grads: torch.Tensor) -> torch.Tensor:
        """(n, T) from gradients (T, C, H, W) of T scores with respect to the layer."""
        grads = grads.detach().to("cpu", torch.float32)
        per_position = torch.einsum("nc,tchw->nthw", self.factors, grads)      # (n, T, H, W)
        return finite((per_position * self.maps.unsqueeze(1)).sum((2, 3)), "group attribution")  # (n, T)


def neuron_groups(
    model: nn.Module,
    image: torch.Tensor,
    layer: str,
    n: int = 6,
    seed: int = 0,
    nonneg: str = "error",
    max_iter: int = 1000,
) -> NeuronGroups:
    """Factor `layer`'s activations [H*W, C] into `n` neuron groups with scikit-learn's NMF
    (the coordinate-descent solver and Frobenius loss of its defaults, as Building Blocks;
    'nndsvda' initialization, or 'random' seeded by `seed` when n exceeds min(H*W, C)).
    Deterministic for a given seed.

    NMF needs non-negative activations. A layer with negative values (e.g. a linear
    projection before its ReLU) raises an error unless `nonneg="split"`: the positive and
    negative parts then become separate channels [relu(A), relu(-A)] (2C of them), and each
    group's factor is reported in the layer's own channels as positive part minus negative
    part, so maps^T · factors still approximates A. The reconstruction error is always
    ||A - maps^T · factors||_F / ||A||_F on the layer's own activations A.
    """
    from sklearn.decomposition import NMF  # slow to import; only needed here

    if nonneg not in ("error", "split"):
        raise InterpretError(f"nonneg must be 'error' or 'split', got {nonneg!r}")
    activation = layer_activation(model, image, layer)                     # (C, H, W)
    channels, height, width = activation.shape
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= channels:
        raise InterpretError(f"n must be between 1 and {channels} (the channels of '{layer}'), got {n!r}")
    matrix = signed = activation.flatten(1).T.double().numpy()             # (H*W, C)
    if matrix.min() < 0:
        if nonneg == "error":
            raise NegativeActivations(
                f"layer '{layer}' has negative activations ({matrix.min():.3g}) and NMF needs non-negative ones"
                "", "pick a layer after a ReLU, or pass nonneg='split'"
            )
        matrix = np.concatenate([np.maximum(matrix, 0), np.maximum(-matrix, 0)], axis=1)  # (H*W, 2C)
    if not matrix.any():
        raise InterpretError(f"layer '{layer}' is all zeros for this image", "nothing to factor")

    init = "nndsvda" if n <= min(matrix.shape) else "random"
    nmf = NMF(n_components=n, init=init, random_state=seed, max_iter=max_iter)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spatial = nmf.fit_transform(matrix)                                # (H*W, n)
    for warning in caught:
        log.info("NMF on '%s': %s", layer, warning.message)
    channel = nmf.components_                                              # (n, C) or (n, 2C)
    if channel.shape[1] != channels:
        channel = channel[:, :channels] - channel[:, channels:]           # (n, C), signed
    error = np.linalg.norm(signed - spatial @ channel) / np.linalg.norm(signed)

    order = np.argsort(spatial.reshape(height, width, n).max(0).argmax(0), kind="stable")  # by peak column
    maps = torch.from_numpy(spatial[:, order].T.reshape(n, height, width).copy()).float()  # (n, H, W)
    factors = torch.from_numpy(channel[order].copy()).float()                              # (n, C)
    norms = factors.norm(dim=1, keepdim=True)
    directions = torch.where(norms > 0, factors / norms.clamp_min(1e-12), torch.zeros_like(factors))
    return NeuronGroups(
        maps=finite(maps, "NMF"),
        factors=finite(factors, "NMF"),
        directions=directions,
        reconstruction_error=float(error),
        layer=layer,
        model=model,
        image=image.detach().clone(),
    )
