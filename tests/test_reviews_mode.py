"""Review mode in Chromium, from file://: select words, comment, reload (the comment stays),
comment on a figure, export the review, drop the file into reviews/ and find its comments in
the margin of the next build."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.build import BuildOptions, build
from generator.errors import Problems
from generator.reviews import load_reviews, text_id
from projects import article, make_project

BODY = """\
The first paragraph introduces the idea.

The second paragraph makes a claim about the cat.

```{image}
id: fig-cat
src: sample:chelsea
caption: A cat.
alt: A tabby cat.
```

The third paragraph ends the article.
"""
SECOND = text_id("The second paragraph makes a claim about the cat.")


def select_words(page, anchor: str, words: str) -> None:
    """Select `words` inside the block `anchor` as a mouse would, then release the mouse."""
    page.evaluate("""([anchor, words]) => {
        const block = document.getElementById(anchor);
        const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
            const node = walker.currentNode, at = node.data.indexOf(words);
            if (at < 0) continue;
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + words.length);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            block.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
            return;
        }
        throw new Error('words not found: ' + words);
    }""", [anchor, words])


def write_comment(page, text: str) -> None:
    form = page.locator("form.review-form")
    form.wait_for(state="visible")
    form.locator("textarea").fill(text)
    form.get_by_role("button", name="Save comment").click()
    form.wait_for(state="hidden")


@pytest.fixture
def project(tmp_path) -> Path:
    index = article(BODY).replace("status: draft", "status: review")
    root = make_project(tmp_path, {"x": {"index.md": index}})
    build(BuildOptions(root=root, progress=False))
    return root


@pytest.mark.browser
def test_comment_persist_export_and_round_trip(project, browser_page, tmp_path):
    page = browser_page.page
    article_page = project / "build" / "x" / "index.html"
    browser_page.open(article_page)

    select_words(page, SECOND, "makes a claim")
    page.locator(".review-comment-button").click()
    assert page.locator(".review-form-target").inner_text() == "On ¶ 2: “makes a claim”"
    write_comment(page, "Which claim? Cite it.")
    note = page.locator(f"#{SECOND} + aside.review-notes .review-note-draft")
    assert note.locator(".review-note-text").inner_text() == "Which claim? Cite it."
    assert page.locator(f"#{SECOND} mark.review-highlight").inner_text() == "makes a claim"

    page.reload()
    assert page.locator(f"#{SECOND} + aside.review-notes .review-note-draft .review-note-text").inner_text() \
        == "Which claim? Cite it."
    assert page.locator(".review-count").inner_text() == "1 comment in this browser"

    page.locator("#fig-cat .review-figure-button").click()
    assert page.locator(".review-form-target").inner_text() == "On Figure 1"
    write_comment(page, 'Crop it: "tighter".\nAnd label it.')

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export review").click()
    download = download_info.value
    assert download.suggested_filename.startswith("review-x-") and download.suggested_filename.endswith(".md")
    reviews_dir = project / "articles" / "x" / "reviews"
    reviews_dir.mkdir()
    exported = reviews_dir / "r1.md"
    download.save_as(exported)

    problems = Problems()
    (review,) = load_reviews(reviews_dir, "articles/x/reviews", problems)
    assert problems.errors == []
    assert review.name == "Anonymous reviewer" and review.scores == {c: None for c in review.scores}
    assert review.round == 1                          # the first round: no review yet
    assert re.fullmatch(r"review-x-.+-\d{14}\.md", download.suggested_filename)   # two reviewers' never collide
    assert review.version == page.locator(".review-version").inner_text()
    assert len(review.scores) == 11
    page_ids = set(page.evaluate("() => [...document.querySelectorAll('[data-paragraph], figure[id]')].map(e => e.id)"))
    assert [(c.kind, c.target, c.quote) for c in review.comments] == \
        [("paragraph", SECOND, "makes a claim"), ("figure", "fig-cat", "")]
    assert {c.target for c in review.comments} <= page_ids

    report = build(BuildOptions(root=project, progress=False))
    assert [w for w in report.warnings if "reviews/" in w.path] == []
    page.evaluate("() => localStorage.clear()")
    browser_page.open(article_page)
    from_file = page.locator(f"#{SECOND} + aside.review-notes .review-note:not(.review-note-draft)")
    assert from_file.locator(".review-note-text").inner_text() == "Which claim? Cite it."
    assert from_file.locator(".review-note-quote").inner_text() == "makes a claim"
    figure_note = page.locator("#fig-cat + aside.review-notes .review-note-text")
    assert figure_note.inner_text() == "Crop it: “tighter”. And label it."     # rendered as Markdown
    assert page.locator(".review-note-draft").count() == 0
    browser_page.assert_clean()


@pytest.mark.browser
def test_comments_can_be_edited_and_deleted(project, browser_page):
    page = browser_page.page
    browser_page.open(project / "build" / "x" / "index.html")
    select_words(page, SECOND, "the cat")
    page.locator(".review-comment-button").click()
    write_comment(page, "First thought.")
    note = page.locator(".review-note-draft")
    note.get_by_role("button", name="Edit").click()
    write_comment(page, "Second thought.")
    assert note.locator(".review-note-text").inner_text() == "Second thought."
    note.get_by_role("button", name="Delete").click()
    assert page.locator(".review-note-draft").count() == 0
    page.reload()
    assert page.locator(".review-note-draft").count() == 0
    assert page.locator(".review-count").inner_text() == "No comments yet"
    browser_page.assert_clean()


@pytest.mark.browser
def test_banner_on_top_and_comments_in_the_margin(project, browser_page):
    """On a wide screen the banner comes before the title and a comment sits beside its paragraph."""
    page = browser_page.page
    browser_page.open(project / "build" / "x" / "index.html")
    select_words(page, SECOND, "makes a claim")
    page.locator(".review-comment-button").click()
    write_comment(page, "Which claim?")
    banner = page.locator(".review-banner").bounding_box()
    title = page.locator(".d-title h1").bounding_box()
    assert banner["y"] < title["y"]
    note = page.locator(".review-note-draft").bounding_box()
    paragraph = page.locator(f"#{SECOND}").bounding_box()
    assert note["x"] > paragraph["x"] + paragraph["width"]          # beside the text, in the margin
    assert abs(note["y"] - paragraph["y"]) < 40
    browser_page.assert_clean()


@pytest.mark.browser
def test_a_draft_comment_follows_its_quote_into_a_rewritten_paragraph(project, browser_page):
    """The build's rule for review files, in the browser: a paragraph rewritten around the
    quoted words keeps its comment (the draft is moved to the paragraph's new anchor)."""
    page = browser_page.page
    article_page = project / "build" / "x" / "index.html"
    browser_page.open(article_page)
    select_words(page, SECOND, "makes a claim")
    page.locator(".review-comment-button").click()
    write_comment(page, "Which claim?")
    index = project / "articles" / "x" / "index.md"
    index.write_text(index.read_text().replace("The second paragraph makes a claim about the cat.",
                                                "The second paragraph, rewritten, makes a claim about the cat."))
    build(BuildOptions(root=project, progress=False))
    page.reload()
    moved = text_id("The second paragraph, rewritten, makes a claim about the cat.")
    note = page.locator(f"#{moved} + aside.review-notes .review-note-draft .review-note-text")
    assert note.inner_text() == "Which claim?" and page.locator(".review-draft-unanchored").count() == 0
    stored = page.evaluate("() => JSON.parse(localStorage.getItem('vellum-review:x')).comments[0].target")
    assert stored == moved
    browser_page.assert_clean()
