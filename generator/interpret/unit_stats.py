"""What every channel of a layer does over a set of images, gathered one image at a time and
merged exactly: the dataset pass behind dataset examples, unit pages and activation atlases.

    stats = vi.UnitStats.empty("blocks.10", channels=112)
    for i, path in enumerate(paths):
        stats.add(i, vi.activations(model, path, ["blocks.10"])["blocks.10"])   # (C, H, W)
    stats.top_where[9]          # channel 9's strongest images: (image, y, x, rows, cols)

For each channel it keeps, in bounded memory whatever the number of images:
- the `k` images that excite it most, each at its strongest position (`top_values`,
  `top_where`);
- a histogram of all its activations over every position of every image, on fixed
  arcsinh-spaced bins (`HISTOGRAM_EDGES`), so histograms of parts add up;
- a random sample of `sample` images with their strongest value and position, from which
  `quantile_examples` picks typical and middling images;
- its mean activation per class, for images with a label;
- and for the layer, a random sample of `vectors` whole activation vectors, taken at up to
  `POSITIONS` random positions of each image away from its edges (the activation atlas's
  input: a large dataset gives about one per image, as the paper takes them; a small one
  several), kept at half precision.

"Random" is a hash of the image's number, its position and the channel, not a generator:
`merge` of the statistics of any split of the images, in any order, gives the same bytes as
adding them one by one (`to_bytes`). Sums are exact (fixed point in int64). Images are
numbered by the caller (their index in a dataset's manifest). Activations may be tensors or
numpy arrays; the module itself needs only numpy, so a build that reads a pass from its
cache does not import torch.
"""

from __future__ import annotations

import io
import json
import zlib
from dataclasses import dataclass, fields

import numpy as np

from .errors import ChannelOutOfRange

POSITIONS = 16
"""Activation vectors sampled per image (distinct positions away from the edges), before the
layer's sample keeps `vectors` of all of them."""

HISTOGRAM_EDGES = np.sinh(np.linspace(-7.0, 7.0, 113)).astype(np.float64)
"""Bin edges of every channel's histogram: arcsinh-spaced from about -548 to 548, fine near
zero where most activations lie; values outside fall into the first or last bin."""

FIXED_POINT = 2.0 ** 16
"""Class sums are kept as integers in units of 1/FIXED_POINT, so they add up exactly."""

WHERE = 5
"""A position is (image, y, x, rows, cols): the image's number, the cell, and the layer's grid
on that image (so a crop can be placed on the photo without running the model again)."""

_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64 of uint64 values: a fixed, well-spread hash."""
    with np.errstate(over="ignore"):
        z = (values.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)) & _MASK
        z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK
        z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK
        return z ^ (z >> np.uint64(31))


@dataclass
class UnitStats:
    """Statistics of every channel of one layer over a set of images; see the module docstring.
    Arrays are numpy; -inf values and -1 positions pad entries not yet filled."""

    layer: str
    k: int
    images: int                  # images added
    top_values: np.ndarray       # (C, k) float32, descending
    top_where: np.ndarray        # (C, k, 5) int64
    histogram: np.ndarray        # (C, bins) int64
    sample_priority: np.ndarray  # (C, s) uint64, ascending (the sample is the s smallest)
    sample_values: np.ndarray    # (C, s) float32, each sampled image's strongest value
    sample_where: np.ndarray     # (C, s, 5) int64
    class_ids: np.ndarray        # (L,) int64, ascending
    class_counts: np.ndarray     # (L,) int64 images per class
    class_sums: np.ndarray       # (L, C) int64, sums of spatial means in 1/FIXED_POINT
    vector_priority: np.ndarray  # (v,) uint64, ascending
    vectors: np.ndarray          # (v, C) float32
    vector_where: np.ndarray     # (v, 5) int64

    @classmethod
    def empty(cls, layer: str, channels: int, *, k: int = 16, sample: int = 64, vectors: int = 4096) -> "UnitStats":
        """No images yet: `k` top examples, a `sample` of images and of `vectors` per layer."""
        c, bins = channels, len(HISTOGRAM_EDGES) - 1
        return cls(
            layer=layer, k=k, images=0,
            top_values=np.full((c, k), -np.inf, np.float32), top_where=np.full((c, k, WHERE), -1, np.int64),
            histogram=np.zeros((c, bins), np.int64),
            sample_priority=np.full((c, sample), np.iinfo(np.uint64).max, np.uint64),
            sample_values=np.full((c, sample), -np.inf, np.float32), sample_where=np.full((c, sample, WHERE), -1, np.int64),
            class_ids=np.zeros(0, np.int64), class_counts=np.zeros(0, np.int64), class_sums=np.zeros((0, c), np.int64),
            vector_priority=np.full(vectors, np.iinfo(np.uint64).max, np.uint64),
            vectors=np.zeros((vectors, c), np.float32), vector_where=np.full((vectors, WHERE), -1, np.int64),
        )

    @property
    def channels(self) -> int:
        return self.top_values.shape[0]

    # --- adding ---------------------------------------------------------------------------------

    def add(self, image: int, activation, label: int | None = None) -> None:
        """Add image number `image` (>= 0) by its activation (C, H, W) at this layer, with its
        class `label` when it has one."""
        self.add_many([image], [activation], [label])

    def add_many(self, images: list[int], activations: list, labels: list[int | None]) -> None:
        """Add several images at once (their activations may differ in H and W): the same
        result as adding them one by one, in less time."""
        if images:
            merged = merge(self, _of_images(self, images, activations, labels))
            for f in fields(self):
                setattr(self, f.name, getattr(merged, f.name))

    def merged(self, other: "UnitStats") -> "UnitStats":
        """The statistics of this one's images and `other`'s together (see `merge`)."""
        return merge(self, other)

    # --- reading --------------------------------------------------------------------------------

    def _channel(self, channel: int) -> None:
        if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)) or not 0 <= channel < self.channels:
            raise ChannelOutOfRange(f"channel {channel!r} is out of range for layer '{self.layer}', which has "
                                    f"{self.channels} channels", f"use 0 to {self.channels - 1}")

    def top(self, channel: int) -> list[tuple[float, tuple[int, ...]]]:
        """Channel's top examples: [(value, (image, y, x, rows, cols))], strongest first."""
        self._channel(channel)
        return [(float(v), tuple(int(i) for i in w))
                for v, w in zip(self.top_values[channel], self.top_where[channel]) if w[0] >= 0]

    def quantile_examples(self, channel: int, quantiles=(0.5, 0.9, 0.99)) -> list[tuple[float, float, tuple[int, ...]]]:
        """For each quantile q, the sampled image whose strongest value is at q among the
        sampled images: [(q, value, where)]. Typical images (q = 0.5) show what the channel
        does most of the time, not at its extreme."""
        self._channel(channel)
        keep = self.sample_where[channel, :, 0] >= 0
        values, where = self.sample_values[channel][keep], self.sample_where[channel][keep]
        if not len(values):
            return []
        order = np.lexsort((where[:, 0], values))                          # by value, then image
        return [(q, float(values[order[i]]), tuple(int(x) for x in where[order[i]]))
                for q in quantiles for i in [int(round(q * (len(order) - 1)))]]

    def class_means(self) -> dict[int, np.ndarray]:
        """{class: (C,) mean over its images of each channel's spatial mean activation}."""
        return {int(c): (s / FIXED_POINT / n).astype(np.float32)
                for c, n, s in zip(self.class_ids, self.class_counts, self.class_sums)}

    def sampled_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """The sampled activation vectors (n, C) and where each was taken (n, 5)."""
        keep = self.vector_where[:, 0] >= 0
        return self.vectors[keep], self.vector_where[keep]

    # --- bytes ----------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """A self-describing byte string (a JSON header line, then the raw arrays, deflated):
        the same statistics give the same bytes."""
        arrays = {f.name: getattr(self, f.name) for f in fields(self) if isinstance(getattr(self, f.name), np.ndarray)}
        filled = int((self.vector_where[:, 0] >= 0).sum())        # the sample's empty slots are not stored
        for name in ("vector_priority", "vectors", "vector_where"):
            arrays[name] = arrays[name][:filled]
        arrays["vectors"] = arrays["vectors"].astype(np.float16)      # they hold half-precision values
        header = {"layer": self.layer, "k": self.k, "images": self.images, "vector_slots": len(self.vector_priority),
                  "arrays": {n: [str(a.dtype), list(a.shape)] for n, a in arrays.items()}}
        body = io.BytesIO()
        for name in sorted(arrays):
            body.write(np.ascontiguousarray(arrays[name]).tobytes())
        return json.dumps(header, sort_keys=True).encode() + b"\n" + zlib.compress(body.getvalue(), 6)

    @classmethod
    def from_bytes(cls, data: bytes) -> "UnitStats":
        head, _, packed = data.partition(b"\n")
        header = json.loads(head)
        body = zlib.decompress(packed)
        values, at = {}, 0
        for name in sorted(header["arrays"]):
            dtype, shape = header["arrays"][name]
            size = int(np.prod(shape)) * np.dtype(dtype).itemsize
            values[name] = np.frombuffer(body[at:at + size], dtype=dtype).reshape(shape).copy()
            at += size
        values["vectors"] = values["vectors"].astype(np.float32)
        slots, filled = header["vector_slots"], len(values["vector_priority"])
        empty = UnitStats.empty("", values["vectors"].shape[1], vectors=slots - filled)
        for name in ("vector_priority", "vectors", "vector_where"):
            values[name] = np.concatenate([values[name], getattr(empty, name)])
        return cls(layer=header["layer"], k=header["k"], images=header["images"], **values)


def _of_images(base: UnitStats, images: list[int], activations: list, labels: list[int | None]) -> UnitStats:
    """The statistics of `images` alone, keeping all of them (k, sample and vectors = their
    count): `merge(base, ...)` then keeps base's sizes."""
    n, c, bins = len(images), base.channels, base.histogram.shape[1]
    value, where = np.zeros((c, n), np.float32), np.zeros((c, n, WHERE), np.int64)
    histogram = np.zeros((c, bins), np.int64)
    sums, ids = [], []
    vectors, vector_where, vector_priority = [], [], []
    for i, (image, activation, label) in enumerate(zip(images, activations, labels)):
        act = (activation.detach().float().cpu().numpy() if hasattr(activation, "detach")   # a tensor
               else np.asarray(activation, np.float32))
        if act.ndim != 3 or act.shape[0] != c:
            raise ChannelOutOfRange(f"layer '{base.layer}' has {c} channels: expected an activation (C, H, W) "
                                    f"with C = {c}, got shape {tuple(act.shape)}",
                                    "add the activations of the layer these statistics are of")
        _, h, w = act.shape
        flat = act.reshape(c, h * w)                                        # (C, HW)
        best = flat.argmax(axis=1)                                          # (C,) first maximum
        value[:, i] = flat[np.arange(c), best]
        where[:, i] = np.stack([np.full(c, image), best // w, best % w, np.full(c, h), np.full(c, w)], 1)
        cells = np.clip(np.searchsorted(HISTOGRAM_EDGES, flat, side="right") - 1, 0, bins - 1)
        histogram += np.bincount((cells + np.arange(c)[:, None] * bins).ravel(), minlength=c * bins).reshape(c, bins)
        if label is not None:
            ids.append(int(label))
            sums.append(np.round(flat.mean(1, dtype=np.float64) * FIXED_POINT).astype(np.int64))
        key = np.uint64(int(image) << 20)
        my, mx = (1 if h > 2 else 0), (1 if w > 2 else 0)                   # away from the edges
        ys, xs = np.meshgrid(np.arange(my, h - my), np.arange(mx, w - mx), indexing="ij")
        inner = (ys * w + xs).ravel().astype(np.uint64)                     # interior positions
        picked = inner[np.argsort(_mix(key + np.uint64(1 << 19) + inner), kind="stable")[:POSITIONS]]
        for position in picked.tolist():
            y, x = divmod(position, w)
            vectors.append(act[:, y, x].astype(np.float16).astype(np.float32))
            vector_where.append((image, y, x, h, w))
        vector_priority.append(_mix(key + np.uint64(1 << 18) + picked))
    keys = np.array([int(i) << 20 for i in images], np.uint64)              # (n,)
    class_ids = np.array(sorted(set(ids)), np.int64)
    class_counts = np.array([ids.count(int(i)) for i in class_ids], np.int64)
    class_sums = np.zeros((len(class_ids), c), np.int64)
    for label, row in zip(ids, sums):
        class_sums[np.searchsorted(class_ids, label)] += row
    return UnitStats(
        layer=base.layer, k=n, images=n, top_values=value, top_where=where, histogram=histogram,
        sample_priority=_mix(keys[None, :] + np.arange(c, dtype=np.uint64)[:, None]),
        sample_values=value.copy(), sample_where=where.copy(),
        class_ids=class_ids, class_counts=class_counts, class_sums=class_sums,
        vector_priority=np.concatenate(vector_priority) if vector_priority else np.zeros(0, np.uint64),
        vectors=np.asarray(vectors, np.float32).reshape(-1, c),
        vector_where=np.asarray(vector_where, np.int64).reshape(-1, WHERE),
    )


def merge(a: UnitStats, b: UnitStats) -> UnitStats:
    """The statistics of the images of `a` and of `b` together (the images must differ), kept
    at `a`'s sizes (k, sample, vectors). Exact and order-free: for statistics of the same
    sizes, merge(a, b) and merge(b, a) give the same bytes."""
    if (a.layer, a.channels) != (b.layer, b.channels):
        raise ValueError(f"cannot merge statistics of '{a.layer}' ({a.channels} channels) "
                         f"with '{b.layer}' ({b.channels} channels)")
    top_values, top_where = _best(np.concatenate([a.top_values, b.top_values], 1),
                                  np.concatenate([a.top_where, b.top_where], 1), a.k)
    s = a.sample_priority.shape[1]
    priority = np.concatenate([a.sample_priority, b.sample_priority], 1)
    values = np.concatenate([a.sample_values, b.sample_values], 1)
    where = np.concatenate([a.sample_where, b.sample_where], 1)
    order = np.argsort(priority, axis=1, kind="stable")[:, :s]
    ids = np.union1d(a.class_ids, b.class_ids).astype(np.int64)
    counts, sums = np.zeros(len(ids), np.int64), np.zeros((len(ids), a.channels), np.int64)
    for part in (a, b):
        at = np.searchsorted(ids, part.class_ids)
        counts[at] += part.class_counts
        sums[at] += part.class_sums
    vp = np.concatenate([a.vector_priority, b.vector_priority])
    keep = np.argsort(vp, kind="stable")[:len(a.vector_priority)]
    return UnitStats(
        layer=a.layer, k=a.k, images=a.images + b.images,
        top_values=top_values, top_where=top_where,
        histogram=a.histogram + b.histogram,
        sample_priority=np.take_along_axis(priority, order, 1),
        sample_values=np.take_along_axis(values, order, 1),
        sample_where=np.take_along_axis(where, order[..., None], 1),
        class_ids=ids, class_counts=counts, class_sums=sums,
        vector_priority=vp[keep], vectors=np.concatenate([a.vectors, b.vectors])[keep],
        vector_where=np.concatenate([a.vector_where, b.vector_where])[keep],
    )


def _best(values: np.ndarray, where: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the k largest values, ties to the smaller image number; padding last."""
    image = np.where(where[..., 0] < 0, np.iinfo(np.int64).max, where[..., 0])
    order = np.lexsort((image, -values.astype(np.float64)), axis=-1)[:, :k]   # value desc, image asc
    return np.take_along_axis(values, order, 1), np.take_along_axis(where, order[..., None], 1)
