"""What `render_markdown` returns, beyond the golden HTML: figures, toc, citation order,
footnotes for the appendix, and HTML a validator accepts."""

from __future__ import annotations

import html
import re
import textwrap

from generator.bib import Reference
from generator.markdown import Directive, TocEntry, render_markdown

KINDS = {"image", "bokeh"}
REFS = {key: Reference(key=key, kind="misc", authors=[], title=key) for key in "abcd"}


def render(body: str, **kwargs):
    kwargs.setdefault("references", REFS)
    kwargs.setdefault("directive_kinds", KINDS)
    return render_markdown(textwrap.dedent(body).lstrip("\n"), path="x/index.md", **kwargs)


def test_figures_are_directives_in_document_order_with_file_lines():
    result = render("""
        Intro.

        ```{image}
        id: fig-one
        src: one.png
        caption: First, see @fig-two.
        ```

        ```{aside}
        A note, not a figure.
        ```

        ```{bokeh}
        source: figures.py:chart
        ```

        ```{image}
        id: fig-two
        src: two.png
        ```
    """, first_line=5)
    assert result.figures == [
        Directive("image", {"id": "fig-one", "src": "one.png", "caption": "First, see @fig-two."}, 7,
                  "fig-one", 1, "<!--vellum-figure-1-->",
                  'First, see <a class="xref" data-ref="fig-two" href="#fig-two">Figure 3</a>.',
                  {"id": 8, "src": 9, "caption": 10}),
        Directive("bokeh", {"source": "figures.py:chart"}, 17, None, 2, "<!--vellum-figure-2-->", "",
                  {"source": 18}),
        Directive("image", {"id": "fig-two", "src": "two.png"}, 21, "fig-two", 3, "<!--vellum-figure-3-->", "",
                  {"id": 22, "src": 23}),
    ]


def test_each_placeholder_stands_alone_once_in_the_body():
    result = render("Text before\n```{image}\nid: fig-a\ncaption: Cap.\n```\ntext after.\n")
    blocks = [line.strip() for line in result.html.splitlines()]
    assert blocks.count("<!--vellum-figure-1-->") == 1
    assert "Cap." not in result.html
    assert result.figures[0].caption_html == "Cap."


def test_toc_numbers_h2_and_h3_and_keeps_inline_markup():
    result = render("""
        ## Why *this* {#sec-why}

        ### Details

        ### Details

        #### Not numbered

        ## Then
    """)
    assert result.toc == [
        TocEntry(2, "sec-why", "1", "Why <em>this</em>"),
        TocEntry(3, "details", "1.1", "Details"),
        TocEntry(3, "details-2", "1.2", "Details"),
        TocEntry(2, "then", "2", "Then"),
    ]
    assert '<h4 id="not-numbered">Not numbered</h4>' in result.html


def test_citations_are_numbered_in_reading_order_even_in_nested_lists():
    result = render("""
        - first [@b]
            - nested [@d]
        - second [@a]

        Then [@c; @b].
    """)
    assert result.citations == ["b", "d", "a", "c"]
    assert '<span class="citation" data-cites="c b">[<a href="#ref-b">1</a>, <a href="#ref-c">4</a>]</span>' \
        in result.html


def test_footnotes_leave_the_body_for_the_appendix():
    result = render("Claim.[^n]\n\n[^n]: The note.\n")
    assert '<sup id="fnref-n"><a class="footnote-ref" href="#fn-n">1</a></sup>' in result.html
    assert "The note." not in result.html and "footnote" not in result.html.replace("footnote-ref", "")
    assert result.footnotes_html.startswith('<ol class="footnotes">\n<li id="fn-n">')
    assert render("No notes.").footnotes_html == ""


def test_directive_like_text_inside_code_is_code():
    result = render("""
        ````markdown
        ```{image}
        id: fig-x
        ```
        ````
    """)
    assert result.figures == [] and not result.problems.errors
    assert "{image}" in html.unescape(result.html)


def test_code_is_highlighted_with_pygments_classes():
    result = render("```python\nx = 1  # $x$ @fig-y\n```\n")
    assert result.html.startswith('<div class="highlight"><pre><span></span><code><span class="n">x</span>')
    assert "<math" not in result.html and "xref" not in result.html


def test_tables_definition_lists_and_typography():
    result = render("""
        | a | b |
        |---|---|
        | 1 | 2 |

        Term
        :   Definition -- with "quotes".
    """)
    assert "<table>" in result.html and "<dl>" in result.html
    assert "&ndash; with &ldquo;quotes&rdquo;" in result.html


def test_ids_are_unique_across_headings_figures_and_equations():
    result = render("""
        ## Results

        ## Results

        ```{image}
        id: fig-results
        ```

        $$ x $$ {#eq-results}
    """)
    ids = re.findall(r'\bid="([^"]+)"', result.html)
    assert len(ids) == len(set(ids))
