"""The command line: new, check, build --article, serve."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from generator.cli import main
from projects import article, make_project

ROOT = Path(__file__).resolve().parent.parent


def torch_cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def run(args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_new_article_builds_at_once(tmp_path, monkeypatch, capsys):
    root = make_project(tmp_path)
    monkeypatch.chdir(root)
    assert main(["new", "my-first-article"]) == 0
    index = root / "articles" / "my-first-article" / "index.md"
    text = index.read_text()
    assert "title: My first article" in text and "status: draft" in text
    assert main(["build", "--quiet"]) == 0
    page = (root / "build" / "my-first-article" / "index.html").read_text()
    assert 'class="citation"' in page and 'id="fig-first"' in page and "<math" in page


def test_new_refuses_bad_names_and_existing_articles(tmp_path, monkeypatch, capsys):
    root = make_project(tmp_path, {"taken": {}})
    monkeypatch.chdir(root)
    assert main(["new", "Bad Name"]) == 1
    assert "'Bad Name' is not a valid article name" in capsys.readouterr().err
    assert main(["new", "taken"]) == 1
    assert "already exists" in capsys.readouterr().err


def test_check_validates_without_writing(tmp_path, monkeypatch, capsys):
    root = make_project(tmp_path, {"a": {"index.md": article("\nSee [@olah2017feature].\n")}})
    monkeypatch.chdir(root)
    assert main(["check"]) == 0
    assert not (root / "build").exists()
    (root / "articles" / "a" / "index.md").write_text(article("\nSee @sec-nowhere.\n"))
    assert main(["check"]) == 1
    assert "articles/a/index.md:12:" in capsys.readouterr().err
    assert not (root / "build").exists()


def test_build_one_article(tmp_path, monkeypatch):
    root = make_project(tmp_path, {"a": {}, "b": {}})
    monkeypatch.chdir(root)
    assert main(["build", "--quiet", "--article", "b", "--out", "site"]) == 0
    assert (root / "site" / "b" / "index.html").exists()
    assert not (root / "site" / "a").exists()
    assert main(["build", "--quiet", "--article", "c"]) == 1


def test_compute_only_fills_the_cache_and_writes_no_page(tmp_path, monkeypatch, capsys):
    """A GPU machine computes (`--compute-only`); the pages are built elsewhere from its
    results, computing nothing."""
    import figure_projects
    from generator.build import BuildOptions, build

    root = figure_projects.make_project(tmp_path, figure_projects.figure("feature-vis", """
id: fig-units
layer: blocks.1
units: [0, 1]
caption: Two units.
alt: Two images.
"""))
    monkeypatch.chdir(root)
    assert main(["build", "--quiet", "--compute-only", "--quality", "tiny"]) == 0
    import re

    done = re.search(r"computed (\d+) of (\d+) jobs into \.cache/", capsys.readouterr().out)
    assert done and done[1] == done[2] != "0"                     # the figure's and its units' pages
    assert not (root / "build").exists()
    assert build(BuildOptions(root=root, quality="tiny", progress=False)).computed == 0
    assert (root / "build" / "a" / "index.html").is_file()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


@contextlib.contextmanager
def _serving(root: Path):
    """`python -m generator serve` on a free port of 127.0.0.1; yields its base URL."""
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    server = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--quiet", "--port", str(port)],
                              cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while True:
            try:
                _get(f"{base}/__vellum_version")
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    pytest.fail("serve did not start: " + (server.stderr.read() if server.poll() is not None else ""))
                time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_serve_rebuilds_on_change_and_tells_pages_to_reload(tmp_path):
    root = make_project(tmp_path, {"a": {"index.md": article("\nFirst version.\n")}})
    with _serving(root) as base:
        page = _get(f"{base}/a/")
        assert "First version." in page and "__vellum_status" in page
        version = _get(f"{base}/__vellum_version")
        (root / "articles" / "a" / "index.md").write_text(article("\nSecond version.\n"))
        deadline = time.time() + 60
        while _get(f"{base}/__vellum_version") == version:
            assert time.time() < deadline, "no rebuild after the change"
            time.sleep(0.3)
        assert "Second version." in _get(f"{base}/a/")
        assert "__vellum_status" not in (root / "build" / "a" / "index.html").read_text()


@pytest.mark.browser
def test_serve_shows_a_failed_build_over_the_page_until_a_good_one(tmp_path, browser_page):
    root = make_project(tmp_path, {"a": {"index.md": article("\nFirst version.\n")}})
    index = root / "articles" / "a" / "index.md"
    with _serving(root) as base:
        page = browser_page.page
        page.goto(f"{base}/a/")
        index.write_text(article("\nSee @sec-nowhere.\n"))
        overlay = page.locator("#vellum-build-errors")
        overlay.wait_for(timeout=60000)
        text = overlay.text_content()
        assert "The build failed; this page is the last good build." in text
        assert "error: articles/a/index.md:12:" in text and "sec-nowhere" in text
        assert "First version." in page.inner_text("main")        # the last good build, under it
        index.write_text(article("\nFixed.\n"))
        page.wait_for_function("document.body.innerText.includes('Fixed.')", timeout=60000)
        assert overlay.count() == 0


@pytest.mark.skipif(torch_cuda_available(), reason="this machine has a GPU: --device cuda is valid here")
def test_device_cuda_without_a_gpu_is_one_clear_error(tmp_path):
    root = make_project(tmp_path)
    result = run(["build", "--device", "cuda"], root)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "error: --device cuda: torch sees no CUDA device — leave out --device to compute on the CPU, "
        "or install a CUDA build of torch")
    assert "Traceback" not in result.stderr and not (root / "build").exists()


def test_device_chooses_where_feature_visualizations_render():
    from generator.cli import _options, _parser
    from generator.figures.model_cards import loaded_model

    assert _options(_parser().parse_args(["build"])).device == "cpu"
    assert _options(_parser().parse_args(["build", "--device", "cuda"])).device == "cuda"
    assert next(loaded_model("tiny").parameters()).device.type == "cpu"
    assert loaded_model("tiny") is loaded_model("tiny", "cpu")       # one model per device and process
    assert next(loaded_model("tiny", "meta").parameters()).device.type == "meta"
    assert "VELLUM_DEVICE" not in os.environ                           # nothing travels in the environment

def test_a_failed_build_names_the_output_folder_it_left_alone(tmp_path, monkeypatch, capsys):
    root = make_project(tmp_path, {"a": {"index.md": article("\nSee @sec-nowhere.\n")}})
    monkeypatch.chdir(root)
    assert main(["build", "--quiet", "--out", "site"]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == "build failed: 1 problem; site/ was left as it was"
