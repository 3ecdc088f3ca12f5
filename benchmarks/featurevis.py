"""Feature visualization speed and legibility: all channels of one mid-level layer of
EfficientNet-Lite0 (blocks.10, 112 channels) at 128 px, 256 steps, standard transforms.

    python -m benchmarks.featurevis            # measured on 16 channels, extrapolated to 112
    python -m benchmarks.featurevis --full     # renders all 112 channels for real (twice)
    python -m benchmarks.featurevis --save /tmp/fv   # also writes PNG grids of the renders
    python -m benchmarks.featurevis --device cuda    # the same on a GPU, plus the final profile

It reports image-steps per second at batch 16 (one process), the time for all channels in one
process and in one single-threaded process per core, this machine's matmul GFLOP/s and the model's
FLOPs per image-step (forward + backward to the layer, counted by FlopCounterMode), their
ratio, the time for all 112 channels, the median ratio of each sampled channel's objective to
that of a 512-step render of the channel alone (both evaluated on the final image without
transforms), and legibility: total variation per pixel and the fraction of saturated channel
values (<= 1/255 or >= 254/255), for our renders and for two Lucent-style renders of four of
the channels, both with the 128 px image upsampled to 224 px before the model as Lucent does:
one with our settings, one with Lucent's defaults (no total-variation penalty, no average).

On a GPU (`--device cuda`, and after the CPU numbers whenever torch sees one) it measures, in
about two minutes on an H100, the draft profile's image-steps/s as the build batches jobs
there (seven jobs of 16 channels, repeated with other seeds, from 16 to 1,792 images an
optimization step; target: 20,000 image-steps/s on an H100) against float32 matmul FLOP/s;
the fastest of those with channels-last memory, with a bfloat16 forward pass and with TF32
convolutions switched (`generator.interpret.render.Speed`); the yardstick of a whole draft
render of the 112 channels with each; and the final profile's rate. Process-level
parallelism and thread counts do not apply there.

The machine may be shared: the load average before and after is reported with the numbers,
and the speed is measured with one torch thread and with torch's default; the faster is used
(on a busy machine two threads that wait on each other can be several times slower).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from generator import interpret as vi
from generator.interpret.fold import folded
from generator.interpret.render import torch_threads

MODEL = "efficientnet_lite0"
LAYER = "blocks.10"
CHANNELS = 112
BATCH = 16
SAMPLE = tuple(range(BATCH))  # the first batch's channels, compared with 512-step solo renders
LUCENT_SAMPLE = (0, 5, 10, 15)  # rendered Lucent-style too (at 224 px: slower)


def matmul_gflops(n: int = 1024, repeats: int = 8, device: str = "cpu") -> float:
    """Best-of float32 matrix multiply throughput, GFLOP/s (on a GPU: 8192-square, TF32 off)."""
    if device != "cpu":
        n = 8192
    a, b = torch.rand(n, n, device=device), torch.rand(n, n, device=device)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        a @ b
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def _sync(device: str) -> None:
    if device != "cpu":
        torch.cuda.synchronize()


def flops_per_image_step(model, quality: vi.Quality) -> float:
    """FLOPs of one image's forward and backward pass to LAYER, at the transformed size."""
    side = quality.transforms.out_size((quality.size, quality.size))[0]
    model = folded(model, [LAYER])
    x = torch.rand(2, 3, side, side, device=next(model.parameters()).device, requires_grad=True)
    with FlopCounterMode(display=False) as counter:
        vi.run_to_layers(model, x, [LAYER])[LAYER].sum().backward()
    return counter.get_total_flops() / 2


def _render_batches(job: tuple[list[int], int]) -> np.ndarray:
    """In a worker process: render channels batch by batch, one thread, as feature_vis would
    (batch b of a serial call uses seed b, so the images are the same)."""
    channels, seed = job
    torch.set_num_threads(1)
    model = vi.load_model(MODEL)
    return vi.feature_vis(model, [vi.channel(LAYER, c) for c in channels], seed=seed, threads=1)


def render_parallel(channels: list[int], workers: int) -> tuple[np.ndarray, float]:
    """Render `channels` in batches of 16 spread over `workers` single-threaded processes;
    returns the images and the wall time, process start-up and model loading included."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    batches = [channels[i : i + BATCH] for i in range(0, len(channels), BATCH)]
    start = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        images = list(pool.map(_render_batches, [(b, i) for i, b in enumerate(batches)]))
    return np.concatenate(images), time.perf_counter() - start


def step_rate(model, quality: vi.Quality, threads: int, steps: int = 8) -> float:
    """Image-steps per second of a short batch-16 render with `threads` torch threads."""
    objectives = [vi.channel(LAYER, c) for c in range(BATCH)]
    vi.feature_vis(model, objectives[:2], quality=quality, steps=1, threads=threads)  # warm-up
    start = time.perf_counter()
    vi.feature_vis(model, objectives, quality=quality, steps=steps, threads=threads)
    return BATCH * steps / (time.perf_counter() - start)


def legibility(images: np.ndarray) -> tuple[float, float]:
    """(total variation per pixel, fraction of saturated values) of uint8 (N, H, W, 3)."""
    x = images.astype(np.float32) / 255
    tv = np.abs(np.diff(x, axis=1)).sum() + np.abs(np.diff(x, axis=2)).sum()
    per_pixel = tv / (x.shape[0] * x.shape[1] * x.shape[2] * x.shape[3])
    saturated = np.mean((images <= 1) | (images >= 254))
    return float(per_pixel), float(saturated)


def colourfulness(images: np.ndarray) -> float:
    """Hasler and Suesstrunk's colourfulness of uint8 (N, H, W, 3), the median over images:
    the spread and strength of the opponent channels R-G and (R+G)/2-B (0: grey)."""
    x = images.astype(np.float64)
    rg = x[..., 0] - x[..., 1]                                     # (N, H, W)
    yb = 0.5 * (x[..., 0] + x[..., 1]) - x[..., 2]                  # (N, H, W)
    spread = np.sqrt(rg.std(axis=(1, 2)) ** 2 + yb.std(axis=(1, 2)) ** 2)
    strength = np.sqrt(rg.mean(axis=(1, 2)) ** 2 + yb.mean(axis=(1, 2)) ** 2)
    return float(np.median(spread + 0.3 * strength))


def top_octave_power(images: np.ndarray) -> float:
    """The share of an image's spectral power (mean removed, grey) in the top octave, spatial
    frequencies above half the Nyquist limit: the ribbing of high-frequency texture. The
    median over uint8 (N, H, W, 3) images."""
    grey = images.astype(np.float64).mean(axis=-1)                  # (N, H, W)
    grey -= grey.mean(axis=(1, 2), keepdims=True)
    power = np.abs(np.fft.fft2(grey)) ** 2                          # (N, H, W)
    fy = np.fft.fftfreq(grey.shape[1])[:, None]
    fx = np.fft.fftfreq(grey.shape[2])[None, :]
    high = np.sqrt(fx ** 2 + fy ** 2) > 0.25                        # cycles per pixel; Nyquist is 0.5
    shares = power[:, high].sum(axis=1) / np.maximum(power.reshape(len(grey), -1).sum(axis=1), 1e-12)
    return float(np.median(shares))


def upsample_to(side: int):
    """Lucent's habit: resize every image to `side` before the model."""

    def upsample(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return F.interpolate(x, size=(side, side), mode="bilinear", align_corners=False)

    return upsample


def save_grid(images: np.ndarray, path: Path, cols: int = 8) -> None:
    from PIL import Image

    n, h, w, _ = images.shape
    rows = -(-n // cols)
    grid = np.full((rows * (h + 2), cols * (w + 2), 3), 255, np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, cols)
        grid[r * (h + 2) : r * (h + 2) + h, c * (w + 2) : c * (w + 2) + w] = im
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid).save(path)


THROUGHPUT_STEPS = 32   # steps of each timed GPU render (after two untimed ones at the same size)
SIZES = ((1, 16), (1, 112), (4, 448), (8, 896), (16, 1792))   # (copies of the 7 jobs, images a step)


def run_gpu(device: str = "cuda", save: str | None = None, report=None) -> dict[str, object]:
    """The measurements on a GPU, the most wanted first (a GPU is lent for minutes; about two
    minutes on an H100): the draft profile's throughput as the build batches jobs there (the
    112 channels as seven jobs of 16, repeated with other seeds, from 16 to 1,792 images an
    optimization step); the best of those with channels-last memory, with a bfloat16 forward
    pass and with TF32 convolutions switched; the yardstick (colourfulness, objective, total
    variation, saturation, ribbing) of a whole draft render of the 112 channels with each;
    then the final profile's throughput. `report(key, value)` is called as each number is
    measured, so a run cut short keeps what it measured."""
    from generator.interpret.render import SPEED, speed

    results: dict[str, object] = {}

    def put(key: str, value) -> None:
        results[key] = value
        if report:
            report(key, value)

    torch.manual_seed(0)
    model = vi.load_model(MODEL, device=device)
    put("device", torch.cuda.get_device_name(0) if device.startswith("cuda") else device)
    put("torch", torch.__version__)
    gflops = matmul_gflops(device=device)
    put("matmul GFLOP/s (float32, TF32 off)", gflops)
    draft, final = vi.QUALITY["draft"], vi.QUALITY["final"]
    flops = flops_per_image_step(model, draft)
    put("model GFLOP per draft image-step (fwd+bwd to layer)", flops / 1e9)
    jobs = [[vi.channel(LAYER, c) for c in range(start, start + BATCH)] for start in range(0, CHANNELS, BATCH)]
    vi.feature_vis(model, jobs[0], steps=4)  # warm-up: kernels, allocator

    def rate(copies: int, most: int, quality: vi.Quality) -> float:
        """Image-steps/s of the jobs, `copies` times over, rendered `most` images a step."""
        requests = [job for _ in range(copies) for job in jobs]
        seeds = [copy for copy in range(copies) for _ in jobs]
        warm = max(1, most // BATCH)                        # one step's worth, untimed
        vi.feature_vis_many(model, requests[:warm], seeds[:warm], quality=quality, steps=2, most=most)
        _sync(device)
        start = time.perf_counter()
        vi.feature_vis_many(model, requests, seeds, quality=quality, steps=THROUGHPUT_STEPS, most=most)
        _sync(device)
        return len(requests) * BATCH * THROUGHPUT_STEPS / (time.perf_counter() - start)

    def measure(label: str, copies: int, most: int, quality: vi.Quality, flops: float) -> float:
        """Put the rate (and its share of matmul FLOP/s) under `label`; 0 when out of memory."""
        try:
            measured = rate(copies, most, quality)
        except torch.cuda.OutOfMemoryError:
            put(f"image-steps/s, {label}", "out of memory")
            torch.cuda.empty_cache()
            return 0.0
        put(f"image-steps/s, {label}", measured)
        put(f"achieved / matmul, {label}", measured * flops / 1e9 / gflops)
        return measured

    @contextmanager
    def tf32_switched():
        before = torch.backends.cudnn.allow_tf32
        torch.backends.cudnn.allow_tf32 = not before
        try:
            yield
        finally:
            torch.backends.cudnn.allow_tf32 = before

    where = f"draft ({draft.size} px)"
    best = (0.0, 1, BATCH)
    for copies, most in SIZES:
        measured = measure(f"{where}, {most} images a step", copies, most, draft, flops)
        if not measured:
            break
        best = max(best, (measured, copies, most))
    _, copies, most = best
    put("images a step, fastest", most)
    channels_last = SPEED.memory(torch.device(device)) == torch.channels_last
    variants = {"as set": nullcontext,                       # each other one switches one setting
                f"channels-last {'off' if channels_last else 'on'}": lambda: speed(channels_last=not channels_last),
                f"bfloat16 forward {'off' if SPEED.bfloat16 else 'on'}": lambda: speed(bfloat16=not SPEED.bfloat16),
                f"TF32 convolutions {'off' if torch.backends.cudnn.allow_tf32 else 'on'}": tf32_switched}
    for name, switched in list(variants.items())[1:]:
        with switched():
            measure(f"{where}, {most} a step, {name}", copies, most, draft, flops)
    everything = [o for job in jobs for o in job]
    for name, switched in variants.items():
        with switched():
            images = np.concatenate(vi.feature_vis_many(model, jobs, [0] * len(jobs), quality=draft, most=CHANNELS))
        tv, saturated = legibility(images)
        put(f"yardstick, {where} {draft.steps} steps, {name}: colourfulness", colourfulness(images))
        put(f"yardstick, {where} {draft.steps} steps, {name}: median objective",
            float(np.median(vi.objective_values(model, everything, images))))
        put(f"yardstick, {where} {draft.steps} steps, {name}: TV/pixel", tv)
        put(f"yardstick, {where} {draft.steps} steps, {name}: saturated fraction", saturated)
        put(f"yardstick, {where} {draft.steps} steps, {name}: top-octave power share", top_octave_power(images))
        if save:
            save_grid(images, Path(save) / f"featurevis_{device}_draft_{name.replace(' ', '-')}.png")
    final_flops = flops_per_image_step(model, final)
    for copies_, most_ in ((1, BATCH), (copies, most)):
        measure(f"final ({final.size} px), {most_} images a step", copies_, most_, final, final_flops)
    return results


def run(full: bool = False, save: str | None = None) -> dict[str, object]:
    torch.manual_seed(0)
    quality = vi.QUALITY["draft"]
    model = vi.load_model(MODEL)
    results: dict[str, object] = {"load average before": round(os.getloadavg()[0], 2)}
    results["torch threads"] = torch.get_num_threads()
    results["quality"] = f"draft: {quality.size} px, {quality.steps} steps, lr {quality.lr}"

    rates = {n: step_rate(model, quality, n) for n in sorted({1, torch.get_num_threads()})}
    for n, r in rates.items():
        results[f"image-steps/s, short run, {n} thread{'s' if n > 1 else ''}"] = r
    threads = max(rates, key=rates.get)
    results["threads used below (the faster)"] = threads
    with torch_threads(threads):
        gflops = matmul_gflops()
    flops = flops_per_image_step(model, quality)
    results["matmul GFLOP/s (same threads)"] = gflops
    results["model GFLOP per image-step (fwd+bwd to layer)"] = flops / 1e9

    notebook = [vi.channel(LAYER, c) for c in range(BATCH)]
    start = time.perf_counter()
    vi.feature_vis(model, notebook, quality=quality, steps=32)                # what a notebook gets
    every_core = time.perf_counter() - start
    start = time.perf_counter()
    vi.feature_vis(model, notebook, quality=quality, steps=32, threads=1)     # a build worker's setting
    one_thread = time.perf_counter() - start
    results[f"notebook default ({torch.get_num_threads()} threads): 16 channels x 32 steps (s)"] = every_core
    results["the same with threads=1 (s)"] = one_thread
    results["notebook default speed-up over one thread"] = one_thread / every_core

    channels = list(range(CHANNELS if full else BATCH))
    objectives = [vi.channel(LAYER, c) for c in channels]
    start = time.perf_counter()
    ours = vi.feature_vis(model, objectives, quality=quality, batch_size=BATCH, threads=threads)
    elapsed = time.perf_counter() - start
    rate = len(channels) * quality.steps / elapsed
    results["image-steps/s at batch 16, 128 px"] = rate
    results["achieved GFLOP/s"] = rate * flops / 1e9
    results["achieved / matmul"] = rate * flops / 1e9 / gflops
    per_batch = elapsed / -(-len(channels) // BATCH)
    all_time = elapsed if full else per_batch * -(-CHANNELS // BATCH)
    key = "measured" if full else "extrapolated from 16"
    results[f"all 112 channels, 256 steps, 1 process (s, {key})"] = all_time

    workers = os.cpu_count() or 1
    if workers > 1:
        subset = list(range(CHANNELS if full else workers * BATCH))
        parallel, wall = render_parallel(subset, workers)
        rounds = -(-(-(-CHANNELS // BATCH)) // workers)  # batches per worker for all channels
        key = "measured" if full else f"extrapolated from {len(subset)}: {rounds} rounds"
        results[f"all 112 channels, 256 steps, {workers} processes x 1 thread (s, {key})"] = (
            wall if full else wall * rounds
        )
        results["parallel images identical to serial ones"] = bool(np.array_equal(parallel[: len(ours)], ours[: len(parallel)]))

    sample = [vi.channel(LAYER, c) for c in SAMPLE]
    solo = vi.feature_vis(model, sample, quality=quality, steps=2 * quality.steps, threads=threads)
    ours_sample = ours[list(SAMPLE)]
    ratio = vi.objective_values(model, sample, ours_sample) / vi.objective_values(model, sample, solo)
    results[f"median objective vs 512-step solo (channels 0-{BATCH - 1})"] = float(np.median(ratio))
    results["min objective vs 512-step solo"] = float(ratio.min())

    lucent_transforms = vi.compose([*quality.transforms.transforms, upsample_to(224)])
    lucent_sample = [vi.channel(LAYER, c) for c in LUCENT_SAMPLE]
    lucent = vi.feature_vis(model, lucent_sample, quality=quality, transforms=lucent_transforms, threads=threads)
    plain = dataclasses.replace(quality, tv_weight=0.0, average=0.0)  # Lucent's defaults: neither
    lucent_default = vi.feature_vis(model, lucent_sample, quality=plain, transforms=lucent_transforms,
                                    threads=threads)
    for name, images in (("ours, all rendered", ours), ("ours, Lucent's sample", ours[list(LUCENT_SAMPLE)]),
                         ("Lucent-style (our settings, upsampled to 224), sample", lucent),
                         ("Lucent's defaults (no TV penalty, no average, upsampled), sample", lucent_default)):
        tv, sat = legibility(images)
        results[f"TV/pixel, {name}"] = tv
        results[f"saturated fraction, {name}"] = sat
        results[f"colourfulness, {name}"] = colourfulness(images)
        results[f"top-octave power share, {name}"] = top_octave_power(images)
    results["load average after"] = round(os.getloadavg()[0], 2)
    if torch.cuda.is_available():  # `make bench` on a machine with a GPU measures it too
        results.update({f"GPU: {k}": v for k, v in run_gpu("cuda", save).items()})
    if save:
        out = Path(save)
        save_grid(ours, out / "featurevis_ours.png")
        save_grid(np.concatenate([ours[list(LUCENT_SAMPLE)], solo[list(LUCENT_SAMPLE)], lucent]),
                  out / "featurevis_sample_solo_lucent.png", cols=len(LUCENT_SAMPLE))
        # the yardstick: the draft render (top) beside Lucent's defaults (bottom), same channels
        save_grid(np.concatenate([ours[list(LUCENT_SAMPLE)], lucent_default]), out / "featurevis_yardstick.png",
                  cols=len(LUCENT_SAMPLE))
    return results


def main(argv: list[str] | None = None) -> int:
    from benchmarks.__main__ import format_value

    parser = argparse.ArgumentParser(prog="python -m benchmarks.featurevis", description=__doc__)
    parser.add_argument("--full", action="store_true", help="render all 112 channels for real")
    parser.add_argument("--save", metavar="DIR", help="write PNG grids of the renders to DIR")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    args = parser.parse_args(argv)
    if args.device != "cpu":  # each number as it is measured
        run_gpu(args.device, args.save, report=lambda k, v: print(f"{k}: {format_value(v)}", flush=True))
        return 0
    for key, value in run(full=args.full, save=args.save).items():
        print(f"{key}: {format_value(value)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
