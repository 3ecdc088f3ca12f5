"""Quality profiles: every setting of a feature visualization render in one typed value.

    feature_vis(model, objectives, quality=QUALITY["draft"])

`tiny` is for tests (seconds on a tiny model), `draft` for a laptop CPU (the default),
`final` for publication (a GPU is welcome). Profiles are frozen dataclasses of plain values,
so they print and hash stably: a build can key its cache on `repr(profile)`.

The draft settings were chosen by measurement (benchmarks/featurevis.py, EfficientNet-Lite0,
blocks.10, channels 0-15 at 256 steps against 512-step renders of the same profile): Lucid's
FFT parameterization and standard transforms at lr 0.05, a total-variation penalty of 32 per
pixel and an average of the last ~10 steps' parameters. The median channel keeps 95.4% of
the objective a 512-step render reaches, with renders smoother than a Lucent-style render
(upsampled to 224 px) and no saturated pixels. Measured alternatives, same channels: without
the average, 94.9%; a penalty of 16, 94.2% and noisier (93.8% without the average, 93.8%
with Adam's beta1 at 0.95, 93.5% with a cosine learning rate from 0.1 to 0.01). A steeper
spectrum (decay power 1.5) saturated colours.

The final profile renders four times the steps at 160 px, with a penalty of 48 and lr 0.03:
over 1,024 steps the draft's settings blow highlights out. Measured on channels 0-7 of
blocks.10 at 110 px (icon size), 1,024 steps: penalty 32 at lr 0.05 gave TV/pixel 0.104,
0.21% saturated values and a median objective of 41.6; penalty 48 at lr 0.03 gave 0.071,
0.004% and 41.7 (penalty 48 alone 0.086, 0.15%, 41.5; lr 0.03 alone 0.090, 0.008%, 41.3).
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
    tv_weight: weight of the total-variation penalty per pixel (smoothness), 0 for none.
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
    "draft": Quality("draft", size=128, steps=256, tv_weight=32.0, average=0.9),
    "final": Quality("final", size=160, steps=1024, lr=0.03, tv_weight=48.0, average=0.9),
}
DEFAULT_QUALITY = QUALITY["draft"]
