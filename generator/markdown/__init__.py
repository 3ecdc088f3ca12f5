"""Vellum's Markdown: Python-Markdown plus directives, citations, cross-references, math,
asides and footnotes for the appendix. Each extension is one file; their priorities are in
`priorities.py`; what one rendering shares lives in `state.RenderState`.

    result = render_markdown(body, path="articles/x/index.md", first_line=7,
                             references=refs, directive_kinds={"image", "bokeh"})
"""

from generator.markdown.formulas import FormulaError, typeset
from generator.markdown.render import RenderedMarkdown, render_markdown
from generator.markdown.state import Directive, TocEntry

__all__ = ["render_markdown", "RenderedMarkdown", "Directive", "TocEntry", "typeset", "FormulaError"]
