"""Plans of model figures are kept by the hash of what they read: a rebuild with nothing
changed loads no model and imports no torch; a changed photo, spec or file replans."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from generator.build import keys, plan_cache
from generator.build import BuildOptions, build
from figure_projects import ROOT, figure, make_project

GRID = figure("activation-grid", """
id: fig-grid
image: photo.png
layer: blocks.1
caption: The grid.
alt: A grid of synthetic images.
""")
TOP = figure("feature-vis", """
id: fig-top
layer: blocks.1
units: {top: 3}
image: photo.png
caption: The channels most active on the photo.
alt: Three synthetic images.
""")


def _project(root: Path) -> Path:
    make_project(root, GRID, TOP)
    _photo(root / "articles" / "a" / "photo.png", 0)
    return root


def _photo(path: Path, seed: int) -> None:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (48, 48, 3), dtype=np.uint8)).save(path)


def _build(root: Path):
    return build(BuildOptions(root=root, quality="tiny", progress=False))


def _planned(root: Path, monkeypatch) -> list[str]:
    """Build, and return the kinds whose `plan` ran (not replayed from the cache)."""
    ran = []
    original = plan_cache.plan

    def spy(kind, spec, ctx, cache):
        key = plan_cache.plan_key(kind, spec, ctx)
        if key is None or cache is None or cache.get(key) is None:
            ran.append(kind.name)
        return original(kind, spec, ctx, cache)

    monkeypatch.setattr(plan_cache, "plan", spy)
    _build(root)
    return ran


def test_unchanged_figures_replay_their_plans_and_the_site_is_identical(tmp_path, monkeypatch):
    root = _project(tmp_path / "p")
    assert sorted(_planned(root, monkeypatch)) == ["activation-grid", "feature-vis"]
    first = {p.relative_to(root / "build"): p.read_bytes() for p in (root / "build").rglob("*") if p.is_file()}
    assert _planned(root, monkeypatch) == []
    second = {p.relative_to(root / "build"): p.read_bytes() for p in (root / "build").rglob("*") if p.is_file()}
    assert first == second


def test_a_changed_photo_spec_or_article_file_replans(tmp_path, monkeypatch):
    root = _project(tmp_path / "p")
    folder = root / "articles" / "a"
    _planned(root, monkeypatch)
    _photo(folder / "photo.png", 1)                 # both figures read the photo
    assert sorted(_planned(root, monkeypatch)) == ["activation-grid", "feature-vis"]
    text = (folder / "index.md").read_text()
    (folder / "index.md").write_text(text.replace("units: {top: 3}", "units: {top: 2}"))
    assert _planned(root, monkeypatch) == ["feature-vis"]
    (folder / "index.md").write_text(text.replace("caption: The grid.", "caption: The same grid."))
    assert _planned(root, monkeypatch) == []      # top 3 was planned before; a caption is no plan input
    assert "The same grid." in (root / "build" / "a" / "index.html").read_text()
    (folder / "figures.py").write_text("# a helper the article's figures could read\n")
    assert sorted(_planned(root, monkeypatch)) == ["activation-grid", "feature-vis"]


def test_a_no_change_rebuild_imports_no_torch(tmp_path):
    root = _project(tmp_path / "p")
    code = ("import sys; from generator.cli import main; code = main(['build', '--quality', 'tiny', '--quiet']); "
            "print('torch' in sys.modules); sys.exit(code)")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    runs = [subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                           timeout=300) for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[1].stderr
    assert [r.stdout.split()[-1] for r in runs] == ["True", "False"]


def test_a_cached_plan_that_cannot_be_read_is_planned_again(tmp_path, monkeypatch):
    from generator.figures import KINDS

    root = _project(tmp_path / "p")
    _build(root)
    first = (root / "build" / "a" / "index.html").read_text()
    ran = []
    for name in ("activation-grid", "feature-vis"):
        kind = type(KINDS[name])
        original = kind.plan
        monkeypatch.setattr(kind, "plan", lambda self, spec, ctx, _o=original: ran.append(self.name) or _o(self, spec, ctx))

    def unreadable(data):
        raise ModuleNotFoundError("a class the pickle names is gone")

    monkeypatch.setattr(keys.pickle, "loads", unreadable)       # every kept value, plans among them
    _build(root)
    assert sorted(ran) == ["activation-grid", "feature-vis"]
    assert (root / "build" / "a" / "index.html").read_text() == first
