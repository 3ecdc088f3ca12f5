"""The dataset pass: images per second and peak memory, on local workers and on a local Dask
cluster, side by side, for all channels of three layers of EfficientNet-Lite0.

    python -m benchmarks dataset          # 256 images
    python -m benchmarks dataset --full   # 1,024 images

The images are the example photos when `python -m generator datasets fetch` has fetched
them, else the photos the installed Python packages ship; either way they are cycled to the
benchmark's count (a throughput measurement: the content does not matter, the sizes do, and
each photo is seen whole at 224 px on its shorter side). Each run starts from an empty cache.
The pass's chunks run as jobs, two worker processes with one thread each, as a build with
`--jobs 2` runs them; the Dask run uses a `LocalCluster` of two single-threaded worker
processes.
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["blocks.6", "blocks.10", "blocks.14"]


def _photos(count: int):
    from generator.datasets import Dataset, DatasetImage
    from generator.interpret.digest import sha256_file
    from generator.interpret.samples import SAMPLES, sample_path

    folder = ROOT / "data" / "example-photos"
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp")) \
        if folder.is_dir() else []
    source = "the example photos" if files else "the packages' sample photos"
    files = files or [sample_path(name) for name in sorted(SAMPLES)]
    hashes = {path: sha256_file(path) for path in files}
    images = tuple(DatasetImage(str(files[i % len(files)]), hashes[files[i % len(files)]], None) for i in range(count))
    return Dataset("bench", Path("/"), images), f"{len(files)} of {source}, cycled"


def _run(jobs, executor) -> float:
    from generator.pipeline.cache import Cache
    from generator.pipeline.executors import run_jobs

    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        run_jobs(jobs, Cache(Path(cache)), executor=executor)
        return time.perf_counter() - start


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(full: bool = False) -> dict:
    from generator.figures import dataset_pass
    from generator.figures.model_cards import ModelCards
    from generator.pipeline.executors import DaskExecutor, LocalPoolExecutor

    count = 1024 if full else 256
    dataset, source = _photos(count)
    card = ModelCards(ROOT / ".cache" / "models").get("efficientnet_lite0")
    jobs = dataset_pass.pass_jobs(card, dataset, LAYERS, "bench")
    out = {"images": count, "photos": source, "layers": ", ".join(LAYERS),
           "chunk (images per job)": dataset_pass.CHUNK}

    local = _run(jobs, LocalPoolExecutor(workers=2))
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out["local --jobs 2: images/s"] = count / local
    out["local --jobs 2: peak worker memory (MB)"] = children

    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.run(lambda: None)
        dask = _run(jobs, DaskExecutor(client=client))
        peaks = client.run(_rss_mb)
    out["Dask, 2 workers: images/s"] = count / dask
    out["Dask, 2 workers: peak worker memory (MB)"] = max(peaks.values())
    out["50,000 images, local (min)"] = 50_000 / (count / local) / 60
    out["Dask / local speed"] = local / dask
    return out
