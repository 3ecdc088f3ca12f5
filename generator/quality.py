"""The quality profiles, by name: the one table the command line, the figure kinds and the
notebooks read.

Each profile names the engine's render settings (`generator.interpret.QUALITY[name]`: how
every feature visualization is optimized) and the sizes of the figures' own images:

| profile | channel icons | grid cells | group icons | for |
|---|---|---|---|---|
| tiny | 32 px, 8 steps | 24 px, 8 steps | 32 px | tests, on a tiny model |
| draft | 96 px, 128 steps | 56 px, 128 steps | 80 px | a laptop CPU (the default) |
| final | 110 px, 1,024 steps | 96 px, 512 steps | 80 px | publication; a GPU is welcome |

Draft icons are many (every channel a dictionary or a chart shows) and small on the page: at
96 px for 128 steps they cost a third of 110 px for 256 steps and are hard to tell apart at
icon size (measured on blocks.10: 9 s against 30 s for 8 channels). Group icons render for
the profile's own steps. This module imports nothing heavy: the command line reads its
names without importing torch.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """A quality profile's figure image sizes; `render` is the engine's settings."""

    name: str
    icon_size: int        # channel icons, pixels
    icon_steps: int       # channel icons, optimizer steps
    cell_size: int        # activation-grid cells, pixels
    cell_steps: int       # activation-grid cells, optimizer steps
    group_icon_size: int  # neuron-group icons, pixels (rendered for `render.steps`)

    @property
    def render(self):
        """The engine's `Quality` of the same name (imports the engine, hence torch)."""
        from .interpret.quality import QUALITY

        return QUALITY[self.name]


PROFILES: dict[str, Profile] = {
    "tiny": Profile("tiny", icon_size=32, icon_steps=8, cell_size=24, cell_steps=8, group_icon_size=32),
    "draft": Profile("draft", icon_size=96, icon_steps=128, cell_size=56, cell_steps=128, group_icon_size=80),
    "final": Profile("final", icon_size=110, icon_steps=1024, cell_size=96, cell_steps=512, group_icon_size=80),
}
NAMES = tuple(PROFILES)
