"""In an author's hands: paths that leave the article, editors' temporary files, files that
vanish mid-build, and errors that are nobody's fault but the tool's."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import serve
from generator.build import BuildOptions, plan_cache
from generator.cli import main
from projects import FRONT, make_project


@pytest.mark.parametrize("thumbnail, message", [
    ("../../pyproject.toml", "front matter 'thumbnail': file '../../pyproject.toml' is outside the article folder "
                             "— keep an article's inputs inside its folder"),
    ("/etc/host.conf", "front matter 'thumbnail': file '/etc/host.conf' is outside the article folder "
                       "— keep an article's inputs inside its folder"),
    ("missing.png", "front matter 'thumbnail': file 'missing.png' not found — put it at articles/a/missing.png "
                    "or fix `thumbnail:`"),
    ("thumb", "front matter 'thumbnail': 'thumb' is not an image file — name a .png, .jpg, .webp or .gif file "
              "beside index.md"),
])
def test_a_thumbnail_must_be_an_image_inside_the_article(tmp_path, monkeypatch, capsys, thumbnail, message):
    front = FRONT.replace("status: draft", f"status: draft\nthumbnail: {thumbnail}")
    root = make_project(tmp_path / "p", {"a": {"index.md": front + "\nHello.\n", "thumb": "not an image"}})
    monkeypatch.chdir(root)
    assert main(["build", "--quiet"]) == 1
    line = next(n for n, text in enumerate(front.splitlines(), 1) if text.startswith("thumbnail:"))
    err = capsys.readouterr().err
    assert f"error: articles/a/index.md:{line}: {message}" in err and "Traceback" not in err
    assert not (root / "build").exists()


def test_a_bibliography_outside_the_article_is_refused(tmp_path, monkeypatch, capsys):
    front = FRONT.replace("bibliography: references.bib", "bibliography: ../../site.yml")
    root = make_project(tmp_path / "p", {"a": {"index.md": front + "\nHello.\n"}})
    monkeypatch.chdir(root)
    assert main(["build", "--quiet"]) == 1
    assert "front matter 'bibliography': file '../../site.yml' is outside the article folder" in capsys.readouterr().err


def test_editor_temporaries_and_vanishing_files_are_not_inputs(tmp_path, monkeypatch):
    folder = tmp_path / "a"
    folder.mkdir()
    for name in ("photo.png", "4913", "notes.md.swp", "notes.md~", ".#index.md", ".hidden", "gone.png"):
        (folder / name).write_bytes(b"x")
    real = plan_cache.sha256_file

    def vanishing(path):
        if Path(path).name == "gone.png":
            raise FileNotFoundError(path)            # deleted between the listing and the read
        return real(path)

    monkeypatch.setattr(plan_cache, "sha256_file", vanishing)
    assert list(plan_cache._folder_files(folder)) == ["photo.png"]
    assert serve.is_scratch("4913") and not serve.is_scratch("photo.png")


def test_serve_keeps_serving_after_an_unexpected_error(tmp_path, monkeypatch, capsys):
    from generator import build as build_package

    def broken(options):
        raise ValueError("not the author's fault")

    monkeypatch.setattr(build_package, "build", broken)
    assert serve._rebuild(BuildOptions(root=tmp_path, progress=False)) is False
    [line] = serve._State.errors
    assert line.startswith("error: unexpected ValueError: not the author's fault (at test_robustness.py line")
    assert "the last good build is still served" in capsys.readouterr().err
    serve._State.errors = []


def test_a_transparent_photo_is_shown_on_white_with_a_warning(tmp_path, monkeypatch, capsys):
    from PIL import Image

    from figure_projects import figure, make_project as figure_project

    root = figure_project(tmp_path / "p", figure("spatial-attribution", """
id: fig-where
image: logo.png
layer: blocks.1
classes: [0, 1]
alt: Where.
"""))
    Image.new("RGBA", (80, 80), (200, 30, 30, 0)).save(root / "articles" / "a" / "logo.png")
    monkeypatch.chdir(root)
    assert main(["check"]) == 0
    err = capsys.readouterr().err
    line = next(n for n, text in enumerate((root / "articles" / "a" / "index.md").read_text().splitlines(), 1)
                if text.startswith("image:"))
    assert (f"warning: articles/a/index.md:{line}: figure fig-where 'image': logo.png has transparent pixels; "
            "the model sees them as white — flatten the photo on the background you want the model to see") in err


@pytest.mark.parametrize("name", ["My Article", "über-netze", "Caps"])
def test_an_article_folder_that_cannot_be_a_url_is_refused(tmp_path, monkeypatch, capsys, name):
    root = make_project(tmp_path / "p", {name: {}})
    monkeypatch.chdir(root)
    assert main(["build", "--quiet"]) == 1
    assert (f"error: articles/{name}: article folder '{name}' is not a valid name: it becomes the article's URL "
            "— rename the folder; use lowercase letters, digits and hyphens") in capsys.readouterr().err


def test_serve_answers_like_a_static_host(tmp_path):
    import http.client

    from test_cli import _serving

    root = make_project(tmp_path / "p", {"a": {}})
    with _serving(root) as base:
        port = int(base.rsplit(":", 1)[1])

        def ask(method, path):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request(method, path)
            response = connection.getresponse()
            body = response.read()
            connection.close()
            return response.status, dict(response.getheaders()), body

        status, headers, _ = ask("GET", "/a")
        assert status == 301 and headers["Location"] == "/a/"          # relative images resolve
        status, get_headers, body = ask("GET", "/a/")
        assert status == 200 and int(get_headers["Content-Length"]) == len(body)
        status, head_headers, _ = ask("HEAD", "/a/")
        assert status == 200 and head_headers["Content-Length"] == get_headers["Content-Length"]
        assert ask("GET", "/a%00/")[0] == 400
        assert ask("GET", "/" + "x" * 10000)[0] == 414


def test_a_run_record_does_not_depend_on_what_the_process_imported():
    import json
    import subprocess
    import sys

    import torch  # noqa: F401  (imported here, not in the fresh process below)
    from generator.pipeline.executors import run_record

    code = "import json, sys; from generator.pipeline.executors import run_record; " \
           "print(json.dumps(json.loads(run_record(1.0))['versions'])); assert 'torch' not in sys.modules"
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                           cwd=Path(__file__).resolve().parent.parent)
    assert fresh.returncode == 0, fresh.stderr
    assert json.loads(fresh.stdout) == json.loads(run_record(1.0))["versions"]


def test_readers_never_find_the_site_missing_while_it_is_republished(tmp_path, monkeypatch):
    import threading

    root = make_project(tmp_path / "p", {"a": {}})
    monkeypatch.chdir(root)
    assert main(["build", "--quiet"]) == 0
    index, missing, done = root / "build" / "index.html", [], threading.Event()

    def read():
        while not done.is_set():
            if not index.exists():
                missing.append(1)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(10):
            assert main(["build", "--quiet"]) == 0
    finally:
        done.set()
        reader.join()
    assert missing == []


def test_a_second_build_waits_for_the_first_and_says_so(tmp_path):
    import fcntl
    import os
    import subprocess
    import sys
    import time

    root = make_project(tmp_path / "p", {"a": {}})
    (root / ".cache").mkdir()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    with open(root / ".cache" / "build.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)                            # a build that is running
        second = subprocess.Popen([sys.executable, "-m", "generator", "build", "--quiet"], cwd=root, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert second.poll() is None and not (root / "build").exists()   # it waits
        fcntl.flock(lock, fcntl.LOCK_UN)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert "another build of this project is running" in err and (root / "build" / "index.html").exists()


def test_a_journal_reparses_only_what_changed_and_keeps_its_warnings(tmp_path, monkeypatch, capsys):
    from generator import markdown
    from projects import BIB, article

    root = make_project(tmp_path / "p", {"a": {"index.md": article("\nSee [@olah2017feature].\n")},
                                         "b": {"index.md": article("\nSee [@erhan2009visualizing].\n")}})
    monkeypatch.chdir(root)
    assert main(["build", "--quiet"]) == 0
    first = capsys.readouterr().err
    assert "reference 'erhan2009visualizing' is never cited" in first
    real = markdown.render_markdown
    rendered = []
    monkeypatch.setattr(markdown, "render_markdown", lambda *a, **k: rendered.append(k["path"]) or real(*a, **k))
    assert main(["build", "--quiet"]) == 0
    assert rendered == [] and capsys.readouterr().err == first       # from the cache, warnings and all
    (root / "articles" / "b" / "references.bib").write_text(BIB.replace("Visualizing Higher-Layer", "Seeing Higher-Layer"))
    assert main(["build", "--quiet"]) == 0
    assert rendered == ["articles/b/index.md"]                         # only the changed article
    assert "Seeing Higher-Layer Features" in (root / "build" / "b" / "index.html").read_text()
