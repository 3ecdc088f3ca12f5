"""`render_markdown`: an article body to HTML, figures, toc, citations, footnotes, problems."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import markdown

from generator.errors import Problems
from generator.markdown import footnotes
from generator.markdown.citations import CitationExtension
from generator.markdown.crossrefs import CrossrefExtension
from generator.markdown.directives import DirectiveExtension
from generator.markdown.formulas import MathExtension
from generator.markdown.sections import SectionExtension
from generator.markdown.state import Directive, RenderState, SourceText, TocEntry

log = logging.getLogger(__name__)

BUILTIN_EXTENSIONS = ["tables", "attr_list", "def_list", "md_in_html", "fenced_code",
                      "codehilite", "footnotes", "smarty"]
BUILTIN_CONFIG: dict[str, dict[str, Any]] = {
    "codehilite": {"css_class": "highlight", "guess_lang": False, "use_pygments": True},
    "footnotes": footnotes.CONFIG,
}


@dataclass
class RenderedMarkdown:
    """What `render_markdown` found in one article body.

    `html` is the body, each figure replaced by its `Directive.placeholder`; `figures`,
    `toc` and `citations` are in document order (a citation's number is its index + 1);
    `footnotes_html` is the note list for the appendix ("" when there are none).
    """

    html: str
    figures: list[Directive]
    toc: list[TocEntry]
    citations: list[str]
    footnotes_html: str
    problems: Problems


def make_markdown(state: RenderState) -> markdown.Markdown:
    """A Markdown converter with the built-in and Vellum extensions, sharing `state`."""
    return markdown.Markdown(
        output_format="html",
        extensions=BUILTIN_EXTENSIONS + [
            DirectiveExtension(state), MathExtension(state), CitationExtension(state),
            CrossrefExtension(state), SectionExtension(state), footnotes.FootnoteExtension(state),
        ],
        extension_configs=BUILTIN_CONFIG,
    )


def render_markdown(
    text: str,
    path: str = "<article>",
    first_line: int = 1,
    references: Mapping[str, Any] | None = None,
    directive_kinds: Iterable[str] = (),
    citation_style: str = "numbered",
    bibliography_read: bool = True,
) -> RenderedMarkdown:
    """Render an article body (the text after the front matter) to HTML.

    `first_line` is the file line of the body's first line, so every problem names its line
    in the file. `references` maps citation keys to `generator.bib.Reference`; directive
    kinds other than `directive_kinds` (and the built-in `aside`) are errors. Citations are
    numbered, or with `citation_style="author-year"` read (Olah et al., 2017); when the
    bibliography could not be read (`bibliography_read=False`, its problem said elsewhere), a
    key missing from `references` is not reported as unknown. Problems are
    collected, not raised: the caller decides when to stop.
    """
    state = RenderState(
        path=str(path),
        source=SourceText(text, first_line),
        references=references or {},
        bibliography_read=bibliography_read,
        directive_kinds=frozenset(directive_kinds),
        citation_style=citation_style,
    )
    html = make_markdown(state).convert(text)
    state.problems.errors.sort(key=lambda p: p.line or 0)
    state.problems.warnings.sort(key=lambda p: p.line or 0)
    log.debug("%s: %d figures, %d citations, %d errors", path, len(state.figures),
              len(state.citations), len(state.problems.errors))
    return RenderedMarkdown(html, state.figures, state.toc, state.citations,
                            state.footnotes_html, state.problems)
