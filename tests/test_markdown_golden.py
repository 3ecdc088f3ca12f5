"""Golden tests: each folder of tests/golden/markdown/ is an input.md and the expected.html.

`expected.html` holds the body, then (when there are any) the footnote list after a
`<!-- footnotes -->` line and each figure's caption after a `<!-- figure N caption -->` line.
Both sides are compared with white space normalised. To rewrite the expected files after an
intended change, run with VELLUM_REGEN_GOLDEN=1 and read the diff before committing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from generator.bib import load_bibliography
from generator.markdown import render_markdown

GOLDEN = Path(__file__).parent / "golden" / "markdown"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "input.md").exists())
KINDS = {"image", "bokeh", "activation-grid"}


def render_case(name: str) -> str:
    """The golden text of one case: body, footnotes, captions."""
    result = render_markdown((GOLDEN / name / "input.md").read_text(encoding="utf-8"),
                             path=f"{name}/input.md", first_line=1,
                             references=load_bibliography(GOLDEN / "references.bib"),
                             directive_kinds=KINDS)
    assert not result.problems.errors, "\n".join(map(str, result.problems.errors))
    parts = [result.html]
    if result.footnotes_html:
        parts += ["<!-- footnotes -->", result.footnotes_html]
    for figure in result.figures:
        parts += [f"<!-- figure {figure.number} caption -->", figure.caption_html]
    return "\n".join(parts) + "\n"


def normalise(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str) -> None:
    actual = render_case(name)
    expected_path = GOLDEN / name / "expected.html"
    if os.environ.get("VELLUM_REGEN_GOLDEN") == "1":
        expected_path.write_text(actual, encoding="utf-8")
    assert normalise(actual) == normalise(expected_path.read_text(encoding="utf-8"))


def test_every_case_has_expected_output() -> None:
    assert CASES, "no golden cases found"
    missing = [name for name in CASES if not (GOLDEN / name / "expected.html").exists()]
    assert not missing
