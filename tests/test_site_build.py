"""The example site, end to end: build, validate, rebuild identically, read in Chromium."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from generator.build import BuildOptions, build
from projects import ROOT, make_project
from validate_html import validate_html

GUIDE = "writing-with-vellum"


@pytest.fixture(scope="module")
def guide_site(tmp_path_factory) -> Path:
    """The example site (both articles) built from a copy of the repository with an empty
    cache: every computed figure comes from the articles' committed freeze."""
    root = make_project(tmp_path_factory.mktemp("site"))
    shutil.copytree(ROOT / "articles", root / "articles", ignore=shutil.ignore_patterns("__pycache__"))
    datasets = (ROOT / "site.yml").read_text(encoding="utf-8").split("\ndatasets:", 1)[1]
    with open(root / "site.yml", "a", encoding="utf-8") as site:      # the photos are not copied
        site.write("\ndatasets:" + datasets)
    report = build(BuildOptions(root=root, progress=False))
    assert report.computed == 0, "the committed freeze is stale: run `python -m generator freeze SLUG`"
    return root


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_site_layout(guide_site):
    out = guide_site / "build"
    names = files_of(out)
    for name in ("index.html", "feed.xml", "sitemap.xml", "404.html", f"{GUIDE}/index.html"):
        assert name in names
    assert any(re.fullmatch(r"static/bokeh/bokeh\.min\.[0-9a-f]{10}\.js", n) for n in names)
    assert any(re.fullmatch(rf"{GUIDE}/data/chelsea\.[0-9a-f]{{10}}\.png", n) for n in names)


def test_the_feed_and_sitemap_name_pages_by_their_canonical_urls(guide_site):
    import xml.etree.ElementTree as ET

    out = guide_site / "build"
    atom, sitemap = "{http://www.w3.org/2005/Atom}", "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    feed = ET.parse(out / "feed.xml").getroot()
    base = feed.find(f"{atom}id").text
    assert feed.find(f"{atom}link[@rel='self']").get("href") == base + "feed.xml"
    canonical = re.search(r'<link rel="canonical" href="([^"]+)"', (out / GUIDE / "index.html").read_text()).group(1)
    assert canonical == base + f"{GUIDE}/"
    assert canonical in [e.find(f"{atom}link").get("href") for e in feed.findall(f"{atom}entry")]
    assert canonical in [u.find(f"{sitemap}loc").text for u in ET.parse(out / "sitemap.xml").getroot()]


def test_pages_pass_the_html_checker(guide_site):
    pages = [p for p in (guide_site / "build").rglob("*.html")]
    errors = validate_html(pages)
    assert not errors, "\n".join(map(str, errors))


def test_pages_use_only_relative_urls(guide_site):
    for page in (guide_site / "build").rglob("*.html"):
        html = page.read_text()
        loaded = re.findall(r'<(?:script|img|source|iframe)[^>]+src="([^"]+)"', html)
        loaded += [re.search(r'href="([^"]+)"', tag).group(1)
                   for tag in re.findall(r"<link[^>]+>", html)
                   if re.search(r'rel="(stylesheet|icon|preload|modulepreload|manifest)"', tag)]
        assert loaded, f"{page.name} loads nothing?"
        for url in loaded:
            assert not re.match(r"^(https?:)?//", url), f"{page.name} loads {url} from the network"


def test_rebuild_is_byte_identical_and_cached(guide_site, tmp_path):
    first = files_of(guide_site / "build")
    report = build(BuildOptions(root=guide_site, out=tmp_path / "again", progress=False))
    assert files_of(tmp_path / "again") == first
    assert report.jobs >= 1


def test_head_has_scholar_and_social_tags(guide_site):
    html = (guide_site / "build" / GUIDE / "index.html").read_text()
    assert '<meta name="citation_title" content="Writing with Vellum">' in html
    assert html.count('name="citation_author"') == 2
    bib = (ROOT / "articles" / GUIDE / "references.bib").read_text()
    assert html.count('name="citation_reference"') == len(re.findall(r"^@\w+\{", bib, re.M))  # all cited
    assert 'property="og:title"' in html and 'name="twitter:card"' in html
    assert f'<link rel="canonical" href="https://journal.example.org/{GUIDE}/">' in html


@pytest.mark.browser
def test_hover_cards_and_bokeh_from_file_url(guide_site, browser_page):
    page = browser_page.page
    browser_page.open(guide_site / "build" / GUIDE / "index.html")
    card = page.locator("#vellum-hover-card")

    page.locator(".citation a").first.hover()
    card.wait_for(state="visible")
    assert "Feature Visualization" in card.inner_text()

    page.locator("a.footnote-ref, .footnote-ref a").first.hover()
    page.wait_for_function("document.getElementById('vellum-hover-card').innerText.includes('hover or focus')")

    page.locator('a.xref[href="#fig-cat"]').first.hover()
    page.wait_for_function("document.getElementById('vellum-hover-card').innerText.includes('scikit-image')")

    page.locator("#fig-curve").scroll_into_view_if_needed()
    page.wait_for_selector("#fig-curve canvas", timeout=10000)
    page.wait_for_timeout(300)
    chart = page.locator("#fig-curve .bokeh-figure")
    box = chart.bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + box["height"] + 30)            # off the chart: no hover
    before = chart.screenshot()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 3, box["y"] + box["height"] / 3, steps=5)
    page.mouse.up()
    page.mouse.move(box["x"] + 5, box["y"] + box["height"] + 30)
    page.evaluate("getSelection().removeAllRanges(); document.activeElement.blur()")   # no focus ring
    page.wait_for_timeout(600)
    assert chart.screenshot() == before                                     # a drag moves no data
    scrolled = page.evaluate("window.scrollY")
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, 300)                                                # the wheel scrolls the page
    page.wait_for_function(f"window.scrollY > {scrolled}")
    browser_page.assert_clean()


FLAGSHIP = "what-a-small-network-sees"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def flagship_figure(browser_page, site: Path, figure: str, drawn: str):
    """The flagship opened in `browser_page`, scrolled to `figure` until its `drawn` part is
    there (the figure builds itself near the viewport); returns the Playwright page."""
    page = browser_page.page
    browser_page.open(site / "build" / FLAGSHIP / "index.html")
    page.locator(f"#{figure}").scroll_into_view_if_needed()
    page.wait_for_selector(f"#{figure} {drawn}")
    # A component lays itself out at once and draws when its data is there.
    page.wait_for_function(f"!document.querySelector('#{figure} .is-laid-out:not(.is-drawn)')")
    return page


def flagship_at(browser_page, site: Path, width: int, height: int):
    """The flagship opened in a `width` x `height` viewport; returns the Playwright page."""
    browser_page.page.set_viewport_size({"width": width, "height": height})
    browser_page.open(site / "build" / FLAGSHIP / "index.html")
    return browser_page.page


def _scroll_through(page) -> None:
    """Scroll to the end in steps, so every lazily loaded figure loads its data."""
    height = page.evaluate("document.documentElement.scrollHeight")
    for y in range(0, height + 900, 700):
        page.evaluate(f"window.scrollTo(0, {y})")
        page.wait_for_timeout(60)
    page.wait_for_timeout(500)


@pytest.mark.browser
@pytest.mark.parametrize("slug", [FLAGSHIP, GUIDE])
def test_every_figure_renders_offline_and_passes_axe(guide_site, browser_page, slug):
    page = browser_page.page
    browser_page.open(guide_site / "build" / slug / "index.html")
    _scroll_through(page)
    figures = page.locator("figure.vellum-figure")
    assert figures.count() >= 8
    for i in range(figures.count()):
        figure = figures.nth(i)
        name = figure.get_attribute("id")
        box = figure.bounding_box()
        assert box and box["height"] > 80, f"{name} is empty"
        shown = figure.locator("img, canvas")   # Playwright's locators see into Bokeh's shadow DOM
        drawn = any(shown.nth(j).evaluate("e => (e.naturalWidth || e.width) > 0 && e.getBoundingClientRect().width > 0")
                    for j in range(shown.count()))
        assert drawn, f"{name} shows no image or canvas"
    browser_page.assert_clean()   # no console error, no page error, no request off the machine
    assert AXE.exists(), "run `npm install` for axe-core"
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))")
    assert violations == []


@pytest.mark.browser
def test_flagship_hovers_update_the_linked_views(guide_site, browser_page):
    page = browser_page.page
    browser_page.open(guide_site / "build" / FLAGSHIP / "index.html")
    grid = page.locator("#fig-grid")
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    panel = grid.locator("[aria-live]").first
    before = panel.inner_text()
    focusable = grid.locator("[tabindex='0']").first
    focusable.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(200)
    assert panel.inner_text() != before, "arrow keys did not move the grid's dictionary"
    spatial = page.locator("#fig-spatial")
    spatial.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    readout = spatial.locator("[aria-live]").first
    first = readout.inner_text()
    target = spatial.locator("canvas, img").first
    box = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
    page.wait_for_timeout(150)
    moved = readout.inner_text()
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.8)
    page.wait_for_timeout(150)
    assert len({first, moved, readout.inner_text()}) >= 2, "hovering did not change the attribution readout"
    browser_page.assert_clean()


PRINTED = """() => Array.from(document.querySelectorAll('figure.vellum-figure')).filter(figure => {
  const shown = el => { const r = el.getBoundingClientRect(); return r.width > 1 && r.height > 1
    && getComputedStyle(el).visibility !== 'hidden'; };
  const drawn = figure.querySelector('.bokeh-figure.is-drawn');   // its canvas is in Bokeh's shadow root
  if (drawn && shown(drawn)) return false;
  const pictures = Array.from(figure.querySelectorAll('img, canvas, svg')).filter(shown);
  return !pictures.some(el => el.tagName !== 'IMG' || (el.complete && el.naturalWidth > 0));
}).map(figure => figure.id || figure.className)"""


@pytest.mark.browser
@pytest.mark.parametrize("slug", [GUIDE, FLAGSHIP])
def test_every_figure_prints_a_picture_without_scrolling_first(guide_site, browser_page, slug):
    page = browser_page.page
    browser_page.open(guide_site / "build" / slug / "index.html")
    page.emulate_media(media="print")
    page.wait_for_function("Array.from(document.images).every(img => img.complete || !img.getAttribute('src'))")
    assert page.evaluate(PRINTED) == []
    browser_page.assert_clean()


@pytest.mark.browser
def test_the_flagship_opens_with_under_a_megabyte_and_loads_bokehjs_only_near_a_chart(guide_site, browser_page):
    from urllib.parse import unquote, urlsplit

    page = browser_page.page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    browser_page.open(guide_site / "build" / FLAGSHIP / "index.html")
    page.wait_for_timeout(1500)                                   # what lazy loading fetches at once
    files = {Path(unquote(urlsplit(url).path)) for url in requested if url.startswith("file:")}
    assert sum(path.stat().st_size for path in files) < 1_000_000
    assert not any("/bokeh/" in url for url in requested)
    page.locator("#fig-probabilities").scroll_into_view_if_needed()
    page.wait_for_selector("#fig-probabilities canvas", timeout=10000)
    assert sum("/bokeh/bokeh.min." in url for url in requested) == 1
    assert not any("chart-print" in url or "-chart." in url for url in requested)   # the print picture waits
    browser_page.assert_clean()


@pytest.mark.browser
@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)])
def test_the_contents_link_to_the_last_section_lands_on_its_heading(guide_site, browser_page, width, height):
    page = flagship_at(browser_page, guide_site, width, height)
    link = page.locator(".toc a").last
    target = link.get_attribute("href")
    link.click()                                    # figures on the way draw and change height
    where = f"document.querySelector('{target}').getBoundingClientRect().top"
    page.wait_for_function(f"Math.abs({where}) < 50", timeout=10000)
    page.wait_for_timeout(1500)                     # and it stays there while the rest settles
    assert abs(page.evaluate(where)) < 50
    browser_page.assert_clean()


FIGURE_HEIGHTS = "Object.fromEntries(Array.from(document.querySelectorAll('figure.vellum-figure'))" \
                 ".map(f => [f.id, Math.round(f.getBoundingClientRect().height)]))"


@pytest.mark.browser
@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)])
def test_figures_take_their_final_height_before_they_draw(guide_site, browser_page, width, height):
    page = flagship_at(browser_page, guide_site, width, height)
    before = page.evaluate(FIGURE_HEIGHTS)                        # only the opening figures have drawn
    _scroll_through(page)
    for figure in ["fig-grid", "fig-spatial", "fig-groups", "fig-atlas"]:
        page.wait_for_selector(f"#{figure} .is-drawn", state="attached")
    page.wait_for_timeout(1000)
    after = page.evaluate(FIGURE_HEIGHTS)
    assert {f: (before[f], after[f]) for f in after if abs(after[f] - before[f]) > 2} == {}
    assert page.locator(".is-drawn").count() >= 6                 # the grid, the maps, the atlases drew
    for figure, target in [("fig-grid", '.ag-cell[data-i="0"]'), ("fig-grid", ".ag-cell >> nth=-1"),
                           ("fig-spatial", ".va-stage >> nth=0")]:   # pointing elsewhere keeps it too
        page.locator(f"#{figure} {target}").hover(position={"x": 1, "y": 1})
        assert page.evaluate(FIGURE_HEIGHTS)[figure] == after[figure]
    browser_page.assert_clean()


@pytest.mark.browser
def test_on_a_phone_the_grid_takes_the_width_and_a_tap_selects_a_cell(guide_site, browser_page):
    browser_page.page.set_viewport_size({"width": 390, "height": 844})
    page = flagship_figure(browser_page, guide_site, "fig-grid", ".ag-cell")
    grid = page.locator("#fig-grid .ag-grid")
    assert grid.bounding_box()["width"] >= 0.9 * 390
    cell = page.locator('#fig-grid .ag-cell[data-i="5"]')
    cell.scroll_into_view_if_needed()
    box = cell.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert "is-selected" in cell.get_attribute("class")
    assert "at (5, 0)" in page.locator("#fig-grid .sd-panel").inner_text()
    opacities = "Array.from(document.querySelectorAll('#fig-grid .ag-cell')).map(e => Number(e.style.opacity))"
    assert set(page.evaluate(opacities)) == {1}                          # full strength
    page.locator("#fig-grid .ag-fade input").check()                     # the activation as a fade
    assert min(page.evaluate(opacities)) < 0.5
    browser_page.assert_clean()


@pytest.mark.browser
def test_the_flagship_opens_with_a_figure_above_the_fold(guide_site, browser_page):
    page = browser_page.page
    browser_page.open(guide_site / "build" / FLAGSHIP / "index.html")
    opening = page.locator(".d-opening figure.vellum-figure")
    assert opening.count() == 1 and opening.get_attribute("id") == "fig-opening"
    box = opening.locator("img").first.bounding_box()
    assert box["y"] + box["height"] < 800                        # its pictures are on the first screen
    toc = page.locator(".toc").bounding_box()
    assert toc["y"] > box["y"]                                   # before the contents
    browser_page.assert_clean()


@pytest.mark.browser
def test_hovering_a_channel_of_the_dictionary_shows_where_it_fires(guide_site, browser_page):
    page = flagship_figure(browser_page, guide_site, "fig-grid", ".sd-item")
    overlay = page.locator("#fig-grid .sd-map")
    assert overlay.is_hidden()
    entry = page.locator("#fig-grid .sd-item").first
    channel = re.search(r"channel (\d+)", entry.inner_text())[1]
    entry.hover()
    assert overlay.is_visible() and overlay.get_attribute("data-channel") == channel
    alphas = overlay.evaluate("c => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)"
                              ".filter((v, i) => i % 4 === 3)")
    assert min(alphas) < 40 and max(alphas) > 150          # clear where it fires, veiled where it is quiet
    page.mouse.move(2, 2)
    assert overlay.is_hidden()
    browser_page.assert_clean()


@pytest.mark.browser
def test_pointing_at_the_groups_map_focuses_the_group_there(guide_site, browser_page):
    page = flagship_figure(browser_page, guide_site, "fig-groups", ".ng-card")
    stage = page.locator("#fig-groups .ng-stage")
    box = stage.bounding_box()
    active = set()
    for fx, fy in [(0.3, 0.35), (0.7, 0.35), (0.5, 0.8), (0.95, 0.5)]:       # eyes, chin, the edge
        page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        cards = page.locator("#fig-groups .ng-card.is-active")
        assert cards.count() == 1
        group = cards.first.get_attribute("data-group")
        active.add(group)
        assert page.locator("#fig-groups .ng-readout").inner_text().startswith(f"Group {int(group) + 1} of")
    assert len(active) >= 2                                    # different places, different groups
    page.mouse.move(2, 2)
    assert page.locator("#fig-groups .ng-card.is-active").count() == 0
    browser_page.assert_clean()


@pytest.mark.browser
def test_on_a_phone_a_swipe_over_any_figure_scrolls_the_page(guide_site, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  reduced_motion="reduce")
    try:
        page = context.new_page()
        page.goto((guide_site / "build" / FLAGSHIP / "index.html").resolve().as_uri())
        touch = context.new_cdp_session(page)

        def swipe(x: float, y: float, up: float) -> None:      # a finger drawn upward: read further down
            touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
            for step in range(1, 11):
                touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y - up * step / 10}]})
            touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

        figures = page.eval_on_selector_all("figure.vellum-figure[id]", "fs => fs.map(f => f.id)")
        assert len(figures) >= 10
        for figure in figures:
            page.locator(f"#{figure}").scroll_into_view_if_needed()
            page.wait_for_timeout(400)                           # it draws itself
            inner = page.locator(f"#{figure} canvas, #{figure} .aa-view, #{figure} .ag-grid, #{figure} img").first
            box = inner.bounding_box() or page.locator(f"#{figure}").bounding_box()
            before = page.evaluate("window.scrollY")
            swipe(box["x"] + box["width"] / 2, min(box["y"] + box["height"] / 2, 700), 200)
            page.wait_for_function(f"window.scrollY > {before} + 100", timeout=3000)
    finally:
        context.close()
