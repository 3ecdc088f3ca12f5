"""Objectives for feature visualization: what the optimized image should maximize.

An objective is a value, not a flag. It knows the layers it reads and a readable
description, and it composes with `+`, `-`, unary `-`, `*` by a number and `sum()`:

    obj = channel("blocks.10", 7) - 0.5 * channel("blocks.10", 9)
    str(obj)  # "channel(blocks.10, 7) - 0.5 * channel(blocks.10, 9)"

Evaluated on a `Context` (the activations of the layers it needs and the image batch), an
objective returns one value per image, shape (N,), so the render loop can report progress per
image; the optimizer maximizes their sum. `batch=i` restricts an objective to image i (the
other images get 0). Batch-wide terms (`diversity`, `alignment`) split their value over the
images they involve, so the sum is the usual total.

The layer named "" is the model's output (logits); the input terms (`total_variation`, `L1`,
`L2`, `blur_input_each_step`) read the parameterized image before transforms, which is the
picture the reader sees.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import torch
import torch.nn.functional as F

from .errors import ChannelOutOfRange, ClassOutOfRange, InterpretError, whole

_ATOM, _PRODUCT, _SUM = 2, 1, 0  # precedence of a description, to place parentheses


@dataclass(frozen=True)
class Context:
    """What an objective sees: `acts[layer]` (N, C, H, W), `acts[""]` the logits (N, K) when
    asked for, and `image` (N, 3, H, W) in [0, 1] before transforms."""

    acts: dict[str, torch.Tensor]
    image: torch.Tensor

    def select(self, i: int) -> "Context":
        """The context of image i alone (a batch of one)."""
        return Context({k: v[i : i + 1] for k, v in self.acts.items()}, self.image[i : i + 1])


class Objective:
    """A differentiable goal. `fn(ctx) -> (N,)` values to maximize."""

    def __init__(
        self,
        fn: Callable[[Context], torch.Tensor],
        description: str,
        layers: Iterable[str] = (),
        batch: Iterable[int] = (),
        precedence: int = _ATOM,
    ):
        self.fn = fn
        self.description = description
        self.layers = frozenset(layers)
        self.batch = frozenset(batch)  # the batch indices it names explicitly
        self._precedence = precedence
        self._scaled: tuple[float, Objective] | None = None  # (weight, base) of `weight * base`
        self.each: tuple | None = None  # ("channel", layer, n) or ("direction", layer, v, p): see `values_together`

    def __call__(self, ctx: Context) -> torch.Tensor:
        return self.fn(ctx)

    def __str__(self) -> str:
        return self.description

    def __repr__(self) -> str:
        return f"Objective({self.description})"

    def _wrapped(self, level: int) -> str:
        return f"({self.description})" if self._precedence < level else self.description

    def __add__(self, other: "Objective") -> "Objective":
        if isinstance(other, numbers.Number) and other == 0:
            return self  # so that sum([...]) starts cleanly
        other = _as_objective(other, "+")
        return Objective(
            lambda ctx: self(ctx) + other(ctx),
            f"{self.description} + {other._wrapped(_SUM + 1)}",
            self.layers | other.layers,
            self.batch | other.batch,
            _SUM,
        )

    __radd__ = __add__

    def __sub__(self, other: "Objective") -> "Objective":
        other = _as_objective(other, "-")
        return Objective(
            lambda ctx: self(ctx) - other(ctx),
            f"{self.description} - {other._wrapped(_SUM + 1)}",
            self.layers | other.layers,
            self.batch | other.batch,
            _SUM,
        )

    def __neg__(self) -> "Objective":
        return Objective(
            lambda ctx: -self(ctx), f"-{self._wrapped(_ATOM)}", self.layers, self.batch, _PRODUCT
        )

    def __mul__(self, weight: float) -> "Objective":
        if isinstance(weight, Objective) or not isinstance(weight, numbers.Real):
            raise InterpretError(
                f"cannot multiply '{self}' by {weight!r}", "objectives multiply only by numbers"
            )
        w = float(weight)
        if self._scaled is not None:  # 2 * (3 * a) reads as 6 * a
            return self._scaled[1] * (w * self._scaled[0])
        scaled = Objective(
            lambda ctx: w * self(ctx),
            f"{w:g} * {self._wrapped(_PRODUCT)}",
            self.layers,
            self.batch,
            _PRODUCT,
        )
        scaled._scaled = (w, self)
        return scaled

    __rmul__ = __mul__


def _as_objective(other, op: str) -> Objective:
    if not isinstance(other, Objective):
        raise InterpretError(f"cannot use '{op}' with {other!r}", "both sides must be objectives")
    return other


# --- helpers -------------------------------------------------------------------------


def _args(*parts) -> str:
    return ", ".join(str(p) for p in parts if p is not None)


def _batched(layer: str, batch: int | None, per_image: Callable[[torch.Tensor], torch.Tensor]):
    """An objective function that reads `layer` and applies `per_image` ((B, ...) -> (B,)) to
    every image, or only to image `batch` (the others get 0). A layer other than the logits
    ("") must give maps (B, C, H, W)."""
    if batch is not None:
        whole("batch", batch)

    def fn(ctx: Context) -> torch.Tensor:
        t = _read(ctx, layer)
        if layer and t.dim() != 4:
            raise ChannelOutOfRange(f"layer '{layer}' gives {tuple(t.shape[1:])} values an image, not maps "
                                    "(C, H, W)", "for the model's class scores use class_logit(n)")
        if batch is None:
            return per_image(t)  # (N,)
        if not 0 <= batch < t.shape[0]:
            raise InterpretError(f"batch={batch} is out of range for a batch of {t.shape[0]} images")
        values = torch.zeros(t.shape[0], dtype=t.dtype, device=t.device)
        return values.index_put((torch.tensor([batch], device=t.device),), per_image(t[batch : batch + 1]))

    return fn


def _read(ctx: Context, layer: str) -> torch.Tensor:
    if layer == "input":
        return ctx.image
    return ctx.acts[layer]


def _layers(layer: str) -> tuple[str, ...]:
    return () if layer == "input" else (layer,)


def _batch_arg(batch: int | None) -> str | None:
    return None if batch is None else f"batch={batch}"


# --- unit objectives -----------------------------------------------------------------


def _position(t: torch.Tensor, layer: str, x: int | None, y: int | None) -> tuple[int, int]:
    """(y, x) of a position of `layer`'s maps t (B, C, H, W): the centre unless given."""
    h, w = t.shape[-2:]
    if not (x is None or x < w) or not (y is None or y < h):
        raise ChannelOutOfRange(f"position ({x}, {y}) is outside layer '{layer}', which is {w}x{h} positions "
                                "at this size", f"use x from 0 to {w - 1} and y from 0 to {h - 1}")
    return (h // 2 if y is None else y), (w // 2 if x is None else x)


def _unit(t: torch.Tensor, layer: str, n: int) -> int:
    """`n`, checked against the channels of `layer`'s output t (N, C, ...): the engine's own
    error, naming the count, rather than an IndexError from deep inside torch."""
    count = t.shape[1]
    if not 0 <= n < count:
        if layer == "":
            raise ClassOutOfRange(f"class {n} is out of range: the model has {count} classes",
                                  f"use 0 to {count - 1}")
        raise ChannelOutOfRange(f"channel {n} is out of range for layer '{layer}', which has {count} channels",
                                f"use 0 to {count - 1}")
    return n


def _vector(t: torch.Tensor, layer: str, v: torch.Tensor) -> torch.Tensor:
    """The direction `v` shaped for t (B, C, ...), checked against its C channels."""
    if v.numel() != t.shape[1]:
        raise ChannelOutOfRange(f"a direction of {v.numel()} values does not fit layer '{layer}', "
                                f"which has {t.shape[1]} channels", f"give one value per channel ({t.shape[1]})")
    return v.to(t.device, t.dtype)


def channel(layer: str, n: int, batch: int | None = None) -> Objective:
    """The mean of channel `n` of `layer` over all positions."""
    n = whole("n", n)
    fn = _batched(layer, batch, lambda t: t[:, _unit(t, layer, n)].mean((-2, -1)))
    objective = Objective(fn, f"channel({_args(layer, n, _batch_arg(batch))})", [layer], _bset(batch))
    if batch is None:
        objective.each = ("channel", layer, n)
    return objective


def values_together(objectives: Sequence[Objective], ctx: Context) -> torch.Tensor | None:
    """Image i's value of objectives[i], (N,), computed for all images at once where every
    objective is a `channel` or a `direction` (one gather or one product a layer, instead of
    N small computations: what a batch of hundreds of images on a GPU needs); None otherwise.
    The values are those of each objective on its own image, up to rounding."""
    if not objectives or any(o.each is None for o in objectives):
        return None
    groups: dict[tuple, list[int]] = {}
    for i, o in enumerate(objectives):
        kind, layer = o.each[:2]
        groups.setdefault((kind, layer, o.each[3] if kind == "direction" else None), []).append(i)
    out = torch.empty(len(objectives), device=ctx.image.device)
    for (kind, layer, power), idx in groups.items():
        t = _read(ctx, layer)[idx]  # (k, C, H, W)
        where = torch.tensor(idx, device=t.device)
        if kind == "channel":
            units = torch.tensor([_unit(t, layer, objectives[i].each[2]) for i in idx], device=t.device)
            values = t[torch.arange(len(idx), device=t.device), units].mean((-2, -1))  # (k,)
        else:
            vec = torch.stack([_vector(t, layer, objectives[i].each[2]) for i in idx]).view(len(idx), -1, 1, 1)
            dot = (t * vec).sum(1)  # (k, H, W)
            if power > 0:
                cos = dot / (t.norm(dim=1) * vec.flatten(1).norm(dim=1).view(-1, 1, 1) + 1e-6)
                dot = dot * cos.clamp(min=0.1) ** power
            values = dot.mean((-2, -1))
        out = out.index_put((where,), values.to(out.dtype))
    return out


def neuron(
    layer: str, n: int, x: int | None = None, y: int | None = None, batch: int | None = None
) -> Objective:
    """Channel `n` of `layer` at one position, the centre unless `x`, `y` are given."""

    n = whole("n", n)
    x, y = (None if x is None else whole("x", x)), (None if y is None else whole("y", y))

    def per_image(t: torch.Tensor) -> torch.Tensor:  # t: (B, C, H, W)
        row, column = _position(t, layer, x, y)
        return t[:, _unit(t, layer, n), row, column]

    where = None if x is None and y is None else f"{x}, {y}"
    desc = f"neuron({_args(layer, n, where, _batch_arg(batch))})"
    return Objective(_batched(layer, batch, per_image), desc, [layer], _bset(batch))


def direction(
    layer: str, vector, cossim_pow: float = 0, batch: int | None = None
) -> Objective:
    """Lucid's direction: mean over positions of x·v, or of x·v · max(0.1, cos(x, v))^p when
    `cossim_pow` p > 0 (favours activations that point the same way, not only far)."""
    v = torch.as_tensor(vector, dtype=torch.float32).flatten()  # (C,)

    def per_image(t: torch.Tensor) -> torch.Tensor:  # t: (B, C, H, W)
        vec = _vector(t, layer, v).view(1, -1, 1, 1)
        dot = (t * vec).sum(1)  # (B, H, W)
        if cossim_pow > 0:
            cos = dot / (t.norm(dim=1) * vec.norm() + 1e-6)
            dot = dot * cos.clamp(min=0.1) ** cossim_pow
        return dot.mean((-2, -1))

    pow_arg = f"cossim_pow={cossim_pow:g}" if cossim_pow else None
    desc = f"direction({_args(layer, _vector_text(v), pow_arg, _batch_arg(batch))})"
    objective = Objective(_batched(layer, batch, per_image), desc, [layer], _bset(batch))
    if batch is None:
        objective.each = ("direction", layer, v, float(cossim_pow))
    return objective


def direction_neuron(
    layer: str, vector, x: int | None = None, y: int | None = None, cossim_pow: float = 0,
    batch: int | None = None,
) -> Objective:
    """`direction` at one position (the centre by default)."""
    v = torch.as_tensor(vector, dtype=torch.float32).flatten()  # (C,)
    x, y = (None if x is None else whole("x", x)), (None if y is None else whole("y", y))

    def per_image(t: torch.Tensor) -> torch.Tensor:  # t: (B, C, H, W)
        row, column = _position(t, layer, x, y)
        a = t[:, :, row, column]  # (B, C)
        vec = _vector(t, layer, v).view(1, -1)
        dot = (a * vec).sum(1)  # (B,)
        if cossim_pow > 0:
            cos = dot / (a.norm(dim=1) * vec.norm() + 1e-6)
            dot = dot * cos.clamp(min=0.1) ** cossim_pow
        return dot

    where = None if x is None and y is None else f"{x}, {y}"
    pow_arg = f"cossim_pow={cossim_pow:g}" if cossim_pow else None
    desc = f"direction_neuron({_args(layer, _vector_text(v), where, pow_arg, _batch_arg(batch))})"
    return Objective(_batched(layer, batch, per_image), desc, [layer], _bset(batch))


def class_logit(n: int, batch: int | None = None) -> Objective:
    """The logit of class `n` (runs the whole model)."""
    n = whole("n", n)
    fn = _batched("", batch, lambda t: t[:, _unit(t, "", n)])
    return Objective(fn, f"class_logit({_args(n, _batch_arg(batch))})", [""], _bset(batch))


def deepdream(layer: str, batch: int | None = None) -> Objective:
    """The mean of the squared activations of `layer`: amplify whatever is there."""
    fn = _batched(layer, batch, lambda t: (t**2).flatten(1).mean(1))
    return Objective(fn, f"deepdream({_args(layer, _batch_arg(batch))})", [layer], _bset(batch))


def _bset(batch: int | None) -> tuple[int, ...]:
    return () if batch is None else (batch,)


def _vector_text(v: torch.Tensor) -> str:
    if v.numel() <= 4:
        return "[" + ", ".join(f"{x:g}" for x in v.tolist()) + "]"
    return f"[{v.numel()} values]"


# --- batch-wide objectives -----------------------------------------------------------


def diversity(layer: str) -> Objective:
    """Lucid's diversity: the mean over images of the summed dot products between its
    L2-normalised Gram matrix and every other image's. High when images look alike, so
    subtract it: `obj - 10 * diversity("blocks.10")`."""

    def fn(ctx: Context) -> torch.Tensor:
        t = ctx.acts[layer]  # (N, C, H, W)
        n = t.shape[0]
        flat = t.flatten(2)  # (N, C, HW)
        grams = flat @ flat.transpose(1, 2)  # (N, C, C)
        grams = F.normalize(grams.flatten(1), dim=1, eps=1e-10)  # (N, C*C)
        sims = grams @ grams.T  # (N, N)
        off = sims.sum(1) - sims.diagonal()  # (N,)
        return off / n

    return Objective(fn, f"diversity({layer})", [layer])


def alignment(layer: str, decay_ratio: float = 2) -> Objective:
    """Lucid's alignment: minus the mean squared difference of `layer` between images at batch
    distance d = 1..4, weighted by 1 / decay_ratio^d. Makes neighbouring images (an
    interpolation) line up."""

    def fn(ctx: Context) -> torch.Tensor:
        t = ctx.acts[layer]  # (N, C, H, W)
        values = torch.zeros(t.shape[0], dtype=t.dtype, device=t.device)
        for d in range(1, 5):
            if d >= t.shape[0]:
                break
            diff = ((t[:-d] - t[d:]) ** 2).flatten(1).mean(1) / decay_ratio**d  # (N-d,)
            values = values + F.pad(diff, (0, d))
        return -values

    return Objective(fn, f"alignment({_args(layer, f'decay_ratio={decay_ratio:g}')})", [layer])


# --- input objectives (use with a negative weight) ----------------------------------


def total_variation() -> Objective:
    """The summed absolute difference between neighbouring pixels of each image (Lucid's
    `tf.image.total_variation`). Subtract a small multiple to smooth: `-1e-3 * total_variation()`."""

    def fn(ctx: Context) -> torch.Tensor:
        x = ctx.image  # (N, 3, H, W)
        dy = (x[:, :, 1:] - x[:, :, :-1]).abs().flatten(1).sum(1)
        dx = (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().flatten(1).sum(1)
        return dx + dy  # (N,)

    return Objective(fn, "total_variation()")


def L1(constant: float = 0.5) -> Objective:
    """The summed absolute distance of each image's pixels from `constant`."""
    fn = lambda ctx: (ctx.image - constant).abs().flatten(1).sum(1)  # noqa: E731
    return Objective(fn, f"L1({constant:g})")


def L2(constant: float = 0.5, epsilon: float = 1e-6) -> Objective:
    """The Euclidean distance of each image from a flat `constant` image."""
    fn = lambda ctx: ((ctx.image - constant) ** 2).flatten(1).sum(1).add(epsilon).sqrt()  # noqa: E731
    return Objective(fn, f"L2({constant:g})")


def saturation(limit: float = 4.0) -> Objective:
    """How far each image's pixels are pushed past a sigmoid input of +-`limit` (the mean
    squared excess of logit(pixel)). Subtract a multiple to keep colours off 0 and 1: near
    those a sigmoid's gradient vanishes, so penalties on the pixel values themselves barely act."""

    def fn(ctx: Context) -> torch.Tensor:
        t = torch.logit(ctx.image, eps=1e-6)  # (N, 3, H, W): the values before the sigmoid
        return F.relu(t.abs() - limit).pow(2).flatten(1).mean(1)

    return Objective(fn, f"saturation({limit:g})")


def blur_input_each_step() -> Objective:
    """Half the squared distance of each image from its own 3x3 blur (held constant). With a
    negative weight, every step pulls the image towards its blur."""

    def fn(ctx: Context) -> torch.Tensor:
        x = ctx.image  # (N, 3, H, W)
        with torch.no_grad():
            blurred = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
        return 0.5 * ((x - blurred) ** 2).flatten(1).sum(1)

    return Objective(fn, "blur_input_each_step()")


def as_objective_list(objectives: Objective | Sequence[Objective]) -> list[Objective]:
    """A list of objectives from one objective or a sequence; errors name the bad item."""
    items = [objectives] if isinstance(objectives, Objective) else list(objectives)
    for i, obj in enumerate(items):
        if not isinstance(obj, Objective):
            raise InterpretError(f"objective {i} is {obj!r}", "expected an Objective such as channel(layer, n)")
    return items
