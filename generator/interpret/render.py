"""The render loop: optimize a batch of images so each maximizes its own objective.

    images = feature_vis(model, [channel("blocks.10", c) for c in range(16)], size=128, steps=256)

What makes it fast on a CPU (see benchmarks/featurevis.py for the numbers):
- many units at once, one per batch index (batches of 16 by default);
- the image is rendered at its own size, with no upsampling to the model's input size;
- the forward pass stops once the layers the objectives read have run;
- the model's weights get no gradients, tensors are float32 and, on the CPU, channels_last
  (`Speed` sets what runs otherwise);
- pad, jitter, scale and rotate are fused into one resampling per step.
"""

from __future__ import annotations

import dataclasses
import logging
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from .errors import InterpretError, whole
from .fold import folded
from .hooks import run_to_layers
from .models import check_model, device_of
from .objectives import Context, Objective, as_objective_list, diversity as diversity_objective, values_together
from .param import ImageParam, ParamRecipe
from .quality import DEFAULT_QUALITY, QUALITY, Quality
from .transforms import by_parts

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (steps done, steps in all)


@contextmanager
def torch_threads(n: int | None):
    """Run with `n` intra-op threads (None: as set), then restore. Results depend on the thread
    count (reductions split differently), so a fixed count keeps renders byte-identical. On a
    busy machine one thread per process is often several times faster than two that wait on
    each other; run several single-threaded processes to use more cores."""
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def frozen(model: nn.Module):
    """Run `model` with no gradients for its weights (restored afterwards); refuse train mode,
    whose batch-norm statistics would mix the images of a batch."""
    check_model(model)            # eval mode, and a forward pass that runs (a ModelError says why not)
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield model
    finally:
        for p in params:
            p.requires_grad_(True)


def _device_of(model: nn.Module, device) -> torch.device:
    if device is not None:
        return device_of(device)
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


@dataclass
class Speed:
    """How renders run, beyond what they compute. `channels_last`: the model's weights and
    input in channels-last memory (None: on the CPU, where it is faster; a GPU keeps PyTorch's
    default). `bfloat16`: the model's forward pass autocast to bfloat16, its activations read
    back in float32 (off: renders in float32 everywhere). `benchmarks.featurevis --device cuda`
    measures each with the yardstick; the build uses what is set here."""

    channels_last: bool | None = None
    bfloat16: bool = False

    def memory(self, device: torch.device) -> torch.memory_format:
        on = device.type == "cpu" if self.channels_last is None else self.channels_last
        return torch.channels_last if on else torch.contiguous_format

    def forward(self, device: torch.device):
        """The context the model's forward pass runs in."""
        return torch.autocast(device.type, dtype=torch.bfloat16) if self.bfloat16 else nullcontext()


SPEED = Speed()


@contextmanager
def speed(**settings):
    """Render with other `Speed` settings (e.g. `speed(bfloat16=True)`), then restore them."""
    names = {f.name for f in dataclasses.fields(Speed)}
    unknown = sorted(set(settings) - names)
    if unknown:
        raise InterpretError(f"unknown speed setting '{unknown[0]}'", f"use one of {', '.join(sorted(names))}")
    before = dataclasses.asdict(SPEED)
    for name, value in settings.items():
        setattr(SPEED, name, value)
    try:
        yield SPEED
    finally:
        for name, value in before.items():
            setattr(SPEED, name, value)


def feature_vis(
    model: nn.Module,
    objectives: Objective | Sequence[Objective],
    size: int | None = None,
    steps: int | None = None,
    seed: int = 0,
    quality: Quality | None = None,
    param: ParamRecipe | None = None,
    transforms: Callable | None = None,
    extra: Objective | None = None,
    diversity: float = 0.0,
    device=None,
    progress: Progress | None = None,
    return_history: bool = False,
    lr: float | None = None,
    batch_size: int | None = None,
    threads: int | None = None,
):
    """Render one image per objective (a list), or the images one batch-wide objective names
    with `batch=` (a single objective). Returns uint8 (N, size, size, 3); with
    `return_history`, also float32 (steps, N): each image's objective value at every step.

    Unset settings come from `quality` (default: the "draft" profile). `extra` is added to
    every image's objective (default: the profile's smoothing terms). Images that share the
    same objective get `-diversity * diversity(layer)` among themselves when `diversity` > 0.
    `progress(done, total)` is called after every step. `threads` sets torch's CPU threads for
    the render; by default it uses them all (torch's own setting), which is fastest in a
    notebook. On the CPU, the same settings, seed and thread count give the same bytes on any
    machine: pin `threads=1` for that (the build's workers do, one render per core).
    """
    q = _quality(quality)
    _check_settings(size=size, steps=steps, batch_size=batch_size, threads=threads)
    if lr is not None and not (isinstance(lr, (int, float)) and not isinstance(lr, bool) and lr > 0):
        raise InterpretError(f"lr must be a positive number, got {lr!r}", "e.g. lr=0.05, or leave it out")
    seed = whole("seed", seed, 0, "e.g. seed=0")
    size, steps, lr = size or q.size, steps or q.steps, lr or q.lr
    param = param or q.param
    if not isinstance(param, ParamRecipe):
        raise InterpretError(f"param must be a vi.ParamRecipe, got {param!r}",
                             'e.g. param=vi.ParamRecipe("pixel"), or leave it out')
    transforms = transforms if transforms is not None else q.transforms
    extra = extra if extra is not None else q.extra()
    batch_size = batch_size or q.batch_size
    plans = _plan(objectives, batch_size)
    device = _device_of(model, device)
    total = len(plans) * steps
    images, history = [], []
    with frozen(model), torch_threads(threads):
        for b, plan in enumerate(plans):
            done = b * steps
            tick = (lambda s: progress(done + s, total)) if progress else None
            img, hist = _optimize(
                model, plan, size, steps, seed + b, lr, param, transforms, extra, diversity, device, tick,
                q.average,
            )
            images.append(img)
            history.append(hist)
    out = np.concatenate(images)
    return (out, np.concatenate(history, axis=1)) if return_history else out


def _quality(quality) -> Quality:
    """A render profile: a `Quality`, its name ("tiny", "draft", "final") or None (draft)."""
    if quality is None:
        return DEFAULT_QUALITY
    if isinstance(quality, str):
        if quality not in QUALITY:
            raise InterpretError(f"unknown quality '{quality}'", f"expected one of {', '.join(QUALITY)}")
        return QUALITY[quality]
    if not isinstance(quality, Quality):
        raise InterpretError(f"quality must be a vi.Quality or its name, got {quality!r}", 'e.g. quality="final"')
    return quality


def _check_settings(**settings) -> None:
    """Each setting given must be a whole number from 1 (None: the profile's)."""
    for name, value in settings.items():
        if value is not None:
            whole(name, value, 1, "give a positive whole number, or leave it out for the profile's")


def feature_vis_many(
    model: nn.Module,
    requests: Sequence[Sequence[Objective]],
    seeds: Sequence[int],
    size: int | None = None,
    steps: int | None = None,
    quality: Quality | None = None,
    device=None,
    most: int = 512,
    threads: int | None = None,
    diversity: float = 0.0,
    batch_size: int | None = None,
) -> list[np.ndarray]:
    """Render several lists of objectives at once: list k as `feature_vis(model, requests[k],
    seed=seeds[k], ...)` renders it (the same batches, each with its own seed, starting image
    and transform draws), but up to `most` images of all the lists are optimized together, so
    the model runs once a step for all of them. That is what keeps a GPU busy (16 images a
    batch leave it waiting on kernel launches); the images match a render of each list alone
    up to the last bits of a larger batch's arithmetic. On the CPU render each list with
    `feature_vis`, whose bytes are stable. Returns one uint8 (n_k, size, size, 3) per list.
    `diversity` and `batch_size` are `feature_vis`'s, for every list; diversity compares
    images within each batch of a list, never across lists."""
    if isinstance(requests, Objective) or any(isinstance(r, Objective) for r in requests):
        raise InterpretError("feature_vis_many takes lists of objectives, one list per render",
                             "wrap each list: [[vi.channel(...), ...], ...], or call feature_vis for one list")
    if len(requests) != len(seeds):
        raise InterpretError(f"{len(requests)} lists of objectives but {len(seeds)} seeds", "give one seed a list")
    q = _quality(quality)
    _check_settings(size=size, steps=steps, batch_size=batch_size, most=most)
    seeds = [whole("seed", seed, 0, "e.g. seed=0") for seed in seeds]
    size, steps = size or q.size, steps or q.steps
    extra = q.extra()
    device = _device_of(model, device)
    parts = []                                     # (owner, batch, seed): every list's own batches
    for k, (objectives, seed) in enumerate(zip(requests, seeds)):
        parts += [(k, batch, seed + b) for b, batch in enumerate(_plan(list(objectives), batch_size or q.batch_size))]
    groups, group, count = [], [], 0                # consecutive parts, at most `most` images a group
    for part in parts:
        if group and count + part[1].n > most:
            groups.append(group)
            group, count = [], 0
        group.append(part)
        count += part[1].n
    if group:
        groups.append(group)
    rendered: list[list[np.ndarray]] = [[] for _ in requests]
    with frozen(model), torch_threads(threads):
        for group in groups:
            images, _ = _optimize_stacked(model, [(batch, seed) for _, batch, seed in group], size, steps, q.lr,
                                          q.param, q.transforms, extra, diversity, device, None, q.average)
            at = 0
            for owner, batch, _ in group:
                rendered[owner].append(images[at:at + batch.n])
                at += batch.n
    return [np.concatenate(parts_of) for parts_of in rendered]


class _Batch:
    """One optimization batch: per-image objectives (list mode) or one batch-wide objective."""

    def __init__(self, per_image: list[Objective] | None, whole: Objective | None, n: int):
        self.per_image, self.whole, self.n = per_image, whole, n

    @property
    def objectives(self) -> list[Objective]:
        return self.per_image if self.per_image is not None else [self.whole]  # type: ignore[list-item]

    def describe(self, i: int) -> str:
        return str(self.per_image[i] if self.per_image is not None else self.whole)


def _plan(objectives, batch_size: int) -> list[_Batch]:
    if isinstance(objectives, Objective):
        n = max(objectives.batch, default=0) + 1
        return [_Batch(None, objectives, n)]
    items = as_objective_list(objectives)
    if not items:
        raise InterpretError("no objectives to render", "give at least one, e.g. [channel(layer, 0)]")
    for i, obj in enumerate(items):
        if obj.batch:
            raise InterpretError(
                f"objective {i} '{obj}' names batch={min(obj.batch)}, but in a list each objective "
                "already has its own image", "pass one objective with batch= indices instead"
            )
    return [
        _Batch(items[i : i + batch_size], None, len(items[i : i + batch_size]))
        for i in range(0, len(items), batch_size)
    ]


def _values(batch: _Batch, ctx: Context, extra: Objective | None, weight: float,
            parts: list[int] | None = None) -> torch.Tensor:
    """Each image's objective value, (N,). With `parts` (the image counts of stacked parts):
    all at once where the objectives allow (`values_together`), as stacked renders on a GPU
    do, and diversity within each part alone."""
    if batch.whole is not None:
        values = batch.whole(ctx)
    else:
        values = values_together(batch.per_image, ctx) if parts is not None else None
        if values is None:
            values = torch.cat([obj(ctx.select(i)) for i, obj in enumerate(batch.per_image)])
    if extra is not None:
        values = values + extra(ctx)
    if weight > 0 and batch.per_image is not None:
        if parts is None:
            diversity = _diversity(batch.per_image, ctx)
        else:
            pieces, at = [], 0
            for k in parts:
                part = Context({layer: a[at:at + k] for layer, a in ctx.acts.items()}, ctx.image[at:at + k])
                pieces.append(_diversity(batch.per_image[at:at + k], part))
                at += k
            diversity = torch.cat(pieces)
        values = values - weight * diversity
    return values  # (N,)


def _diversity(objs: list[Objective], ctx: Context) -> torch.Tensor:
    """Lucid's diversity among images that share an objective, (N,)."""
    out = torch.zeros(len(objs), device=ctx.image.device)
    groups: dict[str, list[int]] = {}
    for i, obj in enumerate(objs):
        groups.setdefault(obj.description, []).append(i)
    for idx in groups.values():
        if len(idx) < 2:
            continue
        layer = sorted(objs[idx[0]].layers)[0]
        sub = Context({layer: ctx.acts[layer][idx]}, ctx.image[idx])
        out = out.index_put((torch.tensor(idx, device=out.device),), diversity_objective(layer)(sub))
    return out


def _optimize(model, batch: _Batch, size, steps, seed, lr, param, transforms, extra, weight, device, tick, ema=0.0):
    """Optimize one batch; returns uint8 (N, size, size, 3) and float32 (steps, N)."""
    return _optimize_stacked(model, [(batch, seed)], size, steps, lr, param, transforms, extra, weight, device,
                             tick, ema)


def _optimize_stacked(model, parts: list[tuple[_Batch, int]], size, steps, lr, param, transforms, extra, weight,
                      device, tick, ema=0.0):
    """Optimize several batches, each with its own seed, as one: each keeps its own starting
    image and transform draws, so its images are those it gets alone (up to the last bits
    of a larger batch's arithmetic), while the model runs once a step for all of them, which
    is what keeps a GPU busy. Returns uint8 (N, size, size, 3) and float32 (steps, N), the
    parts' images in order."""
    n = sum(batch.n for batch, _ in parts)
    counts = [batch.n for batch, _ in parts] if len(parts) > 1 else None
    seeds = parts[0][1] if len(parts) == 1 else [(batch.n, seed) for batch, seed in parts]
    image_param: ImageParam = param.build((n, 3, size, size), seed=seeds, device=device)  # each part as alone
    generators = [(batch.n, torch.Generator().manual_seed(seed)) for batch, seed in parts]  # on the CPU: the same draws on any device
    whole = parts[0][0] if len(parts) == 1 else _Batch([o for batch, _ in parts for o in batch.objectives], None, n)
    layers = set().union(*(o.layers for o in whole.objectives))
    layers |= extra.layers if extra is not None else set()
    if weight > 0:
        layers |= {sorted(o.layers)[0] for o in whole.objectives if o.layers}
    memory = SPEED.memory(device)
    original, model = model, folded(model, layers)
    if model is not original:                           # a copy of ours: weights in the input's format
        model.to(memory_format=memory)
    params = image_param.params
    optimizer = torch.optim.Adam(params, lr=lr)
    history = torch.zeros((steps, n), dtype=torch.float32, device=device)  # read every CHECK_EVERY steps
    average = [p.detach().clone() for p in params] if ema else None
    for step in range(steps):
        optimizer.zero_grad(set_to_none=True)
        image = image_param()  # (N, 3, size, size)
        if not transforms:
            x = image
        elif len(generators) == 1:
            x = transforms(image, generators[0][1])
        else:                                        # each part its own draws, one resampling
            x = by_parts(transforms, image, generators)
        with SPEED.forward(device):
            acts = run_to_layers(model, x.contiguous(memory_format=memory), sorted(layers)) if layers else {}
        if SPEED.bfloat16:
            acts = {layer: a.float() for layer, a in acts.items()}
        values = _values(whole, Context(acts, image), extra, weight, counts)  # (N,)
        (-values.sum()).backward()
        optimizer.step()
        if average is not None:
            with torch.no_grad():
                for a, p in zip(average, params):
                    a.lerp_(p, 1 - ema)  # a = ema * a + (1 - ema) * p
        history[step] = values.detach()
        if (step + 1) % CHECK_EVERY == 0 or step + 1 == steps:
            first = max(0, step + 1 - CHECK_EVERY)
            _check_finite(history[first:step + 1], first, whole)
        if tick:
            tick(step + 1)
    with torch.no_grad():
        if average is not None:  # show the averaged parameters: the transforms' jitter cancels
            for a, p in zip(average, params):
                p.copy_(a)
        final = image_param()  # (N, 3, size, size)
    _check_finite(final.flatten(1).sum(1)[None], steps, whole)
    history = history.cpu().numpy()
    log.debug("rendered %d images in %d parts, %d steps, final objective %s", n, len(parts), steps, history[-1])
    return to_uint8(final), history


CHECK_EVERY = 32    # steps between reads of the objective: each read waits for a GPU to catch up


def _check_finite(values: torch.Tensor, first: int, batch: _Batch) -> None:
    """Raise at the first row of `values` ((steps, N), its first row step `first`) where an
    image's value is NaN or infinite."""
    bad = (~torch.isfinite(values)).nonzero().tolist()
    if bad:
        step, i = bad[0]
        raise InterpretError(
            f"the objective became NaN or infinite at step {first + step} for image {i} ('{batch.describe(i)}')"
            "", "lower the learning rate or check the objective's weights"
        )


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(N, 3, H, W) in [0, 1] -> uint8 (N, H, W, 3)."""
    return (images.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def objective_values(
    model: nn.Module, objectives: Objective | Sequence[Objective], images, device=None
) -> np.ndarray:
    """Each image's objective on the image itself, without transforms: float32 (N,). `images`
    is uint8 (N, H, W, 3) or float (N, 3, H, W) in [0, 1]; a list pairs objectives with images."""
    device = _device_of(model, device)
    x = torch.as_tensor(np.asarray(images)) if not torch.is_tensor(images) else images
    if x.dtype == torch.uint8:
        x = x.permute(0, 3, 1, 2).float() / 255
    x = x.to(device)
    batch = _plan(objectives, max(1, x.shape[0]))[0]
    if batch.n != x.shape[0]:
        raise InterpretError(f"{batch.n} objectives for {x.shape[0]} images", "give one per image")
    layers = sorted(set().union(*(o.layers for o in batch.objectives)))
    with frozen(model), torch.no_grad():
        acts = run_to_layers(model, x, layers)
        return _values(batch, Context(acts, x), None, 0.0).float().cpu().numpy()
