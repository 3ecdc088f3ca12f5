"""Citations: `[@key]` and `[@a; @b]`, numbered in the order the reader first meets them (or,
in the author-year style, `(Olah et al., 2017; Carter, 2019)`).

    [@olah2017feature; @olah2018building]

renders, once both are numbered, as

    <span class="citation" data-cites="olah2017feature olah2018building">[<a
      href="#ref-olah2017feature">1</a>, <a href="#ref-olah2018building">2</a>]</span>

`data-cites` keeps the keys in the order written; the numbers inside the brackets are sorted.
Each link points at `#ref-KEY`, the entry in the article's reference list.

The inline pattern only marks citations; numbers are given by a tree processor walking the
finished tree in document order (the inline processor itself visits nested blocks out of
order). Keys that start like cross-references (`fig-`, `sec-`, `eq-`) are left to those.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown import Markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from generator.markdown.priorities import priority
from generator.markdown.state import RenderState
from generator.markdown.tree import text_nodes

KEY = r"(?!(?:fig|sec|eq)-)\w[\w:.+?~/-]*"
CITATION = rf"\[(?P<keys>@{KEY}(?:\s*;\s*@{KEY})*)\s*\]"
BARE_KEY = re.compile(rf"(?<![\w.@/\\])@({KEY})")
CITATION_CLASS = "citation"
REFERENCE_ID_PREFIX = "ref-"


class CitationProcessor(InlineProcessor):
    """Marks `[@a; @b]` as an empty `<span class="citation" data-cites="a b">`."""

    def __init__(self, md: Markdown):
        super().__init__(CITATION, md)

    def handleMatch(self, m: re.Match, data: str):  # noqa: N802 (Python-Markdown's name)
        keys = re.findall(rf"@({KEY})", m.group("keys"))
        span = etree.Element("span", {"class": CITATION_CLASS, "data-cites": " ".join(keys)})
        return span, m.start(0), m.end(0)


class CitationNumberer(Treeprocessor):
    """Numbers citations in document order and fills in their links; reports unknown keys."""

    def __init__(self, md: Markdown, state: RenderState):
        super().__init__(md)
        self.state = state

    def run(self, root: etree.Element) -> None:
        for span in root.iter("span"):
            if span.get("class") == CITATION_CLASS and span.get("data-cites") is not None:
                self.fill(span, span.get("data-cites").split())
        for text in text_nodes(root):
            for key in (k.rstrip(".:?/~+-") for k in BARE_KEY.findall(text)):
                if key in self.state.references:
                    self.state.warn(self.state.source.line_of("@" + key), f"'@{key}' is not a citation",
                                    f"write [@{key}] to cite it")

    def number(self, key: str) -> int | None:
        """The number of `key`, given on first use; None (and an error) when unknown."""
        if key in self.state.citations:
            return self.state.citations.index(key) + 1
        if key not in self.state.references:
            if not self.state.bibliography_read:
                return None
            line = self.state.source.line_of("@" + key)
            fix = self.state.suggest(key, self.state.references,
                                     "add it to the BibTeX file named by `bibliography:` in the front matter")
            self.state.error(line, f"unknown citation key '{key}'", fix)
            return None
        self.state.citations.append(key)
        return len(self.state.citations)

    def fill(self, span: etree.Element, keys: list[str]) -> None:
        """`[1, 3]`, numbers sorted; or in the author-year style `(Olah et al., 2017; Carter,
        2019)`, in the order written. Each is a link to its entry in the reference list."""
        numbered = sorted((n, key) for key in keys if (n := self.number(key)) is not None)
        if self.state.citation_style == "author-year":
            known = [key for key in keys if key in self.state.references]
            _links(span, [(key, self.state.references[key].short_label()) for key in known], "(", "; ", ")")
        else:
            _links(span, [(key, str(n)) for n, key in numbered], "[", ", ", "]")


def _links(span: etree.Element, items: list[tuple[str, str]], opening: str, between: str, closing: str) -> None:
    """Fill `span` with one link per (key, text), separated, in brackets; `?` when none."""
    span.text = opening
    previous: etree.Element | None = None
    for key, text in items:
        link = etree.SubElement(span, "a", {"href": f"#{REFERENCE_ID_PREFIX}{key}"})
        link.text = text
        if previous is not None:
            previous.tail = between
        previous = link
    if previous is None:
        span.text = f"{opening}?{closing}"
    else:
        previous.tail = closing


class CitationExtension(Extension):
    """Registers the citation pattern and the numbering tree processor."""

    def __init__(self, state: RenderState):
        super().__init__()
        self.state = state

    def extendMarkdown(self, md: Markdown) -> None:
        md.inlinePatterns.register(CitationProcessor(md), "vellum-citation",
                                   priority("inline", "vellum-citation"))
        md.treeprocessors.register(CitationNumberer(md, self.state), "vellum-citations",
                                   priority("tree", "vellum-citations"))
