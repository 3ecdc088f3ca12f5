"""Quality profiles: every setting of a feature visualization render in one typed value.

    feature_vis(model, objectives, quality=QUALITY["draft"])

`tiny` is for tests (seconds on a tiny model), `draft` for a laptop CPU (the default),
`final` for publication (a GPU is welcome). Profiles are frozen dataclasses of plain values,
so they print and hash stably: a build can key its cache on `repr(profile)`.

The draft settings were chosen by measurement (benchmarks/featurevis.py, EfficientNet-Lite0,
blocks.10): Lucid's FFT parameterization with a spectrum decay of 1.2 (Lucid's is 1.0),
Lucid's standard transforms at lr 0.05, a total-variation penalty of 16 per pixel and an
average of the last ~10 steps' parameters.

Legibility, against a Lucent-style render with Lucent's defaults (512 steps, no penalty, no
average, the 128 px image upsampled to 224 px before the model), channels 0, 5, 10, 15, 20,
30, 40 and 60 at 128 px: colourfulness (Hasler and Suesstrunk), top-octave share of the
spectral power (ribbing), total variation per pixel, saturated values, median objective
(on the image itself, 128 px), seconds on this 2-core CPU:

| render | colour | top octave | TV/pixel | saturated | objective | s |
|---|---|---|---|---|---|---|
| Lucent's defaults | 38.5 | 0.223 | 0.222 | 0.03% | 24.0 | 125 |
| decay 1.0, penalty 32 (the draft until now) | 30.3 | 0.040 | 0.066 | 0 | 36.3 | 22 |
| decay 1.0, no penalty | 31.6 | 0.143 | 0.152 | 0 | 36.0 | 20 |
| decay 1.0, no penalty, no average | 32.1 | 0.145 | 0.155 | 0 | 35.7 | 20 |
| decay 1.0, penalty 32, 512 steps | 33.6 | 0.026 | 0.064 | 0.05% | 38.1 | 39 |
| decay 1.0, no penalty, lr 0.08 | 41.5 | 0.184 | 0.215 | 0.04% | 36.1 | 18 |
| decay 1.2, no penalty | 46.6 | 0.104 | 0.181 | 0.04% | 37.3 | 16 |
| decay 1.2, penalty 8 | 45.1 | 0.047 | 0.122 | 0.10% | 37.9 | 24 |
| **decay 1.2, penalty 16 (draft)** | **41.0** | **0.029** | **0.091** | **0.12%** | **37.4** | **22** |
| decay 1.2, penalty 32 | 35.2 | 0.013 | 0.061 | 0.17% | 36.4 | 18 |
| decay 1.3, penalty 16 | 48.5 | 0.018 | 0.093 | 0.38% | 37.5 | 18 |

Where the grey came from: the penalty of 32, not the colour decorrelation (Lucent's, the same
matrix, is more colourful) nor the average. With Lucid's 1/f spectrum a render needs that
much penalty to hold down the ribbing of stride-2 depthwise gradients (top-octave share 0.14
without it), and the penalty takes the colour contrast with it. A steeper spectrum (1.2)
lets the low frequencies, which carry colour in broad areas, learn faster than the fine ones,
so half the penalty holds the ribbing lower than before (0.029 against 0.040) and the colour
stays (41.0 against 30.3, above Lucent's 38.5). 1.3 is more colourful still but blows out
whites (0.38% saturated, and visibly in the pictures); 1.5 saturated colours outright. At the
icon size (96 px, 128 steps) the same change lifts colourfulness from 22.3 to 34.5 on those
channels of blocks.10 and from 24.7 to 36.6 on eight of blocks.14 (0, 9, 20, 33, 51, 70, 102,
150), whose icons went from grey-blue to nameable eyes and snouts. The draft's median channel
reached 95.4% of a 512-step render's objective with the old settings (channels 0-15).

The final profile renders four times the steps at 160 px with lr 0.03, decay 1.2, a penalty
of 8 and a saturation penalty of 4 (`saturation()`: colours pushed past a sigmoid input of 4).
Over 1,024 steps the draft's settings blow whites out; the saturation penalty holds them
(0.4% saturated without it, 0.1% with), so the total-variation penalty can be small and the
colour stays. The same eight channels at 160 px and 1,024 steps, against a Lucent-style render
at the same size and steps (1.9 times slower than ours):

| render (final size and steps) | colour | top octave | TV/pixel | saturated | objective |
|---|---|---|---|---|---|
| Lucent-style, no penalty, no average | 48.0 | 0.263 | 0.277 | 0.03% | 32.8 |
| decay 1.0, penalty 48 (the final until now) | 26.2 | 0.021 | 0.046 | 0 | 40.0 |
| decay 1.2, penalty 32 | 32.4 | 0.016 | 0.055 | — | 41.3 |
| decay 1.2, penalty 24 | 35.1 | 0.022 | 0.068 | 0.42% | 41.9 |
| decay 1.2, penalty 16 | 40.6 | 0.034 | 0.086 | 0.40% | 43.1 |
| decay 1.2, penalty 16, saturation 4 | 41.1 | 0.033 | 0.086 | 0.10% | 43.1 |
| decay 1.2, penalty 12, saturation 4 | 43.1 | 0.045 | 0.103 | 0.09% | 42.7 |
| decay 1.3, penalty 24, saturation 4 | 40.7 | 0.015 | 0.071 | 0.18% | 41.5 |
| decay 1.3, penalty 12, saturation 4 | 45.9 | 0.041 | 0.103 | 0.15% | 42.3 |
| **decay 1.2, penalty 8, saturation 4 (final)** | **48.6** | **0.059** | **0.122** | **0.09%** | **42.2** |

Earlier, at 110 px and 1,024 steps: penalty 32 at lr 0.05 gave TV/pixel 0.104, 0.21% saturated
values and a median objective of 41.6; penalty 48 at lr 0.03 gave 0.071, 0.004% and 41.7.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .objectives import Objective, saturation, total_variation
from .param import ParamRecipe
from .transforms import Compose, standard_transforms


@dataclass(frozen=True)
class Quality:
    """How to render feature visualizations.

    size: image side in pixels (the model sees it at this size, without upsampling).
    steps: optimizer steps. lr: Adam's learning rate.
    param: the image parameterization. transforms: the random transforms of every step.
    tv_weight: weight of the total-variation penalty (smoothness), 0 for none, divided by the
    profile's `size` squared: per pixel at that size; a render at another size keeps the same
    total weight (the renders every build froze were made so, and their keys hold the profile).
    saturation_weight: weight of the penalty on colours pushed into the sigmoid's flat ends.
    average: decay of an exponential moving average of the parameters, shown instead of the
    last step's (0 for none); it averages out the step-to-step noise of random transforms.
    batch_size: images optimized together (16 is the sweet spot on a 2-core CPU).
    icon_size, group_icon_size: no longer read (the figures' image sizes are in
    `generator.quality`); they stay because a profile's repr is part of every job key that
    renders with it, and go with the next change of the render settings.
    threads: no longer read: `feature_vis(threads=...)` sets the thread count (default: every
    core), and the build's executors pin one thread per job (`pipeline.Runtime.threads`). It
    stays, like icon_size, because a profile's repr is part of every job key.
    """

    name: str
    size: int
    steps: int
    lr: float = 0.05
    param: ParamRecipe = field(default_factory=ParamRecipe)
    transforms: Compose = field(default_factory=standard_transforms)
    tv_weight: float = 0.0
    saturation_weight: float = 0.0
    average: float = 0.0
    batch_size: int = 16
    icon_size: int = 110
    group_icon_size: int = 80
    threads: int | None = 1

    def extra(self) -> Objective | None:
        """The smoothing objective added to every image, or None."""
        terms = []
        if self.tv_weight:
            terms.append(-(self.tv_weight / (self.size * self.size)) * total_variation())
        if self.saturation_weight:
            terms.append(-self.saturation_weight * saturation())
        return sum(terms) if terms else None


QUALITY: dict[str, Quality] = {
    "tiny": Quality("tiny", size=32, steps=8, lr=0.05, icon_size=32, group_icon_size=32),
    "draft": Quality("draft", size=128, steps=256, tv_weight=16.0, average=0.9,
                     param=ParamRecipe(decay_power=1.2)),
    "final": Quality("final", size=160, steps=1024, lr=0.03, param=ParamRecipe(decay_power=1.2), tv_weight=8.0,
                     saturation_weight=4.0, average=0.9),
}
DEFAULT_QUALITY = QUALITY["draft"]
