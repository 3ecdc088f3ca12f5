"""The dataset pass: what every channel of some layers does over a dataset, as jobs that every
figure and unit page of those layers shares.

One job per chunk of `CHUNK` images (so a pass caches, freezes, resumes after a kill and
spreads over the local workers or a Dask cluster like any other job) runs the model on each
image, whole and at its input size, one image at a time (so an image's activations never
depend on which others share its chunk) with the runtime's threads (one: the same numbers on
every worker), its batch norms folded into the convolutions before them (`interpret.fold`; values
agree with `vi.activations` to about 1e-5 of their range), and keeps `vi.UnitStats` for each layer: top
examples, a histogram, a sample for quantile examples, class means and a sample of
activation vectors. `reduce_pass` merges the chunks in manifest order; the merge is exact, so
any chunking gives the same bytes. Images are numbered by their index in the manifest.

`example_job` then cuts the dataset examples of chosen channels out of their photos: a
square around the strongest position, as wide as the layer's receptive field (at most the
photo's shorter side), the activation a light veil over it (faint where the channel is
quiet), every crop `EXAMPLE_SIDE` pixels, packed in one sprite.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import SpecError
from ..pipeline.jobs import Job
from ..pipeline.runtime import Runtime
from ..pipeline.sprites import pack_sprite
from .model_cards import job_model

VERSION = 6
CHUNK = 64            # images per job
TOP = 16              # top examples kept per channel
SAMPLE = 64           # images sampled per channel (quantile examples)
VECTORS = 4096        # activation vectors sampled per layer (the atlas's input)
EXAMPLE_SIDE = 96     # pixels of a dataset example's crop
EXAMPLE_VERSION = 1


def class_ids(card, dataset, field: str = "dataset") -> list[int | None]:
    """Each image's class as the model numbers it (None without a label). The labels name
    one model's classes: for a model that knows none of them (an author's own model beside the
    ImageNet model the labels were written for) they are left out; a label the model does not
    know among labels it does is a mistake, a SpecError at its line of the labels file."""
    ids, unknown = [], []
    for image in dataset.images:
        try:
            ids.append(None if image.label is None else card.check_class(image.label, field))
        except SpecError as err:
            ids.append(None)
            unknown.append((image, err))
    if unknown and len(unknown) < sum(image.label is not None for image in dataset.images):
        image, err = unknown[0]
        raise SpecError(f"dataset '{dataset.name}': '{image.path}' is labelled '{image.label}', but {err.message}",
                        err.fix, field=field, line=image.line if dataset.labels_file else dataset.line,
                        path=dataset.labels_file or "site.yml")
    return ids


def pass_jobs(card, dataset, layers: list[str], label: str) -> list[Job]:
    """The chunk jobs of a pass of `card`'s model over `dataset` for `layers`."""
    labels = class_ids(card, dataset)
    io = card.job_io()
    jobs = []
    for start in range(0, len(dataset.images), CHUNK):
        chunk = dataset.images[start:start + CHUNK]
        names = [f"image{start + i}" for i in range(len(chunk))]
        jobs.append(Job(
            "generator.figures.dataset_pass:run_chunk", VERSION,
            params={"model": card.job_model, "layers": list(layers), "size": card.input_size, "crop": "none",
                    "start": start, "labels": labels[start:start + len(chunk)],
                    "top": TOP, "sample": SAMPLE, "vectors": VECTORS},
            inputs={**io["inputs"], **{n: image.sha256 for n, image in zip(names, chunk)}},
            files={**io["files"], **{n: str(dataset.file(image)) for n, image in zip(names, chunk)}},
            label=f"{label}: {dataset.name} images {start}-{start + len(chunk) - 1} through {', '.join(layers)}",
        ))
    return jobs


def run_chunk(params: dict, runtime: Runtime) -> dict[str, bytes]:
    """Job: `vi.UnitStats` of each layer over the chunk's images, one artifact per layer."""
    from .. import interpret as vi
    from ..interpret.render import torch_threads
    import torch

    from ..interpret.fold import folded

    model = job_model(params, runtime.device)
    layers, start = params["layers"], params["start"]
    channels = {info.name: info.channels for info in vi.layers(model)}
    model = folded(model, keep=layers)   # batch norms folded, channels-last: 1.6x faster
    stats = {layer: vi.UnitStats.empty(layer, channels[layer], k=params["top"], sample=params["sample"],
                                       vectors=params["vectors"]) for layer in layers}
    acts: dict[str, list] = {layer: [] for layer in layers}
    numbers = []
    with torch.no_grad(), torch_threads(runtime.threads):   # the same numbers on every worker
        for i, label in enumerate(params["labels"]):
            path = params["files"][f"image{start + i}"]
            if not Path(path).is_file():
                raise FileNotFoundError(f"photo '{path}' of the dataset is not on disk: put the dataset's "
                                        "photos back (`python -m generator datasets fetch` gets the example photos)")
            image = _photo(vi, path, params["size"], params["crop"])
            out = vi.run_to_layers(model, image[None].to(runtime.device), layers)
            for layer in layers:
                acts[layer].append(out[layer][0].float().cpu())
            numbers.append(start + i)
    for layer in layers:
        stats[layer].add_many(numbers, acts[layer], params["labels"])
    return {f"stats-{layer}": stats[layer].to_bytes() for layer in layers}


def _photo(vi, path: str, size: int, crop: str):
    """A dataset photo as the model sees it. A large photo is first decoded small (a JPEG at a
    fraction of its size, then any photo halved by whole factors while it stays over twice
    the input size): a 2560x1600 wallpaper is decoded in a tenth of the time, and the
    antialiased resize to `size` sees the same detail."""
    from PIL import Image

    with Image.open(path) as picture:
        scale = size / min(picture.size)
        picture.draft("RGB", (round(picture.size[0] * scale * 2), round(picture.size[1] * scale * 2)))
        factor = min(picture.size) // (2 * size)
        picture = picture.reduce(factor) if factor >= 2 else picture.copy()
    return vi.load_image(picture, size, crop)


def reduce_pass(results: list[dict[str, bytes]], layer: str):
    """The `vi.UnitStats` of `layer` over the whole dataset, from its chunk jobs' results (in
    manifest order)."""
    from ..interpret.unit_stats import UnitStats

    total = None
    for result in results:
        part = UnitStats.from_bytes(result[f"stats-{layer}"])
        total = part if total is None else total.merged(part)
    return total


def example_job(card, dataset, layer: str, examples: dict[int, list[tuple]], label: str,
                side: int = EXAMPLE_SIDE, webp_quality: int | None = None, veil: bool = True) -> Job:
    """The job that crops `examples` ({channel: [(image, y, x, rows, cols), ...]}) from their
    photos; read its sprite with the index it returns (tile i: the i-th example, channels
    in ascending order, each channel's examples in the given order). Without `veil` the
    crops are the plain photo (the channel then only orders them)."""
    used = sorted({where[0] for wheres in examples.values() for where in wheres})
    io = card.job_io()
    return Job(
        "generator.figures.dataset_pass:run_examples", EXAMPLE_VERSION,
        params={"model": card.job_model, "layer": layer, "size": card.input_size, "crop": "none",
                "side": side, **({"webp": webp_quality} if webp_quality else {}), **({} if veil else {"veil": False}),
                "examples": [[c, [list(w) for w in examples[c]]] for c in sorted(examples)]},
        inputs={**io["inputs"], **{f"image{n}": dataset.images[n].sha256 for n in used}},
        files={**io["files"], **{f"image{n}": str(dataset.file(dataset.images[n])) for n in used}},
        label=f"{label}: {dataset.name} examples of {layer}",
    )


def run_examples(params: dict, runtime: Runtime) -> dict[str, bytes]:
    """Job: the crops, a sprite (`examples`) and its index (`index.json`)."""
    from .. import interpret as vi
    from ..interpret.render import torch_threads
    import torch
    import torch.nn.functional as F

    with torch_threads(runtime.threads):
        return _examples(params, runtime, vi, torch, F)


def _examples(params: dict, runtime: Runtime, vi, torch, F) -> dict[str, bytes]:
    model = job_model(params, runtime.device)
    layer, side = params["layer"], params["side"]
    field = vi.receptive_field(model, layer)
    photos: dict[int, tuple] = {}
    tiles = []
    for channel, wheres in params["examples"]:
        for image_number, y, x, rows, cols in wheres:
            if image_number not in photos:
                image = vi.load_image(params["files"][f"image{image_number}"], params["size"], params["crop"])
                with torch.no_grad():
                    act = vi.run_to_layers(model, image[None].to(runtime.device), [layer])[layer][0].float().cpu()
                photos[image_number] = (image, act)
            image, act = photos[image_number]
            veiled = params.get("veil", True)
            tiles.append(_crop(image, act[channel] if veiled else None, y, x, field, side, F, grid=(rows, cols)))
    data, index = pack_sprite(np.stack(tiles) if tiles else np.zeros((0, side, side, 3), np.uint8),
                              webp_quality=params.get("webp", 90))
    return {"examples": data, "index.json": json.dumps(index, sort_keys=True).encode()}


def _crop(image, channel_map, y: int, x: int, field: int, side: int, F, grid=None) -> np.ndarray:
    """The square of `image` (3, H, W) centred on cell (x, y) of the layer's grid (rows, cols:
    `channel_map`'s shape, or `grid` without one), `field` pixels wide (clipped to the
    photo), veiled where `channel_map` is quiet (not at all when it is None); uint8 (side,
    side, 3)."""
    grid = channel_map.shape if channel_map is not None else grid
    import torch

    _, h, w = image.shape
    rows, cols = grid
    extent = min(field, h, w)
    cy, cx = (y + 0.5) * h / rows, (x + 0.5) * w / cols
    top = int(round(min(max(cy - extent / 2, 0), h - extent)))
    left = int(round(min(max(cx - extent / 2, 0), w - extent)))
    shown = image
    if channel_map is not None:
        peak = float(channel_map.max())
        strength = (channel_map.clamp(min=0) / peak) if peak > 0 else torch.zeros_like(channel_map)
        veil = F.interpolate(strength[None, None], size=(h, w), mode="bilinear", align_corners=False)[0]   # (1, H, W)
        shown = image * (0.45 + 0.55 * veil) + (1 - (0.45 + 0.55 * veil)) * 1.0   # quiet parts fade to white
    crop = shown[:, top:top + extent, left:left + extent][None]
    crop = F.interpolate(crop, size=(side, side), mode="bicubic", antialias=True, align_corners=False)[0]
    return (crop.clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
