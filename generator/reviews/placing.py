"""Where each review comment goes: the paragraph or figure it names, or the "Unanchored
comments" list. No review text is ever dropped.

A paragraph anchor is the id of a numbered block (see `anchors.py`). When that paragraph was
rewritten its id is gone; if the comment's quote still occurs in exactly one paragraph the
comment moves there, with a warning, else it is kept unanchored, with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Problems
from .anchors import Block, normalise
from .loading import Comment, ReviewFile, all_files


@dataclass(frozen=True)
class FigureTarget:
    """A figure a comment may point at: its id, its number and its placeholder in the body."""

    id: str
    number: int
    placeholder: str


def place_comments(reviews: list[ReviewFile], blocks: list[Block], figures: list[FigureTarget],
                   problems: Problems) -> None:
    """Set `anchor` and `label` of every comment; warn about each one that lost its place."""
    by_anchor = {b.anchor: b for b in blocks}
    by_figure = {f.id: f for f in figures}
    for review in all_files(reviews):
        for comment in review.comments:
            if comment.kind == "figure":
                _place_on_figure(comment, review, by_figure, problems)
            else:
                _place_on_paragraph(comment, review, by_anchor, blocks, problems)


def _place_on_paragraph(comment: Comment, review: ReviewFile, by_anchor: dict[str, Block],
                        blocks: list[Block], problems: Problems) -> None:
    block = by_anchor.get(comment.target)
    if block is not None:
        comment.anchor, comment.label = block.anchor, f"¶ {block.number}"
        return
    quote = normalise(comment.quote)
    matches = [b for b in blocks if quote and quote in normalise(b.text)]
    if len(matches) == 1:
        block = matches[0]
        comment.anchor, comment.label = block.anchor, f"¶ {block.number}"
        problems.warn(review.path, comment.line, f"review anchor '{comment.target}': no such "
                      f"paragraph any more; its quote is in paragraph {block.number} ({block.anchor}), "
                      "so the comment is shown there", f"change the anchor to `paragraph: {block.anchor}`")
        return
    problems.warn(review.path, comment.line, f"review anchor '{comment.target}': no such paragraph "
                  "in the article (it was rewritten or removed)",
                  "the comment is kept under \"Unanchored comments\"; point it at a paragraph id of "
                  "the current review copy")


def _place_on_figure(comment: Comment, review: ReviewFile, by_figure: dict[str, FigureTarget],
                     problems: Problems) -> None:
    figure = by_figure.get(comment.target)
    if figure is not None:
        comment.anchor, comment.label = figure.id, f"Figure {figure.number}"
        return
    problems.warn(review.path, comment.line, f"review anchor '{comment.target}': no such figure "
                  "in the article", "the comment is kept under \"Unanchored comments\"; use the "
                  "`id:` of one of the article's figures")


def comments_by_anchor(reviews: list[ReviewFile]) -> dict[str, list[tuple[ReviewFile, Comment]]]:
    """Anchored comments grouped by the paragraph or figure they are shown beside."""
    grouped: dict[str, list[tuple[ReviewFile, Comment]]] = {}
    for review in all_files(reviews):
        for comment in review.comments:
            if comment.anchor is not None:
                grouped.setdefault(comment.anchor, []).append((review, comment))
    return grouped


def unanchored(reviews: list[ReviewFile]) -> list[tuple[ReviewFile, Comment]]:
    """Every comment whose paragraph or figure is gone, in file order."""
    return [(r, c) for r in all_files(reviews) for c in r.unanchored]
