"""The page templates: valid HTML, the head metadata readers' tools rely on, the appendix,
the feed and sitemap, and in Chromium from file://: hover cards, keyboard focus, phone width.
"""

from __future__ import annotations

import copy
import os
import tempfile
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest

from sample_site import SITE, SLUG, article_context, render_sample_site
from validate_html import VNU_JAR, require_vnu, validate_html

from generator.templates import environment

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SCREENSHOTS = Path(os.environ.get("VELLUM_SCREENSHOTS", Path(tempfile.gettempdir()) / "vellum-screenshots"))
AXE = VNU_JAR.parents[3] / "axe-core" / "axe.min.js"


class TagCollector(HTMLParser):
    """Every start tag as (tag, attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def meta(self, key: str) -> list[str]:
        return [a.get("content") for t, a in self.tags if t == "meta" and key in (a.get("name"), a.get("property"))]


def tags_of(path: Path) -> TagCollector:
    collector = TagCollector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    render_sample_site(out)
    return out


def render_article(tmp_path: Path, **changes) -> Path:
    article = {**article_context(), **changes}
    render_sample_site(tmp_path, article)
    return tmp_path / SLUG / "index.html"


# ---- Static checks ----

def test_pages_are_valid_html(site):
    require_vnu()
    pages = [site / "index.html", site / "404.html", site / SLUG / "index.html"]
    errors = validate_html(pages)
    assert not errors, "\n".join(map(str, errors))


def test_validator_reports_invalid_html(tmp_path):
    require_vnu()
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html lang=en><title>x</title><p><div id=a></div><span id=a></span>")
    errors = validate_html([bad])
    assert any("Duplicate ID" in e.message for e in errors), errors


def test_article_head_carries_scholar_open_graph_and_twitter_metadata(site):
    article = article_context()
    tags = tags_of(site / SLUG / "index.html")
    page_url = f"{SITE['base_url']}{SLUG}/"
    assert ("html", {"lang": "en"}) in tags.tags
    assert tags.meta("citation_title") == [article["title"]]
    assert tags.meta("citation_author") == [a["name"] for a in article["authors"]]
    assert tags.meta("citation_publication_date") == ["2026/11/26"]
    assert tags.meta("citation_doi") == [article["doi"]]
    assert tags.meta("citation_journal_title") == [SITE["title"]]
    assert tags.meta("citation_reference") == article["scholar_references"]
    assert tags.meta("og:type") == ["article"]
    assert tags.meta("og:url") == [page_url]
    assert tags.meta("og:image") == [SITE["base_url"] + article["thumbnail"]]
    assert tags.meta("twitter:card") == ["summary_large_image"]
    assert tags.meta("viewport") and tags.meta("description") == [article["description"]]
    assert ("link", {"rel": "canonical", "href": page_url}) in tags.tags
    assert tags.meta("robots") == []


def test_article_without_thumbnail_doi_or_reviews_leaves_them_out(tmp_path):
    page = render_article(tmp_path, thumbnail=None, doi=None, reviews_url=None, updated=[])
    tags = tags_of(page)
    text = page.read_text(encoding="utf-8")
    assert tags.meta("og:image") == [] and tags.meta("twitter:card") == ["summary"]
    assert tags.meta("citation_doi") == []
    assert "Reviews</a>" not in text and "https://doi.org/10.1234" not in text
    assert "Updated</dt>" not in text
    assert 'id="updates"' in text                      # the site's repository: where to report a mistake


def test_no_updates_and_no_repository_leave_out_the_updates_section(tmp_path, monkeypatch):
    monkeypatch.setitem(SITE, "repository", None)
    text = render_article(tmp_path, updated=[]).read_text(encoding="utf-8")
    assert 'id="updates"' not in text and "Updates and Corrections" not in text


def test_draft_is_marked_and_kept_out_of_search_engines(tmp_path):
    page = render_article(tmp_path, status="draft")
    assert tags_of(page).meta("robots") == ["noindex"]
    assert 'class="status-banner"' in page.read_text(encoding="utf-8")


def test_byline_links_authors_orcid_doi_and_reviews(site):
    tags = tags_of(site / SLUG / "index.html")
    hrefs = [a.get("href") for t, a in tags.tags if t == "a"]
    assert "https://example.org/ada" in hrefs
    assert "https://orcid.org/0000-0002-1825-0097" in hrefs
    assert "https://doi.org/10.1234/vellum.00001" in hrefs
    assert "https://example.org/vellum/issues/1" in hrefs
    assert "https://example.org/lab" in hrefs


def test_appendix_follows_distill_order(site):
    text = (site / SLUG / "index.html").read_text(encoding="utf-8")
    order = ['id="footnotes"', 'id="references"', 'id="updates"', 'id="reuse"', 'id="citation"']
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert '<li id="ref-olah2018building" value="1">' in text
    assert "@article{example2026what," in text
    assert "Fixed the caption of Figure 1." in text


def test_index_lists_the_articles_in_the_order_given(site):
    text = (site / "index.html").read_text(encoding="utf-8")
    assert text.index("What the Network Sees") < text.index("An Older Article")
    assert f'src="{SLUG}/images/thumbnail.png"' in text
    assert "Ada Example, Grace Sample" in text and "November 26, 2026" in text
    assert f'href="{SLUG}/index.html"' in text


def test_feed_is_atom_with_absolute_urls_and_only_published_articles(site):
    feed = ET.parse(site / "feed.xml").getroot()
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["What the Network Sees"]
    link = entries[0].find(f"{ATOM}link").get("href")
    assert link == f"{SITE['base_url']}{SLUG}/index.html"
    assert entries[0].findtext(f"{ATOM}updated") == "2026-12-01T00:00:00Z"
    assert feed.findtext(f"{ATOM}updated") == "2026-12-01T00:00:00Z"
    assert [a.findtext(f"{ATOM}name") for a in entries[0].findall(f"{ATOM}author")] == ["Ada Example", "Grace Sample"]


def test_sitemap_lists_the_index_and_published_articles(site):
    urls = ET.parse(site / "sitemap.xml").getroot().findall(f"{SITEMAP}url")
    assert [u.findtext(f"{SITEMAP}loc") for u in urls] == [SITE["base_url"], f"{SITE['base_url']}{SLUG}/index.html"]


def test_a_missing_context_field_is_an_error_not_a_blank():
    article = copy.deepcopy(article_context())
    del article["doi"]
    with pytest.raises(jinja2.UndefinedError, match="doi"):
        environment().get_template("article.html").render(
            site=SITE, root="../", asset=lambda name: name, page_url="x", build_date=None, article=article)


# ---- In the browser ----

CARD = "#vellum-hover-card"


def card_text(page) -> str:
    page.wait_for_selector(f"{CARD}:not([hidden])", timeout=3000)
    return page.text_content(CARD)


@pytest.mark.browser
def test_article_opens_from_disk_without_errors_or_network(site, browser_page):
    browser_page.open(site / SLUG / "index.html")
    assert browser_page.page.locator(CARD).count() == 1
    browser_page.open(site / "index.html")
    browser_page.open(site / "404.html")
    browser_page.assert_clean()


@pytest.mark.browser
@pytest.mark.parametrize("trigger, expected, unexpected", [
    ("span.citation[data-cites^='olah2018building']", ["Building Blocks of Interpretability", "Feature Visualization"], []),
    ("a.footnote-ref[href='#fn-ears']", ["The footnote appears on hover and in the appendix."], ["↩"]),
    ("a.footnote-ref[href='#fn:2']", ["Footnote 2", "own footnote ids contain a colon"], ["↩"]),
    ("a.xref[href='#fig-grid']", ["Figure 1:", "Each cell shows what the network sees"], []),
    ("a.xref[href='#eq-dir']", ["(1)"], []),
    ("a.xref[href='#sec-intro']", ["Introduction", "The network separates the two animals"], []),
])
def test_hovering_a_reference_shows_its_target(site, browser_page, trigger, expected, unexpected):
    page = browser_page.page
    browser_page.open(site / SLUG / "index.html")
    page.hover(trigger)
    text = card_text(page)
    for words in expected:
        assert words in text
    for words in unexpected:
        assert words not in text
    assert page.get_attribute(CARD, "role") == "tooltip"
    assert page.evaluate(f"document.querySelectorAll('{CARD} [id]').length") == 0
    page.mouse.move(5, 5)
    page.wait_for_selector(CARD, state="hidden", timeout=3000)
    browser_page.assert_clean()


@pytest.mark.browser
def test_figure_card_shows_the_figure_image(site, browser_page):
    browser_page.open(site / SLUG / "index.html")
    browser_page.page.hover("a.xref[href='#fig-grid']")
    card_text(browser_page.page)
    assert browser_page.page.locator(f"{CARD} img").count() == 1


@pytest.mark.browser
def test_tab_focus_shows_the_card_with_a_focus_ring_and_escape_closes_it(site, browser_page):
    page = browser_page.page
    browser_page.open(site / SLUG / "index.html")
    page.focus("a[href='#ref-olah2017feature']")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.matches('a.xref[href=\"#fig-grid\"]')")
    assert "Each cell shows what the network sees" in card_text(page)
    assert page.get_attribute("a.xref[href='#fig-grid']", "aria-describedby") == "vellum-hover-card"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Escape")
    page.wait_for_selector(CARD, state="hidden", timeout=3000)
    assert page.get_attribute("a.xref[href='#fig-grid']", "aria-describedby") is None
    page.keyboard.press("Tab")
    assert "footnote appears on hover" in card_text(page)
    browser_page.assert_clean()


@pytest.mark.browser
@pytest.mark.parametrize("width", [360, 1280])
def test_card_stays_inside_the_viewport(site, browser_page, width):
    page = browser_page.page
    page.set_viewport_size({"width": width, "height": 700})
    browser_page.open(site / SLUG / "index.html")
    for trigger in ("span.citation[data-cites^='olah2018building']", "a.xref[href='#fig-grid']", "a.footnote-ref[href='#fn-ears']"):
        page.locator(trigger).scroll_into_view_if_needed()
        page.hover(trigger)
        card_text(page)
        card = page.locator(CARD).bounding_box()
        box = (card["x"], card["y"], card["x"] + card["width"], card["y"] + card["height"])
        assert box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= 700, (trigger, box)
        if "fig-grid" in trigger:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"hover-card-{width}.png"))
        page.keyboard.press("Escape")
    browser_page.assert_clean()


@pytest.mark.browser
@pytest.mark.parametrize("name", ["article", "index", "404"])
def test_nothing_overflows_a_360px_phone_and_screenshots(site, browser_page, name):
    page = browser_page.page
    path = {"article": site / SLUG / "index.html", "index": site / "index.html", "404": site / "404.html"}[name]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 800})
        browser_page.open(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    browser_page.assert_clean()


@pytest.mark.browser
@pytest.mark.parametrize("width", [360, 1280])
def test_article_passes_axe_wcag_aa_checks(site, browser_page, width):
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: run `npm install`")
    page = browser_page.page
    page.set_viewport_size({"width": width, "height": 800})
    browser_page.open(site / SLUG / "index.html")
    page.hover("span.citation[data-cites^='olah2018building']")
    card_text(page)
    browser_page.assert_clean()
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa'], preload: false}).then(r => r.violations.map("
        "v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))")
    assert violations == []


@pytest.mark.browser
def test_print_hides_navigation_and_keeps_figures_whole(site, browser_page):
    page = browser_page.page
    browser_page.open(site / SLUG / "index.html")
    page.emulate_media(media="print")
    style = "(s) => { const e = document.querySelector(s); const c = getComputedStyle(e); return [c.display, c.breakInside]; }"
    assert page.evaluate(style, ".toc")[0] == "none"
    assert page.evaluate(style, ".site-header")[0] == "none"
    assert page.evaluate(style, "#fig-grid")[1] == "avoid"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


@pytest.mark.browser
def test_the_404_page_works_from_disk_and_in_place_of_a_page_under_a_sub_path(site, browser_page, tmp_path):
    import shutil
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    page = browser_page.page
    browser_page.open(site / "404.html")                       # from disk: links beside it
    assert page.eval_on_selector(".site-name", "a => a.href") == (site / "index.html").resolve().as_uri()
    assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).borderBottomStyle") == "solid"

    root = tmp_path / "www"
    shutil.copytree(site, root / "sub")
    not_found = root / "sub" / "404.html"
    not_found.write_text(not_found.read_text(encoding="utf-8").replace('b = "/";', 'b = "/sub/";'), encoding="utf-8")

    class Host(SimpleHTTPRequestHandler):                    # a static host serving /sub/404.html for misses
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def send_error(self, code, message=None, explain=None):
            if code != 404:
                return super().send_error(code, message, explain)
            body = not_found.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Host)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        host = f"http://127.0.0.1:{server.server_address[1]}"
        page.goto(f"{host}/sub/some/deep/missing-page.html")
        assert page.text_content("h1") == "Page not found"
        assert page.eval_on_selector(".site-name", "a => a.href") == f"{host}/sub/index.html"
        assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).borderBottomStyle") == "solid"
        page.click(".not-found a")
        page.wait_for_url(f"{host}/sub/index.html")
    finally:
        server.shutdown()
    browser_page.console_errors[:] = [m for m in browser_page.console_errors if "missing-page.html" not in m]
    browser_page.assert_clean()                                # the page's own 404 status aside
