"""Review text is untrusted: a corpus of XSS payloads (tests/xss_payloads.txt) in a review's
name, body, quotes and comments must never run, neither on the reviews page nor in the
review copy's margin, nor when the annotation tool shows a stored comment."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from generator.build import BuildOptions, build
from generator.reviews import review_html, text_id
from generator.reviews.sanitize import ATTRIBUTES, LINK_REL, TAGS, URL_SCHEMES
from projects import article, make_project

PAYLOADS = [line for line in (Path(__file__).parent / "xss_payloads.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
PARAGRAPH = "The paragraph that every comment points at."


class _Audit(HTMLParser):
    """Every tag, attribute and URL of a fragment that the allow-list would not permit."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in TAGS:
            self.bad.append(f"tag <{tag}>")
        for name, value in attrs:
            if name == "rel" and tag == "a":
                if value != LINK_REL:
                    self.bad.append(f"rel={value!r}")
            elif name not in ATTRIBUTES.get(tag, ()):
                self.bad.append(f"attribute {name} on <{tag}>")
            elif name == "href":
                scheme = urlsplit(value.strip()).scheme.lower()
                if scheme and scheme not in URL_SCHEMES:
                    self.bad.append(f"href {value!r}")

    handle_startendtag = handle_starttag


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sanitized_payload_keeps_only_allowed_markup(payload):
    audit = _Audit()
    audit.feed(str(review_html(payload)))
    assert audit.bad == []


def test_links_get_noopener_noreferrer_nofollow():
    html = str(review_html("[site](https://example.org) and [page](../index.html) and <a href='mailto:a@b.c'>mail</a>"))
    assert html.count(f'rel="{LINK_REL}"') == 3
    assert 'href="https://example.org"' in html and 'href="../index.html"' in html


def _review_file() -> str:
    anchors = "\n".join(
        f"  - paragraph: {text_id(PARAGRAPH)}\n    quote: {json.dumps(p)}\n    comment: {json.dumps(p)}"
        for p in PAYLOADS)
    body = "\n\n".join(PAYLOADS)
    return (f"---\nreviewer: {json.dumps(PAYLOADS[0])}\ndate: 2026-12-01\nscores:\n  writing: 3\n"
            f"anchors:\n{anchors}\n---\n{body}\n")


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    index = article(f"{PARAGRAPH}\n\nAnother paragraph.\n").replace("status: draft", "status: review")
    root = make_project(tmp_path_factory.mktemp("xss"), {"x": {"index.md": index, "reviews/evil.md": _review_file()}})
    build(BuildOptions(root=root, progress=False))
    return root / "build" / "x"


def _assert_nothing_ran(browser_page, dialogs: list[str]) -> None:
    page = browser_page.page
    page.wait_for_timeout(400)                       # onload, onerror, animations, autofocus
    page.evaluate("""() => {
        for (const el of document.querySelectorAll('main *')) {
            for (const type of ['mouseover', 'focus', 'click', 'toggle', 'animationstart']) {
                if (el.tagName === 'A' && type === 'click') continue;   // links would navigate away
                el.dispatchEvent(new Event(type, {bubbles: true}));
            }
        }
    }""")
    page.wait_for_timeout(200)
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert dialogs == []
    hrefs = page.evaluate("() => [...document.querySelectorAll('main a[href]')].map(a => a.getAttribute('href'))")
    schemes = {urlsplit(h).scheme for h in hrefs} - {""}
    assert schemes <= URL_SCHEMES, hrefs


@pytest.mark.browser
@pytest.mark.parametrize("page_name", ["reviews/index.html", "index.html"])
def test_no_payload_runs_in_chromium(hostile_site, browser_page, page_name):
    dialogs: list[str] = []
    browser_page.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    browser_page.open(hostile_site / page_name)
    text = browser_page.page.inner_text("main")
    assert "unknown element" in text and "plain https link keeps working" in text   # text is kept
    _assert_nothing_ran(browser_page, dialogs)
    assert browser_page.network_attempts == []
    assert browser_page.page_errors == []


@pytest.mark.browser
def test_stored_comments_with_payloads_do_not_run(hostile_site, browser_page):
    """Comments kept by the annotation tool are shown as text, whatever they contain."""
    page = browser_page.page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    browser_page.open(hostile_site / "index.html")
    stored = {"comments": [{"id": f"c{i}", "kind": "paragraph", "target": text_id(PARAGRAPH),
                            "quote": p, "comment": p} for i, p in enumerate(PAYLOADS)]}
    page.evaluate("s => localStorage.setItem('vellum-review:x', s)", json.dumps(stored))
    page.reload()
    assert page.locator(".review-note-draft").count() == len(PAYLOADS)
    _assert_nothing_ran(browser_page, dialogs)
