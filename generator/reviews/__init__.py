"""Peer review, built in: review files, the reviews page, and review copies of articles.

Files. `articles/<slug>/reviews/*.md`, one per review or author response: YAML front matter
(`schema.py` documents every key) and a Markdown body. Review text is untrusted and is
sanitized (`sanitize.py`). Comments on the text go in `anchors:`, each naming a numbered
paragraph (`paragraph: p-3f2a1c`) or a figure (`figure: fig-grid`), with the words quoted and
the comment; this is the format the review copy's "Export review" button writes.

Pages. An article with review files gets `<slug>/reviews/index.html` (score tables, each
review with its responses threaded under it), linked from the byline and the appendix.

Review copies. An article with `status: review`, or every article under `build --review`,
is built as a review copy: a banner with the version (a short hash of index.md and its
date), paragraphs numbered with ids made from their own words (`anchors.py`), the review
files' comments in the margin, and the annotation tool `assets/js/review-mode.js`.

The build calls `attach_reviews(page, options, problems)` after parsing, before figures are
rendered; the site writer calls `show_reviews(context, state, asset_url)` while it writes the
article page, and renders the reviews page with `reviews_page_context(state)`.
"""

from __future__ import annotations

import datetime as dt

from ..errors import Problems
from .anchors import find_blocks, mark_blocks, normalise, text_id
from .loading import Comment, ReviewFile, load_reviews
from .placing import FigureTarget, comments_by_anchor, place_comments
from .render import (REVIEW_SCRIPT, REVIEW_STYLE, REVIEWS_URL, ArticleReviews, banner_context,
                     head_links, review_body, reviews_page_context, version_of)
from .sanitize import review_html, sanitize
from .schema import CRITERIA, CRITERIA_GROUPS

__all__ = ["attach_reviews", "show_reviews", "reviews_page_context", "REVIEWS_URL", "load_reviews", "ArticleReviews", "ReviewFile",
           "Comment", "find_blocks", "text_id", "normalise", "sanitize", "review_html",
           "CRITERIA", "CRITERIA_GROUPS"]

def attach_reviews(page, options, problems: Problems) -> ArticleReviews | None:
    """Read the article's review files and, for a review copy, number its paragraphs and put
    the comments beside them. None when the article has no reviews and is not a review copy."""
    article = page.article
    review_mode = bool(options.review) or article.meta["status"] == "review"
    folder = article.directory / "reviews"
    display = folder.relative_to(options.root).as_posix() if folder.is_relative_to(options.root) \
        else folder.as_posix()
    reviews = load_reviews(folder, display, problems)
    if not reviews and not review_mode:
        return None
    state = ArticleReviews(
        reviews=reviews, review_mode=review_mode, version=version_of(article.path),
        version_date=_version_date(article.meta),
        blocks=find_blocks(page.markdown.html),
        figures=[FigureTarget(d.id, d.number, d.placeholder) for d in page.markdown.figures if d.id],
    )
    place_comments(reviews, state.blocks, state.figures, problems)
    if review_mode:
        page.markdown.html = review_body(page.markdown.html, state)
    else:      # the published article: the paragraphs its reviews comment on get their anchors ("¶ 4" links)
        commented = set(comments_by_anchor(reviews))
        page.markdown.html = mark_blocks(page.markdown.html, [b for b in state.blocks if b.anchor in commented])
    return state


def show_reviews(context: dict, state: ArticleReviews, asset_url) -> None:
    """Fill the article context's review fields; `asset_url(name)` is a static asset's URL
    from the article page."""
    if state.reviews:
        context["reviews_url"] = REVIEWS_URL
    if state.review_mode:
        context["status"] = "review"
        context["review"] = banner_context(state, context["slug"], context["title"])
        context["head_extra"] = head_links(asset_url(REVIEW_STYLE)) + context["head_extra"]
        context["scripts"] = [*context["scripts"], asset_url(REVIEW_SCRIPT)]


def _version_date(meta: dict) -> dt.date | None:
    """The date a review copy shows: the article's latest published or updated date."""
    days = [u["date"] for u in meta["updated"]] + ([meta["published"]] if meta["published"] else [])
    return max(days, default=None)
