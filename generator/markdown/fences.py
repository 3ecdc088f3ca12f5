"""Code fences as CommonMark defines them, for the preprocessors that must step over code."""

from __future__ import annotations

import re

FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>.*?)[ \t]*$")
DIRECTIVE_INFO = re.compile(r"^\{\s*(?P<kind>[A-Za-z][\w-]*)\s*\}$")


class Fence:
    """An opening code fence: its character, its length, and what follows it."""

    def __init__(self, match: re.Match):
        self.char = match.group("fence")[0]
        self.length = len(match.group("fence"))
        self.info = match.group("info")

    def closes(self, line: str) -> bool:
        """Whether `line` closes this fence (same character, at least as long, no info)."""
        m = FENCE.match(line)
        return bool(m) and m.group("fence")[0] == self.char and len(m.group("fence")) >= self.length \
            and not m.group("info")

    def close_index(self, lines: list[str], start: int) -> int | None:
        """The index of the closing line at or after `start`, or None when never closed."""
        return next((j for j in range(start, len(lines)) if self.closes(lines[j])), None)

    def directive_kind(self) -> str | None:
        """`image` for a ```` ```{image} ```` fence, None for ordinary code."""
        m = DIRECTIVE_INFO.match(self.info)
        return m.group("kind") if m else None


def open_fence(line: str) -> Fence | None:
    """The fence that `line` opens, or None (a backtick fence's info has no backtick)."""
    m = FENCE.match(line)
    if not m or (m.group("fence")[0] == "`" and "`" in m.group("info")):
        return None
    return Fence(m)
