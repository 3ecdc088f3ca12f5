"""The activation atlas (Carter, Armstrong, Schubert, Johnson, Olah; Distill 2019): a map of
the activation vectors a layer produced over a dataset, laid out in two dimensions so that
similar activations lie close, cut into a grid, each cell drawn as a feature visualization
of its mean activation.

    xy = vi.atlas_layout(vectors, seed=0)              # (n, 2) in [0, 1]
    cells = vi.atlas_cells(xy, grid=20, min_count=3)   # [AtlasCell(row, col, members), ...]
    S = vi.whitening(vectors)                          # (C, C)
    icon = vi.direction(layer, S @ vectors[cells[0].members].mean(0), cossim_pow=...)
    logits = vi.tiled_logits(model, layer, vectors)    # (n, K): each vector spread over the layer

As the paper's recipe: UMAP to two dimensions (cosine metric, 50 neighbours, minimum
distance 0.05), clipped to its 1st-99th percentiles; a square grid over the layout, cells
with too few activations dropped; icons of the mean activation, whitened by the inverse of
the activations' (uncentred) correlation, times cosine similarity to a power. Where this
module differs: a cell's classes come from `tiled_logits`, the logits the network gives when
the vector fills the whole layer (a forward pass, no photos), not from gradient attributions
averaged over the cell, so an atlas is computed from the sampled vectors alone.

Everything but `tiled_logits` is numpy; UMAP (`umap-learn`) is imported when a layout is
made. A layout is a pure function of the vectors and the seed (UMAP runs single-threaded
with its random state fixed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ChannelOutOfRange, InterpretError, LayerNotFound
from .hooks import get_layer

N_NEIGHBORS = 50
MIN_DIST = 0.05
CLIP = (1.0, 99.0)        # percentiles of each layout axis kept; the rest is pushed to the border


@dataclass(frozen=True)
class AtlasCell:
    """A grid cell of a layout: row and column (row 0 on top) and the indices of the vectors
    that fall in it, ascending."""

    row: int
    col: int
    members: np.ndarray     # (count,) int64

    @property
    def count(self) -> int:
        return len(self.members)


def atlas_layout(vectors: np.ndarray, *, seed: int = 0, n_neighbors: int = N_NEIGHBORS,
                 min_dist: float = MIN_DIST) -> np.ndarray:
    """UMAP of `vectors` (n, C) to two dimensions with the cosine metric, each axis clipped to
    its 1st-99th percentiles and scaled to [0, 1]: (n, 2) float64. Fewer than four vectors
    cannot be laid out (InterpretError)."""
    import warnings

    vectors = np.asarray(vectors, np.float32)
    if len(vectors) < 4:
        raise InterpretError(f"an atlas needs at least 4 activation vectors, got {len(vectors)}",
                             "sample more positions or photos")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")             # UMAP says that a random state disables its threads
        import umap

        reducer = umap.UMAP(n_components=2, n_neighbors=min(n_neighbors, len(vectors) - 1), min_dist=min_dist,
                            metric="cosine", random_state=seed, n_jobs=1, low_memory=True)
        xy = reducer.fit_transform(vectors).astype(np.float64)
    return normalized(xy)


def normalized(xy: np.ndarray) -> np.ndarray:
    """`xy` (n, 2) clipped to each axis's 1st-99th percentiles and scaled to [0, 1]."""
    low = np.percentile(xy, CLIP[0], axis=0)
    high = np.percentile(xy, CLIP[1], axis=0)
    span = np.where(high > low, high - low, 1.0)
    return np.clip((xy - low) / span, 0.0, 1.0)


def atlas_cells(xy: np.ndarray, grid: int, min_count: int = 1) -> list[AtlasCell]:
    """The cells of a `grid` x `grid` square over `xy` (n, 2) in [0, 1] that hold at least
    `min_count` vectors, row by row. x runs left to right, y bottom to top (row 0 is the top,
    as on screen). A point on the far border belongs to the last cell, so a grid of 2g nests
    in one of g: fine cell (r, c) lies in coarse cell (r // 2, c // 2)."""
    col = np.minimum((xy[:, 0] * grid).astype(np.int64), grid - 1)
    row = np.minimum(((1.0 - xy[:, 1]) * grid).astype(np.int64), grid - 1)
    flat = row * grid + col
    order = np.argsort(flat, kind="stable")
    cells = []
    bounds = np.searchsorted(flat[order], np.arange(grid * grid + 1))
    for index in range(grid * grid):
        members = order[bounds[index]:bounds[index + 1]]
        if len(members) >= max(1, min_count):
            cells.append(AtlasCell(index // grid, index % grid, np.sort(members).astype(np.int64)))
    return cells


def whitening(vectors: np.ndarray, eps: float = 1e-3) -> np.ndarray:
    """The paper's whitening: the inverse of the vectors' uncentred correlation E[v vᵀ] (C, C),
    regularised by `eps` times its mean diagonal so that a layer with dead channels still has
    one. A direction d is whitened as S @ d."""
    vectors = np.asarray(vectors, np.float64)
    correlation = vectors.T @ vectors / max(len(vectors), 1)
    ridge = eps * max(float(np.trace(correlation)) / len(correlation), 1e-12)
    return np.linalg.inv(correlation + ridge * np.eye(len(correlation)))


def tiled_logits(model, layer: str, vectors, batch: int = 64):
    """The logits (n, K) the model gives when `layer`'s whole output is one vector of
    `vectors` (n, C) repeated at every position (of the layer's grid at the model's input
    size): what the activation, on its own, drives the network toward. Forward passes only."""
    import torch

    from .models import DEFAULT_INPUT_SIZE, layers

    size = int(getattr(model, "input_size", DEFAULT_INPUT_SIZE))
    found = {i.name: i for i in layers(model)}
    if layer not in found:
        get_layer(model, layer)                          # an unknown name: LayerNotFound, with the closest
        raise LayerNotFound(layer, [], never_runs=True)  # a module that gives no map
    info = found[layer]
    vectors = torch.as_tensor(np.asarray(vectors, np.float32))
    if vectors.dim() != 2 or vectors.shape[1] != info.channels:
        raise ChannelOutOfRange(f"vectors of shape {tuple(vectors.shape)} do not fit layer '{layer}', which has "
                                f"{info.channels} channels", f"give (n, {info.channels}) vectors")
    device = next(model.parameters()).device
    module = get_layer(model, layer)
    out = []
    for start in range(0, len(vectors), batch):
        part = vectors[start:start + batch].to(device)
        filled = part[:, :, None, None].expand(-1, -1, info.height, info.width).contiguous()   # (b, C, H, W)

        def replace(_module, _inputs, _output, filled=filled):
            return filled

        handle = module.register_forward_hook(replace)
        try:
            with torch.no_grad():
                try:
                    logits = model(torch.zeros(1, 3, size, size, device=device))
                except RuntimeError:            # a model that keeps its input's batch size
                    logits = model(torch.zeros(len(part), 3, size, size, device=device))
        finally:
            handle.remove()
        out.append(logits.float().cpu())
    return torch.cat(out).numpy() if out else np.zeros((0, 0), np.float32)
