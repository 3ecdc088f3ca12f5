"""The legibility yardstick of `python -m benchmarks featurevis`: colourfulness and the share
of spectral power in the top octave measure what the eye calls grey and ribbed."""

from __future__ import annotations

import numpy as np

from benchmarks.featurevis import colourfulness, top_octave_power


def test_grey_is_not_colourful_and_saturated_colour_is():
    grey = np.full((2, 32, 32, 3), 128, np.uint8)
    assert colourfulness(grey) == 0.0
    red_green = np.zeros((2, 32, 32, 3), np.uint8)
    red_green[:, :, :16, 0] = 255                                   # red on the left, green on the right
    red_green[:, :, 16:, 1] = 255
    assert colourfulness(red_green) > 100


def test_ribbing_has_power_in_the_top_octave_and_smooth_shading_has_none():
    x = np.arange(32)
    ribbed = np.broadcast_to(((x % 2) * 255).astype(np.uint8)[None, None, :, None], (2, 32, 32, 3))
    smooth = np.broadcast_to((128 + 100 * np.sin(2 * np.pi * x / 32)).astype(np.uint8)[None, None, :, None],
                             (2, 32, 32, 3))
    assert top_octave_power(ribbed) > 0.99
    assert top_octave_power(smooth) < 0.01


def test_the_gpu_benchmark_runs_through_and_reports_every_setting(monkeypatch):
    """The GPU benchmark runs once, for minutes, on a lent machine: run it here on the CPU at
    tiny sizes, so that what it reports is complete and the speed settings come back as set."""
    import benchmarks.featurevis as bench
    from generator import interpret as vi
    from generator.interpret.render import SPEED

    monkeypatch.setitem(vi.QUALITY, "draft", vi.Quality("draft", size=24, steps=2))
    monkeypatch.setitem(vi.QUALITY, "final", vi.Quality("final", size=32, steps=2))
    monkeypatch.setattr(bench, "THROUGHPUT_STEPS", 1)
    monkeypatch.setattr(bench, "SIZES", ((1, 16), (2, 224)))
    seen = []
    results = bench.run_gpu("cpu", report=lambda key, value: seen.append(key))
    assert seen == list(results)
    rates = {k: v for k, v in results.items() if k.startswith("image-steps/s")}
    assert len(rates) == 2 + 3 + 2 and all(isinstance(v, float) and v > 0 for v in rates.values())
    assert results["images a step, fastest"] in (16, 224)
    for setting in ("as set", "channels-last off", "bfloat16 forward on", "TF32 convolutions"):
        assert any(k.startswith("yardstick") and setting in k and k.endswith("colourfulness") for k in results), setting
    assert SPEED.bfloat16 is False and SPEED.channels_last is None
