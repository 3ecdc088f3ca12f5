"""Footnotes: Python-Markdown's `footnotes`, checked, with the list moved to the appendix.

A reference `[^ears]` renders as

    <sup id="fnref-ears"><a class="footnote-ref" href="#fn-ears">1</a></sup>

(a second reference to the same note gets `id="fnref2-ears"`). The list of notes leaves the
body for `RenderedMarkdown.footnotes_html`:

    <ol class="footnotes"><li id="fn-ears"><p>The note.&#160;<a class="footnote-backref"
      href="#fnref-ears" title="Back to the text">&#8617;</a></p></li></ol>

A reference to a note that is never defined is an error; a note never referenced, a warning.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown import Markdown
from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor
from markdown.treeprocessors import Treeprocessor

from generator.markdown.priorities import priority
from generator.markdown.state import RenderState
from generator.markdown.tree import text_nodes

CONFIG = {
    "SEPARATOR": "-",
    "USE_DEFINITION_ORDER": False,
    "BACKLINK_TITLE": "Back to the text",
}
NOTE_ID_PREFIX = "fn" + CONFIG["SEPARATOR"]
LIST_CLASS = "footnotes"
SPLIT_MARK = f'<ol class="{LIST_CLASS}">'
UNDEFINED_REF = re.compile(r"(?<!!)\[\^([^\]\s]+)\](?!:)")


class FootnoteChecker(Treeprocessor):
    """Reports undefined and unused notes, and moves the note list to the end of the body."""

    def __init__(self, md: Markdown, state: RenderState):
        super().__init__(md)
        self.state = state

    def run(self, root: etree.Element) -> None:
        notes = next((c for c in root if c.tag == "div" and c.get("class") == "footnote"), None)
        items = list(notes.find("ol")) if notes is not None else []     # nested lists have no ids
        defined = [li.get("id", "")[len(NOTE_ID_PREFIX):] for li in items]
        for text in text_nodes(root):
            for label in UNDEFINED_REF.findall(text):
                fix = self.state.suggest(label, defined, f"define it on a line of its own: [^{label}]: The note.")
                self.state.error(self.state.source.line_of(f"[^{label}]"),
                                 f"unknown footnote '[^{label}]'", fix)
        if notes is None:
            return
        used = {a.get("href", "")[1 + len(NOTE_ID_PREFIX):] for a in root.iter("a")
                if a.get("class") == "footnote-ref"}
        for label in defined:
            self.state.ids[NOTE_ID_PREFIX + label] = None
            if label not in used:
                self.state.warn(self.state.source.line_of(f"[^{label}]:"),
                                f"footnote '[^{label}]' is never referenced",
                                f"cite it with [^{label}] in the text, or delete it")
        root.remove(notes)
        note_list = notes.find("ol")
        note_list.set("class", LIST_CLASS)
        root.append(note_list)                           # last in the body, for the splitter
        self.state.notes_at_end = True


class FootnoteSplitter(Postprocessor):
    """Cuts the note list off the end of the body into `RenderState.footnotes_html`."""

    def __init__(self, md: Markdown, state: RenderState):
        super().__init__(md)
        self.state = state

    def run(self, text: str) -> str:
        at = text.rfind(SPLIT_MARK) if self.state.notes_at_end else -1
        if at < 0:
            return text
        self.state.footnotes_html = text[at:].strip()
        return text[:at].rstrip()


class FootnoteExtension(Extension):
    """Registers the checks and the split; `footnotes` itself is configured by `CONFIG`."""

    def __init__(self, state: RenderState):
        super().__init__()
        self.state = state

    def extendMarkdown(self, md: Markdown) -> None:
        md.treeprocessors.register(FootnoteChecker(md, self.state), "vellum-footnotes",
                                   priority("tree", "vellum-footnotes"))
        md.postprocessors.register(FootnoteSplitter(md, self.state), "vellum-footnote-split",
                                   priority("post", "vellum-footnote-split"))
