"""The reviews page and the review copy: score tables, threaded responses, links, banner, and
valid HTML (Nu checker)."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator.build import BuildOptions, build
from projects import article, make_project
from validate_html import require_vnu, validate_html

BODY = """\
The first paragraph introduces the idea.

```{image}
id: fig-cat
src: sample:chelsea
caption: A cat.
alt: A tabby cat.
```

The second paragraph makes a claim about the cat.
"""

R1 = """\
---
reviewer: Lena Marsh
date: 2026-11-20
recommendation: minor
scores:
  significance: 3
  writing: 5
  limitations: 2
anchors:
  - paragraph: {second}
    quote: "makes a claim"
    comment: "Which claim? *Cite it.*"
  - figure: fig-cat
    comment: "Crop the figure."
---
A clear article.
"""

R2 = """\
---
reviewer: anonymous
date: 2026-11-21
recommendation: accept
scores:
  significance: 4
  writing: 4
---
Accept as is.
"""

A1 = """\
---
author: Ada Example
date: 2026-11-25
type: response
responds_to: r1
---
We cite it now.
"""

A2 = """\
---
reviewer: Lena Marsh
date: 2026-11-26
type: response
responds_to: a1
---
Thank you, resolved.
"""


class _Cells(HTMLParser):
    """The text of each table row on a page, as lists of cell texts."""

    def __init__(self):
        super().__init__()
        self.rows, self.row, self.cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.rows.append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: str) -> list[list[str]]:
    cells = _Cells()
    cells.feed(html)
    return cells.rows


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    from generator.reviews import text_id

    second = text_id("The second paragraph makes a claim about the cat.")
    root = make_project(tmp_path_factory.mktemp("reviews"), {"x": {
        "index.md": article(BODY).replace("status: draft", "status: review"),
        "reviews/r1.md": R1.replace("{second}", second),
        "reviews/r2.md": R2, "reviews/a1.md": A1, "reviews/a2.md": A2,
    }, "plain": {"index.md": article("No reviews here.\n")}})
    build(BuildOptions(root=root, progress=False))
    return root


def test_scores_are_compared_in_distills_groups(site):
    page = (site / "build" / "x" / "reviews" / "index.html").read_text()
    rows = table_rows(page)
    assert rows[0] == ["Criterion", "Review 1", "Review 2"]
    assert ["Advancing the Dialogue"] in rows and ["Outstanding Communication"] in rows \
        and ["Scientific Correctness & Integrity"] in rows
    assert ["Significance", "3●●●○○", "4●●●●○"] in rows
    assert ["Writing", "5●●●●●", "4●●●●○"] in rows
    assert ["Limitations", "2●●○○○", "—"] in rows
    assert ["Recommendation", "Minor revisions", "Accept"] in rows


def test_responses_are_threaded_under_the_review_they_answer(site):
    page = (site / "build" / "x" / "reviews" / "index.html").read_text()
    review_1 = page[page.index('id="review-r1"'):page.index('id="review-r2"')]
    assert "We cite it now." in review_1 and "Thank you, resolved." in review_1
    assert review_1.index('id="response-a1"') < review_1.index('id="response-a2"')
    nested = review_1[review_1.index('id="response-a1"'):]
    assert nested.index('class="review-responses"') < nested.index('id="response-a2"')
    assert "Response to Review 1" in review_1
    assert "Reply on Review 1" in review_1 and "Response to Response" not in page   # a2 answers a1
    assert "Accept as is." not in review_1


def test_reviews_page_lists_comments_with_links_back_to_the_text(site):
    page = (site / "build" / "x" / "reviews" / "index.html").read_text()
    assert "<em>Cite it.</em>" in page
    assert re.search(r'<a href="\.\./index\.html#p-[0-9a-f]{6}">¶ 2</a>', page)
    assert '<a href="../index.html#fig-cat">Figure 1</a>' in page


def test_a_published_article_keeps_the_paragraphs_its_reviews_point_to(site, tmp_path):
    """Out of review, the reviews page's "¶ 2" still lands on its paragraph: the published
    article anchors the paragraphs the reviews comment on, and only those."""
    import shutil

    root = tmp_path / "published"
    shutil.copytree(site, root, ignore=shutil.ignore_patterns("build", ".cache"))
    index = root / "articles" / "x" / "index.md"
    index.write_text(index.read_text().replace("status: review", "status: published"))
    build(BuildOptions(root=root, progress=False))
    reviews = (root / "build" / "x" / "reviews" / "index.html").read_text()
    anchor = re.search(r'<a href="\.\./index\.html#(p-[0-9a-f]{6})">¶ 2</a>', reviews).group(1)
    article_page = (root / "build" / "x" / "index.html").read_text()
    assert f'<p id="{anchor}" data-paragraph="2">' in article_page
    assert article_page.count("data-paragraph=") == 1 and "review-banner" not in article_page


def test_article_links_to_its_reviews_from_byline_and_appendix(site):
    page = (site / "build" / "x" / "index.html").read_text()
    assert page.count('href="reviews/index.html"') >= 2
    assert 'id="peer-review"' in page
    plain = (site / "build" / "plain" / "index.html").read_text()
    assert "reviews/index.html" not in plain and not (site / "build" / "plain" / "reviews").exists()


def test_review_copy_has_a_banner_with_the_version_and_margin_comments(site):
    page = (site / "build" / "x" / "index.html").read_text()
    version = hashlib.sha256((site / "articles" / "x" / "index.md").read_bytes()).hexdigest()[:7]
    assert f'<code class="review-version">{version}</code>' in page
    assert "This article is under review" not in page               # the review banner replaces it
    assert re.search(r'<script defer src="\.\./static/js/review-mode\.[0-9a-f]+\.js">', page)
    claim = page.index("makes a claim about the cat.</p>")
    note = page.index('<aside class="margin-note review-notes"', claim)
    assert page.index("Which claim?", note) < page.index("</aside>", note)
    figure_end = page.index("</figure>")
    assert page.index("Crop the figure.") > figure_end


def test_review_pages_are_valid_html(site):
    require_vnu()
    errors = validate_html([site / "build" / "x" / "index.html", site / "build" / "x" / "reviews" / "index.html"])
    assert not errors, "\n".join(map(str, errors))
