"""Build times of the example site and the weight of its pages.

    python -m benchmarks build          # from the freeze, no-change rebuild, page weight
    python -m benchmarks build --full   # also FRESH=1: everything recomputed at draft quality

Each build runs as `python -m generator build` in a copy of the project with an empty cache,
timed from process start to exit, so the numbers include Python and library start-up as a
user sees them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _copy_project(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in ("site.yml", "articles"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target / name)
    return target


def _timed_build(project: Path, *args: str) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "generator", "build", "--quiet", *args], cwd=project,
                          env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"build failed:\n{done.stderr}")
    return seconds


def page_weight(site: Path) -> dict[str, int]:
    """Bytes each article page loads in Chromium from file:// after scrolling to the end."""
    from playwright.sync_api import sync_playwright

    weights = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for page_file in sorted(site.glob("*/index.html")):
            page = browser.new_page()
            loaded: set[str] = set()
            page.on("requestfinished", lambda request: loaded.add(request.url))
            page.goto(page_file.as_uri())
            for _ in range(30):
                page.mouse.wheel(0, 1500)
                page.wait_for_timeout(100)
            page.wait_for_timeout(500)
            total = 0
            for url in loaded:
                if url.startswith("file://"):
                    path = Path(url[len("file://"):].split("#")[0].split("?")[0])
                    total += path.stat().st_size if path.is_file() else 0
            weights[page_file.parent.name] = total
            page.close()
        browser.close()
    return weights


def run(full: bool = False) -> dict:
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        project = _copy_project(Path(tmp) / "project")
        results["build from freeze, empty cache (s)"] = _timed_build(project)
        results["no-change rebuild (s)"] = _timed_build(project)
        from generator.build import BuildOptions, build

        report = build(BuildOptions(root=project, out=Path(tmp) / "inprocess", progress=False))
        results["no-change rebuild in process, after imports (s)"] = report.seconds
        results["articles"] = len(report.pages)
        results["jobs"] = report.jobs
        for slug, size in page_weight(project / "build").items():
            results[f"page weight {slug} (KiB)"] = round(size / 1024, 1)
        if full:
            fresh = _copy_project(Path(tmp) / "fresh")
            results["FRESH=1 build, draft quality, all recomputed (s)"] = _timed_build(fresh, "--fresh")
    return results


if __name__ == "__main__":
    for key, value in run(full="--full" in sys.argv).items():
        print(f"{key}: {value}")
