"""Review files: what a good one gives, how responses thread, and one clear line per bad input."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from generator.build import BuildOptions, build
from generator.errors import BuildError, Problems
from generator.reviews import load_reviews
from projects import article, make_project

REVIEW = """\
---
reviewer: Lena Marsh
date: 2026-11-20
round: 1
recommendation: minor
scores:
  significance: 3
  writing: 5
  limitations:
anchors:
  - paragraph: p-3f2a1c
    quote: "the exact words"
    comment: "Say *why*."
  - figure: fig-grid
    comment: Label the axes.
---
The article is **clear**.
"""

RESPONSE = """\
---
author: Ada Example
date: 2026-11-25
type: response
responds_to: r1
---
Thank you; fixed.
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text))
    return folder


def load(tmp_path: Path, files: dict[str, str]):
    problems = Problems()
    reviews = load_reviews(write(tmp_path / "reviews", files), "articles/x/reviews", problems)
    return reviews, problems


def messages(tmp_path: Path, files: dict[str, str]) -> list[str]:
    _, problems = load(tmp_path, files)
    return [str(p) for p in problems.errors]


def test_a_review_gives_its_fields_scores_and_comments(tmp_path):
    (review,), problems = load(tmp_path, {"r1.md": REVIEW})
    assert not problems.errors
    assert (review.name, review.date, review.round, review.recommendation) == \
        ("Lena Marsh", dt.date(2026, 11, 20), 1, "minor")
    assert review.scores == {"significance": 3, "writing": 5, "limitations": None}
    assert str(review.body_html) == "<p>The article is <strong>clear</strong>.</p>"
    paragraph, figure = review.comments
    assert (paragraph.kind, paragraph.target, paragraph.quote) == ("paragraph", "p-3f2a1c", "the exact words")
    assert str(paragraph.html) == "<p>Say <em>why</em>.</p>"
    assert paragraph.line == 11
    assert (figure.kind, figure.target, figure.quote) == ("figure", "fig-grid", "")


def test_responses_thread_under_the_review_they_answer(tmp_path):
    later = RESPONSE.replace("responds_to: r1", "responds_to: a1").replace("2026-11-25", "2026-11-26")
    reviews, problems = load(tmp_path, {"r1.md": REVIEW, "a1.md": RESPONSE, "a2.md": later,
                                        "r0.md": REVIEW.replace("Lena Marsh", "anonymous")})
    assert not problems.errors
    assert [r.stem for r in reviews] == ["r0", "r1"]           # by round, then date, then name
    assert [r.heading for r in reviews] == ["Review 1", "Review 2"]
    assert reviews[0].name == "Anonymous reviewer"
    (answer,) = reviews[1].responses
    assert (answer.stem, answer.name, answer.heading) == ("a1", "Ada Example", "Response to Review 2")
    assert [r.stem for r in answer.responses] == ["a2"]


@pytest.mark.parametrize("files, expected", [
    ({"r1.md": REVIEW.replace("  writing: 5", "  clarity: 4")},
     "articles/x/reviews/r1.md:8: review 'scores.clarity': unknown criterion — expected one of "
     "cites_relevant_work, claims_supported, diagram_style, impact_of_diagrams, intellectual_honesty, "
     "limitations, readability, replicability, significance, structure, writing"),
    ({"r1.md": REVIEW.replace("  writing: 5", "  writting: 4")},
     "articles/x/reviews/r1.md:8: review 'scores.writting': unknown criterion — did you mean 'writing' or 'limitations'?"),
    ({"r1.md": REVIEW.replace("  writing: 5", "  writing: 7")},
     "articles/x/reviews/r1.md:8: review 'scores.writing': expected a score from 1 to 5, got 7 — "
     "use a whole number from 1 (poor) to 5 (excellent), or leave it blank"),
    ({"r1.md": REVIEW.replace("  writing: 5", "  writing: good")},
     "articles/x/reviews/r1.md:8: review 'scores.writing': expected a score from 1 to 5, got 'good' — "
     "use a whole number from 1 (poor) to 5 (excellent), or leave it blank"),
    ({"r1.md": REVIEW.replace("reviewer:", "reviwer:")},
     "articles/x/reviews/r1.md:2: review: unknown key 'reviwer' — did you mean 'reviewer'?"),
    ({"r1.md": REVIEW.replace("recommendation: minor", "recommendation: minr")},
     "articles/x/reviews/r1.md:5: review 'recommendation': expected accept, minor revisions, major revisions "
     "or reject, got 'minr' — did you mean 'minor'?"),
    ({"r1.md": REVIEW.replace("reviewer: Lena Marsh\n", "")},
     "articles/x/reviews/r1.md:1: review: missing required key 'reviewer' — add `reviewer:` (a name, or `anonymous`)"),
    ({"r1.md": REVIEW.replace("---\n", "", 1)},
     "articles/x/reviews/r1.md:1: review has no front matter — start the file with a `---` line, "
     "YAML keys (reviewer, date, scores, …) and a closing `---` line"),
    ({"r1.md": REVIEW.replace("\n---\n", "\n", 1)},
     "articles/x/reviews/r1.md:1: review front matter is not closed — add a `---` line after the YAML keys"),
    ({"r1.md": REVIEW.replace("round: 1", "round: [1")},
     "articles/x/reviews/r1.md:4: invalid YAML: a '[' opened here is never closed — "
     "close it with ']' on this line, or quote the value"),
    ({"r1.md": REVIEW.replace("    comment: Label the axes.\n", "")},
     "articles/x/reviews/r1.md:14: review 'anchors[1]': missing required key 'comment' — "
     "add `comment:` (the comment, in Markdown)"),
    ({"r1.md": REVIEW.replace("  - figure: fig-grid", "  - paragraph: p-1\n    figure: fig-grid")},
     "articles/x/reviews/r1.md:14: review 'anchors[1]': needs exactly one of `paragraph:` or `figure:` — "
     "name the paragraph (p-…) or the figure (fig-…) it is about"),
    ({"r1.md": REVIEW, "a1.md": RESPONSE.replace("responds_to: r1", "responds_to: r2")},
     "articles/x/reviews/a1.md:5: review 'responds_to': no review 'r2' in reviews/ — did you mean 'r1'?"),
    ({"r1.md": REVIEW, "a1.md": RESPONSE.replace("type: response\n", "type: response\nscores:\n  writing: 3\n")},
     "articles/x/reviews/a1.md:5: review 'scores': a response has no scores — remove `scores:` or set `type: review`"),
])
def test_each_bad_input_is_one_clear_line(tmp_path, files, expected):
    assert messages(tmp_path, files) == [expected]


def test_every_bad_score_is_reported_not_just_the_first(tmp_path):
    text = REVIEW.replace("  significance: 3", "  significance: 0").replace("  writing: 5", "  clarity: 2")
    assert [m.split(": review ")[0] for m in messages(tmp_path, {"r1.md": text})] == \
        ["articles/x/reviews/r1.md:7", "articles/x/reviews/r1.md:8"]


def test_a_bad_review_stops_the_build_with_its_line(tmp_path):
    root = make_project(tmp_path, {"x": {
        "index.md": article("Hello.\n"),
        "reviews/r1.md": REVIEW.replace("  writing: 5", "  writing: 9"),
    }})
    with pytest.raises(BuildError) as caught:
        build(BuildOptions(root=root, progress=False, write=False))
    assert [str(p) for p in caught.value.problems] == [
        "articles/x/reviews/r1.md:8: review 'scores.writing': expected a score from 1 to 5, got 9 — "
        "use a whole number from 1 (poor) to 5 (excellent), or leave it blank"]


@pytest.mark.parametrize("written, key", [("minor revisions", "minor"), ("Major Revisions", "major"),
                                          ("Accept", "accept"), ("rejected", "reject"), ("minor", "minor")])
def test_recommendations_are_read_as_reviewers_write_them(tmp_path, written, key):
    problems = Problems()
    folder = tmp_path / "reviews"
    folder.mkdir()
    (folder / "r1.md").write_text(REVIEW.replace("recommendation: minor", f"recommendation: {written}")
                                  .replace("  writing: 5", "  Diagram style: 5\n  claims-supported: 4"))
    (review,) = load_reviews(folder, "articles/x/reviews", problems)
    assert not problems.errors, problems.errors
    assert review.recommendation == key
    assert review.scores["diagram_style"] == 5 and review.scores["claims_supported"] == 4


def test_a_response_to_a_review_that_cannot_be_read_adds_no_second_error(tmp_path):
    broken = REVIEW.replace("date: 2026-11-20", "date: [2026-11-20")
    errors = messages(tmp_path, {"r1.md": broken, "a1.md": RESPONSE})
    assert len(errors) == 1 and errors[0].startswith("articles/x/reviews/r1.md:"), errors
