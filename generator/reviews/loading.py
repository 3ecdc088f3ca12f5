"""Read `articles/<slug>/reviews/*.md`: front matter checked, Markdown body made safe, author
responses threaded under the file they answer.

Every problem is collected with its file and line; a bad file does not hide the next.
Files whose names start with `.` or `_` are skipped (notes to self, drafts).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from ..errors import Problems, did_you_mean
from ..yamlload import read_front_matter
from . import schema
from .sanitize import review_html



@dataclass
class Comment:
    """A comment on one paragraph or figure of the article."""

    kind: str                      # "paragraph" | "figure"
    target: str                    # the anchor the file names: p-3f2a1c, fig-grid
    quote: str                     # plain text, may be ""
    html: Markup                   # the comment, sanitized
    line: int                      # line of the anchor in the review file
    anchor: str | None = None      # where it is shown; None: unanchored
    label: str = ""                # "¶ 4", "Figure 2"


@dataclass
class ReviewFile:
    """One review or author response."""

    stem: str
    path: str                      # as shown in messages: articles/x/reviews/r1.md
    type: str                      # "review" | "response"
    name: str                      # the reviewer's or author's name, "Anonymous reviewer"
    date: dt.date
    round: int
    recommendation: str | None
    scores: dict[str, int | None]
    version: str | None
    responds_to: str | None
    body_html: Markup
    comments: list[Comment] = field(default_factory=list)
    responses: list["ReviewFile"] = field(default_factory=list)
    number: int = 0                # "Review 2": the review's place among the article's reviews
    responds_line: int | None = None
    parent: "ReviewFile | None" = field(default=None, repr=False)

    @property
    def html_id(self) -> str:
        """The id of this file's section on the reviews page."""
        return f"{self.type}-" + re.sub(r"[^A-Za-z0-9_-]+", "-", self.stem)

    @property
    def heading(self) -> str:
        """"Review 2", "Response to Review 2", and a reply to that "Reply on Review 2"."""
        if self.type == "review":
            return f"Review {self.number}"
        if self.parent is None:
            return "Response"
        if self.parent.type == "review":
            return f"Response to {self.parent.heading}"
        review = self.parent
        while review.parent is not None and review.type != "review":
            review = review.parent
        return f"Reply on {review.heading}" if review.type == "review" else "Reply"

    @property
    def anonymous(self) -> bool:
        return self.name == "Anonymous reviewer"

    @property
    def unanchored(self) -> list[Comment]:
        return [c for c in self.comments if c.anchor is None]


def load_reviews(folder: Path, display: str, problems: Problems) -> list[ReviewFile]:
    """Every review file in `folder` (shown as `display` in messages), threaded: returns the
    reviews, each with its responses (and their responses) in `responses`."""
    if not folder.is_dir():
        return []
    files, unread = [], set()
    for path in sorted(folder.glob("*.md")):
        if path.name.startswith((".", "_")):
            continue
        review = read_review(path, f"{display}/{path.name}", problems)
        if review is not None:
            files.append(review)
        else:
            unread.add(path.stem)
    return thread(files, problems, unread)


def read_review(path: Path, shown: str, problems: Problems) -> ReviewFile | None:
    """One file, or None (with problems added) when its front matter cannot be used."""
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.error(shown, None, f"not UTF-8 text ({exc.reason})", "save the file as UTF-8")
        return None
    front = read_front_matter(source, shown, problems, what="review ", keys="reviewer, date, scores, …")
    if front is None:
        return None
    data = front.data
    if not isinstance(data, dict):
        problems.error(shown, 2, "review front matter must be `key: value` lines",
                       "write YAML keys such as `reviewer:` and `date:` between the `---` lines")
        return None
    before = len(problems.errors)
    meta = schema.REVIEW.validate(data, shown, problems, line=1)
    lines_of = getattr(data, "lines", {})
    scores = schema.check_scores(data.get("scores"), shown, lines_of.get("scores", 1), problems)
    anchors = schema.check_anchors(data.get("anchors"), shown, lines_of.get("anchors", 1), problems)
    if len(problems.errors) == before:
        schema.check_roles(meta, data, shown, 1, problems)
    if len(problems.errors) > before:
        return None
    return ReviewFile(
        stem=path.stem, path=shown, type=meta["type"], name=_name(meta),
        date=meta["date"], round=meta["round"], recommendation=meta["recommendation"],
        scores=scores, version=meta["version"], responds_to=meta["responds_to"],
        body_html=review_html(front.body),
        comments=[Comment(a["kind"], a["target"], a["quote"], review_html(a["comment"]), a["line"])
                  for a in anchors],
        responds_line=lines_of.get("responds_to"),
    )


def thread(files: list[ReviewFile], problems: Problems, unread: set[str] = frozenset()) -> list[ReviewFile]:
    """Put each response under the file it answers; return the reviews in reading order
    (round, date, file name), numbered 1, 2, …. A response to a file that could not be read
    (`unread`, its own problem said) is left out without another."""
    by_stem = {f.stem: f for f in files}
    order = sorted(files, key=lambda f: (f.round, f.date, f.stem))
    for f in order:
        if f.type != "response":
            continue
        parent = by_stem.get(f.responds_to)
        if parent is None and f.responds_to in unread:
            continue
        if parent is None or parent is f:
            others = [s for s in by_stem if s != f.stem]
            problems.error(f.path, f.responds_line, f"review 'responds_to': no review '{f.responds_to}' in "
                           "reviews/", did_you_mean(f.responds_to, others) if others else
                           "add the review it answers, or remove the response")
            continue
        parent.responses.append(f)
        f.parent = parent
    reviews = [f for f in order if f.type == "review"]
    reached = set()
    stack = list(reviews)
    while stack:
        f = stack.pop()
        reached.add(f.stem)
        stack.extend(r for r in f.responses if r.stem not in reached)
    for f in order:
        if f.type == "response" and f.stem not in reached and by_stem.get(f.responds_to) not in (None, f):
            problems.error(f.path, f.responds_line, "review 'responds_to': the responses answer each other in "
                           "a circle and reach no review", "make one of them answer a review")
    for number, review in enumerate(reviews, start=1):
        review.number = number
    return reviews


def all_files(reviews: list[ReviewFile]) -> list[ReviewFile]:
    """Every file of a thread list, reviews before their responses."""
    out = []
    for review in reviews:
        out.append(review)
        out.extend(all_files(review.responses))
    return out


def _name(meta: dict) -> str:
    if meta["type"] == "response":
        return meta["author"] or meta["reviewer"] or "The authors"
    name = meta["reviewer"] or "anonymous"
    return "Anonymous reviewer" if name.strip().lower() == "anonymous" else name
