"""Unit pages: a page for every unit of every layer the articles use, built with the site,
linked from the prose, readable offline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from figure_projects import FRONT, build_tiny, figure, make_project, page_html
from generator import interpret as vi
from test_datasets import SITE, photo_folder

FIGURES = figure("feature-vis", """
id: fig-units
layer: blocks.1
units: [2, 5]
alt: Two units.
""") + ("\nChannel blocks.1:5 is named in the text, blocks.1:99 is no unit, and `blocks.0:1` is code.\n"
      "A slip, blocks.19:2, and a version number, numpy.linalg:2, stay text.\n") + figure(
    "semantic-dictionary", """
id: fig-dictionary
image: sample:chelsea
layer: blocks.1
at: [2, 3]
alt: Four channels.
""")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = make_project(tmp_path_factory.mktemp("units"), FIGURES)
    (root / "site.yml").write_text(SITE + "  photos: {path: data/photos}\nunits:\n  - {model: tiny, layers: all}\n")
    photo_folder(root / "data" / "photos")
    WARNINGS[:] = [str(w) for w in build_tiny(root).warnings]
    return root


WARNINGS: list[str] = []          # the site's build's


def unit_page(site: Path, layer: str, unit: int) -> str:
    return (site / "build" / "units" / "tiny" / layer / str(unit) / "index.html").read_text(encoding="utf-8")


def test_every_unit_of_a_used_layer_has_a_page(site):
    model = vi.load_model("tiny")
    channels = {info.name: info.channels for info in vi.layers(model)}
    for layer in ("blocks.1", "blocks.0"):                 # a figure's layer, and one `layers: all` adds
        folder = site / "build" / "units" / "tiny" / layer
        assert sorted(int(p.name) for p in folder.iterdir() if p.is_dir()) == list(range(channels[layer]))
        grid = (folder / "index.html").read_text(encoding="utf-8")
        assert len(re.findall(r'<a href="\d+/index.html"', grid)) == channels[layer]
    index = (site / "build" / "units" / "index.html").read_text(encoding="utf-8")
    assert 'href="tiny/blocks.1/index.html"' in index and 'href="tiny/blocks.0/index.html"' in index


def test_a_unit_page_shows_its_strongest_photos_in_order(site):
    from test_datasets import datasets_of

    dataset = datasets_of(site)[0]["photos"]
    model = vi.load_model("tiny")
    strongest = {image.path: float(vi.activations(model, dataset.file(image), ["blocks.1"])["blocks.1"][5].max())
                 for image in dataset.images}
    html = unit_page(site, "blocks.1", 5)
    section = html.split("The photos that excite it most", 1)[1].split("</section>", 1)[0]
    shown = re.findall(r'<li title="([^:"]+): ([\d.-]+) at', section)
    assert [name for name, _ in shown] == sorted(strongest, key=lambda p: (-strongest[p], p))[:len(shown)]
    assert len(shown) == min(8, len(dataset.images))
    assert "median:" in html and "99th percentile:" in html
    row = html.split('<div class="unit-diversity-row">', 1)[1].split("</div>", 1)[0]
    assert row.count('class="unit-crop"') == 4                      # four diversity images
    sprite = re.search(r'src="((?:\.\./)+units/tiny/blocks\.1/diversity-0\.[0-9a-f]+\.(?:webp|png))"', row)
    assert sprite and (site / "build" / "units" / "tiny" / "blocks.1" / "5" / sprite[1]).resolve().is_file()
    assert re.search(r'<svg viewBox="0 0 360 90"[^>]*aria-label="Histogram of its activations over 8 photos', html)


def test_prose_references_link_to_unit_pages_and_count_as_mentions(site):
    article = page_html(site)
    assert ('<a class="unit-ref" href="../units/tiny/blocks.1/5/index.html" data-card="unit-card-tiny-blocks-1-5">'
            'blocks.1:5</a>') in article
    assert ('<a class="unit-ref" href="../units/tiny/blocks.0/1/index.html" data-card="unit-card-tiny-blocks-0-1">'
            '<code>blocks.0:1</code></a>') in article
    assert '<template id="unit-card-tiny-blocks-1-5">' in article and "unit-card-tiny-blocks-1-99" not in article
    assert "blocks.1:99 is no unit" in article and "blocks.1/99" not in article
    line = FRONT.count("\n") + FIGURES[:FIGURES.index("Channel blocks.1:5")].count("\n") + 1
    said = [w for w in WARNINGS if "unit reference" in w]
    paged = sorted(p.name for p in (site / "build" / "units" / "tiny").iterdir() if p.is_dir())
    assert said == [f"articles/a/index.md:{line}: unit reference blocks.1:99: layer blocks.1 has 24 units, so it "
                    "stays text — use a unit from 0 to 23",
                    f"articles/a/index.md:{line + 1}: unit reference blocks.19:2: the model has no layer 'blocks.19', "
                    "so it stays text — the layers with unit pages are "
                    + ", ".join(paged)]
    five, two = unit_page(site, "blocks.1", 5), unit_page(site, "blocks.1", 2)
    assert "in the text" in five and "in the text" not in two
    assert re.search(r'<a href="\.\./\.\./\.\./\.\./a/index.html#fig-units">Figures</a>, Figure 1', two)


def test_building_one_article_keeps_the_unit_pages(site):
    from generator.build import BuildOptions, build

    before = unit_page(site, "blocks.1", 5)
    build(BuildOptions(root=site, quality="tiny", progress=False, article="a"))
    assert unit_page(site, "blocks.1", 5) == before


@pytest.mark.browser
def test_a_unit_page_opens_from_the_text_and_its_links_work(site, browser_page):
    browser_page.open(site / "build" / "a" / "index.html")
    page = browser_page.page
    reference = page.locator("a.unit-ref", has_text="blocks.1:5")
    reference.click()                                          # the first click opens the unit's card
    card = page.locator("#vellum-hover-card")
    card.wait_for(state="visible")
    assert "UNIT BLOCKS.1:5" in card.inner_text().upper()
    assert card.locator("img").first.evaluate("img => img.complete && img.naturalWidth > 0")
    assert card.locator(".uc-examples img").count() >= 1 and card.locator(".uc-diversity img").count() == 4
    page.mouse.move(2, 2)
    page.wait_for_timeout(400)
    assert card.is_visible()                                   # it stays open on click
    page.keyboard.press("Escape")
    assert card.is_hidden()                                    # and Escape closes it
    reference.click()
    reference.click()                                          # the second click opens the page
    page.wait_for_url(re.compile(r".*/units/tiny/blocks\.1/5/index\.html$"))
    assert page.locator("h1").inner_text() == "blocks.1:5"
    assert page.locator(".unit-examples img").first.evaluate("img => img.complete && img.naturalWidth > 0")
    page.locator("a[rel=next]").click()
    assert page.locator("h1").inner_text() == "blocks.1:6"
    page.locator(".unit-neighbours a", has_text="all").click()
    assert page.locator(".unit-grid a").count() >= 7
    page.locator(".unit-trail a", has_text="Units").click()
    assert page.locator(".unit-layers a").count() == 2
    browser_page.assert_clean()


@pytest.mark.browser
def test_a_unit_in_a_figure_opens_its_card(site, browser_page):
    """A figure's link to a unit page shows the unit's card, loaded from its layer's
    cards.js the first time; a click keeps it, Escape closes it, a second click opens the page."""
    cards = (site / "build" / "units" / "tiny" / "blocks.1" / "cards.js").read_text(encoding="utf-8")
    assert cards.count("<template id=\\\"unit-card-tiny-blocks-1-") == 24      # every unit of the layer
    browser_page.open(site / "build" / "a" / "index.html")
    page = browser_page.page
    entry = page.locator("#fig-dictionary a.sd-label").first
    entry.scroll_into_view_if_needed()
    unit = entry.get_attribute("href").split("/")[-2]
    assert page.locator(f"#unit-card-tiny-blocks-1-{unit}").count() == 0       # not in the page until asked for
    entry.hover()
    card = page.locator("#vellum-hover-card")
    card.wait_for(state="visible")
    assert f"UNIT BLOCKS.1:{unit}" in card.inner_text().upper()
    assert card.locator("img").first.evaluate("img => img.complete && img.naturalWidth > 0")
    page.mouse.move(2, 2)
    card.wait_for(state="hidden")
    entry.click()                                                               # a click keeps it open
    card.wait_for(state="visible")
    page.mouse.move(2, 2)
    page.wait_for_timeout(400)
    assert card.is_visible()
    page.keyboard.press("Escape")
    assert card.is_hidden()
    entry.click()
    entry.click()                                                               # the second click opens the page
    page.wait_for_url(re.compile(rf".*/units/tiny/blocks\.1/{unit}/index\.html$"))
    browser_page.assert_clean()


def test_effects_are_the_derivative_of_what_follows(tmp_path):
    """A unit's effect on a logit is d logit / d (the unit raised everywhere), by finite
    difference; checked against autograd on the tiny model."""
    import json

    import torch

    from generator.figures.unit_effects import run_effects
    from generator.pipeline.runtime import CPU

    path = vi.sample_path("chelsea")
    params = {"model": "tiny", "layer": "blocks.0", "following": "blocks.1", "size": 64, "crop": "none",
              "step": 0.01, "top": 3, "photos": ["image0"], "files": {"image0": str(path)}}
    found = json.loads(run_effects(params, CPU)["effects.json"])
    model = vi.load_model("tiny")
    image = vi.load_image(path, 64)[None]
    kept = {}
    handle = vi.get_layer(model, "blocks.0").register_forward_hook(
        lambda _m, _i, out: kept.setdefault("a", out.detach().requires_grad_(True)))
    try:
        logits = model(image)[0]
    finally:
        handle.remove()
    for unit in (0, 3):
        for cls, effect in found["classes"][unit]:
            (grad,) = torch.autograd.grad(logits[cls], kept["a"], retain_graph=True)
            assert abs(effect - float(grad[0, unit].sum())) <= 0.05 * abs(effect) + 1e-3
    matrix = found["following_matrix"]
    assert [u for u, _ in found["following"][2]] == sorted(range(len(matrix[2])), key=lambda j: -matrix[2][j])[:3]


def test_unit_pages_list_downstream_effects_both_ways(site):
    zero, one = unit_page(site, "blocks.0", 2), unit_page(site, "blocks.1", 4)
    assert "Classes it supports most" in zero and "Units of blocks.1 it excites most" in zero
    assert "Units of blocks.0 that excite it most" in one
    assert re.search(r'<a href="\.\./\.\./blocks\.1/\d+/index.html">blocks\.1:\d+</a>', zero)


def test_a_labelled_dataset_gives_each_unit_its_classes_by_mean_activation(tmp_path):
    root = make_project(tmp_path, FIGURES)
    (root / "site.yml").write_text(SITE + "  photos: {path: data/photos, labels: data/labels.csv}\n")
    paths = photo_folder(root / "data" / "photos", 4)
    rel = [p.relative_to(root / "data" / "photos").as_posix() for p in paths]
    (root / "data" / "labels.csv").write_text("file,class\n" + "".join(f"{r},{i % 2 + 3}\n" for i, r in enumerate(rel)))
    build_tiny(root)
    html = unit_page(root, "blocks.1", 5)
    listed = re.findall(r"<li>class (\d) \(\d\) <span class=\"unit-value\">([+\u2212][\d.]+) \((\d) photos\)", html)
    model = vi.load_model("tiny")
    means = {}
    for i, path in enumerate(paths):
        value = float(vi.activations(model, path, ["blocks.1"])["blocks.1"][5].mean())
        means.setdefault(i % 2 + 3, []).append(value)
    expected = sorted(means, key=lambda c: -sum(means[c]) / 2)
    assert [int(c) for c, _, _ in listed] == expected and [n for _, _, n in listed] == ["2", "2"]


def test_the_journal_index_links_the_unit_pages(site):
    index = (site / "build" / "index.html").read_text(encoding="utf-8")
    assert '<a href="units/index.html">Units</a>' in index


def test_a_whole_model_is_its_blocks():
    from generator.figures.model_cards import ModelCards

    assert [info.name for info in ModelCards(None).get("tiny").blocks()] == ["blocks.0", "blocks.1"]


@pytest.mark.parametrize("entry, message", [
    ("{model: tiny, layers: [blocks.9]}", "site.yml:6: units: model 'tiny' has no layer 'blocks.9'"),
    ("{model: tiny, layers: [classifier]}", "site.yml:6: units: layer 'classifier' is the model's output"),
    ("{model: tinny, layers: all}", "site.yml:6: units: "),
])
def test_a_wrong_units_entry_names_its_site_yml_line(tmp_path, entry, message):
    from generator.build import BuildOptions, build
    from generator.errors import BuildError

    root = make_project(tmp_path, FIGURES)
    (root / "site.yml").write_text(SITE + "  photos: {path: data/photos}\nunits:\n  - " + entry + "\n")
    photo_folder(root / "data" / "photos")
    with pytest.raises(BuildError) as info:
        build(BuildOptions(root=root, progress=False, check=True))
    [line] = [str(p) for p in info.value.problems]
    assert line.startswith(message) and " — " in line


def test_layers_site_yml_adds_take_the_builds_quality(site):
    """`blocks.0` has pages only because site.yml asks for them: its icons are rendered at the
    quality the build was asked for, as those of `blocks.1`, which a figure uses."""
    sides = {layer: int(re.search(r'class="unit-icon">\s*<span class="unit-crop" style="width:(\d+)px',
                                  unit_page(site, layer, 0)).group(1)) for layer in ("blocks.0", "blocks.1")}
    assert sides["blocks.0"] == sides["blocks.1"], sides


def test_articles_sharing_a_layer_at_two_qualities_are_warned_of(tmp_path):
    """A layer's unit pages take the quality of the first article that uses it; a figure of
    the layer at another quality would show another picture than the unit's card: the build
    says so at that figure's line."""
    from generator.build import BuildOptions, build

    root = make_project(tmp_path, FIGURES)
    second = root / "articles" / "b"
    second.mkdir()
    text = (root / "articles" / "a" / "index.md").read_text(encoding="utf-8")
    (second / "index.md").write_text(text.replace("status: draft", "status: draft\nquality: final")
                                     .replace("published: 2026-11-26", "published: 2026-11-27"), encoding="utf-8")
    report = build(BuildOptions(root=root, progress=False, check=True))
    warned = [str(w) for w in report.warnings if "unit pages" in w.message]
    line = 1 + text.replace("status: draft", "status: draft\nquality: final").splitlines().index("```{feature-vis}")
    assert len(warned) == 1, warned
    assert warned[0].startswith(f"articles/b/index.md:{line}: this figure is at final quality, but the unit "
                                "pages of tiny/blocks.1 are at draft, the quality of a,")
    assert "same `quality:`" in warned[0]
    same = build(BuildOptions(root=root, progress=False, check=True, quality="draft"))
    assert not [w for w in same.warnings if "unit pages" in w.message]
