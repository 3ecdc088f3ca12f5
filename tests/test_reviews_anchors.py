"""Paragraph anchors of review copies: made from each paragraph's own words, so they survive
edits of other paragraphs; comments whose paragraph is gone are kept, with a warning."""

from __future__ import annotations

import re

from generator.bib import parse_bibliography
from generator.build import BuildOptions, build
from generator.markdown import render_markdown
from generator.reviews import find_blocks, text_id
from projects import BIB, article, make_project

BODY = """\
Feature visualization shows what a unit responds to [@olah2017feature].

## Method {#sec-method}

We optimise an image by gradient ascent, as in @sec-method.[^steps]

- the list is a block too
- with two items

The last paragraph says nothing new.

[^steps]: 512 steps.
"""


def anchors(body: str) -> list[str]:
    refs = parse_bibliography(BIB, path="references.bib")
    html = render_markdown(body, references=refs).html
    return [b.anchor for b in find_blocks(html)]


def test_ids_come_from_the_words_not_the_position():
    first, second, listed, last = anchors(BODY)
    assert last == text_id("The last paragraph says nothing new.")
    assert re.fullmatch(r"p-[0-9a-f]{6}", first)
    assert len({first, second, listed, last}) == 4


def test_editing_one_paragraph_changes_only_its_id():
    before = anchors(BODY)
    edited = BODY.replace("says nothing new", "says something new")
    after = anchors(edited)
    assert after[:3] == before[:3]
    assert after[3] != before[3]


def test_ids_survive_new_paragraphs_citations_and_footnotes_before_them():
    before = anchors(BODY)
    # a new first paragraph renumbers citations and footnotes and shifts every position
    grown = ("An opening that cites [@erhan2009visualizing] and has a note.[^first]\n\n"
             + BODY + "\n[^first]: A first note.\n")
    after = anchors(grown)
    assert after[1:] == before


def test_same_words_twice_get_numbered_ids_and_punctuation_or_case_do_not_matter():
    twice = anchors("Same words here.\n\nSame words here.\n")
    assert twice == [text_id("Same words here."), text_id("Same words here.") + "-2"]
    assert text_id("Same  words, HERE!") == text_id("same words here")


def test_review_copy_numbers_paragraphs_and_keeps_ids_across_rebuilds(tmp_path):
    root = make_project(tmp_path, {"x": {"index.md": article(BODY)}})
    build(BuildOptions(root=root, review=True, progress=False))
    page = (root / "build" / "x" / "index.html").read_text()
    found = re.findall(r'<(?:p|ul) id="(p-[0-9a-f]{6})" data-paragraph="(\d)"', page)
    assert found == [(a, str(i)) for i, a in enumerate(anchors(BODY), start=1)]

    (root / "articles" / "x" / "index.md").write_text(article(BODY.replace("shows what", "reveals what")))
    build(BuildOptions(root=root, review=True, progress=False))
    again = re.findall(r'id="(p-[0-9a-f]{6})" data-paragraph', (root / "build" / "x" / "index.html").read_text())
    assert again[1:] == [a for a, _ in found][1:] and again[0] != found[0][0]


def test_a_published_build_has_no_paragraph_anchors(tmp_path):
    root = make_project(tmp_path, {"x": {"index.md": article(BODY)}})
    build(BuildOptions(root=root, progress=False))
    assert "data-paragraph" not in (root / "build" / "x" / "index.html").read_text()


def test_a_comment_whose_paragraph_is_gone_is_kept_with_a_warning(tmp_path):
    review = """\
    ---
    reviewer: anonymous
    date: 2026-12-01
    anchors:
      - paragraph: p-000000
        quote: "words nobody wrote"
        comment: "Still here."
      - paragraph: p-111111
        quote: "says nothing new"
        comment: "Found by its quote."
      - figure: fig-gone
        comment: "No such figure."
    ---
    Fine.
    """
    root = make_project(tmp_path, {"x": {"index.md": article(BODY), "reviews/r1.md": review}})
    report = build(BuildOptions(root=root, review=True, progress=False))
    last = anchors(BODY)[3]
    warnings = [str(w) for w in report.warnings if "reviews/" in w.path]
    assert warnings == [
        "articles/x/reviews/r1.md:5: review anchor 'p-000000': no such paragraph in the article "
        "(it was rewritten or removed) — the comment is kept under \"Unanchored comments\"; point it "
        "at a paragraph id of the current review copy",
        f"articles/x/reviews/r1.md:8: review anchor 'p-111111': no such paragraph any more; its quote "
        f"is in paragraph 4 ({last}), so the comment is shown there — change the anchor to `paragraph: {last}`",
        "articles/x/reviews/r1.md:11: review anchor 'fig-gone': no such figure in the article — the "
        "comment is kept under \"Unanchored comments\"; use the `id:` of one of the article's figures",
    ]
    page = (root / "build" / "x" / "index.html").read_text()
    lost = page[page.index('class="review-unanchored"'):]
    assert "Still here." in lost and "No such figure." in lost and "Found by its quote." not in lost
    after_last = page[page.index(f'id="{last}"'):page.index('class="review-unanchored"')]
    assert "Found by its quote." in after_last
    reviews = (root / "build" / "x" / "reviews" / "index.html").read_text()
    assert reviews.count("Unanchored comments") == 1
    assert "Still here." in reviews and "No such figure." in reviews
