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
