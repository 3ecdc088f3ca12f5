"""Walking Python-Markdown's element tree the way a reader reads it."""

from __future__ import annotations

import xml.etree.ElementTree as etree
from typing import Iterator

CODE_TAGS = {"code", "pre", "kbd", "samp"}


def text_nodes(parent: etree.Element) -> Iterator[str]:
    """Every piece of text under `parent` outside code, in document order."""
    if parent.tag in CODE_TAGS:
        return
    if parent.text:
        yield parent.text
    for child in parent:
        yield from text_nodes(child)
        if child.tail:
            yield child.tail
