"""An author's own model, classes and workflow, from the command line: changed weights
recompute what uses them, `check` computes and writes nothing, `build --article` keeps the
rest of the site, classes go by label or id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from PIL import Image

from figure_projects import figure, make_project, payload
from generator import interpret as vi
from generator.cli import main

ROOT = Path(__file__).resolve().parent.parent

# A model of the author's own: the tiny network with its own seed and four labelled classes.
MYNET = '''
from generator.interpret.tiny import TinyCNN

SEED = {seed}


def make():
    model = TinyCNN(num_classes=4, seed=SEED)
    model.labels = ["tabby", "Egyptian cat", "crane", "crane"]
    return model
'''

ATTRIBUTION = figure("spatial-attribution", """
id: fig-where
image: sample:chelsea
layer: blocks.1
classes: [Egyptian cat, tabby]
alt: Where the network sees each cat.
""")


def own_model_project(root: Path, seed: int) -> Path:
    make_project(root, ATTRIBUTION)
    index = root / "articles" / "a" / "index.md"
    index.write_text(index.read_text().replace("model: tiny", "model: mynet:make"))
    (root / "lib").mkdir(exist_ok=True)
    (root / "lib" / "mynet.py").write_text(MYNET.format(seed=seed))
    return root


def cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(root / "lib")]))
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def test_changed_weights_of_an_own_model_recompute_its_figures(tmp_path):
    root = own_model_project(tmp_path / "p", seed=1)
    assert cli(root, "build", "--quality", "tiny", "--quiet").returncode == 0
    provenance = json.loads((root / "build" / "a" / "provenance.json").read_text())
    first = provenance["figures"][0]["weights_sha256"]
    assert first != "0" * 64 and len(first) == 64
    maps = payload(root, "fig-where")["maps"]["data"]
    (root / "lib" / "mynet.py").write_text(MYNET.format(seed=2))      # new weights, same code
    assert cli(root, "build", "--quality", "tiny", "--quiet").returncode == 0
    provenance = json.loads((root / "build" / "a" / "provenance.json").read_text())
    assert provenance["figures"][0]["weights_sha256"] != first
    assert payload(root, "fig-where")["maps"]["data"] != maps         # recomputed, not served stale


def test_classes_go_by_label_and_the_page_names_them_with_their_ids(tmp_path):
    root = own_model_project(tmp_path / "p", seed=1)
    result = cli(root, "build", "--quality", "tiny", "--quiet")
    assert result.returncode == 0, result.stderr
    data = payload(root, "fig-where")
    assert [c["label"] for c in data["classes"]] == ["Egyptian cat (1)", "tabby (0)"]
    assert data["targets"][-1] == "Egyptian cat (1) − tabby (0)"


@pytest.mark.parametrize("classes, message", [
    ("[Egyptain cat, tabby]", "has no class 'Egyptain cat' — did you mean 'Egyptian cat' (1)?"),
    ("[crane, tabby]", "'crane' names 2 classes: crane (2) and crane (3) — write the id of the one you mean"),
    ('["1", 0]', None),                                                 # ids, as numbers or text
])
def test_a_misspelt_or_ambiguous_class_is_refused_at_its_line(tmp_path, classes, message):
    root = own_model_project(tmp_path / "p", seed=1)
    index = root / "articles" / "a" / "index.md"
    index.write_text(index.read_text().replace("[Egyptian cat, tabby]", classes))
    result = cli(root, "check")
    if message is None:
        assert result.returncode == 0, result.stderr
        return
    line = next(n for n, text in enumerate(index.read_text().splitlines(), 1) if text.startswith("classes:"))
    assert result.returncode == 1
    assert f"articles/a/index.md:{line}: figure fig-where 'classes[0]': " in result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_the_classes_command_finds_ids_by_label():
    found = cli(ROOT, "classes", "egyptian")
    assert found.returncode == 0 and found.stdout.split("\n")[0].split() == ["285", "Egyptian", "cat"]
    near = cli(ROOT, "classes", "space", "shutle")
    assert "no class of efficientnet_lite0 is called 'space shutle'" in near.stdout and "812  space shuttle" in near.stdout


def test_check_computes_nothing_and_writes_nothing(tmp_path, monkeypatch, capsys):
    root = make_project(tmp_path / "p", figure("activation-grid", """
image: sample:chelsea
layer: blocks.1
alt: A grid.
"""), figure("feature-vis", """
layer: blocks.1
units: {top: 3}
image: sample:chelsea
alt: Three units.
"""))
    monkeypatch.chdir(root)
    started = time.perf_counter()
    assert main(["check"]) == 0
    assert time.perf_counter() - started < 10
    assert not (root / ".cache").exists() and not (root / "build").exists()
    assert "nothing computed, nothing written" in capsys.readouterr().out
    index = root / "articles" / "a" / "index.md"
    index.write_text(index.read_text().replace("layer: blocks.1\nalt: A grid.", "layer: blocks.9\nalt: A grid."))
    assert main(["check"]) == 1
    assert "has no layer 'blocks.9'" in capsys.readouterr().err
    assert not (root / ".cache").exists()


def test_building_one_article_keeps_the_others_and_lists_them(tmp_path, monkeypatch):
    root = make_project(tmp_path / "p")
    second = root / "articles" / "b"
    second.mkdir()
    (second / "index.md").write_text((root / "articles" / "a" / "index.md").read_text()
                                     .replace("title: Figures", "title: Second"))
    monkeypatch.chdir(root)
    assert main(["build", "--quiet", "--quality", "tiny"]) == 0
    whole = {p.relative_to(root / "build").as_posix(): p.read_bytes()
             for p in (root / "build").rglob("*") if p.is_file()}
    assert main(["build", "--quiet", "--quality", "tiny", "--article", "b"]) == 0
    again = {p.relative_to(root / "build").as_posix(): p.read_bytes()
             for p in (root / "build").rglob("*") if p.is_file()}
    assert again == whole                          # the other article, the index and the feed as they were
    index = (root / "build" / "index.html").read_text()
    assert 'href="a/index.html"' in index and 'href="b/index.html"' in index


def test_the_engine_names_a_channel_out_of_range():
    model = vi.load_model("tiny")
    with pytest.raises(vi.ChannelOutOfRange) as err:
        vi.feature_vis(model, [vi.channel("blocks.1", 500)], size=32, steps=1)
    assert err.value.message == "channel 500 is out of range for layer 'blocks.1', which has 24 channels"
    assert err.value.fix == "use 0 to 23"


# A model file beside the article, whose factory says what the engine should know of it.
BESIDE = '''
from generator import interpret as vi
from generator.interpret.tiny import TinyCNN


def make():
    net = TinyCNN(num_classes=3, seed=5)
    return vi.ModelInfo(net, input_size=64, labels=["tabby", "Egyptian cat", "lynx"])
'''


def test_a_model_file_beside_the_article_builds_and_its_keys_do_not_depend_on_the_folder(tmp_path):
    keys = []
    for place in ("one", "two"):
        root = make_project(tmp_path / place, ATTRIBUTION)
        index = root / "articles" / "a" / "index.md"
        index.write_text(index.read_text().replace("model: tiny", "model: ./mynet.py:make"))
        (root / "articles" / "a" / "mynet.py").write_text(BESIDE)
        result = cli(root, "build", "--quality", "tiny", "--quiet")
        assert result.returncode == 0, result.stderr
        assert [c["label"] for c in payload(root, "fig-where")["classes"]] == ["Egyptian cat (1)", "tabby (0)"]
        provenance = json.loads((root / "build" / "a" / "provenance.json").read_text())
        keys.append([job["key"] for job in provenance["figures"][0]["jobs"]])
    assert keys[0] == keys[1]


def test_an_own_model_beside_a_labelled_dataset_links_its_units_and_publishes_no_local_path(tmp_path):
    """The dataset's labels name the tiny model's classes: the own model knows none of them, so
    they are left out of its unit pages (not an error); its unit references link; notebooks
    and provenance name the model's file and the photos inside the journal, not on this disk."""
    root = make_project(tmp_path / "p", figure("dataset-examples", textwrap.dedent("""
        id: fig-dx
        dataset: photos
        layer: blocks.1
        units: [0, 1]
        top: 2
        alt: Photos that excite two channels.
        """)))
    (root / "site.yml").write_text((root / "site.yml").read_text().split("\ndatasets:")[0]
                                   + "\ndatasets:\n  photos: {path: data/photos, labels: data/labels.csv}\n")
    (root / "data" / "photos").mkdir(parents=True)
    for name in ("chelsea", "coffee"):
        picture = Image.open(vi.sample_path(name)).convert("RGB")
        picture.thumbnail((80, 80))
        picture.save(root / "data" / "photos" / f"{name}.jpg")
    (root / "data" / "labels.csv").write_text("chelsea.jpg,class 1\ncoffee.jpg,class 2\n")
    own = root / "articles" / "b"
    own.mkdir()
    (own / "mynet.py").write_text(BESIDE)
    (own / "index.md").write_text((root / "articles" / "a" / "index.md").read_text()
                                  .replace("model: tiny", "model: ./mynet.py:make")
                                  .replace("Some text.", "Channel blocks.1:2 of my network.")
                                  .replace("fig-dx", "fig-own"))
    result = cli(root, "build", "--quality", "tiny", "--quiet")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    page = (root / "build" / "b" / "index.html").read_text()
    assert 'href="../units/mynet/blocks.1/2/index.html"' in page and 'data-card="unit-card-' in page
    assert (root / "build" / "units" / "mynet" / "blocks.1" / "2" / "index.html").is_file()
    leaked = [p.relative_to(root).as_posix() for p in (root / "build").rglob("*")
              if p.is_file() and str(tmp_path).encode() in p.read_bytes()]
    assert not leaked
    notebook = (root / "build" / "b" / "notebooks" / "fig-own.ipynb").read_text()
    assert "vi.load_model('articles/b/mynet.py:make')" in notebook and "Path('data/photos')" in notebook
    provenance = json.loads((root / "build" / "b" / "provenance.json").read_text())
    assert provenance["figures"][0]["model"] == "articles/b/mynet.py:make"


@pytest.mark.parametrize("net, message", [
    ("torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3))",
     "the model's forward pass fails on a (1, 3, 224, 224) float32 input: RuntimeError: "),
    ("ModelInfo(Dict(), input_size=64)", "the model's forward returns a dict, not a tensor of class scores"),
])
def test_a_model_whose_forward_fails_is_said_at_the_front_matter_line(tmp_path, net, message):
    root = make_project(tmp_path / "p", ATTRIBUTION)
    index = root / "articles" / "a" / "index.md"
    index.write_text(index.read_text().replace("model: tiny", "model: ./net.py:make"))
    (root / "articles" / "a" / "net.py").write_text(
        "import torch\nfrom generator.interpret import ModelInfo\n\n\nclass Dict(torch.nn.Module):\n"
        "    def forward(self, x):\n        return {'logits': x.mean((2, 3))}\n\n\n"
        f"def make():\n    return {net}\n")
    result = cli(root, "check")
    line = next(n for n, text in enumerate(index.read_text().splitlines(), 1) if text.startswith("model:"))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    [error] = [l for l in result.stderr.splitlines() if l.startswith("error:")]
    assert error.startswith(f"error: articles/a/index.md:{line}: front matter 'model': {message}")


def test_a_wrong_article_model_is_said_once_at_its_front_matter_line(tmp_path):
    root = make_project(tmp_path / "p", ATTRIBUTION, ATTRIBUTION.replace("fig-where", "fig-again"))
    index = root / "articles" / "a" / "index.md"
    index.write_text(index.read_text().replace("model: tiny", "model: ./nowhere.py:make"))
    result = cli(root, "check")
    line = next(n for n, text in enumerate(index.read_text().splitlines(), 1) if text.startswith("model:"))
    errors = [l for l in result.stderr.splitlines() if l.startswith("error:")]
    assert result.returncode == 1 and len(errors) == 1, result.stderr
    assert errors[0] == (f"error: articles/a/index.md:{line}: front matter 'model': model file './nowhere.py' "
                         "not found — put it in a/ or fix `model:`")


@pytest.mark.browser
def test_the_draft_banner_spans_the_text_and_no_authors_shows_no_author_headings(tmp_path, monkeypatch,
                                                                                   browser_page):
    root = make_project(tmp_path / "p")
    index = root / "articles" / "a" / "index.md"
    index.write_text(index.read_text().replace("authors:\n  - name: Ada Example\n", ""))
    monkeypatch.chdir(root)
    assert main(["build", "--quiet"]) == 0
    browser_page.open(root / "build" / "a" / "index.html")
    banner = browser_page.page.locator(".status-banner > p")
    assert banner.inner_text().startswith("Draft:")
    assert banner.bounding_box()["width"] > 500           # the text column, not the margin's 85 px
    assert browser_page.page.locator(".byline-authors").count() == 0
    assert "Authors" not in browser_page.page.locator(".byline").inner_text()


def test_an_article_without_a_thumbnail_gets_its_first_figure(tmp_path, monkeypatch):
    root = make_project(tmp_path / "p", figure("image", """
id: fig-photo
src: sample:coffee
alt: A cup of coffee.
"""))
    monkeypatch.chdir(root)
    assert main(["build", "--quiet"]) == 0
    page = (root / "build" / "a" / "index.html").read_text()
    [picture] = (root / "build" / "a" / "data").glob("coffee.*.png")
    assert f'<meta property="og:image" content="https://vellum.example.org/a/data/{picture.name}">' in page
    assert f'src="a/data/{picture.name}"' in (root / "build" / "index.html").read_text()
