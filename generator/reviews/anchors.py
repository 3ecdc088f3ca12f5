"""Stable anchors for the blocks of an article body, so review comments can point at them.

Each top-level paragraph (and list, block quote, table) of the rendered body gets an id made
from its own words: `p-` and six hex digits of a hash of its normalised text (Unicode NFKC,
case-folded, punctuation and spacing dropped). Numbers the build writes into a paragraph
(citation numbers, "Figure 2", footnote marks) change when other paragraphs change, so the
hash reads the keys behind them (`data-cites`, `data-ref`, the footnote's id) instead.
Editing one paragraph changes only that paragraph's id; reordering, inserting or deleting
others changes none. Two blocks with the same words get `-2`, `-3` in document order. A
block that already has an id keeps it.

    blocks = find_blocks(html)            # [Block(anchor="p-3f2a1c", number=1, ...), ...]
    html = mark_blocks(html, blocks, after={"p-3f2a1c": "<aside>…</aside>"})
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

BLOCK_TAGS = frozenset({"p", "ul", "ol", "blockquote", "table", "dl"})
VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                       "source", "track", "wbr", "param"})
ID_DIGITS = 6


@dataclass(frozen=True)
class Block:
    """One anchored block of the body: where its start tag is and what it says."""

    anchor: str
    number: int          # 1-based, in document order: the number readers see
    tag: str
    start: int           # offset of "<p" in the HTML
    tag_end: int         # offset just after the start tag's ">"
    end: int             # offset just after the end tag
    text: str            # the block's text, as a reader sees it
    has_id: bool         # the id was the author's, already in the start tag
    key: str = ""        # the text its id is made from: numbers the build writes replaced


def normalise(text: str) -> str:
    """Words only: NFKC, case-folded, punctuation dropped, single spaces."""
    return " ".join(re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold()))


def text_id(text: str) -> str:
    """`p-` + six hex digits of the hash of a block's normalised text."""
    digest = hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()
    return f"p-{digest[:ID_DIGITS]}"


def find_blocks(html: str) -> list[Block]:
    """The top-level blocks of a body fragment with their anchors, in document order."""
    scanner = _BlockScanner(html)
    seen: dict[str, int] = {}
    blocks = []
    for number, (tag, start, tag_end, end, text, given, key) in enumerate(scanner.found, start=1):
        anchor = given or text_id(key)
        if not given:
            seen[anchor] = seen.get(anchor, 0) + 1
            if seen[anchor] > 1:
                anchor = f"{anchor}-{seen[anchor]}"
        blocks.append(Block(anchor, number, tag, start, tag_end, end, text, bool(given), key))
    return blocks


def mark_blocks(html: str, blocks: list[Block], after: dict[str, str] | None = None) -> str:
    """Add `id` and `data-paragraph` to each block's start tag, and put `after[anchor]`
    (HTML, e.g. a margin note) right after the block."""
    after = after or {}
    out, last = [], 0
    for block in blocks:
        start_tag = html[block.start:block.tag_end]
        attrs = f' data-paragraph="{block.number}"'
        if not block.has_id:
            attrs = f' id="{block.anchor}"' + attrs
        insert_at = len(start_tag) - (2 if start_tag.endswith("/>") else 1)
        out.append(html[last:block.start])
        out.append(start_tag[:insert_at] + attrs + start_tag[insert_at:])
        out.append(html[block.tag_end:block.end])
        if block.anchor in after:
            out.append("\n" + after[block.anchor])
        last = block.end
    out.append(html[last:])
    return "".join(out)


def _numbered_key(tag: str, attrs: dict) -> str | None:
    """For an element whose text is a number the build assigns, the key behind it."""
    if attrs.get("data-cites"):
        return f"cite {attrs['data-cites']}"
    if attrs.get("data-ref"):
        return f"ref {attrs['data-ref']}"
    if tag == "sup" and (attrs.get("id") or "").startswith("fnref"):
        return f"note {attrs['id']}"
    return None


class _BlockScanner(HTMLParser):
    """Finds depth-0 block elements: (tag, start, tag_end, end, text, existing id, key)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.html = html
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", html)]
        self.found: list[tuple] = []
        self.depth = 0
        self.current: dict | None = None
        self.hidden_at: int | None = None     # depth of an element whose text is a build number
        self.feed(html)
        self.close()

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if self.depth == 0 and tag in BLOCK_TAGS:
            start = self._offset()
            raw = self.get_starttag_text() or ""
            given = dict(attrs).get("id")
            self.current = {"tag": tag, "start": start, "tag_end": start + len(raw), "text": [],
                            "key": [], "id": html_lib.unescape(given) if given else None}
        elif self.current is not None and self.hidden_at is None:
            key = _numbered_key(tag, dict(attrs))
            if key is not None and tag not in VOID_TAGS:
                self.current["key"].append(f" {key} ")
                self.hidden_at = self.depth
        if tag not in VOID_TAGS:
            self.depth += 1

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in VOID_TAGS:
            return
        self.depth = max(self.depth - 1, 0)
        if self.hidden_at is not None and self.depth <= self.hidden_at:
            self.hidden_at = None
        if self.depth == 0 and self.current is not None:
            start = self._offset()
            close = self.html.find(">", start)
            end = close + 1 if close >= 0 else len(self.html)
            text = "".join(self.current["text"])
            if normalise(text) or self.current["id"]:
                self.found.append((self.current["tag"], self.current["start"], self.current["tag_end"],
                                   end, " ".join(text.split()), self.current["id"],
                                   "".join(self.current["key"])))
            self.current = None

    def handle_data(self, data):
        if self.current is not None:
            self.current["text"].append(data)
            if self.hidden_at is None:
                self.current["key"].append(data)
