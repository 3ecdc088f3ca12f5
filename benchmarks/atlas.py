"""The activation atlas: what a 20x20 and a 40x40 atlas of `blocks.10` cost on this machine.

    python -m benchmarks atlas          # layout measured, icons: one job measured, the rest counted
    python -m benchmarks atlas --full   # every icon of both levels rendered, on two workers

The activation vectors come from the dataset pass over the example photos when `python -m
generator datasets fetch` has fetched them (180 photos, 16 positions each: 2,880 vectors),
else over the photos the installed Python packages ship. The layout job (UMAP, the cells of
both levels, their classes) runs once, in this process, after a warm-up layout (numba
compiles UMAP on first use, about 20 s, once per process). Icons are draft quality (56 px,
128 steps), `CELLS` to a job, two single-threaded workers, as `make build` renders them; the
default run renders one job and scales by the number of jobs.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
LAYER = "blocks.10"


def run(full: bool = False) -> dict:
    from benchmarks.dataset import _dataset, _shipped
    from generator.figures import activation_atlas as atlas
    from generator.figures import dataset_pass
    from generator.figures.icons import ICON_SEED
    from generator.figures.model_cards import ModelCards
    from generator.pipeline.blobs import stored
    from generator.pipeline.cache import Cache
    from generator.pipeline.executors import LocalPoolExecutor, execute, run_jobs
    from generator.quality import PROFILES
    from generator import interpret as vi

    files, source = _shipped()
    card = ModelCards(ROOT / ".cache" / "models").get("efficientnet_lite0")
    out = {"photos": f"{len(files)} of {source}", "layer": LAYER}
    with tempfile.TemporaryDirectory() as folder:
        cache = Cache(Path(folder))

        def blob(data: bytes):
            return stored(Path(folder) / "blobs", data)

        passes = dataset_pass.pass_jobs(card, _dataset(files, len(files)), [LAYER], "bench")
        start = time.perf_counter()
        results = run_jobs(passes, cache, executor=LocalPoolExecutor(workers=2))
        out["dataset pass, --jobs 2 (s)"] = time.perf_counter() - start
        vectors, where = dataset_pass.reduce_pass([results[j.key] for j in passes], LAYER).sampled_vectors()
        out["activation vectors"] = len(vectors)
        vi.atlas_layout(vectors[:200], seed=1)                        # numba compiles UMAP here
        spec = {"grid": [20, 40], "min_count": atlas.MIN_COUNT, "seed": 0, "samples": None}
        job = atlas.layout_job(card, LAYER, vectors, where, spec, None, "bench", blob)
        start = time.perf_counter()
        layout_result = execute(job)
        out["layout: UMAP, cells, classes (s)"] = time.perf_counter() - start
        layout = json.loads(layout_result["layout.json"])
        directions = np.frombuffer(layout_result["directions"], np.float32).reshape(-1, layout["channels"])
        profile = PROFILES["draft"]
        settings = {"quality": "draft", "size": profile.cell_size, "steps": profile.cell_steps,
                    "profile": repr(profile.render), "seed": ICON_SEED}
        first = 0
        for level in layout["levels"]:
            count = len(level["cells"])
            jobs = atlas.icon_jobs(card, LAYER, directions[first:first + count], settings, "bench icons", blob)
            first += count
            name = f"{level['grid']}x{level['grid']}"
            out[f"{name}: cells drawn (of {level['grid'] ** 2})"] = count
            if full:
                start = time.perf_counter()
                run_jobs(jobs, cache, executor=LocalPoolExecutor(workers=2))
                seconds = time.perf_counter() - start
                out[f"{name}: icons, --jobs 2 (s)"] = seconds
            else:
                start = time.perf_counter()
                execute(jobs[0])
                per_icon = (time.perf_counter() - start) / (jobs[0].params["rows"][1] - jobs[0].params["rows"][0])
                seconds = per_icon * count / 2
                out[f"{name}: s per icon, one thread"] = per_icon
                out[f"{name}: icons on 2 workers, from that (s)"] = seconds
            out[f"{name}: whole atlas from the pass (s)"] = out["layout: UMAP, cells, classes (s)"] + seconds
    return out
