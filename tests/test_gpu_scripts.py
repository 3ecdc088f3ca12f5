"""The scripts of a GPU session that can run here: taking the renders out of final freezes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from projects import ROOT


def freeze(root: Path, slug: str, quality: str, entries: dict[str, str]) -> Path:
    folder = root / "articles" / slug / "_freeze"
    for key in entries:
        (folder / key).mkdir(parents=True)
        (folder / key / "icons.png").write_bytes(b"png")
    index = {"entries": {key: {"fn": f"generator.figures.x:{fn}"} for key, fn in entries.items()},
             "format": 1, "provenance": {"quality": quality}}
    (folder / "index.json").write_text(json.dumps(index))
    return folder


def test_strip_removes_only_the_renders_of_freezes_at_that_quality(tmp_path):
    final = freeze(tmp_path, "a", "final", {"k1": "render_icons", "k2": "render_grid", "k3": "run_positions",
                                            "k4": "render_atlas_icons", "k5": "run_layout"})
    draft = freeze(tmp_path, "b", "draft", {"k6": "render_icons", "k7": "run_positions"})
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "gpu-strip-renders.py"), "final"],
                         cwd=tmp_path, capture_output=True, text=True, check=True)
    assert sorted(p.name for p in final.iterdir() if p.is_dir()) == ["k3", "k5"]   # activations, layouts stay
    assert sorted(p.name for p in draft.iterdir() if p.is_dir()) == ["k6", "k7"]
    assert "frozen at final; 3 of its 5 results removed" in run.stdout
    assert "frozen at draft, left as it is" in run.stdout
