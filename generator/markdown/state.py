"""What one rendering of one article knows: its results so far and where its text lies.

A fresh `RenderState` is made for every call of `render_markdown` and handed to each Vellum
processor when it is built. Processors share what they find (figures, targets of
cross-references, citation order) only through this object, never through the extension.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from generator.errors import Problems, closest, did_you_mean


@dataclass
class Directive:
    """One figure directive: a fenced block with info string `{kind}` and a YAML body.

    `placeholder` stands, as its own block, where the figure goes in `RenderedMarkdown.html`;
    the build replaces it with the kind's `<figure id=...>` HTML. `key_lines` gives the file
    line of each top-level spec key, for errors about one value.
    """

    kind: str
    spec: dict[str, Any]
    line: int
    id: str | None
    number: int
    placeholder: str
    caption_html: str = ""
    key_lines: dict[str, int] = field(default_factory=dict)   # spec key -> its file line


@dataclass(frozen=True)
class TocEntry:
    """A numbered section heading (h2 or h3) for the table of contents."""

    level: int
    id: str
    number: str
    title_html: str


@dataclass(frozen=True)
class Target:
    """Something a cross-reference can point at: `Figure 2`, `Section 1.3`, `Equation 1`."""

    label: str
    number: str
    line: int | None


class SourceText:
    """The article body as written, to find the file line of what the parser saw.

    Python-Markdown keeps no line numbers below its preprocessors, so the later processors
    find the text they complain about here, in order: the n-th complaint about `@fig-x`
    names the line of the n-th `@fig-x` in the body.
    """

    def __init__(self, text: str, first_line: int):
        self.text = text
        self.first_line = first_line
        self._cursor: dict[str, int] = {}

    def line_at(self, offset: int) -> int:
        """The file line of a character offset in the body."""
        return self.first_line + self.text.count("\n", 0, offset)

    def line_of(self, needle: str) -> int | None:
        """The file line of the next not yet reported occurrence of `needle`."""
        start = self._cursor.get(needle, 0)
        found = self.text.find(needle, start)
        if found < 0:
            found = self.text.find(needle)
            if found < 0:
                return None
        self._cursor[needle] = found + len(needle)
        return self.line_at(found)


@dataclass
class RenderState:
    """Everything the Vellum processors of one rendering share."""

    path: str
    source: SourceText
    references: Mapping[str, Any]
    directive_kinds: frozenset[str]
    bibliography_read: bool = True                   # False: keys missing from `references` are unread, not unknown
    problems: Problems = field(default_factory=Problems)
    figures: list[Directive] = field(default_factory=list)
    targets: dict[str, Target] = field(default_factory=dict)
    ids: dict[str, int | None] = field(default_factory=dict)
    citations: list[str] = field(default_factory=list)
    toc: list[TocEntry] = field(default_factory=list)
    footnotes_html: str = ""
    notes_at_end: bool = False                       # the note list closes the body HTML
    citation_style: str = "numbered"                 # numbered | author-year

    def error(self, line: int | None, message: str, fix: str = "") -> None:
        self.problems.error(self.path, line, message, fix)

    def warn(self, line: int | None, message: str, fix: str = "") -> None:
        self.problems.warn(self.path, line, message, fix)

    @staticmethod
    def suggest(name: str, choices, otherwise: str) -> str:
        """`did you mean 'x'?` when a choice is close to `name`, else the `otherwise` hint."""
        return did_you_mean(name, choices) if closest(name, choices) else otherwise

    def claim_id(self, id_: str, line: int | None, what: str) -> bool:
        """Reserve an element id for the page; report a duplicate and return False."""
        if id_ in self.ids:
            first = self.ids[id_]
            where = f" on line {first}" if first else ""
            self.error(line, f"duplicate id '{id_}'", f"the first is{where}; give this {what} another id")
            return False
        self.ids[id_] = line
        return True

    def unique_id(self, base: str) -> str:
        """`base`, or `base-2`, `base-3`... whichever is still free; reserves it."""
        candidate, n = base, 1
        while candidate in self.ids:
            n += 1
            candidate = f"{base}-{n}"
        self.ids[candidate] = None
        return candidate
