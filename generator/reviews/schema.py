"""What a review file may say: the front matter schema, Distill's criteria, and the checks of
`scores:` and `anchors:` that report every bad entry on its own line.

    ---
    reviewer: Chris Example          # or: anonymous
    date: 2026-12-01
    round: 1
    type: review                     # review | response
    recommendation: minor revisions  # accept | minor revisions | major revisions | reject
    version: 3f2a1c9                 # optional: the review copy that was read
    scores:                          # 1 (poor) to 5 (excellent); blank = not scored
      significance: 4
      diagram style: 5               # criteria in words or with underscores, in any case
    anchors:
      - paragraph: p-3f2a1c          # or: figure: fig-grid
        quote: "the exact words selected"
        comment: "Markdown"
    ---

A response has `type: response`, `responds_to: <stem of the file it answers>` and `author:`
instead of `reviewer:`; it carries no scores and no recommendation.
"""

from __future__ import annotations

import re
from typing import Any

from .. import schema as s
from ..errors import Problems, SpecError, closest, did_you_mean

CRITERIA_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Advancing the Dialogue", ("significance",)),
    ("Outstanding Communication", ("structure", "writing", "diagram_style", "impact_of_diagrams",
                                   "readability")),
    ("Scientific Correctness & Integrity", ("claims_supported", "limitations", "replicability",
                                            "cites_relevant_work", "intellectual_honesty")),
)
CRITERIA: tuple[str, ...] = tuple(c for _, group in CRITERIA_GROUPS for c in group)
LABELS = {c: c.replace("_", " ").capitalize() for c in CRITERIA}
RECOMMENDATIONS = {
    "accept": "Accept",
    "minor": "Minor revisions",
    "major": "Major revisions",
    "reject": "Reject",
}
SCORE_RANGE = (1, 5)
PARAGRAPH_ID = re.compile(r"[A-Za-z][\w.:-]*")
FIGURE_ID = re.compile(r"fig-[\w.:-]+")


def _passthrough(value: Any) -> Any:
    return value


def _words(text: str) -> str:
    """Lower case, single spaces, hyphens and underscores as spaces: how people type a name."""
    return " ".join(str(text).replace("_", " ").replace("-", " ").casefold().split())


# What reviewers write for each recommendation, by the key the page shows in Distill's words.
PHRASINGS = {
    "accept": ("accept", "accepted", "accept as is"),
    "minor": ("minor", "minor revision", "minor revisions", "minor changes", "accept with minor revisions"),
    "major": ("major", "major revision", "major revisions", "major changes", "revise and resubmit"),
    "reject": ("reject", "rejected"),
}
_PHRASES = {phrase: key for key, phrases in PHRASINGS.items() for phrase in phrases}


def recommendation(value: Any) -> str:
    """Validator of `recommendation:`, in any usual wording ("minor revisions", "Accept")."""
    key = _PHRASES.get(_words(value)) if isinstance(value, str) else None
    if key is None:
        near = closest(_words(value), _PHRASES, n=1) if isinstance(value, str) else []
        raise SpecError(f"expected accept, minor revisions, major revisions or reject, got {value!r}",
                        f"did you mean '{near[0]}'?" if near else "write one of those")
    return key


def criterion(key: Any) -> str | None:
    """The criterion a `scores:` key names, in any case, with spaces or hyphens
    ("Diagram style", "diagram-style"); None when it names none."""
    wanted = _words(key).replace(" ", "_")
    return wanted if wanted in CRITERIA else None


REVIEW = s.Schema("review", {
    "reviewer": s.Option(s.text, doc="the reviewer's name, or `anonymous`"),
    "author": s.Option(s.text, doc="who answers, for `type: response`"),
    "date": s.Option(s.date, required=True, doc="when it was written, YYYY-MM-DD"),
    "round": s.Option(s.integer(1), default=1, doc="the review round, 1 for the first"),
    "type": s.Option(s.one_of("review", "response"), default="review", doc="review or response"),
    "responds_to": s.Option(s.text, doc="the file name (without .md) of the review answered"),
    "recommendation": s.Option(s.optional(recommendation),
                               doc="accept | minor revisions | major revisions | reject"),
    "version": s.Option(s.optional(s.text), doc="the review copy's version"),
    "scores": s.Option(_passthrough, default={}, doc="criterion: 1-5"),
    "anchors": s.Option(_passthrough, default=[], doc="comments on paragraphs or figures"),
})

ANCHOR = s.Schema("anchor", {
    "paragraph": s.Option(s.optional(s.pattern(PARAGRAPH_ID.pattern, "p-3f2a1c")),
                          doc="the id of a numbered paragraph"),
    "figure": s.Option(s.optional(s.pattern(FIGURE_ID.pattern, "fig-grid")), doc="a figure's id"),
    "quote": s.Option(s.optional(s.text), default="", doc="the words the comment is about"),
    "comment": s.Option(s.text, required=True, doc="the comment, in Markdown"),
})


def check_scores(value: Any, path: str, line: int, problems: Problems) -> dict[str, int | None]:
    """The scores by criterion (None where left blank); one problem per bad entry."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.error(path, line, "review 'scores': expected a mapping of criterion: score",
                       "write one `criterion: 1-5` line per criterion under `scores:`")
        return {}
    lines = getattr(value, "lines", {})
    low, high = SCORE_RANGE
    scores: dict[str, int | None] = {}
    for written, score in value.items():
        where = lines.get(written, line)
        key = criterion(written)
        if key is None:
            problems.error(path, where, f"review 'scores.{written}': unknown criterion",
                           did_you_mean(_words(written).replace(" ", "_"), CRITERIA))
        elif score is None:
            scores[key] = None
        elif isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
            problems.error(path, where, f"review 'scores.{written}': expected a score from {low} to "
                           f"{high}, got {score!r}",
                           f"use a whole number from {low} (poor) to {high} (excellent), or leave it blank")
        else:
            scores[key] = score
    return scores


def check_anchors(value: Any, path: str, line: int, problems: Problems) -> list[dict]:
    """Each anchor as `{kind, target, quote, comment, line}`; one problem per bad entry."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.error(path, line, "review 'anchors': expected a list",
                       "write one `- paragraph: p-…` (or `- figure: fig-…`) item per comment")
        return []
    anchors = []
    for i, item in enumerate(value):
        where = getattr(item, "line", None) or line
        result, issues = ANCHOR.check(item, where)
        if not issues and (result["paragraph"] is None) == (result["figure"] is None):
            issues.append(s.Issue("", "needs exactly one of `paragraph:` or `figure:`",
                                  "name the paragraph (p-…) or the figure (fig-…) it is about", where))
        for issue in issues:
            problems.error(path, issue.line, _anchor_message(i, issue), issue.fix)
        if issues:
            continue
        kind = "paragraph" if result["paragraph"] else "figure"
        anchors.append({"kind": kind, "target": result[kind], "quote": result["quote"] or "",
                        "comment": result["comment"], "line": where})
    return anchors


def check_roles(meta: dict, data: dict, path: str, line: int, problems: Problems) -> None:
    """A review names its reviewer; a response names what it answers and has no scores."""
    lines = getattr(data, "lines", {})
    if meta["type"] == "review":
        if meta["reviewer"] is None:
            problems.error(path, line, "review: missing required key 'reviewer'",
                           "add `reviewer:` (a name, or `anonymous`)")
        if meta["responds_to"] is not None:
            problems.error(path, lines.get("responds_to", line), "review 'responds_to': only a "
                           "response answers another file", "set `type: response` or remove `responds_to:`")
        return
    if meta["responds_to"] is None:
        problems.error(path, line, "review: missing required key 'responds_to'",
                       "add `responds_to:` with the file name (without .md) of the review answered")
    for key in ("scores", "recommendation"):
        if data.get(key):
            problems.error(path, lines.get(key, line), f"review '{key}': a response has no {key}",
                           f"remove `{key}:` or set `type: review`")


def _anchor_message(i: int, issue: s.Issue) -> str:
    base = f"anchors[{i}]"
    if issue.unknown:
        return f"review '{base}.{issue.field}': unknown key"
    if issue.missing:
        return f"review '{base}': missing required key '{issue.field}'"
    field = f"{base}.{issue.field}" if issue.field else base
    return f"review '{field}': {issue.message}"
