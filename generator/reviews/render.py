"""Reviews into pages: the review copy's body (numbered paragraphs, comments in the margin,
the unanchored list), the banner's facts, and the reviews page `<slug>/reviews/index.html`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from ..templates import environment
from .anchors import Block, mark_blocks
from .loading import ReviewFile, all_files
from .placing import FigureTarget, comments_by_anchor, unanchored
from .schema import CRITERIA, CRITERIA_GROUPS, LABELS, RECOMMENDATIONS

REVIEWS_URL = "reviews/index.html"        # relative to the article page
REVIEW_SCRIPT = "js/review-mode.js"
REVIEW_STYLE = "css/review.css"


@dataclass
class ArticleReviews:
    """An article's reviews and, for a review copy, what the copy shows."""

    reviews: list[ReviewFile]
    review_mode: bool
    version: str                           # short hash of index.md
    version_date: dt.date | None           # the article's latest published or updated date
    blocks: list[Block] = field(default_factory=list)
    figures: list[FigureTarget] = field(default_factory=list)

    @property
    def files(self) -> list[ReviewFile]:
        return all_files(self.reviews)


def version_of(index_md: Path) -> str:
    """The review copy's version: the first 7 hex digits of index.md's sha256."""
    return hashlib.sha256(index_md.read_bytes()).hexdigest()[:7]


def review_body(html: str, state: ArticleReviews) -> str:
    """The body of a review copy: blocks numbered and anchored, every comment of the review
    files beside its paragraph or figure, the unanchored ones in a list at the end."""
    env = environment()
    note = env.get_template("partials/review-notes.html")
    grouped = comments_by_anchor(state.reviews)
    notes = {anchor: note.render(items=items, reviews_url=REVIEWS_URL)
             for anchor, items in grouped.items()}
    html = mark_blocks(html, state.blocks, after=notes)
    for figure in state.figures:
        if figure.id in notes:
            html = html.replace(figure.placeholder, figure.placeholder + "\n" + notes[figure.id], 1)
    lost = unanchored(state.reviews)
    if lost:
        html += "\n" + env.get_template("partials/review-unanchored.html").render(
            items=lost, reviews_url=REVIEWS_URL)
    return html


def banner_context(state: ArticleReviews, slug: str, title: str) -> dict:
    """`article.review`: what the review copy's banner and annotation tool need."""
    reviews = [f for f in state.files if f.type == "review"]
    this = [f.round for f in reviews if f.version == state.version]
    config = {
        "slug": slug,
        "title": title,
        "version": state.version,
        # this version's round: that of its reviews so far, else the one after the last
        "round": max(this) if this else max((f.round for f in reviews), default=0) + 1,
        "groups": [{"name": name, "criteria": list(keys)} for name, keys in CRITERIA_GROUPS],
        "recommendations": list(RECOMMENDATIONS),
    }
    return {
        "version": state.version,
        "date": state.version_date,
        "reviews_url": REVIEWS_URL if state.reviews else None,
        "count": len(state.reviews),
        "comments": sum(len(f.comments) for f in state.files),
        "config_json": json.dumps(config, sort_keys=True),
    }


def reviews_page_context(state: ArticleReviews) -> dict:
    """What `reviews.html` reads besides the page basics and `article`. The table that
    compares scores (`scored`) is shown when two or more reviews give scores."""
    scored = [r for r in state.reviews if any(v is not None for v in r.scores.values())]
    return {
        "reviews": state.reviews,
        "groups": [(name, [(key, LABELS[key]) for key in keys]) for name, keys in CRITERIA_GROUPS],
        "scored": scored if len(scored) > 1 else [],
        "criteria": CRITERIA,
        "recommendations": RECOMMENDATIONS,
        "review_mode": state.review_mode,
        "unanchored_count": len(unanchored(state.reviews)),
        "article_url": "../index.html",
    }


def head_links(style_url: str) -> Markup:
    """The review stylesheet's `<link>`, for an article's `head_extra`."""
    return Markup('<link rel="stylesheet" href="{}">\n').format(style_url)
