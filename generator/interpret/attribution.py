"""Attribution: how much each position or channel of a layer contributes to an output.

Building Blocks of Interpretability's linear approximations, in pure PyTorch:

- `spatial_attribution`: gradient x activation summed over channels, one number per position;
- `channel_attribution`: gradient x activation summed over positions, one number per channel,
  optionally path-integrated (integrated gradients of the layer from a zero baseline);
- `layer_attribution`: layer to layer, backpropagating the L2 norm of the later layer's
  activation vector at each of its positions;
- `class_attribution_maps`: one spatial map per class, for the top classes.

A target is a class index (its logit) or a pair `(a, b)` meaning logit a - logit b.

How gradients are taken: a forward hook replaces the layer's output by a leaf tensor that
requires grad, so the backward pass stops at the layer and nothing before it is touched.
`torch.autograd.grad` never writes `.grad` of parameters, and their `requires_grad` flags are
left as they were. Many gradients at once (one per position, class or path step) come from
one batch: the layer's output is replicated into a batch of leaves, so the layers before it
run once and the rest runs as ordinary batched convolutions (on CPU this is faster than
vmap over the backward with `is_grads_batched`, or a loop of backward passes).
"""

from __future__ import annotations

import logging
import operator
from typing import Callable, Iterator, Sequence, Union

import torch
from torch import nn

from .errors import ClassOutOfRange, InterpretError
from .hooks import get_layer, run_to_layers
from .models import check_model

log = logging.getLogger(__name__)

Target = Union[int, Sequence[int]]
"""A class index, or a pair (a, b) meaning logit a - logit b."""

CHUNK = 64
"""How many backward passes (positions, classes, path steps) run in one batch."""


# --- checks shared by every public function --------------------------------------------------

def model_input(model: nn.Module, image: torch.Tensor) -> torch.Tensor:
    """The image [3, H, W] in [0, 1] as a batch of one (1, 3, H, W) on the model's device."""
    if not isinstance(image, torch.Tensor):
        raise InterpretError(
            f"image must be a tensor [3, H, W], got {type(image).__name__}", "load it with load_image"
        )
    if image.dim() == 4 and image.shape[0] == 1:
        image = image[0]
    if image.dim() != 3 or image.shape[0] != 3:
        raise InterpretError(
            f"image must have shape [3, H, W], got {list(image.shape)}", "pass one RGB image"
        )
    if not image.is_floating_point():
        raise InterpretError("image must be a float tensor in [0, 1]", "divide bytes by 255")
    if not torch.isfinite(image).all():
        raise InterpretError("image contains NaN or infinite values")
    if image.min() < -1e-3 or image.max() > 1 + 1e-3:
        raise InterpretError(
            f"image values must be in [0, 1], got [{image.min():.3g}, {image.max():.3g}]"
            "", "the model normalises inside; pass the raw RGB image"
        )
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    return image.detach().to(device=device, dtype=torch.float32).unsqueeze(0)  # (1, 3, H, W)


def finite(t: torch.Tensor, what: str) -> torch.Tensor:
    """`t` as float32 on the CPU, or an error if it holds NaN or infinity."""
    if not torch.isfinite(t).all():
        raise InterpretError(f"{what} produced NaN or infinite values", "check the model and image")
    return t.detach().to("cpu", torch.float32)


def target_weights(target: Target, num_classes: int) -> torch.Tensor:
    """The target as weights on the logits [K]: one-hot, or +1/-1 for a pair (a, b)."""
    if isinstance(target, (tuple, list)):
        if len(target) != 2:
            raise InterpretError(f"target must be a class or a pair (a, b), got {list(target)}")
        a, b = (_class_index(t, num_classes) for t in target)
        weights = torch.zeros(num_classes)
        weights[a] += 1.0
        weights[b] -= 1.0
        return weights
    weights = torch.zeros(num_classes)
    weights[_class_index(target, num_classes)] = 1.0
    return weights


def _class_index(value, num_classes: int) -> int:
    if isinstance(value, bool):
        raise InterpretError(f"class must be an integer, got {value!r}")
    try:
        index = operator.index(value)
    except TypeError:
        raise InterpretError(f"class must be an integer, got {value!r}") from None
    if not 0 <= index < num_classes:
        raise ClassOutOfRange(
            f"class {index} is out of range", f"the model has {num_classes} classes (0 to {num_classes - 1})"
        )
    return index


# --- forward with the layer as a leaf, and batched backward passes ---------------------------

def forward_from_layer(
    model: nn.Module,
    x: torch.Tensor,
    layer: str,
    upto: str = "",
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Run `model` on `x` with the output of `layer` replaced by a leaf that requires grad.

    Returns (activation, leaf, out): the layer's own output (detached), the leaf (the output
    passed through `transform`, e.g. scaled for path integrals) and `out`, the logits when
    `upto` is "" or else the activation of layer `upto` (the forward pass stops there).
    """
    module = get_layer(model, layer)
    if upto:
        get_layer(model, upto)
    seen: list[torch.Tensor] = []

    def hook(_module, _inputs, output):
        if not isinstance(output, torch.Tensor):
            raise InterpretError(f"layer '{layer}' returns {type(output).__name__}, not a tensor", "pick another layer")
        if seen:
            raise InterpretError(f"layer '{layer}' runs more than once in a forward pass", "pick a layer that runs once")
        activation = output.detach()
        leaf = (transform(activation) if transform else activation).requires_grad_(True)
        seen.extend([activation, leaf])
        return leaf.clone()  # a copy, so in-place ops after the layer leave the leaf intact

    handle = module.register_forward_hook(hook)
    try:
        with torch.enable_grad():
            out = model(x) if upto == "" else run_to_layers(model, x, [upto])[upto]
    finally:
        handle.remove()
    if not seen:
        raise InterpretError(f"layer '{upto}' runs before '{layer}'", "the later layer must come after")
    if not out.requires_grad:
        raise InterpretError(f"'{upto or 'the logits'}' does not depend on layer '{layer}'")
    return seen[0], seen[1], out


def layer_gradients(
    model: nn.Module,
    x: torch.Tensor,
    layer: str,
    upto: str,
    count: int,
    rows: Callable[[int, int, torch.Tensor], torch.Tensor],
    scales: torch.Tensor | None = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Gradients with respect to `layer` of `count` weighted sums of `out` (the logits, or the
    activation of layer `upto`), CHUNK at a time; yields (activation (1, C, H, W), gradients
    (b, C, H, W)) for each chunk of b sums, so callers can reduce before the next chunk.

    `rows(start, stop, out)` gives the weights of sums start..stop-1, (stop - start,
    *out.shape[1:]). With `scales` (count,), sum i is taken with the layer's output scaled by
    scales[i] (the points of a path integral).

    Each chunk is one batched forward and backward: the layer's output becomes a leaf
    replicated b times, so the layers before it run once. A model where that batch cannot
    meet tensors from before the layer (e.g. a concatenation with a branch that skips it)
    runs b copies of the input instead.
    """
    whole = False  # whether to replicate the whole input, once replicating the layer failed
    for start in range(0, count, CHUNK):
        stop = min(start + CHUNK, count)
        scale = None if scales is None else scales[start:stop].to(x.device)

        def replicate(activation: torch.Tensor) -> torch.Tensor:  # (1 or b, C, H, W) -> (b, C, H, W)
            if scale is None:
                return activation.expand(stop - start, *activation.shape[1:]).clone()
            return scale.view(-1, *[1] * (activation.dim() - 1)) * activation

        batch = x.expand(stop - start, *x.shape[1:])                           # (b, 3, H, W)
        try:
            activation, leaf, out = forward_from_layer(model, batch if whole else x, layer, upto, replicate)
        except RuntimeError as error:
            if whole or stop - start == 1:
                raise
            log.debug("a batch after '%s' meets tensors from before it (%s); replicating the input", layer, error)
            whole = True
            activation, leaf, out = forward_from_layer(model, batch, layer, upto, replicate)
        if activation.dim() != 4:
            raise InterpretError(
                f"layer '{layer}' gives {list(activation.shape)}, not (N, C, H, W)", "pick a convolutional layer"
            )
        (grads,) = torch.autograd.grad(out, leaf, rows(start, stop, out).to(out.device), allow_unused=True)
        if grads is None:
            raise InterpretError(f"'{upto or 'the logits'}' does not depend on layer '{layer}'")
        yield activation[:1], grads.detach()


def target_rows(targets: Sequence[Target]) -> Callable[[int, int, torch.Tensor], torch.Tensor]:
    """`rows` for `layer_gradients` that weight the logits by each target."""
    return lambda start, stop, logits: torch.stack(
        [target_weights(t, logits.shape[1]) for t in targets[start:stop]]
    )  # (b, K)


def layer_gradient(model: nn.Module, image: torch.Tensor, layer: str, targets: Sequence[Target]):
    """The layer's activation (C, H, W) and the gradient of each target's score with respect
    to it (T, C, H, W)."""
    check_model(model)
    x = model_input(model, image)
    chunks = list(layer_gradients(model, x, layer, "", len(targets), target_rows(list(targets))))
    return chunks[0][0][0], torch.cat([grads for _, grads in chunks])          # (C, H, W), (T, C, H, W)


# --- public functions -------------------------------------------------------------------------

def spatial_attribution(
    model: nn.Module, image: torch.Tensor, layer: str, target: Target, steps: int | None = None
) -> torch.Tensor:
    """Gradient x activation of `target`'s logit, summed over channels: a map [H, W] of the
    layer's positions. Positive where the position pushes the target up.

    With `steps=N`, integrated gradients of the layer's output instead (as in
    `channel_attribution`), summed over channels: the positions then sum to the target's score
    minus its score with the layer zeroed, up to the quadrature error."""
    if steps is not None:
        return finite(_integrated_gradients(model, image, layer, target, steps).sum(0), "spatial attribution")
    activation, grads = layer_gradient(model, image, layer, [target])  # (C, H, W), (1, C, H, W)
    return finite((grads[0] * activation).sum(0), "spatial attribution")  # (H, W)


def channel_attribution(
    model: nn.Module, image: torch.Tensor, layer: str, target: Target, steps: int | None = None
) -> torch.Tensor:
    """Gradient x activation of `target`'s logit, summed over positions: one number per
    channel [C].

    With `steps=N`, the path-integrated version: integrated gradients of the layer's output
    from a zero baseline, with the midpoint rule (gradients at alpha = (k + 1/2) / N times the
    activation, k = 0 .. N-1). This equals Captum's `LayerIntegratedGradients` on the layer
    output with `method="riemann_middle"`. The channels then sum to the target's score minus
    its score with the layer zeroed, up to the quadrature error.
    """
    if steps is None:
        activation, grads = layer_gradient(model, image, layer, [target])
        return finite((grads[0] * activation).sum((1, 2)), "channel attribution")  # (C,)
    return finite(_integrated_gradients(model, image, layer, target, steps).sum((1, 2)), "channel attribution")


def _integrated_gradients(model: nn.Module, image: torch.Tensor, layer: str, target: Target, steps) -> torch.Tensor:
    """Integrated gradients of the layer's output (C, H, W), midpoint rule with `steps` steps."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise InterpretError(f"steps must be a positive integer, got {steps!r}")
    check_model(model)
    x = model_input(model, image)
    alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps             # (N,)
    total, activation = 0.0, None
    for activation, grads in layer_gradients(model, x, layer, "", steps, target_rows([target] * steps), alphas):
        total = total + grads.sum(0)                                             # (C, H, W)
    return activation[0] * total / steps                                          # (C, H, W)


def layer_attribution(model: nn.Module, image: torch.Tensor, layer: str, to_layer: str) -> torch.Tensor:
    """Layer to layer attribution [H2, W2, H1, W1]: for each position of the later layer
    `to_layer` (H2 x W2), the gradient of the L2 norm of its activation vector with respect to
    `layer`, times `layer`'s activation, summed over channels (a map H1 x W1).

    The H2 * W2 gradients are taken CHUNK positions per batched forward and backward pass. A
    position whose vector is zero has zero attribution (the norm's gradient is taken as zero).
    """
    check_model(model)
    x = model_input(model, image)
    with torch.no_grad():
        later = run_to_layers(model, x, [to_layer])[to_layer]                     # (1, C2, H2, W2)
    if later.dim() != 4:
        raise InterpretError(f"layer '{to_layer}' has shape {list(later.shape)}, not (1, C, H, W)", "pick a convolutional layer")
    _, c2, h2, w2 = later.shape
    units = torch.nan_to_num(later[0] / later[0].norm(dim=0, keepdim=True), nan=0.0)  # (C2, H2, W2), 0 where zero

    def rows(start: int, stop: int, _out) -> torch.Tensor:  # d|v_p| / dv = v_p / |v_p| at p only
        weights = torch.zeros(stop - start, c2, h2 * w2, device=later.device)  # (b, C2, P)
        positions = torch.arange(start, stop, device=later.device)
        weights[torch.arange(stop - start), :, positions] = units.flatten(1).T[start:stop]
        return weights.view(stop - start, c2, h2, w2)                             # (b, C2, H2, W2)

    maps = torch.cat([
        (grads * activation).sum(1)                                               # (b, H1, W1)
        for activation, grads in layer_gradients(model, x, layer, to_layer, h2 * w2, rows)
    ])                                                                             # (P, H1, W1)
    return finite(maps.view(h2, w2, *maps.shape[1:]), "layer attribution")  # (H2, W2, H1, W1)


def class_attribution_maps(
    model: nn.Module, image: torch.Tensor, layer: str, classes: Sequence[Target] | None = None, top: int = 5,
    steps: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Spatial attribution maps for several classes, from one batched pass.

    Returns (classes [T] int64, maps [T, H, W]). With `classes=None`, the model's `top` most
    likely classes, most likely first. Pairs (a, b) are accepted in `classes`; the returned
    class index is then a. With `steps=N`, each map is path-integrated (`spatial_attribution`).
    """
    check_model(model)
    if classes is None:
        with torch.no_grad():
            logits = model(model_input(model, image))                     # (1, K)
        if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= logits.shape[1]:
            raise InterpretError(f"top must be between 1 and {logits.shape[1]}, got {top!r}")
        classes = logits[0].topk(top).indices.tolist()
    classes = list(classes)
    if not classes:
        raise InterpretError("classes is empty", "give at least one class")
    if steps is not None:
        maps = torch.stack([spatial_attribution(model, image, layer, c, steps) for c in classes])  # (T, H, W)
    else:
        activation, grads = layer_gradient(model, image, layer, classes)  # (C, H, W), (T, C, H, W)
        maps = finite((grads * activation).sum(1), "class attribution")   # (T, H, W)
    firsts = [c[0] if isinstance(c, (tuple, list)) else c for c in classes]
    return torch.tensor(firsts, dtype=torch.int64), maps
