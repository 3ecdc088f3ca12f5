"""Vellum as a tool one installs: the wheel carries everything a build needs, `vellum init`
starts a journal anywhere, and a journal may restyle itself."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from generator.cli import main

ROOT = Path(__file__).resolve().parent.parent

MODEL_FIGURE = """
```{feature-vis}
id: fig-units
layer: blocks.4
units: 0-3
caption: Four channels of `blocks.4`.
alt: Four small synthetic images.
```
"""


def run(*args, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{args}: {done.stderr}"
    return done


@pytest.mark.slow
@pytest.mark.browser
def test_the_wheel_installs_and_starts_a_journal_of_its_own(tmp_path, browser_page):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w",
        tmp_path / "dist", ROOT, cwd=tmp_path, env=env)
    [wheel] = (tmp_path / "dist").glob("vellum-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("generator/assets/js/activation-grid.js", "generator/assets/css/vellum.css",
                   "generator/templates/article.html", "generator/starter/journal/site.yml",
                   "generator/starter/template/index.md", "generator/schemas/feature-vis.json",
                   "generator/interpret/imagenet_classes.txt"):
        assert needed in names, needed
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path, env=env)
    # The libraries of this environment (torch is a large install); Vellum itself from the wheel.
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    (venv / "lib" / version / "site-packages" / "libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(venv / "bin" / "python", "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", wheel,
        cwd=tmp_path, env=env)
    vellum = venv / "bin" / "vellum"
    work = tmp_path / "elsewhere"
    work.mkdir()
    refused = subprocess.run([str(vellum), "build"], cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "no site.yml here" in refused.stderr and "Traceback" not in refused.stderr
    run(vellum, "init", "paper", cwd=work, env=env)
    journal = work / "paper"
    assert {p.name for p in journal.iterdir()} == {"site.yml", "articles", ".gitignore", "README.md"}
    run(vellum, "new", "second", cwd=journal, env=env)
    index = journal / "articles" / "second" / "index.md"
    index.write_text(index.read_text() + MODEL_FIGURE)
    built = run(vellum, "build", "--quality", "tiny", "--quiet", cwd=journal, env=env)
    assert "built 2 articles" in built.stdout
    page = journal / "build" / "second" / "index.html"
    assert 'id="fig-units"' in page.read_text()
    for built in (page, journal / "build" / "index.html"):   # no repository named yet: no link to one
        assert 'href="None"' not in built.read_text()
    browser_page.open(page)
    browser_page.page.locator("#fig-units").scroll_into_view_if_needed()
    browser_page.page.wait_for_timeout(500)
    browser_page.assert_clean()                          # no console error, no missing file


def test_a_journal_restyles_itself_with_its_own_assets_and_templates(tmp_path, monkeypatch):
    from projects import make_project

    root = make_project(tmp_path / "j", {"a": {}})
    (root / "assets" / "css").mkdir(parents=True)
    (root / "assets" / "css" / "custom.css").write_text(":root { --accent: #0b6e4f; }\n")
    (root / "templates" / "partials").mkdir(parents=True)
    footer = "<p class=\"our-footer\">Our own journal</p>\n"
    (root / "templates" / "404.html").write_text(footer)
    monkeypatch.chdir(root)
    assert main(["build", "--quiet"]) == 0
    static = root / "build" / "static" / "css"
    [ours] = static.glob("custom.*.css")
    assert ours.read_text() == ":root { --accent: #0b6e4f; }\n"
    for page, up in (("index.html", ""), ("a/index.html", "../")):    # after Vellum's, on every page
        links = re.findall(r'<link rel="stylesheet" href="([^"]+)"', (root / "build" / page).read_text())
        assert links[-1] == f"{up}static/css/{ours.name}" and any("vellum." in link for link in links[:-1])
    assert (root / "build" / "404.html").read_text() == footer


def test_init_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    assert main(["init", str(tmp_path / "taken")]) == 1
    assert "this folder is not empty" in capsys.readouterr().err
