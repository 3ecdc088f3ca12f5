"""Where each Vellum processor runs among Python-Markdown's own: the one table of priorities.

Python-Markdown runs the processors of a registry from the highest priority to the lowest.
Every Vellum processor takes its number from `PRIORITY` below, next to the built-in
neighbours that decide it, so nobody has to guess why a number was chosen.

Built-in neighbours (Python-Markdown 3.x):

    preprocessors   normalize_whitespace 30 > fenced_code_block 25 > html_block 20
    inline          backtick 190 > escape 180 > footnote 175 > reference 170 > link 160
    tree            footnote 50 > hilite 30 > inline 20 > footnote-duplicate 15
                    > prettify 10 > attr_list 8 > smarty 6 > toc 5 > unescape 0
    post            raw_html 30 > footnote 25 > amp_substitute 20
"""

from __future__ import annotations

PRIORITY: dict[tuple[str, str], float] = {
    # Preprocessors: after whitespace is normalised, before fenced code is stashed, so a
    # `{kind}` fence is ours and a `$$` inside ordinary code is never seen as math.
    ("preprocessors", "vellum-directives"): 28,
    ("preprocessors", "vellum-display-math"): 27,
    # Inline: math first after code spans (190), so `_` and `*` in a formula stay math and a
    # `$` in code stays code; citations before links (160) claim `[@key]`.
    ("inline", "vellum-math"): 185,
    ("inline", "vellum-citation"): 172,
    ("inline", "vellum-crossref"): 171,
    # Tree: after inline (20) and attr_list (8), which gives headings their `{#id}`; before
    # smarty (6). Sections first, so cross-references can name their numbers.
    ("tree", "vellum-sections"): 7.8,
    ("tree", "vellum-citations"): 7.6,
    ("tree", "vellum-crossrefs"): 7.4,
    ("tree", "vellum-footnotes"): 7.2,
    # Post: after raw HTML is restored (30) and footnote placeholders are filled (25):
    # these read the final HTML text.
    ("post", "vellum-figure-captions"): 15,
    ("post", "vellum-section-titles"): 14,
    ("post", "vellum-footnote-split"): 13,
}


def priority(registry: str, name: str) -> float:
    """The priority of the Vellum processor `name` in `registry` (a key of `PRIORITY`)."""
    return PRIORITY[(registry, name)]
