"""A build killed at any moment (SIGKILL during precompute or publish) is followed by a
build that succeeds and gives the same site as a clean build."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from projects import FRONT, ROOT, article, make_project

FIGURES = """
```{feature-vis}
id: fig-units
layer: blocks.1
units: 0-15
alt: Sixteen channels.
```

```{spatial-attribution}
id: fig-spatial
image: sample:chelsea
layer: blocks.0
classes: [3, 5]
alt: A heat map.
```

```{neuron-groups}
id: fig-groups
image: sample:coffee
layer: blocks.1
groups: 3
alt: Groups.
```
"""


def _build(root: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "generator", "build", "--quiet", "--quality", "tiny"],
                            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _site(folder: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if path.name == "provenance.json":   # seconds taken differ from run to run
                doc = json.loads(data)
                for figure in doc["figures"]:
                    figure.pop("seconds")
                    for job in figure["jobs"]:
                        job.pop("seconds")
                data = json.dumps(doc, sort_keys=True).encode()
            files[path.relative_to(folder).as_posix()] = data
    return files


def test_killed_builds_then_a_good_one(tmp_path):
    front = FRONT.replace("status: draft", "status: draft\nmodel: tiny")
    clean = make_project(tmp_path / "clean", {"a": {"index.md": article(FIGURES, front=front)}})
    assert _build(clean).wait(timeout=300) == 0
    killed = tmp_path / "killed"
    shutil.copytree(clean, killed, ignore=shutil.ignore_patterns("build", ".cache"))
    for delay in (0.5, 1.5, 2.5, 4.0, 6.0):
        process = _build(killed)
        time.sleep(delay)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    final = _build(killed)
    assert final.wait(timeout=300) == 0, final.stderr.read().decode()
    assert _site(killed / "build") == _site(clean / "build")
    assert not list(killed.glob(".build.*")), "a killed publish left its temp folder behind"
    assert _processes_in(killed, wait=5.0) == [], "a killed build left worker processes running"


def _processes_in(folder: Path, wait: float) -> list[int]:
    """Processes whose working directory is `folder`, after giving them `wait` seconds to end."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if Path(os.readlink(entry / "cwd")) == folder.resolve():
                        found.append(int(entry.name))
                except OSError:
                    pass
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_publish_removes_what_a_killed_publish_left(tmp_path):
    from generator.pipeline.output import OutputTree

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".build.new-{dead.pid}-abcdef12"
    stale.mkdir()
    (stale / "index.html").write_text("half")
    tree = OutputTree()
    tree.add("index.html", b"whole")
    tree.publish(tmp_path / "build")
    assert not stale.exists()
    assert (tmp_path / "build" / "index.html").read_bytes() == b"whole"


def _interrupted(root: Path, sig: int, gaps: list[float]) -> tuple[int, float]:
    """Start a build, send `sig` once the workers run, then again after each gap; the exit
    status and how long the build took to end after the first signal."""
    process = _build(root)
    deadline = time.monotonic() + 120
    while len(_processes_in(root, wait=0)) < 3:                  # the build and its two workers
        assert process.poll() is None and time.monotonic() < deadline, "the workers never started"
        time.sleep(0.1)
    time.sleep(0.5)
    started = time.monotonic()
    os.kill(process.pid, sig)
    for gap in gaps:
        time.sleep(gap)
        if process.poll() is None:
            os.kill(process.pid, sig)
    status = process.wait(timeout=60)
    return status, time.monotonic() - started


def test_any_number_of_interrupts_end_the_build_within_seconds(tmp_path):
    slow = FIGURES.replace("units: 0-15", "units: 0-15\nsteps: 4000")   # long enough to interrupt
    front = FRONT.replace("status: draft", "status: draft\nmodel: tiny")
    for sig, gaps in ((signal.SIGINT, [0.3, 1.0]), (signal.SIGINT, []), (signal.SIGTERM, [])):
        root = make_project(tmp_path / f"{sig.name}-{len(gaps)}", {"a": {"index.md": article(slow, front=front)}})
        status, seconds = _interrupted(root, sig, gaps)
        assert status == 130 and seconds < 15, (sig.name, status, seconds)
        assert _processes_in(root, wait=5.0) == [], "an interrupted build left worker processes running"
        assert not (root / "build").exists()
