"""The HTML of every golden case, put in a page the way the build puts it, is valid HTML5
for the Nu HTML Checker (no block inside a paragraph, unique ids, valid MathML)."""

from __future__ import annotations

import html

from test_markdown_golden import CASES, GOLDEN, KINDS
from validate_html import require_vnu, validate_html

from generator.bib import load_bibliography
from generator.markdown import render_markdown

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><article>
{body}
<section><h2>Footnotes</h2>{footnotes}</section>
<section><h2>References</h2><ol>{references}</ol></section>
</article></main></body></html>
"""


def page(name: str) -> str:
    """One golden case as a page: figures in place of placeholders, notes and references."""
    refs = load_bibliography(GOLDEN / "references.bib")
    result = render_markdown((GOLDEN / name / "input.md").read_text(encoding="utf-8"),
                             references=refs, directive_kinds=KINDS)
    body = result.html
    for figure in result.figures:
        attrs = f' id="{html.escape(figure.id)}"' if figure.id else ""
        body = body.replace(figure.placeholder,
                            f"<figure{attrs}><figcaption>{figure.caption_html}</figcaption></figure>")
    references = "".join(f'<li id="ref-{key}">{refs[key].html()}</li>' for key in result.citations)
    return PAGE.format(title=name, body=body, footnotes=result.footnotes_html, references=references)


def test_golden_pages_are_valid_html(tmp_path):
    require_vnu()
    paths = []
    for name in CASES:
        path = tmp_path / f"{name}.html"
        path.write_text(page(name), encoding="utf-8")
        paths.append(path)
    errors = validate_html(paths)
    assert not errors, "\n".join(map(str, errors))
