"""`images:`: the reader picks the photo of a photo-based figure, every choice precomputed."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import BuildError

from figure_projects import build_tiny, figure, make_project, page_html

GRID = figure("activation-grid", """
id: fig-grid
images:
  - sample:chelsea
  - {image: sample:coffee, label: a cup of coffee}
  - sample:astronaut
layer: blocks.1
alt: A grid of synthetic images.
""")
ATTRIBUTION = figure("channel-attribution", """
id: fig-ca
images: [sample:chelsea, sample:coffee]
layer: blocks.1
classes: [1, 2]
alt: Bars and icons.
""")
SPATIAL = figure("spatial-attribution", """
id: fig-sa
images: [sample:chelsea, sample:coffee]
layer: blocks.1
classes: [1]
alt: A map over the photo.
""")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = make_project(tmp_path_factory.mktemp("photos"), GRID, ATTRIBUTION, SPATIAL)
    build_tiny(root)
    return root


def _error(tmp_path: Path, block: str) -> str:
    make_project(tmp_path, block)
    with pytest.raises(BuildError) as caught:
        build_tiny(tmp_path)
    return str(caught.value)


# --- spec -----------------------------------------------------------------------------------

def test_image_and_images_together_are_refused(tmp_path):
    text = _error(tmp_path, figure("activation-grid", "image: sample:chelsea\nimages: [sample:coffee]\nlayer: blocks.1\nalt: x"))
    assert "articles/a/index.md:14:" in text and "either `image` or `images`" in text


def test_an_unknown_photo_names_its_item(tmp_path):
    text = _error(tmp_path, figure("spatial-attribution",
                                   "images:\n  - sample:chelsea\n  - sample:chelsy\nlayer: blocks.1\nclasses: [1]\nalt: x"))
    assert "articles/a/index.md:14:" in text and "'images[1]'" in text and "unknown sample image 'chelsy'" in text


def test_at_most_eight_photos_each_once(tmp_path):
    nine = "\n".join(f"  - sample:{name}" for name in
                     ["chelsea", "coffee", "astronaut", "rocket", "motorcycle_left", "china", "flower", "grace_hopper", "chelsea"])
    assert "lists 9 photos" in _error(tmp_path, figure("activation-grid", f"images:\n{nine}\nlayer: blocks.1\nalt: x"))
    twice = figure("activation-grid", "images: [sample:coffee, sample:coffee]\nlayer: blocks.1\nalt: x")
    assert "lists a photo twice" in _error(tmp_path / "twice", twice)


def test_a_photo_file_that_is_missing_names_its_item(tmp_path):
    text = _error(tmp_path, figure("neuron-groups", "images: [sample:chelsea, photos/dog.jpg]\nlayer: blocks.1\nalt: x"))
    assert "'images[1]'" in text and "dog.jpg" in text


# --- the built page -------------------------------------------------------------------------

def test_every_photo_is_computed_and_only_the_first_is_live(site):
    html = page_html(site)
    grid = html[html.index('id="fig-grid"'):html.index('id="fig-ca"')]
    assert grid.count('class="pc-thumb"') == 3 and grid.count('<template class="pc-template"') == 2
    assert 'aria-checked="true"' in grid.split('class="pc-thumb"')[1]
    assert "a cup of coffee" in grid and ">astronaut<" in grid
    view = grid[grid.index('class="pc-view"'):grid.index("<template")]
    assert 'data-key="fig-grid-photo1"' in view and "photo2" not in view and "photo3" not in view
    data = site / "build" / "a" / "data"
    for n in (1, 2, 3):                      # each photo's views have their own data
        assert len(list(data.glob(f"fig-grid-photo{n}.*.js"))) == 1
        assert len(list(data.glob(f"fig-grid-photo{n}-blocks-1-cells.*"))) == 1
        assert len(list(data.glob(f"fig-grid-thumb{n}.*.webp"))) == 1
    cells = {p.read_bytes() for p in data.glob("fig-grid-photo*-blocks-1-cells.*")}
    assert len(cells) == 3                   # three photos, three different grids


def test_a_rebuild_computes_nothing(site):
    assert build_tiny(site).computed == 0


def _keys(figure) -> list[str]:
    return figure.evaluate("f => Array.from(f.querySelectorAll('.pc-view [data-key]')).map(e => e.dataset.key)")


@pytest.mark.browser
@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_picking_a_photo_changes_every_view(site, browser_page, width, height):
    page = browser_page.page
    page.set_viewport_size({"width": width, "height": height})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    browser_page.open(site / "build" / "a" / "index.html")
    figure = page.locator("#fig-grid")
    figure.scroll_into_view_if_needed()
    figure.locator("vellum-activation-grid.is-drawn").wait_for()     # laid out at once, drawn with its data
    before = figure.locator(".ag-photo img").get_attribute("src")
    cells_before = figure.locator(".ag-cell").first.evaluate("c => getComputedStyle(c).backgroundImage")
    assert not any("photo2" in url for url in requests)          # a template loads nothing
    figure.locator(".pc-thumb", has_text="a cup of coffee").click()
    figure.locator('.pc-view[data-choice="1"] vellum-activation-grid.is-drawn').wait_for()
    assert _keys(figure) == ["fig-grid-photo2"]
    assert figure.locator(".ag-photo img").get_attribute("src") != before
    assert figure.locator(".ag-cell").first.evaluate("c => getComputedStyle(c).backgroundImage") != cells_before
    figure.locator(".ag-cell").nth(3).hover()                   # the new photo's dictionary follows
    assert figure.locator(".sd-panel .sd-item").count() == 4
    thumb = figure.locator('.pc-thumb[aria-checked="true"]')
    assert thumb.inner_text() == "a cup of coffee"
    thumb.press("ArrowRight")                                   # the keyboard picks too
    figure.locator('.pc-view[data-choice="2"] vellum-activation-grid.is-drawn').wait_for()
    assert _keys(figure) == ["fig-grid-photo3"]
    assert page.evaluate("document.activeElement.textContent") == "astronaut"
    thumb = figure.locator('.pc-thumb[aria-checked="true"]')
    thumb.press("Home")
    assert _keys(figure) == ["fig-grid-photo1"]
    assert figure.locator(".ag-photo img").get_attribute("src") == before

    spatial = page.locator("#fig-sa")                          # a component that starts on page load
    spatial.scroll_into_view_if_needed()
    spatial.locator(".pc-thumb").nth(1).click()
    spatial.locator('.pc-view[data-choice="1"] vellum-attribution.is-drawn').wait_for()
    assert _keys(spatial) == ["fig-sa-photo2"]
    chart = page.locator("#fig-ca")                             # and a Bokeh chart
    chart.scroll_into_view_if_needed()
    chart.locator(".pc-thumb").nth(1).click()
    page.wait_for_function("""() => {
        const view = document.querySelector('#fig-ca .pc-view');
        return view.dataset.choice === '1' && view.querySelector('.is-drawn');
    }""")
    browser_page.assert_clean()
