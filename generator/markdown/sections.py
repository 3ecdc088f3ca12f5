"""Sections: heading ids, numbers for h2 and h3, and the table of contents.

`## Method {#sec-method}` keeps its id (attr_list gives it) and can be cross-referenced as
`@sec-method`; a heading without an id gets one from its text ("method", "method-2"...),
which links may use but `@sec-` references may not. h2 headings are numbered 1, 2, ... and
h3 headings 1.1, 1.2, ...; the number is shown first in the heading:

    <h2 id="sec-method"><span class="section-number">2</span> Method</h2>

Headings inside asides and footnotes are left alone.
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as etree
from typing import Iterator

from markdown import Markdown
from markdown.extensions import Extension
from markdown.extensions.toc import slugify_unicode
from markdown.postprocessors import Postprocessor
from markdown.treeprocessors import Treeprocessor

from generator.markdown.priorities import priority
from generator.markdown.state import RenderState, Target, TocEntry

HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
NUMBERED_LEVELS = (2, 3)
SECTION_ID_PREFIX = "sec-"
NUMBER_CLASS = "section-number"
STASHED = re.compile("\x02[^\x03]*\x03")


def headings(parent: etree.Element) -> Iterator[etree.Element]:
    """The headings under `parent` in document order, not looking into asides or footnotes."""
    for child in parent:
        if child.tag in HEADINGS:
            yield child
        elif child.tag != "aside" and child.get("class") != "footnote":
            yield from headings(child)


class SectionNumberer(Treeprocessor):
    """Gives every heading an id and every h2/h3 a number; registers `sec-` targets."""

    def __init__(self, md: Markdown, state: RenderState):
        super().__init__(md)
        self.state = state

    def run(self, root: etree.Element) -> None:
        found = list(headings(root))
        for heading in found:                            # given ids first: slugs avoid them
            if heading.get("id"):
                self.state.claim_id(heading.get("id"), self.state.source.line_of("#" + heading.get("id")),
                                    "heading")
        counts = [0, 0]                                  # (h2, h3) counters
        for heading in found:
            level = HEADINGS[heading.tag]
            heading_id = self.heading_id(heading)
            if level not in NUMBERED_LEVELS:
                continue
            if level == NUMBERED_LEVELS[0]:
                counts = [counts[0] + 1, 0]
                number = str(counts[0])
            else:
                counts[1] += 1
                number = f"{counts[0]}.{counts[1]}"
            self.show_number(heading, number)
            if heading_id.startswith(SECTION_ID_PREFIX):
                self.state.targets[heading_id] = Target("Section", number, self.state.ids.get(heading_id))
            self.state.toc.append(TocEntry(level, heading_id, number, ""))

    def heading_id(self, heading: etree.Element) -> str:
        """The heading's own id (already reserved), or a new one made from its text."""
        given = heading.get("id")
        if given:
            return given
        text = STASHED.sub("", "".join(heading.itertext()))
        new = self.state.unique_id(slugify_unicode(text, "-") or "section")
        heading.set("id", new)
        return new

    @staticmethod
    def show_number(heading: etree.Element, number: str) -> None:
        span = etree.Element("span", {"class": NUMBER_CLASS})
        span.text = number
        span.tail = " " + (heading.text or "")
        heading.text = None
        heading.insert(0, span)


class SectionTitles(Postprocessor):
    """Copies each numbered heading's final HTML (without its number) into the toc."""

    def __init__(self, md: Markdown, state: RenderState):
        super().__init__(md)
        self.state = state

    def run(self, text: str) -> str:
        entries = []
        for entry in self.state.toc:
            pattern = (rf'<h{entry.level}\b[^>]*\bid="{re.escape(entry.id)}"[^>]*>'
                       rf'<span class="{NUMBER_CLASS}">[^<]*</span>\s*(.*?)</h{entry.level}>')
            m = re.search(pattern, text, re.DOTALL)
            entries.append(dataclasses.replace(entry, title_html=m.group(1).strip() if m else ""))
        self.state.toc[:] = entries
        return text


class SectionExtension(Extension):
    """Registers heading numbering and the table of contents."""

    def __init__(self, state: RenderState):
        super().__init__()
        self.state = state

    def extendMarkdown(self, md: Markdown) -> None:
        md.treeprocessors.register(SectionNumberer(md, self.state), "vellum-sections",
                                   priority("tree", "vellum-sections"))
        md.postprocessors.register(SectionTitles(md, self.state), "vellum-section-titles",
                                   priority("post", "vellum-section-titles"))
