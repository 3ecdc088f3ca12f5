"""Remove the feature visualizations from the articles' freezes that hold QUALITY already.

    python3 scripts/gpu-strip-renders.py final

Once an article is frozen at final quality, a GPU session has nothing left to compute for it,
so neither its time nor its pictures would be measured; and the freezes, grown with the
final renders, may no longer fit in what a call carries beside the wheels. This removes the
frozen results whose bytes depend on the quality profile (channel icons, grid cells, unit
pages' diversity images, atlas icons, neuron groups) from every freeze whose provenance says
QUALITY, and leaves the rest (activations, attribution, layouts, dataset passes: a build
needs the example photos without them). `scripts/gpu-session.sh` runs it on the GPU machine
before computing. Here, where the freezes are committed, `git checkout -- articles/` brings
the removed results back.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import sys

RENDERS = {"render_icons", "render_grid", "render_diverse", "render_units", "render_atlas_icons", "run_neuron_groups"}


def main(quality: str) -> None:
    for index in sorted(pathlib.Path("articles").glob("*/_freeze/index.json")):
        frozen = json.loads(index.read_text())
        if frozen.get("provenance", {}).get("quality") != quality:
            print(f"{index.parent}: frozen at {frozen.get('provenance', {}).get('quality')}, left as it is")
            continue
        gone = [key for key, entry in frozen["entries"].items() if entry.get("fn", "").rsplit(":", 1)[-1] in RENDERS]
        for key in gone:
            shutil.rmtree(index.parent / key, ignore_errors=True)
        print(f"{index.parent}: frozen at {quality}; {len(gone)} of its {len(frozen['entries'])} results removed")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    main(sys.argv[1])
