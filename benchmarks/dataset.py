"""The dataset pass: images per second and peak memory, on local workers and on a local Dask
cluster, side by side, for all channels of three layers of EfficientNet-Lite0.

    python -m benchmarks dataset          # 512 images
    python -m benchmarks dataset --full   # 2,048 images

Two sets of the same photos: the example photos as their packages ship them (when
`python -m generator datasets fetch` has fetched them, else the photos the installed Python
packages ship), many of them wallpapers of 2,000 to 6,000 pixels whose decoding costs as much
as the model; and the same photos at 224 px on their shorter side (JPEG, quality 95), the
size the model sees and the usual size of a prepared dataset. Either way they are cycled to
the benchmark's count (a throughput measurement: the content does not matter, the sizes do),
and each photo is seen whole at 224 px on its shorter side. Each run starts from an empty
cache and fresh workers (their start is counted). The pass's chunks run as jobs, two worker
processes with one thread each, as a build with `--jobs 2` runs them; the Dask run uses a
`LocalCluster` of two single-threaded worker processes.
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["blocks.6", "blocks.10", "blocks.14"]


def _shipped() -> tuple[list[Path], str]:
    from generator.interpret.samples import SAMPLES, sample_path

    folder = ROOT / "data" / "example-photos"
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp")) \
        if folder.is_dir() else []
    if files:
        return files, "the example photos"
    return [sample_path(name) for name in sorted(SAMPLES)], "the packages' sample photos"


def _at_224(files: list[Path], folder: Path) -> list[Path]:
    """`files` resized to 224 px on their shorter side, as JPEGs in `folder`."""
    from PIL import Image

    out = []
    for i, path in enumerate(files):
        with Image.open(path) as picture:
            picture = picture.convert("RGB")
            scale = 224 / min(picture.size)
            picture = picture.resize((max(224, round(picture.size[0] * scale)), max(224, round(picture.size[1] * scale))),
                                     Image.LANCZOS)
        out.append(folder / f"{i:04d}.jpg")
        picture.save(out[-1], quality=95)
    return out


def _dataset(files: list[Path], count: int):
    from generator.datasets import Dataset, DatasetImage
    from generator.interpret.digest import sha256_file

    hashes = {path: sha256_file(path) for path in files}
    images = tuple(DatasetImage(str(files[i % len(files)]), hashes[files[i % len(files)]], None) for i in range(count))
    return Dataset("bench", Path("/"), images)


def _run(jobs, executor) -> float:
    from generator.pipeline.cache import Cache
    from generator.pipeline.executors import run_jobs

    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        run_jobs(jobs, Cache(Path(cache)), executor=executor)
        return time.perf_counter() - start


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _sizes(files: list[Path]) -> str:
    from PIL import Image

    sides = []
    for path in files:
        with Image.open(path) as picture:
            sides.append(max(picture.size))
    return f"longer side {min(sides)}-{max(sides)} px, median {sorted(sides)[len(sides) // 2]}"


def run(full: bool = False) -> dict:
    from dask.distributed import Client, LocalCluster

    from generator.figures import dataset_pass
    from generator.figures.model_cards import ModelCards
    from generator.pipeline.executors import DaskExecutor, LocalPoolExecutor

    count = 2048 if full else 512
    card = ModelCards(ROOT / ".cache" / "models").get("efficientnet_lite0")
    shipped, source = _shipped()
    out = {"images": count, "photos": f"{len(shipped)} of {source}, cycled", "layers": ", ".join(LAYERS),
           "chunk (images per job)": dataset_pass.CHUNK, "as shipped": _sizes(shipped)}
    with tempfile.TemporaryDirectory() as small:
        sets = {"as shipped": shipped, "at 224 px": _at_224(shipped, Path(small))}
        rates = {}
        for name, files in sets.items():
            jobs = dataset_pass.pass_jobs(card, _dataset(files, count), LAYERS, "bench")
            seconds = _run(jobs, LocalPoolExecutor(workers=2))
            rates[name] = count / seconds
            out[f"{name}, local --jobs 2: images/s"] = rates[name]
        out["local --jobs 2: peak worker memory (MB)"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        jobs = dataset_pass.pass_jobs(card, _dataset(sets["at 224 px"], count), LAYERS, "bench")
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            client.run(lambda: None)
            dask = count / _run(jobs, DaskExecutor(client=client))
            peaks = client.run(_rss_mb)
    out["at 224 px, Dask, 2 workers: images/s"] = dask
    out["Dask, 2 workers: peak worker memory (MB)"] = max(peaks.values())
    out["Dask / local speed (at 224 px)"] = dask / rates["at 224 px"]
    out["50,000 images at 224 px, local (min)"] = 50_000 / rates["at 224 px"] / 60
    out["50,000 images as shipped, local (min)"] = 50_000 / rates["as shipped"] / 60
    return out
