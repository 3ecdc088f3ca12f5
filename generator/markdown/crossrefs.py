"""Cross-references with Quarto's prefixes: `@fig-x`, `@sec-x`, `@eq-x`.

    As @fig-grid shows ...

renders as

    As <a class="xref" href="#fig-grid" data-ref="fig-grid">Figure 2</a> shows ...

and likewise "Section 1.2" and "Equation 1". Targets are figure directives with an `id`,
h2/h3 headings with `{#sec-...}`, and display equations with `{#eq-...}`. An `@` inside a
word (an e-mail address) is not a reference. The pattern only marks references; a tree
processor resolves them once every target is known, so a reference may come before its
target.
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

CROSSREF = r"(?<![\w.@/\\])@(?P<id>(?:fig|sec|eq)-[\w-]*\w)"
XREF_CLASS = "xref"
HOW_TO_DEFINE = {
    "fig": "give a figure directive the line `id: {id}`",
    "sec": "end a ## or ### heading with {{#{id}}}",
    "eq": "follow a $$...$$ equation with {{#{id}}}",
}


class CrossrefProcessor(InlineProcessor):
    """Marks `@fig-x` as an empty `<a class="xref" data-ref="fig-x">`."""

    def __init__(self, md: Markdown):
        super().__init__(CROSSREF, md)

    def handleMatch(self, m: re.Match, data: str):  # noqa: N802 (Python-Markdown's name)
        link = etree.Element("a", {"class": XREF_CLASS, "data-ref": m.group("id")})
        return link, m.start(0), m.end(0)


class CrossrefResolver(Treeprocessor):
    """Gives each cross-reference its target's link and label; reports unknown ids."""

    def __init__(self, md: Markdown, state: RenderState):
        super().__init__(md)
        self.state = state

    def run(self, root: etree.Element) -> None:
        for link in root.iter("a"):
            if link.get("class") == XREF_CLASS and link.get("data-ref") is not None:
                self.resolve(link, link.get("data-ref"))

    def resolve(self, link: etree.Element, ref: str) -> None:
        target = self.state.targets.get(ref)
        if target is None:
            line = self.state.source.line_of("@" + ref)
            prefix = ref.split("-", 1)[0]
            fix = self.state.suggest(ref, self.state.targets, HOW_TO_DEFINE[prefix].format(id=ref))
            self.state.error(line, f"unknown cross-reference '@{ref}'", fix)
            link.text = f"@{ref}"
            return
        link.set("href", f"#{ref}")
        link.text = f"{target.label} {target.number}"


class CrossrefExtension(Extension):
    """Registers the cross-reference pattern and resolver."""

    def __init__(self, state: RenderState):
        super().__init__()
        self.state = state

    def extendMarkdown(self, md: Markdown) -> None:
        md.inlinePatterns.register(CrossrefProcessor(md), "vellum-crossref",
                                   priority("inline", "vellum-crossref"))
        md.treeprocessors.register(CrossrefResolver(md, self.state), "vellum-crossrefs",
                                   priority("tree", "vellum-crossrefs"))
